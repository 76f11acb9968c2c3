"""File names byte for byte, and outputs that must never replace their
input, escape -o or write through a planted symbolic link."""
import json
import os

import pytest

from conftest import decodes, leftovers, make_image

ODD = [b'with space.png', b'tab\there.png', b'new\nline.png', b'-dash.png',
       b'star*.png', b'latin1-\xe9\xff.png', b'\xce\xbb-utf8.png',
       b"quote'\".png", b'back\\slash.png']


def test_odd_names_byte_for_byte(run, tmp_path):
    d = os.fsencode(tmp_path)
    for i, name in enumerate(ODD):
        make_image(os.path.join(d, name), (80, 60), seed=i, fmt='PNG')
    out = os.path.join(d, b'out')
    r = run('--json', '-o', out, '--', *[os.path.join(d, n) for n in ODD])
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(out)) == sorted(ODD)
    for name in ODD:
        assert decodes(os.path.join(out, name)) == (80, 60)
    report = json.loads(r.stdout)
    inputs = sorted(os.fsencode(f['input']) for f in report['files'])
    assert inputs == sorted(os.path.join(d, n) for n in ODD)


def test_odd_names_next_to_input_and_recursive(run, tmp_path):
    d = os.fsencode(tmp_path / 'tree')
    os.makedirs(os.path.join(d, b'sub \xe9'))
    for i, name in enumerate(ODD):
        make_image(os.path.join(d, b'sub \xe9', name), (64, 48), seed=i,
                   fmt='PNG')
    r = run('-r', d)
    assert r.returncode == 0, r.stderr
    got = sorted(os.listdir(os.path.join(d, b'sub \xe9')))
    want = sorted(ODD + [n[:-4] + b'.marked.png' for n in ODD])
    assert got == want
    # One line per output, even for the name holding a newline.
    assert len(r.stdout.splitlines()) == len(ODD)
    # A rerun neither marks the outputs again nor replaces them.
    r = run('-r', d)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(os.path.join(d, b'sub \xe9'))) == want


def test_leading_dash_after_double_dash(run, tmp_path):
    make_image(str(tmp_path / '-v'), (64, 48), fmt='PNG')
    r = run('--', '-v', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / '-v.marked').exists()


def test_output_is_input_refused(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    before = open(src, 'rb').read()
    r = run('--name', '{name}', src)
    assert r.returncode == 1
    assert b'--in-place' in r.stderr
    assert open(src, 'rb').read() == before


def test_output_through_dot_dot_is_input(run, tmp_path):
    (tmp_path / 'd').mkdir()
    src = make_image(str(tmp_path / 'd' / 'p.png'), (64, 48))
    before = open(src, 'rb').read()
    r = run(src, '-o', tmp_path / 'd' / '..' / 'd' / '.')
    assert r.returncode == 1
    assert open(src, 'rb').read() == before


def test_output_hard_link_to_input(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    before = open(src, 'rb').read()
    (tmp_path / 'out').mkdir()
    os.link(src, tmp_path / 'out' / 'p.png')
    r = run('-f', src, '-o', tmp_path / 'out')
    assert r.returncode == 1
    assert b'input' in r.stderr
    assert open(src, 'rb').read() == before


def test_output_symlink_to_input(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    before = open(src, 'rb').read()
    os.symlink(src, tmp_path / 'p.marked.png')
    r = run('-f', src)
    assert r.returncode == 1
    assert open(src, 'rb').read() == before


def test_planted_symlink_at_output_path(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    victim = tmp_path / 'victim.txt'
    victim.write_bytes(b'precious')
    out = tmp_path / 'out'
    out.mkdir()
    os.symlink(victim, out / 'p.png')
    r = run(src, '-o', out)
    assert r.returncode == 0
    assert b'exists' in r.stderr
    assert victim.read_bytes() == b'precious'
    r = run('-f', src, '-o', out)
    assert r.returncode == 0, r.stderr
    assert victim.read_bytes() == b'precious'
    assert not os.path.islink(out / 'p.png')
    assert decodes(out / 'p.png') == (64, 48)


def test_planted_symlink_subfolder_under_outdir(run, tmp_path):
    src = tmp_path / 'src'
    (src / 'sub').mkdir(parents=True)
    make_image(str(src / 'sub' / 'p.png'), (64, 48))
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (tmp_path / 'out').mkdir()
    os.symlink(elsewhere, tmp_path / 'out' / 'sub')
    r = run('-r', src, '-o', tmp_path / 'out')
    assert r.returncode == 1
    assert os.listdir(elsewhere) == []


def test_symlinks_in_walked_folders_are_not_followed(run, tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    make_image(str(outside / 'x.png'), (64, 48))
    tree = tmp_path / 'tree'
    tree.mkdir()
    make_image(str(tree / 'real.png'), (64, 48))
    os.symlink(outside, tree / 'link-dir')
    os.symlink(outside / 'x.png', tree / 'link.png')
    r = run('-r', '--in-place', tree)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(outside)) == ['x.png']
    with open(outside / 'x.png', 'rb') as f:
        data = f.read()
    make_image(str(tmp_path / 'fresh.png'), (64, 48))
    assert data == open(tmp_path / 'fresh.png', 'rb').read()


def test_disclosure_never_in_file_names(run, tmp_path):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    r = run('--text', '../../escape', '--disclosure', 'x/../../y', src,
            '-o', tmp_path / 'out')
    assert r.returncode == 0, r.stderr
    names = [p.name for p in tmp_path.rglob('*')]
    assert not any('escape' in n or n == 'y' for n in names)
    assert sorted(os.listdir(tmp_path / 'out')) == ['p.png']


@pytest.mark.parametrize('tmpl', ['..', '.', '{stem}/x', '../{name}'])
def test_templates_that_would_leave_the_folder(run, tmp_path, tmpl):
    src = make_image(str(tmp_path / 'p.png'), (64, 48))
    r = run('--name', tmpl, src, '-o', tmp_path / 'out')
    assert r.returncode == 2
    assert leftovers(tmp_path) == []


def test_same_output_twice_is_an_error_not_a_race(run, tmp_path):
    for d in ('a', 'b'):
        (tmp_path / d).mkdir()
        make_image(str(tmp_path / d / 'p.png'), (64, 48))
    r = run(tmp_path / 'a' / 'p.png', tmp_path / 'b' / 'p.png', '-o',
            tmp_path / 'out')
    assert r.returncode == 1
    assert r.stderr.count(b'would also be written') == 1
    r = run('-f', tmp_path / 'a' / 'p.png', tmp_path / 'a' / '..' / 'a' /
            'p.png', '-o', tmp_path / 'out2')
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1
