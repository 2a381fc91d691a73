/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Memory and vCPU commands: setmem, setmaxmem, memstats, setvcpus, vcpuinfo.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_AFFECT_OPTIONS                                                              \
    "      --live          change the running VM only\n"                                \
    "      --config        change the persistent definition only\n"                     \
    "                      (both: both; neither: live if active, else the definition)\n"

/* "VM VALUE [--live] [--config]": the shape of setmem, setmaxmem, setvcpus. */
typedef struct cli_setter {
    const char *name;
    bool memory;       /* value is a size in MiB (else a count) */
    bool affect;       /* accepts --live/--config */
    const char *field; /* JSON field for the value */
    int (*call)(vmhi_vm *vm, uint64_t value, unsigned flags);
    const char *what;  /* for the message: "<what> of VM 'x' set to <value><unit>." */
    const char *unit;
} cli_setter;

static int cli_call_setmem(vmhi_vm *vm, uint64_t v, unsigned f)
{
    return vmhi_vm_set_memory(vm, v, f);
}

static int cli_call_setmaxmem(vmhi_vm *vm, uint64_t v, unsigned f)
{
    return vmhi_vm_set_max_memory(vm, v, f);
}

static int cli_call_setvcpus(vmhi_vm *vm, uint64_t v, unsigned f)
{
    return vmhi_vm_set_vcpus(vm, (unsigned)v, f);
}

static const cli_setter cli_setters[] = {
    { "setmem", true, true, "memory_mib", cli_call_setmem, "Memory", " MiB" },
    { "setmaxmem", true, false, "max_memory_mib", cli_call_setmaxmem, "Maximum memory",
      " MiB (from the next start)" },
    { "setvcpus", false, true, "vcpus", cli_call_setvcpus, "vCPU count", "" },
};

static const char *cli_affect_name(unsigned flags)
{
    switch (flags) {
    case VMHI_AFFECT_LIVE: return "live";
    case VMHI_AFFECT_CONFIG: return "config";
    case VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG: return "live+config";
    default: return "current";
    }
}

static int cli_run_setter(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "live", no_argument, NULL, 'L' }, { "config", no_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    const cli_setter *s = NULL;
    unsigned flags = 0;
    uint64_t value;
    vmhi_vm *vm = NULL;
    int c, rc;

    for (size_t i = 0; i < CLI_ARRAY_SIZE(cli_setters); i++)
        if (strcmp(cli_setters[i].name, argv[0]) == 0)
            s = &cli_setters[i];
    while ((c = getopt_long(argc, argv, CLI_OPTSTRING, s->affect ? opts : opts + 2, NULL)) != -1) {
        if (c == 'L')
            flags |= VMHI_AFFECT_LIVE;
        else if (c == 'C')
            flags |= VMHI_AFFECT_CONFIG;
        else
            return cli_option_error(ctx, argv[0], c, argv);
    }
    rc = cli_expect_args(ctx, argv[0], argc - optind, 2, 2);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (s->memory ? !cli_parse_mib(argv[optind + 1], &value)
                  : !cli_parse_u64(argv[optind + 1], 0, UINT32_MAX, &value))
        return cli_bad_value(ctx, argv[0], s->memory ? "MIB" : "N", argv[optind + 1],
                             s->memory ? "a size in MiB (or with a G suffix)" : "a number");
    if (!s->affect)
        flags = VMHI_AFFECT_CONFIG;
    rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = s->call(vm, value, flags);
    if (rc != VMHI_OK) {
        rc = cli_fail_vmhi(ctx, rc, "%s on VM '%s' failed", s->name, vmhi_vm_get_name(vm));
    } else {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, s->field, cli_json_u64(value));
        json_object_object_add(extra, "affect", json_object_new_string(cli_affect_name(flags)));
        rc = cli_done(ctx, vm, s->name, extra, "%s of VM '%s' set to %llu%s (%s).", s->what,
                      vmhi_vm_get_name(vm), (unsigned long long)value, s->unit,
                      cli_affect_name(flags));
    }
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------ memstats */

static int cli_one_vm_arg(cli_ctx *ctx, int argc, char **argv, vmhi_vm **vm)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    int c, rc;

    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, argv[0], c, argv);
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    return rc == CLI_EXIT_OK ? cli_lookup_vm(ctx, argv[optind], vm) : rc;
}

static void cli_memstats_emit(cli_ctx *ctx, const vmhi_memory_stats *st)
{
    const struct {
        const char *key, *label;
        uint64_t value;
        const char *unit;
    } rows[] = {
        { "actual_kib", "Actual", st->actual_kib, "KiB" },
        { "available_kib", "Available", st->available_kib, "KiB" },
        { "unused_kib", "Unused", st->unused_kib, "KiB" },
        { "usable_kib", "Usable", st->usable_kib, "KiB" },
        { "rss_kib", "RSS", st->rss_kib, "KiB" },
        { "swap_in_kib", "Swap in", st->swap_in_kib, "KiB" },
        { "swap_out_kib", "Swap out", st->swap_out_kib, "KiB" },
        { "major_faults", "Major faults", st->major_faults, "" },
        { "minor_faults", "Minor faults", st->minor_faults, "" },
    };
    json_object *doc = json_object_new_object();

    for (size_t i = 0; i < CLI_ARRAY_SIZE(rows); i++) {
        json_object_object_add(doc, rows[i].key, cli_json_u64_or_null(rows[i].value));
        if (ctx->json)
            continue;
        if (rows[i].value == UINT64_MAX)
            printf("%-14s %12s\n", rows[i].label, "unknown");
        else
            printf("%-14s %12llu%s%s\n", rows[i].label, (unsigned long long)rows[i].value,
                   *rows[i].unit ? " " : "", rows[i].unit);
    }
    if (ctx->json)
        cli_json_emit(doc);
    else
        json_object_put(doc);
}

static int cli_run_memstats(cli_ctx *ctx, int argc, char **argv)
{
    vmhi_memory_stats stats = VMHI_MEMORY_STATS_INIT;
    vmhi_vm *vm = NULL;
    int rc = cli_one_vm_arg(ctx, argc, argv, &vm);

    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_memory_stats(vm, &stats);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot read memory statistics of VM '%s'",
                           vmhi_vm_get_name(vm));
    else
        cli_memstats_emit(ctx, &stats);
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------ vcpuinfo */

static void cli_vcpu_row(cli_table *t, json_object *array, const vmhi_vcpu_info *v)
{
    char id[16], host[16], thread[32], time[32];
    json_object *o = json_object_new_object();

    snprintf(id, sizeof(id), "%u", v->id);
    snprintf(host, sizeof(host), "%d", v->host_cpu);
    snprintf(thread, sizeof(thread), "%lld", (long long)v->thread_id);
    cli_format_ns(v->cpu_time_ns, time, sizeof(time));
    cli_table_add(t, (const char *const[]){ id, v->online ? "yes" : "no",
                                            v->host_cpu >= 0 ? host : "-", time,
                                            v->thread_id >= 0 ? thread : "-" });
    json_object_object_add(o, "id", json_object_new_int((int)v->id));
    json_object_object_add(o, "online", json_object_new_boolean(v->online));
    json_object_object_add(o, "host_cpu", v->host_cpu >= 0 ? json_object_new_int(v->host_cpu) : NULL);
    json_object_object_add(o, "cpu_time_ns", cli_json_u64(v->cpu_time_ns));
    json_object_object_add(o, "thread_id",
                           v->thread_id >= 0 ? json_object_new_int64(v->thread_id) : NULL);
    json_object_array_add(array, o);
}

static int cli_vcpu_emit(cli_ctx *ctx, const vmhi_vcpu_list *list)
{
    static const char *const headers[] = { "VCPU", "ONLINE", "HOST-CPU", "CPU-TIME", "THREAD" };
    cli_table *t = cli_table_new(CLI_ARRAY_SIZE(headers), headers);
    json_object *array = json_object_new_array();

    cli_table_align_right(t, 0);
    cli_table_align_right(t, 2);
    cli_table_align_right(t, 3);
    for (size_t i = 0; i < vmhi_vcpu_list_count(list); i++) {
        vmhi_vcpu_info v = VMHI_VCPU_INFO_INIT;
        int rc = vmhi_vcpu_list_get(list, i, &v);
        if (rc != VMHI_OK) {
            cli_table_free(t);
            json_object_put(array);
            return cli_fail_vmhi(ctx, rc, "cannot read vCPU %zu", i);
        }
        cli_vcpu_row(t, array, &v);
    }
    if (ctx->json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "vcpus", json_object_get(array));
        cli_json_emit(doc);
    } else {
        cli_table_print(t, !ctx->quiet, stdout);
    }
    json_object_put(array);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int cli_run_vcpuinfo(cli_ctx *ctx, int argc, char **argv)
{
    vmhi_vcpu_list *list = NULL;
    vmhi_vm *vm = NULL;
    int rc = cli_one_vm_arg(ctx, argc, argv, &vm);

    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_vcpus(vm, &list);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot read vCPUs of VM '%s'", vmhi_vm_get_name(vm));
    else
        rc = cli_vcpu_emit(ctx, list);
    vmhi_vcpu_list_free(list);
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------- table */

const cli_command cli_resource_commands[] = {
    { "setmem", "VM MIB [--live] [--config]", "Set a VM's current memory",
      "Sets the memory the VM has (the balloon target when it is running), at most\n"
      "its maximum memory.  MIB is a number of MiB; a G suffix means GiB (2G = 2048).",
      CLI_AFFECT_OPTIONS, cli_run_setter, CLI_NEEDS_CONN },
    { "setmaxmem", "VM MIB", "Set a VM's maximum memory",
      "Sets the maximum memory in the persistent definition; it takes effect at the\n"
      "next start.  It must be at least the current memory.",
      NULL, cli_run_setter, CLI_NEEDS_CONN },
    { "memstats", "VM", "Show guest memory statistics",
      "Prints the memory statistics of an active VM.  Values the backend cannot\n"
      "read are shown as 'unknown' (null in JSON).",
      NULL, cli_run_memstats, CLI_NEEDS_CONN },
    { "setvcpus", "VM N [--live] [--config]", "Set a VM's vCPU count",
      "Sets the number of vCPUs (hot-plug when live), from 1 to the VM's maximum.",
      CLI_AFFECT_OPTIONS, cli_run_setter, CLI_NEEDS_CONN },
    { "vcpuinfo", "VM", "Show per-vCPU facts",
      "Prints a table of the vCPUs of an active VM: online, the host CPU it last ran\n"
      "on, CPU time used and host thread.",
      NULL, cli_run_vcpuinfo, CLI_NEEDS_CONN },
};
const size_t cli_resource_command_count = CLI_ARRAY_SIZE(cli_resource_commands);
