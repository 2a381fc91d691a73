/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the `kvm` backend module: VMs run as QEMU
 * processes the backend spawns, supervises and drives over QMP.
 *
 *  - qmp_io.c        QMP transport: unix socket, line reader, writer
 *  - qmp_codec.c     QMP messages (json-c): commands, replies, events, errors
 *  - kvm_proc.c      process supervision: spawn, pidfd, signals, /proc facts
 *  - kvm_cmdline.c   the QEMU command line of a VM
 *  - kvm_store.c     state directories, lock, atomic files, definitions
 *  - kvm_runstate.c  the runtime record of an active VM (for reconnect)
 *  - kvm_host.c      hosts (one per state directory), VM table, transitions
 *  - kvm_monitor.c   the monitor thread: QMP input, process exits, calls
 *  - kvm_events.c    QMP events -> VM state changes and VMHI events
 *  - kvm_nudge.c     guest requests repeated until a booting guest listens
 *  - kvm_suspend.c   suspend to a state file (migration) and restore
 *  - kvm_entry.c     ops table, open/close, host facts, caps, limits
 *  - kvm_lifecycle.c list, lookup, define, start, stop, pause...
 *  - kvm_start.c     starting and reconnecting QEMU processes
 *  - kvm_resources.c info, config, memory, vCPUs
 *  - kvm_devices.c   disk and NIC attach/detach/list
 *  - kvm_config.c    helpers over the public config model
 *
 * Locking: one mutex per host guards the VM table and every VM and
 * runtime field.  Slots hold it except while they wait for QEMU (a QMP
 * reply, a process exit): then they wait on host->changed, which the
 * monitor thread broadcasts after every message and every exit.  The
 * monitor thread is the only reader of QMP sockets and the only one that
 * retires a runtime (kvm_run) after its process exits; a slot that uses a
 * runtime while unlocked holds a reference to it.
 */
#ifndef VMHI_KVM_H
#define VMHI_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "vmhi/backend.h"

#if defined(__GNUC__) || defined(__clang__)
#define KVM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KVM_PRINTF(a, b)
#endif

/* ---- limits and timings ---------------------------------------------- */

#define KVM_MAX_VCPUS 255u          /* without an IOMMU for x2APIC */
#define KVM_MIN_MEMORY_MIB 16u
#define KVM_MEMORY_GRANULARITY_MIB 1u
#define KVM_MAX_DISKS 32u
#define KVM_MAX_NICS 16u
#define KVM_MAX_VMS 4096u
#define KVM_SPARE_PORTS 8u          /* free pcie-root-ports for hotplug */
#define KVM_DISK_QUEUES_MAX 16u     /* virtio-blk queues: one per vCPU up to this */
#define KVM_MAX_PORTS (KVM_MAX_DISKS + KVM_MAX_NICS + KVM_SPARE_PORTS)
#define KVM_QMP_LINE_MAX (4u << 20) /* longer QMP messages are discarded */
#define KVM_CALL_TIMEOUT_MS 15000u  /* default wait for a QMP reply */
#define KVM_START_TIMEOUT_MS 20000u /* spawn to first QMP reply */
#define KVM_QUIT_WAIT_MS 3000u      /* poweroff: quit, then SIGTERM... */
#define KVM_TERM_WAIT_MS 2000u      /* ...then SIGKILL */
#define KVM_KILL_WAIT_MS 10000u
#define KVM_VCPU_UNPLUG_MS 10000u   /* wait for a guest to release a vCPU */
#define KVM_SAVE_TIMEOUT_MS 600000u /* suspend/restore: the whole migration */
#define KVM_RESET_ECHO_MS 1000u     /* see kvm_run.reset_echo_until */
#define KVM_RESET_ECHO_CPU_MS 1000u /* ...or this much vCPU time, */
#define KVM_RESET_ECHO_MAX_MS 10000u /* within this much wall time */
#define KVM_STATS_POLL_S 2          /* balloon statistics refresh period */
#define KVM_NUDGE_FIRST_MS 1000u    /* guest requests are repeated after 1 s, */
#define KVM_NUDGE_COUNT 5u          /* then 2, 4, 8 and 16 s later */

extern const vmhi_core_services *kvm_core;

/* ---- errors ------------------------------------------------------------ */

/* Reports an error through the core and remembers it so that it survives
 * public config calls made while cleaning up; returns @code. */
int kvm_error_native(int code, const char *native, const char *fmt, ...) KVM_PRINTF(3, 4);
#define kvm_error(code, ...) kvm_error_native((code), NULL, __VA_ARGS__)
int kvm_keep_error(int rc);
void kvm_error_begin(void);
/* A copy of the core's last error message (config API failures). */
const char *kvm_last_message(void);

void *kvm_alloc(size_t size); /* zeroed; NULL after reporting VMHI_E_NOMEM */
void kvm_free(void *ptr);
char *kvm_strdup(const char *s);
char *kvm_asprintf(const char *fmt, ...) KVM_PRINTF(1, 2);
uint64_t kvm_now_ns(void);

/* ---- qmp_io.c ---------------------------------------------------------- */

typedef struct qmp_reader {
    char *buf;
    size_t len, cap;
    size_t partial;  /* bytes of the incomplete line at the end of buf */
    bool discarding; /* inside an over-long line: drop bytes up to its newline */
    size_t line_max; /* longest line kept, newline included; 0: KVM_QMP_LINE_MAX */
} qmp_reader;

/* Connects to a unix socket at @path (non-blocking, close-on-exec). */
int qmp_io_connect(const char *path, int *fd);
/* Reads what is available into @r; returns 1 when data came, 0 on EAGAIN,
 * -1 on end of stream or error (errno kept). */
int qmp_io_fill(qmp_reader *r, int fd);
/* Takes the next complete line out of @r (NUL-terminated, newline and CR
 * stripped) into *line (kvm_free it); 0 when none is complete yet. */
int qmp_io_next_line(qmp_reader *r, char **line, size_t *len);
void qmp_io_reader_free(qmp_reader *r);
/* Writes all of @data, waiting for the socket at most @timeout_ms. */
int qmp_io_write_all(int fd, const char *data, size_t len, unsigned int timeout_ms);
/* The same, passing descriptor @passfd along with the first bytes
 * (SCM_RIGHTS), as QMP's getfd expects. */
int qmp_io_write_fd(int fd, const char *data, size_t len, int passfd, unsigned int timeout_ms);
/* Waits until @fd is readable (or @fd2, if >= 0); 1 readable, 0 timeout, -1 error. */
int qmp_io_wait_readable(int fd, int fd2, unsigned int timeout_ms);

/* ---- qmp_codec.c ------------------------------------------------------- */

typedef enum qmp_kind {
    QMP_MSG_INVALID = 0, /* not JSON, not an object, or of no known shape */
    QMP_MSG_GREETING,
    QMP_MSG_RETURN,
    QMP_MSG_ERROR,
    QMP_MSG_EVENT
} qmp_kind;

typedef struct qmp_msg {
    qmp_kind kind;
    json_object *root;     /* owned: the whole message */
    bool has_id;
    uint64_t id;
    json_object *value;    /* "return" or event "data" (borrowed), may be NULL */
    const char *event;     /* event name */
    const char *err_class; /* error class */
    const char *err_desc;  /* error description */
} qmp_msg;

/* Builds `{"execute": @cmd, "arguments": @args, "id": @id}\n`; takes @args. */
char *qmp_codec_command(const char *cmd, json_object *args, uint64_t id, size_t *len);
/* Parses one line; never fails on bad input (kind INVALID instead). */
void qmp_codec_parse(const char *line, size_t len, qmp_msg *msg);
void qmp_msg_clear(qmp_msg *msg);
/* Maps a QMP error class to a VMHI error code. */
int qmp_codec_error_code(const char *err_class);

/* json-c helpers that tolerate NULL and wrong types. */
const char *kvm_json_str(json_object *obj, const char *key);
bool kvm_json_int(json_object *obj, const char *key, int64_t *out);
bool kvm_json_bool(json_object *obj, const char *key, bool *out);
json_object *kvm_json_get(json_object *obj, const char *key);
/* The "thread-id" of a query-cpus-fast entry, when it is a valid pid_t. */
bool qmp_codec_thread_id(json_object *cpu, pid_t *tid);

/* ---- kvm_proc.c -------------------------------------------------------- */

typedef struct kvm_spawn {
    const char *const *argv;  /* argv[0] is the program path */
    int listen_fd;            /* becomes fd 3 in the child, or -1 */
    const char *log_path;     /* stdout+stderr appended here, or NULL */
    bool daemonize;           /* double fork: not our child, own session */
} kvm_spawn;

typedef struct kvm_proc {
    pid_t pid;
    int pidfd;                  /* -1 when pidfd_open() is unavailable */
    unsigned long long starttime;
} kvm_proc;

/* Spawns with an argv array (never a shell).  With daemonize, the process
 * is re-parented to init and *out gets a pidfd for it. */
int kvm_proc_spawn(const kvm_spawn *sp, kvm_proc *out);
/* Runs a short helper to completion, capturing up to @cap-1 bytes of its
 * output; returns its exit status (>= 0) or a negative error. */
int kvm_proc_run(const char *const *argv, char *out, size_t cap, unsigned int timeout_ms);
/* Opens a pidfd for a running process, checking it is the one started at
 * @starttime; -1 (and 0 returned) when pidfds are unavailable. */
int kvm_proc_attach(pid_t pid, unsigned long long starttime, kvm_proc *out);
/* Whether the process still exists (and is the one started at @starttime). */
bool kvm_proc_alive(const kvm_proc *p);
int kvm_proc_signal(const kvm_proc *p, int sig);
/* Waits for the process to exit; 1 exited, 0 timeout. */
int kvm_proc_wait_exit(const kvm_proc *p, unsigned int timeout_ms);
/* Facts from /proc: start time (clock ticks after boot), CPU time, RSS. */
bool kvm_proc_starttime(pid_t pid, unsigned long long *ticks);
uint64_t kvm_proc_cpu_ns(pid_t pid, pid_t tid);
int kvm_proc_last_cpu(pid_t pid, pid_t tid);
uint64_t kvm_proc_rss_kib(pid_t pid);
void kvm_proc_close(kvm_proc *p);
/* This boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. */
const char *kvm_boot_id(void);

/* ---- devices of a running VM -------------------------------------------- */

/* A disk or NIC of the running VM and the pcie-root-port it sits on. */
typedef struct kvm_dev {
    vmhi_device_type type;
    char id[VMHI_DEVICE_ID_MAX + 1]; /* VMHI id; the QEMU id is "vmhi-" + id */
    unsigned int port;               /* root port index: rp<port>, node blk<port> */
    bool pending;                    /* device_del sent, DEVICE_DELETED not seen */
    /* Detached while pending when the VM was suspended: gone from the
     * live config, but still in the restored QEMU until the guest lets
     * go (QEMU id "vmhi.gone<port>", so the id is free again). */
    bool hidden;
    struct kvm_dev *next;
} kvm_dev;

/* The QEMU id of a device: "vmhi-<id>", or "vmhi.gone<port>" when hidden. */
void kvm_dev_qemu_id(const kvm_dev *d, char *buf, size_t size);

/* ---- the runtime of an active VM ---------------------------------------- */

/* A graceful reboot: QEMU holds the guest when it powers off, and we
 * reset and resume it. */
typedef enum kvm_reboot_phase {
    KVM_REBOOT_NONE = 0,
    KVM_REBOOT_REQUESTED, /* system_powerdown sent, the guest has not acted */
    KVM_REBOOT_HELD       /* the guest powered off; reset + cont sent */
} kvm_reboot_phase;

/* The last MIGRATION event's status (suspend and restore). */
typedef enum kvm_migration {
    KVM_MIGRATION_NONE = 0,
    KVM_MIGRATION_ACTIVE,
    KVM_MIGRATION_COMPLETED,
    KVM_MIGRATION_FAILED
} kvm_migration;

/* A QMP command waiting for its reply; owned by the waiting thread. */
typedef struct kvm_req {
    uint64_t id;
    bool done;
    bool discard;            /* nobody waits: the monitor frees it */
    int rc;                  /* VMHI_OK or a VMHI_E_* code */
    json_object *reply;      /* the "return" value, owned, on success */
    char err_class[48];
    char err_desc[512];
    struct kvm_req *next;
} kvm_req;

typedef struct kvm_run {
    unsigned refs;           /* the VM's link + slots using it unlocked */
    kvm_proc proc;
    int qmp_fd;
    qmp_reader reader;
    bool qmp_closed;         /* end of stream seen (or the stream broke) */
    bool exited;             /* the process is gone; the run is retired */
    pthread_mutex_t write_lock;
    uint64_t next_id;
    kvm_req *reqs;
    /* What we asked for, to name the reason of what QEMU reports. */
    bool quit_sent;
    bool pause_requested, resume_requested, reset_requested;
    unsigned long resets;    /* RESET events seen (a reset call waits for one) */
    /* SeaBIOS answers every reset with hard resets of its own, reported
     * as guest resets: those that follow a reset by less than
     * KVM_RESET_ECHO_MS of running time are part of it.  The window opens
     * at once, or when the VM runs again (armed) if it was stopped.  On a
     * loaded host the firmware may not get a vCPU for a second: a guest
     * reset before the vCPUs used KVM_RESET_ECHO_CPU_MS since the window
     * opened (reset_echo_cpu) is an echo too, up to KVM_RESET_ECHO_MAX_MS
     * after it opened (reset_echo_opened); no operating system boots and
     * reboots in that little CPU time. */
    uint64_t reset_echo_until;
    uint64_t reset_echo_opened;
    uint64_t reset_echo_cpu;
    bool reset_echo_armed;
    kvm_reboot_phase reboot; /* graceful reboot in progress */
    bool shutdown_seen;      /* a SHUTDOWN event arrived */
    bool shutdown_by_guest;
    char shutdown_reason[32];
    unsigned long vcpu_deleted;  /* bumped on each vCPU DEVICE_DELETED */
    /* The vCPU threads (query-cpus-fast), whose CPU time is the VM's: the
     * main loop keeps working while the VM is paused.  cpu_time_ns never
     * goes below cpu_time_last (a vCPU unplugged takes its time away). */
    pid_t *vcpu_tids;
    size_t nvcpu_tids;
    uint64_t cpu_time_last;
    /* Repeats of requests to the guest (kvm_nudge.c): when the next is
     * due (monotonic ns, 0: none) and how many were made. */
    uint64_t nudge_at;
    unsigned int nudges;
    unsigned int nports;     /* pcie-root-ports provisioned at start */
    kvm_dev *devs;
    /* Suspend and restore (kvm_suspend.c). */
    bool suspending;         /* stopping and saving: STOP/RESUME are ours */
    bool suspended;          /* the state file is complete: the exit suspends */
    bool restoring;          /* incoming migration: a failure leaves it suspended */
    kvm_migration migration;
} kvm_run;

/* What a suspended VM needs to be restored: the QEMU it ran (config,
 * root ports, each device's port) so the new QEMU matches the state file. */
typedef struct kvm_saved {
    vmhi_vm_config *qemu_cfg; /* the live config plus hidden devices */
    unsigned int nports;
    kvm_dev *devs;
    bool reset_echo;          /* a reset's firmware echo is still to come */
} kvm_saved;

typedef struct kvm_vm {
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    vmhi_vm_config *def;     /* persistent definition; NULL when transient */
    vmhi_vm_config *live;    /* what runs (or ran, when crashed); NULL when shut off */
    vmhi_vm_state state;
    vmhi_state_reason reason;
    kvm_run *run;            /* the QEMU process; NULL unless active */
    kvm_saved *saved;        /* set while suspended */
    bool busy;               /* a call is changing it (and may release the lock) */
    pthread_t busy_owner;    /* that call's thread */
} kvm_vm;

struct kvm_conn;

/* Where a host keeps its files. */
typedef struct kvm_paths {
    char *data_dir; /* definitions, the lock */
    char *run_dir;  /* runtime records, QMP sockets, logs, consoles */
} kvm_paths;

typedef struct kvm_host {
    pthread_mutex_t lock;
    pthread_cond_t changed;  /* broadcast on replies, exits and state changes */
    pid_t owner;             /* the process that opened it (fork safety) */
    kvm_paths paths;
    int lock_fd;
    unsigned refs;
    struct kvm_conn *conns;
    kvm_vm **vms;
    size_t nvms, vms_cap;
    bool monitor_started, monitor_stop;
    pthread_t monitor;
    int wake_fd;             /* eventfd: the VM set changed */
    uint32_t mac_counter;
    struct kvm_host *next;
} kvm_host;

typedef enum kvm_accel { KVM_ACCEL_KVM = 1, KVM_ACCEL_TCG = 2 } kvm_accel;

/* The per-connection private state (conn_priv_size bytes, zeroed). */
typedef struct kvm_conn {
    vmhi_conn *conn;
    kvm_host *host;
    unsigned int event_mask;
    kvm_accel accel;
    char *qemu;              /* emulator binary */
    char *kernel, *initrd, *append; /* direct kernel boot for VMs it starts */
    char qemu_version[32];   /* filled lazily */
    struct kvm_conn *next;
} kvm_conn;

/* ---- kvm_store.c ------------------------------------------------------- */

/* Resolves the directories of kvm:///system or kvm:///session from the
 * environment; pure, for tests. */
int kvm_paths_resolve(const char *uri_path, kvm_paths *out);
void kvm_paths_free(kvm_paths *p);
/* Creates a directory and its missing parents, the last one 0700, and
 * checks it with kvm_store_check_private(). */
int kvm_store_mkdirs(const char *dir);
/* VMHI_E_PERMISSION unless @dir is a directory (not a symbolic link) of
 * this process's user that group members cannot write and others cannot
 * enter. */
int kvm_store_check_private(const char *dir);
int kvm_store_lock(kvm_host *h);
int kvm_store_write_atomic(const char *dir, const char *name, const char *data, size_t len);
int kvm_store_remove(const char *dir, const char *name);
/* The whole text of a small state file (malloc'ed, NUL-terminated: free()
 * it), or NULL when it cannot be read; sets no error, for loaders that
 * discard what they cannot read. */
char *kvm_store_read_text(const char *path);
/* Loads every definition of the data directory into @h. */
int kvm_store_load_defs(kvm_host *h);
int kvm_store_save_def(kvm_host *h, const char *uuid, const vmhi_vm_config *def);
int kvm_store_remove_def(kvm_host *h, const char *uuid);
/* Path of a per-VM runtime file: <run_dir>/<uuid><suffix>. */
char *kvm_store_run_path(const kvm_host *h, const char *uuid, const char *suffix);
void kvm_store_log(kvm_host *h, int level, const char *fmt, ...) KVM_PRINTF(3, 4);

/* ---- kvm_runstate.c ---------------------------------------------------- */

/* Writes the runtime record of an active or crashed VM (failures are
 * logged: the VM changed state either way). */
void kvm_runstate_save(kvm_host *h, const kvm_vm *vm);
void kvm_runstate_remove(kvm_host *h, const char *uuid);
/* Loads the runtime records, reconnecting to QEMUs that still run and
 * cleaning up after those that do not. */
int kvm_runstate_load(kvm_host *h);

/* A record's text: "key=value" lines (state, reason, process facts,
 * ports, devices), an empty line, the config as VMHI XML. */
typedef struct kvm_record {
    vmhi_vm_state state;
    vmhi_state_reason reason;
    long pid;
    unsigned long long starttime;
    char boot_id[64];
    unsigned int ports;
    kvm_dev *devs;           /* owned: kvm_devs_free() */
    bool reset_echo;         /* saved while the firmware's reset echo was due */
    const char *xml;         /* points into the parsed text */
} kvm_record;

/* Formats a record of @run's process (if any), devices and @cfg; NULL on
 * failure.  free() the result. */
char *kvm_record_format(vmhi_vm_state st, vmhi_state_reason why, const kvm_run *run,
                        unsigned int ports, const kvm_dev *devs, bool reset_echo,
                        const vmhi_vm_config *cfg, size_t *len);
/* Parses @text in place; 0 or -1. */
int kvm_record_parse(char *text, kvm_record *rec);

/* ---- kvm_host.c -------------------------------------------------------- */

/* Locks the connection's host for an operation of that connection (and
 * begins its error): its QMP calls wait as long as the connection's
 * timeout (vmhi_conn_options.timeout_ms; KVM_CALL_TIMEOUT_MS when 0). */
void kvm_lock_conn(void *priv);
/* How long the calling thread's operation waits for a QMP reply. */
unsigned int kvm_call_timeout_ms(void);
int kvm_unlock(kvm_host *h, int rc);
int kvm_host_attach(kvm_conn *c, const kvm_paths *paths);
void kvm_host_detach(kvm_conn *c);
kvm_vm *kvm_host_find_uuid(kvm_host *h, const char *uuid);
kvm_vm *kvm_host_find_name(kvm_host *h, const char *name);
int kvm_host_get_vm(kvm_host *h, const char *uuid, kvm_vm **out);
/* Marks @vm as being changed by this thread: other threads' calls on it
 * wait in kvm_host_get_vm() until kvm_vm_release(), so changes to one VM
 * are serialized even while the lock is released for QEMU. */
void kvm_vm_claim(kvm_vm *vm);
void kvm_vm_release(kvm_host *h, const char *uuid);
int kvm_host_add_vm(kvm_host *h, kvm_vm *vm);
void kvm_host_remove_vm(kvm_host *h, kvm_vm *vm);
void kvm_vm_free(kvm_vm *vm);
bool kvm_state_is_active(vmhi_vm_state st);
int kvm_require_state(const kvm_vm *vm, const char *op, unsigned int allowed);
int kvm_resolve_affect(const kvm_vm *vm, unsigned int flags, const char *what,
                       unsigned int *resolved);
const vmhi_vm_config *kvm_vm_current(const kvm_vm *vm);
/* Changes state, records it, wakes waiters, emits a lifecycle event.
 * Reaching shutoff drops the live config; a transient VM is then freed. */
void kvm_vm_transition(kvm_host *h, kvm_vm *vm, vmhi_vm_state st, vmhi_state_reason why);
void kvm_emit(kvm_host *h, const kvm_vm *vm, vmhi_event_type type, const char *device_id,
              uint64_t value);

/* ---- kvm_monitor.c ----------------------------------------------------- */

kvm_run *kvm_run_new(void);
void kvm_run_ref(kvm_run *run);
/* Drops a reference; the last one closes the process handles.  Locked. */
void kvm_run_unref(kvm_run *run);
/* Links @run to @vm and makes sure the monitor watches it.  Locked. */
int kvm_monitor_add(kvm_host *h, kvm_vm *vm, kvm_run *run);
/* Stops and joins the monitor thread; call without the lock. */
void kvm_monitor_stop(kvm_host *h);
/* Sends a command and waits for its reply, releasing the lock meanwhile.
 * @args is taken.  On success *reply (if not NULL) gets the "return"
 * value to json_object_put().  @vm may be gone when this returns: look
 * it up again.  Locked on entry and exit. */
int kvm_qmp_call(kvm_host *h, kvm_vm *vm, const char *cmd, json_object *args,
                 json_object **reply);
/* kvm_qmp_call() passing descriptor @fd with the command (getfd). */
int kvm_qmp_call_fd(kvm_host *h, kvm_vm *vm, const char *cmd, json_object *args, int fd,
                    json_object **reply);
/* Sends a command without waiting (its reply is dropped).  Locked. */
int kvm_qmp_send_async(kvm_host *h, kvm_run *run, const char *cmd, json_object *args);
/* Waits on host->changed until @deadline_ns (monotonic); false on timeout. */
bool kvm_wait_until(kvm_host *h, uint64_t deadline_ns);
/* Records the vCPU threads of a query-cpus-fast reply.  Locked. */
void kvm_run_set_vcpus(kvm_run *run, json_object *cpus);
/* The VM's CPU time: its vCPU threads', never decreasing.  Locked. */
uint64_t kvm_run_cpu_ns(kvm_run *run);
/* Retires a run whose process exited: state change, files, events. Locked. */
void kvm_run_retire(kvm_host *h, kvm_vm *vm);
/* Makes the monitor thread look at the VM set and its timers again. */
void kvm_monitor_wake(kvm_host *h);

/* ---- kvm_nudge.c ------------------------------------------------------- */

/* A request was just made to @run's guest (shutdown, reboot, unplug):
 * repeat the outstanding ones on the nudge schedule.  Locked. */
void kvm_nudge_arm(kvm_host *h, kvm_run *run);
/* The earliest repeat due on any VM (monotonic ns), 0 when none.  Locked. */
uint64_t kvm_nudge_next(const kvm_host *h);
/* Makes the repeats that are due (monitor thread, locked). */
void kvm_nudge_due(kvm_host *h);
/* The wait before repeat @n (0-based) of the schedule, in ms. */
unsigned int kvm_nudge_delay_ms(unsigned int n);

/* ---- kvm_events.c ------------------------------------------------------ */

/* Handles one QMP event of @vm's QEMU (monitor thread, locked). */
void kvm_events_handle(kvm_host *h, kvm_vm *vm, const qmp_msg *msg);

/* ---- kvm_cmdline.c ----------------------------------------------------- */

typedef struct kvm_argv {
    char **v;
    size_t n, cap;
} kvm_argv;

int kvm_argv_add(kvm_argv *a, const char *s);
int kvm_argv_addf(kvm_argv *a, const char *fmt, ...) KVM_PRINTF(2, 3);
void kvm_argv_free(kvm_argv *a);
/* Builds the QEMU command line of @vm's live config for connection @c;
 * the QMP listening socket is fd 3.  Fills run->devs and run->nports.
 * With @restore, the QEMU that @restore describes, waiting for its
 * state (-incoming defer). */
int kvm_cmdline_build(const kvm_conn *c, const kvm_vm *vm, const kvm_saved *restore,
                      kvm_run *run, kvm_argv *out);
/* Device JSON for -device / device_add of a disk or NIC on port @port
 * (@cfg: the VM's config, for what depends on it). */
json_object *kvm_cmdline_disk_device(const vmhi_vm_config *cfg, const vmhi_disk *disk,
                                     unsigned int port, int bootindex);
json_object *kvm_cmdline_disk_blockdev(const vmhi_disk *disk, unsigned int port);
json_object *kvm_cmdline_nic_device(const vmhi_nic *nic, unsigned int port, int bootindex);
/* Escapes commas for QemuOpts (",," ); NULL on OOM. */
char *kvm_cmdline_escape(const char *s);

/* ---- kvm_config.c ------------------------------------------------------ */

int kvm_config_copy(const vmhi_vm_config *cfg, vmhi_vm_config **out);
/* VMHI_E_UNSUPPORTED / VMHI_E_LIMIT for what this backend cannot run. */
int kvm_config_check(const vmhi_vm_config *cfg);
int kvm_config_check_disk(const vmhi_disk *disk);
int kvm_config_check_nic(const vmhi_nic *nic);
/* Copies @cfg giving every NIC without a MAC a generated one. */
/* The concrete bus/model KVM gives DEFAULT (virtio), and copies of a device
 * with those resolved (and @id / @mac filled in when given). */
vmhi_disk_bus kvm_disk_bus(const vmhi_disk *disk);
vmhi_nic_model kvm_nic_model(const vmhi_nic *nic);
int kvm_disk_resolved(const vmhi_disk *disk, const char *id, vmhi_disk **out);
int kvm_nic_resolved(const vmhi_nic *nic, const char *id, const char *mac, vmhi_nic **out);
int kvm_config_prepare(kvm_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out);
void kvm_mac_generate(kvm_host *h, const vmhi_vm_config *extra, char mac[18]);
const vmhi_disk *kvm_config_find_disk(const vmhi_vm_config *cfg, const char *id);
const vmhi_disk *kvm_config_find_disk_path(const vmhi_vm_config *cfg, const char *path);
const vmhi_nic *kvm_config_find_nic(const vmhi_vm_config *cfg, const char *id);
const vmhi_nic *kvm_config_find_nic_mac(const vmhi_vm_config *cfg, const char *mac);
bool kvm_config_has_id(const vmhi_vm_config *cfg, const char *id);
void kvm_config_free_id(const char *prefix, const vmhi_vm_config *a, const vmhi_vm_config *b,
                        char id[VMHI_DEVICE_ID_MAX + 1]);
/* Creates a disk image that has a size and does not exist yet. */
int kvm_config_create_image(const kvm_conn *c, const vmhi_disk *disk);

/* ---- kvm_start.c ------------------------------------------------------- */

/* Spawns QEMU for @vm (live config set), connects QMP, links the run.
 * With @restore: the QEMU of a suspended VM, waiting for its state. */
int kvm_start_process(kvm_conn *c, kvm_vm *vm, const kvm_saved *restore);
/* The last bytes of QEMU's log @path on one line (for error messages). */
void kvm_start_log_tail(const char *path, char *buf, size_t size);
/* Connects to the QMP socket of a QEMU from a previous process. */
int kvm_start_reconnect(kvm_host *h, kvm_vm *vm, kvm_run *run, const char *sock_path);

/* ---- kvm_suspend.c ----------------------------------------------------- */

/* Restores a suspended VM (start); locked, the VM claimed by the caller. */
int kvm_suspend_restore(kvm_conn *c, kvm_vm *vm);
/* The QEMU of a suspending VM exited after saving: the pending detaches
 * are complete, so their devices leave the live config.  Locked. */
void kvm_suspend_retired(kvm_host *h, kvm_vm *vm);
/* Loads the suspended VMs of the data directory (after the definitions). */
int kvm_suspend_load(kvm_host *h);
/* Removes a suspended VM's state file and record (undefine). */
void kvm_suspend_discard(kvm_host *h, kvm_vm *vm);
void kvm_saved_free(kvm_saved *s);

/* ---- kvm_lifecycle.c --------------------------------------------------- */

/* quit, then SIGTERM, then SIGKILL; returns once the run is retired. */
int kvm_stop_process(kvm_host *h, kvm_vm *vm);

/* ---- kvm_entry.c ------------------------------------------------------- */

/* VMHI_E_UNSUPPORTED when connection @c cannot change vCPUs live. */
int kvm_vcpus_live_check(const kvm_conn *c);

/* ---- slots -------------------------------------------------------------- */

int kvm_list_vms(void *priv, vmhi_backend_list_add add, void *ctx);
int kvm_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
int kvm_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out);
int kvm_undefine(void *priv, const char *uuid, unsigned int flags);
int kvm_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out);
int kvm_start(void *priv, const char *uuid, unsigned int flags);
int kvm_shutdown(void *priv, const char *uuid, unsigned int flags);
int kvm_poweroff(void *priv, const char *uuid, unsigned int flags);
int kvm_reboot(void *priv, const char *uuid, unsigned int flags);
int kvm_reset(void *priv, const char *uuid, unsigned int flags);
int kvm_pause(void *priv, const char *uuid, unsigned int flags);
int kvm_resume(void *priv, const char *uuid, unsigned int flags);
int kvm_suspend(void *priv, const char *uuid, unsigned int flags);

int kvm_get_info(void *priv, const char *uuid, vmhi_vm_info *info);
int kvm_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);
int kvm_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int kvm_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int kvm_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats);
int kvm_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags);
int kvm_get_vcpus(void *priv, const char *uuid, vmhi_backend_vcpu_add add, void *ctx);

int kvm_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id);
int kvm_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion);
int kvm_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id);
int kvm_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion);
int kvm_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx);

/* Devices (kvm_devices.c): DEVICE_DELETED for a disk/NIC (monitor, locked). */
void kvm_devices_deleted(kvm_host *h, kvm_vm *vm, const char *qdev_id);
kvm_dev *kvm_dev_find(const kvm_run *run, const char *id);
void kvm_devs_free(kvm_dev *d);

#endif /* VMHI_KVM_H */
