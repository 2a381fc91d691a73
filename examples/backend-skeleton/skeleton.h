/*
 * VMHI backend skeleton - a starting point for a vendor's backend module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared declarations of the skeleton's source files:
 *
 *   skeleton_entry.c   the ops table, the entry symbol, open/close, host
 *                      facts, limits and the values the host accepts
 *                      (connection-level slots)
 *   skeleton_vms.c     the VM table: list, lookup, define, undefine,
 *                      get_info, get_config
 *   skeleton_power.c   start and poweroff, and the one function through
 *                      which every state change goes (so that each emits
 *                      its event)
 *   skeleton_config.c  helpers over the public config model (copies that
 *                      resolve DEFAULT buses and models, MAC addresses for
 *                      NICs defined without one)
 *
 * The "hypervisor" is an in-memory table private to each connection, like
 * the built-in test:///default.  A real backend replaces the table with
 * calls to its hypervisor's API; the structure - what each slot checks,
 * which error code it returns, which event it emits - stays the same.
 * docs/porting.md in the VMHI sources explains every step.
 */
#ifndef SKELETON_H
#define SKELETON_H

#include <stddef.h>
#include <stdint.h>

#include <vmhi/backend.h>

/* ---- facts about the simulated host ------------------------------------
 * Reported through get_host_info() and get_limit().  The core enforces the
 * limits on every description before define() sees it (MOD-11, CAP-7), so
 * the slots below never check vCPU counts or memory sizes themselves. */
#define SK_HYPERVISOR "Skeleton"
#define SK_HYPERVISOR_VERSION "0.1.0"
#define SK_BACKEND_VERSION "0.1.0"
#define SK_HOST_CPUS 4u
#define SK_HOST_MEMORY_MIB 8192u
#define SK_MAX_VCPUS 16u
#define SK_MIN_MEMORY_MIB 16u
#define SK_MAX_MEMORY_MIB 8192u
#define SK_MAX_DISKS 16u
#define SK_MAX_NICS 8u
#define SK_MAX_VMS 256u

/* The core's services, kept from the entry call; valid for the process. */
extern const vmhi_core_services *sk_core;

/* Reports a failure through the core and returns @code, so that a slot can
 * `return sk_error(VMHI_E_NO_VM, "...")`.  The skeleton has no native
 * codes; a real backend passes its hypervisor's code or fault name as the
 * second argument of set_error ("InvalidPowerState", "errno 13"), which
 * applications read with vmhi_error_last_native() (ERR-6). */
#define sk_error(code, ...) sk_core->set_error((code), NULL, __VA_ARGS__)

/* One VM of the simulated host. */
typedef struct sk_vm {
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_config *def;      /* the definition; NULL when the VM is transient */
    vmhi_vm_config *live;     /* the running configuration; NULL when inactive */
    vmhi_vm_state state;
    vmhi_state_reason reason;
} sk_vm;

/* The per-connection private state.  The core allocates conn_priv_size
 * zeroed bytes for each connection and passes them to every slot as
 * `priv` (MOD-10): no globals, no allocation in open() for this struct. */
typedef struct sk_conn {
    vmhi_conn *conn;          /* for emit_event() and log() */
    sk_vm **vms;              /* the host's VMs, in definition order */
    size_t nvms;
    size_t cap;
    uint32_t next_mac;        /* suffix of the next generated MAC address */
} sk_conn;

/* ---- skeleton_vms.c ------------------------------------------------------ */

/* Finds a VM; NULL when there is none. */
sk_vm *sk_find_uuid(sk_conn *c, const char *uuid);
/* Like sk_find_uuid(), but reports VMHI_E_NO_VM naming @uuid. */
int sk_get_vm(sk_conn *c, const char *uuid, sk_vm **out);
/* Removes @vm from the table and frees it. */
void sk_remove_vm(sk_conn *c, sk_vm *vm);
/* Frees every VM (close()). */
void sk_free_all(sk_conn *c);
/* Whether @state is active (running, paused, shutting-down). */
int sk_state_is_active(vmhi_vm_state state);

/* ---- skeleton_power.c ---------------------------------------------------- */

/* Moves @vm to @state / @reason and emits the LIFECYCLE event (EV-2).
 * Reaching shutoff drops the live configuration and removes a transient
 * VM altogether (LC-GEN-5): @vm must not be used afterwards then. */
void sk_transition(sk_conn *c, sk_vm *vm, vmhi_vm_state state, vmhi_state_reason reason);
/* Emits an event of @type about @vm, with its current state and reason. */
void sk_emit(sk_conn *c, const sk_vm *vm, vmhi_event_type type);

/* ---- skeleton_config.c --------------------------------------------------- */

/* The concrete choices this host makes for VMHI_DISK_BUS_DEFAULT and
 * VMHI_NIC_MODEL_DEFAULT: its paravirtual bus and NIC (CFG-12).  They must
 * be values sk_get_value_caps() declares. */
#define SK_DEFAULT_DISK_BUS VMHI_DISK_BUS_VIRTIO
#define SK_DEFAULT_NIC_MODEL VMHI_NIC_MODEL_VIRTIO

/* Copies @cfg into *@out the way the host stores it: every DEFAULT disk
 * bus and NIC model resolved to the host's choice (CFG-12), every NIC
 * without a MAC address given one that no other NIC of the VM has (CFG-4);
 * everything else - guest type, kernel, disk targets, metadata - exactly
 * as given (CFG-10, CFG-13, CFG-18).  On failure the core's last error is
 * set and *@out is NULL. */
int sk_config_prepare(sk_conn *c, const vmhi_vm_config *cfg, vmhi_vm_config **out);

/* ERR-15: the kernel and initrd a direct-boot description names exist on
 * the host, checked when the VM starts (the files may appear after
 * define).  VMHI_E_NOT_FOUND naming the missing file otherwise. */
int sk_check_boot_files(const vmhi_vm_config *cfg);

/* ---- the slots (the ops table in skeleton_entry.c points at them) -------- */

int sk_list_vms(void *priv, vmhi_backend_list_add add, void *ctx);
int sk_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
int sk_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out);
int sk_undefine(void *priv, const char *uuid, unsigned int flags);
int sk_get_info(void *priv, const char *uuid, vmhi_vm_info *info);
int sk_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);
int sk_start(void *priv, const char *uuid, unsigned int flags);
int sk_poweroff(void *priv, const char *uuid, unsigned int flags);

#endif /* SKELETON_H */
