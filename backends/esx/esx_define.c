/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Definitions: define (CreateVM_Task from a VMHI description, or
 * ReconfigVM_Task when the UUID and name match an existing VM), undefine
 * (UnregisterVM: the files stay on the datastore, as with libvirt's esx
 * driver) and get_config (the VM's configuration as a VMHI description).
 *
 * Memory: the description's maximum is the VM's memoryMB and its current
 * memory a memoryAllocation.limit below that (the mapping libvirt's esx
 * driver uses).  vCPUs: ESX has one count (numCPU); the VMHI maximum is
 * kept in the VM's extraConfig as vmhi.maxVcpus.  ESX has no transient
 * VMs, so an active VM cannot lose its definition: undefine needs it off
 * (or suspended).  Duplicate names are refused here even though some
 * servers (the simulator) would accept them.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static void fill_ref(const esx_vm *vm, vmhi_backend_vm_ref *ref)
{
    memcpy(ref->uuid, vm->uuid, sizeof(ref->uuid));
    memcpy(ref->name, vm->name, sizeof(ref->name));
}

/* ------------------------------------------------------------- define */

static int spec_devices(const esx_conn *c, esx_buf *b, const vmhi_vm_config *cfg)
{
    esx_slots slots;
    esx_slots_init(&slots, NULL);
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_disk_count(cfg); i++)
        rc = esx_spec_add_disk(&c->refs, b, &slots, vmhi_vm_config_get_disk(cfg, i), true);
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_nic_count(cfg); i++)
        rc = esx_spec_add_nic(b, &slots, vmhi_vm_config_get_nic(cfg, i));
    return rc;
}

/* The part of a VirtualMachineConfigSpec after deviceChange, in schema
 * order: the current memory as a limit below the configured size, the
 * vCPU maximum as extraConfig, the firmware. */
static void spec_tail(esx_buf *b, const vmhi_vm_config *cfg)
{
    uint64_t mem = vmhi_vm_config_get_memory_mib(cfg);
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    esx_buf_addf(b, "<memoryAllocation><limit>%lld</limit></memoryAllocation>",
                 mem < max ? (long long)mem : -1LL);
    unsigned int vcpus = vmhi_vm_config_get_vcpus(cfg);
    unsigned int max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
    esx_buf_addf(b, "<extraConfig><key>vmhi.maxVcpus</key><value xsi:type=\"xsd:string\">%u"
                    "</value></extraConfig>", max_vcpus > vcpus ? max_vcpus : vcpus);
    esx_buf_elem(b, "firmware",
                 vmhi_vm_config_get_firmware(cfg) == VMHI_FIRMWARE_UEFI ? "efi" : "bios");
}

static int create_vm(esx_conn *c, const vmhi_vm_config *cfg, char *moref)
{
    const esx_refs *r = &c->refs;
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "CreateVM_Task", "Folder", r->vm_folder);
    esx_buf_add(&b, "<config><name>");
    esx_name_encode(&b, vmhi_vm_config_get_name(cfg));
    esx_buf_add(&b, "</name>");
    esx_buf_elem(&b, "uuid", vmhi_vm_config_get_uuid(cfg));
    esx_buf_add(&b, "<guestId>otherGuest64</guestId><files>");
    esx_buf_elemf(&b, "vmPathName", "[%s]", r->datastore);
    esx_buf_add(&b, "</files>");
    esx_buf_elemf(&b, "numCPUs", "%u", vmhi_vm_config_get_vcpus(cfg));
    esx_buf_elemf(&b, "memoryMB", "%llu",
                  (unsigned long long)vmhi_vm_config_get_max_memory_mib(cfg));
    int rc = spec_devices(c, &b, cfg);
    spec_tail(&b, cfg);
    esx_buf_add(&b, "</config>");
    esx_buf_moref(&b, "pool", "ResourcePool", r->pool);
    if (c->vpx && r->host[0])
        esx_buf_moref(&b, "host", "HostSystem", r->host);
    esx_soap_end(&b, "CreateVM_Task");
    esx_reply result;
    if (rc == VMHI_OK)
        rc = esx_call_task(c, "CreateVM_Task", &b, "define", &result);
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    esx_xml_text(esx_reply_prop(&result, "info.result"), moref, ESX_MOREF_MAX + 1);
    esx_reply_free(&result);
    return moref[0] ? VMHI_OK : esx_error(VMHI_E_BACKEND, "esx: CreateVM_Task named no VM");
}

static int count_kind(const esx_devices *d, vmhi_device_type kind)
{
    int n = 0;
    for (size_t i = 0; i < d->count; i++)
        n += d->items[i].kind == kind;
    return n;
}

static int read_devices(esx_conn *c, const char *moref, esx_devices *out)
{
    static const char *const paths[] = { "config.hardware.device", NULL };
    esx_reply r;
    int rc = esx_read_props(c, "VirtualMachine", moref, paths, &r);
    if (rc < 0)
        return rc;
    rc = esx_devices_parse(&c->refs, esx_reply_prop(&r, "config.hardware.device"), out);
    esx_reply_free(&r);
    return rc;
}

/* A new definition of an existing VM: vCPUs, memory and firmware. */
static int update_vm(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg)
{
    if (esx_vm_state(vm) != VMHI_STATE_SHUTOFF)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; ESX changes a definition "
                         "only while the VM is shut off", vm->name,
                         vmhi_vm_state_name(esx_vm_state(vm)));
    esx_devices devs;
    int rc = read_devices(c, vm->moref, &devs);
    if (rc < 0)
        return rc;
    bool same = count_kind(&devs, VMHI_DEVICE_DISK) == (int)vmhi_vm_config_get_disk_count(cfg) &&
                count_kind(&devs, VMHI_DEVICE_NIC) == (int)vmhi_vm_config_get_nic_count(cfg);
    esx_devices_free(&devs);
    if (!same)
        return esx_error(VMHI_E_UNSUPPORTED, "esx: a new definition of VM '%s' may change its "
                         "vCPUs, memory and firmware, not its devices; use attach and detach",
                         vm->name);
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "ReconfigVM_Task", "VirtualMachine", vm->moref);
    esx_buf_add(&b, "<spec>");
    esx_buf_elemf(&b, "numCPUs", "%u", vmhi_vm_config_get_vcpus(cfg));
    esx_buf_elemf(&b, "memoryMB", "%llu",
                  (unsigned long long)vmhi_vm_config_get_max_memory_mib(cfg));
    spec_tail(&b, cfg);
    esx_buf_add(&b, "</spec>");
    esx_soap_end(&b, "ReconfigVM_Task");
    rc = esx_call_task(c, "ReconfigVM_Task", &b, "define", NULL);
    esx_buf_free(&b);
    esx_inventory_done(c, vm->moref, ESX_POWER_UNKNOWN, VMHI_REASON_UNKNOWN);
    return rc;
}

static int check_name_free(esx_conn *c, const char *name, const char *uuid)
{
    esx_vm other;
    int rc = esx_inventory_get(c, name, NULL, true, &other);
    if (rc == VMHI_E_NO_VM)
        return VMHI_OK;
    if (rc < 0)
        return rc;
    return esx_error(VMHI_E_EXISTS, "esx: the name '%s' is taken by VM %s; choose another name",
                     name, other.uuid[0] ? other.uuid : other.moref);
}

int esx_define(void *priv, const vmhi_vm_config *cfg, vmhi_backend_vm_ref *out)
{
    esx_conn *c = priv;
    const char *name = vmhi_vm_config_get_name(cfg), *uuid = vmhi_vm_config_get_uuid(cfg);
    esx_vm vm;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK) {
        if (strcmp(vm.name, name) != 0)
            return esx_keep_error(esx_error(VMHI_E_EXISTS, "esx: UUID %s belongs to VM '%s'; a "
                                            "new definition of it must keep that name", uuid,
                                            vm.name));
        rc = update_vm(c, &vm, cfg);
        if (rc == VMHI_OK)
            fill_ref(&vm, out);
        return esx_keep_error(rc);
    }
    if (rc != VMHI_E_NO_VM)
        return esx_keep_error(rc);
    char moref[ESX_MOREF_MAX + 1];
    rc = check_name_free(c, name, uuid);
    if (rc == VMHI_OK)
        rc = create_vm(c, cfg, moref);
    if (rc == VMHI_OK)
        rc = esx_inventory_refresh(c, moref, &vm);
    if (rc < 0)
        return esx_keep_error(rc);
    esx_inventory_done(c, moref, ESX_POWER_OFF, VMHI_REASON_DEFINED);
    fill_ref(&vm, out);
    return VMHI_OK;
}

/* ----------------------------------------------------------- undefine */

int esx_undefine(void *priv, const char *uuid)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc < 0)
        return esx_keep_error(rc);
    if (!((BIT(SHUTOFF) | BIT(SUSPENDED)) & VMHI_STATE_BIT(esx_vm_state(&vm))))
        return esx_keep_error(esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; ESX has no "
                                        "transient VMs, so power it off before removing its "
                                        "definition", vm.name,
                                        vmhi_vm_state_name(esx_vm_state(&vm))));
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "UnregisterVM", "VirtualMachine", vm.moref);
    esx_soap_end(&b, "UnregisterVM");
    esx_reply r;
    rc = esx_call(c, "UnregisterVM", &b, &r);
    esx_buf_free(&b);
    if (rc < 0)
        return esx_keep_error(rc);
    esx_reply_free(&r);
    esx_lock(c);
    esx_vm *entry = esx_cache_find_moref(&c->cache, vm.moref);
    if (entry)
        esx_cache_remove(&c->cache, entry);
    esx_unlock(c);
    return VMHI_OK;
}

/* --------------------------------------------------------- get_config */

static int add_disk(vmhi_vm_config *cfg, const esx_device *d, const esx_devices *all)
{
    vmhi_disk *disk = NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    const esx_device *ctl = esx_devices_find(all, (uint32_t)d->controller_key);
    esx_device_id(d, id);
    int rc = vmhi_disk_new(&disk);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(disk, id);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(disk, d->path);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_VMDK);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(disk, esx_controller_bus(ctl ? ctl->type : ""));
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_disk(cfg, disk);
    vmhi_disk_free(disk);
    return rc;
}

static int add_nic(vmhi_vm_config *cfg, const esx_device *d)
{
    vmhi_nic *nic = NULL;
    char id[VMHI_DEVICE_ID_MAX + 1];
    esx_device_id(d, id);
    vmhi_nic_model model = strncmp(d->type, "VirtualVmxnet", 13) == 0 ? VMHI_NIC_MODEL_VMXNET3
                                                                      : VMHI_NIC_MODEL_E1000;
    int rc = vmhi_nic_new(&nic);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(nic, id);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(nic, model);
    if (rc == VMHI_OK && d->mac[0])
        rc = vmhi_nic_set_mac(nic, d->mac);
    if (rc == VMHI_OK && d->network[0])
        rc = vmhi_nic_set_network(nic, d->network);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_nic(cfg, nic);
    vmhi_nic_free(nic);
    return rc;
}

static int config_basics(vmhi_vm_config *cfg, const esx_vm *vm, const char *firmware)
{
    uint64_t mem = esx_vm_memory(vm);
    int rc = vmhi_vm_config_set_name(cfg, vm->name);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_uuid(cfg, vm->uuid);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_max_vcpus(cfg, vm->vcpus ? esx_vm_max_vcpus(vm) : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_vcpus(cfg, vm->vcpus ? vm->vcpus : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_max_memory_mib(cfg, vm->memory_mib ? vm->memory_mib : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_memory_mib(cfg, mem ? mem : 1);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_firmware(cfg, strcmp(firmware, "efi") == 0 ? VMHI_FIRMWARE_UEFI
                                                                           : VMHI_FIRMWARE_BIOS);
    return rc;
}

static int build_config(const esx_conn *c, const esx_vm *vm, const esx_reply *r,
                        vmhi_vm_config **out)
{
    char firmware[16];
    esx_devices devs = { 0 };
    esx_xml_text(esx_reply_prop(r, "config.firmware"), firmware, sizeof(firmware));
    vmhi_vm_config *cfg = NULL;
    int rc = vmhi_vm_config_new(&cfg);
    if (rc == VMHI_OK)
        rc = config_basics(cfg, vm, firmware);
    if (rc == VMHI_OK)
        rc = esx_devices_parse(&c->refs, esx_reply_prop(r, "config.hardware.device"), &devs);
    for (size_t i = 0; rc == VMHI_OK && i < devs.count; i++) {
        if (devs.items[i].kind == VMHI_DEVICE_DISK)
            rc = add_disk(cfg, &devs.items[i], &devs);
        else if (devs.items[i].kind == VMHI_DEVICE_NIC)
            rc = add_nic(cfg, &devs.items[i]);
    }
    esx_devices_free(&devs);
    if (rc < 0) {
        char why[512];
        esx_copy(why, sizeof(why), vmhi_error_last_message());
        vmhi_vm_config_free(cfg);
        return esx_error(rc, "esx: the configuration of VM '%s' has no VMHI form: %s",
                         vm->name, why);
    }
    *out = cfg;
    return VMHI_OK;
}

int esx_get_config(void *priv, const char *uuid, vmhi_vm_config **out)
{
    static const char *const paths[] = { "config.firmware", "config.hardware.device", NULL };
    esx_conn *c = priv;
    esx_vm vm;
    esx_reply r;
    esx_error_begin();
    int rc = esx_inventory_get(c, NULL, uuid, false, &vm);
    if (rc == VMHI_OK)
        rc = esx_read_props(c, "VirtualMachine", vm.moref, paths, &r);
    if (rc < 0)
        return esx_keep_error(rc);
    rc = build_config(c, &vm, &r, out);
    esx_reply_free(&r);
    return esx_keep_error(rc);
}
