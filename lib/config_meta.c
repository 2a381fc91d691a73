/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The namespaced metadata bag: the model's extension point.  Entries are
 * kept sorted by key so that both serializers write them in one order and
 * a round trip is byte-stable.
 */
#include <string.h>

#include "config_internal.h"

/* Index of @key, or where it would go (with *found false). */
static size_t meta_position(const vmhi_vm_config *cfg, const char *key, bool *found)
{
    size_t lo = 0, hi = cfg->meta_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cfg->meta[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int meta_remove(vmhi_vm_config *cfg, const char *key)
{
    bool found;
    size_t i = meta_position(cfg, key, &found);
    if (!found)
        return VMHI_OK;
    vmhi__free(cfg->meta[i].key);
    vmhi__free(cfg->meta[i].value);
    memmove(&cfg->meta[i], &cfg->meta[i + 1], (cfg->meta_count - i - 1) * sizeof(cfg->meta[0]));
    cfg->meta_count--;
    return VMHI_OK;
}

int vmhi_vm_config_set_metadata(vmhi_vm_config *cfg, const char *key, const char *value)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    int rc = vmhi__check_metadata_key(key);
    if (rc == 0 && value)
        rc = vmhi__check_metadata_value(value);
    if (rc < 0)
        return rc;
    if (!value)
        return meta_remove(cfg, key);
    bool found;
    size_t i = meta_position(cfg, key, &found);
    if (!found && cfg->meta_count >= VMHI_METADATA_MAX)
        return vmhi__error(VMHI_E_LIMIT, "a VM has at most %d metadata entries",
                           VMHI_METADATA_MAX);
    char *v = vmhi__strdup(value);
    char *k = found ? NULL : vmhi__strdup(key);
    if (!v || (!found && !k)) {
        vmhi__free(v);
        vmhi__free(k);
        return vmhi__error_oom();
    }
    if (found) {
        vmhi__free(cfg->meta[i].value);
        cfg->meta[i].value = v;
        return VMHI_OK;
    }
    memmove(&cfg->meta[i + 1], &cfg->meta[i], (cfg->meta_count - i) * sizeof(cfg->meta[0]));
    cfg->meta[i].key = k;
    cfg->meta[i].value = v;
    cfg->meta_count++;
    return VMHI_OK;
}

const char *vmhi_vm_config_get_metadata(const vmhi_vm_config *cfg, const char *key)
{
    if (!cfg || !key)
        return NULL;
    bool found;
    size_t i = meta_position(cfg, key, &found);
    return found ? cfg->meta[i].value : NULL;
}

size_t vmhi_vm_config_get_metadata_count(const vmhi_vm_config *cfg)
{
    return cfg ? cfg->meta_count : 0;
}

int vmhi_vm_config_get_metadata_at(const vmhi_vm_config *cfg, size_t index, const char **key,
                                   const char **value)
{
    vmhi__error_reset();
    if (!cfg)
        return vmhi__error(VMHI_E_INVALID_ARG, "config is NULL");
    if (index >= cfg->meta_count)
        return vmhi__error(VMHI_E_INVALID_ARG, "metadata index %zu is out of range (%zu entries)",
                           index, cfg->meta_count);
    if (key)
        *key = cfg->meta[index].key;
    if (value)
        *value = cfg->meta[index].value;
    return VMHI_OK;
}
