/*
 * libFuzzer target: a query-cpus-fast reply (kvm_run_set_vcpus() in
 * kvm_monitor.c), whose thread ids the backend reads CPU time from.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The threads kept are exactly the entries whose "thread-id" is a valid
 * pid_t (1..INT_MAX), in order, with their values unchanged: a larger
 * number must not be cut down to some other thread's id.
 */
#include <limits.h>

#include "fuzz_kvm_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return 0;
    json_object *cpus = json_tokener_parse_ex(tok, (const char *)data, (int)(size & 0x7fffffff));
    json_tokener_free(tok);
    kvm_run *run = kvm_run_new();
    if (!run) {
        json_object_put(cpus);
        return 0;
    }
    kvm_run_set_vcpus(run, cpus);
    size_t n = json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (!kvm_json_int(json_object_array_get_idx(cpus, i), "thread-id", &v) || v <= 0 ||
            v > INT_MAX)
            continue;
        FUZZ_CHECK(j < run->nvcpu_tids && run->vcpu_tids[j] == v);
        j++;
    }
    FUZZ_CHECK(j == run->nvcpu_tids);
    json_object_put(cpus);
    kvm_run_unref(run);
    return 0;
}
