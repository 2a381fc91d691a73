/*
 * The core-services table a backend receives (MOD-18): set_error_v and the
 * saved-error trio that lets a backend keep its first error across the
 * clean-up calls that follow it.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdarg.h>

#include "core.h"
#include "testutil.h"

static const vmhi_core_services *svc = &vmhi__core_services;

static int report(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = svc->set_error_v(code, native, fmt, ap);
    va_end(ap);
    return rc;
}

START_TEST(mod_18_table_is_complete)
{
    ck_assert_uint_eq(svc->abi_version, VMHI_BACKEND_ABI_VERSION);
    ck_assert_uint_eq(svc->struct_size, sizeof(vmhi_core_services));
    ck_assert_ptr_nonnull(svc->set_error_v);
    ck_assert_ptr_nonnull(svc->error_save);
    ck_assert_ptr_nonnull(svc->error_restore);
    ck_assert_ptr_nonnull(svc->error_discard);
}
END_TEST

START_TEST(mod_18_set_error_v_formats_and_keeps_native)
{
    ck_assert_int_eq(report(VMHI_E_BACKEND, "EIO", "disk %s failed (%d)", "d0", 5),
                     VMHI_E_BACKEND);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_BACKEND);
    ck_assert_str_eq(vmhi_error_last_message(), "disk d0 failed (5)");
    ck_assert_str_eq(vmhi_error_last_native(), "EIO");
    /* A "success" code is a backend bug, never a silent OK. */
    ck_assert_int_eq(report(0, NULL, "oops"), VMHI_E_INTERNAL);
    ck_assert_ptr_null(vmhi_error_last_native());
}
END_TEST

START_TEST(mod_18_save_restore_survives_clean_up)
{
    svc->set_error(VMHI_E_NOT_FOUND, "ENOENT", "kernel /boot/missing does not exist");
    vmhi_saved_error *saved = svc->error_save();
    ck_assert_ptr_nonnull(saved);
    /* Clean-up that fails (or succeeds through a public call) overwrites it... */
    svc->set_error(VMHI_E_IO, "EBADF", "close failed");
    vmhi_error_clear();
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_OK);
    /* ...and the saved one comes back whole. */
    ck_assert_int_eq(svc->error_restore(saved), VMHI_E_NOT_FOUND);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_NOT_FOUND);
    ck_assert_str_eq(vmhi_error_last_message(), "kernel /boot/missing does not exist");
    ck_assert_str_eq(vmhi_error_last_native(), "ENOENT");
    /* Restoring nothing (a save that ran out of memory) reports that. */
    ck_assert_int_eq(svc->error_restore(NULL), VMHI_E_NOMEM);
}
END_TEST

START_TEST(mod_18_discard_leaves_the_current_error)
{
    svc->set_error(VMHI_E_BUSY, NULL, "first");
    vmhi_saved_error *saved = svc->error_save();
    svc->set_error(VMHI_E_TIMEOUT, NULL, "second");
    svc->error_discard(saved); /* ASan: freed exactly once */
    svc->error_discard(NULL);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_TIMEOUT);
    ck_assert_str_eq(vmhi_error_last_message(), "second");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("services");
    TCase *tc = tcase_create("services");
    tcase_add_test(tc, mod_18_table_is_complete);
    tcase_add_test(tc, mod_18_set_error_v_formats_and_keeps_native);
    tcase_add_test(tc, mod_18_save_restore_survives_clean_up);
    tcase_add_test(tc, mod_18_discard_leaves_the_current_error);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
