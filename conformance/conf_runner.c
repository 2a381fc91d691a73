/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runs the cases.  Each case gets its own Check runner with one test case
 * so that the parent can time it, read what the child left in the shared
 * memory, and run the cleanup pass before the next case: whatever a child
 * created (its VMs carry this run's name prefix) is powered off and
 * removed, even when the child crashed or timed out (but subjects kept
 * for the next case of the same test, conf_define_kept()).  The parent never
 * keeps a connection open while a child runs: backends may not expect a
 * connection to be shared across fork(), and some lock their store.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_internal.h"

extern const conf_case *conf_current_case;

static conf_case *run_cases;

/* Check calls this in the child with the case's index as the loop value. */
static void trampoline(int index)
{
    const conf_case *c = &run_cases[index];
    c->test->fn(c->row);
}

static const TTest trampoline_test = { "case", trampoline, __FILE__, __LINE__ };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void reset_shared(void)
{
    conf_shm->skipped = 0;
    conf_shm->skip_reason[0] = '\0';
    conf_shm->notes[0] = '\0';
    conf_shm->current[0] = '\0';
    conf_shm->nreached = 0;
    conf_shm->nnot_applicable = 0;
    conf_shm->not_applicable_why[0] = '\0';
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* Reads the child's result (Check's and the shared memory's). */
static void collect(conf_case *c, SRunner *sr)
{
    TestResult **results = srunner_results(sr);
    int nrun = srunner_ntests_run(sr);
    int type = nrun > 0 ? tr_rtype(results[0]) : CK_ERROR;
    if (type == CK_PASS) {
        c->status = conf_shm->skipped ? CONF_SKIP : CONF_PASS;
        c->message = conf_shm->skipped ? dup_or_null(conf_shm->skip_reason) : NULL;
    } else {
        c->status = CONF_FAIL;
        char *msg = NULL;
        if (nrun > 0)
            conf_append(&msg, "%s (%s:%d)", tr_msg(results[0]), tr_lfile(results[0]),
                        tr_lno(results[0]));
        else
            conf_append(&msg, "the test did not run");
        c->message = msg;
        snprintf(c->failed_id, sizeof(c->failed_id), "%s", conf_shm->current);
        c->npassed = conf_shm->nreached;
        memcpy(c->passed_ids, conf_shm->reached, sizeof(c->passed_ids));
    }
    c->notes = dup_or_null(conf_shm->notes);
    c->nna = conf_shm->nnot_applicable;
    memcpy(c->na_ids, conf_shm->not_applicable, sizeof(c->na_ids));
    c->na_reason = dup_or_null(conf_shm->not_applicable_why);
    free(results);
}

static void run_case(conf_case *c, size_t index)
{
    reset_shared();
    conf_current_case = c;
    Suite *s = suite_create("vmhi-conformance");
    TCase *tc = tcase_create(c->name);
    /* Check's own watchdog: far beyond any wait a test does. */
    tcase_set_timeout(tc, (double)conf_ms(60000) / 1000.0);
    tcase_add_loop_test(tc, &trampoline_test, (int)index, (int)index + 1);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    double t0 = now_seconds();
    srunner_run_all(sr, CK_SILENT);
    c->seconds = now_seconds() - t0;
    collect(c, sr);
    srunner_free(sr);
    conf_current_case = NULL;
}

static bool case_selected(const conf_case *c, const conf_options *opt)
{
    if (!(conf->selected & c->profile))
        return false;
    return !opt->only || strstr(c->name, opt->only) != NULL;
}

static void print_case(const conf_case *c, bool verbose)
{
    if (c->status == CONF_FAIL) {
        printf("FAIL  %s (%s, %.3f s)\n      %s\n", c->name, conf_profile_label(c->profile),
               c->seconds, c->message ? c->message : "");
    } else if (verbose) {
        printf("%-4s  %s (%.3f s)%s%s\n", c->status == CONF_PASS ? "ok" : "n/a", c->name,
               c->seconds, c->message ? ": " : "", c->message ? c->message : "");
    }
    if (verbose && c->notes)
        printf("      note: %s\n", c->notes);
    fflush(stdout);
}

/* Whether the next case that runs after @i is of the same test. */
static bool same_test_next(const conf_run *run, size_t i, const conf_options *opt)
{
    for (size_t j = i + 1; j < run->ncases; j++)
        if (case_selected(&run->cases[j], opt))
            return run->cases[j].test == run->cases[i].test;
    return false;
}

void conf_run_cases(conf_run *run, const conf_options *opt)
{
    run_cases = run->cases;
    for (size_t i = 0; i < run->ncases; i++) {
        conf_case *c = &run->cases[i];
        if (!case_selected(c, opt)) {
            c->status = CONF_NOT_RUN;
            continue;
        }
        run_case(c, i);
        char msg[512] = "";
        /* Kept subjects (conf_define_kept) live on into the next case of
         * the same test, and no further. */
        int removed = conf_cleanup(conf->uri, conf->run_id, same_test_next(run, i, opt), msg,
                                   sizeof(msg));
        if (removed < 0)
            conf_append(&run->run_errors, "cleanup after %s failed: %s\n", c->name, msg);
        else if (removed > 0 && c->status != CONF_FAIL && opt->verbose)
            printf("      cleanup removed %d VM(s) %s left behind\n", removed, c->name);
        print_case(c, opt->verbose);
    }
}

/* ---------------------------------------------------------------- cleanup */

static bool state_active(vmhi_vm_state st)
{
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_PAUSED ||
           st == VMHI_STATE_SHUTTING_DOWN || st == VMHI_STATE_CRASHED;
}

/* One attempt at removing @vm; the caller lists again to see what is left. */
static void remove_vm(vmhi_vm *vm)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    if (vmhi_vm_get_info(vm, &info) != VMHI_OK)
        return;
    /* Poweroff discards a saved image (LC-POWEROFF-4) without the restore
     * a start would make; a backend that fails it is restored first. */
    if (info.state == VMHI_STATE_SUSPENDED && vmhi_vm_poweroff(vm, 0) == VMHI_OK)
        info.state = VMHI_STATE_SHUTOFF;
    if (info.state == VMHI_STATE_SUSPENDED && vmhi_vm_start(vm, 0) == VMHI_OK)
        info.state = VMHI_STATE_RUNNING;
    if (state_active(info.state))
        vmhi_vm_poweroff(vm, 0);
    if (info.persistent)
        vmhi_vm_undefine(vm, 0);
}

/* Lists this run's VMs (but kept subjects when @spare_kept) first;
 * returns how many, or a negative error. */
static int list_own(vmhi_conn *conn, bool spare_kept, vmhi_vm ***out, size_t *count)
{
    vmhi_vm **vms = NULL;
    size_t n = 0, own = 0;
    int rc = vmhi_conn_list_vms(conn, 0, &vms, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const char *name = vmhi_vm_get_name(vms[i]);
        if (conf_is_own_name(name) && !(spare_kept && conf_is_kept_name(name))) {
            vmhi_vm *keep = vms[i];
            vms[i] = vms[own];
            vms[own++] = keep;
        }
    }
    *out = vms;
    *count = n;
    return (int)own;
}

int conf_cleanup(const char *uri, long run_id, bool spare_kept, char *msg, size_t size)
{
    (void)run_id; /* conf_is_own_name() knows it */
    vmhi_conn *conn = NULL;
    int rc = conf_conn_open(&conn, uri);
    if (rc < 0) {
        snprintf(msg, size, "cannot open %s: %s", uri, vmhi_error_last_message());
        return rc;
    }
    int removed = -1;
    uint64_t deadline = conf_now_ms() + conf_ms(CONF_WAIT_MS);
    for (;;) {
        vmhi_vm **vms = NULL;
        size_t n = 0;
        int own = list_own(conn, spare_kept, &vms, &n);
        if (own < 0) {
            snprintf(msg, size, "cannot list VMs: %s", vmhi_error_last_message());
            rc = own;
            break;
        }
        if (removed < 0)
            removed = own;
        for (int i = 0; i < own; i++)
            remove_vm(vms[i]);
        vmhi_vm_list_free(vms, n);
        if (own == 0)
            break;
        if (conf_now_ms() >= deadline) {
            snprintf(msg, size, "%d VM(s) of this run could not be removed", own);
            rc = VMHI_E_TIMEOUT;
            break;
        }
        conf_sleep_ms(10);
    }
    vmhi_conn_close(conn);
    return rc < 0 ? rc : removed;
}
