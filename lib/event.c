/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Events.  Backends emit from any thread into a per-connection queue; the
 * application drains it with vmhi_conn_dispatch_events() when the eventfd
 * is readable, or lets the library's own thread do so.  One dispatcher at
 * a time keeps delivery in order; each queued event goes to every matching
 * subscriber exactly once.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define QUEUE_MAX 65536

struct vmhi_event {
    vmhi_event_type type;
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_state state;
    vmhi_state_reason reason;
    char device_id[VMHI_DEVICE_ID_MAX + 1];
    bool has_device;
    uint64_t value;
    uint64_t seq;
    uint64_t dropped;
};

struct vmhi__queued_event {
    struct vmhi_event ev;
    struct vmhi__queued_event *next;
};

struct vmhi__subscription {
    int id;
    unsigned int mask;
    bool any_vm;
    char uuid[VMHI_UUID_STRLEN + 1];
    vmhi_event_cb cb;
    void *userdata;
    vmhi_free_fn free_userdata;
    unsigned int running;  /* callbacks of it in progress (under ev->lock) */
    bool removed;          /* unsubscribed while running: the last one frees it */
    struct vmhi__subscription *next;
};

/* Ends a subscription for good: the application's userdata goes last. */
static void sub_release(struct vmhi__subscription *s)
{
    if (s->free_userdata)
        s->free_userdata(s->userdata);
    vmhi__free(s);
}

/* Set while a thread runs callbacks, so a callback that dispatches again
 * gets VMHI_E_BUSY instead of a deadlock. */
static _Thread_local const vmhi__events *dispatching;

int vmhi__events_init(vmhi__events *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev->efd < 0)
        return vmhi__error_native(VMHI_E_IO, strerror(errno), "cannot create event descriptor");
    pthread_mutex_init(&ev->lock, NULL);
    pthread_mutex_init(&ev->dispatch_lock, NULL);
    pthread_mutex_init(&ev->mask_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ev->cond, &attr);
    pthread_condattr_destroy(&attr);
    ev->next_seq = 1;
    ev->next_sub_id = 1;
    return VMHI_OK;
}

static void free_queue(struct vmhi__queued_event *q)
{
    while (q) {
        struct vmhi__queued_event *next = q->next;
        free(q);
        q = next;
    }
}

void vmhi__events_stop_thread(vmhi__events *ev)
{
    pthread_mutex_lock(&ev->lock);
    bool running = ev->thread_running;
    ev->stopping = true;
    pthread_cond_broadcast(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
    if (running)
        pthread_join(ev->thread, NULL);
}

void vmhi__events_destroy(vmhi__events *ev)
{
    if (ev->efd < 0)
        return;
    free_queue(ev->head);
    for (struct vmhi__subscription *s = ev->subs; s;) {
        struct vmhi__subscription *next = s->next;
        sub_release(s);
        s = next;
    }
    close(ev->efd);
    pthread_mutex_destroy(&ev->lock);
    pthread_mutex_destroy(&ev->dispatch_lock);
    pthread_mutex_destroy(&ev->mask_lock);
    pthread_cond_destroy(&ev->cond);
}

static bool sub_matches(const struct vmhi__subscription *s, const struct vmhi_event *e)
{
    return (s->mask & e->type) && (s->any_vm || strcmp(s->uuid, e->uuid) == 0);
}

static bool anyone_wants(const vmhi__events *ev, const struct vmhi_event *e)
{
    for (const struct vmhi__subscription *s = ev->subs; s; s = s->next)
        if (sub_matches(s, e))
            return true;
    return false;
}

static void fill_event(struct vmhi_event *e, const vmhi_backend_event *bev)
{
    memset(e, 0, sizeof(*e));
    e->type = bev->type;
    if (bev->uuid)
        vmhi__uuid_normalize(bev->uuid, e->uuid);
    if (bev->name)
        vmhi__strlcpy(e->name, bev->name, sizeof(e->name));
    e->state = bev->state;
    e->reason = bev->reason;
    if (bev->device_id) {
        vmhi__strlcpy(e->device_id, bev->device_id, sizeof(e->device_id));
        e->has_device = true;
    }
    e->value = bev->value;
}

static void enqueue_locked(vmhi__events *ev, struct vmhi__queued_event *q)
{
    if (ev->queued == QUEUE_MAX) {
        /* The event after the dropped one carries the count (and any
         * count the dropped one carried), so the gap in sequence
         * numbers is always explained by the event right after it. */
        struct vmhi__queued_event *oldest = ev->head;
        ev->head = oldest->next;
        if (ev->head)
            ev->head->ev.dropped += oldest->ev.dropped + 1;
        else
            ev->tail = NULL;
        free(oldest);
        ev->queued--;
    }
    q->ev.seq = ev->next_seq++;
    if (ev->tail)
        ev->tail->next = q;
    else
        ev->head = q;
    ev->tail = q;
    ev->queued++;
    uint64_t one = 1;
    ssize_t n = write(ev->efd, &one, sizeof(one));
    (void)n; /* EAGAIN only when the counter is saturated: still readable */
    pthread_cond_broadcast(&ev->cond);
}

void vmhi__event_emit(vmhi_conn *conn, const vmhi_backend_event *bev)
{
    if (!conn || !bev || bev->struct_size < sizeof(vmhi_backend_event) ||
        !vmhi_event_type_name(bev->type))
        return;
    /* The error state belongs to the backend's caller: emitting must not
     * disturb it, so nothing here records an error. */
    struct vmhi__queued_event *q = calloc(1, sizeof(*q));
    if (!q)
        return;
    fill_event(&q->ev, bev);
    vmhi__events *ev = &conn->events;
    pthread_mutex_lock(&ev->lock);
    if (anyone_wants(ev, &q->ev)) {
        enqueue_locked(ev, q);
        q = NULL;
    }
    pthread_mutex_unlock(&ev->lock);
    free(q);
}

/* Waits until the queue is non-empty, the timeout passes or the event
 * thread is stopping.  Called with ev->lock held. */
static void wait_for_events_locked(vmhi__events *ev, int timeout_ms)
{
    if (timeout_ms == 0)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    while (!ev->head && !ev->stopping) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&ev->cond, &ev->lock);
        } else if (pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
}

/* Takes the whole queue and resets the eventfd, both under the lock, so
 * that the descriptor is readable exactly when the queue is non-empty. */
static struct vmhi__queued_event *take_queue_locked(vmhi__events *ev)
{
    uint64_t counter;
    ssize_t n = read(ev->efd, &counter, sizeof(counter));
    (void)n;
    struct vmhi__queued_event *q = ev->head;
    ev->head = ev->tail = NULL;
    ev->queued = 0;
    return q;
}

/* Delivers one event to each matching subscriber.  The subscriber list is
 * re-read under the lock for every callback so that unsubscribing from
 * inside a callback takes effect at once.  A subscription is pinned while
 * its callback runs, so an unsubscribe from another thread cannot free
 * the userdata under it: the pin's last holder releases it instead. */
static void deliver(vmhi_conn *conn, const struct vmhi_event *e)
{
    vmhi__events *ev = &conn->events;
    int last_id = 0;
    for (;;) {
        struct vmhi__subscription *pinned = NULL;
        pthread_mutex_lock(&ev->lock);
        for (struct vmhi__subscription *s = ev->subs; s; s = s->next) {
            if (s->id > last_id && sub_matches(s, e)) {
                pinned = s;
                pinned->running++;
                last_id = s->id;
                break;
            }
        }
        pthread_mutex_unlock(&ev->lock);
        if (!pinned)
            return;
        pinned->cb(conn, e, pinned->userdata);
        pthread_mutex_lock(&ev->lock);
        bool release = --pinned->running == 0 && pinned->removed;
        pthread_mutex_unlock(&ev->lock);
        if (release)
            sub_release(pinned);
    }
}

static int dispatch(vmhi_conn *conn, int timeout_ms)
{
    vmhi__events *ev = &conn->events;
    pthread_mutex_lock(&ev->dispatch_lock);
    pthread_mutex_lock(&ev->lock);
    wait_for_events_locked(ev, timeout_ms);
    struct vmhi__queued_event *q = take_queue_locked(ev);
    pthread_mutex_unlock(&ev->lock);
    int count = 0;
    dispatching = ev;
    for (struct vmhi__queued_event *it = q; it; it = it->next) {
        deliver(conn, &it->ev);
        if (count < INT32_MAX)
            count++;
    }
    dispatching = NULL;
    pthread_mutex_unlock(&ev->dispatch_lock);
    free_queue(q);
    return count;
}

int vmhi_conn_dispatch_events(vmhi_conn *conn, int timeout_ms)
{
    vmhi__error_reset();
    if (!conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection is NULL");
    if (timeout_ms < -1)
        return vmhi__error(VMHI_E_INVALID_ARG, "timeout must be -1, 0 or positive");
    vmhi__events *ev = &conn->events;
    if (dispatching == ev)
        return vmhi__error(VMHI_E_BUSY, "vmhi_conn_dispatch_events called from an event callback");
    pthread_mutex_lock(&ev->lock);
    bool thread = ev->thread_running;
    pthread_mutex_unlock(&ev->lock);
    if (thread)
        return vmhi__error(VMHI_E_BUSY,
                           "the connection's event thread dispatches events; don't call "
                           "vmhi_conn_dispatch_events as well");
    return dispatch(conn, timeout_ms);
}

static void *event_thread_main(void *arg)
{
    vmhi_conn *conn = arg;
    vmhi__events *ev = &conn->events;
    for (;;) {
        pthread_mutex_lock(&ev->lock);
        bool stop = ev->stopping && !ev->head;
        pthread_mutex_unlock(&ev->lock);
        if (stop)
            return NULL;
        dispatch(conn, -1);
    }
}

int vmhi_conn_start_event_thread(vmhi_conn *conn)
{
    vmhi__error_reset();
    if (!conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection is NULL");
    vmhi__events *ev = &conn->events;
    pthread_mutex_lock(&ev->lock);
    int rc = VMHI_OK;
    if (!ev->thread_running) {
        /* The thread inherits this mask: application signal handlers must
         * never run on a thread the library owns. */
        sigset_t all, saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        int err = pthread_create(&ev->thread, NULL, event_thread_main, conn);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (err)
            rc = vmhi__error_native(VMHI_E_NOMEM, strerror(err), "cannot start the event thread");
        else
            ev->thread_running = true;
    }
    pthread_mutex_unlock(&ev->lock);
    return rc;
}

int vmhi_conn_get_event_fd(vmhi_conn *conn, int *fd)
{
    vmhi__error_reset();
    if (!conn || !fd)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or fd pointer is NULL");
    *fd = conn->events.efd;
    return VMHI_OK;
}

/* Tells the backend the new union of subscribed types, if it changed.
 * mask_lock spans computing the union and telling the backend, so two
 * threads changing subscriptions at once cannot deliver their masks out of
 * order and leave the backend with a stale one (MOD-14). */
static int update_backend_mask(vmhi_conn *conn)
{
    vmhi__events *ev = &conn->events;
    pthread_mutex_lock(&ev->mask_lock);
    int rc = VMHI_OK;
    pthread_mutex_lock(&ev->lock);
    unsigned int mask = 0;
    for (struct vmhi__subscription *s = ev->subs; s; s = s->next)
        mask |= s->mask;
    bool changed = mask != ev->mask;
    unsigned int previous = ev->mask;
    ev->mask = mask;
    pthread_mutex_unlock(&ev->lock);
    if (changed && conn->ops->events_enable) {
        vmhi__conn_lock(conn);
        rc = conn->ops->events_enable(conn->priv, mask);
        vmhi__conn_unlock(conn);
        rc = vmhi__backend_result(conn, rc, "events-enable");
        if (rc) { /* the backend kept the old set: so does the core */
            pthread_mutex_lock(&ev->lock);
            ev->mask = previous;
            pthread_mutex_unlock(&ev->lock);
        }
    }
    pthread_mutex_unlock(&ev->mask_lock);
    return rc;
}

/* Unlinks subscription @id.  Returns it when the caller must release it,
 * NULL when a running callback will (*found says whether it existed). */
static struct vmhi__subscription *remove_subscription(vmhi__events *ev, int id, bool *found)
{
    pthread_mutex_lock(&ev->lock);
    struct vmhi__subscription *gone = NULL;
    *found = false;
    for (struct vmhi__subscription **p = &ev->subs; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            gone = *p;
            *p = gone->next;
            *found = true;
            break;
        }
    }
    if (gone && gone->running) {
        gone->removed = true;
        gone = NULL;
    }
    pthread_mutex_unlock(&ev->lock);
    return gone;
}

int vmhi_conn_subscribe(vmhi_conn *conn, unsigned int mask, const char *uuid, vmhi_event_cb cb,
                        void *userdata, vmhi_free_fn free_userdata, int *id)
{
    vmhi__error_reset();
    if (!conn || !cb)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or callback is NULL");
    if (mask == 0 || (mask & ~VMHI_EVENT_ALL_1_0))
        return vmhi__error(VMHI_E_INVALID_ARG, "event mask 0x%x: use VMHI_EVENT_* bits", mask);
    if (!(conn->ops->profiles & VMHI_PROFILE_EVENTS))
        return vmhi__error(VMHI_E_UNSUPPORTED, "backend '%s' does not deliver events",
                           conn->ops->name);
    struct vmhi__subscription *s = vmhi__calloc(1, sizeof(*s));
    if (!s)
        return vmhi__error_oom();
    s->any_vm = uuid == NULL;
    if (uuid && vmhi__uuid_normalize(uuid, s->uuid)) {
        vmhi__free(s);
        return VMHI_E_INVALID_ARG;
    }
    s->mask = mask;
    s->cb = cb;
    s->userdata = userdata;

    vmhi__events *ev = &conn->events;
    pthread_mutex_lock(&ev->lock);
    s->id = ev->next_sub_id++;
    struct vmhi__subscription **tail = &ev->subs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = s;
    pthread_mutex_unlock(&ev->lock);
    int sub_id = s->id;
    int rc = update_backend_mask(conn);
    if (rc) {
        /* A callback that pinned it meanwhile releases it; either way
         * free_userdata is not set yet: on failure the userdata stays the
         * caller's. */
        bool found;
        struct vmhi__subscription *gone = remove_subscription(ev, sub_id, &found);
        vmhi__free(gone);
        return rc;
    }
    /* Only a subscription that exists owns the userdata. */
    pthread_mutex_lock(&ev->lock);
    s->free_userdata = free_userdata;
    pthread_mutex_unlock(&ev->lock);
    if (id)
        *id = sub_id;
    return VMHI_OK;
}

int vmhi_conn_unsubscribe(vmhi_conn *conn, int id)
{
    vmhi__error_reset();
    if (!conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection is NULL");
    bool found;
    struct vmhi__subscription *gone = remove_subscription(&conn->events, id, &found);
    if (!found)
        return vmhi__error(VMHI_E_INVALID_ARG, "no subscription with id %d", id);
    if (gone)
        sub_release(gone);
    update_backend_mask(conn);
    vmhi__error_reset();
    return VMHI_OK;
}

vmhi_event_type vmhi_event_get_type(const vmhi_event *e)
{
    return e ? e->type : (vmhi_event_type)0;
}

const char *vmhi_event_get_vm_name(const vmhi_event *e)
{
    return e ? e->name : NULL;
}

const char *vmhi_event_get_vm_uuid(const vmhi_event *e)
{
    return e ? e->uuid : NULL;
}

vmhi_vm_state vmhi_event_get_state(const vmhi_event *e)
{
    return e && e->type == VMHI_EVENT_LIFECYCLE ? e->state : (vmhi_vm_state)0;
}

vmhi_state_reason vmhi_event_get_reason(const vmhi_event *e)
{
    return e && e->type == VMHI_EVENT_LIFECYCLE ? e->reason : VMHI_REASON_UNKNOWN;
}

const char *vmhi_event_get_device_id(const vmhi_event *e)
{
    return e && e->has_device ? e->device_id : NULL;
}

uint64_t vmhi_event_get_value(const vmhi_event *e)
{
    return e ? e->value : 0;
}

uint64_t vmhi_event_get_seq(const vmhi_event *e)
{
    return e ? e->seq : 0;
}

uint64_t vmhi_event_get_dropped(const vmhi_event *e)
{
    return e ? e->dropped : 0;
}
