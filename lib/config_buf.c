/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Small text helpers for the config codecs: a growing output buffer that
 * remembers allocation failure (so a serializer checks once, at the end),
 * byte offset -> line/column, and strict unsigned number parsing.
 */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

static bool buf_reserve(vmhi__buf *buf, size_t extra)
{
    if (buf->failed)
        return false;
    if (extra < buf->cap - buf->len)
        return true;
    size_t cap = buf->cap ? buf->cap : 1024;
    while (cap - buf->len <= extra) {
        if (cap > SIZE_MAX / 2) {
            buf->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = vmhi__realloc(buf->data, cap);
    if (!data) {
        buf->failed = true;
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

void vmhi__buf_append(vmhi__buf *buf, const char *s, size_t len)
{
    if (!buf_reserve(buf, len))
        return;
    memcpy(buf->data + buf->len, s, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void vmhi__buf_puts(vmhi__buf *buf, const char *s)
{
    vmhi__buf_append(buf, s, strlen(s));
}

void vmhi__buf_printf(vmhi__buf *buf, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        vmhi__buf_append(buf, small, (size_t)n);
        return;
    }
    if (!buf_reserve(buf, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
}

void vmhi__buf_indent(vmhi__buf *buf, unsigned level)
{
    static const char spaces[] = "                ";
    size_t want = (size_t)level * 2;
    while (want > 0) {
        size_t n = want < sizeof(spaces) - 1 ? want : sizeof(spaces) - 1;
        vmhi__buf_append(buf, spaces, n);
        want -= n;
    }
}

int vmhi__buf_finish(vmhi__buf *buf, char **out)
{
    if (!buf_reserve(buf, 0)) {
        vmhi__buf_discard(buf);
        return vmhi__error_oom();
    }
    *out = buf->data;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return VMHI_OK;
}

void vmhi__buf_discard(vmhi__buf *buf)
{
    vmhi__free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->failed = false;
}

void vmhi__text_location(const char *text, size_t len, size_t offset, unsigned *line,
                         unsigned *column)
{
    unsigned l = 1, c = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xc0) != 0x80) {
            c++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *column = c;
}

size_t vmhi__text_bom_length(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

static bool is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool vmhi__parse_u64(const char *s, bool trim, uint64_t *out)
{
    if (trim)
        while (is_xml_space(*s))
            s++;
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    if (trim)
        while (is_xml_space(*s))
            s++;
    if (*s != '\0')
        return false;
    *out = v;
    return true;
}

void vmhi__buf_put_xml_escaped(vmhi__buf *buf, const char *s)
{
    for (const char *run = s;; s++) {
        const char *entity = NULL;
        switch (*s) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\n': entity = "&#10;"; break; /* kept through attribute normalization */
        case '\t': entity = "&#9;"; break;
        case '\0': break;
        default: continue;
        }
        vmhi__buf_append(buf, run, (size_t)(s - run));
        if (!entity)
            return;
        vmhi__buf_puts(buf, entity);
        run = s + 1;
    }
}
