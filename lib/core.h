/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The core's own objects: connections, VM handles, the backend registry,
 * URIs and the event queue.  Internal; see internal.h for shared helpers.
 */
#ifndef VMHI_CORE_H
#define VMHI_CORE_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

/* ---- uri.c ---------------------------------------------------------- */

typedef struct vmhi__uri {
    char *normalized;    /* scheme lower-cased, otherwise as given */
    char *scheme;
    char *user;
    char *host;
    int port;
    char *path;          /* decoded, "/" at least */
    size_t nparams;
    char **names;        /* decoded */
    char **values;       /* decoded */
} vmhi__uri;

/* Parses @str; on error sets VMHI_E_INVALID_ARG with a message that never
 * repeats a password. */
int vmhi__uri_parse(const char *str, vmhi__uri **out);
void vmhi__uri_free(vmhi__uri *uri);

/* ---- module.c: registry of backends --------------------------------- */

typedef struct vmhi__backend {
    vmhi_backend_ops ops;      /* copy, zero-extended to this core's size */
    char *path;                /* NULL for built-in backends */
    struct vmhi__backend *next;
} vmhi__backend;

/* Validates a table a module returned; @label names it in messages. */
int vmhi__backend_ops_check(const vmhi_backend_ops *ops, const char *label);
/* Finds a backend for @uri and opens it into @conn (sets conn->backend,
 * conn->priv).  Built-ins first, then modules in registration order,
 * then newly found modules from the search path. */
int vmhi__registry_open(vmhi_conn *conn, const vmhi__uri *uri);

/* ---- services.c ----------------------------------------------------- */

extern const vmhi_core_services vmhi__core_services;

/* ---- event.c -------------------------------------------------------- */

struct vmhi__subscription;
struct vmhi__queued_event;

typedef struct vmhi__events {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_mutex_t dispatch_lock;   /* one dispatcher at a time keeps order */
    pthread_mutex_t mask_lock;       /* orders events_enable calls (MOD-14) */
    struct vmhi__queued_event *head;
    struct vmhi__queued_event *tail;
    size_t queued;
    uint64_t next_seq;
    struct vmhi__subscription *subs;
    int next_sub_id;
    unsigned int mask;               /* union of subscription masks */
    int efd;
    bool thread_running;
    bool stopping;
    pthread_t thread;
} vmhi__events;

int vmhi__events_init(vmhi__events *ev);
void vmhi__events_stop_thread(vmhi__events *ev);
void vmhi__events_destroy(vmhi__events *ev);
void vmhi__event_emit(vmhi_conn *conn, const vmhi_backend_event *bev);

/* ---- conn.c --------------------------------------------------------- */

struct vmhi_conn {
    const vmhi__backend *backend;
    const vmhi_backend_ops *ops;
    void *priv;
    bool opened;              /* backend open() succeeded */
    bool serialize;           /* backend is not thread-safe */
    pthread_mutex_t call_lock;
    vmhi__uri *uri;
    vmhi_backend_uri buri;
    vmhi_conn_options opts;
    vmhi__events events;
    atomic_int refs;          /* the application's reference + one per VM handle */
    atomic_bool closed;       /* vmhi_conn_close() ran: VM handles get VMHI_E_CONNECTION */
};

struct vmhi_vm {
    vmhi_conn *conn;
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
};

/* Serializes backend calls for backends that are not thread-safe. */
void vmhi__conn_lock(vmhi_conn *conn);
void vmhi__conn_unlock(vmhi_conn *conn);
/* Normalizes a backend's return value: a failure without a message gets
 * one naming the backend and @what; a positive value is a backend bug. */
int vmhi__backend_result(vmhi_conn *conn, int rc, const char *what);
/* The "slot is NULL" error, naming the backend and the operation. */
int vmhi__unsupported(vmhi_conn *conn, vmhi_op op);
/* Reads a host limit, or returns @fallback when the backend does not know it. */
uint64_t vmhi__conn_limit(vmhi_conn *conn, vmhi_limit limit, uint64_t fallback);
/* Checks a memory size against the host minimum, granularity and maximum. */
int vmhi__check_memory(vmhi_conn *conn, uint64_t mib, const char *what);
/* Creates a handle from a backend's reference. */
int vmhi__vm_new(vmhi_vm **out, vmhi_conn *conn, const vmhi_backend_vm_ref *ref);
/* Handles keep their connection's memory alive after vmhi_conn_close(). */
void vmhi__conn_ref(vmhi_conn *conn);
void vmhi__conn_unref(vmhi_conn *conn);
/* Checks a handle: non-NULL and its connection still open. */
int vmhi__check_vm(const vmhi_vm *vm);
/* Whether @op may be dispatched: a read-only connection refuses every
 * operation that changes something (VMHI_E_PERMISSION), the slot exists
 * (@has_slot) and what
 * vmhi_conn_get_op_caps() promised holds - an operation the backend reports
 * absent, or an affect flag it lacks, fails with VMHI_E_UNSUPPORTED before
 * the slot is called. */
int vmhi__op_ready(vmhi_conn *conn, vmhi_op op, bool has_slot, unsigned int affect);

/* ---- caps.c: per-value capabilities ---------------------------------- */

/* vmhi_conn_get_value_caps() without the argument checks. */
int vmhi__value_caps(vmhi_conn *conn, vmhi_value_kind kind, uint64_t *values);
/* VMHI_E_UNSUPPORTED, naming the value, when a config, a device or a
 * shutdown method uses a value the connection does not accept. */
int vmhi__check_config_values(vmhi_conn *conn, const vmhi_vm_config *cfg);
int vmhi__check_disk_values(vmhi_conn *conn, const vmhi_disk *disk);
int vmhi__check_nic_values(vmhi_conn *conn, const vmhi_nic *nic);
int vmhi__check_shutdown_method(vmhi_conn *conn, unsigned int method);

#endif /* VMHI_CORE_H */
