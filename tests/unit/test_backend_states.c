/*
 * The test backend's state machine, table-driven: every lifecycle call
 * from every state, with the expected result and the state it leaves.
 * The guest is unresponsive so that shutdown and reboot requests leave the
 * state where the request put it; the crashed state is set up through a
 * hand-written state file in a directory host.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

enum { OP_START, OP_SHUTDOWN, OP_POWEROFF, OP_REBOOT, OP_RESET, OP_PAUSE, OP_RESUME,
       OP_SUSPEND, OP_COUNT };

static const char *const op_names[OP_COUNT] = {
    "start", "shutdown", "poweroff", "reboot", "reset", "pause", "resume", "suspend",
};

static const vmhi_vm_state states[] = {
    VMHI_STATE_SHUTOFF,   VMHI_STATE_RUNNING,       VMHI_STATE_PAUSED,
    VMHI_STATE_SUSPENDED, VMHI_STATE_SHUTTING_DOWN, VMHI_STATE_CRASHED,
};
#define NSTATES (sizeof(states) / sizeof(states[0]))

#define BAD { VMHI_E_INVALID_STATE, 0 }
#define OK(st) { VMHI_OK, VMHI_STATE_##st }

/* expected[state][op]: result code and, on success, the state after. */
static const struct { int rc; vmhi_vm_state after; } expected[NSTATES][OP_COUNT] = {
    /*               start        shutdown           poweroff      reboot       reset
                     pause        resume        suspend */
    /* shutoff */  { OK(RUNNING), BAD,               BAD,          BAD,         BAD,
                     BAD,         BAD,          BAD },
    /* running */  { BAD,         OK(SHUTTING_DOWN), OK(SHUTOFF),  OK(RUNNING), OK(RUNNING),
                     OK(PAUSED),  BAD,          OK(SUSPENDED) },
    /* paused */   { BAD,         BAD,               OK(SHUTOFF),  BAD,         OK(PAUSED),
                     BAD,         OK(RUNNING),  OK(SUSPENDED) },
    /* suspended */{ OK(RUNNING), BAD,               OK(SHUTOFF),  BAD,         BAD,
                     BAD,         BAD,          BAD },
    /* shutting */ { BAD,         OK(SHUTTING_DOWN), OK(SHUTOFF),  BAD,         BAD,
                     BAD,         BAD,          BAD },
    /* crashed */  { OK(RUNNING), BAD,               OK(SHUTOFF),  BAD,         BAD,
                     BAD,         BAD,          BAD },
};

static int run_op(vmhi_vm *vm, int op)
{
    switch (op) {
    case OP_START: return vmhi_vm_start(vm, 0);
    case OP_SHUTDOWN: return vmhi_vm_shutdown(vm, 0, 0);
    case OP_POWEROFF: return vmhi_vm_poweroff(vm, 0);
    case OP_REBOOT: return vmhi_vm_reboot(vm, 0);
    case OP_RESET: return vmhi_vm_reset(vm, 0);
    case OP_PAUSE: return vmhi_vm_pause(vm, 0);
    case OP_RESUME: return vmhi_vm_resume(vm, 0);
    case OP_SUSPEND: return vmhi_vm_suspend(vm, 0);
    }
    return VMHI_E_INTERNAL;
}

/* Rewrites the VM's state file so that it reopens crashed. */
static void write_crashed_state(const char *dir, vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    char *xml = NULL, *text = NULL, *name = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    ck_assert_int_ge(asprintf(&text, "state=crashed\nreason=crashed\n\n%s", xml), 0);
    ck_assert_int_ge(asprintf(&name, "%s.state", vmhi_vm_get_uuid(vm)), 0);
    bt_write_file(dir, name, text);
    free(name);
    free(text);
    vmhi_free(xml);
    vmhi_vm_config_free(cfg);
}

/* Opens a directory host and puts a VM named "vm" into @state. */
static vmhi_vm *vm_in_state(const char *dir, vmhi_vm_state state, vmhi_conn **conn)
{
    char *uri = bt_dir_uri(dir, "guest=unresponsive");
    *conn = bt_open(uri);
    vmhi_vm *vm = bt_define(*conn, "vm", 64);
    if (state != VMHI_STATE_SHUTOFF && state != VMHI_STATE_CRASHED)
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
    if (state == VMHI_STATE_PAUSED)
        ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    if (state == VMHI_STATE_SUSPENDED)
        ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    if (state == VMHI_STATE_SHUTTING_DOWN)
        ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    if (state == VMHI_STATE_CRASHED) {
        write_crashed_state(dir, vm);
        vmhi_vm_free(vm);
        vmhi_conn_close(*conn);
        *conn = bt_open(uri);
        ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, *conn, "vm"));
    }
    free(uri);
    ck_assert_int_eq(bt_state(vm), state);
    return vm;
}

START_TEST(transition_table)
{
    ck_assert_int_ge(_i, 0);
    size_t si = (size_t)_i / OP_COUNT;
    size_t op = (size_t)_i % OP_COUNT;
    vmhi_vm_state from = states[si];
    char *dir = bt_tmpdir();
    vmhi_conn *conn = NULL;
    vmhi_vm *vm = vm_in_state(dir, from, &conn);

    int rc = run_op(vm, (int)op);
    ck_assert_msg(rc == expected[si][op].rc, "%s from %s returned %d (%s), expected %d",
                  op_names[op], vmhi_vm_state_name(from), rc, vmhi_error_last_message(),
                  expected[si][op].rc);
    if (rc == VMHI_OK) {
        ck_assert_int_eq(bt_state(vm), expected[si][op].after);
    } else {
        /* The message names the current state and the call; nothing changed. */
        const char *msg = vmhi_error_last_message();
        ck_assert_msg(strstr(msg, vmhi_vm_state_name(from)) && strstr(msg, op_names[op]) &&
                          strstr(msg, "'vm'"),
                      "unhelpful message: %s", msg);
        ck_assert_int_eq(bt_state(vm), from);
    }
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(message_lists_allowed_states)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "web1", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_INVALID_STATE);
    ck_assert_str_eq(vmhi_error_last_message(),
                     "VM 'web1' is paused; start needs shutoff, suspended or crashed");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(reasons_follow_transitions)
{
    vmhi_conn *conn = bt_open("test:///default?guest=instant");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_DEFINED);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_USER);
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_RESET);
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_SUSPENDED);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_RESTORED);
    ck_vmhi_ok(vmhi_vm_reboot(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_REBOOTED);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_SHUTDOWN_GUEST);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_POWEROFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(shutting_down_reason_is_requested)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTTING_DOWN);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_SHUTDOWN_REQUESTED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* The saved image goes: the next start boots afresh from the definition,
 * not with the live changes the suspended VM had. */
START_TEST(poweroff_from_suspended_discards_the_saved_image)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *conn = bt_open(uri);
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 32, VMHI_AFFECT_LIVE));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_POWEROFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    /* Also in the directory: no saved image comes back. */
    conn = bt_open(uri);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "vm"));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_POWEROFF);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_BOOTED);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.memory_mib, 64);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}
END_TEST

START_TEST(reserved_flags_are_refused)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi(vmhi_vm_start(vm, 1), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_states");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, transition_table, 0, (int)(NSTATES * OP_COUNT));
    suite_add_tcase(s, tc);
    tc = tcase_create("details");
    tcase_add_test(tc, message_lists_allowed_states);
    tcase_add_test(tc, reasons_follow_transitions);
    tcase_add_test(tc, shutting_down_reason_is_requested);
    tcase_add_test(tc, poweroff_from_suspended_discards_the_saved_image);
    tcase_add_test(tc, reserved_flags_are_refused);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
