/*
 * The test backend: events, and the guest modes seen through graceful
 * shutdown and reboot.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "test_backend_common.h"

static void expect_lifecycle(const bt_recorder *r, size_t i, vmhi_vm_state st,
                             vmhi_state_reason why)
{
    ck_assert_msg(i < r->count, "event %zu missing", i);
    ck_assert_int_eq(r->ev[i].type, VMHI_EVENT_LIFECYCLE);
    ck_assert_msg(r->ev[i].state == st && r->ev[i].reason == why,
                  "event %zu: %s/%s, expected %s/%s", i, vmhi_vm_state_name(r->ev[i].state),
                  vmhi_state_reason_name(r->ev[i].reason), vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
}

START_TEST(lifecycle_events_arrive_in_order)
{
    vmhi_conn *conn = bt_open("test:///default");
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_ALL_1_0);
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 9);
    ck_assert_int_eq(rec.ev[0].type, VMHI_EVENT_DEFINED);
    ck_assert_str_eq(rec.ev[0].uuid, vmhi_vm_get_uuid(vm));
    expect_lifecycle(&rec, 1, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    expect_lifecycle(&rec, 2, VMHI_STATE_PAUSED, VMHI_REASON_USER);
    expect_lifecycle(&rec, 3, VMHI_STATE_RUNNING, VMHI_REASON_USER);
    expect_lifecycle(&rec, 4, VMHI_STATE_RUNNING, VMHI_REASON_RESET);
    expect_lifecycle(&rec, 5, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    expect_lifecycle(&rec, 6, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED);
    expect_lifecycle(&rec, 7, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    ck_assert_int_eq(rec.ev[8].type, VMHI_EVENT_UNDEFINED);
    for (size_t i = 1; i < rec.count; i++)
        ck_assert_uint_gt(rec.ev[i].seq, rec.ev[i - 1].seq);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(failed_calls_emit_nothing)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_ALL_1_0);
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_memory(vm, 4096, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(transient_vm_reports_shutoff_then_vanishes)
{
    vmhi_conn *conn = bt_open("test:///default");
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 2);
    expect_lifecycle(&rec, 0, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    expect_lifecycle(&rec, 1, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(cooperative_shutdown_passes_through_shutting_down)
{
    vmhi_conn *conn = bt_open("test:///default?guest=cooperative");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    bt_wait_events(conn, &rec, 2);
    expect_lifecycle(&rec, 0, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
    expect_lifecycle(&rec, 1, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(cooperative_shutdown_with_timeout_waits_for_shutoff)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 5000, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(unresponsive_shutdown_times_out)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    uint64_t t0 = bt_now_ms();
    ck_vmhi(vmhi_vm_shutdown(vm, 60, 0), VMHI_E_TIMEOUT);
    ck_assert_uint_ge(bt_now_ms() - t0, 59);
    ck_assert_msg(strstr(vmhi_error_last_message(), "'vm'") != NULL, "%s",
                  vmhi_error_last_message());
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTTING_DOWN);
    /* Asking again is allowed and still not honoured. */
    ck_vmhi(vmhi_vm_shutdown(vm, 10, 0), VMHI_E_TIMEOUT);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

struct poweroff_later {
    vmhi_vm *vm;
    int rc;
};

static void *poweroff_after_delay(void *arg)
{
    struct poweroff_later *p = arg;
    bt_sleep_ms(30);
    p->rc = vmhi_vm_poweroff(p->vm, 0);
    return NULL;
}

START_TEST(shutdown_wait_ends_when_another_thread_powers_off)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    struct poweroff_later p = { vm, -100 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, poweroff_after_delay, &p), 0);
    uint64_t t0 = bt_now_ms();
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 10000, 0));
    ck_assert_uint_lt(bt_now_ms() - t0, 5000);
    pthread_join(t, NULL);
    ck_assert_int_eq(p.rc, VMHI_OK);
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(instant_shutdown_is_done_on_return)
{
    vmhi_conn *conn = bt_open("test:///default?guest=instant");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 2);
    expect_lifecycle(&rec, 0, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
    expect_lifecycle(&rec, 1, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(cooperative_reboot_completes_later)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_vm_reboot(vm, 0));
    bt_wait_events(conn, &rec, 1);
    expect_lifecycle(&rec, 0, VMHI_STATE_RUNNING, VMHI_REASON_REBOOTED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(unresponsive_guest_ignores_reboot)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_vm_reboot(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 80), 0);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_BOOTED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(poweroff_cancels_a_pending_guest_shutdown)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    /* Whichever wins, the VM ends shut off exactly once. */
    int rc = vmhi_vm_poweroff(vm, 0);
    ck_assert(rc == VMHI_OK || rc == VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 100), 3);
    ck_assert_int_eq(rec.ev[1].state, VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(rec.ev[2].state, VMHI_STATE_RUNNING);
    bt_sleep_ms(60); /* a stale guest task must not stop the new run */
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_RUNNING);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(closing_with_pending_guest_work_is_clean)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn); /* joins the guest thread with a task queued */
}
END_TEST

START_TEST(event_fd_signals_queued_events)
{
    vmhi_conn *conn = bt_open("test:///default");
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_DEFINED);
    int fd = -1;
    ck_vmhi_ok(vmhi_conn_get_event_fd(conn, &fd));
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0);
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_assert_int_eq(poll(&p, 1, 1000), 1);
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 1);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(per_vm_subscription_and_unsubscribe)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *a = bt_define(conn, "a", 64);
    vmhi_vm *b = bt_define(conn, "b", 64);
    bt_recorder rec;
    memset(&rec, 0, sizeof(rec));
    int id = 0;
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(b), bt_record,
                                   &rec, NULL, &id));
    ck_vmhi_ok(vmhi_vm_start(a, 0));
    ck_vmhi_ok(vmhi_vm_start(b, 0));
    vmhi_conn_dispatch_events(conn, 0);
    ck_assert_uint_eq(rec.count, 1);
    ck_assert_str_eq(rec.ev[0].uuid, vmhi_vm_get_uuid(b));
    ck_vmhi_ok(vmhi_conn_unsubscribe(conn, id));
    ck_vmhi_ok(vmhi_vm_poweroff(b, 0));
    vmhi_conn_dispatch_events(conn, 0);
    ck_assert_uint_eq(rec.count, 1);
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_conn_close(conn);
}
END_TEST

typedef struct threaded_seen {
    atomic_int count;
    char name[64];
} threaded_seen;

static void count_event(vmhi_conn *conn, const vmhi_event *event, void *userdata)
{
    (void)conn;
    threaded_seen *t = userdata;
    snprintf(t->name, sizeof(t->name), "%s", vmhi_event_get_vm_name(event));
    atomic_fetch_add(&t->count, 1);
}

START_TEST(event_thread_delivers_guest_completions)
{
    vmhi_conn *conn = bt_open("test:///default");
    threaded_seen seen = { 0, "" };
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, NULL, count_event, &seen, NULL,
                                   NULL));
    ck_vmhi_ok(vmhi_conn_start_event_thread(conn));
    vmhi_vm *vm = bt_define(conn, "threaded", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0)); /* running, shutting-down, then shutoff */
    bt_eventually(atomic_load(&seen.count) == 3);
    ck_assert_str_eq(seen.name, "threaded");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_events");
    TCase *tc = tcase_create("events");
    tcase_add_test(tc, lifecycle_events_arrive_in_order);
    tcase_add_test(tc, failed_calls_emit_nothing);
    tcase_add_test(tc, transient_vm_reports_shutoff_then_vanishes);
    tcase_add_test(tc, event_fd_signals_queued_events);
    tcase_add_test(tc, per_vm_subscription_and_unsubscribe);
    tcase_add_test(tc, event_thread_delivers_guest_completions);
    suite_add_tcase(s, tc);
    tc = tcase_create("guest");
    tcase_add_test(tc, cooperative_shutdown_passes_through_shutting_down);
    tcase_add_test(tc, cooperative_shutdown_with_timeout_waits_for_shutoff);
    tcase_add_test(tc, unresponsive_shutdown_times_out);
    tcase_add_test(tc, shutdown_wait_ends_when_another_thread_powers_off);
    tcase_add_test(tc, instant_shutdown_is_done_on_return);
    tcase_add_test(tc, cooperative_reboot_completes_later);
    tcase_add_test(tc, unresponsive_guest_ignores_reboot);
    tcase_add_test(tc, poweroff_cancels_a_pending_guest_shutdown);
    tcase_add_test(tc, closing_with_pending_guest_work_is_clean);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
