/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Connections: open by URI, close, host facts, capabilities and limits.
 */
#include <string.h>

#include "core.h"

int vmhi_conn_options_init(vmhi_conn_options *opts, unsigned int version)
{
    vmhi__error_reset();
    if (!opts)
        return vmhi__error(VMHI_E_INVALID_ARG, "options pointer is NULL");
    if (version != VMHI_CONN_OPTIONS_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "options version %u is not supported (this libvmhi knows %d)",
                           version, VMHI_CONN_OPTIONS_VERSION);
    const vmhi_conn_options defaults = VMHI_CONN_OPTIONS_INIT;
    *opts = defaults;
    return VMHI_OK;
}

static int copy_options(vmhi_conn *conn, const vmhi_conn_options *opts)
{
    const vmhi_conn_options defaults = VMHI_CONN_OPTIONS_INIT;
    conn->opts = defaults;
    if (!opts)
        return VMHI_OK;
    if (opts->version == 0 || opts->version > VMHI_CONN_OPTIONS_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_conn_options.version is %u; initialize it with "
                           "VMHI_CONN_OPTIONS_INIT",
                           opts->version);
    if (opts->flags & ~VMHI_CONN_FLAG_ALL_1_1)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_conn_options.flags has unknown bits 0x%x; only "
                           "VMHI_CONN_READONLY is defined",
                           opts->flags & ~VMHI_CONN_FLAG_ALL_1_1);
    conn->opts = *opts;
    return VMHI_OK;
}

static void fill_backend_uri(vmhi_conn *conn)
{
    const vmhi__uri *u = conn->uri;
    conn->buri.struct_size = sizeof(conn->buri);
    conn->buri.uri = u->normalized;
    conn->buri.scheme = u->scheme;
    conn->buri.user = u->user;
    conn->buri.host = u->host;
    conn->buri.port = u->port;
    conn->buri.path = u->path;
    conn->buri.nparams = u->nparams;
    conn->buri.param_names = (const char *const *)u->names;
    conn->buri.param_values = (const char *const *)u->values;
}

/* Releases the backend side: after this no slot runs for the connection. */
static void conn_shutdown(vmhi_conn *conn)
{
    vmhi__events_stop_thread(&conn->events);
    if (conn->opened)
        conn->ops->close(conn->priv);
    conn->opened = false;
    atomic_store(&conn->closed, true);
}

static void conn_free(vmhi_conn *conn)
{
    vmhi__events_destroy(&conn->events);
    vmhi__free(conn->priv);
    vmhi__uri_free(conn->uri);
    pthread_mutex_destroy(&conn->call_lock);
    vmhi__free(conn);
}

void vmhi__conn_ref(vmhi_conn *conn)
{
    atomic_fetch_add(&conn->refs, 1);
}

void vmhi__conn_unref(vmhi_conn *conn)
{
    if (atomic_fetch_sub(&conn->refs, 1) == 1)
        conn_free(conn);
}

int vmhi__check_vm(const vmhi_vm *vm)
{
    if (!vm)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM handle is NULL");
    if (atomic_load(&vm->conn->closed))
        return vmhi__error(VMHI_E_CONNECTION,
                           "the connection of VM '%s' was closed; free the handle", vm->name);
    return VMHI_OK;
}

int vmhi_conn_open(vmhi_conn **out, const char *uri, const vmhi_conn_options *opts)
{
    vmhi__error_reset();
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer is NULL");
    *out = NULL;
    vmhi_conn *conn = vmhi__calloc(1, sizeof(*conn));
    if (!conn)
        return vmhi__error_oom();
    atomic_init(&conn->refs, 1);
    atomic_init(&conn->closed, false);
    pthread_mutex_init(&conn->call_lock, NULL);
    int rc = vmhi__events_init(&conn->events);
    if (rc) {
        pthread_mutex_destroy(&conn->call_lock);
        vmhi__free(conn);
        return rc;
    }
    rc = copy_options(conn, opts);
    if (!rc)
        rc = vmhi__uri_parse(uri, &conn->uri);
    if (!rc) {
        fill_backend_uri(conn);
        rc = vmhi__registry_open(conn, conn->uri);
    }
    if (rc) {
        conn_shutdown(conn);
        conn_free(conn);
        return rc;
    }
    conn->serialize = !(conn->ops->flags & VMHI_BACKEND_FLAG_THREADSAFE);
    *out = conn;
    return VMHI_OK;
}

void vmhi_conn_close(vmhi_conn *conn)
{
    if (!conn)
        return;
    conn_shutdown(conn);
    vmhi__conn_unref(conn);
}

const char *vmhi_conn_get_uri(const vmhi_conn *conn)
{
    return conn ? conn->uri->normalized : NULL;
}

const char *vmhi_conn_get_backend(const vmhi_conn *conn)
{
    return conn ? conn->ops->name : NULL;
}

void vmhi__conn_lock(vmhi_conn *conn)
{
    if (conn->serialize)
        pthread_mutex_lock(&conn->call_lock);
}

void vmhi__conn_unlock(vmhi_conn *conn)
{
    if (conn->serialize)
        pthread_mutex_unlock(&conn->call_lock);
}

int vmhi__backend_result(vmhi_conn *conn, int rc, const char *what)
{
    if (rc == VMHI_OK)
        return VMHI_OK;
    if (rc > 0)
        return vmhi__error(VMHI_E_INTERNAL, "backend '%s' returned %d from %s (bug in backend)",
                           conn->ops->name, rc, what);
    if (!vmhi__error_is_set())
        vmhi__error(rc, "backend '%s' failed %s: %s", conn->ops->name, what, vmhi_strerror(rc));
    return rc;
}

int vmhi__unsupported(vmhi_conn *conn, vmhi_op op)
{
    return vmhi__error(VMHI_E_UNSUPPORTED, "backend '%s' does not support %s", conn->ops->name,
                       vmhi_op_name(op));
}

uint64_t vmhi__conn_limit(vmhi_conn *conn, vmhi_limit limit, uint64_t fallback)
{
    if (!conn->ops->get_limit)
        return fallback;
    uint64_t value = fallback;
    vmhi__conn_lock(conn);
    int rc = conn->ops->get_limit(conn->priv, limit, &value);
    vmhi__conn_unlock(conn);
    if (rc)
        value = fallback;
    vmhi__error_reset();
    return value;
}

int vmhi_conn_get_host_info(vmhi_conn *conn, vmhi_host_info *info)
{
    vmhi__error_reset();
    if (!conn || !info)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or info pointer is NULL");
    if (info->version == 0 || info->version > VMHI_HOST_INFO_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_host_info.version is %u; initialize it with VMHI_HOST_INFO_INIT",
                           info->version);
    vmhi_host_info full = VMHI_HOST_INFO_INIT;
    full.free_memory_mib = UINT64_MAX;
    if (!conn->ops->get_host_info)
        return vmhi__unsupported(conn, VMHI_OP_GET_INFO);
    vmhi__conn_lock(conn);
    int rc = conn->ops->get_host_info(conn->priv, &full);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "get-host-info");
    if (rc)
        return rc;
    if (!full.backend_version[0] && conn->ops->version)
        vmhi__strlcpy(full.backend_version, conn->ops->version, sizeof(full.backend_version));
    *info = full; /* only version 1 exists */
    return VMHI_OK;
}

/* Which slot implements each operation; NULL-slot means unsupported. */
static bool op_slot_present(const vmhi_backend_ops *o, vmhi_op op)
{
    switch (op) {
    case VMHI_OP_LIST: return o->list_vms && o->lookup;
    case VMHI_OP_DEFINE: return o->define != NULL;
    case VMHI_OP_UNDEFINE: return o->undefine != NULL;
    case VMHI_OP_CREATE: return o->create != NULL;
    case VMHI_OP_START: return o->start != NULL;
    case VMHI_OP_SHUTDOWN: return o->shutdown != NULL;
    case VMHI_OP_POWEROFF: return o->poweroff != NULL;
    case VMHI_OP_REBOOT: return o->reboot != NULL;
    case VMHI_OP_RESET: return o->reset != NULL;
    case VMHI_OP_PAUSE: return o->pause != NULL;
    case VMHI_OP_RESUME: return o->resume != NULL;
    case VMHI_OP_SUSPEND: return o->suspend != NULL;
    case VMHI_OP_GET_INFO: return o->get_info != NULL;
    case VMHI_OP_GET_CONFIG: return o->get_config != NULL;
    case VMHI_OP_SET_MEMORY: return o->set_memory != NULL;
    case VMHI_OP_SET_MAX_MEMORY: return o->set_max_memory != NULL;
    case VMHI_OP_MEMORY_STATS: return o->get_memory_stats != NULL;
    case VMHI_OP_SET_VCPUS: return o->set_vcpus != NULL;
    case VMHI_OP_VCPU_INFO: return o->get_vcpus != NULL;
    case VMHI_OP_ATTACH_DISK: return o->attach_disk != NULL;
    case VMHI_OP_DETACH_DISK: return o->detach_disk != NULL;
    case VMHI_OP_ATTACH_NIC: return o->attach_nic != NULL;
    case VMHI_OP_DETACH_NIC: return o->detach_nic != NULL;
    case VMHI_OP_LIST_DEVICES: return o->list_devices != NULL;
    case VMHI_OP_EVENTS: return (o->profiles & VMHI_PROFILE_EVENTS) != 0;
    }
    return false;
}

/* Default capability bits when the backend does not refine them. */
static unsigned int default_caps(vmhi_op op)
{
    switch (op) {
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_SET_VCPUS:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_DETACH_NIC:
    case VMHI_OP_GET_CONFIG:
        return VMHI_CAP_SUPPORTED | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
    case VMHI_OP_SET_MAX_MEMORY:
        return VMHI_CAP_SUPPORTED | VMHI_CAP_CONFIG;
    default:
        return VMHI_CAP_SUPPORTED;
    }
}

int vmhi_conn_get_op_caps(vmhi_conn *conn, vmhi_op op, unsigned int *caps)
{
    vmhi__error_reset();
    if (!conn || !caps)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or caps pointer is NULL");
    if (!vmhi_op_name(op))
        return vmhi__error(VMHI_E_INVALID_ARG, "unknown operation %d", (int)op);
    *caps = 0;
    if (!op_slot_present(conn->ops, op))
        return VMHI_OK;
    unsigned int value = default_caps(op);
    if (conn->ops->get_op_caps) {
        vmhi__conn_lock(conn);
        int rc = conn->ops->get_op_caps(conn->priv, op, &value);
        vmhi__conn_unlock(conn);
        rc = vmhi__backend_result(conn, rc, "get-op-caps");
        if (rc)
            return rc;
        if (value)
            value |= VMHI_CAP_SUPPORTED;
    }
    *caps = value;
    return VMHI_OK;
}

static int check_caps(vmhi_conn *conn, vmhi_op op, unsigned int affect)
{
    unsigned int caps = default_caps(op);
    if (conn->ops->get_op_caps) {
        vmhi__conn_lock(conn);
        int rc = conn->ops->get_op_caps(conn->priv, op, &caps);
        vmhi__conn_unlock(conn);
        vmhi__error_reset();
        if (rc)
            return VMHI_OK; /* no answer: let the slot decide */
    }
    if (!caps)
        return vmhi__error(VMHI_E_UNSUPPORTED, "backend '%s' reports %s as unsupported",
                           conn->ops->name, vmhi_op_name(op));
    if ((affect & VMHI_AFFECT_LIVE) && !(caps & VMHI_CAP_LIVE))
        return vmhi__error(VMHI_E_UNSUPPORTED,
                           "backend '%s' cannot %s on a running VM (no live support); "
                           "use VMHI_AFFECT_CONFIG",
                           conn->ops->name, vmhi_op_name(op));
    if ((affect & VMHI_AFFECT_CONFIG) && !(caps & VMHI_CAP_CONFIG))
        return vmhi__error(VMHI_E_UNSUPPORTED,
                           "backend '%s' cannot %s in the persistent definition; "
                           "use VMHI_AFFECT_LIVE",
                           conn->ops->name, vmhi_op_name(op));
    return VMHI_OK;
}

/* Whether @op changes a VM or the host.  No default case: a new
 * operation must be classified here or the build warns (-Wswitch). */
static bool op_mutates(vmhi_op op)
{
    switch (op) {
    case VMHI_OP_DEFINE:
    case VMHI_OP_UNDEFINE:
    case VMHI_OP_CREATE:
    case VMHI_OP_START:
    case VMHI_OP_SHUTDOWN:
    case VMHI_OP_POWEROFF:
    case VMHI_OP_REBOOT:
    case VMHI_OP_RESET:
    case VMHI_OP_PAUSE:
    case VMHI_OP_RESUME:
    case VMHI_OP_SUSPEND:
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_SET_MAX_MEMORY:
    case VMHI_OP_SET_VCPUS:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_DETACH_NIC:
        return true;
    case VMHI_OP_LIST:
    case VMHI_OP_GET_INFO:
    case VMHI_OP_GET_CONFIG:
    case VMHI_OP_MEMORY_STATS:
    case VMHI_OP_VCPU_INFO:
    case VMHI_OP_LIST_DEVICES:
    case VMHI_OP_EVENTS:
        return false;
    }
    return true; /* an unknown operation is refused rather than let through */
}

/* CONN-16: the core, not the backend, refuses every change on a
 * read-only connection, so the rule holds for every module alike. */
static int check_writable(vmhi_conn *conn, vmhi_op op)
{
    if (!(conn->opts.flags & VMHI_CONN_READONLY) || !op_mutates(op))
        return VMHI_OK;
    return vmhi__error(VMHI_E_PERMISSION,
                       "%s refused: the connection to '%s' was opened read-only "
                       "(VMHI_CONN_READONLY); open one without that flag to make changes",
                       vmhi_op_name(op), conn->uri->normalized);
}

int vmhi__op_ready(vmhi_conn *conn, vmhi_op op, bool has_slot, unsigned int affect)
{
    int rc = check_writable(conn, op);
    if (rc)
        return rc;
    return has_slot ? check_caps(conn, op, affect) : vmhi__unsupported(conn, op);
}

int vmhi_conn_get_limit(vmhi_conn *conn, vmhi_limit limit, uint64_t *value)
{
    vmhi__error_reset();
    if (!conn || !value)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or value pointer is NULL");
    if (limit < VMHI_LIMIT_MAX_VCPUS || limit > VMHI_LIMIT_MAX_VMS)
        return vmhi__error(VMHI_E_INVALID_ARG, "unknown limit %d", (int)limit);
    if (!conn->ops->get_limit)
        return vmhi__error(VMHI_E_UNSUPPORTED, "backend '%s' reports no limits",
                           conn->ops->name);
    vmhi__conn_lock(conn);
    int rc = conn->ops->get_limit(conn->priv, limit, value);
    vmhi__conn_unlock(conn);
    return vmhi__backend_result(conn, rc, "get-limit");
}

int vmhi_conn_get_profiles(vmhi_conn *conn, unsigned int *profiles)
{
    vmhi__error_reset();
    if (!conn || !profiles)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or profiles pointer is NULL");
    uint32_t claimed = conn->ops->profiles;
    if (conn->ops->get_profiles) {
        uint32_t narrowed = claimed;
        vmhi__conn_lock(conn);
        int rc = conn->ops->get_profiles(conn->priv, &narrowed);
        vmhi__conn_unlock(conn);
        if (rc < 0)
            return vmhi__backend_result(conn, rc, "get-profiles");
        claimed &= narrowed; /* a connection only narrows its module's claim */
    }
    *profiles = claimed;
    return VMHI_OK;
}
