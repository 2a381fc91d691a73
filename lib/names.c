/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Version queries and the names of enum values (used by the CLI, the
 * conformance reports and error messages, so they are spelled once).
 */
#include "internal.h"

unsigned long vmhi_version(void)
{
    return VMHI_VERSION_NUMBER;
}

const char *vmhi_version_string(void)
{
    return VMHI_VERSION_STRING;
}

const char *vmhi_vm_state_name(vmhi_vm_state state)
{
    switch (state) {
    case VMHI_STATE_SHUTOFF: return "shutoff";
    case VMHI_STATE_RUNNING: return "running";
    case VMHI_STATE_PAUSED: return "paused";
    case VMHI_STATE_SUSPENDED: return "suspended";
    case VMHI_STATE_SHUTTING_DOWN: return "shutting-down";
    case VMHI_STATE_CRASHED: return "crashed";
    }
    return NULL;
}

const char *vmhi_state_reason_name(vmhi_state_reason reason)
{
    switch (reason) {
    case VMHI_REASON_UNKNOWN: return "unknown";
    case VMHI_REASON_DEFINED: return "defined";
    case VMHI_REASON_BOOTED: return "booted";
    case VMHI_REASON_USER: return "user";
    case VMHI_REASON_SHUTDOWN_GUEST: return "shutdown-guest";
    case VMHI_REASON_SHUTDOWN_REQUESTED: return "shutdown-requested";
    case VMHI_REASON_POWEROFF: return "poweroff";
    case VMHI_REASON_CRASHED: return "crashed";
    case VMHI_REASON_SUSPENDED: return "suspended";
    case VMHI_REASON_RESTORED: return "restored";
    case VMHI_REASON_REBOOTED: return "rebooted";
    case VMHI_REASON_RESET: return "reset";
    case VMHI_REASON_HOST: return "host";
    }
    return NULL;
}

const char *vmhi_op_name(vmhi_op op)
{
    switch (op) {
    case VMHI_OP_LIST: return "list";
    case VMHI_OP_DEFINE: return "define";
    case VMHI_OP_UNDEFINE: return "undefine";
    case VMHI_OP_CREATE: return "create";
    case VMHI_OP_START: return "start";
    case VMHI_OP_SHUTDOWN: return "shutdown";
    case VMHI_OP_POWEROFF: return "poweroff";
    case VMHI_OP_REBOOT: return "reboot";
    case VMHI_OP_RESET: return "reset";
    case VMHI_OP_PAUSE: return "pause";
    case VMHI_OP_RESUME: return "resume";
    case VMHI_OP_SUSPEND: return "suspend";
    case VMHI_OP_GET_INFO: return "get-info";
    case VMHI_OP_GET_CONFIG: return "get-config";
    case VMHI_OP_SET_MEMORY: return "set-memory";
    case VMHI_OP_SET_MAX_MEMORY: return "set-max-memory";
    case VMHI_OP_MEMORY_STATS: return "memory-stats";
    case VMHI_OP_SET_VCPUS: return "set-vcpus";
    case VMHI_OP_VCPU_INFO: return "vcpu-info";
    case VMHI_OP_ATTACH_DISK: return "attach-disk";
    case VMHI_OP_DETACH_DISK: return "detach-disk";
    case VMHI_OP_ATTACH_NIC: return "attach-nic";
    case VMHI_OP_DETACH_NIC: return "detach-nic";
    case VMHI_OP_LIST_DEVICES: return "list-devices";
    case VMHI_OP_EVENTS: return "events";
    }
    return NULL;
}

const char *vmhi_profile_name(unsigned int profile)
{
    switch (profile) {
    case VMHI_PROFILE_CORE: return "Core";
    case VMHI_PROFILE_LIFECYCLE_FULL: return "Lifecycle-Full";
    case VMHI_PROFILE_MEMORY: return "Memory";
    case VMHI_PROFILE_VCPU: return "vCPU";
    case VMHI_PROFILE_DEVICES: return "Devices";
    case VMHI_PROFILE_EVENTS: return "Events";
    case VMHI_PROFILE_PERSISTENCE: return "Persistence";
    }
    return NULL;
}

const char *vmhi_event_type_name(vmhi_event_type type)
{
    switch (type) {
    case VMHI_EVENT_LIFECYCLE: return "lifecycle";
    case VMHI_EVENT_DEVICE_ADDED: return "device-added";
    case VMHI_EVENT_DEVICE_REMOVED: return "device-removed";
    case VMHI_EVENT_MEMORY: return "memory";
    case VMHI_EVENT_VCPU: return "vcpu";
    case VMHI_EVENT_DEFINED: return "defined";
    case VMHI_EVENT_UNDEFINED: return "undefined";
    }
    return NULL;
}
