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
