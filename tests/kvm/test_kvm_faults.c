/*
 * Peer and process faults on real QEMU (issue #11 section 4): a QEMU
 * killed in the middle of a call (start, live disk attach, suspend,
 * pause), a QEMU that stops answering (SIGSTOP) and comes back, a QMP
 * stream that carries garbage, stops after half a reply or is closed
 * while QEMU lives (qmp_fault_relay.c between backend and QEMU), a state
 * directory that cannot take a definition (file size limit, full or
 * read-only filesystem), and a managing process killed between define
 * and attach.  Each call must come back with a clear error, no hang, the
 * VM shut off or crashed, the connection usable and no file left over.
 * (An application that reaps every child: test_kvm_lifecycle.c
 * #application_reaps_every_child.)
 * SPDX-License-Identifier: Apache-2.0
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kvmtest.h"
#include "testproc.h"
#include "store_faults.h"

#define URI "kvm:///session"

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Files in @dir whose name starts with @prefix (".tmp-" = half-written). */
static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void data_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/vmhi/kvm", kvmtest_dir);
}

static void run_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/run/vmhi/kvm", kvmtest_dir);
}

static void assert_no_temporaries(void)
{
    char d[700], r[700];
    data_dir(d, sizeof(d));
    run_dir(r, sizeof(r));
    ck_assert_int_eq(count_files(d, ".tmp-"), 0);
    ck_assert_int_eq(count_files(r, ".tmp-"), 0);
}

static vmhi_disk *scratch_disk(const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s.img", kvmtest_dir, name);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    return disk;
}

static size_t count_devices(vmhi_vm *vm, int live)
{
    vmhi_device_list *l = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &l));
    size_t n = 0;
    for (size_t i = 0; i < vmhi_device_list_count(l); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        ck_vmhi_ok(vmhi_device_list_get(l, i, &info));
        n += live ? info.live : info.config;
    }
    vmhi_device_list_free(l);
    return n;
}

/* ---- a QEMU killed in the middle of a call ---------------------------- */

typedef enum { OP_PAUSE, OP_ATTACH, OP_SUSPEND } fault_op;

typedef struct call {
    vmhi_vm *vm;
    fault_op op;
    int rc;
    int code;
    char message[512];
    atomic_int done;
} call;

static void *run_call(void *arg)
{
    call *c = arg;
    vmhi_disk *disk = c->op == OP_ATTACH ? scratch_disk("killed") : NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    switch (c->op) {
    case OP_PAUSE: c->rc = vmhi_vm_pause(c->vm, 0); break;
    case OP_ATTACH: c->rc = vmhi_vm_attach_disk(c->vm, disk, VMHI_AFFECT_LIVE, id); break;
    case OP_SUSPEND: c->rc = vmhi_vm_suspend(c->vm, 0); break;
    }
    c->code = vmhi_error_last_code();
    snprintf(c->message, sizeof(c->message), "%s", vmhi_error_last_message());
    vmhi_disk_free(disk);
    atomic_store(&c->done, 1);
    return NULL;
}

/* QEMU is stopped so that the call surely waits for it, then killed: the
 * call must end at once with an error saying the VM went away. */
static void kill_during(fault_op op)
{
    vmhi_conn *conn = kvmtest_open(URI);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "victim");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_gt(pid, 0);
    testproc_stop(pid);
    call c = { .vm = vm, .op = op };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_call, &c), 0);
    poll(NULL, 0, 300); /* the command is on the socket, unanswered */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    pthread_join(t, NULL);
    long ms = elapsed_ms(&t0);
    printf("op %d, QEMU killed: rc %d after %ld ms: %s\n", (int)op, c.rc, ms, c.message);
    ck_assert_msg(ms < 5000, "the call returned %ld ms after QEMU died", ms);
    ck_assert_msg(c.rc == VMHI_E_CONNECTION || c.rc == VMHI_E_INVALID_STATE,
                  "op %d: rc %d (%s)", (int)op, c.rc, c.message);
    ck_assert_int_eq(c.code, c.rc);
    ck_assert_msg(strstr(c.message, "victim") != NULL, "message names no VM: %s", c.message);
    /* The call's own failure, not that of its clean-up (suspend: cont). */
    ck_assert_msg(strstr(c.message, "cont") == NULL, "%s", c.message);
    ck_assert(kvmtest_wait_gone(pid, 2000));
    ck_assert_int_ge(kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_CRASHED,
                                        NULL, 3000), 0);
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_CRASHED);
    ck_assert_int_eq(why, VMHI_REASON_CRASHED);
    /* Nothing left behind: no temporary, no save image, no live device in
     * the definition, no QMP socket. */
    assert_no_temporaries();
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".qmp"));
    char save[800], d[700];
    data_dir(d, sizeof(d));
    snprintf(save, sizeof(save), "%s/%s.save", d, vmhi_vm_get_uuid(vm));
    ck_assert_int_ne(access(save, F_OK), 0);
    ck_assert_uint_eq(count_devices(vm, 0), 0);
    /* The connection and the VM are usable: start, use, power off. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".state"));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}

START_TEST(qemu_killed_during_pause)
{
    kill_during(OP_PAUSE);
}
END_TEST

START_TEST(qemu_killed_during_disk_attach)
{
    kill_during(OP_ATTACH);
}
END_TEST

START_TEST(qemu_killed_during_suspend)
{
    kill_during(OP_SUSPEND);
}
END_TEST

/* Killed while it writes the state file (not while it stops): the state
 * file is watched until it grows, then QEMU is killed at once. */
START_TEST(qemu_killed_while_migrating_to_file)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "migrant");
    char d[700], tmp[800];
    data_dir(d, sizeof(d));
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s.save", d, vmhi_vm_get_uuid(vm));
    call c = { .vm = vm, .op = OP_SUSPEND };
    int caught = 0;
    for (int attempt = 0; attempt < 5 && !caught; attempt++) {
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
        long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
        ck_assert_int_gt(pid, 0);
        pthread_t t;
        atomic_store(&c.done, 0);
        ck_assert_int_eq(pthread_create(&t, NULL, run_call, &c), 0);
        struct stat sb;
        for (int i = 0; i < 200000; i++) {
            if (stat(tmp, &sb) == 0 && sb.st_size > 0) {
                kill((pid_t)pid, SIGKILL);
                break;
            }
            if (atomic_load(&c.done))
                break;
            usleep(50);
        }
        pthread_join(t, NULL);
        if (c.rc == VMHI_OK) { /* saved before we saw it: once more */
            ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
            continue;
        }
        caught = 1;
        printf("suspend, QEMU killed while migrating: rc %d: %s\n", c.rc, c.message);
        ck_assert_msg(c.rc == VMHI_E_BACKEND || c.rc == VMHI_E_CONNECTION ||
                      c.rc == VMHI_E_INVALID_STATE, "rc %d: %s", c.rc, c.message);
        ck_assert_msg(strstr(c.message, "migrant") != NULL, "message names no VM: %s",
                      c.message);
        ck_assert(kvmtest_wait_gone(pid, 2000));
    }
    ck_assert_msg(caught, "every suspend completed before its QEMU could be killed");
    for (int i = 0; i < 300 && kvmtest_state(vm, NULL) != VMHI_STATE_CRASHED; i++)
        vmhi_conn_dispatch_events(conn, 10);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_CRASHED);
    assert_no_temporaries();
    ck_assert_int_ne(access(tmp, F_OK), 0);
    char save[800];
    snprintf(save, sizeof(save), "%s/%s.save", d, vmhi_vm_get_uuid(vm));
    ck_assert_int_ne(access(save, F_OK), 0);
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".qmp"));
    /* A fresh boot (not a restore of half an image), then a whole suspend. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_RESTORED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ---- a QEMU killed while it starts ------------------------------------ */

/* A qemu= wrapper (test code, run by path): records its pid and stops
 * itself before it becomes QEMU while the flag file exists. */
static void write_wrapper(char *wrapper, size_t cap, char *flag, size_t fcap, char *pidfile,
                          size_t pcap)
{
    snprintf(wrapper, cap, "%s/qemu-wrapper", kvmtest_dir);
    snprintf(flag, fcap, "%s/stop-at-start", kvmtest_dir);
    snprintf(pidfile, pcap, "%s/wrapper.pid", kvmtest_dir);
    FILE *f = fopen(wrapper, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n"
               "if [ -e '%s' ]; then echo $$ > '%s.new' && mv '%s.new' '%s'; kill -STOP $$; fi\n"
               "exec /usr/bin/qemu-system-x86_64 \"$@\"\n",
            flag, pidfile, pidfile, pidfile);
    fclose(f);
    ck_assert_int_eq(chmod(wrapper, 0700), 0);
}

static void *run_start(void *arg)
{
    call *c = arg;
    c->rc = vmhi_vm_start(c->vm, 0);
    snprintf(c->message, sizeof(c->message), "%s", vmhi_error_last_message());
    return NULL;
}

START_TEST(qemu_killed_during_start)
{
    char wrapper[700], flag[700], pidfile[700], uri[900];
    write_wrapper(wrapper, sizeof(wrapper), flag, sizeof(flag), pidfile, sizeof(pidfile));
    snprintf(uri, sizeof(uri), URI "?qemu=%s", wrapper);
    vmhi_conn *conn = kvmtest_open(uri);
    vmhi_vm *vm = kvmtest_define(conn, "stillborn");
    FILE *f = fopen(flag, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    call c = { .vm = vm };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_start, &c), 0);
    long pid = -1;
    for (int i = 0; i < 1000 && pid < 0; i++) {
        poll(NULL, 0, 10);
        FILE *p = fopen(pidfile, "r");
        if (p && fscanf(p, "%ld", &pid) != 1)
            pid = -1;
        if (p)
            fclose(p);
    }
    ck_assert_int_gt(pid, 0);
    poll(NULL, 0, 200);
    unlink(flag);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    pthread_join(t, NULL);
    long ms = elapsed_ms(&t0);
    printf("start, QEMU killed: rc %d after %ld ms: %s\n", c.rc, ms, c.message);
    ck_assert_msg(ms < 5000, "start returned %ld ms after QEMU died", ms);
    ck_assert_msg(c.rc < 0, "start succeeded with its QEMU killed");
    ck_assert_msg(c.message[0] && strstr(c.message, "stillborn"), "rc %d: %s", c.rc, c.message);
    vmhi_vm_state st = kvmtest_state(vm, NULL);
    ck_assert_msg(st == VMHI_STATE_SHUTOFF || st == VMHI_STATE_CRASHED, "state %s",
                  vmhi_vm_state_name(st));
    assert_no_temporaries();
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".qmp"));
    /* The same connection starts it now that the wrapper lets QEMU run. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ---- a QEMU that does not answer -------------------------------------- */

/* The connections below ask for this per-call timeout (the backend's own
 * default is 15 s): a call to a QEMU that does not answer ends after it. */
#define CALL_TIMEOUT_MS 3000

static void assert_connection_timeout(long ms)
{
    ck_assert_msg(ms >= CALL_TIMEOUT_MS - 50 && ms < CALL_TIMEOUT_MS + 5000,
                  "the call timed out after %ld ms, not after the connection's %d ms", ms,
                  CALL_TIMEOUT_MS);
}

START_TEST(stopped_qemu_times_out_and_recovers)
{
    vmhi_conn *conn = kvmtest_open_timeout(URI, CALL_TIMEOUT_MS);
    vmhi_vm *vm = kvmtest_define(conn, "sleeper");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_gt(pid, 0);
    testproc_stop(pid);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_TIMEOUT);
    long ms = elapsed_ms(&t0);
    ck_assert_msg(strstr(vmhi_error_last_message(), "did not answer") &&
                  strstr(vmhi_error_last_message(), "sleeper"), "%s", vmhi_error_last_message());
    printf("pause, QEMU stopped: TIMEOUT after %ld ms: %s\n", ms, vmhi_error_last_message());
    assert_connection_timeout(ms);
    /* Calls that need no answer from QEMU still answer meanwhile. */
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(kill((pid_t)pid, SIGCONT), 0);
    /* QEMU now runs the stop it was sent: the VM ends paused; the late
     * answer is dropped and the next calls get their own. */
    for (int i = 0; i < 200 && kvmtest_state(vm, NULL) != VMHI_STATE_PAUSED; i++)
        vmhi_conn_dispatch_events(conn, 10);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_PAUSED);
    ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    vmhi_disk *disk = scratch_disk("after");
    char id[VMHI_DEVICE_ID_MAX + 1];
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, id));
    vmhi_disk_free(disk);
    ck_assert_uint_eq(count_devices(vm, 1), 1);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert(kvmtest_wait_gone(pid, 2000));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ---- a QMP stream that breaks (qmp_fault_relay.c) --------------------- */

static vmhi_conn *open_relayed(void)
{
    const char *relay = getenv("VMHI_KVM_FAULT_RELAY");
    ck_assert_msg(relay && access(relay, X_OK) == 0, "VMHI_KVM_FAULT_RELAY is not set (run "
                  "through ctest)");
    char uri[900];
    snprintf(uri, sizeof(uri), URI "?qemu=%s", relay);
    return kvmtest_open_timeout(uri, CALL_TIMEOUT_MS);
}

static void set_fault(vmhi_vm *vm, const char *what)
{
    char r[700], path[900];
    run_dir(r, sizeof(r));
    snprintf(path, sizeof(path), "%s/%s.qmp.fault", r, vmhi_vm_get_uuid(vm));
    if (!what) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", what);
    fclose(f);
    poll(NULL, 0, 150); /* the relay looks every 50 ms */
}

START_TEST(garbage_on_the_qmp_socket_is_ignored)
{
    vmhi_conn *conn = open_relayed();
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "noisy");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    set_fault(vm, "garbage");
    for (int i = 0; i < 3; i++) {
        ck_vmhi_ok(vmhi_vm_pause(vm, 0));
        ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    }
    vmhi_disk *disk = scratch_disk("noisy");
    char id[VMHI_DEVICE_ID_MAX + 1];
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, id));
    vmhi_disk_free(disk);
    ck_assert_uint_eq(count_devices(vm, 1), 1);
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    ck_assert_int_ge(kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_PAUSED,
                                        NULL, 2000), 0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_POWEROFF);
    set_fault(vm, NULL);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(half_a_reply_then_silence_times_out)
{
    vmhi_conn *conn = open_relayed();
    vmhi_vm *vm = kvmtest_define(conn, "mute");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    set_fault(vm, "half");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_TIMEOUT);
    long ms = elapsed_ms(&t0);
    printf("pause, half a reply then silence: TIMEOUT after %ld ms: %s\n", ms,
           vmhi_error_last_message());
    ck_assert_msg(strstr(vmhi_error_last_message(), "did not answer"), "%s",
                  vmhi_error_last_message());
    assert_connection_timeout(ms);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    /* A QEMU that does not answer is still powered off (signals). */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ms = elapsed_ms(&t0);
    printf("poweroff of the mute QEMU: %ld ms\n", ms);
    ck_assert_msg(ms < 15000, "poweroff took %ld ms", ms);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTOFF);
    ck_assert(kvmtest_wait_gone(pid, 2000));
    set_fault(vm, NULL);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    assert_no_temporaries();
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(qmp_socket_closed_while_qemu_lives)
{
    vmhi_conn *conn = open_relayed();
    vmhi_vm *vm = kvmtest_define(conn, "deaf");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    set_fault(vm, "close");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = vmhi_vm_pause(vm, 0);
    long ms = elapsed_ms(&t0);
    char message[512];
    snprintf(message, sizeof(message), "%s", vmhi_error_last_message());
    printf("pause, QMP socket closed: rc %d after %ld ms: %s; state %s\n", rc, ms, message,
           vmhi_vm_state_name(kvmtest_state(vm, NULL)));
    fflush(stdout);
    ck_assert_msg(rc == VMHI_E_CONNECTION, "rc %d: %s", rc, message);
    ck_assert_msg(strstr(message, "deaf"), "%s", message);
    ck_assert_msg(ms < 5000, "pause took %ld ms", ms);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ms = elapsed_ms(&t0);
    printf("poweroff without QMP: %ld ms\n", ms);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTOFF);
    ck_assert(kvmtest_wait_gone(pid, 2000));
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".qmp"));
    set_fault(vm, NULL);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ---- a state directory that cannot take a definition ------------------ */

static void store_fault(sf_fault f)
{
    char mnt[700], d[700];
    snprintf(mnt, sizeof(mnt), "%s/data", kvmtest_dir);
    ck_assert_int_eq(mkdir(mnt, 0700), 0);
    int mounted = f != SF_FILE_SIZE_LIMIT && sf_mount_tmpfs(mnt);
    if (f == SF_FULL && !mounted) {
        printf("a full filesystem needs root (a tmpfs); the file size limit covers it\n");
        f = SF_FILE_SIZE_LIMIT;
    }
    vmhi_conn *conn = kvmtest_open(URI); /* creates the data directory */
    vmhi_conn_close(conn);
    data_dir(d, sizeof(d));
    sf_check(URI, mnt, d, f, kvmtest_config);
    if (mounted)
        ck_assert_int_eq(umount2(mnt, MNT_DETACH), 0);
}

START_TEST(file_size_limit_keeps_the_old_definition)
{
    store_fault(SF_FILE_SIZE_LIMIT);
}
END_TEST

START_TEST(full_data_directory_keeps_the_old_definition)
{
    store_fault(SF_FULL);
}
END_TEST

START_TEST(read_only_data_directory_keeps_the_old_definition)
{
    store_fault(SF_READ_ONLY);
}
END_TEST

/* ---- the managing process killed -------------------------------------- */

/* The child defines a VM, starts it, attaches a disk live and to its
 * definition, says so on @fd, and waits to be killed. */
static void manage_then_wait(int fd)
{
    vmhi_conn *conn = NULL;
    vmhi_vm *vm = NULL;
    vmhi_vm_config *cfg = kvmtest_config("orphan");
    vmhi_disk *disk = scratch_disk("orphan");
    char id[VMHI_DEVICE_ID_MAX + 1];
    int ok = vmhi_conn_open(&conn, URI, NULL) == 0 && vmhi_vm_define(&vm, conn, cfg, 0) == 0 &&
             vmhi_vm_start(vm, 0) == 0 &&
             vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, id) == 0;
    char msg[VMHI_DEVICE_ID_MAX + 2];
    snprintf(msg, sizeof(msg), "%s\n", ok ? id : "!");
    if (write(fd, msg, strlen(msg)) < 0)
        _exit(2);
    for (;;)
        pause();
}

START_TEST(manager_killed_after_attach_is_taken_over)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(p[0]);
        manage_then_wait(p[1]);
    }
    close(p[1]);
    char id[VMHI_DEVICE_ID_MAX + 2] = "";
    ssize_t n = read(p[0], id, sizeof(id) - 1);
    close(p[0]);
    ck_assert_int_gt(n, 1);
    id[n - 1] = '\0';
    ck_assert_str_ne(id, "!");
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    ck_assert_int_eq(waitpid(child, NULL, 0), child);

    /* A new manager: the VM runs, with its disk, live and defined. */
    assert_no_temporaries();
    vmhi_conn *conn = kvmtest_open(URI);
    assert_no_temporaries();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "orphan"));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    vmhi_device_list *l = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &l));
    ck_assert_uint_eq(vmhi_device_list_count(l), 1);
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_vmhi_ok(vmhi_device_list_get(l, 0, &info));
    ck_assert_str_eq(info.id, id);
    ck_assert_int_eq(info.live, 1);
    ck_assert_int_eq(info.config, 1);
    vmhi_device_list_free(l);
    /* QEMU has it: its unplug is accepted (pending, no guest to answer). */
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_LIVE, NULL));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_uint_eq(count_devices(vm, 0), 1);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* Killed at any moment of define / attach / detach / redefine (config
 * only, no QEMU): what the next manager reads is consistent - no
 * temporary, every definition whole, every listed VM readable. */
START_TEST(manager_killed_at_random_leaves_a_consistent_directory)
{
    char d[700];
    data_dir(d, sizeof(d));
    unsigned int seed = (unsigned int)getpid();
    for (int round = 0; round < 8; round++) {
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
            vmhi_conn *conn = NULL;
            if (vmhi_conn_open(&conn, URI, NULL) != 0)
                _exit(2);
            for (int i = 0;; i++) {
                char name[32];
                snprintf(name, sizeof(name), "r%d-%d", round, i % 4);
                vmhi_vm_config *cfg = kvmtest_config(name);
                vmhi_vm *vm = NULL;
                vmhi_vm_lookup_by_name(&vm, conn, name);
                if (vm) {
                    vmhi_vm_undefine(vm, 0);
                    vmhi_vm_free(vm);
                    vm = NULL;
                }
                if (vmhi_vm_define(&vm, conn, cfg, 0) == 0) {
                    vmhi_disk *disk = scratch_disk(name);
                    char id[VMHI_DEVICE_ID_MAX + 1];
                    if (vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, id) == 0 && (i & 1))
                        vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_CONFIG, NULL);
                    vmhi_disk_free(disk);
                    vmhi_vm_set_memory(vm, 64 + (unsigned)(i % 64), VMHI_AFFECT_CONFIG);
                }
                vmhi_vm_free(vm);
                vmhi_vm_config_free(cfg);
            }
        }
        usleep(20000 + rand_r(&seed) % 80000);
        ck_assert_int_eq(kill(child, SIGKILL), 0);
        ck_assert_int_eq(waitpid(child, NULL, 0), child);
        vmhi_conn *conn = kvmtest_open(URI);
        assert_no_temporaries();
        vmhi_vm **list = NULL;
        size_t n = 0;
        ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &list, &n));
        int xml = 0;
        DIR *dir = opendir(d);
        for (struct dirent *e; dir && (e = readdir(dir));)
            xml += strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".xml") == 0;
        if (dir)
            closedir(dir);
        ck_assert_int_eq((int)n, xml);
        for (size_t i = 0; i < n; i++) {
            vmhi_vm_config *cfg = NULL;
            ck_vmhi_ok(vmhi_vm_get_config(list[i], &cfg, 0));
            ck_assert_uint_le(count_devices(list[i], 0), 1);
            vmhi_vm_config_free(cfg);
        }
        vmhi_vm_list_free(list, n);
        vmhi_conn_close(conn);
    }
}
END_TEST

int main(void)
{
    kvmtest_require_qemu();
    Suite *s = suite_create("kvm_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, kvmtest_setup, kvmtest_teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, qemu_killed_during_pause);
    tcase_add_test(tc, qemu_killed_during_disk_attach);
    tcase_add_test(tc, qemu_killed_during_suspend);
    tcase_add_test(tc, qemu_killed_while_migrating_to_file);
    tcase_add_test(tc, qemu_killed_during_start);
    tcase_add_test(tc, stopped_qemu_times_out_and_recovers);
    tcase_add_test(tc, garbage_on_the_qmp_socket_is_ignored);
    tcase_add_test(tc, half_a_reply_then_silence_times_out);
    tcase_add_test(tc, qmp_socket_closed_while_qemu_lives);
    tcase_add_test(tc, file_size_limit_keeps_the_old_definition);
    tcase_add_test(tc, full_data_directory_keeps_the_old_definition);
    tcase_add_test(tc, read_only_data_directory_keeps_the_old_definition);
    tcase_add_test(tc, manager_killed_after_attach_is_taken_over);
    tcase_add_test(tc, manager_killed_at_random_leaves_a_consistent_directory);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
