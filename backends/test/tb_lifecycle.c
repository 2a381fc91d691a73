/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Listing, lookup, definitions and the VM state machine of vmhi/vm.h:
 *
 *   start     shutoff, suspended, crashed   -> running (booted / restored)
 *   shutdown  running, shutting-down        -> shutting-down, then shutoff
 *                                              when the guest acts (the slot
 *                                              only requests; the core waits)
 *   poweroff  running, paused, shutting-down, crashed, suspended
 *                                           -> shutoff (poweroff); from
 *                                              suspended the saved image is
 *                                              discarded
 *   reboot    running                       -> running (rebooted) when the guest acts
 *   reset     running, paused               -> same state (reset)
 *   pause     running                       -> paused (user)
 *   resume    paused                        -> running (user)
 *   suspend   running, paused; persistent   -> suspended
 *
 * Anything else fails with VMHI_E_INVALID_STATE naming the current and
 * the allowed states.  A transient VM vanishes when it reaches shutoff.
 * Undefining a running, paused or shutting-down VM makes it transient;
 * undefining any other VM removes it (a suspended VM's saved state too).
 * Defining an existing UUID with the same name replaces the definition
 * (used at the next start); it also makes a transient VM persistent.
 */
#include <string.h>

#include <unistd.h>

#include "tb.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static void fill_ref(const tb_vm *vm, vmhi_backend_vm_ref *out)
{
    memcpy(out->uuid, vm->uuid, sizeof(out->uuid));
    memcpy(out->name, vm->name, sizeof(out->name));
}

static int check_no_flags(unsigned int flags, const char *op)
{
    if (flags)
        return tb_error(VMHI_E_INVALID_ARG, "test backend: %s takes no flags (got 0x%x); "
                        "pass 0", op, flags);
    return VMHI_OK;
}

int tb_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    tb_host *h = ((tb_conn *)priv)->host;
    int rc = VMHI_OK;
    tb_lock(h);
    for (size_t i = 0; rc == VMHI_OK && i < h->nvms; i++) {
        vmhi_backend_vm_ref ref;
        fill_ref(h->vms[i], &ref);
        rc = add(ctx, &ref, h->vms[i]->state, h->vms[i]->def != NULL);
    }
    return tb_unlock(h, rc);
}

int tb_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_lock(h);
    const tb_vm *vm = name ? tb_host_find_name(h, name) : tb_host_find_uuid(h, uuid);
    int rc = VMHI_OK;
    if (vm)
        fill_ref(vm, out);
    else if (name)
        rc = tb_error(VMHI_E_NO_VM, "test backend: no VM named '%s'", name);
    else
        rc = tb_error(VMHI_E_NO_VM, "test backend: no VM with UUID %s", uuid);
    return tb_unlock(h, rc);
}

/* EXISTS unless @cfg may define @by_uuid (or a new VM when that is NULL). */
static int check_identity(tb_host *h, const vmhi_vm_config *cfg, const tb_vm *by_uuid)
{
    const char *name = vmhi_vm_config_get_name(cfg);
    if (by_uuid && strcmp(by_uuid->name, name) != 0)
        return tb_error(VMHI_E_EXISTS, "test backend: UUID %s belongs to VM '%s'; a new "
                        "definition of it must keep that name (or use another UUID)",
                        by_uuid->uuid, by_uuid->name);
    const tb_vm *by_name = tb_host_find_name(h, name);
    if (by_name && by_name != by_uuid)
        return tb_error(VMHI_E_EXISTS, "test backend: the name '%s' is taken by VM %s; "
                        "choose another name", name, by_name->uuid);
    return VMHI_OK;
}

/* Creates a shut-off VM around @def or @live (ownership passes on success). */
static int add_new_vm(tb_host *h, vmhi_vm_config *def, vmhi_vm_config *live, tb_vm **out)
{
    const vmhi_vm_config *cfg = def ? def : live;
    tb_vm *vm = tb_alloc(sizeof(*vm));
    if (!vm)
        return VMHI_E_NOMEM;
    memcpy(vm->uuid, vmhi_vm_config_get_uuid(cfg), VMHI_UUID_STRLEN + 1);
    strcpy(vm->name, vmhi_vm_config_get_name(cfg));
    vm->state = VMHI_STATE_SHUTOFF;
    vm->reason = VMHI_REASON_DEFINED;
    int rc = tb_host_add_vm(h, vm);
    if (rc < 0) {
        tb_free(vm);
        return rc;
    }
    vm->def = def;
    vm->live = live;
    *out = vm;
    return VMHI_OK;
}

static int define_new(tb_host *h, vmhi_vm_config *def, tb_vm **out)
{
    int rc = add_new_vm(h, def, NULL, out);
    if (rc < 0)
        return rc;
    rc = tb_store_save_def(h, *out, def);
    if (rc < 0) {
        (*out)->def = NULL; /* still the caller's */
        tb_host_remove_vm(h, *out);
        return rc;
    }
    tb_store_save_state(h, *out);
    return VMHI_OK;
}

int tb_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    vmhi_vm_config *def = NULL;
    tb_lock(h);
    tb_vm *vm = tb_host_find_uuid(h, vmhi_vm_config_get_uuid(cfg));
    int rc = check_no_flags(flags, "define");
    if (rc == VMHI_OK)
        rc = tb_values_check_config(c, cfg);
    if (rc == VMHI_OK)
        rc = tb_config_check_limits(cfg);
    if (rc == VMHI_OK)
        rc = check_identity(h, cfg, vm);
    if (rc == VMHI_OK)
        rc = tb_config_prepare(h, cfg, &def);
    if (rc == VMHI_OK)
        rc = vm ? tb_vm_replace_def(h, vm, def) : define_new(h, def, &vm);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return tb_unlock(h, rc);
    }
    tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    fill_ref(vm, out);
    return tb_unlock(h, VMHI_OK);
}

int tb_undefine(void *priv, const char *uuid, unsigned int flags)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = check_no_flags(flags, "undefine");
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && !vm->def)
        rc = tb_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; it has no definition to "
                      "remove (power it off to remove it)", vm->name);
    if (rc == VMHI_OK)
        rc = tb_store_remove_def(h, uuid);
    if (rc < 0)
        return tb_unlock(h, rc);
    vmhi_vm_config_free(vm->def);
    vm->def = NULL;
    tb_emit(h, vm, VMHI_EVENT_UNDEFINED, NULL, 0);
    if (tb_state_is_active(vm->state)) {
        tb_store_save_state(h, vm);
    } else {
        tb_store_remove_state(h, uuid);
        tb_host_remove_vm(h, vm);
    }
    return tb_unlock(h, VMHI_OK);
}

/* ERR-15: the simulated host boots kernels from the real filesystem, so a
 * missing kernel or initrd is reported the way a real host reports it. */
static int check_boot_files(const vmhi_vm_config *cfg)
{
    const char *files[] = { vmhi_vm_config_get_kernel(cfg), vmhi_vm_config_get_initrd(cfg) };
    static const char *const what[] = { "kernel", "initrd" };
    for (size_t i = 0; i < 2; i++)
        if (files[i] && access(files[i], F_OK) != 0)
            return tb_error(VMHI_E_NOT_FOUND, "test backend: the %s %s does not exist", what[i],
                            files[i]);
    return VMHI_OK;
}

int tb_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    vmhi_vm_config *live = NULL;
    tb_vm *vm = NULL;
    tb_lock(h);
    tb_vm *same = tb_host_find_uuid(h, vmhi_vm_config_get_uuid(cfg));
    int rc = check_no_flags(flags, "create");
    if (rc == VMHI_OK)
        rc = tb_values_check_config(c, cfg);
    if (rc == VMHI_OK && same)
        rc = tb_error(VMHI_E_EXISTS, "test backend: UUID %s is taken by VM '%s'; use "
                      "vmhi_vm_start() for it or another UUID", same->uuid, same->name);
    if (rc == VMHI_OK)
        rc = tb_config_check_limits(cfg);
    if (rc == VMHI_OK)
        rc = check_identity(h, cfg, NULL);
    if (rc == VMHI_OK)
        rc = check_boot_files(cfg);
    if (rc == VMHI_OK)
        rc = tb_host_check_memory(h, NULL, vmhi_vm_config_get_memory_mib(cfg));
    if (rc == VMHI_OK)
        rc = tb_config_prepare(h, cfg, &live);
    if (rc == VMHI_OK)
        rc = add_new_vm(h, NULL, live, &vm);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        return tb_unlock(h, rc);
    }
    fill_ref(vm, out);
    tb_vm_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    return tb_unlock(h, VMHI_OK);
}

/* The config a start runs with: a fresh copy of the definition, or the
 * saved one when restoring (or when a transient VM has no definition). */
static int boot_config(const tb_vm *vm, vmhi_vm_config **out)
{
    if (vm->state == VMHI_STATE_SUSPENDED || !vm->def) {
        *out = NULL;
        return VMHI_OK;
    }
    return tb_config_copy(vm->def, out);
}

int tb_start(void *priv, const char *uuid, unsigned int flags)
{
    tb_host *h = ((tb_conn *)priv)->host;
    vmhi_vm_config *fresh = NULL;
    tb_vm *vm;
    tb_lock(h);
    int rc = check_no_flags(flags, "start");
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "start", BIT(SHUTOFF) | BIT(SUSPENDED) | BIT(CRASHED));
    if (rc == VMHI_OK)
        rc = boot_config(vm, &fresh);
    if (rc == VMHI_OK)
        rc = check_boot_files(fresh ? fresh : vm->live);
    if (rc == VMHI_OK)
        rc = tb_host_check_memory(h, vm, vmhi_vm_config_get_memory_mib(fresh ? fresh
                                                                             : vm->live));
    if (rc < 0) {
        vmhi_vm_config_free(fresh);
        return tb_unlock(h, rc);
    }
    vmhi_state_reason why = vm->state == VMHI_STATE_SUSPENDED ? VMHI_REASON_RESTORED
                                                              : VMHI_REASON_BOOTED;
    if (fresh) {
        vmhi_vm_config_free(vm->live);
        vm->live = fresh;
    }
    vm->cpu_ns = 0;
    tb_vm_transition(h, vm, VMHI_STATE_RUNNING, why);
    return tb_unlock(h, VMHI_OK);
}

/* Only requests: the guest acts later (cooperative), never (unresponsive)
 * or at once (instant); the core waits for shutoff when asked to.  Every
 * method (@flags) reaches the simulated guest the same way. */
int tb_shutdown(void *priv, const char *uuid, unsigned int flags)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    tb_task *task = NULL;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_values_check(c, VMHI_VALUE_SHUTDOWN_METHOD, flags);
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "shutdown", BIT(RUNNING) | BIT(SHUTTING_DOWN));
    if (rc == VMHI_OK && c->guest == TB_GUEST_COOPERATIVE)
        rc = tb_guest_task_new(h, TB_TASK_SHUTDOWN, vm, 0, NULL, &task);
    if (rc < 0)
        return tb_unlock(h, rc);
    if (vm->state == VMHI_STATE_RUNNING)
        tb_vm_transition(h, vm, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
    if (c->guest == TB_GUEST_INSTANT)
        tb_guest_finish_shutdown(h, vm); /* may free a transient vm */
    else if (task)
        tb_guest_enqueue(h, task, vm);
    return tb_unlock(h, VMHI_OK);
}

/* The common shape of the synchronous transitions below. */
static int simple_transition(void *priv, const char *uuid, const char *op, unsigned int allowed,
                             vmhi_vm_state to, vmhi_state_reason why)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, op, allowed);
    if (rc == VMHI_OK)
        tb_vm_transition(h, vm, to ? to : vm->state, why);
    return tb_unlock(h, rc);
}

int tb_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "poweroff");
    if (rc < 0)
        return rc;
    /* From suspended the transition drops the live config: the saved image. */
    return simple_transition(priv, uuid, "poweroff",
                             BIT(RUNNING) | BIT(PAUSED) | BIT(SHUTTING_DOWN) | BIT(CRASHED) |
                                 BIT(SUSPENDED),
                             VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
}

int tb_reset(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "reset");
    if (rc < 0)
        return rc;
    /* A hard reset keeps a paused VM paused, like the reset button. */
    return simple_transition(priv, uuid, "reset", BIT(RUNNING) | BIT(PAUSED), 0,
                             VMHI_REASON_RESET);
}

int tb_pause(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "pause");
    if (rc < 0)
        return rc;
    return simple_transition(priv, uuid, "pause", BIT(RUNNING), VMHI_STATE_PAUSED,
                             VMHI_REASON_USER);
}

int tb_resume(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "resume");
    if (rc < 0)
        return rc;
    return simple_transition(priv, uuid, "resume", BIT(PAUSED), VMHI_STATE_RUNNING,
                             VMHI_REASON_USER);
}

int tb_reboot(void *priv, const char *uuid, unsigned int flags)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    tb_task *task = NULL;
    tb_vm *vm;
    tb_lock(h);
    int rc = check_no_flags(flags, "reboot");
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "reboot", BIT(RUNNING));
    if (rc == VMHI_OK && c->guest == TB_GUEST_COOPERATIVE)
        rc = tb_guest_task_new(h, TB_TASK_REBOOT, vm, 0, NULL, &task);
    if (rc < 0)
        return tb_unlock(h, rc);
    if (c->guest == TB_GUEST_INSTANT)
        tb_guest_finish_reboot(h, vm);
    else if (task)
        tb_guest_enqueue(h, task, vm);
    return tb_unlock(h, VMHI_OK);
}

int tb_suspend(void *priv, const char *uuid, unsigned int flags)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = check_no_flags(flags, "suspend");
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "suspend", BIT(RUNNING) | BIT(PAUSED));
    if (rc == VMHI_OK && !vm->def)
        rc = tb_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; suspend needs a persistent "
                      "VM (define it first)", vm->name);
    /* suspend=guest: the guest saves itself (a Xen PV save), and one that
     * ignores requests never does; the backend gives up, as xen does after
     * its wait, and the VM runs on as it was. */
    if (rc == VMHI_OK && c->suspend_needs_guest && c->guest == TB_GUEST_UNRESPONSIVE)
        rc = tb_error(VMHI_E_TIMEOUT, "VM '%s' did not take part in the suspend: its guest "
                      "ignores requests (suspend=guest)", vm->name);
    if (rc == VMHI_OK)
        tb_vm_transition(h, vm, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    return tb_unlock(h, rc);
}
