#!/usr/bin/env bash
# Checks the dynamic symbol table of libvmhi against its contract:
#   - the SONAME is libvmhi.so.<major>;
#   - every exported (defined) symbol starts with vmhi_ and is a function;
#   - every exported symbol carries the version node the linker version
#     script assigns it (VMHI_1.0 for everything released in 1.0);
#   - exported symbols == VMHI_EXTERN declarations in include/vmhi/*.h
#     == names listed in the version script (when it lists names rather
#     than a wildcard).
#
#   check-exports.sh <libvmhi.so.1> <include-dir> <libvmhi.map> [expected-soname]
set -euo pipefail

lib=${1:?usage: check-exports.sh <lib> <include-dir> <map> [soname]}
include_dir=${2:?missing include dir}
map=${3:?missing version script}
expected_soname=${4:-libvmhi.so.1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for tool in nm readelf; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (apt install binutils)"; exit 77; }
done
[[ -f $lib ]] || { echo "FAIL: $lib does not exist (build the vmhi target first)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Prints "name node" for every name in a global: section of the version
# script.  Comments are dropped; braces and semicolons become tokens.
map_entries() {
    tr '\n' ' ' <"$1" |
        sed -e 's|/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/| |g' -e 's|#[^{};]*| |g' |
        sed -e 's/[{};]/ & /g' -e 's/:/: /g' | tr -s ' \t' '\n' |
        awk '
            $0 == "" { next }
            $0 == "{" { depth++; if (depth == 1) node = last; next }
            $0 == "}" { depth--; section = ""; next }
            $0 == "global:" { section = "global"; next }
            $0 == "local:" { section = "local"; next }
            $0 == ";" { next }
            depth == 1 && section == "global" { print $0, node; next }
            { last = $0 }'
}

# Lists the version node names the script defines.
map_nodes() { map_entries "$1" | awk '{ print $2 }' | sort -u; }

# --- SONAME ---------------------------------------------------------------
soname=$(readelf -d -W "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [[ $soname != "$expected_soname" ]]; then
    fail "SONAME is '${soname:-<none>}', expected '$expected_soname'"
fi

# --- the export table, as nm and readelf see it ------------------------------
map_entries "$map" >"$tmp/map-entries"
map_nodes "$map" >"$tmp/map-nodes"
if [[ ! -s $tmp/map-entries ]]; then
    fail "no global names found in $map"
fi

# nm: "<value> <type> <name>[@[@]<version>]"; absolute symbols named after a
# version node are the version definitions themselves, not exports.
nm -D --defined-only "$lib" |
    awk 'NF >= 3 { t = $2; n = $3; sub(/@.*/, "", n); print n, t }' |
    grep -v -x -F -f <(awk '{ print $1 " A" }' "$tmp/map-nodes") |
    LC_ALL=C sort -u >"$tmp/nm"
awk '{ print $1 }' "$tmp/nm" >"$tmp/exported"

# readelf: "Num: Value Size Type Bind Vis Ndx Name@@VERSION"
readelf --dyn-syms -W "$lib" |
    awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && NF >= 8 {
             name = $8; ver = "-";
             if (index(name, "@")) { ver = name; sub(/^[^@]*@+/, "", ver); sub(/@.*/, "", name) }
             print name, ver, $4 }' |
    grep -v -E "^($(paste -sd'|' "$tmp/map-nodes" | sed 's/\./\\./g')) " |
    LC_ALL=C sort -u >"$tmp/readelf"

if ! diff <(awk '{ print $1 }' "$tmp/readelf") "$tmp/exported" >"$tmp/d"; then
    fail "nm and readelf disagree about the exported symbols:"; cat "$tmp/d" >&2
fi
if [[ ! -s $tmp/exported ]]; then
    fail "$lib exports no symbols at all"
fi

# --- (a) prefix and kind -----------------------------------------------------
while read -r name version type; do
    [[ $name == vmhi_* ]] || fail "exported symbol '$name' does not start with vmhi_"
    [[ $type == FUNC ]] || fail "exported symbol '$name' is a $type, not a function"
done <"$tmp/readelf"

# --- (b) versions --------------------------------------------------------------
wildcard=0
if grep -q '[*?]' <(awk '{ print $1 }' "$tmp/map-entries"); then
    wildcard=1
fi
while read -r name version type; do
    if [[ $version == - ]]; then
        fail "exported symbol '$name' has no version (the version script was not applied?)"
        continue
    fi
    if (( wildcard )); then
        grep -q -x -F "$version" "$tmp/map-nodes" ||
            fail "'$name' has version '$version', not a node of $(basename "$map")"
    else
        want=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/map-entries")
        [[ -z $want || $version == "$want" ]] ||
            fail "'$name' has version '$version' but $(basename "$map") puts it in '$want'"
    fi
done <"$tmp/readelf"

# --- (c) exports == headers == version script --------------------------------
"$here/public-symbols.sh" "$include_dir" >"$tmp/declared"
compare() { # <label-a> <file-a> <label-b> <file-b>
    local only_a only_b
    only_a=$(LC_ALL=C comm -23 "$2" "$4")
    only_b=$(LC_ALL=C comm -13 "$2" "$4")
    if [[ -n $only_a ]]; then
        fail "in $1 but not in $3:"; sed 's/^/    /' <<<"$only_a" >&2
    fi
    if [[ -n $only_b ]]; then
        fail "in $3 but not in $1:"; sed 's/^/    /' <<<"$only_b" >&2
    fi
}
compare "the headers (VMHI_EXTERN)" "$tmp/declared" "the library's exports" "$tmp/exported"
if (( wildcard )); then
    echo "note: $(basename "$map") uses a wildcard; its names are not compared"
else
    awk '{ print $1 }' "$tmp/map-entries" | LC_ALL=C sort -u >"$tmp/listed"
    compare "the headers (VMHI_EXTERN)" "$tmp/declared" "$(basename "$map")" "$tmp/listed"
fi

count=$(wc -l <"$tmp/exported")
if (( failures )); then
    echo "check-exports: $failures problem(s) with $lib ($count exported symbols)" >&2
    exit 1
fi
echo "check-exports: OK - $count symbols, all vmhi_*, all versioned as in $(basename "$map"), SONAME $soname"
