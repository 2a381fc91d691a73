/*
 * The KVM backend with a cooperating guest: the tiny Linux guest of
 * scripts/kvm/build-guest.sh booted under TCG (this machine kind's nested
 * KVM cannot boot Linux).  ACPI shutdown, graceful reboot, device unplug
 * and the balloon all need the guest to act; requests made while it
 * boots must reach it too.  Live vCPU changes are refused under TCG.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdbool.h>

#include "kvmtest.h"

static const char uri[] = "kvm:///session?accel=tcg";
static char kernel[512], initrd[512];

/* Skips (77) unless the guest was built. */
static void require_guest(void)
{
    const char *dir = getenv("VMHI_KVM_GUEST_DIR");
    snprintf(kernel, sizeof(kernel), "%s/vmlinux", dir ? dir : "");
    snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio.gz", dir ? dir : "");
    if (!dir || access(kernel, R_OK) != 0 || access(initrd, R_OK) != 0) {
        printf("SKIP: the test guest is not built in %s (scripts/kvm/build-guest.sh)\n",
               dir ? dir : "$VMHI_KVM_GUEST_DIR");
        exit(KVMTEST_SKIP);
    }
}

/* The guest boots by direct kernel boot, from its own description (the
 * 1.0 config fields, CFG-11), not from connection defaults. */
static vmhi_vm *define_guest(vmhi_conn *conn, const char *name)
{
    vmhi_vm_config *cfg = kvmtest_config(name);
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, kernel));
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, initrd));
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "console=ttyS0 quiet panic=-1"));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_str_eq(vmhi_vm_config_get_kernel(got), kernel);
    ck_assert_str_eq(vmhi_vm_config_get_initrd(got), initrd);
    ck_assert_str_eq(vmhi_vm_config_get_cmdline(got), "console=ttyS0 quiet panic=-1");
    vmhi_vm_config_free(got);
    return vm;
}

/* Waits until the guest printed VMHI-READY @count times on its console. */
static int wait_ready(const char *uuid, int count, int timeout_ms)
{
    return kvmtest_wait_console(uuid, "VMHI-READY", count, timeout_ms);
}

static vmhi_vm *boot_guest(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = define_guest(conn, name);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_msg(wait_ready(vmhi_vm_get_uuid(vm), 1, 60000), "the guest did not boot");
    return vm;
}

START_TEST(acpi_shutdown)
{
    vmhi_conn *conn = kvmtest_open(uri);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = boot_guest(conn, "sd");
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 30000, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_SHUTDOWN_GUEST);
    int i = kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTTING_DOWN,
                               NULL, 1000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_ge(kvmtest_wait_event(conn, &ev, i, VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTOFF,
                                        NULL, 1000), 0);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* A shutdown requested while the guest still boots (no ACPI handler yet)
 * is repeated by the backend until the guest acts on it. */
START_TEST(shutdown_during_boot)
{
    vmhi_conn *conn = kvmtest_open(uri);
    vmhi_vm *vm = define_guest(conn, "early-sd");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, 0));
    ck_assert_msg(!wait_ready(vmhi_vm_get_uuid(vm), 1, 1), "the guest was up before the request");
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTTING_DOWN);
    /* A hang guard, not a speed limit: the TCG guest's boot up to its ACPI
     * handler took over 40 s in a flake sweep at load ~11 (three TCG Xen
     * boots beside it on two cores). */
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 120000, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_SHUTDOWN_GUEST);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* So is the live detach of a disk the guest had no driver for yet. */
START_TEST(detach_during_boot)
{
    vmhi_conn *conn = kvmtest_open(uri);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = define_guest(conn, "early-dt");
    char path[700];
    snprintf(path, sizeof(path), "%s/early.img", kvmtest_dir);
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_id(disk, "d0"));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 1));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL));
    vmhi_disk_free(disk);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_completion done = VMHI_COMPLETION_DONE;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "d0", VMHI_AFFECT_LIVE, &done));
    ck_assert_msg(!wait_ready(vmhi_vm_get_uuid(vm), 1, 1), "the guest was up before the request");
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING);
    ck_assert_msg(kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_DEVICE_REMOVED, 0, "d0",
                                     40000) >= 0, "the detach requested at boot never completed");
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* The guest lives on across a suspend: after the restore it still
 * answers the power button (its memory, devices and acpid came back). */
START_TEST(suspended_guest_lives_on)
{
    vmhi_conn *conn = kvmtest_open(uri);
    vmhi_vm *vm = boot_guest(conn, "sleeper");
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 112, VMHI_AFFECT_LIVE));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SUSPENDED);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_RESTORED);
    /* The balloon target came back with the state: the guest reaches it. */
    vmhi_memory_stats st = VMHI_MEMORY_STATS_INIT;
    for (int i = 0; i < 100; i++) {
        st = (vmhi_memory_stats)VMHI_MEMORY_STATS_INIT;
        ck_vmhi_ok(vmhi_vm_get_memory_stats(vm, &st));
        if (st.actual_kib == 112u * 1024u)
            break;
        poll(NULL, 0, 100);
    }
    ck_assert_uint_eq(st.actual_kib, 112u * 1024u);
    ck_assert_msg(!wait_ready(vmhi_vm_get_uuid(vm), 2, 500), "the guest booted again");
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 30000, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_SHUTDOWN_GUEST);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(graceful_reboot)
{
    vmhi_conn *conn = kvmtest_open(uri);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = boot_guest(conn, "rb");
    while (vmhi_conn_dispatch_events(conn, 0) > 0)
        ;
    int mark = ev.n;
    ck_vmhi_ok(vmhi_vm_reboot(vm, 0));
    int i = kvmtest_wait_event(conn, &ev, mark, VMHI_EVENT_LIFECYCLE, VMHI_STATE_RUNNING, NULL,
                               30000);
    ck_assert_msg(i >= 0, "no running event after reboot");
    ck_assert_int_eq(ev.ev[i].reason, VMHI_REASON_REBOOTED);
    ck_assert_msg(wait_ready(vmhi_vm_get_uuid(vm), 2, 60000), "the guest did not boot again");
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    /* The reboot handling is over: a power-off ends the process again. */
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 30000, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

static void detach_and_wait(vmhi_conn *conn, kvmtest_events *ev, vmhi_vm *vm, const char *id,
                            bool disk)
{
    vmhi_completion done = 0;
    int mark = ev->n;
    if (disk)
        ck_vmhi_ok(vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_LIVE, &done));
    else
        ck_vmhi_ok(vmhi_vm_detach_nic(vm, id, VMHI_AFFECT_LIVE, &done));
    if (done == VMHI_COMPLETION_PENDING) {
        vmhi_completion again;
        int rc = disk ? vmhi_vm_detach_disk(vm, id, VMHI_AFFECT_LIVE, &again)
                      : vmhi_vm_detach_nic(vm, id, VMHI_AFFECT_LIVE, &again);
        ck_assert_msg(rc == VMHI_E_BUSY || rc == VMHI_E_NO_DEVICE, "second detach: %d", rc);
    }
    ck_assert_msg(kvmtest_wait_event(conn, ev, mark, VMHI_EVENT_DEVICE_REMOVED, 0, id, 20000) >= 0,
                  "no device-removed event for %s", id);
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        ck_vmhi_ok(vmhi_device_list_get(list, i, &info));
        ck_assert_str_ne(info.id, id);
    }
    vmhi_device_list_free(list);
}

START_TEST(hotplug_unplug_balloon_vcpus)
{
    vmhi_conn *conn = kvmtest_open(uri);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = boot_guest(conn, "hp");

    /* A disk the backend creates, and a NIC, hot-plugged. */
    char path[700], id[VMHI_DEVICE_ID_MAX + 1] = "";
    snprintf(path, sizeof(path), "%s/data.img", kvmtest_dir);
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 8));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, id));
    vmhi_disk_free(disk);
    ck_assert_str_eq(id, "disk0");
    ck_assert_int_eq(access(path, F_OK), 0);
    vmhi_nic *nic = NULL;
    char nid[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_network(nic, "user"));
    ck_vmhi_ok(vmhi_vm_attach_nic(vm, nic, VMHI_AFFECT_LIVE, nid));
    vmhi_nic_free(nic);
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    ck_assert_uint_eq(vmhi_device_list_count(list), 2);
    vmhi_device_list_free(list);
    ck_assert_int_ge(kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_DEVICE_ADDED, 0, "disk0", 100),
                     0);
    poll(NULL, 0, 1500); /* let the guest bind its drivers before unplugging */
    detach_and_wait(conn, &ev, vm, "disk0", true);
    detach_and_wait(conn, &ev, vm, nid, false);

    /* Balloon: the guest's driver gives memory back. */
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 96, VMHI_AFFECT_LIVE));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.memory_mib, 96);
    vmhi_memory_stats st = VMHI_MEMORY_STATS_INIT;
    for (int i = 0; i < 100; i++) {
        st = (vmhi_memory_stats)VMHI_MEMORY_STATS_INIT;
        ck_vmhi_ok(vmhi_vm_get_memory_stats(vm, &st));
        if (st.actual_kib == 96u * 1024u)
            break;
        poll(NULL, 0, 100);
    }
    ck_assert_uint_eq(st.actual_kib, 96u * 1024u);
    ck_assert(st.rss_kib != UINT64_MAX);

    /* vCPUs: QEMU 7.2 under TCG cannot survive a vCPU ejection, so a
     * TCG connection changes vCPUs in definitions only and says so. */
    unsigned int caps = 0, profiles = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_SET_VCPUS, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED | VMHI_CAP_CONFIG);
    ck_vmhi_ok(vmhi_conn_get_profiles(conn, &profiles));
    ck_assert_uint_eq(profiles & VMHI_PROFILE_VCPU, 0);
    ck_assert_int_eq(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CURRENT), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_UNSUPPORTED);
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.vcpus, 1);
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);

    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    kvmtest_require_qemu();
    require_guest();
    Suite *s = suite_create("kvm_guest");
    TCase *tc = tcase_create("guest");
    tcase_add_checked_fixture(tc, kvmtest_setup, kvmtest_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, acpi_shutdown);
    tcase_add_test(tc, shutdown_during_boot);
    tcase_add_test(tc, detach_during_boot);
    tcase_add_test(tc, graceful_reboot);
    tcase_add_test(tc, suspended_guest_lives_on);
    tcase_add_test(tc, hotplug_unplug_balloon_vcpus);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
