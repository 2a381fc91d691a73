/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Per-value capabilities (spec section 5): one row for every value of
 * every vmhi_value_kind.  A value the connection declares is used for
 * real - a VM defined with it, a device of it attached where Devices is
 * claimed, a shutdown requested with it where Lifecycle-Full is - and
 * must not be refused as unsupported; it comes back from
 * vmhi_vm_get_config() as given (a DEFAULT bus or model as the concrete,
 * declared choice the backend made).  A value it does not declare must
 * fail with VMHI_E_UNSUPPORTED and change nothing.
 *
 * Values that need a resource the suite cannot make use stand-ins: a
 * stub file as kernel (VMs are only defined with it, never started; give
 * --kernel for a real one) and bridge CONF_BRIDGE_DEFAULT (give --bridge);
 * a backend that reports the stand-in missing (VMHI_E_NOT_FOUND) makes
 * the row not applicable.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"
#include "conf_values.h"

#define VALUE_ROWS                                                                        \
    (VMHI_DISK_BUS_COUNT_1_0 + VMHI_DISK_FORMAT_COUNT_1_0 + 2 + VMHI_NIC_MODEL_COUNT_1_0 + \
     VMHI_NETWORK_KIND_COUNT_1_0 + VMHI_FIRMWARE_COUNT_1_0 + VMHI_GUEST_TYPE_COUNT_1_0 +  \
     VMHI_BOOT_METHOD_COUNT_1_0 + VMHI_SHUTDOWN_METHOD_COUNT_1_0)

typedef struct value_row {
    vmhi_value_kind kind;
    unsigned int value;
} value_row;

static value_row row_of(size_t row)
{
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        size_t n = conf_value_count((vmhi_value_kind)k);
        if (row < n)
            return (value_row){ (vmhi_value_kind)k, (unsigned int)row };
        row -= n;
    }
    return (value_row){ VMHI_VALUE_DISK_BUS, 0 };
}

static void describe_value(size_t row, conf_row *out)
{
    value_row r = row_of(row);
    snprintf(out->name, sizeof(out->name), "%s/%s", vmhi_value_kind_name(r.kind),
             conf_value_text(r.kind, r.value));
    if (r.kind == VMHI_VALUE_SHUTDOWN_METHOD) {
        out->profile = VMHI_PROFILE_LIFECYCLE_FULL;
        out->ids[0] = REQ_VALUE_ACCEPTED;
        out->ids[1] = REQ_VALUE_REFUSED;
        out->ids[2] = REQ_SHUTDOWN_METHOD;
        out->ids[3] = NULL;
    }
}

/* ---------------------------------------------------- the config kinds */

/* A VM defined with the row's value: false (skip noted) when a stand-in
 * resource does not exist on the backend's host. */
static bool define_accepted(vmhi_conn *conn, value_row r, vmhi_vm **vm)
{
    vmhi_vm_config *cfg = conf_value_config(conn, r.kind, r.value);
    int rc = vmhi_vm_define(vm, conn, cfg, 0);
    vmhi_vm_config_free(cfg);
    if (rc == VMHI_E_NOT_FOUND) {
        conf_note_skip("the backend reports a resource of this value missing: %s (give "
                       "--kernel or --bridge to name one that exists)",
                       vmhi_error_last_message());
        return false;
    }
    ck_assert_msg(rc != VMHI_E_UNSUPPORTED, "vmhi_conn_get_value_caps() declares %s '%s', but "
                  "defining a VM with it failed with VMHI_E_UNSUPPORTED: %s",
                  vmhi_value_kind_name(r.kind), conf_value_text(r.kind, r.value),
                  vmhi_error_last_message());
    ck_assert_msg(rc == VMHI_OK, "defining a VM with %s '%s' failed: %d (%s): %s",
                  vmhi_value_kind_name(r.kind), conf_value_text(r.kind, r.value), rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    return true;
}

/* Attach applies where Devices is claimed and attach has a config form
 * (a shut-off VM, no guest involved). */
static bool attach_applies(vmhi_conn *conn, value_row r)
{
    if (!conf_value_disk_kind(r.kind) && !conf_value_nic_kind(r.kind))
        return false;
    vmhi_op op = conf_value_disk_kind(r.kind) ? VMHI_OP_ATTACH_DISK : VMHI_OP_ATTACH_NIC;
    if (!conf_claims(VMHI_PROFILE_DEVICES))
        return false;
    if (!(conf_op_caps(conn, op) & VMHI_CAP_CONFIG)) {
        conf_note("%s has no config form: the value was checked by define only",
                  vmhi_op_name(op));
        return false;
    }
    return true;
}

static int attach_row_device(vmhi_conn *conn, vmhi_vm *vm, value_row r)
{
    int rc;
    if (conf_value_disk_kind(r.kind)) {
        vmhi_disk *disk = conf_value_disk(conn, r.kind, r.value);
        rc = vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL);
        vmhi_disk_free(disk);
    } else {
        vmhi_nic *nic = conf_value_nic(conn, r.kind, r.value);
        rc = vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_CONFIG, NULL);
        vmhi_nic_free(nic);
    }
    return rc;
}

static size_t device_count(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    size_t n = vmhi_vm_config_get_disk_count(cfg) + vmhi_vm_config_get_nic_count(cfg);
    vmhi_vm_config_free(cfg);
    return n;
}

static void config_value_accepted(vmhi_conn *conn, value_row r)
{
    vmhi_vm *vm = NULL;
    conf_req(REQ_VALUE_ACCEPTED);
    if (!define_accepted(conn, r, &vm))
        return;
    vmhi_vm_config *got = NULL;
    conf_ok(vmhi_vm_get_config(vm, &got, 0));
    bool resolves = r.kind == VMHI_VALUE_DISK_BUS || r.kind == VMHI_VALUE_NIC_MODEL;
    conf_req(r.kind == VMHI_VALUE_GUEST_TYPE     ? REQ_GUEST_KEPT
             : resolves && r.value == 0         ? REQ_DEFAULT_RESOLVED
                                                : REQ_VALUE_KEPT);
    conf_check_value_read_back(conn, got, r.kind, r.value);
    vmhi_vm_config_free(got);
    if (attach_applies(conn, r)) {
        conf_req(REQ_VALUE_ACCEPTED);
        vmhi_vm *bare = conf_define(conn);
        int rc = attach_row_device(conn, bare, r);
        ck_assert_msg(rc != VMHI_E_UNSUPPORTED, "vmhi_conn_get_value_caps() declares %s '%s', "
                      "but attaching a device with it failed with VMHI_E_UNSUPPORTED: %s",
                      vmhi_value_kind_name(r.kind), conf_value_text(r.kind, r.value),
                      vmhi_error_last_message());
        if (rc != VMHI_OK)
            conf_note("attaching a device with it failed: %s (%s)", vmhi_strerror(rc),
                      vmhi_error_last_message());
        conf_discard(bare);
    }
    conf_discard(vm);
}

static conf_recorder *definition_recorder(vmhi_conn *conn, const char *uuid)
{
    if (!conf_events_checked())
        return NULL;
    return conf_recorder_new(conn, VMHI_EVENT_ALL_1_0, uuid, false);
}

static void expect_no_events(conf_recorder *rec, const char *what)
{
    if (!rec)
        return;
    conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
    char seen[512];
    conf_recorder_describe(rec, seen, sizeof(seen));
    ck_assert_msg(conf_recorder_count(rec) == 0, "%s emitted: %s", what, seen);
}

static void config_value_refused(vmhi_conn *conn, value_row r)
{
    vmhi_vm_config *cfg = conf_value_config(conn, r.kind, r.value);
    conf_recorder *rec = definition_recorder(conn, NULL);
    vmhi_vm *vm = NULL;
    conf_req(REQ_VALUE_REFUSED);
    conf_fail(vmhi_vm_define(&vm, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_null(vm);
    vmhi_vm *found = NULL;
    conf_fail(vmhi_vm_lookup_by_name(&found, conn, vmhi_vm_config_get_name(cfg)), VMHI_E_NO_VM);
    expect_no_events(rec, "the refused define");
    conf_recorder_free(rec);
    vmhi_vm_config_free(cfg);
    if (attach_applies(conn, r)) {
        vmhi_vm *bare = conf_define(conn);
        rec = definition_recorder(conn, vmhi_vm_get_uuid(bare));
        conf_fail(attach_row_device(conn, bare, r), VMHI_E_UNSUPPORTED);
        ck_assert_msg(device_count(bare) == 0, "the refused attach added a device");
        expect_no_events(rec, "the refused attach");
        conf_recorder_free(rec);
        conf_discard(bare);
    }
}

/* ------------------------------------------------ shutdown methods */

static vmhi_vm *running_vm(vmhi_conn *conn)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    return vm;
}

static void shutdown_method_accepted(vmhi_conn *conn, unsigned int method)
{
    vmhi_vm *vm = running_vm(conn);
    conf_req(REQ_VALUE_ACCEPTED);
    int rc = vmhi_vm_shutdown(vm, 0, method);
    ck_assert_msg(rc != VMHI_E_UNSUPPORTED, "vmhi_conn_get_value_caps() declares shutdown "
                  "method '%s', but a shutdown request with it failed with "
                  "VMHI_E_UNSUPPORTED: %s", conf_value_text(VMHI_VALUE_SHUTDOWN_METHOD, method),
                  vmhi_error_last_message());
    conf_req(REQ_SHUTDOWN_METHOD);
    ck_assert_msg(rc == VMHI_OK, "a shutdown request with declared method '%s' failed: %d "
                  "(%s): %s", conf_value_text(VMHI_VALUE_SHUTDOWN_METHOD, method), rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    vmhi_state_reason why;
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg((st == VMHI_STATE_SHUTTING_DOWN && why == VMHI_REASON_SHUTDOWN_REQUESTED) ||
                      (st == VMHI_STATE_SHUTOFF && why == VMHI_REASON_SHUTDOWN_GUEST),
                  "after a shutdown request with method '%s' the VM is %s/%s",
                  conf_value_text(VMHI_VALUE_SHUTDOWN_METHOD, method), vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    conf_discard(vm);
}

static void shutdown_method_refused(vmhi_conn *conn, unsigned int method)
{
    vmhi_vm *vm = running_vm(conn);
    conf_recorder *rec = definition_recorder(conn, vmhi_vm_get_uuid(vm));
    vmhi_state_reason why;
    conf_req(REQ_VALUE_REFUSED);
    conf_fail(vmhi_vm_shutdown(vm, 0, method), VMHI_E_UNSUPPORTED);
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg(st == VMHI_STATE_RUNNING && why == VMHI_REASON_BOOTED,
                  "the refused shutdown request left the VM %s/%s", vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    expect_no_events(rec, "the refused shutdown request");
    conf_recorder_free(rec);
    conf_discard(vm);
}

VMHI_CONF_TABLE(every_value_as_declared, VMHI_PROFILE_CORE, VALUE_ROWS, describe_value,
                REQ_VALUE_ACCEPTED, REQ_VALUE_REFUSED, REQ_VALUE_KEPT, REQ_GUEST_KEPT,
                REQ_DEFAULT_RESOLVED)
{
    value_row r = row_of(conf_row_index);
    vmhi_conn *conn = conf_open();
    bool declared = conf_value_declared(conn, r.kind, r.value);
    conf_note("%s", declared ? "declared" : "not declared");
    if (r.kind == VMHI_VALUE_SHUTDOWN_METHOD)
        declared ? shutdown_method_accepted(conn, r.value) : shutdown_method_refused(conn, r.value);
    else
        declared ? config_value_accepted(conn, r) : config_value_refused(conn, r);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(value_caps_declare_the_defaults, VMHI_PROFILE_CORE, REQ_VALUE_DEFAULTS)
{
    vmhi_conn *conn = conf_open();
    conf_req(REQ_VALUE_DEFAULTS);
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        vmhi_value_kind kind = (vmhi_value_kind)k;
        uint64_t caps = conf_value_caps(conn, kind);
        uint64_t all = (UINT64_C(1) << conf_value_count(kind)) - 1;
        ck_assert_msg((caps & ~all) == 0, "%s declares values VMHI 1.0 does not define "
                      "(0x%llx)", vmhi_value_kind_name(kind), (unsigned long long)caps);
        ck_assert_msg(!conf_value_has_default(kind) || (caps & 1), "%s does not declare "
                      "'default' (0x%llx)", vmhi_value_kind_name(kind),
                      (unsigned long long)caps);
    }
    vmhi_conn_close(conn);
}
