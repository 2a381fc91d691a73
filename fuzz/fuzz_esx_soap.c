/*
 * libFuzzer target: a SOAP reply of vSphere (esx_codec_parse() in
 * esx_codec.c) - responses, SOAP faults with their detail (fault name
 * from xsi:type by namespace URI, as the simulator writes it with a
 * locally declared prefix), property collector missingSets, DOCTYPEs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The first input byte picks the method and HTTP status; the rest is the
 * body.  A reply either parses into a document with its response element
 * or fails with a VMHI error and a bounded fault name, never both.
 */
#include "fuzz_esx_common.h"

static const char *const methods[] = { "RetrievePropertiesEx", "PowerOnVM_Task", "Login",
                                       "WaitForUpdatesEx", "CreateFilter", "ReconfigVM_Task" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *method = methods[(data[0] & 0x0f) % (sizeof(methods) / sizeof(methods[0]))];
    long status = data[0] & 0x80 ? 500 : data[0] & 0x40 ? 404 : 200;
    esx_reply r;
    char fault[64];
    memset(fault, 'x', sizeof(fault));
    int rc = esx_codec_parse(method, (const char *)data + 1, size - 1, status, &r, fault);
    FUZZ_CHECK(memchr(fault, '\0', sizeof(fault)) != NULL);
    if (rc == VMHI_OK) {
        FUZZ_CHECK(r.doc && r.result && status == 200);
        char type[64], text[256];
        for (xmlNode *n = esx_xml_first_element(r.result); n; n = n->next) {
            esx_xml_xsi_type(n, type, sizeof(type));
            esx_xml_text(n, text, sizeof(text));
            FUZZ_CHECK(strlen(type) < sizeof(type) && strlen(text) < sizeof(text));
        }
    } else {
        FUZZ_CHECK(rc < 0 && !r.doc && !r.result);
    }
    esx_reply_free(&r);
    return 0;
}
