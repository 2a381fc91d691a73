#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while.
#   scripts/fuzz.sh [seconds-per-target]      (default 30)
# Seeds come from tests/data; new corpus entries go to build/fuzz/corpus/.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-30}
build=$src/build/fuzz
command -v clang >/dev/null || { echo "fuzz: clang not installed (apt-get install clang)"; exit 1; }
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DVMHI_FUZZ=ON -DVMHI_BUILD_TESTS=OFF \
    -DVMHI_BUILD_DOCS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
# Only the fuzzers: the shared library is not linked against the sanitizer runtime.
cmake --build "$build" -j2 --target fuzzers >"$build.build.log" 2>&1 ||
    { grep -E 'error' "$build.build.log" | head -n 30; exit 1; }
status=0
for fuzzer in "$build"/fuzz/fuzz_*; do
    [[ -x $fuzzer ]] || continue
    name=$(basename "$fuzzer")
    corpus=$build/corpus/$name
    mkdir -p "$corpus"
    case $name in
        *xml*) cp -n "$src"/tests/data/config/*.xml "$corpus"/ 2>/dev/null || true ;;
        *json*) cp -n "$src"/tests/data/config/*.json "$corpus"/ 2>/dev/null || true ;;
    esac
    if "$fuzzer" -max_total_time="$secs" -print_final_stats=1 "$corpus" >"$build/$name.log" 2>&1; then
        execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$build/$name.log" | grep -oE '[0-9]+$')
        printf '%-24s PASS  %s executions in %ss\n' "$name" "${execs:-?}" "$secs"
    else
        printf '%-24s FAIL  see %s\n' "$name" "$build/$name.log"
        status=1
    fi
done
exit $status
