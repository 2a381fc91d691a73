#!/usr/bin/env bash
# Installs a VMHI build into a scratch prefix and uses it the way an
# outsider would, from out-of-tree sources under tests/install/:
#   (a) consumer/lifecycle.c built with nothing but `pkg-config vmhi`, and
#       so is the installed copy of examples/lifecycle.c;
#   (b) the same program built by consumer/CMakeLists.txt through
#       find_package(vmhi) and vmhi::vmhi;
#   (c) oot-backend/oot_backend.c built as a module with
#       `pkg-config vmhi-backend`, placed in a directory of its own, and
#       oot_list.c proving that oot:/// is served once VMHI_BACKEND_PATH
#       names that directory (and not before).
# Nothing is written outside a temporary directory: the install uses
# DESTDIR, so even destinations given as absolute paths land inside it.
#
#   check-install.sh <build-dir> <source-dir> [c-compiler] [extra-cflags...]
# extra-cflags are used for every program built here (the sanitizer flags
# when the library was built with VMHI_SANITIZE, which must come first).
set -euo pipefail

build_dir=$(cd "${1:?usage: check-install.sh <build-dir> <source-dir> [cc] [cflags...]}" && pwd)
source_dir=$(cd "${2:?missing source dir}" && pwd)
cc=${3:-cc}
shift $(( $# >= 3 ? 3 : $# ))
extra_cflags=("$@")
here=$source_dir/tests/install

for tool in cmake pkg-config "$cc" nm; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

# --- install -------------------------------------------------------------------
prefix=/opt/vmhi-check
step "cmake --install $build_dir --prefix $prefix  (DESTDIR=$tmp/root)"
DESTDIR=$tmp/root cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" ||
    { cat "$tmp/install.log" >&2; die "cmake --install failed"; }
inst=$tmp/root$prefix
outside=$(grep -E '^-- (Installing|Up-to-date): ' "$tmp/install.log" |
          sed -E 's/^-- [A-Za-z-]+: //' | grep -v "^$inst/" || true)
if [[ -n $outside ]]; then
    echo "note: installed outside the prefix (absolute destinations):"
    sed 's/^/    /' <<<"$outside"
fi

# GNUInstallDirs chooses lib, lib64 or lib/<multiarch>: find where it went.
pc=$(find "$inst" -path '*/pkgconfig/vmhi.pc' | head -n1)
[[ -n $pc ]] || die "vmhi.pc was not installed under $inst"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
echo "library directory: ${libdir#"$inst"/}"
for f in "$libdir/libvmhi.so.1" "$libdir/libvmhi.so" "$pcdir/vmhi-backend.pc" \
         "$libdir/cmake/vmhi/vmhiConfig.cmake" "$libdir/cmake/vmhi/vmhiConfigVersion.cmake" \
         "$inst/include/vmhi/vmhi.h" "$inst/include/vmhi/backend.h"; do
    [[ -e $f ]] || die "missing after install: ${f#"$inst"/}"
done
soname=$(readelf -d "$libdir/libvmhi.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ $soname == libvmhi.so.1 ]] || die "installed library has SONAME '$soname'"

# Only the scratch install may answer: no system or /usr/local pkg-config dirs.
export PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH=$pcdir
export LD_LIBRARY_PATH=$libdir
unset VMHI_BACKEND_PATH
cflags=(-std=c11 -Wall -Wextra -Werror "${extra_cflags[@]}")

# Runs a program built here and checks it loads the installed libvmhi.
run_installed() {
    local exe=$1; shift
    local resolved
    resolved=$(ldd "$exe" | awk '$1 == "libvmhi.so.1" { print $3 }')
    [[ $(realpath "$resolved") == $(realpath "$libdir/libvmhi.so.1") ]] ||
        die "$(basename "$exe") resolves libvmhi.so.1 to '$resolved', not the installed copy"
    "$exe" "$@"
}

# --- (a) pkg-config ----------------------------------------------------------
step "(a) consumer built with pkg-config --cflags --libs vmhi"
pkg-config --exists --print-errors vmhi
read -r -a pc_flags <<<"$(pkg-config --cflags --libs vmhi)"
echo "pkg-config vmhi: ${pc_flags[*]}"
include_flag=$(pkg-config --cflags-only-I vmhi | sed 's/^-I//; s/ *$//')
[[ $(realpath "$include_flag") == $(realpath "$inst/include") ]] ||
    die "pkg-config points at '$include_flag', not the installed headers (not relocatable?)"
[[ $(pkg-config --modversion vmhi) == 1.* ]] || die "unexpected version $(pkg-config --modversion vmhi)"
"$cc" "${cflags[@]}" -o "$tmp/lifecycle-pkgconfig" "$here/consumer/lifecycle.c" "${pc_flags[@]}"
run_installed "$tmp/lifecycle-pkgconfig" test:///default
# The example sources installed under the doc directory must build the same way.
while IFS= read -r example; do
    step "(a) installed example ${example#"$inst"/} built with pkg-config"
    "$cc" "${cflags[@]}" -o "$tmp/example" "$example" "${pc_flags[@]}"
    run_installed "$tmp/example" test:///default
done < <(find "$inst" -path '*/doc/*/examples/lifecycle.c')

# --- (b) CMake package --------------------------------------------------------
step "(b) consumer built with find_package(vmhi) / vmhi::vmhi"
cmake -S "$here/consumer" -B "$tmp/cmake-consumer" -DCMAKE_PREFIX_PATH="$inst" \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${extra_cflags[*]}" \
      -DCMAKE_BUILD_TYPE=Debug >"$tmp/cmake-consumer.log" 2>&1 ||
    { cat "$tmp/cmake-consumer.log" >&2; die "configuring the CMake consumer failed"; }
found=$(sed -n 's/^vmhi_DIR:PATH=//p' "$tmp/cmake-consumer/CMakeCache.txt")
[[ $(realpath "$found") == $(realpath "$libdir/cmake/vmhi") ]] ||
    die "find_package(vmhi) found '$found', not the scratch install"
cmake --build "$tmp/cmake-consumer" >"$tmp/cmake-build.log" 2>&1 ||
    { cat "$tmp/cmake-build.log" >&2; die "building the CMake consumer failed"; }
run_installed "$tmp/cmake-consumer/lifecycle" test:///default

# --- (c) out-of-tree backend module ---------------------------------------------
step "(c) backend module built with pkg-config vmhi-backend, found via VMHI_BACKEND_PATH"
read -r -a be_flags <<<"$(pkg-config --cflags --libs vmhi-backend)"
echo "pkg-config vmhi-backend: ${be_flags[*]}"
moduledir=$(pkg-config --variable=moduledir vmhi-backend)
[[ -n $moduledir ]] || die "vmhi-backend.pc has no moduledir variable"
mkdir -p "$tmp/modules"
"$cc" "${cflags[@]}" -shared -fPIC -Wl,--no-undefined -o "$tmp/modules/vmhi-oot.so" \
      "$here/oot-backend/oot_backend.c" "${be_flags[@]}"
exports=$(nm -D --defined-only "$tmp/modules/vmhi-oot.so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }')
[[ $exports == vmhi_backend_entry ]] ||
    die "the module should export only vmhi_backend_entry; it exports: $exports"
"$cc" "${cflags[@]}" -o "$tmp/oot_list" "$here/oot-backend/oot_list.c" "${pc_flags[@]}"
run_installed "$tmp/oot_list" --absent
run_installed "$tmp/oot_list" "$tmp/modules"

# --- (d) a moved install tree ---------------------------------------------------
# The tree lives under DESTDIR, not at the prefix it was configured for: the
# installed CLI still finds its library (RUNPATH) and the modules beside it.
step "(d) moved install: installed vmhi finds libvmhi and the module directory beside it"
[[ -x $inst/bin/vmhi ]] || die "bin/vmhi was not installed"
[[ $(pkg-config --variable=moduledir vmhi) == "$moduledir" ]] ||
    die "vmhi.pc and vmhi-backend.pc disagree on moduledir"
mkdir -p "$moduledir"
cp "$tmp/modules/vmhi-oot.so" "$moduledir/"
(unset LD_LIBRARY_PATH VMHI_BACKEND_PATH; "$inst/bin/vmhi" -c oot:/// list) ||
    die "the installed vmhi did not load the module installed in $moduledir"
rm -f "$moduledir/vmhi-oot.so"

printf '\nPASS: installed VMHI works from pkg-config, from CMake, for an out-of-tree module, and moved\n'
