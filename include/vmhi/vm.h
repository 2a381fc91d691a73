/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/vm.h
 * @brief Virtual machines: lookup, lifecycle, memory, vCPUs, devices.
 *
 * A #vmhi_vm is a handle naming one VM by UUID on one connection; it does
 * not cache state.  Handles are freed with vmhi_vm_free() and may be used
 * from several threads.  The state machine every backend follows is in the
 * VMHI specification; in short:
 *
 *     shutoff --start--> running --pause--> paused --resume--> running
 *     running --shutdown--> shutting-down --(guest)--> shutoff
 *     running|paused|shutting-down|crashed --poweroff--> shutoff
 *     running|paused --suspend--> suspended --start--> running
 *     suspended --poweroff--> shutoff (the saved image is discarded)
 *
 * @par Pointer lifetimes
 * Strings a handle returns (name, UUID) live as long as the handle.
 * Lists (#vmhi_vcpu_list, #vmhi_device_list) own their entries' strings
 * until the list is freed.
 */
#ifndef VMHI_VM_H
#define VMHI_VM_H

#include "common.h"
#include "config.h"

VMHI_BEGIN_DECLS

/**
 * @brief VM states.  Values only grow.
 * @since 1.0
 */
typedef enum vmhi_vm_state {
    VMHI_STATE_SHUTOFF = 1,       /**< Defined, not running. */
    VMHI_STATE_RUNNING = 2,       /**< Running. */
    VMHI_STATE_PAUSED = 3,        /**< vCPUs stopped, memory kept. */
    VMHI_STATE_SUSPENDED = 4,     /**< Saved to disk; start resumes it. */
    VMHI_STATE_SHUTTING_DOWN = 5, /**< Graceful shutdown requested, guest still running. */
    VMHI_STATE_CRASHED = 6        /**< The VM process or guest died unexpectedly. */
} vmhi_vm_state;
/** @brief One past the highest #vmhi_vm_state value of VMHI 1.0. */
#define VMHI_VM_STATE_COUNT_1_0 7

/** @brief Bit for @p state in a list filter, e.g. VMHI_STATE_BIT(VMHI_STATE_RUNNING). */
#define VMHI_STATE_BIT(state) (1u << (unsigned)(state))
/** @brief Filter bit: only persistent VMs. */
#define VMHI_LIST_PERSISTENT (1u << 16)
/** @brief Filter bit: only transient VMs. */
#define VMHI_LIST_TRANSIENT (1u << 17)

/**
 * @brief Why a VM is in its state.  Values only grow.
 * @since 1.0
 */
typedef enum vmhi_state_reason {
    VMHI_REASON_UNKNOWN = 0,        /**< Not known. */
    VMHI_REASON_DEFINED = 1,        /**< Shut off since it was defined. */
    VMHI_REASON_BOOTED = 2,         /**< Running after start. */
    VMHI_REASON_USER = 3,           /**< Paused or resumed on request. */
    VMHI_REASON_SHUTDOWN_GUEST = 4, /**< The guest shut itself down. */
    VMHI_REASON_SHUTDOWN_REQUESTED = 5, /**< A graceful shutdown was requested. */
    VMHI_REASON_POWEROFF = 6,       /**< Powered off hard. */
    VMHI_REASON_CRASHED = 7,        /**< The VM died unexpectedly. */
    VMHI_REASON_SUSPENDED = 8,      /**< Saved on request. */
    VMHI_REASON_RESTORED = 9,       /**< Running after being restored from suspend. */
    VMHI_REASON_REBOOTED = 10,      /**< Running after a reboot. */
    VMHI_REASON_RESET = 11,         /**< Running after a hard reset. */
    VMHI_REASON_HOST = 12           /**< Changed by the host, not by this client. */
} vmhi_state_reason;
/** @brief One past the highest #vmhi_state_reason value of VMHI 1.0. */
#define VMHI_STATE_REASON_COUNT_1_0 13

/**
 * @brief Name of a state ("shutoff", "running", "paused", "suspended",
 *        "shutting-down", "crashed").
 * @param state A #vmhi_vm_state.
 * @return A static string, or NULL for an unknown value.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_state_name(vmhi_vm_state state);

/**
 * @brief Name of a reason ("booted", "user", "shutdown-guest", ...).
 * @param reason A #vmhi_state_reason.
 * @return A static string, or NULL for an unknown value.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_state_reason_name(vmhi_state_reason reason);

/** @brief The state named @p name.  @param name The name.  @param[out] out The state.  @return #VMHI_OK or #VMHI_E_INVALID_ARG (NULL or unknown).  @since 1.0 */
VMHI_EXTERN int vmhi_vm_state_from_name(const char *name, vmhi_vm_state *out);
/** @brief The reason named @p name.  @param name The name.  @param[out] out The reason.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_state_reason_from_name(const char *name, vmhi_state_reason *out);

/* --------------------------------------------------------- lookup/list */

/**
 * @brief Looks up a VM by name.
 * @param[out] out The handle; free with vmhi_vm_free().
 * @param conn The connection.  @param name The name.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_NO_VM; connection errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_lookup_by_name(vmhi_vm **out, vmhi_conn *conn, const char *name);

/**
 * @brief Looks up a VM by UUID (canonical text form, any case).
 * @param[out] out The handle.
 * @param conn The connection.  @param uuid The UUID.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (NULL or malformed UUID);
 *         #VMHI_E_NO_VM; connection errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_lookup_by_uuid(vmhi_vm **out, vmhi_conn *conn, const char *uuid);

/**
 * @brief Frees a VM handle (not the VM).  Accepts NULL.
 * @param vm The handle.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_vm_free(vmhi_vm *vm);

/**
 * @brief The VM's name as of the lookup.
 * @param vm The handle.
 * @return A string owned by the handle, or NULL for NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_get_name(const vmhi_vm *vm);

/**
 * @brief The VM's UUID in lower case.
 * @param vm The handle.
 * @return A string owned by the handle, or NULL for NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_get_uuid(const vmhi_vm *vm);

/**
 * @brief Lists VMs.
 * @param conn The connection.
 * @param filter 0 for all, or an OR of VMHI_STATE_BIT() values and
 *        #VMHI_LIST_PERSISTENT / #VMHI_LIST_TRANSIENT.  State bits select
 *        VMs in any of the given states.
 * @param[out] vms Array of handles; free with vmhi_vm_list_free().
 * @param[out] count Number of handles.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (NULL, unknown filter bits);
 *         connection errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_list_vms(vmhi_conn *conn, unsigned int filter, vmhi_vm ***vms,
                                   size_t *count);

/**
 * @brief Frees an array from vmhi_conn_list_vms() and its handles.  Accepts NULL.
 * @param vms The array.  @param count Its length.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_vm_list_free(vmhi_vm **vms, size_t count);

/* ------------------------------------------------------------ lifecycle */

/**
 * @brief Defines a persistent VM (shut off), or updates the definition of
 *        an existing VM with the same UUID and name.
 * @param[out] out Handle to the VM, or NULL if not wanted.
 * @param conn The connection.  @param cfg The description; a missing UUID is generated.
 * @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (invalid description, message
 *         names the field); #VMHI_E_EXISTS (name or UUID taken by another
 *         VM); #VMHI_E_LIMIT (beyond host limits); #VMHI_E_UNSUPPORTED (a
 *         value vmhi_conn_get_value_caps() does not list); #VMHI_E_NOT_FOUND
 *         (a kernel, initrd or network that does not exist);
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 *         On failure nothing is created.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_define(vmhi_vm **out, vmhi_conn *conn, const vmhi_vm_config *cfg,
                               unsigned int flags);

/**
 * @brief Creates and starts a transient VM; it disappears when it stops.
 * @param[out] out Handle, or NULL.  @param conn The connection.
 * @param cfg The description.  @param flags Reserved, 0.
 * @return As vmhi_vm_define(), plus start errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_create(vmhi_vm **out, vmhi_conn *conn, const vmhi_vm_config *cfg,
                               unsigned int flags);

/**
 * @brief Removes a VM's persistent definition.  A shut-off VM disappears
 *        (a suspended one with its saved image); an active one becomes
 *        transient.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_NO_VM; #VMHI_E_INVALID_STATE (already transient);
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_undefine(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Starts a shut-off, crashed or suspended VM (running, reason
 *        booted or restored).
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE when already active; #VMHI_E_NO_VM;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_start(vmhi_vm *vm, unsigned int flags);

/**
 * @brief How a graceful shutdown is requested.  A value, not bits;
 *        vmhi_conn_get_value_caps() with #VMHI_VALUE_SHUTDOWN_METHOD lists
 *        the ones a connection accepts.  @since 1.0
 */
typedef enum vmhi_shutdown_method {
    VMHI_SHUTDOWN_DEFAULT = 0,     /**< The backend's usual way. */
    VMHI_SHUTDOWN_ACPI = 1,        /**< The ACPI power button. */
    VMHI_SHUTDOWN_GUEST_AGENT = 2, /**< An agent inside the guest (VMware Tools, qemu-ga). */
    VMHI_SHUTDOWN_PV = 3           /**< The paravirtual control channel (Xen xenstore). */
} vmhi_shutdown_method;
/** @brief One past the highest #vmhi_shutdown_method value of VMHI 1.0. */
#define VMHI_SHUTDOWN_METHOD_COUNT_1_0 4

/**
 * @brief Asks the guest to shut down gracefully.
 * @param vm The VM.
 * @param timeout_ms 0: request and return at once (state shutting-down
 *        until the guest acts).  Otherwise wait up to this long for the VM
 *        to be shut off; the wait holds no lock, so other calls on the
 *        connection proceed meanwhile.
 * @param flags A #vmhi_shutdown_method (0 for the backend's default).
 * @return #VMHI_OK (requested, or off within the timeout);
 *         #VMHI_E_TIMEOUT when the guest did not shut down in time (the VM
 *         stays running/shutting-down); #VMHI_E_INVALID_STATE unless
 *         running or shutting-down; #VMHI_E_UNSUPPORTED for a method the
 *         connection does not list; #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_shutdown(vmhi_vm *vm, unsigned int timeout_ms, unsigned int flags);

/**
 * @brief Powers a VM off at once (shutoff, reason poweroff).  Valid when
 *        running, paused, shutting-down or crashed; from suspended it
 *        discards the saved image.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE; #VMHI_E_NO_VM;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_poweroff(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Asks the guest to reboot gracefully.  Valid when running.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_reboot(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Resets a VM hard (like the reset button).  Valid when running or paused.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_reset(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Pauses a running VM.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE unless running;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_pause(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Resumes a paused VM.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE unless paused;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_resume(vmhi_vm *vm, unsigned int flags);

/**
 * @brief Saves a running or paused persistent VM's state and stops it
 *        (suspended).  vmhi_vm_start() restores it; vmhi_vm_poweroff()
 *        discards it.  The image is a managed save: it lives in the
 *        backend's own storage (the KVM state directory, the ESX VM's
 *        folder, the test backend's memory or directory), never at a path
 *        the caller picks.
 * @param vm The VM.  @param flags Reserved, 0.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_suspend(vmhi_vm *vm, unsigned int flags);

/* ---------------------------------------------------------- inspection */

/**
 * @brief Current state and its reason.  Valid in any state.
 * @param vm The VM.
 * @param[out] state A #vmhi_vm_state.  @param[out] reason A #vmhi_state_reason, or NULL.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_NO_VM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_get_state(vmhi_vm *vm, vmhi_vm_state *state, vmhi_state_reason *reason);

/**
 * @brief Runtime facts about a VM.  Initialize with #VMHI_VM_INFO_INIT.
 * @since 1.0
 */
typedef struct vmhi_vm_info {
    unsigned int version;      /**< Must be #VMHI_VM_INFO_VERSION. */
    vmhi_vm_state state;       /**< Current state. */
    vmhi_state_reason reason;  /**< Why. */
    unsigned int vcpus;        /**< Current vCPUs (live when active). */
    unsigned int max_vcpus;    /**< Maximum vCPUs. */
    uint64_t memory_mib;       /**< Current memory (live balloon target when active). */
    uint64_t max_memory_mib;   /**< Maximum memory. */
    uint64_t cpu_time_ns;      /**< CPU time used since start; 0 when inactive. */
    int persistent;            /**< 1 if defined, 0 if transient. */
} vmhi_vm_info;

/** @brief Current version of #vmhi_vm_info. */
#define VMHI_VM_INFO_VERSION 1
/** @brief Static initializer for #vmhi_vm_info. */
#define VMHI_VM_INFO_INIT { VMHI_VM_INFO_VERSION, VMHI_STATE_SHUTOFF, VMHI_REASON_UNKNOWN, 0, 0, 0, 0, 0, 0 }

/**
 * @brief Reads state, vCPUs, memory and CPU time.  Valid in any state.
 * @param vm The VM.  @param[in,out] info Initialized with #VMHI_VM_INFO_INIT.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_NO_VM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_get_info(vmhi_vm *vm, vmhi_vm_info *info);

/**
 * @brief The VM's description.  Values the definition left to the backend
 *        (#VMHI_DISK_BUS_DEFAULT, #VMHI_NIC_MODEL_DEFAULT, generated MACs
 *        and ids) are reported as the backend resolved them.
 * @param vm The VM.  @param[out] out The config; free with vmhi_vm_config_free().
 * @param flags #vmhi_affect: #VMHI_AFFECT_CURRENT (live values when
 *        active, with devices pending detach still listed; the definition
 *        when inactive), #VMHI_AFFECT_LIVE (the running VM only) or
 *        #VMHI_AFFECT_CONFIG (the persistent definition, also while active).
 * @return #VMHI_OK; #VMHI_E_NO_VM; #VMHI_E_INVALID_ARG (both affect bits);
 *         #VMHI_E_INVALID_STATE (#VMHI_AFFECT_LIVE on an inactive VM,
 *         #VMHI_AFFECT_CONFIG on a transient one); #VMHI_E_UNSUPPORTED
 *         (a form vmhi_conn_get_op_caps() does not report); #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_get_config(vmhi_vm *vm, vmhi_vm_config **out, unsigned int flags);

/* --------------------------------------------------------------- memory */

/**
 * @brief Sets current memory (balloon target when live).
 * @param vm The VM.  @param mib New size, at least the host minimum and
 *        at most the VM's maximum.  @param flags #vmhi_affect bits.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (0, above maximum, not a multiple
 *         of the granularity); #VMHI_E_LIMIT (below the host minimum or above
 *         the host maximum); #VMHI_E_INVALID_STATE (#VMHI_AFFECT_LIVE on an
 *         inactive VM, #VMHI_AFFECT_CONFIG on a transient one); #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_set_memory(vmhi_vm *vm, uint64_t mib, unsigned int flags);

/**
 * @brief Sets maximum memory: in the definition (takes effect at next
 *        start) and, where the backend reports #VMHI_CAP_LIVE for
 *        #VMHI_OP_SET_MAX_MEMORY, in the running VM.
 * @param vm The VM.  @param mib New maximum, at least the current memory.
 * @param flags #vmhi_affect bits.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_LIMIT (above host);
 *         #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED for #VMHI_AFFECT_LIVE
 *         unless the capability query reports it;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_set_max_memory(vmhi_vm *vm, uint64_t mib, unsigned int flags);

/**
 * @brief Guest memory statistics.  Initialize with #VMHI_MEMORY_STATS_INIT.
 *        A field the backend cannot read is UINT64_MAX.
 * @since 1.0
 */
typedef struct vmhi_memory_stats {
    unsigned int version;     /**< Must be #VMHI_MEMORY_STATS_VERSION. */
    uint64_t actual_kib;      /**< Memory the guest has now (balloon). */
    uint64_t available_kib;   /**< Memory the guest sees as total. */
    uint64_t unused_kib;      /**< Memory the guest leaves unused. */
    uint64_t usable_kib;      /**< Memory the guest could use without swapping. */
    uint64_t rss_kib;         /**< Host resident memory of the VM. */
    uint64_t swap_in_kib;     /**< Swapped in by the guest. */
    uint64_t swap_out_kib;    /**< Swapped out by the guest. */
    uint64_t major_faults;    /**< Guest major page faults. */
    uint64_t minor_faults;    /**< Guest minor page faults. */
} vmhi_memory_stats;

/** @brief Current version of #vmhi_memory_stats. */
#define VMHI_MEMORY_STATS_VERSION 1
/** @brief Static initializer for #vmhi_memory_stats. */
#define VMHI_MEMORY_STATS_INIT { VMHI_MEMORY_STATS_VERSION, UINT64_MAX, UINT64_MAX, UINT64_MAX, \
    UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX }

/**
 * @brief Reads memory statistics of an active VM.
 * @param vm The VM.  @param[in,out] stats Initialized with #VMHI_MEMORY_STATS_INIT.
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE when inactive; #VMHI_E_UNSUPPORTED.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_get_memory_stats(vmhi_vm *vm, vmhi_memory_stats *stats);

/* ---------------------------------------------------------------- vCPUs */

/**
 * @brief Sets the vCPU count (hotplug when live).
 * @param vm The VM.  @param count 1 to the VM's maximum.  @param flags #vmhi_affect bits.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (0 or above the VM's maximum);
 *         #VMHI_E_LIMIT (above the host's maximum vCPUs);
 *         #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_set_vcpus(vmhi_vm *vm, unsigned int count, unsigned int flags);

/** @brief A list of per-vCPU facts. Opaque. */
typedef struct vmhi_vcpu_list vmhi_vcpu_list;

/**
 * @brief Facts about one vCPU.  Initialize with #VMHI_VCPU_INFO_INIT.
 * @since 1.0
 */
typedef struct vmhi_vcpu_info {
    unsigned int version;   /**< Must be #VMHI_VCPU_INFO_VERSION. */
    unsigned int id;        /**< vCPU index. */
    int online;             /**< 1 if plugged in and online. */
    int host_cpu;           /**< Host CPU it last ran on, or -1. */
    uint64_t cpu_time_ns;   /**< CPU time used, 0 if unknown. */
    int64_t thread_id;      /**< Host thread id, or -1. */
} vmhi_vcpu_info;

/** @brief Current version of #vmhi_vcpu_info. */
#define VMHI_VCPU_INFO_VERSION 1
/** @brief Static initializer for #vmhi_vcpu_info. */
#define VMHI_VCPU_INFO_INIT { VMHI_VCPU_INFO_VERSION, 0, 0, -1, 0, -1 }

/**
 * @brief Reads per-vCPU facts of an active VM.
 * @param vm The VM.  @param[out] out The list; free with vmhi_vcpu_list_free().
 * @return #VMHI_OK; #VMHI_E_INVALID_STATE when inactive; #VMHI_E_UNSUPPORTED.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_get_vcpus(vmhi_vm *vm, vmhi_vcpu_list **out);
/**
 * @brief Number of entries.
 * @param list The list.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN size_t vmhi_vcpu_list_count(const vmhi_vcpu_list *list);
/**
 * @brief Copies entry @p index into @p info.
 * @param list The list.  @param index 0-based.
 * @param[in,out] info Initialized with #VMHI_VCPU_INFO_INIT.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vcpu_list_get(const vmhi_vcpu_list *list, size_t index, vmhi_vcpu_info *info);
/**
 * @brief Frees a vCPU list.  Accepts NULL.
 * @param list The list.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_vcpu_list_free(vmhi_vcpu_list *list);

/* -------------------------------------------------------------- devices */

/** @brief Device kinds.  @since 1.0 */
typedef enum vmhi_device_type {
    VMHI_DEVICE_DISK = 1, /**< A disk. */
    VMHI_DEVICE_NIC = 2   /**< A network interface. */
} vmhi_device_type;
/** @brief One past the highest #vmhi_device_type value of VMHI 1.0. */
#define VMHI_DEVICE_TYPE_COUNT_1_0 3

/** @brief Device presence.  @since 1.0 */
typedef enum vmhi_device_state {
    VMHI_DEVICE_PRESENT = 1,        /**< Attached. */
    VMHI_DEVICE_DETACH_PENDING = 2  /**< Detach requested; the guest has not released it yet. */
} vmhi_device_state;
/** @brief One past the highest #vmhi_device_state value of VMHI 1.0. */
#define VMHI_DEVICE_STATE_COUNT_1_0 3

/**
 * @brief Completion of an asynchronous device operation.
 * @since 1.0
 */
typedef enum vmhi_completion {
    VMHI_COMPLETION_DONE = 1,   /**< The operation has taken effect. */
    VMHI_COMPLETION_PENDING = 2 /**< Requested; a DEVICE_REMOVED event will follow when done. */
} vmhi_completion;
/** @brief One past the highest #vmhi_completion value of VMHI 1.0. */
#define VMHI_COMPLETION_COUNT_1_0 3

/**
 * @brief Attaches a disk.
 * @param vm The VM.  @param disk The disk (must have a path).
 * @param flags #vmhi_affect bits.
 * @param[out] id Buffer of #VMHI_DEVICE_ID_MAX + 1 bytes for the id the
 *        device got, or NULL.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_EXISTS (id or path in
 *         use); #VMHI_E_LIMIT; #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_attach_disk(vmhi_vm *vm, const vmhi_disk *disk, unsigned int flags,
                                    char *id);
/**
 * @brief Detaches a disk.
 * @param vm The VM.  @param id The device id.  @param flags #vmhi_affect bits.
 * @param[out] completion Whether the detach is done or pending, or NULL.
 * @return #VMHI_OK; #VMHI_E_NO_DEVICE; #VMHI_E_BUSY (already pending);
 *         #VMHI_E_INVALID_STATE; #VMHI_E_UNSUPPORTED;
 *         #VMHI_E_PERMISSION on a read-only connection (#VMHI_CONN_READONLY, since 1.1).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_detach_disk(vmhi_vm *vm, const char *id, unsigned int flags,
                                    vmhi_completion *completion);
/**
 * @brief Attaches a NIC.
 * @param vm The VM.  @param nic The NIC.  @param flags #vmhi_affect bits.
 * @param[out] id Buffer of #VMHI_DEVICE_ID_MAX + 1 bytes, or NULL.
 * @return As vmhi_vm_attach_disk().
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_attach_nic(vmhi_vm *vm, const vmhi_nic *nic, unsigned int flags,
                                   char *id);
/**
 * @brief Detaches a NIC.
 * @param vm The VM.  @param id The device id.  @param flags #vmhi_affect bits.
 * @param[out] completion Done or pending, or NULL.
 * @return As vmhi_vm_detach_disk().
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_detach_nic(vmhi_vm *vm, const char *id, unsigned int flags,
                                   vmhi_completion *completion);

/** @brief A list of devices.  Opaque. */
typedef struct vmhi_device_list vmhi_device_list;

/**
 * @brief Facts about one device.  Initialize with #VMHI_DEVICE_INFO_INIT.
 *        Strings are owned by the list.
 * @since 1.0
 */
typedef struct vmhi_device_info {
    unsigned int version;     /**< Must be #VMHI_DEVICE_INFO_VERSION. */
    vmhi_device_type type;    /**< Disk or NIC. */
    vmhi_device_state state;  /**< Present or detach pending. */
    const char *id;           /**< Stable device id. */
    const char *summary;      /**< Disk path or NIC MAC address. */
    int live;                 /**< 1 if present in the running VM. */
    int config;               /**< 1 if present in the persistent definition. */
} vmhi_device_info;

/** @brief Current version of #vmhi_device_info. */
#define VMHI_DEVICE_INFO_VERSION 1
/** @brief Static initializer for #vmhi_device_info. */
#define VMHI_DEVICE_INFO_INIT { VMHI_DEVICE_INFO_VERSION, VMHI_DEVICE_DISK, VMHI_DEVICE_PRESENT, NULL, NULL, 0, 0 }

/**
 * @brief Lists a VM's disks and NICs with their stable ids.  Valid in any state.
 * @param vm The VM.  @param[out] out The list; free with vmhi_device_list_free().
 * @return #VMHI_OK; #VMHI_E_NO_VM; #VMHI_E_UNSUPPORTED.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_list_devices(vmhi_vm *vm, vmhi_device_list **out);
/**
 * @brief Number of entries.
 * @param list The list.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN size_t vmhi_device_list_count(const vmhi_device_list *list);
/**
 * @brief Reads entry @p index.
 * @param list The list.  @param index 0-based.
 * @param[in,out] info Initialized with #VMHI_DEVICE_INFO_INIT.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_device_list_get(const vmhi_device_list *list, size_t index,
                                     vmhi_device_info *info);
/**
 * @brief Frees a device list.  Accepts NULL.
 * @param list The list.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_device_list_free(vmhi_device_list *list);

/** @brief Name of a shutdown method ("default", "acpi", "guest-agent", "pv").  @param value A #vmhi_shutdown_method.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_shutdown_method_name(vmhi_shutdown_method value);
/** @brief The value named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_shutdown_method_from_name(const char *name, vmhi_shutdown_method *out);

/** @brief Name of a device kind ("disk", "nic").  @param value A #vmhi_device_type.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_device_type_name(vmhi_device_type value);
/** @brief The value named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_device_type_from_name(const char *name, vmhi_device_type *out);

/** @brief Name of a device state ("present", "detach-pending").  @param value A #vmhi_device_state.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_device_state_name(vmhi_device_state value);
/** @brief The value named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_device_state_from_name(const char *name, vmhi_device_state *out);

/** @brief Name of a completion ("done", "pending").  @param value A #vmhi_completion.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_completion_name(vmhi_completion value);
/** @brief The value named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_completion_from_name(const char *name, vmhi_completion *out);

VMHI_END_DECLS

#endif /* VMHI_VM_H */
