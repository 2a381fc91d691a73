/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Building VMs and devices for one value of one vmhi_value_kind (the
 * per-value capability tests and the round-trip tests), and the
 * requirements they check.
 */
#ifndef VMHI_CONF_VALUES_H
#define VMHI_CONF_VALUES_H

#include "conf.h"

/* The requirements these tests check (spec sections 5.1 and 9), named once. */
#define REQ_VALUE_ACCEPTED "CAP-4"    /* a declared value is never refused as unsupported */
#define REQ_VALUE_REFUSED "CAP-12"    /* an undeclared one fails unsupported, changes nothing */
#define REQ_VALUE_DEFAULTS "CAP-10"   /* the caps hold 1.0 values only, DEFAULTs always */
#define REQ_VALUE_KEPT "CFG-1"        /* a concrete value comes back as defined */
#define REQ_GUEST_KEPT "CFG-10"       /* guest type, kernel, initrd, command line likewise */
#define REQ_DEFAULT_RESOLVED "CFG-12" /* a DEFAULT bus or model comes back concrete, declared */
#define REQ_TARGET_KEPT "CFG-13"      /* a disk target comes back as defined */
#define REQ_METADATA_KEPT "CFG-18"    /* every metadata entry comes back, across redefines */
#define REQ_METADATA_FOREIGN "CFG-19" /* foreign namespaces untouched by the backend */
#define REQ_VIEWS "CFG-15"            /* get_config LIVE / CONFIG forms */
#define REQ_SHUTDOWN_METHOD "LC-SHUTDOWN-8" /* a shutdown request with any declared method */

const char *conf_value_text(vmhi_value_kind kind, unsigned int value);
/* Whether @kind describes a disk / a NIC. */
bool conf_value_disk_kind(vmhi_value_kind kind);
bool conf_value_nic_kind(vmhi_value_kind kind);

/* A disk "conf-v0" / NIC "conf-v1" / minimal description with @value for
 * @kind and, for every other kind, the lowest value the connection
 * declares; the description has the device when @kind is a device kind,
 * a kernel when the boot method or guest type needs one. */
vmhi_disk *conf_value_disk(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value);
vmhi_nic *conf_value_nic(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value);
vmhi_vm_config *conf_value_config(vmhi_conn *conn, vmhi_value_kind kind, unsigned int value);

/* Asserts that @cfg (read back from a VM defined with conf_value_config())
 * reports @given for @kind, or for a DEFAULT the backend's declared choice
 * (never DEFAULT for a bus or model). */
void conf_check_value_read_back(vmhi_conn *conn, const vmhi_vm_config *cfg,
                                vmhi_value_kind kind, unsigned int given);

#endif /* VMHI_CONF_VALUES_H */
