/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The per-thread last error.  Fixed-size buffers in thread-local storage:
 * recording an error never allocates, so out-of-memory can be reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MESSAGE_MAX 1024
#define NATIVE_MAX 128

struct last_error {
    int code;
    bool has_native;
    bool has_location;
    unsigned line;
    unsigned column;
    char message[MESSAGE_MAX];
    char native[NATIVE_MAX];
};

static _Thread_local struct last_error last;

void vmhi__error_reset(void)
{
    last.code = VMHI_OK;
    last.has_native = false;
    last.has_location = false;
    last.message[0] = '\0';
}

bool vmhi__error_is_set(void)
{
    return last.code != VMHI_OK;
}

int vmhi__error_nativev(int code, const char *native, const char *fmt, va_list ap)
{
    last.code = code;
    last.has_location = false;
    vsnprintf(last.message, sizeof(last.message), fmt, ap);
    last.has_native = native != NULL;
    if (native)
        vmhi__strlcpy(last.native, native, sizeof(last.native));
    return code;
}

int vmhi__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmhi__error_nativev(code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int vmhi__error_native(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmhi__error_nativev(code, native, fmt, ap);
    va_end(ap);
    return code;
}

int vmhi__error_parse(unsigned line, unsigned column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmhi__error_nativev(VMHI_E_PARSE, NULL, fmt, ap);
    va_end(ap);
    last.has_location = line != 0;
    last.line = line;
    last.column = column;
    return VMHI_E_PARSE;
}

int vmhi__error_oom(void)
{
    last.code = VMHI_E_NOMEM;
    last.has_native = false;
    last.has_location = false;
    vmhi__strlcpy(last.message, "out of memory", sizeof(last.message));
    return VMHI_E_NOMEM;
}

int vmhi_error_last_code(void)
{
    return last.code;
}

const char *vmhi_error_last_message(void)
{
    return last.message;
}

const char *vmhi_error_last_native(void)
{
    return last.has_native ? last.native : NULL;
}

int vmhi_error_last_location(unsigned *line, unsigned *column)
{
    if (!last.has_location)
        return VMHI_E_INVALID_ARG;
    if (line)
        *line = last.line;
    if (column)
        *column = last.column;
    return VMHI_OK;
}

/* ---- saved errors (backend service: keep an error across clean-up) ---- */

struct vmhi_saved_error {
    struct last_error copy;
};

vmhi_saved_error *vmhi__error_save(void)
{
    /* Plain malloc: the copy must exist even while failure injection
     * targets the library's own allocations. */
    vmhi_saved_error *saved = malloc(sizeof(*saved));
    if (saved)
        saved->copy = last;
    return saved;
}

int vmhi__error_restore(vmhi_saved_error *saved)
{
    if (!saved)
        return vmhi__error_oom();
    last = saved->copy;
    free(saved);
    return last.code;
}

void vmhi__error_discard(vmhi_saved_error *saved)
{
    free(saved);
}

void vmhi_error_clear(void)
{
    vmhi__error_reset();
}

const char *vmhi_strerror(int code)
{
    switch ((vmhi_error_code)code) {
    case VMHI_OK: return "success";
    case VMHI_E_INVALID_ARG: return "invalid argument";
    case VMHI_E_NO_VM: return "no such VM";
    case VMHI_E_INVALID_STATE: return "invalid state";
    case VMHI_E_UNSUPPORTED: return "unsupported";
    case VMHI_E_EXISTS: return "already exists";
    case VMHI_E_AUTH: return "authentication failed";
    case VMHI_E_CONNECTION: return "connection failed";
    case VMHI_E_TIMEOUT: return "timed out";
    case VMHI_E_BUSY: return "busy";
    case VMHI_E_BACKEND: return "backend error";
    case VMHI_E_NOMEM: return "out of memory";
    case VMHI_E_NO_BACKEND: return "no backend";
    case VMHI_E_NO_DEVICE: return "no such device";
    case VMHI_E_PARSE: return "parse error";
    case VMHI_E_LIMIT: return "limit exceeded";
    case VMHI_E_MODULE: return "module error";
    case VMHI_E_IO: return "I/O error";
    case VMHI_E_INTERNAL: return "internal error";
    case VMHI_E_PERMISSION: return "permission denied";
    case VMHI_E_TRY_AGAIN: return "resource temporarily unavailable";
    case VMHI_E_NOT_FOUND: return "not found";
    }
    return "unknown error";
}
