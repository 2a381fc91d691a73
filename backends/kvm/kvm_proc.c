/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Process supervision: spawning QEMU, watching it, signalling it.
 *
 * QEMU is started with an argv array and execve(), never through a shell.
 * It is daemonized (fork, setsid, fork): it is not the application's
 * child, so an application that reaps every child cannot steal its exit,
 * a closed connection leaves no zombie behind, and a Ctrl-C on the
 * application's terminal does not reach it.  The intermediate child waits
 * until the parent holds a pidfd for the grandchild, so the pid cannot be
 * recycled in between.  Exits are then learnt by poll()ing the pidfd.
 *
 * Between fork() and execve() only async-signal-safe calls are made: the
 * process may have other threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

extern char **environ;

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ------------------------------------------------------------ the child */

static void child_fail(int errfd)
{
    int err = errno;
    ssize_t ignored = write(errfd, &err, sizeof(err));
    (void)ignored;
    _exit(127);
}

static int move_high(int fd)
{
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 5);
}

/* Runs in the process that becomes QEMU: fds 0-2 (+3 listen socket, 4 the
 * close-on-exec error pipe), default signals, then execve. */
static void child_exec(const kvm_spawn *sp, int nullfd, int logfd, int errfd)
{
    int fds[4] = { move_high(nullfd), move_high(logfd), move_high(sp->listen_fd),
                   move_high(errfd) };
    if (fds[0] < 0 || fds[1] < 0 || fds[3] < 0 || (sp->listen_fd >= 0 && fds[2] < 0))
        child_fail(errfd);
    errfd = fds[3];
    if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
        child_fail(errfd);
    if (fds[2] >= 0 && dup2(fds[2], 3) < 0)
        child_fail(errfd);
    if (dup3(errfd, 4, O_CLOEXEC) < 0)
        child_fail(errfd);
    errfd = 4;
    if (syscall(SYS_close_range, 5u, ~0u, 0u) != 0)
        for (int fd = 5; fd < 4096; fd++)
            close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP... */
    umask(077); /* whatever QEMU creates is its user's alone */
    execve(sp->argv[0], (char *const *)sp->argv, environ);
    child_fail(errfd);
}

/* The intermediate child: new session, fork QEMU, report its pid, wait
 * until the parent has a pidfd for it (end of @gofd), exit. */
static void child_daemonize(const kvm_spawn *sp, int nullfd, int logfd, int errfd, int infofd,
                            int gofd, const int parent_ends[3])
{
    /* Without this the intermediate child would hold the write end of
     * its own go pipe and never see it close. */
    for (int i = 0; i < 3; i++)
        close(parent_ends[i]);
    if (setsid() < 0)
        child_fail(errfd);
    pid_t pid = fork();
    if (pid < 0)
        child_fail(errfd);
    if (pid == 0)
        child_exec(sp, nullfd, logfd, errfd);
    if (write(infofd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
        _exit(1);
    /* Keep nothing but the go pipe: another thread's spawn may have left
     * its pipes (or a lock file) in this copy of the fd table. */
    if (dup2(gofd, 0) < 0)
        _exit(1);
    if (syscall(SYS_close_range, 1u, ~0u, 0u) != 0)
        for (int fd = 1; fd < 4096; fd++)
            close(fd);
    char c;
    while (read(0, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* ----------------------------------------------------------- the parent */

static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

typedef struct spawn_fds {
    int null, log, err[2], info[2], go[2];
} spawn_fds;

static void spawn_fds_close(spawn_fds *f)
{
    int *all[] = { &f->null, &f->log, &f->err[0], &f->err[1], &f->info[0], &f->info[1],
                   &f->go[0], &f->go[1] };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        close_fd(all[i]);
}

static int spawn_fds_open(const kvm_spawn *sp, spawn_fds *f)
{
    *f = (spawn_fds){ -1, -1, { -1, -1 }, { -1, -1 }, { -1, -1 } };
    f->null = open("/dev/null", O_RDWR | O_CLOEXEC);
    f->log = sp->log_path ? open(sp->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)
                          : fcntl(f->null, F_DUPFD_CLOEXEC, 0);
    if (f->null < 0 || f->log < 0 || pipe2(f->err, O_CLOEXEC) != 0 ||
        pipe2(f->info, O_CLOEXEC) != 0 || pipe2(f->go, O_CLOEXEC) != 0) {
        int err = errno;
        spawn_fds_close(f);
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot prepare to start %s: %s",
                                sp->argv[0], strerror(err));
    }
    return VMHI_OK;
}

/* After fork: get the grandchild's pid and a pidfd for it, release the
 * intermediate child, learn whether execve() worked. */
static int spawn_collect(const kvm_spawn *sp, pid_t mid, spawn_fds *f, kvm_proc *out)
{
    close_fd(&f->err[1]);
    close_fd(&f->info[1]);
    close_fd(&f->go[0]);
    pid_t pid = -1;
    if (sp->daemonize && read_full(f->info[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
        pid = -1;
    if (!sp->daemonize)
        pid = mid;
    out->pid = pid;
    out->pidfd = pid > 0 ? pidfd_open_(pid) : -1;
    /* An explicit byte, not end-of-file: a concurrent spawn in another
     * thread may hold a copy of this pipe's write end for a moment. */
    char go = 1;
    if (write(f->go[1], &go, 1) != 1) {
        /* The intermediate child is gone already. */
    }
    close_fd(&f->go[1]); /* the intermediate child exits now */
    int child_errno = 0;
    bool failed = read_full(f->err[0], &child_errno, sizeof(child_errno)) ==
                  (ssize_t)sizeof(child_errno);
    if (sp->daemonize)
        while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
            ;
    if (pid <= 0 || failed) {
        if (!sp->daemonize && pid > 0)
            waitpid(pid, NULL, 0);
        close_fd(&out->pidfd);
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot execute %s: %s",
                                sp->argv[0], strerror(failed ? child_errno : ECHILD));
    }
    if (!kvm_proc_starttime(pid, &out->starttime))
        out->starttime = 0;
    return VMHI_OK;
}

int kvm_proc_spawn(const kvm_spawn *sp, kvm_proc *out)
{
    spawn_fds f;
    int rc = spawn_fds_open(sp, &f);
    if (rc < 0)
        return rc;
    pid_t mid = fork();
    if (mid < 0) {
        int err = errno;
        spawn_fds_close(&f);
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: fork failed: %s", strerror(err));
    }
    if (mid == 0) {
        if (sp->daemonize) {
            const int parent_ends[3] = { f.err[0], f.info[0], f.go[1] };
            child_daemonize(sp, f.null, f.log, f.err[1], f.info[1], f.go[0], parent_ends);
        }
        child_exec(sp, f.null, f.log, f.err[1]);
    }
    rc = spawn_collect(sp, mid, &f, out);
    spawn_fds_close(&f);
    return rc;
}

/* Reads a child's output until it closes it or the deadline passes. */
static size_t read_output(int fd, char *out, size_t cap, uint64_t deadline)
{
    size_t len = 0;
    for (;;) {
        uint64_t now = kvm_now_ns();
        if (now >= deadline)
            break;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int prc = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
        if (prc < 0 && errno == EINTR)
            continue;
        if (prc <= 0)
            break;
        char scratch[512];
        char *dst = len + 1 < cap ? out + len : scratch;
        size_t room = len + 1 < cap ? cap - 1 - len : sizeof(scratch);
        ssize_t n = read(fd, dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != scratch)
            len += (size_t)n;
    }
    if (cap)
        out[len] = '\0';
    return len;
}

int kvm_proc_run(const char *const *argv, char *out, size_t cap, unsigned int timeout_ms)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: pipe: %s", strerror(errno));
    kvm_spawn sp = { .argv = argv, .listen_fd = -1, .log_path = NULL, .daemonize = false };
    spawn_fds f;
    int rc = spawn_fds_open(&sp, &f);
    if (rc == VMHI_OK) {
        close_fd(&f.log);
        f.log = pipefd[1];
        pipefd[1] = -1;
    }
    pid_t pid = rc == VMHI_OK ? fork() : -1;
    if (pid == 0)
        child_exec(&sp, f.null, f.log, f.err[1]);
    if (pid < 0) {
        spawn_fds_close(&f);
        close(pipefd[0]);
        close_fd(&pipefd[1]);
        return rc < 0 ? rc : kvm_error(VMHI_E_IO, "kvm: fork failed: %s", strerror(errno));
    }
    close_fd(&f.log);
    close_fd(&f.err[1]);
    int child_errno = 0;
    bool failed = read_full(f.err[0], &child_errno, sizeof(child_errno)) ==
                  (ssize_t)sizeof(child_errno);
    uint64_t deadline = kvm_now_ns() + (uint64_t)timeout_ms * 1000000u;
    read_output(pipefd[0], out, cap, deadline);
    close(pipefd[0]);
    spawn_fds_close(&f);
    /* The output ended; give the helper the rest of its time to exit. */
    kvm_proc child = { .pid = pid, .pidfd = pidfd_open_(pid) };
    bool watched = child.pidfd >= 0;
    if (watched) {
        uint64_t now = kvm_now_ns();
        kvm_proc_wait_exit(&child, now < deadline ? (unsigned int)((deadline - now) / 1000000u)
                                                  : 0);
        kvm_proc_close(&child);
    }
    int status = 0;
    pid_t got = waitpid(pid, &status, watched ? WNOHANG : 0);
    if (got < 0 && errno == ECHILD && watched)
        return 0; /* the application reaped it (waitpid(-1)); its pidfd saw it exit */
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return kvm_error(VMHI_E_TIMEOUT, "kvm: %s did not finish within %u ms", argv[0],
                         timeout_ms);
    }
    if (failed)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot execute %s: %s", argv[0],
                                strerror(child_errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------ watching/signals */

int kvm_proc_attach(pid_t pid, unsigned long long starttime, kvm_proc *out)
{
    out->pid = pid;
    out->starttime = starttime;
    out->pidfd = pidfd_open_(pid);
    if (out->pidfd < 0 && errno != ENOSYS)
        return VMHI_E_NO_VM; /* no such process */
    unsigned long long now;
    if (!kvm_proc_starttime(pid, &now) || now != starttime) {
        close_fd(&out->pidfd);
        return VMHI_E_NO_VM; /* gone, or the pid belongs to another process now */
    }
    return VMHI_OK;
}

bool kvm_proc_alive(const kvm_proc *p)
{
    if (p->pidfd >= 0) {
        struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };
        return poll(&pf, 1, 0) == 0;
    }
    unsigned long long now;
    return kvm_proc_starttime(p->pid, &now) && now == p->starttime;
}

int kvm_proc_signal(const kvm_proc *p, int sig)
{
    if (p->pidfd >= 0)
        return (int)syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
    return kvm_proc_alive(p) ? kill(p->pid, sig) : -1;
}

int kvm_proc_wait_exit(const kvm_proc *p, unsigned int timeout_ms)
{
    uint64_t deadline = kvm_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        if (!kvm_proc_alive(p))
            return 1;
        uint64_t now = kvm_now_ns();
        if (now >= deadline)
            return 0;
        int left = (int)((deadline - now) / 1000000u) + 1;
        if (p->pidfd >= 0) {
            struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };
            poll(&pf, 1, left);
        } else {
            /* Kernels before 5.3 have no pidfd: look again in a moment. */
            poll(NULL, 0, left < 10 ? left : 10);
        }
    }
}

void kvm_proc_close(kvm_proc *p)
{
    close_fd(&p->pidfd);
}

/* ------------------------------------------------------------- /proc */

/* Reads /proc/<pid>[/task/<tid>]/stat and returns the fields after the
 * command name (which may itself contain spaces and parentheses). */
static bool read_stat(pid_t pid, pid_t tid, char *buf, size_t size, const char **rest)
{
    char path[64];
    if (tid > 0)
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    else
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read_full(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *paren = strrchr(buf, ')');
    if (!paren)
        return false;
    *rest = paren + 2; /* field 3, the state */
    return true;
}

/* Field @index (1-based as in proc(5)) of a stat line's tail. */
static bool stat_field(const char *rest, int index, unsigned long long *out)
{
    const char *p = rest;
    for (int field = 3; field < index; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
    }
    char *end;
    errno = 0;
    *out = strtoull(p, &end, 10);
    return end != p && errno == 0;
}

bool kvm_proc_starttime(pid_t pid, unsigned long long *ticks)
{
    char buf[1024];
    const char *rest;
    return read_stat(pid, 0, buf, sizeof(buf), &rest) && stat_field(rest, 22, ticks);
}

uint64_t kvm_proc_cpu_ns(pid_t pid, pid_t tid)
{
    char buf[1024];
    const char *rest;
    unsigned long long utime, stime;
    if (!read_stat(pid, tid, buf, sizeof(buf), &rest) || !stat_field(rest, 14, &utime) ||
        !stat_field(rest, 15, &stime))
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (utime + stime) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

int kvm_proc_last_cpu(pid_t pid, pid_t tid)
{
    char buf[1024];
    const char *rest;
    unsigned long long cpu;
    if (!read_stat(pid, tid, buf, sizeof(buf), &rest) || !stat_field(rest, 39, &cpu))
        return -1;
    return (int)cpu;
}

uint64_t kvm_proc_rss_kib(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return UINT64_MAX;
    ssize_t n = read_full(fd, buf, sizeof(buf) - 1);
    close(fd);
    unsigned long long size, resident;
    if (n <= 0)
        return UINT64_MAX;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return UINT64_MAX;
    return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024u;
}

static char boot_id[64];

static void read_boot_id(void)
{
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read_full(fd, boot_id, sizeof(boot_id) - 1);
    close(fd);
    boot_id[n > 0 ? n : 0] = '\0';
    boot_id[strcspn(boot_id, "\n")] = '\0';
}

const char *kvm_boot_id(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, read_boot_id);
    return boot_id;
}
