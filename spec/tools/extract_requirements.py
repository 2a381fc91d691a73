#!/usr/bin/env python3
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Extracts the requirement index from the VMHI specification.

    extract_requirements.py [--spec spec/vmhi-1.0.md] [-o spec/requirements.json]
    extract_requirements.py --check spec/requirements.json

Without -o the index is written to stdout.  With --check the index is
compared with the given file instead, and the differences are printed
(exit status 1) when they disagree: regenerate with
`python3 spec/tools/extract_requirements.py -o spec/requirements.json`.

Exit status: 0 success, 1 the document or the index is wrong, 2 usage.
"""

import argparse
import difflib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reqlib  # noqa: E402

SPEC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def render(reqs):
    """The index as text: stable key order, one trailing newline."""
    return json.dumps(reqs, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=os.path.join(SPEC_DIR, "vmhi-1.0.md"),
                    help="the specification (default: %(default)s)")
    out = ap.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", help="write the index to this file")
    out.add_argument("--check", metavar="INDEX",
                     help="compare the index with this file instead of writing it")
    args = ap.parse_args(argv)

    try:
        with open(args.spec, encoding="utf-8") as f:
            reqs = reqlib.parse(f.read(), os.path.relpath(args.spec))
    except OSError as e:
        print(f"extract_requirements: {e}", file=sys.stderr)
        return 1
    except reqlib.SpecError as e:
        print(f"extract_requirements: {e}", file=sys.stderr)
        return 1
    text = render(reqs)

    if args.check:
        try:
            with open(args.check, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print(f"extract_requirements: {e}", file=sys.stderr)
            return 1
        if current == text:
            print(f"{args.check}: up to date ({len(reqs)} requirements)")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(True), text.splitlines(True),
            fromfile=args.check, tofile="extracted from " + os.path.relpath(args.spec)))
        print(f"\n{args.check} is out of date; regenerate it with:\n"
              f"  python3 spec/tools/extract_requirements.py -o {args.check}",
              file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
