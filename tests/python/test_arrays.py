"""numpy arrays: every layout and dtype, in place and copy, and arrays as
they come (strided, negative-strided, read-only, big-endian) giving the
same pixels as a contiguous copy."""

import numpy as np
import pytest

import wmark
from conftest import picture

H, W = 360, 480
LAYOUTS = [(np.uint8, 1), (np.uint8, 2), (np.uint8, 3), (np.uint8, 4),
           (np.uint16, 1), (np.uint16, 2), (np.uint16, 3), (np.uint16, 4)]


def changed_mask(a, b):
    diff = a != b
    return diff.any(axis=2) if diff.ndim == 3 else diff


@pytest.mark.parametrize("dtype,channels", LAYOUTS)
def test_every_layout_marked_bottom_right(dtype, channels):
    a = picture(H, W, channels, dtype)
    before = a.copy()
    out = wmark.mark_image(a)
    assert out is not a and out.dtype == a.dtype and out.shape == a.shape
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(a, before)  # the input is left alone
    mask = changed_mask(out, a)
    ys, xs = np.nonzero(mask)
    assert len(ys) > 100
    # The default mark sits at the bottom-right.
    assert ys.min() > H // 2 and xs.min() > W // 2


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_full_scale_of_dtype(dtype):
    # Black picture: the default white text reaches the top of the scale.
    a = np.zeros((H, W, 3), dtype)
    out = wmark.mark_image(a)
    top = np.iinfo(dtype).max
    assert out.max() >= top * 0.97
    if dtype == np.uint16:
        # Marked at 16 bits, not 8 bits shifted: values between the
        # multiples of 257 occur in the anti-aliased edges.
        vals = out[out > 0]
        assert np.any(vals % 257 != 0)


def test_hxwx1_like_gray():
    a = picture(H, W, 1)
    np.testing.assert_array_equal(wmark.mark_image(a[:, :, None])[:, :, 0],
                                  wmark.mark_image(a))


def test_in_place_returns_same_array():
    a = picture(H, W, 3)
    expect = wmark.mark_image(a)
    out = wmark.mark_image(a, in_place=True)
    assert out is a
    np.testing.assert_array_equal(a, expect)


def variants():
    wide = picture(H, 2 * W, 3)
    rgba = picture(H, W, 4)
    base = picture(H, W, 3)
    return {
        "column-step": wide[:, ::2],
        "negative-columns": base[:, ::-1],
        "negative-rows": base[::-1],
        "both-negative": base[::-1, ::-1],
        "fortran": np.asfortranarray(base),
        "channel-slice": rgba[..., :3],
        "bgr-view": base[..., ::-1],
        "sub-window": picture(H + 40, W + 60, 3)[20:-20, 30:-30],
    }


@pytest.mark.parametrize("name", list(variants()))
def test_strided_same_as_contiguous_copy(name):
    v = variants()[name]
    expect = wmark.mark_image(np.ascontiguousarray(v))
    np.testing.assert_array_equal(wmark.mark_image(v), expect)


@pytest.mark.parametrize("name", list(variants()))
def test_strided_in_place(name):
    v = variants()[name]
    base = v.base if v.base is not None else v
    outside = base.copy()
    expect = wmark.mark_image(np.ascontiguousarray(v))
    out = wmark.mark_image(v, in_place=True)
    assert out is v
    np.testing.assert_array_equal(v, expect)
    if name == "channel-slice":
        # The fourth channel, outside the view, is not touched.
        np.testing.assert_array_equal(base[..., 3], outside[..., 3])


def test_read_only():
    a = picture(H, W, 3)
    expect = wmark.mark_image(a)
    a.setflags(write=False)
    np.testing.assert_array_equal(wmark.mark_image(a), expect)
    with pytest.raises(ValueError, match="read-only"):
        wmark.mark_image(a, in_place=True)


def test_big_endian_uint16():
    a = picture(H, W, 3, np.uint16)
    expect = wmark.mark_image(a)
    be = a.astype(">u2")
    out = wmark.mark_image(be)
    assert out.dtype == np.dtype(">u2")
    np.testing.assert_array_equal(out.astype(np.uint16), expect)
    wmark.mark_image(be, in_place=True)
    np.testing.assert_array_equal(be.astype(np.uint16), expect)


def test_options_reach_the_picture():
    a = picture(H, W, 3)
    out = wmark.mark_image(a, position="top-left")
    ys, xs = np.nonzero(changed_mask(out, a))
    assert ys.max() < H // 2 and xs.max() < W // 2
    faint = wmark.mark_image(a, opacity=0.2)
    strong = wmark.mark_image(a)
    d_faint = np.abs(faint.astype(int) - a).sum()
    d_strong = np.abs(strong.astype(int) - a).sum()
    assert 0 < d_faint < d_strong


@pytest.mark.parametrize("bad", [
    np.zeros((10, 10), np.float32),
    np.zeros((10, 10), np.int16),
    np.zeros((10, 10, 5), np.uint8),
    np.zeros(100, np.uint8),
])
def test_rejected_arrays(bad):
    with pytest.raises(ValueError):
        wmark.mark_image(bad)


def test_empty_array():
    with pytest.raises(ValueError, match="empty"):
        wmark.mark_image(np.zeros((0, 10, 3), np.uint8))


def test_unknown_kind():
    with pytest.raises(TypeError):
        wmark.mark_image(12)


def test_explicit_layout_must_fit():
    a = picture(H, W, 4)
    out = wmark.Mark().apply(a, layout="RGBX")
    assert out.shape == a.shape
    with pytest.raises(ValueError, match="does not fit"):
        wmark.Mark().apply(picture(H, W, 3), layout="RGBX")
    with pytest.raises(ValueError, match="does not fit"):
        wmark.Mark().apply(a, layout="NV12")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_marks_the_shown_picture(orientation):
    """With an EXIF orientation the stored pixels get the mark the shown
    picture would get: at its bottom-right corner, upright."""
    from conftest import SHOW, STORE

    arr = picture(240, 320)
    assert np.array_equal(STORE[orientation](SHOW[orientation](arr)), arr)
    mark = wmark.Mark()
    got = mark.apply(arr, orientation=orientation)
    want = STORE[orientation](mark.apply(SHOW[orientation](arr)))
    np.testing.assert_array_equal(got, want)
    if orientation != 1:
        assert not np.array_equal(got, mark.apply(arr))


@pytest.mark.parametrize("value", [0, 9, -1, None, "x"])
def test_orientation_out_of_range_means_as_stored(value):
    arr = picture(120, 160)
    mark = wmark.Mark()
    np.testing.assert_array_equal(mark.apply(arr, orientation=value),
                                  mark.apply(arr))
