/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Calling any operation by its vmhi_op value with valid arguments, so that
 * the capability tests can hold each operation to what
 * vmhi_conn_get_op_caps() says about it; and descriptions with devices.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

void conf_config_add_disk(vmhi_vm_config *cfg, const char *id)
{
    char path[512];
    vmhi_disk *disk = NULL;
    conf_disk_path(path, sizeof(path), "disk");
    conf_ok(vmhi_disk_new(&disk));
    if (id)
        conf_ok(vmhi_disk_set_id(disk, id));
    conf_ok(vmhi_disk_set_path(disk, path));
    conf_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
}

void conf_config_add_nic(vmhi_vm_config *cfg, const char *id)
{
    vmhi_nic *nic = NULL;
    conf_ok(vmhi_nic_new(&nic));
    if (id)
        conf_ok(vmhi_nic_set_id(nic, id));
    conf_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
}

vmhi_vm_config *conf_config_with_devices(void)
{
    vmhi_vm_config *cfg = conf_config_new();
    conf_config_add_disk(cfg, "conf-d0");
    conf_config_add_nic(cfg, "conf-n0");
    return cfg;
}

void conf_discard(vmhi_vm *vm)
{
    if (!vm)
        return;
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    if (vmhi_vm_get_info(vm, &info) == VMHI_OK) {
        if (info.persistent)
            vmhi_vm_undefine(vm, 0);
        if (info.state != VMHI_STATE_SHUTOFF && info.state != VMHI_STATE_SUSPENDED)
            vmhi_vm_poweroff(vm, 0);
    }
    vmhi_vm_free(vm);
}

bool conf_op_takes_affect(vmhi_op op)
{
    switch (op) {
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_SET_MAX_MEMORY:
    case VMHI_OP_SET_VCPUS:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_DETACH_NIC:
    case VMHI_OP_GET_CONFIG:
        return true;
    default:
        return false;
    }
}

static void ignore_event(vmhi_conn *conn, const vmhi_event *ev, void *data)
{
    (void)conn;
    (void)ev;
    (void)data;
}

static int call_new_vm(vmhi_conn *conn, bool transient)
{
    vmhi_vm_config *cfg = conf_config_new();
    vmhi_vm *vm = NULL;
    int rc = transient ? vmhi_vm_create(&vm, conn, cfg, 0) : vmhi_vm_define(&vm, conn, cfg, 0);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    return rc;
}

static int call_list(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    int rc = vmhi_conn_list_vms(conn, 0, &vms, &n);
    vmhi_vm_list_free(vms, n);
    return rc;
}

static int call_inspect(vmhi_vm *vm, vmhi_op op, unsigned int flags)
{
    int rc;
    if (op == VMHI_OP_GET_INFO) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        return vmhi_vm_get_info(vm, &info);
    }
    if (op == VMHI_OP_MEMORY_STATS) {
        vmhi_memory_stats stats = VMHI_MEMORY_STATS_INIT;
        return vmhi_vm_get_memory_stats(vm, &stats);
    }
    if (op == VMHI_OP_VCPU_INFO) {
        vmhi_vcpu_list *list = NULL;
        rc = vmhi_vm_get_vcpus(vm, &list);
        vmhi_vcpu_list_free(list);
        return rc;
    }
    if (op == VMHI_OP_LIST_DEVICES) {
        vmhi_device_list *list = NULL;
        rc = vmhi_vm_list_devices(vm, &list);
        vmhi_device_list_free(list);
        return rc;
    }
    vmhi_vm_config *cfg = NULL;
    rc = vmhi_vm_get_config(vm, &cfg, flags);
    vmhi_vm_config_free(cfg);
    return rc;
}

static int call_attach(vmhi_vm *vm, vmhi_op op, unsigned int flags)
{
    char id[VMHI_DEVICE_ID_MAX + 1];
    int rc;
    if (op == VMHI_OP_ATTACH_DISK) {
        char path[512];
        vmhi_disk *disk = NULL;
        conf_disk_path(path, sizeof(path), "attach");
        conf_ok(vmhi_disk_new(&disk));
        conf_ok(vmhi_disk_set_path(disk, path));
        rc = vmhi_vm_attach_disk(vm, disk, flags, id);
        vmhi_disk_free(disk);
        return rc;
    }
    vmhi_nic *nic = NULL;
    conf_ok(vmhi_nic_new(&nic));
    rc = vmhi_vm_attach_nic(vm, nic, flags, id);
    vmhi_nic_free(nic);
    return rc;
}

int conf_call_op(vmhi_conn *conn, vmhi_vm *vm, vmhi_op op, unsigned int flags)
{
    vmhi_completion done;
    int id = 0, rc;
    switch (op) {
    case VMHI_OP_LIST: return call_list(conn);
    case VMHI_OP_DEFINE: return call_new_vm(conn, false);
    case VMHI_OP_CREATE: return call_new_vm(conn, true);
    case VMHI_OP_UNDEFINE: return vmhi_vm_undefine(vm, 0);
    case VMHI_OP_START: return vmhi_vm_start(vm, 0);
    case VMHI_OP_SHUTDOWN: return vmhi_vm_shutdown(vm, 0, 0);
    case VMHI_OP_POWEROFF: return vmhi_vm_poweroff(vm, 0);
    case VMHI_OP_REBOOT: return vmhi_vm_reboot(vm, 0);
    case VMHI_OP_RESET: return vmhi_vm_reset(vm, 0);
    case VMHI_OP_PAUSE: return vmhi_vm_pause(vm, 0);
    case VMHI_OP_RESUME: return vmhi_vm_resume(vm, 0);
    case VMHI_OP_SUSPEND: return vmhi_vm_suspend(vm, 0);
    case VMHI_OP_SET_MEMORY: return vmhi_vm_set_memory(vm, CONF_MIB(64), flags);
    case VMHI_OP_SET_MAX_MEMORY: return vmhi_vm_set_max_memory(vm, CONF_MIB(128), flags);
    case VMHI_OP_SET_VCPUS: return vmhi_vm_set_vcpus(vm, 1, flags);
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC: return call_attach(vm, op, flags);
    case VMHI_OP_DETACH_DISK: return vmhi_vm_detach_disk(vm, "conf-d0", flags, &done);
    case VMHI_OP_DETACH_NIC: return vmhi_vm_detach_nic(vm, "conf-n0", flags, &done);
    case VMHI_OP_EVENTS:
        rc = vmhi_conn_subscribe(conn, VMHI_EVENT_ALL_1_0, NULL, ignore_event, NULL, NULL, &id);
        if (rc == VMHI_OK)
            vmhi_conn_unsubscribe(conn, id);
        return rc;
    default:
        return call_inspect(vm, op, flags);
    }
}

char *conf_config_xml(const vmhi_vm_config *cfg)
{
    char *xml = NULL;
    conf_ok(vmhi_vm_config_to_xml(cfg, &xml));
    return xml;
}

char *conf_vm_xml(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    char *xml = conf_config_xml(cfg);
    vmhi_vm_config_free(cfg);
    return xml;
}

vmhi_vm_config *conf_config_view(vmhi_conn *conn, vmhi_vm *vm, unsigned int flags)
{
    unsigned int caps = conf_op_caps(conn, VMHI_OP_GET_CONFIG);
    if (((flags & VMHI_AFFECT_LIVE) && !(caps & VMHI_CAP_LIVE)) ||
        ((flags & VMHI_AFFECT_CONFIG) && !(caps & VMHI_CAP_CONFIG)))
        return NULL;
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, flags));
    return cfg;
}
