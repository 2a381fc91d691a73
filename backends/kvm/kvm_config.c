/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Helpers over the public config model, and what of it QEMU can run here.
 *
 * Supported: disks on the virtio bus (hot-pluggable; DEFAULT resolves to
 * it) or SATA (q35's AHCI, cold-plugged only), raw, qcow2 or vmdk images;
 * NICs of every emulated model (DEFAULT resolves to virtio-net) on
 * user-mode networking (network "user", or "default" which means the
 * same).  What is not supported is declared by get_value_caps, so the core
 * refuses it before these checks run; they stay as the backend's own
 * guard.  A named network other than "default" does not exist here.
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
    if (bus != VMHI_DISK_BUS_DEFAULT && bus != VMHI_DISK_BUS_VIRTIO && bus != VMHI_DISK_BUS_SATA)
        return kvm_error(VMHI_E_UNSUPPORTED, "kvm: disk %s uses the %s bus, which this backend "
                         "does not provide on q35; use virtio or sata", vmhi_disk_get_path(disk),
                         vmhi_disk_bus_name(bus));
    return VMHI_OK;
}

int kvm_config_check_nic(const vmhi_nic *nic)
{
    const char *net = vmhi_nic_get_network(nic);
    if (net && (strcmp(net, "user") == 0 || strcmp(net, "default") == 0))
        return VMHI_OK;
    return kvm_error(VMHI_E_NOT_FOUND, "kvm: there is no network named '%s' here; use \"user\" "
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

vmhi_disk_bus kvm_disk_bus(const vmhi_disk *disk)
{
    vmhi_disk_bus bus = vmhi_disk_get_bus(disk);
    return bus == VMHI_DISK_BUS_DEFAULT ? VMHI_DISK_BUS_VIRTIO : bus;
}

vmhi_nic_model kvm_nic_model(const vmhi_nic *nic)
{
    vmhi_nic_model model = vmhi_nic_get_model(nic);
    return model == VMHI_NIC_MODEL_DEFAULT ? VMHI_NIC_MODEL_VIRTIO : model;
}

int kvm_disk_resolved(const vmhi_disk *disk, const char *id, vmhi_disk **out)
{
    vmhi_disk *d = NULL;
    int rc = vmhi_disk_new(&d);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(d, vmhi_disk_get_path(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(d, id ? id : vmhi_disk_get_id(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(d, vmhi_disk_get_format(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(d, kvm_disk_bus(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_target(d, vmhi_disk_get_target(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(d, vmhi_disk_get_readonly(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(d, vmhi_disk_get_size_mib(disk));
    if (rc < 0) {
        vmhi_disk_free(d);
        return rc;
    }
    *out = d;
    return VMHI_OK;
}

int kvm_nic_resolved(const vmhi_nic *nic, const char *id, const char *mac, vmhi_nic **out)
{
    vmhi_nic *n = NULL;
    int rc = vmhi_nic_new(&n);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(n, id ? id : vmhi_nic_get_id(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(n, kvm_nic_model(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_network(n, vmhi_nic_get_network(nic));
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(n, vmhi_nic_get_mac(nic) ? vmhi_nic_get_mac(nic) : mac);
    if (rc < 0) {
        vmhi_nic_free(n);
        return rc;
    }
    *out = n;
    return VMHI_OK;
}

/* Replaces every device of @cfg, in order, by its resolved form: DEFAULT
 * bus and model made concrete (what get_config reports), a MAC for every
 * NIC. */
static int resolve_devices(kvm_host *h, vmhi_vm_config *cfg)
{
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    vmhi_disk *disks[KVM_MAX_DISKS] = { 0 };
    vmhi_nic *nics[KVM_MAX_NICS] = { 0 };
    int rc = nd <= KVM_MAX_DISKS && nn <= KVM_MAX_NICS ? VMHI_OK : VMHI_E_LIMIT;
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++)
        rc = kvm_disk_resolved(vmhi_vm_config_get_disk(cfg, i), NULL, &disks[i]);
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++) {
        char mac[18];
        kvm_mac_generate(h, cfg, mac);
        rc = kvm_nic_resolved(vmhi_vm_config_get_nic(cfg, i), NULL, mac, &nics[i]);
    }
    while (rc == VMHI_OK && vmhi_vm_config_get_disk_count(cfg))
        rc = vmhi_vm_config_remove_disk(cfg, vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, 0)));
    while (rc == VMHI_OK && vmhi_vm_config_get_nic_count(cfg))
        rc = vmhi_vm_config_remove_nic(cfg, vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, 0)));
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++)
        rc = vmhi_vm_config_add_disk(cfg, disks[i]);
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++)
        rc = vmhi_vm_config_add_nic(cfg, nics[i]);
    for (size_t i = 0; i < nd; i++)
        vmhi_disk_free(disks[i]);
    for (size_t i = 0; i < nn; i++)
        vmhi_nic_free(nics[i]);
    return rc;
}

int kvm_config_prepare(kvm_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    int rc = kvm_config_copy(cfg, out);
    if (rc == VMHI_OK)
        rc = resolve_devices(h, *out);
    if (rc < 0 && *out) {
        const char *why = kvm_last_message();
        vmhi_vm_config_free(*out);
        *out = NULL;
        return kvm_error(rc, "kvm: cannot prepare the VM config: %s", why);
    }
    return rc;
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
