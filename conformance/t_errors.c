/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The error model as a backend must keep it (spec section 15.1): specific
 * codes for specific conditions, the last error matching the result,
 * invalid arguments refused whatever the VM's state, vanished VMs
 * reported as such, native codes with VMHI_E_BACKEND.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

enum { E_NO_VM, E_INVALID_STATE, E_EXISTS, E_NO_DEVICE, E_LIMIT, E_COUNT };
static const char *const condition_names[E_COUNT] = {
    "no-vm", "invalid-state", "exists", "no-device", "limit",
};

static void describe_condition(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", condition_names[row]);
}

/* Provokes condition @row; returns the result (or 1 with a skip noted). */
static int provoke(vmhi_conn *conn, size_t row, int *expected)
{
    vmhi_vm *vm = NULL, *other = NULL;
    vmhi_vm_config *cfg = NULL;
    vmhi_completion done;
    uint64_t lim = 0;
    int rc = 1;
    switch (row) {
    case E_NO_VM:
        *expected = VMHI_E_NO_VM;
        return vmhi_vm_lookup_by_name(&vm, conn, "vmhi-conf-no-such-vm");
    case E_INVALID_STATE:
        *expected = VMHI_E_INVALID_STATE;
        vm = conf_define(conn);
        rc = vmhi_vm_poweroff(vm, 0); /* shut off already */
        break;
    case E_EXISTS:
        *expected = VMHI_E_EXISTS;
        vm = conf_define(conn);
        conf_ok(vmhi_vm_config_new(&cfg));
        conf_ok(vmhi_vm_config_set_name(cfg, vmhi_vm_get_name(vm)));
        rc = vmhi_vm_define(&other, conn, cfg, 0); /* same name, another UUID */
        break;
    case E_NO_DEVICE:
        *expected = VMHI_E_NO_DEVICE;
        if (!(conf_op_caps(conn, VMHI_OP_DETACH_DISK) & VMHI_CAP_CONFIG)) {
            conf_note_skip("detaching disks from a definition is not supported");
            return 1;
        }
        vm = conf_define(conn);
        rc = vmhi_vm_detach_disk(vm, "vmhi-conf-no-such-disk", VMHI_AFFECT_CONFIG, &done);
        break;
    case E_LIMIT:
        *expected = VMHI_E_LIMIT;
        if (vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_VCPUS, &lim) != VMHI_OK ||
            lim >= UINT32_MAX) {
            conf_note_skip("the backend reports no vCPU limit");
            return 1;
        }
        cfg = conf_config_new();
        conf_ok(vmhi_vm_config_set_max_vcpus(cfg, (unsigned int)lim + 1));
        rc = vmhi_vm_define(&other, conn, cfg, 0);
        break;
    }
    int last = vmhi_error_last_code();
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", vmhi_error_last_message());
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(other);
    vmhi_vm_free(vm);
    ck_assert_msg(last == rc, "after a call failed with %d the last error code is %d", rc,
                  last);
    ck_assert_msg(rc >= 0 || msg[0], "the call failed with %d and an empty message", rc);
    return rc;
}

VMHI_CONF_TABLE(specific_error_codes, VMHI_PROFILE_CORE, E_COUNT, describe_condition,
                "ERR-7", "ERR-4")
{
    vmhi_conn *conn = conf_open();
    int expected = 0;
    conf_req("ERR-4");
    int rc = provoke(conn, conf_row_index, &expected);
    if (rc == 1) {
        vmhi_conn_close(conn);
        return;
    }
    conf_req("ERR-7");
    ck_assert_msg(rc == expected, "%s: got %d (%s), expected %d (%s)",
                  condition_names[conf_row_index], rc, vmhi_strerror(rc), expected,
                  vmhi_strerror(expected));
    vmhi_conn_close(conn);
}

/* ERR-8: arguments invalid for any VM are refused as such in every state
 * and even when the VM is gone; other calls on a gone VM report NO_VM. */
VMHI_CONF_TEST(invalid_arguments_whatever_the_state, VMHI_PROFILE_CORE, "ERR-8")
{
    vmhi_conn *conn = conf_open();
    bool vcpus = conf_op_caps(conn, VMHI_OP_SET_VCPUS) & VMHI_CAP_SUPPORTED;
    bool memory = conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_SUPPORTED;
    bool detach = conf_op_caps(conn, VMHI_OP_DETACH_DISK) & VMHI_CAP_SUPPORTED;
    vmhi_vm *vm = conf_define(conn);
    conf_req("ERR-8");
    for (int round = 0; round < 2; round++) {
        if (vcpus)
            conf_fail(vmhi_vm_set_vcpus(vm, 0, VMHI_AFFECT_CURRENT), VMHI_E_INVALID_ARG);
        if (memory)
            conf_fail(vmhi_vm_set_memory(vm, 0, VMHI_AFFECT_CURRENT), VMHI_E_INVALID_ARG);
        if (round == 0) {
            conf_ok(vmhi_vm_start(vm, 0));
            conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
        }
    }
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    conf_ok(vmhi_vm_undefine(vm, 0));
    /* The VM is gone: invalid arguments are still invalid arguments... */
    if (vcpus)
        conf_fail(vmhi_vm_set_vcpus(vm, 0, VMHI_AFFECT_CURRENT), VMHI_E_INVALID_ARG);
    if (memory)
        conf_fail(vmhi_vm_set_memory(vm, 0, VMHI_AFFECT_CURRENT), VMHI_E_INVALID_ARG);
    uint64_t lim = 0;
    if (vcpus && vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_VCPUS, &lim) == VMHI_OK &&
        lim < UINT32_MAX)
        conf_fail(vmhi_vm_set_vcpus(vm, (unsigned int)lim + 1, VMHI_AFFECT_CURRENT),
                  VMHI_E_LIMIT);
    vmhi_completion done;
    if (detach)
        conf_fail(vmhi_vm_detach_disk(vm, "not a device id!", VMHI_AFFECT_CURRENT, &done),
                  VMHI_E_INVALID_ARG);
    /* ...and any other call reports NO_VM, not a wrong state or device. */
    conf_fail(vmhi_vm_poweroff(vm, 0), VMHI_E_NO_VM);
    conf_fail(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_fail(vmhi_vm_get_info(vm, &info), VMHI_E_NO_VM);
    if (detach)
        conf_fail(vmhi_vm_detach_disk(vm, "conf-none", VMHI_AFFECT_CURRENT, &done),
                  VMHI_E_NO_VM);
    if (!vcpus && !memory)
        conf_note("neither vCPU nor memory changes are supported: only the vanished VM "
                  "half was checked");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(backend_errors_carry_native_codes, VMHI_PROFILE_CORE, "ERR-6")
{
    /* A VMHI_E_BACKEND cannot be provoked on purpose; every failure the
     * suite provokes goes through conf_check_last_error(), which holds
     * each VMHI_E_BACKEND to this rule.  Here, a few more. */
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    int rcs[4];
    rcs[0] = vmhi_vm_poweroff(vm, 0);
    const char *native0 = vmhi_error_last_native();
    conf_req("ERR-6");
    ck_assert_msg(rcs[0] != VMHI_E_BACKEND || (native0 && *native0),
                  "VMHI_E_BACKEND without a native code");
    rcs[1] = vmhi_vm_undefine(vm, 0);
    rcs[2] = vmhi_vm_undefine(vm, 0);
    ck_assert_msg(rcs[2] != VMHI_E_BACKEND || (vmhi_error_last_native() &&
                                               *vmhi_error_last_native()),
                  "VMHI_E_BACKEND without a native code");
    rcs[3] = vmhi_vm_start(vm, 0);
    ck_assert_msg(rcs[3] != VMHI_E_BACKEND || (vmhi_error_last_native() &&
                                               *vmhi_error_last_native()),
                  "VMHI_E_BACKEND without a native code");
    bool any = false;
    for (int i = 0; i < 4; i++)
        any |= rcs[i] == VMHI_E_BACKEND;
    if (!any)
        conf_note("no call failed with VMHI_E_BACKEND");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(invalid_state_message_names_vm_and_state, VMHI_PROFILE_CORE, "ERR-5")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    conf_req("ERR-5");
    conf_fail(vmhi_vm_poweroff(vm, 0), VMHI_E_INVALID_STATE);
    const char *msg = vmhi_error_last_message();
    ck_assert_msg(strstr(msg, vmhi_vm_get_name(vm)) && strstr(msg, "shutoff"),
                  "the message does not name the VM '%s' and its state shutoff: %s",
                  vmhi_vm_get_name(vm), msg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* ERR-15: a kernel the host does not have is NOT_FOUND, named, by start at
 * the latest, and nothing is left running. */
VMHI_CONF_TEST(missing_kernel_is_not_found, VMHI_PROFILE_CORE, "ERR-15")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!conf_value_declared(conn, VMHI_VALUE_BOOT_METHOD,
                                            VMHI_BOOT_METHOD_KERNEL),
                       vmhi_conn_close(conn), "the backend does not offer direct kernel boot");
    static const char missing[] = "/nonexistent/vmhi-conformance/vmlinuz";
    vmhi_vm_config *cfg = conf_config_new();
    conf_ok(vmhi_vm_config_set_kernel(cfg, missing));
    vmhi_vm *vm = NULL;
    conf_req("ERR-15");
    char message[512];
    int rc = vmhi_vm_define(&vm, conn, cfg, 0);
    snprintf(message, sizeof(message), "%s", vmhi_error_last_message());
    if (rc == VMHI_OK) {
        rc = vmhi_vm_start(vm, 0);
        snprintf(message, sizeof(message), "%s", vmhi_error_last_message());
        vmhi_vm_state st = conf_state(vm, NULL);
        ck_assert_msg(rc != VMHI_OK, "a VM with the kernel %s started", missing);
        ck_assert_msg(st == VMHI_STATE_SHUTOFF, "after the failed start the VM is %s",
                      vmhi_vm_state_name(st));
    }
    ck_assert_msg(rc == VMHI_E_NOT_FOUND, "got %d (%s), expected VMHI_E_NOT_FOUND", rc,
                  vmhi_strerror(rc));
    ck_assert_msg(strstr(message, missing) != NULL, "the message does not name %s: %s",
                  missing, message);
    conf_discard(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}

/* ERR-14: when a start fails because the host's free memory is taken for
 * now (the VM fits the host, not what is free), the code is TRY_AGAIN,
 * never LIMIT, and the VM stays shut off.  A host that overcommits starts
 * it, which is fine. */
VMHI_CONF_TEST(memory_taken_for_now_is_try_again, VMHI_PROFILE_CORE, "ERR-14")
{
    vmhi_conn *conn = conf_open();
    vmhi_host_info h = VMHI_HOST_INFO_INIT;
    uint64_t max = UINT64_MAX, gran = 1;
    conf_ok(vmhi_conn_get_host_info(conn, &h));
    vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_MEMORY_MIB, &max);
    if (vmhi_conn_get_limit(conn, VMHI_LIMIT_MEMORY_GRANULARITY_MIB, &gran) != VMHI_OK || !gran)
        gran = 1;
    uint64_t want = h.free_memory_mib == UINT64_MAX ? 0 : (h.free_memory_mib / gran + 1) * gran;
    CONF_SKIP_CLEAN_IF(want == 0 || want > h.memory_mib || want > max, vmhi_conn_close(conn),
                       "the host reports no free memory below its size and limits");
    vmhi_vm_config *cfg = conf_config_new();
    conf_ok(vmhi_vm_config_set_max_memory_mib(cfg, want));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, want));
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_define(&vm, conn, cfg, 0);
    vmhi_vm_config_free(cfg);
    CONF_SKIP_CLEAN_IF(rc != VMHI_OK, vmhi_conn_close(conn),
                       "a VM of %llu MiB cannot be defined here (%s)", (unsigned long long)want,
                       vmhi_strerror(rc));
    conf_req("ERR-14");
    rc = vmhi_vm_start(vm, 0);
    if (rc == VMHI_OK) {
        conf_note("the host started a VM larger than its free memory (it overcommits)");
    } else {
        ck_assert_msg(rc == VMHI_E_TRY_AGAIN, "a start beyond the free memory failed with %d "
                      "(%s), expected VMHI_E_TRY_AGAIN", rc, vmhi_strerror(rc));
        vmhi_vm_state st = conf_state(vm, NULL);
        ck_assert_msg(st == VMHI_STATE_SHUTOFF, "after the refused start the VM is %s",
                      vmhi_vm_state_name(st));
    }
    conf_discard(vm);
    vmhi_conn_close(conn);
}
