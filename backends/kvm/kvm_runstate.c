/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The runtime record of an active (or crashed) VM: <run_dir>/<uuid>.state.
 *
 * "key=value" lines, an empty line, then the live config as VMHI XML:
 *   state=running|paused|shutting-down|crashed   reason=<reason name>
 *   pid=<pid> starttime=<clock ticks after boot> boot_id=<this boot>
 *   ports=<pcie-root-ports provisioned>
 *   dev=disk|nic:<port>:<id>[:pending|:hidden]   one per hot-pluggable device
 * A transient VM has only this file.  A new process reads it to manage the
 * QEMU again: it checks that the pid is still the QEMU that was started
 * (same boot, same start time), reconnects to <uuid>.qmp and asks QEMU
 * for its status.  A record whose QEMU is gone is cleaned up: the VM is
 * shut off (reason unknown: nobody saw why it stopped) or, if transient,
 * forgotten.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

char *kvm_record_format(vmhi_vm_state st, vmhi_state_reason why, const kvm_run *run,
                        unsigned int ports, const kvm_dev *devs, bool reset_echo,
                        const vmhi_vm_config *cfg, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fprintf(f, "state=%s\nreason=%s\n", vmhi_vm_state_name(st), vmhi_state_reason_name(why));
    if (run)
        fprintf(f, "pid=%d\nstarttime=%llu\nboot_id=%s\n", (int)run->proc.pid,
                run->proc.starttime, kvm_boot_id());
    if (ports)
        fprintf(f, "ports=%u\n", ports);
    if (reset_echo)
        fputs("reset_echo=1\n", f);
    for (const kvm_dev *d = devs; d; d = d->next)
        fprintf(f, "dev=%s:%u:%s%s\n", d->type == VMHI_DEVICE_DISK ? "disk" : "nic", d->port,
                d->id, d->hidden ? ":hidden" : d->pending ? ":pending" : "");
    fputc('\n', f);
    char *xml = NULL;
    bool ok = true;
    if (cfg) {
        ok = vmhi_vm_config_to_xml(cfg, &xml) == VMHI_OK;
        if (ok)
            fputs(xml, f);
        vmhi_free(xml);
    }
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *format(const kvm_vm *vm, size_t *len)
{
    const kvm_run *run = vm->run;
    return kvm_record_format(vm->state, vm->reason, run, run ? run->nports : 0,
                             run ? run->devs : NULL, false, vm->live, len);
}

void kvm_runstate_save(kvm_host *h, const kvm_vm *vm)
{
    size_t len = 0;
    char *text = format(vm, &len);
    char name[64];
    snprintf(name, sizeof(name), "%s.state", vm->uuid);
    if (!text || kvm_store_write_atomic(h->paths.run_dir, name, text, len) != VMHI_OK)
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: cannot record the state of VM '%s' in %s",
                      vm->name, h->paths.run_dir);
    free(text);
}

void kvm_runstate_remove(kvm_host *h, const char *uuid)
{
    char name[64];
    snprintf(name, sizeof(name), "%s.state", uuid);
    if (kvm_store_remove(h->paths.run_dir, name) != VMHI_OK)
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: cannot remove the state record of %s", uuid);
}

/* ------------------------------------------------------------- loading */

typedef kvm_record record;

/* The public lookups; a pending error survives them through kvm_keep_error. */
static int parse_state(const char *v, vmhi_vm_state *out)
{
    return vmhi_vm_state_from_name(v, out) == VMHI_OK ? 0 : -1;
}

static void parse_reason(const char *v, vmhi_state_reason *out)
{
    if (vmhi_state_reason_from_name(v, out) != VMHI_OK)
        *out = VMHI_REASON_UNKNOWN;
}

/* A whole decimal number in [@min, @max]: no sign, no blanks, no
 * trailing bytes (strtoull alone takes "-1" as its largest value). */
static int parse_number(const char *v, unsigned long long min, unsigned long long max,
                        unsigned long long *out)
{
    if (*v < '0' || *v > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* The process facts and counts: a value out of range would name another
 * process (a pid_t is an int) or more root ports than a QEMU can have. */
static int parse_numeric(const char *k, const char *v, record *rec)
{
    unsigned long long n;
    if (strcmp(k, "pid") == 0) {
        if (parse_number(v, 1, INT_MAX, &n) < 0)
            return -1;
        rec->pid = (long)n;
    } else if (strcmp(k, "starttime") == 0) {
        if (parse_number(v, 0, ULLONG_MAX, &n) < 0)
            return -1;
        rec->starttime = n;
    } else {
        if (parse_number(v, 0, KVM_MAX_PORTS, &n) < 0)
            return -1;
        rec->ports = (unsigned int)n;
    }
    return 0;
}

static int parse_dev(const char *v, record *rec)
{
    char kind[8], digits[16], id[VMHI_DEVICE_ID_MAX + 1];
    unsigned long long port;
    int used = -1;
    /* kind:port:id, then nothing or :pending or :hidden; an id longer than
     * any VMHI id stops the match before the end. */
    if (sscanf(v, "%7[a-z]:%15[0-9]:%63[A-Za-z0-9_-]%n", kind, digits, id, &used) < 3 ||
        used < 0 || (strcmp(kind, "disk") != 0 && strcmp(kind, "nic") != 0) ||
        parse_number(digits, 0, KVM_MAX_PORTS - 1, &port) < 0)
        return -1;
    const char *flag = v + used;
    if (flag[0] && strcmp(flag, ":pending") != 0 && strcmp(flag, ":hidden") != 0)
        return -1;
    kvm_dev *d = kvm_alloc(sizeof(*d));
    if (!d)
        return -1;
    d->type = strcmp(kind, "disk") == 0 ? VMHI_DEVICE_DISK : VMHI_DEVICE_NIC;
    d->port = (unsigned int)port;
    snprintf(d->id, sizeof(d->id), "%s", id);
    d->hidden = strcmp(flag, ":hidden") == 0;
    d->pending = d->hidden || strcmp(flag, ":pending") == 0;
    kvm_dev **tail = &rec->devs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = d;
    return 0;
}

/* Parses the header lines in place; rec->xml points at the config. */
int kvm_record_parse(char *text, record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->state = 0;
    char *line = text;
    while (line && *line && *line != '\n') {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        int bad = 0;
        if (strcmp(k, "state") == 0)
            bad = parse_state(v, &rec->state);
        else if (strcmp(k, "reason") == 0)
            parse_reason(v, &rec->reason);
        else if (strcmp(k, "pid") == 0 || strcmp(k, "starttime") == 0 ||
                 strcmp(k, "ports") == 0)
            bad = parse_numeric(k, v, rec);
        else if (strcmp(k, "boot_id") == 0)
            snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", v);
        else if (strcmp(k, "dev") == 0)
            bad = parse_dev(v, rec);
        else if (strcmp(k, "reset_echo") == 0)
            rec->reset_echo = strcmp(v, "1") == 0;
        if (bad)
            return -1;
        line = next;
    }
    rec->xml = line && *line == '\n' ? line + 1 : "";
    return rec->state ? 0 : -1;
}

static void remove_files(kvm_host *h, const char *uuid)
{
    kvm_runstate_remove(h, uuid);
    char *sock = kvm_store_run_path(h, uuid, ".qmp");
    if (sock)
        unlink(sock);
    kvm_free(sock);
}

/* Finds the VM a record belongs to, creating a transient one from its
 * live config when there is no definition. */
static int record_vm(kvm_host *h, const char *uuid, const record *rec, kvm_vm **out)
{
    vmhi_vm_config *live = NULL;
    if (rec->xml[0] && vmhi_vm_config_from_xml(&live, rec->xml, strlen(rec->xml)) != VMHI_OK)
        return kvm_error(VMHI_E_PARSE, "kvm: the runtime record of %s has an invalid config: "
                         "%s", uuid, kvm_last_message());
    kvm_vm *vm = kvm_host_find_uuid(h, uuid);
    if (!vm && !live)
        return VMHI_E_NO_VM;
    if (!vm) {
        vm = kvm_alloc(sizeof(*vm));
        if (!vm || kvm_host_add_vm(h, vm) != VMHI_OK) {
            kvm_free(vm);
            vmhi_vm_config_free(live);
            return VMHI_E_NOMEM;
        }
        snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
        snprintf(vm->name, sizeof(vm->name), "%s", vmhi_vm_config_get_name(live));
    }
    vmhi_vm_config_free(vm->live);
    vm->live = live;
    *out = vm;
    return VMHI_OK;
}

/* Takes up one record: crashed, running again under us, or stale. */
static int adopt(kvm_host *h, const char *uuid, record *rec)
{
    kvm_vm *vm = NULL;
    int rc = record_vm(h, uuid, rec, &vm);
    if (rc == VMHI_E_NO_VM) {
        remove_files(h, uuid);
        return VMHI_OK;
    }
    if (rc < 0)
        return rc;
    vm->state = rec->state;
    vm->reason = rec->reason;
    if (rec->state == VMHI_STATE_CRASHED)
        return VMHI_OK;
    kvm_run *run = kvm_run_new();
    if (!run)
        return VMHI_E_NOMEM;
    bool same_boot = strcmp(rec->boot_id, kvm_boot_id()) == 0;
    rc = same_boot && rec->pid > 0
        ? kvm_proc_attach((pid_t)rec->pid, rec->starttime, &run->proc) : VMHI_E_NO_VM;
    char *sock = kvm_store_run_path(h, uuid, ".qmp");
    if (rc == VMHI_OK && sock) {
        run->nports = rec->ports;
        run->devs = rec->devs;
        rec->devs = NULL;
        rc = kvm_start_reconnect(h, vm, run, sock);
        if (rc == VMHI_OK)
            run = NULL; /* linked */
    }
    kvm_free(sock);
    if (run && run->proc.pid > 0 && kvm_proc_alive(&run->proc)) {
        /* Alive but unreachable over QMP: nothing could manage it again. */
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: killing the unreachable QEMU of VM '%s'",
                      vm->name);
        kvm_proc_signal(&run->proc, SIGKILL);
        kvm_proc_wait_exit(&run->proc, KVM_KILL_WAIT_MS);
    }
    kvm_run_unref(run);
    if (rc == VMHI_OK)
        return VMHI_OK;
    /* Its QEMU is gone (or unreachable): nobody saw why it stopped. */
    kvm_store_log(h, VMHI_LOG_INFO, "kvm: VM '%s' stopped while no process managed it",
                  vm->name);
    remove_files(h, uuid);
    vm->state = VMHI_STATE_SHUTOFF;
    vm->reason = VMHI_REASON_UNKNOWN;
    vmhi_vm_config_free(vm->live);
    vm->live = NULL;
    if (!vm->def)
        kvm_host_remove_vm(h, vm);
    return VMHI_OK;
}

static int load_one(kvm_host *h, const char *file, const char *uuid)
{
    char *path = kvm_asprintf("%s/%s", h->paths.run_dir, file);
    char *text = kvm_store_read_text(path);
    record rec;
    int rc = VMHI_OK;
    if (!text || kvm_record_parse(text, &rec) != 0) {
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: removing unreadable runtime record %s",
                      path ? path : file);
        remove_files(h, uuid);
    } else {
        rc = adopt(h, uuid, &rec);
    }
    if (text)
        kvm_devs_free(rec.devs);
    free(text);
    kvm_free(path);
    return rc;
}

int kvm_runstate_load(kvm_host *h)
{
    DIR *d = opendir(h->paths.run_dir);
    if (!d)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot read %s: %s",
                                h->paths.run_dir, strerror(errno));
    int rc = VMHI_OK;
    struct dirent *de;
    while (rc == VMHI_OK && (de = readdir(d))) {
        const char *name = de->d_name;
        if (strncmp(name, ".tmp-", 5) == 0) {
            kvm_store_remove(h->paths.run_dir, name);
            continue;
        }
        if (strlen(name) != VMHI_UUID_STRLEN + 6 ||
            strcmp(name + VMHI_UUID_STRLEN, ".state") != 0)
            continue;
        char uuid[VMHI_UUID_STRLEN + 1];
        memcpy(uuid, name, VMHI_UUID_STRLEN);
        uuid[VMHI_UUID_STRLEN] = '\0';
        rc = load_one(h, name, uuid);
    }
    closedir(d);
    return rc;
}
