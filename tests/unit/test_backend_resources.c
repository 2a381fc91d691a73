/*
 * The test backend: memory (balloon, maximum, statistics) and vCPUs, live
 * and in the definition, with their events.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

typedef struct fixture {
    vmhi_conn *conn;
    vmhi_vm *vm;
    bt_recorder rec;
} fixture;

/* A running VM with 256 of up to 512 MiB and 1 of up to 4 vCPUs. */
static void running_vm(fixture *f)
{
    f->conn = bt_open("test:///default");
    f->vm = bt_define(f->conn, "vm", 256);
    ck_vmhi_ok(vmhi_vm_start(f->vm, 0));
    bt_subscribe(f->conn, &f->rec, VMHI_EVENT_ALL_1_0);
}

static void done(fixture *f)
{
    vmhi_vm_free(f->vm);
    vmhi_conn_close(f->conn);
}

static uint64_t config_memory(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    uint64_t mib = vmhi_vm_config_get_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    return mib;
}

static vmhi_vm_info info_of(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    return info;
}

START_TEST(live_balloon_changes_running_vm_and_emits_memory)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 128, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 128);
    bt_wait_events(f.conn, &f.rec, 1);
    ck_assert_int_eq(f.rec.ev[0].type, VMHI_EVENT_MEMORY);
    ck_assert_uint_eq(f.rec.ev[0].value, 128);
    /* The definition is untouched: the next start has 256 again. */
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 256);
    done(&f);
}
END_TEST

START_TEST(current_means_live_when_running_and_config_when_off)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 200, VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 200);
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 256);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 300, VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 300);
    done(&f);
}
END_TEST

START_TEST(live_and_config_change_both_at_once)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 400, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 400);
    bt_wait_events(f.conn, &f.rec, 2);
    ck_assert_int_ge(bt_find_event(&f.rec, 0, VMHI_EVENT_DEFINED), 0);
    ck_assert_int_ge(bt_find_event(&f.rec, 0, VMHI_EVENT_MEMORY), 0);
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(config_memory(f.vm), 400);
    done(&f);
}
END_TEST

START_TEST(memory_above_maximum_or_below_minimum_is_refused)
{
    fixture f;
    running_vm(&f);
    ck_vmhi(vmhi_vm_set_memory(f.vm, 1024, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    ck_assert_msg(strstr(vmhi_error_last_message(), "512") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_set_memory(f.vm, 1024, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_set_memory(f.vm, 8, VMHI_AFFECT_LIVE), VMHI_E_LIMIT);
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 256);
    ck_assert_uint_eq(f.rec.count, 0);
    ck_assert_int_eq(vmhi_conn_dispatch_events(f.conn, 0), 0);
    done(&f);
}
END_TEST

START_TEST(live_change_of_inactive_vm_is_invalid_state)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi(vmhi_vm_set_memory(vm, 32, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 256, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    vmhi_memory_stats stats = VMHI_MEMORY_STATS_INIT;
    ck_vmhi(vmhi_vm_get_memory_stats(vm, &stats), VMHI_E_INVALID_STATE);
    vmhi_vcpu_list *list = NULL;
    ck_vmhi(vmhi_vm_get_vcpus(vm, &list), VMHI_E_INVALID_STATE);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(config_change_of_transient_vm_is_invalid_state)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    ck_vmhi(vmhi_vm_set_memory(vm, 32, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 256, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 256, VMHI_AFFECT_CURRENT), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_set_max_memory(vm, 256, VMHI_AFFECT_LIVE));
    ck_vmhi(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE));
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(balloon_may_not_exceed_host_memory)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("a", 8192); /* max 16384 */
    vmhi_vm *a = NULL;
    ck_vmhi_ok(vmhi_vm_define(&a, conn, cfg, 0));
    vmhi_vm *b = bt_define(conn, "b", 8000);
    ck_vmhi_ok(vmhi_vm_start(a, 0));
    ck_vmhi_ok(vmhi_vm_start(b, 0));
    ck_vmhi(vmhi_vm_set_memory(a, 9000, VMHI_AFFECT_LIVE), VMHI_E_TRY_AGAIN);
    ck_vmhi_ok(vmhi_vm_set_memory(a, 8384, VMHI_AFFECT_LIVE));
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_conn_close(conn);
}
END_TEST

/* MEM-7: CONFIG and CURRENT change the definition only, also while the VM
 * runs; the running VM keeps its maximum until the next start. */
START_TEST(max_memory_current_changes_the_definition)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_max_memory(f.vm, 1024, VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 512); /* live maximum unchanged */
    ck_vmhi_ok(vmhi_vm_set_max_memory(f.vm, 2048, VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 512);
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 2048);
    bt_wait_events(f.conn, &f.rec, 2);
    ck_assert_int_eq(f.rec.ev[0].type, VMHI_EVENT_DEFINED);
    done(&f);
}
END_TEST

static uint64_t defined_max_memory(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, VMHI_AFFECT_CONFIG));
    uint64_t mib = vmhi_vm_config_get_max_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    return mib;
}

/* MEM-12: the test backend declares VMHI_CAP_LIVE for set-max-memory; a
 * live maximum applies at once, bounds the balloon, never goes below the
 * live memory, and leaves the definition alone. */
START_TEST(live_max_memory_changes_the_running_vm_only)
{
    fixture f;
    running_vm(&f);
    unsigned int caps = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(f.conn, VMHI_OP_SET_MAX_MEMORY, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED | VMHI_CAP_LIVE | VMHI_CAP_CONFIG);
    ck_vmhi_ok(vmhi_vm_set_max_memory(f.vm, 1024, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 1024);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 1024, VMHI_AFFECT_LIVE));
    ck_vmhi(vmhi_vm_set_max_memory(f.vm, 512, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    ck_assert_msg(strstr(vmhi_error_last_message(), "live memory") != NULL, "%s",
                  vmhi_error_last_message());
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 1024);
    /* Lowered down to the memory, it bounds the balloon again. */
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 128, VMHI_AFFECT_LIVE));
    ck_vmhi_ok(vmhi_vm_set_max_memory(f.vm, 128, VMHI_AFFECT_LIVE));
    ck_vmhi(vmhi_vm_set_memory(f.vm, 256, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    ck_assert_uint_eq(defined_max_memory(f.vm), 512);
    /* Only the balloon changes emitted (EV-8); a new maximum is no event. */
    bt_wait_events(f.conn, &f.rec, 2);
    ck_assert_int_eq(vmhi_conn_dispatch_events(f.conn, 0), 0);
    ck_assert_uint_eq(f.rec.count, 2);
    ck_assert_int_eq(f.rec.ev[0].type, VMHI_EVENT_MEMORY);
    ck_assert_int_eq(f.rec.ev[1].type, VMHI_EVENT_MEMORY);
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 512);
    ck_vmhi(vmhi_vm_set_max_memory(f.vm, 1024, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    done(&f);
}
END_TEST

/* LIVE | CONFIG changes both or, when either is refused, neither. */
START_TEST(live_and_config_max_memory_both_or_neither)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 400, VMHI_AFFECT_CONFIG));
    ck_vmhi(vmhi_vm_set_max_memory(f.vm, 300, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_INVALID_ARG); /* the live 256 fits, the configured 400 does not */
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 512);
    ck_assert_uint_eq(defined_max_memory(f.vm), 512);
    ck_vmhi_ok(vmhi_vm_set_max_memory(f.vm, 2048, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(info_of(f.vm).max_memory_mib, 2048);
    ck_assert_uint_eq(defined_max_memory(f.vm), 2048);
    done(&f);
}
END_TEST

START_TEST(max_memory_bounds)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 256);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 128, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_ARG);
    ck_assert_msg(strstr(vmhi_error_last_message(), "256") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_set_max_memory(vm, 32768, VMHI_AFFECT_CONFIG), VMHI_E_LIMIT);
    ck_assert_uint_eq(info_of(vm).max_memory_mib, 512);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(memory_stats_are_plausible)
{
    fixture f;
    running_vm(&f);
    vmhi_memory_stats st = VMHI_MEMORY_STATS_INIT;
    ck_vmhi_ok(vmhi_vm_get_memory_stats(f.vm, &st));
    ck_assert_uint_eq(st.actual_kib, 256 * 1024);
    ck_assert_uint_le(st.available_kib, st.actual_kib);
    ck_assert_uint_le(st.usable_kib, st.available_kib);
    ck_assert_uint_le(st.unused_kib, st.usable_kib);
    ck_assert_uint_gt(st.rss_kib, 0);
    ck_assert_uint_ne(st.swap_in_kib, UINT64_MAX);
    ck_assert_uint_ne(st.minor_faults, UINT64_MAX);
    ck_vmhi_ok(vmhi_vm_set_memory(f.vm, 128, VMHI_AFFECT_LIVE));
    ck_vmhi_ok(vmhi_vm_get_memory_stats(f.vm, &st));
    ck_assert_uint_eq(st.actual_kib, 128 * 1024);
    done(&f);
}
END_TEST

START_TEST(vcpu_hotplug_changes_count_and_emits_vcpu)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_vcpus(f.vm, 3, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(info_of(f.vm).vcpus, 3);
    bt_wait_events(f.conn, &f.rec, 1);
    ck_assert_int_eq(f.rec.ev[0].type, VMHI_EVENT_VCPU);
    ck_assert_uint_eq(f.rec.ev[0].value, 3);
    ck_vmhi_ok(vmhi_vm_poweroff(f.vm, 0));
    ck_assert_uint_eq(info_of(f.vm).vcpus, 1);
    ck_vmhi_ok(vmhi_vm_set_vcpus(f.vm, 4, VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(info_of(f.vm).vcpus, 4);
    done(&f);
}
END_TEST

START_TEST(vcpus_above_maximum_are_refused)
{
    fixture f;
    running_vm(&f);
    ck_vmhi(vmhi_vm_set_vcpus(f.vm, 5, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    ck_assert_msg(strstr(vmhi_error_last_message(), "4") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_set_vcpus(f.vm, 0, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_set_vcpus(f.vm, 65, VMHI_AFFECT_LIVE), VMHI_E_LIMIT);
    ck_vmhi(vmhi_vm_set_vcpus(f.vm, 5, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_INVALID_ARG);
    ck_assert_uint_eq(info_of(f.vm).vcpus, 1);
    done(&f);
}
END_TEST

START_TEST(vcpu_list_reports_online_vcpus)
{
    fixture f;
    running_vm(&f);
    ck_vmhi_ok(vmhi_vm_set_vcpus(f.vm, 2, VMHI_AFFECT_LIVE));
    bt_sleep_ms(2);
    vmhi_vcpu_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_get_vcpus(f.vm, &list));
    ck_assert_uint_eq(vmhi_vcpu_list_count(list), 4);
    for (size_t i = 0; i < 4; i++) {
        vmhi_vcpu_info info = VMHI_VCPU_INFO_INIT;
        ck_vmhi_ok(vmhi_vcpu_list_get(list, i, &info));
        ck_assert_uint_eq(info.id, i);
        ck_assert_int_eq(info.online, i < 2);
        if (i < 2) {
            ck_assert_int_ge(info.host_cpu, 0);
            ck_assert_int_lt(info.host_cpu, 8);
            ck_assert_uint_gt(info.cpu_time_ns, 0);
        } else {
            ck_assert_int_eq(info.host_cpu, -1);
        }
    }
    vmhi_vcpu_list_free(list);
    done(&f);
}
END_TEST

START_TEST(bad_affect_flags_are_refused)
{
    fixture f;
    running_vm(&f);
    ck_assert_int_ne(vmhi_vm_set_memory(f.vm, 128, 0x80), VMHI_OK);
    ck_assert_int_ne(vmhi_vm_set_vcpus(f.vm, 2, 0x80), VMHI_OK);
    ck_assert_uint_eq(info_of(f.vm).memory_mib, 256);
    ck_assert_uint_eq(info_of(f.vm).vcpus, 1);
    done(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_resources");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, live_balloon_changes_running_vm_and_emits_memory);
    tcase_add_test(tc, current_means_live_when_running_and_config_when_off);
    tcase_add_test(tc, live_and_config_change_both_at_once);
    tcase_add_test(tc, memory_above_maximum_or_below_minimum_is_refused);
    tcase_add_test(tc, live_change_of_inactive_vm_is_invalid_state);
    tcase_add_test(tc, config_change_of_transient_vm_is_invalid_state);
    tcase_add_test(tc, balloon_may_not_exceed_host_memory);
    tcase_add_test(tc, max_memory_current_changes_the_definition);
    tcase_add_test(tc, live_max_memory_changes_the_running_vm_only);
    tcase_add_test(tc, live_and_config_max_memory_both_or_neither);
    tcase_add_test(tc, max_memory_bounds);
    tcase_add_test(tc, memory_stats_are_plausible);
    suite_add_tcase(s, tc);
    tc = tcase_create("vcpus");
    tcase_add_test(tc, vcpu_hotplug_changes_count_and_emits_vcpu);
    tcase_add_test(tc, vcpus_above_maximum_are_refused);
    tcase_add_test(tc, vcpu_list_reports_online_vcpus);
    tcase_add_test(tc, bad_affect_flags_are_refused);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
