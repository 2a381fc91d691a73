/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Inspection commands: list, info, state, dumpconfig.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *cli_state_str(vmhi_vm_state state)
{
    const char *name = vmhi_vm_state_name(state);
    return name ? name : "unknown";
}

static const char *cli_reason_str(vmhi_state_reason reason)
{
    const char *name = vmhi_state_reason_name(reason);
    return name ? name : "unknown";
}

/* ---------------------------------------------------------------- list */

/* Adds the states named in a comma-separated list to @filter. */
static bool cli_parse_states(const char *list, unsigned *filter)
{
    char buf[256];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        vmhi_vm_state state;
        if (vmhi_vm_state_from_name(tok, &state) != VMHI_OK)
            return false;
        *filter |= VMHI_STATE_BIT(state);
    }
    return true;
}

static json_object *cli_vm_info_json(vmhi_vm *vm, const vmhi_vm_info *info)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "name", cli_json_str(vmhi_vm_get_name(vm)));
    json_object_object_add(o, "uuid", cli_json_str(vmhi_vm_get_uuid(vm)));
    json_object_object_add(o, "state", json_object_new_string(cli_state_str(info->state)));
    json_object_object_add(o, "reason", json_object_new_string(cli_reason_str(info->reason)));
    json_object_object_add(o, "persistent", json_object_new_boolean(info->persistent));
    json_object_object_add(o, "vcpus", json_object_new_int((int)info->vcpus));
    json_object_object_add(o, "max_vcpus", json_object_new_int((int)info->max_vcpus));
    json_object_object_add(o, "memory_mib", cli_json_u64(info->memory_mib));
    json_object_object_add(o, "max_memory_mib", cli_json_u64(info->max_memory_mib));
    json_object_object_add(o, "cpu_time_ns", cli_json_u64(info->cpu_time_ns));
    return o;
}

static void cli_list_add_row(cli_table *t, vmhi_vm *vm, const vmhi_vm_info *info)
{
    char vcpus[32], memory[48];

    snprintf(vcpus, sizeof(vcpus), "%u", info->vcpus);
    snprintf(memory, sizeof(memory), "%llu MiB", (unsigned long long)info->memory_mib);
    cli_table_add(t, (const char *const[]){ vmhi_vm_get_name(vm), cli_state_str(info->state),
                                            vcpus, memory, info->persistent ? "yes" : "no",
                                            vmhi_vm_get_uuid(vm) });
}

static int cli_list_print(cli_ctx *ctx, vmhi_vm **vms, size_t count)
{
    static const char *const headers[] = { "NAME", "STATE", "VCPUS", "MEMORY", "PERSISTENT", "UUID" };
    cli_table *t = cli_table_new(CLI_ARRAY_SIZE(headers), headers);
    json_object *array = json_object_new_array();

    cli_table_align_right(t, 2);
    cli_table_align_right(t, 3);
    for (size_t i = 0; i < count; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        int rc = vmhi_vm_get_info(vms[i], &info);

        if (rc == VMHI_E_NO_VM) /* went away since the listing */
            continue;
        if (rc != VMHI_OK) {
            cli_table_free(t);
            json_object_put(array);
            return cli_fail_vmhi(ctx, rc, "cannot read VM '%s'", vmhi_vm_get_name(vms[i]));
        }
        cli_list_add_row(t, vms[i], &info);
        json_object_array_add(array, cli_vm_info_json(vms[i], &info));
        if (ctx->quiet && !ctx->json)
            puts(vmhi_vm_get_name(vms[i]));
    }
    if (ctx->json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "vms", json_object_get(array));
        cli_json_emit(doc);
    } else if (!ctx->quiet) {
        cli_table_print(t, true, stdout);
    }
    json_object_put(array);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int cli_run_list(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },       { "state", required_argument, NULL, 's' },
        { "persistent", no_argument, NULL, 'p' }, { "transient", no_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    unsigned states = 0, kinds = 0;
    bool all = false;
    vmhi_vm **vms = NULL;
    size_t count = 0;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "as:", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case 'p': kinds |= VMHI_LIST_PERSISTENT; break;
        case 't': kinds |= VMHI_LIST_TRANSIENT; break;
        case 's':
            if (!cli_parse_states(optarg, &states))
                return cli_bad_value(ctx, argv[0], "--state", optarg,
                                     "shutoff, running, paused, suspended, shutting-down or crashed");
            break;
        default: return cli_option_error(ctx, argv[0], c, argv);
        }
    }
    rc = cli_expect_args(ctx, argv[0], argc - optind, 0, 0);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* Like virsh: active VMs unless asked otherwise. */
    if (states == 0 && !all && kinds == 0)
        states = VMHI_STATE_BIT(VMHI_STATE_RUNNING) | VMHI_STATE_BIT(VMHI_STATE_PAUSED) |
                 VMHI_STATE_BIT(VMHI_STATE_SHUTTING_DOWN);
    rc = vmhi_conn_list_vms(ctx->conn, states | kinds, &vms, &count);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot list VMs");
    rc = cli_list_print(ctx, vms, count);
    vmhi_vm_list_free(vms, count);
    return rc;
}

/* ---------------------------------------------------------- info/state */

/* Commands that take exactly one VM and no options. */
static int cli_one_vm(cli_ctx *ctx, int argc, char **argv, vmhi_vm **vm)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    int c, rc;

    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, argv[0], c, argv);
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    return rc == CLI_EXIT_OK ? cli_lookup_vm(ctx, argv[optind], vm) : rc;
}

static void cli_info_print(vmhi_vm *vm, const vmhi_vm_info *info)
{
    char cpu[32];

    cli_format_ns(info->cpu_time_ns, cpu, sizeof(cpu));
    printf("Name:        %s\n", vmhi_vm_get_name(vm));
    printf("UUID:        %s\n", vmhi_vm_get_uuid(vm));
    printf("State:       %s (%s)\n", cli_state_str(info->state), cli_reason_str(info->reason));
    printf("Persistent:  %s\n", info->persistent ? "yes" : "no");
    printf("vCPUs:       %u\n", info->vcpus);
    printf("Max vCPUs:   %u\n", info->max_vcpus);
    printf("Memory:      %llu MiB\n", (unsigned long long)info->memory_mib);
    printf("Max memory:  %llu MiB\n", (unsigned long long)info->max_memory_mib);
    printf("CPU time:    %s\n", cpu);
}

static int cli_run_info(cli_ctx *ctx, int argc, char **argv)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    vmhi_vm *vm = NULL;
    int rc = cli_one_vm(ctx, argc, argv, &vm);

    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_info(vm, &info);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot read VM '%s'", vmhi_vm_get_name(vm));
    else if (ctx->json)
        cli_json_emit(cli_vm_info_json(vm, &info));
    else
        cli_info_print(vm, &info);
    vmhi_vm_free(vm);
    return rc;
}

static int cli_run_state(cli_ctx *ctx, int argc, char **argv)
{
    vmhi_vm_state state;
    vmhi_state_reason reason;
    vmhi_vm *vm = NULL;
    int rc = cli_one_vm(ctx, argc, argv, &vm);

    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_state(vm, &state, &reason);
    if (rc != VMHI_OK) {
        rc = cli_fail_vmhi(ctx, rc, "cannot read the state of VM '%s'", vmhi_vm_get_name(vm));
    } else if (ctx->json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "name", cli_json_str(vmhi_vm_get_name(vm)));
        json_object_object_add(doc, "uuid", cli_json_str(vmhi_vm_get_uuid(vm)));
        json_object_object_add(doc, "state", json_object_new_string(cli_state_str(state)));
        json_object_object_add(doc, "reason", json_object_new_string(cli_reason_str(reason)));
        cli_json_emit(doc);
    } else {
        printf("%s (%s)\n", cli_state_str(state), cli_reason_str(reason));
    }
    vmhi_vm_free(vm);
    return rc;
}

/* ---------------------------------------------------------- dumpconfig */

/* With --json (global), the document is embedded: the JSON form as an
 * object, the XML form as a string. */
static void cli_dump_emit(cli_ctx *ctx, const char *text, bool as_json)
{
    json_object *doc;

    if (!ctx->json) {
        fputs(text, stdout);
        if (*text && text[strlen(text) - 1] != '\n')
            putchar('\n');
        return;
    }
    doc = as_json ? json_tokener_parse(text) : NULL;
    if (!doc) {
        doc = json_object_new_object();
        json_object_object_add(doc, as_json ? "json" : "xml", json_object_new_string(text));
    }
    cli_json_emit(doc);
}

static int cli_run_dumpconfig(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "xml", no_argument, NULL, 'x' },  { "json", no_argument, NULL, 'j' },
        { "live", no_argument, NULL, 'L' }, { "config", no_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    bool as_json = false, as_xml = false;
    unsigned flags = 0;
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    char *text = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        if (c == 'x')
            as_xml = true;
        else if (c == 'j')
            as_json = true;
        else if (c == 'L')
            flags |= VMHI_AFFECT_LIVE;
        else if (c == 'C')
            flags |= VMHI_AFFECT_CONFIG;
        else
            return cli_option_error(ctx, argv[0], c, argv);
    }
    if (flags == (VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG))
        return cli_usage(ctx, argv[0], "%s: --live and --config exclude each other", argv[0]);
    if (as_xml && as_json)
        return cli_usage(ctx, argv[0], "%s: --xml and --json exclude each other", argv[0]);
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_config(vm, &cfg, flags);
    if (rc == VMHI_OK)
        rc = as_json ? vmhi_vm_config_to_json(cfg, &text) : vmhi_vm_config_to_xml(cfg, &text);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot read the configuration of VM '%s'",
                           vmhi_vm_get_name(vm));
    else
        cli_dump_emit(ctx, text, as_json);
    vmhi_free(text);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------- table */

const cli_command cli_inspect_commands[] = {
    { "list", "[--all | --state S[,S...] ...] [--persistent | --transient]", "List VMs",
      "Lists VMs as a table: name, state, vCPUs, memory, persistence and UUID.\n"
      "Without options only active VMs (running, paused, shutting-down) are listed.\n"
      "--persistent and --transient alone select VMs in every state.  With --quiet,\n"
      "only the names are printed, one per line.",
      "  -a, --all           VMs in every state\n"
      "  -s, --state S,...   VMs in these states (repeatable): shutoff, running,\n"
      "                      paused, suspended, shutting-down, crashed\n"
      "      --persistent    only persistent (defined) VMs\n"
      "      --transient     only transient VMs\n",
      cli_run_list, CLI_NEEDS_CONN },
    { "info", "VM", "Show a VM's state, vCPUs, memory and CPU time",
      "Prints one 'key: value' line per fact.", NULL, cli_run_info, CLI_NEEDS_CONN },
    { "state", "VM", "Show a VM's state and the reason for it",
      "Prints the state and, in parentheses, why the VM is in it, e.g.\n"
      "'shutoff (poweroff)'.", NULL, cli_run_state, CLI_NEEDS_CONN },
    { "dumpconfig", "VM [--xml | --json] [--live | --config]", "Print a VM's description",
      "Prints the VM's description (live values when it is active, the persistent\n"
      "definition with --config, only a running VM's with --live) in the XML form\n"
      "(the default) or the JSON form.  The output can be given to 'define'.  With the\n"
      "global --json, the JSON form is printed as is and the XML form as a string in\n"
      "{\"xml\": ...}.",
      "      --xml           XML form (default)\n"
      "      --json          JSON form\n"
      "      --live          the running VM (fails when it is not active)\n"
      "      --config        the persistent definition, also while it runs\n",
      cli_run_dumpconfig, CLI_NEEDS_CONN },
};
const size_t cli_inspect_command_count = CLI_ARRAY_SIZE(cli_inspect_commands);
