/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Device helpers for the Devices tests: attach and detach either kind by
 * a vmhi_device_type, find a device in vmhi_vm_list_devices(), count the
 * devices of a kind in a description.
 */
#ifndef VMHI_CONF_DEVICES_H
#define VMHI_CONF_DEVICES_H

#include "conf.h"

/* What vmhi_vm_list_devices() says about one device (strings copied). */
typedef struct conf_listed {
    int count;                      /* how many entries had the id */
    vmhi_device_type type;
    vmhi_device_state state;
    int live, config;
    char summary[512];
} conf_listed;

const char *conf_kind_name(vmhi_device_type type);
/* The default id the suite's descriptions give each kind ("conf-d0"...). */
const char *conf_kind_default_id(vmhi_device_type type);
vmhi_op conf_kind_attach_op(vmhi_device_type type);
vmhi_op conf_kind_detach_op(vmhi_device_type type);

/* Attaches a new device of @type: a disk at a fresh path or a NIC with
 * @mac (NULL: none); @id NULL lets the backend choose.  Writes the id it
 * got to @out (VMHI_DEVICE_ID_MAX + 1 bytes) and returns the result. */
int conf_attach(vmhi_vm *vm, vmhi_device_type type, const char *id, const char *mac,
                unsigned int flags, char *out);
/* Attaches a disk at @path. */
int conf_attach_disk_path(vmhi_vm *vm, const char *id, const char *path, unsigned int flags);
int conf_detach(vmhi_vm *vm, vmhi_device_type type, const char *id, unsigned int flags,
                vmhi_completion *done);

/* Looks @id up in the VM's device list. */
conf_listed conf_find_listed(vmhi_vm *vm, const char *id);
/* Number of devices of @type in vmhi_vm_get_config(), and whether @id is one. */
size_t conf_config_count(vmhi_vm *vm, vmhi_device_type type, const char *id, bool *has_id);

#endif /* VMHI_CONF_DEVICES_H */
