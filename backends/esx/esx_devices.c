/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reconfiguration slots: memory, vCPUs and devices (each a change of
 * esx_change.c, so the live/config split holds), memory statistics
 * (quickStats) and the device list.
 *
 *  - Memory: the maximum is memoryMB, the current memory a
 *    memoryAllocation.limit below it, which ESX changes on a running VM.
 *  - vCPUs: numCPU changes only while the VM is off (ESX hot-adds CPUs
 *    only where the guest allows it and never removes one), so a live
 *    change is refused; a definition change waits for the next start.
 *  - Devices: ESX hot-adds and removes disks and NICs; a detach has
 *    completed when its task has (no pending detaches: caps without ASYNC).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "esx.h"

/* Limits of what this backend attaches (one SCSI controller). */
#define MAX_DISKS 15u
#define MAX_NICS 10u

static bool is_active(const esx_vm *vm)
{
    vmhi_vm_state st = esx_vm_state(vm);
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_SHUTTING_DOWN;
}

/* A failure of a public config call, reported as one of @op. */
static int config_error(int rc, const char *op)
{
    char why[512];
    esx_copy(why, sizeof(why), vmhi_error_last_message());
    return esx_error(rc, "esx: %s: %s", op, why);
}

/* The name of VM @uuid for messages, as the cache knows it (changes read
 * the VM afresh). */
static void vm_name_of(esx_conn *c, const char *uuid, char *name)
{
    esx_lock(c);
    const esx_vm *known = esx_cache_find_uuid(&c->cache, uuid);
    esx_copy(name, VMHI_NAME_MAX + 1, known ? known->name : uuid);
    esx_unlock(c);
}

/* ------------------------------------------------------ memory, vCPUs */

typedef struct size_change {
    uint64_t value;
    const char *vm_name;
} size_change;

static int modify_memory(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx)
{
    const size_change *sc = ctx;
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    (void)other;
    if (sc->value > max)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %llu MiB is above the maximum memory of VM "
                         "'%s' (%llu MiB); raise it with vmhi_vm_set_max_memory() first",
                         (unsigned long long)sc->value, sc->vm_name, (unsigned long long)max);
    int rc = vmhi_vm_config_set_memory_mib(cfg, sc->value);
    return rc < 0 ? config_error(rc, "set-memory") : VMHI_OK;
}

static int modify_max_memory(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx)
{
    const size_change *sc = ctx;
    uint64_t mem = vmhi_vm_config_get_memory_mib(cfg);
    (void)other;
    if (sc->value < mem)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %llu MiB is below the memory of VM '%s' "
                         "(%llu MiB); lower that first with vmhi_vm_set_memory()",
                         (unsigned long long)sc->value, sc->vm_name, (unsigned long long)mem);
    int rc = vmhi_vm_config_set_max_memory_mib(cfg, sc->value);
    return rc < 0 ? config_error(rc, "set-max-memory") : VMHI_OK;
}

static int modify_vcpus(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx)
{
    const size_change *sc = ctx;
    unsigned int max = vmhi_vm_config_get_max_vcpus(cfg);
    (void)other;
    if (sc->value > max)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %llu vCPUs is above the maximum of VM '%s' "
                         "(%u); raise max_vcpus in the definition first",
                         (unsigned long long)sc->value, sc->vm_name, max);
    int rc = vmhi_vm_config_set_vcpus(cfg, (unsigned int)sc->value);
    return rc < 0 ? config_error(rc, "set-vcpus") : VMHI_OK;
}

static int size_slot(esx_conn *c, const char *uuid, unsigned int flags, uint64_t value,
                     esx_change ch)
{
    esx_vm vm;
    char name[VMHI_NAME_MAX + 1];
    vm_name_of(c, uuid, name);
    size_change sc = { value, name };
    ch.flags = flags;
    ch.ctx = &sc;
    int rc = esx_change_vm(c, uuid, &ch, &vm);
    if (rc == VMHI_OK && ch.did_live && ch.modify == modify_memory)
        esx_event_emit(c, &vm, VMHI_EVENT_MEMORY, NULL, value);
    if (rc == VMHI_OK && ch.did_config)
        esx_event_emit(c, &vm, VMHI_EVENT_DEFINED, NULL, 0);
    return esx_slot_end(rc);
}

int esx_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    esx_change ch = { .op = "set-memory", .live_ok = true, .modify = modify_memory };
    return size_slot(priv, uuid, flags, mib, ch);
}

int esx_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags)
{
    esx_change ch = { .op = "set-max-memory", .current_is_config = true,
                      .modify = modify_max_memory };
    return size_slot(priv, uuid, flags, mib, ch);
}

int esx_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags)
{
    esx_change ch = { .op = "set-vcpus", .modify = modify_vcpus };
    return size_slot(priv, uuid, flags, count, ch);
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
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK && !is_active(&vm))
        rc = esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; memory statistics need a "
                       "running VM", vm.name, vmhi_vm_state_name(esx_vm_state(&vm)));
    if (rc == VMHI_OK)
        rc = esx_read_props(c, "VirtualMachine", vm.moref, paths, &r);
    if (rc < 0)
        return esx_slot_end(rc);
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

/* A device to attach: the application's, with the id and MAC it gets
 * fixed at the first configuration it goes to. */
typedef struct attach_ctx {
    const vmhi_disk *disk;
    const vmhi_nic *nic;
    char id[VMHI_DEVICE_ID_MAX + 1];
    char mac[18];
} attach_ctx;

static bool id_taken(const vmhi_vm_config *cfg, const char *id)
{
    for (size_t i = 0; cfg && i < vmhi_vm_config_get_disk_count(cfg); i++)
        if (strcmp(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, i)), id) == 0)
            return true;
    for (size_t i = 0; cfg && i < vmhi_vm_config_get_nic_count(cfg); i++)
        if (strcmp(vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i)), id) == 0)
            return true;
    return false;
}

static void pick_id(attach_ctx *a, const vmhi_vm_config *cfg, const vmhi_vm_config *other)
{
    const char *given = a->disk ? vmhi_disk_get_id(a->disk) : vmhi_nic_get_id(a->nic);
    if (a->id[0])
        return;
    if (given && given[0]) {
        esx_copy(a->id, sizeof(a->id), given);
        return;
    }
    for (unsigned int n = 0; !a->id[0] || id_taken(cfg, a->id) || id_taken(other, a->id); n++)
        snprintf(a->id, sizeof(a->id), "%s%u", a->disk ? "disk" : "nic", n);
}

static int add_disk_to(vmhi_vm_config *cfg, attach_ctx *a)
{
    if (vmhi_vm_config_get_disk_count(cfg) >= MAX_DISKS)
        return esx_error(VMHI_E_LIMIT, "esx: the VM has %u disks already, the most it can "
                         "have", MAX_DISKS);
    vmhi_disk *copy = NULL;
    int rc = esx_disk_copy(a->disk, &copy);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(copy, a->id);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_disk(cfg, copy);
    vmhi_disk_free(copy);
    return rc < 0 ? config_error(rc, "attach-disk") : VMHI_OK;
}

static bool mac_taken(const vmhi_vm_config *cfg, const char *mac)
{
    for (size_t i = 0; cfg && i < vmhi_vm_config_get_nic_count(cfg); i++) {
        const char *m = vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i));
        if (m && strcasecmp(m, mac) == 0)
            return true;
    }
    return false;
}

static int add_nic_to(vmhi_vm_config *cfg, const vmhi_vm_config *other, attach_ctx *a)
{
    if (vmhi_vm_config_get_nic_count(cfg) >= MAX_NICS)
        return esx_error(VMHI_E_LIMIT, "esx: the VM has %u NICs already, the most it can "
                         "have", MAX_NICS);
    const vmhi_nic *n = a->nic;
    const char *mac = vmhi_nic_get_mac(n);
    if (mac && mac_taken(cfg, mac))
        return esx_error(VMHI_E_EXISTS, "esx: MAC address %s is taken by another NIC", mac);
    if (!mac && !a->mac[0])
        do
            esx_new_mac(cfg, a->mac);
        while (mac_taken(other, a->mac));
    vmhi_nic *copy = NULL;
    int rc = esx_nic_copy(n, mac ? mac : a->mac, &copy);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(copy, a->id);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_nic(cfg, copy);
    vmhi_nic_free(copy);
    return rc < 0 ? config_error(rc, "attach-nic") : VMHI_OK;
}

static int modify_attach(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx)
{
    attach_ctx *a = ctx;
    pick_id(a, cfg, other);
    if (id_taken(cfg, a->id))
        return esx_error(VMHI_E_EXISTS, "esx: the VM already has a device '%s'", a->id);
    return a->disk ? add_disk_to(cfg, a) : add_nic_to(cfg, other, a);
}

typedef struct detach_ctx {
    vmhi_device_type kind;
    const char *id;
    const char *vm_name;
} detach_ctx;

static int modify_detach(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx)
{
    const detach_ctx *d = ctx;
    (void)other;
    int rc = d->kind == VMHI_DEVICE_DISK ? vmhi_vm_config_remove_disk(cfg, d->id)
                                         : vmhi_vm_config_remove_nic(cfg, d->id);
    if (rc == VMHI_E_NO_DEVICE)
        return esx_error(VMHI_E_NO_DEVICE, "esx: VM '%s' has no %s '%s' in the configuration "
                         "the call targets", d->vm_name,
                         d->kind == VMHI_DEVICE_DISK ? "disk" : "NIC", d->id);
    return rc < 0 ? config_error(rc, "detach") : VMHI_OK;
}

/* One DEVICE_ADDED or DEVICE_REMOVED, and DEFINED when the definition
 * changed (EV-5, EV-6, EV-7: a detach here completes before it returns). */
static void device_events(esx_conn *c, const esx_vm *vm, const esx_change *ch,
                          vmhi_event_type type, const char *id, int rc)
{
    if (rc < 0)
        return;
    esx_event_emit(c, vm, type, id, 0);
    if (ch->did_config)
        esx_event_emit(c, vm, VMHI_EVENT_DEFINED, NULL, 0);
}

int esx_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id)
{
    esx_vm vm;
    attach_ctx a = { .disk = disk };
    esx_change ch = { .op = "attach-disk", .flags = flags, .live_ok = true,
                      .modify = modify_attach, .ctx = &a };
    int rc = esx_change_vm(priv, uuid, &ch, &vm);
    if (rc == VMHI_OK)
        esx_copy(id, VMHI_DEVICE_ID_MAX + 1, a.id);
    device_events(priv, &vm, &ch, VMHI_EVENT_DEVICE_ADDED, a.id, rc);
    return esx_slot_end(rc);
}

int esx_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id)
{
    esx_vm vm;
    attach_ctx a = { .nic = nic };
    esx_change ch = { .op = "attach-nic", .flags = flags, .live_ok = true,
                      .modify = modify_attach, .ctx = &a };
    int rc = esx_network_check(priv, vmhi_nic_get_network(nic));
    if (rc == VMHI_OK)
        rc = esx_change_vm(priv, uuid, &ch, &vm);
    if (rc == VMHI_OK)
        esx_copy(id, VMHI_DEVICE_ID_MAX + 1, a.id);
    device_events(priv, &vm, &ch, VMHI_EVENT_DEVICE_ADDED, a.id, rc);
    return esx_slot_end(rc);
}

static int detach(esx_conn *c, const char *uuid, vmhi_device_type kind, const char *id,
                  unsigned int flags, vmhi_completion *completion)
{
    esx_vm vm;
    char name[VMHI_NAME_MAX + 1];
    vm_name_of(c, uuid, name);
    detach_ctx d = { kind, id, name };
    esx_change ch = { .op = kind == VMHI_DEVICE_DISK ? "detach-disk" : "detach-nic",
                      .flags = flags, .live_ok = true, .modify = modify_detach, .ctx = &d };
    int rc = esx_change_vm(c, uuid, &ch, &vm);
    if (rc == VMHI_OK)
        *completion = VMHI_COMPLETION_DONE;
    device_events(c, &vm, &ch, VMHI_EVENT_DEVICE_REMOVED, id, rc);
    return esx_slot_end(rc);
}

int esx_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion)
{
    return detach(priv, uuid, VMHI_DEVICE_DISK, id, flags, completion);
}

int esx_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion)
{
    return detach(priv, uuid, VMHI_DEVICE_NIC, id, flags, completion);
}

/* ------------------------------------------------------- device list */

/* Reports one device; it is in the configuration when the VM is inactive
 * or its definition @def has it too. */
static int add_listed(vmhi_device_type type, const char *id, const char *summary, bool live,
                      const vmhi_vm_config *def, vmhi_backend_device_add add, void *ctx)
{
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    info.type = type;
    info.state = VMHI_DEVICE_PRESENT;
    info.id = id;
    info.summary = summary;
    info.live = live;
    info.config = !live || id_taken(def, id);
    return add(ctx, &info);
}

/* Lists the devices of @cfg, skipping those @skip has. */
static int list_config(const vmhi_vm_config *cfg, const vmhi_vm_config *skip, bool live,
                       const vmhi_vm_config *def, vmhi_backend_device_add add, void *ctx)
{
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && cfg && i < vmhi_vm_config_get_disk_count(cfg); i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (!id_taken(skip, vmhi_disk_get_id(d)))
            rc = add_listed(VMHI_DEVICE_DISK, vmhi_disk_get_id(d), vmhi_disk_get_path(d), live,
                            def, add, ctx);
    }
    for (size_t i = 0; rc == VMHI_OK && cfg && i < vmhi_vm_config_get_nic_count(cfg); i++) {
        const vmhi_nic *n = vmhi_vm_config_get_nic(cfg, i);
        if (!id_taken(skip, vmhi_nic_get_id(n)))
            rc = add_listed(VMHI_DEVICE_NIC, vmhi_nic_get_id(n), vmhi_nic_get_mac(n), live, def,
                            add, ctx);
    }
    return rc;
}

/* Active VM: its live devices, then those only its definition has
 * (DEV-15).  Inactive VM: the devices of its definition. */
int esx_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_view v;
    vmhi_vm_config *live = NULL, *def = NULL;
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = esx_view_read(c, vm.moref, &v);
    if (rc < 0)
        return esx_slot_end(rc);
    bool active = is_active(&vm);
    if (active)
        rc = esx_view_config(&vm, &v, &live);
    if (rc == VMHI_OK && active && !vm.transient)
        rc = v.meta.definition ? esx_view_waiting(&vm, &v, &def)
                               : vmhi_vm_config_copy(&def, live);
    else if (rc == VMHI_OK && !active)
        rc = esx_view_definition(&vm, &v, &def);
    if (rc == VMHI_OK && active)
        rc = list_config(live, NULL, true, def, add, ctx);
    if (rc == VMHI_OK)
        rc = list_config(def, live, false, def, add, ctx);
    vmhi_vm_config_free(live);
    vmhi_vm_config_free(def);
    esx_view_free(&v);
    return esx_slot_end(rc);
}
