#!/usr/bin/env bash
# Runs vmhi-bench-esx against the vSphere simulator with 100 and 1000 VMs.
#   bench/esx/run-bench.sh <build-dir> [rounds]
# Needs Go and govmomi (scripts/esx/packages.txt); builds the simulator in
# <build-dir>/bench/esx/sim.  libvirt's esx driver is not measured here:
# it needs a response-rewriting shim (xsi:type on ArrayOf* children) that
# this script does not have yet.
set -euo pipefail
build=$(cd "${1:?usage: run-bench.sh <build-dir> [rounds]}" && pwd)
rounds=${2:-9}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sim=$here/../../scripts/esx/vsphere-sim.sh
work=$build/bench/esx
"$sim" build "$work/sim"
export VMHI_BACKEND_PATH=$build/modules
for n in 100 1000; do
    state=$work/run-$n
    "$sim" start "$state" "$work/sim/vsphere-sim" --vms "$n" --user vmhi --password vmhi-pass \
        >/dev/null
    trap '"$sim" stop "$state"' EXIT
    "$build/bench/esx/vmhi-bench-esx" --port "$(cat "$state/port")" --rounds "$rounds"
    "$sim" stop "$state"
    trap - EXIT
done
