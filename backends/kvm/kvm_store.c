/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * State directories, the inter-process lock, atomic files, definitions.
 *
 *   kvm:///system   definitions in /var/lib/vmhi/kvm, runtime in /run/vmhi/kvm
 *   kvm:///session  definitions in $XDG_DATA_HOME/vmhi/kvm (default
 *                   ~/.local/share/vmhi/kvm), runtime in
 *                   $XDG_RUNTIME_DIR/vmhi/kvm (default ~/.cache/vmhi/kvm/run)
 *
 * Directories are created 0700, and one that exists already is refused
 * (VMHI_E_PERMISSION) unless it belongs to this process's user and lets
 * neither group members write nor anyone else in: a directory another
 * user controls could be seeded with definitions (what QEMU runs) or have
 * its sockets swapped.  The data directory holds <uuid>.xml, the
 * VMHI XML of each persistent VM, and .lock.  The runtime directory holds
 * per active VM <uuid>.state (kvm_runstate.c), <uuid>.qmp (the QMP
 * socket), <uuid>.log (QEMU's stderr) and <uuid>.console (serial output).
 *
 * Files are replaced atomically: a temporary file in the same directory,
 * fsync(), rename(), fsync() of the directory.  The first connection of a
 * process takes an exclusive flock() on <data>/.lock until its last
 * connection closes: one process at a time manages a set of VMs (QEMU
 * accepts one QMP client per socket anyway); another gets VMHI_E_BUSY.
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

#include "kvm.h"

#define TMP_PREFIX ".tmp-"

static char *env_dir(const char *var)
{
    const char *v = getenv(var);
    return v && v[0] == '/' ? kvm_strdup(v) : NULL; /* XDG: relative values are ignored */
}

static char *home_dir(const char *suffix)
{
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
        kvm_error(VMHI_E_INVALID_ARG, "kvm: kvm:///session needs $HOME or $XDG_DATA_HOME and "
                  "$XDG_RUNTIME_DIR set to absolute paths");
        return NULL;
    }
    return kvm_asprintf("%s/%s", home, suffix);
}

static int session_paths(kvm_paths *out)
{
    char *data = env_dir("XDG_DATA_HOME");
    if (!data && !(data = home_dir(".local/share")))
        return VMHI_E_INVALID_ARG;
    out->data_dir = kvm_asprintf("%s/vmhi/kvm", data);
    kvm_free(data);
    char *run = env_dir("XDG_RUNTIME_DIR");
    if (run) {
        out->run_dir = kvm_asprintf("%s/vmhi/kvm", run);
    } else {
        char *cache = env_dir("XDG_CACHE_HOME");
        if (!cache && !(cache = home_dir(".cache")))
            return VMHI_E_INVALID_ARG;
        out->run_dir = kvm_asprintf("%s/vmhi/kvm/run", cache);
        run = cache;
    }
    kvm_free(run);
    return out->data_dir && out->run_dir ? VMHI_OK : VMHI_E_NOMEM;
}

int kvm_paths_resolve(const char *uri_path, kvm_paths *out)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if (strcmp(uri_path, "/system") == 0) {
        out->data_dir = kvm_strdup("/var/lib/vmhi/kvm");
        out->run_dir = kvm_strdup("/run/vmhi/kvm");
        rc = out->data_dir && out->run_dir ? VMHI_OK : VMHI_E_NOMEM;
    } else if (strcmp(uri_path, "/session") == 0) {
        rc = session_paths(out);
    } else {
        rc = kvm_error(VMHI_E_INVALID_ARG, "kvm: unknown path '%s'; use kvm:///system or "
                       "kvm:///session", uri_path);
    }
    if (rc < 0)
        kvm_paths_free(out);
    return rc;
}

void kvm_paths_free(kvm_paths *p)
{
    kvm_free(p->data_dir);
    kvm_free(p->run_dir);
    p->data_dir = p->run_dir = NULL;
}

int kvm_store_mkdirs(const char *dir)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: directory path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create directory "
                                        "%s: %s", path, strerror(errno));
            if (end)
                break;
            *p = '/';
        }
    }
    return kvm_store_check_private(dir);
}

int kvm_store_check_private(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return kvm_error(VMHI_E_IO, "kvm: %s is not a directory", dir);
    if (st.st_uid != geteuid())
        return kvm_error(VMHI_E_PERMISSION, "kvm: refusing state directory %s: it belongs to "
                         "uid %u, not to this process (uid %u)", dir, (unsigned)st.st_uid,
                         (unsigned)geteuid());
    if (st.st_mode & (S_IWGRP | S_IRWXO))
        return kvm_error(VMHI_E_PERMISSION, "kvm: refusing state directory %s: mode %03o lets "
                         "other users in; chmod 700 it", dir, (unsigned)(st.st_mode & 0777));
    return VMHI_OK;
}

void kvm_store_log(kvm_host *h, int level, const char *fmt, ...)
{
    if (!h->conns)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    kvm_core->log(h->conns->conn, level, "%s", line);
}

int kvm_store_lock(kvm_host *h)
{
    char *path = kvm_asprintf("%s/.lock", h->paths.data_dir);
    if (!path)
        return VMHI_E_NOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int rc = kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot open lock file %s: %s",
                                  path, strerror(errno));
        kvm_free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = "";
        ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        int rc = errno == EWOULDBLOCK
            ? kvm_error(VMHI_E_BUSY, "kvm: the VMs in %s are managed by another process "
                        "(pid %s); close its connections first", h->paths.data_dir,
                        holder[0] ? holder : "unknown")
            : kvm_error(VMHI_E_IO, "kvm: cannot lock %s: %s", path, strerror(errno));
        close(fd);
        kvm_free(path);
        return rc;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: cannot record the pid in %s", path);
    kvm_free(path);
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

int kvm_store_write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[PATH_MAX], final[PATH_MAX];
    int n1 = snprintf(final, sizeof(final), "%s/%s", dir, name);
    int n2 = snprintf(tmp, sizeof(tmp), "%s/" TMP_PREFIX "%s-XXXXXX", dir, name);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(final) || (size_t)n2 >= sizeof(tmp))
        return kvm_error(VMHI_E_IO, "kvm: the path of %s is too long", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create a temporary file in "
                                "%s: %s", dir, strerror(errno));
    int err = 0;
    if (write_all(fd, data, len) != 0 || fchmod(fd, 0600) != 0 || fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, final) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot write %s: %s", final,
                                strerror(err));
    }
    if (sync_dir(dir) != 0)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot sync %s: %s", dir,
                                strerror(errno));
    return VMHI_OK;
}

int kvm_store_remove(const char *dir, const char *name)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return kvm_error(VMHI_E_IO, "kvm: the path of %s is too long", dir);
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return VMHI_OK;
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot remove %s: %s", path,
                                strerror(errno));
    }
    if (sync_dir(dir) != 0)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot sync %s: %s", dir,
                                strerror(errno));
    return VMHI_OK;
}

char *kvm_store_run_path(const kvm_host *h, const char *uuid, const char *suffix)
{
    return kvm_asprintf("%s/%s%s", h->paths.run_dir, uuid, suffix);
}

int kvm_store_save_def(kvm_host *h, const char *uuid, const vmhi_vm_config *def)
{
    char *xml = NULL;
    int rc = vmhi_vm_config_to_xml(def, &xml);
    if (rc < 0)
        return kvm_error(rc, "kvm: cannot serialize the definition of %s: %s", uuid,
                         kvm_last_message());
    char name[64];
    snprintf(name, sizeof(name), "%s.xml", uuid);
    rc = kvm_store_write_atomic(h->paths.data_dir, name, xml, strlen(xml));
    vmhi_free(xml);
    return rc;
}

char *kvm_store_read_text(const char *path)
{
    FILE *f = path ? fopen(path, "re") : NULL;
    char *text = NULL;
    size_t cap = 0;
    if (!f)
        return NULL;
    if (getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int kvm_store_remove_def(kvm_host *h, const char *uuid)
{
    char name[64];
    snprintf(name, sizeof(name), "%s.xml", uuid);
    return kvm_store_remove(h->paths.data_dir, name);
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot read %s: %s", path,
                                strerror(errno));
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *grown = kvm_alloc(ncap);
            if (!grown) {
                kvm_free(buf);
                fclose(f);
                return VMHI_E_NOMEM;
            }
            if (n)
                memcpy(grown, buf, n);
            kvm_free(buf);
            buf = grown;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return VMHI_OK;
}

/* Loads one <uuid>.xml as a shut-off VM. */
static int load_def(kvm_host *h, const char *file, const char *uuid)
{
    char *path = kvm_asprintf("%s/%s", h->paths.data_dir, file);
    char *xml = NULL;
    size_t len = 0;
    int rc = path ? read_file(path, &xml, &len) : VMHI_E_NOMEM;
    vmhi_vm_config *cfg = NULL;
    if (rc == VMHI_OK && vmhi_vm_config_from_xml(&cfg, xml, len) != VMHI_OK)
        rc = kvm_error(VMHI_E_PARSE, "kvm: %s is not a valid VM definition: %s; fix or "
                       "remove it", path, kvm_last_message());
    const char *cfg_uuid = cfg ? vmhi_vm_config_get_uuid(cfg) : NULL;
    if (rc == VMHI_OK && (!cfg_uuid || strcmp(cfg_uuid, uuid) != 0))
        rc = kvm_error(VMHI_E_PARSE, "kvm: %s describes UUID %s, not the one in its name",
                       path, cfg_uuid ? cfg_uuid : "(none)");
    if (rc == VMHI_OK && (kvm_host_find_uuid(h, uuid) ||
                          kvm_host_find_name(h, vmhi_vm_config_get_name(cfg))))
        rc = kvm_error(VMHI_E_PARSE, "kvm: %s reuses the name or UUID of another VM", path);
    kvm_vm *vm = rc == VMHI_OK ? kvm_alloc(sizeof(*vm)) : NULL;
    if (rc == VMHI_OK && !vm)
        rc = VMHI_E_NOMEM;
    if (rc == VMHI_OK) {
        snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
        snprintf(vm->name, sizeof(vm->name), "%s", vmhi_vm_config_get_name(cfg));
        vm->state = VMHI_STATE_SHUTOFF;
        vm->reason = VMHI_REASON_DEFINED;
        vm->def = cfg;
        rc = kvm_host_add_vm(h, vm);
        if (rc == VMHI_OK)
            cfg = NULL;
        else
            kvm_free(vm);
    }
    vmhi_vm_config_free(cfg);
    kvm_free(xml);
    kvm_free(path);
    return rc;
}

int kvm_store_load_defs(kvm_host *h)
{
    DIR *d = opendir(h->paths.data_dir);
    if (!d)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot read %s: %s",
                                h->paths.data_dir, strerror(errno));
    int rc = VMHI_OK;
    struct dirent *de;
    while (rc == VMHI_OK && (de = readdir(d))) {
        const char *name = de->d_name;
        size_t n = strlen(name);
        char uuid[VMHI_UUID_STRLEN + 1];
        if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            kvm_store_remove(h->paths.data_dir, name); /* left by a crash mid-write */
            continue;
        }
        if (n != VMHI_UUID_STRLEN + 4 || strcmp(name + VMHI_UUID_STRLEN, ".xml") != 0)
            continue;
        memcpy(uuid, name, VMHI_UUID_STRLEN);
        uuid[VMHI_UUID_STRLEN] = '\0';
        rc = load_def(h, name, uuid);
    }
    closedir(d);
    return rc;
}
