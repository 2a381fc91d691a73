/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The run/<uuid>.dom record of an active Xen VM: "<domid> <state> <reason>\n".
 * Kept apart from xen.h (and libxl) so that it can be tested and fuzzed
 * on a machine without Xen.
 */
#ifndef VMHI_XEN_RECORD_H
#define VMHI_XEN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "vmhi/backend.h"

/* Guest domain ids: 0 is dom0, 0x7ff0 (DOMID_FIRST_RESERVED) and up are
 * Xen's own. */
#define XEN_RECORD_DOMID_MAX 0x7fefu

typedef struct xen_record {
    uint32_t domid;
    vmhi_vm_state state;      /* running, paused or shutting-down */
    vmhi_state_reason reason;
} xen_record;

/* Parses the record's text (@len bytes, NUL-terminated or not); 0, or -1
 * when it is not one line of three numbers in range. */
int xen_record_parse(const char *text, size_t len, xen_record *out);
/* Writes the record into @buf; the length, or -1 when it does not fit. */
int xen_record_format(const xen_record *rec, char *buf, size_t size);

#endif /* VMHI_XEN_RECORD_H */
