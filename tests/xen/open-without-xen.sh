#!/usr/bin/env bash
# xen.open_without_xen: where there is no Xen (the build host), opening
# xen:/// fails at once with exit 6 (connection) and says why, and bad
# URIs are refused before anything is tried.  On a real dom0 this test has
# nothing to show: SKIP.
#   open-without-xen.sh VMHI-CLI
set -uo pipefail
vmhi=${1:?usage: open-without-xen.sh VMHI-CLI}
if [[ -e /proc/xen/capabilities ]]; then
    echo "SKIP: this host runs on Xen"
    exit 77
fi
fail=0
# expect <exit> <message part> <uri>
expect() {
    local want=$1 text=$2 uri=$3 out rc
    out=$(timeout 20 "$vmhi" -c "$uri" list 2>&1)
    rc=$?
    if [[ $rc != "$want" || $out != *"$text"* ]]; then
        echo "FAIL: vmhi -c '$uri' list exited $rc, not $want, saying: $out"
        fail=1
    else
        echo "ok: '$uri' -> exit $rc: $out"
    fi
}
expect 6 "not a Xen dom0" "xen:///"
expect 6 "not a Xen dom0" "xen:///system"
expect 8 "unknown URI parameter 'foo'" "xen:///?foo=1"
expect 8 "must be an absolute path" "xen:///?kernel=vmlinuz"
expect 8 "names a host" "xen://otherhost/"
expect 8 "unknown path" "xen:///session"
exit $fail
