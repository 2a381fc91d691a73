# Sourced by the scripts that build test guests from Debian's kernel
# (scripts/kvm/build-guest.sh, scripts/xen/build-testbed.sh):
#
#   source scripts/core/kernel.sh
#   find_kernel || die "$kernel_error"
#
# sets kernel_image (the bzImage), kver (its version) and kmod_root (the
# root its modules are under: $kmod_root/lib/modules/$kver, for
# `modprobe -d "$kmod_root" -S "$kver"`).
#
# Which kernel: the host's newest /boot/vmlinuz-* with its modules, where
# the host has one; else (a fresh machine: scripts/setup.sh does not
# install linux-image-amd64, whose initramfs generation took ~140 s of a
# CI run's setup) the package linux-image-amd64 depends on, downloaded
# with apt-get download and unpacked with dpkg-deb into $VMHI_KERNEL_CACHE
# (default ~/.cache/vmhi/kernel), outside any build tree, and depmod run
# there; a version already unpacked is used without asking the network.
# VMHI_KERNEL_FROM_ARCHIVE=1 takes the archive's even where the host has
# a kernel.
# SPDX-License-Identifier: Apache-2.0

kernel_error=

# The version of the newest kernel under <root>/boot with its modules.
_kernel_newest() { # <root>
    local image v
    image=$(compgen -G "$1/boot/vmlinuz-*" | sort -V | tail -n1) || return 1
    v=${image##*/vmlinuz-}
    [[ -d $1/lib/modules/$v ]] || return 1
    echo "$v"
}

# linux-image-<version>-amd64, the package linux-image-amd64 depends on.
_kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1
}

_kernel_from_archive() {
    local cache=${VMHI_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmhi/kernel}
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null && command -v depmod >/dev/null ||
        { kernel_error="no kernel in /boot, and no apt-get, dpkg-deb and depmod to fetch one"; return 1; }
    mkdir -p "$cache" || { kernel_error="cannot create $cache"; return 1; }
    # One unpacking at a time: the KVM guest and the Xen test bed may be
    # built side by side (ctest -j2), from the same cache.
    local lock
    exec {lock}>"$cache/.lock" && flock "$lock" || { kernel_error="cannot lock $cache/.lock"; return 1; }
    _kernel_unpack "$cache"
    local rc=$?
    exec {lock}>&-
    return $rc
}

_kernel_unpack() { # <cache>
    local cache=$1 pkg deb root
    pkg=$(_kernel_package)
    if [[ -z $pkg ]]; then
        # No package lists: the newest kernel unpacked earlier, if any.
        root=$(compgen -G "$cache/root-*" | sort -V | tail -n1) ||
            { kernel_error="apt-cache names no package for linux-image-amd64 (apt-get update?)"; return 1; }
    else
        root=$cache/root-$pkg
    fi
    if [[ ! -f $root/.unpacked ]]; then
        rm -rf "$root" "$cache/download"
        mkdir -p "$cache/download" "$root"
        (cd "$cache/download" && apt-get download "$pkg" >/dev/null 2>&1) ||
            { kernel_error="apt-get download $pkg failed (no network or no package lists?)"; return 1; }
        deb=$(compgen -G "$cache/download/${pkg}_*.deb" | head -n1) ||
            { kernel_error="apt-get download $pkg left no .deb"; return 1; }
        dpkg-deb -x "$deb" "$root" || { kernel_error="cannot unpack $deb"; return 1; }
        rm -rf "$cache/download"
        local v
        v=$(_kernel_newest "$root") || { kernel_error="$pkg holds no boot/vmlinuz-* with modules"; return 1; }
        depmod -b "$root" "$v" || { kernel_error="depmod -b $root $v failed"; return 1; }
        touch "$root/.unpacked"
    fi
    kmod_root=$root
    kver=$(_kernel_newest "$root") || { kernel_error="$root holds no kernel"; return 1; }
    kernel_image=$root/boot/vmlinuz-$kver
}

find_kernel() {
    if [[ ${VMHI_KERNEL_FROM_ARCHIVE:-0} != 1 ]] && kver=$(_kernel_newest ""); then
        kernel_image=/boot/vmlinuz-$kver
        kmod_root=/
        return 0
    fi
    _kernel_from_archive
}
