/*
 * Event delivery: eventfd + dispatch, the library's own thread, filters,
 * ordering without gaps, unsubscribe from a callback, re-entrancy.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
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

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
}

START_TEST(test_fd_and_dispatch)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct seen s;
    seen_init(&s);
    int fd = -1;
    ck_vmhi_ok(vmhi_conn_get_event_fd(c, &fd));
    ck_assert_int_ge(fd, 0);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, record, &s, NULL, NULL));
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0); /* nothing yet */
    vmhi_vm *vm = vmhi_test_define(c, "ev1");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
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
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *a = vmhi_test_define(c, "fa");
    vmhi_vm *b = vmhi_test_define(c, "fb");
    struct seen only_a, only_lifecycle;
    seen_init(&only_a);
    seen_init(&only_lifecycle);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, vmhi_vm_get_uuid(a), record, &only_a, NULL, NULL));
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, record, &only_lifecycle, NULL, NULL));
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
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct seen s;
    seen_init(&s);
    int id = 0;
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, record, &s, NULL, &id));
    s.unsubscribe_id = id;
    vmhi_vm *vm = vmhi_test_define(c, "un1");
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
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct seen s;
    seen_init(&s);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, record, &s, NULL, NULL));
    ck_vmhi_ok(vmhi_conn_start_event_thread(c));
    ck_vmhi_ok(vmhi_conn_start_event_thread(c));
    ck_vmhi(vmhi_conn_dispatch_events(c, 0), VMHI_E_BUSY);
    vmhi_vm *vm = vmhi_test_define(c, "th1");
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
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct seen s;
    seen_init(&s);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, record, &s, NULL, NULL));
    ck_assert_int_eq(vmhi_conn_dispatch_events(c, 50), 0); /* times out, no events */
    ck_vmhi(vmhi_conn_dispatch_events(c, -2), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_dispatch_events(NULL, 0), VMHI_E_INVALID_ARG);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_bad_subscriptions)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct seen s;
    seen_init(&s);
    ck_vmhi(vmhi_conn_subscribe(c, 0, NULL, record, &s, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, 1u << 20, NULL, record, &s, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, NULL, &s, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, "not-a-uuid", record, &s, NULL, NULL),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_subscribe(NULL, VMHI_EVENT_ALL_1_0, NULL, record, &s, NULL, NULL), VMHI_E_INVALID_ARG);
    vmhi_conn_close(c);
}
END_TEST

struct overflow_seen {
    uint64_t first_seq;
    uint64_t first_dropped;
    uint64_t last_seq;
    uint64_t dropped_total;
    long count;
};

static void overflow_record(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    (void)conn;
    struct overflow_seen *s = data;
    if (s->count == 0) {
        s->first_seq = vmhi_event_get_seq(ev);
        s->first_dropped = vmhi_event_get_dropped(ev);
    } else {
        /* EV-12: consecutive, or the gap is what "dropped" says */
        ck_assert_uint_eq(vmhi_event_get_seq(ev), s->last_seq + 1 + vmhi_event_get_dropped(ev));
    }
    s->dropped_total += vmhi_event_get_dropped(ev);
    s->last_seq = vmhi_event_get_seq(ev);
    s->count++;
}

/* EV-13: 65536 queued events at most; the oldest are dropped and the
 * next delivered event reports how many. */
START_TEST(test_queue_overflow_reports_drops)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct overflow_seen s = { 0 };
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, overflow_record, &s, NULL, NULL));
    vmhi_vm *vm = vmhi_test_define(c, "flood");
    const long cycles = 33000; /* 66000 lifecycle events */
    for (long i = 0; i < cycles; i++) {
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
        ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    }
    while (vmhi_conn_dispatch_events(c, 0) > 0)
        ;
    ck_assert_int_eq(s.count, 65536);
    ck_assert_uint_eq(s.first_dropped, 2 * cycles - 65536);
    ck_assert_uint_eq(s.first_seq, s.first_dropped + 1);
    ck_assert_uint_eq(s.dropped_total, 2 * cycles - 65536);
    ck_assert_uint_eq(s.last_seq, 2 * cycles);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

/* Reads a thread's blocked-signal mask from /proc (hex, as the kernel prints it). */
static unsigned long long blocked_signals(const char *tid)
{
    char path[256], line[256];
    snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "SigBlk: %llx", &mask) == 1)
            break;
    fclose(f);
    return mask;
}

/* THR-4: application signal handlers never run on the library's thread. */
START_TEST(test_event_thread_blocks_signals)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    ck_vmhi_ok(vmhi_conn_start_event_thread(c));
    char self[32];
    snprintf(self, sizeof(self), "%ld", (long)gettid());
    const unsigned long long wanted = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) |
                                      (1ull << (SIGUSR1 - 1)) | (1ull << (SIGCHLD - 1));
    int others = 0, blocking = 0;
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
            continue;
        others++;
        if ((blocked_signals(de->d_name) & wanted) == wanted)
            blocking++;
    }
    closedir(d);
    ck_assert_int_ge(others, 1);
    ck_assert_int_eq(blocking, others);
    ck_assert_uint_eq(blocked_signals(self) & wanted, 0); /* ours is untouched */
    vmhi_conn_close(c);
}
END_TEST

/* ---- EV-18: free_userdata runs exactly once, when the subscription ends */

struct owned {
    atomic_int frees;
    atomic_int in_callback;   /* 1 while the slow callback runs */
    atomic_int freed_during;  /* set if free ran while a callback was running */
    int unsubscribe_id;
    vmhi_conn *conn;
};

static void owned_free(void *data)
{
    struct owned *o = data;
    if (atomic_load(&o->in_callback))
        atomic_store(&o->freed_during, 1);
    atomic_fetch_add(&o->frees, 1);
}

static void owned_cb(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    (void)ev;
    struct owned *o = data;
    atomic_store(&o->in_callback, 1);
    if (o->unsubscribe_id > 0) {
        int id = o->unsubscribe_id;
        o->unsubscribe_id = 0;
        vmhi_conn_unsubscribe(conn, id);
        ck_assert_int_eq(atomic_load(&o->frees), 0); /* not while it runs */
    }
    usleep(100 * 1000);
    atomic_store(&o->in_callback, 0);
}

START_TEST(test_ev_18_free_userdata_once)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct owned a = { 0 }, b = { 0 }, failed = { 0 };
    int id = 0;

    /* A failed subscribe leaves the userdata with the caller. */
    ck_vmhi(vmhi_conn_subscribe(c, 1u << 20, NULL, owned_cb, &failed, owned_free, NULL),
            VMHI_E_INVALID_ARG);
    ck_assert_int_eq(atomic_load(&failed.frees), 0);

    /* Unsubscribe frees it once. */
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, owned_cb, &a, owned_free, &id));
    ck_assert_int_eq(atomic_load(&a.frees), 0);
    ck_vmhi_ok(vmhi_conn_unsubscribe(c, id));
    ck_assert_int_eq(atomic_load(&a.frees), 1);
    ck_vmhi(vmhi_conn_unsubscribe(c, id), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(atomic_load(&a.frees), 1);

    /* Unsubscribing from inside its own callback frees it after the callback. */
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_DEFINED, NULL, owned_cb, &b, owned_free, &id));
    b.unsubscribe_id = id;
    vmhi_vm *vm = vmhi_test_define(c, "ev18");
    ck_assert_int_ge(vmhi_conn_dispatch_events(c, 1000), 1);
    ck_assert_int_eq(atomic_load(&b.frees), 1);
    ck_assert_int_eq(atomic_load(&b.freed_during), 0);

    /* Close frees what is still subscribed. */
    struct owned d = { 0 };
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, owned_cb, &d, owned_free, NULL));
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
    ck_assert_int_eq(atomic_load(&d.frees), 1);
    ck_assert_int_eq(atomic_load(&failed.frees), 0);
}
END_TEST

struct unsub_later {
    vmhi_conn *conn;
    int id;
    struct owned *owned;
};

static void *unsubscribe_while_running(void *arg)
{
    struct unsub_later *u = arg;
    while (!atomic_load(&u->owned->in_callback))
        usleep(1000);
    vmhi_conn_unsubscribe(u->conn, u->id);
    return NULL;
}

/* Another thread's unsubscribe during the callback must not free the
 * userdata under it: the callback's end releases it. */
START_TEST(test_ev_18_unsubscribe_from_another_thread_waits_for_the_callback)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    struct owned o = { 0 };
    struct unsub_later u = { .conn = c, .owned = &o };
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_DEFINED, NULL, owned_cb, &o, owned_free, &u.id));
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, unsubscribe_while_running, &u), 0);
    vmhi_vm *vm = vmhi_test_define(c, "ev18b");
    ck_assert_int_ge(vmhi_conn_dispatch_events(c, 1000), 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&o.frees), 1);
    ck_assert_int_eq(atomic_load(&o.freed_during), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
    ck_assert_int_eq(atomic_load(&o.frees), 1);
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
    tcase_add_test(tc, test_queue_overflow_reports_drops);
    tcase_add_test(tc, test_event_thread_blocks_signals);
    tcase_add_test(tc, test_ev_18_free_userdata_once);
    tcase_add_test(tc, test_ev_18_unsubscribe_from_another_thread_waits_for_the_callback);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
