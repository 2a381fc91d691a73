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

/** @brief Disk image formats.  @since 1.0 */
typedef enum vmhi_disk_format {
    VMHI_DISK_FORMAT_RAW = 0,   /**< Raw image (the default). */
    VMHI_DISK_FORMAT_QCOW2 = 1, /**< QEMU copy-on-write v2. */
    VMHI_DISK_FORMAT_VMDK = 2   /**< VMware disk. */
} vmhi_disk_format;

/** @brief Disk buses.  @since 1.0 */
typedef enum vmhi_disk_bus {
    VMHI_DISK_BUS_VIRTIO = 0, /**< virtio-blk (the default). */
    VMHI_DISK_BUS_SCSI = 1,   /**< SCSI. */
    VMHI_DISK_BUS_SATA = 2,   /**< SATA/AHCI. */
    VMHI_DISK_BUS_IDE = 3     /**< IDE. */
} vmhi_disk_bus;

/** @brief NIC models.  @since 1.0 */
typedef enum vmhi_nic_model {
    VMHI_NIC_MODEL_VIRTIO = 0,  /**< virtio-net (the default). */
    VMHI_NIC_MODEL_E1000 = 1,   /**< Intel e1000. */
    VMHI_NIC_MODEL_VMXNET3 = 2, /**< VMware vmxnet3. */
    VMHI_NIC_MODEL_RTL8139 = 3  /**< Realtek 8139. */
} vmhi_nic_model;

/** @brief Boot devices.  @since 1.0 */
typedef enum vmhi_boot_dev {
    VMHI_BOOT_DISK = 1,    /**< First disk. */
    VMHI_BOOT_NETWORK = 2, /**< PXE from the first NIC. */
    VMHI_BOOT_CDROM = 3    /**< CD-ROM. */
} vmhi_boot_dev;

/** @brief Most entries in a boot order. */
#define VMHI_BOOT_ORDER_MAX 4

/* ---------------------------------------------------------------- disks */

/**
 * @brief Creates an empty disk description (raw, virtio, read-write).
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
 * @return The bus (#VMHI_DISK_BUS_VIRTIO for NULL).
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

/* ----------------------------------------------------------------- NICs */

/**
 * @brief Creates an empty NIC description (virtio, network "default").
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
 * @return The model (#VMHI_NIC_MODEL_VIRTIO for NULL).
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
 * @brief Sets the network the NIC connects to (backend-specific name:
 *        "user", "bridge:br0", an ESX port group...).
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

/* --------------------------------------------------------------- config */

/**
 * @brief Creates a VM description with defaults: no name, no UUID, 1 vCPU
 *        (max 1), 512 MiB (max 512), BIOS, boot from disk.
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
 * @brief Sets the boot order: 1-#VMHI_BOOT_ORDER_MAX distinct devices.
 * @param cfg The config.  @param order The devices, first tried first.
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
 * @return The disk, or NULL when out of range.
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
 * @return The NIC, or NULL when out of range.
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
/**
 * @brief Checks cross-field rules: a name is set, vcpus <= max_vcpus,
 *        memory <= max memory, boot devices exist...
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

/** @brief Name of a disk format ("raw", "qcow2", "vmdk"), NULL if unknown. @param f The format. @return A static string. @since 1.0 */
VMHI_EXTERN const char *vmhi_disk_format_name(vmhi_disk_format f);
/** @brief Name of a disk bus ("virtio", "scsi", "sata", "ide"), NULL if unknown. @param b The bus. @return A static string. @since 1.0 */
VMHI_EXTERN const char *vmhi_disk_bus_name(vmhi_disk_bus b);
/** @brief Name of a NIC model ("virtio", "e1000", "vmxnet3", "rtl8139"), NULL if unknown. @param m The model. @return A static string. @since 1.0 */
VMHI_EXTERN const char *vmhi_nic_model_name(vmhi_nic_model m);

VMHI_END_DECLS

#endif /* VMHI_CONFIG_H */
