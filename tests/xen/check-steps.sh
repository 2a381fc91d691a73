#!/usr/bin/env bash
# Checks a step-by-step payload part ("smoke": xl driving a PV guest; "cli":
# the vmhi CLI through a PV guest's lifecycle): every step of
# OUTDIR/PART/result.txt succeeded, and at least MIN steps ran.  Prints
# each step with its time; fails naming the failed steps, with their output.
#   check-steps.sh OUTDIR PART MIN
set -uo pipefail
out=${1:?usage: check-steps.sh OUTDIR PART MIN} part=${2:?} min=${3:?}
res=$out/$part/result.txt
[[ -f $out/parts.txt ]] || { echo "check-steps.sh: no $out/parts.txt: dom0 did not run (see xen.dom0.run)"; exit 1; }
[[ -f $res ]] || { echo "check-steps.sh: no $res: the $part part did not run"; cat "$out/parts.txt"; exit 1; }
steps=$(grep -c '^OP ' "$res")
failed=$(grep '^OP ' "$res" | grep -v ' rc=0 ' | cut -d' ' -f2)
grep '^OP ' "$res"
if ((steps < min)); then
    echo "check-steps.sh: only $steps of at least $min steps ran (the part stopped early?)"
    exit 1
fi
if [[ -n $failed ]]; then
    echo "check-steps.sh: failed steps: $failed"
    awk '/^OP / { show = ($3 != "rc=0") } show' "$res"
    echo "guest console: $out/$part/guest-console.log; dom0 logs: $out/dom0-logs"
    exit 1
fi
echo "check-steps.sh: $steps steps of $part passed"
