/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Proves that a module installed outside the library's own module
 * directory is picked up from VMHI_BACKEND_PATH.
 *
 *   oot_list <module-dir>   sets VMHI_BACKEND_PATH=<module-dir>, opens
 *                           oot:/// and checks the one VM it serves;
 *   oot_list --absent       without the variable: oot:/// must fail with
 *                           VMHI_E_NO_BACKEND.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */

#include <vmhi/vmhi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "FAIL %s: %s (%d): %s\n", what, vmhi_strerror(rc), rc,
            vmhi_error_last_message() ? vmhi_error_last_message() : "(no message)");
    return 0;
}

static int expect_absent(void)
{
    vmhi_conn *conn = NULL;
    int rc = vmhi_conn_open(&conn, "oot:///", NULL);

    vmhi_conn_close(conn);
    if (rc != VMHI_E_NO_BACKEND) {
        fprintf(stderr, "FAIL without VMHI_BACKEND_PATH, oot:/// gave %d, expected %d\n", rc,
                VMHI_E_NO_BACKEND);
        return 0;
    }
    printf("ok   without VMHI_BACKEND_PATH: %s\n", vmhi_error_last_message());
    return 1;
}

/* Exactly one VM, named oot-vm and running, reachable by list and lookup. */
static int check_vm(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    vmhi_vm *vm = NULL;
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    size_t count = 0;
    int rc, ok = 0;

    if ((rc = vmhi_conn_list_vms(conn, 0, &vms, &count)) != VMHI_OK)
        return fail("vmhi_conn_list_vms", rc);
    if (count != 1 || strcmp(vmhi_vm_get_name(vms[0]), "oot-vm") != 0) {
        fprintf(stderr, "FAIL list: %zu VMs, first '%s'; expected just oot-vm\n", count,
                count ? vmhi_vm_get_name(vms[0]) : "");
    } else if ((rc = vmhi_vm_lookup_by_name(&vm, conn, "oot-vm")) != VMHI_OK) {
        fail("vmhi_vm_lookup_by_name", rc);
    } else if ((rc = vmhi_vm_get_info(vm, &info)) != VMHI_OK) {
        fail("vmhi_vm_get_info", rc);
    } else if (info.state != VMHI_STATE_RUNNING || info.memory_mib != 128) {
        fprintf(stderr, "FAIL info: state %d memory %llu\n", (int)info.state,
                (unsigned long long)info.memory_mib);
    } else if ((rc = vmhi_vm_start(vm, 0)) != VMHI_E_UNSUPPORTED) {
        fprintf(stderr, "FAIL start on a backend without the slot gave %d, expected %d\n", rc,
                VMHI_E_UNSUPPORTED);
    } else {
        printf("ok   oot:/// lists %s (%s), running, %llu MiB; start is unsupported\n",
               vmhi_vm_get_name(vm), vmhi_vm_get_uuid(vm), (unsigned long long)info.memory_mib);
        ok = 1;
    }
    vmhi_vm_free(vm);
    vmhi_vm_list_free(vms, count);
    return ok;
}

static int expect_served(const char *module_dir)
{
    vmhi_conn *conn = NULL;
    int rc, ok;

    if (setenv("VMHI_BACKEND_PATH", module_dir, 1) != 0) {
        perror("setenv");
        return 0;
    }
    if ((rc = vmhi_conn_open(&conn, "oot:///", NULL)) != VMHI_OK)
        return fail("vmhi_conn_open(oot:///)", rc);
    ok = strcmp(vmhi_conn_get_backend(conn), "oot") == 0;
    if (!ok)
        fprintf(stderr, "FAIL backend is '%s', expected 'oot'\n", vmhi_conn_get_backend(conn));
    ok = ok && check_vm(conn);
    vmhi_conn_close(conn);
    return ok;
}

int main(int argc, char **argv)
{
    int ok;

    if (argc != 2) {
        fprintf(stderr, "usage: oot_list <module-dir> | --absent\n");
        return 2;
    }
    if (strcmp(argv[1], "--absent") == 0) {
        unsetenv("VMHI_BACKEND_PATH");
        ok = expect_absent();
    } else {
        ok = expect_served(argv[1]);
    }
    printf("%s\n", ok ? "PASS oot" : "FAIL oot");
    return ok ? 0 : 1;
}
