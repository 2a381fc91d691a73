/*
 * Helpers shared by the KVM backend tests (real QEMU).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every test case runs in its own forked process with XDG_RUNTIME_DIR and
 * XDG_DATA_HOME pointed at a fresh directory under /tmp, so
 * kvm:///session never touches real state and cases never collide.
 */
#ifndef VMHI_KVMTEST_H
#define VMHI_KVMTEST_H

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vmhi/vmhi.h"

#define KVMTEST_SKIP 77

static char kvmtest_dir[512];

/* Exits 77 (ctest SKIP) with a reason when QEMU is not installed. */
static inline void kvmtest_require_qemu(void)
{
    if (access("/usr/bin/qemu-system-x86_64", X_OK) != 0) {
        printf("SKIP: /usr/bin/qemu-system-x86_64 is missing (apt-get install "
               "qemu-system-x86)\n");
        exit(KVMTEST_SKIP);
    }
}

static inline void kvmtest_teardown(void);

/* Checked fixture: a private session directory for this case. */
static inline void kvmtest_setup(void)
{
    /* A failed assertion exit()s the case's process without its checked
     * teardown: clean up at exit too, or its QEMUs would outlive it. */
    static int registered;
    if (!registered++)
        atexit(kvmtest_teardown);
    /* Under /tmp, not the build tree: QMP socket paths must fit the 107
     * bytes of a unix socket address, and build trees can be deep. */
    char tmpl[512] = "/tmp/vmhi-kvm-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    snprintf(kvmtest_dir, sizeof(kvmtest_dir), "%s", tmpl);
    char run[600], data[600];
    snprintf(run, sizeof(run), "%s/run", kvmtest_dir);
    snprintf(data, sizeof(data), "%s/data", kvmtest_dir);
    mkdir(run, 0700);
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("XDG_DATA_HOME", data, 1);
}

/* Kills every QEMU a case left behind; idempotent. */
static inline void kvmtest_teardown(void)
{
    if (!kvmtest_dir[0])
        return;
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "for f in %s/run/vmhi/kvm/*.state; do [ -f \"$f\" ] || continue; "
             "p=$(sed -n 's/^pid=//p' \"$f\"); [ -n \"$p\" ] && kill -9 \"$p\" 2>/dev/null; "
             "done; rm -rf %s", kvmtest_dir, kvmtest_dir);
    if (system(cmd) != 0) {
        /* best effort */
    }
    kvmtest_dir[0] = '\0';
}

static inline vmhi_conn *kvmtest_open(const char *uri)
{
    vmhi_conn *conn = NULL;
    ck_vmhi_ok(vmhi_conn_open(&conn, uri, NULL));
    return conn;
}

/* A connection whose calls wait at most @timeout_ms for QEMU. */
static inline vmhi_conn *kvmtest_open_timeout(const char *uri, unsigned int timeout_ms)
{
    vmhi_conn *conn = NULL;
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.timeout_ms = timeout_ms;
    ck_vmhi_ok(vmhi_conn_open(&conn, uri, &opts));
    return conn;
}

/* A small VM: @vcpus of max 4, 128 of max 256 MiB. */
static inline vmhi_vm_config *kvmtest_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 4));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 1));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 256));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 128));
    return cfg;
}

static inline vmhi_vm *kvmtest_define(vmhi_conn *conn, const char *name)
{
    vmhi_vm_config *cfg = kvmtest_config(name);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    return vm;
}

static inline vmhi_vm_state kvmtest_state(vmhi_vm *vm, vmhi_state_reason *reason)
{
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, reason));
    return st;
}

/* Waits until the VM's console (kvm:///session) showed @text @count times. */
static inline int kvmtest_wait_console(const char *uuid, const char *text, int count,
                                       int timeout_ms)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/run/vmhi/kvm/%s.console", kvmtest_dir, uuid);
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        FILE *f = fopen(path, "r");
        char line[512];
        int seen = 0;
        while (f && fgets(line, sizeof(line), f))
            seen += strstr(line, text) != NULL;
        if (f)
            fclose(f);
        if (seen >= count)
            return 1;
        poll(NULL, 0, 50);
    }
    return 0;
}

/* ---- events ------------------------------------------------------------ */

#define KVMTEST_EVENTS_MAX 64

typedef struct kvmtest_event {
    vmhi_event_type type;
    vmhi_vm_state state;
    vmhi_state_reason reason;
    char device[VMHI_DEVICE_ID_MAX + 1];
    uint64_t value;
} kvmtest_event;

typedef struct kvmtest_events {
    kvmtest_event ev[KVMTEST_EVENTS_MAX];
    int n;
} kvmtest_events;

static inline void kvmtest_event_cb(vmhi_conn *conn, const vmhi_event *event, void *data)
{
    kvmtest_events *e = data;
    (void)conn;
    if (e->n >= KVMTEST_EVENTS_MAX)
        return;
    kvmtest_event *x = &e->ev[e->n++];
    x->type = vmhi_event_get_type(event);
    x->state = vmhi_event_get_state(event);
    x->reason = vmhi_event_get_reason(event);
    const char *dev = vmhi_event_get_device_id(event);
    snprintf(x->device, sizeof(x->device), "%s", dev ? dev : "");
    x->value = vmhi_event_get_value(event);
}

static inline void kvmtest_subscribe(vmhi_conn *conn, kvmtest_events *e)
{
    memset(e, 0, sizeof(*e));
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_ALL_1_0, NULL, kvmtest_event_cb, e, NULL, NULL));
}

/* Index of the first event at or after @from matching type (and state when
 * lifecycle, device id when given), dispatching until @timeout_ms; -1 if none. */
static inline int kvmtest_wait_event(vmhi_conn *conn, kvmtest_events *e, int from,
                                     vmhi_event_type type, vmhi_vm_state state,
                                     const char *device, int timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = from; i < e->n; i++) {
            if (e->ev[i].type != type)
                continue;
            if (type == VMHI_EVENT_LIFECYCLE && state && e->ev[i].state != state)
                continue;
            if (device && strcmp(e->ev[i].device, device) != 0)
                continue;
            return i;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms)
            return -1;
        vmhi_conn_dispatch_events(conn, (int)(timeout_ms - ms));
    }
}

/* ---- peeking at the backend's files ----------------------------------- */

static inline long kvmtest_qemu_pid(const char *uuid)
{
    char path[700], line[256];
    snprintf(path, sizeof(path), "%s/run/vmhi/kvm/%s.state", kvmtest_dir, uuid);
    FILE *f = fopen(path, "r");
    long pid = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "pid=", 4) == 0)
            pid = strtol(line + 4, NULL, 10);
    if (f)
        fclose(f);
    return pid;
}

static inline int kvmtest_file_exists(const char *uuid, const char *suffix)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/run/vmhi/kvm/%s%s", kvmtest_dir, uuid, suffix);
    return access(path, F_OK) == 0;
}

/* Waits until process @pid is gone (it is not our child: poll /proc). */
static inline int kvmtest_wait_gone(long pid, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (kill((pid_t)pid, 0) != 0)
            return 1;
        poll(NULL, 0, 10);
    }
    return 0;
}

#endif
