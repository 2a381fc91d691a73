/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The JUnit XML report, written from the result model, for CI systems:
 * one <testsuite> per profile, one <testcase> per case (skipped when the
 * profile is not claimed or not selected, or the case does not apply),
 * and a "run" suite for run-level errors such as a touched foreign VM.
 */
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"

/* Writes @s escaped for an XML attribute or text; drops characters XML
 * 1.0 cannot carry. */
static void xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r')
                fputc(*p, f);
        }
    }
}

static void write_case(FILE *f, const conf_case *c, const conf_profile_result *pr)
{
    fprintf(f, "    <testcase classname=\"vmhi-conformance.%s\" name=\"",
            conf_profile_label(c->profile));
    xml_text(f, c->name);
    fprintf(f, "\" time=\"%.3f\">\n", c->seconds);
    if (c->status == CONF_FAIL) {
        fputs("      <failure message=\"", f);
        xml_text(f, c->message);
        fprintf(f, "\" type=\"%s\">", c->failed_id[0] ? c->failed_id : "failure");
        xml_text(f, c->message);
        fputs("</failure>\n", f);
    } else if (c->status == CONF_SKIP) {
        fputs("      <skipped message=\"", f);
        xml_text(f, c->message);
        fputs("\"/>\n", f);
    } else if (c->status == CONF_NOT_RUN) {
        fprintf(f, "      <skipped message=\"profile %s %s\"/>\n", conf_profile_label(pr->bit),
                conf_verdict_name(pr->verdict));
    }
    fputs("      <system-out>requirements:", f);
    for (size_t i = 0; i < c->nids; i++)
        fprintf(f, " %s", c->ids[i]);
    if (c->notes) {
        fputs("\nnotes: ", f);
        xml_text(f, c->notes);
    }
    fputs("</system-out>\n    </testcase>\n", f);
}

static void write_profile(FILE *f, const conf_run *run, const conf_profile_result *pr)
{
    size_t tests = 0, failures = 0, skipped = 0;
    double seconds = 0;
    for (size_t i = 0; i < run->ncases; i++) {
        const conf_case *c = &run->cases[i];
        if (c->profile != pr->bit)
            continue;
        tests++;
        failures += c->status == CONF_FAIL;
        skipped += c->status == CONF_SKIP || c->status == CONF_NOT_RUN;
        seconds += c->seconds;
    }
    fprintf(f, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n", conf_profile_label(pr->bit),
            tests, failures, skipped, seconds, run->date);
    fprintf(f, "    <properties>\n      <property name=\"verdict\" value=\"%s\"/>\n",
            conf_verdict_name(pr->verdict));
    if (pr->note) {
        fputs("      <property name=\"note\" value=\"", f);
        xml_text(f, pr->note);
        fputs("\"/>\n", f);
    }
    if (pr->missing_ops) {
        fputs("      <property name=\"missing_ops\" value=\"", f);
        xml_text(f, pr->missing_ops);
        fputs("\"/>\n", f);
    }
    fputs("    </properties>\n", f);
    for (size_t i = 0; i < run->ncases; i++)
        if (run->cases[i].profile == pr->bit)
            write_case(f, &run->cases[i], pr);
    fputs("  </testsuite>\n", f);
}

static void write_run_suite(FILE *f, const conf_run *run)
{
    fprintf(f, "  <testsuite name=\"run\" tests=\"1\" failures=\"%d\" errors=\"0\" "
            "skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n    <properties>\n",
            run->run_errors ? 1 : 0, run->seconds, run->date);
    const struct { const char *name, *value; } props[] = {
        { "uri", run->uri }, { "backend", run->backend },
        { "backend_version", run->backend_version }, { "hypervisor", run->hypervisor },
        { "hypervisor_version", run->hypervisor_version },
        { "certified", run->certified ? "true" : "false" },
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        fprintf(f, "      <property name=\"%s\" value=\"", props[i].name);
        xml_text(f, props[i].value);
        fputs("\"/>\n", f);
    }
    for (int k = VMHI_VALUE_DISK_BUS; run->value_caps_read && k < VMHI_VALUE_KIND_COUNT_1_0;
         k++) {
        char values[512];
        conf_value_caps_text((vmhi_value_kind)k, run->value_caps[k], " ", values,
                             sizeof(values));
        fprintf(f, "      <property name=\"value_caps.%s\" value=\"",
                vmhi_value_kind_name((vmhi_value_kind)k));
        xml_text(f, values);
        fputs("\"/>\n", f);
    }
    fputs("    </properties>\n    <testcase classname=\"vmhi-conformance.run\" "
          "name=\"foreign-vms-untouched-and-cleanup\" time=\"0\">\n", f);
    if (run->run_errors) {
        fputs("      <failure message=\"run-level errors\" type=\"run\">", f);
        xml_text(f, run->run_errors);
        fputs("</failure>\n", f);
    }
    fputs("    </testcase>\n  </testsuite>\n", f);
}

int conf_report_junit(const conf_run *run, const char *file)
{
    FILE *f = fopen(file, "w");
    if (!f) {
        perror(file);
        return -1;
    }
    size_t failures = run->run_errors ? 1 : 0, skipped = 0;
    for (size_t i = 0; i < run->ncases; i++) {
        failures += run->cases[i].status == CONF_FAIL;
        skipped += run->cases[i].status == CONF_SKIP || run->cases[i].status == CONF_NOT_RUN;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"vmhi-conformance\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", run->ncases + 1, failures,
            skipped, run->seconds);
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        write_profile(f, run, &run->profiles[i]);
    write_run_suite(f, run);
    fputs("</testsuites>\n", f);
    if (fclose(f) != 0) {
        perror(file);
        return -1;
    }
    return 0;
}
