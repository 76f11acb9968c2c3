"""Thousands of calls do not grow the process's memory."""

import io
import os

import numpy as np
import pytest
from PIL import Image

import wmark
from conftest import picture, rss_kib

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("WMARK_SANITIZED")),
    reason="sanitizer runtimes keep freed memory; RSS says nothing here")


def grows_kib(call, warmup=200, count=3000):
    for _ in range(warmup):
        call()
    before = rss_kib()
    for _ in range(count):
        call()
    return rss_kib() - before


def test_arrays_do_not_leak():
    a = picture(128, 160, 3)
    assert grows_kib(lambda: wmark.mark_image(a)) < 2048


def test_in_place_and_pil_do_not_leak():
    a = picture(128, 160, 4)
    img = Image.fromarray(picture(128, 160, 3))
    assert grows_kib(lambda: wmark.mark_image(a, in_place=True)) < 2048
    assert grows_kib(lambda: wmark.mark_image(img), count=1500) < 2048


def test_text_does_not_leak():
    msg = "A fairly long answer. " * 50
    hist = [{"role": "user", "content": "q"},
            {"role": "assistant", "content": msg}]
    assert grows_kib(lambda: wmark.disclose_text(msg)) < 1024
    assert grows_kib(lambda: wmark.disclose_chat(hist)) < 1024


def test_errors_do_not_leak():
    def bad():
        try:
            wmark.disclose_text(b"\xff")
        except wmark.BadValueError:
            pass
    assert grows_kib(bad) < 1024


def test_bytes_do_not_leak():
    buf = io.BytesIO()
    Image.fromarray(picture(96, 128, 3)).save(buf, "PNG")
    data = buf.getvalue()
    assert grows_kib(lambda: wmark.mark_image(data), warmup=100,
                     count=1000) < 2048


def test_new_marks_do_not_leak():
    # Marks with options that differ every call go through the cache's
    # eviction and are freed.
    counter = iter(range(10 ** 6))
    a = np.zeros((64, 64, 3), np.uint8)
    assert grows_kib(lambda: wmark.mark_image(
        a, margin=next(counter) % 997), count=1000) < 4096
