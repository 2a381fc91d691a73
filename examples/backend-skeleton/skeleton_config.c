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
 * Mind the last error: every public setter clears the calling thread's last
 * error when it starts, like any public entry point.  Report a backend
 * failure with set_error() after the last public call, not before (the
 * free functions and getters leave it alone).
 */
#include <stdio.h>
#include <string.h>

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

/* A copy of @nic with @mac (NULL: keep its own). */
static int clone_nic(const vmhi_nic *nic, const char *mac, vmhi_nic **out)
{
    vmhi_nic *copy = NULL;
    int rc = vmhi_nic_new(&copy);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(copy, vmhi_nic_get_id(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(copy, vmhi_nic_get_model(nic));
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

static int needs_mac(const vmhi_vm_config *cfg)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++)
        if (!vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i)))
            return 1;
    return 0;
}

/* CFG-4: gives each NIC without a MAC address one.  The model has no NIC
 * setter in place, so the NICs are re-added, in their order, as copies. */
static int fill_macs(sk_conn *c, vmhi_vm_config *cfg)
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
    if (rc == VMHI_OK && needs_mac(copy))
        rc = fill_macs(c, copy);
    if (rc < 0) {
        /* The failing public call set the last error (VMHI_E_NOMEM). */
        vmhi_vm_config_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}
