#!/usr/bin/env bash
# Runs vmhi-conformance against kvm:///session in a fresh private session
# directory (XDG_RUNTIME_DIR / XDG_DATA_HOME), then kills any QEMU the run
# left behind.  Exits 77 (SKIP) without QEMU, or without the test guest
# when one is asked for.
#   run-conformance.sh CONFORMANCE-BINARY WORKDIR [--guest DIR] [suite arguments...]
# --guest DIR: VMs boot the tiny Linux guest of scripts/kvm/build-guest.sh
# (DIR/vmlinux, DIR/initramfs.cpio.gz) under TCG, so that shutdown, reboot
# and unplug requests have a guest that acts on them: VMs without a kernel
# of their own through the URI's kernel= defaults, and the suite's direct
# kernel boot case (CFG-11) from the same files named in the VM's own
# description (--kernel, --initrd).
set -uo pipefail
conf=$1 work=$2
shift 2
uri=kvm:///session
if [[ ${1:-} == --guest ]]; then
    guest=$2
    shift 2
    if [[ ! -r $guest/vmlinux || ! -r $guest/initramfs.cpio.gz ]]; then
        echo "SKIP: the test guest is not built in $guest (scripts/kvm/build-guest.sh)"
        exit 77
    fi
    # The kernel's console on the serial port (kept in <uuid>.console), quiet.
    uri="kvm:///session?accel=tcg&kernel=$guest/vmlinux&initrd=$guest/initramfs.cpio.gz"
    uri+="&append=console%3DttyS0%20quiet%20panic%3D-1"
    set -- --kernel "$guest/vmlinux" --initrd "$guest/initramfs.cpio.gz" "$@"
fi
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
# The suite's way to crash a VM (spec 3.2): kill -9 of its QEMU, whose pid
# the runtime record holds.
crash='kill -9 "$(sed -n "s/^pid=//p" "$XDG_RUNTIME_DIR/vmhi/kvm/$VMHI_CONF_VM_UUID.state")"'
"$conf" --uri "$uri" --crash-command "$crash" "$@"
