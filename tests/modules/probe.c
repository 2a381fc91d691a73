/*
 * A backend module that watches the core: it records how the core calls
 * it (open/close pairing, private state, concurrency, event-mask updates)
 * and misbehaves on purpose in a few slots, so that the tests can check
 * the core's side of the module contract.  Scheme "probe":
 *   probe:///ok       opens
 *   probe:///decline  declines (VMHI_BACKEND_OPEN_DECLINED)
 *   probe:///fail     fails with VMHI_E_CONNECTION
 * Its value caps refuse the PVSCSI bus and the PV shutdown method, and try
 * (in vain) to refuse the default NIC model.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <vmhi/backend.h>

#include "probe.h"

#define PROBE_MAGIC 0x70726f6265ull
#define PROBE_UUID "0e7a1c55-0000-4000-8000-00000000beef"

struct priv {
    uint64_t magic;
    vmhi_conn *conn;
    unsigned char rest[48];
};

static const vmhi_core_services *core;
static struct probe_stats stats;

VMHI_BACKEND_EXPORT struct probe_stats *probe_stats(void)
{
    return &stats;
}

static struct priv *check_priv(void *p)
{
    struct priv *priv = p;
    if (priv->magic != PROBE_MAGIC)
        atomic_fetch_add(&stats.priv_mismatch, 1);
    return priv;
}

static int probe_open(vmhi_conn *conn, void *p, const vmhi_backend_uri *uri)
{
    static const unsigned char zero[sizeof(struct priv)];
    if (memcmp(p, zero, sizeof(zero)) != 0)
        atomic_fetch_add(&stats.priv_not_zero, 1);
    if (strcmp(uri->path, "/decline") == 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    if (strcmp(uri->path, "/fail") == 0)
        return core->set_error(VMHI_E_CONNECTION, "ECONNREFUSED", "probe refuses to connect");
    struct priv *priv = p;
    priv->magic = PROBE_MAGIC;
    priv->conn = conn;
    atomic_fetch_add(&stats.opens, 1);
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void probe_close(void *p)
{
    check_priv(p)->magic = 0;
    atomic_fetch_add(&stats.closes, 1);
}

/* MOD-19: a reference from the core is zeroed and carries its size. */
static void check_ref(const vmhi_backend_vm_ref *ref)
{
    if (ref->struct_size != sizeof(*ref) || ref->uuid[0] || ref->name[0])
        atomic_fetch_add(&stats.ref_bad, 1);
}

static void fill_ref(vmhi_backend_vm_ref *ref)
{
    strcpy(ref->uuid, PROBE_UUID);
    strcpy(ref->name, "probe-vm");
}

static int probe_list(void *p, vmhi_backend_list_add add, void *ctx)
{
    check_priv(p);
    vmhi_backend_vm_ref ref;
    memset(&ref, 0, sizeof(ref));
    ref.struct_size = sizeof(ref);
    fill_ref(&ref);
    return add(ctx, &ref, VMHI_STATE_RUNNING, 1);
}

static int probe_lookup(void *p, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    (void)name;
    (void)uuid;
    check_priv(p);
    check_ref(out);
    fill_ref(out);
    return VMHI_OK;
}

static int probe_define(void *p, const vmhi_vm_config *cfg, unsigned int flags,
                        vmhi_backend_vm_ref *out)
{
    (void)cfg;
    (void)flags;
    check_priv(p);
    check_ref(out);
    atomic_fetch_add(&stats.define_calls, 1);
    fill_ref(out);
    return VMHI_OK;
}

static int probe_attach_disk(void *p, const char *uuid, const vmhi_disk *disk,
                             unsigned int flags, char *id)
{
    (void)uuid;
    (void)disk;
    (void)flags;
    check_priv(p);
    atomic_fetch_add(&stats.attach_calls, 1);
    strcpy(id, "disk0");
    return VMHI_OK;
}

/* Only requests: the guest "ignores" it, so the VM stays shutting-down and
 * a caller with a timeout waits in the core, not here. */
static int probe_shutdown(void *p, const char *uuid, unsigned int flags)
{
    (void)uuid;
    (void)flags;
    check_priv(p);
    atomic_fetch_add(&stats.shutdown_calls, 1);
    return VMHI_OK;
}

static int probe_get_value_caps(void *p, vmhi_value_kind kind, uint64_t *values)
{
    check_priv(p);
    atomic_fetch_add(&stats.value_caps_calls, 1);
    if (kind == VMHI_VALUE_DISK_BUS)
        *values &= ~(UINT64_C(1) << VMHI_DISK_BUS_PVSCSI);
    else if (kind == VMHI_VALUE_SHUTDOWN_METHOD)
        *values &= ~(UINT64_C(1) << VMHI_SHUTDOWN_PV);
    else if (kind == VMHI_VALUE_NIC_MODEL)
        *values = 0; /* the core keeps DEFAULT whatever a module says */
    return VMHI_OK;
}

/* Slow on purpose: if the core ran two slots of this (not thread-safe)
 * backend at once, max_in_slot would exceed 1. */
static int probe_get_info(void *p, const char *uuid, vmhi_vm_info *info)
{
    check_priv(p);
    int now = atomic_fetch_add(&stats.in_slot, 1) + 1;
    int seen = atomic_load(&stats.max_in_slot);
    while (now > seen && !atomic_compare_exchange_weak(&stats.max_in_slot, &seen, now))
        ;
    usleep(500);
    atomic_fetch_sub(&stats.in_slot, 1);
    core->log(check_priv(p)->conn, VMHI_LOG_DEBUG, "probe get_info %s", uuid);
    info->state = atomic_load(&stats.shutdown_calls) ? VMHI_STATE_SHUTTING_DOWN
                                                     : VMHI_STATE_RUNNING;
    info->reason = VMHI_REASON_BOOTED;
    info->vcpus = info->max_vcpus = 1;
    info->memory_mib = info->max_memory_mib = 64;
    info->persistent = 1;
    return VMHI_OK;
}

/* Returns a positive value: a backend bug the core must turn into INTERNAL. */
static int probe_start(void *p, const char *uuid, unsigned int flags)
{
    (void)uuid;
    (void)flags;
    check_priv(p);
    return 5;
}

/* Fails without reporting why: the core must still set a message. */
static int probe_poweroff(void *p, const char *uuid, unsigned int flags)
{
    (void)uuid;
    (void)flags;
    check_priv(p);
    return VMHI_E_BACKEND;
}

/* Sets an error, then emits malformed and valid events: emitting must not
 * touch the error, and only the valid event may reach subscribers. */
static int probe_pause(void *p, const char *uuid, unsigned int flags)
{
    (void)flags;
    struct priv *priv = check_priv(p);
    int rc = core->set_error(VMHI_E_BUSY, "probe-native", "probe marker message");
    vmhi_backend_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.struct_size = sizeof(ev);
    ev.type = VMHI_EVENT_LIFECYCLE;
    ev.uuid = uuid;
    ev.name = "probe-vm";
    ev.state = VMHI_STATE_PAUSED;
    ev.reason = VMHI_REASON_USER;
    vmhi_backend_event short_ev = ev;
    short_ev.struct_size = 4;
    core->emit_event(priv->conn, &short_ev);
    vmhi_backend_event unknown = ev;
    unknown.type = (vmhi_event_type)(1u << 30);
    core->emit_event(priv->conn, &unknown);
    core->emit_event(priv->conn, &ev);
    return rc;
}

static int probe_reset(void *p, const char *uuid, unsigned int flags)
{
    (void)uuid;
    (void)flags;
    check_priv(p);
    atomic_fetch_add(&stats.reset_calls, 1);
    return VMHI_OK;
}

static int probe_set_memory(void *p, const char *uuid, uint64_t mib, unsigned int flags)
{
    (void)uuid;
    (void)mib;
    (void)flags;
    check_priv(p);
    atomic_fetch_add(&stats.set_memory_calls, 1);
    return VMHI_OK;
}

/* Set-max-memory keeps the core's default caps: config only, no LIVE. */
static int probe_set_max_memory(void *p, const char *uuid, uint64_t mib, unsigned int flags)
{
    (void)uuid;
    (void)mib;
    (void)flags;
    check_priv(p);
    atomic_fetch_add(&stats.set_max_memory_calls, 1);
    return VMHI_OK;
}

/* Reset is implemented but reported absent; set-memory is config-only. */
static int probe_get_op_caps(void *p, vmhi_op op, unsigned int *caps)
{
    check_priv(p);
    if (op == VMHI_OP_RESET)
        *caps = 0;
    else if (op == VMHI_OP_SET_MEMORY)
        *caps = VMHI_CAP_SUPPORTED | VMHI_CAP_CONFIG;
    return VMHI_OK;
}

static int probe_events_enable(void *p, unsigned int mask)
{
    check_priv(p);
    atomic_store(&stats.last_mask, mask);
    atomic_fetch_add(&stats.mask_calls, 1);
    return VMHI_OK;
}

/* Answers what the test put in stats.profiles_out, which may try to add
 * profiles the module does not claim. */
static int probe_get_profiles(void *p, uint32_t *out)
{
    check_priv(p);
    unsigned int want = atomic_load(&stats.profiles_out);
    if (want)
        *out = want;
    return VMHI_OK;
}

static const char *const schemes[] = { "probe", NULL };

static const vmhi_backend_ops ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "probe",
    .schemes = schemes,
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_EVENTS,
    .flags = 0, /* not thread-safe: the core must serialize */
    .conn_priv_size = sizeof(struct priv),
    .version = "0.1",
    .open = probe_open,
    .close = probe_close,
    .get_op_caps = probe_get_op_caps,
    .list_vms = probe_list,
    .lookup = probe_lookup,
    .define = probe_define,
    .shutdown = probe_shutdown,
    .attach_disk = probe_attach_disk,
    .start = probe_start,
    .poweroff = probe_poweroff,
    .reset = probe_reset,
    .pause = probe_pause,
    .get_info = probe_get_info,
    .set_memory = probe_set_memory,
    .set_max_memory = probe_set_max_memory,
    .events_enable = probe_events_enable,
    .get_profiles = probe_get_profiles,
    .get_value_caps = probe_get_value_caps,
};

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *c,
                                           const vmhi_backend_ops **out);
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *c,
                                           const vmhi_backend_ops **out)
{
    core = c;
    *out = &ops;
    return 0;
}
