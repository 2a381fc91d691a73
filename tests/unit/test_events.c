/*
 * Event delivery: eventfd + dispatch, the library's own thread, filters,
 * ordering without gaps, unsubscribe from a callback, re-entrancy.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "testutil.h"

#define MAX_SEEN 256

struct seen {
    pthread_mutex_t lock;
    int count;
    vmhi_event_type types[MAX_SEEN];
    vmhi_vm_state states[MAX_SEEN];
    uint64_t seqs[MAX_SEEN];
    char uuids[MAX_SEEN][VMHI_UUID_STRLEN + 1];
    int unsubscribe_id;          /* unsubscribe this id from the callback, if > 0 */
    int reentrant_rc;
};

static void record(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    struct seen *s = data;
    pthread_mutex_lock(&s->lock);
    if (s->count < MAX_SEEN) {
        s->types[s->count] = vmhi_event_get_type(ev);
        s->states[s->count] = vmhi_event_get_state(ev);
        s->seqs[s->count] = vmhi_event_get_seq(ev);
        strcpy(s->uuids[s->count], vmhi_event_get_vm_uuid(ev));
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    s->reentrant_rc = vmhi_conn_dispatch_events(conn, 0);
    if (s->unsubscribe_id > 0) {
        vmhi_conn_unsubscribe(conn, s->unsubscribe_id);
        s->unsubscribe_id = 0;
    }
}

static vmhi_conn *open_instant(void)
{
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, "test:///default?guest=instant", NULL));
    return c;
}

static vmhi_vm *define_vm(vmhi_conn *c, const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, c, cfg));
    vmhi_vm_config_free(cfg);
    return vm;
}

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
}

START_TEST(test_fd_and_dispatch)
{
    vmhi_conn *c = open_instant();
    struct seen s;
    seen_init(&s);
    int fd = -1;
    ck_vmhi_ok(vmhi_conn_get_event_fd(c, &fd));
    ck_assert_int_ge(fd, 0);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, NULL, record, &s, NULL));
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0); /* nothing yet */
    vmhi_vm *vm = define_vm(c, "ev1");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm));
    ck_assert_int_eq(poll(&p, 1, 1000), 1);
    int n = vmhi_conn_dispatch_events(c, 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(s.count, 3);
    ck_assert_int_eq(s.types[0], VMHI_EVENT_DEFINED);
    ck_assert_int_eq(s.types[1], VMHI_EVENT_LIFECYCLE);
    ck_assert_int_eq(s.states[1], VMHI_STATE_RUNNING);
    ck_assert_int_eq(s.states[2], VMHI_STATE_PAUSED);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(s.seqs[i], (uint64_t)i + 1);
    ck_assert_int_eq(s.reentrant_rc, VMHI_E_BUSY);
    ck_assert_int_eq(poll(&p, 1, 0), 0); /* drained: no longer readable */
    ck_assert_int_eq(vmhi_conn_dispatch_events(c, 0), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_filters)
{
    vmhi_conn *c = open_instant();
    vmhi_vm *a = define_vm(c, "fa");
    vmhi_vm *b = define_vm(c, "fb");
    struct seen only_a, only_lifecycle;
    seen_init(&only_a);
    seen_init(&only_lifecycle);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, vmhi_vm_get_uuid(a), record, &only_a, NULL));
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, record, &only_lifecycle, NULL));
    ck_vmhi_ok(vmhi_vm_start(a, 0));
    ck_vmhi_ok(vmhi_vm_start(b, 0));
    ck_vmhi_ok(vmhi_vm_set_memory(a, 256, VMHI_AFFECT_LIVE));
    ck_assert_int_eq(vmhi_conn_dispatch_events(c, 0), 3);
    ck_assert_int_eq(only_a.count, 2);
    ck_assert_str_eq(only_a.uuids[0], vmhi_vm_get_uuid(a));
    ck_assert_int_eq(only_a.types[1], VMHI_EVENT_MEMORY);
    ck_assert_int_eq(only_lifecycle.count, 2);
    ck_assert_str_eq(only_lifecycle.uuids[1], vmhi_vm_get_uuid(b));
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_unsubscribe_inside_callback)
{
    vmhi_conn *c = open_instant();
    struct seen s;
    seen_init(&s);
    int id = 0;
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, NULL, record, &s, &id));
    s.unsubscribe_id = id;
    vmhi_vm *vm = define_vm(c, "un1");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_conn_dispatch_events(c, 0);
    ck_assert_int_eq(s.count, 1); /* the second event found no subscriber */
    ck_vmhi(vmhi_conn_unsubscribe(c, id), VMHI_E_INVALID_ARG);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_event_thread)
{
    vmhi_conn *c = open_instant();
    struct seen s;
    seen_init(&s);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, record, &s, NULL));
    ck_vmhi_ok(vmhi_conn_start_event_thread(c));
    ck_vmhi_ok(vmhi_conn_start_event_thread(c));
    ck_vmhi(vmhi_conn_dispatch_events(c, 0), VMHI_E_BUSY);
    vmhi_vm *vm = define_vm(c, "th1");
    for (int i = 0; i < 20; i++) {
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
        ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    }
    for (int waited = 0; waited < 5000; waited += 10) {
        pthread_mutex_lock(&s.lock);
        int n = s.count;
        pthread_mutex_unlock(&s.lock);
        if (n == 40)
            break;
        usleep(10000);
    }
    pthread_mutex_lock(&s.lock);
    ck_assert_int_eq(s.count, 40);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(s.states[i], i % 2 ? VMHI_STATE_SHUTOFF : VMHI_STATE_RUNNING);
        if (i)
            ck_assert_uint_eq(s.seqs[i], s.seqs[i - 1] + 1);
    }
    pthread_mutex_unlock(&s.lock);
    vmhi_vm_free(vm);
    vmhi_conn_close(c); /* joins the thread */
}
END_TEST

START_TEST(test_dispatch_waits)
{
    vmhi_conn *c = open_instant();
    struct seen s;
    seen_init(&s);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, NULL, record, &s, NULL));
    ck_assert_int_eq(vmhi_conn_dispatch_events(c, 50), 0); /* times out, no events */
    ck_vmhi(vmhi_conn_dispatch_events(c, -2), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_dispatch_events(NULL, 0), VMHI_E_INVALID_ARG);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_bad_subscriptions)
{
    vmhi_conn *c = open_instant();
    struct seen s;
    seen_init(&s);
    ck_vmhi(vmhi_conn_subscribe(c, 0, NULL, record, &s, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, 1u << 20, NULL, record, &s, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, NULL, NULL, &s, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, VMHI_EVENT_ALL, "not-a-uuid", record, &s, NULL),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(NULL, VMHI_EVENT_ALL, NULL, record, &s, NULL), VMHI_E_INVALID_ARG);
    vmhi_conn_close(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("delivery");
    tcase_add_test(tc, test_fd_and_dispatch);
    tcase_add_test(tc, test_filters);
    tcase_add_test(tc, test_unsubscribe_inside_callback);
    tcase_add_test(tc, test_event_thread);
    tcase_add_test(tc, test_dispatch_waits);
    tcase_add_test(tc, test_bad_subscriptions);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
