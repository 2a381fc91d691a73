/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Credentials for the auth callback: a file of `uri-prefix user password`
 * lines, and an interactive prompt on the terminal as a fallback.  The
 * file must not be accessible to group or others (like ssh's keys), and
 * nothing here ever prints a password: errors name the file and the line
 * number, never the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

typedef struct cli_cred {
    char *prefix;
    char *user;
    char *password;
} cli_cred;

struct cli_auth {
    cli_cred *creds;
    size_t count;
};

static void cli_wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void cli_auth_free(cli_auth *auth)
{
    if (!auth)
        return;
    for (size_t i = 0; i < auth->count; i++) {
        free(auth->creds[i].prefix);
        cli_wipe_free(auth->creds[i].user);
        cli_wipe_free(auth->creds[i].password);
    }
    free(auth->creds);
    free(auth);
}

static char *cli_trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

/* Splits off the next blank-separated word of *s. */
static char *cli_next_word(char **s)
{
    char *word = *s;
    char *end = word + strcspn(word, " \t");

    if (end == word)
        return NULL;
    if (*end) {
        *end++ = '\0';
        end += strspn(end, " \t");
    }
    *s = end;
    return word;
}

/* One line: uri-prefix, user, then the password as the rest of the line
 * (so that it may contain blanks).  Returns 0, 1 for a blank line, -1 when malformed. */
static int cli_parse_cred_line(char *line, cli_cred *out)
{
    char *rest = cli_trim(line);
    char *prefix, *user;

    if (*rest == '\0' || *rest == '#')
        return 1;
    prefix = cli_next_word(&rest);
    user = cli_next_word(&rest);
    if (!prefix || !user || *rest == '\0')
        return -1;
    out->prefix = strdup(prefix);
    out->user = strdup(user);
    out->password = strdup(rest);
    return (out->prefix && out->user && out->password) ? 0 : -1;
}

static int cli_auth_check_mode(cli_ctx *ctx, const char *path, int fd)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return cli_fail(ctx, CLI_EXIT_CONNECTION, "auth file '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cli_fail(ctx, CLI_EXIT_CONNECTION, "auth file '%s' is not a regular file", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return cli_fail(ctx, CLI_EXIT_CONNECTION,
                        "auth file '%s' is accessible by group or others (mode %04o); "
                        "refusing to use it; run 'chmod 600 %s'",
                        path, (unsigned)(st.st_mode & 07777), path);
    if (st.st_uid != geteuid() && geteuid() != 0)
        return cli_fail(ctx, CLI_EXIT_CONNECTION,
                        "auth file '%s' belongs to another user; refusing to use it", path);
    return CLI_EXIT_OK;
}

static int cli_auth_read(cli_ctx *ctx, const char *path, FILE *f, cli_auth *auth)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = CLI_EXIT_OK;

    while (rc == CLI_EXIT_OK && getline(&line, &cap, f) >= 0) {
        cli_cred cred = { NULL, NULL, NULL };
        cli_cred *grown;
        int r;

        lineno++;
        r = cli_parse_cred_line(line, &cred);
        if (r == 1)
            continue;
        grown = r == 0 ? realloc(auth->creds, (auth->count + 1) * sizeof(*grown)) : NULL;
        if (!grown) {
            free(cred.prefix);
            cli_wipe_free(cred.user);
            cli_wipe_free(cred.password);
            rc = cli_fail(ctx, CLI_EXIT_INPUT,
                          "auth file '%s', line %u: expected 'uri-prefix user password'",
                          path, lineno);
            break;
        }
        auth->creds = grown;
        auth->creds[auth->count++] = cred;
    }
    if (line) {
        explicit_bzero(line, cap);
        free(line);
    }
    return rc;
}

int cli_auth_parse(cli_ctx *ctx, const char *path, FILE *f, cli_auth **out)
{
    cli_auth *auth = calloc(1, sizeof(*auth));
    int rc = auth ? cli_auth_read(ctx, path, f, auth)
                  : cli_fail(ctx, CLI_EXIT_GENERIC, "out of memory");

    *out = NULL;
    if (rc != CLI_EXIT_OK) {
        cli_auth_free(auth);
        return rc;
    }
    *out = auth;
    return CLI_EXIT_OK;
}

/* From the first secret on, the process is not dumpable: a crash writes
 * no core file holding the passwords, and other processes of the same
 * user cannot ptrace it or read its memory through /proc. */
static void cli_keep_secrets_private(void)
{
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int cli_auth_load(cli_ctx *ctx, const char *path, cli_auth **out)
{
    int fd;
    FILE *f;
    int rc;

    *out = NULL;
    cli_keep_secrets_private();
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_fail(ctx, CLI_EXIT_CONNECTION, "cannot open auth file '%s': %s", path,
                        strerror(errno));
    rc = cli_auth_check_mode(ctx, path, fd);
    f = rc == CLI_EXIT_OK ? fdopen(fd, "r") : NULL;
    if (!f) {
        close(fd);
        return rc != CLI_EXIT_OK ? rc : cli_fail(ctx, CLI_EXIT_GENERIC, "out of memory");
    }
    rc = cli_auth_parse(ctx, path, f, out);
    fclose(f);
    return rc;
}

/* The entry with the longest prefix of @uri wins: "esx://10.0.0.5" beats "esx://". */
static const cli_cred *cli_auth_match(const cli_auth *auth, const char *uri)
{
    const cli_cred *best = NULL;
    size_t best_len = 0;

    for (size_t i = 0; auth && uri && i < auth->count; i++) {
        size_t len = strlen(auth->creds[i].prefix);
        if (strncmp(uri, auth->creds[i].prefix, len) == 0 && (!best || len > best_len)) {
            best = &auth->creds[i];
            best_len = len;
        }
    }
    return best;
}

static int cli_copy_secret(const char *value, char *buf, size_t buflen)
{
    size_t len = strlen(value);

    if (len + 1 > buflen)
        return -1;
    memcpy(buf, value, len + 1);
    return 0;
}

/* Reads one line from the terminal, without echo for passwords. */
static int cli_prompt_tty(const char *prompt, bool secret, char *buf, size_t buflen)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    struct termios saved, quiet;
    bool restore = false;
    ssize_t n = 0;
    size_t len = 0;
    char c;

    if (fd < 0)
        return -1;
    if (secret)
        cli_keep_secrets_private();
    if (secret && tcgetattr(fd, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    if (write(fd, prompt, strlen(prompt)) < 0 || write(fd, ": ", 2) < 0)
        n = -1;
    while (n >= 0 && (n = read(fd, &c, 1)) == 1 && c != '\n')
        if (len + 1 < buflen)
            buf[len++] = c;
    buf[len] = '\0';
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &saved);
        if (write(fd, "\n", 1) < 0)
            n = -1;
    }
    close(fd);
    return n < 0 || len + 1 >= buflen ? -1 : 0;
}

int cli_auth_callback(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                      size_t buflen, void *userdata)
{
    cli_ctx *ctx = userdata;
    const cli_cred *cred = cli_auth_match(ctx->auth, uri);

    if (!buf || buflen == 0)
        return -1;
    if (cred)
        return cli_copy_secret(type == VMHI_CRED_PASSWORD ? cred->password : cred->user, buf,
                               buflen);
    /* No file entry: ask a human if there is one at a terminal. */
    if (ctx->json || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return -1;
    cli_progress_clear(ctx);
    return cli_prompt_tty(prompt && *prompt ? prompt
                          : type == VMHI_CRED_PASSWORD ? "Password" : "User name",
                          type == VMHI_CRED_PASSWORD, buf, buflen);
}
