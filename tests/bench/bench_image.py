"""Image benchmark: a 900x200 RGBA logo at the bottom-right of real JPEGs
of 12 megapixels and more, written at quality 90 with 4:2:0 chroma, by
libwatermark, `vips composite2` and ImageMagick `convert -composite`, with
a plain libjpeg-turbo decode and encode of the same file as the floor.
Prints the best wall time of three runs and the peak RSS of each (from
/usr/bin/time), and the ratios against the peers.

Usage: bench_image.py MARK_EXE FLOOR_EXE [--vips PATH] [--magick PATH]
"""
import argparse
import os
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw

QUALITY = 90
MARGIN = 40
RUNS = 3


def make_logo(path):
    logo = Image.new("RGBA", (900, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle((0, 0, 899, 199), 40, fill=(20, 20, 20, 170))
    draw.ellipse((30, 30, 170, 170), fill=(230, 60, 40, 255))
    draw.text((220, 80), "AI-generated", fill=(255, 255, 255, 255))
    logo.save(path)


def make_inputs(tmp):
    """A real 12-megapixel phone photo when the corpus is there, else the
    sample photo enlarged to 12 megapixels; and a 13000x10000 enlargement
    for the memory figure. Orientation tags are dropped so that every tool
    puts the logo in the same stored corner."""
    inputs = []
    corpus = os.path.join(os.environ.get("WMARK_CORPUS", ""), "images",
                          "orientation", "dog_exif_extended_xmp_icc.jpg")
    sample = os.path.join(os.environ["WMARK_TEST_DATA"], "sample.jpg")
    if os.path.exists(corpus):
        photo = Image.open(corpus)
        path = os.path.join(tmp, "photo-12mp.jpg")
        photo.save(path, quality=QUALITY, subsampling="4:2:0")
        inputs.append(("real photo 4032x3024", path))
    else:
        path = os.path.join(tmp, "sample-12mp.jpg")
        Image.open(sample).resize((4240, 2832), Image.LANCZOS).save(
            path, quality=QUALITY, subsampling="4:2:0")
        inputs.append(("sample enlarged 4240x2832", path))
    Image.MAX_IMAGE_PIXELS = None
    path = os.path.join(tmp, "large-130mp.jpg")
    Image.open(sample).resize((13000, 10000), Image.BILINEAR).save(
        path, quality=QUALITY, subsampling="4:2:0")
    inputs.append(("enlarged 13000x10000", path))
    return inputs


def measure(cmd):
    """Best wall time over RUNS runs and the largest peak RSS, in MiB."""
    best, rss = None, 0
    for _ in range(RUNS):
        res = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(" ".join(cmd) + ": " + res.stderr.strip())
        wall, kb = res.stderr.strip().splitlines()[-1].split()
        best = float(wall) if best is None else min(best, float(wall))
        rss = max(rss, int(kb) / 1024)
    return best, rss


def commands(args, src, logo, tmp):
    width, height = Image.open(src).size
    x, y = width - 900 - MARGIN, height - 200 - MARGIN
    out = os.path.join(tmp, "out.jpg")
    cmds = {
        "libwatermark": [args.mark, src, out, "text=", "logo=" + logo,
                         "margin=%d" % MARGIN, "quality=%d" % QUALITY],
        "floor (libjpeg-turbo)": [args.floor, src, out, str(QUALITY)],
    }
    if args.vips:
        cmds["vips composite2"] = [
            args.vips, "composite2", src, logo,
            out + "[Q=%d,subsample-mode=on]" % QUALITY, "over",
            "--x", str(x), "--y", str(y)]
    # ImageMagick holds 16-bit RGBA pixels (8 bytes each); Debian's policy
    # caps it at 128 megapixels, so it runs on the 12-megapixel photo only.
    if args.magick and width * height <= 20_000_000:
        cmds["ImageMagick"] = [
            args.magick, src, logo, "-gravity", "southeast", "-geometry",
            "+%d+%d" % (MARGIN, MARGIN), "-composite", "-quality",
            str(QUALITY), "-sampling-factor", "2x2", out]
    return cmds


def report(label, results):
    print("\n%s" % label)
    ours = results["libwatermark"]
    for name, (wall, rss) in results.items():
        print("  %-22s %7.3f s  %7.1f MiB  (%.2fx libwatermark's time)"
              % (name, wall, rss, wall / ours[0]))
    floor = results["floor (libjpeg-turbo)"][0]
    print("  libwatermark / floor: %.2f (target <= 1.2)" % (ours[0] / floor))
    if "vips composite2" in results:
        print("  vips / libwatermark:  %.2f (target >= 1.5)"
              % (results["vips composite2"][0] / ours[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mark")
    ap.add_argument("floor")
    ap.add_argument("--vips")
    ap.add_argument("--magick")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logo = os.path.join(tmp, "logo.png")
        make_logo(logo)
        for label, src in make_inputs(tmp):
            results = {}
            for name, cmd in commands(args, src, logo, tmp).items():
                try:
                    results[name] = measure(cmd)
                except RuntimeError as err:
                    print("  %s failed: %s" % (name, err), file=sys.stderr)
            report(label, results)


if __name__ == "__main__":
    main()
