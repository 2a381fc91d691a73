/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * A small strict reader over JSON text that json-c has already accepted:
 * it rejects what json-c lets through but RFC 8259 does not (single-quoted
 * strings, NaN and Infinity, raw control characters in strings), rejects
 * repeated member names (json-c silently keeps the last one), and finds
 * the position of a member from its JSON pointer for error messages.
 */
#include <stdio.h>
#include <string.h>

#include "config_json_internal.h"

/* Objects of the form have at most 9 members.  Comparing the first 16
 * names of an object finds every repeat that matters: an object with more
 * distinct names than that has unknown members and is rejected anyway. */
#define DUP_CHECK_NAMES 16

typedef struct scanner {
    const char *s;
    size_t len;
    size_t pos;
    unsigned depth;
    const char *error;
    size_t error_pos;
} scanner;

static bool fail_at(scanner *sc, size_t pos, const char *message)
{
    if (!sc->error) {
        sc->error = message;
        sc->error_pos = pos;
    }
    return false;
}

static int peek(const scanner *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : -1;
}

static void skip_ws(scanner *sc)
{
    int c;
    while ((c = peek(sc)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        sc->pos++;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- strings -------------------------------------------------------------- */

static bool scan_string(scanner *sc)
{
    size_t start = sc->pos;
    if (peek(sc) != '"')
        return fail_at(sc, start, "expected a string in double quotes");
    sc->pos++;
    for (;;) {
        int c = peek(sc);
        if (c < 0)
            return fail_at(sc, start, "unterminated string");
        if (c == '"') {
            sc->pos++;
            return true;
        }
        if (c < 0x20)
            return fail_at(sc, sc->pos, "control character in a string (escape it)");
        if (c != '\\') {
            sc->pos++;
            continue;
        }
        sc->pos++;
        c = peek(sc);
        if (c >= 0 && strchr("\"\\/bfnrt", c) && c != '\0') {
            sc->pos++;
        } else if (c == 'u') {
            for (int i = 1; i <= 4; i++)
                if (sc->pos + (size_t)i >= sc->len || hex_digit(sc->s[sc->pos + (size_t)i]) < 0)
                    return fail_at(sc, sc->pos - 1, "\\u needs four hex digits");
            sc->pos += 5;
        } else {
            return fail_at(sc, sc->pos - 1, "invalid escape sequence");
        }
    }
}

/* Walks the decoded bytes of a scanned string, so that names can be
 * compared whatever escapes they use. */
typedef struct string_reader {
    const char *s;
    size_t len;
    size_t pos; /* next raw byte */
    unsigned char pending[4];
    size_t pending_len, pending_pos;
} string_reader;

static void string_reader_init(string_reader *sr, const char *s, size_t len, size_t quote)
{
    *sr = (string_reader){ .s = s, .len = len, .pos = quote + 1 };
}

static unsigned read_hex4(const string_reader *sr, size_t at)
{
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++)
        v = v << 4 | (unsigned)hex_digit(at + i < sr->len ? sr->s[at + i] : 0) % 16u;
    return v;
}

static void put_utf8(string_reader *sr, unsigned cp)
{
    unsigned char *p = sr->pending;
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        sr->pending_len = 1;
    } else if (cp < 0x800) {
        p[0] = (unsigned char)(0xc0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3f));
        sr->pending_len = 2;
    } else if (cp < 0x10000) {
        p[0] = (unsigned char)(0xe0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        p[2] = (unsigned char)(0x80 | (cp & 0x3f));
        sr->pending_len = 3;
    } else {
        p[0] = (unsigned char)(0xf0 | cp >> 18);
        p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        p[3] = (unsigned char)(0x80 | (cp & 0x3f));
        sr->pending_len = 4;
    }
    sr->pending_pos = 0;
}

static void decode_escape(string_reader *sr)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char e = sr->pos + 1 < sr->len ? sr->s[sr->pos + 1] : '\0';
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) {
        put_utf8(sr, (unsigned char)to[hit - from]);
        sr->pos += 2;
        return;
    }
    unsigned cp = read_hex4(sr, sr->pos + 2);
    sr->pos += 6;
    bool high = cp >= 0xd800 && cp <= 0xdbff;
    if (high && sr->pos + 1 < sr->len && sr->s[sr->pos] == '\\' && sr->s[sr->pos + 1] == 'u') {
        unsigned low = read_hex4(sr, sr->pos + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            sr->pos += 6;
        }
    }
    put_utf8(sr, cp);
}

/* The next decoded byte, or -1 at the closing quote. */
static int string_reader_next(string_reader *sr)
{
    if (sr->pending_pos < sr->pending_len)
        return sr->pending[sr->pending_pos++];
    if (sr->pos >= sr->len || sr->s[sr->pos] == '"')
        return -1;
    if (sr->s[sr->pos] != '\\')
        return (unsigned char)sr->s[sr->pos++];
    decode_escape(sr);
    return sr->pending[sr->pending_pos++];
}

static bool names_equal(const char *s, size_t len, size_t a, size_t b)
{
    string_reader ra, rb;
    string_reader_init(&ra, s, len, a);
    string_reader_init(&rb, s, len, b);
    for (;;) {
        int ca = string_reader_next(&ra), cb = string_reader_next(&rb);
        if (ca != cb)
            return false;
        if (ca < 0)
            return true;
    }
}

static bool name_is(const char *s, size_t len, size_t quote, const char *want)
{
    string_reader r;
    string_reader_init(&r, s, len, quote);
    for (;; want++) {
        int c = string_reader_next(&r);
        if (c < 0)
            return *want == '\0';
        if (*want == '\0' || c != (unsigned char)*want)
            return false;
    }
}

/* ---- values --------------------------------------------------------------- */

static bool scan_value(scanner *sc);

static bool scan_number(scanner *sc)
{
    size_t start = sc->pos;
    if (peek(sc) == '-')
        sc->pos++;
    if (peek(sc) == '0')
        sc->pos++;
    else if (is_digit(peek(sc)))
        while (is_digit(peek(sc)))
            sc->pos++;
    else
        return fail_at(sc, start, "invalid number");
    if (peek(sc) == '.') {
        sc->pos++;
        if (!is_digit(peek(sc)))
            return fail_at(sc, start, "invalid number");
        while (is_digit(peek(sc)))
            sc->pos++;
    }
    if (peek(sc) == 'e' || peek(sc) == 'E') {
        sc->pos++;
        if (peek(sc) == '+' || peek(sc) == '-')
            sc->pos++;
        if (!is_digit(peek(sc)))
            return fail_at(sc, start, "invalid number");
        while (is_digit(peek(sc)))
            sc->pos++;
    }
    return true;
}

static bool scan_literal(scanner *sc)
{
    static const char *const literals[] = { "true", "false", "null" };
    for (size_t i = 0; i < VMHI_ARRAY_SIZE(literals); i++) {
        size_t n = strlen(literals[i]);
        if (sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, literals[i], n) == 0) {
            sc->pos += n;
            return true;
        }
    }
    return fail_at(sc, sc->pos, "unexpected character (not a JSON value)");
}

static bool scan_members(scanner *sc)
{
    size_t names[DUP_CHECK_NAMES], count = 0;
    for (;;) {
        skip_ws(sc);
        size_t name = sc->pos;
        if (!scan_string(sc))
            return false;
        for (size_t i = 0; i < count; i++)
            if (names_equal(sc->s, sc->len, names[i], name))
                return fail_at(sc, name, "member name repeated in this object");
        if (count < DUP_CHECK_NAMES)
            names[count++] = name;
        skip_ws(sc);
        if (peek(sc) != ':')
            return fail_at(sc, sc->pos, "expected ':' after the member name");
        sc->pos++;
        if (!scan_value(sc))
            return false;
        skip_ws(sc);
        if (peek(sc) == '}') {
            sc->pos++;
            return true;
        }
        if (peek(sc) != ',')
            return fail_at(sc, sc->pos, "expected ',' or '}'");
        sc->pos++;
    }
}

static bool scan_container(scanner *sc, char open)
{
    if (++sc->depth > VMHI__JSON_DEPTH)
        return fail_at(sc, sc->pos, "nested too deeply");
    sc->pos++;
    skip_ws(sc);
    bool ok;
    if (peek(sc) == (open == '{' ? '}' : ']')) {
        sc->pos++;
        ok = true;
    } else if (open == '{') {
        ok = scan_members(sc);
    } else {
        for (;;) {
            if (!(ok = scan_value(sc)))
                break;
            skip_ws(sc);
            if (peek(sc) == ']') {
                sc->pos++;
                break;
            }
            if (peek(sc) != ',') {
                ok = fail_at(sc, sc->pos, "expected ',' or ']'");
                break;
            }
            sc->pos++;
        }
    }
    sc->depth--;
    return ok;
}

static bool scan_value(scanner *sc)
{
    skip_ws(sc);
    int c = peek(sc);
    if (c == '{' || c == '[')
        return scan_container(sc, (char)c);
    if (c == '"')
        return scan_string(sc);
    if (c == '-' || is_digit(c))
        return scan_number(sc);
    if (c < 0)
        return fail_at(sc, sc->pos, "unexpected end of document");
    return scan_literal(sc);
}

bool vmhi__json_scan(const char *text, size_t len, size_t *error_offset, const char **message)
{
    scanner sc = { .s = text, .len = len };
    bool ok = scan_value(&sc);
    if (ok) {
        skip_ws(&sc);
        if (sc.pos < len)
            ok = fail_at(&sc, sc.pos, "unexpected content after the document");
    }
    if (!ok) {
        *error_offset = sc.error_pos;
        *message = sc.error;
    }
    return ok;
}

/* ---- locating a pointer ------------------------------------------------- */

/* Finds member @want of the object at @at (the last one if repeated). */
static bool find_member(scanner *sc, size_t at, const char *want, size_t *name_pos,
                        size_t *value_pos)
{
    bool found = false;
    sc->pos = at;
    if (peek(sc) != '{')
        return false;
    sc->pos++;
    skip_ws(sc);
    while (peek(sc) == '"') {
        size_t name = sc->pos;
        bool match = name_is(sc->s, sc->len, name, want);
        if (!scan_string(sc))
            break;
        skip_ws(sc);
        if (peek(sc) != ':')
            break;
        sc->pos++;
        skip_ws(sc);
        if (match) {
            found = true;
            *name_pos = name;
            *value_pos = sc->pos;
        }
        if (!scan_value(sc))
            break;
        skip_ws(sc);
        if (peek(sc) != ',')
            break;
        sc->pos++;
        skip_ws(sc);
    }
    return found;
}

static bool find_item(scanner *sc, size_t at, size_t want, size_t *value_pos)
{
    sc->pos = at;
    if (peek(sc) != '[')
        return false;
    sc->pos++;
    for (size_t index = 0;; index++) {
        skip_ws(sc);
        if (peek(sc) == ']' || peek(sc) < 0)
            return false;
        if (index == want) {
            *value_pos = sc->pos;
            return true;
        }
        if (!scan_value(sc))
            return false;
        skip_ws(sc);
        if (peek(sc) != ',')
            return false;
        sc->pos++;
    }
}

size_t vmhi__json_locate(const char *text, size_t len, const vmhi__json_path *path, bool value)
{
    scanner sc = { .s = text, .len = len };
    skip_ws(&sc);
    size_t here = sc.pos;
    for (size_t d = 0; d < path->depth; d++) {
        size_t name_pos = 0, value_pos = 0;
        sc.error = NULL;
        sc.depth = 0;
        bool found = path->seg[d].key
                         ? find_member(&sc, here, path->seg[d].key, &name_pos, &value_pos)
                         : find_item(&sc, here, path->seg[d].index, &value_pos);
        if (!found)
            return here;
        if (d + 1 == path->depth && path->seg[d].key && !value)
            return name_pos;
        here = value_pos;
    }
    return here;
}

/* One pointer segment: "/name" with '~' and '/' escaped as RFC 6901 says,
 * at most 64 bytes of the name, control characters shown as '?'. */
static void pointer_segment(const char *key, char *out, size_t size)
{
    size_t k = 0;
    out[k++] = '/';
    for (size_t i = 0; key[i] && k + 3 < size; i++) {
        char c = key[i];
        if (i >= 64 && ((unsigned char)c & 0xc0) != 0x80)
            break; /* long enough, and not inside a UTF-8 sequence */
        if (c == '~' || c == '/') {
            out[k++] = '~';
            out[k++] = c == '~' ? '0' : '1';
        } else {
            out[k++] = (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
        }
    }
    out[k] = '\0';
}

void vmhi__json_pointer(const vmhi__json_path *path, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t d = 0; d < path->depth && n + 1 < size; d++) {
        char segment[160];
        if (path->seg[d].key)
            pointer_segment(path->seg[d].key, segment, sizeof(segment));
        else
            snprintf(segment, sizeof(segment), "/%zu", path->seg[d].index);
        n += vmhi__strlcpy(out + n, segment, size - n);
        if (n >= size)
            n = size - 1;
    }
}
