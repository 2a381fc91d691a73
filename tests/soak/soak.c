/*
 * vmhi-soak: 16 threads on one connection for a given time, doing mixed
 * lifecycle, query and device operations, with two event subscribers
 * (issue #11 section 5).
 *
 * Each thread drives a VM: its own where there are as many VMs as
 * threads, else one it shares with others.  Only calls on a shared VM may
 * fail, and only with VMHI_E_INVALID_STATE (THR-1: concurrent calls behave
 * as if run one after the other, so a pause may find the VM another thread
 * just powered off); anything else is a failure.  Every call that
 * succeeded is counted with the events it must cause (EV-2, EV-5, EV-6,
 * EV-7), per VM and kind; at the end each subscriber must have received
 * exactly those: none lost, none duplicated.  RSS is sampled once warm
 * (a quarter into the run) and at the end, and its growth must stay
 * under a bound.  Prints ops/s.
 *
 *   vmhi-soak [--uri URI] [--seconds N] [--threads N] [--vms N]
 *             [--rss-limit-mib N] [--esx-sim]
 *
 * --esx-sim starts a private vSphere simulator (tests/esx/esx_sim.c) and
 * soaks esx://.  For kvm:///session the caller points XDG_* at a private
 * directory (run-soak.sh).  Exit status 0 pass, 1 fail, 77 skip.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmhi/vmhi.h"
#ifndef VMHI_SOAK_NO_ESX
#include "esx_sim.h"
#endif

#define MAX_THREADS 64
#define MAX_VMS 64

enum { K_RUNNING, K_PAUSED, K_SHUTOFF, K_DEFINED, K_ADDED, K_REMOVED, K_OTHER, K_COUNT };
static const char *const kind_names[K_COUNT] = { "running", "paused", "shutoff", "defined",
                                                 "device-added", "device-removed", "other" };

typedef struct soak_vm {
    vmhi_vm *vm;
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[48];                /* known before its define's event comes */
    int shared;                   /* driven by more than one thread */
    atomic_long expected[K_COUNT];
    atomic_long seen[2][K_COUNT]; /* per subscriber */
} soak_vm;

/* Backpressure: a worker waits while this many events are owed to a
 * subscriber.  Sixteen threads on the test backend make events faster
 * than one event thread hands them out on a loaded machine, and past the
 * connection's queue limit (EV-13) the oldest are dropped, so the counts
 * below could no longer be exact.  The soak is about correctness under
 * contention, not about outrunning the queue. */
#define SOAK_MAX_BACKLOG 8192
static atomic_long expected_total, seen_total[2], dropped_total;

static void expect(soak_vm *v, int kind)
{
    atomic_fetch_add(&v->expected[kind], 1);
    atomic_fetch_add(&expected_total, 1);
}

/* Waits (bounded) while a subscriber is owed more than the backlog. */
static void backpressure(void)
{
    for (int waited = 0; waited < 20000; waited++) {
        long owed = atomic_load(&expected_total);
        long behind = owed - atomic_load(&seen_total[0]);
        long behind1 = owed - atomic_load(&seen_total[1]);
        if ((behind > behind1 ? behind : behind1) <= SOAK_MAX_BACKLOG)
            return;
        usleep(100);
    }
}

static struct {
    vmhi_conn *conn;
    const char *uri;
    int threads, nvms, seconds, esx;
    long rss_limit_kib;
    int can_pause;
    soak_vm vms[MAX_VMS];
    atomic_int stop;
    atomic_long ops, races, failures, foreign;
    pthread_mutex_t report_lock;
} g;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f && fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ---- events -------------------------------------------------------------- */

static int kind_of(const vmhi_event *ev)
{
    switch (vmhi_event_get_type(ev)) {
    case VMHI_EVENT_LIFECYCLE:
        switch (vmhi_event_get_state(ev)) {
        case VMHI_STATE_RUNNING: return K_RUNNING;
        case VMHI_STATE_PAUSED: return K_PAUSED;
        case VMHI_STATE_SHUTOFF: return K_SHUTOFF;
        default: return K_OTHER;
        }
    case VMHI_EVENT_DEFINED: return K_DEFINED;
    case VMHI_EVENT_DEVICE_ADDED: return K_ADDED;
    case VMHI_EVENT_DEVICE_REMOVED: return K_REMOVED;
    default: return K_OTHER;
    }
}

static void on_event(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    (void)conn;
    int sub = (int)(intptr_t)data;
    const char *name = vmhi_event_get_vm_name(ev);
    for (int i = 0; i < g.nvms; i++)
        if (name && strcmp(g.vms[i].name, name) == 0) {
            atomic_fetch_add(&g.vms[i].seen[sub][kind_of(ev)], 1);
            atomic_fetch_add(&seen_total[sub], 1);
            atomic_fetch_add(&dropped_total, (long)vmhi_event_get_dropped(ev));
            return;
        }
    atomic_fetch_add(&g.foreign, 1); /* a VM of the peer's own, e.g. the simulator's */
}

/* ---- one thread ---------------------------------------------------------- */

typedef struct worker {
    int index;
    unsigned int seed;
    char nic[VMHI_DEVICE_ID_MAX + 1]; /* a NIC this thread attached, to detach */
    int nic_vm;
} worker;

/* Counts a call: @rc OK adds @n events of @kind (and @kind2, when >= 0). */
static int account(worker *w, soak_vm *v, const char *what, int rc, int kind, int kind2)
{
    if (rc == VMHI_OK) {
        backpressure();
        atomic_fetch_add(&g.ops, 1);
        if (kind >= 0)
            expect(v, kind);
        if (kind2 >= 0)
            expect(v, kind2);
        return 1;
    }
    if (rc == VMHI_E_INVALID_STATE && v->shared) {
        atomic_fetch_add(&g.races, 1);
        return 0;
    }
    if (atomic_fetch_add(&g.failures, 1) < 20) {
        pthread_mutex_lock(&g.report_lock);
        fprintf(stderr, "FAIL: thread %d: %s: %s: %s\n", w->index, what, vmhi_strerror(rc),
                vmhi_error_last_message());
        pthread_mutex_unlock(&g.report_lock);
    }
    return 0;
}

static void query(worker *w, soak_vm *v)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    account(w, v, "get_info", vmhi_vm_get_info(v->vm, &info), -1, -1);
    vmhi_device_list *l = NULL;
    account(w, v, "list_devices", vmhi_vm_list_devices(v->vm, &l), -1, -1);
    vmhi_device_list_free(l);
    if (rand_r(&w->seed) % 4 == 0) {
        vmhi_vm **list = NULL;
        size_t n = 0;
        account(w, v, "list_vms", vmhi_conn_list_vms(g.conn, 0, &list, &n), -1, -1);
        vmhi_vm_list_free(list, n);
        vmhi_vm_config *cfg = NULL;
        account(w, v, "get_config", vmhi_vm_get_config(v->vm, &cfg, 0), -1, -1);
        vmhi_vm_config_free(cfg);
        vmhi_vm *other = NULL;
        account(w, v, "lookup", vmhi_vm_lookup_by_uuid(&other, g.conn,
                                                       g.vms[rand_r(&w->seed) % g.nvms].uuid),
                -1, -1);
        vmhi_vm_free(other);
    }
}

/* A NIC added to the definition, removed at the thread's next device op. */
static void device_op(worker *w, int vmi)
{
    if (w->nic[0]) {
        soak_vm *v = &g.vms[w->nic_vm];
        vmhi_completion done = VMHI_COMPLETION_PENDING;
        int rc = vmhi_vm_detach_nic(v->vm, w->nic, VMHI_AFFECT_CONFIG, &done);
        if (account(w, v, "detach_nic", rc, K_DEFINED, -1)) {
            if (done == VMHI_COMPLETION_DONE)
                expect(v, K_REMOVED);
            else
                account(w, v, "detach_nic completion", VMHI_E_BACKEND, -1, -1);
        }
        w->nic[0] = '\0';
        return;
    }
    soak_vm *v = &g.vms[vmi];
    vmhi_nic *nic = NULL;
    if (vmhi_nic_new(&nic) != VMHI_OK || vmhi_nic_set_network(nic, "default") != VMHI_OK) {
        account(w, v, "nic_new", VMHI_E_NOMEM, -1, -1);
        vmhi_nic_free(nic);
        return;
    }
    if (account(w, v, "attach_nic", vmhi_vm_attach_nic(v->vm, nic, VMHI_AFFECT_CONFIG, w->nic),
                K_DEFINED, K_ADDED))
        w->nic_vm = vmi;
    else
        w->nic[0] = '\0';
    vmhi_nic_free(nic);
}

static void lifecycle_op(worker *w, soak_vm *v)
{
    vmhi_vm_state st = VMHI_STATE_SHUTOFF;
    if (!account(w, v, "get_state", vmhi_vm_get_state(v->vm, &st, NULL), -1, -1))
        return;
    int r = rand_r(&w->seed) % 4;
    switch (st) {
    case VMHI_STATE_SHUTOFF:
        account(w, v, "start", vmhi_vm_start(v->vm, 0), K_RUNNING, -1);
        break;
    case VMHI_STATE_RUNNING:
        if (g.can_pause && r < 2)
            account(w, v, "pause", vmhi_vm_pause(v->vm, 0), K_PAUSED, -1);
        else if (r < 3 && g.nvms > 1)
            query(w, v); /* let it run a while */
        else
            account(w, v, "poweroff", vmhi_vm_poweroff(v->vm, 0), K_SHUTOFF, -1);
        break;
    case VMHI_STATE_PAUSED:
        if (r < 3)
            account(w, v, "resume", vmhi_vm_resume(v->vm, 0), K_RUNNING, -1);
        else
            account(w, v, "poweroff", vmhi_vm_poweroff(v->vm, 0), K_SHUTOFF, -1);
        break;
    default:
        account(w, v, "poweroff", vmhi_vm_poweroff(v->vm, 0), K_SHUTOFF, -1);
        break;
    }
}

static void *drive(void *arg)
{
    worker *w = arg;
    int vmi = w->index % g.nvms;
    while (!atomic_load(&g.stop)) {
        int r = rand_r(&w->seed) % 10;
        if (r < 4)
            lifecycle_op(w, &g.vms[vmi]);
        else if (r < 8)
            query(w, &g.vms[vmi]);
        else
            device_op(w, vmi);
    }
    if (w->nic[0])
        device_op(w, vmi); /* leave the definitions as found */
    return NULL;
}

/* ---- setup and verdict ----------------------------------------------------- */

static int define_vms(void)
{
    for (int i = 0; i < g.nvms; i++)
        snprintf(g.vms[i].name, sizeof(g.vms[i].name), "soak-%ld-%d", (long)getpid(), i);
    for (int i = 0; i < g.nvms; i++) {
        char *name = g.vms[i].name;
        vmhi_vm_config *cfg = NULL;
        int rc = vmhi_vm_config_new(&cfg);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_set_name(cfg, name);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_set_max_memory_mib(cfg, 256);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_set_memory_mib(cfg, 128);
        if (rc == VMHI_OK)
            rc = vmhi_vm_define(&g.vms[i].vm, g.conn, cfg, 0);
        vmhi_vm_config_free(cfg);
        if (rc != VMHI_OK) {
            fprintf(stderr, "FAIL: define %s: %s\n", name, vmhi_error_last_message());
            return -1;
        }
        snprintf(g.vms[i].uuid, sizeof(g.vms[i].uuid), "%s", vmhi_vm_get_uuid(g.vms[i].vm));
        g.vms[i].shared = g.threads > g.nvms;
        expect(&g.vms[i], K_DEFINED);
    }
    return 0;
}

/* Powers every VM off and undefines it (not counted: after the verdict). */
static void clean_up(void)
{
    for (int i = 0; i < g.nvms; i++) {
        if (!g.vms[i].vm)
            continue;
        vmhi_vm_state st = VMHI_STATE_SHUTOFF;
        if (vmhi_vm_get_state(g.vms[i].vm, &st, NULL) == VMHI_OK && st != VMHI_STATE_SHUTOFF)
            vmhi_vm_poweroff(g.vms[i].vm, 0);
        vmhi_vm_undefine(g.vms[i].vm, 0);
        vmhi_vm_free(g.vms[i].vm);
    }
}

static int events_match(void)
{
    for (int i = 0; i < g.nvms; i++)
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < K_COUNT; k++)
                if (atomic_load(&g.vms[i].seen[s][k]) != atomic_load(&g.vms[i].expected[k]))
                    return 0;
    return 1;
}

static int report_events(void)
{
    long total[K_COUNT] = { 0 };
    int bad = 0;
    for (int i = 0; i < g.nvms; i++)
        for (int k = 0; k < K_COUNT; k++) {
            long want = atomic_load(&g.vms[i].expected[k]);
            total[k] += want;
            for (int s = 0; s < 2; s++) {
                long got = atomic_load(&g.vms[i].seen[s][k]);
                if (got != want && bad++ < 20)
                    fprintf(stderr, "FAIL: VM %d, subscriber %d: %ld %s events for %ld "
                            "operations (%s)\n", i, s, got, kind_names[k], want,
                            got < want ? "lost" : "duplicated or unexplained");
            }
        }
    if (atomic_load(&dropped_total)) {
        fprintf(stderr, "FAIL: the connection dropped %ld events (its queue overflowed "
                "despite the soak's backpressure), so the counts cannot be exact\n",
                atomic_load(&dropped_total));
        bad++;
    }
    printf("events per subscriber:");
    for (int k = 0; k < K_OTHER; k++)
        printf(" %s %ld", kind_names[k], total[k]);
    printf(" (VMs of the peer's own: %ld)\n", atomic_load(&g.foreign));
    return bad == 0;
}

static int parse_args(int argc, char **argv)
{
    g.uri = "test:///default";
    g.threads = 16;
    g.seconds = 20;
    g.nvms = -1;
    g.rss_limit_kib = 32 * 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--esx-sim") == 0) {
            g.esx = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: vmhi-soak [--uri URI] [--seconds N] [--threads N] "
                    "[--vms N] [--rss-limit-mib N] [--esx-sim]\n");
            return -1;
        }
        i++;
        if (strcmp(a, "--uri") == 0)
            g.uri = v;
        else if (strcmp(a, "--seconds") == 0)
            g.seconds = atoi(v);
        else if (strcmp(a, "--threads") == 0)
            g.threads = atoi(v);
        else if (strcmp(a, "--vms") == 0)
            g.nvms = atoi(v);
        else if (strcmp(a, "--rss-limit-mib") == 0)
            g.rss_limit_kib = atol(v) * 1024;
        else
            return fprintf(stderr, "unknown option %s\n", a), -1;
    }
    if (g.nvms < 0)
        g.nvms = g.threads;
    if (g.threads < 1 || g.threads > MAX_THREADS || g.nvms < 1 || g.nvms > MAX_VMS ||
        g.nvms > g.threads || g.seconds < 1)
        return fprintf(stderr, "threads 1-%d, vms 1-threads, seconds >= 1\n", MAX_THREADS), -1;
    return 0;
}

static int open_connection(void)
{
    static char uri[1024];
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    if (g.esx) {
#ifdef VMHI_SOAK_NO_ESX
        printf("SKIP: built without the ESX backend\n");
        return 77;
#else
        int rc = esx_sim_start(&esx_test_sim, "soak", "--vms 2");
        if (rc != 0) {
            printf("%s: the vSphere simulator did not start\n", rc == 77 ? "SKIP" : "FAIL");
            return rc == 77 ? 77 : 1;
        }
        snprintf(uri, sizeof(uri), "%s", esx_uri(NULL));
        g.uri = uri;
        o = esx_options();
#endif
    }
    if (vmhi_conn_open(&g.conn, g.uri, &o) != VMHI_OK) {
        fprintf(stderr, "FAIL: cannot open %s: %s\n", g.uri, vmhi_error_last_message());
        return 1;
    }
    unsigned int caps = 0;
    g.can_pause = vmhi_conn_get_op_caps(g.conn, VMHI_OP_PAUSE, &caps) == VMHI_OK &&
                  (caps & VMHI_CAP_SUPPORTED);
    return 0;
}

static int subscribe(void)
{
    /* Two subscribers with different masks: each gets every event once. */
    unsigned int masks[2] = { VMHI_EVENT_ALL_1_0,
                              VMHI_EVENT_LIFECYCLE | VMHI_EVENT_DEFINED |
                                  VMHI_EVENT_DEVICE_ADDED | VMHI_EVENT_DEVICE_REMOVED };
    for (int s = 0; s < 2; s++)
        if (vmhi_conn_subscribe(g.conn, masks[s], NULL, on_event, (void *)(intptr_t)s, NULL,
                                NULL) != VMHI_OK) {
            fprintf(stderr, "FAIL: subscribe: %s\n", vmhi_error_last_message());
            return -1;
        }
    return vmhi_conn_start_event_thread(g.conn) == VMHI_OK ? 0 : -1;
}

static void run_threads(long *rss_warm, double *elapsed)
{
    pthread_t threads[MAX_THREADS];
    worker workers[MAX_THREADS];
    double t0 = now_s();
    for (int i = 0; i < g.threads; i++) {
        workers[i] = (worker){ .index = i, .seed = (unsigned int)(i * 7919 + getpid()) };
        pthread_create(&threads[i], NULL, drive, &workers[i]);
    }
    struct timespec quarter = { .tv_sec = g.seconds / 4, .tv_nsec = (g.seconds % 4) * 250000000L };
    nanosleep(&quarter, NULL);
    *rss_warm = rss_kib();
    while (now_s() - t0 < g.seconds) {
        struct timespec tick = { 0, 100000000L };
        nanosleep(&tick, NULL);
    }
    atomic_store(&g.stop, 1);
    for (int i = 0; i < g.threads; i++)
        pthread_join(threads[i], NULL);
    *elapsed = now_s() - t0;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0)
        return 2;
    pthread_mutex_init(&g.report_lock, NULL);
    int rc = open_connection();
    if (rc != 0)
        return rc;
    long rss_start = rss_kib();
    int ok = subscribe() == 0 && define_vms() == 0;
    long rss_warm = 0;
    double elapsed = 0;
    if (ok)
        run_threads(&rss_warm, &elapsed);
    long rss_end = rss_kib();
    /* The events of the last calls may still be on their way (EV-10 is a SHOULD). */
    for (double t = now_s(); ok && !events_match() && now_s() - t < 10;) {
        struct timespec tick = { 0, 50000000L };
        nanosleep(&tick, NULL);
    }
    long ops = atomic_load(&g.ops);
    printf("%s: %d threads, %d VMs (%s), %.1f s: %ld operations, %.0f ops/s, %ld "
           "invalid-state races, %ld failures\n", g.uri, g.threads, g.nvms,
           g.threads > g.nvms ? "shared" : "one each", elapsed, ops,
           elapsed > 0 ? (double)ops / elapsed : 0.0, atomic_load(&g.races),
           atomic_load(&g.failures));
    ok = ok && report_events();
    long growth = rss_end - rss_warm;
    printf("RSS: start %ld KiB, warm %ld KiB, end %ld KiB, growth once warm %ld KiB "
           "(limit %ld KiB)\n", rss_start, rss_warm, rss_end, growth, g.rss_limit_kib);
    if (growth > g.rss_limit_kib) {
        fprintf(stderr, "FAIL: RSS grew by %ld KiB once warm\n", growth);
        ok = 0;
    }
    if (atomic_load(&g.failures) || ops == 0)
        ok = 0;
    clean_up();
    vmhi_conn_close(g.conn);
#ifndef VMHI_SOAK_NO_ESX
    if (g.esx)
        esx_sim_stop(&esx_test_sim);
#endif
    printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
