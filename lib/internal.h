/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the core's files.  Nothing here is
 * exported: the library is built with -fvisibility=hidden and a version
 * script, so only VMHI_EXTERN declarations from include/vmhi/ are visible.
 */
#ifndef VMHI_INTERNAL_H
#define VMHI_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmhi/backend.h"
#include "vmhi/vmhi.h"

#if defined(__GNUC__)
#define VMHI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VMHI_PRINTF(a, b)
#endif

#define VMHI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- error.c: the per-thread last error ------------------------------ */

/* Every public entry point calls this first (STYLE: each call clears it). */
void vmhi__error_reset(void);
/* Records an error and returns @code so callers can `return vmhi__error(...)`. */
int vmhi__error(int code, const char *fmt, ...) VMHI_PRINTF(2, 3);
/* Same, with the backend's native code or fault name. */
int vmhi__error_native(int code, const char *native, const char *fmt, ...) VMHI_PRINTF(3, 4);
int vmhi__error_nativev(int code, const char *native, const char *fmt, va_list ap)
    VMHI_PRINTF(3, 0);
/* A VMHI_E_PARSE error with a document location (1-based; 0 = unknown). */
int vmhi__error_parse(unsigned line, unsigned column, const char *fmt, ...) VMHI_PRINTF(3, 4);
/* Out of memory: no allocation needed to record it. */
int vmhi__error_oom(void);
/* Whether the current thread has an error recorded (used after backend calls). */
bool vmhi__error_is_set(void);
/* Copies / reinstates / drops the thread's last error (backend services). */
vmhi_saved_error *vmhi__error_save(void);
int vmhi__error_restore(vmhi_saved_error *saved);
void vmhi__error_discard(vmhi_saved_error *saved);

/* ---- alloc.c: allocation with failure injection for torture tests ---- */

void *vmhi__malloc(size_t size);
void *vmhi__calloc(size_t n, size_t size);
void *vmhi__realloc(void *ptr, size_t size);
char *vmhi__strdup(const char *s);
char *vmhi__strndup(const char *s, size_t n);
void vmhi__free(void *ptr);
/* Makes room for element @count of the array at *@items_ptr (a pointer to
 * the array pointer), doubling its capacity *@cap when it is full. */
int vmhi__array_reserve(void *items_ptr, size_t *cap, size_t count, size_t elem_size);
/* Tests: make the n-th allocation from now fail (n >= 1); 0 disables. */
void vmhi__alloc_fail_at(long n);
/* Tests: number of allocations made since the process started. */
long vmhi__alloc_count(void);

/* ---- util.c: validation shared by the core, the codecs and the CLI ---- */

/* Checks a VM name against the rules in config.h; on failure sets
 * VMHI_E_INVALID_ARG with a message saying what is wrong. */
int vmhi__check_name(const char *name);
/* Checks a device id: [A-Za-z0-9_-], 1..VMHI_DEVICE_ID_MAX. */
int vmhi__check_device_id(const char *id);
/* Parses a UUID in canonical form, any case, into lower case @out. */
int vmhi__uuid_normalize(const char *in, char out[VMHI_UUID_STRLEN + 1]);
/* Generates a random (version 4) UUID. */
void vmhi__uuid_generate(char out[VMHI_UUID_STRLEN + 1]);
/* Checks a MAC "xx:xx:xx:xx:xx:xx", unicast, into lower case @out. */
int vmhi__mac_normalize(const char *in, char out[18]);
/* Copies with truncation, always NUL-terminated; returns strlen(src). */
size_t vmhi__strlcpy(char *dst, const char *src, size_t size);
/* printf into a new string (vmhi__free it); NULL on OOM. */
char *vmhi__asprintf(const char *fmt, ...) VMHI_PRINTF(1, 2);
/* Monotonic clock in nanoseconds. */
uint64_t vmhi__now_ns(void);
/* Sleeps @ms milliseconds, resuming after signals. */
void vmhi__sleep_ms(unsigned int ms);

#endif /* VMHI_INTERNAL_H */
