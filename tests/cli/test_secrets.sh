#!/usr/bin/env bash
# Secrets stay out of `ps` and core files (issue #11): vmhi takes no
# password on its command line, and once it has read an auth file it is
# not dumpable - no core file, no ptrace or /proc/PID/mem by the same
# user.  The kernel shows that as /proc/PID/* belonging to root, so the
# check runs vmhi as another user (nobody); it needs root for that.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

# --- no option takes a secret
expect_raw 0 --help
out_lacks '--password'
out_lacks '--pass '
expect_raw 2 --password hunter2 list
err_lacks 'hunter2'

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    echo "not root (or no setpriv): the dumpable check needs another user; skipping it"
    finish
fi

NOBODY=65534
chmod 711 "$TMP"
mkdir "$TMP/nobody"
printf 'test:// admin hunter2-secret\n' >"$TMP/nobody/auth"
chmod 600 "$TMP/nobody/auth"
chmod 700 "$TMP/nobody"
chown -R "$NOBODY:$NOBODY" "$TMP/nobody"

# owner_while_running ARGS...: runs vmhi as nobody for up to 1.5 s and
# prints the owner of its /proc/PID/status once it is past startup.
owner_while_running() {
    setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
        "$VMHI" "$@" -c test:///default events --timeout 10 >/dev/null 2>&1 &
    local pid=$! owner=""
    for _ in $(seq 15); do
        sleep 0.1
        owner=$(stat -c %u "/proc/$pid/status" 2>/dev/null) || break
        [ "$owner" = 0 ] && break
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "$owner"
}

CHECKS=$((CHECKS + 1))
got=$(owner_while_running)
[ "$got" = "$NOBODY" ] || fail "without secrets vmhi should stay dumpable (owner $got)"
CHECKS=$((CHECKS + 1))
got=$(owner_while_running --auth-file "$TMP/nobody/auth")
[ "$got" = 0 ] || fail "with an auth file vmhi is still dumpable (owner $got, expected 0)"
finish
