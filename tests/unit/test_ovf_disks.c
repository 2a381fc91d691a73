/*
 * OVF disk images (vmhi_ovf_package_import_disks, the .ova export with
 * images, the manifest and its digests): real images made by qemu-img in
 * a private directory, converted by the code under test and compared with
 * `qemu-img compare`.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ovf_internal.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vmhi-ovfd-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *in_dir(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

/* Runs @tmpl with every "%s" replaced by @arg and "%%" by "%". */
static void sh(const char *tmpl, const char *arg)
{
    char cmd[2048];
    size_t n = 0;
    for (const char *p = tmpl; *p && n + strlen(arg) + 2 < sizeof(cmd); p++) {
        if (p[0] == '%' && p[1] == 's') {
            memcpy(cmd + n, arg, strlen(arg));
            n += strlen(arg);
            p++;
        } else {
            cmd[n++] = *p;
            p += p[0] == '%' && p[1] == '%';
        }
    }
    cmd[n] = '\0';
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A VM with a raw image (8 MiB of a pattern) and a qcow2 one (16 MiB). */
static vmhi_vm_config *vm_with_images(void)
{
    sh("mkdir %s/src && head -c 8388608 /dev/urandom >%s/src/root.img && "
       "qemu-img create -q -f qcow2 %s/src/data.qcow2 16M", dir);
    vmhi_vm_config *c = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&c));
    ck_vmhi_ok(vmhi_vm_config_set_name(c, "imgvm"));
    const char *names[] = { "root.img", "data.qcow2" };
    const vmhi_disk_format formats[] = { VMHI_DISK_FORMAT_RAW, VMHI_DISK_FORMAT_QCOW2 };
    for (int i = 0; i < 2; i++) {
        char path[128];
        vmhi_disk *d = NULL;
        snprintf(path, sizeof(path), "%s/src/%s", dir, names[i]);
        ck_vmhi_ok(vmhi_disk_new(&d));
        ck_vmhi_ok(vmhi_disk_set_path(d, path));
        ck_vmhi_ok(vmhi_disk_set_format(d, formats[i]));
        ck_vmhi_ok(vmhi_vm_config_add_disk(c, d));
        vmhi_disk_free(d);
    }
    return c;
}

static vmhi_ovf_package *open_into(const char *file, const char *disk_dir)
{
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = disk_dir;
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi_ovf_package_open(&p, file, &o));
    return p;
}

static int progress_calls;

static void count_progress(const char *operation, int percent, void *userdata)
{
    ck_assert_ptr_eq(userdata, &progress_calls);
    ck_assert_ptr_nonnull(operation);
    ck_assert_int_ge(percent, 0);
    ck_assert_int_le(percent, 100);
    progress_calls++;
}

static void hex_of(const char *data, size_t len, vmhi__digest_algo algo, char *hex)
{
    vmhi__digest d;
    unsigned char out[VMHI__DIGEST_MAX];
    vmhi__digest_init(&d, algo);
    vmhi__digest_update(&d, data, len);
    vmhi__digest_hex(out, vmhi__digest_final(&d, out), hex);
}

START_TEST(digests_match_fips_vectors)
{
    char hex[65];
    hex_of("abc", 3, VMHI__SHA1, hex);
    ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    hex_of("abc", 3, VMHI__SHA256, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), VMHI__SHA256, hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    hex_of(two, strlen(two), VMHI__SHA1, hex);
    ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* A million 'a' in uneven pieces: the streaming path. */
    vmhi__digest d;
    unsigned char out[VMHI__DIGEST_MAX];
    char chunk[777];
    memset(chunk, 'a', sizeof(chunk));
    vmhi__digest_init(&d, VMHI__SHA256);
    for (size_t left = 1000000; left;) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        vmhi__digest_update(&d, chunk, n);
        left -= n;
    }
    vmhi__digest_hex(out, vmhi__digest_final(&d, out), hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(manifest_lines_and_unsafe_names)
{
    vmhi_ovf_package *p = NULL;
    ck_vmhi_ok(vmhi__ovf_package_new(&p));
    const char *good = "SHA1(a.ovf)= A9993E364706816ABA3E25717850C26C9CD0D89D\r\n\n"
                       "SHA256 (disk (1).vmdk) = "
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n";
    ck_vmhi_ok(vmhi__mf_parse(p, good, strlen(good)));
    ck_assert_uint_eq(p->manifest_count, 2);
    ck_assert_ptr_nonnull(vmhi__mf_find(p, "disk (1).vmdk"));
    ck_vmhi_ok(vmhi__mf_check_data(p, "a.ovf", "abc", 3));
    ck_vmhi(vmhi__mf_check_data(p, "a.ovf", "abd", 3), VMHI_E_IO);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "does not match"));
    ck_vmhi(vmhi__mf_check_data(p, "b.ovf", "abc", 3), VMHI_E_IO);
    vmhi_ovf_package_free(p);
    const char *bad[] = {
        "MD5(a.ovf)= 900150983cd24fb0d6963f7d28e17f72\n",
        "SHA1(a.ovf)= a9993e36\n",
        "SHA1 a.ovf = a9993e364706816aba3e25717850c26c9cd0d89d\n",
        "SHA1(../etc/passwd)= a9993e364706816aba3e25717850c26c9cd0d89d\n",
        "SHA1(/etc/passwd)= a9993e364706816aba3e25717850c26c9cd0d89d\n",
        "SHA1(a.ovf)= a9993e364706816aba3e25717850c26c9cd0d89d\n"
        "SHA1(a.ovf)= a9993e364706816aba3e25717850c26c9cd0d89d\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_vmhi_ok(vmhi__ovf_package_new(&p));
        ck_vmhi(vmhi__mf_parse(p, bad[i], strlen(bad[i])), VMHI_E_PARSE);
        ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "manifest line"));
        vmhi_ovf_package_free(p);
    }
    ck_assert(vmhi__ovf_safe_name("disks/a.vmdk"));
    ck_assert(!vmhi__ovf_safe_name("a/../b"));
    ck_assert(!vmhi__ovf_safe_name(".."));
    ck_assert(!vmhi__ovf_safe_name("/a"));
    ck_assert(!vmhi__ovf_safe_name("a\tb"));
    ck_assert(!vmhi__ovf_safe_name("a\\b"));
    ck_assert(!vmhi__ovf_safe_name("a//b"));
    ck_assert(!vmhi__ovf_safe_name("http://x/a"));
}
END_TEST

/* What an export reported: per operation, the last percentage and whether
 * the percentages only grew. */
typedef struct export_seen {
    char ops[16][64];
    int last[16];
    bool ordered;
    size_t n;
} export_seen;

static void record_export(const char *operation, int percent, void *userdata)
{
    export_seen *s = userdata;
    size_t i = 0;
    while (i < s->n && strcmp(s->ops[i], operation) != 0)
        i++;
    if (i == s->n && s->n < 16) {
        snprintf(s->ops[s->n], sizeof(s->ops[0]), "%s", operation);
        s->last[s->n++] = -1;
    }
    if (i < 16) {
        s->ordered = s->ordered && percent > s->last[i] && percent <= 100;
        s->last[i] = percent;
    }
}

START_TEST(ova_export_reports_progress)
{
    vmhi_vm_config *c = vm_with_images();
    char ova[128];
    export_seen seen = { .ordered = true };
    ck_vmhi_ok(vmhi_ovf_export_file_progress(c, in_dir(ova, sizeof(ova), "prog.ova"),
                                             record_export, &seen));
    static const char *const want[] = { "converting root.vmdk", "hashing root.vmdk",
                                        "converting data.vmdk", "hashing data.vmdk",
                                        "writing root.vmdk", "writing data.vmdk" };
    ck_assert_uint_eq(seen.n, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(seen.ops[i], want[i]);
        ck_assert_int_eq(seen.last[i], 100);
    }
    ck_assert_msg(seen.ordered, "a percentage repeated or went back");
    /* An .ovf carries no image: nothing to report; NULL is no progress. */
    export_seen none = { .ordered = true };
    char ovf[128];
    ck_vmhi_ok(vmhi_ovf_export_file_progress(c, in_dir(ovf, sizeof(ovf), "prog.ovf"),
                                             record_export, &none));
    ck_assert_uint_eq(none.n, 0);
    ck_vmhi_ok(vmhi_ovf_export_file_progress(c, in_dir(ovf, sizeof(ovf), "prog2.ova"), NULL,
                                             NULL));
    ck_vmhi(vmhi_ovf_export_file_progress(NULL, ovf, record_export, &none), VMHI_E_INVALID_ARG);
    vmhi_vm_config_free(c);
}
END_TEST

START_TEST(ova_export_import_converts_images)
{
    vmhi_vm_config *c = vm_with_images();
    char ova[128], out[128], cmd[2048];
    ck_vmhi_ok(vmhi_ovf_export_file(c, in_dir(ova, sizeof(ova), "imgvm.ova")));
    ck_vmhi(vmhi_ovf_export_file(c, ova), VMHI_E_EXISTS);
    /* The archive: descriptor, manifest, two streamOptimized vmdks. */
    sh("cd %s && tar tf imgvm.ova >list && printf 'imgvm.ovf\\nimgvm.mf\\nroot.vmdk\\n"
       "data.vmdk\\n' | cmp - list && tar xf imgvm.ova && "
       "sed 's/^SHA256(\\(.*\\))= \\(.*\\)/\\2  \\1/' imgvm.mf | sha256sum --quiet -c", dir);
    sh("cd %s && qemu-img info root.vmdk | grep -q 'create type: streamOptimized' && "
       "grep -q 'ovf:capacity=\"16777216\" ovf:capacityAllocationUnits=\"byte\"' imgvm.ovf && "
       "grep -q 'ovf:href=\"data.vmdk\"' imgvm.ovf", dir);
    vmhi_ovf_package *p = open_into(ova, in_dir(out, sizeof(out), "out"));
    vmhi_conn *conn = vmhi_test_open("test:///default");
    progress_calls = 0;
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, count_progress, &progress_calls));
    ck_assert_int_gt(progress_calls, 2);
    const vmhi_vm_config *got = vmhi_ovf_package_get_vm(p, 0);
    const vmhi_disk *root = vmhi_vm_config_get_disk(got, 0);
    snprintf(cmd, sizeof(cmd), "%s/root.qcow2", out);
    ck_assert_str_eq(vmhi_disk_get_path(root), cmd);
    ck_assert_int_eq(vmhi_disk_get_format(root), VMHI_DISK_FORMAT_QCOW2);
    snprintf(cmd, sizeof(cmd),
             "qemu-img compare -q -f raw -F qcow2 %s/src/root.img %s/root.qcow2 && "
             "qemu-img compare -q %s/src/data.qcow2 %s/data.qcow2 && "
             "test -z \"$(ls -A %s | grep -v qcow2)\"", dir, out, dir, out, out);
    ck_assert_int_eq(system(cmd), 0);
    /* Defining it works; a second import refuses to replace the files. */
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_define(&vm, conn, vmhi_ovf_package_get_vm(p, 0), 0));
    vmhi_vm_free(vm);
    vmhi_ovf_package *again = open_into(ova, out);
    ck_vmhi(vmhi_ovf_package_import_disks(again, conn, NULL, NULL), VMHI_E_EXISTS);
    snprintf(cmd, sizeof(cmd), "%s/root.qcow2", out);
    ck_assert(exists(cmd));
    /* The failed import wrote nothing, so it discards nothing; the first
     * one discards what it wrote, once. */
    ck_vmhi_ok(vmhi_ovf_package_discard_disks(again));
    ck_assert(exists(cmd));
    ck_vmhi_ok(vmhi_ovf_package_discard_disks(p));
    ck_assert(!exists(cmd));
    snprintf(cmd, sizeof(cmd), "%s/data.qcow2", out);
    ck_assert(!exists(cmd));
    ck_vmhi_ok(vmhi_ovf_package_discard_disks(p));
    ck_vmhi(vmhi_ovf_package_discard_disks(NULL), VMHI_E_INVALID_ARG);
    vmhi_ovf_package_free(again);
    vmhi_ovf_package_free(p);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(c);
}
END_TEST

START_TEST(refused_format_becomes_an_accepted_one)
{
    vmhi_vm_config *c = vm_with_images();
    char ova[128], out[128], cmd[2048];
    ck_vmhi_ok(vmhi_ovf_export_file(c, in_dir(ova, sizeof(ova), "imgvm.ova")));
    /* As on ESX: no qcow2, so a streamOptimized vmdk becomes a sparse vmdk. */
    vmhi_conn *conn = vmhi_test_open("test:///default?refuse=disk-format:qcow2");
    vmhi_ovf_package *p = open_into(ova, in_dir(out, sizeof(out), "out"));
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    const vmhi_disk *d = vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, 0), 1);
    snprintf(cmd, sizeof(cmd), "%s/data.vmdk", out);
    ck_assert_str_eq(vmhi_disk_get_path(d), cmd);
    ck_assert_int_eq(vmhi_disk_get_format(d), VMHI_DISK_FORMAT_VMDK);
    snprintf(cmd, sizeof(cmd), "qemu-img info %s/data.vmdk | grep -q "
             "'create type: monolithicSparse'", out);
    ck_assert_int_eq(system(cmd), 0);
    bool said = false;
    for (size_t i = 0; i < vmhi_ovf_package_get_report_count(p); i++) {
        const char *m;
        vmhi_ovf_report_kind k;
        ck_vmhi_ok(vmhi_ovf_package_get_report(p, i, &k, NULL, NULL, &m));
        said |= k == VMHI_OVF_REPORT_CONVERTED && strstr(m, "streamOptimized) converted to vmdk");
    }
    ck_assert(said);
    ck_vmhi_ok(vmhi_ovf_package_adapt(p, conn));
    vmhi_ovf_package_free(p);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(c);
}
END_TEST

/* A byte of an image changed inside the .ova: nothing is left behind. */
START_TEST(damaged_image_fails_and_leaves_nothing)
{
    vmhi_vm_config *c = vm_with_images();
    char ova[128], out[128];
    ck_vmhi_ok(vmhi_ovf_export_file(c, in_dir(ova, sizeof(ova), "imgvm.ova")));
    sh("cd %s && off=$(( $(stat -c %%s imgvm.ova) - 4096 )) && "
       "printf X | dd of=imgvm.ova bs=1 seek=$off conv=notrunc status=none", dir);
    vmhi_ovf_package *p = open_into(ova, in_dir(out, sizeof(out), "out"));
    vmhi_conn *conn = vmhi_test_open("test:///default");
    size_t lines = vmhi_ovf_package_get_report_count(p);
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_IO);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "does not match the package's "
                                                            "manifest"));
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines);
    char want[160];
    snprintf(want, sizeof(want), "%s/root.vmdk", out);
    ck_assert_str_eq(vmhi_disk_get_path(vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, 0),
                                                                0)), want);
    sh("test -z \"$(ls -A %s/out)\"", dir);
    vmhi_ovf_package_free(p);
    /* The descriptor changed: the open itself fails. */
    sh("cd %s && mkdir t && cd t && tar xf ../imgvm.ova && sed -i 's/imgvm/imgvX/' imgvm.ovf && "
       "tar --format=ustar -cf ../changed.ova imgvm.ovf imgvm.mf root.vmdk data.vmdk", dir);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    o.disk_dir = out;
    ck_vmhi(vmhi_ovf_package_open(&p, in_dir(ova, sizeof(ova), "changed.ova"), &o), VMHI_E_IO);
    ck_assert_ptr_null(p);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(c);
}
END_TEST

/* A .ovf with its images beside it, and a manifest beside it. */
START_TEST(ovf_beside_images_and_its_manifest)
{
    vmhi_vm_config *c = vm_with_images();
    char ovf[128], out[128];
    ck_vmhi_ok(vmhi_ovf_export_file(c, in_dir(ovf, sizeof(ovf), "src/imgvm.ovf")));
    vmhi_conn *conn = vmhi_test_open("test:///default");
    /* In place: accepted formats, nothing copied, nothing reported. */
    vmhi_ovf_package *p = open_into(ovf, NULL);
    size_t lines = vmhi_ovf_package_get_report_count(p);
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    ck_assert_uint_eq(vmhi_ovf_package_get_report_count(p), lines);
    ck_assert_str_eq(vmhi_disk_get_path(vmhi_vm_config_get_disk(vmhi_ovf_package_get_vm(p, 0),
                                                                0)),
                     vmhi_disk_get_path(vmhi_vm_config_get_disk(c, 0)));
    vmhi_ovf_package_free(p);
    /* Into another directory: copied in their own formats. */
    p = open_into(ovf, in_dir(out, sizeof(out), "out"));
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    sh("qemu-img compare -q -f raw -F raw %s/src/root.img %s/out/root.img && "
       "qemu-img compare -q %s/src/data.qcow2 %s/out/data.qcow2", dir);
    vmhi_ovf_package_free(p);
    /* A manifest that does not list an image: refused before anything is written. */
    sh("cd %s/src && printf 'SHA256(imgvm.ovf)= %%s\\n' $(sha256sum imgvm.ovf | cut -c1-64) "
       ">imgvm.mf && rm -rf ../out2", dir);
    p = open_into(ovf, in_dir(out, sizeof(out), "out2"));
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_IO);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "does not list \"root.img\""));
    sh("test -z \"$(ls -A %s/out2)\"", dir);
    vmhi_ovf_package_free(p);
    /* A complete one (SHA-1 for the images) passes. */
    sh("cd %s/src && sha1sum root.img data.qcow2 | sed 's/^\\([0-9a-f]*\\)  \\(.*\\)/SHA1(\\2)= "
       "\\1/' >>imgvm.mf && rm -rf ../out2", dir);
    p = open_into(ovf, out);
    ck_vmhi_ok(vmhi_ovf_package_import_disks(p, conn, NULL, NULL));
    vmhi_ovf_package_free(p);
    /* A manifest that gives the descriptor another digest fails the open. */
    sh("cd %s/src && sed -i '1s/= ./= 0/;1s/= 00/= 11/' imgvm.mf", dir);
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    ck_vmhi(vmhi_ovf_package_open(&p, ovf, &o), VMHI_E_IO);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(c);
}
END_TEST

START_TEST(bad_images_and_missing_tools)
{
    vmhi_vm_config *c = vm_with_images();
    char ovf[128], out[128];
    ck_vmhi_ok(vmhi_ovf_export_file(c, in_dir(ovf, sizeof(ovf), "src/imgvm.ovf")));
    vmhi_conn *conn = vmhi_test_open("test:///default");
    /* qemu-img fails on a file that is not what the descriptor says: its
     * message is in the error, and the partial output is removed. */
    sh("cp %s/src/root.img %s/src/saved && printf 'QFI\\373junk' >%s/src/data.qcow2", dir);
    vmhi_ovf_package *p = open_into(ovf, in_dir(out, sizeof(out), "out"));
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_BACKEND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "qemu-img: "));
    sh("test -z \"$(ls -A %s/out)\"", dir);
    vmhi_ovf_package_free(p);
    /* A missing image. */
    sh("rm %s/src/data.qcow2", dir);
    p = open_into(ovf, out);
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "is neither in the package"));
    vmhi_ovf_package_free(p);
    /* A qcow2 with a backing file would read another file: refused. */
    sh("qemu-img create -q -f qcow2 -F raw -b %s/src/saved %s/src/data.qcow2", dir);
    p = open_into(ovf, out);
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "names another file"));
    sh("test -z \"$(ls -A %s/out)\"", dir);
    vmhi_ovf_package_free(p);
    /* No qemu-img on PATH. */
    const char *path = getenv("PATH");
    char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    p = open_into(ovf, out);
    ck_vmhi(vmhi_ovf_package_import_disks(p, conn, NULL, NULL), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "qemu-utils"));
    vmhi_ovf_package_free(p);
    setenv("PATH", saved ? saved : "/usr/bin:/bin", 1);
    free(saved);
    ck_vmhi(vmhi_ovf_package_import_disks(NULL, conn, NULL, NULL), VMHI_E_INVALID_ARG);
    vmhi_conn_close(conn);
    vmhi_vm_config_free(c);
}
END_TEST

#define ENVELOPE(refs)                                                                     \
    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "                          \
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">" refs                            \
    "<VirtualSystem ovf:id=\"v\"><VirtualHardwareSection/></VirtualSystem></Envelope>"

static int open_with_member(const char *member)
{
    vmhi__buf tar = { 0 };
    const char *xml = ENVELOPE("");
    vmhi__tar_add(&tar, "x.ovf", xml, strlen(xml));
    vmhi__tar_add(&tar, member, "data", 4);
    vmhi__tar_finish(&tar);
    char path[128];
    int fd = open(in_dir(path, sizeof(path), "m.ova"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, tar.data, tar.len), (ssize_t)tar.len);
    close(fd);
    vmhi__buf_discard(&tar);
    vmhi_ovf_package *p = NULL;
    int rc = vmhi_ovf_package_open(&p, path, NULL);
    vmhi_ovf_package_free(p);
    return rc;
}

START_TEST(unsafe_member_and_href_names_are_refused)
{
    ck_vmhi(open_with_member("../escape.vmdk"), VMHI_E_PARSE);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "not a relative file name"));
    ck_vmhi(open_with_member("/etc/escape"), VMHI_E_PARSE);
    ck_vmhi(open_with_member("a\033b"), VMHI_E_PARSE);
    ck_vmhi_ok(open_with_member("disks/fine.vmdk"));
    const char *hrefs[] = { "../x.vmdk", "a/../../x", "/x.vmdk", "a&#9;b.vmdk", "a\\b" };
    for (size_t i = 0; i < sizeof(hrefs) / sizeof(hrefs[0]); i++) {
        char xml[512];
        snprintf(xml, sizeof(xml),
                 ENVELOPE("<References><File ovf:id=\"f\" ovf:href=\"%s\"/></References>"),
                 hrefs[i]);
        vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
        o.disk_dir = dir;
        vmhi_ovf_package *p = NULL;
        ck_vmhi(vmhi_ovf_package_parse(&p, xml, strlen(xml), &o), VMHI_E_PARSE);
        ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "not a relative file name"));
        ck_assert_ptr_null(p);
    }
}
END_TEST

START_TEST(export_capacity_and_missing_images)
{
    vmhi_vm_config *c = vm_with_images();
    char *xml = NULL;
    ck_vmhi_ok(vmhi_ovf_export(c, &xml));
    ck_assert_ptr_nonnull(strstr(xml, "ovf:capacity=\"8388608\" ovf:capacityAllocationUnits="
                                      "\"byte\" ovf:format=\"urn:vmhi:ovf:format:raw\""));
    ck_assert_ptr_nonnull(strstr(xml, "ovf:capacity=\"16777216\""));
    vmhi_free(xml);
    sh("rm %s/src/data.qcow2", dir);
    char ova[128];
    ck_vmhi(vmhi_ovf_export_file(c, in_dir(ova, sizeof(ova), "x.ova")), VMHI_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "an .ova carries its images"));
    ck_assert(!exists(ova));
    sh("test -z \"$(ls %s | grep -v src)\"", dir);
    vmhi_vm_config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ovf_disks");
    TCase *tc = tcase_create("images");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, digests_match_fips_vectors);
    tcase_add_test(tc, manifest_lines_and_unsafe_names);
    tcase_add_test(tc, ova_export_import_converts_images);
    tcase_add_test(tc, ova_export_reports_progress);
    tcase_add_test(tc, refused_format_becomes_an_accepted_one);
    tcase_add_test(tc, damaged_image_fails_and_leaves_nothing);
    tcase_add_test(tc, ovf_beside_images_and_its_manifest);
    tcase_add_test(tc, bad_images_and_missing_tools);
    tcase_add_test(tc, unsafe_member_and_href_names_are_refused);
    tcase_add_test(tc, export_capacity_and_missing_images);
    suite_add_tcase(s, tc);
    return vmhi_test_run(s);
}
