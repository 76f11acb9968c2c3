#!/usr/bin/python3
"""Writes the generated seed inputs and regression inputs of the fuzz
harnesses, and copies the small real files listed in corpus/LICENSES.md.

Run from anywhere: /usr/bin/python3 tests/fuzz/make_seeds.py [corpus-dir]
Needs Pillow and the ffmpeg program (for the video seeds). The output is
checked in, so the suite does not run this; rerun it after changing it.
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')
REGRESS = os.path.join(HERE, 'regressions')

XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
       b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" Iptc4xmpExt:'
       b'DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
       b'trainedAlgorithmicMedia"><dc:description><rdf:Alt><rdf:li '
       b'xml:lang="x-default">a photo</rdf:li></rdf:Alt></dc:description>'
       b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')

# Real files copied from the shared corpus (licences in corpus/LICENSES.md).
COPIES = {
    'image': [
        'png/pngsuite/basn6a08.png', 'png/pngsuite/basn0g01.png',
        'png/pngsuite/basn3p04.png', 'png/pngsuite/basi0g16.png',
        'png/pngsuite/exif2c08.png', 'png/pngsuite/ctjn0g04.png',
        'png/pngsuite/tbrn2c08.png', 'png/pngsuite/xcsn0g01.png',
        'png/pngsuite/xdtn0g01.png', 'png/pngsuite/g25n2c08.png',
        'images/jpeg/hopper_16bit_qtables.jpg',
        'images/jpeg/hopper_gray.jpg', 'images/jpeg/testimgari.jpg',
        'images/jpeg/truncated_jpeg.jpg',
        'images/orientation/paris_exif_orientation_5.jpg',
        'images/jpeg/paris_exif_xmp_icc.jpg',
        'images/orientation/hopper_orientation_6.webp',
        'images/webp-avif/transparent.webp',
    ],
    'logo': [
        'png/pngsuite/basn6a08.png', 'png/pngsuite/basn3p04.png',
        'png/pngsuite/tbrn2c08.png', 'png/pngsuite/basn4a16.png',
        'images/jpeg/hopper_gray.jpg',
        'images/webp-avif/transparent.webp',
    ],
}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def png_chunk(kind, data):
    crc = zlib.crc32(kind + data) & 0xffffffff
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', crc)


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def gradient(w, h, mode='RGB'):
    img = Image.new('RGB', (w, h))
    img.putdata([(x * 255 // w, y * 255 // h, (x + y) % 256)
                 for y in range(h) for x in range(w)])
    return img.convert(mode)


def png_with_xmp(img):
    data = encode(img, 'PNG')
    itxt = b'XML:com.adobe.xmp\0\0\0\0\0' + XMP
    end = data.rindex(b'IEND') - 4
    return data[:end] + png_chunk(b'iTXt', itxt) + data[end:]


def png_with_raw_xmp(img):
    """XMP as ImageMagick stores it: hexadecimal in a zTXt chunk."""
    data = encode(img, 'PNG')
    hexed = XMP.hex()
    lines = '\n'.join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
    text = ('\nXMP\n%8d\n%s\n' % (len(XMP), lines)).encode()
    ztxt = b'Raw profile type xmp\0\0' + zlib.compress(text)
    end = data.rindex(b'IEND') - 4
    return data[:end] + png_chunk(b'zTXt', ztxt) + data[end:]


def jpeg_with_xmp(img):
    data = encode(img, 'JPEG', quality=70)
    app1 = b'http://ns.adobe.com/xap/1.0/\0' + XMP
    seg = b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1
    return data[:2] + seg + data[2:]


def riff_chunk(kind, data):
    pad = b'\0' if len(data) % 2 else b''
    return kind + struct.pack('<I', len(data)) + data + pad


def webp_with_xmp(img):
    """A VP8X WebP holding the image's VP8L chunk and an XMP chunk."""
    plain = encode(img, 'WEBP', lossless=True)
    vp8l = plain[12:]
    w, h = img.size
    vp8x = struct.pack('<I', 0x04 | 0x10) + (w - 1).to_bytes(3, 'little') + \
        (h - 1).to_bytes(3, 'little')
    body = b'WEBP' + riff_chunk(b'VP8X', vp8x) + vp8l + \
        riff_chunk(b'XMP ', XMP)
    return b'RIFF' + struct.pack('<I', len(body)) + body


def crafted_png(w, h):
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)
    idat = zlib.compress(b'\0' * 64)
    return b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + \
        png_chunk(b'IDAT', idat) + png_chunk(b'IEND', b'')


def crafted_jpeg(w, h):
    """A baseline JPEG header declaring w x h, with no scan data."""
    small = encode(gradient(8, 8), 'JPEG', quality=50)
    i = small.index(b'\xff\xc0')
    return small[:i + 5] + struct.pack('>HH', h, w) + small[i + 9:]


def crafted_webp(w, h):
    """A lossless WebP declaring w x h (at most 16383 each) followed by a
    few bytes: the header of a decompression bomb."""
    bits = (w - 1) | ((h - 1) << 14) | (1 << 28)
    vp8l = b'\x2f' + struct.pack('<I', bits) + b'\0' * 16
    body = b'WEBP' + riff_chunk(b'VP8L', vp8l)
    return b'RIFF' + struct.pack('<I', len(body)) + body


def image_seeds():
    img = gradient(40, 30)
    rgba = gradient(24, 24, 'RGBA')
    seeds = {
        'gen-rgb.png': b'\0' + encode(img, 'PNG'),
        'gen-rgba-interlaced.png': b'\1' + encode(rgba, 'PNG', optimize=False),
        'gen-xmp.png': b'\2' + png_with_xmp(img),
        'gen-raw-xmp.png': b'\1' + png_with_raw_xmp(img),
        'gen-gray.jpg': b'\0' + encode(img.convert('L'), 'JPEG'),
        'gen-progressive.jpg': b'\1' + encode(img, 'JPEG', progressive=True),
        'gen-xmp.jpg': b'\3' + jpeg_with_xmp(img),
        'gen-cmyk.jpg': b'\0' + encode(img.convert('CMYK'), 'JPEG'),
        'gen-lossy.webp': b'\0' + encode(img, 'WEBP', quality=50),
        'gen-alpha.webp': b'\2' + encode(rgba, 'WEBP', lossless=True),
        'gen-xmp.webp': b'\0' + webp_with_xmp(img),
        'gen-nometa.png': b'\x05' + encode(img, 'PNG'),
    }
    for name, data in seeds.items():
        write(os.path.join(CORPUS, 'image', name), data)
    crafted = {
        'png-65535x65535-rgba.png': crafted_png(65535, 65535),
        'jpeg-65500x65500.jpg': crafted_jpeg(65500, 65500),
        'webp-16383x16383-bomb.webp': crafted_webp(16383, 16383),
        'png-0x0.png': crafted_png(0, 0),
        'empty': b'',
    }
    for name, data in crafted.items():
        write(os.path.join(REGRESS, 'image', name), b'\0' + data)
        write(os.path.join(REGRESS, 'logo', name), b'\0' + data)
    full = os.path.join(HERE, '..', 'hardening', 'crafted')
    for name in list(crafted)[:3]:
        write(os.path.join(full, name), crafted[name])


def logo_seeds():
    rgba = gradient(20, 12, 'RGBA')
    seeds = {
        'gen-logo.png': b'\0' + encode(rgba, 'PNG'),
        'gen-logo.jpg': b'\x05' + encode(rgba.convert('RGB'), 'JPEG'),
        'gen-logo.webp': b'\x1a' + encode(rgba, 'WEBP', lossless=True),
        'gen-wide.png': b'\x0b' + encode(gradient(200, 3, 'LA'), 'PNG'),
    }
    for name, data in seeds.items():
        write(os.path.join(CORPUS, 'logo', name), data)
    write(os.path.join(REGRESS, 'logo', 'not-an-image'),
          b'\x01this is not an image')


OPTION_SEEDS = {
    'defaults': '',
    'text-style': 'text=AI-generated\nsize=5%\ncolor=#ff000080\n'
                  'outline-color=black\noutline-width=0.1\nopacity=0.7\n'
                  'shadow-color=#00000080\nshadow-offset=0.05\n',
    'box': 'box=true\nbox-color=#0008\nbox-padding=0.5\nbox-radius=1\n'
           'align=center\nline-spacing=1.5\nmax-width=40%\n',
    'layout': 'position=top-left\nmargin=12px\noffset-x=-3%\noffset-y=4\n'
              'x=10\ny=20px\nangle=-45\ntile=1\ntile-spacing=10%\n',
    'logo-qr': 'logo=/nonexistent.png\nscale=0.2\nlogo-placement=above\n'
               'qr=https://example.com/ai\nqr-level=H\nqr-module=4\n',
    'time': 'start=1.5\nend=10\nfade-in=0.5\nfade-out=0.25\n',
    'output': 'metadata=false\nsource-type=http://cv.iptc.org/newscodes/'
              'digitalsourcetype/trainedAlgorithmicMedia\nquality=90\n'
              'format=webp\nmax-pixels=1000000\nencoder=libx264\ncrf=23\n'
              'encoder-preset=veryfast\nencoder-params=tune=film\nthreads=2\n',
    'text': 'disclosure=Made with AI\ntext-format=markdown\n'
            'text-placement=prepend\n',
    'tabs': 'size\t48px\ncolor\tnavy\nposition\tbottom\nOpacity\t0.5\n'
            'outline_width\t0\n',
    'bad-values': 'size=-1\ncolor=#12345\nopacity=2\nposition=middle\n'
                  'quality=101\nmax-pixels=0\nx=-2\nsize=5%%\nsize=px\n'
                  'angle=nan\nopacity=inf\nsize=1e999\ncrf=64\n',
    'unknown': 'nosuchoption=1\n=value\nsize\n==\ncolor==red\n',
    'edge-numbers': 'opacity=0x1p-1\nsize=  12  \nangle=+360\n'
                    'offset-x=-100000\nmax-pixels=4000000000000\n'
                    'start=1e9\nsize=1e-300%\n',
}


def option_seeds():
    for name, text in OPTION_SEEDS.items():
        write(os.path.join(CORPUS, 'options', name), text.encode())
    write(os.path.join(REGRESS, 'options', 'invalid-utf8'),
          b'text=\xff\xfe\xc0\xaf\ncolor=\xe2\x82\n')
    write(os.path.join(REGRESS, 'options', 'long-value'),
          b'text=' + b'A' * 4000 + b'\n')


DISCLOSE_SEEDS = {
    'plain': b'\0Here is the summary you asked for.',
    'markdown': b'\1**Bold** answer with `code` and [a link](http://x).',
    'html': b'\2<p>Answer & more</p>',
    'prepend': b'\5Short reply.',
    'custom': b'\x09Written by a *model* <b>&amp;</b>\0The answer is 42.',
    'rtl': '\0مرحبا بالعالم'.encode(),
    'emoji': '\1Answer 👍🏽 with 👨‍👩‍👧 family\n\n'.encode(),
    'empty': b'\0',
    'spaces': b'\2 \t\n\r ',
    'already': b'\0Answer.\n\nAI-generated',
}


def disclose_seeds():
    for name, data in DISCLOSE_SEEDS.items():
        write(os.path.join(CORPUS, 'disclose', name), data)
    write(os.path.join(REGRESS, 'disclose', 'invalid-utf8'),
          b'\0abc\xed\xa0\x80def')
    write(os.path.join(REGRESS, 'disclose', 'nul-in-message'),
          b'\2before\0after')
    write(os.path.join(REGRESS, 'disclose', 'bad-disclosure'),
          b'\x0b\xc0\x80\0message')


TEXT_SEEDS = {
    'latin': 'AI-generated',
    'arabic': 'تم إنشاؤه بواسطة الذكاء الاصطناعي',
    'hebrew-mixed': 'נוצר ע"י AI בשנת 2026',
    'cjk': 'AI 生成のコンテンツ 인공지능',
    'emoji': '🤖 AI 👍🏽 👨‍👩‍👧',
    'combining': 'e\u0301\u0302\u0303 a\u20dd Z\u0336\u0337',
    'devanagari': 'कृत्रिम बुद्धि द्वारा निर्मित',
    'lines': 'first line\nsecond line\r\nthird',
    'long': 'word ' * 60,
    'controls': 'a\u200b\u200d\u2066b\u2069\u202e c\u00ad\ufeff',
    'empty': '',
}


def text_seeds():
    for i, (name, text) in enumerate(TEXT_SEEDS.items()):
        head = bytes([i * 7 % 40, (i * 37) & 0xff, i * 19 & 0xff])
        write(os.path.join(CORPUS, 'text', name), head + text.encode())
    write(os.path.join(REGRESS, 'text', 'invalid-utf8'),
          b'\x10\x00\x00abc\xff\xfe')
    write(os.path.join(REGRESS, 'text', 'huge-size-tiny-frame'),
          b'\xff\x4c\x80' + 'ﷺ'.encode() * 30)


def ffmpeg(args, out):
    cmd = ['ffmpeg', '-v', 'error', '-y', '-threads', '1'] + args + [out]
    subprocess.run(cmd, check=True)


def video_seeds():
    src = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=0.8']
    tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.8']
    jobs = {
        'h264.mp4': src + ['-c:v', 'libx264', '-pix_fmt', 'yuv420p',
                           '-preset', 'ultrafast'],
        'h264-aac.mp4': src + tone + ['-c:v', 'libx264', '-preset',
                                      'ultrafast', '-pix_fmt', 'yuv420p',
                                      '-c:a', 'aac', '-b:a', '16k'],
        'rotated.mov': src + ['-c:v', 'libx264', '-preset', 'ultrafast',
                              '-pix_fmt', 'yuv420p', '-metadata:s:v',
                              'rotate=90'],
        'vp9.webm': src + ['-c:v', 'libvpx-vp9', '-b:v', '50k'],
        'vp8-opus.webm': src + tone + ['-c:v', 'libvpx', '-b:v', '50k',
                                       '-c:a', 'libopus'],
        'mpeg4.mkv': src + ['-c:v', 'mpeg4'],
        'yuv444.mp4': src + ['-c:v', 'libx264', '-preset', 'ultrafast',
                             '-pix_fmt', 'yuv444p'],
    }
    tmp = tempfile.mkdtemp()
    try:
        for name, args in jobs.items():
            out = os.path.join(tmp, name)
            ffmpeg(args, out)
            with open(out, 'rb') as f:
                write(os.path.join(CORPUS, 'video', name), f.read())
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(CORPUS, 'video', 'h264.mp4'), 'rb') as f:
        data = f.read()
    write(os.path.join(REGRESS, 'video', 'h264-half.mp4'),
          data[:len(data) // 2])
    write(os.path.join(REGRESS, 'video', 'png-as-video'),
          encode(gradient(16, 16), 'PNG'))


def copy_real(corpus_dir):
    for harness, files in COPIES.items():
        for rel in files:
            with open(os.path.join(corpus_dir, rel), 'rb') as f:
                data = f.read()
            name = 'real-' + os.path.basename(rel)
            write(os.path.join(CORPUS, harness, name), b'\0' + data)


def main():
    corpus_dir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(HERE, '..', '..', '..', 'shared', 'corpus')
    option_seeds()
    disclose_seeds()
    text_seeds()
    image_seeds()
    logo_seeds()
    video_seeds()
    copy_real(corpus_dir)


if __name__ == '__main__':
    main()
