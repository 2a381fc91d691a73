/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Simulated hosts: their life cycle, the VM table, state changes and
 * event delivery.  A test:///default connection gets a private host; the
 * connections of one process that open the same directory share one host
 * (refcounted, keyed by the canonical path), so they see the same VMs and
 * each other's events.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tb.h"

/* Directory hosts of this process; the lock also serializes their loading. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static tb_host *registry;

int tb_error_native(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tb_core->set_error_v(code, native, fmt, ap);
    va_end(ap);
    return rc;
}

void tb_lock(tb_host *h)
{
    pthread_mutex_lock(&h->lock);
}

int tb_unlock(tb_host *h, int rc)
{
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void *tb_alloc(size_t size)
{
    void *p = tb_core->alloc(size);
    if (!p) {
        tb_error(VMHI_E_NOMEM, "test backend: out of memory");
        return NULL;
    }
    memset(p, 0, size);
    return p;
}

void tb_free(void *ptr)
{
    if (ptr)
        tb_core->dealloc(ptr);
}

char *tb_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = tb_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

uint64_t tb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- hosts */

static int init_monotonic_cond(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

static int host_new(tb_host **out)
{
    tb_host *h = tb_alloc(sizeof(*h));
    if (!h)
        return VMHI_E_NOMEM;
    h->lock_fd = -1;
    h->pid = getpid();
    int err = pthread_mutex_init(&h->lock, NULL);
    if (!err && (err = init_monotonic_cond(&h->work)) != 0)
        pthread_mutex_destroy(&h->lock);
    if (err) {
        tb_free(h);
        return tb_error(VMHI_E_INTERNAL, "test backend: cannot create a lock: %s",
                        strerror(err));
    }
    *out = h;
    return VMHI_OK;
}

/* Frees a host nobody uses any more (worker already stopped). */
static void host_free(tb_host *h)
{
    for (size_t i = 0; i < h->nvms; i++)
        tb_vm_free(h->vms[i]);
    tb_free(h->vms);
    tb_index_free(&h->by_uuid);
    tb_index_free(&h->by_name);
    while (h->tasks) {
        tb_task *t = h->tasks;
        h->tasks = t->next;
        tb_free(t);
    }
    if (h->lock_fd >= 0)
        close(h->lock_fd); /* releases the flock */
    tb_free(h->dir);
    pthread_cond_destroy(&h->work);
    pthread_mutex_destroy(&h->lock);
    tb_free(h);
}

static void link_conn(tb_host *h, tb_conn *c)
{
    pthread_mutex_lock(&h->lock);
    c->host = h;
    c->next = h->conns;
    h->conns = c;
    h->refs++;
    pthread_mutex_unlock(&h->lock);
}

/* Opens, locks and loads the directory host for canonical path @canon
 * (taken over) and attaches @c to it; @c is linked first so that loading
 * can log through it. */
static int dir_host_open(tb_conn *c, char *canon, tb_host **out)
{
    tb_host *h = NULL;
    int rc = host_new(&h);
    if (rc < 0) {
        tb_free(canon);
        return rc;
    }
    h->dir = canon;
    rc = tb_store_lock(h);
    if (rc == VMHI_OK) {
        link_conn(h, c);
        rc = tb_store_load(h);
    }
    if (rc < 0) {
        c->host = NULL;
        h->conns = NULL;
        host_free(h);
        return rc;
    }
    *out = h;
    return VMHI_OK;
}

int tb_host_attach(tb_conn *c, const char *dir)
{
    if (!dir) {
        tb_host *h = NULL;
        int rc = host_new(&h);
        if (rc == VMHI_OK)
            link_conn(h, c);
        return rc;
    }
    char *canon = NULL;
    int rc = tb_store_prepare_dir(dir, &canon);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&registry_lock);
    /* A child of fork() inherits a copy of its parent's hosts but not their
     * lock or threads: it must open the directory itself (and find it locked). */
    tb_host *h = registry;
    while (h && (h->pid != getpid() || strcmp(h->dir, canon) != 0))
        h = h->next;
    if (h) {
        tb_free(canon);
        link_conn(h, c);
    } else {
        rc = dir_host_open(c, canon, &h);
        if (rc == VMHI_OK) {
            h->next = registry;
            registry = h;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

static void registry_unlink(tb_host *h)
{
    for (tb_host **p = &registry; *p; p = &(*p)->next) {
        if (*p == h) {
            *p = h->next;
            return;
        }
    }
}

void tb_host_detach(tb_conn *c)
{
    tb_host *h = c->host;
    pthread_mutex_lock(&registry_lock);
    pthread_mutex_lock(&h->lock);
    for (tb_conn **p = &h->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    bool last = --h->refs == 0;
    if (last && h->dir)
        registry_unlink(h);
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&registry_lock);
    c->host = NULL;
    if (last) {
        tb_guest_stop(h);
        host_free(h);
    }
}

/* ------------------------------------------------------------- VM table */

void tb_vm_free(tb_vm *vm)
{
    if (!vm)
        return;
    vmhi_vm_config_free(vm->def);
    vmhi_vm_config_free(vm->live);
    while (vm->pending) {
        tb_pending *p = vm->pending;
        vm->pending = p->next;
        tb_free(p);
    }
    tb_free(vm);
}

tb_vm *tb_host_find_uuid(tb_host *h, const char *uuid)
{
    return tb_index_find(&h->by_uuid, uuid, false);
}

tb_vm *tb_host_find_name(tb_host *h, const char *name)
{
    return tb_index_find(&h->by_name, name, true);
}

int tb_host_get_vm(tb_host *h, const char *uuid, tb_vm **out)
{
    *out = tb_host_find_uuid(h, uuid);
    if (!*out)
        return tb_error(VMHI_E_NO_VM, "test backend: no VM with UUID %s (it may have been "
                        "undefined, or was transient and stopped)", uuid);
    return VMHI_OK;
}

int tb_host_add_vm(tb_host *h, tb_vm *vm)
{
    if (h->nvms >= TB_MAX_VMS)
        return tb_error(VMHI_E_LIMIT, "test backend: the host already holds %u VMs, its "
                        "maximum; undefine one first", TB_MAX_VMS);
    if (tb_index_reserve(&h->by_uuid, h->vms, h->nvms, false) ||
        tb_index_reserve(&h->by_name, h->vms, h->nvms, true))
        return VMHI_E_NOMEM;
    if (h->nvms == h->vms_cap) {
        size_t cap = h->vms_cap ? h->vms_cap * 2 : 16;
        tb_vm **vms = tb_alloc(cap * sizeof(*vms));
        if (!vms)
            return VMHI_E_NOMEM;
        if (h->nvms)
            memcpy(vms, h->vms, h->nvms * sizeof(*vms));
        tb_free(h->vms);
        h->vms = vms;
        h->vms_cap = cap;
    }
    h->vms[h->nvms++] = vm;
    tb_index_insert(&h->by_uuid, vm, false);
    tb_index_insert(&h->by_name, vm, true);
    return VMHI_OK;
}

void tb_host_remove_vm(tb_host *h, tb_vm *vm)
{
    tb_index_remove(&h->by_uuid, vm, false);
    tb_index_remove(&h->by_name, vm, true);
    for (size_t i = 0; i < h->nvms; i++) {
        if (h->vms[i] == vm) {
            /* Keep the order: listings stay in definition order. */
            memmove(&h->vms[i], &h->vms[i + 1], (h->nvms - i - 1) * sizeof(h->vms[0]));
            h->nvms--;
            break;
        }
    }
    tb_vm_free(vm);
}

bool tb_state_is_active(vmhi_vm_state st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_PAUSED ||
           st == VMHI_STATE_SHUTTING_DOWN;
}

uint64_t tb_host_memory_in_use(tb_host *h, const tb_vm *except)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < h->nvms; i++) {
        const tb_vm *vm = h->vms[i];
        if (vm != except && tb_state_is_active(vm->state) && vm->live)
            sum += vmhi_vm_config_get_memory_mib(vm->live);
    }
    return sum;
}

int tb_host_check_memory(tb_host *h, const tb_vm *vm, uint64_t mib)
{
    uint64_t used = tb_host_memory_in_use(h, vm);
    /* No VM may be larger than the host (the per-VM limit says so), so what
     * is missing is held by other VMs: a retry may work (ERR-14). */
    if (used + mib > TB_HOST_MEMORY_MIB)
        return tb_error(VMHI_E_TRY_AGAIN,
                        "test backend: VM '%s' needs %llu MiB but only %llu of the host's "
                        "%u MiB are free; stop another VM or give this one less memory",
                        vm ? vm->name : "", (unsigned long long)mib,
                        (unsigned long long)(TB_HOST_MEMORY_MIB - used), TB_HOST_MEMORY_MIB);
    return VMHI_OK;
}

/* ------------------------------------------------------ states and flags */

/* "shutoff, suspended or crashed" for a mask of state bits. */
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

int tb_require_state(const tb_vm *vm, const char *op, unsigned int allowed)
{
    if (allowed & VMHI_STATE_BIT(vm->state))
        return VMHI_OK;
    char states[128];
    describe_states(allowed, states, sizeof(states));
    return tb_error(VMHI_E_INVALID_STATE, "VM '%s' is %s; %s needs %s", vm->name,
                    vmhi_vm_state_name(vm->state), op, states);
}

int tb_resolve_affect(const tb_vm *vm, unsigned int flags, const char *what,
                      unsigned int *resolved)
{
    if (flags & ~(unsigned int)(VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG))
        return tb_error(VMHI_E_INVALID_ARG, "test backend: unknown flags 0x%x for %s; use "
                        "VMHI_AFFECT_LIVE and/or VMHI_AFFECT_CONFIG", flags, what);
    bool active = tb_state_is_active(vm->state);
    if (flags == VMHI_AFFECT_CURRENT)
        flags = active ? VMHI_AFFECT_LIVE : VMHI_AFFECT_CONFIG;
    if ((flags & VMHI_AFFECT_LIVE) && !active)
        return tb_error(VMHI_E_INVALID_STATE, "VM '%s' is %s; a live %s needs it running, "
                        "paused or shutting-down (VMHI_AFFECT_CONFIG works on the "
                        "definition)", vm->name, vmhi_vm_state_name(vm->state), what);
    if ((flags & VMHI_AFFECT_CONFIG) && !vm->def)
        return tb_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; a config %s needs a "
                        "persistent VM (define it first, or use VMHI_AFFECT_LIVE)",
                        vm->name, what);
    *resolved = flags;
    return VMHI_OK;
}

/* States in which the vCPUs consume CPU time. */
static bool cpu_runs(vmhi_vm_state st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_SHUTTING_DOWN;
}

uint64_t tb_vm_cpu_time(const tb_vm *vm)
{
    if (!tb_state_is_active(vm->state))
        return 0;
    uint64_t t = vm->cpu_ns;
    if (cpu_runs(vm->state))
        t += tb_now_ns() - vm->run_since_ns;
    return t;
}

int tb_vm_replace_def(tb_host *h, tb_vm *vm, vmhi_vm_config *def)
{
    int rc = tb_store_save_def(h, vm, def);
    if (rc < 0)
        return rc;
    vmhi_vm_config_free(vm->def);
    vm->def = def;
    return VMHI_OK;
}

const vmhi_vm_config *tb_vm_current(const tb_vm *vm)
{
    if (tb_state_is_active(vm->state) || !vm->def)
        return vm->live;
    return vm->def;
}

/* ---------------------------------------------------------------- events */

void tb_emit(tb_host *h, const tb_vm *vm, vmhi_event_type type, const char *device_id,
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
    for (tb_conn *c = h->conns; c; c = c->next)
        if (c->event_mask & (unsigned int)type)
            tb_core->emit_event(c->conn, &ev);
}

/* A stop or a save ends pending detaches: the device is gone either way. */
static void finish_pending(tb_host *h, tb_vm *vm)
{
    while (vm->pending) {
        tb_pending *p = vm->pending;
        vm->pending = p->next;
        if (vm->live) {
            if (p->type == VMHI_DEVICE_DISK)
                vmhi_vm_config_remove_disk(vm->live, p->id);
            else
                vmhi_vm_config_remove_nic(vm->live, p->id);
        }
        tb_emit(h, vm, VMHI_EVENT_DEVICE_REMOVED, p->id, 0);
        tb_free(p);
    }
}

void tb_vm_transition(tb_host *h, tb_vm *vm, vmhi_vm_state st, vmhi_state_reason why)
{
    uint64_t now = tb_now_ns();
    bool was_running = cpu_runs(vm->state), runs = cpu_runs(st);
    if (was_running && !runs)
        vm->cpu_ns += now - vm->run_since_ns;
    if (!was_running && runs)
        vm->run_since_ns = now;
    vm->state = st;
    vm->reason = why;
    vm->epoch++;
    bool gone = st == VMHI_STATE_SHUTOFF && !vm->def;
    if (st == VMHI_STATE_SHUTOFF) {
        vmhi_vm_config_free(vm->live);
        vm->live = NULL;
        vm->cpu_ns = 0;
    }
    if (gone)
        tb_store_remove_state(h, vm->uuid);
    tb_emit(h, vm, VMHI_EVENT_LIFECYCLE, NULL, 0);
    if (!tb_state_is_active(st))
        finish_pending(h, vm);
    if (gone)
        tb_host_remove_vm(h, vm);
    else
        tb_store_save_state(h, vm);
}
