/*
 * VMHI backend skeleton - a starting point for a vendor's backend module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The VM table and the slots that read it or change definitions: list,
 * lookup, define, undefine, get_info, get_config.
 *
 * What the core has already checked when a slot runs (MOD-11): pointers
 * are non-NULL, UUIDs are canonical and lower case, names are valid,
 * descriptions are valid, within the limits of get_limit() and carry a
 * UUID.  What is left to the backend is what only the hypervisor knows:
 * whether the VM exists (VMHI_E_NO_VM), whether a name or UUID is taken
 * (VMHI_E_EXISTS), whether the VM's state allows the call
 * (VMHI_E_INVALID_STATE) and the host's own refusals.
 */
#include <string.h>

#include "skeleton.h"

/* ---- the table ------------------------------------------------------------- */

int sk_state_is_active(vmhi_vm_state state)
{
    return state == VMHI_STATE_RUNNING || state == VMHI_STATE_PAUSED ||
           state == VMHI_STATE_SHUTTING_DOWN;
}

sk_vm *sk_find_uuid(sk_conn *c, const char *uuid)
{
    for (size_t i = 0; i < c->nvms; i++)
        if (strcmp(c->vms[i]->uuid, uuid) == 0)
            return c->vms[i];
    return NULL;
}

static sk_vm *find_name(sk_conn *c, const char *name)
{
    for (size_t i = 0; i < c->nvms; i++)
        if (strcmp(c->vms[i]->name, name) == 0)
            return c->vms[i];
    return NULL;
}

int sk_get_vm(sk_conn *c, const char *uuid, sk_vm **out)
{
    *out = sk_find_uuid(c, uuid);
    if (!*out)
        return sk_error(VMHI_E_NO_VM, "skeleton backend: no VM has UUID %s", uuid);
    return VMHI_OK;
}

static void free_vm(sk_vm *vm)
{
    vmhi_vm_config_free(vm->def);
    vmhi_vm_config_free(vm->live);
    sk_core->dealloc(vm);
}

void sk_remove_vm(sk_conn *c, sk_vm *vm)
{
    for (size_t i = 0; i < c->nvms; i++) {
        if (c->vms[i] == vm) {
            memmove(&c->vms[i], &c->vms[i + 1], (c->nvms - i - 1) * sizeof(*c->vms));
            c->nvms--;
            break;
        }
    }
    free_vm(vm);
}

void sk_free_all(sk_conn *c)
{
    for (size_t i = 0; i < c->nvms; i++)
        free_vm(c->vms[i]);
    sk_core->dealloc(c->vms);
    c->vms = NULL;
    c->nvms = c->cap = 0;
}

/* Makes room for one more VM; VMHI_E_LIMIT at the host's maximum. */
static int reserve_slot(sk_conn *c)
{
    if (c->nvms >= SK_MAX_VMS)
        return sk_error(VMHI_E_LIMIT, "skeleton backend: the host already holds %u VMs, "
                        "its maximum; undefine one first", SK_MAX_VMS);
    if (c->nvms < c->cap)
        return VMHI_OK;
    size_t cap = c->cap ? c->cap * 2 : 8;
    sk_vm **grown = sk_core->alloc(cap * sizeof(*grown));
    if (!grown)
        return sk_error(VMHI_E_NOMEM, "skeleton backend: out of memory");
    if (c->nvms)
        memcpy(grown, c->vms, c->nvms * sizeof(*grown));
    sk_core->dealloc(c->vms);
    c->vms = grown;
    c->cap = cap;
    return VMHI_OK;
}

/* Fills only the identity.  A reference from the core arrives zeroed with
 * its struct_size set (MOD-19): never memset it, or the size is lost. */
static void fill_ref(const sk_vm *vm, vmhi_backend_vm_ref *out)
{
    memcpy(out->uuid, vm->uuid, sizeof(out->uuid));
    memcpy(out->name, vm->name, sizeof(out->name));
}

/* ---- list and lookup --------------------------------------------------------- */

/* LIST-1: every VM once, whatever its state.  The core applies the
 * application's filter; the backend reports state and persistence. */
int sk_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    sk_conn *c = priv;
    for (size_t i = 0; i < c->nvms; i++) {
        vmhi_backend_vm_ref ref; /* our own: we zero it and say its size */
        memset(&ref, 0, sizeof(ref));
        ref.struct_size = sizeof(ref);
        fill_ref(c->vms[i], &ref);
        int rc = add(ctx, &ref, c->vms[i]->state, c->vms[i]->def != NULL);
        if (rc < 0)
            return rc; /* the core's callback failed (out of memory): stop */
    }
    return VMHI_OK;
}

/* LIST-4, LIST-5: exactly one of @name and @uuid is set. */
int sk_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    sk_conn *c = priv;
    sk_vm *vm = name ? find_name(c, name) : sk_find_uuid(c, uuid);
    if (!vm)
        return sk_error(VMHI_E_NO_VM, "skeleton backend: no VM has %s '%s'",
                        name ? "name" : "UUID", name ? name : uuid);
    fill_ref(vm, out);
    return VMHI_OK;
}

/* ---- define and undefine ------------------------------------------------------- */

/* LC-DEFINE-3: a name and a UUID belong to one VM or to none. */
static int check_identity(sk_conn *c, const char *uuid, const char *name, sk_vm **existing)
{
    sk_vm *by_uuid = sk_find_uuid(c, uuid);
    sk_vm *by_name = find_name(c, name);
    if (by_uuid && by_uuid != by_name)
        return sk_error(VMHI_E_EXISTS, "skeleton backend: UUID %s belongs to VM '%s', not "
                        "'%s'; keep the name or use another UUID", uuid, by_uuid->name, name);
    if (by_name && by_name != by_uuid)
        return sk_error(VMHI_E_EXISTS, "skeleton backend: the name '%s' belongs to the VM "
                        "with UUID %s; choose another name", name, by_name->uuid);
    *existing = by_uuid;
    return VMHI_OK;
}

static int add_new_vm(sk_conn *c, vmhi_vm_config *def, sk_vm **out)
{
    int rc = reserve_slot(c);
    if (rc < 0)
        return rc;
    sk_vm *vm = sk_core->alloc(sizeof(*vm));
    if (!vm)
        return sk_error(VMHI_E_NOMEM, "skeleton backend: out of memory");
    memset(vm, 0, sizeof(*vm));
    /* The core checked both lengths (MOD-11). */
    memcpy(vm->uuid, vmhi_vm_config_get_uuid(def), VMHI_UUID_STRLEN);
    memcpy(vm->name, vmhi_vm_config_get_name(def), strlen(vmhi_vm_config_get_name(def)));
    vm->def = def;
    vm->state = VMHI_STATE_SHUTOFF; /* LC-DEFINE-1 */
    vm->reason = VMHI_REASON_DEFINED;
    c->vms[c->nvms++] = vm;
    *out = vm;
    return VMHI_OK;
}

/* A refused definition is worth a debug line with the document.  The
 * serializer is a public call and clears the thread's last error when it
 * starts, so the error the slot returns is kept across it with
 * error_save() / error_restore() (MOD-18).  Without memory for the copy
 * the core still reports @rc, with a generic message. */
static int refuse_logged(sk_conn *c, const vmhi_vm_config *cfg, int rc)
{
    vmhi_saved_error *saved = sk_core->error_save();
    char *xml = NULL;
    if (vmhi_vm_config_to_xml(cfg, &xml) == VMHI_OK)
        sk_core->log(c->conn, VMHI_LOG_DEBUG, "skeleton backend: refused definition: %s", xml);
    vmhi_free(xml);
    return saved ? sk_core->error_restore(saved) : rc;
}

/* @flags is 0 in 1.0 (the core refused anything else: LC-GEN-4). */
int sk_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
              vmhi_backend_vm_ref *out)
{
    (void)flags;
    sk_conn *c = priv;
    sk_vm *vm = NULL;
    int rc = check_identity(c, vmhi_vm_config_get_uuid(cfg), vmhi_vm_config_get_name(cfg), &vm);
    if (rc < 0)
        return refuse_logged(c, cfg, rc);
    /* Keep a copy: @cfg belongs to the caller.  The copy is what the host
     * stores, DEFAULT values resolved (CFG-12). */
    vmhi_vm_config *def = NULL;
    rc = sk_config_prepare(c, cfg, &def);
    if (rc < 0)
        return refuse_logged(c, cfg, rc);
    if (vm) {
        /* LC-DEFINE-2: a new definition, same state.  A running VM keeps
         * its live configuration until it next starts from shutoff; a
         * transient running VM becomes persistent (LC-DEFINE-5). */
        vmhi_vm_config_free(vm->def);
        vm->def = def;
    } else {
        rc = add_new_vm(c, def, &vm);
        if (rc < 0) {
            vmhi_vm_config_free(def); /* frees do not touch the last error (ERR-12) */
            return refuse_logged(c, cfg, rc);
        }
    }
    sk_emit(c, vm, VMHI_EVENT_DEFINED); /* EV-5: new or updated */
    fill_ref(vm, out);
    return VMHI_OK;
}

int sk_undefine(void *priv, const char *uuid, unsigned int flags)
{
    (void)flags; /* 0 in 1.0 */
    sk_conn *c = priv;
    sk_vm *vm = NULL;
    int rc = sk_get_vm(c, uuid, &vm);
    if (rc < 0)
        return rc;
    if (!vm->def) /* LC-UNDEFINE-3 */
        return sk_error(VMHI_E_INVALID_STATE, "skeleton backend: VM '%s' is transient and "
                        "has no definition to remove; power it off to make it go away",
                        vm->name);
    sk_emit(c, vm, VMHI_EVENT_UNDEFINED); /* EV-5 */
    if (sk_state_is_active(vm->state)) {
        /* LC-UNDEFINE-2: it keeps running, now transient; it ceases to
         * exist when it next reaches shutoff (see sk_transition()). */
        vmhi_vm_config_free(vm->def);
        vm->def = NULL;
        return VMHI_OK;
    }
    sk_remove_vm(c, vm); /* LC-UNDEFINE-1 */
    return VMHI_OK;
}

/* ---- information ------------------------------------------------------------- */

/* The configuration that describes the VM now: live when it runs. */
static const vmhi_vm_config *current_config(const sk_vm *vm)
{
    return vm->live ? vm->live : vm->def;
}

/* INFO-1..4.  The core pre-initialized @info (VMHI_VM_INFO_INIT). */
int sk_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    sk_vm *vm = NULL;
    int rc = sk_get_vm(priv, uuid, &vm);
    if (rc < 0)
        return rc;
    const vmhi_vm_config *cfg = current_config(vm);
    info->state = vm->state;
    info->reason = vm->reason;
    info->vcpus = vmhi_vm_config_get_vcpus(cfg);
    info->max_vcpus = vmhi_vm_config_get_max_vcpus(cfg);
    info->memory_mib = vmhi_vm_config_get_memory_mib(cfg);
    info->max_memory_mib = vmhi_vm_config_get_max_memory_mib(cfg);
    /* Nothing really runs, so no CPU time is used: 0 is the truth, and it
     * never decreases (INFO-3).  TODO(vendor): the hypervisor's counter. */
    info->cpu_time_ns = 0;
    info->persistent = vm->def != NULL;
    return VMHI_OK;
}

/* CFG-1, CFG-2, CFG-15: a new config the core hands to the application.
 * @flags is one view: CURRENT (live while active, else the definition),
 * LIVE or CONFIG.  get_op_caps is NULL, so GET_CONFIG claims both views:
 * a backend that cannot read one reports it there instead. */
int sk_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    sk_vm *vm = NULL;
    int rc = sk_get_vm(priv, uuid, &vm);
    if (rc < 0)
        return rc;
    const vmhi_vm_config *view = current_config(vm);
    if (flags & VMHI_AFFECT_LIVE) {
        if (!sk_state_is_active(vm->state))
            return sk_error(VMHI_E_INVALID_STATE, "skeleton backend: VM '%s' is %s; its "
                            "live configuration exists only while it runs", vm->name,
                            vmhi_vm_state_name(vm->state));
        view = vm->live;
    } else if (flags & VMHI_AFFECT_CONFIG) {
        if (!vm->def)
            return sk_error(VMHI_E_INVALID_STATE, "skeleton backend: VM '%s' is transient; "
                            "it has no definition to read", vm->name);
        view = vm->def;
    }
    /* The copy reports its own failure (VMHI_E_NOMEM) as the last error.
     * It keeps every field, metadata included (CFG-18). */
    return vmhi_vm_config_copy(out, view);
}
