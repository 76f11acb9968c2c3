"""Video files through the public C API (ctypes, as an application would call
it). Clips are generated with the ffmpeg program (lavfi sources, 320x180 at
most, 30 frames at most) or taken from the corpus; results are checked by
decoding them with ffmpeg/ffprobe."""

import ctypes
import fcntl
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    not shutil.which("ffmpeg"), reason="the ffmpeg program is not installed")

W, H, N = 320, 180, 30
WM_OK, WM_ERR_UNSUPPORTED, WM_ERR_CORRUPT = 0, 4, 5
WM_ERR_BAD_VALUE, WM_ERR_NOT_FOUND, WM_ERR_CANCELLED = 8, 9, 10
WM_ERR_CODEC, WM_ERR_EXISTS = 11, 13

PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64,
                            ctypes.c_int64)


class Job(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("progress", PROGRESS),
                ("user", ctypes.c_void_p), ("flags", ctypes.c_uint),
                ("format", ctypes.c_char_p)]


class MediaInfo(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("kind", ctypes.c_int),
                ("format", ctypes.c_char * 16), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("orientation", ctypes.c_int),
                ("bit_depth", ctypes.c_int),
                ("color_space", ctypes.c_char * 64),
                ("has_alpha", ctypes.c_int), ("has_disclosure", ctypes.c_int),
                ("source_type", ctypes.c_char * 96),
                ("duration", ctypes.c_double), ("frames", ctypes.c_int64)]


_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
        _lib.wm_last_error.restype = ctypes.c_char_p
        _lib.wm_mark_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.c_char_p]
        _lib.wm_mark_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.c_char_p, ctypes.c_void_p]
        _lib.wm_mark_free.argtypes = [ctypes.c_void_p]
        _lib.wm_probe_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        _lib.wm_set_log_callback.argtypes = [ctypes.c_void_p,
                                             ctypes.c_void_p]
    return _lib


def mark(src, dst, options=(), progress=None, flags=1, fmt=None):
    """Marks src into dst; returns (status, message)."""
    m = ctypes.c_void_p()
    assert lib().wm_mark_new(ctypes.byref(m)) == WM_OK
    try:
        for kv in ("threads=2",) + tuple(options):
            assert lib().wm_mark_set(m, kv.encode(), None) == WM_OK, kv
        job = Job(ctypes.sizeof(Job), progress or PROGRESS(), None, flags,
                  fmt.encode() if fmt else None)
        status = lib().wm_mark_file(m, str(src).encode(), str(dst).encode(),
                                    ctypes.byref(job))
        # The message belongs to the last failure; success leaves it.
        return status, "" if status == WM_OK else \
            lib().wm_last_error().decode()
    finally:
        lib().wm_mark_free(m)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args],
                   check=True)


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format",
         "-of", "json", str(path)], check=True, capture_output=True).stdout
    return json.loads(out)


def packets(path, selector):
    """Every packet of the selected stream: data, pts, dts, duration."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", selector,
         "-show_packets", "-show_data", "-of", "json", str(path)],
        check=True, capture_output=True).stdout
    return [(p.get("pts"), p.get("dts"), p.get("duration"), p.get("data"))
            for p in json.loads(out)["packets"]]


def frames(path, w, h, pix="gray"):
    """Decoded frames as displayed (ffmpeg applies the display matrix)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path),
         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix,
         "-"], check=True,
        capture_output=True).stdout
    dtype = np.uint16 if pix.endswith("le") else np.uint8
    return np.frombuffer(out, dtype).reshape(-1, h, w).astype(np.int32)


def changed(a, b, threshold):
    return (np.abs(a - b) > threshold).mean()


def assert_marked_bottom_right(before, after, threshold=40):
    """The mark changes the bottom-right corner strongly and leaves the
    top-left alone (beyond re-encoding noise)."""
    n, h, w = before.shape
    corner = (slice(None), slice(h * 3 // 4, h), slice(w // 2, w))
    far = (slice(None), slice(0, h // 2), slice(0, w // 2))
    assert changed(before[corner], after[corner], threshold) > 0.01
    assert changed(before[far], after[far], threshold) < 0.002


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    src = ["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    fast = ["-frames:v", str(N), "-threads", "2", "-pix_fmt", "yuv420p"]
    ffmpeg(*src, *fast, "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", "-t", "1", str(d / "h264_aac.mp4"))
    ffmpeg(*src, *fast, "-c:v", "libvpx-vp9", "-deadline", "realtime",
           "-cpu-used", "8", "-c:a", "libopus", "-t", "1",
           str(d / "vp9_opus.webm"))
    ffmpeg(*src[:4], "-frames:v", str(N), "-pix_fmt", "yuv420p10le",
           "-c:v", "ffv1", "-color_primaries", "bt2020", "-color_trc",
           "smpte2084", "-colorspace", "bt2020nc", str(d / "ffv1_pq.mkv"))
    ffmpeg(*src[:4], *fast, "-c:v", "libx264", "-preset", "ultrafast",
           str(d / "no_audio.mp4"))
    ffmpeg(*src, "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=44100",
           "-map", "0", "-map", "1", "-map", "2", *fast, "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", "-t", "1",
           str(d / "two_audio.mp4"))
    return d


@pytest.fixture(scope="module")
def corpus():
    root = pathlib.Path(os.environ.get("WMARK_CORPUS", "")) / "video"
    if not root.is_dir():
        pytest.skip("WMARK_CORPUS not available")
    return root


def leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# ---- good inputs ------------------------------------------------------------


def test_h264_aac_mp4(clips, tmp_path):
    src, out = clips / "h264_aac.mp4", tmp_path / "out.mp4"
    assert mark(src, out) == (WM_OK, "")

    info = probe(out)
    video = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert int(video["nb_frames"]) == N
    assert packets(out, "a") == packets(src, "a")
    assert sorted(p[0] for p in packets(out, "v")) == \
        sorted(p[0] for p in packets(src, "v"))
    assert_marked_bottom_right(frames(src, W, H), frames(out, W, H))

    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "not web-playable"
    tags = info["format"]["tags"]
    assert tags["comment"] == "AI-generated"
    assert "digitalsourcetype/trainedAlgorithmicMedia" in tags["description"]
    assert leftovers(tmp_path, {"out.mp4"}) == []


def test_probe_reads_disclosure(clips, tmp_path):
    out = tmp_path / "out.mp4"
    assert mark(clips / "h264_aac.mp4", out)[0] == WM_OK
    info = MediaInfo(size=ctypes.sizeof(MediaInfo))
    assert lib().wm_probe_file(str(out).encode(), ctypes.byref(info)) == 0
    assert info.kind == 2 and info.format == b"mp4"
    assert (info.width, info.height, info.frames) == (W, H, N)
    assert info.has_disclosure == 1
    assert info.source_type == b"trainedAlgorithmicMedia"
    assert info.color_space.startswith(b"YUV 4:2:0")


def test_metadata_can_be_switched_off(clips, tmp_path):
    out = tmp_path / "out.mp4"
    assert mark(clips / "h264_aac.mp4", out, ["metadata=false"])[0] == WM_OK
    tags = probe(out)["format"].get("tags", {})
    assert "comment" not in tags and "description" not in tags


def test_vp9_opus_webm(clips, tmp_path):
    src, out = clips / "vp9_opus.webm", tmp_path / "out.webm"
    assert mark(src, out) == (WM_OK, "")
    codecs = [s["codec_name"] for s in probe(out)["streams"]]
    assert codecs == ["vp9", "opus"]
    assert packets(out, "a") == packets(src, "a")
    after = frames(out, W, H)
    assert after.shape[0] == N
    assert_marked_bottom_right(frames(src, W, H), after)


def test_ffv1_10bit_pq_keeps_format_and_tags(clips, tmp_path):
    src, out = clips / "ffv1_pq.mkv", tmp_path / "out.mkv"
    assert mark(src, out) == (WM_OK, "")
    v = probe(out)["streams"][0]
    assert v["codec_name"] == "ffv1" and v["pix_fmt"] == "yuv420p10le"
    assert (v["color_primaries"], v["color_transfer"], v["color_space"]) == \
        ("bt2020", "smpte2084", "bt2020nc")
    before = frames(src, W, H, "gray10le")
    after = frames(out, W, H, "gray10le")
    assert after.max() <= 1023
    # FFV1 is lossless: outside the mark nothing changes at all.
    assert np.array_equal(before[:, : H // 2, :], after[:, : H // 2, :])
    assert_marked_bottom_right(before, after, threshold=160)
    # On PQ the mark's white is reference white (203 cd/m2, about 58% of
    # the PQ signal), not peak brightness: the commonest marked value.
    marked = after[after != before]
    white = np.bincount(marked).argmax()
    assert 500 < white < 680, white


def test_hevc_10bit_through_x265(clips, tmp_path):
    src, out = tmp_path / "hevc.mp4", tmp_path / "out.mp4"
    ffmpeg("-i", str(clips / "ffv1_pq.mkv"), "-c:v", "libx265", "-preset",
           "ultrafast", "-x265-params", "log-level=none:pools=2",
           "-color_primaries", "bt2020", "-color_trc", "smpte2084",
           "-colorspace", "bt2020nc", str(src))
    assert mark(src, out, ["crf=30"]) == (WM_OK, "")
    v = probe(out)["streams"][0]
    assert (v["codec_name"], v["codec_tag_string"], v["pix_fmt"]) == \
        ("hevc", "hvc1", "yuv420p10le")
    assert v["color_transfer"] == "smpte2084"
    assert int(v["nb_frames"]) == N


def test_hdr10_sei_only_input_keeps_its_metadata(clips, tmp_path):
    """HDR10 metadata carried only in HEVC SEI (none in the container)."""
    src, out = tmp_path / "sei.mp4", tmp_path / "out.mp4"
    ffmpeg("-i", str(clips / "ffv1_pq.mkv"), "-frames:v", "10", "-c:v",
           "libx265", "-preset", "ultrafast", "-x265-params",
           "log-level=none:pools=2:master-display=G(8500,39850)"
           "B(6550,2300)R(35400,14600)WP(15635,16450)L(10000000,50):"
           "max-cll=800,400", "-color_primaries", "bt2020", "-color_trc",
           "smpte2084", "-colorspace", "bt2020nc", str(src))
    assert not probe(src)["streams"][0].get("side_data_list")
    assert mark(src, out) == (WM_OK, "")
    first = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-read_intervals", "%+#1", "-show_frames",
         "-of", "json", str(out)], check=True,
        capture_output=True).stdout)["frames"][0]
    sd = {d["side_data_type"]: d for d in first["side_data_list"]}
    assert sd["Mastering display metadata"]["green_y"] == "39850/50000"
    assert sd["Mastering display metadata"]["max_luminance"] == \
        "10000000/10000"
    assert sd["Content light level metadata"]["max_content"] == 800
    assert sd["Content light level metadata"]["max_average"] == 400


def test_no_audio(clips, tmp_path):
    out = tmp_path / "out.mp4"
    assert mark(clips / "no_audio.mp4", out) == (WM_OK, "")
    assert [s["codec_type"] for s in probe(out)["streams"]] == ["video"]
    assert_marked_bottom_right(frames(clips / "no_audio.mp4", W, H),
                               frames(out, W, H))


def test_two_audio_tracks_copied(clips, tmp_path):
    src, out = clips / "two_audio.mp4", tmp_path / "out.mp4"
    assert mark(src, out) == (WM_OK, "")
    assert [s["codec_type"] for s in probe(out)["streams"]] == \
        ["video", "audio", "audio"]
    for sel in ("a:0", "a:1"):
        assert packets(out, sel) == packets(src, sel)


@pytest.mark.parametrize("name,w,h", [("android_90rotation.mp4", 1080, 1920),
                                      ("iphone_rotated.mov", 320, 568)])
def test_rotated_phone_video_keeps_matrix(corpus, tmp_path, name, w, h):
    src, out = corpus / name, tmp_path / ("out" + pathlib.Path(name).suffix)
    assert mark(src, out) == (WM_OK, "")
    v = [s for s in probe(out)["streams"] if s["codec_type"] == "video"][0]
    assert [d.get("rotation") for d in v.get("side_data_list", [])] == [-90]
    assert packets(out, "a") == packets(src, "a")
    assert_marked_bottom_right(frames(src, w, h), frames(out, w, h))


def test_start_offsets_exact(corpus, tmp_path):
    """An AAC track starting at 1024/44100 s and video at 1001/30000 s keep
    their start times exactly, so audio stays in sync."""
    src, out = corpus / "bear_h264_aac.mp4", tmp_path / "out.mp4"
    assert mark(src, out) == (WM_OK, "")
    starts = {s["codec_type"]: s["start_time"] for s in probe(src)["streams"]}
    for s in probe(out)["streams"]:
        assert s["start_time"] == starts[s["codec_type"]]
    assert [p[3] for p in packets(out, "a")] == \
        [p[3] for p in packets(src, "a")]


def test_rotation_to_mkv_turns_pixels(corpus, tmp_path):
    src, out = corpus / "iphone_rotated.mov", tmp_path / "out.mkv"
    assert mark(src, out) == (WM_OK, "")
    v = [s for s in probe(out)["streams"] if s["codec_type"] == "video"][0]
    assert (v["width"], v["height"]) == (320, 568)
    assert not v.get("side_data_list")
    before, after = frames(src, 320, 568), frames(out, 320, 568)
    assert before.shape == after.shape
    assert_marked_bottom_right(before, after)


def test_keeps_aspect_fields_and_offsets(tmp_path):
    """Non-square pixels, interlacing and a start offset survive."""
    src, out = tmp_path / "src.mp4", tmp_path / "out.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=25", "-f",
           "lavfi", "-i", "sine=sample_rate=48000", "-frames:v", "20", "-t",
           "0.8", "-vf", "setsar=2", "-pix_fmt", "yuv420p", "-c:v", "libx264",
           "-preset", "ultrafast", "-threads", "2", "-flags", "+ildct+ilme",
           "-field_order", "tt", "-c:a", "aac", "-output_ts_offset", "0.5",
           str(src))
    assert mark(src, out) == (WM_OK, "")
    keys = ("codec_type", "sample_aspect_ratio", "field_order", "start_time",
            "duration", "nb_frames")
    for a, b in zip(probe(src)["streams"], probe(out)["streams"]):
        assert [a.get(k) for k in keys] == [b.get(k) for k in keys]
    assert packets(out, "a") == packets(src, "a")


def test_mark_predistorted_on_non_square_pixels(tmp_path):
    """With 2:1 pixels the mark is half as wide in stored pixels, so that it
    looks the same once displayed."""
    boxes = {}
    for sar in (1, 2):
        src, out = tmp_path / f"sar{sar}.mkv", tmp_path / f"out{sar}.mkv"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=25",
               "-frames:v", "3", "-vf", f"setsar={sar}", "-pix_fmt",
               "yuv420p", "-c:v", "ffv1", str(src))
        assert mark(src, out) == (WM_OK, "")
        assert probe(out)["streams"][0]["sample_aspect_ratio"] == f"{sar}:1"
        ys, xs = np.nonzero(frames(src, W, H)[0] != frames(out, W, H)[0])
        boxes[sar] = (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    assert abs(boxes[2][0] * 2 - boxes[1][0]) <= 3
    assert abs(boxes[2][1] - boxes[1][1]) <= 1


def test_variable_frame_rate_timestamps_kept(tmp_path):
    src, out = tmp_path / "vfr.mp4", tmp_path / "out.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30",
           "-frames:v", "20", "-vf",
           "setpts=PTS+if(gte(N\\,10)\\,0.25/TB\\,0)",
           "-fps_mode", "vfr", "-pix_fmt", "yuv420p", "-c:v", "libx264",
           "-preset", "ultrafast", "-threads", "2", str(src))
    before = sorted(p[0] for p in packets(src, "v"))
    assert before[10] - before[9] > 5 * (before[9] - before[8]), "not VFR"
    assert mark(src, out) == (WM_OK, "")
    assert sorted(p[0] for p in packets(out, "v")) == before


def test_time_range_and_fade(clips, tmp_path):
    src, out = clips / "no_audio.mp4", tmp_path / "out.mp4"
    assert mark(src, out, ["start=0.5", "fade-in=0.2"])[0] == WM_OK
    before, after = frames(src, W, H), frames(out, W, H)
    corner = (slice(H * 3 // 4, H), slice(W // 2, W))
    early = [changed(before[i][corner], after[i][corner], 40)
             for i in range(0, 14)]
    late = [changed(before[i][corner], after[i][corner], 40)
            for i in range(22, N)]
    assert max(early) < 0.002 and min(late) > 0.01


def test_progress_and_cancel(clips, tmp_path):
    seen = []

    def count(user, done, total):
        seen.append((done, total))
        return 0

    out = tmp_path / "out.mp4"
    cb = PROGRESS(count)
    assert mark(clips / "h264_aac.mp4", out, progress=cb)[0] == WM_OK
    assert seen[-1] == (N, N) and len(seen) == N

    stop = PROGRESS(lambda user, done, total: int(done >= 5))
    out2 = tmp_path / "cancelled.mp4"
    status, msg = mark(clips / "h264_aac.mp4", out2, progress=stop)
    assert status == WM_ERR_CANCELLED and "h264_aac.mp4" in msg
    assert leftovers(tmp_path, {"out.mp4"}) == []


def test_existing_output_is_kept(clips, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    status, msg = mark(clips / "h264_aac.mp4", out, flags=0)
    assert status == WM_ERR_EXISTS and "out.mp4" in msg
    assert out.read_bytes() == b"precious"
    assert leftovers(tmp_path, {"out.mp4"}) == []


def test_in_place_only_when_asked(clips, tmp_path):
    clip = tmp_path / "clip.mp4"
    shutil.copy(clips / "h264_aac.mp4", clip)
    status, msg = mark(clip, clip, flags=1)
    assert status == 1 and "clip.mp4" in msg
    assert clip.read_bytes() == (clips / "h264_aac.mp4").read_bytes()
    assert mark(clip, clip, flags=2) == (WM_OK, "")
    assert probe(clip)["format"]["tags"]["comment"] == "AI-generated"
    assert packets(clip, "a") == packets(clips / "h264_aac.mp4", "a")
    assert leftovers(tmp_path, {"clip.mp4"}) == []


def test_fragmented_mp4_to_pipe(clips, tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(
        target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    status, msg = mark(clips / "h264_aac.mp4", fifo, fmt="mp4")
    reader.join()
    assert (status, msg) == (WM_OK, "")
    data = got[0]
    assert b"moof" in data and data.find(b"moov") < data.find(b"moof")
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(data)
    assert frames(copy, W, H).shape[0] == N


def test_encoder_can_be_chosen(clips, tmp_path):
    out = tmp_path / "out.mkv"
    assert mark(clips / "h264_aac.mp4", out,
                ["encoder=libvpx-vp9", "crf=40"])[0] == WM_OK
    assert probe(out)["streams"][0]["codec_name"] == "vp9"


LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


def test_natural_codec_of_the_container_with_a_warning(clips, tmp_path):
    messages = []
    cb = LOG(lambda user, level, msg: messages.append((level, msg.decode())))
    lib().wm_set_log_callback(cb, None)
    try:
        out = tmp_path / "out.webm"
        assert mark(clips / "no_audio.mp4", out) == (WM_OK, "")
    finally:
        lib().wm_set_log_callback(None, None)
    assert probe(out)["streams"][0]["codec_name"] == "vp9"
    assert any(level == 1 and "libvpx-vp9" in msg for level, msg in messages)


def test_audio_the_container_cannot_hold_is_an_error(clips, tmp_path):
    status, msg = mark(clips / "h264_aac.mp4", tmp_path / "out.webm")
    assert status == WM_ERR_UNSUPPORTED and "aac" in msg
    assert "h264_aac.mp4" in msg
    assert leftovers(tmp_path, set()) == []


def test_odd_size(tmp_path):
    src = tmp_path / "odd.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=161x91:rate=30", "-frames:v",
           "10", "-pix_fmt", "yuv420p", "-c:v", "ffv1", str(src))
    for enc, ext in (("ffv1", "mkv"), ("libvpx-vp9", "webm")):
        out = tmp_path / f"out.{ext}"
        assert mark(src, out, [f"encoder={enc}"]) == (WM_OK, "")
        v = probe(out)["streams"][0]
        assert (v["width"], v["height"]) == (161, 91)
    # libx264 would crop to 160x90: refused rather than changing the size.
    status, msg = mark(src, tmp_path / "x264.mp4", ["encoder=libx264"])
    assert status == WM_ERR_CODEC and "odd.mkv" in msg and "161x91" in msg
    assert not (tmp_path / "x264.mp4").exists()


def test_encoder_without_the_pixel_format(clips, tmp_path):
    status, msg = mark(clips / "ffv1_pq.mkv", tmp_path / "out.webm",
                       ["encoder=libvpx"])
    assert status == WM_ERR_CODEC, msg
    assert "ffv1_pq.mkv" in msg and "yuv420p10le" in msg
    assert leftovers(tmp_path, set()) == []


# ---- bad inputs -------------------------------------------------------------


def make_bad(kind, d, clips):
    path = d / kind
    if kind == "audio_only.m4a":
        ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac",
               str(path))
    elif kind == "cover_art.m4a":
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1",
               str(d / "cover.png"))
        ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", "-i",
               str(d / "cover.png"), "-map", "0", "-map", "1", "-c:a", "aac",
               "-c:v", "png", "-disposition:v", "attached_pic", str(path))
        (d / "cover.png").unlink()
    elif kind == "truncated.mp4":
        path.write_bytes((clips / "h264_aac.mp4").read_bytes()[:20000])
    elif kind == "unknown_codec.mkv":
        ffmpeg("-i", str(clips / "no_audio.mp4"), "-c", "copy",
               str(d / "v.mkv"))
        data = (d / "v.mkv").read_bytes().replace(b"V_MPEG4/ISO/AVC",
                                                  b"V_ZZZZZ/ISO/ZZZ")
        (d / "v.mkv").unlink()
        path.write_bytes(data)
    elif kind == "not_video.mp4":
        path.write_bytes(b"this is text, not a container\n" * 20)
    return path


@pytest.mark.parametrize("kind,status,words", [
    ("audio_only.m4a", WM_ERR_NOT_FOUND, "no video stream"),
    ("cover_art.m4a", WM_ERR_NOT_FOUND, "cover art"),
    ("truncated.mp4", WM_ERR_CORRUPT, "truncated"),
    ("unknown_codec.mkv", WM_ERR_CODEC, "no decoder"),
    ("not_video.mp4", None, "not"),
    ("missing.mp4", WM_ERR_NOT_FOUND, "no such file"),
])
def test_bad_input(clips, tmp_path, kind, status, words):
    src = make_bad(kind, tmp_path, clips)
    got, msg = mark(src, tmp_path / "out.mp4")
    if status is not None:
        assert got == status, msg
    else:
        assert got != WM_OK
    assert kind in msg and words in msg.lower(), msg
    assert leftovers(tmp_path, {kind}) == []


def test_missing_encoder(clips, tmp_path):
    status, msg = mark(clips / "h264_aac.mp4", tmp_path / "out.mp4",
                       ["encoder=libdoesnotexist"])
    assert status == WM_ERR_CODEC and "libdoesnotexist" in msg
    assert "h264_aac.mp4" in msg
    assert leftovers(tmp_path, set()) == []


def test_mark_failure_names_the_video(clips, tmp_path):
    status, msg = mark(clips / "h264_aac.mp4", tmp_path / "out.mp4",
                       ["logo=/nonexistent/logo.png"])
    assert status == WM_ERR_NOT_FOUND
    assert "h264_aac.mp4" in msg and "logo.png" in msg
    assert leftovers(tmp_path, set()) == []


def test_bad_encoder_params(clips, tmp_path):
    status, msg = mark(clips / "h264_aac.mp4", tmp_path / "out.mp4",
                       ["encoder-params=nosuchoption=1"])
    assert status == WM_ERR_BAD_VALUE and "nosuchoption" in msg
    assert leftovers(tmp_path, set()) == []


# ---- cut files, time ranges, stream order ------------------------------------


def cut_points(size):
    """Cuts through the header, early, middle and late clusters, and the
    last bytes of the file."""
    return sorted({600, size // 20, size // 4, size // 2, size * 9 // 10,
                   size - 10, size - 1})


@pytest.mark.parametrize("name", ["flower.webm",
                                  "tears-of-steel-battle-clip-medium.webm"])
def test_truncated_webm_refused(corpus, tmp_path, name):
    data = (corpus / name).read_bytes()
    for n in cut_points(len(data)):
        src = tmp_path / f"cut{n}.webm"
        src.write_bytes(data[:n])
        status, msg = mark(src, tmp_path / "out.webm")
        assert status == WM_ERR_CORRUPT, (n, msg)
        assert src.name in msg and "truncated" in msg, msg
        src.unlink()
        assert leftovers(tmp_path, set()) == []


@pytest.mark.parametrize("clip", ["vp9_opus.webm", "ffv1_pq.mkv",
                                  "h264_aac.mp4"])
def test_truncated_generated_clips_refused(clips, tmp_path, clip):
    data = (clips / clip).read_bytes()
    ext = os.path.splitext(clip)[1]
    for n in cut_points(len(data)):
        src = tmp_path / f"cut{n}{ext}"
        src.write_bytes(data[:n])
        status, msg = mark(src, tmp_path / f"out{ext}")
        assert status == WM_ERR_CORRUPT, (n, msg)
        assert src.name in msg, msg
        src.unlink()
        assert leftovers(tmp_path, set()) == []


@pytest.mark.parametrize("clip", ["vp9_opus.webm", "h264_aac.mp4"])
def test_bytes_after_the_structure_are_not_a_cut(clips, tmp_path, clip):
    """A file longer than its Matroska segment or MP4 boxes (zeros or junk
    appended by a copy tool) is complete."""
    src = tmp_path / ("padded" + os.path.splitext(clip)[1])
    src.write_bytes((clips / clip).read_bytes() + b"\0" * 64 +
                    b"\x7f\xff\xff\xff\x01\x02\x03\x04" * 4)
    assert mark(src, tmp_path / ("out" + src.suffix)) == (WM_OK, "")


@pytest.mark.parametrize("start,end", [("3", "1"), ("2", "2")])
def test_empty_time_range_refused_before_any_output(clips, tmp_path, start,
                                                    end):
    """Refused before the output is created: a missing output folder does
    not change the answer."""
    m = ctypes.c_void_p()
    assert lib().wm_mark_new(ctypes.byref(m)) == WM_OK
    try:
        refused = [lib().wm_mark_set(m, kv.encode(), None)
                   for kv in (f"start={start}", f"end={end}")]
        if any(refused):
            return  # refused when set: also before any output
        job = Job(ctypes.sizeof(Job), PROGRESS(), None, 1, None)
        status = lib().wm_mark_file(
            m, str(clips / "h264_aac.mp4").encode(),
            str(tmp_path / "no" / "out.mp4").encode(), ctypes.byref(job))
        msg = lib().wm_last_error().decode()
    finally:
        lib().wm_mark_free(m)
    assert status == WM_ERR_BAD_VALUE, msg
    assert "h264_aac.mp4" in msg and "start" in msg and "end" in msg, msg
    assert leftovers(tmp_path, set()) == []


def stream_types(path):
    return [s["codec_type"] for s in probe(path)["streams"]]


def test_stream_order_kept(clips, corpus, tmp_path):
    src = tmp_path / "audio_first.mp4"
    ffmpeg("-i", str(clips / "two_audio.mp4"), "-map", "0:a:0", "-map",
           "0:v", "-map", "0:a:1", "-c", "copy", str(src))
    for clip in (src, corpus / "iphone_rotated.mov"):
        out = tmp_path / ("out" + clip.suffix)
        assert mark(clip, out)[0] == WM_OK
        assert stream_types(out) == stream_types(clip)
        assert stream_types(out)[0] == "audio"
        assert packets(out, "a:0") == packets(clip, "a:0")
        out.unlink()


# ---- temporary files --------------------------------------------------------


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@pytest.mark.parametrize("scheme", ["otmpfile", "named"])
def test_temporary_file_schemes(clips, tmp_path, monkeypatch, scheme):
    """While the job runs, the output folder holds nothing (O_TMPFILE) or
    one hidden temporary (named); MP4 output still gets its index first,
    which needs the muxer to re-open its file."""
    monkeypatch.setenv("WMARK_TMPFILE", scheme)
    seen = []

    def look(user, done, total):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        return 0

    out = tmp_path / "out.mp4"
    assert mark(clips / "h264_aac.mp4", out, progress=PROGRESS(look)) == \
        (WM_OK, "")
    during = seen[len(seen) // 2]
    if scheme == "otmpfile":
        assert during == []
    else:
        assert len(during) == 1 and during[0].startswith(".out.mp4.")
    data = out.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")
    assert leftovers(tmp_path, {"out.mp4"}) == []


def host_tag():
    """The host hash that temporary names carry (32-bit FNV-1a)."""
    x = 2166136261
    for c in socket.gethostname().encode():
        x = ((x ^ c) * 16777619) & 0xFFFFFFFF
    return f"{x:08x}"


def test_stale_named_temporaries_removed(clips, tmp_path, monkeypatch):
    """A killed run cannot remove its named temporary; the next run for the
    same output removes those whose process is gone and whose writer's
    lock is free, and only those."""
    monkeypatch.setenv("WMARK_TMPFILE", "named")
    live = subprocess.Popen(["sleep", "60"])
    try:
        name = f".out.mp4.{host_tag()}-%d-7-9.tmp"
        stale = tmp_path / (name % dead_pid())
        busy = tmp_path / (name % live.pid)
        held = tmp_path / (name.replace("-7-", "-8-") % dead_pid())
        other = tmp_path / ".notes.tmp"
        for p in (stale, busy, held, other):
            p.write_bytes(b"partial")
        with open(held, "rb") as f:
            # A writer in another PID namespace: its PID looks dead here,
            # but it holds the lock.
            fcntl.flock(f, fcntl.LOCK_EX)
            status = mark(clips / "h264_aac.mp4", tmp_path / "out.mp4")
        assert status == (WM_OK, "")
        assert leftovers(tmp_path, {"out.mp4"}) == sorted(
            [busy.name, held.name, other.name])
    finally:
        live.kill()
        live.wait()


# ---- loading ----------------------------------------------------------------

CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
lib.wm_last_error.restype = ctypes.c_char_p
def ffmpeg_loaded():
    return "libavcodec" in open("/proc/self/maps").read()
m = ctypes.c_void_p()
assert lib.wm_mark_new(ctypes.byref(m)) == 0
print(int(ffmpeg_loaded()))
info = (ctypes.c_char * 512)()
ctypes.c_size_t.from_buffer(info).value = 256
s = lib.wm_probe_file(sys.argv[1].encode(), info)
print(s, int(ffmpeg_loaded()), lib.wm_last_error().decode())
"""


def run_child(clip, env):
    out = subprocess.run([sys.executable, "-c", CHILD, str(clip)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def test_ffmpeg_loaded_only_on_first_video_use(clips):
    lines = run_child(clips / "h264_aac.mp4", dict(os.environ))
    assert lines[0] == "0", "FFmpeg loaded before any video call"
    assert lines[1].startswith("0 1")


def test_missing_module_is_a_clear_error(clips):
    env = dict(os.environ, WMARK_VIDEO_MODULE="/nonexistent/module.so")
    lines = run_child(clips / "h264_aac.mp4", env)
    assert lines[1].startswith(f"{WM_ERR_UNSUPPORTED} 0 ")
    assert "libwatermark-video.so" in lines[1]
    assert "h264_aac.mp4" in lines[1]


QUIET_CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
m = ctypes.c_void_p()
lib.wm_mark_new(ctypes.byref(m))
for kv in sys.argv[3:]:
    lib.wm_mark_set(m, kv.encode(), None)
print(lib.wm_mark_file(m, sys.argv[1].encode(), sys.argv[2].encode(), None))
"""


@pytest.mark.parametrize("encoder,ext", [
    ("libx264", "mp4"), ("libx265", "mp4"), ("libvpx-vp9", "webm"),
    ("libsvtav1", "mkv"), ("libaom-av1", "mkv")])
def test_encoders_print_nothing(clips, tmp_path, encoder, ext):
    # What an application that wants silence does: SVT-AV1 reads SVT_LOG,
    # and WMARK_FFMPEG_LOG=1 sends FFmpeg's messages to the (unset) log
    # callback instead of stderr. The library itself sets neither.
    env = dict(os.environ, SVT_LOG="1", WMARK_FFMPEG_LOG="1")
    r = subprocess.run(
        [sys.executable, "-c", QUIET_CHILD, str(clips / "no_audio.mp4"),
         str(tmp_path / f"out.{ext}"), f"encoder={encoder}", "threads=2",
         "end=0.2"], env=env, capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "0"
    assert r.stderr == ""


def test_av1_family_kept(tmp_path):
    src, out = tmp_path / "av1.mkv", tmp_path / "out.mkv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=160x90:rate=25", "-frames:v", "10", "-pix_fmt",
         "yuv420p", "-c:v", "libsvtav1", "-preset", "12", str(src)],
        check=True, capture_output=True,
        env=dict(os.environ, SVT_LOG="1"))
    assert mark(src, out) == (WM_OK, "")
    v = probe(out)["streams"][0]
    assert v["codec_name"] == "av1" and v["pix_fmt"] == "yuv420p"
    assert frames(out, 160, 90).shape[0] == 10


LOG_CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
got = []
cb = LOG(lambda user, level, msg: got.append(msg.decode()))
lib.wm_set_log_callback.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.wm_set_log_callback(cb, None)
m = ctypes.c_void_p()
lib.wm_mark_new(ctypes.byref(m))
lib.wm_mark_set(m, b"threads=2", None)
avutil = ctypes.CDLL("libavutil.so.57")
before = avutil.av_log_get_level()
s = lib.wm_mark_file(m, sys.argv[1].encode(), sys.argv[2].encode(), None)
after = avutil.av_log_get_level()
# FFmpeg's lines about a job's own contexts start with its input's path.
named = sys.argv[1] + ": ffmpeg: [libx264"
print(s, sum(g.startswith(named) for g in got), before == after)
"""


@pytest.mark.parametrize("ask", [False, True])
def test_ffmpeg_messages_routed_only_when_asked(clips, tmp_path, ask):
    env = {k: v for k, v in os.environ.items() if k != "WMARK_FFMPEG_LOG"}
    if ask:
        env["WMARK_FFMPEG_LOG"] = "1"
    r = subprocess.run(
        [sys.executable, "-c", LOG_CHILD, str(clips / "no_audio.mp4"),
         str(tmp_path / "out.mp4")], env=env, capture_output=True,
        text=True, check=True)
    status, routed, level_kept = r.stdout.split()
    assert status == "0" and (int(routed) > 0) == ask
    # The application's FFmpeg level is its own: never changed.
    assert level_kept == "True"
    if ask:
        assert r.stderr == ""


@pytest.mark.skipif(not shutil.which("nm"), reason="nm is not installed")
def test_module_exports_one_entry_point():
    module = os.environ.get("WMARK_VIDEO_MODULE")
    if not module:
        pytest.skip("WMARK_VIDEO_MODULE not set")
    out = subprocess.run(["nm", "-D", "--defined-only", module], check=True,
                         capture_output=True, text=True).stdout
    assert [line.split()[-1] for line in out.splitlines()] == \
        ["wm_video_module_entry"]



def test_webm_with_webvtt_probes_as_written(tmp_path):
    """WebM allows WebVTT subtitles: probing must name the container the
    way marking writes it (once "mkv" against a written "webm")."""
    vtt, src = tmp_path / "s.vtt", tmp_path / "sub.webm"
    out = tmp_path / "out"
    vtt.write_text("WEBVTT\n\n00:00.000 --> 00:00.300\nhello\n")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=160x90:rate=25", "-i", str(vtt), "-frames:v", "8",
         "-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:s", "webvtt",
         "-f", "webm", str(src)], check=True, capture_output=True)
    info = MediaInfo(size=ctypes.sizeof(MediaInfo))
    assert lib().wm_probe_file(str(src).encode(), ctypes.byref(info)) == 0
    assert info.format == b"webm"
    assert mark(src, out, ("threads=2",)) == (WM_OK, "")
    assert probe(out)["format"]["format_name"].startswith("matroska,webm")
    assert b"webm" in out.read_bytes()[:64]


def ts_segments(tmp_path):
    """Two 10-frame H.264 MPEG-TS clips of the same black picture, one
    tagged limited range, one full range (x264 writes the flag in each
    segment's sequence header)."""
    segs = []
    for i, rng in enumerate(("tv", "pc")):
        seg = tmp_path / f"{rng}.ts"
        ffmpeg("-f", "lavfi", "-i", "color=c=black:size=320x180:rate=25",
               "-frames:v", "10", "-pix_fmt", "yuv420p", "-color_range", rng,
               "-colorspace", "bt709", "-c:v", "libx264", "-preset",
               "ultrafast", "-output_ts_offset", str(0.4 * i), "-f",
               "mpegts", str(seg))
        segs.append(seg)
    return segs


def test_range_change_mid_stream_converts_the_mark_again(tmp_path):
    # One stream whose range switches after 10 frames: the mark's white
    # must be 235 on limited-range pictures and 255 on full-range ones.
    segs = ts_segments(tmp_path)
    joined, out = tmp_path / "joined.ts", tmp_path / "out.mkv"
    (tmp_path / "list.txt").write_text(
        "".join(f"file '{s}'\n" for s in segs))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(tmp_path / "list.txt"),
           "-c", "copy", str(joined))
    assert mark(joined, out, ("encoder=ffv1", "size=40%",
                              "outline-width=0")) == (WM_OK, "")

    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(out), "-f",
         "rawvideo", "-pix_fmt", "yuv420p", "-"], check=True,
        capture_output=True).stdout
    luma = np.frombuffer(raw, np.uint8).reshape(20, -1)[:, :320 * 180]
    assert [int(y.max()) for y in luma] == [235] * 10 + [255] * 10
    assert all(int(y.min()) == 16 for y in luma)


LINES_CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
got = []
cb = LOG(lambda user, level, msg: got.append(msg.decode()))
lib.wm_set_log_callback.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.wm_set_log_callback(cb, None)
m = ctypes.c_void_p()
lib.wm_mark_new(ctypes.byref(m))
s = lib.wm_mark_file(m, sys.argv[1].encode(), sys.argv[2].encode(), None)
print(s)
for g in got:
    print(g)
"""


def test_ffmpeg_lines_arrive_whole_and_joined_ts_is_marked(tmp_path):
    # Files joined with cat: the demuxer flags the packet at the junction
    # and says so in two pieces ("Packet corrupt (...)" then "."), which
    # must reach the callback as one line. The flagged packet is whole
    # (more of its stream follows), so the file is marked in full.
    joined, out = tmp_path / "cat.ts", tmp_path / "out.mp4"
    joined.write_bytes(b"".join(s.read_bytes() for s in ts_segments(tmp_path)))
    r = subprocess.run(
        [sys.executable, "-c", LINES_CHILD, str(joined), str(out)],
        env=dict(os.environ, WMARK_FFMPEG_LOG="1"), capture_output=True,
        text=True, check=True)
    status, *lines = r.stdout.splitlines()
    assert int(status) == WM_OK
    corrupt = [g for g in lines if "Packet corrupt" in g]
    assert corrupt and all(g.endswith(").") for g in corrupt)
    ffmpeg = [g for g in lines if "ffmpeg: " in g]
    assert ffmpeg and all(g.startswith(f"{joined}: ffmpeg: [") for g in ffmpeg)
    assert f"{joined}: ffmpeg: ." not in lines
    assert frames(out, 320, 180).shape[0] == 20


# ---- disclosure read back from every container written ----------------------


def wmark_program():
    prog = pathlib.Path(os.environ.get("WMARK_BUILD_ROOT", "")) / "tools" / \
        "wmark"
    return prog if prog.is_file() else None


@pytest.mark.parametrize("clip,fmt", [
    ("h264_aac.mp4", "mp4"), ("h264_aac.mp4", "mov"),
    ("h264_aac.mp4", "mkv"), ("vp9_opus.webm", "webm")])
def test_disclosure_read_back_so_marked_files_are_skipped(clips, tmp_path,
                                                          clip, fmt):
    # FFmpeg's MOV muxer drops the `description` tag: a MOV output once
    # probed as unmarked, and --skip-marked marked it a second time.
    out = tmp_path / f"out.{fmt}"
    assert mark(clips / clip, out, fmt=fmt) == (WM_OK, "")
    tags = probe(out)["format"]["tags"]
    assert any("digitalsourcetype/trainedAlgorithmicMedia" in v
               for v in tags.values())
    info = MediaInfo(size=ctypes.sizeof(MediaInfo))
    assert lib().wm_probe_file(str(out).encode(), ctypes.byref(info)) == 0
    assert info.format == fmt.encode()
    assert info.has_disclosure == 1
    assert info.source_type == b"trainedAlgorithmicMedia"

    prog = wmark_program()
    if prog is None:
        pytest.skip("the wmark program is not built")
    again = tmp_path / "again"
    r = subprocess.run([str(prog), "--skip-marked", str(out), "-o",
                        str(again)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "already carries the disclosure" in r.stderr
    assert not again.exists() or not any(again.iterdir())


def test_phone_mov_read_back_as_marked(corpus, tmp_path):
    out = tmp_path / "out.mov"
    assert mark(corpus / "iphone_rotated.mov", out) == (WM_OK, "")
    info = MediaInfo(size=ctypes.sizeof(MediaInfo))
    assert lib().wm_probe_file(str(out).encode(), ctypes.byref(info)) == 0
    assert info.format == b"mov" and info.has_disclosure == 1


# ---- VP8 bit rate -------------------------------------------------------------


VP8_CHILD = r"""
import ctypes, os, sys
lib = ctypes.CDLL(os.environ["WMARK_LIBRARY"])
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
got = []
cb = LOG(lambda user, level, msg: got.append(msg.decode()))
lib.wm_set_log_callback.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.wm_set_log_callback(cb, None)
m = ctypes.c_void_p()
lib.wm_mark_new(ctypes.byref(m))
for kv in sys.argv[3:]:
    assert lib.wm_mark_set(m, kv.encode(), None) == 0, kv
s = lib.wm_mark_file(m, sys.argv[1].encode(), sys.argv[2].encode(), None)
print(s)
for g in got:
    print(g)
"""


def mark_vp8_logged(src, out, *options):
    """Marks in a child process that routes FFmpeg's messages to the log
    callback; returns the messages."""
    r = subprocess.run(
        [sys.executable, "-c", VP8_CHILD, str(src), str(out), "threads=1",
         *options], env=dict(os.environ, WMARK_FFMPEG_LOG="1"),
        capture_output=True, text=True, check=True)
    status, *lines = r.stdout.splitlines()
    assert int(status) == WM_OK
    return lines


def bit_rate(path):
    return int(probe(path)["format"]["bit_rate"])


# One thread for every VP8 encode here: libvpx's VP8 encoder threads wait
# for each other by spinning, and on a machine with one CPU free a 30-frame
# encode with two threads was seen to spin for minutes.
@pytest.fixture(scope="module")
def vp8_clip(tmp_path_factory):
    src = tmp_path_factory.mktemp("vp8") / "vp8.webm"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30",
           "-frames:v", str(N), "-pix_fmt", "yuv420p", "-c:v", "libvpx",
           "-deadline", "realtime", "-cpu-used", "8", "-threads", "1",
           "-b:v", "1500k", "-crf", "10", str(src))
    return src


def test_vp8_bit_rate_follows_the_crf(vp8_clip, tmp_path):
    # libvpx's VP8 caps constrained quality at 256 kbit/s when given no
    # bit rate: whatever the CRF, the output came out at a quarter of the
    # input's rate, blocky.
    out = tmp_path / "out.webm"
    lines = mark_vp8_logged(vp8_clip, out, "crf=20")
    assert probe(out)["streams"][0]["codec_name"] == "vp8"
    assert 0.6 < bit_rate(out) / bit_rate(vp8_clip) < 3
    assert not [g for g in lines if "Bitrate not specified" in g]
    assert frames(out, W, H).shape[0] == N


def test_vp8_bit_rate_of_the_encoder_params_wins(vp8_clip, tmp_path):
    out = tmp_path / "out.webm"
    mark_vp8_logged(vp8_clip, out, "crf=20", "encoder-params=b=200k")
    assert bit_rate(out) < 0.4 * bit_rate(vp8_clip)


def test_last_frame_keeps_its_duration(corpus, tmp_path):
    # The encoder returns packets without durations, and the MP4 muxer
    # then guessed the last picture's: 0.196 s of video became 0.205 s.
    src, out = corpus / "android_90rotation.mp4", tmp_path / "out.mp4"
    assert mark(src, out) == (WM_OK, "")
    durations = [(s["codec_type"], s["duration"])
                 for s in probe(src)["streams"]]
    assert [(s["codec_type"], s["duration"])
            for s in probe(out)["streams"]] == durations


def test_subtitles_of_fragmented_mp4_keep_their_times(tmp_path):
    # FFmpeg's demuxer gives these cues no duration; copied as they came,
    # the MP4 muxer showed each for no time at all.
    srt, src = tmp_path / "s.srt", tmp_path / "frag.mp4"
    out = tmp_path / "out.mp4"
    srt.write_text("1\n00:00:00,100 --> 00:00:00,400\nhello\n\n"
                   "2\n00:00:00,600 --> 00:00:00,900\nworld\n")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-i",
           str(srt), "-frames:v", "25", "-pix_fmt", "yuv420p", "-c:v",
           "libx264", "-preset", "ultrafast", "-threads", "2", "-c:s",
           "mov_text", "-movflags", "frag_keyframe+empty_moov", str(src))
    assert mark(src, out) == (WM_OK, "")
    cues = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(out), "-map",
         "0:s", "-f", "srt", "-"], check=True, capture_output=True,
        text=True).stdout
    assert cues.split() == srt.read_text().split()
    assert frames(out, 160, 90).shape[0] == 25
