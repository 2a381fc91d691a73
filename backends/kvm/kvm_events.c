/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * QMP events -> VM states and VMHI events (monitor thread, host locked).
 *
 *   STOP            running/shutting-down -> paused (user when we asked, else host)
 *   RESUME          paused -> running (user when we asked, else host)
 *   SHUTDOWN        remembered with its guest flag and reason; the state
 *                   changes when the process exits (kvm_monitor.c): guest ->
 *                   shutoff (shutdown-guest), host-signal -> shutoff (host),
 *                   guest-panic -> crashed.  During a graceful reboot QEMU
 *                   pauses instead of exiting, and we reset and resume it.
 *   RESET           lifecycle event running (rebooted when the guest did it,
 *                   reset when a client did); the guest reset SeaBIOS makes
 *                   right after every reset is not a second one
 *   DEVICE_DELETED  completes a pending detach (kvm_devices.c) or a vCPU unplug
 *   BALLOON_CHANGE  memory event with the guest's current size in MiB
 *   MIGRATION       progress of a suspend or restore (kvm_suspend.c)
 *   POWERDOWN       the ACPI request reached the guest: nothing to do
 */
#include <stdio.h>
#include <string.h>

#include "kvm.h"

/* Opens (or keeps open) the window in which a guest reset is an echo. */
static void open_reset_echo(kvm_run *run)
{
    uint64_t now = kvm_now_ns();
    run->reset_echo_until = now + (uint64_t)KVM_RESET_ECHO_MS * 1000000u;
    run->reset_echo_opened = now;
    run->reset_echo_cpu = kvm_run_cpu_ns(run);
    run->reset_echo_armed = false;
}

static void close_reset_echo(kvm_run *run)
{
    run->reset_echo_until = 0;
    run->reset_echo_armed = false;
}

static bool reset_echo_open(kvm_run *run)
{
    if (!run->reset_echo_until)
        return false;
    uint64_t now = kvm_now_ns();
    if (now <= run->reset_echo_until)
        return true;
    if (now - run->reset_echo_opened > (uint64_t)KVM_RESET_ECHO_MAX_MS * 1000000u)
        return false;
    uint64_t used = kvm_run_cpu_ns(run) - run->reset_echo_cpu;
    return used < (uint64_t)KVM_RESET_ECHO_CPU_MS * 1000000u;
}

static void on_stop(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    if (reset_echo_open(run)) {
        close_reset_echo(run);
        run->reset_echo_armed = true; /* stopped: the window reopens when it runs */
    }
    if (run->reboot == KVM_REBOOT_HELD || run->shutdown_seen || run->suspending)
        return; /* QEMU pauses on a shutdown it was told to hold, or to save */
    if (vm->state != VMHI_STATE_RUNNING && vm->state != VMHI_STATE_SHUTTING_DOWN)
        return;
    vmhi_state_reason why = run->pause_requested ? VMHI_REASON_USER : VMHI_REASON_HOST;
    run->pause_requested = false;
    kvm_vm_transition(h, vm, VMHI_STATE_PAUSED, why);
}

static void on_resume(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    if (run->reset_echo_armed)
        open_reset_echo(run);
    if (run->reboot == KVM_REBOOT_HELD) {
        run->reboot = KVM_REBOOT_NONE;
        kvm_vm_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_REBOOTED);
        return;
    }
    if (vm->state != VMHI_STATE_PAUSED)
        return;
    vmhi_state_reason why = run->resume_requested ? VMHI_REASON_USER : VMHI_REASON_HOST;
    run->resume_requested = false;
    kvm_vm_transition(h, vm, VMHI_STATE_RUNNING, why);
}

static void on_shutdown(kvm_host *h, kvm_vm *vm, json_object *data)
{
    kvm_run *run = vm->run;
    bool guest = false;
    const char *reason = kvm_json_str(data, "reason");
    kvm_json_bool(data, "guest", &guest);
    if (run->reboot == KVM_REBOOT_REQUESTED && guest) {
        /* The guest powered off for a reboot and QEMU held it paused:
         * start it again, and let later power-offs end the process. */
        run->reboot = KVM_REBOOT_HELD;
        run->nudge_at = 0;
        json_object *act = json_object_new_object();
        json_object_object_add(act, "shutdown", json_object_new_string("poweroff"));
        kvm_qmp_send_async(h, run, "system_reset", NULL);
        kvm_qmp_send_async(h, run, "cont", NULL);
        kvm_qmp_send_async(h, run, "set-action", act);
        return;
    }
    run->shutdown_seen = true;
    run->shutdown_by_guest = guest;
    snprintf(run->shutdown_reason, sizeof(run->shutdown_reason), "%s",
             reason ? reason : "unknown");
}

/* Whether a guest reset is the firmware's echo of the reset before it.
 * SeaBIOS may reset several times in a row: each echo keeps the window
 * open, while an operating system takes seconds to boot and reboot. */
static bool reset_echo(kvm_run *run, bool guest)
{
    if (guest && reset_echo_open(run)) {
        open_reset_echo(run);
        return true;
    }
    close_reset_echo(run);
    return false;
}

static void arm_reset_echo(const kvm_vm *vm, kvm_run *run)
{
    bool stopped = run->reboot == KVM_REBOOT_HELD || vm->state == VMHI_STATE_PAUSED;
    if (stopped)
        run->reset_echo_armed = true;
    else
        open_reset_echo(run);
}

static void on_reset(kvm_host *h, kvm_vm *vm, json_object *data)
{
    kvm_run *run = vm->run;
    bool guest = false;
    kvm_json_bool(data, "guest", &guest);
    if (reset_echo(run, guest))
        return;
    arm_reset_echo(vm, run);
    run->resets++;
    pthread_cond_broadcast(&h->changed);
    if (run->reboot == KVM_REBOOT_HELD || !kvm_state_is_active(vm->state))
        return;
    run->reset_requested = false;
    kvm_vm_transition(h, vm, vm->state, guest ? VMHI_REASON_REBOOTED : VMHI_REASON_RESET);
}

static void on_device_deleted(kvm_host *h, kvm_vm *vm, json_object *data)
{
    const char *dev = kvm_json_str(data, "device");
    const char *path = kvm_json_str(data, "path");
    if (dev && (strncmp(dev, "vmhi-", 5) == 0 || strncmp(dev, "vmhi.", 5) == 0)) {
        kvm_devices_deleted(h, vm, dev);
        return;
    }
    if (path && !strstr(path, "/virtio-backend")) {
        vm->run->vcpu_deleted++; /* set_vcpus() re-reads the vCPUs */
        pthread_cond_broadcast(&h->changed);
    }
}

static void on_migration(kvm_host *h, kvm_run *run, json_object *data)
{
    const char *st = kvm_json_str(data, "status");
    if (!st)
        return;
    if (strcmp(st, "completed") == 0)
        run->migration = KVM_MIGRATION_COMPLETED;
    else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)
        run->migration = KVM_MIGRATION_FAILED;
    else
        run->migration = KVM_MIGRATION_ACTIVE;
    pthread_cond_broadcast(&h->changed);
}

static void on_balloon(kvm_host *h, kvm_vm *vm, json_object *data)
{
    int64_t actual;
    if (kvm_json_int(data, "actual", &actual) && actual >= 0)
        kvm_emit(h, vm, VMHI_EVENT_MEMORY, NULL, (uint64_t)actual >> 20);
}

void kvm_events_handle(kvm_host *h, kvm_vm *vm, const qmp_msg *msg)
{
    const char *ev = msg->event;
    if (!vm->run)
        return;
    if (strcmp(ev, "STOP") == 0)
        on_stop(h, vm);
    else if (strcmp(ev, "RESUME") == 0)
        on_resume(h, vm);
    else if (strcmp(ev, "SHUTDOWN") == 0)
        on_shutdown(h, vm, msg->value);
    else if (strcmp(ev, "RESET") == 0)
        on_reset(h, vm, msg->value);
    else if (strcmp(ev, "DEVICE_DELETED") == 0)
        on_device_deleted(h, vm, msg->value);
    else if (strcmp(ev, "MIGRATION") == 0)
        on_migration(h, vm->run, msg->value);
    else if (strcmp(ev, "BALLOON_CHANGE") == 0)
        on_balloon(h, vm, msg->value);
    else if (strcmp(ev, "GUEST_PANICKED") == 0)
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: the guest of VM '%s' panicked", vm->name);
}
