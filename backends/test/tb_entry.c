/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `test` backend's ops table, entry function and connection-level
 * slots (open, close, host facts, capabilities, limits, event mask).
 *
 * URIs:
 *   test:///default            a fresh, empty in-memory host per connection;
 *                              nothing outlives the connection (the
 *                              Persistence profile then holds per connection)
 *   test:///<absolute dir>     a host persisted in that directory (created
 *                              0700 when missing); see tb_store.c
 * Query parameters:
 *   guest=cooperative          (default) shutdown, reboot and device unplug
 *                              complete ~20 ms later on a worker thread, so
 *                              pending states and events can be observed
 *   guest=unresponsive         the guest ignores them: shutdown stays
 *                              shutting-down, detaches stay pending
 *   guest=instant              they complete before the call returns
 *   suspend=hypervisor         (default) a suspend needs nothing of the guest
 *   suspend=guest              it needs the guest to take part, as a Xen PV
 *                              save does (VMHI_CAP_GUEST): an unresponsive
 *                              guest makes it fail with VMHI_E_TIMEOUT
 *   refuse=<kind>:<value>,...  those values are not declared (get_value_caps)
 *   lie=<kind>:<value>,...     those values are declared but refused anyway
 *                              (a deliberately broken backend; tb_values.c)
 * The guest mode belongs to the connection that makes the request.
 *
 * The simulated host: hypervisor "Test" 1.0.0, 8 CPUs, 16384 MiB.  Per VM:
 * at most 64 vCPUs, 16 to 16384 MiB of memory in steps of 1 MiB, 64 disks,
 * 32 NICs; at most 1024 VMs.  The memory of running, paused and
 * shutting-down VMs together may not exceed the host's (VMHI_E_TRY_AGAIN).
 */
#include <string.h>

#include "tb.h"
#include "test_backend.h"

const vmhi_core_services *tb_core;

static int parse_guest_mode(const char *value, tb_guest_mode *mode)
{
    static const struct { const char *name; tb_guest_mode mode; } modes[] = {
        { "cooperative", TB_GUEST_COOPERATIVE },
        { "unresponsive", TB_GUEST_UNRESPONSIVE },
        { "instant", TB_GUEST_INSTANT },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(value, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return VMHI_OK;
        }
    }
    return tb_error(VMHI_E_INVALID_ARG,
                    "test backend: guest=%s is not a guest mode; use cooperative, "
                    "unresponsive or instant", value);
}

/* Each parameter at most once: a repeated one is almost always a typo. */
static int once(bool *seen, const char *name)
{
    if (*seen)
        return tb_error(VMHI_E_INVALID_ARG,
                        "test backend: URI parameter '%s' given twice; give it once", name);
    *seen = true;
    return VMHI_OK;
}

static int parse_suspend_mode(const char *value, bool *needs_guest)
{
    if (strcmp(value, "hypervisor") == 0 || strcmp(value, "guest") == 0) {
        *needs_guest = value[0] == 'g';
        return VMHI_OK;
    }
    return tb_error(VMHI_E_INVALID_ARG, "test backend: suspend=%s is not a suspend mode; use "
                    "hypervisor or guest", value);
}

static int parse_param(tb_conn *c, const char *name, const char *value, bool seen[4])
{
    int rc;
    if (strcmp(name, "guest") == 0)
        return (rc = once(&seen[0], name)) < 0 ? rc : parse_guest_mode(value, &c->guest);
    if (strcmp(name, "refuse") == 0)
        return (rc = once(&seen[1], name)) < 0 ? rc : tb_values_parse(name, value, c->refused);
    if (strcmp(name, "lie") == 0)
        return (rc = once(&seen[2], name)) < 0 ? rc : tb_values_parse(name, value, c->lied);
    if (strcmp(name, "suspend") == 0)
        return (rc = once(&seen[3], name)) < 0 ? rc
                                               : parse_suspend_mode(value, &c->suspend_needs_guest);
    return tb_error(VMHI_E_INVALID_ARG,
                    "test backend: unknown URI parameter '%s'; the parameters are "
                    "guest=cooperative|unresponsive|instant, suspend=hypervisor|guest, "
                    "refuse=<kind>:<value>,... and lie=<kind>:<value>,...", name);
}

static int parse_params(const vmhi_backend_uri *uri, tb_conn *c)
{
    bool seen[4] = { false, false, false, false };
    c->guest = TB_GUEST_COOPERATIVE;
    c->suspend_needs_guest = false;
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < uri->nparams; i++)
        rc = parse_param(c, uri->param_names[i], uri->param_values[i], seen);
    return rc;
}

/* Checks the authority and path; @dir is NULL for the in-memory host. */
static int parse_location(const vmhi_backend_uri *uri, const char **dir)
{
    if (uri->host || uri->user || uri->port)
        return tb_error(VMHI_E_INVALID_ARG,
                        "test backend: '%s' names a host, but the test hypervisor is local; "
                        "use test:///default or test:///<absolute directory>", uri->uri);
    const char *path = uri->path ? uri->path : "/";
    if (strcmp(path, "/default") == 0 || strcmp(path, "/default/") == 0) {
        *dir = NULL;
        return VMHI_OK;
    }
    if (path[0] != '/' || strcmp(path, "/") == 0)
        return tb_error(VMHI_E_INVALID_ARG,
                        "test backend: '%s' has no path; use test:///default or "
                        "test:///<absolute directory>", uri->uri);
    *dir = path;
    return VMHI_OK;
}

static int tb_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    if (!uri->scheme || strcmp(uri->scheme, "test") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    tb_conn *c = priv;
    const char *dir = NULL;
    int rc = parse_location(uri, &dir);
    if (rc == VMHI_OK)
        rc = parse_params(uri, c);
    if (rc < 0)
        return rc;
    c->conn = conn;
    c->event_mask = VMHI_EVENT_ALL_1_0;
    rc = tb_host_attach(c, dir);
    return rc < 0 ? rc : VMHI_BACKEND_OPEN_SUCCESS;
}

static void tb_close(void *priv)
{
    tb_conn *c = priv;
    if (c->host)
        tb_host_detach(c);
}

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int tb_get_host_info(void *priv, vmhi_host_info *info)
{
    tb_host *h = ((tb_conn *)priv)->host;
    copy_text(info->hypervisor, sizeof(info->hypervisor), "Test");
    copy_text(info->hypervisor_version, sizeof(info->hypervisor_version), "1.0.0");
    copy_text(info->backend_version, sizeof(info->backend_version), VMHI_VERSION_STRING);
    copy_text(info->hostname, sizeof(info->hostname), "test-host");
    copy_text(info->cpu_model, sizeof(info->cpu_model), "VMHI Test CPU");
    info->cpus = TB_HOST_CPUS;
    info->memory_mib = TB_HOST_MEMORY_MIB;
    pthread_mutex_lock(&h->lock);
    info->free_memory_mib = TB_HOST_MEMORY_MIB - tb_host_memory_in_use(h, NULL);
    pthread_mutex_unlock(&h->lock);
    return VMHI_OK;
}

static int tb_get_op_caps(void *priv, vmhi_op op, unsigned int *caps)
{
    const unsigned int sup = VMHI_CAP_SUPPORTED;
    const unsigned int both = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
    switch (op) {
    case VMHI_OP_SHUTDOWN:
    case VMHI_OP_REBOOT:
        *caps = sup | VMHI_CAP_ASYNC;
        return VMHI_OK;
    case VMHI_OP_SUSPEND:
        *caps = ((tb_conn *)priv)->suspend_needs_guest ? sup | VMHI_CAP_GUEST : sup;
        return VMHI_OK;
    case VMHI_OP_GET_CONFIG: /* the live config and the definition, see tb_get_config() */
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_SET_MAX_MEMORY: /* live: MEM-12, as libxl raises a running domain's */
    case VMHI_OP_SET_VCPUS:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC:
        *caps = both;
        return VMHI_OK;
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_DETACH_NIC:
        *caps = both | VMHI_CAP_ASYNC;
        return VMHI_OK;
    default:
        if (op >= VMHI_OP_LIST && op <= VMHI_OP_EVENTS) {
            *caps = sup;
            return VMHI_OK;
        }
        *caps = 0;
        return tb_error(VMHI_E_INVALID_ARG, "test backend: unknown operation %d", (int)op);
    }
}

static int tb_get_limit(void *priv, vmhi_limit limit, uint64_t *value)
{
    switch (limit) {
    case VMHI_LIMIT_MAX_VCPUS: *value = TB_MAX_VCPUS; return VMHI_OK;
    case VMHI_LIMIT_MIN_MEMORY_MIB: *value = TB_MIN_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_MEMORY_MIB: *value = TB_MAX_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MEMORY_GRANULARITY_MIB: *value = TB_MEMORY_GRANULARITY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_DISKS: *value = TB_MAX_DISKS; return VMHI_OK;
    case VMHI_LIMIT_MAX_NICS: *value = TB_MAX_NICS; return VMHI_OK;
    case VMHI_LIMIT_MAX_VMS: *value = TB_MAX_VMS; return VMHI_OK;
    }
    return tb_error(VMHI_E_UNSUPPORTED, "test backend: limit %d is not known", (int)limit);
}

static int tb_events_enable(void *priv, unsigned int mask)
{
    tb_conn *c = priv;
    pthread_mutex_lock(&c->host->lock);
    c->event_mask = mask;
    pthread_mutex_unlock(&c->host->lock);
    return VMHI_OK;
}

static const char *const tb_schemes[] = { "test", NULL };

/* test:///default is a private host that ends with its connection (spec
 * section 14): only directory hosts claim Persistence. */
static int tb_get_profiles(void *priv, uint32_t *out)
{
    const tb_conn *c = priv;
    if (!c->host->dir)
        *out &= ~(uint32_t)VMHI_PROFILE_PERSISTENCE;
    return VMHI_OK;
}

static const vmhi_backend_ops tb_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "test",
    .schemes = tb_schemes,
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL | VMHI_PROFILE_MEMORY |
                VMHI_PROFILE_VCPU | VMHI_PROFILE_DEVICES | VMHI_PROFILE_EVENTS |
                VMHI_PROFILE_PERSISTENCE,
    .flags = VMHI_BACKEND_FLAG_THREADSAFE,
    .conn_priv_size = sizeof(tb_conn),
    .version = VMHI_VERSION_STRING,
    .open = tb_open,
    .close = tb_close,
    .get_host_info = tb_get_host_info,
    .get_op_caps = tb_get_op_caps,
    .get_limit = tb_get_limit,
    .list_vms = tb_list_vms,
    .lookup = tb_lookup,
    .define = tb_define,
    .undefine = tb_undefine,
    .create = tb_create,
    .start = tb_start,
    .shutdown = tb_shutdown,
    .poweroff = tb_poweroff,
    .reboot = tb_reboot,
    .reset = tb_reset,
    .pause = tb_pause,
    .resume = tb_resume,
    .suspend = tb_suspend,
    .get_info = tb_get_info,
    .get_config = tb_get_config,
    .set_memory = tb_set_memory,
    .set_max_memory = tb_set_max_memory,
    .get_memory_stats = tb_get_memory_stats,
    .set_vcpus = tb_set_vcpus,
    .get_vcpus = tb_get_vcpus,
    .attach_disk = tb_attach_disk,
    .detach_disk = tb_detach_disk,
    .attach_nic = tb_attach_nic,
    .detach_nic = tb_detach_nic,
    .list_devices = tb_list_devices,
    .events_enable = tb_events_enable,
    .get_profiles = tb_get_profiles,
    .get_value_caps = tb_get_value_caps,
};

int vmhi_test_backend_entry(const vmhi_core_services *core, const vmhi_backend_ops **ops)
{
    if (!core || !ops)
        return VMHI_E_INVALID_ARG;
    /* Everything used here is in the 1.0 table: refuse anything shorter. */
    if ((core->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        core->struct_size < sizeof(vmhi_core_services))
        return VMHI_E_MODULE;
    tb_core = core;
    *ops = &tb_ops;
    return VMHI_OK;
}
