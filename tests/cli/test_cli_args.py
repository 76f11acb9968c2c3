"""Flags: generated from the option table, values parsed by the library."""
import glob
import json
import os
import re
import subprocess

import pytest


def config(run, *args):
    r = run('--print-config', *args)
    assert r.returncode == 0, r.stderr
    return dict(line.split('=', 1)
                for line in r.stdout.decode().splitlines())


def test_help_lists_every_table_option(run, option_table):
    r = run('--help')
    assert r.returncode == 0
    text = r.stdout.decode()
    for row in option_table:
        assert re.search(r'--%s\b' % re.escape(row['name']), text), row
    for flag in ('--output', '--recursive', '--jobs', '--force', '--quiet',
                 '--verbose', '--json', '--in-place', '--skip-marked',
                 '--name', '--preset', '--version'):
        assert flag in text
    assert 'Exit status' in text


def test_every_table_option_is_a_flag_that_reaches_the_mark(run,
                                                           option_table):
    rows = option_table
    args = ['--%s=%s' % (r['name'], r['default']) for r in rows]
    conf = config(run, *args)
    assert set(r['name'] for r in option_table) <= set(conf)


def test_list_options_matches_table(run, option_table):
    r = run('--list-options')
    assert r.returncode == 0
    names = [line.split('\t')[0] for line in r.stdout.decode().splitlines()]
    assert names == [row['name'] for row in option_table]


def test_version(run):
    r = run('--version')
    assert r.returncode == 0
    assert re.match(rb'wmark \d+\.\d+\.\d+ \(libwatermark \d+\.\d+\.\d+\)',
                    r.stdout)


def test_values_are_parsed_as_people_write_them(run):
    conf = config(run, '--size', '48px', '--margin=5%', '-c', 'red',
                  '-p', 'top-left', '--opacity', '0.5', '-t', 'Made by AI',
                  '--box', '--no-metadata')
    assert conf['size'] in ('48', '48px')
    assert conf['margin'] == '5%'
    assert conf['color'].lower().startswith('#ff0000')
    assert conf['position'] == 'top-left'
    assert float(conf['opacity']) == 0.5
    assert conf['text'] == 'Made by AI'
    assert conf['box'] == 'true'
    assert conf['metadata'] == 'false'


def test_later_flag_wins_and_preset_is_refined(run):
    conf = config(run, '-s', '10', '-s', '20', '--preset', 'ai', '--no-box')
    assert conf['size'] in ('20', '20px')
    assert conf['box'] == 'false'
    assert conf['text'] == 'AI-generated'
    assert conf['disclosure'] != ''


def test_preset_ai_and_encoder_preset(run):
    conf = config(run, '--preset', 'ai')
    assert conf['box'] == 'true'
    assert conf['source-type'] == 'trainedAlgorithmicMedia'
    conf = config(run, '--encoder-preset', 'veryfast')
    assert conf['encoder-preset'] == 'veryfast'
    assert run('--preset', 'veryfast', 'x.jpg').returncode == 2


@pytest.mark.parametrize('args,needle', [
    (['--size', 'huge', 'x.jpg'], b'--size'),
    (['--position', 'middle', 'x.jpg'], b'--position'),
    (['--color', '#12', 'x.jpg'], b'--color'),
    (['--opacity', '2', 'x.jpg'], b'--opacity'),
    (['--jobs', '0', 'x.jpg'], b'--jobs'),
    (['--bogus', 'x.jpg'], b'bogus'),
    (['--in-place', '-o', 'd', 'x.jpg'], b'--in-place'),
    (['--name', 'a/{name}', 'x.jpg'], b'--name'),
    (['--name', '{nope}', 'x.jpg'], b'{name}'),
    ([], b'no input'),
])
def test_usage_errors_exit_2_and_say_what_is_wrong(run, tmp_path, args,
                                                   needle):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert needle in r.stderr
    assert r.stdout == b''
    assert list(tmp_path.iterdir()) == []


def test_bad_value_names_expected_form(run):
    r = run('--position', 'middle', 'x.jpg')
    assert b'top-left' in r.stderr or b'expected' in r.stderr


def test_links_only_the_public_api(wmark):
    """wmark uses the library exactly as an outside application would: it
    includes only watermark.h and calls only exported symbols."""
    src = os.path.join(os.environ['WMARK_SOURCE_ROOT'], 'tools', 'wmark')
    for path in glob.glob(os.path.join(src, '*.[ch]')):
        for line in open(path):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            assert not m or m.group(1) in ('watermark.h', 'wmark.h'), line
    with open(os.path.join(os.environ['WMARK_SOURCE_ROOT'], 'tests', 'unit',
                           'symbols.txt')) as f:
        exported = {line.strip() for line in f if line.startswith('wm_')}
    nm = subprocess.run(['nm', '-D', '--undefined-only', wmark],
                        stdout=subprocess.PIPE, check=True).stdout.decode()
    used = {line.split()[-1].split('@')[0] for line in nm.splitlines()
            if line.split() and line.split()[-1].startswith('wm')}
    assert used and used <= exported, used - exported


def test_man_page_documents_every_own_flag(run):
    """The man page is written by hand; every flag of the tool itself (the
    mark options are documented from the table) must be in it."""
    page = open(os.path.join(os.environ['WMARK_SOURCE_ROOT'], 'tools',
                             'wmark.1')).read().replace('\\-', '-')
    help_text = run('--help').stdout.decode()
    own = help_text.split('Files and batch:')[1].split('Mark options')[0]
    flags = re.findall(r'--([a-z-]+)', own)
    assert len(flags) > 10
    for flag in flags:
        assert '--' + flag in page, flag


# ---- logo and font checked once, messages that say what is wrong ---------------

def logo_cases(tmp_path, data_dir):
    (tmp_path / 'empty.png').write_bytes(b'')
    return [
        (str(tmp_path) + '/', b'is a folder'),
        ('/dev/zero', b'not a regular file'),
        (str(tmp_path / 'empty.png'), b'is empty'),
        (str(tmp_path / 'missing.png'),
         b'cannot open the logo: No such file or directory'),
        (os.path.join(data_dir, 'truncated_jpeg.jpg'), b'truncated'),
    ]


def test_bad_logo_is_one_setup_error(run, tmp_path):
    data = os.environ.get('WMARK_TEST_DATA', '../data')
    inputs = [os.path.join(data, n) for n in ('sample.jpg', 'basn3p08.png')]
    out = tmp_path / 'out'
    for logo, words in logo_cases(tmp_path, data):
        r = run('-o', out, '--logo', logo, *inputs)
        lines = r.stderr.splitlines()
        assert r.returncode == 2, r.stderr
        assert len(lines) == 1 and words in lines[0], r.stderr
        assert os.fsencode(logo.rstrip('/')) in lines[0], r.stderr
        assert b'9223372036854775807' not in r.stderr
        assert not out.exists()


def test_bad_font_is_one_setup_error(run, tmp_path):
    data = os.environ.get('WMARK_TEST_DATA', '../data')
    font = tmp_path / 'font.ttf'
    font.write_text('not a font\n')
    r = run('-o', tmp_path / 'out', '--font', font,
            os.path.join(data, 'sample.jpg'), os.path.join(data, 'hopper_gray.jpg'))
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1 and b'font.ttf' in r.stderr
    assert not (tmp_path / 'out').exists()


def test_good_logo_still_marks(run, tmp_path):
    data = os.environ.get('WMARK_TEST_DATA', '../data')
    r = run('-o', tmp_path / 'out', '--logo',
            os.path.join(data, 'basn3p08.png'), os.path.join(data, 'sample.jpg'))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / 'out' / 'sample.jpg').exists()


def test_integer_range_printed_in_full(run):
    r = run('--max-pixels', '0', 'x.jpg')
    assert r.returncode == 2
    assert b'0 is outside 1..4000000000000' in r.stderr, r.stderr
    assert b'e+' not in r.stderr


def test_invalid_utf8_value_escaped(run):
    r = run(b'--text=bad\xff\x1b[31m', 'x.jpg')
    assert r.returncode == 2
    assert b'--text=bad\\xff\\x1b[31m: ' in r.stderr, r.stderr
    assert b'\xff' not in r.stderr and b'\x1b' not in r.stderr


@pytest.mark.parametrize('args,words', [
    (['--text='], b'nothing to draw'),
    (['--start', '3', '--end', '1'], b'end (1 s) is before start (3 s)'),
])
def test_mark_that_cannot_draw_is_one_setup_error(run, tmp_path, args, words):
    """Settings wrong for every file are said once, before any input."""
    data = os.environ.get('WMARK_TEST_DATA', '../data')
    inputs = [os.path.join(data, n) for n in ('sample.jpg', 'hopper_gray.jpg')]
    out = tmp_path / 'out'
    r = run('-o', out, *args, *inputs)
    lines = r.stderr.splitlines()
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert not out.exists()


def test_missing_and_empty_names(run, tmp_path):
    """A missing file and an empty name: one line each naming it, and the
    JSON message names the file as the library's messages do."""
    missing = str(tmp_path / 'missing.jpg')
    r = run('', missing)
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 1
    assert "wmark: '': an empty name names no file" in lines, lines
    assert 'wmark: %s: No such file or directory' % missing in lines, lines
    r = run('--json', missing)
    report = json.loads(r.stdout)
    assert report['files'][0]['message'] == \
        missing + ': No such file or directory', report
