"""Encoded images in memory, files, and videos: outputs, temporary names,
overwrite rules, errors and progress."""

import io
import os
import pathlib
import tempfile
import threading

import numpy as np
import pytest
from PIL import Image

import wmark
from wmark import _image


def decode(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("fixture", ["png_file", "jpeg_file"])
def test_bytes_in_bytes_out(fixture, request):
    data = request.getfixturevalue(fixture).read_bytes()
    out = wmark.mark_image(data)
    assert isinstance(out, bytes) and out[:4] == data[:4]
    a, b = decode(data), decode(out)
    assert a.shape == b.shape
    diff = np.abs(a.astype(int) - b).max(axis=2) > 40
    ys, xs = np.nonzero(diff)
    assert len(ys) > 50 and ys.min() > a.shape[0] // 2
    ba = wmark.mark_image(bytearray(data))
    assert isinstance(ba, bytearray) and bytes(ba) == out
    assert wmark.mark_image(memoryview(data)) == out


def test_corrupt_bytes():
    with pytest.raises(wmark.Error) as e:
        wmark.mark_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    assert e.value.status in (4, 5) and e.value.message


def test_mark_file_to_temp(png_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = wmark.mark_file(str(png_file))
    assert isinstance(out, str) and os.path.isfile(out)
    # Never the working directory; a private folder in the temp dir.
    assert os.path.dirname(out) != str(tmp_path)
    assert os.path.dirname(os.path.dirname(out)) == tempfile.gettempdir()
    assert os.stat(os.path.dirname(out)).st_mode & 0o077 == 0
    assert out.endswith(".png") and "sample" in os.path.basename(out)
    assert wmark.probe(out)["has_disclosure"]
    assert not wmark.probe(png_file)["has_disclosure"]
    assert os.listdir(tmp_path) == ["sample.png"]
    os.unlink(out)


def test_temp_names_unique_across_threads(png_file):
    outs = []
    lock = threading.Lock()

    def work():
        p = wmark.mark_file(png_file)
        with lock:
            outs.append(p)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(outs)) == 8 and all(isinstance(p, pathlib.Path)
                                       for p in outs)
    for p in outs:
        assert p.stat().st_size > 0
        p.unlink()


def test_path_in_path_out(png_file):
    out = wmark.mark_image(png_file)
    assert isinstance(out, pathlib.Path) and out.exists()
    out.unlink()
    out = wmark.mark_image(str(png_file))
    assert isinstance(out, str)
    os.unlink(out)


def test_dst_rules(png_file, tmp_path):
    dst = tmp_path / "out.png"
    assert wmark.mark_file(png_file, dst) == dst
    first = dst.read_bytes()
    with pytest.raises(wmark.ExistsError) as e:
        wmark.mark_file(png_file, dst)
    assert e.value.status == 13 and isinstance(e.value, FileExistsError)
    assert dst.read_bytes() == first
    wmark.mark_file(png_file, dst, overwrite=True, position="top-left")
    assert dst.read_bytes() != first
    sub = tmp_path / "sub"
    sub.mkdir()
    assert wmark.mark_file(str(png_file), str(sub)) == str(sub /
                                                           "sample.png")


def test_format_option_sets_suffix(png_file):
    out = wmark.mark_file(png_file, format="jpeg")
    assert out.suffix == ".jpg" and out.read_bytes()[:3] == b"\xff\xd8\xff"
    out.unlink()


def test_missing_file_error(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(wmark.NotFoundError) as e:
        wmark.mark_file(missing)
    assert e.value.status == 9 and "nope.png" in e.value.message
    assert isinstance(e.value, FileNotFoundError)


def test_failed_job_leaves_no_temp_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    folder = _image._private_dir()
    before = set(os.listdir(folder))
    with pytest.raises(wmark.Error):
        wmark.mark_file(bad)
    assert set(os.listdir(folder)) == before


def test_progress_and_cancel(png_file, tmp_path):
    calls = []
    wmark.mark_file(png_file, tmp_path / "a.png",
                    progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] >= calls[0][0]

    def stop(done, total):
        raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt):
        wmark.mark_file(png_file, tmp_path / "b.png", progress=stop)
    assert not (tmp_path / "b.png").exists()


def test_image_to_file_carries_disclosure(rgb):
    path = wmark.image_to_file(rgb)
    assert path.endswith(".png")
    assert wmark.probe(path)["has_disclosure"]
    marked = np.asarray(Image.open(path).convert("RGB"))
    np.testing.assert_array_equal(marked, wmark.mark_image(rgb))
    os.unlink(path)


def small_video(corpus):
    path = corpus / "video" / "android_90rotation.mp4"
    if not path.exists():
        pytest.skip("corpus video missing")
    return path


def test_mark_video(corpus, tmp_path):
    src = small_video(corpus)
    out = wmark.mark_video(src, tmp_path / "out.mp4", threads=1)
    info = wmark.probe(out)
    assert info["kind"] == "video" and info["frames"] != 0
    temp = wmark.mark_video(str(src), threads=1)
    assert temp.endswith(".mp4") and os.path.getsize(temp) > 0
    os.unlink(temp)


def test_mark_video_rejects_images(png_file):
    with pytest.raises(wmark.UnsupportedError, match="not a video"):
        wmark.mark_video(png_file)
