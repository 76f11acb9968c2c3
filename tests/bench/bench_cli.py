#!/usr/bin/env python3
"""Batch benchmark of the wmark CLI against vips and ImageMagick.

usage: bench_cli.py WMARK [--vips VIPS] [--magick CONVERT] [--count N]

Marks N real-size JPEG photos (1800x1200 and 1200x1800 copies of the
corpus's EXIF orientation photos) with `wmark -j 2`, and runs the same batch
one file at a time through `xargs -P 2` with vips (composite2 of a
pre-rendered mark) and ImageMagick (-composite of the same mark), each
process limited to one thread. Prints the wall time of each and the ratios
peer/wmark (above 1: wmark is faster).

The peers only paste a ready picture; wmark also renders the text, follows
the EXIF orientation, keeps the metadata and adds the XMP disclosure, so the
comparison favours the peers.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageDraw, ImageFont


def make_inputs(d, count):
    src_dir = os.path.join(os.environ['WMARK_CORPUS'], 'images',
                           'orientation')
    photos = sorted(f for f in os.listdir(src_dir)
                    if f.endswith('.jpg') and f[:-4].split('_')[0] in
                    ('Landscape', 'Portrait'))
    os.makedirs(d)
    paths = []
    for i in range(count):
        dst = os.path.join(d, 'photo%03d.jpg' % i)
        shutil.copyfile(os.path.join(src_dir, photos[i % len(photos)]), dst)
        paths.append(dst)
    return paths


def make_mark(path):
    """About what wmark draws by default: white bold text with an outline,
    4% of the shorter side of a 1200-pixel photo."""
    font_path = os.path.join(os.environ['WMARK_SOURCE_ROOT'], 'fonts',
                             'DejaVuSans-Bold.ttf')
    font = ImageFont.truetype(font_path, 48)
    box = font.getbbox('AI-generated', stroke_width=4)
    img = Image.new('RGBA', (box[2] + 8, box[3] + 8), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((4, 4), 'AI-generated', font=font,
                             fill=(255, 255, 255, 255), stroke_width=4,
                             stroke_fill=(0, 0, 0, 180))
    img.save(path)
    return img.size


def timed(argv, **kw):
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def xargs_batch(lines, script, tmp):
    """Runs `sh -c script` once per line of arguments, two at a time."""
    listing = os.path.join(tmp, 'tasks.txt')
    with open(listing, 'w') as f:
        f.write(''.join(' '.join(line) + '\n' for line in lines))
    # One thread per process, as each wmark worker has: two at a time.
    env = dict(os.environ, VIPS_CONCURRENCY='1', MAGICK_THREAD_LIMIT='1',
               OMP_NUM_THREADS='1')
    with open(listing) as tasks:
        return timed(['xargs', '-P', '2', '-L', '1', 'sh', '-c', script,
                      'sh'], stdin=tasks, env=env)


def peer_tasks(paths, out, mark_size):
    tasks = []
    for p in paths:
        with Image.open(p) as img:
            w, h = img.size
        margin = min(w, h) * 2 // 100
        tasks.append([p, os.path.join(out, os.path.basename(p)),
                      str(w - mark_size[0] - margin),
                      str(h - mark_size[1] - margin)])
    return tasks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('wmark')
    ap.add_argument('--vips')
    ap.add_argument('--magick')
    ap.add_argument('--count', type=int, default=200)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='wmark-bench-')
    try:
        paths = make_inputs(os.path.join(tmp, 'in'), args.count)
        mark = os.path.join(tmp, 'mark.png')
        mark_size = make_mark(mark)
        results = {}
        out = os.path.join(tmp, 'wmark')
        results['wmark'] = timed([args.wmark, '-q', '-j', '2', '-o', out,
                                  '--'] + paths)
        assert len(os.listdir(out)) == args.count
        tasks = None
        if args.vips:
            out = os.path.join(tmp, 'vips')
            os.makedirs(out)
            tasks = peer_tasks(paths, out, mark_size)
            results['vips'] = xargs_batch(tasks, '"%s" composite2 "$1" "%s" '
                                          '"$2" over --x "$3" --y "$4"'
                                          % (args.vips, mark), tmp)
        if args.magick:
            out = os.path.join(tmp, 'magick')
            os.makedirs(out)
            tasks = peer_tasks(paths, out, mark_size)
            results['imagemagick'] = xargs_batch(
                tasks, '"%s" "$1" "%s" -geometry "+$3+$4" -composite "$2"'
                % (args.magick, mark), tmp)
        n = args.count
        print('batch of %d JPEGs (1800x1200), 2 workers each' % n)
        for name, secs in results.items():
            print('  %-12s %7.2f s  %6.1f images/s' % (name, secs, n / secs))
        for name, secs in results.items():
            if name != 'wmark':
                print('  ratio %s/wmark: %.2f' % (name,
                                                  secs / results['wmark']))
        if len(results) == 1:
            print('  (vips and ImageMagick not found: no ratios)')
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == '__main__':
    sys.exit(main())
