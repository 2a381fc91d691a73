/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The operations of the Xen benchmark as each tool does them, and one
 * round of them on one guest per tool:
 *
 *   create, pause, unpause, mem-set, vcpu-set, block-attach, block-detach,
 *   save + restore, shutdown, (create, not timed), destroy
 *
 * xl and the vmhi CLI take turns at every step, so the two samples of an
 * operation are seconds apart and see the same machine (the host's load,
 * TCG, dom0's caches); which goes first alternates per round.  Save and
 * restore go as a pair per tool: dom0 then holds one saved image (a
 * guest's whole memory, on tmpfs) at a time.
 *
 * What is timed ends at the same point for both tools: an operation that
 * ends a domain (save, shutdown, destroy) runs until libxl no longer
 * knows it (xl's shutdown -w returns when the guest has shut down; xl's
 * background process destroys the domain a moment later).  Not timed:
 * waiting for the guest to have booted, to see a hot-added disk or vCPU,
 * or to lose a detached disk (its console says so), so that every
 * operation finds the guest in the same state whatever the tool.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_xen.h"

typedef struct bench_tool {
    bench_tool_id id;
    const char *label;
    const char *domain;
    void (*run)(bench_op op);
} bench_tool;

#define XL_SAVE BENCH_DIR "/xl.save"
#define V "vmhi", "-c", BENCH_URI

static const char *const xl_argv[OP_COUNT][10] = {
    [OP_CREATE] = { "xl", "create", BENCH_DIR "/bench-xl.cfg", NULL },
    [OP_PAUSE] = { "xl", "pause", BENCH_XL_NAME, NULL },
    [OP_UNPAUSE] = { "xl", "unpause", BENCH_XL_NAME, NULL },
    [OP_MEMSET] = { "xl", "mem-set", BENCH_XL_NAME, "96m", NULL }, /* BENCH_SET_MIB */
    [OP_VCPUSET] = { "xl", "vcpu-set", BENCH_XL_NAME, "2", NULL },
    [OP_ATTACH] = { "xl", "block-attach", BENCH_XL_NAME,
                    "format=raw,vdev=xvdb,access=rw,backendtype=phy,target=" BENCH_DIR
                    "/xl-data.raw", NULL },
    [OP_DETACH] = { "xl", "block-detach", BENCH_XL_NAME, "xvdb", NULL },
    [OP_SAVE] = { "xl", "save", BENCH_XL_NAME, XL_SAVE, NULL },
    [OP_RESTORE] = { "xl", "restore", XL_SAVE, NULL },
    [OP_SHUTDOWN] = { "xl", "shutdown", "-w", BENCH_XL_NAME, NULL },
    [OP_DESTROY] = { "xl", "destroy", BENCH_XL_NAME, NULL },
};

static const char *const cli_argv[OP_COUNT][10] = {
    [OP_CREATE] = { V, "start", BENCH_VMHI_NAME, NULL },
    [OP_PAUSE] = { V, "pause", BENCH_VMHI_NAME, NULL },
    [OP_UNPAUSE] = { V, "resume", BENCH_VMHI_NAME, NULL },
    [OP_MEMSET] = { V, "setmem", BENCH_VMHI_NAME, "96", NULL },
    [OP_VCPUSET] = { V, "setvcpus", BENCH_VMHI_NAME, "2", NULL },
    [OP_ATTACH] = { V, "attach-disk", BENCH_VMHI_NAME, BENCH_DIR "/vmhi-data.raw", "--id",
                    "data", NULL },
    [OP_DETACH] = { V, "detach-disk", BENCH_VMHI_NAME, "data", NULL },
    [OP_SAVE] = { V, "suspend", BENCH_VMHI_NAME, NULL },
    [OP_RESTORE] = { V, "start", BENCH_VMHI_NAME, NULL },
    [OP_SHUTDOWN] = { V, "shutdown", BENCH_VMHI_NAME, "--timeout", "60", NULL },
    [OP_DESTROY] = { V, "poweroff", BENCH_VMHI_NAME, NULL },
};

static void run_xl(bench_op op)
{
    bench_run(xl_argv[op]);
    if (op == OP_RESTORE)
        unlink(XL_SAVE); /* vmhi removes its image after a restore too */
}

static void run_cli(bench_op op)
{
    bench_run(cli_argv[op]);
}

/* ---------------------------------------------------------- the library */

static vmhi_conn *lib_conn;
static vmhi_vm *lib_vm;

static int lib_attach(void)
{
    vmhi_disk *disk = NULL;
    int rc = vmhi_disk_new(&disk);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(disk, "data");
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(disk, BENCH_DIR "/vmhi-data.raw");
    if (rc == VMHI_OK)
        rc = vmhi_vm_attach_disk(lib_vm, disk, VMHI_AFFECT_CURRENT, NULL);
    vmhi_disk_free(disk);
    return rc;
}

static int lib_call(bench_op op)
{
    switch (op) {
    case OP_CREATE:
    case OP_RESTORE: return vmhi_vm_start(lib_vm, 0);
    case OP_PAUSE: return vmhi_vm_pause(lib_vm, 0);
    case OP_UNPAUSE: return vmhi_vm_resume(lib_vm, 0);
    case OP_MEMSET: return vmhi_vm_set_memory(lib_vm, BENCH_SET_MIB, VMHI_AFFECT_CURRENT);
    case OP_VCPUSET: return vmhi_vm_set_vcpus(lib_vm, 2, VMHI_AFFECT_CURRENT);
    case OP_ATTACH: return lib_attach();
    case OP_DETACH: return vmhi_vm_detach_disk(lib_vm, "data", VMHI_AFFECT_CURRENT, NULL);
    case OP_SAVE: return vmhi_vm_suspend(lib_vm, 0);
    case OP_SHUTDOWN: return vmhi_vm_shutdown(lib_vm, 60000, 0);
    case OP_DESTROY: return vmhi_vm_poweroff(lib_vm, 0);
    default: return VMHI_E_INVALID_ARG;
    }
}

static void run_lib(bench_op op)
{
    if (lib_call(op) != VMHI_OK)
        bench_die("library: %s failed", bench_op_names[op]);
}

/* -------------------------------------------------------------- a round */

static const bench_tool tool_xl = { TOOL_XL, "xl", BENCH_XL_NAME, run_xl };
static const bench_tool tool_cli = { TOOL_CLI, "vmhi", BENCH_VMHI_NAME, run_cli };
static const bench_tool tool_lib = { TOOL_LIB, "libvmhi", BENCH_VMHI_NAME, run_lib };

/* What the guest prints once it has taken in an operation's effect. */
static const char *const console_marker[OP_COUNT] = {
    [OP_CREATE] = "DOMU-UP",
    [OP_VCPUSET] = "DOMU onlined cpu1",
    [OP_ATTACH] = "DOMU sees xvdb",
    [OP_DETACH] = "DOMU lost xvdb",
};

static bool ends_domain(bench_op op)
{
    return op == OP_SAVE || op == OP_SHUTDOWN || op == OP_DESTROY;
}

static void step(const bench_tool *t, bench_op op, bool timed, int round)
{
    const char *marker = console_marker[op];
    int before = marker ? bench_console_count(t->domain, marker) : 0;
    int64_t domid = ends_domain(op) ? bench_domid(t->domain) : -1;
    double t0 = bench_now_ms();
    t->run(op);
    if (ends_domain(op))
        bench_wait_gone(domid);
    double ms = bench_now_ms() - t0;
    if (timed)
        bench_record(t->id, op, ms);
    bench_progress("round %d/%d %-7s %-28s %9.1f ms%s", round + 1, bench_iters, t->label,
                   bench_op_names[op], ms, timed ? "" : " (setup, not timed)");
    if (marker)
        bench_console_wait(t->domain, marker, before, 120);
}

typedef struct bench_group {
    bench_op ops[2];
    int nops;
    bool timed;
} bench_group;

static const bench_group round_groups[] = {
    { { OP_CREATE }, 1, true },   { { OP_PAUSE }, 1, true },  { { OP_UNPAUSE }, 1, true },
    { { OP_MEMSET }, 1, true },   { { OP_VCPUSET }, 1, true }, { { OP_ATTACH }, 1, true },
    { { OP_DETACH }, 1, true },   { { OP_SAVE, OP_RESTORE }, 2, true },
    { { OP_SHUTDOWN }, 1, true }, { { OP_CREATE }, 1, false }, { { OP_DESTROY }, 1, true },
};

static void round_of(const bench_tool *const *tools, int ntools, int round)
{
    for (size_t g = 0; g < sizeof(round_groups) / sizeof(round_groups[0]); g++)
        for (int k = 0; k < ntools; k++)
            for (int j = 0; j < round_groups[g].nops; j++)
                step(tools[k], round_groups[g].ops[j], round_groups[g].timed, round);
}

void bench_rounds_cli(int iters)
{
    for (int i = 0; i < iters; i++) {
        const bench_tool *order[2] = { &tool_xl, &tool_cli };
        if (i % 2) {
            order[0] = &tool_cli;
            order[1] = &tool_xl;
        }
        round_of(order, 2, i);
    }
}

void bench_rounds_lib(int iters)
{
    const bench_tool *only[1] = { &tool_lib };
    if (vmhi_conn_open(&lib_conn, BENCH_URI, NULL) != VMHI_OK)
        bench_die("cannot open " BENCH_URI);
    if (vmhi_vm_lookup_by_name(&lib_vm, lib_conn, BENCH_VMHI_NAME) != VMHI_OK)
        bench_die("no VM " BENCH_VMHI_NAME);
    for (int i = 0; i < iters; i++)
        round_of(only, 1, i);
    vmhi_vm_free(lib_vm);
    vmhi_conn_close(lib_conn);
    lib_vm = NULL;
    lib_conn = NULL;
}
