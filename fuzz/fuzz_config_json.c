/*
 * libFuzzer target for the JSON form of a VM description.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parses arbitrary bytes; whatever parses must serialize to both forms,
 * and the JSON it writes must parse back to the same JSON.  Seed corpus:
 * the JSON files in tests/data/config/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmhi/vmhi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmhi_vm_config *cfg = NULL;
    if (vmhi_vm_config_from_json(&cfg, (const char *)data, size) != VMHI_OK)
        return 0;
    char *xml = NULL, *json = NULL;
    if (vmhi_vm_config_to_json(cfg, &json) != VMHI_OK ||
        vmhi_vm_config_to_xml(cfg, &xml) != VMHI_OK)
        abort(); /* a parsed config is always valid */
    vmhi_vm_config *again = NULL;
    char *json2 = NULL;
    if (vmhi_vm_config_from_json(&again, json, strlen(json)) != VMHI_OK ||
        vmhi_vm_config_to_json(again, &json2) != VMHI_OK || strcmp(json, json2) != 0)
        abort(); /* what we write, we read back identically */
    vmhi_free(xml);
    vmhi_free(json);
    vmhi_free(json2);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config_free(again);
    return 0;
}
