/*
 * The core services the ESX unit tests give the module's layers when they
 * are linked without the core's dispatch: errors only return their code,
 * memory is malloc's, events are counted in esx_fake_events.  Call
 * esx_fake_core_setup() from a checked fixture.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_ESX_FAKE_CORE_H
#define VMHI_ESX_FAKE_CORE_H

#include <stdarg.h>
#include <stdlib.h>

#include "esx.h"

static size_t esx_fake_events;

static int fake_set_error(int code, const char *native, const char *fmt, ...)
{
    (void)native;
    (void)fmt;
    return code;
}

static int fake_set_error_v(int code, const char *native, const char *fmt, va_list ap)
{
    (void)native;
    (void)fmt;
    (void)ap;
    return code;
}

static void *fake_alloc(size_t n)
{
    return malloc(n);
}

static void fake_free(void *p)
{
    free(p);
}

static void fake_emit(vmhi_conn *conn, const vmhi_backend_event *ev)
{
    (void)conn;
    (void)ev;
    esx_fake_events++;
}

static vmhi_core_services esx_fake_core = { .set_error = fake_set_error,
                                            .alloc = fake_alloc,
                                            .dealloc = fake_free,
                                            .set_error_v = fake_set_error_v,
                                            .emit_event = fake_emit };

static inline void esx_fake_core_setup(void)
{
    esx_core = &esx_fake_core;
    esx_fake_events = 0;
}

#endif
