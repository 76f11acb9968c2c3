"""A batch of 200 images with corrupt ones mixed in, and interruptions."""
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import time

import pytest
from PIL import Image, ImageChops

from conftest import corpus, corrupt_variants, decodes, leftovers, make_image


def make_batch(d, n_good=200, n_bad=15):
    d.mkdir()
    good, bad = [], []
    variants = corrupt_variants()
    for i in range(n_good):
        ext = '.png' if i % 3 == 0 else '.jpg'
        name = 'img%03d%s' % (i, ext)
        make_image(str(d / name), (48 + i % 40, 40 + i % 23), seed=i)
        good.append(name)
    for i in range(n_bad):
        name = 'bad%02d%s' % (i, '.jpg' if i % 2 else '.png')
        (d / name).write_bytes(variants[i % len(variants)])
        bad.append(name)
    return good, bad


def marked_bottom_right(src, dst):
    """The output decodes, has the input's size, and differs from it in
    the bottom-right quarter, where the default mark goes."""
    with Image.open(src) as a, Image.open(dst) as b:
        assert a.size == b.size
        box = ImageChops.difference(a.convert('RGB'),
                                    b.convert('RGB')).getbbox()
    return box is not None and box[2] > a.size[0] // 2 and \
        box[3] > a.size[1] // 2


def test_batch_of_200_with_corrupt_files(run, tmp_path):
    good, bad = make_batch(tmp_path / 'in')
    out = tmp_path / 'out'
    r = run('-j', '2', '-o', out, *sorted((tmp_path / 'in').iterdir()))
    assert r.returncode == 1
    assert sorted(os.listdir(out)) == sorted(good)
    for name in good:
        assert marked_bottom_right(tmp_path / 'in' / name, out / name), name
    lines = r.stderr.decode().splitlines()
    for name in bad:
        mine = [line for line in lines if name in line]
        assert len(mine) == 1, (name, mine)
        assert mine[0].startswith('wmark: ')
    assert len(r.stdout.splitlines()) == len(good)
    assert leftovers(tmp_path) == []
    # Everything done is skipped on a rerun; only the bad ones fail again.
    r = run('-j', '2', '--json', '-o', out,
            *sorted((tmp_path / 'in').iterdir()))
    report = json.loads(r.stdout)
    assert r.returncode == 1
    assert report['skipped'] == len(good) and report['failed'] == len(bad)
    assert len(report['files']) == len(good) + len(bad)


def test_recursive_batch_with_progress_lines(run, tmp_path):
    good, bad = make_batch(tmp_path / 'in', n_good=30, n_bad=3)
    r = run('-r', '--progress', '-j', '2', tmp_path / 'in', '-o',
            tmp_path / 'out')
    assert r.returncode == 1
    assert b'elapsed' in r.stderr and b'left' in r.stderr
    assert b'30 marked' in r.stderr
    r = run('-q', '-r', '-j', '2', tmp_path / 'in', '-o', tmp_path / 'out2')
    assert r.stdout == b''
    assert 1 <= len(r.stderr.splitlines()) <= len(bad)
    assert all(line.startswith(b'wmark: ') and b'bad' in line
               for line in r.stderr.splitlines())


def real_batch(d, n):
    d.mkdir()
    src = corpus('images', 'orientation', 'Landscape_1.jpg')
    for i in range(n):
        shutil.copyfile(src, d / ('photo%03d.jpg' % i))


@pytest.mark.parametrize('sig,status', [(signal.SIGINT, 130),
                                        (signal.SIGTERM, 143),
                                        (signal.SIGHUP, 129)])
def test_interrupt_leaves_no_partial_files_and_rerun_completes(
        wmark, tmp_path, sig, status):
    n = 100
    real_batch(tmp_path / 'in', n)
    out = tmp_path / 'out'
    argv = [wmark, '-j', '2', '-q', '-r', str(tmp_path / 'in'), '-o', str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.exists() or
                                      len(os.listdir(out)) < 3):
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert b'interrupted' in err
    done = os.listdir(out)
    assert 0 < len(done) < n, 'the batch was not interrupted in the middle'
    assert leftovers(tmp_path) == []
    for name in done:
        assert decodes(out / name) == (1800, 1200)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(os.listdir(out)) == n
    assert leftovers(tmp_path) == []


def test_file_size_limit_is_a_reported_failure(wmark, tmp_path):
    """SIGXFSZ is ignored: the write error names the file, nothing partial
    remains, and the small file that fits is still marked."""
    big = tmp_path / 'big.jpg'
    shutil.copyfile(corpus('images', 'orientation', 'Landscape_1.jpg'), big)
    small = make_image(str(tmp_path / 'small.png'), (32, 24))
    limit = 64 * 1024

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([wmark, '-o', str(tmp_path / 'out'), str(big), small],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       preexec_fn=cap, timeout=60)
    assert r.returncode == 1, r.stderr
    assert b'big.jpg' in r.stderr
    assert os.listdir(tmp_path / 'out') == ['small.png']
    assert leftovers(tmp_path) == []


def interrupt_mid_encode(wmark, src, out):
    """Runs wmark with a progress bar on one video and sends SIGINT once
    the bar shows the video's own frame progress; returns (exit status,
    everything printed on stderr)."""
    bar = re.compile(rb'%s +(\d+/\?|\d+/\d+|\d+%%)' %
                     re.escape(os.path.basename(str(src)).encode()))
    proc = subprocess.Popen([wmark, '--progress', '-o', str(out), str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, deadline = b'', time.time() + 60
    while time.time() < deadline and proc.poll() is None and \
            not bar.search(seen):
        if select.select([proc.stderr], [], [], 1)[0]:
            seen += os.read(proc.stderr.fileno(), 65536)
    assert bar.search(seen), seen[-300:]
    assert proc.poll() is None, 'finished before it could be interrupted'
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, seen + err


def test_interrupted_video_leaves_nothing(wmark, tmp_path):
    """The bar shows the video's own frame progress; SIGINT in the middle
    of the encode leaves neither an output nor a temporary file."""
    src = tmp_path / 'flower.webm'
    shutil.copyfile(corpus('video', 'flower.webm'), src)
    out = tmp_path / 'out'
    status, err = interrupt_mid_encode(wmark, src, out)
    assert status == 130, err
    assert os.listdir(out) == []


def summary_counts(stderr):
    """(marked, failed, skipped, passed over without a line) of the
    summary line."""
    m = re.search(r'wmark: (\d+) marked, (\d+) failed, (\d+) skipped'
                  r'(?: \((\d+) not media, links or earlier outputs: -v '
                  r'lists (?:it|them)\))? in ', stderr)
    assert m, stderr
    return tuple(int(g or 0) for g in m.groups())


def test_skip_counts_agree_with_lines(run, tmp_path):
    """Marked outputs, files that are no media, images and damaged
    images in one folder: the summary, the lines and the JSON agree."""
    mix = tmp_path / 'mix'
    mix.mkdir()
    for i in range(3):
        make_image(str(mix / ('img%d.jpg' % i)), seed=i)
    (mix / 'notes.txt').write_text('not a picture\n')
    (mix / 'bad.jpg').write_bytes(corrupt_variants()[0])
    assert run(mix / 'img0.jpg').returncode == 0  # mix/img0.marked.jpg
    out = tmp_path / 'out'
    (out).mkdir()
    make_image(str(out / 'img1.jpg'), seed=9)  # an existing output
    for flags in ([], ['-v'], ['--json']):
        r = run('-r', mix, '-o', out, *flags)
        err = r.stderr.decode()
        skip_lines = [ln for ln in err.splitlines() if ': skipped: ' in ln]
        marked, failed, skipped, unlisted = summary_counts(err)
        assert (marked, failed) == (2, 1), err
        # img1.jpg (output exists); notes.txt and img0.marked.jpg have a
        # line only with -v, and are counted either way.
        assert skipped == 3, err
        assert len(skip_lines) + unlisted == skipped, err
        assert len(skip_lines) == (3 if flags == ['-v'] else 1), err
        if flags == ['--json']:
            report = json.loads(r.stdout)
            assert report['skipped'] == skipped
            assert (report['ok'], report['failed']) == (marked, failed)
        for name in ('img0.jpg', 'img2.jpg'):
            os.unlink(out / name)


def test_damaged_videos_one_line_each_and_notes_named(run, tmp_path):
    """Truncated videos marked side by side: by default one line per file
    and nothing of FFmpeg's own warnings; with -v every note is a whole
    line that names the file it is about."""
    src = tmp_path / 'cut'
    src.mkdir()
    names = ['android_90rotation.mp4', 'bear_h264_aac.mp4', 'flower.mp4',
             'iphone_rotated.mov']
    for name in names:
        data = open(corpus('video', name), 'rb').read()
        (src / name).write_bytes(data[:len(data) * 6 // 10])
    files = [src / n for n in names]
    r = run('-j', '2', '-o', tmp_path / 'out', *files)
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 1, r.stderr
    assert 'ffmpeg' not in r.stderr.decode(), r.stderr
    failed = [ln for ln in lines if not ln.startswith('wmark: 0 marked')]
    assert sorted(failed) == sorted(set(failed)) and len(failed) == 4, lines
    for name in names:
        assert sum(name in ln for ln in failed) == 1, (name, lines)
    named = re.compile(r'wmark: %s/[^:]+: warning: ' % re.escape(str(src)))
    for _ in range(3):
        r = run('-v', '-j', '2', '-o', tmp_path / 'out', *files)
        notes = [ln for ln in r.stderr.decode().splitlines()
                 if 'warning: ' in ln]
        assert any('ffmpeg: ' in ln for ln in notes), r.stderr
        # Whole lines, one prefix each, and every one names its file,
        # those of FFmpeg's own decoding threads too.
        for ln in notes:
            assert ln.count('wmark: ') == 1 and named.match(ln), ln
            assert ln.count(str(src)) == 1, ln


def test_interrupted_av1_encode_prints_nothing_of_the_encoder(wmark, tmp_path):
    """An encoder stopped mid-stream is told the stream ends: SVT-AV1
    otherwise prints its own complaint on stderr."""
    src = tmp_path / 'bear.webm'
    shutil.copyfile(corpus('video', 'bear_av1_vorbis.webm'), src)
    out = tmp_path / 'out'
    status, err = interrupt_mid_encode(wmark, src, out)
    assert status == 130, err
    assert b'Svt' not in err, err
    assert os.listdir(out) == []
