/*
 * The test backend: disk and NIC attach, detach (with the guest modes'
 * asynchronous completion) and listing.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

static vmhi_disk *disk(const char *id, const char *path)
{
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    if (id)
        ck_vmhi_ok(vmhi_disk_set_id(d, id));
    ck_vmhi_ok(vmhi_disk_set_path(d, path));
    return d;
}

static vmhi_nic *nic(const char *mac)
{
    vmhi_nic *n = NULL;
    ck_vmhi_ok(vmhi_nic_new(&n));
    if (mac)
        ck_vmhi_ok(vmhi_nic_set_mac(n, mac));
    return n;
}

/* A running VM on a connection with guest mode @query, with disk0 in both
 * the definition and the live config. */
static vmhi_vm *running_vm(const char *uri, vmhi_conn **conn)
{
    *conn = bt_open(uri);
    vmhi_vm_config *cfg = bt_config("vm", 64);
    bt_config_add_disk(cfg, NULL, "/images/root.img");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, *conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    return vm;
}

/* Looks device @id up in the VM's device list; returns 0 when absent. */
static int device(vmhi_vm *vm, const char *id, vmhi_device_info *out)
{
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    int found = 0;
    for (size_t i = 0; i < vmhi_device_list_count(list) && !found; i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        ck_vmhi_ok(vmhi_device_list_get(list, i, &info));
        if (strcmp(info.id, id) == 0) {
            found = 1;
            if (out) {
                *out = info;
                out->id = out->summary = NULL; /* owned by the list */
            }
        }
    }
    vmhi_device_list_free(list);
    return found;
}

static int device_state(vmhi_vm *vm, const char *id)
{
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    return device(vm, id, &info) ? (int)info.state : 0;
}

START_TEST(attach_disk_live_and_config_gets_first_free_id)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_DEVICE_ADDED | VMHI_EVENT_DEFINED);
    vmhi_disk *d = disk(NULL, "/images/data.img");
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, id));
    ck_assert_str_eq(id, "disk1");
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, "disk1", &info));
    ck_assert_int_eq(info.type, VMHI_DEVICE_DISK);
    ck_assert_int_eq(info.state, VMHI_DEVICE_PRESENT);
    ck_assert_int_eq(info.live, 1);
    ck_assert_int_eq(info.config, 1);
    bt_wait_events(conn, &rec, 2);
    int added = bt_find_event(&rec, 0, VMHI_EVENT_DEVICE_ADDED);
    ck_assert_int_ge(added, 0);
    ck_assert_str_eq(rec.ev[added].device, "disk1");
    ck_assert_int_ge(bt_find_event(&rec, 0, VMHI_EVENT_DEFINED), 0);
    vmhi_disk_free(d);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(live_only_and_config_only_flags_are_listed)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    vmhi_disk *a = disk("hot", "/images/hot.img");
    vmhi_disk *b = disk("cold", "/images/cold.img");
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, a, VMHI_AFFECT_LIVE, NULL));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, b, VMHI_AFFECT_CONFIG, NULL));
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, "hot", &info));
    ck_assert(info.live == 1 && info.config == 0);
    ck_assert(device(vm, "cold", &info));
    ck_assert(info.live == 0 && info.config == 1);
    ck_assert(device(vm, "disk0", &info));
    ck_assert(info.live == 1 && info.config == 1);
    /* After a restart only the definition's devices remain. */
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert(!device(vm, "hot", NULL));
    ck_assert(device(vm, "cold", &info));
    ck_assert(info.live == 1 && info.config == 1);
    vmhi_disk_free(a);
    vmhi_disk_free(b);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(duplicate_path_or_id_is_exists)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    vmhi_disk *same_path = disk(NULL, "/images/root.img");
    vmhi_disk *same_id = disk("disk0", "/images/other.img");
    ck_vmhi(vmhi_vm_attach_disk(vm, same_path, VMHI_AFFECT_LIVE, NULL), VMHI_E_EXISTS);
    ck_assert_msg(strstr(vmhi_error_last_message(), "/images/root.img") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_attach_disk(vm, same_id, VMHI_AFFECT_CONFIG, NULL), VMHI_E_EXISTS);
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    ck_assert_uint_eq(vmhi_device_list_count(list), 1);
    vmhi_device_list_free(list);
    vmhi_disk_free(same_path);
    vmhi_disk_free(same_id);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(nic_attach_generates_mac_and_refuses_duplicates)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    vmhi_nic *n = nic(NULL);
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, n, VMHI_AFFECT_CURRENT, id));
    ck_assert_str_eq(id, "nic0");
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    ck_vmhi_ok(vmhi_device_list_get(list, 1, &info));
    ck_assert_int_eq(info.type, VMHI_DEVICE_NIC);
    ck_assert_ptr_nonnull(info.summary);
    ck_assert_uint_eq(strlen(info.summary), 17); /* a MAC address */
    vmhi_nic *dup = nic(info.summary);
    vmhi_device_list_free(list);
    ck_vmhi(vmhi_vm_attach_nic(vm, dup, VMHI_AFFECT_LIVE, NULL), VMHI_E_EXISTS);
    vmhi_nic_free(n);
    vmhi_nic_free(dup);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(detach_of_absent_device_is_no_device)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    vmhi_completion done = 0;
    ck_vmhi(vmhi_vm_detach_disk(vm, "disk9", VMHI_AFFECT_LIVE, &done), VMHI_E_NO_DEVICE);
    ck_assert_msg(strstr(vmhi_error_last_message(), "disk9") != NULL, "%s",
                  vmhi_error_last_message());
    ck_vmhi(vmhi_vm_detach_nic(vm, "disk0", VMHI_AFFECT_LIVE, &done), VMHI_E_NO_DEVICE);
    ck_vmhi(vmhi_vm_detach_nic(vm, "nic0", VMHI_AFFECT_CONFIG, &done), VMHI_E_NO_DEVICE);
    ck_assert(device(vm, "disk0", NULL));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(cooperative_detach_is_pending_then_removed)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_DEVICE_REMOVED);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    /* (The pending window is ~20 ms; the unresponsive test below checks
     * the pending listing without racing the guest.) */
    bt_wait_events(conn, &rec, 1);
    ck_assert_str_eq(rec.ev[0].device, "disk0");
    /* Still in the definition, no longer live. */
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, "disk0", &info));
    ck_assert(info.live == 0 && info.config == 1 && info.state == VMHI_DEVICE_PRESENT);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(unresponsive_guest_never_releases)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default?guest=unresponsive", &conn);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    bt_sleep_ms(80);
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, "disk0", &info));
    ck_assert(info.state == VMHI_DEVICE_DETACH_PENDING && info.live == 1 && info.config == 1);
    ck_vmhi(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, &done), VMHI_E_BUSY);
    ck_assert_msg(strstr(vmhi_error_last_message(), "pending") != NULL, "%s",
                  vmhi_error_last_message());
    /* The config view still lists it while pending. */
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 1);
    vmhi_vm_config_free(cfg);
    /* Powering off ends the wait: the device is gone with the VM. */
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_DEVICE_REMOVED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    bt_wait_events(conn, &rec, 1);
    ck_assert_str_eq(rec.ev[0].device, "disk0");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(instant_guest_detaches_synchronously)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default?guest=instant", &conn);
    bt_recorder rec;
    bt_subscribe(conn, &rec, VMHI_EVENT_DEVICE_REMOVED);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_DONE);
    ck_assert(!device(vm, "disk0", NULL));
    ck_assert_int_eq(vmhi_conn_dispatch_events(conn, 0), 1);
    ck_assert_str_eq(rec.ev[0].device, "disk0");
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(config_only_detach_completes_at_once)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default?guest=unresponsive", &conn);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_CONFIG, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_DONE);
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, "disk0", &info));
    ck_assert(info.live == 1 && info.config == 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(paused_guest_releases_after_resume)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "disk0", VMHI_AFFECT_LIVE, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    bt_sleep_ms(60);
    ck_assert_int_eq(device_state(vm, "disk0"), VMHI_DEVICE_DETACH_PENDING);
    ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    bt_eventually(device(vm, "disk0", &info) && info.live == 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(devices_of_shutoff_vm_change_the_definition)
{
    vmhi_conn *conn = bt_open("test:///default");
    vmhi_vm *vm = bt_define(conn, "vm", 64);
    vmhi_disk *d = disk(NULL, "/images/a.img");
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_CURRENT, id));
    ck_vmhi(vmhi_vm_attach_disk(vm, d, VMHI_AFFECT_LIVE, NULL), VMHI_E_INVALID_STATE);
    vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
    ck_assert(device(vm, id, &info));
    ck_assert(info.live == 0 && info.config == 1);
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_CURRENT, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_DONE);
    ck_assert(!device(vm, id, NULL));
    vmhi_disk_free(d);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(nic_detach_follows_the_same_rules)
{
    vmhi_conn *conn;
    vmhi_vm *vm = running_vm("test:///default", &conn);
    vmhi_nic *n = nic("52:54:00:aa:bb:cc");
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, n, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, NULL));
    vmhi_completion done = 0;
    ck_vmhi_ok(vmhi_vm_detach_nic(vm, "nic0", VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    bt_eventually(!device(vm, "nic0", NULL));
    vmhi_nic_free(n);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_devices");
    TCase *tc = tcase_create("attach");
    tcase_add_test(tc, attach_disk_live_and_config_gets_first_free_id);
    tcase_add_test(tc, live_only_and_config_only_flags_are_listed);
    tcase_add_test(tc, duplicate_path_or_id_is_exists);
    tcase_add_test(tc, nic_attach_generates_mac_and_refuses_duplicates);
    tcase_add_test(tc, devices_of_shutoff_vm_change_the_definition);
    suite_add_tcase(s, tc);
    tc = tcase_create("detach");
    tcase_add_test(tc, detach_of_absent_device_is_no_device);
    tcase_add_test(tc, cooperative_detach_is_pending_then_removed);
    tcase_add_test(tc, unresponsive_guest_never_releases);
    tcase_add_test(tc, instant_guest_detaches_synchronously);
    tcase_add_test(tc, config_only_detach_completes_at_once);
    tcase_add_test(tc, paused_guest_releases_after_resume);
    tcase_add_test(tc, nic_detach_follows_the_same_rules);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
