/*
 * The KVM backend against real QEMU, without a guest OS: connections,
 * definitions, start/pause/resume/reset/poweroff, crash detection,
 * reconnect from a new connection, stale state, transient VMs, suspend
 * and restore.
 * Uses -accel kvm where /dev/kvm works, TCG otherwise.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kvmtest.h"

#define URI "kvm:///session"

START_TEST(host_info_reports_accelerator)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_msg(strcmp(info.hypervisor, "QEMU/KVM") == 0 ||
                  strcmp(info.hypervisor, "QEMU/TCG") == 0, "hypervisor %s", info.hypervisor);
    ck_assert_msg(info.hypervisor_version[0] >= '1' && info.hypervisor_version[0] <= '9',
                  "version %s", info.hypervisor_version);
    ck_assert_uint_gt(info.cpus, 0);
    ck_assert_uint_gt(info.memory_mib, 0);
    ck_assert_str_eq(vmhi_conn_get_backend(conn), "kvm");
    vmhi_conn_close(conn);

    conn = kvmtest_open(URI "?accel=tcg");
    ck_vmhi_ok(vmhi_conn_get_host_info(conn, &info));
    ck_assert_str_eq(info.hypervisor, "QEMU/TCG");
    unsigned int caps = 0, profiles = 0;
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_SUSPEND, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED);
    ck_vmhi_ok(vmhi_conn_get_profiles(conn, &profiles));
    ck_assert(profiles & VMHI_PROFILE_LIFECYCLE_FULL);
    ck_vmhi_ok(vmhi_conn_get_op_caps(conn, VMHI_OP_DETACH_DISK, &caps));
    ck_assert(caps & VMHI_CAP_ASYNC);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(bad_uris_are_refused)
{
    vmhi_conn *conn = NULL;
    ck_vmhi(vmhi_conn_open(&conn, "kvm:///nowhere", NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_open(&conn, URI "?accel=xen", NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_open(&conn, URI "?bogus=1", NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_open(&conn, URI "?qemu=/nonexistent/qemu", NULL), VMHI_E_CONNECTION);
    ck_vmhi(vmhi_conn_open(&conn, "kvm://otherhost/session", NULL), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(conn);
}
END_TEST

START_TEST(definitions_persist)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "alpha");
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    vmhi_vm *dup = NULL;
    vmhi_vm_config *other = kvmtest_config("alpha");
    ck_vmhi(vmhi_vm_define(&dup, conn, other, 0), VMHI_E_EXISTS);
    vmhi_vm_config_free(other);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = kvmtest_open(URI);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "alpha"));
    ck_assert_str_eq(vmhi_vm_get_uuid(vm), uuid);
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &cfg, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), 128);
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 4);
    vmhi_vm_config_free(cfg);
    vmhi_vm **list = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &list, &n));
    ck_assert_uint_eq(n, 1);
    vmhi_vm_list_free(list, n);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conn = kvmtest_open(URI);
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, conn, "alpha"), VMHI_E_NO_VM);
    vmhi_conn_close(conn);
}
END_TEST

/* IDE is declared absent (q35 has no IDE), so the core refuses it and
 * vmhi_conn_get_value_caps() said so beforehand. */
START_TEST(unsupported_devices_are_refused)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm_config *cfg = kvmtest_config("ide");
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/tmp/none.img"));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_IDE));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_disk_free(disk);
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_define(&vm, conn, cfg, 0), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "disk-bus 'ide'"));
    uint64_t buses = 0;
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_BUS, &buses));
    ck_assert_uint_eq(buses & (UINT64_C(1) << VMHI_DISK_BUS_IDE), 0);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

/* The per-value caps on the real peer: what KVM declares, DEFAULT resolved
 * to virtio and reported back, declared values accepted. */
START_TEST(value_caps_and_default_resolution)
{
    vmhi_conn *conn = kvmtest_open(URI);
    uint64_t v = 0;
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_BUS, &v));
    ck_assert_uint_eq(v, (UINT64_C(1) << VMHI_DISK_BUS_DEFAULT) |
                             (UINT64_C(1) << VMHI_DISK_BUS_VIRTIO) |
                             (UINT64_C(1) << VMHI_DISK_BUS_SATA));
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_GUEST_TYPE, &v));
    ck_assert_uint_eq(v, (UINT64_C(1) << VMHI_GUEST_DEFAULT) | (UINT64_C(1) << VMHI_GUEST_HVM));
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_BOOT_METHOD, &v));
    ck_assert_uint_ne(v & (UINT64_C(1) << VMHI_BOOT_METHOD_KERNEL), 0);
    ck_vmhi_ok(vmhi_conn_get_value_caps(conn, VMHI_VALUE_FIRMWARE, &v));
    ck_assert_uint_eq(v, UINT64_C(1) << VMHI_FIRMWARE_BIOS);

    vmhi_vm_config *cfg = kvmtest_config("defaults");
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/tmp/vmhi-kvm-default.img"));
    ck_vmhi_ok(vmhi_disk_set_target(disk, "vda"));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    ck_vmhi_ok(vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_HVM));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "x-acme:tier", "gold"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(cfg, "org.example.other:note", "kept as is"));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_CONFIG));
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_VIRTIO);
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(got, 0)), "vda");
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(got, 0)), VMHI_NIC_MODEL_VIRTIO);
    ck_assert_int_eq(vmhi_vm_config_get_guest_type(got), VMHI_GUEST_HVM);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "x-acme:tier"), "gold");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "org.example.other:note"), "kept as is");
    vmhi_vm_config *live = NULL;
    ck_vmhi(vmhi_vm_get_config(vm, &live, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);

    /* A new connection reads the definition back from the state directory. */
    vmhi_conn *again = kvmtest_open(URI);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, again, "defaults"));
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(got, 0)), VMHI_DISK_BUS_VIRTIO);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(got, "x-acme:tier"), "gold");
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_conn_close(again);
    vmhi_nic_free(nic);
    vmhi_disk_free(disk);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

/* ERR-15: a kernel that does not exist is named, as NOT_FOUND, at start. */
START_TEST(missing_kernel_is_not_found)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm_config *cfg = kvmtest_config("nokernel");
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, "/nonexistent/vmhi/vmlinuz"));
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "console=ttyS0"));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "/nonexistent/vmhi/vmlinuz"));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTOFF);
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ck_assert_str_eq(vmhi_vm_config_get_kernel(got), "/nonexistent/vmhi/vmlinuz");
    ck_assert_str_eq(vmhi_vm_config_get_cmdline(got), "console=ttyS0");
    vmhi_vm_config_free(got);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

/* ---- THR-8: the application reaps every child itself ------------------ */

static atomic_int reaped;

static void reap_everything(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        atomic_fetch_add(&reaped, 1);
    errno = saved;
}

START_TEST(application_reaps_every_child)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = reap_everything;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGCHLD, &sa, NULL), 0);
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "reaped");
    for (int round = 0; round < 2; round++) {
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
        ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
        ck_vmhi_ok(vmhi_vm_pause(vm, 0));
        ck_vmhi_ok(vmhi_vm_resume(vm, 0));
        long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
        ck_assert_int_gt(pid, 0);
        ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
        vmhi_state_reason why;
        ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
        ck_assert_int_eq(why, VMHI_REASON_POWEROFF);
        ck_assert(kvmtest_wait_gone(pid, 2000));
    }
    /* A disk the backend creates at start runs qemu-img: its exit is reaped here too. */
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    char path[700];
    snprintf(path, sizeof(path), "%s/reaped-disk.qcow2", kvmtest_dir);
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_QCOW2));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 16));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL));
    ck_vmhi_ok(vmhi_vm_start(vm, 0)); /* creates the image with qemu-img */
    ck_assert_int_eq(access(path, R_OK), 0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_disk_free(disk);
    /* The handler did take the backend's children: the test is real. */
    ck_assert_int_ge(atomic_load(&reaped), 1);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    signal(SIGCHLD, SIG_DFL);
}
END_TEST

/* LC-POWEROFF-4: poweroff discards a suspended VM's image; start boots anew. */
START_TEST(poweroff_from_suspended_discards_the_image)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "discard");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SUSPENDED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_POWEROFF);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_BOOTED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(start_pause_resume_reset_poweroff)
{
    vmhi_conn *conn = kvmtest_open(URI);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "beta");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_INVALID_STATE);
    int i = kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_RUNNING, NULL, 2000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(ev.ev[i].reason, VMHI_REASON_BOOTED);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_uint_eq(info.vcpus, 1);
    ck_assert_uint_eq(info.memory_mib, 128);
    ck_assert_int_eq(info.persistent, 1);

    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_PAUSED);
    ck_assert_int_eq(why, VMHI_REASON_USER);
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_resume(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_USER);
    while (vmhi_conn_dispatch_events(conn, 0) > 0)
        ; /* the resume's event */
    int mark = ev.n;
    ck_vmhi_ok(vmhi_vm_reset(vm, 0));
    i = kvmtest_wait_event(conn, &ev, mark, VMHI_EVENT_LIFECYCLE, VMHI_STATE_RUNNING, NULL, 2000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(ev.ev[i].reason, VMHI_REASON_RESET);

    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_gt(pid, 0);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_POWEROFF);
    ck_assert(kvmtest_wait_gone(pid, 2000));
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".qmp"));
    ck_assert(!kvmtest_file_exists(vmhi_vm_get_uuid(vm), ".state"));
    ck_vmhi(vmhi_vm_poweroff(vm, 0), VMHI_E_INVALID_STATE);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(killed_qemu_is_a_crash_and_restartable)
{
    vmhi_conn *conn = kvmtest_open(URI);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "gamma");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    long pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    int i = kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_CRASHED, NULL, 3000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(ev.ev[i].reason, VMHI_REASON_CRASHED);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_CRASHED);
    vmhi_conn_close(conn);

    /* A new connection still sees the crash, and can start the VM again. */
    conn = kvmtest_open(URI);
    vmhi_vm_free(vm);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "gamma"));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_CRASHED);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    /* SIGTERM by hand: QEMU says "host-signal" before it exits: shut off by the host. */
    kvmtest_subscribe(conn, &ev);
    pid = kvmtest_qemu_pid(vmhi_vm_get_uuid(vm));
    ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
    i = kvmtest_wait_event(conn, &ev, 0, VMHI_EVENT_LIFECYCLE, VMHI_STATE_SHUTOFF, NULL, 3000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(ev.ev[i].reason, VMHI_REASON_HOST);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(reconnect_from_a_new_connection)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "delta");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn); /* QEMU keeps running */
    long pid = kvmtest_qemu_pid(uuid);
    ck_assert_int_eq(kill((pid_t)pid, 0), 0);

    /* A child process (a new management process) takes the VM over. */
    pid_t child = fork();
    if (child == 0) {
        vmhi_conn *c2 = NULL;
        vmhi_vm *v2 = NULL;
        vmhi_state_reason why;
        vmhi_vm_state st = 0;
        int ok = vmhi_conn_open(&c2, URI, NULL) == 0 &&
                 vmhi_vm_lookup_by_uuid(&v2, c2, uuid) == 0 &&
                 vmhi_vm_get_state(v2, &st, &why) == 0 && st == VMHI_STATE_PAUSED &&
                 why == VMHI_REASON_USER && vmhi_vm_resume(v2, 0) == 0 &&
                 vmhi_vm_get_state(v2, &st, NULL) == 0 && st == VMHI_STATE_RUNNING;
        vmhi_vm_free(v2);
        vmhi_conn_close(c2);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");

    conn = kvmtest_open(URI);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&vm, conn, uuid));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert(kvmtest_wait_gone(pid, 2000));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(second_process_is_busy)
{
    vmhi_conn *conn = kvmtest_open(URI);
    pid_t child = fork();
    if (child == 0) {
        vmhi_conn *c2 = NULL;
        int rc = vmhi_conn_open(&c2, URI, NULL);
        _exit(rc == VMHI_E_BUSY && strstr(vmhi_error_last_message(), "another process") ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child did not get BUSY");
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(stale_state_is_cleaned_up)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "epsilon");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vm_config *cfg = kvmtest_config("transient");
    vmhi_vm *tvm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&tvm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    char uuid[VMHI_UUID_STRLEN + 1], tuuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    snprintf(tuuid, sizeof(tuuid), "%s", vmhi_vm_get_uuid(tvm));
    vmhi_vm_free(vm);
    vmhi_vm_free(tvm);
    vmhi_conn_close(conn);
    long pids[2] = { kvmtest_qemu_pid(uuid), kvmtest_qemu_pid(tuuid) };
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(kill((pid_t)pids[i], SIGKILL), 0);
        ck_assert(kvmtest_wait_gone(pids[i], 2000));
    }

    conn = kvmtest_open(URI);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&vm, conn, uuid));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_UNKNOWN);
    ck_vmhi(vmhi_vm_lookup_by_uuid(&tvm, conn, tuuid), VMHI_E_NO_VM);
    ck_assert(!kvmtest_file_exists(uuid, ".state"));
    ck_assert(!kvmtest_file_exists(tuuid, ".state"));
    ck_assert(!kvmtest_file_exists(uuid, ".qmp"));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(transient_vm_vanishes_at_poweroff)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm_config *cfg = kvmtest_config("zeta");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    ck_assert_int_eq(info.persistent, 0);
    ck_vmhi(vmhi_vm_undefine(vm, 0), VMHI_E_INVALID_STATE);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm *again = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&again, conn, "zeta"), VMHI_E_NO_VM);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(shutdown_without_guest_times_out)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "eta");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi(vmhi_vm_shutdown(vm, 300, 0), VMHI_E_TIMEOUT);
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SHUTTING_DOWN);
    ck_assert_int_eq(why, VMHI_REASON_SHUTDOWN_REQUESTED);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_SHUTOFF);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* A file of the data directory (<uuid><suffix>): 1 with mode 0600. */
static int data_file(const char *uuid, const char *suffix)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof(path), "%s/data/vmhi/kvm/%s%s", kvmtest_dir, uuid, suffix);
    if (stat(path, &st) != 0)
        return 0;
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    return 1;
}

static uint64_t live_memory(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    return info.memory_mib;
}

/* Suspend writes the VM's state to the data directory and ends QEMU; a
 * new process finds it suspended, and start restores what ran. */
START_TEST(suspend_and_restore_across_processes)
{
    vmhi_conn *conn = kvmtest_open(URI);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "sleeper");
    char uuid[VMHI_UUID_STRLEN + 1], path[700], id[VMHI_DEVICE_ID_MAX + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 96, VMHI_AFFECT_LIVE));
    snprintf(path, sizeof(path), "%s/live.img", kvmtest_dir);
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 1));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, id));
    vmhi_disk_free(disk);
    ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    long pid = kvmtest_qemu_pid(uuid);
    int mark = ev.n;
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SUSPENDED);
    ck_assert_int_eq(why, VMHI_REASON_SUSPENDED);
    ck_assert(kvmtest_wait_gone(pid, 2000));
    ck_assert(data_file(uuid, ".save") && data_file(uuid, ".suspended"));
    ck_assert(!kvmtest_file_exists(uuid, ".state"));
    ck_assert_uint_eq(live_memory(vm), 128); /* inactive: the definition */
    int i = kvmtest_wait_event(conn, &ev, mark, VMHI_EVENT_LIFECYCLE, VMHI_STATE_SUSPENDED, NULL,
                               1000);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(kvmtest_wait_event(conn, &ev, i + 1, VMHI_EVENT_LIFECYCLE, 0, NULL, 100),
                     -1);
    /* Refused in the states and for the VMs that cannot be suspended. */
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    /* A new management process restores it. */
    pid_t child = fork();
    if (child == 0) {
        vmhi_conn *c2 = NULL;
        vmhi_vm *v2 = NULL;
        vmhi_vm_state st = 0;
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        vmhi_device_list *list = NULL;
        int ok = vmhi_conn_open(&c2, URI, NULL) == 0 &&
                 vmhi_vm_lookup_by_uuid(&v2, c2, uuid) == 0 &&
                 vmhi_vm_get_state(v2, &st, &why) == 0 && st == VMHI_STATE_SUSPENDED &&
                 vmhi_vm_start(v2, 0) == 0 && vmhi_vm_get_state(v2, &st, &why) == 0 &&
                 st == VMHI_STATE_RUNNING && why == VMHI_REASON_RESTORED &&
                 vmhi_vm_get_info(v2, &info) == 0 && info.memory_mib == 96 &&
                 vmhi_vm_list_devices(v2, &list) == 0 && vmhi_device_list_count(list) == 1;
        vmhi_device_list_free(list);
        vmhi_vm_free(v2);
        vmhi_conn_close(c2);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "restore in a child failed");
    ck_assert(!data_file(uuid, ".save") && !data_file(uuid, ".suspended"));

    conn = kvmtest_open(URI);
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&vm, conn, uuid));
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0)); /* running this time */
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0)); /* discards the saved state */
    ck_assert(!data_file(uuid, ".save") && !data_file(uuid, ".suspended"));
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_NO_VM);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* A state file QEMU cannot load: the start fails with QEMU's reason and
 * the VM stays suspended, its file kept; undefine still discards it. */
START_TEST(failed_restore_stays_suspended)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "damaged");
    char uuid[VMHI_UUID_STRLEN + 1], path[700];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    snprintf(path, sizeof(path), "%s/data/vmhi/kvm/%s.save", kvmtest_dir, uuid);
    ck_assert_int_eq(truncate(path, 4096), 0);
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_BACKEND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "restoring"));
    vmhi_state_reason why;
    ck_assert_int_eq(kvmtest_state(vm, &why), VMHI_STATE_SUSPENDED);
    ck_assert_int_eq(why, VMHI_REASON_SUSPENDED);
    ck_assert(data_file(uuid, ".save") && data_file(uuid, ".suspended"));
    ck_assert(!kvmtest_file_exists(uuid, ".state"));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert(!data_file(uuid, ".save") && !data_file(uuid, ".suspended"));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(transient_vm_cannot_suspend)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm_config *cfg = kvmtest_config("fleeting");
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    ck_vmhi(vmhi_vm_suspend(vm, 0), VMHI_E_INVALID_STATE);
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

/* A detach pending at suspend completes then; the restored QEMU still
 * has the device (the guest never let go), but nobody sees it: its id
 * can be used again. */
START_TEST(pending_detach_completes_at_suspend)
{
    vmhi_conn *conn = kvmtest_open(URI);
    kvmtest_events ev;
    kvmtest_subscribe(conn, &ev);
    vmhi_vm *vm = kvmtest_define(conn, "holder");
    char path[700];
    snprintf(path, sizeof(path), "%s/held.img", kvmtest_dir);
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_id(disk, "held"));
    ck_vmhi_ok(vmhi_disk_set_path(disk, path));
    ck_vmhi_ok(vmhi_disk_set_size_mib(disk, 1));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL));
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_completion done = VMHI_COMPLETION_DONE;
    ck_vmhi_ok(vmhi_vm_detach_disk(vm, "held", VMHI_AFFECT_LIVE, &done));
    ck_assert_int_eq(done, VMHI_COMPLETION_PENDING); /* no guest to release it */
    int mark = ev.n;
    ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_assert_int_ge(kvmtest_wait_event(conn, &ev, mark, VMHI_EVENT_DEVICE_REMOVED, 0, "held",
                                        1000), 0);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_device_list *list = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &list));
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        ck_vmhi_ok(vmhi_device_list_get(list, i, &info));
        ck_assert_msg(!info.live, "device %s is live after the restore", info.id);
    }
    vmhi_device_list_free(list);
    ck_vmhi(vmhi_vm_detach_disk(vm, "held", VMHI_AFFECT_LIVE, &done), VMHI_E_NO_DEVICE);
    /* The id is free again in the live config, though QEMU still holds
     * the old device. */
    char other[700];
    snprintf(other, sizeof(other), "%s/again.img", kvmtest_dir);
    ck_vmhi_ok(vmhi_disk_set_path(disk, other));
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, id));
    vmhi_disk_free(disk);
    ck_assert_str_eq(id, "held");
    char record[700], line[256];
    snprintf(record, sizeof(record), "%s/run/vmhi/kvm/%s.state", kvmtest_dir,
             vmhi_vm_get_uuid(vm));
    FILE *f = fopen(record, "r");
    int hidden = 0;
    while (f && fgets(line, sizeof(line), f))
        hidden += strstr(line, ":held:hidden") != NULL;
    if (f)
        fclose(f);
    ck_assert_int_eq(hidden, 1);
    /* The hidden device was reported removed at suspend: power-off
     * reports nothing more. */
    mark = ev.n;
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_assert_int_eq(kvmtest_wait_event(conn, &ev, mark, VMHI_EVENT_DEVICE_REMOVED, 0, NULL,
                                        200), -1);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(undefine_running_makes_transient)
{
    vmhi_conn *conn = kvmtest_open(URI);
    vmhi_vm *vm = kvmtest_define(conn, "theta");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.persistent, 0);
    ck_assert_int_eq(info.state, VMHI_STATE_RUNNING);
    vmhi_conn_close(conn);
    conn = kvmtest_open(URI); /* the runtime record keeps the transient VM */
    vmhi_vm_free(vm);
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, "theta"));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm *again = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&again, conn, "theta"), VMHI_E_NO_VM);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    kvmtest_require_qemu();
    Suite *s = suite_create("kvm_lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, kvmtest_setup, kvmtest_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, host_info_reports_accelerator);
    tcase_add_test(tc, bad_uris_are_refused);
    tcase_add_test(tc, definitions_persist);
    tcase_add_test(tc, unsupported_devices_are_refused);
    tcase_add_test(tc, value_caps_and_default_resolution);
    tcase_add_test(tc, missing_kernel_is_not_found);
    tcase_add_test(tc, application_reaps_every_child);
    tcase_add_test(tc, poweroff_from_suspended_discards_the_image);
    tcase_add_test(tc, start_pause_resume_reset_poweroff);
    tcase_add_test(tc, killed_qemu_is_a_crash_and_restartable);
    tcase_add_test(tc, reconnect_from_a_new_connection);
    tcase_add_test(tc, second_process_is_busy);
    tcase_add_test(tc, stale_state_is_cleaned_up);
    tcase_add_test(tc, transient_vm_vanishes_at_poweroff);
    tcase_add_test(tc, shutdown_without_guest_times_out);
    tcase_add_test(tc, undefine_running_makes_transient);
    tcase_add_test(tc, suspend_and_restore_across_processes);
    tcase_add_test(tc, failed_restore_stays_suspended);
    tcase_add_test(tc, transient_vm_cannot_suspend);
    tcase_add_test(tc, pending_detach_completes_at_suspend);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
