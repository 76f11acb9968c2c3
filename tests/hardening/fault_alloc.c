/*
 * Allocation failure: makes the n-th allocation of the library fail, for
 * every n on the path of marking a small PNG and a small JPEG in memory and
 * of drawing a mark onto a frame, and for a sample of n on the video path.
 * Every failure must come back as an error status with a message, and a
 * job may not succeed when one of its allocations failed; nothing may
 * crash, and (in a sanitizer build) nothing may leak.
 *
 * Built only with -Dfault_injection=true, where wm__alloc_fail_at() works.
 * Allocations reach the hook from the library's own code, from libpng
 * (through its malloc_fn), FreeType (through the FT_MemoryRec_ of the
 * mark's FT_Library), libexif (through an ExifMem) and the video module
 * (through the host functions it is given). libjpeg, libwebp, Little CMS,
 * HarfBuzz, fontconfig, FriBidi and FFmpeg allocate on their own and are
 * not swept.
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

#include "util/util.h"

#pragma weak wm_mark_apply
#pragma weak wm_mark_memory
#pragma weak wm_mark_file

/* No path of the library makes this many allocations for a small input;
 * reaching it means the sweep does not end. */
#define MAX_SWEEP 200000

typedef wm_status (*run_fn)(void *ctx);

typedef struct sweep_result {
	uint64_t runs;
	uint64_t failed[WM_ERR_INTERNAL + 1];
	uint64_t recovered; /* an allocation failed but the job succeeded */
	uint64_t recovered_at[8]; /* the first few such n, for the log */
} sweep_result;

static char data_dir[1024];

static void *read_file(const char *name, size_t *size)
{
	char path[2048];
	FILE *f;
	void *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return p;
}

/* Runs once with failure number n; returns false when the run made fewer
 * than n allocations, so that the sweep is complete. */
static bool run_failing(run_fn run, void *ctx, uint64_t n, sweep_result *r)
{
	uint64_t count;
	wm_status s;

	wm__error_clear();
	wm__alloc_fail_at(n);
	s = run(ctx);
	count = wm__alloc_fail_at(0);
	r->runs++;

	if (count < n) {
		if (s != WM_OK)
			fail_msg(
			    "n=%llu: failed with no allocation failing: %s",
			    (unsigned long long)n, wm_last_error());
		return false;
	}
	if (s == WM_OK) {
		if (r->recovered < 8)
			r->recovered_at[r->recovered] = n;
		r->recovered++;
		return true;
	}
	if (s <= WM_OK || s >= WM_ERR_INTERNAL)
		fail_msg("n=%llu: status %d: %s", (unsigned long long)n, s,
			 wm_last_error());
	if (wm_last_error()[0] == '\0')
		fail_msg("n=%llu: status %d without a message",
			 (unsigned long long)n, s);
	r->failed[s]++;
	return true;
}

static void report(const char *what, const sweep_result *r)
{
	printf("%s: %llu runs, %llu recovered", what,
	       (unsigned long long)r->runs, (unsigned long long)r->recovered);
	for (int s = 1; s <= WM_ERR_INTERNAL; s++)
		if (r->failed[s])
			printf(", %llu x %s", (unsigned long long)r->failed[s],
			       wm_status_string((wm_status)s));
	for (uint64_t i = 0; i < r->recovered && i < 8; i++)
		printf("%s%llu", i ? " " : "; recovered at n = ",
		       (unsigned long long)r->recovered_at[i]);
	printf("\n");
}

/* Every n from 1 until a run no longer reaches the n-th allocation.
 * Returns how many failed allocations the job shrugged off. */
static uint64_t sweep_all(const char *what, run_fn run, void *ctx)
{
	sweep_result r = {0};
	uint64_t n = 1;

	while (run_failing(run, ctx, n, &r)) {
		n++;
		assert_true(n < MAX_SWEEP);
	}
	report(what, &r);
	assert_true(r.runs > 1);
	return r.recovered;
}

/* A failed allocation that the job shrugs off changes its result without
 * saying so (metadata or orientation lost, for example). */
static void assert_none_ignored(const char *what, uint64_t recovered)
{
	if (recovered)
		fail_msg("%s: %llu allocation failures ignored (see above)",
			 what, (unsigned long long)recovered);
}

/* `samples` values of n spread over the allocations of one clean run, plus
 * the first few, where set-up failures cluster. */
static void sweep_sampled(const char *what, run_fn run, void *ctx,
			  uint64_t samples)
{
	sweep_result r = {0};
	uint64_t total, step;

	wm__alloc_fail_at(0);
	assert_int_equal(run(ctx), WM_OK);
	total = wm__alloc_fail_at(0);
	assert_true(total > 0);
	step = total / samples ? total / samples : 1;

	for (uint64_t n = 1; n <= total && n <= 16; n++)
		run_failing(run, ctx, n, &r);
	for (uint64_t n = 17; n <= total; n += step)
		run_failing(run, ctx, n, &r);
	report(what, &r);
}

/* ---- the paths ----------------------------------------------------------- */

static wm_status run_options(void *ctx)
{
	static const char *const lines[] = {
	    "text=Généré par IA",
	    "color=#ff000080",
	    "size=5%",
	    "position=top-left",
	    "qr=https://example.com",
	    "box=true",
	    "disclosure=Made with AI",
	    "source-type=trainedAlgorithmicMedia",
	};
	wm_mark *m;
	wm_status s;

	(void)ctx;
	s = wm_mark_new(&m);
	for (size_t i = 0; s == WM_OK && i < sizeof(lines) / sizeof(*lines);
	     i++)
		s = wm_mark_set(m, lines[i], NULL);
	wm_mark_free(m);
	return s;
}

static wm_status run_apply(void *ctx)
{
	static uint8_t px[160 * 120 * 4];
	wm_frame f = {.size = sizeof(f),
		      .width = 160,
		      .height = 120,
		      .format = WM_PIX_RGBA,
		      .planes = {px},
		      .strides = {160 * 4}};
	wm_mark *m;
	wm_status s;

	(void)ctx;
	s = wm_mark_new(&m);
	if (s == WM_OK)
		s = wm_mark_set(m, "text", "AI-generated عربي");
	if (s == WM_OK)
		s = wm_mark_apply(m, &f, 0);
	wm_mark_free(m);
	return s;
}

typedef struct memory_job {
	const void *in;
	size_t size;
	const char *format;
} memory_job;

static wm_status run_memory(void *ctx)
{
	const memory_job *job = ctx;
	wm_job j = {.size = sizeof(j), .format = job->format};
	void *out = NULL;
	size_t out_size = 0;
	wm_mark *m;
	wm_status s;

	s = wm_mark_new(&m);
	if (s == WM_OK)
		s = wm_mark_memory(m, job->in, job->size, &out, &out_size, &j);
	if (s == WM_OK && (!out || !out_size))
		s = wm__error(WM_ERR_INTERNAL, "empty output");
	wm_free(out);
	wm_mark_free(m);
	return s;
}

typedef struct file_job {
	char in[2048];
	char out[2048];
} file_job;

static wm_status run_file(void *ctx)
{
	const file_job *job = ctx;
	wm_job j = {.size = sizeof(j), .flags = WM_JOB_OVERWRITE};
	wm_mark *m;
	wm_status s;

	unlink(job->out);
	s = wm_mark_new(&m);
	if (s == WM_OK)
		s = wm_mark_set(m, "threads", "1");
	if (s == WM_OK)
		s = wm_mark_file(m, job->in, job->out, &j);
	wm_mark_free(m);
	if (s != WM_OK && access(job->out, F_OK) == 0)
		return wm__error(WM_ERR_INTERNAL, "%s: left behind", job->out);
	return s;
}

/* ---- tests --------------------------------------------------------------- */

static void test_options(void **state)
{
	(void)state;
	assert_none_ignored("options", sweep_all("options", run_options, NULL));
}

static void test_apply(void **state)
{
	(void)state;
	if (!wm_mark_apply)
		fail_msg("wm_mark_apply is not part of this build");
	assert_none_ignored("apply", sweep_all("apply", run_apply, NULL));
}

static void sweep_image(const char *name, const char *format)
{
	memory_job job = {.format = format};
	uint64_t recovered;
	char what[256];

	if (!wm_mark_memory)
		fail_msg("wm_mark_memory is not part of this build");
	job.in = read_file(name, &job.size);
	snprintf(what, sizeof(what), "%s -> %s", name,
		 format ? format : "same");
	recovered = sweep_all(what, run_memory, &job);
	free((void *)job.in);
	assert_none_ignored(what, recovered);
}

static void test_png(void **state)
{
	(void)state;
	sweep_image("exif2c08.png", NULL);
}

static void test_jpeg(void **state)
{
	(void)state;
	sweep_image("paris_exif_xmp_icc.jpg", NULL);
}

static void test_webp(void **state)
{
	(void)state;
	sweep_image("hopper_orientation_6.webp", NULL);
}

static void test_png_to_jpeg(void **state)
{
	(void)state;
	sweep_image("exif2c08.png", "jpeg");
}

static void test_video(void **state)
{
	file_job job;
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (!wm_mark_file)
		fail_msg("wm_mark_file is not part of this build");
	snprintf(job.in, sizeof(job.in), "%s/tiny.mp4", data_dir);
	snprintf(job.out, sizeof(job.out), "%s/wm-fault-%d.mp4",
		 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	sweep_sampled("video", run_file, &job, 60);
	unlink(job.out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options), cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_png),	    cmocka_unit_test(test_jpeg),
	    cmocka_unit_test(test_webp),    cmocka_unit_test(test_png_to_jpeg),
	    cmocka_unit_test(test_video),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA-DIR\n", argv[0]);
		return 2;
	}
	snprintf(data_dir, sizeof(data_dir), "%s", argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
