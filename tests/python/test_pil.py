"""PIL images of every mode: marked directly or through a documented
conversion, keeping the mode where it can."""

import os

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


# ---- EXIF orientation ---------------------------------------------------


def shown(img):
    from PIL import ImageOps

    return np.asarray(ImageOps.exif_transpose(img)).astype(np.int16)


def mark_mask(marked, original):
    """Where the mark is in the shown picture: pixels that changed by more
    than JPEG re-encoding noise."""
    diff = np.abs(shown(marked) - shown(original))
    return diff.max(axis=2) > 40 if diff.ndim == 3 else diff > 40


def corpus_jpeg(corpus, n):
    path = corpus / "images" / "orientation" / f"Landscape_{n}.jpg"
    if not path.is_file():
        pytest.skip(f"{path} not in the corpus")
    return path


@pytest.mark.parametrize("n", [3, 5, 6, 8])
def test_exif_orientation_like_encoded_bytes(corpus, n):
    """A PIL image with an EXIF Orientation is marked where the encoded
    file is: at the shown bottom-right corner, upright (same mark pixels
    in the shown picture), with the EXIF kept."""
    import io

    path = corpus_jpeg(corpus, n)
    img = Image.open(path)
    assert img.getexif().get(0x0112) == n
    out = wmark.mark_image(img)
    from_bytes = Image.open(io.BytesIO(wmark.mark_image(path.read_bytes())))

    assert out.size == img.size and out.getexif().get(0x0112) == n
    got, want = mark_mask(out, img), mark_mask(from_bytes, img)
    h, w = got.shape
    ys, xs = np.nonzero(got)
    assert len(ys) > 500
    assert ys.min() > h // 2 and xs.min() > w // 2
    overlap = (got & want).sum() / (got | want).sum()
    assert overlap > 0.8, overlap


def test_exif_orientation_converted_modes(corpus):
    """Modes marked through a conversion (CMYK, P) and in place honour the
    orientation too: the mark is where it is on the RGB image."""
    img = Image.open(corpus_jpeg(corpus, 6))
    expect = mark_mask(wmark.mark_image(img), img)
    ys, xs = np.nonzero(expect)
    assert ys.min() > expect.shape[0] // 2 and xs.min() > expect.shape[1] // 2
    for mode in ("CMYK", "P"):
        conv = img.convert(mode)
        assert conv.getexif().get(0x0112) == 6
        got = mark_mask(wmark.mark_image(conv).convert("RGB"),
                        conv.convert("RGB"))
        overlap = (got & expect).sum() / (got | expect).sum()
        assert overlap > 0.7, (mode, overlap)
    inplace = img.copy()
    wmark.mark_image(inplace, in_place=True)
    assert np.array_equal(mark_mask(inplace, img), expect)


def test_invalid_exif_orientation_marks_as_stored(corpus):
    """Orientation 0 (undefined) is shown as stored: the mark is at the
    stored bottom-right corner."""
    img = Image.open(corpus_jpeg(corpus, 0))
    out = wmark.mark_image(img)
    diff = np.abs(np.asarray(out).astype(np.int16) -
                  np.asarray(img).astype(np.int16)).max(axis=2) > 40
    ys, xs = np.nonzero(diff)
    assert len(ys) > 500
    assert ys.min() > img.height // 2 and xs.min() > img.width // 2


def with_orientation(img, n):
    exif = Image.Exif()
    exif[0x0112] = n
    img.info["exif"] = exif.tobytes()
    return img


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "CMYK"])
@pytest.mark.parametrize("n", range(2, 9))
def test_exif_orientation_marks_shown_picture(mode, n):
    """Any orientation, any way a mode is marked: the stored pixels get
    exactly the mark the shown picture gets, and the EXIF stays."""
    from PIL import ImageOps

    from conftest import SHOW, STORE

    img = with_orientation(make(mode), n)
    shown_img = ImageOps.exif_transpose(img)
    assert np.array_equal(np.asarray(shown_img),
                          SHOW[n](np.asarray(img)))

    out = wmark.mark_image(img)
    want = STORE[n](np.asarray(wmark.mark_image(shown_img)))
    np.testing.assert_array_equal(np.asarray(out), want)
    assert out.getexif().get(0x0112) == n
    same = wmark.mark_image(img.copy(), in_place=True)
    np.testing.assert_array_equal(np.asarray(same), want)


@pytest.mark.parametrize("n", [3, 6, 7])
def test_image_to_file_writes_shown_picture(n):
    """The PNG written for a PIL image carries no EXIF, so it holds the
    picture as shown, marked at the shown bottom-right corner."""
    from PIL import ImageOps

    img = with_orientation(make("RGB"), n)
    path = wmark.image_to_file(img)
    try:
        with Image.open(path) as f:
            got = np.asarray(f.convert("RGB"))
            assert f.getexif().get(0x0112) in (None, 1)
    finally:
        os.unlink(path)
    want = np.asarray(wmark.mark_image(ImageOps.exif_transpose(img)))
    np.testing.assert_array_equal(got, want)
