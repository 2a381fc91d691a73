#!/usr/bin/env python3
# conformance.xen: the report of the "conformance" part (vmhi-conformance
# on xen:/// in dom0) certifies every profile the xen backend claims, or
# each PROFILE named (the run selected only those), with no failed test.
# Prints each profile's verdict and each failed or n/a test with its
# message; a claimed profile the run did not select is named as such.
# --part names the dom0 part whose report it reads (default: conformance;
# conformance-idle for the run with the idle PV kernel).
#   check-conformance.py [--part PART] OUTDIR [PROFILE...]
# SPDX-License-Identifier: Apache-2.0
import json
import os
import sys

args = sys.argv[1:]
part = "conformance"
if len(args) >= 2 and args[0] == "--part":
    part, args = args[1], args[2:]
if not args:
    sys.exit("usage: check-conformance.py [--part PART] OUTDIR [PROFILE...]")
out = args[0]
wanted = args[1:]
path = os.path.join(out, part, "report.json")
if not os.path.exists(os.path.join(out, "parts.txt")):
    sys.exit(f"check-conformance: no {out}/parts.txt: dom0 did not run (see xen.dom0.run)")
if not os.path.exists(path):
    sys.exit(f"check-conformance: no {path}: the suite wrote no report; see "
             f"{out}/{part}/output.txt")
with open(path) as f:
    report = json.load(f)
ok = True
print(f"{report['backend']} on {report['uri']}: {report['duration_seconds']:.0f} s")
for p in report["profiles"]:
    t = p["tests"]
    print(f"  {p['name']:15} {p['verdict']:12} tests {t['passed']} passed, {t['failed']} failed, "
          f"{t['not_applicable']} n/a")
    # A selected profile must be certified, also one the suite added to
    # the selection (it runs Core with any profile).
    if (p["selected"] or p["name"] in wanted) and p["verdict"] != "certified":
        ok = False
    elif not wanted and p["claimed"] and p["verdict"] != "certified":
        ok = False
missing = [w for w in wanted if w not in [p["name"] for p in report["profiles"]]]
for w in missing:
    ok = False
    print(f"  {w}: no such profile in the report")
unrun = [p["name"] for p in report["profiles"] if p["claimed"] and not p["selected"]]
if unrun:
    print(f"  claimed but not run here: {', '.join(unrun)} (a full run: "
          f"-DVMHI_XEN_CONFORMANCE_PROFILES=)")
for t in report["tests"]:
    if t["result"] == "fail":
        ok = False
        print(f"FAIL {t['name']} ({t['profile']}): {t['message']}")
    elif t["result"] == "not-applicable":
        print(f"N/A  {t['name']} ({t['profile']}): {t['message'] or t['notes']}")
for e in report.get("errors", []):
    ok = False
    print(f"ERROR {e}")
if not report["certified"]:
    ok = False
what = ", ".join(wanted) + " certified" if wanted else "every claimed profile certified"
print("check-conformance: " + (what if ok else "NOT certified"))
sys.exit(0 if ok else 1)
