/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ESX backend's VM cache: entries by managed object reference, UUID
 * and name, found in constant time so that listing 1000 VMs and then
 * asking for each one's facts stays linear.  Entries are never freed while
 * the connection lives (removed ones go to a graveyard): the watcher
 * thread may remove a VM that a slot still holds a pointer to.
 */
#include <ctype.h>
#include <string.h>

#include "esx.h"

void esx_cache_free(esx_cache *cache)
{
    for (size_t i = 0; i < cache->count; i++) {
        esx_free(cache->vms[i]);
    }
    for (esx_vm *d = cache->graveyard, *next; d; d = next) {
        next = d->next_dead;
        esx_free(d);
    }
    esx_free(cache->vms);
    esx_free(cache->by_uuid);
    esx_free(cache->by_name);
    esx_free(cache->by_moref);
    memset(cache, 0, sizeof(*cache));
}

void esx_cache_invalidate(esx_cache *cache)
{
    cache->complete = false;
    for (size_t i = 0; i < cache->count; i++) {
        cache->vms[i]->dirty = true;
        cache->vms[i]->template_known = false;
        cache->vms[i]->extras_known = false;
    }
}

static size_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)h;
}

/* Field @which of an entry: 0 moref, 1 uuid, 2 name. */
static const char *key_of(const esx_vm *vm, int which)
{
    return which == 0 ? vm->moref : which == 1 ? vm->uuid : vm->name;
}

static esx_vm *const *index_of(const esx_cache *cache, int which)
{
    return which == 0 ? cache->by_moref : which == 1 ? cache->by_uuid : cache->by_name;
}

static esx_vm *find(const esx_cache *cache, int which, const char *key)
{
    esx_vm *const *index = index_of(cache, which);
    if (!index || !key[0])
        return NULL;
    size_t mask = cache->index_size - 1;
    for (size_t i = hash_text(key) & mask;; i = (i + 1) & mask) {
        esx_vm *vm = index[i];
        if (!vm)
            return NULL;
        if (strcmp(key_of(vm, which), key) == 0)
            return vm;
    }
}

esx_vm *esx_cache_find_moref(const esx_cache *cache, const char *moref)
{
    return find(cache, 0, moref);
}

esx_vm *esx_cache_find_uuid(const esx_cache *cache, const char *uuid)
{
    return find(cache, 1, uuid);
}

esx_vm *esx_cache_find_name(const esx_cache *cache, const char *name)
{
    return find(cache, 2, name);
}

static void index_insert(esx_vm **index, size_t size, int which, esx_vm *vm)
{
    const char *key = key_of(vm, which);
    if (!key[0])
        return;
    size_t mask = size - 1;
    for (size_t i = hash_text(key) & mask;; i = (i + 1) & mask) {
        if (!index[i]) {
            index[i] = vm;
            return;
        }
        if (strcmp(key_of(index[i], which), key) == 0)
            return; /* duplicate names: the first one listed answers */
    }
}

int esx_cache_reindex(esx_cache *cache)
{
    size_t size = 64;
    while (size < cache->count * 2 + 1)
        size *= 2;
    esx_vm **tables[3];
    for (int i = 0; i < 3; i++) {
        tables[i] = esx_alloc(size * sizeof(esx_vm *));
        if (!tables[i]) {
            for (int j = 0; j < i; j++)
                esx_free(tables[j]);
            return VMHI_E_NOMEM;
        }
    }
    for (size_t n = 0; n < cache->count; n++)
        for (int i = 0; i < 3; i++)
            index_insert(tables[i], size, i, cache->vms[n]);
    esx_free(cache->by_moref);
    esx_free(cache->by_uuid);
    esx_free(cache->by_name);
    cache->by_moref = tables[0];
    cache->by_uuid = tables[1];
    cache->by_name = tables[2];
    cache->index_size = size;
    cache->index_stale = false;
    return VMHI_OK;
}

int esx_cache_upsert(esx_cache *cache, const char *moref, esx_vm **out)
{
    esx_vm *vm = esx_cache_find_moref(cache, moref);
    if (vm) {
        *out = vm;
        return VMHI_OK;
    }
    if (cache->count == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 64;
        esx_vm **grown = esx_alloc(cap * sizeof(*grown));
        if (!grown)
            return VMHI_E_NOMEM;
        if (cache->count)
            memcpy(grown, cache->vms, cache->count * sizeof(*grown));
        esx_free(cache->vms);
        cache->vms = grown;
        cache->cap = cap;
    }
    if (!(vm = esx_alloc(sizeof(*vm))))
        return VMHI_E_NOMEM;
    esx_copy(vm->moref, sizeof(vm->moref), moref);
    vm->dirty = true;
    cache->vms[cache->count++] = vm;
    cache->index_stale = true;
    /* Keep the moref index usable at once; names and UUIDs follow at the
     * next reindex, when the entry's properties are known. */
    if (!cache->by_moref || cache->count * 2 > cache->index_size) {
        if (esx_cache_reindex(cache) < 0) {
            cache->count--;
            esx_free(vm);
            return VMHI_E_NOMEM;
        }
    } else {
        index_insert(cache->by_moref, cache->index_size, 0, vm);
    }
    *out = vm;
    return VMHI_OK;
}

void esx_cache_remove(esx_cache *cache, esx_vm *vm)
{
    for (size_t i = 0; i < cache->count; i++) {
        if (cache->vms[i] != vm)
            continue;
        memmove(cache->vms + i, cache->vms + i + 1, (cache->count - i - 1) * sizeof(esx_vm *));
        cache->count--;
        vm->removed = true;
        vm->next_dead = cache->graveyard;
        cache->graveyard = vm;
        /* Reindexing only shrinks work; on failure keep the old tables
         * minus nothing: clear them so lookups fall back to the server. */
        if (esx_cache_reindex(cache) < 0) {
            esx_free(cache->by_moref);
            esx_free(cache->by_uuid);
            esx_free(cache->by_name);
            cache->by_moref = cache->by_uuid = cache->by_name = NULL;
            cache->complete = false;
        }
        return;
    }
}

/* ------------------------------------------------------- states, names */

esx_power esx_power_parse(const char *text)
{
    if (strcmp(text, "poweredOn") == 0)
        return ESX_POWER_ON;
    if (strcmp(text, "poweredOff") == 0)
        return ESX_POWER_OFF;
    if (strcmp(text, "suspended") == 0)
        return ESX_POWER_SUSPENDED;
    return ESX_POWER_UNKNOWN;
}

vmhi_vm_state esx_vm_state(const esx_vm *vm)
{
    switch (vm->power) {
    case ESX_POWER_ON:
        return vm->shutdown_requested ? VMHI_STATE_SHUTTING_DOWN : VMHI_STATE_RUNNING;
    case ESX_POWER_SUSPENDED:
        return VMHI_STATE_SUSPENDED;
    default:
        return VMHI_STATE_SHUTOFF;
    }
}

vmhi_state_reason esx_vm_reason(const esx_vm *vm)
{
    return esx_vm_state(vm) == VMHI_STATE_SHUTTING_DOWN ? VMHI_REASON_SHUTDOWN_REQUESTED
                                                         : vm->reason;
}

uint64_t esx_vm_memory(const esx_vm *vm)
{
    /* VMHI's current memory, applied as memoryAllocation.limit (the balloon
     * makes up the rest); a VM VMHI never sized has all of memoryMB. */
    if (vm->memory_cur_mib && vm->memory_cur_mib < vm->memory_mib)
        return vm->memory_cur_mib;
    return vm->memory_mib;
}

unsigned int esx_vm_max_vcpus(const esx_vm *vm)
{
    return vm->max_vcpus > vm->vcpus ? vm->max_vcpus : vm->vcpus;
}

static int hex_value(char ch)
{
    return isdigit((unsigned char)ch) ? ch - '0' : tolower((unsigned char)ch) - 'a' + 10;
}

void esx_name_decode(const char *in, char *out, size_t size)
{
    size_t n = 0;
    while (*in && n + 1 < size) {
        if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            int v = hex_value(in[1]) * 16 + hex_value(in[2]);
            if (v == '%' || v == '/' || v == '\\') {
                out[n++] = (char)v;
                in += 3;
                continue;
            }
        }
        out[n++] = *in++;
    }
    out[n] = '\0';
}

void esx_name_encode(esx_buf *b, const char *name)
{
    const char *run = name;
    for (; *name; name++) {
        const char *rep = *name == '%' ? "%25" : *name == '/' ? "%2f" : *name == '\\' ? "%5c"
                                                                                        : NULL;
        if (!rep)
            continue;
        char part[VMHI_NAME_MAX + 1];
        size_t len = (size_t)(name - run);
        memcpy(part, run, len);
        part[len] = '\0';
        esx_buf_add_escaped(b, part);
        esx_buf_add(b, rep);
        run = name + 1;
    }
    esx_buf_add_escaped(b, run);
}
