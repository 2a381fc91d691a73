/*
 * The module loader: a good module is found on VMHI_BACKEND_PATH and
 * works; each contract violation is refused with a clear error.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>

#include "testutil.h"

static char fixture_dir[4096];

static const char *use_fixture(const char *name)
{
    const char *build = getenv("VMHI_TEST_BUILD_DIR");
    ck_assert_msg(build != NULL, "VMHI_TEST_BUILD_DIR is not set (run through ctest)");
    snprintf(fixture_dir, sizeof(fixture_dir), "%s/tests/modules/%s", build, name);
    setenv("VMHI_BACKEND_PATH", fixture_dir, 1);
    return fixture_dir;
}

static void expect_open_fails(const char *fixture, const char *fragment)
{
    use_fixture(fixture);
    vmhi_conn *c = NULL;
    int rc = vmhi_conn_open(&c, "fixture:///", NULL);
    ck_assert_msg(rc == VMHI_E_NO_BACKEND, "fixture %s: rc %d: %s", fixture, rc,
                  vmhi_error_last_message());
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(vmhi_error_last_message(), fragment),
                  "fixture %s: message lacks '%s': %s", fixture, fragment,
                  vmhi_error_last_message());
    ck_assert_msg(strstr(vmhi_error_last_message(), fixture_dir),
                  "message should name the directory searched: %s", vmhi_error_last_message());
}

static void expect_load_fails(const char *fixture, const char *file, const char *fragment)
{
    use_fixture(fixture);
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", fixture_dir, file);
    int rc = vmhi_module_load(path);
    ck_assert_msg(rc == VMHI_E_MODULE, "fixture %s: rc %d", fixture, rc);
    ck_assert_msg(strstr(vmhi_error_last_message(), fragment), "fixture %s: message lacks '%s': %s",
                  fixture, fragment, vmhi_error_last_message());
}

static void expect_works(const char *fixture)
{
    use_fixture(fixture);
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, "fixture:///", NULL));
    ck_assert_str_eq(vmhi_conn_get_backend(c), "fixture");
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(c, 0, &vms, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(vmhi_vm_get_name(vms[0]), "fixture-vm");
    vmhi_vm_state st;
    ck_vmhi_ok(vmhi_vm_get_state(vms[0], &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_SHUTOFF);
    /* NULL slots: unsupported, and the capability query says so first. */
    unsigned caps = 99;
    ck_vmhi_ok(vmhi_conn_get_op_caps(c, VMHI_OP_START, &caps));
    ck_assert_uint_eq(caps, 0);
    ck_vmhi_ok(vmhi_conn_get_op_caps(c, VMHI_OP_GET_INFO, &caps));
    ck_assert(caps & VMHI_CAP_SUPPORTED);
    ck_vmhi(vmhi_vm_start(vms[0], 0), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "does not support start"));
    vmhi_vm_list_free(vms, n);
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, c, "other"), VMHI_E_NO_VM);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&vm, c, "6B3F1A3E-0D51-4C1E-9A53-1C0FFEE00001"));
    ck_assert_str_eq(vmhi_vm_get_uuid(vm), "6b3f1a3e-0d51-4c1e-9a53-1c0ffee00001");
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}

START_TEST(test_good_module) { expect_works("good"); }
END_TEST

START_TEST(test_module_built_against_1_0_table) { expect_works("size-1-0"); }
END_TEST

START_TEST(test_module_from_newer_minor) { expect_works("newer-minor"); }
END_TEST

START_TEST(test_abi_zero) { expect_open_fails("abi0", "ABI version 0"); }
END_TEST

START_TEST(test_newer_major) { expect_open_fails("newer-major", "built for backend ABI 2.0"); }
END_TEST

START_TEST(test_short_table) { expect_open_fails("short-table", "ABI 1.0 requires at least"); }
END_TEST

START_TEST(test_missing_entry) { expect_open_fails("no-entry", "does not export vmhi_backend_entry"); }
END_TEST

START_TEST(test_entry_refuses) { expect_open_fails("refuses", "fixture refuses"); }
END_TEST

START_TEST(test_not_elf) { expect_open_fails("not-elf", "cannot load module"); }
END_TEST

START_TEST(test_explicit_load_errors)
{
    expect_load_fails("abi0", "fixture.so", "ABI version 0");
    expect_load_fails("newer-major", "fixture.so", "upgrade libvmhi");
    expect_load_fails("short-table", "fixture.so", "struct_size");
    expect_load_fails("no-entry", "fixture.so", "is it a VMHI backend module");
    expect_load_fails("not-elf", "garbage.so", "cannot load module");
    ck_vmhi(vmhi_module_load(NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_module_load("/nonexistent/x.so"), VMHI_E_MODULE);
}
END_TEST

START_TEST(test_explicit_load_good_twice)
{
    use_fixture("good");
    char path[4200];
    snprintf(path, sizeof(path), "%s/fixture.so", fixture_dir);
    ck_vmhi_ok(vmhi_module_load(path));
    ck_vmhi_ok(vmhi_module_load(path));
    setenv("VMHI_BACKEND_PATH", "/nonexistent", 1);
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, "fixture:///", NULL));
    vmhi_conn_close(c);
}
END_TEST

START_TEST(test_no_backend_lists_search_path)
{
    use_fixture("none");
    vmhi_conn *c = NULL;
    ck_vmhi(vmhi_conn_open(&c, "kvm:///session", NULL), VMHI_E_NO_BACKEND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "no backend for scheme 'kvm'"));
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), fixture_dir));
}
END_TEST

/* CONN-15: where no module serves xen:/// (here: an empty search path), a
 * clear NO_BACKEND naming the scheme; xen.open_without_xen covers the module
 * outside a dom0. */
START_TEST(conn_15_xen_without_its_module_is_no_backend)
{
    use_fixture("none");
    vmhi_conn *c = NULL;
    ck_vmhi(vmhi_conn_open(&c, "xen:///", NULL), VMHI_E_NO_BACKEND);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "'xen'"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("module");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, test_good_module);
    tcase_add_test(tc, test_module_built_against_1_0_table);
    tcase_add_test(tc, test_module_from_newer_minor);
    tcase_add_test(tc, test_abi_zero);
    tcase_add_test(tc, test_newer_major);
    tcase_add_test(tc, test_short_table);
    tcase_add_test(tc, test_missing_entry);
    tcase_add_test(tc, test_entry_refuses);
    tcase_add_test(tc, test_not_elf);
    tcase_add_test(tc, test_explicit_load_errors);
    tcase_add_test(tc, test_explicit_load_good_twice);
    tcase_add_test(tc, test_no_backend_lists_search_path);
    tcase_add_test(tc, conn_15_xen_without_its_module_is_no_backend);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
