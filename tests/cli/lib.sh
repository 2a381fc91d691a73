# Helpers for the vmhi CLI end-to-end tests.  Sourced by each test script
# with the vmhi binary as $1.  Each script gets its own temporary
# directory; test:///<dir> URIs keep the host there between invocations.
# SPDX-License-Identifier: Apache-2.0

set -u

VMHI=${1:?usage: $0 /path/to/vmhi}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-cli.XXXXXX")
HOST="$TMP/host"
URI="test://$HOST"
OUT="$TMP/stdout"
ERR="$TMP/stderr"
FAILURES=0
CHECKS=0
unset VMHI_URI
trap 'rm -rf "$TMP"' EXIT

fail() {
    FAILURES=$((FAILURES + 1))
    echo "FAIL: $*" >&2
    echo "  --- stdout:" >&2; sed 's/^/  | /' "$OUT" >&2
    echo "  --- stderr:" >&2; sed 's/^/  | /' "$ERR" >&2
}

# run ARGS...: runs vmhi against the test host, keeping stdout/stderr.
run() {
    "$VMHI" -c "$URI" "$@" >"$OUT" 2>"$ERR"
}

# expect CODE ARGS...: runs vmhi -c $URI ARGS and checks the exit code.
expect() {
    local want=$1 got
    shift
    CHECKS=$((CHECKS + 1))
    run "$@"
    got=$?
    [ "$got" -eq "$want" ] || fail "vmhi $* exited $got, expected $want"
}

# expect_raw CODE ARGS...: same without the -c option.
expect_raw() {
    local want=$1 got
    shift
    CHECKS=$((CHECKS + 1))
    "$VMHI" "$@" >"$OUT" 2>"$ERR"
    got=$?
    [ "$got" -eq "$want" ] || fail "vmhi $* exited $got, expected $want"
}

out_has() {
    CHECKS=$((CHECKS + 1))
    grep -q -- "$1" "$OUT" || fail "stdout lacks '$1'"
}

out_lacks() {
    CHECKS=$((CHECKS + 1))
    ! grep -q -- "$1" "$OUT" || fail "stdout has '$1'"
}

err_has() {
    CHECKS=$((CHECKS + 1))
    grep -q -- "$1" "$ERR" || fail "stderr lacks '$1'"
}

err_lacks() {
    CHECKS=$((CHECKS + 1))
    ! grep -q -- "$1" "$ERR" || fail "stderr has '$1'"
}

# json_check PYTHON-EXPR: evaluates EXPR with d = the JSON on stdout; it must be true.
json_check() {
    CHECKS=$((CHECKS + 1))
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$OUT" "$1" 2>>"$ERR" || fail "JSON check failed: $1"
}

# json_get PYTHON-EXPR: prints EXPR evaluated with d = the JSON on stdout.
json_get() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$OUT" "$1"
}

# write_vm_xml FILE NAME: a VM with 2 vCPUs (max 4), 1024 MiB (max 2048), a disk and a NIC.
write_vm_xml() {
    cat >"$1" <<XML
<?xml version="1.0"?>
<vm xmlns="urn:vmhi:vm:1">
  <name>$2</name>
  <vcpus max="4">2</vcpus>
  <memory max="2048" unit="MiB">1024</memory>
  <devices>
    <disk id="disk0" format="qcow2" bus="virtio">
      <path>/var/lib/vmhi/$2.qcow2</path>
    </disk>
    <nic id="nic0" model="virtio">
      <network>user</network>
    </nic>
  </devices>
</vm>
XML
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$FAILURES of $CHECKS checks failed" >&2
        exit 1
    fi
    echo "all $CHECKS checks passed"
    exit 0
}
