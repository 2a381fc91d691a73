/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The core-services table handed to every backend's entry function.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

static VMHI_PRINTF(3, 4) int service_set_error(int code, const char *native, const char *fmt, ...)
{
    if (code >= 0)
        code = VMHI_E_INTERNAL;
    va_list ap;
    va_start(ap, fmt);
    vmhi__error_nativev(code, native, fmt, ap);
    va_end(ap);
    return code;
}

static VMHI_PRINTF(3, 0) int service_set_error_v(int code, const char *native, const char *fmt,
                                                 va_list ap)
{
    if (code >= 0)
        code = VMHI_E_INTERNAL;
    return vmhi__error_nativev(code, native, fmt, ap);
}

static VMHI_PRINTF(3, 4) void service_log(vmhi_conn *conn, int level, const char *fmt, ...)
{
    if (!conn || !conn->opts.log_cb || level > conn->opts.log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    const char *domain = conn->backend ? conn->backend->ops.name : "core";
    conn->opts.log_cb(level, domain, line, conn->opts.log_data);
}

static int service_get_credential(vmhi_conn *conn, vmhi_cred_type type, const char *prompt,
                                  char *buf, size_t buflen)
{
    if (!conn || !buf || buflen == 0)
        return vmhi__error(VMHI_E_INTERNAL, "backend asked for a credential without a buffer");
    buf[0] = '\0';
    if (!conn->opts.auth_cb)
        return vmhi__error(VMHI_E_AUTH,
                           "the backend needs a %s but the application gave no credential "
                           "callback",
                           type == VMHI_CRED_PASSWORD ? "password" : "user name");
    int rc = conn->opts.auth_cb(type, conn->uri->normalized, prompt ? prompt : "", buf, buflen,
                                conn->opts.auth_data);
    if (rc < 0 || memchr(buf, '\0', buflen) == NULL) {
        memset(buf, 0, buflen);
        return vmhi__error(VMHI_E_AUTH, "the credential callback did not supply a %s",
                           type == VMHI_CRED_PASSWORD ? "password" : "user name");
    }
    return VMHI_OK;
}

static void service_progress(vmhi_conn *conn, const char *operation, int percent)
{
    if (conn && conn->opts.progress_cb)
        conn->opts.progress_cb(operation ? operation : "", percent, conn->opts.progress_data);
}

static unsigned int service_timeout_ms(vmhi_conn *conn)
{
    return conn ? conn->opts.timeout_ms : 0;
}

const vmhi_core_services vmhi__core_services = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_core_services),
    .set_error = service_set_error,
    .emit_event = vmhi__event_emit,
    .log = service_log,
    .get_credential = service_get_credential,
    .progress = service_progress,
    .timeout_ms = service_timeout_ms,
    .alloc = vmhi__malloc,
    .dealloc = vmhi__free,
    .set_error_v = service_set_error_v,
    .error_save = vmhi__error_save,
    .error_restore = vmhi__error_restore,
    .error_discard = vmhi__error_discard,
};
