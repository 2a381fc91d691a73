#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang and runs each for
# a bounded time, VMHI_FUZZ_JOBS at once (default: one per CPU; a fuzzer
# is single-threaded); see fuzz/README.md.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default 30 s, all)
#
# VMHI_FUZZ_BUILD chooses the build tree (default build/fuzz).  Seeds come
# from fuzz/corpus/<target>/ (read only); what a run learns goes to
# <build>/corpus/<target>/ and is kept for the next run.  Prints one line
# per target: "target  PASS|FAIL  N executions  crashes"; a crash fails the
# run and prints the path of its reproducer (<build>/crashes/).
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-30}
shift || true
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || { echo "fuzz: seconds must be a positive number"; exit 2; }
build=${VMHI_FUZZ_BUILD:-$src/build/fuzz}
command -v clang >/dev/null || { echo "fuzz: clang not installed (scripts/setup.sh)"; exit 1; }
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DVMHI_FUZZ=ON -DVMHI_BUILD_TESTS=OFF \
    -DVMHI_BUILD_DOCS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/fuzz-configure.log" 2>&1 ||
    { cat "$build/fuzz-configure.log"; exit 1; }
# Only the fuzzers: the shared library is not linked against the sanitizer runtime.
cmake --build "$build" -j2 --target fuzzers >"$build/fuzz-build.log" 2>&1 ||
    { grep -E 'error' "$build/fuzz-build.log" | head -n 30; exit 1; }

targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in "$build"/fuzz/fuzz_*; do
        [[ -x $f && -f $f ]] && targets+=("$(basename "$f")")
    done
fi
jobs=${VMHI_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: VMHI_FUZZ_JOBS must be a positive number"; exit 2; }

# Runs one target; its result line goes to <build>/<target>.result, so
# that targets run side by side still report in order.
run_target() { # <name>
    local name=$1 fuzzer=$build/fuzz/$1 result=$build/$1.result
    if [[ ! -x $fuzzer ]]; then
        printf '%-22s FAIL  not built\n' "$name" >"$result"
        return
    fi
    local corpus=$build/corpus/$name crashes=$build/crashes log=$build/$name.log seeds=() rc=0
    local execs repro
    mkdir -p "$corpus" "$crashes"
    [[ -d $src/fuzz/corpus/$name ]] && seeds=("$src/fuzz/corpus/$name")
    # -close_fd_mask=3: the CLI targets print usage errors; libFuzzer and
    # the sanitizers keep a descriptor of their own for the report.
    "$fuzzer" -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=3 -timeout=10 \
        -rss_limit_mb=1024 -artifact_prefix="$crashes/$name-" "$corpus" "${seeds[@]}" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
    if ((rc == 0)); then
        printf '%-22s PASS  %14s  0\n' "$name" "${execs:-?}" >"$result"
    else
        { printf '%-22s FAIL  %14s  1  reproducer: %s (log %s)\n' "$name" "${execs:-?}" \
              "${repro:-none written}" "$log"
          grep -m1 -E 'ERROR: |SUMMARY: ' "$log" | sed 's/^/    /' || true; } >"$result"
    fi
}

running=0
for name in "${targets[@]}"; do
    rm -f "$build/$name.result"
    run_target "$name" &
    if ((++running >= jobs)); then
        wait -n || true
        running=$((running - 1))
    fi
done
wait
status=0
printf '%-22s %-5s %14s  %s\n' target result executions crashes
for name in "${targets[@]}"; do
    if [[ -s $build/$name.result ]]; then
        cat "$build/$name.result"
        grep -q '^[^ ]* *PASS ' "$build/$name.result" || status=1
    else
        printf '%-22s FAIL  no result (the run died)\n' "$name"
        status=1
    fi
done
exit $status
