#!/usr/bin/env python3
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Keeps the porting guide in step with the header and the specification.

    check_doc.py docs/porting.md include/vmhi/backend.h spec/requirements.json [FILE...]

Fails (exit 1, listing what is wrong) when the guide does not mention, in
backquotes, every field of vmhi_backend_ops and of vmhi_core_services (so
that a slot added to the table at its end gets documented), or when the
guide or one of the further FILEs (the skeleton's sources and README)
cites a requirement ID that spec/requirements.json does not define.
"""
import json
import re
import sys

ID_RE = re.compile(r"\b(?:CONN|CAP|LC-[A-Z]+|LIST|INFO|CFG|MEM|VCPU|DEV|EV|PERS|ERR|THR|ABI|MOD)"
                   r"-\d+\b")


def struct_fields(header, name):
    """Field names of `typedef struct <name> { ... } <name>;` in @header."""
    m = re.search(r"typedef struct %s \{(.*?)\n\} %s;" % (name, name), header, re.S)
    if not m:
        raise SystemExit(f"check_doc: struct {name} not found in the header")
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)     # comments
    body = re.sub(r"#if.*?#endif", "", body, flags=re.S)       # attribute blocks
    fields = re.findall(r"\(\*\s*(\w+)\)\s*\(", body)         # function pointers
    body = re.sub(r"[^;]*\(\*\s*\w+\)[^;]*;", "", body, flags=re.S)  # and drop them
    fields += [f for f in re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*;", body) if f not in fields]
    return fields


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    doc = open(sys.argv[1], encoding="utf-8").read()
    header = open(sys.argv[2], encoding="utf-8").read()
    known = {r["id"] for r in json.load(open(sys.argv[3], encoding="utf-8"))}
    problems = []
    for struct in ("vmhi_backend_ops", "vmhi_core_services"):
        fields = struct_fields(header, struct)
        if len(fields) < 8:
            problems.append(f"{struct}: only {fields} parsed from the header")
        missing = [f for f in fields if f"`{f}`" not in doc and f"`{f}(" not in doc]
        if missing:
            problems.append(f"{struct} fields not mentioned in `backquotes`: {', '.join(missing)}")
    cited = set(ID_RE.findall(doc))
    if not cited:
        problems.append("the guide cites no requirement ID")
    for path in [sys.argv[1]] + sys.argv[4:]:
        text = doc if path == sys.argv[1] else open(path, encoding="utf-8").read()
        unknown = sorted(set(ID_RE.findall(text)) - known)
        if unknown:
            problems.append(f"{path} cites requirement IDs not in the index: "
                            f"{', '.join(unknown)}")
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    if not problems:
        print(f"ok: every ops slot and core service is documented; {len(cited)} requirement "
              f"IDs cited, all defined")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
