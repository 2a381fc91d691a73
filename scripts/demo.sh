#!/usr/bin/env bash
# One command from a fresh checkout to a running demo: installs what is
# missing, configures and builds VMHI, then runs vmhi-demo (examples/)
# against the built-in in-memory hypervisor.
#
#   scripts/demo.sh [uri]        (default test:///default)
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$source_dir/build/demo
uri=${1:-test:///default}

bash "$source_dir/scripts/setup.sh"
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target vmhi-demo -j2

demo=$(find "$build_dir" -type f -name vmhi-demo -perm -u+x | head -n1)
[[ -n $demo ]] || { echo "demo.sh: vmhi-demo was not built" >&2; exit 1; }
echo "== $demo $uri"
exec "$demo" "$uri"
