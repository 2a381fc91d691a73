#!/bin/sh
# Runs vmhi-soak with kvm:///session state in a private directory under
# /tmp (QMP socket paths must stay short), and kills any QEMU it left.
#   run-soak.sh <vmhi-soak> [arguments...]
# SPDX-License-Identifier: Apache-2.0
set -u
soak=$1
shift
if [ ! -x /usr/bin/qemu-system-x86_64 ]; then
    echo "SKIP: /usr/bin/qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
    exit 77
fi
dir=$(mktemp -d /tmp/vmhi-soak-XXXXXX) || exit 1
mkdir -m 700 "$dir/run"
XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data "$soak" "$@"
rc=$?
for f in "$dir"/run/vmhi/kvm/*.state; do
    [ -f "$f" ] || continue
    p=$(sed -n 's/^pid=//p' "$f")
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null
done
rm -rf "$dir"
exit $rc
