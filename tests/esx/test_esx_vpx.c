/*
 * ESX backend against the simulator's vCenter model: vpx:// URIs, scopes
 * (whole inventory, a cluster, a standalone host) and defining a VM there.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "esx_sim.h"
#include "testutil.h"

static const char *vpx(const char *path)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "vpx://127.0.0.1:%d/%s?no_verify=1", esx_test_sim.port, path);
    return buf;
}

static size_t count_vms(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    vmhi_vm_list_free(vms, n);
    return n;
}

START_TEST(scopes_select_the_vms)
{
    vmhi_conn *all = esx_open_uri(vpx(""));
    ck_assert_uint_eq(count_vms(all), 4);
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(all, &info));
    ck_assert_str_eq(info.hypervisor, "vCenter");
    vmhi_conn_close(all);
    vmhi_conn *cluster = esx_open_uri(vpx("DC0/DC0_C0"));
    ck_assert_uint_eq(count_vms(cluster), 2);
    vmhi_conn_close(cluster);
    vmhi_conn *host = esx_open_uri(vpx("DC0/DC0_H0"));
    ck_assert_uint_eq(count_vms(host), 2);
    vmhi_conn_close(host);
    vmhi_conn *dc = esx_open_uri(vpx("DC0"));
    ck_assert_uint_eq(count_vms(dc), 4);
    vmhi_conn_close(dc);
}
END_TEST

START_TEST(wrong_paths_and_schemes_are_refused)
{
    vmhi_conn_options o = esx_options();
    vmhi_conn *conn = NULL;
    ck_vmhi(vmhi_conn_open(&conn, vpx("NoSuchDC"), &o), VMHI_E_INVALID_ARG);
    ck_assert(strstr(vmhi_error_last_message(), "NoSuchDC") != NULL);
    ck_vmhi(vmhi_conn_open(&conn, vpx("DC0/NoSuchCluster"), &o), VMHI_E_INVALID_ARG);
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?no_verify=1", esx_test_sim.port);
    ck_vmhi(vmhi_conn_open(&conn, uri, &o), VMHI_E_INVALID_ARG);
    ck_assert(strstr(vmhi_error_last_message(), "vpx://") != NULL);
}
END_TEST

START_TEST(define_and_start_in_a_cluster)
{
    vmhi_conn *conn = esx_open_uri(vpx("DC0/DC0_C0"));
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "vpx-new"));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 64));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, 64));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_assert_uint_eq(count_vms(conn), 3);
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    ck_vmhi_ok(vmhi_vm_poweroff(vm, 0));
    ck_vmhi_ok(vmhi_vm_undefine(vm, 0));
    ck_assert_uint_eq(count_vms(conn), 2);
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("esx-vpx");
    TCase *tc = tcase_create("vpx");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, scopes_select_the_vms);
    tcase_add_test(tc, wrong_paths_and_schemes_are_refused);
    tcase_add_test(tc, define_and_start_in_a_cluster);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return esx_run("vpx", "--model vpx --vms 4", suite());
}
