/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * OVF files: reading a .ovf or an .ova (told apart by content, not by
 * name: an .ova is a ustar archive) and writing either.  The descriptor is
 * read whole, up to VMHI__OVF_DOC_MAX; disk images are only listed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovf_internal.h"

#define MEMBERS_MAX 256

static int io_error(const char *what, const char *path)
{
    int e = errno;
    return vmhi__error(e == ENOENT ? VMHI_E_NOT_FOUND : e == EACCES ? VMHI_E_PERMISSION : VMHI_E_IO,
                       "cannot %s \"%.256s\": %s", what, path, strerror(e));
}

static int read_exact(int fd, uint64_t off, char *buf, size_t len, const char *path)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error("read", path);
        if (n == 0)
            return vmhi__error(VMHI_E_IO, "\"%.256s\" is shorter than its archive headers say",
                               path);
        done += (size_t)n;
    }
    return VMHI_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_tar(int fd)
{
    char h[512];
    ssize_t n = pread(fd, h, sizeof(h), 0);
    return n == (ssize_t)sizeof(h) && memcmp(h + 257, "ustar", 5) == 0;
}

#define MF_MAX (1u << 20)

/* Reads the manifest @len bytes at @off of @fd into @pkg and checks the
 * descriptor @xml (named @xml_name in it) against it. */
static int load_manifest(vmhi_ovf_package *pkg, int fd, uint64_t off, uint64_t len,
                         const char *path, const char *xml_name, const char *xml,
                         size_t xml_len)
{
    if (len > MF_MAX)
        return vmhi__error(VMHI_E_LIMIT, "the OVF manifest \"%.256s\" is larger than %u bytes",
                           path, MF_MAX);
    char *text = vmhi__malloc((size_t)len + 1);
    if (!text)
        return vmhi__error_oom();
    int rc = read_exact(fd, off, text, (size_t)len, path);
    if (rc == 0)
        rc = vmhi__mf_parse(pkg, text, (size_t)len);
    if (rc == 0)
        rc = vmhi__mf_check_data(pkg, xml_name, xml, xml_len);
    vmhi__free(text);
    return rc;
}

/* Records where an .ova's images are, checks its manifest if it has one. */
static int ova_sources(vmhi_ovf_package *pkg, int fd, const char *path,
                       const vmhi__tar_member *members, size_t count, const char *xml)
{
    char *real = realpath(path, NULL);
    if (!real)
        return io_error("resolve", path);
    pkg->archive = vmhi__strdup(real);
    free(real);
    pkg->members = vmhi__calloc(count, sizeof(*members));
    if (!pkg->archive || !pkg->members)
        return vmhi__error_oom();
    memcpy(pkg->members, members, count * sizeof(*members));
    pkg->member_count = count;
    for (size_t i = 1; i < count; i++)
        if (ends_with(members[i].name, ".mf"))
            return load_manifest(pkg, fd, members[i].offset, members[i].size, path,
                                 members[0].name, xml, (size_t)members[0].size);
    return VMHI_OK;
}

static int check_member_names(const vmhi__tar_member *members, size_t count, const char *path)
{
    for (size_t i = 0; i < count; i++)
        if (!vmhi__ovf_safe_name(members[i].name) || strstr(members[i].name, ".."))
            return vmhi__error(VMHI_E_PARSE, "\"%.256s\": the archive member \"%.128s\" is not "
                                             "a relative file name (no \"..\", no control "
                                             "character)", path, members[i].name);
    return VMHI_OK;
}

static int parse_ova(vmhi_ovf_package **out, int fd, const char *path,
                     const vmhi_ovf_import_options *opts, const char *disk_dir)
{
    vmhi__tar_member *members = vmhi__calloc(MEMBERS_MAX, sizeof(*members));
    const char **names = vmhi__calloc(MEMBERS_MAX, sizeof(*names));
    char *xml = NULL;
    size_t count = 0;
    int rc = members && names ? vmhi__tar_list(fd, members, MEMBERS_MAX, &count)
                              : vmhi__error_oom();
    if (rc == 0 && (count == 0 || !ends_with(members[0].name, ".ovf")))
        rc = vmhi__error(VMHI_E_PARSE, "\"%.256s\": the first file of an .ova must be the .ovf "
                                       "descriptor (found \"%.128s\")",
                         path, count ? members[0].name : "nothing");
    if (rc == 0)
        rc = check_member_names(members, count, path);
    if (rc == 0 && members[0].size > VMHI__OVF_DOC_MAX)
        rc = vmhi__error(VMHI_E_LIMIT, "OVF descriptor is %llu bytes; at most %u are accepted",
                         (unsigned long long)members[0].size, VMHI__OVF_DOC_MAX);
    if (rc == 0 && !(xml = vmhi__malloc((size_t)members[0].size + 1)))
        rc = vmhi__error_oom();
    if (rc == 0)
        rc = read_exact(fd, members[0].offset, xml, (size_t)members[0].size, path);
    for (size_t i = 0; rc == 0 && i < count; i++)
        names[i] = members[i].name;
    if (rc == 0)
        rc = vmhi__ovf_parse(out, xml, (size_t)members[0].size, opts, disk_dir, names, count);
    if (rc == 0 && (rc = ova_sources(*out, fd, path, members, count, xml)) != 0) {
        vmhi_ovf_package_free(*out);
        *out = NULL;
    }
    vmhi__free(xml);
    vmhi__free(names);
    vmhi__free(members);
    return rc;
}

/* Records a .ovf's directory; checks the manifest beside it (same name,
 * .mf instead of .ovf) if there is one. */
static int ovf_sources(vmhi_ovf_package *pkg, const char *path, const char *dir,
                       const char *xml, size_t len)
{
    if (!(pkg->src_dir = vmhi__strdup(dir)))
        return vmhi__error_oom();
    size_t n = strlen(path);
    if (!ends_with(path, ".ovf"))
        return VMHI_OK;
    char *mf = vmhi__asprintf("%.*s.mf", (int)(n - 4), path);
    if (!mf)
        return vmhi__error_oom();
    int fd = open(mf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    int rc = VMHI_OK;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        rc = load_manifest(pkg, fd, 0, (uint64_t)st.st_size, mf, base, xml, len);
    } else if (fd < 0 && errno != ENOENT) {
        rc = io_error("open", mf);
    }
    if (fd >= 0)
        close(fd);
    vmhi__free(mf);
    return rc;
}

static int parse_plain(vmhi_ovf_package **out, int fd, const char *path, uint64_t size,
                       const vmhi_ovf_import_options *opts, const char *disk_dir,
                       const char *src_dir)
{
    if (size > VMHI__OVF_DOC_MAX)
        return vmhi__error(VMHI_E_LIMIT, "OVF descriptor is %llu bytes; at most %u are accepted",
                           (unsigned long long)size, VMHI__OVF_DOC_MAX);
    char *xml = vmhi__malloc((size_t)size + 1);
    if (!xml)
        return vmhi__error_oom();
    int rc = read_exact(fd, 0, xml, (size_t)size, path);
    if (rc == 0)
        rc = vmhi__ovf_parse(out, xml, (size_t)size, opts, disk_dir, NULL, 0);
    if (rc == 0 && (rc = ovf_sources(*out, path, src_dir, xml, (size_t)size)) != 0) {
        vmhi_ovf_package_free(*out);
        *out = NULL;
    }
    vmhi__free(xml);
    return rc;
}

/* The directory of @path, made absolute. */
static int default_dir(const char *path, char dir[PATH_MAX])
{
    char *real = realpath(path, NULL);
    if (!real)
        return io_error("resolve", path);
    char *slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0';
    else
        *slash = '\0';
    vmhi__strlcpy(dir, real, PATH_MAX);
    free(real);
    return VMHI_OK;
}

int vmhi_ovf_package_open(vmhi_ovf_package **out, const char *path,
                          const vmhi_ovf_import_options *opts)
{
    vmhi__error_reset();
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!path || !*path)
        return vmhi__error(VMHI_E_INVALID_ARG, "path is NULL or empty");
    int rc = vmhi__ovf_check_options(opts);
    if (rc)
        return rc;
    char dir[PATH_MAX];
    const char *disk_dir = opts ? opts->disk_dir : NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return io_error("open", path);
    struct stat st;
    rc = fstat(fd, &st) < 0 ? io_error("stat", path) : VMHI_OK;
    if (rc == 0 && !S_ISREG(st.st_mode))
        rc = vmhi__error(VMHI_E_INVALID_ARG, "\"%.256s\" is not a regular file", path);
    if (rc == 0)
        rc = default_dir(path, dir);
    if (rc == 0 && !disk_dir)
        disk_dir = dir;
    if (rc == 0 && is_tar(fd))
        rc = parse_ova(out, fd, path, opts, disk_dir);
    else if (rc == 0)
        rc = parse_plain(out, fd, path, (uint64_t)st.st_size, opts, disk_dir, dir);
    close(fd);
    return rc;
}

static int write_all(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return vmhi__error(VMHI_E_EXISTS, "\"%.256s\" already exists", path);
        return io_error("create", path);
    }
    size_t done = 0;
    int rc = VMHI_OK;
    while (done < len && rc == 0) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = io_error("write", path);
        else
            done += (size_t)n;
    }
    if (close(fd) < 0 && rc == 0)
        rc = io_error("write", path);
    if (rc)
        unlink(path);
    return rc;
}

int vmhi_ovf_export_file(const vmhi_vm_config *cfg, const char *path)
{
    return vmhi_ovf_export_file_progress(cfg, path, NULL, NULL);
}

int vmhi_ovf_export_file_progress(const vmhi_vm_config *cfg, const char *path,
                                  vmhi_progress_cb progress, void *userdata)
{
    vmhi__error_reset();
    if (!cfg || !path)
        return vmhi__error(VMHI_E_INVALID_ARG, "config or path is NULL");
    bool ova = ends_with(path, ".ova");
    if (!ova && !ends_with(path, ".ovf"))
        return vmhi__error(VMHI_E_INVALID_ARG, "\"%.256s\": the file name must end in .ovf or "
                                               ".ova", path);
    if (ova)
        return vmhi__ovf_write_ova(cfg, path, progress, userdata);
    uint64_t capacity[VMHI__DISKS_MAX] = { 0 };
    vmhi__buf xml = { 0 };
    int rc = cfg->disk_count <= VMHI__DISKS_MAX ? vmhi__ovf_capacities(cfg, capacity)
                                                : VMHI_OK;
    if (rc == 0)
        rc = vmhi__ovf_write(cfg, &xml, capacity, false);
    if (rc == 0 && xml.failed)
        rc = vmhi__error_oom();
    if (rc == 0)
        rc = write_all(path, xml.data, xml.len);
    vmhi__buf_discard(&xml);
    return rc;
}
