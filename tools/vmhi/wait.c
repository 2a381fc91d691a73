/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Waiting for a VM to reach a condition (shut off, device gone).  The
 * waiter subscribes to the VM's events before the operation is issued so
 * that the completion cannot slip by; each event triggers a re-check of
 * the condition.  Backends without events are polled instead, and a slow
 * periodic re-check also covers events that never come.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "cli.h"

#define CLI_WAIT_SLICE_MS 100      /* spinner redraw and poll granularity */
#define CLI_RECHECK_EVENTS_MS 1000 /* re-check although no event arrived */
#define CLI_RECHECK_POLL_MS 250    /* re-check interval without events */

static uint64_t cli_wait_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void cli_wait_on_event(vmhi_conn *conn, const vmhi_event *event, void *userdata)
{
    cli_waiter *w = userdata;

    (void)conn;
    (void)event;
    w->events++;
}

void cli_wait_prepare(cli_ctx *ctx, vmhi_vm *vm, cli_waiter *w)
{
    w->sub_id = -1;
    w->event_fd = -1;
    w->events = 0;
    if (vmhi_conn_subscribe(ctx->conn, VMHI_EVENT_ALL_1_0, vmhi_vm_get_uuid(vm), cli_wait_on_event,
                            w, NULL, &w->sub_id) != VMHI_OK ||
        vmhi_conn_get_event_fd(ctx->conn, &w->event_fd) != VMHI_OK) {
        cli_wait_finish(ctx, w);
        w->sub_id = -1;
    }
    vmhi_error_clear();
}

void cli_wait_finish(cli_ctx *ctx, cli_waiter *w)
{
    if (w->sub_id >= 0)
        vmhi_conn_unsubscribe(ctx->conn, w->sub_id);
    w->sub_id = -1;
    cli_progress_clear(ctx);
}

/* Sleeps one slice, waking early when an event is readable; dispatches it. */
static int cli_wait_slice(cli_ctx *ctx, cli_waiter *w, unsigned ms)
{
    struct pollfd pfd = { .fd = w->event_fd, .events = POLLIN, .revents = 0 };
    int rc;

    if (w->sub_id < 0) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        return VMHI_OK;
    }
    rc = poll(&pfd, 1, (int)ms);
    if (rc < 0 && errno != EINTR)
        return VMHI_E_IO;
    if (rc > 0) {
        rc = vmhi_conn_dispatch_events(ctx->conn, 0);
        if (rc < 0)
            return rc;
    }
    return VMHI_OK;
}

int cli_wait(cli_ctx *ctx, vmhi_vm *vm, cli_waiter *w, unsigned timeout_ms, const char *label,
             cli_wait_check check, void *data)
{
    uint64_t start = cli_wait_now_ms();
    uint64_t last_check = start;
    unsigned recheck = w->sub_id >= 0 ? CLI_RECHECK_EVENTS_MS : CLI_RECHECK_POLL_MS;
    int rc = check(ctx, vm, data);

    while (rc == 0) {
        uint64_t now = cli_wait_now_ms();
        uint64_t elapsed = now - start;

        if (elapsed >= timeout_ms) {
            rc = check(ctx, vm, data); /* the last word, in case it just happened */
            break;
        }
        cli_progress_spin(ctx, label);
        rc = cli_wait_slice(ctx, w, (unsigned)(timeout_ms - elapsed < CLI_WAIT_SLICE_MS
                                                   ? timeout_ms - elapsed
                                                   : CLI_WAIT_SLICE_MS));
        if (rc < 0)
            break;
        now = cli_wait_now_ms();
        if (w->events > 0 || now - last_check >= recheck) {
            w->events = 0;
            last_check = now;
            rc = check(ctx, vm, data);
        }
    }
    cli_progress_clear(ctx);
    return rc;
}
