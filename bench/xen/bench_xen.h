/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Xen benchmark (runs in dom0): the same operations timed through
 * `xl`, through the `vmhi` CLI (one process per operation, as an operator
 * types them) and through libvmhi in one process.  xl is the floor: the
 * same libxl, no layer above it.
 *
 *  - bench_xen.c       main, the guests' descriptions, the table
 *  - bench_xen_run.c   spawning a command, timing, waiting for a domain
 *                      to go and for the guest's console
 *  - bench_xen_ops.c   the operations of each tool and one round of them
 *  - bench_xen_list.c  list + info of 20 domains; per-process costs
 */
#ifndef VMHI_BENCH_XEN_H
#define VMHI_BENCH_XEN_H

#include <stdint.h>

#include "vmhi/vmhi.h"

#define BENCH_MAX_ITER 50
#define BENCH_DIR "/var/lib/vmhi/bench"      /* disks, xl's config and save file */
#define BENCH_OUT "/tmp/bench-xen-op.out"    /* the last command's output */
#define BENCH_XL_NAME "bench-xl"
#define BENCH_VMHI_NAME "bench-vmhi"
#define BENCH_URI "xen:///"
#define BENCH_KERNEL "/guest/vmlinux"
#define BENCH_INITRD "/guest/initrd.gz"
#define BENCH_CMDLINE "console=hvc0 quiet"
#define BENCH_MIB 128       /* memory = maximum: no boot-time balloon either way */
#define BENCH_SET_MIB 96    /* the balloon target of mem-set/setmem */
#define BENCH_LIST_VMS 20
#define BENCH_LIST_MIB 96

typedef enum bench_op {
    OP_CREATE,   /* defined/configured -> running (xl create, vmhi start) */
    OP_PAUSE,
    OP_UNPAUSE,
    OP_MEMSET,   /* balloon 128 -> 96 MiB */
    OP_VCPUSET,  /* hot-add the second vCPU */
    OP_ATTACH,   /* a second raw disk, phy, xvdb */
    OP_DETACH,
    OP_SAVE,     /* to a file; until the domain is gone */
    OP_RESTORE,
    OP_SHUTDOWN, /* PV request; until the domain is gone */
    OP_DESTROY,  /* until the domain is gone */
    OP_LIST,     /* list + info of BENCH_LIST_VMS paused domains */
    OP_COUNT
} bench_op;

typedef enum bench_tool_id { TOOL_XL, TOOL_CLI, TOOL_LIB, TOOL_COUNT } bench_tool_id;

typedef struct bench_samples {
    double ms[TOOL_COUNT][OP_COUNT][BENCH_MAX_ITER];
    int n[TOOL_COUNT][OP_COUNT];
} bench_samples;

/* Per-process costs that explain the CLI's distance from the library. */
typedef struct bench_costs {
    double open_ms[BENCH_MAX_ITER];    /* vmhi_conn_open(xen:///) */
    double close_ms[BENCH_MAX_ITER];   /* vmhi_conn_close() */
    double version_ms[BENCH_MAX_ITER]; /* `vmhi version`: exec + libvmhi, no connection */
    double xl_list_ms[BENCH_MAX_ITER]; /* `xl list`, no guest: exec + libxl ctx + a list */
    double cli_list_ms[BENCH_MAX_ITER]; /* `vmhi list --all`, no guest running */
    int n;
} bench_costs;

extern const char *const bench_op_names[OP_COUNT];
extern bench_samples bench_s;
extern bench_costs bench_c;
extern int bench_iters;

/* ---- bench_xen_run.c ---- */
double bench_now_ms(void);
double bench_median(const double *v, int n);
void bench_record(bench_tool_id tool, bench_op op, double ms);
/* Prints what failed (with the last command's output and VMHI's last
 * error), then the table of what was measured so far, and exits 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs @argv (looked up in PATH, no shell), stdin /dev/null, stdout and
 * stderr into @out (BENCH_OUT when NULL); returns its exit status (-1:
 * could not run) and puts spawn..reaped into *ms. */
int bench_spawn(const char *const argv[], const char *out, double *ms);
/* As bench_spawn(), dying unless the command exits 0. */
double bench_run(const char *const argv[]);
int bench_xl_open(void);
/* The domid of the domain named @name, or -1 when there is none. */
int64_t bench_domid(const char *name);
/* Waits until domain @domid no longer exists (dies after 120 s). */
void bench_wait_gone(int64_t domid);
/* How often @pattern occurs in the console log of guest @name. */
int bench_console_count(const char *name, const char *pattern);
/* Waits until @pattern occurs more than @before times there (dies after
 * @secs seconds). */
void bench_console_wait(const char *name, const char *pattern, int before, int secs);
void bench_write_file(const char *path, const char *text);

/* ---- bench_xen_ops.c ---- */
/* @iters rounds of every operation on one guest per tool; the tools
 * take turns at each step, the first tool alternating per round. */
void bench_rounds_cli(int iters);
/* The same rounds through libvmhi on BENCH_VMHI_NAME, one connection. */
void bench_rounds_lib(int iters);

/* ---- bench_xen_list.c ---- */
/* list + info of BENCH_LIST_VMS paused VMHI guests: `xl list -l`,
 * `vmhi list --all` (their last output goes to @outdir) and the library. */
void bench_list(int iters, const char *outdir);
void bench_process_costs(int iters);
/* Sizes of the last outputs of `xl list -l` and `vmhi list --all`. */
extern long bench_list_bytes[2], bench_list_lines[2];

/* ---- bench_xen.c ---- */
void bench_print_table(void);

#endif
