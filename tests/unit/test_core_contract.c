/*
 * The core's side of the contracts in the VMHI 1.0 specification that no
 * backend can show: module handling (through the probe module, which
 * records how the core calls it), argument checking, the error model,
 * handles outliving their connection, version queries.  Test names carry
 * the requirement IDs they verify.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "probe.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static struct probe_stats *probe;

static vmhi_conn *open_probe(void)
{
    const char *build = getenv("VMHI_TEST_BUILD_DIR");
    ck_assert_ptr_nonnull(build);
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/modules/probe/probe.so", build);
    ck_vmhi_ok(vmhi_module_load(path));
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(h);
    struct probe_stats *(*get)(void) = NULL;
    void *sym = dlsym(h, "probe_stats");
    ck_assert_ptr_nonnull(sym);
    memcpy(&get, &sym, sizeof(sym));
    probe = get();
    dlclose(h); /* drops our extra reference; the core keeps the module */
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, "probe:///ok", NULL));
    return c;
}

static vmhi_vm *probe_vm(vmhi_conn *c)
{
    vmhi_vm *vm = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_name(&vm, c, "probe-vm"));
    return vm;
}

/* ------------------------------------------------- module contract */

START_TEST(mod_10_16_priv_and_open_close_pairing)
{
    vmhi_conn *c = open_probe();
    ck_assert_int_eq(atomic_load(&probe->opens), 1);
    ck_assert_int_eq(atomic_load(&probe->priv_not_zero), 0);
    vmhi_vm *vm = probe_vm(c);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vm, &info));
    vmhi_conn_close(c);
    ck_assert_int_eq(atomic_load(&probe->closes), 1);
    ck_assert_int_eq(atomic_load(&probe->priv_mismatch), 0);

    vmhi_conn *d = NULL;
    ck_vmhi(vmhi_conn_open(&d, "probe:///decline", NULL), VMHI_E_NO_BACKEND);
    ck_vmhi(vmhi_conn_open(&d, "probe:///fail", NULL), VMHI_E_CONNECTION);
    ck_assert_str_eq(vmhi_error_last_message(), "probe refuses to connect");
    ck_assert_str_eq(vmhi_error_last_native(), "ECONNREFUSED");
    ck_assert_int_eq(atomic_load(&probe->opens), 1);
    ck_assert_int_eq(atomic_load(&probe->closes), 1); /* never for failed opens */
    ck_assert_int_eq(atomic_load(&probe->priv_not_zero), 0);
    vmhi_vm_free(vm);
}
END_TEST

struct hammer {
    vmhi_vm *vm;
    int failures;
};

static void *hammer_info(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 20; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(h->vm, &info))
            h->failures++;
    }
    return NULL;
}

START_TEST(thr_2_serializes_non_threadsafe_backend)
{
    vmhi_conn *c = open_probe();
    struct hammer h[6];
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        h[i].vm = probe_vm(c);
        h[i].failures = 0;
        pthread_create(&t[i], NULL, hammer_info, &h[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(h[i].failures, 0);
        vmhi_vm_free(h[i].vm);
    }
    ck_assert_int_eq(atomic_load(&probe->max_in_slot), 1);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(err_1_positive_backend_result_is_internal)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_INTERNAL);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "bug in backend"));
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(mod_12_silent_failure_gets_a_message)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    ck_vmhi(vmhi_vm_poweroff(vm, 0), VMHI_E_BACKEND);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "probe"));
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "poweroff"));
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

static int delivered;

static void count_cb(vmhi_conn *c, const vmhi_event *ev, void *data)
{
    (void)c;
    (void)data;
    ck_assert_int_eq(vmhi_event_get_type(ev), VMHI_EVENT_LIFECYCLE);
    ck_assert_int_eq(vmhi_event_get_state(ev), VMHI_STATE_PAUSED);
    delivered++;
}

START_TEST(mod_13_emit_keeps_error_and_drops_malformed)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_ALL_1_0, NULL, count_cb, NULL, NULL, NULL));
    ck_vmhi(vmhi_vm_pause(vm, 0), VMHI_E_BUSY);
    ck_assert_str_eq(vmhi_error_last_message(), "probe marker message");
    ck_assert_str_eq(vmhi_error_last_native(), "probe-native");
    ck_assert_int_eq(vmhi_conn_dispatch_events(c, 0), 1);
    ck_assert_int_eq(delivered, 1);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

static void ignore_cb(vmhi_conn *c, const vmhi_event *ev, void *data)
{
    (void)c;
    (void)ev;
    (void)data;
}

START_TEST(mod_14_events_enable_follows_subscriptions)
{
    vmhi_conn *c = open_probe();
    int a = 0, b = 0;
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, ignore_cb, NULL, NULL, &a));
    ck_assert_uint_eq(atomic_load(&probe->last_mask), VMHI_EVENT_LIFECYCLE);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_MEMORY, NULL, ignore_cb, NULL, NULL, &b));
    ck_assert_uint_eq(atomic_load(&probe->last_mask), VMHI_EVENT_LIFECYCLE | VMHI_EVENT_MEMORY);
    int calls = atomic_load(&probe->mask_calls);
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_MEMORY, NULL, ignore_cb, NULL, NULL, NULL));
    ck_assert_int_eq(atomic_load(&probe->mask_calls), calls); /* unchanged set: no call */
    ck_vmhi_ok(vmhi_conn_unsubscribe(c, a));
    ck_assert_uint_eq(atomic_load(&probe->last_mask), VMHI_EVENT_MEMORY);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(mod_17_get_profiles_only_narrows)
{
    vmhi_conn *c = open_probe();
    unsigned int profiles = 0;
    ck_vmhi_ok(vmhi_conn_get_profiles(c, &profiles));
    ck_assert_uint_eq(profiles, VMHI_PROFILE_CORE | VMHI_PROFILE_EVENTS);
    atomic_store(&probe->profiles_out, VMHI_PROFILE_CORE);
    ck_vmhi_ok(vmhi_conn_get_profiles(c, &profiles));
    ck_assert_uint_eq(profiles, VMHI_PROFILE_CORE);
    /* Memory and Persistence are not the module's to add per connection. */
    atomic_store(&probe->profiles_out, VMHI_PROFILE_CORE | VMHI_PROFILE_EVENTS |
                                           VMHI_PROFILE_MEMORY | VMHI_PROFILE_PERSISTENCE);
    ck_vmhi_ok(vmhi_conn_get_profiles(c, &profiles));
    ck_assert_uint_eq(profiles, VMHI_PROFILE_CORE | VMHI_PROFILE_EVENTS);
    atomic_store(&probe->profiles_out, 0u);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(cap_3_5_caps_are_enforced_before_the_slot)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    unsigned caps = 1;
    ck_vmhi_ok(vmhi_conn_get_op_caps(c, VMHI_OP_RESET, &caps));
    ck_assert_uint_eq(caps, 0);
    ck_vmhi(vmhi_vm_reset(vm, 0), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(atomic_load(&probe->reset_calls), 0);
    ck_vmhi(vmhi_vm_set_memory(vm, 64, VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(atomic_load(&probe->set_memory_calls), 0);
    ck_vmhi_ok(vmhi_vm_set_memory(vm, 64, VMHI_AFFECT_CONFIG));
    ck_assert_int_eq(atomic_load(&probe->set_memory_calls), 1);
    /* MEM-8: a live maximum needs VMHI_CAP_LIVE, which the probe leaves out. */
    ck_vmhi_ok(vmhi_conn_get_op_caps(c, VMHI_OP_SET_MAX_MEMORY, &caps));
    ck_assert_uint_eq(caps, VMHI_CAP_SUPPORTED | VMHI_CAP_CONFIG);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 128, VMHI_AFFECT_LIVE), VMHI_E_UNSUPPORTED);
    ck_vmhi(vmhi_vm_set_max_memory(vm, 128, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(atomic_load(&probe->set_max_memory_calls), 0);
    ck_vmhi_ok(vmhi_vm_set_max_memory(vm, 128, VMHI_AFFECT_CONFIG));
    ck_assert_int_eq(atomic_load(&probe->set_max_memory_calls), 1);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

/* --------------------------------------------- handles and the core */

START_TEST(conn_13_handle_outlives_connection)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = vmhi_test_define(c, "orphan");
    vmhi_conn_close(c);
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi(vmhi_vm_get_info(vm, &info), VMHI_E_CONNECTION);
    ck_vmhi(vmhi_vm_start(vm, 0), VMHI_E_CONNECTION);
    ck_vmhi(vmhi_vm_set_memory(vm, 256, 0), VMHI_E_CONNECTION);
    vmhi_device_list *devs = NULL;
    ck_vmhi(vmhi_vm_list_devices(vm, &devs), VMHI_E_CONNECTION);
    ck_assert_str_eq(vmhi_vm_get_name(vm), "orphan");
    vmhi_vm_free(vm); /* frees the connection's memory last (ASan checks) */
}
END_TEST

START_TEST(err_2_entry_points_clear_the_last_error)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, c, "missing"), VMHI_E_NO_VM);
    ck_assert_int_ne(vmhi_error_last_code(), VMHI_OK);
    unsigned profiles = 0;
    ck_vmhi_ok(vmhi_conn_get_profiles(c, &profiles));
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_OK);
    ck_assert_str_eq(vmhi_error_last_message(), "");
    ck_assert_ptr_null(vmhi_error_last_native());
    vmhi_conn_close(c);
}
END_TEST

static void *fail_in_thread(void *arg)
{
    (void)arg;
    vmhi_vm *vm = NULL;
    vmhi_vm_lookup_by_name(&vm, NULL, "x");
    return (void *)(intptr_t)vmhi_error_last_code();
}

START_TEST(err_3_last_error_is_per_thread)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = NULL;
    ck_vmhi(vmhi_vm_lookup_by_name(&vm, c, "missing"), VMHI_E_NO_VM);
    pthread_t t;
    void *other = NULL;
    pthread_create(&t, NULL, fail_in_thread, NULL);
    pthread_join(t, &other);
    ck_assert_int_eq((int)(intptr_t)other, VMHI_E_INVALID_ARG);
    ck_assert_int_eq(vmhi_error_last_code(), VMHI_E_NO_VM);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(err_9_strerror_covers_every_code)
{
    for (int code = VMHI_ERROR_CODE_MIN_1_0; code <= VMHI_OK; code++) {
        const char *s = vmhi_strerror(code);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_gt((int)strlen(s), 0);
        ck_assert_str_ne(s, "unknown error");
    }
    ck_assert_str_eq(vmhi_strerror(-9999), "unknown error");
    ck_assert_str_eq(vmhi_strerror(42), "unknown error");
}
END_TEST

START_TEST(cap_2_unknown_values)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    unsigned caps = 0;
    ck_vmhi(vmhi_conn_get_op_caps(c, (vmhi_op)0, &caps), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_get_op_caps(c, (vmhi_op)999, &caps), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(vmhi_op_name((vmhi_op)999));
    ck_assert_ptr_null(vmhi_profile_name(3));
    ck_assert_ptr_null(vmhi_profile_name(1u << 20));
    for (int op = VMHI_OP_LIST; op < VMHI_OP_COUNT_1_0; op++)
        ck_assert_ptr_nonnull(vmhi_op_name((vmhi_op)op));
    vmhi_conn_close(c);
}
END_TEST

START_TEST(list_3_6_filters_and_lookup_arguments)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm **vms = NULL;
    size_t n = 7;
    ck_vmhi(vmhi_conn_list_vms(c, 1u << 30, &vms, &n), VMHI_E_INVALID_ARG);
    vmhi_vm *vm = vmhi_test_define(c, "only-off");
    ck_vmhi_ok(vmhi_conn_list_vms(c, VMHI_STATE_BIT(VMHI_STATE_RUNNING), &vms, &n));
    ck_assert_uint_eq(n, 0);
    vmhi_vm_list_free(vms, n);
    vmhi_vm *found = NULL;
    ck_vmhi(vmhi_vm_lookup_by_uuid(&found, c, "1234"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_lookup_by_uuid(&found, c, "zzzzzzzz-0000-4000-8000-000000000000"),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_lookup_by_name(&found, c, "a/b"), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_lookup_by_name(&found, c, ".."), VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(found);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(info_5_6_info_arguments_and_names)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = vmhi_test_define(c, "info");
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi(vmhi_vm_get_info(NULL, &info), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_get_info(vm, NULL), VMHI_E_INVALID_ARG);
    info.version = 0;
    ck_vmhi(vmhi_vm_get_info(vm, &info), VMHI_E_INVALID_ARG);
    info.version = VMHI_VM_INFO_VERSION + 1;
    ck_vmhi(vmhi_vm_get_info(vm, &info), VMHI_E_INVALID_ARG);
    vmhi_vm_state st;
    ck_vmhi(vmhi_vm_get_state(vm, NULL, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_vm_get_state(vm, &st, NULL));
    ck_assert_int_eq(st, VMHI_STATE_SHUTOFF);
    static const char *const states[] = { NULL, "shutoff", "running", "paused",
                                          "suspended", "shutting-down", "crashed", NULL };
    for (int i = 0; i < 8; i++) {
        const char *name = vmhi_vm_state_name((vmhi_vm_state)i);
        if (states[i])
            ck_assert_str_eq(name, states[i]);
        else
            ck_assert_ptr_null(name);
    }
    for (int r = VMHI_REASON_UNKNOWN; r <= VMHI_REASON_HOST; r++)
        ck_assert_ptr_nonnull(vmhi_state_reason_name((vmhi_state_reason)r));
    ck_assert_ptr_null(vmhi_state_reason_name((vmhi_state_reason)99));
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(vcpu_7_list_accessors)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = vmhi_test_define(c, "lists");
    ck_vmhi_ok(vmhi_vm_start(vm, 0));
    vmhi_vcpu_list *vl = NULL;
    ck_vmhi_ok(vmhi_vm_get_vcpus(vm, &vl));
    vmhi_vcpu_info vi = VMHI_VCPU_INFO_INIT;
    ck_vmhi_ok(vmhi_vcpu_list_get(vl, 0, &vi));
    ck_vmhi(vmhi_vcpu_list_get(vl, vmhi_vcpu_list_count(vl), &vi), VMHI_E_INVALID_ARG);
    vi.version = 0;
    ck_vmhi(vmhi_vcpu_list_get(vl, 0, &vi), VMHI_E_INVALID_ARG);
    vmhi_vcpu_list_free(vl);
    vmhi_device_list *dl = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &dl));
    vmhi_device_info di = VMHI_DEVICE_INFO_INIT;
    ck_vmhi(vmhi_device_list_get(dl, vmhi_device_list_count(dl), &di), VMHI_E_INVALID_ARG);
    di.version = 2;
    ck_vmhi(vmhi_device_list_get(dl, 0, &di), VMHI_E_INVALID_ARG);
    vmhi_device_list_free(dl);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(dev_6_device_arguments)
{
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_vm *vm = vmhi_test_define(c, "devargs");
    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi(vmhi_vm_attach_disk(vm, NULL, 0, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, 0, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/var/lib/vmhi/a.img"));
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, 0x10, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_detach_disk(vm, "disk0", 0x10, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_detach_nic(vm, "bad id!", 0, NULL), VMHI_E_INVALID_ARG);
    vmhi_device_list *dl = NULL;
    ck_vmhi_ok(vmhi_vm_list_devices(vm, &dl));
    ck_assert_uint_eq(vmhi_device_list_count(dl), 0); /* nothing half-attached */
    vmhi_device_list_free(dl);
    vmhi_disk_free(disk);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

START_TEST(abi_9_10_versions_and_struct_versions)
{
    ck_assert_uint_eq(vmhi_version(), VMHI_VERSION_NUMBER);
    ck_assert_str_eq(vmhi_version_string(), VMHI_VERSION_STRING);
    vmhi_conn *c = vmhi_test_open("test:///default?guest=instant");
    vmhi_host_info hi = VMHI_HOST_INFO_INIT;
    hi.version = 0;
    ck_vmhi(vmhi_conn_get_host_info(c, &hi), VMHI_E_INVALID_ARG);
    hi.version = VMHI_HOST_INFO_VERSION + 1;
    ck_vmhi(vmhi_conn_get_host_info(c, &hi), VMHI_E_INVALID_ARG);
    hi.version = VMHI_HOST_INFO_VERSION;
    ck_vmhi_ok(vmhi_conn_get_host_info(c, &hi));
    ck_assert_uint_eq(hi.version, VMHI_HOST_INFO_VERSION);
    ck_assert_uint_gt(hi.cpus, 0);
    vmhi_conn_close(c);
}
END_TEST

/* ------------------------------------------------ ABI 1.0 final */

static vmhi_vm_config *probe_config(vmhi_disk_bus bus, vmhi_nic_model model)
{
    vmhi_vm_config *cfg = NULL;
    vmhi_disk *disk = NULL;
    vmhi_nic *nic = NULL;
    ck_vmhi_ok(vmhi_vm_config_new(&cfg));
    ck_vmhi_ok(vmhi_vm_config_set_name(cfg, "probe-vm"));
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/var/lib/probe/d0.img"));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, bus));
    ck_vmhi_ok(vmhi_vm_config_add_disk(cfg, disk));
    ck_vmhi_ok(vmhi_nic_new(&nic));
    ck_vmhi_ok(vmhi_nic_set_model(nic, model));
    ck_vmhi_ok(vmhi_vm_config_add_nic(cfg, nic));
    vmhi_disk_free(disk);
    vmhi_nic_free(nic);
    return cfg;
}

/* CAP-11: the slot narrows what the core pre-filled; DEFAULT stays. */
START_TEST(cap_11_value_caps_narrow_and_keep_default)
{
    vmhi_conn *c = open_probe();
    uint64_t v = 0;
    ck_vmhi_ok(vmhi_conn_get_value_caps(c, VMHI_VALUE_DISK_BUS, &v));
    ck_assert_uint_eq(v, ((UINT64_C(1) << VMHI_DISK_BUS_COUNT_1_0) - 1) &
                             ~(UINT64_C(1) << VMHI_DISK_BUS_PVSCSI));
    ck_vmhi_ok(vmhi_conn_get_value_caps(c, VMHI_VALUE_NIC_MODEL, &v));
    ck_assert_uint_eq(v, UINT64_C(1) << VMHI_NIC_MODEL_DEFAULT);
    ck_vmhi_ok(vmhi_conn_get_value_caps(c, VMHI_VALUE_DISK_FORMAT, &v));
    ck_assert_uint_eq(v, (UINT64_C(1) << VMHI_DISK_FORMAT_COUNT_1_0) - 1);
    ck_vmhi(vmhi_conn_get_value_caps(c, (vmhi_value_kind)0, &v), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_get_value_caps(c, (vmhi_value_kind)VMHI_VALUE_KIND_COUNT_1_0, &v),
            VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_get_value_caps(c, VMHI_VALUE_DISK_BUS, NULL), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_conn_get_value_caps(NULL, VMHI_VALUE_DISK_BUS, &v), VMHI_E_INVALID_ARG);
    vmhi_conn_close(c);

    /* Without the slot (the test backend's default host) every value is accepted. */
    vmhi_conn *t = vmhi_test_open("test:///default");
    for (int k = VMHI_VALUE_DISK_BUS; k < VMHI_VALUE_KIND_COUNT_1_0; k++) {
        ck_vmhi_ok(vmhi_conn_get_value_caps(t, (vmhi_value_kind)k, &v));
        ck_assert_uint_ne(v & 1, 0);
    }
    vmhi_conn_close(t);
}
END_TEST

/* CAP-12: undeclared values never reach the slot. */
START_TEST(cap_12_undeclared_values_are_refused_before_the_slot)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = NULL;
    vmhi_vm_config *bad = probe_config(VMHI_DISK_BUS_PVSCSI, VMHI_NIC_MODEL_DEFAULT);
    ck_vmhi(vmhi_vm_define(&vm, c, bad, 0), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "disk-bus 'pvscsi'"));
    ck_assert_ptr_null(vm);
    vmhi_vm_config *model = probe_config(VMHI_DISK_BUS_DEFAULT, VMHI_NIC_MODEL_E1000);
    ck_vmhi(vmhi_vm_define(&vm, c, model, 0), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "nic-model 'e1000'"));
    ck_assert_int_eq(atomic_load(&probe->define_calls), 0);

    vmhi_vm_config *good = probe_config(VMHI_DISK_BUS_VIRTIO, VMHI_NIC_MODEL_DEFAULT);
    ck_vmhi_ok(vmhi_vm_define(&vm, c, good, 0));
    ck_assert_int_eq(atomic_load(&probe->define_calls), 1);

    vmhi_disk *disk = NULL;
    ck_vmhi_ok(vmhi_disk_new(&disk));
    ck_vmhi_ok(vmhi_disk_set_path(disk, "/var/lib/probe/d1.img"));
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_PVSCSI));
    ck_vmhi(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL), VMHI_E_UNSUPPORTED);
    ck_assert_int_eq(atomic_load(&probe->attach_calls), 0);
    ck_vmhi_ok(vmhi_disk_set_bus(disk, VMHI_DISK_BUS_SATA));
    ck_vmhi_ok(vmhi_vm_attach_disk(vm, disk, VMHI_AFFECT_CONFIG, NULL));
    ck_assert_int_eq(atomic_load(&probe->attach_calls), 1);

    ck_vmhi(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_PV), VMHI_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(vmhi_error_last_message(), "shutdown-method 'pv'"));
    ck_vmhi(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_METHOD_COUNT_1_0), VMHI_E_INVALID_ARG);
    ck_assert_int_eq(atomic_load(&probe->shutdown_calls), 0);
    ck_vmhi_ok(vmhi_vm_shutdown(vm, 0, VMHI_SHUTDOWN_ACPI));
    ck_assert_int_eq(atomic_load(&probe->shutdown_calls), 1);

    vmhi_disk_free(disk);
    vmhi_vm_config_free(bad);
    vmhi_vm_config_free(model);
    vmhi_vm_config_free(good);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

/* MOD-19: every vm_ref the core hands a slot is zeroed and sized. */
START_TEST(mod_19_vm_ref_is_sized_and_zeroed)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    vmhi_vm *by_uuid = NULL;
    ck_vmhi_ok(vmhi_vm_lookup_by_uuid(&by_uuid, c, vmhi_vm_get_uuid(vm)));
    vmhi_vm_config *cfg = probe_config(VMHI_DISK_BUS_DEFAULT, VMHI_NIC_MODEL_DEFAULT);
    vmhi_vm *defined = NULL;
    ck_vmhi_ok(vmhi_vm_define(&defined, c, cfg, 0));
    ck_assert_int_eq(atomic_load(&probe->define_calls), 1);
    ck_assert_int_eq(atomic_load(&probe->ref_bad), 0);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(defined);
    vmhi_vm_free(by_uuid);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

struct waiter {
    vmhi_vm *vm;
    atomic_int returned;
    int rc;
};

static void *shutdown_with_timeout(void *arg)
{
    struct waiter *w = arg;
    w->rc = vmhi_vm_shutdown(w->vm, 3000, 0);
    atomic_store(&w->returned, 1);
    return NULL;
}

/* MOD-20: the core waits for shutoff without holding a non-thread-safe
 * backend's lock, so the connection keeps serving other threads. */
START_TEST(mod_20_shutdown_wait_does_not_hold_the_connection)
{
    vmhi_conn *c = open_probe();
    struct waiter w = { .vm = probe_vm(c) };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, shutdown_with_timeout, &w), 0);
    while (atomic_load(&probe->shutdown_calls) == 0)
        usleep(1000);
    vmhi_vm **vms = NULL;
    size_t count = 0;
    ck_vmhi_ok(vmhi_conn_list_vms(c, 0, &vms, &count));
    vmhi_vm_info info = VMHI_VM_INFO_INIT;
    ck_vmhi_ok(vmhi_vm_get_info(vms[0], &info));
    ck_assert_int_eq(info.state, VMHI_STATE_SHUTTING_DOWN);
    /* Both calls were served while the waiting shutdown had not returned. */
    ck_assert_int_eq(atomic_load(&w.returned), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(w.rc, VMHI_E_TIMEOUT);
    ck_assert_int_eq(atomic_load(&probe->shutdown_calls), 1);
    ck_assert_int_eq(atomic_load(&probe->max_in_slot), 1); /* still serialized */
    vmhi_vm_list_free(vms, count);
    vmhi_vm_free(w.vm);
    vmhi_conn_close(c);
}
END_TEST

struct churn {
    vmhi_conn *conn;
    unsigned int mask;
};

static void *subscribe_churn(void *arg)
{
    struct churn *ch = arg;
    for (int i = 0; i < 200; i++) {
        int id = 0;
        if (vmhi_conn_subscribe(ch->conn, ch->mask, NULL, ignore_cb, NULL, NULL, &id) == VMHI_OK)
            vmhi_conn_unsubscribe(ch->conn, id);
    }
    return NULL;
}

/* MOD-14: concurrent subscription changes leave the backend with the mask
 * of the subscriptions that remain, never a stale one. */
START_TEST(mod_14_concurrent_changes_leave_the_right_mask)
{
    vmhi_conn *c = open_probe();
    ck_vmhi_ok(vmhi_conn_subscribe(c, VMHI_EVENT_LIFECYCLE, NULL, ignore_cb, NULL, NULL, NULL));
    struct churn ch[4] = { { c, VMHI_EVENT_MEMORY }, { c, VMHI_EVENT_VCPU },
                           { c, VMHI_EVENT_DEFINED }, { c, VMHI_EVENT_DEVICE_ADDED } };
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, subscribe_churn, &ch[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(atomic_load(&probe->last_mask), VMHI_EVENT_LIFECYCLE);
    vmhi_conn_close(c);
}
END_TEST

/* LC-GEN-4 for the calls that gained a flags argument; CFG-16. */
START_TEST(lc_gen_4_new_flags_arguments_are_checked)
{
    vmhi_conn *c = open_probe();
    vmhi_vm *vm = probe_vm(c);
    vmhi_vm_config *cfg = probe_config(VMHI_DISK_BUS_DEFAULT, VMHI_NIC_MODEL_DEFAULT);
    vmhi_vm *out = NULL;
    ck_vmhi(vmhi_vm_define(&out, c, cfg, 1), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_undefine(vm, 1), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_pause(vm, 1u << 5), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_resume(vm, 2), VMHI_E_INVALID_ARG);
    vmhi_vm_config *got = NULL;
    ck_vmhi(vmhi_vm_get_config(vm, &got, 4), VMHI_E_INVALID_ARG);
    ck_vmhi(vmhi_vm_get_config(vm, &got, VMHI_AFFECT_LIVE | VMHI_AFFECT_CONFIG),
            VMHI_E_INVALID_ARG);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(atomic_load(&probe->define_calls), 0);
    vmhi_vm_config_free(cfg);
    vmhi_vm_free(vm);
    vmhi_conn_close(c);
}
END_TEST

/* THR-6: the log callback runs in the thread of the call it belongs to,
 * and never after vmhi_conn_close() returned. */
#define LOG_SEEN_MAX 256

struct log_seen {
    pthread_mutex_t lock;
    pthread_t threads[LOG_SEEN_MAX];
    int count;
};

static void record_log(int level, const char *domain, const char *message, void *data)
{
    (void)level;
    (void)message;
    struct log_seen *seen = data;
    if (strcmp(domain, "probe") != 0)
        return;
    pthread_mutex_lock(&seen->lock);
    if (seen->count < LOG_SEEN_MAX)
        seen->threads[seen->count] = pthread_self();
    seen->count++;
    pthread_mutex_unlock(&seen->lock);
}

struct info_caller {
    vmhi_vm *vm;
    pthread_t self;
};

static void *call_get_info(void *arg)
{
    struct info_caller *ic = arg;
    ic->self = pthread_self();
    for (int i = 0; i < 5; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        vmhi_vm_get_info(ic->vm, &info);
    }
    return NULL;
}

START_TEST(thr_6_log_callback_threads_and_close)
{
    const char *build = getenv("VMHI_TEST_BUILD_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/modules/probe/probe.so", build);
    ck_vmhi_ok(vmhi_module_load(path));
    struct log_seen seen = { .count = 0 };
    pthread_mutex_init(&seen.lock, NULL);
    vmhi_conn_options opts = VMHI_CONN_OPTIONS_INIT;
    opts.log_cb = record_log;
    opts.log_data = &seen;
    opts.log_level = VMHI_LOG_DEBUG;
    vmhi_conn *c = NULL;
    ck_vmhi_ok(vmhi_conn_open(&c, "probe:///ok", &opts));
    struct info_caller callers[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        ck_vmhi_ok(vmhi_vm_lookup_by_name(&callers[i].vm, c, "probe-vm"));
        ck_assert_int_eq(pthread_create(&t[i], NULL, call_get_info, &callers[i]), 0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(seen.count, 15);
    for (int n = 0; n < seen.count; n++) {
        bool ours = false;
        for (int i = 0; i < 3; i++)
            ours = ours || pthread_equal(seen.threads[n], callers[i].self);
        ck_assert_msg(ours, "log line %d came from a thread that made no call", n);
    }
    for (int i = 0; i < 3; i++)
        vmhi_vm_free(callers[i].vm);
    vmhi_conn_close(c);
    int at_close = seen.count;
    usleep(50 * 1000);
    ck_assert_int_eq(seen.count, at_close);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core-contract");
    TCase *mod = tcase_create("module");
    tcase_add_test(mod, mod_10_16_priv_and_open_close_pairing);
    tcase_add_test(mod, thr_2_serializes_non_threadsafe_backend);
    tcase_add_test(mod, err_1_positive_backend_result_is_internal);
    tcase_add_test(mod, mod_12_silent_failure_gets_a_message);
    tcase_add_test(mod, mod_13_emit_keeps_error_and_drops_malformed);
    tcase_add_test(mod, mod_14_events_enable_follows_subscriptions);
    tcase_add_test(mod, mod_17_get_profiles_only_narrows);
    tcase_add_test(mod, cap_3_5_caps_are_enforced_before_the_slot);
    tcase_add_test(mod, cap_11_value_caps_narrow_and_keep_default);
    tcase_add_test(mod, cap_12_undeclared_values_are_refused_before_the_slot);
    tcase_add_test(mod, mod_19_vm_ref_is_sized_and_zeroed);
    tcase_add_test(mod, mod_20_shutdown_wait_does_not_hold_the_connection);
    tcase_add_test(mod, mod_14_concurrent_changes_leave_the_right_mask);
    tcase_add_test(mod, lc_gen_4_new_flags_arguments_are_checked);
    tcase_add_test(mod, thr_6_log_callback_threads_and_close);
    suite_add_tcase(s, mod);
    TCase *core = tcase_create("core");
    tcase_add_test(core, conn_13_handle_outlives_connection);
    tcase_add_test(core, err_2_entry_points_clear_the_last_error);
    tcase_add_test(core, err_3_last_error_is_per_thread);
    tcase_add_test(core, err_9_strerror_covers_every_code);
    tcase_add_test(core, cap_2_unknown_values);
    tcase_add_test(core, list_3_6_filters_and_lookup_arguments);
    tcase_add_test(core, info_5_6_info_arguments_and_names);
    tcase_add_test(core, vcpu_7_list_accessors);
    tcase_add_test(core, dev_6_device_arguments);
    tcase_add_test(core, abi_9_10_versions_and_struct_versions);
    suite_add_tcase(s, core);
    return vmhi_test_run(s);
}
