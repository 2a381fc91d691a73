#!/bin/sh
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
#
# Renders spec/state-machine.dot to spec/state-machine.png with Graphviz and
# records the SHA-256 of the .dot it was made from in
# spec/state-machine.dot.sha256, which the ctest `spec.state-machine-png`
# compares (PNG bytes differ between Graphviz versions; the source does not).
#
#   spec/render.sh           regenerate the PNG and the stamp
#   spec/render.sh --check   exit 1 if the PNG is older than the .dot
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dot_file="$here/state-machine.dot"
png_file="$here/state-machine.png"
stamp="$here/state-machine.dot.sha256"

sum=$(sha256sum < "$dot_file" | cut -d' ' -f1)
if [ "${1:-}" = "--check" ]; then
    if [ ! -f "$png_file" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
        echo "spec/state-machine.png is out of date with spec/state-machine.dot;" >&2
        echo "run spec/render.sh and commit state-machine.png and state-machine.dot.sha256" >&2
        exit 1
    fi
    if command -v dot > /dev/null 2>&1; then
        dot -Tcanon "$dot_file" > /dev/null  # the source must still parse
    fi
    echo "spec/state-machine.png is up to date"
    exit 0
fi
command -v dot > /dev/null 2>&1 || { echo "render.sh: Graphviz 'dot' not found (apt install graphviz)" >&2; exit 1; }
dot -Tpng -Gdpi=96 "$dot_file" -o "$png_file.tmp"
mv "$png_file.tmp" "$png_file"
echo "$sum" > "$stamp"
echo "wrote $png_file"
