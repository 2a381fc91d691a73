/*
 * Helpers the libFuzzer targets share.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_FUZZ_COMMON_H
#define VMHI_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (it may hold NULs of its own);
 * NULL when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Fails the run: a parser broke a promise it makes about what it returns. */
#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            abort();                                                                       \
    } while (0)

/* Defines LLVMFuzzerInitialize(), which gives the backend layer linked
 * into a target (its @core pointer: kvm_core, esx_core) the core services
 * of vmhi_internal, as the module loader would.  Needs core.h. */
#define FUZZ_BACKEND_CORE(core)                                                            \
    int LLVMFuzzerInitialize(int *argc, char ***argv);                                     \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                      \
    {                                                                                      \
        (void)argc;                                                                        \
        (void)argv;                                                                        \
        core = &vmhi__core_services;                                                       \
        return 0;                                                                          \
    }

#endif
