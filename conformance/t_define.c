/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Definitions and transient VMs (spec sections 6.5 to 6.8): what define
 * creates, what it refuses, what create makes, and that a start from
 * shutoff runs the current definition.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

static bool is_lower_uuid(const char *uuid)
{
    if (!uuid || strlen(uuid) != VMHI_UUID_STRLEN)
        return false;
    for (const char *p = uuid; *p; p++)
        if (isupper((unsigned char)*p))
            return false;
    return true;
}

static size_t count_vms(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    conf_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    vmhi_vm_list_free(vms, n);
    return n;
}

VMHI_CONF_TEST(define_creates_shutoff_vm, VMHI_PROFILE_CORE, "LC-DEFINE-1", "LC-GEN-1",
               "INFO-4")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm_config *cfg = conf_config_new();
    vmhi_vm *vm = NULL;
    conf_req("LC-DEFINE-1");
    conf_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_assert_str_eq(vmhi_vm_get_name(vm), vmhi_vm_config_get_name(cfg));
    ck_assert_msg(is_lower_uuid(vmhi_vm_get_uuid(vm)), "the generated UUID '%s' is not in "
                  "lower-case canonical form", vmhi_vm_get_uuid(vm));
    vmhi_state_reason why;
    conf_req("LC-GEN-1");
    vmhi_vm_state st = conf_state(vm, &why);
    conf_req("LC-DEFINE-1");
    ck_assert_msg(st == VMHI_STATE_SHUTOFF && why == VMHI_REASON_DEFINED,
                  "a new definition is %s/%s, expected shutoff/defined",
                  vmhi_vm_state_name(st), vmhi_state_reason_name(why));
    conf_req("INFO-4");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.persistent, 1);
    vmhi_vm_free(vm);

    /* An upper-case UUID given comes back in lower case. */
    vmhi_vm_config *second = conf_config_new();
    conf_ok(vmhi_vm_config_set_uuid(second, "6F9619FF-8B86-D011-B42D-00C04FC964FF"));
    conf_req("LC-DEFINE-1");
    vm = NULL;
    int rc = vmhi_vm_define(&vm, conn, second, 0);
    if (rc == VMHI_E_EXISTS) {
        conf_note("the fixed UUID is taken on this host; its case was not checked");
    } else {
        conf_ok(rc);
        ck_assert_str_eq(vmhi_vm_get_uuid(vm), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
    }
    conf_discard(vm);
    vmhi_vm_config_free(second);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(define_refuses_taken_identity, VMHI_PROFILE_CORE, "LC-DEFINE-3")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    char *before = conf_vm_xml(vm);
    size_t count = count_vms(conn);
    conf_req("LC-DEFINE-3");

    vmhi_vm_config *same_name = conf_config_new();
    conf_ok(vmhi_vm_config_set_name(same_name, vmhi_vm_get_name(vm)));
    conf_ok(vmhi_vm_config_set_memory_mib(same_name, CONF_MIB(96)));
    vmhi_vm *out = NULL;
    conf_fail(vmhi_vm_define(&out, conn, same_name, 0), VMHI_E_EXISTS);

    vmhi_vm_config *same_uuid = conf_config_new(); /* a fresh name */
    conf_ok(vmhi_vm_config_set_uuid(same_uuid, vmhi_vm_get_uuid(vm)));
    conf_ok(vmhi_vm_config_set_memory_mib(same_uuid, CONF_MIB(96)));
    conf_fail(vmhi_vm_define(&out, conn, same_uuid, 0), VMHI_E_EXISTS);
    ck_assert_ptr_null(out);

    char *after = conf_vm_xml(vm);
    ck_assert_msg(strcmp(before, after) == 0, "a refused define changed the VM's description");
    ck_assert_uint_eq(count_vms(conn), count);
    vmhi_free(before);
    vmhi_free(after);
    vmhi_vm_config_free(same_name);
    vmhi_vm_config_free(same_uuid);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(create_refuses_taken_identity, VMHI_PROFILE_CORE, "LC-CREATE-2")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!(conf_op_caps(conn, VMHI_OP_CREATE) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn), "vmhi_vm_create() is not supported (optional)");
    vmhi_vm *vm = conf_define(conn);
    size_t count = count_vms(conn);
    conf_req("LC-CREATE-2");
    vmhi_vm_config *same_name = conf_config_new();
    conf_ok(vmhi_vm_config_set_name(same_name, vmhi_vm_get_name(vm)));
    vmhi_vm *out = NULL;
    conf_fail(vmhi_vm_create(&out, conn, same_name, 0), VMHI_E_EXISTS);
    vmhi_vm_config *same_uuid = conf_config_new();
    conf_ok(vmhi_vm_config_set_uuid(same_uuid, vmhi_vm_get_uuid(vm)));
    conf_fail(vmhi_vm_create(&out, conn, same_uuid, 0), VMHI_E_EXISTS);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(count_vms(conn), count);
    vmhi_state_reason why;
    ck_assert_int_eq(conf_state(vm, &why), VMHI_STATE_SHUTOFF);
    ck_assert_int_eq(why, VMHI_REASON_DEFINED);
    vmhi_vm_config_free(same_name);
    vmhi_vm_config_free(same_uuid);
    conf_discard(vm);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(create_runs_transient_vm, VMHI_PROFILE_CORE, "LC-CREATE-1", "INFO-4")
{
    vmhi_conn *conn = conf_open();
    CONF_SKIP_CLEAN_IF(!(conf_op_caps(conn, VMHI_OP_CREATE) & VMHI_CAP_SUPPORTED),
                       vmhi_conn_close(conn), "vmhi_vm_create() is not supported (optional)");
    vmhi_vm_config *cfg = conf_config_new();
    vmhi_vm *vm = NULL;
    conf_req("LC-CREATE-1");
    conf_ok(vmhi_vm_create(&vm, conn, cfg, 0));
    ck_assert_ptr_nonnull(vm);
    ck_assert_str_eq(vmhi_vm_get_name(vm), vmhi_vm_config_get_name(cfg));
    vmhi_state_reason why;
    ck_assert_int_eq(conf_state(vm, &why), VMHI_STATE_RUNNING);
    ck_assert_int_eq(why, VMHI_REASON_BOOTED);
    conf_req("INFO-4");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_int_eq(info.persistent, 0);
    conf_discard(vm);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(conn);
}

VMHI_CONF_TEST(start_runs_current_definition, VMHI_PROFILE_CORE, "LC-START-5", "LC-DEFINE-2")
{
    vmhi_conn *conn = conf_open();
    vmhi_vm *vm = conf_define(conn);
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));

    /* A new definition while running: the live configuration keeps the old. */
    vmhi_vm_config *cfg = NULL;
    conf_ok(vmhi_vm_get_config(vm, &cfg, 0));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, CONF_MIB(96)));
    conf_ok(vmhi_vm_config_set_vcpus(cfg, 2));
    vmhi_vm *again = NULL;
    conf_req("LC-DEFINE-2");
    conf_ok(vmhi_vm_define(&again, conn, cfg, 0));
    vmhi_vm_free(again);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    conf_ok(vmhi_vm_get_info(vm, &info));
    ck_assert_msg(info.memory_mib == CONF_MIB(64) && info.vcpus == 1, "a running VM took its "
                  "new definition at once: %llu MiB, %u vCPUs", (unsigned long long)info.memory_mib,
                  info.vcpus);

    conf_ok(vmhi_vm_poweroff(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_SHUTOFF));
    char *definition = conf_vm_xml(vm);
    conf_req("LC-START-5");
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    char *live = conf_vm_xml(vm);
    ck_assert_msg(strcmp(definition, live) == 0, "the live configuration after start:\n%s\n"
                  "differs from the definition:\n%s", live, definition);
    vmhi_free(definition);
    vmhi_free(live);
    vmhi_vm_config_free(cfg);
    conf_discard(vm);
    vmhi_conn_close(conn);
}
