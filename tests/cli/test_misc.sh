#!/usr/bin/env bash
# vmhi host commands, help, the auth file and events:
# capabilities (operations, accepted values, limits), hostinfo, version
# (also without a connection), --help and
# `help CMD` for every subcommand, auth-file permission checks,
# events --count / --timeout / -- COMMAND.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

# --- version works without any hypervisor
CHECKS=$((CHECKS + 1))
VMHI_URI= "$VMHI" version >"$OUT" 2>"$ERR" || fail "version failed"
out_has '^Library (runtime): *[0-9]\+\.[0-9]\+\.[0-9]\+'
out_has '^Headers (built): *[0-9]'
out_lacks '^Backend'
expect_raw 0 --json version
json_check 'd["library"] == d["headers"] and d["library_number"] >= 1000000 and "backend" not in d'
expect_raw 0 -V
out_has '^Library'
expect 0 version
out_has '^Backend: *test'
expect_raw 0 -c nosuch:///x version
out_has '^Backend: *not connected'
expect_raw 6 -c nosuch:///x list
err_has '^vmhi: error: cannot connect'
expect_raw 6 --json -c nosuch:///x hostinfo
json_check 'd["error"]["exit_code"] == 6'

# --- hostinfo and capabilities
expect 0 hostinfo
out_has '^Hypervisor: *Test'
out_has '^CPUs: *[0-9]'
expect 0 --json hostinfo
json_check 'd["backend"] == "test" and d["cpus"] > 0 and d["memory_mib"] > 0'
expect 0 capabilities
out_has '^Profiles: .*Core'
out_has '^OPERATION  *SUPPORTED  *LIVE  *CONFIG  *ASYNC'
out_has '^start  *yes'
out_has '^attach-disk  *yes  *yes  *yes'
out_has '^LIMIT  *VALUE'
out_has '^max-vcpus  *[0-9]'
expect 0 --json capabilities
json_check 'd["operations"]["start"]["supported"] is True'
json_check 'd["operations"]["detach-disk"]["async"] is True'
json_check 'd["operations"]["suspend"]["guest"] is False'
json_check 'len(d["operations"]) == 25 and d["limits"]["max-vcpus"] > 0'
json_check 'len(d["profiles"]) > 0 and d["host"]["cpus"] > 0'
expect_raw 0 --json -c 'test:///default?suspend=guest' capabilities
json_check 'd["operations"]["suspend"]["guest"] is True and not d["operations"]["start"]["guest"]'
expect_raw 0 -c 'test:///default?suspend=guest' capabilities
out_has '^OPERATION  *SUPPORTED  *LIVE  *CONFIG  *ASYNC  *GUEST'
out_has '^suspend  *yes  *no  *no  *no  *yes'
expect 2 capabilities extra

# --- the accepted-values table (vmhi_conn_get_value_caps): every 1.0 value
# on the test backend, and exactly those left when refuse= takes some away
expect_raw 0 -c test:///default capabilities
out_has '^VALUE KIND  *ACCEPTED$'
out_has '^disk-bus  *default, virtio, scsi, sata, ide, xen, pvscsi$'
out_has '^disk-format  *raw, qcow2, vmdk$'
out_has '^disk-access  *read-write, read-only$'
out_has '^nic-model  *default, virtio, e1000, vmxnet3, rtl8139, xen$'
out_has '^network-kind  *named, user, bridge$'
out_has '^firmware  *bios, uefi$'
out_has '^guest-type  *default, hvm, pv, pvh$'
out_has '^boot-method  *firmware, kernel$'
out_has '^shutdown-method  *default, acpi, guest-agent, pv$'
expect_raw 0 --json -c test:///default capabilities
json_check 'len(d["values"]) == 9 and d["values"]["firmware"] == ["bios", "uefi"]'
json_check 'd["values"]["disk-bus"] == ["default", "virtio", "scsi", "sata", "ide", "xen", "pvscsi"]'
refused='test:///default?refuse=disk-bus:ide,firmware:uefi,shutdown-method:acpi'
expect_raw 0 -c "$refused" capabilities
out_has '^disk-bus  *default, virtio, scsi, sata, xen, pvscsi$'
out_has '^firmware  *bios$'
out_has '^shutdown-method  *default, guest-agent, pv$'
out_has '^disk-format  *raw, qcow2, vmdk$'
expect_raw 0 --json -c "$refused" capabilities
json_check '"ide" not in d["values"]["disk-bus"] and d["values"]["firmware"] == ["bios"]'
json_check 'd["values"]["shutdown-method"] == ["default", "guest-agent", "pv"]'
# A default cannot be refused: the core accepts it whatever is declared.
expect_raw 8 -c 'test:///default?refuse=disk-bus:default' capabilities

# --- help: every subcommand has a synopsis, a description and --help
expect_raw 0 --help
out_has '^Usage: vmhi'
out_has '^Exit codes:'
out_has '^  7  timeout'
cmds=$(sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' "$OUT" | sort -u)
for c in list define create undefine start shutdown poweroff reboot reset pause resume \
         suspend info state dumpconfig setmem setmaxmem memstats setvcpus vcpuinfo \
         attach-disk detach-disk attach-nic detach-nic devices events capabilities \
         hostinfo version help; do
    CHECKS=$((CHECKS + 1))
    echo "$cmds" | grep -qx -- "$c" || fail "'vmhi --help' does not list $c"
done
for c in $cmds; do
    expect_raw 0 "$c" --help
    out_has "^Usage: vmhi .*$c"
    expect_raw 0 help "$c"
    out_has "^Usage: vmhi .*$c"
    expect_raw 0 "$c" -h
done
expect_raw 0 help shutdown
out_has -- '--timeout SEC'
expect_raw 2 help nosuchcommand

# --- the auth file: refused unless 0600 or stricter; secrets never printed
printf '# test credentials\nesx://127.0.0.1 root s3cr3t-pw\n\ntest:// admin hunter2-secret\n' >"$TMP/auth"
chmod 644 "$TMP/auth"
expect 6 --auth-file "$TMP/auth" list
err_has 'accessible by group or others'
err_has 'chmod 600'
err_lacks 's3cr3t'
err_lacks 'hunter2'
chmod 640 "$TMP/auth"
expect 6 --auth-file "$TMP/auth" version
chmod 600 "$TMP/auth"
expect 0 --auth-file "$TMP/auth" list --all
chmod 400 "$TMP/auth"
expect 0 --auth-file "$TMP/auth" hostinfo
printf 'esx://127.0.0.1 root-without-password\n' >"$TMP/auth-bad"
chmod 600 "$TMP/auth-bad"
expect 8 --auth-file "$TMP/auth-bad" list
err_has 'line 1'
err_lacks 'root-without-password'
expect 6 --auth-file "$TMP/missing" list
mkdir "$TMP/auth-dir"
chmod 700 "$TMP/auth-dir"
expect 6 --auth-file "$TMP/auth-dir" list

# --- events: a command run under `events` and the events it causes
write_vm_xml "$TMP/web.xml" web
expect 0 define "$TMP/web.xml"
expect 0 start web
expect 0 events --count 2 --timeout 10 -- shutdown web
out_has "Shutdown of VM 'web' requested"
out_has 'lifecycle  *web state=shutting-down'
out_has 'lifecycle  *web state=shutoff'
expect 0 --json events --count 1 --timeout 10 --vm web --type lifecycle -- start web
json_check 'd["count"] == 1 and d["timed_out"] is False'
json_check 'd["events"][0]["type"] == "lifecycle" and d["events"][0]["state"] == "running"'
json_check 'd["events"][0]["name"] == "web" and d["events"][0]["seq"] >= 1'
expect 0 --json events --timeout 10 --count 1 --type memory,vcpu,device-added -- setmem web 1536
json_check '[e["type"] for e in d["events"]][:1] == ["memory"] and d["events"][0]["value"] == 1536'
CHECKS=$((CHECKS + 1))
[ "$(grep -c '"events"' "$OUT")" -eq 1 ] || fail "events --json printed more than one document"
# Not enough events within the timeout: 7 with --count, 0 without.
expect 7 events --count 5 --timeout 0.3 -- pause web
err_has 'only 1 of 5 events arrived'
expect 0 events --timeout 0.2
expect 4 events --count 1 --timeout 1 -- pause web
expect 2 events -- events
expect 2 events --count 0
expect 2 events stray
expect 3 events --vm nosuchvm --timeout 0.1

finish
