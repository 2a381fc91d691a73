/*
 * Robustness of the XML and JSON parsers and serializers: bad arguments,
 * size and nesting limits, too many devices, silence on stderr, threads and
 * allocation failures in every direction.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <unistd.h>

#include "config_test_util.h"
#include "internal.h"

/* ------------------------------------------------------------ hostile input */

START_TEST(bad_arguments)
{
    vmhi_vm_config *cfg = (vmhi_vm_config *)1;
    ck_vmhi(vmhi_vm_config_from_xml(NULL, "<vm/>", 5), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, NULL, 5), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(cfg);
    ck_vmhi(vmhi_vm_config_from_json(NULL, "{}", 2), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_from_json(&cfg, NULL, 2), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_from_json(&cfg, "", 0), VMHI_E_PARSE);
    ck_vmhi(vmhi_vm_config_from_json(&cfg, "null", 4), VMHI_E_PARSE);
    /* The length is honoured: the text after it is not read. */
    static const char json[] = "{\"vmhi\":1,\"name\":\"a\"}garbage";
    size_t json_len = (size_t)(strchr(json, '}') - json) + 1;
    ck_vmhi(vmhi_vm_config_from_json(&cfg, json, json_len), VMHI_OK);
    vmhi_vm_config_free(cfg);
    ck_vmhi(vmhi_vm_config_from_json(&cfg, json, json_len + 1), VMHI_E_PARSE);
    /* Embedded NUL characters are errors, not terminators. */
    static const char json_nul[] = "{\"vmhi\":1,\"name\":\"a\"}\0";
    ck_vmhi(vmhi_vm_config_from_json(&cfg, json_nul, sizeof(json_nul) - 1), VMHI_E_PARSE);
    static const char xml_nul[] = "<vm xmlns='urn:vmhi:vm:1'><name>a\0b</name></vm>";
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, xml_nul, sizeof(xml_nul) - 1), VMHI_E_PARSE);
    ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(size_limit)
{
    size_t len = (1u << 20) + 1;
    char *big = malloc(len);
    memset(big, ' ', len);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, big, len), VMHI_E_LIMIT);
    ck_vmhi(vmhi_vm_config_from_json(&cfg, big, len), VMHI_E_LIMIT);
    ck_assert_ptr_null(cfg);
    free(big);
}
END_TEST

START_TEST(too_many_devices)
{
    char *xml = malloc(16384), *json = malloc(16384);
    size_t x = (size_t)sprintf(xml, "<vm xmlns='urn:vmhi:vm:1'><name>a</name><devices>");
    size_t j = (size_t)sprintf(json, "{\"vmhi\":1,\"name\":\"a\",\"disks\":[");
    for (int i = 0; i < 65; i++) {
        x += (size_t)sprintf(xml + x, "\n<disk><path>/d%d</path></disk>", i);
        j += (size_t)sprintf(json + j, "%s{\"path\":\"/d%d\"}", i ? "," : "", i);
    }
    strcpy(xml + x, "</devices></vm>");
    strcpy(json + j, "]}");
    vmhi_vm_config *cfg = NULL;
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, xml, strlen(xml)), VMHI_E_PARSE);
    unsigned line = 0;
    ck_vmhi_ok(vmhi_error_last_location(&line, NULL));
    ck_assert_uint_eq(line, 66); /* the 65th disk */
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "64"));
    ck_vmhi(vmhi_vm_config_from_json(&cfg, json, strlen(json)), VMHI_E_PARSE);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "/disks"));
    free(xml);
    free(json);
}
END_TEST

START_TEST(deep_nesting)
{
    char json[4096] = "{\"vmhi\":1,\"name\":\"a\",\"x\":";
    size_t n = strlen(json);
    for (int i = 0; i < 1000; i++)
        json[n++] = '[';
    json[n] = '\0';
    vmhi_vm_config *cfg = NULL;
    ck_vmhi(vmhi_vm_config_from_json(&cfg, json, n), VMHI_E_PARSE);

    char *xml = malloc(1 << 16);
    size_t x = (size_t)sprintf(xml, "<vm xmlns='urn:vmhi:vm:1'><name>a</name>");
    for (int i = 0; i < 5000; i++)
        x += (size_t)sprintf(xml + x, "<d>");
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, xml, x), VMHI_E_PARSE);
    ck_assert_ptr_null(cfg);
    free(xml);
}
END_TEST

/* Nothing reaches stderr, whatever libxml2 and json-c think of the input. */
START_TEST(never_prints)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    dup2(fileno(capture), STDERR_FILENO);
    static const char *const xml_docs[] = {
        "<vm", "<vm xmlns='urn:vmhi:vm:1'><name>a</name><bogus/></vm>", "<?xml version='9'?><a/>",
        "<!DOCTYPE vm SYSTEM 'http://example.invalid/x.dtd'><vm/>", "<a:vm/>", "\xff\xfe<\0v\0"
    };
    vmhi_vm_config *cfg = NULL;
    for (size_t i = 0; i < sizeof(xml_docs) / sizeof(xml_docs[0]); i++)
        ck_assert_int_eq(vmhi_vm_config_from_xml(&cfg, xml_docs[i], strlen(xml_docs[i])),
                         VMHI_E_PARSE);
    ck_assert_int_eq(vmhi_vm_config_from_json(&cfg, "{\"a\":", 5), VMHI_E_PARSE);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fseek(capture, 0, SEEK_END);
    long written = ftell(capture);
    fclose(capture);
    ck_assert_int_eq(written, 0);
}
END_TEST

static void *parse_many(void *arg)
{
    const char *doc = arg;
    for (int i = 0; i < 40; i++) {
        vmhi_vm_config *cfg = NULL;
        if (vmhi_vm_config_from_xml(&cfg, doc, strlen(doc)) != VMHI_OK)
            return (void *)1;
        vmhi_vm_config_free(cfg);
        if (vmhi_vm_config_from_xml(&cfg, "<vm xmlns='urn:vmhi:vm:1'/>", 27) != VMHI_E_PARSE)
            return (void *)1;
    }
    return NULL;
}

START_TEST(threads)
{
    size_t len;
    char *doc = read_data("good/full.xml", &len);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, parse_many, doc), 0);
    for (int i = 0; i < 4; i++) {
        void *result;
        pthread_join(t[i], &result);
        ck_assert_ptr_null(result);
    }
    free(doc);
}
END_TEST

/* ------------------------------------------------------ allocation failures */

typedef int (*codec_op)(const void *arg);

static void torture(codec_op op, const void *arg)
{
    for (long n = 1; n < 100000; n++) {
        long before = vmhi__alloc_count();
        vmhi__alloc_fail_at(n);
        int rc = op(arg);
        vmhi__alloc_fail_at(0);
        ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_NOMEM, "n=%ld: rc %d (%s)", n, rc,
                      vmhi_error_last_message());
        if (rc == VMHI_OK && vmhi__alloc_count() - before < n)
            return;
    }
    ck_abort_msg("operation never succeeded");
}

static int from_xml_op(const void *doc)
{
    vmhi_vm_config *cfg = NULL;
    int rc = vmhi_vm_config_from_xml(&cfg, doc, strlen(doc));
    vmhi_vm_config_free(cfg);
    return rc;
}

static int from_json_op(const void *doc)
{
    vmhi_vm_config *cfg = NULL;
    int rc = vmhi_vm_config_from_json(&cfg, doc, strlen(doc));
    vmhi_vm_config_free(cfg);
    return rc;
}

static int to_xml_op(const void *cfg)
{
    char *out = NULL;
    int rc = vmhi_vm_config_to_xml(cfg, &out);
    vmhi_free(out);
    return rc;
}

static int to_json_op(const void *cfg)
{
    char *out = NULL;
    int rc = vmhi_vm_config_to_json(cfg, &out);
    vmhi_free(out);
    return rc;
}

START_TEST(alloc_failures)
{
    size_t len;
    char *doc = read_good(_i, &len);
    vmhi_vm_config *cfg = from_xml(doc);
    char *json = json_of(cfg);
    torture(from_xml_op, doc);
    torture(from_json_op, json);
    torture(to_xml_op, cfg);
    torture(to_json_op, cfg);
    vmhi_free(json);
    vmhi_vm_config_free(cfg);
    free(doc);
}
END_TEST

static Suite *robust_suite(void)
{
    Suite *s = suite_create("config_robust");
    TCase *tc = tcase_create("robust");
    int goods = (int)(sizeof(good_docs) / sizeof(good_docs[0]));
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, size_limit);
    tcase_add_test(tc, too_many_devices);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, never_prints);
    tcase_add_test(tc, threads);
    tcase_add_loop_test(tc, alloc_failures, 0, goods);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return vmhi_test_run(robust_suite());
}
