/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The host: one per process and state directory, shared by every
 * connection to it, so that a change made through one connection is seen
 * (and its events delivered) on all of them.  It owns the libxl context,
 * the VM table and the event thread; the last connection to close tears
 * it down.  Also here: errors, allocation and the libxl logger.
 *
 * Errors: a slot reports with xen_error() and may call public VMHI
 * functions afterwards (a config copy while cleaning up), which clear the
 * thread's last error when they start.  So xen_error() also keeps a copy
 * of what it reported, and xen_unlock() puts it back when the error the
 * thread now has is not the one the slot returns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen.h"

const vmhi_core_services *xen_core;

/* ---------------------------------------------------------------- errors */

static _Thread_local vmhi_saved_error *reported;
static _Thread_local xen_conn *calling_conn;  /* the slot's connection, if any */
static _Thread_local char libxl_last[768];    /* libxl's last error line */
/* libxl's first error line since the slot began: a failed build logs its
 * cause first and then, as it cleans up, errors of the clean-up, which
 * alone say nothing ("Destruction of domain failed"). */
static _Thread_local char libxl_first[768];

int xen_error_native(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = xen_core->set_error_v(code, native, fmt, ap);
    va_end(ap);
    xen_core->error_discard(reported);
    reported = xen_core->error_save();
    return rc;
}

static int map_libxl(int lrc)
{
    switch (lrc) {
    case ERROR_NOMEM: return VMHI_E_NOMEM;
    case ERROR_INVAL: return VMHI_E_INVALID_ARG;
    case ERROR_DOMAIN_NOTFOUND: return VMHI_E_NO_VM;
    case ERROR_NOT_READY: return VMHI_E_TRY_AGAIN;
    case ERROR_TIMEDOUT: return VMHI_E_TIMEOUT;
    case ERROR_NOPARAVIRT: return VMHI_E_UNSUPPORTED;
    case ERROR_FEATURE_REMOVED: return VMHI_E_UNSUPPORTED;
    case ERROR_LOCK_FAIL: return VMHI_E_BUSY;
    default: return VMHI_E_BACKEND;
    }
}

int xen_libxl_error(int lrc, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    char native[32];
    snprintf(native, sizeof(native), "libxl %d", lrc);
    int rc;
    if (libxl_first[0] && strcmp(libxl_first, libxl_last) != 0)
        rc = xen_error_native(map_libxl(lrc), native, "xen: %s: libxl error %d: %s (then: %s)",
                              what, lrc, libxl_first, libxl_last);
    else if (libxl_last[0])
        rc = xen_error_native(map_libxl(lrc), native, "xen: %s: libxl error %d: %s", what, lrc,
                              libxl_last);
    else
        rc = xen_error_native(map_libxl(lrc), native, "xen: %s: libxl error %d", what, lrc);
    /* Reported: a later error of the same slot (or of the event thread,
     * which takes no slot) starts afresh. */
    libxl_last[0] = libxl_first[0] = '\0';
    return rc;
}

/* ------------------------------------------------------------ allocation */

void *xen_alloc(size_t size)
{
    void *p = xen_core->alloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void xen_free(void *p)
{
    xen_core->dealloc(p);
}

char *xen_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = xen_core->alloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *xen_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = xen_core->alloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ----------------------------------------------------------------- logs */

/* Logs to the calling slot's connection, or (event thread) to them all. */
static void log_text(xen_host *h, int level, const char *text)
{
    if (calling_conn) {
        xen_core->log(calling_conn->conn, level, "xen: %s", text);
        return;
    }
    pthread_mutex_lock(&h->conns_lock);
    for (xen_conn *c = h->conns; c; c = c->next)
        xen_core->log(c->conn, level, "xen: %s", text);
    pthread_mutex_unlock(&h->conns_lock);
}

void xen_log(xen_host *h, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    log_text(h, level, text);
}

/* libxl's logger: its lines go to the core's log service (the library
 * never prints), errors are also kept for the next xen_libxl_error(), and
 * progress (saving memory) goes to the application's progress callback. */
typedef struct xen_logger {
    xentoollog_logger base;   /* first: libxl calls back with this pointer */
    xen_host *host;
} xen_logger;

static int log_level_of(xentoollog_level level)
{
    if (level >= XTL_ERROR)
        return VMHI_LOG_ERROR;
    if (level >= XTL_WARN)
        return VMHI_LOG_WARN;
    if (level >= XTL_NOTICE)
        return VMHI_LOG_INFO;
    return VMHI_LOG_DEBUG;
}

static void logger_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
                            const char *context, const char *format, va_list al)
{
    xen_logger *l = (xen_logger *)lg;
    char text[768];
    int n = vsnprintf(text, sizeof(text), format, al);
    if (n >= 0 && errnoval >= 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, ": %s", strerror(errnoval));
    if (level >= XTL_ERROR) {
        snprintf(libxl_last, sizeof(libxl_last), "%s", text);
        if (!libxl_first[0])
            snprintf(libxl_first, sizeof(libxl_first), "%s", text);
    }
    if (level >= XTL_DETAIL)
        xen_log(l->host, log_level_of(level), "%s%s%s", context ? context : "",
                context ? ": " : "", text);
}

static void logger_progress(xentoollog_logger *lg, const char *context, const char *doing,
                            int percent, unsigned long done, unsigned long total)
{
    (void)lg, (void)context, (void)done, (void)total;
    if (calling_conn)
        xen_core->progress(calling_conn->conn, doing ? doing : "xen", percent);
}

static void logger_destroy(xentoollog_logger *lg)
{
    xen_free(lg);
}

static xentoollog_logger *logger_new(xen_host *h)
{
    xen_logger *l = xen_alloc(sizeof(*l));
    if (!l)
        return NULL;
    l->base.vmessage = logger_vmessage;
    l->base.progress = logger_progress;
    l->base.destroy = logger_destroy;
    l->host = h;
    return &l->base;
}

/* --------------------------------------------------------------- locking */

void xen_lock(xen_conn *c)
{
    xen_core->error_discard(reported);
    reported = NULL;
    libxl_last[0] = libxl_first[0] = '\0';
    pthread_mutex_lock(&c->host->lock);
    calling_conn = c;
}

int xen_unlock(xen_conn *c, int rc)
{
    calling_conn = NULL;
    pthread_mutex_unlock(&c->host->lock);
    vmhi_saved_error *saved = reported;
    reported = NULL;
    if (rc >= 0 || vmhi_error_last_code() == rc) {
        xen_core->error_discard(saved);
        return rc;
    }
    if (saved && xen_core->error_restore(saved) == rc)
        return rc;
    return xen_core->set_error(rc, NULL, "xen: the operation failed (%s)", vmhi_strerror(rc));
}

/* ------------------------------------------------------------- VM table */

bool xen_state_active(vmhi_vm_state st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_PAUSED ||
           st == VMHI_STATE_SHUTTING_DOWN;
}

xen_vm *xen_find_uuid(xen_host *h, const char *uuid)
{
    for (xen_vm *vm = h->vms; vm; vm = vm->next)
        if (strcmp(vm->uuid, uuid) == 0)
            return vm;
    return NULL;
}

xen_vm *xen_find_name(xen_host *h, const char *name)
{
    for (xen_vm *vm = h->vms; vm; vm = vm->next)
        if (strcmp(vm->name, name) == 0)
            return vm;
    return NULL;
}

xen_vm *xen_find_domid(xen_host *h, uint32_t domid)
{
    for (xen_vm *vm = h->vms; vm; vm = vm->next)
        if (vm->domid == domid && domid != XEN_NO_DOMID)
            return vm;
    return NULL;
}

int xen_get_vm(xen_host *h, const char *uuid, xen_vm **out)
{
    *out = xen_find_uuid(h, uuid);
    return *out ? VMHI_OK : xen_error(VMHI_E_NO_VM, "xen: no VM has UUID %s", uuid);
}

int xen_vm_add(xen_host *h, const char *uuid, const char *name, xen_vm **out)
{
    if (h->nvms >= XEN_MAX_VMS)
        return xen_error(VMHI_E_LIMIT, "xen: this host already manages %u VMs, the most "
                         "it will", XEN_MAX_VMS);
    xen_vm *vm = xen_alloc(sizeof(*vm));
    if (!vm)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
    snprintf(vm->name, sizeof(vm->name), "%s", name);
    vm->domid = XEN_NO_DOMID;
    vm->state = VMHI_STATE_SHUTOFF;
    vm->reason = VMHI_REASON_DEFINED;
    xen_vm **tail = &h->vms;
    while (*tail)
        tail = &(*tail)->next;
    *tail = vm;
    h->nvms++;
    *out = vm;
    return VMHI_OK;
}

void xen_vm_remove(xen_host *h, xen_vm *vm)
{
    for (xen_vm **p = &h->vms; *p; p = &(*p)->next) {
        if (*p == vm) {
            *p = vm->next;
            h->nvms--;
            break;
        }
    }
    xen_unwatch_domain(h, vm);
    vmhi_vm_config_free(vm->def);
    vmhi_vm_config_free(vm->live);
    xen_free(vm);
}

int xen_resolve_affect(const xen_vm *vm, unsigned int flags, const char *what,
                       unsigned int *out)
{
    unsigned f = flags & (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG);
    if (f == VMHI_AFFECT_CURRENT)
        f = xen_state_active(vm->state) ? VMHI_AFFECT_LIVE : VMHI_AFFECT_CONFIG;
    if ((f & VMHI_AFFECT_LIVE) && !xen_state_active(vm->state))
        return xen_error(VMHI_E_INVALID_STATE, "xen: a live %s needs VM '%s' active; it is %s",
                         what, vm->name, vmhi_vm_state_name(vm->state));
    if ((f & VMHI_AFFECT_CONFIG) && !vm->def)
        return xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is transient: it has no "
                         "definition for a %s", vm->name, what);
    *out = f;
    return VMHI_OK;
}

int xen_vm_set_def(xen_host *h, xen_vm *vm, vmhi_vm_config *def)
{
    int rc = xen_store_save_def(h, vm->uuid, def);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return rc;
    }
    vmhi_vm_config_free(vm->def);
    vm->def = def;
    xen_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0); /* a changed definition (EV-5) */
    return VMHI_OK;
}

void xen_vm_set_live(xen_host *h, xen_vm *vm, vmhi_vm_config *live)
{
    vmhi_vm_config_free(vm->live);
    vm->live = live;
    xen_store_save_run(h, vm);
}

/* ---------------------------------------------------------------- events */

void xen_emit(xen_host *h, const xen_vm *vm, vmhi_event_type type, const char *device_id,
              uint64_t value)
{
    vmhi_backend_event ev = {
        .struct_size = sizeof(ev),
        .type = type,
        .uuid = vm->uuid,
        .name = vm->name,
        .state = vm->state,
        .reason = vm->reason,
        .device_id = device_id,
        .value = value,
    };
    pthread_mutex_lock(&h->conns_lock);
    for (xen_conn *c = h->conns; c; c = c->next)
        xen_core->emit_event(c->conn, &ev);
    pthread_mutex_unlock(&h->conns_lock);
}

void xen_transition(xen_host *h, xen_vm *vm, vmhi_vm_state state, vmhi_state_reason reason)
{
    vm->state = state;
    vm->reason = reason;
    if (!xen_state_active(state)) {
        xen_unwatch_domain(h, vm);
        vm->domid = XEN_NO_DOMID;
        vmhi_vm_config_free(vm->live);
        vm->live = NULL;
        xen_store_remove_run(h, vm->uuid);
    } else {
        xen_store_save_run(h, vm);
    }
    xen_emit(h, vm, VMHI_EVENT_LIFECYCLE, NULL, 0);
    if (state == VMHI_STATE_SHUTOFF && !vm->def)
        xen_vm_remove(h, vm); /* LC-GEN-5: a transient VM ceases to exist */
}

bool xen_guest_has(xen_host *h, uint32_t domid, const char *key)
{
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    unsigned int len = 0;
    char *value = xs_read(h->xs, XBT_NULL, path, &len);
    bool yes = value && len == 1 && value[0] == '1';
    free(value); /* xs_read's malloc() */
    return yes;
}

int xen_guest_request(xen_host *h, uint32_t domid, const char *request)
{
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    if (!xs_write(h->xs, XBT_NULL, path, request, (unsigned int)strlen(request)))
        return xen_error_native(VMHI_E_BACKEND, "xs_write", "xen: cannot write %s: %s", path,
                                strerror(errno));
    return VMHI_OK;
}

/* ----------------------------------------------------------------- hosts */

/* One host per process: a second state directory in the same process is
 * refused (libxl allows one context to own SIGCHLD-free children, and
 * one toolstack per dom0 is what Xen expects anyway). */
static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static xen_host *the_host;

static void host_free(xen_host *h)
{
    if (h->thread_started)
        xen_events_stop(h);
    xen_events_close_pipes(h);
    while (h->vms)
        xen_vm_remove(h, h->vms);
    if (h->ctx)
        libxl_ctx_free(h->ctx);
    if (h->logger)
        xtl_logger_destroy(h->logger);
    if (h->xs)
        xs_close(h->xs);
    xen_store_fini(h);
    free(h->kids); /* realloc()ed by fork_replacement */
    pthread_mutex_destroy(&h->kids_lock);
    pthread_mutex_destroy(&h->conns_lock);
    pthread_mutex_destroy(&h->lock);
    xen_free(h->state_dir);
    xen_free(h->run_dir);
    xen_free(h);
}

static int host_new(const char *state_dir, xen_host **out)
{
    xen_host *h = xen_alloc(sizeof(*h));
    if (!h)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->conns_lock, NULL);
    pthread_mutex_init(&h->kids_lock, NULL);
    h->lock_fd = -1;
    h->wake[0] = h->wake[1] = h->reap_wake[0] = h->reap_wake[1] = -1;
    h->state_dir = xen_strdup(state_dir);
    h->run_dir = xen_asprintf("%s/run", state_dir);
    h->next_mac = (uint32_t)getpid() << 8;
    int rc = h->state_dir && h->run_dir ? VMHI_OK : xen_error(VMHI_E_NOMEM, "xen: out of memory");
    if (rc == VMHI_OK)
        rc = xen_store_init(h);
    if (rc == VMHI_OK && !(h->logger = logger_new(h)))
        rc = xen_error(VMHI_E_NOMEM, "xen: out of memory");
    if (rc == VMHI_OK) {
        int lrc = libxl_ctx_alloc(&h->ctx, LIBXL_VERSION, 0, h->logger);
        if (lrc)
            rc = xen_error_native(VMHI_E_CONNECTION, "libxl_ctx_alloc",
                                  "xen: cannot open libxl (%d%s%s): is this a Xen dom0 with "
                                  "xenstored running and /proc/xen mounted?", lrc,
                                  libxl_last[0] ? ": " : "", libxl_last);
    }
    if (rc == VMHI_OK && !(h->xs = xs_open(0)))
        rc = xen_error_native(VMHI_E_CONNECTION, "xs_open", "xen: cannot open xenstore: %s",
                              strerror(errno));
    if (rc == VMHI_OK) {
        xen_children_setup(h);
        rc = xen_store_load(h);
    }
    if (rc == VMHI_OK)
        rc = xen_events_start(h);
    if (rc < 0) {
        host_free(h);
        return rc;
    }
    *out = h;
    return VMHI_OK;
}

int xen_host_attach(xen_conn *c, const char *state_dir)
{
    pthread_mutex_lock(&hosts_lock);
    int rc = VMHI_OK;
    if (the_host && strcmp(the_host->state_dir, state_dir) != 0)
        rc = xen_error(VMHI_E_BUSY, "xen: this process already manages Xen from %s; one "
                       "state directory per process", the_host->state_dir);
    else if (!the_host)
        rc = host_new(state_dir, &the_host);
    if (rc == VMHI_OK) {
        xen_host *h = the_host;
        pthread_mutex_lock(&h->lock);
        pthread_mutex_lock(&h->conns_lock);
        c->host = h;
        c->next = h->conns;
        h->conns = c;
        h->refs++;
        pthread_mutex_unlock(&h->conns_lock);
        pthread_mutex_unlock(&h->lock);
    }
    pthread_mutex_unlock(&hosts_lock);
    return rc;
}

void xen_host_detach(xen_conn *c)
{
    xen_host *h = c->host;
    pthread_mutex_lock(&hosts_lock);
    pthread_mutex_lock(&h->lock);
    pthread_mutex_lock(&h->conns_lock);
    for (xen_conn **p = &h->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    unsigned left = --h->refs;
    pthread_mutex_unlock(&h->conns_lock);
    pthread_mutex_unlock(&h->lock);
    if (left == 0) {
        /* Running domains keep running; the next host finds them again
         * through their runtime records (xen_store_load). */
        host_free(h);
        the_host = NULL;
    }
    pthread_mutex_unlock(&hosts_lock);
    c->host = NULL;
}
