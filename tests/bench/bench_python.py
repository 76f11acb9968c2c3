"""Cost of one wmark.mark_image call on a 1024x1024 RGB array, against the
usual Pillow way of doing the same (text with a stroke drawn on an RGBA
layer, then alpha_composite), in the same run. Repeated calls with the
same options reuse the rendered mark."""

import os
import sys
import time

import numpy as np

import wmark

SIZE = 1024
TEXT = "AI-generated"


def per_call(fn, count):
    fn()
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


def pillow_mark(array, font, margin):
    from PIL import Image, ImageDraw

    base = Image.fromarray(array).convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    stroke = max(1, round(font.size * 0.08))
    box = draw.textbbox((0, 0), TEXT, font=font, stroke_width=stroke)
    x = base.width - margin - box[2]
    y = base.height - margin - box[3]
    draw.text((x, y), TEXT, font=font, fill=(255, 255, 255, 255),
              stroke_width=stroke, stroke_fill=(0, 0, 0, 179))
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))


def main():
    rng = np.random.default_rng(7)
    array = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    work = array.copy()

    in_place = per_call(lambda: wmark.mark_image(work, in_place=True), 300)
    copy = per_call(lambda: wmark.mark_image(array), 200)
    print(f"wmark.mark_image {SIZE}x{SIZE} RGB, in place: "
          f"{in_place * 1e3:.3f} ms/call")
    print(f"wmark.mark_image {SIZE}x{SIZE} RGB, new array: "
          f"{copy * 1e3:.3f} ms/call")

    try:
        from PIL import ImageFont
    except ImportError:
        print("Pillow: not installed, no comparison")
        return 0
    root = os.environ.get("WMARK_SOURCE_ROOT",
                          os.path.join(os.path.dirname(__file__), "..", ".."))
    font_file = os.path.join(root, "fonts", "DejaVuSans-Bold.ttf")
    font = ImageFont.truetype(font_file, round(SIZE * 0.04))
    pil = per_call(lambda: pillow_mark(array, font, round(SIZE * 0.02)), 30)
    print(f"Pillow text+stroke on RGBA layer + alpha_composite: "
          f"{pil * 1e3:.3f} ms/call")
    print(f"ratio Pillow / wmark: {pil / in_place:.1f}x in place, "
          f"{pil / copy:.1f}x new array (target: at least 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
