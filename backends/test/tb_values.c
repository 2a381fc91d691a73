/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Per-value capabilities of the test backend.  As the reference backend
 * it accepts every 1.0 value; two URI parameters make a connection accept
 * fewer, so that the core's refusal and the conformance suite's checks
 * can be tested against a backend whose code is known:
 *
 *   refuse=<kind>:<value>[,<kind>:<value>...]
 *       get_value_caps() does not declare those values, so the core
 *       refuses a config or device using one with VMHI_E_UNSUPPORTED before
 *       any slot is called (the honest way to lack a value).
 *   lie=<kind>:<value>[,<kind>:<value>...]
 *       the values stay declared, yet define, create, attach and shutdown
 *       refuse them with VMHI_E_UNSUPPORTED: a backend breaking the
 *       per-value contract on purpose, which a conformance run must fail.
 *
 * Kinds and values are spelled as vmhi_value_kind_name() and
 * vmhi_value_name() spell them ("disk-bus:ide", "guest-type:pv",
 * "disk-access:read-only", "shutdown-method:acpi").  The default value of
 * a kind (disk-bus:default...) cannot be refused: the core accepts it
 * whatever a backend declares.
 */
#include <stdio.h>
#include <string.h>

#include "tb.h"

#define ITEM_MAX 64

/* The value of @kind named @name, or -1. */
static int value_named(vmhi_value_kind kind, const char *name)
{
    for (unsigned int v = 0; v < 64; v++) {
        const char *n = vmhi_value_name(kind, v);
        if (n && strcmp(n, name) == 0)
            return (int)v;
    }
    return -1;
}

/* Kinds whose value 0 means "the backend chooses": always accepted. */
static bool has_default(vmhi_value_kind kind)
{
    return kind == VMHI_VALUE_DISK_BUS || kind == VMHI_VALUE_NIC_MODEL ||
           kind == VMHI_VALUE_GUEST_TYPE || kind == VMHI_VALUE_SHUTDOWN_METHOD;
}

static int bad_item(const char *param, const char *item, const char *why)
{
    return tb_error(VMHI_E_INVALID_ARG, "test backend: %s=: '%s' %s; write "
                    "<kind>:<value>[,<kind>:<value>...] with the names of "
                    "vmhi_value_kind_name() and vmhi_value_name(), e.g. "
                    "%s=disk-bus:ide,guest-type:pv", param, item, why, param);
}

/* Parses one "<kind>:<value>" (modified in place) into @bits. */
static int parse_item(const char *param, char *item, uint64_t bits[VMHI_VALUE_KIND_COUNT_1_0])
{
    char *colon = strchr(item, ':');
    if (!colon)
        return bad_item(param, item, "has no ':' between kind and value");
    *colon = '\0';
    vmhi_value_kind kind;
    if (vmhi_value_kind_from_name(item, &kind) != VMHI_OK) {
        *colon = ':';
        return bad_item(param, item, "does not start with a value kind");
    }
    int value = value_named(kind, colon + 1);
    *colon = ':';
    if (value < 0)
        return bad_item(param, item, "names no value of that kind");
    if (value == 0 && has_default(kind) && strcmp(param, "refuse") == 0)
        return bad_item(param, item, "is the default value, which the core always accepts");
    bits[kind] |= UINT64_C(1) << value;
    return VMHI_OK;
}

int tb_values_parse(const char *name, const char *list, uint64_t bits[VMHI_VALUE_KIND_COUNT_1_0])
{
    if (!*list)
        return bad_item(name, list, "is empty");
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[ITEM_MAX];
        if (len == 0 || len >= sizeof(item)) {
            snprintf(item, sizeof(item), "%.*s", (int)(len < 40 ? len : 40), p);
            return bad_item(name, item, len ? "is too long" : "is an empty item");
        }
        memcpy(item, p, len);
        item[len] = '\0';
        int rc = parse_item(name, item, bits);
        if (rc < 0 || !end)
            return rc;
        p = end + 1;
    }
}

int tb_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    const tb_conn *c = priv;
    /* The core pre-filled every 1.0 value and rejects unknown kinds. */
    if (kind > 0 && kind < VMHI_VALUE_KIND_COUNT_1_0)
        *values &= ~c->refused[kind];
    return VMHI_OK;
}

int tb_values_check(const tb_conn *c, vmhi_value_kind kind, unsigned int value)
{
    if (value >= 64 || !(c->lied[kind] & (UINT64_C(1) << value)))
        return VMHI_OK;
    const char *name = vmhi_value_name(kind, value);
    return tb_error(VMHI_E_UNSUPPORTED, "test backend: %s '%s' is declared but refused "
                    "(lie=%s:%s in the URI: this connection breaks the per-value "
                    "contract on purpose)", vmhi_value_kind_name(kind), name ? name : "?",
                    vmhi_value_kind_name(kind), name ? name : "?");
}

int tb_values_check_disk(const tb_conn *c, const vmhi_disk *disk)
{
    int rc = tb_values_check(c, VMHI_VALUE_DISK_BUS, vmhi_disk_get_bus(disk));
    if (rc == VMHI_OK)
        rc = tb_values_check(c, VMHI_VALUE_DISK_FORMAT, vmhi_disk_get_format(disk));
    if (rc == VMHI_OK)
        rc = tb_values_check(c, VMHI_VALUE_DISK_ACCESS, vmhi_disk_get_readonly(disk) ? 1 : 0);
    return rc;
}

int tb_values_check_nic(const tb_conn *c, const vmhi_nic *nic)
{
    int rc = tb_values_check(c, VMHI_VALUE_NIC_MODEL, vmhi_nic_get_model(nic));
    if (rc == VMHI_OK)
        rc = tb_values_check(c, VMHI_VALUE_NETWORK_KIND,
                             vmhi_network_kind_of(vmhi_nic_get_network(nic)));
    return rc;
}

int tb_values_check_config(const tb_conn *c, const vmhi_vm_config *cfg)
{
    int rc = tb_values_check(c, VMHI_VALUE_GUEST_TYPE, vmhi_vm_config_get_guest_type(cfg));
    if (rc == VMHI_OK)
        rc = tb_values_check(c, VMHI_VALUE_FIRMWARE, vmhi_vm_config_get_firmware(cfg));
    if (rc == VMHI_OK)
        rc = tb_values_check(c, VMHI_VALUE_BOOT_METHOD, vmhi_vm_config_get_boot_method(cfg));
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_disk_count(cfg); i++)
        rc = tb_values_check_disk(c, vmhi_vm_config_get_disk(cfg, i));
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_nic_count(cfg); i++)
        rc = tb_values_check_nic(c, vmhi_vm_config_get_nic(cfg, i));
    return rc;
}
