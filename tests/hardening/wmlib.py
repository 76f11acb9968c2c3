"""A minimal ctypes view of libwatermark for the hardening tests, usable
from the test process and from the child processes that run under
resource limits (python3 wmlib.py mark IN OUT [name=value...])."""
import ctypes
import json
import os
import sys

STATUS = {0: 'OK', 1: 'INVALID_ARGUMENT', 2: 'NO_MEMORY', 3: 'IO',
          4: 'UNSUPPORTED', 5: 'CORRUPT', 6: 'TOO_LARGE',
          7: 'UNKNOWN_OPTION', 8: 'BAD_VALUE', 9: 'NOT_FOUND',
          10: 'CANCELLED', 11: 'CODEC', 12: 'TOO_SMALL', 13: 'EXISTS',
          14: 'INTERNAL'}


class Job(ctypes.Structure):
    _fields_ = [('size', ctypes.c_size_t), ('progress', ctypes.c_void_p),
                ('user', ctypes.c_void_p), ('flags', ctypes.c_uint),
                ('format', ctypes.c_char_p)]


_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(os.environ['WMARK_LIBRARY'])
        _lib.wm_last_error.restype = ctypes.c_char_p
        for name in ('wm_mark_file', 'wm_mark_memory'):
            if not hasattr(_lib, name):
                raise RuntimeError(name + ' is not part of this library')
    return _lib


def mark_file(src, dst, options=(), overwrite=False):
    """Marks src into dst; returns (status name, message)."""
    wm = lib()
    m = ctypes.c_void_p()
    assert wm.wm_mark_new(ctypes.byref(m)) == 0
    try:
        for opt in options:
            s = wm.wm_mark_set(m, opt.encode(), None)
            assert s == 0, wm.wm_last_error().decode()
        job = Job(ctypes.sizeof(Job), None, None, 1 if overwrite else 0,
                  None)
        s = wm.wm_mark_file(m, os.fsencode(src), os.fsencode(dst),
                            ctypes.byref(job))
        return STATUS.get(s, str(s)), wm.wm_last_error().decode(
            errors='replace')
    finally:
        wm.wm_mark_free(m)


if __name__ == '__main__':
    if len(sys.argv) >= 4 and sys.argv[1] == 'mark':
        status, message = mark_file(sys.argv[2], sys.argv[3], sys.argv[4:])
        print(json.dumps({'status': status, 'message': message}))
        sys.exit(0)
    sys.exit('usage: wmlib.py mark IN OUT [name=value...]')
