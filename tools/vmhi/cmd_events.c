/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * `vmhi events`: prints events as they arrive.  It integrates with its
 * own poll() loop the way an application would: the descriptor from
 * vmhi_conn_get_event_fd() wakes it and vmhi_conn_dispatch_events() runs
 * the callback in this thread.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"

typedef struct cli_event_watch {
    cli_ctx *ctx;
    uint64_t wanted;  /* stop after this many; 0 = no limit */
    uint64_t seen;
    json_object *array; /* with --json: collected, printed at the end */
} cli_event_watch;

static volatile sig_atomic_t cli_events_stop;

static void cli_events_on_signal(int sig)
{
    (void)sig;
    cli_events_stop = 1;
}

/* SIGINT/SIGTERM end the watch cleanly (the JSON document still gets printed). */
static void cli_events_trap_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cli_events_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const char *cli_event_type_str(vmhi_event_type type)
{
    const char *name = vmhi_event_type_name(type);
    return name ? name : "unknown";
}

static json_object *cli_event_json(const vmhi_event *ev)
{
    vmhi_event_type type = vmhi_event_get_type(ev);
    json_object *o = json_object_new_object();

    json_object_object_add(o, "seq", cli_json_u64(vmhi_event_get_seq(ev)));
    json_object_object_add(o, "type", json_object_new_string(cli_event_type_str(type)));
    json_object_object_add(o, "name", cli_json_str(vmhi_event_get_vm_name(ev)));
    json_object_object_add(o, "uuid", cli_json_str(vmhi_event_get_vm_uuid(ev)));
    if (type == VMHI_EVENT_LIFECYCLE) {
        json_object_object_add(o, "state", cli_json_str(vmhi_vm_state_name(vmhi_event_get_state(ev))));
        json_object_object_add(o, "reason",
                               cli_json_str(vmhi_state_reason_name(vmhi_event_get_reason(ev))));
    }
    if (type == VMHI_EVENT_DEVICE_ADDED || type == VMHI_EVENT_DEVICE_REMOVED)
        json_object_object_add(o, "device", cli_json_str(vmhi_event_get_device_id(ev)));
    if (type == VMHI_EVENT_MEMORY || type == VMHI_EVENT_VCPU)
        json_object_object_add(o, "value", cli_json_u64(vmhi_event_get_value(ev)));
    json_object_object_add(o, "dropped", cli_json_u64(vmhi_event_get_dropped(ev)));
    return o;
}

/* The part of the line that depends on the kind of event. */
static void cli_event_detail(const vmhi_event *ev, char *buf, size_t len)
{
    const char *s;

    switch (vmhi_event_get_type(ev)) {
    case VMHI_EVENT_LIFECYCLE:
        s = vmhi_state_reason_name(vmhi_event_get_reason(ev));
        snprintf(buf, len, "state=%s reason=%s",
                 vmhi_vm_state_name(vmhi_event_get_state(ev)) ? vmhi_vm_state_name(vmhi_event_get_state(ev)) : "?",
                 s ? s : "?");
        break;
    case VMHI_EVENT_DEVICE_ADDED:
    case VMHI_EVENT_DEVICE_REMOVED:
        s = vmhi_event_get_device_id(ev);
        snprintf(buf, len, "device=%s", s ? s : "?");
        break;
    case VMHI_EVENT_MEMORY:
        snprintf(buf, len, "memory=%llu MiB", (unsigned long long)vmhi_event_get_value(ev));
        break;
    case VMHI_EVENT_VCPU:
        snprintf(buf, len, "vcpus=%llu", (unsigned long long)vmhi_event_get_value(ev));
        break;
    default:
        buf[0] = '\0';
    }
}

static void cli_event_print(const vmhi_event *ev)
{
    char detail[128], stamp[32];
    struct timeval tv;
    struct tm tm;
    uint64_t dropped = vmhi_event_get_dropped(ev);

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
    cli_event_detail(ev, detail, sizeof(detail));
    if (dropped)
        printf("(%llu earlier events were dropped)\n", (unsigned long long)dropped);
    printf("%s.%03ld #%llu %-14s %s %s\n", stamp, (long)(tv.tv_usec / 1000),
           (unsigned long long)vmhi_event_get_seq(ev),
           cli_event_type_str(vmhi_event_get_type(ev)),
           vmhi_event_get_vm_name(ev) ? vmhi_event_get_vm_name(ev) : "?", detail);
    /* Someone is watching, or a pipe is: either way, now. */
    fflush(stdout);
}

static void cli_on_event(vmhi_conn *conn, const vmhi_event *ev, void *userdata)
{
    cli_event_watch *watch = userdata;

    (void)conn;
    if (watch->wanted && watch->seen >= watch->wanted)
        return; /* a batch may hold more than were asked for */
    watch->seen++;
    if (watch->array)
        json_object_array_add(watch->array, cli_event_json(ev));
    else
        cli_event_print(ev);
}

static uint64_t cli_events_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls and dispatches until enough events, the timeout or a signal.
 * Returns 1 when the timeout ran out, 0 otherwise, or a VMHI error. */
static int cli_events_loop(cli_ctx *ctx, cli_event_watch *watch, int fd, bool timed,
                           unsigned timeout_ms)
{
    uint64_t deadline = cli_events_now_ms() + timeout_ms;

    while (!cli_events_stop && !(watch->wanted && watch->seen >= watch->wanted)) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
        uint64_t now = cli_events_now_ms();
        int wait = -1, rc;

        if (timed) {
            if (now >= deadline)
                return 1;
            wait = (int)(deadline - now);
        }
        rc = poll(&pfd, 1, wait);
        if (rc < 0 && errno != EINTR)
            return VMHI_E_IO;
        if (rc > 0) {
            rc = vmhi_conn_dispatch_events(ctx->conn, 0);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Prints the JSON document and decides the exit code once watching ends. */
static int cli_events_finish(cli_ctx *ctx, const cli_event_watch *watch, bool timed_out,
                             unsigned timeout_ms)
{
    int rc;

    if (watch->array) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "events", json_object_get(watch->array));
        json_object_object_add(doc, "count", cli_json_u64(watch->seen));
        json_object_object_add(doc, "timed_out", json_object_new_boolean(timed_out));
        cli_json_emit(doc);
    }
    /* Running out of time is only a failure when a number of events was asked for. */
    if (!timed_out || !watch->wanted || watch->seen >= watch->wanted)
        return CLI_EXIT_OK;
    bool json = ctx->json;
    ctx->json = false; /* the document above already says so */
    rc = cli_fail(ctx, CLI_EXIT_TIMEOUT, "only %llu of %llu events arrived within %.1f s",
                  (unsigned long long)watch->seen, (unsigned long long)watch->wanted,
                  timeout_ms / 1000.0);
    ctx->json = json;
    return rc;
}

/* Runs `vmhi events ... -- COMMAND ARGS` on this connection, once subscribed,
 * so that the events it causes are seen.  With --json the command's own
 * output is silenced: the events document is the one document printed. */
static int cli_events_run_command(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd = cli_find_command(argv[0]);
    bool json = ctx->json, quiet = ctx->quiet;
    int rc;

    if (!cmd || strcmp(cmd->name, "events") == 0 || strcmp(cmd->name, "help") == 0)
        return cli_usage(ctx, "events", "events: '%s' cannot be run under 'events'", argv[0]);
    ctx->quiet = quiet || json;
    ctx->json = false;
    cli_getopt_reset();
    rc = cmd->run(ctx, argc, argv);
    ctx->json = json;
    ctx->quiet = quiet;
    if (rc != CLI_EXIT_OK && json)
        cli_fail(ctx, rc, "events: the command '%s' failed", argv[0]);
    return rc;
}

static int cli_events_watch(cli_ctx *ctx, cli_event_watch *watch, unsigned mask,
                            const char *uuid, bool timed, unsigned timeout_ms, int cmd_argc,
                            char **cmd_argv)
{
    int sub = -1, fd = -1;
    int rc = vmhi_conn_subscribe(ctx->conn, mask, uuid, cli_on_event, watch, NULL, &sub);

    if (rc == VMHI_OK)
        rc = vmhi_conn_get_event_fd(ctx->conn, &fd);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot subscribe to events");
    if (!ctx->quiet && !ctx->json && !cmd_argc)
        fprintf(stderr, "Watching events on %s%s\n", vmhi_conn_get_uri(ctx->conn),
                timed ? "" : " (Ctrl-C to stop)");
    cli_events_trap_signals();
    if (cmd_argc > 0) {
        rc = cli_events_run_command(ctx, cmd_argc, cmd_argv);
        if (rc != CLI_EXIT_OK) {
            vmhi_conn_unsubscribe(ctx->conn, sub);
            return rc;
        }
    }
    rc = cli_events_loop(ctx, watch, fd, timed, timeout_ms);
    if (rc < 0) {
        rc = cli_fail_vmhi(ctx, rc, "while waiting for events");
        vmhi_conn_unsubscribe(ctx->conn, sub);
        return rc;
    }
    vmhi_conn_unsubscribe(ctx->conn, sub);
    return cli_events_finish(ctx, watch, rc == 1, timeout_ms);
}

/* Adds the event types named in a comma-separated list to @mask. */
static bool cli_parse_event_types(const char *list, unsigned *mask)
{
    char buf[256];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        vmhi_event_type type;
        if (vmhi_event_type_from_name(tok, &type) != VMHI_OK)
            return false;
        *mask |= (unsigned)type;
    }
    return true;
}

static int cli_run_events(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "timeout", required_argument, NULL, 't' }, { "count", required_argument, NULL, 'n' },
        { "vm", required_argument, NULL, 'm' },      { "type", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 },
    };
    cli_event_watch watch = { ctx, 0, 0, NULL };
    const char *vm_spec = NULL;
    unsigned timeout_ms = 0, mask = 0;
    bool timed = false;
    vmhi_vm *vm = NULL;
    char **cmd_argv = NULL;
    int c, rc, cmd_argc = 0;

    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "t:n:", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!cli_parse_seconds(optarg, &timeout_ms))
                return cli_bad_value(ctx, argv[0], "--timeout", optarg, "seconds");
            timed = true;
            break;
        case 'n':
            if (!cli_parse_u64(optarg, 1, UINT64_MAX, &watch.wanted))
                return cli_bad_value(ctx, argv[0], "--count", optarg, "a positive number");
            break;
        case 'T':
            if (!cli_parse_event_types(optarg, &mask))
                return cli_bad_value(ctx, argv[0], "--type", optarg,
                                     "lifecycle, device-added, device-removed, memory, vcpu, "
                                     "defined or undefined");
            break;
        case 'm': vm_spec = optarg; break;
        default: return cli_option_error(ctx, argv[0], c, argv);
        }
    }
    /* Anything after "--" is a command to run once subscribed. */
    if (optind < argc && optind > 0 && strcmp(argv[optind - 1], "--") == 0) {
        cmd_argc = argc - optind;
        cmd_argv = argv + optind;
    }
    rc = cli_expect_args(ctx, argv[0], argc - optind - cmd_argc, 0, 0);
    if (rc == CLI_EXIT_OK && vm_spec)
        rc = cli_lookup_vm(ctx, vm_spec, &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (ctx->json)
        watch.array = json_object_new_array();
    rc = cli_events_watch(ctx, &watch, mask ? mask : VMHI_EVENT_ALL_1_0,
                          vm ? vmhi_vm_get_uuid(vm) : NULL, timed, timeout_ms, cmd_argc,
                          cmd_argv);
    json_object_put(watch.array);
    vmhi_vm_free(vm);
    return rc;
}

const cli_command cli_event_commands[] = {
    { "events", "[--timeout SEC] [--count N] [--vm VM] [--type T[,T...]] [-- COMMAND [ARGS...]]",
      "Print events as they arrive",
      "Subscribes to events and prints one line per event as it arrives: time,\n"
      "sequence number, type, VM and details.  Stops after --count events, after\n"
      "--timeout seconds, or on Ctrl-C.  Exits with 7 when --count events did not\n"
      "arrive within --timeout.  With the global --json the events are collected\n"
      "and printed as one document, {\"events\": [...]}, when the command ends.\n"
      "\n"
      "After '--', a vmhi COMMAND with its arguments is run on the same connection\n"
      "once the subscription is in place, and the events it causes are printed as\n"
      "they happen, e.g. 'vmhi events --count 2 -- shutdown web'.  This is how to\n"
      "watch a host that is private to one process, such as test:///default.\n"
      "With --json the command's own output is left out.",
      "  -t, --timeout SEC   stop after SEC seconds\n"
      "  -n, --count N       stop after N events\n"
      "      --vm VM         only events of this VM\n"
      "      --type T,...    only these types: lifecycle, device-added, device-removed,\n"
      "                      memory, vcpu, defined, undefined\n",
      cli_run_events, CLI_NEEDS_CONN },
};
const size_t cli_event_command_count = CLI_ARRAY_SIZE(cli_event_commands);
