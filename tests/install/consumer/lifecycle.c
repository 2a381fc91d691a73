/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * An application that knows VMHI only through what `make install` put in
 * place: <vmhi/vmhi.h> and libvmhi.so.1, found with pkg-config or the CMake
 * package.  It drives one VM through its whole lifecycle on the in-memory
 * test backend and checks every return code and every state on the way.
 *
 *   lifecycle [uri]        (default test:///default)
 * Exit status: 0 when every step behaved as the API documents, 1 otherwise.
 */
#include <vmhi/vmhi.h>

#include <stdio.h>
#include <string.h>

static const char VM_NAME[] = "consumer-lifecycle";

/* Reports a failed call with the library's own explanation. */
static int failed(const char *step, int rc)
{
    fprintf(stderr, "FAIL %s: %s (%d): %s\n", step, vmhi_strerror(rc), rc,
            vmhi_error_last_message() ? vmhi_error_last_message() : "(no message)");
    return 0;
}

static int step_ok(const char *step, int rc)
{
    if (rc != VMHI_OK)
        return failed(step, rc);
    printf("ok   %s\n", step);
    return 1;
}

/* The VM must now be in @want; both get_state() and get_info() must agree. */
static int state_is(vmhi_vm *vm, vmhi_vm_state want, const char *after)
{
    vmhi_vm_state state = 0;
    vmhi_state_reason reason = VMHI_REASON_UNKNOWN;
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    int rc = vmhi_vm_get_state(vm, &state, &reason);

    if (rc != VMHI_OK)
        return failed("get_state", rc);
    rc = vmhi_vm_get_info(vm, &info);
    if (rc != VMHI_OK)
        return failed("get_info", rc);
    if (state != want || info.state != want) {
        fprintf(stderr, "FAIL after %s: state %s (info says %s), expected %s\n", after,
                vmhi_vm_state_name(state), vmhi_vm_state_name(info.state),
                vmhi_vm_state_name(want));
        return 0;
    }
    printf("ok   after %-9s state %s (reason %s)\n", after, vmhi_vm_state_name(state),
           vmhi_state_reason_name(reason));
    return 1;
}

static int define_vm(vmhi_conn *conn, vmhi_vm **vm)
{
    vmhi_vm_config *cfg = NULL;
    int ok = step_ok("vmhi_vm_config_new", vmhi_vm_config_new(&cfg)) &&
             step_ok("vmhi_vm_config_set_name", vmhi_vm_config_set_name(cfg, VM_NAME)) &&
             step_ok("vmhi_vm_config_set_max_vcpus", vmhi_vm_config_set_max_vcpus(cfg, 2)) &&
             step_ok("vmhi_vm_config_set_vcpus", vmhi_vm_config_set_vcpus(cfg, 2)) &&
             step_ok("vmhi_vm_config_set_max_memory_mib",
                     vmhi_vm_config_set_max_memory_mib(cfg, 256)) &&
             step_ok("vmhi_vm_config_set_memory_mib", vmhi_vm_config_set_memory_mib(cfg, 256)) &&
             step_ok("vmhi_vm_define", vmhi_vm_define(vm, conn, cfg, 0));

    vmhi_vm_config_free(cfg);
    return ok;
}

/* define, start, pause, resume, poweroff, undefine - each checked. */
static int run_lifecycle(vmhi_conn *conn)
{
    vmhi_vm *vm = NULL;
    vmhi_vm *gone = NULL;
    int ok = define_vm(conn, &vm) &&
             state_is(vm, VMHI_STATE_SHUTOFF, "define") &&
             step_ok("vmhi_vm_start", vmhi_vm_start(vm, 0)) &&
             state_is(vm, VMHI_STATE_RUNNING, "start") &&
             step_ok("vmhi_vm_pause", vmhi_vm_pause(vm, 0)) &&
             state_is(vm, VMHI_STATE_PAUSED, "pause") &&
             step_ok("vmhi_vm_resume", vmhi_vm_resume(vm, 0)) &&
             state_is(vm, VMHI_STATE_RUNNING, "resume") &&
             step_ok("vmhi_vm_poweroff", vmhi_vm_poweroff(vm, 0)) &&
             state_is(vm, VMHI_STATE_SHUTOFF, "poweroff") &&
             step_ok("vmhi_vm_undefine", vmhi_vm_undefine(vm, 0));

    if (ok) {
        int rc = vmhi_vm_lookup_by_name(&gone, conn, VM_NAME);
        if (rc != VMHI_E_NO_VM) {
            fprintf(stderr, "FAIL lookup after undefine returned %d, expected VMHI_E_NO_VM\n", rc);
            ok = 0;
        } else {
            printf("ok   lookup after undefine: %s\n", vmhi_strerror(rc));
        }
    }
    vmhi_vm_free(gone);
    vmhi_vm_free(vm);
    return ok;
}

/* The library loaded at run time must match the headers compiled against. */
static int versions_match(void)
{
    if (vmhi_version() / 1000000UL != VMHI_VERSION_MAJOR) {
        fprintf(stderr, "FAIL runtime library %s, headers %s\n", vmhi_version_string(),
                VMHI_VERSION_STRING);
        return 0;
    }
    printf("ok   libvmhi %s (headers %s)\n", vmhi_version_string(), VMHI_VERSION_STRING);
    return 1;
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    vmhi_conn *conn = NULL;
    int ok = versions_match() && step_ok("vmhi_conn_open", vmhi_conn_open(&conn, uri, NULL));

    if (ok && strcmp(vmhi_conn_get_backend(conn), "test") != 0) {
        fprintf(stderr, "FAIL backend is %s, expected test\n", vmhi_conn_get_backend(conn));
        ok = 0;
    }
    ok = ok && run_lifecycle(conn);
    vmhi_conn_close(conn);
    printf("%s\n", ok ? "PASS lifecycle" : "FAIL lifecycle");
    return ok ? 0 : 1;
}
