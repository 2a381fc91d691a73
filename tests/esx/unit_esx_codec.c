/*
 * Unit tests of the ESX backend's SOAP reply parser (esx_codec.c) against
 * a hostile server (issue #11): a reply that declares a DOCTYPE - where
 * external entities and entity expansion come from - is refused unread
 * with VMHI_E_BACKEND (native "BadReply"), and parsing it opens no file
 * (inotify watches the file its entity names); a plain reply still parses.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "esx.h"
#include "testutil.h"

static char last_native[64];
static char last_message[512];

static int fake_set_error_v(int code, const char *native, const char *fmt, va_list ap)
{
    snprintf(last_native, sizeof(last_native), "%s", native ? native : "");
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    return code;
}

static int fake_set_error(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fake_set_error_v(code, native, fmt, ap);
    va_end(ap);
    return code;
}

static void *fake_alloc(size_t n)
{
    return malloc(n);
}

static void fake_free(void *p)
{
    free(p);
}

static vmhi_core_services fake = { .set_error = fake_set_error, .alloc = fake_alloc,
                                   .dealloc = fake_free, .set_error_v = fake_set_error_v };

static void setup(void)
{
    esx_core = &fake;
    last_native[0] = last_message[0] = '\0';
}

#define ENVELOPE_OPEN                                                                     \
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"      \
    "<soapenv:Body><PingResponse xmlns=\"urn:vim25\"><returnval>"
#define ENVELOPE_CLOSE "</returnval></PingResponse></soapenv:Body></soapenv:Envelope>"

static int parse(const char *reply, esx_reply *r)
{
    return esx_codec_parse("Ping", reply, strlen(reply), 200, r, NULL);
}

START_TEST(a_plain_reply_parses)
{
    esx_reply r;
    ck_assert_int_eq(parse(ENVELOPE_OPEN "pong" ENVELOPE_CLOSE, &r), VMHI_OK);
    ck_assert_ptr_nonnull(r.result);
    char text[16];
    ck_assert_str_eq(esx_xml_child_text(r.result, "returnval", text, sizeof(text)), "pong");
    esx_reply_free(&r);
}
END_TEST

/* Regression (fuzz_esx_soap): the error named the element after the
 * document holding it was freed (a use after free under ASan). */
START_TEST(a_reply_to_another_method_names_its_element)
{
    esx_reply r;
    const char *other = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
                        "envelope/\"><soapenv:Body><LoginResponse xmlns=\"urn:vim25\">"
                        "<returnval/></LoginResponse></soapenv:Body></soapenv:Envelope>";
    ck_assert_int_eq(parse(other, &r), VMHI_E_BACKEND);
    ck_assert_ptr_null(r.doc);
    ck_assert_str_eq(last_native, "BadReply");
    ck_assert_ptr_nonnull(strstr(last_message, "element <LoginResponse>"));
}
END_TEST

START_TEST(a_reply_with_a_doctype_is_refused_unread)
{
    char dir[] = "/tmp/vmhi-esx-xxe-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char file[64], reply[1024];
    snprintf(file, sizeof(file), "%s/secret", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("TOPSECRET", f);
    fclose(f);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(inotify_add_watch(in, file, IN_OPEN | IN_ACCESS), 0);

    for (int i = 0; i < 3; i++) {
        if (i == 0)
            snprintf(reply, sizeof(reply), "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e "
                     "SYSTEM \"file://%s\">]>" ENVELOPE_OPEN "&e;" ENVELOPE_CLOSE, file);
        else if (i == 1)
            snprintf(reply, sizeof(reply), "<!DOCTYPE x SYSTEM \"file://%s\">" ENVELOPE_OPEN
                     "pong" ENVELOPE_CLOSE, file);
        else
            snprintf(reply, sizeof(reply), "<!DOCTYPE x [<!ENTITY %% p SYSTEM \"file://%s\"> "
                     "%%p;]>" ENVELOPE_OPEN "pong" ENVELOPE_CLOSE, file);
        esx_reply r = { (xmlDoc *)1, (xmlNode *)1 };
        ck_assert_int_eq(parse(reply, &r), VMHI_E_BACKEND);
        ck_assert_ptr_null(r.doc);
        ck_assert_str_eq(last_native, "BadReply");
        ck_assert_ptr_nonnull(strstr(last_message, "DOCTYPE"));
        ck_assert_ptr_null(strstr(last_message, "TOPSECRET"));
    }
    char buf[1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    ck_assert_msg(read(in, buf, sizeof(buf)) < 0 && errno == EAGAIN,
                  "parsing a reply opened the file its entity names");
    close(in);
    unlink(file);
    rmdir(dir);
}
END_TEST

START_TEST(entity_expansion_is_refused_before_it_starts)
{
    /* A billion laughs: 10^9 bytes if expanded.  Refused at the DOCTYPE. */
    static const char reply[] =
        "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
        "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">"
        "<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">]>"
        ENVELOPE_OPEN "<x a=\"&i;\">&i;</x>" ENVELOPE_CLOSE;
    esx_reply r;
    ck_assert_int_eq(parse(reply, &r), VMHI_E_BACKEND);
    ck_assert_str_eq(last_native, "BadReply");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("esx-codec");
    TCase *tc = tcase_create("codec");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, a_plain_reply_parses);
    tcase_add_test(tc, a_reply_with_a_doctype_is_refused_unread);
    tcase_add_test(tc, entity_expansion_is_refused_before_it_starts);
    tcase_add_test(tc, a_reply_to_another_method_names_its_element);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
