/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The parts of a VMHI description vSphere has no field for, kept in the
 * VM's extraConfig (see ESX_KEY_* in esx.h): the vCPU maximum, the current
 * memory (kept here so that a listing need not read the limit), the boot
 * order, whether the VM was undefined while active (transient), the
 * definition waiting for the next start from shutoff, the device notes
 * and the metadata bag.
 *
 * Device notes give each disk and NIC its VMHI id and the names ESX does
 * not keep (format, network, the path as the application wrote it, the
 * disk's target name).  A note names its device by what the backend chose
 * before ESX assigned keys: the datastore file of a disk, the MAC address
 * of a NIC.  A device no note names (added outside VMHI) gets a view
 * derived from ESX's facts and the id "disk-<key>" / "nic-<key>".  Bus and
 * model are ESX facts (controller and NIC type); the notes repeat them for
 * a reader of the .vmx.
 *
 *   notes := note (';' note)*
 *   note  := "disk" '|' id '|' format '|' bus '|' size-MiB '|' file '|' path
 *            ['|' target]
 *          | "nic" '|' id '|' model '|' network '|' mac
 *
 * Fields are percent-encoded ('%', '|', ';' and control characters), so
 * the value is one line of printable text in the VM's .vmx file.
 *
 * Metadata: one extraConfig entry per bag entry, key "vmhi.meta." plus the
 * encoded bag key, value the percent-encoded bag value.  The .vmx keys
 * extraConfig lands in are not reliably case-sensitive (the VMX looks
 * options up without regard to case on some products) and VMware's own
 * keys use only letters, digits, '.', ':' and '_'; so the encoded key is
 * lower case from [a-z0-9.:_]: '_' escapes "__" ('_'), "_0" ('-') and
 * "_" + letter (that letter in upper case).  An empty extraConfig value
 * removes a key on ESX, so an empty bag value is written "%00".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "esx.h"

#define NOTE_FIELDS 8

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
    char name[16];
    m->nboot = 0;
    while (*text && m->nboot < VMHI_BOOT_ORDER_MAX) {
        size_t len = strcspn(text, ",");
        vmhi_boot_dev dev;
        /* A device VMHI no longer has (an old "cdrom") is left out. */
        if (len < sizeof(name)) {
            memcpy(name, text, len);
            name[len] = '\0';
            if (vmhi_boot_dev_from_name(name, &dev) == VMHI_OK)
                m->boot[m->nboot++] = dev;
        }
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

/* ------------------------------------------------------------- metadata */

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

void esx_meta_key_encode(const char *key, char *out, size_t size)
{
    int len = snprintf(out, size, "%s", ESX_KEY_META);
    size_t n = len > 0 ? (size_t)len : 0;
    for (const char *p = key; *p && n + 3 < size; p++) {
        char ch = *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == ':') {
            out[n++] = ch;
        } else {
            out[n++] = '_';
            out[n++] = ch == '_' ? '_' : ch == '-' ? '0' : (char)(ch - 'A' + 'a');
        }
    }
    out[n < size ? n : size - 1] = '\0';
}

bool esx_meta_key_decode(const char *xkey, char *out, size_t size)
{
    size_t prefix = strlen(ESX_KEY_META), n = 0;
    if (strncmp(xkey, ESX_KEY_META, prefix) != 0)
        return false;
    for (const char *p = xkey + prefix; *p; p++) {
        char ch = *p;
        if (ch == '_') {
            ch = *++p;
            if (ch == '_' || ch == '0')
                ch = ch == '0' ? '-' : '_';
            else if (ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 'a' + 'A');
            else
                return false;
        } else if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a'); /* a server that changed the case */
        }
        if (n + 1 >= size)
            return false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n > 0;
}

/* Decodes a percent-encoded value in place ("%00" ends it: empty). */
static void value_decode(char *text)
{
    char *w = text;
    for (char *r = text; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static void value_encode(esx_buf *b, const char *value)
{
    if (!value[0]) {
        esx_buf_add(b, "%00");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '%' || *p < 0x20 || *p == 0x7f) {
            esx_buf_addf(b, "%%%02X", *p);
        } else {
            char ch[2] = { (char)*p, '\0' };
            esx_buf_add(b, ch);
        }
    }
}

static esx_meta_entry *entry_of(const esx_meta *m, const char *key)
{
    for (size_t i = 0; i < m->nentries; i++)
        if (strcmp(m->entries[i].key, key) == 0)
            return &m->entries[i];
    return NULL;
}

const char *esx_meta_find(const esx_meta *m, const char *key)
{
    const esx_meta_entry *e = m ? entry_of(m, key) : NULL;
    return e ? e->value : NULL;
}

static esx_meta_entry *new_entry(esx_meta *m, const char *key)
{
    if (m->nentries == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        esx_meta_entry *grown = esx_alloc(cap * sizeof(*grown));
        if (!grown)
            return NULL;
        if (m->nentries)
            memcpy(grown, m->entries, m->nentries * sizeof(*grown));
        esx_free(m->entries);
        m->entries = grown;
        m->cap = cap;
    }
    esx_meta_entry *e = &m->entries[m->nentries];
    e->value = NULL;
    if (!(e->key = esx_strdup(key)))
        return NULL;
    m->nentries++;
    return e;
}

/* Records entry @key = @value (an empty @value: removed); the last
 * occurrence of a key counts. */
static int keep_entry(esx_meta *m, const char *key, const xmlNode *value)
{
    esx_meta_entry *e = entry_of(m, key);
    if (!e && !(e = new_entry(m, key)))
        return VMHI_E_NOMEM;
    int rc = keep_text(&e->value, value);
    if (rc == VMHI_OK && e->value)
        value_decode(e->value);
    return rc;
}

void esx_meta_spec_bag(esx_buf *b, const vmhi_vm_config *cfg, const esx_meta *old)
{
    char xkey[2 * VMHI_METADATA_KEY_MAX + 16];
    size_t n = vmhi_vm_config_get_metadata_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *key = NULL, *value = NULL;
        if (vmhi_vm_config_get_metadata_at(cfg, i, &key, &value) != VMHI_OK)
            continue;
        const char *was = esx_meta_find(old, key);
        if (was && strcmp(was, value) == 0)
            continue;
        esx_buf text;
        esx_buf_init(&text);
        value_encode(&text, value);
        if (text.oom)
            b->oom = true;
        esx_meta_key_encode(key, xkey, sizeof(xkey));
        esx_meta_spec(b, xkey, text.data ? text.data : "");
        esx_buf_free(&text);
    }
    for (size_t i = 0; old && i < old->nentries; i++) {
        const esx_meta_entry *e = &old->entries[i];
        if (e->value && !vmhi_vm_config_get_metadata(cfg, e->key)) {
            esx_meta_key_encode(e->key, xkey, sizeof(xkey));
            esx_meta_spec(b, xkey, "");
        }
    }
}

/* ------------------------------------------------------- parse / write */

int esx_meta_parse(const xmlNode *array, esx_meta *out)
{
    char key[2 * VMHI_METADATA_KEY_MAX + 16], bag_key[VMHI_METADATA_KEY_MAX + 1];
    memset(out, 0, sizeof(*out));
    for (const xmlNode *o = array ? array->children : NULL; o; o = o->next) {
        if (o->type != XML_ELEMENT_NODE || !esx_xml_child_text(o, "key", key, sizeof(key)) ||
            strncmp(key, "vmhi.", 5) != 0)
            continue;
        const xmlNode *value = esx_xml_child(o, "value");
        int rc = esx_meta_key_decode(key, bag_key, sizeof(bag_key))
                     ? keep_entry(out, bag_key, value)
                     : apply_option(out, key, value);
        if (rc < 0) {
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
    for (size_t i = 0; i < m->nentries; i++) {
        esx_free(m->entries[i].key);
        esx_free(m->entries[i].value);
    }
    esx_free(m->entries);
    m->devices = m->definition = NULL;
    m->entries = NULL;
    m->nentries = m->cap = 0;
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
        const char *name = vmhi_boot_dev_name(order[i]);
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", name ? name : "");
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

static void note_disk(esx_buf *b, const esx_device *d)
{
    char size[24];
    snprintf(size, sizeof(size), "%llu", (unsigned long long)d->size_mib);
    begin_note(b, "disk");
    add_field(b, d->id);
    add_field(b, vmhi_disk_format_name(d->format));
    add_field(b, vmhi_disk_bus_name(d->disk_bus));
    add_field(b, size);
    add_field(b, d->file);
    add_field(b, d->path);
    add_field(b, d->target);
}

static void note_nic(esx_buf *b, const esx_device *d)
{
    begin_note(b, "nic");
    add_field(b, d->id);
    add_field(b, vmhi_nic_model_name(d->model));
    add_field(b, d->network);
    add_field(b, d->mac);
}

void esx_meta_note_disk(esx_buf *notes, const vmhi_disk *disk, const char *file)
{
    esx_device d;
    const char *target = vmhi_disk_get_target(disk);
    memset(&d, 0, sizeof(d));
    esx_copy(d.id, sizeof(d.id), vmhi_disk_get_id(disk));
    d.format = vmhi_disk_get_format(disk);
    d.disk_bus = esx_disk_bus(vmhi_disk_get_bus(disk));
    d.size_mib = vmhi_disk_get_size_mib(disk);
    esx_copy(d.file, sizeof(d.file), file);
    esx_copy(d.path, sizeof(d.path), vmhi_disk_get_path(disk));
    esx_copy(d.target, sizeof(d.target), target ? target : "");
    note_disk(notes, &d);
}

void esx_meta_note_nic(esx_buf *notes, const vmhi_nic *nic)
{
    const char *network = vmhi_nic_get_network(nic), *mac = vmhi_nic_get_mac(nic);
    begin_note(notes, "nic");
    add_field(notes, vmhi_nic_get_id(nic));
    add_field(notes, vmhi_nic_model_name(esx_nic_model(vmhi_nic_get_model(nic))));
    add_field(notes, network ? network : "");
    add_field(notes, mac ? mac : "");
}

void esx_meta_note_device(esx_buf *notes, const esx_device *dev)
{
    if (dev->kind == VMHI_DEVICE_DISK)
        note_disk(notes, dev);
    else if (dev->kind == VMHI_DEVICE_NIC)
        note_nic(notes, dev);
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
        d->target[0] = '\0';
    } else {
        d->model = esx_nic_model_of(d->type);
        esx_copy(d->network, sizeof(d->network), d->portgroup);
    }
}

static int bad_note(const char *kind, const char *id, const char *field, const char *value)
{
    return esx_error_native(VMHI_E_PARSE, ESX_KEY_DEVICES, "esx: the device note of %s '%s' "
                            "in extraConfig %s names the %s '%s', which VMHI does not know "
                            "(the note was edited outside VMHI: define the VM again)", kind,
                            id, ESX_KEY_DEVICES, field, value);
}

static int apply_disk_note(char **f, size_t n, esx_device *d)
{
    vmhi_disk_format format;
    vmhi_disk_bus bus;
    uint64_t size;
    if (vmhi_disk_format_from_name(f[2], &format) != VMHI_OK)
        return bad_note("disk", f[1], "format", f[2]);
    if (vmhi_disk_bus_from_name(f[3], &bus) != VMHI_OK)
        return bad_note("disk", f[1], "bus", f[3]);
    esx_copy(d->id, sizeof(d->id), f[1]);
    d->format = format;
    /* The bus is the controller's (an ESX fact); the note only repeats it. */
    d->size_mib = esx_parse_u64(f[4], &size) ? size : 0;
    esx_copy(d->path, sizeof(d->path), f[6]);
    esx_copy(d->target, sizeof(d->target),
             n > 7 && strlen(f[7]) < sizeof(d->target) ? f[7] : "");
    return VMHI_OK;
}

static int apply_nic_note(char **f, esx_device *d)
{
    vmhi_nic_model model;
    if (vmhi_nic_model_from_name(f[2], &model) != VMHI_OK)
        return bad_note("NIC", f[1], "model", f[2]);
    esx_copy(d->id, sizeof(d->id), f[1]);
    /* The model is the NIC's type (an ESX fact); the note only repeats it. */
    if (strcmp(esx_portgroup(f[3]), d->portgroup) == 0)
        esx_copy(d->network, sizeof(d->network), f[3]);
    return VMHI_OK;
}

/* Applies one note to the device it names, if any. */
static int apply_note(char *note, esx_devices *devs)
{
    char *f[NOTE_FIELDS];
    size_t n = split_note(note, f, NOTE_FIELDS);
    bool disk = (n == 7 || n == 8) && strcmp(f[0], "disk") == 0;
    bool nic = n == 5 && strcmp(f[0], "nic") == 0;
    if ((!disk && !nic) || !f[1][0] || strlen(f[1]) > VMHI_DEVICE_ID_MAX)
        return VMHI_OK;
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < devs->count; i++) {
        esx_device *d = &devs->items[i];
        if (disk && d->kind == VMHI_DEVICE_DISK && strcmp(d->file, f[5]) == 0)
            rc = apply_disk_note(f, n, d);
        else if (nic && d->kind == VMHI_DEVICE_NIC && strcasecmp(d->mac, f[4]) == 0)
            rc = apply_nic_note(f, d);
    }
    return rc;
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
    int rc = VMHI_OK;
    for (char *note = copy, *next; note && rc == VMHI_OK; note = next) {
        next = strchr(note, ';');
        if (next)
            *next++ = '\0';
        rc = apply_note(note, devs);
    }
    esx_free(copy);
    return rc;
}
