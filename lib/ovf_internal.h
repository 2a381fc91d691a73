/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * OVF import and export (vmhi/ovf.h), shared by ovf.c (the package and its
 * report), ovf_read.c (the envelope), ovf_hw.c (VirtualHardwareSection),
 * ovf_units.c (CIM units), ovf_tar.c (ustar), ovf_adapt.c and ovf_write.c.
 */
#ifndef VMHI_OVF_INTERNAL_H
#define VMHI_OVF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "vmhi/ovf.h"
#include "config_internal.h"

#define VMHI__OVF_NS1 "http://schemas.dmtf.org/ovf/envelope/1"
#define VMHI__OVF_NS2 "http://schemas.dmtf.org/ovf/envelope/2"
#define VMHI__OVF_VMHI_NS "urn:vmhi:ovf:1"
#define VMHI__OVF_RASD_NS "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
#define VMHI__OVF_VSSD_NS "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
#define VMHI__OVF_VMW_NS "http://www.vmware.com/schema/ovf"
/* The metadata namespace of what OVF says and VMHI does not model. */
#define VMHI__OVF_META "org.vmhi.ovf:"
/* Largest descriptor accepted (VirtualBox embeds its whole machine). */
#define VMHI__OVF_DOC_MAX (4u * 1024u * 1024u)
/* Deepest VirtualSystemCollection nesting. */
#define VMHI__OVF_DEPTH_MAX 8
/* Most distinct Disks an envelope's items use. */
#define VMHI__OVF_USED_MAX 256
/* Most VMs in one envelope. */
#define VMHI__OVF_VMS_MAX 64

typedef struct vmhi__ovf_line {
    vmhi_ovf_report_kind kind;
    unsigned line;
    size_t vm;
    char *message;
} vmhi__ovf_line;

/* ---- ovf_digest.c ---- */
typedef enum vmhi__digest_algo { VMHI__SHA1 = 1, VMHI__SHA256 = 2 } vmhi__digest_algo;
#define VMHI__DIGEST_MAX 32
typedef struct vmhi__digest {
    vmhi__digest_algo algo;
    uint32_t h[8];
    unsigned char buf[64];
    size_t fill;
    uint64_t total;
} vmhi__digest;
void vmhi__digest_init(vmhi__digest *d, vmhi__digest_algo algo);
void vmhi__digest_update(vmhi__digest *d, const void *data, size_t len);
/* Writes the digest, returns its length (20 or 32). */
size_t vmhi__digest_final(vmhi__digest *d, unsigned char out[VMHI__DIGEST_MAX]);
/* @hex holds 2 * @len + 1 characters. */
void vmhi__digest_hex(const unsigned char *digest, size_t len, char *hex);

/* One line of a manifest: "SHA256(name)= hex". */
typedef struct vmhi__mf_entry {
    char *name;
    vmhi__digest_algo algo;
    char hex[2 * VMHI__DIGEST_MAX + 1];
} vmhi__mf_entry;

typedef struct vmhi__tar_member {
    char name[260]; /* prefix '/' name: 155 + 1 + 100 */
    uint64_t size;
    uint64_t offset; /* of the data */
} vmhi__tar_member;

struct vmhi_ovf_package {
    vmhi_vm_config **vms;
    size_t vm_count;
    size_t vm_cap;
    vmhi__ovf_line *lines;
    size_t line_count;
    size_t line_cap;
    /* Where the images come from and go (vmhi_ovf_package_import_disks). */
    char *disk_dir;           /* the disks' directory, NULL without one */
    char *src_dir;            /* a .ovf's directory, NULL otherwise */
    char *archive;            /* an .ova's path, NULL otherwise */
    vmhi__tar_member *members; /* an .ova's files */
    size_t member_count;
    char **hrefs;             /* File hrefs of the References */
    size_t href_count;
    size_t href_cap;
    vmhi__mf_entry *manifest; /* NULL: the package has no manifest */
    size_t manifest_count;
    /* Files vmhi_ovf_package_import_disks() wrote (for discard_disks). */
    char **written;
    size_t written_count;
    size_t written_cap;
};

/* What one import needs while it walks the document. */
typedef struct vmhi__ovf_ctx {
    vmhi_ovf_package *pkg;
    xmlDoc *doc;
    const xmlNode *envelope;
    const xmlNode *references;
    const xmlNode *disks;    /* DiskSection */
    const xmlNode *networks; /* NetworkSection */
    const char *option;      /* the selected deployment option, NULL if none */
    const char *disk_dir;
    bool strict;
    size_t vm;               /* index of the VM being read */
    /* .ova members, to check References against (NULL for a .ovf). */
    const char *const *members;
    size_t member_count;
    /* Disks of the DiskSection some item used (the rest are reported). */
    const xmlNode *used_disks[VMHI__OVF_USED_MAX];
    size_t used_disk_count;
} vmhi__ovf_ctx;

/* ---- ovf.c ---- */
int vmhi__ovf_package_new(vmhi_ovf_package **out);
/* Appends a report line; with @ctx strict and @kind UNHONOURED it is an
 * error (VMHI_E_UNSUPPORTED) instead. */
int vmhi__ovf_note(vmhi__ovf_ctx *ctx, vmhi_ovf_report_kind kind, const xmlNode *node,
                   const char *fmt, ...) VMHI_PRINTF(4, 5);
int vmhi__ovf_add_line(vmhi_ovf_package *pkg, vmhi_ovf_report_kind kind, unsigned line,
                       size_t vm, const char *fmt, ...) VMHI_PRINTF(5, 6);
int vmhi__ovf_add_vm(vmhi_ovf_package *pkg, vmhi_vm_config *cfg);
/* Calls @cb (if any) with @operation and the percentage @done of @total
 * (100 for an empty total); with @last, only when the percentage moved
 * since *@last, which it then updates. */
void vmhi__ovf_progress(vmhi_progress_cb cb, void *userdata, const char *operation,
                        uint64_t done, uint64_t total, int *last);
int vmhi__ovf_add_href(vmhi_ovf_package *pkg, const char *href);
/* A located VMHI_E_PARSE error about @node. */
int vmhi__ovf_fail(const xmlNode *node, const char *fmt, ...) VMHI_PRINTF(2, 3);
unsigned vmhi__ovf_line_of(const xmlNode *node);

/* ---- ovf_read.c: XML helpers ---- */
bool vmhi__ovf_is_ovf_ns(const xmlNode *node);
bool vmhi__ovf_is(const xmlNode *node, const char *local);
const xmlNode *vmhi__ovf_child(const xmlNode *node, const char *local);
/* Text of the first child element named @local (any namespace), trimmed;
 * NULL when absent.  Free with xmlFree. */
char *vmhi__ovf_child_text(const xmlNode *node, const char *local);
/* An attribute of the OVF namespace (ovf:id), then one without a namespace. */
char *vmhi__ovf_attr(const xmlNode *node, const char *name);
char *vmhi__ovf_ns_attr(const xmlNode *node, const char *ns, const char *name);
/* Whether @node applies to the selected deployment option. */
bool vmhi__ovf_in_option(const vmhi__ovf_ctx *ctx, const xmlNode *node);
/* Stores @value under "org.vmhi.ovf:<name>", reporting what does not fit. */
int vmhi__ovf_keep(vmhi__ovf_ctx *ctx, vmhi_vm_config *cfg, const xmlNode *node,
                   const char *name, const char *value);

/* The import itself: @disk_dir may be NULL; @members lists an .ova's files. */
int vmhi__ovf_parse(vmhi_ovf_package **out, const char *xml, size_t len,
                    const vmhi_ovf_import_options *opts, const char *disk_dir,
                    const char *const *members, size_t member_count);

int vmhi__ovf_check_options(const vmhi_ovf_import_options *opts);

/* ---- ovf_write.c ---- */
/* @capacity: per disk, the image's virtual size in bytes (0: unknown), or
 * NULL; @stream_vmdk: the images are written as streamOptimized vmdk files
 * named after the disks' file names with a .vmdk extension (an .ova). */
int vmhi__ovf_write(const vmhi_vm_config *cfg, vmhi__buf *buf, const uint64_t *capacity,
                    bool stream_vmdk);

#define VMHI__OVF_STREAM_VMDK_URL \
    "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
#define VMHI__OVF_HREF_MAX 256
/* The .ova member name of @d's image: its file name with a .vmdk
 * extension; false when it does not fit in @cap. */
bool vmhi__ovf_member_name(const vmhi_disk *d, char *name, size_t cap);

/* ---- ovf_disks.c ---- */
/* The error for a failed file operation on @path (errno): NOT_FOUND,
 * PERMISSION, EXISTS or IO. */
int vmhi__ovf_io_fail(const char *what, const char *path);

/* ---- ovf_export.c ---- */
/* Per disk: the virtual size in bytes of an existing image, 0 otherwise. */
int vmhi__ovf_capacities(const vmhi_vm_config *cfg, uint64_t *capacity);
/* Writes @cfg as an .ova at @path (which must not exist), images included. */
int vmhi__ovf_write_ova(const vmhi_vm_config *cfg, const char *path, vmhi_progress_cb progress,
                        void *userdata);

/* ---- ovf_manifest.c ---- */
/* Parses a manifest into pkg->manifest (VMHI_E_PARSE with the line). */
int vmhi__mf_parse(vmhi_ovf_package *pkg, const char *text, size_t len);
const vmhi__mf_entry *vmhi__mf_find(const vmhi_ovf_package *pkg, const char *name);
/* Checks @data (the descriptor) against its manifest line. */
int vmhi__mf_check_data(const vmhi_ovf_package *pkg, const char *name, const char *data,
                        size_t len);
/* Compares a finished digest with @e: VMHI_E_IO on a mismatch. */
int vmhi__mf_compare(const vmhi__mf_entry *e, vmhi__digest *d);
/* Whether a package file name is safe: relative, no "..", no control
 * character, no backslash. */
bool vmhi__ovf_safe_name(const char *name);

/* ---- ovf_qemu_img.c ---- */
typedef struct vmhi__img_info {
    vmhi_disk_format format;
    bool stream_optimized;
    uint64_t virtual_size;
} vmhi__img_info;
/* qemu-img info of @path read as @format (never probed); refuses an image
 * that names another file (a backing file, a vmdk extent elsewhere). */
int vmhi__img_info_get(const char *path, vmhi_disk_format format, vmhi__img_info *info);
/* qemu-img convert; @subformat is a vmdk subformat or NULL.  Progress goes
 * to @cb as @operation.  On failure @dst is removed. */
int vmhi__img_convert(const char *src, vmhi_disk_format from, const char *dst,
                      vmhi_disk_format to, const char *subformat, const char *operation,
                      vmhi_progress_cb cb, void *userdata);
const char *vmhi__img_format_name(vmhi_disk_format f);

/* ---- ovf_hw.c ---- */
int vmhi__ovf_read_hardware(vmhi__ovf_ctx *ctx, const xmlNode *section, vmhi_vm_config *cfg);

/* ---- ovf_units.c ---- */
/* Parses a CIM programmatic unit ("byte * 2^20") or a word form
 * ("MegaBytes") into a number of bytes; false when unknown or too big. */
bool vmhi__ovf_unit_bytes(const char *unit, uint64_t *bytes);
/* Parses a non-negative decimal integer without overflow. */
bool vmhi__ovf_parse_u64(const char *text, uint64_t *out);
/* @value units of @unit_bytes each, in MiB rounded up; false on overflow. */
bool vmhi__ovf_to_mib(uint64_t value, uint64_t unit_bytes, uint64_t *mib, bool *exact);

/* ---- ovf_tar.c ---- */
/* Lists the regular files of a ustar archive (at most @max). */
int vmhi__tar_list(int fd, vmhi__tar_member *members, size_t max, size_t *count);
/* The ustar header of a regular file of @size bytes. */
void vmhi__tar_header(unsigned char h[512], const char *name, uint64_t size);
/* Appends one regular file to @buf (header + padded data). */
void vmhi__tar_add(vmhi__buf *buf, const char *name, const char *data, size_t len);
void vmhi__tar_finish(vmhi__buf *buf);

#endif /* VMHI_OVF_INTERNAL_H */
