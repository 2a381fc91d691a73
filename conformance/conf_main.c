/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi-conformance: certifies a VMHI backend against the specification.
 *
 *   vmhi-conformance --uri URI [--profile P ...] [--report-json F] [--junit F]
 *                    [--markdown F] [--timeout-scale X] [--disk-dir D]
 *                    [--spec F] [--only TEXT] [--verbose]
 *   vmhi-conformance --list
 *   vmhi-conformance --check-coverage spec/requirements.json
 *
 * Exit status: 0 every selected claimed profile is certified; 1 not
 * certified (or the coverage check failed); 2 usage error or the URI
 * cannot be opened.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf_internal.h"

enum { OPT_JSON = 256, OPT_JUNIT, OPT_MD, OPT_SCALE, OPT_DISK, OPT_SPEC, OPT_COVERAGE,
       OPT_ONLY, OPT_AUTH, OPT_CRASH, OPT_KERNEL, OPT_INITRD, OPT_BRIDGE,
       OPT_MEMORY };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vmhi-conformance --uri URI [options]\n"
            "       vmhi-conformance --list\n"
            "       vmhi-conformance --check-coverage REQUIREMENTS.json\n"
            "\n"
            "  --uri URI             connection to certify, e.g. test:///default\n"
            "  --profile P           certify profile P (repeatable; default: every profile\n"
            "                        the backend claims): Core, Lifecycle-Full, Memory,\n"
            "                        vCPU, Devices, Events, Persistence\n"
            "  --report-json FILE    write the certification report as JSON\n"
            "  --junit FILE          write it as JUnit XML\n"
            "  --markdown FILE       write it as a Markdown table\n"
            "  --timeout-scale X     multiply every wait by X (slow hypervisors; default 1)\n"
            "  --disk-dir DIR        where disk images for the Devices tests are named\n"
            "                        (default: a new temporary directory)\n"
            "  --auth-file FILE      credentials: lines of 'uri-prefix user password'\n"
            "                        (mode 600), for backends that ask for them\n"
            "  --crash-command CMD   shell command that makes a running VM crash by\n"
            "                        backend-specific means (spec 3.2), given the VM in\n"
            "                        $VMHI_CONF_VM_NAME and $VMHI_CONF_VM_UUID; without it\n"
            "                        the crashed state is reported not reachable\n"
            "  --kernel FILE         a kernel image on the backend's host for the direct\n"
            "                        kernel boot cases (default: a stub file; VMs are only\n"
            "                        defined with it, never started)\n"
            "  --initrd FILE         an initrd for that kernel (default: none to boot\n"
            "                        with, a stub file for the defined-only cases)\n"
            "  --memory MIB          memory of the VMs the suite makes (default 64, a\n"
            "                        multiple of 64): their maximum is twice it and every\n"
            "                        other size scales with it, for guests that need more\n"
            "  --bridge IFNAME       a host bridge for the bridge network cases\n"
            "                        (default: " CONF_BRIDGE_DEFAULT ", which may not exist)\n"
            "  --spec FILE           requirement index to report on (default: built in)\n"
            "  --only TEXT           run only the tests whose name contains TEXT\n"
            "  --list                print each test with its profile and requirement IDs\n"
            "  --check-coverage FILE check that every MUST requirement of a backend-facing\n"
            "                        profile in FILE has a test, and every cited ID exists\n"
            "  --verbose             print every test as it runs\n"
            "\n"
            "exit status: 0 certified, 1 not certified, 2 usage or connection error\n");
}

static int add_profile(conf_options *opt, const char *name)
{
    unsigned int bit = conf_profile_parse(name);
    if (!bit) {
        fprintf(stderr, "vmhi-conformance: unknown profile '%s'; use Core, Lifecycle-Full, "
                "Memory, vCPU, Devices, Events or Persistence\n", name);
        return -1;
    }
    opt->requested |= bit;
    return 0;
}

static int parse_scale(conf_options *opt, const char *text)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (!end || *end || !(v > 0.0) || v > 1000.0) {
        fprintf(stderr, "vmhi-conformance: --timeout-scale wants a number in (0, 1000], "
                "not '%s'\n", text);
        return -1;
    }
    opt->timeout_scale = v;
    return 0;
}

/* Whole multiples of 64 keep every size the tests derive (x 5/4, x 3/2,
 * x 2) whole and on any granularity that divides 16 MiB. */
static int parse_memory(conf_options *opt, const char *text)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || !end || *end || text[0] == '-' || v == 0 || v % CONF_MEMORY_DEFAULT_MIB ||
        v > 64 * 1024) {
        fprintf(stderr, "vmhi-conformance: --memory wants a multiple of %u MiB up to 65536, "
                "not '%s'\n", CONF_MEMORY_DEFAULT_MIB, text);
        return -1;
    }
    opt->memory_mib = (unsigned int)v;
    return 0;
}

static int parse_options(int argc, char **argv, conf_options *opt)
{
    static const struct option longopts[] = {
        { "uri", required_argument, NULL, 'u' },
        { "profile", required_argument, NULL, 'p' },
        { "report-json", required_argument, NULL, OPT_JSON },
        { "junit", required_argument, NULL, OPT_JUNIT },
        { "markdown", required_argument, NULL, OPT_MD },
        { "timeout-scale", required_argument, NULL, OPT_SCALE },
        { "disk-dir", required_argument, NULL, OPT_DISK },
        { "spec", required_argument, NULL, OPT_SPEC },
        { "check-coverage", required_argument, NULL, OPT_COVERAGE },
        { "only", required_argument, NULL, OPT_ONLY },
        { "auth-file", required_argument, NULL, OPT_AUTH },
        { "crash-command", required_argument, NULL, OPT_CRASH },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "initrd", required_argument, NULL, OPT_INITRD },
        { "bridge", required_argument, NULL, OPT_BRIDGE },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "list", no_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    opt->timeout_scale = 1.0;
    opt->memory_mib = CONF_MEMORY_DEFAULT_MIB;
    int c;
    while ((c = getopt_long(argc, argv, "u:p:lvh", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'u': opt->uri = optarg; break;
        case 'p': rc = add_profile(opt, optarg); break;
        case OPT_JSON: opt->json = optarg; break;
        case OPT_JUNIT: opt->junit = optarg; break;
        case OPT_MD: opt->markdown = optarg; break;
        case OPT_SCALE: rc = parse_scale(opt, optarg); break;
        case OPT_DISK: opt->disk_dir = optarg; break;
        case OPT_SPEC: opt->spec_file = optarg; break;
        case OPT_COVERAGE: opt->coverage_file = optarg; break;
        case OPT_ONLY: opt->only = optarg; break;
        case OPT_AUTH: rc = conf_auth_load(optarg); break;
        case OPT_CRASH: opt->crash_command = optarg; break;
        case OPT_KERNEL: opt->kernel = optarg; break;
        case OPT_INITRD: opt->initrd = optarg; break;
        case OPT_BRIDGE: opt->bridge = optarg; break;
        case OPT_MEMORY: rc = parse_memory(opt, optarg); break;
        case 'l': opt->list = true; break;
        case 'v': opt->verbose = true; break;
        case 'h': usage(stdout); exit(0);
        default: rc = -1; break;
        }
        if (rc < 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "vmhi-conformance: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!opt->uri && !opt->list && !opt->coverage_file) {
        fprintf(stderr, "vmhi-conformance: --uri is required\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ disk dir */

static char *created_disk_dir;

static int prepare_disk_dir(conf_options *opt)
{
    if (opt->disk_dir)
        return 0;
    const char *base = getenv("TMPDIR");
    if (asprintf(&created_disk_dir, "%s/vmhi-conf-XXXXXX", base ? base : "/tmp") < 0 ||
        !mkdtemp(created_disk_dir)) {
        perror("vmhi-conformance: cannot create a temporary directory");
        return -1;
    }
    opt->disk_dir = created_disk_dir;
    return 0;
}

/* Removes the images this run named (and the directory if it made it). */
static void remove_disk_dir(const char *dir, long run_id)
{
    DIR *d = opendir(dir);
    char mark[32];
    snprintf(mark, sizeof(mark), "-%ld-", run_id);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, mark) || !strstr(e->d_name, ".img"))
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, e->d_name) >= 0)
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    if (created_disk_dir && strcmp(dir, created_disk_dir) == 0)
        rmdir(dir);
}

/* ----------------------------------------------------------------- run */

static conf_context context;

static void init_profiles(conf_run *run, unsigned int claimed, unsigned int requested)
{
    for (size_t i = 0; i < CONF_NPROFILES; i++) {
        conf_profile_result *pr = &run->profiles[i];
        pr->bit = conf_profile_order[i];
        pr->claimed = (claimed & pr->bit) != 0;
        pr->requested = (requested & pr->bit) != 0;
        pr->selected = pr->claimed && (!requested || pr->requested);
        if (pr->requested && !pr->claimed)
            printf("profile %s was requested but the backend does not claim it\n",
                   conf_profile_label(pr->bit));
    }
}

static const char *guest_word(int v)
{
    return v > 0 ? "comply with" : v == 0 ? "ignore" : "cannot be asked about";
}

static void stamp_date(conf_run *run)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(run->date, sizeof(run->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the cases between two censuses of the foreign VMs. */
static void run_between_censuses(conf_run *run, const conf_options *opt)
{
    char err[512] = "";
    conf_census *before = conf_census_take(opt->uri, context.run_id, err, sizeof(err));
    if (!before)
        conf_append(&run->run_errors, "%s\n", err);
    else
        printf("%zu foreign VM(s) on %s before the run; they must stay as they are\n",
               conf_census_count(before), opt->uri);
    conf_run_cases(run, opt);
    char msg[512] = "";
    if (conf_cleanup(opt->uri, context.run_id, false, msg, sizeof(msg)) < 0)
        conf_append(&run->run_errors, "final cleanup: %s\n", msg);
    conf_census *after = conf_census_take(opt->uri, context.run_id, err, sizeof(err));
    if (!after)
        conf_append(&run->run_errors, "%s\n", err);
    if (before && after)
        conf_census_compare(before, after, run);
    conf_census_free(before);
    conf_census_free(after);
}

static int write_reports(const conf_run *run, const conf_options *opt)
{
    int rc = 0;
    if (opt->json && conf_report_json(run, opt->json) < 0)
        rc = -1;
    if (opt->junit && conf_report_junit(run, opt->junit) < 0)
        rc = -1;
    if (opt->markdown && conf_report_markdown(run, opt->markdown) < 0)
        rc = -1;
    return rc;
}

static int certify(conf_run *run, conf_options *opt)
{
    char err[512] = "";
    unsigned int claimed = 0;
    if (conf_probe(run, opt->uri, &claimed, err, sizeof(err)) < 0) {
        fprintf(stderr, "vmhi-conformance: %s\n", err);
        return 2;
    }
    if (prepare_disk_dir(opt) < 0)
        return 2;
    context.uri = opt->uri;
    context.timeout_scale = opt->timeout_scale;
    context.memory_mib = opt->memory_mib;
    context.disk_dir = opt->disk_dir;
    context.crash_command = opt->crash_command;
    context.kernel = opt->kernel;
    context.initrd = opt->initrd;
    context.bridge = opt->bridge;
    context.claimed = claimed;
    if (opt->requested && !(opt->requested & VMHI_PROFILE_CORE)) {
        /* Spec 3.2: every profile is certified together with Core. */
        printf("certifying Core as well: a profile conforms only together with Core\n");
        opt->requested |= VMHI_PROFILE_CORE;
    }
    context.selected = opt->requested ? opt->requested & claimed : claimed;
    context.verbose = opt->verbose;
    init_profiles(run, claimed, opt->requested);
    conf_probe_missing_ops(run, opt->uri, claimed);
    conf_probe_guest(opt->uri, &context.guest_shuts_down, &context.guest_releases,
                     &context.guest_ready_ms, &context.suspend_needs_guest);
    printf("guests on %s %s shutdown requests and %s unplug requests", opt->uri,
           guest_word(context.guest_shuts_down), guest_word(context.guest_releases));
    if (context.guest_ready_ms)
        printf(" (%u ms after the start)", context.guest_ready_ms);
    printf("\n");
    if (conf_suspend_refused(NULL, 0))
        printf("suspend needs the guest's help here (VMHI_CAP_GUEST) and these guests ignore "
               "requests: tests that need a suspended VM are not applicable, and "
               "guest_ignores_suspend checks that a suspend fails cleanly\n");

    stamp_date(run);
    double t0 = seconds_now();
    run_between_censuses(run, opt);
    run->seconds = seconds_now() - t0;
    remove_disk_dir(opt->disk_dir, context.run_id);

    conf_model_finish(run);
    conf_report_summary(stdout, run);
    if (write_reports(run, opt) < 0)
        return 2;
    return run->certified ? 0 : 1;
}

static conf_shared *map_shared(void)
{
    void *p = mmap(NULL, sizeof(conf_shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("vmhi-conformance: mmap");
        return NULL;
    }
    memset(p, 0, sizeof(conf_shared));
    return p;
}

int main(int argc, char **argv)
{
    conf_options opt;
    memset(&opt, 0, sizeof(opt));
    if (parse_options(argc, argv, &opt) < 0) {
        usage(stderr);
        return 2;
    }
    conf_run run;
    memset(&run, 0, sizeof(run));
    if (conf_cases_build(&run.cases, &run.ncases) < 0)
        return 2;
    char err[512] = "";
    const char *spec_file = opt.coverage_file ? opt.coverage_file : opt.spec_file;
    if (conf_spec_load(&run.spec, spec_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "vmhi-conformance: requirement index: %s\n", err);
        conf_run_free(&run);
        return 2;
    }
    int status = 0;
    if (opt.list) {
        conf_cases_print(stdout, run.cases, run.ncases);
    } else if (opt.coverage_file) {
        status = conf_check_coverage(stdout, &run.spec, run.cases, run.ncases);
    } else {
        context.run_id = (long)getpid();
        conf = &context;
        conf_shm = map_shared();
        status = conf_shm ? certify(&run, &opt) : 2;
    }
    conf_run_free(&run);
    free(created_disk_dir);
    return status;
}
