#!/usr/bin/env bash
# Prints the names of the functions the public headers declare with
# VMHI_EXTERN, one per line, sorted.  These are the library's exported ABI.
#   public-symbols.sh <include-dir>      (the directory that holds vmhi/)
#   public-symbols.sh --by-header <include-dir>   (grouped, in header order)
# A declaration starts at the beginning of a line with VMHI_EXTERN; the
# name is the identifier just before the first '('.
set -euo pipefail

by_header=0
if [[ ${1:-} == --by-header ]]; then
    by_header=1
    shift
fi
include_dir=${1:?usage: public-symbols.sh [--by-header] <include-dir>}

names_in() {
    sed -nE 's/^VMHI_EXTERN[^(]*[[:space:]*]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*/\1/p' "$1"
}

shopt -s nullglob
headers=("$include_dir"/vmhi/*.h)
if (( ${#headers[@]} == 0 )); then
    echo "public-symbols.sh: no headers in $include_dir/vmhi" >&2
    exit 2
fi

if (( by_header )); then
    for h in "${headers[@]}"; do
        names=$(names_in "$h")
        [[ -n $names ]] && printf '# %s\n%s\n' "vmhi/$(basename "$h")" "$names"
    done
else
    for h in "${headers[@]}"; do names_in "$h"; done | LC_ALL=C sort -u
fi
