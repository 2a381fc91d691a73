/*
 * The test backend's directory hosts (test:///<dir>): persistence across
 * connections, atomic files, damaged files, sharing and locking.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <sys/wait.h>

#include "test_backend_common.h"

#define UUID_A "6f1c3a52-8d4e-4b7a-9c2d-0123456789ab"

typedef struct store {
    char *dir;
    char *uri;
} store;

static store store_new(const char *query)
{
    store s;
    s.dir = bt_tmpdir();
    s.uri = bt_dir_uri(s.dir, query);
    return s;
}

static void store_free(store *s)
{
    bt_rmtree(s->dir);
    free(s->dir);
    free(s->uri);
}

static vmhi_vm *lookup(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, name));
    return vm;
}

START_TEST(definitions_survive_reconnect)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_config *cfg = bt_config("web1", 128);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    bt_config_add_disk(cfg, NULL, "/images/web1.img");
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    vmhi_conn_close(conn);

    conn = bt_open(s.uri);
    vmhi_vm *vm = lookup(conn, "web1");
    ck_assert_str_eq(vmhi_vm_get_uuid(vm), UUID_A);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(got), 128);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 1);
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    store_free(&s);
}
END_TEST

/* A config that uses every field, so that nothing can be lost unnoticed. */
static vmhi_vm_config *rich_config(void)
{
    vmhi_vm_config *cfg = bt_config("rich", 256);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 3));
    ck_vmhi_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_UEFI));
    vmhi_boot_dev order[] = { VMHI_BOOT_NETWORK, VMHI_BOOT_DISK };
    ck_vmhi_ok(vmhi_vm_config_set_boot_order(cfg, order, 2));
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_id(d, "root"));
    ck_vmhi_ok(vmhi_disk_set_path(d, "/images/rich.qcow2"));
    ck_vmhi_ok(vmhi_disk_set_format(d, VMHI_DISK_FORMAT_QCOW2));
    ck_vmhi_ok(vmhi_disk_set_bus(d, VMHI_DISK_BUS_SCSI));
    ck_vmhi_ok(vmhi_disk_set_readonly(d, 1));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
    vmhi_nic *n = NULL;
    ck_vmhi_ok(vmhi_nic_new(&n));
    ck_vmhi_ok(vmhi_nic_set_model(n, VMHI_NIC_MODEL_E1000));
    ck_vmhi_ok(vmhi_nic_set_network(n, "bridge:br0"));
    ck_vmhi_ok(vmhi_nic_set_mac(n, "52:54:00:12:34:56"));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, n));
    vmhi_nic_free(n);
    return cfg;
}

static char *config_xml(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    vmhi_vm_config_free(cfg);
    return xml;
}

START_TEST(every_field_survives_reconnect)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_config *cfg = rich_config();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    char *before = config_xml(vm);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = bt_open(s.uri);
    vm = lookup(conn, "rich");
    char *after = config_xml(vm);
    ck_assert_str_eq(after, before);
    vmhi_free(before);
    vmhi_free(after);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
    store_free(&s);
}
END_TEST

START_TEST(runtime_state_survives_reconnect)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm *run = bt_define(conn, "run", 64);
    vmhi_vm *sus = bt_define(conn, "sus", 64);
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    ck_vmhi_ok(vmhi_vm_create(NULL, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(run, 0));
    ck_vmhi_ok(vmhi_vm_set_memory(run, 100, VMHI_AFFECT_LIVE));
    ck_vmhi_ok(vmhi_vm_start(sus, 0));
    ck_vmhi_ok(vmhi_vm_suspend(sus, 0));
    vmhi_vm_free(run);
    vmhi_vm_free(sus);
    vmhi_conn_close(conn);

    conn = bt_open(s.uri);
    run = lookup(conn, "run");
    sus = lookup(conn, "sus");
    vmhi_vm *tmp = lookup(conn, "tmp");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(run, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_int_eq(info.reason, VMHI_REASON_BOOTED);
    ck_assert_uint_eq(info.memory_mib, 100); /* the live balloon, not the definition */
    ck_assert_int_eq(bt_state(sus), VMHI_STATE_SUSPENDED);
    ck_vmhi_ok(vmhi_vm_get_info(tmp, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_int_eq(info.persistent, 0);
    ck_vmhi_ok(vmhi_vm_start(sus, 0));
    ck_assert_int_eq(bt_reason(sus), VMHI_REASON_RESTORED);
    ck_vmhi_ok(vmhi_vm_poweroff(tmp, 0));
    vmhi_vm_free(run);
    vmhi_vm_free(sus);
    vmhi_vm_free(tmp);
    vmhi_conn_close(conn);

    conn = bt_open(s.uri);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 2); /* the transient VM is gone for good */
    vmhi_conn_close(conn);
    vmhi_vm_config_free(cfg);
    store_free(&s);
}
END_TEST

START_TEST(one_file_pair_per_vm_and_no_temporaries)
{
    store s = store_new("guest=instant");
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    for (int i = 0; i < 5; i++) {
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
        ck_vmhi_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG));
        ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
        ck_vmhi_ok(vmhi_vm_set_vcpus(vm, 1, VMHI_AFFECT_CONFIG));
    }
    ck_assert_int_eq(bt_count_files(s.dir, UUID_A ".xml"), 1);
    ck_assert_int_eq(bt_count_files(s.dir, UUID_A ".state"), 1);
    ck_assert_int_eq(bt_count_files(s.dir, ".tmp-"), 0);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_int_eq(bt_count_files(s.dir, UUID_A), 0);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
    store_free(&s);
}
END_TEST

START_TEST(left_over_temporaries_are_removed_and_strangers_ignored)
{
    store s = store_new(NULL);
    bt_write_file(s.dir, ".tmp-" UUID_A ".xml-AbCdEf", "<half-written");
    bt_write_file(s.dir, "README", "not a VM");
    bt_write_file(s.dir, "ABCDEF.xml", "<also not ours>");
    vmhi_conn *conn = bt_open(s.uri);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 0);
    ck_assert_int_eq(bt_count_files(s.dir, ".tmp-"), 0);
    ck_assert_int_eq(bt_count_files(s.dir, "README"), 1);
    vmhi_conn_close(conn);
    store_free(&s);
}
END_TEST

static void expect_parse_error(const store *s, const char *file)
{
    vmhi_conn *conn = NULL;
    ck_vmhi(vmhi_conn_open(&conn, s->uri, NULL), VMHI_E_PARSE);
    ck_assert_ptr_null(conn);
    ck_assert_msg(strstr(vmhi_error_last_message(), file) != NULL,
                  "message does not name %s: %s", file, vmhi_error_last_message());
}

START_TEST(corrupted_definition_fails_open_naming_the_file)
{
    store s = store_new(NULL);
    bt_write_file(s.dir, UUID_A ".xml", "<vm><name>broken");
    expect_parse_error(&s, UUID_A ".xml");
    store_free(&s);
}
END_TEST

START_TEST(corrupted_state_fails_open_naming_the_file)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    vmhi_conn_close(conn);
    bt_write_file(s.dir, UUID_A ".state", "state=levitating\n\n");
    expect_parse_error(&s, UUID_A ".state");
    bt_write_file(s.dir, UUID_A ".state", "state=running\nreason=booted\n");
    expect_parse_error(&s, UUID_A ".state");
    bt_write_file(s.dir, UUID_A ".state", "state=running\n\n<not xml");
    expect_parse_error(&s, UUID_A ".state");
    vmhi_vm_config_free(cfg);
    store_free(&s);
}
END_TEST

START_TEST(definition_under_the_wrong_uuid_is_refused)
{
    store s = store_new(NULL);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    bt_write_file(s.dir, "00000000-0000-4000-8000-000000000000.xml", xml);
    expect_parse_error(&s, "00000000-0000-4000-8000-000000000000.xml");
    vmhi_free(xml);
    vmhi_vm_config_free(cfg);
    store_free(&s);
}
END_TEST

START_TEST(hand_written_definition_is_loaded)
{
    store s = store_new(NULL);
    vmhi_vm_config *cfg = bt_config("handmade", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    bt_write_file(s.dir, UUID_A ".xml", xml);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm *vm = lookup(conn, "handmade");
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(bt_reason(vm), VMHI_REASON_DEFINED);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    vmhi_free(xml);
    vmhi_vm_config_free(cfg);
    store_free(&s);
}
END_TEST

START_TEST(missing_directory_is_created_private)
{
    char *base = bt_tmpdir();
    char *dir = NULL;
    ck_assert_int_ge(asprintf(&dir, "%s/hosts", base), 0);
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *conn = bt_open(uri);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    bt_rmtree(base);
    free(uri);
    free(dir);
    free(base);
}
END_TEST

/* Opening @dir fails with VMHI_E_PERMISSION and a message holding @needle. */
static void open_refused(const char *dir, const char *needle)
{
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *conn = (vmhi_conn *)&uri;
    ck_vmhi(vmhi_conn_open(&conn, uri, NULL), VMHI_E_PERMISSION);
    ck_assert_ptr_null(conn);
    ck_assert_msg(strstr(vmhi_error_last_message(), needle) != NULL, "message lacks '%s': %s",
                  needle, vmhi_error_last_message());
    free(uri);
}

START_TEST(a_directory_others_may_enter_is_refused)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_free(bt_define(conn, "web", 128));
    vmhi_conn_close(conn);
    static const unsigned int loose[] = { 0777, 0770, 0730, 0701, 0755 };
    for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
        ck_assert_int_eq(chmod(s.dir, loose[i]), 0);
        char mode[16];
        snprintf(mode, sizeof(mode), "mode %03o", loose[i]);
        open_refused(s.dir, mode);
        open_refused(s.dir, "chmod 700");
    }
    /* Group members may look, as the KVM and Xen backends allow. */
    ck_assert_int_eq(chmod(s.dir, 0750), 0);
    conn = bt_open(s.uri);
    ck_assert_uint_eq(bt_count_vms(conn, 0), 1);
    vmhi_conn_close(conn);
    ck_assert_int_eq(chmod(s.dir, 0700), 0);
    store_free(&s);
}
END_TEST

START_TEST(a_directory_of_another_user_is_refused)
{
    if (geteuid() != 0) {
        open_refused("/", "belongs to uid 0"); /* "/" is root's */
        return;
    }
    store s = store_new(NULL);
    ck_assert_int_eq(chown(s.dir, 65534, 65534), 0);
    open_refused(s.dir, "belongs to uid 65534");
    /* A symbolic link does not launder it: the directory it names counts. */
    char *link = NULL;
    ck_assert_int_ge(asprintf(&link, "%s-link", s.dir), 0);
    ck_assert_int_eq(symlink(s.dir, link), 0);
    open_refused(link, "belongs to uid 65534");
    unlink(link);
    free(link);
    store_free(&s);
}
END_TEST

START_TEST(unusable_directory_is_io_error)
{
    vmhi_conn *conn = NULL;
    ck_vmhi(vmhi_conn_open(&conn, "test:///nonexistent-parent-dir/child", NULL), VMHI_E_IO);
    ck_assert_ptr_nonnull(vmhi_error_last_native());
    ck_assert_str_eq(vmhi_error_last_native(), "errno");
    ck_assert_msg(strstr(vmhi_error_last_message(), "/nonexistent-parent-dir/child") != NULL,
                  "%s", vmhi_error_last_message());
}
END_TEST

START_TEST(connections_to_one_directory_share_vms_and_events)
{
    store s = store_new(NULL);
    vmhi_conn *a = bt_open(s.uri);
    vmhi_conn *b = bt_open(s.uri);
    bt_recorder rec;
    bt_subscribe(b, &rec, VMHI_EVENT_ALL_1_0);
    vmhi_vm *vm = bt_define(a, "shared", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_uint_eq(bt_count_vms(b, 0), 1);
    vmhi_vm *seen = lookup(b, "shared");
    ck_assert_int_eq(bt_state(seen), VMHI_STATE_RUNNING);
    ck_assert_int_eq(vmhi_conn_dispatch_events(b, 0), 2);
    ck_assert_int_eq(rec.ev[0].type, VMHI_EVENT_DEFINED);
    ck_assert_int_eq(rec.ev[1].state, VMHI_STATE_RUNNING);
    vmhi_conn_close(a); /* b keeps the host alive */
    ck_vmhi_ok(vmhi_vm_poweroff(seen, 0));
    vmhi_vm_free(vm);
    vmhi_vm_free(seen);
    vmhi_conn_close(b);
    store_free(&s);
}
END_TEST

/* Runs vmhi_conn_open(@uri) in a child process; returns its result code. */
static int open_in_child(const char *uri, char *message, size_t size)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        vmhi_conn *conn = NULL;
        int rc = vmhi_conn_open(&conn, uri, NULL);
        const char *msg = vmhi_error_last_message();
        ssize_t w = write(fds[1], msg, strlen(msg));
        (void)w;
        vmhi_conn_close(conn);
        _exit(-rc);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], message, size - 1);
    message[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return -WEXITSTATUS(status);
}

START_TEST(another_process_is_locked_out_until_close)
{
    store s = store_new(NULL);
    vmhi_conn *conn = bt_open(s.uri);
    char msg[1024];
    ck_assert_int_eq(open_in_child(s.uri, msg, sizeof(msg)), VMHI_E_BUSY);
    char pid[32];
    snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
    ck_assert_msg(strstr(msg, pid) && strstr(msg, s.dir), "unhelpful message: %s", msg);
    vmhi_conn_close(conn);
    ck_assert_int_eq(open_in_child(s.uri, msg, sizeof(msg)), VMHI_OK);
    store_free(&s);
}
END_TEST

START_TEST(pending_detach_survives_reconnect)
{
    store s = store_new("guest=unresponsive");
    vmhi_conn *conn = bt_open(s.uri);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    bt_config_add_disk(cfg, NULL, "/images/a.img");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, NULL));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = bt_open(s.uri);
    vm = lookup(conn, "vm");
    ck_vmhi(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, NULL), VMHI_E_BUSY);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(cfg);
    store_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_persist");
    TCase *tc = tcase_create("persistence");
    tcase_add_test(tc, definitions_survive_reconnect);
    tcase_add_test(tc, every_field_survives_reconnect);
    tcase_add_test(tc, runtime_state_survives_reconnect);
    tcase_add_test(tc, one_file_pair_per_vm_and_no_temporaries);
    tcase_add_test(tc, pending_detach_survives_reconnect);
    tcase_add_test(tc, hand_written_definition_is_loaded);
    suite_add_tcase(s, tc);
    tc = tcase_create("damage");
    tcase_add_test(tc, left_over_temporaries_are_removed_and_strangers_ignored);
    tcase_add_test(tc, corrupted_definition_fails_open_naming_the_file);
    tcase_add_test(tc, corrupted_state_fails_open_naming_the_file);
    tcase_add_test(tc, definition_under_the_wrong_uuid_is_refused);
    tcase_add_test(tc, unusable_directory_is_io_error);
    tcase_add_test(tc, a_directory_others_may_enter_is_refused);
    tcase_add_test(tc, a_directory_of_another_user_is_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("sharing");
    tcase_add_test(tc, missing_directory_is_created_private);
    tcase_add_test(tc, connections_to_one_directory_share_vms_and_events);
    tcase_add_test(tc, another_process_is_locked_out_until_close);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
