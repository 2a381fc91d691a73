/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The run/<uuid>.dom record (xen_record.h).  The file lies in a directory
 * only we can write, but a record that a crash truncated or another
 * version wrote must read as "unreadable", never as some other domain:
 * every number is checked whole and in range (sscanf's %u would take
 * "-1" as 4294967295 and ignore trailing garbage).
 */
#include <stdio.h>
#include <string.h>

#include "xen_record.h"

/* One decimal number up to @max at *p, followed by @stop; advances *p past it. */
static int take_number(const char **p, const char *end, char stop, unsigned long max,
                       unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return -1;
    }
    if (s >= end || *s != stop)
        return -1;
    *p = s + 1;
    *out = v;
    return 0;
}

static int active(unsigned long st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_PAUSED ||
           st == VMHI_STATE_SHUTTING_DOWN;
}

int xen_record_parse(const char *text, size_t len, xen_record *out)
{
    const char *p = text, *end = text + (text ? strnlen(text, len) : 0);
    unsigned long domid, st, why;
    if (!text || take_number(&p, end, ' ', XEN_RECORD_DOMID_MAX, &domid) < 0 ||
        take_number(&p, end, ' ', VMHI_STATE_CRASHED, &st) < 0 ||
        take_number(&p, end, '\n', VMHI_STATE_REASON_COUNT_1_0 - 1, &why) < 0 ||
        p != end || domid == 0 || !active(st))
        return -1;
    out->domid = (uint32_t)domid;
    out->state = (vmhi_vm_state)st;
    out->reason = (vmhi_state_reason)why;
    return 0;
}

int xen_record_format(const xen_record *rec, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%u %d %d\n", (unsigned)rec->domid, (int)rec->state,
                     (int)rec->reason);
    return n < 0 || (size_t)n >= size ? -1 : n;
}
