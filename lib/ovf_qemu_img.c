/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Disk images through qemu-img (Debian qemu-utils), found on PATH (by
 * VMHI, not by libc) and started with execve and an argv, never a shell.
 * The format of an image is always given (-f), never probed: a raw image that looks like a qcow2 header
 * must not get a backing file.  An image from a package that names another
 * file (a qcow2 backing file, a vmdk extent elsewhere) is refused, since
 * converting it would read that file.  qemu-img's stderr goes into the
 * error message; its -p output ("    (12.00/100%)\r") becomes progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ovf_internal.h"

extern char **environ;

#define ERR_MAX 1024
#define OUT_MAX (256u * 1024u)

typedef struct img_run {
    char err[ERR_MAX]; /* the tail of stderr */
    size_t err_len;
    char *out; /* stdout, when collected */
    size_t out_len;
    bool collect;
    const char *operation;
    vmhi_progress_cb cb;
    void *userdata;
    int last_percent;
} img_run;

const char *vmhi__img_format_name(vmhi_disk_format f)
{
    return f == VMHI_DISK_FORMAT_QCOW2 ? "qcow2" : f == VMHI_DISK_FORMAT_VMDK ? "vmdk" : "raw";
}

static void keep_err(img_run *r, const char *data, size_t n)
{
    for (size_t i = 0; i < n && r->err_len + 1 < sizeof(r->err); i++)
        r->err[r->err_len++] = data[i] == '\n' || data[i] == '\r' ? ' ' : data[i];
    r->err[r->err_len] = '\0';
}

/* "(45.00/100%)": the last complete one in @data. */
static void parse_progress(img_run *r, const char *data, size_t n)
{
    if (!r->cb)
        return;
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '(')
            continue;
        char num[16];
        size_t j = 0;
        for (i++; i < n && j + 1 < sizeof(num) && (data[i] == '.' || (data[i] >= '0' &&
                                                                     data[i] <= '9'));)
            num[j++] = data[i++];
        num[j] = '\0';
        if (j == 0 || i >= n || data[i] != '/')
            continue;
        int percent = (int)strtod(num, NULL);
        if (percent > r->last_percent && percent < 100) {
            r->last_percent = percent;
            r->cb(r->operation, percent, r->userdata);
        }
    }
}

static void keep_out(img_run *r, const char *data, size_t n)
{
    if (!r->collect) {
        parse_progress(r, data, n);
        return;
    }
    if (r->out_len + n > OUT_MAX)
        n = OUT_MAX - r->out_len;
    memcpy(r->out + r->out_len, data, n);
    r->out_len += n;
    r->out[r->out_len] = '\0';
}

/* Reads both pipes until the child closes them. */
static void drain(img_run *r, int out_fd, int err_fd)
{
    struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                p[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                keep_out(r, buf, (size_t)n);
            } else {
                keep_err(r, buf, (size_t)n);
            }
        }
    }
}

static int spawn_failed(int e)
{
    if (e == ENOENT)
        return vmhi__error(VMHI_E_NOT_FOUND, "qemu-img is not installed (it is in Debian's "
                                             "qemu-utils package); disk images need it");
    return vmhi__error(VMHI_E_IO, "cannot start qemu-img: %s", strerror(e));
}

/* The absolute path of qemu-img from $PATH, resolved here so that the
 * spawn itself is an execve of a fixed file (no PATH search by libc). */
static bool find_qemu_img(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        int len = snprintf(out, cap, "%.*s/qemu-img", (int)n, p);
        if (n && out[0] == '/' && len > 0 && (size_t)len < cap && access(out, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* Runs qemu-img with @argv; VMHI_E_BACKEND with its stderr when it fails. */
static int run(const char *const *argv, img_run *r)
{
    char exe[4096];
    if (!find_qemu_img(exe, sizeof(exe)))
        return spawn_failed(ENOENT);
    int out[2] = { -1, -1 }, err[2] = { -1, -1 };
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        if (out[0] >= 0) {
            close(out[0]);
            close(out[1]);
        }
        return vmhi__error(VMHI_E_IO, "cannot create a pipe for qemu-img: %s", strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int e = posix_spawn(&pid, exe, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(err[1]);
    if (e == 0)
        drain(r, out[0], err[0]);
    close(out[0]);
    close(err[0]);
    if (e)
        return spawn_failed(e);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vmhi__error(VMHI_E_IO, "cannot wait for qemu-img: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return VMHI_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return spawn_failed(ENOENT);
    return vmhi__error(VMHI_E_BACKEND, "qemu-img %s failed (%s %d): %s", argv[1],
                       WIFEXITED(status) ? "exit status" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                       r->err_len ? r->err : "no message");
}

static bool names_other_file(json_object *info, const char *path)
{
    json_object *v;
    if (json_object_object_get_ex(info, "backing-filename", &v) ||
        json_object_object_get_ex(info, "full-backing-filename", &v))
        return true;
    json_object *spec, *data, *extents;
    if (!json_object_object_get_ex(info, "format-specific", &spec) ||
        !json_object_object_get_ex(spec, "data", &data) ||
        !json_object_object_get_ex(data, "extents", &extents))
        return false;
    for (size_t i = 0; i < json_object_array_length(extents); i++) {
        json_object *f;
        if (!json_object_object_get_ex(json_object_array_get_idx(extents, i), "filename", &f) ||
            strcmp(json_object_get_string(f), path) != 0)
            return true;
    }
    return false;
}

static bool is_stream_optimized(json_object *info)
{
    json_object *spec, *data, *type;
    return json_object_object_get_ex(info, "format-specific", &spec) &&
           json_object_object_get_ex(spec, "data", &data) &&
           json_object_object_get_ex(data, "create-type", &type) &&
           strcmp(json_object_get_string(type), "streamOptimized") == 0;
}

static int read_info(const char *json, const char *path, vmhi_disk_format format,
                     vmhi__img_info *info)
{
    json_object *doc = json_tokener_parse(json);
    json_object *size;
    int rc = VMHI_OK;
    if (!doc || !json_object_object_get_ex(doc, "virtual-size", &size))
        rc = vmhi__error(VMHI_E_BACKEND, "qemu-img info gave no virtual size for \"%.256s\"",
                         path);
    else if (names_other_file(doc, path))
        rc = vmhi__error(VMHI_E_UNSUPPORTED, "the %s image \"%.256s\" names another file (a "
                                             "backing file or an extent elsewhere); VMHI imports "
                                             "only self-contained images",
                         vmhi__img_format_name(format), path);
    if (rc == 0) {
        info->format = format;
        info->virtual_size = (uint64_t)json_object_get_int64(size);
        info->stream_optimized = is_stream_optimized(doc);
    }
    json_object_put(doc);
    return rc;
}

int vmhi__img_info_get(const char *path, vmhi_disk_format format, vmhi__img_info *info)
{
    img_run r = { .collect = true };
    r.out = vmhi__malloc(OUT_MAX + 1);
    if (!r.out)
        return vmhi__error_oom();
    r.out[0] = '\0';
    const char *argv[] = { "qemu-img", "info", "--output=json", "-f",
                           vmhi__img_format_name(format), path, NULL };
    int rc = run(argv, &r);
    if (rc == 0)
        rc = read_info(r.out, path, format, info);
    vmhi__free(r.out);
    return rc;
}

int vmhi__img_convert(const char *src, vmhi_disk_format from, const char *dst,
                      vmhi_disk_format to, const char *subformat, const char *operation,
                      vmhi_progress_cb cb, void *userdata)
{
    img_run r = { .operation = operation, .cb = cb, .userdata = userdata, .last_percent = -1 };
    char opt[64];
    const char *argv[12];
    size_t n = 0;
    argv[n++] = "qemu-img";
    argv[n++] = "convert";
    argv[n++] = "-p";
    argv[n++] = "-f";
    argv[n++] = vmhi__img_format_name(from);
    argv[n++] = "-O";
    argv[n++] = vmhi__img_format_name(to);
    if (subformat) {
        snprintf(opt, sizeof(opt), "subformat=%s", subformat);
        argv[n++] = "-o";
        argv[n++] = opt;
    }
    argv[n++] = src;
    argv[n++] = dst;
    argv[n] = NULL;
    if (cb) {
        cb(operation, 0, userdata);
        r.last_percent = 0; /* qemu-img's first line is 0% again */
    }
    int rc = run(argv, &r);
    if (rc) {
        unlink(dst);
        return rc;
    }
    if (cb)
        cb(operation, 100, userdata);
    return VMHI_OK;
}
