/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Devices, attaching and listing (spec section 12).  Every VM here is
 * defined with disk "conf-d0" and NIC "conf-n0"; each test runs once per
 * device kind.
 */
#include <stdio.h>
#include <string.h>

#include "conf_devices.h"
#include "conf_events.h"

static const vmhi_device_type kinds[2] = { VMHI_DEVICE_DISK, VMHI_DEVICE_NIC };

/* A VM with the two default devices: shut off, running, or running and
 * transient. */
enum { VM_OFF, VM_RUNNING, VM_TRANSIENT };
static vmhi_vm *device_vm(vmhi_conn *conn, int how)
{
    vmhi_vm_config *cfg = conf_config_with_devices();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    if (how != VM_OFF) {
        conf_ok(vmhi_vm_start(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    }
    if (how == VM_TRANSIENT)
        conf_ok(vmhi_vm_undefine(vm, 0));
    return vm;
}

static unsigned int caps_for(unsigned int flags)
{
    return (flags & VMHI_AFFECT_LIVE ? VMHI_CAP_LIVE : 0) |
           (flags & VMHI_AFFECT_CONFIG ? VMHI_CAP_CONFIG : 0);
}

/* Whether the backend offers @op in the form @flags needs; else why not. */
static bool offers(vmhi_conn *conn, vmhi_op op, unsigned int flags, char *why, size_t size)
{
    unsigned int need = caps_for(flags) | VMHI_CAP_SUPPORTED;
    if ((conf_op_caps(conn, op) & need) == need)
        return true;
    snprintf(why, size, "%s with flags 0x%x is not offered (vmhi_conn_get_op_caps)",
             vmhi_op_name(op), flags);
    return false;
}

/* ------------------------------------------------------------ attach */

static const unsigned int forms[3] = { VMHI_AFFECT_CONFIG, VMHI_AFFECT_LIVE,
                                       VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG };
static const char *const form_names[3] = { "config", "live", "live+config" };

static void describe_attach(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s/%s", conf_kind_name(kinds[row / 3]),
             form_names[row % 3]);
}

static void expect_listed(vmhi_vm *vm, const char *id, unsigned int flags)
{
    conf_listed l = conf_find_listed(vm, id);
    ck_assert_msg(l.count == 1, "device '%s' is listed %d times", id, l.count);
    ck_assert_msg(l.state == VMHI_DEVICE_PRESENT, "device '%s' is not listed present", id);
    ck_assert_msg(l.live == ((flags & VMHI_AFFECT_LIVE) != 0) &&
                      l.config == ((flags & VMHI_AFFECT_CONFIG) != 0),
                  "device '%s' attached with flags 0x%x is listed live %d config %d", id, flags,
                  l.live, l.config);
}

/* EV-6 and EV-5: one DEVICE_ADDED per attach, one DEFINED per config change. */
static void expect_attach_events(conf_recorder *rec, const char *ids[2], bool config)
{
    size_t want = config ? 4 : 2;
    conf_recorder_await(rec, want);
    char seen[1024];
    conf_recorder_describe(rec, seen, sizeof(seen));
    size_t added = 0, defined = 0;
    for (size_t i = 0; i < conf_recorder_count(rec); i++) {
        conf_event e = conf_recorder_get(rec, i);
        if (e.type == VMHI_EVENT_DEVICE_ADDED) {
            conf_req("EV-6");
            ck_assert_msg(added < 2 && strcmp(e.device, ids[added]) == 0,
                          "unexpected device-added event: %s", seen);
            added++;
        } else {
            defined++;
        }
    }
    conf_req("EV-6");
    ck_assert_msg(added == 2, "expected 2 device-added events, got: %s", seen);
    conf_req("EV-5");
    ck_assert_msg(defined == (config ? 2u : 0u), "expected %d defined events, got: %s",
                  config ? 2 : 0, seen);
}

VMHI_CONF_TABLE(attach_device, VMHI_PROFILE_DEVICES, 6, describe_attach, "DEV-1", "DEV-2",
                "EV-6", "EV-5")
{
    vmhi_device_type kind = kinds[conf_row_index / 3];
    unsigned int flags = forms[conf_row_index % 3];
    vmhi_conn *conn = conf_open();
    char why[256];
    CONF_SKIP_CLEAN_IF(!offers(conn, conf_kind_attach_op(kind), flags, why, sizeof(why)),
                       vmhi_conn_close(conn), "%s", why);
    vmhi_vm *vm = device_vm(conn, flags == VMHI_AFFECT_CONFIG ? VM_OFF : VM_RUNNING);
    conf_recorder *rec = NULL;
    if (conf_events_checked())
        rec = conf_recorder_new(conn, VMHI_EVENT_DEVICE_ADDED | VMHI_EVENT_DEFINED,
                                vmhi_vm_get_uuid(vm), false);
    char chosen[VMHI_DEVICE_ID_MAX + 1] = "", given[VMHI_DEVICE_ID_MAX + 1] = "";
    conf_req("DEV-1");
    conf_ok(conf_attach(vm, kind, NULL, NULL, flags, chosen));
    ck_assert_msg(chosen[0] && strlen(chosen) <= VMHI_DEVICE_ID_MAX, "the id written is '%s'",
                  chosen);
    conf_req("DEV-2");
    ck_assert_msg(strcmp(chosen, "conf-d0") != 0 && strcmp(chosen, "conf-n0") != 0,
                  "the backend gave the new device the id '%s' another device has", chosen);
    conf_ok(conf_attach(vm, kind, "conf-given", NULL, flags, given));
    ck_assert_str_eq(given, "conf-given");
    conf_req("DEV-1");
    expect_listed(vm, chosen, flags);
    expect_listed(vm, given, flags);
    if (rec) {
        const char *ids[2] = { chosen, given };
        expect_attach_events(rec, ids, flags & VMHI_AFFECT_CONFIG);
    }
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

static void describe_kind_form(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s/%s", conf_kind_name(kinds[row / 2]),
             row % 2 ? "live" : "config");
}

/* The path of disk conf-d0 / MAC of NIC conf-n0 in the VM's description. */
static void taken_value(vmhi_vm *vm, vmhi_device_type kind, char *buf, size_t size)
{
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    const char *v = kind == VMHI_DEVICE_DISK ? vmhi_disk_get_path(vmhi_vm_config_get_disk(cfg, 0))
                                             : vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, 0));
    snprintf(buf, size, "%s", v ? v : "");
    vmhi_vm_config_free(cfg);
}

VMHI_CONF_TABLE(attach_refuses_taken_id_path_mac, VMHI_PROFILE_DEVICES, 4, describe_kind_form,
                "DEV-3")
{
    vmhi_device_type kind = kinds[conf_row_index / 2];
    unsigned int flags = conf_row_index % 2 ? VMHI_AFFECT_LIVE : VMHI_AFFECT_CONFIG;
    vmhi_conn *conn = conf_open();
    char why[256];
    CONF_SKIP_CLEAN_IF(!offers(conn, conf_kind_attach_op(kind), flags, why, sizeof(why)),
                       vmhi_conn_close(conn), "%s", why);
    vmhi_vm *vm = device_vm(conn, flags == VMHI_AFFECT_LIVE ? VM_RUNNING : VM_OFF);
    size_t before = conf_config_count(vm, kind, NULL, NULL);
    char taken[512];
    taken_value(vm, kind, taken, sizeof(taken));
    conf_req("DEV-3");
    conf_fail(conf_attach(vm, kind, conf_kind_default_id(kind), NULL, flags, NULL),
              VMHI_E_EXISTS);
    conf_fail(conf_attach(vm, kind, conf_kind_default_id(kinds[kind == VMHI_DEVICE_DISK]),
                          NULL, flags, NULL), VMHI_E_EXISTS);
    if (kind == VMHI_DEVICE_DISK)
        conf_fail(conf_attach_disk_path(vm, "conf-other", taken, flags), VMHI_E_EXISTS);
    else
        conf_fail(conf_attach(vm, kind, "conf-other", taken, flags, NULL), VMHI_E_EXISTS);
    ck_assert_uint_eq(conf_config_count(vm, kind, NULL, NULL), before);
    conf_listed l = conf_find_listed(vm, "conf-other");
    ck_assert_int_eq(l.count, 0);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TABLE(attach_beyond_device_limit, VMHI_PROFILE_DEVICES, 4, describe_kind_form,
                "DEV-4")
{
    vmhi_device_type kind = kinds[conf_row_index / 2];
    unsigned int flags = conf_row_index % 2 ? VMHI_AFFECT_LIVE : VMHI_AFFECT_CONFIG;
    vmhi_conn *conn = conf_open();
    vmhi_limit which = kind == VMHI_DEVICE_DISK ? VMHI_LIMIT_MAX_DISKS : VMHI_LIMIT_MAX_NICS;
    uint64_t lim = 0;
    CONF_SKIP_CLEAN_IF(vmhi_conn_get_limit(conn, which, &lim) != VMHI_OK, vmhi_conn_close(conn),
                       "the backend reports no %s limit", conf_kind_name(kind));
    char why[256];
    CONF_SKIP_CLEAN_IF(!offers(conn, conf_kind_attach_op(kind), flags, why, sizeof(why)),
                       vmhi_conn_close(conn), "%s", why);
    vmhi_vm_config *cfg = conf_config_new();
    bool built = true;
    for (uint64_t i = 0; built && i < lim; i++) {
        if (kind == VMHI_DEVICE_DISK) {
            vmhi_disk *d = NULL;
            char path[512];
            conf_disk_path(path, sizeof(path), "full");
            built = vmhi_disk_new(&d) == 0 && vmhi_disk_set_path(d, path) == 0 &&
                    vmhi_vm_config_add_disk(cfg, d) == 0;
            vmhi_disk_free(d);
        } else {
            vmhi_nic *n = NULL;
            built = vmhi_nic_new(&n) == 0 && vmhi_vm_config_add_nic(cfg, n) == 0;
            vmhi_nic_free(n);
        }
    }
    CONF_SKIP_CLEAN_IF(!built, (vmhi_vm_config_free(cfg), vmhi_conn_close(conn)),
                       "a description with %llu %ss cannot be built", (unsigned long long)lim,
                       conf_kind_name(kind));
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    if (flags == VMHI_AFFECT_LIVE) {
        conf_ok(vmhi_vm_start(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    }
    conf_req("DEV-4");
    conf_fail(conf_attach(vm, kind, "conf-extra", NULL, flags, NULL), VMHI_E_LIMIT);
    ck_assert_uint_eq(conf_config_count(vm, kind, NULL, NULL), lim);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

static void describe_kind(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s", conf_kind_name(kinds[row]));
}

VMHI_CONF_TABLE(device_changes_need_the_right_state, VMHI_PROFILE_DEVICES, 2, describe_kind,
                "DEV-5")
{
    vmhi_device_type kind = kinds[conf_row_index];
    vmhi_conn *conn = conf_open();
    vmhi_vm *off = device_vm(conn, VM_OFF);
    vmhi_vm *on = device_vm(conn, VM_RUNNING);
    vmhi_vm *transient = device_vm(conn, VM_TRANSIENT);
    vmhi_completion done;
    const char *id = conf_kind_default_id(kind);
    conf_req("DEV-5");
    conf_fail(conf_attach(off, kind, NULL, NULL, VMHI_AFFECT_LIVE, NULL), VMHI_E_INVALID_STATE);
    conf_fail(conf_detach(off, kind, id, VMHI_AFFECT_LIVE, &done), VMHI_E_INVALID_STATE);
    conf_fail(conf_attach(transient, kind, NULL, NULL, VMHI_AFFECT_CONFIG, NULL),
              VMHI_E_INVALID_STATE);
    conf_fail(conf_detach(transient, kind, id, VMHI_AFFECT_CONFIG, &done),
              VMHI_E_INVALID_STATE);
    ck_assert_uint_eq(conf_config_count(off, kind, NULL, NULL), 1);
    ck_assert_uint_eq(conf_config_count(transient, kind, NULL, NULL), 1);
    conf_ok(conf_attach(on, kind, "conf-current", NULL, VMHI_AFFECT_CURRENT, NULL));
    expect_listed(on, "conf-current", VMHI_AFFECT_LIVE);
    conf_ok(conf_attach(off, kind, "conf-current", NULL, VMHI_AFFECT_CURRENT, NULL));
    expect_listed(off, "conf-current", VMHI_AFFECT_CONFIG);
    conf_ok(conf_detach(off, kind, id, VMHI_AFFECT_CURRENT, &done));
    ck_assert_int_eq(conf_find_listed(off, id).count, 0);
    conf_discard(off);
    conf_discard(on);
    conf_discard(transient);
    vmhi_conn_close(conn);
}

/* ------------------------------------------------------------ listing */

static void expect_entry(vmhi_vm *vm, const char *id, int live, int config)
{
    conf_listed l = conf_find_listed(vm, id);
    ck_assert_msg(l.count == 1 && l.live == live && l.config == config,
                  "device '%s' is listed %d time(s), live %d config %d; expected once, live %d "
                  "config %d", id, l.count, l.live, l.config, live, config);
}

VMHI_CONF_TEST(list_devices_of_definition_and_live_vm, VMHI_PROFILE_DEVICES, "DEV-15",
               "DEV-16")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_new();
    conf_config_add_disk(cfg, "conf-d0");
    vmhi_nic *nic = NULL;
    conf_ok(vmhi_nic_new(&nic));
    conf_ok(vmhi_nic_set_id(nic, "conf-n0"));
    conf_ok(vmhi_nic_set_mac(nic, "52:54:00:C0:F0:0A"));
    conf_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    const char *path = vmhi_disk_get_path(vmhi_vm_config_get_disk(cfg, 0));
    conf_req("DEV-15");
    expect_entry(vm, "conf-d0", 0, 1);
    expect_entry(vm, "conf-n0", 0, 1);
    conf_req("DEV-16");
    ck_assert_str_eq(conf_find_listed(vm, "conf-d0").summary, path);
    ck_assert_str_eq(conf_find_listed(vm, "conf-n0").summary, "52:54:00:c0:f0:0a");

    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    bool live_disk = conf_op_caps(conn, VMHI_OP_ATTACH_DISK) & VMHI_CAP_LIVE;
    bool config_nic = conf_op_caps(conn, VMHI_OP_ATTACH_NIC) & VMHI_CAP_CONFIG;
    if (live_disk)
        conf_ok(conf_attach(vm, VMHI_DEVICE_DISK, "conf-live", NULL, VMHI_AFFECT_LIVE, NULL));
    if (config_nic)
        conf_ok(conf_attach(vm, VMHI_DEVICE_NIC, "conf-cfg", NULL, VMHI_AFFECT_CONFIG, NULL));
    conf_req("DEV-15");
    expect_entry(vm, "conf-d0", 1, 1);
    expect_entry(vm, "conf-n0", 1, 1);
    if (live_disk)
        expect_entry(vm, "conf-live", 1, 0);
    if (config_nic)
        expect_entry(vm, "conf-cfg", 0, 1);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
