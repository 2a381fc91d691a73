#!/usr/bin/env bash
# Builds the tiny guest the KVM backend's cooperation tests boot under TCG:
# Debian's own kernel (linux-image-amd64) as a PVH vmlinux, which QEMU
# boots directly in ~1.5-2 s, and a busybox-static initramfs whose /init
# loads the virtio and ACPI button modules and runs busybox acpid, with a
# power-button handler that powers the guest off.  So system_powerdown,
# balloon, vCPU and PCIe unplug are honoured by a real Linux guest.
#
#   scripts/kvm/build-guest.sh OUTDIR
#
# Writes OUTDIR/vmlinux and OUTDIR/initramfs.cpio.gz (nothing is committed).
# The kernel version is detected, never fixed: the host's newest
# /boot/vmlinuz-*, else Debian's linux-image-amd64 fetched and unpacked
# (scripts/core/kernel.sh).
# Exits 77 with the reason when a needed package is missing, so that ctest
# reports the guest tests as skipped.  Packages: see scripts/kvm/packages.txt.
set -euo pipefail

out=${1:?usage: build-guest.sh OUTDIR}
skip() { echo "SKIP: $*"; exit 77; }

source "$(dirname "${BASH_SOURCE[0]}")/../core/kernel.sh"
find_kernel || skip "$kernel_error"
for tool in cpio xz gzip modprobe; do
    command -v "$tool" >/dev/null || skip "$tool is missing (apt-get install cpio xz-utils kmod)"
done
busybox=/bin/busybox
[[ -x $busybox ]] || skip "no $busybox (apt-get install busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then
    skip "$busybox is dynamically linked; the initramfs needs busybox-static"
fi

mkdir -p "$out"
stamp="$out/.built-$kver"
if [[ -f $stamp && $stamp -nt ${BASH_SOURCE[0]} && -s $out/vmlinux && -s $out/initramfs.cpio.gz ]]; then
    echo "guest for $kver is up to date in $out"
    exit 0
fi
rm -f "$out"/.built-*

# ---- the kernel: the ELF vmlinux inside the bzImage (it has a PVH entry
# point, so QEMU boots it without firmware or decompression).  Debian
# compresses it with xz; decompress from the first xz header and tolerate
# the bytes after the stream.
offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kernel_image" | head -n1 | cut -d: -f1 || true)
[[ -n $offset ]] || skip "$kernel_image holds no xz-compressed kernel (unexpected build)"
tail -c +"$((offset + 1))" "$kernel_image" | xz -dc > "$out/vmlinux.tmp" 2>/dev/null || true
if [[ $(head -c 4 "$out/vmlinux.tmp" | od -An -c | tr -d ' ') != '177ELF' ]]; then
    rm -f "$out/vmlinux.tmp"
    skip "could not extract an ELF vmlinux from $kernel_image"
fi
mv "$out/vmlinux.tmp" "$out/vmlinux"

# ---- the initramfs
root=$(mktemp -d "$out/rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc/acpi/PWRF,lib/modules/"$kver"}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done

# Modules Debian builds as modules, in dependency order.
: > "$root/etc/modules.list"
for m in virtio_pci virtio_blk virtio_net virtio_balloon button evdev; do
    modprobe -d "$kmod_root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$root/lib/modules/$kver/"
    echo "/lib/modules/$kver/$(basename "$ko")" >> "$root/etc/modules.list"
done

# busybox acpid runs /etc/acpi/PWRF/00000080 for "button/power PWRF 00000080".
cat > "$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "VMHI-POWER-BUTTON"
sync
poweroff -f
EOF
chmod +x "$root/etc/acpi/PWRF/00000080"

cat > "$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
while read -r m; do insmod "$m" 2>/dev/null; done < /etc/modules.list
# Bring hot-plugged vCPUs online, as udev would.
( while :; do
    for c in /sys/devices/system/cpu/cpu*/online; do
      [ -f "$c" ] && [ "$(cat "$c")" = 0 ] && echo 1 > "$c"
    done
    sleep 0.2
  done ) &
acpid -c /etc/acpi -l /dev/console
echo "VMHI-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
exec sh
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
touch "$stamp"
echo "guest for $kver built in $out ($(du -h "$out/vmlinux" | cut -f1) vmlinux)"
