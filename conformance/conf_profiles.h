/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations each profile needs (vmhi/conn.h, #vmhi_profile, and the
 * specification's profile sections).  A backend that claims a profile
 * must report every one of them supported.
 */
#ifndef VMHI_CONF_PROFILES_H
#define VMHI_CONF_PROFILES_H

#include <stddef.h>

#include <vmhi/vmhi.h>

typedef struct conf_profile_ops {
    unsigned int profile;
    const vmhi_op *ops;
    size_t count;
} conf_profile_ops;

/* NULL for a profile that needs no operation of its own. */
const conf_profile_ops *conf_profile_needs(unsigned int profile);

#endif /* VMHI_CONF_PROFILES_H */
