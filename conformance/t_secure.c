/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Secure defaults a backend keeps on the application's host (spec section
 * 4.4): the local files and unix sockets it holds open are its user's
 * alone, in directories nobody else can write (CONN-18), and a VM name
 * full of shell syntax runs nothing wherever it goes (CONN-19).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"

/* ------------------------------------------------------ open files */

#define FD_MAX 1024

/* The process's open descriptors as a bitmap. */
static void open_fds(unsigned char *bits)
{
    memset(bits, 0, FD_MAX / 8);
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int self = dirfd(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != self && fd >= 0 && fd < FD_MAX)
            bits[fd / 8] |= (unsigned char)(1u << (fd % 8));
    }
    closedir(d);
}

/* The path behind @fd when it is a regular file, or the path a unix
 * socket is bound or connected to; false for anything else (devices,
 * pipes, TCP, event fds, abstract sockets). */
static bool local_path(int fd, char *path, size_t size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    if (S_ISREG(st.st_mode)) {
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, size - 1);
        if (n <= 0 || path[0] != '/')
            return false;
        path[n] = '\0';
        return true;
    }
    if (!S_ISSOCK(st.st_mode))
        return false;
    struct sockaddr_un addr;
    for (int peer = 0; peer < 2; peer++) {
        socklen_t len = sizeof(addr);
        memset(&addr, 0, sizeof(addr));
        int rc = peer ? getpeername(fd, (struct sockaddr *)&addr, &len)
                      : getsockname(fd, (struct sockaddr *)&addr, &len);
        if (rc == 0 && addr.sun_family == AF_UNIX && addr.sun_path[0] == '/') {
            snprintf(path, size, "%.*s", (int)sizeof(addr.sun_path), addr.sun_path);
            return true;
        }
    }
    return false;
}

/* Asserts CONN-18 for one file or socket the backend holds. */
static void check_private(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "the backend holds %s open but it cannot be stat'ed: %s",
                  path, strerror(errno));
    ck_assert_msg(st.st_uid == geteuid(), "the backend holds %s open; it belongs to uid %u, not "
                  "to the application's user (uid %u)", path, (unsigned)st.st_uid,
                  (unsigned)geteuid());
    ck_assert_msg((st.st_mode & 077) == 0, "the backend holds %s open with mode %03o: other "
                  "users may use it (0600 needed)", path, (unsigned)(st.st_mode & 0777));
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    const char *dir = dirname(copy);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_msg(st.st_uid == geteuid() || st.st_uid == 0, "%s is in %s, which belongs to uid "
                  "%u", path, dir, (unsigned)st.st_uid);
    ck_assert_msg(!(st.st_mode & (S_IWGRP | S_IWOTH)), "%s is in %s, mode %03o: other users "
                  "may replace it", path, dir, (unsigned)(st.st_mode & 0777));
}

VMHI_CONF_TEST(local_state_is_private, VMHI_PROFILE_CORE, "CONN-18")
{
    CONF_SKIP_IF(access("/proc/self/fd", R_OK) != 0,
                 "/proc/self/fd cannot be read: the backend's open files are not visible");
    unsigned char before[FD_MAX / 8], after[FD_MAX / 8];
    open_fds(before);
    vmhi_conn *conn = conf_open();
    /* A running VM is where a backend holds the most: monitors, logs, locks. */
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    conf_req("CONN-18");
    open_fds(after);
    int checked = 0;
    for (int fd = 0; fd < FD_MAX; fd++) {
        char path[4096];
        if (!(after[fd / 8] & (1u << (fd % 8))) || (before[fd / 8] & (1u << (fd % 8))) ||
            !local_path(fd, path, sizeof(path)))
            continue;
        check_private(path);
        checked++;
    }
    conf_note("%d local file(s) or socket(s) held open, all private", checked);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* ------------------------------------------------------------- no shell */

#define PWNED_FILES 5

/* The files the shell syntax of the name would create, in @dir. */
static void pwned_path(char *buf, size_t size, const char *dir, int i)
{
    snprintf(buf, size, "%s/vmhi-conf-%ld-pwned%d", dir, conf->run_id, i);
}

/* Counts (and removes) the files a shell would have created in @dir. */
static int count_pwned(const char *dir)
{
    int found = 0;
    for (int i = 1; i <= PWNED_FILES; i++) {
        char path[4096];
        pwned_path(path, sizeof(path), dir, i);
        if (access(path, F_OK) == 0) {
            found++;
            unlink(path);
        }
    }
    return found;
}

static void change_dir(const char *dir)
{
    ck_assert_msg(chdir(dir) == 0, "cannot change to %s: %s", dir, strerror(errno));
}

VMHI_CONF_TEST(shell_syntax_in_a_name_runs_nothing, VMHI_PROFILE_CORE, "CONN-19")
{
    /* A shell, wherever the backend's processes run, would create files in
     * its working directory: the application's, made a fresh one here. */
    char dir[4096], old[4096];
    snprintf(dir, sizeof(dir), "%s/shell-XXXXXX", conf->disk_dir);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
    change_dir(dir);
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_new();
    char name[VMHI_NAME_MAX + 1];
    long id = conf->run_id;
    snprintf(name, sizeof(name),
             "%s $(touch vmhi-conf-%ld-pwned1)`touch vmhi-conf-%ld-pwned2`;touch "
             "vmhi-conf-%ld-pwned3|touch vmhi-conf-%ld-pwned4&&touch vmhi-conf-%ld-pwned5'\"",
             vmhi_vm_config_get_name(cfg), id, id, id, id, id);
    conf_ok(vmhi_vm_config_set_name(cfg, name));
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_define(&vm, conn, cfg, 0);
    vmhi_vm_config_free(cfg);
    CONF_SKIP_CLEAN_IF(rc == VMHI_E_INVALID_ARG, change_dir(old); vmhi_conn_close(conn),
                       "the backend refuses such a VM name: %s", vmhi_error_last_message());
    conf_ok(rc);
    conf_req("CONN-19");
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_str_eq(vmhi_vm_get_name(vm), name);
    conf_discard(vm);
    vmhi_conn_close(conn);
    change_dir(old);
    int here = count_pwned(dir), root = count_pwned("");
    rmdir(dir);
    ck_assert_msg(here + root == 0, "a shell ran the VM name: %d of its %d commands created "
                  "their files", here + root, PWNED_FILES);
}
