/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Disk and NIC attach, detach and listing.
 *
 * Ids: a device keeps the id it was given; an empty id becomes the first
 * "diskN" / "nicN" free in both the live config and the definition, so a
 * device attached live and to the config has one id.  A path, MAC or id
 * already in use in a target config is VMHI_E_EXISTS.
 *
 * A device is stored as tb_disk_clone() / tb_nic_clone() copy it: a DEFAULT
 * bus or model becomes virtio, the disk target is kept.
 *
 * Events: every successful attach emits one VMHI_EVENT_DEVICE_ADDED; every
 * detach emits one VMHI_EVENT_DEVICE_REMOVED once it has fully taken
 * effect (config-only detaches at once, live ones when the guest releases
 * the device).  A change of the definition also emits VMHI_EVENT_DEFINED.
 *
 * Live detach follows the guest mode of the requesting connection:
 * cooperative guests release the device ~20 ms later (the call returns
 * VMHI_COMPLETION_PENDING and the device is listed DETACH_PENDING until
 * then), unresponsive guests never do, instant ones before the call
 * returns.  Detaching a device again while pending is VMHI_E_BUSY.
 */
#include <stdio.h>
#include <string.h>

#include "tb.h"

typedef struct dev_kind {
    vmhi_device_type type;
    const char *noun;   /* in messages */
    const char *prefix; /* of generated ids */
    int (*add)(vmhi_vm_config *cfg, const void *dev);
    int (*remove)(vmhi_vm_config *cfg, const char *id);
} dev_kind;

static int add_disk(vmhi_vm_config *cfg, const void *dev)
{
    return vmhi_vm_config_add_disk(cfg, dev);
}

static int add_nic(vmhi_vm_config *cfg, const void *dev)
{
    return vmhi_vm_config_add_nic(cfg, dev);
}

static const dev_kind disk_kind = {
    VMHI_DEVICE_DISK, "disk", "disk", add_disk, vmhi_vm_config_remove_disk,
};
static const dev_kind nic_kind = {
    VMHI_DEVICE_NIC, "NIC", "nic", add_nic, vmhi_vm_config_remove_nic,
};

static bool kind_has(const dev_kind *k, const vmhi_vm_config *cfg, const char *id)
{
    if (!cfg)
        return false;
    return k->type == VMHI_DEVICE_DISK ? tb_config_find_disk(cfg, id) != NULL
                                       : tb_config_find_nic(cfg, id) != NULL;
}

static const tb_pending *find_pending(const tb_vm *vm, vmhi_device_type type, const char *id)
{
    for (const tb_pending *p = vm->pending; p; p = p->next)
        if (p->type == type && strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

/* The configs a change touches: [0] live, [1] definition (NULL if untouched). */
static void targets(const tb_vm *vm, unsigned int f, const vmhi_vm_config *t[2])
{
    t[0] = (f & VMHI_AFFECT_LIVE) ? vm->live : NULL;
    t[1] = (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL;
}

/* The id a new device gets: its own, checked to be free, or a generated one. */
static int choose_id(const tb_vm *vm, const vmhi_vm_config *t[2], const dev_kind *k,
                     const char *given, char id[VMHI_DEVICE_ID_MAX + 1])
{
    if (!given || !*given) {
        tb_config_free_id(k->prefix, vm->live, vm->def, id);
        return VMHI_OK;
    }
    for (int i = 0; i < 2; i++)
        if (tb_config_has_id(t[i], given))
            return tb_error(VMHI_E_EXISTS, "VM '%s' already has a device with id '%s'; "
                            "choose another id or leave it empty", vm->name, given);
    snprintf(id, VMHI_DEVICE_ID_MAX + 1, "%s", given);
    return VMHI_OK;
}

static int prepare_disk(const tb_vm *vm, unsigned int f, const vmhi_disk *disk, void **out)
{
    const vmhi_vm_config *t[2];
    targets(vm, f, t);
    const char *path = vmhi_disk_get_path(disk);
    if (!path)
        return tb_error(VMHI_E_INVALID_ARG, "the disk has no path; set one with "
                        "vmhi_disk_set_path()");
    for (int i = 0; i < 2; i++) {
        const vmhi_disk *same = t[i] ? tb_config_find_disk_path(t[i], path) : NULL;
        if (same)
            return tb_error(VMHI_E_EXISTS, "VM '%s' already has disk %s (id '%s')", vm->name,
                            path, vmhi_disk_get_id(same));
        if (t[i] && vmhi_vm_config_get_disk_count(t[i]) >= TB_MAX_DISKS)
            return tb_error(VMHI_E_LIMIT, "VM '%s' already has %u disks, the test host's "
                            "maximum", vm->name, TB_MAX_DISKS);
    }
    char id[VMHI_DEVICE_ID_MAX + 1];
    int rc = choose_id(vm, t, &disk_kind, vmhi_disk_get_id(disk), id);
    return rc < 0 ? rc : tb_disk_clone(disk, id, (vmhi_disk **)out);
}

static int prepare_nic(tb_host *h, const tb_vm *vm, unsigned int f, const vmhi_nic *nic,
                       void **out)
{
    const vmhi_vm_config *t[2];
    targets(vm, f, t);
    const char *mac = vmhi_nic_get_mac(nic);
    for (int i = 0; i < 2; i++) {
        const vmhi_nic *same = t[i] && mac ? tb_config_find_nic_mac(t[i], mac) : NULL;
        if (same)
            return tb_error(VMHI_E_EXISTS, "VM '%s' already has a NIC with MAC %s (id '%s')",
                            vm->name, mac, vmhi_nic_get_id(same));
        if (t[i] && vmhi_vm_config_get_nic_count(t[i]) >= TB_MAX_NICS)
            return tb_error(VMHI_E_LIMIT, "VM '%s' already has %u NICs, the test host's "
                            "maximum", vm->name, TB_MAX_NICS);
    }
    char id[VMHI_DEVICE_ID_MAX + 1], generated[18];
    int rc = choose_id(vm, t, &nic_kind, vmhi_nic_get_id(nic), id);
    if (rc < 0)
        return rc;
    if (!mac)
        tb_mac_generate(h, NULL, generated);
    return tb_nic_clone(nic, id, mac ? NULL : generated, (vmhi_nic **)out);
}

/* A copy of @cfg with @dev added (@add) or device @id removed. */
static int edited(const tb_vm *vm, const vmhi_vm_config *cfg, const dev_kind *k,
                  const void *dev, const char *id, vmhi_vm_config **out)
{
    int rc = tb_config_copy(cfg, out);
    if (rc == VMHI_OK)
        rc = dev ? k->add(*out, dev) : k->remove(*out, id);
    if (rc < 0) {
        const char *why = tb_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return tb_error(rc, "test backend: cannot change the %s of VM '%s': %s", k->noun,
                        vm->name, why);
    }
    return VMHI_OK;
}

/* Builds both new configs, then writes the definition and swaps them in. */
static int apply(tb_host *h, tb_vm *vm, unsigned int f, const dev_kind *k, const void *dev,
                 const char *id)
{
    vmhi_vm_config *live = NULL, *def = NULL;
    int rc = VMHI_OK;
    if (f & VMHI_AFFECT_LIVE)
        rc = edited(vm, vm->live, k, dev, id, &live);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = edited(vm, vm->def, k, dev, id, &def);
    if (rc == VMHI_OK && def)
        rc = tb_vm_replace_def(h, vm, def);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return rc;
    }
    if (live) {
        vmhi_vm_config_free(vm->live);
        vm->live = live;
        tb_store_save_state(h, vm);
    }
    return VMHI_OK;
}

static const char *device_id(const dev_kind *k, const void *dev)
{
    return k->type == VMHI_DEVICE_DISK ? vmhi_disk_get_id(dev) : vmhi_nic_get_id(dev);
}

static void free_device(const dev_kind *k, void *dev)
{
    if (k->type == VMHI_DEVICE_DISK)
        vmhi_disk_free(dev);
    else
        vmhi_nic_free(dev);
}

static int attach(void *priv, const char *uuid, const dev_kind *k, const void *in,
                  unsigned int flags, char *id_out)
{
    const tb_conn *c = priv;
    tb_host *h = c->host;
    void *dev = NULL;
    unsigned int f = 0;
    tb_vm *vm;
    tb_lock(h);
    int rc = k->type == VMHI_DEVICE_DISK ? tb_values_check_disk(c, in)
                                         : tb_values_check_nic(c, in);
    if (rc == VMHI_OK)
        rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_resolve_affect(vm, flags, k->type == VMHI_DEVICE_DISK ? "disk attach"
                                                                       : "NIC attach", &f);
    if (rc == VMHI_OK)
        rc = k->type == VMHI_DEVICE_DISK ? prepare_disk(vm, f, in, &dev)
                                         : prepare_nic(h, vm, f, in, &dev);
    if (rc == VMHI_OK)
        rc = apply(h, vm, f, k, dev, NULL);
    if (rc == VMHI_OK) {
        if (f & VMHI_AFFECT_CONFIG)
            tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
        tb_emit(h, vm, VMHI_EVENT_DEVICE_ADDED, device_id(k, dev), 0);
        if (id_out)
            snprintf(id_out, VMHI_DEVICE_ID_MAX + 1, "%s", device_id(k, dev));
    }
    if (dev)
        free_device(k, dev);
    return tb_unlock(h, rc);
}

int tb_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                   char *id)
{
    return attach(priv, uuid, &disk_kind, disk, flags, id);
}

int tb_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                  char *id)
{
    return attach(priv, uuid, &nic_kind, nic, flags, id);
}

static int check_detach(const tb_vm *vm, const dev_kind *k, unsigned int f, const char *id)
{
    if ((f & VMHI_AFFECT_LIVE) && !kind_has(k, vm->live, id))
        return tb_error(VMHI_E_NO_DEVICE, "VM '%s' has no live %s with id '%s'; list its "
                        "devices with vmhi_vm_list_devices()", vm->name, k->noun, id);
    if ((f & VMHI_AFFECT_LIVE) && find_pending(vm, k->type, id))
        return tb_error(VMHI_E_BUSY, "the detach of %s '%s' from VM '%s' is already pending; "
                        "wait for VMHI_EVENT_DEVICE_REMOVED", k->noun, id, vm->name);
    if ((f & VMHI_AFFECT_CONFIG) && !kind_has(k, vm->def, id))
        return tb_error(VMHI_E_NO_DEVICE, "the definition of VM '%s' has no %s with id '%s'; "
                        "list its devices with vmhi_vm_list_devices()", vm->name, k->noun, id);
    return VMHI_OK;
}

/* Starts the live half of a detach the way the connection's guest acts. */
static void unplug_live(tb_conn *c, tb_vm *vm, const dev_kind *k, const char *id,
                        tb_pending *pending, tb_task *task)
{
    tb_host *h = c->host;
    if (c->guest == TB_GUEST_INSTANT) {
        tb_guest_finish_release(h, vm, k->type, id);
        return;
    }
    pending->type = k->type;
    snprintf(pending->id, sizeof(pending->id), "%s", id);
    pending->next = vm->pending;
    vm->pending = pending;
    tb_store_save_state(h, vm);
    if (task)
        tb_guest_enqueue(h, task, vm);
}

/* Allocates what a pending live detach needs, before anything changes. */
static int prepare_unplug(tb_conn *c, const tb_vm *vm, const dev_kind *k, const char *id,
                          tb_pending **pending, tb_task **task)
{
    if (c->guest == TB_GUEST_INSTANT)
        return VMHI_OK;
    if (!(*pending = tb_alloc(sizeof(**pending))))
        return VMHI_E_NOMEM;
    if (c->guest == TB_GUEST_COOPERATIVE)
        return tb_guest_task_new(c->host, TB_TASK_RELEASE, vm, k->type, id, task);
    return VMHI_OK;
}

static int detach(void *priv, const char *uuid, const dev_kind *k, const char *id,
                  unsigned int flags, vmhi_completion *completion)
{
    tb_conn *c = priv;
    tb_host *h = c->host;
    tb_pending *pending = NULL;
    tb_task *task = NULL;
    unsigned int f = 0;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = tb_resolve_affect(vm, flags, k->type == VMHI_DEVICE_DISK ? "disk detach"
                                                                       : "NIC detach", &f);
    if (rc == VMHI_OK)
        rc = check_detach(vm, k, f, id);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE))
        rc = prepare_unplug(c, vm, k, id, &pending, &task);
    if (rc == VMHI_OK)
        rc = apply(h, vm, f & VMHI_AFFECT_CONFIG, k, NULL, id);
    if (rc < 0) {
        tb_free(pending);
        tb_free(task);
        return tb_unlock(h, rc);
    }
    if (f & VMHI_AFFECT_CONFIG)
        tb_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    if (f & VMHI_AFFECT_LIVE)
        unplug_live(c, vm, k, id, pending, task);
    else
        tb_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
    if (completion)
        *completion = pending ? VMHI_COMPLETION_PENDING : VMHI_COMPLETION_DONE;
    return tb_unlock(h, VMHI_OK);
}

int tb_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion)
{
    return detach(priv, uuid, &disk_kind, id, flags, completion);
}

int tb_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                  vmhi_completion *completion)
{
    return detach(priv, uuid, &nic_kind, id, flags, completion);
}

static int report_device(const tb_vm *vm, vmhi_device_type type, const char *id,
                         const char *summary, bool live, vmhi_backend_device_add add, void *ctx)
{
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    info.type = type;
    info.state = live && find_pending(vm, type, id) ? VMHI_DEVICE_DETACH_PENDING
                                                    : VMHI_DEVICE_PRESENT;
    info.id = id;
    info.summary = summary;
    info.live = live;
    info.config = vm->def && (type == VMHI_DEVICE_DISK ? tb_config_find_disk(vm->def, id) != NULL
                                                       : tb_config_find_nic(vm->def, id) != NULL);
    return add(ctx, &info);
}

/* Reports the devices of @cfg, skipping those @skip (the live config) has. */
static int report_config(const tb_vm *vm, const vmhi_vm_config *cfg, const vmhi_vm_config *skip,
                         bool live, vmhi_backend_device_add add, void *ctx)
{
    int rc = VMHI_OK;
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (!skip || !tb_config_find_disk(skip, vmhi_disk_get_id(d)))
            rc = report_device(vm, VMHI_DEVICE_DISK, vmhi_disk_get_id(d), vmhi_disk_get_path(d),
                               live, add, ctx);
    }
    n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        if (!skip || !tb_config_find_nic(skip, vmhi_nic_get_id(nic)))
            rc = report_device(vm, VMHI_DEVICE_NIC, vmhi_nic_get_id(nic), vmhi_nic_get_mac(nic),
                               live, add, ctx);
    }
    return rc;
}

int tb_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx)
{
    tb_host *h = ((tb_conn *)priv)->host;
    tb_vm *vm;
    tb_lock(h);
    int rc = tb_host_get_vm(h, uuid, &vm);
    const vmhi_vm_config *live = rc == VMHI_OK && tb_state_is_active(vm->state) ? vm->live : NULL;
    if (rc == VMHI_OK && live)
        rc = report_config(vm, live, NULL, true, add, ctx);
    if (rc == VMHI_OK && vm->def)
        rc = report_config(vm, vm->def, live, false, add, ctx);
    return tb_unlock(h, rc);
}
