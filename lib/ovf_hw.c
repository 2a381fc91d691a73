/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VirtualHardwareSection: items by CIM ResourceType (DSP0243 annex, the
 * CIM_ResourceAllocationSettingData values exporters write).  Processor and
 * memory set the VM's counts; IDE, SCSI and SATA controllers give the bus
 * of the disks whose Parent they are; a disk's HostResource names a Disk
 * of the DiskSection (or, in OVF 1.0 style, a File); Ethernet items become
 * NICs on a network of the NetworkSection.  Every other item is a report
 * line.  Items are read in two passes so that a disk may come before its
 * controller.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ovf_internal.h"

#define ITEMS_MAX 512

enum {
    RT_OTHER = 1,
    RT_PROCESSOR = 3,
    RT_MEMORY = 4,
    RT_IDE = 5,
    RT_SCSI = 6,
    RT_ETHERNET = 10,
    RT_FLOPPY = 14,
    RT_CD = 15,
    RT_DVD = 16,
    RT_DISK = 17,
    RT_SATA = 20,
    RT_USB = 23,
    RT_GRAPHICS = 24,
    RT_SOUND = 35
};

typedef struct item {
    const xmlNode *node;
    char *instance;
    char *subtype;
    unsigned type;
    bool used; /* a disk hangs off this controller */
} item;

typedef struct hw {
    vmhi__ovf_ctx *ctx;
    vmhi_vm_config *cfg;
    item items[ITEMS_MAX];
    size_t count;
    bool processor_seen;
    bool memory_seen;
} hw;

static const char *type_name(unsigned t)
{
    switch (t) {
    case RT_OTHER: return "Other";
    case RT_FLOPPY: return "floppy drive";
    case RT_CD: return "CD drive";
    case RT_DVD: return "DVD drive";
    case RT_USB: return "USB controller";
    case RT_GRAPHICS: return "graphics controller";
    case RT_SOUND: return "sound card";
    case 2: return "computer system";
    case 11: return "other network adapter";
    case 12: return "I/O slot";
    case 13: return "I/O device";
    case 19: return "storage extent";
    case 21: return "serial port";
    case 22: return "parallel port";
    case 25: return "IEEE 1394 controller";
    case 26: return "partitionable unit";
    case 27: return "base partitionable unit";
    case 31: return "logical disk";
    }
    return "unknown resource type";
}

static int quantity(const item *it, uint64_t *v)
{
    char *q = vmhi__ovf_child_text(it->node, "VirtualQuantity");
    bool ok = vmhi__ovf_parse_u64(q, v);
    xmlFree(q);
    return ok ? VMHI_OK
              : vmhi__ovf_fail(it->node, "item %.64s: VirtualQuantity is missing or not a "
                                         "number that fits in 64 bits", it->instance);
}

static int read_processor(hw *h, const item *it)
{
    uint64_t n;
    int rc = quantity(it, &n);
    if (rc)
        return rc;
    if (n == 0 || n > 4096)
        return vmhi__ovf_fail(it->node, "item %.64s: %llu processors is out of range (1-4096)",
                              it->instance, (unsigned long long)n);
    if (h->processor_seen)
        return vmhi__ovf_fail(it->node, "a second processor item (%.64s)", it->instance);
    h->processor_seen = true;
    return vmhi_vm_config_set_vcpus(h->cfg, (unsigned)n);
}

static int read_memory(hw *h, const item *it)
{
    uint64_t n, unit = 1u << 20, mib;
    bool exact;
    int rc = quantity(it, &n);
    if (rc)
        return rc;
    char *units = vmhi__ovf_child_text(it->node, "AllocationUnits");
    bool ok = !units || vmhi__ovf_unit_bytes(units, &unit);
    if (!ok) {
        rc = vmhi__ovf_fail(it->node, "item %.64s: AllocationUnits \"%.64s\" is not a unit "
                                      "VMHI knows, or too large", it->instance, units);
        xmlFree(units);
        return rc;
    }
    xmlFree(units);
    if (!vmhi__ovf_to_mib(n, unit, &mib, &exact))
        return vmhi__ovf_fail(it->node, "item %.64s: %llu memory units overflow 64 bits",
                              it->instance, (unsigned long long)n);
    if (mib == 0 || mib > ((uint64_t)1 << 40))
        return vmhi__ovf_fail(it->node, "item %.64s: memory of %llu MiB is out of range",
                              it->instance, (unsigned long long)mib);
    if (h->memory_seen)
        return vmhi__ovf_fail(it->node, "a second memory item (%.64s)", it->instance);
    h->memory_seen = true;
    if (!exact && (rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_CONVERTED, it->node,
                                       "memory rounded up to %llu MiB",
                                       (unsigned long long)mib)))
        return rc;
    return vmhi_vm_config_set_memory_mib(h->cfg, mib);
}

static const item *find_item(const hw *h, const char *instance)
{
    for (size_t i = 0; i < h->count; i++)
        if (strcmp(h->items[i].instance, instance) == 0)
            return &h->items[i];
    return NULL;
}

/* The bus of a disk: its controller's, or vmhi:bus on a disk without one. */
static int disk_bus(hw *h, const item *it, vmhi_disk_bus *bus)
{
    char *parent = vmhi__ovf_child_text(it->node, "Parent");
    int rc = VMHI_OK;
    *bus = VMHI_DISK_BUS_DEFAULT;
    if (!parent) {
        char *b = vmhi__ovf_ns_attr(it->node, VMHI__OVF_VMHI_NS, "bus");
        if (b && vmhi_disk_bus_from_name(b, bus) < 0)
            rc = vmhi__ovf_fail(it->node, "vmhi:bus \"%.32s\" is not a disk bus", b);
        xmlFree(b);
        return rc;
    }
    item *p = (item *)find_item(h, parent);
    if (!p)
        rc = vmhi__ovf_fail(it->node, "item %.64s: Parent \"%.64s\" names no item", it->instance,
                            parent);
    else if (p->type == RT_IDE)
        *bus = VMHI_DISK_BUS_IDE;
    else if (p->type == RT_SATA)
        *bus = VMHI_DISK_BUS_SATA;
    else if (p->type == RT_SCSI) {
        if (!p->used && p->subtype && strcasecmp(p->subtype, "lsilogic") != 0 &&
            strcasecmp(p->subtype, "virtio-scsi") != 0 &&
            strcasecmp(p->subtype, "VirtualSCSI") != 0 && strcasecmp(p->subtype, "pvscsi") != 0)
            rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_CONVERTED, p->node,
                                "SCSI controller model %.32s is not modelled; its disks are on "
                                "the SCSI bus", p->subtype);
        *bus = p->subtype && (strcasecmp(p->subtype, "VirtualSCSI") == 0 ||
                              strcasecmp(p->subtype, "pvscsi") == 0)
                   ? VMHI_DISK_BUS_PVSCSI
                   : VMHI_DISK_BUS_SCSI;
    } else
        rc = vmhi__ovf_fail(it->node, "item %.64s: Parent \"%.64s\" is not a disk controller "
                                      "(ResourceType %u)", it->instance, parent, p->type);
    if (p)
        p->used = true;
    xmlFree(parent);
    return rc;
}

/* "ovf:/disk/ID" -> the Disk element; "ovf:/file/ID" -> the File. */
static const xmlNode *resolve(const hw *h, const char *res, bool *is_file)
{
    const char *id = NULL;
    *is_file = false;
    if (strncmp(res, "ovf:/disk/", 10) == 0)
        id = res + 10;
    else if (strncmp(res, "/disk/", 6) == 0)
        id = res + 6;
    else if (strncmp(res, "ovf:/file/", 10) == 0) {
        id = res + 10;
        *is_file = true;
    }
    if (!id)
        return NULL;
    const xmlNode *sec = *is_file ? h->ctx->references : h->ctx->disks;
    for (const xmlNode *d = sec ? sec->children : NULL; d; d = d->next) {
        if (!vmhi__ovf_is(d, *is_file ? "File" : "Disk"))
            continue;
        char *did = vmhi__ovf_attr(d, *is_file ? "id" : "diskId");
        bool match = did && strcmp(did, id) == 0;
        xmlFree(did);
        if (match)
            return d;
    }
    return NULL;
}

static vmhi_disk_format format_of(const char *format_url, const char *href, bool *known)
{
    *known = true;
    if ((format_url && strstr(format_url, "vmdk")) || (href && strstr(href, ".vmdk")))
        return VMHI_DISK_FORMAT_VMDK;
    if ((format_url && strstr(format_url, "qcow")) || (href && strstr(href, ".qcow2")))
        return VMHI_DISK_FORMAT_QCOW2;
    if (!href || (format_url && strstr(format_url, "raw")) || strstr(href, ".img") ||
        strstr(href, ".raw"))
        return VMHI_DISK_FORMAT_RAW;
    *known = false;
    return VMHI_DISK_FORMAT_RAW;
}

static int disk_path(hw *h, const item *it, const char *href, const char *disk_id,
                     vmhi_disk *disk)
{
    if (!h->ctx->disk_dir)
        return vmhi__error(VMHI_E_INVALID_ARG, "OVF line %u: the envelope names a disk but no "
                                               "disk directory was given (disk_dir)",
                           vmhi__ovf_line_of(it->node));
    char *path;
    if (href)
        path = vmhi__asprintf("%s/%s", h->ctx->disk_dir, href);
    else
        path = vmhi__asprintf("%s/%s-%s.img", h->ctx->disk_dir,
                              vmhi_vm_config_get_name(h->cfg), disk_id);
    if (!path)
        return vmhi__error_oom();
    int rc = vmhi_disk_set_path(disk, path);
    if (rc) {
        char msg[200];
        vmhi__strlcpy(msg, vmhi_error_last_message(), sizeof(msg));
        rc = vmhi__ovf_fail(it->node, "disk path \"%.128s\": %s", path, msg);
    }
    vmhi__free(path);
    return rc;
}

/* Capacity of a blank disk, in MiB rounded up. */
static int disk_capacity(hw *h, const xmlNode *d, uint64_t *mib)
{
    char *cap = vmhi__ovf_attr(d, "capacity");
    char *units = vmhi__ovf_attr(d, "capacityAllocationUnits");
    uint64_t n, unit = 1;
    bool exact = true;
    int rc = VMHI_OK;
    if (!vmhi__ovf_parse_u64(cap, &n))
        rc = vmhi__ovf_fail(d, "Disk capacity \"%.64s\" is not a number that fits in 64 bits "
                               "(properties in capacities are not supported)", cap);
    else if (units && !vmhi__ovf_unit_bytes(units, &unit))
        rc = vmhi__ovf_fail(d, "capacityAllocationUnits \"%.64s\" is not a unit VMHI knows",
                            units);
    else if (!vmhi__ovf_to_mib(n, unit, mib, &exact))
        rc = vmhi__ovf_fail(d, "Disk capacity %llu overflows 64 bits", (unsigned long long)n);
    else if (!exact)
        rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_CONVERTED, d,
                            "disk capacity rounded up to %llu MiB", (unsigned long long)*mib);
    xmlFree(cap);
    xmlFree(units);
    return rc;
}

/* Fills @disk from the Disk (or File) an item's HostResource names. */
static int disk_backing(hw *h, const item *it, vmhi_disk *disk)
{
    char *res = vmhi__ovf_child_text(it->node, "HostResource");
    bool is_file;
    const xmlNode *d = res ? resolve(h, res, &is_file) : NULL;
    int rc = VMHI_OK;
    if (!d) {
        rc = vmhi__ovf_fail(it->node, "item %.64s: HostResource \"%.64s\" names no Disk of the "
                                      "DiskSection", it->instance, res ? res : "");
        xmlFree(res);
        return rc;
    }
    xmlFree(res);
    if (!is_file && h->ctx->used_disk_count < VMHI__OVF_USED_MAX)
        h->ctx->used_disks[h->ctx->used_disk_count++] = d;
    const xmlNode *file = is_file ? d : NULL;
    char *ref = is_file ? NULL : vmhi__ovf_attr(d, "fileRef");
    char *disk_id = vmhi__ovf_attr(d, is_file ? "id" : "diskId");
    char *fmt = is_file ? NULL : vmhi__ovf_attr(d, "format");
    for (const xmlNode *f = h->ctx->references ? h->ctx->references->children : NULL;
         ref && f && !file; f = f->next) {
        char *fid = vmhi__ovf_is(f, "File") ? vmhi__ovf_attr(f, "id") : NULL;
        if (fid && strcmp(fid, ref) == 0)
            file = f;
        xmlFree(fid);
    }
    char *href = file ? vmhi__ovf_attr(file, "href") : NULL;
    if (!href && !is_file) {
        char *name = vmhi__ovf_ns_attr(d, VMHI__OVF_VMHI_NS, "fileName");
        href = name;
    }
    bool known;
    vmhi_disk_format format = format_of(fmt, href, &known);
    rc = disk_path(h, it, href, disk_id, disk);
    if (rc == 0)
        rc = vmhi_disk_set_format(disk, format);
    if (rc == 0 && !known)
        rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, d,
                            "disk image format of \"%.128s\" is not raw, qcow2 or vmdk; the "
                            "disk is taken as raw and needs converting", href);
    if (rc == 0 && !file && !is_file) {
        uint64_t mib;
        rc = disk_capacity(h, d, &mib);
        if (rc == 0)
            rc = vmhi_disk_set_size_mib(disk, mib ? mib : 1);
    }
    xmlFree(ref);
    xmlFree(disk_id);
    xmlFree(fmt);
    xmlFree(href);
    return rc;
}

/* Device id from ElementName when it is a valid id, else assigned. */
static void take_id(const item *it, char id[VMHI_DEVICE_ID_MAX + 1])
{
    char *name = vmhi__ovf_child_text(it->node, "ElementName");
    id[0] = '\0';
    if (name && vmhi__check_device_id(name) == 0)
        vmhi__strlcpy(id, name, VMHI_DEVICE_ID_MAX + 1);
    vmhi__error_reset();
    xmlFree(name);
}

static int read_disk(hw *h, const item *it)
{
    vmhi_disk *disk = NULL;
    vmhi_disk_bus bus;
    int rc = vmhi_disk_new(&disk);
    if (rc == 0)
        rc = disk_bus(h, it, &bus);
    if (rc == 0)
        rc = vmhi_disk_set_bus(disk, bus);
    if (rc == 0)
        rc = disk_backing(h, it, disk);
    char *target = rc == 0 ? vmhi__ovf_ns_attr(it->node, VMHI__OVF_VMHI_NS, "target") : NULL;
    char *ro = rc == 0 ? vmhi__ovf_ns_attr(it->node, VMHI__OVF_VMHI_NS, "readonly") : NULL;
    if (rc == 0 && target && vmhi_disk_set_target(disk, target) < 0)
        rc = vmhi__ovf_fail(it->node, "vmhi:target \"%.32s\" is not a disk target", target);
    if (rc == 0 && ro)
        rc = vmhi_disk_set_readonly(disk, strcmp(ro, "true") == 0);
    xmlFree(target);
    xmlFree(ro);
    if (rc == 0) {
        take_id(it, disk->id);
        vmhi__dup_field dup = VMHI__DUP_NONE;
        rc = vmhi__config_take_disk(h->cfg, disk, &dup);
        if (rc == VMHI_E_EXISTS && dup == VMHI__DUP_ID) {
            disk->id[0] = '\0';
            rc = vmhi__config_take_disk(h->cfg, disk, &dup);
        }
        if (rc == VMHI_E_EXISTS)
            rc = vmhi__ovf_fail(it->node, "item %.64s: a second disk item uses the same image",
                                it->instance);
        else if (rc == VMHI_E_LIMIT)
            rc = vmhi__ovf_fail(it->node, "too many disks (at most %d)", VMHI__DISKS_MAX);
        if (rc == 0)
            return VMHI_OK;
    }
    vmhi_disk_free(disk);
    return rc;
}

static bool network_declared(const hw *h, const char *name)
{
    for (const xmlNode *n = h->ctx->networks ? h->ctx->networks->children : NULL; n;
         n = n->next) {
        char *nn = vmhi__ovf_is(n, "Network") ? vmhi__ovf_attr(n, "name") : NULL;
        bool match = nn && strcmp(nn, name) == 0;
        xmlFree(nn);
        if (match)
            return true;
    }
    return false;
}

static const struct {
    const char *subtype;
    vmhi_nic_model model;
    bool exact;
} nic_models[] = {
    { "E1000", VMHI_NIC_MODEL_E1000, true },     { "E1000e", VMHI_NIC_MODEL_E1000, false },
    { "VmxNet3", VMHI_NIC_MODEL_VMXNET3, true }, { "VmxNet2", VMHI_NIC_MODEL_VMXNET3, false },
    { "VmxNet", VMHI_NIC_MODEL_VMXNET3, false }, { "virtio", VMHI_NIC_MODEL_VIRTIO, true },
    { "virtio-net", VMHI_NIC_MODEL_VIRTIO, true }, { "RTL8139", VMHI_NIC_MODEL_RTL8139, true },
    { "netfront", VMHI_NIC_MODEL_XEN, true },    { "xen", VMHI_NIC_MODEL_XEN, true },
    { "PCNet32", VMHI_NIC_MODEL_DEFAULT, false }, { "Am79C970A", VMHI_NIC_MODEL_DEFAULT, false },
    { "Am79C973", VMHI_NIC_MODEL_DEFAULT, false },
};

static int nic_model(hw *h, const item *it, vmhi_nic_model *model)
{
    *model = VMHI_NIC_MODEL_DEFAULT;
    if (!it->subtype || !*it->subtype)
        return VMHI_OK;
    for (size_t i = 0; i < VMHI_ARRAY_SIZE(nic_models); i++)
        if (strcasecmp(it->subtype, nic_models[i].subtype) == 0) {
            *model = nic_models[i].model;
            if (nic_models[i].exact)
                return VMHI_OK;
            return vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_CONVERTED, it->node,
                                  "NIC model %.32s is not a VMHI model; taken as %s", it->subtype,
                                  vmhi_nic_model_name(*model));
        }
    return vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, it->node,
                          "NIC model %.32s is not a VMHI model; the hypervisor's default NIC "
                          "is used", it->subtype);
}

static int nic_address(hw *h, const item *it, vmhi_nic *nic)
{
    char *mac = vmhi__ovf_child_text(it->node, "Address");
    int rc = VMHI_OK;
    if (mac && *mac && vmhi_nic_set_mac(nic, mac) < 0)
        rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, it->node,
                            "MAC address \"%.32s\" is not a unicast MAC; the hypervisor picks "
                            "one", mac);
    xmlFree(mac);
    return rc;
}

static int read_nic(hw *h, const item *it)
{
    vmhi_nic *nic = NULL;
    vmhi_nic_model model;
    char *conn = vmhi__ovf_child_text(it->node, "Connection");
    int rc = vmhi_nic_new(&nic);
    if (rc == 0 && conn && *conn && !network_declared(h, conn))
        rc = vmhi__ovf_fail(it->node, "item %.64s: Connection \"%.64s\" names no Network of the "
                                      "NetworkSection", it->instance, conn);
    if (rc == 0 && conn && *conn && vmhi_nic_set_network(nic, conn) < 0)
        rc = vmhi__ovf_fail(it->node, "network name \"%.64s\" is not valid", conn);
    if (rc == 0)
        rc = nic_model(h, it, &model);
    if (rc == 0)
        rc = vmhi_nic_set_model(nic, model);
    if (rc == 0)
        rc = nic_address(h, it, nic);
    xmlFree(conn);
    if (rc == 0) {
        take_id(it, nic->id);
        vmhi__dup_field dup = VMHI__DUP_NONE;
        rc = vmhi__config_take_nic(h->cfg, nic, &dup);
        if (rc == VMHI_E_EXISTS && dup == VMHI__DUP_ID) {
            nic->id[0] = '\0';
            rc = vmhi__config_take_nic(h->cfg, nic, &dup);
        }
        if (rc == VMHI_E_EXISTS)
            rc = vmhi__ovf_fail(it->node, "item %.64s: a second NIC has the same MAC",
                                it->instance);
        else if (rc == VMHI_E_LIMIT)
            rc = vmhi__ovf_fail(it->node, "too many NICs (at most %d)", VMHI__NICS_MAX);
        if (rc == 0)
            return VMHI_OK;
    }
    vmhi_nic_free(nic);
    return rc;
}

/* CIM fields that either carry what the item's reader takes or say nothing
 * about the VM (names, descriptions); any other child is reported. */
static const char *const quiet_fields[] = {
    "Address", "AddressOnParent", "AllocationUnits", "AutomaticAllocation", "Caption",
    "Connection", "Description", "ElementName", "HostResource", "InstanceID", "Parent",
    "ResourceSubType", "ResourceType", "VirtualQuantity", "VirtualQuantityUnits",
};

static int report_fields(hw *h, const item *it)
{
    int rc = VMHI_OK;
    for (const xmlNode *c = it->node->children; rc == 0 && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        bool cim = c->ns && c->ns->href && strstr((const char *)c->ns->href, "cim-schema");
        bool quiet = false;
        for (size_t i = 0; cim && !quiet && i < VMHI_ARRAY_SIZE(quiet_fields); i++)
            quiet = vmhi__ovf_is(c, quiet_fields[i]);
        if (!quiet)
            rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, c,
                                "item %.64s: <%.64s> is not honoured", it->instance,
                                (const char *)c->name);
    }
    return rc;
}

static int read_item(hw *h, const item *it)
{
    bool device = it->type == RT_PROCESSOR || it->type == RT_MEMORY || it->type == RT_IDE ||
                  it->type == RT_SCSI || it->type == RT_SATA || it->type == RT_DISK ||
                  it->type == RT_ETHERNET;
    int rc = device ? report_fields(h, it) : VMHI_OK;
    if (rc)
        return rc;
    switch (it->type) {
    case RT_PROCESSOR:
        return read_processor(h, it);
    case RT_MEMORY:
        return read_memory(h, it);
    case RT_IDE:
    case RT_SCSI:
    case RT_SATA:
        return VMHI_OK; /* controllers: through their disks */
    case RT_DISK:
        return read_disk(h, it);
    case RT_ETHERNET:
        return read_nic(h, it);
    }
    return vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, it->node,
                          "item %.64s (ResourceType %u, %s%s%.32s) has no VMHI device",
                          it->instance, it->type, type_name(it->type),
                          it->subtype ? " " : "", it->subtype ? it->subtype : "");
}

static int add_item(hw *h, const xmlNode *n)
{
    if (!vmhi__ovf_in_option(h->ctx, n))
        return VMHI_OK;
    char *bound = vmhi__ovf_attr(n, "bound");
    bool range = bound && strcmp(bound, "normal") != 0;
    xmlFree(bound);
    if (range)
        return vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, n,
                              "a ranged item (ovf:bound min or max) is not honoured; the normal "
                              "value applies");
    if (h->count >= ITEMS_MAX)
        return vmhi__ovf_fail(n, "more than %d hardware items", ITEMS_MAX);
    item *it = &h->items[h->count];
    char *type = vmhi__ovf_child_text(n, "ResourceType");
    uint64_t t;
    bool ok = vmhi__ovf_parse_u64(type, &t) && t < 65536;
    xmlFree(type);
    it->instance = vmhi__ovf_child_text(n, "InstanceID");
    if (!ok || !it->instance || !*it->instance) {
        xmlFree(it->instance);
        it->instance = NULL;
        return vmhi__ovf_fail(n, "an item needs an InstanceID and a numeric ResourceType");
    }
    if (find_item(h, it->instance)) {
        int rc = vmhi__ovf_fail(n, "InstanceID \"%.64s\" is used twice", it->instance);
        xmlFree(it->instance);
        it->instance = NULL;
        return rc;
    }
    it->node = n;
    it->type = (unsigned)t;
    it->subtype = vmhi__ovf_child_text(n, "ResourceSubType");
    h->count++;
    return VMHI_OK;
}

static int read_vmw_config(hw *h, const xmlNode *n, bool extra)
{
    char *key = vmhi__ovf_ns_attr(n, VMHI__OVF_VMW_NS, "key");
    char *value = vmhi__ovf_ns_attr(n, VMHI__OVF_VMW_NS, "value");
    int rc = VMHI_OK;
    if (!key || !value)
        rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, n,
                            "vmw:%s without vmw:key and vmw:value", (const char *)n->name);
    else if (!extra && strcmp(key, "firmware") == 0 && strcmp(value, "efi") == 0)
        rc = vmhi_vm_config_set_firmware(h->cfg, VMHI_FIRMWARE_UEFI);
    else if (!extra && strcmp(key, "firmware") == 0 && strcmp(value, "bios") == 0)
        rc = vmhi_vm_config_set_firmware(h->cfg, VMHI_FIRMWARE_BIOS);
    else {
        char name[80];
        snprintf(name, sizeof(name), "%s.%.64s", extra ? "vmw-extra" : "vmw", key);
        rc = vmhi__ovf_keep(h->ctx, h->cfg, n, name, value);
    }
    xmlFree(key);
    xmlFree(value);
    return rc;
}

static int read_system_element(hw *h, const xmlNode *n)
{
    char *type = vmhi__ovf_child_text(n, "VirtualSystemType");
    int rc = type && *type ? vmhi__ovf_keep(h->ctx, h->cfg, n, "system-type", type) : VMHI_OK;
    xmlFree(type);
    return rc;
}

static int collect(hw *h, const xmlNode *section)
{
    int rc = VMHI_OK;
    for (const xmlNode *n = section->children; rc == 0 && n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || vmhi__ovf_is(n, "Info"))
            continue;
        bool vmw = n->ns && xmlStrEqual(n->ns->href, BAD_CAST VMHI__OVF_VMW_NS);
        if (vmhi__ovf_is(n, "Item") || vmhi__ovf_is(n, "StorageItem") ||
            vmhi__ovf_is(n, "EthernetPortItem"))
            rc = add_item(h, n);
        else if (vmhi__ovf_is(n, "System"))
            rc = read_system_element(h, n);
        else if (vmw && (vmhi__ovf_is(n, "Config") || vmhi__ovf_is(n, "ExtraConfig")))
            rc = read_vmw_config(h, n, vmhi__ovf_is(n, "ExtraConfig"));
        else if (xmlHasNsProp(n, BAD_CAST "required", BAD_CAST VMHI__OVF_NS1) ||
                 xmlHasNsProp(n, BAD_CAST "required", BAD_CAST VMHI__OVF_NS2)) {
            char *req = vmhi__ovf_attr(n, "required");
            bool required = req && strcmp(req, "true") == 0;
            xmlFree(req);
            rc = required ? vmhi__error(VMHI_E_UNSUPPORTED,
                                        "OVF line %u: <%.64s> in VirtualHardwareSection is "
                                        "required and VMHI does not know it",
                                        vmhi__ovf_line_of(n), (const char *)n->name)
                          : vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, n,
                                           "<%.64s> in VirtualHardwareSection is not honoured",
                                           (const char *)n->name);
        } else
            rc = vmhi__ovf_note(h->ctx, VMHI_OVF_REPORT_UNHONOURED, n,
                                "<%.64s> in VirtualHardwareSection is not honoured",
                                (const char *)n->name);
    }
    return rc;
}

int vmhi__ovf_read_hardware(vmhi__ovf_ctx *ctx, const xmlNode *section, vmhi_vm_config *cfg)
{
    hw *h = vmhi__calloc(1, sizeof(*h));
    if (!h)
        return vmhi__error_oom();
    h->ctx = ctx;
    h->cfg = cfg;
    int rc = collect(h, section);
    for (size_t i = 0; rc == 0 && i < h->count; i++)
        rc = read_item(h, &h->items[i]);
    for (size_t i = 0; rc == 0 && i < h->count; i++) {
        const item *it = &h->items[i];
        if ((it->type == RT_IDE || it->type == RT_SCSI || it->type == RT_SATA) && !it->used)
            rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, it->node,
                                "controller %.64s (ResourceType %u%s%.32s) has no disk and is "
                                "not kept", it->instance, it->type, it->subtype ? ", " : "",
                                it->subtype ? it->subtype : "");
    }
    if (rc == 0 && !h->processor_seen)
        rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_CONVERTED, section,
                            "no processor item: 1 vCPU");
    if (rc == 0 && !h->memory_seen)
        rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_CONVERTED, section,
                            "no memory item: 512 MiB");
    for (size_t i = 0; i < h->count; i++) {
        xmlFree(h->items[i].instance);
        xmlFree(h->items[i].subtype);
    }
    vmhi__free(h);
    return rc;
}
