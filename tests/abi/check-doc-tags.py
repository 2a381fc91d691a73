#!/usr/bin/env python3
"""ABI-12: every public function's Doxygen comment names the error codes it
returns, carries @since, and - for calls on a VM - says in which states the
call is valid.  Doxygen itself (docs.doxygen-warnings) checks that every
parameter is documented; this checks what Doxygen cannot.

    check-doc-tags.py <include-dir>
"""
import pathlib
import re
import sys

DECL = re.compile(r'/\*\*((?:(?!\*/).)*)\*/\s*VMHI_EXTERN\s+([^;]*?)\b(vmhi_\w+)\s*\(([^;]*?)\)\s*;',
                  re.S)
STATE_WORDS = ('INVALID_STATE', 'Valid when', 'valid when', 'any state', 'states',
               'when inactive', 'active')


def problems(path):
    text = path.read_text()
    for m in DECL.finditer(text):
        doc, ret, name, params = m.group(1), m.group(2).strip(), m.group(3), m.group(4)
        where = f'{path.name}: {name}'
        if '@since' not in doc:
            yield f'{where}: no @since'
        value_getter = re.search(r'@return 1 or 0', doc) is not None
        same_as = re.search(r'@return As vmhi_\w+\(\)', doc) is not None
        if ret == 'int' and not (value_getter or same_as) and not re.search(r'VMHI_OK|VMHI_E_\w+', doc):
            yield f'{where}: returns a status but names no error code'
        on_vm = re.match(r'\s*vmhi_vm\s*\*\s*\w', params) is not None
        if ret == 'int' and on_vm and not same_as and not any(w in doc for w in STATE_WORDS):
            yield f'{where}: a call on a VM that does not say in which states it is valid'


def main():
    include = pathlib.Path(sys.argv[1])
    found = [p for h in sorted(include.glob('vmhi/*.h')) for p in problems(h)]
    for p in found:
        print(p)
    checked = sum(len(DECL.findall(h.read_text())) for h in include.glob('vmhi/*.h'))
    print(f'{checked} public functions checked, {len(found)} problems')
    return 1 if found or checked == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
