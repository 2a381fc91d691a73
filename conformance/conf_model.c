/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The result model: from the cases' results to each requirement's result
 * and each profile's verdict.  The three reports are written from this
 * one model, so they cannot disagree.
 *
 * A requirement fails when a case charged a failure to it (or failed
 * without saying which of its requirements it was checking); it passes
 * when a case that cites it passed, or checked it before failing on
 * another; otherwise it is not tested (and the report says why).
 * A claimed, selected profile is certified when none of its cases and
 * none of its requirements failed and it has every operation it needs.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_internal.h"

void conf_append(char **text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *add = NULL;
    int n = vasprintf(&add, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t old = *text ? strlen(*text) : 0;
    char *grown = realloc(*text, old + (size_t)n + 1);
    if (grown) {
        memcpy(grown + old, add, (size_t)n + 1);
        *text = grown;
    }
    free(add);
}

const char *conf_status_name(conf_status st)
{
    switch (st) {
    case CONF_PASS: return "pass";
    case CONF_FAIL: return "fail";
    case CONF_SKIP: return "not-applicable";
    case CONF_NOT_RUN: break;
    }
    return "not-run";
}

const char *conf_req_status_name(conf_req_status st)
{
    switch (st) {
    case CONF_REQ_PASS: return "pass";
    case CONF_REQ_FAIL: return "fail";
    case CONF_REQ_NOT_CLAIMED: return "not-claimed";
    case CONF_REQ_NOT_TESTED: break;
    }
    return "not-tested";
}

const char *conf_verdict_name(conf_verdict v)
{
    switch (v) {
    case CONF_CERTIFIED: return "certified";
    case CONF_FAILED: return "failed";
    case CONF_NOT_SELECTED: return "not selected";
    case CONF_UNTESTED: return "not tested";
    case CONF_NOT_CLAIMED: break;
    }
    return "not claimed";
}

static conf_profile_result *profile_of(conf_run *run, unsigned int bit)
{
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        if (run->profiles[i].bit == bit)
            return &run->profiles[i];
    return NULL;
}

static bool passed_before_failure(const conf_case *c, const char *id)
{
    for (unsigned int i = 0; i < c->npassed; i++)
        if (strcmp(c->passed_ids[i], id) == 0)
            return true;
    return false;
}

static bool found_not_applicable(const conf_case *c, const char *id)
{
    for (unsigned int i = 0; i < c->nna; i++)
        if (strcmp(c->na_ids[i], id) == 0)
            return true;
    return false;
}

/* What @c says about requirement @id. */
static conf_req_status case_verdict_on(const conf_case *c, const char *id)
{
    if (found_not_applicable(c, id) && strcmp(c->failed_id, id) != 0)
        return CONF_REQ_NOT_TESTED;
    switch (c->status) {
    case CONF_PASS:
        return CONF_REQ_PASS;
    case CONF_FAIL:
        if (!c->failed_id[0] || strcmp(c->failed_id, id) == 0)
            return CONF_REQ_FAIL;
        return passed_before_failure(c, id) ? CONF_REQ_PASS : CONF_REQ_NOT_TESTED;
    default:
        return CONF_REQ_NOT_TESTED;
    }
}

static void judge_requirement(conf_run *run, conf_requirement *r)
{
    const conf_profile_result *pr = profile_of(run, r->profile);
    if (!pr || !pr->claimed) {
        r->status = CONF_REQ_NOT_CLAIMED;
        return;
    }
    if (!pr->selected) {
        /* Cases of other profiles may cite it, but skip its checks. */
        r->status = CONF_REQ_NOT_TESTED;
        conf_append(&r->message, "profile %s not selected", conf_profile_label(pr->bit));
        return;
    }
    const char *skip_reason = NULL;
    bool cited = false, pass = false;
    for (size_t i = 0; i < run->ncases; i++) {
        const conf_case *c = &run->cases[i];
        if (!conf_case_cites(c, r->id))
            continue;
        cited = true;
        if (c->status == CONF_NOT_RUN)
            continue;
        r->ncases++;
        conf_req_status v = case_verdict_on(c, r->id);
        if (v == CONF_REQ_FAIL && r->status != CONF_REQ_FAIL) {
            r->status = CONF_REQ_FAIL;
            free(r->message);
            r->message = NULL;
            conf_append(&r->message, "%s: %s", c->name, c->message ? c->message : "failed");
        }
        pass |= v == CONF_REQ_PASS;
        if (c->status == CONF_SKIP && !skip_reason)
            skip_reason = c->message;
        if (found_not_applicable(c, r->id) && !skip_reason)
            skip_reason = c->na_reason;
    }
    if (r->status == CONF_REQ_FAIL)
        return;
    if (pass) {
        r->status = CONF_REQ_PASS;
        return;
    }
    r->status = CONF_REQ_NOT_TESTED;
    if (!cited)
        conf_append(&r->message, "no test of this suite cites it");
    else if (skip_reason)
        conf_append(&r->message, "not applicable: %s", skip_reason);
    else
        conf_append(&r->message, "the tests citing it did not reach it or did not run");
}

/* The profile a case's failure counts against: that of the requirement
 * it was checking (an event check inside a lifecycle test fails Events),
 * else the case's own. */
static conf_profile_result *charged_profile(conf_run *run, const conf_case *c)
{
    const conf_requirement *r = c->failed_id[0] ? conf_spec_find(&run->spec, c->failed_id)
                                                : NULL;
    if (r && r->backend_facing)
        return profile_of(run, r->profile);
    return profile_of(run, c->profile);
}

static bool is_must(const conf_requirement *r)
{
    return strcasecmp(r->level, "MUST") == 0;
}

/* A case that failed only a SHOULD or MAY is a warning, not a failure. */
static bool failed_a_should(const conf_run *run, const conf_case *c)
{
    const conf_requirement *r = c->failed_id[0] ? conf_spec_find(&run->spec, c->failed_id)
                                                : NULL;
    return r && !is_must(r);
}

static void count_cases(conf_run *run)
{
    for (size_t i = 0; i < run->ncases; i++) {
        const conf_case *c = &run->cases[i];
        conf_profile_result *pr = profile_of(run, c->profile);
        if (!pr)
            continue;
        pr->passed += c->status == CONF_PASS;
        pr->skipped += c->status == CONF_SKIP;
        if (c->status == CONF_FAIL) {
            conf_profile_result *charged = charged_profile(run, c);
            if (!charged)
                charged = pr;
            if (failed_a_should(run, c))
                charged->warnings++;
            else
                charged->failed++;
        }
    }
}

static void count_requirements(conf_run *run)
{
    for (size_t i = 0; i < run->spec.count; i++) {
        conf_requirement *r = &run->spec.reqs[i];
        if (!r->backend_facing)
            continue;
        judge_requirement(run, r);
        conf_profile_result *pr = profile_of(run, r->profile);
        pr->req_pass += r->status == CONF_REQ_PASS;
        pr->req_fail += r->status == CONF_REQ_FAIL && is_must(r);
        pr->req_untested += r->status == CONF_REQ_NOT_TESTED;
    }
}

static conf_verdict verdict_of(const conf_profile_result *pr)
{
    if (!pr->claimed)
        return CONF_NOT_CLAIMED;
    if (!pr->selected)
        return CONF_NOT_SELECTED;
    if (pr->failed || pr->req_fail || pr->missing_ops)
        return CONF_FAILED;
    if (pr->passed + pr->skipped == 0)
        return CONF_UNTESTED;
    return CONF_CERTIFIED;
}

/* Spec 3.2: a backend conforms to a profile when it meets that profile
 * and Core; a profile cannot be certified on a failed Core. */
static void require_core(conf_run *run)
{
    const conf_profile_result *core = profile_of(run, VMHI_PROFILE_CORE);
    if (core->verdict != CONF_FAILED)
        return;
    for (size_t i = 0; i < CONF_NPROFILES; i++) {
        conf_profile_result *pr = &run->profiles[i];
        if (pr->bit != VMHI_PROFILE_CORE && pr->verdict == CONF_CERTIFIED) {
            pr->verdict = CONF_FAILED;
            pr->note = "Core failed (spec 3.2: a profile conforms only together with Core)";
        }
    }
}

void conf_model_finish(conf_run *run)
{
    count_cases(run);
    count_requirements(run);
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        run->profiles[i].verdict = verdict_of(&run->profiles[i]);
    require_core(run);
    bool all = !run->run_errors, any = false;
    for (size_t i = 0; i < CONF_NPROFILES; i++) {
        conf_profile_result *pr = &run->profiles[i];
        any |= pr->verdict == CONF_CERTIFIED;
        if (pr->verdict == CONF_FAILED || pr->verdict == CONF_UNTESTED ||
            (pr->requested && !pr->claimed))
            all = false;
    }
    run->certified = all && any;
}

void conf_run_free(conf_run *run)
{
    free(run->uri);
    free(run->backend);
    free(run->backend_version);
    free(run->hypervisor);
    free(run->hypervisor_version);
    free(run->run_errors);
    for (size_t i = 0; i < CONF_NPROFILES; i++)
        free(run->profiles[i].missing_ops);
    conf_cases_free(run->cases, run->ncases);
    conf_spec_free(&run->spec);
    memset(run, 0, sizeof(*run));
}
