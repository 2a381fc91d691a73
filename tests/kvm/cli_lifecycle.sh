#!/usr/bin/env bash
# The vmhi CLI drives a real QEMU VM through its whole lifecycle on
# kvm:///session, then OVF export and import of a VM with an image;
# every command is a new process, so each one reconnects.
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

# OVF through the CLI: a VM with a qcow2 image exported as an .ova (the
# image becomes a streamOptimized vmdk), undefined and imported back (the
# vmdk becomes qcow2 again): the same description, the same image content,
# and it starts.  A VMware export from the corpus, adapted to KVM.
qemu-img create -q -f qcow2 "$dir/root.qcow2" 16M || fail "qemu-img create"
qemu-io -f qcow2 -c "write -P 0x5a 1M 64k" "$dir/root.qcow2" >/dev/null || fail "qemu-io write"
cat > "$dir/ovf.xml" <<X
<vm xmlns="urn:vmhi:vm:1"><name>cli-ovf</name><vcpus max="2">1</vcpus><memory max="256">128</memory>
<devices><disk id="root" format="qcow2"><path>$dir/root.qcow2</path></disk>
<nic id="net0"><network>user</network></nic></devices></vm>
X
v define "$dir/ovf.xml" >/dev/null || fail "define cli-ovf"
v dumpconfig cli-ovf >"$dir/ovf-before.xml" || fail "dumpconfig cli-ovf"
v export cli-ovf -o "$dir/cli-ovf.ova" | grep -q "exported to $dir/cli-ovf.ova" || fail "export .ova"
v undefine cli-ovf >/dev/null || fail "undefine cli-ovf"
v import "$dir/cli-ovf.ova" --disk-dir "$dir/in" >"$dir/import.out" || fail "import .ova: $(cat "$dir/import.out")"
grep -q "converted to qcow2" "$dir/import.out" || fail "import did not convert: $(cat "$dir/import.out")"
imported=$(v dumpconfig cli-ovf | sed -n 's:.*<path>\(.*\)</path>.*:\1:p')
[[ $imported == "$dir/in/"* ]] || fail "the imported disk is at '$imported', not in $dir/in"
qemu-img compare -q "$dir/root.qcow2" "$imported" || fail "the imported image differs"
v dumpconfig cli-ovf | sed "s:<path>$imported</path>:<path>$dir/root.qcow2</path>:" |
    diff -u "$dir/ovf-before.xml" - || fail "export -> import changed the description"
v start cli-ovf >/dev/null || fail "start the imported VM"
v state cli-ovf | grep -q "^running" || fail "the imported VM is not running"
v poweroff cli-ovf >/dev/null || fail "poweroff cli-ovf"
v undefine cli-ovf >/dev/null || fail "undefine the imported VM"
v import "$(dirname "${BASH_SOURCE[0]}")/../data/ovf/vmware-vmx13.ovf" --dry-run --network user >"$dir/vmx13.out" ||
    fail "vmx-13 dry run"
grep -q "adapted: web13: disk disk0: bus scsi is not accepted by the kvm backend" "$dir/vmx13.out" ||
    fail "no bus adaptation: $(cat "$dir/vmx13.out")"
grep -q "network 'VM Network' mapped to 'user'" "$dir/vmx13.out" || fail "no network mapping"
v state web13 >/dev/null 2>&1 && fail "a dry run defined web13"
echo "1 passed, 0 failed"
