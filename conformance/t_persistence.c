/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence (spec section 14): what is defined through one connection
 * is there for the next one to the same URI.  The spec applies this only
 * to URI forms the backend documents as persistent, so certify this
 * profile on such a URI (for the test backend, test:///<directory>).
 * VMs left on the host are removed by the suite's cleanup pass.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

static bool listed(vmhi_conn *conn, const char *uuid, const char *name)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    bool found = false;
    conf_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    for (size_t i = 0; i < n; i++)
        found |= strcmp(vmhi_vm_get_uuid(vms[i]), uuid) == 0 &&
                 strcmp(vmhi_vm_get_name(vms[i]), name) == 0;
    vmhi_vm_list_free(vms, n);
    return found;
}

/* The VM @uuid on a fresh connection (asserted to exist). */
static vmhi_vm *reopen(vmhi_conn **conn, const char *uuid)
{
    *conn = conf_open();
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_lookup_by_uuid(&vm, *conn, uuid);
    ck_assert_msg(rc == VMHI_OK, "VM %s is gone after reconnecting to %s (%d: %s); if this "
                  "URI form is not one the backend documents as persistent (spec section 14), "
                  "certify Persistence on one that is, or leave it out with --profile", uuid,
                  conf->uri, rc, vmhi_error_last_message());
    return vm;
}

VMHI_CONF_TEST(definition_survives_reconnect, VMHI_PROFILE_PERSISTENCE, "PERS-1", "PERS-2")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_with_devices();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    char uuid[VMHI_UUID_STRLEN + 1], name[VMHI_NAME_MAX + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    snprintf(name, sizeof(name), "%s", vmhi_vm_get_name(vm));
    char *before = conf_vm_xml(vm);
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conf_req("PERS-1");
    vm = reopen(&conn, uuid);
    conf_req("PERS-2");
    ck_assert_msg(listed(conn, uuid, name), "VM '%s' is not listed after reconnecting", name);
    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(before, after) == 0, "the description changed across the "
                  "reconnect:\n%s\nbecame\n%s", before, after);
    vmhi_free(before);
    vmhi_free(after);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(definition_changes_survive_reconnect, VMHI_PROFILE_PERSISTENCE, "PERS-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *kept = conf_define(conn), *gone = conf_define(conn);
    bool vcpus = conf_op_caps(conn, VMHI_OP_SET_VCPUS) & VMHI_CAP_CONFIG;
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(kept, &cfg, 0));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, CONF_MIB(96)));
    vmhi_vm *again = NULL;
    conf_ok(vmhi_vm_define(&again, conn, cfg, 0));
    vmhi_vm_free(again);
    vmhi_vm_config_free(cfg);
    if (vcpus)
        conf_ok(vmhi_vm_set_vcpus(kept, 2, VMHI_AFFECT_CONFIG));
    conf_ok(vmhi_vm_undefine(gone, 0));
    char kept_uuid[VMHI_UUID_STRLEN + 1], gone_uuid[VMHI_UUID_STRLEN + 1];
    snprintf(kept_uuid, sizeof(kept_uuid), "%s", vmhi_vm_get_uuid(kept));
    snprintf(gone_uuid, sizeof(gone_uuid), "%s", vmhi_vm_get_uuid(gone));
    vmhi_vm_free(kept);
    vmhi_vm_free(gone);
    vmhi_conn_close(conn);

    conf_req("PERS-3");
    kept = reopen(&conn, kept_uuid);
    conf_ok(vmhi_vm_get_config(kept, &cfg, 0));
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(cfg), CONF_MIB(96));
    if (vcpus)
        ck_assert_uint_eq(vmhi_vm_config_get_vcpus(cfg), 2);
    vmhi_vm_config_free(cfg);
    ck_assert_msg(!conf_vm_exists(conn, gone_uuid), "an undefined VM reappeared");
    conf_discard(kept);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(suspended_vm_survives_reconnect, VMHI_PROFILE_PERSISTENCE, "PERS-4")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!(conf_op_caps(conn, VMHI_OP_SUSPEND) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn), "suspend is not supported");
    char refused[512];
    CONF_SKIP_CLEAN_IF(conf_suspend_refused(refused, sizeof(refused)), vmhi_conn_close(conn), "%s",
                       refused);
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    conf_ok(vmhi_vm_suspend(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SUSPENDED));
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);

    conf_req("PERS-4");
    vm = reopen(&conn, uuid);
    ck_assert_int_eq(conf_state(vm, NULL), VMHI_STATE_SUSPENDED);
    conf_ok(vmhi_vm_start(vm, 0));
    vmhi_state_reason why;
    ck_assert_int_eq(conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING)),
                     VMHI_STATE_RUNNING);
    conf_state(vm, &why);
    ck_assert_msg(why == VMHI_REASON_RESTORED, "the VM started with reason %s, not restored",
                  vmhi_state_reason_name(why));
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(concurrent_connections_see_the_same_vms, VMHI_PROFILE_PERSISTENCE, "PERS-5")
{
    vmhi_conn *a = conf_open(), *b = conf_open();
    vmhi_vm *vm = conf_define(a);
    vmhi_vm *there = NULL;
    conf_req("PERS-5");
    conf_ok(vmhi_vm_lookup_by_name(&there, b, vmhi_vm_get_name(vm)));
    ck_assert_str_eq(vmhi_vm_get_uuid(there), vmhi_vm_get_uuid(vm));
    conf_ok(vmhi_vm_undefine(there, 0));
    ck_assert_msg(!conf_vm_exists(a, vmhi_vm_get_uuid(vm)),
                  "a VM undefined through one connection is still found through the other");
    vmhi_vm_free(there);
    vmhi_vm_free(vm);
    vmhi_conn_close(b);
    vmhi_conn_close(a);
}

VMHI_CONF_TEST(active_vm_survives_reconnect, VMHI_PROFILE_PERSISTENCE, "PERS-6")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vmhi_vm_get_uuid(vm));
    vmhi_vm_free(vm);
    vmhi_conn_close(conn);
    conf_req("PERS-6");
    vm = reopen(&conn, uuid);
    ck_assert_int_eq(conf_state(vm, NULL), VMHI_STATE_RUNNING);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
