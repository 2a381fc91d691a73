/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The machine-readable certification report (JSON), written from the
 * result model.  Its shape is described in conformance/README.md.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

static json_object *text_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static void add(json_object *obj, const char *key, json_object *value)
{
    json_object_object_add(obj, key, value);
}

static json_object *id_array(const char *const *ids, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(ids[i]));
    return arr;
}

static json_object *missing_ops_array(const char *list)
{
    json_object *arr = json_object_new_array();
    char *copy = list ? strdup(list) : NULL;
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok;
         tok = strtok_r(NULL, ", ", &save))
        json_object_array_add(arr, json_object_new_string(tok));
    free(copy);
    return arr;
}

static json_object *profile_json(const conf_profile_result *pr)
{
    json_object *o = json_object_new_object();
    add(o, "name", json_object_new_string(conf_profile_label(pr->bit)));
    add(o, "claimed", json_object_new_boolean(pr->claimed));
    add(o, "selected", json_object_new_boolean(pr->selected));
    add(o, "verdict", json_object_new_string(conf_verdict_name(pr->verdict)));
    json_object *tests = json_object_new_object();
    add(tests, "passed", json_object_new_int64((int64_t)pr->passed));
    add(tests, "failed", json_object_new_int64((int64_t)pr->failed));
    add(tests, "not_applicable", json_object_new_int64((int64_t)pr->skipped));
    add(tests, "warnings", json_object_new_int64((int64_t)pr->warnings));
    add(o, "tests", tests);
    json_object *reqs = json_object_new_object();
    add(reqs, "pass", json_object_new_int64((int64_t)pr->req_pass));
    add(reqs, "fail", json_object_new_int64((int64_t)pr->req_fail));
    add(reqs, "not_tested", json_object_new_int64((int64_t)pr->req_untested));
    add(o, "requirements", reqs);
    add(o, "missing_ops", missing_ops_array(pr->missing_ops));
    add(o, "note", text_or_null(pr->note));
    return o;
}

static json_object *requirement_json(const conf_requirement *r)
{
    json_object *o = json_object_new_object();
    add(o, "id", json_object_new_string(r->id));
    add(o, "profile", json_object_new_string(r->profile_name));
    add(o, "level", json_object_new_string(r->level));
    add(o, "summary", text_or_null(r->summary));
    add(o, "section", text_or_null(r->section));
    add(o, "result", json_object_new_string(conf_req_status_name(r->status)));
    add(o, "message", text_or_null(r->message));
    add(o, "tests_run", json_object_new_int64((int64_t)r->ncases));
    return o;
}

static json_object *case_json(const conf_case *c)
{
    json_object *o = json_object_new_object();
    add(o, "name", json_object_new_string(c->name));
    add(o, "profile", json_object_new_string(conf_profile_label(c->profile)));
    add(o, "requirements", id_array(c->ids, c->nids));
    add(o, "result", json_object_new_string(conf_status_name(c->status)));
    add(o, "message", text_or_null(c->message));
    add(o, "failed_requirement", text_or_null(c->failed_id[0] ? c->failed_id : NULL));
    add(o, "notes", text_or_null(c->notes));
    add(o, "seconds", json_object_new_double(c->seconds));
    return o;
}

static json_object *errors_json(const char *text)
{
    json_object *arr = json_object_new_array();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        json_object_array_add(arr, json_object_new_string_len(p, (int)len));
        p += len + (nl != NULL);
    }
    return arr;
}

/* {"disk-bus": ["default", "virtio", ...], ...}, or null when unread. */
static json_object *value_caps_json(const conf_run *run)
{
    if (!run->value_caps_read)
        return NULL;
    json_object *o = json_object_new_object();
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        json_object *arr = json_object_new_array();
        for (unsigned int v = 0; v < 64; v++) {
            if (!(run->value_caps[k] & (UINT64_C(1) << v)))
                continue;
            const char *name = vmhi_value_name((vmhi_value_kind)k, v);
            json_object_array_add(arr, name ? json_object_new_string(name)
                                            : json_object_new_int64((int64_t)v));
        }
        add(o, vmhi_value_kind_name((vmhi_value_kind)k), arr);
    }
    return o;
}

static json_object *run_json(const conf_run *run)
{
    json_object *o = json_object_new_object();
    add(o, "suite", json_object_new_string("vmhi-conformance"));
    add(o, "suite_version", json_object_new_string(vmhi_version_string()));
    add(o, "spec_index", json_object_new_string(run->spec.source ? run->spec.source : ""));
    add(o, "uri", text_or_null(run->uri));
    json_object *backend = json_object_new_object();
    add(backend, "name", text_or_null(run->backend));
    add(backend, "version", text_or_null(run->backend_version));
    add(o, "backend", backend);
    json_object *hv = json_object_new_object();
    add(hv, "name", text_or_null(run->hypervisor));
    add(hv, "version", text_or_null(run->hypervisor_version));
    add(o, "hypervisor", hv);
    add(o, "value_caps", value_caps_json(run));
    add(o, "date", json_object_new_string(run->date));
    add(o, "duration_seconds", json_object_new_double(run->seconds));
    add(o, "certified", json_object_new_boolean(run->certified));
    json_object *profiles = json_object_new_array();
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        json_object_array_add(profiles, profile_json(&run->profiles[i]));
    add(o, "profiles", profiles);
    json_object *reqs = json_object_new_array();
    for (size_t i = 0; i < run->spec.count; i++)
        if (run->spec.reqs[i].backend_facing)
            json_object_array_add(reqs, requirement_json(&run->spec.reqs[i]));
    add(o, "requirements", reqs);
    json_object *tests = json_object_new_array();
    for (size_t i = 0; i < run->ncases; i++)
        json_object_array_add(tests, case_json(&run->cases[i]));
    add(o, "tests", tests);
    add(o, "errors", errors_json(run->run_errors));
    return o;
}

int conf_report_json(const conf_run *run, const char *file)
{
    json_object *root = run_json(run);
    int rc = json_object_to_file_ext(file, root, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(root);
    if (rc < 0)
        fprintf(stderr, "vmhi-conformance: cannot write %s: %s\n", file,
                json_util_get_last_err());
    return rc < 0 ? -1 : 0;
}
