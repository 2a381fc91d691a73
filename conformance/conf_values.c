/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Per-value capabilities as the tests use them (conf.h): which values of
 * each vmhi_value_kind VMHI 1.0 defines, which the connection declares,
 * and the resources some values need that a generic suite has to make up
 * (a kernel file, a bridge name).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_values.h"

unsigned int conf_value_count(vmhi_value_kind kind)
{
    switch (kind) {
    case VMHI_VALUE_DISK_BUS: return VMHI_DISK_BUS_COUNT_1_0;
    case VMHI_VALUE_DISK_FORMAT: return VMHI_DISK_FORMAT_COUNT_1_0;
    case VMHI_VALUE_DISK_ACCESS: return 2; /* read-write, read-only */
    case VMHI_VALUE_NIC_MODEL: return VMHI_NIC_MODEL_COUNT_1_0;
    case VMHI_VALUE_NETWORK_KIND: return VMHI_NETWORK_KIND_COUNT_1_0;
    case VMHI_VALUE_FIRMWARE: return VMHI_FIRMWARE_COUNT_1_0;
    case VMHI_VALUE_GUEST_TYPE: return VMHI_GUEST_TYPE_COUNT_1_0;
    case VMHI_VALUE_BOOT_METHOD: return VMHI_BOOT_METHOD_COUNT_1_0;
    case VMHI_VALUE_SHUTDOWN_METHOD: return VMHI_SHUTDOWN_METHOD_COUNT_1_0;
    }
    return 0;
}

bool conf_value_has_default(vmhi_value_kind kind)
{
    return kind == VMHI_VALUE_DISK_BUS || kind == VMHI_VALUE_NIC_MODEL ||
           kind == VMHI_VALUE_GUEST_TYPE || kind == VMHI_VALUE_SHUTDOWN_METHOD;
}

uint64_t conf_value_caps(vmhi_conn *conn, vmhi_value_kind kind)
{
    uint64_t values = 0;
    conf_ok(vmhi_conn_get_value_caps(conn, kind, &values));
    return values;
}

bool conf_value_declared(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value)
{
    return value < 64 && (conf_value_caps(conn, kind) & (UINT64_C(1) << value));
}

/* The lowest declared value of @kind at or above @from, or @fallback. */
static unsigned int lowest_from(vmhi_conn *conn, vmhi_value_kind kind, unsigned int from,
                                unsigned int fallback)
{
    uint64_t caps = conf_value_caps(conn, kind);
    for (unsigned int v = from; v < conf_value_count(kind); v++)
        if (caps & (UINT64_C(1) << v))
            return v;
    return fallback;
}

unsigned int conf_value_pick(vmhi_conn *conn, vmhi_value_kind kind)
{
    return lowest_from(conn, kind, 0, 0);
}

unsigned int conf_value_concrete(vmhi_conn *conn, vmhi_value_kind kind)
{
    return lowest_from(conn, kind, conf_value_has_default(kind) ? 1 : 0, 0);
}

void conf_network_of_kind(vmhi_network_kind kind, char *buf, size_t size)
{
    switch (kind) {
    case VMHI_NETWORK_USER:
        snprintf(buf, size, "user");
        break;
    case VMHI_NETWORK_BRIDGE:
        snprintf(buf, size, "bridge:%s", conf->bridge ? conf->bridge : CONF_BRIDGE_DEFAULT);
        break;
    default:
        snprintf(buf, size, "default");
        break;
    }
}

void conf_kernel_path(char *buf, size_t size, const char *tag)
{
    const char *given = strcmp(tag, "kernel") == 0   ? conf->kernel
                        : strcmp(tag, "initrd") == 0 ? conf->initrd
                                                     : NULL;
    if (given) {
        snprintf(buf, size, "%s", given);
        return;
    }
    /* A few bytes are enough to define a VM with; none is ever started. */
    conf_disk_path(buf, size, tag);
    int fd = open(buf, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0) {
        static const char stub[] = "vmhi-conformance: not a kernel\n";
        ssize_t n = write(fd, stub, sizeof(stub) - 1);
        (void)n;
        close(fd);
    }
}

const char *conf_value_text(vmhi_value_kind kind, unsigned int value)
{
    const char *name = vmhi_value_name(kind, value);
    return name ? name : "?";
}

/* ------------------------------------------------- VMs and devices */

bool conf_value_disk_kind(vmhi_value_kind kind)
{
    return kind == VMHI_VALUE_DISK_BUS || kind == VMHI_VALUE_DISK_FORMAT ||
           kind == VMHI_VALUE_DISK_ACCESS;
}

bool conf_value_nic_kind(vmhi_value_kind kind)
{
    return kind == VMHI_VALUE_NIC_MODEL || kind == VMHI_VALUE_NETWORK_KIND;
}

/* What a VM built for one value is made of. */
typedef struct value_row {
    vmhi_value_kind kind;
    unsigned int value;
} value_row;

/* The row's value for its own kind, a declared value for every other. */
static unsigned int value_for(vmhi_conn *conn, value_row r, vmhi_value_kind kind)
{
    return r.kind == kind ? r.value : conf_value_pick(conn, kind);
}

vmhi_disk *conf_value_disk(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value)
{
    value_row r = { kind, value };
    char path[512];
    vmhi_disk *disk = NULL;
    conf_disk_path(path, sizeof(path), "value");
    conf_ok(vmhi_disk_new(&disk));
    conf_ok(vmhi_disk_set_id(disk, "conf-v0"));
    conf_ok(vmhi_disk_set_path(disk, path));
    conf_ok(vmhi_disk_set_bus(disk, (vmhi_disk_bus)value_for(conn, r, VMHI_VALUE_DISK_BUS)));
    conf_ok(vmhi_disk_set_format(disk, (vmhi_disk_format)value_for(conn, r,
                                                                    VMHI_VALUE_DISK_FORMAT)));
    conf_ok(vmhi_disk_set_readonly(disk, value_for(conn, r, VMHI_VALUE_DISK_ACCESS) == 1));
    return disk;
}

vmhi_nic *conf_value_nic(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value)
{
    value_row r = { kind, value };
    char network[300];
    vmhi_nic *nic = NULL;
    conf_network_of_kind((vmhi_network_kind)value_for(conn, r, VMHI_VALUE_NETWORK_KIND),
                         network, sizeof(network));
    conf_ok(vmhi_nic_new(&nic));
    conf_ok(vmhi_nic_set_id(nic, "conf-v1"));
    conf_ok(vmhi_nic_set_model(nic, (vmhi_nic_model)value_for(conn, r, VMHI_VALUE_NIC_MODEL)));
    conf_ok(vmhi_nic_set_network(nic, network));
    return nic;
}

vmhi_vm_config *conf_value_config(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value)
{
    value_row r = { kind, value };
    vmhi_vm_config *cfg = conf_config_new();
    vmhi_guest_type guest = (vmhi_guest_type)value_for(conn, r, VMHI_VALUE_GUEST_TYPE);
    conf_ok(vmhi_vm_config_set_guest_type(cfg, guest));
    conf_ok(vmhi_vm_config_set_firmware(cfg, (vmhi_firmware)value_for(conn, r,
                                                                       VMHI_VALUE_FIRMWARE)));
    /* 1.0 boots PV guests only from a kernel. */
    if (value_for(conn, r, VMHI_VALUE_BOOT_METHOD) == VMHI_BOOT_METHOD_KERNEL ||
        guest == VMHI_GUEST_PV) {
        char kernel[512];
        conf_kernel_path(kernel, sizeof(kernel), "kernel");
        conf_ok(vmhi_vm_config_set_kernel(cfg, kernel));
    }
    if (conf_value_disk_kind(kind)) {
        vmhi_disk *disk = conf_value_disk(conn, kind, value);
        conf_ok(vmhi_vm_config_add_disk(cfg, disk));
        vmhi_disk_free(disk);
    }
    if (conf_value_nic_kind(kind)) {
        vmhi_nic *nic = conf_value_nic(conn, kind, value);
        conf_ok(vmhi_vm_config_add_nic(cfg, nic));
        vmhi_nic_free(nic);
    }
    return cfg;
}

/* The row's value as the definition reports it. */
static unsigned int value_read_back(const vmhi_vm_config *cfg, vmhi_value_kind kind)
{
    const vmhi_disk *disk = vmhi_vm_config_get_disk(cfg, 0);
    const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, 0);
    switch (kind) {
    case VMHI_VALUE_DISK_BUS: return vmhi_disk_get_bus(disk);
    case VMHI_VALUE_DISK_FORMAT: return vmhi_disk_get_format(disk);
    case VMHI_VALUE_DISK_ACCESS: return vmhi_disk_get_readonly(disk) ? 1 : 0;
    case VMHI_VALUE_NIC_MODEL: return vmhi_nic_get_model(nic);
    case VMHI_VALUE_NETWORK_KIND: return vmhi_network_kind_of(vmhi_nic_get_network(nic));
    case VMHI_VALUE_FIRMWARE: return vmhi_vm_config_get_firmware(cfg);
    case VMHI_VALUE_GUEST_TYPE: return vmhi_vm_config_get_guest_type(cfg);
    case VMHI_VALUE_BOOT_METHOD: return vmhi_vm_config_get_boot_method(cfg);
    case VMHI_VALUE_SHUTDOWN_METHOD: break;
    }
    return 0;
}

void conf_check_value_read_back(vmhi_conn *conn, const vmhi_vm_config *cfg,
                                vmhi_value_kind kind, unsigned int given)
{
    bool devices = conf_value_disk_kind(kind) ? vmhi_vm_config_get_disk_count(cfg) == 1
                 : conf_value_nic_kind(kind) ? vmhi_vm_config_get_nic_count(cfg) == 1
                                  : true;
    ck_assert_msg(devices, "the VM defined with one %s device reports %zu disk(s), %zu NIC(s)",
                  conf_value_disk_kind(kind) ? "disk" : "NIC", vmhi_vm_config_get_disk_count(cfg),
                  vmhi_vm_config_get_nic_count(cfg));
    unsigned int got = value_read_back(cfg, kind);
    const char *what = vmhi_value_kind_name(kind);
    bool resolves = kind == VMHI_VALUE_DISK_BUS || kind == VMHI_VALUE_NIC_MODEL;
    if (given == 0 && conf_value_has_default(kind)) {
        /* DEFAULT asks the backend to choose: a bus or model it must name,
         * a guest type it may leave DEFAULT or name. */
        ck_assert_msg((!resolves || got != 0) && conf_value_declared(conn, kind, got),
                      "defined with %s 'default', the VM reports %s '%s'%s", what, what,
                      conf_value_text(kind, got), got ? ", which the value caps do not declare"
                                                 : " instead of the backend's choice");
        return;
    }
    ck_assert_msg(got == given, "defined with %s '%s', the VM reports '%s'", what,
                  conf_value_text(kind, given), conf_value_text(kind, got));
}

