/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Memory, vCPU and device calls, and the vCPU / device lists.
 */
#include <string.h>

#include "core.h"

#define AFFECT_BITS (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG)

static int check_vm_affect(const vmhi_vm *vm, unsigned int flags)
{
    int rc = vmhi__check_vm(vm);
    if (rc)
        return rc;
    if (flags & ~AFFECT_BITS)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "flags 0x%x: only VMHI_AFFECT_LIVE and VMHI_AFFECT_CONFIG are allowed",
                           flags);
    return VMHI_OK;
}

/* ----------------------------------------------------------- memory */

int vmhi_vm_set_memory(vmhi_vm *vm, uint64_t mib, unsigned int flags)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    if (mib == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "memory size must be at least 1 MiB");
    rc = vmhi__check_memory(conn, mib, "memory");
    if (rc)
        return rc;
    rc = vmhi__op_ready(conn, VMHI_OP_SET_MEMORY, conn->ops->set_memory != NULL, flags);
    if (rc)
        return rc;
    vmhi__conn_lock(conn);
    rc = conn->ops->set_memory(conn->priv, vm->uuid, mib, flags);
    vmhi__conn_unlock(conn);
    return vmhi__backend_result(conn, rc, "set-memory");
}

int vmhi_vm_set_max_memory(vmhi_vm *vm, uint64_t mib, unsigned int flags)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    /* Live changes are gated on the backend's VMHI_CAP_LIVE by op_ready
     * below: libxl can raise a running domain's maximum, QEMU cannot. */
    if (mib == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "maximum memory must be at least 1 MiB");
    rc = vmhi__check_memory(conn, mib, "maximum memory");
    if (rc)
        return rc;
    rc = vmhi__op_ready(conn, VMHI_OP_SET_MAX_MEMORY, conn->ops->set_max_memory != NULL, flags);
    if (rc)
        return rc;
    vmhi__conn_lock(conn);
    rc = conn->ops->set_max_memory(conn->priv, vm->uuid, mib, flags);
    vmhi__conn_unlock(conn);
    return vmhi__backend_result(conn, rc, "set-max-memory");
}

int vmhi_vm_get_memory_stats(vmhi_vm *vm, vmhi_memory_stats *stats)
{
    vmhi__error_reset();
    int rc = vmhi__check_vm(vm);
    if (rc)
        return rc;
    if (!stats)
        return vmhi__error(VMHI_E_INVALID_ARG, "stats pointer is NULL");
    if (stats->version == 0 || stats->version > VMHI_MEMORY_STATS_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_memory_stats.version is %u; initialize it with "
                           "VMHI_MEMORY_STATS_INIT",
                           stats->version);
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_MEMORY_STATS, conn->ops->get_memory_stats != NULL, 0);
    if (rc)
        return rc;
    vmhi_memory_stats full = VMHI_MEMORY_STATS_INIT;
    vmhi__conn_lock(conn);
    rc = conn->ops->get_memory_stats(conn->priv, vm->uuid, &full);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "memory-stats");
    if (!rc)
        *stats = full;
    return rc;
}

/* ------------------------------------------------------------ vCPUs */

int vmhi_vm_set_vcpus(vmhi_vm *vm, unsigned int count, unsigned int flags)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    if (count == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "a VM needs at least 1 vCPU");
    uint64_t max = vmhi__conn_limit(conn, VMHI_LIMIT_MAX_VCPUS, UINT64_MAX);
    if (count > max)
        return vmhi__error(VMHI_E_LIMIT, "%u vCPUs requested; the host allows at most %llu",
                           count, (unsigned long long)max);
    rc = vmhi__op_ready(conn, VMHI_OP_SET_VCPUS, conn->ops->set_vcpus != NULL, flags);
    if (rc)
        return rc;
    vmhi__conn_lock(conn);
    rc = conn->ops->set_vcpus(conn->priv, vm->uuid, count, flags);
    vmhi__conn_unlock(conn);
    return vmhi__backend_result(conn, rc, "set-vcpus");
}

struct vmhi_vcpu_list {
    size_t count;
    size_t cap;
    vmhi_vcpu_info *items;
};

static int vcpu_add(void *opaque, const vmhi_vcpu_info *info)
{
    vmhi_vcpu_list *list = opaque;
    if (!info)
        return vmhi__error(VMHI_E_INTERNAL, "backend reported a NULL vCPU");
    if (vmhi__array_reserve(&list->items, &list->cap, list->count, sizeof(*list->items)))
        return VMHI_E_NOMEM;
    vmhi_vcpu_info item = VMHI_VCPU_INFO_INIT;
    item.id = info->id;
    item.online = info->online;
    item.host_cpu = info->host_cpu;
    item.cpu_time_ns = info->cpu_time_ns;
    item.thread_id = info->thread_id;
    list->items[list->count++] = item;
    return VMHI_OK;
}

int vmhi_vm_get_vcpus(vmhi_vm *vm, vmhi_vcpu_list **out)
{
    vmhi__error_reset();
    int rc = vmhi__check_vm(vm);
    if (rc)
        return rc;
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer is NULL");
    *out = NULL;
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_VCPU_INFO, conn->ops->get_vcpus != NULL, 0);
    if (rc)
        return rc;
    vmhi_vcpu_list *list = vmhi__calloc(1, sizeof(*list));
    if (!list)
        return vmhi__error_oom();
    vmhi__conn_lock(conn);
    rc = conn->ops->get_vcpus(conn->priv, vm->uuid, vcpu_add, list);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "vcpu-info");
    if (rc) {
        vmhi_vcpu_list_free(list);
        return rc;
    }
    *out = list;
    return VMHI_OK;
}

size_t vmhi_vcpu_list_count(const vmhi_vcpu_list *list)
{
    return list ? list->count : 0;
}

int vmhi_vcpu_list_get(const vmhi_vcpu_list *list, size_t index, vmhi_vcpu_info *info)
{
    vmhi__error_reset();
    if (!list || !info)
        return vmhi__error(VMHI_E_INVALID_ARG, "list or info pointer is NULL");
    if (info->version == 0 || info->version > VMHI_VCPU_INFO_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_vcpu_info.version is %u; initialize it with VMHI_VCPU_INFO_INIT",
                           info->version);
    if (index >= list->count)
        return vmhi__error(VMHI_E_INVALID_ARG, "index %zu is out of range (%zu vCPUs)", index,
                           list->count);
    *info = list->items[index];
    return VMHI_OK;
}

void vmhi_vcpu_list_free(vmhi_vcpu_list *list)
{
    if (!list)
        return;
    vmhi__free(list->items);
    vmhi__free(list);
}

/* ---------------------------------------------------------- devices */

static int check_optional_id(const char *id)
{
    return id ? vmhi__check_device_id(id) : VMHI_OK;
}

int vmhi_vm_attach_disk(vmhi_vm *vm, const vmhi_disk *disk, unsigned int flags, char *id)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (rc)
        return rc;
    if (!disk)
        return vmhi__error(VMHI_E_INVALID_ARG, "disk is NULL");
    if (!vmhi_disk_get_path(disk))
        return vmhi__error(VMHI_E_INVALID_ARG, "disk has no path; set one with vmhi_disk_set_path");
    rc = check_optional_id(vmhi_disk_get_id(disk));
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_ATTACH_DISK, conn->ops->attach_disk != NULL, flags);
    if (!rc)
        rc = vmhi__check_disk_values(conn, disk);
    if (rc)
        return rc;
    char got[VMHI_DEVICE_ID_MAX + 1] = "";
    vmhi__conn_lock(conn);
    rc = conn->ops->attach_disk(conn->priv, vm->uuid, disk, flags, got);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "attach-disk");
    if (!rc && id)
        vmhi__strlcpy(id, got, VMHI_DEVICE_ID_MAX + 1);
    return rc;
}

int vmhi_vm_attach_nic(vmhi_vm *vm, const vmhi_nic *nic, unsigned int flags, char *id)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (rc)
        return rc;
    if (!nic)
        return vmhi__error(VMHI_E_INVALID_ARG, "NIC is NULL");
    rc = check_optional_id(vmhi_nic_get_id(nic));
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_ATTACH_NIC, conn->ops->attach_nic != NULL, flags);
    if (!rc)
        rc = vmhi__check_nic_values(conn, nic);
    if (rc)
        return rc;
    char got[VMHI_DEVICE_ID_MAX + 1] = "";
    vmhi__conn_lock(conn);
    rc = conn->ops->attach_nic(conn->priv, vm->uuid, nic, flags, got);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "attach-nic");
    if (!rc && id)
        vmhi__strlcpy(id, got, VMHI_DEVICE_ID_MAX + 1);
    return rc;
}

typedef int (*detach_slot)(void *priv, const char *uuid, const char *id, unsigned int flags,
                           vmhi_completion *completion);

static int detach(vmhi_vm *vm, vmhi_op op, const char *id, unsigned int flags,
                  vmhi_completion *completion)
{
    vmhi__error_reset();
    int rc = check_vm_affect(vm, flags);
    if (!rc)
        rc = vmhi__check_device_id(id);
    if (rc)
        return rc;
    vmhi_conn *conn = vm->conn;
    detach_slot slot = op == VMHI_OP_DETACH_DISK ? conn->ops->detach_disk : conn->ops->detach_nic;
    rc = vmhi__op_ready(conn, op, slot != NULL, flags);
    if (rc)
        return rc;
    vmhi_completion done = VMHI_COMPLETION_DONE;
    vmhi__conn_lock(conn);
    rc = slot(conn->priv, vm->uuid, id, flags, &done);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, vmhi_op_name(op));
    if (!rc && completion)
        *completion = done;
    return rc;
}

int vmhi_vm_detach_disk(vmhi_vm *vm, const char *id, unsigned int flags,
                        vmhi_completion *completion)
{
    return detach(vm, VMHI_OP_DETACH_DISK, id, flags, completion);
}

int vmhi_vm_detach_nic(vmhi_vm *vm, const char *id, unsigned int flags,
                       vmhi_completion *completion)
{
    return detach(vm, VMHI_OP_DETACH_NIC, id, flags, completion);
}

struct device_item {
    vmhi_device_info info;
    char *id;
    char *summary;
};

struct vmhi_device_list {
    size_t count;
    size_t cap;
    struct device_item *items;
};

static int device_add(void *opaque, const vmhi_device_info *info)
{
    vmhi_device_list *list = opaque;
    if (!info || !info->id)
        return vmhi__error(VMHI_E_INTERNAL, "backend reported a device without an id");
    if (vmhi__array_reserve(&list->items, &list->cap, list->count, sizeof(*list->items)))
        return VMHI_E_NOMEM;
    struct device_item *item = &list->items[list->count];
    item->id = vmhi__strdup(info->id);
    item->summary = vmhi__strdup(info->summary ? info->summary : "");
    if (!item->id || !item->summary) {
        vmhi__free(item->id);
        vmhi__free(item->summary);
        return vmhi__error_oom();
    }
    vmhi_device_info copy = VMHI_DEVICE_INFO_INIT;
    copy.type = info->type;
    copy.state = info->state;
    copy.live = info->live;
    copy.config = info->config;
    copy.id = item->id;
    copy.summary = item->summary;
    item->info = copy;
    list->count++;
    return VMHI_OK;
}

int vmhi_vm_list_devices(vmhi_vm *vm, vmhi_device_list **out)
{
    vmhi__error_reset();
    int rc = vmhi__check_vm(vm);
    if (rc)
        return rc;
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "output pointer is NULL");
    *out = NULL;
    vmhi_conn *conn = vm->conn;
    rc = vmhi__op_ready(conn, VMHI_OP_LIST_DEVICES, conn->ops->list_devices != NULL, 0);
    if (rc)
        return rc;
    vmhi_device_list *list = vmhi__calloc(1, sizeof(*list));
    if (!list)
        return vmhi__error_oom();
    vmhi__conn_lock(conn);
    rc = conn->ops->list_devices(conn->priv, vm->uuid, device_add, list);
    vmhi__conn_unlock(conn);
    rc = vmhi__backend_result(conn, rc, "list-devices");
    if (rc) {
        vmhi_device_list_free(list);
        return rc;
    }
    *out = list;
    return VMHI_OK;
}

size_t vmhi_device_list_count(const vmhi_device_list *list)
{
    return list ? list->count : 0;
}

int vmhi_device_list_get(const vmhi_device_list *list, size_t index, vmhi_device_info *info)
{
    vmhi__error_reset();
    if (!list || !info)
        return vmhi__error(VMHI_E_INVALID_ARG, "list or info pointer is NULL");
    if (info->version == 0 || info->version > VMHI_DEVICE_INFO_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vmhi_device_info.version is %u; initialize it with "
                           "VMHI_DEVICE_INFO_INIT",
                           info->version);
    if (index >= list->count)
        return vmhi__error(VMHI_E_INVALID_ARG, "index %zu is out of range (%zu devices)", index,
                           list->count);
    *info = list->items[index].info;
    return VMHI_OK;
}

void vmhi_device_list_free(vmhi_device_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        vmhi__free(list->items[i].id);
        vmhi__free(list->items[i].summary);
    }
    vmhi__free(list->items);
    vmhi__free(list);
}
