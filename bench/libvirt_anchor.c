/*
 * SPDX-License-Identifier: Apache-2.0
 */
#include "libvirt_anchor.h"

#include <dlfcn.h>
#include <string.h>

static bool load_symbol(void *handle, const char *name, void *slot)
{
    void *sym = dlsym(handle, name);
    if (!sym)
        return false;
    memcpy(slot, &sym, sizeof(sym));
    return true;
}

bool libvirt_load(struct libvirt_api *api, const char **why)
{
    memset(api, 0, sizeof(*api));
    api->handle = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!api->handle) {
        *why = "libvirt.so.0 not installed (apt-get install libvirt0)";
        return false;
    }
    bool ok = load_symbol(api->handle, "virConnectOpen", &api->connect_open) &&
              load_symbol(api->handle, "virConnectClose", &api->connect_close) &&
              load_symbol(api->handle, "virDomainDefineXML", &api->domain_define_xml) &&
              load_symbol(api->handle, "virDomainLookupByName", &api->domain_lookup_by_name) &&
              load_symbol(api->handle, "virDomainGetInfo", &api->domain_get_info) &&
              load_symbol(api->handle, "virDomainCreate", &api->domain_create) &&
              load_symbol(api->handle, "virDomainDestroy", &api->domain_destroy) &&
              load_symbol(api->handle, "virDomainUndefine", &api->domain_undefine) &&
              load_symbol(api->handle, "virDomainFree", &api->domain_free) &&
              load_symbol(api->handle, "virConnectListAllDomains", &api->connect_list_all_domains);
    if (!ok)
        *why = "libvirt.so.0 lacks an expected symbol";
    return ok;
}
