#!/usr/bin/env bash
# Runs vmhi-demo and checks that it exits 0 and tells the whole story:
# events as they happen, the pending detach completing, the shutdown.
# SPDX-License-Identifier: Apache-2.0
set -u
demo=${1:?usage: $0 /path/to/vmhi-demo [URI]}
uri=${2:-test:///default}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$demo" "$uri" >"$out" 2>&1
rc=$?
cat "$out"
if [ $rc -ne 0 ]; then
    echo "FAIL: vmhi-demo exited $rc" >&2
    exit 1
fi
status=0
for want in '<vm xmlns="urn:vmhi:vm:1">' 'event #[0-9]* memory' 'event #[0-9]* vcpu' \
            'event #[0-9]* device-added' 'event #[0-9]* device-removed' \
            'shutting-down' 'shutoff' \
            'Demo finished: all [0-9]* steps succeeded'; do
    if ! grep -q -- "$want" "$out"; then
        echo "FAIL: the demo's output lacks '$want'" >&2
        status=1
    fi
done
exit $status
