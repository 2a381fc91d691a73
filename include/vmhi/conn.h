/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/conn.h
 * @brief Connections, host information and capabilities.
 *
 * A connection is opened by URI.  Supported forms (when the backend is
 * built or installed):
 *  - `test:///default` - an in-memory hypervisor, fresh for each connection
 *  - `test:///path/to/dir` - the same, persisted to a directory
 *  - `kvm:///system`, `kvm:///session`
 *  - `esx://host[:port]/?no_verify=1`
 *  - `vpx://vcenter/<datacenter>/<cluster-or-host>`
 *  - `xen:///`, `xen:///system` - the Xen dom0 the process runs in, through
 *    libxl (the `xen` module, built when libxen-dev is installed); query
 *    parameters kernel=, initrd=, cmdline= give VMs without a kernel of
 *    their own a direct boot.  Without that module the scheme fails with
 *    #VMHI_E_NO_BACKEND; on a host that is not a dom0, with
 *    #VMHI_E_CONNECTION
 *
 * Passwords are never accepted inside a URI; they come through the
 * credential callback in #vmhi_conn_options.
 *
 * @par Threads
 * One connection may be used from many threads at once.  Every call on a
 * connection and on the VM handles that belong to it is thread-safe; a
 * connection must not be closed while another thread still uses it.
 *
 * Callbacks given in #vmhi_conn_options (credential, log, progress) are
 * called in the thread that makes the VMHI call they belong to, or, for
 * log lines, also in a thread the library or a backend runs (the event
 * thread, a backend's watcher).  They may therefore run concurrently for
 * one connection and must be thread-safe; they must not call back into
 * VMHI on the same connection.
 *
 * @par Child processes
 * A backend that starts processes (kvm starts QEMU) reaps exactly the
 * processes it started, never with waitpid(-1).  An application may reap
 * every child itself (a SIGCHLD handler calling waitpid(-1)); backends
 * then learn a process's end from its monitor connection instead, and
 * keep working.
 */
#ifndef VMHI_CONN_H
#define VMHI_CONN_H

#include "common.h"

VMHI_BEGIN_DECLS

/**
 * @brief Kinds of credential a backend may ask for.
 * @since 1.0
 */
typedef enum vmhi_cred_type {
    VMHI_CRED_USERNAME = 1, /**< A user name. */
    VMHI_CRED_PASSWORD = 2  /**< A password or secret; never logged. */
} vmhi_cred_type;
/** @brief One past the highest #vmhi_cred_type value of VMHI 1.0. */
#define VMHI_CRED_TYPE_COUNT_1_0 3

/**
 * @brief Credential callback.
 *
 * Called from within vmhi_conn_open() (and on re-login) when a backend
 * needs a credential.  Write a NUL-terminated value into @p buf.
 *
 * @param type     Which credential is wanted.
 * @param uri      The connection URI (never contains a password).
 * @param prompt   A human-readable prompt.
 * @param buf      Where to write the value.
 * @param buflen   Size of @p buf in bytes, including room for the NUL.
 * @param userdata The pointer given in #vmhi_conn_options.
 * @return 0 when @p buf holds the credential, negative to refuse.
 * @since 1.0
 */
typedef int (*vmhi_auth_cb)(vmhi_cred_type type, const char *uri, const char *prompt,
                            char *buf, size_t buflen, void *userdata);

/**
 * @brief Log levels for #vmhi_log_cb.
 * @since 1.0
 */
typedef enum vmhi_log_level {
    VMHI_LOG_ERROR = 1, /**< Failures. */
    VMHI_LOG_WARN = 2,  /**< Things that look wrong but were handled. */
    VMHI_LOG_INFO = 3,  /**< Significant operations. */
    VMHI_LOG_DEBUG = 4  /**< Protocol-level detail (never contains secrets). */
} vmhi_log_level;
/** @brief One past the highest #vmhi_log_level value of VMHI 1.0. */
#define VMHI_LOG_LEVEL_COUNT_1_0 5

/**
 * @brief Log callback.  VMHI never prints; it hands log lines to this.
 *        It may be called from any thread that runs a VMHI call on the
 *        connection, and from the library's and the backend's own threads,
 *        concurrently (see the file description).
 * @param level    A #vmhi_log_level.
 * @param domain   Where the line comes from ("core", "kvm", "esx", ...).
 * @param message  The line, without trailing newline.
 * @param userdata The pointer given in #vmhi_conn_options.
 * @since 1.0
 */
typedef void (*vmhi_log_cb)(int level, const char *domain, const char *message, void *userdata);

/**
 * @brief Progress callback for long operations (tasks, migrations...).
 * @param operation A short name such as "start" or "CreateVM_Task".
 * @param percent   0-100, or -1 when the backend cannot tell.
 * @param userdata  The pointer given in #vmhi_conn_options.
 * @since 1.0
 */
typedef void (*vmhi_progress_cb)(const char *operation, int percent, void *userdata);

/**
 * @brief Options for vmhi_conn_open().  Initialize with
 *        #VMHI_CONN_OPTIONS_INIT; fields are only ever added at the end.
 * @since 1.0
 */
typedef struct vmhi_conn_options {
    unsigned int version;        /**< Must be #VMHI_CONN_OPTIONS_VERSION. */
    vmhi_auth_cb auth_cb;        /**< Credential callback, or NULL. */
    void *auth_data;             /**< Passed to @ref auth_cb. */
    vmhi_log_cb log_cb;          /**< Log callback, or NULL for no logging. */
    void *log_data;              /**< Passed to @ref log_cb. */
    int log_level;               /**< Highest #vmhi_log_level delivered. */
    vmhi_progress_cb progress_cb;/**< Progress callback, or NULL. */
    void *progress_data;         /**< Passed to @ref progress_cb. */
    unsigned int timeout_ms;     /**< Per-request timeout; 0 = backend default. */
    unsigned int flags;          /**< #VMHI_CONN_READONLY or 0 (since 1.1; 0 in 1.0). */
} vmhi_conn_options;

/** @brief Current version of #vmhi_conn_options. */
#define VMHI_CONN_OPTIONS_VERSION 1
/** @brief Static initializer for #vmhi_conn_options. */
#define VMHI_CONN_OPTIONS_INIT { VMHI_CONN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0 }

/**
 * @brief Connection flag: open the connection read-only.
 *
 * Set in vmhi_conn_options::flags.  Every call that would change a VM or
 * the host through the connection - vmhi_vm_define(), vmhi_vm_create(),
 * vmhi_vm_undefine(), the lifecycle calls (start, shutdown, poweroff,
 * reboot, reset, pause, resume, suspend), vmhi_vm_set_memory(),
 * vmhi_vm_set_max_memory(), vmhi_vm_set_vcpus() and the attach and detach
 * calls - then fails with #VMHI_E_PERMISSION before the backend is asked,
 * and changes nothing.  Lookups, listings, information, configuration
 * reads, statistics, capabilities and events work as usual, and
 * vmhi_conn_get_op_caps() still reports what the backend supports.
 *
 * The core enforces the flag, so it holds for every backend.  A VMHI 1.0
 * library refuses the flag with #VMHI_E_INVALID_ARG (its flags must be
 * 0), so an application that asks for a read-only connection never gets
 * a writable one by accident.
 * @since 1.1
 */
#define VMHI_CONN_READONLY (1u << 0)
/** @brief Every vmhi_conn_options::flags bit of VMHI 1.1.  @since 1.1 */
#define VMHI_CONN_FLAG_ALL_1_1 0x1u

/**
 * @brief Initializes @p opts to defaults for the given version.
 * @param opts    Options to fill.
 * @param version #VMHI_CONN_OPTIONS_VERSION.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG for NULL or an unknown version.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_options_init(vmhi_conn_options *opts, unsigned int version);

/**
 * @brief Opens a connection.
 *
 * Backends are probed in turn by URI scheme: built-in ones first, then
 * modules from `$VMHI_BACKEND_PATH` (colon-separated) and the installed
 * module directory.
 *
 * @param[out] out  The new connection.  Set to NULL on failure.
 * @param uri       Connection URI; see the file description.
 * @param opts      Options, or NULL for defaults.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG for NULL, a malformed URI, a
 *         password inside it, or an unknown bit in `opts->flags` (any
 *         bit but #VMHI_CONN_READONLY, since 1.1; any bit in 1.0);
 *         #VMHI_E_NO_BACKEND when no backend accepts
 *         the scheme (the message lists the directories searched);
 *         #VMHI_E_AUTH, #VMHI_E_CONNECTION, #VMHI_E_MODULE, #VMHI_E_NOMEM,
 *         or the backend's error.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_open(vmhi_conn **out, const char *uri, const vmhi_conn_options *opts);

/**
 * @brief Closes a connection and releases it.  Accepts NULL.
 *
 * VM handles of the connection stay allocated but every call on them
 * fails until they are freed; free them with vmhi_vm_free() as usual.
 * @param conn The connection.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_conn_close(vmhi_conn *conn);

/**
 * @brief The URI the connection was opened with (normalized).
 * @param conn The connection.
 * @return A string owned by the connection, or NULL when @p conn is NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_conn_get_uri(const vmhi_conn *conn);

/**
 * @brief Name of the backend serving the connection ("test", "kvm", ...).
 * @param conn The connection.
 * @return A string owned by the connection, or NULL when @p conn is NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_conn_get_backend(const vmhi_conn *conn);

/**
 * @brief Host and hypervisor facts.  Initialize with
 *        #VMHI_HOST_INFO_INIT; fields are only ever added at the end.
 * @since 1.0
 */
typedef struct vmhi_host_info {
    /* Text fields are NUL-terminated and truncated to fit (at a UTF-8
     * character boundary) when the hypervisor reports a longer value. */
    unsigned int version;            /**< Must be #VMHI_HOST_INFO_VERSION. */
    char hypervisor[32];             /**< Hypervisor name, e.g. "QEMU", "ESXi". */
    char hypervisor_version[32];     /**< Its version as text, e.g. "7.2.0". */
    char backend_version[32];        /**< Version of the VMHI backend module. */
    char hostname[256];              /**< Host name as the hypervisor reports it. */
    char cpu_model[64];              /**< Host CPU model. */
    unsigned int cpus;               /**< Logical host CPUs. */
    uint64_t memory_mib;             /**< Host memory. */
    uint64_t free_memory_mib;        /**< Free host memory, or UINT64_MAX if unknown. */
} vmhi_host_info;

/** @brief Current version of #vmhi_host_info. */
#define VMHI_HOST_INFO_VERSION 1
/** @brief Static initializer for #vmhi_host_info. */
#define VMHI_HOST_INFO_INIT { VMHI_HOST_INFO_VERSION, "", "", "", "", "", 0, 0, 0 }

/**
 * @brief Reads host and hypervisor facts.
 * @param conn The connection.
 * @param[in,out] info Initialized with #VMHI_HOST_INFO_INIT.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_CONNECTION; backend errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_host_info(vmhi_conn *conn, vmhi_host_info *info);

/**
 * @brief Operations whose support can be queried with vmhi_conn_get_op_caps().
 *        Values only grow.
 * @since 1.0
 */
typedef enum vmhi_op {
    VMHI_OP_LIST = 1,          /**< vmhi_conn_list_vms() and lookups. */
    VMHI_OP_DEFINE,            /**< vmhi_vm_define(). */
    VMHI_OP_UNDEFINE,          /**< vmhi_vm_undefine(). */
    VMHI_OP_CREATE,            /**< vmhi_vm_create() (transient). */
    VMHI_OP_START,             /**< vmhi_vm_start(). */
    VMHI_OP_SHUTDOWN,          /**< vmhi_vm_shutdown(). */
    VMHI_OP_POWEROFF,          /**< vmhi_vm_poweroff(). */
    VMHI_OP_REBOOT,            /**< vmhi_vm_reboot(). */
    VMHI_OP_RESET,             /**< vmhi_vm_reset(). */
    VMHI_OP_PAUSE,             /**< vmhi_vm_pause(). */
    VMHI_OP_RESUME,            /**< vmhi_vm_resume(). */
    VMHI_OP_SUSPEND,           /**< vmhi_vm_suspend(). */
    VMHI_OP_GET_INFO,          /**< vmhi_vm_get_info() and vmhi_vm_get_state(). */
    VMHI_OP_GET_CONFIG,        /**< vmhi_vm_get_config(). */
    VMHI_OP_SET_MEMORY,        /**< vmhi_vm_set_memory(). */
    VMHI_OP_SET_MAX_MEMORY,    /**< vmhi_vm_set_max_memory(). */
    VMHI_OP_MEMORY_STATS,      /**< vmhi_vm_get_memory_stats(). */
    VMHI_OP_SET_VCPUS,         /**< vmhi_vm_set_vcpus(). */
    VMHI_OP_VCPU_INFO,         /**< vmhi_vm_get_vcpus(). */
    VMHI_OP_ATTACH_DISK,       /**< vmhi_vm_attach_disk(). */
    VMHI_OP_DETACH_DISK,       /**< vmhi_vm_detach_disk(). */
    VMHI_OP_ATTACH_NIC,        /**< vmhi_vm_attach_nic(). */
    VMHI_OP_DETACH_NIC,        /**< vmhi_vm_detach_nic(). */
    VMHI_OP_LIST_DEVICES,      /**< vmhi_vm_list_devices(). */
    VMHI_OP_EVENTS             /**< vmhi_conn_subscribe(). */
} vmhi_op;

/** @brief One past the highest #vmhi_op value of VMHI 1.0. */
#define VMHI_OP_COUNT_1_0 26

/**
 * @brief Capability bits returned by vmhi_conn_get_op_caps().
 * @since 1.0
 */
typedef enum vmhi_cap {
    VMHI_CAP_SUPPORTED = 1u << 0, /**< The call is implemented. */
    VMHI_CAP_LIVE = 1u << 1,      /**< It can change a running VM (#VMHI_AFFECT_LIVE). */
    VMHI_CAP_CONFIG = 1u << 2,    /**< It can change the definition (#VMHI_AFFECT_CONFIG). */
    VMHI_CAP_ASYNC = 1u << 3,     /**< Completion may be reported later (pending). */
    /**
     * The call succeeds only with the guest's help, where other backends
     * need none (since 1.1): a Xen PV guest saves itself, so its suspend
     * needs a guest kernel that takes part.  Against a guest that does not,
     * the call fails with #VMHI_E_TIMEOUT after the backend's wait and
     * changes nothing.  Calls that always wait on the guest (shutdown,
     * reboot, a hot unplug) do not carry it: they leave the VM
     * shutting-down or the device pending instead (#VMHI_CAP_ASYNC).
     */
    VMHI_CAP_GUEST = 1u << 4
} vmhi_cap;
/** @brief Every #vmhi_cap bit of VMHI 1.0. */
#define VMHI_CAP_ALL_1_0 0xfu
/** @brief Every #vmhi_cap bit of VMHI 1.1.  @since 1.1 */
#define VMHI_CAP_ALL_1_1 0x1fu

/**
 * @brief Which of an operation's forms this connection supports, so that
 *        a tool never has to learn by failing.
 * @param conn The connection.
 * @param op   A #vmhi_op.
 * @param[out] caps Bitwise OR of #vmhi_cap; 0 when unsupported.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG for NULL or an unknown @p op.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_op_caps(vmhi_conn *conn, vmhi_op op, unsigned int *caps);

/**
 * @brief Limits that can be queried with vmhi_conn_get_limit().  Values only grow.
 * @since 1.0
 */
typedef enum vmhi_limit {
    VMHI_LIMIT_MAX_VCPUS = 1,         /**< Most vCPUs a VM may have. */
    VMHI_LIMIT_MIN_MEMORY_MIB,        /**< Least memory a VM may have. */
    VMHI_LIMIT_MAX_MEMORY_MIB,        /**< Most memory a VM may have. */
    VMHI_LIMIT_MEMORY_GRANULARITY_MIB,/**< Memory sizes must be multiples of this. */
    VMHI_LIMIT_MAX_DISKS,             /**< Most disks per VM. */
    VMHI_LIMIT_MAX_NICS,              /**< Most NICs per VM. */
    VMHI_LIMIT_MAX_VMS                /**< Most VMs the host will hold. */
} vmhi_limit;
/** @brief One past the highest #vmhi_limit value of VMHI 1.0. */
#define VMHI_LIMIT_COUNT_1_0 8

/**
 * @brief Reads a limit of this connection's hypervisor.
 * @param conn The connection.
 * @param limit A #vmhi_limit.
 * @param[out] value The limit.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_UNSUPPORTED when the
 *         backend does not know this limit.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_limit(vmhi_conn *conn, vmhi_limit limit, uint64_t *value);

/**
 * @brief Kinds of value whose support vmhi_conn_get_value_caps() reports.
 *        Values only grow.
 * @since 1.0
 */
typedef enum vmhi_value_kind {
    VMHI_VALUE_DISK_BUS = 1,      /**< #vmhi_disk_bus values. */
    VMHI_VALUE_DISK_FORMAT,       /**< #vmhi_disk_format values. */
    VMHI_VALUE_DISK_ACCESS,       /**< Bit 0: read-write disks; bit 1: read-only disks. */
    VMHI_VALUE_NIC_MODEL,         /**< #vmhi_nic_model values. */
    VMHI_VALUE_NETWORK_KIND,      /**< #vmhi_network_kind values. */
    VMHI_VALUE_FIRMWARE,          /**< #vmhi_firmware values. */
    VMHI_VALUE_GUEST_TYPE,        /**< #vmhi_guest_type values. */
    VMHI_VALUE_BOOT_METHOD,       /**< #vmhi_boot_method values. */
    VMHI_VALUE_SHUTDOWN_METHOD    /**< #vmhi_shutdown_method values. */
} vmhi_value_kind;
/** @brief One past the highest #vmhi_value_kind value of VMHI 1.0. */
#define VMHI_VALUE_KIND_COUNT_1_0 10

/**
 * @brief Which values of one kind this connection accepts, so that a tool
 *        never learns by failing: bit (1 << v) is set when value v is
 *        accepted.  The default value of a kind (0 for disk bus, NIC model,
 *        guest type and shutdown method) is always accepted.  A config or
 *        device that uses a value not listed fails with #VMHI_E_UNSUPPORTED
 *        before the backend is asked.
 * @param conn The connection.  @param kind A #vmhi_value_kind.
 * @param[out] values The accepted values as bits.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG for NULL or an unknown @p kind;
 *         backend errors.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_value_caps(vmhi_conn *conn, vmhi_value_kind kind,
                                         uint64_t *values);

/**
 * @brief Conformance profiles a backend can claim (see the VMHI specification).
 * @since 1.0
 */
typedef enum vmhi_profile {
    VMHI_PROFILE_CORE = 1u << 0,           /**< Connect, list, lookup, info, define/undefine, start/poweroff. */
    VMHI_PROFILE_LIFECYCLE_FULL = 1u << 1, /**< Shutdown, reboot, reset, pause/resume, suspend. */
    VMHI_PROFILE_MEMORY = 1u << 2,         /**< Balloon, max memory, memory stats. */
    VMHI_PROFILE_VCPU = 1u << 3,           /**< vCPU count changes and per-vCPU info. */
    VMHI_PROFILE_DEVICES = 1u << 4,        /**< Disk and NIC attach/detach, device list. */
    VMHI_PROFILE_EVENTS = 1u << 5,         /**< Event subscription. */
    VMHI_PROFILE_PERSISTENCE = 1u << 6     /**< Definitions survive a new connection. */
} vmhi_profile;
/** @brief Every #vmhi_profile bit of VMHI 1.0. */
#define VMHI_PROFILE_ALL_1_0 0x7fu

/**
 * @brief The conformance profiles the connection's backend claims.
 * @param conn The connection.
 * @param[out] profiles Bitwise OR of #vmhi_profile.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_profiles(vmhi_conn *conn, unsigned int *profiles);

/**
 * @brief Name of a profile bit, e.g. "Lifecycle-Full".
 * @param profile One #vmhi_profile bit.
 * @return A static string, or NULL for an unknown bit.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_profile_name(unsigned int profile);

/**
 * @brief Name of an operation, e.g. "attach-disk".
 * @param op A #vmhi_op.
 * @return A static string, or NULL for an unknown value.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_op_name(vmhi_op op);

/*
 * Reverse lookups and the names of the remaining enums.  _from_name()
 * returns #VMHI_OK, or #VMHI_E_INVALID_ARG for NULL or an unknown name.
 */

/** @brief The operation named @p name.  @param name E.g. "attach-disk".  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_op_from_name(const char *name, vmhi_op *out);
/** @brief The profile bit named @p name.  @param name E.g. "Lifecycle-Full" (case-insensitive).  @param[out] out The bit.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_profile_from_name(const char *name, vmhi_profile *out);
/** @brief Name of a capability bit ("supported", "live", "config", "async").  @param cap One #vmhi_cap bit.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_cap_name(unsigned int cap);
/** @brief The capability bit named @p name.  @param name The name.  @param[out] out The bit.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_cap_from_name(const char *name, vmhi_cap *out);
/** @brief Name of a limit ("max-vcpus", "min-memory-mib", ...).  @param limit A #vmhi_limit.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_limit_name(vmhi_limit limit);
/** @brief The limit named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_limit_from_name(const char *name, vmhi_limit *out);
/** @brief Name of a value kind ("disk-bus", "disk-format", ...).  @param kind A #vmhi_value_kind.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_value_kind_name(vmhi_value_kind kind);
/** @brief The value kind named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_value_kind_from_name(const char *name, vmhi_value_kind *out);
/** @brief Name of a value of @p kind ("virtio", "read-only", "pv"...).  @param kind A #vmhi_value_kind.  @param value The value.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_value_name(vmhi_value_kind kind, unsigned int value);
/** @brief Name of a log level ("error", "warn", "info", "debug").  @param level A #vmhi_log_level.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_log_level_name(vmhi_log_level level);
/** @brief The log level named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_log_level_from_name(const char *name, vmhi_log_level *out);
/** @brief Name of a credential type ("username", "password").  @param type A #vmhi_cred_type.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_cred_type_name(vmhi_cred_type type);
/** @brief The credential type named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_cred_type_from_name(const char *name, vmhi_cred_type *out);
/** @brief Name of an affect flag set ("current", "live", "config", "live+config").  @param flags #vmhi_affect bits.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_affect_name(unsigned int flags);
/** @brief The affect flags named @p name.  @param name The name.  @param[out] out The bits.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_affect_from_name(const char *name, unsigned int *out);

/**
 * @brief Loads one backend module file explicitly (normally modules are
 *        found by scanning the module directories).
 * @param path Path to a shared object exporting `vmhi_backend_entry`.
 * @return #VMHI_OK (also when already loaded); #VMHI_E_INVALID_ARG;
 *         #VMHI_E_MODULE with the reason (not loadable, missing entry
 *         symbol, ABI version 0, newer major, short ops table...).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_module_load(const char *path);

VMHI_END_DECLS

#endif /* VMHI_CONN_H */
