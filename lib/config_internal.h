/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The VM description model: struct layouts and helpers shared by the
 * model (config.c, config_device.c, config_check.c) and its codecs
 * (config_xml*.c, config_json*.c).  Nothing here is exported.
 */
#ifndef VMHI_CONFIG_INTERNAL_H
#define VMHI_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Fixed ceilings from config.h (vmhi_vm_config_add_disk/_add_nic). */
#define VMHI__DISKS_MAX 64
#define VMHI__NICS_MAX 32
/* Longest disk path and network name, in bytes. */
#define VMHI__PATH_MAX 4095
#define VMHI__NETWORK_MAX 255
/* Largest document the parsers accept: a VM description is a few KiB. */
#define VMHI__CONFIG_DOC_MAX (1024u * 1024u)
/* The NIC network a new NIC connects to. */
#define VMHI__NETWORK_DEFAULT "default"

/* Longest disk target ("xvda") and kernel command line, in bytes. */
#define VMHI__TARGET_MAX 31
#define VMHI__CMDLINE_MAX 4095

struct vmhi_disk {
    char id[VMHI_DEVICE_ID_MAX + 1]; /* "" = unset */
    char *path;                      /* NULL = unset */
    char target[VMHI__TARGET_MAX + 1]; /* "" = the backend chooses */
    vmhi_disk_format format;
    vmhi_disk_bus bus;
    bool readonly;
    uint64_t size_mib;
};

struct vmhi_nic {
    char id[VMHI_DEVICE_ID_MAX + 1]; /* "" = unset */
    char mac[18];                    /* "" = unset (the backend picks one) */
    vmhi_nic_model model;
    char network[VMHI__NETWORK_MAX + 1];
};

/* One namespaced metadata entry; both strings are owned by the config. */
typedef struct vmhi__meta_entry {
    char *key;
    char *value;
} vmhi__meta_entry;

struct vmhi_vm_config {
    char name[VMHI_NAME_MAX + 1]; /* "" = unset */
    char uuid[VMHI_UUID_STRLEN + 1]; /* "" = unset */
    unsigned int vcpus;
    unsigned int max_vcpus;
    bool max_vcpus_set; /* until set, the maximum follows the current count */
    uint64_t memory_mib;
    uint64_t max_memory_mib;
    bool max_memory_set; /* likewise */
    vmhi_guest_type guest_type;
    vmhi_firmware firmware;
    char *kernel;  /* NULL: boot from firmware; then initrd and cmdline are NULL too at validation */
    char *initrd;
    char *cmdline;
    vmhi_boot_dev boot[VMHI_BOOT_ORDER_MAX]; /* empty: the backend's own order */
    size_t boot_count;
    vmhi_disk *disks[VMHI__DISKS_MAX];
    size_t disk_count;
    vmhi_nic *nics[VMHI__NICS_MAX];
    size_t nic_count;
    vmhi__meta_entry meta[VMHI_METADATA_MAX]; /* sorted by key (strcmp) */
    size_t meta_count;
};

/* Which field made adding a device fail with VMHI_E_EXISTS, so that the
 * codecs can point at it. */
typedef enum vmhi__dup_field {
    VMHI__DUP_NONE = 0,
    VMHI__DUP_ID,
    VMHI__DUP_PATH,
    VMHI__DUP_MAC
} vmhi__dup_field;

/* ---- config_device.c / config.c: internal entry points ---------------- */

/* Deep copies (no error reset, no argument checks beyond NULL). */
int vmhi__disk_copy(vmhi_disk **out, const vmhi_disk *disk);
int vmhi__nic_copy(vmhi_nic **out, const vmhi_nic *nic);
/* Adds @disk (ownership passes to @cfg on success only); assigns a free
 * "diskN" id when it has none.  @dup says which field clashed on
 * VMHI_E_EXISTS; it may be NULL. */
int vmhi__config_take_disk(vmhi_vm_config *cfg, vmhi_disk *disk, vmhi__dup_field *dup);
int vmhi__config_take_nic(vmhi_vm_config *cfg, vmhi_nic *nic, vmhi__dup_field *dup);

/* ---- config_boot.c / config_meta.c ---------------------------------- */

/* Deep-copies the boot strings and metadata of @from into @to (whose own
 * pointers are ignored); on failure @to holds no allocation of its own. */
int vmhi__config_copy_extras(vmhi_vm_config *to, const vmhi_vm_config *from);
void vmhi__config_free_extras(vmhi_vm_config *cfg);

/* ---- config_check.c: value rules and cross-field validation ----------- */

int vmhi__check_disk_path(const char *path);
/* Kernel and initrd paths: the disk path rules, naming @what. */
int vmhi__check_host_path(const char *what, const char *path);
int vmhi__check_cmdline(const char *cmdline);
int vmhi__check_target(const char *target);
int vmhi__check_metadata_key(const char *key);
int vmhi__check_metadata_value(const char *value);
int vmhi__check_network(const char *network);
/* Whether @s is UTF-8 that XML 1.0 can carry (no U+FFFE/U+FFFF). */
bool vmhi__utf8_valid(const char *s, size_t len);
/* vmhi_vm_config_validate without the error reset. */
int vmhi__config_validate(const vmhi_vm_config *cfg);
/* Checks a boot order: 0-VMHI_BOOT_ORDER_MAX known, distinct devices. */
int vmhi__check_boot_order(const vmhi_boot_dev *order, size_t count);

/* Reverse lookups in the reader's shape (-1 when unknown) over the public
 * tables of names.c, shared by both codecs. */
int vmhi__firmware_from_name(const char *name);
int vmhi__guest_type_from_name(const char *name);
int vmhi__boot_dev_from_name(const char *name);
int vmhi__disk_format_from_name(const char *name);
int vmhi__disk_bus_from_name(const char *name);
int vmhi__nic_model_from_name(const char *name);

/* ---- config_buf.c: output buffer and document positions --------------- */

/* A growing string.  After the first allocation failure every append is a
 * no-op and vmhi__buf_finish() reports VMHI_E_NOMEM, so writers need not
 * check each call. */
typedef struct vmhi__buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} vmhi__buf;

void vmhi__buf_append(vmhi__buf *buf, const char *s, size_t len);
void vmhi__buf_puts(vmhi__buf *buf, const char *s);
void vmhi__buf_printf(vmhi__buf *buf, const char *fmt, ...) VMHI_PRINTF(2, 3);
void vmhi__buf_indent(vmhi__buf *buf, unsigned level);
/* Appends @s with what XML reserves in text and attribute values escaped
 * (& < > " and, so attribute normalization keeps them, newline and tab). */
void vmhi__buf_put_xml_escaped(vmhi__buf *buf, const char *s);
/* Hands the NUL-terminated text to @out, or frees it and returns NOMEM. */
int vmhi__buf_finish(vmhi__buf *buf, char **out);
void vmhi__buf_discard(vmhi__buf *buf);

/* Line (1-based) and column (1-based, in characters) of byte @offset. */
void vmhi__text_location(const char *text, size_t len, size_t offset, unsigned *line,
                         unsigned *column);
/* Length of a leading UTF-8 byte order mark (0 or 3); parsers skip it. */
size_t vmhi__text_bom_length(const char *text, size_t len);

/* Parses an unsigned decimal (digits only, optional surrounding XML
 * whitespace when @trim) into @out; false on anything else or overflow. */
bool vmhi__parse_u64(const char *s, bool trim, uint64_t *out);

#endif /* VMHI_CONFIG_INTERNAL_H */
