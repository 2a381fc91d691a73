#!/usr/bin/env bash
# Flake sweep (issue #11): runs a selection of ctest tests again and again
# in one build tree and counts the repetitions and test runs that failed.
# Meant for a loaded machine: run two sweeps side by side (the peer tests
# and the Xen boot), or one beside a CI run, so that a test that passes
# only on an idle machine shows.  A failed repetition's ctest log and
# LastTest.log are kept as <out>/rep-<N>-failed/; a Xen repetition also
# keeps the results the dom0 run brought back (payload-timeout.txt
# among them).
#
#   scripts/flake-sweep.sh BUILD-DIR OUT-DIR REPS [ctest arguments...]
#
# e.g. the peer tests of a RelWithDebInfo build with VMHI_XEN_TESTS off:
#   scripts/flake-sweep.sh build/rel /tmp/sweep-a 20 -j2 \
#       -R '^(kvm|esx|cli)\.|^conformance\.(kvm|esx|vpx)|^soak\.(kvm|esx)$'
# and the Xen boot of a build with -DVMHI_XEN_TESTS=ON:
#   scripts/flake-sweep.sh build/xen /tmp/sweep-b 20 -R '^xen\.'
#
# Touch OUT-DIR/stop to end the sweep after the repetition under way.
# OUT-DIR/summary.txt has one line per repetition (its duration, the
# machine's load average when it ended, the tests run and failed) and a
# total; the exit status is 1 if any repetition failed.
# SPDX-License-Identifier: Apache-2.0
set -uo pipefail

if (($# < 3)); then
    sed -n '2,/^# SPDX/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
build=$(cd "$1" && pwd) || exit 2
out=$2
reps=$3
shift 3
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "flake-sweep: REPS must be a positive number" >&2; exit 2; }
mkdir -p "$out" || exit 2
summary=$out/summary.txt
: >"$summary"
failed_reps=0 runs=0 failures=0
for ((rep = 1; rep <= reps; rep++)); do
    if [[ -e $out/stop ]]; then
        echo "stopped before repetition $rep ($out/stop exists)" >>"$summary"
        break
    fi
    log=$out/rep-$rep.log
    start=$SECONDS
    ctest --test-dir "$build" --output-on-failure "$@" >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - start))
    total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n1)
    bad=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (.*)$/\1/p' "$log" | paste -sd' ' -)
    nbad=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n1)
    runs=$((runs + ${total:-0}))
    failures=$((failures + ${nbad:-0}))
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    if ((rc != 0)); then
        failed_reps=$((failed_reps + 1))
        keep=$out/rep-$rep-failed
        mkdir -p "$keep"
        cp "$log" "$keep/"
        cp "$build/Testing/Temporary/LastTest.log" "$keep/" 2>/dev/null
        # the Xen boot's results directory (tests/xen/CMakeLists.txt)
        [[ -d $build/tests/xen/results ]] && cp -r "$build/tests/xen/results" "$keep/"
        printf 'rep %d: FAIL %d s, load %s, %s tests, failed: %s\n' "$rep" "$secs" "$load" \
            "${total:-?}" "${bad:-ctest exit $rc}" >>"$summary"
    else
        printf 'rep %d: pass %d s, load %s, %s tests\n' "$rep" "$secs" "$load" "${total:-?}" \
            >>"$summary"
        rm -f "$log"
    fi
done
printf 'total: %d repetitions failed, %d of %d test runs failed\n' "$failed_reps" "$failures" \
    "$runs" >>"$summary"
cat "$summary"
((failed_reps == 0))
