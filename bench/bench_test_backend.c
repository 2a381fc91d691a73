/*
 * Per-call cost of the core + test backend: how much overhead VMHI itself
 * adds to a call before any hypervisor is involved.  Prints the median of
 * several runs, in nanoseconds per call.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmhi/vmhi.h>

#define RUNS 7

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what)
{
    fprintf(stderr, "vmhi-bench-test: %s failed: %s\n", what, vmhi_error_last_message());
    exit(1);
}

static vmhi_vm_config *make_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    if (vmhi_vm_config_new(&cfg) || vmhi_vm_config_set_name(cfg, name))
        die("config");
    return cfg;
}

typedef void (*bench_fn)(vmhi_conn *conn, vmhi_vm *vm, long iters);

static void bench_get_info(vmhi_conn *conn, vmhi_vm *vm, long iters)
{
    (void)conn;
    for (long i = 0; i < iters; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vm, &info))
            die("get_info");
    }
}

static void bench_lookup_info(vmhi_conn *conn, vmhi_vm *vm, long iters)
{
    (void)vm;
    for (long i = 0; i < iters; i++) {
        vmhi_vm *found = NULL;
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_lookup_by_name(&found, conn, "bench-500") || vmhi_vm_get_info(found, &info))
            die("lookup+get_info");
        vmhi_vm_free(found);
    }
}

static void bench_list(vmhi_conn *conn, vmhi_vm *vm, long iters)
{
    (void)vm;
    for (long i = 0; i < iters; i++) {
        vmhi_vm **vms = NULL;
        size_t n = 0;
        if (vmhi_conn_list_vms(conn, 0, &vms, &n))
            die("list");
        vmhi_vm_list_free(vms, n);
    }
}

static void bench_cycle(vmhi_conn *conn, vmhi_vm *unused, long iters)
{
    (void)unused;
    vmhi_vm_config *cfg = make_config("bench-cycle");
    for (long i = 0; i < iters; i++) {
        vmhi_vm *vm = NULL;
        if (vmhi_vm_define(&vm, conn, cfg) || vmhi_vm_start(vm, 0) || vmhi_vm_poweroff(vm, 0) ||
            vmhi_vm_undefine(vm))
            die("define+start+poweroff+undefine");
        vmhi_vm_free(vm);
    }
    vmhi_vm_config_free(cfg);
}

static void report(const char *name, bench_fn fn, vmhi_conn *conn, vmhi_vm *vm, long iters)
{
    double per_call[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        fn(conn, vm, iters);
        per_call[r] = (now_ns() - t0) / (double)iters;
    }
    qsort(per_call, RUNS, sizeof(double), cmp_double);
    printf("%-40s %12.0f ns/call  (median of %d x %ld)\n", name, per_call[RUNS / 2], RUNS, iters);
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default?guest=instant";
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, uri, NULL))
        die("open");
    vmhi_vm *target = NULL;
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "bench-%d", i);
        vmhi_vm_config *cfg = make_config(name);
        vmhi_vm *vm = NULL;
        if (vmhi_vm_define(&vm, conn, cfg))
            die("define");
        vmhi_vm_config_free(cfg);
        if (i == 500)
            target = vm;
        else
            vmhi_vm_free(vm);
    }
    printf("VMHI %s, backend '%s', 1000 VMs defined\n", vmhi_version_string(),
           vmhi_conn_get_backend(conn));
    report("get_info", bench_get_info, conn, target, 200000);
    report("lookup_by_name + get_info", bench_lookup_info, conn, target, 50000);
    report("list_vms (1000 VMs)", bench_list, conn, target, 200);
    report("define+start+poweroff+undefine", bench_cycle, conn, target, 5000);
    vmhi_vm_free(target);
    vmhi_conn_close(conn);
    return 0;
}
