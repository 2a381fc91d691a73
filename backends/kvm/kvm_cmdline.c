/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The QEMU command line of a VM.
 *
 * Machine q35 (PCIe), no default devices, no display.  QMP is a unix
 * socket the backend binds itself and hands over as fd 3, so it can
 * connect before QEMU even runs its main loop (no waiting for a file to
 * appear).  Serial output goes to <run_dir>/<uuid>.console.  Memory is
 * booted at the maximum and ballooned down to the current size
 * (virtio-balloon, statistics polled every KVM_STATS_POLL_S s).  The
 * balloon deflates when the guest would run out of memory otherwise
 * (deflate-on-oom): a live size below what the guest needs makes it give
 * memory back to itself, never kill its processes (as VMware's balloon).  vCPUs
 * boot at the current count with maxcpus = the maximum, for hotplug.
 *
 * Every disk and NIC sits on its own pcie-root-port ("rp<N>") so that it
 * can be unplugged; KVM_SPARE_PORTS more are provisioned for hotplug (q35's
 * pcie.0 itself cannot hotplug).  Device ids are "vmhi-<VMHI id>"; block
 * nodes and netdevs are named after the port ("blk<N>", "net<N>") because
 * block node names are limited to 31 bytes.  Devices are given as JSON,
 * so paths need no escaping; the few QemuOpts values that carry names or
 * paths double their commas.
 *
 * A suspended VM is restored by a QEMU built like the one that saved it:
 * same root ports, each device on the port it had (kvm_saved), and
 * `-incoming defer` so that it waits for its state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

#define PORT_FIRST_SLOT 0x10u

int kvm_argv_add(kvm_argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char **v = kvm_alloc(cap * sizeof(*v));
        if (!v)
            return VMHI_E_NOMEM;
        if (a->n)
            memcpy(v, a->v, a->n * sizeof(*v));
        kvm_free(a->v);
        a->v = v;
        a->cap = cap;
    }
    if (!(a->v[a->n] = kvm_strdup(s)))
        return VMHI_E_NOMEM;
    a->v[++a->n] = NULL;
    return VMHI_OK;
}

int kvm_argv_addf(kvm_argv *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[8192];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: a QEMU argument is too long");
    return kvm_argv_add(a, buf);
}

void kvm_argv_free(kvm_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        kvm_free(a->v[i]);
    kvm_free(a->v);
    memset(a, 0, sizeof(*a));
}

char *kvm_cmdline_escape(const char *s)
{
    size_t n = strlen(s), commas = 0;
    for (size_t i = 0; i < n; i++)
        commas += s[i] == ',';
    char *out = kvm_alloc(n + commas + 1);
    if (!out)
        return NULL;
    for (size_t i = 0, j = 0; i <= n; i++) {
        out[j++] = s[i];
        if (s[i] == ',')
            out[j++] = ',';
    }
    return out;
}

static int add_json(kvm_argv *a, const char *opt, json_object *obj)
{
    if (!obj)
        return VMHI_E_NOMEM;
    int rc = kvm_argv_add(a, opt);
    if (rc == VMHI_OK)
        rc = kvm_argv_add(a, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    json_object_put(obj);
    return rc;
}

static const char *format_driver(vmhi_disk_format f)
{
    return f == VMHI_DISK_FORMAT_QCOW2 ? "qcow2" : f == VMHI_DISK_FORMAT_VMDK ? "vmdk" : "raw";
}

json_object *kvm_cmdline_disk_blockdev(const vmhi_disk *disk, unsigned int port)
{
    char node[32];
    bool ro = vmhi_disk_get_readonly(disk) != 0;
    json_object *file = json_object_new_object();
    json_object *fmt = json_object_new_object();
    if (!file || !fmt) {
        json_object_put(file);
        json_object_put(fmt);
        return NULL;
    }
    json_object_object_add(file, "driver", json_object_new_string("file"));
    json_object_object_add(file, "filename", json_object_new_string(vmhi_disk_get_path(disk)));
    json_object_object_add(file, "read-only", json_object_new_boolean(ro));
    snprintf(node, sizeof(node), "blk%u", port);
    json_object_object_add(fmt, "driver",
                           json_object_new_string(format_driver(vmhi_disk_get_format(disk))));
    json_object_object_add(fmt, "node-name", json_object_new_string(node));
    json_object_object_add(fmt, "read-only", json_object_new_boolean(ro));
    json_object_object_add(fmt, "file", file);
    return fmt;
}

static json_object *device_common(const char *driver, const char *id, int bootindex)
{
    json_object *dev = json_object_new_object();
    if (!dev)
        return NULL;
    char qid[VMHI_DEVICE_ID_MAX + 8];
    snprintf(qid, sizeof(qid), "vmhi-%s", id);
    json_object_object_add(dev, "driver", json_object_new_string(driver));
    json_object_object_add(dev, "id", json_object_new_string(qid));
    if (bootindex > 0)
        json_object_object_add(dev, "bootindex", json_object_new_int(bootindex));
    return dev;
}

/* A virtio disk's queue count would follow the vCPUs QEMU booted with;
 * fixing it from the maximum keeps the device the same whenever it is
 * plugged and in a restored QEMU (the MSI-X table size is checked when
 * a state file is loaded). */
static unsigned int disk_queues(const vmhi_vm_config *cfg)
{
    unsigned int max = vmhi_vm_config_get_max_vcpus(cfg);
    return max < 1 ? 1 : max > KVM_DISK_QUEUES_MAX ? KVM_DISK_QUEUES_MAX : max;
}

json_object *kvm_cmdline_disk_device(const vmhi_vm_config *cfg, const vmhi_disk *disk,
                                     unsigned int port, int bootindex)
{
    char node[32], bus[32];
    bool sata = vmhi_disk_get_bus(disk) == VMHI_DISK_BUS_SATA;
    json_object *dev = device_common(sata ? "ide-hd" : "virtio-blk-pci", vmhi_disk_get_id(disk),
                                     bootindex);
    if (!dev)
        return NULL;
    snprintf(node, sizeof(node), "blk%u", port);
    json_object_object_add(dev, "drive", json_object_new_string(node));
    if (!sata) {
        snprintf(bus, sizeof(bus), "rp%u", port);
        json_object_object_add(dev, "bus", json_object_new_string(bus));
        json_object_object_add(dev, "num-queues", json_object_new_int((int)disk_queues(cfg)));
    }
    return dev;
}

static const char *nic_driver(vmhi_nic_model m)
{
    switch (m) {
    case VMHI_NIC_MODEL_E1000: return "e1000";
    case VMHI_NIC_MODEL_VMXNET3: return "vmxnet3";
    case VMHI_NIC_MODEL_RTL8139: return "rtl8139";
    default: return "virtio-net-pci";
    }
}

json_object *kvm_cmdline_nic_device(const vmhi_nic *nic, unsigned int port, int bootindex)
{
    char netdev[32], bus[32];
    json_object *dev = device_common(nic_driver(vmhi_nic_get_model(nic)), vmhi_nic_get_id(nic),
                                     bootindex);
    if (!dev)
        return NULL;
    snprintf(netdev, sizeof(netdev), "net%u", port);
    snprintf(bus, sizeof(bus), "rp%u", port);
    json_object_object_add(dev, "netdev", json_object_new_string(netdev));
    json_object_object_add(dev, "bus", json_object_new_string(bus));
    if (vmhi_nic_get_mac(nic))
        json_object_object_add(dev, "mac", json_object_new_string(vmhi_nic_get_mac(nic)));
    return dev;
}

/* Records the device and its port (a restored QEMU: the port it had). */
static int add_dev_record(kvm_run *run, vmhi_device_type type, const char *id,
                          const kvm_saved *restore, unsigned int *port)
{
    kvm_dev *d = kvm_alloc(sizeof(*d));
    if (!d)
        return VMHI_E_NOMEM;
    const kvm_dev *was = NULL;
    for (const kvm_dev *s = restore ? restore->devs : NULL; s && !was; s = s->next)
        if (s->type == type && strcmp(s->id, id) == 0)
            was = s;
    if (restore && !was) {
        kvm_free(d);
        return kvm_error(VMHI_E_PARSE, "kvm: the saved state names no port for device '%s'",
                         id);
    }
    if (was) {
        *port = was->port;
        d->pending = was->pending;
        d->hidden = was->hidden;
    }
    d->type = type;
    d->port = *port;
    snprintf(d->id, sizeof(d->id), "%s", id);
    kvm_dev **tail = &run->devs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = d;
    return VMHI_OK;
}

/* Boot index of the first disk and the first NIC from the boot order. */
static void boot_indexes(const vmhi_vm_config *cfg, int *disk, int *nic)
{
    vmhi_boot_dev order[VMHI_BOOT_ORDER_MAX];
    size_t n = 0;
    *disk = *nic = 0;
    if (vmhi_vm_config_get_boot_order(cfg, order, &n) != VMHI_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (order[i] == VMHI_BOOT_DISK)
            *disk = (int)i + 1;
        else if (order[i] == VMHI_BOOT_NETWORK)
            *nic = (int)i + 1;
    }
}

static int add_ports(kvm_argv *a, unsigned int nports)
{
    int rc = VMHI_OK;
    for (unsigned int i = 0; rc == VMHI_OK && i < nports; i++)
        rc = kvm_argv_addf(a, "-device") == VMHI_OK
            ? kvm_argv_addf(a, "pcie-root-port,id=rp%u,chassis=%u,port=%u,bus=pcie.0,"
                            "addr=0x%x.%u%s", i, i + 1, i + 1, PORT_FIRST_SLOT + i / 8, i % 8,
                            i % 8 == 0 ? ",multifunction=on" : "")
            : VMHI_E_NOMEM;
    return rc;
}

/* A hidden device keeps its hardware but not its VMHI id in QEMU. */
static void hide_id(json_object *dev, const kvm_run *run)
{
    const kvm_dev *d = run->devs;
    while (d && d->next)
        d = d->next; /* the one just recorded */
    if (!dev || !d || !d->hidden)
        return;
    char qid[VMHI_DEVICE_ID_MAX + 16];
    kvm_dev_qemu_id(d, qid, sizeof(qid));
    json_object_object_add(dev, "id", json_object_new_string(qid));
}

static int add_disks(kvm_argv *a, const vmhi_vm_config *cfg, const kvm_saved *restore,
                     kvm_run *run, unsigned int *next)
{
    int boot_disk, boot_nic, rc = VMHI_OK;
    boot_indexes(cfg, &boot_disk, &boot_nic);
    size_t nd = vmhi_vm_config_get_disk_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < nd; i++) {
        const vmhi_disk *d = vmhi_vm_config_get_disk(cfg, i);
        unsigned int port = (*next)++;
        rc = add_dev_record(run, VMHI_DEVICE_DISK, vmhi_disk_get_id(d), restore, &port);
        if (rc == VMHI_OK)
            rc = add_json(a, "-blockdev", kvm_cmdline_disk_blockdev(d, port));
        json_object *dev = rc == VMHI_OK
            ? kvm_cmdline_disk_device(cfg, d, port, i == 0 ? boot_disk : 0) : NULL;
        hide_id(dev, run);
        if (rc == VMHI_OK)
            rc = add_json(a, "-device", dev);
    }
    return rc;
}

static int add_nics(kvm_argv *a, const vmhi_vm_config *cfg, const kvm_saved *restore,
                    kvm_run *run, unsigned int *next)
{
    int boot_disk, boot_nic, rc = VMHI_OK;
    boot_indexes(cfg, &boot_disk, &boot_nic);
    size_t nn = vmhi_vm_config_get_nic_count(cfg);
    for (size_t i = 0; rc == VMHI_OK && i < nn; i++) {
        const vmhi_nic *nic = vmhi_vm_config_get_nic(cfg, i);
        unsigned int port = (*next)++;
        rc = add_dev_record(run, VMHI_DEVICE_NIC, vmhi_nic_get_id(nic), restore, &port);
        if (rc == VMHI_OK)
            rc = kvm_argv_add(a, "-netdev");
        if (rc == VMHI_OK)
            rc = kvm_argv_addf(a, "user,id=net%u", port);
        json_object *dev = rc == VMHI_OK
            ? kvm_cmdline_nic_device(nic, port, i == 0 ? boot_nic : 0) : NULL;
        hide_id(dev, run);
        if (rc == VMHI_OK)
            rc = add_json(a, "-device", dev);
    }
    return rc;
}

static int add_devices(kvm_argv *a, const vmhi_vm_config *cfg, const kvm_saved *restore,
                       kvm_run *run)
{
    unsigned int next = 0;
    int rc = add_disks(a, cfg, restore, run, &next);
    return rc == VMHI_OK ? add_nics(a, cfg, restore, run, &next) : rc;
}

/* A boot file QEMU will open: missing is NOT_FOUND, unreadable PERMISSION,
 * so the caller learns which path to fix before QEMU fails vaguely. */
static int check_boot_file(const char *what, const char *path)
{
    if (access(path, R_OK) == 0)
        return VMHI_OK;
    int err = errno;
    return kvm_error_native(err == ENOENT || err == ENOTDIR ? VMHI_E_NOT_FOUND
                            : err == EACCES || err == EPERM ? VMHI_E_PERMISSION
                                                            : VMHI_E_IO,
                            strerror(err), "kvm: the %s %s cannot be read: %s", what, path,
                            strerror(err));
}

/* Direct kernel boot: the VM's own kernel, initrd and command line, or
 * else the connection's kernel= / initrd= / append= defaults (which let a
 * suite that defines plain VMs boot a test guest). */
static int add_kernel(kvm_argv *a, const kvm_conn *c, const vmhi_vm_config *cfg)
{
    const char *kernel = vmhi_vm_config_get_kernel(cfg);
    const char *initrd = kernel ? vmhi_vm_config_get_initrd(cfg) : c->initrd;
    const char *append = kernel ? vmhi_vm_config_get_cmdline(cfg) : c->append;
    if (!kernel)
        kernel = c->kernel;
    if (!kernel)
        return VMHI_OK;
    int rc = check_boot_file("kernel", kernel);
    if (rc == VMHI_OK && initrd)
        rc = check_boot_file("initrd", initrd);
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-kernel")) == VMHI_OK)
        rc = kvm_argv_add(a, kernel);
    if (rc == VMHI_OK && initrd && (rc = kvm_argv_add(a, "-initrd")) == VMHI_OK)
        rc = kvm_argv_add(a, initrd);
    if (rc == VMHI_OK && append && (rc = kvm_argv_add(a, "-append")) == VMHI_OK)
        rc = kvm_argv_add(a, append);
    return rc;
}

static int add_base(kvm_argv *a, const kvm_conn *c, const kvm_vm *vm,
                    const vmhi_vm_config *cfg, const char *console)
{
    char *name = kvm_cmdline_escape(vm->name);
    char *con = kvm_cmdline_escape(console);
    int rc = name && con ? VMHI_OK : VMHI_E_NOMEM;
    const char *fixed[] = { "-machine", "q35", "-nodefaults", "-no-user-config", "-display",
                            "none", "-chardev", "socket,id=qmp,fd=3,server=on,wait=off", "-mon",
                            "chardev=qmp,mode=control", "-serial", "chardev:serial0", "-accel",
                            c->accel == KVM_ACCEL_KVM ? "kvm" : "tcg", NULL };
    if (rc == VMHI_OK)
        rc = kvm_argv_add(a, c->qemu);
    for (size_t i = 0; rc == VMHI_OK && fixed[i]; i++)
        rc = kvm_argv_add(a, fixed[i]);
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-name")) == VMHI_OK)
        rc = kvm_argv_addf(a, "guest=%s", name);
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-uuid")) == VMHI_OK)
        rc = kvm_argv_add(a, vm->uuid);
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-m")) == VMHI_OK)
        rc = kvm_argv_addf(a, "size=%lluM",
                           (unsigned long long)vmhi_vm_config_get_max_memory_mib(cfg));
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-smp")) == VMHI_OK)
        rc = kvm_argv_addf(a, "%u,maxcpus=%u", vmhi_vm_config_get_vcpus(cfg),
                           vmhi_vm_config_get_max_vcpus(cfg));
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-chardev")) == VMHI_OK)
        rc = kvm_argv_addf(a, "file,id=serial0,path=%s", con);
    if (rc == VMHI_OK && (rc = kvm_argv_add(a, "-device")) == VMHI_OK)
        rc = kvm_argv_addf(a, "virtio-balloon-pci,id=balloon0,deflate-on-oom=on,"
                           "guest-stats-polling-interval=%d", KVM_STATS_POLL_S);
    kvm_free(name);
    kvm_free(con);
    return rc;
}

int kvm_cmdline_build(const kvm_conn *c, const kvm_vm *vm, const kvm_saved *restore,
                      kvm_run *run, kvm_argv *out)
{
    const vmhi_vm_config *cfg = restore ? restore->qemu_cfg : vm->live;
    if (vmhi_vm_config_get_firmware(cfg) == VMHI_FIRMWARE_UEFI)
        return kvm_error(VMHI_E_UNSUPPORTED, "kvm: VM '%s' asks for UEFI firmware, which this "
                         "backend does not provide yet; use BIOS", vm->name);
    char *console = kvm_store_run_path(c->host, vm->uuid, ".console");
    int rc = console ? add_base(out, c, vm, cfg, console) : VMHI_E_NOMEM;
    kvm_free(console);
    size_t ndev = vmhi_vm_config_get_disk_count(cfg) + vmhi_vm_config_get_nic_count(cfg);
    run->nports = restore ? restore->nports : (unsigned int)ndev + KVM_SPARE_PORTS;
    if (rc == VMHI_OK)
        rc = add_ports(out, run->nports);
    if (rc == VMHI_OK)
        rc = add_devices(out, cfg, restore, run);
    if (rc == VMHI_OK)
        rc = add_kernel(out, c, cfg);
    if (rc == VMHI_OK && restore && (rc = kvm_argv_add(out, "-incoming")) == VMHI_OK)
        rc = kvm_argv_add(out, "defer"); /* the state comes over QMP (migrate-incoming) */
    if (rc < 0)
        kvm_argv_free(out);
    return rc;
}
