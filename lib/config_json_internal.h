/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the JSON codec's files.  json-c builds the tree but keeps no
 * positions, and it accepts more than RFC 8259 (single quotes, NaN, raw
 * control characters in strings, duplicate names).  config_json_scan.c
 * re-reads the text strictly and finds the line and column of a member
 * given its JSON pointer, so that errors can point at it.
 */
#ifndef VMHI_CONFIG_JSON_INTERNAL_H
#define VMHI_CONFIG_JSON_INTERNAL_H

#include "config_internal.h"

/* Deepest nesting accepted; the form itself needs 3. */
#define VMHI__JSON_DEPTH 16

/* A JSON pointer under construction: each segment is a member name or,
 * when key is NULL, an array index. */
typedef struct vmhi__json_path {
    struct {
        const char *key;
        size_t index;
    } seg[VMHI__JSON_DEPTH];
    size_t depth;
} vmhi__json_path;

/* Checks that @text (which json-c accepted) is strict RFC 8259 JSON and
 * that no object repeats a member name.  On failure returns false with the
 * byte offset of the problem and a static description. */
bool vmhi__json_scan(const char *text, size_t len, size_t *error_offset, const char **message);

/* Byte offset of what @path names in a scanned document: the member name
 * for object members (or its value when @value), the element for array
 * items.  Falls back to the nearest enclosing value that exists. */
size_t vmhi__json_locate(const char *text, size_t len, const vmhi__json_path *path, bool value);

/* Writes @path as a JSON pointer ("/disks/1/format"; "" for the root),
 * truncated to @size and with control characters shown as '?'. */
void vmhi__json_pointer(const vmhi__json_path *path, char *out, size_t size);

#endif /* VMHI_CONFIG_JSON_INTERNAL_H */
