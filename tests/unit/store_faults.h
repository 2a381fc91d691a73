/*
 * A state directory that cannot take a definition (issue #11 section 4),
 * for any backend that keeps definitions in a directory: the file size
 * limit (RLIMIT_FSIZE, unprivileged), a full filesystem (a small tmpfs)
 * and a read-only one (a read-only bind mount over the directory; chmod
 * when not root).  The mounts live in a private mount namespace of the case's
 * forked process, so they vanish with it.
 *
 * sf_check() defines a VM, makes the directory fail, and requires a
 * redefinition and a new definition to fail clearly with nothing
 * changed: the old definition intact in the connection and on disk (a
 * new connection reads it back), no half-defined VM, no temporary file;
 * once the fault is gone both succeed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_STORE_FAULTS_H
#define VMHI_STORE_FAULTS_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "testutil.h"

typedef enum { SF_FILE_SIZE_LIMIT, SF_FULL, SF_READ_ONLY } sf_fault;

static inline const char *sf_fault_name(sf_fault f)
{
    return f == SF_FILE_SIZE_LIMIT ? "file size limit" : f == SF_FULL ? "full" : "read-only";
}

/* Mounts a private 1 MiB tmpfs on @mnt (root only); 0 when not root. */
static inline int sf_mount_tmpfs(const char *mnt)
{
    if (geteuid() != 0)
        return 0;
    ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    ck_assert_msg(mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0700") == 0, "mount %s: %s",
                  mnt, strerror(errno));
    return 1;
}

static inline int sf_count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Fills the filesystem of @dir up to its last byte. */
static inline void sf_fill(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/filler", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    static char block[4096];
    ssize_t n;
    while ((n = write(fd, block, sizeof(block))) > 0)
        ;
    ck_assert_int_eq(errno, ENOSPC);
    while (write(fd, block, 1) > 0)
        ;
    close(fd);
}

/* Returns 0 or an errno: no assertion may run while the limit holds (Check
 * writes its own records to a file at each assertion). */
static inline int sf_inject(sf_fault f, const char *mnt, const char *dir)
{
    switch (f) {
    case SF_FILE_SIZE_LIMIT: {
        signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
        struct rlimit rl;
        if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
            return errno;
        rl.rlim_cur = 2048; /* the old definition fits, the new one does not */
        return setrlimit(RLIMIT_FSIZE, &rl) == 0 ? 0 : errno;
    }
    case SF_FULL:
        sf_fill(dir);
        return 0;
    case SF_READ_ONLY:
        /* A read-only bind mount over the directory: the files the
         * connection holds open stay on the writable mount below. */
        if (geteuid() == 0)
            return mount(dir, dir, NULL, MS_BIND, NULL) == 0 &&
                   mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0 ? 0
                                                                                     : errno;
        return chmod(dir, 0500) == 0 ? 0 : errno;
    }
    return EINVAL;
}

static inline void sf_clear(sf_fault f, const char *mnt, const char *dir)
{
    char path[1024];
    switch (f) {
    case SF_FILE_SIZE_LIMIT: {
        struct rlimit rl;
        int ok = getrlimit(RLIMIT_FSIZE, &rl) == 0;
        rl.rlim_cur = rl.rlim_max;
        ok = ok && setrlimit(RLIMIT_FSIZE, &rl) == 0;
        signal(SIGXFSZ, SIG_DFL);
        ck_assert(ok);
        break;
    }
    case SF_FULL:
        snprintf(path, sizeof(path), "%s/filler", dir);
        ck_assert_int_eq(unlink(path), 0);
        break;
    case SF_READ_ONLY:
        if (geteuid() == 0)
            ck_assert_int_eq(umount2(dir, MNT_DETACH), 0);
        else
            ck_assert_int_eq(chmod(dir, 0700), 0);
        break;
    }
}

/* The same VM with metadata that makes its definition ~20 KiB. */
static inline vmhi_vm_config *sf_grown(vmhi_vm *vm)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    char value[4001];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    for (int i = 0; i < 5; i++) {
        char key[64];
        snprintf(key, sizeof(key), "org.example:big%d", i);
        ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, key, value));
    }
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, vmhi_vm_config_get_memory_mib(cfg) / 2));
    return cfg;
}

static inline void sf_expect_old(vmhi_vm *vm, uint64_t memory)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), memory);
    ck_assert_ptr_null(vmhi_vm_config_get_metadata(cfg, "org.example:big0"));
    vmhi_vm_config_free(cfg);
}

/* @define_new makes a small config named @name for the backend. */
static inline void sf_check(const char *uri, const char *mnt, const char *dir, sf_fault f,
                            vmhi_vm_config *(*make)(const char *name))
{
    vmhi_conn *conn = vmhi_test_open(uri);
    vmhi_vm_config *small = make("keeper");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, small, 0));
    vmhi_vm_config_free(small);
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    uint64_t memory = 0;
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    memory = vmhi_vm_config_get_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config *grown = sf_grown(vm);
    vmhi_vm_config *other = make("newcomer");
    if (f == SF_FILE_SIZE_LIMIT) /* a small new definition would fit the limit */
        for (int i = 0; i < 5; i++) {
            char key[64], value[1001];
            memset(value, 'w', 1000);
            value[1000] = '\0';
            snprintf(key, sizeof(key), "org.example:w%d", i);
            ck_vmhi_ok(vmhi_vm_config_set_metadata(other, key, value));
        }

    /* The fault window: results are kept and checked once it is over. */
    vmhi_vm *again = NULL, *other_vm = NULL, *found = NULL;
    int injected = sf_inject(f, mnt, dir);
    int rc = vmhi_vm_define(&again, conn, grown, 0);
    char message[512];
    snprintf(message, sizeof(message), "%s", vmhi_error_last_message());
    int rc_other = vmhi_vm_define(&other_vm, conn, other, 0);
    int rc_lookup = vmhi_vm_lookup_by_name(&found, conn, "newcomer");
    sf_clear(f, mnt, dir);
    ck_assert_msg(injected == 0, "cannot inject the fault: %s", strerror(injected));
    printf("%s: redefinition rc %d (%s): %s\n", sf_fault_name(f), rc, vmhi_strerror(rc),
           message);
    ck_assert_msg(rc == VMHI_E_IO || rc == VMHI_E_PERMISSION || rc == VMHI_E_LIMIT,
                  "%s: redefinition returned %d: %s", sf_fault_name(f), rc, message);
    ck_assert_ptr_null(again);
    ck_assert_msg(strstr(message, dir) != NULL, "the message names no file: %s", message);
    ck_assert_msg(rc_other < 0, "%s: a new definition was accepted", sf_fault_name(f));
    ck_assert_ptr_null(other_vm);
    ck_assert_int_eq(rc_lookup, VMHI_E_NO_VM);
    sf_expect_old(vm, memory);
    ck_assert_int_eq(sf_count_prefix(dir, ".tmp-"), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    /* What is on disk is the old definition, whole. */
    conn = vmhi_test_open(uri);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&vm, conn, uuid));
    sf_expect_old(vm, memory);
    ck_vmhi(vmhi_vm_lookup_by_name(&again, conn, "newcomer"), VMHI_E_NO_VM);
    /* Without the fault, both go through. */
    ck_vmhi_ok(vmhi_vm_define(&again, conn, grown, 0));
    vmhi_vm_free(again);
    ck_vmhi_ok(vmhi_vm_define(&again, conn, other, 0));
    vmhi_vm_free(again);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(grown);
    vmhi_vm_config_free(other);
}

#endif
