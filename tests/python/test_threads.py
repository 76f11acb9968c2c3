"""Threads: calls drop the GIL, and many threads sharing one mark (and one
font) get exactly what a serial run gets."""

import concurrent.futures
import ctypes
import os
import threading
import time

import numpy as np
import pytest

import wmark
from conftest import picture
from wmark import _lib


def test_gil_released_during_a_call():
    # One long C call in a worker; the main thread must keep running
    # Python code while that call is in progress.
    data = (b"x" * 1023 + b"\n") * (96 * 1024)
    mark = wmark.Mark()
    span = {}

    def worker():
        out, size = ctypes.c_void_p(), ctypes.c_size_t()
        span["start"] = time.perf_counter()
        status = _lib.fn.disclose_text(mark._handle, data, len(data),
                                       ctypes.byref(out), ctypes.byref(size))
        span["end"] = time.perf_counter()
        _lib.fn.free(out)
        span["status"] = status

    ticks = []
    t = threading.Thread(target=worker)
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.0005)
    t.join()
    assert span["status"] == 0
    duration = span["end"] - span["start"]
    if duration < 0.04:
        pytest.skip(f"call too short to observe ({duration:.3f} s)")
    inside = [x for x in ticks
              if span["start"] + 0.01 < x < span["end"] - 0.01]
    assert len(inside) >= 3, (duration, len(ticks))


def font_path():
    root = os.environ.get("WMARK_SOURCE_ROOT", "")
    path = os.path.join(root, "fonts", "DejaVuSans-Bold.ttf")
    return path if os.path.exists(path) else ""


def inputs():
    sizes = [(240, 320), (300, 400), (480, 360), (256, 256)]
    return [picture(*sizes[i % 4], 3 + (i % 2), seed=i) for i in range(16)]


OPTIONS = dict(text="AI-generated • KI-generiert", size="7%", box=True,
               opacity=0.9)


def test_threads_sharing_one_mark_match_serial():
    serial_mark = wmark.Mark(font=font_path(), **OPTIONS)
    imgs = inputs()
    serial = [serial_mark.apply(a) for a in imgs]

    # A fresh mark, so that the first renderings race as well.
    shared = wmark.Mark(font=font_path(), **OPTIONS)
    barrier = threading.Barrier(8)

    def job(i):
        if i < 8:
            barrier.wait()
        return i, shared.apply(imgs[i % len(imgs)])

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(job, range(64)))
    for i, out in results:
        np.testing.assert_array_equal(out, serial[i % len(imgs)])


def test_threads_through_the_cache_match_serial():
    imgs = inputs()
    serial = [wmark.mark_image(a, position="top") for a in imgs]
    wmark.clear_cache()
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        par = list(ex.map(lambda a: wmark.mark_image(a, position="top"),
                          imgs * 3))
    for i, out in enumerate(par):
        np.testing.assert_array_equal(out, serial[i % len(imgs)])


def test_text_in_threads():
    msgs = [f"answer {i} " * (i + 1) for i in range(50)]
    serial = [wmark.disclose_text(m, text_format="html") for m in msgs]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        par = list(ex.map(lambda m: wmark.disclose_text(
            m, text_format="html"), msgs))
    assert par == serial


def test_errors_stay_with_their_thread():
    # The library's message is per thread; each thread's exception names
    # its own input.
    def bad(i):
        try:
            wmark.disclose_text(b"ok" * i + b"\xff")
        except wmark.BadValueError as e:
            return str(e)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        msgs = list(ex.map(bad, range(40)))
    assert msgs == [f"message: invalid UTF-8 at byte {2 * i}"
                    for i in range(40)]
