/* The cache of rendered marks, timing (start, end, fades), sessions,
 * raster filters, and one mark shared by 8 threads. */
#include <pthread.h>

#include "mark_test.h"

static wm_frame geometry(int w, int h, wm_pixel_format fmt)
{
	wm_frame f;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.width = w;
	f.height = h;
	f.format = fmt;
	f.range = WM_RANGE_FULL;
	return f;
}

static void test_reuse_and_bound(void **state)
{
	wm_mark *m = mark_with(NULL);
	wm_frame f = geometry(640, 360, WM_PIX_RGBA);
	const wm__prepared *a, *b, *held;
	int x, y, w, h;

	(void)state;
	assert_int_equal(wm__mark_acquire(m, &f, NULL, &a), WM_OK);
	assert_int_equal(wm__mark_acquire(m, &f, NULL, &b), WM_OK);
	assert_ptr_equal(a, b);
	assert_true(a->count == 1 && a->bottom > a->top);
	wm__mark_release(m, b);
	held = a;
	/* A hundred sizes do not grow the cache past its bound, and an
	 * entry evicted while held stays usable until released. */
	for (int i = 0; i < 100; i++) {
		wm_frame g = geometry(100 + i, 80 + i % 7, WM_PIX_RGBA);

		assert_int_equal(wm__mark_acquire(m, &g, NULL, &b), WM_OK);
		wm__mark_release(m, b);
		assert_true(m->entry_count <= 16);
	}
	assert_int_equal(held->count, 1);
	wm__layer_bounds(held->items[0].layer, &x, &y, &w, &h);
	assert_true(w > 0 && h > 0 && x + w <= 640 && y + h <= 360);
	wm__mark_release(m, held);
	/* Another layout or colour space is another entry. */
	assert_int_equal(wm__mark_acquire(m, &f, NULL, &a), WM_OK);
	f.format = WM_PIX_I420;
	assert_int_equal(wm__mark_acquire(m, &f, NULL, &b), WM_OK);
	assert_ptr_not_equal(b, a);
	wm__mark_release(m, a);
	wm__mark_release(m, b);
	/* Setting an option drops what was rendered. */
	assert_int_equal(wm_mark_set(m, "size", "10%"), WM_OK);
	assert_int_equal(m->entry_count, 0);
	wm_mark_free(m);
}

static wm_status invert(void *user, wm__raster *r)
{
	(void)user;
	for (int y = 0; y < r->height; y++)
		for (int x = 0; x < r->width; x++) {
			uint8_t *p = r->pixels + y * r->stride + x * 4;

			p[0] = (uint8_t)(p[3] - p[0]);
		}
	return WM_OK;
}

static void test_filter(void **state)
{
	wm_mark *m = mark_with(NULL);
	wm_frame f = geometry(640, 360, WM_PIX_RGBA);
	wm__raster_filter filter = {7, invert, NULL};
	const wm__prepared *a, *b;

	(void)state;
	assert_int_equal(wm__mark_acquire(m, &f, NULL, &a), WM_OK);
	assert_int_equal(wm__mark_acquire(m, &f, &filter, &b), WM_OK);
	assert_ptr_not_equal(a, b);
	assert_false(a->has_color); /* white and black */
	assert_true(b->has_color);  /* red channel inverted */
	wm__mark_release(m, a);
	wm__mark_release(m, b);
	wm_mark_free(m);
}

static void test_timing(void **state)
{
	const char *opts[] = {"start=1", "end=5", "fade-in=1", "fade-out=2",
			      NULL};
	wm_mark *m = mark_with(opts);
	wm_mark *plain = mark_with(NULL);

	(void)state;
	assert_int_equal(wm__mark_alpha_at(m, 0.5), 0);
	assert_int_equal(wm__mark_alpha_at(m, 1.0), 0);
	assert_int_equal(wm__mark_alpha_at(m, 1.5), 128);
	assert_int_equal(wm__mark_alpha_at(m, 2.5), 255);
	assert_int_equal(wm__mark_alpha_at(m, 4.0), 128);
	assert_int_equal(wm__mark_alpha_at(m, 5.0), 0);
	assert_int_equal(wm__mark_alpha_at(plain, 0), 255);
	assert_int_equal(wm__mark_alpha_at(plain, 1e6), 255);
	wm_mark_free(m);
	wm_mark_free(plain);
}

/* A mark that ends before it starts (or when it starts) would never show
 * while the file announces it: it is refused when first rendered, and by
 * wm_mark_apply at any time, also one where it would not show anyway. */
static void test_end_before_start(void **state)
{
	static const char *const bad[][3] = {{"start=3", "end=1", NULL},
					     {"start=2", "end=2", NULL}};
	const char *good[] = {"start=1", "end=3", NULL};
	wm_frame f = geometry(320, 240, WM_PIX_RGBA);
	const wm__prepared *p;
	static uint8_t px[16 * 16 * 4];
	wm_frame small = {.size = sizeof(small),
			  .width = 16,
			  .height = 16,
			  .format = WM_PIX_RGBA,
			  .planes = {px},
			  .strides = {16 * 4}};

	(void)state;
	for (int i = 0; i < 2; i++) {
		wm_mark *m = mark_with(bad[i]);

		assert_int_equal(wm_mark_apply(m, &small, 0), WM_ERR_BAD_VALUE);
		assert_int_equal(wm_mark_apply(m, &small, 2.5),
				 WM_ERR_BAD_VALUE);
		assert_int_equal(wm__mark_acquire(m, &f, NULL, &p),
				 WM_ERR_BAD_VALUE);
		if (i == 0)
			assert_string_equal(wm_last_error(),
					    "end (1 s) is before start (3 s)");
		else
			assert_non_null(strstr(wm_last_error(), "never show"));
		wm_mark_free(m);
	}
	wm_mark *m = mark_with(good);

	assert_int_equal(wm__mark_acquire(m, &f, NULL, &p), WM_OK);
	wm__mark_release(m, p);
	wm_mark_free(m);
}

static void test_session(void **state)
{
	wm_mark *m = mark_with(NULL);
	test_image a = image_new(320, 240, 0x336699ff);
	test_image b = image_new(320, 240, 0x336699ff);
	test_image c = image_new(100, 100, 0x336699ff);
	wm_frame fa = image_frame(&a), fb = image_frame(&b);
	wm_frame fc = image_frame(&c), tmpl = image_frame(&a);
	wm_session *s;
	int x0, y0, x1, y1;

	(void)state;
	tmpl.planes[0] = NULL;
	assert_int_equal(wm_session_new(m, &tmpl, &s), WM_OK);
	assert_int_equal(wm_session_apply(s, &fa, 0), WM_OK);
	assert_int_equal(wm_mark_apply(m, &fb, 0), WM_OK);
	assert_memory_equal(a.px, b.px, 320 * 240 * 4);
	assert_true(changed_box(&a, 0x336699ff, 8, &x0, &y0, &x1, &y1));
	assert_true(x1 > 240 && y1 > 200); /* marked at the bottom-right */
	assert_int_equal(wm_session_apply(s, &fc, 0), WM_ERR_INVALID_ARGUMENT);
	wm_session_free(s);
	image_free(&a);
	image_free(&b);
	image_free(&c);
	wm_mark_free(m);
}

/* A session refuses frames whose aspect ratio or colour matrix differ from
 * its template: its mark was laid out for the template. */
static void test_session_layout(void **state)
{
	wm_mark *m = mark_with(NULL);
	test_image a = image_new(320, 240, 0x336699ff);
	wm_frame tmpl = image_frame(&a), f = image_frame(&a);
	wm_session *s;

	(void)state;
	assert_int_equal(wm_session_new(m, &tmpl, &s), WM_OK);
	f.sar_num = 2;
	f.sar_den = 1;
	assert_int_equal(wm_session_apply(s, &f, 0), WM_ERR_INVALID_ARGUMENT);
	f.sar_num = 3; /* 3:3 is square, like the template's 0:0 */
	f.sar_den = 3;
	assert_int_equal(wm_session_apply(s, &f, 0), WM_OK);
	wm_session_free(s);
	image_free(&a);
	wm_mark_free(m);
}

static void test_session_matrix(void **state)
{
	wm_mark *m = mark_with(NULL);
	uint8_t *y = calloc(320 * 240, 1), *u = calloc(160 * 120, 1);
	uint8_t *v = calloc(160 * 120, 1);
	wm_frame f = {0}, tmpl;
	wm_session *s;

	(void)state;
	assert_true(y && u && v);
	f.size = sizeof(f);
	f.width = 320;
	f.height = 240;
	f.format = WM_PIX_I420;
	f.matrix = WM_MATRIX_BT709;
	f.planes[0] = y;
	f.planes[1] = u;
	f.planes[2] = v;
	f.strides[0] = 320;
	f.strides[1] = f.strides[2] = 160;
	tmpl = f;
	assert_int_equal(wm_session_new(m, &tmpl, &s), WM_OK);
	assert_int_equal(wm_session_apply(s, &f, 0), WM_OK);
	f.matrix = WM_MATRIX_BT601;
	assert_int_equal(wm_session_apply(s, &f, 0), WM_ERR_INVALID_ARGUMENT);
	wm_session_free(s);
	free(y);
	free(u);
	free(v);
	wm_mark_free(m);
}

/* A frame whose size stops before `orientation` is read no further: the
 * struct lives at the very end of a heap block of exactly that size, so a
 * read past it shows up under AddressSanitizer. */
static void test_short_frame(void **state)
{
	wm_mark *m = mark_with(NULL);
	test_image a = image_new(320, 240, 0x336699ff);
	test_image b = image_new(320, 240, 0x336699ff);
	wm_frame full = image_frame(&b);
	size_t n = offsetof(wm_frame, orientation);
	unsigned char *block = malloc(n);
	wm_frame *f = (wm_frame *)(void *)block;

	(void)state;
	assert_non_null(block);
	full.size = n;
	memcpy(block, &full, n);
	full.planes[0] = a.px;
	full.size = sizeof(full);
	assert_int_equal(wm_mark_apply(m, f, 0), WM_OK);
	assert_int_equal(wm_mark_apply(m, &full, 0), WM_OK);
	assert_memory_equal(a.px, b.px, 320 * 240 * 4);
	free(block);
	image_free(&a);
	image_free(&b);
	wm_mark_free(m);
}

static void test_bad_calls(void **state)
{
	wm_mark *m = mark_with(NULL);
	test_image im = image_new(64, 64, 0x000000ff);
	wm_frame f = image_frame(&im);
	wm_session *ss = NULL;

	(void)state;
	assert_int_equal(wm_mark_apply(NULL, &f, 0), WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_mark_apply(m, NULL, 0), WM_ERR_INVALID_ARGUMENT);
	f.size = 0;
	assert_int_equal(wm_mark_apply(m, &f, 0), WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_session_new(m, &f, &ss), WM_ERR_INVALID_ARGUMENT);
	assert_null(ss);
	assert_int_equal(wm_session_apply(NULL, &f, 0),
			 WM_ERR_INVALID_ARGUMENT);
	wm_session_free(NULL);
	assert_int_equal(wm_mark_set(m, "logo", "/no/such/logo.png"), WM_OK);
	f.size = sizeof(f);
	assert_int_equal(wm_mark_apply(m, &f, 0), WM_ERR_NOT_FOUND);
	assert_non_null(strstr(wm_last_error(), "/no/such/logo.png"));
	image_free(&im);
	wm_mark_free(m);
}

#define THREADS 8
#define FRAMES 6

typedef struct job {
	wm_mark *mark;
	test_image frames[FRAMES];
	wm_status status;
} job;

static test_image job_frame(int t, int i)
{
	int w = 200 + 40 * ((t + i) % 3), h = 150 + 10 * (i % 2);

	return image_new(w, h,
			 0x10203000u | (uint32_t)(t * 16 + i) << 16 | 0xff);
}

static void *run_job(void *arg)
{
	job *j = arg;

	for (int i = 0; i < FRAMES; i++) {
		wm_frame f = image_frame(&j->frames[i]);
		wm_status s = wm_mark_apply(j->mark, &f, 0);

		if (s != WM_OK)
			j->status = s;
	}
	return NULL;
}

/* One mark used by 8 threads at once gives what serial marking gives. */
static void test_threads(void **state)
{
	const char *opts[] = {"box=true", "size=8%", NULL};
	wm_mark *shared = mark_with(opts);
	job jobs[THREADS];
	pthread_t tid[THREADS];

	(void)state;
	for (int t = 0; t < THREADS; t++) {
		jobs[t].mark = shared;
		jobs[t].status = WM_OK;
		for (int i = 0; i < FRAMES; i++)
			jobs[t].frames[i] = job_frame(t, i);
	}
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(
		    pthread_create(&tid[t], NULL, run_job, &jobs[t]), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	for (int t = 0; t < THREADS; t++) {
		wm_mark *serial = mark_with(opts);

		assert_int_equal(jobs[t].status, WM_OK);
		for (int i = 0; i < FRAMES; i++) {
			test_image want = job_frame(t, i);
			wm_frame f = image_frame(&want);

			assert_int_equal(wm_mark_apply(serial, &f, 0), WM_OK);
			assert_memory_equal(want.px, jobs[t].frames[i].px,
					    (size_t)want.w * want.h * 4);
			image_free(&want);
			image_free(&jobs[t].frames[i]);
		}
		wm_mark_free(serial);
	}
	wm_mark_free(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuse_and_bound),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_timing),
	    cmocka_unit_test(test_end_before_start),
	    cmocka_unit_test(test_session),
	    cmocka_unit_test(test_session_layout),
	    cmocka_unit_test(test_session_matrix),
	    cmocka_unit_test(test_short_frame),
	    cmocka_unit_test(test_bad_calls),
	    cmocka_unit_test(test_threads),
	};

	return run_tests_and_clean(cmocka_run_group_tests(tests, NULL, NULL));
}
