/*
 * Unit tests of the ESX backend's extraConfig facts (esx_meta.c): device
 * notes survive any character in paths and networks, name their devices
 * by file and MAC, fall back to ESX's facts; the last value of a key
 * counts and an empty one is none.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "esx.h"
#include "testutil.h"

static int fake_set_error(int code, const char *native, const char *fmt, ...)
{
    (void)native;
    (void)fmt;
    return code;
}

static void *fake_alloc(size_t n)
{
    return malloc(n);
}

static void fake_free(void *p)
{
    free(p);
}

static vmhi_core_services fake = { .set_error = fake_set_error, .alloc = fake_alloc,
                                   .dealloc = fake_free };

static void setup(void)
{
    esx_core = &fake;
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
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_VIRTIO));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 42));
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_id(nic, "lan"));
    ck_vmhi_ok(vmhi_nic_set_model(nic, VMHI_NIC_MODEL_VIRTIO));
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
    ck_assert_int_eq(d->disk_bus, VMHI_DISK_BUS_VIRTIO);
    ck_assert_uint_eq(d->size_mib, 42);
    ck_assert_str_eq(n->id, "lan");
    ck_assert_int_eq(n->model, VMHI_NIC_MODEL_VIRTIO);
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

int main(void)
{
    Suite *s = suite_create("esx-meta");
    TCase *tc = tcase_create("meta");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, notes_survive_every_character);
    tcase_add_test(tc, devices_no_note_names_get_esx_facts);
    tcase_add_test(tc, the_last_value_counts_and_empty_is_none);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
