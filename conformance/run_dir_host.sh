#!/bin/bash
# Certifies every profile of the test backend on a directory host
# (test:///<dir>, where definitions survive reconnecting), with VMs on it
# that the suite did not create: one shut off, one running, and one named
# like a VM of another run of the suite.  They must all be exactly as they
# were afterwards, and none of the suite's own may be left.
#
#   run_dir_host.sh VMHI_CONFORMANCE VMHI_CLI REPORT_PREFIX
# SPDX-License-Identifier: Apache-2.0

set -euo pipefail

SUITE=${1:?usage: $0 vmhi-conformance vmhi report-prefix}
CLI=${2:?usage: $0 vmhi-conformance vmhi report-prefix}
REPORT=${3:?usage: $0 vmhi-conformance vmhi report-prefix}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-conf-host.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
URI="test://$TMP/host"
unset VMHI_URI

vm_xml() { # NAME
    cat <<XML
<vm xmlns="urn:vmhi:vm:1">
  <name>$1</name>
  <vcpus max="1">1</vcpus>
  <memory max="64" unit="MiB">64</memory>
</vm>
XML
}

for name in foreign-off foreign-running vmhi-conf-1-0; do
    vm_xml "$name" | "$CLI" -c "$URI" -q define -
done
"$CLI" -c "$URI" -q start foreign-running

census() {
    "$CLI" -c "$URI" --json list --all |
        python3 -c 'import json,sys
for v in sorted(json.load(sys.stdin)["vms"], key=lambda v: v["name"]):
    print(v["name"], v["uuid"], v["state"], v["persistent"])'
}

census >"$TMP/before"
status=0
"$SUITE" --uri "$URI" --report-json "$REPORT.json" --junit "$REPORT.xml" \
    --markdown "$REPORT.md" || status=$?
census >"$TMP/after"

if ! diff -u "$TMP/before" "$TMP/after"; then
    echo "FAIL: the VMs on the host differ after the run (above: before -> after)" >&2
    exit 1
fi
if [ "$(wc -l <"$TMP/after")" -ne 3 ]; then
    echo "FAIL: expected exactly the 3 foreign VMs after the run" >&2
    exit 1
fi
exit "$status"
