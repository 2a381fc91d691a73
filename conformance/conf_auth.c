/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Credentials for backends that ask for them (--auth-file): lines of
 * `uri-prefix user password`, '#' comments.  The file must not be
 * readable by group or others.  Every connection the suite opens, in the
 * parent and in the tests, goes through conf_conn_open() and so gets the
 * same credential callback.  Nothing here prints a password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_internal.h"

typedef struct conf_cred {
    char *prefix, *user, *password;
} conf_cred;

static conf_cred *creds;
static size_t ncreds;

static int add_line(char *line, const char *file, unsigned int lineno)
{
    char *save = NULL;
    char *prefix = strtok_r(line, " \t\r\n", &save);
    if (!prefix || prefix[0] == '#')
        return 0;
    char *user = strtok_r(NULL, " \t\r\n", &save);
    char *password = strtok_r(NULL, "\r\n", &save);
    if (!user || !password) {
        fprintf(stderr, "vmhi-conformance: %s:%u: expected 'uri-prefix user password'\n",
                file, lineno);
        return -1;
    }
    conf_cred *grown = realloc(creds, (ncreds + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    creds = grown;
    creds[ncreds].prefix = strdup(prefix);
    creds[ncreds].user = strdup(user);
    creds[ncreds].password = strdup(password + strspn(password, " \t"));
    ncreds++;
    return 0;
}

int conf_auth_load(const char *file)
{
    struct stat st;
    FILE *f = fopen(file, "r");
    if (!f || fstat(fileno(f), &st) != 0) {
        perror(file);
        if (f)
            fclose(f);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        fprintf(stderr, "vmhi-conformance: %s is accessible to group or others; "
                "chmod 600 it\n", file);
        fclose(f);
        return -1;
    }
    char line[1024];
    unsigned int lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f))
        rc = add_line(line, file, ++lineno);
    fclose(f);
    return rc;
}

const char *conf_auth_password(const char *uri)
{
    for (size_t i = 0; i < ncreds; i++)
        if (strncmp(uri, creds[i].prefix, strlen(creds[i].prefix)) == 0)
            return creds[i].password;
    return NULL;
}

int conf_auth_cb(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                 size_t buflen, void *userdata)
{
    (void)prompt;
    (void)userdata;
    for (size_t i = 0; i < ncreds; i++) {
        if (strncmp(uri, creds[i].prefix, strlen(creds[i].prefix)) != 0)
            continue;
        const char *value = type == VMHI_CRED_USERNAME ? creds[i].user : creds[i].password;
        if (strlen(value) >= buflen)
            return -1;
        memcpy(buf, value, strlen(value) + 1);
        return 0;
    }
    return -1;
}

int conf_conn_open(vmhi_conn **out, const char *uri)
{
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.auth_cb = conf_auth_cb;
    return vmhi_conn_open(out, uri, &opts);
}
