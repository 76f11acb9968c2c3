"""SIGKILL of the wmark CLI at random moments of a batch and of a video:
no output may appear under its final name unless it is complete, and the
next run leaves no temporary file behind. Both temporary-file schemes of
the library are forced in turn (WMARK_TMPFILE)."""
import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from test_files import DATA, SAMPLES, decodes

BUILD = os.environ.get('WMARK_BUILD_ROOT', '.')
WMARK = os.path.join(BUILD, 'tools', 'wmark')
TRIES = 6


def wmark(args, env):
    return subprocess.Popen([WMARK, '-q', '-j', '2'] + args, env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def batch_inputs(tmp_path, kind):
    src_dir = tmp_path / 'in'
    src_dir.mkdir()
    names = [SAMPLES['jpeg'], SAMPLES['png'], SAMPLES['webp']] * 3 \
        if kind == 'batch' else [SAMPLES['mp4']]
    paths = []
    for i, name in enumerate(names):
        dst = src_dir / f'{i:02d}-{name}'
        shutil.copyfile(os.path.join(DATA, name), dst)
        paths.append(str(dst))
    return paths


def kind_of(name):
    ext = os.path.splitext(name)[1].lower()
    return {'.mp4': 'mp4', '.png': 'png', '.webp': 'webp'}.get(ext, 'jpeg')


def check_outputs(out_dir, allow_temporaries):
    for entry in os.listdir(out_dir):
        path = os.path.join(out_dir, entry)
        if entry.startswith('.'):
            assert allow_temporaries, f'temporary file left: {entry}'
            continue
        assert decodes(path, kind_of(entry)), f'incomplete output: {entry}'


@pytest.mark.parametrize('scheme', ['otmpfile', 'named'])
@pytest.mark.parametrize('kind', ['batch', 'video'])
def test_kill(kind, scheme, tmp_path):
    if not os.access(WMARK, os.X_OK):
        pytest.fail(f'{WMARK} is not built')
    env = dict(os.environ, WMARK_TMPFILE=scheme)
    inputs = batch_inputs(tmp_path, kind)
    out_dir = tmp_path / 'out'
    out_dir.mkdir()

    start = time.monotonic()
    p = wmark(inputs + ['-o', str(out_dir)], env)
    _, err = p.communicate(timeout=300)
    full = time.monotonic() - start
    assert p.returncode == 0, err.decode(errors='replace')

    rng = random.Random(f'{kind}-{scheme}')
    for _ in range(TRIES):
        shutil.rmtree(out_dir)
        out_dir.mkdir()
        p = wmark(inputs + ['-o', str(out_dir)], env)
        time.sleep(rng.uniform(0, full))
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        check_outputs(str(out_dir), allow_temporaries=(scheme == 'named'))

        p = wmark(['--force'] + inputs + ['-o', str(out_dir)], env)
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode(errors='replace')
        check_outputs(str(out_dir), allow_temporaries=False)
