/*
 * ESX backend against the vSphere simulator: events.  Our own operations
 * report their changes before they return, once; the watcher
 * (WaitForUpdatesEx) reports what other clients do, and keeps doing so
 * after the server restarted; closing a connection does not wait for the
 * watcher's long poll.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esx_sim.h"
#include "testutil.h"

typedef struct seen {
    size_t n;
    vmhi_event_type type[64];
    vmhi_vm_state state[64];
    vmhi_state_reason reason[64];
} seen;

static void record(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    seen *s = data;
    (void)conn;
    if (s->n < 64) {
        s->type[s->n] = vmhi_event_get_type(ev);
        s->state[s->n] = vmhi_event_get_state(ev);
        s->reason[s->n] = vmhi_event_get_reason(ev);
        s->n++;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Delivers events until @s holds @n of them or @ms passed. */
static void wait_for(vmhi_conn *conn, seen *s, size_t n, int ms)
{
    double end = now_ms() + ms;
    while (s->n < n && now_ms() < end)
        ck_assert_int_ge(vmhi_conn_dispatch_events(conn, 50), 0);
}

static vmhi_vm *lookup(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, name));
    return vm;
}

static void expect(const seen *s, size_t i, vmhi_vm_state st, vmhi_state_reason why)
{
    ck_assert_uint_gt(s->n, i);
    ck_assert_int_eq(s->type[i], VMHI_EVENT_LIFECYCLE);
    ck_assert_msg(s->state[i] == st && s->reason[i] == why, "event %zu is %s/%s, not %s/%s", i,
                  vmhi_vm_state_name(s->state[i]), vmhi_state_reason_name(s->reason[i]),
                  vmhi_vm_state_name(st), vmhi_state_reason_name(why));
}

START_TEST(own_operations_report_once_before_returning)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM0");
    seen s = { 0 };
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm), record, &s,
                                   NULL, NULL));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 1);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 1);
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 2);
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_INVALID_STATE); /* no event (EV-4) */
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 2);
    /* The simulator's guest complies at once: one event, shutoff. */
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 1);
    /* The watcher learns the same changes later: no second report. */
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 1000), 0);
    ck_assert_uint_eq(s.n, 7);
    expect(&s, 0, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    expect(&s, 1, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    expect(&s, 2, VMHI_STATE_RUNNING, VMHI_REASON_RESET);
    expect(&s, 3, VMHI_STATE_RUNNING, VMHI_REASON_RESET);
    expect(&s, 4, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    expect(&s, 5, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED);
    expect(&s, 6, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(changes_by_another_client_are_reported)
{
    vmhi_conn *conn = esx_open(), *other = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM1");
    vmhi_vm *there = lookup(other, "ha-host_VM1");
    seen s = { 0 };
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, NULL, record, &s, NULL, NULL));
    ck_vmhi_ok(vmhi_vm_poweroff(there, 0));
    wait_for(conn, &s, 1, 5000);
    expect(&s, 0, VMHI_STATE_SHUTOFF, VMHI_REASON_HOST);
    /* The cache follows: no stale answer. */
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_SHUTOFF);
    ck_vmhi_ok(vmhi_vm_start(there, 0));
    wait_for(conn, &s, 2, 5000);
    expect(&s, 1, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    vmhi_vm_free(there);
    vmhi_vm_free(vm);
    vmhi_conn_close(other);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(closing_does_not_wait_for_the_long_poll)
{
    vmhi_conn *conn = esx_open();
    struct timespec pause = { 0, 400 * 1000000L };
    nanosleep(&pause, NULL); /* the watcher now waits for updates */
    double t0 = now_ms();
    vmhi_conn_close(conn);
    ck_assert_msg(now_ms() - t0 < 1000, "close took %.0f ms", now_ms() - t0);
}
END_TEST

START_TEST(events_go_on_after_a_server_restart)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = lookup(conn, "ha-host_VM0"), *mine = lookup(conn, "ha-host_VM1");
    seen s = { 0 };
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm), record, &s,
                                   NULL, NULL));
    ck_assert_int_eq(esx_sim_restart(&esx_test_sim, "--vms 2"), 0);
    /* A call logs in again (the watcher cannot: only a call may ask for
     * credentials), and the watcher follows in the new session. */
    ck_vmhi_ok(vmhi_vm_poweroff(mine, 0));
    vmhi_conn *other = esx_open();
    vmhi_vm *there = lookup(other, "ha-host_VM0");
    ck_vmhi_ok(vmhi_vm_poweroff(there, 0));
    wait_for(conn, &s, 1, 10000);
    expect(&s, 0, VMHI_STATE_SHUTOFF, VMHI_REASON_HOST);
    vmhi_vm_free(there);
    vmhi_vm_free(mine);
    vmhi_vm_free(vm);
    vmhi_conn_close(other);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-events");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, own_operations_report_once_before_returning);
    tcase_add_test(tc, changes_by_another_client_are_reported);
    tcase_add_test(tc, closing_does_not_wait_for_the_long_poll);
    tcase_add_test(tc, events_go_on_after_a_server_restart);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("events", "--vms 2", suite());
}
