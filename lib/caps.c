/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Per-value capabilities: which disk buses, formats, NIC models, network
 * kinds, firmware, guest types, boot and shutdown methods a connection
 * accepts.  The core checks every config and device against them before a
 * backend sees it, so "never learn by failing" holds per value and no
 * backend has to refuse a valid value itself.
 */
#include <stdio.h>

#include "core.h"

/* Every value of @kind that VMHI 1.0 defines, as bits. */
static uint64_t values_1_0(vmhi_value_kind kind)
{
    switch (kind) {
    case VMHI_VALUE_DISK_BUS: return (UINT64_C(1) << VMHI_DISK_BUS_COUNT_1_0) - 1;
    case VMHI_VALUE_DISK_FORMAT: return (UINT64_C(1) << VMHI_DISK_FORMAT_COUNT_1_0) - 1;
    case VMHI_VALUE_DISK_ACCESS: return 0x3;
    case VMHI_VALUE_NIC_MODEL: return (UINT64_C(1) << VMHI_NIC_MODEL_COUNT_1_0) - 1;
    case VMHI_VALUE_NETWORK_KIND: return (UINT64_C(1) << VMHI_NETWORK_KIND_COUNT_1_0) - 1;
    case VMHI_VALUE_FIRMWARE: return (UINT64_C(1) << VMHI_FIRMWARE_COUNT_1_0) - 1;
    case VMHI_VALUE_GUEST_TYPE: return (UINT64_C(1) << VMHI_GUEST_TYPE_COUNT_1_0) - 1;
    case VMHI_VALUE_BOOT_METHOD: return (UINT64_C(1) << VMHI_BOOT_METHOD_COUNT_1_0) - 1;
    case VMHI_VALUE_SHUTDOWN_METHOD: return (UINT64_C(1) << VMHI_SHUTDOWN_METHOD_COUNT_1_0) - 1;
    }
    return 0;
}

/* The "let the hypervisor choose" values every backend must take. */
static uint64_t always_accepted(vmhi_value_kind kind)
{
    switch (kind) {
    case VMHI_VALUE_DISK_BUS:
    case VMHI_VALUE_NIC_MODEL:
    case VMHI_VALUE_GUEST_TYPE:
    case VMHI_VALUE_SHUTDOWN_METHOD:
        return 1; /* value 0: ..._DEFAULT */
    default:
        return 0;
    }
}

int vmhi__value_caps(vmhi_conn *conn, vmhi_value_kind kind, uint64_t *values)
{
    uint64_t all = values_1_0(kind);
    uint64_t accepted = all;
    if (conn->ops->get_value_caps) {
        vmhi__conn_lock(conn);
        int rc = conn->ops->get_value_caps(conn->priv, kind, &accepted);
        vmhi__conn_unlock(conn);
        if (rc < 0)
            return vmhi__backend_result(conn, rc, "get-value-caps");
    }
    *values = (accepted & all) | always_accepted(kind);
    return VMHI_OK;
}

int vmhi_conn_get_value_caps(vmhi_conn *conn, vmhi_value_kind kind, uint64_t *values)
{
    vmhi__error_reset();
    if (!conn || !values)
        return vmhi__error(VMHI_E_INVALID_ARG, "connection or values pointer is NULL");
    if (values_1_0(kind) == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "unknown value kind %d", (int)kind);
    return vmhi__value_caps(conn, kind, values);
}

/* ---- checks before dispatch ------------------------------------------ */

/* A small cache so one config costs one query per kind. */
typedef struct value_check {
    vmhi_conn *conn;
    uint64_t values[VMHI_VALUE_KIND_COUNT_1_0];
    bool known[VMHI_VALUE_KIND_COUNT_1_0];
} value_check;

static int require(value_check *vc, vmhi_value_kind kind, unsigned int value, const char *where)
{
    if (!vc->known[kind]) {
        int rc = vmhi__value_caps(vc->conn, kind, &vc->values[kind]);
        if (rc)
            return rc;
        vc->known[kind] = true;
    }
    if (value < 64 && (vc->values[kind] & (UINT64_C(1) << value)))
        return VMHI_OK;
    const char *name = vmhi_value_name(kind, value);
    return vmhi__error(VMHI_E_UNSUPPORTED,
                       "backend '%s' does not accept %s '%s'%s%s; vmhi_conn_get_value_caps() "
                       "lists the values it accepts",
                       vc->conn->ops->name, vmhi_value_kind_name(kind), name ? name : "?",
                       where ? " for " : "", where ? where : "");
}

static int require_disk(value_check *vc, const vmhi_disk *disk)
{
    const char *id = vmhi_disk_get_id(disk);
    char where[VMHI_DEVICE_ID_MAX + 16];
    snprintf(where, sizeof(where), "disk '%s'", id ? id : "(new)");
    int rc = require(vc, VMHI_VALUE_DISK_BUS, vmhi_disk_get_bus(disk), where);
    if (!rc)
        rc = require(vc, VMHI_VALUE_DISK_FORMAT, vmhi_disk_get_format(disk), where);
    if (!rc)
        rc = require(vc, VMHI_VALUE_DISK_ACCESS, vmhi_disk_get_readonly(disk) ? 1 : 0, where);
    return rc;
}

static int require_nic(value_check *vc, const vmhi_nic *nic)
{
    const char *id = vmhi_nic_get_id(nic);
    char where[VMHI_DEVICE_ID_MAX + 16];
    snprintf(where, sizeof(where), "NIC '%s'", id ? id : "(new)");
    int rc = require(vc, VMHI_VALUE_NIC_MODEL, vmhi_nic_get_model(nic), where);
    if (!rc)
        rc = require(vc, VMHI_VALUE_NETWORK_KIND,
                     vmhi_network_kind_of(vmhi_nic_get_network(nic)), where);
    return rc;
}

int vmhi__check_config_values(vmhi_conn *conn, const vmhi_vm_config *cfg)
{
    value_check vc = { .conn = conn };
    int rc = require(&vc, VMHI_VALUE_GUEST_TYPE, vmhi_vm_config_get_guest_type(cfg), NULL);
    if (!rc)
        rc = require(&vc, VMHI_VALUE_FIRMWARE, vmhi_vm_config_get_firmware(cfg), NULL);
    if (!rc)
        rc = require(&vc, VMHI_VALUE_BOOT_METHOD, vmhi_vm_config_get_boot_method(cfg), NULL);
    for (size_t i = 0; !rc && i < vmhi_vm_config_get_disk_count(cfg); i++)
        rc = require_disk(&vc, vmhi_vm_config_get_disk(cfg, i));
    for (size_t i = 0; !rc && i < vmhi_vm_config_get_nic_count(cfg); i++)
        rc = require_nic(&vc, vmhi_vm_config_get_nic(cfg, i));
    return rc;
}

int vmhi__check_disk_values(vmhi_conn *conn, const vmhi_disk *disk)
{
    value_check vc = { .conn = conn };
    return require_disk(&vc, disk);
}

int vmhi__check_nic_values(vmhi_conn *conn, const vmhi_nic *nic)
{
    value_check vc = { .conn = conn };
    return require_nic(&vc, nic);
}

int vmhi__check_shutdown_method(vmhi_conn *conn, unsigned int method)
{
    if (method >= VMHI_SHUTDOWN_METHOD_COUNT_1_0)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "shutdown flags %u: pass one vmhi_shutdown_method value", method);
    value_check vc = { .conn = conn };
    return require(&vc, VMHI_VALUE_SHUTDOWN_METHOD, method, NULL);
}
