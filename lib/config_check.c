/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Rules for VM description values and the cross-field validation, plus
 * the enum <-> name tables both codecs share, so that each rule and each
 * spelling is written once.
 */
#include <string.h>

#include "config_internal.h"

/* Decodes one UTF-8 sequence; returns its length or 0 when malformed
 * (overlong forms, surrogates, > U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp_out)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) { n = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 4; cp = c & 0x07; }
    else return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_for_length[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *cp_out = cp;
    return n;
}

bool vmhi__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0 || cp == 0xfffe || cp == 0xffff)
            return false;
        i += n;
    }
    return true;
}

/* Shared by paths and network names: no control characters, and text that
 * both the XML and the JSON form can carry. */
static int check_text(const char *what, const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s is empty", what);
    if (len > max)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s is %zu bytes long; at most %zu allowed", what,
                           len, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "%s must not contain control characters (0x%02x at byte %zu)",
                               what, c, i);
    }
    if (!vmhi__utf8_valid(s, len))
        return vmhi__error(VMHI_E_INVALID_ARG, "%s is not valid UTF-8", what);
    return VMHI_OK;
}

int vmhi__check_disk_path(const char *path)
{
    if (!path)
        return vmhi__error(VMHI_E_INVALID_ARG, "disk path is NULL");
    int rc = check_text("disk path", path, VMHI__PATH_MAX);
    if (rc < 0)
        return rc;
    if (path[0] != '/')
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "disk path \"%.64s\" is not absolute (must start with '/')", path);
    return VMHI_OK;
}

int vmhi__check_network(const char *network)
{
    if (!network)
        return vmhi__error(VMHI_E_INVALID_ARG, "network name is NULL");
    return check_text("network name", network, VMHI__NETWORK_MAX);
}

int vmhi__check_boot_order(const vmhi_boot_dev *order, size_t count)
{
    if (count == 0 || count > VMHI_BOOT_ORDER_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "boot order must have 1-%d entries, got %zu",
                           VMHI_BOOT_ORDER_MAX, count);
    for (size_t i = 0; i < count; i++) {
        if (!vmhi__boot_dev_name(order[i]))
            return vmhi__error(VMHI_E_INVALID_ARG, "boot order entry %zu: unknown device %d", i,
                               (int)order[i]);
        for (size_t j = 0; j < i; j++)
            if (order[j] == order[i])
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "boot order entry %zu: \"%s\" is already entry %zu", i,
                                   vmhi__boot_dev_name(order[i]), j);
    }
    return VMHI_OK;
}

static int validate_disks(const vmhi_vm_config *cfg)
{
    if (cfg->disk_count > VMHI__DISKS_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "disks: %zu disks; at most %d allowed",
                           cfg->disk_count, VMHI__DISKS_MAX);
    for (size_t i = 0; i < cfg->disk_count; i++) {
        const vmhi_disk *d = cfg->disks[i];
        if (!d->path)
            return vmhi__error(VMHI_E_INVALID_ARG, "disk %zu: path is not set", i);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->disks[j]->id, d->id) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG, "disk %zu: id \"%s\" is used twice", i,
                                   d->id);
            if (strcmp(cfg->disks[j]->path, d->path) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "disk %zu: path \"%.64s\" is also used by disk \"%s\"", i,
                                   d->path, cfg->disks[j]->id);
        }
    }
    return VMHI_OK;
}

static int validate_nics(const vmhi_vm_config *cfg)
{
    if (cfg->nic_count > VMHI__NICS_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "nics: %zu NICs; at most %d allowed",
                           cfg->nic_count, VMHI__NICS_MAX);
    for (size_t i = 0; i < cfg->nic_count; i++) {
        const vmhi_nic *n = cfg->nics[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->nics[j]->id, n->id) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG, "NIC %zu: id \"%s\" is used twice", i,
                                   n->id);
            if (n->mac[0] && strcmp(cfg->nics[j]->mac, n->mac) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "NIC %zu: MAC address %s is also used by NIC \"%s\"", i,
                                   n->mac, cfg->nics[j]->id);
        }
    }
    return VMHI_OK;
}

/* Disk ids against NIC ids; each list is checked against itself above. */
static int validate_ids_across(const vmhi_vm_config *cfg)
{
    for (size_t i = 0; i < cfg->nic_count; i++)
        for (size_t j = 0; j < cfg->disk_count; j++)
            if (strcmp(cfg->nics[i]->id, cfg->disks[j]->id) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "NIC %zu: id \"%s\" is also the id of disk %zu", i,
                                   cfg->nics[i]->id, j);
    return VMHI_OK;
}

int vmhi__config_validate(const vmhi_vm_config *cfg)
{
    if (!cfg->name[0])
        return vmhi__error(VMHI_E_INVALID_ARG, "name: the VM has no name (set one)");
    if (cfg->vcpus > cfg->max_vcpus)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "vcpus: current count %u exceeds the maximum (max_vcpus) %u",
                           cfg->vcpus, cfg->max_vcpus);
    if (cfg->memory_mib > cfg->max_memory_mib)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "memory: current %llu MiB exceeds the maximum (max_memory) %llu MiB",
                           (unsigned long long)cfg->memory_mib,
                           (unsigned long long)cfg->max_memory_mib);
    int rc = vmhi__check_boot_order(cfg->boot, cfg->boot_count);
    if (rc < 0)
        return rc;
    rc = validate_disks(cfg);
    if (rc == 0)
        rc = validate_nics(cfg);
    if (rc == 0)
        rc = validate_ids_across(cfg);
    return rc;
}

int vmhi_vm_config_validate(const vmhi_vm_config *cfg)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    return vmhi__config_validate(cfg);
}

/* ---- names ------------------------------------------------------------ */

static const char *const firmware_names[] = { "bios", "uefi" };
static const char *const boot_names[] = { NULL, "disk", "network", "cdrom" };
static const char *const format_names[] = { "raw", "qcow2", "vmdk" };
static const char *const bus_names[] = { "virtio", "scsi", "sata", "ide" };
static const char *const model_names[] = { "virtio", "e1000", "vmxnet3", "rtl8139" };

static const char *name_of(const char *const *names, size_t count, int value)
{
    return value >= 0 && (size_t)value < count ? names[value] : NULL;
}

static int value_of(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; name && i < count; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *vmhi__firmware_name(vmhi_firmware fw)
{
    return name_of(firmware_names, VMHI_ARRAY_SIZE(firmware_names), (int)fw);
}

const char *vmhi__boot_dev_name(vmhi_boot_dev dev)
{
    return name_of(boot_names, VMHI_ARRAY_SIZE(boot_names), (int)dev);
}

const char *vmhi_disk_format_name(vmhi_disk_format f)
{
    return name_of(format_names, VMHI_ARRAY_SIZE(format_names), (int)f);
}

const char *vmhi_disk_bus_name(vmhi_disk_bus b)
{
    return name_of(bus_names, VMHI_ARRAY_SIZE(bus_names), (int)b);
}

const char *vmhi_nic_model_name(vmhi_nic_model m)
{
    return name_of(model_names, VMHI_ARRAY_SIZE(model_names), (int)m);
}

int vmhi__firmware_from_name(const char *name)
{
    return value_of(firmware_names, VMHI_ARRAY_SIZE(firmware_names), name);
}

int vmhi__boot_dev_from_name(const char *name)
{
    return value_of(boot_names, VMHI_ARRAY_SIZE(boot_names), name);
}

int vmhi__disk_format_from_name(const char *name)
{
    return value_of(format_names, VMHI_ARRAY_SIZE(format_names), name);
}

int vmhi__disk_bus_from_name(const char *name)
{
    return value_of(bus_names, VMHI_ARRAY_SIZE(bus_names), name);
}

int vmhi__nic_model_from_name(const char *name)
{
    return value_of(model_names, VMHI_ARRAY_SIZE(model_names), name);
}
