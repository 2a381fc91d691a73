/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi_vm_config -> XML.  Written by hand rather than through libxml2 so
 * that the output is byte-for-byte stable (the round-trip guarantee) and
 * uses VMHI's allocator (so allocation-failure tests reach it).  The
 * layout is the one spec/vmhi-vm.rng documents.
 */
#include <string.h>

#include "config_xml_internal.h"

/* <tag>text</tag> on its own line. */
static void put_text_element(vmhi__buf *buf, unsigned level, const char *tag, const char *text)
{
    vmhi__buf_indent(buf, level);
    vmhi__buf_printf(buf, "<%s>", tag);
    vmhi__buf_put_xml_escaped(buf, text);
    vmhi__buf_printf(buf, "</%s>\n", tag);
}

/* An empty boot order (the backend's own) is written as no <boot>. */
static void put_boot(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->boot_count == 0)
        return;
    vmhi__buf_puts(buf, "  <boot>\n");
    for (size_t i = 0; i < cfg->boot_count; i++)
        put_text_element(buf, 2, "dev", vmhi_boot_dev_name(cfg->boot[i]));
    vmhi__buf_puts(buf, "  </boot>\n");
}

static void put_kernel(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (!cfg->kernel)
        return;
    vmhi__buf_puts(buf, "  <kernel>\n");
    put_text_element(buf, 2, "path", cfg->kernel);
    if (cfg->initrd)
        put_text_element(buf, 2, "initrd", cfg->initrd);
    if (cfg->cmdline)
        put_text_element(buf, 2, "cmdline", cfg->cmdline);
    vmhi__buf_puts(buf, "  </kernel>\n");
}

static void put_metadata(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->meta_count == 0)
        return;
    vmhi__buf_puts(buf, "  <metadata>\n");
    for (size_t i = 0; i < cfg->meta_count; i++) {
        vmhi__buf_printf(buf, "    <entry key=\"%s\">", cfg->meta[i].key); /* key: no escapes */
        vmhi__buf_put_xml_escaped(buf, cfg->meta[i].value);
        vmhi__buf_puts(buf, "</entry>\n");
    }
    vmhi__buf_puts(buf, "  </metadata>\n");
}

static void put_disk(vmhi__buf *buf, const vmhi_disk *disk)
{
    vmhi__buf_printf(buf, "    <disk id=\"%s\" format=\"%s\" bus=\"%s\"", disk->id,
                     vmhi_disk_format_name(disk->format), vmhi_disk_bus_name(disk->bus));
    if (disk->target[0])
        vmhi__buf_printf(buf, " target=\"%s\"", disk->target);
    vmhi__buf_printf(buf, " readonly=\"%s\" size-mib=\"%llu\">\n", disk->readonly ? "yes" : "no",
                     (unsigned long long)disk->size_mib);
    put_text_element(buf, 3, "path", disk->path);
    vmhi__buf_puts(buf, "    </disk>\n");
}

static void put_nic(vmhi__buf *buf, const vmhi_nic *nic)
{
    vmhi__buf_printf(buf, "    <nic id=\"%s\" model=\"%s\"", nic->id,
                     vmhi_nic_model_name(nic->model));
    if (nic->mac[0])
        vmhi__buf_printf(buf, " mac=\"%s\"", nic->mac);
    vmhi__buf_puts(buf, ">\n");
    put_text_element(buf, 3, "network", nic->network);
    vmhi__buf_puts(buf, "    </nic>\n");
}

static void put_devices(vmhi__buf *buf, const vmhi_vm_config *cfg)
{
    if (cfg->disk_count == 0 && cfg->nic_count == 0) {
        vmhi__buf_puts(buf, "  <devices/>\n");
        return;
    }
    vmhi__buf_puts(buf, "  <devices>\n");
    for (size_t i = 0; i < cfg->disk_count; i++)
        put_disk(buf, cfg->disks[i]);
    for (size_t i = 0; i < cfg->nic_count; i++)
        put_nic(buf, cfg->nics[i]);
    vmhi__buf_puts(buf, "  </devices>\n");
}

int vmhi_vm_config_to_xml(const vmhi_vm_config *cfg, char **xml)
{
    vmhi__error_reset();
    if (!xml)
        return vmhi__error(VMHI_E_INVALID_ARG, "xml is NULL");
    *xml = NULL;
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    int rc = vmhi__config_validate(cfg); /* never write a document we would reject */
    if (rc < 0)
        return rc;
    vmhi__buf buf = { 0 };
    vmhi__buf_puts(&buf, "<vm xmlns=\"" VMHI__XML_NS "\">\n");
    put_text_element(&buf, 1, "name", cfg->name);
    if (cfg->uuid[0])
        put_text_element(&buf, 1, "uuid", cfg->uuid);
    vmhi__buf_printf(&buf, "  <vcpus max=\"%u\">%u</vcpus>\n", cfg->max_vcpus, cfg->vcpus);
    vmhi__buf_printf(&buf, "  <memory max=\"%llu\" unit=\"MiB\">%llu</memory>\n",
                     (unsigned long long)cfg->max_memory_mib,
                     (unsigned long long)cfg->memory_mib);
    if (cfg->guest_type != VMHI_GUEST_DEFAULT)
        put_text_element(&buf, 1, "guest-type", vmhi_guest_type_name(cfg->guest_type));
    put_text_element(&buf, 1, "firmware", vmhi_firmware_name(cfg->firmware));
    put_kernel(&buf, cfg);
    put_boot(&buf, cfg);
    put_devices(&buf, cfg);
    put_metadata(&buf, cfg);
    vmhi__buf_puts(&buf, "</vm>\n");
    return vmhi__buf_finish(&buf, xml);
}
