# Steps of the CLI parts of the dom0 payload ("cli", "ovf"), sourced by
# each: a part sets $res (its result file) and $console (its guest's
# console log) and runs its steps with op, expect and fails.  Each step
# appends "OP <name> rc=<status> t=<seconds>" and its output (indented)
# to $res; tests/xen/check-steps.sh asserts them on the host.  A step that
# hangs is killed after 120 s, with the stacks of its threads.
# Waits are measured on the clock (/proc/uptime), not in rounds of
# "sleep 0.1": on a loaded host each round took several times that, and
# a 90 s wait once lasted 653 s.
up() { cut -d' ' -f1 /proc/uptime; }
up_s() { cut -d. -f1 /proc/uptime; }
op() { # <name> <command...>
    n=$1
    shift
    s=$(up)
    "$@" >/tmp/step.out 2>&1 &
    pid=$!
    end=$(($(up_s) + 120))
    while kill -0 $pid 2>/dev/null && [ "$(up_s)" -lt $end ]; do sleep 0.1; done
    if kill -0 $pid 2>/dev/null; then
        for t in /proc/$pid/task/*; do echo "thread $t:"; cat $t/stack; done >>/tmp/step.out 2>&1
        kill -9 $pid
    fi
    wait $pid
    rc=$?
    echo "OP $n rc=$rc t=$(awk -v a="$s" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }')" >>$res
    sed 's/^/    /' /tmp/step.out | head -n 40 >>$res
}
# expect <name> <pattern> <command...>: the command succeeds and prints
# <pattern> (a grep regular expression).
expect() {
    n=$1 p=$2
    shift 2
    op "$n" sh -c '"$@" >/tmp/expect.out 2>&1; rc=$?; cat /tmp/expect.out; [ $rc = 0 ] && grep -q "$0" /tmp/expect.out' "$p" "$@"
}
# fails <name> <status> <pattern> <command...>: the command exits with
# <status> and prints <pattern>.
fails() {
    n=$1 st=$2 p=$3
    shift 3
    op "$n" sh -c 'st=$1 p=$2; shift 2; "$@" >/tmp/expect.out 2>&1; rc=$?; cat /tmp/expect.out; echo "(exit status $rc)"; [ $rc = "$st" ] && grep -q "$p" /tmp/expect.out' fails "$st" "$p" "$@"
}
# on_console <pattern> <seconds>: wait for a line of the guest's console
# ($console, /var/log/xen/console/guest-<VM>.log); give up early when the
# VM has had no domain for a while (its start failed, it crashed).
on_console() {
    end=$(($(up_s) + $2)) vm=${console##*/guest-} i=0 missing=0
    vm=${vm%.log}
    while [ "$(up_s)" -lt $end ]; do
        grep -q "$1" "$console" 2>/dev/null && return 0
        i=$((i + 1))
        if [ $((i % 10)) = 0 ]; then
            # ten checks in a row (10 s or more): a reboot builds the next
            # domain a moment after the old one is gone
            if xl domid "$vm" >/dev/null 2>&1; then missing=0; else missing=$((missing + 1)); fi
            if [ $missing -ge 10 ]; then
                echo "VM $vm has no domain: $1 never came"
                return 1
            fi
        fi
        sleep 0.1
    done
    echo "not on the guest console within $2 s: $1"
    return 1
}
