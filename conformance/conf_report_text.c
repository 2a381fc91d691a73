/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The human-readable reports, written from the result model: the
 * Markdown certificate and the summary printed at the end of a run.
 */
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"

/* Writes @s as one Markdown table cell: pipes escaped, newlines flattened. */
static void md_cell(FILE *f, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '|')
            fputs("\\|", f);
        else if (*p == '\n' || *p == '\r')
            fputc(' ', f);
        else
            fputc(*p, f);
    }
}

static void md_facts(FILE *f, const conf_run *run)
{
    fprintf(f, "# VMHI conformance report\n\n| | |\n|---|---|\n");
    fprintf(f, "| Backend | %s %s |\n", run->backend, run->backend_version);
    fprintf(f, "| Hypervisor | %s %s |\n", run->hypervisor, run->hypervisor_version);
    fprintf(f, "| URI | `%s` |\n", run->uri);
    fprintf(f, "| Date | %s |\n| Duration | %.2f s |\n", run->date, run->seconds);
    fprintf(f, "| Requirement index | %s |\n", run->spec.source);
    fprintf(f, "| Result | **%s** |\n\n", run->certified ? "CERTIFIED" : "NOT CERTIFIED");
}

static void md_profiles(FILE *f, const conf_run *run)
{
    fprintf(f, "## Profiles\n\n| Profile | Verdict | Tests passed | failed | n/a | warnings "
               "| Requirements passed | failed | not tested | Missing operations | Note |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < CONF_NPROFILES; i++) {
        const conf_profile_result *pr = &run->profiles[i];
        fprintf(f, "| %s | **%s** | %zu | %zu | %zu | %zu | %zu | %zu | %zu | ",
                conf_profile_label(pr->bit), conf_verdict_name(pr->verdict), pr->passed,
                pr->failed, pr->skipped, pr->warnings, pr->req_pass, pr->req_fail,
                pr->req_untested);
        md_cell(f, pr->missing_ops ? pr->missing_ops : "");
        fputs(" | ", f);
        md_cell(f, pr->note ? pr->note : "");
        fprintf(f, " |\n");
    }
    fputc('\n', f);
}

/* What the connection declared it accepts (vmhi_conn_get_value_caps()). */
static void md_values(FILE *f, const conf_run *run)
{
    fprintf(f, "## Accepted values\n\n");
    if (!run->value_caps_read) {
        fprintf(f, "vmhi_conn_get_value_caps() failed: see CAP-10.\n\n");
        return;
    }
    fprintf(f, "| Kind | Values |\n|---|---|\n");
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        char values[512];
        conf_value_caps_text((vmhi_value_kind)k, run->value_caps[k], ", ", values,
                             sizeof(values));
        fprintf(f, "| %s | ", vmhi_value_kind_name((vmhi_value_kind)k));
        md_cell(f, values);
        fputs(" |\n", f);
    }
    fputc('\n', f);
}

static void md_errors(FILE *f, const conf_run *run)
{
    if (!run->run_errors)
        return;
    fprintf(f, "## Run errors\n\n```\n%s```\n\n", run->run_errors);
}

static void md_requirements(FILE *f, const conf_run *run)
{
    fprintf(f, "## Requirements\n\n| ID | Profile | Level | Result | Summary | Detail |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < run->spec.count; i++) {
        const conf_requirement *r = &run->spec.reqs[i];
        if (!r->backend_facing)
            continue;
        fprintf(f, "| %s | %s | %s | %s | ", r->id, r->profile_name, r->level,
                conf_req_status_name(r->status));
        md_cell(f, r->summary);
        fputs(" | ", f);
        md_cell(f, r->message);
        fputs(" |\n", f);
    }
    fputc('\n', f);
}

static void md_tests(FILE *f, const conf_run *run)
{
    fprintf(f, "## Tests\n\n| Test | Profile | Result | Time (s) | Requirements | Detail |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < run->ncases; i++) {
        const conf_case *c = &run->cases[i];
        fprintf(f, "| ");
        md_cell(f, c->name);
        fprintf(f, " | %s | %s | %.3f | ", conf_profile_label(c->profile),
                conf_status_name(c->status), c->seconds);
        for (size_t j = 0; j < c->nids; j++)
            fprintf(f, "%s%s", j ? " " : "", c->ids[j]);
        fputs(" | ", f);
        md_cell(f, c->message);
        if (c->notes) {
            fputs(c->message ? " — " : "", f);
            md_cell(f, c->notes);
        }
        fputs(" |\n", f);
    }
}

int conf_report_markdown(const conf_run *run, const char *file)
{
    FILE *f = fopen(file, "w");
    if (!f) {
        perror(file);
        return -1;
    }
    md_facts(f, run);
    md_profiles(f, run);
    md_values(f, run);
    md_errors(f, run);
    md_requirements(f, run);
    md_tests(f, run);
    if (fclose(f) != 0) {
        perror(file);
        return -1;
    }
    return 0;
}

void conf_report_summary(FILE *out, const conf_run *run)
{
    size_t pass = 0, fail = 0, skip = 0;
    for (size_t i = 0; i < run->ncases; i++) {
        pass += run->cases[i].status == CONF_PASS;
        fail += run->cases[i].status == CONF_FAIL;
        skip += run->cases[i].status == CONF_SKIP;
    }
    fprintf(out, "\n%s %s on %s (%s %s), %s\n", run->backend, run->backend_version, run->uri,
            run->hypervisor, run->hypervisor_version, run->date);
    for (size_t i = 0; i < CONF_NPROFILES; i++) {
        const conf_profile_result *pr = &run->profiles[i];
        fprintf(out, "  %-15s %-13s", conf_profile_label(pr->bit),
                conf_verdict_name(pr->verdict));
        if (pr->selected)
            fprintf(out, " tests %zu passed, %zu failed, %zu n/a, %zu warnings; "
                    "requirements %zu passed, %zu failed, %zu not tested", pr->passed,
                    pr->failed, pr->skipped, pr->warnings, pr->req_pass, pr->req_fail,
                    pr->req_untested);
        if (pr->missing_ops)
            fprintf(out, "; missing operations: %s", pr->missing_ops);
        if (pr->note)
            fprintf(out, "; %s", pr->note);
        fputc('\n', out);
    }
    if (run->run_errors)
        fprintf(out, "run errors:\n%s", run->run_errors);
    fprintf(out, "%zu tests: %zu passed, %zu failed, %zu not applicable, %zu not run; "
            "%.2f s\n%s\n", run->ncases, pass, fail, skip, run->ncases - pass - fail - skip,
            run->seconds, run->certified ? "CERTIFIED" : "NOT CERTIFIED");
}
