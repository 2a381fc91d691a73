#!/usr/bin/env bash
# Runs vmhi-bench-xen in a Xen 4.17 dom0 booted under QEMU TCG: the same
# operations through xl and through VMHI (the vmhi CLI, and libvmhi in
# one process) inside one boot, then prints the table it wrote.
#
#   bench/xen/bench-xen.sh BUILD_DIR [iterations]      (default 5)
#
# The payload is the driver, libvmhi, the xen module and the vmhi CLI of
# BUILD_DIR.  The test bed is $VMHI_XEN_TESTBED, else
# BUILD_DIR/tests/xen/testbed (made by scripts/xen/build-testbed.sh when
# missing).  Results go to $VMHI_BENCH_OUT, else BUILD_DIR/bench/xen/out:
# table.txt, progress.txt (a line per operation), the last outputs of
# `xl list -l` and `vmhi list --all`, console.log and dom0's Xen logs.
# QEMU gets QEMU_MEM (default 4096M here: 20 paused guests of 96 MiB on top
# of dom0's 768 MiB).  The driver's progress lines are followed on stderr
# while it runs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: bench-xen.sh BUILD_DIR [iterations]}" && pwd)
iters=${2:-5}
[[ $iters =~ ^[1-9][0-9]?$ ]] || { echo "bench-xen.sh: iterations: 1..50" >&2; exit 2; }
bench=$build/bench/xen/vmhi-bench-xen
for f in "$bench" "$build/modules/vmhi-xen.so" "$build/tools/vmhi/vmhi"; do
    [[ -x $f || -f $f ]] || { echo "bench-xen.sh: $f is not built (targets vmhi vmhi-xen vmhi-cli vmhi-bench-xen)" >&2; exit 1; }
done
tb=${VMHI_XEN_TESTBED:-$build/tests/xen/testbed}
[[ -e $tb/.stamp ]] || "$src/scripts/xen/build-testbed.sh" "$tb" >&2
out=${VMHI_BENCH_OUT:-$build/bench/xen/out}
case $out in /|"$src"|"$build") echo "bench-xen.sh: refusing to empty $out" >&2; exit 2 ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-bench-xen.XXXXXX")
follower=
cleanup() {
    [[ -n $follower ]] && kill "$follower" 2>/dev/null
    rm -rf "$stage"
}
trap cleanup EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/modules"
cp -a "$build"/lib/libvmhi.so* "$stage/lib/"
cp -a "$build/modules/vmhi-xen.so" "$stage/modules/"
cp -a "$build/tools/vmhi/vmhi" "$bench" "$stage/bin/"
echo "$iters" >"$stage/iterations"
# In dom0: the table to /out/table.txt, progress (stderr) to the console
# too, so that this side can follow it; the table goes to the console at
# the end in case the results disk does not come back.
cat >"$stage/run" <<'RUN'
#!/bin/sh
export VMHI_BACKEND_PATH=/payload/modules
mkdir -p /out
{ vmhi-bench-xen "$(cat /payload/iterations)" /out; echo $? >/out/rc; } 2>&1 >/out/table.txt |
    tee /out/progress.txt
cat /out/table.txt
exit "$(cat /out/rc)"
RUN
chmod +x "$stage/run"

rm -rf "$out"
mkdir -p "$out"
: >"$out/console.log"
# The console file is QEMU's serial output, written as dom0 runs.
tail -n +1 -F --pid=$$ "$out/console.log" 2>/dev/null | sed -u -n 's/\r$//; /^vmhi-bench-xen: /p' >&2 &
follower=$!
export QEMU_MEM=${QEMU_MEM:-4096M}
t0=$(date +%s)
rc=0
"$src/scripts/xen/run-dom0.sh" --testbed "$tb" --payload "$stage" --out "$out" \
    --timeout "${VMHI_BENCH_TIMEOUT:-$((900 + iters * 500))}" | tee "$stage/boot.log" || rc=$?
kill "$follower" 2>/dev/null || true
follower=
echo
if [[ -s $out/table.txt ]]; then
    cat "$out/table.txt"
else
    echo "bench-xen.sh: no table came back (run-dom0.sh status $rc); see $out/console.log"
fi
ready=$(sed -n 's/.*\[ *\([0-9.]*\) s\] dom0 ready.*/\1/p' "$stage/boot.log" | head -n1)
echo "boot: dom0 ready ${ready:-?} s after QEMU started; whole run $(($(date +%s) - t0)) s" \
    "(QEMU_MEM $QEMU_MEM); results in $out"
exit "$rc"
