#!/usr/bin/env python3
# Negative control for the per-value capabilities: the test backend's
# lie= parameter keeps values declared yet refuses them with
# VMHI_E_UNSUPPORTED.  The suite must fail exactly those rows of
# every_value_as_declared, charge CAP-4, and not certify.
#
#   check_lie.py VMHI_CONFORMANCE REPORT_PREFIX
# SPDX-License-Identifier: Apache-2.0

import json
import subprocess
import sys

LIES = ["nic-model:e1000", "shutdown-method:acpi"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_lie.py vmhi-conformance report-prefix")
    suite, prefix = sys.argv[1:]
    uri = "test:///default?lie=" + ",".join(LIES)
    run = subprocess.run([suite, "--uri", uri, "--report-json", prefix + ".json"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(run.stdout)
    with open(prefix + ".json") as f:
        doc = json.load(f)
    problems = []
    if run.returncode != 1 or doc["certified"]:
        problems.append("exit status %d (certified %s), expected 1, not certified" %
                        (run.returncode, doc["certified"]))
    failed = {r["id"] for r in doc["requirements"] if r["result"] == "fail"}
    if failed != {"CAP-4"}:
        problems.append("failed requirements %s, expected only CAP-4" % sorted(failed))
    tests = {t["name"] for t in doc["tests"] if t["result"] == "fail"}
    want = {"every_value_as_declared[%s]" % lie.replace(":", "/") for lie in LIES}
    if tests != want:
        problems.append("failed tests %s, expected %s" % (sorted(tests), sorted(want)))
    for line in problems:
        print("FAIL:", line)
    print("lie: %d problems" % len(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
