/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Memory (spec section 10).  VMs start with 64 MiB of at most 128 (sizes
 * are written for those and scaled by --memory, CONF_MIB); the
 * live value is read with vmhi_vm_get_info(), the definition with
 * vmhi_vm_get_config() once the VM is shut off again.  When Events is
 * certified, live changes must emit MEMORY and definition changes DEFINED.
 */
#include <stdio.h>

#include "conf.h"
#include "conf_events.h"

static uint64_t granularity(vmhi_conn *conn)
{
    uint64_t g = 1;
    if (vmhi_conn_get_limit(conn, VMHI_LIMIT_MEMORY_GRANULARITY_MIB, &g) != VMHI_OK || g == 0)
        g = 1;
    return g;
}

static vmhi_vm *running(vmhi_conn *conn, bool transient)
{
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    if (transient)
        conf_ok(vmhi_vm_undefine(vm, 0));
    return vm;
}

/* How long a guest may take to balloon to its target. */
#define BALLOON_WAIT_MS 10000

static uint64_t live_memory(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    return info.memory_mib;
}

/* The definition's memory, read after powering the VM off. */
static uint64_t defined_memory_after_poweroff(vmhi_vm *vm, uint64_t *max)
{
    vmhi_vm_state st = conf_state(vm, NULL);
    if (st != VMHI_STATE_SHUTOFF) {
        conf_ok(vmhi_vm_poweroff(vm, 0));
        conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    }
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    uint64_t mib = vmhi_vm_config_get_memory_mib(cfg);
    if (max)
        *max = vmhi_vm_config_get_max_memory_mib(cfg);
    vmhi_vm_config_free(cfg);
    return mib;
}

static conf_recorder *recorder(vmhi_conn *conn, vmhi_vm *vm)
{
    if (!conf_events_checked())
        return NULL;
    return conf_recorder_new(conn, VMHI_EVENT_MEMORY | VMHI_EVENT_DEFINED,
                             vmhi_vm_get_uuid(vm), false);
}

/* Asserts that exactly one event of @type (value @value for MEMORY) came. */
static void expect_one(conf_recorder *rec, vmhi_event_type type, uint64_t value)
{
    if (!rec)
        return;
    conf_recorder_await(rec, 1);
    char seen[512];
    conf_recorder_describe(rec, seen, sizeof(seen));
    ck_assert_msg(conf_recorder_count(rec) == 1, "expected one %s event, got: %s",
                  vmhi_event_type_name(type), seen);
    conf_event e = conf_recorder_get(rec, 0);
    ck_assert_msg(e.type == type && (type != VMHI_EVENT_MEMORY || e.value == value),
                  "expected %s %llu, got: %s", vmhi_event_type_name(type),
                  (unsigned long long)value, seen);
    conf_recorder_clear(rec);
}

VMHI_CONF_TEST(live_memory_change, VMHI_PROFILE_MEMORY, "MEM-1", "EV-8")
{
    vmhi_conn *conn = conf_open();
    uint64_t g = granularity(conn);
    vmhi_vm *vm = running(conn, false);
    conf_recorder *rec = recorder(conn, vm);
    /* Ends away from the definition's memory. */
    const uint64_t sizes[] = { CONF_MIB(128), CONF_MIB(64), CONF_MIB(96) };
    for (size_t i = 0; i < 3; i++) {
        if (sizes[i] % g)
            continue;
        conf_req("MEM-1");
        conf_ok(vmhi_vm_set_memory(vm, sizes[i], VMHI_AFFECT_LIVE));
        ck_assert_uint_eq(live_memory(vm), sizes[i]);
        conf_req("EV-8");
        expect_one(rec, VMHI_EVENT_MEMORY, sizes[i]);
    }
    conf_req("MEM-1");
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(64));
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* While the VM runs, the definition has @defined MiB and the VM @live: as
 * vmhi_vm_get_config() shows them, where it has those forms. */
static void check_views(vmhi_conn *conn, vmhi_vm *vm, uint64_t defined, uint64_t live)
{
    vmhi_vm_config *cfg = conf_config_view(conn, vm, VMHI_AFFECT_CONFIG);
    if (cfg)
        ck_assert_msg(vmhi_vm_config_get_memory_mib(cfg) == defined, "the definition of the "
                      "running VM (VMHI_AFFECT_CONFIG) has %llu MiB, expected %llu",
                      (unsigned long long)vmhi_vm_config_get_memory_mib(cfg),
                      (unsigned long long)defined);
    else
        conf_note("vmhi_vm_get_config() has no config form: the definition was read after "
                  "power-off only");
    vmhi_vm_config_free(cfg);
    cfg = conf_config_view(conn, vm, VMHI_AFFECT_LIVE);
    if (cfg)
        ck_assert_msg(vmhi_vm_config_get_memory_mib(cfg) == live, "the running VM "
                      "(VMHI_AFFECT_LIVE) has %llu MiB, expected %llu",
                      (unsigned long long)vmhi_vm_config_get_memory_mib(cfg),
                      (unsigned long long)live);
    vmhi_vm_config_free(cfg);
}

VMHI_CONF_TEST(config_memory_change, VMHI_PROFILE_MEMORY, "MEM-2", "EV-5")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    conf_recorder *rec = recorder(conn, vm);
    conf_req("MEM-2");
    conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_CONFIG));
    ck_assert_uint_eq(live_memory(vm), CONF_MIB(64));
    check_views(conn, vm, CONF_MIB(96), CONF_MIB(64));
    conf_req("EV-5");
    expect_one(rec, VMHI_EVENT_DEFINED, 0);
    conf_req("MEM-2");
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(96));
    conf_ok(vmhi_vm_start(vm, 0));
    ck_assert_uint_eq(live_memory(vm), CONF_MIB(96));
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(current_means_live_or_config, VMHI_PROFILE_MEMORY, "MEM-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    conf_req("MEM-3");
    conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(live_memory(vm), CONF_MIB(96));
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(64));
    conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(80), VMHI_AFFECT_CURRENT));
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(80));
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* set_memory(@mib, @flags) must fail with @rc and leave 64 MiB live. */
static void refused(vmhi_vm *vm, uint64_t mib, unsigned int flags, int rc)
{
    int got = vmhi_vm_set_memory(vm, mib, flags);
    ck_assert_msg(got == rc, "set_memory(%llu, 0x%x) returned %d (%s), expected %d (%s): %s",
                  (unsigned long long)mib, flags, got, vmhi_strerror(got), rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    conf_check_last_error("vmhi_vm_set_memory", got);
    ck_assert_uint_eq(live_memory(vm), CONF_MIB(64));
}

VMHI_CONF_TEST(invalid_memory_sizes, VMHI_PROFILE_MEMORY, "MEM-4")
{
    vmhi_conn *conn = conf_open();
    uint64_t g = granularity(conn), min = 0, max = 0;
    bool have_min = vmhi_conn_get_limit(conn, VMHI_LIMIT_MIN_MEMORY_MIB, &min) == VMHI_OK;
    bool have_max = vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_MEMORY_MIB, &max) == VMHI_OK;
    vmhi_vm *vm = running(conn, false);
    const unsigned int forms[] = { VMHI_AFFECT_LIVE, VMHI_AFFECT_CONFIG };
    conf_req("MEM-4");
    for (size_t i = 0; i < 2; i++) {
        refused(vm, 0, forms[i], VMHI_E_INVALID_ARG);
        refused(vm, CONF_MIB(128) + g, forms[i], VMHI_E_INVALID_ARG);
        if (g > 1)
            refused(vm, CONF_MIB(64) + 1, forms[i], VMHI_E_INVALID_ARG);
        if (have_min && min > g)
            refused(vm, (min - 1) / g * g, forms[i], VMHI_E_LIMIT);
        if (have_max) /* beyond the VM's maximum too: the host limit decides */
            refused(vm, max + g, forms[i], VMHI_E_LIMIT);
    }
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(64));
    if (!have_min || min <= g)
        conf_note("no memory minimum above the granularity: the VMHI_E_LIMIT case was not "
                  "checked");
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(memory_change_needs_the_right_state, VMHI_PROFILE_MEMORY, "MEM-5")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *off = conf_define(conn);
    vmhi_vm *transient = running(conn, true);
    conf_req("MEM-5");
    conf_fail(vmhi_vm_set_memory(off, CONF_MIB(96), VMHI_AFFECT_LIVE), VMHI_E_INVALID_STATE);
    conf_fail(vmhi_vm_set_memory(transient, CONF_MIB(96), VMHI_AFFECT_CONFIG), VMHI_E_INVALID_STATE);
    ck_assert_uint_eq(live_memory(transient), CONF_MIB(64));
    ck_assert_uint_eq(defined_memory_after_poweroff(off, NULL), CONF_MIB(64));
    conf_discard(off);
    conf_discard(transient);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(live_and_config_together, VMHI_PROFILE_MEMORY, "MEM-6")
{
    vmhi_conn *conn = conf_open();
    const unsigned int both = VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG;
    vmhi_vm *vm = running(conn, false);
    conf_req("MEM-6");
    conf_ok(vmhi_vm_set_memory(vm, CONF_MIB(96), both));
    ck_assert_uint_eq(live_memory(vm), CONF_MIB(96));
    ck_assert_uint_eq(defined_memory_after_poweroff(vm, NULL), CONF_MIB(96));
    /* Neither changes when one part cannot: a transient VM has no definition. */
    vmhi_vm *transient = running(conn, true);
    conf_fail(vmhi_vm_set_memory(transient, CONF_MIB(96), both), VMHI_E_INVALID_STATE);
    ck_assert_uint_eq(live_memory(transient), CONF_MIB(64));
    conf_discard(transient);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

/* A maximum above the test VMs' CONF_MIB(128), within the host's limit.
 * (Scaled like every size: a fixed 256 equalled the maximum of a run with
 * --memory 128, and MEM-7 and MEM-12 went untested on Xen.) */
static uint64_t bigger_max(vmhi_conn *conn)
{
    uint64_t g = granularity(conn), lim = 0;
    uint64_t want = CONF_MIB(256);
    if (vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_MEMORY_MIB, &lim) == VMHI_OK && lim < want)
        want = lim;
    return want / g * g;
}

VMHI_CONF_TEST(max_memory_applies_at_next_start, VMHI_PROFILE_MEMORY, "MEM-7", "EV-5")
{
    vmhi_conn *conn = conf_open();
    uint64_t max = bigger_max(conn), got_max = 0;
    CONF_SKIP_CLEAN_IF(max <= CONF_MIB(128), vmhi_conn_close(conn),
                       "the host allows no maximum above %llu MiB",
                       (unsigned long long)CONF_MIB(128));
    vmhi_vm *vm = running(conn, false);
    conf_recorder *rec = recorder(conn, vm);
    conf_req("MEM-7");
    conf_ok(vmhi_vm_set_max_memory(vm, max, VMHI_AFFECT_CURRENT));
    conf_req("EV-5");
    expect_one(rec, VMHI_EVENT_DEFINED, 0);
    conf_req("MEM-7");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.max_memory_mib, CONF_MIB(128));
    conf_fail(vmhi_vm_set_memory(vm, max, VMHI_AFFECT_LIVE), VMHI_E_INVALID_ARG);
    defined_memory_after_poweroff(vm, &got_max);
    ck_assert_uint_eq(got_max, max);
    conf_ok(vmhi_vm_set_max_memory(vm, CONF_MIB(128), VMHI_AFFECT_CONFIG));
    defined_memory_after_poweroff(vm, &got_max);
    ck_assert_uint_eq(got_max, CONF_MIB(128));
    conf_ok(vmhi_vm_set_max_memory(vm, max, VMHI_AFFECT_CONFIG));
    conf_ok(vmhi_vm_start(vm, 0));
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_uint_eq(info.max_memory_mib, max);
    conf_ok(vmhi_vm_set_memory(vm, max, VMHI_AFFECT_LIVE));
    conf_recorder_free(rec);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(max_memory_refusals, VMHI_PROFILE_MEMORY, "MEM-8")
{
    vmhi_conn *conn = conf_open();
    uint64_t g = granularity(conn), lim = 0, got_max = 0;
    vmhi_vm *vm = running(conn, false);
    vmhi_vm *transient = running(conn, true);
    conf_req("MEM-8");
    if (!(conf_op_caps(conn, VMHI_OP_SET_MAX_MEMORY) & VMHI_CAP_LIVE))
        conf_fail(vmhi_vm_set_max_memory(vm, CONF_MIB(128), VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
    else /* live changes are MEM-12's */
        conf_fail(vmhi_vm_set_max_memory(transient, CONF_MIB(64) - g, VMHI_AFFECT_LIVE),
                  VMHI_E_INVALID_ARG);
    conf_fail(vmhi_vm_set_max_memory(transient, CONF_MIB(128), VMHI_AFFECT_CONFIG),
              VMHI_E_INVALID_STATE);
    conf_fail(vmhi_vm_set_max_memory(vm, CONF_MIB(64) - g, VMHI_AFFECT_CONFIG), VMHI_E_INVALID_ARG);
    if (vmhi_conn_get_limit(conn, VMHI_LIMIT_MAX_MEMORY_MIB, &lim) == VMHI_OK)
        conf_fail(vmhi_vm_set_max_memory(vm, lim + g, VMHI_AFFECT_CONFIG), VMHI_E_LIMIT);
    else
        conf_note("no maximum memory limit: the VMHI_E_LIMIT case was not checked");
    defined_memory_after_poweroff(vm, &got_max);
    ck_assert_uint_eq(got_max, CONF_MIB(128));
    conf_discard(transient);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(memory_statistics, VMHI_PROFILE_MEMORY, "MEM-9", "MEM-10", "MEM-11")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = running(conn, false);
    vmhi_memory_stats stats = VMHI_MEMORY_STATS_INIT;
    conf_req("MEM-9");
    conf_ok(vmhi_vm_get_memory_stats(vm, &stats));
    ck_assert_msg(stats.actual_kib == UINT64_MAX || stats.actual_kib <= CONF_MIB(128) * 1024u,
                  "actual_kib %llu exceeds the VM's maximum memory",
                  (unsigned long long)stats.actual_kib);
    ck_assert_msg(stats.available_kib == UINT64_MAX || stats.available_kib <= CONF_MIB(128) * 1024u,
                  "available_kib %llu exceeds the VM's maximum memory",
                  (unsigned long long)stats.available_kib);
    conf_req("MEM-10");
    /* A guest's balloon reaches its target some time after it boots (a
     * Xen PV guest is built with its maximum and then balloons down). */
    for (uint64_t until = conf_now_ms() + conf_ms(BALLOON_WAIT_MS);
         stats.actual_kib != UINT64_MAX && stats.actual_kib != live_memory(vm) * 1024 &&
         conf_now_ms() < until;) {
        conf_sleep_ms(100);
        conf_ok(vmhi_vm_get_memory_stats(vm, &stats));
    }
    ck_assert_msg(stats.actual_kib == UINT64_MAX || stats.actual_kib == live_memory(vm) * 1024,
                  "actual_kib %llu is not 1024 x %llu MiB", (unsigned long long)stats.actual_kib,
                  (unsigned long long)live_memory(vm));
    conf_req("MEM-11");
    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    vmhi_memory_stats none = VMHI_MEMORY_STATS_INIT;
    conf_fail(vmhi_vm_get_memory_stats(vm, &none), VMHI_E_INVALID_STATE);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(live_max_memory_change, VMHI_PROFILE_MEMORY, "MEM-12", "MEM-8")
{
    vmhi_conn *conn = conf_open();
    uint64_t max = bigger_max(conn), got_max = 0;
    bool live = conf_op_caps(conn, VMHI_OP_SET_MAX_MEMORY) & VMHI_CAP_LIVE;
    vmhi_vm *vm = running(conn, false);
    if (!live) {
        /* MEM-8: no live form, so the live call is refused and changes nothing. */
        conf_req("MEM-8");
        conf_fail(vmhi_vm_set_max_memory(vm, CONF_MIB(128), VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        conf_ok(vmhi_vm_get_info(vm, &info));
        ck_assert_uint_eq(info.max_memory_mib, CONF_MIB(128));
        conf_req_not_applicable("MEM-12", "VMHI_OP_SET_MAX_MEMORY has no live form "
                                "(no VMHI_CAP_LIVE)");
        conf_discard(vm);
        vmhi_conn_close(conn);
        return;
    }
    CONF_SKIP_CLEAN_IF(max <= CONF_MIB(128), (conf_discard(vm), vmhi_conn_close(conn)),
                       "the host allows no maximum above %llu MiB",
                       (unsigned long long)CONF_MIB(128));
    /* MEM-8: the live form too stays at or above the live memory. */
    conf_req("MEM-8");
    conf_fail(vmhi_vm_set_max_memory(vm, CONF_MIB(64) - granularity(conn), VMHI_AFFECT_LIVE),
              VMHI_E_INVALID_ARG);
    conf_req("MEM-12");
    conf_ok(vmhi_vm_set_max_memory(vm, max, VMHI_AFFECT_LIVE));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_msg(info.max_memory_mib == max, "after a live maximum of %llu MiB the VM reports "
                  "%llu", (unsigned long long)max, (unsigned long long)info.max_memory_mib);
    conf_ok(vmhi_vm_set_memory(vm, max, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(live_memory(vm), max);
    defined_memory_after_poweroff(vm, &got_max);
    ck_assert_msg(got_max == CONF_MIB(128), "a live maximum change reached the definition (%llu MiB)",
                  (unsigned long long)got_max);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
