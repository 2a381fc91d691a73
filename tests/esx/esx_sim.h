/*
 * Helpers of the ESX backend tests: a private vSphere simulator per test
 * program, URIs and credentials for it.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_TEST_ESX_SIM_H
#define VMHI_TEST_ESX_SIM_H

#include <stdbool.h>
#include <stddef.h>

#include "vmhi/vmhi.h"

/* Credentials every simulator the tests start accepts (and only these). */
#define ESX_SIM_USER "vmhi"
#define ESX_SIM_PASSWORD "vmhi-Secret-42"

typedef struct esx_sim {
    char dir[512];     /* state directory: url, port, pid, cert.pem, log */
    char cert[600];    /* cert.pem path ("" for plain HTTP) */
    int port;
    bool running;
} esx_sim;

/* Starts a simulator named @name with extra start options @args (e.g.
 * "--vms 4 --http").  Returns 0, 77 when the simulator cannot run here
 * (the reason is printed), or -1 on failure. */
int esx_sim_start(esx_sim *sim, const char *name, const char *args);
/* Starts it again on the same port (a restart mid-session). */
int esx_sim_restart(esx_sim *sim, const char *args);
void esx_sim_stop(esx_sim *sim);

/* The simulator every test case of the program uses. */
extern esx_sim esx_test_sim;

/* "esx://127.0.0.1:PORT/?no_verify=1" plus "&extra" (or "?extra" when
 * @verify), in a static buffer. */
const char *esx_uri(const char *extra);
const char *esx_uri_verify(const char *extra);

/* Connection options whose callback answers ESX_SIM_USER/ESX_SIM_PASSWORD. */
vmhi_conn_options esx_options(void);
/* Opens esx_uri(NULL) and asserts success. */
vmhi_conn *esx_open(void);
vmhi_conn *esx_open_uri(const char *uri);

/* Runs @suite against a private simulator: the usual main(). */
int esx_run(const char *name, const char *sim_args, void *suite);

#endif
