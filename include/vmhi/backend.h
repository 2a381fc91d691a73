/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/backend.h
 * @brief The backend module ABI: what a hypervisor vendor builds against.
 *
 * A backend is a shared object that exports one symbol,
 * `vmhi_backend_entry` (#vmhi_backend_entry_fn).  The core calls it once
 * after dlopen() with a table of core services (#vmhi_core_services) and
 * receives a pointer to a `const` operations table (#vmhi_backend_ops)
 * that lives as long as the module.
 *
 * Contract, in short (the VMHI specification has the normative text):
 *  - The ops table starts with #VMHI_BACKEND_ABI_VERSION and
 *    `sizeof(vmhi_backend_ops)` as the module saw it.  The core refuses a
 *    table whose ABI version is 0, whose major is newer than its own, or
 *    whose size is smaller than #VMHI_BACKEND_OPS_SIZE_1_0.
 *  - Slots may be NULL: the call then fails with #VMHI_E_UNSUPPORTED and
 *    vmhi_conn_get_op_caps() reports it absent.  Slots added in later
 *    minor versions are used only when the table is big enough to hold them.
 *  - The core allocates @ref vmhi_backend_ops.conn_priv_size zeroed bytes
 *    per connection and passes them to every call as `priv`.
 *  - open() returns #VMHI_BACKEND_OPEN_SUCCESS, #VMHI_BACKEND_OPEN_DECLINED
 *    (not my URI; the next backend is tried) or a negative #vmhi_error_code.
 *  - Every other slot returns #VMHI_OK or a negative #vmhi_error_code and
 *    reports details with #vmhi_core_services.set_error.
 *  - Arguments reaching a slot are already checked by the core (non-NULL,
 *    syntactically valid UUIDs, names, ids, flags and configs within host
 *    limits).  Backends check what only they can: existence and state.
 *  - Unless @ref vmhi_backend_ops.flags has #VMHI_BACKEND_FLAG_THREADSAFE,
 *    the core serializes all calls on one connection.  No slot is
 *    expected to block for long: shutdown() only requests, and the core
 *    waits for shutoff itself without holding the connection lock.
 *  - Values a backend cannot honour are declared by get_value_caps(); the
 *    core refuses undeclared values before a slot sees them.
 *  - Child processes: a module reaps only the pids it started (never
 *    waitpid(-1)) and copes with ECHILD when the application has reaped
 *    them first.
 *  - A module may call the public VMHI API (config accessors and
 *    serializers in particular); it links against libvmhi.
 *
 * In-tree backends, the built-in `test` backend included, use exactly this
 * header and this contract.
 */
#ifndef VMHI_BACKEND_H
#define VMHI_BACKEND_H

#include <stdarg.h>

#include "vmhi.h"

VMHI_BEGIN_DECLS

/** @brief Major version of the backend ABI; bumped only on incompatible change. */
#define VMHI_BACKEND_ABI_MAJOR 1
/** @brief Minor version of the backend ABI; bumped when tables grow. */
#define VMHI_BACKEND_ABI_MINOR 0
/** @brief Encoded ABI version: major in the high 16 bits, minor in the low 16. */
#define VMHI_BACKEND_ABI_VERSION ((uint32_t)((VMHI_BACKEND_ABI_MAJOR << 16) | VMHI_BACKEND_ABI_MINOR))
/** @brief Name of the symbol every module exports. */
#define VMHI_BACKEND_ENTRY_SYMBOL "vmhi_backend_entry"

/** @brief open() result: the backend serves this URI. */
#define VMHI_BACKEND_OPEN_SUCCESS 0
/** @brief open() result: not this backend's URI; try the next one. */
#define VMHI_BACKEND_OPEN_DECLINED 1

/** @brief Ops flag: slots may be called concurrently on one connection. */
#define VMHI_BACKEND_FLAG_THREADSAFE (1u << 0)

/**
 * @brief A parsed connection URI as handed to open().  Strings are owned
 *        by the core and valid until close().
 * @since 1.0
 */
typedef struct vmhi_backend_uri {
    uint32_t struct_size;               /**< sizeof as the core built it. */
    const char *uri;                    /**< The whole URI, normalized, no password. */
    const char *scheme;                 /**< "kvm", "esx", ... (lower case). */
    const char *user;                   /**< User part, or NULL. */
    const char *host;                   /**< Host, or NULL ("" never). */
    int port;                           /**< Port, or 0 when absent. */
    const char *path;                   /**< Path, percent-decoded; "/" at least. */
    size_t nparams;                     /**< Number of query parameters. */
    const char *const *param_names;     /**< Decoded names. */
    const char *const *param_values;    /**< Decoded values ("" when absent). */
} vmhi_backend_uri;

/**
 * @brief Identity of a VM as a backend reports it.  The core zeroes it and
 *        sets @ref struct_size before a slot fills it; fields added later
 *        are filled only when @ref struct_size covers them.
 * @since 1.0
 */
typedef struct vmhi_backend_vm_ref {
    uint32_t struct_size;            /**< sizeof as the core allocated it. */
    char uuid[VMHI_UUID_STRLEN + 1]; /**< Lower-case canonical UUID. */
    char name[VMHI_NAME_MAX + 1];    /**< Name. */
} vmhi_backend_vm_ref;

/**
 * @brief An event as a backend emits it.  Strings are copied by the core.
 * @since 1.0
 */
typedef struct vmhi_backend_event {
    uint32_t struct_size;       /**< sizeof(vmhi_backend_event). */
    vmhi_event_type type;       /**< One #vmhi_event_type. */
    const char *uuid;           /**< The VM's UUID. */
    const char *name;           /**< The VM's name. */
    vmhi_vm_state state;        /**< New state (lifecycle). */
    vmhi_state_reason reason;   /**< Reason (lifecycle). */
    const char *device_id;      /**< Device id (device events), else NULL. */
    uint64_t value;             /**< Memory MiB or vCPU count, else 0. */
} vmhi_backend_event;

/** @brief A copy of a thread's last error; see vmhi_core_services.error_save.  Opaque. */
typedef struct vmhi_saved_error vmhi_saved_error;

/**
 * @brief Services the core offers every module.  Only grows at the end;
 *        check @ref struct_size before using a field added after 1.0.
 * @since 1.0
 */
typedef struct vmhi_core_services {
    uint32_t abi_version;  /**< #VMHI_BACKEND_ABI_VERSION of the core. */
    uint32_t struct_size;  /**< sizeof(vmhi_core_services) in the core. */
    /** Sets the calling thread's last error; returns @p code for convenience.
     *  @p native is the backend's own code or fault name, or NULL. */
    int (*set_error)(int code, const char *native, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /** Queues an event for the connection's subscribers; callable from any thread. */
    void (*emit_event)(vmhi_conn *conn, const vmhi_backend_event *ev);
    /** Logs through the application's callback, if any. */
    void (*log)(vmhi_conn *conn, int level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /** Asks the application for a credential; returns 0 or #VMHI_E_AUTH. */
    int (*get_credential)(vmhi_conn *conn, vmhi_cred_type type, const char *prompt,
                          char *buf, size_t buflen);
    /** Reports progress of a long operation to the application. */
    void (*progress)(vmhi_conn *conn, const char *operation, int percent);
    /** The per-request timeout the application asked for; 0 = backend default. */
    unsigned int (*timeout_ms)(vmhi_conn *conn);
    /** Allocation hooks (the core may inject failures in tests). */
    void *(*alloc)(size_t size);
    /** Frees memory from @ref alloc. */
    void (*dealloc)(void *ptr);
    /** set_error() taking a va_list, for a module's own error helpers. */
    int (*set_error_v)(int code, const char *native, const char *fmt, va_list ap)
#if defined(__GNUC__) || defined(__clang__)
        __attribute__((format(printf, 3, 0)))
#endif
        ;
    /** Copies the calling thread's last error (code, message, native code)
     *  so that clean-up calls may overwrite it; NULL when out of memory.
     *  Pass the copy to @ref error_restore or @ref error_discard. */
    vmhi_saved_error *(*error_save)(void);
    /** Makes a saved error the calling thread's last error again and frees
     *  the copy; returns its code (#VMHI_E_NOMEM for NULL). */
    int (*error_restore)(vmhi_saved_error *saved);
    /** Frees a saved error without restoring it.  Accepts NULL. */
    void (*error_discard)(vmhi_saved_error *saved);
} vmhi_core_services;

/** @brief Receives one VM from list_vms(); returns 0 or a negative error to stop. */
typedef int (*vmhi_backend_list_add)(void *ctx, const vmhi_backend_vm_ref *vm,
                                     vmhi_vm_state state, int persistent);
/** @brief Receives one vCPU from get_vcpus(); returns 0 or a negative error to stop. */
typedef int (*vmhi_backend_vcpu_add)(void *ctx, const vmhi_vcpu_info *info);
/** @brief Receives one device from list_devices(); strings are copied. */
typedef int (*vmhi_backend_device_add)(void *ctx, const vmhi_device_info *info);

/**
 * @brief The operations table a module returns.  Only grows at the end.
 * @since 1.0
 */
typedef struct vmhi_backend_ops {
    uint32_t abi_version;        /**< #VMHI_BACKEND_ABI_VERSION the module was built with. */
    uint32_t struct_size;        /**< sizeof(vmhi_backend_ops) the module was built with. */
    const char *name;            /**< Backend name, e.g. "kvm". */
    const char *const *schemes;  /**< NULL-terminated URI schemes it serves. */
    uint32_t profiles;           /**< #vmhi_profile bits it claims. */
    uint32_t flags;              /**< #VMHI_BACKEND_FLAG_THREADSAFE... */
    size_t conn_priv_size;       /**< Bytes of per-connection state the core allocates. */
    const char *version;         /**< The module's own version string. */

    /** Opens a connection; see #VMHI_BACKEND_OPEN_SUCCESS. */
    int (*open)(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri);
    /** Releases everything open() acquired.  Always called after a successful open(). */
    void (*close)(void *priv);
    /** Fills host facts (core pre-initializes @p info). */
    int (*get_host_info)(void *priv, vmhi_host_info *info);
    /** Refines capabilities; NULL means "supported with live and config iff the slot is set". */
    int (*get_op_caps)(void *priv, vmhi_op op, unsigned int *caps);
    /** Reads a limit; #VMHI_E_UNSUPPORTED if unknown. */
    int (*get_limit)(void *priv, vmhi_limit limit, uint64_t *value);
    /** Reports every VM through @p add. */
    int (*list_vms)(void *priv, vmhi_backend_list_add add, void *ctx);
    /** Finds one VM by @p name or @p uuid (exactly one is non-NULL). */
    int (*lookup)(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
    /** Defines (or updates) a persistent VM; @p cfg is validated, has a
     *  UUID and uses only declared values.  @p flags: reserved (0 in 1.0). */
    int (*define)(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
                  vmhi_backend_vm_ref *out);
    /** Removes a definition (and a suspended VM's saved image).  @p flags: 0 in 1.0. */
    int (*undefine)(void *priv, const char *uuid, unsigned int flags);
    /** Creates and starts a transient VM. */
    int (*create)(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
                  vmhi_backend_vm_ref *out);
    /** Starts (or restores) a VM. */
    int (*start)(void *priv, const char *uuid, unsigned int flags);
    /** Requests a graceful shutdown with the #vmhi_shutdown_method in
     *  @p flags and returns at once (state shutting-down, or shutoff if the
     *  guest was quick); the core does any waiting. */
    int (*shutdown)(void *priv, const char *uuid, unsigned int flags);
    /** Hard power-off; from suspended it discards the saved image. */
    int (*poweroff)(void *priv, const char *uuid, unsigned int flags);
    /** Graceful reboot. */
    int (*reboot)(void *priv, const char *uuid, unsigned int flags);
    /** Hard reset. */
    int (*reset)(void *priv, const char *uuid, unsigned int flags);
    /** Pause.  @p flags: 0 in 1.0. */
    int (*pause)(void *priv, const char *uuid, unsigned int flags);
    /** Resume.  @p flags: 0 in 1.0. */
    int (*resume)(void *priv, const char *uuid, unsigned int flags);
    /** Suspend to disk. */
    int (*suspend)(void *priv, const char *uuid, unsigned int flags);
    /** Fills runtime facts (core pre-initializes @p info). */
    int (*get_info)(void *priv, const char *uuid, vmhi_vm_info *info);
    /** Returns a new config the caller frees.  @p flags is
     *  #VMHI_AFFECT_CURRENT, #VMHI_AFFECT_LIVE or #VMHI_AFFECT_CONFIG (never
     *  both; the core checked them against get_op_caps); the backend answers
     *  #VMHI_E_INVALID_STATE for LIVE on an inactive VM and CONFIG on a
     *  transient one.  DEFAULT bus and model values come back resolved. */
    int (*get_config)(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);
    /** Sets current memory. */
    int (*set_memory)(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
    /** Sets maximum memory. */
    int (*set_max_memory)(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
    /** Fills memory stats (core pre-initializes every field to UINT64_MAX). */
    int (*get_memory_stats)(void *priv, const char *uuid, vmhi_memory_stats *stats);
    /** Sets the vCPU count. */
    int (*set_vcpus)(void *priv, const char *uuid, unsigned int count, unsigned int flags);
    /** Reports each vCPU through @p add. */
    int (*get_vcpus)(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx);
    /** Attaches a disk; writes the id it got into @p id (#VMHI_DEVICE_ID_MAX + 1 bytes). */
    int (*attach_disk)(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                       char *id);
    /** Detaches a disk; sets @p completion. */
    int (*detach_disk)(void *priv, const char *uuid, const char *id, unsigned int flags,
                       vmhi_completion *completion);
    /** Attaches a NIC. */
    int (*attach_nic)(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                      char *id);
    /** Detaches a NIC. */
    int (*detach_nic)(void *priv, const char *uuid, const char *id, unsigned int flags,
                      vmhi_completion *completion);
    /** Reports each device through @p add. */
    int (*list_devices)(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx);
    /** Tells the backend which event types now have subscribers (0 = none). */
    int (*events_enable)(void *priv, unsigned int mask);

    /* ---- Optional slots after the 1.0 minimum (VMHI_BACKEND_OPS_SIZE_1_0):
     * a table that ends before one reads as NULL there. */

    /**
     * Narrows #profiles for this connection, e.g. a URI form whose host is
     * volatile cannot claim Persistence.  The core reports
     * `profiles & *out`: a connection never claims more than the module.
     * NULL: every connection claims #profiles.
     */
    int (*get_profiles)(void *priv, uint32_t *out);

    /**
     * Narrows the values of @p kind this connection accepts (see
     * vmhi_conn_get_value_caps()).  The core pre-fills @p values with every
     * 1.0 value of the kind and keeps the default value set whatever the
     * slot clears.  NULL: every value is accepted.
     */
    int (*get_value_caps)(void *priv, vmhi_value_kind kind, uint64_t *values);
} vmhi_backend_ops;

/** @brief Smallest ops table the 1.0 core accepts: everything up to events_enable. */
#define VMHI_BACKEND_OPS_SIZE_1_0 \
    (offsetof(vmhi_backend_ops, events_enable) + sizeof(int (*)(void *, unsigned int)))

/**
 * @brief Type of the entry symbol `vmhi_backend_entry`.
 * @param core The core's services; valid for the life of the process.
 * @param[out] ops The module's operations table.
 * @return 0, or a negative #vmhi_error_code to refuse loading (for
 *         example when @p core is too old for the module).
 * @since 1.0
 */
typedef int (*vmhi_backend_entry_fn)(const vmhi_core_services *core, const vmhi_backend_ops **ops);

/** @brief Put this before the module's entry function to export it. */
#if defined(__GNUC__) || defined(__clang__)
#define VMHI_BACKEND_EXPORT __attribute__((visibility("default")))
#else
#define VMHI_BACKEND_EXPORT
#endif

VMHI_END_DECLS

#endif /* VMHI_BACKEND_H */
