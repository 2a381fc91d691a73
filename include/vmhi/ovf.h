/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/ovf.h
 * @brief OVF (DMTF DSP0243) import and export.  @since 1.1
 *
 * An OVF envelope (a `.ovf` descriptor, or an `.ova` tar archive holding
 * one) is read into a #vmhi_ovf_package: one #vmhi_vm_config per
 * VirtualSystem, and an import report that lists, with its line, every
 * item or section the import did not honour and every value it changed.
 * Nothing is dropped without a report line.  The parser never uses the
 * network and refuses a DOCTYPE (so no DTD, no entity, no external
 * reference).  OVF 1.x (`http://schemas.dmtf.org/ovf/envelope/1`) and 2.x
 * (`.../envelope/2`) envelopes are read; envelopes are written as OVF 2.0.
 * Section 19 of the specification says what is mapped and how.
 *
 * A package is not shared between threads without locking.
 */
#ifndef VMHI_OVF_H
#define VMHI_OVF_H

#include "common.h"
#include "config.h"
#include "conn.h"

VMHI_BEGIN_DECLS

/** @brief A parsed OVF envelope: VM descriptions and an import report.  @since 1.1 */
typedef struct vmhi_ovf_package vmhi_ovf_package;

/** @brief Import flags (#vmhi_ovf_import_options.flags).  @since 1.1 */
typedef enum vmhi_ovf_flag {
    /** Any item or section the import cannot honour fails the import. */
    VMHI_OVF_STRICT = 1 << 0
} vmhi_ovf_flag;
/** @brief Every #vmhi_ovf_flag bit of VMHI 1.1.  @since 1.1 */
#define VMHI_OVF_FLAG_ALL_1_1 0x1u

/** @brief The #vmhi_ovf_import_options layout this header describes. */
#define VMHI_OVF_IMPORT_OPTIONS_VERSION 1

/**
 * @brief Options of vmhi_ovf_package_parse() and vmhi_ovf_package_open().
 *        Initialize with #VMHI_OVF_IMPORT_OPTIONS_INIT.  @since 1.1
 */
typedef struct vmhi_ovf_import_options {
    unsigned int version; /**< #VMHI_OVF_IMPORT_OPTIONS_VERSION. */
    unsigned int flags;   /**< Bits of #vmhi_ovf_flag. */
    /** DeploymentOptionSection configuration id to import; NULL: the one
     *  marked default, else the first. */
    const char *option;
    /** Absolute directory that holds (or will hold) the disk images; a
     *  disk's path is this directory joined with its File href.  NULL: the
     *  directory of the `.ovf` or `.ova` file (vmhi_ovf_package_open()). */
    const char *disk_dir;
} vmhi_ovf_import_options;

/** @brief Initializer for #vmhi_ovf_import_options. */
#define VMHI_OVF_IMPORT_OPTIONS_INIT { VMHI_OVF_IMPORT_OPTIONS_VERSION, 0, NULL, NULL }

/** @brief Kinds of import report line.  @since 1.1 */
typedef enum vmhi_ovf_report_kind {
    VMHI_OVF_REPORT_UNHONOURED = 1, /**< An item, section or value the import did not apply. */
    VMHI_OVF_REPORT_CONVERTED = 2,  /**< A value taken in a nearby VMHI form (rounded, renamed). */
    VMHI_OVF_REPORT_ADAPTED = 3     /**< A value replaced by one the target backend accepts. */
} vmhi_ovf_report_kind;
/** @brief One past the highest #vmhi_ovf_report_kind value of VMHI 1.1. */
#define VMHI_OVF_REPORT_KIND_COUNT_1_1 4

/**
 * @brief Parses an OVF descriptor held in memory.
 * @param[out] out The package (NULL on error).
 * @param xml The descriptor.  @param len Its length in bytes (at most 4 MiB).
 * @param opts Options, or NULL for the defaults.  Without a disk_dir,
 *        an envelope that names a disk fails with #VMHI_E_INVALID_ARG.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (bad argument, options version 0
 *         or newer than this library); #VMHI_E_PARSE (malformed XML, a
 *         DOCTYPE, not an OVF envelope, an inconsistent reference, a value
 *         out of range; with the line in vmhi_error_last_location() and the
 *         message); #VMHI_E_UNSUPPORTED (an unknown section marked
 *         ovf:required="true", or with #VMHI_OVF_STRICT anything the
 *         report would list as not honoured); #VMHI_E_NOT_FOUND (no such
 *         deployment option); #VMHI_E_LIMIT (too large); #VMHI_E_NOMEM.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_parse(vmhi_ovf_package **out, const char *xml, size_t len,
                                       const vmhi_ovf_import_options *opts);
/**
 * @brief Reads a `.ovf` file or an `.ova` archive (POSIX ustar; the
 *        descriptor is its first `.ovf` member).  A file the References
 *        name that the `.ova` lacks is a report line (the image must then
 *        already be in the disk directory).  A manifest (the `.ova`'s `.mf`
 *        member, or the `.mf` file of the same name beside the `.ovf`) is
 *        read, and the descriptor checked against it; the images are
 *        checked by vmhi_ovf_package_import_disks(), which also extracts
 *        and converts them.  An archive member whose name is absolute or
 *        holds `..` or a control character is refused.
 * @param[out] out The package (NULL on error).
 * @param path The file.  @param opts Options, or NULL for the defaults.
 * @return As vmhi_ovf_package_parse(), and #VMHI_E_IO when the file
 *         cannot be read, the archive is damaged, or the manifest does not
 *         list the descriptor or gives another digest; #VMHI_E_PARSE also
 *         for a manifest line that is not `SHA1(file)= hex` or
 *         `SHA256(file)= hex` and for an unsafe member name.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_open(vmhi_ovf_package **out, const char *path,
                                      const vmhi_ovf_import_options *opts);
/**
 * @brief Frees a package and its configs.  Accepts NULL.
 * @param pkg The package.
 * @since 1.1
 */
VMHI_EXTERN void vmhi_ovf_package_free(vmhi_ovf_package *pkg);
/**
 * @brief Number of VMs (VirtualSystems, collections flattened in document order).
 * @param pkg The package.
 * @return The count, 0 for NULL.
 * @since 1.1
 */
VMHI_EXTERN size_t vmhi_ovf_package_get_vm_count(const vmhi_ovf_package *pkg);
/**
 * @brief One VM description, owned by the package (copy it with
 *        vmhi_vm_config_copy() to keep it).
 * @param pkg The package.  @param index 0-based.
 * @return The config, or NULL when out of range.
 * @since 1.1
 */
VMHI_EXTERN const vmhi_vm_config *vmhi_ovf_package_get_vm(const vmhi_ovf_package *pkg,
                                                          size_t index);
/**
 * @brief Adapts every VM to what @p conn accepts: each disk bus, disk
 *        format, NIC model, firmware and guest type that
 *        vmhi_conn_get_value_caps() does not report is replaced by an
 *        accepted one (vmxnet3 becomes virtio on KVM, IDE becomes SCSI on
 *        ESX, SCSI becomes the default bus on Xen...), and each change adds
 *        a #VMHI_OVF_REPORT_ADAPTED line.  Nothing is defined.
 * @param pkg The package.  @param conn The target connection.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_UNSUPPORTED when a value
 *         has no accepted replacement (the package is then unchanged);
 *         #VMHI_E_NOMEM; errors of vmhi_conn_get_value_caps().
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_adapt(vmhi_ovf_package *pkg, vmhi_conn *conn);
/**
 * @brief Puts the NICs that are on network @p from onto network @p to.  An
 *        OVF names its networks as its source host did ("VM Network",
 *        "Pool-wide network associated with eth0"), and the target rarely
 *        has them; VMHI cannot list a host's networks, so the caller says
 *        where each goes.  Every NIC changed adds a
 *        #VMHI_OVF_REPORT_ADAPTED line.  Call it before
 *        vmhi_ovf_package_adapt() and defining, as many times as needed.
 * @param pkg The package.
 * @param from A network as the package's NICs name it (vmhi_nic_get_network()
 *        of a VM of the package), or NULL for every NIC of every VM.
 * @param to The target network, under the rules of vmhi_nic_set_network()
 *        ("default", "bridge:xenbr0", "user", "VM Network"...).
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (NULL @p pkg, @p from empty, @p to
 *         NULL, empty, too long or not valid text); #VMHI_E_NOT_FOUND (no
 *         NIC is on @p from, or the package has no NIC; the message names
 *         the networks its NICs are on); #VMHI_E_NOMEM.  On error the
 *         package is unchanged.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_map_network(vmhi_ovf_package *pkg, const char *from,
                                             const char *to);
/** @brief The @p from of vmhi_ovf_package_map_value() that matches every
 *         device.  @since 1.1 */
#define VMHI_OVF_ANY_VALUE (-1)
/**
 * @brief Replaces a device value the caller chooses, where
 *        vmhi_ovf_package_adapt() would keep it because the target
 *        accepts it: IDE disks put on SCSI for ESX, e1000 NICs made
 *        virtio for KVM.  Every device changed adds a
 *        #VMHI_OVF_REPORT_ADAPTED line.  Call it before
 *        vmhi_ovf_package_adapt(), which still replaces a value the
 *        target refuses (the mapped one included).
 * @param pkg The package.
 * @param kind #VMHI_VALUE_DISK_BUS (@p from and @p to are
 *        #vmhi_disk_bus values; a disk that changes bus loses its target
 *        name, which named a device of the old bus) or
 *        #VMHI_VALUE_NIC_MODEL (#vmhi_nic_model values).
 * @param from The value to replace, or #VMHI_OVF_ANY_VALUE for every
 *        disk (NIC) not on @p to already.
 * @param to The new value.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (NULL @p pkg, another @p kind, a
 *         value out of range, @p from equal to @p to); #VMHI_E_NOT_FOUND
 *         (no disk or NIC has @p from, or the package has none; the
 *         message names the values there are); #VMHI_E_NOMEM.  On error
 *         the package is unchanged.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_map_value(vmhi_ovf_package *pkg, vmhi_value_kind kind,
                                           int from, int to);
/**
 * @brief Number of report lines.
 * @param pkg The package.
 * @return The count, 0 for NULL.
 * @since 1.1
 */
VMHI_EXTERN size_t vmhi_ovf_package_get_report_count(const vmhi_ovf_package *pkg);
/**
 * @brief Reads report line @p index (lines are in the order found).
 * @param pkg The package.  @param index 0-based.
 * @param[out] kind The #vmhi_ovf_report_kind (may be NULL).
 * @param[out] line Line of the descriptor it concerns, 0 when none (may be NULL).
 * @param[out] vm Index of the VM it concerns, or (size_t)-1 for the
 *        envelope (may be NULL).
 * @param[out] message What was not honoured or changed, and why; owned by
 *        the package (may be NULL).
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG when out of range.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_get_report(const vmhi_ovf_package *pkg, size_t index,
                                            vmhi_ovf_report_kind *kind, unsigned *line,
                                            size_t *vm, const char **message);
/**
 * @brief Writes a VM description as an OVF 2.0 envelope.  Values OVF has
 *        no element for (UUID, maxima, firmware, guest type, kernel boot,
 *        boot order, disk targets and read-only flags, metadata) go into a
 *        `vmhi:VmhiSection` (namespace `urn:vmhi:ovf:1`, not required) and
 *        extension attributes, so that vmhi_ovf_package_parse() restores
 *        them; entries of namespace `org.vmhi.ovf` are written back as the
 *        OVF sections they were read from.
 * @param cfg A valid config.
 * @param[out] xml NUL-terminated document; free with vmhi_free().
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG (NULL, invalid config, an
 *         `org.vmhi.ovf` entry that is not well-formed); #VMHI_E_NOMEM.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_export(const vmhi_vm_config *cfg, char **xml);
/**
 * @brief Writes a VM description to @p path: an OVF 2.0 descriptor when the
 *        name ends in `.ovf`, an `.ova` when it ends in `.ova`: a ustar
 *        archive of the descriptor, a manifest (`.mf`, SHA-256) and every
 *        disk image that exists, converted by `qemu-img` to a
 *        streamOptimized vmdk.  A disk whose image exists gets its virtual
 *        size as its capacity (`qemu-img info`).  The file is created with
 *        mode 0600 and must not exist; on failure nothing is left behind.
 * @param cfg A valid config.  @param path The file.
 * @return As vmhi_ovf_export(); #VMHI_E_INVALID_ARG for another suffix;
 *         #VMHI_E_EXISTS when the file exists; #VMHI_E_IO;
 *         #VMHI_E_NOT_FOUND when an `.ova` needs qemu-img and it is not
 *         installed; #VMHI_E_BACKEND when qemu-img fails (its message
 *         included).
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_export_file(const vmhi_vm_config *cfg, const char *path);
/**
 * @brief vmhi_ovf_export_file() with progress: for an `.ova`, @p progress
 *        is called with "converting F" (qemu-img's own percentage),
 *        "hashing F" and "writing F" (bytes of the converted image F), each
 *        from 0 to 100 with no percentage twice; a `.ovf` has no images
 *        to carry and reports nothing.  There is no cancellation: the call
 *        returns when the file is written or has failed.
 * @param cfg A valid config.  @param path The file.
 * @param progress Called as above, on the calling thread; may be NULL.
 * @param userdata Passed to @p progress.
 * @return As vmhi_ovf_export_file().
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_export_file_progress(const vmhi_vm_config *cfg, const char *path,
                                              vmhi_progress_cb progress, void *userdata);
/**
 * @brief Name of a report kind ("unhonoured", "converted", "adapted").
 * @param kind A #vmhi_ovf_report_kind.
 * @return A static string, or NULL if unknown.
 * @since 1.1
 */
VMHI_EXTERN const char *vmhi_ovf_report_kind_name(vmhi_ovf_report_kind kind);

/**
 * @brief Puts the disk images of the package in place for @p conn.  Each
 *        disk whose path is the disk directory joined with a File href
 *        gets that file: from the `.ova`, else from beside the `.ovf`,
 *        else the one already in the disk directory.  With a manifest, the
 *        file must be listed and its digest (SHA-1 or SHA-256) must match.
 *        The image is then read with its declared format (never probed;
 *        one that names another file, such as a qcow2 backing file or a
 *        vmdk extent elsewhere, is refused) and written into the disk
 *        directory (created if missing) by `qemu-img convert`: in its own
 *        format when vmhi_conn_get_value_caps() reports it, else as the
 *        first reported of qcow2, vmdk (monolithicSparse) and raw.  A
 *        streamOptimized vmdk is always converted.  The disk's path and
 *        format then name the new file, and a #VMHI_OVF_REPORT_CONVERTED
 *        line says so; an image already in place in an accepted format is
 *        used as it is.  No existing file is ever replaced.  Call it
 *        before vmhi_ovf_package_adapt().  Nothing is defined.
 * @param pkg The package (from vmhi_ovf_package_open(), or from
 *        vmhi_ovf_package_parse() with a disk_dir).
 * @param conn The target connection (for its accepted disk formats).
 * @param progress Called with an operation ("extracting F", "checking F",
 *        "converting F") and a percentage; may be NULL.
 * @param userdata Passed to @p progress.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_IO (a digest mismatch,
 *         a file the manifest does not list, a read or write error);
 *         #VMHI_E_NOT_FOUND (an image that is nowhere, or qemu-img not
 *         installed); #VMHI_E_EXISTS (a file to write exists);
 *         #VMHI_E_UNSUPPORTED (an image naming another file, no accepted
 *         format); #VMHI_E_BACKEND (qemu-img failed: its message is
 *         included); #VMHI_E_NOMEM.  On error the package is unchanged and
 *         every file the call wrote is removed.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_import_disks(vmhi_ovf_package *pkg, vmhi_conn *conn,
                                              vmhi_progress_cb progress, void *userdata);

/**
 * @brief Removes the image files vmhi_ovf_package_import_disks() wrote for
 *        @p pkg, for an import that cannot go on (adaptation or a define
 *        failed): a file that was in the disk directory before is never
 *        removed.  The package's descriptions still name the removed
 *        files; a later vmhi_ovf_package_import_disks() has nothing to
 *        remove and writes none (the descriptions no longer name a File
 *        href), so open the package again to retry.
 * @param pkg The package.
 * @return #VMHI_OK (also when there was nothing to remove, or a file was
 *         already gone); #VMHI_E_INVALID_ARG for a NULL @p pkg; the first
 *         #VMHI_E_IO or #VMHI_E_PERMISSION of a file that could not be
 *         removed (the others are removed all the same).  Either way the
 *         package forgets every file.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_package_discard_disks(vmhi_ovf_package *pkg);

/**
 * @brief The report kind named @p name (the reverse of
 *        vmhi_ovf_report_kind_name()).  Valid at any time; needs no
 *        connection or package.
 * @param name "unhonoured", "converted" or "adapted" (case-sensitive).
 * @param[out] out The kind; unchanged on error.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG for a NULL @p name or @p out or
 *         an unknown name.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_report_kind_from_name(const char *name, vmhi_ovf_report_kind *out);

/**
 * @brief The name of an import flag: "strict".  Valid at any time.
 * @param flag One bit of #VMHI_OVF_FLAG_ALL_1_1.
 * @return A static string, or NULL for any other value (0, several bits,
 *         an unknown bit).
 * @since 1.1
 */
VMHI_EXTERN const char *vmhi_ovf_flag_name(vmhi_ovf_flag flag);

/**
 * @brief The import flag named @p name (the reverse of
 *        vmhi_ovf_flag_name()).  Valid at any time.
 * @param name "strict" (case-sensitive).
 * @param[out] out The flag; unchanged on error.
 * @return #VMHI_OK, or #VMHI_E_INVALID_ARG for a NULL @p name or @p out or
 *         an unknown name.
 * @since 1.1
 */
VMHI_EXTERN int vmhi_ovf_flag_from_name(const char *name, vmhi_ovf_flag *out);

VMHI_END_DECLS

#endif /* VMHI_OVF_H */
