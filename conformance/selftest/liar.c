/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The suite's negative control: a small in-memory backend module
 * ("liar:///") with four deliberate defects.  The conformance.selftest
 * ctest runs vmhi-conformance against it and demands that exactly the
 * requirements these defects break are reported failed, with their
 * profiles, and that the run is not certified:
 *
 *   1. pause of a paused VM "succeeds"           -> LC-PAUSE-2  (Lifecycle-Full)
 *   2. reset emits no lifecycle event            -> EV-2        (Events)
 *   3. claims Memory without a set_memory slot   -> CAP-8 (Core), Memory failed
 *   4. listings leave out transient VMs          -> LIST-1, LIST-2 (Core)
 *
 * Everything else follows the specification closely enough for the
 * suite's other checks; the guest acts at once (shutdown, reboot).  It
 * declines a few values (IDE, Xen NICs, UEFI, the PV shutdown method) as
 * a backend may, so that the checks of undeclared values run too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <vmhi/backend.h>
#include <vmhi/vmhi.h>

#define MAX_VMS 64

typedef struct liar_vm {
    bool used;
    vmhi_backend_vm_ref ref;
    vmhi_vm_config *def;  /* NULL: transient */
    vmhi_vm_config *live; /* NULL: shut off */
    vmhi_vm_state state;
    vmhi_state_reason reason;
} liar_vm;

typedef struct liar_conn {
    vmhi_conn *conn;
    liar_vm vms[MAX_VMS];
} liar_conn;

static const vmhi_core_services *core;

static int fail(int code, const char *msg)
{
    return core->set_error(code, NULL, "liar: %s", msg);
}

static void emit(liar_conn *c, const liar_vm *vm, vmhi_event_type type)
{
    vmhi_backend_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.struct_size = sizeof(ev);
    ev.type = type;
    ev.uuid = vm->ref.uuid;
    ev.name = vm->ref.name;
    ev.state = vm->state;
    ev.reason = vm->reason;
    core->emit_event(c->conn, &ev);
}

static liar_vm *find(liar_conn *c, const char *uuid, const char *name)
{
    for (int i = 0; i < MAX_VMS; i++) {
        liar_vm *vm = &c->vms[i];
        if (vm->used && ((uuid && strcmp(vm->ref.uuid, uuid) == 0) ||
                         (name && strcmp(vm->ref.name, name) == 0)))
            return vm;
    }
    return NULL;
}

static int get(liar_conn *c, const char *uuid, liar_vm **out)
{
    *out = find(c, uuid, NULL);
    return *out ? VMHI_OK : fail(VMHI_E_NO_VM, "no such VM");
}

static void forget(liar_vm *vm)
{
    vmhi_vm_config_free(vm->def);
    vmhi_vm_config_free(vm->live);
    memset(vm, 0, sizeof(*vm));
}

static bool active(const liar_vm *vm)
{
    return vm->state == VMHI_STATE_RUNNING || vm->state == VMHI_STATE_PAUSED ||
           vm->state == VMHI_STATE_SHUTTING_DOWN;
}

/* Moves @vm to @st/@why with its event; a transient VM reaching shutoff goes. */
static void move(liar_conn *c, liar_vm *vm, vmhi_vm_state st, vmhi_state_reason why)
{
    vm->state = st;
    vm->reason = why;
    if (st == VMHI_STATE_SHUTOFF) {
        vmhi_vm_config_free(vm->live);
        vm->live = NULL;
    }
    emit(c, vm, VMHI_EVENT_LIFECYCLE);
    if (st == VMHI_STATE_SHUTOFF && !vm->def)
        forget(vm);
}

static int need(const liar_vm *vm, unsigned int states)
{
    if (states & VMHI_STATE_BIT(vm->state))
        return VMHI_OK;
    return core->set_error(VMHI_E_INVALID_STATE, NULL, "liar: VM '%s' is %s, which does not "
                           "allow this", vm->ref.name, vmhi_vm_state_name(vm->state));
}

/* A copy of @old with a DEFAULT bus resolved to virtio, as a real
 * backend reports the bus it chose (never DEFAULT). */
static int resolved_disk(const vmhi_disk *old, vmhi_disk **out)
{
    vmhi_disk_bus bus = vmhi_disk_get_bus(old);
    int rc = vmhi_disk_new(out);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(*out, vmhi_disk_get_id(old));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(*out, vmhi_disk_get_path(old));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(*out, vmhi_disk_get_format(old));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(*out, bus == VMHI_DISK_BUS_DEFAULT ? VMHI_DISK_BUS_VIRTIO : bus);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(*out, vmhi_disk_get_readonly(old));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(*out, vmhi_disk_get_size_mib(old));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_target(*out, vmhi_disk_get_target(old));
    return rc;
}

/* A copy of @old with its model resolved and a MAC address when it had none. */
static int resolved_nic(const vmhi_nic *old, vmhi_nic **out)
{
    static unsigned int next;
    vmhi_nic_model model = vmhi_nic_get_model(old);
    char mac[18];
    snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", (next >> 16) & 0xff,
             (next >> 8) & 0xff, next & 0xff);
    int rc = vmhi_nic_new(out);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(*out, vmhi_nic_get_id(old));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(*out, model == VMHI_NIC_MODEL_DEFAULT ? VMHI_NIC_MODEL_VIRTIO
                                                                     : model);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_network(*out, vmhi_nic_get_network(old));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(*out, vmhi_nic_get_mac(old) ? vmhi_nic_get_mac(old) : mac);
    next += vmhi_nic_get_mac(old) == NULL;
    return rc;
}

/* @cfg's devices again, in their order, resolved (DEFAULT bus and model,
 * missing MACs). */
static int resolve_devices(vmhi_vm_config *copy, const vmhi_vm_config *cfg)
{
    int rc = VMHI_OK;
    while (rc == VMHI_OK && vmhi_vm_config_get_disk_count(copy))
        rc = vmhi_vm_config_remove_disk(copy, vmhi_disk_get_id(vmhi_vm_config_get_disk(copy, 0)));
    while (rc == VMHI_OK && vmhi_vm_config_get_nic_count(copy))
        rc = vmhi_vm_config_remove_nic(copy, vmhi_nic_get_id(vmhi_vm_config_get_nic(copy, 0)));
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_disk_count(cfg); i++) {
        vmhi_disk *disk = NULL;
        rc = resolved_disk(vmhi_vm_config_get_disk(cfg, i), &disk);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_disk(copy, disk);
        vmhi_disk_free(disk);
    }
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_nic_count(cfg); i++) {
        vmhi_nic *nic = NULL;
        rc = resolved_nic(vmhi_vm_config_get_nic(cfg, i), &nic);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_nic(copy, nic);
        vmhi_nic_free(nic);
    }
    return rc;
}

/* ------------------------------------------------------------ the slots */

static int liar_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    if (!uri->scheme || strcmp(uri->scheme, "liar") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    if (uri->nparams)
        return core->set_error(VMHI_E_INVALID_ARG, NULL, "liar: unknown URI parameter '%s'",
                               uri->param_names[0]);
    ((liar_conn *)priv)->conn = conn;
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void liar_close(void *priv)
{
    liar_conn *c = priv;
    for (int i = 0; i < MAX_VMS; i++)
        if (c->vms[i].used)
            forget(&c->vms[i]);
}

static int liar_host_info(void *priv, vmhi_host_info *info)
{
    (void)priv;
    strcpy(info->hypervisor, "Liar");
    strcpy(info->hypervisor_version, "0.1");
    info->cpus = 1;
    info->memory_mib = 4096;
    info->free_memory_mib = UINT64_MAX;
    return VMHI_OK;
}

static int liar_list(void *priv, vmhi_backend_list_add add, void *ctx)
{
    liar_conn *c = priv;
    for (int i = 0; i < MAX_VMS; i++) {
        liar_vm *vm = &c->vms[i];
        if (vm->used && vm->def) { /* defect 4: transient VMs are left out */
            int rc = add(ctx, &vm->ref, vm->state, 1);
            if (rc < 0)
                return rc;
        }
    }
    return VMHI_OK;
}

static int liar_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    liar_vm *vm = find(priv, uuid, name);
    if (!vm)
        return fail(VMHI_E_NO_VM, "no such VM");
    *out = vm->ref;
    return VMHI_OK;
}

static int liar_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
                       vmhi_backend_vm_ref *out)
{
    (void)flags;
    liar_conn *c = priv;
    const char *uuid = vmhi_vm_config_get_uuid(cfg), *name = vmhi_vm_config_get_name(cfg);
    liar_vm *by_uuid = find(c, uuid, NULL), *by_name = find(c, NULL, name), *vm = by_uuid;
    if ((by_uuid && strcmp(by_uuid->ref.name, name) != 0) || (by_name && by_name != by_uuid))
        return fail(VMHI_E_EXISTS, "name or UUID taken");
    for (int i = 0; !vm && i < MAX_VMS; i++) {
        if (!c->vms[i].used) {
            vm = &c->vms[i];
            vm->used = true;
            strcpy(vm->ref.uuid, uuid);
            strcpy(vm->ref.name, name);
            vm->state = VMHI_STATE_SHUTOFF;
            vm->reason = VMHI_REASON_DEFINED;
        }
    }
    if (!vm)
        return fail(VMHI_E_LIMIT, "full");
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    if (rc == VMHI_OK)
        rc = resolve_devices(copy, cfg);
    if (rc < 0) {
        vmhi_vm_config_free(copy);
        return rc;
    }
    vmhi_vm_config_free(vm->def);
    vm->def = copy;
    *out = vm->ref;
    emit(c, vm, VMHI_EVENT_DEFINED);
    return VMHI_OK;
}

static int liar_undefine(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    liar_conn *c = priv;
    liar_vm *vm;
    int rc = get(c, uuid, &vm);
    if (rc < 0)
        return rc;
    if (!vm->def)
        return fail(VMHI_E_INVALID_STATE, "transient");
    vmhi_vm_config_free(vm->def);
    vm->def = NULL;
    emit(c, vm, VMHI_EVENT_UNDEFINED);
    if (!active(vm))
        forget(vm);
    return VMHI_OK;
}

static int liar_start(void *priv, const char *uuid, unsigned int flags)
{
    liar_conn *c = priv;
    liar_vm *vm;
    int rc = get(c, uuid, &vm);
    if (rc == VMHI_OK)
        rc = need(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF) | VMHI_STATE_BIT(VMHI_STATE_SUSPENDED));
    if (rc < 0)
        return rc;
    (void)flags;
    if (vm->state == VMHI_STATE_SUSPENDED) {
        move(c, vm, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED);
        return VMHI_OK;
    }
    rc = vmhi_vm_config_copy(&vm->live, vm->def);
    if (rc == VMHI_OK)
        move(c, vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    return rc;
}

static int simple(liar_conn *c, const char *uuid, unsigned int from, vmhi_vm_state to,
                  vmhi_state_reason why)
{
    liar_vm *vm;
    int rc = get(c, uuid, &vm);
    if (rc == VMHI_OK)
        rc = need(vm, from);
    if (rc == VMHI_OK)
        move(c, vm, to ? to : vm->state, why);
    return rc;
}

#define B(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static int liar_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    /* From suspended too: the saved state (here: the live config) is dropped. */
    return simple(priv, uuid,
                  B(RUNNING) | B(PAUSED) | B(SHUTTING_DOWN) | B(CRASHED) | B(SUSPENDED),
                  VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
}

/* Only requests (the core waits); the guest complies within the call. */
static int liar_shutdown(void *priv, const char *uuid, unsigned int flags)
{
    liar_conn *c = priv;
    liar_vm *vm;
    (void)flags;
    int rc = get(c, uuid, &vm);
    if (rc == VMHI_OK)
        rc = need(vm, B(RUNNING) | B(SHUTTING_DOWN));
    if (rc < 0)
        return rc;
    move(c, vm, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
    move(c, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST); /* the guest at once */
    return VMHI_OK;
}

static int liar_reboot(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    return simple(priv, uuid, B(RUNNING), 0, VMHI_REASON_REBOOTED);
}

static int liar_reset(void *priv, const char *uuid, unsigned int flags)
{
    liar_vm *vm;
    (void)flags;
    int rc = get(priv, uuid, &vm);
    if (rc == VMHI_OK)
        rc = need(vm, B(RUNNING) | B(PAUSED));
    if (rc == VMHI_OK)
        vm->reason = VMHI_REASON_RESET; /* defect 2: no lifecycle event */
    return rc;
}

static int liar_pause(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    /* defect 1: pausing a paused VM "succeeds" (and changes nothing) */
    liar_vm *vm;
    int rc = get(priv, uuid, &vm);
    if (rc == VMHI_OK && vm->state == VMHI_STATE_PAUSED)
        return VMHI_OK;
    return simple(priv, uuid, B(RUNNING), VMHI_STATE_PAUSED, VMHI_REASON_USER);
}

static int liar_resume(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    return simple(priv, uuid, B(PAUSED), VMHI_STATE_RUNNING, VMHI_REASON_USER);
}

static int liar_suspend(void *priv, const char *uuid, unsigned int flags)
{
    liar_vm *vm;
    (void)flags;
    int rc = get(priv, uuid, &vm);
    if (rc == VMHI_OK && !vm->def)
        rc = fail(VMHI_E_INVALID_STATE, "transient");
    if (rc < 0)
        return rc;
    return simple(priv, uuid, B(RUNNING) | B(PAUSED), VMHI_STATE_SUSPENDED,
                  VMHI_REASON_SUSPENDED);
}

static const vmhi_vm_config *current(const liar_vm *vm)
{
    return vm->live && vm->state != VMHI_STATE_SUSPENDED ? vm->live : vm->def ? vm->def : vm->live;
}

static int liar_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    liar_vm *vm;
    int rc = get(priv, uuid, &vm);
    if (rc < 0)
        return rc;
    const vmhi_vm_config *cfg = current(vm);
    info->state = vm->state;
    info->reason = vm->reason;
    info->vcpus = vmhi_vm_config_get_vcpus(cfg);
    info->max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
    info->memory_mib = vmhi_vm_config_get_memory_mib(cfg);
    info->max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
    info->cpu_time_ns = 0;
    info->persistent = vm->def != NULL;
    return VMHI_OK;
}

static int liar_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    liar_vm *vm;
    int rc = get(priv, uuid, &vm);
    if (rc < 0)
        return rc;
    if (flags == VMHI_AFFECT_LIVE && !active(vm))
        return fail(VMHI_E_INVALID_STATE, "the VM is not running: there is no live config");
    if (flags == VMHI_AFFECT_CONFIG && !vm->def)
        return fail(VMHI_E_INVALID_STATE, "a transient VM has no definition");
    const vmhi_vm_config *cfg = flags == VMHI_AFFECT_LIVE     ? vm->live
                                : flags == VMHI_AFFECT_CONFIG ? vm->def
                                                              : current(vm);
    return vmhi_vm_config_copy(out, cfg);
}

static int liar_stats(void *priv, const char *uuid, vmhi_memory_stats *stats)
{
    liar_vm *vm;
    (void)stats;
    int rc = get(priv, uuid, &vm);
    return rc < 0 ? rc : need(vm, B(RUNNING) | B(PAUSED) | B(SHUTTING_DOWN));
}

/* The liar honestly declines a few values, so that the suite's checks of
 * undeclared values (refused by the core, nothing changed) run here too. */
static int liar_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    (void)priv;
    if (kind == VMHI_VALUE_DISK_BUS)
        *values &= ~(UINT64_C(1) << VMHI_DISK_BUS_IDE);
    else if (kind == VMHI_VALUE_NIC_MODEL)
        *values &= ~(UINT64_C(1) << VMHI_NIC_MODEL_XEN);
    else if (kind == VMHI_VALUE_FIRMWARE)
        *values &= ~(UINT64_C(1) << VMHI_FIRMWARE_UEFI);
    else if (kind == VMHI_VALUE_SHUTDOWN_METHOD)
        *values &= ~(UINT64_C(1) << VMHI_SHUTDOWN_PV);
    else if (kind == VMHI_VALUE_BOOT_METHOD) /* it boots nothing, so it checks no kernel */
        *values &= ~(UINT64_C(1) << VMHI_BOOT_METHOD_KERNEL);
    else if (kind == VMHI_VALUE_GUEST_TYPE) /* PV needs a kernel it does not take */
        *values &= ~(UINT64_C(1) << VMHI_GUEST_PV);
    return VMHI_OK;
}

static const char *const schemes[] = { "liar", NULL };

static const vmhi_backend_ops ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "liar",
    .schemes = schemes,
    /* defect 3: Memory is claimed, but set_memory below is missing */
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL | VMHI_PROFILE_MEMORY |
                VMHI_PROFILE_EVENTS,
    .conn_priv_size = sizeof(liar_conn),
    .version = "0.1",
    .open = liar_open,
    .close = liar_close,
    .get_host_info = liar_host_info,
    .list_vms = liar_list,
    .lookup = liar_lookup,
    .define = liar_define,
    .undefine = liar_undefine,
    .start = liar_start,
    .shutdown = liar_shutdown,
    .poweroff = liar_poweroff,
    .reboot = liar_reboot,
    .reset = liar_reset,
    .pause = liar_pause,
    .resume = liar_resume,
    .suspend = liar_suspend,
    .get_info = liar_info,
    .get_config = liar_config,
    .get_memory_stats = liar_stats,
    .get_value_caps = liar_value_caps,
};

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *services,
                                           const vmhi_backend_ops **out)
{
    core = services;
    *out = &ops;
    return VMHI_OK;
}
