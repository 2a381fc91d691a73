/*
 * The core services the KVM unit tests give the module's layers when they
 * are linked without libvmhi: errors only return their code, logging is
 * silent, memory is malloc's.  Add kvm_stub_core_setup as a checked
 * fixture.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_KVM_STUB_CORE_H
#define VMHI_KVM_STUB_CORE_H

#include <stdlib.h>

#include "kvm.h"

static int stub_set_error(int code, const char *native, const char *fmt, ...)
{
    (void)native;
    (void)fmt;
    return code;
}

static int stub_set_error_v(int code, const char *native, const char *fmt, va_list ap)
{
    (void)native;
    (void)fmt;
    (void)ap;
    return code;
}

/* No last error to keep: a save is nothing, a restore is "out of memory". */
static vmhi_saved_error *stub_error_save(void)
{
    return NULL;
}

static int stub_error_restore(vmhi_saved_error *saved)
{
    (void)saved;
    return VMHI_E_NOMEM;
}

static void stub_error_discard(vmhi_saved_error *saved)
{
    (void)saved;
}

static void stub_log(vmhi_conn *conn, int level, const char *fmt, ...)
{
    (void)conn;
    (void)level;
    (void)fmt;
}

static const vmhi_core_services stub_core = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_core_services),
    .set_error = stub_set_error,
    .log = stub_log,
    .alloc = malloc,
    .dealloc = free,
    .set_error_v = stub_set_error_v,
    .error_save = stub_error_save,
    .error_restore = stub_error_restore,
    .error_discard = stub_error_discard,
};

static void kvm_stub_core_setup(void)
{
    kvm_core = &stub_core;
}

#endif
