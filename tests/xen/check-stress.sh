#!/usr/bin/env bash
# Checks the "stress" part (tests/xen/payload/stress): xl alone created and
# destroyed PV guests in concurrent loops, and no dom0 process died of a
# fault meanwhile, no xl command failed, and at least MIN cycles ran.  This
# is the test bed's own guard: with SVM in QEMU's CPU, dom0 processes
# segfaulted within a minute (scripts/xen/run-dom0.sh says why).
#   check-stress.sh OUTDIR MIN
set -uo pipefail
out=${1:?usage: check-stress.sh OUTDIR MIN} min=${2:?}
res=$out/stress/result.txt
[[ -f $out/parts.txt ]] || { echo "check-stress.sh: no $out/parts.txt: dom0 did not run (see xen.dom0.run)"; exit 1; }
[[ -f $res ]] || { echo "check-stress.sh: no $res: the stress part did not run"; cat "$out/parts.txt"; exit 1; }
cat "$res"
value() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$res"; }
cycles=$(value CYCLES) failed=$(value FAILED) crashes=$(value CRASHES)
[[ -n $cycles && -n $failed && -n $crashes ]] || { echo "check-stress.sh: $res is incomplete"; exit 1; }
status=0
((crashes == 0)) || { echo "check-stress.sh: $crashes dom0 process(es) died of a fault"; status=1; }
((failed == 0)) || { echo "check-stress.sh: $failed xl command(s) failed"; status=1; }
((cycles >= min)) || { echo "check-stress.sh: only $cycles create..destroy cycles (at least $min expected)"; status=1; }
((status == 0)) && echo "check-stress.sh: $cycles cycles, no failure, no crash"
exit $status
