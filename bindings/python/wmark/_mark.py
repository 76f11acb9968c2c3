"""The Mark object over ``wm_mark``, and the cache of marks per options."""

from __future__ import annotations

import collections
import ctypes
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Union

from . import _lib
from ._lib import Frame, Job, check, fn
from ._options import normalize

if TYPE_CHECKING:  # numpy stays optional for text-only users
    import numpy as np

ProgressFn = Callable[[int, int], Any]
PathLike = Union[str, "os.PathLike[str]"]

# (sample size, channels) -> pixel layout
_LAYOUTS = {
    (1, 1): "GRAY8", (1, 2): "GRAYA8", (1, 3): "RGB24", (1, 4): "RGBA",
    (2, 1): "GRAY16", (2, 2): "GRAYA16", (2, 3): "RGB48", (2, 4): "RGBA64",
}
# Layouts that may be asked for explicitly, with their sample size and
# channels (the library would read past a smaller array).
_EXPLICIT = {name: key for key, name in _LAYOUTS.items()}
_EXPLICIT["RGBX"] = (1, 4)


def _channels(arr: "np.ndarray") -> int:
    if arr.ndim == 2:
        return 1
    if arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        return int(arr.shape[2])
    raise ValueError(
        f"image array of shape {arr.shape}: expected HxW, HxWx1, HxWx2, "
        "HxWx3 or HxWx4")


def _check_dtype(arr: "np.ndarray") -> None:
    if arr.dtype.kind != "u" or arr.dtype.itemsize not in (1, 2):
        raise ValueError(
            f"image array of dtype {arr.dtype}: expected uint8 or uint16")


def _addressable(arr: "np.ndarray") -> bool:
    """Whether the library can mark arr's memory as it is: pixels packed
    within rows (rows may have any stride, even negative), native byte
    order, aligned and writable."""
    c = _channels(arr)
    item = arr.dtype.itemsize
    if not (arr.flags.writeable and arr.flags.aligned
            and arr.dtype.isnative):
        return False
    if arr.shape[1] > 1 and arr.strides[1] != item * c:
        return False
    return arr.ndim == 2 or c == 1 or arr.strides[2] == item


def _orientation(value: Any) -> int:
    """An EXIF Orientation value (1-8); anything else (missing, 0, out of
    range) means the pixels are shown as stored."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def _frame(arr: "np.ndarray", layout: str, premultiplied: bool,
           orientation: int = 1) -> Frame:
    f = Frame()
    f.size = ctypes.sizeof(Frame)
    f.height, f.width = int(arr.shape[0]), int(arr.shape[1])
    f.format = _lib.PIX[layout]
    f.alpha = _lib.ALPHA_PREMULTIPLIED if premultiplied \
        else _lib.ALPHA_STRAIGHT
    f.planes[0] = arr.ctypes.data
    f.strides[0] = arr.strides[0]
    f.orientation = _orientation(orientation)
    return f


class _Progress:
    """Wraps a Python progress function for a job. An exception in it
    cancels the job and is raised again once the call returns."""

    def __init__(self, progress: Optional[ProgressFn]) -> None:
        self.progress = progress
        self.error: Optional[BaseException] = None
        self.c_fn = _lib.PROGRESS_FN(self._call) if progress else None

    def _call(self, user: Any, done: int, total: int) -> int:
        try:
            self.progress(done, total)  # type: ignore[misc]
            return 0
        except BaseException as e:  # noqa: B036 (re-raised by the caller)
            self.error = e
            return 1

    def job(self, flags: int = 0, fmt: Optional[str] = None) -> Job:
        j = Job()
        j.size = ctypes.sizeof(Job)
        if self.c_fn is not None:
            j.progress = self.c_fn
        j.flags = flags
        j.format = fmt.encode() if fmt else None
        return j

    def check(self, status: int) -> None:
        if self.error is not None:
            raise self.error
        check(status)


class Mark:
    """A configured mark: the disclosure, its style and its placement.

    Options are given once, as keyword arguments named after the option
    table (see ``wmark.OPTIONS``), and checked by the library: an unknown
    name or a bad value raises ValueError (``wmark.UnknownOptionError`` or
    ``wmark.BadValueError``) with the library's message. A Mark is
    immutable afterwards and may be used by any number of threads at once;
    it caches the rendered mark per frame size.
    """

    def __init__(self, **options: Any) -> None:
        self._handle = ctypes.c_void_p()
        check(fn.mark_new(ctypes.byref(self._handle)))
        self._free = fn.mark_free
        self.options: Tuple[Tuple[str, str], ...] = normalize(options)
        for name, text in self.options:
            status = fn.mark_set(self._handle, name.encode(),
                                 text.encode("utf-8", "surrogateescape"))
            if status:
                err = _lib.error_for(status)
                self.close()
                raise err

    def close(self) -> None:
        """Frees the C mark now (it is freed anyway when collected)."""
        if self._handle:
            self._free(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self) -> None:
        if getattr(self, "_handle", None):
            self.close()

    def __enter__(self) -> "Mark":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options)
        return f"wmark.Mark({opts})"

    def _live(self) -> ctypes.c_void_p:
        if not self._handle:
            raise ValueError("wmark.Mark: used after close()")
        return self._handle

    def get(self, name: str) -> str:
        """The current value of an option, as text."""
        buf = ctypes.create_string_buffer(4096)
        check(fn.mark_get(self._live(), name.encode(), buf, len(buf)))
        return buf.value.decode("utf-8", "surrogateescape")

    # ---- frames -------------------------------------------------------

    def apply(self, array: "np.ndarray", *, in_place: bool = False,
              time: float = 0.0, premultiplied: bool = False,
              layout: Optional[str] = None,
              orientation: int = 1) -> "np.ndarray":
        """Marks a numpy image (HxW, HxWx2, HxWx3 or HxWx4; uint8 or
        uint16, marked at the dtype's full scale) and returns it.

        With ``in_place`` the array itself is marked and returned; a
        C-contiguous (or row-strided) array is handed to the library as it
        is, others are marked through a contiguous copy written back. A
        read-only array cannot be marked in place. Otherwise a new
        C-contiguous array is returned and the input is left alone.
        ``premultiplied`` says that the alpha channel is premultiplied;
        ``layout`` overrides the pixel layout (e.g. "RGBX").
        ``orientation`` is the EXIF Orientation (1-8) with which the
        array is shown: the mark is placed and drawn upright in the shown
        picture and mapped back into the stored pixels (other values mean
        1, shown as stored).
        """
        import numpy as np

        if not isinstance(array, np.ndarray):
            raise TypeError(f"expected a numpy array, got {type(array)!r}")
        _check_dtype(array)
        shape_key = (array.dtype.itemsize, _channels(array))
        name = layout or _LAYOUTS[shape_key]
        if _EXPLICIT.get(name) != shape_key:
            raise ValueError(f"pixel layout {name!r} does not fit an array "
                             f"of shape {array.shape} and dtype "
                             f"{array.dtype}")
        if in_place and not array.flags.writeable:
            raise ValueError("read-only array: cannot mark in place "
                             "(pass in_place=False for a marked copy)")
        if in_place and _addressable(array):
            self._apply_frame(array, name, premultiplied, time,
                              orientation)
            return array
        work = np.array(array, dtype=array.dtype.newbyteorder("="),
                        order="C", copy=True)
        self._apply_frame(work, name, premultiplied, time, orientation)
        if in_place:
            array[...] = work
            return array
        return work if work.dtype == array.dtype else work.astype(
            array.dtype)

    def _apply_frame(self, arr: "np.ndarray", layout: str,
                     premultiplied: bool, time: float,
                     orientation: int = 1) -> None:
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"empty image array of shape {arr.shape}")
        frame = _frame(arr, layout, premultiplied, orientation)
        check(fn.mark_apply(self._live(), ctypes.byref(frame),
                            float(time)))

    # ---- files and memory ---------------------------------------------

    def mark_file(self, src: PathLike, dst: PathLike, *,
                  overwrite: bool = False,
                  progress: Optional[ProgressFn] = None,
                  format: Optional[str] = None) -> None:
        """Marks the image or video file ``src`` into ``dst`` (written to
        a temporary file beside it and renamed on success). ``progress``
        is called with (done, total); raising in it cancels the job."""
        p = _Progress(progress)
        job = p.job(_lib.JOB_OVERWRITE if overwrite else 0, format)
        p.check(fn.mark_file(self._live(), os.fsencode(src),
                             os.fsencode(dst), ctypes.byref(job)))

    def mark_bytes(self, data: Union[bytes, bytearray, memoryview], *,
                   format: Optional[str] = None) -> bytes:
        """Marks an encoded image held in memory; returns the encoded
        result (the input's format unless ``format`` says otherwise)."""
        buf = bytes(data) if not isinstance(data, bytes) else data
        out = ctypes.c_void_p()
        size = ctypes.c_size_t()
        job = _Progress(None).job(0, format)
        check(fn.mark_memory(self._live(), buf, len(buf), ctypes.byref(out),
                             ctypes.byref(size), ctypes.byref(job)))
        try:
            return ctypes.string_at(out, size.value)
        finally:
            fn.free(out)

    # ---- text -----------------------------------------------------------

    def disclose_text(self, message: Union[str, bytes]) -> Any:
        """Adds the disclosure to a message (see wmark.disclose_text)."""
        data = message if isinstance(message, bytes) else \
            message.encode("utf-8", "surrogatepass")
        out = ctypes.c_void_p()
        size = ctypes.c_size_t()
        check(fn.disclose_text(self._live(), data, len(data),
                               ctypes.byref(out), ctypes.byref(size)))
        try:
            result = ctypes.string_at(out, size.value)
        finally:
            fn.free(out)
        return result if isinstance(message, bytes) else result.decode()


# ---- the cache ----------------------------------------------------------

_CACHE_SIZE = 16
_cache: "collections.OrderedDict[Tuple[Tuple[str, str], ...], Mark]" = \
    collections.OrderedDict()
_cache_lock = threading.Lock()


def mark_for(options: Dict[str, Any]) -> Mark:
    """The Mark for these options, from a small LRU cache, so that repeated
    calls with the same options reuse the rendered mark. A Mark evicted
    while a thread still uses it lives on until that thread is done."""
    key = normalize(options)
    with _cache_lock:
        m = _cache.get(key)
        if m is not None:
            _cache.move_to_end(key)
            return m
    m = Mark(**dict(key))
    with _cache_lock:
        m = _cache.setdefault(key, m)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return m


def clear_cache() -> None:
    """Drops every cached Mark."""
    with _cache_lock:
        _cache.clear()
