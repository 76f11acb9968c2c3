/*
 * Frame handling: validation messages, every layout, clipping at every
 * edge, negative strides, bands, alpha modes, global alpha, colour spaces,
 * chroma rounding at odd offsets, skipped transparent runs and threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frames.h"

static const wm_pixel_format all_formats[] = {
    WM_PIX_RGBA,   WM_PIX_BGRA,	   WM_PIX_ARGB,	 WM_PIX_ABGR,	WM_PIX_RGBX,
    WM_PIX_BGRX,   WM_PIX_RGB24,   WM_PIX_BGR24, WM_PIX_GRAY8,	WM_PIX_GRAYA8,
    WM_PIX_I420,   WM_PIX_YV12,	   WM_PIX_NV12,	 WM_PIX_NV21,	WM_PIX_I422,
    WM_PIX_I444,   WM_PIX_I420P10, WM_PIX_P010,	 WM_PIX_GRAY16, WM_PIX_RGB48,
    WM_PIX_RGBA64, WM_PIX_GRAYA16,
};
#define N_FORMATS (sizeof(all_formats) / sizeof(all_formats[0]))

static void expect_error(const wm_frame *f, wm_status st, const char *text)
{
	assert_int_equal(wm__frame_check(f), st);
	assert_non_null(strstr(wm_last_error(), text));
}

static void test_frame_check(void **state)
{
	tframe t;
	wm_frame f;

	(void)state;
	tf_init(&t, WM_PIX_I420, 33, 17, 0, 0);
	assert_int_equal(wm__frame_check(&t.f), WM_OK);
	expect_error(NULL, WM_ERR_INVALID_ARGUMENT, "NULL");
	f = t.f;
	f.size = 8;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "size field");
	f = t.f;
	f.format = (wm_pixel_format)99;
	expect_error(&f, WM_ERR_UNSUPPORTED, "unknown pixel format 99");
	f = t.f;
	f.width = 0;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "bad size 0x17");
	f = t.f;
	f.planes[2] = NULL;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "I420 plane 2 is NULL");
	f = t.f;
	f.strides[1] = -16;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "stride -16 is shorter");
	f = t.f;
	f.matrix = (wm_matrix)7;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "colour matrix 7");
	f = t.f;
	f.alpha = (wm_alpha_mode)5;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "alpha mode 5");
	tf_free(&t);

	tf_init(&t, WM_PIX_P010, 8, 8, 2, 0);
	f = t.f;
	f.strides[0] += 1;
	expect_error(&f, WM_ERR_INVALID_ARGUMENT, "not aligned");
	tf_free(&t);
}

static void test_format_queries(void **state)
{
	(void)state;
	assert_true(wm__format_is_yuv(WM_PIX_NV21));
	assert_false(wm__format_is_yuv(WM_PIX_GRAY8));
	assert_true(wm__format_has_alpha(WM_PIX_GRAYA16));
	assert_false(wm__format_has_alpha(WM_PIX_BGRX));
	assert_true(wm__format_is_gray(WM_PIX_GRAY16));
	assert_false(wm__format_is_gray(WM_PIX_RGB48));
}

/* Layer of `r` at (x, y) applied to t (whole frame). */
static void apply_at(const wm__raster *r, tframe *t, int x, int y, unsigned g)
{
	wm__layer *l = NULL;

	assert_int_equal(wm__layer_new(r, &t->f, x, y, &l), WM_OK);
	wm__layer_apply(l, &t->f, 0, g);
	wm__layer_free(l);
}

static void copy_frame(tframe *dst, const tframe *src)
{
	for (int p = 0; p < 3; p++)
		if (src->mem[p])
			memcpy(dst->mem[p], src->mem[p],
			       src->size[p] + 2 * src->pad);
}

/* Same samples at (x, y) of `small` and (x + m, y + m) of `big`. */
static int same_region(const tframe *small, const tframe *big, int m)
{
	const wm__format_desc *d = wm__format_desc_of(small->f.format);

	for (int p = 0; p < d->planes; p++) {
		int mx = p ? m >> d->sub_x : m, my = p ? m >> d->sub_y : m;

		for (int y = 0; y < tf_plane_h(&small->f, p); y++)
			if (memcmp(tf_at(small, p, 0, y, 0),
				   tf_at(big, p, mx, y + my, 0),
				   (size_t)tf_row_bytes(&small->f, p)))
				return 0;
	}
	return 1;
}

/*
 * For every layout, random sizes (odd ones included) and offsets that put
 * the mark across every edge or wholly outside: the result equals the
 * middle of a frame large enough to hold the whole mark, nothing outside
 * the planes is written, and bottom-up storage gives the same samples.
 */
static void test_clipping_and_strides(void **state)
{
	uint32_t seed = 1234;

	(void)state;
	for (size_t i = 0; i < N_FORMATS; i++) {
		for (int iter = 0; iter < 12; iter++) {
			const int m = 64;
			int w = 1 + (int)((seed >> 4) % 37);
			int h = 1 + (int)((seed >> 12) % 29);
			int rw = 1 + (int)((seed >> 7) % 40);
			int rh = 1 + (int)((seed >> 17) % 30);
			int x = (int)((seed >> 3) % (unsigned)(w + rw + 8)) -
				rw - 4;
			int y = (int)((seed >> 9) % (unsigned)(h + rh + 8)) -
				rh - 4;
			wm__raster *r = raster_random(rw, rh, &seed);
			tframe small, flip, big;

			tf_init(&small, all_formats[i], w, h, 6, 0);
			tf_init(&flip, all_formats[i], w, h, 2, 1);
			tf_init(&big, all_formats[i], w + 2 * m, h + 2 * m, 0,
				0);
			small.f.alpha = flip.f.alpha = big.f.alpha = iter & 1;
			tf_random(&big, &seed);
			for (int p = 0; p < 3 && small.mem[p]; p++) {
				const wm__format_desc *d =
				    wm__format_desc_of(small.f.format);
				int mx = p ? m >> d->sub_x : m;
				int my = p ? m >> d->sub_y : m;

				for (int yy = 0; yy < tf_plane_h(&small.f, p);
				     yy++) {
					size_t n =
					    (size_t)tf_row_bytes(&small.f, p);

					memcpy(tf_at(&small, p, 0, yy, 0),
					       tf_at(&big, p, mx, yy + my, 0),
					       n);
					memcpy(tf_at(&flip, p, 0, yy, 0),
					       tf_at(&big, p, mx, yy + my, 0),
					       n);
				}
			}
			apply_at(r, &small, x, y, 255);
			apply_at(r, &flip, x, y, 255);
			apply_at(r, &big, x + m, y + m, 255);
			assert_true(tf_guards_ok(&small));
			assert_true(tf_guards_ok(&flip));
			assert_true(tf_equal(&small, &flip));
			assert_true(same_region(&small, &big, m));
			tf_free(&small);
			tf_free(&flip);
			tf_free(&big);
			wm__raster_free(r);
			seed = seed * 69069u + 1u;
		}
	}
}

/* Applying band by band (even band heights, odd last band) equals
 * applying to the whole frame. */
static void test_bands(void **state)
{
	static const wm_pixel_format fmts[] = {
	    WM_PIX_I420, WM_PIX_I422, WM_PIX_I444, WM_PIX_NV12, WM_PIX_BGRA};
	uint32_t seed = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		wm__raster *r = raster_random(45, 37, &seed);
		wm__layer *l = NULL;
		tframe whole, banded;

		tf_init(&whole, fmts[i], 61, 53, 0, 0);
		tf_init(&banded, fmts[i], 61, 53, 0, 0);
		tf_random(&whole, &seed);
		copy_frame(&banded, &whole);
		assert_int_equal(wm__layer_new(r, &whole.f, 7, 5, &l), WM_OK);
		wm__layer_apply(l, &whole.f, 0, 255);
		for (int y0 = 0; y0 < 53; y0 += 16) {
			wm_frame band = banded.f;
			const wm__format_desc *d = wm__format_desc_of(fmts[i]);

			band.height = y0 + 16 > 53 ? 53 - y0 : 16;
			for (int p = 0; p < d->planes; p++) {
				int sy = p ? d->sub_y : 0;

				band.planes[p] += (y0 >> sy) * band.strides[p];
			}
			wm__layer_apply(l, &band, y0, 255);
		}
		assert_true(tf_equal(&whole, &banded));
		wm__layer_free(l);
		wm__raster_free(r);
		tf_free(&whole);
		tf_free(&banded);
	}
}

static double frac(uint32_t v, uint32_t max)
{
	return (double)v / max;
}

/* Straight and premultiplied destinations follow their formulas. */
static void test_alpha_modes(void **state)
{
	uint32_t seed = 5;

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		wm__raster *r = raster_random(50, 20, &seed);
		tframe t, before;

		tf_init(&t, WM_PIX_RGBA, 50, 20, 0, 0);
		tf_init(&before, WM_PIX_RGBA, 50, 20, 0, 0);
		t.f.alpha = before.f.alpha = mode;
		tf_random(&t, &seed);
		copy_frame(&before, &t);
		apply_at(r, &t, 0, 0, 255);
		for (int y = 0; y < 20; y++)
			for (int x = 0; x < 50; x++) {
				const uint8_t *px =
				    r->pixels + y * r->stride + x * 4;
				double a = px[3] / 255.0;
				double ad =
				    frac(tf_get(&before, 0, x, y, 3), 255);
				double aout = a + ad * (1 - a);

				assert_true(
				    fabs(tf_get(&t, 0, x, y, 3) / 255.0 -
					 aout) <= 0.5 / 255 + 1e-9);
				for (int k = 0; k < 3 && px[3]; k++) {
					/* The raster's straight colour, and the
					 * stored (rounded) a_out. */
					double c = round(px[k] * 255.0 / px[3]);
					double cd = frac(
					    tf_get(&before, 0, x, y, k), 255);
					double ar =
					    frac(tf_get(&t, 0, x, y, 3), 255);
					double want;

					c = (c > 255 ? 255 : c) / 255;
					if (mode == WM_ALPHA_PREMULTIPLIED)
						want = c * a + cd * (1 - a);
					else
						want = (c * a +
							cd * ad * (1 - a)) /
						       ar;
					assert_true(
					    fabs(tf_get(&t, 0, x, y, k) -
						 255 * want) <= 0.51);
				}
				if (px[3] == 0)
					assert_int_equal(
					    tf_get(&t, 0, x, y, 0),
					    tf_get(&before, 0, x, y, 0));
			}
		tf_free(&t);
		tf_free(&before);
		wm__raster_free(r);
	}
}

/* Fades: alpha 0 changes nothing, 255 is the prepared mark, and values
 * between use round(a * g / 255). */
static void test_global_alpha(void **state)
{
	wm__raster *r = raster_flat(10, 10, 200, 100, 0, 200);
	tframe t;

	(void)state;
	tf_init(&t, WM_PIX_RGB24, 10, 10, 0, 0);
	for (unsigned g = 0; g <= 255; g += 15) {
		unsigned a = (200 * g + 127) / 255;

		memset(t.f.planes[0], 50, t.size[0]);
		apply_at(r, &t, 0, 0, g);
		assert_int_equal(tf_get(&t, 0, 3, 3, 0),
				 (200 * a + 50 * (255 - a) + 127) / 255);
		assert_int_equal(tf_get(&t, 0, 3, 3, 2),
				 (0 * a + 50 * (255 - a) + 127) / 255);
	}
	tf_free(&t);
	wm__raster_free(r);
}

/* An opaque mark of colour c on a `fmt` frame: sample (0, 0) of plane p. */
static uint32_t mark_sample(wm_pixel_format fmt, wm_matrix m, wm_range rg,
			    wm_transfer tr, const uint8_t c[3], int p, int k)
{
	wm__raster *r = raster_flat(4, 4, c[0], c[1], c[2], 255);
	uint32_t v;
	tframe t;

	tf_init(&t, fmt, 4, 4, 0, 0);
	t.f.matrix = m;
	t.f.range = rg;
	t.f.transfer = tr;
	apply_at(r, &t, 0, 0, 255);
	v = tf_get(&t, p, 0, 0, k);
	tf_free(&t);
	wm__raster_free(r);
	return v;
}

static void test_colour_spaces(void **state)
{
	static const uint8_t red[3] = {255, 0, 0}, white[3] = {255, 255, 255};
	static const uint8_t c[3] = {12, 34, 56};
	uint32_t y;

	(void)state;
	/* Full-range luma of red is 255 * Kr of the matrix. */
	assert_int_equal(mark_sample(WM_PIX_I444, WM_MATRIX_BT601,
				     WM_RANGE_FULL, 0, red, 0, 0),
			 76);
	assert_int_equal(mark_sample(WM_PIX_I444, WM_MATRIX_BT709,
				     WM_RANGE_FULL, 0, red, 0, 0),
			 54);
	assert_int_equal(mark_sample(WM_PIX_I444, WM_MATRIX_BT2020,
				     WM_RANGE_FULL, 0, red, 0, 0),
			 67);
	/* Limited range white and red chroma; 10 bits scale by 4. */
	assert_int_equal(
	    mark_sample(WM_PIX_I420, WM_MATRIX_BT709, 0, 0, white, 0, 0), 235);
	assert_int_equal(
	    mark_sample(WM_PIX_I420, WM_MATRIX_BT709, 0, 0, red, 2, 0), 240);
	assert_int_equal(
	    mark_sample(WM_PIX_I420P10, WM_MATRIX_BT709, 0, 0, white, 0, 0),
	    940);
	assert_int_equal(
	    mark_sample(WM_PIX_P010, WM_MATRIX_BT709, 0, 0, white, 0, 0),
	    940 << 6);
	/* RGB layouts take the colour as it is; 16 bits scale by 257. */
	assert_int_equal(mark_sample(WM_PIX_BGR24, 0, 0, 0, c, 0, 0), 56);
	assert_int_equal(mark_sample(WM_PIX_RGB48, 0, 0, 0, c, 0, 1), 34 * 257);
	assert_int_equal(mark_sample(WM_PIX_GRAY8, 0, 0, 0, white, 0, 0), 255);
	assert_int_equal(mark_sample(WM_PIX_GRAY16, 0, 0, 0, red, 0, 0),
			 lround(0.2126 * 65535));
	/* Reference white on PQ and HLG (limited 10-bit BT.2020). */
	y = mark_sample(WM_PIX_I420P10, WM_MATRIX_BT2020, 0, WM_TRANSFER_PQ,
			white, 0, 0);
	assert_true(fabs((y - 64) / 876.0 - 0.58) < 0.01);
	y = mark_sample(WM_PIX_I420P10, WM_MATRIX_BT2020, 0, WM_TRANSFER_HLG,
			white, 0, 0);
	assert_true(fabs((y - 64) / 876.0 - 0.75) < 0.005);
	/* AUTO: BT.601 below 720 lines (a 4-line frame). */
	assert_int_equal(mark_sample(WM_PIX_I444, WM_MATRIX_AUTO, WM_RANGE_FULL,
				     0, red, 0, 0),
			 76);
}

/*
 * One opaque white pixel, or two, at odd offsets of an I420 frame: chroma
 * alpha is the rounded mean (64 for one of four, 128 for two), not the
 * truncated one (63, 127); luma changes only under the mark.
 */
static void test_chroma_rounding(void **state)
{
	/* Pixels of a 2x2 raster that are opaque, and the chroma alpha the
	 * block they fall in must get. */
	static const struct {
		int count;
		unsigned alpha;
	} cases[] = {{1, 64}, {2, 128}, {3, 191}, {4, 255}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wm__raster *r = raster_flat(2, 2, 255, 255, 255, 0);
		unsigned a = cases[i].alpha;
		tframe t;

		for (int k = 0; k < cases[i].count; k++)
			memset(r->pixels + (k / 2) * r->stride + (k % 2) * 4,
			       255, 4);
		tf_init(&t, WM_PIX_I420, 8, 8, 0, 0);
		t.f.range = WM_RANGE_FULL;
		memset(t.f.planes[0], 0, t.size[0]);
		memset(t.f.planes[1], 0, t.size[1]);
		memset(t.f.planes[2], 0, t.size[2]);
		apply_at(r, &t, 2, 4, 255);
		assert_int_equal(tf_get(&t, 1, 1, 2, 0), (128 * a + 127) / 255);
		for (int y = 0; y < 8; y++)
			for (int x = 0; x < 8; x++) {
				int k = (y - 4) * 2 + (x - 2);
				bool in = x >= 2 && x < 4 && y >= 4 && y < 6 &&
					  k < cases[i].count;

				assert_int_equal(tf_get(&t, 0, x, y, 0),
						 in ? 255 : 0);
			}
		tf_free(&t);
		wm__raster_free(r);
	}
}

/* At odd offsets a one-pixel mark changes exactly its luma sample and the
 * chroma of the one block it falls in. */
static void test_odd_offsets(void **state)
{
	wm__raster *r = raster_flat(1, 1, 255, 255, 255, 255);

	(void)state;
	for (int y0 = 0; y0 < 4; y0++)
		for (int x0 = 0; x0 < 4; x0++) {
			tframe t;

			tf_init(&t, WM_PIX_NV21, 5, 5, 0, 0);
			memset(t.mem[0], 0, t.size[0] + 2 * t.pad);
			memset(t.mem[1], 0, t.size[1] + 2 * t.pad);
			apply_at(r, &t, x0, y0, 255);
			for (int y = 0; y < 5; y++)
				for (int x = 0; x < 5; x++)
					assert_int_equal(
					    tf_get(&t, 0, x, y, 0) != 0,
					    x == x0 && y == y0);
			for (int y = 0; y < 3; y++)
				for (int x = 0; x < 3; x++)
					assert_int_equal(
					    tf_get(&t, 1, x, y, 0) != 0,
					    x == x0 / 2 && y == y0 / 2);
			tf_free(&t);
		}
	wm__raster_free(r);
}

/*
 * Transparent runs are neither read nor written: the frame's memory is
 * mapped without access except for the pages under the covered pixels,
 * so touching anything else would crash the test.
 */
static void test_transparent_runs_untouched(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int w = (int)(2 * page / 4), h = 8;
	wm__raster *r = raster_flat(w, h, 255, 255, 255, 0);
	wm__layer *l = NULL;
	uint8_t *mem;
	wm_frame f = {0};

	(void)state;
	mem = mmap(NULL, page * 2 * h, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	assert_true(mem != MAP_FAILED);
	/* Covered: rows 2 and 5, columns in the second page only. */
	for (int y = 2; y < h; y += 3) {
		for (int x = w / 2 + 10; x < w / 2 + 40; x++)
			r->pixels[y * r->stride + x * 4 + 3] = 255;
		for (int x = w / 2 + 10; x < w / 2 + 40; x++)
			memset(r->pixels + y * r->stride + x * 4, 255, 3);
		assert_int_equal(mprotect(mem + (2 * y + 1) * page, page,
					  PROT_READ | PROT_WRITE),
				 0);
	}
	f.size = sizeof(f);
	f.format = WM_PIX_BGRX;
	f.width = w;
	f.height = h;
	f.planes[0] = mem;
	f.strides[0] = (ptrdiff_t)(2 * page);
	assert_int_equal(wm__frame_check(&f), WM_OK);
	assert_int_equal(wm__layer_new(r, &f, 0, 0, &l), WM_OK);
	wm__layer_apply(l, &f, 0, 255);
	assert_int_equal(mem[(2 * 2 + 1) * page + 10 * 4], 255);
	assert_int_equal(mem[(2 * 2 + 1) * page + 9 * 4], 0);
	wm__layer_free(l);
	wm__raster_free(r);
	munmap(mem, page * 2 * h);
}

/* Columns [x0, x1) of a raster as a raster of their own. */
static wm__raster *raster_cols(const wm__raster *r, int x0, int x1)
{
	wm__raster *c = NULL;

	assert_int_equal(wm__raster_new(x1 - x0, r->height, &c), WM_OK);
	for (int y = 0; y < r->height; y++)
		memcpy(c->pixels + y * c->stride,
		       r->pixels + y * r->stride + x0 * 4,
		       (size_t)(x1 - x0) * 4);
	return c;
}

/* A mark with long opaque runs between random edges, and a transparent
 * gap inside an opaque run on its middle rows. */
static wm__raster *raster_long_runs(uint32_t *seed)
{
	wm__raster *r = raster_random(331, 9, seed);

	for (int y = 0; y < r->height; y++)
		for (int x = 30 + y; x < 300 - y; x++) {
			uint8_t *px = r->pixels + y * r->stride + x * 4;
			int gap = y >= 3 && y <= 5 && x >= 150 && x < 170;

			px[0] = (uint8_t)(gap ? 0 : 40 + y);
			px[1] = (uint8_t)(gap ? 0 : 200);
			px[2] = (uint8_t)(gap ? 0 : 90);
			px[3] = (uint8_t)(gap ? 0 : 255);
		}
	return r;
}

/*
 * Long opaque runs (stored as ready-made destination bytes and copied) and
 * blended runs grown to whole vectors give what the same mark gives when
 * applied as slices of 1 or 2 columns, too narrow for either: every
 * layout, both alpha modes, full and reduced opacity, clipped on each
 * side.
 */
static void test_opaque_runs(void **state)
{
	static const int xs[] = {3, -101, 150};
	uint32_t seed = 4321;
	wm__raster *r = raster_long_runs(&seed);

	(void)state;
	for (size_t i = 0; i < N_FORMATS * 2 * 2 * 3; i++) {
		wm_pixel_format fmt = all_formats[i % N_FORMATS];
		int x = xs[i / (N_FORMATS * 4)], y = 1;
		unsigned g = (i / N_FORMATS) % 2 ? 170 : 255;
		tframe whole, sliced;

		tf_init(&whole, fmt, 401, 12, 2, 0);
		tf_init(&sliced, fmt, 401, 12, 2, 0);
		whole.f.alpha = sliced.f.alpha = (i / (2 * N_FORMATS)) % 2;
		tf_random(&whole, &seed);
		copy_frame(&sliced, &whole);
		apply_at(r, &whole, x, y, g);
		for (int s = 0; s < r->width;) {
			int e = s + ((x + s) % 2 == 0 ? 2 : 1);
			wm__raster *c;

			c = raster_cols(r, s, e < r->width ? e : r->width);

			apply_at(c, &sliced, x + s, y, g);
			s += c->width;
			wm__raster_free(c);
		}
		assert_true(tf_equal(&whole, &sliced));
		assert_true(tf_guards_ok(&whole));
		tf_free(&whole);
		tf_free(&sliced);
	}
	wm__raster_free(r);
}

static void test_bounds(void **state)
{
	wm__raster *r = raster_flat(20, 10, 1, 2, 3, 0);
	wm__layer *l = NULL;
	wm_frame f = {0};
	int x, y, w, h;

	(void)state;
	f.size = sizeof(f);
	f.format = WM_PIX_I420;
	f.width = 100;
	f.height = 100;
	assert_int_equal(wm__layer_new(r, &f, 10, 10, &l), WM_OK);
	wm__layer_bounds(l, &x, &y, &w, &h);
	assert_int_equal(w * h, 0);
	wm__layer_free(l);
	r->pixels[3 * r->stride + 5 * 4 + 3] = 255;
	assert_int_equal(wm__layer_new(r, &f, -3, 10, &l), WM_OK);
	wm__layer_bounds(l, &x, &y, &w, &h);
	/* Pixel (2, 13): luma alone would be 1x1; its chroma block is
	 * (2..3, 12..13). */
	assert_int_equal(x, 2);
	assert_int_equal(y, 12);
	assert_int_equal(w, 2);
	assert_int_equal(h, 2);
	wm__layer_free(l);
	wm__raster_free(r);
}

typedef struct job {
	const wm__layer *layer;
	tframe *frame;
} job;

static void *run_job(void *arg)
{
	job *j = arg;

	for (int i = 0; i < 20; i++)
		wm__layer_apply(j->layer, &j->frame->f, 0, (unsigned)(i * 13));
	return NULL;
}

/* Several threads applying one layer to their own frames get the same
 * bytes as one thread doing the same work. */
static void test_threads(void **state)
{
	uint32_t seed = 3;
	wm__raster *r = raster_random(90, 70, &seed);
	wm__layer *l = NULL;
	tframe ref, t[4];
	pthread_t th[4];
	job jobs[4];

	(void)state;
	tf_init(&ref, WM_PIX_NV12, 100, 80, 0, 0);
	tf_random(&ref, &seed);
	assert_int_equal(wm__layer_new(r, &ref.f, 5, 5, &l), WM_OK);
	for (int i = 0; i < 4; i++) {
		tf_init(&t[i], WM_PIX_NV12, 100, 80, 0, 0);
		copy_frame(&t[i], &ref);
		jobs[i] = (job){l, &t[i]};
		assert_int_equal(
		    pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
	}
	run_job(&(job){l, &ref});
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_true(tf_equal(&t[i], &ref));
		tf_free(&t[i]);
	}
	tf_free(&ref);
	wm__layer_free(l);
	wm__raster_free(r);
}

/* Applying a prepared layer allocates nothing (counted in builds with
 * -Dfault_injection=true; skipped elsewhere). */
static void test_apply_allocates_nothing(void **state)
{
	uint32_t seed = 8;
	wm__raster *r = raster_random(40, 30, &seed);
	wm__layer *l = NULL;
	tframe t;

	(void)state;
	wm__alloc_fail_at(0);
	wm__free(wm__malloc(1));
	if (wm__alloc_fail_at(0) != 1) {
		wm__raster_free(r);
		skip();
	}
	tf_init(&t, WM_PIX_I420, 50, 40, 0, 0);
	assert_int_equal(wm__layer_new(r, &t.f, 3, 3, &l), WM_OK);
	wm__alloc_fail_at(0);
	wm__layer_apply(l, &t.f, 0, 255);
	wm__layer_apply(l, &t.f, 0, 100);
	assert_int_equal(wm__alloc_fail_at(0), 0);
	wm__layer_free(l);
	wm__raster_free(r);
	tf_free(&t);
}

/* Every allocation of raster_new and layer_new may fail: the result is
 * WM_ERR_NO_MEMORY with a message, and nothing leaks (fault-injection
 * builds; skipped elsewhere). */
static void test_out_of_memory(void **state)
{
	uint32_t seed = 9;
	wm__raster *src = raster_random(20, 10, &seed);
	wm_frame f = {0};
	int failures = 0;

	(void)state;
	wm__alloc_fail_at(0);
	wm__free(wm__malloc(1));
	if (wm__alloc_fail_at(0) != 1) {
		wm__raster_free(src);
		skip();
	}
	f.size = sizeof(f);
	f.format = WM_PIX_NV12;
	f.width = f.height = 64;
	for (uint64_t n = 1;; n++) {
		wm__raster *r = NULL;
		wm__layer *l = NULL;
		wm_status st;

		wm__alloc_fail_at(n);
		st = wm__raster_new(20, 10, &r);
		if (st == WM_OK) {
			memcpy(r->pixels, src->pixels, 20 * 10 * 4);
			st = wm__layer_new(r, &f, 1, 1, &l);
		}
		wm__alloc_fail_at(0);
		wm__layer_free(l);
		wm__raster_free(r);
		if (st == WM_OK)
			break;
		assert_int_equal(st, WM_ERR_NO_MEMORY);
		assert_non_null(strstr(wm_last_error(), "memory"));
		failures++;
	}
	assert_true(failures >= 3);
	wm__raster_free(src);
}

/* Bad arguments fail with a message instead of crashing. */
static void test_bad_arguments(void **state)
{
	wm__raster *r = NULL;
	wm__layer *l = NULL;
	wm_frame f = {0};

	(void)state;
	assert_int_equal(wm__raster_new(0, 5, &r), WM_ERR_TOO_LARGE);
	assert_non_null(strstr(wm_last_error(), "raster"));
	assert_int_equal(wm__raster_new(4, 4, &r), WM_OK);
	assert_int_equal(wm__layer_new(r, &f, 0, 0, &l),
			 WM_ERR_INVALID_ARGUMENT);
	f.size = sizeof(f);
	f.format = WM_PIX_RGBA;
	f.width = f.height = 10;
	assert_int_equal(wm__layer_new(r, &f, 1 << 29, 0, &l),
			 WM_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(wm_last_error(), "too far"));
	assert_null(l);
	wm__raster_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_check),
	    cmocka_unit_test(test_format_queries),
	    cmocka_unit_test(test_clipping_and_strides),
	    cmocka_unit_test(test_bands),
	    cmocka_unit_test(test_alpha_modes),
	    cmocka_unit_test(test_global_alpha),
	    cmocka_unit_test(test_colour_spaces),
	    cmocka_unit_test(test_chroma_rounding),
	    cmocka_unit_test(test_odd_offsets),
	    cmocka_unit_test(test_transparent_runs_untouched),
	    cmocka_unit_test(test_opaque_runs),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_apply_allocates_nothing),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
