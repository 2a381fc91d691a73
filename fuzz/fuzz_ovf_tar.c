/*
 * libFuzzer target: an .ova archive (lib/ovf_tar.c: ustar headers,
 * checksums, octal and base-256 sizes, pax and GNU long names), read the
 * way vmhi_ovf_package_open() reads one: from a file descriptor.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Members listed have terminated names at block offsets; when
 * the archive parses, the whole .ova import runs on it too.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ovf_internal.h"
#include "fuzz_common.h"

#define MEMBERS 16

static int archive_fd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.ova", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = archive_fd(data, size);
    if (fd < 0)
        return 0;
    vmhi__tar_member members[MEMBERS];
    size_t count = 0;
    int rc = vmhi__tar_list(fd, members, MEMBERS, &count);
    FUZZ_CHECK(count <= MEMBERS);
    for (size_t i = 0; rc == VMHI_OK && i < count; i++) {
        FUZZ_CHECK(memchr(members[i].name, '\0', sizeof(members[i].name)) != NULL);
        FUZZ_CHECK(members[i].offset % 512 == 0 && members[i].offset >= 512);
    }
    if (rc == VMHI_OK && count > 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        vmhi_ovf_import_options opts = VMHI_OVF_IMPORT_OPTIONS_INIT;
        opts.disk_dir = "/var/lib/vmhi/images";
        vmhi_ovf_package *pkg = NULL;
        if (vmhi_ovf_package_open(&pkg, path, &opts) == VMHI_OK)
            FUZZ_CHECK(pkg != NULL);
        vmhi_ovf_package_free(pkg);
    }
    vmhi__error_reset();
    close(fd);
    return 0;
}
