/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Version queries and the names of enum values, both ways.  The codecs,
 * the CLI, the reports, the backends and error messages all spell values
 * through these tables, so each name is written once.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"

unsigned long vmhi_version(void)
{
    return VMHI_VERSION_NUMBER;
}

const char *vmhi_version_string(void)
{
    return VMHI_VERSION_STRING;
}

typedef struct name_entry {
    int value;
    const char *name;
} name_entry;

static const char *name_of(const name_entry *table, size_t count, int value)
{
    for (size_t i = 0; i < count; i++)
        if (table[i].value == value)
            return table[i].name;
    return NULL;
}

/* Reverse lookup; a failure is an ordinary invalid-argument error. */
static int value_of(const name_entry *table, size_t count, const char *name, bool nocase,
                    const char *what, int *out)
{
    vmhi__error_reset();
    if (!name || !out)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s name or output pointer is NULL", what);
    for (size_t i = 0; i < count; i++) {
        bool same = nocase ? strcasecmp(table[i].name, name) == 0
                           : strcmp(table[i].name, name) == 0;
        if (same) {
            *out = table[i].value;
            return VMHI_OK;
        }
    }
    bool vowel = strchr("AEIOUaeiou", what[0]) != NULL;
    return vmhi__error(VMHI_E_INVALID_ARG, "\"%.64s\" is not %s %s", name, vowel ? "an" : "a",
                       what);
}

/* One enum's pair of public functions over its table. */
#define NAME_PAIR(prefix, type, table, what)                                                \
    const char *prefix##_name(type value)                                                   \
    {                                                                                       \
        return name_of(table, VMHI_ARRAY_SIZE(table), (int)value);                          \
    }                                                                                       \
    int prefix##_from_name(const char *name, type *out)                                     \
    {                                                                                       \
        int value = 0;                                                                      \
        int rc = value_of(table, VMHI_ARRAY_SIZE(table), name, false, what, out ? &value : NULL);        \
        if (rc == VMHI_OK)                                                                  \
            *out = (type)value;                                                             \
        return rc;                                                                          \
    }

/* ---- config.h -------------------------------------------------------- */

static const name_entry firmware_names[] = {
    { VMHI_FIRMWARE_BIOS, "bios" },
    { VMHI_FIRMWARE_UEFI, "uefi" },
};
static const name_entry guest_type_names[] = {
    { VMHI_GUEST_DEFAULT, "default" },
    { VMHI_GUEST_HVM, "hvm" },
    { VMHI_GUEST_PV, "pv" },
    { VMHI_GUEST_PVH, "pvh" },
};
static const name_entry boot_method_names[] = {
    { VMHI_BOOT_METHOD_FIRMWARE, "firmware" },
    { VMHI_BOOT_METHOD_KERNEL, "kernel" },
};
static const name_entry disk_format_names[] = {
    { VMHI_DISK_FORMAT_RAW, "raw" },
    { VMHI_DISK_FORMAT_QCOW2, "qcow2" },
    { VMHI_DISK_FORMAT_VMDK, "vmdk" },
};
static const name_entry disk_bus_names[] = {
    { VMHI_DISK_BUS_DEFAULT, "default" }, { VMHI_DISK_BUS_VIRTIO, "virtio" },
    { VMHI_DISK_BUS_SCSI, "scsi" },       { VMHI_DISK_BUS_SATA, "sata" },
    { VMHI_DISK_BUS_IDE, "ide" },         { VMHI_DISK_BUS_XEN, "xen" },
    { VMHI_DISK_BUS_PVSCSI, "pvscsi" },
};
static const name_entry nic_model_names[] = {
    { VMHI_NIC_MODEL_DEFAULT, "default" }, { VMHI_NIC_MODEL_VIRTIO, "virtio" },
    { VMHI_NIC_MODEL_E1000, "e1000" },     { VMHI_NIC_MODEL_VMXNET3, "vmxnet3" },
    { VMHI_NIC_MODEL_RTL8139, "rtl8139" }, { VMHI_NIC_MODEL_XEN, "xen" },
};
static const name_entry network_kind_names[] = {
    { VMHI_NETWORK_NAMED, "named" },
    { VMHI_NETWORK_USER, "user" },
    { VMHI_NETWORK_BRIDGE, "bridge" },
};
static const name_entry boot_dev_names[] = {
    { VMHI_BOOT_DISK, "disk" },
    { VMHI_BOOT_NETWORK, "network" },
};

NAME_PAIR(vmhi_firmware, vmhi_firmware, firmware_names, "firmware")
NAME_PAIR(vmhi_guest_type, vmhi_guest_type, guest_type_names, "guest type")
NAME_PAIR(vmhi_boot_method, vmhi_boot_method, boot_method_names, "boot method")
NAME_PAIR(vmhi_disk_format, vmhi_disk_format, disk_format_names, "disk format")
NAME_PAIR(vmhi_disk_bus, vmhi_disk_bus, disk_bus_names, "disk bus")
NAME_PAIR(vmhi_nic_model, vmhi_nic_model, nic_model_names, "NIC model")
NAME_PAIR(vmhi_network_kind, vmhi_network_kind, network_kind_names, "network kind")
NAME_PAIR(vmhi_boot_dev, vmhi_boot_dev, boot_dev_names, "boot device")

/* ---- vm.h ------------------------------------------------------------ */

static const name_entry state_names[] = {
    { VMHI_STATE_SHUTOFF, "shutoff" },     { VMHI_STATE_RUNNING, "running" },
    { VMHI_STATE_PAUSED, "paused" },       { VMHI_STATE_SUSPENDED, "suspended" },
    { VMHI_STATE_SHUTTING_DOWN, "shutting-down" }, { VMHI_STATE_CRASHED, "crashed" },
};
static const name_entry reason_names[] = {
    { VMHI_REASON_UNKNOWN, "unknown" },
    { VMHI_REASON_DEFINED, "defined" },
    { VMHI_REASON_BOOTED, "booted" },
    { VMHI_REASON_USER, "user" },
    { VMHI_REASON_SHUTDOWN_GUEST, "shutdown-guest" },
    { VMHI_REASON_SHUTDOWN_REQUESTED, "shutdown-requested" },
    { VMHI_REASON_POWEROFF, "poweroff" },
    { VMHI_REASON_CRASHED, "crashed" },
    { VMHI_REASON_SUSPENDED, "suspended" },
    { VMHI_REASON_RESTORED, "restored" },
    { VMHI_REASON_REBOOTED, "rebooted" },
    { VMHI_REASON_RESET, "reset" },
    { VMHI_REASON_HOST, "host" },
};
static const name_entry shutdown_method_names[] = {
    { VMHI_SHUTDOWN_DEFAULT, "default" },
    { VMHI_SHUTDOWN_ACPI, "acpi" },
    { VMHI_SHUTDOWN_GUEST_AGENT, "guest-agent" },
    { VMHI_SHUTDOWN_PV, "pv" },
};
static const name_entry device_type_names[] = {
    { VMHI_DEVICE_DISK, "disk" },
    { VMHI_DEVICE_NIC, "nic" },
};
static const name_entry device_state_names[] = {
    { VMHI_DEVICE_PRESENT, "present" },
    { VMHI_DEVICE_DETACH_PENDING, "detach-pending" },
};
static const name_entry completion_names[] = {
    { VMHI_COMPLETION_DONE, "done" },
    { VMHI_COMPLETION_PENDING, "pending" },
};

const char *vmhi_vm_state_name(vmhi_vm_state state)
{
    return name_of(state_names, VMHI_ARRAY_SIZE(state_names), (int)state);
}

int vmhi_vm_state_from_name(const char *name, vmhi_vm_state *out)
{
    int value = 0;
    int rc = value_of(state_names, VMHI_ARRAY_SIZE(state_names), name, false, "VM state", out ? &value : NULL);
    if (rc == VMHI_OK)
        *out = (vmhi_vm_state)value;
    return rc;
}

NAME_PAIR(vmhi_state_reason, vmhi_state_reason, reason_names, "state reason")
NAME_PAIR(vmhi_shutdown_method, vmhi_shutdown_method, shutdown_method_names, "shutdown method")
NAME_PAIR(vmhi_device_type, vmhi_device_type, device_type_names, "device kind")
NAME_PAIR(vmhi_device_state, vmhi_device_state, device_state_names, "device state")
NAME_PAIR(vmhi_completion, vmhi_completion, completion_names, "completion")

/* ---- conn.h ---------------------------------------------------------- */

static const name_entry op_names[] = {
    { VMHI_OP_LIST, "list" },
    { VMHI_OP_DEFINE, "define" },
    { VMHI_OP_UNDEFINE, "undefine" },
    { VMHI_OP_CREATE, "create" },
    { VMHI_OP_START, "start" },
    { VMHI_OP_SHUTDOWN, "shutdown" },
    { VMHI_OP_POWEROFF, "poweroff" },
    { VMHI_OP_REBOOT, "reboot" },
    { VMHI_OP_RESET, "reset" },
    { VMHI_OP_PAUSE, "pause" },
    { VMHI_OP_RESUME, "resume" },
    { VMHI_OP_SUSPEND, "suspend" },
    { VMHI_OP_GET_INFO, "get-info" },
    { VMHI_OP_GET_CONFIG, "get-config" },
    { VMHI_OP_SET_MEMORY, "set-memory" },
    { VMHI_OP_SET_MAX_MEMORY, "set-max-memory" },
    { VMHI_OP_MEMORY_STATS, "memory-stats" },
    { VMHI_OP_SET_VCPUS, "set-vcpus" },
    { VMHI_OP_VCPU_INFO, "vcpu-info" },
    { VMHI_OP_ATTACH_DISK, "attach-disk" },
    { VMHI_OP_DETACH_DISK, "detach-disk" },
    { VMHI_OP_ATTACH_NIC, "attach-nic" },
    { VMHI_OP_DETACH_NIC, "detach-nic" },
    { VMHI_OP_LIST_DEVICES, "list-devices" },
    { VMHI_OP_EVENTS, "events" },
};
static const name_entry profile_names[] = {
    { VMHI_PROFILE_CORE, "Core" },
    { VMHI_PROFILE_LIFECYCLE_FULL, "Lifecycle-Full" },
    { VMHI_PROFILE_MEMORY, "Memory" },
    { VMHI_PROFILE_VCPU, "vCPU" },
    { VMHI_PROFILE_DEVICES, "Devices" },
    { VMHI_PROFILE_EVENTS, "Events" },
    { VMHI_PROFILE_PERSISTENCE, "Persistence" },
};
static const name_entry cap_names[] = {
    { VMHI_CAP_SUPPORTED, "supported" },
    { VMHI_CAP_LIVE, "live" },
    { VMHI_CAP_CONFIG, "config" },
    { VMHI_CAP_ASYNC, "async" },
    { VMHI_CAP_GUEST, "guest" },
};
static const name_entry limit_names[] = {
    { VMHI_LIMIT_MAX_VCPUS, "max-vcpus" },
    { VMHI_LIMIT_MIN_MEMORY_MIB, "min-memory-mib" },
    { VMHI_LIMIT_MAX_MEMORY_MIB, "max-memory-mib" },
    { VMHI_LIMIT_MEMORY_GRANULARITY_MIB, "memory-granularity-mib" },
    { VMHI_LIMIT_MAX_DISKS, "max-disks" },
    { VMHI_LIMIT_MAX_NICS, "max-nics" },
    { VMHI_LIMIT_MAX_VMS, "max-vms" },
};
static const name_entry value_kind_names[] = {
    { VMHI_VALUE_DISK_BUS, "disk-bus" },
    { VMHI_VALUE_DISK_FORMAT, "disk-format" },
    { VMHI_VALUE_DISK_ACCESS, "disk-access" },
    { VMHI_VALUE_NIC_MODEL, "nic-model" },
    { VMHI_VALUE_NETWORK_KIND, "network-kind" },
    { VMHI_VALUE_FIRMWARE, "firmware" },
    { VMHI_VALUE_GUEST_TYPE, "guest-type" },
    { VMHI_VALUE_BOOT_METHOD, "boot-method" },
    { VMHI_VALUE_SHUTDOWN_METHOD, "shutdown-method" },
};
static const name_entry disk_access_names[] = {
    { 0, "read-write" },
    { 1, "read-only" },
};
static const name_entry log_level_names[] = {
    { VMHI_LOG_ERROR, "error" },
    { VMHI_LOG_WARN, "warn" },
    { VMHI_LOG_INFO, "info" },
    { VMHI_LOG_DEBUG, "debug" },
};
static const name_entry cred_type_names[] = {
    { VMHI_CRED_USERNAME, "username" },
    { VMHI_CRED_PASSWORD, "password" },
};
static const name_entry affect_names[] = {
    { VMHI_AFFECT_CURRENT, "current" },
    { VMHI_AFFECT_LIVE, "live" },
    { VMHI_AFFECT_CONFIG, "config" },
    { VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG, "live+config" },
};

NAME_PAIR(vmhi_op, vmhi_op, op_names, "operation")
NAME_PAIR(vmhi_limit, vmhi_limit, limit_names, "limit")
NAME_PAIR(vmhi_value_kind, vmhi_value_kind, value_kind_names, "value kind")
NAME_PAIR(vmhi_log_level, vmhi_log_level, log_level_names, "log level")
NAME_PAIR(vmhi_cred_type, vmhi_cred_type, cred_type_names, "credential type")

const char *vmhi_profile_name(unsigned int profile)
{
    return name_of(profile_names, VMHI_ARRAY_SIZE(profile_names), (int)profile);
}

int vmhi_profile_from_name(const char *name, vmhi_profile *out)
{
    int value = 0;
    int rc = value_of(profile_names, VMHI_ARRAY_SIZE(profile_names), name, true, "profile",
                      out ? &value : NULL);
    if (rc == VMHI_OK)
        *out = (vmhi_profile)value;
    return rc;
}

const char *vmhi_cap_name(unsigned int cap)
{
    return name_of(cap_names, VMHI_ARRAY_SIZE(cap_names), (int)cap);
}

int vmhi_cap_from_name(const char *name, vmhi_cap *out)
{
    int value = 0;
    int rc = value_of(cap_names, VMHI_ARRAY_SIZE(cap_names), name, false, "capability", out ? &value : NULL);
    if (rc == VMHI_OK)
        *out = (vmhi_cap)value;
    return rc;
}

const char *vmhi_affect_name(unsigned int flags)
{
    return name_of(affect_names, VMHI_ARRAY_SIZE(affect_names), (int)flags);
}

int vmhi_affect_from_name(const char *name, unsigned int *out)
{
    int value = 0;
    int rc = value_of(affect_names, VMHI_ARRAY_SIZE(affect_names), name, false, "affect flag",
                      out ? &value : NULL);
    if (rc == VMHI_OK)
        *out = (unsigned int)value;
    return rc;
}

const char *vmhi_value_name(vmhi_value_kind kind, unsigned int value)
{
    switch (kind) {
    case VMHI_VALUE_DISK_BUS: return vmhi_disk_bus_name((vmhi_disk_bus)value);
    case VMHI_VALUE_DISK_FORMAT: return vmhi_disk_format_name((vmhi_disk_format)value);
    case VMHI_VALUE_DISK_ACCESS:
        return name_of(disk_access_names, VMHI_ARRAY_SIZE(disk_access_names), (int)value);
    case VMHI_VALUE_NIC_MODEL: return vmhi_nic_model_name((vmhi_nic_model)value);
    case VMHI_VALUE_NETWORK_KIND: return vmhi_network_kind_name((vmhi_network_kind)value);
    case VMHI_VALUE_FIRMWARE: return vmhi_firmware_name((vmhi_firmware)value);
    case VMHI_VALUE_GUEST_TYPE: return vmhi_guest_type_name((vmhi_guest_type)value);
    case VMHI_VALUE_BOOT_METHOD: return vmhi_boot_method_name((vmhi_boot_method)value);
    case VMHI_VALUE_SHUTDOWN_METHOD:
        return vmhi_shutdown_method_name((vmhi_shutdown_method)value);
    }
    return NULL;
}

/* ---- event.h --------------------------------------------------------- */

static const name_entry event_type_names[] = {
    { VMHI_EVENT_LIFECYCLE, "lifecycle" },
    { VMHI_EVENT_DEVICE_ADDED, "device-added" },
    { VMHI_EVENT_DEVICE_REMOVED, "device-removed" },
    { VMHI_EVENT_MEMORY, "memory" },
    { VMHI_EVENT_VCPU, "vcpu" },
    { VMHI_EVENT_DEFINED, "defined" },
    { VMHI_EVENT_UNDEFINED, "undefined" },
};

NAME_PAIR(vmhi_event_type, vmhi_event_type, event_type_names, "event type")

/* ---- ovf.h (1.1) ----------------------------------------------------- */

static const name_entry ovf_report_kind_names[] = {
    { VMHI_OVF_REPORT_UNHONOURED, "unhonoured" },
    { VMHI_OVF_REPORT_CONVERTED, "converted" },
    { VMHI_OVF_REPORT_ADAPTED, "adapted" },
};
static const name_entry ovf_flag_names[] = {
    { VMHI_OVF_STRICT, "strict" },
};

NAME_PAIR(vmhi_ovf_report_kind, vmhi_ovf_report_kind, ovf_report_kind_names, "OVF report kind")
NAME_PAIR(vmhi_ovf_flag, vmhi_ovf_flag, ovf_flag_names, "OVF flag")

/* ---- error.h --------------------------------------------------------- */

static const name_entry error_names[] = {
    { VMHI_OK, "ok" },
    { VMHI_E_INVALID_ARG, "invalid-arg" },
    { VMHI_E_NO_VM, "no-vm" },
    { VMHI_E_INVALID_STATE, "invalid-state" },
    { VMHI_E_UNSUPPORTED, "unsupported" },
    { VMHI_E_EXISTS, "exists" },
    { VMHI_E_AUTH, "auth" },
    { VMHI_E_CONNECTION, "connection" },
    { VMHI_E_TIMEOUT, "timeout" },
    { VMHI_E_BUSY, "busy" },
    { VMHI_E_BACKEND, "backend" },
    { VMHI_E_NOMEM, "nomem" },
    { VMHI_E_NO_BACKEND, "no-backend" },
    { VMHI_E_NO_DEVICE, "no-device" },
    { VMHI_E_PARSE, "parse" },
    { VMHI_E_LIMIT, "limit" },
    { VMHI_E_MODULE, "module" },
    { VMHI_E_IO, "io" },
    { VMHI_E_INTERNAL, "internal" },
    { VMHI_E_PERMISSION, "permission" },
    { VMHI_E_TRY_AGAIN, "try-again" },
    { VMHI_E_NOT_FOUND, "not-found" },
};

const char *vmhi_error_name(int code)
{
    return name_of(error_names, VMHI_ARRAY_SIZE(error_names), code);
}

int vmhi_error_from_name(const char *name, int *out)
{
    return value_of(error_names, VMHI_ARRAY_SIZE(error_names), name, false, "error code", out);
}
