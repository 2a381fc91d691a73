/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `kvm` backend module: ops table, entry point, connections, host
 * facts, capabilities and limits.
 *
 * URIs: kvm:///system and kvm:///session (directories in kvm_store.c).
 * Query parameters:
 *   accel=kvm|tcg    the accelerator; default KVM when /dev/kvm opens and
 *                    can create a VM, TCG (emulation) otherwise
 *   qemu=<path>      the emulator (default qemu-system-x86_64 from /usr/bin
 *                    or $PATH)
 *   kernel=<path>, initrd=<path>, append=<text>
 *                    VMs started through this connection boot this kernel
 *                    directly (-kernel): appliances and tests without a
 *                    bootable disk
 * Host facts: hypervisor "QEMU/KVM" or "QEMU/TCG", QEMU's version, the
 * host's name, CPU model, CPUs and memory.  A TCG connection offers no
 * live vCPU changes (live_vcpus_unsafe()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

const vmhi_core_services *kvm_core;

/* From <linux/kvm.h>, which cannot be included: its struct kvm_run would
 * clash with ours.  These values are part of the stable KVM ABI. */
#define KVM_IO_API_VERSION 12
#define KVM_IO_GET_API_VERSION _IO(0xAE, 0x00)
#define KVM_IO_CREATE_VM _IO(0xAE, 0x01)
#define KVM_IO_CHECK_EXTENSION _IO(0xAE, 0x03)
#define KVM_IO_CAP_MAX_VCPUS 66

/* ------------------------------------------------------- accelerator */

static int kvm_works;    /* 1 when /dev/kvm can create a VM */
static int kvm_max_vcpus;

static void probe_kvm(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    if (ioctl(fd, KVM_IO_GET_API_VERSION, 0) == KVM_IO_API_VERSION) {
        int vm = ioctl(fd, KVM_IO_CREATE_VM, 0);
        if (vm >= 0) {
            kvm_works = 1;
            close(vm);
        }
        int max = ioctl(fd, KVM_IO_CHECK_EXTENSION, KVM_IO_CAP_MAX_VCPUS);
        kvm_max_vcpus = max > 0 ? max : 0;
    }
    close(fd);
}

static bool kvm_available(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, probe_kvm);
    return kvm_works != 0;
}

/* ------------------------------------------------------------ params */

static char *find_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (access("/usr/bin/qemu-system-x86_64", X_OK) == 0 || !path)
        return kvm_asprintf("/usr/bin/%s", prog);
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, ":");
        char *cand = kvm_asprintf("%.*s/%s", (int)n, p, prog);
        if (cand && n > 0 && p[0] == '/' && access(cand, X_OK) == 0)
            return cand;
        kvm_free(cand);
        p += n + (p[n] == ':');
    }
    return kvm_asprintf("/usr/bin/%s", prog);
}

static int set_path_param(char **dst, const char *name, const char *value)
{
    if (*dst)
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: URI parameter '%s' given twice", name);
    if (value[0] != '/' && strcmp(name, "append") != 0)
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: URI parameter %s=%s must be an absolute "
                         "path", name, value);
    *dst = kvm_strdup(value);
    return *dst ? VMHI_OK : VMHI_E_NOMEM;
}

static int parse_accel(kvm_conn *c, const char *value)
{
    if (strcmp(value, "tcg") == 0) {
        c->accel = KVM_ACCEL_TCG;
        return VMHI_OK;
    }
    if (strcmp(value, "kvm") != 0)
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: accel=%s is not an accelerator; use "
                         "accel=kvm or accel=tcg", value);
    if (!kvm_available())
        return kvm_error(VMHI_E_UNSUPPORTED, "kvm: accel=kvm was asked for, but /dev/kvm "
                         "cannot create a VM here (missing, no permission, or no hardware "
                         "virtualization); use accel=tcg");
    c->accel = KVM_ACCEL_KVM;
    return VMHI_OK;
}

static int parse_params(kvm_conn *c, const vmhi_backend_uri *uri)
{
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < uri->nparams; i++) {
        const char *n = uri->param_names[i], *v = uri->param_values[i];
        if (strcmp(n, "accel") == 0)
            rc = c->accel ? kvm_error(VMHI_E_INVALID_ARG, "kvm: URI parameter 'accel' given "
                                      "twice") : parse_accel(c, v);
        else if (strcmp(n, "qemu") == 0)
            rc = set_path_param(&c->qemu, n, v);
        else if (strcmp(n, "kernel") == 0)
            rc = set_path_param(&c->kernel, n, v);
        else if (strcmp(n, "initrd") == 0)
            rc = set_path_param(&c->initrd, n, v);
        else if (strcmp(n, "append") == 0)
            rc = set_path_param(&c->append, n, v);
        else
            rc = kvm_error(VMHI_E_INVALID_ARG, "kvm: unknown URI parameter '%s'; known: "
                           "accel, qemu, kernel, initrd, append", n);
    }
    if (rc == VMHI_OK && !c->accel)
        c->accel = kvm_available() ? KVM_ACCEL_KVM : KVM_ACCEL_TCG;
    if (rc == VMHI_OK && !c->qemu && !(c->qemu = find_in_path("qemu-system-x86_64")))
        rc = VMHI_E_NOMEM;
    if (rc == VMHI_OK && access(c->qemu, X_OK) != 0)
        rc = kvm_error(VMHI_E_CONNECTION, "kvm: cannot run %s: %s; install Debian's "
                       "qemu-system-x86 or pass qemu=/path/to/qemu-system-x86_64", c->qemu,
                       strerror(errno));
    if (rc == VMHI_OK && (c->initrd || c->append) && !c->kernel)
        rc = kvm_error(VMHI_E_INVALID_ARG, "kvm: initrd= and append= need kernel=");
    return rc;
}

static void conn_free_params(kvm_conn *c)
{
    kvm_free(c->qemu);
    kvm_free(c->kernel);
    kvm_free(c->initrd);
    kvm_free(c->append);
    c->qemu = c->kernel = c->initrd = c->append = NULL;
}

static int kvm_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    if (!uri->scheme || strcmp(uri->scheme, "kvm") != 0)
        return VMHI_BACKEND_OPEN_DECLINED;
    kvm_conn *c = priv;
    kvm_error_begin();
    if (uri->host || uri->user || uri->port)
        return kvm_keep_error(kvm_error(VMHI_E_INVALID_ARG, "kvm: '%s' names a host, but this "
                                        "backend manages the local QEMU; use kvm:///system or "
                                        "kvm:///session", uri->uri));
    kvm_paths paths;
    int rc = kvm_paths_resolve(uri->path ? uri->path : "/", &paths);
    if (rc < 0)
        return kvm_keep_error(rc);
    rc = parse_params(c, uri);
    c->conn = conn;
    c->event_mask = VMHI_EVENT_ALL_1_0;
    if (rc == VMHI_OK)
        rc = kvm_host_attach(c, &paths);
    kvm_paths_free(&paths);
    if (rc < 0) {
        conn_free_params(c);
        return kvm_keep_error(rc);
    }
    return VMHI_BACKEND_OPEN_SUCCESS;
}

static void kvm_close(void *priv)
{
    kvm_conn *c = priv;
    if (c->host)
        kvm_host_detach(c);
    conn_free_params(c);
}

/* ---------------------------------------------------------- host facts */

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* "QEMU emulator version 7.2.22 (Debian ...)" -> "7.2.22" */
static void qemu_version(kvm_conn *c)
{
    if (c->qemu_version[0])
        return;
    const char *argv[] = { c->qemu, "--version", NULL };
    char out[512];
    if (kvm_proc_run(argv, out, sizeof(out), 10000) != 0)
        return;
    const char *v = strstr(out, "version ");
    if (!v)
        return;
    v += strlen("version ");
    snprintf(c->qemu_version, sizeof(c->qemu_version), "%.*s", (int)strcspn(v, " \n"), v);
}

static uint64_t meminfo_kib(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    uint64_t value = UINT64_MAX;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            value = strtoull(line + klen + 1, NULL, 10);
    if (f)
        fclose(f);
    return value;
}

static void cpu_model(char *dst, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[512];
    copy_text(dst, size, "unknown");
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v += 1 + (v[1] == ' ');
                snprintf(dst, size, "%.*s", (int)strcspn(v, "\n"), v);
            }
            break;
        }
    }
    if (f)
        fclose(f);
}

static int kvm_get_host_info(void *priv, vmhi_host_info *info)
{
    kvm_conn *c = priv;
    kvm_error_begin();
    qemu_version(c);
    copy_text(info->hypervisor, sizeof(info->hypervisor),
              c->accel == KVM_ACCEL_KVM ? "QEMU/KVM" : "QEMU/TCG");
    copy_text(info->hypervisor_version, sizeof(info->hypervisor_version),
              c->qemu_version[0] ? c->qemu_version : "unknown");
    copy_text(info->backend_version, sizeof(info->backend_version), VMHI_VERSION_STRING);
    if (gethostname(info->hostname, sizeof(info->hostname)) != 0)
        copy_text(info->hostname, sizeof(info->hostname), "localhost");
    info->hostname[sizeof(info->hostname) - 1] = '\0';
    cpu_model(info->cpu_model, sizeof(info->cpu_model));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    info->cpus = cpus > 0 ? (unsigned int)cpus : 1;
    uint64_t total = meminfo_kib("MemTotal"), avail = meminfo_kib("MemAvailable");
    info->memory_mib = total == UINT64_MAX ? 0 : total / 1024;
    info->free_memory_mib = avail == UINT64_MAX ? UINT64_MAX : avail / 1024;
    return VMHI_OK;
}

/* QEMU 7.2 under TCG corrupts its heap when a guest ejects a vCPU: the
 * vCPU's address-space listener outlives it, and the next change of the
 * memory map (a device plugged, a BAR moved, a migration) writes into
 * freed memory and kills the VM.  So TCG connections change vCPU counts
 * in definitions only; under KVM the vCPU has no such listener. */
static bool live_vcpus_unsafe(const kvm_conn *c)
{
    return c->accel == KVM_ACCEL_TCG;
}

int kvm_vcpus_live_check(const kvm_conn *c)
{
    if (!live_vcpus_unsafe(c))
        return VMHI_OK;
    return kvm_error(VMHI_E_UNSUPPORTED, "kvm: live vCPU changes are not offered under TCG: "
                     "QEMU 7.2 corrupts its memory when a guest ejects a vCPU under TCG; "
                     "change the definition (VMHI_AFFECT_CONFIG) or use accel=kvm");
}

static int kvm_get_op_caps(void *priv, vmhi_op op, unsigned int *caps)
{
    const kvm_conn *c = priv;
    const unsigned int sup = VMHI_CAP_SUPPORTED;
    const unsigned int both = sup | VMHI_CAP_LIVE | VMHI_CAP_CONFIG;
    switch (op) {
    case VMHI_OP_SHUTDOWN:
    case VMHI_OP_REBOOT:
        *caps = sup | VMHI_CAP_ASYNC;
        break;
    case VMHI_OP_SET_VCPUS:
        *caps = live_vcpus_unsafe(c) ? sup | VMHI_CAP_CONFIG : both;
        break;
    case VMHI_OP_SET_MEMORY:
    case VMHI_OP_ATTACH_DISK:
    case VMHI_OP_ATTACH_NIC:
    case VMHI_OP_GET_CONFIG:
        *caps = both;
        break;
    case VMHI_OP_SET_MAX_MEMORY:
        *caps = sup | VMHI_CAP_CONFIG;
        break;
    case VMHI_OP_DETACH_DISK:
    case VMHI_OP_DETACH_NIC:
        *caps = both | VMHI_CAP_ASYNC;
        break;
    default:
        *caps = sup;
        break;
    }
    return VMHI_OK;
}

#define VALUE_BIT(v) (UINT64_C(1) << (v))

/* What QEMU on q35 runs here.  Refused values are never seen by a slot:
 * the core turns them away with VMHI_E_UNSUPPORTED first.
 *  - disks: virtio-blk (also for DEFAULT) and AHCI (sata); q35 has no IDE,
 *    and no SCSI/PVSCSI/Xen controller is wired up;
 *  - NICs: every emulated model QEMU ships; no Xen netfront;
 *  - networks: user-mode NAT ("user", and the name "default" for it);
 *    bridges need a privileged helper this backend does not run;
 *  - firmware: SeaBIOS; OVMF (UEFI) is not wired up;
 *  - guests: HVM only; boot: firmware or direct kernel boot;
 *  - shutdown: the ACPI power button (no guest agent channel). */
static int kvm_get_value_caps(void *priv, vmhi_value_kind kind, uint64_t *values)
{
    (void)priv;
    switch (kind) {
    case VMHI_VALUE_DISK_BUS:
        *values = VALUE_BIT(VMHI_DISK_BUS_DEFAULT) | VALUE_BIT(VMHI_DISK_BUS_VIRTIO) |
                  VALUE_BIT(VMHI_DISK_BUS_SATA);
        break;
    case VMHI_VALUE_NIC_MODEL:
        *values &= ~VALUE_BIT(VMHI_NIC_MODEL_XEN);
        break;
    case VMHI_VALUE_NETWORK_KIND:
        *values = VALUE_BIT(VMHI_NETWORK_NAMED) | VALUE_BIT(VMHI_NETWORK_USER);
        break;
    case VMHI_VALUE_FIRMWARE:
        *values = VALUE_BIT(VMHI_FIRMWARE_BIOS);
        break;
    case VMHI_VALUE_GUEST_TYPE:
        *values = VALUE_BIT(VMHI_GUEST_DEFAULT) | VALUE_BIT(VMHI_GUEST_HVM);
        break;
    case VMHI_VALUE_SHUTDOWN_METHOD:
        *values = VALUE_BIT(VMHI_SHUTDOWN_DEFAULT) | VALUE_BIT(VMHI_SHUTDOWN_ACPI);
        break;
    default: /* formats, access, boot methods: all of them */
        break;
    }
    return VMHI_OK;
}

static int kvm_get_limit(void *priv, vmhi_limit limit, uint64_t *value)
{
    const kvm_conn *c = priv;
    switch (limit) {
    case VMHI_LIMIT_MAX_VCPUS:
        *value = KVM_MAX_VCPUS;
        if (c->accel == KVM_ACCEL_KVM && kvm_max_vcpus > 0 && (unsigned)kvm_max_vcpus < *value)
            *value = (uint64_t)kvm_max_vcpus;
        return VMHI_OK;
    case VMHI_LIMIT_MIN_MEMORY_MIB: *value = KVM_MIN_MEMORY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_MEMORY_MIB: {
        uint64_t total = meminfo_kib("MemTotal");
        *value = total == UINT64_MAX ? 1u << 20 : total / 1024;
        return VMHI_OK;
    }
    case VMHI_LIMIT_MEMORY_GRANULARITY_MIB: *value = KVM_MEMORY_GRANULARITY_MIB; return VMHI_OK;
    case VMHI_LIMIT_MAX_DISKS: *value = KVM_MAX_DISKS; return VMHI_OK;
    case VMHI_LIMIT_MAX_NICS: *value = KVM_MAX_NICS; return VMHI_OK;
    case VMHI_LIMIT_MAX_VMS: *value = KVM_MAX_VMS; return VMHI_OK;
    }
    return kvm_error(VMHI_E_UNSUPPORTED, "kvm: limit %d is not known", (int)limit);
}

static int kvm_events_enable(void *priv, unsigned int mask)
{
    kvm_conn *c = priv;
    pthread_mutex_lock(&c->host->lock);
    c->event_mask = mask;
    pthread_mutex_unlock(&c->host->lock);
    return VMHI_OK;
}

static const char *const kvm_schemes[] = { "kvm", NULL };

static const vmhi_backend_ops kvm_ops = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_backend_ops),
    .name = "kvm",
    .schemes = kvm_schemes,
    /* Not vCPU, though KVM connections offer live vCPU changes: we claim
     * only what vmhi-conformance has certified, and no host we test on can
     * (nested "PVM" KVM boots no Linux guest; under TCG live vCPU changes
     * are withheld, see live_vcpus_unsafe()).  Add it once certified. */
    .profiles = VMHI_PROFILE_CORE | VMHI_PROFILE_LIFECYCLE_FULL | VMHI_PROFILE_MEMORY |
                VMHI_PROFILE_DEVICES | VMHI_PROFILE_EVENTS | VMHI_PROFILE_PERSISTENCE,
    .flags = VMHI_BACKEND_FLAG_THREADSAFE,
    .conn_priv_size = sizeof(kvm_conn),
    .version = VMHI_VERSION_STRING,
    .open = kvm_open,
    .close = kvm_close,
    .get_host_info = kvm_get_host_info,
    .get_op_caps = kvm_get_op_caps,
    .get_limit = kvm_get_limit,
    .list_vms = kvm_list_vms,
    .lookup = kvm_lookup,
    .define = kvm_define,
    .undefine = kvm_undefine,
    .create = kvm_create,
    .start = kvm_start,
    .shutdown = kvm_shutdown,
    .poweroff = kvm_poweroff,
    .reboot = kvm_reboot,
    .reset = kvm_reset,
    .pause = kvm_pause,
    .resume = kvm_resume,
    .suspend = kvm_suspend,
    .get_info = kvm_get_info,
    .get_config = kvm_get_config,
    .set_memory = kvm_set_memory,
    .set_max_memory = kvm_set_max_memory,
    .get_memory_stats = kvm_get_memory_stats,
    .set_vcpus = kvm_set_vcpus,
    .get_vcpus = kvm_get_vcpus,
    .attach_disk = kvm_attach_disk,
    .detach_disk = kvm_detach_disk,
    .attach_nic = kvm_attach_nic,
    .detach_nic = kvm_detach_nic,
    .list_devices = kvm_list_devices,
    .events_enable = kvm_events_enable,
    .get_value_caps = kvm_get_value_caps,
};

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops);

VMHI_BACKEND_EXPORT int vmhi_backend_entry(const vmhi_core_services *core,
                                           const vmhi_backend_ops **ops)
{
    if (!core || !ops)
        return VMHI_E_INVALID_ARG;
    if ((core->abi_version >> 16) != VMHI_BACKEND_ABI_MAJOR ||
        core->struct_size < sizeof(vmhi_core_services))
        return VMHI_E_MODULE;
    kvm_core = core;
    *ops = &kvm_ops;
    return VMHI_OK;
}
