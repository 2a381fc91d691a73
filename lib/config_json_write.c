/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi_vm_config -> JSON.  Written by hand, like the XML form, for a fixed
 * member order and layout (two-space indent, one member per line) and so
 * that VMHI's allocator is the only one involved.
 */
#include <string.h>

#include "config_internal.h"

/* Writes @s as a JSON string.  Only '"', '\' and control characters need
 * escaping; the setters already reject control characters. */
static void put_string(vmhi__buf *buf, const char *s)
{
    vmhi__buf_puts(buf, "\"");
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '\0' && c != '"' && c != '\\' && c >= 0x20)
            continue;
        vmhi__buf_append(buf, run, (size_t)(s - run));
        if (c == '\0')
            break;
        if (c == '"' || c == '\\')
            vmhi__buf_printf(buf, "\\%c", c);
        else
            vmhi__buf_printf(buf, "\\u%04x", c);
        run = s + 1;
    }
    vmhi__buf_puts(buf, "\"");
}

/* "name": "value" as a member line; @last omits the comma. */
static void put_string_member(vmhi__buf *buf, unsigned level, const char *name,
                              const char *value, bool last)
{
    vmhi__buf_indent(buf, level);
    vmhi__buf_printf(buf, "\"%s\": ", name);
    put_string(buf, value);
    vmhi__buf_puts(buf, last ? "\n" : ",\n");
}

static void put_number_member(vmhi__buf *buf, unsigned level, const char *name, uint64_t value,
                              bool last)
{
    vmhi__buf_indent(buf, level);
    vmhi__buf_printf(buf, "\"%s\": %llu%s\n", name, (unsigned long long)value, last ? "" : ",");
}

static void put_current_max(vmhi__buf *buf, const char *name, uint64_t current, uint64_t max)
{
    vmhi__buf_printf(buf, "  \"%s\": {\n", name);
    put_number_member(buf, 2, "current", current, false);
    put_number_member(buf, 2, "max", max, true);
    vmhi__buf_puts(buf, "  },\n");
}

/* An empty boot order (the backend's own) is left out. */
static void put_boot(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->boot_count == 0)
        return;
    vmhi__buf_puts(buf, "  \"boot\": [\n");
    for (size_t i = 0; i < cfg->boot_count; i++) {
        vmhi__buf_indent(buf, 2);
        put_string(buf, vmhi_boot_dev_name(cfg->boot[i]));
        vmhi__buf_puts(buf, i + 1 < cfg->boot_count ? ",\n" : "\n");
    }
    vmhi__buf_puts(buf, "  ],\n");
}

static void put_disk(vmhi__buf *buf, const vmhi_disk *disk, bool last)
{
    vmhi__buf_puts(buf, "    {\n");
    put_string_member(buf, 3, "id", disk->id, false);
    put_string_member(buf, 3, "path", disk->path, false);
    put_string_member(buf, 3, "format", vmhi_disk_format_name(disk->format), false);
    put_string_member(buf, 3, "bus", vmhi_disk_bus_name(disk->bus), false);
    if (disk->target[0])
        put_string_member(buf, 3, "target", disk->target, false);
    vmhi__buf_printf(buf, "      \"readonly\": %s,\n", disk->readonly ? "true" : "false");
    put_number_member(buf, 3, "size_mib", disk->size_mib, true);
    vmhi__buf_puts(buf, last ? "    }\n" : "    },\n");
}

static void put_nic(vmhi__buf *buf, const vmhi_nic *nic, bool last)
{
    vmhi__buf_puts(buf, "    {\n");
    put_string_member(buf, 3, "id", nic->id, false);
    put_string_member(buf, 3, "model", vmhi_nic_model_name(nic->model), false);
    if (nic->mac[0])
        put_string_member(buf, 3, "mac", nic->mac, false);
    put_string_member(buf, 3, "network", nic->network, true);
    vmhi__buf_puts(buf, last ? "    }\n" : "    },\n");
}

static void put_devices(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->disk_count == 0) {
        vmhi__buf_puts(buf, "  \"disks\": [],\n");
    } else {
        vmhi__buf_puts(buf, "  \"disks\": [\n");
        for (size_t i = 0; i < cfg->disk_count; i++)
            put_disk(buf, cfg->disks[i], i + 1 == cfg->disk_count);
        vmhi__buf_puts(buf, "  ],\n");
    }
    const char *end = cfg->meta_count ? ",\n" : "\n"; /* metadata follows */
    if (cfg->nic_count == 0) {
        vmhi__buf_printf(buf, "  \"nics\": []%s", end);
    } else {
        vmhi__buf_puts(buf, "  \"nics\": [\n");
        for (size_t i = 0; i < cfg->nic_count; i++)
            put_nic(buf, cfg->nics[i], i + 1 == cfg->nic_count);
        vmhi__buf_printf(buf, "  ]%s", end);
    }
}

static void put_kernel(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (!cfg->kernel)
        return;
    vmhi__buf_puts(buf, "  \"kernel\": {\n");
    put_string_member(buf, 2, "path", cfg->kernel, !cfg->initrd && !cfg->cmdline);
    if (cfg->initrd)
        put_string_member(buf, 2, "initrd", cfg->initrd, !cfg->cmdline);
    if (cfg->cmdline)
        put_string_member(buf, 2, "cmdline", cfg->cmdline, true);
    vmhi__buf_puts(buf, "  },\n");
}

static void put_metadata(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->meta_count == 0)
        return;
    vmhi__buf_puts(buf, "  \"metadata\": {\n");
    for (size_t i = 0; i < cfg->meta_count; i++)
        put_string_member(buf, 2, cfg->meta[i].key, cfg->meta[i].value,
                          i + 1 == cfg->meta_count);
    vmhi__buf_puts(buf, "  }\n");
}

int vmhi_vm_config_to_json(const vmhi_vm_config *cfg, char **json)
{
    vmhi__error_reset();
    if (!json)
        return vmhi__error(VMHI_E_INVALID_ARG, "json is NULL");
    *json = NULL;
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    int rc = vmhi__config_validate(cfg); /* never write a document we would reject */
    if (rc < 0)
        return rc;
    vmhi__buf buf = { 0 };
    vmhi__buf_puts(&buf, "{\n  \"vmhi\": 1,\n");
    put_string_member(&buf, 1, "name", cfg->name, false);
    if (cfg->uuid[0])
        put_string_member(&buf, 1, "uuid", cfg->uuid, false);
    put_current_max(&buf, "vcpus", cfg->vcpus, cfg->max_vcpus);
    put_current_max(&buf, "memory_mib", cfg->memory_mib, cfg->max_memory_mib);
    if (cfg->guest_type != VMHI_GUEST_DEFAULT)
        put_string_member(&buf, 1, "guest_type", vmhi_guest_type_name(cfg->guest_type), false);
    put_string_member(&buf, 1, "firmware", vmhi_firmware_name(cfg->firmware), false);
    put_kernel(&buf, cfg);
    put_boot(&buf, cfg);
    put_devices(&buf, cfg);
    put_metadata(&buf, cfg);
    vmhi__buf_puts(&buf, "}\n");
    return vmhi__buf_finish(&buf, json);
}
