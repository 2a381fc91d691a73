/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/common.h
 * @brief Export macro, version macros and small shared types.
 */
#ifndef VMHI_COMMON_H
#define VMHI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VMHI_BEGIN_DECLS extern "C" {
#define VMHI_END_DECLS }
#else
/** @brief Opens a block of declarations with C linkage (empty in C). */
#define VMHI_BEGIN_DECLS
/** @brief Closes a block opened with #VMHI_BEGIN_DECLS (empty in C). */
#define VMHI_END_DECLS
#endif

/** @brief Marks a declaration as part of the exported ABI. */
#if defined(__GNUC__) || defined(__clang__)
#define VMHI_EXTERN extern __attribute__((visibility("default")))
#else
#define VMHI_EXTERN extern
#endif

/** @brief Major version of the headers being compiled against. */
#define VMHI_VERSION_MAJOR 1
/** @brief Minor version of the headers being compiled against. */
#define VMHI_VERSION_MINOR 0
/** @brief Patch version of the headers being compiled against. */
#define VMHI_VERSION_PATCH 0
/** @brief Version as one comparable number: major * 1000000 + minor * 1000 + patch. */
#define VMHI_VERSION_NUMBER \
    (VMHI_VERSION_MAJOR * 1000000UL + VMHI_VERSION_MINOR * 1000UL + VMHI_VERSION_PATCH)
/** @brief Version as a string. */
#define VMHI_VERSION_STRING "1.0.0"

/** @brief Longest VM name in bytes, excluding the terminating NUL. */
#define VMHI_NAME_MAX 255
/** @brief Length of a UUID in canonical text form (8-4-4-4-12), excluding the NUL. */
#define VMHI_UUID_STRLEN 36
/** @brief Longest device id in bytes, excluding the terminating NUL. */
#define VMHI_DEVICE_ID_MAX 63

VMHI_BEGIN_DECLS

/** @brief A connection to one hypervisor. Opaque. */
typedef struct vmhi_conn vmhi_conn;
/** @brief A handle to one virtual machine on a connection. Opaque. */
typedef struct vmhi_vm vmhi_vm;
/** @brief A virtual machine description. Opaque. */
typedef struct vmhi_vm_config vmhi_vm_config;
/** @brief A disk description. Opaque. */
typedef struct vmhi_disk vmhi_disk;
/** @brief A network interface description. Opaque. */
typedef struct vmhi_nic vmhi_nic;

/**
 * @brief Where a change applies.
 *
 * Passed as flags to calls that can change a running VM, its persistent
 * definition, or both.  #VMHI_AFFECT_CURRENT means "live if the VM is
 * active, config otherwise".
 * @since 1.0
 */
typedef enum vmhi_affect {
    VMHI_AFFECT_CURRENT = 0,      /**< Live when active, config when inactive. */
    VMHI_AFFECT_LIVE = 1u << 0,   /**< The running VM. */
    VMHI_AFFECT_CONFIG = 1u << 1  /**< The persistent definition. */
} vmhi_affect;

/**
 * @brief Runtime version of the library as #VMHI_VERSION_NUMBER encodes it.
 * @return The version number of the loaded libvmhi.
 * @since 1.0
 */
VMHI_EXTERN unsigned long vmhi_version(void);

/**
 * @brief Runtime version of the library as a string such as "1.0.0".
 * @return A static string; never NULL.
 * @since 1.0
 */
VMHI_EXTERN const char *vmhi_version_string(void);

/**
 * @brief Frees memory the library returned to the caller (strings from
 *        the serializers, for example).  Accepts NULL.
 * @param ptr Memory returned by a VMHI call documented as "free with vmhi_free".
 * @since 1.0
 */
VMHI_EXTERN void vmhi_free(void *ptr);

VMHI_END_DECLS

#endif /* VMHI_COMMON_H */
