/*
 * Still images through the public API: files, memory and streams, the
 * JPEG planar path, limits, refusals and the atomic-output rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>

#include "watermark.h"

static char tmpdir[64];
static char data[512];

static const char *in_data(const char *name)
{
	static char path[4][600];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, 600, "%s/%s", data, name);
	return p;
}

static const char *in_tmp(const char *name)
{
	static char path[4][600];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, 600, "%s/%s", tmpdir, name);
	return p;
}

static int setup(void **state)
{
	const char *d = getenv("WMARK_TEST_DATA");

	(void)state;
	snprintf(data, sizeof(data), "%s", d ? d : "tests/data");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wm-image-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static wm_mark *new_mark(void)
{
	wm_mark *m = NULL;

	assert_int_equal(wm_mark_new(&m), WM_OK);
	return m;
}

static wm_job job_with(unsigned flags)
{
	wm_job j;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.flags = flags;
	return j;
}

static uint8_t *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	p = malloc((size_t)len);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* A decoded JPEG, RGB. */
typedef struct picture {
	int w, h, samp[3][2];
	uint8_t *px;
} picture;

static picture decode(const char *path)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	picture p;
	FILE *f = fopen(path, "rb");
	int i;

	assert_non_null(f);
	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, f);
	jpeg_read_header(&d, TRUE);
	for (i = 0; i < 3 && i < d.num_components; i++) {
		p.samp[i][0] = d.comp_info[i].h_samp_factor;
		p.samp[i][1] = d.comp_info[i].v_samp_factor;
	}
	d.out_color_space = JCS_RGB;
	jpeg_start_decompress(&d);
	p.w = (int)d.output_width;
	p.h = (int)d.output_height;
	p.px = malloc((size_t)p.w * p.h * 3);
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = p.px + (size_t)d.output_scanline * p.w * 3;

		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	fclose(f);
	return p;
}

/* Mean absolute difference of two pictures over a rectangle. */
static double diff(const picture *a, const picture *b, int x0, int y0, int w,
		   int h)
{
	double sum = 0;
	int x, y, c;

	for (y = y0; y < y0 + h; y++)
		for (x = x0; x < x0 + w; x++)
			for (c = 0; c < 3; c++) {
				size_t i = ((size_t)y * a->w + x) * 3 + c;

				sum += abs(a->px[i] - b->px[i]);
			}
	return sum / (3.0 * w * h);
}

static void test_jpeg_planar(void **state)
{
	wm_mark *m = new_mark();
	wm_job j = job_with(0);
	picture a, b;

	(void)state;
	assert_int_equal(wm_mark_file(m, in_data("sample.jpg"),
				      in_tmp("sample-out.jpg"), &j),
			 WM_OK);
	a = decode(in_data("sample.jpg"));
	b = decode(in_tmp("sample-out.jpg"));
	assert_int_equal(a.w, b.w);
	assert_int_equal(a.h, b.h);
	assert_memory_equal(a.samp, b.samp, sizeof(a.samp));
	/* Untouched blocks come back as they were (same tables, same
	 * samples); the bottom-right corner carries the mark. */
	assert_true(diff(&a, &b, 0, 0, a.w / 2, a.h / 2) < 0.5);
	assert_true(diff(&a, &b, a.w * 3 / 4, a.h * 9 / 10, a.w / 4 - 8,
			 a.h / 10 - 8) > 4.0);
	free(a.px);
	free(b.px);
	wm_mark_free(m);
}

static void test_memory_and_io_match_file(void **state)
{
	wm_mark *m = new_mark();
	size_t n_in, n_file, n_mem;
	uint8_t *in = load(in_data("sample.jpg"), &n_in), *file;
	void *mem = NULL;
	wm_job j = job_with(WM_JOB_OVERWRITE);

	(void)state;
	assert_int_equal(
	    wm_mark_file(m, in_data("sample.jpg"), in_tmp("m.jpg"), &j), WM_OK);
	file = load(in_tmp("m.jpg"), &n_file);
	assert_int_equal(wm_mark_memory(m, in, n_in, &mem, &n_mem, NULL),
			 WM_OK);
	assert_int_equal(n_mem, n_file);
	assert_memory_equal(mem, file, n_file);
	wm_free(mem);
	free(in);
	free(file);
	wm_mark_free(m);
}

typedef struct stream {
	uint8_t *p;
	size_t n, at;
} stream;

static ptrdiff_t read_fn(void *user, void *buf, size_t n)
{
	stream *s = user;
	size_t k = s->n - s->at < n ? s->n - s->at : n;

	if (k > 1000)
		k = 1000; /* short reads must be fine */
	memcpy(buf, s->p + s->at, k);
	s->at += k;
	return (ptrdiff_t)k;
}

static int write_fn(void *user, const void *buf, size_t n)
{
	stream *s = user;

	s->p = realloc(s->p, s->n + n);
	memcpy(s->p + s->n, buf, n);
	s->n += n;
	return 0;
}

static void test_io_png(void **state)
{
	wm_mark *m = new_mark();
	stream src = {0}, dst = {0};
	wm_reader r = {sizeof(r), &src, read_fn, "palette.png"};
	wm_writer w = {sizeof(w), &dst, write_fn, "out"};
	wm_job j = job_with(0);

	(void)state;
	src.p = load(in_data("basn3p08.png"), &src.n);
	j.format = "webp";
	assert_int_equal(wm_mark_io(m, &r, &w, &j), WM_OK);
	assert_true(dst.n > 12);
	assert_memory_equal(dst.p, "RIFF", 4);
	assert_memory_equal(dst.p + 8, "WEBP", 4);
	free(src.p);
	free(dst.p);
	wm_mark_free(m);
}

/* A caller built before `format` was added passes a job that ends at
 * `flags`; the library must not read past it (ASan checks). */
static void test_job_without_format(void **state)
{
	wm_mark *m = new_mark();
	size_t size = offsetof(wm_job, format);
	unsigned flags = WM_JOB_OVERWRITE;
	unsigned char *j = malloc(size);

	(void)state;
	assert_non_null(j);
	/* Filled bytewise: the compiler rightly objects to members of a
	 * struct that does not fit its allocation. */
	memset(j, 0, size);
	memcpy(j + offsetof(wm_job, size), &size, sizeof(size));
	memcpy(j + offsetof(wm_job, flags), &flags, sizeof(flags));
	assert_int_equal(wm_mark_file(m, in_data("sample.jpg"),
				      in_tmp("old-job.jpg"), (wm_job *)j),
			 WM_OK);
	free(j);
	wm_mark_free(m);
}

/* Claims one byte more than the room it was given. */
static ptrdiff_t lying_read(void *user, void *buf, size_t n)
{
	int *calls = user;

	memset(buf, 0, n);
	return ++*calls == 1 ? (ptrdiff_t)n + 1 : 0;
}

static void test_reader_returning_too_much(void **state)
{
	wm_mark *m = new_mark();
	int calls = 0;
	stream dst = {0};
	wm_reader r = {sizeof(r), &calls, lying_read, "liar"};
	wm_writer w = {sizeof(w), &dst, write_fn, "out"};

	(void)state;
	assert_int_equal(wm_mark_io(m, &r, &w, NULL), WM_ERR_IO);
	assert_non_null(strstr(wm_last_error(), "liar"));
	assert_non_null(strstr(wm_last_error(), "more bytes than asked"));
	assert_int_equal(dst.n, 0);
	wm_mark_free(m);
}

/* A failure names the file and the cause and leaves no output. */
static void expect_refusal(wm_mark *m, const char *name, wm_status status,
			   const char *words)
{
	wm_job j = job_with(0);
	const char *out = in_tmp("refused.png");

	assert_int_equal(wm_mark_file(m, in_data(name), out, &j), status);
	assert_non_null(strstr(wm_last_error(), name));
	assert_non_null(strstr(wm_last_error(), words));
	assert_int_equal(access(out, F_OK), -1);
}

static void test_refusals(void **state)
{
	wm_mark *m = new_mark();

	(void)state;
	expect_refusal(m, "bomb_30000.png", WM_ERR_TOO_LARGE, "30000x30000");
	expect_refusal(m, "two_frames.gif", WM_ERR_UNSUPPORTED, "GIF");
	expect_refusal(m, "truncated_jpeg.jpg", WM_ERR_CORRUPT, "truncated");
	expect_refusal(m, "LICENSES.md", WM_ERR_UNSUPPORTED, "starts with");
	expect_refusal(m, "fonts", WM_ERR_INVALID_ARGUMENT, "folder");
	assert_int_equal(wm_mark_set(m, "max-pixels", "1000"), WM_OK);
	expect_refusal(m, "sample.jpg", WM_ERR_TOO_LARGE, "max-pixels");
	wm_mark_free(m);
}

static void test_exists_and_in_place(void **state)
{
	wm_mark *m = new_mark();
	wm_job none = job_with(0), place = job_with(WM_JOB_IN_PLACE);
	const char *copy = in_tmp("inplace.png");
	size_t n_before, n_after;
	uint8_t *before, *after;
	char cmd[1400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", in_data("basn3p08.png"),
		 copy);
	assert_int_equal(system(cmd), 0);
	before = load(copy, &n_before);
	assert_int_equal(wm_mark_file(m, copy, copy, &none),
			 WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_mark_file(m, in_data("sample.jpg"), copy, &none),
			 WM_ERR_EXISTS);
	after = load(copy, &n_after);
	assert_int_equal(n_before, n_after);
	assert_memory_equal(before, after, n_after);
	free(after);
	assert_int_equal(wm_mark_file(m, copy, copy, &place), WM_OK);
	after = load(copy, &n_after);
	assert_true(n_after != n_before || memcmp(before, after, n_after));
	free(before);
	free(after);
	wm_mark_free(m);
}

static void test_probe(void **state)
{
	wm_mark *m = new_mark();
	wm_media_info info;
	wm_job j = job_with(WM_JOB_OVERWRITE);

	(void)state;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	assert_int_equal(
	    wm_probe_file(in_data("paris_exif_orientation_5.jpg"), &info),
	    WM_OK);
	assert_int_equal(info.kind, WM_MEDIA_IMAGE);
	assert_string_equal(info.format, "jpeg");
	assert_int_equal(info.width, 403);
	assert_int_equal(info.height, 302);
	assert_int_equal(info.orientation, 5);
	assert_int_equal(info.has_disclosure, 0);

	assert_int_equal(
	    wm_mark_file(m, in_data("basi6a16.png"), in_tmp("probe.png"), &j),
	    WM_OK);
	assert_int_equal(wm_probe_file(in_tmp("probe.png"), &info), WM_OK);
	assert_string_equal(info.format, "png");
	assert_int_equal(info.bit_depth, 16);
	assert_int_equal(info.has_alpha, 1);
	assert_int_equal(info.has_disclosure, 1);
	assert_string_equal(info.source_type, "trainedAlgorithmicMedia");
	wm_mark_free(m);
}

typedef struct progress {
	int64_t last, total;
	int calls, cancel_at;
} progress;

static int on_progress(void *user, int64_t done, int64_t total)
{
	progress *p = user;

	assert_true(done > p->last);
	p->last = done;
	p->total = total;
	return ++p->calls == p->cancel_at;
}

static void test_progress_and_cancel(void **state)
{
	wm_mark *m = new_mark();
	wm_job j = job_with(WM_JOB_OVERWRITE);
	progress p = {0};

	(void)state;
	j.progress = on_progress;
	j.user = &p;
	assert_int_equal(
	    wm_mark_file(m, in_data("sample.jpg"), in_tmp("progress.jpg"), &j),
	    WM_OK);
	assert_int_equal(p.total, 800);
	assert_int_equal(p.last, 800);
	assert_true(p.calls > 10);

	memset(&p, 0, sizeof(p));
	p.cancel_at = 1;
	assert_int_equal(wm_mark_file(m, in_data("basn3p08.png"),
				      in_tmp("cancelled.png"), &j),
			 WM_ERR_CANCELLED);
	assert_int_equal(access(in_tmp("cancelled.png"), F_OK), -1);
	wm_mark_free(m);
}

/* Video containers are told from their bytes and handed to the video
 * layer (or refused by name in a build without it). */
static void test_video_routed(void **state)
{
	const char *corpus = getenv("WMARK_CORPUS");
	char path[600];
	wm_media_info info;
	wm_status s;

	(void)state;
	snprintf(path, sizeof(path), "%s/video/bear_h264_aac.mp4",
		 corpus ? corpus : "");
	if (access(path, R_OK) != 0)
		skip();
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	s = wm_probe_file(path, &info);
	if (s == WM_OK)
		assert_int_equal(info.kind, WM_MEDIA_VIDEO);
	else
		assert_non_null(strstr(wm_last_error(), "video"));
}

/* An info that ends before `duration` (an older caller) is accepted for a
 * video as for an image, and nothing is written past its size (ASan). */
static void test_video_probe_short_info(void **state)
{
	const char *corpus = getenv("WMARK_CORPUS");
	size_t size = offsetof(wm_media_info, duration);
	char path[600];
	unsigned char *info;
	wm_media_info got;
	wm_status s;

	(void)state;
	snprintf(path, sizeof(path), "%s/video/bear_h264_aac.mp4",
		 corpus ? corpus : "");
	if (access(path, R_OK) != 0)
		skip();
	info = malloc(size);
	assert_non_null(info);
	memset(info, 0, size);
	memcpy(info, &size, sizeof(size));
	s = wm_probe_file(path, (wm_media_info *)info);
	if (s == WM_OK) {
		memset(&got, 0, sizeof(got));
		memcpy(&got, info, size);
		assert_int_equal(got.kind, WM_MEDIA_VIDEO);
		assert_true(got.width > 0);
		assert_int_equal(got.size, size);
	} else {
		assert_non_null(strstr(wm_last_error(), "video"));
	}
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jpeg_planar),
	    cmocka_unit_test(test_memory_and_io_match_file),
	    cmocka_unit_test(test_io_png),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_exists_and_in_place),
	    cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_progress_and_cancel),
	    cmocka_unit_test(test_video_routed),
	    cmocka_unit_test(test_job_without_format),
	    cmocka_unit_test(test_reader_returning_too_much),
	    cmocka_unit_test(test_video_probe_short_info),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
