/*
 * ESX backend against the vSphere simulator: define (CreateVM_Task with a
 * SCSI controller, disks and NICs), redefine, undefine, get_config, and
 * the checks VMHI makes where the simulator would accept anything.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

static vmhi_vm_config *new_config(const char *name, unsigned int vcpus, uint64_t mib)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, vcpus));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, vcpus));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, mib));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, mib));
    return cfg;
}

static void add_disk(vmhi_vm_config *cfg, const char *path, uint64_t size_mib,
                     vmhi_disk_format format)
{
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, size_mib));
    ck_vmhi_ok(vmhi_disk_set_format(disk, format));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
}

static void add_nic(vmhi_vm_config *cfg, vmhi_nic_model model, const char *mac)
{
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_model(nic, model));
    if (mac)
        ck_vmhi_ok(vmhi_nic_set_mac(nic, mac));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
}

static bool exists(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_lookup_by_name(&vm, conn, name);
    vmhi_vm_free(vm);
    ck_assert(rc == VMHI_OK || rc == VMHI_E_NO_VM);
    return rc == VMHI_OK;
}

START_TEST(define_a_minimal_vm)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-minimal", 2, 256);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_assert_str_eq(vmhi_vm_get_name(vm), "def-minimal");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(info.reason, VMHI_REASON_DEFINED);
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.memory_mib, 256);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_str_eq(vmhi_vm_config_get_name(got), "def-minimal");
    ck_assert_str_eq(vmhi_vm_config_get_uuid(got), vmhi_vm_get_uuid(vm));
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(got), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(got), 256);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 0);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 0);
    vmhi_vm_config_free(got);
    /* It runs, and a new connection sees it (persistence). */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_conn *other = esx_open();
    vmhi_vm *again = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&again, other, vmhi_vm_get_uuid(vm)));
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(again, &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_RUNNING);
    vmhi_vm_free(again);
    vmhi_conn_close(other);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(define_with_disks_and_nics)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-devices", 1, 128);
    add_disk(cfg, "/vmfs/volumes/LocalDS_0/def-devices/system.vmdk", 64, VMHI_DISK_FORMAT_VMDK);
    add_disk(cfg, "/vmfs/volumes/LocalDS_0/def-devices/data.vmdk", 32, VMHI_DISK_FORMAT_RAW);
    add_nic(cfg, VMHI_NIC_MODEL_E1000, "00:50:56:01:02:03");
    add_nic(cfg, VMHI_NIC_MODEL_VMXNET3, NULL);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 2);
    /* Every field comes back as given (device notes in extraConfig). */
    const vmhi_disk *d0 = vmhi_vm_config_get_disk(got, 0);
    ck_assert_str_eq(vmhi_disk_get_path(d0), "/vmfs/volumes/LocalDS_0/def-devices/system.vmdk");
    ck_assert_int_eq(vmhi_disk_get_bus(d0), VMHI_DISK_BUS_PVSCSI); /* DEFAULT, resolved */
    ck_assert_int_eq(vmhi_disk_get_format(d0), VMHI_DISK_FORMAT_VMDK);
    ck_assert_uint_eq(vmhi_disk_get_size_mib(d0), 64);
    ck_assert_str_eq(vmhi_disk_get_id(d0), "disk0");
    const vmhi_disk *d1 = vmhi_vm_config_get_disk(got, 1);
    ck_assert_str_eq(vmhi_disk_get_path(d1), "/vmfs/volumes/LocalDS_0/def-devices/data.vmdk");
    ck_assert_int_eq(vmhi_disk_get_format(d1), VMHI_DISK_FORMAT_RAW);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 2);
    const vmhi_nic *n0 = vmhi_vm_config_get_nic(got, 0);
    ck_assert_int_eq(vmhi_nic_get_model(n0), VMHI_NIC_MODEL_E1000);
    ck_assert_str_eq(vmhi_nic_get_mac(n0), "00:50:56:01:02:03");
    ck_assert_str_eq(vmhi_nic_get_network(n0),
                     vmhi_nic_get_network(vmhi_vm_config_get_nic(cfg, 0)));
    const vmhi_nic *n1 = vmhi_vm_config_get_nic(got, 1);
    ck_assert_int_eq(vmhi_nic_get_model(n1), VMHI_NIC_MODEL_VMXNET3);
    /* A NIC without a MAC gets one from VMware's range for manual addresses. */
    ck_assert_ptr_nonnull(vmhi_nic_get_mac(n1));
    ck_assert(strncmp(vmhi_nic_get_mac(n1), "00:50:56:", 9) == 0);
    ck_assert(vmhi_nic_get_mac(n1)[9] >= '0' && vmhi_nic_get_mac(n1)[9] <= '3');
    ck_assert_str_eq(vmhi_nic_get_id(n1), "nic1");
    /* Given back unchanged, it stays unchanged (CFG-3). */
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, got, 0));
    vmhi_vm_config *again = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &again, 0));
    char *a = NULL, *b = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_json(got, &a));
    ck_vmhi_ok(vmhi_vm_config_to_json(again, &b));
    ck_assert_str_eq(a, b);
    vmhi_free(a);
    vmhi_free(b);
    vmhi_vm_config_free(again);
    /* The description round-trips through the XML form. */
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(got, &xml));
    vmhi_vm_config *parsed = NULL;
    ck_vmhi_ok(vmhi_vm_config_from_xml(&parsed, xml, strlen(xml)));
    vmhi_free(xml);
    vmhi_vm_config_free(parsed);
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(current_and_maximum_sizes_round_trip)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-sizes", 2, 256);
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 4));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 2));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 512));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 256));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.max_vcpus, 4);
    ck_assert_uint_eq(info.memory_mib, 256);
    ck_assert_uint_eq(info.max_memory_mib, 512);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(got), 4);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(got), 256);
    ck_assert_uint_eq(vmhi_vm_config_get_max_memory_mib(got), 512);
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(names_and_uuids_are_unique)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-unique", 1, 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    /* Same name, another UUID: the simulator would accept it. */
    vmhi_vm_config *twin = new_config("def-unique", 1, 64);
    ck_vmhi(vmhi_vm_define(NULL, conn, twin, 0), VMHI_E_EXISTS);
    ck_assert(strstr(vmhi_error_last_message(), "def-unique") != NULL);
    /* Same UUID, another name. */
    vmhi_vm_config *renamed = new_config("def-unique-2", 1, 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(renamed, vmhi_vm_get_uuid(vm)));
    ck_vmhi(vmhi_vm_define(NULL, conn, renamed, 0), VMHI_E_EXISTS);
    ck_assert(!exists(conn, "def-unique-2"));
    /* Same UUID and name: a new definition. */
    vmhi_vm_config *bigger = new_config("def-unique", 2, 512);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(bigger, vmhi_vm_get_uuid(vm)));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, bigger, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.memory_mib, 512);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config_free(twin);
    vmhi_vm_config_free(renamed);
    vmhi_vm_config_free(bigger);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(undefine)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-gone", 1, 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert(!exists(conn, "def-gone"));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
    ck_vmhi(vmhi_vm_undefine(vm, 0), VMHI_E_NO_VM);
    /* The name is free again. */
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, NULL));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    ck_assert(exists(conn, "def-gone"));
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static int persistent_of(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    return info.persistent;
}

START_TEST(undefine_of_a_running_vm_makes_it_transient)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-transient", 1, 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_int_eq(persistent_of(vm), 0);
    ck_vmhi(vmhi_vm_undefine(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    /* Another connection sees the mark too (it lives in extraConfig). */
    vmhi_conn *other = esx_open();
    vmhi_vm **list = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(other, VMHI_LIST_TRANSIENT, &list, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(vmhi_vm_get_name(list[0]), "def-transient");
    vmhi_vm_list_free(list, n);
    vmhi_conn_close(other);
    /* Defined again it is persistent, and still runs. */
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, vmhi_vm_get_uuid(vm)));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    ck_assert_int_eq(persistent_of(vm), 1);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    /* At shutoff it is gone, for every connection. */
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert(!exists(conn, "def-transient"));
    other = esx_open();
    ck_assert(!exists(other, "def-transient"));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
    vmhi_conn_close(other);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_new_definition_waits_for_the_next_start)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-waits", 1, 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_config *bigger = new_config("def-waits", 2, 128);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(bigger, vmhi_vm_get_uuid(vm)));
    add_nic(bigger, VMHI_NIC_MODEL_E1000, "00:50:56:0a:0b:0c");
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, bigger, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 1);
    ck_assert_uint_eq(info.memory_mib, 64);
    /* Shut off, the VM reports its definition, also to another connection. */
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_conn *other = esx_open();
    vmhi_vm *seen = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&seen, other, "def-waits"));
    ck_vmhi_ok(vmhi_vm_get_info(seen, &info));
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.memory_mib, 128);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(seen, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 1);
    vmhi_vm_config_free(got);
    /* Started, it runs with it. */
    ck_vmhi_ok(vmhi_vm_start(seen, 0));
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(got), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 1);
    ck_assert_str_eq(vmhi_nic_get_mac(vmhi_vm_config_get_nic(got, 0)), "00:50:56:0a:0b:0c");
    vmhi_vm_config_free(got);
    vmhi_vm_free(seen);
    vmhi_conn_close(other);
    vmhi_vm_config_free(bigger);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_vm_made_outside_vmhi_is_described_from_its_hardware)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "ha-host_VM0"));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_ge(vmhi_vm_config_get_disk_count(got), 1);
    const vmhi_disk *d0 = vmhi_vm_config_get_disk(got, 0);
    ck_assert(strncmp(vmhi_disk_get_id(d0), "disk-", 5) == 0);
    ck_assert_int_eq(vmhi_disk_get_format(d0), VMHI_DISK_FORMAT_VMDK);
    /* The simulator's VMs have a paravirtual SCSI controller. */
    ck_assert_int_eq(vmhi_disk_get_bus(d0), VMHI_DISK_BUS_PVSCSI);
    ck_assert_uint_ge(vmhi_vm_config_get_nic_count(got), 1);
    ck_assert(strncmp(vmhi_nic_get_id(vmhi_vm_config_get_nic(got, 0)), "nic-", 4) == 0);
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(got, 0)), "VM Network");
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(descriptions_esx_cannot_hold_are_refused_and_nothing_is_created)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def-bad-path", 1, 64);
    add_disk(cfg, "/var/lib/images/a.img", 0, VMHI_DISK_FORMAT_RAW);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_INVALID_ARG);
    ck_assert(strstr(vmhi_error_last_message(), "/vmfs/volumes/") != NULL);
    vmhi_vm_config_free(cfg);
    cfg = new_config("def-qcow2", 1, 64);
    add_disk(cfg, "/vmfs/volumes/LocalDS_0/q/a.qcow2", 0, VMHI_DISK_FORMAT_QCOW2);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    vmhi_vm_config_free(cfg);
    cfg = new_config("def-rtl", 1, 64);
    add_nic(cfg, VMHI_NIC_MODEL_RTL8139, NULL);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    vmhi_vm_config_free(cfg);
    cfg = new_config("def-odd-memory", 1, 66);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_INVALID_ARG);
    vmhi_vm_config_free(cfg);
    ck_assert(!exists(conn, "def-bad-path"));
    ck_assert(!exists(conn, "def-qcow2"));
    ck_assert(!exists(conn, "def-rtl"));
    ck_assert(!exists(conn, "def-odd-memory"));
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(names_with_special_characters)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("def 100% <ok> & \"quoted\"", 1, 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm *found = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&found, conn, "def 100% <ok> & \"quoted\""));
    ck_assert_str_eq(vmhi_vm_get_uuid(found), vmhi_vm_get_uuid(vm));
    vmhi_vm_free(found);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-define");
    TCase *tc = tcase_create("define");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, define_a_minimal_vm);
    tcase_add_test(tc, define_with_disks_and_nics);
    tcase_add_test(tc, current_and_maximum_sizes_round_trip);
    tcase_add_test(tc, names_and_uuids_are_unique);
    tcase_add_test(tc, undefine);
    tcase_add_test(tc, undefine_of_a_running_vm_makes_it_transient);
    tcase_add_test(tc, a_new_definition_waits_for_the_next_start);
    tcase_add_test(tc, a_vm_made_outside_vmhi_is_described_from_its_hardware);
    tcase_add_test(tc, descriptions_esx_cannot_hold_are_refused_and_nothing_is_created);
    tcase_add_test(tc, names_with_special_characters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("define", "--vms 1", suite());
}
