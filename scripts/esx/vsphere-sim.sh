#!/usr/bin/env bash
# Builds, starts and stops the vSphere simulator peer
# (conformance/peers/vsphere-sim) used by the ESX backend's tests and
# benchmark.  Everything is offline: Debian's golang-go builds the peer
# against the govmomi sources from golang-github-vmware-govmomi-dev.
#
#   vsphere-sim.sh build <out-dir>
#       Builds <out-dir>/vsphere-sim unless it is newer than its source.
#   vsphere-sim.sh start <state-dir> <bin> [--model esx|vpx] [--vms N]
#                  [--port P] [--http] [--user U --password P]
#       Starts the peer on 127.0.0.1 (a free port unless --port), waits
#       until it serves, and leaves in <state-dir>: url (the SDK URL), port,
#       pid, cert.pem (TLS only), log.
#   vsphere-sim.sh stop <state-dir>
#       Stops the peer started there (TERM, then KILL after 5 s).
#
# Exit status 77 means "cannot run here" (Go or govmomi missing); the
# reason is printed and written to <dir>/skip-reason.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
peer_src=$source_dir/conformance/peers/vsphere-sim
gopath=/usr/share/gocode
govmomi=$gopath/src/github.com/vmware/govmomi/simulator

die() { echo "vsphere-sim.sh: $*" >&2; exit 1; }

skip() { # <dir> <reason>
    mkdir -p "$1"
    printf '%s\n' "$2" >"$1/skip-reason"
    echo "vsphere-sim.sh: SKIP: $2" >&2
    exit 77
}

check_toolchain() { # <dir for skip-reason>
    command -v go >/dev/null ||
        skip "$1" "Go is not installed (apt-get install golang-go; see scripts/esx/packages.txt)"
    [[ -d $govmomi ]] ||
        skip "$1" "govmomi sources are missing (apt-get install golang-github-vmware-govmomi-dev)"
}

go_env() {
    export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH=$gopath
    # Go needs a build cache; share the user's when there is a home.
    if [[ -z ${GOCACHE:-} && -z ${XDG_CACHE_HOME:-} && ( -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ) ]]; then
        export GOCACHE=$1/go-cache
    fi
}

cmd_build() {
    local out=${1:?build needs an output directory}
    mkdir -p "$out"
    out=$(cd "$out" && pwd) # go build runs in the peer's source directory
    rm -f "$out/skip-reason"
    check_toolchain "$out"
    local bin=$out/vsphere-sim
    if [[ -x $bin && $bin -nt $peer_src/main.go ]]; then
        return 0
    fi
    go_env "$out"
    (cd "$peer_src" && go build -o "$bin.tmp" .) || die "go build of $peer_src failed"
    mv "$bin.tmp" "$bin"
}

# Waits until <file> is non-empty or the process <pid> died; 30 s at most.
wait_for_file() { # <file> <pid> <log>
    local i
    for ((i = 0; i < 300; i++)); do
        [[ -s $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "the simulator exited during start-up"; }
        sleep 0.1
    done
    kill "$2" 2>/dev/null || true
    die "the simulator did not start within 30 s (see $3)"
}

cmd_start() {
    local dir=${1:?start needs a state directory} bin=${2:?start needs the simulator binary}
    shift 2
    [[ $bin == /* ]] || bin=$PWD/$bin
    local model=esx vms=2 port=0 plain=0 user="" password=""
    while (($#)); do
        case $1 in
        --model) model=$2; shift 2 ;;
        --vms) vms=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --http) plain=1; shift ;;
        --user) user=$2; shift 2 ;;
        --password) password=$2; shift 2 ;;
        *) die "unknown start option '$1'" ;;
        esac
    done
    mkdir -p "$dir"
    [[ -s $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null &&
        die "a simulator already runs from $dir (pid $(cat "$dir/pid")); stop it first"
    [[ -x $bin ]] || { [[ -s $(dirname "$bin")/skip-reason ]] && skip "$dir" "$(cat "$(dirname "$bin")/skip-reason")"; die "$bin is not built"; }
    rm -f "$dir/url" "$dir/port" "$dir/pid" "$dir/cert.pem" "$dir/skip-reason"
    local args=(-model "$model" -vms "$vms" -listen "127.0.0.1:$port" -url-file "$dir/url")
    ((plain)) && args+=(-http) || args+=(-cert-file "$dir/cert.pem")
    [[ -n $user ]] && args+=(-user "$user" -password "$password")
    # The simulator keeps its datastore under TMPDIR; give it its own.
    mkdir -p "$dir/tmp"
    TMPDIR=$dir/tmp setsid "$bin" "${args[@]}" >"$dir/log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$dir/pid"
    wait_for_file "$dir/url" "$pid" "$dir/log"
    local url
    url=$(cat "$dir/url")
    url=${url##*:}
    echo "${url%%/*}" >"$dir/port"
    cat "$dir/url"
}

cmd_stop() {
    local dir=${1:?stop needs a state directory} pid i
    [[ -s $dir/pid ]] || return 0
    pid=$(cat "$dir/pid")
    if kill -TERM "$pid" 2>/dev/null; then
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid" "$dir/url" "$dir/port"
    rm -rf "$dir/tmp"
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*) die "usage: vsphere-sim.sh build <out-dir> | start <state-dir> <bin> [options] | stop <state-dir>" ;;
esac
