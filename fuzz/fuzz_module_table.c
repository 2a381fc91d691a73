/*
 * libFuzzer target: the checks a loaded backend module's ops table must
 * pass (vmhi__backend_ops_check() in lib/module.c) before the core trusts
 * it: ABI version, declared size, name, URI schemes, open/close slots and
 * the per-connection state size.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input describes a table: its version and size words, which string
 * and function slots are set, the name and schemes (NUL-separated), the
 * private size.  The table is allocated at the size it declares (at least
 * its two leading words), so ASan sees any read past what a module
 * promised.  An accepted table is one the core can use.
 */
#include <stddef.h>

#include "core.h"
#include "fuzz_common.h"

#define SCHEMES_MAX 8

static int fake_open(vmhi_conn *conn, void *priv, const vmhi_backend_uri *uri)
{
    (void)conn;
    (void)priv;
    (void)uri;
    return VMHI_BACKEND_OPEN_DECLINED;
}

static void fake_close(void *priv)
{
    (void)priv;
}

static uint32_t take_u32(const uint8_t **p, size_t *left)
{
    uint32_t v = 0;
    for (int i = 0; i < 4 && *left; i++, (*p)++, (*left)--)
        v = v << 8 | **p;
    return v;
}

/* Sets a field only when it lies inside the declared table. */
#define SET_FIELD(ops, size, field, value)                                                   \
    do {                                                                                     \
        if (offsetof(vmhi_backend_ops, field) + sizeof((ops)->field) <= (size))              \
            (ops)->field = (value);                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size;
    uint32_t abi = take_u32(&p, &left), declared = take_u32(&p, &left);
    uint32_t slots = take_u32(&p, &left), priv = take_u32(&p, &left);
    size_t alloc = declared % (sizeof(vmhi_backend_ops) + 64);
    if (alloc < 2 * sizeof(uint32_t))
        alloc = 2 * sizeof(uint32_t);
    vmhi_backend_ops *ops = calloc(1, alloc);
    char *strings = fuzz_strndup(p, left);
    const char *schemes[SCHEMES_MAX + 1];
    if (!ops || !strings) {
        free(ops);
        free(strings);
        return 0;
    }
    /* name \0 scheme \0 scheme ... */
    size_t n = 0, pos = strlen(strings) + 1;
    while (n < SCHEMES_MAX && pos <= left && (slots & 8u)) {
        schemes[n++] = strings + pos;
        pos += strlen(strings + pos) + 1;
    }
    schemes[n] = NULL;
    ops->abi_version = abi;
    ops->struct_size = declared;
    SET_FIELD(ops, alloc, name, slots & 1u ? strings : NULL);
    SET_FIELD(ops, alloc, schemes, slots & 2u ? schemes : NULL);
    SET_FIELD(ops, alloc, open, slots & 4u ? fake_open : NULL);
    SET_FIELD(ops, alloc, close, slots & 16u ? fake_close : NULL);
    SET_FIELD(ops, alloc, conn_priv_size, slots & 32u ? (size_t)priv << (slots >> 28) : 0);
    if (alloc < declared)
        ops->struct_size = (uint32_t)alloc; /* what was really allocated */
    if (vmhi__backend_ops_check(ops, "fuzz module") == VMHI_OK) {
        FUZZ_CHECK(ops->abi_version >> 16 == VMHI_BACKEND_ABI_MAJOR);
        FUZZ_CHECK(ops->struct_size >= VMHI_BACKEND_OPS_SIZE_1_0);
        FUZZ_CHECK(ops->name && ops->name[0] && ops->schemes && ops->schemes[0]);
        FUZZ_CHECK(ops->open && ops->close && ops->conn_priv_size <= (16u << 20));
    } else {
        FUZZ_CHECK(vmhi_error_last_code() == VMHI_E_MODULE);
    }
    vmhi__error_reset();
    free(ops);
    free(strings);
    return 0;
}
