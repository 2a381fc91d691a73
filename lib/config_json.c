/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parsing the JSON form.  json-c builds the tree (strict mode, UTF-8
 * checked, bounded depth); config_json_scan.c re-checks the text against
 * RFC 8259 and locates members; this file checks the tree the way
 * spec/vmhi-vm.schema.json describes (types, ranges, enums, required and
 * unknown members) and builds the config.  Errors name the JSON pointer of
 * the offending member and its line and column.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "config_json_internal.h"

typedef struct reader {
    const char *text;
    size_t len;
    vmhi__json_path path;
    vmhi_vm_config *cfg;
} reader;

typedef struct member_rule {
    const char *name;
    bool required;
} member_rule;

static void push_key(reader *r, const char *key)
{
    if (r->path.depth < VMHI__JSON_DEPTH) {
        r->path.seg[r->path.depth].key = key;
        r->path.seg[r->path.depth].index = 0;
    }
    r->path.depth++;
}

static void push_index(reader *r, size_t index)
{
    if (r->path.depth < VMHI__JSON_DEPTH) {
        r->path.seg[r->path.depth].key = NULL;
        r->path.seg[r->path.depth].index = index;
    }
    r->path.depth++;
}

static void pop(reader *r)
{
    r->path.depth--;
}

/* Records a VMHI_E_PARSE error about the member at the current path. */
static int fail(const reader *r, const char *fmt, ...) VMHI_PRINTF(2, 3);
static int fail(const reader *r, const char *fmt, ...)
{
    char detail[600], pointer[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    vmhi__json_path path = r->path;
    if (path.depth > VMHI__JSON_DEPTH)
        path.depth = VMHI__JSON_DEPTH;
    vmhi__json_pointer(&path, pointer, sizeof(pointer));
    unsigned line, column;
    vmhi__text_location(r->text, r->len, vmhi__json_locate(r->text, r->len, &path, false), &line,
                        &column);
    return vmhi__error_parse(line, column, "line %u, column %u: %s: %s", line, column,
                             pointer[0] ? pointer : "(document)", detail);
}

/* Re-raises a setter's error at the current path; out-of-memory stays. */
static int fail_from(const reader *r, int rc)
{
    if (rc == VMHI_E_NOMEM)
        return rc;
    char message[512];
    vmhi__strlcpy(message, vmhi_error_last_message(), sizeof(message));
    return fail(r, "%s", message);
}

/* ---- typed values ----------------------------------------------------------- */

static int get_object(const reader *r, json_object *value)
{
    return json_object_is_type(value, json_type_object) ? VMHI_OK
                                                         : fail(r, "must be an object");
}

/* Rejects unknown members, then missing required ones. */
static int check_members(reader *r, json_object *obj, const member_rule *rules)
{
    json_object_object_foreach(obj, key, value)
    {
        (void)value;
        bool known = false;
        for (const member_rule *m = rules; m->name && !known; m++)
            known = strcmp(m->name, key) == 0;
        if (!known) {
            push_key(r, key);
            int rc = fail(r, "unknown member");
            pop(r);
            return rc;
        }
    }
    for (const member_rule *m = rules; m->name; m++)
        if (m->required && !json_object_object_get_ex(obj, m->name, NULL))
            return fail(r, "missing required member \"%s\"", m->name);
    return VMHI_OK;
}

static int get_string(const reader *r, json_object *value, const char **out)
{
    if (!json_object_is_type(value, json_type_string))
        return fail(r, "must be a string");
    *out = json_object_get_string(value);
    if (strlen(*out) != (size_t)json_object_get_string_len(value))
        return fail(r, "must not contain NUL characters");
    return VMHI_OK;
}

/* json-c clamps integers that overflow 64 bits to UINT64_MAX; the text
 * tells a real 18446744073709551615 from an overflow. */
static bool u64_text_fits(const reader *r)
{
    size_t at = vmhi__json_locate(r->text, r->len, &r->path, true);
    char digits[32];
    size_t n = 0;
    while (at + n < r->len && n + 1 < sizeof(digits) && r->text[at + n] >= '0' &&
           r->text[at + n] <= '9') {
        digits[n] = r->text[at + n];
        n++;
    }
    digits[n] = '\0';
    uint64_t ignored;
    return vmhi__parse_u64(digits, false, &ignored);
}

/* A whole number in [min, max].  Like JSON Schema's "integer", 2.0 counts. */
static int get_uint(const reader *r, json_object *value, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    bool ok = false;
    if (json_object_is_type(value, json_type_int) && json_object_get_int64(value) >= 0) {
        *out = json_object_get_uint64(value);
        ok = *out != UINT64_MAX || u64_text_fits(r);
    } else if (json_object_is_type(value, json_type_double)) {
        double d = json_object_get_double(value);
        ok = isfinite(d) && d >= 0 && d <= 9007199254740992.0 && floor(d) == d;
        *out = ok ? (uint64_t)d : 0;
    }
    if (!ok || *out < min || *out > max)
        return fail(r, "must be a whole number from %llu to %llu", (unsigned long long)min,
                    (unsigned long long)max);
    return VMHI_OK;
}

static int get_enum(const reader *r, json_object *value, int (*from_name)(const char *),
                    const char *allowed, int *out)
{
    const char *s;
    int rc = get_string(r, value, &s);
    if (rc < 0)
        return rc;
    *out = from_name(s);
    return *out < 0 ? fail(r, "unknown value \"%.32s\" (use %s)", s, allowed) : VMHI_OK;
}

/* Looks up optional member @name; when present, pushes it on the path. */
static bool member(reader *r, json_object *obj, const char *name, json_object **value)
{
    if (!json_object_object_get_ex(obj, name, value))
        return false;
    push_key(r, name);
    return true;
}

/* ---- top-level members --------------------------------------------------------- */

/* {"current": N, "max": M}: the maximum defaults to the current value. */
static int read_current_max(reader *r, json_object *obj, uint64_t limit, uint64_t *current,
                            uint64_t *max, bool *has_max)
{
    static const member_rule rules[] = { { "current", true }, { "max", false }, { NULL, false } };
    json_object *value;
    int rc = get_object(r, obj);
    if (rc == 0)
        rc = check_members(r, obj, rules);
    if (rc == 0 && member(r, obj, "current", &value)) {
        rc = get_uint(r, value, 1, limit, current);
        pop(r);
    }
    *has_max = rc == 0 && member(r, obj, "max", &value);
    if (*has_max) {
        rc = get_uint(r, value, 1, limit, max);
        if (rc == 0 && *current > *max)
            rc = fail(r, "%llu is less than the current value %llu", (unsigned long long)*max,
                      (unsigned long long)*current);
        pop(r);
    }
    return rc;
}

static int read_vcpus(reader *r, json_object *obj)
{
    uint64_t current = 0, max = 0;
    bool has_max = false;
    int rc = read_current_max(r, obj, UINT32_MAX, &current, &max, &has_max);
    if (rc == 0 && has_max && (rc = vmhi_vm_config_set_max_vcpus(r->cfg, (unsigned)max)) < 0)
        return fail_from(r, rc);
    if (rc == 0 && (rc = vmhi_vm_config_set_vcpus(r->cfg, (unsigned)current)) < 0)
        return fail_from(r, rc);
    return rc;
}

static int read_memory(reader *r, json_object *obj)
{
    uint64_t current = 0, max = 0;
    bool has_max = false;
    int rc = read_current_max(r, obj, UINT64_MAX, &current, &max, &has_max);
    if (rc == 0 && has_max && (rc = vmhi_vm_config_set_max_memory_mib(r->cfg, max)) < 0)
        return fail_from(r, rc);
    if (rc == 0 && (rc = vmhi_vm_config_set_memory_mib(r->cfg, current)) < 0)
        return fail_from(r, rc);
    return rc;
}

static int read_boot(reader *r, json_object *array)
{
    if (!json_object_is_type(array, json_type_array))
        return fail(r, "must be an array");
    size_t count = json_object_array_length(array);
    if (count > VMHI_BOOT_ORDER_MAX)
        return fail(r, "must have at most %d entries", VMHI_BOOT_ORDER_MAX);
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    int rc = VMHI_OK;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        int dev = 0;
        push_index(r, i);
        rc = get_enum(r, json_object_array_get_idx(array, i), vmhi__boot_dev_from_name,
                      "disk or network", &dev);
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (order[j] == (vmhi_boot_dev)dev)
                rc = fail(r, "\"%s\" is already in the boot order", vmhi_boot_dev_name(order[j]));
        order[i] = (vmhi_boot_dev)dev;
        pop(r);
    }
    if (rc == 0 && (rc = vmhi_vm_config_set_boot_order(r->cfg, order, count)) < 0)
        return fail_from(r, rc);
    return rc;
}

/* Reads one string member and hands it to @set. */
static int read_string_with(reader *r, json_object *obj, const char *name, void *target,
                            int (*set)(void *target, const char *value))
{
    json_object *value;
    if (!member(r, obj, name, &value))
        return VMHI_OK;
    const char *s;
    int rc = get_string(r, value, &s);
    if (rc == 0 && (rc = set(target, s)) < 0)
        rc = fail_from(r, rc);
    pop(r);
    return rc;
}

static int set_name(void *cfg, const char *s)
{
    return vmhi_vm_config_set_name(cfg, s);
}

static int set_uuid(void *cfg, const char *s)
{
    return vmhi_vm_config_set_uuid(cfg, s);
}

static int read_version(reader *r, json_object *obj)
{
    json_object *value;
    uint64_t version = 0;
    if (!member(r, obj, "vmhi", &value))
        return VMHI_OK;
    int rc = get_uint(r, value, 0, UINT64_MAX, &version);
    if (rc == 0 && version != 1)
        rc = fail(r, "format version %llu is not supported (this library reads version 1)",
                  (unsigned long long)version);
    pop(r);
    return rc;
}

/* Reads an optional member with @read, keeping the path right. */
static int read_member(reader *r, json_object *obj, const char *name,
                       int (*read)(reader *r, json_object *value))
{
    json_object *value;
    if (!member(r, obj, name, &value))
        return VMHI_OK;
    int rc = read(r, value);
    pop(r);
    return rc;
}

static int read_guest_type(reader *r, json_object *value)
{
    int type = 0;
    int rc = get_enum(r, value, vmhi__guest_type_from_name, "default, hvm, pv or pvh", &type);
    if (rc == 0 && (rc = vmhi_vm_config_set_guest_type(r->cfg, (vmhi_guest_type)type)) < 0)
        return fail_from(r, rc);
    return rc;
}

static int set_kernel(void *cfg, const char *s)
{
    return vmhi_vm_config_set_kernel(cfg, s);
}

static int set_initrd(void *cfg, const char *s)
{
    return vmhi_vm_config_set_initrd(cfg, s);
}

static int set_cmdline(void *cfg, const char *s)
{
    return vmhi_vm_config_set_cmdline(cfg, s);
}

/* "kernel": {"path": ..., "initrd": ..., "cmdline": ...} */
static int read_kernel(reader *r, json_object *obj)
{
    static const member_rule rules[] = { { "path", true }, { "initrd", false },
                                         { "cmdline", false }, { NULL, false } };
    int rc = get_object(r, obj);
    if (rc == 0)
        rc = check_members(r, obj, rules);
    if (rc == 0)
        rc = read_string_with(r, obj, "path", r->cfg, set_kernel);
    if (rc == 0)
        rc = read_string_with(r, obj, "initrd", r->cfg, set_initrd);
    if (rc == 0)
        rc = read_string_with(r, obj, "cmdline", r->cfg, set_cmdline);
    return rc;
}

/* "metadata": {"ns:name": "value", ...}; every key is checked by the setter. */
static int read_metadata(reader *r, json_object *obj)
{
    int rc = get_object(r, obj);
    if (rc < 0)
        return rc; /* not an object: there is nothing to walk */
    if ((size_t)json_object_object_length(obj) > VMHI_METADATA_MAX)
        rc = fail(r, "has %d entries; at most %d are allowed", json_object_object_length(obj),
                  VMHI_METADATA_MAX);
    json_object_object_foreach(obj, key, value) {
        if (rc < 0)
            break;
        push_key(r, key);
        const char *s;
        rc = get_string(r, value, &s);
        if (rc == 0 && (rc = vmhi_vm_config_set_metadata(r->cfg, key, s)) < 0)
            rc = fail_from(r, rc);
        pop(r);
    }
    return rc;
}

static int read_firmware(reader *r, json_object *value)
{
    int fw = 0;
    int rc = get_enum(r, value, vmhi__firmware_from_name, "bios or uefi", &fw);
    if (rc == 0 && (rc = vmhi_vm_config_set_firmware(r->cfg, (vmhi_firmware)fw)) < 0)
        return fail_from(r, rc);
    return rc;
}


/* ---- devices ------------------------------------------------------------------ */

static int read_enum_member(reader *r, json_object *obj, const char *name,
                            int (*from_name)(const char *), const char *allowed, int *out)
{
    json_object *value;
    if (!member(r, obj, name, &value))
        return VMHI_OK;
    int rc = get_enum(r, value, from_name, allowed, out);
    pop(r);
    return rc;
}

static int set_disk_id(void *disk, const char *s)
{
    return vmhi_disk_set_id(disk, s);
}

static int set_disk_path(void *disk, const char *s)
{
    return vmhi_disk_set_path(disk, s);
}

static int set_disk_target(void *disk, const char *s)
{
    return vmhi_disk_set_target(disk, s);
}

static int read_disk_members(reader *r, json_object *obj, vmhi_disk *disk)
{
    int format = (int)disk->format, bus = (int)disk->bus;
    json_object *value;
    int rc = read_string_with(r, obj, "id", disk, set_disk_id);
    if (rc == 0)
        rc = read_string_with(r, obj, "path", disk, set_disk_path);
    if (rc == 0)
        rc = read_enum_member(r, obj, "format", vmhi__disk_format_from_name,
                              "raw, qcow2 or vmdk", &format);
    if (rc == 0)
        rc = read_enum_member(r, obj, "bus", vmhi__disk_bus_from_name,
                              "default, virtio, scsi, sata, ide, xen or pvscsi", &bus);
    if (rc == 0)
        rc = read_string_with(r, obj, "target", disk, set_disk_target);
    disk->format = (vmhi_disk_format)format;
    disk->bus = (vmhi_disk_bus)bus;
    if (rc == 0 && member(r, obj, "readonly", &value)) {
        if (!json_object_is_type(value, json_type_boolean))
            rc = fail(r, "must be true or false");
        disk->readonly = json_object_get_boolean(value);
        pop(r);
    }
    if (rc == 0 && member(r, obj, "size_mib", &value)) {
        rc = get_uint(r, value, 0, UINT64_MAX, &disk->size_mib);
        pop(r);
    }
    return rc;
}

/* Points a duplicate-device error at the member that clashed. */
static int fail_duplicate(reader *r, int rc, vmhi__dup_field dup)
{
    static const char *const members[] = { NULL, "id", "path", "mac" };
    const char *name = members[dup];
    if (name)
        push_key(r, name);
    rc = fail_from(r, rc);
    if (name)
        pop(r);
    return rc;
}

static int read_disk(reader *r, json_object *obj)
{
    static const member_rule rules[] = { { "id", false },       { "path", true },
                                         { "format", false },   { "bus", false },
                                         { "target", false },
                                         { "readonly", false }, { "size_mib", false },
                                         { NULL, false } };
    vmhi_disk *disk = NULL;
    vmhi__dup_field dup = VMHI__DUP_NONE;
    int rc = get_object(r, obj);
    if (rc == 0)
        rc = check_members(r, obj, rules);
    if (rc == 0)
        rc = vmhi_disk_new(&disk);
    if (rc == 0)
        rc = read_disk_members(r, obj, disk);
    if (rc == 0 && (rc = vmhi__config_take_disk(r->cfg, disk, &dup)) < 0)
        rc = fail_duplicate(r, rc, dup);
    if (rc < 0)
        vmhi_disk_free(disk);
    return rc;
}

static int set_nic_id(void *nic, const char *s)
{
    return vmhi_nic_set_id(nic, s);
}

static int set_nic_mac(void *nic, const char *s)
{
    return vmhi_nic_set_mac(nic, s);
}

static int set_nic_network(void *nic, const char *s)
{
    return vmhi_nic_set_network(nic, s);
}

static int read_nic(reader *r, json_object *obj)
{
    static const member_rule rules[] = { { "id", false },  { "model", false },
                                         { "mac", false }, { "network", false },
                                         { NULL, false } };
    vmhi_nic *nic = NULL;
    vmhi__dup_field dup = VMHI__DUP_NONE;
    int model = (int)VMHI_NIC_MODEL_DEFAULT;
    int rc = get_object(r, obj);
    if (rc == 0)
        rc = check_members(r, obj, rules);
    if (rc == 0)
        rc = vmhi_nic_new(&nic);
    if (rc == 0)
        rc = read_string_with(r, obj, "id", nic, set_nic_id);
    if (rc == 0)
        rc = read_enum_member(r, obj, "model", vmhi__nic_model_from_name,
                              "default, virtio, e1000, vmxnet3, rtl8139 or xen", &model);
    if (rc == 0)
        nic->model = (vmhi_nic_model)model;
    if (rc == 0)
        rc = read_string_with(r, obj, "mac", nic, set_nic_mac);
    if (rc == 0)
        rc = read_string_with(r, obj, "network", nic, set_nic_network);
    if (rc == 0 && (rc = vmhi__config_take_nic(r->cfg, nic, &dup)) < 0)
        rc = fail_duplicate(r, rc, dup);
    if (rc < 0)
        vmhi_nic_free(nic);
    return rc;
}

static int read_array(reader *r, json_object *array, size_t max,
                      int (*read_item)(reader *r, json_object *item))
{
    if (!json_object_is_type(array, json_type_array))
        return fail(r, "must be an array");
    size_t count = json_object_array_length(array);
    if (count > max)
        return fail(r, "has %zu entries; at most %zu are allowed", count, max);
    int rc = VMHI_OK;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        push_index(r, i);
        rc = read_item(r, json_object_array_get_idx(array, i));
        pop(r);
    }
    return rc;
}

static int read_disks(reader *r, json_object *array)
{
    return read_array(r, array, VMHI__DISKS_MAX, read_disk);
}

static int read_nics(reader *r, json_object *array)
{
    return read_array(r, array, VMHI__NICS_MAX, read_nic);
}

/* ---- the document ----------------------------------------------------------- */

static int read_root(reader *r, json_object *root)
{
    static const member_rule rules[] = {
        { "vmhi", true },        { "name", true },      { "uuid", false },
        { "vcpus", false },      { "memory_mib", false }, { "guest_type", false },
        { "firmware", false },   { "kernel", false },   { "boot", false },
        { "disks", false },      { "nics", false },     { "metadata", false },
        { NULL, false },
    };
    if (!json_object_is_type(root, json_type_object))
        return fail(r, "the document must be a JSON object");
    int rc = check_members(r, root, rules);
    if (rc == 0)
        rc = read_version(r, root);
    if (rc == 0)
        rc = read_string_with(r, root, "name", r->cfg, set_name);
    if (rc == 0)
        rc = read_string_with(r, root, "uuid", r->cfg, set_uuid);
    if (rc == 0)
        rc = read_member(r, root, "vcpus", read_vcpus);
    if (rc == 0)
        rc = read_member(r, root, "memory_mib", read_memory);
    if (rc == 0)
        rc = read_member(r, root, "guest_type", read_guest_type);
    if (rc == 0)
        rc = read_member(r, root, "firmware", read_firmware);
    if (rc == 0)
        rc = read_member(r, root, "kernel", read_kernel);
    if (rc == 0)
        rc = read_member(r, root, "boot", read_boot);
    if (rc == 0)
        rc = read_member(r, root, "disks", read_disks);
    if (rc == 0)
        rc = read_member(r, root, "nics", read_nics);
    if (rc == 0)
        rc = read_member(r, root, "metadata", read_metadata);
    if (rc == 0 && (rc = vmhi__config_validate(r->cfg)) < 0)
        rc = fail_from(r, rc);
    return rc;
}

static int syntax_error(const char *text, size_t len, size_t offset, const char *what)
{
    unsigned line, column;
    vmhi__text_location(text, len, offset, &line, &column);
    return vmhi__error_parse(line, column, "line %u, column %u: JSON syntax error: %s", line,
                             column, what);
}

/* Tokenizes with json-c, then re-checks the text strictly. */
static int parse_text(const char *text, size_t len, json_object **out)
{
    struct json_tokener *tok = json_tokener_new_ex(VMHI__JSON_DEPTH);
    if (!tok)
        return vmhi__error_oom();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (err == json_tokener_continue)
        return syntax_error(text, len, len, "unexpected end of document");
    if (err == json_tokener_success && !root) /* the document is "null" */
        return vmhi__error_parse(1, 1, "line 1, column 1: (document): must be a JSON object");
    if (err != json_tokener_success) {
        json_object_put(root);
        return syntax_error(text, len, end, json_tokener_error_desc(err));
    }
    size_t offset;
    const char *what;
    if (!vmhi__json_scan(text, len, &offset, &what)) {
        json_object_put(root);
        return syntax_error(text, len, offset, what);
    }
    *out = root;
    return VMHI_OK;
}

int vmhi_vm_config_from_json(vmhi_vm_config **out, const char *json, size_t len)
{
    vmhi__error_reset();
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!json)
        return vmhi__error(VMHI_E_INVALID_ARG, "JSON document is NULL");
    if (len > VMHI__CONFIG_DOC_MAX)
        return vmhi__error(VMHI_E_LIMIT, "JSON document is %zu bytes; at most %u are accepted",
                           len, VMHI__CONFIG_DOC_MAX);
    size_t bom = vmhi__text_bom_length(json, len);
    reader r = { .text = json + bom, .len = len - bom };
    json_object *root = NULL;
    int rc = parse_text(r.text, r.len, &root);
    if (rc == 0)
        rc = vmhi_vm_config_new(&r.cfg);
    if (rc == 0)
        rc = read_root(&r, root);
    json_object_put(root);
    if (rc < 0) {
        vmhi_vm_config_free(r.cfg);
        return rc;
    }
    *out = r.cfg;
    return VMHI_OK;
}
