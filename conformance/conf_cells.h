/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * One cell of a state table: a lifecycle call made on a VM in a known
 * state, and the outcome the specification's transition table (section
 * 6.3) gives for it.  Running a cell makes the call, then checks the
 * result code, the last error, the state and reason afterwards, the VM's
 * existence and persistence, and (when Events is certified) the events
 * the call emitted: exactly the expected ones, in order, for this VM.
 */
#ifndef VMHI_CONF_CELLS_H
#define VMHI_CONF_CELLS_H

#include "conf.h"

typedef enum conf_call {
    CONF_CALL_START,
    CONF_CALL_SHUTDOWN,
    CONF_CALL_POWEROFF,
    CONF_CALL_REBOOT,
    CONF_CALL_RESET,
    CONF_CALL_PAUSE,
    CONF_CALL_RESUME,
    CONF_CALL_SUSPEND,
    CONF_CALL_UNDEFINE,
    CONF_CALL_DEFINE,  /* vmhi_vm_define() with the VM's UUID and name, memory changed */
    CONF_CALL_COUNT
} conf_call;

typedef enum conf_outcome {
    CONF_OUT_ISE,        /* fails with INVALID_STATE, nothing changes, no event */
    CONF_OUT_TO,         /* succeeds: state @to, reason @why, one lifecycle event */
    CONF_OUT_UNCHANGED,  /* succeeds without changing anything or emitting */
    CONF_OUT_SHUTDOWN,   /* shutting-down/shutdown-requested, or shutoff/shutdown-guest */
    CONF_OUT_REBOOT,     /* stays running; reason rebooted once the guest complies */
    CONF_OUT_REMOVED,    /* undefine: the VM no longer exists */
    CONF_OUT_TRANSIENT,  /* undefine: same state and reason, persistent 0 */
    CONF_OUT_PERSISTENT, /* define of a transient VM: same state, persistent 1 */
    CONF_OUT_REDEFINED,  /* define: same state, new definition */
    CONF_OUT_GONE        /* poweroff of a transient VM: shutoff event, then gone */
} conf_outcome;

typedef struct conf_cell {
    conf_outcome out;
    vmhi_vm_state to;
    vmhi_state_reason why;
    const char *id; /* the requirement of this call in this state */
} conf_cell;

const char *conf_call_name(conf_call call);
/* The operation a call needs (vmhi_conn_get_op_caps). */
vmhi_op conf_call_needs(conf_call call);

/* The requirement IDs a cell checks: its own and those of its outcome. */
void conf_cell_ids(const conf_cell *cell, const char **ids, size_t max);

/* Makes @call on @vm (in state @from) and checks @cell's outcome. */
void conf_cell_run(vmhi_conn *conn, vmhi_vm *vm, conf_call call, const conf_cell *cell);

#endif /* VMHI_CONF_CELLS_H */
