#!/usr/bin/env bash
# vmhi memory, vCPU and device commands: setmem, setmaxmem, memstats,
# setvcpus, vcpuinfo, attach-disk, detach-disk (done, pending, --wait),
# attach-nic, detach-nic, devices.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

write_vm_xml "$TMP/web.xml" web
expect 0 define "$TMP/web.xml"

# --- memory and vCPUs in the definition while shut off
expect 0 setmem web 768 --config
out_has 'Memory of VM .web. set to 768 MiB'
expect 0 setmaxmem web 3G
expect 0 --json info web
json_check 'd["memory_mib"] == 768 and d["max_memory_mib"] == 3072'
expect 0 setvcpus web 3 --config
expect 0 --json info web
json_check 'd["vcpus"] == 3'
expect 4 setmem web 512 --live
expect 4 memstats web
expect 4 vcpuinfo web

# --- live changes on the running VM
expect 0 start web
expect 0 --json setmem web 1536 --live
json_check 'd["action"] == "setmem" and d["memory_mib"] == 1536 and d["affect"] == "live"'
expect 0 setvcpus web 4
out_has 'vCPU count of VM .web. set to 4'
expect 0 --json info web
json_check 'd["memory_mib"] == 1536 and d["vcpus"] == 4'
expect 8 setvcpus web 9
err_has '^vmhi: error: '
expect 8 setmem web 4000 --live
expect 2 setmem web lots
err_has "invalid value 'lots'"
expect 2 setvcpus web
expect 0 memstats web
out_has '^Actual'
expect 0 --json memstats web
json_check '"actual_kib" in d and "rss_kib" in d'
expect 0 vcpuinfo web
out_has '^VCPU  *ONLINE  *HOST-CPU  *CPU-TIME  *THREAD'
CHECKS=$((CHECKS + 1))
[ "$(tail -n +2 "$OUT" | wc -l)" -eq 4 ] || fail "vcpuinfo does not list 4 vCPUs"
expect 0 --json vcpuinfo web
json_check 'len(d["vcpus"]) == 4 and d["vcpus"][0]["id"] == 0'

# --- devices
expect 0 devices web
out_has '^ID  *TYPE  *STATE  *LIVE  *CONFIG  *SUMMARY'
out_has '^disk0  *disk  *present  *yes  *yes  */var/lib/vmhi/web.qcow2'
out_has '^nic0  *nic  *present'

# --- attach a disk live, with every option
expect 0 attach-disk web /var/lib/vmhi/data.raw --format raw --bus scsi --size-mib 512 --id data --live
out_has "Disk 'data' attached to VM 'web'"
expect 0 --json attach-disk web /var/lib/vmhi/ro.vmdk --format vmdk --readonly
json_check 'd["action"] == "attach-disk" and d["device"] != "" and d["type"] == "disk"'
ro=$(json_get 'd["device"]')
expect 0 --json devices web
json_check 'sorted(x["id"] for x in d["devices"] if x["type"] == "disk") == sorted(["disk0", "data", "'"$ro"'"])'
expect 9 attach-disk web /var/lib/vmhi/other.raw --id data
expect 8 attach-disk web relative/path.raw
expect 2 attach-disk web /var/lib/vmhi/x.raw --format floppy
err_has "invalid value 'floppy' for --format"
expect 2 attach-disk web /var/lib/vmhi/x.raw --bus usb

# --- detach, waiting for the guest to release it
expect 0 detach-disk web data --live --wait 10
out_has "Device 'data' detached from VM 'web'"
expect 0 --json devices web
json_check '"data" not in [x["id"] for x in d["devices"]]'
expect 3 detach-disk web data
expect 3 detach-disk web nosuchdisk --wait 1

# --- an unresponsive guest: pending, then a timeout with --wait
"$VMHI" -c "$URI?guest=unresponsive" detach-disk web "$ro" --live >"$OUT" 2>"$ERR"
CHECKS=$((CHECKS + 1))
[ $? -eq 0 ] || fail "detach-disk (unresponsive guest) failed"
out_has 'pending until the guest releases it'
expect 0 --json devices web
json_check '[x["state"] for x in d["devices"] if x["id"] == "'"$ro"'"] == ["detach-pending"]'
expect 9 detach-disk web "$ro" --live
"$VMHI" -c "$URI?guest=unresponsive" --json detach-nic web nic0 --live --wait 0.3 >"$OUT" 2>"$ERR"
rc=$?
CHECKS=$((CHECKS + 1))
[ $rc -eq 7 ] || fail "detach-nic --wait of an unresponsive guest exited $rc, expected 7"
err_has 'still pending after 0.3 s'
json_check 'd["error"]["exit_code"] == 7'

# --- NICs
expect 0 attach-nic web --model e1000 --mac 52:54:00:aa:bb:cc --network user --id lan
out_has "NIC 'lan' attached"
expect 0 devices web
out_has '^lan  *nic  *present  *yes  *.*52:54:00:aa:bb:cc'
expect 2 attach-nic web --model tokenring
expect 8 attach-nic web --mac 01:00:5e:00:00:01
expect 0 detach-nic web lan --wait 10
expect 0 --json devices web
json_check '"lan" not in [x["id"] for x in d["devices"]]'

# --- config-only changes of a shut-off VM take effect at once
expect 0 poweroff web
expect 0 attach-disk web /var/lib/vmhi/cold.raw --id cold
expect 0 --json detach-disk web cold
json_check 'd["completion"] == "done"'

finish
