/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * XML tree -> vmhi_vm_config.  This walker enforces every rule of
 * spec/vmhi-vm.rng itself, so that a bad document gets a precise message
 * ("element <vcpus>: \"0\" is not a whole number from 1 to 4294967295")
 * rather than the schema validator's generic one; the RELAX NG check in
 * config_xml.c stays as the normative backstop.  It must cope with any
 * tree, valid or not.
 */
#include <stdio.h>
#include <string.h>

#include "config_xml_internal.h"

typedef struct reader {
    const vmhi__xml_source *src;
    vmhi_vm_config *cfg;
} reader;

typedef int (*element_reader)(reader *r, const xmlNode *node);

static const char *xml_name(const xmlChar *s)
{
    return (const char *)s;
}

/* Records a located VMHI_E_PARSE error about @node (and @attr, if any). */
static int fail(const reader *r, const xmlNode *node, const char *attr, const char *fmt, ...)
    VMHI_PRINTF(4, 5);
static int fail(const reader *r, const xmlNode *node, const char *attr, const char *fmt, ...)
{
    char detail[600], where[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    unsigned line, column;
    vmhi__xml_node_location(r->src, node, &line, &column);
    if (attr)
        snprintf(where, sizeof(where), "element <%.64s>, attribute %s", xml_name(node->name),
                 attr);
    else
        snprintf(where, sizeof(where), "element <%.64s>", xml_name(node->name));
    if (line == 0)
        return vmhi__error_parse(0, 0, "%s: %s", where, detail);
    return vmhi__error_parse(line, column, "line %u, column %u: %s: %s", line, column, where,
                             detail);
}

/* Re-raises a setter's error at @node, keeping out-of-memory as it is. */
static int fail_from(const reader *r, const xmlNode *node, const char *attr, int rc)
{
    if (rc == VMHI_E_NOMEM)
        return rc;
    char message[512];
    vmhi__strlcpy(message, vmhi_error_last_message(), sizeof(message));
    return fail(r, node, attr, "%s", message);
}

static bool is_ours(const xmlNode *node)
{
    return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp(xml_name(node->ns->href), VMHI__XML_NS) == 0;
}

static bool is_blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Strips XML whitespace at both ends, in place (RELAX NG "token" values). */
static char *trim(xmlChar *s)
{
    char *start = (char *)s;
    while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
        start++;
    size_t len = strlen(start);
    while (len > 0 && strchr(" \t\n\r", start[len - 1]))
        start[--len] = '\0';
    return start;
}

/* Checks that @node holds only elements of our namespace, comments,
 * processing instructions and whitespace. */
static int check_element_only(const reader *r, const xmlNode *node)
{
    for (const xmlNode *c = node->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            if (!is_ours(c))
                return fail(r, c, NULL, "not in namespace " VMHI__XML_NS);
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!is_blank(c->content))
                return fail(r, node, NULL, "text is not allowed here, only elements");
            break;
        default:
            return fail(r, node, NULL, "unexpected content (node type %d)", (int)c->type);
        }
    }
    return VMHI_OK;
}

static const xmlNode *first_element(const xmlNode *node)
{
    const xmlNode *c = node->children;
    while (c && c->type != XML_ELEMENT_NODE)
        c = c->next;
    return c;
}

static const xmlNode *next_element(const xmlNode *node)
{
    const xmlNode *c = node->next;
    while (c && c->type != XML_ELEMENT_NODE)
        c = c->next;
    return c;
}

/* The text of an element that may hold only text (no child elements).
 * Free with xmlFree. */
static int element_text(const reader *r, const xmlNode *node, xmlChar **out)
{
    for (const xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return fail(r, c, NULL, "not allowed inside <%.64s>, which holds only text",
                        xml_name(node->name));
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
            c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
            return fail(r, node, NULL, "unexpected content (node type %d)", (int)c->type);
    }
    *out = xmlNodeGetContent(node);
    return *out ? VMHI_OK : vmhi__error_oom();
}

static int check_attributes(const reader *r, const xmlNode *node, const char *const *allowed)
{
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = a->ns == NULL && strcmp(xml_name(a->name), allowed[i]) == 0;
        if (!known)
            return fail(r, node, NULL, "unknown attribute \"%.64s\"", xml_name(a->name));
    }
    return VMHI_OK;
}

static int check_no_attributes(const reader *r, const xmlNode *node)
{
    static const char *const none[] = { NULL };
    return check_attributes(r, node, none);
}

/* The text of an element that holds only text and has no attributes. */
static int plain_text(const reader *r, const xmlNode *node, xmlChar **out)
{
    int rc = check_no_attributes(r, node);
    return rc < 0 ? rc : element_text(r, node, out);
}

/* An attribute's value (free with xmlFree), or NULL when it is absent. */
static int attribute(const xmlNode *node, const char *name, xmlChar **out)
{
    *out = NULL;
    if (!xmlHasNsProp(node, BAD_CAST name, NULL))
        return VMHI_OK;
    *out = xmlGetNoNsProp(node, BAD_CAST name);
    return *out ? VMHI_OK : vmhi__error_oom();
}

/* Parses an unsigned decimal within [min, max]. */
static int read_number(const reader *r, const xmlNode *node, const char *attr, xmlChar *text,
                       uint64_t min, uint64_t max, uint64_t *out)
{
    if (!vmhi__parse_u64((const char *)text, true, out) || *out < min || *out > max)
        return fail(r, node, attr, "\"%.32s\" is not a whole number from %llu to %llu",
                    trim(text), (unsigned long long)min, (unsigned long long)max);
    return VMHI_OK;
}

/* Reads a token attribute or element text and maps it with @from_name. */
static int read_enum(const reader *r, const xmlNode *node, const char *attr, xmlChar *text,
                     int (*from_name)(const char *), const char *allowed, int *out)
{
    char *token = trim(text);
    *out = from_name(token);
    if (*out < 0)
        return fail(r, node, attr, "unknown value \"%.32s\" (use %s)", token, allowed);
    return VMHI_OK;
}

/* ----------------------------------------------------------- top level */

static int read_name(reader *r, const xmlNode *node)
{
    xmlChar *text;
    int rc = plain_text(r, node, &text);
    if (rc < 0)
        return rc;
    rc = vmhi_vm_config_set_name(r->cfg, (const char *)text);
    xmlFree(text);
    return rc < 0 ? fail_from(r, node, NULL, rc) : VMHI_OK;
}

static int read_uuid(reader *r, const xmlNode *node)
{
    xmlChar *text;
    int rc = plain_text(r, node, &text);
    if (rc < 0)
        return rc;
    rc = vmhi_vm_config_set_uuid(r->cfg, (const char *)text);
    xmlFree(text);
    return rc < 0 ? fail_from(r, node, NULL, rc) : VMHI_OK;
}

/* <vcpus max="M">N</vcpus> and <memory max="M" unit="MiB">N</memory>:
 * the current value and an optional maximum that defaults to it. */
static int read_current_max(reader *r, const xmlNode *node, uint64_t limit, uint64_t *current,
                            uint64_t *max, bool *has_max)
{
    xmlChar *text = NULL, *max_text = NULL;
    int rc = element_text(r, node, &text);
    if (rc == 0)
        rc = read_number(r, node, NULL, text, 1, limit, current);
    if (rc == 0)
        rc = attribute(node, "max", &max_text);
    *has_max = max_text != NULL;
    if (rc == 0 && max_text)
        rc = read_number(r, node, "max", max_text, 1, limit, max);
    if (rc == 0 && *has_max && *current > *max)
        rc = fail(r, node, NULL, "current value %llu exceeds the maximum %llu (attribute max)",
                  (unsigned long long)*current, (unsigned long long)*max);
    xmlFree(text);
    xmlFree(max_text);
    return rc;
}

static int read_vcpus(reader *r, const xmlNode *node)
{
    static const char *const allowed[] = { "max", NULL };
    uint64_t current, max;
    bool has_max;
    int rc = check_attributes(r, node, allowed);
    if (rc == 0)
        rc = read_current_max(r, node, UINT32_MAX, &current, &max, &has_max);
    if (rc == 0 && has_max && (rc = vmhi_vm_config_set_max_vcpus(r->cfg, (unsigned)max)) < 0)
        return fail_from(r, node, "max", rc);
    if (rc == 0 && (rc = vmhi_vm_config_set_vcpus(r->cfg, (unsigned)current)) < 0)
        return fail_from(r, node, NULL, rc);
    return rc;
}

static int read_memory(reader *r, const xmlNode *node)
{
    static const char *const allowed[] = { "max", "unit", NULL };
    uint64_t current, max;
    bool has_max;
    xmlChar *unit = NULL;
    int rc = check_attributes(r, node, allowed);
    if (rc == 0)
        rc = attribute(node, "unit", &unit);
    if (rc == 0 && unit && strcmp(trim(unit), "MiB") != 0)
        rc = fail(r, node, "unit", "unknown unit \"%.32s\" (the only unit is MiB)", trim(unit));
    xmlFree(unit);
    if (rc == 0)
        rc = read_current_max(r, node, UINT64_MAX, &current, &max, &has_max);
    if (rc == 0 && has_max && (rc = vmhi_vm_config_set_max_memory_mib(r->cfg, max)) < 0)
        return fail_from(r, node, "max", rc);
    if (rc == 0 && (rc = vmhi_vm_config_set_memory_mib(r->cfg, current)) < 0)
        return fail_from(r, node, NULL, rc);
    return rc;
}

static int read_firmware(reader *r, const xmlNode *node)
{
    xmlChar *text;
    int fw = 0;
    int rc = plain_text(r, node, &text);
    if (rc < 0)
        return rc;
    rc = read_enum(r, node, NULL, text, vmhi__firmware_from_name, "bios or uefi", &fw);
    xmlFree(text);
    if (rc == 0 && (rc = vmhi_vm_config_set_firmware(r->cfg, (vmhi_firmware)fw)) < 0)
        return fail_from(r, node, NULL, rc);
    return rc;
}

static int read_guest_type(reader *r, const xmlNode *node)
{
    xmlChar *text;
    int type = 0;
    int rc = plain_text(r, node, &text);
    if (rc < 0)
        return rc;
    rc = read_enum(r, node, NULL, text, vmhi__guest_type_from_name, "default, hvm, pv or pvh",
                   &type);
    xmlFree(text);
    if (rc == 0 && (rc = vmhi_vm_config_set_guest_type(r->cfg, (vmhi_guest_type)type)) < 0)
        return fail_from(r, node, NULL, rc);
    return rc;
}

typedef int (*string_setter)(vmhi_vm_config *cfg, const char *value);

/* One child of <kernel>: its text goes through @set. */
static int read_kernel_part(reader *r, const xmlNode *node, string_setter set)
{
    xmlChar *text;
    int rc = plain_text(r, node, &text);
    if (rc < 0)
        return rc;
    rc = set(r->cfg, (const char *)text);
    xmlFree(text);
    return rc < 0 ? fail_from(r, node, NULL, rc) : VMHI_OK;
}

/* <kernel><path/>[<initrd/>][<cmdline/>]</kernel>, in that order. */
static int read_kernel(reader *r, const xmlNode *node)
{
    static const struct {
        const char *name;
        string_setter set;
    } parts[] = {
        { "path", vmhi_vm_config_set_kernel },
        { "initrd", vmhi_vm_config_set_initrd },
        { "cmdline", vmhi_vm_config_set_cmdline },
    };
    int rc = check_element_only(r, node);
    if (rc == 0)
        rc = check_no_attributes(r, node);
    size_t next = 0;
    for (const xmlNode *c = first_element(node); rc == 0 && c; c = next_element(c)) {
        size_t i = 0;
        while (i < VMHI_ARRAY_SIZE(parts) && strcmp(xml_name(c->name), parts[i].name) != 0)
            i++;
        if (i == VMHI_ARRAY_SIZE(parts))
            return fail(r, c, NULL, "unknown element in <kernel> (path, initrd, cmdline)");
        if (i < next)
            return fail(r, c, NULL, "appears twice or out of order (path, initrd, cmdline)");
        next = i + 1;
        rc = read_kernel_part(r, c, parts[i].set);
    }
    if (rc == 0 && !r->cfg->kernel)
        return fail(r, node, NULL, "missing element <path>");
    return rc;
}

static int read_metadata_entry(reader *r, const xmlNode *node)
{
    static const char *const allowed[] = { "key", NULL };
    if (strcmp(xml_name(node->name), "entry") != 0)
        return fail(r, node, NULL, "unknown element in <metadata> (only <entry> is allowed)");
    xmlChar *key = NULL, *value = NULL;
    int rc = check_attributes(r, node, allowed);
    if (rc == 0)
        rc = attribute(node, "key", &key);
    if (rc == 0 && !key)
        rc = fail(r, node, NULL, "missing attribute key");
    if (rc == 0 && vmhi_vm_config_get_metadata(r->cfg, (const char *)key))
        rc = fail(r, node, "key", "\"%.64s\" appears twice", (const char *)key);
    if (rc == 0)
        rc = element_text(r, node, &value); /* as written: values are not trimmed */
    if (rc == 0 && (rc = vmhi_vm_config_set_metadata(r->cfg, (const char *)key,
                                                     (const char *)value)) < 0)
        rc = fail_from(r, node, NULL, rc);
    xmlFree(key);
    xmlFree(value);
    return rc;
}

static int read_metadata(reader *r, const xmlNode *node)
{
    int rc = check_element_only(r, node);
    if (rc == 0)
        rc = check_no_attributes(r, node);
    for (const xmlNode *c = first_element(node); rc == 0 && c; c = next_element(c))
        rc = read_metadata_entry(r, c);
    return rc;
}

static int read_boot_dev(reader *r, const xmlNode *dev, vmhi_boot_dev *order, size_t count)
{
    if (strcmp(xml_name(dev->name), "dev") != 0)
        return fail(r, dev, NULL, "unknown element in <boot> (only <dev> is allowed)");
    if (count == VMHI_BOOT_ORDER_MAX)
        return fail(r, dev, NULL, "a boot order has at most %d entries", VMHI_BOOT_ORDER_MAX);
    xmlChar *text;
    int value = 0;
    int rc = plain_text(r, dev, &text);
    if (rc < 0)
        return rc;
    rc = read_enum(r, dev, NULL, text, vmhi__boot_dev_from_name, "disk or network", &value);
    xmlFree(text);
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (order[i] == (vmhi_boot_dev)value)
            rc = fail(r, dev, NULL, "\"%s\" is already in the boot order",
                      vmhi_boot_dev_name(order[i]));
    order[count] = (vmhi_boot_dev)value;
    return rc;
}

static int read_boot(reader *r, const xmlNode *node)
{
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t count = 0;
    int rc = check_element_only(r, node);
    if (rc == 0)
        rc = check_no_attributes(r, node);
    if (rc < 0)
        return rc;
    for (const xmlNode *dev = first_element(node); dev; dev = next_element(dev), count++)
        if ((rc = read_boot_dev(r, dev, order, count)) < 0)
            return rc;
    rc = vmhi_vm_config_set_boot_order(r->cfg, order, count); /* <boot/>: the default order */
    return rc < 0 ? fail_from(r, node, NULL, rc) : VMHI_OK;
}

/* ------------------------------------------------------------- devices */


/* Reads the optional id attribute shared by disks and NICs. */
static int read_device_id(const reader *r, const xmlNode *node, char id[VMHI_DEVICE_ID_MAX + 1])
{
    xmlChar *text;
    int rc = attribute(node, "id", &text);
    if (rc < 0 || !text)
        return rc;
    rc = vmhi__check_device_id((const char *)text);
    if (rc == 0)
        vmhi__strlcpy(id, (const char *)text, VMHI_DEVICE_ID_MAX + 1);
    xmlFree(text);
    return rc < 0 ? fail_from(r, node, "id", rc) : VMHI_OK;
}

/* Reads an optional enum attribute; @out keeps its default when absent. */
static int read_enum_attribute(const reader *r, const xmlNode *node, const char *name,
                               int (*from_name)(const char *), const char *allowed, int *out)
{
    xmlChar *text;
    int rc = attribute(node, name, &text);
    if (rc < 0 || !text)
        return rc;
    rc = read_enum(r, node, name, text, from_name, allowed, out);
    xmlFree(text);
    return rc;
}

static int yes_no_from_name(const char *name)
{
    return strcmp(name, "yes") == 0 ? 1 : strcmp(name, "no") == 0 ? 0 : -1;
}

static int read_disk_attributes(const reader *r, const xmlNode *node, vmhi_disk *disk)
{
    static const char *const allowed[] = { "id",       "format",   "bus", "target",
                                           "readonly", "size-mib", NULL };
    int format = (int)disk->format, bus = (int)disk->bus, readonly = 0;
    xmlChar *size = NULL, *target = NULL;
    int rc = check_attributes(r, node, allowed);
    if (rc == 0)
        rc = read_device_id(r, node, disk->id);
    if (rc == 0)
        rc = read_enum_attribute(r, node, "format", vmhi__disk_format_from_name,
                                 "raw, qcow2 or vmdk", &format);
    if (rc == 0)
        rc = read_enum_attribute(r, node, "bus", vmhi__disk_bus_from_name,
                                 "default, virtio, scsi, sata, ide, xen or pvscsi", &bus);
    if (rc == 0)
        rc = attribute(node, "target", &target);
    if (rc == 0 && target && (rc = vmhi_disk_set_target(disk, (const char *)target)) < 0)
        rc = fail_from(r, node, "target", rc);
    xmlFree(target);
    if (rc == 0)
        rc = read_enum_attribute(r, node, "readonly", yes_no_from_name, "yes or no", &readonly);
    if (rc == 0)
        rc = attribute(node, "size-mib", &size);
    if (rc == 0 && size)
        rc = read_number(r, node, "size-mib", size, 0, UINT64_MAX, &disk->size_mib);
    xmlFree(size);
    disk->format = (vmhi_disk_format)format;
    disk->bus = (vmhi_disk_bus)bus;
    disk->readonly = readonly != 0;
    return rc;
}

/* The one <path> child of <disk>; returns the element for error locations. */
static int read_disk_path(reader *r, const xmlNode *node, vmhi_disk *disk,
                          const xmlNode **path_node)
{
    int rc = check_element_only(r, node);
    *path_node = NULL;
    for (const xmlNode *c = first_element(node); rc == 0 && c; c = next_element(c)) {
        if (strcmp(xml_name(c->name), "path") != 0)
            return fail(r, c, NULL, "unknown element in <disk> (only <path> is allowed)");
        if (*path_node)
            return fail(r, c, NULL, "a disk has only one <path>");
        *path_node = c;
        xmlChar *text;
        if ((rc = plain_text(r, c, &text)) < 0)
            return rc;
        rc = vmhi_disk_set_path(disk, (const char *)text);
        xmlFree(text);
        if (rc < 0)
            return fail_from(r, c, NULL, rc);
    }
    if (rc == 0 && !*path_node)
        return fail(r, node, NULL, "missing element <path>");
    return rc;
}

static int read_disk(reader *r, const xmlNode *node)
{
    vmhi_disk *disk;
    const xmlNode *path_node = NULL;
    vmhi__dup_field dup = VMHI__DUP_NONE;
    int rc = vmhi_disk_new(&disk);
    if (rc == 0)
        rc = read_disk_attributes(r, node, disk);
    if (rc == 0)
        rc = read_disk_path(r, node, disk, &path_node);
    if (rc == 0 && (rc = vmhi__config_take_disk(r->cfg, disk, &dup)) < 0) {
        if (dup == VMHI__DUP_PATH)
            rc = fail_from(r, path_node, NULL, rc);
        else
            rc = fail_from(r, node, dup == VMHI__DUP_ID ? "id" : NULL, rc);
    }
    if (rc < 0)
        vmhi_disk_free(disk);
    return rc;
}

static int read_nic_network(reader *r, const xmlNode *node, vmhi_nic *nic)
{
    int rc = check_element_only(r, node);
    bool seen = false;
    for (const xmlNode *c = first_element(node); rc == 0 && c; c = next_element(c)) {
        if (strcmp(xml_name(c->name), "network") != 0)
            return fail(r, c, NULL, "unknown element in <nic> (only <network> is allowed)");
        if (seen)
            return fail(r, c, NULL, "a NIC has only one <network>");
        seen = true;
        xmlChar *text;
        if ((rc = plain_text(r, c, &text)) < 0)
            return rc;
        rc = vmhi_nic_set_network(nic, (const char *)text);
        xmlFree(text);
        if (rc < 0)
            return fail_from(r, c, NULL, rc);
    }
    return rc;
}

static int read_nic_attributes(const reader *r, const xmlNode *node, vmhi_nic *nic)
{
    static const char *const allowed[] = { "id", "model", "mac", NULL };
    int model = (int)nic->model;
    xmlChar *mac = NULL;
    int rc = check_attributes(r, node, allowed);
    if (rc == 0)
        rc = read_device_id(r, node, nic->id);
    if (rc == 0)
        rc = read_enum_attribute(r, node, "model", vmhi__nic_model_from_name,
                                 "default, virtio, e1000, vmxnet3, rtl8139 or xen", &model);
    nic->model = (vmhi_nic_model)model;
    if (rc == 0)
        rc = attribute(node, "mac", &mac);
    if (rc == 0 && mac && (rc = vmhi_nic_set_mac(nic, (const char *)mac)) < 0)
        rc = fail_from(r, node, "mac", rc);
    xmlFree(mac);
    return rc;
}

static int read_nic(reader *r, const xmlNode *node)
{
    vmhi_nic *nic;
    vmhi__dup_field dup = VMHI__DUP_NONE;
    int rc = vmhi_nic_new(&nic);
    if (rc == 0)
        rc = read_nic_attributes(r, node, nic);
    if (rc == 0)
        rc = read_nic_network(r, node, nic);
    if (rc == 0 && (rc = vmhi__config_take_nic(r->cfg, nic, &dup)) < 0)
        rc = fail_from(r, node, dup == VMHI__DUP_ID ? "id" : dup == VMHI__DUP_MAC ? "mac" : NULL,
                       rc);
    if (rc < 0)
        vmhi_nic_free(nic);
    return rc;
}

static int read_devices(reader *r, const xmlNode *node)
{
    int rc = check_element_only(r, node);
    if (rc == 0)
        rc = check_no_attributes(r, node);
    for (const xmlNode *c = first_element(node); rc == 0 && c; c = next_element(c)) {
        if (strcmp(xml_name(c->name), "disk") == 0)
            rc = read_disk(r, c);
        else if (strcmp(xml_name(c->name), "nic") == 0)
            rc = read_nic(r, c);
        else
            rc = fail(r, c, NULL, "unknown element in <devices> (use <disk> or <nic>)");
    }
    return rc;
}

/* ------------------------------------------------------------------ <vm> */

/* The children of <vm>, in the order the schema requires. */
static const struct {
    const char *name;
    element_reader read;
} vm_children[] = {
    { "name", read_name },         { "uuid", read_uuid },
    { "vcpus", read_vcpus },       { "memory", read_memory },
    { "guest-type", read_guest_type }, { "firmware", read_firmware },
    { "kernel", read_kernel },     { "boot", read_boot },
    { "devices", read_devices },   { "metadata", read_metadata },
};

static int vm_child_index(const xmlNode *node)
{
    for (size_t i = 0; i < VMHI_ARRAY_SIZE(vm_children); i++)
        if (strcmp(xml_name(node->name), vm_children[i].name) == 0)
            return (int)i;
    return -1;
}

static int read_vm(reader *r, const xmlNode *vm)
{
    int rc = check_element_only(r, vm);
    if (rc == 0)
        rc = check_no_attributes(r, vm);
    size_t next = 0;
    bool has_name = false;
    for (const xmlNode *c = first_element(vm); rc == 0 && c; c = next_element(c)) {
        int index = vm_child_index(c);
        if (index < 0)
            return fail(r, c, NULL, "unknown element in <vm>");
        if ((size_t)index < next)
            return fail(r, c, NULL,
                        "appears twice or out of order (the order is name, uuid, vcpus, "
                        "memory, guest-type, firmware, kernel, boot, devices, metadata)");
        next = (size_t)index + 1;
        has_name = has_name || index == 0;
        rc = vm_children[index].read(r, c);
    }
    if (rc == 0 && !has_name)
        return fail(r, vm, NULL, "missing element <name>");
    return rc;
}

int vmhi__xml_read_config(const vmhi__xml_source *src, xmlDoc *doc, vmhi_vm_config **out)
{
    reader r = { .src = src, .cfg = NULL };
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root)
        return vmhi__error_parse(0, 0, "the XML document has no root element");
    if (strcmp(xml_name(root->name), "vm") != 0 || !is_ours(root))
        return fail(&r, root, NULL, "the root element must be <vm xmlns=\"" VMHI__XML_NS "\">");
    int rc = vmhi_vm_config_new(&r.cfg);
    if (rc == 0)
        rc = read_vm(&r, root);
    if (rc == 0 && (rc = vmhi__config_validate(r.cfg)) < 0)
        rc = fail_from(&r, root, NULL, rc);
    if (rc < 0) {
        vmhi_vm_config_free(r.cfg);
        return rc;
    }
    *out = r.cfg;
    return VMHI_OK;
}
