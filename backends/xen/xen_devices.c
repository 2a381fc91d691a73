/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Disk and NIC hotplug through libxl: blkback "phy" disks and netback vifs.
 * libxl's device removal is synchronous and graceful: it asks the guest's
 * frontend to close and waits for it (then forces it after libxl's own
 * timeout), so a detach is complete when it returns (VMHI_COMPLETION_DONE,
 * no VMHI_CAP_ASYNC).  Devices are found in the domain by what does not
 * move: a disk by its vdev (the VMHI disk target), a NIC by its MAC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen.h"

static const vmhi_disk *find_disk(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = cfg ? vmhi_vm_config_get_disk_count(cfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (strcmp(vmhi_disk_get_id(d), id) == 0)
            return d;
    }
    return NULL;
}

static const vmhi_nic *find_nic(const vmhi_vm_config *cfg, const char *id)
{
    int i = cfg ? xen_nic_index(cfg, id) : -1;
    return i < 0 ? NULL : vmhi_vm_config_get_nic(cfg, (size_t)i);
}

/* DEV-3, DEV-4 for one targeted configuration. */
static int check_new_disk(const xen_vm *vm, const vmhi_vm_config *cfg, const char *id,
                          const char *path)
{
    if (!cfg)
        return VMHI_OK;
    if (find_disk(cfg, id) || find_nic(cfg, id))
        return xen_error(VMHI_E_EXISTS, "xen: VM '%s' already has a device '%s'", vm->name, id);
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++)
        if (strcmp(vmhi_disk_get_path(vmhi_vm_config_get_disk(cfg, i)), path) == 0)
            return xen_error(VMHI_E_EXISTS, "xen: VM '%s' already has a disk of %s", vm->name,
                             path);
    if (n >= XEN_MAX_DISKS)
        return xen_error(VMHI_E_LIMIT, "xen: VM '%s' already has %u disks, the most it may",
                         vm->name, XEN_MAX_DISKS);
    return VMHI_OK;
}

static int check_new_nic(const xen_vm *vm, const vmhi_vm_config *cfg, const char *id,
                         const char *mac)
{
    if (!cfg)
        return VMHI_OK;
    if (find_disk(cfg, id) || find_nic(cfg, id))
        return xen_error(VMHI_E_EXISTS, "xen: VM '%s' already has a device '%s'", vm->name, id);
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; mac && i < n; i++) {
        const char *m = vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i));
        if (m && strcasecmp(m, mac) == 0)
            return xen_error(VMHI_E_EXISTS, "xen: VM '%s' already has a NIC with MAC %s",
                             vm->name, mac);
    }
    if (n >= XEN_MAX_NICS)
        return xen_error(VMHI_E_LIMIT, "xen: VM '%s' already has %u NICs, the most it may",
                         vm->name, XEN_MAX_NICS);
    return VMHI_OK;
}

/* An id no device of either configuration has: <prefix><n>. */
static void new_id(const vmhi_vm_config *a, const vmhi_vm_config *b, const char *prefix,
                   char out[VMHI_DEVICE_ID_MAX + 1])
{
    for (unsigned n = 0;; n++) {
        snprintf(out, VMHI_DEVICE_ID_MAX + 1, "%s%u", prefix, n);
        if (!find_disk(a, out) && !find_nic(a, out) && !find_disk(b, out) && !find_nic(b, out))
            return;
    }
}


/* ----------------------------------------------------------------- disks */

int xen_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id_out)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "device change", &f);
    if (rc < 0)
        return xen_unlock(c, rc);
    const vmhi_vm_config *lv = (f & VMHI_AFFECT_LIVE) ? vm->live : NULL;
    const vmhi_vm_config *df = (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    if (vmhi_disk_get_id(disk))
        snprintf(id, sizeof(id), "%s", vmhi_disk_get_id(disk));
    else
        new_id(vm->live, vm->def, "disk", id);
    rc = check_new_disk(vm, lv, id, vmhi_disk_get_path(disk));
    if (rc == VMHI_OK)
        rc = check_new_disk(vm, df, id, vmhi_disk_get_path(disk));
    vmhi_disk *d = NULL;
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK)
        rc = xen_disk_resolve(vm->live, vm->def, disk, id, &d); /* a target free in both */
    if (rc == VMHI_OK && lv)
        rc = xen_config_with_disk(lv, NULL, d, &live);
    if (rc == VMHI_OK && df)
        rc = xen_config_with_disk(df, NULL, d, &def);
    if (rc == VMHI_OK && live) {
        libxl_device_disk ld;
        rc = xen_disk_build(d, &ld);
        int lrc = rc == VMHI_OK ? libxl_device_disk_add(h->ctx, vm->domid, &ld, NULL) : 0;
        if (lrc)
            rc = xen_libxl_error(lrc, "cannot attach disk '%s' (%s) to VM '%s'", id,
                                 vmhi_disk_get_path(d), vm->name);
        libxl_device_disk_dispose(&ld);
    }
    vmhi_disk_free(d);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    /* A definition that cannot be written after a live attach leaves the
     * disk attached live, and the live configuration says so. */
    if (live)
        xen_vm_set_live(h, vm, live);
    if (def && (rc = xen_vm_set_def(h, vm, def)) < 0 && !live)
        return xen_unlock(c, rc);
    xen_emit(h, vm, VMHI_EVENT_DEVICE_ADDED, id, 0);
    if (id_out)
        snprintf(id_out, VMHI_DEVICE_ID_MAX + 1, "%s", id);
    return xen_unlock(c, rc);
}

static int remove_live_disk(xen_host *h, xen_vm *vm, const vmhi_disk *disk)
{
    libxl_device_disk ld;
    libxl_device_disk_init(&ld);
    int lrc = libxl_vdev_to_device_disk(h->ctx, vm->domid, vmhi_disk_get_target(disk), &ld);
    if (lrc == 0)
        lrc = libxl_device_disk_remove(h->ctx, vm->domid, &ld, NULL);
    libxl_device_disk_dispose(&ld);
    if (lrc)
        return xen_libxl_error(lrc, "cannot detach disk '%s' (%s) from VM '%s'",
                               vmhi_disk_get_id(disk), vmhi_disk_get_target(disk), vm->name);
    return VMHI_OK;
}

int xen_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "device change", &f);
    const vmhi_disk *ld = NULL;
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE) && !(ld = find_disk(vm->live, id)))
        rc = xen_error(VMHI_E_NO_DEVICE, "xen: VM '%s' has no disk '%s' attached", vm->name, id);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG) && !find_disk(vm->def, id))
        rc = xen_error(VMHI_E_NO_DEVICE, "xen: the definition of VM '%s' has no disk '%s'",
                       vm->name, id);
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK && ld)
        rc = xen_config_with_disk(vm->live, id, NULL, &live);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = xen_config_with_disk(vm->def, id, NULL, &def);
    if (rc == VMHI_OK && ld)
        rc = remove_live_disk(h, vm, ld);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live)
        xen_vm_set_live(h, vm, live);
    if (def)
        rc = xen_vm_set_def(h, vm, def);
    if (rc == VMHI_OK || live) {
        xen_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
        *completion = VMHI_COMPLETION_DONE;
    }
    return xen_unlock(c, rc);
}

/* ------------------------------------------------------------------ NICs */

int xen_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id_out)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "device change", &f);
    if (rc < 0)
        return xen_unlock(c, rc);
    const vmhi_vm_config *lv = (f & VMHI_AFFECT_LIVE) ? vm->live : NULL;
    const vmhi_vm_config *df = (f & VMHI_AFFECT_CONFIG) ? vm->def : NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    if (vmhi_nic_get_id(nic))
        snprintf(id, sizeof(id), "%s", vmhi_nic_get_id(nic));
    else
        new_id(vm->live, vm->def, "nic", id);
    rc = check_new_nic(vm, lv, id, vmhi_nic_get_mac(nic));
    if (rc == VMHI_OK)
        rc = check_new_nic(vm, df, id, vmhi_nic_get_mac(nic));
    vmhi_nic *n = NULL;
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK)
        rc = xen_nic_resolve(h, vm->live ? vm->live : vm->def, nic, id, &n);
    if (rc == VMHI_OK && lv)
        rc = xen_config_with_nic(lv, NULL, n, &live);
    if (rc == VMHI_OK && df)
        rc = xen_config_with_nic(df, NULL, n, &def);
    if (rc == VMHI_OK && live) {
        libxl_device_nic ln;
        rc = xen_nic_build(n, -1, &ln); /* -1: libxl picks the next free devid */
        int lrc = rc == VMHI_OK ? libxl_device_nic_add(h->ctx, vm->domid, &ln, NULL) : 0;
        if (lrc)
            rc = xen_libxl_error(lrc, "cannot attach NIC '%s' to VM '%s'", id, vm->name);
        libxl_device_nic_dispose(&ln);
    }
    vmhi_nic_free(n);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live)
        xen_vm_set_live(h, vm, live);
    if (def && (rc = xen_vm_set_def(h, vm, def)) < 0 && !live)
        return xen_unlock(c, rc);
    xen_emit(h, vm, VMHI_EVENT_DEVICE_ADDED, id, 0);
    if (id_out)
        snprintf(id_out, VMHI_DEVICE_ID_MAX + 1, "%s", id);
    return xen_unlock(c, rc);
}

static int remove_live_nic(xen_host *h, xen_vm *vm, const vmhi_nic *nic)
{
    int num = 0, lrc = ERROR_NOTFOUND;
    libxl_device_nic *list = libxl_device_nic_list(h->ctx, vm->domid, &num);
    char mac[18];
    for (int i = 0; i < num; i++) {
        snprintf(mac, sizeof(mac), LIBXL_MAC_FMT, LIBXL_MAC_BYTES(list[i].mac));
        if (strcasecmp(mac, vmhi_nic_get_mac(nic)) == 0) {
            lrc = libxl_device_nic_remove(h->ctx, vm->domid, &list[i], NULL);
            break;
        }
    }
    if (list)
        libxl_device_nic_list_free(list, num);
    if (lrc)
        return xen_libxl_error(lrc, "cannot detach NIC '%s' (%s) from VM '%s'",
                               vmhi_nic_get_id(nic), vmhi_nic_get_mac(nic), vm->name);
    return VMHI_OK;
}

int xen_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion)
{
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    unsigned f = 0;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = xen_resolve_affect(vm, flags, "device change", &f);
    const vmhi_nic *ln = NULL;
    if (rc == VMHI_OK && (f & VMHI_AFFECT_LIVE) && !(ln = find_nic(vm->live, id)))
        rc = xen_error(VMHI_E_NO_DEVICE, "xen: VM '%s' has no NIC '%s' attached", vm->name, id);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG) && !find_nic(vm->def, id))
        rc = xen_error(VMHI_E_NO_DEVICE, "xen: the definition of VM '%s' has no NIC '%s'",
                       vm->name, id);
    vmhi_vm_config *live = NULL, *def = NULL;
    if (rc == VMHI_OK && ln)
        rc = xen_config_with_nic(vm->live, id, NULL, &live);
    if (rc == VMHI_OK && (f & VMHI_AFFECT_CONFIG))
        rc = xen_config_with_nic(vm->def, id, NULL, &def);
    if (rc == VMHI_OK && ln)
        rc = remove_live_nic(h, vm, ln);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    if (live)
        xen_vm_set_live(h, vm, live);
    if (def)
        rc = xen_vm_set_def(h, vm, def);
    if (rc == VMHI_OK || live) {
        xen_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
        *completion = VMHI_COMPLETION_DONE;
    }
    return xen_unlock(c, rc);
}

/* ------------------------------------------------------------------ list */

static int report(vmhi_backend_device_add add, void *ctx, vmhi_device_type type,
                  const char *id, const char *summary, int live, int config)
{
    vmhi_device_info info;
    memset(&info, 0, sizeof(info));
    info.version = VMHI_DEVICE_INFO_VERSION;
    info.type = type;
    info.state = VMHI_DEVICE_PRESENT;
    info.id = id;
    info.summary = summary;
    info.live = live;
    info.config = config;
    return add(ctx, &info);
}

/* DEV-15: the live configuration's devices, then those only defined. */
static int report_config(const vmhi_vm_config *cfg, const vmhi_vm_config *other, bool is_live,
                         vmhi_backend_device_add add, void *ctx)
{
    int rc = VMHI_OK;
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        bool in_other = other && find_disk(other, vmhi_disk_get_id(d));
        if (!is_live && in_other)
            continue; /* reported with the live devices */
        rc = report(add, ctx, VMHI_DEVICE_DISK, vmhi_disk_get_id(d), vmhi_disk_get_path(d),
                    is_live, is_live ? in_other : 1);
    }
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++) {
        const vmhi_nic *n = vmhi_vm_config_get_nic(cfg, i);
        bool in_other = other && find_nic(other, vmhi_nic_get_id(n));
        if (!is_live && in_other)
            continue;
        rc = report(add, ctx, VMHI_DEVICE_NIC, vmhi_nic_get_id(n), vmhi_nic_get_mac(n), is_live,
                    is_live ? in_other : 1);
    }
    return rc;
}

int xen_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(c->host, uuid, &vm);
    if (rc == VMHI_OK && vm->live)
        rc = report_config(vm->live, vm->def, true, add, ctx);
    if (rc == VMHI_OK && vm->def)
        rc = report_config(vm->def, vm->live, false, add, ctx);
    return xen_unlock(c, rc);
}
