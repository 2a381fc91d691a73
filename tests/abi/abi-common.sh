# Shared by tests/abi/check-abi.sh and scripts/update-abi-baseline.sh:
# the one way VMHI turns a built libvmhi into an ABI description, so the
# baseline and the fresh build are always described alike.
#
# Only types declared in the public headers are kept (--hd, drop private,
# public-types.supp), including those no exported function reaches
# (--load-all-types): the backend module ABI (vmhi_backend_ops,
# vmhi_core_services...) is reached through dlsym, never through an
# exported function, and must be guarded too.  Build paths, architecture, DT_NEEDED entries and source locations
# are left out: they change from machine to machine, the ABI does not.

# vmhi_abidw <library> <include-dir> <output-file> <source-dir>
vmhi_abidw() {
    local lib=$1 include_dir=$2 out=$3 source_dir=$4
    abidw --no-corpus-path --no-architecture --no-comp-dir-path --no-elf-needed \
          --no-show-locs --drop-undefined-syms --drop-private-types --load-all-types \
          --type-id-style hash --headers-dir "$include_dir/vmhi" \
          --suppressions "$(dirname "${BASH_SOURCE[0]}")/public-types.supp" \
          --out-file "$out.raw" "$lib" || return
    # Translation-unit paths are absolute: make them relative to the tree,
    # and a build directory (in the tree or anywhere) one XML-safe token.
    sed -e "s|path='$source_dir/|path='|g" -e "s|path='\(/[^']*/\)\{0,1\}build[^/']*/|path='@build@/|g" \
        "$out.raw" >"$out"
    rm -f "$out.raw"
}

# vmhi_has_debug_info <library>: abidw needs DWARF to see types.
vmhi_has_debug_info() {
    readelf -S -W "$1" 2>/dev/null | grep -q '\.debug_info'
}
