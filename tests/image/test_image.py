"""Still images checked from the outside: pixels with PIL, metadata with
exiftool. Calls the C API through ctypes so that it tests the library
alone. Files from the shared corpus are used when it is present."""
import ctypes
import io
import json
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

DATA = os.environ.get("WMARK_TEST_DATA", "tests/data")
CORPUS = os.environ.get("WMARK_CORPUS", "../shared/corpus")
LIB = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
LIB.wm_last_error.restype = ctypes.c_char_p
LIB.wm_mark_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
LIB.wm_mark_free.argtypes = [ctypes.c_void_p]
LIB.wm_mark_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
LIB.wm_mark_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                             ctypes.c_char_p, ctypes.c_void_p]


def corpus(*parts):
    path = os.path.join(CORPUS, *parts)
    if not os.path.exists(path):
        pytest.skip("corpus file missing: " + path)
    return path


def mark(src, dst, **options):
    """Marks src into dst with the given options; returns (status, message)."""
    m = ctypes.c_void_p()
    assert LIB.wm_mark_new(ctypes.byref(m)) == 0
    try:
        for name, value in options.items():
            assert LIB.wm_mark_set(m, name.replace("_", "-").encode(),
                                   str(value).encode()) == 0
        status = LIB.wm_mark_file(m, str(src).encode(), str(dst).encode(),
                                  None)
        return status, LIB.wm_last_error().decode()
    finally:
        LIB.wm_mark_free(m)


def marked(src, tmp_path, name=None, **options):
    dst = tmp_path / (name or ("out" + os.path.splitext(str(src))[1]))
    status, msg = mark(src, dst, **options)
    assert status == 0, msg
    return dst


def exif_tool(path, *tags):
    out = subprocess.run(["exiftool", "-j", "-G1", "-a", *tags, str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]


def as_rgb(im):
    if im.mode.startswith("I"):  # 16-bit grey: PIL's RGB would clip it
        grey = np.asarray(im, dtype=np.int32) // 257
        return np.stack([grey] * 3, axis=2)
    return np.asarray(im.convert("RGB"), dtype=np.int32)


def changed_box(before, after, threshold=40):
    a, b = as_rgb(before), as_rgb(after)
    ys, xs = np.nonzero(np.abs(a - b).max(axis=2) > threshold)
    assert len(xs), "the mark changed nothing"
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


# ---- orientation -------------------------------------------------------------

def displayed(path):
    return ImageOps.exif_transpose(Image.open(path))


def test_orientation_places_mark_upright_bottom_right(tmp_path):
    ref = None
    for n in range(1, 9):
        src = corpus("images", "orientation", "Landscape_%d.jpg" % n)
        dst = marked(src, tmp_path, "l%d.jpg" % n)
        assert Image.open(dst).size == Image.open(src).size  # pixels kept
        assert (Image.open(dst).getexif().get(0x0112, 1)
                == Image.open(src).getexif().get(0x0112, 1))  # tag kept
        shown_in, shown_out = displayed(src), displayed(dst)
        x0, y0, x1, y1 = changed_box(shown_in, shown_out)
        w, h = shown_out.size
        assert x0 > w / 2 and y0 > h * 3 / 4, (n, (x0, y0, x1, y1))
        if ref is None:
            ref, box = shown_out, (x0, y0, x1, y1)
            continue
        # The same photo shown the same way carries the same, upright mark
        # (a mirrored or turned one would differ in most of its pixels).
        assert max(abs(a - b) for a, b in zip(box, (x0, y0, x1, y1))) <= 4
        crop = np.asarray(shown_out.crop(box), dtype=np.int16)
        want = np.asarray(ref.crop(box), dtype=np.int16)
        assert np.abs(crop - want).mean() < 8, n


@pytest.mark.parametrize("name", ["paris_exif_orientation_5.jpg",
                                  "hopper_orientation_6.webp"])
def test_orientation_small_files(tmp_path, name):
    src = os.path.join(DATA, name)
    dst = marked(src, tmp_path, size="8%")
    a, b = as_rgb(displayed(src)), as_rgb(displayed(dst))
    ys, xs = np.nonzero(np.abs(a - b).max(axis=2) > 80)
    h, w = a.shape[:2]
    # Strongly changed pixels (the mark, not codec noise) sit low and right
    # in the picture as shown.
    assert len(ys) > 50
    assert (ys > h / 2).mean() > 0.9 and xs.mean() > w / 2, (ys.mean(), xs.mean())


# ---- metadata ----------------------------------------------------------------

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@pytest.mark.parametrize("ext", ["jpg", "png", "webp"])
def test_disclosure_in_xmp(tmp_path, ext):
    dst = marked(os.path.join(DATA, "sample.jpg"), tmp_path, "o." + ext)
    tags = exif_tool(dst, "-XMP:all")
    assert tags["XMP-iptcExt:DigitalSourceType"] == DST + "trainedAlgorithmicMedia"
    assert tags["XMP-dc:Description"] == "AI-generated"


def test_disclosure_options_and_switch(tmp_path):
    src = os.path.join(DATA, "sample.jpg")
    dst = marked(src, tmp_path, "a.jpg", source_type="compositeWithTrainedAlgorithmicMedia",
                 disclosure="Edited with AI <beta> & more")
    tags = exif_tool(dst, "-XMP:all")
    assert tags["XMP-iptcExt:DigitalSourceType"] == DST + "compositeWithTrainedAlgorithmicMedia"
    assert tags["XMP-dc:Description"] == "Edited with AI <beta> & more"
    off = marked(src, tmp_path, "b.jpg", metadata="false")
    assert "XMP-iptcExt:DigitalSourceType" not in exif_tool(off, "-XMP:all")


def test_existing_metadata_kept_and_merged(tmp_path):
    src = os.path.join(DATA, "paris_exif_xmp_icc.jpg")
    dst = marked(src, tmp_path)
    before, after = exif_tool(src, "-XMP:all", "-EXIF:all", "-ICC_Profile:all"), \
        exif_tool(dst, "-XMP:all", "-EXIF:all", "-ICC_Profile:all")
    for key, value in before.items():
        if key.split(":")[0] in ("XMP-x", "SourceFile") or "Thumbnail" in key:
            continue
        assert after.get(key) == value, key
    assert after["XMP-iptcExt:DigitalSourceType"] == DST + "trainedAlgorithmicMedia"
    # Marking again replaces the disclosure instead of repeating it.
    again = marked(dst, tmp_path, "again.jpg", source_type="digitalCapture")
    xmp = subprocess.run(["exiftool", "-b", "-XMP", str(again)],
                         capture_output=True, check=True).stdout
    assert xmp.count(b"DigitalSourceType>") == 2  # one element, open+close
    assert b"digitalCapture" in xmp


def test_thumbnail_mpf_and_c2pa_dropped(tmp_path):
    src = corpus("images", "jpeg", "flower.jpg")
    assert "IFD1:ThumbnailImage" in exif_tool(src, "-ThumbnailImage")
    out = exif_tool(marked(src, tmp_path, "t.jpg"), "-ThumbnailImage", "-EXIF:Make")
    assert "IFD1:ThumbnailImage" not in out
    assert out["IFD0:Make"] == "Canon"
    gain = corpus("images", "jpeg", "apple_gainmap_new.jpg")
    assert exif_tool(gain, "-MPF:all").get("MPF0:NumberOfImages") == 2
    dst = marked(gain, tmp_path, "g.jpg")
    assert not any(k.startswith("MPF") for k in exif_tool(dst, "-MPF:all"))
    assert open(dst, "rb").read().count(b"\xff\xd8\xff") == 1


def test_c2pa_manifest_dropped_other_segments_kept(tmp_path):
    data = open(os.path.join(DATA, "sample.jpg"), "rb").read()
    jumbf = b"JP\x00\x01\x00\x00\x00\x01" + b"\x00\x00\x00\x20jumbc2pa" + b"\x00" * 16
    app11 = b"\xff\xeb" + struct.pack(">H", 2 + len(jumbf)) + jumbf
    comment = b"kept comment"
    com = b"\xff\xfe" + struct.pack(">H", 2 + len(comment)) + comment
    src = tmp_path / "c2pa.jpg"
    src.write_bytes(data[:2] + app11 + com + data[2:])
    out = marked(src, tmp_path, "o.jpg").read_bytes()
    assert b"jumbc2pa" not in out
    assert comment in out


def test_extended_xmp_kept(tmp_path):
    src = corpus("images", "orientation", "dog_exif_extended_xmp_icc.jpg")
    dst = marked(src, tmp_path)
    before = exif_tool(src, "-XMP:all")
    after = exif_tool(dst, "-XMP:all")
    assert after["XMP-iptcExt:DigitalSourceType"] == DST + "trainedAlgorithmicMedia"
    extended = [k for k in before if k.startswith("XMP-GImage") or
                k.startswith("XMP-GDepth")]
    for key in extended:
        assert after.get(key) == before[key], key


# ---- colour ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rgb-to-gbr-test.jpg", "sample-xyb.jpg",
                                  "P3-sRGB-color-ring.jpg"])
def test_icc_profile_kept_and_mark_converted(tmp_path, name):
    """Shown through its profile, a red mark is red: on a profile that
    swaps primaries, on jpegli's XYB (which Little CMS inverts badly) and
    on Display P3."""
    src = corpus("images", "jpeg", name)
    dst = marked(src, tmp_path, color="#ff0000", outline_width=0, size="10%")
    im = Image.open(dst)
    assert im.info["icc_profile"] == Image.open(src).info["icc_profile"]
    prof = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
    shown = ImageCms.profileToProfile(im, prof, ImageCms.createProfile("sRGB"))
    shown_in = ImageCms.profileToProfile(Image.open(src), prof,
                                         ImageCms.createProfile("sRGB"))
    a = np.asarray(shown_in, dtype=np.int16)
    b = np.asarray(shown, dtype=np.int16)
    hit = np.abs(a - b).max(axis=2) > 60
    r, g, bl = (b[..., c][hit].mean() for c in range(3))
    assert r > 180 and g < 90 and bl < 90, (r, g, bl)


def test_gray_jpeg_stays_gray_or_turns_color(tmp_path):
    src = os.path.join(DATA, "hopper_gray.jpg")
    assert Image.open(marked(src, tmp_path, "g.jpg", size="15%")).mode == "L"
    color = Image.open(marked(src, tmp_path, "c.jpg", size="15%", color="#ff0000"))
    assert color.mode == "RGB"
    assert color.size == (128, 128)


def test_jpeg_tables_subsampling_progressive(tmp_path):
    src = os.path.join(DATA, "sample.jpg")
    same = Image.open(marked(src, tmp_path, "a.jpg"))
    orig = Image.open(src)
    assert same.quantization == orig.quantization
    from PIL import JpegImagePlugin
    assert (JpegImagePlugin.get_sampling(same)
            == JpegImagePlugin.get_sampling(orig))
    lower = Image.open(marked(src, tmp_path, "b.jpg", quality=50))
    assert lower.quantization != orig.quantization
    prog = corpus("images", "orientation", "vips_rotation_6.jpg")
    out = Image.open(marked(prog, tmp_path, "p.jpg"))
    assert out.info.get("progressive") == 1
    assert JpegImagePlugin.get_sampling(out) == 0  # 4:4:4 kept


# ---- PNG and WebP --------------------------------------------------------------

def png_header(path):
    data = open(path, "rb").read(29)
    return data[24], data[25], data[28]  # depth, colour type, interlace


@pytest.mark.parametrize("name,expect", [
    ("basn3p08.png", (8, 2, 0)),   # palette becomes RGB
    ("tbbn3p08.png", (8, 6, 0)),   # palette with tRNS becomes RGBA
    ("basn0g16.png", (16, 0, 0)),  # 16-bit grey stays so (grey mark)
    ("basi6a16.png", (16, 6, 0)),  # interlaced 16-bit RGBA, written plain
])
def test_png_layouts(tmp_path, name, expect):
    src = os.path.join(DATA, name)
    dst = marked(src, tmp_path, size="20%")
    assert png_header(dst) == expect
    changed_box(Image.open(src), Image.open(dst), threshold=20)


def test_png_alpha_kept_outside_mark(tmp_path):
    src = os.path.join(DATA, "tbbn3p08.png")
    dst = marked(src, tmp_path, size="20%")
    a = np.asarray(Image.open(src).convert("RGBA"))
    b = np.asarray(Image.open(dst).convert("RGBA"))
    # Outside the box the mark changed, every pixel and its alpha stays.
    ys, xs = np.nonzero((a != b).any(axis=2))
    assert len(xs), "the mark changed nothing"
    outside = np.ones(a.shape[:2], dtype=bool)
    outside[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = False
    assert outside.sum() >= 200
    assert (a[outside] == b[outside]).all()
    assert (b[..., 3][outside] < 255).any()  # transparency is still there


def test_webp_alpha_and_chunks(tmp_path):
    src = os.path.join(DATA, "transparent.webp")
    out = Image.open(marked(src, tmp_path))
    assert out.mode == "RGBA"
    a = np.asarray(Image.open(src))[..., 3].astype(int)
    b = np.asarray(out)[..., 3].astype(int)
    assert np.abs(a[:50] - b[:50]).max() == 0
    rich = marked(os.path.join(DATA, "flower2.webp"), tmp_path, "f.webp")
    data = open(rich, "rb").read()
    for chunk in (b"ICCP", b"EXIF", b"XMP "):
        assert chunk in data
    assert b"VP8 " in data  # lossy stays lossy


def test_alpha_to_jpeg_over_white(tmp_path):
    src = os.path.join(DATA, "transparent.webp")
    out = np.asarray(Image.open(marked(src, tmp_path, "t.jpg")), dtype=np.int16)
    alpha = np.asarray(Image.open(src))[..., 3]
    clear = alpha[:100] == 0
    assert clear.any()
    assert out[:100][clear].min() > 230  # fully transparent became white


def test_png_to_webp_is_lossless(tmp_path):
    dst = marked(os.path.join(DATA, "basn3p08.png"), tmp_path, "x.webp")
    assert b"VP8L" in open(dst, "rb").read()


# ---- refusals ----------------------------------------------------------------

@pytest.mark.parametrize("parts,words", [
    (("images", "jpeg", "monkey12.jpg"), "12-bit JPEG"),
    (("images", "jpeg", "testimgl.jpg"), "lossless JPEG"),
    (("images", "animated", "iss634.webp"), "animated WebP"),
    (("images", "animated", "iss634.gif"), "GIF"),
    (("images", "webp-avif", "kodim23_yuv420_8bpc.avif"), "AVIF"),
    (("images", "jpeg", "vips_truncated.jpg"), "truncated"),
    (("png", "pngsuite", "xcsn0g01.png"), "CRC"),
    (("png", "pngsuite", "xlfn0g04.png"), "signature"),
])
def test_refused_with_reason(tmp_path, parts, words):
    src = corpus(*parts)
    dst = tmp_path / "never.png"
    status, msg = mark(src, dst)
    assert status != 0
    assert words in msg and os.path.basename(src) in msg, msg
    assert not dst.exists()
    assert os.listdir(tmp_path) == []


def test_cmyk_stays_cmyk(tmp_path):
    src = corpus("images", "jpeg", "pil_sample_cmyk.jpg")
    out = Image.open(marked(src, tmp_path, color="#00ff00", size="12%"))
    assert out.mode == "CMYK"
    before = np.asarray(Image.open(src).convert("RGB"), dtype=np.int16)
    after = np.asarray(out.convert("RGB"), dtype=np.int16)
    hit = np.abs(after - before).max(axis=2) > 80
    assert hit[60:, 40:].sum() > 20 and hit[:40].sum() == 0
    r, g, b = (after[..., c][hit].mean() for c in range(3))
    assert g > 150 and r < 110 and b < 110, (r, g, b)  # green stays green
    status, msg = mark(src, tmp_path / "x.png")
    assert status != 0 and "CMYK" in msg


def test_arithmetic_jpeg_marked(tmp_path):
    src = corpus("images", "jpeg", "testimgari.jpg")
    dst = marked(src, tmp_path)
    assert Image.open(dst).size == (227, 149)


def test_named_tmpfile_scheme_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WMARK_TMPFILE", "named")
    src = tmp_path / "in.jpg"
    shutil.copy(os.path.join(DATA, "truncated_jpeg.jpg"), src)
    status, _ = mark(src, tmp_path / "out.jpg")
    assert status != 0
    assert os.listdir(tmp_path) == ["in.jpg"]
    ok = marked(os.path.join(DATA, "hopper_gray.jpg"), tmp_path, "fine.jpg")
    assert sorted(os.listdir(tmp_path)) == ["fine.jpg", "in.jpg"]
    assert ok.stat().st_size > 0


def test_corpus_never_crashes(tmp_path):
    """Every corpus still image either marks cleanly or fails with a
    message naming the file; never a crash or a stray file."""
    root = os.path.join(CORPUS, "images")
    if not os.path.isdir(root):
        pytest.skip("no corpus")
    for folder in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            src = os.path.join(root, folder, name)
            dst = tmp_path / ("o-" + name)
            status, msg = mark(src, dst)
            if status == 0:
                Image.open(dst).load()
                os.unlink(dst)
            else:
                assert name in msg, msg
            assert os.listdir(tmp_path) == []


# ---- small fixes found by trying the library as a new user --------------------

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def refusal(tmp_path, data):
    src = tmp_path / "damaged.png"
    src.write_bytes(data)
    status, msg = mark(src, tmp_path / "never.png")
    assert status == 5, msg  # WM_ERR_CORRUPT
    assert "damaged.png" in msg and not (tmp_path / "never.png").exists()
    return msg


@pytest.mark.parametrize("new_sig", [
    b"\x89PNG\n\x1a\n",            # CR LF became LF
    b"\x89PNG\r\r\n\x1a\r\n",      # LF became CR LF
    b"\x89PNG\r\r\x1a\r",          # LF became CR
    b"\x89PNG\n\n\x1a\n",          # CR became LF
    b"\x89PNG\r\n\n",              # Ctrl-Z dropped
])
def test_png_signature_line_endings_named(tmp_path, new_sig):
    data = open(os.path.join(DATA, "basn0g16.png"), "rb").read()
    msg = refusal(tmp_path, new_sig + data[8:])
    assert "text-mode transfer" in msg and "bytes:" not in msg, msg


@pytest.mark.parametrize("new_sig,shown", [
    (b"\x09PNG\r\n\x1a\n", "09 50 4e 47 0d 0a 1a 0a"),  # top bit lost
    (b"\x89PNG\r\n \n", "89 50 4e 47 0d 0a 20 0a"),     # Ctrl-Z became space
    (b"\x89QNG\r\n\x1a\n", "89 51 4e 47 0d 0a 1a 0a"),
])
def test_png_signature_other_damage_shows_bytes(tmp_path, new_sig, shown):
    data = open(os.path.join(DATA, "basn0g16.png"), "rb").read()
    msg = refusal(tmp_path, new_sig + data[8:])
    assert "damaged PNG signature (bytes: " + shown + ")" in msg, msg
    assert "text-mode" not in msg, msg


@pytest.mark.parametrize("name,text_mode", [
    ("xs1n0g01.png", False), ("xs2n0g01.png", False),
    ("xs4n0g01.png", False), ("xs7n0g01.png", False),
    ("xcrn0g04.png", True), ("xlfn0g04.png", True),
])
def test_png_signature_corpus(tmp_path, name, text_mode):
    data = open(corpus("png", "pngsuite", name), "rb").read()
    msg = refusal(tmp_path, data)
    assert ("text-mode transfer" in msg) == text_mode, msg
    assert ("bytes: " + data[:4].hex(" ") in msg) != text_mode, msg


def test_empty_paths_refused(tmp_path):
    src = os.path.join(DATA, "hopper_gray.jpg")
    for args, which in (((src, ""), "output"), (("", tmp_path / "o.jpg"),
                                                  "input")):
        status, msg = mark(*args)
        assert status == 1, msg  # WM_ERR_INVALID_ARGUMENT
        assert which + " path is empty" in msg, msg
    assert os.listdir(tmp_path) == []


def jpeg_segments(path):
    """The APPn segments before the first SOS, as (n, first 5 bytes)."""
    b = open(path, "rb").read()
    i, out = 2, []
    while i + 4 <= len(b) and b[i] == 0xFF and b[i + 1] != 0xDA:
        n = struct.unpack(">H", b[i + 2:i + 4])[0]
        if 0xE0 <= b[i + 1] <= 0xEF:
            out.append((b[i + 1] - 0xE0, b[i + 4:i + 9]))
        i += 2 + n
    return out


@pytest.mark.parametrize("parts", [
    ("images", "jpeg", "iptc.jpg"),        # no JFIF, YCbCr
    ("images", "jpeg", "sample-xyb.jpg"),  # neither, RGB-coded
    ("images", "jpeg", "flower2.jpg"),     # Adobe, no JFIF
    ("images", "jpeg", "pil_sample_cmyk.jpg"),
    ("images", "jpeg", "concert.jpg"),     # JFIF, grey
])
def test_jpeg_jfif_and_adobe_only_when_input_had_them(tmp_path, parts):
    src = corpus(*parts)
    before = jpeg_segments(src)
    for opts in ({}, {"color": "#ff0000"}):  # planar path, then RGB rows
        after = jpeg_segments(marked_over(src, tmp_path, **opts))
        for n, sig in ((0, b"JFIF\0"), (14, b"Adobe")):
            assert ((n, sig) in before) == ((n, sig) in after), (
                parts, opts, before, after)


def marked_over(src, tmp_path, **options):
    dst = tmp_path / "o.jpg"
    if dst.exists():
        dst.unlink()
    return marked(src, tmp_path, "o.jpg", **options)


def test_jpeg_without_markers_decodes_alike(tmp_path):
    """Without JFIF or Adobe segments the decoder tells the colour space
    from the component ids, so the output must decode like the input."""
    src = corpus("images", "jpeg", "sample-xyb.jpg")
    dst = marked(src, tmp_path, "o.jpg", quality=95)
    a = np.asarray(Image.open(src).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(dst).convert("RGB"), dtype=np.int16)
    h = a.shape[0] // 2
    assert np.abs(a[:h] - b[:h]).mean() < 3  # the mark is at the bottom


def png_chunks(path):
    b = open(path, "rb").read()
    i, out = 8, []
    while i + 8 <= len(b):
        n = struct.unpack(">I", b[i:i + 4])[0]
        out.append((b[i + 4:i + 8], b[i + 8:i + 8 + n]))
        i += 12 + n
    return out


def test_png_icc_profile_name_kept(tmp_path):
    src = corpus("png", "paris_icc_exif_xmp.png")
    name_in = [d.split(b"\0")[0] for t, d in png_chunks(src) if t == b"iCCP"]
    dst = marked(src, tmp_path, "o.png")
    name_out = [d.split(b"\0")[0] for t, d in png_chunks(dst) if t == b"iCCP"]
    assert name_in == [b"libavif"] and name_out == name_in


def set_option(name, value):
    m = ctypes.c_void_p()
    assert LIB.wm_mark_new(ctypes.byref(m)) == 0
    try:
        status = LIB.wm_mark_set(m, name.encode(), value.encode())
        return status, LIB.wm_last_error().decode()
    finally:
        LIB.wm_mark_free(m)


def test_length_percent_ranges_in_messages():
    status, msg = set_option("size", "0%")
    assert status == 8 and "above 0% and at most 100%" in msg, msg
    assert "px" not in msg, msg
    assert set_option("size", "0.5%")[0] == 0  # the 1 px minimum is pixels
    status, msg = set_option("size", "0px")
    assert status == 8 and "0px is outside 1..100000 px" in msg, msg
    status, msg = set_option("margin", "101%")
    assert status == 8 and "101% is outside 0..100%" in msg, msg
    assert set_option("margin", "0%")[0] == 0
    status, msg = set_option("offset-x", "-120%")
    assert status == 8 and "-120% is outside -100..100%" in msg, msg


XMP_SIG = b"http://ns.adobe.com/xap/1.0/\0"


def with_xmp(data, packet):
    """The JPEG `data` with its XMP segment replaced by `packet`."""
    i, segs = 2, []
    while data[i:i + 2] not in (b"\xff\xda", b""):
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        segs.append(data[i:i + 2 + n])
        i += 2 + n
    segs = [s for s in segs if not s[4:].startswith(XMP_SIG)]
    body = XMP_SIG + packet
    xmp = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    at = 1 if segs and segs[0][:2] == b"\xff\xe0" else 0
    return data[:2] + b"".join(segs[:at] + [xmp] + segs[at:]) + data[i:]


def xmp_tree(path):
    """The output's XMP packet, parsed (fails on malformed XML)."""
    xmp = subprocess.run(["exiftool", "-b", "-XMP", str(path)],
                         capture_output=True, check=True).stdout
    assert xmp
    if xmp.startswith(b"<?xpacket"):
        xmp = xmp.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0]
    return ET.fromstring(xmp)


ULTRA_HDR_XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    hdrgm:Version="1.0" xmp:CreatorTool='kept &gt; "tool"'>
   <!-- <hdrgm:GainMapMax>unterminated in a comment -->
   <Container:Directory>
    <rdf:Seq>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg"
        Item:Length="6003"/>
     </rdf:li>
    </rdf:Seq>
   </Container:Directory>
   <xmp:Label>kept</xmp:Label>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""

APPLE_XMP = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <HDRGainMap:HDRGainMapVersion>131072</HDRGainMap:HDRGainMapVersion>
   <HDRGainMap:HDRGainMapHeadroom>4.53</HDRGainMap:HDRGainMapHeadroom>
   <xmp:Label>kept</xmp:Label>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""

GAIN_MAP_GROUPS = ("XMP-hdrgm:", "XMP-GContainer:", "XMP-Container:",
                   "XMP-Item:", "XMP-HDRGainMap:")


def gain_map_tags(tags):
    return [k for k in tags if k.startswith(GAIN_MAP_GROUPS) or
            "HDRGainMap" in k or k.endswith(("DirectoryItemSemantic",
                                             "DirectoryItemLength"))]


def test_gain_map_xmp_dropped_with_the_gain_map(tmp_path):
    seine = corpus("images", "jpeg", "seine_sdr_gainmap_srgb.jpg")
    apple = corpus("images", "jpeg", "apple_gainmap_new.jpg")
    before = exif_tool(seine, "-XMP:all")
    assert before["XMP-hdrgm:Version"] == 1.0
    after = exif_tool(marked(seine, tmp_path, "s.jpg"), "-XMP:all", "-MPF:all")
    assert not gain_map_tags(after) and "MPF0:NumberOfImages" not in after
    for key, value in before.items():  # everything else is kept
        if key not in ("SourceFile", "XMP-x:XMPToolkit") and \
                not gain_map_tags([key]):
            assert after.get(key) == value, key
    xmp_tree(tmp_path / "s.jpg")

    for n, (base, packet) in enumerate(((seine, ULTRA_HDR_XMP),
                                        (apple, APPLE_XMP))):
        src = tmp_path / ("in%d.jpg" % n)
        src.write_bytes(with_xmp(open(base, "rb").read(), packet))
        assert len(gain_map_tags(exif_tool(src, "-XMP:all"))) >= 2
        dst = marked(src, tmp_path, "o%d.jpg" % n)
        after = exif_tool(dst, "-XMP:all")
        assert not gain_map_tags(after), after
        assert after["XMP-xmp:Label"] == "kept"
        assert after["XMP-iptcExt:DigitalSourceType"] == \
            DST + "trainedAlgorithmicMedia"
        tree = xmp_tree(dst)
        assert b"hdr-gain-map" not in ET.tostring(tree)
        if packet is ULTRA_HDR_XMP:
            assert after["XMP-xmp:CreatorTool"] == 'kept > "tool"'

    # Without a secondary image there is nothing to drop: kept as it was.
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(with_xmp(open(os.path.join(DATA, "sample.jpg"),
                                    "rb").read(), APPLE_XMP))
    after = exif_tool(marked(plain, tmp_path, "p.jpg"), "-XMP:all")
    assert len(gain_map_tags(after)) == 2


def png_chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))


LATE_XMP = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:Label>written after the image data</xmp:Label>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""


def test_png_metadata_after_image_data_kept(tmp_path):
    w, h = 96, 64
    rows = b"".join(b"\0" + bytes(v for x in range(w)
                                  for v in (x * 2, y * 3, 90))
                    for y in range(h))
    make = b"Canon\0"
    exif = (b"MM\0\x2a\0\0\0\x08" + struct.pack(">H", 1) +
            struct.pack(">HHII", 0x010F, 2, len(make), 26) +
            struct.pack(">I", 0) + make)
    itxt = b"XML:com.adobe.xmp\0\0\0\0\0" + LATE_XMP
    src = tmp_path / "late.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" +
                    png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2,
                                                   0, 0, 0)) +
                    png_chunk(b"IDAT", zlib.compress(rows)) +
                    png_chunk(b"eXIf", exif) + png_chunk(b"iTXt", itxt) +
                    png_chunk(b"tEXt", b"Comment\0late comment") +
                    png_chunk(b"IEND", b""))
    before = exif_tool(src, "-EXIF:all", "-XMP:all", "-PNG:all")
    assert before["IFD0:Make"] == "Canon"
    assert before["XMP-xmp:Label"] == "written after the image data"

    for ext in (".png", ".jpg", ".webp"):
        dst = marked(src, tmp_path, "o" + ext)
        after = exif_tool(dst, "-EXIF:all", "-XMP:all", "-PNG:all")
        assert after.get("IFD0:Make") == "Canon", (ext, after)
        # One packet: the disclosure merged into the late XMP.
        assert after.get("XMP-xmp:Label") == before["XMP-xmp:Label"], ext
        assert after["XMP-iptcExt:DigitalSourceType"] == \
            DST + "trainedAlgorithmicMedia"
        xmp_tree(dst)
        if ext == ".png":
            assert after["PNG:Comment"] == "late comment"
            kinds = [k for k, _ in png_chunks(dst)]
            assert kinds.count(b"eXIf") == 1
            assert sum(b"XML:com.adobe.xmp" in body
                       for k, body in png_chunks(dst) if k == b"iTXt") == 1
    a = np.asarray(Image.open(src).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(tmp_path / "o.png").convert("RGB"),
                   dtype=np.int16)
    assert np.abs(a[:h // 2] - b[:h // 2]).max() == 0  # pixels intact


def test_png_xmp_before_other_text_chunks(tmp_path):
    # The XMP is written from the metadata; the text chunks after it in the
    # input are copied once each.
    rows = b"".join(b"\0" + bytes(48 * 3) for y in range(32))
    src = tmp_path / "text.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" +
                    png_chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 32, 8, 2,
                                                   0, 0, 0)) +
                    png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" +
                              LATE_XMP) +
                    png_chunk(b"tEXt", b"Comment\0one") +
                    png_chunk(b"tEXt", b"Author\0two") +
                    png_chunk(b"IDAT", zlib.compress(rows)) +
                    png_chunk(b"IEND", b""))
    dst = marked(src, tmp_path, "o.png")
    texts = [body for k, body in png_chunks(dst) if k == b"tEXt"]
    assert sorted(texts) == [b"Author\0two", b"Comment\0one"]
    after = exif_tool(dst, "-XMP:all")
    assert after["XMP-xmp:Label"] == "written after the image data"


# ---- damaged JPEG scan data ----------------------------------------------------

def sample_jpeg():
    return open(os.path.join(DATA, "sample.jpg"), "rb").read()


def flipped(data, start, count, seed):
    """data with `count` bytes after `start` changed, never into 0xff (a
    marker would make it a different kind of damage)."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    for pos in rng.choice(np.arange(start, len(data) - 2), count, False):
        out[pos] = (out[pos] ^ int(rng.integers(1, 255))) % 255
    return bytes(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jpeg_damaged_scan_refused(tmp_path, seed):
    src = tmp_path / "damaged.jpg"
    src.write_bytes(flipped(sample_jpeg(), 40000, 30, seed))
    status, msg = mark(src, tmp_path / "never.jpg")
    assert status == 5, msg  # WM_ERR_CORRUPT
    assert "damaged.jpg: corrupt JPEG: " in msg, msg
    assert any(w in msg for w in ("Huffman", "extraneous", "premature",
                                  "instead of RST")), msg
    assert os.listdir(tmp_path) == ["damaged.jpg"]


def test_jpeg_leftover_scan_bytes_refused(tmp_path):
    # Bytes the decoder did not use before EOI: what damage earlier in the
    # scan leaves, even when no code was invalid.
    data = sample_jpeg()
    src = tmp_path / "leftover.jpg"
    src.write_bytes(data[:-2] + bytes(range(1, 41)) + data[-2:])
    status, msg = mark(src, tmp_path / "never.jpg")
    assert status == 5 and "leftover.jpg" in msg, msg
    assert "extraneous bytes before marker 0xd9" in msg, msg


def test_jpeg_harmless_oddities_marked(tmp_path):
    """Junk after EOI, an unknown APP marker and stray bytes between the
    header's markers (seen in camera files) do not touch the pixels."""
    data = sample_jpeg()
    dqt = data.find(b"\xff\xdb")
    app9 = b"\xff\xe9\x00\x10" + b"VendorThing\0\1\2"
    odd = (data[:2] + app9 + data[2:dqt] + b"\x00\x01\x02" + data[dqt:] +
           b"\0" * 300 + b"trailing camera data")
    src = tmp_path / "odd.jpg"
    src.write_bytes(odd)
    dst = marked(src, tmp_path, "odd-out.jpg")
    ref = marked(os.path.join(DATA, "sample.jpg"), tmp_path, "ref.jpg")
    a = np.asarray(Image.open(dst).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(ref).convert("RGB"), dtype=np.int16)
    assert a.shape == b.shape and np.abs(a - b).max() == 0


# Corpus JPEGs that are not marked, and why: everything else must be.
CORPUS_JPEG_REFUSED = {
    "monkey12.jpg": "12-bit JPEG",
    "testimgl.jpg": "lossless JPEG",
    "truncated_jpeg.jpg": "truncated",
    "vips_truncated.jpg": "truncated",
    # Its restart intervals hold bad Huffman codes and unused bytes: the
    # decoded picture is striped garbage.
    "hopper_bad_exif.jpg": "extraneous bytes before marker 0xd0",
}


def test_corpus_jpegs_marked_unless_damaged(tmp_path):
    if not os.path.isdir(CORPUS):
        pytest.skip("no corpus")
    seen = 0
    for folder, _, names in sorted(os.walk(CORPUS)):
        for name in sorted(names):
            if not name.lower().endswith((".jpg", ".jpeg")):
                continue
            seen += 1
            status, msg = mark(os.path.join(folder, name),
                               tmp_path / "o.jpg")
            if name in CORPUS_JPEG_REFUSED:
                assert status != 0, name
                assert CORPUS_JPEG_REFUSED[name] in msg, msg
            else:
                assert status == 0, msg
                os.unlink(tmp_path / "o.jpg")
    assert seen >= 40


# ---- logos are decoded as strictly as inputs -----------------------------------

def damaged_logos():
    """(file name, bytes) of logos truncated or damaged in each format."""
    rng = np.random.default_rng(5)
    pic = Image.fromarray(rng.integers(0, 255, (120, 160, 4), np.uint8))
    buf = io.BytesIO()
    pic.save(buf, "PNG")
    png = buf.getvalue()
    idat = png.find(b"IDAT")
    size = struct.unpack(">I", png[idat - 4:idat])[0]
    body = bytes(b ^ 0x5A for b in png[idat + 4:idat + 4 + size])
    bad_png = (png[:idat + 4] + body +
               struct.pack(">I", zlib.crc32(b"IDAT" + body)) +
               png[idat + 8 + size:])
    buf = io.BytesIO()
    pic.save(buf, "WEBP", quality=80)
    webp = buf.getvalue()
    jpeg = sample_jpeg()
    return [
        ("truncated.jpg", open(os.path.join(DATA, "truncated_jpeg.jpg"),
                               "rb").read(), "truncated"),
        ("damaged.jpg", flipped(jpeg, 40000, 30, 1), "bad JPEG"),
        ("leftover.jpg", jpeg[:-2] + bytes(range(1, 41)) + jpeg[-2:],
         "extraneous bytes"),
        ("truncated.png", png[:len(png) // 2], "PNG"),
        ("damaged.png", bad_png, "PNG"),
        ("truncated.webp", webp[:len(webp) // 2], "WebP"),
    ]


def test_damaged_logo_refused(tmp_path):
    src = os.path.join(DATA, "sample.jpg")
    for name, data, words in damaged_logos():
        logo = tmp_path / name
        logo.write_bytes(data)
        status, msg = mark(src, tmp_path / "never.jpg", logo=logo)
        assert status == 5, (name, msg)  # WM_ERR_CORRUPT
        assert name in msg and words in msg and "logo" in msg, msg
        assert not (tmp_path / "never.jpg").exists()


def test_corpus_truncated_jpeg_logo_refused(tmp_path):
    logo = corpus("images", "jpeg", "vips_truncated.jpg")
    status, msg = mark(os.path.join(DATA, "sample.jpg"),
                       tmp_path / "never.jpg", logo=logo)
    assert status == 5 and "vips_truncated.jpg" in msg, msg
    assert "truncated" in msg, msg


# ---- cICP ------------------------------------------------------------------------

def cicp_order(path):
    kinds = [k for k, _ in png_chunks(path)]
    body = [b for k, b in png_chunks(path) if k == b"cICP"]
    return kinds, body


@pytest.mark.parametrize("rgb", [False, True])
def test_png_cicp_kept_before_image_data(tmp_path, rgb):
    # BT.2020 primaries, PQ transfer, RGB, full range; the colour case turns
    # nothing grey, the grey one may become colour with a coloured mark.
    w, h = 64, 48
    ct, px = (2, 3) if rgb else (0, 1)
    rows = b"".join(b"\0" + bytes(range(w)) * px for y in range(h))
    src = tmp_path / "cicp.png"
    src.write_bytes(PNG_SIG +
                    png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ct,
                                                   0, 0, 0)) +
                    png_chunk(b"cICP", bytes([9, 16, 0, 1])) +
                    png_chunk(b"IDAT", zlib.compress(rows)) +
                    png_chunk(b"IEND", b""))
    dst = marked(src, tmp_path, "o.png", color="#ff0000")
    kinds, body = cicp_order(dst)
    assert body == [bytes([9, 16, 0, 1])], kinds
    assert kinds.index(b"cICP") < kinds.index(b"IDAT")
    assert b"PLTE" not in kinds


def test_png_cicp_corpus_file(tmp_path):
    src = corpus("png", "kodim03_grayscale_cicp.png")
    dst = marked(src, tmp_path, "o.png")
    kinds, body = cicp_order(dst)
    assert body == cicp_order(src)[1] == [bytes([1, 4, 0, 1])]
    assert kinds.index(b"cICP") < kinds.index(b"IDAT")
    assert b"gAMA" in kinds and b"cHRM" in kinds


# ---- ImageMagick's raw profile of XMP ------------------------------------------

def text_chunks(path):
    """(chunk type, key) of every text chunk."""
    return [(t, d.split(b"\0")[0]) for t, d in png_chunks(path)
            if t in (b"tEXt", b"zTXt", b"iTXt")]


def test_png_raw_xmp_profile_merged_not_duplicated(tmp_path):
    """The XMP packet of an ImageMagick raw profile is the one merged with
    the disclosure, and comes out once, as XMP; its other raw profiles stay."""
    src = corpus("png", "paris_icc_exif_xmp.png")
    assert (b"zTXt", b"Raw profile type xmp") in text_chunks(src)
    for opts, disclosed in (({}, True), ({"metadata": "false"}, False)):
        dst = marked(src, tmp_path, "o.png", **opts)
        keys = [k for _, k in text_chunks(dst)]
        assert b"Raw profile type xmp" not in keys, keys
        assert keys.count(b"XML:com.adobe.xmp") == 1, keys
        assert b"Raw profile type exif" in keys, keys
        xmp = exif_tool(dst, "-XMP:all")
        assert xmp["XMP-xmp:CreatorTool"] == "GIMP 2.10", xmp
        assert ("XMP-iptcExt:DigitalSourceType" in xmp) == disclosed, xmp
        os.unlink(dst)


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_png_raw_xmp_profile_in_every_text_chunk(tmp_path, kind):
    packet = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
              '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
              '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
              ' rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
              '<dc:creator><rdf:Seq><rdf:li>ORIGINALAUTHOR</rdf:li></rdf:Seq>'
              '</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>'
              '<?xpacket end="w"?>').encode()
    hexed = packet.hex()
    text = "\nxmp\n%8d\n%s\n" % (len(packet), "\n".join(
        hexed[i:i + 72] for i in range(0, len(hexed), 72)))
    info = PngImagePlugin.PngInfo()
    if kind == "iTXt":
        info.add_itxt("Raw profile type xmp", text)
    else:
        info.add_text("Raw profile type xmp", text, zip=kind == "zTXt")
    src = tmp_path / "raw.png"
    Image.new("RGB", (200, 120), (40, 90, 160)).save(src, pnginfo=info)
    assert (kind.encode(), b"Raw profile type xmp") in text_chunks(src)
    dst = marked(src, tmp_path, "o.png")
    assert b"Raw profile type xmp" not in [k for _, k in text_chunks(dst)]
    xmp = exif_tool(dst, "-XMP:all")
    assert xmp.get("XMP-dc:Creator") == "ORIGINALAUTHOR", xmp
    assert "XMP-iptcExt:DigitalSourceType" in xmp, xmp
