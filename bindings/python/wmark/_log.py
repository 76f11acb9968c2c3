"""The library's messages, through Python's ``logging``.

libwatermark reports warnings (a glyph that no installed font can draw, a
mark shrunk below a legible size, an encoder substituted) through one
process-wide callback. Importing ``wmark`` installs a callback that hands
each message to the ``wmark`` logger, so applications see them the way they
see every other library's: ``logging.basicConfig()`` or a handler on
``logging.getLogger("wmark")``. Like other libraries, the package adds only
a ``NullHandler``: nothing is printed unless the application configures
logging.

FFmpeg and SVT-AV1 print to stderr unless told otherwise, and both read
that from the environment. Unless the application set them first, import
sets ``WMARK_FFMPEG_LOG=1`` (FFmpeg's messages go to the ``wmark`` logger,
prefixed ``ffmpeg:``) and ``SVT_LOG=1`` (SVT-AV1 prints errors only). It
does so at import, before the package starts any thread.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os

from ._lib import lib

logger = logging.getLogger("wmark")
logger.addHandler(logging.NullHandler())

# wm_log_level values, pinned in watermark.h.
_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO,
           3: logging.DEBUG}

_LogFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int,
                          ctypes.c_char_p)


def _forward(user: int, level: int, message: bytes) -> None:
    # An exception cannot cross back into C; a broken handler must not
    # break marking.
    try:
        text = message.decode("utf-8", "replace") if message else ""
        logger.log(_LEVELS.get(level, logging.WARNING), "%s", text)
    except Exception:  # noqa: BLE001
        pass


# Kept for the life of the process: the library holds its address.
_callback = _LogFn(_forward)


def _install() -> None:
    setter = getattr(lib, "wm_set_log_callback", None)
    if setter is None:
        return
    setter.restype = None
    setter.argtypes = [_LogFn, ctypes.c_void_p]
    os.environ.setdefault("WMARK_FFMPEG_LOG", "1")
    os.environ.setdefault("SVT_LOG", "1")
    setter(_callback, None)
    # A thread of the library may still log while the interpreter shuts
    # down; from then on its messages are dropped rather than sent to a
    # half-finalised interpreter.
    atexit.register(setter, _LogFn(), None)


_install()
