"""Marking real files: names of outputs, -o, -r, --in-place, --force,
--skip-marked, --json, standard input and output, `info` and `text`."""
import io
import json
import os
import subprocess

from PIL import Image, ImageChops

from conftest import copy_corpus, corpus, decodes, leftovers, make_image


def changed(a, b):
    with Image.open(a) as x, Image.open(b) as y:
        assert x.size == y.size
        return ImageChops.difference(x.convert('RGB'),
                                     y.convert('RGB')).getbbox()


def test_real_jpeg_next_to_input(run, tmp_path):
    src = copy_corpus(tmp_path, 'images', 'orientation', 'Landscape_1.jpg')
    before = open(src, 'rb').read()
    r = run(src)
    assert r.returncode == 0, r.stderr
    out = tmp_path / 'Landscape_1.marked.jpg'
    assert r.stdout.decode().strip() == str(out)
    assert decodes(out) == (1800, 1200)
    box = changed(src, out)
    assert box and box[2] > 1800 // 2 and box[3] > 1200 // 2  # bottom-right
    assert open(src, 'rb').read() == before
    assert leftovers(tmp_path) == []


def test_output_dir_keeps_names_and_png(run, tmp_path):
    src = copy_corpus(tmp_path, 'png', 'paris_icc_exif_xmp.png')
    jpg = make_image(str(tmp_path / 'small.jpg'), (320, 240))
    r = run(src, jpg, '-o', tmp_path / 'out' / 'deep')
    assert r.returncode == 0, r.stderr
    assert decodes(tmp_path / 'out' / 'deep' / 'paris_icc_exif_xmp.png')
    assert changed(jpg, tmp_path / 'out' / 'deep' / 'small.jpg')


def test_recursive_keeps_structure(run, tmp_path):
    src = tmp_path / 'src'
    (src / 'a' / 'b').mkdir(parents=True)
    make_image(str(src / 'top.png'), (200, 150))
    make_image(str(src / 'a' / 'one.jpg'), (200, 150))
    make_image(str(src / 'a' / 'b' / 'two.png'), (200, 150))
    (src / 'a' / 'notes.txt').write_text('not a picture\n')
    r = run('-r', src, '-o', tmp_path / 'out')
    assert r.returncode == 0, r.stderr
    got = sorted(str(p.relative_to(tmp_path / 'out'))
                 for p in (tmp_path / 'out').rglob('*') if p.is_file())
    assert got == ['a/b/two.png', 'a/one.jpg', 'top.png']


def test_folder_without_r_is_reported(run, tmp_path):
    (tmp_path / 'd').mkdir()
    r = run(tmp_path / 'd')
    assert r.returncode == 1
    assert b'-r' in r.stderr


def test_name_template_and_format(run, tmp_path):
    src = make_image(str(tmp_path / 'pic.jpg'), (200, 150))
    r = run('--name', '{stem}-ai{ext}', src)
    assert r.returncode == 0, r.stderr
    assert decodes(tmp_path / 'pic-ai.jpg')
    r = run('--format', 'png', src)
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / 'pic.marked.png') as img:
        assert img.format == 'PNG'


def test_existing_output_needs_force(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (200, 150))
    out = tmp_path / 'p.marked.png'
    out.write_bytes(b'keep me')
    r = run(src)
    assert r.returncode == 0
    assert b'--force' in r.stderr
    assert out.read_bytes() == b'keep me'
    r = run('-f', src)
    assert r.returncode == 0, r.stderr
    assert decodes(out) == (200, 150)


def test_in_place(run, tmp_path):
    src = copy_corpus(tmp_path, 'images', 'jpeg', 'flower.jpg')
    keep = tmp_path / 'orig.jpg'
    keep.write_bytes(open(src, 'rb').read())
    r = run('--in-place', src)
    assert r.returncode == 0, r.stderr
    assert changed(keep, src)
    assert sorted(os.listdir(tmp_path)) == ['flower.jpg', 'orig.jpg']


def test_skip_marked(run, tmp_path):
    src = make_image(str(tmp_path / 'p.jpg'), (200, 150))
    assert run(src).returncode == 0
    marked = str(tmp_path / 'p.marked.jpg')
    r = run('--skip-marked', '--json', marked, src, '-o', tmp_path / 'o')
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    status = {os.path.basename(f['input']): f['status']
              for f in report['files']}
    assert status == {'p.marked.jpg': 'skipped', 'p.jpg': 'ok'}


def test_json_report(run, tmp_path):
    good = make_image(str(tmp_path / 'good.png'), (120, 90))
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'\xff\xd8\xff\xe0 garbage')
    r = run('--json', good, bad, tmp_path / 'missing.png', '-o',
            tmp_path / 'out')
    assert r.returncode == 1
    report = json.loads(r.stdout)
    files = {os.path.basename(f['input']): f for f in report['files']}
    assert files['good.png']['status'] == 'ok'
    assert files['good.png']['output'].endswith('out/good.png')
    assert files['good.png']['time'] >= 0
    assert files['bad.jpg']['status'] == 'failed'
    assert files['bad.jpg']['message']
    assert files['missing.png']['status'] == 'failed'
    assert report['ok'] == 1 and report['failed'] == 2
    assert report['exit_status'] == 1
    assert not (tmp_path / 'out' / 'bad.jpg').exists()


def test_stdin_to_stdout(run, tmp_path):
    data = open(corpus('images', 'jpeg', 'flower.jpg'), 'rb').read()
    r = run('-', input=data)
    assert r.returncode == 0, r.stderr
    with Image.open(io.BytesIO(r.stdout)) as img:
        assert img.format == 'JPEG'
        assert img.size == Image.open(io.BytesIO(data)).size
    r = run('-', input=b'garbage')
    assert r.returncode == 1
    assert r.stdout == b''
    assert b'<stdin>' in r.stderr


def test_stdin_with_format(run):
    buf = io.BytesIO()
    Image.new('RGB', (160, 120), (30, 60, 90)).save(buf, 'PNG')
    r = run('--format', 'jpeg', '-', input=buf.getvalue())
    assert r.returncode == 0, r.stderr
    assert r.stdout[:2] == b'\xff\xd8'


def test_info(run, tmp_path):
    src = corpus('images', 'orientation', 'Landscape_6.jpg')
    r = run('info', src)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert 'jpeg' in text and '1200x1800' in text and 'orientation: 6' in text
    r = run('info', '--json', src)
    info = json.loads(r.stdout)[0]
    assert info['width'] == 1200 and info['orientation'] == 6
    assert info['has_disclosure'] is False
    out = tmp_path / 'm.jpg'
    assert run(src, '-n', 'm.jpg', '-o', tmp_path).returncode == 0
    info = json.loads(run('info', '--json', out).stdout)[0]
    assert info['has_disclosure'] is True
    r = run('info', tmp_path / 'nothing.jpg')
    assert r.returncode == 1 and b'nothing.jpg' in r.stderr


def test_text(run):
    r = run('text', input=b'Here is your answer.')
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b'Here is your answer.')
    assert len(r.stdout) > len(b'Here is your answer.')
    r = run('text', '--text-format', 'html', '--disclosure', 'Written by AI',
            input=b'<p>Hi</p>')
    assert r.returncode == 0, r.stderr
    assert b'Written by AI' in r.stdout and b'<' in r.stdout[9:]
    r = run('text', '--text-format', 'rtf', input=b'x')
    assert r.returncode == 2


def test_video_file(run, tmp_path):
    src = copy_corpus(tmp_path, 'video', 'android_90rotation.mp4')
    r = run('-v', src, '-o', tmp_path / 'out', '--threads', '2')
    assert r.returncode == 0, r.stderr
    out = tmp_path / 'out' / 'android_90rotation.mp4'
    assert out.stat().st_size > 1000
    assert leftovers(tmp_path) == []


def test_video_encoders_quiet(wmark, tmp_path):
    """SVT-AV1 prints a banner unless SVT_LOG says otherwise, and FFmpeg
    prints to stderr unless told; the library leaves both to the program,
    so wmark itself must keep them quiet."""
    src = copy_corpus(tmp_path, 'video', 'android_90rotation.mp4')
    env = {k: v for k, v in os.environ.items()
           if k not in ('SVT_LOG', 'WMARK_FFMPEG_LOG')}
    r = subprocess.run([wmark, src, '-o', str(tmp_path / 'out'),
                        '--encoder', 'libsvtav1', '--threads', '2',
                        '--end', '0.2'], env=env, capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b''
    assert (tmp_path / 'out' / 'android_90rotation.mp4').stat().st_size > 100
