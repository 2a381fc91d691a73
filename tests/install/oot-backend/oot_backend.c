/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * A backend module built out of tree, the way a hypervisor vendor would:
 * against the installed <vmhi/backend.h> only, with the flags from
 * `pkg-config vmhi-backend`.  It serves the URI scheme "oot" and one fixed
 * VM that is always running.  It implements the slots needed to find and
 * inspect that VM (open, close, list_vms, lookup, get_info); every other
 * slot is NULL, which the core reports as VMHI_E_UNSUPPORTED.
 */
#include <vmhi/backend.h>

#include <string.h>

#define OOT_VM_NAME "oot-vm"
#define OOT_VM_UUID "0cb1a6e4-7a5e-4d0b-9b1e-5f3c2a1d0e01"
#define OOT_VM_MEMORY_MIB 128

/* Per-connection state; the core allocates and zeroes it. */
struct oot_conn {
    vmhi_conn *conn;
    unsigned int opens;
};

static const vmhi_core_services *core;

static int oot_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    struct oot_conn *self = priv;

    if (strcmp(uri->scheme, "oot") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    if (uri->host != NULL)
        return core->set_error(VMHI_E_INVALID_ARG, NULL,
                               "oot:// URIs name no host; use oot:///");
    self->conn = conn;
    self->opens++;
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void oot_close(void *priv)
{
    struct oot_conn *self = priv;

    self->conn = NULL;
}

static void fill_ref(vmhi_backend_vm_ref *ref)
{
    memset(ref, 0, sizeof(*ref));
    memcpy(ref->uuid, OOT_VM_UUID, sizeof(OOT_VM_UUID));
    memcpy(ref->name, OOT_VM_NAME, sizeof(OOT_VM_NAME));
}

static int oot_list_vms(void *priv, vmhi_backend_list_add add, void *ctx)
{
    vmhi_backend_vm_ref ref;

    (void)priv;
    fill_ref(&ref);
    return add(ctx, &ref, VMHI_STATE_RUNNING, 1);
}

static int oot_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out)
{
    (void)priv;
    if ((name != NULL && strcmp(name, OOT_VM_NAME) != 0) ||
        (uuid != NULL && strcmp(uuid, OOT_VM_UUID) != 0))
        return core->set_error(VMHI_E_NO_VM, NULL, "the oot backend has only the VM '%s'",
                               OOT_VM_NAME);
    fill_ref(out);
    return VMHI_OK;
}

static int oot_get_info(void *priv, const char *uuid, vmhi_vm_info *info)
{
    (void)priv;
    if (strcmp(uuid, OOT_VM_UUID) != 0)
        return core->set_error(VMHI_E_NO_VM, NULL, "no VM with UUID %s", uuid);
    info->state = VMHI_STATE_RUNNING;
    info->reason = VMHI_REASON_BOOTED;
    info->vcpus = 1;
    info->max_vcpus = 1;
    info->memory_mib = OOT_VM_MEMORY_MIB;
    info->max_memory_mib = OOT_VM_MEMORY_MIB;
    info->cpu_time_ns = 0;
    info->persistent = 1;
    return VMHI_OK;
}

static const char *const oot_schemes[] = { "oot", NULL };

static const vmhi_backend_ops oot_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "oot",
    .schemes = oot_schemes,
    .profiles = 0, /* too small for any conformance profile, and says so */
    .flags = 0,
    .conn_priv_size = sizeof(struct oot_conn),
    .version = "0.1",
    .open = oot_open,
    .close = oot_close,
    .list_vms = oot_list_vms,
    .lookup = oot_lookup,
    .get_info = oot_get_info,
};

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *services,
                                           const vmhi_backend_ops **ops);

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *services,
                                           const vmhi_backend_ops **ops)
{
    if (services == NULL || ops == NULL)
        return VMHI_E_INVALID_ARG;
    /* A core of another major ABI, or one whose services table is shorter
     * than the 1.0 one, cannot be served: refuse to load. */
    if ((services->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        services->struct_size < sizeof(vmhi_core_services))
        return VMHI_E_MODULE;
    core = services;
    *ops = &oot_ops;
    return VMHI_OK;
}
