/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * How a VM boots: its guest type and direct kernel boot (kernel, initrd,
 * command line).  Each setter checks only its own value; the rules that
 * tie them together (an initrd needs a kernel, a PV guest needs one) are
 * cross-field and live in config_check.c, so that fields can be set in
 * any order.
 */
#include <string.h>

#include "config_internal.h"

int vmhi_vm_config_set_guest_type(vmhi_vm_config *cfg, vmhi_guest_type type)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    if (!vmhi_guest_type_name(type))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "unknown guest type %d (use default, hvm, pv or pvh)", (int)type);
    cfg->guest_type = type;
    return VMHI_OK;
}

vmhi_guest_type vmhi_vm_config_get_guest_type(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->guest_type : VMHI_GUEST_DEFAULT;
}

/* Replaces *@slot with a copy of @value (NULL clears) once @check passed. */
static int set_string(char **slot, const char *value, int check_rc)
{
    if (check_rc < 0)
        return check_rc;
    char *copy = NULL;
    if (value && !(copy = vmhi__strdup(value)))
        return vmhi__error_oom();
    vmhi__free(*slot);
    *slot = copy;
    return VMHI_OK;
}

int vmhi_vm_config_set_kernel(vmhi_vm_config *cfg, const char *path)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    return set_string(&cfg->kernel, path, path ? vmhi__check_host_path("kernel", path) : 0);
}

const char *vmhi_vm_config_get_kernel(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->kernel : NULL;
}

int vmhi_vm_config_set_initrd(vmhi_vm_config *cfg, const char *path)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    return set_string(&cfg->initrd, path, path ? vmhi__check_host_path("initrd", path) : 0);
}

const char *vmhi_vm_config_get_initrd(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->initrd : NULL;
}

int vmhi_vm_config_set_cmdline(vmhi_vm_config *cfg, const char *cmdline)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    return set_string(&cfg->cmdline, cmdline, cmdline ? vmhi__check_cmdline(cmdline) : 0);
}

const char *vmhi_vm_config_get_cmdline(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->cmdline : NULL;
}

vmhi_boot_method vmhi_vm_config_get_boot_method(const vmhi_vm_config *cfg)
{
    return cfg && cfg->kernel ? VMHI_BOOT_METHOD_KERNEL : VMHI_BOOT_METHOD_FIRMWARE;
}

/* ---- copy and free of everything a config owns besides its devices ---- */

static char *dup_or_null(const char *s, bool *failed)
{
    char *copy = s ? vmhi__strdup(s) : NULL;
    if (s && !copy)
        *failed = true;
    return copy;
}

int vmhi__config_copy_extras(vmhi_vm_config *to, const vmhi_vm_config *from)
{
    bool failed = false;
    to->kernel = dup_or_null(from->kernel, &failed);
    to->initrd = dup_or_null(from->initrd, &failed);
    to->cmdline = dup_or_null(from->cmdline, &failed);
    to->meta_count = 0;
    for (size_t i = 0; !failed && i < from->meta_count; i++) {
        to->meta[i].key = dup_or_null(from->meta[i].key, &failed);
        to->meta[i].value = dup_or_null(from->meta[i].value, &failed);
        to->meta_count = i + 1;
    }
    if (failed) {
        vmhi__config_free_extras(to);
        return VMHI_E_NOMEM;
    }
    return VMHI_OK;
}

void vmhi__config_free_extras(vmhi_vm_config *cfg)
{
    vmhi__free(cfg->kernel);
    vmhi__free(cfg->initrd);
    vmhi__free(cfg->cmdline);
    cfg->kernel = cfg->initrd = cfg->cmdline = NULL;
    for (size_t i = 0; i < cfg->meta_count; i++) {
        vmhi__free(cfg->meta[i].key);
        vmhi__free(cfg->meta[i].value);
    }
    cfg->meta_count = 0;
}
