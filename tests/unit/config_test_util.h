/*
 * Helpers shared by the config codec tests (test_config_codec.c and
 * test_config_robust.c): sample documents and checked conversions.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_CONFIG_TEST_UTIL_H
#define VMHI_CONFIG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const good_docs[] = { "full.xml",       "minimal.xml",        "devices.xml",
                                         "limits.xml",     "lenient.xml",        "pv-direct-boot.xml",
                                         "kernel-defaults.xml", "metadata.xml" };

/* Reads tests/data/config/<rel> into a new NUL-terminated buffer. */
static inline char *read_data(const char *rel, size_t *len)
{
    const char *src = getenv("VMHI_TEST_SOURCE_DIR");
    ck_assert_msg(src != NULL, "VMHI_TEST_SOURCE_DIR is not set (run through ctest)");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/config/%s", src, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static inline char *xml_of(const vmhi_vm_config *cfg)
{
    char *xml = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(cfg, &xml));
    return xml;
}

static inline char *json_of(const vmhi_vm_config *cfg)
{
    char *json = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_json(cfg, &json));
    return json;
}

static inline vmhi_vm_config *from_xml(const char *xml)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_from_xml(&cfg, xml, strlen(xml)));
    return cfg;
}

static inline vmhi_vm_config *from_json(const char *json)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_from_json(&cfg, json, strlen(json)));
    return cfg;
}

static inline char *read_good(int i, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "good/%s", good_docs[i]);
    return read_data(rel, len);
}

#endif
