/*
 * libvirt, loaded at run time, as the anchor the benchmarks compare with.
 * Only the few public libvirt calls the benchmarks need are declared,
 * from libvirt's documented API; no libvirt headers or code are used, and
 * libvirt is optional: without libvirt.so.0 the comparison is skipped.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef VMHI_BENCH_LIBVIRT_ANCHOR_H
#define VMHI_BENCH_LIBVIRT_ANCHOR_H

#include <stdbool.h>

/* virDomainInfo as documented by libvirt. */
struct lv_domain_info {
    unsigned char state;
    unsigned long max_mem;
    unsigned long memory;
    unsigned short nr_virt_cpu;
    unsigned long long cpu_time;
};

struct libvirt_api {
    void *handle;
    void *(*connect_open)(const char *name);
    int (*connect_close)(void *conn);
    void *(*domain_define_xml)(void *conn, const char *xml);
    void *(*domain_lookup_by_name)(void *conn, const char *name);
    int (*domain_get_info)(void *dom, struct lv_domain_info *info);
    int (*domain_create)(void *dom);
    int (*domain_destroy)(void *dom);
    int (*domain_undefine)(void *dom);
    int (*domain_free)(void *dom);
    int (*connect_list_all_domains)(void *conn, void ***doms, unsigned int flags);
};

/* Loads libvirt.so.0; returns false (with a reason in *why) when absent. */
bool libvirt_load(struct libvirt_api *api, const char **why);

#endif
