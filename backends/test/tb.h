/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the built-in `test` backend, shared by its
 * files.  The backend simulates a small hypervisor ("host") in memory:
 *
 *  - tb_entry.c      ops table, entry function, open/close, host facts
 *  - tb_host.c       hosts (shared per directory), VM table, state changes, events
 *  - tb_store.c      persistence of a host to a directory (test:///<dir>)
 *  - tb_guest.c      the simulated guest: delayed completions on a worker thread
 *  - tb_config.c     helpers over the public config model (ids, MACs, copies)
 *  - tb_lifecycle.c  list, lookup, define, create, start, stop, pause...
 *  - tb_resources.c  info, config, memory and vCPUs
 *  - tb_devices.c    disk and NIC attach, detach and listing
 *
 *  - tb_values.c     the refuse= and lie= URI parameters and get_value_caps
 *
 * Locking: every tb_host has one mutex.  Every slot takes it for its whole
 * duration, so a slot sees and leaves the host consistent; events are
 * emitted while it is held so that they reach the core in the order the
 * changes happened.  The guest worker thread takes the same mutex.  No
 * slot waits for the guest: shutdown only requests, the core polls.
 */
#ifndef VMHI_TB_H
#define VMHI_TB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmhi/backend.h"

/* ---- host facts and limits (documented in tb_entry.c) ---------------- */

#define TB_HOST_CPUS 8u
#define TB_HOST_MEMORY_MIB 16384u
#define TB_MAX_VCPUS 64u
#define TB_MIN_MEMORY_MIB 16u
#define TB_MAX_MEMORY_MIB 16384u
#define TB_MEMORY_GRANULARITY_MIB 1u
#define TB_MAX_DISKS 64u
#define TB_MAX_NICS 32u
#define TB_MAX_VMS 1024u
/* How long a cooperative guest takes to act on a request. */
#define TB_GUEST_DELAY_NS (20u * 1000u * 1000u)

/* The core's services, kept from the entry call (valid for the process). */
extern const vmhi_core_services *tb_core;

#if defined(__GNUC__) || defined(__clang__)
#define TB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TB_PRINTF(a, b)
#endif

/* Reports an error through the core; returns @code.  @native is the
 * backend's own code ("errno") or NULL. */
int tb_error_native(int code, const char *native, const char *fmt, ...) TB_PRINTF(3, 4);
#define tb_error(code, ...) tb_error_native((code), NULL, __VA_ARGS__)

/* How the simulated guest reacts to ACPI requests and device unplug. */
typedef enum tb_guest_mode {
    TB_GUEST_COOPERATIVE = 0, /* acts after TB_GUEST_DELAY_NS on the worker thread */
    TB_GUEST_UNRESPONSIVE,    /* ignores shutdown, reboot and unplug requests */
    TB_GUEST_INSTANT          /* acts before the call returns */
} tb_guest_mode;

/* A live device whose detach the guest has not completed yet. */
typedef struct tb_pending {
    vmhi_device_type type;
    char id[VMHI_DEVICE_ID_MAX + 1];
    struct tb_pending *next;
} tb_pending;

typedef struct tb_vm {
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_config *def;   /* persistent definition; NULL when transient */
    vmhi_vm_config *live;  /* running/saved config; NULL when shut off */
    vmhi_vm_state state;
    vmhi_state_reason reason;
    uint64_t epoch;        /* bumped on every state change; stale guest tasks compare it */
    uint64_t cpu_ns;       /* CPU time accumulated before run_since_ns */
    uint64_t run_since_ns; /* monotonic time the vCPUs last started running */
    tb_pending *pending;   /* live detaches waiting for the guest */
} tb_vm;

/* A deferred action of the simulated guest. */
typedef enum tb_task_kind {
    TB_TASK_SHUTDOWN, /* the guest powers itself off */
    TB_TASK_REBOOT,   /* the guest reboots */
    TB_TASK_RELEASE   /* the guest releases an unplugged device */
} tb_task_kind;

typedef struct tb_task {
    uint64_t due_ns;
    tb_task_kind kind;
    char uuid[VMHI_UUID_STRLEN + 1];
    uint64_t epoch;
    vmhi_device_type dev_type;
    char dev_id[VMHI_DEVICE_ID_MAX + 1];
    struct tb_task *next;
} tb_task;

struct tb_conn;

/* An open-addressing hash table of VMs (tb_index.c). */
typedef struct tb_index {
    struct tb_vm **slots;
    size_t cap;   /* a power of two, or 0 */
    size_t used;
    size_t tombs;
} tb_index;

typedef struct tb_host {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* wakes the guest worker */
    char *dir;               /* canonical directory, NULL for test:///default */
    pid_t pid;               /* process that created it: a fork()ed child must not share it */
    int lock_fd;             /* flock()ed <dir>/.lock, or -1 */
    unsigned refs;           /* connections using this host */
    struct tb_conn *conns;   /* those connections, for event delivery */
    tb_vm **vms;             /* definition order, for listings */
    size_t nvms, vms_cap;
    tb_index by_uuid;        /* the same VMs, hashed */
    tb_index by_name;
    tb_task *tasks;          /* sorted by due_ns */
    bool worker_started;
    bool worker_stop;
    pthread_t worker;
    uint32_t mac_counter;    /* next generated MAC suffix to try */
    struct tb_host *next;    /* in the process-wide list of directory hosts */
} tb_host;

/* The per-connection private state (conn_priv_size bytes, zeroed by the core). */
typedef struct tb_conn {
    vmhi_conn *conn;
    tb_host *host;
    tb_guest_mode guest;
    /* suspend=guest: a suspend needs the guest to take part (VMHI_CAP_GUEST,
     * as a Xen PV save), so an unresponsive guest makes it time out. */
    bool suspend_needs_guest;
    unsigned int event_mask;
    /* Per value kind, bits (1 << value): refuse= values are not declared
     * (the core refuses them); lie= values are declared but refused with
     * VMHI_E_UNSUPPORTED by the slots, on purpose (see tb_values.c). */
    uint64_t refused[VMHI_VALUE_KIND_COUNT_1_0];
    uint64_t lied[VMHI_VALUE_KIND_COUNT_1_0];
    struct tb_conn *next;
} tb_conn;

/* ---- tb_host.c ---------------------------------------------------------- */

/* Takes the host lock at the start of a slot / releases it at the end,
 * returning @rc. */
void tb_lock(tb_host *h);
int tb_unlock(tb_host *h, int rc);

void *tb_alloc(size_t size); /* zeroed; NULL after reporting VMHI_E_NOMEM */
void tb_free(void *ptr);
char *tb_strdup(const char *s);

/* Finds or creates the host for @dir (NULL: a fresh private host) and
 * attaches @c to it. */
int tb_host_attach(tb_conn *c, const char *dir);
/* Detaches @c; the last connection stops the worker and frees the host. */
void tb_host_detach(tb_conn *c);

/* ---- tb_index.c ---------------------------------------------------------- */

/* Makes room for one more VM (rebuilding from @vms when needed). */
int tb_index_reserve(tb_index *ix, tb_vm *const *vms, size_t nvms, bool by_name);
void tb_index_insert(tb_index *ix, tb_vm *vm, bool by_name);
void tb_index_remove(tb_index *ix, const tb_vm *vm, bool by_name);
tb_vm *tb_index_find(tb_index *ix, const char *key, bool by_name);
void tb_index_free(tb_index *ix);

tb_vm *tb_host_find_uuid(tb_host *h, const char *uuid);
tb_vm *tb_host_find_name(tb_host *h, const char *name);
/* Like tb_host_find_uuid(), but reports VMHI_E_NO_VM when absent. */
int tb_host_get_vm(tb_host *h, const char *uuid, tb_vm **out);
/* Appends @vm (takes ownership on success). */
int tb_host_add_vm(tb_host *h, tb_vm *vm);
/* Removes and frees @vm. */
void tb_host_remove_vm(tb_host *h, tb_vm *vm);
void tb_vm_free(tb_vm *vm);
/* Memory held by active VMs other than @except. */
uint64_t tb_host_memory_in_use(tb_host *h, const tb_vm *except);
/* VMHI_E_TRY_AGAIN unless @mib more fits next to the active VMs other than @vm. */
int tb_host_check_memory(tb_host *h, const tb_vm *vm, uint64_t mib);

/* States in which the VM's process exists (live changes apply). */
bool tb_state_is_active(vmhi_vm_state st);
/* VMHI_E_INVALID_STATE naming the current and the allowed states unless
 * vm->state is in @allowed (a mask of VMHI_STATE_BIT()s). */
int tb_require_state(const tb_vm *vm, const char *op, unsigned int allowed);
/* Resolves VMHI_AFFECT_CURRENT and checks the flags against the VM: LIVE
 * needs an active VM, CONFIG a persistent one.  Writes the resolved flags. */
int tb_resolve_affect(const tb_vm *vm, unsigned int flags, const char *what,
                      unsigned int *resolved);
uint64_t tb_now_ns(void);
uint64_t tb_vm_cpu_time(const tb_vm *vm);

/* Changes state, persists it and emits a lifecycle event.  Entering
 * SHUTOFF drops the live config (a suspended VM's saved image with it)
 * and, for a transient VM, frees @vm: callers must not use @vm afterwards
 * unless it stays active. */
void tb_vm_transition(tb_host *h, tb_vm *vm, vmhi_vm_state st, vmhi_state_reason why);

/* Writes @def and makes it @vm's definition (ownership passes on success). */
int tb_vm_replace_def(tb_host *h, tb_vm *vm, vmhi_vm_config *def);
/* The config that describes @vm now: live when it has one, else the definition. */
const vmhi_vm_config *tb_vm_current(const tb_vm *vm);

/* Emits an event to every connection of @h that enabled its type. */
void tb_emit(tb_host *h, const tb_vm *vm, vmhi_event_type type, const char *device_id,
             uint64_t value);

/* ---- tb_store.c --------------------------------------------------------- */

/* Creates @dir (0700) when missing and returns its canonical path;
 * VMHI_E_PERMISSION when it belongs to another user, group members may
 * write to it or others may enter it. */
int tb_store_prepare_dir(const char *dir, char **canonical);
/* Takes the inter-process lock of @h->dir (VMHI_E_BUSY when held elsewhere). */
int tb_store_lock(tb_host *h);
/* Loads every VM of @h->dir into @h. */
int tb_store_load(tb_host *h);
/* Writes @vm's definition (@def, which may differ from vm->def while a
 * change is being committed); no-op for in-memory hosts. */
int tb_store_save_def(tb_host *h, const tb_vm *vm, const vmhi_vm_config *def);
/* Writes @vm's runtime state; failures are logged, not returned, and leave
 * the thread's last error as it was. */
void tb_store_save_state(tb_host *h, const tb_vm *vm);
/* Removes the definition file / the state file. */
int tb_store_remove_def(tb_host *h, const char *uuid);
void tb_store_remove_state(tb_host *h, const char *uuid);

/* ---- tb_guest.c --------------------------------------------------------- */

/* Allocates a guest action for @vm and makes sure the worker runs; done
 * before the state change it follows so that nothing can fail after it. */
int tb_guest_task_new(tb_host *h, tb_task_kind kind, const tb_vm *vm,
                      vmhi_device_type dev_type, const char *dev_id, tb_task **out);
/* Queues @t to run TB_GUEST_DELAY_NS from now, bound to @vm's current epoch. */
void tb_guest_enqueue(tb_host *h, tb_task *t, const tb_vm *vm);
/* Stops and joins the worker; call without the host lock. */
void tb_guest_stop(tb_host *h);
/* Guest actions, run at once (instant mode) or by the worker. */
void tb_guest_finish_shutdown(tb_host *h, tb_vm *vm);
void tb_guest_finish_reboot(tb_host *h, tb_vm *vm);
void tb_guest_finish_release(tb_host *h, tb_vm *vm, vmhi_device_type type, const char *id);

/* ---- tb_config.c -------------------------------------------------------- */

int tb_config_copy(const vmhi_vm_config *cfg, vmhi_vm_config **out);
/* Copies @cfg the way this host stores it: every DEFAULT disk bus and NIC
 * model resolved (virtio), every NIC without a MAC given a generated one. */
int tb_config_prepare(tb_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out);
/* VMHI_E_LIMIT when @cfg exceeds this host's per-VM limits. */
int tb_config_check_limits(const vmhi_vm_config *cfg);
const vmhi_disk *tb_config_find_disk(const vmhi_vm_config *cfg, const char *id);
const vmhi_disk *tb_config_find_disk_path(const vmhi_vm_config *cfg, const char *path);
const vmhi_nic *tb_config_find_nic(const vmhi_vm_config *cfg, const char *id);
const vmhi_nic *tb_config_find_nic_mac(const vmhi_vm_config *cfg, const char *mac);
/* Whether any device of @cfg (NULL: none) has @id. */
bool tb_config_has_id(const vmhi_vm_config *cfg, const char *id);
/* First "<prefix>N" used by neither config (either may be NULL). */
void tb_config_free_id(const char *prefix, const vmhi_vm_config *a, const vmhi_vm_config *b,
                       char id[VMHI_DEVICE_ID_MAX + 1]);
/* Copies of a disk / NIC with @id (and @mac for NICs, unless NULL), as
 * this host stores them: a DEFAULT bus or model becomes virtio. */
int tb_disk_clone(const vmhi_disk *disk, const char *id, vmhi_disk **out);
int tb_nic_clone(const vmhi_nic *nic, const char *id, const char *mac, vmhi_nic **out);
/* Generates a locally administered MAC not used by any VM of @h. */
void tb_mac_generate(tb_host *h, const vmhi_vm_config *extra, char mac[18]);
/* Copies the last VMHI error message (the config API sets it). */
const char *tb_last_message(void);

/* ---- tb_values.c -------------------------------------------------------- */

/* Reads refuse=<list> / lie=<list> (@name) into @bits; VMHI_E_INVALID_ARG
 * naming the bad item when malformed. */
int tb_values_parse(const char *name, const char *list, uint64_t bits[VMHI_VALUE_KIND_COUNT_1_0]);
int tb_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values);
/* VMHI_E_UNSUPPORTED when @cfg / the device uses a value listed in lie=. */
int tb_values_check_config(const tb_conn *c, const vmhi_vm_config *cfg);
int tb_values_check_disk(const tb_conn *c, const vmhi_disk *disk);
int tb_values_check_nic(const tb_conn *c, const vmhi_nic *nic);
int tb_values_check(const tb_conn *c, vmhi_value_kind kind, unsigned int value);

/* ---- slots (tb_lifecycle.c, tb_resources.c, tb_devices.c) -------------- */

int tb_list_vms(void *priv, vmhi_backend_list_add add, void *ctx);
int tb_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
int tb_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out);
int tb_undefine(void *priv, const char *uuid, unsigned int flags);
int tb_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out);
int tb_start(void *priv, const char *uuid, unsigned int flags);
int tb_shutdown(void *priv, const char *uuid, unsigned int flags);
int tb_poweroff(void *priv, const char *uuid, unsigned int flags);
int tb_reboot(void *priv, const char *uuid, unsigned int flags);
int tb_reset(void *priv, const char *uuid, unsigned int flags);
int tb_pause(void *priv, const char *uuid, unsigned int flags);
int tb_resume(void *priv, const char *uuid, unsigned int flags);
int tb_suspend(void *priv, const char *uuid, unsigned int flags);

int tb_get_info(void *priv, const char *uuid, vmhi_vm_info *info);
int tb_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);
int tb_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int tb_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int tb_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats);
int tb_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags);
int tb_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx);

int tb_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                   char *id);
int tb_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion);
int tb_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                  char *id);
int tb_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                  vmhi_completion *completion);
int tb_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx);

#endif /* VMHI_TB_H */
