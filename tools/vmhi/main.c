/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi: a command-line front end to every call of the public API.
 * This file finds the subcommand after the global options (args.c),
 * opens the connection it needs and prints help.  Each command group lives in its
 * own cmd_*.c file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_DEFAULT_URI "test:///default"

static const cli_command cli_help_command = {
    "help", "[COMMAND]", "Show help for vmhi or for one command",
    "Without an argument, lists the commands, the global options and the exit codes.\n"
    "With a command name, shows that command's synopsis, description and options.\n"
    "'vmhi COMMAND --help' does the same.",
    NULL, cli_help_run, 0,
};

static const struct {
    const char *title;
    const cli_command *commands;
    const size_t *count;
} cli_groups[] = {
    { "Lifecycle", cli_lifecycle_commands, &cli_lifecycle_command_count },
    { "Inspection", cli_inspect_commands, &cli_inspect_command_count },
    { "Memory and vCPU", cli_resource_commands, &cli_resource_command_count },
    { "Devices", cli_device_commands, &cli_device_command_count },
    { "Events", cli_event_commands, &cli_event_command_count },
    { "Host", cli_host_commands, &cli_host_command_count },
    { "OVF", cli_ovf_commands, &cli_ovf_command_count },
};

const cli_command *cli_find_command(const char *name)
{
    if (strcmp(name, cli_help_command.name) == 0)
        return &cli_help_command;
    for (size_t g = 0; g < CLI_ARRAY_SIZE(cli_groups); g++)
        for (size_t i = 0; i < *cli_groups[g].count; i++)
            if (strcmp(cli_groups[g].commands[i].name, name) == 0)
                return &cli_groups[g].commands[i];
    return NULL;
}

/* ------------------------------------------------------------- help */

static const char cli_global_options_text[] =
    "  -c, --connect URI   hypervisor to connect to (default: $VMHI_URI, else " CLI_DEFAULT_URI ")\n"
    "      --json          print one JSON document on stdout (errors too)\n"
    "  -q, --quiet         no informational messages, table headers or progress\n"
    "  -r, --readonly      open the connection read-only: every command that would\n"
    "                      change a VM fails (exit 10) and changes nothing\n"
    "      --auth-file F   credentials file: lines 'uri-prefix user password';\n"
    "                      must not be accessible to group or others (chmod 600)\n"
    "  -v, --verbose       show library log messages on stderr (twice: debug)\n"
    "  -V, --version       same as 'vmhi version'\n"
    "  -h, --help          this help\n";

static const char cli_exit_codes_text[] =
    "  0  success\n"
    "  1  generic or backend failure\n"
    "  2  usage error (bad command line)\n"
    "  3  no such VM or device\n"
    "  4  the VM is in a state that does not allow the operation\n"
    "  5  the backend does not support the operation\n"
    "  6  connection, authentication or backend module problem\n"
    "  7  timeout\n"
    "  8  malformed document or invalid value (bad XML/JSON, out-of-range size)\n"
    "  9  already exists, busy, or beyond a limit\n"
    "  10 not permitted (--readonly, or the host denies the right)\n";

static void cli_print_main_help(FILE *out)
{
    fputs("Usage: vmhi [GLOBAL OPTIONS] COMMAND [ARGS...]\n\n"
          "Manage virtual machines on any hypervisor VMHI supports (test, kvm, esx, xen).\n"
          "VM arguments accept a name or a UUID.\n",
          out);
    for (size_t g = 0; g < CLI_ARRAY_SIZE(cli_groups); g++) {
        fprintf(out, "\n%s commands:\n", cli_groups[g].title);
        for (size_t i = 0; i < *cli_groups[g].count; i++)
            fprintf(out, "  %-13s %s\n", cli_groups[g].commands[i].name,
                    cli_groups[g].commands[i].summary);
    }
    fprintf(out, "  %-13s %s\n", cli_help_command.name, cli_help_command.summary);
    fprintf(out, "\nGlobal options (before the command):\n%s", cli_global_options_text);
    fprintf(out, "\nExit codes:\n%s", cli_exit_codes_text);
    fputs("\nEnvironment:\n"
          "  VMHI_URI            default connection URI\n"
          "  VMHI_BACKEND_PATH   colon-separated directories searched for backend modules\n"
          "\nRun 'vmhi help COMMAND' for a command's options.\n",
          out);
}

void cli_print_command_help(const cli_command *cmd, FILE *out)
{
    fprintf(out, "Usage: vmhi [GLOBAL OPTIONS] %s%s%s\n\n%s\n\n%s\n", cmd->name,
            cmd->args && *cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary,
            cmd->description);
    if (cmd->options)
        fprintf(out, "\nOptions:\n%s", cmd->options);
    fprintf(out, "  -h, --help          show this help\n");
    fputs("\nRun 'vmhi --help' for the global options and exit codes.\n", out);
}

int cli_help_run(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd;

    if (argc > 2)
        return cli_usage(ctx, "help", "help: too many arguments");
    if (argc < 2) {
        cli_print_main_help(stdout);
        return CLI_EXIT_OK;
    }
    cmd = cli_find_command(argv[1]);
    if (!cmd)
        return cli_usage(ctx, NULL, "unknown command '%s'", argv[1]);
    cli_print_command_help(cmd, stdout);
    return CLI_EXIT_OK;
}

static void cli_log(int level, const char *domain, const char *message, void *userdata)
{
    static const char *const names[] = { "", "error", "warning", "info", "debug" };
    cli_ctx *ctx = userdata;

    cli_progress_clear(ctx);
    fprintf(stderr, "vmhi: %s: [%s] %s\n",
            level >= 1 && level <= 4 ? names[level] : "log", domain ? domain : "core", message);
}

int cli_open_connection(cli_ctx *ctx)
{
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;

    opts.auth_cb = cli_auth_callback;
    opts.auth_data = ctx;
    opts.progress_cb = cli_progress_callback;
    opts.progress_data = ctx;
    if (ctx->readonly)
        opts.flags |= VMHI_CONN_READONLY;
    if (ctx->verbose > 0) {
        opts.log_cb = cli_log;
        opts.log_data = ctx;
        opts.log_level = ctx->verbose > 1 ? VMHI_LOG_DEBUG : VMHI_LOG_INFO;
    }
    return vmhi_conn_open(&ctx->conn, ctx->uri, &opts);
}

static int cli_connect(cli_ctx *ctx)
{
    int rc = cli_open_connection(ctx);

    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot connect to '%s'", ctx->uri);
    return CLI_EXIT_OK;
}

/* Opens the connection when the command needs it or, for `version`,
 * when the user named a URI; then runs the command. */
static int cli_run(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    int rc;

    if (ctx->auth_file) {
        rc = cli_auth_load(ctx, ctx->auth_file, &ctx->auth);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (cmd->flags & CLI_NEEDS_CONN) {
        rc = cli_connect(ctx);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    cli_getopt_reset();
    rc = cmd->run(ctx, argc, argv);
    cli_progress_clear(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    cli_ctx ctx;
    const cli_command *cmd;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.uri = getenv("VMHI_URI");
    ctx.uri_explicit = ctx.uri && *ctx.uri;
    if (!ctx.uri_explicit)
        ctx.uri = CLI_DEFAULT_URI;

    rc = cli_parse_globals(&ctx, argc, argv);
    cli_progress_init(&ctx);
    if (rc == CLI_GLOBALS_HELP) {
        cli_print_main_help(stdout);
        rc = CLI_EXIT_OK;
    } else if (rc == CLI_GLOBALS_VERSION) {
        static char version_name[] = "version";
        char *vargv[] = { version_name, NULL };
        cmd = cli_find_command(version_name);
        rc = cli_run(&ctx, cmd, 1, vargv);
    } else if (rc == CLI_GLOBALS_COMMAND && optind >= argc) {
        rc = cli_usage(&ctx, NULL, "no command given");
    } else if (rc == CLI_GLOBALS_COMMAND) {
        cmd = cli_find_command(argv[optind]);
        if (!cmd)
            rc = cli_usage(&ctx, NULL, "unknown command '%s'", argv[optind]);
        else if (cli_wants_help(argc - optind, argv + optind)) {
            cli_print_command_help(cmd, stdout);
            rc = CLI_EXIT_OK;
        } else
            rc = cli_run(&ctx, cmd, argc - optind, argv + optind);
    }
    vmhi_conn_close(ctx.conn);
    cli_auth_free(ctx.auth);
    return rc;
}
