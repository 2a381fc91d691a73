/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The codec between VMHI descriptions and libxl's domain configuration.
 *
 * What a VMHI description becomes on Xen:
 *   guest type   PV (DEFAULT means PV here); HVM and PVH need a device
 *                model or firmware this backend does not drive
 *   boot         direct kernel boot: the description's kernel, initrd and
 *                command line, else those of the connection URI
 *   disks        blkback "phy" devices (a raw file goes through a loop
 *                device the block hotplug script sets up), vdev = the disk
 *                target (xvda, xvdb...; given one in order when absent)
 *   NICs         netback vifs on a host bridge ("bridge:<ifname>"), the
 *                vif-bridge hotplug script, the description's MAC
 * libxl frees what its dispose functions reach with free(): strings and
 * arrays put into its structures come from malloc/strdup, not the core's
 * allocator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen.h"

/* ---------------------------------------------------------- preparation */

static bool target_used(const vmhi_vm_config *cfg, const char *target)
{
    if (!cfg)
        return false;
    size_t n = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *t = vmhi_disk_get_target(vmhi_vm_config_get_disk(cfg, i));
        if (t && strcmp(t, target) == 0)
            return true;
    }
    return false;
}

void xen_disk_next_target(const vmhi_vm_config *a, const vmhi_vm_config *b, char out[8])
{
    for (char l = 'a'; l <= 'z'; l++) {
        snprintf(out, 8, "xvd%c", l);
        if (!target_used(a, out) && !target_used(b, out))
            return;
    }
    snprintf(out, 8, "xvdzz"); /* over any limit; libxl refuses it */
}

static bool mac_used(const vmhi_vm_config *cfg, const char *mac)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *m = vmhi_nic_get_mac(vmhi_vm_config_get_nic(cfg, i));
        if (m && strcmp(m, mac) == 0)
            return true;
    }
    return false;
}

/* 00:16:3e is the prefix the Xen project registered for its guests. */
void xen_next_mac(xen_host *h, const vmhi_vm_config *cfg, char mac[18])
{
    do {
        uint32_t n = h->next_mac++ & 0xffffffu;
        snprintf(mac, 18, "00:16:3e:%02x:%02x:%02x", (unsigned)(n >> 16) & 0xffu,
                 (unsigned)(n >> 8) & 0xffu, (unsigned)n & 0xffu);
    } while (cfg && mac_used(cfg, mac));
}

/* A copy of @disk with @id, @bus and @target. */
static int disk_copy(const vmhi_disk *disk, const char *id, vmhi_disk_bus bus,
                     const char *target, vmhi_disk **out)
{
    vmhi_disk *d = NULL;
    int rc = vmhi_disk_new(&d);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_id(d, id);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(d, vmhi_disk_get_path(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(d, vmhi_disk_get_format(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_bus(d, bus);
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_readonly(d, vmhi_disk_get_readonly(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(d, vmhi_disk_get_size_mib(disk));
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_target(d, target);
    if (rc < 0) {
        vmhi_disk_free(d);
        return rc;
    }
    *out = d;
    return VMHI_OK;
}

static int nic_copy(const vmhi_nic *nic, const char *id, const char *mac, vmhi_nic **out)
{
    vmhi_nic *n = NULL;
    int rc = vmhi_nic_new(&n);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_id(n, id);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_model(n, VMHI_NIC_MODEL_XEN);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(n, mac);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_network(n, vmhi_nic_get_network(nic));
    if (rc < 0) {
        vmhi_nic_free(n);
        return rc;
    }
    *out = n;
    return VMHI_OK;
}

int xen_disk_resolve(const vmhi_vm_config *a, const vmhi_vm_config *b, const vmhi_disk *disk,
                     const char *id, vmhi_disk **out)
{
    char target[8];
    const char *t = vmhi_disk_get_target(disk);
    if (!t) {
        xen_disk_next_target(a, b, target);
        t = target;
    }
    return disk_copy(disk, id, VMHI_DISK_BUS_XEN, t, out);
}

int xen_nic_resolve(xen_host *h, const vmhi_vm_config *cfg, const vmhi_nic *nic, const char *id,
                    vmhi_nic **out)
{
    char mac[18];
    if (vmhi_nic_get_mac(nic))
        snprintf(mac, sizeof(mac), "%s", vmhi_nic_get_mac(nic));
    else
        xen_next_mac(h, cfg, mac);
    return nic_copy(nic, id, mac, out);
}

int xen_config_prepare(xen_host *h, const vmhi_vm_config *cfg, vmhi_vm_config **out)
{
    *out = NULL;
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    size_t nd = rc == VMHI_OK ? vmhi_vm_config_get_disk_count(cfg) : 0;
    size_t nn = rc == VMHI_OK ? vmhi_vm_config_get_nic_count(cfg) : 0;
    /* Rebuilt device by device, in order: disks without a target get the
     * first xvd name no disk of the description has. */
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++)
        rc = vmhi_vm_config_remove_disk(copy, vmhi_disk_get_id(vmhi_vm_config_get_disk(cfg, i)));
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++) {
        vmhi_disk *d = NULL;
        const vmhi_disk *disk = vmhi_vm_config_get_disk(cfg, i);
        rc = xen_disk_resolve(copy, cfg, disk, vmhi_disk_get_id(disk), &d);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_disk(copy, d);
        vmhi_disk_free(d);
    }
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++)
        rc = vmhi_vm_config_remove_nic(copy, vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i)));
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        vmhi_nic *n = NULL;
        rc = xen_nic_resolve(h, cfg, nic, vmhi_nic_get_id(nic), &n);
        if (rc == VMHI_OK)
            rc = vmhi_vm_config_add_nic(copy, n);
        vmhi_nic_free(n);
    }
    if (rc < 0) {
        vmhi_vm_config_free(copy);
        return rc; /* the failing public call set the last error */
    }
    *out = copy;
    return VMHI_OK;
}

/* Copies @cfg, then replaces or removes the device @id, or adds @dev. */
int xen_config_with_disk(const vmhi_vm_config *cfg, const char *id, const vmhi_disk *disk,
                         vmhi_vm_config **out)
{
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    if (rc == VMHI_OK && id)
        rc = vmhi_vm_config_remove_disk(copy, id);
    if (rc == VMHI_OK && disk)
        rc = vmhi_vm_config_add_disk(copy, disk);
    if (rc < 0) {
        vmhi_vm_config_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

int xen_config_with_nic(const vmhi_vm_config *cfg, const char *id, const vmhi_nic *nic,
                        vmhi_vm_config **out)
{
    vmhi_vm_config *copy = NULL;
    int rc = vmhi_vm_config_copy(&copy, cfg);
    if (rc == VMHI_OK && id)
        rc = vmhi_vm_config_remove_nic(copy, id);
    if (rc == VMHI_OK && nic)
        rc = vmhi_vm_config_add_nic(copy, nic);
    if (rc < 0) {
        vmhi_vm_config_free(copy);
        return rc;
    }
    *out = copy;
    return VMHI_OK;
}

int xen_nic_index(const vmhi_vm_config *cfg, const char *id)
{
    size_t n = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; i < n; i++)
        if (strcmp(vmhi_nic_get_id(vmhi_vm_config_get_nic(cfg, i)), id) == 0)
            return (int)i;
    return -1;
}

/* -------------------------------------------------------------- devices */

static bool bridge_exists(const char *ifname)
{
    char path[128];
    snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", ifname);
    return strchr(ifname, '/') == NULL && access(path, F_OK) == 0;
}

/* A disk with a size names an image to make when it does not exist: a
 * sparse raw file, 0600 (the only format blkback phy reads). */
static int create_image(const vmhi_disk *disk)
{
    uint64_t size = vmhi_disk_get_size_mib(disk);
    const char *path = vmhi_disk_get_path(disk);
    if (size == 0 || access(path, F_OK) == 0)
        return VMHI_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)(size << 20)) != 0) {
        int err = errno;
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        return xen_error_native(VMHI_E_IO, "errno", "xen: cannot create disk image %s: %s",
                                path, strerror(err));
    }
    close(fd);
    return VMHI_OK;
}

int xen_disk_build(const vmhi_disk *disk, libxl_device_disk *out)
{
    const char *path = vmhi_disk_get_path(disk);
    const char *target = vmhi_disk_get_target(disk);
    libxl_device_disk_init(out);
    int rc = create_image(disk);
    if (rc < 0)
        return rc;
    if (access(path, vmhi_disk_get_readonly(disk) ? R_OK : R_OK | W_OK) != 0)
        return xen_error(errno == ENOENT ? VMHI_E_NOT_FOUND : VMHI_E_PERMISSION,
                         "xen: disk '%s': cannot %s %s: %s", vmhi_disk_get_id(disk),
                         vmhi_disk_get_readonly(disk) ? "read" : "read and write", path,
                         strerror(errno));
    out->backend_domid = 0;
    out->pdev_path = strdup(path);
    out->vdev = strdup(target ? target : "xvda");
    out->backend = LIBXL_DISK_BACKEND_PHY;
    out->format = LIBXL_DISK_FORMAT_RAW;
    out->readwrite = !vmhi_disk_get_readonly(disk);
    out->removable = 0;
    out->is_cdrom = 0;
    if (!out->pdev_path || !out->vdev)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    return VMHI_OK;
}

static int parse_mac(const char *text, libxl_mac mac)
{
    unsigned b[6];
    if (!text || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4],
                        &b[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

/* The network "default" is the bridge xl gives a vif that names none
 * (libxl's default); Xen has no other named networks. */
#define XEN_DEFAULT_BRIDGE "xenbr0"

static int nic_bridge(const vmhi_nic *nic, const char **ifname)
{
    const char *net = vmhi_nic_get_network(nic);
    switch (vmhi_network_kind_of(net)) {
    case VMHI_NETWORK_BRIDGE:
        *ifname = net + strlen("bridge:");
        return VMHI_OK;
    case VMHI_NETWORK_NAMED:
        if (strcmp(net, "default") == 0) {
            *ifname = XEN_DEFAULT_BRIDGE;
            return VMHI_OK;
        }
        return xen_error(VMHI_E_NOT_FOUND, "xen: NIC '%s': there is no network '%s'; Xen "
                         "has \"default\" (bridge " XEN_DEFAULT_BRIDGE ") and host bridges "
                         "(bridge:<ifname>)", vmhi_nic_get_id(nic), net);
    default:
        return xen_error(VMHI_E_UNSUPPORTED, "xen: NIC '%s': network '%s' is not a bridge; "
                         "Xen vifs join a host bridge (bridge:<ifname>)", vmhi_nic_get_id(nic),
                         net);
    }
}

int xen_nic_build(const vmhi_nic *nic, int devid, libxl_device_nic *out)
{
    libxl_device_nic_init(out);
    const char *ifname = NULL;
    int rc = nic_bridge(nic, &ifname);
    if (rc < 0)
        return rc;
    if (!bridge_exists(ifname))
        return xen_error(VMHI_E_NOT_FOUND, "xen: NIC '%s': there is no bridge %s in dom0",
                         vmhi_nic_get_id(nic), ifname);
    out->backend_domid = 0;
    out->devid = devid;
    out->nictype = LIBXL_NIC_TYPE_VIF;
    out->bridge = strdup(ifname);
    if (!out->bridge)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    if (parse_mac(vmhi_nic_get_mac(nic), out->mac) != 0)
        return xen_error(VMHI_E_INTERNAL, "xen: NIC '%s' has no usable MAC address",
                         vmhi_nic_get_id(nic));
    return VMHI_OK;
}

/* --------------------------------------------------------------- domain */

static int boot_file(const char *what, const char *path, char **out)
{
    if (access(path, R_OK) != 0)
        return xen_error(VMHI_E_NOT_FOUND, "xen: the %s %s does not exist or cannot be read",
                         what, path);
    *out = strdup(path);
    return *out ? VMHI_OK : xen_error(VMHI_E_NOMEM, "xen: out of memory");
}

static int build_boot(const xen_conn *c, const vmhi_vm_config *cfg, libxl_domain_build_info *b)
{
    const char *kernel = vmhi_vm_config_get_kernel(cfg);
    const char *initrd = vmhi_vm_config_get_initrd(cfg);
    const char *cmdline = vmhi_vm_config_get_cmdline(cfg);
    if (!kernel) { /* the connection's default boot (URI kernel=, initrd=, cmdline=) */
        kernel = c->kernel;
        initrd = c->initrd;
        cmdline = c->cmdline;
    }
    if (!kernel)
        return xen_error(VMHI_E_NOT_FOUND, "xen: VM '%s' names no kernel: a PV guest boots a "
                         "kernel directly; give it one (kernel, initrd, cmdline) or open "
                         "xen:///?kernel=/path/to/vmlinuz", vmhi_vm_config_get_name(cfg));
    int rc = boot_file("kernel", kernel, &b->kernel);
    if (rc == VMHI_OK && initrd)
        rc = boot_file("initrd", initrd, &b->ramdisk);
    if (rc == VMHI_OK && cmdline && !(b->cmdline = strdup(cmdline)))
        rc = xen_error(VMHI_E_NOMEM, "xen: out of memory");
    return rc;
}

static int build_devices(const vmhi_vm_config *cfg, libxl_domain_config *dc)
{
    size_t nd = vmhi_vm_config_get_disk_count(cfg), nn = vmhi_vm_config_get_nic_count(cfg);
    if (nd && !(dc->disks = calloc(nd, sizeof(*dc->disks))))
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    for (size_t i = 0; i < nd; i++) {
        dc->num_disks = (int)i + 1;
        int rc = xen_disk_build(vmhi_vm_config_get_disk(cfg, i), &dc->disks[i]);
        if (rc < 0)
            return rc;
    }
    if (nn && !(dc->nics = calloc(nn, sizeof(*dc->nics))))
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    for (size_t i = 0; i < nn; i++) {
        dc->num_nics = (int)i + 1;
        int rc = xen_nic_build(vmhi_vm_config_get_nic(cfg, i), (int)i, &dc->nics[i]);
        if (rc < 0)
            return rc;
    }
    return VMHI_OK;
}

int xen_domcfg_build(const xen_conn *c, const vmhi_vm_config *cfg, libxl_domain_config *dc)
{
    libxl_domain_config_init(dc);
    vmhi_guest_type type = vmhi_vm_config_get_guest_type(cfg);
    if (type != VMHI_GUEST_DEFAULT && type != VMHI_GUEST_PV)
        return xen_error(VMHI_E_UNSUPPORTED, "xen: VM '%s' is %s: this backend runs PV guests "
                         "only (HVM and PVH need a device model or firmware it does not drive)",
                         vmhi_vm_config_get_name(cfg), vmhi_guest_type_name(type));
    dc->c_info.type = LIBXL_DOMAIN_TYPE_PV;
    dc->c_info.name = strdup(vmhi_vm_config_get_name(cfg));
    if (!dc->c_info.name)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    if (libxl_uuid_from_string(&dc->c_info.uuid, vmhi_vm_config_get_uuid(cfg)) != 0)
        return xen_error(VMHI_E_INTERNAL, "xen: bad UUID %s", vmhi_vm_config_get_uuid(cfg));
    libxl_domain_build_info *b = &dc->b_info;
    libxl_domain_build_info_init_type(b, LIBXL_DOMAIN_TYPE_PV);
    unsigned max = vmhi_vm_config_get_max_vcpus(cfg), cur = vmhi_vm_config_get_vcpus(cfg);
    b->max_vcpus = (int)max;
    if (libxl_cpu_bitmap_alloc(c->host->ctx, &b->avail_vcpus, (int)max) != 0)
        return xen_error(VMHI_E_NOMEM, "xen: out of memory");
    libxl_bitmap_set_none(&b->avail_vcpus);
    for (unsigned i = 0; i < cur; i++)
        libxl_bitmap_set(&b->avail_vcpus, (int)i);
    b->max_memkb = vmhi_vm_config_get_max_memory_mib(cfg) * 1024;
    /* The domain starts with its maximum and is ballooned down to its
     * memory right after it is built (xen_boot_domain): the PV builder
     * must fit the kernel image into the first allocation, and a distro
     * kernel takes ~60 MiB of it. */
    b->target_memkb = b->max_memkb;
    dc->on_poweroff = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    dc->on_reboot = LIBXL_ACTION_ON_SHUTDOWN_RESTART;
    dc->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    int rc = build_boot(c, cfg, b);
    if (rc == VMHI_OK)
        rc = build_devices(cfg, dc);
    return rc;
}
