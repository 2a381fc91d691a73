/*
 * The test backend's per-value capabilities: every 1.0 value by default;
 * refuse= takes values out of the declaration (and the core then refuses
 * them, naming kind and value, before the backend sees the config); lie=
 * keeps them declared but refuses them anyway, a deliberately broken
 * backend whose refusal comes from the backend, not the core.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

#define BIT(v) (UINT64_C(1) << (v))

static uint64_t caps_of(vmhi_conn *conn, vmhi_value_kind kind)
{
    uint64_t values = 0;
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, kind, &values));
    return values;
}

static vmhi_disk *disk_on(vmhi_disk_bus bus, const char *path)
{
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, path));
    ck_vmhi_ok(vmhi_disk_set_bus(d, bus));
    return d;
}

static vmhi_vm_config *config_with_disk(const char *name, vmhi_disk_bus bus)
{
    vmhi_vm_config *cfg = bt_config(name, 64);
    vmhi_disk *d = disk_on(bus, "/images/a.img");
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
    return cfg;
}

static void expect_message(const char *a, const char *b)
{
    const char *msg = vmhi_error_last_message();
    ck_assert_msg(strstr(msg, a) && (!b || strstr(msg, b)), "'%s'/'%s' not in: %s", a,
                  b ? b : "", msg);
}

START_TEST(every_value_is_accepted_by_default)
{
    static const struct { vmhi_value_kind kind; unsigned int count; } kinds[] = {
        { VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_COUNT_1_0 },
        { VMHI_VALUE_DISK_FORMAT, VMHI_DISK_FORMAT_COUNT_1_0 },
        { VMHI_VALUE_DISK_ACCESS, 2 },
        { VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_COUNT_1_0 },
        { VMHI_VALUE_NETWORK_KIND, VMHI_NETWORK_KIND_COUNT_1_0 },
        { VMHI_VALUE_FIRMWARE, VMHI_FIRMWARE_COUNT_1_0 },
        { VMHI_VALUE_GUEST_TYPE, VMHI_GUEST_TYPE_COUNT_1_0 },
        { VMHI_VALUE_BOOT_METHOD, VMHI_BOOT_METHOD_COUNT_1_0 },
        { VMHI_VALUE_SHUTDOWN_METHOD, VMHI_SHUTDOWN_METHOD_COUNT_1_0 },
    };
    vmhi_conn *conn = bt_open("test:///default");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        ck_assert_msg(caps_of(conn, kinds[i].kind) == BIT(kinds[i].count) - 1, "%s: 0x%llx",
                      vmhi_value_kind_name(kinds[i].kind),
                      (unsigned long long)caps_of(conn, kinds[i].kind));
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(refused_values_are_not_declared)
{
    vmhi_conn *conn = bt_open("test:///default?refuse=disk-bus:ide,guest-type:pv,"
                              "disk-access:read-only,shutdown-method:acpi");
    uint64_t all_buses = BIT(VMHI_DISK_BUS_COUNT_1_0) - 1;
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_DISK_BUS), all_buses & ~BIT(VMHI_DISK_BUS_IDE));
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_GUEST_TYPE),
                      (BIT(VMHI_GUEST_TYPE_COUNT_1_0) - 1) & ~BIT(VMHI_GUEST_PV));
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_DISK_ACCESS), BIT(0));
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_SHUTDOWN_METHOD),
                      (BIT(VMHI_SHUTDOWN_METHOD_COUNT_1_0) - 1) & ~BIT(VMHI_SHUTDOWN_ACPI));
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_NIC_MODEL), BIT(VMHI_NIC_MODEL_COUNT_1_0) - 1);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(core_refuses_an_undeclared_value_naming_it)
{
    vmhi_conn *conn = bt_open("test:///default?refuse=disk-bus:ide");
    vmhi_vm_config *cfg = config_with_disk("vm", VMHI_DISK_BUS_IDE);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    expect_message("disk-bus", "'ide'");
    ck_vmhi(vmhi_vm_create(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    expect_message("disk-bus", "'ide'");
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm_config_free(cfg);
    /* Other buses are fine; the refused one cannot be attached either. */
    cfg = config_with_disk("vm", VMHI_DISK_BUS_SATA);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_disk *d = disk_on(VMHI_DISK_BUS_IDE, "/images/b.img");
    ck_vmhi(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_CONFIG, NULL), VMHI_E_UNSUPPORTED);
    expect_message("disk-bus", "'ide'");
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 1);
    vmhi_vm_config_free(got);
    vmhi_disk_free(d);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(core_refuses_an_undeclared_guest_type_and_method)
{
    vmhi_conn *conn = bt_open("test:///default?refuse=guest-type:pv,shutdown-method:acpi"
                              "&guest=unresponsive");
    vmhi_vm_config *cfg = bt_config("pv", 64);
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PV));
    /* A kernel the simulated host finds (it checks, ERR-15), wherever the
     * test runs: not a path of the build machine's own /boot. */
    char *dir = bt_tmpdir();
    char *kernel = NULL;
    ck_assert_int_ge(asprintf(&kernel, "%s/vmlinuz", dir), 0);
    FILE *f = fopen(kernel, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, kernel));
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    expect_message("guest-type", "'pv'");
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PVH));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_ACPI), VMHI_E_UNSUPPORTED);
    expect_message("shutdown-method", "'acpi'");
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_GUEST_AGENT));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTTING_DOWN);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    free(kernel);
    free(dir);
}
END_TEST

START_TEST(lied_values_are_declared_but_refused_by_the_backend)
{
    vmhi_conn *conn = bt_open("test:///default?lie=disk-bus:ide,nic-model:e1000");
    ck_assert(caps_of(conn, VMHI_VALUE_DISK_BUS) & BIT(VMHI_DISK_BUS_IDE));
    ck_assert(caps_of(conn, VMHI_VALUE_NIC_MODEL) & BIT(VMHI_NIC_MODEL_E1000));
    vmhi_vm_config *cfg = config_with_disk("vm", VMHI_DISK_BUS_IDE);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    /* The refusal comes from the backend (the core let the value through). */
    expect_message("declared but refused", "lie=disk-bus:ide");
    ck_vmhi(vmhi_vm_create(NULL, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    vmhi_vm *vm = bt_define(conn, "plain", 64);
    vmhi_nic *n = NULL;
    ck_vmhi_ok(vmhi_nic_new(&n));
    ck_vmhi_ok(vmhi_nic_set_model(n, VMHI_NIC_MODEL_E1000));
    ck_vmhi(vmhi_vm_attach_nic(vm, n, VMHI_AFFECT_CONFIG, NULL), VMHI_E_UNSUPPORTED);
    expect_message("nic-model", "'e1000'");
    ck_vmhi_ok(vmhi_nic_set_model(n, VMHI_NIC_MODEL_RTL8139));
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, n, VMHI_AFFECT_CONFIG, NULL));
    vmhi_nic_free(n);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(lied_shutdown_method_leaves_the_vm_running)
{
    vmhi_conn *conn = bt_open("test:///default?lie=shutdown-method:pv&guest=instant");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_shutdown(vm, 1000, VMHI_SHUTDOWN_PV), VMHI_E_UNSUPPORTED);
    expect_message("shutdown-method", "declared but refused");
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 1000, VMHI_SHUTDOWN_DEFAULT));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static void expect_open_error(const char *uri, const char *needle)
{
    vmhi_conn *conn = (vmhi_conn *)1;
    ck_vmhi(vmhi_conn_open(&conn, uri, NULL), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(conn);
    ck_assert_msg(strstr(vmhi_error_last_message(), needle) != NULL,
                  "message for %s does not mention '%s': %s", uri, needle,
                  vmhi_error_last_message());
}

START_TEST(malformed_lists_fail_the_open_naming_the_item)
{
    expect_open_error("test:///default?refuse=disk-bus", "'disk-bus' has no ':'");
    expect_open_error("test:///default?refuse=colour:red", "'colour:red'");
    expect_open_error("test:///default?refuse=disk-bus:floppy", "'disk-bus:floppy'");
    expect_open_error("test:///default?refuse=disk-bus:ide,,nic-model:e1000", "empty item");
    expect_open_error("test:///default?refuse=disk-bus:ide,", "empty item");
    expect_open_error("test:///default?refuse=", "empty");
    expect_open_error("test:///default?lie=guest-type:", "'guest-type:'");
    expect_open_error("test:///default?refuse=disk-bus:ide&refuse=disk-bus:sata", "twice");
}
END_TEST

START_TEST(a_default_value_cannot_be_refused)
{
    expect_open_error("test:///default?refuse=disk-bus:default", "always accepts");
    expect_open_error("test:///default?refuse=shutdown-method:default", "always accepts");
    /* Values without a "backend chooses" meaning can be refused, value 0 too. */
    vmhi_conn *conn = bt_open("test:///default?refuse=firmware:bios,disk-format:raw");
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_FIRMWARE), BIT(VMHI_FIRMWARE_UEFI));
    ck_assert_uint_eq(caps_of(conn, VMHI_VALUE_DISK_FORMAT),
                      BIT(VMHI_DISK_FORMAT_QCOW2) | BIT(VMHI_DISK_FORMAT_VMDK));
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_values");
    TCase *tc = tcase_create("declared");
    tcase_add_test(tc, every_value_is_accepted_by_default);
    tcase_add_test(tc, refused_values_are_not_declared);
    tcase_add_test(tc, core_refuses_an_undeclared_value_naming_it);
    tcase_add_test(tc, core_refuses_an_undeclared_guest_type_and_method);
    tcase_add_test(tc, lied_values_are_declared_but_refused_by_the_backend);
    tcase_add_test(tc, lied_shutdown_method_leaves_the_vm_running);
    suite_add_tcase(s, tc);
    tc = tcase_create("uri");
    tcase_add_test(tc, malformed_lists_fail_the_open_naming_the_item);
    tcase_add_test(tc, a_default_value_cannot_be_refused);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
