/*
 * URI parsing: valid forms for every backend and hostile input.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core.h"
#include "testutil.h"

static vmhi__uri *parse_ok(const char *s)
{
    vmhi__uri *u = NULL;
    int rc = vmhi__uri_parse(s, &u);
    ck_assert_msg(rc == VMHI_OK, "'%s' rejected: %s", s, vmhi_error_last_message());
    return u;
}

static void parse_bad(const char *s, const char *expect_in_message)
{
    vmhi__uri *u = (vmhi__uri *)0x1;
    vmhi__error_reset();
    int rc = vmhi__uri_parse(s, &u);
    ck_assert_msg(rc == VMHI_E_INVALID_ARG, "'%s' accepted (rc %d)", s ? s : "(null)", rc);
    ck_assert_ptr_null(u);
    if (expect_in_message)
        ck_assert_msg(strstr(vmhi_error_last_message(), expect_in_message),
                      "message for '%s' lacks '%s': %s", s, expect_in_message,
                      vmhi_error_last_message());
}

START_TEST(test_backend_forms)
{
    vmhi__uri *u = parse_ok("test:///default");
    ck_assert_str_eq(u->scheme, "test");
    ck_assert_ptr_null(u->host);
    ck_assert_str_eq(u->path, "/default");
    ck_assert_uint_eq(u->nparams, 0);
    vmhi__uri_free(u);

    u = parse_ok("KVM:///session");
    ck_assert_str_eq(u->scheme, "kvm");
    ck_assert_str_eq(u->normalized, "kvm:///session");
    vmhi__uri_free(u);

    u = parse_ok("esx://Host.Example:8443/?no_verify=1&transport=http");
    ck_assert_str_eq(u->host, "host.example");
    ck_assert_int_eq(u->port, 8443);
    ck_assert_str_eq(u->path, "/");
    ck_assert_uint_eq(u->nparams, 2);
    ck_assert_str_eq(u->names[0], "no_verify");
    ck_assert_str_eq(u->values[0], "1");
    ck_assert_str_eq(u->names[1], "transport");
    ck_assert_str_eq(u->values[1], "http");
    vmhi__uri_free(u);

    u = parse_ok("vpx://root@vcenter/DC0/cluster%201");
    ck_assert_str_eq(u->user, "root");
    ck_assert_str_eq(u->host, "vcenter");
    ck_assert_str_eq(u->path, "/DC0/cluster 1");
    vmhi__uri_free(u);

    u = parse_ok("xen:///");
    ck_assert_str_eq(u->path, "/");
    vmhi__uri_free(u);

    u = parse_ok("esx://[::1]:443/");
    ck_assert_str_eq(u->host, "[::1]");
    ck_assert_int_eq(u->port, 443);
    vmhi__uri_free(u);

    u = parse_ok("test:///tmp/dir?guest=unresponsive&flag");
    ck_assert_str_eq(u->values[0], "unresponsive");
    ck_assert_str_eq(u->names[1], "flag");
    ck_assert_str_eq(u->values[1], "");
    vmhi__uri_free(u);
}
END_TEST

START_TEST(test_hostile)
{
    parse_bad(NULL, "NULL");
    parse_bad("", "empty");
    parse_bad("default", "scheme");
    parse_bad("1abc:///", "scheme");
    parse_bad("://x", "scheme");
    parse_bad("esx://root:secret@host/", "password");
    parse_bad("esx://host:0/", "out of range");
    parse_bad("esx://host:65536/", "out of range");
    parse_bad("esx://host:12ab/", "port");
    parse_bad("esx://host:/", "port");
    parse_bad("esx://:443/", "no host");
    parse_bad("test:///a b", "space");
    parse_bad("test:///a\nb", "control");
    parse_bad("test:///a#frag", "fragment");
    parse_bad("test:///a%00b", "control");
    parse_bad("test:///a%0ab", "control");
    parse_bad("test:///a%zz", "percent");
    parse_bad("test:///a%4", "percent");
    parse_bad("test:relative/path", "absolute");
    parse_bad("esx://ho$t/", "invalid character");
    parse_bad("esx://[::1/", "']'");
    parse_bad("esx://@host/", "user");
    parse_bad("test:///?=x", "without a name");
    parse_bad("test:///\xc3\xa9", "non-ASCII");
}
END_TEST

START_TEST(test_password_never_echoed)
{
    vmhi__uri *u = NULL;
    ck_assert_int_eq(vmhi__uri_parse("esx://root:hunter2@host/", &u), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(strstr(vmhi_error_last_message(), "hunter2"));
}
END_TEST

START_TEST(test_limits)
{
    char *long_uri = malloc(5000);
    memcpy(long_uri, "test:///", 8);
    memset(long_uri + 8, 'a', 4990);
    long_uri[4998] = '\0';
    parse_bad(long_uri, "longer than");
    free(long_uri);

    char many[2048] = "test:///?";
    for (int i = 0; i < 70; i++)
        strcat(many, "a=1&");
    parse_bad(many, "more than");

    char host[400] = "esx://";
    memset(host + 6, 'h', 300);
    strcpy(host + 306, "/");
    parse_bad(host, "longer than 255");
}
END_TEST

START_TEST(test_alloc_failures)
{
    /* Every allocation in the parser may fail: each must yield NOMEM, no leak. */
    for (long n = 1; n < 64; n++) {
        vmhi__uri *u = NULL;
        vmhi__alloc_fail_at(n);
        int rc = vmhi__uri_parse("esx://root@host:443/dc/x?a=1&b=2", &u);
        vmhi__alloc_fail_at(0);
        ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_NOMEM, "rc %d at n=%ld", rc, n);
        vmhi__uri_free(u);
        if (rc == VMHI_OK)
            return;
    }
    ck_abort_msg("parser never succeeded under allocation failure injection");
}
END_TEST

START_TEST(test_conn_open_errors)
{
    vmhi_conn *c = (vmhi_conn *)0x1;
    ck_vmhi(vmhi_conn_open(NULL, "test:///default", NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_open(&c, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(c);
    ck_vmhi(vmhi_conn_open(&c, "nosuch:///", NULL), VMHI_E_NO_BACKEND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "no backend for scheme 'nosuch'"));
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "searched: built-in"));
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.version = 99;
    ck_vmhi(vmhi_conn_open(&c, "test:///default", &opts), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_options_init(&opts, 99), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_conn_options_init(&opts, VMHI_CONN_OPTIONS_VERSION));
    ck_vmhi(vmhi_conn_open(&c, "esx://u:pw@h/", &opts), VMHI_E_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_backend_forms);
    tcase_add_test(tc, test_hostile);
    tcase_add_test(tc, test_password_never_echoed);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_alloc_failures);
    tcase_add_test(tc, test_conn_open_errors);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
