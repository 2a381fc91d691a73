/*
 * ESX backend against the vSphere simulator: connecting (TLS verification,
 * cafile=, no_verify=1, transport=http), credentials, host facts, limits
 * and URI errors.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

static int open_rc(const char *uri, const vmhi_conn_options *o)
{
    vmhi_conn *conn = NULL;
    int rc = vmhi_conn_open(&conn, uri, o);
    if (rc == VMHI_OK)
        vmhi_conn_close(conn);
    else
        ck_assert_ptr_null(conn);
    return rc;
}

START_TEST(opens_with_no_verify_and_reports_host)
{
    vmhi_conn *conn = esx_open();
    ck_assert_str_eq(vmhi_conn_get_backend(conn), "esx");
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_str_eq(info.hypervisor, "ESXi");
    ck_assert_str_eq(info.hypervisor_version, "6.5.0");
    ck_assert_str_eq(info.backend_version, VMHI_VERSION_STRING);
    ck_assert_str_eq(info.hostname, "localhost.localdomain");
    ck_assert(strstr(info.cpu_model, "Intel") != NULL);
    ck_assert_uint_eq(info.cpus, 2);
    ck_assert_uint_eq(info.memory_mib, 4095);
    ck_assert(info.free_memory_mib < info.memory_mib);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(verifies_certificates_by_default)
{
    vmhi_conn_options o = esx_options();
    ck_assert_int_eq(open_rc(esx_uri_verify(NULL), &o), VMHI_E_CONNECTION);
    ck_assert(strstr(vmhi_error_last_message(), "not trusted") != NULL);
    ck_assert(strstr(vmhi_error_last_message(), "cafile=") != NULL);
    ck_assert_str_eq(vmhi_error_last_native(), "CURLE_PEER_FAILED_VERIFICATION");
}
END_TEST

START_TEST(trusts_the_ca_given_with_cafile)
{
    char extra[700];
    snprintf(extra, sizeof(extra), "cafile=%s", esx_test_sim.cert);
    vmhi_conn_options o = esx_options();
    ck_vmhi_ok(open_rc(esx_uri_verify(extra), &o));
    ck_assert_int_eq(open_rc(esx_uri_verify("cafile=/nonexistent/ca.pem"), &o),
                     VMHI_E_CONNECTION);
}
END_TEST

static char log_text[65536];

static void collect_log(int level, const char *domain, const char *message, void *userdata)
{
    size_t len = strlen(log_text);
    snprintf(log_text + len, sizeof(log_text) - len, "%d %s %s\n", level, domain, message);
}

START_TEST(no_verify_is_stated_loudly_and_password_never_logged)
{
    log_text[0] = '\0';
    vmhi_conn_options o = esx_options();
    o.log_cb = collect_log;
    o.log_level = VMHI_LOG_DEBUG;
    vmhi_conn *conn = NULL;
    ck_vmhi_ok(vmhi_conn_open(&conn, esx_uri(NULL), &o));
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(conn);
    ck_assert_msg(strstr(log_text, "2 esx TLS certificate verification is DISABLED") != NULL,
                  "%s", log_text);
    ck_assert(strstr(log_text, "Login") != NULL);
    ck_assert(strstr(log_text, ESX_SIM_PASSWORD) == NULL);
}
END_TEST

static int wrong_password(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                          size_t buflen, void *userdata)
{
    snprintf(buf, buflen, "%s", type == VMHI_CRED_USERNAME ? ESX_SIM_USER : "Not-The-Pass-7");
    return 0;
}

START_TEST(a_wrong_password_is_an_auth_error_without_the_password)
{
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.auth_cb = wrong_password;
    ck_assert_int_eq(open_rc(esx_uri(NULL), &o), VMHI_E_AUTH);
    ck_assert_str_eq(vmhi_error_last_native(), "InvalidLogin");
    ck_assert(strstr(vmhi_error_last_message(), ESX_SIM_USER) != NULL);
    ck_assert(strstr(vmhi_error_last_message(), "Not-The-Pass-7") == NULL);
}
END_TEST

START_TEST(no_credential_callback_is_an_auth_error)
{
    ck_assert_int_eq(open_rc(esx_uri(NULL), NULL), VMHI_E_AUTH);
}
END_TEST

static int count_user_prompts;

static int password_only(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                         size_t buflen, void *userdata)
{
    if (type == VMHI_CRED_USERNAME) {
        count_user_prompts++;
        return -1;
    }
    snprintf(buf, buflen, "%s", ESX_SIM_PASSWORD);
    return 0;
}

START_TEST(the_user_name_can_come_from_the_uri)
{
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://%s@127.0.0.1:%d/?no_verify=1", ESX_SIM_USER,
             esx_test_sim.port);
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.auth_cb = password_only;
    count_user_prompts = 0;
    ck_vmhi_ok(open_rc(uri, &o));
    ck_assert_int_eq(count_user_prompts, 0);
}
END_TEST

START_TEST(uri_errors_are_invalid_arguments)
{
    vmhi_conn_options o = esx_options();
    ck_assert_int_eq(open_rc(esx_uri("bogus=1"), &o), VMHI_E_INVALID_ARG);
    ck_assert(strstr(vmhi_error_last_message(), "bogus") != NULL);
    ck_assert_int_eq(open_rc(esx_uri("no_verify=maybe"), &o), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(open_rc(esx_uri("transport=ftp"), &o), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(open_rc("esx:///", &o), VMHI_E_INVALID_ARG);
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/dc/cluster?no_verify=1", esx_test_sim.port);
    ck_assert_int_eq(open_rc(uri, &o), VMHI_E_INVALID_ARG);
    ck_assert(strstr(vmhi_error_last_message(), "vpx://") != NULL);
}
END_TEST

START_TEST(nothing_listening_is_a_connection_error)
{
    vmhi_conn_options o = esx_options();
    ck_assert_int_eq(open_rc("esx://127.0.0.1:1/?no_verify=1", &o), VMHI_E_CONNECTION);
    ck_assert(strstr(vmhi_error_last_message(), "127.0.0.1:1") != NULL);
}
END_TEST

START_TEST(plain_http_needs_transport_http)
{
    esx_sim plain;
    ck_assert_int_eq(esx_sim_start(&plain, "conn-http", "--vms 1 --http"), 0);
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?transport=http", plain.port);
    vmhi_conn *conn = esx_open_uri(uri);
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    ck_assert_uint_eq(n, 1);
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(conn);
    vmhi_conn_options o = esx_options();
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?no_verify=1", plain.port);
    ck_assert_int_eq(open_rc(uri, &o), VMHI_E_CONNECTION);
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?transport=http&no_verify=1", plain.port);
    ck_assert_int_eq(open_rc(uri, &o), VMHI_E_INVALID_ARG);
    esx_sim_stop(&plain);
}
END_TEST

START_TEST(limits_and_capabilities)
{
    vmhi_conn *conn = esx_open();
    uint64_t v = 0;
    ck_vmhi_ok(vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_VCPUS, &v));
    ck_assert_uint_eq(v, 128);
    ck_vmhi_ok(vmhi_conn_get_limit(conn, VMHI_LIMIT_MEMORY_GRANULARITY_MIB, &v));
    ck_assert_uint_eq(v, 4);
    unsigned int caps = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_LIST, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED);
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_PAUSE, &caps));
    ck_assert_uint_eq(caps, 0);
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_CREATE, &caps));
    ck_assert_uint_eq(caps, 0);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-conn");
    TCase *tc = tcase_create("conn");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, opens_with_no_verify_and_reports_host);
    tcase_add_test(tc, verifies_certificates_by_default);
    tcase_add_test(tc, trusts_the_ca_given_with_cafile);
    tcase_add_test(tc, no_verify_is_stated_loudly_and_password_never_logged);
    tcase_add_test(tc, a_wrong_password_is_an_auth_error_without_the_password);
    tcase_add_test(tc, no_credential_callback_is_an_auth_error);
    tcase_add_test(tc, the_user_name_can_come_from_the_uri);
    tcase_add_test(tc, uri_errors_are_invalid_arguments);
    tcase_add_test(tc, nothing_listening_is_a_connection_error);
    tcase_add_test(tc, plain_http_needs_transport_http);
    tcase_add_test(tc, limits_and_capabilities);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("conn", "--vms 4", suite());
}
