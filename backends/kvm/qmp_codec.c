/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * QMP messages with json-c: commands out, greetings, replies and events in.
 *
 * Every command carries a numeric "id" that QEMU echoes in its reply, so
 * replies are matched by id rather than by order.  Parsing never fails:
 * anything that is not one JSON object of a known shape is QMP_MSG_INVALID
 * and the caller drops it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kvm.h"

json_object *kvm_json_get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

const char *kvm_json_str(json_object *obj, const char *key)
{
    json_object *v = kvm_json_get(obj, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool kvm_json_int(json_object *obj, const char *key, int64_t *out)
{
    json_object *v = kvm_json_get(obj, key);
    if (!v || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

bool kvm_json_bool(json_object *obj, const char *key, bool *out)
{
    json_object *v = kvm_json_get(obj, key);
    if (!v || !json_object_is_type(v, json_type_boolean))
        return false;
    *out = json_object_get_boolean(v) != 0;
    return true;
}

bool qmp_codec_thread_id(json_object *cpu, pid_t *tid)
{
    int64_t v;
    /* A pid_t is an int: a larger number would name some other thread. */
    if (!kvm_json_int(cpu, "thread-id", &v) || v <= 0 || v > INT_MAX)
        return false;
    *tid = (pid_t)v;
    return true;
}

char *qmp_codec_command(const char *cmd, json_object *args, uint64_t id, size_t *len)
{
    json_object *msg = json_object_new_object();
    if (!msg) {
        json_object_put(args);
        return NULL;
    }
    json_object_object_add(msg, "execute", json_object_new_string(cmd));
    if (args)
        json_object_object_add(msg, "arguments", args);
    json_object_object_add(msg, "id", json_object_new_int64((int64_t)id));
    size_t n = 0;
    const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &n);
    char *out = text ? kvm_alloc(n + 2) : NULL;
    if (out) {
        memcpy(out, text, n);
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
    }
    json_object_put(msg);
    return out;
}

static void parse_id(json_object *root, qmp_msg *msg)
{
    json_object *id = kvm_json_get(root, "id");
    if (id && json_object_is_type(id, json_type_int) && json_object_get_int64(id) >= 0) {
        msg->has_id = true;
        msg->id = (uint64_t)json_object_get_int64(id);
    }
}

static void classify(json_object *root, qmp_msg *msg)
{
    json_object *v;
    if ((v = kvm_json_get(root, "QMP")) && json_object_is_type(v, json_type_object)) {
        msg->kind = QMP_MSG_GREETING;
        msg->value = v;
    } else if ((v = kvm_json_get(root, "return"))) {
        msg->kind = QMP_MSG_RETURN;
        msg->value = v;
    } else if ((v = kvm_json_get(root, "error")) && json_object_is_type(v, json_type_object)) {
        msg->kind = QMP_MSG_ERROR;
        msg->err_class = kvm_json_str(v, "class");
        msg->err_desc = kvm_json_str(v, "desc");
        if (!msg->err_class)
            msg->err_class = "GenericError";
        if (!msg->err_desc)
            msg->err_desc = "(no description)";
    } else if ((msg->event = kvm_json_str(root, "event"))) {
        msg->kind = QMP_MSG_EVENT;
        msg->value = kvm_json_get(root, "data");
        return;
    } else {
        return;
    }
    parse_id(root, msg);
}

void qmp_codec_parse(const char *line, size_t len, qmp_msg *msg)
{
    memset(msg, 0, sizeof(msg[0]));
    if (len == 0 || memchr(line, '\0', len))
        return;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return;
    json_object *root = json_tokener_parse_ex(tok, line, (int)(len > 0x7fffffff ? 0x7fffffff
                                                                               : len));
    bool complete = json_tokener_get_error(tok) == json_tokener_success &&
                    json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!root || !complete || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return;
    }
    msg->root = root;
    classify(root, msg);
}

void qmp_msg_clear(qmp_msg *msg)
{
    json_object_put(msg->root);
    memset(msg, 0, sizeof(*msg));
}

int qmp_codec_error_code(const char *err_class)
{
    static const struct { const char *cls; int code; } map[] = {
        { "CommandNotFound", VMHI_E_UNSUPPORTED },
        { "DeviceNotActive", VMHI_E_INVALID_STATE },
        { "DeviceNotFound", VMHI_E_NO_DEVICE },
        { "KVMMissingCap", VMHI_E_UNSUPPORTED },
    };
    for (size_t i = 0; err_class && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].cls, err_class) == 0)
            return map[i].code;
    return VMHI_E_BACKEND; /* GenericError and classes added later */
}
