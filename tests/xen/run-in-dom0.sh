#!/usr/bin/env bash
# Host side of the Xen tests: stages the dom0 payload and boots it once.
#
#   tests/xen/run-in-dom0.sh --build BUILDDIR --testbed TBDIR --out OUTDIR
#                            --parts "smoke conformance ..." [--timeout SECS]
#
# The payload is tests/xen/payload/ (run, one script per part) plus what
# BUILDDIR made: libvmhi, the xen module, the vmhi CLI, vmhi-conformance
# and vmhi-soak, when they exist (the "smoke" part needs none of them).
# One boot serves every part: a boot costs ~12 s of TCG, and the ctest
# checks of the parts (tests/xen/check-*.sh) read OUTDIR afterwards.
# VMHI_XEN_STRESS sets the "stress" part's SECS, LOOPS and MEM;
# VMHI_XEN_CONF_ARGS adds arguments to vmhi-conformance.
# OUTDIR is emptied first, so a check never reads an earlier run's results.
# Exit status: run-dom0.sh's (0 when the payload ran and its results came
# back; the parts' own verdicts are in OUTDIR/parts.txt).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build= tb= out= parts= timeout=900
while (($#)); do
    (($# >= 2)) || { echo "run-in-dom0.sh: $1 needs a value" >&2; exit 94; }
    case $1 in
    --build) build=$2 ;;
    --testbed) tb=$2 ;;
    --out) out=$2 ;;
    --parts) parts=$2 ;;
    --timeout) timeout=$2 ;;
    *) echo "run-in-dom0.sh: unknown option $1" >&2; exit 94 ;;
    esac
    shift 2
done
[[ -n $build && -n $tb && -n $out && -n $parts ]] ||
    { echo "usage: run-in-dom0.sh --build DIR --testbed DIR --out DIR --parts LIST" >&2; exit 94; }
for p in $parts; do
    [[ -x $here/payload/$p ]] || { echo "run-in-dom0.sh: no payload part $p" >&2; exit 94; }
done

case $out in /|"$src"|"$build") echo "run-in-dom0.sh: refusing to empty $out" >&2; exit 94 ;; esac
rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-xen-payload.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp -a "$here/payload/." "$stage/"
echo "$parts" >"$stage/parts"
# The "stress" part's settings (payload/stress says which), e.g.
# VMHI_XEN_STRESS="SECS=600 LOOPS=5".
printf '%s\n' ${VMHI_XEN_STRESS:-} >"$stage/stress.conf"
# More arguments for the conformance part, e.g. VMHI_XEN_CONF_ARGS="--only crash".
[[ -n ${VMHI_XEN_CONF_ARGS:-} ]] && printf '%s\n' "$VMHI_XEN_CONF_ARGS" >"$stage/conformance.args"
[[ -n ${VMHI_XEN_CONF_IDLE_ARGS:-} ]] &&
    printf '%s\n' "$VMHI_XEN_CONF_IDLE_ARGS" >"$stage/conformance-idle.args"
mkdir -p "$stage/bin" "$stage/lib" "$stage/modules"
copy_if() { # <file> <dir>
    [[ -e $1 ]] && cp -a "$1" "$2/"
    return 0
}
for f in "$build"/lib/libvmhi.so*; do copy_if "$f" "$stage/lib"; done
copy_if "$build/modules/vmhi-xen.so" "$stage/modules"
copy_if "$build/tools/vmhi/vmhi" "$stage/bin"
copy_if "$build/conformance/vmhi-conformance" "$stage/bin"
copy_if "$build/tests/soak/vmhi-soak" "$stage/bin"
# The "ovf" part converts images with the host's qemu-img (run-dom0.sh adds
# the libraries it needs) and imports the OVF corpus.
if [[ " $parts " == *" ovf "* ]]; then
    qemu_img=$(command -v qemu-img) || { echo "run-in-dom0.sh: the ovf part needs qemu-img (qemu-utils)" >&2; exit 94; }
    cp "$qemu_img" "$stage/bin/"
    mkdir -p "$stage/ovf-corpus"
    cp "$src"/tests/data/ovf/*.ovf "$stage/ovf-corpus/"
fi
exec "$src/scripts/xen/run-dom0.sh" --testbed "$tb" --payload "$stage" --out "$out" --timeout "$timeout"
