/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Lifecycle commands: define, create, undefine, start, shutdown,
 * poweroff, reboot, reset, pause, resume, suspend.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Definitions are small; anything bigger than this is not one. */
#define CLI_DOC_MAX (16u * 1024u * 1024u)

/* -------------------------------------------------- reading documents */

static int cli_read_all(cli_ctx *ctx, const char *path, char **out, size_t *len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t size = 0, cap = 0;
    int rc = CLI_EXIT_OK;

    if (!f)
        return cli_fail(ctx, CLI_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (size + 4096 + 1 > cap) {
            char *grown = cap + 65536 <= CLI_DOC_MAX ? realloc(buf, cap + 65536) : NULL;
            if (!grown) {
                rc = cli_fail(ctx, CLI_EXIT_INPUT, "'%s' is larger than %u bytes", path,
                              CLI_DOC_MAX);
                break;
            }
            buf = grown;
            cap += 65536;
        }
        size_t n = fread(buf + size, 1, 4096, f);
        size += n;
        if (n < 4096)
            break;
    }
    if (rc == CLI_EXIT_OK && ferror(f))
        rc = cli_fail(ctx, CLI_EXIT_INPUT, "cannot read '%s': %s", path, strerror(errno));
    if (!is_stdin)
        fclose(f);
    if (rc != CLI_EXIT_OK) {
        free(buf);
        return rc;
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return CLI_EXIT_OK;
}

/* Reads a VM description; the first non-blank character tells XML ('<')
 * from JSON ('{'). */
int cli_read_config(cli_ctx *ctx, const char *path, vmhi_vm_config **cfg)
{
    const char *source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    char *doc = NULL;
    size_t len = 0;
    int rc = cli_read_all(ctx, path, &doc, &len);
    char first;

    if (rc != CLI_EXIT_OK)
        return rc;
    first = doc[strspn(doc, " \t\r\n")];
    if (first == '<')
        rc = vmhi_vm_config_from_xml(cfg, doc, len);
    else if (first == '{')
        rc = vmhi_vm_config_from_json(cfg, doc, len);
    free(doc);
    if (first != '<' && first != '{')
        return cli_fail(ctx, CLI_EXIT_INPUT,
                        "%s: not a VM description: expected XML ('<') or JSON ('{')%s", source,
                        first ? "" : ", found an empty document");
    return rc == VMHI_OK ? CLI_EXIT_OK : cli_fail_parse(ctx, rc, source);
}

/* ------------------------------------------------------ define/create */

static int cli_define_or_create(cli_ctx *ctx, int argc, char **argv, bool create)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    const char *cmd = argv[0];
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    int c, rc;

    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, cmd, c, argv);
    rc = cli_expect_args(ctx, cmd, argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_read_config(ctx, argv[optind], &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = create ? vmhi_vm_create(&vm, ctx->conn, cfg, 0) : vmhi_vm_define(&vm, ctx->conn, cfg, 0);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot %s VM '%s'", cmd, vmhi_vm_config_get_name(cfg));
    else if (create)
        rc = cli_done(ctx, vm, cmd, NULL, "VM '%s' created and started (%s).",
                      vmhi_vm_get_name(vm), vmhi_vm_get_uuid(vm));
    else
        rc = cli_done(ctx, vm, cmd, NULL, "VM '%s' defined (%s).", vmhi_vm_get_name(vm),
                      vmhi_vm_get_uuid(vm));
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    return rc;
}

static int cli_run_define(cli_ctx *ctx, int argc, char **argv)
{
    return cli_define_or_create(ctx, argc, argv, false);
}

static int cli_run_create(cli_ctx *ctx, int argc, char **argv)
{
    return cli_define_or_create(ctx, argc, argv, true);
}

/* ---------------------------------------------------- one-shot actions */

typedef struct cli_action {
    const char *name;
    const char *done;  /* "started", ... */
    int (*call)(vmhi_vm *vm);
} cli_action;

static int cli_call_start(vmhi_vm *vm) { return vmhi_vm_start(vm, 0); }
static int cli_call_poweroff(vmhi_vm *vm) { return vmhi_vm_poweroff(vm, 0); }
static int cli_call_reboot(vmhi_vm *vm) { return vmhi_vm_reboot(vm, 0); }
static int cli_call_reset(vmhi_vm *vm) { return vmhi_vm_reset(vm, 0); }
static int cli_call_pause(vmhi_vm *vm) { return vmhi_vm_pause(vm, 0); }
static int cli_call_resume(vmhi_vm *vm) { return vmhi_vm_resume(vm, 0); }
static int cli_call_suspend(vmhi_vm *vm) { return vmhi_vm_suspend(vm, 0); }
static int cli_call_undefine(vmhi_vm *vm) { return vmhi_vm_undefine(vm, 0); }

static const cli_action cli_actions[] = {
    { "start", "started", cli_call_start },
    { "poweroff", "powered off", cli_call_poweroff },
    { "reboot", "asked to reboot", cli_call_reboot },
    { "reset", "reset", cli_call_reset },
    { "pause", "paused", cli_call_pause },
    { "resume", "resumed", cli_call_resume },
    { "suspend", "suspended", cli_call_suspend },
    { "undefine", "undefined", cli_call_undefine },
};

static int cli_run_action(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    const cli_action *action = NULL;
    vmhi_vm *vm = NULL;
    int c, rc;

    for (size_t i = 0; i < CLI_ARRAY_SIZE(cli_actions); i++)
        if (strcmp(cli_actions[i].name, argv[0]) == 0)
            action = &cli_actions[i];
    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, argv[0], c, argv);
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK || !action)
        return rc;
    rc = action->call(vm);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot %s VM '%s'", action->name, vmhi_vm_get_name(vm));
    else
        rc = cli_done(ctx, vm, action->name, NULL, "VM '%s' %s.", vmhi_vm_get_name(vm),
                      action->done);
    vmhi_vm_free(vm);
    return rc;
}

/* ----------------------------------------------------------- shutdown */

/* Done when shut off, or gone (a transient VM disappears when it stops). */
static int cli_is_shut_off(cli_ctx *ctx, vmhi_vm *vm, void *data)
{
    vmhi_vm_state state;
    int rc = vmhi_vm_get_state(vm, &state, NULL);

    (void)ctx;
    *(vmhi_vm_state *)data = rc == VMHI_OK ? state : VMHI_STATE_SHUTOFF;
    if (rc == VMHI_E_NO_VM)
        return 1;
    return rc < 0 ? rc : state == VMHI_STATE_SHUTOFF;
}

static int cli_shutdown_and_wait(cli_ctx *ctx, vmhi_vm *vm, unsigned timeout_ms,
                                 vmhi_shutdown_method method)
{
    vmhi_vm_state state = VMHI_STATE_SHUTTING_DOWN;
    cli_waiter w;
    char label[320];
    int rc;

    cli_wait_prepare(ctx, vm, &w);
    rc = vmhi_vm_shutdown(vm, 0, method);
    if (rc != VMHI_OK) {
        rc = cli_fail_vmhi(ctx, rc, "cannot shut down VM '%s'", vmhi_vm_get_name(vm));
        cli_wait_finish(ctx, &w);
        return rc;
    }
    snprintf(label, sizeof(label), "waiting for VM '%s' to shut down", vmhi_vm_get_name(vm));
    rc = cli_wait(ctx, vm, &w, timeout_ms, label, cli_is_shut_off, &state);
    cli_wait_finish(ctx, &w);
    if (rc < 0)
        return cli_fail_vmhi(ctx, rc, "while waiting for VM '%s'", vmhi_vm_get_name(vm));
    if (rc == 0)
        return cli_fail(ctx, CLI_EXIT_TIMEOUT,
                        "VM '%s' did not shut down within %.1f s; it is still %s",
                        vmhi_vm_get_name(vm), timeout_ms / 1000.0,
                        vmhi_vm_state_name(state) ? vmhi_vm_state_name(state) : "active");
    return cli_done(ctx, vm, "shutdown", NULL, "VM '%s' shut down.", vmhi_vm_get_name(vm));
}

static int cli_run_shutdown(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "timeout", required_argument, NULL, 't' }, { "method", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    bool wait = false;
    unsigned timeout_ms = 0;
    vmhi_shutdown_method method = VMHI_SHUTDOWN_DEFAULT;
    vmhi_vm *vm = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "t:m:", opts, NULL)) != -1) {
        if (c == 'm' && vmhi_shutdown_method_from_name(optarg, &method) != VMHI_OK)
            return cli_bad_value(ctx, argv[0], "--method", optarg,
                                 "default, acpi, guest-agent or pv");
        if (c == 'm')
            continue;
        if (c != 't')
            return cli_option_error(ctx, argv[0], c, argv);
        if (!cli_parse_seconds(optarg, &timeout_ms))
            return cli_bad_value(ctx, argv[0], "--timeout", optarg, "seconds");
        wait = true;
    }
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (wait) {
        rc = cli_shutdown_and_wait(ctx, vm, timeout_ms, method);
    } else {
        rc = vmhi_vm_shutdown(vm, 0, method);
        if (rc != VMHI_OK)
            rc = cli_fail_vmhi(ctx, rc, "cannot shut down VM '%s'", vmhi_vm_get_name(vm));
        else
            rc = cli_done(ctx, vm, "shutdown", NULL, "Shutdown of VM '%s' requested.",
                          vmhi_vm_get_name(vm));
    }
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------- table */

#define CLI_VM_ONLY(verb, what, since)                                                       \
    { verb, "VM", what, since, NULL, cli_run_action, CLI_NEEDS_CONN }

const cli_command cli_lifecycle_commands[] = {
    { "define", "FILE", "Define a persistent VM from an XML or JSON description",
      "Reads a VM description from FILE ('-' for stdin) and defines a persistent VM,\n"
      "shut off.  The format is detected from the first non-blank character: '<' for\n"
      "XML, '{' for JSON.  A description with the UUID and name of an existing VM\n"
      "updates its definition.  A malformed document exits with 8 and names the\n"
      "line and column.",
      NULL, cli_run_define, CLI_NEEDS_CONN },
    { "create", "FILE", "Create and start a transient VM from a description",
      "Like 'define', but the VM is started at once and is transient: it disappears\n"
      "when it stops.",
      NULL, cli_run_create, CLI_NEEDS_CONN },
    CLI_VM_ONLY("undefine", "Remove a VM's persistent definition",
                "A shut-off VM disappears (a suspended one with its saved state); a running\n"
                "one becomes transient and disappears when it stops."),
    CLI_VM_ONLY("start", "Start a shut-off, crashed or suspended VM",
                "Boots the VM, or restores it when it was suspended."),
    { "shutdown", "VM [--timeout SEC] [--method M]", "Ask the guest to shut down gracefully",
      "Asks the guest to shut down (by default the backend's usual way, e.g. the\n"
      "virtual power button).  Without --timeout the command returns as\n"
      "soon as the request is made (the VM is shutting-down until the guest acts).\n"
      "With --timeout it waits until the VM is shut off, showing the elapsed time on\n"
      "a terminal, and exits with 7 when the guest did not shut down in time.",
      "  -t, --timeout SEC   wait up to SEC seconds for the VM to be shut off\n"
      "  -m, --method M      default, acpi, guest-agent or pv ('vmhi caps' lists\n"
      "                      the ones the backend accepts)\n",
      cli_run_shutdown, CLI_NEEDS_CONN },
    CLI_VM_ONLY("poweroff", "Power a VM off at once",
                "Pulls the virtual plug: valid when running, paused, shutting-down or crashed;\n"
                "on a suspended VM it discards the saved state."),
    CLI_VM_ONLY("reboot", "Ask the guest to reboot gracefully", "Valid when running."),
    CLI_VM_ONLY("reset", "Reset a VM hard", "Like pressing the reset button: valid when running or paused."),
    CLI_VM_ONLY("pause", "Pause a running VM", "Stops the vCPUs; memory is kept."),
    CLI_VM_ONLY("resume", "Resume a paused VM", "Lets the vCPUs run again."),
    CLI_VM_ONLY("suspend", "Save a VM's state and stop it",
                "Saves a running or paused persistent VM to disk; 'start' restores it."),
};
const size_t cli_lifecycle_command_count = CLI_ARRAY_SIZE(cli_lifecycle_commands);
