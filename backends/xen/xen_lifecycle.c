/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * VM lifecycle on libxl: list, lookup, define, undefine, create, start,
 * shutdown, poweroff, reboot, reset, pause, resume, suspend and restore.
 *
 * A VM is a domain only while it is active; libxl knows nothing of
 * inactive VMs, so their definitions live in the state directory.  What
 * xl does for its domains (destroy one that powered off, build a new
 * domain for one that rebooted), the event thread does here
 * (xen_events.c).  Every call is synchronous for libxl (ao_how NULL):
 * libxl waits on its own fds in the calling thread.  Shutdown and reboot
 * requests are the exception: they are written to xenstore directly
 * (xen_guest_request()), since libxl's would wait for the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen.h"

static void fill_ref(const xen_vm *vm, vmhi_backend_vm_ref *out)
{
    memcpy(out->uuid, vm->uuid, sizeof(out->uuid));
    memcpy(out->name, vm->name, sizeof(out->name));
}

/* ---------------------------------------------------------- list, lookup */

int xen_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    xen_conn *c = priv;
    xen_lock(c);
    int rc = VMHI_OK;
    for (xen_vm *vm = c->host->vms; vm && rc == VMHI_OK; vm = vm->next) {
        vmhi_backend_vm_ref ref;
        memset(&ref, 0, sizeof(ref));
        ref.struct_size = sizeof(ref);
        fill_ref(vm, &ref);
        rc = add(ctx, &ref, vm->state, vm->def != NULL);
    }
    return xen_unlock(c, rc);
}

int xen_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    xen_conn *c = priv;
    xen_lock(c);
    xen_vm *vm = name ? xen_find_name(c->host, name) : xen_find_uuid(c->host, uuid);
    int rc = VMHI_OK;
    if (vm)
        fill_ref(vm, out);
    else
        rc = xen_error(VMHI_E_NO_VM, "xen: no VM has %s '%s'", name ? "name" : "UUID",
                       name ? name : uuid);
    return xen_unlock(c, rc);
}

/* ------------------------------------------------------- define, undefine */

static int check_identity(xen_host *h, const char *uuid, const char *name, xen_vm **existing)
{
    xen_vm *by_uuid = xen_find_uuid(h, uuid), *by_name = xen_find_name(h, name);
    if (by_uuid && by_uuid != by_name)
        return xen_error(VMHI_E_EXISTS, "xen: UUID %s belongs to VM '%s', not '%s'", uuid,
                         by_uuid->name, name);
    if (by_name && by_name != by_uuid)
        return xen_error(VMHI_E_EXISTS, "xen: the name '%s' belongs to the VM with UUID %s",
                         name, by_name->uuid);
    *existing = by_uuid;
    return VMHI_OK;
}

int xen_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out)
{
    (void)flags;
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    vmhi_vm_config *def = NULL;
    const char *uuid = vmhi_vm_config_get_uuid(cfg), *name = vmhi_vm_config_get_name(cfg);
    int rc = check_identity(h, uuid, name, &vm);
    if (rc == VMHI_OK)
        rc = xen_config_prepare(h, cfg, &def);
    /* On disk first: a definition the host cannot keep is not made. */
    if (rc == VMHI_OK)
        rc = xen_store_save_def(h, uuid, def);
    if (rc == VMHI_OK && !vm && (rc = xen_vm_add(h, uuid, name, &vm)) < 0)
        xen_store_remove_def(h, uuid);
    if (rc < 0) {
        vmhi_vm_config_free(def);
        return xen_unlock(c, rc);
    }
    vmhi_vm_config_free(vm->def);
    vm->def = def;
    xen_emit(h, vm, VMHI_EVENT_DEFINED, NULL, 0);
    fill_ref(vm, out);
    return xen_unlock(c, VMHI_OK);
}

int xen_undefine(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && !vm->def)
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is transient: it has no "
                       "definition to remove", vm->name);
    if (rc == VMHI_OK)
        rc = xen_store_remove_def(h, uuid);
    if (rc < 0)
        return xen_unlock(c, rc);
    xen_store_remove_save(h, uuid);
    xen_emit(h, vm, VMHI_EVENT_UNDEFINED, NULL, 0);
    vmhi_vm_config_free(vm->def);
    vm->def = NULL;
    if (xen_state_active(vm->state))
        xen_store_save_run(h, vm); /* runs on, transient */
    else
        xen_vm_remove(h, vm);
    return xen_unlock(c, VMHI_OK);
}

/* -------------------------------------------------------------- domains */

int xen_destroy_domain(xen_host *h, xen_vm *vm)
{
    if (vm->domid == XEN_NO_DOMID)
        return VMHI_OK;
    xen_unwatch_domain(h, vm);
    vm->destroying = true;
    int lrc = libxl_domain_destroy(h->ctx, vm->domid, NULL);
    vm->destroying = false;
    if (lrc && lrc != ERROR_DOMAIN_NOTFOUND)
        return xen_libxl_error(lrc, "cannot destroy domain %u of VM '%s'", vm->domid, vm->name);
    vm->domid = XEN_NO_DOMID;
    return VMHI_OK;
}

/* Balloons a domain built with its maximum down to its memory. */
static void set_boot_target(xen_host *h, const xen_vm *vm)
{
    uint64_t mem = vmhi_vm_config_get_memory_mib(vm->live);
    if (mem < vmhi_vm_config_get_max_memory_mib(vm->live) &&
        libxl_set_memory_target(h->ctx, vm->domid, (int64_t)(mem * 1024), 0, 0) != 0)
        xen_log(h, VMHI_LOG_WARN, "VM '%s': cannot set its memory target to %llu MiB",
                vm->name, (unsigned long long)mem);
}

/* ERR-14: a domain that does not fit in the memory free now is TRY_AGAIN
 * (it may fit once another VM stops), found before libxl starts: libxl
 * itself fails half-way through the build with a generic error.  (libxl
 * defaults parts of @dc on the way, as the build would.)  When either
 * figure cannot be read, the build decides. */
static int check_free_memory(xen_host *h, libxl_domain_config *dc, const char *name)
{
    uint64_t need_kb = 0, free_kb = 0;
    if (libxl_domain_need_memory(h->ctx, dc, INVALID_DOMID, &need_kb) != 0 ||
        libxl_get_free_memory(h->ctx, &free_kb) != 0 || need_kb <= free_kb)
        return VMHI_OK;
    return xen_error(VMHI_E_TRY_AGAIN, "xen: VM '%s' needs %llu MiB to be built and the host "
                     "has %llu MiB free now", name, (unsigned long long)(need_kb / 1024),
                     (unsigned long long)(free_kb / 1024));
}

/* libxl starts the hotplug scripts of a new domain's devices all at once,
 * each with LIBXL_HOTPLUG_TIMEOUT (40 s) from its start, and Linux's
 * scripts do most of their work under one lock per kind (block: "block";
 * vif-bridge: "iptables"): they run one after the other, so on a slow or
 * busy dom0 the last ones time out and the whole start fails.  16 disks
 * at ~4 s a script in the test bed's TCG dom0 did not start
 * (conformance attach_beyond_device_limit[disk/live]; NetBSD's pkgsrc
 * raises that timeout for the same reason), and in a flake sweep at load
 * ~8 a soak VM with a few NICs did not either.  So a domain is built with
 * its first disk and its first NIC and gets the others one at a time,
 * each script with a timeout of its own, while it is still paused: the
 * guest finds them all when it starts, and libxl records them as the
 * domain's own (a reboot rebuilds it with all of them, and does the
 * same).  The scripts ran one after the other anyway, so a start takes
 * no longer. */
#define XEN_DEVICES_AT_BUILD 1

static int create_paused(xen_host *h, libxl_domain_config *dc, uint32_t *domid)
{
    int disks = dc->num_disks, nics = dc->num_nics;
    dc->num_disks = disks < XEN_DEVICES_AT_BUILD ? disks : XEN_DEVICES_AT_BUILD;
    dc->num_nics = nics < XEN_DEVICES_AT_BUILD ? nics : XEN_DEVICES_AT_BUILD;
    int lrc = libxl_domain_create_new(h->ctx, dc, domid, NULL, NULL);
    dc->num_disks = disks; /* disposed of with the rest */
    dc->num_nics = nics;
    for (int i = XEN_DEVICES_AT_BUILD; lrc == 0 && i < disks; i++)
        lrc = libxl_device_disk_add(h->ctx, *domid, &dc->disks[i], NULL);
    for (int i = XEN_DEVICES_AT_BUILD; lrc == 0 && i < nics; i++)
        lrc = libxl_device_nic_add(h->ctx, *domid, &dc->nics[i], NULL);
    return lrc;
}

static int build_domain(xen_conn *c, xen_vm *vm, libxl_domain_config *dc, bool paused)
{
    xen_host *h = c->host;
    uint32_t domid = XEN_NO_DOMID;
    int rc = check_free_memory(h, dc, vm->name);
    if (rc < 0)
        return rc;
    int lrc = create_paused(h, dc, &domid);
    if (lrc) {
        if (domid != XEN_NO_DOMID)
            libxl_domain_destroy(h->ctx, domid, NULL); /* half-built */
        return xen_libxl_error(lrc, "cannot build a domain for VM '%s'", vm->name);
    }
    vm->domid = domid;
    set_boot_target(h, vm);
    /* libxl leaves a new domain paused until unpaused. */
    if (!paused && (lrc = libxl_domain_unpause(h->ctx, domid, NULL)) != 0) {
        rc = xen_libxl_error(lrc, "cannot run the new domain %u of VM '%s'", domid,
                                 vm->name);
        xen_destroy_domain(h, vm);
        return rc;
    }
    xen_watch_domain(h, vm);
    return VMHI_OK;
}

int xen_boot_domain(xen_conn *c, xen_vm *vm, bool paused)
{
    libxl_domain_config dc;
    int rc = xen_domcfg_build(c, vm->live, &dc);
    if (rc == VMHI_OK)
        rc = build_domain(c, vm, &dc, paused);
    libxl_domain_config_dispose(&dc);
    return rc;
}

/* The guest rebooted (or a reset): the domain that shut down is replaced
 * by a new one of the configuration libxl recorded for it, devices
 * attached since the start included. */
static int rebuild_domain(xen_host *h, xen_vm *vm, bool paused)
{
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    int lrc = libxl_retrieve_domain_configuration(h->ctx, vm->domid, &dc, NULL);
    int rc = lrc ? xen_libxl_error(lrc, "cannot read the configuration of domain %u",
                                   vm->domid) : VMHI_OK;
    if (rc == VMHI_OK)
        rc = xen_destroy_domain(h, vm);
    if (rc == VMHI_OK) {
        uint32_t domid = XEN_NO_DOMID;
        dc.b_info.target_memkb = dc.b_info.max_memkb;
        lrc = create_paused(h, &dc, &domid);
        if (lrc) {
            if (domid != XEN_NO_DOMID)
                libxl_domain_destroy(h->ctx, domid, NULL);
            rc = xen_libxl_error(lrc, "cannot rebuild the domain of VM '%s'", vm->name);
        } else {
            vm->domid = domid;
            set_boot_target(h, vm);
            if (!paused)
                libxl_domain_unpause(h->ctx, domid, NULL);
            xen_watch_domain(h, vm);
        }
    }
    libxl_domain_config_dispose(&dc);
    return rc;
}

void xen_reboot_domain(xen_host *h, xen_vm *vm)
{
    if (rebuild_domain(h, vm, false) == VMHI_OK) {
        xen_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_REBOOTED);
        return;
    }
    xen_log(h, VMHI_LOG_ERROR, "VM '%s' rebooted, but no new domain could be built: %s",
            vm->name, vmhi_error_last_message());
    xen_transition(h, vm, VMHI_STATE_CRASHED, VMHI_REASON_CRASHED);
}

/* ------------------------------------------------------------ start, create */

static int restore_domain(xen_conn *c, xen_vm *vm)
{
    xen_host *h = c->host;
    char *path = xen_store_save_path(h, vm->uuid);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    int rc = fd >= 0 ? VMHI_OK
             : xen_error(path ? VMHI_E_NOT_FOUND : VMHI_E_NOMEM, "xen: cannot open the saved "
                         "image of VM '%s' (%s): %s", vm->name, path ? path : "",
                         strerror(errno));
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    if (rc == VMHI_OK)
        rc = xen_domcfg_build(c, vm->live, &dc);
    if (rc == VMHI_OK)
        rc = check_free_memory(h, &dc, vm->name);
    if (rc == VMHI_OK) {
        libxl_domain_restore_params params;
        libxl_domain_restore_params_init(&params);
        /* libxl_domain_suspend writes a v2 stream; the default (1) would
         * have libxl run convert-legacy-stream on it. */
        params.stream_version = 2;
        uint32_t domid = XEN_NO_DOMID;
        int lrc = libxl_domain_create_restore(h->ctx, &dc, &domid, fd, -1, &params, NULL, NULL);
        libxl_domain_restore_params_dispose(&params);
        if (lrc) {
            if (domid != XEN_NO_DOMID)
                libxl_domain_destroy(h->ctx, domid, NULL);
            rc = xen_libxl_error(lrc, "cannot restore VM '%s' from %s", vm->name, path);
        } else {
            vm->domid = domid;
            libxl_domain_unpause(h->ctx, domid, NULL);
            xen_watch_domain(h, vm);
        }
    }
    libxl_domain_config_dispose(&dc);
    if (fd >= 0)
        close(fd);
    xen_free(path);
    return rc;
}

int xen_start(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    int rc = xen_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK && xen_state_active(vm->state))
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is already %s", vm->name,
                       vmhi_vm_state_name(vm->state));
    bool restoring = rc == VMHI_OK && vm->state == VMHI_STATE_SUSPENDED;
    if (restoring && !(vm->live = xen_store_load_suspended(h, uuid)))
        xen_log(h, VMHI_LOG_WARN, "VM '%s': no live configuration saved with its image; "
                "restoring it with its definition", vm->name);
    if (rc == VMHI_OK && !vm->live)
        rc = vmhi_vm_config_copy(&vm->live, vm->def);
    if (rc < 0)
        return xen_unlock(c, rc);
    rc = restoring ? restore_domain(c, vm) : xen_boot_domain(c, vm, false);
    if (rc < 0) {
        vmhi_vm_config_free(vm->live);
        vm->live = NULL;
        return xen_unlock(c, rc);
    }
    if (restoring)
        xen_store_remove_save(h, uuid);
    xen_transition(h, vm, VMHI_STATE_RUNNING,
                   restoring ? VMHI_REASON_RESTORED : VMHI_REASON_BOOTED);
    return xen_unlock(c, VMHI_OK);
}

int xen_create(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out)
{
    (void)flags;
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_lock(c);
    xen_vm *vm = NULL;
    vmhi_vm_config *live = NULL;
    const char *uuid = vmhi_vm_config_get_uuid(cfg), *name = vmhi_vm_config_get_name(cfg);
    int rc = check_identity(h, uuid, name, &vm);
    if (rc == VMHI_OK && vm)
        rc = xen_error(VMHI_E_EXISTS, "xen: VM '%s' already exists; start it instead", name);
    if (rc == VMHI_OK)
        rc = xen_config_prepare(h, cfg, &live);
    if (rc == VMHI_OK)
        rc = xen_vm_add(h, uuid, name, &vm);
    if (rc < 0) {
        vmhi_vm_config_free(live);
        return xen_unlock(c, rc);
    }
    vm->live = live;
    rc = xen_boot_domain(c, vm, false);
    if (rc < 0) {
        xen_vm_remove(h, vm); /* was never visible: no event */
        return xen_unlock(c, rc);
    }
    fill_ref(vm, out);
    xen_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_BOOTED);
    return xen_unlock(c, VMHI_OK);
}

/* -------------------------------------------------------------- stopping */

/* Common entry of the slots on an existing VM: lock, find, check state. */
static int enter(xen_conn *c, const char *uuid, unsigned allowed, const char *what,
                 xen_vm **out)
{
    xen_lock(c);
    int rc = xen_get_vm(c->host, uuid, out);
    if (rc == VMHI_OK && !(allowed & (1u << (*out)->state)))
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: cannot %s VM '%s': it is %s", what,
                       (*out)->name, vmhi_vm_state_name((*out)->state));
    return rc;
}

#define ST(s) (1u << VMHI_STATE_##s)

int xen_shutdown(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags; /* DEFAULT or PV: both are the xenstore control/shutdown key */
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING) | ST(SHUTTING_DOWN), "shut down", &vm);
    if (rc < 0 || vm->state == VMHI_STATE_SHUTTING_DOWN)
        return xen_unlock(c, rc); /* LC-SHUTDOWN: a repeated request changes nothing */
    rc = xen_guest_request(c->host, vm->domid, "poweroff");
    if (rc < 0)
        return xen_unlock(c, rc);
    xen_transition(c->host, vm, VMHI_STATE_SHUTTING_DOWN, VMHI_REASON_SHUTDOWN_REQUESTED);
    return xen_unlock(c, VMHI_OK);
}

int xen_poweroff(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING) | ST(PAUSED) | ST(SHUTTING_DOWN) | ST(SUSPENDED) |
                   ST(CRASHED), "power off", &vm);
    if (rc == VMHI_OK)
        rc = xen_destroy_domain(c->host, vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    xen_store_remove_save(c->host, uuid); /* LC-POWEROFF-4 */
    xen_transition(c->host, vm, VMHI_STATE_SHUTOFF, VMHI_REASON_POWEROFF);
    return xen_unlock(c, VMHI_OK);
}

int xen_reboot(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING), "reboot", &vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    /* A request: the guest shuts down with reason reboot, and the event
     * thread builds the new domain (running / rebooted). */
    return xen_unlock(c, xen_guest_request(c->host, vm->domid, "reboot"));
}

int xen_reset(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING) | ST(PAUSED), "reset", &vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    /* PV has no reset line: a hard reset is a new domain of the same
     * configuration, in the same run state. */
    bool paused = vm->state == VMHI_STATE_PAUSED;
    rc = rebuild_domain(c->host, vm, paused);
    if (rc < 0) {
        if (vm->domid == XEN_NO_DOMID) /* the old domain is gone already */
            xen_transition(c->host, vm, VMHI_STATE_CRASHED, VMHI_REASON_CRASHED);
        return xen_unlock(c, rc);
    }
    xen_transition(c->host, vm, paused ? VMHI_STATE_PAUSED : VMHI_STATE_RUNNING,
                   VMHI_REASON_RESET);
    return xen_unlock(c, VMHI_OK);
}

int xen_pause(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING), "pause", &vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    int lrc = libxl_domain_pause(c->host->ctx, vm->domid, NULL);
    if (lrc)
        return xen_unlock(c, xen_libxl_error(lrc, "cannot pause VM '%s'", vm->name));
    xen_transition(c->host, vm, VMHI_STATE_PAUSED, VMHI_REASON_USER);
    return xen_unlock(c, VMHI_OK);
}

int xen_resume(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(PAUSED), "resume", &vm);
    if (rc < 0)
        return xen_unlock(c, rc);
    int lrc = libxl_domain_unpause(c->host->ctx, vm->domid, NULL);
    if (lrc)
        return xen_unlock(c, xen_libxl_error(lrc, "cannot resume VM '%s'", vm->name));
    xen_transition(c->host, vm, VMHI_STATE_RUNNING, VMHI_REASON_USER);
    return xen_unlock(c, VMHI_OK);
}

/* A PV guest saves itself: libxl asks it through control/shutdown, and
 * only a guest whose suspend handler is up answers; Linux announces that
 * with control/feature-suspend once its xenbus runs.  Asked before (just
 * started, still booting), libxl's save fails with a bare "internal
 * error".  So a suspend waits for the announcement, with the guest
 * running: a paused guest is unpaused for it (and paused again if the
 * suspend fails). */
#define SUSPEND_READY_MS 60000
#define SUSPEND_POLL_MS 50

static int wait_suspendable(xen_host *h, const xen_vm *vm)
{
    for (int waited = 0; !xen_guest_has(h, vm->domid, "control/feature-suspend");
         waited += SUSPEND_POLL_MS) {
        if (waited >= SUSPEND_READY_MS)
            return xen_error(VMHI_E_TIMEOUT, "xen: VM '%s' has not announced within %d s "
                             "that it can suspend (control/feature-suspend): a PV guest "
                             "suspends itself, and its kernel needs Xen suspend support",
                             vm->name, SUSPEND_READY_MS / 1000);
        usleep(SUSPEND_POLL_MS * 1000);
    }
    return VMHI_OK;
}

static int save_domain(xen_host *h, xen_vm *vm, int fd, const char *path)
{
    bool paused = vm->state == VMHI_STATE_PAUSED;
    if (paused)
        libxl_domain_unpause(h->ctx, vm->domid, NULL);
    int rc = wait_suspendable(h, vm);
    if (rc == VMHI_OK) {
        xen_unwatch_domain(h, vm); /* its shutdown (reason suspend) is ours */
        vm->destroying = true;
        int lrc = libxl_domain_suspend(h->ctx, vm->domid, fd, 0, NULL);
        vm->destroying = false;
        if (lrc == 0 && fsync(fd) != 0)
            rc = xen_error(VMHI_E_IO, "xen: cannot write %s: %s", path, strerror(errno));
        if (lrc) {
            rc = xen_libxl_error(lrc, "cannot save VM '%s' to %s", vm->name, path);
            /* The guest may have suspended already: let it run on. */
            libxl_domain_resume(h->ctx, vm->domid, 1, NULL);
        }
        if (rc < 0)
            xen_watch_domain(h, vm);
    }
    if (rc < 0 && paused)
        libxl_domain_pause(h->ctx, vm->domid, NULL);
    return rc;
}

/* Saves the domain's memory to <state>/<uuid>.save (libxl's stream:
 * libxl-save-helper writes it), then destroys the domain.  A failed save
 * leaves the domain running and no image. */
int xen_suspend(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags;
    xen_conn *c = priv;
    xen_host *h = c->host;
    xen_vm *vm = NULL;
    int rc = enter(c, uuid, ST(RUNNING) | ST(PAUSED), "suspend", &vm);
    if (rc == VMHI_OK && !vm->def)
        rc = xen_error(VMHI_E_INVALID_STATE, "xen: VM '%s' is transient: only a defined VM "
                       "can be suspended (start restores it from its definition)", vm->name);
    if (rc < 0)
        return xen_unlock(c, rc);
    char *path = xen_store_save_path(h, uuid);
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
    if (fd < 0) {
        rc = xen_error(path ? VMHI_E_IO : VMHI_E_NOMEM, "xen: cannot write the saved image "
                       "of VM '%s' (%s): %s", vm->name, path ? path : "", strerror(errno));
        xen_free(path);
        return xen_unlock(c, rc);
    }
    rc = xen_store_save_suspended(h, uuid, vm->live);
    if (rc == VMHI_OK)
        rc = save_domain(h, vm, fd, path);
    close(fd);
    if (rc < 0) {
        xen_store_remove_save(h, uuid);
        xen_free(path);
        return xen_unlock(c, rc);
    }
    xen_free(path);
    rc = xen_destroy_domain(h, vm);
    xen_transition(h, vm, VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED);
    return xen_unlock(c, rc);
}
