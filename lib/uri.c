/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Connection URI parsing: scheme:[//[user@]host[:port]][/path][?query].
 * Strict on purpose: fragments, passwords, control characters, bad
 * percent-escapes and out-of-range ports are refused with a message that
 * says which part is wrong (and never repeats the password).
 */
#include <ctype.h>
#include <string.h>

#include "core.h"

#define URI_MAX 4096
#define PARAMS_MAX 64

void vmhi__uri_free(vmhi__uri *uri)
{
    if (!uri)
        return;
    for (size_t i = 0; i < uri->nparams; i++) {
        vmhi__free(uri->names[i]);
        vmhi__free(uri->values[i]);
    }
    vmhi__free(uri->names);
    vmhi__free(uri->values);
    vmhi__free(uri->normalized);
    vmhi__free(uri->scheme);
    vmhi__free(uri->user);
    vmhi__free(uri->host);
    vmhi__free(uri->path);
    vmhi__free(uri);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes [s, s+len) into a new string; refuses escapes that are
 * malformed or decode to control characters (NUL included). */
static int decode(const char *s, size_t len, const char *part, char **out)
{
    char *buf = vmhi__malloc(len + 1);
    if (!buf)
        return vmhi__error_oom();
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3 || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0) {
                vmhi__free(buf);
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "URI %s has a malformed percent-escape at offset %zu", part, i);
            }
            c = (unsigned char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            vmhi__free(buf);
            return vmhi__error(VMHI_E_INVALID_ARG, "URI %s contains a control character", part);
        }
        buf[o++] = (char)c;
    }
    buf[o] = '\0';
    *out = buf;
    return VMHI_OK;
}

static int parse_scheme(const char *s, size_t *consumed, vmhi__uri *uri)
{
    size_t i = 0;
    if (!isalpha((unsigned char)s[0]))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "URI must start with a scheme such as test:, kvm: or esx:");
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    if (s[i] != ':')
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "URI must start with a scheme followed by ':' (e.g. test:///default)");
    if (i > 32)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI scheme is longer than 32 characters");
    uri->scheme = vmhi__strndup(s, i);
    if (!uri->scheme)
        return vmhi__error_oom();
    for (char *p = uri->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *consumed = i + 1;
    return VMHI_OK;
}

static bool valid_host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static int parse_port(const char *s, size_t len, int *port)
{
    if (len == 0 || len > 5)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI port must be a number from 1 to 65535");
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return vmhi__error(VMHI_E_INVALID_ARG, "URI port must be a number from 1 to 65535");
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI port %ld is out of range 1-65535", v);
    *port = (int)v;
    return VMHI_OK;
}

/* host part: reg-name / IPv4 or [IPv6], optionally :port */
static int parse_hostport(const char *s, size_t len, vmhi__uri *uri)
{
    size_t host_end;
    size_t i = 0;
    if (len == 0)
        return VMHI_OK;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return vmhi__error(VMHI_E_INVALID_ARG, "URI host has '[' without ']'");
        for (const char *p = s + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return vmhi__error(VMHI_E_INVALID_ARG, "URI IPv6 address is malformed");
        host_end = (size_t)(close - s) + 1;
        i = host_end;
    } else {
        while (i < len && s[i] != ':') {
            if (!valid_host_char(s[i]))
                return vmhi__error(VMHI_E_INVALID_ARG,
                                   "URI host contains an invalid character at offset %zu", i);
            i++;
        }
        host_end = i;
    }
    if (host_end > 255)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI host is longer than 255 characters");
    if (i < len) {
        if (s[i] != ':')
            return vmhi__error(VMHI_E_INVALID_ARG, "URI has junk after the host");
        int rc = parse_port(s + i + 1, len - i - 1, &uri->port);
        if (rc)
            return rc;
    }
    if (host_end == 0) {
        if (uri->port)
            return vmhi__error(VMHI_E_INVALID_ARG, "URI has a port but no host");
        return VMHI_OK;
    }
    uri->host = vmhi__strndup(s, host_end);
    if (!uri->host)
        return vmhi__error_oom();
    for (char *p = uri->host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return VMHI_OK;
}

static int parse_authority(const char *s, size_t len, vmhi__uri *uri)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '@')
            at = s + i;
    if (!at)
        return parse_hostport(s, len, uri);
    size_t ulen = (size_t)(at - s);
    if (memchr(s, ':', ulen))
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "URI contains a password; pass credentials through the "
                           "credential callback (or the CLI's --auth-file), never in the URI");
    if (ulen == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI has '@' but no user name");
    int rc = decode(s, ulen, "user", &uri->user);
    if (rc)
        return rc;
    return parse_hostport(at + 1, len - ulen - 1, uri);
}

static int add_param(vmhi__uri *uri, const char *s, size_t len)
{
    if (len == 0)
        return VMHI_OK;
    if (uri->nparams == PARAMS_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI has more than %d query parameters",
                           PARAMS_MAX);
    const char *eq = memchr(s, '=', len);
    size_t nlen = eq ? (size_t)(eq - s) : len;
    if (nlen == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI query has a parameter without a name");
    char *name = NULL, *value = NULL;
    int rc = decode(s, nlen, "query", &name);
    if (!rc)
        rc = eq ? decode(eq + 1, len - nlen - 1, "query", &value) : decode("", 0, "query", &value);
    if (rc) {
        vmhi__free(name);
        return rc;
    }
    uri->names[uri->nparams] = name;
    uri->values[uri->nparams] = value;
    uri->nparams++;
    return VMHI_OK;
}

static int parse_query(const char *s, vmhi__uri *uri)
{
    uri->names = vmhi__calloc(PARAMS_MAX, sizeof(char *));
    uri->values = vmhi__calloc(PARAMS_MAX, sizeof(char *));
    if (!uri->names || !uri->values)
        return vmhi__error_oom();
    while (*s) {
        size_t len = strcspn(s, "&;");
        int rc = add_param(uri, s, len);
        if (rc)
            return rc;
        s += len;
        if (*s)
            s++;
    }
    return VMHI_OK;
}

static int check_raw_chars(const char *str)
{
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f)
            return vmhi__error(VMHI_E_INVALID_ARG,
                               "URI contains a space, control or non-ASCII byte at offset %zu; "
                               "percent-encode it",
                               (size_t)(p - (const unsigned char *)str));
        if (*p == '#')
            return vmhi__error(VMHI_E_INVALID_ARG, "URI must not contain a fragment ('#')");
    }
    return VMHI_OK;
}

static int parse_rest(const char *s, vmhi__uri *uri)
{
    int rc;
    if (s[0] == '/' && s[1] == '/') {
        s += 2;
        size_t alen = strcspn(s, "/?");
        rc = parse_authority(s, alen, uri);
        if (rc)
            return rc;
        s += alen;
    }
    size_t plen = strcspn(s, "?");
    if (plen > 0 && s[0] != '/')
        return vmhi__error(VMHI_E_INVALID_ARG,
                           "URI path must be absolute (did you mean %s:///...?)", uri->scheme);
    rc = plen ? decode(s, plen, "path", &uri->path) : decode("/", 1, "path", &uri->path);
    if (rc)
        return rc;
    s += plen;
    return parse_query(*s == '?' ? s + 1 : s, uri);
}

int vmhi__uri_parse(const char *str, vmhi__uri **out)
{
    *out = NULL;
    if (!str)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI is NULL");
    size_t len = strnlen(str, URI_MAX + 1);
    if (len == 0)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI is empty");
    if (len > URI_MAX)
        return vmhi__error(VMHI_E_INVALID_ARG, "URI is longer than %d bytes", URI_MAX);
    int rc = check_raw_chars(str);
    if (rc)
        return rc;
    vmhi__uri *uri = vmhi__calloc(1, sizeof(*uri));
    if (!uri)
        return vmhi__error_oom();
    size_t consumed = 0;
    rc = parse_scheme(str, &consumed, uri);
    if (!rc)
        rc = parse_rest(str + consumed, uri);
    if (!rc) {
        uri->normalized = vmhi__asprintf("%s%s", uri->scheme, str + strlen(uri->scheme));
        if (!uri->normalized)
            rc = vmhi__error_oom();
    }
    if (rc) {
        vmhi__uri_free(uri);
        return rc;
    }
    *out = uri;
    return VMHI_OK;
}
