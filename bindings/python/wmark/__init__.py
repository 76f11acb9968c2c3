"""wmark: visible AI-disclosure marks for images, video and chat text.

A thin layer over libwatermark's C ABI (through ctypes; no compiled
extension). Typical use::

    import wmark

    marked = wmark.mark_image(array)                  # numpy in, numpy out
    path = wmark.mark_file("photo.jpg", opacity=0.8)  # a new marked file
    reply = wmark.disclose_text(reply, text_format="markdown")

Every function takes the mark's options as keyword arguments named after
the library's option table (``outline_width=0.1``, ``position="top-left"``,
``size="5%"``); the reference below is generated from that table. A wrong
name or value raises ValueError with the library's message. Failures of
the library raise a ``wmark.Error`` subclass carrying ``status`` (the C
status code) and ``message``.

Marks are cached per set of options, so repeated calls with the same
options render the mark once. Calls release the GIL, so threads mark in
parallel. The library is found through the WMARK_LIBRARY environment
variable, beside this package, or on the system's library path. The
package never loads FFmpeg: the library loads its video module itself, on
the first video job. The library's warnings go to the ``wmark`` logger.
"""

from ._lib import (
    ERRORS,
    BadValueError,
    CancelledError,
    CodecError,
    CorruptError,
    Error,
    ExistsError,
    FileIOError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfMemoryError,
    TooLargeError,
    TooSmallError,
    UnknownOptionError,
    UnsupportedError,
    fn as _fn,
    library_path,
)
from . import _log  # noqa: F401  (installs the logging bridge)
from ._image import image_to_file, mark_file, mark_image, mark_video, probe
from ._mark import Mark, clear_cache
from ._options import OPTIONS, Option, reference as _reference
from ._text import disclose_chat, disclose_text

__all__ = [
    "mark_image", "mark_file", "mark_video", "image_to_file", "probe",
    "disclose_text", "disclose_chat", "Mark", "clear_cache", "OPTIONS",
    "Option", "option_reference", "library_path", "version",
    "Error", "ERRORS", "BadValueError", "CancelledError", "CodecError",
    "CorruptError", "ExistsError", "FileIOError", "InternalError",
    "InvalidArgumentError", "NotFoundError", "OutOfMemoryError",
    "TooLargeError", "TooSmallError", "UnknownOptionError",
    "UnsupportedError",
]

__version__ = "0.1.0"


def version() -> str:
    """The version of the libwatermark actually loaded."""
    return _fn.version_string().decode()


def option_reference() -> str:
    """The option reference, generated from the library's option table."""
    return _reference()


# The option reference, from the table, in the docstrings of every
# function that takes options.
for _f in (mark_image, mark_file, mark_video, image_to_file, disclose_text,
           disclose_chat, Mark):
    _f.__doc__ = (_f.__doc__ or "").rstrip() + "\n\n" + _reference()
__doc__ = (__doc__ or "") + "\n" + _reference()
del _f
