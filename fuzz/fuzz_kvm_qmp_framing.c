/*
 * libFuzzer target: the QMP line reader (qmp_io.c) over a socket, fed the
 * input in chunks whose size the input's first byte chooses (1: a byte at
 * a time, 0: 4 KiB); the second byte sets the line limit (16 + its value,
 * so that fuzz inputs reach it; 255: the real KVM_QMP_LINE_MAX).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The reader must hand out exactly the input's lines, in order, without
 * their "\n" (and one "\r" before it), except lines longer than
 * the limit, which it drops whole.  The expected lines are
 * computed here independently and compared.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_kvm_common.h"

/* The next line the reader must produce from @in[*pos..@size), or false. */
static size_t line_max;

static bool expected_line(const uint8_t *in, size_t size, size_t *pos, const uint8_t **line,
                          size_t *len)
{
    while (*pos < size) {
        const uint8_t *start = in + *pos;
        const uint8_t *nl = memchr(start, '\n', size - *pos);
        if (!nl)
            return false; /* incomplete: never handed out */
        size_t n = (size_t)(nl - start);
        *pos += n + 1;
        if (n + 1 > line_max)
            continue; /* dropped */
        if (n > 0 && start[n - 1] == '\r')
            n--;
        *line = start;
        *len = n;
        return true;
    }
    return false;
}

/* Takes every complete line out of @r and checks it against the input. */
static void drain(qmp_reader *r, const uint8_t *in, size_t size, size_t *pos)
{
    char *line;
    size_t len;
    while (qmp_io_next_line(r, &line, &len) == 1) {
        const uint8_t *want;
        size_t want_len;
        FUZZ_CHECK(expected_line(in, size, pos, &want, &want_len));
        FUZZ_CHECK(len == want_len && memcmp(line, want, len) == 0 && line[len] == '\0');
        kvm_free(line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t chunk = data[0] ? data[0] : 4096;
    line_max = data[1] == 255 ? KVM_QMP_LINE_MAX : 16u + data[1];
    const uint8_t *in = data + 2;
    size -= 2;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return 0;
    qmp_reader r = { .line_max = line_max };
    size_t sent = 0, pos = 0;
    while (sent < size) {
        size_t n = size - sent < chunk ? size - sent : chunk;
        ssize_t w = write(sv[1], in + sent, n);
        FUZZ_CHECK(w > 0);
        sent += (size_t)w;
        FUZZ_CHECK(qmp_io_fill(&r, sv[0]) == 1);
        drain(&r, in, size, &pos);
        FUZZ_CHECK(r.len == r.partial && r.partial <= line_max); /* only the line being read */
    }
    close(sv[1]);
    int rc;
    while ((rc = qmp_io_fill(&r, sv[0])) == 1)
        drain(&r, in, size, &pos);
    FUZZ_CHECK(rc == -1); /* end of stream */
    drain(&r, in, size, &pos);
    const uint8_t *want;
    size_t want_len;
    FUZZ_CHECK(!expected_line(in, size, &pos, &want, &want_len)); /* nothing was lost */
    qmp_io_reader_free(&r);
    close(sv[0]);
    return 0;
}
