/*
 * The test backend: definitions, lookup, listing, transient VMs, runtime
 * facts, and bad input that must leave nothing behind.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

#define UUID_A "6f1c3a52-8d4e-4b7a-9c2d-0123456789ab"
#define UUID_B "7a2d4b63-9e5f-4c8b-8d3e-123456789abc"

static vmhi_vm_config *config_with_uuid(const char *name, const char *uuid)
{
    vmhi_vm_config *cfg = bt_config(name, 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, uuid));
    return cfg;
}

START_TEST(define_then_lookup_by_name_and_uuid)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = config_with_uuid("web1", UUID_A);
    vmhi_vm *vm = NULL, *by_name = NULL, *by_uuid = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_assert_str_eq(vmhi_vm_get_name(vm), "web1");
    ck_assert_str_eq(vmhi_vm_get_uuid(vm), UUID_A);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&by_name, conn, "web1"));
    ck_assert_str_eq(vmhi_vm_get_uuid(by_name), UUID_A);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&by_uuid, conn, "6F1C3A52-8D4E-4B7A-9C2D-0123456789AB"));
    ck_assert_str_eq(vmhi_vm_get_name(by_uuid), "web1");
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_vm_free(by_name);
    vmhi_vm_free(by_uuid);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(lookup_of_missing_vm_fails)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, conn, "ghost"), VMHI_E_NO_VM);
    ck_assert_msg(strstr(vmhi_error_last_message(), "ghost") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_lookup_by_uuid(&vm, conn, UUID_A), VMHI_E_NO_VM);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(list_filters_by_state_and_persistence)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *a = bt_define(conn, "a", 64);
    vmhi_vm *b = bt_define(conn, "b", 64);
    vmhi_vm_config *cfg = bt_config("t", 64);
    vmhi_vm *t = NULL;
    ck_vmhi_ok(vmhi_vm_create(&t, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(b, 0));
    ck_assert_uint_eq(bt_count_vms(conn, 0), 3);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_LIST_PERSISTENT), 2);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_LIST_TRANSIENT), 1);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_STATE_BIT(VMHI_STATE_RUNNING)), 2);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF)), 1);
    ck_assert_uint_eq(bt_count_vms(conn, VMHI_STATE_BIT(VMHI_STATE_RUNNING) |
                                             VMHI_LIST_TRANSIENT), 1);
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_vm_free(t);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(define_same_uuid_and_name_updates_definition)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = config_with_uuid("web1", UUID_A);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 3));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    ck_assert_uint_eq(bt_count_vms(conn, 0), 1);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 1); /* the running VM keeps its config */
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 3); /* the next start uses the new one */
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(define_conflicts_are_refused_and_change_nothing)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = config_with_uuid("web1", UUID_A);
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    /* Same UUID, other name. */
    vmhi_vm_config *renamed = config_with_uuid("web2", UUID_A);
    ck_vmhi(vmhi_vm_define(NULL, conn, renamed, 0), VMHI_E_EXISTS);
    ck_assert_msg(strstr(vmhi_error_last_message(), "web1") != NULL, "%s",
                  vmhi_error_last_message());
    /* Same name, other UUID. */
    vmhi_vm_config *clash = config_with_uuid("web1", UUID_B);
    ck_vmhi(vmhi_vm_define(NULL, conn, clash, 0), VMHI_E_EXISTS);
    ck_vmhi(vmhi_vm_create(NULL, conn, clash, 0), VMHI_E_EXISTS);
    ck_vmhi(vmhi_vm_create(NULL, conn, cfg, 0), VMHI_E_EXISTS);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 1);
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, conn, "web2"), VMHI_E_NO_VM);
    ck_vmhi(vmhi_vm_lookup_by_uuid(&vm, conn, UUID_B), VMHI_E_NO_VM);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config_free(renamed);
    vmhi_vm_config_free(clash);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(undefine_shutoff_vm_removes_it)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "gone", 64);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    ck_vmhi(vmhi_vm_undefine(vm, 0), VMHI_E_NO_VM);
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(undefine_running_vm_makes_it_transient)
{
    vmhi_conn *conn = bt_open("test:///default?guest=instant");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.persistent, 0);
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_vmhi(vmhi_vm_undefine(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    ck_assert_msg(strstr(vmhi_error_last_message(), "transient") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0); /* vanished when it stopped */
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(undefine_suspended_vm_discards_it)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(create_makes_a_running_transient_vm)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_int_eq(info.reason, VMHI_REASON_BOOTED);
    ck_assert_int_eq(info.persistent, 0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi(vmhi_vm_get_info(vm, &info), VMHI_E_NO_VM);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(define_makes_a_transient_vm_persistent)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = config_with_uuid("tmp", UUID_A);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF); /* still there */
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(info_reports_config_and_growing_cpu_time)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("vm", 256);
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 2));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.max_vcpus, 4);
    ck_assert_uint_eq(info.memory_mib, 256);
    ck_assert_uint_eq(info.max_memory_mib, 512);
    ck_assert_uint_eq(info.cpu_time_ns, 0);
    ck_assert_int_eq(info.persistent, 1);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    bt_sleep_ms(5);
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    uint64_t first = info.cpu_time_ns;
    ck_assert_uint_gt(first, 0);
    bt_sleep_ms(5);
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_gt(info.cpu_time_ns, first);
    /* Paused vCPUs use no CPU time. */
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    uint64_t paused = info.cpu_time_ns;
    bt_sleep_ms(5);
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.cpu_time_ns, paused);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.cpu_time_ns, 0);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(get_config_round_trips)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = config_with_uuid("vm", UUID_A);
    bt_config_add_disk(cfg, NULL, "/images/vm.img");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_str_eq(vmhi_vm_config_get_name(got), "vm");
    ck_assert_str_eq(vmhi_vm_config_get_uuid(got), UUID_A);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 1);
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(got, 0)), "disk0");
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(nics_without_mac_get_distinct_generated_ones)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("vm", 64);
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 2);
    const char *m0 = vmhi_nic_get_mac(vmhi_vm_config_get_nic(got, 0));
    const char *m1 = vmhi_nic_get_mac(vmhi_vm_config_get_nic(got, 1));
    ck_assert_ptr_nonnull(m0);
    ck_assert_ptr_nonnull(m1);
    ck_assert_str_ne(m0, m1);
    ck_assert_str_eq(vmhi_nic_get_id(vmhi_vm_config_get_nic(got, 0)), "nic0");
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(start_beyond_free_host_memory_is_try_again)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *big = bt_define(conn, "big", 8192);
    vmhi_vm *big2 = bt_define(conn, "big2", 8192);
    vmhi_vm *small = bt_define(conn, "small", 16);
    ck_vmhi_ok(vmhi_vm_start(big, 0));
    ck_vmhi_ok(vmhi_vm_start(big2, 0));
    ck_vmhi(vmhi_vm_start(small, 0), VMHI_E_TRY_AGAIN);
    ck_assert_msg(strstr(vmhi_error_last_message(), "small") != NULL, "%s",
                  vmhi_error_last_message());
    ck_assert_int_eq(bt_state(small), VMHI_STATE_SHUTOFF);
    vmhi_vm_config *cfg = bt_config("tmp", 16);
    ck_vmhi(vmhi_vm_create(NULL, conn, cfg, 0), VMHI_E_TRY_AGAIN);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 3);
    ck_vmhi_ok(vmhi_vm_poweroff(big2, 0));
    ck_vmhi_ok(vmhi_vm_start(small, 0));
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(big);
    vmhi_vm_free(big2);
    vmhi_vm_free(small);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(bad_configs_leave_nothing_behind)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("vm", 64);
    /* Memory above the host's per-VM maximum. */
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 32768));
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_LIMIT);
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 64));
    /* More vCPUs than the host allows. */
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 65));
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_LIMIT);
    ck_vmhi(vmhi_vm_create(NULL, conn, cfg, 0), VMHI_E_LIMIT);
    /* Zero vCPUs never gets into a config. */
    ck_vmhi(vmhi_vm_config_set_vcpus(cfg, 0), VMHI_E_INVALID_ARG);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(host_holds_at_most_1024_vms)
{
    vmhi_conn *conn = bt_open("test:///default");
    char name[32];
    for (int i = 0; i < 1024; i++) {
        snprintf(name, sizeof(name), "vm%d", i);
        vmhi_vm_config *cfg = bt_config(name, 16);
        ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
        vmhi_vm_config_free(cfg);
    }
    vmhi_vm_config *cfg = bt_config("one-too-many", 16);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_LIMIT);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 1024);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_lifecycle");
    TCase *tc = tcase_create("definitions");
    tcase_add_test(tc, define_then_lookup_by_name_and_uuid);
    tcase_add_test(tc, lookup_of_missing_vm_fails);
    tcase_add_test(tc, list_filters_by_state_and_persistence);
    tcase_add_test(tc, define_same_uuid_and_name_updates_definition);
    tcase_add_test(tc, define_conflicts_are_refused_and_change_nothing);
    tcase_add_test(tc, undefine_shutoff_vm_removes_it);
    tcase_add_test(tc, undefine_running_vm_makes_it_transient);
    tcase_add_test(tc, undefine_suspended_vm_discards_it);
    tcase_add_test(tc, create_makes_a_running_transient_vm);
    tcase_add_test(tc, define_makes_a_transient_vm_persistent);
    tcase_add_test(tc, get_config_round_trips);
    tcase_add_test(tc, nics_without_mac_get_distinct_generated_ones);
    suite_add_tcase(s, tc);
    tc = tcase_create("runtime");
    tcase_add_test(tc, info_reports_config_and_growing_cpu_time);
    tcase_add_test(tc, start_beyond_free_host_memory_is_try_again);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, bad_configs_leave_nothing_behind);
    tcase_add_test(tc, host_holds_at_most_1024_vms);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
