#!/usr/bin/env bash
# Runs vmhi-bench-kvm: VMHI against the raw QMP floor and, when libvirt is
# installed, libvirt's qemu driver on the same QEMU.
#
#   bench/kvm/bench-kvm.sh BUILD_DIR [iterations]
#
# libvirt runs as a private libvirtd that touches nothing of the host's:
# in its own mount namespace, /run and /var are empty tmpfs, /etc/libvirt
# is this run's directory (libvirtd.conf with the socket in it, and a
# qemu.conf that runs QEMU as root with security_driver = "none", no
# cgroups, no per-VM namespaces, QEMU's output to files), and /etc/passwd
# and /etc/group gain the libvirt-qemu user the qemu driver looks up at
# start.  It has its own PID namespace, whose init (the bash below) reaps
# exited QEMUs at once, as systemd does: libvirt polls until the process
# is gone, and this machine's init reaps orphans late, which would add
# seconds to libvirt's destroy that a normal host does not have.  The
# daemon is stopped at the end.  Packages (by hand, not CI):
#   apt-get install libvirt-daemon-driver-qemu libvirt-daemon libvirt-clients
set -euo pipefail
build=$(cd "${1:?usage: bench-kvm.sh BUILD_DIR [iterations]}" && pwd)
iters=${2:-15}
bench=$build/bench/kvm/vmhi-bench-kvm
[[ -x $bench ]] || { echo "bench-kvm.sh: $bench is not built"; exit 1; }
export VMHI_BACKEND_PATH=$build/modules

driver=$(ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so 2>/dev/null | head -n1 || true)
if ! command -v libvirtd >/dev/null || [[ -z $driver ]]; then
    echo "bench-kvm.sh: libvirt is NOT INSTALLED: the libvirt column stays empty"
    echo "  (apt-get install libvirt-daemon-driver-qemu libvirt-daemon libvirt-clients)"
    unset VMHI_BENCH_LIBVIRT_URI
    VMHI_BENCH_LIBVIRT_WHY="libvirt is not installed" exec "$bench" "$iters"
fi
if [[ $(id -u) != 0 ]] || ! unshare -m true 2>/dev/null; then
    echo "bench-kvm.sh: a private libvirtd needs root and mount namespaces: libvirt NOT COMPARED"
    VMHI_BENCH_LIBVIRT_WHY="no private libvirtd (needs root and namespaces)" \
        exec "$bench" "$iters"
fi

tmp=$(mktemp -d /tmp/vmhi-bench-libvirt-XXXXXX)
daemon=
cleanup() {
    # unshare --fork ignores SIGTERM while it waits; SIGKILL ends it, and
    # --kill-child then ends the namespace: libvirtd and any QEMU in it.
    if [[ -n $daemon ]]; then
        kill -KILL "$daemon" 2>/dev/null
        wait "$daemon" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/etc" "$tmp/sock"
cat > "$tmp/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$tmp/sock"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$tmp/libvirtd.log"
CONF
cat > "$tmp/etc/qemu.conf" <<'CONF'
user = "root"
group = "root"
security_driver = "none"
dynamic_ownership = 0
remember_owner = 0
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
CONF
cp /etc/passwd "$tmp/passwd"
cp /etc/group "$tmp/group"
grep -q '^libvirt-qemu:' "$tmp/passwd" ||
    echo 'libvirt-qemu:x:64055:64055:libvirt:/var/lib/libvirt:/usr/sbin/nologin' >> "$tmp/passwd"
grep -q '^libvirt-qemu:' "$tmp/group" || echo 'libvirt-qemu:x:64055:' >> "$tmp/group"

unshare --mount --pid --fork --kill-child --mount-proc --propagation private bash -c '
    set -e
    t=$1
    mount -t tmpfs none /run
    mount -t tmpfs none /var
    mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
    ln -s /run /var/run
    mkdir -p /etc/libvirt
    mount --bind "$t/etc" /etc/libvirt
    mount --bind "$t/passwd" /etc/passwd
    mount --bind "$t/group" /etc/group
    libvirtd --config "$t/etc/libvirtd.conf" --pid-file "$t/libvirtd.pid" &
    wait $!' \
    private-libvirtd "$tmp" > "$tmp/libvirtd.out" 2>&1 &
daemon=$!
uri="qemu:///system?socket=$tmp/sock/libvirt-sock"
for _ in $(seq 1 100); do
    [[ -S $tmp/sock/libvirt-sock ]] && break
    sleep 0.1
done
# The first connection makes libvirt probe QEMU (seconds): not measured.
if ! virsh -q -c "$uri" version >/dev/null 2>"$tmp/virsh.err"; then
    echo "bench-kvm.sh: the private libvirtd did not answer: libvirt NOT COMPARED"
    tail -n 5 "$tmp/virsh.err" "$tmp/libvirtd.log" 2>/dev/null || true
    VMHI_BENCH_LIBVIRT_WHY="the private libvirtd did not answer" "$bench" "$iters"
    exit $?
fi
echo "bench-kvm.sh: libvirt $(libvirtd --version | awk '{print $NF}') (private libvirtd, $uri)"
VMHI_BENCH_LIBVIRT_URI=$uri "$bench" "$iters"
