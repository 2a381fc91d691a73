/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Benchmark of the KVM backend against the raw QMP floor and libvirt's
 * qemu driver, on the same QEMU, in one run:
 *
 *   start            defined VM -> running (VMHI: the first QMP reply)
 *   destroy          running -> the process is gone
 *   pause+resume     one pause and one resume
 *   get-info         the state of a VM held by handle
 *   lookup+get-info  by name, then its state
 *   define..undefine define + start + destroy + undefine
 *
 * The floor (bench_kvm_floor.c) runs QEMU with the machine and devices
 * the backend gives a VM; a "minimal" floor without devices is printed
 * too.  libvirt (bench_kvm_libvirt.c) is measured when
 * VMHI_BENCH_LIBVIRT_URI names a libvirtd: bench-kvm.sh starts a private
 * one.  Prints medians in ms and the ratios VMHI/floor and VMHI/libvirt.
 *
 *   vmhi-bench-kvm [iterations]     (default 15; a private kvm:///session)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_kvm.h"
#include "vmhi/vmhi.h"

const char *const bench_op_names[OP_COUNT] = {
    "start", "destroy", "pause+resume", "get-info", "lookup+get-info", "define..undefine",
};

double bench_now_ms(void)
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

void bench_record_round(bench_samples *s, int i, const double t[6])
{
    s->ms[OP_START][i] = t[1] - t[0];
    s->ms[OP_PAUSE][i] = t[2] - t[1];
    s->ms[OP_INFO][i] = t[3] - t[2];
    s->ms[OP_LOOKUP][i] = t[4] - t[3];
    s->ms[OP_DESTROY][i] = t[5] - t[4];
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_die(const char *what)
{
    fprintf(stderr, "vmhi-bench-kvm: %s: %s (%s)\n", what, vmhi_error_last_message(),
            strerror(errno));
    exit(1);
}

/* ---------------------------------------------------------------- VMHI */

static vmhi_vm *define_vm(vmhi_conn *conn, const char *name)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    if (vmhi_vm_config_new(&cfg) || vmhi_vm_config_set_name(cfg, name) ||
        vmhi_vm_config_set_max_vcpus(cfg, 4) || vmhi_vm_config_set_max_memory_mib(cfg, 256) ||
        vmhi_vm_config_set_memory_mib(cfg, 256) || vmhi_vm_define(&vm, conn, cfg, 0))
        bench_die("define");
    vmhi_vm_config_free(cfg);
    return vm;
}

static void vmhi_round(vmhi_conn *conn, vmhi_vm *vm, bench_samples *s, int i)
{
    double t[6];
    t[0] = bench_now_ms();
    if (vmhi_vm_start(vm, 0))
        bench_die("start");
    t[1] = bench_now_ms();
    if (vmhi_vm_pause(vm, 0) || vmhi_vm_resume(vm, 0))
        bench_die("pause/resume");
    t[2] = bench_now_ms();
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    if (vmhi_vm_get_info(vm, &info))
        bench_die("get-info");
    t[3] = bench_now_ms();
    vmhi_vm *byname = NULL;
    if (vmhi_vm_lookup_by_name(&byname, conn, "bench") || vmhi_vm_get_info(byname, &info))
        bench_die("lookup+get-info");
    vmhi_vm_free(byname);
    t[4] = bench_now_ms();
    if (vmhi_vm_poweroff(vm, 0))
        bench_die("poweroff");
    t[5] = bench_now_ms();
    bench_record_round(s, i, t);
}

static void bench_vmhi(vmhi_conn *conn, bench_samples *s, int iters)
{
    vmhi_vm *vm = define_vm(conn, "bench");
    for (int i = 0; i < iters; i++)
        vmhi_round(conn, vm, s, i);
    vmhi_vm_undefine(vm, 0);
    vmhi_vm_free(vm);
    for (int i = 0; i < iters; i++) {
        double t0 = bench_now_ms();
        vm = define_vm(conn, "cycle");
        if (vmhi_vm_start(vm, 0) || vmhi_vm_poweroff(vm, 0) || vmhi_vm_undefine(vm, 0))
            bench_die("cycle");
        vmhi_vm_free(vm);
        s->ms[OP_CYCLE][i] = bench_now_ms() - t0;
    }
    s->n = iters;
}

/* -------------------------------------------------------------- report */

static void print_table(bench_samples *v, bench_samples *f, bench_samples *l)
{
    printf("\n%-18s %10s %10s %11s %11s %13s\n", "operation (median)", "VMHI ms", "floor ms",
           "libvirt ms", "VMHI/floor", "VMHI/libvirt");
    for (int op = 0; op < OP_COUNT; op++) {
        double vm = bench_median(v->ms[op], v->n), fl = bench_median(f->ms[op], f->n);
        char lv[32] = "-", ratio[32] = "-";
        if (l->n) {
            double x = bench_median(l->ms[op], l->n);
            snprintf(lv, sizeof(lv), "%.3f", x);
            snprintf(ratio, sizeof(ratio), "%.2f", vm / x);
        }
        printf("%-18s %10.3f %10.3f %11s %11.2f %13s\n", bench_op_names[op], vm, fl, lv,
               vm / fl, ratio);
    }
    double vs = bench_median(v->ms[OP_START], v->n) + bench_median(v->ms[OP_DESTROY], v->n);
    double fs = bench_median(f->ms[OP_START], f->n) + bench_median(f->ms[OP_DESTROY], f->n);
    printf("\nstart+destroy: VMHI %.1f ms, floor %.1f ms (ratio %.2f; target <= 1.25)", vs, fs,
           vs / fs);
    if (l->n) {
        double ls = bench_median(l->ms[OP_START], l->n) +
                    bench_median(l->ms[OP_DESTROY], l->n);
        printf(", libvirt %.1f ms (VMHI/libvirt %.2f)", ls, vs / ls);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 15;
    if (iters < 3 || iters > BENCH_MAX_ITER)
        iters = 15;
    if (access(BENCH_QEMU, X_OK) != 0) {
        printf("vmhi-bench-kvm: %s is missing (apt-get install qemu-system-x86)\n", BENCH_QEMU);
        return 0;
    }
    /* Runtime files on tmpfs (as /run/user/<uid> is), definitions on disk. */
    char run[] = "/dev/shm/vmhi-bench-XXXXXX", data[] = "/tmp/vmhi-bench-XXXXXX";
    if (!mkdtemp(run) || !mkdtemp(data))
        bench_die("mkdtemp");
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("XDG_DATA_HOME", data, 1);

    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, "kvm:///session", NULL))
        bench_die("open kvm:///session (set VMHI_BACKEND_PATH to the build's modules/)");
    vmhi_host_info hi = VMHI_HOST_INFO_INIT;
    vmhi_conn_get_host_info(conn, &hi);
    const char *accel = strcmp(hi.hypervisor, "QEMU/KVM") == 0 ? "kvm" : "tcg";
    printf("vmhi-bench-kvm: %s %s, %d iterations, runtime dir on tmpfs\n", hi.hypervisor,
           hi.hypervisor_version, iters);
    fflush(stdout);

    static bench_samples v, f, l;
    double minimal = 0;
    bench_vmhi(conn, &v, iters);
    vmhi_conn_close(conn);
    bench_floor(&f, iters, accel, run, &minimal);
    const char *uri = getenv("VMHI_BENCH_LIBVIRT_URI"), *why = NULL;
    if (uri && *uri && !bench_libvirt(&l, iters, uri, accel, &why))
        l.n = 0;
    print_table(&v, &f, &l);
    printf("minimal floor (QEMU without devices, spawn..exit): %.1f ms\n", minimal);
    const char *absent = getenv("VMHI_BENCH_LIBVIRT_WHY");
    if ((!uri || !*uri) && absent)
        printf("libvirt: NOT COMPARED - %s\n", absent);
    else if (!uri || !*uri)
        printf("libvirt: NOT COMPARED - run bench/kvm/bench-kvm.sh, which starts a private "
               "libvirtd (needs libvirt-daemon-driver-qemu libvirt-daemon libvirt-clients)\n");
    else if (!l.n)
        printf("libvirt: NOT COMPARED - %s\n", why ? why : "unknown error");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", run, data);
    return system(cmd) == 0 ? 0 : 1;
}
