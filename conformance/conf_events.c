/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Event recorders (see conf_events.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_events.h"

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void record(vmhi_conn *conn, const vmhi_event *event, void *userdata)
{
    (void)conn;
    conf_recorder *rec = userdata;
    conf_event e;
    memset(&e, 0, sizeof(e));
    e.type = vmhi_event_get_type(event);
    copy_text(e.uuid, sizeof(e.uuid), vmhi_event_get_vm_uuid(event));
    copy_text(e.name, sizeof(e.name), vmhi_event_get_vm_name(event));
    e.state = vmhi_event_get_state(event);
    e.reason = vmhi_event_get_reason(event);
    copy_text(e.device, sizeof(e.device), vmhi_event_get_device_id(event));
    e.value = vmhi_event_get_value(event);
    e.seq = vmhi_event_get_seq(event);
    e.dropped = vmhi_event_get_dropped(event);

    pthread_mutex_lock(&rec->lock);
    if (rec->count == rec->cap) {
        size_t cap = rec->cap ? rec->cap * 2 : 64;
        conf_event *grown = realloc(rec->ev, cap * sizeof(*grown));
        if (!grown) {
            pthread_mutex_unlock(&rec->lock);
            return; /* the count check of the test will then fail */
        }
        rec->ev = grown;
        rec->cap = cap;
    }
    rec->ev[rec->count++] = e;
    pthread_cond_broadcast(&rec->grew);
    pthread_mutex_unlock(&rec->lock);
}

conf_recorder *conf_recorder_new(vmhi_conn *conn, unsigned int mask, const char *uuid,
                                 bool threaded)
{
    conf_recorder *rec = calloc(1, sizeof(*rec));
    ck_assert_ptr_nonnull(rec);
    pthread_mutex_init(&rec->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&rec->grew, &attr);
    pthread_condattr_destroy(&attr);
    rec->conn = conn;
    rec->threaded = threaded;
    conf_ok(vmhi_conn_subscribe(conn, mask, uuid, record, rec, NULL, &rec->sub_id));
    return rec;
}

void conf_recorder_unsubscribe(conf_recorder *rec)
{
    if (rec && rec->conn) {
        vmhi_conn_unsubscribe(rec->conn, rec->sub_id);
        rec->conn = NULL;
    }
}

void conf_recorder_free(conf_recorder *rec)
{
    if (!rec)
        return;
    conf_recorder_unsubscribe(rec);
    pthread_mutex_destroy(&rec->lock);
    pthread_cond_destroy(&rec->grew);
    free(rec->ev);
    free(rec);
}

size_t conf_recorder_count(conf_recorder *rec)
{
    pthread_mutex_lock(&rec->lock);
    size_t n = rec->count;
    pthread_mutex_unlock(&rec->lock);
    return n;
}

/* Sleeps on the condition until it grows or @deadline_ms passes. */
static void wait_threaded(conf_recorder *rec, size_t n, uint64_t deadline_ms)
{
    pthread_mutex_lock(&rec->lock);
    while (rec->count < n) {
        uint64_t now = conf_now_ms();
        if (now >= deadline_ms)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t left = deadline_ms - now;
        ts.tv_sec += (time_t)(left / 1000u);
        ts.tv_nsec += (long)(left % 1000u) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&rec->grew, &rec->lock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&rec->lock);
}

size_t conf_recorder_wait(conf_recorder *rec, size_t n, unsigned int timeout_ms)
{
    uint64_t deadline = conf_now_ms() + timeout_ms;
    ck_assert_msg(rec->conn, "suite bug: waiting on an unsubscribed recorder");
    if (rec->threaded) {
        wait_threaded(rec, n, deadline);
        return conf_recorder_count(rec);
    }
    /* Dispatch at least once without waiting, so that queued events
     * arrive even when enough are there already. */
    bool first = true;
    while (first || (conf_recorder_count(rec) < n && conf_now_ms() < deadline)) {
        uint64_t now = conf_now_ms();
        int slice = first || now >= deadline ? 0 : (int)(deadline - now);
        int rc = vmhi_conn_dispatch_events(rec->conn, slice > 50 ? 50 : slice);
        ck_assert_msg(rc >= 0, "vmhi_conn_dispatch_events failed: %d (%s): %s", rc,
                      vmhi_strerror(rc), vmhi_error_last_message());
        first = false;
    }
    return conf_recorder_count(rec);
}

void conf_recorder_settle(conf_recorder *rec, unsigned int ms)
{
    conf_recorder_wait(rec, SIZE_MAX, ms);
}

void conf_recorder_await(conf_recorder *rec, size_t n)
{
    conf_recorder_wait(rec, n, conf_ms(CONF_WAIT_MS));
    conf_recorder_settle(rec, conf_ms(CONF_SETTLE_MS));
}

conf_event conf_recorder_get(conf_recorder *rec, size_t i)
{
    pthread_mutex_lock(&rec->lock);
    size_t n = rec->count;
    conf_event e;
    memset(&e, 0, sizeof(e));
    if (i < n)
        e = rec->ev[i];
    pthread_mutex_unlock(&rec->lock);
    ck_assert_msg(i < n, "event #%zu was expected but only %zu arrived", i + 1, n);
    return e;
}

void conf_recorder_clear(conf_recorder *rec)
{
    pthread_mutex_lock(&rec->lock);
    rec->count = 0;
    pthread_mutex_unlock(&rec->lock);
}

void conf_event_describe(const conf_event *ev, char *buf, size_t size)
{
    const char *type = vmhi_event_type_name(ev->type);
    if (ev->type == VMHI_EVENT_LIFECYCLE) {
        const char *st = vmhi_vm_state_name(ev->state);
        const char *why = vmhi_state_reason_name(ev->reason);
        snprintf(buf, size, "lifecycle %s/%s (seq %llu)", st ? st : "?", why ? why : "?",
                 (unsigned long long)ev->seq);
    } else if (ev->device[0]) {
        snprintf(buf, size, "%s %s (seq %llu)", type ? type : "?", ev->device,
                 (unsigned long long)ev->seq);
    } else {
        snprintf(buf, size, "%s %llu (seq %llu)", type ? type : "?",
                 (unsigned long long)ev->value, (unsigned long long)ev->seq);
    }
}

void conf_recorder_describe(conf_recorder *rec, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    pthread_mutex_lock(&rec->lock);
    for (size_t i = 0; i < rec->count && used + 1 < size; i++) {
        char one[160];
        conf_event_describe(&rec->ev[i], one, sizeof(one));
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", one);
        used += w > 0 ? (size_t)w : 0;
    }
    if (rec->count == 0)
        snprintf(buf, size, "no events");
    pthread_mutex_unlock(&rec->lock);
}
