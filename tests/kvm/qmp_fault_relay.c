/*
 * qmp-fault-relay: a qemu= wrapper for the fault tests.  It becomes the
 * real QEMU (same pid, so the backend's pidfd and records are QEMU's) but
 * first puts a relay between the backend and QEMU's QMP monitor that can
 * break the stream on demand, as a broken peer would.
 *
 * The backend hands QEMU a listening QMP socket as fd 3 and connects to
 * it at once.  The wrapper binds a fresh socket for QEMU in the abstract
 * namespace, forks the relay (which accepts the backend on fd 3 and
 * connects to QEMU), and execs QEMU with its socket as fd 3.  The relay
 * passes everything on until the file "<QMP socket path>.fault" says:
 *   garbage - every chunk from QEMU is preceded by a line of junk;
 *   half    - half a JSON object goes out, then QEMU's output is dropped;
 *   close   - the backend's QMP connection is closed (QEMU lives on).
 * Without a socket on fd 3 (e.g. --version) it just execs QEMU.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QEMU "/usr/bin/qemu-system-x86_64"

static char fault_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];

static void read_fault(char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(fault_path, "r");
    if (!f)
        return;
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Runs until either side hangs up. */
static void relay(int backend, int qemu)
{
    int quiet = 0;
    char buf[65536], fault[32];
    for (;;) {
        struct pollfd p[2] = { { backend, POLLIN, 0 }, { qemu, POLLIN, 0 } };
        if (poll(p, 2, 50) < 0 && errno != EINTR)
            return;
        read_fault(fault, sizeof(fault));
        if (strcmp(fault, "close") == 0)
            return;
        if (strcmp(fault, "half") == 0 && !quiet) {
            static const char half[] = "{\"return\": {\"status\": \"runn";
            if (send_all(backend, half, sizeof(half) - 1) < 0)
                return;
            quiet = 1;
        }
        if (p[0].revents) {
            ssize_t n = read(backend, buf, sizeof(buf));
            if (n <= 0 || send_all(qemu, buf, (size_t)n) < 0)
                return;
        }
        if (p[1].revents) {
            ssize_t n = read(qemu, buf, sizeof(buf));
            if (n <= 0)
                return;
            if (quiet)
                continue;
            static const char junk[] = "\xff\xfe}{ not json [\"id\": 1}\n";
            if (strcmp(fault, "garbage") == 0 && send_all(backend, junk, sizeof(junk) - 1) < 0)
                return;
            if (send_all(backend, buf, (size_t)n) < 0)
                return;
        }
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    struct sockaddr_un addr;
    socklen_t len = sizeof(addr);
    int listening = 0;
    socklen_t ilen = sizeof(listening);
    memset(&addr, 0, sizeof(addr));
    if (getsockname(3, (struct sockaddr *)&addr, &len) != 0 || addr.sun_family != AF_UNIX ||
        getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 || !listening) {
        execv(QEMU, argv);
        return 127;
    }
    snprintf(fault_path, sizeof(fault_path), "%s.fault", addr.sun_path);
    int mine = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un q = { .sun_family = AF_UNIX };
    int n = snprintf(q.sun_path + 1, sizeof(q.sun_path) - 1, "vmhi-qmp-relay-%ld",
                     (long)getpid());
    socklen_t qlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (mine < 0 || bind(mine, (struct sockaddr *)&q, qlen) != 0 || listen(mine, 1) != 0)
        return 126;
    pid_t child = fork();
    if (child < 0)
        return 126;
    if (child == 0) {
        close(mine);
        int backend = accept(3, NULL, NULL);
        close(3);
        int qemu = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (backend >= 0 && qemu >= 0 && connect(qemu, (struct sockaddr *)&q, qlen) == 0)
            relay(backend, qemu);
        _exit(0);
    }
    if (dup2(mine, 3) != 3)
        return 126;
    close(mine);
    execv(QEMU, argv);
    return 127;
}
