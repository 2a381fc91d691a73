/*
 * Helpers of the ESX backend tests (see esx_sim.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esx_sim.h"

esx_sim esx_test_sim;

static int run_script(const char *cmd)
{
    int status = system(cmd);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status) == 77 ? 77 : WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int read_port(esx_sim *sim)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/port", sim->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%d", &sim->port) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

static int start_in_dir(esx_sim *sim, const char *args)
{
    const char *script = getenv("VMHI_ESX_SIM_SCRIPT"), *bin = getenv("VMHI_ESX_SIM_BIN");
    if (!script || !bin) {
        fprintf(stderr, "SKIP: VMHI_ESX_SIM_SCRIPT/VMHI_ESX_SIM_BIN are not set (run through "
                        "ctest)\n");
        return 77;
    }
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' start '%s' '%s' --user %s --password %s %s >/dev/null",
             script, sim->dir, bin, ESX_SIM_USER, ESX_SIM_PASSWORD, args ? args : "");
    int rc = run_script(cmd);
    if (rc != 0)
        return rc;
    snprintf(sim->cert, sizeof(sim->cert), "%s/cert.pem", sim->dir);
    if (access(sim->cert, R_OK) != 0)
        sim->cert[0] = '\0';
    sim->running = read_port(sim) == 0;
    return sim->running ? 0 : -1;
}

int esx_sim_start(esx_sim *sim, const char *name, const char *args)
{
    const char *base = getenv("VMHI_ESX_TEST_DIR");
    memset(sim, 0, sizeof(*sim));
    snprintf(sim->dir, sizeof(sim->dir), "%s/%s-%ld", base ? base : "/tmp", name,
             (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", sim->dir);
    if (run_script(cmd) != 0)
        return -1;
    return start_in_dir(sim, args);
}

int esx_sim_restart(esx_sim *sim, const char *args)
{
    char more[512];
    int port = sim->port;
    esx_sim_stop(sim);
    sim->port = port;
    snprintf(more, sizeof(more), "--port %d %s", port, args ? args : "");
    return start_in_dir(sim, more);
}

void esx_sim_stop(esx_sim *sim)
{
    const char *script = getenv("VMHI_ESX_SIM_SCRIPT");
    if (!sim->running || !script)
        return; /* keeps sim->port for esx_sim_restart() */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' stop '%s'", script, sim->dir);
    run_script(cmd);
    sim->running = false;
}

const char *esx_uri(const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "esx://127.0.0.1:%d/?no_verify=1%s%s", esx_test_sim.port,
             extra ? "&" : "", extra ? extra : "");
    return buf;
}

const char *esx_uri_verify(const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "esx://127.0.0.1:%d/%s%s", esx_test_sim.port,
             extra ? "?" : "", extra ? extra : "");
    return buf;
}

static int answer(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                  size_t buflen, void *userdata)
{
    const char *value = type == VMHI_CRED_USERNAME ? ESX_SIM_USER : ESX_SIM_PASSWORD;
    if (strlen(value) >= buflen)
        return -1;
    strcpy(buf, value);
    return 0;
}

/* VMHI_ESX_TEST_LOG=1 shows the backend's log (debugging a test). */
static void log_line(int level, const char *domain, const char *message, void *data)
{
    (void)data;
    fprintf(stderr, "[%d %s] %s\n", level, domain ? domain : "", message);
}

vmhi_conn_options esx_options(void)
{
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.auth_cb = answer;
    if (getenv("VMHI_ESX_TEST_LOG")) {
        o.log_cb = log_line;
        o.log_level = VMHI_LOG_DEBUG;
    }
    return o;
}

vmhi_conn *esx_open_uri(const char *uri)
{
    vmhi_conn_options o = esx_options();
    vmhi_conn *conn = NULL;
    int rc = vmhi_conn_open(&conn, uri, &o);
    ck_assert_msg(rc == VMHI_OK, "cannot open %s: %s", uri, vmhi_error_last_message());
    return conn;
}

vmhi_conn *esx_open(void)
{
    return esx_open_uri(esx_uri(NULL));
}

int esx_run(const char *name, const char *sim_args, void *suite)
{
    int rc = esx_sim_start(&esx_test_sim, name, sim_args);
    if (rc == 77) {
        printf("SKIP: the vSphere simulator cannot run here (see esx.sim.build)\n");
        return 77;
    }
    if (rc != 0) {
        fprintf(stderr, "%s: cannot start the vSphere simulator (log in %s/log)\n", name,
                esx_test_sim.dir);
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    esx_sim_stop(&esx_test_sim);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
