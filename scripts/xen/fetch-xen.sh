#!/usr/bin/env bash
# Fetches the Xen hypervisor and the dom0 toolstack from Debian's archive
# and unpacks them; it never installs them on this host:
#
#   scripts/xen/fetch-xen.sh ROOTDIR
#
# ROOTDIR receives the unpacked tree (ROOTDIR/boot/xen-*.gz,
# ROOTDIR/usr/lib/xen-*/bin/xl, /etc/xen/scripts, ...) and ROOTDIR/.version
# (the Debian version unpacked).  The .debs are kept in $VMHI_XEN_CACHE
# (default ~/.cache/vmhi/xen), outside any build tree, so a second build
# directory downloads nothing.
#
# Which version: the one of the host's libxen runtime (what libxen-dev
# compiles the backend against), so dom0 runs the very libxl the backend
# was built for; without it, the archive's candidate.  Libraries the
# toolstack depends on that the host lacks are fetched too.  A version
# already in the cache is used without asking the network.
#
# Exit status: 0 done (or already up to date); 1 the packages can be
# neither found in the cache nor downloaded (the reason is printed).  The
# Xen tests then fail: they never skip.
set -euo pipefail

root=${1:?usage: fetch-xen.sh ROOTDIR}
cache=${VMHI_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmhi/xen}
# The hypervisor, xl/libxl's helpers and daemons, hotplug scripts, xenstore-*.
packages=(xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils)
# A library package whose version says which libxl the host builds against.
pin_from=libxenmisc4.17

die() { echo "fetch-xen.sh: $*" >&2; exit 1; }
say() { echo "fetch-xen.sh: $*"; }
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "needs apt-get and dpkg-deb (a Debian host)"
mkdir -p "$cache" || die "cannot create the cache $cache"

installed_version() { # <package>: its version when installed, else nothing
    dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
        sed -n 's/^install ok installed //p'
}
candidate_version() { # <package>
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -vx '(none)' | head -n1
}
cached_deb() { # <package> [<version>]: the cached .deb's path, if any
    local v=${2:-*}
    compgen -G "$cache/${1}_${v//:/%3a}_*.deb" | sort -V | tail -n1
}
have_all() { # <version>
    local p
    for p in "${packages[@]}"; do [[ -n $(cached_deb "$p" "$1") ]] || return 1; done
}
download() { # <package[=version]>...
    local log rc=0
    log=$(mktemp)
    (cd "$cache" && apt-get download -q "$@") >"$log" 2>&1 || rc=$?
    grep -v "Download is performed unsandboxed" "$log" || true
    rm -f "$log"
    ((rc == 0)) || die "apt-get download $* failed: is the Debian archive reachable (apt-get update)?"
}

version=$(installed_version "$pin_from")
[[ -n $version ]] || version=$(candidate_version "${packages[0]}")
if [[ -z $version ]]; then
    # apt knows nothing (no lists): the newest complete set in the cache.
    version=$(cached_deb "${packages[0]}" | sed -n 's/.*_\(.*\)_amd64\.deb$/\1/p')
    version=${version//%3a/:}
    [[ -n $version ]] || die "apt knows no ${packages[0]} and $cache has none (run apt-get update)"
fi
if ! have_all "$version"; then
    say "downloading ${packages[*]} $version into $cache"
    download "${packages[@]/%/=$version}"
    have_all "$version" || die "$cache still lacks some of ${packages[*]} $version"
fi

# Library packages the fetched ones depend on and the host lacks.
missing_libs() {
    local p
    for p in "${packages[@]}"; do dpkg-deb -f "$(cached_deb "$p" "$version")" Depends; done |
        tr ',' '\n' | sed 's/^ *//; s/[ |(].*//; s/:any$//' | grep '^lib' | sort -u |
        while read -r p; do [[ -n $(installed_version "$p") ]] || echo "$p"; done
}
extra=()
for p in $(missing_libs); do
    [[ -n $(cached_deb "$p") ]] || download "$p"
    extra+=("$p")
done

want="$version${extra[*]:+ +${extra[*]}}"
if [[ -f $root/.version && $(cat "$root/.version") == "$want" ]]; then
    say "Xen $version is unpacked in $root"
    exit 0
fi
rm -rf "$root"
mkdir -p "$root"
for p in "${packages[@]}"; do dpkg-deb -x "$(cached_deb "$p" "$version")" "$root"; done
for p in "${extra[@]}"; do dpkg-deb -x "$(cached_deb "$p")" "$root"; done
echo "$want" >"$root/.version"
say "unpacked Xen $version${extra[*]:+ and ${extra[*]}} into $root"
