/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Command-line parsing: the global options before the command, strict
 * numbers, sizes, durations, usage errors and resolving a VM argument
 * that may be a name or a UUID.  Kept apart from main() so that the
 * parser can be linked alone (fuzz/fuzz_cli_args.c).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    /* strtoull accepts leading blanks and a minus sign; a size does not. */
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_mib(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t factor;
    } units[] = { { "", 1 }, { "M", 1 }, { "MiB", 1 }, { "G", 1024 }, { "GiB", 1024 } };
    char digits[32];
    size_t n = 0;

    if (!s)
        return false;
    while (isdigit((unsigned char)s[n]) && n < sizeof(digits) - 1)
        n++;
    if (n == 0 || n == sizeof(digits) - 1)
        return false;
    memcpy(digits, s, n);
    digits[n] = '\0';
    for (size_t i = 0; i < CLI_ARRAY_SIZE(units); i++) {
        uint64_t v;

        if (strcmp(s + n, units[i].suffix) != 0)
            continue;
        if (!cli_parse_u64(digits, 1, UINT64_MAX / units[i].factor, &v))
            return false;
        *out = v * units[i].factor;
        return true;
    }
    return false;
}

bool cli_parse_seconds(const char *s, unsigned *ms)
{
    char *end;
    double v;

    if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return false;
    errno = 0;
    v = strtod(s, &end);
    /* Up to a day: longer waits are a typo, not a plan. */
    if (errno || *end || v < 0 || v > 86400.0)
        return false;
    *ms = (unsigned)(v * 1000.0 + 0.5);
    return true;
}

void cli_getopt_reset(void)
{
    /* glibc: 0 also resets its internal state between argument vectors. */
    optind = 0;
    opterr = 0;
}

int cli_usage(cli_ctx *ctx, const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli_fail(ctx, CLI_EXIT_USAGE, "%s", msg);
    if (cmd)
        fprintf(stderr, "Try 'vmhi help %s' for more information.\n", cmd);
    else
        fputs("Try 'vmhi --help' for more information.\n", stderr);
    return CLI_EXIT_USAGE;
}

int cli_expect_args(cli_ctx *ctx, const char *cmd, int have, int min, int max)
{
    if (have < min)
        return cli_usage(ctx, cmd, "%s: missing argument", cmd);
    if (have > max)
        return cli_usage(ctx, cmd, "%s: too many arguments", cmd);
    return CLI_EXIT_OK;
}

/* 8-4-4-4-12 hex digits: worth trying as a UUID first. */
static bool cli_looks_like_uuid(const char *s)
{
    if (strlen(s) != VMHI_UUID_STRLEN)
        return false;
    for (size_t i = 0; i < VMHI_UUID_STRLEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

int cli_lookup_vm(cli_ctx *ctx, const char *spec, vmhi_vm **out)
{
    int rc;

    *out = NULL;
    if (cli_looks_like_uuid(spec)) {
        rc = vmhi_vm_lookup_by_uuid(out, ctx->conn, spec);
        /* A name may look like a UUID too; fall back to it. */
        if (rc != VMHI_E_NO_VM)
            return rc == VMHI_OK ? CLI_EXIT_OK : cli_fail_vmhi(ctx, rc, NULL);
    }
    rc = vmhi_vm_lookup_by_name(out, ctx->conn, spec);
    if (rc == VMHI_E_NO_VM && cli_looks_like_uuid(spec))
        return cli_fail(ctx, CLI_EXIT_NOT_FOUND, "no VM with UUID or name '%s'", spec);
    if (rc == VMHI_E_NO_VM)
        return cli_fail_vmhi(ctx, rc, NULL);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot look up VM '%s'", spec);
    return CLI_EXIT_OK;
}

int cli_option_error(cli_ctx *ctx, const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";

    if (!cmd)
        return c == ':' ? cli_usage(ctx, NULL, "option '%s' needs a value", arg)
                        : cli_usage(ctx, NULL, "unknown option '%s'", arg);

    if (c == ':')
        return cli_usage(ctx, cmd, "%s: option '%s' needs a value", cmd, arg);
    return cli_usage(ctx, cmd, "%s: unknown option '%s'", cmd, arg);
}

int cli_bad_value(cli_ctx *ctx, const char *cmd, const char *option, const char *value,
                  const char *expected)
{
    return cli_usage(ctx, cmd, "%s: invalid value '%s' for %s: expected %s", cmd, value, option,
                     expected);
}

/* `vmhi CMD --help` anywhere before a "--" shows the command's help. */
bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

/* ------------------------------------------------------ global options */

int cli_parse_globals(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "connect", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'J' },
        { "quiet", no_argument, NULL, 'q' },         { "auth-file", required_argument, NULL, 'A' },
        { "readonly", no_argument, NULL, 'r' },
        { "verbose", no_argument, NULL, 'v' },       { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    int c;

    cli_getopt_reset();
    /* '+': stop at the command; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:c:qrvVh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ctx->uri = optarg; ctx->uri_explicit = true; break;
        case 'J': ctx->json = true; break;
        case 'q': ctx->quiet = true; break;
        case 'r': ctx->readonly = true; break;
        case 'A': ctx->auth_file = optarg; break;
        case 'v': ctx->verbose++; break;
        case 'V': return CLI_GLOBALS_VERSION;
        case 'h': return CLI_GLOBALS_HELP;
        default: return cli_option_error(ctx, NULL, c, argv);
        }
    }
    return CLI_GLOBALS_COMMAND;
}
