/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/config.h
 * @brief The VM description model and its XML and JSON forms.
 *
 * A #vmhi_vm_config describes a VM: name, UUID, vCPUs, memory, disks,
 * NICs, boot order and firmware.  It is opaque; fields are set and read
 * with the calls below.  Setters check their argument at once and leave
 * the object unchanged on error.  Cross-field rules (current <= maximum,
 * ...) are checked by vmhi_vm_config_validate(), by the parsers and by
 * vmhi_vm_define().  The XML and JSON forms are specified by
 * `spec/vmhi-vm.rng` and `spec/vmhi-vm.schema.json`.
 *
 * Config objects are not shared between threads without locking.
 *
 * @par Pointer lifetimes
 * A string a getter returns is owned by its object and stays valid until
 * that field is set again or the object is freed.  A disk or NIC that
 * vmhi_vm_config_get_disk() / vmhi_vm_config_get_nic() returns is owned by
 * the config and stays valid until that device is removed, the config is
 * freed, or the config is replaced by a parser; it must not be freed.
 * Setters copy their string arguments.
 */
#ifndef VMHI_CONFIG_H
#define VMHI_CONFIG_H

#include "common.h"

VMHI_BEGIN_DECLS

/** @brief Firmware types.  @since 1.0 */
typedef enum vmhi_firmware {
    VMHI_FIRMWARE_BIOS = 0, /**< Legacy BIOS (the default). */
    VMHI_FIRMWARE_UEFI = 1  /**< UEFI. */
} vmhi_firmware;
/** @brief One past the highest #vmhi_firmware value of VMHI 1.0. */
#define VMHI_FIRMWARE_COUNT_1_0 2

/**
 * @brief Guest types: how the guest is virtualized.  @since 1.0
 *
 * Xen distinguishes all three; KVM and ESX run every guest fully
 * virtualized (HVM).  vmhi_conn_get_value_caps() with
 * #VMHI_VALUE_GUEST_TYPE says which a connection accepts.
 */
typedef enum vmhi_guest_type {
    VMHI_GUEST_DEFAULT = 0, /**< The hypervisor's usual kind (HVM on KVM and ESX). */
    VMHI_GUEST_HVM = 1,     /**< Fully virtualized hardware. */
    VMHI_GUEST_PV = 2,      /**< Paravirtualized (Xen PV); needs direct kernel boot. */
    VMHI_GUEST_PVH = 3      /**< Xen PVH: PV interfaces in an HVM container. */
} vmhi_guest_type;
/** @brief One past the highest #vmhi_guest_type value of VMHI 1.0. */
#define VMHI_GUEST_TYPE_COUNT_1_0 4

/**
 * @brief How a VM boots.  Derived from the config: #VMHI_BOOT_METHOD_KERNEL
 *        when a kernel is set, #VMHI_BOOT_METHOD_FIRMWARE otherwise.  Used by
 *        the per-value capability query.  @since 1.0
 */
typedef enum vmhi_boot_method {
    VMHI_BOOT_METHOD_FIRMWARE = 0, /**< Firmware boots from the boot order. */
    VMHI_BOOT_METHOD_KERNEL = 1    /**< Direct kernel boot (kernel, initrd, command line). */
} vmhi_boot_method;
/** @brief One past the highest #vmhi_boot_method value of VMHI 1.0. */
#define VMHI_BOOT_METHOD_COUNT_1_0 2

/** @brief Disk image formats.  @since 1.0 */
typedef enum vmhi_disk_format {
    VMHI_DISK_FORMAT_RAW = 0,   /**< Raw image (the default). */
    VMHI_DISK_FORMAT_QCOW2 = 1, /**< QEMU copy-on-write v2. */
    VMHI_DISK_FORMAT_VMDK = 2   /**< VMware disk. */
} vmhi_disk_format;
/** @brief One past the highest #vmhi_disk_format value of VMHI 1.0. */
#define VMHI_DISK_FORMAT_COUNT_1_0 3

/**
 * @brief Disk buses.  @since 1.0
 *
 * #VMHI_DISK_BUS_DEFAULT asks for the hypervisor's native paravirtual
 * choice (virtio-blk on KVM, PVSCSI on ESX, xen-blkfront on Xen); the
 * bus the backend chose is what vmhi_vm_get_config() reports afterwards.
 */
typedef enum vmhi_disk_bus {
    VMHI_DISK_BUS_DEFAULT = 0, /**< The hypervisor's native paravirtual bus (the default). */
    VMHI_DISK_BUS_VIRTIO = 1,  /**< virtio-blk. */
    VMHI_DISK_BUS_SCSI = 2,    /**< An emulated SCSI controller (LSI Logic, virtio-scsi...). */
    VMHI_DISK_BUS_SATA = 3,    /**< SATA/AHCI. */
    VMHI_DISK_BUS_IDE = 4,     /**< IDE. */
    VMHI_DISK_BUS_XEN = 5,     /**< Xen PV block (blkfront). */
    VMHI_DISK_BUS_PVSCSI = 6   /**< VMware paravirtual SCSI. */
} vmhi_disk_bus;
/** @brief One past the highest #vmhi_disk_bus value of VMHI 1.0. */
#define VMHI_DISK_BUS_COUNT_1_0 7

/**
 * @brief NIC models.  @since 1.0
 *
 * #VMHI_NIC_MODEL_DEFAULT asks for the hypervisor's native paravirtual
 * NIC (virtio-net on KVM, vmxnet3 on ESX, netfront on Xen); the model the
 * backend chose is what vmhi_vm_get_config() reports afterwards.
 */
typedef enum vmhi_nic_model {
    VMHI_NIC_MODEL_DEFAULT = 0, /**< The hypervisor's native paravirtual NIC (the default). */
    VMHI_NIC_MODEL_VIRTIO = 1,  /**< virtio-net. */
    VMHI_NIC_MODEL_E1000 = 2,   /**< Intel e1000. */
    VMHI_NIC_MODEL_VMXNET3 = 3, /**< VMware vmxnet3. */
    VMHI_NIC_MODEL_RTL8139 = 4, /**< Realtek 8139. */
    VMHI_NIC_MODEL_XEN = 5      /**< Xen PV network (netfront). */
} vmhi_nic_model;
/** @brief One past the highest #vmhi_nic_model value of VMHI 1.0. */
#define VMHI_NIC_MODEL_COUNT_1_0 6

/**
 * @brief Kinds of network a NIC can name (see vmhi_nic_set_network()).  @since 1.0
 */
typedef enum vmhi_network_kind {
    VMHI_NETWORK_NAMED = 0,  /**< A network the hypervisor names: "default", an ESX port group. */
    VMHI_NETWORK_USER = 1,   /**< "user": user-mode NAT inside the VM's process (QEMU). */
    VMHI_NETWORK_BRIDGE = 2  /**< "bridge:<ifname>": a host bridge. */
} vmhi_network_kind;
/** @brief One past the highest #vmhi_network_kind value of VMHI 1.0. */
#define VMHI_NETWORK_KIND_COUNT_1_0 3

/**
 * @brief Boot devices.  Value 3 is reserved for a CD-ROM device kind in a
 *        later minor version.  @since 1.0
 */
typedef enum vmhi_boot_dev {
    VMHI_BOOT_DISK = 1,    /**< The first disk. */
    VMHI_BOOT_NETWORK = 2  /**< PXE from the first NIC. */
} vmhi_boot_dev;
/** @brief One past the highest #vmhi_boot_dev value of VMHI 1.0. */
#define VMHI_BOOT_DEV_COUNT_1_0 3

/** @brief Most entries in a boot order. */
#define VMHI_BOOT_ORDER_MAX 4

/* ---------------------------------------------------------------- disks */

/**
 * @brief Creates an empty disk description (raw, default bus, read-write).
 * @param[out] out The new disk.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_new(vmhi_disk **out);
/**
 * @brief Frees a disk description.  Accepts NULL.
 * @param disk The disk.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_disk_free(vmhi_disk *disk);
/**
 * @brief Sets the device id (letters, digits, '-', '_'; at most
 *        #VMHI_DEVICE_ID_MAX bytes).  Left empty, an id is assigned when
 *        the disk is added to a config or attached.
 * @param disk The disk.  @param id The id, or NULL to clear.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_id(vmhi_disk *disk, const char *id);
/**
 * @brief The device id.
 * @param disk The disk.
 * @return The id, or NULL when unset or @p disk is NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_disk_get_id(const vmhi_disk *disk);
/**
 * @brief Sets the image path (absolute, no control characters, at most 4095 bytes).
 * @param disk The disk.  @param path The path.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_path(vmhi_disk *disk, const char *path);
/**
 * @brief The image path.
 * @param disk The disk.
 * @return The path, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_disk_get_path(const vmhi_disk *disk);
/**
 * @brief Sets the image format.
 * @param disk The disk.  @param format A #vmhi_disk_format.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_format(vmhi_disk *disk, vmhi_disk_format format);
/**
 * @brief The image format.
 * @param disk The disk.
 * @return The format (#VMHI_DISK_FORMAT_RAW for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_disk_format vmhi_disk_get_format(const vmhi_disk *disk);
/**
 * @brief Sets the bus.
 * @param disk The disk.  @param bus A #vmhi_disk_bus.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_bus(vmhi_disk *disk, vmhi_disk_bus bus);
/**
 * @brief The bus.
 * @param disk The disk.
 * @return The bus (#VMHI_DISK_BUS_DEFAULT for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_disk_bus vmhi_disk_get_bus(const vmhi_disk *disk);
/**
 * @brief Marks the disk read-only (non-zero) or read-write (0).
 * @param disk The disk.  @param readonly The flag.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_readonly(vmhi_disk *disk, int readonly);
/**
 * @brief Whether the disk is read-only.
 * @param disk The disk.
 * @return 1 or 0.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_get_readonly(const vmhi_disk *disk);
/**
 * @brief Sets the size of a disk the backend should create; 0 means the
 *        image already exists.
 * @param disk The disk.  @param size_mib Size in MiB.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_size_mib(vmhi_disk *disk, uint64_t size_mib);
/**
 * @brief The size for a new disk (0 for an existing image).
 * @param disk The disk.
 * @return Size in MiB.
 * @since 1.0
 */
VMHI_EXTERN uint64_t vmhi_disk_get_size_mib(const vmhi_disk *disk);
/**
 * @brief Sets the name the guest sees the disk under, where the hypervisor
 *        lets the host choose it (a Xen vdev such as "xvda", "hda", "sdb").
 *        Backends that cannot name guest devices keep it and report it back.
 * @param disk The disk.  @param target 1-31 bytes of [a-z0-9], or NULL to
 *        let the backend choose.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_disk_set_target(vmhi_disk *disk, const char *target);
/**
 * @brief The guest-visible device name.
 * @param disk The disk.
 * @return The name, or NULL when unset (the backend chooses).
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_disk_get_target(const vmhi_disk *disk);

/* ----------------------------------------------------------------- NICs */

/**
 * @brief Creates an empty NIC description (default model, network "default").
 * @param[out] out The new NIC.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_nic_new(vmhi_nic **out);
/**
 * @brief Frees a NIC description.  Accepts NULL.
 * @param nic The NIC.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_nic_free(vmhi_nic *nic);
/**
 * @brief Sets the device id (same rules as vmhi_disk_set_id()).
 * @param nic The NIC.  @param id The id, or NULL to clear.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_nic_set_id(vmhi_nic *nic, const char *id);
/**
 * @brief The device id.
 * @param nic The NIC.
 * @return The id, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_nic_get_id(const vmhi_nic *nic);
/**
 * @brief Sets the model.
 * @param nic The NIC.  @param model A #vmhi_nic_model.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_nic_set_model(vmhi_nic *nic, vmhi_nic_model model);
/**
 * @brief The model.
 * @param nic The NIC.
 * @return The model (#VMHI_NIC_MODEL_DEFAULT for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_nic_model vmhi_nic_get_model(const vmhi_nic *nic);
/**
 * @brief Sets the MAC address ("52:54:00:12:34:56"; unicast).  NULL lets
 *        the backend generate one.
 * @param nic The NIC.  @param mac The address or NULL.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_nic_set_mac(vmhi_nic *nic, const char *mac);
/**
 * @brief The MAC address in lower case.
 * @param nic The NIC.
 * @return The address, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_nic_get_mac(const vmhi_nic *nic);
/**
 * @brief Sets the network the NIC connects to: "user", "bridge:<ifname>",
 *        or a name the hypervisor knows ("default", an ESX port group); see
 *        #vmhi_network_kind and vmhi_network_kind_of().
 * @param nic The NIC.  @param network 1-255 printable bytes.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_nic_set_network(vmhi_nic *nic, const char *network);
/**
 * @brief The network name.
 * @param nic The NIC.
 * @return The name (never NULL for a valid NIC).
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_nic_get_network(const vmhi_nic *nic);
/**
 * @brief The kind of a network name as vmhi_nic_set_network() takes it.
 * @param network A network name.
 * @return #VMHI_NETWORK_USER for "user", #VMHI_NETWORK_BRIDGE for
 *         "bridge:...", #VMHI_NETWORK_NAMED otherwise (also for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_network_kind vmhi_network_kind_of(const char *network);

/* --------------------------------------------------------------- config */

/**
 * @brief Creates a VM description with defaults: no name, no UUID, 1 vCPU
 *        (max 1), 512 MiB (max 512), the default guest type, BIOS, no
 *        kernel, the backend's default boot order, no metadata.
 * @param[out] out The new config.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_new(vmhi_vm_config **out);
/**
 * @brief Frees a config.  Accepts NULL.
 * @param cfg The config.
 * @since 1.0
 */
VMHI_EXTERN void vmhi_vm_config_free(vmhi_vm_config *cfg);
/**
 * @brief Deep copy.
 * @param[out] out The copy.  @param cfg The original.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_copy(vmhi_vm_config **out, const vmhi_vm_config *cfg);
/**
 * @brief Sets the name: 1-#VMHI_NAME_MAX bytes of UTF-8, no '/', no
 *        control characters, not "." or "..", no leading '.' or '-'.
 * @param cfg The config.  @param name The name.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_name(vmhi_vm_config *cfg, const char *name);
/**
 * @brief The name.
 * @param cfg The config.
 * @return The name, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_name(const vmhi_vm_config *cfg);
/**
 * @brief Sets the UUID (canonical 8-4-4-4-12 hex, any case; stored lower
 *        case).  NULL clears it so that vmhi_vm_define() generates one.
 * @param cfg The config.  @param uuid The UUID or NULL.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_uuid(vmhi_vm_config *cfg, const char *uuid);
/**
 * @brief The UUID.
 * @param cfg The config.
 * @return The UUID in lower case, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_uuid(const vmhi_vm_config *cfg);
/**
 * @brief Sets the current vCPU count (1 or more).
 * @param cfg The config.  @param vcpus The count.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_vcpus(vmhi_vm_config *cfg, unsigned int vcpus);
/**
 * @brief The current vCPU count.
 * @param cfg The config.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN unsigned int vmhi_vm_config_get_vcpus(const vmhi_vm_config *cfg);
/**
 * @brief Sets the maximum vCPU count (1 or more; hotplug ceiling).
 * @param cfg The config.  @param max_vcpus The count.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_max_vcpus(vmhi_vm_config *cfg, unsigned int max_vcpus);
/**
 * @brief The maximum vCPU count.
 * @param cfg The config.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN unsigned int vmhi_vm_config_get_max_vcpus(const vmhi_vm_config *cfg);
/**
 * @brief Sets the current memory in MiB (1 or more).
 * @param cfg The config.  @param mib Memory.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_memory_mib(vmhi_vm_config *cfg, uint64_t mib);
/**
 * @brief The current memory.
 * @param cfg The config.
 * @return MiB, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN uint64_t vmhi_vm_config_get_memory_mib(const vmhi_vm_config *cfg);
/**
 * @brief Sets the maximum memory in MiB (1 or more).
 * @param cfg The config.  @param mib Memory.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_max_memory_mib(vmhi_vm_config *cfg, uint64_t mib);
/**
 * @brief The maximum memory.
 * @param cfg The config.
 * @return MiB, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN uint64_t vmhi_vm_config_get_max_memory_mib(const vmhi_vm_config *cfg);
/**
 * @brief Sets the firmware.
 * @param cfg The config.  @param fw A #vmhi_firmware.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_firmware(vmhi_vm_config *cfg, vmhi_firmware fw);
/**
 * @brief The firmware.
 * @param cfg The config.
 * @return The firmware (#VMHI_FIRMWARE_BIOS for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_firmware vmhi_vm_config_get_firmware(const vmhi_vm_config *cfg);
/**
 * @brief Sets the guest type.  #VMHI_GUEST_PV needs a kernel (see
 *        vmhi_vm_config_set_kernel()) and BIOS firmware, which
 *        vmhi_vm_config_validate() checks.
 * @param cfg The config.  @param type A #vmhi_guest_type.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_guest_type(vmhi_vm_config *cfg, vmhi_guest_type type);
/**
 * @brief The guest type.
 * @param cfg The config.
 * @return The type (#VMHI_GUEST_DEFAULT for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_guest_type vmhi_vm_config_get_guest_type(const vmhi_vm_config *cfg);
/**
 * @brief Sets the kernel for direct kernel boot: the hypervisor loads it
 *        instead of booting firmware from the boot order.  The file lives
 *        on the host (absolute path, same rules as vmhi_disk_set_path()).
 * @param cfg The config.  @param path The kernel image, or NULL to boot
 *        from firmware (clearing the kernel also requires no initrd and no
 *        command line at validation).
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_kernel(vmhi_vm_config *cfg, const char *path);
/**
 * @brief The direct-boot kernel.
 * @param cfg The config.
 * @return The path, or NULL when the VM boots from firmware.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_kernel(const vmhi_vm_config *cfg);
/**
 * @brief Sets the initial ramdisk for direct kernel boot (needs a kernel).
 * @param cfg The config.  @param path Absolute host path, or NULL for none.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_initrd(vmhi_vm_config *cfg, const char *path);
/**
 * @brief The initial ramdisk.
 * @param cfg The config.
 * @return The path, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_initrd(const vmhi_vm_config *cfg);
/**
 * @brief Sets the kernel command line for direct kernel boot (needs a kernel).
 * @param cfg The config.  @param cmdline UTF-8, at most 4095 bytes, no
 *        control characters; NULL for none.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_cmdline(vmhi_vm_config *cfg, const char *cmdline);
/**
 * @brief The kernel command line.
 * @param cfg The config.
 * @return The command line, or NULL when unset.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_cmdline(const vmhi_vm_config *cfg);
/**
 * @brief How the VM boots: #VMHI_BOOT_METHOD_KERNEL when a kernel is set.
 * @param cfg The config.
 * @return A #vmhi_boot_method (#VMHI_BOOT_METHOD_FIRMWARE for NULL).
 * @since 1.0
 */
VMHI_EXTERN vmhi_boot_method vmhi_vm_config_get_boot_method(const vmhi_vm_config *cfg);
/**
 * @brief Sets the boot order: 0-#VMHI_BOOT_ORDER_MAX distinct devices.
 *        An empty order (the default) means the backend's own order.
 *        vmhi_vm_config_validate() checks that each entry names a device
 *        the config has: "disk" needs a disk, "network" a NIC.
 * @param cfg The config.  @param order The devices, first tried first
 *        (may be NULL when @p count is 0).
 * @param count Number of entries.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_boot_order(vmhi_vm_config *cfg, const vmhi_boot_dev *order,
                                              size_t count);
/**
 * @brief Reads the boot order.
 * @param cfg The config.
 * @param[out] order Array of at least #VMHI_BOOT_ORDER_MAX entries.
 * @param[out] count Number of entries written.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_get_boot_order(const vmhi_vm_config *cfg, vmhi_boot_dev *order,
                                              size_t *count);
/**
 * @brief Adds a copy of @p disk.  An empty id is replaced by the first
 *        free "diskN".
 * @param cfg The config.  @param disk The disk (must have a path).
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (no path); #VMHI_E_EXISTS
 *         (duplicate id or path); #VMHI_E_LIMIT (more than 64 disks); #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_add_disk(vmhi_vm_config *cfg, const vmhi_disk *disk);
/**
 * @brief Number of disks.
 * @param cfg The config.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN size_t vmhi_vm_config_get_disk_count(const vmhi_vm_config *cfg);
/**
 * @brief One disk, owned by the config.
 * @param cfg The config.  @param index 0-based.
 * @return The disk, or NULL when out of range.  Valid until that disk is
 *         removed or the config is freed; adding a disk does not move it.
 * @since 1.0
 */
VMHI_EXTERN const vmhi_disk *vmhi_vm_config_get_disk(const vmhi_vm_config *cfg, size_t index);
/**
 * @brief Removes the disk with id @p id.
 * @param cfg The config.  @param id The id.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NO_DEVICE.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_remove_disk(vmhi_vm_config *cfg, const char *id);
/**
 * @brief Adds a copy of @p nic.  An empty id becomes the first free "nicN".
 * @param cfg The config.  @param nic The NIC.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_EXISTS (duplicate id or
 *         MAC); #VMHI_E_LIMIT (more than 32 NICs); #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_add_nic(vmhi_vm_config *cfg, const vmhi_nic *nic);
/**
 * @brief Number of NICs.
 * @param cfg The config.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN size_t vmhi_vm_config_get_nic_count(const vmhi_vm_config *cfg);
/**
 * @brief One NIC, owned by the config.
 * @param cfg The config.  @param index 0-based.
 * @return The NIC, or NULL when out of range.  Valid until that NIC is
 *         removed or the config is freed; adding a NIC does not move it.
 * @since 1.0
 */
VMHI_EXTERN const vmhi_nic *vmhi_vm_config_get_nic(const vmhi_vm_config *cfg, size_t index);
/**
 * @brief Removes the NIC with id @p id.
 * @param cfg The config.  @param id The id.
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NO_DEVICE.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_remove_nic(vmhi_vm_config *cfg, const char *id);
/** @brief Most metadata entries in one config. */
#define VMHI_METADATA_MAX 64
/** @brief Longest metadata key in bytes, excluding the NUL. */
#define VMHI_METADATA_KEY_MAX 128
/** @brief Longest metadata value in bytes, excluding the NUL. */
#define VMHI_METADATA_VALUE_MAX 4095

/**
 * @brief Sets a namespaced metadata entry: the extension point of the
 *        model.  Backends keep every entry and return it from
 *        vmhi_vm_get_config(); they may act on entries of their own
 *        namespace.  Entries of namespaces a program does not know are
 *        kept and never interpreted.
 * @param cfg The config.
 * @param key "<namespace>:<name>": the namespace is lower-case DNS-style
 *        labels ("com.example", "x-acme"; "org.vmhi" is reserved for the
 *        standard), the name 1-64 bytes of [A-Za-z0-9._-]; at most
 *        #VMHI_METADATA_KEY_MAX bytes in all.
 * @param value UTF-8 text of at most #VMHI_METADATA_VALUE_MAX bytes, no
 *        control characters but tab and newline; NULL removes the entry.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (bad key or value);
 *         #VMHI_E_LIMIT (more than #VMHI_METADATA_MAX entries); #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_set_metadata(vmhi_vm_config *cfg, const char *key,
                                            const char *value);
/**
 * @brief Reads one metadata entry.
 * @param cfg The config.  @param key The key.
 * @return The value (owned by the config), or NULL when absent.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_vm_config_get_metadata(const vmhi_vm_config *cfg, const char *key);
/**
 * @brief Number of metadata entries.
 * @param cfg The config.
 * @return The count, 0 for NULL.
 * @since 1.0
 */
VMHI_EXTERN size_t vmhi_vm_config_get_metadata_count(const vmhi_vm_config *cfg);
/**
 * @brief Reads metadata entry @p index; entries are in key order.
 * @param cfg The config.  @param index 0-based.
 * @param[out] key The key (owned by the config).  @param[out] value The value
 *        (owned by the config).  Either may be NULL.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG when out of range.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_get_metadata_at(const vmhi_vm_config *cfg, size_t index,
                                               const char **key, const char **value);

/**
 * @brief Checks cross-field rules: a name is set, vcpus <= max_vcpus,
 *        memory <= max memory, each boot device exists, an initrd or a
 *        command line only with a kernel, a PV guest with a kernel and
 *        BIOS firmware.
 * @param cfg The config.
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG with a message naming the field.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_validate(const vmhi_vm_config *cfg);

/**
 * @brief Parses and validates the XML form.
 * @param[out] out The config.
 * @param xml  The document.  @param len Its length in bytes.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_PARSE with line, column
 *         (vmhi_error_last_location()) and the offending element in the
 *         message; #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_from_xml(vmhi_vm_config **out, const char *xml, size_t len);
/**
 * @brief Serializes to the XML form.
 * @param cfg The config.
 * @param[out] xml NUL-terminated document; free with vmhi_free().
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_to_xml(const vmhi_vm_config *cfg, char **xml);
/**
 * @brief Parses and validates the JSON form.
 * @param[out] out The config.
 * @param json The document.  @param len Its length in bytes.
 * @return As vmhi_vm_config_from_xml().
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_from_json(vmhi_vm_config **out, const char *json, size_t len);
/**
 * @brief Serializes to the JSON form.
 * @param cfg The config.
 * @param[out] json NUL-terminated document; free with vmhi_free().
 * @return #VMHI_OK, #VMHI_E_INVALID_ARG or #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_vm_config_to_json(const vmhi_vm_config *cfg, char **json);

/* ---------------------------------------------------------------- names */

/*
 * Every enum has a name for each value (the spelling the XML and JSON
 * forms, the CLI and the reports use) and the reverse lookup.  Names are
 * static strings.  _from_name() returns #VMHI_OK, or #VMHI_E_INVALID_ARG
 * for NULL or an unknown name (leaving *out unchanged).
 */

/** @brief Name of a disk format ("raw", "qcow2", "vmdk").  @param value A #vmhi_disk_format.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_disk_format_name(vmhi_disk_format value);
/** @brief The disk format named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_disk_format_from_name(const char *name, vmhi_disk_format *out);
/** @brief Name of a disk bus ("default", "virtio", "scsi", "sata", "ide", "xen", "pvscsi").  @param value A #vmhi_disk_bus.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_disk_bus_name(vmhi_disk_bus value);
/** @brief The disk bus named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_disk_bus_from_name(const char *name, vmhi_disk_bus *out);
/** @brief Name of a NIC model ("default", "virtio", "e1000", "vmxnet3", "rtl8139", "xen").  @param value A #vmhi_nic_model.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_nic_model_name(vmhi_nic_model value);
/** @brief The NIC model named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_nic_model_from_name(const char *name, vmhi_nic_model *out);
/** @brief Name of a firmware ("bios", "uefi").  @param value A #vmhi_firmware.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_firmware_name(vmhi_firmware value);
/** @brief The firmware named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_firmware_from_name(const char *name, vmhi_firmware *out);
/** @brief Name of a guest type ("default", "hvm", "pv", "pvh").  @param value A #vmhi_guest_type.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_guest_type_name(vmhi_guest_type value);
/** @brief The guest type named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_guest_type_from_name(const char *name, vmhi_guest_type *out);
/** @brief Name of a boot method ("firmware", "kernel").  @param value A #vmhi_boot_method.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_boot_method_name(vmhi_boot_method value);
/** @brief The boot method named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_boot_method_from_name(const char *name, vmhi_boot_method *out);
/** @brief Name of a boot device ("disk", "network").  @param value A #vmhi_boot_dev.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_boot_dev_name(vmhi_boot_dev value);
/** @brief The boot device named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_boot_dev_from_name(const char *name, vmhi_boot_dev *out);
/** @brief Name of a network kind ("named", "user", "bridge").  @param value A #vmhi_network_kind.  @return A static string, or NULL if unknown.  @since 1.0 */
VMHI_EXTERN const char *vmhi_network_kind_name(vmhi_network_kind value);
/** @brief The network kind named @p name.  @param name The name.  @param[out] out The value.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_network_kind_from_name(const char *name, vmhi_network_kind *out);

VMHI_END_DECLS

#endif /* VMHI_CONFIG_H */
