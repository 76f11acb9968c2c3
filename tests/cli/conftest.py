"""Shared helpers for the tests that drive the real `wmark` binary."""
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image

CORPUS = os.environ.get('WMARK_CORPUS', '')


def pytest_addoption(parser):
    parser.addoption('--wmark', default=None, help='path of the wmark binary')


@pytest.fixture(scope='session')
def wmark(request):
    path = (request.config.getoption('--wmark') or os.environ.get('WMARK_BIN')
            or os.path.join(os.environ.get('WMARK_BUILD_ROOT', ''), 'tools',
                            'wmark'))
    assert os.access(path, os.X_OK), 'wmark binary not found: %s' % path
    return path


@pytest.fixture(scope='session')
def run(wmark):
    """Runs wmark with byte-string or str arguments; returns the result."""
    def _run(*args, cwd=None, input=None, timeout=120):
        argv = [os.fsencode(wmark)] + [os.fsencode(a) for a in args]
        return subprocess.run(argv, cwd=cwd, input=input, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return _run


def corpus(*parts):
    path = os.path.join(CORPUS, *parts)
    if not os.path.exists(path):
        pytest.skip('corpus file missing: %s' % path)
    return path


def copy_corpus(dst_dir, *parts, name=None):
    src = corpus(*parts)
    dst = os.path.join(dst_dir, name or os.path.basename(src))
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    return dst


def make_image(path, size=(96, 64), seed=0, fmt=None):
    """A small picture with a gradient, so marked pixels can be told."""
    w, h = size
    img = Image.new('RGB', size)
    img.putdata([((x * 255 // w + seed * 37) % 256, y * 255 // h,
                  (seed * 91) % 256) for y in range(h) for x in range(w)])
    img.save(path, format=fmt)
    return path


def corrupt_variants():
    """Byte strings that are not decodable images, of several kinds."""
    buf = io.BytesIO()
    Image.new('RGB', (96, 64), (200, 10, 10)).save(buf, 'JPEG')
    jpeg = buf.getvalue()
    buf = io.BytesIO()
    Image.new('RGB', (96, 64), (10, 200, 10)).save(buf, 'PNG')
    png = buf.getvalue()
    return [jpeg[:len(jpeg) // 3], png[:len(png) // 2], b'',
            b'not an image at all\n' * 10, jpeg[:2] + b'\0' * 400]


def leftovers(directory):
    """Hidden or temporary files the library or wmark might leave behind."""
    found = []
    for root, dirs, files in os.walk(os.fsencode(directory)):
        for f in files:
            if f.startswith(b'.') or f.endswith(b'.tmp') or b'tmp' in f:
                found.append(os.path.join(root, f))
    return found


def decodes(path):
    with Image.open(path) as img:
        img.load()
        return img.size


_TABLE_BY_CTYPES = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
class Info(ctypes.Structure):
    _fields_ = [('size', ctypes.c_size_t), ('id', ctypes.c_int),
                ('name', ctypes.c_char_p), ('type', ctypes.c_int),
                ('min', ctypes.c_double), ('max', ctypes.c_double),
                ('default_value', ctypes.c_char_p), ('help', ctypes.c_char_p),
                ('choices', ctypes.c_char_p), ('group', ctypes.c_char_p)]
rows = []
for i in range(lib.wm_option_count()):
    info = Info()
    info.size = ctypes.sizeof(Info)
    assert lib.wm_option_describe(i, ctypes.byref(info)) == 0
    rows.append({'name': info.name.decode(),
                 'default': (info.default_value or b'').decode(),
                 'choices': (info.choices or b'').decode()})
print(json.dumps(rows))
"""


@pytest.fixture(scope='session')
def option_table(wmark):
    """The option table read through the library's public ABI with ctypes,
    in a child process: a sanitizer build of the library cannot be loaded
    into an uninstrumented Python, and then `wmark --list-options` (which
    reads the same ABI) stands in."""
    r = subprocess.run([sys.executable, '-c', _TABLE_BY_CTYPES,
                        os.environ['WMARK_LIBRARY']], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=60)
    if r.returncode == 0:
        return json.loads(r.stdout)
    out = subprocess.run([wmark, '--list-options'], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return [dict(zip(('name', 'default', 'choices'),
                     (f[0], f[2], f[5])))
            for f in (line.split('\t') for line in out.splitlines())]
