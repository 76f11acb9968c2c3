"""Shared fixtures of the wmark tests: deterministic pictures, sample files
written with Pillow, and the corpus."""

import os
import pathlib

import numpy as np
import pytest


def picture(h=240, w=320, channels=3, dtype=np.uint8, seed=1):
    """A smooth gradient with a little seeded noise: real-looking content
    whose every pixel differs from the mark's colours."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    y = np.linspace(0.2, 0.6, h)[:, None]
    x = np.linspace(0.3, 0.5, w)[None, :]
    base = (y + x) / 2
    shape = (h, w) if channels == 1 else (h, w, channels)
    img = np.empty(shape, dtype=np.float64)
    if channels == 1:
        img[...] = base
    else:
        for c in range(channels):
            img[..., c] = base * (0.8 + 0.1 * c)
        if channels in (2, 4):
            img[..., -1] = 1.0
    img += rng.normal(0, 0.01, shape)
    return np.clip(img * top, 0, top).astype(dtype)


@pytest.fixture
def rgb():
    return picture()


@pytest.fixture
def png_file(tmp_path):
    from PIL import Image

    path = tmp_path / "sample.png"
    Image.fromarray(picture()).save(path)
    return path


@pytest.fixture
def jpeg_file(tmp_path):
    from PIL import Image

    path = tmp_path / "sample.jpg"
    Image.fromarray(picture()).save(path, quality=90)
    return path


@pytest.fixture
def corpus():
    root = pathlib.Path(os.environ.get("WMARK_CORPUS", ""))
    if not root.is_dir():
        pytest.skip("WMARK_CORPUS not available")
    return root


def rss_kib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


# EXIF Orientation n: how the stored pixels are turned for display
# (SHOW[n]) and back (STORE[n]), on HxW or HxWxC arrays.
def _swap(a):
    return a.swapaxes(0, 1)


SHOW = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1], 5: _swap, 6: lambda a: _swap(a)[:, ::-1],
        7: lambda a: _swap(a[::-1, ::-1]), 8: lambda a: _swap(a)[::-1]}
STORE = dict(SHOW)
STORE[6], STORE[8] = SHOW[8], SHOW[6]
