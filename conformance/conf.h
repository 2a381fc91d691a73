/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The conformance suite's framework, as the test files see it.
 *
 * A test is registered with the requirement IDs of the specification it
 * checks and the profile it certifies:
 *
 *     VMHI_CONF_TEST(define_then_lookup, VMHI_PROFILE_CORE, "CORE-DEF-1", "CORE-LOOK-1")
 *     {
 *         conf_req("CORE-DEF-1");   // what the following assertions check
 *         ...
 *     }
 *
 * A table-driven test is one function run once per row; a describe
 * function names each row and narrows the IDs and profile it stands for:
 *
 *     VMHI_CONF_TABLE(state_table, VMHI_PROFILE_CORE, CELLS, describe_cell, "LC-1", ...)
 *     { ... uses conf_instance ... }
 *
 * Every test (row) runs in a child process (Check fork mode) against the
 * URI under test; it talks only to the public API (<vmhi/vmhi.h>).  The
 * parent removes whatever VMs the child created, even when it crashed.
 * Only the names conf_vm_name() returns are ever created.
 */
#ifndef VMHI_CONF_H
#define VMHI_CONF_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmhi/vmhi.h>

/* ---------------------------------------------------------------- tests */

/* Most requirement IDs one test or row may cite. */
#define CONF_MAX_IDS 32
/* Longest requirement ID. */
#define CONF_ID_MAX 47

/* What a row of a table test stands for (filled by its describe function). */
typedef struct conf_row {
    char name[96];                     /* shown after the test's name */
    unsigned int profile;              /* 0: the test's profile */
    const char *ids[CONF_MAX_IDS + 1]; /* NULL-terminated; empty: the test's IDs */
} conf_row;

typedef struct conf_test {
    const char *name;
    unsigned int profile;           /* the #vmhi_profile bit the test certifies */
    const char *const *ids;         /* NULL-terminated requirement IDs it cites */
    void (*fn)(size_t row);
    size_t rows;                    /* 1 for a plain test */
    void (*describe)(size_t row, conf_row *out); /* NULL for a plain test */
    const char *file;
    int line;
} conf_test;

/* Called from the constructors the macros below generate. */
void conf_register(conf_test *test);

#define CONF_IDS_(name, ...) static const char *const conf_ids_##name[] = { __VA_ARGS__, NULL }

#define VMHI_CONF_TEST(name, profile, ...)                                              \
    static void conf_fn_##name(size_t conf_row_index);                                  \
    CONF_IDS_(name, __VA_ARGS__);                                                       \
    static conf_test conf_def_##name = { #name, (profile), conf_ids_##name,             \
                                         conf_fn_##name, 1, NULL, __FILE__, __LINE__ }; \
    __attribute__((constructor)) static void conf_reg_##name(void)                      \
    {                                                                                   \
        conf_register(&conf_def_##name);                                                \
    }                                                                                   \
    static void conf_fn_##name(size_t conf_row_index __attribute__((unused)))

/* The row index is available in the body as conf_row_index. */
#define VMHI_CONF_TABLE(name, profile, rows, describe, ...)                             \
    static void conf_fn_##name(size_t conf_row_index);                                  \
    CONF_IDS_(name, __VA_ARGS__);                                                       \
    static conf_test conf_def_##name = { #name, (profile), conf_ids_##name,             \
                                         conf_fn_##name, (rows), (describe), __FILE__,  \
                                         __LINE__ };                                    \
    __attribute__((constructor)) static void conf_reg_##name(void)                      \
    {                                                                                   \
        conf_register(&conf_def_##name);                                                \
    }                                                                                   \
    static void conf_fn_##name(size_t conf_row_index)

/* ------------------------------------------------------------- the run */

/* What the suite knows about the run; read-only inside tests. */
typedef struct conf_context {
    const char *uri;
    double timeout_scale;     /* multiplies every wait */
    unsigned int memory_mib;  /* --memory: the memory of the VMs the suite makes */
    const char *disk_dir;     /* where disk images may be named (created by the suite) */
    const char *crash_command; /* --crash-command: crashes $VMHI_CONF_VM_UUID, or NULL */
    unsigned int claimed;     /* profiles the backend claims */
    unsigned int selected;    /* profiles being certified in this run */
    long run_id;              /* the suite's pid: VM names start "vmhi-conf-<run_id>-" */
    bool verbose;
    /* Whether guests on this URI comply with a shutdown request / a live
     * unplug, as probed before the tests: 1 yes, 0 no, -1 unknown. */
    int guest_shuts_down, guest_releases;
    /* How long after vmhi_vm_start() returned the probe's guests took to
     * comply (the longer of the two probes; 0 when neither complied). */
    unsigned int guest_ready_ms;
    /* Whether the backend's suspend needs the guest (VMHI_CAP_GUEST in its
     * caps, since 1.1): with guests that ignore requests it then fails. */
    bool suspend_needs_guest;
    /* --kernel: a real kernel image for direct-boot values, or NULL (the
     * suite then uses a stub file, with which no VM is ever started). */
    const char *kernel;
    /* --initrd: an initrd for that kernel, or NULL (the kernel then boots
     * without one, and define-only cases use a stub file). */
    const char *initrd;
    /* --bridge: a host bridge for the bridge network kind, or NULL. */
    const char *bridge;
} conf_context;

extern const conf_context *conf;

/* Marks the requirement the following assertions check, so that a failure
 * is charged to it (and the ones marked before count as passed).  The ID
 * must be one the test cites. */
void conf_req(const char *id);

/* Ends nothing by itself: records why the rest of the test cannot run on
 * this backend (the row is reported "not applicable" with @why).  Use
 * CONF_SKIP_IF in the test body, which also returns. */
void conf_note_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define CONF_SKIP_IF(cond, ...)          \
    do {                                 \
        if (cond) {                      \
            conf_note_skip(__VA_ARGS__); \
            return;                      \
        }                                \
    } while (0)

/* The same, running @cleanup (statements freeing what the test holds)
 * first, so that a skipped test leaks nothing. */
#define CONF_SKIP_CLEAN_IF(cond, cleanup, ...) \
    do {                                       \
        if (cond) {                            \
            conf_note_skip(__VA_ARGS__);       \
            cleanup;                           \
            return;                            \
        }                                      \
    } while (0)

/* Adds a remark to the row's result (shown in the reports). */
void conf_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records that requirement @id, which the test cites, does not apply on
 * this backend, and why (also added as a note): the row still passes or
 * fails on the other requirements it checks, but does not count as a
 * pass of @id, which the reports show not tested ("not applicable: why")
 * unless another row shows it. */
void conf_req_not_applicable(const char *id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ assertions */

/* Asserts that @call returned @expected, with the library's message. */
#define conf_rc(call, expected)                                                          \
    do {                                                                                 \
        int conf_rc_ = (call);                                                           \
        ck_assert_msg(conf_rc_ == (expected), "%s returned %d (%s), expected %d (%s): %s", \
                      #call, conf_rc_, vmhi_strerror(conf_rc_), (int)(expected),         \
                      vmhi_strerror(expected), vmhi_error_last_message());               \
    } while (0)
#define conf_ok(call) conf_rc(call, VMHI_OK)

/* Asserts that @call failed with @expected and left a matching last error
 * with a message (ERR-4 holds for every failure the suite provokes). */
#define conf_fail(call, expected)                                                         \
    do {                                                                                  \
        int conf_rc_ = (call);                                                            \
        ck_assert_msg(conf_rc_ == (expected), "%s returned %d (%s), expected %d (%s): %s",  \
                      #call, conf_rc_, vmhi_strerror(conf_rc_), (int)(expected),          \
                      vmhi_strerror(expected), vmhi_error_last_message());                \
        conf_check_last_error(#call, conf_rc_);                                           \
    } while (0)
void conf_check_last_error(const char *what, int rc);

/* The memory of the VMs the suite makes when --memory is not given. */
#define CONF_MEMORY_DEFAULT_MIB 64u
/* A memory size the tests use, written for VMs of the default 64 MiB (of
 * at most 128) and scaled to --memory: with --memory 128, CONF_MIB(96) is
 * 192.  Guests that cannot boot in 64 MiB (a Xen PV guest of a
 * distribution kernel) need a larger --memory. */
#define CONF_MIB(mib) conf_mib(mib)
uint64_t conf_mib(uint64_t mib_at_default);

/* A wait of @base_ms on a fast host, scaled by --timeout-scale. */
unsigned int conf_ms(unsigned int base_ms);
/* Short waits used to make sure nothing more happens (no further event). */
#define CONF_SETTLE_MS 20u
/* Upper bound for a state change or an event to arrive. */
#define CONF_WAIT_MS 5000u
/* The watch period of spec section 3.2: how long a situation that must
 * last until a call ends it (a shutdown or a detach the guest ignores) is
 * watched, before scaling. */
#define CONF_WATCH_MS 400u
/* How long the probe gives a guest to comply before calling it deaf. */
#define CONF_GUEST_PROBE_MS 1000u

uint64_t conf_now_ms(void);
void conf_sleep_ms(unsigned int ms);
/* For a test that needs the guest's cooperation (a live unplug) in a VM
 * started at @started_ms (conf_now_ms() after vmhi_vm_start()): waits
 * until the guest has had twice the time the probe's guests needed to
 * comply, so that requests reach a booted guest.  No wait when the
 * probe found no complying guest. */
void conf_wait_guest_ready(uint64_t started_ms);

/* -------------------------------------------------------- capabilities */

bool conf_claims(unsigned int profile);
/* Whether the Events profile is being certified: tests of other profiles
 * then also compare the events their calls emit. */
bool conf_events_checked(void);
/* Asserts that @op's capabilities include @bits (VMHI_CAP_SUPPORTED at
 * least): a profile that needs it is claimed, so its absence is a failure. */
void conf_need_op(vmhi_conn *conn, vmhi_op op, unsigned int bits);
/* The op's capability bits (0 when unsupported). */
unsigned int conf_op_caps(vmhi_conn *conn, vmhi_op op);

/* ----------------------------------------------------------- VM helpers */

vmhi_conn *conf_open(void);
vmhi_conn *conf_open_uri(const char *uri);
/* vmhi_conn_open() with the credential callback of --auth-file. */
int conf_conn_open(vmhi_conn **out, const char *uri);
int conf_auth_cb(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                 size_t buflen, void *userdata);
/* The password --auth-file gives for @uri, or NULL. */
const char *conf_auth_password(const char *uri);

/* A fresh name "vmhi-conf-<run>-<n>" (buf of at least 64 bytes). */
void conf_vm_name(char *buf, size_t size);
bool conf_is_own_name(const char *name);

/* A minimal description: fresh name, 1 of at most 2 vCPUs, 64 of at most
 * 128 MiB, no devices. */
vmhi_vm_config *conf_config_new(void);
vmhi_vm *conf_define_cfg(vmhi_conn *conn, const vmhi_vm_config *cfg);
vmhi_vm *conf_define(vmhi_conn *conn);

/* Subjects kept between consecutive cases of one test ("vmhi-conf-<run>-
 * keep-<key>"): the runner's cleanup spares them while the next case is
 * of the same test, so cells that must leave a VM as it was can share
 * one instead of each building its own.  The lookup gives NULL when
 * there is none. */
vmhi_vm *conf_kept_lookup(vmhi_conn *conn, const char *key);
vmhi_vm *conf_define_kept(vmhi_conn *conn, const char *key);
bool conf_is_kept_name(const char *name);

vmhi_vm_state conf_state(vmhi_vm *vm, vmhi_state_reason *reason);
/* Waits until the VM's state is in @mask (VMHI_STATE_BIT()s); asserts it
 * gets there within conf_ms(CONF_WAIT_MS).  Returns the state. */
vmhi_vm_state conf_wait_state(vmhi_vm *vm, unsigned int mask);
/* Whether a VM of this UUID exists (lookup succeeds). */
bool conf_vm_exists(vmhi_conn *conn, const char *uuid);

/* Drives a freshly defined (shut off) VM into @target with the public
 * calls.  Returns false, with the reason in @why, when the backend offers
 * no way to reach it (crashed) or the state does not last (a guest that
 * completes shutdown requests: shutting-down passes too quickly). */
bool conf_drive(vmhi_vm *vm, vmhi_vm_state target, char *why, size_t why_size);
/* True when no suspend can succeed on this URI: the backend's suspend
 * needs the guest's help (VMHI_CAP_GUEST) and the probe found guests that
 * ignore requests (spec LC-SUSPEND-4).  Writes the reason a test is then
 * not applicable to @why (when @size > 0). */
bool conf_suspend_refused(char *why, size_t size);

/* Runs --crash-command for the running @vm (asserts it succeeded); the
 * caller waits for the crashed state. */
void conf_crash(vmhi_vm *vm);

/* A path for a disk image under --disk-dir (the file is created empty). */
void conf_disk_path(char *buf, size_t size, const char *tag);

/* Adds a disk (path under --disk-dir) / a NIC (no MAC) with @id (NULL:
 * let the model or backend choose). */
void conf_config_add_disk(vmhi_vm_config *cfg, const char *id);
void conf_config_add_nic(vmhi_vm_config *cfg, const char *id);
/* A minimal description plus disk "conf-d0" and NIC "conf-n0". */
vmhi_vm_config *conf_config_with_devices(void);

/* Powers off (if active) and undefines (if persistent) @vm, then frees the
 * handle; failures are ignored (the parent's cleanup pass remains). */
void conf_discard(vmhi_vm *vm);

/* Calls the operation @op with valid arguments on @vm: the same call
 * vmhi_conn_get_op_caps() reports on.  @flags goes to the calls that take
 * vmhi_affect bits; detaches name "conf-d0" / "conf-n0".  Returns its result. */
int conf_call_op(vmhi_conn *conn, vmhi_vm *vm, vmhi_op op, unsigned int flags);
/* The description as XML (free with vmhi_free()); asserts it works. */
char *conf_config_xml(const vmhi_vm_config *cfg);
/* vmhi_vm_get_config() of @vm as XML. */
char *conf_vm_xml(vmhi_vm *vm);
/* CFG-14: a backend MAY report the target it chose for a disk defined
 * without one.  Gives each such disk of @cfg the target @vm reports for
 * it, so that @cfg can be compared with the VM's description. */
void conf_adopt_disk_targets(vmhi_vm_config *cfg, vmhi_vm *vm);
/* vmhi_vm_get_config(@vm, @flags), asserted to succeed; NULL when the
 * GET_CONFIG caps lack that form (VMHI_CAP_LIVE / VMHI_CAP_CONFIG). */
vmhi_vm_config *conf_config_view(vmhi_conn *conn, vmhi_vm *vm, unsigned int flags);

/* Operations that take vmhi_affect flags. */
bool conf_op_takes_affect(vmhi_op op);

/* ------------------------------------------------------ per-value caps */

/* The bridge named when --bridge is not given (a backend that checks
 * bridges reports it VMHI_E_NOT_FOUND: the case is then not applicable). */
#define CONF_BRIDGE_DEFAULT "vmhiconf0"

/* How many values VMHI 1.0 defines for @kind (bits 0..n-1). */
unsigned int conf_value_count(vmhi_value_kind kind);
/* Whether value 0 of @kind is a DEFAULT ("let the hypervisor choose"). */
bool conf_value_has_default(vmhi_value_kind kind);
/* vmhi_conn_get_value_caps(), asserted to succeed. */
uint64_t conf_value_caps(vmhi_conn *conn, vmhi_value_kind kind);
bool conf_value_declared(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value);
/* The lowest declared value of @kind (0 when none is). */
unsigned int conf_value_pick(vmhi_conn *conn, vmhi_value_kind kind);
/* The lowest declared value that is not a DEFAULT (0 when none is). */
unsigned int conf_value_concrete(vmhi_conn *conn, vmhi_value_kind kind);
/* A network name of @kind: "default", "user" or "bridge:<--bridge>". */
void conf_network_of_kind(vmhi_network_kind kind, char *buf, size_t size);
/* A path for direct kernel boot: for @tag "kernel" the --kernel image and
 * for "initrd" the --initrd image if given, otherwise a small stub file
 * under --disk-dir (define only: never start a VM with it). */
void conf_kernel_path(char *buf, size_t size, const char *tag);

#endif /* VMHI_CONF_H */
