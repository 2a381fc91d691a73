/*
 * Names of enum values both ways, the *_COUNT_1_0 bounds, the error code
 * names, and ERR-2's other half: calls that cannot fail leave the last
 * error alone.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>

#include "testutil.h"

/* Every value from @first below @count has a name that maps back to it;
 * the value at @count (the first one 1.0 does not define) has none. */
#define CHECK_ENUM(type, prefix, first, count)                                      \
    do {                                                                            \
        for (int v = (first); v < (count); v++) {                                   \
            const char *name = prefix##_name((type)v);                              \
            ck_assert_msg(name != NULL, #prefix " %d has no name", v);              \
            type back = (type)-1;                                                   \
            ck_vmhi_ok(prefix##_from_name(name, &back));                            \
            ck_assert_int_eq((int)back, v);                                         \
        }                                                                           \
        ck_assert_ptr_null(prefix##_name((type)(count)));                           \
        type untouched = (type)(first);                                             \
        ck_vmhi(prefix##_from_name("no-such-name", &untouched), VMHI_E_INVALID_ARG); \
        ck_assert_int_eq((int)untouched, (first));                                  \
        ck_vmhi(prefix##_from_name(NULL, &untouched), VMHI_E_INVALID_ARG);          \
        ck_vmhi(prefix##_from_name(name_of_first(prefix##_name((type)(first))), NULL), \
                VMHI_E_INVALID_ARG);                                                \
    } while (0)

static const char *name_of_first(const char *name)
{
    return name ? name : "";
}

START_TEST(config_enums_round_trip)
{
    CHECK_ENUM(vmhi_firmware, vmhi_firmware, 0, VMHI_FIRMWARE_COUNT_1_0);
    CHECK_ENUM(vmhi_guest_type, vmhi_guest_type, 0, VMHI_GUEST_TYPE_COUNT_1_0);
    CHECK_ENUM(vmhi_boot_method, vmhi_boot_method, 0, VMHI_BOOT_METHOD_COUNT_1_0);
    CHECK_ENUM(vmhi_disk_format, vmhi_disk_format, 0, VMHI_DISK_FORMAT_COUNT_1_0);
    CHECK_ENUM(vmhi_disk_bus, vmhi_disk_bus, 0, VMHI_DISK_BUS_COUNT_1_0);
    CHECK_ENUM(vmhi_nic_model, vmhi_nic_model, 0, VMHI_NIC_MODEL_COUNT_1_0);
    CHECK_ENUM(vmhi_network_kind, vmhi_network_kind, 0, VMHI_NETWORK_KIND_COUNT_1_0);
    CHECK_ENUM(vmhi_boot_dev, vmhi_boot_dev, 1, VMHI_BOOT_DEV_COUNT_1_0);
    ck_assert_ptr_null(vmhi_boot_dev_name((vmhi_boot_dev)0));
    /* DEFAULT is 0 and has its own spelling; virtio is not the default any more. */
    ck_assert_str_eq(vmhi_disk_bus_name(VMHI_DISK_BUS_DEFAULT), "default");
    ck_assert_str_eq(vmhi_nic_model_name(VMHI_NIC_MODEL_DEFAULT), "default");
    ck_assert_int_ne(VMHI_DISK_BUS_VIRTIO, 0);
    ck_assert_int_ne(VMHI_NIC_MODEL_VIRTIO, 0);
}
END_TEST

START_TEST(vm_and_conn_enums_round_trip)
{
    CHECK_ENUM(vmhi_vm_state, vmhi_vm_state, 1, VMHI_VM_STATE_COUNT_1_0);
    CHECK_ENUM(vmhi_state_reason, vmhi_state_reason, 0, VMHI_STATE_REASON_COUNT_1_0);
    CHECK_ENUM(vmhi_shutdown_method, vmhi_shutdown_method, 0, VMHI_SHUTDOWN_METHOD_COUNT_1_0);
    CHECK_ENUM(vmhi_device_type, vmhi_device_type, 1, VMHI_DEVICE_TYPE_COUNT_1_0);
    CHECK_ENUM(vmhi_device_state, vmhi_device_state, 1, VMHI_DEVICE_STATE_COUNT_1_0);
    CHECK_ENUM(vmhi_completion, vmhi_completion, 1, VMHI_COMPLETION_COUNT_1_0);
    CHECK_ENUM(vmhi_op, vmhi_op, 1, VMHI_OP_COUNT_1_0);
    CHECK_ENUM(vmhi_limit, vmhi_limit, 1, VMHI_LIMIT_COUNT_1_0);
    CHECK_ENUM(vmhi_value_kind, vmhi_value_kind, 1, VMHI_VALUE_KIND_COUNT_1_0);
    CHECK_ENUM(vmhi_log_level, vmhi_log_level, 1, VMHI_LOG_LEVEL_COUNT_1_0);
    CHECK_ENUM(vmhi_cred_type, vmhi_cred_type, 1, VMHI_CRED_TYPE_COUNT_1_0);
}
END_TEST

/* The 1.1 enum of vmhi/ovf.h, against its own bound. */
START_TEST(ovf_enums_round_trip)
{
    CHECK_ENUM(vmhi_ovf_report_kind, vmhi_ovf_report_kind, 1, VMHI_OVF_REPORT_KIND_COUNT_1_1);
    ck_assert_ptr_null(vmhi_ovf_report_kind_name((vmhi_ovf_report_kind)0));
    vmhi_ovf_report_kind k = VMHI_OVF_REPORT_ADAPTED;
    ck_vmhi(vmhi_ovf_report_kind_from_name("Adapted", &k), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(k, VMHI_OVF_REPORT_ADAPTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "OVF report kind"));
    /* The bit set: every bit of its _ALL_1_1 mask named, and only those. */
    for (unsigned bit = 1; bit != 0; bit <<= 1) {
        const char *name = vmhi_ovf_flag_name((vmhi_ovf_flag)bit);
        ck_assert_int_eq(name != NULL, (bit & VMHI_OVF_FLAG_ALL_1_1) != 0);
        if (name) {
            vmhi_ovf_flag f = 0;
            ck_vmhi_ok(vmhi_ovf_flag_from_name(name, &f));
            ck_assert_uint_eq((unsigned)f, bit);
        }
    }
    ck_assert_ptr_null(vmhi_ovf_flag_name((vmhi_ovf_flag)0));
    ck_assert_str_eq(vmhi_ovf_flag_name(VMHI_OVF_STRICT), "strict");
    vmhi_ovf_flag f = VMHI_OVF_STRICT;
    ck_vmhi(vmhi_ovf_flag_from_name("Strict", &f), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_flag_from_name(NULL, &f), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(f, VMHI_OVF_STRICT);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "OVF flag"));
}
END_TEST

/* Bit-valued enums: every bit of the _ALL_1_0 mask has a name and only those. */
START_TEST(bit_enums_round_trip)
{
    for (unsigned bit = 1; bit != 0; bit <<= 1) {
        const char *name = vmhi_event_type_name((vmhi_event_type)bit);
        ck_assert_int_eq(name != NULL, (bit & VMHI_EVENT_ALL_1_0) != 0);
        vmhi_event_type t;
        if (name) {
            ck_vmhi_ok(vmhi_event_type_from_name(name, &t));
            ck_assert_uint_eq((unsigned)t, bit);
        }
        const char *pname = vmhi_profile_name(bit);
        ck_assert_int_eq(pname != NULL, (bit & VMHI_PROFILE_ALL_1_0) != 0);
        if (pname) {
            vmhi_profile p;
            ck_vmhi_ok(vmhi_profile_from_name(pname, &p));
            ck_assert_uint_eq((unsigned)p, bit);
        }
        const char *cname = vmhi_cap_name(bit);
        ck_assert_int_eq(cname != NULL, (bit & VMHI_CAP_ALL_1_1) != 0);
        if (cname) {
            vmhi_cap c;
            ck_vmhi_ok(vmhi_cap_from_name(cname, &c));
            ck_assert_uint_eq((unsigned)c, bit);
        }
    }
    vmhi_profile p;
    ck_vmhi_ok(vmhi_profile_from_name("lifecycle-full", &p)); /* case-insensitive */
    ck_assert_uint_eq(p, VMHI_PROFILE_LIFECYCLE_FULL);
    for (unsigned f = 0; f < 4; f++) {
        unsigned back = 99;
        ck_vmhi_ok(vmhi_affect_from_name(vmhi_affect_name(f), &back));
        ck_assert_uint_eq(back, f);
    }
    ck_assert_ptr_null(vmhi_affect_name(4));
}
END_TEST

/* vmhi_value_name() spells each kind's values as that kind's own lookup. */
START_TEST(value_names_follow_their_kind)
{
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_PVSCSI), "pvscsi");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_XEN), "xen");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_DISK_ACCESS, 1), "read-only");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_DISK_ACCESS, 0), "read-write");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_GUEST_TYPE, VMHI_GUEST_PVH), "pvh");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_SHUTDOWN_METHOD, VMHI_SHUTDOWN_PV), "pv");
    ck_assert_str_eq(vmhi_value_name(VMHI_VALUE_BOOT_METHOD, VMHI_BOOT_METHOD_KERNEL), "kernel");
    ck_assert_ptr_null(vmhi_value_name(VMHI_VALUE_DISK_ACCESS, 2));
    ck_assert_ptr_null(vmhi_value_name((vmhi_value_kind)0, 0));
    ck_assert_ptr_null(vmhi_value_name((vmhi_value_kind)VMHI_VALUE_KIND_COUNT_1_0, 0));
}
END_TEST

START_TEST(error_codes_have_names)
{
    for (int code = 0; code >= VMHI_ERROR_CODE_MIN_1_0; code--) {
        const char *name = vmhi_error_name(code);
        ck_assert_msg(name != NULL, "error %d has no name", code);
        ck_assert_str_ne(vmhi_strerror(code), "unknown error");
        int back = 1;
        ck_vmhi_ok(vmhi_error_from_name(name, &back));
        ck_assert_int_eq(back, code);
    }
    ck_assert_ptr_null(vmhi_error_name(VMHI_ERROR_CODE_MIN_1_0 - 1));
    ck_assert_str_eq(vmhi_error_name(VMHI_E_PERMISSION), "permission");
    ck_assert_str_eq(vmhi_error_name(VMHI_E_TRY_AGAIN), "try-again");
    ck_assert_str_eq(vmhi_error_name(VMHI_E_NOT_FOUND), "not-found");
}
END_TEST

/* ERR-2: a getter between a failure and the error readers changes nothing. */
START_TEST(err_2_calls_that_cannot_fail_keep_the_last_error)
{
    vmhi_conn *c = vmhi_test_open("test:///default");
    vmhi_vm *vm = vmhi_test_define(c, "keep");
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_INVALID_STATE);
    char message[1024];
    snprintf(message, sizeof(message), "%s", vmhi_error_last_message());
    ck_assert_str_ne(message, "");

    (void)vmhi_vm_get_name(vm);
    (void)vmhi_vm_get_uuid(vm);
    (void)vmhi_conn_get_uri(c);
    (void)vmhi_conn_get_backend(c);
    (void)vmhi_vm_config_get_name(cfg);
    (void)vmhi_vm_config_get_vcpus(cfg);
    (void)vmhi_vm_config_get_kernel(cfg);
    (void)vmhi_vm_config_get_metadata(cfg, "x-acme:tier");
    (void)vmhi_vm_config_get_metadata_count(cfg);
    (void)vmhi_vm_config_get_disk(cfg, 7);
    (void)vmhi_network_kind_of("bridge:br0");
    (void)vmhi_disk_bus_name(VMHI_DISK_BUS_IDE);
    (void)vmhi_op_name(VMHI_OP_START);
    (void)vmhi_strerror(VMHI_E_NO_VM);
    (void)vmhi_error_name(VMHI_E_NO_VM);
    (void)vmhi_version();
    (void)vmhi_version_string();
    (void)vmhi_error_last_native();
    (void)vmhi_error_last_location(NULL, NULL);
    vmhi_free(NULL);
    vmhi_disk_free(NULL);

    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_INVALID_STATE);
    ck_assert_str_eq(vmhi_error_last_message(), message);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(network_kinds)
{
    ck_assert_int_eq(vmhi_network_kind_of("user"), VMHI_NETWORK_USER);
    ck_assert_int_eq(vmhi_network_kind_of("bridge:br0"), VMHI_NETWORK_BRIDGE);
    ck_assert_int_eq(vmhi_network_kind_of("default"), VMHI_NETWORK_NAMED);
    ck_assert_int_eq(vmhi_network_kind_of("VM Network"), VMHI_NETWORK_NAMED);
    ck_assert_int_eq(vmhi_network_kind_of("users"), VMHI_NETWORK_NAMED);
    ck_assert_int_eq(vmhi_network_kind_of(NULL), VMHI_NETWORK_NAMED);
}
END_TEST

/* ABI-15: the versioned bounds are part of the ABI: their values are
 * pinned here, so a change to one is a failing test, not a silent shift. */
START_TEST(abi_15_versioned_bounds_never_change)
{
    ck_assert_int_eq(VMHI_FIRMWARE_COUNT_1_0, 2);
    ck_assert_int_eq(VMHI_GUEST_TYPE_COUNT_1_0, 4);
    ck_assert_int_eq(VMHI_BOOT_METHOD_COUNT_1_0, 2);
    ck_assert_int_eq(VMHI_DISK_FORMAT_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_DISK_BUS_COUNT_1_0, 7);
    ck_assert_int_eq(VMHI_NIC_MODEL_COUNT_1_0, 6);
    ck_assert_int_eq(VMHI_NETWORK_KIND_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_BOOT_DEV_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_VM_STATE_COUNT_1_0, 7);
    ck_assert_int_eq(VMHI_STATE_REASON_COUNT_1_0, 13);
    ck_assert_int_eq(VMHI_SHUTDOWN_METHOD_COUNT_1_0, 4);
    ck_assert_int_eq(VMHI_DEVICE_TYPE_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_DEVICE_STATE_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_COMPLETION_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_OP_COUNT_1_0, 26);
    ck_assert_int_eq(VMHI_LIMIT_COUNT_1_0, 8);
    ck_assert_int_eq(VMHI_VALUE_KIND_COUNT_1_0, 10);
    ck_assert_int_eq(VMHI_LOG_LEVEL_COUNT_1_0, 5);
    ck_assert_int_eq(VMHI_CRED_TYPE_COUNT_1_0, 3);
    ck_assert_int_eq(VMHI_ERROR_CODE_MIN_1_0, -21);
    ck_assert_uint_eq(VMHI_EVENT_ALL_1_0, 0x7fu);
    ck_assert_uint_eq(VMHI_PROFILE_ALL_1_0, 0x7fu);
    ck_assert_uint_eq(VMHI_CAP_ALL_1_0, 0xfu);
    ck_assert_uint_eq(VMHI_CAP_ALL_1_1, 0x1fu);
    ck_assert_int_eq(VMHI_OVF_REPORT_KIND_COUNT_1_1, 4);
    ck_assert_uint_eq(VMHI_OVF_FLAG_ALL_1_1, 0x1u);
    ck_assert_int_eq(VMHI_METADATA_MAX, 64);
    ck_assert_int_eq(VMHI_METADATA_KEY_MAX, 128);
    ck_assert_int_eq(VMHI_METADATA_VALUE_MAX, 4095);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, config_enums_round_trip);
    tcase_add_test(tc, vm_and_conn_enums_round_trip);
    tcase_add_test(tc, ovf_enums_round_trip);
    tcase_add_test(tc, bit_enums_round_trip);
    tcase_add_test(tc, value_names_follow_their_kind);
    tcase_add_test(tc, error_codes_have_names);
    tcase_add_test(tc, err_2_calls_that_cannot_fail_keep_the_last_error);
    tcase_add_test(tc, network_kinds);
    tcase_add_test(tc, abi_15_versioned_bounds_never_change);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
