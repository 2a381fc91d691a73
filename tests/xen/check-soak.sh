#!/usr/bin/env bash
# xen.soak: the dom0 "soak" part (vmhi-soak on xen:///) passed and left no
# domain behind.  Prints the soak's own report (ops/s, errors, events
# expected and seen, RSS).
#   check-soak.sh OUTDIR
# SPDX-License-Identifier: Apache-2.0
set -uo pipefail
out=${1:?usage: check-soak.sh OUTDIR}
res=$out/soak/result.txt
[[ -f $out/parts.txt ]] || { echo "check-soak.sh: no $out/parts.txt: dom0 did not run (see xen.dom0.run)"; exit 1; }
[[ -f $res ]] || { echo "check-soak.sh: no $res: the soak part did not run"; cat "$out/parts.txt"; exit 1; }
cat "$out/soak/output.txt"
cat "$res"
grep -qx 'SOAK rc=0' "$res" || { echo "check-soak.sh: vmhi-soak failed on xen:///"; exit 1; }
if grep -q '^domains left behind' "$res"; then
    echo "check-soak.sh: the soak left domains behind"
    exit 1
fi
echo "check-soak.sh: the soak on xen:/// passed"
