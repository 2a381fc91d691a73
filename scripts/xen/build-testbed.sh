#!/usr/bin/env bash
# Builds what the Xen test bed boots and what does not change per run:
#
#   scripts/xen/build-testbed.sh TBDIR
#
#   TBDIR/xen               the Xen 4.17 hypervisor as an ELF (QEMU's
#                           multiboot -kernel loads it; the .gz it is not)
#   TBDIR/vmlinux           dom0's kernel, uncompressed: Xen then does no
#                           XZ decompression (~2 s less per boot under TCG)
#   TBDIR/dom0-base.cpio.gz dom0's initramfs: busybox, the Xen toolstack
#                           (xl, xenstored, xenconsoled, xen-init-dom0,
#                           libxl-save-helper, xenconsole, xenstore-*),
#                           every library they load plus libgcc_s, bash,
#                           flock and losetup for the hotplug scripts,
#                           /etc/xen, the kernel modules, /init
#                           (scripts/xen/dom0-init) and the PV guest in /guest
#   TBDIR/base-files        the paths in that image (run-dom0.sh adds to a
#                           payload only the libraries the image lacks)
#   TBDIR/guest/vmlinuz     the PV guest's kernel: a gzip'd vmlinux ELF
#                           (dom0's /init unpacks it to /guest/vmlinux,
#                           which libxenguest loads ~2.8x faster than this,
#                           itself ~2.5x faster than the XZ bzImage)
#   TBDIR/guest/initrd.gz   the PV guest's busybox initramfs
#                           (scripts/xen/domU-init)
#   TBDIR/guest/idle-pv     a 17 KB PV kernel that ignores every request
#                           (tests/xen/guest/idle-pv.S), assembled here
#   TBDIR/xen-root/         the unpacked Xen packages (fetch-xen.sh)
#
# The kernel is the host's newest /boot/vmlinuz-*, else Debian's
# linux-image-amd64 fetched and unpacked (scripts/core/kernel.sh), its
# version detected.
# A stamp of every input keeps TBDIR up to date: a rebuild with nothing
# changed takes about a second.  Exits 1 with the reason when something
# is missing.
set -euo pipefail

tb=${1:?usage: build-testbed.sh TBDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "build-testbed.sh: $*" >&2; exit 1; }
say() { echo "build-testbed.sh: $*"; }

source "$here/../core/kernel.sh"
find_kernel || die "$kernel_error"
busybox=/bin/busybox
[[ -x $busybox ]] || die "no $busybox (apt-get install busybox-static)"
# A dynamic busybox would need its libraries in the domU too.
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is dynamically linked (apt-get install busybox-static)"
for tool in cpio gzip modprobe python3 ldd dpkg-deb gcc ld; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh installs scripts/xen/packages.txt)"
done

idle_src=$here/../../tests/xen/guest/idle-pv.S
idle_ld=$here/../../tests/xen/guest/idle-pv.ld
[[ -r $idle_src && -r $idle_ld ]] || die "no $idle_src or $idle_ld"

mkdir -p "$tb"
tb=$(cd "$tb" && pwd)
xroot=$tb/xen-root
"$here/fetch-xen.sh" "$xroot" || die "cannot fetch Xen"
xver=$(cat "$xroot/.version")
xbin=$(compgen -G "$xroot/usr/lib/xen-[0-9]*/bin" | sort -V | tail -n1) || die "no usr/lib/xen-<version>/bin in $xroot"
xen_gz=$(compgen -G "$xroot/boot/xen-*-amd64.gz" | sort -V | tail -n1) || die "no boot/xen-*.gz in $xroot"

inputs() { # what, when changed, needs a rebuild
    echo "kernel=$kver xen=$xver"
    stat -c '%n %s %Y' "$kernel_image" "$busybox" "$xen_gz"
    cat "$here/build-testbed.sh" "$here/dom0-init" "$here/domU-init" "$idle_src" "$idle_ld"
}
stamp=$(inputs | cksum)
if [[ -f $tb/.stamp && $(cat "$tb/.stamp") == "$stamp" ]]; then
    say "up to date in $tb (kernel $kver, Xen $xver)"
    exit 0
fi
rm -f "$tb/.stamp"
say "building in $tb for kernel $kver and Xen $xver"

work=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-xen-tb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- Xen and the kernels
say "Xen ELF from ${xen_gz#"$xroot"/}"
gzip -dc "$xen_gz" >"$work/xen"
say "vmlinux from $kernel_image"
# The bzImage carries the kernel as one XZ stream: unpacked, it is vmlinux.
python3 - "$kernel_image" "$work/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("no XZ stream in " + sys.argv[1] + " (a kernel not compressed with XZ?)")
open(sys.argv[2], "wb").write(lzma.LZMADecompressor().decompress(data[start:]))
PY
[[ $(head -c4 "$work/vmlinux" | od -An -c | tr -d ' ') == 177ELF ]] || die "$kernel_image did not unpack to an ELF"
mkdir -p "$work/guest"
gzip -1 -c "$work/vmlinux" >"$work/guest/vmlinuz"
say "idle PV kernel"
gcc -c -o "$work/idle-pv.o" "$idle_src" || die "cannot assemble $idle_src"
ld -T "$idle_ld" -nostdlib -z max-page-size=4096 --no-warn-rwx-segments \
    -o "$work/guest/idle-pv" "$work/idle-pv.o" || die "cannot link the idle PV kernel"

# module_files <module>...: their .ko files and dependencies, in load order.
module_files() {
    local m
    for m in "$@"; do
        modprobe -d "$kmod_root" -S "$kver" --show-depends "$m" ||
            die "no kernel module $m for $kver"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}
# copy_modules <root> <module>...: the .ko files flat in <root>/lib/modules,
# their load order in <root>/lib/modules/order.
copy_modules() {
    local root=$1 path list
    shift
    list=$(module_files "$@")
    mkdir -p "$root/lib/modules"
    : >"$root/lib/modules/order"
    for path in $list; do
        case $path in *.ko) ;; *) die "$path: compressed modules are not handled" ;; esac
        cp "$path" "$root/lib/modules/"
        basename "$path" >>"$root/lib/modules/order"
    done
}
pack() { # <dir> <output.cpio.gz>
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$2"
}

# ---- the PV guest
say "PV guest initramfs"
g=$work/domU
mkdir -p "$g"/{bin,sbin,proc,sys,dev,tmp}
cp "$busybox" "$g/bin/busybox"
copy_modules "$g" xen-blkfront xen-netfront
cp "$here/domU-init" "$g/init"
# The kernel runs /sbin/poweroff on a PV shutdown request.
printf '#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n' >"$g/sbin/poweroff"
chmod 755 "$g/init" "$g/sbin/poweroff"
pack "$g" "$work/guest/initrd.gz"

# ---- dom0
say "dom0 initramfs"
r=$work/dom0
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,root,guest,out}
mkdir -p "$r"/var/{lib/xen,lib/vmhi,log/xen,lib/xenstored,lock}
ln -s ../run "$r/var/run"
cp "$busybox" "$r/bin/busybox"

# with_libs <file>...: the files and every library ldd names for them,
# preferring libraries that came with the fetched packages.
with_libs() {
    local f out
    for f in "$@"; do
        printf '%s\n' "$f"
        out=$(LD_LIBRARY_PATH=$xroot/usr/lib/x86_64-linux-gnu ldd "$f" 2>&1) || true
        grep -q 'not found' <<<"$out" && die "$f: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
        grep -o '/[^ ]*' <<<"$out" || true
    done | awk '!seen[$0]++'
}
install_at() { # <file as found> <path inside the image>
    mkdir -p "$r$(dirname "$2")"
    cp -L "$1" "$r$2"
}
tools=()
for t in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper xenconsole; do
    [[ -x $xbin/$t ]] || die "$xbin/$t is missing"
    tools+=("$xbin/$t")
done
tools+=("$xroot"/usr/bin/xenstore "$xroot"/usr/bin/xenstore-*)
hosttools=(/bin/bash /usr/bin/flock /usr/sbin/losetup)
# glibc dlopen()s libgcc_s for pthread_cancel: xl aborts without it.
gcc_s=$(compgen -G '/lib/x86_64-linux-gnu/libgcc_s.so.1' || compgen -G '/usr/lib/x86_64-linux-gnu/libgcc_s.so.1') ||
    die "no libgcc_s.so.1"
files=$(with_libs "${tools[@]}" "${hosttools[@]}" "$gcc_s")
while read -r f; do
    case $f in
    "$xroot"/*) install_at "$f" "${f#"$xroot"}" ;;
    *) install_at "$f" "$f" ;;
    esac
done <<<"$files"
xlib=${xbin#"$xroot"}
for t in xl xenstored xenconsoled; do ln -sf "$xlib/$t" "$r/usr/sbin/$t"; done
cp -a "$xroot/etc/xen" "$r/etc/"
# Xen's device back ends and interfaces, loop for phy: disks on files,
# bridge for xenbr0, virtio for the results disk run-dom0.sh attaches.
copy_modules "$r" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback \
    xen-netback loop bridge virtio_pci virtio_blk
cp "$here/dom0-init" "$r/init"
chmod 755 "$r/init"
cp "$work/guest/vmlinuz" "$work/guest/initrd.gz" "$work/guest/idle-pv" "$r/guest/"
pack "$r" "$work/dom0-base.cpio.gz"
(cd "$r" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) >"$work/base-files"

# ---- into place, the stamp last
rm -rf "$tb/guest"
mv "$work/guest" "$tb/guest"
for f in xen vmlinux dom0-base.cpio.gz base-files; do mv "$work/$f" "$tb/$f"; done
echo "$stamp" >"$tb/.stamp"
say "done: dom0 initramfs $(du -h "$tb/dom0-base.cpio.gz" | cut -f1)," \
    "guest kernel $(du -h "$tb/guest/vmlinuz" | cut -f1), guest initrd $(du -h "$tb/guest/initrd.gz" | cut -f1)"
