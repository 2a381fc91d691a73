#!/usr/bin/env bash
# Checks every backend module built into <modules-dir> the way the core
# will see it: a module exports exactly one symbol, vmhi_backend_entry, and
# depends on libvmhi.so.1 (it is built like a vendor's module, against the
# public library).  A module exporting more would leak its internals into
# every process that loads it.
#
#   check-module-exports.sh <modules-dir>
# Exits 77 (skipped) when no module was built.
set -euo pipefail

dir=${1:?usage: check-module-exports.sh <modules-dir>}
shopt -s nullglob
modules=("$dir"/*.so)
if (( ${#modules[@]} == 0 )); then
    echo "SKIP: no backend modules in $dir (only the built-in test backend is built)"
    exit 77
fi

failures=0
for module in "${modules[@]}"; do
    name=$(basename "$module")
    before=$failures
    exports=$(nm -D --defined-only "$module" |
              awk '$2 != "A" { n = $3; sub(/@.*/, "", n); print n }' | sort -u)
    if [[ $exports != vmhi_backend_entry ]]; then
        echo "FAIL: $name must export only vmhi_backend_entry; it exports:" >&2
        sed 's/^/    /' <<<"$exports" >&2
        failures=$((failures + 1))
    fi
    if ! readelf -d "$module" | grep -q 'NEEDED.*\[libvmhi\.so\.1\]'; then
        echo "FAIL: $name does not link libvmhi.so.1 (DT_NEEDED)" >&2
        failures=$((failures + 1))
    fi
    (( failures > before )) || echo "ok   $name: exports only vmhi_backend_entry, needs libvmhi.so.1"
done
exit $(( failures ? 1 : 0 ))
