"""Standard streams (videos through stdin/stdout, terminals, closed pipes),
folder walks (earlier outputs, refused formats, empty sub-folders, the
descriptor limit), `text`/`info` flags and setup errors."""
import os
import pty
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import copy_corpus, corpus, decodes, leftovers, make_image


def spool_files(directory):
    return [f for f in os.listdir(directory) if f.startswith('wmark-stdin')]


def probe(path):
    """(format name, frame count) of a video, read by ffprobe."""
    ffprobe = shutil.which('ffprobe')
    if not ffprobe:
        pytest.skip('ffprobe not installed')
    out = subprocess.run(
        [ffprobe, '-v', 'error', '-count_frames', '-select_streams', 'v:0',
         '-show_entries', 'format=format_name:stream=nb_read_frames',
         '-of', 'default=nw=1:nk=1', str(path)],
        stdout=subprocess.PIPE, check=True, timeout=60).stdout.split()
    return out[-1].decode(), int(out[0])


@pytest.mark.parametrize('name, fmt', [('android_90rotation.mp4', 'mp4'),
                                       ('gst_mse.webm', 'webm')])
def test_video_through_stdin_to_stdout(wmark, tmp_path, name, fmt):
    src = corpus('video', name)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = tmp_path / ('out.' + fmt)
    # stdout is a pipe, as in `wmark - < clip | consumer`: not seekable.
    with open(src, 'rb') as f_in:
        p = subprocess.Popen([wmark, '-'], stdin=f_in, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        data, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    out.write_bytes(data)
    fmt_name, frames = probe(out)
    assert fmt in fmt_name
    assert frames == probe(src)[1]
    if fmt == 'mp4':
        assert b'moof' in data  # fragmented: written without seeking
    assert spool_files(tmp_path) == []


def test_interrupted_stdin_video_leaves_no_copy(wmark, tmp_path):
    head = open(corpus('video', 'flower.mp4'), 'rb').read(200000)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    p = subprocess.Popen([wmark, '-'], stdin=subprocess.PIPE, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(head)
    p.stdin.flush()
    for _ in range(100):
        if spool_files(tmp_path):
            break
        time.sleep(0.05)
    assert spool_files(tmp_path), 'no private copy was made'
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert out == b''
    assert b'1 file not finished' in err, err
    assert spool_files(tmp_path) == []


def test_name_dash_is_a_usage_error(run, tmp_path):
    src = make_image(str(tmp_path / 'a.jpg'))
    for flag in ('-n', '--name'):
        r = run(flag, '-', src)
        assert r.returncode == 2, r.stderr
        assert b"'-'" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ['a.jpg']
    # A file really named "-" is still an input when written ./-
    shutil.copyfile(src, tmp_path / '-')
    r = run('./-', '-o', 'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert decodes(tmp_path / 'out' / '-')


def test_stdin_with_output_dir_or_twice_is_a_usage_error(run, tmp_path):
    data = open(make_image(str(tmp_path / 'a.jpg')), 'rb').read()
    r = run('-', '-o', tmp_path / 'dd', input=data)
    assert r.returncode == 2 and b'standard output' in r.stderr
    assert r.stdout == b'' and not (tmp_path / 'dd').exists()
    r = run('-', '-', input=data)
    assert r.returncode == 2 and b'only once' in r.stderr
    assert r.stdout == b''


def test_image_data_is_not_written_to_a_terminal(wmark, tmp_path):
    data = open(make_image(str(tmp_path / 'a.jpg')), 'rb').read()
    master, slave = pty.openpty()
    try:
        p = subprocess.run([wmark, '-'], input=data, stdout=slave,
                           stderr=subprocess.PIPE, timeout=60)
        os.set_blocking(master, False)
        try:
            shown = os.read(master, 65536)
        except BlockingIOError:
            shown = b''
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 2, p.stderr
    assert b'terminal' in p.stderr
    assert b'JFIF' not in shown and len(shown) < 100


def test_closed_stdout_names_the_cause(wmark, tmp_path):
    data = open(make_image(str(tmp_path / 'a.jpg'), (640, 480)), 'rb').read()
    rfd, wfd = os.pipe()
    os.close(rfd)
    try:
        p = subprocess.run([wmark, '-'], input=data, stdout=wfd,
                           stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(wfd)
    assert p.returncode == 1
    assert b'<stdout>: write failed: ' + os.strerror(32).encode() \
        in p.stderr, p.stderr


def test_text_keeps_final_newline(run):
    r = run('text', input=b'Hello there.\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b'Hello there.')
    assert r.stdout.endswith(b'\n') and not r.stdout.endswith(b'\n\n')
    assert b'AI' in r.stdout
    r = run('text', input=b'No newline')
    assert r.returncode == 0 and not r.stdout.endswith(b'\n')


@pytest.mark.parametrize('args', [
    ['text', '--json'], ['text', '-o', 'x'], ['text', '-r'],
    ['text', '--in-place'], ['text', '-j', '2'], ['text', '--force'],
    ['info', '-r', 'x.jpg'], ['info', '--text=hi', 'x.jpg'],
    ['info', '-o', 'd', 'x.jpg']])
def test_flags_that_do_not_apply_are_usage_errors(run, args):
    r = run(*args, input=b'Hello\n')
    assert r.returncode == 2, (args, r.stderr)
    assert r.stdout == b''


def test_text_takes_mark_and_quiet_flags(run):
    r = run('text', '-q', '--text-format', 'markdown', input=b'Hi\n')
    assert r.returncode == 0, r.stderr


def test_bad_output_dir_is_a_setup_error(run, tmp_path):
    src = make_image(str(tmp_path / 'a.jpg'))
    (tmp_path / 'file').write_bytes(b'x')
    for outdir in (tmp_path / 'file', '/proc/nope'):
        r = run(src, '-o', outdir)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.decode().splitlines()
        assert len(lines) == 1 and str(outdir) in lines[0], lines


def test_recursive_with_outdir_skips_earlier_outputs(run, tmp_path):
    src = tmp_path / 'rr'
    src.mkdir()
    make_image(str(src / 'a.jpg'))
    r = run(src / 'a.jpg')
    assert r.returncode == 0, r.stderr
    assert (src / 'a.marked.jpg').exists()
    r = run('-r', src, '-o', tmp_path / 'rrout')
    assert r.returncode == 0, r.stderr
    assert os.listdir(tmp_path / 'rrout') == ['a.jpg']
    # Named on the command line, an earlier output is marked as asked.
    r = run(src / 'a.marked.jpg', '-o', tmp_path / 'named')
    assert r.returncode == 0, r.stderr
    assert os.listdir(tmp_path / 'named') == ['a.marked.jpg']


def test_recursive_reports_refused_formats_not_other_files(run, tmp_path):
    src = tmp_path / 'in'
    (src / 'gifs').mkdir(parents=True)
    (src / 'docs').mkdir()
    make_image(str(src / 'a.jpg'))
    make_image(str(src / 'gifs' / 'anim.gif'), fmt='GIF')
    make_image(str(src / 'gifs' / 'scan.tiff'), fmt='TIFF')
    (src / 'docs' / 'notes.txt').write_bytes(b'just some notes\n' * 20)
    r = run('-r', src, '-o', tmp_path / 'out')
    assert r.returncode == 1
    err = r.stderr.decode()
    assert 'anim.gif: GIF is not handled' in err, err
    assert 'scan.tiff: TIFF is not handled' in err, err
    assert 'notes.txt' not in err
    named = run(src / 'gifs' / 'anim.gif', '-o', tmp_path / 'out2')
    assert named.returncode == 1
    assert 'anim.gif: GIF is not handled' in named.stderr.decode()
    # Folders with nothing written get no empty copy under -o.
    assert os.listdir(tmp_path / 'out') == ['a.jpg']
    v = run('-v', '-r', src, '-o', tmp_path / 'out3')
    assert 'notes.txt' in v.stderr.decode()


def test_many_jobs_under_a_low_descriptor_limit(wmark, tmp_path):
    src = tmp_path / 'in'
    src.mkdir()
    make_image(str(src / 'base.jpg'), (320, 240))
    for i in range(150):
        shutil.copyfile(src / 'base.jpg', src / ('%03d.jpg' % i))
    os.unlink(src / 'base.jpg')

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    p = subprocess.run([wmark, '-q', '-j', '64', '-r', str(src), '-o',
                        str(tmp_path / 'out')], preexec_fn=limit,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=240)
    assert p.returncode == 0, p.stderr[-2000:]
    assert len(os.listdir(tmp_path / 'out')) == 150
    assert leftovers(tmp_path) == []


def test_boolean_spelling_is_documented_as_parsed(run, tmp_path):
    """`--box false` takes `false` as an input: the docs must say to write
    --box=false or --no-box, and never that a lone boolean flag is all."""
    root = os.environ['WMARK_SOURCE_ROOT']
    readme = open(os.path.join(root, 'README.md')).read()
    cli = readme.split('<!-- section: cli -->')[1].split('<!-- end: cli')[0]
    page = open(os.path.join(root, 'tools', 'wmark.1')).read() \
        .replace('\\-', '-').replace('\\fB', '').replace('\\fR', '')
    help_text = run('--help').stdout.decode()
    for text in (cli, page, help_text):
        assert '--box=false' in text and '--no-box' in text
        assert 'given alone means true' not in ' '.join(text.split())
    make_image(str(tmp_path / 'a.jpg'))
    r = run('--box', 'false', 'a.jpg', cwd=tmp_path)
    assert r.returncode == 1 and b'false' in r.stderr
    r = run('--box=false', 'a.jpg', cwd=tmp_path)
    assert r.returncode == 0, r.stderr


_VIDEO_THROUGH_IO = r"""
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
data = open(sys.argv[2], 'rb').read()
READ = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p,
                        ctypes.c_size_t)
WRITE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                         ctypes.c_size_t)
class Reader(ctypes.Structure):
    _fields_ = [('size', ctypes.c_size_t), ('user', ctypes.c_void_p),
                ('read', READ), ('name', ctypes.c_char_p)]
class Writer(ctypes.Structure):
    _fields_ = [('size', ctypes.c_size_t), ('user', ctypes.c_void_p),
                ('write', WRITE), ('name', ctypes.c_char_p)]
pos = [0]
def read(user, buf, n):
    chunk = data[pos[0]:pos[0] + n]
    ctypes.memmove(buf, chunk, len(chunk))
    pos[0] += len(chunk)
    return len(chunk)
r = Reader(ctypes.sizeof(Reader), None, READ(read), b'<clip>')
w = Writer(ctypes.sizeof(Writer), None, WRITE(lambda u, b, n: 0), b'<out>')
mark = ctypes.c_void_p()
assert lib.wm_mark_new(ctypes.byref(mark)) == 0
lib.wm_mark_io(mark, ctypes.byref(r), ctypes.byref(w), None)
lib.wm_last_error.restype = ctypes.c_char_p
print(lib.wm_last_error().decode())
"""


def test_video_message_of_the_stream_api_reads_well():
    """wm_mark_io refuses videos; its message once read "a MP4/MOV"."""
    r = subprocess.run([sys.executable, '-c', _VIDEO_THROUGH_IO,
                        os.environ['WMARK_LIBRARY'],
                        corpus('video', 'android_90rotation.mp4')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if r.returncode != 0 and b'ASan runtime' in r.stderr + r.stdout:
        pytest.skip('a sanitizer build cannot be loaded into Python')
    assert r.returncode == 0, r.stderr
    msg = r.stdout.decode()
    assert 'MP4/MOV' in msg and 'videos are marked from files' in msg, msg
    assert 'a MP4' not in msg


def test_stdin_of_no_known_format_refused_from_its_first_bytes(wmark):
    """An endless stream of zeros is refused once its first bytes are
    read, not after reading up to the 1 GiB limit."""
    rd, wr = os.pipe()
    p = subprocess.Popen([wmark, '-'], stdin=rd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.close(rd)
    written, chunk = 0, bytes(1 << 20)
    try:
        while written < (64 << 20):
            written += os.write(wr, chunk)
    except BrokenPipeError:
        pass
    finally:
        os.close(wr)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1
    assert b'not an image or video this library knows' in err, err
    assert written < (8 << 20), written


def test_interrupted_stdout_video_says_output_is_incomplete(wmark, tmp_path):
    """Once a video from standard input streams to standard output, an
    interruption cannot take it back, and the message says so."""
    src = corpus('video', 'tears-of-steel-battle-clip-medium.webm')
    env = dict(os.environ, TMPDIR=str(tmp_path))
    with open(src, 'rb') as f:
        p = subprocess.Popen([wmark, '-'], stdin=f, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = p.stdout.read(4096)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert first, err
    assert p.returncode == 130, err
    assert b'what reached standard output is incomplete' in err, err
    assert b'nothing of it written' not in err, err
    assert spool_files(tmp_path) == []


def test_interrupt_after_stdin_video_finished_names_the_rest(wmark, tmp_path):
    """Standard input marked in full, then Ctrl-C during the next file: the
    summary speaks of that file, not of standard output."""
    small = corpus('video', 'android_90rotation.mp4')
    big = tmp_path / 'big.webm'
    shutil.copyfile(corpus('video', 'tears-of-steel-battle-clip-medium.webm'),
                    big)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    with open(small, 'rb') as f, open(tmp_path / 'out.mp4', 'wb') as out:
        p = subprocess.Popen([wmark, '-j', '1', '--progress', '-', str(big)],
                             stdin=f, stdout=out, stderr=subprocess.PIPE,
                             env=env)
        seen, deadline = b'', time.time() + 60
        while time.time() < deadline and p.poll() is None and \
                not re.search(rb'big\.webm +\d+/', seen):
            seen += os.read(p.stderr.fileno(), 65536)
        assert p.poll() is None, seen
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert b'1 file not finished' in err, err
    assert b'standard output is incomplete' not in err, err
    assert probe(tmp_path / 'out.mp4') == \
        ('mov,mp4,m4a,3gp,3g2,mj2', probe(small)[1])
