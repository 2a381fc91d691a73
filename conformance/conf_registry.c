/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The registry: tests register themselves from constructors (see the
 * macros in conf.h); before the run they are expanded into cases, one per
 * row, ordered by profile and then by where they are written, so that the
 * report reads like the specification.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_internal.h"

#define CONF_MAX_TESTS 512

static conf_test *registered[CONF_MAX_TESTS];
static size_t nregistered;
static bool overflow;

const unsigned int conf_profile_order[CONF_NPROFILES] = {
    VMHI_PROFILE_CORE,    VMHI_PROFILE_LIFECYCLE_FULL, VMHI_PROFILE_MEMORY,
    VMHI_PROFILE_VCPU,    VMHI_PROFILE_DEVICES,        VMHI_PROFILE_EVENTS,
    VMHI_PROFILE_PERSISTENCE,
};

void conf_register(conf_test *test)
{
    if (nregistered == CONF_MAX_TESTS) {
        overflow = true; /* reported by conf_cases_build() */
        return;
    }
    registered[nregistered++] = test;
}

const char *conf_profile_label(unsigned int bit)
{
    const char *name = vmhi_profile_name(bit);
    return name ? name : "Library";
}

unsigned int conf_profile_parse(const char *name)
{
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        if (strcasecmp(name, vmhi_profile_name(conf_profile_order[i])) == 0)
            return conf_profile_order[i];
    return 0;
}

static size_t profile_rank(unsigned int bit)
{
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        if (conf_profile_order[i] == bit)
            return i;
    return CONF_NPROFILES;
}

static int compare_tests(const void *a, const void *b)
{
    const conf_test *x = *(conf_test *const *)a, *y = *(conf_test *const *)b;
    size_t rx = profile_rank(x->profile), ry = profile_rank(y->profile);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    int c = strcmp(x->file, y->file);
    if (c != 0)
        return c;
    return (x->line > y->line) - (x->line < y->line);
}

static void copy_ids(conf_case *c, const char *const *ids)
{
    c->nids = 0;
    for (size_t i = 0; ids[i] && c->nids < CONF_MAX_IDS; i++)
        c->ids[c->nids++] = ids[i];
    c->ids[c->nids] = NULL;
}

static void fill_case(conf_case *c, const conf_test *t, size_t row)
{
    memset(c, 0, sizeof(*c));
    c->test = t;
    c->row = row;
    c->profile = t->profile;
    if (!t->describe) {
        snprintf(c->name, sizeof(c->name), "%s", t->name);
        copy_ids(c, t->ids);
        return;
    }
    conf_row r;
    memset(&r, 0, sizeof(r));
    t->describe(row, &r);
    snprintf(c->name, sizeof(c->name), "%s[%s]", t->name, r.name);
    if (r.profile)
        c->profile = r.profile;
    copy_ids(c, r.ids[0] ? r.ids : t->ids);
}

int conf_cases_build(conf_case **cases, size_t *count)
{
    if (overflow) {
        fprintf(stderr, "vmhi-conformance: more than %d tests registered; raise "
                "CONF_MAX_TESTS\n", CONF_MAX_TESTS);
        return -1;
    }
    qsort(registered, nregistered, sizeof(registered[0]), compare_tests);
    size_t n = 0;
    for (size_t i = 0; i < nregistered; i++)
        n += registered[i]->rows;
    conf_case *out = calloc(n ? n : 1, sizeof(*out));
    if (!out)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < nregistered; i++)
        for (size_t r = 0; r < registered[i]->rows; r++)
            fill_case(&out[k++], registered[i], r);
    *cases = out;
    *count = n;
    return 0;
}

void conf_cases_free(conf_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(cases[i].message);
        free(cases[i].notes);
        free(cases[i].na_reason);
    }
    free(cases);
}

bool conf_case_cites(const conf_case *c, const char *id)
{
    for (size_t i = 0; i < c->nids; i++)
        if (strcmp(c->ids[i], id) == 0)
            return true;
    return false;
}

void conf_cases_print(FILE *out, const conf_case *cases, size_t count)
{
    size_t width = 4;
    for (size_t i = 0; i < count; i++)
        if (strlen(cases[i].name) > width)
            width = strlen(cases[i].name);
    fprintf(out, "%-*s  %-14s  %s\n", (int)width, "TEST", "PROFILE", "REQUIREMENTS");
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "%-*s  %-14s ", (int)width, cases[i].name,
                conf_profile_label(cases[i].profile));
        for (size_t j = 0; j < cases[i].nids; j++)
            fprintf(out, " %s", cases[i].ids[j]);
        fputc('\n', out);
    }
    fprintf(out, "%zu tests\n", count);
}
