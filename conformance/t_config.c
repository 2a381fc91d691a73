/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VM descriptions (spec section 9): a definition comes back as it was
 * given - the extension fields (metadata of any namespace, disk targets,
 * direct kernel boot) included, a DEFAULT bus or model as the backend's
 * concrete choice - and can be given back unchanged; its devices get ids
 * and MAC addresses that are unique and stable; vmhi_vm_get_config()
 * shows the definition and the running VM apart.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf_values.h"

/* A description using every field of the model, each set explicitly, so
 * that the backend has nothing to fill in: concrete values the connection
 * declares where a DEFAULT would let it choose. */
static vmhi_vm_config *full_config(vmhi_conn *conn)
{
    vmhi_vm_config *cfg = conf_config_new();
    const vmhi_boot_dev order[] = { VMHI_BOOT_DISK, VMHI_BOOT_NETWORK };
    conf_ok(vmhi_vm_config_set_firmware(cfg, VMHI_FIRMWARE_BIOS));
    vmhi_guest_type guest = (vmhi_guest_type)conf_value_concrete(conn, VMHI_VALUE_GUEST_TYPE);
    if (guest != VMHI_GUEST_PV) /* a PV guest would need a kernel */
        conf_ok(vmhi_vm_config_set_guest_type(cfg, guest));
    vmhi_disk *disk = conf_value_disk(conn, VMHI_VALUE_DISK_BUS,
                                      conf_value_concrete(conn, VMHI_VALUE_DISK_BUS));
    conf_ok(vmhi_disk_set_id(disk, "conf-d0"));
    conf_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
    vmhi_nic *nic = conf_value_nic(conn, VMHI_VALUE_NIC_MODEL,
                                   conf_value_concrete(conn, VMHI_VALUE_NIC_MODEL));
    conf_ok(vmhi_nic_set_id(nic, "conf-n0"));
    conf_ok(vmhi_nic_set_mac(nic, "52:54:00:c0:f0:01"));
    conf_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    conf_ok(vmhi_vm_config_set_boot_order(cfg, order, 2));
    return cfg;
}

VMHI_CONF_TEST(definition_comes_back_as_given, VMHI_PROFILE_CORE, "CFG-1", "CFG-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = full_config(conn);
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    /* The given description has no UUID; compare with the one assigned. */
    conf_ok(vmhi_vm_config_set_uuid(cfg, vmhi_vm_get_uuid(vm)));
    conf_adopt_disk_targets(cfg, vm);
    char *given = conf_config_xml(cfg);
    conf_req("CFG-1");
    char *got = conf_vm_xml(vm);
    ck_assert_msg(strcmp(given, got) == 0, "vmhi_vm_get_config() returned\n%s\ninstead of the "
                  "definition\n%s", got, given);

    conf_req("CFG-3");
    vmhi_vm_config *back = NULL;
    conf_ok(vmhi_vm_get_config(vm, &back, 0));
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_define(&again, conn, back, 0));
    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(got, after) == 0, "defining the returned description changed it:\n"
                  "%s\nbecame\n%s", got, after);
    vmhi_free(given);
    vmhi_free(got);
    vmhi_free(after);
    vmhi_vm_free(again);
    vmhi_vm_config_free(back);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* Checks ids (unique, 1..63 bytes) and NIC MACs (present, distinct). */
static void check_ids(const vmhi_vm_config *cfg)
{
    const char *ids[8];
    size_t n = 0;
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(cfg) && n < 8; i++)
        ids[n++] = vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, i));
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg) && n < 8; i++)
        ids[n++] = vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i));
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(ids[i] && *ids[i] && strlen(ids[i]) <= VMHI_DEVICE_ID_MAX,
                      "device %zu has id '%s'", i, ids[i] ? ids[i] : "(null)");
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(ids[i], ids[j]) != 0, "two devices have id '%s'", ids[i]);
    }
    const vmhi_nic *a = vmhi_vm_config_get_nic(cfg, 0), *b = vmhi_vm_config_get_nic(cfg, 1);
    ck_assert_msg(vmhi_nic_get_mac(a) && vmhi_nic_get_mac(b), "a NIC got no MAC address");
    ck_assert_msg(strcasecmp(vmhi_nic_get_mac(a), vmhi_nic_get_mac(b)) != 0,
                  "both NICs got MAC %s", vmhi_nic_get_mac(a));
}

/* The ids vmhi_vm_list_devices() reports are those of the description. */
static void check_listed_ids(vmhi_vm *vm, const vmhi_vm_config *cfg)
{
    vmhi_device_list *list = NULL;
    conf_ok(vmhi_vm_list_devices(vm, &list));
    size_t devices = vmhi_vm_config_get_disk_count(cfg) + vmhi_vm_config_get_nic_count(cfg);
    ck_assert_uint_eq(vmhi_device_list_count(list), devices);
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        conf_ok(vmhi_device_list_get(list, i, &info));
        bool found = false;
        for (size_t d = 0; d < vmhi_vm_config_get_disk_count(cfg); d++)
            found |= strcmp(info.id, vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, d))) == 0;
        for (size_t d = 0; d < vmhi_vm_config_get_nic_count(cfg); d++)
            found |= strcmp(info.id, vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, d))) == 0;
        ck_assert_msg(found, "vmhi_vm_list_devices() lists id '%s', which the description "
                      "does not have", info.id);
    }
    vmhi_device_list_free(list);
}

VMHI_CONF_TEST(devices_get_unique_ids_and_macs, VMHI_PROFILE_CORE, "CFG-4")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_new();
    conf_config_add_disk(cfg, NULL);
    conf_config_add_disk(cfg, NULL);
    conf_config_add_nic(cfg, NULL);
    conf_config_add_nic(cfg, NULL);
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    bool listing = conf_op_caps(conn, VMHI_OP_LIST_DEVICES) & VMHI_CAP_SUPPORTED;
    conf_req("CFG-4");
    for (int round = 0; round < 2; round++) {
        vmhi_vm_config *got = NULL;
        conf_ok(vmhi_vm_get_config(vm, &got, 0));
        ck_assert_uint_eq(vmhi_vm_config_get_disk_count(got), 2);
        ck_assert_uint_eq(vmhi_vm_config_get_nic_count(got), 2);
        check_ids(got);
        if (listing)
            check_listed_ids(vm, got);
        vmhi_vm_config_free(got);
        if (round == 0) { /* and again while running */
            conf_ok(vmhi_vm_start(vm, 0));
            conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
        }
    }
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(live_config_shows_live_changes, VMHI_PROFILE_CORE, "CFG-2")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!(conf_op_caps(conn, VMHI_OP_SET_MEMORY) & VMHI_CAP_LIVE),
                       vmhi_conn_close(conn),
                 "live memory changes are not supported; CFG-2 is checked with pending "
                 "detaches by the Devices tests");
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_LIVE));
    vmhi_vm_config *cfg = NULL;
    conf_req("CFG-2");
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), CONF_MIB(96));
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* --------------------------------------------- DEFAULT bus and model */

/* Every disk bus and NIC model of @vm's description is concrete and declared. */
static void check_resolved(vmhi_conn *conn, vmhi_vm *vm, const char *when)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    for (size_t i = 0; i < vmhi_vm_config_get_disk_count(cfg); i++) {
        const vmhi_disk *disk = vmhi_vm_config_get_disk(cfg, i);
        vmhi_disk_bus bus = vmhi_disk_get_bus(disk);
        ck_assert_msg(bus != VMHI_DISK_BUS_DEFAULT &&
                          conf_value_declared(conn, VMHI_VALUE_DISK_BUS, bus),
                      "%s, disk '%s' reports bus '%s'%s", when, vmhi_disk_get_id(disk),
                      conf_value_text(VMHI_VALUE_DISK_BUS, bus),
                      bus ? ", which the value caps do not declare" : ", not the bus chosen");
    }
    for (size_t i = 0; i < vmhi_vm_config_get_nic_count(cfg); i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        vmhi_nic_model model = vmhi_nic_get_model(nic);
        ck_assert_msg(model != VMHI_NIC_MODEL_DEFAULT &&
                          conf_value_declared(conn, VMHI_VALUE_NIC_MODEL, model),
                      "%s, NIC '%s' reports model '%s'%s", when, vmhi_nic_get_id(nic),
                      conf_value_text(VMHI_VALUE_NIC_MODEL, model),
                      model ? ", which the value caps do not declare" : ", not the model chosen");
    }
    vmhi_vm_config_free(cfg);
}

/* Attaches a DEFAULT disk and NIC to the definition, where Devices is
 * claimed and attach has a config form. */
static bool attach_defaults(vmhi_conn *conn, vmhi_vm *vm)
{
    if (!conf_claims(VMHI_PROFILE_DEVICES) ||
        !(conf_op_caps(conn, VMHI_OP_ATTACH_DISK) & VMHI_CAP_CONFIG) ||
        !(conf_op_caps(conn, VMHI_OP_ATTACH_NIC) & VMHI_CAP_CONFIG))
        return false;
    vmhi_disk *disk = conf_value_disk(conn, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_DEFAULT);
    conf_ok(vmhi_disk_set_id(disk, "conf-d9"));
    conf_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL));
    vmhi_disk_free(disk);
    vmhi_nic *nic = conf_value_nic(conn, VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_DEFAULT);
    conf_ok(vmhi_nic_set_id(nic, "conf-n9"));
    conf_ok(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_CONFIG, NULL));
    vmhi_nic_free(nic);
    return true;
}

VMHI_CONF_TEST(default_bus_and_model_come_back_chosen, VMHI_PROFILE_CORE, REQ_DEFAULT_RESOLVED)
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_value_config(conn, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_DEFAULT);
    vmhi_nic *nic = conf_value_nic(conn, VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_DEFAULT);
    conf_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    conf_req(REQ_DEFAULT_RESOLVED);
    check_resolved(conn, vm, "defined with a DEFAULT bus and model");
    if (attach_defaults(conn, vm))
        check_resolved(conn, vm, "after attaching a DEFAULT disk and NIC");
    else
        conf_note("no config attach (Devices not claimed or no config form): defined "
                  "devices only");
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    check_resolved(conn, vm, "running");
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* -------------------------------------------------------- round trip */

/* Metadata of a namespace no one knows, with text that needs escaping in
 * both document forms. */
static const char *const metadata[][2] = {
    { "com.example.vmhi-conformance:owner", "conformance suite" },
    { "x-unknown-ns.test:Opaque_key.1", "line one\n\tline two: <&> \"quoted\" 'single' \xc3\xa9" },
};

static void set_extensions(vmhi_conn *conn, vmhi_vm_config *cfg, bool kernel)
{
    for (size_t i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++)
        conf_ok(vmhi_vm_config_set_metadata(cfg, metadata[i][0], metadata[i][1]));
    vmhi_disk *disk = conf_value_disk(conn, VMHI_VALUE_DISK_BUS,
                                      conf_value_pick(conn, VMHI_VALUE_DISK_BUS));
    conf_ok(vmhi_disk_set_target(disk, "vdb"));
    conf_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
    vmhi_guest_type guest = (vmhi_guest_type)conf_value_concrete(conn, VMHI_VALUE_GUEST_TYPE);
    if (guest != VMHI_GUEST_PV || kernel)
        conf_ok(vmhi_vm_config_set_guest_type(cfg, guest));
    if (!kernel)
        return;
    char path[512];
    conf_kernel_path(path, sizeof(path), "kernel");
    conf_ok(vmhi_vm_config_set_kernel(cfg, path));
    conf_kernel_path(path, sizeof(path), "initrd");
    conf_ok(vmhi_vm_config_set_initrd(cfg, path));
    conf_ok(vmhi_vm_config_set_cmdline(cfg, "console=ttyS0 vmhi.conf=\"a b\" quiet"));
}

static void same_text(const char *what, const char *given, const char *got)
{
    ck_assert_msg((!given && !got) || (given && got && strcmp(given, got) == 0),
                  "%s was '%s', came back as '%s'", what, given ? given : "(none)",
                  got ? got : "(none)");
}

static void check_extensions(const vmhi_vm_config *given, const vmhi_vm_config *got)
{
    conf_req(REQ_METADATA_KEPT);
    size_t n = vmhi_vm_config_get_metadata_count(given);
    ck_assert_msg(vmhi_vm_config_get_metadata_count(got) == n, "%zu metadata entries were "
                  "given, %zu came back", n, vmhi_vm_config_get_metadata_count(got));
    for (size_t i = 0; i < n; i++) {
        const char *key = NULL, *value = NULL;
        conf_ok(vmhi_vm_config_get_metadata_at(given, i, &key, &value));
        same_text(key, value, vmhi_vm_config_get_metadata(got, key));
    }
    const vmhi_disk *a = vmhi_vm_config_get_disk(given, 0), *b = vmhi_vm_config_get_disk(got, 0);
    conf_req(REQ_TARGET_KEPT);
    ck_assert_msg(b, "the disk did not come back");
    same_text("the disk target", vmhi_disk_get_target(a), vmhi_disk_get_target(b));
    conf_req(REQ_GUEST_KEPT);
    ck_assert_msg(vmhi_vm_config_get_guest_type(given) == vmhi_vm_config_get_guest_type(got),
                  "guest type '%s' came back as '%s'",
                  vmhi_guest_type_name(vmhi_vm_config_get_guest_type(given)),
                  vmhi_guest_type_name(vmhi_vm_config_get_guest_type(got)));
    same_text("the kernel", vmhi_vm_config_get_kernel(given), vmhi_vm_config_get_kernel(got));
    same_text("the initrd", vmhi_vm_config_get_initrd(given), vmhi_vm_config_get_initrd(got));
    same_text("the command line", vmhi_vm_config_get_cmdline(given),
              vmhi_vm_config_get_cmdline(got));
}

/* Starts and powers off a VM with the metadata: entries of namespaces
 * other than the backend's stay as they were (CFG-19). */
static void check_metadata_after_a_run(vmhi_conn *conn)
{
    vmhi_vm_config *cfg = conf_config_new();
    for (size_t i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++)
        conf_ok(vmhi_vm_config_set_metadata(cfg, metadata[i][0], metadata[i][1]));
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    vmhi_vm_config *got = NULL;
    conf_ok(vmhi_vm_get_config(vm, &got, 0));
    for (size_t i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++)
        same_text(metadata[i][0], metadata[i][1],
                  vmhi_vm_config_get_metadata(got, metadata[i][0]));
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
}

VMHI_CONF_TEST(extensions_come_back_unchanged, VMHI_PROFILE_CORE, REQ_METADATA_KEPT,
               REQ_TARGET_KEPT, REQ_GUEST_KEPT, REQ_METADATA_FOREIGN)
{
    vmhi_conn *conn = conf_open();
    bool kernel = conf_value_declared(conn, VMHI_VALUE_BOOT_METHOD, VMHI_BOOT_METHOD_KERNEL);
    vmhi_vm_config *cfg = conf_config_new();
    set_extensions(conn, cfg, kernel);
    if (!kernel)
        conf_note("direct kernel boot is not declared: kernel, initrd and command line "
                  "were not checked");
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_define(&vm, conn, cfg, 0);
    CONF_SKIP_CLEAN_IF(rc == VMHI_E_NOT_FOUND, (vmhi_vm_config_free(cfg), vmhi_conn_close(conn)),
                       "the backend reports the stub kernel missing (%s); give --kernel",
                       vmhi_error_last_message());
    conf_req(REQ_METADATA_KEPT);
    ck_assert_msg(rc == VMHI_OK, "vmhi_vm_define() returned %d (%s): %s", rc, vmhi_strerror(rc),
                  vmhi_error_last_message());
    vmhi_vm_config *got = NULL;
    conf_ok(vmhi_vm_get_config(vm, &got, 0));
    check_extensions(cfg, got);
    /* Given back, the description keeps them (CFG-18: across a redefine). */
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_define(&again, conn, got, 0));
    vmhi_vm_config *after = NULL;
    conf_ok(vmhi_vm_get_config(vm, &after, 0));
    check_extensions(cfg, after);
    vmhi_vm_config_free(after);
    vmhi_vm_free(again);
    vmhi_vm_config_free(got);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    /* A VM that ran (no stub kernel: a VM of its own) keeps them too. */
    conf_req(REQ_METADATA_FOREIGN);
    check_metadata_after_a_run(conn);
    vmhi_conn_close(conn);
}

/* ----------------------------------------------- the views of a VM */

static uint64_t view_memory(vmhi_conn *conn, vmhi_vm *vm, unsigned int flags)
{
    vmhi_vm_config *cfg = conf_config_view(conn, vm, flags);
    uint64_t mib = vmhi_vm_config_get_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    return mib;
}

/* Defines @vm again with @mib of memory: while it runs, a change of the
 * definition only. */
static void redefine_memory(vmhi_conn *conn, vmhi_vm *vm, uint64_t mib)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, mib));
    conf_ok(vmhi_vm_define(&again, conn, cfg, 0));
    vmhi_vm_free(again);
    vmhi_vm_config_free(cfg);
}

VMHI_CONF_TEST(config_views_of_a_vm, VMHI_PROFILE_CORE, REQ_VIEWS)
{
    vmhi_conn *conn = conf_open();
    unsigned int caps = conf_op_caps(conn, VMHI_OP_GET_CONFIG);
    bool live = caps & VMHI_CAP_LIVE, config = caps & VMHI_CAP_CONFIG;
    CONF_SKIP_CLEAN_IF(!live && !config, vmhi_conn_close(conn),
                       "vmhi_vm_get_config() reports neither a live nor a config form");
    vmhi_vm *vm = conf_define(conn);
    vmhi_vm_config *out = (vmhi_vm_config *)1;
    conf_req(REQ_VIEWS);
    if (live) {
        conf_fail(vmhi_vm_get_config(vm, &out, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
        ck_assert_ptr_null(out);
    }
    if (config)
        ck_assert_uint_eq(view_memory(conn, vm, VMHI_AFFECT_CONFIG), CONF_MIB(64));
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    redefine_memory(conn, vm, CONF_MIB(96));
    if (config)
        ck_assert_msg(view_memory(conn, vm, VMHI_AFFECT_CONFIG) == CONF_MIB(96), "the "
                      "definition of the running VM does not show the redefined memory "
                      "(%llu MiB)", (unsigned long long)CONF_MIB(96));
    if (live)
        ck_assert_uint_eq(view_memory(conn, vm, VMHI_AFFECT_LIVE), CONF_MIB(64));
    ck_assert_uint_eq(view_memory(conn, vm, VMHI_AFFECT_CURRENT), CONF_MIB(64));
    conf_ok(vmhi_vm_undefine(vm, 0)); /* transient now: no definition to show */
    if (config) {
        out = (vmhi_vm_config *)1;
        conf_fail(vmhi_vm_get_config(vm, &out, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
        ck_assert_ptr_null(out);
    }
    if (live)
        ck_assert_uint_eq(view_memory(conn, vm, VMHI_AFFECT_LIVE), CONF_MIB(64));
    if (!live || !config)
        conf_note("vmhi_vm_get_config() has no %s form", live ? "config" : "live");
    conf_discard(vm);
    vmhi_conn_close(conn);
}
