#!/usr/bin/env python3
# VMHI - Virtual Machine Hypervisor Interface
# SPDX-License-Identifier: Apache-2.0
"""Self-test of the requirement parser: good documents parse, and every
kind of broken document is refused with a message naming the line."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reqlib  # noqa: E402

GOOD = """\
# Title

## 3. Conformance language

Words like MUST are allowed here.

    - **<ID>** (<Profile>, <LEVEL>): examples in code blocks are skipped

## 6.8 vmhi_vm_start

- **VM**: a term, not a requirement.
- **LC-START-1** (Core, MUST): start from shutoff MUST leave it running.
- **LC-START-2** (Lifecycle-Full, SHOULD): it SHOULD NOT take long.
- **ABI-1** (Library, MUST): the SONAME MUST stay. [verified_by: abi.exports, unit.test_module#test_abi_zero]
- **ABI-2** (Library, MAY): it MAY grow. [verified_by: none]

See LC-START-1..2 and ABI-1/2.
"""


def parse(text):
    return reqlib.parse(text, "doc.md")


def broken(line):
    """GOOD with one more line in section 6.8."""
    return GOOD.replace("\nSee ", "\n" + line + "\nSee ")


class ParseTest(unittest.TestCase):
    def test_good_document(self):
        reqs = parse(GOOD)
        self.assertEqual([r["id"] for r in reqs], ["LC-START-1", "LC-START-2", "ABI-1", "ABI-2"])
        self.assertEqual(reqs[0], {"id": "LC-START-1", "profile": "Core", "level": "MUST",
                                   "summary": "start from shutoff MUST leave it running.",
                                   "section": "6.8 vmhi_vm_start"})
        self.assertEqual(reqs[2]["verified_by"], ["abi.exports", "unit.test_module#test_abi_zero"])
        self.assertEqual(reqs[3]["verified_by"], [])

    def test_deterministic(self):
        self.assertEqual(parse(GOOD), parse(GOOD))

    def assert_refused(self, text, *fragments):
        with self.assertRaises(reqlib.SpecError) as cm:
            parse(text)
        for fragment in fragments:
            self.assertIn(fragment, str(cm.exception))

    def test_duplicate_id(self):
        self.assert_refused(broken("- **LC-START-1** (Core, MUST): again MUST."),
                            "duplicate requirement ID LC-START-1", "doc.md:")

    def test_malformed_lines(self):
        for line in ("- **LC-START-3** (Core MUST): no comma MUST.",
                     "- **LC-START-3**(Core, MUST): no space MUST.",
                     "- **LC-START-3** (Core, MUST):",
                     "* **LC-START-3** (Core, MUST): wrong bullet MUST."):
            with self.subTest(line=line):
                self.assert_refused(broken(line), "LC-START-3" if "Core MUST" not in line
                                    else "malformed")

    def test_id_outside_bullet(self):
        self.assert_refused(broken("**LC-START-3** (Core, MUST): not a bullet MUST."),
                            "outside a requirement bullet")

    def test_unknown_profile_level_area(self):
        self.assert_refused(broken("- **LC-START-3** (Gold, MUST): x MUST."), "unknown profile")
        self.assert_refused(broken("- **LC-START-3** (Core, SHALL): x SHALL."), "unknown level")
        self.assert_refused(broken("- **FOO-1** (Core, MUST): x MUST."), "unknown ID area")
        self.assert_refused(broken("- **LC-START-0** (Core, MUST): x MUST."), "malformed")

    def test_level_must_match_statement(self):
        self.assert_refused(broken("- **LC-START-3** (Core, MUST): it should."),
                            "does not say MUST")
        self.assert_refused(broken("- **LC-START-3** (Core, MUST): x MUST and MAY."),
                            "also uses MAY")

    def test_library_needs_verified_by(self):
        self.assert_refused(broken("- **ABI-3** (Library, MUST): x MUST."), "verified_by")
        self.assert_refused(broken("- **LC-START-3** (Core, MUST): x MUST. [verified_by: a.b]"),
                            "only Library")
        self.assert_refused(broken("- **ABI-3** (Library, MUST): x MUST. [verified_by: Bad]"),
                            "not a test name")

    def test_keyword_outside_requirement(self):
        self.assert_refused(broken("Backends MUST do this."), "outside a requirement line")
        parse(broken("Backends `MUST` in code is fine."))

    def test_dangling_reference(self):
        self.assert_refused(broken("See LC-START-9."), "LC-START-9")
        self.assert_refused(broken("See ABI-1..7."), "ABI-7")

    def test_unterminated_fence(self):
        self.assert_refused(GOOD + "```\n", "unterminated")


if __name__ == "__main__":
    unittest.main(verbosity=1)
