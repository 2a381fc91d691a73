/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Allocation wrappers.  They exist so that torture tests can make the
 * n-th allocation fail and check that every path reports VMHI_E_NOMEM
 * and leaks nothing (the curl -t / SQLite fault-simulation idea).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static atomic_long alloc_calls;
static atomic_long fail_at; /* absolute call number that fails; 0 = never */

void vmhi__alloc_fail_at(long n)
{
    atomic_store(&fail_at, n > 0 ? atomic_load(&alloc_calls) + n : 0);
}

long vmhi__alloc_count(void)
{
    return atomic_load(&alloc_calls);
}

static bool should_fail(void)
{
    long call = atomic_fetch_add(&alloc_calls, 1) + 1;
    long target = atomic_load(&fail_at);
    return target != 0 && call == target;
}

void *vmhi__malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *vmhi__calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *vmhi__realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : realloc(ptr, size ? size : 1);
}

int vmhi__array_reserve(void *items_ptr, size_t *cap, size_t count, size_t elem_size)
{
    if (count < *cap)
        return VMHI_OK;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void **items = items_ptr;
    void *grown = vmhi__realloc(*items, new_cap * elem_size);
    if (!grown)
        return vmhi__error_oom();
    *items = grown;
    *cap = new_cap;
    return VMHI_OK;
}

char *vmhi__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = vmhi__malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *vmhi__strdup(const char *s)
{
    return vmhi__strndup(s, strlen(s));
}

void vmhi__free(void *ptr)
{
    free(ptr);
}

void vmhi_free(void *ptr)
{
    free(ptr);
}
