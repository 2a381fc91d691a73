/*
 * ESX backend against the vSphere simulator: the power operations, the
 * VMHI state machine enforced even where the simulator is lenient, and
 * progress reports of the tasks behind them.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

static vmhi_vm *lookup(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, name));
    return vm;
}

static void assert_state(vmhi_vm *vm, vmhi_vm_state want, vmhi_state_reason why)
{
    vmhi_vm_state st = 0;
    vmhi_state_reason reason = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, &reason));
    ck_assert_msg(st == want, "state %s, expected %s", vmhi_vm_state_name(st),
                  vmhi_vm_state_name(want));
    ck_assert_msg(reason == why, "reason %s, expected %s", vmhi_state_reason_name(reason),
                  vmhi_state_reason_name(why));
}

START_TEST(poweroff_then_start)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM0");
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    assert_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    ck_vmhi(vmhi_vm_poweroff(vm, 0), VMHI_E_INVALID_STATE);
    ck_assert(strstr(vmhi_error_last_message(), "shutoff") != NULL);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_INVALID_STATE);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(suspend_and_restore)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM1");
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    assert_state(vm, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    /* Not from suspended: suspend, reset, reboot, shutdown. */
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_reset(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_shutdown(vm, 0, 0), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_shut_off_vm_cannot_be_suspended_even_if_the_server_would)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM2");
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_reset(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_shutdown(vm, 0, 0), VMHI_E_INVALID_STATE);
    assert_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(shutdown_and_reset)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM3");
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_RESET);
    /* The simulator's guest powers off at once. */
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 5000, 0));
    assert_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    ck_assert(st == VMHI_STATE_SHUTOFF || st == VMHI_STATE_SHUTTING_DOWN);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static int lifecycle_events;
static vmhi_vm_state last_state;
static vmhi_state_reason last_reason;

static void on_event(vmhi_conn *conn, const vmhi_event *ev, void *userdata)
{
    (void)conn;
    (void)userdata;
    if (vmhi_event_get_type(ev) != VMHI_EVENT_LIFECYCLE)
        return;
    last_state = vmhi_event_get_state(ev);
    last_reason = vmhi_event_get_reason(ev);
    lifecycle_events++;
}

/* PowerOffVM_Task of a suspended VM: vSphere discards the suspend state;
 * the simulator accepts it too.  VMHI: shutoff / poweroff (LC-POWEROFF-4),
 * and the next start boots instead of restoring. */
START_TEST(poweroff_from_suspended_discards_the_saved_state)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = vmhi_test_define(conn, "power-suspended-off");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    assert_state(vm, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    int sub = 0;
    lifecycle_events = 0;
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm), on_event,
                                   NULL, NULL, &sub));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    assert_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    /* Callbacks run here, in vmhi_conn_dispatch_events(). */
    for (int i = 0; i < 40 && !lifecycle_events; i++)
        ck_assert_int_ge(vmhi_conn_dispatch_events(conn, 50), 0);
    ck_assert_int_eq(lifecycle_events, 1);
    ck_assert_int_eq(last_state, VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(last_reason, VMHI_REASON_POWEROFF);
    ck_vmhi_ok(vmhi_conn_unsubscribe(conn, sub));
    /* A new connection sees it shut off too (the server's state). */
    vmhi_conn *other = esx_open();
    vmhi_vm *seen = lookup(other, "power-suspended-off");
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(seen, &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_SHUTOFF);
    vmhi_vm_free(seen);
    vmhi_conn_close(other);
    /* Nothing is left to restore: the next start boots. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ShutdownGuest asks VMware Tools: DEFAULT and GUEST_AGENT are declared,
 * ACPI and PV are not and the core refuses them before the backend. */
START_TEST(shutdown_methods_are_the_guest_agent)
{
    vmhi_conn *conn = esx_open();
    uint64_t methods = 0;
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_SHUTDOWN_METHOD, &methods));
    ck_assert_uint_eq(methods, (1u << VMHI_SHUTDOWN_DEFAULT) | (1u << VMHI_SHUTDOWN_GUEST_AGENT));
    vmhi_vm *vm = vmhi_test_define(conn, "power-methods");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_ACPI), VMHI_E_UNSUPPORTED);
    ck_vmhi(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_PV), VMHI_E_UNSUPPORTED);
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    /* The simulator's guest powers off at once; the core waits. */
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 5000, VMHI_SHUTDOWN_GUEST_AGENT));
    assert_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(reboot_without_server_support_is_unsupported)
{
    /* The simulator lacks RebootGuest (a real ESX host has it): the
     * backend asks the server once and does not claim reboot (CAP-4). */
    vmhi_conn *conn = esx_open();
    vmhi_vm *off = lookup(conn, "ha-host_VM2");
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(off, &st, NULL));
    if (st != VMHI_STATE_SHUTOFF)
        ck_vmhi_ok(vmhi_vm_poweroff(off, 0));
    unsigned int caps = 1;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_REBOOT, &caps));
    ck_assert_uint_eq(caps, 0);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_OK); /* the probe's fault is not ours */
    vmhi_vm *vm = lookup(conn, "ha-host_VM3");
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    if (st != VMHI_STATE_RUNNING)
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_reboot(vm, 0), VMHI_E_UNSUPPORTED);
    assert_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_start(off, 0));
    vmhi_vm_free(off);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(pause_is_unsupported)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM0");
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_UNSUPPORTED);
    ck_vmhi(vmhi_vm_resume(vm, 0), VMHI_E_UNSUPPORTED);
    ck_vmhi(vmhi_vm_poweroff(vm, 1), VMHI_E_INVALID_ARG);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static int progress_calls, progress_done;
static char progress_op[64];

static void on_progress(const char *operation, int percent, void *userdata)
{
    progress_calls++;
    snprintf(progress_op, sizeof(progress_op), "%s", operation);
    if (percent == 100)
        progress_done++;
}

START_TEST(tasks_report_progress)
{
    vmhi_conn_options o = esx_options();
    o.progress_cb = on_progress;
    vmhi_conn *conn = NULL;
    ck_vmhi_ok(vmhi_conn_open(&conn, esx_uri(NULL), &o));
    vmhi_vm *vm = lookup(conn, "ha-host_VM0");
    progress_calls = progress_done = 0;
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_ge(progress_calls, 1);
    ck_assert_int_eq(progress_done, 1);
    ck_assert_str_eq(progress_op, "poweroff");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_str_eq(progress_op, "start");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_vm_removed_behind_our_back_is_no_vm)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_uuid(&vm, conn, "12345678-1234-1234-1234-123456789abc"),
            VMHI_E_NO_VM);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-power");
    TCase *tc = tcase_create("power");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, poweroff_then_start);
    tcase_add_test(tc, suspend_and_restore);
    tcase_add_test(tc, a_shut_off_vm_cannot_be_suspended_even_if_the_server_would);
    tcase_add_test(tc, shutdown_and_reset);
    tcase_add_test(tc, poweroff_from_suspended_discards_the_saved_state);
    tcase_add_test(tc, shutdown_methods_are_the_guest_agent);
    tcase_add_test(tc, reboot_without_server_support_is_unsupported);
    tcase_add_test(tc, pause_is_unsupported);
    tcase_add_test(tc, tasks_report_progress);
    tcase_add_test(tc, a_vm_removed_behind_our_back_is_no_vm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("power", "--vms 4", suite());
}
