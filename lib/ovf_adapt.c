/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Adapting imported VMs to a backend: a value the connection's value caps
 * refuse is replaced by the first accepted value of a fixed preference
 * list (the nearest device the guest is likely to have a driver for, the
 * hypervisor's default last), and the change is a report line.  Disk
 * formats are never relabelled: a format needs the image converted.
 */
#include <stdio.h>
#include <string.h>

#include "ovf_internal.h"

typedef struct caps {
    uint64_t bus, format, access, nic, firmware, guest;
} caps;

#define END (-1)

static const int bus_prefs[][4] = {
    [VMHI_DISK_BUS_DEFAULT] = { END },
    [VMHI_DISK_BUS_VIRTIO] = { VMHI_DISK_BUS_DEFAULT, END },
    [VMHI_DISK_BUS_SCSI] = { VMHI_DISK_BUS_PVSCSI, VMHI_DISK_BUS_DEFAULT, END },
    [VMHI_DISK_BUS_SATA] = { VMHI_DISK_BUS_SCSI, VMHI_DISK_BUS_IDE, VMHI_DISK_BUS_DEFAULT, END },
    [VMHI_DISK_BUS_IDE] = { VMHI_DISK_BUS_SCSI, VMHI_DISK_BUS_SATA, VMHI_DISK_BUS_DEFAULT, END },
    [VMHI_DISK_BUS_XEN] = { VMHI_DISK_BUS_DEFAULT, END },
    [VMHI_DISK_BUS_PVSCSI] = { VMHI_DISK_BUS_SCSI, VMHI_DISK_BUS_DEFAULT, END },
};

static const int nic_prefs[][4] = {
    [VMHI_NIC_MODEL_DEFAULT] = { END },
    [VMHI_NIC_MODEL_VIRTIO] = { VMHI_NIC_MODEL_DEFAULT, END },
    [VMHI_NIC_MODEL_E1000] = { VMHI_NIC_MODEL_RTL8139, VMHI_NIC_MODEL_DEFAULT, END },
    [VMHI_NIC_MODEL_VMXNET3] = { VMHI_NIC_MODEL_VIRTIO, VMHI_NIC_MODEL_E1000,
                                 VMHI_NIC_MODEL_DEFAULT, END },
    [VMHI_NIC_MODEL_RTL8139] = { VMHI_NIC_MODEL_E1000, VMHI_NIC_MODEL_DEFAULT, END },
    [VMHI_NIC_MODEL_XEN] = { VMHI_NIC_MODEL_DEFAULT, END },
};

static bool has(uint64_t set, unsigned v)
{
    return v < 64 && (set >> v) & 1;
}

static int pick(const int *prefs, uint64_t accepted)
{
    for (size_t i = 0; prefs[i] != END; i++)
        if (has(accepted, (unsigned)prefs[i]) || prefs[i] == 0)
            return prefs[i];
    return END;
}

static int query(vmhi_conn *conn, caps *c)
{
    int rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_BUS, &c->bus);
    if (rc == 0)
        rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_FORMAT, &c->format);
    if (rc == 0)
        rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_DISK_ACCESS, &c->access);
    if (rc == 0)
        rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_NIC_MODEL, &c->nic);
    if (rc == 0)
        rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_FIRMWARE, &c->firmware);
    if (rc == 0)
        rc = vmhi_conn_get_value_caps(conn, VMHI_VALUE_GUEST_TYPE, &c->guest);
    return rc;
}

static int adapt_disk(vmhi_ovf_package *pkg, size_t vm, vmhi_disk *d, const caps *c,
                      const char *backend)
{
    if (!has(c->format, d->format))
        return vmhi__error(VMHI_E_UNSUPPORTED, "VM '%s' disk %s: the %s backend does not read "
                                               "%s images; the image needs converting first",
                           pkg->vms[vm]->name, d->id, backend, vmhi_disk_format_name(d->format));
    if (!has(c->access, d->readonly ? 1 : 0))
        return vmhi__error(VMHI_E_UNSUPPORTED, "VM '%s' disk %s: the %s backend has no %s disks",
                           pkg->vms[vm]->name, d->id, backend,
                           d->readonly ? "read-only" : "read-write");
    if (has(c->bus, d->bus))
        return VMHI_OK;
    int to = pick(bus_prefs[d->bus], c->bus);
    int rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, vm,
                                "disk %s: bus %s is not accepted by the %s backend; using %s", d->id,
                                vmhi_disk_bus_name(d->bus), backend,
                                vmhi_disk_bus_name((vmhi_disk_bus)to));
    d->bus = (vmhi_disk_bus)to;
    d->target[0] = '\0'; /* a target names a device on the old bus ("hda") */
    return rc;
}

static int adapt_nic(vmhi_ovf_package *pkg, size_t vm, vmhi_nic *n, const caps *c,
                     const char *backend)
{
    if (has(c->nic, n->model))
        return VMHI_OK;
    int to = pick(nic_prefs[n->model], c->nic);
    int rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, vm,
                                "NIC %s: model %s is not accepted by the %s backend; using %s",
                                n->id, vmhi_nic_model_name(n->model), backend,
                                vmhi_nic_model_name((vmhi_nic_model)to));
    n->model = (vmhi_nic_model)to;
    return rc;
}

static int adapt_vm(vmhi_ovf_package *pkg, size_t vm, vmhi_vm_config *cfg, const caps *c,
                    const char *backend)
{
    int rc = VMHI_OK;
    if (!has(c->firmware, cfg->firmware)) {
        vmhi_firmware to = cfg->firmware == VMHI_FIRMWARE_UEFI ? VMHI_FIRMWARE_BIOS
                                                                : VMHI_FIRMWARE_UEFI;
        if (!has(c->firmware, to))
            return vmhi__error(VMHI_E_UNSUPPORTED, "the %s backend accepts no firmware", backend);
        rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, vm,
                                "firmware %s is not accepted by the %s backend; using %s (the "
                                "guest may need its boot loader changed)",
                                vmhi_firmware_name(cfg->firmware), backend,
                                vmhi_firmware_name(to));
        cfg->firmware = to;
    }
    if (rc == 0 && !has(c->guest, cfg->guest_type)) {
        rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, vm,
                                "guest type %s is not accepted by the %s backend; using default",
                                vmhi_guest_type_name(cfg->guest_type), backend);
        cfg->guest_type = VMHI_GUEST_DEFAULT;
    }
    for (size_t i = 0; rc == 0 && i < cfg->disk_count; i++)
        rc = adapt_disk(pkg, vm, cfg->disks[i], c, backend);
    for (size_t i = 0; rc == 0 && i < cfg->nic_count; i++)
        rc = adapt_nic(pkg, vm, cfg->nics[i], c, backend);
    return rc;
}

int vmhi_ovf_package_adapt(vmhi_ovf_package *pkg, vmhi_conn *conn)
{
    vmhi__error_reset();
    if (!pkg || !conn)
        return vmhi__error(VMHI_E_INVALID_ARG, "package or connection is NULL");
    caps c;
    int rc = query(conn, &c);
    if (rc)
        return rc;
    const char *backend = vmhi_conn_get_backend(conn);
    if (!backend)
        backend = "target";
    /* Work on copies, so that a failure leaves the package as it was. */
    size_t lines = pkg->line_count;
    vmhi_vm_config **copies = vmhi__calloc(pkg->vm_count ? pkg->vm_count : 1, sizeof(*copies));
    if (!copies)
        return vmhi__error_oom();
    for (size_t i = 0; rc == 0 && i < pkg->vm_count; i++) {
        rc = vmhi_vm_config_copy(&copies[i], pkg->vms[i]);
        if (rc == 0)
            rc = adapt_vm(pkg, i, copies[i], &c, backend);
    }
    for (size_t i = 0; i < pkg->vm_count; i++) {
        vmhi_vm_config **keep = rc == 0 ? &pkg->vms[i] : &copies[i];
        if (rc == 0) {
            vmhi_vm_config_free(pkg->vms[i]);
            pkg->vms[i] = copies[i];
        } else {
            vmhi_vm_config_free(*keep);
        }
    }
    while (rc != 0 && pkg->line_count > lines)
        vmhi__free(pkg->lines[--pkg->line_count].message);
    vmhi__free(copies);
    return rc;
}

/* ---- networks ---- */

/* Whether @nic is one a mapping from @network moves (NULL: every NIC). */
static bool nic_on(const vmhi_nic *nic, const char *network)
{
    return !network || strcmp(nic->network, network) == 0;
}

/* "'a', 'b'": the networks the package's NICs are on, for an error. */
static void network_names(const vmhi_ovf_package *pkg, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < pkg->vm_count; i++)
        for (size_t k = 0; k < pkg->vms[i]->nic_count; k++) {
            const char *net = pkg->vms[i]->nics[k]->network;
            char quoted[VMHI__NETWORK_MAX + 4];
            snprintf(quoted, sizeof(quoted), "'%s'", net);
            if (strstr(buf, quoted))
                continue;
            int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", quoted);
            if (n < 0 || (size_t)n >= size - len) {
                buf[len] = '\0';
                return;
            }
            len += (size_t)n;
        }
}

int vmhi_ovf_package_map_network(vmhi_ovf_package *pkg, const char *from, const char *to)
{
    vmhi__error_reset();
    if (!pkg)
        return vmhi__error(VMHI_E_INVALID_ARG, "package is NULL");
    /* The same rules as a NIC's network (vmhi_nic_set_network()). */
    int rc = vmhi__check_network(to);
    if (rc < 0)
        return rc;
    if (from && from[0] == '\0')
        return vmhi__error(VMHI_E_INVALID_ARG, "the network to map from is empty");
    /* Lines first, then the change: a failed line (out of memory) or no
     * NIC to move leaves every NIC as it was. */
    size_t lines = pkg->line_count;
    for (size_t i = 0; rc == 0 && i < pkg->vm_count; i++)
        for (size_t k = 0; rc == 0 && k < pkg->vms[i]->nic_count; k++) {
            const vmhi_nic *n = pkg->vms[i]->nics[k];
            if (nic_on(n, from))
                rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, i,
                                        "NIC %s: network '%s' mapped to '%s'", n->id,
                                        n->network, to);
        }
    if (rc != 0) {
        while (pkg->line_count > lines)
            vmhi__free(pkg->lines[--pkg->line_count].message);
        return rc;
    }
    if (pkg->line_count == lines) {
        char names[512];
        network_names(pkg, names, sizeof(names));
        if (!from)
            return vmhi__error(VMHI_E_NOT_FOUND, "the package has no NIC to put on network '%s'",
                               to);
        return vmhi__error(VMHI_E_NOT_FOUND, "no NIC of the package is on network '%s'%s%s",
                           from, names[0] ? "; its NICs are on " : "", names);
    }
    for (size_t i = 0; i < pkg->vm_count; i++)
        for (size_t k = 0; k < pkg->vms[i]->nic_count; k++) {
            vmhi_nic *n = pkg->vms[i]->nics[k];
            if (nic_on(n, from))
                vmhi__strlcpy(n->network, to, sizeof(n->network));
        }
    return VMHI_OK;
}

/* ---- values the caller chooses ---- */

/* The devices vmhi_ovf_package_map_value() walks for a kind: the disks
 * (their bus) or the NICs (their model). */
static size_t device_count(const vmhi_vm_config *cfg, vmhi_value_kind kind)
{
    return kind == VMHI_VALUE_DISK_BUS ? cfg->disk_count : cfg->nic_count;
}

static int device_value(const vmhi_vm_config *cfg, vmhi_value_kind kind, size_t i)
{
    return kind == VMHI_VALUE_DISK_BUS ? (int)cfg->disks[i]->bus : (int)cfg->nics[i]->model;
}

static const char *device_id(const vmhi_vm_config *cfg, vmhi_value_kind kind, size_t i)
{
    return kind == VMHI_VALUE_DISK_BUS ? cfg->disks[i]->id : cfg->nics[i]->id;
}

static const char *value_name(vmhi_value_kind kind, int value)
{
    return kind == VMHI_VALUE_DISK_BUS ? vmhi_disk_bus_name((vmhi_disk_bus)value)
                                       : vmhi_nic_model_name((vmhi_nic_model)value);
}

static void set_device_value(vmhi_vm_config *cfg, vmhi_value_kind kind, size_t i, int value)
{
    if (kind == VMHI_VALUE_NIC_MODEL) {
        cfg->nics[i]->model = (vmhi_nic_model)value;
        return;
    }
    cfg->disks[i]->bus = (vmhi_disk_bus)value;
    cfg->disks[i]->target[0] = '\0'; /* it named a device on the old bus ("hda") */
}

/* "ide, scsi": the values the package's devices have, for an error. */
static void value_names(const vmhi_ovf_package *pkg, vmhi_value_kind kind, char *buf,
                        size_t size)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < pkg->vm_count; i++)
        for (size_t k = 0; k < device_count(pkg->vms[i], kind); k++)
            seen |= UINT64_C(1) << device_value(pkg->vms[i], kind, k);
    size_t len = 0;
    buf[0] = '\0';
    for (int v = 0; v < 64; v++) {
        if (!has(seen, (unsigned)v))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", value_name(kind, v));
        if (n < 0 || (size_t)n >= size - len) {
            buf[len] = '\0';
            return;
        }
        len += (size_t)n;
    }
}

/* Whether a device with @value is one a mapping from @from to @to changes. */
static bool value_moves(int value, int from, int to)
{
    return value != to && (from == VMHI_OVF_ANY_VALUE || value == from);
}

static int check_mapping(vmhi_value_kind kind, int from, int to)
{
    int count = kind == VMHI_VALUE_DISK_BUS    ? VMHI_DISK_BUS_COUNT_1_0
                : kind == VMHI_VALUE_NIC_MODEL ? VMHI_NIC_MODEL_COUNT_1_0
                                               : 0;
    if (count == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "value kind %d cannot be mapped: only disk buses "
                                               "and NIC models can", (int)kind);
    if (to < 0 || to >= count)
        return vmhi__error(VMHI_E_INVALID_ARG, "%d is not a %s", to,
                           kind == VMHI_VALUE_DISK_BUS ? "disk bus" : "NIC model");
    if (from != VMHI_OVF_ANY_VALUE && (from < 0 || from >= count))
        return vmhi__error(VMHI_E_INVALID_ARG, "%d is not a %s", from,
                           kind == VMHI_VALUE_DISK_BUS ? "disk bus" : "NIC model");
    if (from == to)
        return vmhi__error(VMHI_E_INVALID_ARG, "%s is mapped to itself", value_name(kind, to));
    return VMHI_OK;
}

int vmhi_ovf_package_map_value(vmhi_ovf_package *pkg, vmhi_value_kind kind, int from, int to)
{
    vmhi__error_reset();
    if (!pkg)
        return vmhi__error(VMHI_E_INVALID_ARG, "package is NULL");
    int rc = check_mapping(kind, from, to);
    if (rc)
        return rc;
    const char *what = kind == VMHI_VALUE_DISK_BUS ? "disk" : "NIC";
    const char *field = kind == VMHI_VALUE_DISK_BUS ? "bus" : "model";
    /* Lines first, then the change, as for networks. */
    size_t lines = pkg->line_count, devices = 0;
    for (size_t i = 0; rc == 0 && i < pkg->vm_count; i++)
        for (size_t k = 0; rc == 0 && k < device_count(pkg->vms[i], kind); k++, devices++) {
            int v = device_value(pkg->vms[i], kind, k);
            if (value_moves(v, from, to))
                rc = vmhi__ovf_add_line(pkg, VMHI_OVF_REPORT_ADAPTED, 0, i,
                                        "%s %s: %s %s mapped to %s as asked", what,
                                        device_id(pkg->vms[i], kind, k), field,
                                        value_name(kind, v), value_name(kind, to));
        }
    if (rc != 0) {
        while (pkg->line_count > lines)
            vmhi__free(pkg->lines[--pkg->line_count].message);
        return rc;
    }
    if (devices == 0)
        return vmhi__error(VMHI_E_NOT_FOUND, "the package has no %s to put on %s %s", what,
                           field, value_name(kind, to));
    if (pkg->line_count == lines && from != VMHI_OVF_ANY_VALUE) {
        char names[256];
        value_names(pkg, kind, names, sizeof(names));
        return vmhi__error(VMHI_E_NOT_FOUND, "no %s of the package has %s %s; its %ss have %s",
                           what, field, value_name(kind, from), what, names);
    }
    for (size_t i = 0; i < pkg->vm_count; i++)
        for (size_t k = 0; k < device_count(pkg->vms[i], kind); k++) {
            if (value_moves(device_value(pkg->vms[i], kind, k), from, to))
                set_device_value(pkg->vms[i], kind, k, to);
        }
    return VMHI_OK;
}
