/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The VM description: construction, copy, setters and getters, and the
 * device lists.  Setters validate first and only then write, so a failed
 * call leaves the config as it was.  Cross-field rules live in
 * config_check.c.
 */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

#define CHECK_ARG(cond, what)                                            \
    do {                                                                 \
        if (!(cond))                                                     \
            return vmhi__error(VMHI_E_INVALID_ARG, "%s is NULL", what);  \
    } while (0)

int vmhi_vm_config_new(vmhi_vm_config **out)
{
    vmhi__error_reset();
    CHECK_ARG(out, "out");
    *out = NULL;
    vmhi_vm_config *cfg = vmhi__calloc(1, sizeof(*cfg));
    if (!cfg)
        return vmhi__error_oom();
    cfg->vcpus = cfg->max_vcpus = 1;
    cfg->memory_mib = cfg->max_memory_mib = 512;
    cfg->guest_type = VMHI_GUEST_DEFAULT;
    cfg->firmware = VMHI_FIRMWARE_BIOS;
    cfg->boot_count = 0; /* the backend's own order */
    *out = cfg;
    return VMHI_OK;
}

void vmhi_vm_config_free(vmhi_vm_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->disk_count; i++)
        vmhi_disk_free(cfg->disks[i]);
    for (size_t i = 0; i < cfg->nic_count; i++)
        vmhi_nic_free(cfg->nics[i]);
    vmhi__config_free_extras(cfg);
    vmhi__free(cfg);
}

int vmhi_vm_config_copy(vmhi_vm_config **out, const vmhi_vm_config *cfg)
{
    vmhi__error_reset();
    CHECK_ARG(out, "out");
    *out = NULL;
    CHECK_ARG(cfg, "config");
    vmhi_vm_config *copy = vmhi__malloc(sizeof(*copy));
    if (!copy)
        return vmhi__error_oom();
    *copy = *cfg;
    copy->disk_count = copy->nic_count = 0; /* so a partial copy frees cleanly */
    if (vmhi__config_copy_extras(copy, cfg) < 0) {
        vmhi__free(copy);
        return vmhi__error_oom();
    }
    for (size_t i = 0; i < cfg->disk_count; i++, copy->disk_count++) {
        if (vmhi__disk_copy(&copy->disks[i], cfg->disks[i]) < 0)
            goto oom;
    }
    for (size_t i = 0; i < cfg->nic_count; i++, copy->nic_count++) {
        if (vmhi__nic_copy(&copy->nics[i], cfg->nics[i]) < 0)
            goto oom;
    }
    *out = copy;
    return VMHI_OK;
oom:
    vmhi_vm_config_free(copy);
    return vmhi__error_oom();
}

/* ------------------------------------------------------------ identity */

int vmhi_vm_config_set_name(vmhi_vm_config *cfg, const char *name)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    int rc = vmhi__check_name(name);
    if (rc < 0)
        return rc;
    if (!vmhi__utf8_valid(name, strlen(name)))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "VM name contains U+FFFE or U+FFFF, which XML cannot carry");
    vmhi__strlcpy(cfg->name, name, sizeof(cfg->name));
    return VMHI_OK;
}

const char *vmhi_vm_config_get_name(const vmhi_vm_config *cfg)
{
    return cfg && cfg->name[0] ? cfg->name : NULL;
}

int vmhi_vm_config_set_uuid(vmhi_vm_config *cfg, const char *uuid)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (!uuid) {
        cfg->uuid[0] = '\0';
        return VMHI_OK;
    }
    char normalized[VMHI_UUID_STRLEN + 1];
    int rc = vmhi__uuid_normalize(uuid, normalized);
    if (rc < 0)
        return rc;
    memcpy(cfg->uuid, normalized, sizeof(cfg->uuid));
    return VMHI_OK;
}

const char *vmhi_vm_config_get_uuid(const vmhi_vm_config *cfg)
{
    return cfg && cfg->uuid[0] ? cfg->uuid : NULL;
}

/* ------------------------------------------------------ vCPUs, memory */

int vmhi_vm_config_set_vcpus(vmhi_vm_config *cfg, unsigned int vcpus)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (vcpus < 1)
        return vmhi__error(VMHI_E_INVALID_ARG, "vcpus must be at least 1");
    cfg->vcpus = vcpus;
    if (!cfg->max_vcpus_set)
        cfg->max_vcpus = vcpus; /* an unset maximum follows the current count */
    return VMHI_OK;
}

unsigned int vmhi_vm_config_get_vcpus(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->vcpus : 0;
}

int vmhi_vm_config_set_max_vcpus(vmhi_vm_config *cfg, unsigned int max_vcpus)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (max_vcpus < 1)
        return vmhi__error(VMHI_E_INVALID_ARG, "max_vcpus must be at least 1");
    cfg->max_vcpus = max_vcpus;
    cfg->max_vcpus_set = true;
    return VMHI_OK;
}

unsigned int vmhi_vm_config_get_max_vcpus(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->max_vcpus : 0;
}

int vmhi_vm_config_set_memory_mib(vmhi_vm_config *cfg, uint64_t mib)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (mib < 1)
        return vmhi__error(VMHI_E_INVALID_ARG, "memory must be at least 1 MiB");
    cfg->memory_mib = mib;
    if (!cfg->max_memory_set)
        cfg->max_memory_mib = mib;
    return VMHI_OK;
}

uint64_t vmhi_vm_config_get_memory_mib(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->memory_mib : 0;
}

int vmhi_vm_config_set_max_memory_mib(vmhi_vm_config *cfg, uint64_t mib)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (mib < 1)
        return vmhi__error(VMHI_E_INVALID_ARG, "max_memory must be at least 1 MiB");
    cfg->max_memory_mib = mib;
    cfg->max_memory_set = true;
    return VMHI_OK;
}

uint64_t vmhi_vm_config_get_max_memory_mib(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->max_memory_mib : 0;
}

/* -------------------------------------------------------- firmware, boot */

int vmhi_vm_config_set_firmware(vmhi_vm_config *cfg, vmhi_firmware fw)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    if (!vmhi_firmware_name(fw))
        return vmhi__error(VMHI_E_INVALID_ARG, "unknown firmware %d (use bios or uefi)",
                           (int)fw);
    cfg->firmware = fw;
    return VMHI_OK;
}

vmhi_firmware vmhi_vm_config_get_firmware(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->firmware : VMHI_FIRMWARE_BIOS;
}

int vmhi_vm_config_set_boot_order(vmhi_vm_config *cfg, const vmhi_boot_dev *order, size_t count)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(order || count == 0, "boot order");
    int rc = vmhi__check_boot_order(order, count);
    if (rc < 0)
        return rc;
    if (count)
        memcpy(cfg->boot, order, count * sizeof(order[0]));
    cfg->boot_count = count;
    return VMHI_OK;
}

int vmhi_vm_config_get_boot_order(const vmhi_vm_config *cfg, vmhi_boot_dev *order,
                                  size_t *count)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(order, "order");
    CHECK_ARG(count, "count");
    if (cfg->boot_count)
        memcpy(order, cfg->boot, cfg->boot_count * sizeof(order[0]));
    *count = cfg->boot_count;
    return VMHI_OK;
}

/* ---------------------------------------------------------------- disks */

static const vmhi_disk *find_disk(const vmhi_vm_config *cfg, const char *id, size_t *index)
{
    for (size_t i = 0; i < cfg->disk_count; i++) {
        if (strcmp(cfg->disks[i]->id, id) == 0) {
            if (index)
                *index = i;
            return cfg->disks[i];
        }
    }
    return NULL;
}

static const vmhi_nic *find_nic(const vmhi_vm_config *cfg, const char *id, size_t *index)
{
    for (size_t i = 0; i < cfg->nic_count; i++) {
        if (strcmp(cfg->nics[i]->id, id) == 0) {
            if (index)
                *index = i;
            return cfg->nics[i];
        }
    }
    return NULL;
}

/* Device ids are unique across disks and NICs (spec requirement CFG-4),
 * so that one id names one device of the VM. */
static const char *device_kind_using(const vmhi_vm_config *cfg, const char *id)
{
    if (find_disk(cfg, id, NULL))
        return "disk";
    if (find_nic(cfg, id, NULL))
        return "NIC";
    return NULL;
}

/* Writes the first "<prefix>N" that no device uses yet. */
static void first_free_id(const vmhi_vm_config *cfg, const char *prefix,
                          char id[VMHI_DEVICE_ID_MAX + 1])
{
    for (unsigned n = 0;; n++) {
        snprintf(id, VMHI_DEVICE_ID_MAX + 1, "%s%u", prefix, n);
        if (!device_kind_using(cfg, id))
            return;
    }
}

static int id_conflict(const vmhi_vm_config *cfg, const char *id, vmhi__dup_field *dup)
{
    const char *kind = id[0] ? device_kind_using(cfg, id) : NULL;
    if (!kind)
        return VMHI_OK;
    *dup = VMHI__DUP_ID;
    return vmhi__error(VMHI_E_EXISTS, "device id \"%s\" is already used by a %s", id, kind);
}

static int disk_conflict(const vmhi_vm_config *cfg, const vmhi_disk *disk, vmhi__dup_field *dup)
{
    int rc = id_conflict(cfg, disk->id, dup);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < cfg->disk_count; i++) {
        if (strcmp(cfg->disks[i]->path, disk->path) == 0) {
            *dup = VMHI__DUP_PATH;
            return vmhi__error(VMHI_E_EXISTS, "disk path \"%.64s\" is already used by disk \"%s\"",
                               disk->path, cfg->disks[i]->id);
        }
    }
    return VMHI_OK;
}

int vmhi__config_take_disk(vmhi_vm_config *cfg, vmhi_disk *disk, vmhi__dup_field *dup)
{
    vmhi__dup_field ignored;
    if (!dup)
        dup = &ignored;
    *dup = VMHI__DUP_NONE;
    if (!disk->path)
        return vmhi__error(VMHI_E_INVALID_ARG, "disk has no path (set one first)");
    if (cfg->disk_count >= VMHI__DISKS_MAX)
        return vmhi__error(VMHI_E_LIMIT, "a VM has at most %d disks", VMHI__DISKS_MAX);
    int rc = disk_conflict(cfg, disk, dup);
    if (rc < 0)
        return rc;
    if (!disk->id[0])
        first_free_id(cfg, "disk", disk->id);
    cfg->disks[cfg->disk_count++] = disk;
    return VMHI_OK;
}

int vmhi_vm_config_add_disk(vmhi_vm_config *cfg, const vmhi_disk *disk)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(disk, "disk");
    vmhi_disk *copy;
    int rc = vmhi__disk_copy(&copy, disk);
    if (rc < 0)
        return rc;
    rc = vmhi__config_take_disk(cfg, copy, NULL);
    if (rc < 0)
        vmhi_disk_free(copy);
    return rc;
}

size_t vmhi_vm_config_get_disk_count(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->disk_count : 0;
}

const vmhi_disk *vmhi_vm_config_get_disk(const vmhi_vm_config *cfg, size_t index)
{
    return cfg && index < cfg->disk_count ? cfg->disks[index] : NULL;
}

int vmhi_vm_config_remove_disk(vmhi_vm_config *cfg, const char *id)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(id, "disk id");
    size_t i;
    if (!find_disk(cfg, id, &i))
        return vmhi__error(VMHI_E_NO_DEVICE, "no disk with id \"%.64s\"", id);
    vmhi_disk_free(cfg->disks[i]);
    memmove(&cfg->disks[i], &cfg->disks[i + 1], (cfg->disk_count - i - 1) * sizeof(cfg->disks[0]));
    cfg->disk_count--;
    return VMHI_OK;
}

/* ----------------------------------------------------------------- NICs */

int vmhi__config_take_nic(vmhi_vm_config *cfg, vmhi_nic *nic, vmhi__dup_field *dup)
{
    vmhi__dup_field ignored;
    if (!dup)
        dup = &ignored;
    *dup = VMHI__DUP_NONE;
    if (cfg->nic_count >= VMHI__NICS_MAX)
        return vmhi__error(VMHI_E_LIMIT, "a VM has at most %d NICs", VMHI__NICS_MAX);
    int rc = id_conflict(cfg, nic->id, dup);
    if (rc < 0)
        return rc;
    for (size_t i = 0; nic->mac[0] && i < cfg->nic_count; i++) {
        if (strcmp(cfg->nics[i]->mac, nic->mac) == 0) {
            *dup = VMHI__DUP_MAC;
            return vmhi__error(VMHI_E_EXISTS, "MAC address %s is already used by NIC \"%s\"",
                               nic->mac, cfg->nics[i]->id);
        }
    }
    if (!nic->id[0])
        first_free_id(cfg, "nic", nic->id);
    cfg->nics[cfg->nic_count++] = nic;
    return VMHI_OK;
}

int vmhi_vm_config_add_nic(vmhi_vm_config *cfg, const vmhi_nic *nic)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(nic, "NIC");
    vmhi_nic *copy;
    int rc = vmhi__nic_copy(&copy, nic);
    if (rc < 0)
        return rc;
    rc = vmhi__config_take_nic(cfg, copy, NULL);
    if (rc < 0)
        vmhi_nic_free(copy);
    return rc;
}

size_t vmhi_vm_config_get_nic_count(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->nic_count : 0;
}

const vmhi_nic *vmhi_vm_config_get_nic(const vmhi_vm_config *cfg, size_t index)
{
    return cfg && index < cfg->nic_count ? cfg->nics[index] : NULL;
}

int vmhi_vm_config_remove_nic(vmhi_vm_config *cfg, const char *id)
{
    vmhi__error_reset();
    CHECK_ARG(cfg, "config");
    CHECK_ARG(id, "NIC id");
    size_t i;
    if (!find_nic(cfg, id, &i))
        return vmhi__error(VMHI_E_NO_DEVICE, "no NIC with id \"%.64s\"", id);
    vmhi_nic_free(cfg->nics[i]);
    memmove(&cfg->nics[i], &cfg->nics[i + 1], (cfg->nic_count - i - 1) * sizeof(cfg->nics[0]));
    cfg->nic_count--;
    return VMHI_OK;
}
