/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Output of the vmhi tool: error reports, aligned tables and JSON.
 * Errors always go to stderr as "vmhi: error: ..."; with --json a JSON
 * error document also goes to stdout, so that a script always gets one
 * document to parse.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------ errors */

int cli_exit_for(int rc)
{
    switch (rc) {
    case VMHI_OK:
        return CLI_EXIT_OK;
    case VMHI_E_NO_VM:
    case VMHI_E_NO_DEVICE:
        return CLI_EXIT_NOT_FOUND;
    case VMHI_E_INVALID_STATE:
        return CLI_EXIT_STATE;
    case VMHI_E_UNSUPPORTED:
        return CLI_EXIT_UNSUPPORTED;
    case VMHI_E_AUTH:
    case VMHI_E_CONNECTION:
    case VMHI_E_NO_BACKEND:
    case VMHI_E_MODULE:
        return CLI_EXIT_CONNECTION;
    case VMHI_E_TIMEOUT:
        return CLI_EXIT_TIMEOUT;
    case VMHI_E_PARSE:
    case VMHI_E_INVALID_ARG:
        return CLI_EXIT_INPUT;
    case VMHI_E_EXISTS:
    case VMHI_E_BUSY:
    case VMHI_E_LIMIT:
        return CLI_EXIT_CONFLICT;
    case VMHI_E_PERMISSION:
        return CLI_EXIT_PERMISSION;
    default:
        return CLI_EXIT_GENERIC;
    }
}

/* What is known about one failure, captured at once because the next
 * VMHI call clears the library's last error. */
typedef struct cli_error {
    int rc;              /* VMHI code, or 0 for an error of the tool itself */
    char message[1024];
    const char *native;  /* points into native_buf or NULL */
    char native_buf[256];
    unsigned line, column;
} cli_error;

static void cli_error_capture(cli_error *e, int rc)
{
    const char *msg = vmhi_error_last_message();
    const char *native = vmhi_error_last_native();

    memset(e, 0, sizeof(*e));
    e->rc = rc;
    snprintf(e->message, sizeof(e->message), "%s",
             (msg && *msg) ? msg : vmhi_strerror(rc));
    if (native && *native) {
        snprintf(e->native_buf, sizeof(e->native_buf), "%s", native);
        e->native = e->native_buf;
    }
    if (vmhi_error_last_location(&e->line, &e->column) != VMHI_OK)
        e->line = e->column = 0;
}

/* The error class an exit code stands for, as a word for scripts. */
static const char *cli_exit_kind(int exit_code)
{
    static const char *const kinds[] = {
        "ok", "error", "usage", "not-found", "invalid-state", "unsupported",
        "connection", "timeout", "invalid-input", "conflict", "permission",
    };

    return exit_code >= 0 && exit_code < (int)CLI_ARRAY_SIZE(kinds) ? kinds[exit_code] : "error";
}

static void cli_error_emit_json(const cli_error *e, const char *text, int exit_code)
{
    json_object *err = json_object_new_object();
    json_object *doc = json_object_new_object();

    json_object_object_add(err, "exit_code", json_object_new_int(exit_code));
    json_object_object_add(err, "kind", json_object_new_string(cli_exit_kind(exit_code)));
    json_object_object_add(err, "code", e->rc ? json_object_new_int(e->rc) : NULL);
    json_object_object_add(err, "code_name", e->rc ? json_object_new_string(vmhi_strerror(e->rc)) : NULL);
    json_object_object_add(err, "message", json_object_new_string(text));
    json_object_object_add(err, "native", cli_json_str(e->native));
    if (e->line) {
        json_object_object_add(err, "line", json_object_new_int((int)e->line));
        json_object_object_add(err, "column", json_object_new_int((int)e->column));
    }
    json_object_object_add(doc, "error", err);
    cli_json_emit(doc);
}

static int cli_error_report(cli_ctx *ctx, const cli_error *e, const char *text, int exit_code)
{
    cli_progress_clear(ctx);
    if (e->native)
        fprintf(stderr, "vmhi: error: %s (native: %s)\n", text, e->native);
    else
        fprintf(stderr, "vmhi: error: %s\n", text);
    if (ctx->json)
        cli_error_emit_json(e, text, exit_code);
    return exit_code;
}

int cli_fail(cli_ctx *ctx, int exit_code, const char *fmt, ...)
{
    cli_error e;
    va_list ap;

    memset(&e, 0, sizeof(e));
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof(e.message), fmt, ap);
    va_end(ap);
    return cli_error_report(ctx, &e, e.message, exit_code);
}

int cli_fail_vmhi(cli_ctx *ctx, int rc, const char *what, ...)
{
    cli_error e;
    char text[1400];

    cli_error_capture(&e, rc);
    if (what) {
        char prefix[360];
        va_list ap;

        va_start(ap, what);
        vsnprintf(prefix, sizeof(prefix), what, ap);
        va_end(ap);
        snprintf(text, sizeof(text), "%s: %s", prefix, e.message);
    } else {
        snprintf(text, sizeof(text), "%s", e.message);
    }
    return cli_error_report(ctx, &e, text, cli_exit_for(rc));
}

int cli_fail_parse(cli_ctx *ctx, int rc, const char *source)
{
    cli_error e;
    char text[1400];

    cli_error_capture(&e, rc);
    /* The library's message may name the location already. */
    if (e.line && !strstr(e.message, "line "))
        snprintf(text, sizeof(text), "%s: line %u, column %u: %s", source, e.line, e.column,
                 e.message);
    else
        snprintf(text, sizeof(text), "%s: %s", source, e.message);
    return cli_error_report(ctx, &e, text, cli_exit_for(rc));
}

void cli_info(const cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->quiet || ctx->json)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void cli_warn(const cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    (void)ctx; /* shown with --quiet and --json too: it says what was left */
    fputs("vmhi: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------ tables */

struct cli_table {
    size_t ncols, nrows, cap;
    char **cells; /* nrows * ncols, row-major; row 0 holds the headers */
    bool *right;
};

static void *cli_xalloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size);

    if (!p) {
        /* A CLI that cannot allocate a few bytes has nothing sensible left to do. */
        fputs("vmhi: error: out of memory\n", stderr);
        exit(CLI_EXIT_GENERIC);
    }
    return p;
}

static char *cli_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(cli_xalloc(NULL, n), s, n);
}

static void cli_table_push_row(cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->cells = cli_xalloc(t->cells, t->cap * t->ncols * sizeof(char *));
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = cli_xstrdup(cells[c] ? cells[c] : "-");
    t->nrows++;
}

cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    cli_table *t = cli_xalloc(NULL, sizeof(*t));

    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    t->right = cli_xalloc(NULL, ncols * sizeof(bool));
    memset(t->right, 0, ncols * sizeof(bool));
    cli_table_push_row(t, headers);
    return t;
}

void cli_table_add(cli_table *t, const char *const *cells)
{
    cli_table_push_row(t, cells);
}

void cli_table_align_right(cli_table *t, size_t col)
{
    if (col < t->ncols)
        t->right[col] = true;
}

/* Display width: counts UTF-8 lead bytes, so names with accents line up. */
static size_t cli_display_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static void cli_table_print_row(const cli_table *t, size_t row, const size_t *width, FILE *out)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const char *cell = t->cells[row * t->ncols + c];
        size_t pad = width[c] - cli_display_width(cell);
        bool last = c + 1 == t->ncols;

        if (t->right[c])
            fprintf(out, "%*s%s", (int)pad, "", cell);
        else
            fprintf(out, "%s%*s", cell, last ? 0 : (int)pad, "");
        fputs(last ? "\n" : "  ", out);
    }
}

void cli_table_print(const cli_table *t, bool header, FILE *out)
{
    size_t *width = cli_xalloc(NULL, t->ncols * sizeof(size_t));
    size_t first = header ? 0 : 1;

    for (size_t c = 0; c < t->ncols; c++) {
        width[c] = 0;
        for (size_t r = first; r < t->nrows; r++) {
            size_t w = cli_display_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = first; r < t->nrows; r++)
        cli_table_print_row(t, r, width, out);
    free(width);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t);
}

/* -------------------------------------------------------------- JSON */

void cli_json_emit(json_object *doc)
{
    const char *text = json_object_to_json_string_ext(
        doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

    fputs(text, stdout);
    fputc('\n', stdout);
    json_object_put(doc);
}

json_object *cli_json_u64(uint64_t v)
{
    return json_object_new_uint64(v);
}

json_object *cli_json_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

json_object *cli_json_u64_or_null(uint64_t v)
{
    return v == UINT64_MAX ? NULL : json_object_new_uint64(v);
}

void cli_format_ns(uint64_t ns, char *buf, size_t len)
{
    uint64_t s = ns / 1000000000u;

    if (s < 60)
        snprintf(buf, len, "%.1f s", (double)ns / 1e9);
    else if (s < 3600)
        snprintf(buf, len, "%um %02us", (unsigned)(s / 60), (unsigned)(s % 60));
    else
        snprintf(buf, len, "%uh %02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
}

/* --------------------------------------------------- action results */

json_object *cli_action_doc(vmhi_vm *vm, const char *action)
{
    json_object *doc = json_object_new_object();
    vmhi_vm_state state;
    vmhi_state_reason reason;

    json_object_object_add(doc, "action", json_object_new_string(action));
    json_object_object_add(doc, "name", cli_json_str(vmhi_vm_get_name(vm)));
    json_object_object_add(doc, "uuid", cli_json_str(vmhi_vm_get_uuid(vm)));
    /* The state after the action; a VM that no longer exists has none. */
    if (vmhi_vm_get_state(vm, &state, &reason) == VMHI_OK) {
        json_object_object_add(doc, "state", cli_json_str(vmhi_vm_state_name(state)));
        json_object_object_add(doc, "reason", cli_json_str(vmhi_state_reason_name(reason)));
    }
    vmhi_error_clear();
    return doc;
}

int cli_done(cli_ctx *ctx, vmhi_vm *vm, const char *action, json_object *extra,
             const char *fmt, ...)
{
    if (ctx->json) {
        json_object *doc = cli_action_doc(vm, action);
        if (extra) {
            json_object_object_foreach(extra, key, val)
                json_object_object_add(doc, key, json_object_get(val));
        }
        cli_json_emit(doc);
    } else if (!ctx->quiet) {
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
    }
    json_object_put(extra);
    return CLI_EXIT_OK;
}
