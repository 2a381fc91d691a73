/*
 * libFuzzer target for the XML form of a VM description.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parses arbitrary bytes; whatever parses must serialize to both forms,
 * and XML -> config -> JSON -> config -> XML must give the same XML
 * (the round-trip guarantee).  A document that only the RELAX NG schema
 * rejects is a bug too.  Seed corpus: tests/data/config/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmhi/vmhi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @message is "[line L, column C: ][element <x>: ]schema violation: ..."
 * (element names hold no '>', so input text cannot fake the prefix). */
static int only_schema_objected(const char *message)
{
    if (strncmp(message, "schema violation: ", 18) == 0) /* no location known */
        return 1;
    const char *p = strstr(message, ": "); /* ends "line L, column C" */
    if (!p || strncmp(message, "line ", 5) != 0)
        return 0;
    p += 2;
    if (strncmp(p, "element <", 9) == 0) {
        p = strchr(p, '>');
        if (!p || strncmp(p, ">: ", 3) != 0)
            return 0;
        p += 3;
    }
    return strncmp(p, "schema violation: ", 18) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmhi_vm_config *cfg = NULL;
    if (vmhi_vm_config_from_xml(&cfg, (const char *)data, size) != VMHI_OK) {
        /* The reader enforces every schema rule itself; the RELAX NG check
         * is a backstop, so it objecting alone means the two disagree. */
        if (only_schema_objected(vmhi_error_last_message()))
            abort();
        return 0;
    }
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
