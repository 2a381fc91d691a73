#!/usr/bin/env bash
# Boots Xen 4.17 and a Debian dom0 under QEMU (TCG) and runs a payload in
# dom0:
#
#   scripts/xen/run-dom0.sh --testbed TBDIR --payload PAYDIR --out OUTDIR
#                           [--timeout SECS]
#
# TBDIR is made by build-testbed.sh.  PAYDIR is copied to /payload in dom0
# and /payload/run is run there (cwd /payload; PATH has /payload/bin,
# LD_LIBRARY_PATH has /payload/lib; stdin is /dev/null, stdout and stderr
# go to the console).  Every ELF file in PAYDIR gets the shared libraries
# ldd names on this host that the base image lacks, at the same paths (so
# an ASan build runs too).
#
# Afterwards OUTDIR holds what `run` wrote under /out, plus
#   console.log  the whole serial console: Xen's, dom0's and the payload's
#   dom0-logs/   dom0's /var/log/xen: libxl's per-domain logs
#                (xl-<name>.log when made by xl), xen-hotplug.log,
#                syslog (the hotplug scripts' logger lines), console/
#                (guest consoles, guest-<name>.log)
# Results come back as a tar that dom0 writes onto a raw virtio disk (a
# sparse file here): no file system, no size limit worth mentioning.
#
# dom0 has 1 vCPU and DOM0_MEM (default 768M: its tmpfs hold saved images)
# of QEMU's QEMU_MEM (default 2560M), which leaves ~1.7 GiB for PV guests:
# the conformance suite runs up to six guests of 128 MiB at once, and
# libxl builds a PV guest with its maximum (256 MiB) before ballooning it
# down.  QEMU allocates guest memory as Xen touches it (bootscrub=0), so
# the host pays for what the guests use.  It has the PV guest in /guest
# (vmlinuz, which /init unpacks to vmlinux, and initrd.gz), a bridge xenbr0
# without uplink, a writable /var/lib/vmhi, tmpfs /tmp and /run.
#
# Progress lines with the seconds since start go to stdout.  For
# debugging: VMHI_XEN_CONSOLE=1 streams the console to stdout too;
# VMHI_XEN_CMDLINE adds to Xen's command line, VMHI_DOM0_CMDLINE replaces
# dom0's "quiet"; QEMU_ACCEL (default tcg,thread=multi), QEMU_CPU (default
# max,-svm,-xsave) and QEMU_SMP (default 2) change the emulated machine; VMHI_QEMU
# replaces the QEMU command (qemu-system-x86_64), e.g. another build with
# its -L data directories.
#
# Exit status: that of `run` when the payload ended and its results came
# back (a `run` that itself exits 90-94 is told apart only by the message
# on stderr); otherwise
#   90  Xen or dom0 crashed (panic, oops), or QEMU failed
#   91  timeout: the payload had not ended SECS/20+30 s before SECS
#       (default 600): dom0 killed it and its results came back, with
#       payload-timeout.txt (every process, the kernel stacks of those
#       blocked); or no end at all within SECS: QEMU killed
#   92  dom0 powered off without the payload's end marker
#   93  the payload ended but its results could not be brought back
#   94  bad arguments, or the test bed or payload is incomplete
# QEMU never outlives this script: it is killed on every exit path, and
# the kernel kills it (PR_SET_PDEATHSIG) if this script is killed outright.
set -uo pipefail

usage() {
    echo "usage: run-dom0.sh --testbed TBDIR --payload PAYDIR --out OUTDIR [--timeout SECS]" >&2
    exit 94
}
tb= payload= out= timeout=600
while (($#)); do
    (($# >= 2)) || usage
    case $1 in
    --testbed) tb=$2 ;;
    --payload) payload=$2 ;;
    --out) out=$2 ;;
    --timeout) timeout=$2 ;;
    *) usage ;;
    esac
    shift 2
done
[[ -n $tb && -n $payload && -n $out && $timeout =~ ^[1-9][0-9]*$ ]] || usage
fail() { local code=$1; shift; echo "run-dom0.sh: $*" >&2; exit "$code"; }
for f in xen vmlinux dom0-base.cpio.gz base-files .stamp; do
    [[ -e $tb/$f ]] || fail 94 "$tb/$f is missing: run scripts/xen/build-testbed.sh $tb"
done
[[ -f $payload/run && -x $payload/run ]] || fail 94 "$payload/run is missing or not executable"
for t in qemu-system-x86_64 setpriv cpio gzip tar; do
    command -v "$t" >/dev/null || fail 94 "$t is missing (scripts/setup.sh installs scripts/xen/packages.txt)"
done
tb=$(cd "$tb" && pwd)
payload=$(cd "$payload" && pwd)
mkdir -p "$out" || fail 94 "cannot create $out"

t0=$(date +%s.%N)
say() { echo "run-dom0.sh: [$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1f", b - a }') s] $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vmhi-xen-run.XXXXXX") || fail 94 "no temporary directory"
qemu_pid=
follower=
cleanup() {
    [[ -n $qemu_pid ]] && kill -KILL "$qemu_pid" 2>/dev/null
    [[ -n $follower ]] && kill "$follower" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "run-dom0.sh: interrupted" >&2; exit 130' INT TERM HUP

# ---- the payload: a second cpio, which the kernel unpacks over the base
declare -A in_base=()
while read -r f; do in_base[$f]=1; done <"$tb/base-files"
stage=$work/stage
mkdir -p "$stage/payload/bin" "$stage/payload/lib" "$stage/out"
cp -a "$payload/." "$stage/payload/" || fail 94 "cannot copy $payload"
is_elf() { [[ $(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ') == 177ELF ]]; }
# host_libs <elf>: the libraries ldd finds for it outside the payload.
host_libs() {
    LD_LIBRARY_PATH=$payload/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$1" 2>/dev/null |
        grep -o '/[^ ]*' | grep -v "^$payload/"
}
added=0
while IFS= read -r -d '' f; do
    is_elf "$f" || continue
    while read -r lib; do
        [[ -n ${in_base[$lib]:-} || -e $stage$lib ]] && continue
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib" && added=$((added + 1))
    done < <(host_libs "$f")
done < <(find "$payload" -type f -print0)
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$work/payload.cpio.gz" ||
    fail 94 "cannot pack the payload"
cat "$tb/dom0-base.cpio.gz" "$work/payload.cpio.gz" >"$work/initrd.gz"
truncate -s 1G "$work/results.img"
say "payload staged: $(du -h "$work/payload.cpio.gz" | cut -f1), $added host libraries added"

# ---- boot
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
qemu_mem=${QEMU_MEM:-2560M}
dom0_mem=${DOM0_MEM:-768M}
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=$dom0_mem,max:${DOM0_MAX:-$dom0_mem} dom0_max_vcpus=1"
xen_cmdline+=" bootscrub=0 smap=0 loglvl=warning guest_loglvl=warning ${VMHI_XEN_CMDLINE:-}"
# dom0 kills a payload still running at vmhi_deadline (seconds of its
# uptime; the boot takes ~10 s), so that its results come back even then.
deadline_margin=$((timeout / 20 + 30))
dom0_cmdline="console=hvc0 earlyprintk=xen ${VMHI_DOM0_CMDLINE:-quiet} vmhi_token=$token"
dom0_cmdline+=" vmhi_deadline=$((timeout > 2 * deadline_margin ? timeout - deadline_margin : timeout / 2))"
console=$out/console.log
: >"$console"
say "booting Xen under QEMU TCG (memory $qemu_mem, dom0 $dom0_mem, timeout $timeout s)"
# -svm: with SVM in the CPU, Xen loads a PV vCPU's segment bases with
# VMLOAD on every context switch (load_segments), and under QEMU's TCG
# that leaves dom0's user processes with a wrong FS base now and then:
# ld.so, libc and busybox die of segfaults, xl and xenstored among them
# (tests/xen/payload/stress: 11-13 dom0 processes killed in 150 s with
# SVM, under QEMU 7.2 and 10.0 alike; none without).  Nothing here needs
# HVM, and Xen runs PV guests without it.
# -xsave: without SVM the same corruption remained, rarer, until XSAVE went
# too: with it Xen saves and restores each vCPU's extended state with
# XSAVE/XRSTOR on a context switch, and under TCG dom0 then sees garbled
# memory and registers now and then (ld.so symbol lookups failing, xl.conf
# read as garbage, busybox faulting on a zero FS base).  Stress runs with
# one TCG thread, which switches most: 3-8 faults per 300 s with XSAVE
# (with or without AVX, XSAVEC, XSAVES, PCID), none in 21 cycles without
# it (Xen then uses FXSAVE).  See docs/xen.md.
qemu_cpu=${QEMU_CPU:-max,-svm,-xsave}
qemu=(${VMHI_QEMU:-qemu-system-x86_64})
setpriv --pdeathsig KILL -- "${qemu[@]}" -accel "${QEMU_ACCEL:-tcg,thread=multi}" -cpu "$qemu_cpu" \
    -m "$qemu_mem" -smp "${QEMU_SMP:-2}" \
    -nodefaults -display none -no-reboot -serial "file:$console" \
    -kernel "$tb/xen" -append "$xen_cmdline" \
    -initrd "$tb/vmlinux $dom0_cmdline,$work/initrd.gz" \
    -drive "file=$work/results.img,format=raw,if=virtio,cache=unsafe" \
    >"$work/qemu.log" 2>&1 </dev/null &
qemu_pid=$!
if [[ ${VMHI_XEN_CONSOLE:-0} == 1 ]]; then
    tail -n +1 -f --pid="$qemu_pid" "$console" &
    follower=$!
fi

# ---- follow the console until QEMU ends or the deadline passes
marker="VMHI-TESTBED $token"
deadline=$(($(date +%s) + timeout))
timed_out=0
report() { # <event> <message>: once, when the event shows on the console
    [[ -n ${reported[$1]:-} ]] && return
    grep -q "^$marker $1" "$console" || return
    reported[$1]=1
    say "$2"
}
declare -A reported=()
while kill -0 "$qemu_pid" 2>/dev/null; do
    if (($(date +%s) >= deadline)); then
        timed_out=1
        kill -KILL "$qemu_pid" 2>/dev/null
        break
    fi
    report dom0-ready "dom0 ready"
    report payload-start "payload started"
    report payload-end "payload done"
    sleep 0.2
done
wait "$qemu_pid" 2>/dev/null
qemu_rc=$?
qemu_pid=
for e in dom0-ready payload-start payload-end; do report "$e" "$e"; done
((timed_out)) && say "QEMU killed after $timeout s" || say "powered off (QEMU status $qemu_rc)"

tail_console() { echo "--- last console lines:" >&2; tail -n 25 "$console" | tr -d '\r' >&2; }
crash='Kernel panic|Panic on CPU|FATAL PAGE FAULT|FATAL TRAP|BUG: unable to handle|general protection fault|Oops:|Attempted to kill init'
if grep -qE "$crash" "$console"; then
    grep -m5 -E "$crash" "$console" | tr -d '\r' >&2
    tail_console
    fail 90 "Xen or dom0 crashed; see $console"
fi
((timed_out)) && { tail_console; fail 91 "no end within $timeout s (QEMU killed); see $console"; }
end=$(grep -m1 "^$marker payload-end" "$console" | tr -d '\r')
if [[ -z $end ]]; then
    tail_console
    [[ $qemu_rc != 0 ]] && { cat "$work/qemu.log" >&2; fail 90 "QEMU failed (status $qemu_rc)"; }
    fail 92 "dom0 ended without the payload's end marker; see $console"
fi
rc=${end#*rc=}
rc=${rc%% *}
grep -q "^$marker results-written" "$console" || {
    grep "^$marker warning" "$console" | tr -d '\r' >&2
    fail 93 "dom0 wrote no results; see $console"
}
mkdir -p "$work/results"
tar xf "$work/results.img" -C "$work/results" 2>"$work/tar.log" ||
    { cat "$work/tar.log" >&2; fail 93 "cannot read the results disk"; }
cp -a "$work/results/out/." "$out/" && rm -rf "$out/dom0-logs" &&
    cp -a "$work/results/var/log/xen" "$out/dom0-logs" || fail 93 "cannot copy the results into $out"
if grep -q "^$marker payload-timeout" "$console"; then
    say "results in $out (what the payload had written, and payload-timeout.txt)"
    fail 91 "the payload did not end by its deadline ($timeout s less $deadline_margin s): dom0 killed it; see $out/payload-timeout.txt"
fi
say "results in $out; payload status $rc"
exit "$rc"
