/*
 * VMHI_CONN_READONLY (CONN-4, CONN-16, CONN-17): a read-only connection refuses
 * every call that changes something with VMHI_E_PERMISSION and changes
 * nothing, while every query works.  A read-write connection to the same
 * test:///<dir> host (connections of one process share it) sets up VMs in
 * every state and watches that nothing moves.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "test_backend_common.h"

/* ------------------------------------------------------------- fixture */

typedef struct fixture {
    char *dir;
    char *uri;
    vmhi_conn *rw;
    vmhi_conn *ro;
    vmhi_vm *off, *run, *paused, *susp; /* handles on the read-only connection */
} fixture;

static vmhi_conn *open_flags(const char *uri, unsigned int flags)
{
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.flags = flags;
    vmhi_conn *conn = NULL;
    ck_vmhi_ok(vmhi_conn_open(&conn, uri, &o));
    return conn;
}

static vmhi_vm *lookup(vmhi_conn *conn, const char *name)
{
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, conn, name));
    return vm;
}

/* A persistent VM with disk d0 and NIC n0, brought into @state through
 * the read-write connection. */
static void setup_vm(vmhi_conn *rw, const char *name, vmhi_vm_state state)
{
    vmhi_vm_config *cfg = bt_config(name, 256);
    char path[64];
    snprintf(path, sizeof(path), "/images/%s.img", name);
    bt_config_add_disk(cfg, "d0", path);
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_id(nic, "n0"));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_nic_free(nic);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, rw, cfg, 0));
    vmhi_vm_config_free(cfg);
    if (state != VMHI_STATE_SHUTOFF)
        ck_vmhi_ok(vmhi_vm_start(vm, 0));
    if (state == VMHI_STATE_PAUSED)
        ck_vmhi_ok(vmhi_vm_pause(vm, 0));
    if (state == VMHI_STATE_SUSPENDED)
        ck_vmhi_ok(vmhi_vm_suspend(vm, 0));
    ck_assert_int_eq(bt_state(vm), state);
    vmhi_vm_free(vm);
}

static fixture fixture_new(void)
{
    fixture f;
    f.dir = bt_tmpdir();
    f.uri = bt_dir_uri(f.dir, "guest=instant");
    f.rw = bt_open(f.uri);
    setup_vm(f.rw, "off", VMHI_STATE_SHUTOFF);
    setup_vm(f.rw, "run", VMHI_STATE_RUNNING);
    setup_vm(f.rw, "paused", VMHI_STATE_PAUSED);
    setup_vm(f.rw, "susp", VMHI_STATE_SUSPENDED);
    f.ro = open_flags(f.uri, VMHI_CONN_READONLY);
    f.off = lookup(f.ro, "off");
    f.run = lookup(f.ro, "run");
    f.paused = lookup(f.ro, "paused");
    f.susp = lookup(f.ro, "susp");
    return f;
}

static void fixture_free(fixture *f)
{
    vmhi_vm_free(f->off);
    vmhi_vm_free(f->run);
    vmhi_vm_free(f->paused);
    vmhi_vm_free(f->susp);
    vmhi_conn_close(f->ro);
    vmhi_conn_close(f->rw);
    bt_rmtree(f->dir);
    free(f->dir);
    free(f->uri);
}

/* ------------------------------------------------------------ snapshots */

/* Everything the read-write connection can see, as one string: every VM's
 * name, UUID, state, reason, definition and live configuration. */
static void append(char **snap, const char *text)
{
    size_t old = *snap ? strlen(*snap) : 0;
    char *grown = realloc(*snap, old + strlen(text) + 1);
    ck_assert_ptr_nonnull(grown);
    memcpy(grown + old, text, strlen(text) + 1);
    *snap = grown;
}

static void append_config(char **snap, vmhi_vm *vm, unsigned int view)
{
    vmhi_vm_config *cfg = NULL;
    int rc = vmhi_vm_get_config(vm, &cfg, view);
    if (rc != VMHI_OK) {
        append(snap, vmhi_error_name(rc));
        return;
    }
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    append(snap, xml);
    vmhi_free(xml);
    vmhi_vm_config_free(cfg);
}

static char *snapshot(vmhi_conn *rw)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(rw, 0, &vms, &n));
    char *snap = NULL;
    append(&snap, "");
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        ck_vmhi_ok(vmhi_vm_get_info(vms[i], &info));
        char line[512];
        snprintf(line, sizeof(line), "\n%s %s %s %s %llu %u\n", vmhi_vm_get_name(vms[i]),
                 vmhi_vm_get_uuid(vms[i]), vmhi_vm_state_name(info.state),
                 vmhi_state_reason_name(info.reason), (unsigned long long)info.memory_mib,
                 info.vcpus);
        append(&snap, line);
        append_config(&snap, vms[i], VMHI_AFFECT_CONFIG);
        if (info.state == VMHI_STATE_RUNNING || info.state == VMHI_STATE_PAUSED)
            append_config(&snap, vms[i], VMHI_AFFECT_LIVE);
    }
    vmhi_vm_list_free(vms, n);
    return snap;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* The host's directory as one string: every file's name and content. */
static char *dir_snapshot(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    ck_assert_int_ge(n, 0);
    char *snap = NULL;
    append(&snap, "");
    for (int i = 0; i < n; i++) {
        char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/%s", dir, names[i]->d_name), 0);
        append(&snap, names[i]->d_name);
        append(&snap, "\n");
        FILE *file = names[i]->d_name[0] != '.' || strcmp(names[i]->d_name, ".lock") == 0
                         ? fopen(path, "r") : NULL;
        char buf[4096];
        size_t got;
        while (file && (got = fread(buf, 1, sizeof(buf) - 1, file)) > 0) {
            buf[got] = '\0';
            append(&snap, buf);
        }
        if (file)
            fclose(file);
        free(path);
        free(names[i]);
    }
    free(names);
    return snap;
}

/* ------------------------------------------------------ mutating calls */

/* Each refusal must be the read-only one, not an argument or state error. */
#define ck_refused(call)                                                                  \
    do {                                                                                  \
        ck_vmhi((call), VMHI_E_PERMISSION);                                               \
        ck_assert_msg(strstr(vmhi_error_last_message(), "VMHI_CONN_READONLY") != NULL,   \
                      "%s: message does not name the flag: %s", #call,                   \
                      vmhi_error_last_message());                                         \
        ck_assert_ptr_null(vmhi_error_last_native());                                     \
    } while (0)

static vmhi_disk *new_disk(const char *path)
{
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    ck_vmhi_ok(vmhi_disk_set_path(d, path));
    return d;
}

/* Runs every mutating call of the API through the read-only connection, on
 * VMs in states where a writable connection would accept it.  Returns the
 * operations it exercised as bits (1 << op). */
static uint64_t refuse_everything(fixture *f)
{
    uint64_t done = 0;
#define DID(op) (done |= UINT64_C(1) << (op))

    vmhi_vm_config *fresh = bt_config("fresh", 128);
    vmhi_vm *out = (vmhi_vm *)&done; /* must come back NULL */
    ck_refused(vmhi_vm_define(&out, f->ro, fresh, 0));
    ck_assert_ptr_null(out);
    ck_refused(vmhi_vm_define(NULL, f->ro, fresh, 0));
    DID(VMHI_OP_DEFINE);
    out = (vmhi_vm *)&done;
    ck_refused(vmhi_vm_create(&out, f->ro, fresh, 0));
    ck_assert_ptr_null(out);
    DID(VMHI_OP_CREATE);
    vmhi_vm_config_free(fresh);

    /* An update of an existing definition is a change too. */
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(f->off, &cfg, VMHI_AFFECT_CONFIG));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, 384));
    ck_refused(vmhi_vm_define(NULL, f->ro, cfg, 0));
    vmhi_vm_config_free(cfg);

    vmhi_vm *all[] = { f->off, f->run, f->paused, f->susp };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ck_refused(vmhi_vm_undefine(all[i], 0));
    DID(VMHI_OP_UNDEFINE);

    ck_refused(vmhi_vm_start(f->off, 0));
    ck_refused(vmhi_vm_start(f->susp, 0));
    DID(VMHI_OP_START);
    ck_refused(vmhi_vm_shutdown(f->run, 0, 0));
    ck_refused(vmhi_vm_shutdown(f->run, 1000, VMHI_SHUTDOWN_ACPI));
    DID(VMHI_OP_SHUTDOWN);
    ck_refused(vmhi_vm_poweroff(f->run, 0));
    ck_refused(vmhi_vm_poweroff(f->paused, 0));
    ck_refused(vmhi_vm_poweroff(f->susp, 0));
    DID(VMHI_OP_POWEROFF);
    ck_refused(vmhi_vm_reboot(f->run, 0));
    DID(VMHI_OP_REBOOT);
    ck_refused(vmhi_vm_reset(f->run, 0));
    ck_refused(vmhi_vm_reset(f->paused, 0));
    DID(VMHI_OP_RESET);
    ck_refused(vmhi_vm_pause(f->run, 0));
    DID(VMHI_OP_PAUSE);
    ck_refused(vmhi_vm_resume(f->paused, 0));
    DID(VMHI_OP_RESUME);
    ck_refused(vmhi_vm_suspend(f->run, 0));
    ck_refused(vmhi_vm_suspend(f->paused, 0));
    DID(VMHI_OP_SUSPEND);

    static const unsigned int affects[] = { VMHI_AFFECT_CURRENT, VMHI_AFFECT_LIVE,
                                            VMHI_AFFECT_CONFIG,
                                            VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG };
    for (size_t i = 0; i < sizeof(affects) / sizeof(affects[0]); i++) {
        unsigned int a = affects[i];
        ck_refused(vmhi_vm_set_memory(f->run, 128, a));
        ck_refused(vmhi_vm_set_vcpus(f->run, 2, a));
        vmhi_disk *d = new_disk("/images/extra.img");
        char id[VMHI_DEVICE_ID_MAX + 1] = "untouched";
        ck_refused(vmhi_vm_attach_disk(f->run, d, a, id));
        ck_assert_str_eq(id, "untouched");
        vmhi_disk_free(d);
        vmhi_nic *nic = NULL;
        ck_vmhi_ok(vmhi_nic_new(&nic));
        ck_refused(vmhi_vm_attach_nic(f->run, nic, a, NULL));
        vmhi_nic_free(nic);
        vmhi_completion c = (vmhi_completion)0;
        ck_refused(vmhi_vm_detach_disk(f->run, "d0", a, &c));
        ck_refused(vmhi_vm_detach_nic(f->run, "n0", a, &c));
        ck_assert_int_eq(c, 0); /* untouched */
    }
    ck_refused(vmhi_vm_set_memory(f->off, 512, VMHI_AFFECT_CONFIG));
    DID(VMHI_OP_SET_MEMORY);
    ck_refused(vmhi_vm_set_max_memory(f->off, 1024, VMHI_AFFECT_CONFIG));
    ck_refused(vmhi_vm_set_max_memory(f->run, 1024, VMHI_AFFECT_CONFIG));
    DID(VMHI_OP_SET_MAX_MEMORY);
    ck_refused(vmhi_vm_set_vcpus(f->off, 3, VMHI_AFFECT_CONFIG));
    DID(VMHI_OP_SET_VCPUS);
    vmhi_disk *d = new_disk("/images/cold.img");
    ck_refused(vmhi_vm_attach_disk(f->off, d, VMHI_AFFECT_CONFIG, NULL));
    vmhi_disk_free(d);
    DID(VMHI_OP_ATTACH_DISK);
    ck_refused(vmhi_vm_detach_disk(f->off, "d0", VMHI_AFFECT_CONFIG, NULL));
    DID(VMHI_OP_DETACH_DISK);
    DID(VMHI_OP_ATTACH_NIC);
    ck_refused(vmhi_vm_detach_nic(f->off, "n0", VMHI_AFFECT_CONFIG, NULL));
    DID(VMHI_OP_DETACH_NIC);
#undef DID
    return done;
}

/* The operations that only read; every other one must have been refused. */
static const vmhi_op query_ops[] = {
    VMHI_OP_LIST,         VMHI_OP_GET_INFO,  VMHI_OP_GET_CONFIG,   VMHI_OP_MEMORY_STATS,
    VMHI_OP_VCPU_INFO,    VMHI_OP_LIST_DEVICES, VMHI_OP_EVENTS,
};

static bool is_query(vmhi_op op)
{
    for (size_t i = 0; i < sizeof(query_ops) / sizeof(query_ops[0]); i++)
        if (query_ops[i] == op)
            return true;
    return false;
}

/* --------------------------------------------------------------- tests */

START_TEST(conn_16_every_mutating_call_is_refused_and_nothing_changes)
{
    fixture f = fixture_new();
    char *before = snapshot(f.rw);
    char *files_before = dir_snapshot(f.dir);

    uint64_t done = refuse_everything(&f);

    for (int op = 1; op < VMHI_OP_COUNT_1_0; op++)
        ck_assert_msg(is_query((vmhi_op)op) || (done & (UINT64_C(1) << op)),
                      "operation %s changes state but the read-only test never tried it",
                      vmhi_op_name((vmhi_op)op));
    char *after = snapshot(f.rw);
    ck_assert_str_eq(after, before);
    char *files_after = dir_snapshot(f.dir);
    ck_assert_str_eq(files_after, files_before);
    ck_assert_uint_eq(bt_count_vms(f.ro, 0), 4);
    free(before);
    free(after);
    free(files_before);
    free(files_after);
    fixture_free(&f);
}
END_TEST

START_TEST(conn_17_queries_work_on_a_readonly_connection)
{
    fixture f = fixture_new();
    char *before = snapshot(f.rw);
    ck_assert_uint_eq(bt_count_vms(f.ro, 0), 4);
    ck_assert_uint_eq(bt_count_vms(f.ro, VMHI_STATE_BIT(VMHI_STATE_RUNNING)), 1);
    vmhi_vm *by_uuid = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&by_uuid, f.ro, vmhi_vm_get_uuid(f.run)));
    ck_assert_str_eq(vmhi_vm_get_name(by_uuid), "run");
    vmhi_vm_free(by_uuid);
    ck_assert_int_eq(bt_state(f.run), VMHI_STATE_RUNNING);
    ck_assert_int_eq(bt_state(f.susp), VMHI_STATE_SUSPENDED);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_get_config(f.run, &cfg, VMHI_AFFECT_LIVE));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 1);
    vmhi_vm_config_free(cfg);
    ck_vmhi_ok(vmhi_vm_get_config(f.off, &cfg, 0));
    vmhi_vm_config_free(cfg);
    vmhi_memory_stats ms = VMHI_MEMORY_STATS_INIT;
    ck_vmhi_ok(vmhi_vm_get_memory_stats(f.run, &ms));
    vmhi_vcpu_list *vcpus = NULL;
    ck_vmhi_ok(vmhi_vm_get_vcpus(f.run, &vcpus));
    ck_assert_uint_eq(vmhi_vcpu_list_count(vcpus), 4); /* 1 online of 4 */
    vmhi_vcpu_list_free(vcpus);
    vmhi_device_list *devs = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(f.run, &devs));
    ck_assert_uint_eq(vmhi_device_list_count(devs), 2);
    vmhi_device_list_free(devs);
    vmhi_host_info hi = VMHI_HOST_INFO_INIT;
    ck_vmhi_ok(vmhi_conn_get_host_info(f.ro, &hi));
    uint64_t limit = 0, values = 0;
    ck_vmhi_ok(vmhi_conn_get_limit(f.ro, VMHI_LIMIT_MAX_VCPUS, &limit));
    ck_vmhi_ok(vmhi_conn_get_value_caps(f.ro, VMHI_VALUE_DISK_BUS, &values));
    unsigned int profiles_ro = 0, profiles_rw = 0;
    ck_vmhi_ok(vmhi_conn_get_profiles(f.ro, &profiles_ro));
    ck_vmhi_ok(vmhi_conn_get_profiles(f.rw, &profiles_rw));
    ck_assert_uint_eq(profiles_ro, profiles_rw);
    /* Capabilities describe the backend, whatever the flag (CONN-16). */
    for (int op = 1; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned int ro = 0, rw = 0;
        ck_vmhi_ok(vmhi_conn_get_op_caps(f.ro, (vmhi_op)op, &ro));
        ck_vmhi_ok(vmhi_conn_get_op_caps(f.rw, (vmhi_op)op, &rw));
        ck_assert_uint_eq(ro, rw);
    }
    char *after = snapshot(f.rw);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    fixture_free(&f);
}
END_TEST

START_TEST(conn_17_a_readonly_connection_sees_other_changes_as_events)
{
    fixture f = fixture_new();
    bt_recorder rec;
    bt_subscribe(f.ro, &rec, VMHI_EVENT_LIFECYCLE);
    vmhi_vm *run_rw = lookup(f.rw, "run");
    ck_vmhi_ok(vmhi_vm_pause(run_rw, 0));
    bt_wait_events(f.ro, &rec, 1);
    ck_assert_int_ge(bt_find_event(&rec, 0, VMHI_EVENT_LIFECYCLE), 0);
    ck_assert_int_eq(bt_state(f.run), VMHI_STATE_PAUSED);
    ck_refused(vmhi_vm_resume(f.run, 0));
    ck_assert_int_eq(bt_state(run_rw), VMHI_STATE_PAUSED);
    vmhi_vm_free(run_rw);
    fixture_free(&f);
}
END_TEST

START_TEST(conn_16_readonly_on_a_private_host)
{
    vmhi_conn *ro = open_flags("test:///default", VMHI_CONN_READONLY);
    vmhi_vm_config *cfg = bt_config("web", 128);
    ck_refused(vmhi_vm_define(NULL, ro, cfg, 0));
    ck_refused(vmhi_vm_create(NULL, ro, cfg, 0));
    ck_assert_uint_eq(bt_count_vms(ro, 0), 0);
    vmhi_vm_config_free(cfg);
    vmhi_conn_close(ro);
}
END_TEST

START_TEST(conn_16_argument_errors_come_first)
{
    /* The flag does not hide a caller's mistake: what is invalid whatever
     * the connection stays VMHI_E_INVALID_ARG (ERR-8). */
    fixture f = fixture_new();
    ck_vmhi(vmhi_vm_start(f.off, 0x80), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_set_memory(f.run, 0, 0), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_define(NULL, f.ro, NULL, 0), VMHI_E_PERMISSION);
    ck_vmhi(vmhi_vm_start(NULL, 0), VMHI_E_INVALID_ARG);
    fixture_free(&f);
}
END_TEST

START_TEST(conn_4_unknown_flags_are_refused)
{
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    vmhi_conn *conn = (vmhi_conn *)&o;
    o.flags = 0x2;
    ck_vmhi(vmhi_conn_open(&conn, "test:///default", &o), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(conn);
    o.flags = VMHI_CONN_READONLY | 0x80000000u;
    ck_vmhi(vmhi_conn_open(&conn, "test:///default", &o), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(conn);
    ck_assert_uint_eq(VMHI_CONN_FLAG_ALL_1_1, VMHI_CONN_READONLY);
    o.flags = VMHI_CONN_FLAG_ALL_1_1;
    ck_vmhi_ok(vmhi_conn_open(&conn, "test:///default", &o));
    vmhi_conn_close(conn);
}
END_TEST

static Suite *readonly_suite(void)
{
    Suite *s = suite_create("readonly");
    TCase *tc = tcase_create("readonly");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conn_16_every_mutating_call_is_refused_and_nothing_changes);
    tcase_add_test(tc, conn_17_queries_work_on_a_readonly_connection);
    tcase_add_test(tc, conn_17_a_readonly_connection_sees_other_changes_as_events);
    tcase_add_test(tc, conn_16_readonly_on_a_private_host);
    tcase_add_test(tc, conn_16_argument_errors_come_first);
    tcase_add_test(tc, conn_4_unknown_flags_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return vmhi_test_run(readonly_suite());
}
