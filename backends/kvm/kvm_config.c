/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Helpers over the public config model, and what of it QEMU can run here.
 *
 * Supported: disks on the virtio bus (hot-pluggable) or SATA (q35's AHCI,
 * cold-plugged only), raw, qcow2 or vmdk images; NICs of every model on
 * user-mode networking (network "user", or "default" which means the
 * same).  Not supported, refused when defined: IDE and SCSI disks (q35
 * has no IDE controller; use sata or virtio), other networks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

int kvm_config_copy(const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    int rc = vmhi_vm_config_copy(out, cfg);
    if (rc < 0)
        return kvm_error(rc, "kvm: cannot copy a VM config: %s", kvm_last_message());
    return VMHI_OK;
}

int kvm_config_check_disk(const vmhi_disk *disk)
{
    vmhi_disk_bus bus = vmhi_disk_get_bus(disk);
    if (bus != VMHI_DISK_BUS_VIRTIO && bus != VMHI_DISK_BUS_SATA)
        return kvm_error(VMHI_E_UNSUPPORTED, "kvm: disk %s uses the %s bus, which this backend "
                         "does not provide on q35; use virtio or sata", vmhi_disk_get_path(disk),
                         vmhi_disk_bus_name(bus));
    return VMHI_OK;
}

int kvm_config_check_nic(const vmhi_nic *nic)
{
    const char *net = vmhi_nic_get_network(nic);
    if (net && strcmp(net, "user") != 0 && strcmp(net, "default") != 0)
        return kvm_error(VMHI_E_UNSUPPORTED, "kvm: network '%s' is not supported; use \"user\" "
                         "(or \"default\"), QEMU's user-mode networking", net);
    return VMHI_OK;
}

int kvm_config_check(const vmhi_vm_config *cfg)
{
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    size_t sata = 0;
    if (nd > KVM_MAX_DISKS || nn > KVM_MAX_NICS)
        return kvm_error(VMHI_E_LIMIT, "kvm: at most %u disks and %u NICs per VM",
                         KVM_MAX_DISKS, KVM_MAX_NICS);
    if (vmhi_vm_config_get_max_vcpus(cfg) > KVM_MAX_VCPUS)
        return kvm_error(VMHI_E_LIMIT, "kvm: at most %u vCPUs per VM", KVM_MAX_VCPUS);
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        rc = kvm_config_check_disk(d);
        sata += vmhi_disk_get_bus(d) == VMHI_DISK_BUS_SATA;
    }
    if (rc == VMHI_OK && sata > 6)
        return kvm_error(VMHI_E_LIMIT, "kvm: q35's AHCI controller has 6 ports; the VM has %zu "
                         "SATA disks", sata);
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++)
        rc = kvm_config_check_nic(vmhi_vm_config_get_nic(cfg, i));
    return rc;
}

const vmhi_disk *kvm_config_find_disk(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = cfg ? vmhi_vm_config_get_disk_count(cfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (strcmp(vmhi_disk_get_id(d), id) == 0)
            return d;
    }
    return NULL;
}

const vmhi_disk *kvm_config_find_disk_path(const vmhi_vm_config *cfg, const char *path)
{
    size_t n = cfg ? vmhi_vm_config_get_disk_count(cfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        if (strcmp(vmhi_disk_get_path(d), path) == 0)
            return d;
    }
    return NULL;
}

const vmhi_nic *kvm_config_find_nic(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = cfg ? vmhi_vm_config_get_nic_count(cfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        if (strcmp(vmhi_nic_get_id(nic), id) == 0)
            return nic;
    }
    return NULL;
}

const vmhi_nic *kvm_config_find_nic_mac(const vmhi_vm_config *cfg, const char *mac)
{
    size_t n = cfg ? vmhi_vm_config_get_nic_count(cfg) : 0;
    for (size_t i = 0; i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        const char *m = vmhi_nic_get_mac(nic);
        if (m && strcasecmp(m, mac) == 0)
            return nic;
    }
    return NULL;
}

bool kvm_config_has_id(const vmhi_vm_config *cfg, const char *id)
{
    return cfg && (kvm_config_find_disk(cfg, id) || kvm_config_find_nic(cfg, id));
}

void kvm_config_free_id(const char *prefix, const vmhi_vm_config *a, const vmhi_vm_config *b,
                        char id[VMHI_DEVICE_ID_MAX + 1])
{
    for (unsigned int i = 0;; i++) {
        snprintf(id, VMHI_DEVICE_ID_MAX + 1, "%s%u", prefix, i);
        if (!kvm_config_has_id(a, id) && !kvm_config_has_id(b, id))
            return;
    }
}

static bool mac_in_use(kvm_host *h, const vmhi_vm_config *extra, const char *mac)
{
    if (kvm_config_find_nic_mac(extra, mac))
        return true;
    for (size_t i = 0; i < h->nvms; i++)
        if (kvm_config_find_nic_mac(h->vms[i]->def, mac) ||
            kvm_config_find_nic_mac(h->vms[i]->live, mac))
            return true;
    return false;
}

void kvm_mac_generate(kvm_host *h, const vmhi_vm_config *extra, char mac[18])
{
    /* 52:54:00 is QEMU's prefix; the pid spreads processes apart. */
    uint32_t seed = (uint32_t)getpid() * 2654435761u;
    do {
        uint32_t v = (seed + h->mac_counter++) & 0xffffffu;
        snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", (v >> 16) & 0xff, (v >> 8) & 0xff,
                 v & 0xff);
    } while (mac_in_use(h, extra, mac));
}

int kvm_config_prepare(kvm_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    int rc = kvm_config_copy(cfg, out);
    size_t n = rc == VMHI_OK ? vmhi_vm_config_get_nic_count(*out) : 0;
    for (size_t i = 0; rc == VMHI_OK && i < n; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(*out, i);
        if (vmhi_nic_get_mac(nic))
            continue;
        /* The config owns its NICs: replace this one with a copy that has a MAC. */
        char mac[18], id[VMHI_DEVICE_ID_MAX + 1];
        vmhi_nic *copy = NULL;
        kvm_mac_generate(h, *out, mac);
        snprintf(id, sizeof(id), "%s", vmhi_nic_get_id(nic));
        rc = vmhi_nic_new(&copy);
        if (rc == VMHI_OK)
            rc = vmhi_nic_set_id(copy, id);
        if (rc == VMHI_OK)
            rc = vmhi_nic_set_model(copy, vmhi_nic_get_model(nic));
        if (rc == VMHI_OK)
            rc = vmhi_nic_set_network(copy, vmhi_nic_get_network(nic));
        if (rc == VMHI_OK)
            rc = vmhi_nic_set_mac(copy, mac);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_remove_nic(*out, id);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_nic(*out, copy);
        vmhi_nic_free(copy);
        /* Removing and re-adding moved it last; keep scanning from the same index. */
        if (rc == VMHI_OK && i + 1 < n)
            i--, n--;
    }
    if (rc < 0) {
        const char *why = kvm_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return kvm_error(rc, "kvm: cannot prepare the VM config: %s", why);
    }
    return VMHI_OK;
}

static char *qemu_img_path(const kvm_conn *c)
{
    const char *slash = strrchr(c->qemu, '/');
    if (!slash)
        return kvm_strdup("/usr/bin/qemu-img");
    return kvm_asprintf("%.*s/qemu-img", (int)(slash - c->qemu), c->qemu);
}

int kvm_config_create_image(const kvm_conn *c, const vmhi_disk *disk)
{
    uint64_t size = vmhi_disk_get_size_mib(disk);
    const char *path = vmhi_disk_get_path(disk);
    struct stat st;
    if (size == 0 || stat(path, &st) == 0)
        return VMHI_OK; /* an existing image is used as it is */
    if (vmhi_disk_get_format(disk) == VMHI_DISK_FORMAT_RAW) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, (off_t)(size << 20)) != 0) {
            int err = errno;
            if (fd >= 0) {
                close(fd);
                unlink(path);
            }
            return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create disk image %s: "
                                    "%s", path, strerror(err));
        }
        close(fd);
        return VMHI_OK;
    }
    char *img = qemu_img_path(c);
    char sz[32];
    snprintf(sz, sizeof(sz), "%lluM", (unsigned long long)size);
    const char *fmt = vmhi_disk_format_name(vmhi_disk_get_format(disk));
    const char *argv[] = { img, "create", "-q", "-f", fmt, path, sz, NULL };
    char out[512];
    int rc = img ? kvm_proc_run(argv, out, sizeof(out), 60000) : VMHI_E_NOMEM;
    if (rc > 0)
        rc = kvm_error(VMHI_E_IO, "kvm: qemu-img could not create %s: %s", path, out);
    kvm_free(img);
    return rc < 0 ? rc : VMHI_OK;
}
