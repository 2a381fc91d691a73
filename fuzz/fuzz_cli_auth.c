/*
 * libFuzzer target: the vmhi CLI's auth file (tools/vmhi/auth.c):
 * `uri-prefix user password` lines, blank lines and comments.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The first input line is a URI to ask credentials for; the rest is the
 * file.  Run with -close_fd_mask=3: a malformed line is reported.  An
 * answer the callback gives fits the buffer and is terminated.
 */
#include "cli.h"
#include "fuzz_common.h"

static void ask(cli_ctx *ctx, const char *uri, vmhi_cred_type type, size_t buflen)
{
    char buf[256];
    memset(buf, 'x', sizeof(buf));
    if (cli_auth_callback(type, uri, NULL, buf, buflen, ctx) == 0)
        FUZZ_CHECK(memchr(buf, '\0', buflen) != NULL);
    FUZZ_CHECK(buf[buflen] == 'x'); /* nothing written past the buffer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    if (!text)
        return 0;
    char *nl = memchr(text, '\n', size);
    const char *uri = text;
    const char *file = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';
    size_t flen = nl ? size - (size_t)(nl + 1 - text) : 0;
    FILE *f = fmemopen((void *)file, flen ? flen : 1, "r");
    cli_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.json = true; /* never prompt on a terminal */
    if (f && cli_auth_parse(&ctx, "fuzz", f, &ctx.auth) == CLI_EXIT_OK) {
        ask(&ctx, uri, VMHI_CRED_USERNAME, 16);
        ask(&ctx, uri, VMHI_CRED_PASSWORD, 255);
    }
    if (f)
        fclose(f);
    cli_auth_free(ctx.auth);
    free(text);
    return 0;
}
