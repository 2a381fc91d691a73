/*
 * What the probe module records; read by tests/unit/test_core_contract.c
 * through dlsym("probe_stats") on the already-loaded module.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_PROBE_H
#define VMHI_PROBE_H

#include <stdatomic.h>

struct probe_stats {
    atomic_int opens;
    atomic_int closes;
    atomic_int priv_not_zero;
    atomic_int priv_mismatch;
    atomic_int in_slot;
    atomic_int max_in_slot;
    atomic_int reset_calls;
    atomic_int set_memory_calls;
    atomic_uint last_mask;
    atomic_int mask_calls;
    atomic_uint profiles_out; /* what get_profiles answers (0: leave as is) */
    atomic_int ref_bad;        /* a vm_ref arrived without struct_size or not zeroed */
    atomic_int shutdown_calls; /* shutdown requests; get_info reports shutting-down after one */
    atomic_int define_calls;
    atomic_int attach_calls;
    atomic_int value_caps_calls;
    atomic_int set_max_memory_calls;
};

#endif
