/*
 * Helpers of the OVF import tests on real backends (tests/kvm, tests/esx):
 * the corpus path and the fields a backend must keep of an imported
 * description.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_OVF_TEST_UTIL_H
#define VMHI_OVF_TEST_UTIL_H

#include <libgen.h>
#include <stdio.h>

#include "testutil.h"

/* tests/data/ovf/@name, found from this header's own path. */
static inline const char *ovf_corpus(const char *name, char *buf, size_t cap)
{
    char here[512];
    snprintf(here, sizeof(here), "%s", __FILE__);
    snprintf(buf, cap, "%s/../data/ovf/%s", dirname(here), name);
    return buf;
}

/* What a backend keeps of a description after a define and a read back;
 * a default bus or NIC model is the backend's to choose. */
static inline void ovf_assert_kept(const vmhi_vm_config *want, const vmhi_vm_config *got)
{
    ck_assert_str_eq(vmhi_vm_config_get_name(got), vmhi_vm_config_get_name(want));
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(got), vmhi_vm_config_get_vcpus(want));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(got), vmhi_vm_config_get_memory_mib(want));
    ck_assert_int_eq(vmhi_vm_config_get_firmware(got), vmhi_vm_config_get_firmware(want));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), vmhi_vm_config_get_disk_count(want));
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(want); i++) {
        const vmhi_disk *a = vmhi_vm_config_get_disk(want, i), *b = vmhi_vm_config_get_disk(got, i);
        ck_assert_str_eq(vmhi_disk_get_path(b), vmhi_disk_get_path(a));
        ck_assert_int_eq(vmhi_disk_get_format(b), vmhi_disk_get_format(a));
        if (vmhi_disk_get_bus(a) != VMHI_DISK_BUS_DEFAULT)
            ck_assert_int_eq(vmhi_disk_get_bus(b), vmhi_disk_get_bus(a));
    }
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), vmhi_vm_config_get_nic_count(want));
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(want); i++) {
        const vmhi_nic *a = vmhi_vm_config_get_nic(want, i), *b = vmhi_vm_config_get_nic(got, i);
        if (vmhi_nic_get_model(a) != VMHI_NIC_MODEL_DEFAULT)
            ck_assert_int_eq(vmhi_nic_get_model(b), vmhi_nic_get_model(a));
        ck_assert_str_eq(vmhi_nic_get_network(b), vmhi_nic_get_network(a));
        if (vmhi_nic_get_mac(a))
            ck_assert_str_eq(vmhi_nic_get_mac(b), vmhi_nic_get_mac(a));
    }
}

#endif
