/*
 * Unit tests for the XML and JSON forms of a VM description: round trips
 * and golden files of tests/data/config/good/, exact output, located
 * rejections of tests/data/config/bad/ and agreement with spec/vmhi-vm.rng.
 * Hostile input, threads and allocation failures: test_config_robust.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "config_test_util.h"

/* -------------------------------------------------------------- round trips */

/* XML -> config -> JSON -> config -> XML gives the first XML byte for byte,
 * and serializing again changes nothing. */
START_TEST(round_trip)
{
    size_t len;
    char *doc = read_good(_i, &len);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_from_xml(&cfg, doc, len));
    char *xml1 = xml_of(cfg);
    char *json1 = json_of(cfg);
    vmhi_vm_config *via_json = from_json(json1);
    char *xml2 = xml_of(via_json);
    ck_assert_str_eq(xml2, xml1);
    vmhi_vm_config *again = from_xml(xml2);
    char *json2 = json_of(again);
    ck_assert_str_eq(json2, json1);
    ck_assert_int_eq(xml1[strlen(xml1) - 1], '\n');
    free(doc);
    vmhi_free(xml1);
    vmhi_free(xml2);
    vmhi_free(json1);
    vmhi_free(json2);
    vmhi_vm_config_free(cfg);
    vmhi_vm_config_free(via_json);
    vmhi_vm_config_free(again);
}
END_TEST

/* The JSON form of each good document is kept as a golden file, which
 * spec/vmhi-vm.schema.json validates too (tests/data/config/
 * check_json_schema.py).  VMHI_TEST_REGENERATE=1 rewrites the files; review
 * the diff before committing it. */
START_TEST(golden_json)
{
    size_t len;
    char *doc = read_good(_i, &len);
    vmhi_vm_config *cfg = from_xml(doc);
    char *json = json_of(cfg);
    char rel[256];
    snprintf(rel, sizeof(rel), "good/%.*s.json", (int)(strlen(good_docs[_i]) - 4), good_docs[_i]);
    const char *regenerate = getenv("VMHI_TEST_REGENERATE");
    if (regenerate && strcmp(regenerate, "1") == 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/tests/data/config/%s", getenv("VMHI_TEST_SOURCE_DIR"),
                 rel);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(json, f);
        fclose(f);
    }
    size_t golden_len;
    char *golden = read_data(rel, &golden_len);
    ck_assert_str_eq(json, golden);
    vmhi_vm_config *back = from_json(golden);
    char *xml1 = xml_of(cfg), *xml2 = xml_of(back);
    ck_assert_str_eq(xml1, xml2);
    vmhi_free(xml1);
    vmhi_free(xml2);
    vmhi_vm_config_free(back);
    free(golden);
    vmhi_free(json);
    vmhi_vm_config_free(cfg);
    free(doc);
}
END_TEST

START_TEST(parsed_values)
{
    size_t len;
    char *doc = read_data("good/devices.xml", &len);
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_from_xml(&cfg, doc, len));
    ck_assert_str_eq(vmhi_vm_config_get_name(cfg), "Ünïcødé ✓ & \"quoted\" <vm>");
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(cfg), 8);
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 8);
    ck_assert_int_eq(vmhi_vm_config_get_firmware(cfg), VMHI_FIRMWARE_UEFI);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(cfg), 3);
    const vmhi_disk *data = vmhi_vm_config_get_disk(cfg, 1);
    ck_assert_str_eq(vmhi_disk_get_id(data), "data");
    ck_assert_int_eq(vmhi_disk_get_bus(data), VMHI_DISK_BUS_SATA);
    ck_assert_int_eq(vmhi_disk_get_readonly(data), 1);
    ck_assert_uint_eq(vmhi_disk_get_size_mib(data), 20480);
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 2)), "disk1");
    const vmhi_nic *uplink = vmhi_vm_config_get_nic(cfg, 1);
    ck_assert_str_eq(vmhi_nic_get_mac(uplink), "02:00:00:ab:cd:ef");
    ck_assert_str_eq(vmhi_nic_get_network(uplink), "default");
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(cfg, 0)), "VM Network");
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t count;
    ck_vmhi_ok(vmhi_vm_config_get_boot_order(cfg, order, &count));
    ck_assert_uint_eq(count, 2);
    ck_assert_int_eq(order[0], VMHI_BOOT_NETWORK);
    vmhi_vm_config_free(cfg);
    free(doc);
}
END_TEST

START_TEST(json_lenient_forms)
{
    /* A BOM, escapes, 2.0 for an integer, members in any order. */
    const char *json = "\xef\xbb\xbf{\"name\": \"caf\\u00e9 \\ud83d\\ude00\", \"vmhi\": 1.0,"
                       " \"vcpus\": {\"max\": 4, \"current\": 2.0}}";
    vmhi_vm_config *cfg = from_json(json);
    ck_assert_str_eq(vmhi_vm_config_get_name(cfg), "café 😀");
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(cfg), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_max_vcpus(cfg), 4);
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(exact_output)
{
    vmhi_vm_config *cfg = from_xml("<vm xmlns='urn:vmhi:vm:1'><name>a&amp;b</name>"
                                   "<devices><nic mac='52:54:00:00:00:0A'/></devices></vm>");
    char *xml = xml_of(cfg);
    ck_assert_str_eq(xml, "<vm xmlns=\"urn:vmhi:vm:1\">\n"
                          "  <name>a&amp;b</name>\n"
                          "  <vcpus max=\"1\">1</vcpus>\n"
                          "  <memory max=\"512\" unit=\"MiB\">512</memory>\n"
                          "  <firmware>bios</firmware>\n"
                          "  <devices>\n"
                          "    <nic id=\"nic0\" model=\"default\" mac=\"52:54:00:00:00:0a\">\n"
                          "      <network>default</network>\n"
                          "    </nic>\n"
                          "  </devices>\n"
                          "</vm>\n");
    char *json = json_of(cfg);
    ck_assert_str_eq(json, "{\n"
                           "  \"vmhi\": 1,\n"
                           "  \"name\": \"a&b\",\n"
                           "  \"vcpus\": {\n"
                           "    \"current\": 1,\n"
                           "    \"max\": 1\n"
                           "  },\n"
                           "  \"memory_mib\": {\n"
                           "    \"current\": 512,\n"
                           "    \"max\": 512\n"
                           "  },\n"
                           "  \"firmware\": \"bios\",\n"
                           "  \"disks\": [],\n"
                           "  \"nics\": [\n"
                           "    {\n"
                           "      \"id\": \"nic0\",\n"
                           "      \"model\": \"default\",\n"
                           "      \"mac\": \"52:54:00:00:00:0a\",\n"
                           "      \"network\": \"default\"\n"
                           "    }\n"
                           "  ]\n"
                           "}\n");
    vmhi_free(xml);
    vmhi_free(json);
    vmhi_vm_config_free(cfg);
}
END_TEST

START_TEST(serializers_refuse_invalid)
{
    vmhi_vm_config *cfg = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    char *out = (char *)1;
    ck_vmhi(vmhi_vm_config_to_xml(cfg, &out), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_vmhi(vmhi_vm_config_to_json(cfg, &out), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_vmhi(vmhi_vm_config_to_xml(NULL, &out), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_config_to_json(cfg, NULL), VMHI_E_INVALID_ARG);
    vmhi_vm_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------- located rejections */

typedef struct bad_doc {
    const char *file;
    unsigned line, column;
    const char *needle; /* the message must contain it */
    bool schema_rejects; /* spec/vmhi-vm.rng alone rejects it too */
} bad_doc;

static const bad_doc bad_xml[] = {
    { "vcpus-zero.xml", 3, 3, "element <vcpus>: \"0\" is not a whole number", true },
    { "unknown-element.xml", 4, 5, "element <cpu-model>: unknown element", true },
    { "unknown-attribute.xml", 4, 5, "element <disk>: unknown attribute \"cache\"", true },
    { "name-slash.xml", 2, 3, "element <name>: VM name", true },
    { "name-control.xml", 2, 3, "control characters", true },
    { "name-too-long.xml", 2, 3, "256 bytes", true },
    { "duplicate-disk-id.xml", 6, 7, "attribute id: device id \"d\" is already used by a disk",
      false },
    { "duplicate-disk-path.xml", 7, 7, "element <path>: disk path \"/a\" is already used", false },
    { "duplicate-mac.xml", 5, 35, "attribute mac: MAC address 52:54:00:00:00:01", false },
    { "syntax-mismatch.xml", 3, 19, "element <vcpus>: XML syntax error", false },
    { "doctype-xxe.xml", 2, 1, "DOCTYPE", false },
    { "billion-laughs.xml", 1, 1, "DOCTYPE", false },
    { "out-of-order.xml", 3, 3, "element <name>: appears twice or out of order", true },
    { "memory-overflow.xml", 3, 3, "\"18446744073709551616\" is not a whole number", true },
    { "no-namespace.xml", 1, 1, "urn:vmhi:vm:1", true },
    { "boot-duplicate.xml", 3, 40, "\"disk\" is already in the boot order", false },
    { "vcpus-over-max.xml", 3, 3, "exceeds the maximum 2", false },
    { "path-relative.xml", 5, 7, "not absolute", true },
    { "missing-name.xml", 1, 1, "missing element <name>", true },
    { "bad-enum.xml", 4, 5, "attribute format: unknown value \"qcow3\"", true },
    { "text-in-vm.xml", 1, 1, "text is not allowed", true },
    { "empty.xml", 1, 1, "XML syntax error", false },
    { "unicode-column.xml", 2, 23, "element <vcpus>", true }, /* columns count characters */
    /* ABI 1.0 final: boot, direct kernel boot, targets, metadata (CFG-7, CFG-8, CFG-9, CFG-17). */
    { "boot-cdrom.xml", 3, 24, "unknown value \"cdrom\" (use disk or network)", true },
    { "boot-network-without-nic.xml", 1, 1, "\"network\" is in the boot order but the VM has no NIC",
      false },
    { "bus-unknown.xml", 4, 5, "attribute bus: unknown value \"nvme\"", true },
    { "initrd-without-kernel.xml", 3, 3, "element <kernel>: missing element <path>", true },
    { "kernel-relative.xml", 4, 5, "kernel \"boot/vmlinuz\" is not absolute", true },
    { "pv-without-kernel.xml", 1, 1, "a PV guest boots by direct kernel boot", false },
    { "metadata-bad-key.xml", 4, 5, "metadata key \"tier\" must be <namespace>:<name>", true },
    { "metadata-duplicate-key.xml", 5, 5, "\"x-acme:tier\" appears twice", false },
    { "metadata-out-of-order.xml", 6, 3, "element <devices>: appears twice or out of order", true },
    { "metadata-unknown-element.xml", 4, 5, "unknown element in <metadata>", true },
};

static const bad_doc bad_json[] = {
    { "trailing-comma.json", 4, 1, "JSON syntax error", false },
    { "unknown-member.json", 6, 20, "/disks/1/cache: unknown member", false },
    { "bad-format.json", 8, 7, "/disks/1/format: unknown value \"qcow3\"", false },
    { "wrong-type.json", 1, 36, "/vcpus/current: must be a whole number", false },
    { "overflow.json", 5, 5, "/memory_mib/current: must be a whole number", false },
    { "duplicate-member.json", 4, 3, "member name repeated", false },
    { "missing-path.json", 4, 14, "/disks/0: missing required member \"path\"", false },
    { "version.json", 1, 15, "/vmhi: format version 2", false },
    { "not-object.json", 1, 1, "must be a JSON object", false },
    { "vcpus-zero.json", 4, 14, "/vcpus/current", false },
    { "name-dotdot.json", 2, 3, "/name: VM name must not be", false },
    { "duplicate-nic-id.json", 6, 26, "/nics/1/id: device id \"n\" is already used by a NIC",
      false },
    { "nan.json", 1, 47, "JSON syntax error", false },
    { "truncated.json", 5, 1, "unexpected end of document", false },
    { "unicode-column.json", 1, 32, "/firmware: unknown value \"efi\"", false },
    { "max-below-current.json", 6, 5, "/memory_mib/max: 1024 is less than", false },
    { "boot-cdrom.json", 4, 20, "/boot/1: unknown value \"cdrom\"", false },
    { "cmdline-control.json", 4, 39, "/kernel/cmdline: kernel command line must not contain control",
      false },
    { "initrd-without-kernel.json", 4, 3, "/kernel: missing required member \"path\"", false },
    { "kernel-unknown-member.json", 4, 39, "/kernel/append: unknown member", false },
    { "metadata-bad-key.json", 6, 5, "/metadata/Acme:owner: metadata key", false },
    { "metadata-not-string.json", 4, 16, "/metadata/x-acme:cost-center: must be a string", false },
    { "metadata-too-many.json", 4, 3, "/metadata: has 65 entries", false },
    { "pvh-uefi.json", 1, 1, "a pvh guest has no UEFI firmware", false },
    { "target-invalid.json", 5, 20, "/disks/0/target: disk target \"XVDA\"", false },
    /* Regression (fuzz_config_json): read_metadata walked a non-object. */
    { "metadata-not-object.json", 4, 3, "/metadata: must be an object", false },
};

static void check_rejection(const bad_doc *bad, bool json)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "bad/%s", bad->file);
    size_t len;
    char *doc = read_data(rel, &len);
    vmhi_vm_config *cfg = (vmhi_vm_config *)1;
    int rc = json ? vmhi_vm_config_from_json(&cfg, doc, len)
                  : vmhi_vm_config_from_xml(&cfg, doc, len);
    ck_assert_msg(rc == VMHI_E_PARSE, "%s: rc %d: %s", bad->file, rc, vmhi_error_last_message());
    ck_assert_ptr_null(cfg);
    unsigned line = 0, column = 0;
    ck_vmhi_ok(vmhi_error_last_location(&line, &column));
    ck_assert_msg(line == bad->line && column == bad->column,
                  "%s: at %u:%u, expected %u:%u (%s)", bad->file, line, column, bad->line,
                  bad->column, vmhi_error_last_message());
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "line %u, column %u: ", line, column);
    ck_assert_msg(strncmp(vmhi_error_last_message(), prefix, strlen(prefix)) == 0,
                  "%s: message lacks its location: %s", bad->file, vmhi_error_last_message());
    ck_assert_msg(strstr(vmhi_error_last_message(), bad->needle) != NULL,
                  "%s: message \"%s\" lacks \"%s\"", bad->file, vmhi_error_last_message(),
                  bad->needle);
    free(doc);
}

START_TEST(xml_rejections)
{
    check_rejection(&bad_xml[_i], false);
}
END_TEST

START_TEST(json_rejections)
{
    check_rejection(&bad_json[_i], true);
}
END_TEST

/* ------------------------------------------------ agreement with the schema */

static xmlRelaxNGPtr load_schema(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/spec/vmhi-vm.rng", getenv("VMHI_TEST_SOURCE_DIR"));
    xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewParserCtxt(path);
    xmlRelaxNGPtr schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    ck_assert_ptr_nonnull(schema);
    return schema;
}

static void quiet(void *ctx, xmlErrorPtr err)
{
}

/* 1 valid, 0 invalid, -1 not well-formed. */
static int schema_verdict(xmlRelaxNGPtr schema, const char *doc, size_t len)
{
    xmlDocPtr tree = xmlReadMemory(doc, (int)len, NULL, "UTF-8",
                                   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!tree)
        return -1;
    xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);
    xmlRelaxNGSetValidStructuredErrors(vctxt, quiet, NULL);
    int verdict = xmlRelaxNGValidateDoc(vctxt, tree) == 0;
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlFreeDoc(tree);
    return verdict;
}

/* The code and the normative schema agree: good documents and everything
 * the serializer writes are valid; bad ones the schema can judge are not. */
START_TEST(schema_agrees)
{
    xmlSetStructuredErrorFunc(NULL, quiet);
    xmlRelaxNGPtr schema = load_schema();
    for (int i = 0; i < (int)(sizeof(good_docs) / sizeof(good_docs[0])); i++) {
        size_t len;
        char *doc = read_good(i, &len);
        ck_assert_msg(schema_verdict(schema, doc, len) == 1, "%s is invalid", good_docs[i]);
        vmhi_vm_config *cfg = from_xml(doc);
        char *xml = xml_of(cfg);
        ck_assert_msg(schema_verdict(schema, xml, strlen(xml)) == 1, "output for %s",
                      good_docs[i]);
        vmhi_free(xml);
        vmhi_vm_config_free(cfg);
        free(doc);
    }
    for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
        if (!bad_xml[i].schema_rejects)
            continue;
        char rel[256];
        snprintf(rel, sizeof(rel), "bad/%s", bad_xml[i].file);
        size_t len;
        char *doc = read_data(rel, &len);
        ck_assert_msg(schema_verdict(schema, doc, len) == 0, "schema accepts %s", rel);
        free(doc);
    }
    xmlRelaxNGFree(schema);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("config_codec");
    TCase *tc = tcase_create("codec");
    int goods = (int)(sizeof(good_docs) / sizeof(good_docs[0]));
    tcase_add_loop_test(tc, round_trip, 0, goods);
    tcase_add_loop_test(tc, golden_json, 0, goods);
    tcase_add_test(tc, parsed_values);
    tcase_add_test(tc, json_lenient_forms);
    tcase_add_test(tc, exact_output);
    tcase_add_test(tc, serializers_refuse_invalid);
    tcase_add_loop_test(tc, xml_rejections, 0, (int)(sizeof(bad_xml) / sizeof(bad_xml[0])));
    tcase_add_loop_test(tc, json_rejections, 0, (int)(sizeof(bad_json) / sizeof(bad_json[0])));
    tcase_add_test(tc, schema_agrees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return vmhi_test_run(codec_suite());
}
