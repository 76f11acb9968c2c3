#!/usr/bin/python3
"""Cross-compiles the frame layer (lib/core and the allocation and status
parts of lib/util) with the NEON kernels and their bit-exactness check for
AArch64, and runs it under qemu-user. Exits 77 (skipped) when the cross
compiler or the emulator is missing."""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    src = os.environ['WMARK_SOURCE_ROOT']
    cc = shutil.which('aarch64-linux-gnu-gcc')
    qemu = shutil.which('qemu-aarch64-static') or shutil.which('qemu-aarch64')
    if not cc or not qemu:
        print('skipped: needs aarch64-linux-gnu-gcc and qemu-aarch64-static')
        return 77
    lib = os.path.join(src, 'lib')
    sources = [os.path.join(src, 'tests', 'core', 'neon_cross.c')]
    sources += [os.path.join(lib, 'core', name) for name in (
        'color.c', 'dispatch.c', 'format.c', 'kernels_scalar.c',
        'kernels_neon.c', 'layer.c')]
    sources += [os.path.join(lib, 'util', name)
                for name in ('alloc.c', 'status.c')]
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, 'neon-cross')
        cmd = [cc, '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror',
               '-D_GNU_SOURCE', '-DWM_HAVE_NEON', '-static',
               '-I', os.path.join(src, 'include'), '-I', lib,
               '-I', os.path.join(src, 'tests', 'core')] + sources + [
               '-o', exe, '-lm', '-lpthread']
        print(' '.join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        env = dict(os.environ)
        env.pop('WMARK_CPU', None)
        run = subprocess.run([qemu, exe], check=False, env=env)
        return run.returncode


if __name__ == '__main__':
    sys.exit(main())
