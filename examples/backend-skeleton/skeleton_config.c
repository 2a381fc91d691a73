/*
 * VMHI backend skeleton - a starting point for a vendor's backend module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Helpers over the public config model (<vmhi/config.h>).  A module links
 * against libvmhi and may use the whole public API; it keeps its VMs'
 * descriptions as vmhi_vm_config objects here, where a real backend would
 * translate them to and from its hypervisor's own format (a domain XML, a
 * VMX file, a libxl structure...).
 *
 * Mind the last error: every public call that returns a status clears the
 * calling thread's last error when it starts, like any public entry point.
 * Report a backend failure with set_error() after the last public call, not
 * before (the free functions and getters leave it alone), or keep it
 * across later calls with error_save() / error_restore() (skeleton_vms.c).
 *
 * What the host does not act on, it keeps: the guest type, a direct-boot
 * kernel, initrd and command line, disk targets and every metadata entry
 * come back from get_config exactly as defined (CFG-10, CFG-13, CFG-18).
 * vmhi_vm_config_copy() keeps them all; the device copies below must copy
 * every field by hand, so a field added to the model is added there too.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "skeleton.h"

static int mac_taken(const vmhi_vm_config *cfg, const char *mac)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *other = vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i));
        if (other && strcmp(other, mac) == 0) /* the model keeps MACs lower case */
            return 1;
    }
    return 0;
}

/* A locally administered unicast address (02:...) that no NIC of @cfg has.
 * The per-connection counter keeps addresses generated for one VM apart. */
static void generate_mac(sk_conn *c, const vmhi_vm_config *cfg, char mac[18])
{
    do {
        uint32_t n = c->next_mac++ & 0xffffffu;
        snprintf(mac, 18, "02:53:4b:%02x:%02x:%02x", (unsigned)(n >> 16) & 0xffu,
                 (unsigned)(n >> 8) & 0xffu, (unsigned)n & 0xffu);
    } while (mac_taken(cfg, mac));
}

/* A copy of @disk as the host stores it: a DEFAULT bus resolved. */
static int clone_disk(const vmhi_disk *disk, vmhi_disk **out)
{
    vmhi_disk_bus bus = vmhi_disk_get_bus(disk);
    vmhi_disk *copy = NULL;
    int rc = vmhi_disk_new(&copy);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(copy, vmhi_disk_get_id(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(copy, vmhi_disk_get_path(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(copy, vmhi_disk_get_format(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(copy, bus == VMHI_DISK_BUS_DEFAULT ? SK_DEFAULT_DISK_BUS : bus);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(copy, vmhi_disk_get_readonly(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(copy, vmhi_disk_get_size_mib(disk));
    if (rc == VMHI_OK) /* CFG-13: kept even though this host cannot name guest devices */
        rc = vmhi_disk_set_target(copy, vmhi_disk_get_target(disk));
    if (rc < 0) {
        vmhi_disk_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

/* A copy of @nic with @mac (NULL: keep its own) and a DEFAULT model resolved. */
static int clone_nic(const vmhi_nic *nic, const char *mac, vmhi_nic **out)
{
    vmhi_nic_model model = vmhi_nic_get_model(nic);
    vmhi_nic *copy = NULL;
    int rc = vmhi_nic_new(&copy);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(copy, vmhi_nic_get_id(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(copy,
                                model == VMHI_NIC_MODEL_DEFAULT ? SK_DEFAULT_NIC_MODEL : model);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(copy, mac ? mac : vmhi_nic_get_mac(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_network(copy, vmhi_nic_get_network(nic));
    if (rc < 0) {
        vmhi_nic_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

/* CFG-12: the model has no setter for a device inside a config, so the
 * disks are re-added, in their order, as resolved copies.  Removing a disk
 * does not touch the boot order. */
static int resolve_disks(vmhi_vm_config *cfg)
{
    vmhi_disk *copies[SK_MAX_DISKS];
    size_t n = vmhi_vm_config_get_disk_count(cfg), made = 0;
    if (n > SK_MAX_DISKS) /* the core refuses such a config (CAP-7); never trust it blindly */
        return sk_error(VMHI_E_LIMIT, "skeleton backend: VM '%s' has %zu disks; at most %u",
                        vmhi_vm_config_get_name(cfg), n, SK_MAX_DISKS);
    int rc = VMHI_OK;
    for (; rc == VMHI_OK && made < n; made++) {
        rc = clone_disk(vmhi_vm_config_get_disk(cfg, made), &copies[made]);
        if (rc < 0)
            break;
    }
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_remove_disk(cfg, vmhi_disk_get_id(copies[i]));
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_add_disk(cfg, copies[i]);
    for (size_t i = 0; i < made; i++)
        vmhi_disk_free(copies[i]);
    return rc;
}

/* CFG-4 and CFG-12: gives each NIC without a MAC address one and resolves
 * DEFAULT models; the NICs are re-added, in their order, as copies. */
static int resolve_nics(sk_conn *c, vmhi_vm_config *cfg)
{
    vmhi_nic *copies[SK_MAX_NICS];
    size_t n = vmhi_vm_config_get_nic_count(cfg), made = 0;
    if (n > SK_MAX_NICS) /* the core refuses such a config (CAP-7); never trust it blindly */
        return sk_error(VMHI_E_LIMIT, "skeleton backend: VM '%s' has %zu NICs; at most %u",
                        vmhi_vm_config_get_name(cfg), n, SK_MAX_NICS);
    int rc = VMHI_OK;
    for (; rc == VMHI_OK && made < n; made++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, made);
        char mac[18];
        if (!vmhi_nic_get_mac(nic))
            generate_mac(c, cfg, mac);
        rc = clone_nic(nic, vmhi_nic_get_mac(nic) ? NULL : mac, &copies[made]);
        if (rc < 0)
            break;
    }
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_remove_nic(cfg, vmhi_nic_get_id(copies[i]));
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_add_nic(cfg, copies[i]);
    for (size_t i = 0; i < made; i++)
        vmhi_nic_free(copies[i]);
    return rc;
}

int sk_config_prepare(sk_conn *c, const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    *out = NULL;
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    if (rc == VMHI_OK)
        rc = resolve_disks(copy);
    if (rc == VMHI_OK)
        rc = resolve_nics(c, copy);
    if (rc < 0) {
        /* The failing call set the last error (VMHI_E_NOMEM, VMHI_E_LIMIT). */
        vmhi_vm_config_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

static int check_boot_file(const char *what, const char *path)
{
    if (!path || access(path, R_OK) == 0)
        return VMHI_OK;
    /* TODO(vendor): where the hypervisor reads the kernel itself (a remote
     * datastore, a dom0), ask it instead of the local file system. */
    return sk_error(VMHI_E_NOT_FOUND, "skeleton backend: the %s %s does not exist or cannot "
                    "be read", what, path);
}

int sk_check_boot_files(const vmhi_vm_config *cfg)
{
    int rc = check_boot_file("kernel", vmhi_vm_config_get_kernel(cfg));
    if (rc == VMHI_OK)
        rc = check_boot_file("initrd", vmhi_vm_config_get_initrd(cfg));
    return rc;
}
