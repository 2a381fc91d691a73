/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Exporting with the images: capacities from the images themselves, and an
 * .ova that carries them.  Each image is converted by qemu-img to a
 * streamOptimized vmdk (the transport form every OVF tool reads) in a
 * private directory beside the output, then the archive is written in
 * the order DSP0243 gives: descriptor, manifest (SHA-256), images.  The
 * output is created exclusively, and a failure removes it and every
 * temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovf_internal.h"

#define CHUNK (1u << 20)
#define BLOCK 512

#define io_fail vmhi__ovf_io_fail

bool vmhi__ovf_member_name(const vmhi_disk *d, char *name, size_t cap)
{
    const char *base = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    int n = snprintf(name, cap, "%.*s.vmdk", (int)stem, base);
    return n > 0 && (size_t)n < cap && n < 100; /* a ustar name field */
}

int vmhi__ovf_capacities(const vmhi_vm_config *cfg, uint64_t *capacity)
{
    for (size_t i = 0; i < cfg->disk_count; i++) {
        const vmhi_disk *d = cfg->disks[i];
        struct stat st;
        capacity[i] = 0;
        /* A blank disk has its size; an image elsewhere (a datastore path)
         * has none we can read. */
        if (d->size_mib || !d->path || stat(d->path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (d->format == VMHI_DISK_FORMAT_RAW) {
            capacity[i] = (uint64_t)st.st_size;
            continue;
        }
        vmhi__img_info info;
        int rc = vmhi__img_info_get(d->path, d->format, &info);
        if (rc)
            return rc;
        capacity[i] = info.virtual_size;
    }
    return VMHI_OK;
}

typedef struct ova {
    const vmhi_vm_config *cfg;
    const char *path;
    char tmpdir[PATH_MAX];
    char *members[VMHI__DISKS_MAX]; /* converted images, per disk; NULL: none */
    char names[VMHI__DISKS_MAX][VMHI__OVF_HREF_MAX];
    char hex[VMHI__DISKS_MAX][2 * VMHI__DIGEST_MAX + 1];
    int fd;
    char *buf;
    vmhi_progress_cb progress; /* NULL: none */
    void *userdata;
} ova;


static int write_all(ova *o, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_fail("write", o->path);
        p += n;
        len -= (size_t)n;
    }
    return VMHI_OK;
}

static int write_padding(ova *o, uint64_t len)
{
    static const char zeros[BLOCK] = { 0 };
    return len % BLOCK ? write_all(o, zeros, BLOCK - len % BLOCK) : VMHI_OK;
}

static int write_member(ova *o, const char *name, const char *data, size_t len)
{
    unsigned char h[BLOCK];
    vmhi__tar_header(h, name, len);
    int rc = write_all(o, h, BLOCK);
    if (rc == 0)
        rc = write_all(o, data, len);
    return rc ? rc : write_padding(o, len);
}

/* Reads @path whole: into the archive when @into is set, else into its
 * SHA-256 @hex; progress is reported as @operation. */
static int stream_file(ova *o, const char *path, const char *name, char *hex, bool into,
                       const char *operation)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return io_fail("open", path);
    struct stat st;
    int rc = fstat(in, &st) < 0 ? io_fail("stat", path) : VMHI_OK;
    unsigned char h[BLOCK];
    if (rc == 0 && into) {
        vmhi__tar_header(h, name, (uint64_t)st.st_size);
        rc = write_all(o, h, BLOCK);
    }
    vmhi__digest d;
    vmhi__digest_init(&d, VMHI__SHA256);
    uint64_t done = 0;
    int last = -1;
    if (rc == 0)
        vmhi__ovf_progress(o->progress, o->userdata, operation, 0, (uint64_t)st.st_size,
                           &last);
    while (rc == 0 && done < (uint64_t)st.st_size) {
        ssize_t n = read(in, o->buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? io_fail("read", path)
                       : vmhi__error(VMHI_E_IO, "\"%.256s\" shrank while it was read", path);
            break;
        }
        rc = into ? write_all(o, o->buf, (size_t)n) : VMHI_OK;
        vmhi__digest_update(&d, o->buf, (size_t)n);
        done += (uint64_t)n;
        vmhi__ovf_progress(o->progress, o->userdata, operation, done, (uint64_t)st.st_size,
                           &last);
    }
    close(in);
    if (rc == 0 && into)
        rc = write_padding(o, done);
    if (rc == 0 && !into) {
        unsigned char digest[VMHI__DIGEST_MAX];
        vmhi__digest_hex(digest, vmhi__digest_final(&d, digest), hex);
    }
    return rc;
}

/* Converts every image to a streamOptimized vmdk in the private directory. */
static int convert_images(ova *o)
{
    for (size_t i = 0; i < o->cfg->disk_count; i++) {
        const vmhi_disk *d = o->cfg->disks[i];
        if (d->size_mib)
            continue; /* a blank disk: the descriptor says its size */
        struct stat st;
        if (stat(d->path, &st) < 0)
            return vmhi__error(VMHI_E_NOT_FOUND, "disk %s: the image \"%.256s\" does not "
                                                 "exist, and an .ova carries its images",
                               d->id, d->path);
        if (!vmhi__ovf_member_name(d, o->names[i], sizeof(o->names[i])))
            return vmhi__error(VMHI_E_LIMIT, "disk %s: the file name of \"%.256s\" is too "
                                             "long for an .ova member", d->id, d->path);
        for (size_t j = 0; j < i; j++)
            if (o->members[j] && strcmp(o->names[j], o->names[i]) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG, "disks %s and %s would both be \"%s\" "
                                                       "in the .ova", o->cfg->disks[j]->id,
                                   d->id, o->names[i]);
        vmhi__img_info info;
        int rc = vmhi__img_info_get(d->path, d->format, &info);
        if (rc)
            return rc;
        if (!(o->members[i] = vmhi__asprintf("%s/%s", o->tmpdir, o->names[i])))
            return vmhi__error_oom();
        /* The operations name the image as the .ova will ("converting
         * root.vmdk"), like the import's ("extracting F", "converting F"). */
        char operation[VMHI__OVF_HREF_MAX + 16];
        snprintf(operation, sizeof(operation), "converting %s", o->names[i]);
        rc = vmhi__img_convert(d->path, d->format, o->members[i], VMHI_DISK_FORMAT_VMDK,
                               "streamOptimized", operation, o->progress, o->userdata);
        snprintf(operation, sizeof(operation), "hashing %s", o->names[i]);
        if (rc == 0)
            rc = stream_file(o, o->members[i], o->names[i], o->hex[i], false, operation);
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

static int write_archive(ova *o)
{
    uint64_t capacity[VMHI__DISKS_MAX];
    int rc = vmhi__ovf_capacities(o->cfg, capacity);
    vmhi__buf xml = { 0 }, mf = { 0 };
    if (rc == 0)
        rc = vmhi__ovf_write(o->cfg, &xml, capacity, true);
    char name[VMHI_NAME_MAX + 8], mf_name[VMHI_NAME_MAX + 8];
    /* Members are named after the VM; a name is never a path (no '/'). */
    bool short_name = strlen(o->cfg->name) + 4 < 100;
    snprintf(name, sizeof(name), "%s.ovf", short_name ? o->cfg->name : "vm");
    snprintf(mf_name, sizeof(mf_name), "%s.mf", short_name ? o->cfg->name : "vm");
    if (rc == 0 && !xml.failed) {
        unsigned char digest[VMHI__DIGEST_MAX];
        char hex[2 * VMHI__DIGEST_MAX + 1];
        vmhi__digest d;
        vmhi__digest_init(&d, VMHI__SHA256);
        vmhi__digest_update(&d, xml.data, xml.len);
        vmhi__digest_hex(digest, vmhi__digest_final(&d, digest), hex);
        vmhi__buf_printf(&mf, "SHA256(%s)= %s\n", name, hex);
        for (size_t i = 0; i < o->cfg->disk_count; i++)
            if (o->members[i])
                vmhi__buf_printf(&mf, "SHA256(%s)= %s\n", o->names[i], o->hex[i]);
    }
    if (rc == 0 && (xml.failed || mf.failed))
        rc = vmhi__error_oom();
    if (rc == 0)
        rc = write_member(o, name, xml.data, xml.len);
    if (rc == 0)
        rc = write_member(o, mf_name, mf.data, mf.len);
    for (size_t i = 0; rc == 0 && i < o->cfg->disk_count; i++)
        if (o->members[i]) {
            char operation[VMHI__OVF_HREF_MAX + 16];
            snprintf(operation, sizeof(operation), "writing %s", o->names[i]);
            rc = stream_file(o, o->members[i], o->names[i], NULL, true, operation);
        }
    if (rc == 0) {
        static const char zeros[2 * BLOCK] = { 0 };
        rc = write_all(o, zeros, sizeof(zeros));
    }
    vmhi__buf_discard(&xml);
    vmhi__buf_discard(&mf);
    return rc;
}

static int make_tmpdir(ova *o)
{
    int n = snprintf(o->tmpdir, sizeof(o->tmpdir), "%s.vmhi-XXXXXX", o->path);
    if (n < 0 || (size_t)n >= sizeof(o->tmpdir))
        return vmhi__error(VMHI_E_INVALID_ARG, "the path \"%.256s\" is too long", o->path);
    if (!mkdtemp(o->tmpdir))
        return io_fail("create a directory beside", o->path);
    return VMHI_OK;
}

int vmhi__ovf_write_ova(const vmhi_vm_config *cfg, const char *path, vmhi_progress_cb progress,
                        void *userdata)
{
    if (cfg->disk_count > VMHI__DISKS_MAX)
        return vmhi__error(VMHI_E_LIMIT, "too many disks");
    ova *o = vmhi__calloc(1, sizeof(*o));
    if (!o || !(o->buf = vmhi__malloc(CHUNK))) {
        vmhi__free(o);
        return vmhi__error_oom();
    }
    o->cfg = cfg;
    o->path = path;
    o->fd = -1;
    o->progress = progress;
    o->userdata = userdata;
    int rc = vmhi__config_validate(cfg);
    if (rc == 0) {
        o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (o->fd < 0)
            rc = errno == EEXIST ? vmhi__error(VMHI_E_EXISTS, "\"%.256s\" already exists", path)
                                 : io_fail("create", path);
    }
    if (rc == 0)
        rc = make_tmpdir(o);
    bool have_tmp = rc == 0;
    if (rc == 0)
        rc = convert_images(o);
    if (rc == 0)
        rc = write_archive(o);
    if (o->fd >= 0 && close(o->fd) < 0 && rc == 0)
        rc = io_fail("write", path);
    if (rc && o->fd >= 0)
        unlink(path);
    for (size_t i = 0; i < cfg->disk_count; i++) {
        if (o->members[i])
            unlink(o->members[i]);
        vmhi__free(o->members[i]);
    }
    if (have_tmp)
        rmdir(o->tmpdir);
    vmhi__free(o->buf);
    vmhi__free(o);
    return rc;
}
