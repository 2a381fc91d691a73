/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the parent learns from the backend before and after the run: its
 * name, versions and claimed profiles; the operations each claimed
 * profile needs that the capability query denies; and a census of the
 * VMs the suite did not create, taken before and after, to prove it left
 * them alone.  Each step opens its own connection and closes it again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_internal.h"
#include "conf_profiles.h"

static char *dup_text(const char *s)
{
    return strdup(s && *s ? s : "unknown");
}

/* The per-value capabilities, for the reports: what was certified.  A
 * failure leaves value_caps_read false; the tests report it (CAP-10). */
static void probe_value_caps(conf_run *run, vmhi_conn *conn)
{
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++)
        if (vmhi_conn_get_value_caps(conn, (vmhi_value_kind)k, &run->value_caps[k]) < 0)
            return;
    run->value_caps_read = true;
}

void conf_value_caps_text(vmhi_value_kind kind, uint64_t caps, const char *sep, char *buf,
                          size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned int v = 0; v < 64 && used < size; v++) {
        if (!(caps & (UINT64_C(1) << v)))
            continue;
        const char *name = vmhi_value_name(kind, v);
        int n = name ? snprintf(buf + used, size - used, "%s%s", used ? sep : "", name)
                     : snprintf(buf + used, size - used, "%s%u", used ? sep : "", v);
        used += n > 0 ? (size_t)n : 0;
    }
}

int conf_probe(conf_run *run, const char *uri, unsigned int *claimed, char *err, size_t size)
{
    vmhi_conn *conn = NULL;
    int rc = conf_conn_open(&conn, uri);
    if (rc < 0) {
        snprintf(err, size, "cannot open %s: %s (%s)", uri, vmhi_error_last_message(),
                 vmhi_strerror(rc));
        return rc;
    }
    vmhi_host_info info = VMHI_HOST_INFO_INIT;
    rc = vmhi_conn_get_host_info(conn, &info);
    if (rc == VMHI_OK)
        rc = vmhi_conn_get_profiles(conn, claimed);
    if (rc < 0) {
        snprintf(err, size, "cannot read the host facts of %s: %s", uri,
                 vmhi_error_last_message());
    } else {
        probe_value_caps(run, conn);
        run->uri = strdup(vmhi_conn_get_uri(conn) ? vmhi_conn_get_uri(conn) : uri);
        run->backend = dup_text(vmhi_conn_get_backend(conn));
        run->backend_version = dup_text(info.backend_version);
        run->hypervisor = dup_text(info.hypervisor);
        run->hypervisor_version = dup_text(info.hypervisor_version);
    }
    vmhi_conn_close(conn);
    return rc;
}

void conf_probe_missing_ops(conf_run *run, const char *uri, unsigned int claimed)
{
    vmhi_conn *conn = NULL;
    if (conf_conn_open(&conn, uri) < 0)
        return; /* conf_probe() already reported it */
    for (size_t p = 0; p < CONF_NPROFILES; p++) {
        conf_profile_result *pr = &run->profiles[p];
        if (!(claimed & pr->bit))
            continue;
        const conf_profile_ops *need = conf_profile_needs(pr->bit);
        for (size_t i = 0; need && i < need->count; i++) {
            unsigned int caps = 0;
            if (vmhi_conn_get_op_caps(conn, need->ops[i], &caps) < 0 ||
                !(caps & VMHI_CAP_SUPPORTED))
                conf_append(&pr->missing_ops, "%s%s", pr->missing_ops ? ", " : "",
                            vmhi_op_name(need->ops[i]));
        }
    }
    vmhi_conn_close(conn);
}

/* ----------------------------------------------------------------- census */

typedef struct conf_census_vm {
    char *name;
    char uuid[VMHI_UUID_STRLEN + 1];
    vmhi_vm_state state;
} conf_census_vm;

struct conf_census {
    conf_census_vm *vms;
    size_t count;
};

static void census_add(conf_census *c, vmhi_vm *vm)
{
    vmhi_vm_state st = 0;
    if (vmhi_vm_get_state(vm, &st, NULL) < 0)
        st = 0; /* vanished meanwhile: recorded as unknown */
    conf_census_vm *e = &c->vms[c->count++];
    e->name = strdup(vmhi_vm_get_name(vm));
    snprintf(e->uuid, sizeof(e->uuid), "%s", vmhi_vm_get_uuid(vm));
    e->state = st;
}

conf_census *conf_census_take(const char *uri, long run_id, char *err, size_t size)
{
    (void)run_id;
    vmhi_conn *conn = NULL;
    vmhi_vm **vms = NULL;
    size_t n = 0;
    if (conf_conn_open(&conn, uri) < 0 || vmhi_conn_list_vms(conn, 0, &vms, &n) < 0) {
        snprintf(err, size, "cannot list the VMs of %s: %s", uri, vmhi_error_last_message());
        vmhi_conn_close(conn);
        return NULL;
    }
    conf_census *c = calloc(1, sizeof(*c));
    if (c)
        c->vms = calloc(n ? n : 1, sizeof(*c->vms));
    for (size_t i = 0; c && c->vms && i < n; i++)
        if (!conf_is_own_name(vmhi_vm_get_name(vms[i])))
            census_add(c, vms[i]);
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(conn);
    return c;
}

size_t conf_census_count(const conf_census *c)
{
    return c ? c->count : 0;
}

static const conf_census_vm *census_find(const conf_census *c, const char *uuid)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->vms[i].uuid, uuid) == 0)
            return &c->vms[i];
    return NULL;
}

static const char *state_text(vmhi_vm_state st)
{
    const char *name = vmhi_vm_state_name(st);
    return name ? name : "unknown";
}

bool conf_census_compare(const conf_census *before, const conf_census *after, conf_run *run)
{
    bool same = true;
    for (size_t i = 0; i < before->count; i++) {
        const conf_census_vm *b = &before->vms[i];
        const conf_census_vm *a = census_find(after, b->uuid);
        if (!a) {
            conf_append(&run->run_errors, "foreign VM '%s' (%s) disappeared during the run\n",
                        b->name, b->uuid);
            same = false;
        } else if (a->state != b->state || strcmp(a->name, b->name) != 0) {
            conf_append(&run->run_errors, "foreign VM '%s' (%s) changed: %s -> '%s' %s\n",
                        b->name, b->uuid, state_text(b->state), a->name,
                        state_text(a->state));
            same = false;
        }
    }
    return same;
}

void conf_census_free(conf_census *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        free(c->vms[i].name);
    free(c->vms);
    free(c);
}

/* ------------------------------------------------------------------ guest */

/* A running VM of this run (optionally with disk conf-d0), or NULL. */
static vmhi_vm *probe_vm(vmhi_conn *conn, bool disk)
{
    char name[64], path[512];
    vmhi_vm_config *cfg = NULL;
    vmhi_disk *d = NULL;
    vmhi_vm *vm = NULL;
    conf_vm_name(name, sizeof(name));
    int rc = vmhi_vm_config_new(&cfg);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_name(cfg, name);
    if (rc == VMHI_OK && disk) {
        snprintf(path, sizeof(path), "%s/probe-%ld-0.img", conf->disk_dir, conf->run_id);
        /* Created empty, as conf_disk_path() does: backends that open
         * their disks must find it. */
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        rc = vmhi_disk_new(&d);
        if (rc == VMHI_OK)
            rc = vmhi_disk_set_id(d, "conf-d0");
        if (rc == VMHI_OK)
            rc = vmhi_disk_set_path(d, path);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_disk(cfg, d);
    }
    if (rc == VMHI_OK)
        rc = vmhi_vm_define(&vm, conn, cfg, 0);
    if (rc == VMHI_OK)
        rc = vmhi_vm_start(vm, 0);
    vmhi_disk_free(d);
    vmhi_vm_config_free(cfg);
    if (rc != VMHI_OK) {
        vmhi_vm_free(vm);
        return NULL;
    }
    return vm;
}

/* Whether the disk conf-d0 is still live (detach not yet done). */
static bool disk_live(vmhi_vm *vm)
{
    vmhi_device_list *list = NULL;
    bool live = false;
    if (vmhi_vm_list_devices(vm, &list) != VMHI_OK)
        return false;
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        if (vmhi_device_list_get(list, i, &info) == VMHI_OK && strcmp(info.id, "conf-d0") == 0)
            live = info.live != 0;
    }
    vmhi_device_list_free(list);
    return live;
}

/* Makes the request and waits for the guest: 1 complied, 0 not within
 * the wait, -1 the probe could not be made.  On 1, *ready_ms is how long
 * after the start the guest had complied. */
static int probe_guest(vmhi_conn *conn, bool unplug, unsigned int *ready_ms)
{
    vmhi_vm *vm = probe_vm(conn, unplug);
    if (!vm)
        return -1;
    uint64_t started = conf_now_ms();
    vmhi_completion done = VMHI_COMPLETION_DONE;
    int rc = unplug ? vmhi_vm_detach_disk(vm, "conf-d0", VMHI_AFFECT_LIVE, &done)
                    : vmhi_vm_shutdown(vm, 0, 0);
    int result = rc == VMHI_OK ? 0 : -1;
    uint64_t deadline = conf_now_ms() + conf_ms(CONF_GUEST_PROBE_MS);
    while (result == 0) {
        vmhi_vm_state st = 0;
        if (unplug ? !disk_live(vm)
                   : vmhi_vm_get_state(vm, &st, NULL) == VMHI_OK && st == VMHI_STATE_SHUTOFF) {
            result = 1;
            *ready_ms = (unsigned int)(conf_now_ms() - started);
        } else if (conf_now_ms() >= deadline) {
            break;
        } else {
            conf_sleep_ms(5);
        }
    }
    vmhi_vm_undefine(vm, 0);
    vmhi_vm_poweroff(vm, 0);
    vmhi_vm_free(vm);
    return result;
}

static bool supported(vmhi_conn *conn, vmhi_op op)
{
    unsigned int caps = 0;
    return vmhi_conn_get_op_caps(conn, op, &caps) == VMHI_OK && (caps & VMHI_CAP_SUPPORTED);
}

void conf_probe_guest(const char *uri, int *shutdown, int *unplug, unsigned int *ready_ms,
                      bool *suspend_needs_guest)
{
    vmhi_conn *conn = NULL;
    unsigned int shutdown_ms = 0, unplug_ms = 0, caps = 0;
    *shutdown = *unplug = -1;
    *ready_ms = 0;
    *suspend_needs_guest = false;
    if (conf_conn_open(&conn, uri) < 0)
        return;
    if (vmhi_conn_get_op_caps(conn, VMHI_OP_SUSPEND, &caps) == VMHI_OK)
        *suspend_needs_guest = (caps & VMHI_CAP_GUEST) != 0;
    if (supported(conn, VMHI_OP_SHUTDOWN))
        *shutdown = probe_guest(conn, false, &shutdown_ms);
    if (supported(conn, VMHI_OP_DETACH_DISK) && supported(conn, VMHI_OP_LIST_DEVICES))
        *unplug = probe_guest(conn, true, &unplug_ms);
    *ready_ms = shutdown_ms > unplug_ms ? shutdown_ms : unplug_ms;
    vmhi_conn_close(conn);
}
