/*
 * libFuzzer target: a RetrievePropertiesEx reply about VMs as the
 * inventory reads it (esx_inventory.c: name, uuid, power state, CPUs,
 * memory, template flag, extraConfig with the VMHI settings and pending
 * definition; esx_spec.c: the virtual device array).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every object is applied to a cache entry: its strings stay terminated
 * and the UUID is either unset or a canonical lower-case UUID.
 */
#include "fuzz_esx_common.h"

static void check_vm(const esx_vm *vm)
{
    FUZZ_CHECK(memchr(vm->name, '\0', sizeof(vm->name)) != NULL);
    size_t n = strlen(vm->uuid);
    FUZZ_CHECK(n == 0 || n == VMHI_UUID_STRLEN);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((vm->uuid[i] >= '0' && vm->uuid[i] <= '9') ||
                   (vm->uuid[i] >= 'a' && vm->uuid[i] <= 'f') || vm->uuid[i] == '-');
}

static void apply_devices(const xmlNode *object)
{
    char name[128];
    for (const xmlNode *ps = esx_xml_child(object, "propSet"); ps;
         ps = esx_xml_next(ps, "propSet")) {
        if (!esx_xml_child_text(ps, "name", name, sizeof(name)) ||
            strcmp(name, "config.hardware.device") != 0)
            continue;
        esx_devices devs = { NULL, 0 };
        if (esx_devices_parse(esx_xml_child(ps, "val"), &devs) == VMHI_OK)
            for (size_t i = 0; i < devs.count; i++)
                FUZZ_CHECK(memchr(devs.items[i].file, '\0', sizeof(devs.items[i].file)));
        esx_devices_free(&devs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    esx_reply r;
    if (esx_codec_parse("RetrievePropertiesEx", (const char *)data, size, 200, &r, NULL) < 0)
        return 0;
    const xmlNode *result = esx_xml_child(r.result, "returnval");
    for (const xmlNode *o = esx_xml_child(result, "objects"); o; o = esx_xml_next(o, "objects")) {
        esx_vm vm;
        memset(&vm, 0, sizeof(vm));
        esx_vm_apply_object(&vm, o, esx_vm_props);
        check_vm(&vm);
        esx_vm_apply_object(&vm, o, esx_list_props); /* a second page: a known VM */
        check_vm(&vm);
        apply_devices(o);
    }
    esx_reply_free(&r);
    return 0;
}
