/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The simulated guest.  A cooperative guest acts on ACPI shutdown and
 * reboot requests and on device unplug a little later (TB_GUEST_DELAY_NS),
 * like a real one, so that shutting-down and detach-pending can be seen.
 * Those actions are tasks in a per-host queue ordered by due time, run by
 * one worker thread that sleeps on a condition variable until the next is
 * due (no polling).  The worker starts with the first task and is joined
 * when the host's last connection closes.
 *
 * A task is bound to the VM's epoch when it was queued: if the VM changed
 * state since (powered off during a shutdown, say), the task is dropped.
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "tb.h"

static bool device_pending(const tb_vm *vm, vmhi_device_type type, const char *id)
{
    for (const tb_pending *p = vm->pending; p; p = p->next)
        if (p->type == type && strcmp(p->id, id) == 0)
            return true;
    return false;
}

static void insert_task(tb_host *h, tb_task *t)
{
    tb_task **p = &h->tasks;
    while (*p && (*p)->due_ns <= t->due_ns)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    pthread_cond_signal(&h->work);
}

/* Runs a due task; returns true when it was queued again (@t stays alive). */
static bool run_task(tb_host *h, tb_task *t)
{
    tb_vm *vm = tb_host_find_uuid(h, t->uuid);
    if (!vm)
        return false;
    switch (t->kind) {
    case TB_TASK_SHUTDOWN:
        if (vm->epoch == t->epoch && vm->state == VMHI_STATE_SHUTTING_DOWN)
            tb_guest_finish_shutdown(h, vm);
        break;
    case TB_TASK_REBOOT:
        if (vm->epoch == t->epoch && vm->state == VMHI_STATE_RUNNING)
            tb_guest_finish_reboot(h, vm);
        break;
    case TB_TASK_RELEASE:
        if (!device_pending(vm, t->dev_type, t->dev_id))
            break;
        if (vm->state == VMHI_STATE_PAUSED) {
            /* A paused guest cannot act; it releases the device once resumed. */
            t->due_ns = tb_now_ns() + TB_GUEST_DELAY_NS;
            insert_task(h, t);
            return true;
        }
        tb_guest_finish_release(h, vm, t->dev_type, t->dev_id);
        break;
    }
    return false;
}

static void wait_until(tb_host *h, uint64_t due_ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(due_ns / 1000000000u),
        .tv_nsec = (long)(due_ns % 1000000000u),
    };
    pthread_cond_timedwait(&h->work, &h->lock, &ts);
}

static void *worker_main(void *arg)
{
    tb_host *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->worker_stop) {
        if (!h->tasks) {
            pthread_cond_wait(&h->work, &h->lock);
            continue;
        }
        if (h->tasks->due_ns > tb_now_ns()) {
            wait_until(h, h->tasks->due_ns);
            continue;
        }
        tb_task *t = h->tasks;
        h->tasks = t->next;
        if (!run_task(h, t))
            tb_free(t);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* Starts the worker with every signal blocked: the application's signal
 * handlers must not run on a library thread. */
static int start_worker(tb_host *h)
{
    if (h->worker_started)
        return VMHI_OK;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&h->worker, NULL, worker_main, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        return tb_error(VMHI_E_INTERNAL, "test backend: cannot start the guest thread: %s",
                        strerror(err));
    h->worker_started = true;
    return VMHI_OK;
}

int tb_guest_task_new(tb_host *h, tb_task_kind kind, const tb_vm *vm,
                      vmhi_device_type dev_type, const char *dev_id, tb_task **out)
{
    int rc = start_worker(h);
    if (rc < 0)
        return rc;
    tb_task *t = tb_alloc(sizeof(*t));
    if (!t)
        return VMHI_E_NOMEM;
    t->kind = kind;
    memcpy(t->uuid, vm->uuid, sizeof(t->uuid));
    t->dev_type = dev_type;
    if (dev_id)
        memcpy(t->dev_id, dev_id, strlen(dev_id) + 1);
    *out = t;
    return VMHI_OK;
}

void tb_guest_enqueue(tb_host *h, tb_task *t, const tb_vm *vm)
{
    t->epoch = vm->epoch;
    t->due_ns = tb_now_ns() + TB_GUEST_DELAY_NS;
    insert_task(h, t);
}

void tb_guest_stop(tb_host *h)
{
    pthread_mutex_lock(&h->lock);
    h->worker_stop = true;
    bool started = h->worker_started;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->lock);
    if (started)
        pthread_join(h->worker, NULL);
}

void tb_guest_finish_shutdown(tb_host *h, tb_vm *vm)
{
    tb_vm_transition(h, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
}

void tb_guest_finish_reboot(tb_host *h, tb_vm *vm)
{
    tb_vm_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_REBOOTED);
}

void tb_guest_finish_release(tb_host *h, tb_vm *vm, vmhi_device_type type, const char *dev_id)
{
    char id[VMHI_DEVICE_ID_MAX + 1]; /* @dev_id may live in the entry freed below */
    memcpy(id, dev_id, strlen(dev_id) + 1);
    for (tb_pending **p = &vm->pending; *p; p = &(*p)->next) {
        if ((*p)->type == type && strcmp((*p)->id, id) == 0) {
            tb_pending *done = *p;
            *p = done->next;
            tb_free(done);
            break;
        }
    }
    if (type == VMHI_DEVICE_DISK)
        vmhi_vm_config_remove_disk(vm->live, id);
    else
        vmhi_vm_config_remove_nic(vm->live, id);
    tb_store_save_state(h, vm);
    tb_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, id, 0);
}
