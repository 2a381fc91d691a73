/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * A one-line progress display on stderr: a bar for backend operations
 * that report progress, and a spinner with the elapsed time for waits the
 * tool does itself.  Drawn only when stderr is a terminal and neither
 * --quiet nor --json is given, so scripts and logs never see it.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Waits shorter than this show nothing: a flicker is worse than silence. */
#define CLI_SPIN_DELAY_NS 500000000ull
#define CLI_BAR_WIDTH 30

static uint64_t cli_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cli_progress_init(cli_ctx *ctx)
{
    ctx->progress.enabled = !ctx->quiet && !ctx->json && isatty(STDERR_FILENO);
    ctx->progress.drawn = false;
    ctx->progress.started_ns = 0;
    ctx->progress.spin = 0;
}

static void cli_progress_begin_line(cli_ctx *ctx)
{
    /* Carriage return plus "erase to end of line" redraws in place. */
    fputs("\r\033[K", stderr);
    ctx->progress.drawn = true;
}

void cli_progress_callback(const char *operation, int percent, void *userdata)
{
    cli_ctx *ctx = userdata;
    static const char spinner[] = "|/-\\";

    if (!ctx || !ctx->progress.enabled)
        return;
    cli_progress_begin_line(ctx);
    if (percent < 0) {
        fprintf(stderr, "%c %s...", spinner[ctx->progress.spin++ % 4],
                operation ? operation : "working");
    } else {
        int filled = (percent > 100 ? 100 : percent) * CLI_BAR_WIDTH / 100;
        fprintf(stderr, "%s [%.*s%*s] %3d%%", operation ? operation : "working", filled,
                "##############################", CLI_BAR_WIDTH - filled, "", percent);
    }
    fflush(stderr);
    if (percent >= 100)
        cli_progress_clear(ctx);
}

void cli_progress_spin(cli_ctx *ctx, const char *label)
{
    static const char spinner[] = "|/-\\";
    uint64_t now = cli_now_ns();
    uint64_t elapsed;

    if (!ctx->progress.enabled)
        return;
    if (ctx->progress.started_ns == 0)
        ctx->progress.started_ns = now;
    elapsed = now - ctx->progress.started_ns;
    if (elapsed < CLI_SPIN_DELAY_NS)
        return;
    cli_progress_begin_line(ctx);
    fprintf(stderr, "%c %s (%.1f s)", spinner[ctx->progress.spin++ % 4], label,
            (double)elapsed / 1e9);
    fflush(stderr);
}

void cli_progress_clear(cli_ctx *ctx)
{
    ctx->progress.started_ns = 0;
    if (!ctx->progress.drawn)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    ctx->progress.drawn = false;
}
