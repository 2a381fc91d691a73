#!/usr/bin/env python3
"""Compares the struct and enum layouts of two libabigail ABI files.

A struct of the baseline must still exist with every member at the same
offset, with the same name and type; it may only grow at its end.  An enum
must keep every enumerator with the same value; it may gain new ones.
Prints what grew (allowed) and exits 1 on any incompatible change.

    check-layout.py <baseline.abi> <current.abi> [<normalized.abi>]

With a third argument, writes a copy of current.abi in which the members
appended to structs since the baseline are removed again (and the struct
sizes restored), so that abidiff can then require everything else to be
identical: the allowed growth is taken out, nothing else is hidden.
"""
import sys
import xml.etree.ElementTree as ET


class Corpus:
    """The types of one ABI file, indexed by id and by name."""

    def __init__(self, path):
        self.tree = ET.parse(path)
        root = self.tree.getroot()
        self.by_id = {}
        self.structs = {}
        self.enums = {}
        for elem in root.iter():
            type_id = elem.get("id")
            if type_id:
                self.by_id.setdefault(type_id, elem)
            name = elem.get("name")
            if not name or elem.get("is-declaration-only") == "yes":
                continue
            if elem.tag in ("class-decl", "union-decl"):
                self.structs.setdefault(name, elem)
            elif elem.tag == "enum-decl":
                self.enums.setdefault(name, elem)

    def type_name(self, type_id, depth=0):
        """A readable, id-independent spelling of a type."""
        elem = self.by_id.get(type_id)
        if elem is None or depth > 20:
            return type_id or "?"
        tag = elem.tag
        inner = lambda: self.type_name(elem.get("type-id"), depth + 1)
        if tag == "pointer-type-def":
            return inner() + "*"
        if tag == "qualified-type-def":
            quals = [q for q in ("const", "volatile", "restrict") if elem.get(q) == "yes"]
            return " ".join(quals + [inner()])
        if tag == "array-type-def":
            dims = "".join("[%s]" % s.get("length", "") for s in elem.iter("subrange"))
            return inner() + dims
        if tag == "function-type":
            params = [self.type_name(p.get("type-id"), depth + 1)
                      for p in elem.findall("parameter")]
            if any(p.get("is-variadic") == "yes" for p in elem.findall("parameter")):
                params.append("...")
            ret = elem.find("return")
            ret_name = self.type_name(ret.get("type-id"), depth + 1) if ret is not None else "?"
            return "%s(%s)" % (ret_name, ", ".join(params))
        if tag == "typedef-decl":
            # A typedef of a function pointer is spelled out, so that a
            # changed callback signature shows; others by name.
            underlying = inner()
            if "(" in underlying:
                return "%s=%s" % (elem.get("name"), underlying)
            return elem.get("name")
        return elem.get("name") or tag


def members(corpus, struct):
    """(offset, name, type) of each data member, in order."""
    out = []
    for member in struct.findall("data-member"):
        var = member.find("var-decl")
        out.append((int(member.get("layout-offset-in-bits", "0")), var.get("name"),
                    corpus.type_name(var.get("type-id"))))
    return out


def compare_structs(old, new, problems, notes, grown):
    for name, old_struct in sorted(old.structs.items()):
        new_struct = new.structs.get(name)
        if new_struct is None:
            problems.append("struct %s: removed (or no longer complete)" % name)
            continue
        old_members, new_members = members(old, old_struct), members(new, new_struct)
        for index, (offset, member, mtype) in enumerate(old_members):
            if index >= len(new_members):
                problems.append("struct %s: member '%s' removed" % (name, member))
                continue
            if new_members[index] != (offset, member, mtype):
                problems.append("struct %s: member %d was '%s %s' at bit %d, is '%s %s' at bit %d"
                                % (name, index, mtype, member, offset, new_members[index][2],
                                   new_members[index][1], new_members[index][0]))
        old_size = int(old_struct.get("size-in-bits", "0"))
        new_size = int(new_struct.get("size-in-bits", "0"))
        if new_size < old_size:
            problems.append("struct %s: shrank from %d to %d bits" % (name, old_size, new_size))
        elif len(new_members) > len(old_members):
            added = ", ".join(m[1] for m in new_members[len(old_members):])
            notes.append("struct %s: grew at its end (%s)" % (name, added))
            grown[name] = (len(old_members), old_struct.get("size-in-bits"))


def write_normalized(new, grown, path):
    """current.abi with the appended members of each grown struct removed."""
    for name, (keep, old_size) in grown.items():
        struct = new.structs[name]
        for member in struct.findall("data-member")[keep:]:
            struct.remove(member)
        struct.set("size-in-bits", old_size)
    new.tree.write(path, encoding="utf-8", xml_declaration=False)


def compare_enums(old, new, problems, notes):
    for name, old_enum in sorted(old.enums.items()):
        new_enum = new.enums.get(name)
        if new_enum is None:
            problems.append("enum %s: removed" % name)
            continue
        old_values = {e.get("name"): e.get("value") for e in old_enum.iter("enumerator")}
        new_values = {e.get("name"): e.get("value") for e in new_enum.iter("enumerator")}
        for key, value in sorted(old_values.items()):
            if new_values.get(key) != value:
                problems.append("enum %s: %s was %s, is %s" % (name, key, value,
                                                               new_values.get(key, "removed")))
        for key in sorted(set(new_values) - set(old_values)):
            notes.append("enum %s: new enumerator %s = %s" % (name, key, new_values[key]))


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    old, new = Corpus(argv[1]), Corpus(argv[2])
    problems, notes, grown = [], [], {}
    compare_structs(old, new, problems, notes, grown)
    compare_enums(old, new, problems, notes)
    if len(argv) == 4:
        write_normalized(new, grown, argv[3])
    for note in notes:
        print("allowed addition: " + note)
    for problem in problems:
        print("INCOMPATIBLE: " + problem, file=sys.stderr)
    print("check-layout: %d structs, %d enums compared, %d incompatible change(s)"
          % (len(old.structs), len(old.enums), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
