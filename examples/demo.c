/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi-demo: a narrated management session with the public API.
 *
 *   vmhi-demo [URI]        (default test:///default)
 *
 * Connects, shows the host and what it can do, builds a VM description
 * in code, defines and starts the VM, watches its events while changing
 * memory and vCPUs, hot-plugs and unplugs a disk, pauses, shuts down and
 * removes it.  Every step says what it does; the first failure prints the
 * VMHI error and ends the demo with exit status 1.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmhi/vmhi.h>

#define DEMO_VM_NAME "vmhi-demo-vm"
#define DEMO_WAIT_MS 10000

/* What the event callback has seen, for the steps that wait on events. */
typedef struct demo {
    vmhi_conn *conn;
    vmhi_vm *vm;
    vmhi_vm_config *cfg;
    int sub_id;
    int event_fd;
    int step;
    vmhi_vm_state last_state;
    char removed_device[VMHI_DEVICE_ID_MAX + 1];
} demo;

/* ------------------------------------------------------------ narration */

static void demo_step(demo *d, const char *what)
{
    printf("\n[%d] %s\n", ++d->step, what);
}

/* Reports a failed call with everything VMHI knows about it. */
static int demo_fail(const char *what, int rc)
{
    const char *native = vmhi_error_last_native();

    fprintf(stderr, "\nFAILED: %s: %s (%s)", what, vmhi_error_last_message(), vmhi_strerror(rc));
    if (native)
        fprintf(stderr, " [native: %s]", native);
    fputc('\n', stderr);
    return rc;
}

#define DEMO_CHECK(call, what)                 \
    do {                                       \
        int demo_rc_ = (call);                 \
        if (demo_rc_ < 0)                      \
            return demo_fail((what), demo_rc_); \
    } while (0)

static const char *demo_str(const char *s)
{
    return s ? s : "?";
}

/* --------------------------------------------------------------- events */

static void demo_on_event(vmhi_conn *conn, const vmhi_event *ev, void *userdata)
{
    demo *d = userdata;
    vmhi_event_type type = vmhi_event_get_type(ev);

    (void)conn;
    printf("      event #%llu %-14s %s", (unsigned long long)vmhi_event_get_seq(ev),
           demo_str(vmhi_event_type_name(type)), demo_str(vmhi_event_get_vm_name(ev)));
    switch (type) {
    case VMHI_EVENT_LIFECYCLE:
        d->last_state = vmhi_event_get_state(ev);
        printf(": %s (%s)", demo_str(vmhi_vm_state_name(d->last_state)),
               demo_str(vmhi_state_reason_name(vmhi_event_get_reason(ev))));
        break;
    case VMHI_EVENT_DEVICE_REMOVED:
        snprintf(d->removed_device, sizeof(d->removed_device), "%s",
                 demo_str(vmhi_event_get_device_id(ev)));
        /* fall through */
    case VMHI_EVENT_DEVICE_ADDED:
        printf(": device %s", demo_str(vmhi_event_get_device_id(ev)));
        break;
    case VMHI_EVENT_MEMORY:
        printf(": %llu MiB", (unsigned long long)vmhi_event_get_value(ev));
        break;
    case VMHI_EVENT_VCPU:
        printf(": %llu vCPUs", (unsigned long long)vmhi_event_get_value(ev));
        break;
    default:
        break;
    }
    putchar('\n');
}

/* Delivers events that arrive within @ms, in this thread. */
static int demo_pump(demo *d, int ms)
{
    struct pollfd pfd = { .fd = d->event_fd, .events = POLLIN, .revents = 0 };

    if (d->sub_id < 0)
        return 0;
    while (poll(&pfd, 1, ms) > 0) {
        int rc = vmhi_conn_dispatch_events(d->conn, 0);
        if (rc < 0)
            return rc;
        ms = 20; /* a little longer for stragglers of the same burst */
    }
    return 0;
}

static uint64_t demo_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Dispatches events until @done says so or the time runs out. */
static int demo_wait(demo *d, int (*done)(const demo *), const char *what)
{
    uint64_t deadline = demo_now_ms() + DEMO_WAIT_MS;

    while (!done(d)) {
        struct pollfd pfd = { .fd = d->event_fd, .events = POLLIN, .revents = 0 };
        uint64_t now = demo_now_ms();

        if (now >= deadline) {
            fprintf(stderr, "\nFAILED: %s did not happen within %d s\n", what, DEMO_WAIT_MS / 1000);
            return VMHI_E_TIMEOUT;
        }
        if (poll(&pfd, 1, (int)(deadline - now)) > 0) {
            int rc = vmhi_conn_dispatch_events(d->conn, 0);
            if (rc < 0)
                return demo_fail("dispatching events", rc);
        }
    }
    return 0;
}

/* ------------------------------------------------------ host and config */

static int demo_connect(demo *d, const char *uri)
{
    demo_step(d, "Connecting");
    printf("    vmhi_conn_open(\"%s\")\n", uri);
    DEMO_CHECK(vmhi_conn_open(&d->conn, uri, NULL), "connecting");
    printf("    connected to %s, served by the '%s' backend\n", vmhi_conn_get_uri(d->conn),
           vmhi_conn_get_backend(d->conn));
    return 0;
}

static int demo_show_profiles(demo *d)
{
    unsigned profiles = 0;

    DEMO_CHECK(vmhi_conn_get_profiles(d->conn, &profiles), "reading profiles");
    printf("    profiles:   ");
    for (unsigned bit = 1; bit && bit <= (1u << 15); bit <<= 1)
        if ((profiles & bit) && vmhi_profile_name(bit))
            printf("%s ", vmhi_profile_name(bit));
    putchar('\n');
    return 0;
}

static int demo_show_caps(demo *d)
{
    printf("    %-16s %-9s %-4s %-6s %s\n", "operation", "supported", "live", "config", "async");
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++) {
        unsigned caps = 0;

        DEMO_CHECK(vmhi_conn_get_op_caps(d->conn, (vmhi_op)op, &caps), "reading capabilities");
        printf("    %-16s %-9s %-4s %-6s %s\n", demo_str(vmhi_op_name((vmhi_op)op)),
               caps & VMHI_CAP_SUPPORTED ? "yes" : "no", caps & VMHI_CAP_LIVE ? "yes" : "-",
               caps & VMHI_CAP_CONFIG ? "yes" : "-", caps & VMHI_CAP_ASYNC ? "yes" : "-");
    }
    return 0;
}

static int demo_show_host(demo *d)
{
    vmhi_host_info host = VMHI_HOST_INFO_INIT;
    uint64_t max_vcpus = 0;

    demo_step(d, "Host information and capabilities");
    DEMO_CHECK(vmhi_conn_get_host_info(d->conn, &host), "reading host information");
    printf("    hypervisor: %s %s on %s (%s, %u CPUs, %llu MiB)\n", host.hypervisor,
           host.hypervisor_version, host.hostname, host.cpu_model, host.cpus,
           (unsigned long long)host.memory_mib);
    if (vmhi_conn_get_limit(d->conn, VMHI_LIMIT_MAX_VCPUS, &max_vcpus) == VMHI_OK)
        printf("    limits:     up to %llu vCPUs per VM\n", (unsigned long long)max_vcpus);
    if (demo_show_profiles(d) < 0)
        return -1;
    return demo_show_caps(d);
}

static int demo_add_devices(vmhi_vm_config *cfg)
{
    vmhi_disk *disk = NULL;
    vmhi_nic *nic = NULL;
    int rc = vmhi_disk_new(&disk);

    if (rc == VMHI_OK)
        rc = vmhi_disk_set_path(disk, "/var/lib/vmhi/" DEMO_VM_NAME "-root.qcow2");
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_format(disk, VMHI_DISK_FORMAT_QCOW2);
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_disk(cfg, disk);
    if (rc == VMHI_OK)
        rc = vmhi_nic_new(&nic);
    if (rc == VMHI_OK)
        rc = vmhi_nic_set_mac(nic, "52:54:00:de:00:01");
    if (rc == VMHI_OK)
        rc = vmhi_vm_config_add_nic(cfg, nic);
    vmhi_disk_free(disk);
    vmhi_nic_free(nic);
    return rc;
}

static int demo_build_config(demo *d)
{
    char *xml = NULL;

    demo_step(d, "Building a VM description in code");
    printf("    %s: 2 vCPUs (max 4), 1024 MiB (max 2048), a qcow2 disk, a virtio NIC\n",
           DEMO_VM_NAME);
    DEMO_CHECK(vmhi_vm_config_new(&d->cfg), "creating a config");
    DEMO_CHECK(vmhi_vm_config_set_name(d->cfg, DEMO_VM_NAME), "setting the name");
    DEMO_CHECK(vmhi_vm_config_set_max_vcpus(d->cfg, 4), "setting max vCPUs");
    DEMO_CHECK(vmhi_vm_config_set_vcpus(d->cfg, 2), "setting vCPUs");
    DEMO_CHECK(vmhi_vm_config_set_max_memory_mib(d->cfg, 2048), "setting max memory");
    DEMO_CHECK(vmhi_vm_config_set_memory_mib(d->cfg, 1024), "setting memory");
    DEMO_CHECK(demo_add_devices(d->cfg), "adding devices");
    DEMO_CHECK(vmhi_vm_config_validate(d->cfg), "validating the config");
    DEMO_CHECK(vmhi_vm_config_to_xml(d->cfg, &xml), "serializing to XML");
    printf("    As XML:\n\n%s", xml);
    vmhi_free(xml);
    return 0;
}

/* ----------------------------------------------------------- lifecycle */

static int demo_list(demo *d)
{
    vmhi_vm **vms = NULL;
    size_t count = 0;

    demo_step(d, "Listing VMs");
    DEMO_CHECK(vmhi_conn_list_vms(d->conn, 0, &vms, &count), "listing VMs");
    printf("    %-20s %-14s %s\n", "NAME", "STATE", "UUID");
    for (size_t i = 0; i < count; i++) {
        vmhi_vm_state state = VMHI_STATE_SHUTOFF;
        if (vmhi_vm_get_state(vms[i], &state, NULL) != VMHI_OK)
            continue;
        printf("    %-20s %-14s %s\n", vmhi_vm_get_name(vms[i]),
               demo_str(vmhi_vm_state_name(state)), vmhi_vm_get_uuid(vms[i]));
    }
    vmhi_vm_list_free(vms, count);
    return 0;
}

static int demo_info(demo *d)
{
    vmhi_vm_info info = VMHI_VM_INFO_INIT;

    demo_step(d, "Reading VM information");
    DEMO_CHECK(vmhi_vm_get_info(d->vm, &info), "reading VM information");
    printf("    state %s (%s), %u of %u vCPUs, %llu of %llu MiB, %s\n",
           demo_str(vmhi_vm_state_name(info.state)), demo_str(vmhi_state_reason_name(info.reason)),
           info.vcpus, info.max_vcpus, (unsigned long long)info.memory_mib,
           (unsigned long long)info.max_memory_mib, info.persistent ? "persistent" : "transient");
    return 0;
}

static int demo_subscribe(demo *d)
{
    demo_step(d, "Subscribing to the VM's events");
    DEMO_CHECK(vmhi_conn_subscribe(d->conn, VMHI_EVENT_ALL_1_0, vmhi_vm_get_uuid(d->vm),
                                   demo_on_event, d, NULL, &d->sub_id),
               "subscribing to events");
    DEMO_CHECK(vmhi_conn_get_event_fd(d->conn, &d->event_fd), "getting the event descriptor");
    printf("    events are dispatched in this thread when descriptor %d is readable\n",
           d->event_fd);
    return 0;
}

static int demo_resize(demo *d)
{
    demo_step(d, "Setting memory to 1536 MiB on the running VM (balloon)");
    DEMO_CHECK(vmhi_vm_set_memory(d->vm, 1536, VMHI_AFFECT_LIVE), "setting memory");
    demo_pump(d, 100);
    demo_step(d, "Setting vCPUs to 3 on the running VM (hot-plug)");
    DEMO_CHECK(vmhi_vm_set_vcpus(d->vm, 3, VMHI_AFFECT_LIVE), "setting vCPUs");
    return demo_pump(d, 100);
}

static int demo_attach(demo *d, char *id)
{
    vmhi_disk *disk = NULL;
    int rc;

    demo_step(d, "Hot-plugging a 512 MiB data disk");
    DEMO_CHECK(vmhi_disk_new(&disk), "creating a disk");
    rc = vmhi_disk_set_path(disk, "/var/lib/vmhi/" DEMO_VM_NAME "-data.raw");
    if (rc == VMHI_OK)
        rc = vmhi_disk_set_size_mib(disk, 512);
    if (rc == VMHI_OK)
        rc = vmhi_vm_attach_disk(d->vm, disk, VMHI_AFFECT_LIVE, id);
    vmhi_disk_free(disk);
    DEMO_CHECK(rc, "attaching the disk");
    printf("    attached as '%s'\n", id);
    return demo_pump(d, 100);
}

static int demo_pause_resume(demo *d)
{
    demo_step(d, "Pausing and resuming");
    DEMO_CHECK(vmhi_vm_pause(d->vm, 0), "pausing");
    demo_pump(d, 50);
    DEMO_CHECK(vmhi_vm_resume(d->vm, 0), "resuming");
    return demo_pump(d, 50);
}

static int demo_devices(demo *d)
{
    vmhi_device_list *list = NULL;

    demo_step(d, "Listing devices");
    DEMO_CHECK(vmhi_vm_list_devices(d->vm, &list), "listing devices");
    printf("    %-8s %-5s %-15s %s\n", "ID", "TYPE", "STATE", "PATH/MAC");
    for (size_t i = 0; i < vmhi_device_list_count(list); i++) {
        vmhi_device_info info = VMHI_DEVICE_INFO_INIT;
        if (vmhi_device_list_get(list, i, &info) != VMHI_OK)
            continue;
        printf("    %-8s %-5s %-15s %s\n", demo_str(info.id),
               info.type == VMHI_DEVICE_DISK ? "disk" : "nic",
               info.state == VMHI_DEVICE_DETACH_PENDING ? "detach-pending" : "present",
               demo_str(info.summary));
    }
    vmhi_device_list_free(list);
    return 0;
}

static int demo_device_gone(const demo *d)
{
    return d->removed_device[0] != '\0';
}

static int demo_detach(demo *d, const char *id)
{
    vmhi_completion completion = VMHI_COMPLETION_DONE;

    demo_step(d, "Unplugging the data disk");
    d->removed_device[0] = '\0';
    DEMO_CHECK(vmhi_vm_detach_disk(d->vm, id, VMHI_AFFECT_LIVE, &completion), "detaching");
    if (completion == VMHI_COMPLETION_DONE) {
        printf("    done at once\n");
        return demo_pump(d, 100);
    }
    printf("    pending: the guest has to release it; waiting for the device-removed event\n");
    DEMO_CHECK(demo_wait(d, demo_device_gone, "the device-removed event"), "waiting");
    printf("    done: '%s' is gone\n", d->removed_device);
    return 0;
}

static int demo_is_shut_off(const demo *d)
{
    return d->last_state == VMHI_STATE_SHUTOFF;
}

static int demo_shutdown(demo *d)
{
    vmhi_vm_state state = VMHI_STATE_RUNNING;

    demo_step(d, "Shutting down gracefully (ACPI power button)");
    d->last_state = VMHI_STATE_RUNNING;
    DEMO_CHECK(vmhi_vm_shutdown(d->vm, 0, 0), "requesting shutdown");
    DEMO_CHECK(vmhi_vm_get_state(d->vm, &state, NULL), "reading the state");
    if (state != VMHI_STATE_SHUTOFF) {
        printf("    requested; the VM is %s until the guest acts\n",
               demo_str(vmhi_vm_state_name(state)));
        DEMO_CHECK(demo_wait(d, demo_is_shut_off, "the shutoff event"), "waiting");
    }
    printf("    the VM is shut off\n");
    return 0;
}

/* -------------------------------------------------------------- session */

static int demo_run(demo *d, const char *uri)
{
    char disk_id[VMHI_DEVICE_ID_MAX + 1] = "";

    if (demo_connect(d, uri) < 0 || demo_show_host(d) < 0 || demo_build_config(d) < 0)
        return -1;
    demo_step(d, "Defining the VM");
    DEMO_CHECK(vmhi_vm_define(&d->vm, d->conn, d->cfg, 0), "defining the VM");
    printf("    defined %s with UUID %s\n", vmhi_vm_get_name(d->vm), vmhi_vm_get_uuid(d->vm));
    if (demo_list(d) < 0)
        return -1;
    demo_step(d, "Starting the VM");
    DEMO_CHECK(vmhi_vm_start(d->vm, 0), "starting the VM");
    if (demo_info(d) < 0 || demo_subscribe(d) < 0 || demo_resize(d) < 0 ||
        demo_attach(d, disk_id) < 0 || demo_pause_resume(d) < 0 || demo_devices(d) < 0 ||
        demo_detach(d, disk_id) < 0 || demo_shutdown(d) < 0)
        return -1;
    demo_step(d, "Undefining the VM");
    DEMO_CHECK(vmhi_vm_undefine(d->vm, 0), "undefining the VM");
    return demo_pump(d, 50);
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    demo d;
    int rc, failed_step;

    if (argc > 2 || (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
        fprintf(argc > 2 ? stderr : stdout, "Usage: vmhi-demo [URI]   (default test:///default)\n");
        return argc > 2 ? 2 : 0;
    }
    memset(&d, 0, sizeof(d));
    d.sub_id = -1;
    d.event_fd = -1;
    /* Lines appear in order even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("VMHI %s demo: a management session against %s\n", vmhi_version_string(), uri);
    rc = demo_run(&d, uri);
    failed_step = d.step;
    if (d.sub_id >= 0)
        vmhi_conn_unsubscribe(d.conn, d.sub_id);
    vmhi_vm_free(d.vm);
    vmhi_vm_config_free(d.cfg);
    if (d.conn) {
        demo_step(&d, "Closing the connection");
        vmhi_conn_close(d.conn);
    }
    if (rc < 0) {
        fprintf(stderr, "vmhi-demo: stopped at step %d\n", failed_step);
        return 1;
    }
    printf("\nDemo finished: all %d steps succeeded.\n", d.step);
    return 0;
}
