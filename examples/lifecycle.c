/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The smallest useful VMHI program: define a VM, start it, read its
 * state, power it off and remove it.  It uses only <vmhi/vmhi.h> and is
 * built out of tree against an installed VMHI to check the packaging.
 *
 *   vmhi-example-lifecycle [URI]      (default test:///default)
 */
#include <stdio.h>

#include <vmhi/vmhi.h>

static int report(const char *what, int rc)
{
    fprintf(stderr, "%s failed: %s (%s)\n", what, vmhi_error_last_message(), vmhi_strerror(rc));
    return 1;
}

static int build_config(vmhi_vm_config **cfg)
{
    int rc = vmhi_vm_config_new(cfg);

    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_name(*cfg, "lifecycle-example");
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_max_memory_mib(*cfg, 1024);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_set_memory_mib(*cfg, 1024);
    return rc;
}

static int run(vmhi_conn *conn)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_vm *vm = NULL;
    vmhi_vm_state state;
    int rc, status = 0;

    if ((rc = build_config(&cfg)) != VMHI_OK)
        status = report("building the config", rc);
    else if ((rc = vmhi_vm_define(&vm, conn, cfg, 0)) != VMHI_OK)
        status = report("define", rc);
    else if ((rc = vmhi_vm_start(vm, 0)) != VMHI_OK)
        status = report("start", rc);
    else if ((rc = vmhi_vm_get_state(vm, &state, NULL)) != VMHI_OK)
        status = report("get state", rc);
    else {
        printf("%s (%s) is %s\n", vmhi_vm_get_name(vm), vmhi_vm_get_uuid(vm),
               vmhi_vm_state_name(state));
        if ((rc = vmhi_vm_poweroff(vm, 0)) != VMHI_OK)
            status = report("poweroff", rc);
        else if ((rc = vmhi_vm_undefine(vm, 0)) != VMHI_OK)
            status = report("undefine", rc);
    }
    vmhi_vm_free(vm);
    vmhi_vm_config_free(cfg);
    return status;
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    vmhi_conn *conn = NULL;
    int rc = vmhi_conn_open(&conn, uri, NULL);
    int status;

    printf("libvmhi %s (built against %s)\n", vmhi_version_string(), VMHI_VERSION_STRING);
    if (rc != VMHI_OK)
        return report("connect", rc);
    status = run(conn);
    vmhi_conn_close(conn);
    if (status == 0)
        printf("ok\n");
    return status;
}
