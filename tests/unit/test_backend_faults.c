/*
 * The test backend's directory hosts when the directory cannot take a
 * definition (issue #11 section 4): the file size limit, a full and a
 * read-only filesystem.  The old definition survives intact, the call
 * fails clearly, no temporary is left (store_faults.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"
#include "store_faults.h"

static vmhi_vm_config *small_config(const char *name)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 256));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 128));
    return cfg;
}

static void run(sf_fault f)
{
    char *dir = bt_tmpdir();
    char *uri = bt_dir_uri(dir, NULL);
    int mounted = f != SF_FILE_SIZE_LIMIT && sf_mount_tmpfs(dir);
    if (f == SF_FULL && !mounted) {
        printf("a full filesystem needs root (a tmpfs); the file size limit covers it\n");
        f = SF_FILE_SIZE_LIMIT;
    }
    sf_check(uri, dir, dir, f, small_config);
    if (mounted)
        umount2(dir, MNT_DETACH);
    bt_rmtree(dir);
    free(dir);
    free(uri);
}

START_TEST(file_size_limit_keeps_the_old_definition)
{
    run(SF_FILE_SIZE_LIMIT);
}
END_TEST

START_TEST(full_filesystem_keeps_the_old_definition)
{
    run(SF_FULL);
}
END_TEST

START_TEST(read_only_directory_keeps_the_old_definition)
{
    run(SF_READ_ONLY);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_faults");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, file_size_limit_keeps_the_old_definition);
    tcase_add_test(tc, full_filesystem_keeps_the_old_definition);
    tcase_add_test(tc, read_only_directory_keeps_the_old_definition);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
