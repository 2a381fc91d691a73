#!/usr/bin/env bash
# Compares the freshly built libvmhi with the ABI baseline in
# spec/abi/libvmhi.so.1.abi.  The ABI only grows:
#   allowed  - new functions, new enumerators, members appended at the end
#              of a struct; they are reported;
#   failure  - anything else: a removed or changed function, a member that
#              moved, changed type or vanished, an enumerator whose value
#              changed, a struct that shrank.
# abidiff alone is not enough: it flags a reordered struct that exported
# functions reach as a plain "change" (exit bit 4), not as "incompatible"
# (bit 8), it does not compare types no exported function reaches (the
# backend module ABI), and its suppressions for "member appended at the
# end" also hide other changes to the same struct.  So check-layout.py
# checks every public struct and enum of the baseline member by member and
# takes the appended members out, and then any change abidiff still
# reports fails.
#
#   check-abi.sh <libvmhi.so.1> <include-dir> <baseline.abi> <source-dir>
# Exits 77 (skipped) when there is no baseline yet, no libabigail, or no
# debug information in the library.  To accept a deliberate change, run
# scripts/update-abi-baseline.sh and have the new baseline reviewed.
set -euo pipefail

lib=${1:?usage: check-abi.sh <lib> <include-dir> <baseline> <source-dir>}
include_dir=${2:?missing include dir}
baseline=${3:?missing baseline}
source_dir=${4:?missing source dir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=abi-common.sh
. "$here/abi-common.sh"

skip() { echo "SKIP: $*"; exit 77; }
[[ -f $baseline ]] || skip "no ABI baseline at $baseline; create it with scripts/update-abi-baseline.sh"
for tool in abidw abidiff python3 readelf; do
    command -v "$tool" >/dev/null || skip "$tool not found (scripts/setup.sh installs it)"
done
[[ -f $lib ]] || { echo "FAIL: $lib does not exist (build the vmhi target first)" >&2; exit 1; }
vmhi_has_debug_info "$lib" ||
    skip "$lib has no debug information; build with -g (RelWithDebInfo or Debug)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vmhi_abidw "$lib" "$include_dir" "$tmp/current.abi" "$source_dir"

status=0
# 1. Structs keep every member in place; enums keep every value.  This
#    covers every public struct, also those no exported function reaches
#    (the backend module ABI: vmhi_backend_ops, vmhi_core_services...).
#    It also writes normalized.abi: the current ABI with the members that
#    were appended at the end of structs taken out again.
python3 "$here/check-layout.py" "$baseline" "$tmp/current.abi" "$tmp/normalized.abi" || status=1

# 2. Apart from new functions (--no-added-syms), new enumerators (harmless
#    to libabigail) and the appended members removed above, abidiff must
#    find nothing at all: any change it reports fails.
set +e
abidiff --no-added-syms "$baseline" "$tmp/normalized.abi" >"$tmp/gate.txt" 2>&1
gate=$?
set -e
if (( gate != 0 )); then
    kind="changed"
    (( gate & 8 )) && kind="changed incompatibly"
    (( gate & 3 )) && kind="could not be compared (abidiff error $gate)"
    echo "FAIL: the ABI $kind compared with $(basename "$baseline"):" >&2
    cat "$tmp/gate.txt" >&2
    status=1
fi

# 3. Report additions (allowed).
set +e
abidiff --added-fns --added-vars "$baseline" "$tmp/current.abi" \
        >"$tmp/added.txt" 2>&1
set -e
if grep -q '\[A\]' "$tmp/added.txt"; then
    echo "ABI additions since the baseline (allowed; record them in a new version node):"
    grep '\[A\]' "$tmp/added.txt" | sed 's/^/  /'
fi

if (( status == 0 )); then
    echo "check-abi: OK - no incompatible change against $(basename "$baseline")"
fi
exit $status
