/*
 * VMHI backend skeleton - a starting point for a vendor's backend module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ops table, the entry symbol and the connection-level slots.
 *
 * URI: skeleton:///  - a fresh, empty in-memory host for each connection.
 * A real backend would accept something like skeleton://host[:port]/ here
 * and connect to its hypervisor in open().
 */
#include <string.h>

#include "skeleton.h"

const vmhi_core_services *sk_core;

/* ---- open / close --------------------------------------------------------- */

/* Refuses what this backend cannot serve, with a message that says what to
 * use instead.  The core has already parsed and normalized the URI (no
 * password, scheme lower case, path decoded and at least "/": MOD-11). */
static int check_uri(const vmhi_backend_uri *uri)
{
    if (uri->host || uri->user || uri->port)
        return sk_error(VMHI_E_INVALID_ARG,
                        "skeleton backend: '%s' names a host, but the skeleton host is "
                        "local and in memory; use skeleton:///", uri->uri);
    if (strcmp(uri->path, "/") != 0)
        return sk_error(VMHI_E_INVALID_ARG,
                        "skeleton backend: '%s' has a path; use skeleton:///", uri->uri);
    /* CONN-9: an unknown parameter is refused, not silently ignored. */
    if (uri->nparams > 0)
        return sk_error(VMHI_E_INVALID_ARG,
                        "skeleton backend: unknown URI parameter '%s'; skeleton:/// takes "
                        "no parameters", uri->param_names[0]);
    return VMHI_OK;
}

static int sk_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    /* Only URIs of our schemes reach us, but a backend that serves a
     * scheme shared with others (several "kvm" modules, say) declines
     * what is not its own so that the core tries the next one (MOD-15). */
    if (strcmp(uri->scheme, "skeleton") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    int rc = check_uri(uri);
    if (rc < 0)
        return rc;
    sk_conn *c = priv; /* conn_priv_size zeroed bytes, owned by the core */
    c->conn = conn;
    /* TODO(vendor): connect to the hypervisor here.  Ask for a password
     * with sk_core->get_credential() (never from the URI, and never put it
     * in a message: CONN-6); fail with VMHI_E_AUTH when it is refused
     * (CONN-7) and VMHI_E_CONNECTION when the host cannot be reached
     * (CONN-8); apply sk_core->timeout_ms(conn) to each request (CONN-10).
     * Whatever open() acquired before failing, it releases itself: close()
     * is called only after VMHI_BACKEND_OPEN_SUCCESS (MOD-16). */
    sk_core->log(conn, VMHI_LOG_INFO, "skeleton backend: opened %s", uri->uri);
    return VMHI_BACKEND_OPEN_SUCCESS;
}

/* Called exactly once for every successful open() (MOD-16).  The core
 * frees the priv bytes themselves afterwards. */
static void sk_close(void *priv)
{
    sk_free_all(priv);
    /* TODO(vendor): log out and close the connection to the hypervisor. */
}

/* ---- host facts and limits ---------------------------------------------------- */

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* CONN-11: a non-empty hypervisor name, at least one CPU and one MiB. */
static int sk_get_host_info(void *priv, vmhi_host_info *info)
{
    (void)priv;
    copy_text(info->hypervisor, sizeof(info->hypervisor), SK_HYPERVISOR);
    copy_text(info->hypervisor_version, sizeof(info->hypervisor_version),
              SK_HYPERVISOR_VERSION);
    copy_text(info->backend_version, sizeof(info->backend_version), SK_BACKEND_VERSION);
    copy_text(info->hostname, sizeof(info->hostname), "skeleton-host");
    copy_text(info->cpu_model, sizeof(info->cpu_model), "none (simulated)");
    info->cpus = SK_HOST_CPUS;
    info->memory_mib = SK_HOST_MEMORY_MIB;
    /* The core pre-set free_memory_mib to UINT64_MAX, meaning "unknown",
     * which is what an in-memory host honestly is.
     * TODO(vendor): report the host's free memory, and refuse a start that
     * does not fit with VMHI_E_LIMIT (LC-START-6, a SHOULD). */
    return VMHI_OK;
}

/* CAP-6: every limit either succeeds or fails with VMHI_E_UNSUPPORTED.
 * The core checks descriptions against the limits reported here. */
static int sk_get_limit(void *priv, vmhi_limit limit, uint64_t *value)
{
    (void)priv;
    switch (limit) {
    case VMHI_LIMIT_MAX_VCPUS: *value = SK_MAX_VCPUS; return VMHI_OK;
    case VMHI_LIMIT_MIN_MEMORY_MIB: *value = SK_MIN_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_MEMORY_MIB: *value = SK_MAX_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MEMORY_GRANULARITY_MIB: *value = 1; return VMHI_OK;
    case VMHI_LIMIT_MAX_DISKS: *value = SK_MAX_DISKS; return VMHI_OK;
    case VMHI_LIMIT_MAX_NICS: *value = SK_MAX_NICS; return VMHI_OK;
    case VMHI_LIMIT_MAX_VMS: *value = SK_MAX_VMS; return VMHI_OK;
    }
    /* A limit added in a later 1.x: not known to a 1.0 module. */
    return sk_error(VMHI_E_UNSUPPORTED, "skeleton backend: limit %d is not known", (int)limit);
}

/* ---- the values the host accepts ---------------------------------------------- */

/* CAP-10, CAP-12: the core pre-fills @values with every 1.0 value of @kind
 * and refuses a description or device using a value this slot clears,
 * with VMHI_E_UNSUPPORTED naming it, before define() is called.  So a slot
 * never refuses a valid value itself: it declares here what it cannot
 * honour, and honours everything it leaves declared (CAP-4).  The default
 * value of a kind (DEFAULT bus, model, guest type, shutdown method) stays
 * accepted whatever is cleared; the backend resolves it (CFG-12).
 *
 * The simulated host is a plain x86 machine with HVM guests only, virtio,
 * SCSI, SATA and IDE disks of raw or qcow2 images, virtio, e1000 and
 * rtl8139 NICs on named networks or bridges, BIOS or UEFI, firmware or
 * direct kernel boot.  TODO(vendor): declare what your hypervisor runs. */
static int sk_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    (void)priv;
#define SK_BIT(v) (UINT64_C(1) << (v))
    switch (kind) {
    case VMHI_VALUE_DISK_BUS:
        *values &= ~(SK_BIT(VMHI_DISK_BUS_XEN) | SK_BIT(VMHI_DISK_BUS_PVSCSI));
        break;
    case VMHI_VALUE_DISK_FORMAT:
        *values &= ~SK_BIT(VMHI_DISK_FORMAT_VMDK);
        break;
    case VMHI_VALUE_NIC_MODEL:
        *values &= ~(SK_BIT(VMHI_NIC_MODEL_VMXNET3) | SK_BIT(VMHI_NIC_MODEL_XEN));
        break;
    case VMHI_VALUE_NETWORK_KIND:
        *values &= ~SK_BIT(VMHI_NETWORK_USER);
        break;
    case VMHI_VALUE_GUEST_TYPE:
        *values &= ~(SK_BIT(VMHI_GUEST_PV) | SK_BIT(VMHI_GUEST_PVH));
        break;
    case VMHI_VALUE_SHUTDOWN_METHOD:
        /* No shutdown slot yet: only the default, which the core keeps. */
        *values = 0;
        break;
    default: /* disk access, firmware, boot method: every value */
        break;
    }
#undef SK_BIT
    return VMHI_OK;
}

/* ---- the ops table ---------------------------------------------------------- */

static const char *const sk_schemes[] = { "skeleton", NULL };

/* The profiles claimed.  A macro only so that VMHI's own tests can build an
 * over-claiming copy and check that certification then fails; your module
 * simply writes its bits into the table. */
#ifndef SKELETON_PROFILES
#define SKELETON_PROFILES VMHI_PROFILE_CORE
#endif

static const vmhi_backend_ops sk_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "skeleton",
    .schemes = sk_schemes,
    /* Claim a profile only once vmhi-conformance certifies it.  Core is
     * what this skeleton implements; add the bit of each further profile
     * as you implement and certify it (docs/porting.md, "Profiles"). */
    .profiles = SKELETON_PROFILES,
    /* No VMHI_BACKEND_FLAG_THREADSAFE: the core serializes the calls of a
     * connection (THR-2), so the per-connection table needs no lock.  Set
     * the flag only when every slot does its own locking. */
    .flags = 0,
    .conn_priv_size = sizeof(sk_conn),
    .version = SK_BACKEND_VERSION,

    .open = sk_open,
    .close = sk_close,
    .get_host_info = sk_get_host_info,
    /* get_op_caps NULL: each operation whose slot is set has the default
     * capability bits (spec section 5).  TODO(vendor): implement it to add
     * VMHI_CAP_ASYNC or remove VMHI_CAP_LIVE/CONFIG where your hypervisor
     * differs, e.g. when detach may complete later (DEV-14). */
    .get_op_caps = NULL,
    .get_limit = sk_get_limit,

    /* ---- Core profile ---- */
    .list_vms = sk_list_vms,
    .lookup = sk_lookup,
    .define = sk_define,
    .undefine = sk_undefine,
    .start = sk_start,
    .poweroff = sk_poweroff,
    .get_info = sk_get_info,
    .get_config = sk_get_config,
    /* TODO(vendor): create - start a transient VM from a description
     * (optional in every profile; LC-CREATE-1..3 once it is set). */
    .create = NULL,

    /* ---- Lifecycle-Full profile ----
     * TODO(vendor): shutdown - only REQUEST it with the vmhi_shutdown_method
     * in flags and return at once (state shutting-down); the core waits for
     * shutoff itself, polling get_info without holding the connection lock
     * (LC-SHUTDOWN-1..8, MOD-20); declare the methods you support in
     * sk_get_value_caps().  Then reboot (LC-REBOOT-1..3), reset
     * (LC-RESET-1..3), pause and resume (LC-PAUSE, LC-RESUME), suspend to
     * a managed save image and restore through start (LC-SUSPEND,
     * LC-START-3); poweroff then also cancels outstanding guest requests
     * (LC-POWEROFF-3) and, from suspended, discards the saved image
     * (LC-POWEROFF-4). */
    .shutdown = NULL,
    .reboot = NULL,
    .reset = NULL,
    .pause = NULL,
    .resume = NULL,
    .suspend = NULL,

    /* ---- Memory profile ----
     * TODO(vendor): set_memory (balloon, LIVE and/or CONFIG: MEM-1..6),
     * set_max_memory (CONFIG only: MEM-7, MEM-8), get_memory_stats (fields
     * you cannot read stay UINT64_MAX: MEM-9..11). */
    .set_memory = NULL,
    .set_max_memory = NULL,
    .get_memory_stats = NULL,

    /* ---- vCPU profile ----
     * TODO(vendor): set_vcpus (hotplug and/or definition: VCPU-1..4, 8, 9)
     * and get_vcpus (one entry per vCPU: VCPU-5, VCPU-6). */
    .set_vcpus = NULL,
    .get_vcpus = NULL,

    /* ---- Devices profile ----
     * TODO(vendor): attach_disk, detach_disk, attach_nic, detach_nic (a
     * live detach may report VMHI_COMPLETION_PENDING until the guest lets
     * go: DEV-1..17) and list_devices (DEV-15, DEV-16). */
    .attach_disk = NULL,
    .detach_disk = NULL,
    .attach_nic = NULL,
    .detach_nic = NULL,
    .list_devices = NULL,

    /* ---- Events profile ----
     * The skeleton already emits the event of every change it makes (see
     * sk_transition() and sk_emit()), but it does not claim Events: the
     * profile also needs the events of changes made outside this
     * connection (EV-11, a SHOULD) and a certification run.
     * TODO(vendor): events_enable - start or stop watching the hypervisor
     * for the event types that now have subscribers (MOD-14); then claim
     * VMHI_PROFILE_EVENTS. */
    .events_enable = NULL,

    /* ---- optional slots after the 1.0 minimum table ---- */
    .get_profiles = NULL, /* every connection claims .profiles */
    .get_value_caps = sk_get_value_caps,
};

/* ---- the entry symbol -------------------------------------------------------- */

/* The 1.0 services this module calls, the last of them being
 * error_restore (skeleton_vms.c): an older or smaller services table is
 * refused instead of being read past its end.  A module that uses a service
 * added in 1.x checks struct_size against that field the same way (ABI-11). */
#define SK_CORE_SERVICES_NEEDED \
    (offsetof(vmhi_core_services, error_restore) + sizeof(int (*)(vmhi_saved_error *)))

#ifdef SKELETON_SIMULATE_1_0
/* Compatibility check: behave like a module compiled against the 1.0
 * headers, before the ops table grew.  Such a module owns exactly
 * VMHI_BACKEND_OPS_SIZE_1_0 bytes of table and declares that size; what
 * follows in its memory is not part of the table.  Poison fills it, so a
 * core that looked past struct_size would call garbage (MOD-6, MOD-9).
 * Such a table has no get_value_caps: every value counts as accepted,
 * which the skeleton can honour, as it only stores descriptions. */
static union {
    vmhi_backend_ops ops;
    unsigned char bytes[VMHI_BACKEND_OPS_SIZE_1_0 + 64];
} sk_ops_1_0;

static const vmhi_backend_ops *table_to_export(void)
{
    memcpy(sk_ops_1_0.bytes, &sk_ops, VMHI_BACKEND_OPS_SIZE_1_0);
    memset(sk_ops_1_0.bytes + VMHI_BACKEND_OPS_SIZE_1_0, 0xA5,
           sizeof(sk_ops_1_0) - VMHI_BACKEND_OPS_SIZE_1_0);
    sk_ops_1_0.ops.struct_size = (uint32_t)VMHI_BACKEND_OPS_SIZE_1_0;
    return &sk_ops_1_0.ops;
}
#else
static const vmhi_backend_ops *table_to_export(void)
{
    return &sk_ops;
}
#endif

/* The one symbol a module exports (-fvisibility=hidden hides the rest).
 * Called once, right after the core loaded the module. */
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops);
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops)
{
    if (!core || !ops)
        return VMHI_E_INVALID_ARG;
    /* Refusing is a negative return; the core reports the module as
     * refused, naming the file (MOD-1). */
    if ((core->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        core->struct_size < SK_CORE_SERVICES_NEEDED)
        return VMHI_E_MODULE;
    sk_core = core;
    *ops = table_to_export();
    return VMHI_OK;
}
