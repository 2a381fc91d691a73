/*
 * A small but real backend module used to test the module loader.  One
 * source, several builds: -DFIXTURE_KIND selects which contract violation
 * (if any) the build commits.  It serves the scheme "fixture" with one VM.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stddef.h>
#include <string.h>

#include <vmhi/backend.h>

#define KIND_GOOD 0
#define KIND_ABI0 1
#define KIND_NEWER_MAJOR 2
#define KIND_SHORT_TABLE 3
#define KIND_NO_ENTRY 4
#define KIND_REFUSES 5
#define KIND_SIZE_1_0 6   /* a module built when the table was exactly 1.0-sized */
#define KIND_NEWER_MINOR 7 /* a module from a future 1.x with a bigger table */

#ifndef FIXTURE_KIND
#define FIXTURE_KIND KIND_GOOD
#endif

static const vmhi_core_services *core;

#define FIXTURE_UUID "6b3f1a3e-0d51-4c1e-9a53-1c0ffee00001"

struct priv {
    int opened;
};

static int fx_open(vmhi_conn *conn, void *p, const vmhi_backend_uri *uri)
{
    (void)conn;
    if (strcmp(uri->scheme, "fixture") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    ((struct priv *)p)->opened = 1;
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void fx_close(void *p)
{
    ((struct priv *)p)->opened = 0;
}

/* Only the identity: the core zeroed the reference and set its
 * struct_size, which must survive (never memset a reference from the core). */
static void fill_ref(vmhi_backend_vm_ref *ref)
{
    strcpy(ref->uuid, FIXTURE_UUID);
    strcpy(ref->name, "fixture-vm");
}

static int fx_list(void *p, vmhi_backend_list_add add, void *ctx)
{
    (void)p;
    vmhi_backend_vm_ref ref;
    memset(&ref, 0, sizeof(ref)); /* our own: we size it */
    ref.struct_size = sizeof(ref);
    fill_ref(&ref);
    return add(ctx, &ref, VMHI_STATE_SHUTOFF, 1);
}

static int fx_lookup(void *p, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    (void)p;
    if ((name && strcmp(name, "fixture-vm") != 0) || (uuid && strcmp(uuid, FIXTURE_UUID) != 0))
        return core->set_error(VMHI_E_NO_VM, NULL, "fixture has only 'fixture-vm'");
    fill_ref(out);
    return VMHI_OK;
}

static int fx_get_info(void *p, const char *uuid, vmhi_vm_info *info)
{
    (void)p;
    (void)uuid;
    info->state = VMHI_STATE_SHUTOFF;
    info->reason = VMHI_REASON_DEFINED;
    info->vcpus = info->max_vcpus = 1;
    info->memory_mib = info->max_memory_mib = 64;
    info->persistent = 1;
    return VMHI_OK;
}

static const char *const schemes[] = { "fixture", NULL };

/* Room after the table, so that a "newer minor" build can claim a bigger
 * struct_size honestly: the bytes it declares really exist. */
static const struct {
    vmhi_backend_ops ops;
    void *future_slots[8];
} table = {
    .ops = {
#if FIXTURE_KIND == KIND_ABI0
        .abi_version = 0,
#elif FIXTURE_KIND == KIND_NEWER_MAJOR
        .abi_version = (2u << 16) | 0u,
#elif FIXTURE_KIND == KIND_NEWER_MINOR
        .abi_version = (1u << 16) | 7u,
#else
        .abi_version = VMHI_BACKEND_ABI_VERSION,
#endif
#if FIXTURE_KIND == KIND_SHORT_TABLE
        .struct_size = offsetof(vmhi_backend_ops, list_vms),
#elif FIXTURE_KIND == KIND_SIZE_1_0
        .struct_size = VMHI_BACKEND_OPS_SIZE_1_0,
#elif FIXTURE_KIND == KIND_NEWER_MINOR
        .struct_size = sizeof(vmhi_backend_ops) + 8 * sizeof(void *),
#else
        .struct_size = sizeof(vmhi_backend_ops),
#endif
        .name = "fixture",
        .schemes = schemes,
        .profiles = VMHI_PROFILE_CORE,
        .conn_priv_size = sizeof(struct priv),
        .version = "0.1",
        .open = fx_open,
        .close = fx_close,
        .list_vms = fx_list,
        .lookup = fx_lookup,
        .get_info = fx_get_info,
    },
    .future_slots = { NULL },
};

#if FIXTURE_KIND == KIND_NO_ENTRY
/* Exports an entry under the wrong name: the loader must say so. */
VMHI_BACKEND_EXPORT int not_the_entry(const vmhi_core_services *c, const vmhi_backend_ops **ops);
VMHI_BACKEND_EXPORT int not_the_entry(const vmhi_core_services *c, const vmhi_backend_ops **ops)
#else
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *c,
                                           const vmhi_backend_ops **ops);
VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *c,
                                           const vmhi_backend_ops **ops)
#endif
{
    core = c;
#if FIXTURE_KIND == KIND_REFUSES
    (void)ops;
    (void)table;
    return c->set_error(VMHI_E_UNSUPPORTED, NULL, "fixture refuses: core too old");
#else
    *ops = &table.ops;
    return 0;
#endif
}
