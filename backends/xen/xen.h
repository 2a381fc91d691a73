/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the `xen` backend module: VMs are Xen domains
 * that the backend builds and drives through libxl (libxenlight), the
 * library xl is made of, on the dom0 it runs in.
 *
 *  - xen_entry.c     ops table, entry symbol, open/close, host facts,
 *                    limits, value and operation caps
 *  - xen_host.c      the host: one per process and state directory, shared
 *                    by its connections; libxl context, VM table, locking,
 *                    errors, the libxl logger
 *  - xen_store.c     state directory, its lock, atomic files, definitions
 *                    and runtime records
 *  - xen_domcfg.c    the codec: a VMHI description as a libxl_domain_config
 *                    (PV, direct kernel boot, phy disks, bridged vifs)
 *  - xen_lifecycle.c list, lookup, define, undefine, create, start,
 *                    shutdown, poweroff, reboot, reset, pause, resume,
 *                    suspend (save) and restore
 *  - xen_resources.c info, config, memory, vCPUs
 *  - xen_devices.c   disk and NIC attach/detach/list
 *  - xen_events.c    the event thread: libxl's fds and timeouts (the
 *                    beforepoll/afterpoll interface), domain death events,
 *                    libxl's children (fork_replacement, reaped by pid)
 *
 * Locking: one mutex per host guards the VM table and every VM.  Slots
 * hold it for the whole call, libxl calls included: libxl does its own
 * waiting on its own fds in the calling thread.  The event thread polls
 * libxl's fds without the lock and takes it only to act on an event.
 */
#ifndef VMHI_XEN_H
#define VMHI_XEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>

#include "vmhi/backend.h"

#if defined(__GNUC__) || defined(__clang__)
#define XEN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define XEN_PRINTF(a, b)
#endif

/* ---- limits ----------------------------------------------------------- */

#define XEN_MAX_VCPUS 64u             /* a PV guest's vCPU limit we certify */
#define XEN_MIN_MEMORY_MIB 16u
#define XEN_MAX_DISKS 16u             /* xvda..xvdp */
#define XEN_MAX_NICS 8u
#define XEN_MAX_VMS 1024u
#define XEN_BACKEND_VERSION "1.0.0"
#define XEN_DEFAULT_STATE_DIR "/var/lib/vmhi/xen"
#define XEN_NO_DOMID ((uint32_t)INVALID_DOMID)

/* ---- the VM table --------------------------------------------------------- */

typedef struct xen_vm {
    struct xen_vm *next;
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_config *def;      /* persistent definition; NULL when transient */
    vmhi_vm_config *live;     /* configuration of the running domain; NULL when inactive */
    uint32_t domid;           /* XEN_NO_DOMID when no domain exists */
    libxl_evgen_domain_death *death; /* domain death events of domid */
    vmhi_vm_state state;
    vmhi_state_reason reason;
    bool destroying;          /* our own destroy/suspend: its shutdown is not news */
} xen_vm;

typedef struct xen_conn xen_conn;

typedef struct xen_host {
    pthread_mutex_t lock;     /* the VM table, every VM, the connection list */
    char *state_dir;          /* definitions (<uuid>.xml), saves (<uuid>.save) */
    char *run_dir;            /* runtime records of active VMs (<uuid>.xml) */
    int lock_fd;              /* flock: one managing process per state dir */
    unsigned refs;            /* connections attached */
    pthread_mutex_t conns_lock; /* conns; taken alone or inside lock */
    xen_conn *conns;
    libxl_ctx *ctx;
    xentoollog_logger *logger;
    struct xs_handle *xs;     /* xenstore: what the guest announces (xen_guest_has) */
    xen_vm *vms;
    size_t nvms;
    uint32_t next_mac;
    /* event thread */
    pthread_t thread;
    bool thread_started;
    int wake[2];              /* self-pipe of the event thread: stop */
    pthread_t reaper;         /* reaps libxl's children; never takes lock */
    int reap_wake[2];         /* self-pipe of the reaper: new child, stop */
    bool stop;
    pthread_mutex_t kids_lock; /* libxl's children (fork_replacement) */
    pid_t *kids;
    size_t nkids, kids_cap;
    libxl_childproc_hooks child_hooks;
} xen_host;

/* One connection (the core's priv bytes). */
struct xen_conn {
    xen_conn *next;
    vmhi_conn *conn;
    xen_host *host;
    char *kernel;             /* URI kernel=: default direct boot for VMs without one */
    char *initrd;             /* URI initrd= */
    char *cmdline;            /* URI cmdline= */
};

/* ---- xen_host.c ------------------------------------------------------------ */

extern const vmhi_core_services *xen_core;

int xen_error_native(int code, const char *native, const char *fmt, ...) XEN_PRINTF(3, 4);
#define xen_error(code, ...) xen_error_native((code), NULL, __VA_ARGS__)
/* Reports a failed libxl call: the code mapped to VMHI's, libxl's error
 * name as the native code, and libxl's own last error line in the text. */
int xen_libxl_error(int lrc, const char *fmt, ...) XEN_PRINTF(2, 3);
char *xen_asprintf(const char *fmt, ...) XEN_PRINTF(1, 2);
char *xen_strdup(const char *s);
void *xen_alloc(size_t size);
void xen_free(void *p);
void xen_log(xen_host *h, int level, const char *fmt, ...) XEN_PRINTF(3, 4);

/* Attaches @c to the host of @state_dir, making it on first use. */
int xen_host_attach(xen_conn *c, const char *state_dir);
void xen_host_detach(xen_conn *c);
/* Takes the host lock for a slot of @c: libxl's log lines and progress
 * during the call go to @c.  xen_unlock() returns @rc, keeping the error
 * the slot reported as the thread's last error. */
void xen_lock(xen_conn *c);
int xen_unlock(xen_conn *c, int rc);

/* Whether the guest of domain @domid has written "1" to the xenstore key
 * @key under its own directory (e.g. "control/feature-suspend"). */
bool xen_guest_has(xen_host *h, uint32_t domid, const char *key);
/* Asks the guest of @domid to "poweroff" or "reboot": the PV control
 * request, control/shutdown in xenstore, which the guest removes when it
 * acts.  Unlike libxl_domain_shutdown() and _reboot(), it does not wait
 * (up to 60 s) for that acknowledgement: a guest that ignores requests
 * leaves the VM shutting-down (LC-SHUTDOWN-1, -7), and a VMHI call
 * never blocks the host for it. */
int xen_guest_request(xen_host *h, uint32_t domid, const char *request);

xen_vm *xen_find_uuid(xen_host *h, const char *uuid);
xen_vm *xen_find_name(xen_host *h, const char *name);
/* Like xen_find_uuid(), VMHI_E_NO_VM naming @uuid when there is none. */
int xen_get_vm(xen_host *h, const char *uuid, xen_vm **out);
xen_vm *xen_find_domid(xen_host *h, uint32_t domid);
int xen_vm_add(xen_host *h, const char *uuid, const char *name, xen_vm **out);
void xen_vm_remove(xen_host *h, xen_vm *vm);
bool xen_state_active(vmhi_vm_state st);
/* LIVE and/or CONFIG for @flags (CURRENT by the VM's state); INVALID_STATE
 * for LIVE on an inactive VM or CONFIG on a transient one.  @what names
 * the change in the message ("memory change"). */
int xen_resolve_affect(const xen_vm *vm, unsigned int flags, const char *what,
                       unsigned int *out);
/* Replaces @vm's definition by @def, on disk first, and emits DEFINED; takes
 * @def either way. */
int xen_vm_set_def(xen_host *h, xen_vm *vm, vmhi_vm_config *def);
/* Replaces @vm's live configuration by @live (taken) and records it. */
void xen_vm_set_live(xen_host *h, xen_vm *vm, vmhi_vm_config *live);

/* Emits an event of @type about @vm to every connection of the host. */
void xen_emit(xen_host *h, const xen_vm *vm, vmhi_event_type type, const char *device_id,
              uint64_t value);
/* Moves @vm to @state/@reason and emits LIFECYCLE.  Reaching an inactive
 * state drops the live config and runtime record; a transient VM that
 * reaches shutoff is removed (then @vm is gone). */
void xen_transition(xen_host *h, xen_vm *vm, vmhi_vm_state state, vmhi_state_reason reason);

/* ---- xen_store.c --------------------------------------------------------- */

int xen_store_init(xen_host *h);      /* directories and lock */
void xen_store_fini(xen_host *h);
int xen_store_save_def(xen_host *h, const char *uuid, const vmhi_vm_config *def);
int xen_store_remove_def(xen_host *h, const char *uuid);
int xen_store_save_run(xen_host *h, const xen_vm *vm);
void xen_store_remove_run(xen_host *h, const char *uuid);
char *xen_store_save_path(xen_host *h, const char *uuid);
bool xen_store_has_save(xen_host *h, const char *uuid);
/* The image and the saved live configuration. */
void xen_store_remove_save(xen_host *h, const char *uuid);
int xen_store_save_suspended(xen_host *h, const char *uuid, const vmhi_vm_config *live);
/* The live configuration saved with the image, or NULL (logged). */
vmhi_vm_config *xen_store_load_suspended(xen_host *h, const char *uuid);
/* Loads definitions and runtime records and matches them with the
 * domains libxl lists (a host re-made after its last connection closed). */
int xen_store_load(xen_host *h);

/* ---- xen_domcfg.c ------------------------------------------------------- */

/* What the host stores for @cfg: DEFAULT bus and model resolved (XEN,
 * XEN), disk targets given (xvda...), MACs given.  Sets the last error. */
int xen_config_prepare(xen_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out);
/* The libxl domain of @cfg; @c supplies the default kernel.  Caller
 * disposes @dc.  Sets the last error (NOT_FOUND for a missing kernel). */
int xen_domcfg_build(const xen_conn *c, const vmhi_vm_config *cfg, libxl_domain_config *dc);
/* A device as the host stores it, named @id: a disk on bus XEN with its
 * target or the first xvd name neither @a nor @b has; a NIC of model XEN
 * with its MAC or a new one (xen_next_mac, against @cfg).  Sets the last
 * error. */
int xen_disk_resolve(const vmhi_vm_config *a, const vmhi_vm_config *b, const vmhi_disk *disk,
                     const char *id, vmhi_disk **out);
int xen_nic_resolve(xen_host *h, const vmhi_vm_config *cfg, const vmhi_nic *nic, const char *id,
                    vmhi_nic **out);
int xen_disk_build(const vmhi_disk *disk, libxl_device_disk *out);
int xen_nic_build(const vmhi_nic *nic, int devid, libxl_device_nic *out);
/* A free xvd name for a new disk of @cfg (buffer of 8 bytes). */
void xen_disk_next_target(const vmhi_vm_config *a, const vmhi_vm_config *b, char out[8]);
void xen_next_mac(xen_host *h, const vmhi_vm_config *cfg, char mac[18]);
/* Copies @cfg's disks/NICs, replacing the one with @id (NULL: none) by
 * @disk/@nic (NULL: removing it).  Sets the last error. */
int xen_config_with_disk(const vmhi_vm_config *cfg, const char *id, const vmhi_disk *disk,
                         vmhi_vm_config **out);
int xen_config_with_nic(const vmhi_vm_config *cfg, const char *id, const vmhi_nic *nic,
                        vmhi_vm_config **out);
int xen_nic_index(const vmhi_vm_config *cfg, const char *id);

/* ---- xen_lifecycle.c ------------------------------------------------------- */

int xen_list_vms(void *priv, vmhi_backend_list_add add, void *ctx);
int xen_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
int xen_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out);
int xen_undefine(void *priv, const char *uuid, unsigned int flags);
int xen_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out);
int xen_start(void *priv, const char *uuid, unsigned int flags);
int xen_shutdown(void *priv, const char *uuid, unsigned int flags);
int xen_poweroff(void *priv, const char *uuid, unsigned int flags);
int xen_reboot(void *priv, const char *uuid, unsigned int flags);
int xen_reset(void *priv, const char *uuid, unsigned int flags);
int xen_pause(void *priv, const char *uuid, unsigned int flags);
int xen_resume(void *priv, const char *uuid, unsigned int flags);
int xen_suspend(void *priv, const char *uuid, unsigned int flags);
/* Destroys @vm's domain (if any) and forgets its domid; keeps the state. */
int xen_destroy_domain(xen_host *h, xen_vm *vm);
/* Builds and starts a domain for @vm->live (paused if @paused). */
int xen_boot_domain(xen_conn *c, xen_vm *vm, bool paused);
/* The guest rebooted: a new domain of the same live config. */
void xen_reboot_domain(xen_host *h, xen_vm *vm);

/* ---- xen_resources.c ------------------------------------------------------- */

int xen_get_info(void *priv, const char *uuid, vmhi_vm_info *info);
int xen_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);
int xen_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int xen_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int xen_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats);
int xen_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags);
int xen_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx);
/* A copy of @cfg with other memory / vCPU values.  Sets the last error. */
int xen_config_with_sizes(const vmhi_vm_config *cfg, uint64_t mem, uint64_t max_mem,
                          unsigned int vcpus, vmhi_vm_config **out);

/* ---- xen_devices.c ------------------------------------------------------ */

int xen_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id);
int xen_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion);
int xen_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id);
int xen_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion);
int xen_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx);

/* ---- xen_events.c -------------------------------------------------------- */

int xen_events_start(xen_host *h);
void xen_events_stop(xen_host *h);
void xen_events_close_pipes(xen_host *h);
/* Watches @vm's domain for its shutdown and death. */
void xen_watch_domain(xen_host *h, xen_vm *vm);
void xen_unwatch_domain(xen_host *h, xen_vm *vm);
/* The libxl child-process hooks (set before the context has children). */
void xen_children_setup(xen_host *h);

#endif /* VMHI_XEN_H */
