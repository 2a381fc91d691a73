/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The VM inventory: one RetrievePropertiesEx with a traversal spec reads
 * name, UUID, power state, vCPUs and memory of every VM below the
 * connection's scope (continued with ContinueRetrievePropertiesEx when
 * the server pages), into the cache of esx_cache.c.
 *
 * Freshness.  A cached entry answers a lookup or get_info only while the
 * watcher (esx_watch.c) follows the server and the entry is not dirty.
 * Our own operations mark their VM dirty when they complete, so the next
 * read goes to the server (read-your-writes).  A direct read records its
 * send time; the watcher applies an update to an entry only when it asked
 * for that update after the entry's last direct read, otherwise it marks
 * the entry dirty: a reply in flight may be older than the direct read.
 */
#include <string.h>

#include "esx.h"

/* A listing reads what changes often and no more (every property costs
 * the server time and the reply size): name, power state, vCPUs, memory.
 * What changes rarely and only by reconfiguration -- the UUID, what VMHI
 * keeps in extraConfig (vCPU maximum, current memory, transient mark,
 * waiting definition) and whether a VM is a template -- comes from the
 * watcher, which the server tells of their changes, from every read of one
 * VM (each operation makes one), and for VMs nobody has told us about yet
 * from one read after the listing (fetch_extras()). */
const char *const esx_list_props[] = { "name", "runtime.powerState", "config.hardware.numCPU",
                                       "config.hardware.memoryMB", NULL };
const char *const esx_vm_props[] = { "name", "config.uuid", "runtime.powerState",
                                     "config.hardware.numCPU", "config.hardware.memoryMB",
                                     "config.extraConfig", "config.template", NULL };

/* ------------------------------------------------------ property values */

static void apply_power(esx_vm *vm, esx_power power)
{
    if (power == vm->power)
        return;
    if (vm->known) {
        if (vm->expect_power == power)
            vm->reason = vm->expect_reason;
        else if (power == ESX_POWER_ON)
            vm->reason = vm->power == ESX_POWER_SUSPENDED ? VMHI_REASON_RESTORED
                                                          : VMHI_REASON_BOOTED;
        else
            vm->reason = VMHI_REASON_HOST;
    }
    vm->expect_power = ESX_POWER_UNKNOWN;
    vm->power = power;
    if (power != ESX_POWER_ON)
        vm->shutdown_requested = false;
}

static void apply_uuid(esx_vm *vm, const char *text)
{
    size_t i;
    char out[VMHI_UUID_STRLEN + 1];
    for (i = 0; text[i] && i < VMHI_UUID_STRLEN; i++) {
        char ch = text[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                                 (ch >= 'A' && ch <= 'F')))
            break;
        out[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
    }
    out[i] = '\0';
    if (i == VMHI_UUID_STRLEN && !text[i])
        memcpy(vm->uuid, out, sizeof(out));
}

/* The definition waiting for the next start from shutoff, as far as
 * vmhi_vm_get_info() of an inactive VM reports it. */
static void apply_pending(esx_vm *vm, const char *json)
{
    vmhi_vm_config *cfg = NULL;
    vm->pending = false;
    if (!json || vmhi_vm_config_from_json(&cfg, json, strlen(json)) != VMHI_OK)
        return;
    vm->pending = true;
    vm->def_vcpus = vmhi_vm_config_get_vcpus(cfg);
    vm->def_max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
    vm->def_memory_mib = vmhi_vm_config_get_memory_mib(cfg);
    vm->def_max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
}

/* The VMHI settings kept in the VM's extraConfig (esx_meta.c); NULL: none. */
static void apply_extra_config(esx_vm *vm, const xmlNode *array)
{
    esx_meta m;
    if (esx_meta_parse(array, &m) < 0) {
        vm->dirty = true; /* out of memory: read it again next time */
        return;
    }
    vm->max_vcpus = m.max_vcpus;
    vm->memory_cur_mib = m.memory_mib;
    vm->transient = m.transient;
    apply_pending(vm, m.definition);
    vm->extras_known = true;
    esx_meta_free(&m);
}

void esx_vm_apply_prop(esx_vm *vm, const char *name, const xmlNode *val)
{
    char text[1024];
    uint64_t n;
    if (strcmp(name, "config.extraConfig") == 0) {
        apply_extra_config(vm, val);
        return;
    }
    esx_xml_text(val, text, sizeof(text));
    if (strcmp(name, "name") == 0)
        esx_name_decode(text, vm->name, sizeof(vm->name));
    else if (strcmp(name, "config.uuid") == 0)
        apply_uuid(vm, text);
    else if (strcmp(name, "runtime.powerState") == 0)
        apply_power(vm, esx_power_parse(text));
    else if (strcmp(name, "config.hardware.numCPU") == 0 && esx_parse_u64(text, &n))
        vm->vcpus = (unsigned int)n;
    else if (strcmp(name, "config.hardware.memoryMB") == 0 && esx_parse_u64(text, &n))
        vm->memory_mib = n;
    else if (strcmp(name, "config.template") == 0) {
        vm->template_vm = strcmp(text, "true") == 0;
        vm->template_known = true;
    }
}

static bool has_prop(const xmlNode *object, const char *path)
{
    char name[128];
    for (const xmlNode *ps = esx_xml_child(object, "propSet"); ps;
         ps = esx_xml_next(ps, "propSet"))
        if (esx_xml_child_text(ps, "name", name, sizeof(name)) && strcmp(name, path) == 0)
            return true;
    return false;
}

void esx_vm_apply_object(esx_vm *vm, const xmlNode *object, const char *const *paths)
{
    char name[128];
    for (const xmlNode *ps = esx_xml_child(object, "propSet"); ps;
         ps = esx_xml_next(ps, "propSet")) {
        if (esx_xml_child_text(ps, "name", name, sizeof(name)))
            esx_vm_apply_prop(vm, name, esx_xml_child(ps, "val"));
    }
    /* Unset properties are missing from the reply: their defaults. */
    for (; *paths; paths++)
        if ((strcmp(*paths, "config.extraConfig") == 0 || strcmp(*paths, "config.template") == 0)
            && !has_prop(object, *paths))
            esx_vm_apply_prop(vm, *paths, NULL);
    vm->known = true;
}

/* -------------------------------------------------------------- queries */

static void spec_traversal(esx_buf *b, const char *name, const char *type, const char *path,
                           const char *const *next)
{
    esx_buf_add(b, "<selectSet xsi:type=\"vim25:TraversalSpec\">");
    esx_buf_elem(b, "name", name);
    esx_buf_elem(b, "type", type);
    esx_buf_elem(b, "path", path);
    esx_buf_add(b, "<skip>false</skip>");
    for (; next && *next; next++) {
        esx_buf_add(b, "<selectSet>");
        esx_buf_elem(b, "name", *next);
        esx_buf_add(b, "</selectSet>");
    }
    esx_buf_add(b, "</selectSet>");
}

void esx_spec_object_set(const esx_conn *c, esx_buf *b)
{
    static const char *const from_folder[] = { "folderToChild", "datacenterToVmFolder", NULL };
    static const char *const from_dc[] = { "folderToChild", NULL };
    static const char *const from_cr[] = { "hostToVm", NULL };
    const esx_refs *r = &c->refs;
    esx_buf_add(b, "<objectSet>");
    esx_buf_moref(b, "obj", r->scope_type, r->scope);
    esx_buf_add(b, "<skip>true</skip>");
    if (strcmp(r->scope_type, "Folder") == 0 || strcmp(r->scope_type, "Datacenter") == 0) {
        spec_traversal(b, "folderToChild", "Folder", "childEntity", from_folder);
        spec_traversal(b, "datacenterToVmFolder", "Datacenter", "vmFolder", from_dc);
    } else if (strcmp(r->scope_type, "HostSystem") == 0) {
        spec_traversal(b, "hostToVm", "HostSystem", "vm", NULL);
    } else {
        spec_traversal(b, "computeResourceToHost", "ComputeResource", "host", from_cr);
        spec_traversal(b, "hostToVm", "HostSystem", "vm", NULL);
    }
    esx_buf_add(b, "</objectSet>");
}

static void spec_props(esx_buf *b, const char *type, const char *const *paths)
{
    esx_buf_add(b, "<propSet>");
    esx_buf_elem(b, "type", type);
    for (; *paths; paths++)
        esx_buf_elem(b, "pathSet", *paths);
    esx_buf_add(b, "</propSet>");
}

void esx_props_body(const esx_conn *c, esx_buf *b, const char *type, const char *moref,
                    const char *const *paths)
{
    esx_soap_begin(b, "RetrievePropertiesEx", "PropertyCollector",
                   c->refs.property_collector);
    esx_buf_add(b, "<specSet>");
    spec_props(b, type, paths);
    esx_buf_add(b, "<objectSet>");
    esx_buf_moref(b, "obj", type, moref);
    esx_buf_add(b, "</objectSet></specSet><options/>");
    esx_soap_end(b, "RetrievePropertiesEx");
}

int esx_read_props(esx_conn *c, const char *type, const char *moref, const char *const *paths,
                   esx_reply *out)
{
    esx_buf b;
    esx_buf_init(&b);
    esx_props_body(c, &b, type, moref, paths);
    int rc = esx_call(c, "RetrievePropertiesEx", &b, out);
    esx_buf_free(&b);
    return rc;
}

xmlNode *esx_reply_prop(const esx_reply *r, const char *path)
{
    const xmlNode *objects = esx_xml_child(esx_xml_child(r->result, "returnval"), "objects");
    char name[128];
    for (const xmlNode *ps = esx_xml_child(objects, "propSet"); ps;
         ps = esx_xml_next(ps, "propSet")) {
        if (strcmp(esx_xml_child_text(ps, "name", name, sizeof(name)) ? name : "", path) == 0)
            return esx_xml_child(ps, "val");
    }
    return NULL;
}

/* Applies a RetrieveResult page; marks every VM it names. */
static int apply_page(esx_conn *c, const xmlNode *result, uint64_t sent_ns)
{
    char moref[ESX_MOREF_MAX + 1];
    int rc = VMHI_OK;
    esx_lock(c);
    for (const xmlNode *o = esx_xml_child(result, "objects"); o && rc == VMHI_OK;
         o = esx_xml_next(o, "objects")) {
        esx_vm *vm;
        if (!esx_xml_child_text(o, "obj", moref, sizeof(moref)) || !moref[0])
            continue;
        rc = esx_cache_upsert(&c->cache, moref, &vm);
        if (rc < 0)
            break;
        char old_name[VMHI_NAME_MAX + 1], old_uuid[VMHI_UUID_STRLEN + 1];
        memcpy(old_name, vm->name, sizeof(old_name));
        memcpy(old_uuid, vm->uuid, sizeof(old_uuid));
        esx_vm_apply_object(vm, o, esx_list_props);
        if (strcmp(old_name, vm->name) != 0 || strcmp(old_uuid, vm->uuid) != 0)
            c->cache.index_stale = true;
        vm->mark = true;
        vm->dirty = false;
        vm->refreshed_ns = sent_ns;
        esx_event_observed(c, vm);
    }
    esx_unlock(c);
    return rc < 0 ? esx_error(rc, "esx: out of memory caching the inventory") : VMHI_OK;
}

static int continue_listing(esx_conn *c, const char *token, esx_reply *out)
{
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "ContinueRetrievePropertiesEx", "PropertyCollector",
                   c->refs.property_collector);
    esx_buf_elem(&b, "token", token);
    esx_soap_end(&b, "ContinueRetrievePropertiesEx");
    int rc = esx_call(c, "ContinueRetrievePropertiesEx", &b, out);
    esx_buf_free(&b);
    return rc;
}

static int first_listing(esx_conn *c, esx_reply *out)
{
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "RetrievePropertiesEx", "PropertyCollector",
                   c->refs.property_collector);
    esx_buf_add(&b, "<specSet>");
    spec_props(&b, "VirtualMachine", esx_list_props);
    esx_spec_object_set(c, &b);
    esx_buf_add(&b, "</specSet><options/>");
    esx_soap_end(&b, "RetrievePropertiesEx");
    int rc = esx_call(c, "RetrievePropertiesEx", &b, out);
    esx_buf_free(&b);
    return rc;
}

/* Drops the entries a complete listing did not name, then reindexes. */
static int finish_listing(esx_conn *c)
{
    esx_lock(c);
    for (size_t i = c->cache.count; i-- > 0;) {
        esx_vm *vm = c->cache.vms[i];
        if (!vm->mark)
            esx_cache_remove(&c->cache, vm);
    }
    int rc = c->cache.index_stale ? esx_cache_reindex(&c->cache) : VMHI_OK;
    c->cache.complete = rc == VMHI_OK;
    esx_unlock(c);
    return rc < 0 ? esx_error(rc, "esx: out of memory indexing the inventory") : VMHI_OK;
}

/* The morefs of cached VMs whose extras nobody has told us. */
static size_t unknown_extras(esx_conn *c, esx_buf *b)
{
    size_t n = 0;
    esx_lock(c);
    for (size_t i = 0; i < c->cache.count; i++) {
        const esx_vm *vm = c->cache.vms[i];
        if (vm->template_known && vm->extras_known && vm->uuid[0])
            continue;
        esx_buf_add(b, "<objectSet>");
        esx_buf_moref(b, "obj", "VirtualMachine", vm->moref);
        esx_buf_add(b, "</objectSet>");
        n++;
    }
    esx_unlock(c);
    return n;
}

/* One read of the extras of the VMs the watcher has not reported yet
 * (right after the connection opened, or new ones). */
static int fetch_extras(esx_conn *c)
{
    static const char *const paths[] = { "config.uuid", "config.extraConfig", "config.template",
                                         NULL };
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "RetrievePropertiesEx", "PropertyCollector",
                   c->refs.property_collector);
    esx_buf_add(&b, "<specSet>");
    spec_props(&b, "VirtualMachine", paths);
    size_t n = unknown_extras(c, &b);
    esx_buf_add(&b, "</specSet><options/>");
    esx_soap_end(&b, "RetrievePropertiesEx");
    int rc = n ? esx_call(c, "RetrievePropertiesEx", &b, &r) : VMHI_OK;
    esx_buf_free(&b);
    if (!n || rc < 0)
        return rc;
    char moref[ESX_MOREF_MAX + 1];
    esx_lock(c);
    for (const xmlNode *o = esx_xml_child(esx_xml_child(r.result, "returnval"), "objects"); o;
         o = esx_xml_next(o, "objects")) {
        esx_vm *vm = esx_xml_child_text(o, "obj", moref, sizeof(moref))
                         ? esx_cache_find_moref(&c->cache, moref) : NULL;
        if (!vm)
            continue;
        char old_uuid[VMHI_UUID_STRLEN + 1];
        memcpy(old_uuid, vm->uuid, sizeof(old_uuid));
        esx_vm_apply_object(vm, o, paths);
        if (strcmp(old_uuid, vm->uuid) != 0)
            c->cache.index_stale = true;
    }
    rc = c->cache.index_stale ? esx_cache_reindex(&c->cache) : VMHI_OK;
    if (rc < 0)
        c->cache.complete = false; /* lookups fall back to a listing */
    esx_unlock(c);
    esx_reply_free(&r);
    return rc < 0 ? esx_error(rc, "esx: out of memory indexing the inventory") : VMHI_OK;
}

int esx_inventory_load(esx_conn *c)
{
    esx_lock(c);
    for (size_t i = 0; i < c->cache.count; i++)
        c->cache.vms[i]->mark = false;
    esx_unlock(c);
    uint64_t sent = esx_now_ns();
    esx_reply r;
    int rc = first_listing(c, &r);
    while (rc == VMHI_OK) {
        const xmlNode *result = esx_xml_child(r.result, "returnval");
        char token[512];
        const char *more = esx_xml_child_text(result, "token", token, sizeof(token));
        rc = apply_page(c, result, sent);
        esx_reply_free(&r);
        if (rc < 0 || !more || !more[0])
            break;
        rc = continue_listing(c, token, &r);
    }
    if (rc == VMHI_OK)
        rc = finish_listing(c);
    return rc < 0 ? rc : fetch_extras(c);
}

/* -------------------------------------------------------------- lookups */

static void snapshot(const esx_vm *vm, esx_vm *out)
{
    *out = *vm;
    out->next_dead = NULL;
}

esx_vm *esx_inventory_apply(esx_conn *c, const char *moref, const xmlNode *object,
                            uint64_t sent_ns)
{
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (!vm && esx_cache_upsert(&c->cache, moref, &vm) < 0)
        return NULL;
    char old_name[VMHI_NAME_MAX + 1], old_uuid[VMHI_UUID_STRLEN + 1];
    memcpy(old_name, vm->name, sizeof(old_name));
    memcpy(old_uuid, vm->uuid, sizeof(old_uuid));
    esx_vm_apply_object(vm, object, esx_vm_props);
    vm->dirty = false;
    vm->refreshed_ns = sent_ns;
    if ((strcmp(old_name, vm->name) != 0 || strcmp(old_uuid, vm->uuid) != 0) &&
        esx_cache_reindex(&c->cache) < 0)
        c->cache.complete = false; /* lookups fall back to a listing */
    esx_event_observed(c, vm);
    return vm;
}

int esx_inventory_refresh(esx_conn *c, const char *moref, esx_vm *out)
{
    uint64_t sent = esx_now_ns();
    esx_reply r;
    int rc = esx_read_props(c, "VirtualMachine", moref, esx_vm_props, &r);
    if (rc < 0 && rc != VMHI_E_NO_VM)
        return rc;
    bool have_reply = rc == VMHI_OK;
    const xmlNode *object =
        have_reply ? esx_xml_child(esx_xml_child(r.result, "returnval"), "objects") : NULL;
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (!object) {
        if (vm)
            esx_cache_remove(&c->cache, vm);
        rc = esx_error_native(VMHI_E_NO_VM, "ManagedObjectNotFound",
                              "esx: the VM %s no longer exists", moref);
    } else if (!(vm = esx_inventory_apply(c, moref, object, sent))) {
        rc = esx_error(VMHI_E_NOMEM, "esx: out of memory caching VM %s", moref);
    } else {
        rc = VMHI_OK;
        if (out)
            snapshot(vm, out);
    }
    esx_unlock(c);
    if (have_reply)
        esx_reply_free(&r);
    return rc;
}

static esx_vm *find_entry(esx_conn *c, const char *name, const char *uuid)
{
    esx_vm *vm = name ? esx_cache_find_name(&c->cache, name) : esx_cache_find_uuid(&c->cache,
                                                                                   uuid);
    return vm && !vm->template_vm ? vm : NULL;
}

static int not_found(const char *name, const char *uuid)
{
    if (name)
        return esx_error_native(VMHI_E_NO_VM, "NotFound", "esx: no VM named '%s'", name);
    return esx_error_native(VMHI_E_NO_VM, "NotFound", "esx: no VM with UUID %s", uuid);
}

static int lookup_entry(esx_conn *c, const char *name, const char *uuid, bool fresh,
                        esx_vm *out)
{
    char moref[ESX_MOREF_MAX + 1] = "";
    esx_lock(c);
    esx_vm *vm = find_entry(c, name, uuid);
    if (vm && !fresh && esx_cache_trusted(c, vm)) {
        snapshot(vm, out);
        esx_unlock(c);
        return VMHI_OK;
    }
    if (vm)
        esx_copy(moref, sizeof(moref), vm->moref);
    esx_unlock(c);
    if (moref[0]) {
        int rc = esx_inventory_refresh(c, moref, out);
        bool still = rc == VMHI_OK && !out->template_vm &&
                     (name ? strcmp(out->name, name) == 0 : strcmp(out->uuid, uuid) == 0);
        if (still || (rc < 0 && rc != VMHI_E_NO_VM))
            return rc;
    }
    /* Unknown, renamed or gone: ask the server about every VM. */
    int rc = esx_inventory_load(c);
    if (rc < 0)
        return rc;
    esx_lock(c);
    vm = find_entry(c, name, uuid);
    if (vm)
        snapshot(vm, out);
    esx_unlock(c);
    return vm ? VMHI_OK : not_found(name, uuid);
}

bool esx_vm_gone(const esx_vm *vm)
{
    return vm->template_vm || (vm->transient && vm->power == ESX_POWER_OFF);
}

int esx_inventory_get(esx_conn *c, const char *name, const char *uuid, bool fresh,
                      esx_vm *out)
{
    int rc = lookup_entry(c, name, uuid, fresh, out);
    if (rc < 0 || !out->transient || out->power != ESX_POWER_OFF)
        return rc;
    /* A transient VM that reached shutoff (LC-GEN-5): finish it off. */
    rc = esx_unregister(c, out);
    return rc < 0 ? rc : not_found(name, uuid);
}

void esx_inventory_expect(esx_conn *c, const char *moref, esx_power power,
                          vmhi_state_reason reason)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm) {
        vm->expect_power = power;
        vm->expect_reason = reason;
    }
    esx_unlock(c);
}

void esx_inventory_done(esx_conn *c, const char *moref, esx_power power,
                        vmhi_state_reason reason)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm) {
        vm->dirty = true;
        if (power != ESX_POWER_UNKNOWN) {
            vm->power = power;
            vm->reason = reason;
            vm->expect_power = ESX_POWER_UNKNOWN;
            vm->shutdown_requested = false;
            /* What the server said before now is older than this. */
            vm->refreshed_ns = esx_now_ns();
        }
    }
    esx_unlock(c);
}

void esx_inventory_set_shutdown(esx_conn *c, const char *moref, bool requested)
{
    esx_lock(c);
    esx_vm *vm = esx_cache_find_moref(&c->cache, moref);
    if (vm)
        vm->shutdown_requested = requested;
    esx_unlock(c);
}

/* ---------------------------------------------------------------- slots */

static void fill_ref(const esx_vm *vm, vmhi_backend_vm_ref *ref)
{
    memcpy(ref->uuid, vm->uuid, sizeof(ref->uuid));
    memcpy(ref->name, vm->name, sizeof(ref->name));
}

int esx_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    esx_conn *c = priv;
    int rc = esx_inventory_load(c);
    if (rc < 0)
        return esx_slot_end(rc);
    /* Copy out under the lock, call back without it. */
    struct listed {
        vmhi_backend_vm_ref ref;
        vmhi_vm_state state;
        bool persistent;
    } *copy;
    esx_lock(c);
    size_t n = 0, count = c->cache.count;
    copy = esx_alloc((count ? count : 1) * sizeof(*copy));
    for (size_t i = 0; copy && i < count; i++) {
        const esx_vm *vm = c->cache.vms[i];
        if (esx_vm_gone(vm) || !vm->uuid[0])
            continue; /* templates cannot run, transient VMs end at shutoff; VMs without
                         a config are inaccessible */
        fill_ref(vm, &copy[n].ref);
        copy[n].state = esx_vm_state(vm);
        copy[n++].persistent = !vm->transient;
    }
    esx_unlock(c);
    if (!copy)
        return esx_slot_end(VMHI_E_NOMEM);
    for (size_t i = 0; rc == VMHI_OK && i < n; i++)
        rc = add(ctx, &copy[i].ref, copy[i].state, copy[i].persistent);
    esx_free(copy);
    return esx_slot_end(rc);
}

int esx_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = esx_inventory_get(c, name, uuid, false, &vm);
    if (rc == VMHI_OK)
        fill_ref(&vm, out);
    return esx_slot_end(rc);
}

int esx_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    esx_conn *c = priv;
    esx_vm vm;
    int rc = esx_inventory_get(c, NULL, uuid, false, &vm);
    if (rc < 0)
        return esx_slot_end(rc);
    info->state = esx_vm_state(&vm);
    info->reason = esx_vm_reason(&vm);
    bool active = info->state == VMHI_STATE_RUNNING || info->state == VMHI_STATE_SHUTTING_DOWN;
    if (vm.pending && !active) { /* the definition it starts with next */
        info->vcpus = vm.def_vcpus;
        info->max_vcpus = vm.def_max_vcpus;
        info->memory_mib = vm.def_memory_mib;
        info->max_memory_mib = vm.def_max_memory_mib;
    } else {
        info->vcpus = vm.vcpus;
        info->max_vcpus = esx_vm_max_vcpus(&vm);
        info->memory_mib = esx_vm_memory(&vm);
        info->max_memory_mib = vm.memory_mib;
    }
    info->cpu_time_ns = 0;              /* not in the vSphere API without perf counters */
    info->persistent = !vm.transient;
    return VMHI_OK;
}
