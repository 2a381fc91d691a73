/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Helpers over the public config model: the backend keeps its VMs as
 * vmhi_vm_config objects and changes them only through the public
 * accessors, like an external module would.  Everything a config carries
 * that the simulated host has no use for (guest type, direct kernel boot,
 * disk targets, metadata) is kept by vmhi_vm_config_copy() and the XML
 * codec untouched, so it round-trips through get_config and the directory.
 *
 * What a stored config never holds: a DEFAULT disk bus or NIC model (the
 * host's paravirtual choice is virtio, reported back as such) or a NIC
 * without a MAC.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tb.h"

const char *tb_last_message(void)
{
    /* A copy: the core's buffer may be reused while our message is formatted. */
    static _Thread_local char copy[512];
    snprintf(copy, sizeof(copy), "%s", vmhi_error_last_message());
    return copy;
}

int tb_config_copy(const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    int rc = vmhi_vm_config_copy(out, cfg);
    if (rc < 0)
        return tb_error(rc, "test backend: cannot copy a VM config: %s", tb_last_message());
    return VMHI_OK;
}

int tb_config_check_limits(const vmhi_vm_config *cfg)
{
    const char *name = vmhi_vm_config_get_name(cfg);
    if (vmhi_vm_config_get_max_vcpus(cfg) > TB_MAX_VCPUS)
        return tb_error(VMHI_E_LIMIT, "VM '%s' asks for %u vCPUs; the test host allows at "
                        "most %u per VM", name, vmhi_vm_config_get_max_vcpus(cfg), TB_MAX_VCPUS);
    if (vmhi_vm_config_get_max_memory_mib(cfg) > TB_MAX_MEMORY_MIB)
        return tb_error(VMHI_E_LIMIT, "VM '%s' asks for up to %llu MiB; the test host allows "
                        "at most %u MiB per VM", name,
                        (unsigned long long)vmhi_vm_config_get_max_memory_mib(cfg),
                        TB_MAX_MEMORY_MIB);
    if (vmhi_vm_config_get_memory_mib(cfg) < TB_MIN_MEMORY_MIB)
        return tb_error(VMHI_E_LIMIT, "VM '%s' has %llu MiB; the test host needs at least "
                        "%u MiB per VM", name,
                        (unsigned long long)vmhi_vm_config_get_memory_mib(cfg), TB_MIN_MEMORY_MIB);
    if (vmhi_vm_config_get_disk_count(cfg) > TB_MAX_DISKS ||
        vmhi_vm_config_get_nic_count(cfg) > TB_MAX_NICS)
        return tb_error(VMHI_E_LIMIT, "VM '%s' has too many devices; the test host allows %u "
                        "disks and %u NICs per VM", name, TB_MAX_DISKS, TB_MAX_NICS);
    return VMHI_OK;
}

const vmhi_disk *tb_config_find_disk(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        const char *did = vmhi_disk_get_id(d);
        if (did && strcmp(did, id) == 0)
            return d;
    }
    return NULL;
}

const vmhi_disk *tb_config_find_disk_path(const vmhi_vm_config *cfg, const char *path)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        const char *p = vmhi_disk_get_path(d);
        if (p && strcmp(p, path) == 0)
            return d;
    }
    return NULL;
}

const vmhi_nic *tb_config_find_nic(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        const char *nid = vmhi_nic_get_id(nic);
        if (nid && strcmp(nid, id) == 0)
            return nic;
    }
    return NULL;
}

const vmhi_nic *tb_config_find_nic_mac(const vmhi_vm_config *cfg, const char *mac)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        const char *m = vmhi_nic_get_mac(nic);
        if (m && strcasecmp(m, mac) == 0)
            return nic;
    }
    return NULL;
}

bool tb_config_has_id(const vmhi_vm_config *cfg, const char *id)
{
    return cfg && (tb_config_find_disk(cfg, id) || tb_config_find_nic(cfg, id));
}

void tb_config_free_id(const char *prefix, const vmhi_vm_config *a, const vmhi_vm_config *b,
                       char id[VMHI_DEVICE_ID_MAX + 1])
{
    for (unsigned int n = 0;; n++) {
        snprintf(id, VMHI_DEVICE_ID_MAX + 1, "%s%u", prefix, n);
        if (!tb_config_has_id(a, id) && !tb_config_has_id(b, id))
            return;
    }
}

/* The concrete bus and model this host picks for DEFAULT. */
static vmhi_disk_bus resolved_bus(vmhi_disk_bus bus)
{
    return bus == VMHI_DISK_BUS_DEFAULT ? VMHI_DISK_BUS_VIRTIO : bus;
}

static vmhi_nic_model resolved_model(vmhi_nic_model model)
{
    return model == VMHI_NIC_MODEL_DEFAULT ? VMHI_NIC_MODEL_VIRTIO : model;
}

/* Field by field: the model has no public disk copy.  A field added to
 * vmhi_disk must be added here too, or attach would drop it. */
int tb_disk_clone(const vmhi_disk *disk, const char *id, vmhi_disk **out)
{
    vmhi_disk *d = NULL;
    int rc = vmhi_disk_new(&d);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(d, id);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(d, vmhi_disk_get_path(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(d, vmhi_disk_get_format(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(d, resolved_bus(vmhi_disk_get_bus(disk)));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(d, vmhi_disk_get_readonly(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(d, vmhi_disk_get_size_mib(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_target(d, vmhi_disk_get_target(disk));
    if (rc < 0) {
        const char *why = tb_last_message(); /* before the free clears it */
        vmhi_disk_free(d);
        return tb_error(rc, "test backend: cannot copy a disk: %s", why);
    }
    *out = d;
    return VMHI_OK;
}

int tb_nic_clone(const vmhi_nic *nic, const char *id, const char *mac, vmhi_nic **out)
{
    vmhi_nic *n = NULL;
    int rc = vmhi_nic_new(&n);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(n, id);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(n, resolved_model(vmhi_nic_get_model(nic)));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(n, mac ? mac : vmhi_nic_get_mac(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_network(n, vmhi_nic_get_network(nic));
    if (rc < 0) {
        const char *why = tb_last_message(); /* before the free clears it */
        vmhi_nic_free(n);
        return tb_error(rc, "test backend: cannot copy a NIC: %s", why);
    }
    *out = n;
    return VMHI_OK;
}

static bool mac_used(tb_host *h, const vmhi_vm_config *extra, const char *mac)
{
    if (extra && tb_config_find_nic_mac(extra, mac))
        return true;
    for (size_t i = 0; i < h->nvms; i++) {
        const tb_vm *vm = h->vms[i];
        if ((vm->def && tb_config_find_nic_mac(vm->def, mac)) ||
            (vm->live && tb_config_find_nic_mac(vm->live, mac)))
            return true;
    }
    return false;
}

void tb_mac_generate(tb_host *h, const vmhi_vm_config *extra, char mac[18])
{
    /* 52:54:00 is locally administered and unicast; the counter keeps two
     * NICs generated in one call apart, the check keeps them off others. */
    do {
        uint32_t n = h->mac_counter++ & 0xffffffu;
        snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", (n >> 16) & 0xffu, (n >> 8) & 0xffu,
                 n & 0xffu);
    } while (mac_used(h, extra, mac));
}

/* Whether @cfg holds a device this host would store differently. */
static bool needs_rebuild(const vmhi_vm_config *cfg)
{
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(cfg); i++)
        if (vmhi_disk_get_bus(vmhi_vm_config_get_disk(cfg, i)) == VMHI_DISK_BUS_DEFAULT)
            return true;
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg); i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        if (!vmhi_nic_get_mac(nic) || vmhi_nic_get_model(nic) == VMHI_NIC_MODEL_DEFAULT)
            return true;
    }
    return false;
}

/* Re-adds every disk of @cfg in order, each as tb_disk_clone() makes it.
 * Removing does not touch the boot order, so an order naming "disk" stays. */
static int rebuild_disks(vmhi_vm_config *cfg)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg), made = 0;
    vmhi_disk *clones[TB_MAX_DISKS];
    int rc = n > TB_MAX_DISKS ? tb_error(VMHI_E_LIMIT, "test backend: more than %u disks",
                                         TB_MAX_DISKS) : VMHI_OK;
    for (; rc == VMHI_OK && made < n; made++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, made);
        rc = tb_disk_clone(d, vmhi_disk_get_id(d), &clones[made]);
        if (rc < 0)
            break;
    }
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_remove_disk(cfg, vmhi_disk_get_id(clones[i]));
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_add_disk(cfg, clones[i]);
    const char *why = rc < 0 ? tb_last_message() : NULL; /* before the frees */
    for (size_t i = 0; i < made; i++)
        vmhi_disk_free(clones[i]);
    if (rc < 0)
        return tb_error(rc, "test backend: cannot store the disks: %s", why);
    return rc;
}

/* Re-adds every NIC of @cfg in order, generating missing MACs. */
static int rebuild_nics(tb_host *h, vmhi_vm_config *cfg)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    vmhi_nic *clones[TB_MAX_NICS];
    size_t made = 0;
    int rc = n > TB_MAX_NICS ? tb_error(VMHI_E_LIMIT, "test backend: more than %u NICs",
                                        TB_MAX_NICS) : VMHI_OK;
    for (; rc == VMHI_OK && made < n; made++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, made);
        char mac[18];
        if (!vmhi_nic_get_mac(nic))
            tb_mac_generate(h, cfg, mac);
        rc = tb_nic_clone(nic, vmhi_nic_get_id(nic), vmhi_nic_get_mac(nic) ? NULL : mac,
                          &clones[made]);
        if (rc < 0)
            break;
    }
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_remove_nic(cfg, vmhi_nic_get_id(clones[i]));
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = vmhi_vm_config_add_nic(cfg, clones[i]);
    const char *why = rc < 0 ? tb_last_message() : NULL; /* before the frees */
    for (size_t i = 0; i < made; i++)
        vmhi_nic_free(clones[i]);
    if (rc < 0)
        return tb_error(rc, "test backend: cannot store the NICs: %s", why);
    return rc;
}

int tb_config_prepare(tb_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    int rc = tb_config_copy(cfg, out);
    if (rc < 0 || !needs_rebuild(*out))
        return rc;
    rc = rebuild_disks(*out);
    if (rc == VMHI_OK)
        rc = rebuild_nics(h, *out);
    if (rc < 0) {
        vmhi_vm_config_free(*out);
        *out = NULL;
    }
    return rc;
}
