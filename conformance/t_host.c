/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a backend does inside the application's process (spec section 14)
 * and on its host: the threads it starts block asynchronous signals
 * (THR-7); an application that reaps every child itself does not break
 * it (THR-8); a VM with a kernel boots it (CFG-11, with --kernel).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "conf_events.h"

static vmhi_vm *running_vm(vmhi_conn *conn)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    return vm;
}

/* Signals a thread may leave unblocked: the synchronous ones (THR-7) and
 * those no thread can block. */
static bool must_block(int sig)
{
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
    case SIGKILL: case SIGSTOP:
        return false;
    default:
        return true;
    }
}

/* The blocked-signal mask of thread @tid, false when it is gone. */
static bool blocked_mask(const char *tid, unsigned long long *mask)
{
    char path[300], line[256];
    snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = sscanf(line, "SigBlk: %llx", mask) == 1;
    if (f)
        fclose(f);
    return found;
}

/* The name of thread @tid (its comm), for the message. */
static void thread_name(const char *tid, char *buf, size_t size)
{
    char path[300];
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, (int)size, f))
        snprintf(buf, size, "?");
    buf[strcspn(buf, "\n")] = '\0';
    if (f)
        fclose(f);
}

/* Checks every thread but the main one; returns how many there were. */
static int check_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    char self[32];
    snprintf(self, sizeof(self), "%ld", (long)getpid());
    int threads = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        unsigned long long mask = 0;
        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0 ||
            !blocked_mask(e->d_name, &mask))
            continue;
        threads++;
        char name[64];
        thread_name(e->d_name, name, sizeof(name));
        for (int sig = 1; sig < 32; sig++)
            ck_assert_msg(!must_block(sig) || (mask & (1ull << (sig - 1))),
                          "thread %s (%s) leaves signal %d (%s) unblocked (SigBlk %llx): the "
                          "application's handler could run on it", e->d_name, name, sig,
                          strsignal(sig), mask);
    }
    closedir(d);
    return threads;
}

VMHI_CONF_TEST(backend_threads_block_signals, VMHI_PROFILE_CORE, "THR-7")
{
    CONF_SKIP_IF(access("/proc/self/task", R_OK) != 0,
                 "/proc/self/task cannot be read: thread signal masks are not visible");
    vmhi_conn *conn = conf_open();
    /* Whatever the backend starts threads for: a VM, a subscription. */
    vmhi_vm *vm = running_vm(conn);
    conf_recorder *rec = NULL;
    if (conf_op_caps(conn, VMHI_OP_EVENTS) & VMHI_CAP_SUPPORTED)
        rec = conf_recorder_new(conn, VMHI_EVENT_ALL_1_0, NULL, false);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    conf_req("THR-7");
    int threads = check_threads();
    conf_note("%d thread(s) besides the application's", threads);
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* The application's SIGCHLD handler, reaping every child (THR-8). */
static void reap_every_child(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void expect_state(vmhi_vm *vm, vmhi_vm_state want, vmhi_state_reason why,
                         const char *after)
{
    vmhi_state_reason got_why;
    vmhi_vm_state got = conf_wait_state(vm, VMHI_STATE_BIT(want));
    conf_state(vm, &got_why);
    ck_assert_msg(got == want && got_why == why, "with the application reaping every child, "
                  "after %s the VM is %s/%s", after, vmhi_vm_state_name(got),
                  vmhi_state_reason_name(got_why));
}

VMHI_CONF_TEST(application_reaps_every_child, VMHI_PROFILE_CORE, "THR-8")
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = reap_every_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGCHLD, &sa, NULL), 0);
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    conf_req("THR-8");
    for (int round = 0; round < 2; round++) {
        conf_ok(vmhi_vm_start(vm, 0));
        expect_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED, "start");
        conf_ok(vmhi_vm_poweroff(vm, 0));
        expect_state(vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF, "poweroff");
    }
    vmhi_vm **vms = NULL;
    size_t n = 0;
    conf_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    vmhi_vm_list_free(vms, n);
    conf_discard(vm);
    vmhi_conn_close(conn);
    signal(SIGCHLD, SIG_DFL);
}

/* The running VM reports the boot file it was given (@want NULL: none). */
static void expect_boot_file(const char *what, const char *got, const char *want)
{
    ck_assert_msg(want ? got && strcmp(got, want) == 0 : got == NULL,
                  "the running VM reports %s '%s', not '%s'", what, got ? got : "(none)",
                  want ? want : "(none)");
}

VMHI_CONF_TEST(kernel_boot_starts, VMHI_PROFILE_CORE, "CFG-11")
{
    vmhi_conn *conn = conf_open();
    uint64_t methods = 0;
    conf_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_BOOT_METHOD, &methods));
    CONF_SKIP_CLEAN_IF(!(methods & (UINT64_C(1) << VMHI_BOOT_METHOD_KERNEL)),
                       vmhi_conn_close(conn), "direct kernel boot is not declared");
    CONF_SKIP_CLEAN_IF(!conf->kernel, vmhi_conn_close(conn),
                       "no real kernel: give --kernel FILE to start a VM from one");
    vmhi_vm_config *cfg = conf_config_new();
    conf_ok(vmhi_vm_config_set_kernel(cfg, conf->kernel));
    if (conf->initrd)
        conf_ok(vmhi_vm_config_set_initrd(cfg, conf->initrd));
    conf_ok(vmhi_vm_config_set_cmdline(cfg, "console=ttyS0 panic=-1"));
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    conf_req("CFG-11");
    conf_ok(vmhi_vm_start(vm, 0));
    expect_state(vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED, "start from a kernel");
    vmhi_vm_config *live = NULL;
    conf_ok(vmhi_vm_get_config(vm, &live, 0));
    expect_boot_file("kernel", vmhi_vm_config_get_kernel(live), conf->kernel);
    expect_boot_file("initrd", vmhi_vm_config_get_initrd(live), conf->initrd);
    vmhi_vm_config_free(live);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
