/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Hosts, the VM table, state changes and event delivery.
 *
 * A host is one set of state directories (kvm:///system, or one user's
 * kvm:///session).  The connections of a process that open the same
 * directories share one host: one VM table, one QMP connection per QEMU,
 * one monitor thread.  A child of fork() never reuses its parent's hosts
 * (their lock and threads did not come along): it opens the directories
 * itself and finds them locked while the parent holds them.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kvm_host *registry;

/* ---------------------------------------------------------------- errors */

/* The error a slot reported, kept across the clean-up calls that follow it
 * (public config calls clear the last error): the core's saved-error
 * service holds the copy, one per thread, released when the thread ends. */
static pthread_key_t saved_key;
static pthread_once_t saved_once = PTHREAD_ONCE_INIT;

static void saved_discard(void *saved)
{
    kvm_core->error_discard(saved);
}

static void saved_key_create(void)
{
    pthread_key_create(&saved_key, saved_discard);
}

static vmhi_saved_error *saved_take(void)
{
    pthread_once(&saved_once, saved_key_create);
    vmhi_saved_error *saved = pthread_getspecific(saved_key);
    pthread_setspecific(saved_key, NULL);
    return saved;
}

int kvm_error_native(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kvm_core->set_error_v(code, native, fmt, ap);
    va_end(ap);
    kvm_core->error_discard(saved_take());
    pthread_setspecific(saved_key, kvm_core->error_save());
    return rc;
}

int kvm_keep_error(int rc)
{
    if (rc >= 0 || vmhi_error_last_code() == rc)
        return rc;
    vmhi_saved_error *saved = saved_take();
    if (saved && kvm_core->error_restore(saved) == rc)
        return rc;
    return kvm_core->set_error(rc, NULL, "kvm: the operation failed (%s)", vmhi_strerror(rc));
}

void kvm_error_begin(void)
{
    kvm_core->error_discard(saved_take());
}

const char *kvm_last_message(void)
{
    static _Thread_local char copy[512];
    snprintf(copy, sizeof(copy), "%s", vmhi_error_last_message());
    return copy;
}

/* ------------------------------------------------------------ utilities */

void *kvm_alloc(size_t size)
{
    void *p = kvm_core->alloc(size ? size : 1);
    if (!p) {
        kvm_error(VMHI_E_NOMEM, "kvm: out of memory");
        return NULL;
    }
    memset(p, 0, size);
    return p;
}

void kvm_free(void *ptr)
{
    if (ptr)
        kvm_core->dealloc(ptr);
}

char *kvm_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = kvm_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *kvm_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = kvm_alloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

uint64_t kvm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Set by each operation as it takes the lock: the monitor thread makes
 * no synchronous QMP calls, so a thread's operation owns its value. */
static _Thread_local unsigned int call_timeout_ms;

void kvm_lock_conn(void *priv)
{
    kvm_conn *c = priv;
    call_timeout_ms = kvm_core->timeout_ms(c->conn);
    kvm_error_begin();
    pthread_mutex_lock(&c->host->lock);
}

unsigned int kvm_call_timeout_ms(void)
{
    return call_timeout_ms ? call_timeout_ms : KVM_CALL_TIMEOUT_MS;
}

int kvm_unlock(kvm_host *h, int rc)
{
    call_timeout_ms = 0;
    pthread_mutex_unlock(&h->lock);
    return kvm_keep_error(rc);
}

/* ---------------------------------------------------------------- hosts */

static kvm_host *host_new(const kvm_paths *paths)
{
    kvm_host *h = kvm_alloc(sizeof(*h));
    if (!h)
        return NULL;
    h->lock_fd = -1;
    h->owner = getpid();
    h->paths.data_dir = kvm_strdup(paths->data_dir);
    h->paths.run_dir = kvm_strdup(paths->run_dir);
    h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (!h->paths.data_dir || !h->paths.run_dir || h->wake_fd < 0) {
        if (h->wake_fd < 0)
            kvm_error(VMHI_E_IO, "kvm: cannot create an eventfd");
        kvm_paths_free(&h->paths);
        if (h->wake_fd >= 0)
            close(h->wake_fd);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->changed);
        kvm_free(h);
        return NULL;
    }
    return h;
}

/* Frees a host nobody uses (monitor stopped): QEMUs keep running. */
static void host_free(kvm_host *h)
{
    for (size_t i = 0; i < h->nvms; i++)
        kvm_vm_free(h->vms[i]);
    kvm_free(h->vms);
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    close(h->wake_fd);
    kvm_paths_free(&h->paths);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->changed);
    kvm_free(h);
}

static void link_conn(kvm_host *h, kvm_conn *c)
{
    pthread_mutex_lock(&h->lock);
    c->host = h;
    c->next = h->conns;
    h->conns = c;
    h->refs++;
    pthread_mutex_unlock(&h->lock);
}

static int host_open(kvm_conn *c, const kvm_paths *paths, kvm_host **out)
{
    int rc = kvm_store_mkdirs(paths->data_dir);
    if (rc == VMHI_OK)
        rc = kvm_store_mkdirs(paths->run_dir);
    if (rc < 0)
        return rc;
    kvm_host *h = host_new(paths);
    if (!h)
        return VMHI_E_NOMEM;
    rc = kvm_store_lock(h);
    if (rc == VMHI_OK) {
        link_conn(h, c); /* first, so that loading can log */
        pthread_mutex_lock(&h->lock);
        rc = kvm_store_load_defs(h);
        if (rc == VMHI_OK)
            rc = kvm_suspend_load(h);
        if (rc == VMHI_OK)
            rc = kvm_runstate_load(h);
        pthread_mutex_unlock(&h->lock);
    }
    if (rc < 0) {
        pthread_mutex_lock(&h->lock);
        h->conns = NULL;
        pthread_mutex_unlock(&h->lock);
        c->host = NULL;
        kvm_monitor_stop(h);
        host_free(h);
        return rc;
    }
    *out = h;
    return VMHI_OK;
}

int kvm_host_attach(kvm_conn *c, const kvm_paths *paths)
{
    pthread_mutex_lock(&registry_lock);
    kvm_host *h = registry;
    while (h && (h->owner != getpid() || strcmp(h->paths.data_dir, paths->data_dir) != 0 ||
                 strcmp(h->paths.run_dir, paths->run_dir) != 0))
        h = h->next;
    int rc = VMHI_OK;
    if (h) {
        link_conn(h, c);
    } else if ((rc = host_open(c, paths, &h)) == VMHI_OK) {
        h->next = registry;
        registry = h;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

void kvm_host_detach(kvm_conn *c)
{
    kvm_host *h = c->host;
    pthread_mutex_lock(&registry_lock);
    pthread_mutex_lock(&h->lock);
    for (kvm_conn **p = &h->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    bool last = --h->refs == 0;
    if (last) {
        for (kvm_host **p = &registry; *p; p = &(*p)->next) {
            if (*p == h) {
                *p = h->next;
                break;
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&registry_lock);
    c->host = NULL;
    if (last) {
        kvm_monitor_stop(h);
        host_free(h);
    }
}

/* ------------------------------------------------------------- VM table */

void kvm_vm_free(kvm_vm *vm)
{
    if (!vm)
        return;
    if (vm->run) {
        vm->run->exited = true; /* detached from its QEMU, which keeps running */
        kvm_run_unref(vm->run);
    }
    vmhi_vm_config_free(vm->def);
    vmhi_vm_config_free(vm->live);
    kvm_saved_free(vm->saved);
    kvm_free(vm);
}

kvm_vm *kvm_host_find_uuid(kvm_host *h, const char *uuid)
{
    for (size_t i = 0; i < h->nvms; i++)
        if (strcmp(h->vms[i]->uuid, uuid) == 0)
            return h->vms[i];
    return NULL;
}

kvm_vm *kvm_host_find_name(kvm_host *h, const char *name)
{
    for (size_t i = 0; i < h->nvms; i++)
        if (strcmp(h->vms[i]->name, name) == 0)
            return h->vms[i];
    return NULL;
}

int kvm_host_get_vm(kvm_host *h, const char *uuid, kvm_vm **out)
{
    /* Calls on a VM whose QEMU is being spawned wait for the start to end,
     * so that they see its outcome (serialized, as on one connection). */
    while ((*out = kvm_host_find_uuid(h, uuid)) && (*out)->busy &&
           !pthread_equal((*out)->busy_owner, pthread_self()))
        pthread_cond_wait(&h->changed, &h->lock);
    if (!*out)
        return kvm_error(VMHI_E_NO_VM, "kvm: no VM with UUID %s (it may have been undefined, "
                         "or was transient and stopped)", uuid);
    return VMHI_OK;
}

void kvm_vm_claim(kvm_vm *vm)
{
    vm->busy = true;
    vm->busy_owner = pthread_self();
}

void kvm_vm_release(kvm_host *h, const char *uuid)
{
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    if (vm && vm->busy && pthread_equal(vm->busy_owner, pthread_self()))
        vm->busy = false;
    pthread_cond_broadcast(&h->changed);
}

int kvm_host_add_vm(kvm_host *h, kvm_vm *vm)
{
    if (h->nvms >= KVM_MAX_VMS)
        return kvm_error(VMHI_E_LIMIT, "kvm: %u VMs are defined already, the most this "
                         "backend manages; undefine one first", KVM_MAX_VMS);
    if (h->nvms == h->vms_cap) {
        size_t cap = h->vms_cap ? h->vms_cap * 2 : 16;
        kvm_vm **vms = kvm_alloc(cap * sizeof(*vms));
        if (!vms)
            return VMHI_E_NOMEM;
        if (h->nvms)
            memcpy(vms, h->vms, h->nvms * sizeof(*vms));
        kvm_free(h->vms);
        h->vms = vms;
        h->vms_cap = cap;
    }
    h->vms[h->nvms++] = vm;
    return VMHI_OK;
}

void kvm_host_remove_vm(kvm_host *h, kvm_vm *vm)
{
    for (size_t i = 0; i < h->nvms; i++) {
        if (h->vms[i] == vm) {
            memmove(&h->vms[i], &h->vms[i + 1], (h->nvms - i - 1) * sizeof(h->vms[0]));
            h->nvms--;
            break;
        }
    }
    kvm_vm_free(vm);
}

/* ------------------------------------------------------ states and flags */

bool kvm_state_is_active(vmhi_vm_state st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_PAUSED ||
           st == VMHI_STATE_SHUTTING_DOWN;
}

static void describe_states(unsigned int mask, char *buf, size_t size)
{
    size_t n = 0, count = 0, total = 0;
    for (int st = VMHI_STATE_SHUTOFF; st <= VMHI_STATE_CRASHED; st++)
        total += (mask & VMHI_STATE_BIT(st)) != 0;
    buf[0] = '\0';
    for (int st = VMHI_STATE_SHUTOFF; st <= VMHI_STATE_CRASHED && n < size; st++) {
        if (!(mask & VMHI_STATE_BIT(st)))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " or " : ", ";
        int w = snprintf(buf + n, size - n, "%s%s", sep, vmhi_vm_state_name((vmhi_vm_state)st));
        n += w > 0 ? (size_t)w : 0;
        count++;
    }
}

int kvm_require_state(const kvm_vm *vm, const char *op, unsigned int allowed)
{
    if (allowed & VMHI_STATE_BIT(vm->state))
        return VMHI_OK;
    char states[128];
    describe_states(allowed, states, sizeof(states));
    return kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is %s; %s needs %s", vm->name,
                     vmhi_vm_state_name(vm->state), op, states);
}

int kvm_resolve_affect(const kvm_vm *vm, unsigned int flags, const char *what,
                       unsigned int *resolved)
{
    if (flags & ~(unsigned int)(VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG))
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: unknown flags 0x%x for %s; use "
                         "VMHI_AFFECT_LIVE and/or VMHI_AFFECT_CONFIG", flags, what);
    bool active = kvm_state_is_active(vm->state) && vm->run;
    if (flags == VMHI_AFFECT_CURRENT)
        flags = active ? VMHI_AFFECT_LIVE : VMHI_AFFECT_CONFIG;
    if ((flags & VMHI_AFFECT_LIVE) && !active)
        return kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is %s; a live %s needs it running, "
                         "paused or shutting-down (use VMHI_AFFECT_CONFIG to change the "
                         "definition)", vm->name, vmhi_vm_state_name(vm->state), what);
    if ((flags & VMHI_AFFECT_CONFIG) && !vm->def)
        return kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; a config %s needs a "
                         "persistent VM (define it first, or use VMHI_AFFECT_LIVE)",
                         vm->name, what);
    *resolved = flags;
    return VMHI_OK;
}

const vmhi_vm_config *kvm_vm_current(const kvm_vm *vm)
{
    if (vm->live && (kvm_state_is_active(vm->state) || !vm->def))
        return vm->live;
    return vm->def;
}

void kvm_emit(kvm_host *h, const kvm_vm *vm, vmhi_event_type type, const char *device_id,
              uint64_t value)
{
    vmhi_backend_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.struct_size = sizeof(ev);
    ev.type = type;
    ev.uuid = vm->uuid;
    ev.name = vm->name;
    if (type == VMHI_EVENT_LIFECYCLE) {
        ev.state = vm->state;
        ev.reason = vm->reason;
    }
    ev.device_id = device_id;
    ev.value = value;
    for (kvm_conn *c = h->conns; c; c = c->next)
        if (c->event_mask & (unsigned int)type)
            kvm_core->emit_event(c->conn, &ev);
}

void kvm_vm_transition(kvm_host *h, kvm_vm *vm, vmhi_vm_state st, vmhi_state_reason why)
{
    vm->state = st;
    vm->reason = why;
    bool gone = st == VMHI_STATE_SHUTOFF && !vm->def;
    if (st == VMHI_STATE_SHUTOFF) {
        vmhi_vm_config_free(vm->live);
        vm->live = NULL;
        kvm_runstate_remove(h, vm->uuid);
    } else if (st == VMHI_STATE_SUSPENDED) {
        kvm_runstate_remove(h, vm->uuid); /* its record is in the data directory */
    } else {
        kvm_runstate_save(h, vm);
    }
    pthread_cond_broadcast(&h->changed);
    kvm_emit(h, vm, VMHI_EVENT_LIFECYCLE, NULL, 0);
    if (gone)
        kvm_host_remove_vm(h, vm);
}
