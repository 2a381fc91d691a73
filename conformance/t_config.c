/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VM descriptions (spec section 9): a definition comes back as it was
 * given, can be given back unchanged, and its devices get ids and MAC
 * addresses that are unique and stable.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

/* A description using every field of the model, each set explicitly, so
 * that the backend has nothing to fill in. */
static vmhi_vm_config *full_config(void)
{
    vmhi_vm_config *cfg = conf_config_new();
    const vmhi_boot_dev order[] = { VMHI_BOOT_DISK, VMHI_BOOT_NETWORK };
    conf_ok(vmhi_vm_config_set_boot_order(cfg, order, 2));
    conf_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_BIOS));
    conf_config_add_disk(cfg, "conf-d0");
    vmhi_nic *nic = NULL;
    conf_ok(vmhi_nic_new(&nic));
    conf_ok(vmhi_nic_set_id(nic, "conf-n0"));
    conf_ok(vmhi_nic_set_mac(nic, "52:54:00:c0:f0:01"));
    conf_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    return cfg;
}

VMHI_CONF_TEST(definition_comes_back_as_given, VMHI_PROFILE_CORE, "CFG-1", "CFG-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = full_config();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    /* The given description has no UUID; compare with the one assigned. */
    conf_ok(vmhi_vm_config_set_uuid(cfg, vmhi_vm_get_uuid(vm)));
    char *given = conf_config_xml(cfg);
    conf_req("CFG-1");
    char *got = conf_vm_xml(vm);
    ck_assert_msg(strcmp(given, got) == 0, "vmhi_vm_get_config() returned\n%s\ninstead of the "
                  "definition\n%s", got, given);

    conf_req("CFG-3");
    vmhi_vm_config *back = NULL;
    conf_ok(vmhi_vm_get_config(vm, &back));
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_define(&again, conn, back));
    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(got, after) == 0, "defining the returned description changed it:\n"
                  "%s\nbecame\n%s", got, after);
    vmhi_free(given);
    vmhi_free(got);
    vmhi_free(after);
    vmhi_vm_free(again);
    vmhi_vm_config_free(back);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Checks ids (unique, 1..63 bytes) and NIC MACs (present, distinct). */
static void check_ids(const vmhi_vm_config *cfg)
{
    const char *ids[8];
    size_t n = 0;
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(cfg) && n < 8; i++)
        ids[n++] = vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, i));
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg) && n < 8; i++)
        ids[n++] = vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i));
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(ids[i] && *ids[i] && strlen(ids[i]) <= VMHI_DEVICE_ID_MAX,
                      "device %zu has id '%s'", i, ids[i] ? ids[i] : "(null)");
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(ids[i], ids[j]) != 0, "two devices have id '%s'", ids[i]);
    }
    const vmhi_nic *a = vmhi_vm_config_get_nic(cfg, 0), *b = vmhi_vm_config_get_nic(cfg, 1);
    ck_assert_msg(vmhi_nic_get_mac(a) && vmhi_nic_get_mac(b), "a NIC got no MAC address");
    ck_assert_msg(strcasecmp(vmhi_nic_get_mac(a), vmhi_nic_get_mac(b)) != 0,
                  "both NICs got MAC %s", vmhi_nic_get_mac(a));
}

/* The ids vmhi_vm_list_devices() reports are those of the description. */
static void check_listed_ids(vmhi_vm *vm, const vmhi_vm_config *cfg)
{
    vmhi_device_list *list = NULL;
    conf_ok(vmhi_vm_list_devices(vm, &list));
    size_t devices = vmhi_vm_config_get_disk_count(cfg) + vmhi_vm_config_get_nic_count(cfg);
    ck_assert_uint_eq(vmhi_device_list_count(list), devices);
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        conf_ok(vmhi_device_list_get(list, i, &info));
        bool found = false;
        for (size_t d = 0; d < vmhi_vm_config_get_disk_count(cfg); d++)
            found |= strcmp(info.id, vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, d))) == 0;
        for (size_t d = 0; d < vmhi_vm_config_get_nic_count(cfg); d++)
            found |= strcmp(info.id, vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, d))) == 0;
        ck_assert_msg(found, "vmhi_vm_list_devices() lists id '%s', which the description "
                      "does not have", info.id);
    }
    vmhi_device_list_free(list);
}

VMHI_CONF_TEST(devices_get_unique_ids_and_macs, VMHI_PROFILE_CORE, "CFG-4")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_new();
    conf_config_add_disk(cfg, NULL);
    conf_config_add_disk(cfg, NULL);
    conf_config_add_nic(cfg, NULL);
    conf_config_add_nic(cfg, NULL);
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    bool listing = conf_op_caps(conn, VMHI_OP_LIST_DEVICES) & VMHI_CAP_SUPPORTED;
    conf_req("CFG-4");
    for (int round = 0; round < 2; round++) {
        vmhi_vm_config *got = NULL;
        conf_ok(vmhi_vm_get_config(vm, &got));
        ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 2);
        ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 2);
        check_ids(got);
        if (listing)
            check_listed_ids(vm, got);
        vmhi_vm_config_free(got);
        if (round == 0) { /* and again while running */
            conf_ok(vmhi_vm_start(vm, 0));
            conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
        }
    }
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(live_config_shows_live_changes, VMHI_PROFILE_CORE, "CFG-2")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!(conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_LIVE),
                       vmhi_conn_close(conn),
                 "live memory changes are not supported; CFG-2 is checked with pending "
                 "detaches by the Devices tests");
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_ok(vmhi_vm_set_memory(vm, 96, VMHI_AFFECT_LIVE));
    vmhi_vm_config *cfg = NULL;
    conf_req("CFG-2");
    conf_ok(vmhi_vm_get_config(vm, &cfg));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), 96);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
