#!/usr/bin/env bash
# The vmhi CLI drives a real QEMU VM through its whole lifecycle on
# kvm:///session; every command is a new process, so each one reconnects.
#   cli_lifecycle.sh VMHI-BINARY
set -uo pipefail
vmhi=$1
if [[ ! -x /usr/bin/qemu-system-x86_64 ]]; then
    echo "SKIP: /usr/bin/qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
    exit 77
fi
dir=$(mktemp -d /tmp/vmhi-kvm-cli-XXXXXX)
export XDG_RUNTIME_DIR=$dir/run XDG_DATA_HOME=$dir/data
cleanup() {
    for f in "$dir"/run/vmhi/kvm/*.state; do
        [[ -f $f ]] && kill -9 "$(sed -n 's/^pid=//p' "$f")" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
v() { "$vmhi" -c kvm:///session "$@"; }
expect_state() {
    local got
    got=$(v state cli-vm) || fail "state failed"
    [[ $got == "$1" ]] || fail "state is '$got', expected '$1'"
}
cat > "$dir/vm.xml" <<'X'
<vm xmlns="urn:vmhi:vm:1"><name>cli-vm</name><vcpus max="2">1</vcpus><memory max="256">128</memory></vm>
X
v define "$dir/vm.xml" >/dev/null || fail define
expect_state "shutoff (defined)"
v start cli-vm >/dev/null || fail start
expect_state "running (booted)"
v info cli-vm | grep -q "Memory: *128 MiB" || fail "info shows no 128 MiB"
v pause cli-vm >/dev/null || fail pause
expect_state "paused (user)"
v resume cli-vm >/dev/null || fail resume
expect_state "running (user)"
v setmem cli-vm 96 >/dev/null || fail setmem
v info cli-vm | grep -q "Memory: *96 MiB" || fail "setmem not shown"
v poweroff cli-vm >/dev/null || fail poweroff
v state cli-vm | grep -q "^shutoff" || fail "not shut off"
v start cli-vm >/dev/null || fail "start again"
v poweroff cli-vm >/dev/null || fail "poweroff again"
v undefine cli-vm >/dev/null || fail undefine
v state cli-vm >/dev/null 2>&1 && fail "still defined"
echo "1 passed, 0 failed"
