/*
 * libFuzzer target: the run/<uuid>.dom record of an active Xen VM
 * (xen_record.c), read back to find the domain again after a restart.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A record that parses names a guest domain (never dom0 or a reserved
 * id) in an active state, and reads back the same after formatting.
 */
#include "fuzz_common.h"
#include "xen_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xen_record rec;
    if (xen_record_parse((const char *)data, size, &rec) != 0)
        return 0;
    FUZZ_CHECK(rec.domid > 0 && rec.domid <= XEN_RECORD_DOMID_MAX);
    FUZZ_CHECK(rec.state == VMHI_STATE_RUNNING || rec.state == VMHI_STATE_PAUSED ||
               rec.state == VMHI_STATE_SHUTTING_DOWN);
    FUZZ_CHECK((unsigned)rec.reason < VMHI_STATE_REASON_COUNT_1_0);
    char buf[96];
    int n = xen_record_format(&rec, buf, sizeof(buf));
    xen_record back;
    FUZZ_CHECK(n > 0 && xen_record_parse(buf, (size_t)n, &back) == 0);
    FUZZ_CHECK(back.domid == rec.domid && back.state == rec.state && back.reason == rec.reason);
    return 0;
}
