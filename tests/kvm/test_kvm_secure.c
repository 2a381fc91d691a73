/*
 * Secure defaults of the KVM backend (issue #11).  Its state is private: the
 * data and runtime directories it creates are 0700, one that exists and
 * belongs to another user, lets others in or is a symbolic link is refused
 * with VMHI_E_PERMISSION (or IO for a link) before anything is read from
 * it, and a running VM's QMP socket, state and log files are 0600.  And
 * QEMU is started without a shell: a VM name full of shell syntax reaches
 * it as one argument and runs nothing.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <sys/stat.h>
#include <sys/types.h>

#include "kvmtest.h"

#define URI "kvm:///session"

static void path_of(char *buf, size_t size, const char *sub)
{
    snprintf(buf, size, "%s/%s", kvmtest_dir, sub);
}

static unsigned int mode_of(const char *sub)
{
    char path[700];
    path_of(path, sizeof(path), sub);
    struct stat st;
    ck_assert_msg(lstat(path, &st) == 0, "%s is missing", path);
    return (unsigned int)(st.st_mode & 07777);
}

/* Makes data/vmhi/kvm (the data directory) exist with @mode. */
static void make_data_dir(unsigned int mode)
{
    char path[700];
    path_of(path, sizeof(path), "data");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    path_of(path, sizeof(path), "data/vmhi");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    path_of(path, sizeof(path), "data/vmhi/kvm");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static void open_refused(int code, const char *needle)
{
    vmhi_conn *conn = NULL;
    ck_vmhi(vmhi_conn_open(&conn, URI, NULL), code);
    ck_assert_ptr_null(conn);
    ck_assert_msg(strstr(vmhi_error_last_message(), needle) != NULL, "message lacks '%s': %s",
                  needle, vmhi_error_last_message());
}

START_TEST(created_directories_are_private)
{
    vmhi_conn *conn = kvmtest_open(URI);
    ck_assert_uint_eq(mode_of("data/vmhi"), 0700);
    ck_assert_uint_eq(mode_of("data/vmhi/kvm"), 0700);
    ck_assert_uint_eq(mode_of("run/vmhi"), 0700);
    ck_assert_uint_eq(mode_of("run/vmhi/kvm"), 0700);
    vmhi_vm *vm = kvmtest_define(conn, "private");
    char def[700];
    snprintf(def, sizeof(def), "data/vmhi/kvm/%s.xml", vmhi_vm_get_uuid(vm));
    ck_assert_uint_eq(mode_of(def), 0600);
    ck_assert_uint_eq(mode_of("data/vmhi/kvm/.lock"), 0600);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_world_writable_data_directory_is_refused)
{
    make_data_dir(0777);
    open_refused(VMHI_E_PERMISSION, "chmod 700");
    char path[700];
    path_of(path, sizeof(path), "data/vmhi/kvm");
    ck_assert_int_eq(chmod(path, 0770), 0); /* group-writable */
    open_refused(VMHI_E_PERMISSION, "mode 770");
    ck_assert_int_eq(chmod(path, 0701), 0); /* others may enter */
    open_refused(VMHI_E_PERMISSION, "lets other users in");
    ck_assert_int_eq(chmod(path, 0700), 0);
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_loose_runtime_directory_is_refused)
{
    char path[700];
    path_of(path, sizeof(path), "run/vmhi");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    path_of(path, sizeof(path), "run/vmhi/kvm");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(chmod(path, 0733), 0);
    open_refused(VMHI_E_PERMISSION, "run/vmhi/kvm");
}
END_TEST

START_TEST(a_directory_of_another_user_is_refused)
{
    if (geteuid() != 0)
        return; /* only root can give a directory away; the other cases still run */
    make_data_dir(0700);
    char path[700];
    path_of(path, sizeof(path), "data/vmhi/kvm");
    ck_assert_int_eq(chown(path, 65534, 65534), 0);
    open_refused(VMHI_E_PERMISSION, "belongs to uid 65534");
}
END_TEST

START_TEST(a_symbolic_link_is_refused)
{
    char path[700], target[700];
    path_of(path, sizeof(path), "data");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    path_of(path, sizeof(path), "data/vmhi");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    path_of(target, sizeof(target), "elsewhere");
    ck_assert_int_eq(mkdir(target, 0700), 0);
    path_of(path, sizeof(path), "data/vmhi/kvm");
    ck_assert_int_eq(symlink(target, path), 0);
    open_refused(VMHI_E_IO, "not a directory");
}
END_TEST

START_TEST(a_running_vm_has_a_private_socket)
{
    umask(022); /* what most applications run with */
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "sock");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    const char *uuid = vmhi_vm_get_uuid(vm);
    static const char *const suffixes[] = { ".qmp", ".state", ".log", ".console" };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char sub[700];
        snprintf(sub, sizeof(sub), "run/vmhi/kvm/%s%s", uuid, suffixes[i]);
        if (!kvmtest_file_exists(uuid, suffixes[i]))
            continue;
        ck_assert_msg(mode_of(sub) == 0600, "%s has mode %03o, not 600", sub, mode_of(sub));
    }
    ck_assert(kvmtest_file_exists(uuid, ".qmp"));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* QEMU's argv, read back from /proc: @argc strings in @buf. */
static int qemu_argv(long pid, char *buf, size_t size, const char **argv, int max)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    int argc = 0;
    for (size_t i = 0; i < n && argc < max; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    return argc;
}

START_TEST(a_name_full_of_shell_syntax_runs_nothing)
{
    static const char name[] = "x; touch pwned1 $(touch pwned2) `touch pwned3` | touch pwned4 "
                               "&& touch pwned5 > pwned6 '\" *";
    ck_assert_int_eq(chdir(kvmtest_dir), 0); /* where a shell would have made its files */
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, name);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_gt(pid, 0);
    static char buf[65536];
    const char *argv[512];
    int argc = qemu_argv(pid, buf, sizeof(buf), argv, 512);
    ck_assert_str_eq(argv[0], "/usr/bin/qemu-system-x86_64");
    int at = -1;
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "-name") == 0)
            at = i + 1;
    ck_assert_int_gt(at, 0);
    char want[sizeof(name) + 16];
    snprintf(want, sizeof(want), "guest=%s", name);
    ck_assert_str_eq(argv[at], want);
    for (int i = 1; i <= 6; i++) {
        char file[32];
        snprintf(file, sizeof(file), "pwned%d", i);
        ck_assert_msg(access(file, F_OK) != 0, "a shell ran: %s/%s exists", kvmtest_dir, file);
    }
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    kvmtest_require_qemu();
    Suite *s = suite_create("kvm_secure");
    TCase *tc = tcase_create("secure");
    tcase_add_checked_fixture(tc, kvmtest_setup, kvmtest_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, created_directories_are_private);
    tcase_add_test(tc, a_world_writable_data_directory_is_refused);
    tcase_add_test(tc, a_loose_runtime_directory_is_refused);
    tcase_add_test(tc, a_directory_of_another_user_is_refused);
    tcase_add_test(tc, a_symbolic_link_is_refused);
    tcase_add_test(tc, a_running_vm_has_a_private_socket);
    tcase_add_test(tc, a_name_full_of_shell_syntax_runs_nothing);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
