/* Logos: every PNG colour type and depth (PngSuite), JPEG and WebP, bad
 * files refused clearly, scaling without halos, and fitting. */
#include <dirent.h>
#include <stdio.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "logo_gen.h"

static bool corpus_file(const char *rel, char *out, size_t n)
{
	const char *root = getenv("WMARK_CORPUS");

	snprintf(out, n, "%s/%s", root ? root : "", rel);
	return root && access(out, R_OK) == 0;
}

static uint8_t *px_at(wm__raster *r, int x, int y)
{
	return r->pixels + y * r->stride + x * 4;
}

/* Every PngSuite file decodes (or, for the x* files, fails with a
 * message); interlaced files decode to the same pixels as plain ones. */
static void test_pngsuite(void **state)
{
	static const char *pairs[] = {"0g16", "2c16", "3p08",
				      "4a16", "6a08", "6a16"};
	char dir[1024], path[1400];
	DIR *d;
	struct dirent *e;
	int decoded = 0;

	(void)state;
	if (!corpus_file("png/pngsuite", dir, sizeof(dir)))
		skip();
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		wm__raster r;
		wm_status s;

		if (!strstr(e->d_name, ".png"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		s = wm__logo_decode(path, &r);
		if (e->d_name[0] == 'x') {
			assert_int_not_equal(s, WM_OK);
			assert_non_null(strstr(wm_last_error(), e->d_name));
			continue;
		}
		if (s != WM_OK)
			fail_msg("%s: %s", e->d_name, wm_last_error());
		decoded++;
		wm__canvas_free(&r);
	}
	closedir(d);
	assert_true(decoded > 50);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		wm__raster a, b;

		snprintf(path, sizeof(path), "%s/basn%s.png", dir, pairs[i]);
		assert_int_equal(wm__logo_decode(path, &a), WM_OK);
		snprintf(path, sizeof(path), "%s/basi%s.png", dir, pairs[i]);
		assert_int_equal(wm__logo_decode(path, &b), WM_OK);
		assert_memory_equal(a.pixels, b.pixels, 32 * 32 * 4);
		wm__canvas_free(&a);
		wm__canvas_free(&b);
	}
}

/* Known values: 2-bit grey has four levels (black and white at the ends;
 * the file's gAMA of 1.0 moves the middle two when encoded as sRGB); a
 * tRNS palette entry makes pixels transparent (premultiplied to zero). */
static void test_png_values(void **state)
{
	char path[1400];
	wm__raster r;
	int levels[256] = {0}, count = 0, clear = 0;

	(void)state;
	if (!corpus_file("png/pngsuite/basn0g02.png", path, sizeof(path)))
		skip();
	assert_int_equal(wm__logo_decode(path, &r), WM_OK);
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++)
			levels[px_at(&r, x, y)[0]] = 1;
	for (int i = 0; i < 256; i++)
		count += levels[i];
	assert_int_equal(count, 4);
	assert_true(levels[0] && levels[255]);
	wm__canvas_free(&r);
	assert_true(
	    corpus_file("png/pngsuite/tbbn3p08.png", path, sizeof(path)));
	assert_int_equal(wm__logo_decode(path, &r), WM_OK);
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++) {
			uint8_t *p = px_at(&r, x, y);

			clear += p[3] == 0;
			assert_true(p[0] <= p[3] && p[1] <= p[3] &&
				    p[2] <= p[3]);
		}
	assert_true(clear > 100);
	wm__canvas_free(&r);
}

static void write_jpeg(const char *path, int w, int h, const uint8_t rgb[3])
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr err;
	uint8_t *row = malloc((size_t)w * 3);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (int i = 0; i < w; i++)
		memcpy(row + i * 3, rgb, 3);
	ci.err = jpeg_std_error(&err);
	jpeg_create_compress(&ci);
	jpeg_stdio_dest(&ci, f);
	ci.image_width = (JDIMENSION)w;
	ci.image_height = (JDIMENSION)h;
	ci.input_components = 3;
	ci.in_color_space = JCS_RGB;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 95, TRUE);
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < ci.image_height)
		jpeg_write_scanlines(&ci, &row, 1);
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	fclose(f);
	free(row);
}

static void test_jpeg(void **state)
{
	static const uint8_t rgb[3] = {200, 100, 50};
	const char *path = scratch_path("logo.jpg");
	char corpus[1400];
	wm__raster r;

	(void)state;
	write_jpeg(path, 48, 32, rgb);
	assert_int_equal(wm__logo_decode(path, &r), WM_OK);
	assert_int_equal(r.width, 48);
	assert_int_equal(r.height, 32);
	for (int c = 0; c < 3; c++)
		assert_in_range(px_at(&r, 20, 10)[c], rgb[c] - 4, rgb[c] + 4);
	assert_int_equal(px_at(&r, 20, 10)[3], 255);
	wm__canvas_free(&r);
	if (corpus_file("images/jpeg/pil_sample_cmyk.jpg", corpus,
			sizeof(corpus))) {
		assert_int_equal(wm__logo_decode(corpus, &r), WM_OK);
		assert_true(wm__canvas_has_color(&r));
		wm__canvas_free(&r);
	}
}

static void test_webp(void **state)
{
	test_image im = image_new(32, 32, 0x30c060ff);
	const char *path = scratch_path("logo.webp");
	uint8_t *data = NULL;
	size_t size;
	FILE *f;
	wm__raster r;

	(void)state;
	for (int x = 0; x < 32; x++)
		image_at(&im, x, 5)[3] = 128; /* a half-transparent row */
	size = WebPEncodeLosslessRGBA(im.px, 32, 32, 32 * 4, &data);
	assert_true(size > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	fclose(f);
	WebPFree(data);
	assert_int_equal(wm__logo_decode(path, &r), WM_OK);
	assert_int_equal(px_at(&r, 3, 3)[1], 0xc0);
	assert_int_equal(px_at(&r, 3, 5)[3], 128);
	assert_int_equal(px_at(&r, 3, 5)[1], (0xc0 * 128 + 127) / 255);
	wm__canvas_free(&r);
	image_free(&im);
}

static void test_bad_files(void **state)
{
	const char *path = scratch_path("not-a-logo.txt");
	FILE *f = fopen(path, "wb");
	wm__raster r;

	(void)state;
	assert_non_null(f);
	fputs("GIF89a, not supported here", f);
	fclose(f);
	assert_int_equal(wm__logo_decode(path, &r), WM_ERR_UNSUPPORTED);
	assert_non_null(strstr(wm_last_error(), "47 49 46 38"));
	assert_int_equal(wm__logo_decode("/nonexistent/logo.png", &r),
			 WM_ERR_NOT_FOUND);
	assert_non_null(strstr(wm_last_error(), "/nonexistent/logo.png"));
}

/* A logo whose header declares more than 40 megapixels is refused from the
 * header, before any pixel buffer exists (the file holds no image data). */
static void test_logo_bomb(void **state)
{
	const char *path = scratch_path("bomb.png");
	FILE *f = fopen(path, "wb");
	png_structp png;
	png_infop info;
	wm__raster r;

	(void)state;
	assert_non_null(f);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	assert_non_null(info);
	png_init_io(png, f);
	png_set_IHDR(png, info, 8000, 8000, 8, PNG_COLOR_TYPE_RGB_ALPHA,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* An empty IDAT ends the header as a reader sees it. */
	png_write_chunk(png, (png_const_bytep) "IDAT", NULL, 0);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	assert_int_equal(wm__logo_decode(path, &r), WM_ERR_TOO_LARGE);
	assert_non_null(strstr(wm_last_error(), "8000x8000"));
	assert_non_null(strstr(wm_last_error(), "bomb.png"));
}

/* A ring scaled to a quarter: a white ring whose hidden colour is black
 * stays >= 250 on white; a black ring hiding white stays <= 5 on black. */
static void test_no_halo(void **state)
{
	uint32_t ring[2] = {0xffffff, 0x000000};
	uint32_t bg[2] = {0xffffffff, 0x000000ff};

	(void)state;
	for (int k = 0; k < 2; k++) {
		const char *logo =
		    logo_file(k ? "halo-black.png" : "halo-white.png", 200,
			      ring[k], ring[1 - k], 0, 0);
		const char *opts[] = {"text=", "scale=0.125", NULL};
		wm_mark *m = mark_with(opts);
		test_image im = image_new(400, 300, bg[k]);
		wm_frame f = image_frame(&im);
		int lo = 255, hi = 0;

		assert_int_equal(wm_mark_set(m, "logo", logo), WM_OK);
		assert_int_equal(wm_mark_apply(m, &f, 0), WM_OK);
		for (int i = 0; i < 400 * 300 * 4; i++) {
			if (i % 4 == 3)
				continue;
			lo = im.px[i] < lo ? im.px[i] : lo;
			hi = im.px[i] > hi ? im.px[i] : hi;
		}
		print_message("ring %s: channels %d..%d\n",
			      k ? "black" : "white", lo, hi);
		if (k == 0)
			assert_true(lo >= 250);
		else
			assert_true(hi <= 5);
		image_free(&im);
		wm_mark_free(m);
	}
}

/* A 250x250 logo on a 300x200 picture is shrunk to fit its margins. */
static void test_logo_fits(void **state)
{
	const char *logo =
	    logo_file("fit.png", 250, 0xffffff, 0, 0xff0000, 255);
	const char *opts[] = {"text=", NULL};
	wm_mark *m = mark_with(opts);
	test_image im = image_new(300, 200, 0x000000ff);
	wm_frame f = image_frame(&im);
	int x0, y0, x1, y1;

	(void)state;
	assert_int_equal(wm_mark_set(m, "logo", logo), WM_OK);
	assert_int_equal(wm_mark_apply(m, &f, 0), WM_OK);
	assert_true(changed_box(&im, 0x000000ff, 8, &x0, &y0, &x1, &y1));
	assert_true(x0 >= 3 && y0 >= 3 && x1 <= 296 && y1 <= 196);
	assert_true(y1 - y0 > 150); /* shrunk, not dropped */
	image_free(&im);
	wm_mark_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pngsuite),  cmocka_unit_test(test_png_values),
	    cmocka_unit_test(test_jpeg),      cmocka_unit_test(test_webp),
	    cmocka_unit_test(test_bad_files), cmocka_unit_test(test_no_halo),
	    cmocka_unit_test(test_logo_fits), cmocka_unit_test(test_logo_bomb),
	};

	return run_tests_and_clean(cmocka_run_group_tests(tests, NULL, NULL));
}
