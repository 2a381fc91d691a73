/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The host's VM index: two open-addressing hash tables, by UUID and by
 * name, so that every per-VM slot finds its VM in constant time.  With a
 * linear scan, get_info on a host of 1000 VMs spent most of its time in
 * strcmp and was slower than libvirt's hashed test driver.
 */
#include <string.h>

#include "tb.h"

#define TOMBSTONE ((tb_vm *)(uintptr_t)1)

static uint64_t hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static const char *key_of(const tb_vm *vm, bool by_name)
{
    return by_name ? vm->name : vm->uuid;
}

static tb_vm **probe_slot(tb_index *ix, const char *key, bool by_name, bool for_insert)
{
    size_t mask = ix->cap - 1;
    tb_vm **first_free = NULL;
    for (size_t i = hash_string(key) & mask;; i = (i + 1) & mask) {
        tb_vm **slot = &ix->slots[i];
        if (*slot == NULL)
            return for_insert && first_free ? first_free : slot;
        if (*slot == TOMBSTONE) {
            if (!first_free)
                first_free = slot;
        } else if (strcmp(key_of(*slot, by_name), key) == 0) {
            return slot;
        }
    }
}

tb_vm *tb_index_find(tb_index *ix, const char *key, bool by_name)
{
    if (!ix->cap)
        return NULL;
    tb_vm **slot = probe_slot(ix, key, by_name, false);
    return *slot && *slot != TOMBSTONE ? *slot : NULL;
}

static void insert_unchecked(tb_index *ix, tb_vm *vm, bool by_name)
{
    tb_vm **slot = probe_slot(ix, key_of(vm, by_name), by_name, true);
    if (*slot == TOMBSTONE)
        ix->tombs--;
    *slot = vm;
    ix->used++;
}

int tb_index_reserve(tb_index *ix, tb_vm *const *vms, size_t nvms, bool by_name)
{
    /* keep at most half the slots taken (tombstones included) */
    if ((ix->used + ix->tombs + 1) * 2 <= ix->cap)
        return VMHI_OK;
    size_t cap = 16;
    while (cap < (nvms + 1) * 4)
        cap *= 2;
    tb_vm **slots = tb_alloc(cap * sizeof(*slots));
    if (!slots)
        return VMHI_E_NOMEM;
    tb_free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    ix->used = ix->tombs = 0;
    for (size_t i = 0; i < nvms; i++)
        insert_unchecked(ix, vms[i], by_name);
    return VMHI_OK;
}

void tb_index_insert(tb_index *ix, tb_vm *vm, bool by_name)
{
    insert_unchecked(ix, vm, by_name);
}

void tb_index_remove(tb_index *ix, const tb_vm *vm, bool by_name)
{
    if (!ix->cap)
        return;
    tb_vm **slot = probe_slot(ix, key_of(vm, by_name), by_name, false);
    if (*slot == vm) {
        *slot = TOMBSTONE;
        ix->used--;
        ix->tombs++;
    }
}

void tb_index_free(tb_index *ix)
{
    tb_free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}
