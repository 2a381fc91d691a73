/*
 * ESX backend against the vSphere simulator: the 1.0 description model.
 * DEFAULT bus and model resolve to PVSCSI and vmxnet3 and read back
 * concretely; every bus ESX declares lands on its own controller type;
 * the per-value capabilities are exactly what ESX honours, the core
 * refuses the rest with VMHI_E_UNSUPPORTED before the backend sees it;
 * metadata and disk targets round-trip through extraConfig; the live and
 * persistent views of get_config; missing networks and datastores are
 * VMHI_E_NOT_FOUND.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

#define DS "/vmfs/volumes/LocalDS_0/"
#define BIT(v) (UINT64_C(1) << (v))

static vmhi_vm_config *new_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 128));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 128));
    return cfg;
}

static void add_disk(vmhi_vm_config *cfg, const char *path, vmhi_disk_bus bus,
                     const char *target)
{
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 8));
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_VMDK));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, bus));
    if (target)
        ck_vmhi_ok(vmhi_disk_set_target(disk, target));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
}

static void add_nic(vmhi_vm_config *cfg, vmhi_nic_model model, const char *network)
{
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_model(nic, model));
    if (network)
        ck_vmhi_ok(vmhi_nic_set_network(nic, network));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
}

static bool exists(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_lookup_by_name(&vm, conn, name);
    vmhi_vm_free(vm);
    ck_assert(rc == VMHI_OK || rc == VMHI_E_NO_VM);
    return rc == VMHI_OK;
}

static vmhi_vm_config *config_of(vmhi_vm *vm, unsigned int flags)
{
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, flags));
    return got;
}

/* ------------------------------------------------------------- caps */

START_TEST(value_caps_are_what_esx_honours)
{
    static const struct {
        vmhi_value_kind kind;
        uint64_t want;
    } expect[] = {
        { VMHI_VALUE_DISK_BUS, BIT(VMHI_DISK_BUS_DEFAULT) | BIT(VMHI_DISK_BUS_SCSI) |
                                   BIT(VMHI_DISK_BUS_SATA) | BIT(VMHI_DISK_BUS_IDE) |
                                   BIT(VMHI_DISK_BUS_PVSCSI) },
        { VMHI_VALUE_DISK_FORMAT, BIT(VMHI_DISK_FORMAT_RAW) | BIT(VMHI_DISK_FORMAT_VMDK) },
        { VMHI_VALUE_DISK_ACCESS, BIT(0) },
        { VMHI_VALUE_NIC_MODEL, BIT(VMHI_NIC_MODEL_DEFAULT) | BIT(VMHI_NIC_MODEL_E1000) |
                                    BIT(VMHI_NIC_MODEL_VMXNET3) },
        { VMHI_VALUE_NETWORK_KIND, BIT(VMHI_NETWORK_NAMED) },
        { VMHI_VALUE_FIRMWARE, BIT(VMHI_FIRMWARE_BIOS) | BIT(VMHI_FIRMWARE_UEFI) },
        { VMHI_VALUE_GUEST_TYPE, BIT(VMHI_GUEST_DEFAULT) | BIT(VMHI_GUEST_HVM) },
        { VMHI_VALUE_BOOT_METHOD, BIT(VMHI_BOOT_METHOD_FIRMWARE) },
    };
    vmhi_conn *conn = esx_open();
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        uint64_t got = 0;
        ck_vmhi_ok(vmhi_conn_get_value_caps(conn, expect[i].kind, &got));
        ck_assert_msg(got == expect[i].want, "%s: 0x%llx, expected 0x%llx",
                      vmhi_value_kind_name(expect[i].kind), (unsigned long long)got,
                      (unsigned long long)expect[i].want);
    }
    unsigned int caps = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_GET_CONFIG, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED | VMHI_CAP_LIVE | VMHI_CAP_CONFIG);
    vmhi_conn_close(conn);
}
END_TEST

/* --------------------------------------------------- DEFAULT and buses */

START_TEST(default_bus_and_model_read_back_as_pvscsi_and_vmxnet3)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("model-default");
    add_disk(cfg, DS "model-default/a.vmdk", VMHI_DISK_BUS_DEFAULT, NULL);
    add_nic(cfg, VMHI_NIC_MODEL_DEFAULT, NULL);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = config_of(vm, 0);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_PVSCSI);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)), VMHI_NIC_MODEL_VMXNET3);
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(got), VMHI_GUEST_HVM);
    /* A second connection reads the same from the server, not from us. */
    vmhi_conn *other = esx_open();
    vmhi_vm *seen = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&seen, other, "model-default"));
    vmhi_vm_config *again = config_of(seen, VMHI_AFFECT_CONFIG);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(again, 0)),
                     VMHI_DISK_BUS_PVSCSI);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(again, 0)),
                     VMHI_NIC_MODEL_VMXNET3);
    /* The device list names the same disk. */
    vmhi_vm_config_free(again);
    vmhi_vm_free(seen);
    vmhi_conn_close(other);
    /* Defined again as read, nothing changes (CFG-3). */
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, got, 0));
    vmhi_vm_config *third = config_of(vm, 0);
    char *a = NULL, *b = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_json(got, &a));
    ck_vmhi_ok(vmhi_vm_config_to_json(third, &b));
    ck_assert_str_eq(a, b);
    vmhi_free(a);
    vmhi_free(b);
    vmhi_vm_config_free(third);
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(every_declared_bus_reads_back_as_given)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("model-buses");
    add_disk(cfg, DS "model-buses/pv.vmdk", VMHI_DISK_BUS_PVSCSI, NULL);
    add_disk(cfg, DS "model-buses/lsi.vmdk", VMHI_DISK_BUS_SCSI, NULL);
    add_disk(cfg, DS "model-buses/sata.vmdk", VMHI_DISK_BUS_SATA, NULL);
    add_disk(cfg, DS "model-buses/ide.vmdk", VMHI_DISK_BUS_IDE, NULL);
    add_disk(cfg, DS "model-buses/pv2.vmdk", VMHI_DISK_BUS_DEFAULT, NULL);
    add_nic(cfg, VMHI_NIC_MODEL_E1000, NULL);
    add_nic(cfg, VMHI_NIC_MODEL_VMXNET3, "VM Network");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = config_of(vm, 0);
    static const vmhi_disk_bus want[] = { VMHI_DISK_BUS_PVSCSI, VMHI_DISK_BUS_SCSI,
                                          VMHI_DISK_BUS_SATA, VMHI_DISK_BUS_IDE,
                                          VMHI_DISK_BUS_PVSCSI };
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, i)) == want[i],
                      "disk %zu: %s, expected %s", i,
                      vmhi_disk_bus_name(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, i))),
                      vmhi_disk_bus_name(want[i]));
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)), VMHI_NIC_MODEL_E1000);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 1)), VMHI_NIC_MODEL_VMXNET3);
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(got, 1)), "VM Network");
    vmhi_vm_config_free(got);
    /* A disk attached later with DEFAULT joins the existing PVSCSI bus. */
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, DS "model-buses/late.vmdk"));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 8));
    char id[VMHI_DEVICE_ID_MAX + 1];
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, id));
    vmhi_disk_free(disk);
    got = config_of(vm, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 6);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 5)), VMHI_DISK_BUS_PVSCSI);
    vmhi_vm_config_free(got);
    /* It starts with all of them. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ------------------------------------------------- refused and accepted */

typedef enum { BAD_VIRTIO_BUS, BAD_XEN_BUS, BAD_QCOW2, BAD_READONLY, BAD_VIRTIO_NIC,
               BAD_RTL8139, BAD_XEN_NIC, BAD_USER_NET, BAD_BRIDGE_NET, BAD_PVH,
               BAD_KERNEL, BAD_COUNT } bad_kind;

static vmhi_vm_config *bad_config(bad_kind k)
{
    vmhi_vm_config *cfg = new_config("model-refused");
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, DS "model-refused/a.vmdk"));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 8));
    if (k == BAD_VIRTIO_BUS || k == BAD_XEN_BUS)
        ck_vmhi_ok(vmhi_disk_set_bus(disk, k == BAD_XEN_BUS ? VMHI_DISK_BUS_XEN
                                                             : VMHI_DISK_BUS_VIRTIO));
    if (k == BAD_QCOW2)
        ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_QCOW2));
    if (k == BAD_READONLY)
        ck_vmhi_ok(vmhi_disk_set_readonly(disk, 1));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
    if (k == BAD_VIRTIO_NIC || k == BAD_RTL8139 || k == BAD_XEN_NIC)
        add_nic(cfg, k == BAD_VIRTIO_NIC ? VMHI_NIC_MODEL_VIRTIO
                     : k == BAD_RTL8139  ? VMHI_NIC_MODEL_RTL8139 : VMHI_NIC_MODEL_XEN, NULL);
    if (k == BAD_USER_NET || k == BAD_BRIDGE_NET)
        add_nic(cfg, VMHI_NIC_MODEL_DEFAULT, k == BAD_USER_NET ? "user" : "bridge:br0");
    if (k == BAD_PVH)
        ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PVH));
    if (k == BAD_KERNEL)
        ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, "/boot/vmlinuz"));
    return cfg;
}

START_TEST(undeclared_values_are_refused_before_the_backend)
{
    vmhi_conn *conn = esx_open();
    for (int k = 0; k < BAD_COUNT; k++) {
        vmhi_vm_config *cfg = bad_config((bad_kind)k);
        int rc = vmhi_vm_define(NULL, conn, cfg, 0);
        ck_assert_msg(rc == VMHI_E_UNSUPPORTED, "case %d: %d (%s)", k, rc,
                      vmhi_error_last_message());
        /* The core's refusal names the kind, not an esx message. */
        ck_assert_msg(strncmp(vmhi_error_last_message(), "esx:", 4) != 0, "case %d: %s", k,
                      vmhi_error_last_message());
        vmhi_vm_config_free(cfg);
        ck_assert(!exists(conn, "model-refused"));
    }
    /* Attach too: a qcow2 disk to an existing VM. */
    vmhi_vm *vm = vmhi_test_define(conn, "model-attach-refused");
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, DS "model-attach-refused/q.qcow2"));
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_QCOW2));
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL), VMHI_E_UNSUPPORTED);
    vmhi_disk_free(disk);
    vmhi_vm_config *got = config_of(vm, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 0);
    vmhi_vm_config_free(got);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(declared_values_are_accepted_and_kept)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("model-accepted");
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_HVM));
    ck_vmhi_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_UEFI));
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, DS "model-accepted/raw.vmdk"));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 8));
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_RAW));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
    add_nic(cfg, VMHI_NIC_MODEL_E1000, "default");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = config_of(vm, 0);
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(got), VMHI_GUEST_HVM);
    ck_assert_int_eq(vmhi_vm_config_get_firmware(got), VMHI_FIRMWARE_UEFI);
    ck_assert_int_eq(vmhi_vm_config_get_boot_method(got), VMHI_BOOT_METHOD_FIRMWARE);
    ck_assert_int_eq(vmhi_disk_get_format(vmhi_vm_config_get_disk(got, 0)),
                     VMHI_DISK_FORMAT_RAW);
    ck_assert_int_eq(vmhi_disk_get_readonly(vmhi_vm_config_get_disk(got, 0)), 0);
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(got, 0)), "default");
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ------------------------------------------------ metadata and targets */

static void set_meta(vmhi_vm_config *cfg)
{
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "gold"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:Tier", "upper case is another key"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "com.example:owner_team-2",
                                           "100% <ops> & \"dev\"\ttab\nsecond line"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "org.vmhi.esx:empty", ""));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:utf8", "gr\xc3\xbc\xc3\x9f dich"));
}

static void assert_same_json(const vmhi_vm_config *a, const vmhi_vm_config *b)
{
    char *ja = NULL, *jb = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_json(a, &ja));
    ck_vmhi_ok(vmhi_vm_config_to_json(b, &jb));
    ck_assert_str_eq(ja, jb);
    vmhi_free(ja);
    vmhi_free(jb);
}

START_TEST(metadata_and_targets_round_trip)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("model-meta");
    add_disk(cfg, DS "model-meta/a.vmdk", VMHI_DISK_BUS_PVSCSI, "sda");
    add_disk(cfg, DS "model-meta/b.vmdk", VMHI_DISK_BUS_IDE, "hdb");
    add_disk(cfg, DS "model-meta/c.vmdk", VMHI_DISK_BUS_SATA, NULL);
    set_meta(cfg);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    /* What define filled in: the UUID, the guest type ESX runs (HVM). */
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, vmhi_vm_get_uuid(vm)));
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_HVM));
    /* Read by a second connection: what the server keeps. */
    vmhi_conn *other = esx_open();
    vmhi_vm *seen = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&seen, other, "model-meta"));
    vmhi_vm_config *got = config_of(seen, 0);
    assert_same_json(cfg, got);
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(got), 5);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "x-acme:Tier"),
                     "upper case is another key");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "org.vmhi.esx:empty"), "");
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(got, 0)), "sda");
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(got, 1)), "hdb");
    ck_assert_ptr_null(vmhi_disk_get_target(vmhi_vm_config_get_disk(got, 2)));
    vmhi_vm_config_free(got);
    /* Changed, removed and added entries on a new definition (shut off:
     * applied at once). */
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "silver"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:Tier", NULL));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:new", "n"));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    got = config_of(seen, 0);
    assert_same_json(cfg, got);
    ck_assert_ptr_null(vmhi_vm_config_get_metadata(got, "x-acme:Tier"));
    vmhi_vm_config_free(got);
    /* Running: a new definition waits (CONFIG view) while the live view
     * keeps the entries the VM runs with. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "bronze"));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    vmhi_vm_config *live = config_of(vm, VMHI_AFFECT_LIVE);
    vmhi_vm_config *def = config_of(vm, VMHI_AFFECT_CONFIG);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(live, "x-acme:tier"), "silver");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(def, "x-acme:tier"), "bronze");
    assert_same_json(cfg, def);
    vmhi_vm_config_free(live);
    vmhi_vm_config_free(def);
    /* At shutoff and the next start it is the VM's configuration. */
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    live = config_of(vm, VMHI_AFFECT_LIVE);
    assert_same_json(cfg, live);
    vmhi_vm_config_free(live);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi(vmhi_vm_get_config(vm, &live, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    vmhi_vm_free(seen);
    vmhi_conn_close(other);
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(a_transient_vm_has_no_persistent_view)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm *vm = vmhi_test_define(conn, "model-transient");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    got = config_of(vm, VMHI_AFFECT_LIVE);
    ck_assert_str_eq(vmhi_vm_config_get_name(got), "model-transient");
    vmhi_vm_config_free(got);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* ------------------------------------------------------------ NOT_FOUND */

START_TEST(missing_networks_and_datastores_are_not_found)
{
    vmhi_conn *conn = esx_open();
    vmhi_vm_config *cfg = new_config("model-missing");
    add_nic(cfg, VMHI_NIC_MODEL_DEFAULT, "No Such Portgroup");
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_NOT_FOUND);
    ck_assert(strstr(vmhi_error_last_message(), "No Such Portgroup") != NULL);
    vmhi_vm_config_free(cfg);
    cfg = new_config("model-missing");
    add_disk(cfg, "/vmfs/volumes/NoSuchDS/x/a.vmdk", VMHI_DISK_BUS_DEFAULT, NULL);
    ck_vmhi(vmhi_vm_define(NULL, conn, cfg, 0), VMHI_E_NOT_FOUND);
    ck_assert(strstr(vmhi_error_last_message(), "NoSuchDS") != NULL);
    vmhi_vm_config_free(cfg);
    ck_assert(!exists(conn, "model-missing"));
    /* Attach: the VM keeps its NICs. */
    vmhi_vm *vm = vmhi_test_define(conn, "model-missing-attach");
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_network(nic, "Nowhere"));
    ck_vmhi(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_CONFIG, NULL), VMHI_E_NOT_FOUND);
    vmhi_nic_free(nic);
    vmhi_vm_config *got = config_of(vm, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 0);
    vmhi_vm_config_free(got);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, value_caps_are_what_esx_honours);
    tcase_add_test(tc, default_bus_and_model_read_back_as_pvscsi_and_vmxnet3);
    tcase_add_test(tc, every_declared_bus_reads_back_as_given);
    tcase_add_test(tc, undeclared_values_are_refused_before_the_backend);
    tcase_add_test(tc, declared_values_are_accepted_and_kept);
    tcase_add_test(tc, metadata_and_targets_round_trip);
    tcase_add_test(tc, a_transient_vm_has_no_persistent_view);
    tcase_add_test(tc, missing_networks_and_datastores_are_not_found);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("model", "--vms 1", suite());
}
