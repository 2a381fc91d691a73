/*
 * OVF import and export (vmhi/ovf.h) over the corpus in tests/data/ovf/.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ovf_internal.h"
#include "testutil.h"

#define VMHI_TEST_OVF_NS "http://schemas.dmtf.org/ovf/envelope/2"

static char path_buf[4096];

static const char *corpus(const char *name)
{
    const char *src = getenv("VMHI_TEST_SOURCE_DIR");
    snprintf(path_buf, sizeof(path_buf), "%s/tests/data/ovf/%s", src ? src : ".", name);
    return path_buf;
}

static vmhi_ovf_package *open_ok(const char *name, const char *option, unsigned flags)
{
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    o.option = option;
    o.flags = flags;
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_open(&p, corpus(name), &o));
    return p;
}

static int open_rc(const char *name, unsigned flags)
{
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    o.flags = flags;
    vmhi_ovf_package *p = (vmhi_ovf_package *)1;
    int rc = vmhi_ovf_package_open(&p, corpus(name), &o);
    ck_assert_ptr_null(p);
    return rc;
}

/* Whether a report line of @kind contains @text. */
/* Whether a report line of @kind says @text (on a line of the descriptor
 * unless @anywhere: adaptations concern no line). */
static bool reported_at(const vmhi_ovf_package *p, vmhi_ovf_report_kind kind, const char *text,
                        bool anywhere)
{
    for (size_t i = 0; i < vmhi_ovf_package_get_report_count(p); i++) {
        vmhi_ovf_report_kind k;
        unsigned line;
        const char *m;
        ck_vmhi_ok(vmhi_ovf_package_get_report(p, i, &k, &line, NULL, &m));
        if (k == kind && strstr(m, text) && (line > 0 || anywhere))
            return true;
    }
    return false;
}

static bool reported(const vmhi_ovf_package *p, vmhi_ovf_report_kind kind, const char *text)
{
    return reported_at(p, kind, text, false);
}

START_TEST(vmware_vmx13_maps_firmware_bus_and_nic)
{
    vmhi_ovf_package *p = open_ok("vmware-vmx13.ovf", NULL, 0);
    ck_assert_uint_eq(vmhi_ovf_package_get_vm_count(p), 1);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_str_eq(vmhi_vm_config_get_name(c), "web13");
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(c), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(c), 2048);
    ck_assert_int_eq(vmhi_vm_config_get_firmware(c), VMHI_FIRMWARE_UEFI);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(c), 1);
    const vmhi_disk *d = vmhi_vm_config_get_disk(c, 0);
    ck_assert_int_eq(vmhi_disk_get_bus(d), VMHI_DISK_BUS_SCSI);
    ck_assert_int_eq(vmhi_disk_get_format(d), VMHI_DISK_FORMAT_VMDK);
    ck_assert_str_eq(vmhi_disk_get_path(d), "/srv/images/web13-disk1.vmdk");
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(c, 0)), VMHI_NIC_MODEL_VMXNET3);
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(c, 0)), "VM Network");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:system-type"), "vmx-13");
    ck_assert_str_eq(vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:vmw.tools.syncTimeWithHost"),
                     "false");
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "CD drive"));
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "graphics controller"));
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "<Config>"));
    ck_assert(reported(p, VMHI_OVF_REPORT_CONVERTED, "lsilogicsas"));
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(vmware_vmx07_and_vmx19_shapes)
{
    vmhi_ovf_package *p = open_ok("vmware-vmx07.ovf", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_int_eq(vmhi_vm_config_get_firmware(c), VMHI_FIRMWARE_BIOS);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(c), 512);
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(c, 0)), VMHI_NIC_MODEL_E1000);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), 0);
    vmhi_ovf_package_free(p);

    p = open_ok("vmware-vmx19-multi.ovf", NULL, 0);
    c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(c), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(c), 2);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(c, 1)), VMHI_DISK_BUS_PVSCSI);
    ck_assert_str_eq(vmhi_nic_get_network(vmhi_vm_config_get_nic(c, 1)), "Backend");
    ck_assert(reported(p, VMHI_OVF_REPORT_CONVERTED, "E1000e"));
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "CoresPerSocket"));
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(virtualbox_machine_is_kept_for_export)
{
    vmhi_ovf_package *p = open_ok("vbox-2.2.ovf", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(c, 0)), VMHI_DISK_BUS_SATA);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:product.Vendor"), "Example Org");
    const char *raw = vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:section.0.0");
    ck_assert_ptr_nonnull(raw);
    ck_assert_ptr_nonnull(strstr(raw, "<vbox:Machine"));
    /* A vendor child of OperatingSystemSection is kept too, and written
     * back inside that section. */
    ck_assert(reported(p, VMHI_OVF_REPORT_CONVERTED, "<OSType> kept as metadata"));
    ck_assert(!reported(p, VMHI_OVF_REPORT_UNHONOURED, "OSType"));
    const char *os = vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:os-section.0.0");
    ck_assert_ptr_nonnull(os);
    ck_assert_ptr_nonnull(strstr(os, "Debian_64"));
    char *xml = NULL;
    ck_vmhi_ok(vmhi_ovf_export(c, &xml));
    ck_assert_ptr_nonnull(strstr(xml, "<vbox:Machine"));
    const char *in_os = strstr(xml, "<OperatingSystemSection");
    ck_assert_ptr_nonnull(in_os);
    const char *os_type = strstr(in_os, "<vbox:OSType");
    ck_assert_ptr_nonnull(os_type);
    ck_assert(os_type < strstr(in_os, "</OperatingSystemSection>"));
    /* ...and imported from the export again as it was. */
    vmhi_ovf_package *q = NULL;
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    ck_vmhi_ok(vmhi_ovf_package_parse(&q, xml, strlen(xml), &o));
    ck_assert_str_eq(vmhi_vm_config_get_metadata(vmhi_ovf_package_get_vm(q, 0),
                                                 "org.vmhi.ovf:os-section.0.0"), os);
    vmhi_ovf_package_free(q);
    vmhi_free(xml);
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(ova_archive_is_read)
{
    vmhi_ovf_package *p = open_ok("vbox-6.ova", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_str_eq(vmhi_vm_config_get_name(c), "devbox6");
    ck_assert_int_eq(vmhi_nic_get_model(vmhi_vm_config_get_nic(c, 0)), VMHI_NIC_MODEL_VIRTIO);
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(xcpng_vhd_disk_is_reported)
{
    vmhi_ovf_package *p = open_ok("xcpng.ovf", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_str_eq(vmhi_nic_get_mac(vmhi_vm_config_get_nic(c, 0)), "aa:bb:cc:11:22:33");
    ck_assert_str_eq(vmhi_disk_get_id(vmhi_vm_config_get_disk(c, 0)), "xvda");
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "not raw, qcow2 or vmdk"));
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "<Limit>"));
    vmhi_ovf_package_free(p);
    ck_assert_int_eq(open_rc("xcpng.ovf", VMHI_OVF_STRICT), VMHI_E_UNSUPPORTED);
}
END_TEST

START_TEST(deployment_options_select_items)
{
    vmhi_ovf_package *p = open_ok("deploy-options.ovf", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(c), 2);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(c), 4096);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(c), 1);
    ck_assert_uint_eq(vmhi_disk_get_size_mib(vmhi_vm_config_get_disk(c, 0)), 2048);
    vmhi_ovf_package_free(p);
    p = open_ok("deploy-options.ovf", "large", 0);
    c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_vcpus(c), 8);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(c), 16384);
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(c), 2);
    vmhi_ovf_package_free(p);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.option = "huge";
    o.disk_dir = "/srv";
    ck_vmhi(vmhi_ovf_package_open(&p, corpus("deploy-options.ovf"), &o), VMHI_E_NOT_FOUND);
}
END_TEST

START_TEST(collection_gives_two_vms)
{
    vmhi_ovf_package *p = open_ok("collection.ovf", NULL, 0);
    ck_assert_uint_eq(vmhi_ovf_package_get_vm_count(p), 2);
    ck_assert_str_eq(vmhi_vm_config_get_name(vmhi_ovf_package_get_vm(p, 0)), "web");
    const vmhi_vm_config *db = vmhi_ovf_package_get_vm(p, 1);
    ck_assert_str_eq(vmhi_vm_config_get_name(db), "db");
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(db), 8192);
    ck_assert_int_eq(vmhi_disk_get_format(vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, 0), 0)),
                     VMHI_DISK_FORMAT_QCOW2);
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "StartupSection"));
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(units_in_words)
{
    vmhi_ovf_package *p = open_ok("ovf10-words.ovf", NULL, 0);
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(c), 769); /* 786500 KiB, rounded up */
    ck_assert_int_eq(vmhi_disk_get_bus(vmhi_vm_config_get_disk(c, 0)), VMHI_DISK_BUS_IDE);
    ck_assert(reported(p, VMHI_OVF_REPORT_CONVERTED, "rounded up"));
    vmhi_ovf_package_free(p);
}
END_TEST

static const struct {
    const char *file;
    int rc;
    const char *text;
} bad[] = {
    { "bad-xml.ovf", VMHI_E_PARSE, "XML syntax error" },
    { "xxe.ovf", VMHI_E_PARSE, "DOCTYPE" },
    { "dangling-disk.ovf", VMHI_E_PARSE, "names no Disk" },
    { "dangling-file.ovf", VMHI_E_PARSE, "names no File" },
    { "dangling-parent.ovf", VMHI_E_PARSE, "names no item" },
    { "dangling-network.ovf", VMHI_E_PARSE, "names no Network" },
    { "overflow-memory.ovf", VMHI_E_PARSE, "out of range" },
    { "overflow-units.ovf", VMHI_E_PARSE, "AllocationUnits" },
    { "required-unknown.ovf", VMHI_E_UNSUPPORTED, "required" },
};

START_TEST(malformed_envelopes_give_nothing)
{
    ck_assert_int_eq(open_rc(bad[_i].file, 0), bad[_i].rc);
    ck_assert_msg(strstr(vmhi_error_last_message(), bad[_i].text), "%s: %s", bad[_i].file,
                  vmhi_error_last_message());
    ck_assert_msg(strstr(vmhi_error_last_message(), "line "), "%s: no line in \"%s\"",
                  bad[_i].file, vmhi_error_last_message());
}
END_TEST

START_TEST(units_parse_and_overflow)
{
#define UNIT_DOC \
    "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' " \
    "xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData'>" \
    "<VirtualSystem ovf:id='u' xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'><VirtualHardwareSection>" \
    "<Item><rasd:AllocationUnits>%s</rasd:AllocationUnits><rasd:InstanceID>1</rasd:InstanceID>" \
    "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>%s</rasd:VirtualQuantity></Item>" \
    "</VirtualHardwareSection></VirtualSystem></Envelope>"
    static const struct {
        const char *unit, *qty;
        uint64_t mib; /* 0: error */
    } cases[] = {
        { "byte * 2^20", "1024", 1024 }, { "byte*2^30", "2", 2048 }, { "MegaBytes", "300", 300 },
        { "GigaBytes", "1", 1024 },      { "byte * 1024 * 1024", "64", 64 },
        { "byte", "1073741824", 1024 },  { "KB", "2048", 2 }, { "byte * 10^6", "1000", 954 },
        { "byte * 2^20", "18446744073709551615", 0 }, { "byte * 2^40", "17592186044416", 0 },
        { "byte * 2^65", "1", 0 },       { "furlongs", "1", 0 }, { "byte * 2^20", "-1", 0 },
        { "byte * 2^20", "99999999999999999999999", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[2048];
        snprintf(doc, sizeof(doc), UNIT_DOC, cases[i].unit, cases[i].qty);
        vmhi_ovf_package *p = NULL;
        int rc = vmhi_ovf_package_parse(&p, doc, strlen(doc), NULL);
        if (cases[i].mib == 0) {
            ck_assert_msg(rc == VMHI_E_PARSE, "%s x %s: rc %d", cases[i].qty, cases[i].unit, rc);
            continue;
        }
        ck_assert_msg(rc == 0, "%s x %s: %s", cases[i].qty, cases[i].unit,
                      vmhi_error_last_message());
        ck_assert_uint_eq(vmhi_vm_config_get_memory_mib(vmhi_ovf_package_get_vm(p, 0)),
                          cases[i].mib);
        vmhi_ovf_package_free(p);
    }
}
END_TEST

/* A config with every field VMHI models. */
static vmhi_vm_config *full_config(void)
{
    vmhi_vm_config *c = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&c));
    ck_vmhi_ok(vmhi_vm_config_set_name(c, "round-trip"));
    ck_vmhi_ok(vmhi_vm_config_set_uuid(c, "0b7a1c9e-4f2d-4e8a-9c1b-2d3e4f5a6b7c"));
    ck_vmhi_ok(vmhi_vm_config_set_vcpus(c, 2));
    ck_vmhi_ok(vmhi_vm_config_set_max_vcpus(c, 4));
    ck_vmhi_ok(vmhi_vm_config_set_memory_mib(c, 1024));
    ck_vmhi_ok(vmhi_vm_config_set_max_memory_mib(c, 2048));
    ck_vmhi_ok(vmhi_vm_config_set_firmware(c, VMHI_FIRMWARE_UEFI));
    vmhi_boot_dev order[] = { VMHI_BOOT_NETWORK, VMHI_BOOT_DISK };
    ck_vmhi_ok(vmhi_vm_config_set_boot_order(c, order, 2));
    static const struct {
        const char *id, *path;
        vmhi_disk_bus bus;
        vmhi_disk_format fmt;
        int ro;
        uint64_t size;
        const char *target;
    } disks[] = {
        { "root", "/srv/images/root.qcow2", VMHI_DISK_BUS_VIRTIO, VMHI_DISK_FORMAT_QCOW2, 0, 0, NULL },
        { "scsi0", "/srv/images/s0.img", VMHI_DISK_BUS_SCSI, VMHI_DISK_FORMAT_RAW, 0, 0, "sdb" },
        { "pv0", "/srv/images/pv.vmdk", VMHI_DISK_BUS_PVSCSI, VMHI_DISK_FORMAT_VMDK, 1, 0, NULL },
        { "sata0", "/srv/images/new.img", VMHI_DISK_BUS_SATA, VMHI_DISK_FORMAT_RAW, 0, 4096, NULL },
        { "ide0", "/srv/images/i.img", VMHI_DISK_BUS_IDE, VMHI_DISK_FORMAT_RAW, 0, 0, "hda" },
        { "xen0", "/srv/images/x.img", VMHI_DISK_BUS_XEN, VMHI_DISK_FORMAT_RAW, 0, 0, "xvdb" },
        { "dflt", "/srv/images/d.img", VMHI_DISK_BUS_DEFAULT, VMHI_DISK_FORMAT_RAW, 0, 0, NULL },
    };
    for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]); i++) {
        vmhi_disk *d = NULL;
        ck_vmhi_ok(vmhi_disk_new(&d));
        ck_vmhi_ok(vmhi_disk_set_id(d, disks[i].id));
        ck_vmhi_ok(vmhi_disk_set_path(d, disks[i].path));
        ck_vmhi_ok(vmhi_disk_set_bus(d, disks[i].bus));
        ck_vmhi_ok(vmhi_disk_set_format(d, disks[i].fmt));
        ck_vmhi_ok(vmhi_disk_set_readonly(d, disks[i].ro));
        ck_vmhi_ok(vmhi_disk_set_size_mib(d, disks[i].size));
        ck_vmhi_ok(vmhi_disk_set_target(d, disks[i].target));
        ck_vmhi_ok(vmhi_vm_config_add_disk(c, d));
        vmhi_disk_free(d);
    }
    for (int i = 0; i <= VMHI_NIC_MODEL_XEN; i++) {
        vmhi_nic *n = NULL;
        char id[16], mac[18];
        snprintf(id, sizeof(id), "net%d", i);
        snprintf(mac, sizeof(mac), "52:54:00:00:00:%02x", i + 1);
        ck_vmhi_ok(vmhi_nic_new(&n));
        ck_vmhi_ok(vmhi_nic_set_id(n, id));
        ck_vmhi_ok(vmhi_nic_set_model(n, (vmhi_nic_model)i));
        if (i % 2)
            ck_vmhi_ok(vmhi_nic_set_mac(n, mac));
        ck_vmhi_ok(vmhi_nic_set_network(n, i == 3 ? "bridge:br0" : i == 4 ? "user" : "default"));
        ck_vmhi_ok(vmhi_vm_config_add_nic(c, n));
        vmhi_nic_free(n);
    }
    ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "com.example:owner", "ops <team> & \"friends\"\n\tline 2"));
    ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:vmw.tools.sync", "a\nb"));
    return c;
}

static void assert_same(const vmhi_vm_config *a, const vmhi_vm_config *b)
{
    char *xa = NULL, *xb = NULL;
    ck_vmhi_ok(vmhi_vm_config_to_xml(a, &xa));
    ck_vmhi_ok(vmhi_vm_config_to_xml(b, &xb));
    ck_assert_str_eq(xa, xb);
    vmhi_free(xa);
    vmhi_free(xb);
}

START_TEST(export_then_import_is_lossless)
{
    vmhi_vm_config *c = full_config();
    char *ovf = NULL;
    ck_vmhi_ok(vmhi_ovf_export(c, &ovf));
    ck_assert_ptr_nonnull(strstr(ovf, "http://schemas.dmtf.org/ovf/envelope/2"));
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, ovf, strlen(ovf), &o));
    ck_assert_uint_eq(vmhi_ovf_package_get_vm_count(p), 1);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), 0);
    assert_same(c, vmhi_ovf_package_get_vm(p, 0));
    vmhi_ovf_package_free(p);
    vmhi_free(ovf);
    vmhi_vm_config_free(c);
}
END_TEST

START_TEST(corpus_round_trips_through_export)
{
    static const char *files[] = { "vmware-vmx13.ovf", "vmware-vmx19-multi.ovf", "vbox-2.2.ovf",
                                   "xcpng.ovf", "deploy-options.ovf", "ovf10-words.ovf" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        vmhi_ovf_package *p = open_ok(files[i], NULL, 0), *q = NULL;
        char *ovf = NULL;
        ck_vmhi_ok(vmhi_ovf_export(vmhi_ovf_package_get_vm(p, 0), &ovf));
        vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
        o.disk_dir = "/srv/images";
        ck_vmhi_ok(vmhi_ovf_package_parse(&q, ovf, strlen(ovf), &o));
        assert_same(vmhi_ovf_package_get_vm(p, 0), vmhi_ovf_package_get_vm(q, 0));
        vmhi_free(ovf);
        vmhi_ovf_package_free(p);
        vmhi_ovf_package_free(q);
    }
}
END_TEST

START_TEST(export_file_ovf_and_ova)
{
    char dir[] = "/tmp/vmhi-ovf-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    vmhi_vm_config *c = full_config();
    char ovf[256], ova[256];
    snprintf(ovf, sizeof(ovf), "%s/vm.ovf", dir);
    snprintf(ova, sizeof(ova), "%s/vm.ova", dir);
    ck_vmhi_ok(vmhi_ovf_export_file(c, ovf));
    ck_vmhi(vmhi_ovf_export_file(c, ovf), VMHI_E_EXISTS);
    /* An .ova carries the images, which do not exist here. */
    ck_vmhi(vmhi_ovf_export_file(c, ova), VMHI_E_NOT_FOUND);
    ck_assert_int_ne(access(ova, F_OK), 0);
    ck_vmhi(vmhi_ovf_export_file(c, "/tmp/x.xml"), VMHI_E_INVALID_ARG);
    const char *files[] = { ovf };
    for (int i = 0; i < 1; i++) {
        vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
        o.disk_dir = "/srv/images";
        vmhi_ovf_package *p = NULL;
        ck_vmhi_ok(vmhi_ovf_package_open(&p, files[i], &o));
        assert_same(c, vmhi_ovf_package_get_vm(p, 0));
        vmhi_ovf_package_free(p);
    }
    unlink(ovf);
    unlink(ova);
    rmdir(dir);
    vmhi_vm_config_free(c);
}
END_TEST

/* OVF-10: a kept section is written only when it is one well-formed element. */
START_TEST(raw_sections_must_be_one_element)
{
    static const struct {
        const char *part0, *part1;
        int rc;
    } cases[] = {
        { "<x:S xmlns:x=\"urn:x\" ovf:required=\"false\" xmlns:ovf=\"" VMHI_TEST_OVF_NS
          "\"><x:I>", "kept</x:I></x:S>", VMHI_OK },
        { "<x:S xmlns:x=\"urn:x\">", NULL, VMHI_E_INVALID_ARG },
        { "<x:S xmlns:x=\"urn:x\"/>", "<x:T xmlns:x=\"urn:x\"/>", VMHI_E_INVALID_ARG },
        { "<!DOCTYPE S [<!ENTITY e \"v\">]><S>&e;</S>", NULL, VMHI_E_INVALID_ARG },
        { "not xml", NULL, VMHI_E_INVALID_ARG },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vmhi_vm_config *c = NULL;
        ck_vmhi_ok(vmhi_vm_config_new(&c));
        ck_vmhi_ok(vmhi_vm_config_set_name(c, "raw"));
        ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:section.0.0", cases[i].part0));
        if (cases[i].part1)
            ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:section.0.1",
                                                   cases[i].part1));
        char *xml = NULL;
        ck_vmhi(vmhi_ovf_export(c, &xml), cases[i].rc);
        if (cases[i].rc == VMHI_OK) {
            ck_assert_ptr_nonnull(strstr(xml, "<x:I>kept</x:I></x:S>"));
            vmhi_ovf_package *p = NULL;
            ck_vmhi_ok(vmhi_ovf_package_parse(&p, xml, strlen(xml), NULL));
            const char *back = vmhi_vm_config_get_metadata(vmhi_ovf_package_get_vm(p, 0),
                                                           "org.vmhi.ovf:section.0.0");
            ck_assert_ptr_nonnull(back); /* re-serialized, so compare its content */
            ck_assert_ptr_nonnull(strstr(back, "<x:I>kept</x:I></x:S>"));
            vmhi_ovf_package_free(p);
        } else {
            ck_assert_ptr_null(xml);
            ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "well-formed XML element"));
        }
        vmhi_free(xml);
        /* The same rule inside OperatingSystemSection (os-section.<n>.*). */
        ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:section.0.0", NULL));
        if (cases[i].part1)
            ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:section.0.1", NULL));
        ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:os-id", "96"));
        ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:os-section.0.0",
                                               cases[i].part0));
        if (cases[i].part1)
            ck_vmhi_ok(vmhi_vm_config_set_metadata(c, "org.vmhi.ovf:os-section.0.1",
                                                   cases[i].part1));
        xml = NULL;
        ck_vmhi(vmhi_ovf_export(c, &xml), cases[i].rc);
        if (cases[i].rc == VMHI_OK)
            ck_assert_ptr_nonnull(strstr(xml, "<x:I>kept</x:I></x:S>\n    </OperatingSystemSection>"));
        else
            ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "os-section.0.*"));
        vmhi_free(xml);
        vmhi_vm_config_free(c);
    }
}
END_TEST

START_TEST(unused_disks_are_reported)
{
    const char *xml =
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
        "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" xmlns:rasd=\"http://schemas.dmtf"
        ".org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\">\n"
        "<DiskSection><Info>d</Info>\n"
        "<Disk ovf:diskId=\"used\" ovf:capacity=\"1\" ovf:capacityAllocationUnits=\"byte * 2^20\"/>\n"
        "<Disk ovf:diskId=\"spare\" ovf:capacity=\"1\" ovf:capacityAllocationUnits=\"byte * 2^20\"/>\n"
        "</DiskSection>\n"
        "<VirtualSystem ovf:id=\"u\"><VirtualHardwareSection><Item>"
        "<rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>"
        "<rasd:HostResource>ovf:/disk/used</rasd:HostResource></Item>"
        "</VirtualHardwareSection></VirtualSystem></Envelope>";
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, xml, strlen(xml), &o));
    ck_assert_uint_eq(vmhi_vm_config_get_disk_count(vmhi_ovf_package_get_vm(p, 0)), 1);
    ck_assert(reported(p, VMHI_OVF_REPORT_UNHONOURED, "Disk \"spare\" is used by no item"));
    ck_assert(!reported(p, VMHI_OVF_REPORT_UNHONOURED, "Disk \"used\""));
    vmhi_ovf_package_free(p);
    o.flags = VMHI_OVF_STRICT;
    ck_vmhi(vmhi_ovf_package_parse(&p, xml, strlen(xml), &o), VMHI_E_UNSUPPORTED);
}
END_TEST

START_TEST(product_property_types_and_values_round_trip)
{
    const char *xml =
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
        "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">\n"
        "<VirtualSystem ovf:id=\"pp\"><ProductSection><Info>p</Info>"
        "<Property ovf:key=\"port\" ovf:type=\"uint16\" ovf:value=\"8080\"/>"
        "<Property ovf:key=\"motd\" ovf:type=\"string\" ovf:value=\"  two&#10;lines \"/>"
        "<Property ovf:key=\"admin\" ovf:type=\"password\" ovf:value=\"\"/>"
        "</ProductSection><VirtualHardwareSection/></VirtualSystem></Envelope>";
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, xml, strlen(xml), NULL));
    const vmhi_vm_config *c = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_str_eq(vmhi_vm_config_get_metadata(c, "org.vmhi.ovf:property.motd"),
                     "  two\nlines ");
    char *out = NULL;
    ck_vmhi_ok(vmhi_ovf_export(c, &out));
    ck_assert_ptr_nonnull(strstr(out, "ovf:key=\"port\" ovf:type=\"uint16\" ovf:value=\"8080\""));
    ck_assert_ptr_nonnull(strstr(out, "ovf:key=\"admin\" ovf:type=\"password\""));
    ck_assert_ptr_nonnull(strstr(out, "ovf:key=\"motd\" ovf:type=\"string\""));
    ck_assert_ptr_null(strstr(out, "property-type"));
    vmhi_ovf_package *back = NULL;
    ck_vmhi_ok(vmhi_ovf_package_parse(&back, out, strlen(out), NULL));
    assert_same(c, vmhi_ovf_package_get_vm(back, 0));
    vmhi_ovf_package_free(back);
    vmhi_free(out);
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(adapt_to_test_backend_and_bad_arguments)
{
    vmhi_ovf_package *p = open_ok("vmware-vmx19-multi.ovf", NULL, 0);
    vmhi_conn *conn = vmhi_test_open("test:///default");
    size_t before = vmhi_ovf_package_get_report_count(p);
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn)); /* the test backend accepts every value */
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), before);
    ck_vmhi(vmhi_ovf_package_adapt(NULL, conn), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_get_report(p, 999, NULL, NULL, NULL, NULL), VMHI_E_INVALID_ARG);
    vmhi_conn_close(conn);
    vmhi_ovf_package_free(p);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.version = 0;
    ck_vmhi(vmhi_ovf_package_parse(&p, "<a/>", 4, &o), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_parse(&p, "<a/>", 4, NULL), VMHI_E_PARSE);
    ck_vmhi(vmhi_ovf_package_parse(NULL, "<a/>", 4, NULL), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(vmhi_ovf_report_kind_name(VMHI_OVF_REPORT_ADAPTED), "adapted");
    ck_assert_ptr_null(vmhi_ovf_report_kind_name((vmhi_ovf_report_kind)0));
}
END_TEST

/* One VM with no virtual hardware: no disk, no NIC. */
static const char empty_vm[] =
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'><VirtualSystem "
        "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' ovf:id='quiet'>"
        "<VirtualHardwareSection/></VirtualSystem></Envelope>";

static const char *nic_network(const vmhi_ovf_package *p, size_t vm, size_t nic)
{
    return vmhi_nic_get_network(vmhi_vm_config_get_nic(vmhi_ovf_package_get_vm(p, vm), nic));
}

START_TEST(networks_are_mapped_by_name_or_all_at_once)
{
    /* Two NICs on two networks: each name moves its own NIC only. */
    vmhi_ovf_package *p = open_ok("vmware-vmx19-multi.ovf", NULL, 0);
    size_t lines = vmhi_ovf_package_get_report_count(p);
    const char *front = strcmp(nic_network(p, 0, 0), "Frontend") == 0 ? "Frontend" : "Backend";
    const char *back = strcmp(front, "Frontend") == 0 ? "Backend" : "Frontend";
    ck_assert_str_eq(nic_network(p, 0, 1), back);
    ck_vmhi_ok(vmhi_ovf_package_map_network(p, front, "bridge:br-front"));
    ck_assert_str_eq(nic_network(p, 0, 0), "bridge:br-front");
    ck_assert_str_eq(nic_network(p, 0, 1), back);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 1);
    ck_assert(reported_at(p, VMHI_OVF_REPORT_ADAPTED, "mapped to 'bridge:br-front'", true));
    /* A name no NIC is on (any more): NOT_FOUND naming the networks there
     * are, and nothing changes. */
    ck_vmhi(vmhi_ovf_package_map_network(p, front, "default"), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), back));
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "bridge:br-front"));
    ck_assert_str_eq(nic_network(p, 0, 0), "bridge:br-front");
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 1);
    /* Bad arguments change nothing either. */
    ck_vmhi(vmhi_ovf_package_map_network(NULL, NULL, "default"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_network(p, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_network(p, NULL, ""), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_network(p, "", "default"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_network(p, back, "bad\001name"), VMHI_E_INVALID_ARG);
    ck_assert_str_eq(nic_network(p, 0, 1), back);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 1);
    /* NULL moves every NIC, one line each. */
    ck_vmhi_ok(vmhi_ovf_package_map_network(p, NULL, "default"));
    ck_assert_str_eq(nic_network(p, 0, 0), "default");
    ck_assert_str_eq(nic_network(p, 0, 1), "default");
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 3);
    vmhi_ovf_package_free(p);

    /* In a collection, every VM's NICs on that network move. */
    p = open_ok("collection.ovf", NULL, 0);
    ck_vmhi_ok(vmhi_ovf_package_map_network(p, "app-net", "bridge:xenbr0"));
    ck_assert_str_eq(nic_network(p, 0, 0), "bridge:xenbr0");
    ck_assert_str_eq(nic_network(p, 1, 0), "bridge:xenbr0");
    vmhi_ovf_package_free(p);

    /* A package without NICs has nothing to map. */
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, empty_vm, strlen(empty_vm), NULL));
    ck_assert_uint_eq(vmhi_vm_config_get_nic_count(vmhi_ovf_package_get_vm(p, 0)), 0);
    ck_vmhi(vmhi_ovf_package_map_network(p, NULL, "default"), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "no NIC"));
    vmhi_ovf_package_free(p);
}
END_TEST

static vmhi_disk_bus disk_bus(const vmhi_ovf_package *p, size_t vm, size_t disk)
{
    return vmhi_disk_get_bus(vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, vm), disk));
}

static vmhi_nic_model nic_model(const vmhi_ovf_package *p, size_t vm, size_t nic)
{
    return vmhi_nic_get_model(vmhi_vm_config_get_nic(vmhi_ovf_package_get_vm(p, vm), nic));
}

START_TEST(values_are_mapped_as_asked)
{
    /* Two PVSCSI disks, a vmxnet3 and an e1000e NIC (read as e1000). */
    vmhi_ovf_package *p = open_ok("vmware-vmx19-multi.ovf", NULL, 0);
    ck_assert_int_eq(disk_bus(p, 0, 0), VMHI_DISK_BUS_PVSCSI);
    ck_assert_int_eq(disk_bus(p, 0, 1), VMHI_DISK_BUS_PVSCSI);
    ck_assert_int_eq(nic_model(p, 0, 0), VMHI_NIC_MODEL_VMXNET3);
    ck_assert_int_eq(nic_model(p, 0, 1), VMHI_NIC_MODEL_E1000);
    size_t lines = vmhi_ovf_package_get_report_count(p);
    ck_vmhi_ok(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_PVSCSI,
                                          VMHI_DISK_BUS_SCSI));
    ck_assert_int_eq(disk_bus(p, 0, 0), VMHI_DISK_BUS_SCSI);
    ck_assert_int_eq(disk_bus(p, 0, 1), VMHI_DISK_BUS_SCSI);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 2);
    ck_assert(reported_at(p, VMHI_OVF_REPORT_ADAPTED, "bus pvscsi mapped to scsi as asked", true));
    /* The target accepts SCSI, so adaptation keeps what was asked. */
    vmhi_conn *conn = vmhi_test_open("test:///default");
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
    vmhi_conn_close(conn);
    ck_assert_int_eq(disk_bus(p, 0, 0), VMHI_DISK_BUS_SCSI);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 2);
    /* No disk is on PVSCSI any more: NOT_FOUND naming the bus there is. */
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_PVSCSI,
                                       VMHI_DISK_BUS_IDE),
            VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "its disks have scsi"));
    ck_assert_int_eq(disk_bus(p, 0, 0), VMHI_DISK_BUS_SCSI);

    /* One NIC model, then every NIC not on the new model already. */
    lines = vmhi_ovf_package_get_report_count(p);
    ck_vmhi_ok(vmhi_ovf_package_map_value(p, VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_VMXNET3,
                                          VMHI_NIC_MODEL_VIRTIO));
    ck_assert_int_eq(nic_model(p, 0, 0), VMHI_NIC_MODEL_VIRTIO);
    ck_assert_int_eq(nic_model(p, 0, 1), VMHI_NIC_MODEL_E1000);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 1);
    ck_vmhi_ok(vmhi_ovf_package_map_value(p, VMHI_VALUE_NIC_MODEL, VMHI_OVF_ANY_VALUE,
                                          VMHI_NIC_MODEL_VIRTIO));
    ck_assert_int_eq(nic_model(p, 0, 1), VMHI_NIC_MODEL_VIRTIO);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 2);
    /* Every NIC is virtio already: nothing to do is no error. */
    ck_vmhi_ok(vmhi_ovf_package_map_value(p, VMHI_VALUE_NIC_MODEL, VMHI_OVF_ANY_VALUE,
                                          VMHI_NIC_MODEL_VIRTIO));
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines + 2);

    /* Bad arguments change nothing. */
    lines = vmhi_ovf_package_get_report_count(p);
    ck_vmhi(vmhi_ovf_package_map_value(NULL, VMHI_VALUE_DISK_BUS, VMHI_OVF_ANY_VALUE, 0),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_FIRMWARE, VMHI_OVF_ANY_VALUE, 0),
            VMHI_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "cannot be mapped"));
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_OVF_ANY_VALUE,
                                       VMHI_DISK_BUS_COUNT_1_0),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, -2, VMHI_DISK_BUS_IDE),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_NIC_MODEL, VMHI_NIC_MODEL_COUNT_1_0,
                                       VMHI_NIC_MODEL_E1000),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_SCSI,
                                       VMHI_DISK_BUS_SCSI),
            VMHI_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "scsi is mapped to itself"));
    ck_assert_int_eq(disk_bus(p, 0, 0), VMHI_DISK_BUS_SCSI);
    ck_assert_int_eq(nic_model(p, 0, 0), VMHI_NIC_MODEL_VIRTIO);
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines);
    vmhi_ovf_package_free(p);

    /* A target names a device of the old bus ("hda"): a disk that moves
     * loses it, the backend chooses anew; the other disks keep theirs. */
    vmhi_vm_config *c = full_config();
    char *ovf = NULL;
    ck_vmhi_ok(vmhi_ovf_export(c, &ovf));
    vmhi_vm_config_free(c);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = "/srv/images";
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, ovf, strlen(ovf), &o));
    vmhi_free(ovf);
    const vmhi_vm_config *vm = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_int_eq(disk_bus(p, 0, 4), VMHI_DISK_BUS_IDE);
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(vm, 4)), "hda");
    ck_vmhi_ok(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_DISK_BUS_IDE,
                                          VMHI_DISK_BUS_SCSI));
    vm = vmhi_ovf_package_get_vm(p, 0);
    ck_assert_int_eq(disk_bus(p, 0, 4), VMHI_DISK_BUS_SCSI);
    ck_assert_ptr_null(vmhi_disk_get_target(vmhi_vm_config_get_disk(vm, 4)));
    ck_assert_str_eq(vmhi_disk_get_target(vmhi_vm_config_get_disk(vm, 1)), "sdb");
    vmhi_ovf_package_free(p);

    /* A package without disks has nothing to map. */
    ck_vmhi_ok(vmhi_ovf_package_parse(&p, empty_vm, strlen(empty_vm), NULL));
    ck_vmhi(vmhi_ovf_package_map_value(p, VMHI_VALUE_DISK_BUS, VMHI_OVF_ANY_VALUE,
                                       VMHI_DISK_BUS_VIRTIO),
            VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "no disk"));
    vmhi_ovf_package_free(p);
}
END_TEST

START_TEST(damaged_ova_is_an_io_error)
{
    char dir[] = "/tmp/vmhi-ova-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/bad.ova", dir);
    FILE *f = fopen(corpus("vbox-6.ova"), "rb");
    ck_assert_ptr_nonnull(f);
    static char data[16384];
    size_t n = fread(data, 1, sizeof(data), f);
    fclose(f);
    data[148] ^= 1; /* the first header's checksum */
    f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    vmhi_ovf_package *p = NULL;
    ck_vmhi(vmhi_ovf_package_open(&p, path, &o), VMHI_E_IO);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A ustar header of @type for a member of @size bytes, checksum filled in. */
static void tar_header(unsigned char *h, const char *name, size_t size, char type)
{
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* Regression (seen reading ovf_tar.c, reproduced with fuzz_ovf_tar): a pax
 * record whose length ("2 ") did not cover its own length field made the
 * key scan read past the header. */
START_TEST(pax_record_shorter_than_its_length_field)
{
    static unsigned char tar[512 * 6];
    const char *pax = "2 xxxxxxxxxxxxxxxx";
    memset(tar, 0, sizeof(tar));
    tar_header(tar, "pax", strlen(pax), 'x');
    memcpy(tar + 512, pax, strlen(pax));
    tar_header(tar + 1024, "vm.ovf", 3, '0');
    memcpy(tar + 1536, "abc", 3);
    int fd = memfd_create("pax.ova", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, tar, sizeof(tar)), (int)sizeof(tar));
    vmhi__tar_member m[4];
    size_t count = 0;
    ck_vmhi_ok(vmhi__tar_list(fd, m, 4, &count));
    ck_assert_uint_eq(count, 1);
    ck_assert_str_eq(m[0].name, "vm.ovf"); /* the bad record is ignored */
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ovf");
    TCase *tc = tcase_create("ovf");
    tcase_add_test(tc, vmware_vmx13_maps_firmware_bus_and_nic);
    tcase_add_test(tc, vmware_vmx07_and_vmx19_shapes);
    tcase_add_test(tc, virtualbox_machine_is_kept_for_export);
    tcase_add_test(tc, ova_archive_is_read);
    tcase_add_test(tc, xcpng_vhd_disk_is_reported);
    tcase_add_test(tc, deployment_options_select_items);
    tcase_add_test(tc, collection_gives_two_vms);
    tcase_add_test(tc, units_in_words);
    tcase_add_loop_test(tc, malformed_envelopes_give_nothing, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, units_parse_and_overflow);
    tcase_add_test(tc, export_then_import_is_lossless);
    tcase_add_test(tc, corpus_round_trips_through_export);
    tcase_add_test(tc, export_file_ovf_and_ova);
    tcase_add_test(tc, raw_sections_must_be_one_element);
    tcase_add_test(tc, unused_disks_are_reported);
    tcase_add_test(tc, product_property_types_and_values_round_trip);
    tcase_add_test(tc, adapt_to_test_backend_and_bad_arguments);
    tcase_add_test(tc, networks_are_mapped_by_name_or_all_at_once);
    tcase_add_test(tc, values_are_mapped_as_asked);
    tcase_add_test(tc, damaged_ova_is_an_io_error);
    tcase_add_test(tc, pax_record_shorter_than_its_length_field);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
