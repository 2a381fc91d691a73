/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ESX backend module: its ops table and entry symbol, opening and
 * closing connections, host facts, capabilities and limits.
 *
 * URIs:  esx://[user@]host[:port]/[?params]            an ESXi host
 *        vpx://[user@]vcenter[:port]/[<dc>[/<cluster-or-host>]][?params]
 * Parameters:
 *   cafile=<PEM file>   CA certificates that sign the server's certificate
 *   no_verify=1         do not verify the certificate (insecure; logged)
 *   transport=http      plain HTTP instead of HTTPS (tests, proxies)
 *   cache_ms=N          how long facts read by a listing answer lookups and
 *                       get_info without asking the server (default 500;
 *                       0: always ask).  Own changes are always re-read.
 * The user name comes from the URI or the credential callback; the
 * password always from the callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "esx.h"

const vmhi_core_services *esx_core;

/* Limits of ESXi 6.5 and later (VMware's configuration maximums); disks
 * and NICs are what this backend attaches (one SCSI controller). */
#define ESX_MAX_VCPUS 128u
#define ESX_MIN_MEMORY_MIB 4u
#define ESX_MAX_MEMORY_MIB (6128u * 1024u)
#define ESX_MEMORY_GRANULARITY_MIB 4u
#define ESX_MAX_DISKS 15u
#define ESX_MAX_NICS 10u
#define ESX_MAX_VMS 1024u

void esx_lock(esx_conn *c)
{
    pthread_mutex_lock(&c->lock);
}

void esx_unlock(esx_conn *c)
{
    pthread_mutex_unlock(&c->lock);
}

void esx_log(esx_conn *c, int level, const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    esx_core->log(c->conn, level, "%s", line);
}

/* ------------------------------------------------------------ options */

static int parse_bool(const char *name, const char *value, bool *out)
{
    if (strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
        *out = true;
    else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
        *out = false;
    else
        return esx_error(VMHI_E_INVALID_ARG, "esx: %s=%s: use %s=1 or %s=0", name, value, name,
                         name);
    return VMHI_OK;
}

static int parse_param(esx_options *o, const char *name, const char *value)
{
    if (strcmp(name, "no_verify") == 0)
        return parse_bool(name, value, &o->no_verify);
    if (strcmp(name, "cafile") == 0) {
        if (!value[0])
            return esx_error(VMHI_E_INVALID_ARG, "esx: cafile= needs the path of a PEM file");
        esx_free(o->cafile);
        return (o->cafile = esx_strdup(value)) ? VMHI_OK : VMHI_E_NOMEM;
    }
    if (strcmp(name, "transport") == 0) {
        if (strcmp(value, "https") != 0 && strcmp(value, "http") != 0)
            return esx_error(VMHI_E_INVALID_ARG, "esx: transport=%s: use https (the default) "
                             "or http", value);
        o->plain_http = strcmp(value, "http") == 0;
        return VMHI_OK;
    }
    if (strcmp(name, "cache_ms") == 0) {
        uint64_t ms;
        if (!esx_parse_u64(value, &ms) || ms > 3600000u)
            return esx_error(VMHI_E_INVALID_ARG, "esx: cache_ms=%s: give milliseconds, "
                             "0 to 3600000", value);
        o->cache_ms = (unsigned int)ms;
        return VMHI_OK;
    }
    return esx_error(VMHI_E_INVALID_ARG, "esx: unknown URI parameter '%s'; known: cafile=, "
                     "no_verify=1, transport=http, cache_ms=", name);
}

int esx_options_parse(const vmhi_backend_uri *uri, esx_options *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = ESX_DEFAULT_TIMEOUT_MS;
    o->cache_ms = ESX_DEFAULT_CACHE_MS;
    if (!uri->host)
        return esx_error(VMHI_E_INVALID_ARG, "esx: '%s' names no host; use %s://host[:port]/",
                         uri->uri, uri->scheme);
    for (size_t i = 0; i < uri->nparams; i++) {
        int rc = parse_param(o, uri->param_names[i], uri->param_values[i]);
        if (rc < 0)
            return rc;
    }
    if (o->plain_http && (o->no_verify || o->cafile))
        return esx_error(VMHI_E_INVALID_ARG, "esx: transport=http has no certificate to check; "
                         "drop cafile= and no_verify=");
    bool v6 = strchr(uri->host, ':') != NULL;
    char port[16] = "";
    if (uri->port)
        snprintf(port, sizeof(port), ":%d", uri->port);
    size_t n = strlen(uri->host) + 40;
    o->endpoint = esx_alloc(n);
    o->host = esx_alloc(n);
    if (!o->endpoint || !o->host)
        return VMHI_E_NOMEM;
    snprintf(o->host, n, "%s%s%s%s", v6 ? "[" : "", uri->host, v6 ? "]" : "", port);
    snprintf(o->endpoint, n, "%s://%s/sdk", o->plain_http ? "http" : "https", o->host);
    return VMHI_OK;
}

void esx_options_free(esx_options *o)
{
    esx_free(o->endpoint);
    esx_free(o->host);
    esx_free(o->cafile);
    memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------- open / close */

static void conn_release(esx_conn *c)
{
    esx_watch_stop(c);
    if (c->main.curl)
        esx_session_close(c);
    esx_transport_cleanup(&c->main);
    esx_cache_free(&c->cache);
    esx_options_free(&c->opts);
    esx_free(c->user);
    c->user = NULL;
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->session.lock);
}

static int conn_open(esx_conn *c, const vmhi_backend_uri *uri)
{
    int rc = esx_options_parse(uri, &c->opts);
    if (rc < 0)
        return rc;
    if (uri->user && !(c->user = esx_strdup(uri->user)))
        return VMHI_E_NOMEM;
    if (c->opts.no_verify)
        esx_log(c, VMHI_LOG_WARN, "TLS certificate verification is DISABLED for %s "
                "(no_verify=1): anyone on the network path can pose as the server and "
                "read the password", c->opts.host);
    if (c->opts.plain_http)
        esx_log(c, VMHI_LOG_WARN, "plain HTTP to %s (transport=http): the password and "
                "everything else cross the network unencrypted", c->opts.host);
    rc = esx_transport_init(&c->main, &c->opts, &c->session, &c->never_abort);
    if (rc == VMHI_OK)
        rc = esx_session_open(c);
    if (rc == VMHI_OK)
        rc = esx_scope_resolve(c, uri->path);
    if (rc == VMHI_OK)
        rc = esx_watch_start(c);
    return rc;
}

static int esx_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    bool vpx = strcmp(uri->scheme, "vpx") == 0;
    if (!vpx && strcmp(uri->scheme, "esx") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    esx_conn *c = priv;
    c->conn = conn;
    c->vpx = vpx;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->session.lock, NULL);
    atomic_init(&c->never_abort, false);
    int rc = conn_open(c, uri);
    if (rc < 0) {
        /* Logging out of a half-open session may fail too; the reason
         * the open failed is the one to report. */
        vmhi_saved_error *held = esx_error_hold(rc);
        conn_release(c);
        return esx_slot_end(esx_error_resume(rc, held));
    }
    c->opened = true;
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void esx_close(void *priv)
{
    esx_conn *c = priv;
    if (c->opened)
        conn_release(c);
    c->opened = false;
}

/* ---------------------------------------------------------- host facts */

static void fill_host(vmhi_host_info *info, const esx_reply *r)
{
    char text[256];
    uint64_t n, used;
    esx_xml_text(esx_reply_prop(r, "name"), text, sizeof(text));
    esx_copy(info->hostname, sizeof(info->hostname), text);
    esx_xml_text(esx_reply_prop(r, "summary.hardware.cpuModel"), text, sizeof(text));
    esx_copy(info->cpu_model, sizeof(info->cpu_model), text);
    if (esx_parse_u64(esx_xml_text(esx_reply_prop(r, "summary.hardware.numCpuThreads"), text,
                                   sizeof(text)), &n))
        info->cpus = (unsigned int)n;
    if (esx_parse_u64(esx_xml_text(esx_reply_prop(r, "summary.hardware.memorySize"), text,
                                   sizeof(text)), &n))
        info->memory_mib = n >> 20;
    if (info->memory_mib &&
        esx_parse_u64(esx_xml_text(esx_reply_prop(r, "summary.quickStats.overallMemoryUsage"),
                                   text, sizeof(text)), &used))
        info->free_memory_mib = used < info->memory_mib ? info->memory_mib - used : 0;
}

static int esx_get_host_info(void *priv, vmhi_host_info *info)
{
    static const char *const paths[] = { "name", "summary.hardware.cpuModel",
                                         "summary.hardware.numCpuThreads",
                                         "summary.hardware.memorySize",
                                         "summary.quickStats.overallMemoryUsage", NULL };
    esx_conn *c = priv;
    esx_copy(info->hypervisor, sizeof(info->hypervisor), c->vpx ? "vCenter" : "ESXi");
    esx_copy(info->hypervisor_version, sizeof(info->hypervisor_version),
             c->refs.about_version);
    esx_copy(info->backend_version, sizeof(info->backend_version), VMHI_VERSION_STRING);
    if (!c->refs.host[0])
        return VMHI_OK;
    esx_reply r;
    int rc = esx_read_props(c, "HostSystem", c->refs.host, paths, &r);
    if (rc < 0)
        return esx_slot_end(rc);
    fill_host(info, &r);
    esx_reply_free(&r);
    return VMHI_OK;
}

/* A VM RebootGuest may safely be tried on: one that is not running. */
static bool probe_target(esx_conn *c, char *moref)
{
    moref[0] = '\0';
    esx_lock(c);
    for (size_t i = 0; i < c->cache.count && !moref[0]; i++) {
        const esx_vm *vm = c->cache.vms[i];
        if (vm->known && !vm->template_vm && vm->power == ESX_POWER_OFF)
            esx_copy(moref, ESX_MOREF_MAX + 1, vm->moref);
    }
    esx_unlock(c);
    return moref[0] != '\0';
}

/* Whether the server implements RebootGuest (VMware's simulator does not).
 * Asked once per connection, of a shut-off VM: a real host refuses the
 * request (InvalidPowerState), a server without the method says
 * MethodNotFound.  Without a shut-off VM to ask, reboot stays unclaimed. */
static bool reboot_implemented(esx_conn *c)
{
    char moref[ESX_MOREF_MAX + 1], fault[64];
    if (c->reboot_guest)
        return c->reboot_guest > 0;
    if (!probe_target(c, moref) &&
        (esx_inventory_load(c) < 0 || !probe_target(c, moref)))
        return false;
    /* Asked right after a fresh read: a VM powered on meanwhile is not
     * asked to reboot. */
    esx_vm now;
    if (esx_inventory_refresh(c, moref, &now) < 0 || now.power != ESX_POWER_OFF) {
        vmhi_error_clear();
        return false;
    }
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "RebootGuest", "VirtualMachine", moref);
    esx_soap_end(&b, "RebootGuest");
    int rc = esx_call_on(c, &c->main, "RebootGuest", &b, &r, fault);
    esx_buf_free(&b);
    if (rc == VMHI_OK)
        esx_reply_free(&r);
    if (rc == VMHI_OK || fault[0])
        c->reboot_guest = strcmp(fault, "MethodNotFound") == 0 ||
                          strcmp(fault, "NotImplemented") == 0 ? -1 : 1;
    vmhi_error_clear(); /* the probe's fault is no failure of the caller */
    return c->reboot_guest > 0;
}

static int esx_get_op_caps(void *priv, vmhi_op op, unsigned int *caps)
{
    const unsigned int sup = VMHI_CAP_SUPPORTED;
    switch (op) {
    case VMHI_OP_SHUTDOWN:
        *caps = sup | VMHI_CAP_ASYNC;
        return VMHI_OK;
    case VMHI_OP_REBOOT:
        *caps = reboot_implemented(priv) ? sup | VMHI_CAP_ASYNC : 0;
        return VMHI_OK;
    case VMHI_OP_GET_CONFIG: /* config.* of an active VM; the waiting definition or config.* */
        *caps = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
        return VMHI_OK;
    case VMHI_OP_SET_MEMORY: /* memoryAllocation.limit changes while the VM runs */
        *caps = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
        return VMHI_OK;
    case VMHI_OP_SET_MAX_MEMORY:
    case VMHI_OP_SET_VCPUS: /* no vCPU hot-plug a client may rely on */
        *caps = sup | VMHI_CAP_CONFIG;
        return VMHI_OK;
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_DETACH_NIC:
        *caps = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
        return VMHI_OK;
    default:
        *caps = sup;
        return VMHI_OK;
    }
}

static int esx_get_limit(void *priv, vmhi_limit limit, uint64_t *value)
{
    switch (limit) {
    case VMHI_LIMIT_MAX_VCPUS: *value = ESX_MAX_VCPUS; return VMHI_OK;
    case VMHI_LIMIT_MIN_MEMORY_MIB: *value = ESX_MIN_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_MEMORY_MIB: *value = ESX_MAX_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MEMORY_GRANULARITY_MIB: *value = ESX_MEMORY_GRANULARITY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_DISKS: *value = ESX_MAX_DISKS; return VMHI_OK;
    case VMHI_LIMIT_MAX_NICS: *value = ESX_MAX_NICS; return VMHI_OK;
    case VMHI_LIMIT_MAX_VMS: *value = ESX_MAX_VMS; return VMHI_OK;
    }
    return esx_error(VMHI_E_UNSUPPORTED, "esx: limit %d is not known", (int)limit);
}

#define VALUE(v) (UINT64_C(1) << (v))

/* What ESX honours of each kind (the core keeps DEFAULT values set):
 *  - disk buses: PVSCSI (also DEFAULT), LSI Logic SCSI, SATA (AHCI), IDE;
 *    no virtio, no Xen blkfront
 *  - disk formats: vmdk, and raw (a flat VMDK); no qcow2
 *  - access: read-write only (vSphere has no read-only disk mode)
 *  - NIC models: vmxnet3 (also DEFAULT), e1000
 *  - networks: named port groups only (no QEMU user mode, no host bridge)
 *  - firmware: BIOS and UEFI (config.firmware "efi")
 *  - guest types: HVM (also DEFAULT): ESX has no PV or PVH guests
 *  - boot: firmware only; ESX has no direct kernel boot
 *  - shutdown: ShutdownGuest, which asks VMware Tools: the guest agent */
static int esx_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    (void)priv;
    switch (kind) {
    case VMHI_VALUE_DISK_BUS:
        *values &= VALUE(VMHI_DISK_BUS_DEFAULT) | VALUE(VMHI_DISK_BUS_PVSCSI) |
                   VALUE(VMHI_DISK_BUS_SCSI) | VALUE(VMHI_DISK_BUS_SATA) |
                   VALUE(VMHI_DISK_BUS_IDE);
        break;
    case VMHI_VALUE_DISK_FORMAT:
        *values &= VALUE(VMHI_DISK_FORMAT_RAW) | VALUE(VMHI_DISK_FORMAT_VMDK);
        break;
    case VMHI_VALUE_DISK_ACCESS:
        *values &= VALUE(0);
        break;
    case VMHI_VALUE_NIC_MODEL:
        *values &= VALUE(VMHI_NIC_MODEL_DEFAULT) | VALUE(VMHI_NIC_MODEL_VMXNET3) |
                   VALUE(VMHI_NIC_MODEL_E1000);
        break;
    case VMHI_VALUE_NETWORK_KIND:
        *values &= VALUE(VMHI_NETWORK_NAMED);
        break;
    case VMHI_VALUE_FIRMWARE:
        *values &= VALUE(VMHI_FIRMWARE_BIOS) | VALUE(VMHI_FIRMWARE_UEFI);
        break;
    case VMHI_VALUE_GUEST_TYPE:
        *values &= VALUE(VMHI_GUEST_DEFAULT) | VALUE(VMHI_GUEST_HVM);
        break;
    case VMHI_VALUE_BOOT_METHOD:
        *values &= VALUE(VMHI_BOOT_METHOD_FIRMWARE);
        break;
    case VMHI_VALUE_SHUTDOWN_METHOD:
        *values &= VALUE(VMHI_SHUTDOWN_DEFAULT) | VALUE(VMHI_SHUTDOWN_GUEST_AGENT);
        break;
    }
    return VMHI_OK;
}

static const char *const esx_schemes[] = { "esx", "vpx", NULL };

static const vmhi_backend_ops esx_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "esx",
    .schemes = esx_schemes,
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_MEMORY | VMHI_PROFILE_DEVICES |
                VMHI_PROFILE_EVENTS | VMHI_PROFILE_PERSISTENCE,
    .flags = 0,
    .conn_priv_size = sizeof(esx_conn),
    .version = VMHI_VERSION_STRING,
    .open = esx_open,
    .close = esx_close,
    .get_host_info = esx_get_host_info,
    .get_op_caps = esx_get_op_caps,
    .get_limit = esx_get_limit,
    .list_vms = esx_list_vms,
    .lookup = esx_lookup,
    .define = esx_define,
    .undefine = esx_undefine,
    .start = esx_start,
    .shutdown = esx_shutdown,
    .poweroff = esx_poweroff,
    .reboot = esx_reboot,
    .reset = esx_reset,
    .suspend = esx_suspend,
    .get_info = esx_get_info,
    .get_config = esx_get_config,
    .set_memory = esx_set_memory,
    .set_max_memory = esx_set_max_memory,
    .get_memory_stats = esx_get_memory_stats,
    .set_vcpus = esx_set_vcpus,
    .attach_disk = esx_attach_disk,
    .detach_disk = esx_detach_disk,
    .attach_nic = esx_attach_nic,
    .detach_nic = esx_detach_nic,
    .list_devices = esx_list_devices,
    .events_enable = esx_events_enable,
    .get_value_caps = esx_get_value_caps,
};

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops)
{
    if (!core || !ops)
        return VMHI_E_INVALID_ARG;
    if ((core->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        core->struct_size < sizeof(vmhi_core_services))
        return VMHI_E_MODULE;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return VMHI_E_MODULE;
    xmlInitParser();
    esx_core = core;
    *ops = &esx_ops;
    return VMHI_OK;
}
