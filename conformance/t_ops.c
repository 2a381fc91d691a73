/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Operations behave as vmhi_conn_get_op_caps() reports them (CAP-3 to
 * CAP-5): an unsupported one fails cleanly, a supported one never claims
 * to be unsupported, and the live/config forms follow the caps bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"

/* A running persistent VM whose definition has disk conf-d0 and NIC conf-n0
 * (so that every operation has valid arguments); shut off when the
 * backend cannot start VMs. */
static vmhi_vm *subject(vmhi_conn *conn)
{
    vmhi_vm_config *cfg = conf_config_with_devices();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    if (conf_op_caps(conn, VMHI_OP_START) & VMHI_CAP_SUPPORTED) {
        conf_ok(vmhi_vm_start(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    }
    return vm;
}

/* The VM's description as XML, to see that nothing changed. */
static char *snapshot(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    char *xml = NULL;
    vmhi_state_reason why;
    vmhi_vm_state st = conf_state(vm, &why);
    if (vmhi_vm_get_config(vm, &cfg, 0) == VMHI_OK)
        vmhi_vm_config_to_xml(cfg, &xml);
    vmhi_vm_config_free(cfg);
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out, "%d/%d %s", (int)st, (int)why, xml ? xml : ""), 0);
    vmhi_free(xml);
    return out;
}

/* Calls @op (caps say absent) and checks it failed cleanly. */
static void expect_unsupported(vmhi_conn *conn, vmhi_op op, unsigned int flags,
                               const char *why)
{
    vmhi_vm *vm = subject(conn);
    char *before = snapshot(vm);
    conf_recorder *rec = NULL;
    if (conf_op_caps(conn, VMHI_OP_EVENTS) & VMHI_CAP_SUPPORTED)
        rec = conf_recorder_new(conn, VMHI_EVENT_ALL_1_0, NULL, false);
    int rc = conf_call_op(conn, vm, op, flags);
    ck_assert_msg(rc == VMHI_E_UNSUPPORTED, "%s (%s) returned %d (%s), expected "
                  "VMHI_E_UNSUPPORTED: %s", vmhi_op_name(op), why, rc, vmhi_strerror(rc),
                  vmhi_error_last_message());
    char *after = snapshot(vm);
    ck_assert_msg(strcmp(before, after) == 0, "the failed %s (%s) changed the VM",
                  vmhi_op_name(op), why);
    if (rec) {
        conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        ck_assert_msg(conf_recorder_count(rec) == 0, "the failed %s emitted: %s",
                      vmhi_op_name(op), seen);
    }
    conf_recorder_free(rec);
    free(before);
    free(after);
    conf_discard(vm);
}

VMHI_CONF_TEST(unsupported_operations_fail_cleanly, VMHI_PROFILE_CORE, "CAP-3")
{
    vmhi_conn *conn = conf_open();
    int checked = 0;
    conf_req("CAP-3");
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        if (conf_op_caps(conn, (vmhi_op)op) != 0)
            continue;
        expect_unsupported(conn, (vmhi_op)op, 0, "reported unsupported");
        checked++;
    }
    if (!checked)
        conf_note("every operation is supported: nothing can fail as unsupported");
    vmhi_conn_close(conn);
}

/* Flags within what @caps allow: config if it can, else live, else none. */
static unsigned int flags_within(vmhi_op op, unsigned int caps)
{
    if (!conf_op_takes_affect(op))
        return 0;
    if (caps & VMHI_CAP_CONFIG)
        return VMHI_AFFECT_CONFIG;
    return caps & VMHI_CAP_LIVE ? VMHI_AFFECT_LIVE : 0;
}

VMHI_CONF_TEST(supported_operations_are_not_unsupported, VMHI_PROFILE_CORE, "CAP-4")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = NULL;
    char *pristine = NULL;
    conf_req("CAP-4");
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned int caps = conf_op_caps(conn, (vmhi_op)op);
        if (!(caps & VMHI_CAP_SUPPORTED))
            continue;
        /* A suspend that cannot succeed here is guest_ignores_suspend's
         * (it would wait out the backend's time for the guest). */
        if (op == VMHI_OP_SUSPEND && conf_suspend_refused(NULL, 0)) {
            conf_note("suspend not called: it needs the guest's help, and these guests "
                      "ignore requests");
            continue;
        }
        /* One subject serves every call that left it as it was (starting
         * a VM per operation takes longer than the test may on a slow
         * host); one that changed state, devices or resources is replaced,
         * so every call meets a fresh running VM with valid arguments. */
        if (!vm) {
            vm = subject(conn);
            pristine = snapshot(vm);
        }
        unsigned int flags = flags_within((vmhi_op)op, caps);
        int rc = conf_call_op(conn, vm, (vmhi_op)op, flags);
        ck_assert_msg(rc != VMHI_E_UNSUPPORTED, "%s (reported supported, caps 0x%x, flags "
                      "0x%x) failed with VMHI_E_UNSUPPORTED: %s", vmhi_op_name((vmhi_op)op),
                      caps, flags, vmhi_error_last_message());
        char *now = op == VMHI_OP_UNDEFINE ? NULL : snapshot(vm);
        if (!now || strcmp(now, pristine) != 0) {
            conf_discard(vm);
            vm = NULL;
            free(pristine);
            pristine = NULL;
        }
        free(now);
    }
    if (vm)
        conf_discard(vm);
    free(pristine);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(affect_flags_follow_caps, VMHI_PROFILE_CORE, "CAP-5")
{
    vmhi_conn *conn = conf_open();
    int checked = 0;
    conf_req("CAP-5");
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned int caps = conf_op_caps(conn, (vmhi_op)op);
        if (!conf_op_takes_affect((vmhi_op)op) || !(caps & VMHI_CAP_SUPPORTED))
            continue;
        if (!(caps & VMHI_CAP_LIVE)) {
            expect_unsupported(conn, (vmhi_op)op, VMHI_AFFECT_LIVE, "VMHI_AFFECT_LIVE without "
                               "VMHI_CAP_LIVE");
            checked++;
        }
        if (!(caps & VMHI_CAP_CONFIG)) {
            expect_unsupported(conn, (vmhi_op)op, VMHI_AFFECT_CONFIG, "VMHI_AFFECT_CONFIG "
                               "without VMHI_CAP_CONFIG");
            checked++;
        }
    }
    if (!checked)
        conf_note("every operation with vmhi_affect flags supports both forms");
    vmhi_conn_close(conn);
}
