/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Listing and lookup (section 7) and runtime information (section 8).
 * Listings may contain VMs the suite did not create; the checks hold the
 * listing to the filter for every VM in it and look for the suite's own.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

typedef struct own_vms {
    vmhi_vm *off, *running, *transient, *paused; /* paused NULL without PAUSE */
} own_vms;

static void make_vms(vmhi_conn *conn, own_vms *v)
{
    memset(v, 0, sizeof(*v));
    v->off = conf_define(conn);
    v->running = conf_define(conn);
    conf_ok(vmhi_vm_start(v->running, 0));
    v->transient = conf_define(conn);
    conf_ok(vmhi_vm_start(v->transient, 0));
    conf_ok(vmhi_vm_undefine(v->transient, 0));
    if (conf_op_caps(conn, VMHI_OP_PAUSE) & VMHI_CAP_SUPPORTED) {
        v->paused = conf_define(conn);
        conf_ok(vmhi_vm_start(v->paused, 0));
        conf_wait_state(v->paused, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
        conf_ok(vmhi_vm_pause(v->paused, 0));
    }
    conf_wait_state(v->running, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_wait_state(v->transient, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
}

static void free_vms(own_vms *v)
{
    conf_discard(v->off);
    conf_discard(v->running);
    conf_discard(v->transient);
    conf_discard(v->paused);
}

static size_t occurrences(vmhi_vm **vms, size_t n, vmhi_vm *vm)
{
    size_t k = 0;
    for (size_t i = 0; vm && i < n; i++)
        k += strcmp(vmhi_vm_get_uuid(vms[i]), vmhi_vm_get_uuid(vm)) == 0;
    return k;
}

static bool matches(vmhi_vm *vm, unsigned int filter)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    if (vmhi_vm_get_info(vm, &info) != VMHI_OK)
        return true; /* a foreign VM vanished meanwhile: not ours to judge */
    unsigned int states = filter & 0xffffu;
    if (states && !(states & VMHI_STATE_BIT(info.state)))
        return false;
    if ((filter & VMHI_LIST_PERSISTENT) && !(filter & VMHI_LIST_TRANSIENT) && !info.persistent)
        return false;
    if ((filter & VMHI_LIST_TRANSIENT) && !(filter & VMHI_LIST_PERSISTENT) && info.persistent)
        return false;
    return true;
}

/* Lists with @filter and checks every VM against it and @want for each own VM. */
static void check_filter(vmhi_conn *conn, const own_vms *v, unsigned int filter,
                         const int want[4])
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    conf_ok(vmhi_conn_list_vms(conn, filter, &vms, &n));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(matches(vms[i], filter), "filter 0x%x listed '%s', which does not match",
                      filter, vmhi_vm_get_name(vms[i]));
    vmhi_vm *own[4] = { v->off, v->running, v->transient, v->paused };
    for (int k = 0; k < 4; k++) {
        if (!own[k])
            continue;
        ck_assert_msg(occurrences(vms, n, own[k]) == (size_t)want[k],
                      "filter 0x%x lists '%s' %zu time(s), expected %d", filter,
                      vmhi_vm_get_name(own[k]), occurrences(vms, n, own[k]), want[k]);
    }
    vmhi_vm_list_free(vms, n);
}

VMHI_CONF_TEST(list_every_vm_once_and_by_filter, VMHI_PROFILE_CORE, "LIST-1", "LIST-2")
{
    vmhi_conn *conn = conf_open();
    own_vms v;
    make_vms(conn, &v);
    const unsigned int running = VMHI_STATE_BIT(VMHI_STATE_RUNNING);
    const unsigned int off = VMHI_STATE_BIT(VMHI_STATE_SHUTOFF);
    const unsigned int paused = VMHI_STATE_BIT(VMHI_STATE_PAUSED);
    /*                                        off running transient paused */
    conf_req("LIST-1");
    check_filter(conn, &v, 0, (const int[4]){ 1, 1, 1, 1 });
    conf_req("LIST-2");
    check_filter(conn, &v, running, (const int[4]){ 0, 1, 1, 0 });
    check_filter(conn, &v, off | paused, (const int[4]){ 1, 0, 0, 1 });
    check_filter(conn, &v, VMHI_LIST_PERSISTENT, (const int[4]){ 1, 1, 0, 1 });
    check_filter(conn, &v, VMHI_LIST_TRANSIENT, (const int[4]){ 0, 0, 1, 0 });
    check_filter(conn, &v, running | VMHI_LIST_PERSISTENT, (const int[4]){ 0, 1, 0, 0 });
    check_filter(conn, &v, running | VMHI_LIST_TRANSIENT, (const int[4]){ 0, 0, 1, 0 });
    free_vms(&v);
    vmhi_conn_close(conn);
}

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'f')
            *s = (char)(*s - 'a' + 'A');
}

VMHI_CONF_TEST(lookup_by_name_and_uuid, VMHI_PROFILE_CORE, "LIST-4", "LIST-5")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    vmhi_vm *found = NULL;
    conf_req("LIST-4");
    conf_ok(vmhi_vm_lookup_by_name(&found, conn, vmhi_vm_get_name(vm)));
    ck_assert_str_eq(vmhi_vm_get_uuid(found), vmhi_vm_get_uuid(vm));
    ck_assert_str_eq(vmhi_vm_get_name(found), vmhi_vm_get_name(vm));
    vmhi_vm_free(found);
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    upper(uuid);
    conf_ok(vmhi_vm_lookup_by_uuid(&found, conn, uuid));
    ck_assert_str_eq(vmhi_vm_get_uuid(found), vmhi_vm_get_uuid(vm));
    ck_assert_str_eq(vmhi_vm_get_name(found), vmhi_vm_get_name(vm));
    vmhi_vm_free(found);

    conf_req("LIST-5");
    found = (vmhi_vm *)vm;
    conf_fail(vmhi_vm_lookup_by_name(&found, conn, "vmhi-conf-no-such-vm"), VMHI_E_NO_VM);
    ck_assert_ptr_null(found);
    found = (vmhi_vm *)vm;
    conf_fail(vmhi_vm_lookup_by_uuid(&found, conn, "00000000-0000-4000-8000-00000000c0f0"),
              VMHI_E_NO_VM);
    ck_assert_ptr_null(found);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(handles_cache_nothing, VMHI_PROFILE_CORE, "LIST-7")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *a = conf_define(conn);
    vmhi_vm *b = NULL;
    conf_ok(vmhi_vm_lookup_by_uuid(&b, conn, vmhi_vm_get_uuid(a)));
    conf_req("LIST-7");
    conf_ok(vmhi_vm_start(b, 0));
    conf_wait_state(b, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    ck_assert_int_eq(conf_state(a, NULL), VMHI_STATE_RUNNING);
    conf_ok(vmhi_vm_poweroff(a, 0));
    conf_wait_state(a, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    ck_assert_int_eq(conf_state(b, NULL), VMHI_STATE_SHUTOFF);
    conf_ok(vmhi_vm_undefine(b, 0));
    conf_fail(vmhi_vm_get_state(a, &(vmhi_vm_state){ 0 }, NULL), VMHI_E_NO_VM);
    vmhi_vm_free(a);
    vmhi_vm_free(b);
    vmhi_conn_close(conn);
}

/* ---------------------------------------------------------------- info */

static void check_info_bounds(vmhi_vm *vm, const vmhi_vm_info *info)
{
    ck_assert_msg(info->vcpus >= 1 && info->vcpus <= info->max_vcpus,
                  "%s: vcpus %u outside 1..max_vcpus %u", vmhi_vm_get_name(vm), info->vcpus,
                  info->max_vcpus);
    ck_assert_msg(info->memory_mib >= 1 && info->memory_mib <= info->max_memory_mib,
                  "%s: memory %llu MiB outside 1..max %llu", vmhi_vm_get_name(vm),
                  (unsigned long long)info->memory_mib,
                  (unsigned long long)info->max_memory_mib);
}

VMHI_CONF_TEST(info_reports_state_sizes_and_time, VMHI_PROFILE_CORE, "INFO-1", "INFO-2",
               "INFO-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    vmhi_state_reason why;
    conf_req("INFO-1");
    ck_assert_int_eq(info.state, conf_state(vm, &why));
    ck_assert_int_eq(info.reason, why);
    conf_req("INFO-2");
    check_info_bounds(vm, &info);
    ck_assert_msg(info.vcpus == 1 && info.max_vcpus == 2 && info.memory_mib == CONF_MIB(64) &&
                      info.max_memory_mib == CONF_MIB(128),
                  "a shut-off VM defined with 1/2 vCPUs and %llu/%llu MiB reports %u/%u and "
                  "%llu/%llu", (unsigned long long)CONF_MIB(64),
                  (unsigned long long)CONF_MIB(128), info.vcpus, info.max_vcpus, (unsigned long long)info.memory_mib,
                  (unsigned long long)info.max_memory_mib);
    conf_req("INFO-3");
    ck_assert_uint_eq(info.cpu_time_ns, 0);

    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    uint64_t last = 0;
    for (int i = 0; i < 5; i++) {
        conf_ok(vmhi_vm_get_info(vm, &info));
        conf_req("INFO-2");
        check_info_bounds(vm, &info);
        conf_req("INFO-3");
        ck_assert_msg(info.cpu_time_ns >= last, "cpu_time_ns went back from %llu to %llu",
                      (unsigned long long)last, (unsigned long long)info.cpu_time_ns);
        last = info.cpu_time_ns;
        conf_sleep_ms(2);
    }
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.cpu_time_ns, 0);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
