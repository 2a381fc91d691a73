/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `xen` backend module: ops table, entry point, connections, host
 * facts, capabilities and limits.
 *
 * URIs: xen:/// and its alias xen:///system, the Xen host this process
 * runs in as dom0 (root, /proc/xen mounted, xenstored running).
 * Query parameters:
 *   kernel=<path>, initrd=<path>, cmdline=<text>
 *                    VMs whose description names no kernel boot this one
 *                    through this connection (PV guests always boot a
 *                    kernel directly)
 * Definitions and saved images: /var/lib/vmhi/xen (xen_store.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen.h"

#define VALUE_BIT(v) (UINT64_C(1) << (v))

/* ------------------------------------------------------------ open/close */

static int set_param(char **dst, const char *name, const char *value)
{
    if (*dst)
        return xen_error(VMHI_E_INVALID_ARG, "xen: URI parameter '%s' given twice", name);
    if (strcmp(name, "cmdline") != 0 && value[0] != '/')
        return xen_error(VMHI_E_INVALID_ARG, "xen: URI parameter %s=%s must be an absolute "
                         "path", name, value);
    *dst = xen_strdup(value);
    return *dst ? VMHI_OK : xen_error(VMHI_E_NOMEM, "xen: out of memory");
}

static int parse_params(xen_conn *c, const vmhi_backend_uri *uri)
{
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < uri->nparams; i++) {
        const char *n = uri->param_names[i], *v = uri->param_values[i];
        if (strcmp(n, "kernel") == 0)
            rc = set_param(&c->kernel, n, v);
        else if (strcmp(n, "initrd") == 0)
            rc = set_param(&c->initrd, n, v);
        else if (strcmp(n, "cmdline") == 0)
            rc = set_param(&c->cmdline, n, v);
        else
            rc = xen_error(VMHI_E_INVALID_ARG, "xen: unknown URI parameter '%s'; known: "
                           "kernel, initrd, cmdline", n);
    }
    if (rc == VMHI_OK && (c->initrd || c->cmdline) && !c->kernel)
        rc = xen_error(VMHI_E_INVALID_ARG, "xen: initrd= and cmdline= need kernel=");
    return rc;
}

static void free_params(xen_conn *c)
{
    xen_free(c->kernel);
    xen_free(c->initrd);
    xen_free(c->cmdline);
    c->kernel = c->initrd = c->cmdline = NULL;
}

/* Saves libxl a confusing failure (and a log full of xenstore errors)
 * when this is not a dom0 at all. */
static int check_dom0(void)
{
    if (access("/proc/xen/capabilities", R_OK) != 0)
        return xen_error(VMHI_E_CONNECTION, "xen: this host is not a Xen dom0 (no "
                         "/proc/xen/capabilities: not running on Xen, or xenfs not mounted "
                         "on /proc/xen)");
    FILE *f = fopen("/proc/xen/capabilities", "r");
    char caps[64] = "";
    if (f) {
        if (!fgets(caps, sizeof(caps), f))
            caps[0] = '\0';
        fclose(f);
    }
    if (!strstr(caps, "control_d"))
        return xen_error(VMHI_E_CONNECTION, "xen: this is a Xen guest, not dom0 (/proc/xen/"
                         "capabilities has no control_d): only dom0 can manage domains");
    return VMHI_OK;
}

static int xen_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    if (!uri->scheme || strcmp(uri->scheme, "xen") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    xen_conn *c = priv;
    c->conn = conn;
    if (uri->host || uri->user || uri->port)
        return xen_error(VMHI_E_INVALID_ARG, "xen: '%s' names a host, but this backend "
                         "manages the dom0 it runs in; use xen:///", uri->uri);
    if (strcmp(uri->path, "/") != 0 && strcmp(uri->path, "/system") != 0)
        return xen_error(VMHI_E_INVALID_ARG, "xen: '%s': unknown path; use xen:/// or "
                         "xen:///system", uri->uri);
    int rc = parse_params(c, uri);
    if (rc == VMHI_OK)
        rc = check_dom0();
    if (rc == VMHI_OK)
        rc = xen_host_attach(c, XEN_DEFAULT_STATE_DIR);
    if (rc < 0) {
        free_params(c);
        return rc;
    }
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void xen_close(void *priv)
{
    xen_conn *c = priv;
    if (c->host)
        xen_host_detach(c);
    free_params(c);
}

/* ---------------------------------------------------------- host facts */

static void cpu_model(char *dst, size_t size)
{
    snprintf(dst, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon += strspn(colon + 1, " \t") + 1;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(dst, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static int xen_get_host_info(void *priv, vmhi_host_info *info)
{
    xen_conn *c = priv;
    xen_lock(c);
    libxl_ctx *ctx = c->host->ctx;
    const libxl_version_info *v = libxl_get_version_info(ctx);
    libxl_physinfo phys;
    libxl_physinfo_init(&phys);
    int lrc = libxl_get_physinfo(ctx, &phys);
    int rc = lrc ? xen_libxl_error(lrc, "cannot read the host's facts") : VMHI_OK;
    if (rc == VMHI_OK) {
        snprintf(info->hypervisor, sizeof(info->hypervisor), "Xen");
        if (v)
            snprintf(info->hypervisor_version, sizeof(info->hypervisor_version), "%d.%d%s",
                     v->xen_version_major, v->xen_version_minor,
                     v->xen_version_extra ? v->xen_version_extra : "");
        snprintf(info->backend_version, sizeof(info->backend_version), XEN_BACKEND_VERSION);
        if (gethostname(info->hostname, sizeof(info->hostname) - 1) != 0 || !info->hostname[0])
            snprintf(info->hostname, sizeof(info->hostname), "localhost");
        cpu_model(info->cpu_model, sizeof(info->cpu_model));
        info->cpus = phys.nr_cpus;
        info->memory_mib = phys.total_pages * 4 / 1024;
        info->free_memory_mib = phys.free_pages * 4 / 1024;
    }
    libxl_physinfo_dispose(&phys);
    return xen_unlock(c, rc);
}

static int xen_get_limit(void *priv, vmhi_limit limit, uint64_t *value)
{
    xen_conn *c = priv;
    switch (limit) {
    case VMHI_LIMIT_MAX_VCPUS: {
        int n = libxl_get_max_cpus(c->host->ctx);
        *value = n > 0 && (unsigned)n < XEN_MAX_VCPUS ? (unsigned)n : XEN_MAX_VCPUS;
        return VMHI_OK;
    }
    case VMHI_LIMIT_MIN_MEMORY_MIB: *value = XEN_MIN_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_MEMORY_MIB: {
        libxl_physinfo phys;
        libxl_physinfo_init(&phys);
        int lrc = libxl_get_physinfo(c->host->ctx, &phys);
        *value = lrc ? 0 : phys.total_pages * 4 / 1024;
        libxl_physinfo_dispose(&phys);
        return lrc ? xen_libxl_error(lrc, "cannot read the host's memory") : VMHI_OK;
    }
    case VMHI_LIMIT_MEMORY_GRANULARITY_MIB: *value = 1; return VMHI_OK;
    case VMHI_LIMIT_MAX_DISKS: *value = XEN_MAX_DISKS; return VMHI_OK;
    case VMHI_LIMIT_MAX_NICS: *value = XEN_MAX_NICS; return VMHI_OK;
    case VMHI_LIMIT_MAX_VMS: *value = XEN_MAX_VMS; return VMHI_OK;
    }
    return xen_error(VMHI_E_UNSUPPORTED, "xen: limit %d is not known", (int)limit);
}

/* ------------------------------------------------------------------ caps */

static int xen_get_op_caps(void *priv, vmhi_op op, unsigned int *caps)
{
    (void)priv;
    const unsigned sup = VMHI_CAP_SUPPORTED;
    const unsigned both = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
    switch (op) {
    case VMHI_OP_SHUTDOWN:
    case VMHI_OP_REBOOT:
        *caps = sup | VMHI_CAP_ASYNC; /* requests; the guest acts later */
        break;
    case VMHI_OP_SUSPEND:
        /* A PV guest saves itself (libxl asks it through control/shutdown):
         * one whose kernel does not take part makes the save time out
         * (xen_lifecycle.c, spec LC-SUSPEND-4). */
        *caps = sup | VMHI_CAP_GUEST;
        break;
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_SET_MAX_MEMORY: /* libxl_domain_setmaxmem works live */
    case VMHI_OP_SET_VCPUS:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_DETACH_DISK: /* libxl's removal waits for the guest: never pending */
    case VMHI_OP_DETACH_NIC:
    case VMHI_OP_GET_CONFIG:
        *caps = both;
        break;
    default:
        *caps = sup;
        break;
    }
    return VMHI_OK;
}

/* What a PV dom0 without a device model runs:
 *  - guests: PV (DEFAULT is PV), direct kernel boot only;
 *  - disks: blkfront (DEFAULT and XEN), raw images through blkback phy;
 *    qcow2 would need the qdisk backend of qemu-xen (docs/xen.md);
 *  - NICs: netfront (DEFAULT and XEN) on a host bridge, or on the network
 *    "default" (xl's default bridge, xenbr0);
 *  - shutdown: the PV control channel (DEFAULT is PV). */
static int xen_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    (void)priv;
    switch (kind) {
    case VMHI_VALUE_DISK_BUS:
        *values = VALUE_BIT(VMHI_DISK_BUS_DEFAULT) | VALUE_BIT(VMHI_DISK_BUS_XEN);
        break;
    case VMHI_VALUE_DISK_FORMAT:
        *values = VALUE_BIT(VMHI_DISK_FORMAT_RAW);
        break;
    case VMHI_VALUE_NIC_MODEL:
        *values = VALUE_BIT(VMHI_NIC_MODEL_DEFAULT) | VALUE_BIT(VMHI_NIC_MODEL_XEN);
        break;
    case VMHI_VALUE_NETWORK_KIND:
        *values = VALUE_BIT(VMHI_NETWORK_NAMED) | VALUE_BIT(VMHI_NETWORK_BRIDGE);
        break;
    case VMHI_VALUE_FIRMWARE:
        *values = VALUE_BIT(VMHI_FIRMWARE_BIOS); /* the default; PV has no firmware */
        break;
    case VMHI_VALUE_GUEST_TYPE:
        *values = VALUE_BIT(VMHI_GUEST_DEFAULT) | VALUE_BIT(VMHI_GUEST_PV);
        break;
    case VMHI_VALUE_BOOT_METHOD:
        /* "firmware" (no kernel in the description): the connection's
         * kernel= boots it, else start fails naming what is missing. */
        break;
    case VMHI_VALUE_SHUTDOWN_METHOD:
        *values = VALUE_BIT(VMHI_SHUTDOWN_DEFAULT) | VALUE_BIT(VMHI_SHUTDOWN_PV);
        break;
    default: /* disk access: read-write and read-only */
        break;
    }
    return VMHI_OK;
}

static int xen_events_enable(void *priv, unsigned int mask)
{
    (void)priv, (void)mask; /* the event thread runs anyway: it destroys and rebuilds domains */
    return VMHI_OK;
}

/* ----------------------------------------------------------------- table */

static const char *const xen_schemes[] = { "xen", NULL };

static const vmhi_backend_ops xen_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "xen",
    .schemes = xen_schemes,
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL | VMHI_PROFILE_MEMORY |
                VMHI_PROFILE_VCPU | VMHI_PROFILE_DEVICES | VMHI_PROFILE_EVENTS |
                VMHI_PROFILE_PERSISTENCE,
    .flags = 0,
    .conn_priv_size = sizeof(xen_conn),
    .version = XEN_BACKEND_VERSION,
    .open = xen_open,
    .close = xen_close,
    .get_host_info = xen_get_host_info,
    .get_op_caps = xen_get_op_caps,
    .get_limit = xen_get_limit,
    .list_vms = xen_list_vms,
    .lookup = xen_lookup,
    .define = xen_define,
    .undefine = xen_undefine,
    .create = xen_create,
    .start = xen_start,
    .shutdown = xen_shutdown,
    .poweroff = xen_poweroff,
    .reboot = xen_reboot,
    .reset = xen_reset,
    .pause = xen_pause,
    .resume = xen_resume,
    .suspend = xen_suspend,
    .get_info = xen_get_info,
    .get_config = xen_get_config,
    .set_memory = xen_set_memory,
    .set_max_memory = xen_set_max_memory,
    .get_memory_stats = xen_get_memory_stats,
    .set_vcpus = xen_set_vcpus,
    .get_vcpus = xen_get_vcpus,
    .attach_disk = xen_attach_disk,
    .detach_disk = xen_detach_disk,
    .attach_nic = xen_attach_nic,
    .detach_nic = xen_detach_nic,
    .list_devices = xen_list_devices,
    .events_enable = xen_events_enable,
    .get_profiles = NULL,
    .get_value_caps = xen_get_value_caps,
};

#define XEN_CORE_SERVICES_NEEDED \
    (offsetof(vmhi_core_services, error_discard) + sizeof(void (*)(vmhi_saved_error *)))

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops);
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops)
{
    if (!core || !ops)
        return VMHI_E_INVALID_ARG;
    if ((core->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        core->struct_size < XEN_CORE_SERVICES_NEEDED)
        return VMHI_E_MODULE;
    xen_core = core;
    *ops = &xen_ops;
    return VMHI_OK;
}
