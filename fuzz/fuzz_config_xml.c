/*
 * libFuzzer target for the XML form of a VM description.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parses arbitrary bytes; whatever parses must serialize to both forms,
 * and XML -> config -> JSON -> config -> XML must give the same XML
 * (the round-trip guarantee).  Seed corpus: tests/data/config/.
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
    if (vmhi_vm_config_from_xml(&cfg, (const char *)data, size) != VMHI_OK)
        return 0;
    char *xml = NULL, *json = NULL;
    if (vmhi_vm_config_to_xml(cfg, &xml) != VMHI_OK ||
        vmhi_vm_config_to_json(cfg, &json) != VMHI_OK)
        abort(); /* a parsed config is always valid */
    vmhi_vm_config *again = NULL;
    char *xml2 = NULL;
    if (vmhi_vm_config_from_json(&again, json, strlen(json)) != VMHI_OK ||
        vmhi_vm_config_to_xml(again, &xml2) != VMHI_OK || strcmp(xml, xml2) != 0)
        abort(); /* XML -> JSON -> XML is lossless */
    vmhi_free(xml);
    vmhi_free(xml2);
    vmhi_free(json);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config_free(again);
    return 0;
}
