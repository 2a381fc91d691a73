/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Declarations shared by the files of the `vmhi` command-line tool.  The
 * tool uses the public API only (<vmhi/vmhi.h>); nothing here is part of
 * the library.
 */
#ifndef VMHI_CLI_H
#define VMHI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include <vmhi/vmhi.h>

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

#define CLI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, one per error class (documented in `vmhi --help`). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_GENERIC = 1,     /* backend or other failure */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_NOT_FOUND = 3,   /* no such VM or device */
    CLI_EXIT_STATE = 4,       /* VM in the wrong state */
    CLI_EXIT_UNSUPPORTED = 5, /* backend cannot do it */
    CLI_EXIT_CONNECTION = 6,  /* connection, authentication, no backend */
    CLI_EXIT_TIMEOUT = 7,     /* a wait ran out */
    CLI_EXIT_INPUT = 8,       /* malformed document or invalid value */
    CLI_EXIT_CONFLICT = 9,    /* exists, busy or beyond a limit */
    CLI_EXIT_PERMISSION = 10  /* not allowed: --readonly, or the host denies the right */
};

typedef struct cli_auth cli_auth;

/* State of the one-line progress display on stderr. */
typedef struct cli_progress {
    bool enabled;       /* stderr is a TTY and neither --quiet nor --json */
    bool drawn;         /* something is on the line and must be cleared */
    uint64_t started_ns;
    unsigned spin;
} cli_progress;

/* Everything a command needs: global options and the open connection. */
typedef struct cli_ctx {
    const char *uri;       /* -c, $VMHI_URI or the default */
    bool uri_explicit;     /* the user chose the URI */
    bool json;             /* --json */
    bool quiet;            /* -q */
    int verbose;           /* -v count: library log level */
    bool readonly;         /* -r: open with VMHI_CONN_READONLY */
    const char *auth_file; /* --auth-file */
    cli_auth *auth;        /* loaded credentials, or NULL */
    vmhi_conn *conn;       /* open for commands that need it */
    cli_progress progress;
} cli_ctx;

/* Command flags. */
#define CLI_NEEDS_CONN (1u << 0)

/* One subcommand with the text `vmhi help CMD` prints. */
typedef struct cli_command {
    const char *name;
    const char *args;        /* synopsis after the name, e.g. "VM [--timeout SEC]" */
    const char *summary;     /* one line for the command list */
    const char *description; /* paragraph(s) for `help CMD` */
    const char *options;     /* option lines for `help CMD`, or NULL */
    int (*run)(cli_ctx *ctx, int argc, char **argv);
    unsigned flags;
} cli_command;

/* Command tables, one per group (cmd_*.c). */
extern const cli_command cli_lifecycle_commands[];
extern const size_t cli_lifecycle_command_count;
extern const cli_command cli_inspect_commands[];
extern const size_t cli_inspect_command_count;
extern const cli_command cli_resource_commands[];
extern const size_t cli_resource_command_count;
extern const cli_command cli_device_commands[];
extern const size_t cli_device_command_count;
extern const cli_command cli_event_commands[];
extern const size_t cli_event_command_count;
extern const cli_command cli_host_commands[];
extern const size_t cli_host_command_count;
extern const cli_command cli_ovf_commands[];
extern const size_t cli_ovf_command_count;

/* cmd_lifecycle.c: reads a VM description file ('-': stdin), XML or JSON
 * by its first non-blank character; reports its own errors. */
int cli_read_config(cli_ctx *ctx, const char *path, vmhi_vm_config **cfg);

/* main.c */
/* Opens ctx->conn with the tool's callbacks; returns a VMHI code and
 * leaves the report to the caller. */
int cli_open_connection(cli_ctx *ctx);
const cli_command *cli_find_command(const char *name);
void cli_print_command_help(const cli_command *cmd, FILE *out);
int cli_help_run(cli_ctx *ctx, int argc, char **argv);

/* ---- output.c: errors, tables, JSON -------------------------------- */

/* Prints "vmhi: error: ..." (and a JSON error document with --json);
 * returns @exit_code. */
int cli_fail(cli_ctx *ctx, int exit_code, const char *fmt, ...) CLI_PRINTF(3, 4);
/* Reports a failed VMHI call.  Must be called before any other VMHI
 * call, since each one clears the last error.  @what says what was being
 * done ("cannot start VM 'web'"); may be NULL. */
int cli_fail_vmhi(cli_ctx *ctx, int rc, const char *what, ...) CLI_PRINTF(3, 4);
/* Same, for a document read from @source (adds line and column). */
int cli_fail_parse(cli_ctx *ctx, int rc, const char *source);
/* Maps a VMHI error code to an exit code. */
int cli_exit_for(int rc);
/* Informational message on stdout unless --quiet or --json. */
void cli_info(const cli_ctx *ctx, const char *fmt, ...) CLI_PRINTF(2, 3);
/* A line on stderr about what a failed command left or undid. */
void cli_warn(const cli_ctx *ctx, const char *fmt, ...) CLI_PRINTF(2, 3);

typedef struct cli_table cli_table;
cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Adds a row of @ncols strings (copied; NULL prints "-"). */
void cli_table_add(cli_table *t, const char *const *cells);
/* Right-aligns column @col (numbers). */
void cli_table_align_right(cli_table *t, size_t col);
void cli_table_print(const cli_table *t, bool header, FILE *out);
void cli_table_free(cli_table *t);

/* Prints @doc pretty and releases it. */
void cli_json_emit(json_object *doc);
json_object *cli_json_u64(uint64_t v);
/* A string, or JSON null for NULL. */
json_object *cli_json_str(const char *s);
/* A uint64 field the backend may not know (UINT64_MAX): number or null. */
json_object *cli_json_u64_or_null(uint64_t v);

/* {"action", "name", "uuid", "state", "reason"} for a finished action. */
json_object *cli_action_doc(vmhi_vm *vm, const char *action);
/* Reports a successful action: the JSON document of cli_action_doc() plus
 * the fields of @extra (released), or the message @fmt on stdout. */
int cli_done(cli_ctx *ctx, vmhi_vm *vm, const char *action, json_object *extra,
             const char *fmt, ...) CLI_PRINTF(5, 6);

/* "4.2 s", "1h 03m" and the like, for CPU time. */
void cli_format_ns(uint64_t ns, char *buf, size_t len);

/* ---- args.c: option parsing ---------------------------------------- */

/* Parses a decimal number in [min, max]; false on garbage. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Memory in MiB, with optional suffix M/MiB or G/GiB. */
bool cli_parse_mib(const char *s, uint64_t *out);
/* Seconds as a non-negative decimal ("2", "0.5") into milliseconds. */
bool cli_parse_seconds(const char *s, unsigned *ms);
/* Resets getopt for a new argument vector. */
void cli_getopt_reset(void);
/* Reports an unknown option or missing argument; returns CLI_EXIT_USAGE. */
int cli_usage(cli_ctx *ctx, const char *cmd, const char *fmt, ...) CLI_PRINTF(3, 4);
/* Checks the number of positional arguments left after options. */
int cli_expect_args(cli_ctx *ctx, const char *cmd, int have, int min, int max);
/* What cli_parse_globals() found besides an exit code (>= 0). */
#define CLI_GLOBALS_COMMAND (-1) /* go on: the command is argv[optind], if any */
#define CLI_GLOBALS_VERSION (-2) /* --version */
#define CLI_GLOBALS_HELP (-3)    /* --help */
/* Parses the global options before the command into @ctx (getopt: optind
 * is left at the command); an exit code after a usage error. */
int cli_parse_globals(cli_ctx *ctx, int argc, char **argv);
/* `vmhi CMD --help` anywhere before a "--" shows the command's help. */
bool cli_wants_help(int argc, char **argv);
/* Reports getopt's '?' (unknown option) or ':' (missing value). */
int cli_option_error(cli_ctx *ctx, const char *cmd, int c, char **argv);
/* Reports an option value that does not parse. */
int cli_bad_value(cli_ctx *ctx, const char *cmd, const char *option, const char *value,
                  const char *expected);
/* Looks up a VM by name or UUID; reports the error itself. */
int cli_lookup_vm(cli_ctx *ctx, const char *spec, vmhi_vm **out);
/* getopt_long option string prefix: report missing values as ':'. */
#define CLI_OPTSTRING ":"

/* ---- auth.c: credentials file --------------------------------------- */

/* Loads @path; refuses files readable by group or others.  Returns an
 * exit code and reports errors itself. */
int cli_auth_load(cli_ctx *ctx, const char *path, cli_auth **out);
/* The lines of an auth file already open as @f (@path names it in errors). */
int cli_auth_parse(cli_ctx *ctx, const char *path, FILE *f, cli_auth **out);
void cli_auth_free(cli_auth *auth);
/* The vmhi_auth_cb installed on connections; @userdata is the cli_ctx. */
int cli_auth_callback(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                      size_t buflen, void *userdata);

/* ---- progress.c: progress line and spinner --------------------------- */

void cli_progress_init(cli_ctx *ctx);
/* The vmhi_progress_cb installed on connections; @userdata is the cli_ctx. */
void cli_progress_callback(const char *operation, int percent, void *userdata);
/* Redraws the spinner for a wait the CLI does itself (after 0.5 s). */
void cli_progress_spin(cli_ctx *ctx, const char *label);
/* Clears the progress line, if anything is drawn. */
void cli_progress_clear(cli_ctx *ctx);

/* ---- wait.c: waiting for a VM condition ---------------------------- */

/* A condition checked after every event and periodically: returns 1 when
 * met, 0 when not yet, a negative VMHI error code on failure. */
typedef int (*cli_wait_check)(cli_ctx *ctx, vmhi_vm *vm, void *data);

typedef struct cli_waiter {
    int sub_id;       /* event subscription, or -1 when events are unavailable */
    int event_fd;
    unsigned events;  /* events seen since the last check */
} cli_waiter;

/* Subscribes to the VM's events before an operation, so that its
 * completion cannot be missed.  Never fails: without events the wait
 * falls back to polling. */
void cli_wait_prepare(cli_ctx *ctx, vmhi_vm *vm, cli_waiter *w);
/* Waits until @check is met or @timeout_ms passes.  Returns 1 when met,
 * 0 on timeout, negative VMHI error (last error set) on failure. */
int cli_wait(cli_ctx *ctx, vmhi_vm *vm, cli_waiter *w, unsigned timeout_ms, const char *label,
             cli_wait_check check, void *data);
void cli_wait_finish(cli_ctx *ctx, cli_waiter *w);

#endif /* VMHI_CLI_H */
