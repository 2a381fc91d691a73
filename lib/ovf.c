/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The OVF package: the VM descriptions an import produced and its report.
 * A report line is how an import says what it did not do; with
 * VMHI_OVF_STRICT the first such line becomes the import's error instead.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ovf_internal.h"

int vmhi__ovf_package_new(vmhi_ovf_package **out)
{
    *out = vmhi__calloc(1, sizeof(**out));
    return *out ? VMHI_OK : vmhi__error_oom();
}

void vmhi_ovf_package_free(vmhi_ovf_package *pkg)
{
    if (!pkg)
        return;
    for (size_t i = 0; i < pkg->vm_count; i++)
        vmhi_vm_config_free(pkg->vms[i]);
    for (size_t i = 0; i < pkg->line_count; i++)
        vmhi__free(pkg->lines[i].message);
    for (size_t i = 0; i < pkg->href_count; i++)
        vmhi__free(pkg->hrefs[i]);
    for (size_t i = 0; i < pkg->manifest_count; i++)
        vmhi__free(pkg->manifest[i].name);
    vmhi__free(pkg->vms);
    vmhi__free(pkg->lines);
    vmhi__free(pkg->disk_dir);
    vmhi__free(pkg->src_dir);
    vmhi__free(pkg->archive);
    vmhi__free(pkg->members);
    vmhi__free(pkg->hrefs);
    vmhi__free(pkg->manifest);
    for (size_t i = 0; i < pkg->written_count; i++)
        vmhi__free(pkg->written[i]); /* kept on disk: the defined VMs use them */
    vmhi__free(pkg->written);
    vmhi__free(pkg);
}

unsigned vmhi__ovf_line_of(const xmlNode *node)
{
    long l = node ? xmlGetLineNo(node) : -1;
    return l > 0 ? (unsigned)l : 0;
}

int vmhi__ovf_fail(const xmlNode *node, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    unsigned line = vmhi__ovf_line_of(node);
    if (line)
        return vmhi__error_parse(line, 0, "OVF line %u: %s", line, msg);
    return vmhi__error_parse(0, 0, "OVF: %s", msg);
}

static int add_linev(vmhi_ovf_package *pkg, vmhi_ovf_report_kind kind, unsigned line, size_t vm,
                     const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (vmhi__array_reserve(&pkg->lines, &pkg->line_cap, pkg->line_count, sizeof(pkg->lines[0])))
        return vmhi__error_oom();
    char *copy = vmhi__strdup(msg);
    if (!copy)
        return vmhi__error_oom();
    pkg->lines[pkg->line_count++] = (vmhi__ovf_line){ kind, line, vm, copy };
    return VMHI_OK;
}

int vmhi__ovf_add_line(vmhi_ovf_package *pkg, vmhi_ovf_report_kind kind, unsigned line,
                       size_t vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_linev(pkg, kind, line, vm, fmt, ap);
    va_end(ap);
    return rc;
}

int vmhi__ovf_note(vmhi__ovf_ctx *ctx, vmhi_ovf_report_kind kind, const xmlNode *node,
                   const char *fmt, ...)
{
    unsigned line = vmhi__ovf_line_of(node);
    va_list ap;
    va_start(ap, fmt);
    int rc;
    if (ctx->strict && kind == VMHI_OVF_REPORT_UNHONOURED) {
        char msg[400];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        rc = vmhi__error(VMHI_E_UNSUPPORTED, "OVF line %u: %s (strict import)", line, msg);
    } else {
        rc = add_linev(ctx->pkg, kind, line, ctx->vm, fmt, ap);
    }
    va_end(ap);
    return rc;
}

int vmhi__ovf_add_href(vmhi_ovf_package *pkg, const char *href)
{
    if (vmhi__array_reserve(&pkg->hrefs, &pkg->href_cap, pkg->href_count, sizeof(pkg->hrefs[0])))
        return vmhi__error_oom();
    if (!(pkg->hrefs[pkg->href_count] = vmhi__strdup(href)))
        return vmhi__error_oom();
    pkg->href_count++;
    return VMHI_OK;
}

int vmhi__ovf_add_vm(vmhi_ovf_package *pkg, vmhi_vm_config *cfg)
{
    if (pkg->vm_count >= VMHI__OVF_VMS_MAX)
        return vmhi__error(VMHI_E_LIMIT, "an OVF envelope may describe at most %d VMs",
                           VMHI__OVF_VMS_MAX);
    if (vmhi__array_reserve(&pkg->vms, &pkg->vm_cap, pkg->vm_count, sizeof(pkg->vms[0])))
        return vmhi__error_oom();
    pkg->vms[pkg->vm_count++] = cfg;
    return VMHI_OK;
}

size_t vmhi_ovf_package_get_vm_count(const vmhi_ovf_package *pkg)
{
    return pkg ? pkg->vm_count : 0;
}

const vmhi_vm_config *vmhi_ovf_package_get_vm(const vmhi_ovf_package *pkg, size_t index)
{
    return pkg && index < pkg->vm_count ? pkg->vms[index] : NULL;
}

size_t vmhi_ovf_package_get_report_count(const vmhi_ovf_package *pkg)
{
    return pkg ? pkg->line_count : 0;
}

int vmhi_ovf_package_get_report(const vmhi_ovf_package *pkg, size_t index,
                                vmhi_ovf_report_kind *kind, unsigned *line, size_t *vm,
                                const char **message)
{
    vmhi__error_reset();
    if (!pkg)
        return vmhi__error(VMHI_E_INVALID_ARG, "package is NULL");
    if (index >= pkg->line_count)
        return vmhi__error(VMHI_E_INVALID_ARG, "report line %zu is out of range (%zu lines)",
                           index, pkg->line_count);
    const vmhi__ovf_line *l = &pkg->lines[index];
    if (kind)
        *kind = l->kind;
    if (line)
        *line = l->line;
    if (vm)
        *vm = l->vm;
    if (message)
        *message = l->message;
    return VMHI_OK;
}

void vmhi__ovf_progress(vmhi_progress_cb cb, void *userdata, const char *operation,
                        uint64_t done, uint64_t total, int *last)
{
    int percent = total ? (int)(done * 100 / total) : 100;
    if (!cb || (last && percent == *last))
        return;
    if (last)
        *last = percent;
    cb(operation, percent, userdata);
}
