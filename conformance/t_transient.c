/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The state machine of transient VMs (spec section 6.3, last paragraph):
 * a transient VM cannot be suspended or undefined, ceases to exist when it
 * reaches shutoff, and becomes persistent when it is defined.  A transient
 * VM is made by undefining an active persistent one (Core calls) or by
 * vmhi_vm_create() where supported.
 */
#include <stdio.h>

#include "conf_cells.h"

enum { ROW_RUNNING, ROW_PAUSED, ROW_SHUTTING_DOWN, ROW_CREATED, NROWS };
static const char *const row_names[NROWS] = {
    "running", "paused", "shutting-down", "created",
};
static const vmhi_vm_state row_states[NROWS] = {
    VMHI_STATE_RUNNING, VMHI_STATE_PAUSED, VMHI_STATE_SHUTTING_DOWN, VMHI_STATE_RUNNING,
};

enum { NCALLS = 5 };
static const conf_call calls[NCALLS] = {
    CONF_CALL_START, CONF_CALL_SUSPEND, CONF_CALL_UNDEFINE, CONF_CALL_POWEROFF, CONF_CALL_DEFINE,
};
/* The same outcome from every active state. */
static const conf_cell cells[NCALLS] = {
    { CONF_OUT_ISE, 0, 0, "LC-START-4" },
    { CONF_OUT_ISE, 0, 0, "LC-SUSPEND-2" },
    { CONF_OUT_ISE, 0, 0, "LC-UNDEFINE-3" },
    { CONF_OUT_GONE, 0, 0, "LC-POWEROFF-1" },
    { CONF_OUT_PERSISTENT, 0, 0, "LC-DEFINE-5" },
};

static void describe_cell(size_t row, conf_row *out)
{
    size_t r = row / NCALLS, c = row % NCALLS;
    snprintf(out->name, sizeof(out->name), "transient-%s/%s", row_names[r],
             conf_call_name(calls[c]));
    bool core = (r == ROW_RUNNING || r == ROW_CREATED) && calls[c] != CONF_CALL_SUSPEND;
    out->profile = core ? VMHI_PROFILE_CORE : VMHI_PROFILE_LIFECYCLE_FULL;
    conf_cell_ids(&cells[c], out->ids, CONF_MAX_IDS);
    if (r == ROW_CREATED) {
        size_t n = 0;
        while (out->ids[n])
            n++;
        out->ids[n++] = "LC-CREATE-1";
        out->ids[n] = NULL;
    }
}

/* A transient VM in @row's state, or NULL (skip noted) when unreachable. */
static vmhi_vm *transient_vm(vmhi_conn *conn, size_t row)
{
    vmhi_vm *vm = NULL;
    if (row == ROW_CREATED) {
        vmhi_vm_config *cfg = conf_config_new();
        conf_req("LC-CREATE-1");
        conf_ok(vmhi_vm_create(&vm, conn, cfg, 0));
        vmhi_vm_config_free(cfg);
        vmhi_state_reason why;
        ck_assert_int_eq(conf_state(vm, &why), VMHI_STATE_RUNNING);
        ck_assert_msg(why == VMHI_REASON_BOOTED, "a created VM runs with reason %s, not booted",
                      vmhi_state_reason_name(why));
    } else {
        vm = conf_define(conn);
        char why[512];
        if (!conf_drive(vm, row_states[row], why, sizeof(why))) {
            conf_note_skip("%s", why);
            conf_discard(vm);
            return NULL;
        }
        conf_ok(vmhi_vm_undefine(vm, 0));
    }
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_msg(info.persistent == 0, "the VM should be transient (persistent %d)",
                  info.persistent);
    return vm;
}

VMHI_CONF_TABLE(transient_table, VMHI_PROFILE_CORE, NROWS * NCALLS, describe_cell,
                "LC-START-4", "LC-SUSPEND-2", "LC-UNDEFINE-3", "LC-POWEROFF-1", "LC-DEFINE-5",
                "LC-CREATE-1")
{
    size_t row = conf_row_index / NCALLS, c = conf_row_index % NCALLS;
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(row == ROW_CREATED &&
                       !(conf_op_caps(conn, VMHI_OP_CREATE) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn),
                 "vmhi_vm_create() is not supported (optional)");
    conf_need_op(conn, conf_call_needs(calls[c]), 0);
    vmhi_vm *vm = transient_vm(conn, row);
    if (!vm) {
        vmhi_conn_close(conn);
        return;
    }
    conf_cell_run(conn, vm, calls[c], &cells[c]);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
