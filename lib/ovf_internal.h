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
/* Most VMs in one envelope. */
#define VMHI__OVF_VMS_MAX 64

typedef struct vmhi__ovf_line {
    vmhi_ovf_report_kind kind;
    unsigned line;
    size_t vm;
    char *message;
} vmhi__ovf_line;

struct vmhi_ovf_package {
    vmhi_vm_config **vms;
    size_t vm_count;
    size_t vm_cap;
    vmhi__ovf_line *lines;
    size_t line_count;
    size_t line_cap;
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
int vmhi__ovf_write(const vmhi_vm_config *cfg, vmhi__buf *buf);

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
typedef struct vmhi__tar_member {
    char name[260]; /* prefix '/' name: 155 + 1 + 100 */
    uint64_t size;
    uint64_t offset; /* of the data */
} vmhi__tar_member;
/* Lists the regular files of a ustar archive (at most @max). */
int vmhi__tar_list(int fd, vmhi__tar_member *members, size_t max, size_t *count);
/* Appends one regular file to @buf (header + padded data). */
void vmhi__tar_add(vmhi__buf *buf, const char *name, const char *data, size_t len);
void vmhi__tar_finish(vmhi__buf *buf);

#endif /* VMHI_OVF_INTERNAL_H */
