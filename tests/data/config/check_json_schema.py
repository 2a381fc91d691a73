#!/usr/bin/env python3
# Checks spec/vmhi-vm.schema.json against the sample documents: the JSON
# form of every good document (good/*.json, golden files that
# tests/unit/test_config_codec.c compares the library's output with) must
# be valid, and every bad document whose fault a JSON Schema can express
# must be invalid.  Exits 77 (skipped) when python3-jsonschema is missing.
# Usage: check_json_schema.py [SOURCE_DIR]
# SPDX-License-Identifier: Apache-2.0
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed; skipping")
    sys.exit(77)

# Bad documents the schema alone must reject (the others break rules a
# schema cannot state: syntax, repeated members, duplicates, current > max).
SCHEMA_REJECTS = [
    "unknown-member.json", "bad-format.json", "wrong-type.json", "overflow.json",
    "missing-path.json", "version.json", "not-object.json", "vcpus-zero.json",
    "name-dotdot.json", "unicode-column.json",
    "boot-cdrom.json", "initrd-without-kernel.json", "kernel-unknown-member.json",
    "cmdline-control.json", "target-invalid.json", "metadata-bad-key.json",
    "metadata-not-string.json", "metadata-too-many.json",
]

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[3])
schema = json.loads((root / "spec/vmhi-vm.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
data = root / "tests/data/config"
failures = 0

for path in sorted((data / "good").glob("*.json")):
    errors = list(validator.iter_errors(json.loads(path.read_text())))
    if errors:
        failures += 1
        print(f"FAIL {path.name}: {errors[0].message}")
    else:
        print(f"ok   {path.name} is valid")

for name in SCHEMA_REJECTS:
    if validator.is_valid(json.loads((data / "bad" / name).read_text())):
        failures += 1
        print(f"FAIL bad/{name} is valid")
    else:
        print(f"ok   bad/{name} is invalid")

sys.exit(1 if failures else 0)
