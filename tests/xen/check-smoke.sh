#!/usr/bin/env bash
# xen.testbed.smoke: every step of the "smoke" part (tests/xen/payload/smoke,
# xl driving a PV guest in dom0) succeeded.  Prints each step with its time;
# fails naming the steps that failed, with their output.
set -uo pipefail
out=${1:?usage: check-smoke.sh OUTDIR}
res=$out/smoke/result.txt
[[ -f $out/parts.txt ]] || { echo "check-smoke.sh: no $out/parts.txt: dom0 did not run (see xen.dom0.run)"; exit 1; }
[[ -f $res ]] || { echo "check-smoke.sh: no $res: the smoke part did not run"; cat "$out/parts.txt"; exit 1; }
steps=$(grep -c '^OP ' "$res")
failed=$(grep '^OP ' "$res" | grep -v ' rc=0 ' | cut -d' ' -f2)
grep '^OP ' "$res"
if ((steps < 30)); then
    echo "check-smoke.sh: only $steps steps ran (the part stopped early?)"
    exit 1
fi
if [[ -n $failed ]]; then
    echo "check-smoke.sh: failed steps: $failed"
    awk '/^OP / { show = ($3 != "rc=0") } show' "$res"
    echo "guest console: $out/smoke/guest-console.log; dom0 logs: $out/dom0-logs"
    exit 1
fi
echo "check-smoke.sh: $steps steps passed"
