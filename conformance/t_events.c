/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Events (spec section 13) as a backend must produce them: after the
 * subscription only, one per change, in order, for the right VM, of the
 * right kind.  The lifecycle, memory, vCPU and device tests compare the
 * events of their own calls as well when Events is certified.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"

static vmhi_vm *started(vmhi_conn *conn)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    return vm;
}

/* Events of @rec that name @vm, described (for messages). */
static size_t count_for(conf_recorder *rec, vmhi_vm *vm, vmhi_event_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < conf_recorder_count(rec); i++) {
        conf_event e = conf_recorder_get(rec, i);
        n += e.type == type && strcmp(e.uuid, vmhi_vm_get_uuid(vm)) == 0;
    }
    return n;
}

VMHI_CONF_TEST(subscriber_gets_later_changes_only, VMHI_PROFILE_EVENTS, "EV-1")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = started(conn);
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    conf_req("EV-1");
    conf_recorder *life = conf_recorder_new(conn, VMHI_EVENT_LIFECYCLE, NULL, false);
    conf_recorder *defs = conf_recorder_new(conn, VMHI_EVENT_DEFINED, vmhi_vm_get_uuid(vm),
                                            false);
    conf_recorder_settle(life, conf_ms(CONF_SETTLE_MS));
    ck_assert_msg(count_for(life, vm, VMHI_EVENT_LIFECYCLE) == 0,
                  "events of changes made before the subscription were delivered");
    conf_ok(vmhi_vm_start(vm, 0));
    conf_recorder_await(life, 1);
    ck_assert_uint_eq(count_for(life, vm, VMHI_EVENT_LIFECYCLE), 1);
    ck_assert_msg(conf_recorder_count(defs) == 0, "a DEFINED-only subscriber got an event");
    conf_recorder_free(life);
    conf_recorder_free(defs);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

typedef struct step {
    vmhi_op op;
    vmhi_vm_state st;
    vmhi_state_reason why;
} step;

static int run_step(vmhi_vm *vm, vmhi_op op)
{
    switch (op) {
    case VMHI_OP_START: return vmhi_vm_start(vm, 0);
    case VMHI_OP_PAUSE: return vmhi_vm_pause(vm, 0);
    case VMHI_OP_RESUME: return vmhi_vm_resume(vm, 0);
    case VMHI_OP_RESET: return vmhi_vm_reset(vm, 0);
    case VMHI_OP_SUSPEND: return vmhi_vm_suspend(vm, 0);
    default: return vmhi_vm_poweroff(vm, 0);
    }
}

VMHI_CONF_TEST(one_lifecycle_event_per_change_in_order, VMHI_PROFILE_EVENTS, "EV-2", "EV-3",
               "EV-9")
{
    static const step full[] = {
        { VMHI_OP_START, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED },
        { VMHI_OP_PAUSE, VMHI_STATE_PAUSED, VMHI_REASON_USER },
        { VMHI_OP_RESET, VMHI_STATE_PAUSED, VMHI_REASON_RESET },
        { VMHI_OP_RESUME, VMHI_STATE_RUNNING, VMHI_REASON_USER },
        { VMHI_OP_RESET, VMHI_STATE_RUNNING, VMHI_REASON_RESET },
        { VMHI_OP_SUSPEND, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED },
        { VMHI_OP_START, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED },
        { VMHI_OP_POWEROFF, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF },
        { VMHI_OP_START, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED },
        { VMHI_OP_POWEROFF, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF },
    };
    vmhi_conn *conn = conf_open();
    bool lifecycle = conf_claims(VMHI_PROFILE_LIFECYCLE_FULL);
    vmhi_vm *vm = conf_define(conn);
    conf_recorder *rec = conf_recorder_new(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm),
                                           false);
    step want[16];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
        /* Without Lifecycle-Full only the boots and power-offs remain (a
         * start that restores a suspended VM goes with its suspend). */
        if (!lifecycle && (full[i].why == VMHI_REASON_RESTORED ||
                           (full[i].op != VMHI_OP_START && full[i].op != VMHI_OP_POWEROFF)))
            continue;
        /* No suspend can succeed here (LC-SUSPEND-4): the VM runs on
         * instead, so the restore goes with it. */
        if (conf_suspend_refused(NULL, 0) &&
            (full[i].op == VMHI_OP_SUSPEND || full[i].why == VMHI_REASON_RESTORED))
            continue;
        conf_ok(run_step(vm, full[i].op));
        conf_wait_state(vm, VMHI_STATE_BIT(full[i].st));
        want[n++] = full[i];
    }
    conf_recorder_await(rec, n);
    char seen[2048];
    conf_recorder_describe(rec, seen, sizeof(seen));
    conf_req("EV-2");
    ck_assert_msg(conf_recorder_count(rec) == n, "%zu changes gave %zu events: %s", n,
                  conf_recorder_count(rec), seen);
    for (size_t i = 0; i < n; i++) {
        conf_event e = conf_recorder_get(rec, i);
        conf_req("EV-3");
        ck_assert_msg(e.state == want[i].st && e.reason == want[i].why,
                      "event #%zu should be %s/%s: %s", i + 1, vmhi_vm_state_name(want[i].st),
                      vmhi_state_reason_name(want[i].why), seen);
        conf_req("EV-9");
        ck_assert_str_eq(e.uuid, vmhi_vm_get_uuid(vm));
        ck_assert_str_eq(e.name, vmhi_vm_get_name(vm));
    }
    if (!lifecycle)
        conf_note("Lifecycle-Full is not claimed: only start and power-off were used");
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Makes every kind of definition change the backend supports. */
static size_t change_definition(vmhi_conn *conn, vmhi_vm *vm)
{
    size_t changes = 0;
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, CONF_MIB(96)));
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_define(&again, conn, cfg, 0));
    vmhi_vm_free(again);
    vmhi_vm_config_free(cfg);
    changes++;
    if (conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_CONFIG) {
        conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(80), VMHI_AFFECT_CONFIG));
        changes++;
    }
    if (conf_op_caps(conn, VMHI_OP_SET_MAX_MEMORY) & VMHI_CAP_CONFIG) {
        conf_ok(vmhi_vm_set_max_memory(vm, CONF_MIB(112), VMHI_AFFECT_CONFIG));
        changes++;
    }
    if (conf_op_caps(conn, VMHI_OP_SET_VCPUS) & VMHI_CAP_CONFIG) {
        conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CONFIG));
        changes++;
    }
    if (conf_op_caps(conn, VMHI_OP_ATTACH_NIC) & VMHI_CAP_CONFIG) {
        vmhi_nic *nic = NULL;
        conf_ok(vmhi_nic_new(&nic));
        conf_ok(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_CONFIG, NULL));
        vmhi_nic_free(nic);
        changes++;
    }
    return changes;
}

VMHI_CONF_TEST(definition_events, VMHI_PROFILE_EVENTS, "EV-5")
{
    vmhi_conn *conn = conf_open();
    conf_recorder *rec = conf_recorder_new(conn, VMHI_EVENT_DEFINED | VMHI_EVENT_UNDEFINED,
                                           NULL, false);
    vmhi_vm *vm = started(conn);
    size_t changes = 1 + change_definition(conn, vm);
    conf_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm *transient = NULL;
    if (conf_op_caps(conn, VMHI_OP_CREATE) & VMHI_CAP_SUPPORTED) {
        vmhi_vm_config *cfg = conf_config_new();
        conf_ok(vmhi_vm_create(&transient, conn, cfg, 0));
        vmhi_vm_config_free(cfg);
        conf_ok(vmhi_vm_poweroff(transient, 0));
    }
    conf_ok(vmhi_vm_poweroff(vm, 0)); /* a transient VM ceasing emits neither */
    conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
    char seen[2048];
    conf_recorder_describe(rec, seen, sizeof(seen));
    conf_req("EV-5");
    ck_assert_msg(count_for(rec, vm, VMHI_EVENT_DEFINED) == changes &&
                      count_for(rec, vm, VMHI_EVENT_UNDEFINED) == 1,
                  "%zu definition changes and one undefine gave: %s", changes, seen);
    if (transient)
        ck_assert_msg(count_for(rec, transient, VMHI_EVENT_DEFINED) == 0 &&
                          count_for(rec, transient, VMHI_EVENT_UNDEFINED) == 0,
                      "a created VM that ceased gave: %s", seen);
    conf_recorder_free(rec);
    vmhi_vm_free(transient);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(config_changes_emit_no_live_value_events, VMHI_PROFILE_EVENTS, "EV-8")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = started(conn);
    conf_recorder *rec = conf_recorder_new(conn, VMHI_EVENT_MEMORY | VMHI_EVENT_VCPU,
                                           vmhi_vm_get_uuid(vm), false);
    bool memory = conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_CONFIG;
    bool vcpus = conf_op_caps(conn, VMHI_OP_SET_VCPUS) & VMHI_CAP_CONFIG;
    conf_req("EV-8");
    if (memory)
        conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_CONFIG));
    if (vcpus)
        conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CONFIG));
    conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
    char seen[512];
    conf_recorder_describe(rec, seen, sizeof(seen));
    ck_assert_msg(conf_recorder_count(rec) == 0, "definition-only changes emitted: %s", seen);
    if (!memory && !vcpus)
        conf_note("no definition change of memory or vCPUs is supported");
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(events_queued_before_call_returns, VMHI_PROFILE_EVENTS, "EV-10")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    conf_recorder *rec = conf_recorder_new(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm),
                                           false);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_req("EV-10");
    ck_assert_int_ge(vmhi_conn_dispatch_events(conn, 0), 0);
    ck_assert_msg(conf_recorder_count(rec) == 1, "the start's event was not queued when the "
                  "call returned");
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(changes_through_other_connections, VMHI_PROFILE_EVENTS, "EV-11")
{
    vmhi_conn *conn = conf_open(), *other = conf_open();
    vmhi_vm *vm = conf_define(conn);
    vmhi_vm *there = NULL;
    int rc = vmhi_vm_lookup_by_uuid(&there, other, vmhi_vm_get_uuid(vm));
    CONF_SKIP_CLEAN_IF(rc == VMHI_E_NO_VM,
                       (conf_discard(vm), vmhi_conn_close(other), vmhi_conn_close(conn)),
                       "two connections to this URI do not share a host");
    conf_ok(rc);
    conf_recorder *rec = conf_recorder_new(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm),
                                           false);
    conf_req("EV-11");
    conf_ok(vmhi_vm_start(there, 0));
    conf_recorder_wait(rec, 1, conf_ms(CONF_WAIT_MS));
    ck_assert_msg(conf_recorder_count(rec) == 1, "a start through another connection was not "
                  "reported");
    conf_recorder_free(rec);
    vmhi_vm_free(there);
    conf_discard(vm);
    vmhi_conn_close(other);
    vmhi_conn_close(conn);
}
