"""Loading libwatermark and declaring its C ABI for ctypes.

Only the public header (watermark.h) is mirrored here. The structures copy
its layouts member for member; every one starts with its own ``size``.

The library is a ``ctypes.CDLL``: ctypes releases the GIL around every
foreign call made through a CDLL (unlike ``PyDLL``), so marking runs in
parallel with other Python threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any, Dict, List, Optional

__all__ = [
    "lib",
    "library_path",
    "Frame",
    "Job",
    "OptionInfo",
    "MediaInfo",
    "check",
    "Error",
    "ERRORS",
]

# ---- errors -----------------------------------------------------------------


class Error(Exception):
    """A failure reported by libwatermark.

    ``status`` is the C ``wm_status`` code and ``message`` the library's
    detail message (naming the input and the cause).
    """

    status: int = 0

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(Error, ValueError):
    status = 1


class OutOfMemoryError(Error, MemoryError):
    status = 2


class FileIOError(Error, OSError):
    status = 3


class UnsupportedError(Error):
    status = 4


class CorruptError(Error):
    status = 5


class TooLargeError(Error):
    status = 6


class UnknownOptionError(Error, ValueError):
    status = 7


class BadValueError(Error, ValueError):
    status = 8


class NotFoundError(Error, FileNotFoundError):
    status = 9


class CancelledError(Error):
    status = 10


class CodecError(Error):
    status = 11


class TooSmallError(Error):
    status = 12


class ExistsError(Error, FileExistsError):
    status = 13


class InternalError(Error):
    status = 14


ERRORS: Dict[int, type] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        OutOfMemoryError,
        FileIOError,
        UnsupportedError,
        CorruptError,
        TooLargeError,
        UnknownOptionError,
        BadValueError,
        NotFoundError,
        CancelledError,
        CodecError,
        TooSmallError,
        ExistsError,
        InternalError,
    )
}

# ---- structures (mirrors of watermark.h) ------------------------------------

_enum = ctypes.c_int  # C enums of this ABI are int-sized


class Frame(ctypes.Structure):
    """``wm_frame``: a caller-owned frame marked in place."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("format", _enum),
        ("matrix", _enum),
        ("range", _enum),
        ("alpha", _enum),
        ("planes", ctypes.c_void_p * 4),
        ("strides", ctypes.c_ssize_t * 4),  # ptrdiff_t
        ("orientation", _enum),
        ("transfer", _enum),
        ("sar_num", ctypes.c_int),
        ("sar_den", ctypes.c_int),
    ]


PROGRESS_FN = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64
)


class Job(ctypes.Structure):
    """``wm_job``: per-call settings of file and memory jobs."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("progress", PROGRESS_FN),
        ("user", ctypes.c_void_p),
        ("flags", ctypes.c_uint),
        ("format", ctypes.c_char_p),
    ]


class OptionInfo(ctypes.Structure):
    """``wm_option_info``: one row of the option table."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("id", _enum),
        ("name", ctypes.c_char_p),
        ("type", _enum),
        ("min", ctypes.c_double),
        ("max", ctypes.c_double),
        ("default_value", ctypes.c_char_p),
        ("help", ctypes.c_char_p),
        ("choices", ctypes.c_char_p),
        ("group", ctypes.c_char_p),
    ]


class MediaInfo(ctypes.Structure):
    """``wm_media_info``: what wm_probe_file found."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("kind", _enum),
        ("format", ctypes.c_char * 16),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("orientation", _enum),
        ("bit_depth", ctypes.c_int),
        ("color_space", ctypes.c_char * 64),
        ("has_alpha", ctypes.c_int),
        ("has_disclosure", ctypes.c_int),
        ("source_type", ctypes.c_char * 96),
        ("duration", ctypes.c_double),
        ("frames", ctypes.c_int64),
    ]


# Pixel layouts, frame flags and job flags used by the binding.
PIX = {
    "RGBA": 1, "RGBX": 5, "RGB24": 7, "GRAY8": 9, "GRAYA8": 10,
    "GRAY16": 19, "RGB48": 20, "RGBA64": 21, "GRAYA16": 22,
}
ALPHA_STRAIGHT = 0
ALPHA_PREMULTIPLIED = 1
JOB_OVERWRITE = 0x1
JOB_IN_PLACE = 0x2
MEDIA_IMAGE = 1
MEDIA_VIDEO = 2

# ---- loading ----------------------------------------------------------------

_SONAME = "libwatermark.so.0"


def _candidates() -> List[str]:
    """Where to look, in order: the environment, beside this package, the
    system's library path."""
    found = []
    env = os.environ.get("WMARK_LIBRARY")
    if env:
        found.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, os.path.dirname(here)):
        for name in (_SONAME, "libwatermark.so", "libwatermark.dylib",
                     "watermark.dll"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                found.append(path)
    system = ctypes.util.find_library("watermark")
    if system:
        found.append(system)
    found.append(_SONAME)
    try:
        from ._build_config import LIBDIR
    except ImportError:  # used from the source tree
        LIBDIR = ""
    if LIBDIR:
        found.append(os.path.join(LIBDIR, _SONAME))
    return found


def _load() -> "tuple[ctypes.CDLL, str]":
    tried = []
    env = os.environ.get("WMARK_LIBRARY")
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path}: {e}")
            if env and path == env:
                # An explicit choice that fails is an error, not a hint.
                break
    raise ImportError(
        "wmark: cannot load libwatermark (set WMARK_LIBRARY to the path of "
        "libwatermark.so.0, install it beside the wmark package, or install "
        "it on the system library path); tried:\n  " + "\n  ".join(tried)
    )


lib, library_path = _load()

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_c_void_pp = ctypes.POINTER(ctypes.c_void_p)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_mark_p = ctypes.c_void_p

_PROTOTYPES: Dict[str, Any] = {
    "wm_version": (ctypes.c_uint, []),
    "wm_version_string": (ctypes.c_char_p, []),
    "wm_status_string": (ctypes.c_char_p, [_enum]),
    "wm_last_error": (ctypes.c_char_p, []),
    "wm_free": (None, [ctypes.c_void_p]),
    "wm_option_count": (ctypes.c_int, []),
    "wm_option_describe": (_enum, [ctypes.c_int,
                                   ctypes.POINTER(OptionInfo)]),
    "wm_option_find": (_enum, [ctypes.c_char_p, ctypes.POINTER(_enum)]),
    "wm_mark_new": (_enum, [ctypes.POINTER(_mark_p)]),
    "wm_mark_free": (None, [_mark_p]),
    "wm_mark_set": (_enum, [_mark_p, ctypes.c_char_p, ctypes.c_char_p]),
    "wm_mark_get": (_enum, [_mark_p, ctypes.c_char_p, ctypes.c_char_p,
                            ctypes.c_size_t]),
    "wm_mark_apply": (_enum, [_mark_p, ctypes.POINTER(Frame),
                              ctypes.c_double]),
    "wm_mark_file": (_enum, [_mark_p, ctypes.c_char_p, ctypes.c_char_p,
                             ctypes.POINTER(Job)]),
    "wm_mark_memory": (_enum, [_mark_p, ctypes.c_void_p, ctypes.c_size_t,
                               _c_void_pp, _c_size_p, ctypes.POINTER(Job)]),
    "wm_probe_file": (_enum, [ctypes.c_char_p, ctypes.POINTER(MediaInfo)]),
    "wm_disclose_text": (_enum, [_mark_p, ctypes.c_char_p, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_void_p), _c_size_p]),
}


class _Missing:
    """Stands for a function this build of the library does not export, so
    that the rest keeps working and the call fails with a clear error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any) -> Any:
        raise UnsupportedError(
            f"{self.name}: not exported by {library_path}")


class _Functions:
    pass


fn = _Functions()
for _name, (_res, _args) in _PROTOTYPES.items():
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        setattr(fn, _name[3:], _Missing(_name))
        continue
    _f.restype = _res
    _f.argtypes = _args
    setattr(fn, _name[3:], _f)


def last_error() -> str:
    """The calling thread's last detail message from the library."""
    msg = fn.last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def status_string(status: int) -> str:
    s = fn.status_string(status)
    return s.decode() if s else f"status {status}"


def error_for(status: int, message: Optional[str] = None) -> Error:
    """The exception for a failed call; reads the thread's message now."""
    if message is None:
        message = last_error() or status_string(status)
    cls = ERRORS.get(status, Error)
    err = cls(message)
    # Set afterwards: OSError subclasses read a second positional argument
    # as a strerror.
    err.status = status
    return err


def check(status: int) -> None:
    """Raises the matching wmark.Error subclass for a non-zero status. Must
    run on the thread that made the call (the message is per thread)."""
    if status != 0:
        raise error_for(status)


def pythonapi_flagged() -> bool:
    """Whether the library's calls would hold the GIL (a PyDLL would)."""
    return bool(lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI)
