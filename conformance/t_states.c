/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The state machine, exhaustively: every lifecycle call from every state
 * of a persistent VM (spec section 6.3), each a row of its own with the
 * requirement it checks.  A state the backend offers no way to reach
 * (crashed), or that does not last on this connection (shutting-down with
 * a guest that complies at once), makes its rows "not applicable" with
 * the reason; run the suite on a URI whose guest ignores ACPI requests to
 * cover shutting-down.
 */
#include <stdio.h>

#include "conf_cells.h"

#define NSTATES 6
static const vmhi_vm_state states[NSTATES] = {
    VMHI_STATE_SHUTOFF,   VMHI_STATE_RUNNING,       VMHI_STATE_PAUSED,
    VMHI_STATE_SUSPENDED, VMHI_STATE_SHUTTING_DOWN, VMHI_STATE_CRASHED,
};

#define ISE(id) { CONF_OUT_ISE, 0, 0, id }
#define TO(st, why, id) { CONF_OUT_TO, VMHI_STATE_##st, VMHI_REASON_##why, id }
#define OUT(kind, id) { CONF_OUT_##kind, 0, 0, id }

/* table[state][call], transcribed from section 6.3. */
static const conf_cell table[NSTATES][CONF_CALL_COUNT] = {
    [0] = { /* shutoff */
        TO(RUNNING, BOOTED, "LC-START-1"), ISE("LC-SHUTDOWN-4"), ISE("LC-POWEROFF-2"),
        ISE("LC-REBOOT-2"), ISE("LC-RESET-3"), ISE("LC-PAUSE-2"), ISE("LC-RESUME-2"),
        ISE("LC-SUSPEND-3"), OUT(REMOVED, "LC-UNDEFINE-1"), OUT(REDEFINED, "LC-DEFINE-2") },
    [1] = { /* running */
        ISE("LC-START-4"), OUT(SHUTDOWN, "LC-SHUTDOWN-1"), TO(SHUTOFF, POWEROFF, "LC-POWEROFF-1"),
        OUT(REBOOT, "LC-REBOOT-1"), TO(RUNNING, RESET, "LC-RESET-1"),
        TO(PAUSED, USER, "LC-PAUSE-1"), ISE("LC-RESUME-2"),
        TO(SUSPENDED, SUSPENDED, "LC-SUSPEND-1"), OUT(TRANSIENT, "LC-UNDEFINE-2"),
        OUT(REDEFINED, "LC-DEFINE-2") },
    [2] = { /* paused */
        ISE("LC-START-4"), ISE("LC-SHUTDOWN-4"), TO(SHUTOFF, POWEROFF, "LC-POWEROFF-1"),
        ISE("LC-REBOOT-2"), TO(PAUSED, RESET, "LC-RESET-2"), ISE("LC-PAUSE-2"),
        TO(RUNNING, USER, "LC-RESUME-1"), TO(SUSPENDED, SUSPENDED, "LC-SUSPEND-1"),
        OUT(TRANSIENT, "LC-UNDEFINE-2"), OUT(REDEFINED, "LC-DEFINE-2") },
    [3] = { /* suspended: poweroff discards the saved image */
        TO(RUNNING, RESTORED, "LC-START-3"), ISE("LC-SHUTDOWN-4"),
        TO(SHUTOFF, POWEROFF, "LC-POWEROFF-4"),
        ISE("LC-REBOOT-2"), ISE("LC-RESET-3"), ISE("LC-PAUSE-2"), ISE("LC-RESUME-2"),
        ISE("LC-SUSPEND-3"), OUT(REMOVED, "LC-UNDEFINE-1"), OUT(REDEFINED, "LC-DEFINE-2") },
    [4] = { /* shutting-down */
        ISE("LC-START-4"), OUT(UNCHANGED, "LC-SHUTDOWN-3"), TO(SHUTOFF, POWEROFF, "LC-POWEROFF-1"),
        ISE("LC-REBOOT-2"), ISE("LC-RESET-3"), ISE("LC-PAUSE-2"), ISE("LC-RESUME-2"),
        ISE("LC-SUSPEND-3"), OUT(TRANSIENT, "LC-UNDEFINE-2"), OUT(REDEFINED, "LC-DEFINE-2") },
    [5] = { /* crashed */
        TO(RUNNING, BOOTED, "LC-START-2"), ISE("LC-SHUTDOWN-4"), TO(SHUTOFF, POWEROFF, "LC-POWEROFF-1"),
        ISE("LC-REBOOT-2"), ISE("LC-RESET-3"), ISE("LC-PAUSE-2"), ISE("LC-RESUME-2"),
        ISE("LC-SUSPEND-3"), OUT(REMOVED, "LC-UNDEFINE-1"), OUT(REDEFINED, "LC-DEFINE-2") },
};

/* Core covers the calls of Core from the states Core calls reach; the
 * rest needs Lifecycle-Full (its calls, or its calls to get there). */
static unsigned int cell_profile(vmhi_vm_state from, conf_call call)
{
    bool core_call = call == CONF_CALL_START || call == CONF_CALL_POWEROFF ||
                     call == CONF_CALL_UNDEFINE || call == CONF_CALL_DEFINE;
    bool core_state = from == VMHI_STATE_SHUTOFF || from == VMHI_STATE_RUNNING ||
                      from == VMHI_STATE_CRASHED;
    return core_call && core_state ? VMHI_PROFILE_CORE : VMHI_PROFILE_LIFECYCLE_FULL;
}

static void describe_cell(size_t row, conf_row *out)
{
    size_t si = row / CONF_CALL_COUNT;
    conf_call call = (conf_call)(row % CONF_CALL_COUNT);
    snprintf(out->name, sizeof(out->name), "%s/%s", vmhi_vm_state_name(states[si]),
             conf_call_name(call));
    out->profile = cell_profile(states[si], call);
    conf_cell_ids(&table[si][call], out->ids, CONF_MAX_IDS);
}

VMHI_CONF_TABLE(state_table, VMHI_PROFILE_CORE, NSTATES * CONF_CALL_COUNT, describe_cell,
                "LC-START-1", "LC-START-2", "LC-START-3", "LC-START-4", "LC-SHUTDOWN-1",
                "LC-SHUTDOWN-3", "LC-SHUTDOWN-4", "LC-POWEROFF-1", "LC-POWEROFF-2",
                "LC-POWEROFF-4", "LC-REBOOT-1", "LC-REBOOT-2", "LC-REBOOT-3", "LC-RESET-1",
                "LC-RESET-2", "LC-RESET-3", "LC-PAUSE-1", "LC-PAUSE-2", "LC-RESUME-1", "LC-RESUME-2",
                "LC-SUSPEND-1", "LC-SUSPEND-3", "LC-UNDEFINE-1", "LC-UNDEFINE-2",
                "LC-DEFINE-2")
{
    size_t si = conf_row_index / CONF_CALL_COUNT;
    conf_call call = (conf_call)(conf_row_index % CONF_CALL_COUNT);
    const conf_cell *cell = &table[si][call];
    vmhi_conn *conn = conf_open();
    conf_need_op(conn, conf_call_needs(call), 0);
    char why[512];
    CONF_SKIP_CLEAN_IF(conf_call_needs(call) == VMHI_OP_SUSPEND && cell->out != CONF_OUT_ISE &&
                           conf_suspend_refused(why, sizeof(why)),
                       vmhi_conn_close(conn), "%s", why);
    /* An INVALID_STATE cell must leave its VM as it was: the cells of one
     * state share a kept subject while it stays in that state.
     * Shutting-down does not last, so each of its cells drives its own. */
    bool share = cell->out == CONF_OUT_ISE && states[si] != VMHI_STATE_SHUTTING_DOWN;
    const char *key = vmhi_vm_state_name(states[si]);
    if (si > 0 && call == 0) /* the previous state's rows are done: its subject goes */
        conf_discard(conf_kept_lookup(conn, vmhi_vm_state_name(states[si - 1])));
    vmhi_vm *vm = share ? conf_kept_lookup(conn, key) : NULL;
    if (vm && conf_state(vm, NULL) != states[si]) {
        conf_discard(vm);
        vm = NULL;
    }
    if (!vm) {
        vm = share ? conf_define_kept(conn, key) : conf_define(conn);
        CONF_SKIP_CLEAN_IF(!conf_drive(vm, states[si], why, sizeof(why)),
                           (conf_discard(vm), vmhi_conn_close(conn)), "%s", why);
    }
    conf_cell_run(conn, vm, call, cell);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
