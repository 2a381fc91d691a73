/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Power operations and the VMHI state machine on ESX:
 *
 *   start     shutoff, suspended   PowerOnVM_Task   -> running (booted / restored)
 *   shutdown  running, shutting-down  ShutdownGuest -> shutting-down until the
 *                                   guest powers off (VMware Tools needed); only
 *                                   requested, the core waits
 *   poweroff  running, shutting-down, PowerOffVM_Task -> shutoff (poweroff); from
 *             suspended                suspended vSphere discards the suspend
 *                                   state (the .vmss in the VM's folder)
 *   reboot    running              RebootGuest      -> running (rebooted)
 *   reset     running              ResetVM_Task     -> running (reset)
 *   suspend   running              SuspendVM_Task   -> suspended
 *
 * ESX has no paused state (pause/resume are unsupported) and no crashed
 * one.  The state is read from the server before each operation and
 * checked here, because some servers (the simulator) accept calls that
 * the VMHI state machine forbids, such as suspending a powered-off VM.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static void states_text(unsigned int mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int st = VMHI_STATE_SHUTOFF; st <= VMHI_STATE_CRASHED; st++) {
        if (!(mask & VMHI_STATE_BIT(st)))
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                vmhi_vm_state_name((vmhi_vm_state)st));
        if (len >= size)
            break;
    }
}

static int require_state(const esx_vm *vm, const char *op, unsigned int allowed)
{
    vmhi_vm_state st = esx_vm_state(vm);
    if (allowed & VMHI_STATE_BIT(st))
        return VMHI_OK;
    char list[128];
    states_text(allowed, list, sizeof(list));
    return esx_error(VMHI_E_INVALID_STATE, "esx: cannot %s VM '%s': it is %s (%s needs: %s)",
                     op, vm->name, vmhi_vm_state_name(st), op, list);
}

static int check_no_flags(unsigned int flags, const char *op)
{
    if (flags)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %s takes no flags (got 0x%x); pass 0", op,
                         flags);
    return VMHI_OK;
}

/* Reads the VM afresh and checks its state is one of @allowed. */
static int prepare(esx_conn *c, const char *uuid, const char *op, unsigned int allowed,
                   esx_vm *vm)
{
    int rc = esx_inventory_get(c, NULL, uuid, true, vm);
    return rc < 0 ? rc : require_state(vm, op, allowed);
}

static void vm_body(esx_buf *b, const char *method, const char *moref)
{
    esx_buf_init(b);
    esx_soap_begin(b, method, "VirtualMachine", moref);
    esx_soap_end(b, method);
}

/* Runs a *_Task method on the VM; @to/@why: the state it leads to, which
 * it reports (LIFECYCLE; @force: also when it equals the last reported). */
static int run_task(esx_conn *c, const esx_vm *vm, const char *method, const char *op,
                    esx_power to, vmhi_state_reason why, bool force)
{
    esx_buf b;
    vm_body(&b, method, vm->moref);
    esx_inventory_expect(c, vm->moref, to, why);
    esx_event_begin(c, vm->moref);
    int rc = esx_call_task(c, method, &b, op, NULL);
    esx_buf_free(&b);
    esx_inventory_done(c, vm->moref, rc == VMHI_OK ? to : ESX_POWER_UNKNOWN, why);
    esx_event_end(c, vm->moref, rc == VMHI_OK && force);
    return rc;
}

/* Runs a method that returns at once (the guest acts later). */
static int run_call(esx_conn *c, const esx_vm *vm, const char *method)
{
    esx_buf b;
    esx_reply r;
    vm_body(&b, method, vm->moref);
    int rc = esx_call(c, method, &b, &r);
    esx_buf_free(&b);
    if (rc == VMHI_OK)
        esx_reply_free(&r);
    return rc;
}

static int power_task(void *priv, const char *uuid, unsigned int flags, const char *op,
                      unsigned int allowed, const char *method, esx_power to,
                      vmhi_state_reason why, bool force)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = check_no_flags(flags, op);
    if (rc == VMHI_OK)
        rc = prepare(c, uuid, op, allowed, &vm);
    if (rc == VMHI_OK)
        rc = run_task(c, &vm, method, op, to, why, force);
    return esx_slot_end(rc);
}

int esx_start(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = check_no_flags(flags, "start");
    if (rc == VMHI_OK)
        rc = prepare(c, uuid, "start", BIT(SHUTOFF) | BIT(SUSPENDED), &vm);
    /* From shutoff the VM runs with its current definition (LC-START-5). */
    if (rc == VMHI_OK)
        rc = esx_definition_settle(c, &vm, "start");
    if (rc == VMHI_OK)
        rc = run_task(c, &vm, "PowerOnVM_Task", "start", ESX_POWER_ON,
                      vm.power == ESX_POWER_SUSPENDED ? VMHI_REASON_RESTORED
                                                      : VMHI_REASON_BOOTED, false);
    return esx_slot_end(rc);
}

int esx_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = check_no_flags(flags, "poweroff");
    if (rc == VMHI_OK)
        rc = prepare(c, uuid, "poweroff", BIT(RUNNING) | BIT(SHUTTING_DOWN) | BIT(SUSPENDED),
                     &vm);
    if (rc == VMHI_OK)
        rc = run_task(c, &vm, "PowerOffVM_Task", "poweroff", ESX_POWER_OFF,
                      VMHI_REASON_POWEROFF, false);
    /* A transient VM ceases to exist at shutoff (LC-GEN-5). */
    if (rc == VMHI_OK && vm.transient)
        rc = esx_unregister(c, &vm);
    return esx_slot_end(rc);
}

int esx_reset(void *priv, const char *uuid, unsigned int flags)
{
    /* Running/reset again after a reset is a new transition (EV-2). */
    return power_task(priv, uuid, flags, "reset", BIT(RUNNING), "ResetVM_Task", ESX_POWER_ON,
                      VMHI_REASON_RESET, true);
}

int esx_suspend(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = check_no_flags(flags, "suspend");
    if (rc == VMHI_OK)
        rc = prepare(c, uuid, "suspend", BIT(RUNNING), &vm);
    if (rc == VMHI_OK && vm.transient)
        rc = esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is transient; only a VM with a "
                       "definition can be suspended (define it again first)", vm.name);
    if (rc == VMHI_OK)
        rc = run_task(c, &vm, "SuspendVM_Task", "suspend", ESX_POWER_SUSPENDED,
                      VMHI_REASON_SUSPENDED, false);
    return esx_slot_end(rc);
}

int esx_reboot(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = check_no_flags(flags, "reboot");
    if (rc == VMHI_OK)
        rc = prepare(c, uuid, "reboot", BIT(RUNNING), &vm);
    if (rc == VMHI_OK)
        rc = run_call(c, &vm, "RebootGuest");
    if (rc == VMHI_OK)
        esx_inventory_done(c, vm.moref, ESX_POWER_ON, VMHI_REASON_REBOOTED);
    return esx_slot_end(rc);
}

/* After ShutdownGuest: a guest that complied at once left the VM shut
 * off; otherwise it is shutting-down until the guest acts. */
static int after_request(esx_conn *c, const esx_vm *vm)
{
    esx_vm now;
    int rc = esx_inventory_refresh(c, vm->moref, &now);
    if (rc == VMHI_OK && now.power == ESX_POWER_ON)
        esx_inventory_set_shutdown(c, vm->moref, true);
    esx_inventory_done(c, vm->moref, ESX_POWER_UNKNOWN, VMHI_REASON_UNKNOWN);
    return rc;
}

int esx_shutdown(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    /* Both declared methods (DEFAULT, GUEST_AGENT) are ShutdownGuest:
     * vSphere asks VMware Tools and has no ACPI power button.  The core
     * waits for shutoff (polling get_info); a transient VM found shut off
     * then is unregistered by the lookup (esx_inventory_get()). */
    (void)flags;
    int rc = prepare(c, uuid, "shut down", BIT(RUNNING) | BIT(SHUTTING_DOWN), &vm);
    if (rc < 0)
        return esx_slot_end(rc);
    esx_inventory_expect(c, vm.moref, ESX_POWER_OFF, VMHI_REASON_SHUTDOWN_GUEST);
    esx_event_begin(c, vm.moref);
    rc = run_call(c, &vm, "ShutdownGuest");
    if (rc == VMHI_OK)
        rc = after_request(c, &vm);
    /* shutting-down / shutdown-requested, or shutoff / shutdown-guest;
     * nothing for a VM that was shutting down already (EV-4). */
    esx_event_end(c, vm.moref, false);
    return esx_slot_end(rc);
}
