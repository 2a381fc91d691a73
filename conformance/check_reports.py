#!/usr/bin/env python3
# Checks the three reports of one vmhi-conformance run (PREFIX.json,
# PREFIX.xml, PREFIX.md): each is well-formed, has what a certificate
# needs, and all three say the same thing.
#
#   check_reports.py PREFIX
# SPDX-License-Identifier: Apache-2.0

import json
import re
import sys
import xml.etree.ElementTree as ET

PROFILES = ["Core", "Lifecycle-Full", "Memory", "vCPU", "Devices", "Events", "Persistence"]
VERDICTS = {"certified", "failed", "not claimed", "not selected", "not tested"}
REQ_RESULTS = {"pass", "fail", "not-tested", "not-claimed"}
TEST_RESULTS = {"pass", "fail", "not-applicable", "not-run"}
# vmhi_value_kind names and the values VMHI 1.0 defines for each; a value
# 0 that every connection accepts is marked by DEFAULTS.
VALUE_KINDS = {
    "disk-bus": ["default", "virtio", "scsi", "sata", "ide", "xen", "pvscsi"],
    "disk-format": ["raw", "qcow2", "vmdk"],
    "disk-access": ["read-write", "read-only"],
    "nic-model": ["default", "virtio", "e1000", "vmxnet3", "rtl8139", "xen"],
    "network-kind": ["named", "user", "bridge"],
    "firmware": ["bios", "uefi"],
    "guest-type": ["default", "hvm", "pv", "pvh"],
    "boot-method": ["firmware", "kernel"],
    "shutdown-method": ["default", "acpi", "guest-agent", "pv"],
}
DEFAULTS = {"disk-bus", "nic-model", "guest-type", "shutdown-method"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def check_json(doc):
    for key in ("suite", "uri", "backend", "hypervisor", "date", "duration_seconds",
                "certified", "profiles", "requirements", "tests", "errors"):
        check(key in doc, f"JSON lacks '{key}'")
    check(doc["backend"].get("name") and doc["backend"].get("version"),
          "JSON backend name/version missing")
    check(doc["hypervisor"].get("name") and doc["hypervisor"].get("version"),
          "JSON hypervisor name/version missing")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["date"]), "JSON date not ISO 8601")
    check([p["name"] for p in doc["profiles"]] == PROFILES, "JSON profiles not the seven")
    for p in doc["profiles"]:
        check(p["verdict"] in VERDICTS, f"JSON verdict {p['verdict']!r}")
    for r in doc["requirements"]:
        check(r["result"] in REQ_RESULTS, f"JSON requirement result {r['result']!r}")
        check(r["profile"] != "Library", f"JSON lists library requirement {r['id']}")
        if r["result"] == "fail":
            check(r["message"], f"JSON failed requirement {r['id']} has no message")
    for t in doc["tests"]:
        check(t["result"] in TEST_RESULTS, f"JSON test result {t['result']!r}")
        check(t["requirements"], f"JSON test {t['name']} cites no requirement")
    caps = doc.get("value_caps")
    check(caps is not None, "JSON lacks 'value_caps'")
    if caps is not None:
        check(sorted(caps) == sorted(VALUE_KINDS), "JSON value_caps kinds: %s" % sorted(caps))
        for kind, values in caps.items():
            known = VALUE_KINDS.get(kind, [])
            check(all(v in known for v in values), f"JSON value_caps {kind}: {values}")
            check(values == [v for v in known if v in values],
                  f"JSON value_caps {kind} not in value order: {values}")
            if kind in DEFAULTS:
                check(known[0] in values, f"JSON value_caps {kind} lacks {known[0]!r}")
    selected = [p for p in doc["profiles"] if p["selected"]]
    check(doc["certified"] == (bool(selected) and not doc["errors"] and
                               all(p["verdict"] == "certified" for p in selected)),
          "JSON 'certified' disagrees with the verdicts")


def check_junit(doc, root):
    check(root.tag == "testsuites", "JUnit root is not <testsuites>")
    cases = root.findall("./testsuite/testcase")
    check(len(cases) == len(doc["tests"]) + 1, "JUnit has %d testcases for %d tests" %
          (len(cases), len(doc["tests"])))
    failed = {t["name"] for t in doc["tests"] if t["result"] == "fail"}
    junit_failed = {c.get("name") for c in cases if c.find("failure") is not None}
    junit_failed.discard("foreign-vms-untouched-and-cleanup")
    check(failed == junit_failed, "JUnit failures differ from JSON: %s vs %s" %
          (sorted(junit_failed), sorted(failed)))
    verdicts = {}
    for suite in root.findall("./testsuite"):
        for prop in suite.findall("./properties/property"):
            if prop.get("name") == "verdict":
                verdicts[suite.get("name")] = prop.get("value")
    for p in doc["profiles"]:
        check(verdicts.get(p["name"]) == p["verdict"],
              f"JUnit verdict of {p['name']} differs from JSON")
    run = root.find("./testsuite[@name='run']")
    props = {} if run is None else {
        q.get("name"): q.get("value") for q in run.findall("./properties/property")}
    for kind, values in (doc.get("value_caps") or {}).items():
        got = props.get("value_caps." + kind)
        check(got is not None and got.split() == values,
              f"JUnit value_caps.{kind} {got!r} differs from JSON {values}")


def check_markdown(doc, text):
    check(text.startswith("# VMHI conformance report"), "Markdown title missing")
    check(("**CERTIFIED**" if doc["certified"] else "**NOT CERTIFIED**") in text,
          "Markdown result differs from JSON")
    for p in doc["profiles"]:
        check(re.search(r"^\| %s \| \*\*%s\*\* \|" % (re.escape(p["name"]),
                                                      re.escape(p["verdict"])), text, re.M),
              f"Markdown verdict of {p['name']} differs from JSON")
    for r in doc["requirements"]:
        check(re.search(r"^\| %s \| [^|]+ \| [^|]+ \| %s \|" % (re.escape(r["id"]), r["result"]),
                        text, re.M), f"Markdown result of {r['id']} differs from JSON")
    for kind, values in (doc.get("value_caps") or {}).items():
        check(re.search(r"^\| %s \| %s \|$" % (re.escape(kind), re.escape(", ".join(values))),
                        text, re.M), f"Markdown accepted values of {kind} differ from JSON")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_reports.py REPORT-PREFIX")
    prefix = sys.argv[1]
    with open(prefix + ".json") as f:
        doc = json.load(f)
    check_json(doc)
    check_junit(doc, ET.parse(prefix + ".xml").getroot())
    with open(prefix + ".md") as f:
        check_markdown(doc, f.read())
    for line in failures:
        print("FAIL:", line)
    print("%d tests, %d requirements, %d problems" %
          (len(doc["tests"]), len(doc["requirements"]), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
