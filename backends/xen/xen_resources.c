/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runtime facts, configurations, memory and vCPUs.
 *
 *   memory      live: the balloon target in xenstore (the guest's balloon
 *               driver gives the memory back); config: the definition
 *   max memory  live too (libxl_domain_setmaxmem: Xen's limit and the
 *               guest's static-max), never below the current target
 *   vCPUs       live: vCPU hotplug through xenstore (the guest onlines
 *               the new ones); up to the maximum the domain was built with
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen.h"

int xen_config_with_sizes(const vmhi_vm_config *cfg, uint64_t mem, uint64_t max_mem,
                          unsigned int vcpus, vmhi_vm_config **out)
{
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    /* Max first when it grows, memory first when max shrinks: every
     * intermediate state is valid. */
    if (rc == VMHI_OK && max_mem >= vmhi_vm_config_get_max_memory_mib(cfg)) {
        rc = vmhi_vm_config_set_max_memory_mib(copy, max_mem);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_set_memory_mib(copy, mem);
    } else if (rc == VMHI_OK) {
        rc = vmhi_vm_config_set_memory_mib(copy, mem);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_set_max_memory_mib(copy, max_mem);
    }
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_vcpus(copy, vcpus);
    if (rc < 0) {
        vmhi_vm_config_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

static const vmhi_vm_config *current(const xen_vm *vm)
{
    return vm->live ? vm->live : vm->def;
}

/* ------------------------------------------------------------------ info */

int xen_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(c->host, uuid, &vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    const vmhi_vm_config *cfg = current(vm);
    info->state = vm->state;
    info->reason = vm->reason;
    info->vcpus = vmhi_vm_config_get_vcpus(cfg);
    info->max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
    info->memory_mib = vmhi_vm_config_get_memory_mib(cfg);
    info->max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
    info->persistent = vm->def != NULL;
    info->cpu_time_ns = 0;
    if (vm->domid != XEN_NO_DOMID) {
        libxl_dominfo d;
        libxl_dominfo_init(&d);
        if (libxl_domain_info(c->host->ctx, &d, vm->domid) == 0)
            info->cpu_time_ns = d.cpu_time;
        libxl_dominfo_dispose(&d);
    }
    return xen_unlock(c, VMHI_OK);
}

int xen_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(c->host, uuid, &vm);
    const vmhi_vm_config *view = NULL;
    if (rc == VMHI_OK) {
        view = current(vm);
        if ((flags & VMHI_AFFECT_LIVE) && !vm->live)
            rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is %s: its live configuration "
                           "exists only while it runs", vm->name, vmhi_vm_state_name(vm->state));
        else if (flags & VMHI_AFFECT_LIVE)
            view = vm->live;
        else if ((flags & VMHI_AFFECT_CONFIG) && !vm->def)
            rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is transient: it has no "
                           "definition", vm->name);
        else if (flags & VMHI_AFFECT_CONFIG)
            view = vm->def;
    }
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_copy(out, view);
    return xen_unlock(c, rc);
}

/* ---------------------------------------------------------------- memory */

static int check_size(const xen_vm *vm, const vmhi_vm_config *cfg, uint64_t mib,
                      const char *which)
{
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    if (mib > max)
        return xen_error(VMHI_E_INVALID_ARG, "xen: %llu MiB is above the %s maximum memory of "
                         "VM '%s' (%llu MiB)", (unsigned long long)mib, which, vm->name,
                         (unsigned long long)max);
    return VMHI_OK;
}

int xen_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "memory change", &f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = check_size(vm, vm->live, mib, "live");
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = check_size(vm, vm->def, mib, "configured");
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = xen_config_with_sizes(vm->live, mib, vmhi_vm_config_get_max_memory_mib(vm->live),
                                   vmhi_vm_config_get_vcpus(vm->live), &live);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = xen_config_with_sizes(vm->def, mib, vmhi_vm_config_get_max_memory_mib(vm->def),
                                   vmhi_vm_config_get_vcpus(vm->def), &def);
    if (rc == VMHI_OK && live) {
        int lrc = libxl_set_memory_target(h->ctx, vm->domid, (int64_t)(mib * 1024), 0, 0);
        if (lrc)
            rc = xen_libxl_error(lrc, "cannot set the memory target of VM '%s'", vm->name);
    }
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live) {
        xen_vm_set_live(h, vm, live);
        xen_emit(h, vm, VMHI_EVENT_MEMORY, NULL, mib);
    }
    if (def)
        rc = xen_vm_set_def(h, vm, def);
    return xen_unlock(c, rc);
}

int xen_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    /* CURRENT always means the definition here (MEM-7): that the domain's
     * maximum can also be raised live must not change what it does. */
    if ((flags & (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG)) == VMHI_AFFECT_CURRENT)
        flags |= VMHI_AFFECT_CONFIG;
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "maximum memory change", &f);
    vmhi_vm_config *live = NULL, *def = NULL;
    const vmhi_vm_config *cfgs[2] = { (f & VMHI_AFFECT_LIVE) ? vm->live : NULL,
                                      (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL };
    for (int i = 0; rc == VMHI_OK && i < 2; i++) {
        if (!cfgs[i])
            continue;
        uint64_t mem = vmhi_vm_config_get_memory_mib(cfgs[i]);
        if (mib < mem)
            rc = xen_error(VMHI_E_INVALID_ARG, "xen: %llu MiB is below the %s memory of VM "
                           "'%s' (%llu MiB); lower that first", (unsigned long long)mib,
                           i ? "configured" : "live", vm->name, (unsigned long long)mem);
        else
            rc = xen_config_with_sizes(cfgs[i], mem, mib, vmhi_vm_config_get_vcpus(cfgs[i]),
                                       i ? &def : &live);
    }
    if (rc == VMHI_OK && live) {
        int lrc = libxl_domain_setmaxmem(h->ctx, vm->domid, mib * 1024);
        if (lrc)
            rc = xen_libxl_error(lrc, "cannot set the maximum memory of VM '%s'", vm->name);
    }
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live)
        xen_vm_set_live(h, vm, live);
    if (def)
        rc = xen_vm_set_def(h, vm, def);
    return xen_unlock(c, rc);
}

/* What Xen knows without a guest agent: the pages the domain has now. */
int xen_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(c->host, uuid, &vm);
    if (rc == VMHI_OK && vm->domid == XEN_NO_DOMID)
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is %s: memory statistics exist "
                       "only while it runs", vm->name, vmhi_vm_state_name(vm->state));
    if (rc < 0)
        return xen_unlock(c, rc);
    libxl_dominfo d;
    libxl_dominfo_init(&d);
    int lrc = libxl_domain_info(c->host->ctx, &d, vm->domid);
    if (lrc)
        rc = xen_libxl_error(lrc, "cannot read domain %u of VM '%s'", vm->domid, vm->name);
    else {
        stats->actual_kib = d.current_memkb;
        stats->rss_kib = d.current_memkb; /* a PV guest's pages are all resident */
        /* The guest's memory map spans its maximum; Xen's own max_memkb
         * is that plus libxl's slack of a MiB, which no guest sees. */
        stats->available_kib = vmhi_vm_config_get_max_memory_mib(vm->live) * 1024;
    }
    libxl_dominfo_dispose(&d);
    return xen_unlock(c, rc);
}

/* ------------------------------------------------------------------ vCPUs */

int xen_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "vCPU change", &f);
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = xen_config_with_sizes(vm->live, vmhi_vm_config_get_memory_mib(vm->live),
                                   vmhi_vm_config_get_max_memory_mib(vm->live), count, &live);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = xen_config_with_sizes(vm->def, vmhi_vm_config_get_memory_mib(vm->def),
                                   vmhi_vm_config_get_max_memory_mib(vm->def), count, &def);
    if (rc == VMHI_OK && live) {
        libxl_bitmap map;
        libxl_bitmap_init(&map);
        unsigned max = vmhi_vm_config_get_max_vcpus(vm->live);
        if (libxl_cpu_bitmap_alloc(h->ctx, &map, (int)max) != 0) {
            rc = xen_error(VMHI_E_NOMEM, "xen: out of memory");
        } else {
            for (unsigned i = 0; i < count; i++)
                libxl_bitmap_set(&map, (int)i);
            int lrc = libxl_set_vcpuonline(h->ctx, vm->domid, &map, NULL);
            if (lrc)
                rc = xen_libxl_error(lrc, "cannot set %u vCPUs online in VM '%s'", count,
                                     vm->name);
        }
        libxl_bitmap_dispose(&map);
    }
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live) {
        xen_vm_set_live(h, vm, live);
        xen_emit(h, vm, VMHI_EVENT_VCPU, NULL, count);
    }
    if (def)
        rc = xen_vm_set_def(h, vm, def);
    return xen_unlock(c, rc);
}

int xen_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(c->host, uuid, &vm);
    if (rc == VMHI_OK && vm->domid == XEN_NO_DOMID) /* VCPU-6 */
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is %s: its vCPUs exist only while "
                       "it runs", vm->name, vmhi_vm_state_name(vm->state));
    if (rc < 0)
        return xen_unlock(c, rc);
    const vmhi_vm_config *cfg = current(vm);
    unsigned max = vmhi_vm_config_get_max_vcpus(cfg), cur = vmhi_vm_config_get_vcpus(cfg);
    int n = 0, cpus = 0;
    libxl_vcpuinfo *v = vm->domid != XEN_NO_DOMID
                        ? libxl_list_vcpu(c->host->ctx, vm->domid, &n, &cpus) : NULL;
    for (unsigned i = 0; rc == VMHI_OK && i < max; i++) {
        vmhi_vcpu_info info;
        memset(&info, 0, sizeof(info));
        info.version = VMHI_VCPU_INFO_VERSION;
        info.id = i;
        info.online = i < cur;
        info.host_cpu = -1;
        info.thread_id = -1;
        /* Online means given to the guest (xenstore cpu/<i>/availability,
         * what set_vcpus changes), as a hot-added vCPU is on KVM: Xen's own
         * flag follows later, once the guest has brought the vCPU up. */
        for (int k = 0; v && k < n; k++) {
            if (v[k].vcpuid != i)
                continue;
            info.host_cpu = v[k].online ? (int)v[k].cpu : -1;
            info.cpu_time_ns = v[k].vcpu_time;
        }
        rc = add(ctx, &info);
    }
    if (v)
        libxl_vcpuinfo_list_free(v, n);
    return xen_unlock(c, rc);
}
