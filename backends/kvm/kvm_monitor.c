/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The monitor thread and QMP calls.
 *
 * One thread per host poll()s every QMP socket and every QEMU pidfd, plus
 * an eventfd that says "the set of VMs changed".  It is the only reader of
 * the sockets: replies are handed to the slot waiting for them (matched by
 * id), events become state changes (kvm_events.c), and a readable pidfd
 * means the process exited, which retires the VM's runtime.  Nothing here
 * sleeps: every wait is a poll() or a condition variable with a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

/* ------------------------------------------------------------- runtimes */

kvm_run *kvm_run_new(void)
{
    kvm_run *run = kvm_alloc(sizeof(*run));
    if (!run)
        return NULL;
    run->refs = 1;
    run->qmp_fd = -1;
    run->proc.pidfd = -1;
    pthread_mutex_init(&run->write_lock, NULL);
    return run;
}

void kvm_run_ref(kvm_run *run)
{
    run->refs++;
}

void kvm_run_unref(kvm_run *run)
{
    if (!run || --run->refs > 0)
        return;
    if (run->qmp_fd >= 0)
        close(run->qmp_fd);
    kvm_proc_close(&run->proc);
    qmp_io_reader_free(&run->reader);
    kvm_devs_free(run->devs);
    kvm_free(run->vcpu_tids);
    pthread_mutex_destroy(&run->write_lock);
    kvm_free(run);
}

void kvm_run_set_vcpus(kvm_run *run, json_object *cpus)
{
    size_t n = json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    pid_t *tids = n ? kvm_alloc(n * sizeof(*tids)) : NULL;
    size_t got = 0;
    for (size_t i = 0; tids && i < n; i++) {
        pid_t tid;
        if (qmp_codec_thread_id(json_object_array_get_idx(cpus, i), &tid))
            tids[got++] = tid;
    }
    if (n && !tids)
        return; /* out of memory: keep the old set */
    kvm_free(run->vcpu_tids);
    run->vcpu_tids = tids;
    run->nvcpu_tids = got;
}

uint64_t kvm_run_cpu_ns(kvm_run *run)
{
    uint64_t sum = 0;
    if (!run->nvcpu_tids)
        sum = kvm_proc_cpu_ns(run->proc.pid, 0); /* threads unknown: the process */
    for (size_t i = 0; i < run->nvcpu_tids; i++)
        sum += kvm_proc_cpu_ns(run->proc.pid, run->vcpu_tids[i]);
    if (sum > run->cpu_time_last)
        run->cpu_time_last = sum;
    return run->cpu_time_last;
}

static void req_unlink(kvm_run *run, kvm_req *req)
{
    for (kvm_req **p = &run->reqs; *p; p = &(*p)->next) {
        if (*p == req) {
            *p = req->next;
            return;
        }
    }
}

/* Ends every waiting call: the QMP stream is gone. */
static void fail_requests(kvm_host *h, kvm_run *run)
{
    while (run->reqs) {
        kvm_req *req = run->reqs;
        run->reqs = req->next;
        if (req->discard) {
            kvm_free(req);
            continue;
        }
        req->done = true;
        req->rc = VMHI_E_CONNECTION;
        snprintf(req->err_desc, sizeof(req->err_desc), "QEMU closed its QMP connection");
    }
    pthread_cond_broadcast(&h->changed);
}

/* --------------------------------------------------------------- retire */

static void outcome(const kvm_run *run, vmhi_vm_state *st, vmhi_state_reason *why)
{
    *st = VMHI_STATE_SHUTOFF;
    if (run->suspended) {
        *st = VMHI_STATE_SUSPENDED; /* its state is in the file */
        *why = VMHI_REASON_SUSPENDED;
    } else if (run->quit_sent) {
        *why = VMHI_REASON_POWEROFF;
    } else if (!run->shutdown_seen) {
        *st = VMHI_STATE_CRASHED; /* killed, or died, without saying why */
        *why = VMHI_REASON_CRASHED;
    } else if (run->shutdown_by_guest) {
        *why = VMHI_REASON_SHUTDOWN_GUEST;
    } else if (strcmp(run->shutdown_reason, "guest-panic") == 0) {
        *st = VMHI_STATE_CRASHED;
        *why = VMHI_REASON_CRASHED;
    } else if (strcmp(run->shutdown_reason, "host-qmp-quit") == 0) {
        *why = VMHI_REASON_POWEROFF;
    } else {
        *why = VMHI_REASON_HOST; /* e.g. host-signal: someone sent QEMU SIGTERM */
    }
}

static void unlink_socket(kvm_host *h, const char *uuid)
{
    char *sock = kvm_store_run_path(h, uuid, ".qmp");
    if (sock)
        unlink(sock);
    kvm_free(sock);
}

/* A QEMU died while restoring its state: the VM stays suspended (its
 * state file is kept); the restoring call reports the failure. */
static void retire_restoring(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    run->exited = true;
    fail_requests(h, run);
    vm->run = NULL;
    kvm_run_unref(run);
    unlink_socket(h, vm->uuid);
    kvm_store_log(h, VMHI_LOG_WARN, "kvm: QEMU of VM '%s' exited while restoring its state",
                  vm->name);
    pthread_cond_broadcast(&h->changed);
}

void kvm_run_retire(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    if (run->restoring) {
        retire_restoring(h, vm);
        return;
    }
    vmhi_vm_state st;
    vmhi_state_reason why;
    outcome(run, &st, &why);
    run->exited = true;
    fail_requests(h, run);
    /* Devices waiting for their guest are gone with the VM (the hidden
     * ones were reported when their VM was suspended). */
    for (kvm_dev *d = run->devs; d; d = d->next)
        if (d->pending && !d->hidden)
            kvm_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, d->id, 0);
    if (st == VMHI_STATE_SUSPENDED)
        kvm_suspend_retired(h, vm);
    vm->run = NULL;
    kvm_run_unref(run);
    unlink_socket(h, vm->uuid);
    kvm_store_log(h, why == VMHI_REASON_CRASHED ? VMHI_LOG_WARN : VMHI_LOG_INFO,
                  "kvm: QEMU of VM '%s' exited (%s)", vm->name, vmhi_state_reason_name(why));
    kvm_vm_transition(h, vm, st, why); /* may free a transient vm */
}

/* ------------------------------------------------------------- dispatch */

static void deliver_reply(kvm_host *h, kvm_run *run, const qmp_msg *msg)
{
    kvm_req *req = run->reqs;
    while (req && req->id != msg->id)
        req = req->next;
    if (!req)
        return; /* a reply nobody waits for any more (timed out) */
    req_unlink(run, req);
    if (req->discard) {
        if (msg->kind == QMP_MSG_ERROR)
            kvm_store_log(h, VMHI_LOG_WARN, "kvm: QEMU refused an internal command: %s",
                          msg->err_desc);
        kvm_free(req);
        return;
    }
    req->done = true;
    if (msg->kind == QMP_MSG_ERROR) {
        req->rc = qmp_codec_error_code(msg->err_class);
        snprintf(req->err_class, sizeof(req->err_class), "%s", msg->err_class);
        snprintf(req->err_desc, sizeof(req->err_desc), "%s", msg->err_desc);
    } else {
        req->rc = VMHI_OK;
        req->reply = json_object_get(msg->value);
    }
    pthread_cond_broadcast(&h->changed);
}

static kvm_vm *vm_of_run(kvm_host *h, const kvm_run *run)
{
    for (size_t i = 0; i < h->nvms; i++)
        if (h->vms[i]->run == run)
            return h->vms[i];
    return NULL;
}

/* Handles every complete line @run has buffered.  Locked. */
static void dispatch_lines(kvm_host *h, kvm_run *run)
{
    char *line;
    size_t len;
    while (!run->exited && qmp_io_next_line(&run->reader, &line, &len) == 1) {
        qmp_msg msg;
        qmp_codec_parse(line, len, &msg);
        kvm_free(line);
        kvm_vm *vm = vm_of_run(h, run);
        if ((msg.kind == QMP_MSG_RETURN || msg.kind == QMP_MSG_ERROR) && msg.has_id)
            deliver_reply(h, run, &msg);
        else if (msg.kind == QMP_MSG_EVENT && vm)
            kvm_events_handle(h, vm, &msg);
        else if (msg.kind == QMP_MSG_INVALID)
            kvm_store_log(h, VMHI_LOG_WARN, "kvm: ignoring a malformed QMP message of %zu "
                          "bytes from VM '%s'", len, vm ? vm->name : "?");
        qmp_msg_clear(&msg);
    }
}

/* Reads and handles what the socket has; marks the stream closed at its end. */
static void read_qmp(kvm_host *h, kvm_run *run)
{
    if (run->qmp_closed)
        return;
    int rc;
    while ((rc = qmp_io_fill(&run->reader, run->qmp_fd)) == 1)
        dispatch_lines(h, run);
    if (rc < 0 && !run->exited) {
        run->qmp_closed = true;
        fail_requests(h, run);
    }
}

/* Reacts to what poll() reported for one runtime.  Locked. */
static void service_run(kvm_host *h, kvm_run *run, short qmp_ev, short pid_ev)
{
    if (run->exited)
        return;
    if (qmp_ev)
        read_qmp(h, run);
    bool gone = pid_ev != 0 || (run->qmp_closed && run->proc.pidfd < 0 &&
                                !kvm_proc_alive(&run->proc));
    if (!gone || run->exited)
        return;
    read_qmp(h, run); /* the SHUTDOWN event may still be in the socket */
    kvm_vm *vm = vm_of_run(h, run);
    if (vm)
        kvm_run_retire(h, vm);
}

typedef struct watch {
    kvm_run **runs;
    struct pollfd *fds; /* [0] wake, then qmp + pid per run */
    size_t n, cap;
} watch;

static bool watch_build(kvm_host *h, watch *w)
{
    size_t need = h->nvms;
    if (need > w->cap) {
        kvm_free(w->runs);
        kvm_free(w->fds);
        w->runs = kvm_alloc(need * sizeof(*w->runs));
        w->fds = kvm_alloc((1 + 2 * need) * sizeof(*w->fds));
        w->cap = w->runs && w->fds ? need : 0;
        if (!w->cap)
            return false;
    }
    if (!w->fds && !(w->fds = kvm_alloc(sizeof(*w->fds))))
        return false;
    w->fds[0] = (struct pollfd){ .fd = h->wake_fd, .events = POLLIN };
    w->n = 0;
    for (size_t i = 0; i < h->nvms; i++) {
        kvm_run *run = h->vms[i]->run;
        if (!run || run->exited)
            continue;
        kvm_run_ref(run);
        w->runs[w->n] = run;
        w->fds[1 + 2 * w->n] = (struct pollfd){ .fd = run->qmp_closed ? -1 : run->qmp_fd,
                                                .events = POLLIN };
        w->fds[2 + 2 * w->n] = (struct pollfd){ .fd = run->proc.pidfd, .events = POLLIN };
        w->n++;
    }
    return true;
}

/* poll() timeout: until the next repeat of a guest request, or forever. */
static int poll_timeout(const kvm_host *h)
{
    uint64_t next = kvm_nudge_next(h), now = kvm_now_ns();
    if (!next)
        return -1;
    return next <= now ? 0 : (int)((next - now + 999999u) / 1000000u);
}

static void *monitor_main(void *arg)
{
    kvm_host *h = arg;
    watch w = { 0 };
    pthread_mutex_lock(&h->lock);
    while (!h->monitor_stop) {
        if (!watch_build(h, &w)) {
            /* Out of memory: try again when the next change wakes us. */
            pthread_cond_wait(&h->changed, &h->lock);
            continue;
        }
        for (size_t i = 0; i < w.n; i++)
            if (w.runs[i]->reader.len && !w.runs[i]->exited)
                dispatch_lines(h, w.runs[i]); /* read during a handshake */
        int timeout = poll_timeout(h);
        pthread_mutex_unlock(&h->lock);
        int rc = poll(w.fds, 1 + 2 * w.n, timeout);
        pthread_mutex_lock(&h->lock);
        uint64_t drained;
        if (w.fds[0].revents && read(h->wake_fd, &drained, sizeof(drained)) < 0)
            drained = 0;
        for (size_t i = 0; i < w.n; i++) {
            if (rc > 0 && !h->monitor_stop)
                service_run(h, w.runs[i], w.fds[1 + 2 * i].revents,
                            w.fds[2 + 2 * i].revents);
            kvm_run_unref(w.runs[i]);
        }
        if (!h->monitor_stop)
            kvm_nudge_due(h);
    }
    pthread_mutex_unlock(&h->lock);
    kvm_free(w.runs);
    kvm_free(w.fds);
    return NULL;
}

void kvm_monitor_wake(kvm_host *h)
{
    uint64_t one = 1;
    if (write(h->wake_fd, &one, sizeof(one)) < 0) {
        /* The counter is saturated: the monitor is due to wake anyway. */
    }
}

int kvm_monitor_add(kvm_host *h, kvm_vm *vm, kvm_run *run)
{
    vm->run = run;
    if (!h->monitor_started) {
        h->monitor_stop = false;
        /* The thread inherits the mask: the application's signal handlers
         * must never run on it (THR-7); faults stay deliverable. */
        sigset_t blocked, saved;
        sigfillset(&blocked);
        static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
            sigdelset(&blocked, faults[i]);
        pthread_sigmask(SIG_SETMASK, &blocked, &saved);
        int err = pthread_create(&h->monitor, NULL, monitor_main, h);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (err != 0) {
            vm->run = NULL;
            return kvm_error(VMHI_E_INTERNAL, "kvm: cannot start the monitor thread");
        }
        h->monitor_started = true;
        return VMHI_OK;
    }
    kvm_monitor_wake(h);
    return VMHI_OK;
}

void kvm_monitor_stop(kvm_host *h)
{
    pthread_mutex_lock(&h->lock);
    bool started = h->monitor_started;
    h->monitor_stop = true;
    if (started)
        kvm_monitor_wake(h);
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    if (started)
        pthread_join(h->monitor, NULL);
    h->monitor_started = false;
}

/* ---------------------------------------------------------------- calls */

bool kvm_wait_until(kvm_host *h, uint64_t deadline_ns)
{
    if (kvm_now_ns() >= deadline_ns)
        return false;
    struct timespec ts = { .tv_sec = (time_t)(deadline_ns / 1000000000u),
                           .tv_nsec = (long)(deadline_ns % 1000000000u) };
    return pthread_cond_timedwait(&h->changed, &h->lock, &ts) != ETIMEDOUT ||
           kvm_now_ns() < deadline_ns;
}

static int usable(const kvm_vm *vm, const char *cmd)
{
    const kvm_run *run = vm->run;
    if (!run || run->exited || (run->quit_sent && strcmp(cmd, "quit") != 0))
        return kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is %s; %s needs it running",
                         vm->name, run ? "being powered off" : vmhi_vm_state_name(vm->state),
                         cmd);
    if (run->qmp_closed)
        return kvm_error(VMHI_E_CONNECTION, "kvm: cannot send %s: the QEMU of VM '%s' is "
                         "not running or closed its QMP connection", cmd, vm->name);
    return VMHI_OK;
}

/* Writes one command with the lock released (QEMU may be slow to read). */
static int write_unlocked(kvm_host *h, kvm_run *run, const char *text, size_t len, int passfd)
{
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_lock(&run->write_lock);
    int rc = passfd >= 0 ? qmp_io_write_fd(run->qmp_fd, text, len, passfd, kvm_call_timeout_ms())
                         : qmp_io_write_all(run->qmp_fd, text, len, kvm_call_timeout_ms());
    pthread_mutex_unlock(&run->write_lock);
    pthread_mutex_lock(&h->lock);
    return rc;
}

static int call_result(kvm_req *req, const char *cmd, const char *name, bool stopping,
                       json_object **reply)
{
    if (req->rc == VMHI_OK) {
        if (reply)
            *reply = req->reply;
        else
            json_object_put(req->reply);
        return VMHI_OK;
    }
    if (req->rc == VMHI_E_CONNECTION && stopping)
        return kvm_error(VMHI_E_INVALID_STATE, "VM '%s' stopped before QEMU answered %s",
                         name, cmd);
    if (req->rc == VMHI_E_CONNECTION)
        return kvm_error(VMHI_E_CONNECTION, "kvm: %s failed: the QEMU of VM '%s' went away",
                         cmd, name);
    return kvm_error_native(req->rc, req->err_class, "kvm: QEMU refused %s for VM '%s': %s",
                            cmd, name, req->err_desc);
}

int kvm_qmp_call(kvm_host *h, kvm_vm *vm, const char *cmd, json_object *args,
                 json_object **reply)
{
    return kvm_qmp_call_fd(h, vm, cmd, args, -1, reply);
}

int kvm_qmp_call_fd(kvm_host *h, kvm_vm *vm, const char *cmd, json_object *args, int fd,
                    json_object **reply)
{
    if (reply)
        *reply = NULL;
    int rc = usable(vm, cmd);
    if (rc < 0) {
        json_object_put(args);
        return rc;
    }
    char name[VMHI_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", vm->name);
    kvm_run *run = vm->run;
    kvm_req req;
    memset(&req, 0, sizeof(req));
    req.id = ++run->next_id;
    size_t len = 0;
    char *text = qmp_codec_command(cmd, args, req.id, &len);
    if (!text)
        return kvm_error(VMHI_E_NOMEM, "kvm: out of memory");
    req.next = run->reqs;
    run->reqs = &req;
    kvm_run_ref(run);
    rc = write_unlocked(h, run, text, len, fd);
    kvm_free(text);
    uint64_t deadline = kvm_now_ns() + (uint64_t)kvm_call_timeout_ms() * 1000000u;
    while (rc == VMHI_OK && !req.done) {
        if (!kvm_wait_until(h, deadline) && !req.done)
            rc = kvm_error(VMHI_E_TIMEOUT, "kvm: QEMU did not answer %s for VM '%s' within "
                           "%u ms", cmd, name, kvm_call_timeout_ms());
    }
    if (!req.done)
        req_unlink(run, &req);
    bool stopping = run->exited || run->quit_sent;
    kvm_run_unref(run);
    return rc < 0 ? rc : call_result(&req, cmd, name, stopping, reply);
}

int kvm_qmp_send_async(kvm_host *h, kvm_run *run, const char *cmd, json_object *args)
{
    if (run->exited || run->qmp_closed) {
        json_object_put(args);
        return VMHI_E_CONNECTION;
    }
    kvm_req *req = kvm_alloc(sizeof(*req));
    if (!req) {
        json_object_put(args);
        return VMHI_E_NOMEM;
    }
    req->id = ++run->next_id;
    req->discard = true;
    size_t len = 0;
    char *text = qmp_codec_command(cmd, args, req->id, &len);
    if (!text) {
        kvm_free(req);
        return VMHI_E_NOMEM;
    }
    req->next = run->reqs;
    run->reqs = req;
    /* Keep the host lock: the monitor thread calls this and must not let
     * the run change under it; QMP writes are small and QEMU reads them. */
    pthread_mutex_lock(&run->write_lock);
    int rc = qmp_io_write_all(run->qmp_fd, text, len, 1000);
    pthread_mutex_unlock(&run->write_lock);
    kvm_free(text);
    if (rc < 0) {
        req_unlink(run, req);
        kvm_free(req);
    }
    return rc;
}
