/*
 * libFuzzer target: the vmhi CLI's argument parsing (tools/vmhi/args.c):
 * the global options before the command, then numbers, sizes and
 * durations as the commands take them.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input is an argument vector, NUL-separated (argv[0] is "vmhi").
 * Run with -close_fd_mask=3: usage errors print.  getopt must leave
 * optind inside the vector, and a value the parsers accept is in range.
 */
#include <getopt.h>

#include "cli.h"
#include "fuzz_common.h"

#define ARGS_MAX 64

static void parse_values(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        uint64_t v = 0;
        unsigned ms = 0;
        if (cli_parse_u64(argv[i], 1, 255, &v))
            FUZZ_CHECK(v >= 1 && v <= 255);
        if (cli_parse_mib(argv[i], &v))
            FUZZ_CHECK(v >= 1);
        if (cli_parse_seconds(argv[i], &ms))
            FUZZ_CHECK(ms <= 86400000u);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char *argv[ARGS_MAX + 2];
    int argc = 0;
    if (!text)
        return 0;
    argv[argc++] = (char *)"vmhi";
    for (size_t pos = 0; pos <= size && argc < ARGS_MAX;) {
        argv[argc++] = text + pos;
        pos += strlen(text + pos) + 1;
    }
    argv[argc] = NULL;
    cli_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.uri = "test:///default";
    int rc = cli_parse_globals(&ctx, argc, argv);
    FUZZ_CHECK(rc == CLI_GLOBALS_COMMAND || rc == CLI_GLOBALS_VERSION ||
               rc == CLI_GLOBALS_HELP || rc == CLI_EXIT_USAGE);
    FUZZ_CHECK(optind >= 0 && optind <= argc);
    FUZZ_CHECK(ctx.uri != NULL);
    if (rc == CLI_GLOBALS_COMMAND && optind < argc) {
        (void)cli_wants_help(argc - optind, argv + optind);
        parse_values(argc - optind, argv + optind);
    }
    free(text);
    return 0;
}
