/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Requests to the guest, repeated until it listens.
 *
 * A shutdown, a graceful reboot and a live unplug are requests the guest
 * must act on: QEMU raises an ACPI event (the power button, or the
 * hotplug GPE) and forgets it.  A guest that is still booting has no
 * handler yet (ACPI not enabled, no button driver, acpid not started),
 * and Linux clears stale ACPI status when it enables ACPI: a request
 * made in the first seconds after start is lost, and the VM would stay
 * shutting-down (or its detach pending) for good.  So while a request is
 * outstanding the monitor thread makes it again after 1, 2, 4, 8 and 16 s
 * (KVM_NUDGE_*), then leaves it to the guest: the VM stays shutting-down
 * and the detach pending, as the spec wants of a guest that ignores them.
 * Repeats are harmless to a guest that heard the first one: a second
 * power-button press while it shuts down is ignored, and a device or
 * vCPU already ejected is not asked again.  Nothing is repeated while the
 * VM is paused (the guest cannot act); the schedule resumes with it.
 *
 * vCPU unplugs are repeated by set_vcpus itself while it waits for them
 * (kvm_resources.c), on the same schedule.
 */
#include <stdio.h>

#include "kvm.h"

unsigned int kvm_nudge_delay_ms(unsigned int n)
{
    return KVM_NUDGE_FIRST_MS << (n < 16 ? n : 16);
}

void kvm_nudge_arm(kvm_host *h, kvm_run *run)
{
    run->nudges = 0;
    run->nudge_at = kvm_now_ns() + (uint64_t)kvm_nudge_delay_ms(0) * 1000000u;
    kvm_monitor_wake(h);
}

uint64_t kvm_nudge_next(const kvm_host *h)
{
    uint64_t next = 0;
    for (size_t i = 0; i < h->nvms; i++) {
        const kvm_run *run = h->vms[i]->run;
        if (run && !run->exited && run->nudge_at && (!next || run->nudge_at < next))
            next = run->nudge_at;
    }
    return next;
}

/* Sends the requests @vm's guest has not acted on yet; false if none. */
static bool repeat_requests(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    bool any = false;
    bool power = (vm->state == VMHI_STATE_SHUTTING_DOWN && !run->shutdown_seen) ||
                 run->reboot == KVM_REBOOT_REQUESTED;
    if (power && kvm_qmp_send_async(h, run, "system_powerdown", NULL) == VMHI_OK)
        any = true;
    for (const kvm_dev *d = run->devs; d; d = d->next) {
        if (!d->pending)
            continue;
        char qid[VMHI_DEVICE_ID_MAX + 16];
        kvm_dev_qemu_id(d, qid, sizeof(qid));
        json_object *args = json_object_new_object();
        json_object_object_add(args, "id", json_object_new_string(qid));
        if (kvm_qmp_send_async(h, run, "device_del", args) == VMHI_OK)
            any = true;
    }
    return any;
}

void kvm_nudge_due(kvm_host *h)
{
    uint64_t now = kvm_now_ns();
    for (size_t i = 0; i < h->nvms; i++) {
        kvm_vm *vm = h->vms[i];
        kvm_run *run = vm->run;
        if (!run || run->exited || !run->nudge_at || now < run->nudge_at)
            continue;
        if (run->quit_sent || run->qmp_closed) {
            run->nudge_at = 0;
            continue;
        }
        if (vm->state == VMHI_STATE_PAUSED) {
            /* The guest cannot act; try again once it may. */
            run->nudge_at = now + (uint64_t)kvm_nudge_delay_ms(run->nudges) * 1000000u;
            continue;
        }
        bool more = repeat_requests(h, vm) && ++run->nudges < KVM_NUDGE_COUNT;
        run->nudge_at = more ? now + (uint64_t)kvm_nudge_delay_ms(run->nudges) * 1000000u : 0;
    }
}
