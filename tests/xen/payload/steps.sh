# Steps of the CLI parts of the dom0 payload ("cli", "ovf"), sourced by
# each: a part sets $res (its result file) and $console (its guest's
# console log) and runs its steps with op, expect and fails.  Each step
# appends "OP <name> rc=<status> t=<seconds>" and its output (indented)
# to $res; tests/xen/check-steps.sh asserts them on the host.  A step that
# hangs is killed after 120 s, with the stacks of its threads.
up() { cut -d' ' -f1 /proc/uptime; }
op() { # <name> <command...>
    n=$1
    shift
    s=$(up)
    "$@" >/tmp/step.out 2>&1 &
    pid=$!
    i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
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
on_console() { # <pattern> <seconds>
    i=0
    while [ $i -lt $(($2 * 10)) ]; do
        grep -q "$1" "$console" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "not on the guest console within $2 s: $1"
    return 1
}
