/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The libvirt leg of vmhi-bench-esx: the same questions asked with virsh
 * over libvirt's esx driver.  Each measurement is one virsh process that
 * runs a warm-up and then every round on one connection, with `-t`
 * timing each command, so connecting and logging in are not counted
 * (VMHI's legs reuse an open connection too).  virsh's exit status says
 * only how its last command went, so the output is checked instead: the
 * VMs listed, one "Name:" per dominfo, one "destroyed"/"started" per
 * power change.  The shim counts the round trips each virsh process
 * makes; less those of connecting and closing, they say what one command
 * costs in calls.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_esx.h"

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)need + 1 > b->cap) {
        b->cap = (b->len + (size_t)need + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) {
            perror("realloc");
            exit(1);
        }
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

static void read_all(int fd, struct buf *out)
{
    char chunk[65536];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof(chunk))) > 0)
        buf_addf(out, "%.*s", (int)got, chunk);
}

/* Runs `virsh -t -c uri cmds`; returns its stdout (NULL if virsh could not
 * run).  stderr, which carries libvirt's log, is appended to log. */
static char *virsh(const char *uri, const char *cmds, const char *log)
{
    int fd[2];
    if (pipe(fd) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return NULL;
    }
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        int err = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (err >= 0)
            dup2(err, STDERR_FILENO);
        execlp("virsh", "virsh", "-t", "-c", uri, cmds, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    struct buf out = { 0 };
    buf_addf(&out, "%s", "");
    read_all(fd[0], &out);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        free(out.data);
        return NULL;
    }
    return out.data;
}

/* The "(Time: X ms)" virsh -t prints after each command, in order. */
static int command_times(const char *out, double *t, int max)
{
    int n = 0;
    for (const char *p = out; n < max && (p = strstr(p, "(Time: ")); p++)
        t[n++] = strtod(p + 7, NULL);
    return n;
}

static int count(const char *out, const char *what)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The names virsh lists, one per line; NULL-terminated. */
static char **list_names(const char *uri, const char *log, int *n)
{
    char *out = virsh(uri, "list --all --name", log);
    if (!out)
        return NULL;
    char **names = calloc((size_t)count(out, "\n") + 1, sizeof(*names));
    *n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        /* virsh quotes its arguments with ' and \, so refuse such names */
        if (line[0] && !strstr(line, "(Time:") && !strpbrk(line, "'\\"))
            names[(*n)++] = strdup(line);
    free(out);
    return names;
}

static size_t to_buf(char *p, size_t size, size_t n, void *opaque)
{
    buf_addf(opaque, "%.*s", (int)(size * n), p);
    return size * n;
}

/* How many requests the shim has passed on, or -1. */
static long shim_requests(int port)
{
    char url[128];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/xsitype-shim/requests", port);
    struct buf body = { 0 };
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    long n = curl_easy_perform(h) == CURLE_OK && body.data ? atol(body.data) : -1;
    curl_easy_cleanup(h);
    free(body.data);
    return n;
}

static int shim_port;  /* where virsh connects */
static long connect_calls; /* round trips of a virsh process that runs no command */

/* One virsh process and the time of each of its commands. */
struct run {
    char *out;
    double *t;
    int n;
    long calls; /* round trips, less those of connecting */
};

static int run_timed(const char *uri, const char *cmds, int ncmds, const char *log,
                     struct run *run)
{
    long before = shim_requests(shim_port);
    run->out = virsh(uri, cmds, log);
    run->calls = shim_requests(shim_port) - before - connect_calls;
    run->t = calloc((size_t)ncmds, sizeof(*run->t));
    if (!run->out) {
        fprintf(stderr, "libvirt: virsh could not run\n");
        return -1;
    }
    run->n = command_times(run->out, run->t, ncmds);
    return run->n == ncmds ? 0 : -1;
}

/* Median over rounds of the summed times of each round's commands, after
 * `warm` warm-up commands. */
static double round_median(const struct run *run, int warm, int rounds, int per_round)
{
    double r[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++) {
        r[i] = 0;
        for (int j = 0; j < per_round; j++)
            r[i] += run->t[warm + i * per_round + j];
    }
    return median(r, rounds);
}

/* Says what went wrong when virsh's output is not what was asked for. */
static int check(const char *what, const struct run *run, int ncmds, const char *marker,
                 int seen, int expect, const char *log)
{
    if (run->out && run->n == ncmds && seen == expect)
        return 0;
    fprintf(stderr, "libvirt: %s: %d of %d commands timed, %s seen %d of %d times (see %s)\n",
            what, run->out ? run->n : 0, ncmds, marker, seen, expect, log);
    return -1;
}

static void run_free(struct run *run)
{
    free(run->out);
    free(run->t);
}

/* Lines of `virsh list` that show a VM: they start with its Id or "-". */
static int vm_lines(const char *out)
{
    int n = 0;
    for (const char *p = out; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        p += strspn(p, " ");
        n += (*p >= '0' && *p <= '9') || (p[0] == '-' && p[1] == ' ');
    }
    return n;
}

static double time_list(const char *uri, int rounds, int nvms, const char *log, double *calls)
{
    struct buf cmds = { 0 };
    for (int i = 0; i <= rounds; i++)
        buf_addf(&cmds, "list --all;");
    struct run run = { 0 };
    run_timed(uri, cmds.data, rounds + 1, log, &run);
    int seen = run.out ? vm_lines(run.out) : 0;
    double t = check("list --all", &run, rounds + 1, "VM lines", seen, nvms * (rounds + 1),
                     log) == 0 ? round_median(&run, 1, rounds, 1) : -1;
    *calls = (double)run.calls / (rounds + 1);
    run_free(&run);
    free(cmds.data);
    return t;
}

/* dominfo of `sample` VMs spread evenly over the list, scaled up to all n. */
static double time_info(const char *uri, char **names, int n, int sample, int rounds,
                        const char *log, double *calls)
{
    struct buf cmds = { 0 };
    buf_addf(&cmds, "dominfo '%s';", names[0]);
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < sample; i++)
            buf_addf(&cmds, "dominfo '%s';", names[(size_t)i * (size_t)n / (size_t)sample]);
    int ncmds = 1 + rounds * sample;
    struct run run = { 0 };
    run_timed(uri, cmds.data, ncmds, log, &run);
    int seen = run.out ? count(run.out, "\nName:") : 0;
    double t = check("dominfo", &run, ncmds, "Name:", seen, ncmds, log) == 0
                   ? round_median(&run, 1, rounds, sample) * n / sample
                   : -1;
    *calls = (double)run.calls / ncmds * n;
    run_free(&run);
    free(cmds.data);
    return t;
}

static double time_cycle(const char *uri, const char *name, int rounds, const char *log,
                         double *calls)
{
    struct buf cmds = { 0 };
    for (int r = 0; r <= rounds; r++)
        buf_addf(&cmds, "destroy '%s'; start '%s';", name, name);
    int ncmds = 2 * (rounds + 1);
    struct run run = { 0 };
    run_timed(uri, cmds.data, ncmds, log, &run);
    int seen = run.out ? count(run.out, " destroyed\n") + count(run.out, " started\n") : 0;
    double t = check("destroy + start", &run, ncmds, "destroyed/started", seen, ncmds, log) == 0
                   ? round_median(&run, 2, rounds, 2)
                   : -1;
    *calls = (double)run.calls / (rounds + 1);
    run_free(&run);
    free(cmds.data);
    return t;
}

int libvirt_measure(int port, int rounds, int loop_rounds, int sample, const char *log,
                    struct libvirt_result *out)
{
    char uri[128];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?no_verify=1", port);
    shim_port = port;
    long before = shim_requests(port);
    free(virsh(uri, "uri", log));
    connect_calls = shim_requests(port) - before;
    if (before < 0 || connect_calls <= 0) {
        fprintf(stderr, "libvirt: cannot read the shim's request count on port %d\n", port);
        return -1;
    }
    int n = 0;
    char **names = list_names(uri, log, &n);
    if (!names || n == 0) {
        fprintf(stderr, "libvirt: virsh -c %s listed no VMs (see %s)\n", uri, log);
        free(names);
        return -1;
    }
    out->nvms = n;
    /* dominfo costs O(N) each: every VM up to 100, beyond that a sample */
    int want = sample > 0 ? sample : n <= 100 ? n : 20;
    out->sampled = want < n ? want : n;
    out->list = time_list(uri, rounds, n, log, &out->list_calls);
    out->info = time_info(uri, names, n, out->sampled, loop_rounds, log, &out->info_calls);
    out->cycle = time_cycle(uri, names[0], rounds, log, &out->cycle_calls);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return out->list < 0 || out->info < 0 || out->cycle < 0 ? -1 : 0;
}
