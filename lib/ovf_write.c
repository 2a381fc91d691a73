/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Writing a VM description as an OVF 2.0 envelope.  What OVF has elements
 * for goes where every OVF reader looks (items, DiskSection,
 * NetworkSection); entries of the org.vmhi.ovf metadata namespace go back
 * into the sections an import took them from; the rest of the model goes
 * into a vmhi:VmhiSection marked not required, so that other readers may
 * skip it and VMHI's own import restores the description exactly.
 */
#include <stdio.h>
#include <string.h>

#include "ovf_internal.h"

#define M VMHI__OVF_META

typedef struct writer {
    vmhi__buf *buf;
    const vmhi_vm_config *cfg;
    bool used[VMHI_METADATA_MAX]; /* metadata entries written as OVF */
    unsigned next_instance;
    const uint64_t *capacity; /* bytes per disk, NULL: unknown */
    bool stream_vmdk;         /* an .ova: images become streamOptimized vmdk */
} writer;

static void elem(vmhi__buf *buf, unsigned indent, const char *name, const char *text)
{
    vmhi__buf_indent(buf, indent);
    vmhi__buf_printf(buf, "<%s>", name);
    vmhi__buf_put_xml_escaped(buf, text);
    vmhi__buf_printf(buf, "</%s>\n", name);
}

/* The value of metadata entry "org.vmhi.ovf:<name>", marking it written. */
static const char *take(writer *w, const char *name)
{
    char key[VMHI_METADATA_KEY_MAX + 1];
    snprintf(key, sizeof(key), M "%s", name);
    for (size_t i = 0; i < w->cfg->meta_count; i++)
        if (strcmp(w->cfg->meta[i].key, key) == 0) {
            w->used[i] = true;
            return w->cfg->meta[i].value;
        }
    return NULL;
}

static const char *disk_file(const vmhi_disk *d)
{
    const char *slash = strrchr(d->path, '/');
    return slash ? slash + 1 : d->path;
}

/* The name of the image in the package: its file name, or in an .ova the
 * file name with a .vmdk extension (vmhi__ovf_member_name). */
static void put_href(writer *w, const vmhi_disk *d)
{
    char name[VMHI__OVF_HREF_MAX];
    if (w->stream_vmdk && vmhi__ovf_member_name(d, name, sizeof(name)))
        vmhi__buf_put_xml_escaped(w->buf, name);
    else
        vmhi__buf_put_xml_escaped(w->buf, disk_file(d));
}

static const char *format_url(vmhi_disk_format f)
{
    switch (f) {
    case VMHI_DISK_FORMAT_VMDK:
        return "http://www.vmware.com/interfaces/specifications/vmdk.html#sparse";
    case VMHI_DISK_FORMAT_QCOW2:
        return "http://www.gnome.org/~markmc/qcow-image-format.html";
    case VMHI_DISK_FORMAT_RAW:
        break;
    }
    return "urn:vmhi:ovf:format:raw";
}

static int check_disk_files(const vmhi_vm_config *cfg)
{
    for (size_t i = 0; i < cfg->disk_count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(disk_file(cfg->disks[i]), disk_file(cfg->disks[j])) == 0)
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "disks %s and %s have the same file name \"%.128s\"; an OVF "
                                   "package holds its files in one directory",
                                   cfg->disks[j]->id, cfg->disks[i]->id,
                                   disk_file(cfg->disks[i]));
    return VMHI_OK;
}

static void write_references(writer *w)
{
    vmhi__buf *b = w->buf;
    vmhi__buf_puts(b, "  <References>\n");
    for (size_t i = 0; i < w->cfg->disk_count; i++) {
        const vmhi_disk *d = w->cfg->disks[i];
        if (d->size_mib)
            continue;
        vmhi__buf_printf(b, "    <File ovf:id=\"file-%s\" ovf:href=\"", d->id);
        put_href(w, d);
        vmhi__buf_puts(b, "\"/>\n");
    }
    vmhi__buf_puts(b, "  </References>\n");
}

static void write_disks(writer *w)
{
    vmhi__buf *b = w->buf;
    if (!w->cfg->disk_count)
        return;
    vmhi__buf_puts(b, "  <DiskSection>\n    <Info>Virtual disks</Info>\n");
    for (size_t i = 0; i < w->cfg->disk_count; i++) {
        const vmhi_disk *d = w->cfg->disks[i];
        const char *url = w->stream_vmdk && !d->size_mib ? VMHI__OVF_STREAM_VMDK_URL
                                                          : format_url(d->format);
        if (d->size_mib || !w->capacity || !w->capacity[i])
            vmhi__buf_printf(b, "    <Disk ovf:diskId=\"%s\" ovf:capacity=\"%llu\" "
                                "ovf:capacityAllocationUnits=\"byte * 2^20\" ovf:format=\"%s\"",
                             d->id, (unsigned long long)d->size_mib, url);
        else /* the image's own size, exact */
            vmhi__buf_printf(b, "    <Disk ovf:diskId=\"%s\" ovf:capacity=\"%llu\" "
                                "ovf:capacityAllocationUnits=\"byte\" ovf:format=\"%s\"",
                             d->id, (unsigned long long)w->capacity[i], url);
        if (d->size_mib) {
            vmhi__buf_puts(b, " vmhi:fileName=\"");
            vmhi__buf_put_xml_escaped(b, disk_file(d));
            vmhi__buf_puts(b, "\"");
        } else {
            vmhi__buf_printf(b, " ovf:fileRef=\"file-%s\"", d->id);
        }
        vmhi__buf_puts(b, "/>\n");
    }
    vmhi__buf_puts(b, "  </DiskSection>\n");
}

static void write_networks(writer *w)
{
    vmhi__buf *b = w->buf;
    if (!w->cfg->nic_count)
        return;
    vmhi__buf_puts(b, "  <NetworkSection>\n    <Info>Networks the NICs connect to</Info>\n");
    for (size_t i = 0; i < w->cfg->nic_count; i++) {
        const char *net = w->cfg->nics[i]->network;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(w->cfg->nics[j]->network, net) == 0;
        if (seen)
            continue;
        vmhi__buf_puts(b, "    <Network ovf:name=\"");
        vmhi__buf_put_xml_escaped(b, net);
        vmhi__buf_puts(b, "\">\n      <Description>");
        vmhi__buf_put_xml_escaped(b, net);
        vmhi__buf_puts(b, "</Description>\n    </Network>\n");
    }
    vmhi__buf_puts(b, "  </NetworkSection>\n");
}

static void write_product(writer *w)
{
    static const char *const fields[] = { "Product", "Vendor", "Version", "FullVersion",
                                          "ProductUrl", "VendorUrl" };
    const vmhi_vm_config *cfg = w->cfg;
    bool any = false;
    for (size_t i = 0; i < cfg->meta_count && !any; i++)
        any = strncmp(cfg->meta[i].key, M "product.", strlen(M "product.")) == 0 ||
              strncmp(cfg->meta[i].key, M "property.", strlen(M "property.")) == 0;
    if (!any)
        return;
    vmhi__buf_puts(w->buf, "    <ProductSection>\n      <Info>Product information</Info>\n");
    for (size_t i = 0; i < VMHI_ARRAY_SIZE(fields); i++) {
        char name[40];
        snprintf(name, sizeof(name), "product.%s", fields[i]);
        const char *v = take(w, name);
        if (v)
            elem(w->buf, 6, fields[i], v);
    }
    for (size_t i = 0; i < cfg->meta_count; i++) {
        const char *k = cfg->meta[i].key;
        if (strncmp(k, M "property.", strlen(M "property.")) != 0)
            continue;
        w->used[i] = true;
        char tkey[VMHI_METADATA_KEY_MAX + 1];
        snprintf(tkey, sizeof(tkey), "property-type.%s", k + strlen(M "property."));
        const char *type = take(w, tkey);
        vmhi__buf_puts(w->buf, "      <Property ovf:key=\"");
        vmhi__buf_put_xml_escaped(w->buf, k + strlen(M "property."));
        vmhi__buf_puts(w->buf, "\" ovf:type=\"");
        vmhi__buf_put_xml_escaped(w->buf, type ? type : "string");
        vmhi__buf_puts(w->buf, "\" ovf:value=\"");
        vmhi__buf_put_xml_escaped(w->buf, cfg->meta[i].value);
        vmhi__buf_puts(w->buf, "\"/>\n");
    }
    vmhi__buf_puts(w->buf, "    </ProductSection>\n");
}

static int write_raw(writer *w, const char *prefix, int indent);

static int write_os(writer *w)
{
    const char *id = take(w, "os-id");
    if (!id)
        return VMHI_OK;
    const char *type = take(w, "os-type"), *desc = take(w, "os-description");
    vmhi__buf_puts(w->buf, "    <OperatingSystemSection ovf:id=\"");
    vmhi__buf_put_xml_escaped(w->buf, id);
    vmhi__buf_puts(w->buf, "\"");
    if (type) {
        vmhi__buf_puts(w->buf, " vmw:osType=\"");
        vmhi__buf_put_xml_escaped(w->buf, type);
        vmhi__buf_puts(w->buf, "\"");
    }
    vmhi__buf_puts(w->buf, ">\n      <Info>The guest operating system</Info>\n");
    if (desc)
        elem(w->buf, 6, "Description", desc);
    int rc = write_raw(w, "os-section", 6); /* vbox:OSType and the like */
    vmhi__buf_puts(w->buf, "    </OperatingSystemSection>\n");
    return rc;
}

/* Starts an Item with the fields every item has, in CIM (alphabetical) order
 * around the caller's. */
static unsigned item_open(writer *w, const char *attrs)
{
    vmhi__buf_printf(w->buf, "      <Item%s>\n", attrs ? attrs : "");
    return ++w->next_instance;
}

static void write_counts(writer *w)
{
    vmhi__buf *b = w->buf;
    unsigned id = item_open(w, NULL);
    vmhi__buf_printf(b, "        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>\n"
                        "        <rasd:Description>Number of virtual CPUs</rasd:Description>\n"
                        "        <rasd:ElementName>%u virtual CPU(s)</rasd:ElementName>\n"
                        "        <rasd:InstanceID>%u</rasd:InstanceID>\n"
                        "        <rasd:ResourceType>3</rasd:ResourceType>\n"
                        "        <rasd:VirtualQuantity>%u</rasd:VirtualQuantity>\n      </Item>\n",
                     w->cfg->vcpus, id, w->cfg->vcpus);
    id = item_open(w, NULL);
    vmhi__buf_printf(b, "        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>\n"
                        "        <rasd:Description>Memory size</rasd:Description>\n"
                        "        <rasd:ElementName>%llu MB of memory</rasd:ElementName>\n"
                        "        <rasd:InstanceID>%u</rasd:InstanceID>\n"
                        "        <rasd:ResourceType>4</rasd:ResourceType>\n"
                        "        <rasd:VirtualQuantity>%llu</rasd:VirtualQuantity>\n      </Item>\n",
                     (unsigned long long)w->cfg->memory_mib, id,
                     (unsigned long long)w->cfg->memory_mib);
}

static const struct {
    vmhi_disk_bus bus;
    unsigned type;
    const char *subtype;
    const char *label;
} controllers[] = {
    { VMHI_DISK_BUS_IDE, 5, "PIIX4", "IDE controller" },
    { VMHI_DISK_BUS_SCSI, 6, "lsilogic", "SCSI controller" },
    { VMHI_DISK_BUS_PVSCSI, 6, "VirtualSCSI", "Paravirtual SCSI controller" },
    { VMHI_DISK_BUS_SATA, 20, "AHCI", "SATA controller" },
};

static void write_disk_item(writer *w, const vmhi_disk *d, unsigned parent, unsigned address)
{
    vmhi__buf *b = w->buf;
    char attrs[128] = "";
    size_t n = 0;
    if (!parent && d->bus != VMHI_DISK_BUS_DEFAULT)
        n += (size_t)snprintf(attrs + n, sizeof(attrs) - n, " vmhi:bus=\"%s\"",
                              vmhi_disk_bus_name(d->bus));
    if (d->readonly)
        n += (size_t)snprintf(attrs + n, sizeof(attrs) - n, " vmhi:readonly=\"true\"");
    if (d->target[0])
        snprintf(attrs + n, sizeof(attrs) - n, " vmhi:target=\"%s\"", d->target);
    unsigned id = item_open(w, attrs);
    if (parent)
        vmhi__buf_printf(b, "        <rasd:AddressOnParent>%u</rasd:AddressOnParent>\n", address);
    vmhi__buf_printf(b, "        <rasd:ElementName>%s</rasd:ElementName>\n"
                        "        <rasd:HostResource>ovf:/disk/%s</rasd:HostResource>\n"
                        "        <rasd:InstanceID>%u</rasd:InstanceID>\n",
                     d->id, d->id, id);
    if (parent)
        vmhi__buf_printf(b, "        <rasd:Parent>%u</rasd:Parent>\n", parent);
    vmhi__buf_puts(b, "        <rasd:ResourceType>17</rasd:ResourceType>\n      </Item>\n");
}

/* Controllers first, then the disks in the config's order (the first disk
 * is the one "disk" boots), each on its bus's controller. */
static void write_storage(writer *w)
{
    const vmhi_vm_config *cfg = w->cfg;
    unsigned ctl[VMHI_ARRAY_SIZE(controllers)] = { 0 }, address[VMHI_ARRAY_SIZE(controllers)] = { 0 };
    for (size_t c = 0; c < VMHI_ARRAY_SIZE(controllers); c++) {
        for (size_t i = 0; i < cfg->disk_count && !ctl[c]; i++) {
            if (cfg->disks[i]->bus != controllers[c].bus)
                continue;
            ctl[c] = item_open(w, NULL);
            vmhi__buf_printf(w->buf, "        <rasd:ElementName>%s</rasd:ElementName>\n"
                                     "        <rasd:InstanceID>%u</rasd:InstanceID>\n"
                                     "        <rasd:ResourceSubType>%s</rasd:ResourceSubType>\n"
                                     "        <rasd:ResourceType>%u</rasd:ResourceType>\n"
                                     "      </Item>\n",
                             controllers[c].label, ctl[c], controllers[c].subtype,
                             controllers[c].type);
        }
    }
    for (size_t i = 0; i < cfg->disk_count; i++) {
        size_t c = 0;
        while (c < VMHI_ARRAY_SIZE(controllers) && controllers[c].bus != cfg->disks[i]->bus)
            c++;
        if (c == VMHI_ARRAY_SIZE(controllers))
            write_disk_item(w, cfg->disks[i], 0, 0);
        else
            write_disk_item(w, cfg->disks[i], ctl[c], address[c]++);
    }
}

static const char *nic_subtype(vmhi_nic_model m)
{
    switch (m) {
    case VMHI_NIC_MODEL_E1000: return "E1000";
    case VMHI_NIC_MODEL_VMXNET3: return "VmxNet3";
    case VMHI_NIC_MODEL_VIRTIO: return "virtio";
    case VMHI_NIC_MODEL_RTL8139: return "RTL8139";
    case VMHI_NIC_MODEL_XEN: return "netfront";
    case VMHI_NIC_MODEL_DEFAULT: break;
    }
    return NULL;
}

static void write_nics(writer *w)
{
    vmhi__buf *b = w->buf;
    for (size_t i = 0; i < w->cfg->nic_count; i++) {
        const vmhi_nic *nic = w->cfg->nics[i];
        unsigned id = item_open(w, NULL);
        if (nic->mac[0])
            vmhi__buf_printf(b, "        <rasd:Address>%s</rasd:Address>\n", nic->mac);
        vmhi__buf_puts(b, "        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>\n"
                          "        <rasd:Connection>");
        vmhi__buf_put_xml_escaped(b, nic->network);
        vmhi__buf_printf(b, "</rasd:Connection>\n"
                            "        <rasd:ElementName>%s</rasd:ElementName>\n"
                            "        <rasd:InstanceID>%u</rasd:InstanceID>\n",
                         nic->id, id);
        const char *sub = nic_subtype(nic->model);
        if (sub)
            vmhi__buf_printf(b, "        <rasd:ResourceSubType>%s</rasd:ResourceSubType>\n", sub);
        vmhi__buf_puts(b, "        <rasd:ResourceType>10</rasd:ResourceType>\n      </Item>\n");
    }
}

static void write_vmw_config(writer *w)
{
    const vmhi_vm_config *cfg = w->cfg;
    if (cfg->firmware == VMHI_FIRMWARE_UEFI)
        vmhi__buf_puts(w->buf, "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" "
                               "vmw:value=\"efi\"/>\n");
    for (size_t i = 0; i < cfg->meta_count; i++) {
        const char *k = cfg->meta[i].key;
        bool extra = strncmp(k, M "vmw-extra.", strlen(M "vmw-extra.")) == 0;
        if (!extra && strncmp(k, M "vmw.", strlen(M "vmw.")) != 0)
            continue;
        w->used[i] = true;
        vmhi__buf_printf(w->buf, "      <vmw:%s ovf:required=\"false\" vmw:key=\"",
                         extra ? "ExtraConfig" : "Config");
        vmhi__buf_put_xml_escaped(w->buf, k + strlen(extra ? M "vmw-extra." : M "vmw."));
        vmhi__buf_puts(w->buf, "\" vmw:value=\"");
        vmhi__buf_put_xml_escaped(w->buf, cfg->meta[i].value);
        vmhi__buf_puts(w->buf, "\"/>\n");
    }
}

static void write_hardware(writer *w)
{
    const char *type = take(w, "system-type");
    vmhi__buf_puts(w->buf, "    <VirtualHardwareSection>\n"
                           "      <Info>Virtual hardware requirements</Info>\n");
    if (type) {
        vmhi__buf_puts(w->buf, "      <System>\n"
                               "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
                               "        <vssd:InstanceID>0</vssd:InstanceID>\n");
        elem(w->buf, 8, "vssd:VirtualSystemType", type);
        vmhi__buf_puts(w->buf, "      </System>\n");
    }
    w->next_instance = 0;
    write_counts(w);
    write_storage(w);
    write_nics(w);
    write_vmw_config(w);
    vmhi__buf_puts(w->buf, "    </VirtualHardwareSection>\n");
}

/* Elements an import kept whole ("<prefix>.<n>.<part>": vendor sections,
 * vendor children of OperatingSystemSection), checked to be well-formed
 * XML before they are written at @indent: they are metadata, which anyone
 * may have set. */
static int write_raw(writer *w, const char *prefix, int indent)
{
    for (unsigned n = 0; n < VMHI_METADATA_MAX; n++) {
        vmhi__buf text = { 0 };
        for (size_t part = 0;; part++) {
            char name[48];
            snprintf(name, sizeof(name), "%s.%u.%zu", prefix, n, part);
            const char *v = take(w, name);
            if (!v)
                break;
            vmhi__buf_puts(&text, v);
        }
        if (!text.len) {
            vmhi__buf_discard(&text);
            continue; /* numbering may have gaps after edits: keep looking */
        }
        int rc = text.failed ? vmhi__error_oom() : VMHI_OK;
        xmlDoc *doc = NULL;
        if (rc == 0) {
            doc = xmlReadMemory(text.data, (int)text.len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
            if (!doc || doc->intSubset || !xmlDocGetRootElement(doc))
                rc = vmhi__error(VMHI_E_INVALID_ARG, "metadata " M "%s.%u.* is not one "
                                                     "well-formed XML element without a DOCTYPE",
                                 prefix, n);
        }
        xmlFreeDoc(doc);
        if (rc == 0) {
            vmhi__buf_printf(w->buf, "%*s", indent, "");
            vmhi__buf_append(w->buf, text.data, text.len);
            vmhi__buf_puts(w->buf, "\n");
        }
        vmhi__buf_discard(&text);
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

static void write_vmhi_section(writer *w)
{
    const vmhi_vm_config *cfg = w->cfg;
    vmhi__buf *b = w->buf;
    vmhi__buf_puts(b, "    <vmhi:VmhiSection ovf:required=\"false\">\n"
                      "      <Info>VMHI settings OVF has no element for</Info>\n");
    if (cfg->uuid[0])
        elem(b, 6, "vmhi:Uuid", cfg->uuid);
    if (cfg->max_vcpus_set)
        vmhi__buf_printf(b, "      <vmhi:MaxVcpus>%u</vmhi:MaxVcpus>\n", cfg->max_vcpus);
    if (cfg->max_memory_set)
        vmhi__buf_printf(b, "      <vmhi:MaxMemoryMib>%llu</vmhi:MaxMemoryMib>\n",
                         (unsigned long long)cfg->max_memory_mib);
    if (cfg->guest_type != VMHI_GUEST_DEFAULT)
        elem(b, 6, "vmhi:GuestType", vmhi_guest_type_name(cfg->guest_type));
    if (cfg->kernel)
        elem(b, 6, "vmhi:Kernel", cfg->kernel);
    if (cfg->initrd)
        elem(b, 6, "vmhi:Initrd", cfg->initrd);
    if (cfg->cmdline)
        elem(b, 6, "vmhi:Cmdline", cfg->cmdline);
    for (size_t i = 0; i < cfg->boot_count; i++)
        elem(b, 6, "vmhi:Boot", vmhi_boot_dev_name(cfg->boot[i]));
    for (size_t i = 0; i < cfg->meta_count; i++) {
        if (w->used[i])
            continue;
        vmhi__buf_puts(b, "      <vmhi:Metadata key=\"");
        vmhi__buf_put_xml_escaped(b, cfg->meta[i].key);
        vmhi__buf_puts(b, "\">");
        vmhi__buf_put_xml_escaped(b, cfg->meta[i].value);
        vmhi__buf_puts(b, "</vmhi:Metadata>\n");
    }
    vmhi__buf_puts(b, "    </vmhi:VmhiSection>\n");
}

static int write_system(writer *w)
{
    vmhi__buf *b = w->buf;
    vmhi__buf_puts(b, "  <VirtualSystem ovf:id=\"");
    vmhi__buf_put_xml_escaped(b, w->cfg->name);
    vmhi__buf_puts(b, "\">\n    <Info>A virtual machine</Info>\n");
    elem(b, 4, "Name", w->cfg->name);
    const char *annotation = take(w, "annotation");
    if (annotation) {
        vmhi__buf_puts(b, "    <AnnotationSection>\n      <Info>A description</Info>\n");
        elem(b, 6, "Annotation", annotation);
        vmhi__buf_puts(b, "    </AnnotationSection>\n");
    }
    write_product(w);
    int rc = write_os(w);
    write_hardware(w);
    if (rc == 0)
        rc = write_raw(w, "section", 4);
    if (rc == 0)
        write_vmhi_section(w);
    vmhi__buf_puts(b, "  </VirtualSystem>\n");
    return rc;
}

int vmhi__ovf_write(const vmhi_vm_config *cfg, vmhi__buf *buf, const uint64_t *capacity,
                    bool stream_vmdk)
{
    int rc = vmhi__config_validate(cfg);
    if (rc == 0)
        rc = check_disk_files(cfg);
    if (rc)
        return rc;
    writer w = { .buf = buf, .cfg = cfg, .capacity = capacity, .stream_vmdk = stream_vmdk };
    vmhi__buf_puts(buf,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<Envelope xmlns=\"" VMHI__OVF_NS2 "\" xmlns:ovf=\"" VMHI__OVF_NS2 "\"\n"
                   "          xmlns:rasd=\"" VMHI__OVF_RASD_NS "\"\n"
                   "          xmlns:vssd=\"" VMHI__OVF_VSSD_NS "\"\n"
                   "          xmlns:vmw=\"" VMHI__OVF_VMW_NS "\"\n"
                   "          xmlns:vmhi=\"" VMHI__OVF_VMHI_NS "\" ovf:version=\"2.0\">\n");
    write_references(&w);
    write_disks(&w);
    write_networks(&w);
    rc = write_system(&w);
    vmhi__buf_puts(buf, "</Envelope>\n");
    return rc;
}

int vmhi_ovf_export(const vmhi_vm_config *cfg, char **xml)
{
    vmhi__error_reset();
    if (!xml)
        return vmhi__error(VMHI_E_INVALID_ARG, "xml is NULL");
    *xml = NULL;
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    vmhi__buf buf = { 0 };
    uint64_t capacity[VMHI__DISKS_MAX] = { 0 };
    int rc = cfg->disk_count <= VMHI__DISKS_MAX ? vmhi__ovf_capacities(cfg, capacity) : VMHI_OK;
    if (rc == 0)
        rc = vmhi__ovf_write(cfg, &buf, capacity, false);
    if (rc) {
        vmhi__buf_discard(&buf);
        return rc;
    }
    return vmhi__buf_finish(&buf, xml);
}
