/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Running one state-table cell (conf_cells.h).  The order of the checks
 * follows what can be observed when: the result code and the last error
 * right after the call (any later call clears the last error), the state
 * right after the call, then the events once they have settled, then the
 * state again (a guest may have acted meanwhile).
 */
#include <stdio.h>
#include <string.h>

#include "conf_cells.h"
#include "conf_events.h"

#define EVENT_MASK (VMHI_EVENT_LIFECYCLE | VMHI_EVENT_DEFINED | VMHI_EVENT_UNDEFINED)
/* How long a guest gets to act on a request before the suite looks. */
#define GUEST_ACTS_MS 100u

static const char *const call_names[CONF_CALL_COUNT] = {
    "start", "shutdown", "poweroff", "reboot", "reset",
    "pause", "resume",   "suspend",  "undefine", "define",
};

static const vmhi_op call_ops[CONF_CALL_COUNT] = {
    VMHI_OP_START, VMHI_OP_SHUTDOWN, VMHI_OP_POWEROFF, VMHI_OP_REBOOT, VMHI_OP_RESET,
    VMHI_OP_PAUSE, VMHI_OP_RESUME,   VMHI_OP_SUSPEND,  VMHI_OP_UNDEFINE, VMHI_OP_DEFINE,
};

/* Requirements every cell of an outcome checks besides its own. */
static const char *const outcome_ids[][6] = {
    [CONF_OUT_ISE] = { "LC-GEN-2", "ERR-4", "EV-4" },
    [CONF_OUT_TO] = { "LC-GEN-1", "INFO-1", "EV-2", "EV-3", "EV-9" },
    [CONF_OUT_UNCHANGED] = { "EV-4" },
    [CONF_OUT_SHUTDOWN] = { "EV-2", "EV-3", "EV-9" },
    [CONF_OUT_REBOOT] = { "LC-REBOOT-3", "EV-2", "EV-3" },
    [CONF_OUT_REMOVED] = { "LC-GEN-3", "LIST-5", "EV-5", "EV-9" },
    [CONF_OUT_TRANSIENT] = { "INFO-4", "EV-5" },
    [CONF_OUT_PERSISTENT] = { "INFO-4", "EV-5" },
    [CONF_OUT_REDEFINED] = { "EV-5" },
    [CONF_OUT_GONE] = { "LC-GEN-5", "LC-GEN-3", "EV-2" },
};

const char *conf_call_name(conf_call call)
{
    return call_names[call];
}

vmhi_op conf_call_needs(conf_call call)
{
    return call_ops[call];
}

void conf_cell_ids(const conf_cell *cell, const char **ids, size_t max)
{
    size_t n = 0;
    ids[n++] = cell->id;
    for (size_t i = 0; i < 6 && outcome_ids[cell->out][i] && n < max; i++)
        ids[n++] = outcome_ids[cell->out][i];
    ids[n] = NULL;
}

/* ------------------------------------------------------------- the call */

/* Defines the VM again with its UUID and name and 96 MiB of memory. */
static int redefine(vmhi_conn *conn, vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, CONF_MIB(96)));
    int rc = vmhi_vm_define(&again, conn, cfg, 0);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(again);
    return rc;
}

static int make_call(vmhi_conn *conn, vmhi_vm *vm, conf_call call)
{
    switch (call) {
    case CONF_CALL_START: return vmhi_vm_start(vm, 0);
    case CONF_CALL_SHUTDOWN: return vmhi_vm_shutdown(vm, 0, 0);
    case CONF_CALL_POWEROFF: return vmhi_vm_poweroff(vm, 0);
    case CONF_CALL_REBOOT: return vmhi_vm_reboot(vm, 0);
    case CONF_CALL_RESET: return vmhi_vm_reset(vm, 0);
    case CONF_CALL_PAUSE: return vmhi_vm_pause(vm, 0);
    case CONF_CALL_RESUME: return vmhi_vm_resume(vm, 0);
    case CONF_CALL_SUSPEND: return vmhi_vm_suspend(vm, 0);
    case CONF_CALL_UNDEFINE: return vmhi_vm_undefine(vm, 0);
    case CONF_CALL_DEFINE: return redefine(conn, vm);
    case CONF_CALL_COUNT: break;
    }
    return VMHI_E_INTERNAL;
}

/* What was observed, in the order it was observed. */
typedef struct observed {
    int rc, last_code;
    char last_msg[512];
    vmhi_vm_state st0, st1, st2;          /* before, right after, settled */
    vmhi_state_reason why0, why1, why2;
    bool exists1, exists2;
} observed;

/* State of @vm, or exists=false when it is gone (NO_VM). */
static void look(vmhi_vm *vm, vmhi_vm_state *st, vmhi_state_reason *why, bool *exists)
{
    int rc = vmhi_vm_get_state(vm, st, why);
    ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_NO_VM, "vmhi_vm_get_state returned %d: %s", rc,
                  vmhi_error_last_message());
    *exists = rc == VMHI_OK;
}

static bool listed(vmhi_conn *conn, const char *uuid)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    bool found = false;
    conf_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    for (size_t i = 0; i < n; i++)
        found |= strcmp(vmhi_vm_get_uuid(vms[i]), uuid) == 0;
    vmhi_vm_list_free(vms, n);
    return found;
}

static const char *sname(vmhi_vm_state st)
{
    const char *n = vmhi_vm_state_name(st);
    return n ? n : "?";
}

static const char *rname(vmhi_state_reason why)
{
    const char *n = vmhi_state_reason_name(why);
    return n ? n : "?";
}

/* ---------------------------------------------------------------- events */

typedef struct want {
    vmhi_event_type type;
    vmhi_vm_state st;
    vmhi_state_reason why;
} want;

static size_t events_expected_at_least(conf_outcome out)
{
    switch (out) {
    case CONF_OUT_ISE:
    case CONF_OUT_UNCHANGED:
    case CONF_OUT_REBOOT:
        return 0;
    default:
        return 1;
    }
}

static bool guest_involved(conf_outcome out)
{
    return out == CONF_OUT_SHUTDOWN || out == CONF_OUT_REBOOT;
}

static void expect_events(conf_recorder *rec, const want *w, size_t n)
{
    char seen[1024];
    conf_recorder_describe(rec, seen, sizeof(seen));
    size_t count = conf_recorder_count(rec);
    ck_assert_msg(count == n, "expected %zu event(s), got %zu: %s", n, count, seen);
    for (size_t i = 0; i < n; i++) {
        conf_event e = conf_recorder_get(rec, i);
        bool same = e.type == w[i].type &&
                    (e.type != VMHI_EVENT_LIFECYCLE || (e.state == w[i].st && e.reason == w[i].why));
        ck_assert_msg(same, "event #%zu should be %s%s%s%s%s; got: %s", i + 1,
                      vmhi_event_type_name(w[i].type),
                      w[i].type == VMHI_EVENT_LIFECYCLE ? " " : "",
                      w[i].type == VMHI_EVENT_LIFECYCLE ? sname(w[i].st) : "",
                      w[i].type == VMHI_EVENT_LIFECYCLE ? "/" : "",
                      w[i].type == VMHI_EVENT_LIFECYCLE ? rname(w[i].why) : "", seen);
    }
}

static void expect_identity(conf_recorder *rec, vmhi_vm *vm)
{
    for (size_t i = 0; i < conf_recorder_count(rec); i++) {
        conf_event e = conf_recorder_get(rec, i);
        ck_assert_msg(strcmp(e.uuid, vmhi_vm_get_uuid(vm)) == 0 &&
                          strcmp(e.name, vmhi_vm_get_name(vm)) == 0,
                      "event #%zu names VM '%s' %s, not '%s' %s", i + 1, e.name, e.uuid,
                      vmhi_vm_get_name(vm), vmhi_vm_get_uuid(vm));
    }
}

/* EV-3: the last lifecycle event carries the state the VM settled in. */
static void expect_last_matches(conf_recorder *rec, const observed *o)
{
    for (size_t i = conf_recorder_count(rec); i-- > 0;) {
        conf_event e = conf_recorder_get(rec, i);
        if (e.type != VMHI_EVENT_LIFECYCLE)
            continue;
        ck_assert_msg(!o->exists2 || (e.state == o->st2 && e.reason == o->why2),
                      "the last lifecycle event says %s/%s but the VM is %s/%s",
                      sname(e.state), rname(e.reason), sname(o->st2), rname(o->why2));
        return;
    }
}

/* The events of each outcome, given what the VM did. */
static void check_events(conf_recorder *rec, vmhi_vm *vm, const conf_cell *cell,
                         const observed *o)
{
    want w[2];
    size_t n = 0;
    const want defined = { VMHI_EVENT_DEFINED, 0, 0 }, undefined = { VMHI_EVENT_UNDEFINED, 0, 0 };
    switch (cell->out) {
    case CONF_OUT_ISE:
    case CONF_OUT_UNCHANGED:
        conf_req("EV-4");
        break;
    case CONF_OUT_TO:
        conf_req("EV-2");
        w[n++] = (want){ VMHI_EVENT_LIFECYCLE, cell->to, cell->why };
        break;
    case CONF_OUT_GONE:
        conf_req("EV-2");
        w[n++] = (want){ VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF };
        break;
    case CONF_OUT_SHUTDOWN:
        conf_req("EV-2");
        if (o->st1 != VMHI_STATE_SHUTOFF || conf_recorder_count(rec) == 2)
            w[n++] = (want){ VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTTING_DOWN,
                             VMHI_REASON_SHUTDOWN_REQUESTED };
        if (o->st2 == VMHI_STATE_SHUTOFF)
            w[n++] = (want){ VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTOFF,
                             VMHI_REASON_SHUTDOWN_GUEST };
        break;
    case CONF_OUT_REBOOT:
        conf_req("EV-2");
        if (o->why2 == VMHI_REASON_REBOOTED && o->why0 != VMHI_REASON_REBOOTED)
            w[n++] = (want){ VMHI_EVENT_LIFECYCLE, VMHI_STATE_RUNNING, VMHI_REASON_REBOOTED };
        break;
    case CONF_OUT_REMOVED:
    case CONF_OUT_TRANSIENT:
        conf_req("EV-5");
        w[n++] = undefined;
        break;
    case CONF_OUT_PERSISTENT:
    case CONF_OUT_REDEFINED:
        conf_req("EV-5");
        w[n++] = defined;
        break;
    }
    expect_events(rec, w, n);
    if (cell->out == CONF_OUT_TO || cell->out == CONF_OUT_SHUTDOWN ||
        cell->out == CONF_OUT_REBOOT) {
        conf_req("EV-3");
        expect_last_matches(rec, o);
    }
    if (cell->out == CONF_OUT_TO || cell->out == CONF_OUT_SHUTDOWN ||
        cell->out == CONF_OUT_REMOVED) {
        conf_req("EV-9");
        expect_identity(rec, vm);
    }
}

/* --------------------------------------------------------------- outcomes */

static void expect_unchanged(const observed *o, const char *what)
{
    ck_assert_msg(o->exists1 && o->st1 == o->st0 && o->why1 == o->why0,
                  "%s changed the VM from %s/%s to %s/%s", what, sname(o->st0), rname(o->why0),
                  o->exists1 ? sname(o->st1) : "gone", rname(o->why1));
}

static void check_ise(const conf_cell *cell, const observed *o, const char *call)
{
    conf_req(cell->id);
    ck_assert_msg(o->rc == VMHI_E_INVALID_STATE, "%s from %s returned %d (%s), expected "
                  "VMHI_E_INVALID_STATE: %s", call, sname(o->st0), o->rc, vmhi_strerror(o->rc),
                  o->last_msg);
    conf_req("ERR-4");
    ck_assert_msg(o->last_code == o->rc && o->last_msg[0],
                  "after the failed %s the last error is %d \"%s\"", call, o->last_code,
                  o->last_msg);
    conf_req("LC-GEN-2");
    expect_unchanged(o, "the failed call");
}

static void expect_state(const observed *o, vmhi_vm_state st, vmhi_state_reason why,
                         const char *call)
{
    ck_assert_msg(o->exists1 && o->st1 == st && o->why1 == why,
                  "after %s from %s the VM is %s/%s, expected %s/%s", call, sname(o->st0),
                  o->exists1 ? sname(o->st1) : "gone", rname(o->why1), sname(st), rname(why));
}

static void check_info(vmhi_vm *vm, const observed *o, int persistent)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    if (persistent >= 0)
        ck_assert_msg(info.persistent == persistent, "persistent is %d, expected %d",
                      info.persistent, persistent);
    else
        ck_assert_msg(info.state == o->st2 && info.reason == o->why2,
                      "vmhi_vm_get_info says %s/%s, vmhi_vm_get_state %s/%s",
                      sname(info.state), rname(info.reason), sname(o->st2), rname(o->why2));
}

static void check_gone(vmhi_conn *conn, vmhi_vm *vm, const observed *o)
{
    ck_assert_msg(!o->exists2, "the VM still exists (%s/%s)", sname(o->st2), rname(o->why2));
    ck_assert_msg(!listed(conn, vmhi_vm_get_uuid(vm)), "the VM is still listed");
    vmhi_vm *found = (vmhi_vm *)1;
    conf_fail(vmhi_vm_lookup_by_uuid(&found, conn, vmhi_vm_get_uuid(vm)), VMHI_E_NO_VM);
    ck_assert_ptr_null(found);
    found = (vmhi_vm *)1;
    conf_fail(vmhi_vm_lookup_by_name(&found, conn, vmhi_vm_get_name(vm)), VMHI_E_NO_VM);
    ck_assert_ptr_null(found);
}

static void check_redefined(vmhi_vm *vm, const observed *o)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    uint64_t mib = vmhi_vm_config_get_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    bool active = o->st0 == VMHI_STATE_RUNNING || o->st0 == VMHI_STATE_PAUSED ||
                  o->st0 == VMHI_STATE_SHUTTING_DOWN;
    ck_assert_msg(mib == (active ? CONF_MIB(64) : CONF_MIB(96)), "after redefining a %s VM "
                  "with %llu MiB (was %llu), vmhi_vm_get_config reports %llu MiB",
                  sname(o->st0), (unsigned long long)CONF_MIB(96),
                  (unsigned long long)CONF_MIB(64), (unsigned long long)mib);
}

static void check_outcome(vmhi_conn *conn, vmhi_vm *vm, const conf_cell *cell,
                          const observed *o, const char *call)
{
    if (cell->out == CONF_OUT_ISE) {
        check_ise(cell, o, call);
        return;
    }
    conf_req(cell->id);
    ck_assert_msg(o->rc == VMHI_OK, "%s from %s returned %d (%s): %s", call, sname(o->st0),
                  o->rc, vmhi_strerror(o->rc), o->last_msg);
    switch (cell->out) {
    case CONF_OUT_TO:
        expect_state(o, cell->to, cell->why, call);
        conf_req("LC-GEN-1");
        ck_assert(o->st2 >= VMHI_STATE_SHUTOFF && o->st2 <= VMHI_STATE_CRASHED);
        conf_req("INFO-1");
        check_info(vm, o, -1);
        break;
    case CONF_OUT_UNCHANGED:
        expect_unchanged(o, call);
        break;
    case CONF_OUT_SHUTDOWN:
        ck_assert_msg(o->exists1 && ((o->st1 == VMHI_STATE_SHUTTING_DOWN &&
                                      o->why1 == VMHI_REASON_SHUTDOWN_REQUESTED) ||
                                     (o->st1 == VMHI_STATE_SHUTOFF &&
                                      o->why1 == VMHI_REASON_SHUTDOWN_GUEST)),
                      "after shutdown the VM is %s/%s", sname(o->st1), rname(o->why1));
        break;
    case CONF_OUT_REBOOT:
        ck_assert_msg(o->st1 == VMHI_STATE_RUNNING &&
                          (o->why1 == o->why0 || o->why1 == VMHI_REASON_REBOOTED),
                      "after reboot the VM is %s/%s", sname(o->st1), rname(o->why1));
        conf_req("LC-REBOOT-3");
        ck_assert_msg(o->st2 == VMHI_STATE_RUNNING &&
                          (o->why2 == o->why0 || o->why2 == VMHI_REASON_REBOOTED),
                      "%u ms after reboot the VM is %s/%s", conf_ms(GUEST_ACTS_MS),
                      sname(o->st2), rname(o->why2));
        break;
    case CONF_OUT_REMOVED:
        check_gone(conn, vm, o);
        conf_req("LC-GEN-3");
        conf_fail(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
        conf_fail(vmhi_vm_poweroff(vm, 0), VMHI_E_NO_VM);
        conf_req("LIST-5");
        check_gone(conn, vm, o);
        break;
    case CONF_OUT_GONE:
        conf_req("LC-GEN-5");
        check_gone(conn, vm, o);
        conf_req("LC-GEN-3");
        conf_fail(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
        conf_fail(vmhi_vm_poweroff(vm, 0), VMHI_E_NO_VM);
        break;
    case CONF_OUT_TRANSIENT:
    case CONF_OUT_PERSISTENT:
        expect_unchanged(o, call);
        conf_req("INFO-4");
        check_info(vm, o, cell->out == CONF_OUT_PERSISTENT);
        break;
    case CONF_OUT_REDEFINED:
        expect_unchanged(o, call);
        check_redefined(vm, o);
        break;
    case CONF_OUT_ISE:
        break;
    }
}

/* When guests on this URI comply, waits (bounded) until this one has, so
 * that state and events are read from a VM that is quiescent. */
static void await_guest(vmhi_vm *vm, conf_outcome out)
{
    if (!guest_involved(out) || conf->guest_shuts_down != 1)
        return;
    uint64_t deadline = conf_now_ms() + conf_ms(CONF_WAIT_MS);
    for (;;) {
        vmhi_vm_state st = 0;
        vmhi_state_reason why = 0;
        bool exists;
        look(vm, &st, &why, &exists);
        bool done = out == CONF_OUT_SHUTDOWN ? !exists || st == VMHI_STATE_SHUTOFF
                                              : why == VMHI_REASON_REBOOTED;
        if (done || conf_now_ms() >= deadline)
            return;
        conf_sleep_ms(2);
    }
}

void conf_cell_run(vmhi_conn *conn, vmhi_vm *vm, conf_call call, const conf_cell *cell)
{
    observed o;
    memset(&o, 0, sizeof(o));
    bool exists0;
    look(vm, &o.st0, &o.why0, &exists0);
    conf_recorder *rec = NULL;
    if (conf_events_checked())
        rec = conf_recorder_new(conn, EVENT_MASK, vmhi_vm_get_uuid(vm), false);

    o.rc = make_call(conn, vm, call);
    o.last_code = vmhi_error_last_code();
    snprintf(o.last_msg, sizeof(o.last_msg), "%s", vmhi_error_last_message());
    look(vm, &o.st1, &o.why1, &o.exists1);
    if (o.rc == VMHI_OK)
        await_guest(vm, cell->out);

    unsigned int settle = guest_involved(cell->out) ? conf_ms(GUEST_ACTS_MS)
                                                     : conf_ms(CONF_SETTLE_MS);
    if (rec) {
        conf_recorder_wait(rec, events_expected_at_least(cell->out), conf_ms(CONF_WAIT_MS));
        conf_recorder_settle(rec, settle);
    } else if (guest_involved(cell->out)) {
        conf_sleep_ms(settle);
    }
    look(vm, &o.st2, &o.why2, &o.exists2);

    check_outcome(conn, vm, cell, &o, call_names[call]);
    if (rec)
        check_events(rec, vm, cell, &o);
    conf_recorder_free(rec);
}
