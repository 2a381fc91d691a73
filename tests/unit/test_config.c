/*
 * Unit tests for the VM description model (include/vmhi/config.h):
 * defaults, setters and their rejections, device lists, copy, validation.
 * The XML and JSON codecs are tested in test_config_codec.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "testutil.h"

static vmhi_vm_config *new_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    if (name)
        ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    return cfg;
}

static vmhi_disk *new_disk(const char *id, const char *path)
{
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    if (id)
        ck_vmhi_ok(vmhi_disk_set_id(disk, id));
    if (path)
        ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    return disk;
}

static vmhi_nic *new_nic(const char *id, const char *mac)
{
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    if (id)
        ck_vmhi_ok(vmhi_nic_set_id(nic, id));
    if (mac)
        ck_vmhi_ok(vmhi_nic_set_mac(nic, mac));
    return nic;
}

static void add_disk(vmhi_vm_config *cfg, const char *id, const char *path)
{
    vmhi_disk *disk = new_disk(id, path);
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
}

static void add_nic(vmhi_vm_config *cfg, const char *id, const char *mac)
{
    vmhi_nic *nic = new_nic(id, mac);
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
}

/* Asserts that the last error mentions @needle. */
static void assert_message_has(const char *needle)
{
    ck_assert_msg(strstr(vmhi_error_last_message(), needle) != NULL,
                  "message \"%s\" does not mention \"%s\"", vmhi_error_last_message(), needle);
}

/* ------------------------------------------------------------- defaults */

START_TEST(config_defaults)
{
    vmhi_vm_config *cfg = new_config(NULL);
    ck_assert_ptr_null(vmhi_vm_config_get_name(cfg));
    ck_assert_ptr_null(vmhi_vm_config_get_uuid(cfg));
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(cfg), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), 512);
    ck_assert_uint_eq(vmhi_vm_config_get_max_memory_mib(cfg), 512);
    ck_assert_int_eq(vmhi_vm_config_get_firmware(cfg), VMHI_FIRMWARE_BIOS);
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t count = 0;
    ck_vmhi_ok(vmhi_vm_config_get_boot_order(cfg, order, &count));
    ck_assert_uint_eq(count, 0); /* the backend's own order */
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(cfg), VMHI_GUEST_DEFAULT);
    ck_assert_ptr_null(vmhi_vm_config_get_kernel(cfg));
    ck_assert_int_eq(vmhi_vm_config_get_boot_method(cfg), VMHI_BOOT_METHOD_FIRMWARE);
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(cfg), 0);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 0);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(cfg), 0);
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(device_defaults)
{
    vmhi_disk *disk = new_disk(NULL, NULL);
    ck_assert_ptr_null(vmhi_disk_get_id(disk));
    ck_assert_ptr_null(vmhi_disk_get_path(disk));
    ck_assert_int_eq(vmhi_disk_get_format(disk), VMHI_DISK_FORMAT_RAW);
    ck_assert_int_eq(vmhi_disk_get_bus(disk), VMHI_DISK_BUS_DEFAULT);
    ck_assert_ptr_null(vmhi_disk_get_target(disk));
    ck_assert_int_eq(vmhi_disk_get_readonly(disk), 0);
    ck_assert_uint_eq(vmhi_disk_get_size_mib(disk), 0);
    vmhi_disk_free(disk);

    vmhi_nic *nic = new_nic(NULL, NULL);
    ck_assert_ptr_null(vmhi_nic_get_id(nic));
    ck_assert_ptr_null(vmhi_nic_get_mac(nic));
    ck_assert_int_eq(vmhi_nic_get_model(nic), VMHI_NIC_MODEL_DEFAULT);
    ck_assert_str_eq(vmhi_nic_get_network(nic), "default");
    vmhi_nic_free(nic);
}
END_TEST

START_TEST(null_handles)
{
    ck_vmhi(vmhi_vm_config_new(NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_new(NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_nic_new(NULL), VMHI_E_INVALID_ARG);
    vmhi_vm_config_free(NULL);
    vmhi_disk_free(NULL);
    vmhi_nic_free(NULL);
    ck_vmhi(vmhi_vm_config_set_name(NULL, "a"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_vcpus(NULL, 1), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_set_path(NULL, "/a"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_nic_set_network(NULL, "user"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_validate(NULL), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(vmhi_vm_config_get_name(NULL));
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(NULL), 0);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(NULL), 0);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(NULL), 0);
    ck_assert_ptr_null(vmhi_vm_config_get_disk(NULL, 0));
    ck_assert_ptr_null(vmhi_nic_get_network(NULL));
    ck_assert_int_eq(vmhi_disk_get_format(NULL), VMHI_DISK_FORMAT_RAW);

    vmhi_vm_config *cfg = new_config("a");
    ck_vmhi(vmhi_vm_config_add_disk(cfg, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_add_nic(cfg, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_remove_disk(cfg, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, NULL, 1), VMHI_E_INVALID_ARG);
    size_t count;
    ck_vmhi(vmhi_vm_config_get_boot_order(cfg, NULL, &count), VMHI_E_INVALID_ARG);
    vmhi_vm_config *copy = (vmhi_vm_config *)1;
    ck_vmhi(vmhi_vm_config_copy(&copy, NULL), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(copy);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------- setters */

START_TEST(name_rules)
{
    static const char *const bad[] = { "", ".", "..", ".hidden", "-opt", "a/b", "../x",
                                       "tab\there", "nl\n", "del\x7f", " lead", "trail ",
                                       "bad\xffutf8", "\xef\xbf\xbf" };
    vmhi_vm_config *cfg = new_config("keep");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_vmhi(vmhi_vm_config_set_name(cfg, bad[i]), VMHI_E_INVALID_ARG);
        ck_assert_str_ne(vmhi_error_last_message(), "");
        ck_assert_str_eq(vmhi_vm_config_get_name(cfg), "keep");
    }
    ck_vmhi(vmhi_vm_config_set_name(cfg, NULL), VMHI_E_INVALID_ARG);
    char long_name[VMHI_NAME_MAX + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[VMHI_NAME_MAX + 1] = '\0';
    ck_vmhi(vmhi_vm_config_set_name(cfg, long_name), VMHI_E_INVALID_ARG);
    assert_message_has("255");
    long_name[VMHI_NAME_MAX] = '\0';
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, long_name));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "web 1.example_ü"));
    ck_assert_str_eq(vmhi_vm_config_get_name(cfg), "web 1.example_ü");
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(uuid_rules)
{
    vmhi_vm_config *cfg = new_config("a");
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, "4B1C0F3E-8A7D-4C11-9E42-0D3F5A6B7C8D"));
    ck_assert_str_eq(vmhi_vm_config_get_uuid(cfg), "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8d");
    static const char *const bad[] = { "", "4b1c0f3e8a7d4c119e420d3f5a6b7c8d",
                                       "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8",
                                       "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8g",
                                       "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8d0" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_vmhi(vmhi_vm_config_set_uuid(cfg, bad[i]), VMHI_E_INVALID_ARG);
        ck_assert_str_eq(vmhi_vm_config_get_uuid(cfg), "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8d");
    }
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, NULL));
    ck_assert_ptr_null(vmhi_vm_config_get_uuid(cfg));
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(cpu_memory_rules)
{
    vmhi_vm_config *cfg = new_config("a");
    ck_vmhi(vmhi_vm_config_set_vcpus(cfg, 0), VMHI_E_INVALID_ARG);
    assert_message_has("vcpus");
    ck_vmhi(vmhi_vm_config_set_max_vcpus(cfg, 0), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_memory_mib(cfg, 0), VMHI_E_INVALID_ARG);
    assert_message_has("memory");
    ck_vmhi(vmhi_vm_config_set_max_memory_mib(cfg, 0), VMHI_E_INVALID_ARG);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(cfg), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), 512);
    ck_assert_uint_eq(vmhi_vm_config_get_max_memory_mib(cfg), 512);

    /* Until a maximum is set, it follows the current value. */
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 4));
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 4);
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, UINT64_MAX));
    ck_assert_uint_eq(vmhi_vm_config_get_max_memory_mib(cfg), UINT64_MAX);
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));

    /* Once set, it stays, and validation enforces current <= max. */
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 8));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 2));
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 8);
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 9));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("vcpus");
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 8));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 1024));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 2048));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("memory");
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(firmware_boot_rules)
{
    vmhi_vm_config *cfg = new_config("a");
    ck_vmhi(vmhi_vm_config_set_firmware(cfg, (vmhi_firmware)2), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_firmware(cfg, (vmhi_firmware)-1), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_UEFI));
    ck_assert_int_eq(vmhi_vm_config_get_firmware(cfg), VMHI_FIRMWARE_UEFI);

    const vmhi_boot_dev dup[] = { VMHI_BOOT_DISK, VMHI_BOOT_NETWORK, VMHI_BOOT_DISK };
    const vmhi_boot_dev unknown[] = { (vmhi_boot_dev)0 };
    const vmhi_boot_dev cdrom[] = { (vmhi_boot_dev)3 }; /* reserved, not in 1.0 */
    const vmhi_boot_dev too_many[] = { VMHI_BOOT_DISK, VMHI_BOOT_NETWORK, (vmhi_boot_dev)3,
                                       (vmhi_boot_dev)4, (vmhi_boot_dev)5 };
    const vmhi_boot_dev good[] = { VMHI_BOOT_NETWORK, VMHI_BOOT_DISK };
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, dup, 3), VMHI_E_INVALID_ARG);
    assert_message_has("disk");
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, unknown, 1), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, cdrom, 1), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, too_many, 5), VMHI_E_INVALID_ARG);
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t count;
    ck_vmhi_ok(vmhi_vm_config_get_boot_order(cfg, order, &count));
    ck_assert_uint_eq(count, 0);
    ck_vmhi_ok(vmhi_vm_config_set_boot_order(cfg, good, 2));
    ck_vmhi_ok(vmhi_vm_config_get_boot_order(cfg, order, &count));
    ck_assert_uint_eq(count, 2);
    /* CFG-9: an explicit order names devices the VM has. */
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("no NIC");
    ck_vmhi_ok(vmhi_vm_config_set_boot_order(cfg, NULL, 0)); /* back to the default */
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    ck_assert_mem_eq(order, good, sizeof(good));
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(disk_rules)
{
    vmhi_disk *disk = new_disk("keep", "/keep");
    static const char *const bad_ids[] = { "", "a b", "a/b", "ü", "a.b" };
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
        ck_vmhi(vmhi_disk_set_id(disk, bad_ids[i]), VMHI_E_INVALID_ARG);
    char long_id[VMHI_DEVICE_ID_MAX + 2];
    memset(long_id, 'i', sizeof(long_id) - 1);
    long_id[VMHI_DEVICE_ID_MAX + 1] = '\0';
    ck_vmhi(vmhi_disk_set_id(disk, long_id), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_disk_get_id(disk), "keep");

    static const char *const bad_paths[] = { "", "relative/x", "/tab\tpath", "/nl\n",
                                             "/bad\xc3utf8" };
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++)
        ck_vmhi(vmhi_disk_set_path(disk, bad_paths[i]), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_set_path(disk, NULL), VMHI_E_INVALID_ARG);
    char long_path[4097];
    memset(long_path, 'p', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[4096] = '\0';
    ck_vmhi(vmhi_disk_set_path(disk, long_path), VMHI_E_INVALID_ARG);
    assert_message_has("4095");
    ck_assert_str_eq(vmhi_disk_get_path(disk), "/keep");
    long_path[4095] = '\0';
    ck_vmhi_ok(vmhi_disk_set_path(disk, long_path));

    ck_vmhi(vmhi_disk_set_format(disk, (vmhi_disk_format)3), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_set_bus(disk, (vmhi_disk_bus)VMHI_DISK_BUS_COUNT_1_0), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(vmhi_disk_get_format(disk), VMHI_DISK_FORMAT_RAW);
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_VMDK));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_IDE));
    ck_vmhi_ok(vmhi_disk_set_readonly(disk, 42));
    ck_assert_int_eq(vmhi_disk_get_readonly(disk), 1);
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, UINT64_MAX));
    ck_assert_uint_eq(vmhi_disk_get_size_mib(disk), UINT64_MAX);
    ck_vmhi_ok(vmhi_disk_set_id(disk, NULL));
    ck_assert_ptr_null(vmhi_disk_get_id(disk));
    vmhi_disk_free(disk);
}
END_TEST

START_TEST(nic_rules)
{
    vmhi_nic *nic = new_nic("keep", "52:54:00:AA:BB:CC");
    ck_assert_str_eq(vmhi_nic_get_mac(nic), "52:54:00:aa:bb:cc");
    static const char *const bad_macs[] = { "", "52:54:00:aa:bb", "52-54-00-aa-bb-cc",
                                            "01:00:5e:00:00:01", "52:54:00:aa:bb:cg" };
    for (size_t i = 0; i < sizeof(bad_macs) / sizeof(bad_macs[0]); i++)
        ck_vmhi(vmhi_nic_set_mac(nic, bad_macs[i]), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_nic_get_mac(nic), "52:54:00:aa:bb:cc");
    ck_vmhi(vmhi_nic_set_id(nic, "no spaces"), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_nic_get_id(nic), "keep");
    ck_vmhi(vmhi_nic_set_model(nic, (vmhi_nic_model)VMHI_NIC_MODEL_COUNT_1_0), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(vmhi_nic_get_model(nic), VMHI_NIC_MODEL_DEFAULT);
    ck_vmhi_ok(vmhi_nic_set_model(nic, VMHI_NIC_MODEL_RTL8139));

    char long_net[257];
    memset(long_net, 'n', 256);
    long_net[256] = '\0';
    static const char *const bad_nets[] = { "", "tab\there", "bell\a" };
    for (size_t i = 0; i < sizeof(bad_nets) / sizeof(bad_nets[0]); i++)
        ck_vmhi(vmhi_nic_set_network(nic, bad_nets[i]), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_nic_set_network(nic, long_net), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_nic_set_network(nic, NULL), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_nic_get_network(nic), "default");
    long_net[255] = '\0';
    ck_vmhi_ok(vmhi_nic_set_network(nic, long_net));
    ck_vmhi_ok(vmhi_nic_set_network(nic, "VM Network"));
    ck_assert_str_eq(vmhi_nic_get_network(nic), "VM Network");
    ck_vmhi_ok(vmhi_nic_set_mac(nic, NULL));
    ck_assert_ptr_null(vmhi_nic_get_mac(nic));
    vmhi_nic_free(nic);
}
END_TEST

/* -------------------------------------------------------------- devices */

START_TEST(add_and_remove_disks)
{
    vmhi_vm_config *cfg = new_config("a");
    add_disk(cfg, NULL, "/a");
    add_disk(cfg, "disk1", "/b");
    add_disk(cfg, NULL, "/c"); /* disk0 and disk1 are taken */
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 3);
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 0)), "disk0");
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 2)), "disk2");
    ck_assert_ptr_null(vmhi_vm_config_get_disk(cfg, 3));

    vmhi_disk *no_path = new_disk("x", NULL);
    ck_vmhi(vmhi_vm_config_add_disk(cfg, no_path), VMHI_E_INVALID_ARG);
    vmhi_disk_free(no_path);
    vmhi_disk *same_id = new_disk("disk1", "/other");
    ck_vmhi(vmhi_vm_config_add_disk(cfg, same_id), VMHI_E_EXISTS);
    assert_message_has("disk1");
    vmhi_disk_free(same_id);
    vmhi_disk *same_path = new_disk(NULL, "/b");
    ck_vmhi(vmhi_vm_config_add_disk(cfg, same_path), VMHI_E_EXISTS);
    assert_message_has("/b");
    vmhi_disk_free(same_path);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 3);

    ck_vmhi(vmhi_vm_config_remove_disk(cfg, "nope"), VMHI_E_NO_DEVICE);
    ck_vmhi_ok(vmhi_vm_config_remove_disk(cfg, "disk0"));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 2);
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 0)), "disk1");
    add_disk(cfg, NULL, "/d");
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 2)), "disk0");
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(disk_limit)
{
    vmhi_vm_config *cfg = new_config("a");
    char path[32];
    for (int i = 0; i < 64; i++) {
        snprintf(path, sizeof(path), "/d%d", i);
        add_disk(cfg, NULL, path);
    }
    vmhi_disk *extra = new_disk(NULL, "/extra");
    ck_vmhi(vmhi_vm_config_add_disk(cfg, extra), VMHI_E_LIMIT);
    assert_message_has("64");
    vmhi_disk_free(extra);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 64);
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(add_and_remove_nics)
{
    vmhi_vm_config *cfg = new_config("a");
    add_nic(cfg, NULL, "52:54:00:00:00:01");
    add_nic(cfg, NULL, NULL);
    add_nic(cfg, NULL, NULL); /* NICs without a MAC do not clash */
    ck_assert_str_eq(vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, 2)), "nic2");
    vmhi_nic *same_mac = new_nic("x", "52:54:00:00:00:01");
    ck_vmhi(vmhi_vm_config_add_nic(cfg, same_mac), VMHI_E_EXISTS);
    assert_message_has("52:54:00:00:00:01");
    vmhi_nic_free(same_mac);
    vmhi_nic *same_id = new_nic("nic1", NULL);
    ck_vmhi(vmhi_vm_config_add_nic(cfg, same_id), VMHI_E_EXISTS);
    vmhi_nic_free(same_id);
    for (int i = 3; i < 32; i++)
        add_nic(cfg, NULL, NULL);
    vmhi_nic *extra = new_nic(NULL, NULL);
    ck_vmhi(vmhi_vm_config_add_nic(cfg, extra), VMHI_E_LIMIT);
    vmhi_nic_free(extra);
    ck_vmhi_ok(vmhi_vm_config_remove_nic(cfg, "nic31"));
    ck_vmhi(vmhi_vm_config_remove_nic(cfg, "nic31"), VMHI_E_NO_DEVICE);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(cfg), 31);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* One id names one device: disks and NICs share the id space. */
START_TEST(ids_unique_across_kinds)
{
    vmhi_vm_config *cfg = new_config("a");
    add_nic(cfg, "disk0", NULL);
    add_disk(cfg, NULL, "/a"); /* "disk0" is the NIC's, so this is disk1 */
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 0)), "disk1");
    vmhi_disk *disk = new_disk("disk0", "/b");
    ck_vmhi(vmhi_vm_config_add_disk(cfg, disk), VMHI_E_EXISTS);
    assert_message_has("NIC");
    vmhi_disk_free(disk);
    vmhi_nic *nic = new_nic("disk1", NULL);
    ck_vmhi(vmhi_vm_config_add_nic(cfg, nic), VMHI_E_EXISTS);
    assert_message_has("disk");
    vmhi_nic_free(nic);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(cfg), 1);
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(added_device_is_a_copy)
{
    vmhi_vm_config *cfg = new_config("a");
    vmhi_disk *disk = new_disk("d", "/a");
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/changed"));
    vmhi_disk_free(disk);
    ck_assert_str_eq(vmhi_disk_get_path(vmhi_vm_config_get_disk(cfg, 0)), "/a");
    vmhi_vm_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------ copy, validate */

START_TEST(copy_is_deep)
{
    vmhi_vm_config *cfg = new_config("orig");
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8d"));
    add_disk(cfg, NULL, "/a");
    add_nic(cfg, NULL, "52:54:00:00:00:01");
    vmhi_vm_config *copy = NULL;
    ck_vmhi_ok(vmhi_vm_config_copy(&copy, cfg));
    ck_vmhi_ok(vmhi_vm_config_remove_disk(cfg, "disk0"));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "changed"));
    vmhi_vm_config_free(cfg);
    ck_assert_str_eq(vmhi_vm_config_get_name(copy), "orig");
    ck_assert_str_eq(vmhi_vm_config_get_uuid(copy), "4b1c0f3e-8a7d-4c11-9e42-0d3f5a6b7c8d");
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(copy), 1);
    ck_assert_str_eq(vmhi_disk_get_path(vmhi_vm_config_get_disk(copy, 0)), "/a");
    ck_assert_str_eq(vmhi_nic_get_mac(vmhi_vm_config_get_nic(copy, 0)), "52:54:00:00:00:01");
    vmhi_vm_config_free(copy);
}
END_TEST

START_TEST(validate_needs_name)
{
    vmhi_vm_config *cfg = new_config(NULL);
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("name");
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "a"));
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    vmhi_vm_config_free(cfg);
}
END_TEST

/* The public API cannot create duplicates, but configs also come from
 * backends and the codecs through internal paths: validate must still
 * catch them.  The test reaches into the struct to make them. */
START_TEST(validate_catches_duplicates)
{
    vmhi_vm_config *cfg = new_config("a");
    add_disk(cfg, NULL, "/a");
    add_disk(cfg, NULL, "/b");
    add_nic(cfg, NULL, "52:54:00:00:00:01");
    add_nic(cfg, NULL, "52:54:00:00:00:02");
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));

    strcpy(cfg->disks[1]->id, "disk0");
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("id \"disk0\"");
    strcpy(cfg->disks[1]->id, "disk1");
    strcpy(cfg->disks[1]->path, "/a");
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("path \"/a\"");
    strcpy(cfg->disks[1]->path, "/b");
    strcpy(cfg->nics[1]->mac, "52:54:00:00:00:01");
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("MAC address 52:54:00:00:00:01");
    strcpy(cfg->nics[1]->mac, "52:54:00:00:00:02");
    strcpy(cfg->nics[1]->id, "nic0");
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("NIC 1");
    strcpy(cfg->nics[1]->id, "disk1");
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("also the id of disk 1");
    strcpy(cfg->nics[1]->id, "nic1");
    cfg->boot[0] = VMHI_BOOT_DISK;
    cfg->boot[1] = VMHI_BOOT_DISK;
    cfg->boot_count = 2;
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("boot order");
    cfg->boot_count = 1;
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(enum_names)
{
    ck_assert_str_eq(vmhi_disk_format_name(VMHI_DISK_FORMAT_QCOW2), "qcow2");
    ck_assert_str_eq(vmhi_disk_format_name(VMHI_DISK_FORMAT_VMDK), "vmdk");
    ck_assert_ptr_null(vmhi_disk_format_name((vmhi_disk_format)3));
    ck_assert_ptr_null(vmhi_disk_format_name((vmhi_disk_format)-1));
    ck_assert_str_eq(vmhi_disk_bus_name(VMHI_DISK_BUS_SATA), "sata");
    ck_assert_ptr_null(vmhi_disk_bus_name((vmhi_disk_bus)VMHI_DISK_BUS_COUNT_1_0));
    ck_assert_str_eq(vmhi_nic_model_name(VMHI_NIC_MODEL_VMXNET3), "vmxnet3");
    ck_assert_ptr_null(vmhi_nic_model_name((vmhi_nic_model)VMHI_NIC_MODEL_COUNT_1_0));
}
END_TEST

/* ------------------------------------------------ allocation failures */

/* Runs @op with the n-th allocation failing, for n = 1, 2, ... until it
 * succeeds without reaching the failure; every run must either succeed or
 * report VMHI_E_NOMEM, and leave nothing behind (ASan checks). */
static void torture(int (*op)(void *arg), void *arg)
{
    for (long n = 1; n < 10000; n++) {
        long before = vmhi__alloc_count();
        vmhi__alloc_fail_at(n);
        int rc = op(arg);
        vmhi__alloc_fail_at(0);
        ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_NOMEM, "n=%ld: rc %d (%s)", n, rc,
                      vmhi_error_last_message());
        if (rc == VMHI_E_NOMEM)
            ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_NOMEM);
        if (rc == VMHI_OK && vmhi__alloc_count() - before < n)
            return;
    }
    ck_abort_msg("operation never succeeded");
}

static int copy_op(void *arg)
{
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, arg);
    vmhi_vm_config_free(copy);
    return rc;
}

static int build_op(void *arg)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_disk *disk = NULL;
    int rc = vmhi_vm_config_new(&cfg);
    if (rc == 0)
        rc = vmhi_disk_new(&disk);
    if (rc == 0)
        rc = vmhi_disk_set_path(disk, "/a");
    if (rc == 0)
        rc = vmhi_vm_config_add_disk(cfg, disk);
    vmhi_disk_free(disk);
    vmhi_vm_config_free(cfg);
    return rc;
}

START_TEST(alloc_failures)
{
    vmhi_vm_config *cfg = new_config("a");
    for (int i = 0; i < 3; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/d%d", i);
        add_disk(cfg, NULL, path);
        add_nic(cfg, NULL, NULL);
    }
    torture(copy_op, cfg);
    torture(build_op, NULL);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* ---------------------------------------------- ABI 1.0 final fields */

/* CFG-8: the direct-boot and target setters check their value. */
START_TEST(cfg_8_direct_boot_and_target_setters)
{
    vmhi_vm_config *cfg = new_config("boot");
    ck_vmhi(vmhi_vm_config_set_kernel(cfg, "boot/vmlinuz"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_kernel(cfg, ""), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_kernel(cfg, "/boot/\x01"), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(vmhi_vm_config_get_kernel(cfg));
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, "/boot/vmlinuz"));
    ck_assert_str_eq(vmhi_vm_config_get_kernel(cfg), "/boot/vmlinuz");
    ck_assert_int_eq(vmhi_vm_config_get_boot_method(cfg), VMHI_BOOT_METHOD_KERNEL);
    ck_vmhi(vmhi_vm_config_set_initrd(cfg, "initrd.gz"), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, "/boot/initrd.gz"));
    ck_vmhi(vmhi_vm_config_set_cmdline(cfg, "console=hvc0\n"), VMHI_E_INVALID_ARG);
    char long_line[4097];
    memset(long_line, 'a', sizeof(long_line) - 1);
    long_line[4096] = '\0';
    ck_vmhi(vmhi_vm_config_set_cmdline(cfg, long_line), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "console=hvc0 quiet"));
    ck_assert_str_eq(vmhi_vm_config_get_cmdline(cfg), "console=hvc0 quiet");
    ck_vmhi(vmhi_vm_config_set_guest_type(cfg, (vmhi_guest_type)VMHI_GUEST_TYPE_COUNT_1_0),
            VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PV));
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(cfg), VMHI_GUEST_PV);
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));

    vmhi_disk *disk = new_disk(NULL, "/d.img");
    ck_vmhi(vmhi_disk_set_target(disk, "XVDA"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_set_target(disk, ""), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_disk_set_target(disk, "xvda0123456789012345678901234567"), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(vmhi_disk_get_target(disk));
    ck_vmhi_ok(vmhi_disk_set_target(disk, "xvda"));
    ck_assert_str_eq(vmhi_disk_get_target(disk), "xvda");
    ck_vmhi_ok(vmhi_disk_set_target(disk, NULL));
    ck_assert_ptr_null(vmhi_disk_get_target(disk));
    vmhi_disk_free(disk);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* CFG-7: the cross-field rules of direct boot and guest types. */
START_TEST(cfg_7_direct_boot_rules)
{
    vmhi_vm_config *cfg = new_config("rules");
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, "/boot/initrd.gz"));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("initrd");
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, NULL));
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "quiet"));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("command line");
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, NULL));
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PV));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("PV guest");
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, "/boot/vmlinuz"));
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    ck_vmhi_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_UEFI));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("UEFI");
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PVH));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_HVM));
    ck_vmhi_ok(vmhi_vm_config_validate(cfg)); /* HVM direct boot with UEFI is fine */
    vmhi_vm_config_free(cfg);
}
END_TEST

/* CFG-9: an explicit boot order names devices the VM has. */
START_TEST(cfg_9_boot_devices_must_exist)
{
    vmhi_vm_config *cfg = new_config("order");
    const vmhi_boot_dev disk_first[] = { VMHI_BOOT_DISK };
    ck_vmhi_ok(vmhi_vm_config_set_boot_order(cfg, disk_first, 1));
    ck_vmhi(vmhi_vm_config_validate(cfg), VMHI_E_INVALID_ARG);
    assert_message_has("no disk");
    vmhi_disk *disk = new_disk(NULL, "/d.img");
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    ck_vmhi_ok(vmhi_vm_config_validate(cfg));
    ck_vmhi(vmhi_vm_config_set_boot_order(cfg, NULL, 1), VMHI_E_INVALID_ARG);
    vmhi_disk_free(disk);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* CFG-17: metadata keys, values, the limit and key order. */
START_TEST(cfg_17_metadata_rules)
{
    vmhi_vm_config *cfg = new_config("meta");
    static const char *const bad_keys[] = { "tier", ":tier", "x-acme:", "Acme:tier",
                                            "x-acme:ti er", "-acme:tier", "a..b:c", "x.:c",
                                            "x-acme:tier:y" };
    for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
        ck_assert_msg(vmhi_vm_config_set_metadata(cfg, bad_keys[i], "v") == VMHI_E_INVALID_ARG,
                      "key %s accepted", bad_keys[i]);
    ck_vmhi(vmhi_vm_config_set_metadata(cfg, NULL, "v"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "a\x01b"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "\xff"), VMHI_E_INVALID_ARG);
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(cfg), 0);
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "gold\tplus\nline"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "com.example:a", ""));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "org.vmhi.esx:Note_1.x", "n"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "silver")); /* replaces */
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(cfg), 3);
    const char *key = NULL, *value = NULL;
    ck_vmhi_ok(vmhi_vm_config_get_metadata_at(cfg, 0, &key, &value));
    ck_assert_str_eq(key, "com.example:a");
    ck_vmhi_ok(vmhi_vm_config_get_metadata_at(cfg, 2, &key, &value));
    ck_assert_str_eq(key, "x-acme:tier");
    ck_assert_str_eq(value, "silver");
    ck_vmhi(vmhi_vm_config_get_metadata_at(cfg, 3, &key, &value), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(cfg, "org.vmhi.esx:Note_1.x"), "n");
    ck_assert_ptr_null(vmhi_vm_config_get_metadata(cfg, "x-acme:none"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "com.example:a", NULL)); /* removes */
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "com.example:gone", NULL)); /* no-op */
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(cfg), 2);
    char k[32];
    for (int i = 0; vmhi_vm_config_get_metadata_count(cfg) < VMHI_METADATA_MAX; i++) {
        snprintf(k, sizeof(k), "x-fill:k%d", i);
        ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, k, "v"));
    }
    ck_vmhi(vmhi_vm_config_set_metadata(cfg, "x-fill:one-more", "v"), VMHI_E_LIMIT);
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "bronze")); /* replacing is fine */

    /* Copies are deep and keep the order. */
    vmhi_vm_config *copy = NULL;
    ck_vmhi_ok(vmhi_vm_config_copy(&copy, cfg));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "changed"));
    ck_assert_str_eq(vmhi_vm_config_get_metadata(copy, "x-acme:tier"), "bronze");
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(copy), VMHI_METADATA_MAX);
    vmhi_vm_config_free(copy);
    vmhi_vm_config_free(cfg);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, config_defaults);
    tcase_add_test(tc, device_defaults);
    tcase_add_test(tc, null_handles);
    tcase_add_test(tc, name_rules);
    tcase_add_test(tc, uuid_rules);
    tcase_add_test(tc, cpu_memory_rules);
    tcase_add_test(tc, firmware_boot_rules);
    tcase_add_test(tc, disk_rules);
    tcase_add_test(tc, nic_rules);
    tcase_add_test(tc, add_and_remove_disks);
    tcase_add_test(tc, disk_limit);
    tcase_add_test(tc, add_and_remove_nics);
    tcase_add_test(tc, ids_unique_across_kinds);
    tcase_add_test(tc, added_device_is_a_copy);
    tcase_add_test(tc, copy_is_deep);
    tcase_add_test(tc, validate_needs_name);
    tcase_add_test(tc, validate_catches_duplicates);
    tcase_add_test(tc, enum_names);
    tcase_add_test(tc, cfg_8_direct_boot_and_target_setters);
    tcase_add_test(tc, cfg_7_direct_boot_rules);
    tcase_add_test(tc, cfg_9_boot_devices_must_exist);
    tcase_add_test(tc, cfg_17_metadata_rules);
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return vmhi_test_run(config_suite());
}
