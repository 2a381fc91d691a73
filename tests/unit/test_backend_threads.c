/*
 * The test backend under concurrent use: several threads drive their own
 * VMs on one connection (and on two connections to one directory) while
 * the guest worker completes requests and events are dispatched.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_backend_common.h"

#define THREADS 4
#define ROUNDS 25

typedef struct worker {
    vmhi_conn *conn;
    int index;
    int failures;
    char failure[256];
} worker;

static void note(worker *w, const char *what, int rc)
{
    if (rc == VMHI_OK || w->failures++)
        return;
    snprintf(w->failure, sizeof(w->failure), "%s: %d %s", what, rc, vmhi_error_last_message());
}

static void one_round(worker *w, vmhi_vm *vm)
{
    vmhi_disk *d = NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    note(w, "start", vmhi_vm_start(vm, 0));
    note(w, "pause", vmhi_vm_pause(vm, 0));
    note(w, "resume", vmhi_vm_resume(vm, 0));
    note(w, "set_memory", vmhi_vm_set_memory(vm, 32, VMHI_AFFECT_LIVE));
    note(w, "disk_new", vmhi_disk_new(&d));
    note(w, "set_path", vmhi_disk_set_path(d, "/images/extra.img"));
    note(w, "attach", vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_LIVE, id));
    note(w, "detach", vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_LIVE, NULL));
    vmhi_disk_free(d);
    /* The cooperative guest completes the shutdown on its own thread. */
    note(w, "shutdown", vmhi_vm_shutdown(vm, 5000, 0));
}

static void *drive(void *arg)
{
    worker *w = arg;
    char name[32];
    snprintf(name, sizeof(name), "worker%d", w->index);
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    note(w, "config_new", vmhi_vm_config_new(&cfg));
    note(w, "set_name", vmhi_vm_config_set_name(cfg, name));
    note(w, "define", vmhi_vm_define(&vm, w->conn, cfg, 0));
    for (int i = 0; i < ROUNDS && vm && !w->failures; i++)
        one_round(w, vm);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    return NULL;
}

static atomic_int delivered;

static void count(vmhi_conn *conn, const vmhi_event *ev, void *userdata)
{
    (void)conn;
    (void)ev;
    (void)userdata;
    atomic_fetch_add(&delivered, 1);
}

static void run_workers(vmhi_conn *a, vmhi_conn *b)
{
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){ .conn = (i % 2 && b) ? b : a, .index = i };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, drive, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(workers[i].failures == 0, "worker %d: %s", i, workers[i].failure);
    }
}

START_TEST(threads_share_one_connection)
{
    vmhi_conn *conn = bt_open("test:///default");
    atomic_store(&delivered, 0);
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_ALL_1_0, NULL, count, NULL, NULL, NULL));
    ck_vmhi_ok(vmhi_conn_start_event_thread(conn));
    run_workers(conn, NULL);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF)), THREADS);
    /* define + per round: running, paused, running, memory, added,
     * removed, shutting-down, shutoff. */
    bt_eventually(atomic_load(&delivered) == THREADS * (1 + ROUNDS * 8));
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(threads_on_two_connections_to_one_directory)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *a = bt_open(uri);
    vmhi_conn *b = bt_open(uri);
    run_workers(a, b);
    ck_assert_uint_eq(bt_count_vms(a, 0), THREADS);
    ck_assert_uint_eq(bt_count_vms(b, 0), THREADS);
    ck_assert_int_eq(bt_count_files(dir, ".tmp-"), 0);
    vmhi_conn_close(a);
    vmhi_conn_close(b);
    vmhi_conn *again = bt_open(uri);
    ck_assert_uint_eq(bt_count_vms(again, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF)), THREADS);
    vmhi_conn_close(again);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}
END_TEST

/* The core waits for shutoff by polling with no lock held, and the test
 * backend's own host lock is only taken per call: while one thread waits
 * for an unresponsive guest, another keeps working on the same
 * connection, each call answered promptly. */
typedef struct prober {
    vmhi_vm *busy;   /* the VM being shut down */
    vmhi_vm *other;  /* another VM on the same connection */
    atomic_bool stop;
    int calls;
    uint64_t slowest_ms;
    int failures;
    char failure[256];
} prober;

static void *probe(void *arg)
{
    prober *p = arg;
    while (!atomic_load(&p->stop)) {
        uint64_t t0 = bt_now_ms();
        vmhi_vm_state st = 0;
        int rc = vmhi_vm_get_state(p->busy, &st, NULL);
        if (rc == VMHI_OK && st != VMHI_STATE_SHUTTING_DOWN)
            rc = VMHI_E_INTERNAL;
        if (rc == VMHI_OK)
            rc = vmhi_vm_pause(p->other, 0);
        if (rc == VMHI_OK)
            rc = vmhi_vm_resume(p->other, 0);
        uint64_t took = bt_now_ms() - t0;
        if (took > p->slowest_ms)
            p->slowest_ms = took;
        if (rc != VMHI_OK && !p->failures++)
            snprintf(p->failure, sizeof(p->failure), "%d %s (state %d)", rc,
                     vmhi_error_last_message(), (int)st);
        p->calls++;
        bt_sleep_ms(2);
    }
    return NULL;
}

START_TEST(shutdown_wait_leaves_the_connection_usable)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    prober p = { .busy = bt_define(conn, "stubborn", 64), .other = bt_define(conn, "other", 64) };
    atomic_init(&p.stop, false);
    ck_vmhi_ok(vmhi_vm_start(p.busy, 0));
    ck_vmhi_ok(vmhi_vm_start(p.other, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(p.busy, 0, 0)); /* shutting-down before the prober starts */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, probe, &p), 0);
    uint64_t t0 = bt_now_ms();
    int rc = vmhi_vm_shutdown(p.busy, 500, 0);
    uint64_t waited = bt_now_ms() - t0;
    atomic_store(&p.stop, true);
    pthread_join(t, NULL);
    ck_vmhi(rc, VMHI_E_TIMEOUT);
    ck_assert_msg(strstr(vmhi_error_last_message(), "'stubborn'") != NULL, "%s",
                  vmhi_error_last_message());
    ck_assert_uint_ge(waited, 499);
    ck_assert_msg(p.failures == 0, "prober: %s", p.failure);
    /* ~100 rounds fit in 500 ms; a wait holding a lock would block the
     * first for all of it.  The bounds leave room for a loaded machine. */
    ck_assert_msg(p.calls >= 5, "only %d calls during the wait", p.calls);
    ck_assert_msg(p.slowest_ms < 400, "a call took %llu ms during the wait",
                  (unsigned long long)p.slowest_ms);
    ck_assert_int_eq(bt_state(p.busy), VMHI_STATE_SHUTTING_DOWN);
    vmhi_vm_free(p.busy);
    vmhi_vm_free(p.other);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, threads_share_one_connection);
    tcase_add_test(tc, threads_on_two_connections_to_one_directory);
    tcase_add_test(tc, shutdown_wait_leaves_the_connection_usable);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
