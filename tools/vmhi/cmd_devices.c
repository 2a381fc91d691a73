/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Device commands: attach-disk, detach-disk, attach-nic, detach-nic, devices.
 * A live detach may complete later, when the guest releases the device;
 * --wait follows it to the end.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_AFFECT_OPTIONS                                                              \
    "      --live          change the running VM only\n"                                \
    "      --config        change the persistent definition only\n"                     \
    "                      (both: both; neither: live if active, else the definition)\n"

/* Sets a disk field from a VMHI call's result; reports a rejected value. */
static int cli_check_set(cli_ctx *ctx, int rc, const char *what)
{
    return rc == VMHI_OK ? CLI_EXIT_OK : cli_fail_vmhi(ctx, rc, "invalid %s", what);
}

static int cli_attached(cli_ctx *ctx, vmhi_vm *vm, const char *kind, const char *id,
                        unsigned flags)
{
    json_object *extra = json_object_new_object();

    json_object_object_add(extra, "device", json_object_new_string(id));
    json_object_object_add(extra, "type", json_object_new_string(kind));
    json_object_object_add(extra, "live", json_object_new_boolean(flags & VMHI_AFFECT_LIVE));
    json_object_object_add(extra, "config", json_object_new_boolean(flags & VMHI_AFFECT_CONFIG));
    return cli_done(ctx, vm, kind[0] == 'd' ? "attach-disk" : "attach-nic", extra,
                    "%s '%s' attached to VM '%s'.", kind[0] == 'd' ? "Disk" : "NIC", id,
                    vmhi_vm_get_name(vm));
}

/* --------------------------------------------------------- attach-disk */

static int cli_disk_option(cli_ctx *ctx, const char *cmd, vmhi_disk *disk, int c, unsigned *flags)
{
    uint64_t size;
    vmhi_disk_format format;
    vmhi_disk_bus bus;

    switch (c) {
    case 'f':
        if (vmhi_disk_format_from_name(optarg, &format) != VMHI_OK)
            return cli_bad_value(ctx, cmd, "--format", optarg, "raw, qcow2 or vmdk");
        return cli_check_set(ctx, vmhi_disk_set_format(disk, format), "format");
    case 'b':
        if (vmhi_disk_bus_from_name(optarg, &bus) != VMHI_OK)
            return cli_bad_value(ctx, cmd, "--bus", optarg,
                                 "default, virtio, scsi, sata, ide, xen or pvscsi");
        return cli_check_set(ctx, vmhi_disk_set_bus(disk, bus), "bus");
    case 't':
        return cli_check_set(ctx, vmhi_disk_set_target(disk, optarg), "target name");
    case 'r':
        return cli_check_set(ctx, vmhi_disk_set_readonly(disk, 1), "read-only flag");
    case 's':
        if (!cli_parse_mib(optarg, &size))
            return cli_bad_value(ctx, cmd, "--size-mib", optarg, "a size in MiB");
        return cli_check_set(ctx, vmhi_disk_set_size_mib(disk, size), "size");
    case 'i':
        return cli_check_set(ctx, vmhi_disk_set_id(disk, optarg), "device id");
    case 'L': *flags |= VMHI_AFFECT_LIVE; return CLI_EXIT_OK;
    case 'C': *flags |= VMHI_AFFECT_CONFIG; return CLI_EXIT_OK;
    default: return -1;
    }
}

static int cli_run_attach_disk(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "bus", required_argument, NULL, 'b' },
        { "readonly", no_argument, NULL, 'r' },     { "size-mib", required_argument, NULL, 's' },
        { "id", required_argument, NULL, 'i' },     { "live", no_argument, NULL, 'L' },
        { "config", no_argument, NULL, 'C' },       { "target", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    unsigned flags = 0;
    vmhi_disk *disk = NULL;
    vmhi_vm *vm = NULL;
    int c, rc = vmhi_disk_new(&disk);

    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, NULL);
    rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        rc = cli_disk_option(ctx, argv[0], disk, c, &flags);
        if (rc < 0)
            rc = cli_option_error(ctx, argv[0], c, argv);
    }
    if (rc == CLI_EXIT_OK)
        rc = cli_expect_args(ctx, argv[0], argc - optind, 2, 2);
    if (rc == CLI_EXIT_OK)
        rc = cli_check_set(ctx, vmhi_disk_set_path(disk, argv[optind + 1]), "disk path");
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc == CLI_EXIT_OK) {
        rc = vmhi_vm_attach_disk(vm, disk, flags, id);
        rc = rc != VMHI_OK ? cli_fail_vmhi(ctx, rc, "cannot attach disk to VM '%s'",
                                           vmhi_vm_get_name(vm))
                           : cli_attached(ctx, vm, "disk", id, flags);
    }
    vmhi_vm_free(vm);
    vmhi_disk_free(disk);
    return rc;
}

/* ---------------------------------------------------------- attach-nic */

static int cli_nic_option(cli_ctx *ctx, const char *cmd, vmhi_nic *nic, int c, unsigned *flags)
{
    vmhi_nic_model model;

    switch (c) {
    case 'm':
        if (vmhi_nic_model_from_name(optarg, &model) != VMHI_OK)
            return cli_bad_value(ctx, cmd, "--model", optarg,
                                 "default, virtio, e1000, vmxnet3, rtl8139 or xen");
        return cli_check_set(ctx, vmhi_nic_set_model(nic, model), "model");
    case 'a': return cli_check_set(ctx, vmhi_nic_set_mac(nic, optarg), "MAC address");
    case 'n': return cli_check_set(ctx, vmhi_nic_set_network(nic, optarg), "network");
    case 'i': return cli_check_set(ctx, vmhi_nic_set_id(nic, optarg), "device id");
    case 'L': *flags |= VMHI_AFFECT_LIVE; return CLI_EXIT_OK;
    case 'C': *flags |= VMHI_AFFECT_CONFIG; return CLI_EXIT_OK;
    default: return -1;
    }
}

static int cli_run_attach_nic(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "model", required_argument, NULL, 'm' }, { "mac", required_argument, NULL, 'a' },
        { "network", required_argument, NULL, 'n' }, { "id", required_argument, NULL, 'i' },
        { "live", no_argument, NULL, 'L' },         { "config", no_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    char id[VMHI_DEVICE_ID_MAX + 1] = "";
    unsigned flags = 0;
    vmhi_nic *nic = NULL;
    vmhi_vm *vm = NULL;
    int c, rc = vmhi_nic_new(&nic);

    if (rc != VMHI_OK)
        return cli_fail_vmhi(ctx, rc, NULL);
    rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        rc = cli_nic_option(ctx, argv[0], nic, c, &flags);
        if (rc < 0)
            rc = cli_option_error(ctx, argv[0], c, argv);
    }
    if (rc == CLI_EXIT_OK)
        rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc == CLI_EXIT_OK) {
        rc = vmhi_vm_attach_nic(vm, nic, flags, id);
        rc = rc != VMHI_OK ? cli_fail_vmhi(ctx, rc, "cannot attach NIC to VM '%s'",
                                           vmhi_vm_get_name(vm))
                           : cli_attached(ctx, vm, "nic", id, flags);
    }
    vmhi_vm_free(vm);
    vmhi_nic_free(nic);
    return rc;
}

/* -------------------------------------------------------------- detach */

/* Done unless the device is still listed as detach-pending. */
static int cli_detach_done(cli_ctx *ctx, vmhi_vm *vm, void *data)
{
    const char *id = data;
    vmhi_device_list *list = NULL;
    int rc = vmhi_vm_list_devices(vm, &list);
    int done = 1;

    (void)ctx;
    if (rc != VMHI_OK)
        return rc == VMHI_E_NO_VM ? 1 : rc;
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        if (vmhi_device_list_get(list, i, &info) == VMHI_OK && info.id &&
            strcmp(info.id, id) == 0 && info.state == VMHI_DEVICE_DETACH_PENDING)
            done = 0;
    }
    vmhi_device_list_free(list);
    return done;
}

typedef int (*cli_detach_fn)(vmhi_vm *, const char *, unsigned, vmhi_completion *);

static int cli_detach_report(cli_ctx *ctx, vmhi_vm *vm, const char *cmd, const char *id,
                             bool pending)
{
    json_object *extra = json_object_new_object();

    json_object_object_add(extra, "device", json_object_new_string(id));
    json_object_object_add(extra, "completion", json_object_new_string(pending ? "pending" : "done"));
    if (pending)
        return cli_done(ctx, vm, cmd, extra,
                        "Detach of '%s' from VM '%s' requested; pending until the guest "
                        "releases it.", id, vmhi_vm_get_name(vm));
    return cli_done(ctx, vm, cmd, extra, "Device '%s' detached from VM '%s'.", id,
                    vmhi_vm_get_name(vm));
}

static int cli_detach(cli_ctx *ctx, vmhi_vm *vm, const char *cmd, cli_detach_fn fn,
                      const char *id, unsigned flags, int wait_ms)
{
    vmhi_completion completion = VMHI_COMPLETION_DONE;
    cli_waiter w;
    char label[128];
    int rc;

    cli_wait_prepare(ctx, vm, &w);
    rc = fn(vm, id, flags, &completion);
    if (rc != VMHI_OK) {
        rc = cli_fail_vmhi(ctx, rc, "cannot detach '%s' from VM '%s'", id, vmhi_vm_get_name(vm));
    } else if (completion == VMHI_COMPLETION_PENDING && wait_ms >= 0) {
        snprintf(label, sizeof(label), "waiting for the guest to release '%s'", id);
        rc = cli_wait(ctx, vm, &w, (unsigned)wait_ms, label, cli_detach_done, (void *)id);
        if (rc < 0)
            rc = cli_fail_vmhi(ctx, rc, "while waiting for '%s' to detach", id);
        else if (rc == 0)
            rc = cli_fail(ctx, CLI_EXIT_TIMEOUT, "detach of '%s' from VM '%s' still pending after %.1f s",
                          id, vmhi_vm_get_name(vm), wait_ms / 1000.0);
        else
            rc = cli_detach_report(ctx, vm, cmd, id, false);
    } else {
        rc = cli_detach_report(ctx, vm, cmd, id, completion == VMHI_COMPLETION_PENDING);
    }
    cli_wait_finish(ctx, &w);
    return rc;
}

static int cli_run_detach(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "live", no_argument, NULL, 'L' }, { "config", no_argument, NULL, 'C' },
        { "wait", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
    };
    cli_detach_fn fn = strcmp(argv[0], "detach-disk") == 0 ? vmhi_vm_detach_disk : vmhi_vm_detach_nic;
    unsigned flags = 0, wait_ms = 0;
    bool wait = false;
    vmhi_vm *vm = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_OPTSTRING "w:", opts, NULL)) != -1) {
        if (c == 'L')
            flags |= VMHI_AFFECT_LIVE;
        else if (c == 'C')
            flags |= VMHI_AFFECT_CONFIG;
        else if (c == 'w' && cli_parse_seconds(optarg, &wait_ms))
            wait = true;
        else if (c == 'w')
            return cli_bad_value(ctx, argv[0], "--wait", optarg, "seconds");
        else
            return cli_option_error(ctx, argv[0], c, argv);
    }
    rc = cli_expect_args(ctx, argv[0], argc - optind, 2, 2);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = cli_detach(ctx, vm, argv[0], fn, argv[optind + 1], flags, wait ? (int)wait_ms : -1);
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------- devices */

static void cli_device_row(cli_table *t, json_object *array, const vmhi_device_info *d)
{
    const char *type = vmhi_device_type_name(d->type) ? vmhi_device_type_name(d->type) : "?";
    const char *state = vmhi_device_state_name(d->state) ? vmhi_device_state_name(d->state) : "?";
    json_object *o = json_object_new_object();

    cli_table_add(t, (const char *const[]){ d->id, type, state, d->live ? "yes" : "no",
                                            d->config ? "yes" : "no", d->summary });
    json_object_object_add(o, "id", cli_json_str(d->id));
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "state", json_object_new_string(state));
    json_object_object_add(o, "live", json_object_new_boolean(d->live));
    json_object_object_add(o, "config", json_object_new_boolean(d->config));
    json_object_object_add(o, "summary", cli_json_str(d->summary));
    json_object_array_add(array, o);
}

static int cli_devices_emit(cli_ctx *ctx, const vmhi_device_list *list)
{
    static const char *const headers[] = { "ID", "TYPE", "STATE", "LIVE", "CONFIG", "SUMMARY" };
    cli_table *t = cli_table_new(CLI_ARRAY_SIZE(headers), headers);
    json_object *array = json_object_new_array();
    int rc = CLI_EXIT_OK;

    for (size_t i = 0; rc == CLI_EXIT_OK && i < vmhi_device_list_count(list); i++) {
        vmhi_device_info d = VMHI_DEVICE_INFO_INIT;
        int r = vmhi_device_list_get(list, i, &d);
        if (r != VMHI_OK)
            rc = cli_fail_vmhi(ctx, r, "cannot read device %zu", i);
        else
            cli_device_row(t, array, &d);
    }
    if (rc == CLI_EXIT_OK && ctx->json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "devices", json_object_get(array));
        cli_json_emit(doc);
    } else if (rc == CLI_EXIT_OK) {
        cli_table_print(t, !ctx->quiet, stdout);
    }
    json_object_put(array);
    cli_table_free(t);
    return rc;
}

static int cli_run_devices(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = { { NULL, 0, NULL, 0 } };
    vmhi_device_list *list = NULL;
    vmhi_vm *vm = NULL;
    int c, rc;

    if ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1)
        return cli_option_error(ctx, argv[0], c, argv);
    rc = cli_expect_args(ctx, argv[0], argc - optind, 1, 1);
    if (rc == CLI_EXIT_OK)
        rc = cli_lookup_vm(ctx, argv[optind], &vm);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = vmhi_vm_list_devices(vm, &list);
    if (rc != VMHI_OK)
        rc = cli_fail_vmhi(ctx, rc, "cannot list devices of VM '%s'", vmhi_vm_get_name(vm));
    else
        rc = cli_devices_emit(ctx, list);
    vmhi_device_list_free(list);
    vmhi_vm_free(vm);
    return rc;
}

/* ------------------------------------------------------------- table */

#define CLI_DETACH_OPTIONS                                                             \
    CLI_AFFECT_OPTIONS                                                                 \
    "  -w, --wait SEC      when the detach is pending, wait up to SEC seconds for\n"   \
    "                      the guest to release the device (exit 7 on timeout)\n"

const cli_command cli_device_commands[] = {
    { "attach-disk",
      "VM PATH [--format raw|qcow2|vmdk] [--bus BUS] [--readonly] [--target NAME]\n"
      "        [--size-mib N] [--id ID] [--live] [--config]",
      "Attach a disk image to a VM",
      "Attaches the image at PATH (an absolute path) and prints the id the disk got.\n"
      "With --size-mib the backend creates a new image of that size.",
      "      --format F      image format: raw (default), qcow2, vmdk\n"
      "      --bus B         bus: default (the hypervisor's paravirtual bus), virtio,\n"
      "                      scsi, sata, ide, xen, pvscsi ('vmhi caps' lists them)\n"
      "      --target NAME   guest device name where the hypervisor takes one (xvda)\n"
      "      --readonly      attach read-only\n"
      "      --size-mib N    create a new image of N MiB\n"
      "      --id ID         device id (default: the first free diskN)\n" CLI_AFFECT_OPTIONS,
      cli_run_attach_disk, CLI_NEEDS_CONN },
    { "detach-disk", "VM ID [--live] [--config] [--wait SEC]", "Detach a disk from a VM",
      "Detaches the disk with device id ID (see 'devices').  A live detach may stay\n"
      "pending until the guest releases the disk; the command says so, and --wait\n"
      "waits for it to complete.",
      CLI_DETACH_OPTIONS, cli_run_detach, CLI_NEEDS_CONN },
    { "attach-nic",
      "VM [--model MODEL] [--mac MAC] [--network NAME] [--id ID]\n"
      "        [--live] [--config]",
      "Attach a network interface to a VM",
      "Attaches a NIC and prints the id it got.  Without --mac the backend generates\n"
      "an address; without --network it joins the backend's default network.",
      "      --model M       default (the hypervisor's paravirtual NIC), virtio, e1000,\n"
      "                      vmxnet3, rtl8139, xen ('vmhi caps' lists them)\n"
      "      --mac MAC       MAC address, e.g. 52:54:00:12:34:56\n"
      "      --network NAME  'user', 'bridge:IFNAME' or a network the hypervisor names\n"
      "      --id ID         device id (default: the first free nicN)\n" CLI_AFFECT_OPTIONS,
      cli_run_attach_nic, CLI_NEEDS_CONN },
    { "detach-nic", "VM ID [--live] [--config] [--wait SEC]", "Detach a network interface",
      "Detaches the NIC with device id ID; like 'detach-disk', a live detach may be\n"
      "pending until the guest releases it.",
      CLI_DETACH_OPTIONS, cli_run_detach, CLI_NEEDS_CONN },
    { "devices", "VM", "List a VM's disks and NICs",
      "Prints a table of the VM's devices with their stable ids, whether a detach is\n"
      "pending, whether they are in the running VM and in the definition, and the\n"
      "disk path or NIC MAC address.",
      NULL, cli_run_devices, CLI_NEEDS_CONN },
};
const size_t cli_device_command_count = CLI_ARRAY_SIZE(cli_device_commands);
