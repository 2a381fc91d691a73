#!/usr/bin/env bash
# Regenerates the ABI baseline spec/abi/libvmhi.so.1.abi from a build.
#
#   scripts/update-abi-baseline.sh [build-dir]     (default: build/abi)
#
# Run it deliberately: when a release adds to the ABI, or when the baseline
# is created for the first time.  The result is reviewed like code - the
# diff of the .abi file is the ABI change.  The build is configured as
# RelWithDebInfo without sanitizers, since abidw reads the DWARF types.
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$source_dir/build/abi}
major=$(sed -nE 's/^project\(vmhi VERSION ([0-9]+)\..*/\1/p' "$source_dir/CMakeLists.txt")
baseline=$source_dir/spec/abi/libvmhi.so.${major:?cannot read the project version}.abi
# shellcheck source=../tests/abi/abi-common.sh
. "$source_dir/tests/abi/abi-common.sh"

for tool in cmake abidw readelf; do
    command -v "$tool" >/dev/null || { echo "$tool not found; run scripts/setup.sh" >&2; exit 1; }
done

cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DVMHI_SANITIZE=OFF >/dev/null
cmake --build "$build_dir" --target vmhi -j2
lib=$(find "$build_dir/lib" -maxdepth 1 -name "libvmhi.so.${major}.*" -type f | head -n1)
[[ -n $lib ]] || { echo "no libvmhi.so.${major}.* under $build_dir/lib" >&2; exit 1; }
vmhi_has_debug_info "$lib" || { echo "$lib has no debug information" >&2; exit 1; }

# The baseline must describe the whole public API: refuse a library that
# does not export every VMHI_EXTERN function yet.
bash "$source_dir/tests/abi/check-exports.sh" "$lib" "$source_dir/include" \
     "$source_dir/lib/libvmhi.map" "libvmhi.so.${major}"

mkdir -p "$(dirname "$baseline")"
vmhi_abidw "$lib" "$source_dir/include" "$baseline.new" "$source_dir"
mv "$baseline.new" "$baseline"
echo "wrote $baseline"
if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$source_dir" diff --stat -- "$baseline" || true
fi
