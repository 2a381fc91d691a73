#!/usr/bin/env bash
# Runs vmhi-conformance against the vSphere simulator that the
# esx.sim.conf.<model>.start fixture started in <sim-dir>.
#   run-conformance.sh <vmhi-conformance> <sim-dir> <scope> [suite options...]
# <scope> is "esx" (esx://127.0.0.1:PORT/) or "vpx/<datacenter>/<cluster-or-host>"
# (vpx://127.0.0.1:PORT/<datacenter>/<cluster-or-host>).  Without suite
# options every profile the backend claims is certified.
# Exit 77 (skipped) when the simulator could not run here.
set -euo pipefail
suite=$1 dir=$(cd "$2" && pwd) scope=$3
shift 3
if [[ -s $dir/skip-reason ]]; then
    echo "SKIP: $(cat "$dir/skip-reason")"
    exit 77
fi
[[ -s $dir/port ]] || { echo "run-conformance.sh: no simulator running in $dir" >&2; exit 1; }
port=$(cat "$dir/port")
case $scope in
esx) uri="esx://127.0.0.1:$port/?no_verify=1" ;;
vpx/*) uri="vpx://127.0.0.1:$port/${scope#vpx/}?no_verify=1" ;;
*) echo "run-conformance.sh: scope '$scope': use esx or vpx/<dc>/<cluster-or-host>" >&2; exit 2 ;;
esac
# Disk images go on the simulator's datastore (a local directory), where
# the backend's datastore paths and the suite's local files meet.
datastore=$(ls -d "$dir"/tmp/govcsim-*LocalDS_0* 2>/dev/null | head -n1)
[[ -n $datastore ]] || { echo "run-conformance.sh: no datastore under $dir/tmp" >&2; exit 1; }
mkdir -p "$datastore/vmhi-conf"
auth=$dir/auth
(umask 077 && printf 'esx://127.0.0.1 vmhi vmhi-pass\nvpx://127.0.0.1 vmhi vmhi-pass\n' >"$auth")
exec "$suite" --uri "$uri" --auth-file "$auth" --disk-dir "$datastore/vmhi-conf" \
    --report-json "$dir/report.json" --markdown "$dir/report.md" "$@"
