/*
 * One connection, many threads: private VMs driven in parallel, a shared
 * VM fought over, listing meanwhile.  Every call must succeed or fail with
 * the one error its race allows, and the events must match the successful
 * transitions one for one (none lost, none duplicated).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "testutil.h"

#define THREADS 8
#define ROUNDS 40

static vmhi_conn *conn;
static vmhi_vm *shared_vm;
/* Copied: the event thread may still deliver after shared_vm is freed. */
static char shared_uuid[VMHI_UUID_STRLEN + 1];
static atomic_int shared_transitions;
static atomic_int unexpected;
static atomic_int shared_events;

static void count_event(vmhi_conn *c, const vmhi_event *ev, void *data)
{
    (void)c;
    (void)data;
    if (strcmp(vmhi_event_get_vm_uuid(ev), shared_uuid) == 0)
        atomic_fetch_add(&shared_events, 1);
}

static void expect(int rc, int allowed_failure)
{
    if (rc == VMHI_OK) return;
    if (rc != allowed_failure)
        atomic_fetch_add(&unexpected, 1);
}

static void drive_private_vm(int id)
{
    char name[64];
    snprintf(name, sizeof(name), "thread-vm-%d", id);
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    expect(vmhi_vm_config_new(&cfg), -1000);
    expect(vmhi_vm_config_set_name(cfg, name), -1000);
    expect(vmhi_vm_define(&vm, conn, cfg, 0), -1000);
    vmhi_vm_config_free(cfg);
    for (int r = 0; r < ROUNDS && vm; r++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        expect(vmhi_vm_start(vm, 0), -1000);
        expect(vmhi_vm_get_info(vm, &info), -1000);
        if (info.state != VMHI_STATE_RUNNING)
            atomic_fetch_add(&unexpected, 1);
        expect(vmhi_vm_pause(vm, 0), -1000);
        expect(vmhi_vm_resume(vm, 0), -1000);
        expect(vmhi_vm_poweroff(vm, 0), -1000);
    }
    vmhi_vm_free(vm);
}

static void fight_over_shared_vm(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        int rc = vmhi_vm_start(shared_vm, 0);
        expect(rc, VMHI_E_INVALID_STATE);
        if (rc == VMHI_OK)
            atomic_fetch_add(&shared_transitions, 1);
        rc = vmhi_vm_poweroff(shared_vm, 0);
        expect(rc, VMHI_E_INVALID_STATE);
        if (rc == VMHI_OK)
            atomic_fetch_add(&shared_transitions, 1);
        vmhi_vm **vms = NULL;
        size_t n = 0;
        expect(vmhi_conn_list_vms(conn, 0, &vms, &n), -1000);
        vmhi_vm_list_free(vms, n);
    }
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    if (id % 2)
        fight_over_shared_vm();
    drive_private_vm(id);
    return NULL;
}

START_TEST(test_many_threads_one_connection)
{
    ck_vmhi_ok(vmhi_conn_open(&conn, "test:///default?guest=instant", NULL));
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "shared"));
    ck_vmhi_ok(vmhi_vm_define(&shared_vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    snprintf(shared_uuid, sizeof(shared_uuid), "%s", vmhi_vm_get_uuid(shared_vm));
    ck_vmhi_ok(vmhi_conn_subscribe(conn, VMHI_EVENT_LIFECYCLE, NULL, count_event, NULL, NULL, NULL));
    ck_vmhi_ok(vmhi_conn_start_event_thread(conn));

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);

    ck_assert_int_eq(atomic_load(&unexpected), 0);
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, 0, &vms, &n));
    ck_assert_uint_eq(n, THREADS + 1);
    vmhi_vm_list_free(vms, n);
    ck_assert_int_gt(atomic_load(&shared_transitions), 0);
    vmhi_vm_free(shared_vm);
    vmhi_conn_close(conn); /* joins the event thread after draining */
    ck_assert_int_eq(atomic_load(&shared_events), atomic_load(&shared_transitions));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("one-connection");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_many_threads_one_connection);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
