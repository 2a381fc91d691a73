/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Putting a package's disk images in place (vmhi_ovf_package_import_disks):
 * each disk whose path is the disk directory joined with a File href gets
 * that file, from the .ova or from beside the .ovf, checked against the
 * manifest, and copied or converted by qemu-img into the disk directory in
 * a format the connection accepts.  Like adaptation it works on copies: a
 * failure leaves the package as it was and removes every file it wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovf_internal.h"

#define CHUNK (1u << 20)
#define io_fail vmhi__ovf_io_fail

typedef struct importer {
    vmhi_ovf_package *pkg;
    uint64_t formats; /* the connection's accepted disk formats */
    vmhi_progress_cb cb;
    void *userdata;
    char **created; /* files written, removed if the import fails */
    size_t created_count;
    size_t created_cap;
    char *buf; /* CHUNK bytes */
} importer;

int vmhi__ovf_io_fail(const char *what, const char *path)
{
    int e = errno;
    return vmhi__error(e == ENOENT ? VMHI_E_NOT_FOUND : e == EACCES ? VMHI_E_PERMISSION
                       : e == EEXIST ? VMHI_E_EXISTS : VMHI_E_IO,
                       "cannot %s \"%.256s\": %s", what, path, strerror(e));
}

static bool has(uint64_t set, unsigned v)
{
    return v < 64 && (set >> v) & 1;
}

/* The href @path was built from (disk_dir "/" href), or NULL. */
static const char *href_of(const vmhi_ovf_package *pkg, const char *path)
{
    size_t n = strlen(pkg->disk_dir);
    if (strncmp(path, pkg->disk_dir, n) != 0 || path[n] != '/')
        return NULL;
    for (size_t i = 0; i < pkg->href_count; i++)
        if (strcmp(path + n + 1, pkg->hrefs[i]) == 0)
            return pkg->hrefs[i];
    return NULL;
}

static const vmhi__tar_member *member_of(const vmhi_ovf_package *pkg, const char *href)
{
    for (size_t i = 0; i < pkg->member_count; i++)
        if (strcmp(pkg->members[i].name, href) == 0)
            return &pkg->members[i];
    return NULL;
}

static int remember(importer *im, const char *path)
{
    if (vmhi__array_reserve(&im->created, &im->created_cap, im->created_count,
                            sizeof(im->created[0])))
        return vmhi__error_oom();
    if (!(im->created[im->created_count] = vmhi__strdup(path)))
        return vmhi__error_oom();
    im->created_count++;
    return VMHI_OK;
}

static int write_all(int fd, const char *data, size_t len, const char *path)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_fail("write", path);
        data += n;
        len -= (size_t)n;
    }
    return VMHI_OK;
}

/* Reads [off, off + size) of @in (to its end when @size is UINT64_MAX)
 * into @d and, when @out >= 0, into @out. */
static int copy_range(importer *im, int in, uint64_t off, uint64_t size, int out,
                      vmhi__digest *d, const char *op, const char *in_path,
                      const char *out_path)
{
    uint64_t done = 0;
    while (done < size) {
        size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        ssize_t n = pread(in, im->buf, want, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_fail("read", in_path);
        if (n == 0) {
            if (size == UINT64_MAX)
                break;
            return vmhi__error(VMHI_E_IO, "\"%.256s\" ends early", in_path);
        }
        if (d)
            vmhi__digest_update(d, im->buf, (size_t)n);
        int rc = out >= 0 ? write_all(out, im->buf, (size_t)n, out_path) : VMHI_OK;
        if (rc)
            return rc;
        done += (uint64_t)n;
        if (size != UINT64_MAX)
            vmhi__ovf_progress(im->cb, im->userdata, op, done, size, NULL);
    }
    return VMHI_OK;
}

/* The manifest line of @href: NULL without a manifest, an error when a
 * present manifest does not list it. */
static int manifest_line(const importer *im, const char *href, const vmhi__mf_entry **e)
{
    *e = NULL;
    if (!im->pkg->manifest)
        return VMHI_OK;
    *e = vmhi__mf_find(im->pkg, href);
    if (!*e)
        return vmhi__error(VMHI_E_IO, "the package's manifest does not list \"%.200s\"; the "
                                      "image cannot be checked", href);
    return VMHI_OK;
}

/* Extracts an .ova member into @tmp, checking its digest; on failure
 * @tmp is removed. */
static int extract(importer *im, const vmhi__tar_member *m, const vmhi__mf_entry *e,
                   const char *tmp)
{
    int in = open(im->pkg->archive, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return io_fail("open", im->pkg->archive);
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = out < 0 ? io_fail("create", tmp) : VMHI_OK;
    vmhi__digest d;
    if (e)
        vmhi__digest_init(&d, e->algo);
    char op[300];
    snprintf(op, sizeof(op), "extracting %.256s", m->name);
    if (rc == 0)
        rc = copy_range(im, in, m->offset, m->size, out, e ? &d : NULL, op, im->pkg->archive,
                        tmp);
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = io_fail("write", tmp);
    close(in);
    if (rc == 0 && e)
        rc = vmhi__mf_compare(e, &d);
    if (rc && out >= 0)
        unlink(tmp);
    return rc;
}

/* Checks a file beside the .ovf (or in the disk directory) against @e. */
static int check_file(importer *im, const char *path, const vmhi__mf_entry *e, const char *href)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return io_fail("open the disk image", path);
    struct stat st;
    int rc = fstat(in, &st) < 0 ? io_fail("stat", path) : VMHI_OK;
    if (rc == 0 && !S_ISREG(st.st_mode))
        rc = vmhi__error(VMHI_E_INVALID_ARG, "disk image \"%.256s\" is not a regular file",
                         path);
    if (rc == 0 && e) {
        vmhi__digest d;
        char op[300];
        snprintf(op, sizeof(op), "checking %.256s", href);
        vmhi__digest_init(&d, e->algo);
        rc = copy_range(im, in, 0, (uint64_t)st.st_size, -1, &d, op, path, NULL);
        if (rc == 0)
            rc = vmhi__mf_compare(e, &d);
    }
    close(in);
    return rc;
}

/* The format the image becomes: its own when accepted and writable, else
 * the first accepted of qcow2, vmdk, raw.  A streamOptimized vmdk is a
 * transport form (QEMU only reads it, ESX only imports it): it is always
 * converted. */
static int choose(const importer *im, const vmhi_disk *d, const vmhi__img_info *info,
                  vmhi_disk_format *to)
{
    static const vmhi_disk_format order[] = { VMHI_DISK_FORMAT_QCOW2, VMHI_DISK_FORMAT_VMDK,
                                              VMHI_DISK_FORMAT_RAW };
    if (has(im->formats, info->format) && !info->stream_optimized) {
        *to = info->format;
        return VMHI_OK;
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (has(im->formats, order[i])) {
            *to = order[i];
            return VMHI_OK;
        }
    return vmhi__error(VMHI_E_UNSUPPORTED, "disk %s: the connection accepts no disk format to "
                                           "convert the image to", d->id);
}

/* @path with its extension replaced by that of @f, never equal to @avoid. */
static char *target_path(const char *path, vmhi_disk_format f, const char *avoid)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = dot && dot > slash + 1 ? (size_t)(dot - path) : strlen(path);
    const char *ext = f == VMHI_DISK_FORMAT_QCOW2 ? "qcow2" : f == VMHI_DISK_FORMAT_VMDK
                                                                 ? "vmdk" : "img";
    char *out = vmhi__asprintf("%.*s.%s", (int)stem, path, ext);
    if (out && avoid && strcmp(out, avoid) == 0) {
        vmhi__free(out);
        out = vmhi__asprintf("%.*s-converted.%s", (int)stem, path, ext);
    }
    return out;
}

static int reserve(importer *im, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return io_fail("create", path);
    close(fd);
    return remember(im, path);
}

static void forget_last(importer *im, const char *path)
{
    if (im->created_count && strcmp(im->created[im->created_count - 1], path) == 0)
        vmhi__free(im->created[--im->created_count]);
}

/* Converts (or moves) @src into place and points @d at the result. */
static int place(importer *im, size_t vm, vmhi_disk *d, const char *src, bool src_is_tmp,
                 const char *href)
{
    vmhi__img_info info;
    vmhi_disk_format to = VMHI_DISK_FORMAT_RAW; /* set by choose() before use */
    int rc = vmhi__img_info_get(src, d->format, &info);
    if (rc == 0)
        rc = choose(im, d, &info, &to);
    if (rc)
        return rc;
    bool same = to == info.format && !info.stream_optimized;
    if (same && !src_is_tmp && strcmp(src, d->path) == 0)
        return VMHI_OK; /* already in the disk directory, as it is */
    char *dst = same ? vmhi__strdup(d->path) : target_path(d->path, to, src);
    if (!dst)
        return vmhi__error_oom();
    if (same && src_is_tmp) {
        /* link() never replaces a file: an existing image stays. */
        rc = link(src, dst) < 0 ? io_fail("create", dst) : remember(im, dst);
    } else {
        char op[300];
        snprintf(op, sizeof(op), "converting %.256s", href);
        rc = reserve(im, dst);
        if (rc == 0)
            rc = vmhi__img_convert(src, info.format, dst, to,
                                   to == VMHI_DISK_FORMAT_VMDK ? "monolithicSparse" : NULL, op,
                                   im->cb, im->userdata);
        if (rc)
            forget_last(im, dst);
    }
    if (rc == 0 && !same)
        rc = vmhi__ovf_add_line(im->pkg, VMHI_OVF_REPORT_CONVERTED, 0, vm,
                                "disk %s: image \"%.128s\" (%s%s) converted to %s as \"%.256s\"",
                                d->id, href, vmhi__img_format_name(info.format),
                                info.stream_optimized ? ", streamOptimized" : "",
                                vmhi__img_format_name(to), dst);
    if (rc == 0) {
        vmhi__free(d->path);
        d->path = dst;
        d->format = to;
        return VMHI_OK;
    }
    vmhi__free(dst);
    return rc;
}

static int import_disk(importer *im, size_t vm, vmhi_disk *d, const char *href)
{
    const vmhi__mf_entry *e;
    int rc = manifest_line(im, href, &e);
    if (rc)
        return rc;
    const vmhi__tar_member *m = im->pkg->archive ? member_of(im->pkg, href) : NULL;
    if (m) {
        const char *base = strrchr(href, '/') ? strrchr(href, '/') + 1 : href;
        char *tmp = vmhi__asprintf("%s/.%s.vmhi-part", im->pkg->disk_dir, base);
        if (!tmp)
            return vmhi__error_oom();
        rc = extract(im, m, e, tmp);
        if (rc == 0) {
            rc = place(im, vm, d, tmp, true, href);
            unlink(tmp);
        }
        vmhi__free(tmp);
        return rc;
    }
    /* Beside the .ovf, else (a package without the file) in the disk directory. */
    char *src = im->pkg->src_dir ? vmhi__asprintf("%s/%s", im->pkg->src_dir, href) : NULL;
    struct stat st;
    const char *path = src && stat(src, &st) == 0 ? src : d->path;
    if (stat(path, &st) < 0) {
        rc = vmhi__error(VMHI_E_NOT_FOUND, "disk %s: the image \"%.128s\" is neither in the "
                                           "package nor at \"%.256s\"", d->id, href, d->path);
        vmhi__free(src);
        return rc;
    }
    rc = check_file(im, path, e, href);
    if (rc == 0)
        rc = place(im, vm, d, path, false, href);
    vmhi__free(src);
    return rc;
}

static int import_vm(importer *im, size_t vm, vmhi_vm_config *cfg)
{
    for (size_t i = 0; i < cfg->disk_count; i++) {
        vmhi_disk *d = cfg->disks[i];
        const char *href = d->path ? href_of(im->pkg, d->path) : NULL;
        int rc = href ? import_disk(im, vm, d, href) : VMHI_OK;
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return VMHI_OK;
    return io_fail("create the disk directory", dir);
}

int vmhi_ovf_package_import_disks(vmhi_ovf_package *pkg, vmhi_conn *conn,
                                  vmhi_progress_cb cb, void *userdata)
{
    vmhi__error_reset();
    if (!pkg || !conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "package or connection is NULL");
    if (!pkg->disk_dir || !pkg->href_count)
        return VMHI_OK;
    importer im = { .pkg = pkg, .cb = cb, .userdata = userdata };
    int rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_FORMAT, &im.formats);
    if (rc == 0)
        rc = make_dir(pkg->disk_dir);
    if (rc)
        return rc;
    im.buf = vmhi__malloc(CHUNK);
    vmhi_vm_config **copies = vmhi__calloc(pkg->vm_count ? pkg->vm_count : 1, sizeof(*copies));
    if (!im.buf || !copies) {
        vmhi__free(im.buf);
        vmhi__free(copies);
        return vmhi__error_oom();
    }
    size_t lines = pkg->line_count;
    for (size_t i = 0; rc == 0 && i < pkg->vm_count; i++) {
        rc = vmhi_vm_config_copy(&copies[i], pkg->vms[i]);
        if (rc == 0)
            rc = import_vm(&im, i, copies[i]);
    }
    for (size_t i = 0; i < pkg->vm_count; i++) {
        if (rc == 0) {
            vmhi_vm_config_free(pkg->vms[i]);
            pkg->vms[i] = copies[i];
        } else {
            vmhi_vm_config_free(copies[i]);
        }
    }
    /* On success the package keeps the list (vmhi_ovf_package_discard_disks;
     * without memory for it a file is only not discarded later). */
    for (size_t i = 0; i < im.created_count; i++) {
        if (rc == 0 && vmhi__array_reserve(&pkg->written, &pkg->written_cap,
                                           pkg->written_count, sizeof(pkg->written[0])) == 0) {
            pkg->written[pkg->written_count++] = im.created[i];
            continue;
        }
        if (rc)
            unlink(im.created[i]);
        vmhi__free(im.created[i]);
    }
    if (rc == 0)
        vmhi__error_reset(); /* a failed reserve above is no error of the call */
    while (rc != 0 && pkg->line_count > lines)
        vmhi__free(pkg->lines[--pkg->line_count].message);
    vmhi__free(im.created);
    vmhi__free(copies);
    vmhi__free(im.buf);
    return rc;
}

int vmhi_ovf_package_discard_disks(vmhi_ovf_package *pkg)
{
    vmhi__error_reset();
    if (!pkg)
        return vmhi__error(VMHI_E_INVALID_ARG, "package is NULL");
    int rc = VMHI_OK;
    for (size_t i = 0; i < pkg->written_count; i++) {
        if (unlink(pkg->written[i]) != 0 && errno != ENOENT && rc == VMHI_OK)
            rc = io_fail("remove the imported image", pkg->written[i]);
        vmhi__free(pkg->written[i]);
    }
    pkg->written_count = 0;
    return rc;
}
