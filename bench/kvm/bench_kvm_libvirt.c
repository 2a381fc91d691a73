/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The libvirt leg: the same VM (q35, 256 MiB, 1 of 4 vCPUs, the balloon,
 * 8 hotplug root ports, no disk) through libvirt's qemu driver, on one
 * connection held for the whole run as VMHI holds its own.  libvirt is
 * loaded at run time (../libvirt_anchor.c): no libvirt headers or code.
 * The libvirtd is a private one that bench-kvm.sh starts.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "../libvirt_anchor.h"
#include "bench_kvm.h"

typedef struct lv {
    struct libvirt_api api;
    int (*suspend)(void *dom);  /* virDomainSuspend: pause */
    int (*resume)(void *dom);   /* virDomainResume */
    void *conn;
} lv;

static void domain_xml(char *buf, size_t size, const char *name, const char *accel)
{
    int n = snprintf(buf, size,
                     "<domain type='%s'><name>%s</name>"
                     "<memory unit='MiB'>256</memory><currentMemory unit='MiB'>256"
                     "</currentMemory><vcpu current='1'>4</vcpu>"
                     "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                     "<features><acpi/></features><on_poweroff>destroy</on_poweroff>"
                     "<devices><emulator>" BENCH_QEMU "</emulator>"
                     "<controller type='usb' model='none'/>"
                     "<controller type='pci' index='0' model='pcie-root'/>"
                     "<memballoon model='virtio'><stats period='2'/></memballoon>",
                     strcmp(accel, "kvm") == 0 ? "kvm" : "qemu", name);
    for (int i = 1; i <= 8 && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, "<controller type='pci' index='%d' "
                      "model='pcie-root-port'/>", i);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "</devices></domain>");
}

static int load(lv *l, const char *uri, const char **why)
{
    if (!libvirt_load(&l->api, why))
        return 0;
    void *s = dlsym(l->api.handle, "virDomainSuspend");
    void *r = dlsym(l->api.handle, "virDomainResume");
    if (!s || !r) {
        *why = "libvirt.so.0 lacks virDomainSuspend/virDomainResume";
        return 0;
    }
    memcpy(&l->suspend, &s, sizeof(s));
    memcpy(&l->resume, &r, sizeof(r));
    if (!(l->conn = l->api.connect_open(uri))) {
        *why = "cannot connect to the private libvirtd";
        return 0;
    }
    return 1;
}

static void *define(lv *l, const char *name, const char *accel)
{
    char xml[4096];
    domain_xml(xml, sizeof(xml), name, accel);
    void *dom = l->api.domain_define_xml(l->conn, xml);
    if (!dom)
        bench_die("libvirt: define");
    return dom;
}

/* One round of start, pause/resume, info, lookup+info, destroy. */
static void round_trip(lv *l, void *dom, bench_samples *s, int i)
{
    struct lv_domain_info info;
    double t[6];
    t[0] = bench_now_ms();
    if (l->api.domain_create(dom) < 0)
        bench_die("libvirt: start");
    t[1] = bench_now_ms();
    if (l->suspend(dom) < 0 || l->resume(dom) < 0)
        bench_die("libvirt: pause/resume");
    t[2] = bench_now_ms();
    if (l->api.domain_get_info(dom, &info) < 0)
        bench_die("libvirt: get-info");
    t[3] = bench_now_ms();
    void *byname = l->api.domain_lookup_by_name(l->conn, "vmhi-bench-lv");
    if (!byname || l->api.domain_get_info(byname, &info) < 0)
        bench_die("libvirt: lookup+get-info");
    l->api.domain_free(byname);
    t[4] = bench_now_ms();
    if (l->api.domain_destroy(dom) < 0)
        bench_die("libvirt: destroy");
    t[5] = bench_now_ms();
    bench_record_round(s, i, t);
}

int bench_libvirt(bench_samples *s, int iters, const char *uri, const char *accel,
                  const char **why)
{
    lv l;
    memset(&l, 0, sizeof(l));
    if (!load(&l, uri, why))
        return 0;
    void *dom = define(&l, "vmhi-bench-lv", accel);
    for (int i = 0; i < iters; i++)
        round_trip(&l, dom, s, i);
    l.api.domain_undefine(dom);
    l.api.domain_free(dom);
    for (int i = 0; i < iters; i++) {
        double t0 = bench_now_ms();
        dom = define(&l, "vmhi-bench-lv-cycle", accel);
        if (l.api.domain_create(dom) < 0 || l.api.domain_destroy(dom) < 0 ||
            l.api.domain_undefine(dom) < 0)
            bench_die("libvirt: cycle");
        l.api.domain_free(dom);
        s->ms[OP_CYCLE][i] = bench_now_ms() - t0;
    }
    s->n = iters;
    l.api.connect_close(l.conn);
    return 1;
}
