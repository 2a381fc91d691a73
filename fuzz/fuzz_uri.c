/*
 * libFuzzer target: the connection URI parser.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    vmhi__uri *uri = NULL;
    if (vmhi__uri_parse(s, &uri) == VMHI_OK) {
        /* what parsed must be self-consistent */
        if (!uri->scheme || !uri->path || uri->path[0] != '/' || !uri->normalized)
            abort();
        if (uri->port < 0 || uri->port > 65535)
            abort();
    }
    vmhi__uri_free(uri);
    free(s);
    return 0;
}
