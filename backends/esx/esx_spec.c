/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VMHI devices in vSphere terms.
 *
 *  - Disks are VMDKs on a datastore.  VMHI paths are the host's own paths
 *    of the files: /vmfs/volumes/<datastore>/<dir>/<file>.vmdk, or under
 *    the datastore's mount point (its summary.url; /vmfs/volumes/<uuid> on
 *    ESX, a directory for the simulator), which is "[<datastore>]
 *    <dir>/<file>.vmdk" in the API.  A disk with a size is created
 *    (thin); one without must exist.  DEFAULT and pvscsi disks go on a
 *    paravirtual SCSI controller (ParaVirtualSCSIController, ESX's native
 *    choice), scsi disks on an LSI Logic one (VirtualLsiLogicController),
 *    SATA disks on an AHCI controller, IDE disks on the two IDE
 *    controllers every VM has.  raw and vmdk formats are both taken as
 *    VMDK (a flat VMDK is raw).  What ESX cannot honour (virtio and xen
 *    buses, qcow2, read-only disks) is declared absent by get_value_caps,
 *    so the core refuses it before a slot runs.
 *  - NICs: DEFAULT and vmxnet3 are VirtualVmxnet3, e1000 is VirtualE1000;
 *    other models are declared absent.  The network is a port group name;
 *    "default" means "VM Network".
 *  - Device ids and the VMHI names ESX does not keep (raw, the network
 *    "default", a disk's target...) come from the device notes (esx_meta.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esx.h"

#define VOLUMES "/vmfs/volumes/"
#define DEFAULT_NETWORK "VM Network"
#define SCSI_UNITS 16u
#define SCSI_CONTROLLER_UNIT 7u

/* ------------------------------------------------------------- parsing */

static bool is_nic_type(const char *type)
{
    static const char *const nics[] = { "VirtualE1000", "VirtualE1000e", "VirtualVmxnet",
                                        "VirtualVmxnet2", "VirtualVmxnet3", "VirtualPCNet32",
                                        "VirtualVmxnet3Vrdma", "VirtualSriovEthernetCard" };
    for (size_t i = 0; i < sizeof(nics) / sizeof(nics[0]); i++)
        if (strcmp(type, nics[i]) == 0)
            return true;
    return false;
}

static int32_t child_int(const xmlNode *node, const char *name, int32_t fallback)
{
    char text[32];
    int64_t v;
    const char *t = esx_xml_child_text(node, name, text, sizeof(text));
    return t && esx_parse_i64(t, &v) ? (int32_t)v : fallback;
}

static void parse_backing(const xmlNode *dev, esx_device *out)
{
    const xmlNode *backing = esx_xml_child(dev, "backing");
    char text[ESX_PATH_MAX];
    if (out->kind == VMHI_DEVICE_DISK) {
        const char *file = esx_xml_child_text(backing, "fileName", text, sizeof(text));
        esx_copy(out->file, sizeof(out->file), file ? file : "");
    } else if (out->kind == VMHI_DEVICE_NIC) {
        const char *name = esx_xml_child_text(backing, "deviceName", text, sizeof(text));
        if (!name) { /* distributed port group: name it by its key */
            const xmlNode *port = esx_xml_child(backing, "port");
            name = esx_xml_child_text(port, "portgroupKey", text, sizeof(text));
        }
        esx_copy(out->portgroup, sizeof(out->portgroup), name ? name : "");
        const char *mac = esx_xml_child_text(dev, "macAddress", text, sizeof(text));
        esx_copy(out->mac, sizeof(out->mac), mac ? mac : "");
        for (char *p = out->mac; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
}

static void parse_device(const xmlNode *dev, esx_device *out)
{
    char text[32];
    uint64_t v;
    memset(out, 0, sizeof(*out));
    esx_xml_xsi_type(dev, out->type, sizeof(out->type));
    out->key = (uint32_t)child_int(dev, "key", 0);
    out->controller_key = child_int(dev, "controllerKey", -1);
    out->unit = child_int(dev, "unitNumber", -1);
    out->bus = child_int(dev, "busNumber", -1);
    if (strcmp(out->type, "VirtualDisk") == 0)
        out->kind = VMHI_DEVICE_DISK;
    else if (is_nic_type(out->type))
        out->kind = VMHI_DEVICE_NIC;
    const char *cap = esx_xml_child_text(dev, "capacityInKB", text, sizeof(text));
    if (cap && esx_parse_u64(cap, &v))
        out->capacity_kib = v;
    parse_backing(dev, out);
}

int esx_devices_parse(const xmlNode *array, esx_devices *out)
{
    size_t n = 0;
    out->items = NULL;
    out->count = 0;
    for (const xmlNode *d = array ? array->children : NULL; d; d = d->next)
        n += d->type == XML_ELEMENT_NODE;
    if (!n)
        return VMHI_OK;
    if (!(out->items = esx_alloc(n * sizeof(esx_device))))
        return VMHI_E_NOMEM;
    for (const xmlNode *d = array->children; d; d = d->next)
        if (d->type == XML_ELEMENT_NODE)
            parse_device(d, &out->items[out->count++]);
    return VMHI_OK;
}

void esx_devices_free(esx_devices *d)
{
    esx_free(d->items);
    d->items = NULL;
    d->count = 0;
}

const esx_device *esx_devices_find(const esx_devices *d, uint32_t key)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].key == key)
            return &d->items[i];
    return NULL;
}

const esx_device *esx_devices_find_id(const esx_devices *d, const char *id)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].kind && strcmp(d->items[i].id, id) == 0)
            return &d->items[i];
    return NULL;
}

vmhi_disk_bus esx_controller_bus(const char *type)
{
    if (strcmp(type, "VirtualAHCIController") == 0)
        return VMHI_DISK_BUS_SATA;
    if (strcmp(type, "VirtualIDEController") == 0)
        return VMHI_DISK_BUS_IDE;
    if (strcmp(type, "ParaVirtualSCSIController") == 0)
        return VMHI_DISK_BUS_PVSCSI;
    return VMHI_DISK_BUS_SCSI; /* LSI Logic (parallel, SAS), BusLogic */
}

vmhi_disk_bus esx_disk_bus(vmhi_disk_bus bus)
{
    return bus == VMHI_DISK_BUS_DEFAULT ? VMHI_DISK_BUS_PVSCSI : bus;
}

vmhi_nic_model esx_nic_model(vmhi_nic_model model)
{
    return model == VMHI_NIC_MODEL_DEFAULT ? VMHI_NIC_MODEL_VMXNET3 : model;
}

const char *esx_nic_type(vmhi_nic_model model)
{
    switch (esx_nic_model(model)) {
    case VMHI_NIC_MODEL_E1000: return "VirtualE1000";
    case VMHI_NIC_MODEL_VMXNET3: return "VirtualVmxnet3";
    default: return NULL;
    }
}

vmhi_nic_model esx_nic_model_of(const char *type)
{
    return strncmp(type, "VirtualVmxnet", 13) == 0 ? VMHI_NIC_MODEL_VMXNET3 : VMHI_NIC_MODEL_E1000;
}

const char *esx_portgroup(const char *network)
{
    return !network || !network[0] || strcmp(network, "default") == 0 ? DEFAULT_NETWORK : network;
}

/* --------------------------------------------------------------- paths */

/* Whether @path starts with the directory @dir; *rest is what follows. */
static bool under(const char *path, const char *dir, const char **rest)
{
    size_t n = strlen(dir);
    while (n && dir[n - 1] == '/')
        n--;
    if (!n || strncmp(path, dir, n) != 0 || path[n] != '/' || !path[n + 1])
        return false;
    *rest = path + n + 1;
    return true;
}

int esx_path_to_datastore(const esx_refs *r, const char *path, char *out, size_t size)
{
    const char *name = NULL, *rest = NULL;
    char by_name[512];
    for (size_t i = 0; i < r->ndatastores && !name; i++) {
        snprintf(by_name, sizeof(by_name), VOLUMES "%s", r->datastores[i].name);
        if (under(path, by_name, &rest) || under(path, r->datastores[i].path, &rest))
            name = r->datastores[i].name;
    }
    if (!name && strncmp(path, VOLUMES, strlen(VOLUMES)) == 0)
        return esx_error(VMHI_E_NOT_FOUND, "esx: disk path '%s' names a datastore this host "
                         "does not have%s%s%s", path, r->ndatastores ? " (datastores: " : "",
                         r->ndatastores ? r->datastores[0].name : "",
                         r->ndatastores ? (r->ndatastores > 1 ? ", ...)" : ")") : "");
    if (!name)
        return esx_error(VMHI_E_INVALID_ARG, "esx: disk path '%s' is not on a datastore of "
                         "this host; ESX disks are named /vmfs/volumes/<datastore>/<dir>/<file>"
                         "%s%s", path, r->ndatastores ? " (datastores: " : "",
                         r->ndatastores ? r->datastores[0].name : "");
    int n = snprintf(out, size, "[%s] %s", name, rest);
    if (n < 0 || (size_t)n >= size)
        return esx_error(VMHI_E_INVALID_ARG, "esx: disk path '%s' is too long", path);
    return VMHI_OK;
}

void esx_path_from_datastore(const esx_refs *r, const char *ds_path, char *out, size_t size)
{
    const char *close = ds_path[0] == '[' ? strchr(ds_path, ']') : NULL;
    if (!close) {
        esx_copy(out, size, ds_path);
        return;
    }
    const char *rest = close + 1;
    while (*rest == ' ')
        rest++;
    int len = (int)(close - ds_path - 1);
    for (size_t i = 0; i < r->ndatastores; i++) {
        const char *mount = r->datastores[i].path;
        if ((int)strlen(r->datastores[i].name) == len &&
            strncmp(r->datastores[i].name, ds_path + 1, (size_t)len) == 0 && mount[0] == '/') {
            size_t m = strlen(mount);
            snprintf(out, size, "%.*s/%s", (int)(m && mount[m - 1] == '/' ? m - 1 : m), mount,
                     rest);
            return;
        }
    }
    snprintf(out, size, VOLUMES "%.*s/%s", len, ds_path + 1, rest);
}

/* ------------------------------------------------------------ building */

/* The slot record of the first controller of @type, or NULL. */
static esx_slot_ctl *slot_of(esx_slots *s, const char *type)
{
    if (strcmp(type, "ParaVirtualSCSIController") == 0)
        return &s->pvscsi;
    if (strcmp(type, "VirtualLsiLogicController") == 0)
        return &s->lsi;
    if (strcmp(type, "VirtualAHCIController") == 0)
        return &s->sata;
    return NULL;
}

void esx_slots_init(esx_slots *s, const esx_devices *existing)
{
    memset(s, 0, sizeof(*s));
    s->next_temp_key = -100;
    for (size_t i = 0; existing && i < existing->count; i++) {
        const esx_device *d = &existing->items[i];
        esx_slot_ctl *ctl = slot_of(s, d->type);
        if (strstr(d->type, "SCSIController") || strstr(d->type, "LsiLogic") ||
            strstr(d->type, "BusLogic"))
            s->scsi_buses |= d->bus >= 0 && d->bus < 4 ? 1u << d->bus : 0;
        if (ctl && !ctl->have) {
            ctl->key = (int32_t)d->key;
            ctl->have = true;
            /* Unit 7 of a SCSI bus is the controller itself. */
            ctl->used = ctl != &s->sata ? 1u << SCSI_CONTROLLER_UNIT : 0;
        }
    }
    for (size_t i = 0; existing && i < existing->count; i++) {
        const esx_device *d = &existing->items[i];
        if (d->unit < 0 || d->unit >= 32)
            continue;
        if (s->pvscsi.have && d->controller_key == s->pvscsi.key)
            s->pvscsi.used |= 1u << d->unit;
        else if (s->lsi.have && d->controller_key == s->lsi.key)
            s->lsi.used |= 1u << d->unit;
        else if (s->sata.have && d->controller_key == s->sata.key)
            s->sata.used |= 1u << d->unit;
        else if (d->controller_key == 200 || d->controller_key == 201)
            s->ide_used |= 1u << ((d->controller_key - 200) * 2 + d->unit);
    }
}

/* Adds the controller @ctl of @type in this spec (bus: the first free). */
static int add_controller(esx_buf *b, esx_slots *s, esx_slot_ctl *ctl, const char *type,
                          bool scsi)
{
    int bus = 0;
    if (scsi) {
        while (bus < 4 && (s->scsi_buses & (1u << bus)))
            bus++;
        if (bus == 4)
            return esx_error(VMHI_E_LIMIT, "esx: the VM has 4 SCSI controllers already, the "
                             "most ESX gives a VM");
        s->scsi_buses |= 1u << bus;
        ctl->used = 1u << SCSI_CONTROLLER_UNIT;
    }
    ctl->key = s->next_temp_key--;
    ctl->have = ctl->added = true;
    esx_buf_add(b, "<deviceChange><operation>add</operation>");
    esx_buf_addf(b, "<device xsi:type=\"vim25:%s\"><key>%d</key><busNumber>%d</busNumber>",
                 type, ctl->key, bus);
    if (scsi)
        esx_buf_add(b, "<sharedBus>noSharing</sharedBus>");
    esx_buf_add(b, "</device></deviceChange>");
    return VMHI_OK;
}

static int free_unit(unsigned int *used, unsigned int units, const char *bus)
{
    for (unsigned int u = 0; u < units; u++) {
        if (!(*used & (1u << u))) {
            *used |= 1u << u;
            return (int)u;
        }
    }
    return esx_error(VMHI_E_LIMIT, "esx: no free %s slot for another disk", bus);
}

/* Picks controller and unit for a disk on @bus, adding the controller. */
static int place_disk(esx_buf *b, esx_slots *s, vmhi_disk_bus bus, int32_t *ctl, int *unit)
{
    if (bus == VMHI_DISK_BUS_IDE) {
        int slot = free_unit(&s->ide_used, 4, "IDE");
        if (slot < 0)
            return slot;
        *ctl = 200 + slot / 2;
        *unit = slot % 2;
        return VMHI_OK;
    }
    const char *type = bus == VMHI_DISK_BUS_SATA ? "VirtualAHCIController"
                       : bus == VMHI_DISK_BUS_SCSI ? "VirtualLsiLogicController"
                                                   : "ParaVirtualSCSIController";
    bool scsi = bus != VMHI_DISK_BUS_SATA;
    esx_slot_ctl *c = slot_of(s, type);
    int rc = c->have ? VMHI_OK : add_controller(b, s, c, type, scsi);
    if (rc < 0)
        return rc;
    int u = free_unit(&c->used, scsi ? SCSI_UNITS : 30, vmhi_disk_bus_name(bus));
    if (u < 0)
        return u;
    *ctl = c->key;
    *unit = u;
    return VMHI_OK;
}

int esx_spec_add_disk(esx_buf *b, esx_slots *s, const vmhi_disk *disk, const char *file,
                      bool create_ok)
{
    int32_t ctl = 0;
    int unit = 0;
    int rc = place_disk(b, s, esx_disk_bus(vmhi_disk_get_bus(disk)), &ctl, &unit);
    if (rc < 0)
        return rc;
    uint64_t size = vmhi_disk_get_size_mib(disk);
    esx_buf_add(b, "<deviceChange><operation>add</operation>");
    if (size && create_ok)
        esx_buf_add(b, "<fileOperation>create</fileOperation>");
    esx_buf_addf(b, "<device xsi:type=\"vim25:VirtualDisk\"><key>%d</key>", s->next_temp_key--);
    esx_buf_add(b, "<backing xsi:type=\"vim25:VirtualDiskFlatVer2BackingInfo\">");
    esx_buf_elem(b, "fileName", file);
    esx_buf_add(b, "<diskMode>persistent</diskMode>");
    if (size)
        esx_buf_add(b, "<thinProvisioned>true</thinProvisioned>");
    esx_buf_addf(b, "</backing><controllerKey>%d</controllerKey><unitNumber>%d</unitNumber>", ctl,
                 unit);
    if (size)
        esx_buf_addf(b, "<capacityInKB>%llu</capacityInKB>", (unsigned long long)size * 1024u);
    esx_buf_add(b, "</device></deviceChange>");
    return VMHI_OK;
}

int esx_spec_add_nic(esx_buf *b, esx_slots *s, const vmhi_nic *nic)
{
    const char *type = esx_nic_type(vmhi_nic_get_model(nic));
    if (!type) /* the core refuses models get_value_caps leaves out */
        return esx_error(VMHI_E_INTERNAL, "esx: NIC model %s reached the backend, which "
                         "declared it absent", vmhi_nic_model_name(vmhi_nic_get_model(nic)));
    const char *mac = vmhi_nic_get_mac(nic);
    if (!mac)
        return esx_error(VMHI_E_INTERNAL, "esx: NIC '%s' has no MAC address",
                         vmhi_nic_get_id(nic));
    esx_buf_add(b, "<deviceChange><operation>add</operation>");
    esx_buf_addf(b, "<device xsi:type=\"vim25:%s\"><key>%d</key>", type, s->next_temp_key--);
    esx_buf_add(b, "<backing xsi:type=\"vim25:VirtualEthernetCardNetworkBackingInfo\">");
    esx_buf_elem(b, "deviceName", esx_portgroup(vmhi_nic_get_network(nic)));
    esx_buf_add(b, "</backing><connectable><startConnected>true</startConnected>"
                   "<allowGuestControl>true</allowGuestControl><connected>true</connected>"
                   "</connectable>");
    /* MACs are chosen by VMHI (esx_definition_normalize()), so that the
     * device notes can name the NIC before ESX numbers it. */
    esx_buf_add(b, "<addressType>manual</addressType>");
    esx_buf_elem(b, "macAddress", mac);
    esx_buf_add(b, "</device></deviceChange>");
    return VMHI_OK;
}

void esx_spec_remove_device(esx_buf *b, const esx_device *dev)
{
    /* Disks are detached, never deleted: the image stays on the datastore. */
    esx_buf_add(b, "<deviceChange><operation>remove</operation>");
    esx_buf_addf(b, "<device xsi:type=\"vim25:%s\"><key>%u</key></device></deviceChange>",
                 dev->type, dev->key);
}
