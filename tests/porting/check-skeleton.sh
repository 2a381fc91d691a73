#!/usr/bin/env bash
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
#
# The porting kit, used the way a vendor uses it: examples/backend-skeleton
# built out of tree against an installed VMHI SDK and nothing else, loaded
# through VMHI_BACKEND_PATH and certified by the installed vmhi-conformance.
#
#   check-skeleton.sh install <build-dir> <sdk-dir>
#       Installs the build into <sdk-dir> (DESTDIR, so that nothing lands
#       outside it) and records where things went in <sdk-dir>/sdk.env.
#   check-skeleton.sh <variant> <sdk-dir> <source-dir> <work-dir> <cc> [cflags...]
#       cmake      find_package(vmhi); cmake --install into the SDK's module
#                  directory; certified for Core from there, every other
#                  profile "not claimed"
#       pkgconfig  the same with -DSKELETON_USE_PKGCONFIG=ON, and with the
#                  bare `cc ... $(pkg-config --cflags --libs vmhi-backend)`
#                  line of the skeleton's README
#       1-0        -DSKELETON_SIMULATE_1_0=ON: a table of exactly
#                  VMHI_BACKEND_OPS_SIZE_1_0 bytes (poison after it) still
#                  loads and certifies
#       overclaim  a copy that also claims Lifecycle-Full without its slots
#                  must not be certified (exit 1; Lifecycle-Full fails with
#                  its operations missing, Core with CAP-8)
# cflags are added to every compilation (the sanitizer flags when the
# library was built with VMHI_SANITIZE).  Exit 77 means skipped.
set -euo pipefail

die() { echo "FAIL: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

# ---- install -------------------------------------------------------------------
do_install() {
    local build_dir=$1 sdk=$2 prefix=/opt/vmhi-sdk
    command -v cmake >/dev/null || { echo "SKIP: cmake not found"; exit 77; }
    rm -rf "$sdk"
    mkdir -p "$sdk"
    step "cmake --install $build_dir --prefix $prefix (DESTDIR=$sdk/root)"
    DESTDIR=$sdk/root cmake --install "$build_dir" --prefix "$prefix" >"$sdk/install.log" 2>&1 ||
        { cat "$sdk/install.log" >&2; die "cmake --install failed"; }
    local inst=$sdk/root$prefix pc
    pc=$(find "$inst" -path '*/pkgconfig/vmhi-backend.pc' | head -n1)
    [[ -n $pc ]] || die "vmhi-backend.pc was not installed"
    local pcdir libdir
    pcdir=$(dirname "$pc")
    libdir=$(dirname "$pcdir")
    for f in "$inst/include/vmhi/backend.h" "$libdir/libvmhi.so" "$libdir/cmake/vmhi/vmhiConfig.cmake"; do
        [[ -e $f ]] || die "missing after install: ${f#"$inst"/}"
    done
    local conformance=$inst/bin/vmhi-conformance
    if [[ ! -x $conformance ]]; then
        echo "note: vmhi-conformance is not installed; using the build tree's (VMHI_CONFORMANCE)"
        conformance=${VMHI_CONFORMANCE:-}
    fi
    {
        printf 'inst=%q\npcdir=%q\nlibdir=%q\nconformance=%q\n' "$inst" "$pcdir" "$libdir" \
               "$conformance"
    } >"$sdk/sdk.env"
    echo "SDK in $inst; vmhi-conformance: ${conformance:-none}"
}

# ---- helpers for the variants ------------------------------------------------------
load_sdk() {
    local sdk=$1
    [[ -f $sdk/sdk.env ]] || die "no SDK in $sdk: run the porting.install test first"
    # shellcheck source=/dev/null
    source "$sdk/sdk.env"
    [[ -n $conformance && -x $conformance ]] || { echo "SKIP: no vmhi-conformance"; exit 77; }
    command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
    # Only the SDK may answer: no system pkg-config directories, no other
    # libvmhi, no module directory but the ones named below.
    export PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH=$pcdir
    export LD_LIBRARY_PATH=$libdir
    unset VMHI_BACKEND_PATH
}

# Builds with CMake; extra arguments are -D options.
cmake_build() {
    local dir=$1; shift
    cmake -S "$src/examples/backend-skeleton" -B "$dir" -DCMAKE_PREFIX_PATH="$inst" \
          -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-Werror ${cflags[*]}" \
          -DCMAKE_BUILD_TYPE=Debug "$@" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log" >&2; die "configuring the skeleton failed"; }
    cmake --build "$dir" >"$dir.build.log" 2>&1 ||
        { cat "$dir.build.log" >&2; die "building the skeleton failed"; }
}

# Builds with the compiler and pkg-config alone, as the README shows.
cc_build() {
    local out=$1; shift
    local flags
    read -r -a flags <<<"$(pkg-config --cflags --libs vmhi-backend)"
    mkdir -p "$(dirname "$out")"
    "$cc" -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$@" -shared -fPIC -Wl,--no-undefined \
          -o "$out" "$src"/examples/backend-skeleton/skeleton_*.c "${flags[@]}"
}

# The module exports vmhi_backend_entry and nothing else.
check_exports() {
    local exports
    exports=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }')
    [[ $exports == vmhi_backend_entry ]] ||
        die "$(basename "$1") should export only vmhi_backend_entry; it exports: $exports"
}

inspect() {
    local flags
    read -r -a flags <<<"$(pkg-config --cflags --libs vmhi)"
    [[ -x $work/inspect_table ]] ||
        "$cc" -std=c11 -Wall -Wextra -Werror "${cflags[@]}" -o "$work/inspect_table" \
              "$src/tests/porting/inspect_table.c" "${flags[@]}" -ldl
    "$work/inspect_table" "$@"
}

# Runs the suite on skeleton:/// with modules from $1; checks exit status $2.
certify() {
    local moddir=$1 want=$2 name=$3 rc=0
    step "vmhi-conformance --uri skeleton:/// with VMHI_BACKEND_PATH=$moddir"
    VMHI_BACKEND_PATH=$moddir "$conformance" --uri skeleton:/// \
        --report-json "$work/$name.json" --junit "$work/$name.xml" \
        --markdown "$work/$name.md" >"$work/$name.log" 2>&1 || rc=$?
    tail -n 12 "$work/$name.log"
    [[ $rc == "$want" ]] || { cat "$work/$name.log" >&2; die "vmhi-conformance exited $rc, not $want"; }
    [[ -s $work/$name.xml && -s $work/$name.md ]] || die "JUnit or Markdown report missing"
}

report() {
    python3 "$src/tests/porting/check_report.py" "$work/$1.json" --backend skeleton "${@:2}"
}

# ---- variants ---------------------------------------------------------------------
variant_cmake() {
    step "skeleton:/// is unknown before the module is on the search path"
    local rc=0
    VMHI_BACKEND_PATH=$work/empty "$conformance" --uri skeleton:/// >"$work/absent.log" 2>&1 || rc=$?
    [[ $rc == 2 ]] || { cat "$work/absent.log" >&2; die "without the module the suite exited $rc, not 2"; }

    step "find_package(vmhi), cmake --build, cmake --install"
    cmake_build "$work/build"
    local found
    found=$(sed -n 's/^vmhi_DIR:PATH=//p' "$work/build/CMakeCache.txt")
    [[ $(realpath "$found") == $(realpath "$libdir/cmake/vmhi") ]] ||
        die "find_package(vmhi) found '$found', not the installed SDK"
    check_exports "$work/build/vmhi-skeleton.so"
    inspect "$work/build/vmhi-skeleton.so" current
    cmake --install "$work/build" >"$work/install.log" 2>&1 ||
        { cat "$work/install.log" >&2; die "cmake --install of the skeleton failed"; }
    local moduledir
    moduledir=$(pkg-config --variable=moduledir vmhi-backend)
    [[ -f $moduledir/vmhi-skeleton.so ]] ||
        die "the skeleton was not installed into the SDK's module directory $moduledir"
    certify "$moduledir" 0 cmake
    report cmake --certified Core
}

variant_pkgconfig() {
    step "cmake -DSKELETON_USE_PKGCONFIG=ON"
    cmake_build "$work/build" -DSKELETON_USE_PKGCONFIG=ON
    grep -q '^VMHI_BACKEND_FOUND:INTERNAL=1' "$work/build/CMakeCache.txt" ||
        die "pkg-config vmhi-backend was not used"
    check_exports "$work/build/vmhi-skeleton.so"
    certify "$work/build" 0 pkgconfig-cmake
    report pkgconfig-cmake --certified Core

    step "cc ... \$(pkg-config --cflags --libs vmhi-backend)"
    cc_build "$work/cc/vmhi-skeleton.so"
    check_exports "$work/cc/vmhi-skeleton.so"
    certify "$work/cc" 0 pkgconfig-cc
    report pkgconfig-cc --certified Core
}

variant_1_0() {
    step "cmake -DSKELETON_SIMULATE_1_0=ON"
    cmake_build "$work/build" -DSKELETON_SIMULATE_1_0=ON
    check_exports "$work/build/vmhi-skeleton.so"
    inspect "$work/build/vmhi-skeleton.so" 1.0
    certify "$work/build" 0 table-1-0
    report table-1-0 --certified Core
}

variant_overclaim() {
    step "a copy claiming Core and Lifecycle-Full, with only the Core slots"
    cc_build "$work/cc/vmhi-skeleton.so" \
        '-DSKELETON_PROFILES=(VMHI_PROFILE_CORE|VMHI_PROFILE_LIFECYCLE_FULL)'
    certify "$work/cc" 1 overclaim
    # The claim itself breaks CAP-8, a Core requirement: both profiles fail.
    report overclaim --failed Core Lifecycle-Full --missing-ops Lifecycle-Full \
        --failed-requirement CAP-8 --not-certified
}

# ---- main -----------------------------------------------------------------------------
mode=${1:?usage: check-skeleton.sh install|cmake|pkgconfig|1-0|overclaim ...}
if [[ $mode == install ]]; then
    do_install "${2:?build dir}" "${3:?sdk dir}"
    exit 0
fi
sdk=${2:?sdk dir}
src=$(cd "${3:?source dir}" && pwd)
work=${4:?work dir}
cc=${5:-cc}
shift $(( $# >= 5 ? 5 : $# ))
cflags=("$@")
load_sdk "$sdk"
for tool in cmake pkg-config nm "$cc"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
rm -rf "$work"
mkdir -p "$work/empty"
case $mode in
cmake) variant_cmake ;;
pkgconfig) variant_pkgconfig ;;
1-0) variant_1_0 ;;
overclaim) variant_overclaim ;;
*) die "unknown variant '$mode'" ;;
esac
printf '\nPASS: %s\n' "$mode"
