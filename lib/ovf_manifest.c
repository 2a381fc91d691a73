/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The OVF manifest (DSP0243 5.1): one line per file of the package,
 * "SHA1(name)= hex" or "SHA256(name)= hex" (the BSD form with spaces,
 * "SHA256 (name) = hex", as VirtualBox writes it, is read too).  A present
 * manifest must list every file the import reads, and every digest must
 * match; a line VMHI cannot read fails the import rather than being
 * skipped, since a skipped line would be a file left unchecked.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ovf_internal.h"

#define MF_LINES_MAX 1024

bool vmhi__ovf_safe_name(const char *name)
{
    if (!name || !*name || name[0] == '/' || strstr(name, "://"))
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    /* ".." as a whole path component, and any component that is empty. */
    for (const char *c = name; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
    }
    return true;
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Parses one line [p, end) into @e; false when malformed. */
static bool parse_line(const char *p, const char *end, vmhi__mf_entry *e, char *name,
                       size_t name_cap)
{
    size_t hexlen;
    if (end - p >= 6 && strncasecmp(p, "SHA256", 6) == 0) {
        e->algo = VMHI__SHA256;
        hexlen = 64;
        p += 6;
    } else if (end - p >= 4 && strncasecmp(p, "SHA1", 4) == 0) {
        e->algo = VMHI__SHA1;
        hexlen = 40;
        p += 4;
    } else {
        return false;
    }
    p = skip_spaces(p, end);
    if (p >= end || *p++ != '(')
        return false;
    /* The name ends at the last ")" before the "=": a name may hold ")". */
    const char *eq = end;
    while (eq > p && eq[-1] != '=')
        eq--;
    if (eq == p)
        return false;
    const char *close = eq - 1;
    while (close > p && close[-1] != ')')
        close--;
    if (close == p || (size_t)(close - 1 - p) >= name_cap)
        return false;
    memcpy(name, p, (size_t)(close - 1 - p));
    name[close - 1 - p] = '\0';
    for (const char *q = close; q < eq - 1; q++)
        if (*q != ' ' && *q != '\t')
            return false;
    const char *hex = skip_spaces(eq, end);
    const char *stop = end;
    while (stop > hex && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
        stop--;
    if ((size_t)(stop - hex) != hexlen)
        return false;
    for (size_t i = 0; i < hexlen; i++) {
        if (!isxdigit((unsigned char)hex[i]))
            return false;
        e->hex[i] = (char)tolower((unsigned char)hex[i]);
    }
    e->hex[hexlen] = '\0';
    return true;
}

static int mf_fail(unsigned line, const char *what)
{
    return vmhi__error(VMHI_E_PARSE, "OVF manifest line %u: %s", line, what);
}

int vmhi__mf_parse(vmhi_ovf_package *pkg, const char *text, size_t len)
{
    vmhi__mf_entry *entries = vmhi__calloc(MF_LINES_MAX, sizeof(*entries));
    if (!entries)
        return vmhi__error_oom();
    size_t count = 0;
    unsigned line = 0;
    int rc = VMHI_OK;
    for (const char *p = text, *end = text + len; rc == 0 && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        line++;
        if (skip_spaces(p, stop) == stop || (stop - p == 1 && *p == '\r')) {
            p = nl ? nl + 1 : end;
            continue;
        }
        char name[260];
        vmhi__mf_entry e = { 0 };
        if (count >= MF_LINES_MAX)
            rc = mf_fail(line, "too many lines");
        else if (!parse_line(p, stop, &e, name, sizeof(name)))
            rc = mf_fail(line, "not \"SHA1(file)= hex\" or \"SHA256(file)= hex\"");
        else if (!vmhi__ovf_safe_name(name))
            rc = mf_fail(line, "the file name is not a relative name in the package");
        for (size_t i = 0; rc == 0 && i < count; i++)
            if (strcmp(entries[i].name, name) == 0)
                rc = mf_fail(line, "the file is listed twice");
        if (rc == 0 && !(e.name = vmhi__strdup(name)))
            rc = vmhi__error_oom();
        if (rc == 0)
            entries[count++] = e;
        p = nl ? nl + 1 : end;
    }
    if (rc) {
        for (size_t i = 0; i < count; i++)
            vmhi__free(entries[i].name);
        vmhi__free(entries);
        return rc;
    }
    pkg->manifest = entries;
    pkg->manifest_count = count;
    return VMHI_OK;
}

const vmhi__mf_entry *vmhi__mf_find(const vmhi_ovf_package *pkg, const char *name)
{
    for (size_t i = 0; i < pkg->manifest_count; i++)
        if (strcmp(pkg->manifest[i].name, name) == 0)
            return &pkg->manifest[i];
    return NULL;
}

int vmhi__mf_compare(const vmhi__mf_entry *e, vmhi__digest *d)
{
    unsigned char digest[VMHI__DIGEST_MAX];
    char hex[2 * VMHI__DIGEST_MAX + 1];
    vmhi__digest_hex(digest, vmhi__digest_final(d, digest), hex);
    if (strcmp(hex, e->hex) != 0)
        return vmhi__error(VMHI_E_IO, "\"%.200s\" does not match the package's manifest (%s "
                                      "is %s, the manifest says %s): the package is damaged",
                           e->name, e->algo == VMHI__SHA1 ? "SHA-1" : "SHA-256", hex, e->hex);
    return VMHI_OK;
}

int vmhi__mf_check_data(const vmhi_ovf_package *pkg, const char *name, const char *data,
                        size_t len)
{
    const vmhi__mf_entry *e = vmhi__mf_find(pkg, name);
    if (!e)
        return vmhi__error(VMHI_E_IO, "the package's manifest does not list \"%.200s\"", name);
    vmhi__digest d;
    vmhi__digest_init(&d, e->algo);
    vmhi__digest_update(&d, data, len);
    return vmhi__mf_compare(e, &d);
}
