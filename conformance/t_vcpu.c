/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vCPUs (spec section 11).  VMs start with 1 vCPU of at most 2.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_events.h"

static vmhi_vm *running(vmhi_conn *conn, bool transient)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    if (transient)
        conf_ok(vmhi_vm_undefine(vm, 0));
    return vm;
}

static unsigned int live_vcpus(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    return info.vcpus;
}

static unsigned int defined_vcpus_after_poweroff(vmhi_vm *vm)
{
    if (conf_state(vm, NULL) != VMHI_STATE_SHUTOFF) {
        conf_ok(vmhi_vm_poweroff(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    }
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    unsigned int n = vmhi_vm_config_get_vcpus(cfg);
    vmhi_vm_config_free(cfg);
    return n;
}

VMHI_CONF_TEST(live_vcpu_change, VMHI_PROFILE_VCPU, "VCPU-1", "EV-8")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    uint64_t started = conf_now_ms();
    conf_recorder *rec = NULL;
    if (conf_events_checked())
        rec = conf_recorder_new(conn, VMHI_EVENT_VCPU, vmhi_vm_get_uuid(vm), false);
    const unsigned int counts[] = { 2, 1, 2 };
    for (size_t i = 0; i < 3; i++) {
        if (i > 0 && counts[i] < counts[i - 1])
            conf_wait_guest_ready(started); /* an unplug needs a booted guest */
        conf_req("VCPU-1");
        conf_ok(vmhi_vm_set_vcpus(vm, counts[i], VMHI_AFFECT_LIVE));
        ck_assert_uint_eq(live_vcpus(vm), counts[i]);
        if (rec) {
            conf_req("EV-8");
            conf_recorder_await(rec, i + 1);
            ck_assert_uint_eq(conf_recorder_count(rec), i + 1);
            conf_event e = conf_recorder_get(rec, i);
            ck_assert_msg(e.value == counts[i], "the VCPU event says %llu, expected %u",
                          (unsigned long long)e.value, counts[i]);
        }
    }
    conf_req("VCPU-1");
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 1);
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(config_vcpu_change, VMHI_PROFILE_VCPU, "VCPU-2")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    conf_req("VCPU-2");
    conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(live_vcpus(vm), 1);
    /* The definition as it is while the VM runs, where get_config can show it. */
    vmhi_vm_config *defined = conf_config_view(conn, vm, VMHI_AFFECT_CONFIG);
    vmhi_vm_config *live = conf_config_view(conn, vm, VMHI_AFFECT_LIVE);
    if (defined)
        ck_assert_msg(vmhi_vm_config_get_vcpus(defined) == 2, "the running VM's definition "
                      "(VMHI_AFFECT_CONFIG) has %u vCPUs, expected 2",
                      vmhi_vm_config_get_vcpus(defined));
    else
        conf_note("vmhi_vm_get_config() has no config form: the definition was read after "
                  "power-off only");
    if (live)
        ck_assert_msg(vmhi_vm_config_get_vcpus(live) == 1, "the running VM "
                      "(VMHI_AFFECT_LIVE) has %u vCPUs, expected 1",
                      vmhi_vm_config_get_vcpus(live));
    vmhi_vm_config_free(defined);
    vmhi_vm_config_free(live);
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 2);
    conf_ok(vmhi_vm_start(vm, 0));
    ck_assert_uint_eq(live_vcpus(vm), 2);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(invalid_vcpu_counts, VMHI_PROFILE_VCPU, "VCPU-3")
{
    vmhi_conn *conn = conf_open();
    uint64_t lim = 0;
    bool have_lim = vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_VCPUS, &lim) == VMHI_OK &&
                    lim < UINT32_MAX;
    vmhi_vm *vm = running(conn, false);
    const unsigned int forms[] = { VMHI_AFFECT_LIVE, VMHI_AFFECT_CONFIG };
    conf_req("VCPU-3");
    for (size_t i = 0; i < 2; i++) {
        conf_fail(vmhi_vm_set_vcpus(vm, 0, forms[i]), VMHI_E_INVALID_ARG);
        /* Beyond the VM's maximum of 2; on a host of 2 vCPUs at most,
         * beyond the host limit too, which decides. */
        conf_fail(vmhi_vm_set_vcpus(vm, 3, forms[i]),
                  have_lim && lim < 3 ? VMHI_E_LIMIT : VMHI_E_INVALID_ARG);
        if (have_lim) /* beyond the VM's maximum too: the host limit decides */
            conf_fail(vmhi_vm_set_vcpus(vm, (unsigned int)lim + 1, forms[i]), VMHI_E_LIMIT);
        ck_assert_uint_eq(live_vcpus(vm), 1);
    }
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 1);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(vcpu_change_needs_the_right_state, VMHI_PROFILE_VCPU, "VCPU-4")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *off = conf_define(conn);
    vmhi_vm *transient = running(conn, true);
    conf_req("VCPU-4");
    conf_fail(vmhi_vm_set_vcpus(off, 2, VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    conf_fail(vmhi_vm_set_vcpus(transient, 2, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_assert_uint_eq(live_vcpus(transient), 1);
    ck_assert_uint_eq(defined_vcpus_after_poweroff(off), 1);
    conf_discard(off);
    conf_discard(transient);
    vmhi_conn_close(conn);
}

/* VCPU-5 on the running VM: entries, distinct ids, online count. */
static void check_vcpu_list(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    vmhi_vcpu_list *list = NULL;
    conf_ok(vmhi_vm_get_vcpus(vm, &list));
    size_t n = vmhi_vcpu_list_count(list);
    ck_assert_msg(n <= info.max_vcpus, "%zu entries for a VM of at most %u vCPUs", n,
                  info.max_vcpus);
    unsigned int online = 0;
    bool seen[64] = { false };
    for (size_t i = 0; i < n; i++) {
        vmhi_vcpu_info v = VMHI_VCPU_INFO_INIT;
        conf_ok(vmhi_vcpu_list_get(list, i, &v));
        ck_assert_msg(v.id < info.max_vcpus, "vCPU id %u is not below max_vcpus %u", v.id,
                      info.max_vcpus);
        ck_assert_msg(v.id >= 64 || !seen[v.id], "vCPU id %u is listed twice", v.id);
        if (v.id < 64)
            seen[v.id] = true;
        online += v.online != 0;
    }
    ck_assert_msg(online == info.vcpus, "%u vCPUs online, vmhi_vm_get_info says %u", online,
                  info.vcpus);
    vmhi_vcpu_list_free(list);
}

VMHI_CONF_TEST(vcpu_list_of_active_vm, VMHI_PROFILE_VCPU, "VCPU-5", "VCPU-6")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    conf_req("VCPU-5");
    check_vcpu_list(vm);
    conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_LIVE));
    check_vcpu_list(vm);
    conf_req("VCPU-6");
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    vmhi_vcpu_list *list = NULL;
    conf_fail(vmhi_vm_get_vcpus(vm, &list), VMHI_E_INVALID_STATE);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(vcpu_current_means_live_or_config, VMHI_PROFILE_VCPU, "VCPU-8")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    conf_req("VCPU-8");
    conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(live_vcpus(vm), 2);
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 1);
    conf_ok(vmhi_vm_set_vcpus(vm, 2, VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 2);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(vcpu_live_and_config_together, VMHI_PROFILE_VCPU, "VCPU-9")
{
    vmhi_conn *conn = conf_open();
    const unsigned int both = VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG;
    vmhi_vm *vm = running(conn, false);
    conf_req("VCPU-9");
    conf_ok(vmhi_vm_set_vcpus(vm, 2, both));
    ck_assert_uint_eq(live_vcpus(vm), 2);
    ck_assert_uint_eq(defined_vcpus_after_poweroff(vm), 2);
    /* Neither changes when one part cannot: a transient VM has no definition. */
    vmhi_vm *transient = running(conn, true);
    conf_fail(vmhi_vm_set_vcpus(transient, 2, both), VMHI_E_INVALID_STATE);
    ck_assert_uint_eq(live_vcpus(transient), 1);
    conf_discard(transient);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
