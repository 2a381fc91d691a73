/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runtime facts, configs, memory and vCPUs.  A change with
 * VMHI_AFFECT_LIVE edits the running VM's config (balloon, vCPU hotplug,
 * the maximum memory) and emits VMHI_EVENT_MEMORY / VMHI_EVENT_VCPU (a
 * new maximum emits nothing: the memory itself is unchanged); one with
 * VMHI_AFFECT_CONFIG rewrites the definition and emits VMHI_EVENT_DEFINED.
 * Both are checked before either is applied, so a call changes all it was
 * asked to or nothing.
 */
#include <string.h>

#include "tb.h"

#define ACTIVE_STATES (VMHI_STATE_BIT(VMHI_STATE_RUNNING) | VMHI_STATE_BIT(VMHI_STATE_PAUSED) | \
                       VMHI_STATE_BIT(VMHI_STATE_SHUTTING_DOWN))

int tb_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK) {
        const vmhi_vm_config *cfg = tb_vm_current(vm);
        info->state = vm->state;
        info->reason = vm->reason;
        info->vcpus = vmhi_vm_config_get_vcpus(cfg);
        info->max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
        info->memory_mib = vmhi_vm_config_get_memory_mib(cfg);
        info->max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
        info->cpu_time_ns = tb_vm_cpu_time(vm);
        info->persistent = vm->def != NULL;
    }
    return tb_unlock(h, rc);
}

/* The view @flags asks for: CURRENT is the live config while the VM has
 * one it describes (active, or transient), else the definition; LIVE is
 * the running VM's config (pending detaches still listed); CONFIG the
 * persistent definition, which differs from the live config after a
 * redefinition or a config-only change while running. */
static int config_view(const tb_vm *vm, unsigned int flags, const vmhi_vm_config **view)
{
    unsigned int f = 0;
    if (flags == VMHI_AFFECT_CURRENT) {
        *view = tb_vm_current(vm);
        return VMHI_OK;
    }
    int rc = tb_resolve_affect(vm, flags, "config read", &f);
    if (rc == VMHI_OK)
        *view = (f & VMHI_AFFECT_LIVE) ? vm->live : vm->def;
    return rc;
}

int tb_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    tb_host *h = ((tb_conn *)priv)->host;
    const vmhi_vm_config *view = NULL;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = config_view(vm, flags, &view);
    if (rc == VMHI_OK)
        rc = tb_config_copy(view, out);
    return tb_unlock(h, rc);
}

/* A copy of the definition with one field changed through @set. */
static int edited_def(const tb_vm *vm, int (*set)(vmhi_vm_config *, uint64_t), uint64_t value,
                      vmhi_vm_config **out)
{
    int rc = tb_config_copy(vm->def, out);
    if (rc == VMHI_OK && (rc = set(*out, value)) == VMHI_OK)
        rc = vmhi_vm_config_validate(*out);
    if (rc < 0) {
        const char *why = tb_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return tb_error(rc, "test backend: cannot change the definition of VM '%s': %s",
                        vm->name, why);
    }
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

static int set_vcpus_field(vmhi_vm_config *cfg, uint64_t count)
{
    return vmhi_vm_config_set_vcpus(cfg, (unsigned int)count);
}

static int check_memory_fits(const tb_vm *vm, const vmhi_vm_config *cfg, uint64_t mib,
                             const char *which)
{
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    if (mib > max)
        return tb_error(VMHI_E_INVALID_ARG, "%llu MiB is above the %s maximum of VM '%s' "
                        "(%llu MiB); raise it with vmhi_vm_set_max_memory() first",
                        (unsigned long long)mib, which, vm->name, (unsigned long long)max);
    return VMHI_OK;
}

static int check_memory_args(tb_host *h, const tb_vm *vm, uint64_t mib, unsigned int f)
{
    if (mib == 0)
        return tb_error(VMHI_E_INVALID_ARG, "memory size must be at least 1 MiB");
    if (mib < TB_MIN_MEMORY_MIB || mib > TB_MAX_MEMORY_MIB)
        return tb_error(VMHI_E_LIMIT, "%llu MiB is outside the test host's range of %u to %u "
                        "MiB per VM", (unsigned long long)mib, TB_MIN_MEMORY_MIB,
                        TB_MAX_MEMORY_MIB);
    int rc = VMHI_OK;
    if (f & VMHI_AFFECT_LIVE)
        rc = check_memory_fits(vm, vm->live, mib, "live");
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = tb_host_check_memory(h, vm, mib);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = check_memory_fits(vm, vm->def, mib, "configured");
    return rc;
}

int tb_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    tb_host *h = ((tb_conn *)priv)->host;
    vmhi_vm_config *def = NULL;
    unsigned int f = 0;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_resolve_affect(vm, flags, "memory change", &f);
    if (rc == VMHI_OK)
        rc = check_memory_args(h, vm, mib, f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = edited_def(vm, set_memory_field, mib, &def);
    if (rc == VMHI_OK && def)
        rc = tb_vm_replace_def(h, vm, def);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return tb_unlock(h, rc);
    }
    if (f & VMHI_AFFECT_LIVE) {
        vmhi_vm_config_set_memory_mib(vm->live, mib); /* checked above */
        tb_store_save_state(h, vm);
        tb_emit(h, vm, VMHI_EVENT_MEMORY, NULL, mib);
    }
    if (f & VMHI_AFFECT_CONFIG)
        tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    return tb_unlock(h, VMHI_OK);
}

/* MEM-7: CURRENT means the definition even on an active VM (a new
 * maximum there waits for the next start); LIVE (MEM-12) is the running
 * VM's own maximum, which the simulated hypervisor can raise at once. */
static int resolve_max_memory_affect(const tb_vm *vm, unsigned int flags, unsigned int *f)
{
    return tb_resolve_affect(vm, flags ? flags : VMHI_AFFECT_CONFIG, "maximum memory change", f);
}

/* A maximum below the memory of a configuration it targets is refused
 * (MEM-8): memory <= maximum always holds. */
static int check_max_not_below(const tb_vm *vm, const vmhi_vm_config *cfg, uint64_t mib,
                               const char *which)
{
    uint64_t current = vmhi_vm_config_get_memory_mib(cfg);
    if (mib < current)
        return tb_error(VMHI_E_INVALID_ARG, "%llu MiB is below the %s memory of VM '%s' "
                        "(%llu MiB); lower that first with vmhi_vm_set_memory()",
                        (unsigned long long)mib, which, vm->name, (unsigned long long)current);
    return VMHI_OK;
}

static int check_max_memory_args(const tb_vm *vm, uint64_t mib, unsigned int f)
{
    if (mib > TB_MAX_MEMORY_MIB)
        return tb_error(VMHI_E_LIMIT, "%llu MiB is above the test host's per-VM maximum of "
                        "%u MiB", (unsigned long long)mib, TB_MAX_MEMORY_MIB);
    int rc = VMHI_OK;
    if (f & VMHI_AFFECT_LIVE)
        rc = check_max_not_below(vm, vm->live, mib, "live");
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = check_max_not_below(vm, vm->def, mib, "configured");
    return rc;
}

int tb_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    tb_host *h = ((tb_conn *)priv)->host;
    vmhi_vm_config *def = NULL;
    unsigned int f = 0;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = resolve_max_memory_affect(vm, flags, &f);
    if (rc == VMHI_OK)
        rc = check_max_memory_args(vm, mib, f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = edited_def(vm, set_max_memory_field, mib, &def);
    if (rc == VMHI_OK && def)
        rc = tb_vm_replace_def(h, vm, def);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return tb_unlock(h, rc);
    }
    if (f & VMHI_AFFECT_LIVE) {
        vmhi_vm_config_set_max_memory_mib(vm->live, mib); /* checked above */
        tb_store_save_state(h, vm);
    }
    if (f & VMHI_AFFECT_CONFIG)
        tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    return tb_unlock(h, VMHI_OK);
}

/* Plausible guest statistics derived from the balloon size and CPU time. */
static void synthesize_stats(const tb_vm *vm, vmhi_memory_stats *stats)
{
    uint64_t actual = vmhi_vm_config_get_memory_mib(vm->live) * 1024u;
    uint64_t cpu_ms = tb_vm_cpu_time(vm) / 1000000u;
    stats->actual_kib = actual;
    stats->available_kib = actual - actual / 32;        /* kernel reserved */
    stats->usable_kib = stats->available_kib * 3 / 5;
    stats->unused_kib = stats->available_kib / 2;
    stats->rss_kib = actual - stats->unused_kib + 8192; /* touched pages + overhead */
    stats->swap_in_kib = 0;
    stats->swap_out_kib = 0;
    stats->major_faults = cpu_ms / 100;
    stats->minor_faults = cpu_ms * 10;
}

int tb_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "reading memory statistics", ACTIVE_STATES);
    if (rc == VMHI_OK)
        synthesize_stats(vm, stats);
    return tb_unlock(h, rc);
}

static int check_vcpu_args(const tb_vm *vm, unsigned int count, unsigned int f)
{
    if (count == 0)
        return tb_error(VMHI_E_INVALID_ARG, "a VM needs at least 1 vCPU");
    if (count > TB_MAX_VCPUS)
        return tb_error(VMHI_E_LIMIT, "%u vCPUs requested; the test host allows at most %u "
                        "per VM", count, TB_MAX_VCPUS);
    const vmhi_vm_config *cfgs[2] = { (f & VMHI_AFFECT_LIVE) ? vm->live : NULL,
                                      (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL };
    for (int i = 0; i < 2; i++) {
        unsigned int max = cfgs[i] ? vmhi_vm_config_get_max_vcpus(cfgs[i]) : count;
        if (count > max)
            return tb_error(VMHI_E_INVALID_ARG, "%u vCPUs is above the %s maximum of VM "
                            "'%s' (%u); raise max_vcpus in the definition first", count,
                            i == 0 ? "live" : "configured", vm->name, max);
    }
    return VMHI_OK;
}

int tb_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags)
{
    tb_host *h = ((tb_conn *)priv)->host;
    vmhi_vm_config *def = NULL;
    unsigned int f = 0;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_resolve_affect(vm, flags, "vCPU change", &f);
    if (rc == VMHI_OK)
        rc = check_vcpu_args(vm, count, f);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = edited_def(vm, set_vcpus_field, count, &def);
    if (rc == VMHI_OK && def)
        rc = tb_vm_replace_def(h, vm, def);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return tb_unlock(h, rc);
    }
    if (f & VMHI_AFFECT_LIVE) {
        vmhi_vm_config_set_vcpus(vm->live, count); /* checked above */
        tb_store_save_state(h, vm);
        tb_emit(h, vm, VMHI_EVENT_VCPU, NULL, count);
    }
    if (f & VMHI_AFFECT_CONFIG)
        tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    return tb_unlock(h, VMHI_OK);
}

/* Reports every possible vCPU; those beyond the current count are offline. */
static int report_vcpus(const tb_vm *vm, vmhi_backend_vcpu_add add, void *ctx)
{
    unsigned int online = vmhi_vm_config_get_vcpus(vm->live);
    unsigned int max = vmhi_vm_config_get_max_vcpus(vm->live);
    uint64_t per_vcpu = online ? tb_vm_cpu_time(vm) / online : 0;
    int rc = VMHI_OK;
    for (unsigned int i = 0; rc == VMHI_OK && i < max; i++) {
        vmhi_vcpu_info info = VMHI_VCPU_INFO_INIT;
        info.id = i;
        info.online = i < online;
        info.host_cpu = info.online ? (int)(i % TB_HOST_CPUS) : -1;
        info.cpu_time_ns = info.online ? per_vcpu : 0;
        rc = add(ctx, &info);
    }
    return rc;
}

int tb_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_require_state(vm, "reading vCPU information", ACTIVE_STATES);
    if (rc == VMHI_OK)
        rc = report_vcpus(vm, add, ctx);
    return tb_unlock(h, rc);
}
