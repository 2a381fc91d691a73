/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The compute scope of a connection: where VMs are listed and created.
 *
 *   esx://host/                       the host's whole inventory
 *   vpx://vcenter/                    every VM of the vCenter; new VMs go
 *                                     to its first datacenter and cluster
 *   vpx://vcenter/<dc>                the datacenter
 *   vpx://vcenter/<dc>/<cluster>      a cluster or standalone host
 *   vpx://vcenter/<dc>/<cluster>/<host>   one host of a cluster
 *
 * Paths are resolved with SearchIndex.FindByInventoryPath (<dc>/host/...),
 * then the datacenter's VM folder, a resource pool, a host and the first
 * datastore are read for CreateVM_Task.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

/* Reads a ManagedObjectReference property; "" when unset. */
static int read_ref(esx_conn *c, const char *type, const char *moref, const char *path,
                    char *out_type, size_t type_size, char *out, size_t size)
{
    const char *paths[] = { path, NULL };
    esx_reply r;
    int rc = esx_read_props(c, type, moref, paths, &r);
    if (rc < 0)
        return rc;
    const xmlNode *val = esx_reply_prop(&r, path);
    const xmlNode *item = esx_xml_first_element(val);
    if (item) /* an ArrayOfManagedObjectReference: take the first */
        val = item;
    esx_xml_text(val, out, size);
    if (out_type) {
        xmlChar *t = val ? xmlGetProp(val, (const xmlChar *)"type") : NULL;
        esx_copy(out_type, type_size, t ? (const char *)t : "");
        xmlFree(t);
    }
    esx_reply_free(&r);
    return VMHI_OK;
}

static int read_text(esx_conn *c, const char *type, const char *moref, const char *path,
                     char *out, size_t size)
{
    return read_ref(c, type, moref, path, NULL, 0, out, size);
}

/* The first child of @folder (recursively through folders) of @want type. */
static int first_child_of_type(esx_conn *c, const char *folder, const char *want, char *out,
                               size_t size, int depth)
{
    const char *paths[] = { "childEntity", NULL };
    esx_reply r;
    out[0] = '\0';
    int rc = esx_read_props(c, "Folder", folder, paths, &r);
    if (rc < 0)
        return rc;
    char sub[ESX_MOREF_MAX + 1] = "";
    for (const xmlNode *n = esx_xml_first_element(esx_reply_prop(&r, "childEntity")); n;
         n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"type");
        bool match = t && strcmp((const char *)t, want) == 0;
        bool is_folder = t && strcmp((const char *)t, "Folder") == 0;
        xmlFree(t);
        if (match) {
            esx_xml_text(n, out, size);
            break;
        }
        if (is_folder && !sub[0])
            esx_xml_text(n, sub, sizeof(sub));
    }
    esx_reply_free(&r);
    if (!out[0] && sub[0] && depth < 8)
        return first_child_of_type(c, sub, want, out, size, depth + 1);
    return VMHI_OK;
}

static int find_by_path(esx_conn *c, const char *path, char *type, size_t type_size, char *out,
                        size_t size)
{
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "FindByInventoryPath", "SearchIndex", c->refs.search_index);
    esx_buf_elem(&b, "inventoryPath", path);
    esx_soap_end(&b, "FindByInventoryPath");
    esx_reply r;
    int rc = esx_call(c, "FindByInventoryPath", &b, &r);
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    const xmlNode *ret = esx_xml_child(r.result, "returnval");
    esx_xml_text(ret, out, size);
    xmlChar *t = ret ? xmlGetProp(ret, (const xmlChar *)"type") : NULL;
    esx_copy(type, type_size, t ? (const char *)t : "");
    xmlFree(t);
    esx_reply_free(&r);
    return VMHI_OK;
}

/* Resolves "/<dc>[/<compute path>]" of a vpx:// URI. */
static int resolve_vpx_path(esx_conn *c, const char *path)
{
    esx_refs *r = &c->refs;
    while (*path == '/')
        path++;
    char dc[256];
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    if (n >= sizeof(dc))
        return esx_error(VMHI_E_INVALID_ARG, "esx: datacenter name in the URI is too long");
    memcpy(dc, path, n);
    dc[n] = '\0';
    char type[32];
    int rc = find_by_path(c, dc, type, sizeof(type), r->datacenter, sizeof(r->datacenter));
    if (rc < 0)
        return rc;
    if (!r->datacenter[0] || strcmp(type, "Datacenter") != 0)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %s has no datacenter '%s' (the URI path is "
                         "/<datacenter>/<cluster-or-host>)", c->opts.host, dc);
    const char *rest = slash ? slash + 1 : "";
    while (*rest == '/')
        rest++;
    if (!*rest) {
        esx_copy(r->scope_type, sizeof(r->scope_type), "Datacenter");
        esx_copy(r->scope, sizeof(r->scope), r->datacenter);
        return VMHI_OK;
    }
    char full[768];
    snprintf(full, sizeof(full), "%s/host/%s", dc, rest);
    size_t len = strlen(full);
    while (len && full[len - 1] == '/')
        full[--len] = '\0';
    rc = find_by_path(c, full, r->scope_type, sizeof(r->scope_type), r->scope,
                      sizeof(r->scope));
    if (rc < 0)
        return rc;
    if (!r->scope[0] || !(strcmp(r->scope_type, "ClusterComputeResource") == 0 ||
                          strcmp(r->scope_type, "ComputeResource") == 0 ||
                          strcmp(r->scope_type, "HostSystem") == 0))
        return esx_error(VMHI_E_INVALID_ARG, "esx: '%s' in datacenter '%s' is not a cluster "
                         "or host of %s", rest, dc, c->opts.host);
    return VMHI_OK;
}

/* Reads the datacenter's datastores: names and mount points. */
static int read_datastores(esx_conn *c)
{
    static const char *const paths[] = { "datastore", NULL };
    esx_refs *r = &c->refs;
    esx_reply list;
    int rc = esx_read_props(c, "Datacenter", r->datacenter, paths, &list);
    if (rc < 0)
        return rc;
    r->ndatastores = 0;
    for (const xmlNode *n = esx_xml_first_element(esx_reply_prop(&list, "datastore"));
         n && rc == VMHI_OK && r->ndatastores < sizeof(r->datastores) / sizeof(r->datastores[0]);
         n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        char ds[ESX_MOREF_MAX + 1], url[512];
        struct esx_datastore *d = &r->datastores[r->ndatastores];
        esx_xml_text(n, ds, sizeof(ds));
        rc = read_text(c, "Datastore", ds, "name", d->name, sizeof(d->name));
        if (rc == VMHI_OK)
            rc = read_text(c, "Datastore", ds, "summary.url", url, sizeof(url));
        if (rc == VMHI_OK) {
            esx_copy(d->path, sizeof(d->path), strncmp(url, "ds://", 5) == 0 ? url + 5 : url);
            r->ndatastores++;
        } else if (rc == VMHI_E_NO_VM) {
            rc = VMHI_OK; /* listed but gone (the simulator keeps a stale one) */
        }
    }
    esx_reply_free(&list);
    if (rc == VMHI_OK && r->ndatastores && !r->datastore[0])
        esx_copy(r->datastore, sizeof(r->datastore), r->datastores[0].name);
    return rc;
}

/* Finds the host, pool and datastore new VMs of this scope use. */
static int resolve_placement(esx_conn *c)
{
    esx_refs *r = &c->refs;
    char compute[ESX_MOREF_MAX + 1], ctype[40], ds[ESX_MOREF_MAX + 1];
    int rc = VMHI_OK;
    if (!r->datacenter[0])
        rc = first_child_of_type(c, r->root_folder, "Datacenter", r->datacenter,
                                 sizeof(r->datacenter), 0);
    if (rc == VMHI_OK && !r->datacenter[0])
        return esx_error(VMHI_E_BACKEND, "esx: %s has no datacenter", c->opts.host);
    if (rc == VMHI_OK)
        rc = read_text(c, "Datacenter", r->datacenter, "vmFolder", r->vm_folder,
                       sizeof(r->vm_folder));
    if (rc < 0)
        return rc;
    if (strcmp(r->scope_type, "HostSystem") == 0) {
        esx_copy(r->host, sizeof(r->host), r->scope);
        rc = read_ref(c, "HostSystem", r->host, "parent", ctype, sizeof(ctype), compute,
                      sizeof(compute));
    } else if (strcmp(r->scope_type, "ClusterComputeResource") == 0 ||
               strcmp(r->scope_type, "ComputeResource") == 0) {
        esx_copy(compute, sizeof(compute), r->scope);
        esx_copy(ctype, sizeof(ctype), r->scope_type);
    } else {
        char host_folder[ESX_MOREF_MAX + 1];
        rc = read_text(c, "Datacenter", r->datacenter, "hostFolder", host_folder,
                       sizeof(host_folder));
        if (rc == VMHI_OK)
            rc = first_child_of_type(c, host_folder, "ClusterComputeResource", compute,
                                     sizeof(compute), 0);
        esx_copy(ctype, sizeof(ctype), "ClusterComputeResource");
        if (rc == VMHI_OK && !compute[0]) {
            rc = first_child_of_type(c, host_folder, "ComputeResource", compute,
                                     sizeof(compute), 0);
            esx_copy(ctype, sizeof(ctype), "ComputeResource");
        }
        if (rc == VMHI_OK && !compute[0])
            return esx_error(VMHI_E_BACKEND, "esx: datacenter %s has no host", r->datacenter);
    }
    if (rc == VMHI_OK)
        rc = read_text(c, ctype, compute, "resourcePool", r->pool, sizeof(r->pool));
    if (rc == VMHI_OK && !r->host[0])
        rc = read_text(c, ctype, compute, "host", r->host, sizeof(r->host));
    if (rc == VMHI_OK)
        rc = read_text(c, ctype, compute, "datastore", ds, sizeof(ds));
    if (rc == VMHI_OK && ds[0])
        rc = read_text(c, "Datastore", ds, "name", r->datastore, sizeof(r->datastore));
    if (rc == VMHI_OK)
        rc = read_datastores(c);
    return rc;
}

int esx_scope_resolve(esx_conn *c, const char *path)
{
    esx_refs *r = &c->refs;
    bool whole = !path || strspn(path, "/") == strlen(path);
    if (!c->vpx && !whole)
        return esx_error(VMHI_E_INVALID_ARG, "esx: an esx:// URI takes no path (got '%s'); for "
                         "a vCenter inventory path use vpx://", path);
    int rc = VMHI_OK;
    if (whole) {
        esx_copy(r->scope_type, sizeof(r->scope_type), "Folder");
        esx_copy(r->scope, sizeof(r->scope), r->root_folder);
    } else {
        rc = resolve_vpx_path(c, path);
    }
    if (rc == VMHI_OK)
        rc = resolve_placement(c);
    if (rc == VMHI_OK)
        esx_log(c, VMHI_LOG_DEBUG, "scope %s %s; new VMs: folder %s, pool %s, host %s, "
                "datastore [%s]", r->scope_type, r->scope, r->vm_folder, r->pool, r->host,
                r->datastore);
    return rc;
}

/* ------------------------------------------------------------ networks */

/* Reads the names of the datacenter's networks (standard and distributed
 * port groups), for the NOT_FOUND check of a NIC's network. */
static int read_networks(esx_conn *c)
{
    static const char *const paths[] = { "network", NULL };
    esx_refs *r = &c->refs;
    esx_reply list;
    int rc = esx_read_props(c, "Datacenter", r->datacenter, paths, &list);
    if (rc < 0)
        return rc;
    r->nnetworks = 0;
    for (const xmlNode *n = esx_xml_first_element(esx_reply_prop(&list, "network"));
         n && rc == VMHI_OK && r->nnetworks < sizeof(r->networks) / sizeof(r->networks[0]);
         n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        char net[ESX_MOREF_MAX + 1], type[48];
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"type");
        esx_copy(type, sizeof(type), t ? (const char *)t : "Network");
        xmlFree(t);
        esx_xml_text(n, net, sizeof(net));
        rc = read_text(c, type, net, "name", r->networks[r->nnetworks],
                       sizeof(r->networks[0]));
        if (rc == VMHI_OK)
            r->nnetworks++;
        else if (rc == VMHI_E_NO_VM)
            rc = VMHI_OK; /* listed but gone meanwhile */
    }
    esx_reply_free(&list);
    r->networks_known = rc == VMHI_OK;
    return rc;
}

static bool network_listed(const esx_refs *r, const char *name)
{
    for (size_t i = 0; i < r->nnetworks; i++)
        if (strcmp(r->networks[i], name) == 0)
            return true;
    return false;
}

int esx_network_check(esx_conn *c, const char *network)
{
    esx_refs *r = &c->refs;
    const char *name = esx_portgroup(network);
    if (r->networks_known && network_listed(r, name))
        return VMHI_OK;
    int rc = read_networks(c); /* new since the last look, or never read */
    if (rc < 0)
        return rc;
    if (network_listed(r, name))
        return VMHI_OK;
    return esx_error(VMHI_E_NOT_FOUND, "esx: datacenter %s has no network or port group "
                     "'%s'%s%s%s (name one that exists; \"default\" is \"VM Network\")",
                     r->datacenter, name, r->nnetworks ? " (networks: " : "",
                     r->nnetworks ? r->networks[0] : "",
                     r->nnetworks ? (r->nnetworks > 1 ? ", ...)" : ")") : "");
}

int esx_networks_check(esx_conn *c, const vmhi_vm_config *cfg)
{
    int rc = VMHI_OK;
    for (size_t i = 0; rc == VMHI_OK && i < vmhi_vm_config_get_nic_count(cfg); i++)
        rc = esx_network_check(c, vmhi_nic_get_network(vmhi_vm_config_get_nic(cfg, i)));
    return rc;
}
