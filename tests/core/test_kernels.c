/*
 * The kernels: the scalar reference against the exact formulas over their
 * whole input ranges, and the active backend (chosen by WMARK_CPU, run once
 * per backend) against the scalar one, bit for bit, on seeded random rows
 * of 1..67 pixels at random alignments, and on whole random layers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "kernel_compare.h"

/* Seed of the frames and rasters (the kernel cases have their own). */
static uint32_t seed = 20261203;

static void test_backend_is_requested(void **state)
{
	const char *env = getenv("WMARK_CPU");

	(void)state;
	print_message("backend: %s (WMARK_CPU=%s)\n", wm__cpu_backend(),
		      env ? env : "");
	if (env && strcmp(env, "scalar") == 0)
		assert_string_equal(wm__cpu_backend(), "scalar");
	if (env && strcmp(env, "sse2") == 0 &&
	    strcmp(wm__cpu_backend(), "sse2") != 0)
		skip();
	if (env && strcmp(env, "avx2") == 0 &&
	    strcmp(wm__cpu_backend(), "avx2") != 0)
		skip();
	if (env && strcmp(env, "avx512") == 0 &&
	    strcmp(wm__cpu_backend(), "avx512") != 0)
		skip();
}

/* planar8 and pairs16 are exact: every colour, frame value and alpha. */
static void test_scalar_is_exact(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		uint8_t src[2 * 256], dst[256];

		for (unsigned c = 0; c < 256; c++) {
			for (unsigned d = 0; d < 256; d++) {
				uint8_t *b = src +
					     d / WM__BLOCK8 * 2 * WM__BLOCK8 +
					     d % WM__BLOCK8;

				b[0] = (uint8_t)(c ^ 0x80);
				b[WM__BLOCK8] = (uint8_t)a;
				dst[d] = (uint8_t)d;
			}
			wm__kernels_scalar.planar8(dst, src, 256, 255);
			for (unsigned d = 0; d < 256; d++) {
				double x = (c * a + d * (255.0 - a)) / 255;

				assert_true(dst[d] - x <= 0.5 &&
					    x - dst[d] <= 0.5);
			}
		}
	}
	for (int i = 0; i < 200000; i++) {
		uint16_t src[2] = {(uint16_t)rnd(), (uint16_t)rnd_alpha()};
		uint16_t dst = (uint16_t)rnd();
		double x =
		    (src[0] * (double)src[1] + dst * (255.0 - src[1])) / 255;

		wm__kernels_scalar.pairs16(&dst, src, 1, 255, 0);
		assert_true(dst - x <= 0.5 && x - dst <= 0.5);
	}
}

/* The 16-bit-lane and two-step divides of the SIMD kernels are exact. */
static void test_divide_formulas(void **state)
{
	(void)state;
	for (uint32_t x = 0; x <= 255 * 255; x++) {
		uint32_t t = x + 128;

		assert_true(((t + (t >> 8)) >> 8) == wm__div255(x));
		assert_true((t * 257) >> 16 == wm__div255(x));
	}
	for (uint32_t x = 0; x <= 255u * 65535u; x++) {
		uint32_t t = x + 128, q = (t + (t >> 8)) >> 8;

		if (((t + q) >> 8) != wm__div255(x))
			fail_msg("two-step divide wrong at %u", x);
	}
}

/* planar8 from any sample of its blocks (what a layer clipped by the
 * frame's left edge uses) gives the bytes of the whole run there. */
static void test_planar8_from(void **state)
{
	uint8_t src[6 * WM__BLOCK8], a[3 * WM__BLOCK8], b[3 * WM__BLOCK8],
	    orig[3 * WM__BLOCK8];

	(void)state;
	for (int rep = 0; rep < 2000; rep++) {
		int n = 1 + (int)(rnd() % (3 * WM__BLOCK8));
		int i0 = (int)(rnd() % (unsigned)n);
		unsigned g = rnd() % 2 ? 255 : rnd() % 256;

		fill_src(src, 0, 3 * WM__BLOCK8, 1, 0, 0);
		fill(orig, sizeof(orig));
		memcpy(a, orig, sizeof(a));
		memcpy(b, orig, sizeof(b));
		wm__planar8_scalar(a, src, n, g);
		wm__planar8_from(b + i0, src, i0, n - i0, g);
		assert_memory_equal(a + i0, b + i0, (size_t)(n - i0));
		/* Nothing before sample i0 or after the run is written. */
		assert_memory_equal(b, orig, (size_t)i0);
		assert_memory_equal(b + n, orig + n, sizeof(b) - (size_t)n);
	}
}

/* The same for planar8x2: both planes, nothing outside them written. */
static void test_planar8x2_from(void **state)
{
	uint8_t src[9 * WM__BLOCK8], a[6 * WM__BLOCK8], b[6 * WM__BLOCK8],
	    orig[6 * WM__BLOCK8];
	const int h = 3 * WM__BLOCK8;

	(void)state;
	for (int rep = 0; rep < 2000; rep++) {
		int n = 1 + (int)(rnd() % (3 * WM__BLOCK8));
		int i0 = (int)(rnd() % (unsigned)n);
		unsigned g = rnd() % 2 ? 255 : rnd() % 256;

		fill_src(src, 7, 3 * WM__BLOCK8, 1, 0, 0);
		fill(orig, sizeof(orig));
		memcpy(a, orig, sizeof(a));
		memcpy(b, orig, sizeof(b));
		wm__planar8x2_scalar(a, a + h, src, n, g);
		wm__planar8x2_from(b + i0, b + h + i0, src, i0, n - i0, g);
		assert_memory_equal(a + i0, b + i0, (size_t)(n - i0));
		assert_memory_equal(a + h + i0, b + h + i0, (size_t)(n - i0));
		assert_memory_equal(b, orig, (size_t)i0);
		assert_memory_equal(b + h, orig + h, (size_t)i0);
		assert_memory_equal(b + n, orig + n, (size_t)(h - n));
		assert_memory_equal(b + h + n, orig + h + n, (size_t)(h - n));
	}
}

static void test_kernels_match_scalar(void **state)
{
	const wm__kernels *k = wm__kernels_active();

	(void)state;
	assert_int_equal(compare_all(k, 60), 0);
}

static const wm_pixel_format all_formats[] = {
    WM_PIX_RGBA,   WM_PIX_BGRA,	   WM_PIX_ARGB,	 WM_PIX_ABGR,	WM_PIX_RGBX,
    WM_PIX_BGRX,   WM_PIX_RGB24,   WM_PIX_BGR24, WM_PIX_GRAY8,	WM_PIX_GRAYA8,
    WM_PIX_I420,   WM_PIX_YV12,	   WM_PIX_NV12,	 WM_PIX_NV21,	WM_PIX_I422,
    WM_PIX_I444,   WM_PIX_I420P10, WM_PIX_P010,	 WM_PIX_GRAY16, WM_PIX_RGB48,
    WM_PIX_RGBA64, WM_PIX_GRAYA16,
};

/* Whole layers on random frames: the active backend gives the scalar
 * kernels' bytes for every layout, alpha mode, size and offset. */
static void test_layers_match_scalar(void **state)
{
	const wm__kernels *k = wm__kernels_active();

	(void)state;
	for (size_t i = 0; i < sizeof(all_formats) / sizeof(all_formats[0]);
	     i++) {
		for (int rep = 0; rep < 20; rep++) {
			int w = 1 + (int)(rnd() % 67), h = 1 + (int)(rnd() % 9);
			int rw = 1 + (int)(rnd() % 67),
			    rh = 1 + (int)(rnd() % 9);
			int x = (int)(rnd() % (unsigned)(w + rw)) - rw / 2;
			int y = (int)(rnd() % (unsigned)(h + rh)) - rh / 2;
			unsigned g = rnd() % 2 ? 255 : rnd() % 256;
			wm__raster *r = raster_random(rw, rh, &seed);
			wm__layer *l = NULL;
			tframe a, b;

			tf_init(&a, all_formats[i], w, h, (int)(rnd() % 5) * 2,
				(int)(rnd() % 2));
			tf_init(&b, all_formats[i], w, h, 0, 0);
			a.f.alpha = b.f.alpha = (wm_alpha_mode)(rnd() % 2);
			tf_random(&a, &seed);
			for (int p = 0; p < 3 && b.mem[p]; p++)
				for (int yy = 0; yy < tf_plane_h(&a.f, p); yy++)
					memcpy(tf_at(&b, p, 0, yy, 0),
					       tf_at(&a, p, 0, yy, 0),
					       (size_t)tf_row_bytes(&a.f, p));
			assert_int_equal(wm__layer_new(r, &a.f, x, y, &l),
					 WM_OK);
			wm__kernels_override(&wm__kernels_scalar);
			wm__layer_apply(l, &b.f, 0, g);
			wm__kernels_override(NULL);
			assert_ptr_equal(wm__kernels_active(), k);
			wm__layer_apply(l, &a.f, 0, g);
			assert_true(tf_equal(&a, &b));
			assert_true(tf_guards_ok(&a));
			wm__layer_free(l);
			wm__raster_free(r);
			tf_free(&a);
			tf_free(&b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backend_is_requested),
	    cmocka_unit_test(test_scalar_is_exact),
	    cmocka_unit_test(test_divide_formulas),
	    cmocka_unit_test(test_planar8_from),
	    cmocka_unit_test(test_planar8x2_from),
	    cmocka_unit_test(test_kernels_match_scalar),
	    cmocka_unit_test(test_layers_match_scalar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
