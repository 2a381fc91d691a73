/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The definition slots: define (CreateVM_Task from a VMHI description;
 * for the UUID and name of an existing VM a new definition, see
 * esx_definition.c), undefine and get_config.
 *
 * Undefine removes a shut-off or suspended VM from the inventory
 * (UnregisterVM: its files stay on the datastore, as with libvirt's esx
 * driver).  ESX has no transient VMs, so an active VM that loses its
 * definition is marked transient in extraConfig (vmhi.transient) and
 * unregistered when it reaches shutoff; until then it is listed as
 * transient, and a VM found shut off with the mark is gone.  Duplicate
 * names are refused here even though some servers (the simulator) would
 * accept them.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define BIT(st) VMHI_STATE_BIT(VMHI_STATE_##st)

static void fill_ref(const esx_vm *vm, vmhi_backend_vm_ref *ref)
{
    memcpy(ref->uuid, vm->uuid, sizeof(ref->uuid));
    memcpy(ref->name, vm->name, sizeof(ref->name));
}

/* ------------------------------------------------------------- define */

static int create_vm(esx_conn *c, const vmhi_vm_config *cfg, char *moref)
{
    const esx_refs *r = &c->refs;
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "CreateVM_Task", "Folder", r->vm_folder);
    esx_buf_add(&b, "<config><name>");
    esx_name_encode(&b, vmhi_vm_config_get_name(cfg));
    esx_buf_add(&b, "</name>");
    esx_buf_elem(&b, "uuid", vmhi_vm_config_get_uuid(cfg));
    esx_buf_add(&b, "<guestId>otherGuest64</guestId><files>");
    esx_buf_elemf(&b, "vmPathName", "[%s]", r->datastore);
    esx_buf_add(&b, "</files>");
    int rc = esx_spec_definition(r, &b, cfg, NULL, NULL, NULL, NULL);
    esx_buf_add(&b, "</config>");
    esx_buf_moref(&b, "pool", "ResourcePool", r->pool);
    if (c->vpx && r->host[0])
        esx_buf_moref(&b, "host", "HostSystem", r->host);
    esx_soap_end(&b, "CreateVM_Task");
    esx_reply result;
    if (rc == VMHI_OK)
        rc = esx_call_task(c, "CreateVM_Task", &b, "define", &result);
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    esx_xml_text(esx_reply_prop(&result, "info.result"), moref, ESX_MOREF_MAX + 1);
    esx_reply_free(&result);
    return moref[0] ? VMHI_OK : esx_error(VMHI_E_BACKEND, "esx: CreateVM_Task named no VM");
}

/* Whether @cfg describes the configuration @vm has now (the one an
 * active VM runs with, or a suspended one resumes with). */
static int same_as_live(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg, bool *same)
{
    esx_view v;
    vmhi_vm_config *live = NULL;
    char *a = NULL, *b = NULL;
    int rc = esx_view_read(c, vm->moref, &v);
    if (rc < 0)
        return rc;
    rc = esx_view_config(vm, &v, &live);
    esx_view_free(&v);
    if (rc == VMHI_OK && (vmhi_vm_config_to_json(live, &a) < 0 ||
                          vmhi_vm_config_to_json(cfg, &b) < 0))
        rc = esx_error(VMHI_E_NOMEM, "esx: out of memory comparing descriptions");
    *same = rc == VMHI_OK && strcmp(a, b) == 0;
    vmhi_free(a);
    vmhi_free(b);
    vmhi_vm_config_free(live);
    return rc;
}

/* A new definition of an existing VM: applied at once to a shut-off VM,
 * kept for the next start from shutoff otherwise (LC-DEFINE-2), and an
 * active transient VM becomes persistent (LC-DEFINE-5). */
static int redefine(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg)
{
    if (vm->power == ESX_POWER_OFF)
        return esx_definition_apply(c, vm, cfg, "define");
    bool same = false;
    int rc = same_as_live(c, vm, cfg, &same);
    if (rc == VMHI_OK)
        rc = esx_definition_store(c, vm, same ? NULL : cfg, vm->transient, "define");
    return rc;
}

static int check_name_free(esx_conn *c, const char *name)
{
    esx_vm other;
    int rc = esx_inventory_get(c, name, NULL, true, &other);
    if (rc == VMHI_E_NO_VM)
        return VMHI_OK;
    if (rc < 0)
        return rc;
    return esx_error(VMHI_E_EXISTS, "esx: the name '%s' is taken by VM %s; choose another name",
                     name, other.uuid[0] ? other.uuid : other.moref);
}

static int define_normalized(esx_conn *c, const vmhi_vm_config *cfg, vmhi_backend_vm_ref *out)
{
    const char *name = vmhi_vm_config_get_name(cfg), *uuid = vmhi_vm_config_get_uuid(cfg);
    esx_vm vm;
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK) {
        if (strcmp(vm.name, name) != 0)
            return esx_error(VMHI_E_EXISTS, "esx: UUID %s belongs to VM '%s'; a new definition "
                             "of it must keep that name", uuid, vm.name);
        rc = redefine(c, &vm, cfg);
        if (rc == VMHI_OK) {
            fill_ref(&vm, out);
            esx_event_emit(c, &vm, VMHI_EVENT_DEFINED, NULL, 0);
        }
        return rc;
    }
    if (rc != VMHI_E_NO_VM)
        return rc;
    char moref[ESX_MOREF_MAX + 1];
    rc = check_name_free(c, name);
    if (rc == VMHI_OK)
        rc = create_vm(c, cfg, moref);
    if (rc == VMHI_OK)
        rc = esx_inventory_refresh(c, moref, &vm);
    if (rc < 0)
        return rc;
    esx_inventory_done(c, moref, ESX_POWER_OFF, VMHI_REASON_DEFINED);
    esx_event_quiet(c, moref);
    fill_ref(&vm, out);
    esx_event_emit(c, &vm, VMHI_EVENT_DEFINED, NULL, 0);
    return VMHI_OK;
}

int esx_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out)
{
    esx_conn *c = priv;
    vmhi_vm_config *normal = NULL;
    (void)flags; /* reserved; the core passes 0 */
    int rc = esx_networks_check(c, cfg);
    if (rc == VMHI_OK)
        rc = esx_definition_normalize(cfg, &normal);
    if (rc == VMHI_OK)
        rc = define_normalized(c, normal, out);
    vmhi_vm_config_free(normal);
    return esx_slot_end(rc);
}

/* ----------------------------------------------------------- undefine */

static int make_transient(esx_conn *c, const esx_vm *vm)
{
    esx_buf spec;
    esx_buf_init(&spec);
    esx_meta_spec(&spec, ESX_KEY_TRANSIENT, "TRUE");
    esx_meta_spec(&spec, ESX_KEY_DEFINITION, "");
    int rc = esx_reconfigure(c, vm, &spec, "undefine");
    esx_buf_free(&spec);
    return rc;
}

int esx_undefine(void *priv, const char *uuid, unsigned int flags)
{
    esx_conn *c = priv;
    esx_vm vm;
    (void)flags; /* reserved; the core passes 0 */
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK && vm.transient)
        rc = esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is transient (undefined while "
                       "%s); it has no definition to remove", vm.name,
                       vmhi_vm_state_name(esx_vm_state(&vm)));
    if (rc < 0)
        return esx_slot_end(rc);
    if ((BIT(SHUTOFF) | BIT(SUSPENDED)) & VMHI_STATE_BIT(esx_vm_state(&vm)))
        rc = esx_unregister(c, &vm);
    else
        rc = make_transient(c, &vm);
    if (rc == VMHI_OK)
        esx_event_emit(c, &vm, VMHI_EVENT_UNDEFINED, NULL, 0);
    return esx_slot_end(rc);
}

/* --------------------------------------------------------- get_config */

/* The view @flags asks for (CURRENT: live when active, the definition
 * otherwise).  ESX keeps one configuration (config.*), which is the
 * definition unless a new one waits in vmhi.definition for the next start
 * from shutoff; so LIVE is config.* of an active VM, CONFIG the waiting
 * definition or else config.*. */
static int view_for(const esx_vm *vm, const esx_view *v, unsigned int flags,
                    vmhi_vm_config **out)
{
    vmhi_vm_state st = esx_vm_state(vm);
    bool active = st == VMHI_STATE_RUNNING || st == VMHI_STATE_SHUTTING_DOWN;
    if (flags & VMHI_AFFECT_LIVE) {
        if (!active)
            return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is %s; it has no live "
                             "configuration (read its definition with VMHI_AFFECT_CONFIG)",
                             vm->name, vmhi_vm_state_name(st));
        return esx_view_config(vm, v, out);
    }
    if (flags & VMHI_AFFECT_CONFIG) {
        if (vm->transient)
            return esx_error(VMHI_E_INVALID_STATE, "esx: VM '%s' is transient (undefined "
                             "while active); it has no persistent definition", vm->name);
        return v->meta.definition ? esx_view_waiting(vm, v, out) : esx_view_config(vm, v, out);
    }
    return esx_view_definition(vm, v, out);
}

int esx_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out)
{
    esx_conn *c = priv;
    esx_vm vm;
    esx_view v;
    int rc = esx_inventory_get(c, NULL, uuid, true, &vm);
    if (rc == VMHI_OK)
        rc = esx_view_read(c, vm.moref, &v);
    if (rc < 0)
        return esx_slot_end(rc);
    rc = view_for(&vm, &v, flags, out);
    esx_view_free(&v);
    return esx_slot_end(rc);
}
