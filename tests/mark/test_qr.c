/* QR codes: what is drawn decodes back to the same string (zbarimg), the
 * module size is honoured, and stored orientations still scan. */
#include "mark_test.h"

#define PAYLOAD "https://example.org/provenance/c2pa?id=42&model=x"

/* Decodes the QR code of a PNG with zbarimg; returns the text or "". */
static void zbar_decode(const char *png, char *out, size_t n)
{
	char cmd[1400];
	FILE *p;
	size_t len;

	snprintf(cmd, sizeof(cmd), "zbarimg --quiet --raw '%s' 2>/dev/null",
		 png);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, n - 1, p);
	pclose(p);
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
}

static void check_scan(const char *name, const char *const *opts, int w, int h,
		       int orientation)
{
	wm_mark *m = mark_with(opts);
	test_image im = image_new(w, h, 0x808080ff);
	wm_frame f = image_frame(&im);
	char text[512];

	f.orientation = (wm_orientation)orientation;
	assert_int_equal(wm_mark_set(m, "qr", PAYLOAD), WM_OK);
	if (wm_mark_apply(m, &f, 0) != WM_OK)
		fail_msg("%s: %s", name, wm_last_error());
	png_save(scratch_path(name), &im);
	zbar_decode(scratch_path(name), text, sizeof(text));
	print_message("%s: decoded '%s'\n", name, text);
	assert_string_equal(text, PAYLOAD);
	image_free(&im);
	wm_mark_free(m);
}

static void test_decodes(void **state)
{
	const char *alone[] = {"text=", "position=center", NULL};
	const char *with_text[] = {"qr-level=H", "qr-module=2", NULL};

	(void)state;
	check_scan("qr-alone.png", alone, 400, 400, 1);
	check_scan("qr-text.png", with_text, 640, 360, 1);
	check_scan("qr-rotated.png", with_text, 360, 640, 6);
}

/* With qr-module=4 the symbol and its quiet zone are exactly
 * (modules + 8) * 4 pixels a side. */
static void test_module_size(void **state)
{
	const char *opts[] = {"text=", "qr-module=4", NULL};
	wm_mark *m = mark_with(opts);
	test_image im = image_new(500, 500, 0x808080ff);
	wm_frame f = image_frame(&im);
	int modules, x0, y0, x1, y1;

	(void)state;
	assert_int_equal(wm_mark_set(m, "qr", PAYLOAD), WM_OK);
	assert_int_equal(wm__qr_modules(PAYLOAD, WM__QR_M, &modules), WM_OK);
	assert_int_equal(wm_mark_apply(m, &f, 0), WM_OK);
	assert_true(changed_box(&im, 0x808080ff, 0, &x0, &y0, &x1, &y1));
	assert_int_equal(x1 - x0 + 1, (modules + 2 * WM__QR_QUIET) * 4);
	assert_int_equal(y1 - y0 + 1, (modules + 2 * WM__QR_QUIET) * 4);
	image_free(&im);
	wm_mark_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decodes),
	    cmocka_unit_test(test_module_size),
	};

	if (system("command -v zbarimg >/dev/null 2>&1") != 0)
		return 77; /* zbar-tools is not installed */
	return run_tests_and_clean(cmocka_run_group_tests(tests, NULL, NULL));
}
