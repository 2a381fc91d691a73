/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The raw QMP floor: QEMU started with the machine and devices the
 * backend gives a VM (q35, the balloon, 8 hotplug root ports), its QMP
 * socket bound beforehand and passed as fd 3 as the backend does, and
 * driven by hand.  What a management layer cannot go below.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_kvm.h"

extern char **environ;

typedef struct raw_vm {
    pid_t pid;
    int fd;
    char buf[65536];
    size_t len;
} raw_vm;

/* Reads until a line containing @needle arrives; 0 on success. */
static int raw_wait(raw_vm *r, const char *needle)
{
    for (;;) {
        char *nl;
        while ((nl = memchr(r->buf, '\n', r->len))) {
            size_t n = (size_t)(nl - r->buf) + 1;
            int hit = memmem(r->buf, n, needle, strlen(needle)) != NULL;
            memmove(r->buf, r->buf + n, r->len - n);
            r->len -= n;
            if (hit)
                return 0;
        }
        ssize_t got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
        if (got <= 0)
            return -1;
        r->len += (size_t)got;
    }
}

static int raw_cmd(raw_vm *r, const char *json)
{
    size_t n = strlen(json);
    return write(r->fd, json, n) == (ssize_t)n ? raw_wait(r, "\"return\"") : -1;
}

static int listen_at(const char *dir, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(dir) + sizeof("/raw.qmp") > sizeof(addr->sun_path))
        bench_die("socket directory path too long");
    snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/raw.qmp", dir);
    unlink(addr->sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *)addr, sizeof(*addr)) || listen(ls, 1))
        bench_die("raw socket");
    return ls;
}

static void spawn(raw_vm *r, const char *accel, int ls, int devices)
{
    char *argv[64];
    int n = 0;
    const char *base[] = { BENCH_QEMU, "-machine", "q35", "-accel", accel, "-nodefaults",
                           "-no-user-config", "-display", "none", "-m", "size=256M", "-smp",
                           "1,maxcpus=4", "-chardev", "socket,id=qmp,fd=3,server=on,wait=off",
                           "-mon", "chardev=qmp,mode=control", NULL };
    for (int i = 0; base[i]; i++)
        argv[n++] = (char *)base[i];
    static char ports[8][128];
    if (devices) {
        argv[n++] = "-device";
        argv[n++] = "virtio-balloon-pci,id=balloon0,deflate-on-oom=on,"
                    "guest-stats-polling-interval=2";
        for (int i = 0; i < 8; i++) {
            snprintf(ports[i], sizeof(ports[i]), "pcie-root-port,id=rp%d,chassis=%d,port=%d,"
                     "bus=pcie.0,addr=0x10.%d%s", i, i + 1, i + 1, i,
                     i == 0 ? ",multifunction=on" : "");
            argv[n++] = "-device";
            argv[n++] = ports[i];
        }
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ls, 3);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&r->pid, BENCH_QEMU, &fa, NULL, argv, environ) != 0)
        bench_die("posix_spawn");
    posix_spawn_file_actions_destroy(&fa);
}

static void raw_start(raw_vm *r, const char *accel, const char *dir, int devices)
{
    struct sockaddr_un addr;
    int ls = listen_at(dir, &addr);
    spawn(r, accel, ls, devices);
    close(ls);
    r->len = 0;
    r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(r->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        bench_die("raw connect");
    const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
    if (write(r->fd, caps, sizeof(caps) - 1) != (ssize_t)(sizeof(caps) - 1) ||
        raw_wait(r, "\"return\""))
        bench_die("raw handshake");
}

static void raw_quit(raw_vm *r)
{
    const char quit[] = "{\"execute\":\"quit\"}\n";
    if (write(r->fd, quit, sizeof(quit) - 1) < 0)
        bench_die("raw quit");
    while (raw_wait(r, "\n") == 0)
        ; /* until the socket closes */
    close(r->fd);
    waitpid(r->pid, NULL, 0);
}

void bench_floor(bench_samples *s, int iters, const char *accel, const char *dir,
                 double *minimal)
{
    static double mins[BENCH_MAX_ITER];
    for (int i = 0; i < iters; i++) {
        raw_vm r;
        double t0 = bench_now_ms();
        raw_start(&r, accel, dir, 1);
        double t1 = bench_now_ms();
        if (raw_cmd(&r, "{\"execute\":\"stop\"}\n") || raw_cmd(&r, "{\"execute\":\"cont\"}\n"))
            bench_die("raw stop/cont");
        double t2 = bench_now_ms();
        if (raw_cmd(&r, "{\"execute\":\"query-status\"}\n"))
            bench_die("raw query-status");
        double t3 = bench_now_ms();
        raw_quit(&r);
        double t4 = bench_now_ms();
        s->ms[OP_START][i] = t1 - t0;
        s->ms[OP_PAUSE][i] = t2 - t1;
        s->ms[OP_INFO][i] = s->ms[OP_LOOKUP][i] = t3 - t2;
        s->ms[OP_DESTROY][i] = t4 - t3;
        s->ms[OP_CYCLE][i] = (t1 - t0) + (t4 - t3); /* nothing to define */
        double m0 = bench_now_ms();
        raw_start(&r, accel, dir, 0);
        raw_quit(&r);
        mins[i] = bench_now_ms() - m0;
    }
    s->n = iters;
    *minimal = bench_median(mins, iters);
}
