/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Disk and NIC descriptions.  Setters check their argument first and only
 * then touch the object, so a failed call changes nothing.
 */
#include <string.h>

#include "config_internal.h"

#define CHECK_ARG(cond, what)                                            \
    do {                                                                 \
        if (!(cond))                                                     \
            return vmhi__error(VMHI_E_INVALID_ARG, "%s is NULL", what);  \
    } while (0)

/* Validates an id that may be NULL (= clear) and copies it into @dst. */
static int set_device_id(char dst[VMHI_DEVICE_ID_MAX + 1], const char *id)
{
    if (id) {
        int rc = vmhi__check_device_id(id);
        if (rc < 0)
            return rc;
        vmhi__strlcpy(dst, id, VMHI_DEVICE_ID_MAX + 1);
    } else {
        dst[0] = '\0';
    }
    return VMHI_OK;
}

/* ---------------------------------------------------------------- disks */

int vmhi_disk_new(vmhi_disk **out)
{
    vmhi__error_reset();
    CHECK_ARG(out, "out");
    *out = NULL;
    vmhi_disk *disk = vmhi__calloc(1, sizeof(*disk));
    if (!disk)
        return vmhi__error_oom();
    disk->format = VMHI_DISK_FORMAT_RAW;
    disk->bus = VMHI_DISK_BUS_DEFAULT;
    *out = disk;
    return VMHI_OK;
}

void vmhi_disk_free(vmhi_disk *disk)
{
    if (!disk)
        return;
    vmhi__free(disk->path);
    vmhi__free(disk);
}

int vmhi__disk_copy(vmhi_disk **out, const vmhi_disk *disk)
{
    vmhi_disk *copy = vmhi__malloc(sizeof(*copy));
    if (!copy)
        return vmhi__error_oom();
    *copy = *disk;
    copy->path = NULL;
    if (disk->path && !(copy->path = vmhi__strdup(disk->path))) {
        vmhi__free(copy);
        return vmhi__error_oom();
    }
    *out = copy;
    return VMHI_OK;
}

int vmhi_disk_set_id(vmhi_disk *disk, const char *id)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    return set_device_id(disk->id, id);
}

const char *vmhi_disk_get_id(const vmhi_disk *disk)
{
    return disk && disk->id[0] ? disk->id : NULL;
}

int vmhi_disk_set_path(vmhi_disk *disk, const char *path)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    int rc = vmhi__check_disk_path(path);
    if (rc < 0)
        return rc;
    char *copy = vmhi__strdup(path);
    if (!copy)
        return vmhi__error_oom();
    vmhi__free(disk->path);
    disk->path = copy;
    return VMHI_OK;
}

const char *vmhi_disk_get_path(const vmhi_disk *disk)
{
    return disk ? disk->path : NULL;
}

int vmhi_disk_set_format(vmhi_disk *disk, vmhi_disk_format format)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    if (!vmhi_disk_format_name(format))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "unknown disk format %d (use raw, qcow2 or vmdk)", (int)format);
    disk->format = format;
    return VMHI_OK;
}

vmhi_disk_format vmhi_disk_get_format(const vmhi_disk *disk)
{
    return disk ? disk->format : VMHI_DISK_FORMAT_RAW;
}

int vmhi_disk_set_bus(vmhi_disk *disk, vmhi_disk_bus bus)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    if (!vmhi_disk_bus_name(bus))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "unknown disk bus %d (use virtio, scsi, sata or ide)", (int)bus);
    disk->bus = bus;
    return VMHI_OK;
}

vmhi_disk_bus vmhi_disk_get_bus(const vmhi_disk *disk)
{
    return disk ? disk->bus : VMHI_DISK_BUS_DEFAULT;
}

int vmhi_disk_set_readonly(vmhi_disk *disk, int readonly)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    disk->readonly = readonly != 0;
    return VMHI_OK;
}

int vmhi_disk_get_readonly(const vmhi_disk *disk)
{
    return disk && disk->readonly ? 1 : 0;
}

int vmhi_disk_set_size_mib(vmhi_disk *disk, uint64_t size_mib)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    disk->size_mib = size_mib;
    return VMHI_OK;
}

uint64_t vmhi_disk_get_size_mib(const vmhi_disk *disk)
{
    return disk ? disk->size_mib : 0;
}

int vmhi_disk_set_target(vmhi_disk *disk, const char *target)
{
    vmhi__error_reset();
    CHECK_ARG(disk, "disk");
    if (!target) {
        disk->target[0] = '\0';
        return VMHI_OK;
    }
    int rc = vmhi__check_target(target);
    if (rc < 0)
        return rc;
    vmhi__strlcpy(disk->target, target, sizeof(disk->target));
    return VMHI_OK;
}

const char *vmhi_disk_get_target(const vmhi_disk *disk)
{
    return disk && disk->target[0] ? disk->target : NULL;
}

/* ----------------------------------------------------------------- NICs */

int vmhi_nic_new(vmhi_nic **out)
{
    vmhi__error_reset();
    CHECK_ARG(out, "out");
    *out = NULL;
    vmhi_nic *nic = vmhi__calloc(1, sizeof(*nic));
    if (!nic)
        return vmhi__error_oom();
    nic->model = VMHI_NIC_MODEL_DEFAULT;
    vmhi__strlcpy(nic->network, VMHI__NETWORK_DEFAULT, sizeof(nic->network));
    *out = nic;
    return VMHI_OK;
}

void vmhi_nic_free(vmhi_nic *nic)
{
    vmhi__free(nic);
}

int vmhi__nic_copy(vmhi_nic **out, const vmhi_nic *nic)
{
    vmhi_nic *copy = vmhi__malloc(sizeof(*copy));
    if (!copy)
        return vmhi__error_oom();
    *copy = *nic;
    *out = copy;
    return VMHI_OK;
}

int vmhi_nic_set_id(vmhi_nic *nic, const char *id)
{
    vmhi__error_reset();
    CHECK_ARG(nic, "NIC");
    return set_device_id(nic->id, id);
}

const char *vmhi_nic_get_id(const vmhi_nic *nic)
{
    return nic && nic->id[0] ? nic->id : NULL;
}

int vmhi_nic_set_model(vmhi_nic *nic, vmhi_nic_model model)
{
    vmhi__error_reset();
    CHECK_ARG(nic, "NIC");
    if (!vmhi_nic_model_name(model))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "unknown NIC model %d (use virtio, e1000, vmxnet3 or rtl8139)",
                           (int)model);
    nic->model = model;
    return VMHI_OK;
}

vmhi_nic_model vmhi_nic_get_model(const vmhi_nic *nic)
{
    return nic ? nic->model : VMHI_NIC_MODEL_DEFAULT;
}

int vmhi_nic_set_mac(vmhi_nic *nic, const char *mac)
{
    vmhi__error_reset();
    CHECK_ARG(nic, "NIC");
    if (!mac) {
        nic->mac[0] = '\0';
        return VMHI_OK;
    }
    char normalized[18];
    int rc = vmhi__mac_normalize(mac, normalized);
    if (rc < 0)
        return rc;
    memcpy(nic->mac, normalized, sizeof(nic->mac));
    return VMHI_OK;
}

const char *vmhi_nic_get_mac(const vmhi_nic *nic)
{
    return nic && nic->mac[0] ? nic->mac : NULL;
}

int vmhi_nic_set_network(vmhi_nic *nic, const char *network)
{
    vmhi__error_reset();
    CHECK_ARG(nic, "NIC");
    int rc = vmhi__check_network(network);
    if (rc < 0)
        return rc;
    vmhi__strlcpy(nic->network, network, sizeof(nic->network));
    return VMHI_OK;
}

const char *vmhi_nic_get_network(const vmhi_nic *nic)
{
    return nic ? nic->network : NULL;
}

vmhi_network_kind vmhi_network_kind_of(const char *network)
{
    if (!network)
        return VMHI_NETWORK_NAMED;
    if (strcmp(network, "user") == 0)
        return VMHI_NETWORK_USER;
    if (strncmp(network, "bridge:", 7) == 0)
        return VMHI_NETWORK_BRIDGE;
    return VMHI_NETWORK_NAMED;
}
