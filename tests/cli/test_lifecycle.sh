#!/usr/bin/env bash
# vmhi lifecycle commands and their exit codes: start, pause, resume,
# suspend, reboot, reset, shutdown (with and without waiting), poweroff,
# undefine; invalid transitions exit 4, unknown VMs exit 3.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

write_vm_xml "$TMP/web.xml" web
write_vm_xml "$TMP/db.xml" db
expect 0 define "$TMP/web.xml"
expect 0 define "$TMP/db.xml"
expect 0 --json state web
uuid=$(json_get 'd["uuid"]')

# --- list: active only by default, --all, --state, --persistent, human and JSON
expect 0 list
out_has '^NAME  *STATE  *VCPUS  *MEMORY  *PERSISTENT  *UUID'
out_lacks 'web'
expect 0 list --all
out_has '^web  *shutoff  *2  *1024 MiB  *yes  *'"$uuid"
out_has '^db  *shutoff'
expect 0 -q list --all
CHECKS=$((CHECKS + 1))
[ "$(sort "$OUT" | tr '\n' ' ')" = "db web " ] || fail "list -q does not print just the names"

# --- start; a VM argument may be a name or a UUID (any case)
expect 0 start web
out_has "VM 'web' started"
expect 0 state "$uuid"
out_has '^running (booted)$'
expect 0 state "$(echo "$uuid" | tr a-f A-F)"
out_has '^running'
expect 0 list
out_has '^web  *running'
out_lacks '^db'
expect 0 --json list --state shutoff
json_check '[v["name"] for v in d["vms"]] == ["db"]'
expect 0 --json list --state running,paused --persistent
json_check '[v["name"] for v in d["vms"]] == ["web"]'
expect 0 --json list --transient
json_check 'd["vms"] == []'
expect 2 list --state sleeping
err_has "invalid value 'sleeping'"

# --- info: key: value lines
expect 0 info web
out_has '^Name: *web$'
out_has "^UUID: *$uuid\$"
out_has '^State: *running (booted)$'
out_has '^Persistent: *yes$'
out_has '^vCPUs: *2$'
out_has '^Memory: *1024 MiB$'
out_has '^Max memory: *2048 MiB$'

# --- invalid transitions exit 4
expect 4 start web
err_has '^vmhi: error: '
expect 4 resume web
expect 4 pause db
expect 4 shutdown db
expect 4 poweroff db
expect 4 --json resume web
json_check 'd["error"]["exit_code"] == 4 and d["error"]["kind"] == "invalid-state" and d["error"]["code"] < 0'

# --- pause / resume / reboot / reset
expect 0 pause web
expect 0 state web
out_has '^paused'
expect 4 pause web
expect 0 --json resume web
json_check 'd["action"] == "resume" and d["state"] == "running" and d["uuid"] == "'"$uuid"'"'
expect 0 reboot web
expect 0 reset web
expect 0 state web
out_has '^running'

# --- suspend, then start restores
expect 0 suspend web
expect 0 state web
out_has '^suspended'
expect 0 start web
expect 0 state web
out_has '^running (restored)'

# --- shutdown: a cooperative guest shuts off within the wait
expect 0 shutdown web --timeout 10
out_has "VM 'web' shut down"
expect 0 state web
out_has '^shutoff'

# --- shutdown without waiting: only requested
expect 0 start web
expect 0 --json shutdown web
json_check 'd["action"] == "shutdown"'

# --- an unresponsive guest: the wait times out (7) and the VM stays up
# (the cooperative guest above may already have acted on the request)
expect 0 state web
grep -q '^shutoff' "$OUT" || expect 0 poweroff web
expect 0 start web
"$VMHI" -c "$URI?guest=unresponsive" shutdown web --timeout 0.3 >"$OUT" 2>"$ERR"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc -eq 7 ] || fail "shutdown of an unresponsive guest exited $rc, expected 7"
err_has 'did not shut down within 0.3 s'
expect 0 state web
out_has '^shutting-down'
expect 0 poweroff web
expect 0 state web
out_has '^shutoff (poweroff)'
expect 2 shutdown web --timeout soon
err_has "invalid value 'soon' for --timeout"

# --- unknown VMs exit 3
expect 3 start nosuchvm
err_has '^vmhi: error: '
expect 3 info 00000000-0000-4000-8000-000000000000
expect 3 --json state nosuchvm
json_check 'd["error"]["exit_code"] == 3 and d["error"]["kind"] == "not-found"'

# --- undefine
expect 0 undefine db
out_has "VM 'db' undefined"
expect 3 info db
expect 0 start web
expect 0 undefine web
expect 0 --json info web
json_check 'd["persistent"] is False'
expect 0 poweroff web
expect 3 info web
expect 0 --json list --all
json_check 'd["vms"] == []'

# --- usage errors exit 2
expect 2 start
err_has 'missing argument'
expect 2 start a b
err_has 'too many arguments'
expect 2 start --force web
expect_raw 2 frobnicate
err_has "unknown command 'frobnicate'"
expect_raw 2
err_has 'no command given'
expect_raw 2 --bogus list

finish
