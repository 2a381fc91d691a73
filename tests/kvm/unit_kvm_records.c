/*
 * Unit tests of what a suspended VM is restored from, without QEMU: the
 * record's text (ports, devices pending or hidden, the reset echo) and
 * the command line of the restoring QEMU (the saved ports, hidden
 * devices under their QEMU-only id, -incoming defer, fixed disk queues).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "kvm_stub_core.h"

static kvm_dev *dev(vmhi_device_type type, const char *id, unsigned int port, bool pending,
                    bool hidden, kvm_dev *next)
{
    kvm_dev *d = calloc(1, sizeof(*d));
    d->type = type;
    snprintf(d->id, sizeof(d->id), "%s", id);
    d->port = port;
    d->pending = pending;
    d->hidden = hidden;
    d->next = next;
    return d;
}

START_TEST(record_round_trip)
{
    kvm_dev *devs = dev(VMHI_DEVICE_DISK, "d0", 3, false, false,
                        dev(VMHI_DEVICE_NIC, "n1", 9, true, false,
                            dev(VMHI_DEVICE_DISK, "gone", 4, true, true, NULL)));
    size_t len = 0;
    char *text = kvm_record_format(VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED, NULL, 11, devs,
                                   true, NULL, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "dev=disk:4:gone:hidden\n"));
    ck_assert_ptr_nonnull(strstr(text, "dev=nic:9:n1:pending\n"));
    kvm_record rec;
    ck_assert_int_eq(kvm_record_parse(text, &rec), 0);
    ck_assert_int_eq(rec.state, VMHI_STATE_SUSPENDED);
    ck_assert_int_eq(rec.reason, VMHI_REASON_SUSPENDED);
    ck_assert_uint_eq(rec.ports, 11);
    ck_assert(rec.reset_echo);
    const kvm_dev *d = rec.devs;
    ck_assert(d && d->type == VMHI_DEVICE_DISK && d->port == 3 && !d->pending && !d->hidden);
    d = d->next;
    ck_assert(d && d->type == VMHI_DEVICE_NIC && d->port == 9 && d->pending && !d->hidden);
    d = d->next;
    ck_assert(d && strcmp(d->id, "gone") == 0 && d->pending && d->hidden && !d->next);
    kvm_devs_free(rec.devs);
    kvm_devs_free(devs);
    free(text);
}
END_TEST

START_TEST(record_refuses_garbage)
{
    char a[] = "state=suspended\nno equals sign\n\n";
    char b[] = "state=bogus\n\n";
    char c[] = "state=suspended\ndev=disk:99999:x\n\n";
    kvm_record rec;
    ck_assert_int_ne(kvm_record_parse(a, &rec), 0);
    kvm_devs_free(rec.devs);
    ck_assert_int_ne(kvm_record_parse(b, &rec), 0);
    kvm_devs_free(rec.devs);
    ck_assert_int_ne(kvm_record_parse(c, &rec), 0);
    kvm_devs_free(rec.devs);
}
END_TEST

/* Regression (fuzz_kvm_runstate): numbers were read with strtol/strtoul
 * unchecked, so "pid=-1" or a pid beyond a pid_t named another process,
 * and any port count passed. */
START_TEST(record_numbers_are_range_checked)
{
    static const char *const bad[] = {
        "state=running\npid=-1\n\n",          "state=running\npid=4294967297\n\n",
        "state=running\npid=12x\n\n",         "state=running\npid=\n\n",
        "state=running\nstarttime=-3\n\n",    "state=running\nports=99999\n\n",
        "state=running\nports=4294967296\n\n", "state=running\ndev=disk:-1:x\n\n",
        "state=running\ndev=tape:1:x\n\n",    "state=running\ndev=disk:1:x:bogus\n\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        kvm_record rec;
        snprintf(text, sizeof(text), "%s", bad[i]);
        ck_assert_msg(kvm_record_parse(text, &rec) != 0, "accepted: %s", bad[i]);
        kvm_devs_free(rec.devs);
    }
    char good[] = "state=running\npid=2147483647\nstarttime=18446744073709551615\nports=56\n"
                  "dev=nic:3:n1:pending\n\n";
    kvm_record rec;
    ck_assert_int_eq(kvm_record_parse(good, &rec), 0);
    ck_assert_int_eq(rec.pid, 2147483647);
    ck_assert(rec.starttime == 18446744073709551615ull);
    ck_assert_uint_eq(rec.ports, 56);
    ck_assert(rec.devs && rec.devs->pending && rec.devs->port == 3);
    kvm_devs_free(rec.devs);
}
END_TEST

static vmhi_vm_config *config_with_disks(void)
{
    vmhi_vm_config *cfg = NULL;
    ck_assert_int_eq(vmhi_vm_config_new(&cfg), VMHI_OK);
    ck_assert_int_eq(vmhi_vm_config_set_name(cfg, "r"), VMHI_OK);
    ck_assert_int_eq(vmhi_vm_config_set_max_vcpus(cfg, 4), VMHI_OK);
    ck_assert_int_eq(vmhi_vm_config_set_vcpus(cfg, 2), VMHI_OK);
    const char *ids[] = { "boot", "gone" }, *paths[] = { "/tmp/a.img", "/tmp/b.img" };
    for (int i = 0; i < 2; i++) {
        vmhi_disk *d = NULL;
        ck_assert_int_eq(vmhi_disk_new(&d), VMHI_OK);
        ck_assert_int_eq(vmhi_disk_set_id(d, ids[i]), VMHI_OK);
        ck_assert_int_eq(vmhi_disk_set_path(d, paths[i]), VMHI_OK);
        ck_assert_int_eq(vmhi_vm_config_add_disk(cfg, d), VMHI_OK);
        vmhi_disk_free(d);
    }
    return cfg;
}

static int has_arg(const kvm_argv *a, const char *needle)
{
    for (size_t i = 0; i < a->n; i++)
        if (strstr(a->v[i], needle))
            return 1;
    return 0;
}

START_TEST(restoring_qemu_matches_the_saved_one)
{
    kvm_host host;
    memset(&host, 0, sizeof(host));
    host.paths.run_dir = "/tmp/run";
    kvm_conn c;
    memset(&c, 0, sizeof(c));
    c.host = &host;
    c.qemu = "/usr/bin/qemu-system-x86_64";
    c.accel = KVM_ACCEL_TCG;
    kvm_vm vm;
    memset(&vm, 0, sizeof(vm));
    snprintf(vm.uuid, sizeof(vm.uuid), "12345678-1234-1234-1234-123456789abc");
    snprintf(vm.name, sizeof(vm.name), "r");
    kvm_saved saved = { .qemu_cfg = config_with_disks(), .nports = 12 };
    saved.devs = dev(VMHI_DEVICE_DISK, "boot", 5, false, false,
                     dev(VMHI_DEVICE_DISK, "gone", 2, true, true, NULL));
    kvm_run *run = kvm_run_new();
    kvm_argv argv = { 0 };
    ck_assert_int_eq(kvm_cmdline_build(&c, &vm, &saved, run, &argv), VMHI_OK);
    ck_assert_uint_eq(run->nports, 12);
    ck_assert(has_arg(&argv, "id=rp11,"));
    ck_assert(!has_arg(&argv, "id=rp12,"));
    ck_assert(has_arg(&argv, "\"id\":\"vmhi-boot\""));
    ck_assert(has_arg(&argv, "\"bus\":\"rp5\""));
    ck_assert(has_arg(&argv, "\"id\":\"vmhi.gone2\""));
    ck_assert(!has_arg(&argv, "vmhi-gone"));
    ck_assert(has_arg(&argv, "\"num-queues\":4"));
    ck_assert_str_eq(argv.v[argv.n - 2], "-incoming");
    ck_assert_str_eq(argv.v[argv.n - 1], "defer");
    const kvm_dev *g = run->devs->next;
    ck_assert(g && g->hidden && g->pending && g->port == 2);
    ck_assert_ptr_null(kvm_dev_find(run, "gone")); /* hidden: no VMHI identity */
    ck_assert_ptr_nonnull(kvm_dev_find(run, "boot"));
    kvm_argv_free(&argv);
    kvm_run_unref(run);
    kvm_devs_free(saved.devs);
    vmhi_vm_config_free(saved.qemu_cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm_records");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, kvm_stub_core_setup, NULL);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, record_refuses_garbage);
    tcase_add_test(tc, record_numbers_are_range_checked);
    tcase_add_test(tc, restoring_qemu_matches_the_saved_one);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
