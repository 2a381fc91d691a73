/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Changes of a VM's configuration with VMHI's live/config split
 * (VMHI_AFFECT_LIVE, VMHI_AFFECT_CONFIG, both, or CURRENT).
 *
 * A change is a function that edits a VMHI description.  It is made to
 * the descriptions it targets, and the server is told the result:
 *
 *  - a shut-off VM: its configuration is its definition; the change is
 *    made to it (ReconfigVM_Task).
 *  - an active VM: the live target is its configuration (changed with
 *    ReconfigVM_Task while it runs); the definition target is the
 *    definition waiting in extraConfig vmhi.definition (esx_definition.c),
 *    or the configuration when none waits.  When the definition ends up
 *    equal to the configuration, none waits any more.  Both happen in one
 *    ReconfigVM_Task, so a change applies to both targets or to neither.
 *  - a suspended VM: only its definition can change, as for an active VM.
 */
#include <string.h>

#include "esx.h"

static bool is_active(const esx_vm *vm)
{
    vmhi_vm_state st = esx_vm_state(vm);
    return st == VMHI_STATE_RUNNING || st == VMHI_STATE_SHUTTING_DOWN;
}

/* Which configurations the change targets (DEV-5, MEM-3, MEM-5, VCPU-4...). */
static int targets(const esx_vm *vm, const esx_change *ch, bool *live, bool *config)
{
    bool active = is_active(vm);
    const char *state = vmhi_vm_state_name(esx_vm_state(vm));
    if ((ch->flags & VMHI_AFFECT_LIVE) && !active)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; a live %s needs it "
                         "running (use VMHI_AFFECT_CONFIG to change its definition)", vm->name,
                         state, ch->op);
    *live = (ch->flags & VMHI_AFFECT_LIVE) ||
            (ch->flags == VMHI_AFFECT_CURRENT && active && !ch->current_is_config);
    *config = (ch->flags & VMHI_AFFECT_CONFIG) ||
              (ch->flags == VMHI_AFFECT_CURRENT && (!active || ch->current_is_config));
    if (*config && vm->transient)
        return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is transient (undefined while "
                         "active); it has no definition for %s to change", vm->name, ch->op);
    if (*live && !ch->live_ok)
        return esx_error(VMHI_E_INVALID_STATE, "esx: ESX cannot %s while VM '%s' runs; use "
                         "VMHI_AFFECT_CONFIG (it applies at the next start)", ch->op, vm->name);
    return VMHI_OK;
}

/* A copy of @src with the change made to it. */
static int modified(const esx_change *ch, const vmhi_vm_config *src, const vmhi_vm_config *other,
                    vmhi_vm_config **out)
{
    *out = NULL;
    if (vmhi_vm_config_copy(out, src) < 0)
        return esx_error(VMHI_E_NOMEM, "esx: out of memory");
    int rc = ch->modify(*out, other, ch->ctx);
    if (rc < 0) {
        vmhi_vm_config_free(*out);
        *out = NULL;
    }
    return rc;
}

/* A shut-off VM: the change goes to its configuration. */
static int change_off(esx_conn *c, esx_vm *vm, const esx_change *ch)
{
    esx_view v;
    vmhi_vm_config *now = NULL, *next = NULL;
    int rc = esx_definition_settle(c, vm, ch->op);
    if (rc < 0 || (rc = esx_view_read(c, vm->moref, &v)) < 0)
        return rc;
    rc = esx_view_config(vm, &v, &now);
    if (rc == VMHI_OK)
        rc = modified(ch, now, NULL, &next);
    esx_buf spec;
    esx_buf_init(&spec);
    if (rc == VMHI_OK)
        rc = esx_spec_definition(&c->refs, &spec, next, &v.devs, now, &v.meta, NULL);
    if (rc == VMHI_OK)
        rc = esx_reconfigure(c, vm, &spec, ch->op);
    esx_buf_free(&spec);
    vmhi_vm_config_free(now);
    vmhi_vm_config_free(next);
    esx_view_free(&v);
    return rc;
}

/* The value vmhi.definition gets: NULL to leave it, "" for none, or
 * @def as JSON (*json, to free) when it differs from @live. */
static int pending_value(const esx_view *v, const vmhi_vm_config *def,
                         const vmhi_vm_config *live, char **json, const char **value)
{
    char *other = NULL;
    *json = NULL;
    *value = NULL;
    if (!def)
        return VMHI_OK;
    if (vmhi_vm_config_to_json(def, json) < 0 || vmhi_vm_config_to_json(live, &other) < 0) {
        vmhi_free(*json);
        *json = NULL;
        return esx_error(VMHI_E_NOMEM, "esx: out of memory");
    }
    if (strcmp(*json, other) != 0)
        *value = *json;
    else if (v->meta.definition)
        *value = "";
    vmhi_free(other);
    return VMHI_OK;
}

/* The definition of an active or suspended VM: the one waiting, else a
 * copy of its configuration; NULL for a transient VM. */
static int current_definition(const esx_vm *vm, const esx_view *v, const vmhi_vm_config *live,
                              vmhi_vm_config **out)
{
    *out = NULL;
    if (vm->transient)
        return VMHI_OK;
    if (v->meta.definition)
        return esx_view_waiting(vm, v, out);
    return vmhi_vm_config_copy(out, live) < 0 ? esx_error(VMHI_E_NOMEM, "esx: out of memory")
                                               : VMHI_OK;
}

typedef struct change_state {
    esx_view v;
    vmhi_vm_config *live, *def, *live2, *def2;
    char *json;
} change_state;

static void change_state_free(change_state *s)
{
    esx_view_free(&s->v);
    vmhi_vm_config_free(s->live);
    vmhi_vm_config_free(s->def);
    vmhi_vm_config_free(s->live2);
    vmhi_vm_config_free(s->def2);
    vmhi_free(s->json);
}

static int change_on(esx_conn *c, esx_vm *vm, const esx_change *ch, bool live, bool config)
{
    change_state s = { 0 };
    const char *pending = NULL;
    int rc = esx_view_read(c, vm->moref, &s.v);
    if (rc < 0)
        return rc;
    rc = esx_view_config(vm, &s.v, &s.live);
    if (rc == VMHI_OK)
        rc = current_definition(vm, &s.v, s.live, &s.def);
    if (rc == VMHI_OK && live)
        rc = modified(ch, s.live, config ? s.def : NULL, &s.live2);
    if (rc == VMHI_OK && config)
        rc = modified(ch, s.def, live ? s.live : NULL, &s.def2);
    if (rc == VMHI_OK)
        rc = pending_value(&s.v, s.def2 ? s.def2 : s.def, s.live2 ? s.live2 : s.live, &s.json,
                           &pending);
    esx_buf spec;
    esx_buf_init(&spec);
    if (rc == VMHI_OK && s.live2)
        rc = esx_spec_definition(&c->refs, &spec, s.live2, &s.v.devs, s.live, &s.v.meta,
                                 pending);
    else if (rc == VMHI_OK && pending)
        esx_meta_spec(&spec, ESX_KEY_DEFINITION, pending);
    if (rc == VMHI_OK && (spec.len || spec.oom))
        rc = esx_reconfigure(c, vm, &spec, ch->op);
    esx_buf_free(&spec);
    change_state_free(&s);
    return rc;
}

int esx_change_vm(esx_conn *c, const char *uuid, esx_change *ch, esx_vm *vm)
{
    bool live = false, config = false;
    int rc = esx_inventory_get(c, NULL, uuid, true, vm);
    if (rc == VMHI_OK)
        rc = targets(vm, ch, &live, &config);
    if (rc < 0)
        return rc;
    rc = vm->power == ESX_POWER_OFF ? change_off(c, vm, ch) : change_on(c, vm, ch, live, config);
    ch->did_live = rc == VMHI_OK && live;
    ch->did_config = rc == VMHI_OK && config;
    return rc;
}
