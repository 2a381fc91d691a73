#!/usr/bin/env bash
# Runs vmhi-bench-esx against the vSphere simulator with 100 and 1000 VMs.
#   bench/esx/run-bench.sh <build-dir> [rounds]
# Needs Go and govmomi (scripts/esx/packages.txt); builds the simulator in
# <build-dir>/bench/esx/sim.
#
# When virsh is installed, libvirt's esx driver is measured too, through
# xsitype-shim (built here with Go's standard library): an HTTPS proxy in
# front of the simulator that adds the xsi:type attributes libvirt's
# driver needs and the simulator omits.  VMHI talks to the simulator
# directly.  virsh gets the credentials from a libvirt auth file; its log
# goes to <build-dir>/bench/esx/run-N/virsh.log.
set -euo pipefail
build=$(cd "${1:?usage: run-bench.sh <build-dir> [rounds]}" && pwd)
rounds=${2:-9}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sim=$here/../../scripts/esx/vsphere-sim.sh
work=$build/bench/esx
user=vmhi password=vmhi-pass
"$sim" build "$work/sim"

libvirt=0
if command -v virsh >/dev/null; then
    libvirt=1
    if [[ -z ${GOCACHE:-} && -z ${XDG_CACHE_HOME:-} && ( -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ) ]]; then
        export GOCACHE=$work/go-cache
    fi
    (cd "$here/xsitype-shim" && GO111MODULE=off GOPROXY=off GOFLAGS= go build -o "$work/xsitype-shim" .)
    # libvirt reads credentials for esx://127.0.0.1 from this file.
    export LIBVIRT_AUTH_FILE=$work/libvirt-auth.conf
    (umask 077 && printf '[credentials-sim]\nusername=%s\npassword=%s\n\n[auth-esx-127.0.0.1]\ncredentials=sim\n' \
        "$user" "$password" >"$LIBVIRT_AUTH_FILE")
    # Only errors in libvirt's log; it goes to virsh.log anyway.
    export LIBVIRT_LOG_OUTPUTS=4:stderr
else
    echo "libvirt's esx driver: not measured, virsh is not installed" \
        "(apt-get install libvirt-clients libvirt0)"
fi

shim_pid=
cleanup() { # <state-dir>
    if [[ -n $shim_pid ]]; then
        kill "$shim_pid" 2>/dev/null || true
        wait "$shim_pid" 2>/dev/null || true
        shim_pid=
    fi
    "$sim" stop "$1"
}

# Starts the shim in front of the simulator of <state-dir>; sets shim_pid
# and leaves the port in <state-dir>/shim-port.
start_shim() { # <state-dir>
    rm -f "$1/shim-port"
    "$work/xsitype-shim" -upstream "https://127.0.0.1:$(cat "$1/port")" \
        -port-file "$1/shim-port" >"$1/shim.log" 2>&1 </dev/null &
    shim_pid=$!
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $1/shim-port ]] && return 0
        kill -0 "$shim_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$1/shim.log" >&2
    echo "run-bench.sh: xsitype-shim did not start" >&2
    return 1
}

export VMHI_BACKEND_PATH=$build/modules
for n in 100 1000; do
    state=$work/run-$n
    "$sim" start "$state" "$work/sim/vsphere-sim" --vms "$n" --user "$user" --password "$password" \
        >/dev/null
    trap 'cleanup "$state"' EXIT
    args=(--port "$(cat "$state/port")" --user "$user" --password "$password" --rounds "$rounds")
    if ((libvirt)); then
        : >"$state/virsh.log"
        start_shim "$state"
        args+=(--libvirt-port "$(cat "$state/shim-port")" --virsh-log "$state/virsh.log")
    fi
    "$build/bench/esx/vmhi-bench-esx" "${args[@]}"
    cleanup "$state"
    trap - EXIT
done
