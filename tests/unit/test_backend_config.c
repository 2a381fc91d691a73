/*
 * The test backend and VM descriptions: DEFAULT buses and models read back
 * as the backend's choice, every field it does not act on (guest type,
 * direct kernel boot, disk target, metadata) round-trips through define
 * and get_config, and the CURRENT / LIVE / CONFIG views of get_config.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_backend_common.h"

#define UUID_A "6f1c3a52-8d4e-4b7a-9c2d-0123456789ab"

static vmhi_vm_config *read_config(vmhi_vm *vm, unsigned int flags)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, flags));
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

static void add_disk(vmhi_vm_config *cfg, const char *path, vmhi_disk_bus bus)
{
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, path));
    ck_vmhi_ok(vmhi_disk_set_bus(d, bus));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
}

static void add_nic(vmhi_vm_config *cfg, vmhi_nic_model model)
{
    vmhi_nic *n = NULL;
    ck_vmhi_ok(vmhi_nic_new(&n));
    ck_vmhi_ok(vmhi_nic_set_model(n, model));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, n));
    vmhi_nic_free(n);
}

/* ------------------------------------------------- DEFAULT resolution */

START_TEST(default_bus_and_model_read_back_as_virtio)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("vm", 64);
    add_disk(cfg, "/images/a.img", VMHI_DISK_BUS_DEFAULT);
    add_disk(cfg, "/images/b.img", VMHI_DISK_BUS_SCSI);
    add_nic(cfg, VMHI_NIC_MODEL_DEFAULT);
    add_nic(cfg, VMHI_NIC_MODEL_E1000);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    for (int pass = 0; pass < 2; pass++) { /* the definition, then the running VM */
        vmhi_vm_config *got = read_config(vm, 0);
        ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 2);
        ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)),
                         VMHI_DISK_BUS_VIRTIO);
        ck_assert_str_eq(vmhi_disk_get_path(vmhi_vm_config_get_disk(got, 0)), "/images/a.img");
        ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 1)), VMHI_DISK_BUS_SCSI);
        ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 2);
        ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)),
                         VMHI_NIC_MODEL_VIRTIO);
        ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 1)),
                         VMHI_NIC_MODEL_E1000);
        vmhi_vm_config_free(got);
        if (pass == 0)
            ck_vmhi_ok(vmhi_vm_start(vm, 0));
    }
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(created_vm_reads_back_resolved_too)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    add_disk(cfg, "/images/a.img", VMHI_DISK_BUS_DEFAULT);
    add_nic(cfg, VMHI_NIC_MODEL_DEFAULT);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    vmhi_vm_config *got = read_config(vm, VMHI_AFFECT_LIVE);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_VIRTIO);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)), VMHI_NIC_MODEL_VIRTIO);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(attached_default_devices_read_back_as_virtio)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_disk *d = NULL;
    vmhi_nic *n = NULL;
    char disk_id[VMHI_DEVICE_ID_MAX + 1], nic_id[VMHI_DEVICE_ID_MAX + 1];
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, "/images/extra.img"));
    ck_vmhi_ok(vmhi_disk_set_target(d, "vdb"));
    ck_vmhi_ok(vmhi_nic_new(&n));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, disk_id));
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, n, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, nic_id));
    const unsigned int views[] = { VMHI_AFFECT_LIVE, VMHI_AFFECT_CONFIG };
    for (size_t i = 0; i < 2; i++) {
        vmhi_vm_config *got = read_config(vm, views[i]);
        const vmhi_disk *gd = vmhi_vm_config_get_disk(got, 0);
        ck_assert_str_eq(vmhi_disk_get_id(gd), disk_id);
        ck_assert_int_eq(vmhi_disk_get_bus(gd), VMHI_DISK_BUS_VIRTIO);
        ck_assert_str_eq(vmhi_disk_get_target(gd), "vdb");
        const vmhi_nic *gn = vmhi_vm_config_get_nic(got, 0);
        ck_assert_str_eq(vmhi_nic_get_id(gn), nic_id);
        ck_assert_int_eq(vmhi_nic_get_model(gn), VMHI_NIC_MODEL_VIRTIO);
        ck_assert_ptr_nonnull(vmhi_nic_get_mac(gn));
        vmhi_vm_config_free(got);
    }
    vmhi_disk_free(d);
    vmhi_nic_free(n);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* --------------------------------------------- fields kept unchanged */

/* A PV guest booted by direct kernel boot, with targets and metadata, every
 * device value explicit so that the XML of what comes back must equal the
 * XML of what went in. */
/* Boot files the simulated host can find (it checks they exist, ERR-15). */
static char kernel_path[64], initrd_path[64], boot_dir[32];

static void make_boot_files(void)
{
    char dir[] = "/tmp/vmhi-tb-boot-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(boot_dir, sizeof(boot_dir), "%s", dir);
    snprintf(kernel_path, sizeof(kernel_path), "%s/vmlinuz-pv", dir);
    snprintf(initrd_path, sizeof(initrd_path), "%s/initrd-pv.gz", dir);
    const char *files[] = { kernel_path, initrd_path };
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    }
}

/* Checked teardown (runs in each forked case): the boot files go, so a run
 * leaves nothing in /tmp. */
static void remove_boot_files(void)
{
    if (!boot_dir[0])
        return;
    unlink(kernel_path);
    unlink(initrd_path);
    rmdir(boot_dir);
    boot_dir[0] = '\0';
}

static vmhi_vm_config *rich_config(void)
{
    make_boot_files();
    vmhi_vm_config *cfg = bt_config("pv-guest", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PV));
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, kernel_path));
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, initrd_path));
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "console=hvc0 root=/dev/xvda1 ro"));
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, "/images/pv.img"));
    ck_vmhi_ok(vmhi_disk_set_bus(d, VMHI_DISK_BUS_XEN));
    ck_vmhi_ok(vmhi_disk_set_target(d, "xvda"));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
    vmhi_nic *n = NULL;
    ck_vmhi_ok(vmhi_nic_new(&n));
    ck_vmhi_ok(vmhi_nic_set_model(n, VMHI_NIC_MODEL_XEN));
    ck_vmhi_ok(vmhi_nic_set_mac(n, "52:54:00:aa:bb:01"));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, n));
    vmhi_nic_free(n);
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "gold"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "com.example:notes", "line one\n\tline two"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "org.vmhi.esx:ignored-here", "kept"));
    return cfg;
}

static char *xml_of(const vmhi_vm_config *cfg)
{
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    return xml;
}

/* Field by field (for a readable failure), then the whole document. */
static void expect_rich(const vmhi_vm_config *got, const vmhi_vm_config *want)
{
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(got), VMHI_GUEST_PV);
    ck_assert_str_eq(vmhi_vm_config_get_kernel(got), kernel_path);
    ck_assert_str_eq(vmhi_vm_config_get_initrd(got), initrd_path);
    ck_assert_str_eq(vmhi_vm_config_get_cmdline(got), "console=hvc0 root=/dev/xvda1 ro");
    ck_assert_int_eq(vmhi_vm_config_get_boot_method(got), VMHI_BOOT_METHOD_KERNEL);
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(got, 0)), "xvda");
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(got), 3);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "x-acme:tier"), "gold");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "com.example:notes"),
                     "line one\n\tline two");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "org.vmhi.esx:ignored-here"), "kept");
    char *a = xml_of(got), *b = xml_of(want);
    ck_assert_str_eq(a, b);
    vmhi_free(a);
    vmhi_free(b);
}

START_TEST(metadata_kernel_and_target_round_trip)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = rich_config();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = read_config(vm, 0);
    expect_rich(got, cfg);
    vmhi_vm_config_free(got);
    /* The running VM's config and the definition keep them too. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    got = read_config(vm, VMHI_AFFECT_LIVE);
    expect_rich(got, cfg);
    vmhi_vm_config_free(got);
    got = read_config(vm, VMHI_AFFECT_CONFIG);
    expect_rich(got, cfg);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(redefinition_replaces_metadata)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = rich_config();
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", NULL));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:owner", "ops"));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = read_config(vm, 0);
    ck_assert_ptr_null(vmhi_vm_config_get_metadata(got, "x-acme:tier"));
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "x-acme:owner"), "ops");
    ck_assert_uint_eq(vmhi_vm_config_get_metadata_count(got), 3);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(round_trip_survives_the_directory)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *conn = bt_open(uri);
    vmhi_vm_config *cfg = rich_config();
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = bt_open(uri);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "pv-guest"));
    vmhi_vm_config *got = read_config(vm, 0);
    expect_rich(got, cfg);
    vmhi_vm_config_free(got);
    /* A running VM's live config is written to its state file: it too. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    conn = bt_open(uri);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "pv-guest"));
    ck_assert_int_eq(bt_state(vm), VMHI_STATE_RUNNING);
    got = read_config(vm, VMHI_AFFECT_LIVE);
    expect_rich(got, cfg);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(cfg);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}
END_TEST

START_TEST(defaults_stay_resolved_across_connections)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    vmhi_conn *conn = bt_open(uri);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    add_disk(cfg, "/images/a.img", VMHI_DISK_BUS_DEFAULT);
    add_nic(cfg, VMHI_NIC_MODEL_DEFAULT);
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0));
    vmhi_conn_close(conn);
    conn = bt_open(uri);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "vm"));
    vmhi_vm_config *got = read_config(vm, 0);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_VIRTIO);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)), VMHI_NIC_MODEL_VIRTIO);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}
END_TEST

/* A hand-written definition may leave the bus to the backend, too. */
START_TEST(hand_written_default_bus_loads_resolved)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    bt_write_file(dir, UUID_A ".xml",
                  "<vm xmlns=\"urn:vmhi:vm:1\"><name>hand</name><uuid>" UUID_A "</uuid>"
                  "<vcpus>1</vcpus><memory>64</memory><devices>"
                  "<disk><path>/images/h.img</path></disk></devices></vm>");
    vmhi_conn *conn = bt_open(uri);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "hand"));
    vmhi_vm_config *got = read_config(vm, 0);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_VIRTIO);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}
END_TEST

/* ------------------------------------------------------ config views */

START_TEST(live_and_config_views_differ_while_running)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("vm", 64);
    ck_vmhi_ok(vmhi_vm_config_set_uuid(cfg, UUID_A));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 100, VMHI_AFFECT_CONFIG));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 3));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 100));
    ck_vmhi_ok(vmhi_vm_define(NULL, conn, cfg, 0)); /* applies at the next start */

    vmhi_vm_config *current = read_config(vm, VMHI_AFFECT_CURRENT);
    vmhi_vm_config *live = read_config(vm, VMHI_AFFECT_LIVE);
    vmhi_vm_config *def = read_config(vm, VMHI_AFFECT_CONFIG);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(current), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(current), 64);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(live), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(live), 64);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(def), 3);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(def), 100);
    vmhi_vm_config_free(current);
    vmhi_vm_config_free(live);
    vmhi_vm_config_free(def);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(live_view_needs_an_active_vm)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "idle", 64);
    vmhi_vm_config *got = (vmhi_vm_config *)1;
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    ck_assert_ptr_null(got);
    ck_assert_msg(strstr(vmhi_error_last_message(), "'idle'") != NULL, "%s",
                  vmhi_error_last_message());
    got = read_config(vm, VMHI_AFFECT_CONFIG);
    ck_assert_str_eq(vmhi_vm_config_get_name(got), "idle");
    vmhi_vm_config_free(got);
    /* A suspended VM is not active either: its config is a saved image. */
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    got = read_config(vm, VMHI_AFFECT_CONFIG);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(config_view_needs_a_persistent_vm)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm_config *cfg = bt_config("tmp", 64);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_assert_msg(strstr(vmhi_error_last_message(), "transient") != NULL, "%s",
                  vmhi_error_last_message());
    got = read_config(vm, VMHI_AFFECT_LIVE);
    ck_assert_str_eq(vmhi_vm_config_get_name(got), "tmp");
    vmhi_vm_config_free(got);
    got = read_config(vm, VMHI_AFFECT_CURRENT);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(both_views_at_once_is_invalid)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(pending_detach_stays_in_live_view_only)
{
    vmhi_conn *conn = bt_open("test:///default?guest=unresponsive");
    vmhi_vm_config *cfg = bt_config("vm", 64);
    add_disk(cfg, "/images/a.img", VMHI_DISK_BUS_VIRTIO);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_completion done = VMHI_COMPLETION_DONE;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    vmhi_vm_config *live = read_config(vm, VMHI_AFFECT_LIVE);
    vmhi_vm_config *def = read_config(vm, VMHI_AFFECT_CONFIG);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(live), 1);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(def), 0);
    vmhi_vm_config_free(live);
    vmhi_vm_config_free(def);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_config");
    TCase *tc = tcase_create("defaults");
    tcase_add_test(tc, default_bus_and_model_read_back_as_virtio);
    tcase_add_test(tc, created_vm_reads_back_resolved_too);
    tcase_add_test(tc, attached_default_devices_read_back_as_virtio);
    tcase_add_test(tc, defaults_stay_resolved_across_connections);
    tcase_add_test(tc, hand_written_default_bus_loads_resolved);
    suite_add_tcase(s, tc);
    tc = tcase_create("round-trip");
    tcase_add_checked_fixture(tc, NULL, remove_boot_files);
    tcase_add_test(tc, metadata_kernel_and_target_round_trip);
    tcase_add_test(tc, redefinition_replaces_metadata);
    tcase_add_test(tc, round_trip_survives_the_directory);
    suite_add_tcase(s, tc);
    tc = tcase_create("views");
    tcase_add_test(tc, live_and_config_views_differ_while_running);
    tcase_add_test(tc, live_view_needs_an_active_vm);
    tcase_add_test(tc, config_view_needs_a_persistent_vm);
    tcase_add_test(tc, both_views_at_once_is_invalid);
    tcase_add_test(tc, pending_detach_stays_in_live_view_only);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
