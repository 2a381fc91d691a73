/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * CIM allocation units (DSP0004 annex C): the programmatic form OVF
 * exporters write ("byte * 2^20", "byte * 1024") and the word forms older
 * ones use ("MegaBytes", "KB").  Every product is checked for overflow, so
 * a unit or quantity too large for 64 bits is an error, never a wrap.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ovf_internal.h"

bool vmhi__ovf_parse_u64(const char *text, uint64_t *out)
{
    if (!text)
        return false;
    while (isspace((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text))
        return false;
    uint64_t v = 0;
    for (; isdigit((unsigned char)*text); text++) {
        unsigned d = (unsigned)(*text - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    while (isspace((unsigned char)*text))
        text++;
    if (*text)
        return false;
    *out = v;
    return true;
}

static bool mul(uint64_t *acc, uint64_t by)
{
    if (by != 0 && *acc > UINT64_MAX / by)
        return false;
    *acc *= by;
    return true;
}

static const struct {
    const char *word;
    unsigned shift;
} words[] = {
    { "byte", 0 },      { "bytes", 0 },      { "b", 0 },
    { "kilobyte", 10 }, { "kilobytes", 10 }, { "kb", 10 },  { "kib", 10 },
    { "megabyte", 20 }, { "megabytes", 20 }, { "mb", 20 },  { "mib", 20 },
    { "gigabyte", 30 }, { "gigabytes", 30 }, { "gb", 30 },  { "gib", 30 },
    { "terabyte", 40 }, { "terabytes", 40 }, { "tb", 40 },  { "tib", 40 },
};

static bool word_unit(const char *unit, uint64_t *bytes)
{
    for (size_t i = 0; i < VMHI_ARRAY_SIZE(words); i++)
        if (strcasecmp(unit, words[i].word) == 0) {
            *bytes = (uint64_t)1 << words[i].shift;
            return true;
        }
    return false;
}

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static bool read_number(const char **s, uint64_t *v)
{
    const char *p = *s;
    if (!isdigit((unsigned char)*p))
        return false;
    uint64_t n = 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *s = p;
    *v = n;
    return true;
}

/* One factor after "byte *": N or B^E. */
static bool read_factor(const char **s, uint64_t *acc)
{
    uint64_t base, exp;
    if (!read_number(s, &base))
        return false;
    *s = skip_space(*s);
    if (**s != '^')
        return mul(acc, base);
    *s = skip_space(*s + 1);
    if (!read_number(s, &exp) || exp > 64)
        return false;
    for (uint64_t i = 0; i < exp; i++)
        if (!mul(acc, base))
            return false;
    return true;
}

bool vmhi__ovf_unit_bytes(const char *unit, uint64_t *bytes)
{
    if (!unit)
        return false;
    const char *s = skip_space(unit);
    char word[24];
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n < sizeof(word) && !strpbrk(s, "*^")) {
        memcpy(word, s, n);
        word[n] = '\0';
        return word_unit(word, bytes);
    }
    if (strncasecmp(s, "byte", 4) != 0)
        return false;
    s = skip_space(s + 4);
    uint64_t acc = 1;
    while (*s == '*') {
        s = skip_space(s + 1);
        if (!read_factor(&s, &acc))
            return false;
        s = skip_space(s);
    }
    if (*s || acc == 0)
        return false;
    *bytes = acc;
    return true;
}

bool vmhi__ovf_to_mib(uint64_t value, uint64_t unit_bytes, uint64_t *mib, bool *exact)
{
    const uint64_t MiB = 1024u * 1024u;
    /* value * unit_bytes may not fit although the MiB count does: split
     * the unit into whole MiB and a remainder. */
    if (unit_bytes % MiB == 0) {
        uint64_t per = unit_bytes / MiB;
        if (per != 0 && value > UINT64_MAX / per)
            return false;
        *mib = value * per;
        *exact = true;
        return true;
    }
    if (unit_bytes != 0 && value > UINT64_MAX / unit_bytes)
        return false;
    uint64_t bytes = value * unit_bytes;
    *mib = bytes / MiB + (bytes % MiB ? 1 : 0);
    *exact = bytes % MiB == 0;
    return true;
}
