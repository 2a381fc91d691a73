/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ustar subset an .ova needs (DSP0243 5.3: a POSIX tar whose first
 * member is the descriptor).  Reading checks every header's checksum,
 * takes sizes in octal or GNU base-256, names from prefix+name, a pax
 * "path"/"size" record or a GNU long name, and bounds everything: member
 * count, name length, extended header size.  Writing emits plain ustar.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ovf_internal.h"

#define BLOCK 512
#define EXT_MAX (64u * 1024u)

static bool read_at(int fd, uint64_t off, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

static bool octal(const unsigned char *p, size_t len, uint64_t *out)
{
    if (p[0] & 0x80) { /* GNU base-256 */
        if (p[0] != 0x80)
            return false;
        uint64_t v = 0;
        for (size_t i = 1; i < len; i++) {
            if (v >> 55)
                return false;
            v = (v << 8) | p[i];
        }
        *out = v;
        return true;
    }
    uint64_t v = 0;
    size_t i = 0;
    while (i < len && p[i] == ' ')
        i++;
    bool digits = false;
    for (; i < len && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(p[i] - '0');
        digits = true;
    }
    for (; i < len; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return false;
    *out = v;
    return digits;
}

static bool checksum_ok(const unsigned char *h)
{
    uint64_t want;
    if (!octal(h + 148, 8, &want))
        return false;
    uint64_t sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum == want;
}

static bool all_zero(const unsigned char *h)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (h[i])
            return false;
    return true;
}

static void field(char *dst, size_t cap, const unsigned char *src, size_t len)
{
    size_t n = strnlen((const char *)src, len);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Applies the "path" and "size" records of a pax extended header. */
static void pax_records(char *text, size_t len, char *path, size_t path_cap, uint64_t *size,
                        bool *has_size)
{
    size_t off = 0;
    while (off < len) {
        char *end;
        unsigned long rec = strtoul(text + off, &end, 10);
        /* The record must hold its own "<length> " and the newline. */
        if (rec == 0 || *end != ' ' || rec > len - off ||
            (size_t)(end - (text + off)) + 2 > rec)
            return;
        char *kv = end + 1, *stop = text + off + rec - 1; /* the record's '\n' */
        char *eq = memchr(kv, '=', (size_t)(stop - kv));
        if (eq && *stop == '\n') {
            *stop = '\0';
            if ((size_t)(eq - kv) == 4 && strncmp(kv, "path", 4) == 0)
                vmhi__strlcpy(path, eq + 1, path_cap);
            else if ((size_t)(eq - kv) == 4 && strncmp(kv, "size", 4) == 0)
                *has_size = vmhi__ovf_parse_u64(eq + 1, size);
        }
        off += rec;
    }
}

static int damaged(uint64_t off, const char *what)
{
    return vmhi__error(VMHI_E_IO, "the .ova archive is damaged at byte %llu: %s",
                       (unsigned long long)off, what);
}

int vmhi__tar_list(int fd, vmhi__tar_member *members, size_t max, size_t *count)
{
    unsigned char h[BLOCK];
    uint64_t off = 0;
    char next_name[256] = "";
    uint64_t next_size = 0;
    bool has_next_size = false;
    *count = 0;
    for (;;) {
        if (!read_at(fd, off, h, BLOCK))
            return *count ? VMHI_OK : damaged(off, "no end-of-archive block");
        if (all_zero(h))
            return VMHI_OK;
        if (!checksum_ok(h))
            return damaged(off, "header checksum mismatch (not a tar archive?)");
        if (memcmp(h + 257, "ustar", 5) != 0)
            return damaged(off, "not a ustar header");
        uint64_t size;
        if (!octal(h + 124, 12, &size) || size > ((uint64_t)1 << 62))
            return damaged(off, "bad member size");
        char type = (char)h[156];
        if (type == 'x' || type == 'L') {
            if (size > EXT_MAX)
                return damaged(off, "extended header too large");
            char *text = vmhi__malloc((size_t)size + 1);
            if (!text)
                return vmhi__error_oom();
            if (!read_at(fd, off + BLOCK, text, (size_t)size)) {
                vmhi__free(text);
                return damaged(off, "truncated extended header");
            }
            text[size] = '\0';
            if (type == 'L')
                vmhi__strlcpy(next_name, text, sizeof(next_name));
            else
                pax_records(text, (size_t)size, next_name, sizeof(next_name), &next_size,
                            &has_next_size);
            vmhi__free(text);
        } else if (type == '0' || type == '\0' || type == '7') {
            if (*count >= max)
                return vmhi__error(VMHI_E_LIMIT, "the .ova holds more than %zu files", max);
            vmhi__tar_member *m = &members[(*count)++];
            if (next_name[0]) {
                vmhi__strlcpy(m->name, next_name, sizeof(m->name));
            } else {
                char name[101], prefix[156];
                field(name, sizeof(name), h, 100);
                field(prefix, sizeof(prefix), h + 345, 155);
                /* Checked: the ustar fields fit (155 + 1 + 100), a longer
                 * name (GNU 'L', pax path) came above. */
                int len = snprintf(m->name, sizeof(m->name), "%s%s%s", prefix,
                                   prefix[0] ? "/" : "", name);
                if (len < 0 || (size_t)len >= sizeof(m->name))
                    return vmhi__error(VMHI_E_PARSE, "a member name of the .ova is too long");
            }
            if (has_next_size)
                size = next_size;
            m->size = size;
            m->offset = off + BLOCK;
            next_name[0] = '\0';
            has_next_size = false;
        } else {
            next_name[0] = '\0';
            has_next_size = false;
        }
        uint64_t blocks = (size + BLOCK - 1) / BLOCK;
        if (blocks > (UINT64_MAX - off) / BLOCK - 1)
            return damaged(off, "member size overflows");
        off += BLOCK + blocks * BLOCK;
    }
}

void vmhi__tar_header(unsigned char h[512], const char *name, uint64_t size)
{
    memset(h, 0, BLOCK);
    vmhi__strlcpy((char *)h, name, 100);
    memcpy(h + 100, "0000600", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    if (size < ((uint64_t)1 << 33)) {
        snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    } else { /* GNU base-256, which the reader takes too */
        h[124] = 0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    }
    memcpy(h + 136, "00000000000", 12);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

void vmhi__tar_add(vmhi__buf *buf, const char *name, const char *data, size_t len)
{
    unsigned char h[BLOCK];
    vmhi__tar_header(h, name, len);
    vmhi__buf_append(buf, (const char *)h, BLOCK);
    vmhi__buf_append(buf, data, len);
    static const char zeros[BLOCK] = { 0 };
    if (len % BLOCK)
        vmhi__buf_append(buf, zeros, BLOCK - len % BLOCK);
}

void vmhi__tar_finish(vmhi__buf *buf)
{
    static const char zeros[2 * BLOCK] = { 0 };
    vmhi__buf_append(buf, zeros, sizeof(zeros));
}
