/*
 * libFuzzer target: an OVF descriptor (.ovf XML, vmhi_ovf_package_parse()
 * in lib/ovf*.c): envelope, references, disk and network sections,
 * virtual hardware items with CIM units, deployment options, collections.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The first input byte picks strict or lenient import.  What imports is
 * a set of valid VM descriptions: each exports to OVF and serializes to
 * VMHI XML, and every report line reads back.
 */
#include "fuzz_common.h"
#include "vmhi/vmhi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    vmhi_ovf_import_options opts = VMHI_OVF_IMPORT_OPTIONS_INIT;
    opts.flags = data[0] & 1 ? VMHI_OVF_STRICT : 0;
    opts.disk_dir = "/var/lib/vmhi/images";
    vmhi_ovf_package *pkg = NULL;
    if (vmhi_ovf_package_parse(&pkg, (const char *)data + 1, size - 1, &opts) != VMHI_OK) {
        FUZZ_CHECK(pkg == NULL);
        return 0;
    }
    for (size_t i = 0; i < vmhi_ovf_package_get_vm_count(pkg); i++) {
        const vmhi_vm_config *cfg = vmhi_ovf_package_get_vm(pkg, i);
        char *xml = NULL, *ovf = NULL;
        FUZZ_CHECK(cfg && vmhi_vm_config_to_xml(cfg, &xml) == VMHI_OK);
        FUZZ_CHECK(vmhi_ovf_export(cfg, &ovf) == VMHI_OK);
        vmhi_free(xml);
        vmhi_free(ovf);
    }
    for (size_t i = 0; i < vmhi_ovf_package_get_report_count(pkg); i++) {
        vmhi_ovf_report_kind kind;
        unsigned line;
        size_t vm;
        const char *msg;
        FUZZ_CHECK(vmhi_ovf_package_get_report(pkg, i, &kind, &line, &vm, &msg) == VMHI_OK);
        FUZZ_CHECK(msg && vmhi_ovf_report_kind_name(kind) != NULL);
    }
    vmhi_ovf_package_free(pkg);
    return 0;
}
