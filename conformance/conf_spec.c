/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The specification's requirement index (spec/requirements.json: an array
 * of {"id", "profile", "level", "summary", "section"}).  A copy is built
 * into the binary so that an installed suite reports on every requirement
 * without the source tree; --spec reads another file.  The coverage check
 * holds the suite to the spec: every MUST of a backend-facing profile has
 * a test citing it, and every citation names a real requirement.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_internal.h"

/* Generated from spec/requirements.json by cmake/embed.cmake. */
extern const char conf_spec_builtin[];
extern const size_t conf_spec_builtin_len;

static char *member_text(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return strdup(json_object_get_string(v));
}

static int read_requirement(json_object *obj, size_t index, conf_requirement *r, char *err,
                            size_t size)
{
    memset(r, 0, sizeof(*r));
    if (!json_object_is_type(obj, json_type_object)) {
        snprintf(err, size, "entry %zu is not an object", index);
        return -1;
    }
    r->id = member_text(obj, "id");
    r->profile_name = member_text(obj, "profile");
    r->level = member_text(obj, "level");
    r->summary = member_text(obj, "summary");
    r->section = member_text(obj, "section");
    if (!r->id || !r->profile_name || !r->level) {
        snprintf(err, size, "entry %zu lacks \"id\", \"profile\" or \"level\" (strings)", index);
        return -1;
    }
    r->profile = conf_profile_parse(r->profile_name);
    r->backend_facing = r->profile != 0;
    if (!r->backend_facing && strcasecmp(r->profile_name, "Library") != 0) {
        snprintf(err, size, "%s: unknown profile \"%s\"", r->id, r->profile_name);
        return -1;
    }
    return 0;
}

static int parse_index(conf_spec *spec, json_object *root, char *err, size_t size)
{
    if (!json_object_is_type(root, json_type_array)) {
        snprintf(err, size, "the top level is not an array");
        return -1;
    }
    size_t n = json_object_array_length(root);
    spec->reqs = calloc(n ? n : 1, sizeof(*spec->reqs));
    if (!spec->reqs) {
        snprintf(err, size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = read_requirement(json_object_array_get_idx(root, i), i, &spec->reqs[i], err,
                                  size);
        spec->count = i + 1; /* freed by conf_spec_free() even when partial */
        if (rc < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(spec->reqs[j].id, spec->reqs[i].id) == 0) {
                snprintf(err, size, "requirement %s is listed twice", spec->reqs[i].id);
                return -1;
            }
        }
    }
    return 0;
}

int conf_spec_load(conf_spec *spec, const char *file, char *err, size_t size)
{
    memset(spec, 0, sizeof(*spec));
    json_object *root = NULL;
    if (file) {
        root = json_object_from_file(file);
        if (!root) {
            snprintf(err, size, "%s: cannot read or parse: %s", file, json_util_get_last_err());
            return -1;
        }
    } else {
        json_tokener *tok = json_tokener_new();
        root = tok ? json_tokener_parse_ex(tok, conf_spec_builtin, (int)conf_spec_builtin_len)
                   : NULL;
        json_tokener_free(tok);
        if (!root) {
            snprintf(err, size, "the built-in requirement index does not parse");
            return -1;
        }
    }
    spec->source = strdup(file ? file : "built-in");
    int rc = parse_index(spec, root, err, size);
    json_object_put(root);
    if (rc < 0) {
        conf_spec_free(spec);
        return -1;
    }
    return 0;
}

void conf_spec_free(conf_spec *spec)
{
    for (size_t i = 0; i < spec->count; i++) {
        conf_requirement *r = &spec->reqs[i];
        free(r->id);
        free(r->profile_name);
        free(r->level);
        free(r->summary);
        free(r->section);
        free(r->message);
    }
    free(spec->reqs);
    free(spec->source);
    memset(spec, 0, sizeof(*spec));
}

const conf_requirement *conf_spec_find(const conf_spec *spec, const char *id)
{
    for (size_t i = 0; i < spec->count; i++)
        if (strcmp(spec->reqs[i].id, id) == 0)
            return &spec->reqs[i];
    return NULL;
}

static bool cited_anywhere(const char *id, const conf_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (conf_case_cites(&cases[i], id))
            return true;
    return false;
}

/* Citations of IDs the spec does not have; returns how many. */
static size_t check_citations(FILE *out, const conf_spec *spec, const conf_case *cases,
                              size_t count)
{
    size_t bad = 0;
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < cases[i].nids; j++) {
            const conf_requirement *r = conf_spec_find(spec, cases[i].ids[j]);
            if (!r) {
                fprintf(out, "unknown requirement %s cited by %s\n", cases[i].ids[j],
                        cases[i].name);
                bad++;
            } else if (!r->backend_facing) {
                fprintf(out, "note: %s cites %s, a library requirement\n", cases[i].name,
                        r->id);
            }
        }
    }
    return bad;
}

int conf_check_coverage(FILE *out, const conf_spec *spec, const conf_case *cases, size_t count)
{
    size_t uncovered = 0, must = 0;
    for (size_t i = 0; i < spec->count; i++) {
        const conf_requirement *r = &spec->reqs[i];
        if (!r->backend_facing || strcasecmp(r->level, "MUST") != 0)
            continue;
        must++;
        if (!cited_anywhere(r->id, cases, count)) {
            fprintf(out, "uncovered MUST requirement %s (%s): %s\n", r->id, r->profile_name,
                    r->summary ? r->summary : "");
            uncovered++;
        }
    }
    size_t unknown = check_citations(out, spec, cases, count);
    fprintf(out, "%zu backend-facing MUST requirements, %zu covered, %zu uncovered; "
            "%zu unknown citations (%s)\n", must, must - uncovered, uncovered, unknown,
            spec->source);
    return uncovered || unknown ? 1 : 0;
}
