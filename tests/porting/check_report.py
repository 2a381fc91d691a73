#!/usr/bin/env python3
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Checks a vmhi-conformance JSON report of a backend module.

    check_report.py REPORT.json --backend NAME [--certified P...] [--failed P...]
                    [--missing-ops P...] [--failed-requirement ID...] [--not-certified]

Every profile named with --certified must be claimed and certified, every
profile named with --failed claimed and failed, each profile named with
--missing-ops must list the operations it lacks, each requirement named
with --failed-requirement must be reported failed, and every other
profile must be reported "not claimed",
with none of its requirements counted as passed: what a module does not
claim is never reported as a pass.  The run as a whole must be certified,
unless --not-certified says it must not be.  Exits 0 or 1 with the reasons.
"""
import argparse
import json
import sys

PROFILES = ["Core", "Lifecycle-Full", "Memory", "vCPU", "Devices", "Events", "Persistence"]


def check_profile(p, expect, problems):
    name = p["name"]
    if expect == "certified":
        if not p["claimed"] or p["verdict"] != "certified":
            problems.append(f"{name}: expected claimed and certified, got claimed={p['claimed']} "
                            f"verdict={p['verdict']!r}")
        elif p["tests"]["passed"] == 0 or p["tests"]["failed"] or p["requirements"]["fail"]:
            problems.append(f"{name}: certified, but tests {p['tests']} requirements "
                            f"{p['requirements']}")
    elif expect == "failed":
        if not p["claimed"] or p["verdict"] != "failed":
            problems.append(f"{name}: expected claimed and failed, got claimed={p['claimed']} "
                            f"verdict={p['verdict']!r}")
    else:
        if p["claimed"] or p["verdict"] != "not claimed":
            problems.append(f"{name}: expected 'not claimed', got claimed={p['claimed']} "
                            f"verdict={p['verdict']!r}")
        if p["tests"]["passed"] or p["requirements"]["pass"]:
            problems.append(f"{name}: not claimed, yet passes are counted: tests {p['tests']} "
                            f"requirements {p['requirements']}")


def check_requirements(report, unclaimed, problems):
    for req in report["requirements"]:
        if req["profile"] in unclaimed and req["result"] != "not-claimed":
            problems.append(f"{req['id']} ({req['profile']}) is reported {req['result']!r}, "
                            f"not 'not-claimed'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--backend", required=True)
    ap.add_argument("--certified", nargs="+", default=[], choices=PROFILES)
    ap.add_argument("--failed", nargs="+", default=[], choices=PROFILES)
    ap.add_argument("--missing-ops", nargs="+", default=[], choices=PROFILES)
    ap.add_argument("--failed-requirement", nargs="+", default=[])
    ap.add_argument("--not-certified", action="store_true")
    args = ap.parse_args()

    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    problems = []
    if report["backend"]["name"] != args.backend:
        problems.append(f"backend is {report['backend']['name']!r}, not {args.backend!r}")
    if report["certified"] == args.not_certified:
        problems.append(f"run certified={report['certified']}, expected {not args.not_certified}")
    if report["errors"]:
        problems.append(f"run errors: {report['errors']}")
    seen = {p["name"]: p for p in report["profiles"]}
    if sorted(seen) != sorted(PROFILES):
        problems.append(f"profiles reported: {sorted(seen)}; expected {sorted(PROFILES)}")
    unclaimed = set()
    for name in PROFILES:
        if name not in seen:
            continue
        expect = ("certified" if name in args.certified else
                  "failed" if name in args.failed else "not claimed")
        if expect == "not claimed":
            unclaimed.add(name)
        check_profile(seen[name], expect, problems)
    check_requirements(report, unclaimed, problems)
    for name in args.missing_ops:
        if not seen.get(name, {}).get("missing_ops"):
            problems.append(f"{name}: no missing operation is listed")
    results = {r["id"]: r["result"] for r in report["requirements"]}
    for rid in args.failed_requirement:
        if results.get(rid) != "fail":
            problems.append(f"{rid} is reported {results.get(rid)!r}, not 'fail'")

    summary = ", ".join(f"{p['name']}: {p['verdict']}" for p in report["profiles"])
    print(f"{args.report}: backend {report['backend']['name']} "
          f"{report['backend']['version']}; {summary}")
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
