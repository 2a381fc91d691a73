/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Looks at the ops table a backend module exports, the way the core's
 * loader does, and checks what the porting tests need to know about it:
 *
 *   inspect_table MODULE.so current   struct_size == sizeof(vmhi_backend_ops)
 *   inspect_table MODULE.so 1.0       struct_size == VMHI_BACKEND_OPS_SIZE_1_0,
 *                                     and the byte after the table is the
 *                                     skeleton's poison (0xA5), so the
 *                                     module really ends its table there
 *
 * Both modes also check the table's ABI version and that the module claims
 * exactly the Core profile.  Built against the installed SDK only.
 * Prints what it found; exits 0 when every check holds, 1 otherwise.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vmhi/backend.h>

static int fake_set_error(int code, const char *native, const char *fmt, ...)
{
    (void)native;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "module reported: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static void fake_emit(vmhi_conn *conn, const vmhi_backend_event *ev)
{
    (void)conn;
    (void)ev;
}

static const vmhi_core_services services = {
    .abi_version = VMHI_BACKEND_ABI_VERSION,
    .struct_size = sizeof(vmhi_core_services),
    .set_error = fake_set_error,
    .emit_event = fake_emit,
};

static int check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
    return ok ? 0 : 1;
}

static int inspect(const vmhi_backend_ops *ops, int want_1_0)
{
    int failures = 0;
    printf("abi_version 0x%08x, struct_size %u (this SDK: sizeof %zu, 1.0 size %zu), "
           "profiles 0x%x\n", (unsigned)ops->abi_version, (unsigned)ops->struct_size,
           sizeof(vmhi_backend_ops), (size_t)VMHI_BACKEND_OPS_SIZE_1_0,
           (unsigned)ops->profiles);
    failures += check(ops->abi_version >> 16 == VMHI_BACKEND_ABI_MAJOR, "ABI major is ours");
    failures += check(ops->profiles == VMHI_PROFILE_CORE, "claims exactly the Core profile");
    if (want_1_0) {
        failures += check(ops->struct_size == VMHI_BACKEND_OPS_SIZE_1_0,
                          "struct_size is VMHI_BACKEND_OPS_SIZE_1_0");
        const unsigned char *after = (const unsigned char *)ops + ops->struct_size;
        failures += check(*after == 0xA5, "poison follows the 1.0 table");
    } else {
        failures += check(ops->struct_size == sizeof(vmhi_backend_ops),
                          "struct_size is sizeof(vmhi_backend_ops)");
    }
    return failures;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "current") != 0 && strcmp(argv[2], "1.0") != 0)) {
        fprintf(stderr, "usage: inspect_table MODULE.so current|1.0\n");
        return 2;
    }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "FAIL: dlopen: %s\n", dlerror());
        return 1;
    }
    vmhi_backend_entry_fn entry;
    void *sym = dlsym(handle, VMHI_BACKEND_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof(entry)); /* object to function pointer, portably */
    const vmhi_backend_ops *ops = NULL;
    int failures = check(sym != NULL, "exports " VMHI_BACKEND_ENTRY_SYMBOL);
    if (sym) {
        int rc = entry(&services, &ops);
        failures += check(rc == 0 && ops != NULL, "entry accepts the 1.0 services table");
    }
    if (ops)
        failures += inspect(ops, strcmp(argv[2], "1.0") == 0);
    dlclose(handle);
    return failures ? 1 : 0;
}
