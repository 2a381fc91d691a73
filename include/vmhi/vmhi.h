/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/vmhi.h
 * @brief Umbrella header: include this one.
 *
 * Conventions: every call that can fail returns #VMHI_OK (0) or a negative
 * #vmhi_error_code and leaves details in the per-thread last error
 * (vmhi_error_last_message()).  Constructors take the out-parameter first;
 * every object has a free/close function that accepts NULL.  Versioned
 * structs start with a version field and are initialized with their
 * `_INIT` macro.
 */
#ifndef VMHI_VMHI_H
#define VMHI_VMHI_H

#include "common.h"
#include "error.h"
#include "conn.h"
#include "config.h"
#include "vm.h"
#include "event.h"
#include "ovf.h"

#endif /* VMHI_VMHI_H */
