/*
 * libFuzzer target: the runtime record of an active KVM VM
 * (<run_dir>/<uuid>.state, kvm_runstate.c) - the header lines; the config
 * after them is VMHI XML, which fuzz_config_xml covers.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A record that parses has every number in range; formatted again and
 * parsed back, it gives the same facts.
 */
#include <limits.h>

#include "fuzz_kvm_common.h"

static void check_ranges(const kvm_record *rec)
{
    FUZZ_CHECK(rec->state >= VMHI_STATE_SHUTOFF && rec->state <= VMHI_STATE_CRASHED);
    FUZZ_CHECK(rec->pid >= 0 && rec->pid <= INT_MAX);
    FUZZ_CHECK(rec->ports <= KVM_MAX_PORTS);
    for (const kvm_dev *d = rec->devs; d; d = d->next)
        FUZZ_CHECK(d->port < KVM_MAX_PORTS && d->id[0] &&
                   (d->type == VMHI_DEVICE_DISK || d->type == VMHI_DEVICE_NIC));
}

static void check_same(const kvm_record *a, const kvm_record *b)
{
    FUZZ_CHECK(a->state == b->state && a->reason == b->reason && a->pid == b->pid &&
               a->ports == b->ports && a->reset_echo == b->reset_echo);
    FUZZ_CHECK(a->pid == 0 || a->starttime == b->starttime);
    const kvm_dev *x = a->devs, *y = b->devs;
    for (; x && y; x = x->next, y = y->next)
        FUZZ_CHECK(x->type == y->type && x->port == y->port && strcmp(x->id, y->id) == 0 &&
                   x->pending == y->pending && x->hidden == y->hidden);
    FUZZ_CHECK(!x && !y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    kvm_record rec;
    if (!text)
        return 0;
    if (kvm_record_parse(text, &rec) == 0) {
        check_ranges(&rec);
        kvm_run run;
        memset(&run, 0, sizeof(run));
        run.proc.pid = (pid_t)rec.pid;
        run.proc.starttime = rec.starttime;
        size_t len = 0;
        char *again = kvm_record_format(rec.state, rec.reason, rec.pid ? &run : NULL,
                                        rec.ports, rec.devs, rec.reset_echo, NULL, &len);
        kvm_record back;
        FUZZ_CHECK(again && kvm_record_parse(again, &back) == 0);
        check_same(&rec, &back);
        kvm_devs_free(back.devs);
        free(again);
    }
    kvm_devs_free(rec.devs);
    free(text);
    return 0;
}
