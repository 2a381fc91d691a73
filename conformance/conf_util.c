/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Helpers the tests use (conf.h): requirement marks, skips and notes
 * written to the memory shared with the parent, waits, capabilities, and
 * VMs that are always named "vmhi-conf-<run>-<n>" so that the parent's
 * cleanup pass can find them.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_internal.h"

const conf_context *conf;
conf_shared *conf_shm;
/* The case this process runs (set by the runner before forking). */
const conf_case *conf_current_case;

#define CONF_NAME_PREFIX "vmhi-conf-"

/* ------------------------------------------------------ marks and notes */

void conf_req(const char *id)
{
    ck_assert_msg(conf_current_case && conf_case_cites(conf_current_case, id),
                  "suite bug: conf_req(\"%s\") in a test that does not cite it", id);
    if (conf_shm->current[0] && conf_shm->nreached < CONF_MAX_IDS)
        memcpy(conf_shm->reached[conf_shm->nreached++], conf_shm->current,
               sizeof(conf_shm->current));
    snprintf(conf_shm->current, sizeof(conf_shm->current), "%s", id);
}

void conf_note_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(conf_shm->skip_reason, sizeof(conf_shm->skip_reason), fmt, ap);
    va_end(ap);
    conf_shm->skipped = 1;
}

void conf_req_not_applicable(const char *id, const char *fmt, ...)
{
    ck_assert_msg(conf_current_case && conf_case_cites(conf_current_case, id),
                  "suite bug: conf_req_not_applicable(\"%s\") in a test that does not cite it",
                  id);
    char why[CONF_NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (conf_shm->nnot_applicable < CONF_MAX_IDS)
        snprintf(conf_shm->not_applicable[conf_shm->nnot_applicable++], CONF_ID_MAX + 1, "%s",
                 id);
    if (!conf_shm->not_applicable_why[0])
        snprintf(conf_shm->not_applicable_why, sizeof(conf_shm->not_applicable_why), "%s", why);
    conf_note("%s does not apply: %s", id, why);
}

void conf_note(const char *fmt, ...)
{
    size_t used = strlen(conf_shm->notes);
    if (used + 3 >= sizeof(conf_shm->notes))
        return;
    if (used) {
        memcpy(conf_shm->notes + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(conf_shm->notes + used, sizeof(conf_shm->notes) - used, fmt, ap);
    va_end(ap);
}

/* ----------------------------------------------------------------- time */

static const char *target_of(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (strcmp(vmhi_disk_get_id(d), id) == 0)
            return vmhi_disk_get_target(d);
    }
    return NULL;
}

static vmhi_disk *disk_with_target(const vmhi_disk *d, const char *target)
{
    vmhi_disk *c = NULL;
    conf_ok(vmhi_disk_new(&c));
    conf_ok(vmhi_disk_set_id(c, vmhi_disk_get_id(d)));
    conf_ok(vmhi_disk_set_path(c, vmhi_disk_get_path(d)));
    conf_ok(vmhi_disk_set_format(c, vmhi_disk_get_format(d)));
    conf_ok(vmhi_disk_set_bus(c, vmhi_disk_get_bus(d)));
    conf_ok(vmhi_disk_set_readonly(c, vmhi_disk_get_readonly(d)));
    conf_ok(vmhi_disk_set_size_mib(c, vmhi_disk_get_size_mib(d)));
    conf_ok(vmhi_disk_set_target(c, target));
    return c;
}

void conf_adopt_disk_targets(vmhi_vm_config *cfg, vmhi_vm *vm)
{
    vmhi_vm_config *got = NULL;
    conf_ok(vmhi_vm_get_config(vm, &got, 0));
    /* Disks are held in order: taking the first and appending it again,
     * once per disk, keeps the order. */
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, 0);
        const char *chosen = target_of(got, vmhi_disk_get_id(d));
        vmhi_disk *c = disk_with_target(d, vmhi_disk_get_target(d) ? vmhi_disk_get_target(d)
                                                                  : chosen);
        conf_ok(vmhi_vm_config_remove_disk(cfg, vmhi_disk_get_id(c)));
        conf_ok(vmhi_vm_config_add_disk(cfg, c));
        vmhi_disk_free(c);
    }
    vmhi_vm_config_free(got);
}

uint64_t conf_mib(uint64_t mib_at_default)
{
    unsigned int base = conf && conf->memory_mib ? conf->memory_mib : CONF_MEMORY_DEFAULT_MIB;
    return mib_at_default * base / CONF_MEMORY_DEFAULT_MIB;
}

unsigned int conf_ms(unsigned int base_ms)
{
    double scaled = (double)base_ms * (conf ? conf->timeout_scale : 1.0);
    return scaled > 3600000.0 ? 3600000u : (unsigned int)scaled;
}

uint64_t conf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void conf_sleep_ms(unsigned int ms)
{
    struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void conf_wait_guest_ready(uint64_t started_ms)
{
    uint64_t ready = started_ms + 2u * (uint64_t)conf->guest_ready_ms;
    uint64_t now = conf_now_ms();
    if (conf->guest_ready_ms && now < ready)
        conf_sleep_ms((unsigned int)(ready - now));
}

/* --------------------------------------------------------- capabilities */

bool conf_claims(unsigned int profile)
{
    return (conf->claimed & profile) == profile;
}

unsigned int conf_op_caps(vmhi_conn *conn, vmhi_op op)
{
    unsigned int caps = 0;
    conf_ok(vmhi_conn_get_op_caps(conn, op, &caps));
    return caps;
}

void conf_need_op(vmhi_conn *conn, vmhi_op op, unsigned int bits)
{
    unsigned int caps = conf_op_caps(conn, op);
    bits |= VMHI_CAP_SUPPORTED;
    ck_assert_msg((caps & bits) == bits,
                  "the backend claims the profile this test certifies, but "
                  "vmhi_conn_get_op_caps(%s) = 0x%x lacks 0x%x", vmhi_op_name(op), caps,
                  bits & ~caps);
}

/* ------------------------------------------------------------------ VMs */

vmhi_conn *conf_open_uri(const char *uri)
{
    vmhi_conn *conn = NULL;
    int rc = conf_conn_open(&conn, uri);
    ck_assert_msg(rc == VMHI_OK && conn, "vmhi_conn_open(%s) returned %d (%s): %s", uri, rc,
                  vmhi_strerror(rc), vmhi_error_last_message());
    return conn;
}

vmhi_conn *conf_open(void)
{
    return conf_open_uri(conf->uri);
}

void conf_vm_name(char *buf, size_t size)
{
    unsigned int n = atomic_fetch_add(&conf_shm->name_counter, 1u);
    snprintf(buf, size, CONF_NAME_PREFIX "%ld-%u", conf->run_id, n);
}

static bool starts_with(const char *name, const char *prefix)
{
    return name && strncmp(name, prefix, strlen(prefix)) == 0;
}

bool conf_is_own_name(const char *name)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), CONF_NAME_PREFIX "%ld-", conf->run_id);
    return starts_with(name, prefix);
}

#define CONF_KEPT_INFIX "keep-"

static void kept_name(char *buf, size_t size, const char *key)
{
    snprintf(buf, size, CONF_NAME_PREFIX "%ld-" CONF_KEPT_INFIX "%s", conf->run_id, key);
}

bool conf_is_kept_name(const char *name)
{
    char prefix[64];
    kept_name(prefix, sizeof(prefix), "");
    return starts_with(name, prefix);
}

vmhi_vm *conf_kept_lookup(vmhi_conn *conn, const char *key)
{
    char name[64];
    kept_name(name, sizeof(name), key);
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_lookup_by_name(&vm, conn, name);
    if (rc == VMHI_E_NO_VM)
        return NULL;
    conf_ok(rc);
    return vm;
}

vmhi_vm *conf_define_kept(vmhi_conn *conn, const char *key)
{
    char name[64];
    kept_name(name, sizeof(name), key);
    vmhi_vm_config *cfg = conf_config_new();
    conf_ok(vmhi_vm_config_set_name(cfg, name));
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    return vm;
}

vmhi_vm_config *conf_config_new(void)
{
    char name[64];
    vmhi_vm_config *cfg = NULL;
    conf_vm_name(name, sizeof(name));
    conf_ok(vmhi_vm_config_new(&cfg));
    conf_ok(vmhi_vm_config_set_name(cfg, name));
    conf_ok(vmhi_vm_config_set_max_memory_mib(cfg, CONF_MIB(128)));
    conf_ok(vmhi_vm_config_set_memory_mib(cfg, CONF_MIB(64)));
    conf_ok(vmhi_vm_config_set_max_vcpus(cfg, 2));
    conf_ok(vmhi_vm_config_set_vcpus(cfg, 1));
    return cfg;
}

vmhi_vm *conf_define_cfg(vmhi_conn *conn, const vmhi_vm_config *cfg)
{
    vmhi_vm *vm = NULL;
    conf_ok(vmhi_vm_define(&vm, conn, cfg, 0));
    ck_assert_ptr_nonnull(vm);
    return vm;
}

vmhi_vm *conf_define(vmhi_conn *conn)
{
    vmhi_vm_config *cfg = conf_config_new();
    vmhi_vm *vm = conf_define_cfg(conn, cfg);
    vmhi_vm_config_free(cfg);
    return vm;
}

vmhi_vm_state conf_state(vmhi_vm *vm, vmhi_state_reason *reason)
{
    vmhi_vm_state st = 0;
    vmhi_state_reason why = VMHI_REASON_UNKNOWN;
    conf_ok(vmhi_vm_get_state(vm, &st, &why));
    if (reason)
        *reason = why;
    return st;
}

vmhi_vm_state conf_wait_state(vmhi_vm *vm, unsigned int mask)
{
    uint64_t deadline = conf_now_ms() + conf_ms(CONF_WAIT_MS);
    unsigned int pause_ms = 1;
    vmhi_vm_state st = conf_state(vm, NULL);
    while (!(mask & VMHI_STATE_BIT(st)) && conf_now_ms() < deadline) {
        conf_sleep_ms(pause_ms);
        pause_ms = pause_ms < 20 ? pause_ms * 2 : 20;
        st = conf_state(vm, NULL);
    }
    ck_assert_msg(mask & VMHI_STATE_BIT(st), "VM %s is still %s after %u ms",
                  vmhi_vm_get_name(vm), vmhi_vm_state_name(st), conf_ms(CONF_WAIT_MS));
    return st;
}

bool conf_vm_exists(vmhi_conn *conn, const char *uuid)
{
    vmhi_vm *vm = NULL;
    int rc = vmhi_vm_lookup_by_uuid(&vm, conn, uuid);
    ck_assert_msg(rc == VMHI_OK || rc == VMHI_E_NO_VM,
                  "vmhi_vm_lookup_by_uuid returned %d (%s): %s", rc, vmhi_strerror(rc),
                  vmhi_error_last_message());
    vmhi_vm_free(vm);
    return rc == VMHI_OK;
}

void conf_crash(vmhi_vm *vm)
{
    ck_assert_msg(conf->crash_command, "conf_crash() without --crash-command");
    setenv("VMHI_CONF_VM_NAME", vmhi_vm_get_name(vm), 1);
    setenv("VMHI_CONF_VM_UUID", vmhi_vm_get_uuid(vm), 1);
    fflush(NULL);
    int status = system(conf->crash_command);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "--crash-command '%s' failed for VM %s (wait status %d)", conf->crash_command,
                  vmhi_vm_get_name(vm), status);
}

/* Requests a graceful shutdown of a guest known to ignore it. */
static bool drive_shutting_down(vmhi_vm *vm, char *why, size_t size)
{
    if (conf->guest_shuts_down != 0) {
        snprintf(why, size, conf->guest_shuts_down > 0
                                ? "guests on this URI comply with shutdown requests, so "
                                  "shutting-down does not last; run the suite on a URI whose "
                                  "guests ignore them to test this state"
                                : "shutdown is not supported: shutting-down cannot be reached");
        return false;
    }
    conf_ok(vmhi_vm_shutdown(vm, 0, 0));
    vmhi_vm_state st = conf_state(vm, NULL);
    ck_assert_msg(st == VMHI_STATE_SHUTTING_DOWN, "after a shutdown request to a guest that "
                  "ignores it the VM is %s", vmhi_vm_state_name(st));
    return true;
}

bool conf_suspend_refused(char *why, size_t size)
{
    if (!conf->suspend_needs_guest || conf->guest_shuts_down != 0)
        return false;
    if (size)
        snprintf(why, size, "the backend's suspend needs the guest's help (VMHI_CAP_GUEST) and "
                 "guests on this URI ignore requests, so no VM can be suspended; run the suite "
                 "on a URI whose guests comply to test this (guest_ignores_suspend tests the "
                 "refusal)");
    return true;
}

bool conf_drive(vmhi_vm *vm, vmhi_vm_state target, char *why, size_t size)
{
    ck_assert_int_eq(conf_state(vm, NULL), VMHI_STATE_SHUTOFF);
    switch (target) {
    case VMHI_STATE_SHUTOFF:
        return true;
    case VMHI_STATE_SUSPENDED:
        if (conf_suspend_refused(why, size))
            return false;
        break;
    case VMHI_STATE_CRASHED:
        if (conf->crash_command)
            break;
        snprintf(why, size, "no VMHI call puts a VM into the crashed state; give "
                 "--crash-command to reach it by backend-specific means");
        return false;
    default:
        break;
    }
    conf_ok(vmhi_vm_start(vm, 0));
    conf_wait_state(vm, VMHI_STATE_BIT(VMHI_STATE_RUNNING));
    switch (target) {
    case VMHI_STATE_PAUSED:
        conf_ok(vmhi_vm_pause(vm, 0));
        break;
    case VMHI_STATE_SUSPENDED:
        conf_ok(vmhi_vm_suspend(vm, 0));
        break;
    case VMHI_STATE_SHUTTING_DOWN:
        return drive_shutting_down(vm, why, size);
    case VMHI_STATE_CRASHED:
        conf_crash(vm);
        break;
    default:
        break;
    }
    conf_wait_state(vm, VMHI_STATE_BIT(target));
    return true;
}

void conf_disk_path(char *buf, size_t size, const char *tag)
{
    unsigned int n = atomic_fetch_add(&conf_shm->name_counter, 1u);
    snprintf(buf, size, "%s/%s-%ld-%u.img", conf->disk_dir, tag, conf->run_id, n);
    /* The file exists so that a backend that checks paths finds it; a
     * remote backend ignores our local copy. */
    int fd = open(buf, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

void conf_check_last_error(const char *what, int rc)
{
    int last = vmhi_error_last_code();
    const char *msg = vmhi_error_last_message();
    ck_assert_msg(last == rc, "after %s failed with %d, vmhi_error_last_code() is %d", what,
                  rc, last);
    ck_assert_msg(msg && *msg, "after %s failed with %d (%s), the last error message is empty",
                  what, rc, vmhi_strerror(rc));
    const char *native = vmhi_error_last_native();
    ck_assert_msg(rc != VMHI_E_BACKEND || (native && *native),
                  "%s failed with VMHI_E_BACKEND but no native code (ERR-6): %s", what, msg);
}

bool conf_events_checked(void)
{
    return (conf->selected & VMHI_PROFILE_EVENTS) != 0;
}
