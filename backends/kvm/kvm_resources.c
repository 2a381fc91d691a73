/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runtime facts, configs, memory and vCPUs.
 *
 * get_info answers from the state the QMP events keep (no round trip) and
 * CPU time from /proc/<pid>/stat.  Live memory is the balloon target
 * (`balloon`); statistics come from query-balloon, the balloon's
 * guest-stats (polled by QEMU every KVM_STATS_POLL_S s; UINT64_MAX until
 * the guest driver reports) and QEMU's RSS.  vCPUs are hot-plugged from
 * query-hotpluggable-cpus; an unplug needs the guest to eject the CPU and
 * is confirmed by reading query-cpus-fast again after each DEVICE_DELETED.
 */
#include <stdio.h>
#include <string.h>

#include "kvm.h"

#define ACTIVE (VMHI_STATE_BIT(VMHI_STATE_RUNNING) | VMHI_STATE_BIT(VMHI_STATE_PAUSED) | \
                VMHI_STATE_BIT(VMHI_STATE_SHUTTING_DOWN))

int kvm_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK) {
        const vmhi_vm_config *cfg = kvm_vm_current(vm);
        info->state = vm->state;
        info->reason = vm->reason;
        info->vcpus = vmhi_vm_config_get_vcpus(cfg);
        info->max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
        info->memory_mib = vmhi_vm_config_get_memory_mib(cfg);
        info->max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
        info->cpu_time_ns = vm->run ? kvm_run_cpu_ns(vm->run) : 0;
        info->persistent = vm->def != NULL;
    }
    return kvm_unlock(h, rc);
}

/* CURRENT: live when active, else the definition; LIVE and CONFIG pick
 * one view and refuse a VM that does not have it. */
int kvm_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    const vmhi_vm_config *view = rc == VMHI_OK ? kvm_vm_current(vm) : NULL;
    if (rc == VMHI_OK && flags == VMHI_AFFECT_LIVE) {
        view = kvm_state_is_active(vm->state) ? vm->live : NULL;
        if (!view)
            rc = kvm_error(VMHI_E_INVALID_STATE, "kvm: VM '%s' is %s; it has no live "
                           "configuration", vm->name, vmhi_vm_state_name(vm->state));
    } else if (rc == VMHI_OK && flags == VMHI_AFFECT_CONFIG) {
        view = vm->def;
        if (!view)
            rc = kvm_error(VMHI_E_INVALID_STATE, "kvm: VM '%s' is transient; it has no "
                           "persistent definition", vm->name);
    }
    if (rc == VMHI_OK)
        rc = kvm_config_copy(view, out);
    return kvm_unlock(h, rc);
}

/* Writes a copy of the definition with one field changed. */
static int edit_def(kvm_host *h, kvm_vm *vm, int (*set)(vmhi_vm_config *, uint64_t),
                    uint64_t value)
{
    vmhi_vm_config *def = NULL;
    int rc = kvm_config_copy(vm->def, &def);
    if (rc == VMHI_OK && (rc = set(def, value)) == VMHI_OK)
        rc = vmhi_vm_config_validate(def);
    if (rc < 0) {
        rc = kvm_error(rc, "kvm: cannot change the definition of VM '%s': %s", vm->name,
                       kvm_last_message());
    } else {
        rc = kvm_store_save_def(h, vm->uuid, def);
    }
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return rc;
    }
    vmhi_vm_config_free(vm->def);
    vm->def = def;
    kvm_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    return VMHI_OK;
}

static int set_memory_field(vmhi_vm_config *cfg, uint64_t mib)
{
    return vmhi_vm_config_set_memory_mib(cfg, mib);
}

static int set_max_memory_field(vmhi_vm_config *cfg, uint64_t mib)
{
    return vmhi_vm_config_set_max_memory_mib(cfg, mib);
}

static int set_vcpus_field(vmhi_vm_config *cfg, uint64_t n)
{
    return vmhi_vm_config_set_vcpus(cfg, (unsigned int)n);
}

static int check_memory(const kvm_vm *vm, const vmhi_vm_config *cfg, uint64_t mib,
                        const char *which)
{
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    if (mib < KVM_MIN_MEMORY_MIB)
        return kvm_error(VMHI_E_INVALID_ARG, "%llu MiB is below the minimum of %u MiB",
                         (unsigned long long)mib, KVM_MIN_MEMORY_MIB);
    if (mib > max)
        return kvm_error(VMHI_E_INVALID_ARG, "%llu MiB is above the %s maximum of VM '%s' "
                         "(%llu MiB); raise it with vmhi_vm_set_max_memory() first",
                         (unsigned long long)mib, which, vm->name, (unsigned long long)max);
    return VMHI_OK;
}

int kvm_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    unsigned int f = 0;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_resolve_affect(vm, flags, "memory change", &f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = check_memory(vm, vm->live, mib, "live");
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = check_memory(vm, vm->def, mib, "configured");
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE)) {
        kvm_vm_claim(vm);
        json_object *args = json_object_new_object();
        json_object_object_add(args, "value", json_object_new_int64((int64_t)(mib << 20)));
        rc = kvm_qmp_call(h, vm, "balloon", args, NULL);
        if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK && vm->live) {
            vmhi_vm_config_set_memory_mib(vm->live, mib); /* checked above */
            kvm_runstate_save(h, vm);
            kvm_emit(h, vm, VMHI_EVENT_MEMORY, NULL, mib);
        }
        kvm_vm_release(h, uuid);
    }
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = edit_def(h, vm, set_memory_field, mib);
    return kvm_unlock(h, rc);
}

int kvm_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && (flags & VMHI_AFFECT_LIVE))
        rc = kvm_error(VMHI_E_UNSUPPORTED, "kvm: the maximum memory of a running VM cannot "
                       "change; use VMHI_AFFECT_CONFIG (it applies at the next start)");
    if (rc == VMHI_OK && !vm->def)
        rc = kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; its maximum memory can "
                       "only change in a definition (define it first)", vm->name);
    if (rc == VMHI_OK && mib < vmhi_vm_config_get_memory_mib(vm->def))
        rc = kvm_error(VMHI_E_INVALID_ARG, "%llu MiB is below the configured memory of VM "
                       "'%s' (%llu MiB); lower that first with vmhi_vm_set_memory()",
                       (unsigned long long)mib, vm->name,
                       (unsigned long long)vmhi_vm_config_get_memory_mib(vm->def));
    if (rc == VMHI_OK)
        rc = edit_def(h, vm, set_max_memory_field, mib);
    return kvm_unlock(h, rc);
}

/* A balloon statistic in bytes (or a count) as KiB (or the count);
 * QEMU reports -1 (2^64-1) for what the guest did not tell. */
static uint64_t stat_value(json_object *stats, const char *key, bool bytes)
{
    json_object *v = kvm_json_get(stats, key);
    if (!v || !json_object_is_type(v, json_type_int))
        return UINT64_MAX;
    int64_t s = json_object_get_int64(v);
    uint64_t u = json_object_get_uint64(v);
    if (s == -1 || u == UINT64_MAX)
        return UINT64_MAX;
    return bytes ? u / 1024u : u;
}

int kvm_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    json_object *balloon = NULL, *guest = NULL;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "reading memory statistics", ACTIVE);
    if (rc == VMHI_OK)
        rc = kvm_qmp_call(h, vm, "query-balloon", NULL, &balloon);
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "path", json_object_new_string("/machine/peripheral/"
                                                                    "balloon0"));
        json_object_object_add(args, "property", json_object_new_string("guest-stats"));
        rc = kvm_qmp_call(h, vm, "qom-get", args, &guest);
    }
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK) {
        json_object *s = kvm_json_get(guest, "stats");
        /* Without a balloon driver in the guest (it never reported), QEMU's
         * "actual" is only the boot size, not what the guest has: unknown. */
        int64_t updated = 0;
        kvm_json_int(guest, "last-update", &updated);
        stats->actual_kib = updated > 0 ? stat_value(balloon, "actual", true) : UINT64_MAX;
        stats->available_kib = stat_value(s, "stat-total-memory", true);
        stats->unused_kib = stat_value(s, "stat-free-memory", true);
        stats->usable_kib = stat_value(s, "stat-available-memory", true);
        stats->swap_in_kib = stat_value(s, "stat-swap-in", true);
        stats->swap_out_kib = stat_value(s, "stat-swap-out", true);
        stats->major_faults = stat_value(s, "stat-major-faults", false);
        stats->minor_faults = stat_value(s, "stat-minor-faults", false);
        stats->rss_kib = vm->run ? kvm_proc_rss_kib(vm->run->proc.pid) : UINT64_MAX;
    }
    json_object_put(balloon);
    json_object_put(guest);
    return kvm_unlock(h, rc);
}

/* ---------------------------------------------------------------- vCPUs */

static int count_cpus(kvm_host *h, const char *uuid, size_t *count)
{
    kvm_vm *vm;
    json_object *cpus = NULL;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_qmp_call(h, vm, "query-cpus-fast", NULL, &cpus);
    if (rc == VMHI_OK)
        *count = json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) && vm->run)
        kvm_run_set_vcpus(vm->run, cpus);
    json_object_put(cpus);
    return rc;
}

/* device_add for one free slot of query-hotpluggable-cpus. */
static int plug_one(kvm_host *h, const char *uuid, json_object *slot)
{
    json_object *props = kvm_json_get(slot, "props");
    const char *type = kvm_json_str(slot, "type");
    if (!type || !props)
        return kvm_error(VMHI_E_BACKEND, "kvm: QEMU described a vCPU slot without type/props");
    json_object *args = json_object_new_object();
    char id[96] = "vcpu";
    json_object_object_add(args, "driver", json_object_new_string(type));
    json_object_object_foreach(props, key, val) {
        json_object_object_add(args, key, json_object_get(val));
        size_t n = strlen(id);
        snprintf(id + n, sizeof(id) - n, "-%s", json_object_get_string(val));
    }
    json_object_object_add(args, "id", json_object_new_string(id));
    kvm_vm *vm;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    return rc < 0 ? (json_object_put(args), rc) : kvm_qmp_call(h, vm, "device_add", args, NULL);
}

static int unplug_one(kvm_host *h, const char *uuid, json_object *slot)
{
    const char *path = kvm_json_str(slot, "qom-path");
    json_object *args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(path));
    kvm_vm *vm;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    return rc < 0 ? (json_object_put(args), rc) : kvm_qmp_call(h, vm, "device_del", args, NULL);
}

/* Plugs or unplugs the slots that take @cur vCPUs to @target. */
static int request_vcpus(kvm_host *h, const char *uuid, size_t cur, size_t target)
{
    kvm_vm *vm;
    json_object *slots = NULL;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_qmp_call(h, vm, "query-hotpluggable-cpus", NULL, &slots);
    size_t n = rc == VMHI_OK && json_object_is_type(slots, json_type_array)
                   ? json_object_array_length(slots) : 0;
    size_t todo = cur < target ? target - cur : cur - target;
    /* QEMU lists slots highest first: plug from the end, unplug from the start. */
    for (size_t k = 0; rc == VMHI_OK && todo > 0 && k < n; k++) {
        json_object *slot = json_object_array_get_idx(slots, cur < target ? n - 1 - k : k);
        bool used = kvm_json_str(slot, "qom-path") != NULL;
        if (cur < target && !used) {
            rc = plug_one(h, uuid, slot);
            todo--;
        } else if (cur > target && used && k + 1 < n) { /* never the boot CPU (last) */
            rc = unplug_one(h, uuid, slot);
            todo--;
        }
    }
    json_object_put(slots);
    return rc;
}

/* Plugs or unplugs until @target vCPUs are present.  Unplugs wait for the
 * guest to eject the vCPUs, repeating the request on the nudge schedule
 * (a booting guest misses it, kvm_nudge.c). */
static int change_vcpus(kvm_host *h, const char *uuid, size_t cur, size_t target)
{
    int rc = request_vcpus(h, uuid, cur, target);
    if (rc < 0 || cur <= target)
        return rc;
    uint64_t start = kvm_now_ns();
    uint64_t deadline = start + (uint64_t)KVM_VCPU_UNPLUG_MS * 1000000u;
    uint64_t next = start + (uint64_t)kvm_nudge_delay_ms(0) * 1000000u;
    unsigned int nudges = 0;
    size_t now_count = cur;
    while ((rc = count_cpus(h, uuid, &now_count)) == VMHI_OK && now_count > target) {
        uint64_t now = kvm_now_ns();
        if (now >= deadline)
            return kvm_error(VMHI_E_TIMEOUT, "kvm: the guest did not release its vCPUs within "
                             "%u ms (%zu still online); it may not support CPU hot-unplug",
                             KVM_VCPU_UNPLUG_MS, now_count);
        if (now >= next && nudges < KVM_NUDGE_COUNT) {
            if ((rc = request_vcpus(h, uuid, now_count, target)) < 0)
                return rc;
            next = now + (uint64_t)kvm_nudge_delay_ms(++nudges) * 1000000u;
        }
        kvm_wait_until(h, next < deadline && nudges < KVM_NUDGE_COUNT ? next : deadline);
    }
    return rc;
}

static int check_vcpus(const kvm_vm *vm, unsigned int count, unsigned int f)
{
    const vmhi_vm_config *cfgs[2] = { (f & VMHI_AFFECT_LIVE) ? vm->live : NULL,
                                      (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL };
    for (int i = 0; i < 2; i++) {
        unsigned int max = cfgs[i] ? vmhi_vm_config_get_max_vcpus(cfgs[i]) : count;
        if (count > max)
            return kvm_error(VMHI_E_INVALID_ARG, "%u vCPUs is above the %s maximum of VM '%s' "
                             "(%u); raise max_vcpus in the definition first", count,
                             i == 0 ? "live" : "configured", vm->name, max);
    }
    return VMHI_OK;
}

int kvm_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    unsigned int f = 0;
    kvm_vm *vm;
    size_t cur = 0;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_resolve_affect(vm, flags, "vCPU change", &f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = kvm_vcpus_live_check(priv);
    if (rc == VMHI_OK)
        rc = check_vcpus(vm, count, f);
    bool claimed = rc == VMHI_OK && (f & VMHI_AFFECT_LIVE);
    if (claimed)
        kvm_vm_claim(vm);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = count_cpus(h, uuid, &cur);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE) && cur != count)
        rc = change_vcpus(h, uuid, cur, count);
    if ((f & VMHI_AFFECT_LIVE) && cur && kvm_host_find_uuid(h, uuid)) {
        /* Record what is plugged now, whether or not every change worked. */
        size_t now = 0;
        int saved = rc;
        if (count_cpus(h, uuid, &now) == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) &&
            vm->live && now > 0 && now != vmhi_vm_config_get_vcpus(vm->live)) {
            vmhi_vm_config_set_vcpus(vm->live, (unsigned int)now);
            kvm_runstate_save(h, vm);
            kvm_emit(h, vm, VMHI_EVENT_VCPU, NULL, now);
        }
        rc = saved < 0 ? kvm_keep_error(saved) : saved;
    }
    if (claimed)
        kvm_vm_release(h, uuid);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG) && (rc = kvm_host_get_vm(h, uuid, &vm)) == 0)
        rc = edit_def(h, vm, set_vcpus_field, count);
    return kvm_unlock(h, rc);
}

int kvm_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    json_object *cpus = NULL;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "reading vCPU information", ACTIVE);
    if (rc == VMHI_OK)
        rc = kvm_qmp_call(h, vm, "query-cpus-fast", NULL, &cpus);
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && (!vm->run || !vm->live))
        rc = kvm_error(VMHI_E_INVALID_STATE, "VM '%s' stopped", vm->name);
    unsigned int max = rc == VMHI_OK ? vmhi_vm_config_get_max_vcpus(vm->live) : 0;
    size_t n = cpus && json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus)
                                                                 : 0;
    for (unsigned int idx = 0; rc == VMHI_OK && idx < max; idx++) {
        vmhi_vcpu_info info = VMHI_VCPU_INFO_INIT;
        info.id = idx;
        for (size_t i = 0; i < n; i++) {
            json_object *cpu = json_object_array_get_idx(cpus, i);
            int64_t index;
            pid_t tid;
            if (!kvm_json_int(cpu, "cpu-index", &index) || index != idx)
                continue;
            info.online = 1;
            if (qmp_codec_thread_id(cpu, &tid)) {
                info.thread_id = tid;
                info.cpu_time_ns = kvm_proc_cpu_ns(vm->run->proc.pid, tid);
                info.host_cpu = kvm_proc_last_cpu(vm->run->proc.pid, tid);
            }
        }
        rc = add(ctx, &info);
    }
    json_object_put(cpus);
    return kvm_unlock(h, rc);
}
