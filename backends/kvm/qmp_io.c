/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * QMP transport: a non-blocking unix stream socket and a line reader.
 *
 * QEMU writes one JSON message per line.  The reader keeps whatever
 * arrived so far and hands out complete lines; it survives any bytes: a
 * line longer than KVM_QMP_LINE_MAX is dropped up to its newline (the
 * buffer never grows past the limit), NUL bytes and garbage become lines
 * the codec classifies as invalid, and partial reads simply wait for more.
 * The limit applies to each line: a burst of short lines (events) is never
 * dropped because of how much of it is buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvm.h"

int qmp_io_connect(const char *path, int *fd)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n >= sizeof(addr.sun_path))
        return kvm_error(VMHI_E_INVALID_ARG, "kvm: socket path %s is longer than the %zu "
                         "bytes a unix socket allows; use a shorter runtime directory",
                         path, sizeof(addr.sun_path) - 1);
    memcpy(addr.sun_path, path, n + 1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return kvm_error_native(VMHI_E_IO, "errno", "kvm: cannot create a socket: %s",
                                strerror(errno));
    /* A unix connect either completes or fails at once; EAGAIN means the
     * listen backlog is full, which QEMU's single monitor client never causes. */
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int err = errno;
        close(s);
        return kvm_error_native(VMHI_E_CONNECTION, "errno", "kvm: cannot connect to QMP "
                                "socket %s: %s", path, strerror(err));
    }
    *fd = s;
    return VMHI_OK;
}

/* Appends @take bytes, growing the buffer; false when out of memory. */
static bool append(qmp_reader *r, const char *data, size_t take)
{
    if (r->len + take > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + take)
            cap *= 2;
        char *grown = kvm_alloc(cap);
        if (!grown)
            return false;
        if (r->len)
            memcpy(grown, r->buf, r->len);
        kvm_free(r->buf);
        r->buf = grown;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, take);
    r->len += take;
    return true;
}

/* Takes in one piece of a line (up to and with its newline, if any).  The
 * limit is on each line alone: complete lines waiting in the buffer do
 * not count against the one being read. */
static bool take_piece(qmp_reader *r, const char *piece, size_t take, bool ends_line)
{
    size_t max = r->line_max ? r->line_max : KVM_QMP_LINE_MAX;
    if (r->discarding) {
        r->discarding = !ends_line;
        return true;
    }
    if (r->partial + take > max) {
        /* Drop the long line: what of it is buffered, and the rest up to its newline. */
        r->len -= r->partial;
        r->partial = 0;
        r->discarding = !ends_line;
        return true;
    }
    if (!append(r, piece, take))
        return false;
    r->partial = ends_line ? 0 : r->partial + take;
    return true;
}

int qmp_io_fill(qmp_reader *r, int fd)
{
    char chunk[16384];
    bool got = false;
    size_t max = r->line_max ? r->line_max : KVM_QMP_LINE_MAX;
    for (;;) {
        /* A peer that floods us with short lines is read a buffer at a
         * time: the caller takes the lines out, then calls again. */
        if (got && r->len >= max)
            return 1;
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return got ? 1 : 0;
        if (n <= 0)
            return got ? 1 : -1; /* report the data first; the end comes next call */
        got = true;
        for (ssize_t i = 0; i < n;) {
            char *nl = memchr(chunk + i, '\n', (size_t)(n - i));
            size_t take = nl ? (size_t)(nl - (chunk + i)) + 1 : (size_t)(n - i);
            if (!take_piece(r, chunk + i, take, nl != NULL))
                return -1;
            i += (ssize_t)take;
        }
    }
}

int qmp_io_next_line(qmp_reader *r, char **line, size_t *len)
{
    char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
    if (!nl)
        return 0;
    size_t n = (size_t)(nl - r->buf);
    size_t used = n + 1;
    if (n > 0 && r->buf[n - 1] == '\r')
        n--;
    char *out = kvm_alloc(n + 1);
    if (!out)
        return -1;
    memcpy(out, r->buf, n);
    out[n] = '\0';
    memmove(r->buf, r->buf + used, r->len - used);
    r->len -= used;
    *line = out;
    *len = n;
    return 1;
}

void qmp_io_reader_free(qmp_reader *r)
{
    kvm_free(r->buf);
    memset(r, 0, sizeof(*r));
}

int qmp_io_wait_readable(int fd, int fd2, unsigned int timeout_ms)
{
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = fd2, .events = POLLIN } };
    uint64_t deadline = kvm_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        uint64_t now = kvm_now_ns();
        int left = now >= deadline ? 0 : (int)((deadline - now + 999999u) / 1000000u);
        int rc = poll(p, fd2 >= 0 ? 2 : 1, left);
        if (rc < 0 && errno == EINTR)
            continue;
        return rc < 0 ? -1 : rc > 0 ? 1 : 0;
    }
}

int qmp_io_write_all(int fd, const char *data, size_t len, unsigned int timeout_ms)
{
    uint64_t deadline = kvm_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uint64_t now = kvm_now_ns();
            if (now >= deadline)
                return kvm_error(VMHI_E_TIMEOUT, "kvm: QEMU did not read its QMP socket "
                                 "within %u ms (is it hung?)", timeout_ms);
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
            continue;
        }
        return kvm_error_native(VMHI_E_CONNECTION, "errno", "kvm: cannot write to QMP: %s",
                                strerror(errno));
    }
    return VMHI_OK;
}

int qmp_io_write_fd(int fd, const char *data, size_t len, int passfd, unsigned int timeout_ms)
{
    /* The descriptor rides on the first bytes of the command; QEMU queues
     * it and getfd takes it. */
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                          .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
    uint64_t deadline = kvm_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n > 0)
            return qmp_io_write_all(fd, data + n, len - (size_t)n, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        uint64_t now = kvm_now_ns();
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && now < deadline) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return kvm_error(VMHI_E_TIMEOUT, "kvm: QEMU did not read its QMP socket within "
                             "%u ms (is it hung?)", timeout_ms);
        return kvm_error_native(VMHI_E_CONNECTION, "errno", "kvm: cannot pass a file to QMP: "
                                "%s", n < 0 ? strerror(errno) : "nothing was sent");
    }
}
