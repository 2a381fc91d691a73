/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Disk and NIC attach, detach and listing.
 *
 * Live attach puts the device on a free pcie-root-port provisioned at
 * start: a disk is `blockdev-add` (node "blk<port>") + `device_add
 * virtio-blk-pci`, a NIC `netdev_add user` ("net<port>") + `device_add`.
 * A failed device_add takes its backend away again.
 *
 * Live detach is asynchronous: `device_del` asks the guest to release the
 * device, which stays listed as DETACH_PENDING until QEMU's DEVICE_DELETED
 * event for it (each virtio device also reports its "virtio-backend" path,
 * which is ignored); then its backend is deleted, it leaves the live config
 * and VMHI_EVENT_DEVICE_REMOVED follows.  The request is repeated while
 * it is pending, for guests that were still booting (kvm_nudge.c).  A guest that never answers (no
 * OS, no hotplug driver) leaves it pending until the VM stops, when the
 * event is sent too.  Ids, events and error codes follow the test backend.
 */
#include <stdio.h>
#include <string.h>

#include "kvm.h"

kvm_dev *kvm_dev_find(const kvm_run *run, const char *id)
{
    for (kvm_dev *d = run ? run->devs : NULL; d; d = d->next)
        if (!d->hidden && strcmp(d->id, id) == 0)
            return d;
    return NULL;
}

void kvm_dev_qemu_id(const kvm_dev *d, char *buf, size_t size)
{
    if (d->hidden)
        snprintf(buf, size, "vmhi.gone%u", d->port); /* '.' is never in a VMHI id */
    else
        snprintf(buf, size, "vmhi-%s", d->id);
}

static kvm_dev *find_qemu_id(const kvm_run *run, const char *qdev_id)
{
    char qid[VMHI_DEVICE_ID_MAX + 16];
    for (kvm_dev *d = run ? run->devs : NULL; d; d = d->next) {
        kvm_dev_qemu_id(d, qid, sizeof(qid));
        if (strcmp(qid, qdev_id) == 0)
            return d;
    }
    return NULL;
}

void kvm_devs_free(kvm_dev *d)
{
    while (d) {
        kvm_dev *next = d->next;
        kvm_free(d);
        d = next;
    }
}

static void dev_remove(kvm_run *run, kvm_dev *dev)
{
    for (kvm_dev **p = &run->devs; *p; p = &(*p)->next) {
        if (*p == dev) {
            *p = dev->next;
            kvm_free(dev);
            return;
        }
    }
}

static int free_port(const kvm_run *run, const kvm_vm *vm, unsigned int *port)
{
    for (unsigned int p = 0; p < run->nports; p++) {
        bool used = false;
        for (const kvm_dev *d = run->devs; d && !used; d = d->next)
            used = d->port == p;
        if (!used) {
            *port = p;
            return VMHI_OK;
        }
    }
    return kvm_error(VMHI_E_LIMIT, "kvm: VM '%s' has no free hotplug slot (it got %u PCIe "
                     "root ports at start, %u spare); restart it to get more", vm->name,
                     run->nports, KVM_SPARE_PORTS);
}

/* ---------------------------------------------------------------- attach */

typedef struct attach_req {
    vmhi_device_type type;
    const vmhi_disk *disk;
    const vmhi_nic *nic;
    char id[VMHI_DEVICE_ID_MAX + 1];
    char mac[18];
} attach_req;

static int choose_id(const kvm_vm *vm, unsigned int f, const char *given, const char *prefix,
                     char id[VMHI_DEVICE_ID_MAX + 1])
{
    if (!given || !*given) {
        kvm_config_free_id(prefix, vm->live, vm->def, id);
        return VMHI_OK;
    }
    if (((f & VMHI_AFFECT_LIVE) && kvm_config_has_id(vm->live, given)) ||
        ((f & VMHI_AFFECT_CONFIG) && kvm_config_has_id(vm->def, given)))
        return kvm_error(VMHI_E_EXISTS, "VM '%s' already has a device with id '%s'; choose "
                         "another id or leave it empty", vm->name, given);
    snprintf(id, VMHI_DEVICE_ID_MAX + 1, "%s", given);
    return VMHI_OK;
}

static int check_attach(kvm_host *h, const kvm_vm *vm, unsigned int f, attach_req *r)
{
    const vmhi_vm_config *t[2] = { (f & VMHI_AFFECT_LIVE) ? vm->live : NULL,
                                   (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL };
    int rc = r->disk ? kvm_config_check_disk(r->disk) : kvm_config_check_nic(r->nic);
    for (int i = 0; rc == VMHI_OK && i < 2; i++) {
        if (!t[i])
            continue;
        if (r->disk && kvm_config_find_disk_path(t[i], vmhi_disk_get_path(r->disk)))
            return kvm_error(VMHI_E_EXISTS, "VM '%s' already has disk %s", vm->name,
                             vmhi_disk_get_path(r->disk));
        if (r->nic && vmhi_nic_get_mac(r->nic) &&
            kvm_config_find_nic_mac(t[i], vmhi_nic_get_mac(r->nic)))
            return kvm_error(VMHI_E_EXISTS, "VM '%s' already has a NIC with MAC %s", vm->name,
                             vmhi_nic_get_mac(r->nic));
        size_t have = r->disk ? vmhi_vm_config_get_disk_count(t[i])
                              : vmhi_vm_config_get_nic_count(t[i]);
        if (have >= (r->disk ? KVM_MAX_DISKS : KVM_MAX_NICS))
            return kvm_error(VMHI_E_LIMIT, "VM '%s' has the most %s this backend allows",
                             vm->name, r->disk ? "disks" : "NICs");
    }
    if (rc == VMHI_OK && r->disk && (f & VMHI_AFFECT_LIVE) &&
        kvm_disk_bus(r->disk) != VMHI_DISK_BUS_VIRTIO)
        rc = kvm_error(VMHI_E_UNSUPPORTED, "kvm: only virtio disks can be hot-plugged; attach "
                       "a %s disk with VMHI_AFFECT_CONFIG", vmhi_disk_bus_name(
                           vmhi_disk_get_bus(r->disk)));
    if (rc == VMHI_OK)
        rc = choose_id(vm, f, r->disk ? vmhi_disk_get_id(r->disk) : vmhi_nic_get_id(r->nic),
                       r->disk ? "disk" : "nic", r->id);
    if (rc == VMHI_OK && r->nic && !vmhi_nic_get_mac(r->nic))
        kvm_mac_generate(h, vm->live, r->mac);
    return rc;
}

/* A config with the requested device added, under its final id. */
static int config_with(const kvm_vm *vm, const vmhi_vm_config *cfg, const attach_req *r,
                       vmhi_vm_config **out)
{
    int rc = kvm_config_copy(cfg, out);
    if (rc < 0)
        return rc;
    if (r->disk) {
        vmhi_disk *d = NULL;
        rc = kvm_disk_resolved(r->disk, r->id, &d);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_disk(*out, d);
        vmhi_disk_free(d);
    } else {
        vmhi_nic *n = NULL;
        rc = kvm_nic_resolved(r->nic, r->id, r->mac, &n);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_nic(*out, n);
        vmhi_nic_free(n);
    }
    if (rc < 0) {
        const char *why = kvm_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return kvm_error(rc, "kvm: cannot add the device to VM '%s': %s", vm->name, why);
    }
    return VMHI_OK;
}

/* blockdev-add/netdev_add then device_add on @port. */
static int hotplug(kvm_host *h, const char *uuid, const vmhi_vm_config *cfg, const attach_req *r,
                   unsigned int port)
{
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    char backend[32];
    json_object *args, *dev;
    const char *add_cmd = r->disk ? "blockdev-add" : "netdev_add";
    const char *del_cmd = r->disk ? "blockdev-del" : "netdev_del";
    if (r->disk) {
        const vmhi_disk *d = kvm_config_find_disk(cfg, r->id);
        args = kvm_cmdline_disk_blockdev(d, port);
        dev = kvm_cmdline_disk_device(cfg, d, port, 0);
        snprintf(backend, sizeof(backend), "blk%u", port);
    } else {
        const vmhi_nic *n = kvm_config_find_nic(cfg, r->id);
        args = json_object_new_object();
        snprintf(backend, sizeof(backend), "net%u", port);
        json_object_object_add(args, "type", json_object_new_string("user"));
        json_object_object_add(args, "id", json_object_new_string(backend));
        dev = kvm_cmdline_nic_device(n, port, 0);
    }
    int rc = kvm_qmp_call(h, vm, add_cmd, args, NULL);
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK) {
        rc = kvm_qmp_call(h, vm, "device_add", dev, NULL);
        dev = NULL;
        if (rc < 0 && (vm = kvm_host_find_uuid(h, uuid)) && vm->run) {
            json_object *del = json_object_new_object();
            json_object_object_add(del, r->disk ? "node-name" : "id",
                                   json_object_new_string(backend));
            kvm_qmp_send_async(h, vm->run, del_cmd, del);
        }
    }
    json_object_put(dev);
    return rc;
}

static int attach_live(kvm_conn *c, kvm_vm *vm, const attach_req *r)
{
    kvm_host *h = c->host;
    vmhi_vm_config *live = NULL;
    unsigned int port = 0;
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    int rc = free_port(vm->run, vm, &port);
    if (rc == VMHI_OK)
        rc = config_with(vm, vm->live, r, &live);
    if (rc == VMHI_OK && r->disk)
        rc = kvm_config_create_image(c, r->disk);
    kvm_dev *rec = rc == VMHI_OK ? kvm_alloc(sizeof(*rec)) : NULL;
    if (rc == VMHI_OK && !rec)
        rc = VMHI_E_NOMEM;
    if (rc == VMHI_OK) {
        /* Reserve the port before the lock is released. */
        rec->type = r->type;
        rec->port = port;
        snprintf(rec->id, sizeof(rec->id), "%s", r->id);
        rec->next = vm->run->devs;
        vm->run->devs = rec;
        kvm_run *run = vm->run;
        kvm_run_ref(run);
        rc = hotplug(h, uuid, live, r, port);
        if (rc < 0 && !run->exited)
            dev_remove(run, rec);
        kvm_run_unref(run);
    }
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK) {
        vmhi_vm_config_free(vm->live);
        vm->live = live;
        live = NULL;
        kvm_runstate_save(h, vm);
    }
    vmhi_vm_config_free(live);
    return rc;
}

static int attach(void *priv, const char *uuid, const vmhi_disk *disk, const vmhi_nic *nic,
                  unsigned int flags, char *id_out)
{
    kvm_conn *c = priv;
    kvm_host *h = c->host;
    attach_req r = { .type = disk ? VMHI_DEVICE_DISK : VMHI_DEVICE_NIC, .disk = disk,
                     .nic = nic };
    unsigned int f = 0;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_resolve_affect(vm, flags, disk ? "disk attach" : "NIC attach", &f);
    if (rc == VMHI_OK)
        rc = check_attach(h, vm, f, &r);
    vmhi_vm_config *def = NULL;
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = config_with(vm, vm->def, &r, &def);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE)) {
        kvm_vm_claim(vm);
        rc = attach_live(c, vm, &r);
        kvm_vm_release(h, uuid);
    }
    if (rc == VMHI_OK && def && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK &&
        (rc = kvm_store_save_def(h, uuid, def)) == VMHI_OK && vm->def) {
        vmhi_vm_config_free(vm->def);
        vm->def = def;
        def = NULL;
        kvm_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    }
    vmhi_vm_config_free(def);
    if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid))) {
        kvm_emit(h, vm, VMHI_EVENT_DEVICE_ADDED, r.id, 0);
        if (id_out)
            snprintf(id_out, VMHI_DEVICE_ID_MAX + 1, "%s", r.id);
    }
    return kvm_unlock(h, rc);
}

int kvm_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id)
{
    return attach(priv, uuid, disk, NULL, flags, id);
}

int kvm_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id)
{
    return attach(priv, uuid, NULL, nic, flags, id);
}

/* ---------------------------------------------------------------- detach */

static bool has_device(const vmhi_vm_config *cfg, vmhi_device_type type, const char *id)
{
    return type == VMHI_DEVICE_DISK ? kvm_config_find_disk(cfg, id) != NULL
                                    : kvm_config_find_nic(cfg, id) != NULL;
}

static int without(const kvm_vm *vm, const vmhi_vm_config *cfg, vmhi_device_type type,
                   const char *id, vmhi_vm_config **out)
{
    int rc = kvm_config_copy(cfg, out);
    if (rc == VMHI_OK)
        rc = type == VMHI_DEVICE_DISK ? vmhi_vm_config_remove_disk(*out, id)
                                      : vmhi_vm_config_remove_nic(*out, id);
    if (rc < 0) {
        const char *why = kvm_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return kvm_error(rc, "kvm: cannot remove device '%s' of VM '%s': %s", id, vm->name, why);
    }
    return VMHI_OK;
}

void kvm_devices_deleted(kvm_host *h, kvm_vm *vm, const char *qdev_id)
{
    kvm_run *run = vm->run;
    kvm_dev *d = find_qemu_id(run, qdev_id);
    if (!d)
        return;
    bool hidden = d->hidden; /* its removal was reported at suspend */
    char id[VMHI_DEVICE_ID_MAX + 1], backend[32];
    snprintf(id, sizeof(id), "%s", d->id);
    bool disk = d->type == VMHI_DEVICE_DISK;
    snprintf(backend, sizeof(backend), "%s%u", disk ? "blk" : "net", d->port);
    json_object *args = json_object_new_object();
    json_object_object_add(args, disk ? "node-name" : "id", json_object_new_string(backend));
    kvm_qmp_send_async(h, run, disk ? "blockdev-del" : "netdev_del", args);
    vmhi_vm_config *live = NULL;
    if (!hidden && vm->live && has_device(vm->live, d->type, id) &&
        without(vm, vm->live, d->type, id, &live) == VMHI_OK) {
        vmhi_vm_config_free(vm->live);
        vm->live = live;
    }
    dev_remove(run, d);
    kvm_runstate_save(h, vm);
    pthread_cond_broadcast(&h->changed);
    if (!hidden)
        kvm_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
}

static int check_detach(const kvm_vm *vm, vmhi_device_type type, unsigned int f,
                        const char *id)
{
    const char *noun = type == VMHI_DEVICE_DISK ? "disk" : "NIC";
    const kvm_dev *d = kvm_dev_find(vm->run, id);
    if ((f & VMHI_AFFECT_LIVE) && (!has_device(vm->live, type, id) || !d || d->type != type))
        return kvm_error(VMHI_E_NO_DEVICE, "VM '%s' has no live %s with id '%s'; list its "
                         "devices with vmhi_vm_list_devices()", vm->name, noun, id);
    if ((f & VMHI_AFFECT_LIVE) && d->pending)
        return kvm_error(VMHI_E_BUSY, "the detach of %s '%s' from VM '%s' is already pending; "
                         "wait for VMHI_EVENT_DEVICE_REMOVED", noun, id, vm->name);
    if ((f & VMHI_AFFECT_CONFIG) && !has_device(vm->def, type, id))
        return kvm_error(VMHI_E_NO_DEVICE, "the definition of VM '%s' has no %s with id '%s'",
                         vm->name, noun, id);
    return VMHI_OK;
}

/* device_del; DEVICE_DELETED may even arrive before the reply. */
static int unplug(kvm_host *h, kvm_vm *vm, const char *id, vmhi_completion *completion)
{
    char uuid[VMHI_UUID_STRLEN + 1], qid[VMHI_DEVICE_ID_MAX + 8];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    snprintf(qid, sizeof(qid), "vmhi-%s", id);
    kvm_dev *d = kvm_dev_find(vm->run, id);
    d->pending = true;
    json_object *args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(qid));
    int rc = kvm_qmp_call(h, vm, "device_del", args, NULL);
    vm = kvm_host_find_uuid(h, uuid);
    d = vm ? kvm_dev_find(vm->run, id) : NULL;
    if (rc < 0 && d)
        d->pending = false;
    if (rc == VMHI_OK && vm)
        kvm_runstate_save(h, vm);
    if (rc == VMHI_OK && d && d->pending)
        kvm_nudge_arm(h, vm->run); /* a booting guest may miss the request */
    *completion = d && d->pending ? VMHI_COMPLETION_PENDING : VMHI_COMPLETION_DONE;
    return rc;
}

static int detach(void *priv, const char *uuid, vmhi_device_type type, const char *id,
                  unsigned int flags, vmhi_completion *completion)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    unsigned int f = 0;
    kvm_vm *vm;
    vmhi_vm_config *def = NULL;
    kvm_lock_conn(priv);
    *completion = VMHI_COMPLETION_DONE;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_resolve_affect(vm, flags, type == VMHI_DEVICE_DISK ? "disk detach"
                                                                    : "NIC detach", &f);
    if (rc == VMHI_OK)
        rc = check_detach(vm, type, f, id);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = without(vm, vm->def, type, id, &def);
    if (rc == VMHI_OK && def)
        rc = kvm_store_save_def(h, uuid, def);
    if (rc == VMHI_OK && def) {
        vmhi_vm_config_free(vm->def);
        vm->def = def;
        def = NULL;
        kvm_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
        if (!(f & VMHI_AFFECT_LIVE))
            kvm_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
    }
    vmhi_vm_config_free(def);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE)) {
        kvm_vm_claim(vm);
        rc = unplug(h, vm, id, completion);
        kvm_vm_release(h, uuid);
    }
    return kvm_unlock(h, rc);
}

int kvm_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion)
{
    return detach(priv, uuid, VMHI_DEVICE_DISK, id, flags, completion);
}

int kvm_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion)
{
    return detach(priv, uuid, VMHI_DEVICE_NIC, id, flags, completion);
}

/* ------------------------------------------------------------------ list */

static int report(const kvm_vm *vm, vmhi_device_type type, const char *id, const char *summary,
                  bool live, vmhi_backend_device_add add, void *ctx)
{
    const kvm_dev *d = live ? kvm_dev_find(vm->run, id) : NULL;
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    info.type = type;
    info.state = d && d->pending ? VMHI_DEVICE_DETACH_PENDING : VMHI_DEVICE_PRESENT;
    info.id = id;
    info.summary = summary;
    info.live = live;
    info.config = vm->def && has_device(vm->def, type, id);
    return add(ctx, &info);
}

static int report_config(const kvm_vm *vm, const vmhi_vm_config *cfg, const vmhi_vm_config *skip,
                         bool live, vmhi_backend_device_add add, void *ctx)
{
    int rc = VMHI_OK;
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (!skip || !kvm_config_find_disk(skip, vmhi_disk_get_id(d)))
            rc = report(vm, VMHI_DEVICE_DISK, vmhi_disk_get_id(d), vmhi_disk_get_path(d), live,
                        add, ctx);
    }
    n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        if (!skip || !kvm_config_find_nic(skip, vmhi_nic_get_id(nic)))
            rc = report(vm, VMHI_DEVICE_NIC, vmhi_nic_get_id(nic), vmhi_nic_get_mac(nic), live,
                        add, ctx);
    }
    return rc;
}

int kvm_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = kvm_host_get_vm(h, uuid, &vm);
    const vmhi_vm_config *live = rc == VMHI_OK && vm->run ? vm->live : NULL;
    if (rc == VMHI_OK && live)
        rc = report_config(vm, live, NULL, true, add, ctx);
    if (rc == VMHI_OK && vm->def)
        rc = report_config(vm, vm->def, live, false, add, ctx);
    if (rc == VMHI_OK && !live && !vm->def && vm->live)
        rc = report_config(vm, vm->live, NULL, false, add, ctx); /* crashed transient */
    return kvm_unlock(h, rc);
}
