/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Listing, lookup, definitions and the VM state machine of vmhi/vm.h:
 *
 *   start     shutoff, crashed -> running (booted): spawn QEMU
 *   shutdown  running, shutting-down -> shutting-down (system_powerdown),
 *             shutoff when the guest powers off and QEMU exits
 *   poweroff  running, paused, shutting-down, crashed -> shutoff: `quit`,
 *             then SIGTERM, then SIGKILL, each after a bounded wait for
 *             the pidfd (never a sleep)
 *   reboot    running: QEMU is told to hold the guest when it powers off,
 *             then system_powerdown; the power-off becomes reset + cont
 *             and a running (rebooted) event (kvm_events.c)
 *   reset     running, paused: system_reset (the RESET event reports it)
 *   pause     running -> paused: stop      resume  paused -> running: cont
 *
 *   start     suspended -> running (restored): kvm_suspend.c
 *
 * A QEMU that exits unexpectedly makes the VM crashed (kvm_monitor.c); it
 * can be started again or powered off.  Suspend is in kvm_suspend.c.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kvm.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static void fill_ref(const kvm_vm *vm, vmhi_backend_vm_ref *out)
{
    memcpy(out->uuid, vm->uuid, sizeof(out->uuid));
    memcpy(out->name, vm->name, sizeof(out->name));
}

static int check_no_flags(unsigned int flags, const char *op)
{
    if (flags)
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: %s takes no flags (got 0x%x); pass 0", op,
                         flags);
    return VMHI_OK;
}

int kvm_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    int rc = VMHI_OK;
    kvm_lock_conn(priv);
    for (size_t i = 0; rc == VMHI_OK && i < h->nvms; i++) {
        vmhi_backend_vm_ref ref;
        fill_ref(h->vms[i], &ref);
        rc = add(ctx, &ref, h->vms[i]->state, h->vms[i]->def != NULL);
    }
    return kvm_unlock(h, rc);
}

int kvm_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_lock_conn(priv);
    const kvm_vm *vm = name ? kvm_host_find_name(h, name) : kvm_host_find_uuid(h, uuid);
    int rc = VMHI_OK;
    if (vm)
        fill_ref(vm, out);
    else if (name)
        rc = kvm_error(VMHI_E_NO_VM, "kvm: no VM named '%s'", name);
    else
        rc = kvm_error(VMHI_E_NO_VM, "kvm: no VM with UUID %s", uuid);
    return kvm_unlock(h, rc);
}

static int check_identity(kvm_host *h, const vmhi_vm_config *cfg, const kvm_vm *by_uuid)
{
    const char *name = vmhi_vm_config_get_name(cfg);
    if (by_uuid && strcmp(by_uuid->name, name) != 0)
        return kvm_error(VMHI_E_EXISTS, "kvm: UUID %s belongs to VM '%s'; a new definition of "
                         "it must keep that name (or use another UUID)", by_uuid->uuid,
                         by_uuid->name);
    const kvm_vm *by_name = kvm_host_find_name(h, name);
    if (by_name && by_name != by_uuid)
        return kvm_error(VMHI_E_EXISTS, "kvm: the name '%s' is taken by VM %s; choose another "
                         "name", name, by_name->uuid);
    return VMHI_OK;
}

/* Adds a shut-off VM around @def or @live (ownership passes on success). */
static int add_new_vm(kvm_host *h, vmhi_vm_config *def, vmhi_vm_config *live, kvm_vm **out)
{
    const vmhi_vm_config *cfg = def ? def : live;
    kvm_vm *vm = kvm_alloc(sizeof(*vm));
    if (!vm)
        return VMHI_E_NOMEM;
    snprintf(vm->uuid, sizeof(vm->uuid), "%s", vmhi_vm_config_get_uuid(cfg));
    snprintf(vm->name, sizeof(vm->name), "%s", vmhi_vm_config_get_name(cfg));
    vm->state = VMHI_STATE_SHUTOFF;
    vm->reason = VMHI_REASON_DEFINED;
    int rc = kvm_host_add_vm(h, vm);
    if (rc < 0) {
        kvm_free(vm);
        return rc;
    }
    vm->def = def;
    vm->live = live;
    *out = vm;
    return VMHI_OK;
}

int kvm_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    vmhi_vm_config *def = NULL;
    kvm_lock_conn(priv);
    kvm_vm *vm = kvm_host_find_uuid(h, vmhi_vm_config_get_uuid(cfg));
    int rc = check_no_flags(flags, "define");
    if (rc == VMHI_OK)
        rc = kvm_config_check(cfg);
    if (rc == VMHI_OK)
        rc = check_identity(h, cfg, vm);
    if (rc == VMHI_OK)
        rc = kvm_config_prepare(h, cfg, &def);
    if (rc == VMHI_OK)
        rc = kvm_store_save_def(h, vmhi_vm_config_get_uuid(cfg), def);
    if (rc == VMHI_OK && !vm && (rc = add_new_vm(h, def, NULL, &vm)) < 0)
        kvm_store_remove_def(h, vmhi_vm_config_get_uuid(cfg));
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return kvm_unlock(h, rc);
    }
    if (vm->def != def) {
        bool was_transient = vm->def == NULL;
        vmhi_vm_config_free(vm->def);
        vm->def = def;
        if (was_transient && vm->live)
            kvm_runstate_save(h, vm);
    }
    kvm_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    fill_ref(vm, out);
    return kvm_unlock(h, VMHI_OK);
}

int kvm_undefine(void *priv, const char *uuid, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = check_no_flags(flags, "undefine");
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && !vm->def)
        rc = kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; it has no definition to "
                       "remove (power it off to remove it)", vm->name);
    if (rc == VMHI_OK)
        rc = kvm_store_remove_def(h, uuid);
    if (rc < 0)
        return kvm_unlock(h, rc);
    if (vm->state == VMHI_STATE_SUSPENDED)
        kvm_suspend_discard(h, vm); /* its saved state goes with it */
    vmhi_vm_config_free(vm->def);
    vm->def = NULL;
    kvm_emit(h, vm, VMHI_EVENT_UNDEFINED, NULL, 0);
    if (vm->run) {
        kvm_runstate_save(h, vm); /* still running, now transient */
    } else {
        kvm_runstate_remove(h, uuid);
        kvm_host_remove_vm(h, vm);
    }
    return kvm_unlock(h, VMHI_OK);
}

/* Spawns QEMU for @vm, whose live config is set; on failure the VM is
 * left as it was (live config dropped unless it had one before). */
static int boot(kvm_conn *c, kvm_vm *vm)
{
    kvm_host *h = c->host;
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    kvm_vm_claim(vm);
    int rc = kvm_start_process(c, vm, NULL);
    kvm_vm_release(h, uuid);
    if (rc < 0)
        return rc;
    kvm_vm_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    return VMHI_OK;
}

int kvm_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out)
{
    kvm_conn *c = priv;
    kvm_host *h = c->host;
    vmhi_vm_config *live = NULL;
    kvm_vm *vm = NULL;
    kvm_lock_conn(priv);
    const kvm_vm *same = kvm_host_find_uuid(h, vmhi_vm_config_get_uuid(cfg));
    int rc = check_no_flags(flags, "create");
    if (rc == VMHI_OK && same)
        rc = kvm_error(VMHI_E_EXISTS, "kvm: UUID %s is taken by VM '%s'; use vmhi_vm_start() "
                       "for it or another UUID", same->uuid, same->name);
    if (rc == VMHI_OK)
        rc = kvm_config_check(cfg);
    if (rc == VMHI_OK)
        rc = check_identity(h, cfg, NULL);
    if (rc == VMHI_OK)
        rc = kvm_config_prepare(h, cfg, &live);
    if (rc == VMHI_OK)
        rc = add_new_vm(h, NULL, live, &vm);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        return kvm_unlock(h, rc);
    }
    fill_ref(vm, out);
    rc = boot(c, vm);
    if (rc < 0)
        kvm_host_remove_vm(h, vm);
    return kvm_unlock(h, rc);
}

int kvm_start(void *priv, const char *uuid, unsigned int flags)
{
    kvm_conn *c = priv;
    kvm_host *h = c->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = check_no_flags(flags, "start");
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "start", BIT(SHUTOFF) | BIT(SUSPENDED) | BIT(CRASHED));
    if (rc == VMHI_OK && vm->state == VMHI_STATE_SUSPENDED) {
        kvm_vm_claim(vm);
        rc = kvm_suspend_restore(c, vm);
        kvm_vm_release(h, uuid);
        return kvm_unlock(h, rc);
    }
    vmhi_vm_config *old_live = NULL, *fresh = NULL;
    if (rc == VMHI_OK && vm->def)
        rc = kvm_config_copy(vm->def, &fresh);
    if (rc < 0)
        return kvm_unlock(h, rc);
    if (fresh) {
        old_live = vm->live;
        vm->live = fresh;
    }
    rc = boot(c, vm);
    if (rc < 0 && fresh) {
        vm->live = old_live; /* a crashed transient VM keeps what it ran with */
        vmhi_vm_config_free(fresh);
    } else {
        vmhi_vm_config_free(old_live);
    }
    return kvm_unlock(h, rc);
}

/* Waits until @uuid no longer runs the process @run; false on timeout. */
static bool wait_retired(kvm_host *h, const char *uuid, const kvm_run *run, unsigned int ms)
{
    uint64_t deadline = kvm_now_ns() + (uint64_t)ms * 1000000u;
    for (;;) {
        if (run->exited)
            return true;
        const kvm_vm *vm = kvm_host_find_uuid(h, uuid);
        if (!vm || vm->run != run)
            return true;
        if (!kvm_wait_until(h, deadline))
            return run->exited;
    }
}

/* quit, then SIGTERM, then SIGKILL; returns when the monitor retired the run. */
int kvm_stop_process(kvm_host *h, kvm_vm *vm)
{
    char uuid[VMHI_UUID_STRLEN + 1], name[VMHI_NAME_MAX + 1];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    snprintf(name, sizeof(name), "%s", vm->name);
    kvm_run *run = vm->run;
    kvm_run_ref(run);
    run->quit_sent = true;
    kvm_vm *same = kvm_host_find_uuid(h, uuid);
    if (same && same->run == run) {
        if (kvm_qmp_call(h, same, "quit", NULL, NULL) < 0)
            kvm_error_begin(); /* the reply races with the exit: the wait decides */
    }
    static const struct { int sig; unsigned int ms; } steps[] = {
        { 0, KVM_QUIT_WAIT_MS }, { SIGTERM, KVM_TERM_WAIT_MS }, { SIGKILL, KVM_KILL_WAIT_MS },
    };
    bool done = false;
    for (size_t i = 0; !done && i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (steps[i].sig) {
            kvm_store_log(h, VMHI_LOG_WARN, "kvm: QEMU of VM '%s' did not exit; sending %s",
                          name, steps[i].sig == SIGTERM ? "SIGTERM" : "SIGKILL");
            kvm_proc_signal(&run->proc, steps[i].sig);
        }
        done = wait_retired(h, uuid, run, steps[i].ms);
    }
    kvm_run_unref(run);
    if (!done)
        return kvm_error(VMHI_E_TIMEOUT, "kvm: QEMU of VM '%s' survived SIGKILL for %u ms",
                         name, KVM_KILL_WAIT_MS);
    return VMHI_OK;
}

int kvm_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = check_no_flags(flags, "poweroff");
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "poweroff", BIT(RUNNING) | BIT(PAUSED) | BIT(SHUTTING_DOWN) |
                                                   BIT(CRASHED) | BIT(SUSPENDED));
    if (rc < 0)
        return kvm_unlock(h, rc);
    if (vm->state == VMHI_STATE_SUSPENDED) { /* the saved image goes; it boots afresh */
        kvm_suspend_discard(h, vm);
        kvm_vm_transition(h, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
        return kvm_unlock(h, VMHI_OK);
    }
    kvm_vm_claim(vm);
    if (vm->run && vm->run->quit_sent) {
        /* Another call is powering it off: report the outcome it reaches. */
        kvm_run *run = vm->run;
        kvm_run_ref(run);
        wait_retired(h, uuid, run, KVM_QUIT_WAIT_MS + KVM_TERM_WAIT_MS + KVM_KILL_WAIT_MS);
        kvm_run_unref(run);
        rc = kvm_error(VMHI_E_INVALID_STATE, "kvm: VM %s was powered off by another call",
                       uuid);
    } else if (vm->run) {
        rc = kvm_stop_process(h, vm);
    } else {
        kvm_vm_transition(h, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    }
    kvm_vm_release(h, uuid);
    return kvm_unlock(h, rc);
}

/* Withdraws a graceful reboot the guest has not acted on: its power-off
 * must end the VM again (a shutdown or reset supersedes the reboot). */
static int cancel_reboot(kvm_host *h, const char *uuid)
{
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    if (!vm || !vm->run || vm->run->reboot != KVM_REBOOT_REQUESTED)
        return VMHI_OK;
    json_object *act = json_object_new_object();
    json_object_object_add(act, "shutdown", json_object_new_string("poweroff"));
    int rc = kvm_qmp_call(h, vm, "set-action", act, NULL);
    if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) && vm->run)
        vm->run->reboot = KVM_REBOOT_NONE;
    return rc;
}

/* Only requests (ACPI power button, repeated by the nudger until the guest
 * acts): the core waits for shutoff by polling get_info. */
int kvm_shutdown(void *priv, const char *uuid, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = flags == VMHI_SHUTDOWN_DEFAULT || flags == VMHI_SHUTDOWN_ACPI
                 ? VMHI_OK
                 : kvm_error(VMHI_E_UNSUPPORTED, "kvm: shutdown method %u is not offered; use "
                             "acpi", flags);
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "shutdown", BIT(RUNNING) | BIT(SHUTTING_DOWN));
    if (rc == VMHI_OK) {
        kvm_vm_claim(vm);
        rc = cancel_reboot(h, uuid);
        if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK)
            rc = kvm_qmp_call(h, vm, "system_powerdown", NULL, NULL);
        if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) && vm->run)
            kvm_nudge_arm(h, vm->run);
        if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) &&
            vm->state == VMHI_STATE_RUNNING)
            kvm_vm_transition(h, vm, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
        kvm_vm_release(h, uuid);
    }
    return kvm_unlock(h, rc);
}

int kvm_reboot(void *priv, const char *uuid, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = check_no_flags(flags, "reboot");
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "reboot", BIT(RUNNING));
    if (rc == VMHI_OK)
        kvm_vm_claim(vm);
    if (rc == VMHI_OK) {
        json_object *act = json_object_new_object();
        json_object_object_add(act, "shutdown", json_object_new_string("pause"));
        rc = kvm_qmp_call(h, vm, "set-action", act, NULL);
    }
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK && vm->run) {
        vm->run->reboot = KVM_REBOOT_REQUESTED;
        rc = kvm_qmp_call(h, vm, "system_powerdown", NULL, NULL);
    }
    if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) && vm->run)
        kvm_nudge_arm(h, vm->run);
    kvm_vm_release(h, uuid);
    return kvm_unlock(h, rc);
}

/* Which request a command makes, so the event it causes gets reason "user". */
typedef enum request { REQ_PAUSE, REQ_RESUME, REQ_RESET } request;

/* QEMU resets after it answers system_reset: wait for its RESET event,
 * so that the call returns with the VM reset (and its event queued). */
static void wait_reset(kvm_host *h, const char *uuid, unsigned long before)
{
    uint64_t deadline = kvm_now_ns() + (uint64_t)kvm_call_timeout_ms() * 1000000u;
    kvm_vm *vm;
    while ((vm = kvm_host_find_uuid(h, uuid)) && vm->run && vm->run->resets == before &&
           kvm_wait_until(h, deadline))
        ;
}

/* The shape of the synchronous QMP-backed transitions. */
static int simple_command(void *priv, const char *uuid, const char *op, unsigned int allowed,
                          const char *cmd, request which)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, op, allowed);
    if (rc == VMHI_OK && !vm->run)
        rc = kvm_error(VMHI_E_CONNECTION, "kvm: VM '%s' has no QEMU this process can reach",
                       vm->name);
    if (rc == VMHI_OK) {
        vm->run->pause_requested |= which == REQ_PAUSE;
        vm->run->resume_requested |= which == REQ_RESUME;
        vm->run->reset_requested |= which == REQ_RESET;
        kvm_vm_claim(vm);
        if (which == REQ_RESET)
            rc = cancel_reboot(h, uuid);
        unsigned long resets = vm->run->resets;
        if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK)
            rc = kvm_qmp_call(h, vm, cmd, NULL, NULL);
        if (rc == VMHI_OK && which == REQ_RESET)
            wait_reset(h, uuid, resets);
        kvm_vm_release(h, uuid);
    }
    return kvm_unlock(h, rc);
}

int kvm_reset(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "reset");
    return rc < 0 ? rc : simple_command(priv, uuid, "reset", BIT(RUNNING) | BIT(PAUSED),
                                        "system_reset", REQ_RESET);
}

int kvm_pause(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "pause");
    return rc < 0 ? rc : simple_command(priv, uuid, "pause", BIT(RUNNING), "stop", REQ_PAUSE);
}

int kvm_resume(void *priv, const char *uuid, unsigned int flags)
{
    int rc = check_no_flags(flags, "resume");
    return rc < 0 ? rc : simple_command(priv, uuid, "resume", BIT(PAUSED), "cont", REQ_RESUME);
}
