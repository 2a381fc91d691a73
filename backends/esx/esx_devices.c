/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reconfiguration: memory, vCPUs and devices (ReconfigVM_Task), memory
 * statistics (quickStats) and the device list.
 *
 * Memory and vCPU changes need the VM shut off: ESX has no balloon target
 * or vCPU unplug a client may set, and no "pending" definition applied at
 * the next start.  Devices can be hot-added and removed while the VM runs,
 * but ESX then changes the running VM and its configuration together, so
 * on an active VM only the default (VMHI_AFFECT_CURRENT) and
 * LIVE|CONFIG are honoured; LIVE or CONFIG alone is refused rather than
 * silently widened.  A detach has completed when the task has.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)
#define ACTIVE (BIT(RUNNING) | BIT(SHUTTING_DOWN))
#define BOTH (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG)

static bool is_active(const esx_vm *vm)
{
    return (ACTIVE & VMHI_STATE_BIT(esx_vm_state(vm))) != 0;
}

static int need_shutoff(const esx_vm *vm, unsigned int flags, const char *what)
{
    if (flags & VMHI_AFFECT_LIVE)
        return esx_error(is_active(vm) ? VMHI_E_UNSUPPORTED : VMHI_E_INVALID_STATE,
                         "esx: %s cannot be applied to a running VM on ESX (VM '%s' is %s); "
                         "use VMHI_AFFECT_CONFIG while it is shut off", what, vm->name,
                         vmhi_vm_state_name(esx_vm_state(vm)));
    if (esx_vm_state(vm) != VMHI_STATE_SHUTOFF)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; ESX applies a %s only "
                         "while the VM is shut off (it has no pending configuration)", vm->name,
                         vmhi_vm_state_name(esx_vm_state(vm)), what);
    return VMHI_OK;
}

/* Runs ReconfigVM_Task with @spec_body (the inside of <spec>). */
static int reconfigure(esx_conn *c, const esx_vm *vm, const esx_buf *spec, const char *op)
{
    if (spec->oom)
        return esx_error(VMHI_E_NOMEM, "esx: out of memory");
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "ReconfigVM_Task", "VirtualMachine", vm->moref);
    esx_buf_add(&b, "<spec>");
    esx_buf_addn(&b, spec->data ? spec->data : "", spec->len);
    esx_buf_add(&b, "</spec>");
    esx_soap_end(&b, "ReconfigVM_Task");
    int rc = esx_call_task(c, "ReconfigVM_Task", &b, op, NULL);
    esx_buf_free(&b);
    esx_inventory_done(c, vm->moref, ESX_POWER_UNKNOWN, VMHI_REASON_UNKNOWN);
    return rc;
}

static void spec_memory(esx_buf *spec, uint64_t max, uint64_t current, bool set_max)
{
    if (set_max)
        esx_buf_elemf(spec, "memoryMB", "%llu", (unsigned long long)max);
    esx_buf_addf(spec, "<memoryAllocation><limit>%lld</limit></memoryAllocation>",
                 current < max ? (long long)current : -1LL);
}

int esx_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = need_shutoff(&vm, flags, "memory change");
    if (rc == VMHI_OK && mib > vm.memory_mib)
        rc = esx_error(VMHI_E_INVALID_ARG, "esx: %llu MiB is above the maximum memory of VM "
                       "'%s' (%llu MiB); raise it with vmhi_vm_set_max_memory() first",
                       (unsigned long long)mib, vm.name, (unsigned long long)vm.memory_mib);
    if (rc < 0)
        return esx_keep_error(rc);
    esx_buf spec;
    esx_buf_init(&spec);
    spec_memory(&spec, vm.memory_mib, mib, false);
    rc = reconfigure(c, &vm, &spec, "set-memory");
    esx_buf_free(&spec);
    return esx_keep_error(rc);
}

int esx_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = need_shutoff(&vm, flags, "maximum memory change");
    uint64_t current = rc == VMHI_OK ? esx_vm_memory(&vm) : 0;
    if (rc == VMHI_OK && mib < current)
        rc = esx_error(VMHI_E_INVALID_ARG, "esx: %llu MiB is below the memory of VM '%s' "
                       "(%llu MiB); lower that first with vmhi_vm_set_memory()",
                       (unsigned long long)mib, vm.name, (unsigned long long)current);
    if (rc < 0)
        return esx_keep_error(rc);
    esx_buf spec;
    esx_buf_init(&spec);
    spec_memory(&spec, mib, current, true);
    rc = reconfigure(c, &vm, &spec, "set-max-memory");
    esx_buf_free(&spec);
    return esx_keep_error(rc);
}

int esx_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = need_shutoff(&vm, flags, "vCPU change");
    if (rc == VMHI_OK && count > esx_vm_max_vcpus(&vm))
        rc = esx_error(VMHI_E_INVALID_ARG, "esx: %u vCPUs is above the maximum of VM '%s' "
                       "(%u); raise max_vcpus in the definition first", count, vm.name,
                       esx_vm_max_vcpus(&vm));
    if (rc < 0)
        return esx_keep_error(rc);
    esx_buf spec;
    esx_buf_init(&spec);
    esx_buf_elemf(&spec, "numCPUs", "%u", count);
    rc = reconfigure(c, &vm, &spec, "set-vcpus");
    esx_buf_free(&spec);
    return esx_keep_error(rc);
}

/* ------------------------------------------------------ memory stats */

static bool quick_stat(const xmlNode *stats, const char *name, uint64_t *mib)
{
    char text[32];
    const char *t = esx_xml_child_text(stats, name, text, sizeof(text));
    return t && esx_parse_u64(t, mib);
}

int esx_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats)
{
    static const char *const paths[] = { "summary.quickStats", NULL };
    esx_conn *c = priv;
    esx_vm vm;
    esx_reply r;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK && !is_active(&vm))
        rc = esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; memory statistics need a "
                       "running VM", vm.name, vmhi_vm_state_name(esx_vm_state(&vm)));
    if (rc == VMHI_OK)
        rc = esx_read_props(c, "VirtualMachine", vm.moref, paths, &r);
    if (rc < 0)
        return esx_keep_error(rc);
    const xmlNode *qs = esx_reply_prop(&r, "summary.quickStats");
    uint64_t v;
    stats->actual_kib = esx_vm_memory(&vm) * 1024u;
    stats->available_kib = vm.memory_mib * 1024u;
    if (quick_stat(qs, "guestMemoryUsage", &v) && v <= vm.memory_mib)
        stats->unused_kib = (vm.memory_mib - v) * 1024u;
    if (quick_stat(qs, "hostMemoryUsage", &v))
        stats->rss_kib = v * 1024u;
    esx_reply_free(&r);
    return VMHI_OK;
}

/* ----------------------------------------------------------- devices */

static int read_devices(esx_conn *c, const char *moref, esx_devices *out)
{
    static const char *const paths[] = { "config.hardware.device", NULL };
    esx_reply r;
    int rc = esx_read_props(c, "VirtualMachine", moref, paths, &r);
    if (rc < 0)
        return rc;
    rc = esx_devices_parse(&c->refs, esx_reply_prop(&r, "config.hardware.device"), out);
    esx_reply_free(&r);
    return rc < 0 ? esx_error(rc, "esx: out of memory reading devices") : VMHI_OK;
}

/* Checks @flags against the VM for a device change. */
static int device_flags(const esx_vm *vm, unsigned int flags, const char *what)
{
    if (is_active(vm)) {
        if (flags == 0 || flags == BOTH)
            return VMHI_OK;
        return esx_error(VMHI_E_UNSUPPORTED, "esx: on a running VM ESX changes the VM and its "
                         "configuration together; %s needs VMHI_AFFECT_CURRENT or "
                         "LIVE|CONFIG", what);
    }
    if (flags & VMHI_AFFECT_LIVE)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; a live %s needs it "
                         "running", vm->name, vmhi_vm_state_name(esx_vm_state(vm)), what);
    if (esx_vm_state(vm) == VMHI_STATE_SUSPENDED)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is suspended; ESX changes its "
                         "devices only when it runs or is shut off", vm->name);
    return VMHI_OK;
}

/* The key of the device of @kind that @after has and @before has not. */
static bool new_device(const esx_devices *before, const esx_devices *after,
                       vmhi_device_type kind, const esx_device **out)
{
    for (size_t i = 0; i < after->count; i++) {
        const esx_device *d = &after->items[i];
        if (d->kind == kind && !esx_devices_find(before, d->key)) {
            *out = d;
            return true;
        }
    }
    return false;
}

static int check_disk_path_free(esx_conn *c, const esx_devices *devs, const vmhi_disk *disk)
{
    char want[ESX_PATH_MAX + 64], have[ESX_PATH_MAX + 64];
    int rc = esx_path_to_datastore(&c->refs, vmhi_disk_get_path(disk), want, sizeof(want));
    for (size_t i = 0; rc == VMHI_OK && i < devs->count; i++) {
        const esx_device *d = &devs->items[i];
        if (d->kind != VMHI_DEVICE_DISK ||
            esx_path_to_datastore(&c->refs, d->path, have, sizeof(have)) != VMHI_OK)
            continue;
        if (strcmp(want, have) == 0) {
            char id[VMHI_DEVICE_ID_MAX + 1];
            esx_device_id(d, id);
            return esx_error(VMHI_E_EXISTS, "esx: %s is already attached as %s",
                             vmhi_disk_get_path(disk), id);
        }
    }
    esx_error_begin();
    return rc;
}

/* Adds one device (disk or NIC) and reports the id it got. */
static int attach(esx_conn *c, const char *uuid, unsigned int flags, const vmhi_disk *disk,
                  const vmhi_nic *nic, char *id)
{
    esx_vm vm;
    esx_devices before = { 0 }, after = { 0 };
    esx_buf spec;
    esx_buf_init(&spec);
    const char *what = disk ? "disk attach" : "NIC attach";
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = device_flags(&vm, flags, what);
    if (rc == VMHI_OK)
        rc = read_devices(c, vm.moref, &before);
    if (rc == VMHI_OK && disk)
        rc = check_disk_path_free(c, &before, disk);
    esx_slots slots;
    esx_slots_init(&slots, &before);
    if (rc == VMHI_OK)
        rc = disk ? esx_spec_add_disk(&c->refs, &spec, &slots, disk, true)
                  : esx_spec_add_nic(&spec, &slots, nic);
    if (rc == VMHI_OK)
        rc = reconfigure(c, &vm, &spec, disk ? "attach-disk" : "attach-nic");
    if (rc == VMHI_OK)
        rc = read_devices(c, vm.moref, &after);
    const esx_device *dev = NULL;
    if (rc == VMHI_OK && !new_device(&before, &after, disk ? VMHI_DEVICE_DISK : VMHI_DEVICE_NIC,
                                     &dev))
        rc = esx_error(VMHI_E_BACKEND, "esx: the %s succeeded but the VM shows no new device",
                       what);
    if (rc == VMHI_OK)
        esx_device_id(dev, id);
    esx_buf_free(&spec);
    esx_devices_free(&before);
    esx_devices_free(&after);
    return rc;
}

int esx_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id)
{
    esx_error_begin();
    return esx_keep_error(attach(priv, uuid, flags, disk, NULL, id));
}

int esx_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id)
{
    esx_error_begin();
    return esx_keep_error(attach(priv, uuid, flags, NULL, nic, id));
}

static int detach(esx_conn *c, const char *uuid, vmhi_device_type kind, const char *id,
                  unsigned int flags, vmhi_completion *completion)
{
    esx_vm vm;
    esx_devices devs = { 0 };
    vmhi_device_type id_kind;
    uint32_t key = 0;
    const esx_device *dev = NULL;
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = device_flags(&vm, flags, kind == VMHI_DEVICE_DISK ? "disk detach" : "NIC detach");
    if (rc == VMHI_OK)
        rc = read_devices(c, vm.moref, &devs);
    if (rc == VMHI_OK && (!esx_device_id_parse(id, &id_kind, &key) || id_kind != kind ||
                          !(dev = esx_devices_find(&devs, key)) || dev->kind != kind))
        rc = esx_error(VMHI_E_NO_DEVICE, "esx: VM '%s' has no %s '%s'", vm.name,
                       kind == VMHI_DEVICE_DISK ? "disk" : "NIC", id);
    if (rc == VMHI_OK) {
        esx_buf spec;
        esx_buf_init(&spec);
        esx_spec_remove_device(&spec, dev);
        rc = reconfigure(c, &vm, &spec, kind == VMHI_DEVICE_DISK ? "detach-disk"
                                                                 : "detach-nic");
        esx_buf_free(&spec);
    }
    if (rc == VMHI_OK)
        *completion = VMHI_COMPLETION_DONE;
    esx_devices_free(&devs);
    return rc;
}

int esx_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion)
{
    esx_error_begin();
    return esx_keep_error(detach(priv, uuid, VMHI_DEVICE_DISK, id, flags, completion));
}

int esx_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion)
{
    esx_error_begin();
    return esx_keep_error(detach(priv, uuid, VMHI_DEVICE_NIC, id, flags, completion));
}

int esx_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_devices devs = { 0 };
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, false, &vm);
    if (rc == VMHI_OK)
        rc = read_devices(c, vm.moref, &devs);
    for (size_t i = 0; rc == VMHI_OK && i < devs.count; i++) {
        const esx_device *d = &devs.items[i];
        if (!d->kind)
            continue;
        char id[VMHI_DEVICE_ID_MAX + 1];
        esx_device_id(d, id);
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        info.type = d->kind;
        info.state = VMHI_DEVICE_PRESENT;
        info.id = id;
        info.summary = d->kind == VMHI_DEVICE_DISK ? d->path : d->mac;
        info.live = is_active(&vm);
        info.config = 1;
        rc = add(ctx, &info);
    }
    esx_devices_free(&devs);
    return esx_keep_error(rc);
}
