/*
 * Allocation-failure torture (the curl -t / SQLite fault-simulation idea):
 * a whole management session is replayed with the n-th allocation of the
 * core failing, for every n until the session runs clean.  Every call must
 * either succeed or report VMHI_E_NOMEM, never crash, and a failed define
 * must leave no VM behind.  ASan in CI turns any leak into a failure.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"
#include "testutil.h"

static const char *const doc =
    "<vm xmlns=\"urn:vmhi:vm:1\"><name>torture</name><vcpus max=\"2\">1</vcpus>"
    "<memory max=\"512\" unit=\"MiB\">256</memory></vm>";

/* Result of one step: 0 = ok, 1 = NOMEM (stop the session), fails otherwise. */
static int step(int rc, const char *what, long n)
{
    if (rc == VMHI_OK)
        return 0;
    ck_assert_msg(rc == VMHI_E_NOMEM, "%s returned %d (%s) with allocation %ld failing: %s", what,
                  rc, vmhi_strerror(rc), n, vmhi_error_last_message());
    return 1;
}

/* Runs the session; returns true when it ran to the end without NOMEM. */
static bool session(long n)
{
    vmhi_conn *conn = NULL;
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    vmhi_vm **vms = NULL;
    size_t count = 0;
    vmhi_vm_config *got = NULL;
    char *json = NULL;
    vmhi_device_list *devs = NULL;
    vmhi_disk *disk = NULL;
    bool clean = false;

    vmhi__alloc_fail_at(n);
    if (step(vmhi_conn_open(&conn, "test:///default?guest=instant", NULL), "open", n))
        goto out;
    if (step(vmhi_vm_config_from_xml(&cfg, doc, strlen(doc)), "from_xml", n))
        goto out;
    if (step(vmhi_vm_define(&vm, conn, cfg, 0), "define", n)) {
        /* a define that failed must not have left a VM behind */
        vmhi__alloc_fail_at(0);
        ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &count));
        ck_assert_uint_eq(count, 0);
        goto out;
    }
    if (step(vmhi_vm_start(vm, 0), "start", n) ||
        step(vmhi_conn_list_vms(conn, 0, &vms, &count), "list", n) ||
        step(vmhi_vm_get_config(vm, &got, 0), "get_config", n) ||
        step(vmhi_vm_config_to_json(got, &json), "to_json", n) ||
        step(vmhi_disk_new(&disk), "disk_new", n) ||
        step(vmhi_disk_set_path(disk, "/var/lib/torture.img"), "disk_set_path", n) ||
        step(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_LIVE, NULL), "attach", n) ||
        step(vmhi_vm_list_devices(vm, &devs), "list_devices", n) ||
        step(vmhi_vm_poweroff(vm, 0), "poweroff", n) ||
        step(vmhi_vm_undefine(vm, 0), "undefine", n))
        goto out;
    clean = true;
out:
    vmhi__alloc_fail_at(0);
    vmhi_device_list_free(devs);
    vmhi_disk_free(disk);
    vmhi_free(json);
    vmhi_vm_config_free(got);
    vmhi_vm_list_free(vms, count);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
    return clean;
}

START_TEST(test_every_allocation_may_fail)
{
    long n = 1;
    while (!session(n)) {
        n++;
        ck_assert_msg(n < 100000, "session never completed");
    }
    ck_assert_int_gt(n, 10); /* the injection really hit something */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("torture");
    TCase *tc = tcase_create("alloc");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_every_allocation_may_fail);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
