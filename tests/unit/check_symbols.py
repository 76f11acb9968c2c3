#!/usr/bin/env python3
"""Compares the dynamic symbols a shared library exports with a list.

usage: check_symbols.py LIBRARY SYMBOLS.txt
Fails when a symbol is exported that is not listed (an accidental ABI
addition or a leaked internal), or listed but missing (an ABI break), or
when any exported symbol lacks the wm_ prefix.
"""
import subprocess
import sys


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in 'TDBRVWiu':
            names.add(parts[2].split('@')[0])
    return names


def main():
    lib, listing = sys.argv[1:3]
    want = {l.strip() for l in open(listing) if l.strip() and not l.startswith('#')}
    have = exported(lib)
    bad = sorted(n for n in have if not n.startswith('wm_') or n.startswith('wm__'))
    extra = sorted(have - want)
    missing = sorted(want - have)
    for n in bad:
        print('exported without the public wm_ prefix:', n)
    for n in extra:
        print('exported but not in symbols.txt:', n)
    for n in missing:
        print('in symbols.txt but not exported:', n)
    if bad or extra or missing:
        return 1
    print('%d exported symbols match symbols.txt' % len(have))
    return 0


if __name__ == '__main__':
    sys.exit(main())
