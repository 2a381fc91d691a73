#!/usr/bin/env python3
# xen.conformance: the report of the "conformance" part (vmhi-conformance
# on xen:/// in dom0) certifies every profile the xen backend claims, with
# no failed test.  Prints each profile's verdict and each failed test with
# its message.
#   check-conformance.py OUTDIR
# SPDX-License-Identifier: Apache-2.0
import json
import os
import sys

out = sys.argv[1]
path = os.path.join(out, "conformance", "report.json")
if not os.path.exists(os.path.join(out, "parts.txt")):
    sys.exit(f"check-conformance: no {out}/parts.txt: dom0 did not run (see xen.dom0.run)")
if not os.path.exists(path):
    sys.exit(f"check-conformance: no {path}: the suite wrote no report; see "
             f"{out}/conformance/output.txt")
with open(path) as f:
    report = json.load(f)
ok = True
print(f"{report['backend']} on {report['uri']}: {report['duration_seconds']:.0f} s")
for p in report["profiles"]:
    t = p["tests"]
    print(f"  {p['name']:15} {p['verdict']:12} tests {t['passed']} passed, {t['failed']} failed, "
          f"{t['not_applicable']} n/a")
    if p["claimed"] and p["verdict"] != "certified":
        ok = False
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
print("check-conformance: " + ("every claimed profile certified" if ok else "NOT certified"))
sys.exit(0 if ok else 1)
