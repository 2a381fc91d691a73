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

int vmhi__check_host_path(const char *what, const char *path)
{
    if (!path)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s is NULL", what);
    int rc = check_text(what, path, VMHI__PATH_MAX);
    if (rc < 0)
        return rc;
    if (path[0] != '/')
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "%s \"%.64s\" is not absolute (must start with '/')", what, path);
    return VMHI_OK;
}

int vmhi__check_disk_path(const char *path)
{
    return vmhi__check_host_path("disk path", path);
}

int vmhi__check_cmdline(const char *cmdline)
{
    if (!cmdline)
        return vmhi__error(VMHI_E_INVALID_ARG, "kernel command line is NULL");
    if (!*cmdline)
        return VMHI_OK; /* an empty command line is a command line */
    return check_text("kernel command line", cmdline, VMHI__CMDLINE_MAX);
}

int vmhi__check_target(const char *target)
{
    size_t len = target ? strlen(target) : 0;
    if (len == 0 || len > VMHI__TARGET_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "disk target must be 1-%d characters, got %zu",
                           VMHI__TARGET_MAX, len);
    for (size_t i = 0; i < len; i++) {
        char c = target[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "disk target \"%.32s\": only a-z and 0-9 are allowed", target);
    }
    return VMHI_OK;
}

/* ---- metadata keys and values ---------------------------------------- */

static bool ns_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* "label(.label)*" of lower-case letters, digits and '-', each label
 * starting with a letter or digit. */
static bool namespace_valid(const char *ns, size_t len)
{
    bool label_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = ns[i];
        if (c == '.') {
            if (label_start)
                return false;
            label_start = true;
        } else if (!ns_char(c) || (label_start && c == '-')) {
            return false;
        } else {
            label_start = false;
        }
    }
    return len > 0 && !label_start;
}

int vmhi__check_metadata_key(const char *key)
{
    if (!key)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata key is NULL");
    size_t len = strlen(key);
    const char *colon = strchr(key, ':');
    if (len > VMHI_METADATA_KEY_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata key is %zu bytes; at most %d allowed",
                           len, VMHI_METADATA_KEY_MAX);
    if (!colon || !namespace_valid(key, (size_t)(colon - key)))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "metadata key \"%.64s\" must be <namespace>:<name> with a lower-case "
                           "dotted namespace such as \"com.example\" or \"x-acme\"",
                           key);
    size_t name_len = strlen(colon + 1);
    if (name_len == 0 || name_len > 64)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata key \"%.64s\": the name after ':' "
                           "must be 1-64 characters", key);
    for (const char *c = colon + 1; *c; c++)
        if (!name_char(*c))
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "metadata key \"%.64s\": the name may hold only A-Z, a-z, 0-9, "
                               "'.', '_' and '-'",
                               key);
    return VMHI_OK;
}

int vmhi__check_metadata_value(const char *value)
{
    if (!value)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata value is NULL");
    size_t len = strlen(value);
    if (len > VMHI_METADATA_VALUE_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata value is %zu bytes; at most %d allowed",
                           len, VMHI_METADATA_VALUE_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "metadata value must not contain control characters other than "
                               "tab and newline (0x%02x at byte %zu)",
                               c, i);
    }
    if (!vmhi__utf8_valid(value, len))
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata value is not valid UTF-8 text");
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
    if (count > VMHI_BOOT_ORDER_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "boot order must have 0-%d entries, got %zu",
                           VMHI_BOOT_ORDER_MAX, count);
    for (size_t i = 0; i < count; i++) {
        if (!vmhi_boot_dev_name(order[i]))
            return vmhi__error(VMHI_E_INVALID_ARG, "boot order entry %zu: unknown device %d", i,
                               (int)order[i]);
        for (size_t j = 0; j < i; j++)
            if (order[j] == order[i])
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "boot order entry %zu: \"%s\" is already entry %zu", i,
                                   vmhi_boot_dev_name(order[i]), j);
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

/* An explicit boot order names devices the VM has (CFG-9). */
static int validate_boot_devices(const vmhi_vm_config *cfg)
{
    for (size_t i = 0; i < cfg->boot_count; i++) {
        if (cfg->boot[i] == VMHI_BOOT_DISK && cfg->disk_count == 0)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "boot: \"disk\" is in the boot order but the VM has no disk");
        if (cfg->boot[i] == VMHI_BOOT_NETWORK && cfg->nic_count == 0)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "boot: \"network\" is in the boot order but the VM has no NIC");
    }
    return VMHI_OK;
}

/* Direct kernel boot and the guest type (CFG-7). */
static int validate_direct_boot(const vmhi_vm_config *cfg)
{
    if (!cfg->kernel && cfg->initrd)
        return vmhi__error(VMHI_E_INVALID_ARG, "kernel: an initrd is set but no kernel");
    if (!cfg->kernel && cfg->cmdline)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "kernel: a kernel command line is set but no kernel");
    if (cfg->guest_type == VMHI_GUEST_PV && !cfg->kernel)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "guest-type: a PV guest boots by direct kernel boot; set a kernel");
    if ((cfg->guest_type == VMHI_GUEST_PV || cfg->guest_type == VMHI_GUEST_PVH) &&
        cfg->firmware == VMHI_FIRMWARE_UEFI)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "firmware: a %s guest has no UEFI firmware; use bios",
                           vmhi_guest_type_name(cfg->guest_type));
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
    if (rc == 0)
        rc = validate_boot_devices(cfg);
    if (rc == 0)
        rc = validate_direct_boot(cfg);
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

/* ---- names: the reader's shape over names.c ------------------------- */

/* Each wraps a public _from_name(); -1 for an unknown name. */
#define FROM_NAME(internal, type, public_fn)                  \
    int internal(const char *name)                            \
    {                                                         \
        type value;                                           \
        return public_fn(name, &value) == VMHI_OK ? (int)value : -1; \
    }

FROM_NAME(vmhi__firmware_from_name, vmhi_firmware, vmhi_firmware_from_name)
FROM_NAME(vmhi__guest_type_from_name, vmhi_guest_type, vmhi_guest_type_from_name)
FROM_NAME(vmhi__boot_dev_from_name, vmhi_boot_dev, vmhi_boot_dev_from_name)
FROM_NAME(vmhi__disk_format_from_name, vmhi_disk_format, vmhi_disk_format_from_name)
FROM_NAME(vmhi__disk_bus_from_name, vmhi_disk_bus, vmhi_disk_bus_from_name)
FROM_NAME(vmhi__nic_model_from_name, vmhi_nic_model, vmhi_nic_model_from_name)
