/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the state tables cannot show in one call: waiting for a graceful
 * shutdown, a guest that complies or never does, power-off cancelling a
 * request the guest has not acted on, and suspend/restore keeping the
 * live configuration.  Whether the guest complies is the guest's choice;
 * the suite accepts either and checks what follows from it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"

/* How long a guest is given before the suite concludes it ignores us. */
#define GUEST_WAIT_MS 400u

static vmhi_vm *running_vm(vmhi_conn *conn, bool transient)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    if (transient)
        conf_ok(vmhi_vm_undefine(vm, 0));
    return vm;
}

static conf_recorder *lifecycle_recorder(vmhi_conn *conn, vmhi_vm *vm)
{
    if (!conf_events_checked())
        return NULL;
    return conf_recorder_new(conn, VMHI_EVENT_LIFECYCLE, vmhi_vm_get_uuid(vm), false);
}

static void describe_kind(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", row ? "transient" : "persistent");
}

VMHI_CONF_TABLE(shutdown_waits_for_guest, VMHI_PROFILE_LIFECYCLE_FULL, 2, describe_kind,
                "LC-SHUTDOWN-5", "LC-SHUTDOWN-6")
{
    bool transient = conf_row_index == 1;
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, transient);
    /* A guest known to comply gets long enough to do so on a loaded host. */
    unsigned int wait = conf_ms(conf->guest_shuts_down > 0 ? CONF_WAIT_MS : GUEST_WAIT_MS);
    int rc = vmhi_vm_shutdown(vm, wait, 0);
    vmhi_vm_state st = 0;
    int look = vmhi_vm_get_state(vm, &st, NULL);
    if (rc == VMHI_OK) {
        conf_req("LC-SHUTDOWN-5");
        if (transient)
            ck_assert_msg(look == VMHI_E_NO_VM, "a transient VM shut down but still exists "
                          "(%s)", vmhi_vm_state_name(st));
        else
            ck_assert_msg(look == VMHI_OK && st == VMHI_STATE_SHUTOFF, "shutdown returned "
                          "VMHI_OK but the VM is %s", vmhi_vm_state_name(st));
        conf_note("the guest complied within %u ms", wait);
    } else {
        conf_req("LC-SHUTDOWN-6");
        ck_assert_msg(rc == VMHI_E_TIMEOUT, "shutdown with a timeout returned %d (%s): %s", rc,
                      vmhi_strerror(rc), vmhi_error_last_message());
        ck_assert_msg(look == VMHI_OK && st == VMHI_STATE_SHUTTING_DOWN, "after "
                      "VMHI_E_TIMEOUT the VM is %s, not shutting-down",
                      look == VMHI_OK ? vmhi_vm_state_name(st) : "gone");
        conf_note("the guest did not comply within %u ms", wait);
    }
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Requests a shutdown and waits for the guest; false (skip noted) when
 * guests on this URI ignore such requests. */
static bool guest_complies(vmhi_vm *vm)
{
    if (conf->guest_shuts_down == 0) {
        conf_note_skip("guests on this URI ignore shutdown requests");
        return false;
    }
    conf_ok(vmhi_vm_shutdown(vm, 0, 0));
    uint64_t deadline = conf_now_ms() + conf_ms(CONF_WAIT_MS);
    vmhi_vm_state st = VMHI_STATE_SHUTTING_DOWN;
    while (conf_now_ms() < deadline) {
        if (vmhi_vm_get_state(vm, &st, NULL) != VMHI_OK || st == VMHI_STATE_SHUTOFF)
            return true;
        conf_sleep_ms(5);
    }
    ck_assert_msg(false, "the guest complied with a shutdown request before, but the VM is "
                  "still %s after %u ms", vmhi_vm_state_name(st), conf_ms(CONF_WAIT_MS));
    return false;
}

VMHI_CONF_TABLE(guest_shuts_down, VMHI_PROFILE_LIFECYCLE_FULL, 2, describe_kind,
                "LC-SHUTDOWN-2", "LC-GEN-7", "LC-GEN-5", "EV-2")
{
    bool transient = conf_row_index == 1;
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, transient);
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    if (!guest_complies(vm)) {
        conf_recorder_free(rec);
        conf_discard(vm);
        vmhi_conn_close(conn);
        return;
    }
    vmhi_vm_state st = 0;
    vmhi_state_reason why = 0;
    int look = vmhi_vm_get_state(vm, &st, &why);
    if (transient) {
        conf_req("LC-GEN-5");
        ck_assert_msg(look == VMHI_E_NO_VM, "a transient VM whose guest shut down still "
                      "exists (%s)", vmhi_vm_state_name(st));
    } else {
        conf_req("LC-SHUTDOWN-2");
        ck_assert_msg(st == VMHI_STATE_SHUTOFF && why == VMHI_REASON_SHUTDOWN_GUEST,
                      "after the guest shut down the VM is %s/%s", vmhi_vm_state_name(st),
                      vmhi_state_reason_name(why));
        conf_req("LC-GEN-7");
        ck_assert_int_eq(why, VMHI_REASON_SHUTDOWN_GUEST);
    }
    if (rec) {
        conf_req("EV-2");
        conf_recorder_await(rec, 2);
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        ck_assert_msg(conf_recorder_count(rec) == 2, "expected shutting-down then shutoff, "
                      "got: %s", seen);
        conf_event last = conf_recorder_get(rec, 1);
        ck_assert_msg(last.state == VMHI_STATE_SHUTOFF &&
                          last.reason == VMHI_REASON_SHUTDOWN_GUEST, "got: %s", seen);
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(shutting_down_lasts_while_guest_ignores, VMHI_PROFILE_LIFECYCLE_FULL,
               "LC-SHUTDOWN-7", "LC-POWEROFF-1")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(conf->guest_shuts_down != 0, vmhi_conn_close(conn),
                       "guests on this URI comply with shutdown requests; run on a URI whose "
                       "guests ignore them");
    vmhi_vm *vm = running_vm(conn, false);
    conf_ok(vmhi_vm_shutdown(vm, 0, 0));
    vmhi_state_reason why;
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    conf_req("LC-SHUTDOWN-7");
    /* Watched for the watch period of spec 3.2, in steps, so that a backend
     * that gives up half-way is caught wherever it does. */
    uint64_t end = conf_now_ms() + conf_ms(CONF_WATCH_MS);
    do {
        conf_sleep_ms(conf_ms(CONF_WATCH_MS) / 8 + 1);
        vmhi_vm_state st = conf_state(vm, &why);
        ck_assert_msg(st == VMHI_STATE_SHUTTING_DOWN && why == VMHI_REASON_SHUTDOWN_REQUESTED,
                      "a VM whose guest ignores the shutdown request became %s/%s on its own",
                      vmhi_vm_state_name(st), vmhi_state_reason_name(why));
    } while (conf_now_ms() < end);
    if (rec) {
        conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        ck_assert_msg(conf_recorder_count(rec) == 0, "the shutting-down VM emitted: %s", seen);
    }
    /* Until a call ends it. */
    conf_req("LC-POWEROFF-1");
    conf_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg(st == VMHI_STATE_SHUTOFF && why == VMHI_REASON_POWEROFF,
                  "power-off of the shutting-down VM left it %s/%s", vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Poweroff from suspended discards the saved image: the next start boots
 * the definition afresh, without what the VM had live when saved. */
VMHI_CONF_TEST(poweroff_discards_the_saved_image, VMHI_PROFILE_LIFECYCLE_FULL, "LC-POWEROFF-4",
               "EV-2")
{
    char refused[512];
    CONF_SKIP_IF(conf_suspend_refused(refused, sizeof(refused)), "%s", refused);
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, false);
    bool memory = conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_LIVE;
    if (memory)
        conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_LIVE));
    conf_ok(vmhi_vm_suspend(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SUSPENDED));
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    conf_req("LC-POWEROFF-4");
    conf_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_state_reason why;
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg(st == VMHI_STATE_SHUTOFF && why == VMHI_REASON_POWEROFF,
                  "power-off of a suspended VM left it %s/%s", vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    if (rec) {
        conf_req("EV-2");
        conf_recorder_await(rec, 1);
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        conf_event e = conf_recorder_count(rec) == 1 ? conf_recorder_get(rec, 0)
                                                     : (conf_event){ 0 };
        ck_assert_msg(e.state == VMHI_STATE_SHUTOFF && e.reason == VMHI_REASON_POWEROFF,
                      "expected one shutoff/poweroff event: %s", seen);
    }
    conf_req("LC-POWEROFF-4");
    conf_ok(vmhi_vm_start(vm, 0));
    st = conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_state(vm, &why);
    ck_assert_msg(why == VMHI_REASON_BOOTED, "after power-off from suspended the VM started "
                  "with reason %s, not booted: the saved image was kept",
                  vmhi_state_reason_name(why));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_msg(info.memory_mib == CONF_MIB(64), "the VM booted with %llu MiB, not its "
                  "definition's %llu%s", (unsigned long long)info.memory_mib,
                  (unsigned long long)CONF_MIB(64),
                  memory ? " (the saved VM had more live)" : "");
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* vmhi_vm_shutdown() waiting for a guest that ignores it holds no lock:
 * another call on the same connection completes meanwhile, whether or
 * not the backend runs calls concurrently. */
typedef struct shutdown_wait {
    vmhi_vm *vm;
    unsigned int timeout_ms;
    int rc;
    uint64_t returned_ms;
} shutdown_wait;

static void *wait_for_shutdown(void *arg)
{
    shutdown_wait *w = arg;
    w->rc = vmhi_vm_shutdown(w->vm, w->timeout_ms, 0);
    w->returned_ms = conf_now_ms();
    return NULL;
}

VMHI_CONF_TEST(shutdown_wait_blocks_no_other_call, VMHI_PROFILE_LIFECYCLE_FULL, "MOD-20",
               "LC-SHUTDOWN-6")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(conf->guest_shuts_down != 0, vmhi_conn_close(conn),
                       "guests on this URI comply with shutdown requests, so a shutdown wait "
                       "ends at once; run on a URI whose guests ignore them");
    vmhi_vm *vm = running_vm(conn, false);
    shutdown_wait w = { vm, conf_ms(2000), 0, 0 };
    pthread_t waiter;
    uint64_t t0 = conf_now_ms();
    ck_assert_int_eq(pthread_create(&waiter, NULL, wait_for_shutdown, &w), 0);
    conf_sleep_ms(w.timeout_ms / 10); /* let the wait begin */
    vmhi_vm **vms = NULL;
    size_t n = 0;
    uint64_t asked = conf_now_ms();
    int rc = vmhi_conn_list_vms(conn, 0, &vms, &n);
    uint64_t listed = conf_now_ms();
    vmhi_vm_list_free(vms, n);
    pthread_join(waiter, NULL);
    /* The startup probe saw guests ignore a request, but a guest that was
     * still booting then may act on this one: nothing to measure. */
    CONF_SKIP_CLEAN_IF(w.rc == VMHI_OK && w.returned_ms - t0 < w.timeout_ms,
                       (conf_discard(vm), vmhi_conn_close(conn)),
                       "this guest complied with the shutdown request after %llu ms, so "
                       "there was no wait to measure",
                       (unsigned long long)(w.returned_ms - t0));
    conf_req("MOD-20");
    ck_assert_msg(rc == VMHI_OK, "vmhi_conn_list_vms() during the wait returned %d (%s)", rc,
                  vmhi_strerror(rc));
    ck_assert_msg(listed - asked < w.timeout_ms / 4 && listed < w.returned_ms,
                  "vmhi_conn_list_vms() on the same connection took %llu ms while "
                  "vmhi_vm_shutdown() waited %u ms for the guest: the wait blocks the "
                  "connection", (unsigned long long)(listed - asked), w.timeout_ms);
    conf_req("LC-SHUTDOWN-6");
    ck_assert_msg(w.rc == VMHI_E_TIMEOUT, "shutdown with a timeout for a guest that ignores it "
                  "returned %d (%s)", w.rc, vmhi_strerror(w.rc));
    ck_assert_msg(w.returned_ms - t0 >= w.timeout_ms, "vmhi_vm_shutdown() gave up after %llu "
                  "of %u ms", (unsigned long long)(w.returned_ms - t0), w.timeout_ms);
    ck_assert_int_eq(conf_state(vm, NULL), VMHI_STATE_SHUTTING_DOWN);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

static void describe_request(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", row ? "reboot" : "shutdown");
}

VMHI_CONF_TABLE(poweroff_cancels_guest_requests, VMHI_PROFILE_LIFECYCLE_FULL, 2,
                describe_request, "LC-POWEROFF-3")
{
    bool reboot = conf_row_index == 1;
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, false);
    conf_ok(reboot ? vmhi_vm_reboot(vm, 0) : vmhi_vm_shutdown(vm, 0, 0));
    vmhi_state_reason why;
    vmhi_vm_state st = conf_state(vm, &why);
    CONF_SKIP_CLEAN_IF(st == VMHI_STATE_SHUTOFF || why == VMHI_REASON_REBOOTED,
                       (conf_discard(vm), vmhi_conn_close(conn)),
                 "the guest complied before the suite could power the VM off");
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    conf_req("LC-POWEROFF-3");
    /* The guest may comply at any moment, also between the look above and
     * the power-off: then there is no outstanding request to cancel. */
    int rc = vmhi_vm_poweroff(vm, 0);
    CONF_SKIP_CLEAN_IF(rc == VMHI_E_INVALID_STATE && conf_state(vm, NULL) == VMHI_STATE_SHUTOFF,
                       (conf_recorder_free(rec), conf_discard(vm), vmhi_conn_close(conn)),
                       "the guest complied before the suite could power the VM off");
    conf_ok(rc);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_sleep_ms(conf_ms(GUEST_WAIT_MS / 2));
    st = conf_state(vm, &why);
    ck_assert_msg(st == VMHI_STATE_RUNNING && why == VMHI_REASON_BOOTED,
                  "a %s request outstanding at power-off acted later: the restarted VM is "
                  "%s/%s", reboot ? "reboot" : "shutdown", vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    if (rec) {
        conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        /* A reboot done between the look above and the power-off left no
         * request to cancel (seen on Xen once its guests booted faster). */
        conf_event first = conf_recorder_count(rec) == 3 ? conf_recorder_get(rec, 0)
                                                         : (conf_event){ 0 };
        CONF_SKIP_CLEAN_IF(reboot && first.type == VMHI_EVENT_LIFECYCLE &&
                           first.state == VMHI_STATE_RUNNING &&
                           first.reason == VMHI_REASON_REBOOTED,
                           (conf_recorder_free(rec), conf_discard(vm), vmhi_conn_close(conn)),
                           "the guest complied before the suite could power the VM off");
        ck_assert_msg(conf_recorder_count(rec) == 2, "expected shutoff/poweroff and "
                      "running/booted only, got: %s", seen);
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Changes what it can of the running VM live; returns what it changed. */
static void change_live(vmhi_conn *conn, vmhi_vm *vm, bool *memory, bool *vcpus, bool *disk)
{
    *memory = conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_LIVE;
    *vcpus = conf_op_caps(conn, VMHI_OP_SET_VCPUS) & VMHI_CAP_LIVE;
    *disk = conf_op_caps(conn, VMHI_OP_ATTACH_DISK) & VMHI_CAP_LIVE;
    if (*memory)
        conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_LIVE));
    if (*vcpus)
        conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE));
    if (*disk) {
        char path[512];
        vmhi_disk *d = NULL;
        conf_disk_path(path, sizeof(path), "restore");
        conf_ok(vmhi_disk_new(&d));
        conf_ok(vmhi_disk_set_id(d, "conf-live"));
        conf_ok(vmhi_disk_set_path(d, path));
        conf_ok(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_LIVE, NULL));
        vmhi_disk_free(d);
    }
}

VMHI_CONF_TEST(restore_keeps_live_configuration, VMHI_PROFILE_LIFECYCLE_FULL, "LC-START-3")
{
    char refused[512];
    CONF_SKIP_IF(conf_suspend_refused(refused, sizeof(refused)), "%s", refused);
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, false);
    bool memory, vcpus, disk;
    change_live(conn, vm, &memory, &vcpus, &disk);
    char *before = conf_vm_xml(vm);
    conf_ok(vmhi_vm_suspend(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SUSPENDED));
    conf_req("LC-START-3");
    conf_ok(vmhi_vm_start(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING)),
                     VMHI_STATE_RUNNING);
    conf_state(vm, &why);
    ck_assert_msg(why == VMHI_REASON_RESTORED, "a restored VM runs with reason %s",
                  vmhi_state_reason_name(why));
    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(before, after) == 0, "the live configuration before suspend\n%s\n"
                  "differs from the restored one\n%s", before, after);
    if (!memory && !vcpus && !disk)
        conf_note("no live change is supported: the restored configuration equals the "
                  "started one");
    vmhi_free(before);
    vmhi_free(after);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

static void describe_active(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", row ? "paused" : "running");
}

/* A backend whose suspend needs the guest (a Xen PV guest saves itself)
 * gives up on a guest that ignores requests: a clear VMHI_E_TIMEOUT, and
 * the VM goes on as it was, in its state, with its configuration, no
 * lifecycle event and no saved image (a later power-off and start boot
 * it afresh). */
VMHI_CONF_TABLE(guest_ignores_suspend, VMHI_PROFILE_LIFECYCLE_FULL, 2, describe_active,
                "LC-SUSPEND-4")
{
    bool paused = conf_row_index == 1;
    CONF_SKIP_IF(!conf->suspend_needs_guest, "suspend needs nothing of the guest here (its "
                 "caps lack VMHI_CAP_GUEST): LC-SUSPEND-1 applies to every VM");
    CONF_SKIP_IF(conf->guest_shuts_down != 0, "guests on this URI %s requests; run the suite on "
                 "a URI whose guests ignore them to test this",
                 conf->guest_shuts_down > 0 ? "comply with" : "cannot be asked about");
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, false);
    if (paused)
        conf_ok(vmhi_vm_pause(vm, 0));
    vmhi_state_reason why0;
    vmhi_vm_state st0 = conf_state(vm, &why0);
    char *before = conf_vm_xml(vm);
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    conf_req("LC-SUSPEND-4");
    int rc = vmhi_vm_suspend(vm, 0);
    ck_assert_msg(rc == VMHI_E_TIMEOUT, "suspend of a %s VM whose guest ignores requests "
                  "returned %d (%s), not VMHI_E_TIMEOUT: %s", vmhi_vm_state_name(st0), rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    ck_assert_msg(vmhi_error_last_message()[0] != '\0', "VMHI_E_TIMEOUT without a message");
    vmhi_state_reason why;
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg(st == st0 && why == why0, "after the failed suspend the VM is %s/%s, "
                  "was %s/%s", vmhi_vm_state_name(st), vmhi_state_reason_name(why),
                  vmhi_vm_state_name(st0), vmhi_state_reason_name(why0));
    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(before, after) == 0, "the failed suspend changed the live "
                  "configuration:\n%s\nbecame\n%s", before, after);
    free(before);
    free(after);
    if (rec) {
        conf_recorder_settle(rec, conf_ms(CONF_WATCH_MS));
        char seen[1024];
        conf_recorder_describe(rec, seen, sizeof(seen));
        ck_assert_msg(conf_recorder_count(rec) == 0, "the failed suspend emitted lifecycle "
                      "events: %s", seen);
        conf_recorder_free(rec);
    }
    /* No saved image was kept: power-off and start boot the VM afresh. */
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    st = conf_state(vm, &why);
    ck_assert_msg(why == VMHI_REASON_BOOTED, "the start after the failed suspend left the VM "
                  "%s/%s, not booted", vmhi_vm_state_name(st), vmhi_state_reason_name(why));
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(paused_vm_uses_no_cpu_time, VMHI_PROFILE_LIFECYCLE_FULL, "LC-PAUSE-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running_vm(conn, false);
    conf_ok(vmhi_vm_pause(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_PAUSED));
    vmhi_vm_info a = VMHI_VM_INFO_INIT, b = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &a));
    conf_sleep_ms(conf_ms(30));
    conf_ok(vmhi_vm_get_info(vm, &b));
    conf_req("LC-PAUSE-3");
    ck_assert_msg(a.cpu_time_ns == b.cpu_time_ns, "cpu_time_ns grew from %llu to %llu while "
                  "paused", (unsigned long long)a.cpu_time_ns,
                  (unsigned long long)b.cpu_time_ns);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* A VM that dies under the backend (made to by --crash-command: a killed
 * hypervisor process, say) is reported crashed and can be started again. */
VMHI_CONF_TEST(crash_is_reported_and_recoverable, VMHI_PROFILE_CORE, "LC-GEN-7", "LC-START-2",
               "EV-2")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!conf->crash_command, vmhi_conn_close(conn),
                       "no VMHI call makes a VM crash; give --crash-command to test this");
    vmhi_vm *vm = running_vm(conn, false);
    conf_recorder *rec = lifecycle_recorder(conn, vm);
    conf_crash(vm);
    conf_req("LC-GEN-7");
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_CRASHED));
    vmhi_state_reason why = 0;
    conf_state(vm, &why);
    ck_assert_msg(why == VMHI_REASON_CRASHED, "a crashed VM has reason %s",
                  vmhi_state_reason_name(why));
    if (rec) {
        conf_req("EV-2");
        conf_recorder_await(rec, 1);
        char seen[512];
        conf_recorder_describe(rec, seen, sizeof(seen));
        ck_assert_msg(conf_recorder_count(rec) == 1, "expected one crashed event: %s", seen);
        conf_event e = conf_recorder_get(rec, 0);
        ck_assert_msg(e.state == VMHI_STATE_CRASHED && e.reason == VMHI_REASON_CRASHED,
                      "expected crashed/crashed: %s", seen);
    }
    conf_req("LC-START-2");
    conf_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_state st = conf_state(vm, &why);
    ck_assert_msg(st == VMHI_STATE_RUNNING && why == VMHI_REASON_BOOTED,
                  "after start from crashed the VM is %s/%s", vmhi_vm_state_name(st),
                  vmhi_state_reason_name(why));
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
