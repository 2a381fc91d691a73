# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Parsing of the requirement lines of spec/vmhi-1.0.md.

The grammar is the one section 3.1 of the specification defines:

    - **<ID>** (<Profile>, <LEVEL>): <statement>
    - **<ID>** (Library, <LEVEL>): <statement> [verified_by: <test>, ...]

Everything here is deterministic: the same document always yields the same
list, in order of appearance.  Any deviation from the grammar is an error
naming the line, never silently skipped, because a requirement that the
index misses is a requirement nobody tests.
"""

import re

PROFILES = ("Core", "Lifecycle-Full", "Memory", "vCPU", "Devices", "Events",
            "Persistence", "Library")
LEVELS = ("MUST", "SHOULD", "MAY")
LIFECYCLE_OPS = ("GEN", "DEFINE", "UNDEFINE", "CREATE", "START", "SHUTDOWN",
                 "POWEROFF", "REBOOT", "RESET", "PAUSE", "RESUME", "SUSPEND")
AREAS = ("CONN", "CAP", "LIST", "INFO", "CFG", "MEM", "VCPU", "DEV", "EV",
         "ERR", "THR", "PERS", "ABI", "MOD", "OVF") + tuple("LC-" + op for op in LIFECYCLE_OPS)
# The section whose prose may use the key words (it defines them).
KEYWORD_SECTION = "3."

REQ_LINE = re.compile(
    r"^- \*\*(?P<id>[A-Z][A-Z0-9-]*)\*\* "
    r"\((?P<profile>[^,()]+), (?P<level>[A-Za-z]+)\): "
    r"(?P<text>.*?)"
    r"(?: \[verified_by: (?P<verified>[^\]]*)\])?$")
ID_FORM = re.compile(r"^(?P<area>[A-Z]+(?:-[A-Z]+)?)-(?P<num>[1-9][0-9]*)$")
# Anything that looks like an attempt at a requirement line.
LOOKS_LIKE_REQ = re.compile(r"\*\*[A-Z]+(?:-[A-Z]+)*-[0-9]+\*\*")
# A bullet starting with a bold all-caps word that has a hyphen or is followed
# by " (": a requirement line or a broken one.  ("- **VM**: ..." is a term.)
BULLET_WITH_ID = re.compile(r"^\s*[-*+]\s+\*\*(?:[A-Z0-9]+-[A-Z0-9-]*|[A-Z0-9]+\*\*\s*\()")
KEYWORD = re.compile(r"\b(MUST|SHOULD|SHALL|MAY|REQUIRED|RECOMMENDED|OPTIONAL)\b")
TEST_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_+-]+)+(#[A-Za-z0-9_]+)?$")
HEADING = re.compile(r"^(#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
CODE_SPAN = re.compile(r"`[^`]*`")
# A reference to a requirement in prose or tables: "LC-START-1", and the
# range forms "LC-START-1..4" and "LC-POWEROFF-1/2" (both ends are checked).
ID_REF = re.compile(r"\b(?P<base>(?:LC-[A-Z]+|[A-Z]+))-(?P<first>[0-9]+)"
                    r"(?:(?:\.\.|/)(?P<last>[0-9]+))?\b")


class SpecError(Exception):
    """A violation of the requirement grammar; str() names file and line."""


def _keywords(text):
    """The RFC 2119 key words used in @text, outside `code spans`."""
    return set(KEYWORD.findall(CODE_SPAN.sub("", text)))


def _parse_verified(raw, where):
    names = [n.strip() for n in raw.split(",")]
    if names == ["none"]:
        return []
    for name in names:
        if not TEST_NAME.match(name):
            raise SpecError(f"{where}: '{name}' is not a test name "
                            "(ctest name, optionally #case; or 'none' alone)")
    return names


def _check_id(req_id, where):
    m = ID_FORM.match(req_id)
    if not m:
        raise SpecError(f"{where}: malformed requirement ID '{req_id}' "
                        "(want AREA-N or LC-OP-N, N from 1)")
    if m.group("area") not in AREAS:
        raise SpecError(f"{where}: unknown ID area '{m.group('area')}' in '{req_id}' "
                        f"(known: {', '.join(AREAS)})")


def _parse_requirement(line, where, section):
    m = REQ_LINE.match(line)
    if not m:
        raise SpecError(f"{where}: malformed requirement line (see section 3.1): "
                        f"{line.strip()[:80]}")
    req_id, profile, level = m.group("id"), m.group("profile"), m.group("level")
    text = m.group("text").strip()
    _check_id(req_id, where)
    if profile not in PROFILES:
        raise SpecError(f"{where}: {req_id}: unknown profile '{profile}' "
                        f"(known: {', '.join(PROFILES)})")
    if level not in LEVELS:
        raise SpecError(f"{where}: {req_id}: unknown level '{level}' (MUST, SHOULD or MAY)")
    if not text:
        raise SpecError(f"{where}: {req_id}: empty statement")
    used = _keywords(text)
    if level not in used:
        raise SpecError(f"{where}: {req_id}: declared {level} but the statement "
                        f"does not say {level}")
    others = used - {level}
    if others:
        raise SpecError(f"{where}: {req_id}: declared {level} but the statement also "
                        f"uses {', '.join(sorted(others))}; split it into two requirements")
    entry = {
        "id": req_id,
        "profile": profile,
        "level": level,
        "summary": text.replace("`", ""),
        "section": section,
    }
    verified = m.group("verified")
    if profile == "Library":
        if verified is None:
            raise SpecError(f"{where}: {req_id}: a Library requirement needs "
                            "[verified_by: <test>, ...] (or [verified_by: none])")
        entry["verified_by"] = _parse_verified(verified, f"{where}: {req_id}")
    elif verified is not None:
        raise SpecError(f"{where}: {req_id}: only Library requirements carry verified_by; "
                        "backend requirements are verified by the conformance suite")
    return entry


def parse(text, filename="spec"):
    """Returns the requirements of the document @text, in order.

    Raises SpecError on duplicate IDs, malformed requirement lines, unknown
    profiles or levels, and key words used outside requirement lines.
    """
    reqs, seen, refs = [], {}, []
    section = ""
    in_fence = False
    for lineno, line in enumerate(text.splitlines(), 1):
        where = f"{filename}:{lineno}"
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence or line.startswith("    ") or line.startswith("\t"):
            continue  # code blocks: examples, never requirements
        heading = HEADING.match(line)
        if heading:
            section = heading.group("title")
            continue
        refs.extend((where, ref) for ref in _references(line))
        if BULLET_WITH_ID.match(line):
            entry = _parse_requirement(line, where, section)
            if entry["id"] in seen:
                raise SpecError(f"{where}: duplicate requirement ID {entry['id']} "
                                f"(first at line {seen[entry['id']]})")
            seen[entry["id"]] = lineno
            reqs.append(entry)
            continue
        if LOOKS_LIKE_REQ.search(line):
            raise SpecError(f"{where}: a requirement ID outside a requirement bullet; "
                            "requirements are '- **ID** (Profile, LEVEL): ...' lines")
        used = _keywords(line)
        if used and not section.startswith(KEYWORD_SECTION):
            raise SpecError(f"{where}: key word {', '.join(sorted(used))} outside a "
                            "requirement line; give the statement an ID or rephrase it")
    if in_fence:
        raise SpecError(f"{filename}: unterminated ``` code block")
    if not reqs:
        raise SpecError(f"{filename}: no requirements found")
    for where, ref in refs:
        if ref not in seen:
            raise SpecError(f"{where}: reference to {ref}, which no requirement defines")
    return reqs


def _references(line):
    """The requirement IDs that @line mentions (both ends of a range)."""
    found = []
    for m in ID_REF.finditer(line):
        if m.group("base") not in AREAS:
            continue  # VMHI_E_..., RFC-2119 and the like
        found.append(f"{m.group('base')}-{m.group('first')}")
        if m.group("last"):
            found.append(f"{m.group('base')}-{m.group('last')}")
    return found
