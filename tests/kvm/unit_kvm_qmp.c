/*
 * Unit tests of the KVM backend's layers that need no QEMU: the QMP codec
 * and transport (any bytes in), QemuOpts escaping, state directory paths.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvm.h"
#include "kvm_stub_core.h"

/* ---------------------------------------------------------------- codec */

static qmp_kind kind_of(const char *line)
{
    qmp_msg m;
    qmp_codec_parse(line, strlen(line), &m);
    qmp_kind k = m.kind;
    qmp_msg_clear(&m);
    return k;
}

START_TEST(codec_classifies_messages)
{
    qmp_msg m;
    const char *greet = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}";
    qmp_codec_parse(greet, strlen(greet), &m);
    ck_assert_int_eq(m.kind, QMP_MSG_GREETING);
    qmp_msg_clear(&m);

    const char *ret = "{\"return\": {\"status\": \"running\"}, \"id\": 42}";
    qmp_codec_parse(ret, strlen(ret), &m);
    ck_assert_int_eq(m.kind, QMP_MSG_RETURN);
    ck_assert(m.has_id);
    ck_assert_uint_eq(m.id, 42);
    ck_assert_str_eq(kvm_json_str(m.value, "status"), "running");
    qmp_msg_clear(&m);

    const char *err = "{\"id\": 7, \"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"no\"}}";
    qmp_codec_parse(err, strlen(err), &m);
    ck_assert_int_eq(m.kind, QMP_MSG_ERROR);
    ck_assert_str_eq(m.err_class, "DeviceNotFound");
    ck_assert_int_eq(qmp_codec_error_code(m.err_class), VMHI_E_NO_DEVICE);
    qmp_msg_clear(&m);

    const char *ev = "{\"timestamp\": {\"seconds\": 1}, \"event\": \"SHUTDOWN\", "
                     "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}";
    qmp_codec_parse(ev, strlen(ev), &m);
    ck_assert_int_eq(m.kind, QMP_MSG_EVENT);
    ck_assert_str_eq(m.event, "SHUTDOWN");
    bool guest = false;
    ck_assert(kvm_json_bool(m.value, "guest", &guest) && guest);
    qmp_msg_clear(&m);
}
END_TEST

START_TEST(codec_survives_garbage)
{
    const char *bad[] = { "", "not json", "[1,2,3]", "{\"return\": ", "{} trailing",
                          "{\"error\": 5, \"id\": 1}", "{\"event\": 12}", "\"QMP\"", "null",
                          "{\"id\": -3, \"return\": {}}", "{\"something\": \"else\"}" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        qmp_msg m;
        qmp_codec_parse(bad[i], strlen(bad[i]), &m);
        ck_assert_msg(m.kind == QMP_MSG_INVALID || !m.has_id, "'%s' was accepted", bad[i]);
        qmp_msg_clear(&m);
    }
    ck_assert_int_eq(kind_of("{\"return\": {}, \"id\": \"text\"}"), QMP_MSG_RETURN);
    const char nul[] = "{\"return\": {}}\0{}";
    qmp_msg m;
    qmp_codec_parse(nul, sizeof(nul) - 1, &m);
    ck_assert_int_eq(m.kind, QMP_MSG_INVALID);
    qmp_msg_clear(&m);
    ck_assert_int_eq(qmp_codec_error_code("GenericError"), VMHI_E_BACKEND);
    ck_assert_int_eq(qmp_codec_error_code("CommandNotFound"), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(qmp_codec_error_code("SomethingNew"), VMHI_E_BACKEND);
}
END_TEST

START_TEST(codec_builds_commands)
{
    json_object *args = json_object_new_object();
    json_object_object_add(args, "value", json_object_new_int64(1 << 20));
    size_t len = 0;
    char *text = qmp_codec_command("balloon", args, 9, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert(text[len - 1] == '\n');
    ck_assert(memchr(text, '\n', len - 1) == NULL);
    qmp_msg m;
    qmp_codec_parse(text, len - 1, &m);
    ck_assert_ptr_nonnull(m.root);
    ck_assert_str_eq(kvm_json_str(m.root, "execute"), "balloon");
    int64_t id = 0;
    ck_assert(kvm_json_int(m.root, "id", &id) && id == 9);
    qmp_msg_clear(&m);
    kvm_free(text);
}
END_TEST

/* ------------------------------------------------------------ transport */

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        ck_assert_int_gt(n, 0);
        data += n;
        len -= (size_t)n;
    }
}

/* Drains what @fd has into @r; returns the number of complete lines taken. */
static int take_lines(qmp_reader *r, int fd, char lines[][64], int max)
{
    int n = 0;
    while (qmp_io_fill(r, fd) == 1) {
        char *line;
        size_t len;
        while (n < max && qmp_io_next_line(r, &line, &len) == 1) {
            snprintf(lines[n++], 64, "%s", line);
            kvm_free(line);
        }
    }
    return n;
}

START_TEST(reader_handles_partial_lines)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    qmp_reader r = { 0 };
    char lines[8][64];
    send_all(sv[1], "{\"ret", 5);
    ck_assert_int_eq(take_lines(&r, sv[0], lines, 8), 0);
    send_all(sv[1], "urn\": {}}\r\n{\"event\":", 20);
    ck_assert_int_eq(take_lines(&r, sv[0], lines, 8), 1);
    ck_assert_str_eq(lines[0], "{\"return\": {}}");
    send_all(sv[1], " \"X\"}\n\xff\xfe garbage\n", strlen(" \"X\"}\n\xff\xfe garbage\n"));
    ck_assert_int_eq(take_lines(&r, sv[0], lines, 8), 2);
    ck_assert_str_eq(lines[0], "{\"event\": \"X\"}");
    close(sv[1]);
    ck_assert_int_eq(qmp_io_fill(&r, sv[0]), -1);
    qmp_io_reader_free(&r);
    close(sv[0]);
}
END_TEST

START_TEST(reader_drops_overlong_lines)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    qmp_reader r = { 0 };
    char lines[8][64];
    char *big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    send_all(sv[1], "{\"a\": 1}\n", 9);
    size_t sent = 0;
    /* 6 MiB without a newline, fed in pieces the socket buffer accepts. */
    while (sent < (6u << 20)) {
        ssize_t n = write(sv[1], big, 1 << 16);
        if (n > 0)
            sent += (size_t)n;
        take_lines(&r, sv[0], lines, 8);
        ck_assert_uint_le(r.len, KVM_QMP_LINE_MAX);
    }
    send_all(sv[1], "tail\n{\"b\": 2}\n", 14);
    int n = take_lines(&r, sv[0], lines, 8);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(lines[0], "{\"b\": 2}");
    free(big);
    qmp_io_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Regression (fuzz_kvm_qmp_framing): the limit counted every buffered
 * line, so a burst of short events read at once lost the ones past it. */
START_TEST(reader_limits_each_line_not_the_burst)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    qmp_reader r = { .line_max = 32 };
    char lines[8][64];
    /* Six lines of 9 bytes (54 > 32 in all), then one of 39 (dropped). */
    const char *burst = "{\"e\": 1}\n{\"e\": 2}\n{\"e\": 3}\n{\"e\": 4}\n{\"e\": 5}\n{\"e\": 6}\n";
    const char *tail = "{\"long\": \"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"e\": 7}\n";
    send_all(sv[1], burst, strlen(burst));
    send_all(sv[1], tail, strlen(tail));
    int n = take_lines(&r, sv[0], lines, 8);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(lines[0], "{\"e\": 1}");
    ck_assert_str_eq(lines[5], "{\"e\": 6}");
    ck_assert_str_eq(lines[6], "{\"e\": 7}");
    qmp_io_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Regression (fuzz_kvm_vcpus): a thread id beyond a pid_t was cut down to
 * the id of some other thread, whose CPU time was then reported. */
START_TEST(vcpu_thread_ids_are_range_checked)
{
    json_object *cpus = json_tokener_parse(
        "[{\"cpu-index\": 0, \"thread-id\": 4294967297}, {\"cpu-index\": 1, \"thread-id\": 0},"
        " {\"cpu-index\": 2, \"thread-id\": -5}, {\"cpu-index\": 3, \"thread-id\": 2147483647},"
        " {\"cpu-index\": 4, \"thread-id\": 1234}]");
    ck_assert_ptr_nonnull(cpus);
    kvm_run *run = kvm_run_new();
    kvm_run_set_vcpus(run, cpus);
    ck_assert_uint_eq(run->nvcpu_tids, 2);
    ck_assert_int_eq(run->vcpu_tids[0], 2147483647);
    ck_assert_int_eq(run->vcpu_tids[1], 1234);
    pid_t tid = 0;
    ck_assert(!qmp_codec_thread_id(json_object_array_get_idx(cpus, 0), &tid));
    kvm_run_unref(run);
    json_object_put(cpus);
}
END_TEST

/* ------------------------------------------------------ command line, paths */

START_TEST(escape_doubles_commas)
{
    char *e = kvm_cmdline_escape("a,b,,c");
    ck_assert_str_eq(e, "a,,b,,,,c");
    kvm_free(e);
}
END_TEST

START_TEST(paths_follow_xdg)
{
    kvm_paths p;
    ck_assert_int_eq(kvm_paths_resolve("/system", &p), VMHI_OK);
    ck_assert_str_eq(p.data_dir, "/var/lib/vmhi/kvm");
    ck_assert_str_eq(p.run_dir, "/run/vmhi/kvm");
    kvm_paths_free(&p);
    setenv("XDG_DATA_HOME", "/x/data", 1);
    setenv("XDG_RUNTIME_DIR", "/x/run", 1);
    ck_assert_int_eq(kvm_paths_resolve("/session", &p), VMHI_OK);
    ck_assert_str_eq(p.data_dir, "/x/data/vmhi/kvm");
    ck_assert_str_eq(p.run_dir, "/x/run/vmhi/kvm");
    kvm_paths_free(&p);
    setenv("XDG_DATA_HOME", "relative", 1); /* ignored, as XDG says */
    unsetenv("XDG_RUNTIME_DIR");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    ck_assert_int_eq(kvm_paths_resolve("/session", &p), VMHI_OK);
    ck_assert_str_eq(p.data_dir, "/home/u/.local/share/vmhi/kvm");
    ck_assert_str_eq(p.run_dir, "/home/u/.cache/vmhi/kvm/run");
    kvm_paths_free(&p);
    ck_assert_int_eq(kvm_paths_resolve("/other", &p), VMHI_E_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm_units");
    TCase *tc = tcase_create("units");
    tcase_add_checked_fixture(tc, kvm_stub_core_setup, NULL);
    tcase_add_test(tc, codec_classifies_messages);
    tcase_add_test(tc, codec_survives_garbage);
    tcase_add_test(tc, codec_builds_commands);
    tcase_add_test(tc, reader_handles_partial_lines);
    tcase_add_test(tc, reader_drops_overlong_lines);
    tcase_add_test(tc, reader_limits_each_line_not_the_burst);
    tcase_add_test(tc, vcpu_thread_ids_are_range_checked);
    tcase_add_test(tc, escape_doubles_commas);
    tcase_add_test(tc, paths_follow_xdg);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
