/*
 * ESX backend against the vSphere simulator: listing, lookup by name and
 * UUID, VM facts.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

#define SIM_VMS 5

START_TEST(lists_every_vm_with_its_state)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    ck_assert_uint_eq(n, SIM_VMS);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "ha-host_VM%zu", i);
        ck_assert_str_eq(vmhi_vm_get_name(vms[i]), want);
        ck_assert_uint_eq(strlen(vmhi_vm_get_uuid(vms[i])), VMHI_UUID_STRLEN);
    }
    vmhi_vm_list_free(vms, n);
    /* The simulator powers its VMs on: a shut-off filter finds none. */
    ck_vmhi_ok(vmhi_conn_list_vms(conn, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF), &vms, &n));
    ck_assert_uint_eq(n, 0);
    vmhi_vm_list_free(vms, n);
    ck_vmhi_ok(vmhi_conn_list_vms(conn, VMHI_STATE_BIT(VMHI_STATE_RUNNING) |
                                            VMHI_LIST_PERSISTENT, &vms, &n));
    ck_assert_uint_eq(n, SIM_VMS);
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(looks_up_by_name_and_uuid)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *by_name = NULL, *by_uuid = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&by_name, conn, "ha-host_VM2"));
    char upper[VMHI_UUID_STRLEN + 1];
    strcpy(upper, vmhi_vm_get_uuid(by_name));
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&by_uuid, conn, upper));
    ck_assert_str_eq(vmhi_vm_get_name(by_uuid), "ha-host_VM2");
    ck_assert_str_eq(vmhi_vm_get_uuid(by_uuid), vmhi_vm_get_uuid(by_name));
    vmhi_vm_free(by_name);
    vmhi_vm_free(by_uuid);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(unknown_vms_are_no_vm)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, conn, "no-such-vm"), VMHI_E_NO_VM);
    ck_assert(strstr(vmhi_error_last_message(), "no-such-vm") != NULL);
    ck_vmhi(vmhi_vm_lookup_by_uuid(&vm, conn, "00000000-1111-2222-3333-444444444444"),
            VMHI_E_NO_VM);
    ck_assert_ptr_null(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(info_matches_the_simulator)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "ha-host_VM0"));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_uint_eq(info.vcpus, 1);
    ck_assert_uint_eq(info.max_vcpus, 1);
    ck_assert_uint_eq(info.memory_mib, 32);
    ck_assert_uint_eq(info.max_memory_mib, 32);
    ck_assert_int_eq(info.persistent, 1);
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_RUNNING);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(list_then_info_for_every_vm)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        ck_vmhi_ok(vmhi_vm_get_info(vms[i], &info));
        ck_assert_uint_eq(info.memory_mib, 32);
    }
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-inventory");
    TCase *tc = tcase_create("inventory");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lists_every_vm_with_its_state);
    tcase_add_test(tc, looks_up_by_name_and_uuid);
    tcase_add_test(tc, unknown_vms_are_no_vm);
    tcase_add_test(tc, info_matches_the_simulator);
    tcase_add_test(tc, list_then_info_for_every_vm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("inventory", "--vms 5", suite());
}
