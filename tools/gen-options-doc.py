#!/usr/bin/env python3
"""Writes the README's option reference from the library's option table.

usage: gen-options-doc.py [--library LIB | --wmark WMARK] [--check | --write]
                          [README]

The table is read through the public ABI: by loading libwatermark.so with
ctypes and calling wm_option_count()/wm_option_describe() (default; LIB
defaults to $WMARK_LIBRARY), or by running `wmark --list-options`. Without
--check or --write the generated section is printed. --check exits 1 with
a diff when README.md's section differs; --write replaces it.
"""
import argparse
import ctypes
import difflib
import os
import subprocess
import sys

START = '<!-- section: options'
END = '<!-- end: options -->'
TYPES = {1: 'bool', 2: 'int', 3: 'number', 4: 'string', 5: 'color',
         6: 'enum', 7: 'length'}
TYPE_NAMES = {'bool': 'bool', 'int': 'int', 'double': 'number',
              'string': 'string', 'color': 'color', 'enum': 'enum',
              'length': 'length'}


class Info(ctypes.Structure):
    _fields_ = [('size', ctypes.c_size_t), ('id', ctypes.c_int),
                ('name', ctypes.c_char_p), ('type', ctypes.c_int),
                ('min', ctypes.c_double), ('max', ctypes.c_double),
                ('default_value', ctypes.c_char_p), ('help', ctypes.c_char_p),
                ('choices', ctypes.c_char_p), ('group', ctypes.c_char_p)]


def text(b):
    return b.decode() if b else ''


def from_library(path):
    lib = ctypes.CDLL(path)
    lib.wm_option_describe.argtypes = [ctypes.c_int, ctypes.POINTER(Info)]
    rows = []
    for i in range(lib.wm_option_count()):
        info = Info()
        info.size = ctypes.sizeof(Info)
        if lib.wm_option_describe(i, ctypes.byref(info)) != 0:
            sys.exit('wm_option_describe(%d) failed' % i)
        rows.append({'name': text(info.name), 'type': TYPES[info.type],
                     'min': info.min, 'max': info.max,
                     'default': text(info.default_value),
                     'help': text(info.help), 'choices': text(info.choices),
                     'group': text(info.group)})
    return rows


def from_wmark(path):
    out = subprocess.run([path, '--list-options'], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    rows = []
    for line in out.splitlines():
        name, typ, default, lo, hi, choices, group, help_ = line.split('\t')
        rows.append({'name': name, 'type': TYPE_NAMES[typ], 'min': float(lo),
                     'max': float(hi), 'default': default, 'help': help_,
                     'choices': choices, 'group': group})
    return rows


def number(v):
    return ('%d' % v) if v == int(v) and abs(v) < 1e15 else '%g' % v


def values(row):
    if row['type'] == 'enum':
        return ', '.join('`%s`' % c for c in row['choices'].split('|'))
    if row['type'] in ('int', 'number'):
        return '%s to %s' % (number(row['min']), number(row['max']))
    if row['type'] == 'length':
        return 'px or %%, %s to %s' % (number(row['min']),
                                       number(row['max']))
    if row['type'] == 'color':
        return '`#rrggbb[aa]`, name'
    if row['type'] == 'bool':
        return '`true`, `false`'
    return ''


def cell(s):
    return s.replace('|', '\\|')


def generate(rows):
    out = ['Every mark option, generated from the library\'s option table '
           'by', '`tools/gen-options-doc.py` (a test checks that this section '
           'matches). Each', 'option is a `wmark` flag (`--outline-width`), a '
           'Python keyword', '(`outline_width`) and a name for '
           '`wm_mark_set(mark, "outline-width", "0.1")`.', '']
    groups = []
    for row in rows:
        if row['group'] not in groups:
            groups.append(row['group'])
    for group in groups:
        out += ['### %s' % (group or 'other'), '',
                '| Option | Type | Default | Values | Description |',
                '| --- | --- | --- | --- | --- |']
        for row in rows:
            if row['group'] != group:
                continue
            default = '`%s`' % row['default'] if row['default'] else '(empty)'
            out.append('| `%s` | %s | %s | %s | %s |' % (
                row['name'], row['type'], cell(default), cell(values(row)),
                cell(row['help'])))
        out.append('')
    return '\n'.join(out)


def split_readme(readme):
    start = readme.index(START)
    body = readme.index('\n', start) + 1
    end = readme.index(END, body)
    return readme[:body], readme[body:end], readme[end:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--library', default=os.environ.get('WMARK_LIBRARY'))
    ap.add_argument('--wmark')
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument('--check', action='store_true')
    mode.add_argument('--write', action='store_true')
    ap.add_argument('readme', nargs='?', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'README.md'))
    args = ap.parse_args()
    if args.wmark:
        rows = from_wmark(args.wmark)
    elif args.library:
        rows = from_library(args.library)
    else:
        sys.exit('give --library (or set WMARK_LIBRARY) or --wmark')
    generated = generate(rows)
    if not args.check and not args.write:
        print(generated, end='')
        return 0
    with open(args.readme, encoding='utf-8') as f:
        head, current, tail = split_readme(f.read())
    if args.write:
        with open(args.readme, 'w', encoding='utf-8') as f:
            f.write(head + generated + tail)
        return 0
    if current != generated:
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(True), generated.splitlines(True),
            'README.md (options section)', 'generated'))
        print('\nThe option reference is out of date; run '
              'tools/gen-options-doc.py --write', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
