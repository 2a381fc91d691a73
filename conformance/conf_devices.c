/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Device helpers (conf_devices.h).
 */
#include <stdio.h>
#include <string.h>

#include "conf_devices.h"

const char *conf_kind_name(vmhi_device_type type)
{
    return type == VMHI_DEVICE_DISK ? "disk" : "nic";
}

const char *conf_kind_default_id(vmhi_device_type type)
{
    return type == VMHI_DEVICE_DISK ? "conf-d0" : "conf-n0";
}

vmhi_op conf_kind_attach_op(vmhi_device_type type)
{
    return type == VMHI_DEVICE_DISK ? VMHI_OP_ATTACH_DISK : VMHI_OP_ATTACH_NIC;
}

vmhi_op conf_kind_detach_op(vmhi_device_type type)
{
    return type == VMHI_DEVICE_DISK ? VMHI_OP_DETACH_DISK : VMHI_OP_DETACH_NIC;
}

int conf_attach_disk_path(vmhi_vm *vm, const char *id, const char *path, unsigned int flags)
{
    vmhi_disk *disk = NULL;
    conf_ok(vmhi_disk_new(&disk));
    if (id)
        conf_ok(vmhi_disk_set_id(disk, id));
    conf_ok(vmhi_disk_set_path(disk, path));
    int rc = vmhi_vm_attach_disk(vm, disk, flags, NULL);
    vmhi_disk_free(disk);
    return rc;
}

int conf_attach(vmhi_vm *vm, vmhi_device_type type, const char *id, const char *mac,
                unsigned int flags, char *out)
{
    int rc;
    if (type == VMHI_DEVICE_DISK) {
        char path[512];
        vmhi_disk *disk = NULL;
        conf_disk_path(path, sizeof(path), "attach");
        conf_ok(vmhi_disk_new(&disk));
        if (id)
            conf_ok(vmhi_disk_set_id(disk, id));
        conf_ok(vmhi_disk_set_path(disk, path));
        rc = vmhi_vm_attach_disk(vm, disk, flags, out);
        vmhi_disk_free(disk);
        return rc;
    }
    vmhi_nic *nic = NULL;
    conf_ok(vmhi_nic_new(&nic));
    if (id)
        conf_ok(vmhi_nic_set_id(nic, id));
    if (mac)
        conf_ok(vmhi_nic_set_mac(nic, mac));
    rc = vmhi_vm_attach_nic(vm, nic, flags, out);
    vmhi_nic_free(nic);
    return rc;
}

int conf_detach(vmhi_vm *vm, vmhi_device_type type, const char *id, unsigned int flags,
                vmhi_completion *done)
{
    if (type == VMHI_DEVICE_DISK)
        return vmhi_vm_detach_disk(vm, id, flags, done);
    return vmhi_vm_detach_nic(vm, id, flags, done);
}

conf_listed conf_find_listed(vmhi_vm *vm, const char *id)
{
    conf_listed out;
    memset(&out, 0, sizeof(out));
    vmhi_device_list *list = NULL;
    conf_ok(vmhi_vm_list_devices(vm, &list));
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        conf_ok(vmhi_device_list_get(list, i, &info));
        if (!info.id || strcmp(info.id, id) != 0)
            continue;
        out.count++;
        out.type = info.type;
        out.state = info.state;
        out.live = info.live;
        out.config = info.config;
        snprintf(out.summary, sizeof(out.summary), "%s", info.summary ? info.summary : "");
    }
    vmhi_device_list_free(list);
    return out;
}

size_t conf_config_count(vmhi_vm *vm, vmhi_device_type type, const char *id, bool *has_id)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    size_t n = type == VMHI_DEVICE_DISK ? vmhi_vm_config_get_disk_count(cfg)
                                        : vmhi_vm_config_get_nic_count(cfg);
    bool found = false;
    for (size_t i = 0; id && i < n; i++) {
        const char *dev_id = type == VMHI_DEVICE_DISK
                                 ? vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, i))
                                 : vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i));
        found |= dev_id && strcmp(dev_id, id) == 0;
    }
    if (has_id)
        *has_id = found;
    vmhi_vm_config_free(cfg);
    return n;
}
