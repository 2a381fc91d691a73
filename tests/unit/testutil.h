/*
 * Helpers shared by the unit tests.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_TESTUTIL_H
#define VMHI_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vmhi/vmhi.h"

/* Asserts a call's result, printing the last error when it is unexpected. */
#define ck_vmhi(call, expected)                                                          \
    do {                                                                                 \
        int ck_vmhi_rc_ = (call);                                                        \
        ck_assert_msg(ck_vmhi_rc_ == (expected), "%s returned %d (%s), expected %d: %s", \
                      #call, ck_vmhi_rc_, vmhi_strerror(ck_vmhi_rc_), (int)(expected),   \
                      vmhi_error_last_message());                                        \
    } while (0)

#define ck_vmhi_ok(call) ck_vmhi(call, VMHI_OK)

/* Opens @uri or fails the test. */
static inline vmhi_conn *vmhi_test_open(const char *uri)
{
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, uri, NULL));
    return c;
}

/* Defines a VM with default settings named @name or fails the test. */
static inline vmhi_vm *vmhi_test_define(vmhi_conn *c, const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, c, cfg, 0));
    vmhi_vm_config_free(cfg);
    return vm;
}

/* Runs one suite and returns a process exit status. */
static inline int vmhi_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
