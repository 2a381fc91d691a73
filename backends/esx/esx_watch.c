/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Cache freshness.  A property-collector watcher (CreateFilter +
 * WaitForUpdatesEx on its own channel) is not there yet; until it is, an
 * entry read from the server answers for cache_ms (URI parameter, default
 * 500 ms), which is what makes "list, then get_info for each VM" cost one
 * round trip instead of one per VM.  Entries our own operations changed
 * are dirty and always read again.
 */
#include "esx.h"

bool esx_cache_trusted(esx_conn *c, const esx_vm *vm)
{
    uint64_t age = esx_now_ns() - vm->refreshed_ns;
    return !vm->dirty && c->cache.complete && age < (uint64_t)c->opts.cache_ms * 1000000u;
}

void esx_watch_stop(esx_conn *c)
{
    (void)c;
}
