/*
 * Helpers shared by the test-backend unit tests (tests/unit/test_backend_*.c).
 * They use the public API only, as an application would.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_TEST_BACKEND_COMMON_H
#define VMHI_TEST_BACKEND_COMMON_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ------------------------------------------------------------ connections */

static inline vmhi_conn *bt_open(const char *uri)
{
    vmhi_conn *conn = NULL;
    ck_vmhi_ok(vmhi_conn_open(&conn, uri, NULL));
    ck_assert_ptr_nonnull(conn);
    return conn;
}

/* A config with @name, @mib of memory (max 2x) and 1 of up to 4 vCPUs. */
static inline vmhi_vm_config *bt_config(const char *name, uint64_t mib)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, name));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(cfg, mib * 2));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(cfg, mib));
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(cfg, 4));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(cfg, 1));
    return cfg;
}

static inline void bt_config_add_disk(vmhi_vm_config *cfg, const char *id, const char *path)
{
    vmhi_disk *d = NULL;
    ck_vmhi_ok(vmhi_disk_new(&d));
    if (id)
        ck_vmhi_ok(vmhi_disk_set_id(d, id));
    ck_vmhi_ok(vmhi_disk_set_path(d, path));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, d));
    vmhi_disk_free(d);
}

static inline vmhi_vm *bt_define(vmhi_conn *conn, const char *name, uint64_t mib)
{
    vmhi_vm_config *cfg = bt_config(name, mib);
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    vmhi_vm_config_free(cfg);
    return vm;
}

static inline vmhi_vm_state bt_state(vmhi_vm *vm)
{
    vmhi_vm_state st = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    return st;
}

static inline vmhi_state_reason bt_reason(vmhi_vm *vm)
{
    vmhi_vm_state st = 0;
    vmhi_state_reason why = 0;
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, &why));
    return why;
}

static inline size_t bt_count_vms(vmhi_conn *conn, unsigned int filter)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(conn, filter, &vms, &n));
    vmhi_vm_list_free(vms, n);
    return n;
}

static inline void bt_sleep_ms(unsigned int ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static inline uint64_t bt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls @cond (an expression) for up to 2 s; the simulated guest acts
 * after ~20 ms, so this is generous. */
#define bt_eventually(cond)                                                    \
    do {                                                                       \
        uint64_t bt_deadline_ = bt_now_ms() + 2000;                            \
        while (!(cond) && bt_now_ms() < bt_deadline_)                          \
            bt_sleep_ms(2);                                                    \
        ck_assert_msg((cond), "condition never became true: %s", #cond);       \
    } while (0)

/* ------------------------------------------------------------------ events */

typedef struct bt_seen {
    vmhi_event_type type;
    char uuid[VMHI_UUID_STRLEN + 1];
    vmhi_vm_state state;
    vmhi_state_reason reason;
    char device[VMHI_DEVICE_ID_MAX + 1];
    uint64_t value;
    uint64_t seq;
} bt_seen;

typedef struct bt_recorder {
    bt_seen ev[256];
    size_t count;
} bt_recorder;

static inline void bt_record(vmhi_conn *conn, const vmhi_event *event, void *userdata)
{
    (void)conn;
    bt_recorder *r = userdata;
    if (r->count >= sizeof(r->ev) / sizeof(r->ev[0]))
        return;
    bt_seen *s = &r->ev[r->count++];
    s->type = vmhi_event_get_type(event);
    snprintf(s->uuid, sizeof(s->uuid), "%s", vmhi_event_get_vm_uuid(event));
    s->state = vmhi_event_get_state(event);
    s->reason = vmhi_event_get_reason(event);
    const char *dev = vmhi_event_get_device_id(event);
    snprintf(s->device, sizeof(s->device), "%s", dev ? dev : "");
    s->value = vmhi_event_get_value(event);
    s->seq = vmhi_event_get_seq(event);
}

static inline void bt_subscribe(vmhi_conn *conn, bt_recorder *r, unsigned int mask)
{
    memset(r, 0, sizeof(*r));
    ck_vmhi_ok(vmhi_conn_subscribe(conn, mask, NULL, bt_record, r, NULL, NULL));
}

/* Dispatches until at least @n events were recorded or 2 s passed. */
static inline void bt_wait_events(vmhi_conn *conn, bt_recorder *r, size_t n)
{
    uint64_t deadline = bt_now_ms() + 2000;
    while (r->count < n && bt_now_ms() < deadline)
        ck_assert_int_ge(vmhi_conn_dispatch_events(conn, 50), 0);
    ck_assert_msg(r->count >= n, "expected %zu events, got %zu", n, r->count);
}

/* Index of the first recorded event of @type at or after @from, or -1. */
static inline int bt_find_event(const bt_recorder *r, size_t from, vmhi_event_type type)
{
    for (size_t i = from; i < r->count; i++)
        if (r->ev[i].type == type)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- tmp dirs */

static inline char *bt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = NULL;
    ck_assert_int_ge(asprintf(&tmpl, "%s/vmhi-tb-XXXXXX", base ? base : "/tmp"), 0);
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return tmpl;
}

static inline void bt_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, e->d_name) >= 0) {
            unlink(path);
            free(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Number of entries of @dir whose name starts with @prefix. */
static inline int bt_count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, ".") != 0 &&
            strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static inline char *bt_dir_uri(const char *dir, const char *query)
{
    char *uri = NULL;
    ck_assert_int_ge(asprintf(&uri, "test://%s%s%s", dir, query ? "?" : "", query ? query : ""),
                     0);
    return uri;
}

static inline void bt_write_file(const char *dir, const char *name, const char *text)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

#endif
