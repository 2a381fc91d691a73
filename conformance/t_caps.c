/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Capabilities, limits and profiles (spec section 5, CAP-*; the profile
 * table of section 18).  A backend must not claim a profile it cannot
 * serve: every operation a claimed profile needs must be supported, and
 * an operation it reports must behave as reported.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf_profiles.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const vmhi_op core_ops[] = { VMHI_OP_LIST, VMHI_OP_DEFINE, VMHI_OP_UNDEFINE,
                                    VMHI_OP_START, VMHI_OP_POWEROFF, VMHI_OP_GET_INFO,
                                    VMHI_OP_GET_CONFIG };
static const vmhi_op lifecycle_ops[] = { VMHI_OP_SHUTDOWN, VMHI_OP_REBOOT, VMHI_OP_RESET,
                                         VMHI_OP_PAUSE, VMHI_OP_RESUME, VMHI_OP_SUSPEND };
static const vmhi_op memory_ops[] = { VMHI_OP_SET_MEMORY, VMHI_OP_SET_MAX_MEMORY,
                                      VMHI_OP_MEMORY_STATS };
static const vmhi_op vcpu_ops[] = { VMHI_OP_SET_VCPUS, VMHI_OP_VCPU_INFO };
static const vmhi_op device_ops[] = { VMHI_OP_ATTACH_DISK, VMHI_OP_DETACH_DISK,
                                      VMHI_OP_ATTACH_NIC, VMHI_OP_DETACH_NIC,
                                      VMHI_OP_LIST_DEVICES };
static const vmhi_op event_ops[] = { VMHI_OP_EVENTS };

/* Section 18: the operations each profile requires (CAP-8). */
static const conf_profile_ops profile_needs[] = {
    { VMHI_PROFILE_CORE, core_ops, COUNT(core_ops) },
    { VMHI_PROFILE_LIFECYCLE_FULL, lifecycle_ops, COUNT(lifecycle_ops) },
    { VMHI_PROFILE_MEMORY, memory_ops, COUNT(memory_ops) },
    { VMHI_PROFILE_VCPU, vcpu_ops, COUNT(vcpu_ops) },
    { VMHI_PROFILE_DEVICES, device_ops, COUNT(device_ops) },
    { VMHI_PROFILE_EVENTS, event_ops, COUNT(event_ops) },
    { VMHI_PROFILE_PERSISTENCE, NULL, 0 },
};

const conf_profile_ops *conf_profile_needs(unsigned int profile)
{
    for (size_t i = 0; i < COUNT(profile_needs); i++)
        if (profile_needs[i].profile == profile)
            return profile_needs[i].count ? &profile_needs[i] : NULL;
    return NULL;
}

/* ------------------------------------------------------------------ CAP-1 */

VMHI_CONF_TEST(every_op_reports_caps, VMHI_PROFILE_CORE, "CAP-1")
{
    vmhi_conn *conn = conf_open();
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned int caps = 0xdeadu;
        int rc = vmhi_conn_get_op_caps(conn, (vmhi_op)op, &caps);
        ck_assert_msg(rc == VMHI_OK, "vmhi_conn_get_op_caps(%s) returned %d: %s",
                      vmhi_op_name((vmhi_op)op), rc, vmhi_error_last_message());
        ck_assert_msg(caps == 0 || (caps & VMHI_CAP_SUPPORTED),
                      "caps of %s are 0x%x: neither 0 nor with VMHI_CAP_SUPPORTED",
                      vmhi_op_name((vmhi_op)op), caps);
    }
    vmhi_conn_close(conn);
}

/* ---------------------------------------------------------- CAP-8, CAP-9 */

static void describe_profile(size_t row, conf_row *out)
{
    unsigned int bit = profile_needs[row].profile;
    snprintf(out->name, sizeof(out->name), "%s", vmhi_profile_name(bit));
    out->profile = bit;
}

/* One row per profile, run only when the backend claims it: a missing
 * operation fails CAP-8 (Core) and this row's own profile. */
VMHI_CONF_TABLE(profile_has_its_operations, VMHI_PROFILE_CORE, COUNT(profile_needs),
                describe_profile, "CAP-8", "CAP-9")
{
    const conf_profile_ops *need = &profile_needs[conf_row_index];
    vmhi_conn *conn = conf_open();
    unsigned int profiles = 0;
    conf_req("CAP-8");
    conf_ok(vmhi_conn_get_profiles(conn, &profiles));
    ck_assert_msg(profiles & VMHI_PROFILE_CORE, "the backend does not claim Core (0x%x)",
                  profiles);
    for (size_t i = 0; i < need->count; i++) {
        unsigned int caps = conf_op_caps(conn, need->ops[i]);
        ck_assert_msg(caps & VMHI_CAP_SUPPORTED, "the backend claims %s, which requires "
                      "%s, but vmhi_conn_get_op_caps() reports it unsupported (0x%x)",
                      vmhi_profile_name(need->profile), vmhi_op_name(need->ops[i]), caps);
    }
    if (need->profile == VMHI_PROFILE_CORE) {
        conf_req("CAP-9");
        bool events = (conf_op_caps(conn, VMHI_OP_EVENTS) & VMHI_CAP_SUPPORTED) != 0;
        ck_assert_msg(events == ((profiles & VMHI_PROFILE_EVENTS) != 0),
                      "VMHI_OP_EVENTS is %ssupported but the Events profile is %sclaimed",
                      events ? "" : "not ", profiles & VMHI_PROFILE_EVENTS ? "" : "not ");
    }
    vmhi_conn_close(conn);
}

/* ------------------------------------------------------------------ CAP-6 */

VMHI_CONF_TEST(limits_are_consistent, VMHI_PROFILE_CORE, "CAP-6")
{
    vmhi_conn *conn = conf_open();
    uint64_t value[VMHI_LIMIT_MAX_VMS + 1] = { 0 };
    bool known[VMHI_LIMIT_MAX_VMS + 1] = { false };
    for (int l = VMHI_LIMIT_MAX_VCPUS; l <= VMHI_LIMIT_MAX_VMS; l++) {
        int rc = vmhi_conn_get_limit(conn, (vmhi_limit)l, &value[l]);
        ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_UNSUPPORTED,
                      "vmhi_conn_get_limit(%d) returned %d (%s): %s", l, rc, vmhi_strerror(rc),
                      vmhi_error_last_message());
        known[l] = rc == VMHI_OK;
    }
    if (known[VMHI_LIMIT_MAX_VCPUS])
        ck_assert_uint_ge(value[VMHI_LIMIT_MAX_VCPUS], 1);
    if (known[VMHI_LIMIT_MEMORY_GRANULARITY_MIB])
        ck_assert_uint_ge(value[VMHI_LIMIT_MEMORY_GRANULARITY_MIB], 1);
    if (known[VMHI_LIMIT_MIN_MEMORY_MIB] && known[VMHI_LIMIT_MAX_MEMORY_MIB])
        ck_assert_uint_le(value[VMHI_LIMIT_MIN_MEMORY_MIB], value[VMHI_LIMIT_MAX_MEMORY_MIB]);
    vmhi_conn_close(conn);
}

/* ------------------------------------------------------------------ CAP-7 */

enum { BEYOND_VCPUS, BEYOND_MEMORY, BEYOND_MIN_MEMORY, BEYOND_MAX_MEMORY, BEYOND_DISKS,
       BEYOND_NICS, BEYOND_COUNT };
static const char *const beyond_names[BEYOND_COUNT] = {
    "max-vcpus", "memory", "memory-below-minimum", "max-memory", "disks", "nics",
};
static const vmhi_limit beyond_limit[BEYOND_COUNT] = {
    VMHI_LIMIT_MAX_VCPUS, VMHI_LIMIT_MAX_MEMORY_MIB, VMHI_LIMIT_MIN_MEMORY_MIB,
    VMHI_LIMIT_MAX_MEMORY_MIB, VMHI_LIMIT_MAX_DISKS, VMHI_LIMIT_MAX_NICS,
};

static void describe_beyond(size_t row, conf_row *out)
{
    snprintf(out->name, sizeof(out->name), "%s/%s", row % 2 ? "create" : "define",
             beyond_names[row / 2]);
}

static uint64_t limit_or_zero(vmhi_conn *conn, vmhi_limit limit)
{
    uint64_t v = 0;
    return vmhi_conn_get_limit(conn, limit, &v) == VMHI_OK ? v : 0;
}

/* Makes @cfg exceed limit @what (= @lim); false when the description model
 * itself cannot hold such a description (then nothing reaches the backend). */
static bool exceed(vmhi_conn *conn, vmhi_vm_config *cfg, int what, uint64_t lim)
{
    uint64_t gran = limit_or_zero(conn, VMHI_LIMIT_MEMORY_GRANULARITY_MIB);
    uint64_t above = lim + (gran ? gran : 1);
    switch (what) {
    case BEYOND_VCPUS:
        return lim < UINT32_MAX && vmhi_vm_config_set_max_vcpus(cfg, (unsigned)lim + 1) == 0;
    case BEYOND_MEMORY:
        return vmhi_vm_config_set_max_memory_mib(cfg, above) == 0 &&
               vmhi_vm_config_set_memory_mib(cfg, above) == 0;
    case BEYOND_MIN_MEMORY:
        return lim > 1 && vmhi_vm_config_set_memory_mib(cfg, lim - 1) == 0;
    case BEYOND_MAX_MEMORY:
        return vmhi_vm_config_set_max_memory_mib(cfg, above) == 0;
    default:
        break;
    }
    for (uint64_t i = vmhi_vm_config_get_disk_count(cfg); what == BEYOND_DISKS && i <= lim; i++) {
        vmhi_disk *disk = NULL;
        char path[512];
        snprintf(path, sizeof(path), "%s/limit-%llu.img", conf->disk_dir,
                 (unsigned long long)i);
        bool ok = vmhi_disk_new(&disk) == 0 && vmhi_disk_set_path(disk, path) == 0 &&
                  vmhi_vm_config_add_disk(cfg, disk) == 0;
        vmhi_disk_free(disk);
        if (!ok)
            return false;
    }
    for (uint64_t i = vmhi_vm_config_get_nic_count(cfg); what == BEYOND_NICS && i <= lim; i++) {
        vmhi_nic *nic = NULL;
        bool ok = vmhi_nic_new(&nic) == 0 && vmhi_vm_config_add_nic(cfg, nic) == 0;
        vmhi_nic_free(nic);
        if (!ok)
            return false;
    }
    return true;
}

VMHI_CONF_TABLE(define_beyond_limits, VMHI_PROFILE_CORE, BEYOND_COUNT * 2, describe_beyond,
                "CAP-7")
{
    int what = (int)(conf_row_index / 2);
    bool create = conf_row_index % 2;
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(create && !(conf_op_caps(conn, VMHI_OP_CREATE) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn), "vmhi_vm_create() is not supported (optional)");
    uint64_t lim = 0;
    int rc = vmhi_conn_get_limit(conn, beyond_limit[what], &lim);
    CONF_SKIP_CLEAN_IF(rc != VMHI_OK, vmhi_conn_close(conn), "the backend reports no %s limit",
                       beyond_names[what]);
    vmhi_vm_config *cfg = conf_config_new();
    CONF_SKIP_CLEAN_IF(!exceed(conn, cfg, what, lim),
                       (vmhi_vm_config_free(cfg), vmhi_conn_close(conn)),
                       "a description beyond the %s limit (%llu) cannot be built: the "
                       "description model refuses it already", beyond_names[what],
                       (unsigned long long)lim);
    vmhi_vm *vm = NULL;
    conf_req("CAP-7");
    if (create)
        conf_fail(vmhi_vm_create(&vm, conn, cfg, 0), VMHI_E_LIMIT);
    else
        conf_fail(vmhi_vm_define(&vm, conn, cfg, 0), VMHI_E_LIMIT);
    ck_assert_ptr_null(vm);
    vmhi_vm *found = NULL;
    conf_fail(vmhi_vm_lookup_by_name(&found, conn, vmhi_vm_config_get_name(cfg)), VMHI_E_NO_VM);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}
