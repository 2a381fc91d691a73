/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The built-in `test` backend.  It is written exactly like an external
 * module against <vmhi/backend.h>; the only difference is the name of its
 * entry function, which the core's registry calls the way it calls a
 * dlsym'd `vmhi_backend_entry`.  The symbol is hidden: it is not part of
 * libvmhi's exported ABI.
 */
#ifndef VMHI_TEST_BACKEND_H
#define VMHI_TEST_BACKEND_H

#include "vmhi/backend.h"

#if defined(__GNUC__) || defined(__clang__)
__attribute__((visibility("hidden")))
#endif
int vmhi_test_backend_entry(const vmhi_core_services *core, const vmhi_backend_ops **ops);

#endif /* VMHI_TEST_BACKEND_H */
