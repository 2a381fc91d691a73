/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The state directory (default /var/lib/vmhi/xen, mode 0700): libxl keeps
 * no definitions of its own, so the backend does.
 *
 *   <uuid>.xml       VMHI XML of each persistent VM
 *   <uuid>.save      a suspended VM's memory image (libxl_domain_suspend)
 *   <uuid>.saved.xml and its live configuration, which a start restores
 *   run/<uuid>.xml   the live configuration of each active VM
 *   run/<uuid>.dom   its domain id, state and reason
 *   .lock            flock()ed by the managing process
 *
 * Files are replaced atomically: a temporary file in the same directory,
 * fsync(), rename(), fsync() of the directory; a crash leaves the old file
 * or the new one, and temporary files are cleaned up on the next load.
 * A directory owned by another user or writable by others is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xen.h"
#include "xen_record.h"

#define TMP_PREFIX ".tmp-"
#define SUSPENDED_SUFFIX ".saved.xml" /* a suspended VM's live configuration */

static int make_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return xen_error(VMHI_E_INVALID_ARG, "xen: state directory path too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return xen_error(errno == EACCES ? VMHI_E_PERMISSION : VMHI_E_IO,
                             "xen: cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return xen_error(errno == EACCES ? VMHI_E_PERMISSION : VMHI_E_IO,
                         "xen: cannot create %s: %s", path, strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return xen_error(VMHI_E_IO, "xen: %s is not a directory", path);
    if (st.st_uid != geteuid())
        return xen_error(VMHI_E_PERMISSION, "xen: refusing state directory %s: it belongs "
                         "to uid %u, not to this process (uid %u)", path, (unsigned)st.st_uid,
                         (unsigned)geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH | S_IRWXO))
        return xen_error(VMHI_E_PERMISSION, "xen: refusing state directory %s: mode %03o lets "
                         "others in; chmod 700 it", path, (unsigned)(st.st_mode & 0777));
    return VMHI_OK;
}

int xen_store_init(xen_host *h)
{
    int rc = make_dir(h->state_dir);
    if (rc == VMHI_OK)
        rc = make_dir(h->run_dir);
    if (rc < 0)
        return rc;
    char *lock = xen_asprintf("%s/.lock", h->state_dir);
    if (!lock)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    h->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int err = errno;
    xen_free(lock);
    if (h->lock_fd < 0)
        return xen_error(VMHI_E_IO, "xen: cannot open the lock of %s: %s", h->state_dir,
                         strerror(err));
    if (flock(h->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return xen_error(VMHI_E_BUSY, "xen: another process manages the VMs of %s (it holds "
                         "%s/.lock); one managing process at a time", h->state_dir,
                         h->state_dir);
    return VMHI_OK;
}

void xen_store_fini(xen_host *h)
{
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    h->lock_fd = -1;
}

/* ------------------------------------------------------------ atomic files */

static int write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char *tmp = xen_asprintf("%s/" TMP_PREFIX "%s", dir, name);
    char *dst = xen_asprintf("%s/%s", dir, name);
    int rc = tmp && dst ? VMHI_OK : xen_error(VMHI_E_NOMEM, "xen: out of memory");
    int fd = rc == VMHI_OK ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                                  0600) : -1;
    if (rc == VMHI_OK && fd < 0)
        rc = xen_error(VMHI_E_IO, "xen: cannot write %s: %s", tmp, strerror(errno));
    for (size_t done = 0; rc == VMHI_OK && done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = xen_error(VMHI_E_IO, "xen: cannot write %s: %s", tmp,
                           n < 0 ? strerror(errno) : "short write");
        else
            done += (size_t)n;
    }
    if (rc == VMHI_OK && fsync(fd) != 0)
        rc = xen_error(VMHI_E_IO, "xen: cannot write %s: %s", tmp, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == VMHI_OK)
        rc = xen_error(VMHI_E_IO, "xen: cannot write %s: %s", tmp, strerror(errno));
    if (rc == VMHI_OK && rename(tmp, dst) != 0)
        rc = xen_error(VMHI_E_IO, "xen: cannot replace %s: %s", dst, strerror(errno));
    if (rc < 0 && tmp)
        unlink(tmp);
    if (rc == VMHI_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    xen_free(tmp);
    xen_free(dst);
    return rc;
}

static void remove_file(const char *dir, const char *uuid, const char *suffix)
{
    char *path = xen_asprintf("%s/%s%s", dir, uuid, suffix);
    if (path)
        unlink(path);
    xen_free(path);
}

static char *read_text(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (16 << 20) &&
        (buf = xen_core->alloc((size_t)st.st_size + 1))) {
        ssize_t n = read(fd, buf, (size_t)st.st_size);
        if (n != st.st_size) {
            xen_free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    close(fd);
    return buf;
}

/* Writes @cfg as XML to @dir/<uuid><suffix>.  The serializer is a public
 * call (it clears the last error), so it runs before any error is reported. */
static int save_config(const char *dir, const char *uuid, const char *suffix,
                       const vmhi_vm_config *cfg)
{
    char *xml = NULL;
    int rc = vmhi_vm_config_to_xml(cfg, &xml);
    if (rc < 0)
        return xen_error(rc, "xen: cannot serialize VM %s: %s", uuid,
                         vmhi_error_last_message());
    char name[VMHI_UUID_STRLEN + 16];
    snprintf(name, sizeof(name), "%s%s", uuid, suffix);
    rc = write_atomic(dir, name, xml, strlen(xml));
    vmhi_free(xml);
    return rc;
}

int xen_store_save_def(xen_host *h, const char *uuid, const vmhi_vm_config *def)
{
    return save_config(h->state_dir, uuid, ".xml", def);
}

int xen_store_remove_def(xen_host *h, const char *uuid)
{
    char *path = xen_asprintf("%s/%s.xml", h->state_dir, uuid);
    if (!path)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    int rc = unlink(path) == 0 || errno == ENOENT ? VMHI_OK
             : xen_error(VMHI_E_IO, "xen: cannot remove %s: %s", path, strerror(errno));
    xen_free(path);
    return rc;
}

/* A failure to record a running domain is logged, not fatal: the domain
 * runs; only a later host (after the last connection closed) would not
 * find it again. */
int xen_store_save_run(xen_host *h, const xen_vm *vm)
{
    if (!vm->live)
        return VMHI_OK;
    int rc = save_config(h->run_dir, vm->uuid, ".xml", vm->live);
    char name[VMHI_UUID_STRLEN + 8], text[96];
    snprintf(name, sizeof(name), "%s.dom", vm->uuid);
    xen_record rec = { vm->domid, vm->state, vm->reason };
    int n = xen_record_format(&rec, text, sizeof(text));
    if (rc == VMHI_OK && n < 0)
        rc = xen_error(VMHI_E_INTERNAL, "xen: cannot format the record of VM %s", vm->name);
    if (rc == VMHI_OK)
        rc = write_atomic(h->run_dir, name, text, (size_t)n);
    if (rc < 0)
        xen_log(h, VMHI_LOG_WARN, "cannot record running VM %s: %s", vm->name,
                vmhi_error_last_message());
    return rc;
}

void xen_store_remove_run(xen_host *h, const char *uuid)
{
    remove_file(h->run_dir, uuid, ".dom");
    remove_file(h->run_dir, uuid, ".xml");
}

char *xen_store_save_path(xen_host *h, const char *uuid)
{
    return xen_asprintf("%s/%s.save", h->state_dir, uuid);
}

bool xen_store_has_save(xen_host *h, const char *uuid)
{
    char *path = xen_store_save_path(h, uuid);
    bool has = path && access(path, F_OK) == 0;
    xen_free(path);
    return has;
}

/* The live configuration of a suspended VM, next to its image: a start
 * restores the VM as it was (LC-START-3), attached devices and live
 * memory and vCPUs included, not as defined. */
int xen_store_save_suspended(xen_host *h, const char *uuid, const vmhi_vm_config *live)
{
    return save_config(h->state_dir, uuid, SUSPENDED_SUFFIX, live);
}

void xen_store_remove_save(xen_host *h, const char *uuid)
{
    remove_file(h->state_dir, uuid, ".save");
    remove_file(h->state_dir, uuid, SUSPENDED_SUFFIX);
}

/* --------------------------------------------------------------- loading */

static bool is_uuid_file(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n == VMHI_UUID_STRLEN + s && strcmp(name + VMHI_UUID_STRLEN, suffix) == 0 &&
           strspn(name, "0123456789abcdef-") >= VMHI_UUID_STRLEN;
}

static vmhi_vm_config *load_config(xen_host *h, const char *dir, const char *file)
{
    char *path = xen_asprintf("%s/%s", dir, file);
    size_t len = 0;
    char *text = path ? read_text(path, &len) : NULL;
    vmhi_vm_config *cfg = NULL;
    if (text && vmhi_vm_config_from_xml(&cfg, text, len) != VMHI_OK) {
        xen_log(h, VMHI_LOG_WARN, "ignoring %s: %s", path, vmhi_error_last_message());
        cfg = NULL;
    } else if (cfg && strncmp(vmhi_vm_config_get_uuid(cfg), file, VMHI_UUID_STRLEN) != 0) {
        xen_log(h, VMHI_LOG_WARN, "ignoring %s: it describes UUID %s", path,
                vmhi_vm_config_get_uuid(cfg));
        vmhi_vm_config_free(cfg);
        cfg = NULL;
    }
    xen_free(text);
    xen_free(path);
    return cfg;
}

vmhi_vm_config *xen_store_load_suspended(xen_host *h, const char *uuid)
{
    char file[VMHI_UUID_STRLEN + 16];
    snprintf(file, sizeof(file), "%s%s", uuid, SUSPENDED_SUFFIX);
    return load_config(h, h->state_dir, file);
}

static void load_defs(xen_host *h)
{
    DIR *d = opendir(h->state_dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            unlinkat(dirfd(d), e->d_name, 0); /* a write interrupted by a crash */
            continue;
        }
        if (!is_uuid_file(e->d_name, ".xml"))
            continue;
        vmhi_vm_config *def = load_config(h, h->state_dir, e->d_name);
        xen_vm *vm = NULL;
        if (!def)
            continue;
        if (xen_find_name(h, vmhi_vm_config_get_name(def)) ||
            xen_vm_add(h, vmhi_vm_config_get_uuid(def), vmhi_vm_config_get_name(def), &vm) < 0) {
            vmhi_vm_config_free(def);
            continue;
        }
        vm->def = def;
        if (xen_store_has_save(h, vm->uuid)) {
            vm->state = VMHI_STATE_SUSPENDED;
            vm->reason = VMHI_REASON_SUSPENDED;
        }
    }
    closedir(d);
}

/* The domain @domid exists and has @uuid (domain ids are reused). */
static bool domain_matches(xen_host *h, uint32_t domid, const char *uuid)
{
    libxl_dominfo info;
    libxl_dominfo_init(&info);
    bool ok = false;
    if (libxl_domain_info(h->ctx, &info, domid) == 0 && !info.dying) {
        char text[VMHI_UUID_STRLEN + 1];
        snprintf(text, sizeof(text), LIBXL_UUID_FMT, LIBXL_UUID_BYTES(info.uuid));
        ok = strcmp(text, uuid) == 0;
    }
    libxl_dominfo_dispose(&info);
    return ok;
}

static void load_run(xen_host *h, const char *file)
{
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%.*s", VMHI_UUID_STRLEN, file);
    char *path = xen_asprintf("%s/%s.dom", h->run_dir, uuid);
    size_t len = 0;
    char *text = path ? read_text(path, &len) : NULL;
    xen_record rec;
    bool ok = text && xen_record_parse(text, len, &rec) == 0 &&
              domain_matches(h, rec.domid, uuid);
    xen_free(text);
    xen_free(path);
    vmhi_vm_config *live = ok ? load_config(h, h->run_dir, file) : NULL;
    xen_vm *vm = xen_find_uuid(h, uuid);
    if (live && !vm && !xen_find_name(h, vmhi_vm_config_get_name(live)))
        xen_vm_add(h, uuid, vmhi_vm_config_get_name(live), &vm);
    if (!live || !vm) {
        /* The domain is gone (or the record is unreadable): it ended while
         * no process managed it.  A persistent VM is shut off. */
        vmhi_vm_config_free(live);
        xen_store_remove_run(h, uuid);
        return;
    }
    vm->live = live;
    vm->domid = rec.domid;
    vm->state = rec.state;
    vm->reason = rec.reason;
    xen_watch_domain(h, vm);
}

int xen_store_load(xen_host *h)
{
    load_defs(h);
    DIR *d = opendir(h->run_dir);
    if (!d)
        return VMHI_OK;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
        else if (is_uuid_file(e->d_name, ".xml"))
            load_run(h, e->d_name);
    }
    closedir(d);
    return VMHI_OK;
}
