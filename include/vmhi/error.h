/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/error.h
 * @brief Error codes and the per-thread last error.
 *
 * Every VMHI call that can fail returns 0 on success or a negative
 * #vmhi_error_code.  The details of the most recent failure on the calling
 * thread are kept in a thread-local "last error": a code, a message a
 * human can act on, and the backend's own native code or fault name.
 * Each public call that returns a status (an int #vmhi_error_code) clears
 * the last error before it starts, so after it succeeds the last error is
 * #VMHI_OK.  Calls that cannot fail - getters, name lookups returning a
 * string, the _free() calls - and the vmhi_error_last_*() readers (also
 * vmhi_error_last_location(), which returns a status) never touch it.  Messages never contain passwords or other secrets.
 */
#ifndef VMHI_ERROR_H
#define VMHI_ERROR_H

#include "common.h"

VMHI_BEGIN_DECLS

/**
 * @brief Error codes.  Values only grow; a code never changes meaning.
 * @since 1.0
 */
typedef enum vmhi_error_code {
    VMHI_OK = 0,                  /**< Success. */
    VMHI_E_INVALID_ARG = -1,      /**< An argument is NULL, out of range or malformed. */
    VMHI_E_NO_VM = -2,            /**< No VM with that name or UUID. */
    VMHI_E_INVALID_STATE = -3,    /**< The VM is not in a state that allows the call. */
    VMHI_E_UNSUPPORTED = -4,      /**< The backend does not implement the call or flag. */
    VMHI_E_EXISTS = -5,           /**< A VM with that name or UUID already exists. */
    VMHI_E_AUTH = -6,             /**< Authentication failed or no credentials (see also #VMHI_E_PERMISSION). */
    VMHI_E_CONNECTION = -7,       /**< The hypervisor could not be reached or went away. */
    VMHI_E_TIMEOUT = -8,          /**< The operation did not finish in time. */
    VMHI_E_BUSY = -9,             /**< The object is busy with another operation. */
    VMHI_E_BACKEND = -10,         /**< The hypervisor reported a failure (see native code). */
    VMHI_E_NOMEM = -11,           /**< Out of memory. */
    VMHI_E_NO_BACKEND = -12,      /**< No backend accepts that URI. */
    VMHI_E_NO_DEVICE = -13,       /**< No device with that id. */
    VMHI_E_PARSE = -14,           /**< A document is malformed or does not match the schema. */
    VMHI_E_LIMIT = -15,           /**< A value exceeds a host or backend limit; retrying will not help. */
    VMHI_E_MODULE = -16,          /**< A backend module could not be loaded. */
    VMHI_E_IO = -17,              /**< A file or socket operation failed. */
    VMHI_E_INTERNAL = -18,        /**< A bug in VMHI or a backend; please report it. */
    VMHI_E_PERMISSION = -19,      /**< Authenticated, but not allowed to do this (EACCES, NoPermission; since 1.1 also any change on a #VMHI_CONN_READONLY connection). */
    VMHI_E_TRY_AGAIN = -20,       /**< No resource is free right now (host memory, a port, a lock); a retry may succeed. */
    VMHI_E_NOT_FOUND = -21        /**< A named object other than a VM or device does not exist (bridge, kernel image, datastore, network). */
} vmhi_error_code;
/** @brief The lowest (most negative) #vmhi_error_code of VMHI 1.0. */
#define VMHI_ERROR_CODE_MIN_1_0 (-21)

/**
 * @brief Code of the calling thread's last error.
 * @return A #vmhi_error_code; #VMHI_OK when the last call succeeded.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_error_last_code(void);

/**
 * @brief Message of the calling thread's last error.
 * @return A string valid until the next call on this thread that returns
 *         a status (see the file description); "" when there is no error.
 *         Never NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_error_last_message(void);

/**
 * @brief The backend's native code or fault name for the last error
 *        (for example "InvalidPowerState", "GenericError", "errno 13").
 * @return A string valid until the next call on this thread that returns
 *         a status, or NULL when the error did not come from a backend.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_error_last_native(void);

/**
 * @brief Document location of the last #VMHI_E_PARSE error.
 * @param[out] line   Line number (1-based), or 0 if unknown.  May be NULL.
 * @param[out] column Column number (1-based), or 0 if unknown.  May be NULL.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG when the last error has no location.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_error_last_location(unsigned *line, unsigned *column);

/**
 * @brief Clears the calling thread's last error.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_error_clear(void);

/**
 * @brief Short description of an error code, e.g. "invalid state".
 * @param code A #vmhi_error_code.
 * @return A static string; "unknown error" for codes VMHI does not know.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_strerror(int code);

/**
 * @brief Symbolic name of an error code, e.g. "invalid-state" for
 *        #VMHI_E_INVALID_STATE and "ok" for #VMHI_OK.
 * @param code A #vmhi_error_code.
 * @return A static string, or NULL for codes VMHI does not know.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_error_name(int code);

/**
 * @brief The error code named @p name (the reverse of vmhi_error_name()).
 * @param name The name.  @param[out] out The code.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG for NULL or an unknown name.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_error_from_name(const char *name, int *out);

VMHI_END_DECLS

#endif /* VMHI_ERROR_H */
