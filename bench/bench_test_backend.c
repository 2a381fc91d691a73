/*
 * Per-call cost of VMHI's core + in-memory test backend, side by side with
 * libvirt's in-memory test driver (test:///default) when libvirt.so.0 is
 * installed: the same workloads on the same 1000 defined VMs, medians of
 * several runs in nanoseconds per call, and the VMHI/libvirt ratio.
 *
 *   vmhi-bench-test [VMHI-URI]
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmhi/vmhi.h>

#include "libvirt_anchor.h"

#define RUNS 7
#define VMS 1000
#define TARGET "bench-500"

static vmhi_conn *vconn;
static vmhi_vm *vtarget;
static struct libvirt_api lv;
static void *lconn;
static void *ltarget;

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

/* ------------------------------------------------------------ VMHI side */

static vmhi_vm_config *make_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    if (vmhi_vm_config_new(&cfg) || vmhi_vm_config_set_name(cfg, name))
        die("config");
    return cfg;
}

static void vmhi_setup(const char *uri)
{
    if (vmhi_conn_open(&vconn, uri, NULL))
        die("open");
    for (int i = 0; i < VMS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "bench-%d", i);
        vmhi_vm_config *cfg = make_config(name);
        vmhi_vm *vm = NULL;
        if (vmhi_vm_define(&vm, vconn, cfg, 0))
            die("define");
        vmhi_vm_config_free(cfg);
        if (strcmp(name, TARGET) == 0)
            vtarget = vm;
        else
            vmhi_vm_free(vm);
    }
}

static void vmhi_get_info(long iters)
{
    for (long i = 0; i < iters; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vtarget, &info))
            die("get_info");
    }
}

static void vmhi_lookup_info(long iters)
{
    for (long i = 0; i < iters; i++) {
        vmhi_vm *found = NULL;
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_lookup_by_name(&found, vconn, TARGET) || vmhi_vm_get_info(found, &info))
            die("lookup+get_info");
        vmhi_vm_free(found);
    }
}

static void vmhi_list(long iters)
{
    for (long i = 0; i < iters; i++) {
        vmhi_vm **vms = NULL;
        size_t n = 0;
        if (vmhi_conn_list_vms(vconn, 0, &vms, &n))
            die("list");
        vmhi_vm_list_free(vms, n);
    }
}

static void vmhi_cycle(long iters)
{
    vmhi_vm_config *cfg = make_config("bench-cycle");
    for (long i = 0; i < iters; i++) {
        vmhi_vm *vm = NULL;
        if (vmhi_vm_define(&vm, vconn, cfg, 0) || vmhi_vm_start(vm, 0) || vmhi_vm_poweroff(vm, 0) ||
            vmhi_vm_undefine(vm, 0))
            die("define+start+poweroff+undefine");
        vmhi_vm_free(vm);
    }
    vmhi_vm_config_free(cfg);
}

/* --------------------------------------------------------- libvirt side */

static void lv_die(const char *what)
{
    fprintf(stderr, "vmhi-bench-test: libvirt %s failed\n", what);
    exit(1);
}

static const char *domain_xml(const char *name, char *buf, size_t size)
{
    snprintf(buf, size,
             "<domain type='test'><name>%s</name><memory unit='MiB'>512</memory>"
             "<vcpu>1</vcpu><os><type>hvm</type></os></domain>",
             name);
    return buf;
}

static bool libvirt_setup(void)
{
    lconn = lv.connect_open("test:///default");
    if (!lconn)
        return false;
    char xml[512];
    for (int i = 0; i < VMS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "bench-%d", i);
        void *dom = lv.domain_define_xml(lconn, domain_xml(name, xml, sizeof(xml)));
        if (!dom)
            lv_die("define");
        if (strcmp(name, TARGET) == 0)
            ltarget = dom;
        else
            lv.domain_free(dom);
    }
    return true;
}

static void lv_get_info(long iters)
{
    for (long i = 0; i < iters; i++) {
        struct lv_domain_info info;
        if (lv.domain_get_info(ltarget, &info) < 0)
            lv_die("get_info");
    }
}

static void lv_lookup_info(long iters)
{
    for (long i = 0; i < iters; i++) {
        struct lv_domain_info info;
        void *dom = lv.domain_lookup_by_name(lconn, TARGET);
        if (!dom || lv.domain_get_info(dom, &info) < 0)
            lv_die("lookup+get_info");
        lv.domain_free(dom);
    }
}

static void lv_list(long iters)
{
    for (long i = 0; i < iters; i++) {
        void **doms = NULL;
        int n = lv.connect_list_all_domains(lconn, &doms, 0);
        if (n < 0)
            lv_die("list");
        for (int d = 0; d < n; d++)
            lv.domain_free(doms[d]);
        free(doms);
    }
}

static void lv_cycle(long iters)
{
    char xml[512];
    domain_xml("bench-cycle", xml, sizeof(xml));
    for (long i = 0; i < iters; i++) {
        void *dom = lv.domain_define_xml(lconn, xml);
        if (!dom || lv.domain_create(dom) < 0 || lv.domain_destroy(dom) < 0 ||
            lv.domain_undefine(dom) < 0)
            lv_die("define+start+destroy+undefine");
        lv.domain_free(dom);
    }
}

/* ------------------------------------------------------------- harness */

static double median_ns(void (*fn)(long), long iters)
{
    double per_call[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        fn(iters);
        per_call[r] = (now_ns() - t0) / (double)iters;
    }
    qsort(per_call, RUNS, sizeof(double), cmp_double);
    return per_call[RUNS / 2];
}

struct workload {
    const char *name;
    void (*vmhi)(long);
    void (*libvirt)(long);
    long iters;
};

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default?guest=instant";
    vmhi_setup(uri);
    const char *why = NULL;
    bool have_libvirt = libvirt_load(&lv, &why);
    if (have_libvirt && !libvirt_setup()) {
        have_libvirt = false;
        why = "virConnectOpen(test:///default) failed";
    }
    static const struct workload workloads[] = {
        { "get_info", vmhi_get_info, lv_get_info, 200000 },
        { "lookup_by_name + get_info", vmhi_lookup_info, lv_lookup_info, 50000 },
        { "list all (1000 VMs)", vmhi_list, lv_list, 200 },
        { "define+start+poweroff+undefine", vmhi_cycle, lv_cycle, 5000 },
    };
    printf("VMHI %s '%s' backend vs libvirt test driver, %d VMs defined, median of %d runs\n",
           vmhi_version_string(), vmhi_conn_get_backend(vconn), VMS, RUNS);
    if (!have_libvirt)
        printf("libvirt comparison skipped: %s\n", why);
    printf("%-34s %14s %14s %10s\n", "workload", "VMHI ns/call", "libvirt ns/call", "VMHI/lv");
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
        const struct workload *w = &workloads[i];
        double v = median_ns(w->vmhi, w->iters);
        if (!have_libvirt) {
            printf("%-34s %14.0f %14s %10s\n", w->name, v, "-", "-");
            continue;
        }
        double l = median_ns(w->libvirt, w->iters);
        printf("%-34s %14.0f %14.0f %9.2fx\n", w->name, v, l, v / l);
    }
    vmhi_vm_free(vtarget);
    vmhi_conn_close(vconn);
    if (have_libvirt) {
        lv.domain_free(ltarget);
        lv.connect_close(lconn);
    }
    return 0;
}
