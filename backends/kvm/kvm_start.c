/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Starting QEMU and reconnecting to it.
 *
 * Start: bind <uuid>.qmp, spawn QEMU with it as fd 3, connect at once and
 * send qmp_capabilities (and the balloon target) without waiting for the
 * greeting; the start is done when every reply is in — the first reply,
 * not the greeting, proves QEMU's monitor is up.  The process's pidfd is
 * polled along with the socket, so a QEMU that dies on a bad argument is
 * reported at once with the tail of its log, never by a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvm.h"

static int bind_listener(const char *path, int *out)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path))
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: QMP socket path %s is longer than the %zu "
                         "bytes a unix socket allows; point XDG_RUNTIME_DIR at a shorter "
                         "directory", path, sizeof(addr.sun_path) - 1);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    unlink(path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* 0600 whatever the umask: whoever can connect drives the VM.  The
     * directory is private already (kvm_store_check_private); this holds
     * even if someone loosens it later. */
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0 || chmod(path, 0600) != 0 ||
        listen(s, 1) != 0) {
        int err = errno;
        if (s >= 0)
            close(s);
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create QMP socket %s: %s",
                                path, strerror(err));
    }
    *out = s;
    return VMHI_OK;
}

/* The end of QEMU's log, on one line, for error messages. */
void kvm_start_log_tail(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)size - 1 ? end - (off_t)size + 1 : 0;
    ssize_t n = pread(fd, buf, size - 1, from);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* Sends pipelined commands with ids 1..n; takes every @args. */
static int send_initial(kvm_run *run, const char *const *cmds, json_object **args, size_t n)
{
    int rc = VMHI_OK;
    for (size_t i = 0; i < n; i++) {
        if (rc < 0) {
            json_object_put(args[i]);
            continue;
        }
        size_t len = 0;
        char *text = qmp_codec_command(cmds[i], args[i], i + 1, &len);
        rc = text ? qmp_io_write_all(run->qmp_fd, text, len, KVM_CALL_TIMEOUT_MS)
                  : kvm_error(VMHI_E_NOMEM, "kvm: out of memory");
        kvm_free(text);
    }
    run->next_id = n;
    return rc;
}

/* Waits for the greeting and replies 1..n; kept[id] (if @kept) gets each
 * reply's value (json_object_put them). */
static int handshake(kvm_run *run, size_t n, json_object **kept, const char *log_path,
                     const char *name)
{
    size_t replies = 0;
    bool greeted = false;
    uint64_t deadline = kvm_now_ns() + (uint64_t)KVM_START_TIMEOUT_MS * 1000000u;
    while (!greeted || replies < n) {
        uint64_t now = kvm_now_ns();
        int w = now < deadline ? qmp_io_wait_readable(run->qmp_fd, run->proc.pidfd,
                                                      (unsigned int)((deadline - now) / 1000000u))
                               : 0;
        int got = w > 0 ? qmp_io_fill(&run->reader, run->qmp_fd) : 0;
        char *line;
        size_t len;
        while (got >= 0 && qmp_io_next_line(&run->reader, &line, &len) == 1) {
            qmp_msg msg;
            qmp_codec_parse(line, len, &msg);
            kvm_free(line);
            int rc = VMHI_OK;
            if (msg.kind == QMP_MSG_GREETING) {
                greeted = true;
            } else if (msg.kind == QMP_MSG_ERROR && msg.has_id) {
                rc = kvm_error_native(qmp_codec_error_code(msg.err_class), msg.err_class,
                                      "kvm: QEMU of VM '%s' refused a start-up command: %s",
                                      name, msg.err_desc);
            } else if (msg.kind == QMP_MSG_RETURN && msg.has_id && msg.id >= 1 && msg.id <= n) {
                replies++;
                if (kept && !kept[msg.id])
                    kept[msg.id] = json_object_get(msg.value);
            }
            qmp_msg_clear(&msg);
            if (rc < 0)
                return rc;
        }
        if (got < 0 || (w > 0 && !kvm_proc_alive(&run->proc))) {
            char tail[400];
            kvm_start_log_tail(log_path, tail, sizeof(tail));
            return kvm_error(VMHI_E_BACKEND, "kvm: QEMU of VM '%s' exited while starting%s%s",
                             name, tail[0] ? ": " : "", tail);
        }
        if (w == 0)
            return kvm_error(VMHI_E_TIMEOUT, "kvm: QEMU of VM '%s' did not answer on QMP "
                             "within %u ms", name, KVM_START_TIMEOUT_MS);
        if (w < 0)
            return kvm_error(VMHI_E_IO, "kvm: poll failed: %s", strerror(errno));
    }
    return VMHI_OK;
}

static void kill_now(kvm_run *run)
{
    if (run->proc.pid <= 0)
        return;
    kvm_proc_signal(&run->proc, SIGKILL);
    kvm_proc_wait_exit(&run->proc, KVM_KILL_WAIT_MS);
}

/* Spawns and connects; the host lock is not held. */
static int spawn_and_connect(const kvm_conn *c, kvm_vm *vm, const kvm_saved *restore,
                             kvm_run *run, const char *uuid, uint64_t balloon_bytes)
{
    kvm_host *h = c->host;
    kvm_argv argv = { 0 };
    char *sock = kvm_store_run_path(h, uuid, ".qmp");
    char *log = kvm_store_run_path(h, uuid, ".log");
    int listen_fd = -1;
    int rc = sock && log ? kvm_cmdline_build(c, vm, restore, run, &argv) : VMHI_E_NOMEM;
    if (rc == VMHI_OK)
        rc = bind_listener(sock, &listen_fd);
    if (rc == VMHI_OK) {
        unlink(log); /* the log holds one run */
        kvm_spawn sp = { .argv = (const char *const *)argv.v, .listen_fd = listen_fd,
                         .log_path = log, .daemonize = true };
        rc = kvm_proc_spawn(&sp, &run->proc);
    }
    if (rc == VMHI_OK)
        rc = qmp_io_connect(sock, &run->qmp_fd);
    if (listen_fd >= 0)
        close(listen_fd);
    /* Pipelined: capabilities, the vCPU threads, the balloon target. */
    const char *cmds[] = { "qmp_capabilities", "query-cpus-fast", "balloon" };
    json_object *args[] = { NULL, NULL, NULL };
    json_object *kept[4] = { NULL, NULL, NULL, NULL };
    size_t n = 2;
    if (rc == VMHI_OK && balloon_bytes) {
        args[2] = json_object_new_object();
        json_object_object_add(args[2], "value", json_object_new_int64((int64_t)balloon_bytes));
        n = 3;
    }
    if (rc == VMHI_OK)
        rc = send_initial(run, cmds, args, n);
    if (rc == VMHI_OK)
        rc = handshake(run, n, kept, log, vm->name);
    if (rc == VMHI_OK)
        kvm_run_set_vcpus(run, kept[2]);
    for (size_t i = 0; i < 4; i++)
        json_object_put(kept[i]);
    if (rc < 0) {
        kill_now(run);
        if (sock)
            unlink(sock);
    }
    kvm_argv_free(&argv);
    kvm_free(sock);
    kvm_free(log);
    return rc;
}

int kvm_start_process(kvm_conn *c, kvm_vm *vm, const kvm_saved *restore)
{
    kvm_host *h = c->host;
    const vmhi_vm_config *cfg = restore ? restore->qemu_cfg : vm->live;
    size_t nd = vmhi_vm_config_get_disk_count(cfg);
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && !restore && i < nd; i++)
        rc = kvm_config_create_image(c, vmhi_vm_config_get_disk(cfg, i));
    kvm_run *run = rc == VMHI_OK ? kvm_run_new() : NULL;
    if (rc == VMHI_OK && !run)
        rc = VMHI_E_NOMEM;
    if (rc < 0)
        return rc;
    uint64_t mem = vmhi_vm_config_get_memory_mib(cfg);
    uint64_t max = vmhi_vm_config_get_max_memory_mib(cfg);
    char uuid[VMHI_UUID_STRLEN + 1];
    snprintf(uuid, sizeof(uuid), "%s", vm->uuid);
    /* The VM is marked busy by the caller; other VMs go on meanwhile. */
    pthread_mutex_unlock(&h->lock);
    /* A restored QEMU gets its balloon target with its state. */
    rc = spawn_and_connect(c, vm, restore, run, uuid, mem < max && !restore ? mem << 20 : 0);
    pthread_mutex_lock(&h->lock);
    run->restoring = restore != NULL;
    if (rc == VMHI_OK)
        rc = kvm_monitor_add(h, vm, run);
    if (rc < 0) {
        kill_now(run);
        kvm_run_unref(run);
    }
    return rc;
}

static void apply_status(kvm_vm *vm, json_object *status)
{
    const char *st = kvm_json_str(status, "status");
    bool running = false;
    kvm_json_bool(status, "running", &running);
    if (running) {
        if (vm->state != VMHI_STATE_RUNNING && vm->state != VMHI_STATE_SHUTTING_DOWN) {
            vm->state = VMHI_STATE_RUNNING;
            vm->reason = VMHI_REASON_HOST;
        }
    } else if (vm->state != VMHI_STATE_PAUSED) {
        vm->state = VMHI_STATE_PAUSED;
        vm->reason = VMHI_REASON_HOST;
    }
    if (st && strcmp(st, "shutdown") == 0)
        vm->run->shutdown_seen = true;
}

int kvm_start_reconnect(kvm_host *h, kvm_vm *vm, kvm_run *run, const char *sock_path)
{
    int rc = qmp_io_connect(sock_path, &run->qmp_fd);
    const char *cmds[] = { "qmp_capabilities", "query-cpus-fast", "query-status" };
    json_object *args[] = { NULL, NULL, NULL };
    json_object *kept[4] = { NULL, NULL, NULL, NULL };
    if (rc == VMHI_OK)
        rc = send_initial(run, cmds, args, 3);
    if (rc == VMHI_OK)
        rc = handshake(run, 3, kept, NULL, vm->name);
    if (rc == VMHI_OK)
        kvm_run_set_vcpus(run, kept[2]);
    if (rc == VMHI_OK)
        rc = kvm_monitor_add(h, vm, run);
    if (rc == VMHI_OK)
        apply_status(vm, kept[3]);
    for (size_t i = 0; i < 4; i++)
        json_object_put(kept[i]);
    if (rc < 0)
        kvm_store_log(h, VMHI_LOG_WARN, "kvm: cannot reconnect to the QEMU of VM '%s' (pid %d)",
                      vm->name, (int)run->proc.pid);
    return rc;
}
