/* Layout: anchors, absolute positions and offsets, tiling, fitting into
 * small frames, orientation mapping and non-square pixels. */
#include <time.h>

#include "mark_test.h"

#define BG 0x203040ff

static test_image marked(const char *const *opts, int w, int h, int orient,
			 int sar_num, int sar_den)
{
	wm_mark *m = mark_with(opts);
	test_image im = image_new(w, h, BG);
	wm_frame f = image_frame(&im);

	f.orientation = (wm_orientation)orient;
	f.sar_num = sar_num;
	f.sar_den = sar_den;
	if (wm_mark_apply(m, &f, 0) != WM_OK)
		fail_msg("apply: %s", wm_last_error());
	wm_mark_free(m);
	return im;
}

static void test_nine_anchors(void **state)
{
	static const char *names[] = {"top-left",    "top",    "top-right",
				      "left",	     "center", "right",
				      "bottom-left", "bottom", "bottom-right"};

	(void)state;
	for (int i = 0; i < 9; i++) {
		char pos[64];
		const char *opts[] = {pos, "size=5%", NULL};
		test_image im;
		int x0, y0, x1, y1, cx, cy;

		snprintf(pos, sizeof(pos), "position=%s", names[i]);
		im = marked(opts, 900, 600, 1, 0, 0);
		assert_true(changed_box(&im, BG, 8, &x0, &y0, &x1, &y1));
		cx = (x0 + x1) / 2;
		cy = (y0 + y1) / 2;
		assert_int_equal(cx / 300, i % 3);
		assert_int_equal(cy / 200, i / 3);
		/* The margin of 2% (12 px) is kept from the nearest edges. */
		if (i % 3 == 0)
			assert_in_range(x0, 12, 24);
		if (i % 3 == 2)
			assert_in_range(x1, 900 - 24, 900 - 12);
		if (i / 3 == 0)
			assert_in_range(y0, 12, 30);
		image_free(&im);
	}
}

static void test_absolute_and_offset(void **state)
{
	const char *abs_opts[] = {"x=100", "y=50", NULL};
	const char *base[] = {"position=center", NULL};
	const char *moved[] = {"position=center", "offset-x=-30", "offset-y=20",
			       NULL};
	test_image a = marked(abs_opts, 600, 400, 1, 0, 0);
	test_image b = marked(base, 600, 400, 1, 0, 0);
	test_image c = marked(moved, 600, 400, 1, 0, 0);
	int ax0, ay0, ax1, ay1, bx0, by0, bx1, by1, cx0, cy0, cx1, cy1;

	(void)state;
	assert_true(changed_box(&a, BG, 8, &ax0, &ay0, &ax1, &ay1));
	assert_true(changed_box(&b, BG, 8, &bx0, &by0, &bx1, &by1));
	assert_true(changed_box(&c, BG, 8, &cx0, &cy0, &cx1, &cy1));
	assert_in_range(ax0, 100, 112); /* the block's padding is inside */
	assert_in_range(ay0, 50, 70);
	assert_int_equal(cx0, bx0 - 30);
	assert_int_equal(cy0, by0 + 20);
	image_free(&a);
	image_free(&b);
	image_free(&c);
}

static void test_tiling(void **state)
{
	const char *opts[] = {"tile=true", "angle=30", "size=5%", NULL};
	test_image im = marked(opts, 640, 480, 1, 0, 0);
	int quad[4] = {0, 0, 0, 0};

	(void)state;
	for (int y = 0; y < im.h; y++)
		for (int x = 0; x < im.w; x++)
			if (image_at(&im, x, y)[0] > 0x80)
				quad[(y >= 240) * 2 + (x >= 320)]++;
	for (int q = 0; q < 4; q++)
		assert_true(quad[q] > 500);
	image_free(&im);
}

/* Marks that do not fit are scaled down, never refused. */
static void test_fit_small_frames(void **state)
{
	const char *opts[] = {"size=30%", "text=AI-generated content", NULL};
	test_image im = marked(NULL, 32, 32, 1, 0, 0);
	test_image big = marked(opts, 200, 120, 1, 0, 0);
	int x0, y0, x1, y1;

	(void)state;
	assert_true(changed_box(&im, BG, 8, &x0, &y0, &x1, &y1));
	assert_true(x0 >= 0 && x1 < 32 && y1 < 32);
	assert_true(changed_box(&big, BG, 8, &x0, &y0, &x1, &y1));
	assert_true(x0 >= 2 && x1 <= 200 - 2);
	image_free(&im);
	image_free(&big);
}

/* Extreme settings still give a mark inside the frame, never an error. */
static void test_extremes(void **state)
{
	static char long_text[2100] = "text=";
	const char *cases[][4] = {
	    {"size=100000", NULL},
	    {long_text, NULL},
	    {"angle=45", "size=90%", NULL},
	    {"tile=true", "angle=-30", "size=100%", NULL},
	    {"tile=true", "size=1", "tile-spacing=0", NULL},
	    {"max-width=1", "text=a b c d e f", NULL},
	};

	(void)state;
	memset(long_text + 5, 'W', 2000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_image im = marked(cases[i], 480, 270, 1, 0, 0);
		int x0, y0, x1, y1;

		if (changed_box(&im, BG, 8, &x0, &y0, &x1, &y1))
			assert_true(x0 >= 0 && y0 >= 0 && x1 < 480 && y1 < 270);
		image_free(&im);
	}
}

/* On pictures tens of thousands of pixels a side, the default size and an
 * angle would need canvases past their limit: the mark is made smaller
 * to fit one, never an error. */
static void test_huge_pictures(void **state)
{
	const char *cases[][3] = {{NULL}, {"angle=45", NULL}, {"box=true", NULL}};
	const int sizes[][2] = {{65535, 65535}, {60000, 2000}, {40000, 30000}};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			wm_mark *m = mark_with(cases[c]);
			wm_frame f = {.size = sizeof(f),
				      .width = sizes[k][0],
				      .height = sizes[k][1],
				      .format = WM_PIX_RGBA};
			wm__layout l;

			if (wm__layout_render(m, &f, &l) != WM_OK)
				fail_msg("%dx%d: %s", sizes[k][0], sizes[k][1],
					 wm_last_error());
			assert_true(l.raster.width <= 32768 &&
				    l.raster.height <= 32768);
			assert_true(l.raster.height >= 100);
			wm__layout_free(&l);
			wm_mark_free(m);
		}
	}
}

/* Processor time, not wall time: the machine may be busy with others. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Height of what a mark with `text` changes on a w x h picture (0 when it
 * changes nothing); warnings go to test_log. */
static int text_mark_height(const char *text, int w, int h, double *ms)
{
	wm_mark *m = mark_with(NULL);
	test_image im = image_new(w, h, BG);
	wm_frame f = image_frame(&im);
	int x0, y0, x1, y1, height = 0;
	double t0;

	assert_int_equal(wm_mark_set_string(m, WM_OPT_TEXT, text), WM_OK);
	t0 = now_ms();
	if (wm_mark_apply(m, &f, 0) != WM_OK)
		fail_msg("apply: %s", wm_last_error());
	if (ms)
		*ms = now_ms() - t0;
	if (changed_box(&im, BG, 8, &x0, &y0, &x1, &y1)) {
		assert_true(x0 >= 0 && y0 >= 0 && x1 < w && y1 < h);
		height = y1 - y0 + 1;
	}
	image_free(&im);
	wm_mark_free(m);
	return height;
}

static char *repeat(const char *unit, int times)
{
	size_t len = strlen(unit);
	char *s = malloc(len * (size_t)times + 1);

	assert_non_null(s);
	for (int i = 0; i < times; i++)
		memcpy(s + len * (size_t)i, unit, len);
	s[len * (size_t)times] = 0;
	return s;
}

/* A text with nowhere to break wraps inside its words, and emoji wrap
 * between each other, instead of shrinking the text into a dotted line
 * or nothing. The default size on 1200x800 is 32 px; one line of 400 'x'
 * would have to shrink to about 3 px. */
static void test_long_words_wrap(void **state)
{
	static const struct {
		const char *unit;
		int times;
	} cases[] = {{"x", 400}, {"x", 5000}, {"\xf0\x9f\xa4\x96", 1000}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = repeat(cases[i].unit, cases[i].times);
		int height;

		test_log_warnings = 0;
		wm_set_log_callback(test_log, NULL);
		height = text_mark_height(text, 1200, 800, NULL);
		wm_set_log_callback(NULL, NULL);
		print_message("%d x '%s': mark %d px high\n", cases[i].times,
			      cases[i].unit, height);
		assert_true(height >= 100);
		if (i < 2) /* readable, so nothing to warn about */
			assert_int_equal(test_log_warnings, 0);
		free(text);
	}
}

/* Fitting measures instead of drawing every try, so that an absurdly long
 * text costs well under a second; text that cannot be readable is
 * reported with its sizes. A tiny frame takes any mark without comment. */
static void test_long_text(void **state)
{
	char *text = repeat("words ", 20000);
	double ms;
	int height;

	(void)state;
	test_log_warnings = 0;
	test_log_last[0] = 0;
	wm_set_log_callback(test_log, NULL);
	height = text_mark_height(text, 1200, 800, &ms);
	wm_set_log_callback(NULL, NULL);
	print_message("20000 words on 1200x800: %.0f ms CPU, mark %d px high; "
		      "%s\n",
		      ms, height, test_log_last);
	assert_true(height > 400);
	assert_int_equal(test_log_warnings, 1);
	assert_non_null(strstr(test_log_last, "1200x800"));
	assert_non_null(strstr(test_log_last, "px high (asked 32.0 px)"));

	test_log_warnings = 0;
	wm_set_log_callback(test_log, NULL);
	height = text_mark_height(text + 6 * 19900, 32, 32, NULL);
	wm_set_log_callback(NULL, NULL);
	assert_true(height > 0);
	assert_int_equal(test_log_warnings, 0);
	free(text);
}

/* A mark with nothing to draw is refused when it is applied, so that no
 * file claims a disclosure it does not show; a blank text is fine next to
 * a QR code. */
static void test_empty_text(void **state)
{
	static const char *const texts[] = {"", "   ", "\n\n", "\\n \t"};
	const char *with_qr[] = {"text=", "qr=hello", NULL};
	test_image im = image_new(480, 270, BG);
	wm_frame f = image_frame(&im);
	int x0, y0, x1, y1;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		wm_mark *m = mark_with(NULL);

		assert_int_equal(wm_mark_set_string(m, WM_OPT_TEXT, texts[i]),
				 WM_OK);
		assert_int_equal(wm_mark_apply(m, &f, 0), WM_ERR_BAD_VALUE);
		assert_string_equal(wm_last_error(),
				    "text: empty (nothing to draw; set a "
				    "text, a logo or a qr)");
		wm_mark_free(m);
	}
	assert_false(changed_box(&im, BG, 0, &x0, &y0, &x1, &y1));
	image_free(&im);
	im = marked(with_qr, 480, 270, 1, 0, 0);
	assert_true(changed_box(&im, BG, 8, &x0, &y0, &x1, &y1));
	image_free(&im);
}

/* A QR code that cannot get 2 pixels a module is refused clearly. */
static void test_qr_too_small(void **state)
{
	wm_mark *m = mark_with(NULL);
	test_image im = image_new(60, 60, BG);
	wm_frame f = image_frame(&im);

	(void)state;
	assert_int_equal(wm_mark_set(m, "qr",
				     "https://example.org/a/rather/long/"
				     "provenance/manifest/address"),
			 WM_OK);
	assert_int_equal(wm_mark_apply(m, &f, 0), WM_ERR_TOO_SMALL);
	assert_non_null(strstr(wm_last_error(), "qr"));
	assert_non_null(strstr(wm_last_error(), "px a module"));
	print_message("%s\n", wm_last_error());
	image_free(&im);
	wm_mark_free(m);
}

/* Stored frames of every orientation, once turned for display, show
 * exactly what a display-oriented frame shows. */
static void test_orientations(void **state)
{
	const char *opts[] = {"position=top-left", "size=9%", "text=AI gen",
			      NULL};
	test_image want = marked(opts, 320, 200, 1, 0, 0);

	(void)state;
	for (int o = 1; o <= 8; o++) {
		bool swap = o >= 5;
		int sw = swap ? 200 : 320, sh = swap ? 320 : 200;
		test_image st = marked(opts, sw, sh, o, 0, 0);
		long diff = 0;

		for (int dy = 0; dy < 200; dy++)
			for (int dx = 0; dx < 320; dx++) {
				int sx, sy;

				wm__orient_point(o, sw, sh, dx, dy, &sx, &sy);
				diff += memcmp(image_at(&st, sx, sy),
					       image_at(&want, dx, dy), 4) != 0;
			}
		print_message("orientation %d: %ld pixels differ\n", o, diff);
		assert_int_equal(diff, 0);
		image_free(&st);
	}
	image_free(&want);
}

/* With pixels twice as wide as tall the mark is stored half as wide, so
 * that it shows undistorted. */
static void test_sample_aspect(void **state)
{
	const char *opts[] = {"position=center", NULL};
	test_image sq = marked(opts, 800, 400, 1, 0, 0);
	test_image wide = marked(opts, 400, 400, 1, 2, 1);
	int ax0, ay0, ax1, ay1, bx0, by0, bx1, by1;

	(void)state;
	assert_true(changed_box(&sq, BG, 8, &ax0, &ay0, &ax1, &ay1));
	assert_true(changed_box(&wide, BG, 8, &bx0, &by0, &bx1, &by1));
	assert_in_range(bx1 - bx0, (ax1 - ax0) / 2 - 3, (ax1 - ax0) / 2 + 3);
	assert_in_range(by1 - by0, ay1 - ay0 - 2, ay1 - ay0 + 2);
	image_free(&sq);
	image_free(&wide);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nine_anchors),
	    cmocka_unit_test(test_absolute_and_offset),
	    cmocka_unit_test(test_tiling),
	    cmocka_unit_test(test_fit_small_frames),
	    cmocka_unit_test(test_extremes),
	    cmocka_unit_test(test_huge_pictures),
	    cmocka_unit_test(test_long_words_wrap),
	    cmocka_unit_test(test_long_text),
	    cmocka_unit_test(test_empty_text),
	    cmocka_unit_test(test_qr_too_small),
	    cmocka_unit_test(test_orientations),
	    cmocka_unit_test(test_sample_aspect),
	};

	return run_tests_and_clean(cmocka_run_group_tests(tests, NULL, NULL));
}
