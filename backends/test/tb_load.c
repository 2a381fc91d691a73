/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Loading a test host from its directory (layout in tb_store.c).  Files
 * are read in name order: definitions first, then runtime state.  Left-over
 * temporary files are removed; files that are not ours are ignored; a file
 * of ours that does not parse fails the open with VMHI_E_PARSE naming it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tb.h"
#include "tb_store.h"

typedef struct name_list {
    char **names;
    size_t count, cap;
} name_list;

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        tb_free(l->names[i]);
    tb_free(l->names);
}

static int names_add(name_list *l, const char *name)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **names = tb_alloc(cap * sizeof(*names));
        if (!names)
            return VMHI_E_NOMEM;
        if (l->count)
            memcpy(names, l->names, l->count * sizeof(*names));
        tb_free(l->names);
        l->names = names;
        l->cap = cap;
    }
    l->names[l->count] = tb_strdup(name);
    return l->names[l->count++] ? VMHI_OK : VMHI_E_NOMEM;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(tb_host *h, name_list *out)
{
    DIR *d = opendir(h->dir);
    if (!d)
        return tb_error(VMHI_E_IO, "test backend: cannot read directory %s: %s", h->dir,
                        strerror(errno));
    int rc = VMHI_OK;
    struct dirent *e;
    while (rc == VMHI_OK && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = names_add(out, e->d_name);
    closedir(d);
    if (rc == VMHI_OK && out->count)
        qsort(out->names, out->count, sizeof(out->names[0]), compare_names);
    return rc;
}

/* Whether @name is "<lower-case uuid><suffix>"; copies the UUID. */
static bool is_vm_file(const char *name, const char *suffix, char uuid[VMHI_UUID_STRLEN + 1])
{
    if (strlen(name) != VMHI_UUID_STRLEN + strlen(suffix) ||
        strcmp(name + VMHI_UUID_STRLEN, suffix) != 0)
        return false;
    for (int i = 0; i < VMHI_UUID_STRLEN; i++) {
        char c = name[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    memcpy(uuid, name, VMHI_UUID_STRLEN);
    uuid[VMHI_UUID_STRLEN] = '\0';
    return true;
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return tb_error(VMHI_E_IO, "test backend: cannot read %s: %s", path, strerror(errno));
    struct stat st;
    int rc = VMHI_OK;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || st.st_size > TB_STORE_MAX_FILE)
        rc = tb_error(VMHI_E_PARSE, "test backend: %s is corrupted: not a regular file of "
                      "at most %u bytes; repair or remove it", path, TB_STORE_MAX_FILE);
    else if (!(*data = tb_alloc((size_t)st.st_size + 1)))
        rc = VMHI_E_NOMEM;
    else if (fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        rc = tb_error(VMHI_E_IO, "test backend: cannot read %s", path);
    if (rc == VMHI_OK) {
        (*data)[st.st_size] = '\0';
        *len = (size_t)st.st_size;
    } else {
        tb_free(*data);
        *data = NULL;
    }
    fclose(f);
    return rc;
}

static int corrupt(const char *path, const char *what)
{
    return tb_error(VMHI_E_PARSE, "test backend: %s is corrupted: %s; repair or remove the file",
                    path, what);
}

/* Parses a VMHI XML document and checks that it describes @uuid. */
static int parse_config(const char *path, const char *xml, size_t len, const char *uuid,
                        vmhi_vm_config **out)
{
    if (vmhi_vm_config_from_xml(out, xml, len) != VMHI_OK)
        return corrupt(path, tb_last_message());
    const char *got = vmhi_vm_config_get_uuid(*out);
    if (!got || strcmp(got, uuid) != 0) {
        char what[160];
        snprintf(what, sizeof(what), "it describes UUID %s, but its name says %s",
                 got ? got : "(none)", uuid);
        vmhi_vm_config_free(*out);
        *out = NULL;
        return corrupt(path, what);
    }
    return VMHI_OK;
}

static int check_name_free(tb_host *h, const char *path, const char *name)
{
    const tb_vm *other = tb_host_find_name(h, name);
    if (!other)
        return VMHI_OK;
    char what[VMHI_NAME_MAX + 128];
    snprintf(what, sizeof(what), "its VM name '%s' is also used by %s", name, other->uuid);
    return corrupt(path, what);
}

static int new_vm(tb_host *h, const char *uuid, vmhi_vm_config *def, vmhi_vm_config *live)
{
    tb_vm *vm = tb_alloc(sizeof(*vm));
    if (!vm)
        return VMHI_E_NOMEM;
    snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
    snprintf(vm->name, sizeof(vm->name), "%s", vmhi_vm_config_get_name(def ? def : live));
    vm->def = def;
    vm->live = live;
    vm->state = VMHI_STATE_SHUTOFF;
    vm->reason = VMHI_REASON_DEFINED;
    int rc = tb_host_add_vm(h, vm);
    if (rc < 0) {
        vm->def = vm->live = NULL; /* the caller still owns them */
        tb_vm_free(vm);
    }
    return rc;
}

static int load_def(tb_host *h, const char *uuid, const char *path)
{
    char *xml = NULL;
    size_t len = 0;
    vmhi_vm_config *cfg = NULL, *ready = NULL;
    int rc = read_file(path, &xml, &len);
    if (rc == VMHI_OK)
        rc = parse_config(path, xml, len, uuid, &cfg);
    if (rc == VMHI_OK)
        rc = check_name_free(h, path, vmhi_vm_config_get_name(cfg));
    /* A hand-written definition may leave MACs to the backend. */
    if (rc == VMHI_OK)
        rc = tb_config_prepare(h, cfg, &ready);
    if (rc == VMHI_OK)
        rc = new_vm(h, uuid, ready, NULL);
    if (rc < 0)
        vmhi_vm_config_free(ready);
    vmhi_vm_config_free(cfg);
    tb_free(xml);
    return rc;
}

/* ------------------------------------------------------------ .state */

typedef struct state_record {
    vmhi_vm_state state;
    vmhi_state_reason reason;
    uint64_t cpu_ns;
    tb_pending *pending;
    const char *live_xml; /* points into the file buffer; "" when absent */
} state_record;

static bool parse_pending(const char *s, state_record *rec)
{
    vmhi_device_type type;
    if (strncmp(s, "disk:", 5) == 0)
        type = VMHI_DEVICE_DISK;
    else if (strncmp(s, "nic:", 4) == 0)
        type = VMHI_DEVICE_NIC;
    else
        return false;
    const char *id = strchr(s, ':') + 1;
    if (!*id || strlen(id) > VMHI_DEVICE_ID_MAX)
        return false;
    tb_pending *p = tb_alloc(sizeof(*p));
    if (!p)
        return false;
    p->type = type;
    snprintf(p->id, sizeof(p->id), "%s", id);
    p->next = rec->pending;
    rec->pending = p;
    return true;
}

/* Applies one "key=value" line (modified in place). */
static bool parse_state_line(char *line, state_record *rec)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return false;
    *eq = '\0';
    const char *key = line, *value = eq + 1;
    if (strcmp(key, "state") == 0)
        return vmhi_vm_state_from_name(value, &rec->state) == VMHI_OK;
    if (strcmp(key, "reason") == 0)
        return vmhi_state_reason_from_name(value, &rec->reason) == VMHI_OK;
    if (strcmp(key, "cpu_time_ns") == 0) {
        char *end;
        errno = 0;
        rec->cpu_ns = strtoull(value, &end, 10);
        return errno == 0 && end != value && *end == '\0';
    }
    if (strcmp(key, "pending") == 0)
        return parse_pending(value, rec);
    return false;
}

/* Splits @text (modified) into header lines and the live XML. */
static int parse_state_text(const char *path, char *text, state_record *rec)
{
    rec->state = 0;
    char *line = text;
    for (;;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            return corrupt(path, "the header does not end with an empty line");
        *nl = '\0';
        if (*line == '\0')
            break;
        if (!parse_state_line(line, rec)) {
            char what[200];
            snprintf(what, sizeof(what), "bad line '%.120s'", line);
            return corrupt(path, what);
        }
        line = nl + 1;
    }
    rec->live_xml = line + 1; /* just past the empty line */
    if (rec->state == 0)
        return corrupt(path, "no state= line");
    return VMHI_OK;
}

/* The live config of a .state file, stored like every config of this host
 * (a hand-written one may leave buses, models and MACs to the backend). */
static int parse_live(tb_host *h, const char *path, const char *xml, const char *uuid,
                      vmhi_vm_config **out)
{
    vmhi_vm_config *parsed = NULL;
    int rc = parse_config(path, xml, strlen(xml), uuid, &parsed);
    if (rc == VMHI_OK)
        rc = tb_config_prepare(h, parsed, out);
    vmhi_vm_config_free(parsed);
    return rc;
}

static int check_pending(const char *path, const state_record *rec, const vmhi_vm_config *live)
{
    for (const tb_pending *p = rec->pending; p; p = p->next) {
        bool found = p->type == VMHI_DEVICE_DISK ? tb_config_find_disk(live, p->id) != NULL
                                                 : tb_config_find_nic(live, p->id) != NULL;
        if (!found) {
            char what[128];
            snprintf(what, sizeof(what), "pending device '%s' is not in the live config",
                     p->id);
            return corrupt(path, what);
        }
    }
    return VMHI_OK;
}

/* Gives an active, suspended or crashed VM its runtime state. */
static int apply_active_state(tb_host *h, const char *uuid, const char *path,
                              state_record *rec)
{
    vmhi_vm_config *live = NULL;
    tb_vm *vm = tb_host_find_uuid(h, uuid);
    int rc = parse_live(h, path, rec->live_xml, uuid, &live);
    if (rc == VMHI_OK && vm && strcmp(vm->name, vmhi_vm_config_get_name(live)) != 0)
        rc = corrupt(path, "the live config names another VM than the definition");
    if (rc == VMHI_OK && !vm && rec->state == VMHI_STATE_SUSPENDED)
        rc = corrupt(path, "a transient VM cannot be suspended");
    if (rc == VMHI_OK)
        rc = check_pending(path, rec, live);
    if (rc == VMHI_OK && !vm) {
        rc = check_name_free(h, path, vmhi_vm_config_get_name(live));
        if (rc == VMHI_OK)
            rc = new_vm(h, uuid, NULL, live);
        if (rc == VMHI_OK)
            vm = tb_host_find_uuid(h, uuid);
    } else if (rc == VMHI_OK) {
        vm->live = live;
    }
    if (rc < 0) {
        vmhi_vm_config_free(live);
        return rc;
    }
    vm->state = rec->state;
    vm->reason = rec->reason;
    vm->cpu_ns = rec->cpu_ns;
    vm->run_since_ns = tb_now_ns();
    vm->pending = rec->pending;
    rec->pending = NULL;
    return VMHI_OK;
}

static void free_pending_list(tb_pending *p)
{
    while (p) {
        tb_pending *next = p->next;
        tb_free(p);
        p = next;
    }
}

static int load_state(tb_host *h, const char *uuid, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    state_record rec;
    memset(&rec, 0, sizeof(rec));
    int rc = read_file(path, &text, &len);
    if (rc == VMHI_OK)
        rc = parse_state_text(path, text, &rec);
    tb_vm *vm = rc == VMHI_OK ? tb_host_find_uuid(h, uuid) : NULL;
    if (rc == VMHI_OK && rec.state == VMHI_STATE_SHUTOFF) {
        if (vm) {
            vm->reason = rec.reason;
        } else {
            /* A transient VM's record whose removal was interrupted. */
            tb_store_log(h, VMHI_LOG_WARN, "test backend: removing stale %s", path);
            unlink(path);
        }
    } else if (rc == VMHI_OK) {
        rc = apply_active_state(h, uuid, path, &rec);
    }
    free_pending_list(rec.pending);
    tb_free(text);
    return rc;
}

/* Removes a temporary file a crashed writer left behind. */
static void remove_leftover(tb_host *h, const char *name)
{
    char *path = tb_store_path(h, name);
    if (!path)
        return;
    tb_store_log(h, VMHI_LOG_WARN, "test backend: removing left-over temporary file %s", path);
    unlink(path);
    tb_free(path);
}

/* Loads every file with @suffix through @load. */
static int load_all(tb_host *h, const name_list *names, const char *suffix,
                    int (*load)(tb_host *, const char *, const char *))
{
    char uuid[VMHI_UUID_STRLEN + 1];
    for (size_t i = 0; i < names->count; i++) {
        if (!is_vm_file(names->names[i], suffix, uuid))
            continue;
        char *path = tb_store_path(h, names->names[i]);
        if (!path)
            return VMHI_E_NOMEM;
        int rc = load(h, uuid, path);
        tb_free(path);
        if (rc < 0)
            return rc;
    }
    return VMHI_OK;
}

int tb_store_load(tb_host *h)
{
    name_list names;
    memset(&names, 0, sizeof(names));
    int rc = list_dir(h, &names);
    for (size_t i = 0; rc == VMHI_OK && i < names.count; i++)
        if (strncmp(names.names[i], TB_STORE_TMP_PREFIX, strlen(TB_STORE_TMP_PREFIX)) == 0)
            remove_leftover(h, names.names[i]);
    if (rc == VMHI_OK)
        rc = load_all(h, &names, TB_STORE_DEF_SUFFIX, load_def);
    if (rc == VMHI_OK)
        rc = load_all(h, &names, TB_STORE_STATE_SUFFIX, load_state);
    names_free(&names);
    return rc;
}
