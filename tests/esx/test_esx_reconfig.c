/*
 * ESX backend against the vSphere simulator: memory and vCPU changes,
 * memory statistics, and hot-adding / removing disks and NICs.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

static vmhi_vm *define_vm(vmhi_conn *conn, const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 4));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 1));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 512));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 256));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    return vm;
}

static vmhi_vm_info info_of(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    return info;
}

START_TEST(memory_and_vcpus_change_while_shut_off)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = define_vm(conn, "rc-sizes");
    ck_vmhi_ok(vmhi_vm_set_vcpus(vm, 3, VMHI_AFFECT_CONFIG));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 384, 0));
    vmhi_vm_info info = info_of(vm);
    ck_assert_uint_eq(info.vcpus, 3);
    ck_assert_uint_eq(info.max_vcpus, 4);
    ck_assert_uint_eq(info.memory_mib, 384);
    ck_assert_uint_eq(info.max_memory_mib, 512);
    ck_vmhi(vmhi_vm_set_vcpus(vm, 5, 0), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_set_memory(vm, 1024, 0), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 128, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_set_max_memory(vm, 1024, VMHI_AFFECT_CONFIG));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 1024, 0));
    info = info_of(vm);
    ck_assert_uint_eq(info.memory_mib, 1024);
    ck_assert_uint_eq(info.max_memory_mib, 1024);
    /* A live change needs a running VM (MEM-5). */
    ck_vmhi(vmhi_vm_set_memory(vm, 256, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_running_vm_keeps_its_sizes_until_its_next_start)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = define_vm(conn, "rc-running");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    /* The simulator would change the vCPUs of a running VM; ESX does not. */
    ck_vmhi(vmhi_vm_set_vcpus(vm, 2, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
    /* Definition changes wait for the next start from shutoff. */
    ck_vmhi_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CONFIG));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 128, VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(info_of(vm).vcpus, 1);
    ck_assert_uint_eq(info_of(vm).memory_mib, 256);
    /* The live memory (its limit) changes at once. */
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 200, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(info_of(vm).memory_mib, 200);
    vmhi_memory_stats stats = VMHI_MEMORY_STATS_INIT;
    ck_vmhi_ok(vmhi_vm_get_memory_stats(vm, &stats));
    ck_assert_uint_eq(stats.actual_kib, 200u * 1024u);
    ck_assert_uint_eq(stats.available_kib, 512u * 1024u);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi(vmhi_vm_get_memory_stats(vm, &stats), VMHI_E_INVALID_STATE);
    vmhi_vm_info info = info_of(vm);
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.memory_mib, 128);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    info = info_of(vm);
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.memory_mib, 128);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static size_t count_devices(vmhi_vm *vm, vmhi_device_type type, const char *id)
{
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    size_t n = 0;
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        ck_vmhi_ok(vmhi_device_list_get(list, i, &info));
        if (info.type == type && (!id || strcmp(info.id, id) == 0))
            n++;
    }
    vmhi_device_list_free(list);
    return n;
}

START_TEST(hot_add_and_remove_a_disk_and_a_nic)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = define_vm(conn, "rc-hotplug");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/vmfs/volumes/LocalDS_0/rc-hotplug/extra.vmdk"));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 16));
    char disk_id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, 0, disk_id));
    ck_assert_str_eq(disk_id, "disk0");
    ck_assert_uint_eq(count_devices(vm, VMHI_DEVICE_DISK, disk_id), 1);
    /* The same image twice is refused. */
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, 0, NULL), VMHI_E_EXISTS);
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, NULL), VMHI_E_EXISTS);
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_model(nic, VMHI_NIC_MODEL_E1000));
    char nic_id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, nic_id));
    ck_assert_str_eq(nic_id, "nic0");
    ck_assert_uint_eq(count_devices(vm, VMHI_DEVICE_NIC, nic_id), 1);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_nic(vm, nic_id, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_DONE);
    ck_assert_uint_eq(count_devices(vm, VMHI_DEVICE_NIC, nic_id), 0);
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, disk_id, 0, &done));
    ck_assert_uint_eq(count_devices(vm, VMHI_DEVICE_DISK, NULL), 0);
    /* Unknown ids (the simulator would report success). */
    ck_vmhi(vmhi_vm_detach_disk(vm, disk_id, 0, &done), VMHI_E_NO_DEVICE);
    ck_vmhi(vmhi_vm_detach_nic(vm, "nic-999999", 0, &done), VMHI_E_NO_DEVICE);
    ck_vmhi(vmhi_vm_detach_nic(vm, "disk0", 0, &done), VMHI_E_NO_DEVICE);
    vmhi_disk_free(disk);
    vmhi_nic_free(nic);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(devices_of_a_shut_off_vm_change_in_its_configuration)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = define_vm(conn, "rc-cold");
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_LIVE, id), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_CONFIG, id));
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    ck_assert_uint_eq(vmhi_device_list_count(list), 1);
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_vmhi_ok(vmhi_device_list_get(list, 0, &info));
    ck_assert_str_eq(info.id, id);
    ck_assert_int_eq(info.live, 0);
    ck_assert_int_eq(info.config, 1);
    ck_assert_uint_eq(strlen(info.summary), 17);
    vmhi_device_list_free(list);
    vmhi_nic_free(nic);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-reconfig");
    TCase *tc = tcase_create("reconfig");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, memory_and_vcpus_change_while_shut_off);
    tcase_add_test(tc, a_running_vm_keeps_its_sizes_until_its_next_start);
    tcase_add_test(tc, hot_add_and_remove_a_disk_and_a_nic);
    tcase_add_test(tc, devices_of_a_shut_off_vm_change_in_its_configuration);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("reconfig", "--vms 1", suite());
}
