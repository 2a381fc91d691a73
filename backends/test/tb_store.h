/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the writer (tb_store.c) and the loader (tb_load.c) of the
 * directory store; the layout is described in tb_store.c.
 */
#ifndef VMHI_TB_STORE_H
#define VMHI_TB_STORE_H

#include "tb.h"

#define TB_STORE_TMP_PREFIX ".tmp-"
#define TB_STORE_DEF_SUFFIX ".xml"
#define TB_STORE_STATE_SUFFIX ".state"
/* Larger files are not something this backend wrote. */
#define TB_STORE_MAX_FILE (16u * 1024u * 1024u)

/* Logs through the core on behalf of the host's first connection. */
void tb_store_log(tb_host *h, int level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* "<dir>/<name>" in a new string (tb_free it); NULL when out of memory. */
char *tb_store_path(const tb_host *h, const char *name);

#endif /* VMHI_TB_STORE_H */
