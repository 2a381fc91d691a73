/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Connections (spec section 4): identity of the connection, host facts,
 * credentials (only through the callback, never echoed), refused
 * credentials, unreachable hosts, unknown URI parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

VMHI_CONF_TEST(connection_names_backend_and_uri, VMHI_PROFILE_CORE, "CONN-5")
{
    vmhi_conn *conn = conf_open();
    const char *backend = vmhi_conn_get_backend(conn);
    const char *uri = vmhi_conn_get_uri(conn);
    conf_req("CONN-5");
    ck_assert_msg(backend && *backend, "vmhi_conn_get_backend() returned nothing");
    ck_assert_msg(uri && *uri, "vmhi_conn_get_uri() returned nothing");
    size_t scheme = strcspn(conf->uri, ":");
    ck_assert_msg(strncasecmp(uri, conf->uri, scheme) == 0 && uri[scheme] == ':',
                  "the normalized URI '%s' lost the scheme of '%s'", uri, conf->uri);
    const char *authority = strstr(uri, "://");
    if (authority) {
        authority += 3;
        const char *at = strchr(authority, '@');
        const char *slash = strchr(authority, '/');
        ck_assert_msg(!at || (slash && slash < at) || !memchr(authority, ':', (size_t)(at - authority)),
                      "the URI '%s' carries a password", uri);
    }
    const char *password = conf_auth_password(conf->uri);
    ck_assert_msg(!password || !strstr(uri, password), "the URI carries the password");
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(host_info_is_plausible, VMHI_PROFILE_CORE, "CONN-11")
{
    vmhi_conn *conn = conf_open();
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    conf_req("CONN-11");
    conf_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_msg(info.hypervisor[0], "the hypervisor name is empty");
    ck_assert_uint_ge(info.cpus, 1);
    ck_assert_uint_ge(info.memory_mib, 1);
    ck_assert_msg(info.free_memory_mib == UINT64_MAX || info.free_memory_mib <= info.memory_mib,
                  "free memory %llu MiB exceeds the host's %llu MiB",
                  (unsigned long long)info.free_memory_mib, (unsigned long long)info.memory_mib);
    vmhi_conn_close(conn);
}

/* ------------------------------------------------------------- secrets */

typedef struct spy {
    char secret[128];
    int asked;
    bool leaked;
    char where[256];
} spy;

static void scan(spy *s, const char *text, const char *where)
{
    if (s->secret[0] && text && strstr(text, s->secret) && !s->leaked) {
        s->leaked = true;
        snprintf(s->where, sizeof(s->where), "%s", where);
    }
}

static int spy_auth(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                    size_t buflen, void *userdata)
{
    spy *s = userdata;
    s->asked++;
    if (conf_auth_cb(type, uri, prompt, buf, buflen, NULL) == 0) {
        if (type == VMHI_CRED_PASSWORD)
            snprintf(s->secret, sizeof(s->secret), "%s", buf);
        return 0;
    }
    const char *value = type == VMHI_CRED_PASSWORD ? s->secret : "vmhi-conf-user";
    if (strlen(value) >= buflen)
        return -1;
    memcpy(buf, value, strlen(value) + 1);
    return 0;
}

static void spy_log(int level, const char *domain, const char *message, void *userdata)
{
    (void)level;
    (void)domain;
    scan(userdata, message, "a log line");
}

static void spy_progress(const char *operation, int percent, void *userdata)
{
    (void)percent;
    scan(userdata, operation, "a progress callback");
}

static void scan_error(spy *s, int rc)
{
    if (rc >= 0)
        return;
    scan(s, vmhi_error_last_message(), "an error message");
    scan(s, vmhi_error_last_native(), "a native error string");
}

/* Calls that succeed and calls that fail, for the secret to leak into. */
static void exercise(vmhi_conn *conn, spy *s)
{
    vmhi_vm *vm = NULL;
    vmhi_vm_config *cfg = conf_config_new();
    scan_error(s, vmhi_vm_define(&vm, conn, cfg, 0));
    scan_error(s, vmhi_vm_define(NULL, conn, cfg, 0)); /* EXISTS or a redefinition */
    vmhi_vm_config_free(cfg);
    vmhi_vm *none = NULL;
    scan_error(s, vmhi_vm_lookup_by_name(&none, conn, "vmhi-conf-no-such-vm"));
    if (vm) {
        scan_error(s, vmhi_vm_poweroff(vm, 0));
        scan_error(s, vmhi_vm_start(vm, 0));
        scan_error(s, vmhi_vm_start(vm, 0));
        scan_error(s, vmhi_vm_poweroff(vm, 0));
        scan_error(s, vmhi_vm_undefine(vm, 0));
        scan_error(s, vmhi_vm_undefine(vm, 0));
    }
    vmhi_vm_free(vm);
}

VMHI_CONF_TEST(secrets_stay_secret, VMHI_PROFILE_CORE, "CONN-6")
{
    spy s;
    memset(&s, 0, sizeof(s));
    snprintf(s.secret, sizeof(s.secret), "vmhi-conf-secret-%ld", conf->run_id);
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.auth_cb = spy_auth;
    opts.auth_data = &s;
    opts.log_cb = spy_log;
    opts.log_data = &s;
    opts.log_level = VMHI_LOG_DEBUG;
    opts.progress_cb = spy_progress;
    opts.progress_data = &s;
    vmhi_conn *conn = NULL;
    conf_req("CONN-6");
    int rc = vmhi_conn_open(&conn, conf->uri, &opts);
    scan_error(&s, rc);
    ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_AUTH,
                  "vmhi_conn_open returned %d (%s): %s", rc, vmhi_strerror(rc),
                  vmhi_error_last_message());
    if (conn)
        exercise(conn, &s);
    vmhi_conn_close(conn);
    ck_assert_msg(!s.leaked, "the password given to the credential callback appears in %s",
                  s.where);
    if (!s.asked)
        conf_note("the backend asked for no credential on this URI");
}

static int refuse_auth(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                       size_t buflen, void *userdata)
{
    (void)type;
    (void)uri;
    (void)prompt;
    (void)buf;
    (void)buflen;
    ++*(int *)userdata;
    return -1;
}

VMHI_CONF_TEST(refused_credentials_fail_with_auth, VMHI_PROFILE_CORE, "CONN-7")
{
    int asked = 0;
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.auth_cb = refuse_auth;
    opts.auth_data = &asked;
    vmhi_conn *conn = NULL;
    conf_req("CONN-7");
    int rc = vmhi_conn_open(&conn, conf->uri, &opts);
    ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_AUTH, "with the credential callback refusing, "
                  "vmhi_conn_open returned %d (%s), not VMHI_E_AUTH: %s", rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    vmhi_conn_close(conn);
    conn = NULL;
    rc = vmhi_conn_open(&conn, conf->uri, NULL);
    ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_AUTH, "without a credential callback, "
                  "vmhi_conn_open returned %d (%s), not VMHI_E_AUTH: %s", rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    vmhi_conn_close(conn);
    if (!asked)
        conf_note("the backend asked for no credential on this URI");
}

/* The URI with its host and port replaced by a closed local port, or NULL
 * when the URI names no host (a local backend). */
static char *unreachable_uri(const char *uri)
{
    const char *auth = strstr(uri, "://");
    if (!auth)
        return NULL;
    auth += 3;
    size_t len = strcspn(auth, "/?");
    const char *at = memchr(auth, '@', len);
    const char *host = at ? at + 1 : auth;
    if (host == auth + len)
        return NULL;
    char *out = NULL;
    if (asprintf(&out, "%.*s127.0.0.1:1%s", (int)(host - uri), uri, auth + len) < 0)
        return NULL;
    return out;
}

VMHI_CONF_TEST(unreachable_host_fails_with_connection, VMHI_PROFILE_CORE, "CONN-8")
{
    char *uri = unreachable_uri(conf->uri);
    CONF_SKIP_IF(!uri, "the URI names no remote host: there is no host to make unreachable");
    vmhi_conn *conn = NULL;
    conf_req("CONN-8");
    int rc = conf_conn_open(&conn, uri);
    ck_assert_msg(rc == VMHI_E_CONNECTION, "opening %s (nothing listens there) returned %d "
                  "(%s), expected VMHI_E_CONNECTION: %s", uri, rc, vmhi_strerror(rc),
                  vmhi_error_last_message());
    ck_assert_ptr_null(conn);
    free(uri);
}

VMHI_CONF_TEST(unknown_uri_parameter_is_refused, VMHI_PROFILE_CORE, "CONN-9")
{
    char *uri = NULL;
    ck_assert_int_ge(asprintf(&uri, "%s%svmhi_conf_bogus=1", conf->uri,
                              strchr(conf->uri, '?') ? "&" : "?"), 0);
    vmhi_conn *conn = NULL;
    conf_req("CONN-9");
    int rc = conf_conn_open(&conn, uri);
    vmhi_conn_close(conn);
    ck_assert_msg(rc == VMHI_E_INVALID_ARG, "opening %s returned %d (%s), expected "
                  "VMHI_E_INVALID_ARG", uri, rc, vmhi_strerror(rc));
    ck_assert_msg(strstr(vmhi_error_last_message(), "vmhi_conf_bogus"),
                  "the message does not name the parameter: %s", vmhi_error_last_message());
    free(uri);
}
