/*
 * Unit tests of the Xen backend's run/<uuid>.dom record (xen_record.c),
 * which needs no Xen.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <string.h>

#include "xen_record.h"

/* Regression (fuzz_xen_record): the record was read with sscanf("%u %d
 * %d"), which takes "-1" as domain 4294967295, ignores trailing garbage
 * and accepts dom0 and any reason number. */
START_TEST(record_is_read_strictly)
{
    static const char *const bad[] = {
        "-1 2 2\n", "0 2 2\n", "32752 2 2\n", "17 2 2", "17 2 2\nx", "17 1 2\n",
        "17 2 13\n", "17  2 2\n", "4294967313 2 2\n", "",
    };
    xen_record rec;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(xen_record_parse(bad[i], strlen(bad[i]), &rec) != 0, "accepted: %s",
                      bad[i]);
    ck_assert_int_eq(xen_record_parse("32751 3 12\n", 11, &rec), 0);
    ck_assert_uint_eq(rec.domid, 32751);
    ck_assert_int_eq(rec.state, VMHI_STATE_PAUSED);
    ck_assert_int_eq(rec.reason, VMHI_REASON_HOST);
    char buf[32];
    ck_assert_int_eq(xen_record_format(&rec, buf, sizeof(buf)), 11);
    ck_assert_str_eq(buf, "32751 3 12\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xen_record");
    TCase *tc = tcase_create("record");
    tcase_add_test(tc, record_is_read_strictly);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
