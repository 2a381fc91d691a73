/*
 * The test backend: opening URIs, host facts, limits, capabilities.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

START_TEST(default_uri_opens_an_empty_host)
{
    vmhi_conn *conn = bt_open("test:///default");
    ck_assert_str_eq(vmhi_conn_get_backend(conn), "test");
    ck_assert_str_eq(vmhi_conn_get_uri(conn), "test:///default");
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(default_hosts_are_private_to_each_connection)
{
    vmhi_conn *a = bt_open("test:///default");
    vmhi_conn *b = bt_open("test:///default");
    vmhi_vm *vm = bt_define(a, "only-in-a", 64);
    ck_assert_uint_eq(bt_count_vms(a, 0), 1);
    ck_assert_uint_eq(bt_count_vms(b, 0), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(a);
    vmhi_conn_close(b);
}
END_TEST

START_TEST(default_with_trailing_slash_is_still_in_memory)
{
    vmhi_conn *a = bt_open("test:///default/");
    vmhi_conn *b = bt_open("test:///default/");
    vmhi_vm *vm = bt_define(a, "only-in-a", 64);
    ck_assert_uint_eq(bt_count_vms(b, 0), 0); /* not a shared directory host */
    vmhi_vm_free(vm);
    vmhi_conn_close(a);
    vmhi_conn_close(b);
}
END_TEST

START_TEST(guest_modes_are_accepted)
{
    const char *uris[] = { "test:///default?guest=cooperative", "test:///default?guest=instant",
                           "test:///default?guest=unresponsive" };
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
        vmhi_conn_close(bt_open(uris[i]));
}
END_TEST

static void expect_open_error(const char *uri, int code, const char *needle)
{
    vmhi_conn *conn = (vmhi_conn *)1;
    ck_vmhi(vmhi_conn_open(&conn, uri, NULL), code);
    ck_assert_ptr_null(conn);
    if (needle)
        ck_assert_msg(strstr(vmhi_error_last_message(), needle) != NULL,
                      "message for %s does not mention '%s': %s", uri, needle,
                      vmhi_error_last_message());
}

START_TEST(unknown_parameter_is_named)
{
    expect_open_error("test:///default?colour=blue", VMHI_E_INVALID_ARG, "colour");
}
END_TEST

START_TEST(unknown_guest_mode_is_named)
{
    expect_open_error("test:///default?guest=sleepy", VMHI_E_INVALID_ARG, "sleepy");
}
END_TEST

START_TEST(repeated_guest_parameter_is_refused)
{
    expect_open_error("test:///default?guest=instant&guest=instant", VMHI_E_INVALID_ARG, "twice");
}
END_TEST

START_TEST(unknown_suspend_mode_is_named)
{
    expect_open_error("test:///default?suspend=later", VMHI_E_INVALID_ARG, "later");
    expect_open_error("test:///default?suspend=guest&suspend=guest", VMHI_E_INVALID_ARG,
                      "twice");
}
END_TEST

static unsigned int suspend_caps(vmhi_conn *conn)
{
    unsigned int caps = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_SUSPEND, &caps));
    return caps;
}

/* suspend=guest: VMHI_CAP_GUEST, and a guest that ignores requests makes
 * the suspend fail with VMHI_E_TIMEOUT, changing nothing (LC-SUSPEND-4);
 * a complying guest is suspended as always. */
START_TEST(suspend_that_needs_the_guest)
{
    vmhi_conn *conn = bt_open("test:///default");
    ck_assert_uint_eq(suspend_caps(conn), VMHI_CAP_SUPPORTED);
    vmhi_conn_close(conn);

    conn = bt_open("test:///default?guest=unresponsive&suspend=guest");
    ck_assert_uint_eq(suspend_caps(conn), VMHI_CAP_SUPPORTED | VMHI_CAP_GUEST);
    vmhi_vm *vm = bt_define(conn, "deaf", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_TIMEOUT);
    ck_assert_msg(strstr(vmhi_error_last_message(), "deaf") != NULL, "%s",
                  vmhi_error_last_message());
    vmhi_vm_state st;
    vmhi_state_reason why;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, &why));
    ck_assert_int_eq(st, VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_BOOTED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = bt_open("test:///default?guest=instant&suspend=guest");
    vm = bt_define(conn, "helpful", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, &why));
    ck_assert_int_eq(st, VMHI_STATE_SUSPENDED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(host_in_uri_is_refused)
{
    expect_open_error("test://foo/", VMHI_E_INVALID_ARG, "host");
    expect_open_error("test://foo/default", VMHI_E_INVALID_ARG, "test:///default");
}
END_TEST

START_TEST(uri_without_path_is_refused)
{
    expect_open_error("test:///", VMHI_E_INVALID_ARG, "test:///default");
}
END_TEST

START_TEST(other_schemes_are_declined)
{
    /* Declined by the test backend, and no module serves it in the tests. */
    vmhi_conn *conn = NULL;
    int rc = vmhi_conn_open(&conn, "nosuchhypervisor:///", NULL);
    ck_assert_int_eq(rc, VMHI_E_NO_BACKEND);
    ck_assert_ptr_null(conn);
}
END_TEST

START_TEST(host_info_describes_the_simulated_host)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_str_eq(info.hypervisor, "Test");
    ck_assert_str_eq(info.hypervisor_version, "1.0.0");
    ck_assert_str_eq(info.backend_version, VMHI_VERSION_STRING);
    ck_assert_uint_eq(info.cpus, 8);
    ck_assert_uint_eq(info.memory_mib, 16384);
    ck_assert_uint_eq(info.free_memory_mib, 16384);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(free_memory_counts_active_vms_only)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *a = bt_define(conn, "a", 1024);
    vmhi_vm *b = bt_define(conn, "b", 512);
    ck_vmhi_ok(vmhi_vm_start(a, 0));
    ck_vmhi_ok(vmhi_vm_start(b, 0));
    ck_vmhi_ok(vmhi_vm_pause(b, 0));
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_uint_eq(info.free_memory_mib, 16384 - 1024 - 512);
    ck_vmhi_ok(vmhi_vm_poweroff(a, 0));
    ck_vmhi_ok(vmhi_vm_suspend(b, 0)); /* saved to disk: holds no memory */
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_uint_eq(info.free_memory_mib, 16384);
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(limits_are_reported)
{
    static const struct { vmhi_limit limit; uint64_t value; } expected[] = {
        { VMHI_LIMIT_MAX_VCPUS, 64 },        { VMHI_LIMIT_MIN_MEMORY_MIB, 16 },
        { VMHI_LIMIT_MAX_MEMORY_MIB, 16384 }, { VMHI_LIMIT_MEMORY_GRANULARITY_MIB, 1 },
        { VMHI_LIMIT_MAX_DISKS, 64 },        { VMHI_LIMIT_MAX_NICS, 32 },
        { VMHI_LIMIT_MAX_VMS, 1024 },
    };
    vmhi_conn *conn = bt_open("test:///default");
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        uint64_t value = 0;
        ck_vmhi_ok(vmhi_conn_get_limit(conn, expected[i].limit, &value));
        ck_assert_uint_eq(value, expected[i].value);
    }
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(every_operation_is_supported)
{
    vmhi_conn *conn = bt_open("test:///default");
    const unsigned int live_config = VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned int caps = 0;
        ck_vmhi_ok(vmhi_conn_get_op_caps(conn, (vmhi_op)op, &caps));
        ck_assert_msg(caps & VMHI_CAP_SUPPORTED, "%s not supported", vmhi_op_name((vmhi_op)op));
        bool both = op == VMHI_OP_GET_CONFIG || op == VMHI_OP_SET_MEMORY ||
                    op == VMHI_OP_SET_MAX_MEMORY || op == VMHI_OP_SET_VCPUS ||
                    op == VMHI_OP_ATTACH_DISK || op == VMHI_OP_ATTACH_NIC ||
                    op == VMHI_OP_DETACH_DISK || op == VMHI_OP_DETACH_NIC;
        bool async = op == VMHI_OP_SHUTDOWN || op == VMHI_OP_REBOOT ||
                     op == VMHI_OP_DETACH_DISK || op == VMHI_OP_DETACH_NIC;
        ck_assert_msg(both == ((caps & live_config) == live_config), "%s live/config: 0x%x",
                      vmhi_op_name((vmhi_op)op), caps);
        ck_assert_msg(async == ((caps & VMHI_CAP_ASYNC) != 0), "%s async: 0x%x",
                      vmhi_op_name((vmhi_op)op), caps);
    }
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(all_profiles_are_claimed)
{
    /* A directory host claims every profile... */
    char dir[] = "/tmp/vmhi-profiles-XXXXXX", uri[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(uri, sizeof(uri), "test://%s", dir);
    vmhi_conn *conn = bt_open(uri);
    unsigned int profiles = 0;
    ck_vmhi_ok(vmhi_conn_get_profiles(conn, &profiles));
    ck_assert_uint_eq(profiles, VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL |
                                    VMHI_PROFILE_MEMORY | VMHI_PROFILE_VCPU |
                                    VMHI_PROFILE_DEVICES | VMHI_PROFILE_EVENTS |
                                    VMHI_PROFILE_PERSISTENCE);
    vmhi_conn_close(conn);
    /* ...the volatile test:///default every one but Persistence (spec 14,
     * through the optional get_profiles slot). */
    conn = bt_open("test:///default");
    ck_vmhi_ok(vmhi_conn_get_profiles(conn, &profiles));
    ck_assert_uint_eq(profiles, VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL |
                                    VMHI_PROFILE_MEMORY | VMHI_PROFILE_VCPU |
                                    VMHI_PROFILE_DEVICES | VMHI_PROFILE_EVENTS);
    vmhi_conn_close(conn);
    char lock[96];
    snprintf(lock, sizeof(lock), "%s/.lock", dir);
    unlink(lock);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_conn");
    TCase *tc = tcase_create("open");
    tcase_add_test(tc, default_uri_opens_an_empty_host);
    tcase_add_test(tc, default_hosts_are_private_to_each_connection);
    tcase_add_test(tc, default_with_trailing_slash_is_still_in_memory);
    tcase_add_test(tc, guest_modes_are_accepted);
    tcase_add_test(tc, unknown_parameter_is_named);
    tcase_add_test(tc, unknown_suspend_mode_is_named);
    tcase_add_test(tc, suspend_that_needs_the_guest);
    tcase_add_test(tc, unknown_guest_mode_is_named);
    tcase_add_test(tc, repeated_guest_parameter_is_refused);
    tcase_add_test(tc, host_in_uri_is_refused);
    tcase_add_test(tc, uri_without_path_is_refused);
    tcase_add_test(tc, other_schemes_are_declined);
    suite_add_tcase(s, tc);
    tc = tcase_create("host");
    tcase_add_test(tc, host_info_describes_the_simulated_host);
    tcase_add_test(tc, free_memory_counts_active_vms_only);
    tcase_add_test(tc, limits_are_reported);
    tcase_add_test(tc, every_operation_is_supported);
    tcase_add_test(tc, all_profiles_are_claimed);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
