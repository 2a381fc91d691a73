/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence of a test host to a directory (test:///<dir>).
 *
 * Layout, one VM per UUID:
 *   <uuid>.xml    the persistent definition, plain VMHI XML as
 *                 vmhi_vm_config_to_xml() writes it; present iff the VM
 *                 is persistent.  A hand-written file dropped here is
 *                 loaded as a shut-off VM.
 *   <uuid>.state  runtime state: "key=value" lines (state, reason,
 *                 cpu_time_ns, pending=disk:<id> / nic:<id>), an empty
 *                 line, then the live config as VMHI XML (absent when
 *                 shut off).  A transient VM has only this file.  Writing
 *                 one by hand sets a VM up in any state, crashed included.
 *   .lock         the inter-process lock (below)
 *   .tmp-*        files being written; left over after a crash, they are
 *                 removed on load.
 *
 * Every file is written atomically: a temporary file in the same
 * directory, fsync(), rename() over the target, fsync() of the directory.
 * A file that cannot be parsed makes the open fail with VMHI_E_PARSE
 * naming it: skipping it would let a new VM take its name or UUID and
 * overwrite it later.
 *
 * Locking: the first connection of a process takes an exclusive flock()
 * on <dir>/.lock and holds it until the process's last connection to the
 * directory closes.  Other connections of the same process share the
 * in-memory host; another process's open fails with VMHI_E_BUSY naming the
 * holder's pid.  So one process at a time owns the directory and no two
 * writers can interleave.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tb.h"
#include "tb_store.h"

void tb_store_log(tb_host *h, int level, const char *fmt, ...)
{
    if (!h->conns)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    tb_core->log(h->conns->conn, level, "%s", line);
}

/* A host directory another user owns or may write to could be seeded
 * with definitions or have its files swapped behind this process. */
static int check_private(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return tb_error(VMHI_E_IO, "test backend: cannot stat %s: %s", dir, strerror(errno));
    if (st.st_uid != geteuid())
        return tb_error(VMHI_E_PERMISSION, "test backend: refusing host directory %s: it "
                        "belongs to uid %u, not to this process (uid %u)", dir,
                        (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & (S_IWGRP | S_IRWXO))
        return tb_error(VMHI_E_PERMISSION, "test backend: refusing host directory %s: mode "
                        "%03o lets other users in; chmod 700 it", dir,
                        (unsigned)(st.st_mode & 0777));
    return VMHI_OK;
}

int tb_store_prepare_dir(const char *dir, char **canonical)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot create directory "
                                  "%s: %s (its parent must exist and be writable)", dir,
                                  strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tb_error(VMHI_E_IO, "test backend: %s exists but is not a directory; "
                        "choose another path", dir);
    char *real = realpath(dir, NULL);
    if (!real)
        return tb_error(VMHI_E_IO, "test backend: cannot resolve %s: %s", dir,
                        strerror(errno));
    int rc = check_private(real);
    if (rc < 0) {
        free(real);
        return rc;
    }
    *canonical = tb_strdup(real);
    free(real);
    return *canonical ? VMHI_OK : VMHI_E_NOMEM;
}

char *tb_store_path(const tb_host *h, const char *name)
{
    size_t n = strlen(h->dir) + strlen(name) + 2;
    char *path = tb_alloc(n);
    if (path)
        snprintf(path, n, "%s/%s", h->dir, name);
    return path;
}

/* The pid written into a lock file, for the "in use" message. */
static long lock_holder(int fd)
{
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int tb_store_lock(tb_host *h)
{
    char *path = tb_store_path(h, ".lock");
    if (!path)
        return VMHI_E_NOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int rc = tb_error(VMHI_E_IO, "test backend: cannot open lock file %s: %s", path,
                          strerror(errno));
        tb_free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int rc = errno == EWOULDBLOCK
            ? tb_error(VMHI_E_BUSY, "test backend: %s is in use by another process (pid %ld); "
                       "close its connections first", h->dir, lock_holder(fd))
            : tb_error(VMHI_E_IO, "test backend: cannot lock %s: %s", path, strerror(errno));
        close(fd);
        tb_free(path);
        return rc;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        tb_store_log(h, VMHI_LOG_WARN, "test backend: cannot record pid in %s", path);
    tb_free(path);
    h->lock_fd = fd;
    return VMHI_OK;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replaces <dir>/<name> with @data, atomically and durably. */
static int write_atomic(tb_host *h, const char *name, const char *data, size_t len)
{
    char tmp[PATH_MAX], final[PATH_MAX];
    int n1 = snprintf(final, sizeof(final), "%s/%s", h->dir, name);
    int n2 = snprintf(tmp, sizeof(tmp), "%s/" TB_STORE_TMP_PREFIX "%s-XXXXXX", h->dir, name);
    if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof(tmp) || (size_t)n1 >= sizeof(final))
        return tb_error(VMHI_E_IO, "test backend: the path of %s is too long", h->dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot create a "
                                  "temporary file in %s: %s", h->dir, strerror(errno));
    int err = 0;
    if (write_all(fd, data, len) != 0 || fchmod(fd, 0600) != 0 || fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, final) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot write %s: %s",
                                  final, strerror(err));
    }
    if (sync_dir(h->dir) != 0)
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot sync %s: %s",
                                  h->dir, strerror(errno));
    return VMHI_OK;
}

static void file_name(char *buf, size_t size, const char *uuid, const char *suffix)
{
    snprintf(buf, size, "%s%s", uuid, suffix);
}

int tb_store_save_def(tb_host *h, const tb_vm *vm, const vmhi_vm_config *def)
{
    if (!h->dir)
        return VMHI_OK;
    char *xml = NULL;
    int rc = vmhi_vm_config_to_xml(def, &xml);
    if (rc < 0)
        return tb_error(rc, "test backend: cannot serialize VM '%s': %s", vm->name,
                        tb_last_message());
    char name[64];
    file_name(name, sizeof(name), vm->uuid, TB_STORE_DEF_SUFFIX);
    rc = write_atomic(h, name, xml, strlen(xml));
    vmhi_free(xml);
    return rc;
}

/* The .state file's text; NULL when out of memory.  free() it. */
static char *format_state(const tb_vm *vm, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fprintf(f, "state=%s\nreason=%s\ncpu_time_ns=%llu\n", vmhi_vm_state_name(vm->state),
            vmhi_state_reason_name(vm->reason), (unsigned long long)tb_vm_cpu_time(vm));
    for (const tb_pending *p = vm->pending; p; p = p->next)
        fprintf(f, "pending=%s:%s\n", p->type == VMHI_DEVICE_DISK ? "disk" : "nic", p->id);
    fputc('\n', f);
    char *xml = NULL;
    bool ok = true;
    if (vm->live) {
        ok = vmhi_vm_config_to_xml(vm->live, &xml) == VMHI_OK;
        if (ok)
            fputs(xml, f);
        vmhi_free(xml);
    }
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Writes the state record; the caller keeps the thread's error. */
static void write_state(tb_host *h, const tb_vm *vm)
{
    size_t len = 0;
    char *text = format_state(vm, &len);
    char name[64];
    file_name(name, sizeof(name), vm->uuid, TB_STORE_STATE_SUFFIX);
    if (!text || write_atomic(h, name, text, len) != VMHI_OK)
        tb_store_log(h, VMHI_LOG_WARN, "test backend: cannot record the state of VM '%s' "
                     "in %s: %s", vm->name, h->dir,
                     text ? vmhi_error_last_message() : "out of memory");
    free(text);
}

void tb_store_save_state(tb_host *h, const tb_vm *vm)
{
    if (!h->dir)
        return;
    /* The VM did change state; a failed record is worth a warning, not a
     * failed call (the definition, the user's data, is written first).  The
     * write reports through the thread's last error, and the VM code calls
     * this on success and on failure paths alike: whatever error is pending
     * (none, or the one the slot will return) must survive it. */
    vmhi_saved_error *saved = tb_core->error_save();
    write_state(h, vm);
    if (saved)
        tb_core->error_restore(saved);
}

static int remove_file(tb_host *h, const char *uuid, const char *suffix)
{
    if (!h->dir)
        return VMHI_OK;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s%s", h->dir, uuid, suffix);
    if (n < 0 || (size_t)n >= sizeof(path))
        return tb_error(VMHI_E_IO, "test backend: the path of %s is too long", h->dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot remove %s: %s",
                                  path, strerror(errno));
    if (sync_dir(h->dir) != 0)
        return tb_error_native(VMHI_E_IO, "errno", "test backend: cannot sync %s: %s",
                                  h->dir, strerror(errno));
    return VMHI_OK;
}

int tb_store_remove_def(tb_host *h, const char *uuid)
{
    return remove_file(h, uuid, TB_STORE_DEF_SUFFIX);
}

void tb_store_remove_state(tb_host *h, const char *uuid)
{
    if (!h->dir)
        return;
    vmhi_saved_error *saved = tb_core->error_save(); /* as in tb_store_save_state() */
    if (remove_file(h, uuid, TB_STORE_STATE_SUFFIX) != VMHI_OK)
        tb_store_log(h, VMHI_LOG_WARN, "test backend: cannot remove the state file of %s "
                     "in %s: %s", uuid, h->dir, vmhi_error_last_message());
    if (saved)
        tb_core->error_restore(saved);
}
