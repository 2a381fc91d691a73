/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The event thread of a host, and libxl's child processes.
 *
 * Event loop: libxl is driven through its application-poll interface
 * (libxl_osevent_beforepoll / afterpoll): the thread polls libxl's fds
 * (the xenstore watch fd among them) with libxl's timeout, plus a
 * self-pipe, then takes the events libxl queued (libxl_event_check).
 * Each running domain has a domain-death event generator; its events are
 * how the backend learns that a guest powered off (the domain is then
 * destroyed: xl's job, which libxl leaves to its application), rebooted
 * (a new domain is built), crashed, or was destroyed by someone else.
 *
 * Children: libxl runs hotplug scripts and libxl-save-helper as child
 * processes.  Its default would install a SIGCHLD handler and reap every
 * child of the process, which a library must not do to its application.
 * So the mode is libxl_sigchld_owner_mainloop with a fork_replacement that
 * records each pid: a reaper thread reaps exactly those with waitpid(pid) and
 * hands the status to libxl_childproc_reaped.  When the application has
 * reaped one first (waitpid(-1)), waitpid reports ECHILD: the status is
 * lost, the child is reported as exited 0 and a warning logged; libxl
 * still checks the device's xenstore state, which a failed hotplug script
 * does not set.  All signals are blocked in the thread (THR-7).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xen.h"

#define IDLE_POLL_MS 1000
#define CHILD_POLL_MS 20

/* -------------------------------------------------------------- children */

static pid_t fork_replacement(void *user)
{
    xen_host *h = user;
    pid_t pid = fork();
    if (pid <= 0)
        return pid; /* the child, or fork failed (errno set) */
    pthread_mutex_lock(&h->kids_lock);
    if (h->nkids == h->kids_cap) {
        size_t cap = h->kids_cap ? h->kids_cap * 2 : 16;
        pid_t *grown = realloc(h->kids, cap * sizeof(*grown));
        if (grown) {
            h->kids = grown;
            h->kids_cap = cap;
        }
    }
    if (h->nkids < h->kids_cap)
        h->kids[h->nkids++] = pid;
    pthread_mutex_unlock(&h->kids_lock);
    char byte = 'c';
    ssize_t ignored = write(h->reap_wake[1], &byte, 1); /* the reaper polls while it runs */
    (void)ignored;
    return pid;
}

void xen_children_setup(xen_host *h)
{
    h->child_hooks.chldowner = libxl_sigchld_owner_mainloop;
    h->child_hooks.fork_replacement = fork_replacement;
    h->child_hooks.reaped_callback = NULL;
    libxl_childproc_setmode(h->ctx, &h->child_hooks, h);
}

/* Reaps the recorded children that ended; returns how many are left. */
static size_t reap_children(xen_host *h)
{
    pthread_mutex_lock(&h->kids_lock);
    size_t i = 0;
    while (i < h->nkids) {
        int status = 0;
        pid_t pid = h->kids[i];
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) {
            i++;
            continue;
        }
        h->kids[i] = h->kids[--h->nkids];
        pthread_mutex_unlock(&h->kids_lock);
        if (r < 0) {
            xen_log(h, VMHI_LOG_WARN, "libxl's child %d was reaped by someone else (waitpid: "
                    "%s); taking it as exited 0", (int)pid, strerror(errno));
            status = 0;
        }
        libxl_childproc_reaped(h->ctx, pid, status);
        pthread_mutex_lock(&h->kids_lock);
    }
    size_t left = h->nkids;
    pthread_mutex_unlock(&h->kids_lock);
    return left;
}

/* The reaper thread: never takes the host lock, so that a slot (or the
 * event thread) holding it inside a libxl call that waits for a hotplug
 * script still gets the script's exit reported. */
static void *reaper_thread(void *arg)
{
    xen_host *h = arg;
    size_t kids = 0;
    for (;;) {
        struct pollfd p = { .fd = h->reap_wake[0], .events = POLLIN };
        poll(&p, 1, kids ? CHILD_POLL_MS : -1);
        if (p.revents & POLLIN) {
            char buf[64];
            ssize_t n;
            bool stop = false;
            while ((n = read(h->reap_wake[0], buf, sizeof(buf))) > 0)
                stop = stop || memchr(buf, 's', (size_t)n) != NULL;
            if (stop)
                break;
        }
        kids = reap_children(h);
    }
    return NULL;
}

/* ---------------------------------------------------------------- watches */

void xen_watch_domain(xen_host *h, xen_vm *vm)
{
    if (vm->death || vm->domid == XEN_NO_DOMID)
        return;
    int lrc = libxl_evenable_domain_death(h->ctx, vm->domid, 0, &vm->death);
    if (lrc) {
        vm->death = NULL;
        xen_log(h, VMHI_LOG_WARN, "VM '%s': cannot watch domain %u (libxl error %d): a guest "
                "shutdown will be noticed late", vm->name, vm->domid, lrc);
    }
}

void xen_unwatch_domain(xen_host *h, xen_vm *vm)
{
    if (vm->death)
        libxl_evdisable_domain_death(h->ctx, vm->death);
    vm->death = NULL;
}

/* ----------------------------------------------------------------- events */

static void on_shutdown(xen_host *h, xen_vm *vm, libxl_shutdown_reason why)
{
    switch (why) {
    case LIBXL_SHUTDOWN_REASON_POWEROFF:
        xen_destroy_domain(h, vm);
        xen_transition(h, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_SHUTDOWN_GUEST);
        break;
    case LIBXL_SHUTDOWN_REASON_REBOOT:
    case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
        xen_reboot_domain(h, vm);
        break;
    case LIBXL_SHUTDOWN_REASON_SUSPEND:
        break; /* only our own suspend does that, and it does not watch */
    default: /* crash, watchdog, unknown */
        xen_destroy_domain(h, vm);
        xen_transition(h, vm, VMHI_STATE_CRASHED, VMHI_REASON_CRASHED);
        break;
    }
}

static void handle_event(xen_host *h, const libxl_event *ev)
{
    pthread_mutex_lock(&h->lock);
    xen_vm *vm = xen_find_domid(h, ev->domid);
    if (vm && !vm->destroying && xen_state_active(vm->state)) {
        if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
            on_shutdown(h, vm, ev->u.domain_shutdown.shutdown_reason);
        } else if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH) {
            /* Gone without shutting down: destroyed behind our back (xl). */
            xen_unwatch_domain(h, vm);
            vm->domid = XEN_NO_DOMID;
            xen_transition(h, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_HOST);
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* ------------------------------------------------------------------ thread */

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static void *event_thread(void *arg)
{
    xen_host *h = arg;
    size_t cap = 32;
    struct pollfd *fds = calloc(cap, sizeof(*fds));
    while (fds) {
        int nfds = (int)cap - 1;
        int timeout = IDLE_POLL_MS;
        struct timeval now;
        gettimeofday(&now, NULL);
        int lrc = libxl_osevent_beforepoll(h->ctx, &nfds, fds + 1, &timeout, now);
        if (lrc == ERROR_BUFFERFULL) {
            struct pollfd *grown = realloc(fds, ((size_t)nfds + 1) * sizeof(*fds));
            if (grown) {
                fds = grown;
                cap = (size_t)nfds + 1;
            }
            continue;
        }
        if (lrc)
            nfds = 0;
        fds[0].fd = h->wake[0];
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        poll(fds, (nfds_t)nfds + 1, timeout);
        if (fds[0].revents & POLLIN)
            drain(h->wake[0]);
        pthread_mutex_lock(&h->lock);
        bool stop = h->stop;
        pthread_mutex_unlock(&h->lock);
        if (stop)
            break;
        gettimeofday(&now, NULL);
        if (lrc == 0)
            libxl_osevent_afterpoll(h->ctx, nfds, fds + 1, now);
        libxl_event *ev = NULL;
        while (libxl_event_check(h->ctx, &ev, LIBXL_EVENTMASK_ALL, NULL, NULL) == 0) {
            handle_event(h, ev);
            libxl_event_free(h->ctx, ev);
        }
    }
    free(fds);
    return NULL;
}

int xen_events_start(xen_host *h)
{
    if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        pipe2(h->reap_wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return xen_error(VMHI_E_IO, "xen: cannot make the event threads' pipes: %s",
                         strerror(errno));
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the threads inherit it */
    int err = pthread_create(&h->reaper, NULL, reaper_thread, h);
    if (!err) {
        err = pthread_create(&h->thread, NULL, event_thread, h);
        if (err) {
            char byte = 's';
            ssize_t ignored = write(h->reap_wake[1], &byte, 1);
            (void)ignored;
            pthread_join(h->reaper, NULL);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return xen_error(VMHI_E_NOMEM, "xen: cannot start the event threads: %s",
                         strerror(err));
    h->thread_started = true;
    return VMHI_OK;
}

void xen_events_stop(xen_host *h)
{
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_mutex_unlock(&h->lock);
    char byte = 's';
    ssize_t ignored = write(h->wake[1], &byte, 1);
    (void)ignored;
    pthread_join(h->thread, NULL);
    ignored = write(h->reap_wake[1], &byte, 1);
    pthread_join(h->reaper, NULL);
    h->thread_started = false;
}

void xen_events_close_pipes(xen_host *h)
{
    for (int i = 0; i < 2; i++) {
        if (h->wake[i] >= 0)
            close(h->wake[i]);
        if (h->reap_wake[i] >= 0)
            close(h->reap_wake[i]);
        h->wake[i] = h->reap_wake[i] = -1;
    }
}
