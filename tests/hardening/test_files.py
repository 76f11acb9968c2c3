"""Hostile files: truncated inputs, headers that declare huge pictures, and
outputs that cannot be written completely."""
import faulthandler
import json
import os
import resource
import signal
import subprocess
import sys

import pytest
from PIL import Image

import wmlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data')
CRAFTED = os.path.join(HERE, 'crafted')
BUILD = os.environ.get('WMARK_BUILD_ROOT', '.')
REPORT_DIR = os.path.join(BUILD, 'tests', 'hardening')
UNDER_ASAN = 'asan' in os.environ.get('LD_PRELOAD', '')

# Real files, one per container; the MP4 is a 1080p H.264 phone clip.
SAMPLES = {
    'png': 'exif2c08.png',
    'jpeg': 'paris_exif_xmp_icc.jpg',
    'webp': 'hopper_orientation_6.webp',
    'mp4': 'android_90rotation.mp4',
}
CUT_STEP = 2      # percent of the length
CALL_LIMIT = 120  # seconds one call may take before it counts as a hang


def decodes(path, kind):
    """True when the whole file decodes (images with PIL, video with
    ffmpeg)."""
    if kind == 'mp4':
        r = subprocess.run(['ffmpeg', '-v', 'error', '-threads', '1', '-i',
                            path, '-f', 'null', '-'],
                           capture_output=True, text=True, check=False)
        return r.returncode == 0 and not r.stderr.strip()
    try:
        with Image.open(path) as img:
            img.load()
        return True
    except (OSError, SyntaxError, ValueError):
        return False


def mark_guarded(src, dst, options=()):
    """wm_mark_file with a watchdog that ends the process on a hang."""
    faulthandler.dump_traceback_later(CALL_LIMIT, exit=True)
    try:
        return wmlib.mark_file(src, dst, options)
    finally:
        faulthandler.cancel_dump_traceback_later()


def sweep(kind, tmp_path):
    """Marks the sample cut at every CUT_STEP percent; returns rows of
    (percent, bytes, outcome)."""
    src = os.path.join(DATA, SAMPLES[kind])
    with open(src, 'rb') as f:
        data = f.read()
    ext = os.path.splitext(src)[1]
    rows = []
    for pct in range(CUT_STEP, 101, CUT_STEP):
        n = len(data) * pct // 100
        cut = tmp_path / f'cut-{pct:03d}{ext}'
        out = tmp_path / f'out-{pct:03d}{ext}'
        cut.write_bytes(data[:n])
        status, message = mark_guarded(str(cut), str(out), ['threads=1'])
        if status == 'OK':
            assert decodes(str(out), kind), f'{cut.name}: undecodable output'
            rows.append((pct, n, 'marked'))
            out.unlink()
        else:
            assert cut.name in message, \
                f'{cut.name}: message does not name the file: {message}'
            assert 'Read Error' not in message, message
            assert status != 'INTERNAL', message
            assert not out.exists(), f'{cut.name}: failed but left output'
            rows.append((pct, n, f'refused ({status})'))
        cut.unlink()
    assert not [p for p in tmp_path.iterdir()], 'temporary files left'
    return rows


def write_report(kind, rows):
    os.makedirs(REPORT_DIR, exist_ok=True)
    path = os.path.join(REPORT_DIR, f'truncation-{kind}.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({'file': SAMPLES[kind], 'rows': rows}, f, indent=1)
    marked = [r[0] for r in rows if r[2] == 'marked']
    print(f'{kind}: marked at {marked} percent; full rows in {path}')


@pytest.mark.parametrize('kind', sorted(SAMPLES))
def test_truncation(kind, tmp_path):
    rows = sweep(kind, tmp_path)
    write_report(kind, rows)
    assert rows[-1][2] == 'marked', 'the whole file must be marked'


def run_limited(args, limits, env=None):
    """Runs a child with resource limits and SIGXFSZ ignored, so that an
    oversized write fails with EFBIG instead of killing it."""
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        for which, value in limits.items():
            resource.setrlimit(which, (value, value))
    return subprocess.run(args, preexec_fn=setup, capture_output=True,
                          text=True, timeout=CALL_LIMIT, env=env,
                          check=False)


# A WebP cannot exceed 16383 x 16383, under the default pixel limit, so its
# bomb is checked against the limit a service would set.
CRAFTED_FILES = {
    'png-65535x65535-rgba.png': [],
    'jpeg-65500x65500.jpg': [],
    'webp-16383x16383-bomb.webp': ['max-pixels=16777216'],
}


@pytest.mark.parametrize('name', sorted(CRAFTED_FILES))
def test_crafted_header(name, tmp_path):
    """Refused from the header: TOO_LARGE, not a failed allocation. The
    address-space limit (1 GiB, below any of these pictures) makes an
    attempt to allocate the pixels fail instead of succeeding lazily; it
    cannot be used under ASan, whose shadow memory needs more."""
    src = os.path.join(CRAFTED, name)
    out = tmp_path / ('out' + os.path.splitext(name)[1])
    limits = {} if UNDER_ASAN else {resource.RLIMIT_AS: 1 << 30}
    r = run_limited([sys.executable, os.path.join(HERE, 'wmlib.py'), 'mark',
                     src, str(out)] + CRAFTED_FILES[name], limits)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result['status'] == 'TOO_LARGE', result
    assert name in result['message'], result
    assert not out.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize('scheme', ['otmpfile', 'named'])
@pytest.mark.parametrize('kind', sorted(SAMPLES))
def test_write_failure(kind, scheme, tmp_path):
    """A file size limit below the output's size: a clear error naming the
    output and the cause, and nothing left in the folder."""
    src = os.path.join(DATA, SAMPLES[kind])
    out = tmp_path / ('out' + os.path.splitext(src)[1])
    env = dict(os.environ, WMARK_TMPFILE=scheme)
    r = run_limited([sys.executable, os.path.join(HERE, 'wmlib.py'), 'mark',
                     src, str(out), 'threads=1'],
                    {resource.RLIMIT_FSIZE: 1024}, env)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result['status'] == 'IO', result
    assert 'out' in result['message'], result
    assert 'File too large' in result['message'], result
    assert not list(tmp_path.iterdir()), 'left behind: %s' % list(
        tmp_path.iterdir())
