/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Validation of names, ids, UUIDs and MACs, shared by every layer so that
 * a rule is written once.  Messages say what is wrong and what is allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

size_t vmhi__strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

char *vmhi__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    char *buf = vmhi__malloc((size_t)len + 1);
    if (!buf)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return buf;
}

uint64_t vmhi__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vmhi__sleep_ms(unsigned int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ; /* EINTR: sleep the rest */
}

/* Length of the UTF-8 sequence starting at s, or 0 if it is malformed
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) { n = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 4; cp = c & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_for_length[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int vmhi__check_name(const char *name)
{
    if (!name)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name is NULL");
    size_t len = strlen(name);
    if (len == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name is empty");
    if (len > VMHI_NAME_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name is %zu bytes long; at most %d allowed",
                           len, VMHI_NAME_MAX);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name must not be \".\" or \"..\"");
    if (name[0] == '.' || name[0] == '-')
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name must not start with '%c'", name[0]);
    if (name[0] == ' ' || name[len - 1] == ' ')
        return vmhi__error(VMHI_E_INVALID_ARG, "VM name must not start or end with a space");
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/')
            return vmhi__error(VMHI_E_INVALID_ARG, "VM name must not contain '/' (byte %zu)", i);
        if (c < 0x20 || c == 0x7f)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "VM name must not contain control characters (0x%02x at byte %zu)",
                               c, i);
        size_t n = utf8_sequence_length((const unsigned char *)name + i);
        if (n == 0)
            return vmhi__error(VMHI_E_INVALID_ARG, "VM name is not valid UTF-8 (byte %zu)", i);
        i += n;
    }
    return VMHI_OK;
}

int vmhi__check_device_id(const char *id)
{
    if (!id)
        return vmhi__error(VMHI_E_INVALID_ARG, "device id is NULL");
    size_t len = strlen(id);
    if (len == 0 || len > VMHI_DEVICE_ID_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "device id must be 1-%d characters, got %zu",
                           VMHI_DEVICE_ID_MAX, len);
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "device id may hold only letters, digits, '-' and '_' (byte %zu)",
                               i);
    }
    return VMHI_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vmhi__uuid_normalize(const char *in, char out[VMHI_UUID_STRLEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    if (!in)
        return vmhi__error(VMHI_E_INVALID_ARG, "UUID is NULL");
    if (strlen(in) != VMHI_UUID_STRLEN)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "UUID must be 36 characters (8-4-4-4-12 hex digits)");
    for (size_t i = 0; i < VMHI_UUID_STRLEN; i++) {
        bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_pos) {
            if (in[i] != '-')
                return vmhi__error(VMHI_E_INVALID_ARG, "UUID needs '-' at position %zu", i + 1);
            out[i] = '-';
            continue;
        }
        int v = hex_value(in[i]);
        if (v < 0)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "UUID has a non-hex character at position %zu", i + 1);
        out[i] = hex[v];
    }
    out[VMHI_UUID_STRLEN] = '\0';
    return VMHI_OK;
}

void vmhi__uuid_generate(char out[VMHI_UUID_STRLEN + 1])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, VMHI_UUID_STRLEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

int vmhi__mac_normalize(const char *in, char out[18])
{
    static const char hex[] = "0123456789abcdef";
    if (!in)
        return vmhi__error(VMHI_E_INVALID_ARG, "MAC address is NULL");
    if (strlen(in) != 17)
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "MAC address must look like 52:54:00:12:34:56");
    for (size_t i = 0; i < 17; i++) {
        if (i % 3 == 2) {
            if (in[i] != ':')
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "MAC address must look like 52:54:00:12:34:56");
            out[i] = ':';
            continue;
        }
        int v = hex_value(in[i]);
        if (v < 0)
            return vmhi__error(VMHI_E_INVALID_ARG, "MAC address has a non-hex character");
        out[i] = hex[v];
    }
    out[17] = '\0';
    if (hex_value(out[1]) & 1)
        return vmhi__error(VMHI_E_INVALID_ARG, "MAC address %s is multicast; use a unicast one",
                           out);
    return VMHI_OK;
}
