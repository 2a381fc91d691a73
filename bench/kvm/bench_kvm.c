/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Benchmark of the KVM backend against the raw QMP floor, on the same QEMU:
 *
 *   start            vmhi_vm_start()    | spawn -> first QMP reply
 *   destroy          vmhi_vm_poweroff() | quit -> process gone
 *   pause/resume     one pause + resume | stop + cont round trips
 *   get-info         vmhi_vm_get_info() | query-status round trip
 *   lookup+get-info  by name, then info | query-status round trip
 *   cycle            define+start+destroy+undefine | spawn..exit
 *
 * The floor runs QEMU with the same machine and devices the backend gives
 * a VM (q35, balloon, the hotplug root ports), its QMP socket pre-bound
 * and passed as fd 3 like the backend does, so the ratio measures the
 * backend's own cost.  A "minimal" floor (no devices) is printed too.
 * libvirt is compared when `virsh` is installed; otherwise the line says
 * how to install it.  Prints medians in ms and the ratios.
 *
 *   vmhi-bench-kvm [iterations]     (default 15; uses a private kvm:///session)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmhi/vmhi.h"

extern char **environ;

#define QEMU "/usr/bin/qemu-system-x86_64"
#define MAX_ITER 200

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
    fprintf(stderr, "vmhi-bench-kvm: %s: %s (%s)\n", what, vmhi_error_last_message(),
            strerror(errno));
    exit(1);
}

/* ------------------------------------------------------------ raw QMP */

typedef struct raw_vm {
    pid_t pid;
    int fd;
    char buf[65536];
    size_t len;
} raw_vm;

static const char *accel_name;

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

static void raw_start(raw_vm *r, const char *dir, int devices)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(dir) + sizeof("/raw.qmp") > sizeof(addr.sun_path))
        die("socket directory path too long");
    memcpy(addr.sun_path, dir, strlen(dir));
    memcpy(addr.sun_path + strlen(dir), "/raw.qmp", sizeof("/raw.qmp"));
    unlink(addr.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) || listen(ls, 1))
        die("raw socket");
    char *argv[64];
    int n = 0;
    const char *base[] = { QEMU, "-machine", "q35", "-accel", accel_name, "-nodefaults",
                           "-no-user-config", "-display", "none", "-m", "size=256M", "-smp",
                           "1,maxcpus=4", "-chardev", "socket,id=qmp,fd=3,server=on,wait=off",
                           "-mon", "chardev=qmp,mode=control", NULL };
    for (int i = 0; base[i]; i++)
        argv[n++] = (char *)base[i];
    static char ports[8][128];
    if (devices) {
        argv[n++] = "-device";
        argv[n++] = "virtio-balloon-pci,id=balloon0,guest-stats-polling-interval=2";
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
    if (posix_spawn(&r->pid, QEMU, &fa, NULL, argv, environ) != 0)
        die("posix_spawn");
    posix_spawn_file_actions_destroy(&fa);
    close(ls);
    r->len = 0;
    r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(r->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        die("raw connect");
    const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
    if (write(r->fd, caps, sizeof(caps) - 1) != (ssize_t)(sizeof(caps) - 1) ||
        raw_wait(r, "\"return\""))
        die("raw handshake");
}

static void raw_quit(raw_vm *r)
{
    const char quit[] = "{\"execute\":\"quit\"}\n";
    if (write(r->fd, quit, sizeof(quit) - 1) < 0)
        die("raw quit");
    while (raw_wait(r, "\n") == 0)
        ; /* until the socket closes */
    close(r->fd);
    waitpid(r->pid, NULL, 0);
}

/* ------------------------------------------------------------ results */

typedef struct row {
    const char *name;
    double vmhi, floor, libvirt;
} row;

static void print_rows(const row *rows, int n)
{
    printf("\n%-18s %10s %10s %10s %10s %12s\n", "operation (median)", "VMHI ms", "floor ms",
           "libvirt ms", "VMHI/floor", "VMHI/libvirt");
    for (int i = 0; i < n; i++) {
        char lv[32] = "-", ratio_lv[32] = "-";
        if (rows[i].libvirt > 0) {
            snprintf(lv, sizeof(lv), "%.3f", rows[i].libvirt);
            snprintf(ratio_lv, sizeof(ratio_lv), "%.2f", rows[i].vmhi / rows[i].libvirt);
        }
        printf("%-18s %10.3f %10.3f %10s %10.2f %12s\n", rows[i].name, rows[i].vmhi,
               rows[i].floor, lv, rows[i].vmhi / rows[i].floor, ratio_lv);
    }
}

static vmhi_vm *define_vm(vmhi_conn *conn, const char *name)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    if (vmhi_vm_config_new(&cfg) || vmhi_vm_config_set_name(cfg, name) ||
        vmhi_vm_config_set_max_vcpus(cfg, 4) || vmhi_vm_config_set_max_memory_mib(cfg, 256) ||
        vmhi_vm_config_set_memory_mib(cfg, 256) || vmhi_vm_define(&vm, conn, cfg))
        die("define");
    vmhi_vm_config_free(cfg);
    return vm;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 15;
    if (iters < 3 || iters > MAX_ITER)
        iters = 15;
    if (access(QEMU, X_OK) != 0) {
        printf("vmhi-bench-kvm: %s is missing (apt-get install qemu-system-x86)\n", QEMU);
        return 0;
    }
    /* Runtime files on tmpfs (as /run/user/<uid> is), definitions on disk. */
    char run[] = "/dev/shm/vmhi-bench-XXXXXX", data[] = "/tmp/vmhi-bench-XXXXXX";
    if (!mkdtemp(run) || !mkdtemp(data))
        die("mkdtemp");
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("XDG_DATA_HOME", data, 1);

    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, "kvm:///session", NULL))
        die("open kvm:///session (set VMHI_BACKEND_PATH to the build's modules/)");
    vmhi_host_info hi = VMHI_HOST_INFO_INIT;
    vmhi_conn_get_host_info(conn, &hi);
    accel_name = strcmp(hi.hypervisor, "QEMU/KVM") == 0 ? "kvm" : "tcg";
    printf("vmhi-bench-kvm: %s %s, %d iterations, runtime dir on tmpfs\n", hi.hypervisor,
           hi.hypervisor_version, iters);

    static double a[MAX_ITER], b[MAX_ITER], c[MAX_ITER], d[MAX_ITER], e[MAX_ITER], f[MAX_ITER],
        g[MAX_ITER];
    row rows[8];
    int nrows = 0;

    /* VMHI: start, destroy, pause/resume, get-info, lookup+get-info. */
    vmhi_vm *vm = define_vm(conn, "bench");
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        if (vmhi_vm_start(vm, 0))
            die("start");
        double t1 = now_ms();
        if (vmhi_vm_pause(vm) || vmhi_vm_resume(vm))
            die("pause/resume");
        double t2 = now_ms();
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vm, &info))
            die("get-info");
        double t3 = now_ms();
        vmhi_vm *byname = NULL;
        if (vmhi_vm_lookup_by_name(&byname, conn, "bench") || vmhi_vm_get_info(byname, &info))
            die("lookup+get-info");
        vmhi_vm_free(byname);
        double t4 = now_ms();
        if (vmhi_vm_poweroff(vm, 0))
            die("poweroff");
        double t5 = now_ms();
        a[i] = t1 - t0, b[i] = t5 - t4, c[i] = t2 - t1, d[i] = t3 - t2, e[i] = t4 - t3;
    }
    vmhi_vm_undefine(vm);
    vmhi_vm_free(vm);
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        vm = define_vm(conn, "cycle");
        if (vmhi_vm_start(vm, 0) || vmhi_vm_poweroff(vm, 0) || vmhi_vm_undefine(vm))
            die("cycle");
        vmhi_vm_free(vm);
        f[i] = now_ms() - t0;
    }
    rows[0] = (row){ "start", median(a, iters), 0, 0 };
    rows[1] = (row){ "destroy", median(b, iters), 0, 0 };
    rows[2] = (row){ "pause+resume", median(c, iters), 0, 0 };
    rows[3] = (row){ "get-info", median(d, iters), 0, 0 };
    rows[4] = (row){ "lookup+get-info", median(e, iters), 0, 0 };
    rows[5] = (row){ "define..undefine", median(f, iters), 0, 0 };
    nrows = 6;
    vmhi_conn_close(conn);

    /* The floor, with the same devices; and a minimal one. */
    double mins[MAX_ITER];
    for (int i = 0; i < iters; i++) {
        raw_vm r;
        double t0 = now_ms();
        raw_start(&r, run, 1);
        double t1 = now_ms();
        if (raw_cmd(&r, "{\"execute\":\"stop\"}\n") || raw_cmd(&r, "{\"execute\":\"cont\"}\n"))
            die("raw stop/cont");
        double t2 = now_ms();
        if (raw_cmd(&r, "{\"execute\":\"query-status\"}\n"))
            die("raw query-status");
        double t3 = now_ms();
        raw_quit(&r);
        double t4 = now_ms();
        a[i] = t1 - t0, b[i] = t4 - t3, c[i] = t2 - t1, d[i] = t3 - t2, f[i] = t4 - t0 - c[i] - d[i];
        double m0 = now_ms();
        raw_start(&r, run, 0);
        raw_quit(&r);
        mins[i] = now_ms() - m0;
    }
    rows[0].floor = median(a, iters);
    rows[1].floor = median(b, iters);
    rows[2].floor = median(c, iters);
    rows[3].floor = median(d, iters);
    rows[4].floor = rows[3].floor;
    rows[5].floor = median(f, iters);
    for (int i = 0; i < iters; i++)
        g[i] = mins[i];
    double minimal = median(g, iters);

    print_rows(rows, nrows);
    double vs = rows[0].vmhi + rows[1].vmhi, fs = rows[0].floor + rows[1].floor;
    printf("\nstart+destroy: VMHI %.1f ms, floor %.1f ms (ratio %.2f; target <= 1.25); "
           "minimal floor (no devices) %.1f ms\n", vs, fs, vs / fs, minimal);
    if (access("/usr/bin/virsh", X_OK) != 0)
        printf("libvirt: not installed (apt-get install libvirt-daemon-driver-qemu "
               "libvirt-clients); not compared\n");
    else
        printf("libvirt: installed, but this benchmark does not drive it yet; not compared\n");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", run, data);
    return system(cmd) == 0 ? 0 : 1;
}
