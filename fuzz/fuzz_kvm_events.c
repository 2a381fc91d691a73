/*
 * libFuzzer target: QMP events (kvm_events.c) as the monitor thread
 * hands them over - each input line is parsed by the codec, and events
 * go to a running VM with one disk and one NIC being detached.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The runtime directory does not exist (records fail to save, as they may
 * in real life); commands the events send go to a socket drained here.
 * Whatever arrives, the VM stays in a valid state and keeps a config.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_kvm_common.h"

static const char config_json[] =
    "{\"vmhi\": 1, \"name\": \"fuzz\", \"uuid\": \"6c0c5c2e-7b5f-4a43-9d7e-3f0d1d9b2a11\","
    " \"vcpus\": {\"current\": 2, \"max\": 4}, \"memory_mib\": {\"current\": 512, \"max\": 1024},"
    " \"disks\": [{\"id\": \"disk0\", \"path\": \"/tmp/fuzz.img\", \"format\": \"raw\"}],"
    " \"nics\": [{\"id\": \"nic0\", \"network\": \"default\"}]}";

static kvm_dev *new_dev(vmhi_device_type type, const char *id, unsigned int port,
                        kvm_dev *next)
{
    kvm_dev *d = kvm_alloc(sizeof(*d));
    if (d) {
        d->type = type;
        snprintf(d->id, sizeof(d->id), "%s", id);
        d->port = port;
        d->pending = true;
        d->next = next;
    }
    return d;
}

static kvm_vm *new_vm(int fd)
{
    kvm_vm *vm = kvm_alloc(sizeof(*vm));
    if (!vm)
        return NULL;
    snprintf(vm->uuid, sizeof(vm->uuid), "6c0c5c2e-7b5f-4a43-9d7e-3f0d1d9b2a11");
    snprintf(vm->name, sizeof(vm->name), "fuzz");
    vm->state = VMHI_STATE_RUNNING;
    vm->reason = VMHI_REASON_BOOTED;
    vm->run = kvm_run_new();
    if (!vm->run || vmhi_vm_config_from_json(&vm->def, config_json, strlen(config_json)) ||
        vmhi_vm_config_copy(&vm->live, vm->def)) {
        kvm_vm_free(vm);
        return NULL;
    }
    vm->run->qmp_fd = fd;
    vm->run->nports = 4;
    vm->run->devs = new_dev(VMHI_DEVICE_DISK, "disk0", 0, new_dev(VMHI_DEVICE_NIC, "nic0", 1,
                                                                   NULL));
    return vm;
}

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* Requests nobody waits for are freed by the monitor when the stream ends. */
static void free_requests(kvm_run *run)
{
    while (run->reqs) {
        kvm_req *req = run->reqs;
        run->reqs = req->next;
        json_object_put(req->reply);
        kvm_free(req);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    kvm_host h;
    memset(&h, 0, sizeof(h));
    pthread_mutex_init(&h.lock, NULL);
    pthread_cond_init(&h.changed, NULL);
    h.paths.run_dir = (char *)"/nonexistent/vmhi-fuzz";
    h.paths.data_dir = (char *)"/nonexistent/vmhi-fuzz";
    h.lock_fd = -1;
    kvm_vm *vm = new_vm(sv[0]);
    if (!vm) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    pthread_mutex_lock(&h.lock);
    for (size_t pos = 0; pos < size;) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        qmp_msg msg;
        qmp_codec_parse((const char *)data + pos, len, &msg);
        if (msg.kind == QMP_MSG_EVENT)
            kvm_events_handle(&h, vm, &msg);
        qmp_msg_clear(&msg);
        drain(sv[1]);
        FUZZ_CHECK(vm->state >= VMHI_STATE_SHUTOFF && vm->state <= VMHI_STATE_CRASHED);
        FUZZ_CHECK(vm->live && vm->def);
        pos += len + 1;
    }
    pthread_mutex_unlock(&h.lock);
    free_requests(vm->run);
    kvm_vm_free(vm);
    close(sv[1]);
    pthread_cond_destroy(&h.changed);
    pthread_mutex_destroy(&h.lock);
    return 0;
}
