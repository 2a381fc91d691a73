/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * What every leg of the Xen benchmark shares: a command run without a
 * shell (posix_spawn) and timed with CLOCK_MONOTONIC from spawn to reap,
 * samples and medians, and the waits that make two tools' operations end
 * at the same point (the domain is gone; the guest said so on its
 * console).  The waits ask libxl directly, not `xl`, so that polling costs
 * no process and weighs the same on every tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "bench_xen.h"

extern char **environ;

static libxl_ctx *bench_ctx;
static xentoollog_logger_stdiostream *bench_logger;

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts a copy: the samples stay in the order they were taken. */
double bench_median(const double *v, int n)
{
    double tmp[BENCH_MAX_ITER];
    if (n <= 0)
        return 0;
    memcpy(tmp, v, (size_t)n * sizeof(*v));
    qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

void bench_record(bench_tool_id tool, bench_op op, double ms)
{
    int *n = &bench_s.n[tool][op];
    if (*n < BENCH_MAX_ITER)
        bench_s.ms[tool][op][(*n)++] = ms;
}

static void dump_output(void)
{
    FILE *f = fopen(BENCH_OUT, "r");
    char line[512];
    if (!f)
        return;
    fprintf(stderr, "--- output of the last command:\n");
    for (int i = 0; i < 40 && fgets(line, sizeof(line), f); i++)
        fprintf(stderr, "    %s", line);
    fclose(f);
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "vmhi-bench-xen: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (VMHI: %s)\n", vmhi_error_last_message());
    dump_output();
    printf("\nvmhi-bench-xen: ABORTED; the table holds what was measured so far\n");
    bench_print_table();
    fflush(NULL);
    exit(1);
}

void bench_progress(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "vmhi-bench-xen: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int spawn_actions(posix_spawn_file_actions_t *fa, const char *out)
{
    if (posix_spawn_file_actions_init(fa) != 0)
        return -1;
    if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644) != 0 ||
        posix_spawn_file_actions_adddup2(fa, 1, 2) != 0) {
        posix_spawn_file_actions_destroy(fa);
        return -1;
    }
    return 0;
}

int bench_spawn(const char *const argv[], const char *out, double *ms)
{
    posix_spawn_file_actions_t fa;
    if (spawn_actions(&fa, out ? out : BENCH_OUT) != 0)
        return -1;
    pid_t pid;
    int status = 0;
    double t0 = bench_now_ms();
    /* posix_spawn's argv is char *const[] for historical reasons; it does
     * not write to the strings. */
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)(uintptr_t)argv, environ);
    while (err == 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *ms = bench_now_ms() - t0;
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void argv_text(const char *const argv[], char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; argv[i] && len + 1 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", argv[i]);
}

double bench_run(const char *const argv[])
{
    double ms = 0;
    int rc = bench_spawn(argv, NULL, &ms);
    if (rc != 0) {
        char cmd[512];
        argv_text(argv, cmd, sizeof(cmd));
        bench_die("`%s` failed (%s %d)", cmd, rc < 0 ? "cannot run:" : "exit status",
                  rc < 0 ? errno : rc);
    }
    return ms;
}

/* ------------------------------------------------------------ domains */

int bench_xl_open(void)
{
    bench_logger = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    if (!bench_logger)
        return -1;
    return libxl_ctx_alloc(&bench_ctx, LIBXL_VERSION, 0, (xentoollog_logger *)bench_logger);
}

int64_t bench_domid(const char *name)
{
    uint32_t domid;
    return libxl_name_to_domid(bench_ctx, name, &domid) == 0 ? (int64_t)domid : -1;
}

static int domain_exists(uint32_t domid)
{
    libxl_dominfo info;
    libxl_dominfo_init(&info);
    int lrc = libxl_domain_info(bench_ctx, &info, domid);
    libxl_dominfo_dispose(&info);
    return lrc != ERROR_DOMAIN_NOTFOUND;
}

/* Polls every 5 ms: a hypercall, cheap next to the operations. */
void bench_wait_gone(int64_t domid)
{
    if (domid < 0)
        bench_die("no domain to wait for");
    for (double end = bench_now_ms() + 120e3; domain_exists((uint32_t)domid);) {
        if (bench_now_ms() > end)
            bench_die("domain %lld still exists after 120 s", (long long)domid);
        nanosleep(&(struct timespec){ 0, 5000000L }, NULL);
    }
}

/* -------------------------------------------------------------- console */

int bench_console_count(const char *name, const char *pattern)
{
    char path[256], line[1024];
    snprintf(path, sizeof(path), "/var/log/xen/console/guest-%s.log", name);
    FILE *f = fopen(path, "r");
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, pattern) != NULL;
    fclose(f);
    return n;
}

void bench_console_wait(const char *name, const char *pattern, int before, int secs)
{
    for (double end = bench_now_ms() + secs * 1e3;
         bench_console_count(name, pattern) <= before;) {
        if (bench_now_ms() > end)
            bench_die("guest %s did not print '%s' within %d s", name, pattern, secs);
        nanosleep(&(struct timespec){ 0, 50000000L }, NULL);
    }
}

void bench_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        bench_die("cannot create %s: %s", path, strerror(errno));
    int bad = fputs(text, f) < 0;
    if (fclose(f) != 0 || bad)
        bench_die("cannot write %s: %s", path, strerror(errno));
}
