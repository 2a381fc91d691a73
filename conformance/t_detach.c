/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Devices, detaching (spec section 12): done at once from a definition;
 * from a running VM done or pending until the guest releases the device,
 * which it may never do; a pending detach completes when the VM stops.
 * Each test runs once per device kind on a VM defined with disk "conf-d0"
 * and NIC "conf-n0".
 */
#include <stdio.h>
#include <string.h>

#include "conf_devices.h"
#include "conf_events.h"

static const vmhi_device_type kinds[2] = { VMHI_DEVICE_DISK, VMHI_DEVICE_NIC };

static void describe_kind(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", conf_kind_name(kinds[row % 2]));
}

static vmhi_vm *device_vm(vmhi_conn *conn, bool run)
{
    vmhi_vm_config *cfg = conf_config_with_devices();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    if (run) {
        conf_ok(vmhi_vm_start(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    }
    return vm;
}

static conf_recorder *removal_recorder(vmhi_conn *conn, vmhi_vm *vm)
{
    if (!conf_events_checked())
        return NULL;
    return conf_recorder_new(conn, VMHI_EVENT_DEVICE_REMOVED | VMHI_EVENT_DEFINED,
                             vmhi_vm_get_uuid(vm), false);
}

/* Counts the recorded events of @type (for @id when a device event). */
static size_t count_of(conf_recorder *rec, vmhi_event_type type, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < conf_recorder_count(rec); i++) {
        conf_event e = conf_recorder_get(rec, i);
        n += e.type == type && (!id || strcmp(e.device, id) == 0);
    }
    return n;
}

static void expect_removed_events(conf_recorder *rec, const char *id, size_t removed,
                                  size_t defined)
{
    if (!rec)
        return;
    conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
    char seen[1024];
    conf_recorder_describe(rec, seen, sizeof(seen));
    conf_req("EV-7");
    ck_assert_msg(count_of(rec, VMHI_EVENT_DEVICE_REMOVED, id) == removed &&
                      count_of(rec, VMHI_EVENT_DEVICE_REMOVED, NULL) == removed,
                  "expected %zu device-removed event(s) for '%s', got: %s", removed, id, seen);
    conf_req("EV-5");
    ck_assert_msg(count_of(rec, VMHI_EVENT_DEFINED, NULL) == defined,
                  "expected %zu defined event(s), got: %s", defined, seen);
}

VMHI_CONF_TABLE(detach_from_definition, VMHI_PROFILE_DEVICES, 2, describe_kind, "DEV-8",
                "DEV-13", "EV-7", "EV-5")
{
    vmhi_device_type kind = kinds[conf_row_index];
    const char *id = conf_kind_default_id(kind);
    vmhi_conn *conn = conf_open();
    vmhi_vm *off = device_vm(conn, false), *on = device_vm(conn, true);
    conf_recorder *rec = removal_recorder(conn, off);
    vmhi_completion done = 0;
    conf_req("DEV-13");
    conf_ok(conf_detach(off, kind, id, VMHI_AFFECT_CONFIG, &done));
    ck_assert_msg(done == VMHI_COMPLETION_DONE, "a config detach reported %d, not done", done);
    conf_req("DEV-8");
    ck_assert_uint_eq(conf_config_count(off, kind, NULL, NULL), 0);
    ck_assert_int_eq(conf_find_listed(off, id).count, 0);
    expect_removed_events(rec, id, 1, 1);

    conf_req("DEV-13");
    conf_ok(conf_detach(on, kind, id, VMHI_AFFECT_CONFIG, &done));
    ck_assert_msg(done == VMHI_COMPLETION_DONE, "a config detach reported %d, not done", done);
    conf_req("DEV-8");
    conf_listed l = conf_find_listed(on, id);
    ck_assert_msg(l.count == 1 && l.live == 1 && l.config == 0, "after a config detach from "
                  "a running VM '%s' is listed %d time(s), live %d config %d", id, l.count,
                  l.live, l.config);
    conf_recorder_free(rec);
    conf_discard(off);
    conf_discard(on);
    vmhi_conn_close(conn);
}

VMHI_CONF_TABLE(detach_unknown_device, VMHI_PROFILE_DEVICES, 2, describe_kind, "DEV-7")
{
    vmhi_device_type kind = kinds[conf_row_index];
    const char *other = conf_kind_default_id(kinds[kind == VMHI_DEVICE_DISK]);
    vmhi_conn *conn = conf_open();
    vmhi_vm *off = device_vm(conn, false), *on = device_vm(conn, true);
    vmhi_completion done;
    conf_req("DEV-7");
    conf_fail(conf_detach(off, kind, "conf-none", VMHI_AFFECT_CONFIG, &done), VMHI_E_NO_DEVICE);
    conf_fail(conf_detach(off, kind, other, VMHI_AFFECT_CONFIG, &done), VMHI_E_NO_DEVICE);
    conf_fail(conf_detach(on, kind, "conf-none", VMHI_AFFECT_LIVE, &done), VMHI_E_NO_DEVICE);
    conf_fail(conf_detach(on, kind, other, VMHI_AFFECT_LIVE, &done), VMHI_E_NO_DEVICE);
    ck_assert_uint_eq(conf_config_count(off, kind, NULL, NULL), 1);
    ck_assert_uint_eq(conf_config_count(on, kind, NULL, NULL), 1);
    conf_discard(off);
    conf_discard(on);
    vmhi_conn_close(conn);
}

/* Polls until @id no longer has a live entry; false after @ms. */
static bool released_within(vmhi_vm *vm, const char *id, unsigned int ms)
{
    uint64_t deadline = conf_now_ms() + ms;
    do {
        conf_listed l = conf_find_listed(vm, id);
        if (l.count == 0 || !l.live)
            return true;
        conf_sleep_ms(5);
    } while (conf_now_ms() < deadline);
    return false;
}

/* The checks while a live detach is pending (DEV-9, DEV-10, CFG-2, EV-7). */
static void check_pending(vmhi_vm *vm, vmhi_device_type kind, const char *id,
                          conf_recorder *rec)
{
    conf_req("DEV-9");
    conf_listed l = conf_find_listed(vm, id);
    ck_assert_msg(l.count == 1 && l.state == VMHI_DEVICE_DETACH_PENDING && l.live == 1,
                  "a pending detach of '%s' is listed %d time(s), state %d, live %d", id,
                  l.count, (int)l.state, l.live);
    conf_req("CFG-2");
    bool has = false;
    conf_config_count(vm, kind, id, &has);
    ck_assert_msg(has, "vmhi_vm_get_config() dropped '%s' while its detach is pending", id);
    conf_req("DEV-10");
    vmhi_completion again;
    conf_fail(conf_detach(vm, kind, id, VMHI_AFFECT_LIVE, &again), VMHI_E_BUSY);
    if (rec) {
        conf_req("EV-7");
        conf_recorder_settle(rec, 0);
        ck_assert_msg(count_of(rec, VMHI_EVENT_DEVICE_REMOVED, NULL) == 0,
                      "device-removed was emitted while the detach is pending");
    }
}

VMHI_CONF_TABLE(live_detach_done_or_pending, VMHI_PROFILE_DEVICES, 2, describe_kind, "DEV-8",
                "DEV-9", "DEV-10", "DEV-14", "CFG-2", "EV-7", "EV-5")
{
    vmhi_device_type kind = kinds[conf_row_index];
    const char *id = conf_kind_default_id(kind);
    vmhi_conn *conn = conf_open();
    unsigned int caps = conf_op_caps(conn, conf_kind_detach_op(kind));
    vmhi_vm *vm = device_vm(conn, true);
    conf_recorder *rec = removal_recorder(conn, vm);
    vmhi_completion done = 0;
    conf_req("DEV-8");
    conf_ok(conf_detach(vm, kind, id, VMHI_AFFECT_LIVE, &done));
    conf_req("DEV-14");
    ck_assert_msg(done == VMHI_COMPLETION_DONE || (caps & VMHI_CAP_ASYNC),
                  "the detach is pending but %s's caps (0x%x) lack VMHI_CAP_ASYNC",
                  vmhi_op_name(conf_kind_detach_op(kind)), caps);
    if (done == VMHI_COMPLETION_DONE) {
        conf_req("DEV-8");
        conf_listed l = conf_find_listed(vm, id);
        ck_assert_msg(l.count == 1 && !l.live && l.config, "after a live detach reported done "
                      "'%s' is listed %d time(s), live %d", id, l.count, l.live);
        expect_removed_events(rec, id, 1, 0);
        conf_note("the detach completed at once");
    } else {
        check_pending(vm, kind, id, rec);
        conf_req("DEV-9");
        if (conf->guest_releases == 1) {
            ck_assert_msg(released_within(vm, id, conf_ms(CONF_WAIT_MS)), "the guest released "
                          "devices before, but '%s' is still pending after %u ms", id,
                          conf_ms(CONF_WAIT_MS));
            conf_listed l = conf_find_listed(vm, id);
            ck_assert_msg(l.count == 1 && !l.live && l.config,
                          "after the guest released '%s' it is listed live %d config %d", id,
                          l.live, l.config);
            if (rec)
                conf_recorder_wait(rec, 1, conf_ms(CONF_WAIT_MS));
            expect_removed_events(rec, id, 1, 0);
        } else {
            conf_note("guests on this URI do not release devices");
        }
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Requests a live detach; false (skip noted) unless it is pending. */
static bool pending_detach(vmhi_vm *vm, vmhi_device_type kind, const char *id)
{
    vmhi_completion done = 0;
    conf_ok(conf_detach(vm, kind, id, VMHI_AFFECT_LIVE, &done));
    if (done == VMHI_COMPLETION_PENDING)
        return true;
    conf_note_skip("live detaches complete at once: there is no pending detach");
    return false;
}

VMHI_CONF_TABLE(pending_detach_waits_for_guest, VMHI_PROFILE_DEVICES, 2, describe_kind,
                "DEV-11")
{
    vmhi_device_type kind = kinds[conf_row_index];
    const char *id = conf_kind_default_id(kind);
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(conf->guest_releases != 0, vmhi_conn_close(conn),
                       "guests on this URI release unplugged devices; run on a URI whose "
                       "guests ignore unplug requests");
    vmhi_vm *vm = device_vm(conn, true);
    CONF_SKIP_CLEAN_IF(!pending_detach(vm, kind, id), (conf_discard(vm), vmhi_conn_close(conn)),
                       "live detaches complete at once: there is no pending detach");
    conf_recorder *rec = removal_recorder(conn, vm);
    conf_req("DEV-11");
    conf_sleep_ms(conf_ms(CONF_WATCH_MS)); /* the watch period of spec 3.2 */
    conf_listed l = conf_find_listed(vm, id);
    ck_assert_msg(l.count == 1 && l.state == VMHI_DEVICE_DETACH_PENDING && l.live,
                  "a detach the guest ignores did not stay pending (listed %d, state %d, live %d)",
                  l.count, (int)l.state, l.live);
    if (rec) {
        conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
        ck_assert_uint_eq(count_of(rec, VMHI_EVENT_DEVICE_REMOVED, NULL), 0);
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

static void describe_stop(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s/%s", conf_kind_name(kinds[row % 2]),
             row / 2 ? "suspend" : "poweroff");
}

VMHI_CONF_TABLE(pending_detach_completes_when_vm_stops, VMHI_PROFILE_DEVICES, 4, describe_stop,
                "DEV-12", "EV-7", "EV-5")
{
    vmhi_device_type kind = kinds[conf_row_index % 2];
    bool suspend = conf_row_index / 2;
    const char *id = conf_kind_default_id(kind);
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(suspend && !(conf_op_caps(conn, VMHI_OP_SUSPEND) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn), "suspend is not supported");
    char refused[512];
    CONF_SKIP_CLEAN_IF(suspend && conf_suspend_refused(refused, sizeof(refused)),
                       vmhi_conn_close(conn), "%s", refused);
    vmhi_vm *vm = device_vm(conn, true);
    conf_recorder *rec = removal_recorder(conn, vm);
    CONF_SKIP_CLEAN_IF(!pending_detach(vm, kind, id),
                       (conf_recorder_free(rec), conf_discard(vm), vmhi_conn_close(conn)),
                       "live detaches complete at once: there is no pending detach");
    conf_req("DEV-12");
    conf_ok(suspend ? vmhi_vm_suspend(vm, 0) : vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(suspend ? VMHI_STATE_SUSPENDED : VMHI_STATE_SHUTOFF));
    conf_listed l = conf_find_listed(vm, id);
    ck_assert_msg(l.count == 1 && !l.live && l.state == VMHI_DEVICE_PRESENT,
                  "after the VM stopped, '%s' is listed %d time(s), live %d, state %d", id,
                  l.count, l.live, (int)l.state);
    expect_removed_events(rec, id, 1, 0);
    if (suspend) {
        conf_req("DEV-12");
        conf_ok(vmhi_vm_start(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
        l = conf_find_listed(vm, id);
        ck_assert_msg(l.count == 1 && !l.live && l.config, "restoring brought '%s' back "
                      "(live %d)", id, l.live);
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
