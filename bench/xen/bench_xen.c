/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Benchmark of the Xen backend against xl, the floor (the same libxl with
 * nothing above it), inside one dom0 boot:
 *
 *   vmhi-bench-xen [iterations] [outdir]     (default 5, /tmp; run as root
 *                                             in dom0, VMHI_BACKEND_PATH set)
 *
 * Two equivalent PV guests, one per tool: the same kernel and initrd,
 * 128 MiB (memory = maximum), 1 of 2 vCPUs, one raw disk on phy (xvda), one
 * vif on xenbr0.  xl's comes from a config file (`xl create`), VMHI's from
 * a definition (`vmhi define` once, then `vmhi start`).  Every operation is
 * timed through xl and the vmhi CLI (a process per operation for both),
 * then through libvmhi in one process (one connection, then the calls).
 * The CLI and the library cannot overlap: one process at a time manages
 * VMHI's state directory.  Prints per operation the medians in ms, the
 * ratio vmhi/xl (target <= 1.10) and lib/xl.  bench/xen/bench-xen.sh
 * boots the test bed and runs this in its dom0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_xen.h"

#define BENCH_TARGET 1.10

const char *const bench_op_names[OP_COUNT] = {
    [OP_CREATE] = "create / start",
    [OP_PAUSE] = "pause / pause",
    [OP_UNPAUSE] = "unpause / resume",
    [OP_MEMSET] = "mem-set / setmem",
    [OP_VCPUSET] = "vcpu-set / setvcpus",
    [OP_ATTACH] = "block-attach / attach-disk",
    [OP_DETACH] = "block-detach / detach-disk",
    [OP_SAVE] = "save / suspend",
    [OP_RESTORE] = "restore / start",
    [OP_SHUTDOWN] = "shutdown -w / shutdown",
    [OP_DESTROY] = "destroy / poweroff",
    [OP_LIST] = "list -l / list --all (x20)",
};

bench_samples bench_s;
bench_costs bench_c;
int bench_iters;

/* ------------------------------------------------------------ the guests */

static const char xl_cfg[] =
    "name = \"" BENCH_XL_NAME "\"\n"
    "type = \"pv\"\n"
    "kernel = \"" BENCH_KERNEL "\"\n"
    "ramdisk = \"" BENCH_INITRD "\"\n"
    "extra = \"" BENCH_CMDLINE "\"\n"
    "memory = 128\n"
    "maxmem = 128\n"
    "vcpus = 1\n"
    "maxvcpus = 2\n"
    "disk = [ \"format=raw,vdev=xvda,access=rw,backendtype=phy,target=" BENCH_DIR
    "/xl-root.raw\" ]\n"
    "vif = [ \"bridge=xenbr0\" ]\n"
    "on_poweroff = \"destroy\"\n"
    "on_reboot = \"restart\"\n"
    "on_crash = \"destroy\"\n";

static const char vmhi_xml[] =
    "<vm xmlns=\"urn:vmhi:vm:1\">\n"
    "  <name>" BENCH_VMHI_NAME "</name>\n"
    "  <vcpus max=\"2\">1</vcpus>\n"
    "  <memory max=\"128\">128</memory>\n"
    "  <guest-type>pv</guest-type>\n"
    "  <kernel>\n"
    "    <path>" BENCH_KERNEL "</path>\n"
    "    <initrd>" BENCH_INITRD "</initrd>\n"
    "    <cmdline>" BENCH_CMDLINE "</cmdline>\n"
    "  </kernel>\n"
    "  <devices>\n"
    "    <disk id=\"root\"><path>" BENCH_DIR "/vmhi-root.raw</path></disk>\n"
    "    <nic id=\"net0\"><network>bridge:xenbr0</network></nic>\n"
    "  </devices>\n"
    "</vm>\n";

/* A sparse 16 MiB raw image: blkback reads it through a loop device. */
static void make_disk(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", BENCH_DIR, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, 16 << 20) != 0)
        bench_die("cannot make %s: %s", path, strerror(errno));
    close(fd);
}

static void prepare(void)
{
    static const char *const define[] = { "vmhi", "-c", BENCH_URI, "define",
                                          BENCH_DIR "/bench-vmhi.xml", NULL };
    if (mkdir(BENCH_DIR, 0700) != 0 && errno != EEXIST)
        bench_die("cannot make %s: %s", BENCH_DIR, strerror(errno));
    make_disk("xl-root.raw");
    make_disk("xl-data.raw");
    make_disk("vmhi-root.raw");
    make_disk("vmhi-data.raw");
    bench_write_file(BENCH_DIR "/bench-xl.cfg", xl_cfg);
    bench_write_file(BENCH_DIR "/bench-vmhi.xml", vmhi_xml);
    bench_run(define);
}

static void print_host(void)
{
    vmhi_conn *conn = NULL;
    vmhi_host_info hi = VMHI_HOST_INFO_INIT;
    if (vmhi_conn_open(&conn, BENCH_URI, NULL) != VMHI_OK ||
        vmhi_conn_get_host_info(conn, &hi) != VMHI_OK)
        bench_die("cannot open " BENCH_URI " (VMHI_BACKEND_PATH names the modules?)");
    vmhi_conn_close(conn);
    printf("vmhi-bench-xen: %s %s, %u CPUs, %llu MiB (%llu free), %d iterations\n",
           hi.hypervisor, hi.hypervisor_version, hi.cpus,
           (unsigned long long)hi.memory_mib, (unsigned long long)hi.free_memory_mib,
           bench_iters);
    fflush(stdout);
}

/* ------------------------------------------------------------- the table */

static double med(bench_tool_id t, bench_op op)
{
    return bench_median(bench_s.ms[t][op], bench_s.n[t][op]);
}

static void fmt_ms(char *buf, size_t size, bench_tool_id t, bench_op op)
{
    if (bench_s.n[t][op])
        snprintf(buf, size, "%.1f", med(t, op));
    else
        snprintf(buf, size, "-");
}

static void fmt_ratio(char *buf, size_t size, bench_tool_id t, bench_op op)
{
    if (bench_s.n[t][op] && bench_s.n[TOOL_XL][op] && med(TOOL_XL, op) > 0)
        snprintf(buf, size, "%.2f", med(t, op) / med(TOOL_XL, op));
    else
        snprintf(buf, size, "-");
}

static void print_row(bench_op op, int *over)
{
    char xl[32], cli[32], lib[32], rc[32], rl[32];
    fmt_ms(xl, sizeof(xl), TOOL_XL, op);
    fmt_ms(cli, sizeof(cli), TOOL_CLI, op);
    fmt_ms(lib, sizeof(lib), TOOL_LIB, op);
    fmt_ratio(rc, sizeof(rc), TOOL_CLI, op);
    fmt_ratio(rl, sizeof(rl), TOOL_LIB, op);
    bool high = rc[0] != '-' && med(TOOL_CLI, op) / med(TOOL_XL, op) > BENCH_TARGET;
    *over += high;
    printf("%-28s %9s %9s %8s%s %9s %7s %3d\n", bench_op_names[op], xl, cli, rc,
           high ? "!" : " ", lib, rl, bench_s.n[TOOL_XL][op]);
}

static void print_costs(void)
{
    int n = bench_c.n;
    if (!n)
        return;
    printf("\nper-process costs (medians of %d): vmhi_conn_open %.1f ms, vmhi_conn_close "
           "%.1f ms; `vmhi version` (exec + libvmhi, no connection) %.1f ms;\n"
           "  no guest running: `xl list` %.1f ms, `vmhi list --all` %.1f ms\n",
           n, bench_median(bench_c.open_ms, n), bench_median(bench_c.close_ms, n),
           bench_median(bench_c.version_ms, n), bench_median(bench_c.xl_list_ms, n),
           bench_median(bench_c.cli_list_ms, n));
}

void bench_print_table(void)
{
    int over = 0;
    printf("\n%-28s %9s %9s %8s  %9s %7s %3s\n", "operation xl / vmhi (median)", "xl ms",
           "vmhi ms", "vmhi/xl", "lib ms", "lib/xl", "n");
    for (int op = 0; op < OP_COUNT; op++)
        print_row((bench_op)op, &over);
    if (bench_list_bytes[0] || bench_list_bytes[1])
        printf("\nlist outputs: `xl list -l` %ld bytes, %ld lines (JSON: every domain's libxl "
               "config); `vmhi list --all` %ld bytes, %ld lines (a table row per VM)\n",
               bench_list_bytes[0], bench_list_lines[0], bench_list_bytes[1],
               bench_list_lines[1]);
    print_costs();
    printf("\nvmhi = the vmhi CLI, one process per operation, like xl; lib = libvmhi in one "
           "process, one connection.\n%d ratio(s) vmhi/xl above %.2f (marked !)\n", over,
           BENCH_TARGET);
}

int main(int argc, char **argv)
{
    bench_iters = argc > 1 ? atoi(argv[1]) : 5;
    if (bench_iters < 1 || bench_iters > BENCH_MAX_ITER)
        bench_iters = 5;
    const char *outdir = argc > 2 ? argv[2] : "/tmp";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (bench_xl_open() != 0)
        bench_die("cannot make a libxl context (not a dom0?)");
    double t0 = bench_now_ms();
    print_host();
    prepare();
    bench_rounds_cli(bench_iters);
    bench_process_costs(bench_iters);
    bench_rounds_lib(bench_iters);
    bench_list(bench_iters, outdir);
    static const char *const undefine[] = { "vmhi", "-c", BENCH_URI, "undefine",
                                            BENCH_VMHI_NAME, NULL };
    bench_run(undefine);
    bench_print_table();
    printf("bench time: %.0f s\n", (bench_now_ms() - t0) / 1e3);
    return 0;
}
