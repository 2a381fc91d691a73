#!/usr/bin/env bash
# vmhi -r / --readonly (VMHI_CONN_READONLY, CONN-16): every command that
# would change a VM fails with exit code 10 and changes nothing; the
# commands that only read work as usual.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

# expect_ro CODE ARGS...: like expect, through a read-only connection.
expect_ro() {
    local want=$1
    shift
    expect "$want" --readonly "$@"
}

write_vm_xml "$TMP/web.xml" web
write_vm_xml "$TMP/db.xml" db
write_vm_xml "$TMP/new.xml" new
expect 0 define "$TMP/web.xml"
expect 0 define "$TMP/db.xml"
expect 0 start web
expect 0 --json dumpconfig web
cp "$OUT" "$TMP/web.before"
expect 0 --json dumpconfig db
cp "$OUT" "$TMP/db.before"
expect 0 --json list --all
cp "$OUT" "$TMP/list.before"

# --- every change is refused, naming the flag
for args in "define $TMP/new.xml" "create $TMP/new.xml" "undefine db" "start db" \
            "shutdown web" "shutdown web --timeout 5" "poweroff web" "reboot web" \
            "reset web" "pause web" "resume web" "suspend web" "setmem web 512" \
            "setmem db 512 --config" "setmaxmem db 1536" "setvcpus web 3" \
            "attach-disk web /var/lib/vmhi/extra.img" "attach-disk db /x.img --config" \
            "detach-disk web disk0" "attach-nic web" "detach-nic web nic0"; do
    # shellcheck disable=SC2086
    expect_ro 10 $args
    err_has 'read-only'
    err_has 'VMHI_CONN_READONLY'
done
expect 10 -r pause web
expect_ro 10 --json start db
json_check 'd["error"]["exit_code"] == 10 and d["error"]["kind"] == "permission"'
json_check 'd["error"]["code_name"] == "permission denied" or d["error"]["code"] == -19'

# --- nothing changed
expect 0 --json dumpconfig web
cmp -s "$OUT" "$TMP/web.before" || fail "web's description changed"
expect 0 --json dumpconfig db
cmp -s "$OUT" "$TMP/db.before" || fail "db's description changed"
expect 0 --json list --all
# cpu_time_ns of the running VM goes on counting; everything else stands still.
CHECKS=$((CHECKS + 1))
python3 -c '
import json, sys
def still(path):
    d = json.load(open(path))
    for vm in d["vms"]:
        vm.pop("cpu_time_ns", None)
    return d
sys.exit(0 if still(sys.argv[1]) == still(sys.argv[2]) else 1)
' "$OUT" "$TMP/list.before" || fail "the VM list changed"
expect 0 state web
out_has 'running'
expect 0 state db
out_has 'shutoff'

# --- reads work
expect_ro 0 list --all
out_has 'web'
out_has 'db'
expect_ro 0 info web
expect_ro 0 state web
expect_ro 0 dumpconfig db
expect_ro 0 memstats web
expect_ro 0 vcpuinfo web
expect_ro 0 devices web
out_has 'disk0'
expect_ro 0 capabilities
out_has '^start  *yes'
expect_ro 0 hostinfo

# --- the same commands without the flag still work
expect 0 pause web
expect 0 resume web
expect 2 --readonly
finish
