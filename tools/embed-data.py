#!/usr/bin/env python3
"""Turns a binary file into a C source defining a const byte array.

usage: embed-data.py INPUT OUTPUT SYMBOL
Defines `const unsigned char SYMBOL[]` and `const size_t SYMBOL_size`.
"""
import sys


def main():
    src, dst, name = sys.argv[1:4]
    with open(src, 'rb') as f:
        data = f.read()
    lines = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        lines.append(''.join('%d,' % b for b in chunk))
    with open(dst, 'w') as out:
        out.write('/* Generated from %s by embed-data.py. */\n' % src.split('/')[-1])
        out.write('#include <stddef.h>\n')
        out.write('extern const unsigned char %s[];\n' % name)
        out.write('extern const size_t %s_size;\n' % name)
        out.write('const unsigned char %s[] = {\n' % name)
        out.write('\n'.join(lines))
        out.write('\n};\n')
        out.write('const size_t %s_size = %d;\n' % (name, len(data)))


if __name__ == '__main__':
    main()
