"""mark_image, mark_file and mark_video: every kind of input Python apps
hand around (numpy arrays, PIL images, encoded bytes, file paths)."""

from __future__ import annotations

import atexit
import os
import pathlib
import sys
import tempfile
import threading
from typing import Any, Optional

from . import _lib
from ._lib import Error, UnsupportedError
from ._mark import Mark, PathLike, ProgressFn, mark_for

# PIL modes marked directly: mode -> (pixel layout, premultiplied alpha).
# The 16-bit layouts are chosen from the array's dtype.
_PIL_DIRECT = {
    "L": (None, False), "LA": (None, False), "RGB": (None, False),
    "RGBA": (None, False), "RGBX": ("RGBX", False), "RGBa": (None, True),
    "La": (None, True), "I;16": (None, False), "I;16L": (None, False),
    "I;16B": (None, False), "I;16N": (None, False),
}

# PIL modes marked through a conversion: mode -> working mode. Only the
# pixels that the mark changes are converted back, so the rest of the
# picture stays bit for bit as it was.
_PIL_CONVERTED = {
    "1": "L", "CMYK": "RGB", "YCbCr": "RGB", "HSV": "RGB", "F": "L",
    "I": "I;16",
}

# Output suffix per value of the "format" option.
_SUFFIXES = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "mp4": ".mp4",
             "mov": ".mov", "mkv": ".mkv", "webm": ".webm"}

_tmp_lock = threading.Lock()
_tmp_dir: Optional[str] = None


def _private_dir() -> str:
    """A directory of this process under the system temporary directory
    (mode 0700), made on first use and made again if something removed
    it. It is removed at exit if empty; outputs in it are the caller's."""
    global _tmp_dir
    with _tmp_lock:
        if _tmp_dir is None or not os.path.isdir(_tmp_dir):
            _tmp_dir = tempfile.mkdtemp(prefix="wmark-")
            atexit.register(_remove_if_empty, _tmp_dir)
        return _tmp_dir


def _remove_if_empty(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def temp_output(stem: str, suffix: str) -> str:
    """A new, unique, empty file for an output: no two calls (in any
    thread or process) get the same name, and never in the working
    directory."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_"
                   for c in stem)[:64] or "output"
    fd, path = tempfile.mkstemp(prefix=stem + "-marked-", suffix=suffix,
                                dir=_private_dir())
    os.close(fd)
    return path


def _suffix_for(src: PathLike, options: dict) -> str:
    fmt = options.get("format")
    if fmt is not None and str(fmt).lower() in _SUFFIXES:
        return _SUFFIXES[str(fmt).lower()]
    return pathlib.PurePath(os.fsdecode(src)).suffix.lower()


def _same_kind(src: Any, path: str) -> Any:
    return pathlib.Path(path) if isinstance(src, pathlib.PurePath) else path


def _mark_path(src: PathLike, dst: Optional[PathLike], overwrite: bool,
               progress: Optional[ProgressFn], options: dict) -> str:
    mark = mark_for(options)
    if dst is None:
        stem = pathlib.PurePath(os.fsdecode(src)).stem
        out = temp_output(stem, _suffix_for(src, options))
        try:
            # The empty placeholder reserves the name; the library
            # replaces it atomically.
            mark.mark_file(src, out, overwrite=True, progress=progress)
        except BaseException:
            os.unlink(out)
            raise
        return out
    out = os.fsdecode(dst)
    if os.path.isdir(out):
        out = os.path.join(out, os.path.basename(os.fsdecode(src)))
    mark.mark_file(src, out, overwrite=overwrite, progress=progress)
    return out


def mark_file(src: PathLike, dst: Optional[PathLike] = None, *,
              overwrite: bool = False, progress: Optional[ProgressFn] = None,
              **options: Any) -> Any:
    """Marks an image or video file and returns the output's path.

    ``dst`` is the output file (or a directory to write into, keeping the
    name). Without it the output goes to a new, uniquely named file in a
    private directory under the system's temporary directory, never into
    the working directory; the caller removes it when done. An existing
    ``dst`` is only replaced with ``overwrite=True``. ``progress(done,
    total)`` is called as the work advances; raising in it cancels the job.
    The path is returned as a ``pathlib.Path`` when ``src`` is one, else a
    ``str``.
    """
    return _same_kind(src, _mark_path(src, dst, overwrite, progress,
                                      options))


def mark_video(src: PathLike, dst: Optional[PathLike] = None, *,
               overwrite: bool = False, progress: Optional[ProgressFn] = None,
               **options: Any) -> Any:
    """Marks a video file and returns the output's path (see mark_file for
    ``dst``, ``overwrite`` and ``progress``). Raises
    ``wmark.UnsupportedError`` for a file that is not a video."""
    _require_video(src)
    return _same_kind(src, _mark_path(src, dst, overwrite, progress,
                                      options))


def probe(path: PathLike) -> dict:
    """What a media file is, from its headers: kind ("image"/"video"),
    format, width, height, orientation, bit_depth, color_space, has_alpha,
    has_disclosure, source_type, duration and frames."""
    import ctypes

    info = _lib.MediaInfo()
    info.size = ctypes.sizeof(_lib.MediaInfo)
    _lib.check(_lib.fn.probe_file(os.fsencode(path), ctypes.byref(info)))
    kinds = {_lib.MEDIA_IMAGE: "image", _lib.MEDIA_VIDEO: "video"}
    return {
        "kind": kinds.get(info.kind, "unknown"),
        "format": info.format.decode(), "width": info.width,
        "height": info.height, "orientation": info.orientation,
        "bit_depth": info.bit_depth,
        "color_space": info.color_space.decode("utf-8", "replace"),
        "has_alpha": bool(info.has_alpha),
        "has_disclosure": bool(info.has_disclosure),
        "source_type": info.source_type.decode("utf-8", "replace"),
        "duration": info.duration, "frames": info.frames,
    }


def _require_video(src: PathLike) -> None:
    try:
        kind = probe(src)["kind"]
    except Error:
        return  # marking reports the cause with its own message
    if kind != "video":
        raise UnsupportedError(f"{os.fsdecode(src)}: not a video ({kind})")


# ---- PIL ----------------------------------------------------------------


def _is_pil(obj: Any) -> bool:
    image_mod = sys.modules.get("PIL.Image")
    return image_mod is not None and isinstance(obj, image_mod.Image)


_EXIF_ORIENTATION = 0x0112


def _pil_orientation(img: Any) -> int:
    """The EXIF Orientation the image is shown with (1 when it has none
    or its EXIF cannot be read: the pixels are then marked as stored)."""
    try:
        value = img.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a damaged EXIF block must not stop the marking
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pil_direct(img: Any, mark: Mark, in_place: bool,
                orientation: int) -> Any:
    import numpy as np
    from PIL import Image

    layout, premultiplied = _PIL_DIRECT[img.mode]
    arr = np.array(img)  # a fresh, writable, C-contiguous copy
    mark.apply(arr, in_place=True, premultiplied=premultiplied,
               layout=layout, orientation=orientation)
    if in_place:
        img.frombytes(arr.tobytes())
        return img
    out = Image.fromarray(arr, img.mode)
    out.info = dict(img.info)
    return out


def _pil_int32(img: Any, mark: Mark, orientation: int) -> Any:
    """Mode I: marked at 16 bits (values clipped to 0..65535 for the
    working copy only)."""
    import numpy as np
    from PIL import Image

    orig = np.asarray(img)
    work = np.clip(orig, 0, 65535).astype(np.uint16)
    marked = mark.apply(work, orientation=orientation)
    changed = marked != work
    return Image.fromarray(np.where(changed, marked.astype(orig.dtype),
                                    orig), "I")


def _pil_converted(img: Any, mark: Mark, in_place: bool,
                   orientation: int) -> Any:
    import numpy as np
    from PIL import Image

    if img.mode == "I":
        back = _pil_int32(img, mark, orientation)
        target = img if in_place else img.copy()
        target.paste(back)
        return target
    work = np.array(img.convert(_PIL_CONVERTED[img.mode]))
    marked = mark.apply(work, orientation=orientation)
    changed = marked != work
    if changed.ndim == 3:
        changed = changed.any(axis=2)
    mask = Image.fromarray(changed.astype(np.uint8) * 255, "L")
    back = Image.fromarray(marked)
    back = back.convert(img.mode, dither=Image.Dither.NONE) \
        if img.mode == "1" else back.convert(img.mode)
    target = img if in_place else img.copy()
    target.paste(back, (0, 0), mask)
    return target


def _pil_palette(img: Any, mark: Mark, orientation: int) -> Any:
    """P and PA: a palette cannot hold the mark's anti-aliased edges, so
    the result is RGBA when the image has transparency, else RGB."""
    transparent = img.mode == "PA" or "transparency" in img.info or (
        img.palette is not None and img.palette.mode == "RGBA")
    work = img.convert("RGBA" if transparent else "RGB")
    return _pil_direct(work, mark, True, orientation)


def mark_pil(img: Any, mark: Mark, in_place: bool) -> Any:
    """Marks a PIL image where it is seen: a JPEG, WebP or TIFF whose
    EXIF Orientation turns or mirrors it for display gets the mark at
    the shown corner and upright, in the stored pixels (the EXIF, and
    so the turn on display, is kept)."""
    img.load()
    orientation = _pil_orientation(img)
    if img.mode in _PIL_DIRECT:
        return _pil_direct(img, mark, in_place, orientation)
    if img.mode in _PIL_CONVERTED:
        return _pil_converted(img, mark, in_place, orientation)
    if img.mode in ("P", "PA"):
        if in_place:
            raise ValueError(f"PIL image of mode {img.mode}: cannot be "
                             "marked in place (the result is RGB or RGBA)")
        return _pil_palette(img, mark, orientation)
    raise UnsupportedError(f"PIL image of mode {img.mode}: not supported "
                           "(convert it to RGB or RGBA first)")


# ---- dispatch -----------------------------------------------------------

ImageLike = Any  # numpy array, PIL image, bytes, str or os.PathLike


def mark_image(image: ImageLike, *, in_place: bool = False,
               **options: Any) -> ImageLike:
    """Marks an image and returns the same kind of thing.

    - numpy array (HxW, HxWx2, HxWx3 or HxWx4; uint8 or uint16, marked at
      the dtype's full scale): a new C-contiguous array, or with
      ``in_place=True`` the array itself. Non-contiguous, negative-strided
      and read-only arrays give the same pixels as a contiguous copy would
      (read-only ones only with ``in_place=False``).
    - PIL image: a new image (or, with ``in_place=True``, the image
      itself) of the same mode. L, LA, RGB, RGBA, RGBX, RGBa, La and I;16
      are marked directly. 1, CMYK, YCbCr, HSV, F and I are marked on an
      L, RGB or 16-bit copy and only the pixels the mark touches are
      converted back. P and PA come back as RGBA when they have
      transparency, else RGB (a palette cannot hold anti-aliased edges).
      ``img.info`` is kept. An EXIF Orientation (``img.getexif()``) is
      honoured: the mark lands at the corner where the image is shown and
      reads upright there, while the pixels stay stored as they were.
    - bytes, bytearray or memoryview of an encoded image: the encoded,
      marked image (bytes; bytearray for a bytearray), with the
      disclosure in its metadata.
    - a path (str or os.PathLike): the path of a new marked file, as
      mark_file(image) gives.
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(image, numpy.ndarray):
        return mark_for(options).apply(image, in_place=in_place)
    if _is_pil(image):
        return mark_pil(image, mark_for(options), in_place)
    if isinstance(image, (bytes, bytearray, memoryview)):
        out = mark_for(options).mark_bytes(image)
        return bytearray(out) if isinstance(image, bytearray) else out
    if isinstance(image, (str, os.PathLike)):
        return mark_file(image, **options)
    raise TypeError(f"mark_image: cannot mark a {type(image).__name__} "
                    "(expected a numpy array, PIL image, bytes or path)")


def image_to_file(image: ImageLike, *, dst: Optional[PathLike] = None,
                  **options: Any) -> str:
    """Marks a numpy array, PIL image, bytes or path and writes the result
    to a file carrying the disclosure in its metadata; returns the path.
    Arrays and PIL images are encoded as PNG (lossless) unless the
    "format" option names another format; a PIL image with an EXIF
    Orientation is written turned as it is shown."""
    if isinstance(image, (str, os.PathLike)):
        return os.fsdecode(mark_file(image, dst, **options))
    data = _encode(image)
    marked = mark_for(options).mark_bytes(data)
    fmt = str(options.get("format") or "png").lower()
    out = os.fsdecode(dst) if dst is not None else temp_output(
        "image", _SUFFIXES.get(fmt, ".png"))
    with open(out, "wb") as f:
        f.write(marked)
    return out


def _encode(image: Any) -> bytes:
    """An array or PIL image as PNG bytes (unmarked; marking follows)."""
    import io

    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    from PIL import Image

    if not _is_pil(image):
        image = Image.fromarray(_as_pil_array(image))
    image = _upright(image)
    if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "P", "I;16", "I"):
        image = image.convert("RGBA" if "A" in image.mode or "a" in
                              image.mode else "RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _upright(image: Any) -> Any:
    """The image turned as its EXIF Orientation shows it. The PNG written
    from it carries no EXIF, so it must hold the pixels as shown (and the
    mark is then placed on the shown picture)."""
    from PIL import Image

    turns = {2: Image.Transpose.FLIP_LEFT_RIGHT,
             3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM,
             5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
             7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
    turn = turns.get(_pil_orientation(image))
    return image if turn is None else image.transpose(turn)


def _as_pil_array(arr: Any) -> Any:
    import numpy as np

    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype == np.uint16 and arr.ndim == 3:
        # Pillow has no 16-bit colour mode: PNG through 8 bits.
        arr = (arr >> 8).astype(np.uint8)
    return np.ascontiguousarray(arr)
