/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Suspend to a state file, and restore from it.
 *
 * Suspend (running or paused, persistent VMs): `stop`, then QEMU migrates
 * the VM into <data>/<uuid>.save through a descriptor passed with `getfd`
 * (`migrate fd:`; QEMU 7.2 has no file: URI, and exec: would run a shell),
 * with MIGRATION events telling when it is complete.  The file is synced
 * and renamed into place, <data>/<uuid>.suspended records what the new
 * QEMU must look like (root ports, each device's port, the live config),
 * and QEMU is told to quit: the VM is suspended (suspended).  A failed
 * migration resumes a VM that was running and changes nothing else.
 *
 * Restore (start of a suspended VM): a QEMU built from the record with
 * `-incoming defer` receives the file (`getfd` + `migrate-incoming`) and
 * is resumed with `cont`: running (restored).  If it fails the VM stays
 * suspended with its file, and the error says why.
 *
 * Detaches pending at suspend complete then (device-removed, and the
 * devices leave the live config), but the guest never released them: they
 * are in the state file, so the restored QEMU has them too, "hidden"
 * (kvm_dev.hidden): not listed, their id free, their port taken, and
 * asked to unplug again until the guest lets go.
 *
 * Both files live in the data directory, beside the definition: a
 * suspended VM survives reboots and new processes, and undefine removes
 * them.  Files are 0600 like everything else there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

#define SAVE_SUFFIX ".save"
#define RECORD_SUFFIX ".suspended"
#define SAVE_FDNAME "vmhi-state"

void kvm_saved_free(kvm_saved *s)
{
    if (!s)
        return;
    vmhi_vm_config_free(s->qemu_cfg);
    kvm_devs_free(s->devs);
    kvm_free(s);
}

static char *data_path(const kvm_host *h, const char *prefix, const char *uuid,
                       const char *suffix)
{
    return kvm_asprintf("%s/%s%s%s", h->paths.data_dir, prefix, uuid, suffix);
}

void kvm_suspend_discard(kvm_host *h, kvm_vm *vm)
{
    char name[64];
    snprintf(name, sizeof(name), "%s" RECORD_SUFFIX, vm->uuid);
    kvm_store_remove(h->paths.data_dir, name);
    snprintf(name, sizeof(name), "%s" SAVE_SUFFIX, vm->uuid);
    kvm_store_remove(h->paths.data_dir, name);
    kvm_saved_free(vm->saved);
    vm->saved = NULL;
}

/* ------------------------------------------------------------- helpers */

static int set_capability_events(kvm_host *h, const char *uuid)
{
    kvm_vm *vm;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc < 0)
        return rc;
    json_object *cap = json_object_new_object();
    json_object_object_add(cap, "capability", json_object_new_string("events"));
    json_object_object_add(cap, "state", json_object_new_boolean(1));
    json_object *caps = json_object_new_array();
    json_object_array_add(caps, cap);
    json_object *args = json_object_new_object();
    json_object_object_add(args, "capabilities", caps);
    return kvm_qmp_call(h, vm, "migrate-set-capabilities", args, NULL);
}

/* Hands @fd to QEMU as SAVE_FDNAME. */
static int pass_fd(kvm_host *h, const char *uuid, int fd)
{
    kvm_vm *vm;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc < 0)
        return rc;
    json_object *args = json_object_new_object();
    json_object_object_add(args, "fdname", json_object_new_string(SAVE_FDNAME));
    return kvm_qmp_call_fd(h, vm, "getfd", args, fd, NULL);
}

static int simple(kvm_host *h, const char *uuid, const char *cmd, json_object *args)
{
    kvm_vm *vm;
    int rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc < 0) {
        json_object_put(args);
        return rc;
    }
    return kvm_qmp_call(h, vm, cmd, args, NULL);
}

/* QEMU's reason for a failed migration, into @buf. */
static void migration_error(kvm_host *h, const char *uuid, char *buf, size_t size)
{
    kvm_vm *vm;
    json_object *info = NULL;
    snprintf(buf, size, "no reason given");
    if (kvm_host_get_vm(h, uuid, &vm) == VMHI_OK &&
        kvm_qmp_call(h, vm, "query-migrate", NULL, &info) == VMHI_OK &&
        kvm_json_str(info, "error-desc")) {
        snprintf(buf, size, "%s", kvm_json_str(info, "error-desc"));
    } else {
        /* An incoming migration says why only on QEMU's stderr. */
        char *log = kvm_store_run_path(h, uuid, ".log");
        if (log)
            kvm_start_log_tail(log, buf, size);
        kvm_free(log);
    }
    json_object_put(info);
}

/* Waits for @run's migration to end; VMHI_OK when it completed. */
static int wait_migration(kvm_host *h, const char *uuid, kvm_run *run, const char *what)
{
    /* The name now: the VM may be gone from the host once QEMU is. */
    const kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    char name[VMHI_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", vm ? vm->name : uuid);
    uint64_t deadline = kvm_now_ns() + (uint64_t)KVM_SAVE_TIMEOUT_MS * 1000000u;
    while (run->migration != KVM_MIGRATION_COMPLETED &&
           run->migration != KVM_MIGRATION_FAILED && !run->exited) {
        if (!kvm_wait_until(h, deadline) && kvm_now_ns() >= deadline)
            return kvm_error(VMHI_E_TIMEOUT, "kvm: %s of VM '%s' did not end within %u s",
                             what, name, KVM_SAVE_TIMEOUT_MS / 1000u);
    }
    if (run->exited)
        return kvm_error(VMHI_E_BACKEND, "kvm: the QEMU of VM '%s' exited while %s", name,
                         what);
    if (run->migration == KVM_MIGRATION_FAILED) {
        char why[400];
        migration_error(h, uuid, why, sizeof(why));
        return kvm_error_native(VMHI_E_BACKEND, "MigrationFailed", "kvm: %s of VM '%s' "
                                "failed: %s", what, name, why);
    }
    return VMHI_OK;
}

/* --------------------------------------------------------------- suspend */

/* The record of what runs now: devices pending a detach become hidden. */
static int write_record(kvm_host *h, const kvm_vm *vm)
{
    const kvm_run *run = vm->run;
    kvm_dev *devs = NULL, **tail = &devs;
    int rc = VMHI_OK;
    for (const kvm_dev *d = run->devs; d && rc == VMHI_OK; d = d->next) {
        kvm_dev *copy = kvm_alloc(sizeof(*copy));
        if (!copy) {
            rc = VMHI_E_NOMEM;
            break;
        }
        *copy = *d;
        copy->next = NULL;
        copy->hidden = d->pending;
        *tail = copy;
        tail = &copy->next;
    }
    /* A reset just before: the firmware's own reset is still to come and
     * comes after the restore (kvm_run.reset_echo_until). */
    bool echo = run->reset_echo_armed;
    size_t len = 0;
    char *text = rc == VMHI_OK ? kvm_record_format(VMHI_STATE_SUSPENDED, VMHI_REASON_SUSPENDED,
                                                   NULL, run->nports, devs, echo, vm->live,
                                                   &len)
                               : NULL;
    kvm_devs_free(devs);
    char name[64];
    snprintf(name, sizeof(name), "%s" RECORD_SUFFIX, vm->uuid);
    if (rc == VMHI_OK && !text)
        rc = kvm_error(VMHI_E_IO, "kvm: cannot describe the saved state of VM '%s'", vm->name);
    if (rc == VMHI_OK)
        rc = kvm_store_write_atomic(h->paths.data_dir, name, text, len);
    free(text);
    return rc;
}

/* Migrates into @fd; the file is complete and synced on success. */
static int save_to(kvm_host *h, const char *uuid, kvm_run *run, int fd)
{
    json_object *params = json_object_new_object();
    json_object_object_add(params, "max-bandwidth", json_object_new_int64(INT64_C(1) << 40));
    int rc = set_capability_events(h, uuid);
    if (rc == VMHI_OK)
        rc = simple(h, uuid, "migrate-set-parameters", params);
    else
        json_object_put(params);
    if (rc == VMHI_OK)
        rc = pass_fd(h, uuid, fd);
    run->migration = KVM_MIGRATION_NONE;
    json_object *args = json_object_new_object();
    json_object_object_add(args, "uri", json_object_new_string("fd:" SAVE_FDNAME));
    if (rc == VMHI_OK)
        rc = simple(h, uuid, "migrate", args);
    else
        json_object_put(args);
    if (rc == VMHI_OK)
        rc = wait_migration(h, uuid, run, "saving the state");
    if (rc == VMHI_OK && fdatasync(fd) != 0)
        rc = kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot sync the state file: %s",
                              strerror(errno));
    return rc;
}

/* Stops, saves and quits the QEMU of @uuid (claimed, running or paused). */
static int save_and_quit(kvm_host *h, const char *uuid)
{
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    kvm_run *run = vm->run;
    bool was_running = vm->state == VMHI_STATE_RUNNING;
    char *tmp = data_path(h, ".tmp-", uuid, SAVE_SUFFIX);
    char *final = data_path(h, "", uuid, SAVE_SUFFIX);
    int fd = tmp && final ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    int rc = tmp && final ? VMHI_OK : VMHI_E_NOMEM;
    if (rc == VMHI_OK && fd < 0)
        rc = kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create %s: %s", tmp,
                              strerror(errno));
    kvm_run_ref(run);
    run->suspending = rc == VMHI_OK;
    if (rc == VMHI_OK && was_running)
        rc = simple(h, uuid, "stop", NULL); /* a still image: no dirty-page rounds */
    if (rc == VMHI_OK)
        rc = save_to(h, uuid, run, fd);
    if (fd >= 0)
        close(fd);
    /* The record first: a record without its state file is discarded at
     * the next open, the temporary file is removed there too. */
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK && vm->run == run)
        rc = write_record(h, vm);
    if (rc == VMHI_OK && rename(tmp, final) != 0)
        rc = kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot rename %s: %s", tmp,
                              strerror(errno));
    if (rc == VMHI_OK && (rc = kvm_host_get_vm(h, uuid, &vm)) == VMHI_OK && vm->run == run) {
        run->suspended = true;
        rc = kvm_stop_process(h, vm);
    } else if (rc < 0) {
        /* What failed is the answer; the clean-up below may fail too (a
         * QEMU killed mid-suspend refuses the cont) and must not hide it. */
        int saved = rc;
        vmhi_saved_error *why = kvm_core->error_save();
        if (tmp)
            unlink(tmp);
        if (final)
            unlink(final);
        char name[64];
        snprintf(name, sizeof(name), "%s" RECORD_SUFFIX, uuid);
        kvm_store_remove(h->paths.data_dir, name);
        if (was_running && (vm = kvm_host_find_uuid(h, uuid)) && vm->run == run &&
            !run->exited && !run->qmp_closed)
            simple(h, uuid, "cont", NULL); /* as it was: no event, nothing changed */
        run->suspending = false;
        rc = why && kvm_core->error_restore(why) == saved ? saved : kvm_keep_error(saved);
    }
    kvm_run_unref(run);
    kvm_free(tmp);
    kvm_free(final);
    return rc;
}

int kvm_suspend(void *priv, const char *uuid, unsigned int flags)
{
    kvm_host *h = ((kvm_conn *)priv)->host;
    kvm_vm *vm;
    kvm_lock_conn(priv);
    int rc = flags ? kvm_error(VMHI_E_INVALID_ARG, "kvm: suspend takes no flags (got 0x%x); "
                               "pass 0", flags) : VMHI_OK;
    if (rc == VMHI_OK)
        rc = kvm_host_get_vm(h, uuid, &vm);
    if (rc == VMHI_OK)
        rc = kvm_require_state(vm, "suspend", VMHI_STATE_BIT(VMHI_STATE_RUNNING) |
                                              VMHI_STATE_BIT(VMHI_STATE_PAUSED));
    if (rc == VMHI_OK && !vm->def)
        rc = kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is transient; only a defined VM can be "
                       "suspended (define it first)", vm->name);
    if (rc == VMHI_OK && (!vm->run || vm->run->quit_sent))
        rc = kvm_error(VMHI_E_INVALID_STATE, "VM '%s' is being powered off", vm->name);
    if (rc == VMHI_OK) {
        kvm_vm_claim(vm);
        rc = save_and_quit(h, uuid);
        kvm_vm_release(h, uuid);
    }
    return kvm_unlock(h, rc);
}

/* Removes the devices that were pending from a live config. */
static vmhi_vm_config *without_pending(const vmhi_vm_config *cfg, const kvm_dev *devs)
{
    vmhi_vm_config *out = NULL;
    if (!cfg || kvm_config_copy(cfg, &out) != VMHI_OK)
        return NULL;
    for (const kvm_dev *d = devs; d; d = d->next) {
        if (!d->pending)
            continue;
        if (d->type == VMHI_DEVICE_DISK && kvm_config_find_disk(out, d->id))
            vmhi_vm_config_remove_disk(out, d->id);
        else if (d->type == VMHI_DEVICE_NIC && kvm_config_find_nic(out, d->id))
            vmhi_vm_config_remove_nic(out, d->id);
    }
    return out;
}

void kvm_suspend_retired(kvm_host *h, kvm_vm *vm)
{
    kvm_saved *s = kvm_alloc(sizeof(*s));
    vmhi_vm_config *live = without_pending(vm->live, vm->run->devs);
    if (!s || !live) {
        kvm_free(s);
        vmhi_vm_config_free(live);
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: out of memory recording suspended VM '%s'; "
                      "it is restored from its record at the next open", vm->name);
        return;
    }
    s->qemu_cfg = vm->live;
    s->nports = vm->run->nports;
    s->reset_echo = vm->run->reset_echo_armed;
    s->devs = vm->run->devs;
    vm->run->devs = NULL; /* retired with the run otherwise */
    for (kvm_dev *d = s->devs; d; d = d->next)
        d->hidden = d->pending;
    vm->live = live;
    kvm_saved_free(vm->saved);
    vm->saved = s;
}

/* --------------------------------------------------------------- restore */

/* Receives the state file into the just-spawned QEMU and resumes it. */
static int receive(kvm_host *h, const char *uuid, kvm_run *run, int fd)
{
    run->migration = KVM_MIGRATION_NONE;
    int rc = set_capability_events(h, uuid);
    if (rc == VMHI_OK)
        rc = pass_fd(h, uuid, fd);
    json_object *args = json_object_new_object();
    json_object_object_add(args, "uri", json_object_new_string("fd:" SAVE_FDNAME));
    if (rc == VMHI_OK)
        rc = simple(h, uuid, "migrate-incoming", args);
    else
        json_object_put(args);
    if (rc == VMHI_OK)
        rc = wait_migration(h, uuid, run, "restoring the state");
    if (rc == VMHI_OK)
        rc = simple(h, uuid, "cont", NULL); /* it was saved stopped */
    return rc;
}

/* The restored QEMU runs: the files go, the VM is running (restored), and
 * the devices the guest still holds are asked for again. */
static void restored(kvm_host *h, kvm_vm *vm)
{
    kvm_run *run = vm->run;
    run->restoring = false;
    kvm_suspend_discard(h, vm);
    kvm_vm_transition(h, vm, VMHI_STATE_RUNNING, VMHI_REASON_RESTORED);
    bool hidden = false;
    for (const kvm_dev *d = run->devs; d; d = d->next) {
        if (!d->hidden)
            continue;
        char qid[VMHI_DEVICE_ID_MAX + 16];
        kvm_dev_qemu_id(d, qid, sizeof(qid));
        json_object *args = json_object_new_object();
        json_object_object_add(args, "id", json_object_new_string(qid));
        kvm_qmp_send_async(h, run, "device_del", args);
        hidden = true;
    }
    if (hidden)
        kvm_nudge_arm(h, run);
}

int kvm_suspend_restore(kvm_conn *c, kvm_vm *vm)
{
    kvm_host *h = c->host;
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    if (!vm->saved)
        return kvm_error(VMHI_E_IO, "kvm: the record of suspended VM '%s' could not be read; "
                         "undefine it to discard its saved state", vm->name);
    char *path = data_path(h, "", uuid, SAVE_SUFFIX);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    int rc = path ? VMHI_OK : VMHI_E_NOMEM;
    if (rc == VMHI_OK && fd < 0)
        rc = kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot open the saved state %s of VM "
                              "'%s': %s", path, vm->name, strerror(errno));
    kvm_free(path);
    if (rc == VMHI_OK)
        rc = kvm_start_process(c, vm, vm->saved);
    kvm_run *run = rc == VMHI_OK ? vm->run : NULL;
    if (run) {
        kvm_run_ref(run);
        run->reset_echo_armed = vm->saved->reset_echo; /* opens when it runs again */
        rc = receive(h, uuid, run, fd);
    }
    if (fd >= 0)
        close(fd);
    if (rc == VMHI_OK && (vm = kvm_host_find_uuid(h, uuid)) && vm->run == run) {
        restored(h, vm);
    } else if (run) {
        int saved = rc;
        if ((vm = kvm_host_find_uuid(h, uuid)) && vm->run == run) {
            kvm_proc_signal(&run->proc, SIGKILL); /* still restoring: stays suspended */
            while (!run->exited && kvm_host_find_uuid(h, uuid) == vm && vm->run == run)
                kvm_wait_until(h, kvm_now_ns() + (uint64_t)KVM_KILL_WAIT_MS * 1000000u);
        }
        rc = kvm_keep_error(saved < 0 ? saved : kvm_error(VMHI_E_BACKEND, "kvm: restoring VM "
                                                          "%s failed", uuid));
    }
    kvm_run_unref(run);
    return rc;
}

/* ------------------------------------------------------------- loading */

/* The record of @vm, read from its file, as vm->saved and vm->live. */
static int load_record(kvm_host *h, kvm_vm *vm, char *text)
{
    kvm_record rec;
    vmhi_vm_config *cfg = NULL;
    int rc = kvm_record_parse(text, &rec) == 0 && rec.state == VMHI_STATE_SUSPENDED
        ? VMHI_OK : kvm_error(VMHI_E_PARSE, "kvm: malformed record");
    if (rc == VMHI_OK && vmhi_vm_config_from_xml(&cfg, rec.xml, strlen(rec.xml)) != VMHI_OK)
        rc = kvm_error(VMHI_E_PARSE, "kvm: invalid config: %s", kvm_last_message());
    kvm_saved *s = rc == VMHI_OK ? kvm_alloc(sizeof(*s)) : NULL;
    if (rc == VMHI_OK && !s)
        rc = VMHI_E_NOMEM;
    vmhi_vm_config *live = NULL;
    if (rc == VMHI_OK && !(live = without_pending(cfg, rec.devs)))
        rc = VMHI_E_NOMEM;
    if (rc < 0) {
        kvm_devs_free(rec.devs);
        vmhi_vm_config_free(cfg);
        kvm_free(s);
        return rc;
    }
    s->qemu_cfg = cfg;
    s->nports = rec.ports;
    s->reset_echo = rec.reset_echo;
    s->devs = rec.devs;
    vm->saved = s;
    vmhi_vm_config_free(vm->live);
    vm->live = live;
    vm->state = VMHI_STATE_SUSPENDED;
    vm->reason = VMHI_REASON_SUSPENDED;
    return VMHI_OK;
}

static void load_one(kvm_host *h, const char *uuid)
{
    char *path = data_path(h, "", uuid, RECORD_SUFFIX);
    char *save = data_path(h, "", uuid, SAVE_SUFFIX);
    char *text = kvm_store_read_text(path);
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    bool ok = text && vm && vm->def && save && access(save, R_OK) == 0 &&
              load_record(h, vm, text) == VMHI_OK;
    if (!ok) {
        /* No definition, no state file or no sense: nothing to restore. */
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: discarding the saved state of %s (%s)", uuid,
                      !vm || !vm->def ? "the VM is not defined" : "unreadable or incomplete");
        if (path)
            unlink(path);
        if (save)
            unlink(save);
    }
    free(text);
    kvm_free(path);
    kvm_free(save);
}

int kvm_suspend_load(kvm_host *h)
{
    DIR *d = opendir(h->paths.data_dir);
    if (!d)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot read %s: %s",
                                h->paths.data_dir, strerror(errno));
    size_t want = VMHI_UUID_STRLEN + strlen(RECORD_SUFFIX);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strlen(de->d_name) != want ||
            strcmp(de->d_name + VMHI_UUID_STRLEN, RECORD_SUFFIX) != 0)
            continue;
        char uuid[VMHI_UUID_STRLEN + 1];
        memcpy(uuid, de->d_name, VMHI_UUID_STRLEN);
        uuid[VMHI_UUID_STRLEN] = '\0';
        load_one(h, uuid);
    }
    closedir(d);
    return VMHI_OK;
}
