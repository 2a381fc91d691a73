/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Small helpers of the ESX backend: text buffers with XML escaping,
 * errors through the core's services, memory through the core's hooks, clocks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esx.h"

/* ------------------------------------------------------------- buffers */

void esx_buf_init(esx_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void esx_buf_free(esx_buf *b)
{
    esx_free(b->data);
    esx_buf_init(b);
}

void esx_buf_reset(esx_buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool buf_reserve(esx_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *grown = esx_core->alloc(cap);
    if (!grown) {
        b->oom = true;
        return false;
    }
    if (b->len)
        memcpy(grown, b->data, b->len);
    grown[b->len] = '\0';
    esx_free(b->data);
    b->data = grown;
    b->cap = cap;
    return true;
}

void esx_buf_addn(esx_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void esx_buf_add(esx_buf *b, const char *s)
{
    esx_buf_addn(b, s, strlen(s));
}

void esx_buf_addf(esx_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        esx_buf_addn(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void esx_buf_add_escaped(esx_buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: break;
        }
        if (!rep)
            continue;
        esx_buf_addn(b, run, (size_t)(s - run));
        esx_buf_add(b, rep);
        run = s + 1;
    }
    esx_buf_addn(b, run, (size_t)(s - run));
}

void esx_buf_elem(esx_buf *b, const char *name, const char *text)
{
    esx_buf_addf(b, "<%s>", name);
    esx_buf_add_escaped(b, text);
    esx_buf_addf(b, "</%s>", name);
}

void esx_buf_elemf(esx_buf *b, const char *name, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    esx_buf_elem(b, name, text);
}

void esx_buf_moref(esx_buf *b, const char *name, const char *type, const char *value)
{
    esx_buf_addf(b, "<%s type=\"", name);
    esx_buf_add_escaped(b, type);
    esx_buf_add(b, "\">");
    esx_buf_add_escaped(b, value);
    esx_buf_addf(b, "</%s>", name);
}

/* -------------------------------------------------------------- errors */

int esx_error_native(int code, const char *native, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = esx_core->set_error_v(code, native, fmt, ap);
    va_end(ap);
    return rc;
}

int esx_slot_end(int rc)
{
    if (rc == VMHI_OK) {
        vmhi_error_clear(); /* failures on the way (a lookup that missed) do not count */
        return rc;
    }
    /* A failure whose own report was lost says at least what failed. */
    if (rc < 0 && vmhi_error_last_code() != rc)
        return esx_core->set_error(rc, NULL, "esx: the operation failed (%s)", vmhi_strerror(rc));
    return rc;
}

vmhi_saved_error *esx_error_hold(int rc)
{
    return rc < 0 ? esx_core->error_save() : NULL;
}

int esx_error_resume(int rc, vmhi_saved_error *held)
{
    if (rc >= 0) {
        esx_core->error_discard(held);
        return rc;
    }
    /* Out of memory for the copy: the code still tells what failed. */
    int kept = esx_core->error_restore(held);
    return held ? rc : kept;
}

/* -------------------------------------------------------------- memory */

void *esx_alloc(size_t size)
{
    void *p = esx_core->alloc(size ? size : 1);
    if (!p) {
        esx_error(VMHI_E_NOMEM, "esx: out of memory");
        return NULL;
    }
    memset(p, 0, size ? size : 1);
    return p;
}

void esx_free(void *ptr)
{
    if (ptr)
        esx_core->dealloc(ptr);
}

char *esx_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = esx_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void esx_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* -------------------------------------------------------------- clocks */

uint64_t esx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void esx_sleep_ms(unsigned int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}
