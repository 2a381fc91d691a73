/*
 * VMHI backend skeleton - a starting point for a vendor's backend module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * start and poweroff, and the state changes and events behind them.
 *
 * Every state change goes through sk_transition(), so that each one emits
 * exactly one LIFECYCLE event (EV-2) and a transient VM that reaches
 * shutoff ceases to exist (LC-GEN-5) whatever caused the change.  A real
 * backend also calls it when the hypervisor reports a change it did not
 * make (the guest powered off: LC-GEN-7; a crash; another client).
 */
#include <string.h>

#include "skeleton.h"

/* Events are queued by the core for the connection's subscribers; strings
 * are copied, so stack data is fine.  emit_event may be called from any
 * thread (MOD-13) - a backend with its own watcher thread calls it there.
 * Without subscribers (or without the Events profile) the core drops them. */
void sk_emit(sk_conn *c, const sk_vm *vm, vmhi_event_type type)
{
    vmhi_backend_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.struct_size = sizeof(ev);
    ev.type = type;
    ev.uuid = vm->uuid; /* EV-9: lower-case UUID and name of the VM */
    ev.name = vm->name;
    ev.state = vm->state;
    ev.reason = vm->reason;
    sk_core->emit_event(c->conn, &ev);
}

void sk_transition(sk_conn *c, sk_vm *vm, vmhi_vm_state state, vmhi_state_reason reason)
{
    vm->state = state;
    vm->reason = reason;
    sk_emit(c, vm, VMHI_EVENT_LIFECYCLE); /* EV-2, in the order of the changes (EV-3) */
    if (state != VMHI_STATE_SHUTOFF)
        return;
    /* The live configuration ends with the run; the next start uses the
     * definition (LC-START-5). */
    vmhi_vm_config_free(vm->live);
    vm->live = NULL;
    if (!vm->def)
        sk_remove_vm(c, vm); /* LC-GEN-5; no UNDEFINED event for it (EV-5) */
}

/* ERR-5: an INVALID_STATE message names the current and the needed states. */
static int wrong_state(const sk_vm *vm, const char *call, const char *needed)
{
    return sk_error(VMHI_E_INVALID_STATE, "skeleton backend: cannot %s VM '%s': it is %s; "
                    "%s needs it %s", call, vm->name, vmhi_vm_state_name(vm->state), call,
                    needed);
}

/* LC-START-1, LC-START-2, LC-START-4, LC-START-5.  @flags is 0: the core
 * refused anything else (LC-GEN-4). */
int sk_start(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    sk_conn *c = priv;
    sk_vm *vm = NULL;
    int rc = sk_get_vm(c, uuid, &vm);
    if (rc < 0)
        return rc;
    /* TODO(vendor): a suspended VM is restored here, reason restored, with
     * the live configuration it had (LC-START-3, Lifecycle-Full).  The
     * skeleton has no suspend, so none of its VMs is ever suspended. */
    if (vm->state != VMHI_STATE_SHUTOFF && vm->state != VMHI_STATE_CRASHED)
        return wrong_state(vm, "start", "shutoff or crashed");
    /* A persistent VM runs its definition.  (A transient VM is inactive
     * only when it crashed, which the skeleton never does; it would rerun
     * its live configuration.)  The copy is made before the state changes:
     * nothing may fail once a change is visible (LC-GEN-2). */
    const vmhi_vm_config *run = vm->def ? vm->def : vm->live;
    rc = sk_check_boot_files(run); /* ERR-15: the VM stays shut off */
    if (rc < 0)
        return rc;
    vmhi_vm_config *live = NULL;
    rc = vmhi_vm_config_copy(&live, run);
    if (rc < 0)
        return rc; /* the copy set the last error (VMHI_E_NOMEM) */
    /* TODO(vendor): power the VM on through the hypervisor; on failure,
     * free @live and return the mapped code with the native one:
     *     return sk_core->set_error(VMHI_E_BACKEND, fault, "...");     */
    vmhi_vm_config_free(vm->live); /* a crashed VM may still hold one */
    vm->live = live;
    sk_transition(c, vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    return VMHI_OK;
}

/* LC-POWEROFF-1, LC-POWEROFF-2. */
int sk_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    sk_conn *c = priv;
    sk_vm *vm = NULL;
    int rc = sk_get_vm(c, uuid, &vm);
    if (rc < 0)
        return rc;
    if (!sk_state_is_active(vm->state) && vm->state != VMHI_STATE_CRASHED)
        return wrong_state(vm, "power off", "running, paused, shutting-down or crashed");
    /* TODO(vendor): power the VM off through the hypervisor.  With
     * Lifecycle-Full, also cancel any shutdown or reboot request still
     * outstanding with the guest (LC-POWEROFF-3), and accept a suspended
     * VM: discard its saved image, so that the next start boots afresh
     * (LC-POWEROFF-4); with Devices, complete pending detaches (DEV-12).
     * A backend that runs a process per VM waits only for its own pid,
     * never waitpid(-1), and treats ECHILD as "already reaped by the
     * application: the process is gone" (THR-8). */
    sk_transition(c, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF); /* may free @vm */
    return VMHI_OK;
}
