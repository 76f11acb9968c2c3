/* Helpers shared by the mark tests: frames, PNG files, paths, log capture. */
#ifndef WM_MARK_TEST_H
#define WM_MARK_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fontconfig/fontconfig.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mark/mark_internal.h"

typedef struct test_image {
	int w;
	int h;
	uint8_t *px; /* RGBA, straight alpha, rows w * 4 bytes */
} test_image;

static inline test_image image_new(int w, int h, uint32_t rgba)
{
	test_image im = {w, h, malloc((size_t)w * h * 4)};

	assert_non_null(im.px);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		im.px[i * 4] = (uint8_t)(rgba >> 24);
		im.px[i * 4 + 1] = (uint8_t)(rgba >> 16);
		im.px[i * 4 + 2] = (uint8_t)(rgba >> 8);
		im.px[i * 4 + 3] = (uint8_t)rgba;
	}
	return im;
}

static inline void image_free(test_image *im)
{
	free(im->px);
	im->px = NULL;
}

static inline wm_frame image_frame(test_image *im)
{
	wm_frame f;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.width = im->w;
	f.height = im->h;
	f.format = WM_PIX_RGBA;
	f.range = WM_RANGE_FULL;
	f.alpha = WM_ALPHA_STRAIGHT;
	f.planes[0] = im->px;
	f.strides[0] = im->w * 4;
	f.orientation = WM_ORIENT_NORMAL;
	return f;
}

static inline uint8_t *image_at(test_image *im, int x, int y)
{
	return im->px + ((size_t)y * im->w + x) * 4;
}

static inline void png_save(const char *path, const test_image *im)
{
	png_image img;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)im->w;
	img.height = (png_uint_32)im->h;
	img.format = PNG_FORMAT_RGBA;
	assert_true(
	    png_image_write_to_file(&img, path, 0, im->px, im->w * 4, NULL));
}

/* Returns false if the file cannot be read. */
static inline bool png_load(const char *path, test_image *im)
{
	png_image img;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return false;
	img.format = PNG_FORMAT_RGBA;
	im->w = (int)img.width;
	im->h = (int)img.height;
	im->px = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(im->px);
	if (!png_image_finish_read(&img, NULL, im->px, 0, NULL)) {
		free(im->px);
		return false;
	}
	return true;
}

/* $WMARK_TEST_DATA/rel, or $WMARK_SOURCE_ROOT/rel when `source` is set. */
static inline const char *test_path(const char *var, const char *rel)
{
	static char buf[4][1400];
	static int next;
	const char *root = getenv(var);
	char *out = buf[next++ & 3];

	snprintf(out, sizeof(buf[0]), "%s/%s", root ? root : ".", rel);
	return out;
}

static inline const char *test_font(const char *file)
{
	char rel[200];

	snprintf(rel, sizeof(rel), "fonts/%.150s", file);
	return test_path("WMARK_TEST_DATA", rel);
}

/* A scratch file in the build tree. */
static inline const char *scratch_path(const char *name)
{
	char rel[200];

	snprintf(rel, sizeof(rel), "tests/mark/%.150s", name);
	return test_path("WMARK_BUILD_ROOT", rel);
}

/* Log capture: warnings are counted and the last one kept. */
static int test_log_warnings;
static char test_log_last[512];

static inline void test_log(void *user, wm_log_level level, const char *msg)
{
	(void)user;
	if (level <= WM_LOG_WARNING) {
		test_log_warnings++;
		snprintf(test_log_last, sizeof(test_log_last), "%s", msg);
	}
}

static inline wm_mark *mark_with(const char *const *opts)
{
	wm_mark *m = NULL;

	assert_int_equal(wm_mark_new(&m), WM_OK);
	for (int i = 0; opts && opts[i]; i++) {
		wm_status s = wm_mark_set(m, opts[i], NULL);

		if (s != WM_OK)
			fail_msg("%s: %s", opts[i], wm_last_error());
	}
	return m;
}

/* Bounding box of pixels that differ from `bg` by more than `tol`. */
static inline bool changed_box(test_image *im, uint32_t bg, int tol, int *x0,
			       int *y0, int *x1, int *y1)
{
	*x0 = im->w;
	*y0 = im->h;
	*x1 = -1;
	*y1 = -1;
	for (int y = 0; y < im->h; y++) {
		for (int x = 0; x < im->w; x++) {
			uint8_t *p = image_at(im, x, y);
			bool diff = false;

			for (int c = 0; c < 3; c++)
				diff |= abs(p[c] - (int)((bg >> (24 - 8 * c)) &
							 0xff)) > tol;
			if (!diff)
				continue;
			*x0 = x < *x0 ? x : *x0;
			*y0 = y < *y0 ? y : *y0;
			*x1 = x > *x1 ? x : *x1;
			*y1 = y > *y1 ? y : *y1;
		}
	}
	return *x1 >= 0;
}

/* fontconfig keeps its configuration until FcFini; release it so that
 * LeakSanitizer reports only leaks of the library. */
static inline int run_tests_and_clean(int status)
{
	FcFini();
	return status;
}

#endif /* WM_MARK_TEST_H */
