"""PIL images of every mode: marked directly or through a documented
conversion, keeping the mode where it can."""

import numpy as np
import pytest
from PIL import Image

import wmark
from conftest import picture

H, W = 360, 480


def make(mode):
    if mode == "I;16":
        return Image.fromarray(picture(H, W, 1, np.uint16), "I;16")
    if mode in ("RGBA", "RGBa"):
        return Image.fromarray(picture(H, W, 4), mode)
    if mode in ("LA", "La"):
        return Image.fromarray(picture(H, W, 2), mode)
    if mode == "L":
        return Image.fromarray(picture(H, W, 1), "L")
    return Image.fromarray(picture(H, W, 3), "RGB").convert(mode)


def assert_marked_bottom_right(out, img):
    a, b = np.asarray(out), np.asarray(img)
    diff = a != b
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    ys, xs = np.nonzero(diff)
    assert len(ys) > 50
    assert ys.min() > H // 2 and xs.min() > W // 2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16",
                                  "RGBX", "RGBa", "La"])
def test_direct_modes(mode):
    img = make(mode)
    before = img.copy()
    out = wmark.mark_image(img)
    assert out is not img and out.mode == mode and out.size == img.size
    assert np.array_equal(np.asarray(img), np.asarray(before))
    assert_marked_bottom_right(out, img)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16"])
def test_same_pixels_as_arrays(mode):
    img = make(mode)
    expect = wmark.mark_image(np.array(img))
    np.testing.assert_array_equal(np.asarray(wmark.mark_image(img)), expect)


def test_in_place_and_info():
    img = make("RGB")
    img.info["note"] = "kept"
    out = wmark.mark_image(img)
    assert out.info["note"] == "kept"
    same = wmark.mark_image(img, in_place=True)
    assert same is img
    np.testing.assert_array_equal(np.asarray(img), np.asarray(out))


@pytest.mark.parametrize("mode", ["CMYK", "YCbCr", "HSV", "1", "I", "F"])
def test_converted_modes_keep_mode_and_other_pixels(mode):
    img = make(mode)
    out = wmark.mark_image(img)
    assert out.mode == mode
    # Only the mark's pixels change; the rest is bit for bit the input.
    assert_marked_bottom_right(out, img)
    top = (slice(0, H // 2),)
    np.testing.assert_array_equal(np.asarray(out)[top],
                                  np.asarray(img)[top])


def test_cmyk_in_place():
    img = make("CMYK")
    expect = wmark.mark_image(img)
    assert wmark.mark_image(img, in_place=True) is img
    np.testing.assert_array_equal(np.asarray(img), np.asarray(expect))


def test_palette_with_transparency_becomes_rgba():
    q = make("RGB").quantize(15)
    idx = np.array(q)
    idx[H // 2:] = 15  # the bottom half is the transparent entry
    p = Image.fromarray(idx, "P")
    p.putpalette(q.getpalette()[:45] + [0, 0, 0])
    p.info["transparency"] = 15
    out = wmark.mark_image(p)
    assert out.mode == "RGBA"
    got = np.asarray(out)
    assert (got[: H // 2, :, 3] == 255).all()
    # The mark lands on the transparent bottom and is visible there.
    assert (got[H // 2:, :, 3] > 0).any()
    assert (got[H // 2:, : W // 2, 3] == 0).all()
    with pytest.raises(ValueError, match="in place"):
        wmark.mark_image(p, in_place=True)


def test_palette_without_transparency_becomes_rgb():
    p = make("RGB").quantize(32)
    out = wmark.mark_image(p)
    assert out.mode == "RGB"
    assert_marked_bottom_right(out, p.convert("RGB"))


def test_pa_becomes_rgba():
    pa = make("RGB").quantize(32).convert("PA")
    assert wmark.mark_image(pa).mode == "RGBA"


def test_unsupported_mode():
    with pytest.raises(wmark.UnsupportedError, match="LAB"):
        wmark.mark_image(Image.new("LAB", (W, H)))
