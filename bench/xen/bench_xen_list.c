/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * "list + info of 20 domains": BENCH_LIST_VMS paused PV guests that VMHI
 * started (the vmhi CLI lists the VMs the backend manages; xl lists every
 * domain libxl knows, those included), then
 *   xl list -l         every domain's libxl configuration as JSON
 *   vmhi list --all    name, state, vCPUs, memory, persistence per VM
 *                      (vmhi_conn_list_vms + vmhi_vm_get_info for each)
 *   libvmhi            the same two calls in one open connection
 * And the per-process costs that separate the CLI from the library:
 * exec and library load alone, a connection's open and close.
 */
#include <stdio.h>
#include <string.h>

#include "bench_xen.h"

long bench_list_bytes[2], bench_list_lines[2];

static void list_name(char *buf, size_t size, int k)
{
    snprintf(buf, size, "bench-l%02d", k);
}

static vmhi_vm_config *list_config(int k)
{
    char name[32];
    vmhi_vm_config *cfg = NULL;
    list_name(name, sizeof(name), k);
    if (vmhi_vm_config_new(&cfg) || vmhi_vm_config_set_name(cfg, name) ||
        vmhi_vm_config_set_guest_type(cfg, VMHI_GUEST_PV) ||
        vmhi_vm_config_set_max_vcpus(cfg, 1) || vmhi_vm_config_set_vcpus(cfg, 1) ||
        vmhi_vm_config_set_max_memory_mib(cfg, BENCH_LIST_MIB) ||
        vmhi_vm_config_set_memory_mib(cfg, BENCH_LIST_MIB) ||
        vmhi_vm_config_set_kernel(cfg, BENCH_KERNEL) ||
        vmhi_vm_config_set_initrd(cfg, BENCH_INITRD) ||
        vmhi_vm_config_set_cmdline(cfg, BENCH_CMDLINE))
        bench_die("cannot describe %s", name);
    return cfg;
}

/* Define, start and pause: setup, not timed. */
static void list_setup(void)
{
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, BENCH_URI, NULL) != VMHI_OK)
        bench_die("cannot open " BENCH_URI);
    for (int k = 0; k < BENCH_LIST_VMS; k++) {
        vmhi_vm_config *cfg = list_config(k);
        vmhi_vm *vm = NULL;
        double t0 = bench_now_ms();
        if (vmhi_vm_define(&vm, conn, cfg, 0) || vmhi_vm_start(vm, 0) || vmhi_vm_pause(vm, 0))
            bench_die("cannot start and pause %s", vmhi_vm_config_get_name(cfg));
        bench_progress("list setup: %s defined, started, paused (%.0f ms)",
                       vmhi_vm_config_get_name(cfg), bench_now_ms() - t0);
        vmhi_vm_free(vm);
        vmhi_vm_config_free(cfg);
    }
    vmhi_conn_close(conn);
}

static void list_teardown(void)
{
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, BENCH_URI, NULL) != VMHI_OK)
        bench_die("cannot open " BENCH_URI);
    for (int k = 0; k < BENCH_LIST_VMS; k++) {
        char name[32];
        vmhi_vm *vm = NULL;
        list_name(name, sizeof(name), k);
        if (vmhi_vm_lookup_by_name(&vm, conn, name) || vmhi_vm_poweroff(vm, 0) ||
            vmhi_vm_undefine(vm, 0))
            bench_die("cannot remove %s", name);
        vmhi_vm_free(vm);
    }
    vmhi_conn_close(conn);
}

/* What `vmhi list --all` asks the library: the list, then each VM's info. */
static size_t list_lib_once(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t count = 0;
    if (vmhi_conn_list_vms(conn, 0, &vms, &count) != VMHI_OK)
        bench_die("library: list failed");
    for (size_t i = 0; i < count; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vms[i], &info) != VMHI_OK)
            bench_die("library: info of %s failed", vmhi_vm_get_name(vms[i]));
    }
    vmhi_vm_list_free(vms, count);
    return count;
}

static void file_size(const char *path, long *bytes, long *lines)
{
    FILE *f = fopen(path, "r");
    int c;
    *bytes = *lines = 0;
    while (f && (c = fgetc(f)) != EOF) {
        ++*bytes;
        *lines += c == '\n';
    }
    if (f)
        fclose(f);
}

static void list_cli(int iters, const char *outdir)
{
    static const char *const xl[] = { "xl", "list", "-l", NULL };
    static const char *const cli[] = { "vmhi", "-c", BENCH_URI, "list", "--all", NULL };
    char out[2][512];
    snprintf(out[0], sizeof(out[0]), "%s/list-xl.txt", outdir);
    snprintf(out[1], sizeof(out[1]), "%s/list-vmhi.txt", outdir);
    for (int i = 0; i < iters; i++)
        for (int k = 0; k < 2; k++) {
            int which = (k + i) % 2; /* xl first in even rounds */
            double ms;
            if (bench_spawn(which ? cli : xl, out[which], &ms) != 0)
                bench_die("`%s list` failed (output in %s)", which ? "vmhi" : "xl", out[which]);
            bench_record(which ? TOOL_CLI : TOOL_XL, OP_LIST, ms);
            bench_progress("round %d/%d %-7s %-28s %9.1f ms", i + 1, iters,
                           which ? "vmhi" : "xl", bench_op_names[OP_LIST], ms);
        }
    for (int k = 0; k < 2; k++)
        file_size(out[k], &bench_list_bytes[k], &bench_list_lines[k]);
}

static void list_lib(int iters)
{
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, BENCH_URI, NULL) != VMHI_OK)
        bench_die("cannot open " BENCH_URI);
    for (int i = 0; i < iters; i++) {
        double t0 = bench_now_ms();
        size_t n = list_lib_once(conn);
        double ms = bench_now_ms() - t0;
        if (n < BENCH_LIST_VMS)
            bench_die("library: listed %zu VMs, not %d", n, BENCH_LIST_VMS);
        bench_record(TOOL_LIB, OP_LIST, ms);
        bench_progress("round %d/%d %-7s %-28s %9.1f ms", i + 1, iters, "libvmhi",
                       bench_op_names[OP_LIST], ms);
    }
    vmhi_conn_close(conn);
}

void bench_list(int iters, const char *outdir)
{
    list_setup();
    list_cli(iters, outdir);
    list_lib(iters);
    list_teardown();
}

/* ------------------------------------------------------ per-process costs */

void bench_process_costs(int iters)
{
    static const char *const version[] = { "vmhi", "version", NULL };
    static const char *const xl_list[] = { "xl", "list", NULL };
    static const char *const cli_list[] = { "vmhi", "-c", BENCH_URI, "list", "--all", NULL };
    for (int i = 0; i < iters && i < BENCH_MAX_ITER; i++) {
        vmhi_conn *conn = NULL;
        double t0 = bench_now_ms();
        if (vmhi_conn_open(&conn, BENCH_URI, NULL) != VMHI_OK)
            bench_die("cannot open " BENCH_URI);
        double t1 = bench_now_ms();
        vmhi_conn_close(conn);
        bench_c.open_ms[i] = t1 - t0;
        bench_c.close_ms[i] = bench_now_ms() - t1;
        bench_c.version_ms[i] = bench_run(version);
        bench_c.xl_list_ms[i] = bench_run(xl_list);
        bench_c.cli_list_ms[i] = bench_run(cli_list);
        bench_c.n = i + 1;
        bench_progress("costs %d/%d: open %.1f close %.1f, vmhi version %.1f, xl list %.1f, "
                       "vmhi list %.1f ms", i + 1, iters, bench_c.open_ms[i],
                       bench_c.close_ms[i], bench_c.version_ms[i], bench_c.xl_list_ms[i],
                       bench_c.cli_list_ms[i]);
    }
}
