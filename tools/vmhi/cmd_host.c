/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host commands: capabilities, hostinfo, version.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cli_no_args(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    int c;

    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, argv[0], c, argv);
    return cli_expect_args(ctx, argv[0], argc - optind, 0, 0);
}

/* ------------------------------------------------------------ hostinfo */

static json_object *cli_host_json(const vmhi_host_info *h)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "hypervisor", json_object_new_string(h->hypervisor));
    json_object_object_add(o, "hypervisor_version", json_object_new_string(h->hypervisor_version));
    json_object_object_add(o, "backend_version", json_object_new_string(h->backend_version));
    json_object_object_add(o, "hostname", json_object_new_string(h->hostname));
    json_object_object_add(o, "cpu_model", json_object_new_string(h->cpu_model));
    json_object_object_add(o, "cpus", json_object_new_int((int)h->cpus));
    json_object_object_add(o, "memory_mib", cli_json_u64(h->memory_mib));
    json_object_object_add(o, "free_memory_mib", cli_json_u64_or_null(h->free_memory_mib));
    return o;
}

static void cli_host_print(const cli_ctx *ctx, const vmhi_host_info *h)
{
    printf("URI:                %s\n", vmhi_conn_get_uri(ctx->conn));
    printf("Backend:            %s %s\n", vmhi_conn_get_backend(ctx->conn), h->backend_version);
    printf("Hypervisor:         %s %s\n", h->hypervisor, h->hypervisor_version);
    printf("Hostname:           %s\n", h->hostname);
    printf("CPU model:          %s\n", h->cpu_model);
    printf("CPUs:               %u\n", h->cpus);
    printf("Memory:             %llu MiB\n", (unsigned long long)h->memory_mib);
    if (h->free_memory_mib == UINT64_MAX)
        printf("Free memory:        unknown\n");
    else
        printf("Free memory:        %llu MiB\n", (unsigned long long)h->free_memory_mib);
}

static int cli_read_host(cli_ctx *ctx, vmhi_host_info *h)
{
    int rc = vmhi_conn_get_host_info(ctx->conn, h);
    return rc == VMHI_OK ? CLI_EXIT_OK : cli_fail_vmhi(ctx, rc, "cannot read host information");
}

static int cli_run_hostinfo(cli_ctx *ctx, int argc, char **argv)
{
    vmhi_host_info h = VMHI_HOST_INFO_INIT;
    int rc = cli_no_args(ctx, argc, argv);

    if (rc == CLI_EXIT_OK)
        rc = cli_read_host(ctx, &h);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (ctx->json) {
        json_object *doc = cli_host_json(&h);
        json_object_object_add(doc, "uri", cli_json_str(vmhi_conn_get_uri(ctx->conn)));
        json_object_object_add(doc, "backend", cli_json_str(vmhi_conn_get_backend(ctx->conn)));
        cli_json_emit(doc);
    } else {
        cli_host_print(ctx, &h);
    }
    return CLI_EXIT_OK;
}

/* -------------------------------------------------------- capabilities */

static int cli_caps_profiles(cli_ctx *ctx, json_object *doc)
{
    json_object *array = json_object_new_array();
    unsigned profiles = 0;
    int rc = vmhi_conn_get_profiles(ctx->conn, &profiles);

    json_object_object_add(doc, "profiles", array);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot read profiles");
    for (unsigned bit = 1; bit != 0 && bit <= (1u << 15); bit <<= 1) {
        const char *name = (profiles & bit) ? vmhi_profile_name(bit) : NULL;
        if (name)
            json_object_array_add(array, json_object_new_string(name));
    }
    return CLI_EXIT_OK;
}

static const char *cli_yes_no(unsigned caps, unsigned bit)
{
    return (caps & bit) ? "yes" : "no";
}

static int cli_caps_operations(cli_ctx *ctx, json_object *doc, cli_table *t)
{
    json_object *ops = json_object_new_object();

    json_object_object_add(doc, "operations", ops);
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        const char *name = vmhi_op_name((vmhi_op)op);
        json_object *o = json_object_new_object();
        unsigned caps = 0;
        int rc = vmhi_conn_get_op_caps(ctx->conn, (vmhi_op)op, &caps);

        if (rc != VMHI_OK) {
            json_object_put(o);
            return cli_fail_vmhi(ctx, rc, "cannot read capabilities of operation %d", op);
        }
        json_object_object_add(o, "supported", json_object_new_boolean(caps & VMHI_CAP_SUPPORTED));
        json_object_object_add(o, "live", json_object_new_boolean(caps & VMHI_CAP_LIVE));
        json_object_object_add(o, "config", json_object_new_boolean(caps & VMHI_CAP_CONFIG));
        json_object_object_add(o, "async", json_object_new_boolean(caps & VMHI_CAP_ASYNC));
        json_object_object_add(o, "guest", json_object_new_boolean(caps & VMHI_CAP_GUEST));
        json_object_object_add(ops, name ? name : "unknown", o);
        cli_table_add(t, (const char *const[]){ name, cli_yes_no(caps, VMHI_CAP_SUPPORTED),
                                                cli_yes_no(caps, VMHI_CAP_LIVE),
                                                cli_yes_no(caps, VMHI_CAP_CONFIG),
                                                cli_yes_no(caps, VMHI_CAP_ASYNC),
                                                cli_yes_no(caps, VMHI_CAP_GUEST) });
    }
    return CLI_EXIT_OK;
}

static int cli_caps_limits(cli_ctx *ctx, json_object *doc, cli_table *t)
{
    json_object *limits = json_object_new_object();

    json_object_object_add(doc, "limits", limits);
    for (int l = VMHI_LIMIT_MAX_VCPUS; l < VMHI_LIMIT_COUNT_1_0; l++) {
        const char *name = vmhi_limit_name((vmhi_limit)l);
        char text[32] = "unknown";
        uint64_t value = 0;
        int rc = vmhi_conn_get_limit(ctx->conn, (vmhi_limit)l, &value);

        if (rc != VMHI_OK && rc != VMHI_E_UNSUPPORTED)
            return cli_fail_vmhi(ctx, rc, "cannot read limit %s", name);
        if (rc == VMHI_OK)
            snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
        json_object_object_add(limits, name, rc == VMHI_OK ? cli_json_u64(value) : NULL);
        cli_table_add(t, (const char *const[]){ name, text });
    }
    vmhi_error_clear();
    return CLI_EXIT_OK;
}

/* One row per value kind: the names of the values the connection accepts. */
static int cli_caps_values(cli_ctx *ctx, json_object *doc, cli_table *t)
{
    json_object *kinds = json_object_new_object();

    json_object_object_add(doc, "values", kinds);
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        const char *kind = vmhi_value_kind_name((vmhi_value_kind)k);
        json_object *array = json_object_new_array();
        char text[256] = "";
        size_t used = 0;
        uint64_t values = 0;
        int rc = vmhi_conn_get_value_caps(ctx->conn, (vmhi_value_kind)k, &values);

        json_object_object_add(kinds, kind, array);
        if (rc != VMHI_OK)
            return cli_fail_vmhi(ctx, rc, "cannot read the accepted %s values", kind);
        for (unsigned v = 0; v < 64; v++) {
            const char *name = vmhi_value_name((vmhi_value_kind)k, v);
            if (!name || !(values & (UINT64_C(1) << v)))
                continue;
            json_object_array_add(array, json_object_new_string(name));
            int n = snprintf(text + used, sizeof(text) - used, "%s%s", used ? ", " : "", name);
            if (n > 0 && (size_t)n < sizeof(text) - used)
                used += (size_t)n;
        }
        cli_table_add(t, (const char *const[]){ kind, used ? text : "(none)" });
    }
    return CLI_EXIT_OK;
}

static void cli_caps_print(cli_ctx *ctx, const vmhi_host_info *h, json_object *doc,
                           const cli_table *ops, const cli_table *limits,
                           const cli_table *values)
{
    json_object *profiles = json_object_object_get(doc, "profiles");

    cli_host_print(ctx, h);
    printf("Profiles:           ");
    for (size_t i = 0; i < json_object_array_length(profiles); i++)
        printf("%s%s", i ? ", " : "", json_object_get_string(json_object_array_get_idx(profiles, i)));
    printf("%s\n\n", json_object_array_length(profiles) ? "" : "(none)");
    cli_table_print(ops, true, stdout);
    putchar('\n');
    cli_table_print(values, true, stdout);
    putchar('\n');
    cli_table_print(limits, true, stdout);
}

static int cli_run_capabilities(cli_ctx *ctx, int argc, char **argv)
{
    static const char *const op_headers[] = { "OPERATION", "SUPPORTED", "LIVE", "CONFIG", "ASYNC",
                                                "GUEST" };
    static const char *const limit_headers[] = { "LIMIT", "VALUE" };
    static const char *const value_headers[] = { "VALUE KIND", "ACCEPTED" };
    vmhi_host_info h = VMHI_HOST_INFO_INIT;
    json_object *doc = json_object_new_object();
    cli_table *ops = cli_table_new(CLI_ARRAY_SIZE(op_headers), op_headers);
    cli_table *limits = cli_table_new(CLI_ARRAY_SIZE(limit_headers), limit_headers);
    cli_table *values = cli_table_new(CLI_ARRAY_SIZE(value_headers), value_headers);
    int rc = cli_no_args(ctx, argc, argv);

    cli_table_align_right(limits, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_read_host(ctx, &h);
    if (rc == CLI_EXIT_OK)
        rc = cli_caps_profiles(ctx, doc);
    if (rc == CLI_EXIT_OK)
        rc = cli_caps_operations(ctx, doc, ops);
    if (rc == CLI_EXIT_OK)
        rc = cli_caps_values(ctx, doc, values);
    if (rc == CLI_EXIT_OK)
        rc = cli_caps_limits(ctx, doc, limits);
    if (rc == CLI_EXIT_OK && ctx->json) {
        json_object_object_add(doc, "uri", cli_json_str(vmhi_conn_get_uri(ctx->conn)));
        json_object_object_add(doc, "backend", cli_json_str(vmhi_conn_get_backend(ctx->conn)));
        json_object_object_add(doc, "host", cli_host_json(&h));
        cli_json_emit(json_object_get(doc));
    } else if (rc == CLI_EXIT_OK) {
        cli_caps_print(ctx, &h, doc, ops, limits, values);
    }
    json_object_put(doc);
    cli_table_free(ops);
    cli_table_free(limits);
    cli_table_free(values);
    return rc;
}

/* ------------------------------------------------------------- version */

/* Connects only when the user named a URI: `version` must work anywhere. */
static void cli_version_backend(cli_ctx *ctx, json_object *doc)
{
    vmhi_host_info h = VMHI_HOST_INFO_INIT;
    json_object *backend = json_object_new_object();
    int rc = cli_open_connection(ctx);

    if (rc == VMHI_OK)
        rc = vmhi_conn_get_host_info(ctx->conn, &h);
    json_object_object_add(backend, "uri", json_object_new_string(ctx->uri));
    if (rc != VMHI_OK) {
        json_object_object_add(backend, "error", json_object_new_string(vmhi_error_last_message()));
    } else {
        json_object_object_add(backend, "name", cli_json_str(vmhi_conn_get_backend(ctx->conn)));
        json_object_object_add(backend, "version", json_object_new_string(h.backend_version));
        json_object_object_add(backend, "hypervisor", json_object_new_string(h.hypervisor));
        json_object_object_add(backend, "hypervisor_version",
                               json_object_new_string(h.hypervisor_version));
    }
    json_object_object_add(doc, "backend", backend);
}

static void cli_version_print(json_object *doc)
{
    json_object *b = NULL, *v;

    printf("vmhi tool:          %s\n", VMHI_VERSION_STRING);
    printf("Library (runtime):  %s\n", vmhi_version_string());
    printf("Headers (built):    %s\n", VMHI_VERSION_STRING);
    if (!json_object_object_get_ex(doc, "backend", &b))
        return;
    if (json_object_object_get_ex(b, "error", &v)) {
        printf("Backend:            not connected (%s)\n", json_object_get_string(v));
        return;
    }
    printf("Backend:            %s %s\n", json_object_get_string(json_object_object_get(b, "name")),
           json_object_get_string(json_object_object_get(b, "version")));
    printf("Hypervisor:         %s %s\n",
           json_object_get_string(json_object_object_get(b, "hypervisor")),
           json_object_get_string(json_object_object_get(b, "hypervisor_version")));
}

static int cli_run_version(cli_ctx *ctx, int argc, char **argv)
{
    json_object *doc;
    int rc = cli_no_args(ctx, argc, argv);

    if (rc != CLI_EXIT_OK)
        return rc;
    doc = json_object_new_object();
    json_object_object_add(doc, "tool", json_object_new_string(VMHI_VERSION_STRING));
    json_object_object_add(doc, "library", json_object_new_string(vmhi_version_string()));
    json_object_object_add(doc, "library_number", cli_json_u64(vmhi_version()));
    json_object_object_add(doc, "headers", json_object_new_string(VMHI_VERSION_STRING));
    json_object_object_add(doc, "headers_number", cli_json_u64(VMHI_VERSION_NUMBER));
    if (ctx->uri_explicit)
        cli_version_backend(ctx, doc);
    if (ctx->json)
        cli_json_emit(json_object_get(doc));
    else
        cli_version_print(doc);
    json_object_put(doc);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------- table */

const cli_command cli_host_commands[] = {
    { "capabilities", "", "Show what the hypervisor and its backend can do",
      "Prints the host facts, the conformance profiles the backend claims, a table\n"
      "of every operation with whether it is supported, can change a running VM\n"
      "(live), the definition (config), completes later (async) or succeeds only\n"
      "with the guest's help (guest), the values of\n"
      "each kind it accepts (disk buses, formats, NIC models, network kinds,\n"
      "firmware, guest types, boot and shutdown methods), and the host's limits.",
      NULL, cli_run_capabilities, CLI_NEEDS_CONN },
    { "hostinfo", "", "Show host and hypervisor facts",
      "Prints the hypervisor, its version, the host name, CPUs and memory.",
      NULL, cli_run_hostinfo, CLI_NEEDS_CONN },
    { "version", "", "Show the versions of the tool, the library and the backend",
      "Prints the library version loaded at run time and the header version the tool\n"
      "was built with.  Works without a hypervisor; when a URI is given with -c or\n"
      "$VMHI_URI, also connects and shows the backend and hypervisor versions\n"
      "(a failed connection is reported but does not make the command fail).",
      NULL, cli_run_version, 0 },
};
const size_t cli_host_command_count = CLI_ARRAY_SIZE(cli_host_commands);
