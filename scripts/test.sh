#!/usr/bin/env bash
# Builds and tests VMHI the way CI does:
#   1. warnings as errors (-Wall -Wextra -Werror): the build's own checks
#      (ABI gate, headers, install and porting, schemas, spec, docs) and
#      the Xen tests: one boot of Xen 4.17 + dom0 under QEMU TCG running
#      the test bed's smoke and stress checks, the xen backend's CLI
#      walkthrough, OVF through the CLI, the concurrency soak
#      (VMHI_CI_XEN_STRESS, default "SECS=30 LOOPS=2 MEM=128") and, when
#      VMHI_CI_XEN_PROFILES is set, vmhi-conformance on xen:/// for those
#      profiles (Core is always among them; "all" for every one);
#   2. beside the Xen boot, which leaves a CPU idle most of its time,
#      every libFuzzer target (scripts/fuzz.sh, clang) for
#      VMHI_CI_FUZZ_SECONDS each (default 10), VMHI_CI_FUZZ_JOBS at once
#      (default 1; scripts/fuzz.sh runs them longer);
#   3. AddressSanitizer + UndefinedBehaviorSanitizer (with LeakSanitizer
#      in every process), -Werror too: every test, the peers' included;
#   4. ThreadSanitizer, for the unit tests and the conformance runs on
#      the test backend.
# Installs missing dependencies first.  Build trees: build/ci-werror inside
# the checkout, and two outside it for the sanitizer passes
# ($VMHI_CI_OUT_OF_TREE, default $TMPDIR/vmhi-ci-sanitize.<checksum of the
# checkout's path>, and the same name with -tsan appended).  A sanitizer
# report from any process of a stage, even one whose exit status a test
# expects or ignores, fails the stage.  Prints a summary; exits non-zero if
# anything failed.
#
#   scripts/test.sh [extra cmake arguments...]
#
# A skipped test fails the run (every peer is installed by setup.sh, so a
# skip means one did not start); VMHI_ALLOW_SKIP=1 turns that off on a
# developer's box.
set -uo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=2
results=()
failed=0
# For one run_stage call (set them local in a caller): the ctest arguments
# that choose the tests (default: all) and a command to run ctest under.
ctest_select=()
ctest_prefix=()

record() { # <stage> <status> [detail]
    results+=("$(printf '%-30s %-6s %s' "$1" "$2" "${3:-}")")
    [[ $2 == FAIL ]] && failed=1
    return 0
}

# ctest's own tally line, the tests it skipped and the ones that failed.
ctest_detail() {
    local log=$1 tally skipped failed
    tally=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n1)
    skipped=$(grep -cE '\*\*\*Skipped' "$log")
    failed=$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (\(Failed\|Timeout\|Not Run\|.*Exception\|SEGFAULT\|Subprocess aborted\))$/\1/p' "$log" |
             paste -sd' ' -)
    printf '%s' "${tally:-no tally}"
    ((skipped)) && printf ', %d skipped' "$skipped"
    [[ -n $failed ]] && printf '; failed: %s' "$failed"
    return 0
}

# Sanitizer reports the tests left in <dir> (VMHI_SANITIZER_LOG_DIR): any
# is a failure, whether or not the test that caused it failed.
check_sanitizer_reports() { # <stage> <dir>
    local name=$1 dir=$2 reports=() f
    mapfile -t reports < <(find "$dir" -type f -size +0 | sort)
    if ((${#reports[@]} == 0)); then
        record "$name: sanitizer reports" PASS "none"
        return
    fi
    for f in "${reports[@]}"; do
        echo "--- $f"
        head -n 60 "$f"
    done
    record "$name: sanitizer reports" FAIL "${#reports[@]} in $dir"
}

# run_stage <name> <build-dir> <cmake args...>: configure, build, ctest.
run_stage() {
    local name=$1 build_dir=$2
    shift 2
    local log=$build_dir/ci reports=$build_dir/sanitizer-reports
    mkdir -p "$build_dir"
    rm -rf "$reports"
    echo
    echo "=============== $name ($build_dir)"
    if ! cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DVMHI_SANITIZER_LOG_DIR="$reports" "$@" >"$log-configure.log" 2>&1; then
        cat "$log-configure.log"
        record "$name: configure" FAIL "see $log-configure.log"
        return
    fi
    sed -n '/configuration summary/,/sanitizers:/p' "$log-configure.log"
    if ! cmake --build "$build_dir" -j"$jobs" >"$log-build.log" 2>&1; then
        grep -E -B2 -A6 'error|Error' "$log-build.log" | head -n 60
        record "$name: build" FAIL "see $log-build.log"
        return
    fi
    record "$name: build" PASS
    mkdir -p "$reports"
    # A job that runs beside this stage's tests (the fuzz stage beside the
    # Xen boot): started now, waited for after them.
    local beside_pid=
    if [[ -n ${ctest_beside:-} ]]; then
        "$ctest_beside" &
        beside_pid=$!
    fi
    if "${ctest_prefix[@]}" ctest --test-dir "$build_dir" -j"$jobs" --output-on-failure \
            "${ctest_select[@]}" 2>&1 | tee "$log-ctest.log"; then
        # setup.sh installed every peer the tests start (QEMU, the vSphere
        # simulator, Xen under QEMU), so here a skip means a peer could not
        # start: a failure, not a pass.  VMHI_ALLOW_SKIP=1 is for a
        # developer's box that lacks something on purpose.
        local skipped_tests
        skipped_tests=$(grep -E '\*\*\*Skipped' "$log-ctest.log" | sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/' |
                        paste -sd' ' -)
        if [[ -n $skipped_tests && ${VMHI_ALLOW_SKIP:-0} != 1 ]]; then
            record "$name: ctest" FAIL "$(ctest_detail "$log-ctest.log"); skipped (a peer did not start): $skipped_tests"
        else
            record "$name: ctest" PASS "$(ctest_detail "$log-ctest.log")"
        fi
    else
        record "$name: ctest" FAIL "$(ctest_detail "$log-ctest.log"); see $log-ctest.log"
    fi
    [[ -n $beside_pid ]] && wait "$beside_pid"
    check_sanitizer_reports "$name" "$reports"
}

# The fuzz stage: each target for a bounded time (scripts/fuzz.sh); a
# crash fails the stage and names its reproducer.  fuzz_run only runs it
# (in the background, beside the werror stage's Xen boot: one target at a
# time, on the CPU the boot leaves idle), into $fuzz_dir/ci-fuzz.log and
# its exit status into ci-fuzz.rc; fuzz_report then prints and records
# it.
fuzz_dir=$source_dir/build/ci-fuzz
fuzz_secs=${VMHI_CI_FUZZ_SECONDS:-10}
fuzz_run() {
    local started=$SECONDS
    mkdir -p "$fuzz_dir"
    VMHI_FUZZ_BUILD=$fuzz_dir VMHI_FUZZ_JOBS=${VMHI_CI_FUZZ_JOBS:-1} \
        bash "$source_dir/scripts/fuzz.sh" "$fuzz_secs" >"$fuzz_dir/ci-fuzz.log" 2>&1
    echo "$? $((SECONDS - started))" >"$fuzz_dir/ci-fuzz.rc"
}
fuzz_report() {
    local rc wall name result execs _ rest ran=0
    echo
    echo "=============== fuzz ($fuzz_dir, ${fuzz_secs} s per target, beside the werror stage's tests)"
    cat "$fuzz_dir/ci-fuzz.log" 2>/dev/null
    read -r rc wall <"$fuzz_dir/ci-fuzz.rc" 2>/dev/null || { rc=1; wall=?; }
    while read -r name result execs _ rest; do
        [[ $name == fuzz_* ]] || continue
        ran=$((ran + 1))
        record "fuzz: $name" "$result" "$execs executions in ${fuzz_secs} s${rest:+; $rest}"
    done <"$fuzz_dir/ci-fuzz.log"
    if ((ran == 0)); then
        record "fuzz: build" FAIL "no target ran; see $fuzz_dir/ci-fuzz.log"
    elif ((rc != 0)); then
        record "fuzz: result" FAIL "see $fuzz_dir/ci-fuzz.log"
    fi
    record "fuzz: wall time" INFO "$wall s (build, $ran targets)"
}

# The ThreadSanitizer stage runs the tests that drive the core and the
# test backend from several threads: the unit tests (test_threads and
# test_backend_threads among them) and the conformance runs on the test
# backend (THR-1 included), and the concurrency soak on the test backend
# (soak.test: 16 threads on one connection).  The KVM and ESX tests mostly
# wait on QEMU and the vSphere simulator; the ASan stage runs them.
run_tsan_stage() { # <build-dir> <cmake args...>
    local build_dir=$1
    shift
    # --no-tests=error: a renamed test must not leave the stage empty.
    local ctest_select=(-R '^unit\.|^conformance\.(test-backend|selftest)|^soak\.test$' --no-tests=error)
    local ctest_prefix=()
    # gcc 12's TSan runtime (like LLVM's before it learnt to re-run itself
    # without ASLR) expects the address layout of kernels that randomize
    # mmap with vm.mmap_rnd_bits=28, the x86-64 default; with 32 (some newer
    # distribution kernels) an instrumented program can die at start with
    # "FATAL: ThreadSanitizer: unexpected memory mapping".  Without address
    # randomization (setarch -R, which every test process inherits) the
    # layout is always one it knows.  Where personality(2) is refused (some
    # containers), ctest runs as is.
    if setarch "$(uname -m)" -R true 2>/dev/null; then
        ctest_prefix=(setarch "$(uname -m)" -R)
    fi
    local started=$SECONDS
    run_stage "tsan (out of tree)" "$build_dir" -DVMHI_WERROR=ON -DVMHI_SANITIZE=OFF -DVMHI_TSAN=ON "$@"
    record "tsan: wall time" INFO "$((SECONDS - started)) s (configure, build, tests)"
}

if ! bash "$source_dir/scripts/setup.sh"; then
    record "setup" FAIL "scripts/setup.sh could not install the dependencies"
else
    record "setup" PASS
    # The tests of behaviour (unit, CLI, conformance, soak, security, and
    # those that drive QEMU or the vSphere simulator) run in the ASan+UBSan
    # stage, on the same build type with -Werror as well: running them
    # twice cost CI minutes and found nothing the sanitized run does not.
    # This stage builds everything warning-free and runs the checks of
    # the build itself (ABI gate, headers, install and porting, schemas,
    # spec, docs) and the Xen tests.
    # The Xen boot runs here, once: its payload (libvmhi, the module, the
    # CLI) has no sanitizer runtime to carry into dom0, and a second boot
    # would cost CI minutes of TCG.  It is the longest test (~6 minutes of
    # TCG, on one CPU most of the time), so the fuzz stage runs beside it
    # (ctest_beside).  The conformance part is off by default:
    # any profile selects Core as well, and Core alone took 717 s of TCG in
    # CI (its many_threads_one_connection ran out of time there).
    # VMHI_CI_XEN_PROFILES turns it on ("all": every claimed profile).
    ctest_select=(-E '^(unit|cli|conformance|soak|security|kvm|esx)\.')
    xen_conf=()
    if [[ -n ${VMHI_CI_XEN_PROFILES:-} ]]; then
        xen_profiles=$VMHI_CI_XEN_PROFILES
        [[ $xen_profiles == all ]] && xen_profiles=
        xen_conf=(-DVMHI_XEN_CONFORMANCE=ON "-DVMHI_XEN_CONFORMANCE_PROFILES=$xen_profiles")
    fi
    rm -f "$fuzz_dir/ci-fuzz.rc"
    ctest_beside=fuzz_run
    run_stage "werror (build checks, Xen)" "$source_dir/build/ci-werror" -DVMHI_WERROR=ON -DVMHI_SANITIZE=OFF \
        -DVMHI_TSAN=OFF -DVMHI_XEN_TESTS=ON "-DVMHI_XEN_STRESS=${VMHI_CI_XEN_STRESS:-SECS=30 LOOPS=2 MEM=128}" \
        "${xen_conf[@]}" "$@"
    ctest_beside=
    ctest_select=()
    # A failed werror build starts no fuzzing beside its tests: run it now.
    [[ -f $fuzz_dir/ci-fuzz.rc ]] || fuzz_run
    fuzz_report
    if cmake --build "$source_dir/build/ci-werror" --target docs >"$source_dir/build/ci-werror/ci-docs.log" 2>&1; then
        record "werror: docs" PASS "build/ci-werror/docs/html/index.html"
    else
        record "werror: docs" FAIL "see build/ci-werror/ci-docs.log"
    fi
    # The second build lives outside the source tree, as packagers' and
    # most users' builds do, so that nothing (the ABI gate once did) works
    # only for a build directory inside the checkout.
    checkout_id=$(printf '%s' "$source_dir" | cksum | cut -d' ' -f1)
    sanitize_dir=${VMHI_CI_OUT_OF_TREE:-${TMPDIR:-/tmp}/vmhi-ci-sanitize.$checkout_id}
    case $sanitize_dir/ in
    "$source_dir"/*) record "asan+ubsan: configure" FAIL "VMHI_CI_OUT_OF_TREE=$sanitize_dir is inside the source tree" ;;
    *)
        run_stage "asan+ubsan (out of tree)" "$sanitize_dir" -DVMHI_WERROR=ON -DVMHI_SANITIZE=ON \
            -DVMHI_TSAN=OFF "$@"
        run_tsan_stage "$sanitize_dir-tsan" "$@"
        ;;
    esac
fi

echo
echo "=============== summary"
printf '%s\n' "${results[@]}"
if (( failed )); then
    echo "RESULT: FAIL"
    exit 1
fi
echo "RESULT: PASS"
