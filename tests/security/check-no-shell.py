#!/usr/bin/env python3
"""security.no-shell (issue #11): the library, its backends and the CLI
start processes only with an argv array and an absolute program path
(execve), never through a shell and never by a PATH search: no system(),
popen(), exec*p*(), posix_spawnp(), wordexp() and no "/bin/sh" or "sh -c"
in their C sources.  Comments are ignored; strings are not.

    check-no-shell.py <source-root>
"""
import pathlib
import re
import sys

DIRS = ('lib', 'backends', 'tools')
FORBIDDEN = [
    (re.compile(r'\bsystem\s*\('), 'system() runs a shell'),
    (re.compile(r'\bpopen\s*\('), 'popen() runs a shell'),
    (re.compile(r'\bexec(?:lp|vp|vpe)\s*\('), 'exec*p() searches $PATH'),
    (re.compile(r'\bexecl\s*\('), 'execl(): use execve() with an argv array'),
    (re.compile(r'\bposix_spawnp\s*\('), 'posix_spawnp() searches $PATH'),
    (re.compile(r'\bwordexp\s*\('), 'wordexp() expands like a shell'),
    (re.compile(r'"/bin/(?:ba|da)?sh"'), 'a shell as the program'),
    (re.compile(r'"(?:ba|da)?sh"\s*,\s*"-c"|"-c"\s*,'), 'a command line for "sh -c"'),
]
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def strip_comments(text):
    # Keep line numbers: a comment becomes as many newlines as it had.
    return COMMENT.sub(lambda m: '\n' * m.group(0).count('\n'), text)


def main():
    root = pathlib.Path(sys.argv[1])
    found, checked = [], 0
    for d in DIRS:
        for path in sorted((root / d).rglob('*.[ch]')):
            checked += 1
            code = strip_comments(path.read_text(errors='replace'))
            for number, line in enumerate(code.splitlines(), 1):
                for pattern, why in FORBIDDEN:
                    if pattern.search(line):
                        found.append(f'{path.relative_to(root)}:{number}: {why}: {line.strip()}')
    for f in found:
        print(f)
    print(f'{checked} files checked, {len(found)} problems')
    return 1 if found or checked == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
