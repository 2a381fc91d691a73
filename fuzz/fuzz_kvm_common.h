/*
 * What the KVM fuzz targets share: the backend's headers and its core
 * services set once (FUZZ_BACKEND_CORE).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_FUZZ_KVM_COMMON_H
#define VMHI_FUZZ_KVM_COMMON_H

#include "core.h"
#include "kvm.h"
#include "fuzz_common.h"

FUZZ_BACKEND_CORE(kvm_core)

#endif
