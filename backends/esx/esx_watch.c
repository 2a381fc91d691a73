/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The watcher (not yet following the server): the cache is never live,
 * so every read goes to the server.
 */
#include "esx.h"

bool esx_watch_live(esx_conn *c)
{
    (void)c;
    return false;
}

void esx_watch_stop(esx_conn *c)
{
    (void)c;
}
