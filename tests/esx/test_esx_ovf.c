/*
 * OVF import on the vSphere simulator: corpus envelopes with their disks
 * on the simulator's datastore (/vmfs/volumes/LocalDS_0/...), adapted to
 * what the ESX backend accepts (IDE becomes SCSI, virtio becomes vmxnet3
 * or e1000...), defined and read back; and an .ova's streamOptimized image
 * converted for ESX's accepted formats (a sparse vmdk, never qcow2).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esx_sim.h"
#include "ovf_test_util.h"
#include "testutil.h"

/* The local directory behind the simulator's LocalDS_0 (under its TMPDIR). */
static void datastore_dir(char *buf, size_t cap)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "find '%s/tmp' -maxdepth 3 -type d -name '*LocalDS_0*' | head -1",
             esx_test_sim.dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    buf[0] = '\0';
    ck_assert_ptr_nonnull(fgets(buf, (int)cap, f));
    pclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    ck_assert_msg(buf[0] == '/', "no LocalDS_0 directory under %s/tmp", esx_test_sim.dir);
}

/* ESX opens a disk's file at define: give every disk of @p a vmdk (the
 * simulator also wants the "-flat" file of a descriptor it did not make). */
static void create_images(const vmhi_ovf_package *p, const char *ds)
{
    for (size_t i = 0; i < vmhi_ovf_package_get_vm_count(p); i++) {
        const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, i);
        for (size_t j = 0; j < vmhi_vm_config_get_disk_count(c); j++) {
            const char *path = vmhi_disk_get_path(vmhi_vm_config_get_disk(c, j));
            const char *rel = strstr(path, "/ovf/");
            char cmd[1600];
            ck_assert_ptr_nonnull(rel);
            int n = snprintf(cmd, sizeof(cmd), "mkdir -p '%s/ovf' && qemu-img create -q -f vmdk "
                             "'%s%s' 1M && f='%s%s' && touch \"${f%%.vmdk}-flat.vmdk\"", ds, ds,
                             rel, ds, rel);
            ck_assert_int_lt(n, (int)sizeof(cmd));
            ck_assert_int_eq(system(cmd), 0);
        }
    }
}

START_TEST(corpus_imports_read_back)
{
    /* (vmware-vmx19-multi.ovf names port groups the simulator lacks, the
     * disk of collection.ovf is qcow2: they need a network map and
     * import_disks, see stream_optimized_image_becomes_sparse_vmdk.) */
    static const char *const files[] = { "vmware-vmx13.ovf", "vmware-vmx07.ovf" };
    vmhi_conn *conn = esx_open();
    char ds[512];
    datastore_dir(ds, sizeof(ds));
    size_t defined = 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[1024];
        vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
        o.disk_dir = "/vmfs/volumes/LocalDS_0/ovf";
        vmhi_ovf_package *p = NULL;
        ck_vmhi_ok(vmhi_ovf_package_open(&p, ovf_corpus(files[f], path, sizeof(path)), &o));
        ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
        create_images(p, ds);
        for (size_t i = 0; i < vmhi_ovf_package_get_vm_count(p); i++) {
            const vmhi_vm_config *want = vmhi_ovf_package_get_vm(p, i);
            vmhi_vm *vm = NULL;
            ck_vmhi_ok(vmhi_vm_define(&vm, conn, want, 0));
            vmhi_vm_config *got = NULL;
            ck_vmhi_ok(vmhi_vm_get_config(vm, &got, 0));
            ovf_assert_kept(want, got);
            vmhi_vm_config_free(got);
            ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
            vmhi_vm_free(vm);
            defined++;
        }
        vmhi_ovf_package_free(p);
    }
    ck_assert_uint_eq(defined, 2);
    vmhi_conn_close(conn);
}
END_TEST

START_TEST(stream_optimized_image_becomes_sparse_vmdk)
{
    char dir[] = "/tmp/vmhi-esx-ovf-XXXXXX", cmd[1600], img[128], ova[128], out[600];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/data.qcow2", dir);
    snprintf(ova, sizeof(ova), "%s/x.ova", dir);
    char ds[512];
    datastore_dir(ds, sizeof(ds));
    snprintf(out, sizeof(out), "%s/imported", ds);
    snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 %s 8M", img);
    ck_assert_int_eq(system(cmd), 0);
    vmhi_vm_config *cfg = NULL;
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "esxovf"));
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, img));
    ck_vmhi_ok(vmhi_disk_set_format(d, VMHI_DISK_FORMAT_QCOW2));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
    ck_vmhi_ok(vmhi_ovf_export_file(cfg, ova));
    vmhi_conn *conn = esx_open();
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = out;
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_open(&p, ova, &o));
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    const vmhi_disk *got = vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, 0), 0);
    ck_assert_int_eq(vmhi_disk_get_format(got), VMHI_DISK_FORMAT_VMDK);
    snprintf(cmd, sizeof(cmd), "qemu-img info %s | grep -q 'create type: monolithicSparse' && "
             "qemu-img compare -q %s %s", vmhi_disk_get_path(got), img, vmhi_disk_get_path(got));
    ck_assert_int_eq(system(cmd), 0);
    /* Under the datastore's mount point: ESX takes it as it is. */
    snprintf(cmd, sizeof(cmd), "touch %s/data-flat.vmdk", out);
    ck_assert_int_eq(system(cmd), 0);
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, vmhi_ovf_package_get_vm(p, 0), 0));
    vmhi_vm_config *back = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(vm, &back, 0));
    ovf_assert_kept(vmhi_ovf_package_get_vm(p, 0), back);
    vmhi_vm_config_free(back);
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    vmhi_vm_free(vm);
    vmhi_ovf_package_free(p);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-ovf");
    TCase *tc = tcase_create("ovf");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, corpus_imports_read_back);
    tcase_add_test(tc, stream_optimized_image_becomes_sparse_vmdk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("ovf", "--vms 0", suite());
}
