/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VM handles: lookup, list, define/undefine and the lifecycle calls.
 * The core checks arguments and host limits (common to every backend);
 * the backend checks existence and state, which only it knows.
 */
#include <string.h>

#include "core.h"

#define STATE_BITS_ALL                                                                   \
    (VMHI_STATE_BIT(VMHI_STATE_SHUTOFF) | VMHI_STATE_BIT(VMHI_STATE_RUNNING) |           \
     VMHI_STATE_BIT(VMHI_STATE_PAUSED) | VMHI_STATE_BIT(VMHI_STATE_SUSPENDED) |          \
     VMHI_STATE_BIT(VMHI_STATE_SHUTTING_DOWN) | VMHI_STATE_BIT(VMHI_STATE_CRASHED))
#define PERSISTENCE_BITS (VMHI_LIST_PERSISTENT | VMHI_LIST_TRANSIENT)

/* Fills an allocated handle; on success it holds a connection reference. */
static int fill_handle(vmhi_vm *vm, vmhi_conn *conn, const vmhi_backend_vm_ref *ref)
{
    if (vmhi__uuid_normalize(ref->uuid, vm->uuid))
        return vmhi__error(VMHI_E_INTERNAL, "backend '%s' reported a malformed UUID",
                           conn->ops->name);
    vmhi__strlcpy(vm->name, ref->name, sizeof(vm->name));
    vm->conn = conn;
    vmhi__conn_ref(conn);
    return VMHI_OK;
}

int vmhi__vm_new(vmhi_vm **out, vmhi_conn *conn, const vmhi_backend_vm_ref *ref)
{
    vmhi_vm *vm = vmhi__calloc(1, sizeof(*vm));
    if (!vm)
        return vmhi__error_oom();
    int rc = fill_handle(vm, conn, ref);
    if (rc) {
        vmhi__free(vm);
        return rc;
    }
    *out = vm;
    return VMHI_OK;
}

void vmhi_vm_free(vmhi_vm *vm)
{
    if (!vm)
        return;
    vmhi__conn_unref(vm->conn);
    vmhi__free(vm);
}

const char *vmhi_vm_get_name(const vmhi_vm *vm)
{
    return vm ? vm->name : NULL;
}

const char *vmhi_vm_get_uuid(const vmhi_vm *vm)
{
    return vm ? vm->uuid : NULL;
}

static int check_vm(const vmhi_vm *vm)
{
    return vmhi__check_vm(vm);
}

static int check_reserved_flags(unsigned int flags)
{
    if (flags != 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "flags 0x%x are not defined for this call; pass 0",
                           flags);
    return VMHI_OK;
}

/* ----------------------------------------------------------- lookup */

static int lookup(vmhi_vm **out, vmhi_conn *conn, const char *name, const char *uuid)
{
    int rc = vmhi__op_ready(conn, VMHI_OP_LIST, conn->ops->lookup != NULL, 0);
    if (rc)
        return rc;
    vmhi_backend_vm_ref ref;
    memset(&ref, 0, sizeof(ref));
    ref.struct_size = sizeof(ref);
    vmhi__conn_lock(conn);
    rc = conn->ops->lookup(conn->priv, name, uuid, &ref);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "lookup");
    return rc ? rc : vmhi__vm_new(out, conn, &ref);
}

int vmhi_vm_lookup_by_name(vmhi_vm **out, vmhi_conn *conn, const char *name)
{
    vmhi__error_reset();
    if (!out || !conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer or connection is NULL");
    *out = NULL;
    int rc = vmhi__check_name(name);
    return rc ? rc : lookup(out, conn, name, NULL);
}

int vmhi_vm_lookup_by_uuid(vmhi_vm **out, vmhi_conn *conn, const char *uuid)
{
    vmhi__error_reset();
    if (!out || !conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer or connection is NULL");
    *out = NULL;
    char norm[VMHI_UUID_STRLEN + 1];
    int rc = vmhi__uuid_normalize(uuid, norm);
    return rc ? rc : lookup(out, conn, NULL, norm);
}

/* ------------------------------------------------------------- list */

struct list_ctx {
    vmhi_conn *conn;
    unsigned int filter;
    vmhi_vm **vms;
    size_t count;
    size_t cap;
};

static bool list_wants(const struct list_ctx *ctx, vmhi_vm_state state, int persistent)
{
    unsigned int states = ctx->filter & STATE_BITS_ALL;
    unsigned int kinds = ctx->filter & PERSISTENCE_BITS;
    if (states && !(states & VMHI_STATE_BIT(state)))
        return false;
    if (kinds == VMHI_LIST_PERSISTENT && !persistent)
        return false;
    if (kinds == VMHI_LIST_TRANSIENT && persistent)
        return false;
    return true;
}

static int list_add(void *opaque, const vmhi_backend_vm_ref *ref, vmhi_vm_state state,
                    int persistent)
{
    struct list_ctx *ctx = opaque;
    if (!ref)
        return vmhi__error(VMHI_E_INTERNAL, "backend listed a NULL VM");
    if (!list_wants(ctx, state, persistent))
        return VMHI_OK;
    int rc = vmhi__array_reserve(&ctx->vms, &ctx->cap, ctx->count, sizeof(*ctx->vms));
    if (rc)
        return rc;
    rc = vmhi__vm_new(&ctx->vms[ctx->count], ctx->conn, ref);
    if (rc)
        return rc;
    ctx->count++;
    return VMHI_OK;
}

void vmhi_vm_list_free(vmhi_vm **vms, size_t count)
{
    if (!vms)
        return;
    for (size_t i = 0; i < count; i++)
        vmhi_vm_free(vms[i]);
    vmhi__free(vms);
}

int vmhi_conn_list_vms(vmhi_conn *conn, unsigned int filter, vmhi_vm ***vms, size_t *count)
{
    vmhi__error_reset();
    if (!conn || !vms || !count)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or output pointer is NULL");
    *vms = NULL;
    *count = 0;
    if (filter & ~(STATE_BITS_ALL | PERSISTENCE_BITS))
        return vmhi__error(VMHI_E_INVALID_ARG, "list filter has unknown bits 0x%x",
                           filter & ~(STATE_BITS_ALL | PERSISTENCE_BITS));
    int rc = vmhi__op_ready(conn, VMHI_OP_LIST, conn->ops->list_vms != NULL, 0);
    if (rc)
        return rc;
    struct list_ctx ctx = { .conn = conn, .filter = filter };
    vmhi__conn_lock(conn);
    rc = conn->ops->list_vms(conn->priv, list_add, &ctx);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "list");
    if (rc) {
        vmhi_vm_list_free(ctx.vms, ctx.count);
        return rc;
    }
    if (!ctx.vms && !(ctx.vms = vmhi__calloc(1, sizeof(*ctx.vms))))
        return vmhi__error_oom();
    *vms = ctx.vms;
    *count = ctx.count;
    return VMHI_OK;
}

/* -------------------------------------------------- define / create */

static int check_limit_max(vmhi_conn *conn, vmhi_limit limit, uint64_t value, const char *what)
{
    uint64_t max = vmhi__conn_limit(conn, limit, UINT64_MAX);
    if (value > max)
        return vmhi__error(VMHI_E_LIMIT, "%s is %llu; the host allows at most %llu", what,
                           (unsigned long long)value, (unsigned long long)max);
    return VMHI_OK;
}

int vmhi__check_memory(vmhi_conn *conn, uint64_t mib, const char *what)
{
    uint64_t min = vmhi__conn_limit(conn, VMHI_LIMIT_MIN_MEMORY_MIB, 1);
    uint64_t gran = vmhi__conn_limit(conn, VMHI_LIMIT_MEMORY_GRANULARITY_MIB, 1);
    if (mib < min)
        return vmhi__error(VMHI_E_LIMIT, "%s is %llu MiB; the host needs at least %llu MiB", what,
                           (unsigned long long)mib, (unsigned long long)min);
    if (gran > 1 && mib % gran)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s must be a multiple of %llu MiB (got %llu)",
                           what, (unsigned long long)gran, (unsigned long long)mib);
    return check_limit_max(conn, VMHI_LIMIT_MAX_MEMORY_MIB, mib, what);
}

static int check_config_against_host(vmhi_conn *conn, const vmhi_vm_config *cfg)
{
    int rc = vmhi_vm_config_validate(cfg);
    if (!rc)
        rc = check_limit_max(conn, VMHI_LIMIT_MAX_VCPUS, vmhi_vm_config_get_max_vcpus(cfg),
                             "maximum vCPUs");
    if (!rc)
        rc = vmhi__check_memory(conn, vmhi_vm_config_get_memory_mib(cfg), "memory");
    if (!rc)
        rc = vmhi__check_memory(conn, vmhi_vm_config_get_max_memory_mib(cfg), "maximum memory");
    if (!rc)
        rc = check_limit_max(conn, VMHI_LIMIT_MAX_DISKS, vmhi_vm_config_get_disk_count(cfg),
                             "number of disks");
    if (!rc)
        rc = check_limit_max(conn, VMHI_LIMIT_MAX_NICS, vmhi_vm_config_get_nic_count(cfg),
                             "number of NICs");
    return rc;
}

/* Returns a config the backend may rely on: validated, within host limits,
 * with a UUID.  *owned is set when a copy had to be made. */
static int prepare_config(vmhi_conn *conn, const vmhi_vm_config *cfg, vmhi_vm_config **owned)
{
    *owned = NULL;
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM config is NULL");
    int rc = check_config_against_host(conn, cfg);
    if (!rc)
        rc = vmhi__check_config_values(conn, cfg);
    if (rc || vmhi_vm_config_get_uuid(cfg))
        return rc;
    rc = vmhi_vm_config_copy(owned, cfg);
    if (rc)
        return rc;
    char uuid[VMHI_UUID_STRLEN + 1];
    vmhi__uuid_generate(uuid);
    return vmhi_vm_config_set_uuid(*owned, uuid);
}

static int define_or_create(vmhi_vm **out, vmhi_conn *conn, const vmhi_vm_config *cfg,
                            unsigned int flags, bool create)
{
    vmhi__error_reset();
    if (out)
        *out = NULL;
    if (!conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection is NULL");
    int rc = check_reserved_flags(flags);
    if (rc)
        return rc;
    bool has_slot = create ? conn->ops->create != NULL : conn->ops->define != NULL;
    rc = vmhi__op_ready(conn, create ? VMHI_OP_CREATE : VMHI_OP_DEFINE, has_slot, 0);
    if (rc)
        return rc;
    vmhi_vm_config *owned = NULL;
    rc = prepare_config(conn, cfg, &owned);
    if (rc) {
        vmhi_vm_config_free(owned);
        return rc;
    }
    /* The handle is allocated before the backend acts: once a VM exists,
     * nothing may fail and leave the caller without a way to reach it. */
    vmhi_vm *vm = out ? vmhi__calloc(1, sizeof(*vm)) : NULL;
    if (out && !vm) {
        vmhi_vm_config_free(owned);
        return vmhi__error_oom();
    }
    const vmhi_vm_config *use = owned ? owned : cfg;
    vmhi_backend_vm_ref ref;
    memset(&ref, 0, sizeof(ref));
    ref.struct_size = sizeof(ref);
    vmhi__conn_lock(conn);
    rc = create ? conn->ops->create(conn->priv, use, flags, &ref)
                : conn->ops->define(conn->priv, use, flags, &ref);
    vmhi__conn_unlock(conn);
    vmhi_vm_config_free(owned);
    rc = vmhi__backend_result(conn, rc, create ? "create" : "define");
    if (!rc && vm)
        rc = fill_handle(vm, conn, &ref);
    if (rc || !vm) {
        vmhi__free(vm);
        return rc;
    }
    *out = vm;
    return VMHI_OK;
}

int vmhi_vm_define(vmhi_vm **out, vmhi_conn *conn, const vmhi_vm_config *cfg,
                   unsigned int flags)
{
    return define_or_create(out, conn, cfg, flags, false);
}

int vmhi_vm_create(vmhi_vm **out, vmhi_conn *conn, const vmhi_vm_config *cfg,
                   unsigned int flags)
{
    return define_or_create(out, conn, cfg, flags, true);
}

/* -------------------------------------------------------- lifecycle */

typedef int (*uuid_flags_slot)(void *priv, const char *uuid, unsigned int flags);

static int call_uuid_flags(vmhi_vm *vm, vmhi_op op, uuid_flags_slot slot, unsigned int flags)
{
    vmhi_conn *conn = vm->conn;
    int rc = vmhi__op_ready(conn, op, slot != NULL, 0);
    if (rc)
        return rc;
    vmhi__conn_lock(conn);
    rc = slot(conn->priv, vm->uuid, flags);
    vmhi__conn_unlock(conn);
    return vmhi__backend_result(conn, rc, vmhi_op_name(op));
}

/* Entry-point shape shared by the calls that take only reserved flags. */
#define VM_CALL_FLAGS(fn, op, slot)                                               \
    int fn(vmhi_vm *vm, unsigned int flags)                                       \
    {                                                                             \
        vmhi__error_reset();                                                      \
        int rc = check_vm(vm);                                                    \
        if (!rc)                                                                  \
            rc = check_reserved_flags(flags);                                     \
        return rc ? rc : call_uuid_flags(vm, op, vm->conn->ops->slot, flags);     \
    }

VM_CALL_FLAGS(vmhi_vm_start, VMHI_OP_START, start)
VM_CALL_FLAGS(vmhi_vm_poweroff, VMHI_OP_POWEROFF, poweroff)
VM_CALL_FLAGS(vmhi_vm_reboot, VMHI_OP_REBOOT, reboot)
VM_CALL_FLAGS(vmhi_vm_reset, VMHI_OP_RESET, reset)
VM_CALL_FLAGS(vmhi_vm_suspend, VMHI_OP_SUSPEND, suspend)
VM_CALL_FLAGS(vmhi_vm_pause, VMHI_OP_PAUSE, pause)
VM_CALL_FLAGS(vmhi_vm_resume, VMHI_OP_RESUME, resume)
VM_CALL_FLAGS(vmhi_vm_undefine, VMHI_OP_UNDEFINE, undefine)

/* ------------------------------------------------- graceful shutdown */

/* One look at the state, taking the connection lock only for the call.
 * A transient VM that shut down is gone: that is "off" too. */
static int poll_state(vmhi_vm *vm, vmhi_vm_state *state)
{
    vmhi_conn *conn = vm->conn;
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    vmhi__conn_lock(conn);
    int rc = conn->ops->get_info(conn->priv, vm->uuid, &info);
    vmhi__conn_unlock(conn);
    if (rc == VMHI_E_NO_VM) {
        *state = VMHI_STATE_SHUTOFF;
        return VMHI_OK;
    }
    *state = info.state;
    return vmhi__backend_result(conn, rc, "get-info");
}

/* Waits for shutoff after the request.  The backend only requested, so no
 * slot blocks and a non-thread-safe backend's lock is free between polls
 * for the other threads of the application. */
static int wait_for_shutoff(vmhi_vm *vm, unsigned int timeout_ms)
{
    if (!vm->conn->ops->get_info)
        return vmhi__unsupported(vm->conn, VMHI_OP_GET_INFO);
    uint64_t deadline = vmhi__now_ns() + (uint64_t)timeout_ms * 1000000u;
    unsigned int pause_ms = 5;
    for (;;) {
        vmhi_vm_state state;
        int rc = poll_state(vm, &state);
        if (rc || state == VMHI_STATE_SHUTOFF)
            return rc;
        if (state != VMHI_STATE_RUNNING && state != VMHI_STATE_SHUTTING_DOWN)
            return vmhi__error(VMHI_E_INVALID_STATE,
                               "VM '%s' became %s while waiting for it to shut down", vm->name,
                               vmhi_vm_state_name(state));
        uint64_t now = vmhi__now_ns();
        if (now >= deadline)
            return vmhi__error(VMHI_E_TIMEOUT,
                               "VM '%s' did not shut down within %u ms; it is still %s",
                               vm->name, timeout_ms, vmhi_vm_state_name(state));
        uint64_t left_ms = (deadline - now) / 1000000u + 1;
        vmhi__sleep_ms(pause_ms < left_ms ? pause_ms : (unsigned int)left_ms);
        if (pause_ms < 100)
            pause_ms *= 2;
    }
}

int vmhi_vm_shutdown(vmhi_vm *vm, unsigned int timeout_ms, unsigned int flags)
{
    vmhi__error_reset();
    int rc = check_vm(vm);
    if (!rc)
        rc = vmhi__check_shutdown_method(vm->conn, flags);
    if (!rc)
        rc = call_uuid_flags(vm, VMHI_OP_SHUTDOWN, vm->conn->ops->shutdown, flags);
    if (rc || timeout_ms == 0)
        return rc;
    return wait_for_shutoff(vm, timeout_ms);
}

/* ------------------------------------------------------- inspection */

int vmhi_vm_get_info(vmhi_vm *vm, vmhi_vm_info *info)
{
    vmhi__error_reset();
    int rc = check_vm(vm);
    if (rc)
        return rc;
    if (!info)
        return vmhi__error(VMHI_E_INVALID_ARG, "info pointer is NULL");
    if (info->version == 0 || info->version > VMHI_VM_INFO_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_vm_info.version is %u; initialize it with VMHI_VM_INFO_INIT",
                           info->version);
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_GET_INFO, conn->ops->get_info != NULL, 0);
    if (rc)
        return rc;
    vmhi_vm_info full = VMHI_VM_INFO_INIT;
    vmhi__conn_lock(conn);
    rc = conn->ops->get_info(conn->priv, vm->uuid, &full);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "get-info");
    if (!rc)
        *info = full; /* only version 1 exists */
    return rc;
}

int vmhi_vm_get_state(vmhi_vm *vm, vmhi_vm_state *state, vmhi_state_reason *reason)
{
    if (!state) {
        vmhi__error_reset();
        return vmhi__error(VMHI_E_INVALID_ARG, "state pointer is NULL");
    }
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    int rc = vmhi_vm_get_info(vm, &info);
    if (rc)
        return rc;
    *state = info.state;
    if (reason)
        *reason = info.reason;
    return VMHI_OK;
}

int vmhi_vm_get_config(vmhi_vm *vm, vmhi_vm_config **out, unsigned int flags)
{
    vmhi__error_reset();
    int rc = check_vm(vm);
    if (rc)
        return rc;
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer is NULL");
    *out = NULL;
    if (flags & ~(unsigned int)(VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG))
        return vmhi__error(VMHI_E_INVALID_ARG, "get-config flags 0x%x: use VMHI_AFFECT_* bits",
                           flags);
    if (flags == (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "get-config reads one view: pass VMHI_AFFECT_LIVE or "
                           "VMHI_AFFECT_CONFIG, not both");
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_GET_CONFIG, conn->ops->get_config != NULL, flags);
    if (rc)
        return rc;
    vmhi__conn_lock(conn);
    rc = conn->ops->get_config(conn->priv, vm->uuid, flags, out);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "get-config");
    if (!rc && !*out)
        rc = vmhi__error(VMHI_E_INTERNAL, "backend '%s' returned no config", conn->ops->name);
    return rc;
}
