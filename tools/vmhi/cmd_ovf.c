/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * OVF commands: import (an .ovf or .ova into VMs of the connection, after
 * adapting them to what it accepts and printing the report) and export (a
 * VM's description as an OVF 2.0 .ovf or .ova).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_report(const cli_ctx *ctx, const vmhi_ovf_package *pkg, json_object *doc)
{
    json_object *lines = doc ? json_object_new_array() : NULL;
    for (size_t i = 0; i < vmhi_ovf_package_get_report_count(pkg); i++) {
        vmhi_ovf_report_kind kind;
        unsigned line;
        size_t vm;
        const char *msg;
        if (vmhi_ovf_package_get_report(pkg, i, &kind, &line, &vm, &msg) != VMHI_OK)
            continue;
        const vmhi_vm_config *cfg = vmhi_ovf_package_get_vm(pkg, vm);
        const char *name = cfg ? vmhi_vm_config_get_name(cfg) : NULL;
        if (lines) {
            json_object *l = json_object_new_object();
            json_object_object_add(l, "kind", cli_json_str(vmhi_ovf_report_kind_name(kind)));
            json_object_object_add(l, "line", cli_json_u64(line));
            json_object_object_add(l, "vm", cli_json_str(name));
            json_object_object_add(l, "message", cli_json_str(msg));
            json_object_array_add(lines, l);
        } else if (!ctx->quiet) {
            char where[32] = "";
            if (line)
                snprintf(where, sizeof(where), "line %u: ", line);
            printf("%s: %s%s%s%s\n", vmhi_ovf_report_kind_name(kind), where, name ? name : "",
                   name ? ": " : "", msg);
        }
    }
    if (doc)
        json_object_object_add(doc, "report", lines);
}

/* An import that cannot finish leaves nothing behind (the help's "defines
 * nothing"): the VMs it defined are undefined again and the images it
 * wrote removed.  What cannot be undone is said. */
static void undo_import(cli_ctx *ctx, vmhi_ovf_package *pkg, vmhi_vm **defined, size_t n)
{
    size_t undone = 0;
    for (size_t i = n; i-- > 0;) {
        if (vmhi_vm_undefine(defined[i], 0) == VMHI_OK)
            undone++;
        else
            cli_warn(ctx, "VM '%s' stays defined: %s", vmhi_vm_get_name(defined[i]),
                     vmhi_error_last_message());
    }
    if (vmhi_ovf_package_discard_disks(pkg) != VMHI_OK)
        cli_warn(ctx, "%s", vmhi_error_last_message());
    if (n)
        cli_warn(ctx, "the import was undone: %zu of %zu VM(s) it defined undefined again", undone,
                 n);
}

static int define_all(cli_ctx *ctx, vmhi_ovf_package *pkg, json_object *names)
{
    size_t count = vmhi_ovf_package_get_vm_count(pkg), n = 0;
    vmhi_vm **defined = calloc(count ? count : 1, sizeof(*defined));
    if (!defined)
        return cli_fail(ctx, CLI_EXIT_GENERIC, "out of memory");
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < count && rc == CLI_EXIT_OK; i++) {
        const vmhi_vm_config *cfg = vmhi_ovf_package_get_vm(pkg, i);
        int vrc = vmhi_vm_define(&defined[n], ctx->conn, cfg, 0);
        if (vrc != VMHI_OK)
            rc = cli_fail_vmhi(ctx, vrc, "cannot define VM '%s'", vmhi_vm_config_get_name(cfg));
        else
            n++;
    }
    if (rc != CLI_EXIT_OK)
        undo_import(ctx, pkg, defined, n);
    for (size_t i = 0; i < n; i++) {
        if (rc == CLI_EXIT_OK && names)
            json_object_array_add(names, cli_json_str(vmhi_vm_get_name(defined[i])));
        else if (rc == CLI_EXIT_OK)
            cli_info(ctx, "VM '%s' defined (%s).", vmhi_vm_get_name(defined[i]),
                     vmhi_vm_get_uuid(defined[i]));
        vmhi_vm_free(defined[i]);
    }
    free(defined);
    return rc;
}

static int print_configs(cli_ctx *ctx, const vmhi_ovf_package *pkg, json_object *names)
{
    for (size_t i = 0; i < vmhi_ovf_package_get_vm_count(pkg); i++) {
        const vmhi_vm_config *cfg = vmhi_ovf_package_get_vm(pkg, i);
        char *xml = NULL;
        int rc = vmhi_vm_config_to_xml(cfg, &xml);
        if (rc != VMHI_OK)
            return cli_fail_vmhi(ctx, rc, "cannot print VM '%s'", vmhi_vm_config_get_name(cfg));
        if (names)
            json_object_array_add(names, cli_json_str(xml));
        else
            fputs(xml, stdout);
        vmhi_free(xml);
    }
    return CLI_EXIT_OK;
}

/* The --network, --disk-bus and --nic-model options, in the order given:
 * "FROM=TO" changes what is FROM, a bare "TO" changes everything.  A
 * network name ends at the first '=' (a name with '=' needs the API). */
#define CLI_MAPPINGS_MAX 64

typedef struct cli_mapping {
    int option; /* 'N', 'B' or 'M' */
    const char *arg;
} cli_mapping;

static const char *mapping_flag(int option)
{
    return option == 'N' ? "--network" : option == 'B' ? "--disk-bus" : "--nic-model";
}

/* A --disk-bus or --nic-model value by name ("ide"); NULL: every value. */
static int mapping_value(cli_ctx *ctx, int option, const char *name, int *out)
{
    if (!name) {
        *out = VMHI_OVF_ANY_VALUE;
        return CLI_EXIT_OK;
    }
    int rc;
    if (option == 'B') {
        vmhi_disk_bus bus;
        rc = vmhi_disk_bus_from_name(name, &bus);
        *out = (int)bus;
    } else {
        vmhi_nic_model model;
        rc = vmhi_nic_model_from_name(name, &model);
        *out = (int)model;
    }
    /* The library's message names the value: '"floppy" is not a disk bus'. */
    return rc == VMHI_OK ? CLI_EXIT_OK : cli_fail_vmhi(ctx, rc, "import: %s", mapping_flag(option));
}

/* One mapping option; returns a CLI exit status (the error printed). */
static int apply_mapping(cli_ctx *ctx, vmhi_ovf_package *pkg, const cli_mapping *m,
                         const char *from, const char *to)
{
    int rc;
    if (m->option == 'N') {
        rc = vmhi_ovf_package_map_network(pkg, from, to);
    } else {
        int old, new;
        rc = mapping_value(ctx, m->option, from, &old);
        if (rc == CLI_EXIT_OK)
            rc = mapping_value(ctx, m->option, to, &new);
        if (rc != CLI_EXIT_OK)
            return rc;
        rc = vmhi_ovf_package_map_value(
            pkg, m->option == 'B' ? VMHI_VALUE_DISK_BUS : VMHI_VALUE_NIC_MODEL, old, new);
    }
    return rc == VMHI_OK ? CLI_EXIT_OK
                         : cli_fail_vmhi(ctx, rc, "import: %s '%s'", mapping_flag(m->option),
                                         m->arg);
}

static int apply_mappings(cli_ctx *ctx, vmhi_ovf_package *pkg, const cli_mapping *maps,
                          size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *eq = strchr(maps[i].arg, '=');
        char *from = eq ? strndup(maps[i].arg, (size_t)(eq - maps[i].arg)) : NULL;
        if (eq && !from)
            return cli_fail(ctx, CLI_EXIT_GENERIC, "out of memory");
        int rc = apply_mapping(ctx, pkg, &maps[i], from, eq ? eq + 1 : maps[i].arg);
        free(from);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static int cli_run_import(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "option", required_argument, NULL, 'o' },   { "strict", no_argument, NULL, 's' },
        { "dry-run", no_argument, NULL, 'n' },        { "disk-dir", required_argument, NULL, 'd' },
        { "no-images", no_argument, NULL, 'I' },      { "network", required_argument, NULL, 'N' },
        { "disk-bus", required_argument, NULL, 'B' }, { "nic-model", required_argument, NULL, 'M' },
        { NULL, 0, NULL, 0 },
    };
    vmhi_ovf_import_options o = VMHI_OVF_IMPORT_OPTIONS_INIT;
    bool dry = false, images = true;
    cli_mapping maps[CLI_MAPPINGS_MAX];
    size_t map_count = 0;
    int c;
    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "o:snd:N:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.option = optarg; break;
        case 's': o.flags |= VMHI_OVF_STRICT; break;
        case 'n': dry = true; break;
        case 'd': o.disk_dir = optarg; break;
        case 'I': images = false; break;
        case 'N':
        case 'B':
        case 'M':
            if (map_count == CLI_MAPPINGS_MAX)
                return cli_usage(ctx, argv[0],
                                 "%s: at most %d --network, --disk-bus and --nic-model options",
                                 argv[0], CLI_MAPPINGS_MAX);
            maps[map_count++] = (cli_mapping){ c, optarg };
            break;
        default: return cli_option_error(ctx, argv[0], c, argv);
        }
    }
    int rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *file = argv[optind];
    vmhi_ovf_package *pkg = NULL;
    rc = vmhi_ovf_package_open(&pkg, file, &o);
    if (rc == VMHI_E_PARSE)
        return cli_fail_parse(ctx, rc, file);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot import '%s'", file);
    /* Before the images: a mapping that matches nothing costs no conversion. */
    rc = apply_mappings(ctx, pkg, maps, map_count);
    if (rc != CLI_EXIT_OK) {
        vmhi_ovf_package_free(pkg);
        return rc;
    }
    if (!dry && images) {
        rc = vmhi_ovf_package_import_disks(pkg, ctx->conn, cli_progress_callback, ctx);
        cli_progress_clear(ctx);
        if (rc != VMHI_OK) {
            rc = cli_fail_vmhi(ctx, rc, "cannot import the disk images of '%s'", file);
            vmhi_ovf_package_free(pkg);
            return rc;
        }
    }
    rc = vmhi_ovf_package_adapt(pkg, ctx->conn);
    if (rc != VMHI_OK) {
        rc = cli_fail_vmhi(ctx, rc, "cannot adapt '%s' to %s", file, ctx->uri);
        undo_import(ctx, pkg, NULL, 0);
        vmhi_ovf_package_free(pkg);
        return rc;
    }
    json_object *doc = ctx->json ? json_object_new_object() : NULL;
    json_object *vms = doc ? json_object_new_array() : NULL;
    print_report(ctx, pkg, doc);
    rc = dry ? print_configs(ctx, pkg, vms) : define_all(ctx, pkg, vms);
    if (doc) {
        json_object_object_add(doc, dry ? "configs" : "defined", vms);
        json_object_object_add(doc, "dry_run", json_object_new_boolean(dry));
        if (rc == CLI_EXIT_OK)
            cli_json_emit(doc);
        else
            json_object_put(doc);
    }
    vmhi_ovf_package_free(pkg);
    return rc;
}

/* The description to export: the VM's (connecting first; *vm is set), or
 * a file's. */
static int export_source(cli_ctx *ctx, const char *name, const char *file, unsigned flags,
                         vmhi_vm_config **cfg, vmhi_vm **vm)
{
    if (file)
        return cli_read_config(ctx, file, cfg);
    int rc = cli_open_connection(ctx);
    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, "cannot connect to '%s'", ctx->uri);
    rc = cli_lookup_vm(ctx, name, vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_get_config(*vm, cfg, flags);
    return rc == VMHI_OK ? CLI_EXIT_OK
                         : cli_fail_vmhi(ctx, rc, "cannot read the description of VM '%s'",
                                         vmhi_vm_get_name(*vm));
}

static int cli_run_export(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "config", no_argument, NULL, 'C' },
        { "from", required_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *from = NULL;
    unsigned flags = 0;
    int c;
    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "o:f:", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'C')
            flags = VMHI_AFFECT_CONFIG;
        else if (c == 'f')
            from = optarg;
        else
            return cli_option_error(ctx, argv[0], c, argv);
    }
    int rc = cli_expect_args(ctx, argv[0], argc - optind, from ? 0 : 1, from ? 0 : 1);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!out)
        return cli_usage(ctx, argv[0], "-o FILE.ovf or -o FILE.ova is required");
    if (from && flags)
        return cli_usage(ctx, argv[0], "--config is for a VM, not a description file (--from)");
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    rc = export_source(ctx, from ? NULL : argv[optind], from, flags, &cfg, &vm);
    if (rc == CLI_EXIT_OK) {
        rc = vmhi_ovf_export_file_progress(cfg, out, cli_progress_callback, ctx);
        cli_progress_clear(ctx);
        if (rc != VMHI_OK && vm)
            rc = cli_fail_vmhi(ctx, rc, "cannot export VM '%s'", vmhi_vm_get_name(vm));
        else if (rc != VMHI_OK)
            rc = cli_fail_vmhi(ctx, rc, "cannot export %s", from);
        else if (vm)
            rc = cli_done(ctx, vm, "export", NULL, "VM '%s' exported to %s.",
                          vmhi_vm_get_name(vm), out);
        else {
            json_object *named = json_object_new_object();
            json_object_object_add(named, "name", cli_json_str(vmhi_vm_config_get_name(cfg)));
            json_object_object_add(named, "uuid", cli_json_str(vmhi_vm_config_get_uuid(cfg)));
            rc = cli_done(ctx, NULL, "export", named, "%s exported to %s.", from, out);
        }
    }
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    return rc;
}

const cli_command cli_ovf_commands[] = {
    { "import", "FILE.ovf|FILE.ova [--option ID] [--strict] [--dry-run] [--disk-dir DIR] [--no-images]"
      " [--network [NAME=]TARGET]... [--disk-bus [BUS=]BUS]... [--nic-model [MODEL=]MODEL]...",
      "Define VMs from an OVF package",
      "Reads an OVF 1.x or 2.x descriptor, or an .ova archive, adapts every VM to what\n"
      "the connection accepts (a disk bus or NIC model it refuses becomes one it\n"
      "takes), prints the report (what was not honoured, converted or adapted, with\n"
      "the line of the descriptor) and then defines the VMs.  The disk images (in the\n"
      ".ova, or beside the .ovf) are checked against the package's manifest, then\n"
      "copied or converted with qemu-img into the disk directory (--disk-dir, by\n"
      "default the directory of FILE), in a format the connection accepts; a\n"
      "streamOptimized vmdk always becomes qcow2 (or vmdk where qcow2 is refused).\n"
      "A progress line shows on a terminal.  A malformed package, a digest that\n"
      "does not match, a dangling reference or a required section VMHI does not\n"
      "know defines nothing; a VM that cannot be defined undoes the import (the\n"
      "VMs it defined and the images it wrote).  --dry-run and --no-images neither\n"
      "copy nor convert.",
      "  -o, --option ID     the DeploymentOptionSection configuration to use\n"
      "  -s, --strict        fail on anything the import would not honour\n"
      "  -n, --dry-run       print the report and the VM descriptions; define nothing\n"
      "  -d, --disk-dir DIR  absolute directory for the disk images (created if\n"
      "                      missing; an existing file is never replaced)\n"
      "      --no-images     define from the descriptor alone: the disks name the\n"
      "                      package's files in the disk directory, unchecked\n"
      "  -N, --network [NAME=]TARGET\n"
      "                      put the NICs on the package's network NAME (as the\n"
      "                      report and --dry-run show it; NAME ends at the first\n"
      "                      '=') on the connection's network TARGET (\"default\",\n"
      "                      \"bridge:xenbr0\", \"VM Network\"...); without NAME,\n"
      "                      every NIC; may be repeated, applied in order\n"
      "      --disk-bus [FROM=]TO\n"
      "                      put the disks on bus FROM (ide, sata, scsi, pvscsi,\n"
      "                      virtio, xen, default) on bus TO, also where the\n"
      "                      connection accepts FROM (IDE on SCSI for ESX);\n"
      "                      without FROM, every disk; may be repeated\n"
      "      --nic-model [FROM=]TO\n"
      "                      the same for NIC models (e1000, rtl8139, vmxnet3,\n"
      "                      virtio, xen, default)\n",
      cli_run_import, CLI_NEEDS_CONN },
    { "export", "VM|--from FILE -o FILE.ovf|FILE.ova [--config]",
      "Write a VM's description as OVF 2.0",
      "Writes the VM's description (or, with --from, the XML or JSON description\n"
      "in FILE, without connecting) as an OVF 2.0 descriptor (.ovf) or an .ova\n"
      "archive holding it, a SHA-256 manifest and the disk images, converted to\n"
      "streamOptimized vmdk with qemu-img; a progress line shows on a terminal.\n"
      "Disks carry their images' virtual size.  Importing a .ovf with --disk-dir\n"
      "set to the images' directory gives the same description.\n"
      "The file must not exist; it is created with mode 0600, and nothing is left\n"
      "behind when the export fails.",
      "  -o, --output FILE   the .ovf or .ova to write\n"
      "  -f, --from FILE     export this description file ('-': stdin) instead of a VM\n"
      "      --config        the persistent definition, also while the VM runs\n",
      cli_run_export, 0 },
};
const size_t cli_ovf_command_count = CLI_ARRAY_SIZE(cli_ovf_commands);
