/*
 * OVF import on real QEMU: corpus envelopes adapted to kvm:///session,
 * defined and read back; and an .ova whose disk is a real image and whose
 * VM is the tiny guest (direct kernel boot, scripts/kvm/build-guest.sh):
 * its image is converted by vmhi_ovf_package_import_disks() and the
 * imported VM boots under TCG with it attached (QEMU refuses to start on
 * an image it cannot open).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdbool.h>

#include "kvmtest.h"
#include "ovf_test_util.h"

static const char uri[] = "kvm:///session?accel=tcg";

/* The envelopes name vSphere networks this host lacks: their NICs go to
 * QEMU's user networking (adaptation does not map network names). */
static vmhi_vm_config *on_user_network(const vmhi_vm_config *cfg)
{
    vmhi_vm_config *c = NULL;
    ck_vmhi_ok(vmhi_vm_config_copy(&c, cfg));
    size_t n = vmhi_vm_config_get_nic_count(c);
    vmhi_nic *nics[16] = { 0 };
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++) {
        const vmhi_nic *old = vmhi_vm_config_get_nic(c, i);
        ck_vmhi_ok(vmhi_nic_new(&nics[i]));
        ck_vmhi_ok(vmhi_nic_set_id(nics[i], vmhi_nic_get_id(old)));
        ck_vmhi_ok(vmhi_nic_set_model(nics[i], vmhi_nic_get_model(old)));
        if (vmhi_nic_get_mac(old))
            ck_vmhi_ok(vmhi_nic_set_mac(nics[i], vmhi_nic_get_mac(old)));
        ck_vmhi_ok(vmhi_nic_set_network(nics[i], "user"));
    }
    for (size_t i = 0; i < n; i++)
        ck_vmhi_ok(vmhi_vm_config_remove_nic(c, vmhi_nic_get_id(nics[i])));
    for (size_t i = 0; i < n; i++) {
        ck_vmhi_ok(vmhi_vm_config_add_nic(c, nics[i]));
        vmhi_nic_free(nics[i]);
    }
    return c;
}

START_TEST(corpus_imports_read_back)
{
    kvmtest_require_qemu();
    static const char *const files[] = { "vmware-vmx13.ovf", "vmware-vmx07.ovf",
                                         "vmware-vmx19-multi.ovf", "vbox-2.2.ovf",
                                         "collection.ovf", "xcpng.ovf" };
    vmhi_conn *conn = kvmtest_open(uri);
    size_t defined = 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[1024];
        vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
        o.disk_dir = kvmtest_dir;
        vmhi_ovf_package *p = NULL;
        ck_vmhi_ok(vmhi_ovf_package_open(&p, ovf_corpus(files[f], path, sizeof(path)), &o));
        ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
        for (size_t i = 0; i < vmhi_ovf_package_get_vm_count(p); i++) {
            vmhi_vm_config *want = on_user_network(vmhi_ovf_package_get_vm(p, i));
            vmhi_vm *vm = NULL;
            ck_vmhi_ok(vmhi_vm_define(&vm, conn, want, 0));
            vmhi_vm_config *got = NULL;
            ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
            ovf_assert_kept(want, got);
            vmhi_vm_config_free(got);
            vmhi_vm_config_free(want);
            ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
            vmhi_vm_free(vm);
            defined++;
        }
        vmhi_ovf_package_free(p);
    }
    ck_assert_uint_ge(defined, 7);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(ova_with_image_boots)
{
    kvmtest_require_qemu();
    const char *gdir = getenv("VMHI_KVM_GUEST_DIR");
    char kernel[512], initrd[512], img[700], ova[700], out[700], cmd[2200];
    snprintf(kernel, sizeof(kernel), "%s/vmlinux", gdir ? gdir : "");
    snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio.gz", gdir ? gdir : "");
    if (!gdir || access(kernel, R_OK) != 0 || access(initrd, R_OK) != 0) {
        printf("SKIP: the test guest is not built (scripts/kvm/build-guest.sh)\n");
        exit(KVMTEST_SKIP);
    }
    snprintf(img, sizeof(img), "%s/guest-data.img", kvmtest_dir);
    snprintf(ova, sizeof(ova), "%s/guest.ova", kvmtest_dir);
    snprintf(out, sizeof(out), "%s/imported", kvmtest_dir);
    snprintf(cmd, sizeof(cmd), "head -c 4194304 /dev/urandom >%s", img);
    ck_assert_int_eq(system(cmd), 0);
    vmhi_vm_config *cfg = kvmtest_config("ovfguest");
    ck_vmhi_ok(vmhi_vm_config_set_kernel(cfg, kernel));
    ck_vmhi_ok(vmhi_vm_config_set_initrd(cfg, initrd));
    ck_vmhi_ok(vmhi_vm_config_set_cmdline(cfg, "console=ttyS0 quiet panic=-1"));
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, img));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
    ck_vmhi_ok(vmhi_ovf_export_file(cfg, ova));

    vmhi_conn *conn = kvmtest_open(uri);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = out;
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_open(&p, ova, &o));
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
    const vmhi_vm_config *want = vmhi_ovf_package_get_vm(p, 0);
    const vmhi_disk *disk = vmhi_vm_config_get_disk(want, 0);
    ck_assert_int_eq(vmhi_disk_get_format(disk), VMHI_DISK_FORMAT_QCOW2);
    snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f raw -F qcow2 %s %s", img,
             vmhi_disk_get_path(disk));
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_str_eq(vmhi_vm_config_get_kernel(want), kernel);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, want, 0));
    vmhi_vm_config *got = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
    ovf_assert_kept(want, got);
    vmhi_vm_config_free(got);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_assert_msg(kvmtest_wait_console(vmhi_vm_get_uuid(vm), "VMHI-READY", 1, 90000), "the imported guest did not boot");
    ck_assert_int_eq(kvmtest_state(vm, NULL), VMHI_STATE_RUNNING);
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    vmhi_vm_free(vm);
    vmhi_ovf_package_free(p);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm_ovf");
    TCase *tc = tcase_create("import");
    tcase_add_checked_fixture(tc, kvmtest_setup, kvmtest_teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, corpus_imports_read_back);
    tcase_add_test(tc, ova_with_image_boots);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
