#!/usr/bin/env python3
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Checks the VMHI requirement index against the rest of the tree.

    check_requirements.py [--root DIR] report
        Counts requirements per profile and per level, and lists the Library
        requirements that no automated test verifies yet.
    check_requirements.py [--root DIR] verified-by
        Fails unless every test named in a verified_by field exists: a ctest
        name declared by some add_test(NAME ...) of the tree and, for
        unit.test_<x>#<case>, a START_TEST(<case>) in tests/unit/test_<x>.c.
    check_requirements.py [--root DIR] citations DIR...
        Fails when a file under DIR cites a requirement ID that does not
        exist; reports which backend-facing requirements are not cited.

The index is read from spec/requirements.json under the root.
Exit status: 0 success, 1 a check failed, 2 usage.
"""

import argparse
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reqlib  # noqa: E402

DEFAULT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADD_TEST = re.compile(r"add_test\s*\(\s*NAME\s+([^\s)]+)")
CITED_ID = re.compile(r"\b(?:LC-[A-Z]+|[A-Z]+)-[0-9]+\b")
SOURCE_EXTS = (".c", ".h", ".py", ".sh", ".txt", ".md", ".json", ".cmake")


def load_index(root):
    with open(os.path.join(root, "spec", "requirements.json"), encoding="utf-8") as f:
        return json.load(f)


def walk_files(top, exts):
    """Files under @top with one of @exts, skipping build trees and .git."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith((".git", "build")) and d != "_deps")
        for name in sorted(filenames):
            if name.endswith(exts) or name == "CMakeLists.txt":
                yield os.path.join(dirpath, name)


def ctest_patterns(root):
    """Regexes of every test name declared with add_test(NAME ...)."""
    patterns = []
    for path in walk_files(root, ("CMakeLists.txt",)):
        if os.path.basename(path) != "CMakeLists.txt":
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for name in ADD_TEST.findall(f.read()):
                # unit.${name} stands for any name: match variables loosely.
                parts = re.split(r"\$\{[^}]*\}", name)
                patterns.append(re.compile("^" + ".+".join(map(re.escape, parts)) + "$"))
    return patterns


def check_unit_case(root, test, case):
    """An error message, or None when tests/unit/<program>.c has @case."""
    program = test[len("unit."):]
    path = os.path.join(root, "tests", "unit", program + ".c")
    if not os.path.isfile(path):
        return f"{test}: no file tests/unit/{program}.c"
    if case is None:
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        if not re.search(r"START_TEST\s*\(\s*" + re.escape(case) + r"\s*\)", f.read()):
            return f"{test}#{case}: tests/unit/{program}.c has no START_TEST({case})"
    return None


def check_reference(root, patterns, ref):
    test, _, case = ref.partition("#")
    if not any(p.match(test) for p in patterns):
        return f"{ref}: no add_test(NAME {test}) in the tree"
    if test.startswith("unit."):
        return check_unit_case(root, test, case or None)
    if case:
        return f"{ref}: '#case' is only understood for unit.* tests"
    return None


def cmd_verified_by(root, reqs):
    patterns = ctest_patterns(root)
    errors, gaps, checked = [], [], 0
    for req in reqs:
        if "verified_by" not in req:
            continue
        if not req["verified_by"]:
            gaps.append(req["id"])
        for ref in req["verified_by"]:
            checked += 1
            problem = check_reference(root, patterns, ref)
            if problem:
                errors.append(f"{req['id']}: {problem}")
    for e in errors:
        print(f"check_requirements: {e}", file=sys.stderr)
    print(f"{checked} verified_by references checked, {len(errors)} broken")
    if gaps:
        print(f"Library requirements without a verifying test: {', '.join(gaps)}")
    return 1 if errors else 0


def cmd_citations(root, reqs, dirs):
    known = {r["id"]: r for r in reqs}
    cited, errors = set(), []
    for top in dirs:
        for path in walk_files(top, SOURCE_EXTS):
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    for ref in CITED_ID.findall(line):
                        area = ref.rsplit("-", 1)[0]
                        if area not in reqlib.AREAS:
                            continue
                        if ref not in known:
                            errors.append(f"{os.path.relpath(path, root)}:{lineno}: "
                                          f"cites {ref}, which spec/vmhi-1.0.md does not define")
                        cited.add(ref)
    for e in errors:
        print(f"check_requirements: {e}", file=sys.stderr)
    backend = [r["id"] for r in reqs if r["profile"] != "Library"]
    missing = [i for i in backend if i not in cited]
    print(f"{len(cited & set(backend))} of {len(backend)} backend requirements cited")
    if missing:
        print(f"not cited: {', '.join(missing)}")
    return 1 if errors else 0


def cmd_report(reqs):
    by_profile = collections.Counter(r["profile"] for r in reqs)
    by_level = collections.Counter(r["level"] for r in reqs)
    print(f"{len(reqs)} requirements")
    print("per profile:")
    for profile in reqlib.PROFILES:
        levels = collections.Counter(r["level"] for r in reqs if r["profile"] == profile)
        detail = ", ".join(f"{levels[lv]} {lv}" for lv in reqlib.LEVELS if levels[lv])
        print(f"  {profile:<15} {by_profile[profile]:>4}  ({detail})")
    print("per level:")
    for level in reqlib.LEVELS:
        print(f"  {level:<15} {by_level[level]:>4}")
    gaps = [r["id"] for r in reqs if r.get("verified_by") == []]
    if gaps:
        print(f"Library requirements without a verifying test: {', '.join(gaps)}")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=DEFAULT_ROOT, help="source tree (default: %(default)s)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("report")
    sub.add_parser("verified-by")
    cit = sub.add_parser("citations")
    cit.add_argument("dirs", nargs="+")
    args = ap.parse_args(argv)
    try:
        reqs = load_index(args.root)
    except (OSError, ValueError) as e:
        print(f"check_requirements: cannot read the index: {e}", file=sys.stderr)
        return 1
    if args.command == "report":
        return cmd_report(reqs)
    if args.command == "verified-by":
        return cmd_verified_by(args.root, reqs)
    return cmd_citations(args.root, reqs, args.dirs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
