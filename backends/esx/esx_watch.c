/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The watcher and events.
 *
 * A thread per connection follows the server with a property-collector
 * filter of its own (CreatePropertyCollector + CreateFilter on the VMs of
 * the connection's scope: name, UUID, power state, template flag) and
 * WaitForUpdatesEx on its own HTTP channel, in the connection's session.
 * What it learns goes into the cache, so that a VM powered on or off by
 * someone else is seen without asking, and state changes nobody asked this
 * connection for (another client, the guest, the host) become LIFECYCLE
 * events (EV-2, EV-11).  The watcher never logs in (credentials are asked
 * for in the thread of a call): when the session is gone it marks it
 * stale, the next call on the connection logs in again, and the watcher
 * builds its filter anew in the new session.
 *
 * Events of our own operations are reported by the operations themselves,
 * before they return (EV-10): while one is in flight on a VM
 * (esx_event_begin ... esx_event_end) the changes observed on that VM are
 * not reported, and each VM remembers the state and reason last reported,
 * so that whoever sees a change first reports it once.
 *
 * Freshness: an update applies to a cached entry only when the change
 * it carries is known to be newer than the entry's last read; otherwise
 * it may be older than what the cache holds, and the watcher reads that
 * VM again instead.  A change is not as new as the request that brought
 * it: servers may queue changes between two waits, each with the values
 * of its moment (the vSphere simulator does, and hands them over in one
 * batch), so what an answer brings is only known to be no older than the
 * previous wait's request (esx_watch_changes_since()).  Taking the
 * request's own send time let a start's queued "poweredOn" arrive after
 * the following poweroff was reported and report the VM running, then
 * off, again: two events too many in conformance many_threads_one_connection
 * under load (issue #11).  Entries read by a listing answer lookups and get_info
 * for cache_ms (configuration changes of other clients reach the cache
 * only through reads: not every server pushes them).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define WAIT_SECONDS 20u    /* the longest one WaitForUpdatesEx blocks */
#define RETRY_MIN_MS 50u
#define RETRY_MAX_MS 1000u

static const char *const watched[] = { "name", "config.uuid", "runtime.powerState",
                                       "config.template", "config.extraConfig", NULL };

bool esx_cache_trusted(esx_conn *c, const esx_vm *vm)
{
    uint64_t age = esx_now_ns() - vm->refreshed_ns;
    return !vm->dirty && c->cache.complete && age < (uint64_t)c->opts.cache_ms * 1000000u;
}

/* -------------------------------------------------------------- events */

static void emit(esx_conn *c, const esx_vm *vm, vmhi_event_type type, vmhi_vm_state st,
                 vmhi_state_reason why, const char *device_id, uint64_t value)
{
    vmhi_backend_event ev = { 0 };
    ev.struct_size = sizeof(ev);
    ev.type = type;
    ev.uuid = vm->uuid;
    ev.name = vm->name;
    ev.state = st;
    ev.reason = why;
    ev.device_id = device_id;
    ev.value = value;
    esx_core->emit_event(c->conn, &ev);
}

/* Reports @vm's state unless it was the last reported (or @force). */
static void report_state(esx_conn *c, esx_vm *vm, bool force)
{
    vmhi_vm_state st = esx_vm_state(vm);
    vmhi_state_reason why = esx_vm_reason(vm);
    if (force || !vm->w_seen || st != vm->w_state || why != vm->w_reason)
        emit(c, vm, VMHI_EVENT_LIFECYCLE, st, why, NULL, 0);
    vm->w_seen = true;
    vm->w_state = st;
    vm->w_reason = why;
}

void esx_event_observed(esx_conn *c, esx_vm *vm)
{
    if (vm->busy)
        return;
    /* First sight: nothing to compare with.  Whatever read it first - a
     * listing, which brings no UUID, or the watcher - this is the state
     * the application may have seen, so it is the baseline even before
     * the UUID is known.  (Waiting for the UUID left a listed VM without
     * one until the watcher's first report, which then took a change made
     * meanwhile by another client for the first sight and lost its event:
     * the esx.test_esx_events flake of issue #11, seen when the watcher
     * thread started late on a loaded machine.) */
    if (!vm->w_seen) {
        vm->w_seen = true;
        vm->w_state = esx_vm_state(vm);
        vm->w_reason = esx_vm_reason(vm);
        return;
    }
    /* An event names the VM by UUID; a change seen before the UUID is
     * known is reported once it is (w_state still holds the old state). */
    if (!vm->uuid[0] || vm->template_vm)
        return;
    report_state(c, vm, false);
}

void esx_event_begin(esx_conn *c, const char *moref)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm)
        vm->busy++;
    esx_unlock(c);
}

void esx_event_end(esx_conn *c, const char *moref, bool force)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm) {
        if (vm->busy)
            vm->busy--;
        if (!vm->busy)
            report_state(c, vm, force);
    }
    esx_unlock(c);
}

void esx_event_quiet(esx_conn *c, const char *moref)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm) {
        vm->w_seen = true;
        vm->w_state = esx_vm_state(vm);
        vm->w_reason = esx_vm_reason(vm);
    }
    esx_unlock(c);
}

void esx_event_emit(esx_conn *c, const esx_vm *vm, vmhi_event_type type, const char *device_id,
                    uint64_t value)
{
    emit(c, vm, type, esx_vm_state(vm), esx_vm_reason(vm), device_id, value);
}

int esx_events_enable(void *priv, unsigned int mask)
{
    esx_conn *c = priv;
    esx_lock(c);
    c->watch.mask = mask;
    esx_unlock(c);
    return VMHI_OK;
}

/* ------------------------------------------------------------ the wire */

/* One call on the watcher's channel; NotAuthenticated drops the filter. */
static int call(esx_conn *c, const char *method, const esx_buf *body, esx_reply *out,
                unsigned int timeout_ms)
{
    char fault[64] = "";
    esx_watch *w = &c->watch;
    if (body->oom)
        return VMHI_E_NOMEM;
    int rc = esx_transport_post(&w->channel, body->data, body->len, timeout_ms);
    if (rc == VMHI_OK)
        rc = esx_codec_parse(method, w->channel.response.data, w->channel.response.len,
                             w->channel.status, out, fault);
    if (strcmp(fault, "NotAuthenticated") == 0) {
        pthread_mutex_lock(&c->session.lock);
        if (c->session.generation == w->session_gen)
            c->session.stale = true; /* the next call logs in again */
        pthread_mutex_unlock(&c->session.lock);
    }
    if (rc < 0 && !atomic_load(&w->stop))
        esx_log(c, VMHI_LOG_DEBUG, "watcher: %s failed: %s", method, vmhi_error_last_message());
    return rc;
}

static unsigned int short_timeout(const esx_conn *c)
{
    unsigned int app = esx_core->timeout_ms(c->conn);
    return app ? app : c->opts.timeout_ms;
}

static int create_collector(esx_conn *c)
{
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "CreatePropertyCollector", "PropertyCollector",
                   c->refs.property_collector);
    esx_soap_end(&b, "CreatePropertyCollector");
    int rc = call(c, "CreatePropertyCollector", &b, &r, short_timeout(c));
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    esx_xml_child_text(r.result, "returnval", c->watch.collector, sizeof(c->watch.collector));
    esx_reply_free(&r);
    return c->watch.collector[0] ? VMHI_OK : VMHI_E_BACKEND;
}

static int create_filter(esx_conn *c)
{
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "CreateFilter", "PropertyCollector", c->watch.collector);
    esx_buf_add(&b, "<spec><propSet><type>VirtualMachine</type>");
    for (const char *const *p = watched; *p; p++)
        esx_buf_elem(&b, "pathSet", *p);
    esx_buf_add(&b, "</propSet>");
    esx_spec_object_set(c, &b);
    esx_buf_add(&b, "</spec><partialUpdates>false</partialUpdates>");
    esx_soap_end(&b, "CreateFilter");
    int rc = call(c, "CreateFilter", &b, &r, short_timeout(c));
    esx_buf_free(&b);
    if (rc == VMHI_OK)
        esx_reply_free(&r);
    return rc;
}

/* A collector and filter in the current session; the first update will
 * hold the state of every VM. */
static int watch_setup(esx_conn *c)
{
    esx_watch *w = &c->watch;
    pthread_mutex_lock(&c->session.lock);
    bool logged_in = c->session.cookie[0] != '\0';
    w->session_gen = c->session.generation;
    pthread_mutex_unlock(&c->session.lock);
    if (!logged_in)
        return VMHI_E_AUTH;
    w->version[0] = '\0';
    int rc = create_collector(c);
    if (rc == VMHI_OK)
        rc = create_filter(c);
    return rc;
}

/* --------------------------------------------------------------- updates */

static void want_reread(esx_reread *rr, const char *moref)
{
    if (rr->count < ESX_MAX_REREAD)
        esx_copy(rr->morefs[rr->count++], ESX_MOREF_MAX + 1, moref);
    else
        rr->overflow = true;
}

/* The first report of a VM read since we asked: only what no read told
 * us yet (UUID, template flag, extras) is taken from it. */
static void apply_unknown(esx_vm *vm, const xmlNode *ou)
{
    char name[32];
    bool template_known = vm->template_known, extras_known = vm->extras_known;
    for (const xmlNode *ch = esx_xml_child(ou, "changeSet"); ch;
         ch = esx_xml_next(ch, "changeSet")) {
        if (!esx_xml_child_text(ch, "name", name, sizeof(name)))
            continue;
        if ((strcmp(name, "config.template") == 0 && !template_known) ||
            (strcmp(name, "config.extraConfig") == 0 && !extras_known) ||
            (strcmp(name, "config.uuid") == 0 && !vm->uuid[0]))
            esx_vm_apply_prop(vm, name, esx_xml_child(ch, "val"));
    }
    if (!extras_known && !vm->extras_known)
        esx_vm_apply_prop(vm, "config.extraConfig", NULL); /* none set */
    if (!template_known && !vm->template_known)
        esx_vm_apply_prop(vm, "config.template", NULL);
}

/* Applies every change of an ObjectUpdate; the first report of a VM
 * leaves out what is not set. */
static void apply_changes(esx_vm *vm, const xmlNode *ou, bool enter)
{
    char name[128];
    bool extras = false, template = false;
    for (const xmlNode *ch = esx_xml_child(ou, "changeSet"); ch;
         ch = esx_xml_next(ch, "changeSet")) {
        if (!esx_xml_child_text(ch, "name", name, sizeof(name)))
            continue;
        esx_vm_apply_prop(vm, name, esx_xml_child(ch, "val"));
        extras = extras || strcmp(name, "config.extraConfig") == 0;
        template = template || strcmp(name, "config.template") == 0;
    }
    if (enter && !extras)
        esx_vm_apply_prop(vm, "config.extraConfig", NULL);
    if (enter && !template)
        esx_vm_apply_prop(vm, "config.template", NULL);
}

/* Applies one ObjectUpdate (lock held). */
static void apply_update(esx_conn *c, const xmlNode *ou, uint64_t since_ns, esx_reread *rr)
{
    char kind[16], moref[ESX_MOREF_MAX + 1];
    esx_xml_child_text(ou, "kind", kind, sizeof(kind));
    if (!esx_xml_child_text(ou, "obj", moref, sizeof(moref)) || !moref[0])
        return;
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (strcmp(kind, "leave") == 0) {
        if (vm && !vm->busy)
            esx_cache_remove(&c->cache, vm);
        return;
    }
    /* A VM this connection has not read yet (new, or before the first
     * listing): only its next read will give all of it. */
    if (!vm && esx_cache_upsert(&c->cache, moref, &vm) < 0)
        return;
    bool enter = strcmp(kind, "enter") == 0, applied = vm->refreshed_ns <= since_ns;
    char old_name[VMHI_NAME_MAX + 1], old_uuid[VMHI_UUID_STRLEN + 1];
    memcpy(old_name, vm->name, sizeof(old_name));
    memcpy(old_uuid, vm->uuid, sizeof(old_uuid));
    /* Read since the change: this may be older.  A change is worth a read;
     * the first report of every VM only fills in what no read told us
     * (a listing brings no UUID). */
    if (applied)
        apply_changes(vm, ou, enter);
    else if (enter)
        apply_unknown(vm, ou);
    else
        want_reread(rr, moref);
    /* Either way a UUID learnt here must reach the index: a lookup by
     * UUID trusts it, and a listing that finds nothing renamed does not
     * reindex (the NO_VM of esx.test_esx_events, issue #11). */
    if ((strcmp(old_name, vm->name) != 0 || strcmp(old_uuid, vm->uuid) != 0) &&
        esx_cache_reindex(&c->cache) < 0)
        c->cache.complete = false;
    if (applied && vm->known)
        esx_event_observed(c, vm);
}

uint64_t esx_watch_changes_since(const esx_watch *w, uint64_t sent_ns)
{
    return w->version[0] ? w->last_sent_ns : sent_ns;
}

void esx_watch_apply_updates(esx_conn *c, const xmlNode *set, uint64_t since_ns,
                             esx_reread *rr)
{
    esx_lock(c);
    for (const xmlNode *fs = esx_xml_child(set, "filterSet"); fs;
         fs = esx_xml_next(fs, "filterSet"))
        for (const xmlNode *ou = esx_xml_child(fs, "objectSet"); ou;
             ou = esx_xml_next(ou, "objectSet"))
            apply_update(c, ou, since_ns, rr);
    esx_unlock(c);
}

/* Reads VMs whose update came too late to be trusted, on our channel. */
static void read_again(esx_conn *c, const esx_reread *rr)
{
    for (size_t i = 0; i < rr->count && !atomic_load(&c->watch.stop); i++) {
        esx_buf b;
        esx_reply r;
        esx_buf_init(&b);
        esx_props_body(c, &b, "VirtualMachine", rr->morefs[i], esx_vm_props);
        uint64_t sent = esx_now_ns();
        int rc = call(c, "RetrievePropertiesEx", &b, &r, short_timeout(c));
        esx_buf_free(&b);
        if (rc < 0)
            continue;
        const xmlNode *object = esx_xml_child(esx_xml_child(r.result, "returnval"), "objects");
        esx_lock(c);
        esx_vm *vm = esx_cache_find_moref(&c->cache, rr->morefs[i]);
        if (!object && vm && !vm->busy)
            esx_cache_remove(&c->cache, vm);
        else if (object && vm && vm->refreshed_ns <= sent)
            esx_inventory_apply(c, rr->morefs[i], object, sent);
        esx_unlock(c);
        esx_reply_free(&r);
    }
    if (rr->overflow) { /* many at once: they are read again when used */
        esx_lock(c);
        for (size_t i = 0; i < c->cache.count; i++)
            c->cache.vms[i]->dirty = true;
        esx_unlock(c);
    }
}

/* One WaitForUpdatesEx; applies what it brings. */
static int wait_once(esx_conn *c)
{
    esx_watch *w = &c->watch;
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "WaitForUpdatesEx", "PropertyCollector", w->collector);
    if (w->version[0])
        esx_buf_elem(&b, "version", w->version);
    esx_buf_addf(&b, "<options><maxWaitSeconds>%u</maxWaitSeconds></options>", WAIT_SECONDS);
    esx_soap_end(&b, "WaitForUpdatesEx");
    uint64_t sent = esx_now_ns();
    int rc = call(c, "WaitForUpdatesEx", &b, &r, (WAIT_SECONDS + 30u) * 1000u);
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    const xmlNode *set = esx_xml_child(r.result, "returnval");
    char version[sizeof(w->version)];
    if (set && esx_xml_child_text(set, "version", version, sizeof(version))) {
        esx_reread *rr = esx_alloc(sizeof(*rr));
        if (!rr) {
            esx_reply_free(&r);
            return VMHI_E_NOMEM;
        }
        esx_watch_apply_updates(c, set, esx_watch_changes_since(w, sent), rr);
        esx_copy(w->version, sizeof(w->version), version);
        esx_reply_free(&r);
        read_again(c, rr);
        esx_free(rr);
    } else {
        esx_reply_free(&r);
    }
    /* The server has handed over what it queued until after this. */
    w->last_sent_ns = sent;
    atomic_store(&w->live, true);
    return VMHI_OK;
}

/* ---------------------------------------------------------------- thread */

static bool session_changed(esx_conn *c)
{
    pthread_mutex_lock(&c->session.lock);
    bool changed = c->session.generation != c->watch.session_gen;
    pthread_mutex_unlock(&c->session.lock);
    return changed;
}

/* Sleeps @ms unless stopped; returns false when stopping. */
static bool pause_ms(esx_conn *c, unsigned int ms)
{
    for (unsigned int slept = 0; slept < ms; slept += 10) {
        if (atomic_load(&c->watch.stop))
            return false;
        esx_sleep_ms(10);
    }
    return !atomic_load(&c->watch.stop);
}

static void *watch_main(void *arg)
{
    esx_conn *c = arg;
    esx_watch *w = &c->watch;
    unsigned int backoff = RETRY_MIN_MS;
    bool have_filter = false;
    while (!atomic_load(&w->stop)) {
        int rc = have_filter && !session_changed(c) ? wait_once(c) : watch_setup(c);
        if (rc == VMHI_OK) {
            have_filter = true;
            backoff = RETRY_MIN_MS;
            continue;
        }
        /* Gone session, server away, no memory: follow again later, in
         * whatever session the connection then has. */
        atomic_store(&w->live, false);
        have_filter = false;
        if (!pause_ms(c, backoff))
            break;
        backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
    }
    atomic_store(&w->live, false);
    return NULL;
}

int esx_watch_start(esx_conn *c)
{
    esx_watch *w = &c->watch;
    atomic_init(&w->stop, false);
    atomic_init(&w->live, false);
    int rc = esx_transport_init(&w->channel, &c->opts, &c->session, &w->stop);
    if (rc == VMHI_OK)
        rc = esx_transport_wakeable(&w->channel);
    w->channel_ready = true;
    if (rc < 0)
        return rc;
    /* The thread takes no signal of the application's (THR-4). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&w->thread, NULL, watch_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return esx_error(VMHI_E_NOMEM, "esx: cannot start the watcher thread (error %d)", err);
    w->started = true;
    return VMHI_OK;
}

void esx_watch_stop(esx_conn *c)
{
    esx_watch *w = &c->watch;
    if (w->started) {
        atomic_store(&w->stop, true);
        esx_transport_wake(&w->channel);
        pthread_join(w->thread, NULL);
        w->started = false;
    }
    if (w->channel_ready)
        esx_transport_cleanup(&w->channel);
    w->channel_ready = false;
}
