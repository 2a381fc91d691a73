#!/usr/bin/env bash
# Runs vmhi-conformance against kvm:///session in a fresh private session
# directory (XDG_RUNTIME_DIR / XDG_DATA_HOME), then kills any QEMU the run
# left behind.  Exits 77 (SKIP) without QEMU.
#   run-conformance.sh CONFORMANCE-BINARY WORKDIR [suite arguments...]
set -uo pipefail
conf=$1 work=$2
shift 2
if [[ ! -x /usr/bin/qemu-system-x86_64 ]]; then
    echo "SKIP: /usr/bin/qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
    exit 77
fi
mkdir -p "$work"
# Under /tmp: QMP socket paths must fit a unix socket address (107 bytes).
dir=$(mktemp -d /tmp/vmhi-kvm-conf-XXXXXX)
cd "$work"
export XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data
cleanup() {
    for f in "$dir"/run/vmhi/kvm/*.state; do
        [[ -f $f ]] || continue
        pid=$(sed -n 's/^pid=//p' "$f")
        [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT
"$conf" --uri kvm:///session "$@"
