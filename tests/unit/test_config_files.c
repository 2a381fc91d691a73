/*
 * A VM description cannot make the library touch a file (issue #11,
 * CFG-21): no XML external entity, external DTD subset, parameter entity,
 * XInclude, stylesheet or schema location, no JSON "$ref", and no file://
 * disk or kernel path makes vmhi_vm_config_from_xml() or _from_json() open,
 * read or create a file.  inotify watches a secret file and its directory
 * while every hostile document is parsed: not one open may be seen, and
 * the secret's text may appear in no message.  Paths a description names
 * (a disk, a kernel) are data; parsing does not open them either.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define SECRET "TOPSECRET-5d1f"

typedef struct watch {
    char dir[PATH_MAX];
    char file[PATH_MAX + 16];
    char url[PATH_MAX + 32];
    int fd;
} watch;

static watch w;

static void watch_setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(w.dir, sizeof(w.dir), "%s/vmhi-xxe-XXXXXX", base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(w.dir));
    snprintf(w.file, sizeof(w.file), "%s/secret", w.dir);
    snprintf(w.url, sizeof(w.url), "file://%s", w.file);
    FILE *f = fopen(w.file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(SECRET "\n", f);
    fclose(f);
    /* Relative references resolve against the working directory. */
    ck_assert_int_eq(chdir(w.dir), 0);
    w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ck_assert_int_ge(w.fd, 0);
    ck_assert_int_ge(inotify_add_watch(w.fd, w.file, IN_OPEN | IN_ACCESS | IN_MODIFY), 0);
    ck_assert_int_ge(inotify_add_watch(w.fd, w.dir, IN_OPEN | IN_CREATE | IN_MODIFY), 0);
}

static void watch_teardown(void)
{
    close(w.fd);
    ck_assert_int_eq(chdir("/"), 0);
    unlink(w.file);
    rmdir(w.dir);
}

/* Fails when anything opened, read, created or changed a watched path. */
static void ck_untouched(const char *what)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(w.fd, buf, sizeof(buf));
    ck_assert_msg(n < 0 && errno == EAGAIN, "parsing %s touched %s (inotify reported %zd bytes)",
                  what, w.dir, n);
}

static void ck_no_secret(const char *what)
{
    ck_assert_msg(strstr(vmhi_error_last_message(), SECRET) == NULL,
                  "%s: the secret leaked into the message: %s", what, vmhi_error_last_message());
    const char *native = vmhi_error_last_native();
    ck_assert_msg(!native || strstr(native, SECRET) == NULL, "%s: the secret leaked", what);
}

/* @tmpl with every @URL@ replaced by the secret's file:// URL and every
 * @PATH@ by its path. */
static void expand(char *out, size_t size, const char *tmpl)
{
    size_t n = 0;
    for (const char *p = tmpl; *p && n + 1 < size;) {
        const char *with = strncmp(p, "@URL@", 5) == 0 ? w.url
                           : strncmp(p, "@PATH@", 6) == 0 ? w.file : NULL;
        if (!with) {
            out[n++] = *p++;
            continue;
        }
        p += with == w.url ? 5 : 6;
        size_t len = strlen(with);
        ck_assert_uint_lt(n + len, size);
        memcpy(out + n, with, len);
        n += len;
    }
    out[n] = '\0';
}

/* Parses @tmpl (see expand()) and expects @code, touching nothing. */
static void parse_xml(const char *tmpl, int code)
{
    char doc[8192];
    expand(doc, sizeof(doc), tmpl);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi(vmhi_vm_config_from_xml(&cfg, doc, strlen(doc)), code);
    if (cfg) {
        char *xml = NULL;
        ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
        ck_assert_ptr_null(strstr(xml, SECRET));
        vmhi_free(xml);
        vmhi_vm_config_free(cfg);
    } else {
        ck_no_secret(doc);
    }
    ck_untouched(doc);
}

static void parse_json(const char *tmpl, int code)
{
    char doc[8192];
    expand(doc, sizeof(doc), tmpl);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi(vmhi_vm_config_from_json(&cfg, doc, strlen(doc)), code);
    if (cfg) {
        char *json = NULL;
        ck_vmhi_ok(vmhi_vm_config_to_json(cfg, &json));
        ck_assert_ptr_null(strstr(json, SECRET));
        vmhi_free(json);
        vmhi_vm_config_free(cfg);
    } else {
        ck_no_secret(doc);
    }
    ck_untouched(doc);
}

#define VM_OPEN "<vm xmlns=\"urn:vmhi:vm:1\">"

START_TEST(the_watch_sees_a_read)
{
    /* The harness itself: an open of the secret is seen. */
    int fd = open(w.file, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ck_assert_int_gt(read(w.fd, buf, sizeof(buf)), 0);
    ck_untouched("nothing");
}
END_TEST

START_TEST(xml_entities_and_dtds_are_refused_unread)
{
    static const char *const docs[] = {
        /* external general entity, absolute URL and relative name */
        "<!DOCTYPE vm [<!ENTITY x SYSTEM \"@URL@\">]>" VM_OPEN "<name>&x;</name></vm>",
        "<!DOCTYPE vm [<!ENTITY x SYSTEM \"secret\">]>" VM_OPEN "<name>&x;</name></vm>",
        "<!DOCTYPE vm [<!ENTITY x SYSTEM \"@PATH@\">]>" VM_OPEN "<name>a</name><metadata>"
        "<entry key=\"x-a:b\">&x;</entry></metadata></vm>",
        /* external subset, public id, parameter entity */
        "<!DOCTYPE vm SYSTEM \"@URL@\">" VM_OPEN "<name>a</name></vm>",
        "<!DOCTYPE vm PUBLIC \"-//x//y\" \"@URL@\">" VM_OPEN "<name>a</name></vm>",
        "<!DOCTYPE vm [<!ENTITY % p SYSTEM \"@URL@\"> %p;]>" VM_OPEN "<name>a</name></vm>",
        /* an entity in an attribute value */
        "<!DOCTYPE vm [<!ENTITY x \"d0\">]>" VM_OPEN "<name>a</name><devices>"
        "<disk id=\"&x;\"><path>/a</path></disk></devices></vm>",
        /* quadratic blow-up without nesting */
        "<!DOCTYPE vm [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">]>" VM_OPEN
        "<name>&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;</name></vm>",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        parse_xml(docs[i], VMHI_E_PARSE);
        ck_assert_msg(strstr(vmhi_error_last_message(), "DOCTYPE") != NULL, "%s: %s", docs[i],
                      vmhi_error_last_message());
    }
}
END_TEST

START_TEST(xml_includes_stylesheets_and_schema_locations_are_not_followed)
{
    static const char *const refused[] = {
        /* XInclude is never processed; the element is unknown to the schema */
        "<vm xmlns=\"urn:vmhi:vm:1\" xmlns:xi=\"http://www.w3.org/2001/XInclude\"><name>a</name>"
        "<xi:include href=\"@URL@\" parse=\"text\"/></vm>",
        "<vm xmlns=\"urn:vmhi:vm:1\" xmlns:xi=\"http://www.w3.org/2001/XInclude\"><name>"
        "<xi:include href=\"secret\" parse=\"text\"/></name></vm>",
        /* no xml:base, no schemaLocation: unknown attributes */
        "<vm xmlns=\"urn:vmhi:vm:1\" xml:base=\"@URL@\"><name>a</name></vm>",
        "<vm xmlns=\"urn:vmhi:vm:1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"urn:vmhi:vm:1 @URL@\"><name>a</name></vm>",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        parse_xml(refused[i], VMHI_E_PARSE);
    /* A stylesheet processing instruction is ignored, never fetched. */
    parse_xml("<?xml version=\"1.0\"?><?xml-stylesheet type=\"text/xsl\" href=\"@URL@\"?>" VM_OPEN
              "<name>a</name></vm>",
              VMHI_OK);
}
END_TEST

START_TEST(file_urls_are_not_paths)
{
    /* A disk, kernel or initrd path must be absolute: a URL is refused, so
     * no backend ever gets one to resolve (QEMU's protocols, for one). */
    parse_xml(VM_OPEN "<name>a</name><devices><disk><path>@URL@</path></disk></devices></vm>",
              VMHI_E_PARSE);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "not absolute"));
    parse_xml(VM_OPEN "<name>a</name><kernel><path>@URL@</path></kernel></vm>", VMHI_E_PARSE);
    parse_xml(VM_OPEN "<name>a</name><devices><disk><path>json:{\"driver\":\"file\","
              "\"filename\":\"@PATH@\"}</path></disk></devices></vm>",
              VMHI_E_PARSE);
    parse_json("{\"vmhi\": 1, \"name\": \"a\", \"disks\": [{\"path\": \"@URL@\"}]}", VMHI_E_PARSE);
    parse_json("{\"vmhi\": 1, \"name\": \"a\", \"kernel\": {\"path\": \"@URL@\"}}", VMHI_E_PARSE);
    parse_json("{\"vmhi\": 1, \"name\": \"a\", \"disks\": [{\"path\": \"nbd://h/@PATH@\"}]}",
               VMHI_E_PARSE);
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi(vmhi_disk_set_path(d, w.url), VMHI_E_INVALID_ARG);
    vmhi_disk_free(d);
    ck_untouched("vmhi_disk_set_path");
}
END_TEST

START_TEST(named_paths_are_data_not_reads)
{
    /* The secret's own absolute path is a valid disk and kernel path: it
     * is carried, and opened by no one while parsing and serializing. */
    parse_xml(VM_OPEN "<name>a</name><kernel><path>@PATH@</path><initrd>@PATH@</initrd></kernel>"
              "<devices><disk><path>@PATH@</path></disk></devices></vm>",
              VMHI_OK);
    parse_json("{\"vmhi\": 1, \"name\": \"a\", \"kernel\": {\"path\": \"@PATH@\"}, "
               "\"disks\": [{\"path\": \"@PATH@\"}]}",
               VMHI_OK);
}
END_TEST

START_TEST(json_references_are_unknown_members)
{
    static const char *const docs[] = {
        "{\"$ref\": \"@URL@\"}",
        "{\"vmhi\": 1, \"$schema\": \"@URL@\", \"name\": \"a\"}",
        "{\"vmhi\": 1, \"name\": {\"$ref\": \"@URL@\"}}",
        "{\"vmhi\": 1, \"name\": \"a\", \"disks\": [{\"$ref\": \"@URL@\"}]}",
        "{\"vmhi\": 1, \"name\": \"a\", \"metadata\": {\"x-a:b\": {\"$ref\": \"@URL@\"}}}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        parse_json(docs[i], VMHI_E_PARSE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_files");
    TCase *tc = tcase_create("no_file_access");
    tcase_add_checked_fixture(tc, watch_setup, watch_teardown);
    tcase_add_test(tc, the_watch_sees_a_read);
    tcase_add_test(tc, xml_entities_and_dtds_are_refused_unread);
    tcase_add_test(tc, xml_includes_stylesheets_and_schema_locations_are_not_followed);
    tcase_add_test(tc, file_urls_are_not_paths);
    tcase_add_test(tc, named_paths_are_data_not_reads);
    tcase_add_test(tc, json_references_are_unknown_members);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
