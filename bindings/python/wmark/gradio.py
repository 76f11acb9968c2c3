"""Disclosures for what Gradio event handlers return.

This module imports nothing from gradio, so it works with any version of
it (and without it). The one-line use::

    import wmark.gradio

    @wmark.gradio.disclose(text="AI-generated")
    def generate(prompt):
        return pipeline(prompt).images[0]      # a PIL image

What a handler returns is walked through:

- images (numpy arrays, PIL images, encoded bytes) are marked. Gradio
  re-encodes returned arrays and PIL images through Pillow, which drops the
  disclosure this library writes into the file's metadata, so by default
  they are returned as paths of marked files (PNG unless the ``format``
  option says otherwise), which Gradio serves as they are. Pass
  ``return_paths=False`` to get arrays and PIL images back instead.
- paths of image and video files (str, os.PathLike, or ``{"path": ...}``
  file dicts) are marked into new files whose paths are returned. Files
  that already carry this library's disclosure are left alone.
- text, single chat messages and chat histories (role/content messages or
  ``[user, assistant]`` pairs) get the text disclosure once, at the end,
  on the last assistant message (see wmark.disclose_chat).
- tuples (several outputs), lists (galleries) and Gradio update dicts
  (``{"__type__": "update", "value": ...}``) are walked into.

Handlers that stream (generators and async generators) have every
yielded image marked as it comes; text and histories pass through
unchanged while they grow, and once the handler is done one more update
is yielded with the final message disclosed, exactly once. Async handlers
do the marking in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import pathlib
import sys
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar

from ._image import image_to_file, mark_file, mark_image, mark_video, probe
from ._lib import Error
from ._mark import mark_for
from ._text import _with_content, disclose_chat, disclose_text, is_history

__all__ = ["disclose", "mark_output", "disclose_message", "disclose_history",
           "image_path", "IMAGE_SUFFIXES", "VIDEO_SUFFIXES"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".mkv", ".m4v",
                            ".avi"})

F = TypeVar("F", bound=Callable[..., Any])


def image_path(image: Any, **options: Any) -> str:
    """Marks an array, PIL image, bytes or image path into a new file that
    carries the disclosure in its metadata, and returns its path."""
    return image_to_file(image, **options)


def disclose_message(message: Any, **options: Any) -> Any:
    """Discloses one message: a str, or a role/content dict."""
    return _Walker(options, True, ("assistant",)).walk(message, False, True)


def disclose_history(history: list, *, roles: Sequence[str] = ("assistant",),
                     **options: Any) -> list:
    """Discloses a chat history once at the end (wmark.disclose_chat)."""
    return disclose_chat(history, roles=roles, **options)


def mark_output(value: Any, *, return_paths: bool = True,
                roles: Sequence[str] = ("assistant",),
                **options: Any) -> Any:
    """Marks and discloses everything in a handler's return value, as the
    disclose decorator does for a handler that returns once."""
    return _Walker(options, return_paths, tuple(roles)).walk(value, True,
                                                             True)


def _media_suffix(s: str) -> Optional[str]:
    if "\n" in s or len(s) > 4096:
        return None
    suffix = pathlib.PurePath(s).suffix.lower()
    if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
        return suffix if os.path.isfile(s) else None
    return None


class _Walker:
    """One handler call's walk through return values. Files marked once
    are remembered, so a streaming handler that yields the same file again
    does not pay twice."""

    def __init__(self, options: Dict[str, Any], return_paths: bool,
                 roles: Sequence[str], texts: bool = True) -> None:
        self.options = options
        self.return_paths = return_paths
        self.roles = tuple(roles)
        self.texts = texts
        self.files: Dict[str, str] = {}
        self.changed = False

    # ---- media ----------------------------------------------------------

    def _file(self, path: str, suffix: str) -> str:
        if path in self.files:
            return self.files[path]
        try:
            already = probe(path)["has_disclosure"]
        except Error:
            already = False
        if already:
            out = path
        elif suffix in VIDEO_SUFFIXES:
            out = mark_video(path, **self.options)
        else:
            out = mark_file(path, **self.options)
        self.files[path] = out
        self.files[out] = out
        return out

    def _image(self, value: Any) -> Any:
        if self.return_paths:
            return image_to_file(value, **self.options)
        return mark_image(value, **self.options)

    # ---- the walk -------------------------------------------------------

    def walk(self, value: Any, media: bool, text: bool,
             top: bool = True) -> Any:
        out = self._walk(value, media, text, top)
        if out is not value:
            self.changed = True
        return out

    def _walk(self, value: Any, media: bool, text: bool, top: bool) -> Any:
        if value is None:
            return None
        if _is_image(value):
            return self._image(value) if media else value
        if isinstance(value, (str, os.PathLike)):
            return self._path_or_text(value, media, text)
        if isinstance(value, dict):
            return self._dict(value, media, text)
        if isinstance(value, list):
            return self._list(value, media, text)
        if isinstance(value, tuple):
            return self._tuple(value, media, text, top)
        if _is_message(value):
            return self._message(value, media, text)
        return value

    def _path_or_text(self, value: Any, media: bool, text: bool) -> Any:
        s = os.fsdecode(value)
        suffix = _media_suffix(s)
        if suffix is not None:
            if not media:
                return value
            out = self._file(s, suffix)
            if out == s:
                return value
            return pathlib.Path(out) if isinstance(value, os.PathLike) \
                else out
        if isinstance(value, str) and text and self.texts:
            out = disclose_text(value, **self.options)
            return value if out == value else out
        return value

    def _dict(self, value: dict, media: bool, text: bool) -> dict:
        if value.get("__type__") == "update" and "value" in value:
            new = self.walk(value["value"], media, text, False)
            return value if new is value["value"] else {**value,
                                                        "value": new}
        if "role" in value:
            return self._message(value, media, text)
        if isinstance(value.get("path"), str):
            new = self._path_or_text(value["path"], media, False)
            if new is value["path"]:
                return value
            # A "url" would still point at the unmarked file.
            return {k: v for k, v in value.items() if k != "url"} | {
                "path": new}
        return value

    def _message(self, msg: Any, media: bool, text: bool) -> Any:
        history = self._history([msg], media, text)
        return history[0] if len(history) == 1 else history

    def _list(self, value: list, media: bool, text: bool) -> list:
        if is_history(value):
            return self._history(value, media, text)
        new = [self._gallery_item(v, media, text) for v in value]
        if all(a is b for a, b in zip(new, value)):
            return value
        return new

    def _gallery_item(self, v: Any, media: bool, text: bool) -> Any:
        # (image, caption): the caption is not a message to disclose.
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], str):
            first = self.walk(v[0], media, False, False)
            return v if first is v[0] else (first, v[1])
        return self.walk(v, media, text, False)

    def _tuple(self, value: tuple, media: bool, text: bool,
               top: bool) -> tuple:
        if not top:
            return self._gallery_item(value, media, text)
        new = tuple(self.walk(v, media, text, False) for v in value)
        if all(a is b for a, b in zip(new, value)):
            return value
        return new

    def _history(self, history: list, media: bool, text: bool) -> list:
        out = history
        if media:
            out = [self._history_files(m) for m in history]
            if all(a is b for a, b in zip(out, history)):
                out = history
        if text:
            new = disclose_chat(out, roles=self.roles, **self.options)
            if len(new) != len(out) or any(a is not b
                                            for a, b in zip(new, out)):
                out = new
        return out

    def _history_files(self, m: Any) -> Any:
        """Marks the files inside a message or [user, assistant] pair."""
        if isinstance(m, dict) and "role" in m or _is_message(m):
            content = _content(m)
            new = self._content_files(content)
            if new is content:
                return m
            return _with_content(m, new)
        if isinstance(m, (list, tuple)) and len(m) == 2:
            bot = self._content_files(m[1])
            return m if bot is m[1] else type(m)((m[0], bot))
        return m

    def _content_files(self, content: Any) -> Any:
        if isinstance(content, dict) and isinstance(content.get("path"),
                                                    str):
            return self._dict(content, True, False)
        if isinstance(content, tuple) and content and isinstance(
                content[0], (str, os.PathLike)):
            first = self._path_or_text(content[0], True, False)
            return content if first is content[0] else \
                (first,) + content[1:]
        if _is_image(content):
            return self._image(content)
        return content


def _is_image(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return True
    image_mod = sys.modules.get("PIL.Image")
    if image_mod is not None and isinstance(value, image_mod.Image):
        return True
    # Encoded PNG, JPEG or WebP; other bytes are not ours to touch.
    return isinstance(value, (bytes, bytearray)) and (
        value[:8] == b"\x89PNG\r\n\x1a\n" or value[:3] == b"\xff\xd8\xff"
        or (value[:4] == b"RIFF" and value[8:12] == b"WEBP"))


def _is_message(value: Any) -> bool:
    return hasattr(value, "role") and hasattr(value, "content")


def _content(m: Any) -> Any:
    return m.get("content") if isinstance(m, dict) else getattr(
        m, "content", None)


# ---- the decorator ------------------------------------------------------


def disclose(fn: Optional[F] = None, *, return_paths: bool = True,
             roles: Sequence[str] = ("assistant",), texts: bool = True,
             **options: Any) -> Any:
    """Decorates a Gradio event handler so that what it returns is marked
    and disclosed (see the module's documentation). Usable bare
    (``@disclose``) or with options (``@disclose(text="AI-generated",
    position="top-left")``); the options are checked when the decorator is
    applied. ``texts=False`` leaves plain str outputs (status lines, seeds)
    alone; messages and chat histories are still disclosed. The wrapper is
    of the handler's own kind (function, coroutine function, generator or
    async generator function), so Gradio streams exactly as it would
    without it, and it keeps the handler's signature.
    """
    mark_for(options)  # a bad option fails here, not at the first request

    def decorate(handler: F) -> F:
        return _wrap(handler, options, return_paths, tuple(roles), texts)

    return decorate(fn) if fn is not None else decorate


def _wrap(handler: Callable[..., Any], options: Dict[str, Any],
          return_paths: bool, roles: Sequence[str], texts: bool) -> Any:
    def walker() -> _Walker:
        return _Walker(options, return_paths, roles, texts)

    if inspect.isasyncgenfunction(handler):
        @functools.wraps(handler)
        async def agen(*args: Any, **kwargs: Any) -> Any:
            w = walker()
            loop = asyncio.get_running_loop()
            last, seen = None, False
            async for item in handler(*args, **kwargs):
                last = await loop.run_in_executor(None, w.walk, item, True,
                                                  False)
                seen = True
                yield last
            if seen:
                w.changed = False
                final = await loop.run_in_executor(None, w.walk, last,
                                                   False, True)
                if w.changed:
                    yield final
        return agen

    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def gen(*args: Any, **kwargs: Any) -> Any:
            w = walker()
            last, seen = None, False
            for item in handler(*args, **kwargs):
                last = w.walk(item, True, False)
                seen = True
                yield last
            if seen:
                w.changed = False
                final = w.walk(last, False, True)
                if w.changed:
                    yield final
        return gen

    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def coro(*args: Any, **kwargs: Any) -> Any:
            result = await handler(*args, **kwargs)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, walker().walk, result,
                                              True, True)
        return coro

    @functools.wraps(handler)
    def plain(*args: Any, **kwargs: Any) -> Any:
        return walker().walk(handler(*args, **kwargs), True, True)
    return plain
