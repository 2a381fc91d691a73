/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Event recording for the conformance tests.  A recorder subscribes on a
 * connection and keeps a copy of every event it is given, under a lock so
 * that it works both with vmhi_conn_dispatch_events() in the test thread
 * and with the library's event thread.
 */
#ifndef VMHI_CONF_EVENTS_H
#define VMHI_CONF_EVENTS_H

#include <pthread.h>

#include "conf.h"

typedef struct conf_event {
    vmhi_event_type type;
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_state state;
    vmhi_state_reason reason;
    char device[VMHI_DEVICE_ID_MAX + 1];
    uint64_t value;
    uint64_t seq;
    uint64_t dropped;
} conf_event;

typedef struct conf_recorder {
    pthread_mutex_t lock;
    pthread_cond_t grew;
    vmhi_conn *conn;
    int sub_id;
    bool threaded;       /* the library's event thread delivers */
    conf_event *ev;
    size_t count, cap;
} conf_recorder;

/* Subscribes to @mask for @uuid (NULL: every VM).  @threaded: the
 * connection's event thread runs (vmhi_conn_start_event_thread was called),
 * so waiting means sleeping, not dispatching. */
conf_recorder *conf_recorder_new(vmhi_conn *conn, unsigned int mask, const char *uuid,
                                 bool threaded);
/* Unsubscribes and frees.  Accepts NULL. */
void conf_recorder_free(conf_recorder *rec);
/* Only unsubscribes.  With the event thread, a callback may still be
 * running: free the recorder after vmhi_conn_close() then. */
void conf_recorder_unsubscribe(conf_recorder *rec);

/* Waits up to @timeout_ms until at least @n events were recorded (in all);
 * returns how many there are. */
size_t conf_recorder_wait(conf_recorder *rec, size_t n, unsigned int timeout_ms);
/* Collects whatever arrives during @ms. */
void conf_recorder_settle(conf_recorder *rec, unsigned int ms);
/* Waits (conf_ms(CONF_WAIT_MS)) for @n events, then settles
 * (conf_ms(CONF_SETTLE_MS)) so that any extra one is recorded too: what
 * a test does before it checks that exactly @n arrived. */
void conf_recorder_await(conf_recorder *rec, size_t n);

size_t conf_recorder_count(conf_recorder *rec);
/* A copy of event @i (asserts it exists). */
conf_event conf_recorder_get(conf_recorder *rec, size_t i);
/* Forgets everything recorded so far. */
void conf_recorder_clear(conf_recorder *rec);

/* "lifecycle running/booted seq 3" for messages. */
void conf_event_describe(const conf_event *ev, char *buf, size_t size);
/* Every recorded event, described, for failure messages. */
void conf_recorder_describe(conf_recorder *rec, char *buf, size_t size);

#endif /* VMHI_CONF_EVENTS_H */
