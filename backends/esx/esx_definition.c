/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VMHI definitions on ESX.
 *
 * A VMHI definition is the VM's vSphere configuration (vCPUs, memory,
 * firmware, disks, NICs) plus the notes of esx_meta.c for what vSphere
 * does not keep.  ESX has one configuration per VM, which a running VM
 * uses at once, while VMHI lets a definition change without touching the
 * running VM (LC-DEFINE-2).  So a definition given to an active or
 * suspended VM waits, as JSON in extraConfig vmhi.definition, and the VM
 * takes it when it next starts from shutoff (LC-START-5); until then
 * vmhi_vm_get_config() of the inactive VM and vmhi_vm_get_info() report
 * it.  A VM found shut off with a waiting definition (powered off outside
 * VMHI) takes it before anything else changes its configuration.
 *
 * Making a VM match a definition is one ReconfigVM_Task: devices are kept
 * when the definition has one with the same identity (disk file, NIC MAC)
 * and the same hardware (controller class, NIC type, port group), and
 * removed or added otherwise; disks are never deleted from the datastore.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "esx.h"

/* ----------------------------------------------------------- reading */

int esx_view_read(esx_conn *c, const char *moref, esx_view *out)
{
    static const char *const paths[] = { "config.hardware.device", "config.extraConfig",
                                         "config.firmware", NULL };
    char firmware[16];
    esx_reply r;
    memset(out, 0, sizeof(*out));
    int rc = esx_read_props(c, "VirtualMachine", moref, paths, &r);
    if (rc < 0)
        return rc;
    if (!esx_xml_child(esx_xml_child(r.result, "returnval"), "objects")) {
        esx_reply_free(&r);
        return esx_error_native(VMHI_E_NO_VM, "ManagedObjectNotFound",
                                "esx: the VM %s no longer exists", moref);
    }
    out->efi = strcmp(esx_xml_text(esx_reply_prop(&r, "config.firmware"), firmware,
                                   sizeof(firmware)), "efi") == 0;
    rc = esx_devices_parse(esx_reply_prop(&r, "config.hardware.device"), &out->devs);
    if (rc == VMHI_OK)
        rc = esx_meta_parse(esx_reply_prop(&r, "config.extraConfig"), &out->meta);
    if (rc == VMHI_OK)
        rc = esx_meta_annotate(&c->refs, out->meta.devices, &out->devs);
    esx_reply_free(&r);
    if (rc < 0) {
        esx_view_free(out);
        return esx_error(rc, "esx: out of memory reading the configuration of %s", moref);
    }
    return VMHI_OK;
}

void esx_view_free(esx_view *v)
{
    esx_devices_free(&v->devs);
    esx_meta_free(&v->meta);
}

/* --------------------------------------------------- as a description */

static int config_basics(vmhi_vm_config *cfg, const esx_vm *vm, const esx_view *v)
{
    uint64_t mem = esx_vm_memory(vm);
    unsigned int vcpus = vm->vcpus ? vm->vcpus : 1;
    int rc = vmhi_vm_config_set_name(cfg, vm->name);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_uuid(cfg, vm->uuid);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_max_vcpus(cfg, v->meta.max_vcpus > vcpus ? v->meta.max_vcpus
                                                                          : vcpus);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_vcpus(cfg, vcpus);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_max_memory_mib(cfg, vm->memory_mib ? vm->memory_mib : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_memory_mib(cfg, mem ? mem : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_firmware(cfg, v->efi ? VMHI_FIRMWARE_UEFI : VMHI_FIRMWARE_BIOS);
    /* Every ESX guest is fully virtualized: DEFAULT reads back as HVM. */
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_HVM);
    if (rc == VMHI_OK && v->meta.nboot)
        rc = vmhi_vm_config_set_boot_order(cfg, v->meta.boot, v->meta.nboot);
    for (size_t i = 0; rc == VMHI_OK && i < v->meta.nentries; i++)
        if (v->meta.entries[i].value)
            rc = vmhi_vm_config_set_metadata(cfg, v->meta.entries[i].key,
                                             v->meta.entries[i].value);
    return rc;
}

static int add_disk(vmhi_vm_config *cfg, const esx_device *d)
{
    vmhi_disk *disk = NULL;
    int rc = vmhi_disk_new(&disk);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(disk, d->id);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(disk, d->path);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(disk, d->format);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(disk, d->disk_bus);
    if (rc == VMHI_OK && d->size_mib)
        rc = vmhi_disk_set_size_mib(disk, d->size_mib);
    if (rc == VMHI_OK && d->target[0])
        rc = vmhi_disk_set_target(disk, d->target);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_disk(cfg, disk);
    vmhi_disk_free(disk);
    return rc;
}

static int add_nic(vmhi_vm_config *cfg, const esx_device *d)
{
    vmhi_nic *nic = NULL;
    int rc = vmhi_nic_new(&nic);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(nic, d->id);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(nic, d->model);
    if (rc == VMHI_OK && d->mac[0])
        rc = vmhi_nic_set_mac(nic, d->mac);
    if (rc == VMHI_OK && d->network[0])
        rc = vmhi_nic_set_network(nic, d->network);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_nic(cfg, nic);
    vmhi_nic_free(nic);
    return rc;
}

/* Public config calls made here set their own last error; this reports
 * a failure as one about @vm. */
static int no_vmhi_form(const esx_vm *vm, int rc)
{
    char why[512];
    esx_copy(why, sizeof(why), vmhi_error_last_message());
    return esx_error(rc, "esx: the configuration of VM '%s' has no VMHI form: %s", vm->name,
                     why);
}

int esx_view_config(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out)
{
    vmhi_vm_config *cfg = NULL;
    int rc = vmhi_vm_config_new(&cfg);
    if (rc == VMHI_OK)
        rc = config_basics(cfg, vm, v);
    for (size_t i = 0; rc == VMHI_OK && i < v->devs.count; i++)
        if (v->devs.items[i].kind == VMHI_DEVICE_DISK)
            rc = add_disk(cfg, &v->devs.items[i]);
    for (size_t i = 0; rc == VMHI_OK && i < v->devs.count; i++)
        if (v->devs.items[i].kind == VMHI_DEVICE_NIC)
            rc = add_nic(cfg, &v->devs.items[i]);
    if (rc < 0) {
        rc = no_vmhi_form(vm, rc);
        vmhi_vm_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return VMHI_OK;
}

int esx_view_waiting(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out)
{
    *out = NULL;
    if (!v->meta.definition)
        return VMHI_OK;
    int rc = vmhi_vm_config_from_json(out, v->meta.definition, strlen(v->meta.definition));
    return rc < 0 ? no_vmhi_form(vm, rc) : VMHI_OK;
}

int esx_view_definition(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out)
{
    vmhi_vm_state st = esx_vm_state(vm);
    bool active = st == VMHI_STATE_RUNNING || st == VMHI_STATE_SHUTTING_DOWN;
    if (active || !v->meta.definition)
        return esx_view_config(vm, v, out);
    return esx_view_waiting(vm, v, out);
}

/* ------------------------------------------------------ normalizing */

static bool mac_taken(const vmhi_vm_config *cfg, const char *mac)
{
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg); i++) {
        const char *other = vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i));
        if (other && strcasecmp(other, mac) == 0)
            return true;
    }
    return false;
}

/* A MAC address from VMware's range for manually set addresses
 * (00:50:56:00:00:00-00:50:56:3f:ff:ff) that no NIC of @cfg has. */
void esx_new_mac(const vmhi_vm_config *cfg, char mac[18])
{
    unsigned char r[3] = { 0, 0, 0 };
    do {
        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
            uint64_t t = esx_now_ns();
            memcpy(r, &t, sizeof(r));
        }
        snprintf(mac, 18, "00:50:56:%02x:%02x:%02x", r[0] & 0x3fu, r[1], r[2]);
    } while (mac_taken(cfg, mac));
}

int esx_disk_copy(const vmhi_disk *src, vmhi_disk **out)
{
    vmhi_disk *disk = NULL;
    const char *target = vmhi_disk_get_target(src);
    int rc = vmhi_disk_new(&disk);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(disk, vmhi_disk_get_id(src));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(disk, vmhi_disk_get_path(src));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(disk, vmhi_disk_get_format(src));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(disk, esx_disk_bus(vmhi_disk_get_bus(src)));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(disk, vmhi_disk_get_readonly(src));
    if (rc == VMHI_OK && vmhi_disk_get_size_mib(src))
        rc = vmhi_disk_set_size_mib(disk, vmhi_disk_get_size_mib(src));
    if (rc == VMHI_OK && target)
        rc = vmhi_disk_set_target(disk, target);
    if (rc < 0)
        vmhi_disk_free(disk);
    else
        *out = disk;
    return rc;
}

int esx_nic_copy(const vmhi_nic *src, const char *mac, vmhi_nic **out)
{
    vmhi_nic *nic = NULL;
    int rc = vmhi_nic_new(&nic);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(nic, vmhi_nic_get_id(src));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(nic, esx_nic_model(vmhi_nic_get_model(src)));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(nic, mac ? mac : vmhi_nic_get_mac(src));
    if (rc == VMHI_OK && vmhi_nic_get_network(src))
        rc = vmhi_nic_set_network(nic, vmhi_nic_get_network(src));
    if (rc < 0)
        vmhi_nic_free(nic);
    else
        *out = nic;
    return rc;
}

/* Replaces every disk of @cfg by its copy with the bus made concrete;
 * each is removed and added again, so the order stays. */
static int resolve_disks(vmhi_vm_config *cfg)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    int rc = VMHI_OK;
    for (size_t k = 0; rc == VMHI_OK && k < n; k++) {
        const vmhi_disk *src = vmhi_vm_config_get_disk(cfg, 0);
        char id[VMHI_DEVICE_ID_MAX + 1];
        vmhi_disk *copy = NULL;
        esx_copy(id, sizeof(id), vmhi_disk_get_id(src));
        rc = esx_disk_copy(src, &copy);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_remove_disk(cfg, id);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_disk(cfg, copy);
        vmhi_disk_free(copy);
    }
    return rc;
}

/* The same for NICs: the model made concrete, a MAC address given. */
static int resolve_nics(vmhi_vm_config *cfg)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    int rc = VMHI_OK;
    for (size_t k = 0; rc == VMHI_OK && k < n; k++) {
        const vmhi_nic *src = vmhi_vm_config_get_nic(cfg, 0);
        char mac[18], id[VMHI_DEVICE_ID_MAX + 1];
        if (vmhi_nic_get_mac(src))
            esx_copy(mac, sizeof(mac), vmhi_nic_get_mac(src));
        else
            esx_new_mac(cfg, mac);
        esx_copy(id, sizeof(id), vmhi_nic_get_id(src));
        vmhi_nic *copy = NULL;
        rc = esx_nic_copy(src, mac, &copy);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_remove_nic(cfg, id);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_nic(cfg, copy);
        vmhi_nic_free(copy);
    }
    return rc;
}

int esx_definition_normalize(const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_guest_type(copy, VMHI_GUEST_HVM);
    if (rc == VMHI_OK)
        rc = resolve_disks(copy);
    if (rc == VMHI_OK)
        rc = resolve_nics(copy);
    if (rc < 0) {
        char why[512];
        esx_copy(why, sizeof(why), vmhi_error_last_message());
        vmhi_vm_config_free(copy);
        return esx_error(rc, "esx: cannot prepare the description of '%s': %s",
                         vmhi_vm_config_get_name(cfg), why);
    }
    *out = copy;
    return VMHI_OK;
}

/* ------------------------------------------------------- to a spec */

static bool keep_disk(const esx_device *cur, const vmhi_disk *disk, const char *file)
{
    return strcmp(cur->file, file) == 0 && cur->disk_bus == esx_disk_bus(vmhi_disk_get_bus(disk));
}

static bool keep_nic(const esx_device *cur, const vmhi_nic *nic)
{
    const char *type = esx_nic_type(vmhi_nic_get_model(nic));
    return strcasecmp(cur->mac, vmhi_nic_get_mac(nic)) == 0 && type &&
           strcmp(cur->type, type) == 0 &&
           strcmp(cur->portgroup, esx_portgroup(vmhi_nic_get_network(nic))) == 0;
}

/* The datastore files of the disks of @cfg, in order (ESX_PATH_MAX each). */
static int disk_files(const esx_refs *r, const vmhi_vm_config *cfg, char **out)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    *out = n ? esx_alloc(n * ESX_PATH_MAX) : NULL;
    if (n && !*out)
        return VMHI_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = esx_path_to_datastore(r, vmhi_disk_get_path(vmhi_vm_config_get_disk(cfg, i)),
                                       *out + i * ESX_PATH_MAX, ESX_PATH_MAX);
        if (rc < 0) {
            esx_free(*out);
            *out = NULL;
            return rc;
        }
    }
    return VMHI_OK;
}

/* Which devices of @cur stay: kept[i] for cur->items[i]; used[j] for the
 * j-th disk, then NIC, of @cfg that an existing device already is. */
static void match_devices(const vmhi_vm_config *cfg, const char *files, const esx_devices *cur,
                          bool *kept, bool *used)
{
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; cur && i < cur->count; i++) {
        const esx_device *d = &cur->items[i];
        for (size_t j = 0; d->kind == VMHI_DEVICE_DISK && j < nd && !kept[i]; j++)
            if (!used[j] && keep_disk(d, vmhi_vm_config_get_disk(cfg, j), files + j * ESX_PATH_MAX))
                kept[i] = used[j] = true;
        for (size_t j = 0; d->kind == VMHI_DEVICE_NIC && j < nn && !kept[i]; j++)
            if (!used[nd + j] && keep_nic(d, vmhi_vm_config_get_nic(cfg, j)))
                kept[i] = used[nd + j] = true;
    }
}

static bool file_attached(const esx_devices *cur, const char *file)
{
    for (size_t i = 0; cur && i < cur->count; i++)
        if (cur->items[i].kind == VMHI_DEVICE_DISK && strcmp(cur->items[i].file, file) == 0)
            return true;
    return false;
}

static int spec_devices(esx_buf *b, const vmhi_vm_config *cfg, const char *files,
                        const esx_devices *cur, const bool *kept, const bool *used)
{
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    esx_slots slots;
    esx_slots_init(&slots, cur);
    for (size_t i = 0; cur && i < cur->count; i++)
        if (cur->items[i].kind && !kept[i])
            esx_spec_remove_device(b, &cur->items[i]);
    int rc = VMHI_OK;
    for (size_t j = 0; rc == VMHI_OK && j < nd; j++) {
        const char *file = files + j * ESX_PATH_MAX;
        if (!used[j])
            rc = esx_spec_add_disk(b, &slots, vmhi_vm_config_get_disk(cfg, j), file,
                                   !file_attached(cur, file));
    }
    for (size_t j = 0; rc == VMHI_OK && j < nn; j++)
        if (!used[nd + j])
            rc = esx_spec_add_nic(b, &slots, vmhi_vm_config_get_nic(cfg, j));
    return rc;
}

static void spec_notes(esx_buf *b, const vmhi_vm_config *cfg, const char *files)
{
    esx_buf notes;
    esx_buf_init(&notes);
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(cfg); i++)
        esx_meta_note_disk(&notes, vmhi_vm_config_get_disk(cfg, i), files + i * ESX_PATH_MAX);
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg); i++)
        esx_meta_note_nic(&notes, vmhi_vm_config_get_nic(cfg, i));
    if (notes.oom)
        b->oom = true;
    esx_meta_spec(b, ESX_KEY_DEVICES, notes.data ? notes.data : "");
    esx_buf_free(&notes);
}

/* memoryAllocation, extraConfig and firmware, in the schema's order;
 * what equals @now (when given) is left out. */
static void spec_tail(esx_buf *b, const vmhi_vm_config *cfg, const vmhi_vm_config *now,
                      const esx_meta *old, const char *files, const char *pending)
{
    uint64_t mem = vmhi_vm_config_get_memory_mib(cfg);
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    char text[64], was[64];
    bool mem_changed = !now || mem != vmhi_vm_config_get_memory_mib(now) ||
                       max != vmhi_vm_config_get_max_memory_mib(now);
    if (mem_changed)
        esx_buf_addf(b, "<memoryAllocation><limit>%lld</limit></memoryAllocation>",
                     mem < max ? (long long)mem : -1LL);
    if (mem_changed) {
        snprintf(text, sizeof(text), "%llu", (unsigned long long)mem);
        esx_meta_spec(b, ESX_KEY_MEMORY, text);
    }
    if (!now || vmhi_vm_config_get_max_vcpus(cfg) != vmhi_vm_config_get_max_vcpus(now)) {
        snprintf(text, sizeof(text), "%u", vmhi_vm_config_get_max_vcpus(cfg));
        esx_meta_spec(b, ESX_KEY_MAX_VCPUS, text);
    }
    esx_meta_boot_text(cfg, text, sizeof(text));
    if (now)
        esx_meta_boot_text(now, was, sizeof(was));
    if (!now || strcmp(text, was) != 0)
        esx_meta_spec(b, ESX_KEY_BOOT, text);
    spec_notes(b, cfg, files);
    esx_meta_spec_bag(b, cfg, old);
    if (pending)
        esx_meta_spec(b, ESX_KEY_DEFINITION, pending);
    if (!now || vmhi_vm_config_get_firmware(cfg) != vmhi_vm_config_get_firmware(now))
        esx_buf_elem(b, "firmware",
                     vmhi_vm_config_get_firmware(cfg) == VMHI_FIRMWARE_UEFI ? "efi" : "bios");
}

int esx_spec_definition(const esx_refs *r, esx_buf *b, const vmhi_vm_config *cfg,
                        const esx_devices *cur, const vmhi_vm_config *now,
                        const esx_meta *old, const char *pending)
{
    size_t ndev = vmhi_vm_config_get_disk_count(cfg) + vmhi_vm_config_get_nic_count(cfg);
    char *files = NULL;
    bool *kept = esx_alloc((cur ? cur->count : 0) + 1);
    bool *used = esx_alloc(ndev + 1);
    int rc = kept && used ? disk_files(r, cfg, &files) : VMHI_E_NOMEM;
    if (rc == VMHI_OK) {
        match_devices(cfg, files, cur, kept, used);
        if (!now || vmhi_vm_config_get_vcpus(cfg) != vmhi_vm_config_get_vcpus(now))
            esx_buf_elemf(b, "numCPUs", "%u", vmhi_vm_config_get_vcpus(cfg));
        if (!now || vmhi_vm_config_get_max_memory_mib(cfg) !=
                        vmhi_vm_config_get_max_memory_mib(now))
            esx_buf_elemf(b, "memoryMB", "%llu",
                          (unsigned long long)vmhi_vm_config_get_max_memory_mib(cfg));
        rc = spec_devices(b, cfg, files, cur, kept, used);
    }
    if (rc == VMHI_OK)
        spec_tail(b, cfg, now, old, files, pending);
    esx_free(files);
    esx_free(kept);
    esx_free(used);
    return rc;
}

/* ---------------------------------------------------- to the server */

int esx_reconfigure(esx_conn *c, const esx_vm *vm, const esx_buf *spec, const char *op)
{
    if (spec->oom)
        return esx_error(VMHI_E_NOMEM, "esx: out of memory");
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "ReconfigVM_Task", "VirtualMachine", vm->moref);
    esx_buf_add(&b, "<spec>");
    esx_buf_addn(&b, spec->data ? spec->data : "", spec->len);
    esx_buf_add(&b, "</spec>");
    esx_soap_end(&b, "ReconfigVM_Task");
    int rc = esx_call_task(c, "ReconfigVM_Task", &b, op, NULL);
    esx_buf_free(&b);
    esx_inventory_done(c, vm->moref, ESX_POWER_UNKNOWN, VMHI_REASON_UNKNOWN);
    return rc;
}

int esx_definition_apply(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg,
                         const char *op)
{
    esx_view v;
    int rc = esx_view_read(c, vm->moref, &v);
    if (rc < 0)
        return rc;
    esx_buf spec;
    esx_buf_init(&spec);
    rc = esx_spec_definition(&c->refs, &spec, cfg, &v.devs, NULL, &v.meta,
                             v.meta.definition ? "" : NULL);
    if (rc == VMHI_OK)
        rc = esx_reconfigure(c, vm, &spec, op);
    esx_buf_free(&spec);
    esx_view_free(&v);
    return rc;
}

int esx_definition_store(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg,
                         bool persistent, const char *op)
{
    char *json = NULL;
    if (cfg && vmhi_vm_config_to_json(cfg, &json) < 0)
        return esx_error(vmhi_error_last_code(), "esx: cannot keep the definition of VM '%s': "
                         "%s", vm->name, vmhi_error_last_message());
    esx_buf spec;
    esx_buf_init(&spec);
    esx_meta_spec(&spec, ESX_KEY_DEFINITION, json ? json : "");
    if (persistent)
        esx_meta_spec(&spec, ESX_KEY_TRANSIENT, "");
    vmhi_free(json);
    int rc = esx_reconfigure(c, vm, &spec, op);
    esx_buf_free(&spec);
    return rc;
}

int esx_definition_settle(esx_conn *c, esx_vm *vm, const char *op)
{
    if (vm->power != ESX_POWER_OFF || !vm->pending)
        return VMHI_OK;
    esx_view v;
    vmhi_vm_config *cfg = NULL;
    int rc = esx_view_read(c, vm->moref, &v);
    if (rc < 0)
        return rc;
    if (v.meta.definition)
        rc = esx_view_definition(vm, &v, &cfg);
    esx_view_free(&v);
    if (rc == VMHI_OK && cfg)
        rc = esx_definition_apply(c, vm, cfg, op);
    vmhi_vm_config_free(cfg);
    return rc < 0 ? rc : esx_inventory_refresh(c, vm->moref, vm);
}

int esx_unregister(esx_conn *c, const esx_vm *vm)
{
    esx_buf b;
    esx_reply r;
    esx_buf_init(&b);
    esx_soap_begin(&b, "UnregisterVM", "VirtualMachine", vm->moref);
    esx_soap_end(&b, "UnregisterVM");
    int rc = esx_call(c, "UnregisterVM", &b, &r);
    esx_buf_free(&b);
    if (rc == VMHI_E_NO_VM)
        rc = VMHI_OK; /* gone already */
    else if (rc == VMHI_OK)
        esx_reply_free(&r);
    if (rc < 0)
        return rc;
    esx_lock(c);
    esx_vm *entry = esx_cache_find_moref(&c->cache, vm->moref);
    if (entry)
        esx_cache_remove(&c->cache, entry);
    esx_unlock(c);
    return VMHI_OK;
}
