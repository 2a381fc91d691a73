/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The parts of a VMHI description vSphere has no field for, kept in the
 * VM's extraConfig (see ESX_KEY_* in esx.h): the vCPU maximum, the current
 * memory (kept here so that a listing need not read the limit), the boot
 * order, whether the VM was undefined while active (transient), the
 * definition waiting for the next start from shutoff, and the device
 * notes.
 *
 * Device notes give each disk and NIC its VMHI id and the names ESX does
 * not keep (format, bus, model, network, the path as the application
 * wrote it).  A note names its device by what the backend chose before
 * ESX assigned keys: the datastore file of a disk, the MAC address of a
 * NIC.  A device no note names (added outside VMHI) gets a view derived
 * from ESX's facts and the id "disk-<key>" / "nic-<key>".
 *
 *   notes := note (';' note)*
 *   note  := "disk" '|' id '|' format '|' bus '|' size-MiB '|' file '|' path
 *          | "nic" '|' id '|' model '|' network '|' mac
 *
 * Fields are percent-encoded ('%', '|', ';' and control characters), so
 * the value is one line of printable text in the VM's .vmx file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "esx.h"

#define NOTE_FIELDS 7

/* ------------------------------------------------------------ extraConfig */

/* The text of @node in a new buffer ("" for none); NULL when out of memory. */
static char *node_text(const xmlNode *node)
{
    xmlChar *text = node ? xmlNodeGetContent(node) : NULL;
    char *copy = esx_strdup(text ? (const char *)text : "");
    if (text)
        xmlFree(text);
    return copy;
}

static void parse_boot(const char *text, esx_meta *m)
{
    static const struct { const char *name; vmhi_boot_dev dev; } devs[] = {
        { "disk", VMHI_BOOT_DISK }, { "network", VMHI_BOOT_NETWORK }, { "cdrom", VMHI_BOOT_CDROM },
    };
    m->nboot = 0;
    while (*text && m->nboot < VMHI_BOOT_ORDER_MAX) {
        size_t len = strcspn(text, ",");
        for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
            if (strlen(devs[i].name) == len && strncmp(devs[i].name, text, len) == 0)
                m->boot[m->nboot++] = devs[i].dev;
        text += len + (text[len] == ',');
    }
}

/* Replaces *slot by the value @text (NULL when empty). */
static int keep_text(char **slot, const xmlNode *value)
{
    char *text = node_text(value);
    if (!text)
        return VMHI_E_NOMEM;
    esx_free(*slot);
    *slot = text[0] ? text : NULL;
    if (!text[0])
        esx_free(text);
    return VMHI_OK;
}

static int apply_option(esx_meta *m, const char *key, const xmlNode *value)
{
    char text[256];
    uint64_t n;
    if (strcmp(key, ESX_KEY_MAX_VCPUS) == 0)
        m->max_vcpus = esx_parse_u64(esx_xml_text(value, text, sizeof(text)), &n) && n <= 4096
                           ? (unsigned int)n : 0;
    else if (strcmp(key, ESX_KEY_MEMORY) == 0)
        m->memory_mib = esx_parse_u64(esx_xml_text(value, text, sizeof(text)), &n) ? n : 0;
    else if (strcmp(key, ESX_KEY_TRANSIENT) == 0)
        m->transient = strcasecmp(esx_xml_text(value, text, sizeof(text)), "TRUE") == 0;
    else if (strcmp(key, ESX_KEY_BOOT) == 0)
        parse_boot(esx_xml_text(value, text, sizeof(text)), m);
    else if (strcmp(key, ESX_KEY_DEVICES) == 0)
        return keep_text(&m->devices, value);
    else if (strcmp(key, ESX_KEY_DEFINITION) == 0)
        return keep_text(&m->definition, value);
    return VMHI_OK;
}

int esx_meta_parse(const xmlNode *array, esx_meta *out)
{
    char key[64];
    memset(out, 0, sizeof(*out));
    for (const xmlNode *o = array ? array->children : NULL; o; o = o->next) {
        if (o->type != XML_ELEMENT_NODE || !esx_xml_child_text(o, "key", key, sizeof(key)) ||
            strncmp(key, "vmhi.", 5) != 0)
            continue;
        if (apply_option(out, key, esx_xml_child(o, "value")) < 0) {
            esx_meta_free(out);
            return esx_error(VMHI_E_NOMEM, "esx: out of memory reading extraConfig");
        }
    }
    return VMHI_OK;
}

void esx_meta_free(esx_meta *m)
{
    esx_free(m->devices);
    esx_free(m->definition);
    m->devices = m->definition = NULL;
}

void esx_meta_spec(esx_buf *b, const char *key, const char *value)
{
    esx_buf_add(b, "<extraConfig>");
    esx_buf_elem(b, "key", key);
    esx_buf_add(b, "<value xsi:type=\"xsd:string\">");
    esx_buf_add_escaped(b, value);
    esx_buf_add(b, "</value></extraConfig>");
}

void esx_meta_boot_text(const vmhi_vm_config *cfg, char *out, size_t size)
{
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t n = 0, len = 0;
    out[0] = '\0';
    if (vmhi_vm_config_get_boot_order(cfg, order, &n) != VMHI_OK)
        return;
    for (size_t i = 0; i < n && len < size; i++) {
        const char *name = order[i] == VMHI_BOOT_NETWORK ? "network"
                           : order[i] == VMHI_BOOT_CDROM ? "cdrom" : "disk";
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", name);
    }
}

/* ---------------------------------------------------------------- notes */

static void add_field(esx_buf *b, const char *text)
{
    esx_buf_add(b, "|");
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p == '%' || *p == '|' || *p == ';' || *p < 0x20 || *p == 0x7f) {
            esx_buf_addf(b, "%%%02X", *p);
        } else {
            char ch[2] = { (char)*p, '\0' };
            esx_buf_add(b, ch);
        }
    }
}

static void begin_note(esx_buf *b, const char *kind)
{
    if (b->len)
        esx_buf_add(b, ";");
    esx_buf_add(b, kind);
}

static void note_disk(esx_buf *b, const char *id, vmhi_disk_format format, vmhi_disk_bus bus,
                      uint64_t size_mib, const char *file, const char *path)
{
    char size[24];
    snprintf(size, sizeof(size), "%llu", (unsigned long long)size_mib);
    begin_note(b, "disk");
    add_field(b, id);
    add_field(b, vmhi_disk_format_name(format));
    add_field(b, vmhi_disk_bus_name(bus));
    add_field(b, size);
    add_field(b, file);
    add_field(b, path);
}

static void note_nic(esx_buf *b, const char *id, vmhi_nic_model model, const char *network,
                     const char *mac)
{
    begin_note(b, "nic");
    add_field(b, id);
    add_field(b, vmhi_nic_model_name(model));
    add_field(b, network);
    add_field(b, mac);
}

void esx_meta_note_disk(esx_buf *notes, const vmhi_disk *disk, const char *file)
{
    note_disk(notes, vmhi_disk_get_id(disk), vmhi_disk_get_format(disk),
              vmhi_disk_get_bus(disk), vmhi_disk_get_size_mib(disk), file,
              vmhi_disk_get_path(disk));
}

void esx_meta_note_nic(esx_buf *notes, const vmhi_nic *nic)
{
    const char *network = vmhi_nic_get_network(nic);
    note_nic(notes, vmhi_nic_get_id(nic), vmhi_nic_get_model(nic), network ? network : "",
             vmhi_nic_get_mac(nic));
}

void esx_meta_note_device(esx_buf *notes, const esx_device *dev)
{
    if (dev->kind == VMHI_DEVICE_DISK)
        note_disk(notes, dev->id, dev->format, dev->disk_bus, dev->size_mib, dev->file,
                  dev->path);
    else if (dev->kind == VMHI_DEVICE_NIC)
        note_nic(notes, dev->id, dev->model, dev->network, dev->mac);
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Splits one note (modified in place) into decoded fields; returns their number. */
static size_t split_note(char *note, char **fields, size_t max)
{
    size_t n = 0;
    char *field = note;
    for (;;) {
        char *end = strchr(field, '|');
        if (end)
            *end = '\0';
        char *w = field;
        for (char *r = field; *r; r++) {
            int hi, lo;
            if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0) {
                *w++ = (char)(hi * 16 + lo);
                r += 2;
            } else {
                *w++ = *r;
            }
        }
        *w = '\0';
        if (n < max)
            fields[n++] = field;
        if (!end)
            return n;
        field = end + 1;
    }
}

/* ------------------------------------------------------------ annotate */

static vmhi_disk_format format_named(const char *name)
{
    for (int f = VMHI_DISK_FORMAT_RAW; f <= VMHI_DISK_FORMAT_VMDK; f++)
        if (strcmp(vmhi_disk_format_name((vmhi_disk_format)f), name) == 0)
            return (vmhi_disk_format)f;
    return VMHI_DISK_FORMAT_VMDK;
}

static bool bus_named(const char *name, vmhi_disk_bus *out)
{
    for (int b = VMHI_DISK_BUS_VIRTIO; b <= VMHI_DISK_BUS_IDE; b++)
        if (strcmp(vmhi_disk_bus_name((vmhi_disk_bus)b), name) == 0) {
            *out = (vmhi_disk_bus)b;
            return true;
        }
    return false;
}

static bool model_named(const char *name, vmhi_nic_model *out)
{
    for (int m = VMHI_NIC_MODEL_VIRTIO; m <= VMHI_NIC_MODEL_RTL8139; m++)
        if (strcmp(vmhi_nic_model_name((vmhi_nic_model)m), name) == 0) {
            *out = (vmhi_nic_model)m;
            return true;
        }
    return false;
}

/* What ESX says: the view of a device no note names. */
static void derive(const esx_refs *r, const esx_devices *all, esx_device *d)
{
    snprintf(d->id, sizeof(d->id), "%s-%u", d->kind == VMHI_DEVICE_DISK ? "disk" : "nic",
             d->key);
    if (d->kind == VMHI_DEVICE_DISK) {
        const esx_device *ctl = esx_devices_find(all, (uint32_t)d->controller_key);
        esx_path_from_datastore(r, d->file, d->path, sizeof(d->path));
        d->format = VMHI_DISK_FORMAT_VMDK;
        d->disk_bus = esx_controller_bus(ctl ? ctl->type : "");
        d->size_mib = 0;
    } else {
        d->model = esx_nic_model_of(d->type);
        esx_copy(d->network, sizeof(d->network), d->portgroup);
    }
}

static void apply_disk_note(char **f, esx_device *d)
{
    vmhi_disk_bus bus;
    uint64_t size;
    esx_copy(d->id, sizeof(d->id), f[1]);
    d->format = format_named(f[2]);
    /* The noted bus holds while the disk sits on a controller of its class. */
    if (bus_named(f[3], &bus) && esx_bus_class(bus) == d->disk_bus)
        d->disk_bus = bus;
    d->size_mib = esx_parse_u64(f[4], &size) ? size : 0;
    esx_copy(d->path, sizeof(d->path), f[6]);
}

static void apply_nic_note(char **f, esx_device *d)
{
    vmhi_nic_model model;
    esx_copy(d->id, sizeof(d->id), f[1]);
    const char *type = model_named(f[2], &model) ? esx_nic_type(model) : NULL;
    if (type && strcmp(type, d->type) == 0)
        d->model = model;
    if (strcmp(esx_portgroup(f[3]), d->portgroup) == 0)
        esx_copy(d->network, sizeof(d->network), f[3]);
}

/* Applies one note to the device it names, if any. */
static void apply_note(char *note, esx_devices *devs)
{
    char *f[NOTE_FIELDS];
    size_t n = split_note(note, f, NOTE_FIELDS);
    bool disk = n == 7 && strcmp(f[0], "disk") == 0;
    bool nic = n == 5 && strcmp(f[0], "nic") == 0;
    if ((!disk && !nic) || !f[1][0] || strlen(f[1]) > VMHI_DEVICE_ID_MAX)
        return;
    for (size_t i = 0; i < devs->count; i++) {
        esx_device *d = &devs->items[i];
        if (disk && d->kind == VMHI_DEVICE_DISK && strcmp(d->file, f[5]) == 0)
            apply_disk_note(f, d);
        else if (nic && d->kind == VMHI_DEVICE_NIC && strcasecmp(d->mac, f[4]) == 0)
            apply_nic_note(f, d);
    }
}

int esx_meta_annotate(const esx_refs *r, const char *notes, esx_devices *devs)
{
    for (size_t i = 0; i < devs->count; i++)
        if (devs->items[i].kind)
            derive(r, devs, &devs->items[i]);
    size_t len = notes ? strlen(notes) : 0;
    if (!len)
        return VMHI_OK;
    char *copy = esx_alloc(len + 1);
    if (!copy)
        return VMHI_E_NOMEM;
    memcpy(copy, notes, len + 1);
    for (char *note = copy, *next; note; note = next) {
        next = strchr(note, ';');
        if (next)
            *next++ = '\0';
        apply_note(note, devs);
    }
    esx_free(copy);
    return VMHI_OK;
}
