/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * One connection, many threads (THR-1): each of several threads drives a
 * VM of its own, several more fight over one shared VM, one lists all
 * the while.  Every call must succeed, or fail only as its race allows;
 * the shared VM's events must form a path of the state machine (as if
 * the calls had run one after the other); and, with Events certified,
 * each VM must get exactly one lifecycle event per successful transition
 * (none lost, none duplicated; sequence numbers without gaps) delivered
 * by the library's event thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"

#define OWN_THREADS 4
#define SHARED_THREADS 4
#define OWN_ROUNDS 10
#define SHARED_CALLS 40

typedef struct world {
    vmhi_conn *conn;
    bool pause;                 /* pause/resume supported */
    vmhi_vm *own[OWN_THREADS];
    atomic_int own_ok[OWN_THREADS];
    vmhi_vm *shared;
    atomic_int shared_ok;
    atomic_int unexpected;      /* calls that failed other than their race allows */
    atomic_bool stop_listing;
    char first_error[256];
    pthread_mutex_t lock;
} world;

static void unexpected(world *w, const char *what, int rc)
{
    if (atomic_fetch_add(&w->unexpected, 1) == 0) {
        pthread_mutex_lock(&w->lock);
        snprintf(w->first_error, sizeof(w->first_error), "%s returned %d (%s): %s", what, rc,
                 vmhi_strerror(rc), vmhi_error_last_message());
        pthread_mutex_unlock(&w->lock);
    }
}

static void *drive_own(void *arg)
{
    world *w = ((void **)arg)[0];
    int k = (int)(intptr_t)((void **)arg)[1];
    vmhi_vm *vm = w->own[k];
    for (int r = 0; r < OWN_ROUNDS; r++) {
        int rc = vmhi_vm_start(vm, 0);
        rc == VMHI_OK ? (void)atomic_fetch_add(&w->own_ok[k], 1) : unexpected(w, "start", rc);
        if (w->pause) {
            rc = vmhi_vm_pause(vm, 0);
            rc == VMHI_OK ? (void)atomic_fetch_add(&w->own_ok[k], 1) : unexpected(w, "pause", rc);
            rc = vmhi_vm_resume(vm, 0);
            rc == VMHI_OK ? (void)atomic_fetch_add(&w->own_ok[k], 1) : unexpected(w, "resume", rc);
        }
        rc = vmhi_vm_poweroff(vm, 0);
        rc == VMHI_OK ? (void)atomic_fetch_add(&w->own_ok[k], 1) : unexpected(w, "poweroff", rc);
    }
    return NULL;
}

static void *fight(void *arg)
{
    world *w = ((void **)arg)[0];
    unsigned int seed = (unsigned int)(intptr_t)((void **)arg)[1] * 7919u + 17u;
    for (int i = 0; i < SHARED_CALLS; i++) {
        seed = seed * 1103515245u + 12345u;
        int pick = (int)((seed >> 16) % (w->pause ? 4u : 2u));
        int rc = pick == 0 ? vmhi_vm_start(w->shared, 0)
               : pick == 1 ? vmhi_vm_poweroff(w->shared, 0)
               : pick == 2 ? vmhi_vm_pause(w->shared, 0)
                           : vmhi_vm_resume(w->shared, 0);
        if (rc == VMHI_OK)
            atomic_fetch_add(&w->shared_ok, 1);
        else if (rc != VMHI_E_INVALID_STATE)
            unexpected(w, "a call on the shared VM", rc);
    }
    return NULL;
}

static void *list_all(void *arg)
{
    world *w = arg;
    while (!atomic_load(&w->stop_listing)) {
        vmhi_vm **vms = NULL;
        size_t n = 0;
        int rc = vmhi_conn_list_vms(w->conn, 0, &vms, &n);
        if (rc != VMHI_OK)
            unexpected(w, "vmhi_conn_list_vms", rc);
        for (size_t i = 0; i < n; i++) {
            vmhi_vm_info info = VMHI_VM_INFO_INIT;
            rc = vmhi_vm_get_info(vms[i], &info);
            if (rc != VMHI_OK && rc != VMHI_E_NO_VM)
                unexpected(w, "vmhi_vm_get_info", rc);
        }
        vmhi_vm_list_free(vms, n);
    }
    return NULL;
}

/* Whether @to can follow @from by one of the calls the fighters make. */
static bool step_ok(vmhi_vm_state from, vmhi_vm_state to)
{
    switch (to) {
    case VMHI_STATE_RUNNING: return from == VMHI_STATE_SHUTOFF || from == VMHI_STATE_PAUSED;
    case VMHI_STATE_SHUTOFF: return from == VMHI_STATE_RUNNING || from == VMHI_STATE_PAUSED;
    case VMHI_STATE_PAUSED: return from == VMHI_STATE_RUNNING;
    default: return false;
    }
}

/* EV-2/EV-3 on the recorded events: counts per VM, no gaps or repeats in
 * the sequence numbers, the shared VM's path valid and ending where it is. */
static void check_events(world *w, conf_recorder *rec)
{
    int total = atomic_load(&w->shared_ok);
    for (int k = 0; k < OWN_THREADS; k++)
        total += atomic_load(&w->own_ok[k]);
    conf_recorder_await(rec, (size_t)total);
    conf_req("EV-2");
    int per_own[OWN_THREADS] = { 0 }, shared = 0;
    vmhi_vm_state at = VMHI_STATE_SHUTOFF;
    for (size_t i = 0; i < conf_recorder_count(rec); i++) {
        conf_event e = conf_recorder_get(rec, i);
        if (i > 0)
            ck_assert_msg(e.seq == conf_recorder_get(rec, i - 1).seq + 1 + e.dropped,
                          "sequence numbers jump from %llu to %llu",
                          (unsigned long long)conf_recorder_get(rec, i - 1).seq,
                          (unsigned long long)e.seq);
        for (int k = 0; k < OWN_THREADS; k++)
            per_own[k] += strcmp(e.uuid, vmhi_vm_get_uuid(w->own[k])) == 0;
        if (strcmp(e.uuid, vmhi_vm_get_uuid(w->shared)) == 0) {
            shared++;
            conf_req("THR-1");
            ck_assert_msg(step_ok(at, e.state), "the shared VM went from %s to %s, which no "
                          "single call does", vmhi_vm_state_name(at),
                          vmhi_vm_state_name(e.state));
            at = e.state;
            conf_req("EV-2");
        }
    }
    for (int k = 0; k < OWN_THREADS; k++)
        ck_assert_msg(per_own[k] == atomic_load(&w->own_ok[k]), "VM %d: %d transitions, %d "
                      "events", k, atomic_load(&w->own_ok[k]), per_own[k]);
    ck_assert_msg(shared == atomic_load(&w->shared_ok), "shared VM: %d transitions, %d events",
                  atomic_load(&w->shared_ok), shared);
    conf_req("EV-3");
    ck_assert_msg(at == conf_state(w->shared, NULL), "the shared VM's last event says %s, "
                  "it is %s", vmhi_vm_state_name(at),
                  vmhi_vm_state_name(conf_state(w->shared, NULL)));
}

static void run_threads(world *w)
{
    pthread_t own[OWN_THREADS], fighters[SHARED_THREADS], lister;
    void *args[OWN_THREADS + SHARED_THREADS][2];
    ck_assert_int_eq(pthread_create(&lister, NULL, list_all, w), 0);
    for (int k = 0; k < OWN_THREADS; k++) {
        args[k][0] = w;
        args[k][1] = (void *)(intptr_t)k;
        ck_assert_int_eq(pthread_create(&own[k], NULL, drive_own, args[k]), 0);
    }
    for (int k = 0; k < SHARED_THREADS; k++) {
        args[OWN_THREADS + k][0] = w;
        args[OWN_THREADS + k][1] = (void *)(intptr_t)k;
        ck_assert_int_eq(pthread_create(&fighters[k], NULL, fight, args[OWN_THREADS + k]), 0);
    }
    for (int k = 0; k < OWN_THREADS; k++)
        pthread_join(own[k], NULL);
    for (int k = 0; k < SHARED_THREADS; k++)
        pthread_join(fighters[k], NULL);
    atomic_store(&w->stop_listing, true);
    pthread_join(lister, NULL);
}

VMHI_CONF_TEST(many_threads_one_connection, VMHI_PROFILE_CORE, "THR-1", "EV-2", "EV-3")
{
    static world w; /* large; zeroed */
    memset(&w, 0, sizeof(w));
    pthread_mutex_init(&w.lock, NULL);
    w.conn = conf_open();
    w.pause = (conf_op_caps(w.conn, VMHI_OP_PAUSE) & VMHI_CAP_SUPPORTED) &&
              (conf_op_caps(w.conn, VMHI_OP_RESUME) & VMHI_CAP_SUPPORTED);
    for (int k = 0; k < OWN_THREADS; k++)
        w.own[k] = conf_define(w.conn);
    w.shared = conf_define(w.conn);
    conf_recorder *rec = NULL;
    if (conf_events_checked()) {
        conf_ok(vmhi_conn_start_event_thread(w.conn));
        rec = conf_recorder_new(w.conn, VMHI_EVENT_LIFECYCLE, NULL, true);
    }
    run_threads(&w);
    conf_req("THR-1");
    ck_assert_msg(atomic_load(&w.unexpected) == 0, "%d call(s) failed unexpectedly; first: %s",
                  atomic_load(&w.unexpected), w.first_error);
    for (int k = 0; k < OWN_THREADS; k++)
        ck_assert_int_eq(conf_state(w.own[k], NULL), VMHI_STATE_SHUTOFF);
    if (rec)
        check_events(&w, rec);
    conf_recorder_unsubscribe(rec);
    for (int k = 0; k < OWN_THREADS; k++)
        conf_discard(w.own[k]);
    conf_discard(w.shared);
    vmhi_conn_close(w.conn); /* joins the event thread: no callback runs after */
    conf_recorder_free(rec);
    pthread_mutex_destroy(&w.lock);
}
