/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The suite's machinery behind conf.h: the registry of cases, the state a
 * child shares with the parent, the run and its result model (from which
 * all three reports are written), the specification index.
 *
 *   conf_registry.c   registered tests expanded into cases; --list
 *   conf_runner.c     runs each case in a Check child; cleanup pass
 *   conf_probe.c      backend facts, foreign-VM census
 *   conf_spec.c       spec/requirements.json; --check-coverage
 *   conf_model.c      case results -> requirement results -> profile verdicts
 *   conf_report_*.c   JSON, JUnit XML, Markdown
 *   conf_main.c       options and the order of things
 */
#ifndef VMHI_CONF_INTERNAL_H
#define VMHI_CONF_INTERNAL_H

#include <stdatomic.h>
#include <stdio.h>

#include "conf.h"

/* The profiles in the order reports list them. */
#define CONF_NPROFILES 7
extern const unsigned int conf_profile_order[CONF_NPROFILES];
/* "Core" ... for a profile bit; "Library" for 0. */
const char *conf_profile_label(unsigned int bit);
/* The bit for a name (case-insensitive), 0 when unknown. */
unsigned int conf_profile_parse(const char *name);

/* ------------------------------------------------------------- sharing */

#define CONF_NOTE_MAX 1024

/* Lives in a MAP_SHARED mapping made before any child is forked: what a
 * child writes here the parent reads after the child ended. */
typedef struct conf_shared {
    atomic_uint name_counter;
    int skipped;
    char skip_reason[CONF_NOTE_MAX];
    char notes[CONF_NOTE_MAX];
    char current[CONF_ID_MAX + 1];             /* last conf_req() */
    char reached[CONF_MAX_IDS][CONF_ID_MAX + 1];/* conf_req()s before it */
    unsigned int nreached;
    char not_applicable[CONF_MAX_IDS][CONF_ID_MAX + 1]; /* conf_req_not_applicable() */
    unsigned int nnot_applicable;
    char not_applicable_why[CONF_NOTE_MAX];    /* the first one's reason */
} conf_shared;

extern conf_shared *conf_shm;

/* ------------------------------------------------------------- results */

typedef enum conf_status {
    CONF_NOT_RUN = 0, /* profile not claimed or not selected */
    CONF_PASS,
    CONF_FAIL,
    CONF_SKIP         /* not applicable to this backend (reason given) */
} conf_status;

const char *conf_status_name(conf_status st);

/* One row of one test. */
typedef struct conf_case {
    const conf_test *test;
    size_t row;
    char name[160];
    unsigned int profile;
    const char *ids[CONF_MAX_IDS + 1];
    size_t nids;

    conf_status status;
    char *message;                 /* failure message or skip reason, or NULL */
    char *notes;                   /* remarks from conf_note(), or NULL */
    char failed_id[CONF_ID_MAX + 1]; /* the requirement charged, "" = every cited one */
    char passed_ids[CONF_MAX_IDS][CONF_ID_MAX + 1]; /* checked before the failure */
    unsigned int npassed;
    char na_ids[CONF_MAX_IDS][CONF_ID_MAX + 1]; /* cited, but found not to apply */
    unsigned int nna;
    char *na_reason;               /* why (the first of them), or NULL */
    double seconds;
} conf_case;

typedef enum conf_req_status {
    CONF_REQ_NOT_TESTED = 0,
    CONF_REQ_PASS,
    CONF_REQ_FAIL,
    CONF_REQ_NOT_CLAIMED
} conf_req_status;

const char *conf_req_status_name(conf_req_status st);

typedef struct conf_requirement {
    char *id, *profile_name, *level, *summary, *section;
    unsigned int profile;     /* 0 for Library (and unknown) */
    bool backend_facing;      /* profile is one the suite certifies */
    conf_req_status status;
    char *message;            /* first failure, or why not tested */
    size_t ncases;            /* cases citing it that ran */
} conf_requirement;

typedef struct conf_spec {
    conf_requirement *reqs;
    size_t count;
    char *source;             /* file name, or "built-in" */
} conf_spec;

typedef enum conf_verdict {
    CONF_NOT_CLAIMED = 0,
    CONF_CERTIFIED,
    CONF_FAILED,
    CONF_NOT_SELECTED,        /* claimed, but not asked for with --profile */
    CONF_UNTESTED             /* selected, but none of its tests ran (--only) */
} conf_verdict;

const char *conf_verdict_name(conf_verdict v);

typedef struct conf_profile_result {
    unsigned int bit;
    bool claimed, selected, requested;
    conf_verdict verdict;
    size_t passed, failed, skipped;        /* cases */
    size_t req_pass, req_fail, req_untested; /* requirements of the profile */
    size_t warnings;                       /* failed SHOULD/MAY requirements */
    char *missing_ops;                     /* ops the profile needs but caps deny */
    const char *note;                      /* why failed besides its own results */
} conf_profile_result;

typedef struct conf_run {
    char *uri, *backend, *backend_version, *hypervisor, *hypervisor_version;
    char date[32];                 /* ISO 8601, UTC */
    double seconds;
    conf_case *cases;
    size_t ncases;
    conf_spec spec;
    conf_profile_result profiles[CONF_NPROFILES];
    char *run_errors;              /* suite-level failures (foreign VMs touched...) */
    /* vmhi_conn_get_value_caps() for each vmhi_value_kind (index = kind),
     * read by the probe; value_caps_read is false when it could not be. */
    uint64_t value_caps[VMHI_VALUE_KIND_COUNT_1_0];
    bool value_caps_read;
    bool certified;                /* every selected claimed profile certified */
} conf_run;

/* ------------------------------------------------------------ registry */

/* Expands the registered tests into cases, in report order. */
int conf_cases_build(conf_case **cases, size_t *count);
void conf_cases_free(conf_case *cases, size_t count);
/* The --list table: case, profile, requirement IDs. */
void conf_cases_print(FILE *out, const conf_case *cases, size_t count);
/* Whether @c cites @id. */
bool conf_case_cites(const conf_case *c, const char *id);

/* -------------------------------------------------------------- runner */

typedef struct conf_options {
    const char *uri;
    unsigned int requested;     /* --profile bits; 0 = all claimed */
    const char *json, *junit, *markdown, *spec_file, *coverage_file, *disk_dir;
    const char *only;           /* --only substring of case names */
    const char *crash_command;  /* --crash-command, or NULL */
    const char *kernel, *initrd, *bridge; /* --kernel, --initrd, --bridge, or NULL */
    double timeout_scale;
    unsigned int memory_mib;
    bool list, verbose;
} conf_options;

/* Runs every selected case in order, with the cleanup pass after each. */
void conf_run_cases(conf_run *run, const conf_options *opt);
/* Powers off and removes every VM of this run (name prefix), but kept
 * subjects when @spare_kept; returns how many it removed, or a negative
 * error when the URI cannot be opened. */
int conf_cleanup(const char *uri, long run_id, bool spare_kept, char *msg, size_t msg_size);

/* Reads --auth-file (uri-prefix user password lines). */
int conf_auth_load(const char *file);

/* --------------------------------------------------------------- probe */

typedef struct conf_census conf_census;
/* Backend name, versions, claimed profiles.  Returns 0 or a vmhi error
 * (message in @err). */
int conf_probe(conf_run *run, const char *uri, unsigned int *claimed, char *err, size_t size);
/* The names of the values @caps declares for @kind, separated by @sep,
 * into @buf (for the reports). */
void conf_value_caps_text(vmhi_value_kind kind, uint64_t caps, const char *sep, char *buf,
                          size_t size);
/* Ops a claimed profile needs but vmhi_conn_get_op_caps() says are absent. */
void conf_probe_missing_ops(conf_run *run, const char *uri, unsigned int claimed);
/* How this URI's guests treat requests, learnt once before the tests
 * (a shutdown request; a live disk unplug): 1 they comply within
 * CONF_GUEST_PROBE_MS, 0 they do not, -1 unknown (operation unsupported). */
void conf_probe_guest(const char *uri, int *shutdown, int *unplug, unsigned int *ready_ms,
                      bool *suspend_needs_guest);
/* VMs the suite did not create (name, UUID, state). */
conf_census *conf_census_take(const char *uri, long run_id, char *err, size_t size);
/* Appends differences (missing or changed foreign VMs) to @run->run_errors;
 * returns true when they are the same. */
bool conf_census_compare(const conf_census *before, const conf_census *after, conf_run *run);
size_t conf_census_count(const conf_census *c);
void conf_census_free(conf_census *c);

/* ---------------------------------------------------------------- spec */

/* Loads @file, or the built-in copy when NULL. */
int conf_spec_load(conf_spec *spec, const char *file, char *err, size_t size);
void conf_spec_free(conf_spec *spec);
const conf_requirement *conf_spec_find(const conf_spec *spec, const char *id);
/* Prints uncovered MUST requirements and unknown citations; returns
 * 0 when there are none. */
int conf_check_coverage(FILE *out, const conf_spec *spec, const conf_case *cases, size_t count);

/* --------------------------------------------------------------- model */

/* Derives requirement results and profile verdicts from the cases. */
void conf_model_finish(conf_run *run);
void conf_run_free(conf_run *run);
void conf_append(char **text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -------------------------------------------------------------- reports */

int conf_report_json(const conf_run *run, const char *file);
int conf_report_junit(const conf_run *run, const char *file);
int conf_report_markdown(const conf_run *run, const char *file);
/* A short summary on stdout. */
void conf_report_summary(FILE *out, const conf_run *run);

#endif /* VMHI_CONF_INTERNAL_H */
