/*
 * What the ESX fuzz targets share: the core services the backend reports
 * to (the real ones of vmhi_internal), set once.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_FUZZ_ESX_COMMON_H
#define VMHI_FUZZ_ESX_COMMON_H

#include "core.h"
#include "esx.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    esx_core = &vmhi__core_services;
    return 0;
}

#endif
