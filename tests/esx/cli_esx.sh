#!/usr/bin/env bash
# The vmhi CLI manages VMs of VMware's vSphere simulator end to end over
# esx://: define from an XML and from a JSON description, dumpconfig round
# trips, start, hot-add a disk and a NIC, list, devices, events, stop,
# detach, undefine (also of a running VM).  Every command is a new process
# with its own session.
#   cli_esx.sh VMHI-BINARY      (environment: VMHI_ESX_SIM_SCRIPT, VMHI_ESX_SIM_BIN)
# SPDX-License-Identifier: Apache-2.0
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

sim=${VMHI_ESX_SIM_SCRIPT:?} bin=${VMHI_ESX_SIM_BIN:?}
state=$TMP/sim
"$sim" start "$state" "$bin" --vms 1 --user vmhi --password vmhi-pass >"$TMP/start.log" 2>&1
case $? in
0) ;;
77) echo "SKIP: $(cat "$state/skip-reason" 2>/dev/null)"; exit 77 ;;
*) cat "$TMP/start.log"; exit 1 ;;
esac
trap '"$sim" stop "$state"; rm -rf "$TMP"' EXIT
URI="esx://127.0.0.1:$(cat "$state/port")/?no_verify=1"
(umask 077 && echo "esx://127.0.0.1 vmhi vmhi-pass" >"$TMP/auth")
run() {
    "$VMHI" -c "$URI" --auth-file "$TMP/auth" "$@" >"$OUT" 2>"$ERR"
}
DS=/vmfs/volumes/LocalDS_0

# --- define from XML; the description comes back as given
cat >"$TMP/web.xml" <<XML
<vm xmlns="urn:vmhi:vm:1">
  <name>web</name>
  <vcpus max="4">2</vcpus>
  <memory max="512" unit="MiB">256</memory>
  <devices>
    <disk id="root" format="vmdk" bus="scsi" size-mib="16"><path>$DS/web/root.vmdk</path></disk>
    <nic id="lan" model="vmxnet3" mac="00:50:56:00:aa:01"><network>default</network></nic>
  </devices>
</vm>
XML
expect 0 define "$TMP/web.xml"
out_has "VM 'web' defined"
# Reasons are known to the connection that made or saw the change (ESX
# keeps none); each command here is a new connection.
expect 0 state web
out_has "^shutoff ("
expect 0 dumpconfig web --xml
out_has "<path>$DS/web/root.vmdk</path>"
out_has 'id="root" format="vmdk" bus="scsi"'
out_has 'id="lan" model="vmxnet3" mac="00:50:56:00:aa:01"'
cp "$OUT" "$TMP/web-back.xml"
expect 0 define "$TMP/web-back.xml"
expect 0 dumpconfig web --xml
CHECKS=$((CHECKS + 1))
cmp -s "$OUT" "$TMP/web-back.xml" || fail "dumpconfig changed after defining its own output"

# --- define from JSON: a SATA raw disk, an e1000 NIC without a MAC
cat >"$TMP/api.json" <<JSON
{
  "vmhi": 1,
  "name": "api",
  "vcpus": { "current": 1, "max": 2 },
  "memory_mib": { "current": 128, "max": 256 },
  "disks": [ { "id": "data", "path": "$DS/api/data.vmdk", "format": "raw", "bus": "sata",
               "size_mib": 8 } ],
  "nics": [ { "id": "eth0", "model": "e1000" } ]
}
JSON
expect 0 define "$TMP/api.json"
out_has "VM 'api' defined"
expect 0 --json info api
json_check 'd["vcpus"] == 1 and d["max_vcpus"] == 2 and d["memory_mib"] == 128 and d["max_memory_mib"] == 256'
expect 0 dumpconfig api --json
json_check 'd["disks"][0]["format"] == "raw" and d["disks"][0]["bus"] == "sata"'
json_check 'd["disks"][0]["path"] == "'"$DS"'/api/data.vmdk"'
json_check 'd["nics"][0]["id"] == "eth0" and d["nics"][0]["mac"].startswith("00:50:56:")'

# --- start, hot-add a disk and a NIC
expect 0 start web
expect 0 start api
expect 0 state web
out_has "^running ("
expect 0 --json attach-disk web "$DS/web/extra.vmdk" --size-mib 4 --bus scsi --format vmdk --id extra --live --config
expect 0 --json attach-nic web --model e1000 --id wan --live --config
expect 0 --json devices web
json_check 'sorted(x["id"] for x in d["devices"]) == ["extra", "lan", "root", "wan"]'
json_check 'all(x["live"] and x["config"] for x in d["devices"])'
# A live-only NIC is not in the definition.
expect 0 attach-nic web --model vmxnet3 --id tmp --live
expect 0 --json devices web
json_check '[(x["live"], x["config"]) for x in d["devices"] if x["id"] == "tmp"] == [(True, False)]'

# --- list
expect 0 -q list
out_has "^web$"
out_has "^api$"
expect 0 --json list --all
json_check 'sorted(v["name"] for v in d["vms"] if v["state"] == "running") == ["api", "ha-host_VM0", "web"]'

# --- events of a power-off, then stop the other VM gracefully
expect 0 --json events --count 1 --timeout 20 --type lifecycle -- poweroff api
json_check '[(e["name"], e["state"], e["reason"]) for e in d["events"]] == [("api", "shutoff", "poweroff")]'
expect 0 --json events --count 1 --timeout 20 --type lifecycle -- shutdown web --timeout 20
json_check '[(e["name"], e["state"], e["reason"]) for e in d["events"]] == [("web", "shutoff", "shutdown-guest")]'
expect 0 state web
out_has "^shutoff ("
# Shut off, web runs with its definition next time: no live-only NIC.
expect 0 --json devices web
json_check 'sorted(x["id"] for x in d["devices"]) == ["extra", "lan", "root", "wan"]'
expect 0 detach-nic web wan
expect 0 detach-disk web extra
expect 0 --json devices web
json_check 'sorted(x["id"] for x in d["devices"]) == ["lan", "root"]'

# --- undefine; a running VM becomes transient and ends at shutoff
# OVF through the CLI: web exported as an .ovf (its images stay on the
# datastore), undefined and imported back gives the same description; a
# VMware vmx-13 export from the corpus, its network mapped, defined; an
# IDE disk put on SCSI when asked.
expect 0 dumpconfig web --xml
cp "$OUT" "$TMP/web-before-ovf.xml"
expect 0 export web -o "$TMP/web.ovf"
out_has "exported to $TMP/web.ovf"
expect 0 undefine web
# undefine keeps the images; the description asks for a new 16 MiB root
# disk (size-mib), so web comes back on a datastore without it, as on
# another host
ds_dir=$(find "$state/tmp" -maxdepth 3 -type d -name '*LocalDS_0*' | head -1)
CHECKS=$((CHECKS + 1))
[[ -d $ds_dir ]] || fail "no directory behind LocalDS_0 under $state/tmp"
rm -f "$ds_dir"/web/root*.vmdk
# the vmx-13 export's image, as the simulator's datastore holds one
mkdir -p "$ds_dir/ovf"
qemu-img create -q -f vmdk "$ds_dir/ovf/web13-disk1.vmdk" 1M && touch "$ds_dir/ovf/web13-disk1-flat.vmdk" ||
    fail "cannot make web13's image"
expect 0 import "$TMP/web.ovf" --disk-dir "$DS/web" --no-images
out_has "VM 'web' defined"
expect 0 dumpconfig web --xml
CHECKS=$((CHECKS + 1))
diff -u "$TMP/web-before-ovf.xml" "$OUT" >&2 || fail "export -> import changed web's description"
expect 0 import "$(dirname "${BASH_SOURCE[0]}")/../data/ovf/vmware-vmx13.ovf" --no-images \
    --disk-dir "$DS/ovf" --network 'VM Network=default'
out_has "adapted: web13: NIC nic0: network 'VM Network' mapped to 'default'"
out_has "VM 'web13' defined"
expect 0 dumpconfig web13 --xml
out_has 'model="vmxnet3"'
out_has '<network>default</network>'
out_has "<path>$DS/ovf/web13-disk1.vmdk</path>"
expect 0 undefine web13
# ESX takes IDE disks, so the OVF 1.0 file's IDE disk stays on IDE unless
# the import is asked to put it on SCSI
words="$(dirname "${BASH_SOURCE[0]}")/../data/ovf/ovf10-words.ovf"
expect 0 import "$words" --dry-run --no-images
out_has 'bus="ide"'
out_lacks 'bus ide'
expect 0 import "$words" --dry-run --no-images --disk-bus ide=scsi
out_has "bus ide mapped to scsi as asked"
out_has 'bus="scsi"'
out_lacks 'bus="ide"'

expect 0 undefine api
expect 3 state api
expect 0 start web
expect 0 undefine web
expect 0 -q list --transient
out_has "^web$"
expect 0 poweroff web
expect 3 state web
expect 0 -q list --all
out_lacks "^web$"
finish
