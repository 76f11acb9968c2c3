/*
 * The compositor's required behaviour: transparent marks change nothing,
 * ramps blend as a * fg + (1 - a) * bg in RGB and YUV, flat colours survive
 * a BT.709 limited round trip, small marks land exactly on 4:2:0 frames,
 * and opaque RGBA frames stay opaque.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "frames.h"

/* Applies a raster at (x, y) to a whole frame. */
static void composite(wm__raster *r, tframe *t, int x, int y, unsigned g)
{
	wm__layer *l = NULL;

	assert_non_null(r);
	assert_int_equal(wm__layer_new(r, &t->f, x, y, &l), WM_OK);
	wm__layer_apply(l, &t->f, 0, g);
	wm__layer_free(l);
	assert_true(tf_guards_ok(t));
}

static void test_transparent_mark_changes_nothing(void **state)
{
	static const wm_pixel_format fmts[] = {
	    WM_PIX_BGRA, WM_PIX_RGBA, WM_PIX_I420,
	    WM_PIX_NV12, WM_PIX_P010, WM_PIX_RGBA64,
	};
	wm__raster *r = raster_flat(1920, 540, 0, 0, 0, 0);
	uint32_t seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		tframe a, b;

		tf_init(&a, fmts[i], 1920, 1080, 0, 0);
		tf_init(&b, fmts[i], 1920, 1080, 0, 0);
		tf_random(&a, &seed);
		for (int p = 0; p < 3; p++)
			if (a.mem[p])
				memcpy(b.mem[p], a.mem[p],
				       a.size[p] + 2 * a.pad);
		composite(r, &a, 0, 270, 255);
		assert_true(tf_equal(&a, &b));
		tf_free(&a);
		tf_free(&b);
	}
	wm__raster_free(r);
}

/* A 256x64 red mark whose alpha is its column. */
static wm__raster *red_ramp(void)
{
	wm__raster *r = raster_flat(256, 64, 255, 0, 0, 255);

	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 256; x++) {
			uint8_t *px = r->pixels + y * r->stride + x * 4;

			px[0] = (uint8_t)x; /* 255 * x / 255, premultiplied */
			px[3] = (uint8_t)x;
		}
	return r;
}

static void test_ramp_rgb(void **state)
{
	static const uint8_t bg[3] = {20, 120, 200}, fg[3] = {255, 0, 0};
	wm__raster *r = red_ramp();
	tframe t;

	(void)state;
	tf_init(&t, WM_PIX_RGB24, 300, 80, 3, 0);
	for (int y = 0; y < 80; y++)
		for (int x = 0; x < 300; x++)
			for (int k = 0; k < 3; k++)
				tf_set(&t, 0, x, y, k, bg[k]);
	composite(r, &t, 10, 5, 255);
	for (int y = 5; y < 69; y++)
		for (int x = 0; x < 256; x++)
			for (int k = 0; k < 3; k++) {
				double a = x / 255.0;
				double want = a * fg[k] + (1 - a) * bg[k];
				double got = tf_get(&t, 0, x + 10, y, k);

				assert_true(fabs(got - want) <= 1.0);
			}
	tf_free(&t);
	wm__raster_free(r);
}

/* BT.709 limited-range Y'CbCr of an 8-bit sRGB colour, unrounded. */
static void yuv709(const uint8_t rgb[3], double out[3])
{
	double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
	double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;

	out[0] = 16 + 219 * y;
	out[1] = 128 + 224 * (b - y) / 1.8556;
	out[2] = 128 + 224 * (r - y) / 1.5748;
}

static void test_ramp_yuv(void **state)
{
	static const uint8_t bg[3] = {20, 120, 200}, fg[3] = {255, 0, 0};
	double ybg[3], yfg[3];
	wm__raster *r = red_ramp();
	tframe t;

	(void)state;
	yuv709(bg, ybg);
	yuv709(fg, yfg);
	tf_init(&t, WM_PIX_I444, 300, 80, 0, 0);
	t.f.matrix = WM_MATRIX_BT709;
	for (int p = 0; p < 3; p++)
		for (int y = 0; y < 80; y++)
			for (int x = 0; x < 300; x++)
				tf_set(&t, p, x, y, 0, lround(ybg[p]));
	composite(r, &t, 10, 5, 255);
	for (int p = 0; p < 3; p++)
		for (int y = 5; y < 69; y++)
			for (int x = 0; x < 256; x++) {
				double a = x / 255.0;
				double want = a * yfg[p] + (1 - a) * ybg[p];
				double got = tf_get(&t, p, x + 10, y, 0);

				/* The stored background is itself rounded. */
				assert_true(fabs(got - want) <= 1.5);
			}
	tf_free(&t);
	wm__raster_free(r);
}

static void test_flat_patches_bt709_limited(void **state)
{
	static const uint8_t colors[3][3] = {
	    {0, 220, 90}, {255, 255, 0}, {255, 0, 0}};
	tframe t;

	(void)state;
	tf_init(&t, WM_PIX_I420, 200, 100, 0, 0);
	t.f.matrix = WM_MATRIX_BT709;
	memset(t.f.planes[0], 16, t.size[0]);
	memset(t.f.planes[1], 128, t.size[1]);
	memset(t.f.planes[2], 128, t.size[2]);
	for (int i = 0; i < 3; i++) {
		const uint8_t *c = colors[i];

		wm__raster *r = raster_flat(32, 32, c[0], c[1], c[2], 255);

		composite(r, &t, 10 + 60 * i, 30, 255);
		wm__raster_free(r);
	}
	for (int i = 0; i < 3; i++) {
		int x = 10 + 60 * i + 16, y = 46;
		double yy = ((int)tf_get(&t, 0, x, y, 0) - 16) / 219.0;
		double cb = ((int)tf_get(&t, 1, x / 2, y / 2, 0) - 128) / 224.0;
		double cr = ((int)tf_get(&t, 2, x / 2, y / 2, 0) - 128) / 224.0;
		double r = yy + 1.5748 * cr, b = yy + 1.8556 * cb;
		double g = (yy - 0.2126 * r - 0.0722 * b) / 0.7152;

		assert_true(fabs(r * 255 - colors[i][0]) <= 4);
		assert_true(fabs(g * 255 - colors[i][1]) <= 4);
		assert_true(fabs(b * 255 - colors[i][2]) <= 4);
	}
	tf_free(&t);
}

/* BT.601 limited Y'CbCr (the AUTO matrix of a 240-line frame). */
static void yuv601(const double rgb[3], double out[3])
{
	double y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];

	out[0] = 16 + 219 * y;
	out[1] = 128 + 224 * (rgb[2] - y) / 1.772;
	out[2] = 128 + 224 * (rgb[0] - y) / 1.402;
}

/*
 * Composites a magenta w x h mark at (101, 51) of a grey 320x240 I420
 * frame and checks it against compositing in RGB and then converting
 * (chroma from the mean of each 2x2 block): luma changes exactly inside
 * the box, chroma changes within the box grown by 2 px.
 */
static void check_small_mark(int w, int h)
{
	const int x0 = 101, y0 = 51;
	double grey[3] = {0.5, 0.5, 0.5}, want[3];
	wm__raster *r;
	tframe t;

	tf_init(&t, WM_PIX_I420, 320, 240, 0, 0);
	yuv601(grey, want);
	memset(t.f.planes[0], (int)lround(want[0]), t.size[0]);
	memset(t.f.planes[1], (int)lround(want[1]), t.size[1]);
	memset(t.f.planes[2], (int)lround(want[2]), t.size[2]);
	r = raster_flat(w, h, 255, 0, 255, 255);
	composite(r, &t, x0, y0, 255);
	wm__raster_free(r);

	for (int y = 0; y < 240; y++)
		for (int x = 0; x < 320; x++) {
			bool in =
			    x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
			double rgb[3] = {in ? 1 : 0.5, in ? 0 : 0.5,
					 in ? 1 : 0.5};

			yuv601(rgb, want);
			assert_true(fabs(tf_get(&t, 0, x, y, 0) - want[0]) <=
				    0.51);
		}
	for (int cy = 0; cy < 120; cy++)
		for (int cx = 0; cx < 160; cx++) {
			double rgb[3] = {0, 0, 0};
			bool near =
			    2 * cx + 1 >= x0 - 2 && 2 * cx <= x0 + w + 1 &&
			    2 * cy + 1 >= y0 - 2 && 2 * cy <= y0 + h + 1;

			for (int k = 0; k < 4; k++) {
				int x = 2 * cx + k % 2, y = 2 * cy + k / 2;
				bool in = x >= x0 && x < x0 + w && y >= y0 &&
					  y < y0 + h;

				rgb[0] += (in ? 1 : 0.5) / 4;
				rgb[1] += (in ? 0 : 0.5) / 4;
				rgb[2] += (in ? 1 : 0.5) / 4;
			}
			yuv601(rgb, want);
			assert_true(fabs(tf_get(&t, 1, cx, cy, 0) - want[1]) <=
				    1.5);
			assert_true(fabs(tf_get(&t, 2, cx, cy, 0) - want[2]) <=
				    1.5);
			if (!near) {
				yuv601(grey, want);
				assert_int_equal(tf_get(&t, 1, cx, cy, 0),
						 lround(want[1]));
			}
		}
	tf_free(&t);
}

static void test_small_marks_land_exactly(void **state)
{
	(void)state;
	check_small_mark(9, 9);
	check_small_mark(1, 20);
	check_small_mark(20, 1);
	check_small_mark(1, 1);
}

static void test_opaque_rgba_stays_opaque(void **state)
{
	static const wm_pixel_format fmts[] = {
	    WM_PIX_RGBA,   WM_PIX_BGRA,	  WM_PIX_ARGB,	  WM_PIX_ABGR,
	    WM_PIX_GRAYA8, WM_PIX_RGBA64, WM_PIX_GRAYA16,
	};
	uint32_t seed = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		for (int mode = 0; mode < 2; mode++) {
			const wm__format_desc *d = wm__format_desc_of(fmts[i]);
			int comps = wm__plane_comps(d, 0);
			int ai =
			    (int)(strchr(d->layout[0], 'A') - d->layout[0]);
			uint32_t max = (1u << d->depth) - 1;
			tframe t;

			tf_init(&t, fmts[i], 160, 60, 0, 0);
			t.f.alpha = mode;
			tf_random(&t, &seed);
			for (int y = 0; y < 60; y++)
				for (int x = 0; x < 160; x++)
					tf_set(&t, 0, x, y, ai, max);
			wm__raster *r =
			    raster_flat(120, 40, 255, 255, 255, 128);

			composite(r, &t, 20, 10, 255);
			wm__raster_free(r);
			for (int y = 0; y < 60; y++)
				for (int x = 0; x < 160; x++)
					assert_int_equal(
					    tf_get(&t, 0, x, y, ai), max);
			assert_true(comps >= 2);
			tf_free(&t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transparent_mark_changes_nothing),
	    cmocka_unit_test(test_ramp_rgb),
	    cmocka_unit_test(test_ramp_yuv),
	    cmocka_unit_test(test_flat_patches_bt709_limited),
	    cmocka_unit_test(test_small_marks_land_exactly),
	    cmocka_unit_test(test_opaque_rgba_stays_opaque),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
