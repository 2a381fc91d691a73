/*
 * Unit tests of the ESX backend's extraConfig facts (esx_meta.c): device
 * notes survive any character in paths and networks, name their devices
 * by file and MAC, fall back to ESX's facts, keep a disk's target and
 * refuse names VMHI does not know; the last value of a key counts and an
 * empty one is none; metadata keys encode to lower-case .vmx keys and
 * back; vSphere faults map to the VMHI codes a caller acts on.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "esx.h"
#include "esx_fake_core.h"
#include "testutil.h"

static void setup(void)
{
    esx_fake_core_setup();
}

/* Adds a device to @d, which has room for 4 (pointers stay valid). */
static esx_device *add_device(esx_devices *d, vmhi_device_type kind, const char *type,
                              uint32_t key, int32_t controller)
{
    if (!d->items)
        d->items = calloc(4, sizeof(esx_device));
    ck_assert(d->items && d->count < 4);
    esx_device *dev = memset(&d->items[d->count++], 0, sizeof(esx_device));
    dev->kind = kind;
    dev->key = key;
    dev->controller_key = controller;
    snprintf(dev->type, sizeof(dev->type), "%s", type);
    return dev;
}

static esx_refs refs(void)
{
    esx_refs r;
    memset(&r, 0, sizeof(r));
    r.ndatastores = 1;
    snprintf(r.datastores[0].name, sizeof(r.datastores[0].name), "ds1");
    snprintf(r.datastores[0].path, sizeof(r.datastores[0].path), "/vmfs/volumes/uuid-1");
    return r;
}

START_TEST(notes_survive_every_character)
{
    const char *path = "/vmfs/volumes/ds1/we|rd;na%me 100%/d|isk;.vmdk";
    const char *file = "[ds1] we|rd;na%me 100%/d|isk;.vmdk";
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_id(disk, "root"));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_RAW));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_DEFAULT));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 42));
    ck_vmhi_ok(vmhi_disk_set_target(disk, "sdb"));
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_id(nic, "lan"));
    ck_vmhi_ok(vmhi_nic_set_model(nic, VMHI_NIC_MODEL_DEFAULT));
    ck_vmhi_ok(vmhi_nic_set_mac(nic, "00:50:56:0a:0b:0c"));
    ck_vmhi_ok(vmhi_nic_set_network(nic, "default"));
    esx_buf notes;
    esx_buf_init(&notes);
    esx_meta_note_disk(&notes, disk, file);
    esx_meta_note_nic(&notes, nic);
    ck_assert(!notes.oom);
    for (const char *p = notes.data; *p; p++)
        ck_assert_msg(*p >= 0x20, "a control character in the notes");

    esx_devices devs = { 0 };
    add_device(&devs, 0, "ParaVirtualSCSIController", 1000, -1);
    esx_device *d = add_device(&devs, VMHI_DEVICE_DISK, "VirtualDisk", 2000, 1000);
    snprintf(d->file, sizeof(d->file), "%s", file);
    esx_device *n = add_device(&devs, VMHI_DEVICE_NIC, "VirtualVmxnet3", 4000, 100);
    snprintf(n->mac, sizeof(n->mac), "00:50:56:0a:0b:0c");
    snprintf(n->portgroup, sizeof(n->portgroup), "VM Network");
    esx_refs r = refs();
    ck_vmhi_ok(esx_meta_annotate(&r, notes.data, &devs));
    ck_assert_str_eq(d->id, "root");
    ck_assert_str_eq(d->path, path);
    ck_assert_int_eq(d->format, VMHI_DISK_FORMAT_RAW);
    ck_assert_int_eq(d->disk_bus, VMHI_DISK_BUS_PVSCSI); /* DEFAULT, resolved */
    ck_assert_uint_eq(d->size_mib, 42);
    ck_assert_str_eq(d->target, "sdb");
    ck_assert(strstr(notes.data, "|pvscsi|") != NULL);
    ck_assert(strstr(notes.data, "|vmxnet3|") != NULL);
    ck_assert_str_eq(n->id, "lan");
    ck_assert_int_eq(n->model, VMHI_NIC_MODEL_VMXNET3);
    ck_assert_str_eq(n->network, "default");
    esx_buf_free(&notes);
    free(devs.items);
    vmhi_disk_free(disk);
    vmhi_nic_free(nic);
}
END_TEST

START_TEST(devices_no_note_names_get_esx_facts)
{
    /* A note for another file and a note whose bus no longer fits. */
    const char *notes = "disk|old|raw|virtio|0|[ds1] gone.vmdk|/x;"
                        "disk|moved|raw|sata|0|[ds1] a/b.vmdk|/vmfs/volumes/ds1/a/b.vmdk;"
                        "nic|n1|e1000|lab|00:50:56:AA:BB:CC;garbage;disk|too|few";
    esx_devices devs = { 0 };
    add_device(&devs, 0, "VirtualLsiLogicController", 1000, -1);
    esx_device *a = add_device(&devs, VMHI_DEVICE_DISK, "VirtualDisk", 2000, 1000);
    snprintf(a->file, sizeof(a->file), "[ds1] a/b.vmdk");
    esx_device *c = add_device(&devs, VMHI_DEVICE_DISK, "VirtualDisk", 2001, 1000);
    snprintf(c->file, sizeof(c->file), "[ds1] c/d.vmdk");
    esx_device *n = add_device(&devs, VMHI_DEVICE_NIC, "VirtualE1000", 4000, 100);
    snprintf(n->mac, sizeof(n->mac), "00:50:56:aa:bb:cc");
    snprintf(n->portgroup, sizeof(n->portgroup), "Production");
    esx_refs r = refs();
    ck_vmhi_ok(esx_meta_annotate(&r, notes, &devs));
    /* Noted by file: its id stays, the bus is what the controller is. */
    ck_assert_str_eq(a->id, "moved");
    ck_assert_int_eq(a->disk_bus, VMHI_DISK_BUS_SCSI);
    /* Not noted: ESX's facts, the path under the datastore's mount point. */
    ck_assert_str_eq(c->id, "disk-2001");
    ck_assert_str_eq(c->path, "/vmfs/volumes/uuid-1/c/d.vmdk");
    ck_assert_int_eq(c->format, VMHI_DISK_FORMAT_VMDK);
    /* Noted by MAC in any case; the port group changed since: it is reported. */
    ck_assert_str_eq(n->id, "n1");
    ck_assert_int_eq(n->model, VMHI_NIC_MODEL_E1000);
    ck_assert_str_eq(n->network, "Production");
    free(devs.items);
}
END_TEST

static xmlDoc *parse(const char *xml)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

START_TEST(the_last_value_counts_and_empty_is_none)
{
    xmlDoc *doc = parse(
        "<val><v><key>vmhi.maxVcpus</key><value>4</value></v>"
        "<v><key>vmhi.transient</key><value>TRUE</value></v>"
        "<v><key>vmhi.definition</key><value>{\"a\":1}</value></v>"
        "<v><key>other</key><value>x</value></v>"
        "<v><key>vmhi.maxVcpus</key><value>8</value></v>"
        "<v><key>vmhi.transient</key><value>FALSE</value></v>"
        "<v><key>vmhi.definition</key><value></value></v>"
        "<v><key>vmhi.memory</key><value>96</value></v>"
        "<v><key>vmhi.boot</key><value>network,disk,bogus</value></v></val>");
    esx_meta m;
    ck_vmhi_ok(esx_meta_parse(xmlDocGetRootElement(doc), &m));
    ck_assert_uint_eq(m.max_vcpus, 8);
    ck_assert(!m.transient);
    ck_assert_ptr_null(m.definition);
    ck_assert_uint_eq(m.memory_mib, 96);
    ck_assert_uint_eq(m.nboot, 2);
    ck_assert_int_eq(m.boot[0], VMHI_BOOT_NETWORK);
    ck_assert_int_eq(m.boot[1], VMHI_BOOT_DISK);
    esx_meta_free(&m);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(unknown_names_in_notes_are_errors)
{
    static const char *const bad[] = {
        "disk|a|qcow3|scsi|0|[ds1] a.vmdk|/vmfs/volumes/ds1/a.vmdk",
        "disk|a|vmdk|nvme|0|[ds1] a.vmdk|/vmfs/volumes/ds1/a.vmdk|sda",
        "nic|n|pcnet|VM Network|00:50:56:00:00:01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        esx_devices devs = { 0 };
        add_device(&devs, 0, "VirtualLsiLogicController", 1000, -1);
        esx_device *d = add_device(&devs, VMHI_DEVICE_DISK, "VirtualDisk", 2000, 1000);
        snprintf(d->file, sizeof(d->file), "[ds1] a.vmdk");
        esx_device *n = add_device(&devs, VMHI_DEVICE_NIC, "VirtualE1000", 4000, 100);
        snprintf(n->mac, sizeof(n->mac), "00:50:56:00:00:01");
        esx_refs r = refs();
        ck_assert_msg(esx_meta_annotate(&r, bad[i], &devs) == VMHI_E_PARSE, "note %zu", i);
        /* Never a silent guess such as VMDK for an unknown format. */
        free(devs.items);
    }
}
END_TEST

START_TEST(metadata_keys_encode_to_lower_case_vmx_keys)
{
    static const char *const keys[] = { "x-acme:tier", "x-acme:Tier", "com.example:A_b-C.9",
                                        "org.vmhi.esx:__--" };
    char enc[4][300];
    for (size_t i = 0; i < 4; i++) {
        char back[200];
        esx_meta_key_encode(keys[i], enc[i], sizeof(enc[i]));
        ck_assert(strncmp(enc[i], ESX_KEY_META, strlen(ESX_KEY_META)) == 0);
        for (const char *p = enc[i]; *p; p++)
            ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                          *p == ':' || *p == '_', "'%c' in %s", *p, enc[i]);
        ck_assert(esx_meta_key_decode(enc[i], back, sizeof(back)));
        ck_assert_str_eq(back, keys[i]);
    }
    /* Keys that differ only in case stay apart even where .vmx keys do not. */
    ck_assert_str_ne(enc[0], enc[1]);
    char back[200];
    ck_assert(!esx_meta_key_decode("vmhi.maxVcpus", back, sizeof(back)));
    ck_assert(!esx_meta_key_decode("vmhi.meta.bad_!", back, sizeof(back)));
}
END_TEST

START_TEST(metadata_entries_parse_with_the_last_value_counting)
{
    xmlDoc *doc = parse(
        "<val><v><key>vmhi.meta.x_0acme:tier</key><value>gold</value></v>"
        "<v><key>vmhi.meta.x_0acme:_tier</key><value>a%25b%09c%0Ad</value></v>"
        "<v><key>vmhi.meta.x_0acme:empty</key><value>%00</value></v>"
        "<v><key>vmhi.meta.x_0acme:gone</key><value>x</value></v>"
        "<v><key>vmhi.meta.x_0acme:gone</key><value></value></v>"
        "<v><key>vmhi.meta.x_0acme:tier</key><value>silver</value></v></val>");
    esx_meta m;
    ck_vmhi_ok(esx_meta_parse(xmlDocGetRootElement(doc), &m));
    ck_assert_str_eq(esx_meta_find(&m, "x-acme:tier"), "silver");
    ck_assert_str_eq(esx_meta_find(&m, "x-acme:Tier"), "a%b\tc\nd");
    ck_assert_str_eq(esx_meta_find(&m, "x-acme:empty"), "");
    ck_assert_ptr_null(esx_meta_find(&m, "x-acme:gone"));
    /* Written back: only what differs, and the removal. */
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "silver"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:empty", ""));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:new", "n\n"));
    esx_buf b;
    esx_buf_init(&b);
    esx_meta_spec_bag(&b, cfg, &m);
    ck_assert(!b.oom);
    ck_assert(strstr(b.data, "x_0acme:tier") == NULL);
    ck_assert(strstr(b.data, "x_0acme:empty") == NULL);
    ck_assert(strstr(b.data, "<key>vmhi.meta.x_0acme:new</key>") != NULL);
    ck_assert(strstr(b.data, ">n%0A</value>") != NULL);
    ck_assert(strstr(b.data, "<key>vmhi.meta.x_0acme:_tier</key><value xsi:type=\"xsd:string\">"
                             "</value>") != NULL);
    esx_buf_free(&b);
    vmhi_vm_config_free(cfg);
    esx_meta_free(&m);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(faults_map_to_codes_a_caller_acts_on)
{
    ck_assert_int_eq(esx_fault_code("InvalidLogin"), VMHI_E_AUTH);
    ck_assert_int_eq(esx_fault_code("NotAuthenticated"), VMHI_E_AUTH);
    ck_assert_int_eq(esx_fault_code("NoPermission"), VMHI_E_PERMISSION);
    ck_assert_int_eq(esx_fault_code("InsufficientResourcesFault"), VMHI_E_TRY_AGAIN);
    ck_assert_int_eq(esx_fault_code("InsufficientMemoryResourcesFault"), VMHI_E_TRY_AGAIN);
    ck_assert_int_eq(esx_fault_code("NotFound"), VMHI_E_NOT_FOUND);
    ck_assert_int_eq(esx_fault_code("InvalidDatastore"), VMHI_E_NOT_FOUND);
    ck_assert_int_eq(esx_fault_code("ManagedObjectNotFound"), VMHI_E_NO_VM);
    ck_assert_int_eq(esx_fault_code("SomethingNew"), VMHI_E_BACKEND);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("esx-meta");
    TCase *tc = tcase_create("meta");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, notes_survive_every_character);
    tcase_add_test(tc, devices_no_note_names_get_esx_facts);
    tcase_add_test(tc, the_last_value_counts_and_empty_is_none);
    tcase_add_test(tc, unknown_names_in_notes_are_errors);
    tcase_add_test(tc, metadata_keys_encode_to_lower_case_vmx_keys);
    tcase_add_test(tc, metadata_entries_parse_with_the_last_value_counting);
    tcase_add_test(tc, faults_map_to_codes_a_caller_acts_on);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
