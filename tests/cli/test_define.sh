#!/usr/bin/env bash
# vmhi define/create/dumpconfig: XML and JSON input, format detection,
# malformed documents (exit 8 with line and column), conflicts (exit 9).
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

# --- define from XML
write_vm_xml "$TMP/web.xml" web
expect 0 define "$TMP/web.xml"
out_has "VM 'web' defined"
expect 0 --json list --all
json_check '[v["name"] for v in d["vms"]] == ["web"]'
json_check 'd["vms"][0]["state"] == "shutoff" and d["vms"][0]["persistent"] is True'
json_check 'd["vms"][0]["vcpus"] == 2 and d["vms"][0]["max_vcpus"] == 4'
json_check 'd["vms"][0]["memory_mib"] == 1024 and d["vms"][0]["max_memory_mib"] == 2048'

# --- define from stdin, leading blanks before the document
CHECKS=$((CHECKS + 1))
{ printf '\n   \n'; sed -e '/^<?xml/d' -e 's/<name>web</<name>web-stdin</' "$TMP/web.xml"; } |
    "$VMHI" -c "$URI" define - >"$OUT" 2>"$ERR" || fail "define - (stdin) failed"
out_has "VM 'web-stdin' defined"

# --- dumpconfig round trip: XML and JSON
expect 0 dumpconfig web --xml
out_has '<name>web</name>'
out_has 'urn:vmhi:vm:1'
expect 0 dumpconfig web
out_has '<vm'
expect 0 dumpconfig web --json
json_check 'isinstance(d, dict)'
cp "$OUT" "$TMP/web.json"
expect 2 dumpconfig web --json --xml

# --- define from JSON: web's description under a new name and without its UUID
python3 - "$TMP/web.json" "$TMP/api.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def rename(o):
    if isinstance(o, dict):
        for k in list(o):
            if k == "uuid":
                del o[k]
            elif k == "name" and o[k] == "web":
                o[k] = "api"
            else:
                rename(o[k])
    elif isinstance(o, list):
        for x in o:
            rename(x)
rename(doc)
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
expect 0 define "$TMP/api.json"
out_has "VM 'api' defined"
expect 0 --json info api
json_check 'd["name"] == "api" and d["vcpus"] == 2 and d["memory_mib"] == 1024'
# Defining a description with an existing VM's UUID and name updates it.
expect 0 dumpconfig api --json
cp "$OUT" "$TMP/api-full.json"
expect 0 --json define "$TMP/api-full.json"
json_check 'd["action"] == "define" and d["name"] == "api" and d["state"] == "shutoff"'

# --- malformed XML: exit 8, the message names line and column
cat >"$TMP/bad.xml" <<'XML'
<vm xmlns="urn:vmhi:vm:1">
  <name>bad</name>
  <vcpus max="4">2</vcpus
</vm>
XML
expect 8 define "$TMP/bad.xml"
err_has '^vmhi: error: '
err_has 'line [0-9]'
err_has 'column [0-9]'
err_has 'bad.xml'
expect 8 --json define "$TMP/bad.xml"
json_check 'd["error"]["exit_code"] == 8 and d["error"]["line"] >= 3'

# --- valid XML that breaks the schema: still exit 8
cat >"$TMP/schema.xml" <<'XML'
<vm xmlns="urn:vmhi:vm:1">
  <name>schema</name>
  <colour>blue</colour>
</vm>
XML
expect 8 define "$TMP/schema.xml"
err_has 'line [0-9]'

# --- malformed JSON: exit 8
printf '{ "name": "broken", \n  "vcpus": [\n' >"$TMP/bad.json"
expect 8 define "$TMP/bad.json"
err_has '^vmhi: error: '

# --- neither XML nor JSON; empty; missing file
echo "name = web" >"$TMP/ini.txt"
expect 8 define "$TMP/ini.txt"
err_has "expected XML"
: >"$TMP/empty.xml"
expect 8 define "$TMP/empty.xml"
err_has "empty document"
expect 8 define "$TMP/does-not-exist.xml"
err_has "cannot open"

# --- the name is taken by another VM: exit 9
sed 's/<name>web</<name>api</' "$TMP/web.xml" >"$TMP/clash.xml"
expect 9 define "$TMP/clash.xml"
err_has '^vmhi: error: '

# --- create: a transient VM, running at once
write_vm_xml "$TMP/tmp.xml" scratch
expect 0 create "$TMP/tmp.xml"
out_has "VM 'scratch' created and started"
expect 0 --json info scratch
json_check 'd["persistent"] is False and d["state"] == "running"'
expect 0 poweroff scratch
expect 3 info scratch

# --- usage errors
expect 2 define
err_has "missing argument"
expect 2 define a.xml b.xml
expect 2 define --bogus "$TMP/web.xml"
err_has "unknown option"

finish
