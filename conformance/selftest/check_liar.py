#!/usr/bin/env python3
# The suite's negative control: runs vmhi-conformance against the "liar"
# backend module (selftest/liar.c), whose four defects are known, and
# checks that the run is not certified and that the report blames exactly
# the requirements and profiles those defects break.
#
#   check_liar.py VMHI_CONFORMANCE MODULE_DIR REPORT_PREFIX
# SPDX-License-Identifier: Apache-2.0

import json
import os
import subprocess
import sys

# Each defect and what it must fail.
MUST_FAIL = {
    "LC-PAUSE-2",  # 1. pause of a paused VM succeeds
    "EV-2",        # 2. reset emits no lifecycle event
    "CAP-8",       # 3. Memory claimed without set_memory
    "LIST-1",      # 4. transient VMs not listed
}
# What may fail as well because of them: the Memory requirements need the
# missing operations; a listing test may stop at LIST-1 before LIST-2; the
# threads test sees the missing events of defect 1 and 2.
MAY_FAIL = MUST_FAIL | {"MEM-%d" % i for i in range(1, 12)} | {"LIST-2", "THR-1", "EV-3"}
VERDICTS = {
    "Core": "failed", "Lifecycle-Full": "failed", "Memory": "failed", "Events": "failed",
    "vCPU": "not claimed", "Devices": "not claimed", "Persistence": "not claimed",
}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: check_liar.py vmhi-conformance module-dir report-prefix")
    suite, modules, prefix = sys.argv[1:]
    env = dict(os.environ, VMHI_BACKEND_PATH=modules)
    # Waits scaled down: the liar acts at once, and missing events would
    # otherwise be waited for in full.
    run = subprocess.run([suite, "--uri", "liar:///x", "--timeout-scale", "0.2",
                          "--report-json", prefix + ".json",
                          "--junit", prefix + ".xml", "--markdown", prefix + ".md"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(run.stdout)
    problems = []
    if run.returncode != 1:
        problems.append("exit status %d, expected 1 (not certified)" % run.returncode)
    with open(prefix + ".json") as f:
        doc = json.load(f)
    if doc["certified"]:
        problems.append("the report certifies the liar")
    failed = {r["id"] for r in doc["requirements"] if r["result"] == "fail"}
    for rid in sorted(MUST_FAIL - failed):
        problems.append("%s was not reported failed" % rid)
    for rid in sorted(failed - MAY_FAIL):
        problems.append("%s was reported failed, but no defect breaks it" % rid)
    for p in doc["profiles"]:
        if p["verdict"] != VERDICTS[p["name"]]:
            problems.append("%s is %s, expected %s" % (p["name"], p["verdict"],
                                                       VERDICTS[p["name"]]))
    memory = next(p for p in doc["profiles"] if p["name"] == "Memory")
    if "set-memory" not in memory["missing_ops"]:
        problems.append("Memory's missing operations do not name set-memory")
    for line in problems:
        print("FAIL:", line)
    print("liar: %d requirements failed as expected, %d problems" % (len(failed), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
