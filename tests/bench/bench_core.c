/*
 * Compositor benchmark: our kernels against pixman's OVER (a8r8g8b8 onto
 * x8r8g8b8) on a 3840x2160 BGRX frame and against FFmpeg's overlay filter
 * (libavfilter, in-process, one thread) on a 1920x1080 yuv420p frame, on
 * the same marks, with the machine's memcpy bandwidth for scale. Peers
 * missing at build time are reported as such. Run by
 * `meson test --benchmark --suite core`.
 *
 * Marks: the library's default text mark ("AI-generated" with an outline)
 * at 160 px, rendered through the public API; a dense 160x160 logo of
 * partial alpha (mark and frame rows fit in a 512 KiB L2 cache); a dense
 * 1920x1080 logo (does not fit in the per-core caches). Each mark is
 * cropped to the box of its covered pixels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/format.h"
#include "core/kernels.h"

#ifdef WM_BENCH_PIXMAN
#include <pixman.h>
#endif
#ifdef WM_BENCH_AVFILTER
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#endif

/* Each timing is the best of ROUNDS rounds of at least ROUND_SECONDS, so
 * that other work on the machine disturbs it less. */
#define ROUNDS 5
#define ROUND_SECONDS 0.06

/* CPU time of this thread: every peer runs in this thread too, and other
 * processes on a busy machine then count less. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Seconds per call of fn(arg): the best round's mean. */
static double time_it(void (*fn)(void *), void *arg)
{
	double best = 1e30;

	fn(arg);
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now(), t;
		long n = 0;

		do {
			fn(arg);
			n++;
			t = now() - t0;
		} while (t < ROUND_SECONDS);
		best = t / n < best ? t / n : best;
	}
	return best;
}

/* ---- marks ------------------------------------------------------------ */

typedef struct mark {
	const char *name;
	wm__raster *r;
	int x, y, w, h; /* covered box in the raster */
	double coverage;
} mark;

static void measure_box(mark *m)
{
	const wm__raster *r = m->r;
	int x0 = r->width, y0 = r->height, x1 = -1, y1 = -1;
	long covered = 0;

	for (int y = 0; y < r->height; y++)
		for (int x = 0; x < r->width; x++) {
			if (!r->pixels[y * r->stride + x * 4 + 3])
				continue;
			covered++;
			x0 = x < x0 ? x : x0;
			x1 = x > x1 ? x : x1;
			y0 = y < y0 ? y : y0;
			y1 = y > y1 ? y : y1;
		}
	m->x = x0;
	m->y = y0;
	m->w = x1 - x0 + 1;
	m->h = y1 - y0 + 1;
	m->coverage = (double)covered / ((double)m->w * m->h);
}

/*
 * The default text mark at 160 px (with its outline, or without when
 * `outline` is 0), captured by marking a transparent premultiplied BGRA
 * frame: the result is the mark's premultiplied pixels. Falls back to a
 * synthetic text-like mask if marking fails.
 */
static wm__raster *text_raster(int outline, int *synthetic)
{
	const int w = 1600, h = 400;
	wm__raster *r = NULL;
	wm_mark *m = NULL;
	wm_frame f = {0};
	uint8_t *buf = calloc((size_t)w * h, 4);

	f.size = sizeof(f);
	f.width = w;
	f.height = h;
	f.format = WM_PIX_BGRA;
	f.alpha = WM_ALPHA_PREMULTIPLIED;
	f.planes[0] = buf;
	f.strides[0] = w * 4;
	wm__raster_new(w, h, &r);
	*synthetic = wm_mark_new(&m) != WM_OK ||
		     wm_mark_set_length(m, WM_OPT_SIZE, 160, WM_UNIT_PX) ||
		     wm_mark_set(m, "position", "center") ||
		     (!outline && wm_mark_set(m, "outline-width", "0")) ||
		     wm_mark_apply(m, &f, 0) != WM_OK;
	wm_mark_free(m);
	for (int i = 0; i < w * h; i++) {
		uint8_t *s = buf + 4 * i, *d = r->pixels + 4 * i;

		if (*synthetic) {
			/* Glyph-like runs: strokes 9 px wide, a third on. */
			int x = i % w, y = i / w;
			int on =
			    y > 120 && y < 280 && (x / 9 + y / 40) % 3 == 0;

			memset(d, on ? 255 : 0, 4);
			continue;
		}
		d[0] = s[2];
		d[1] = s[1];
		d[2] = s[0];
		d[3] = s[3];
	}
	free(buf);
	return r;
}

/* A logo with partial alpha everywhere (premultiplied). */
static wm__raster *dense_raster(int w, int h)
{
	wm__raster *r = NULL;
	uint32_t seed = 42;

	wm__raster_new(w, h, &r);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = r->pixels + y * r->stride + x * 4;
			unsigned a = 16 + (unsigned)(x * 7 + y * 3) % 224;

			for (int k = 0; k < 3; k++) {
				seed = seed * 1103515245u + 12345u;
				p[k] =
				    (uint8_t)(((seed >> 16) & 255) * a / 255);
			}
			p[3] = (uint8_t)a;
		}
	return r;
}

/* ---- our side --------------------------------------------------------- */

typedef struct ours {
	wm__layer *layer;
	wm_frame f;
} ours;

static void ours_run(void *arg)
{
	ours *o = arg;

	wm__layer_apply(o->layer, &o->f, 0, 255);
}

/* Whether the active backend gives the scalar kernels' bytes here;
 * bytes[p] is the size of plane p. */
static int same_as_scalar(ours *o, const size_t *bytes)
{
	uint8_t *copy[3];
	const wm__format_desc *d = wm__format_desc_of(o->f.format);
	int same = 1;

	for (int p = 0; p < d->planes; p++) {
		copy[p] = malloc(bytes[p]);
		memcpy(copy[p], o->f.planes[p], bytes[p]);
	}
	ours_run(o);
	wm__kernels_override(&wm__kernels_scalar);
	for (int p = 0; p < d->planes; p++) {
		uint8_t *t = o->f.planes[p];

		o->f.planes[p] = copy[p];
		copy[p] = t;
	}
	ours_run(o);
	wm__kernels_override(NULL);
	for (int p = 0; p < d->planes; p++) {
		uint8_t *t = o->f.planes[p];

		o->f.planes[p] = copy[p];
		copy[p] = t;
		same &= memcmp(copy[p], o->f.planes[p], bytes[p]) == 0;
		free(copy[p]);
	}
	return same;
}

/* ---- memcpy ----------------------------------------------------------- */

typedef struct copy_job {
	uint8_t *a, *b;
	size_t n;
} copy_job;

static void copy_run(void *arg)
{
	copy_job *c = arg;

	memcpy(c->a, c->b, c->n);
}

/* Bytes read plus bytes written per second by memcpy of `n` bytes. */
static double memcpy_bandwidth(size_t n)
{
	copy_job c = {malloc(n), malloc(n), n};
	double t;

	memset(c.a, 1, n);
	memset(c.b, 2, n);
	t = time_it(copy_run, &c);
	free(c.a);
	free(c.b);
	return 2.0 * n / t / 1e9;
}

/*
 * One line per case: our rate, the peer's and the ratio, and memcpy's
 * bandwidth for the same bytes (a copy that reads and writes as many bytes
 * as a straightforward OVER of the box moves).
 */
static void report(const char *what, const mark *m, double t_ours,
		   double t_peer, const char *peer, double bytes_px)
{
	double px = (double)m->w * m->h;
	double gbs = px * bytes_px / t_ours / 1e9;
	double copy = memcpy_bandwidth((size_t)(px * bytes_px / 2));

	printf("  %-26s ours %7.1f Mpx/s %5.1f GB/s", what, px / t_ours / 1e6,
	       gbs);
	if (t_peer > 0)
		printf(" | %s %7.1f Mpx/s | ratio %.2fx", peer,
		       px / t_peer / 1e6, t_peer / t_ours);
	else
		printf(" | %s not built in", peer);
	printf(" | memcpy %5.1f GB/s, ours %.0f%%\n", copy, 100 * gbs / copy);
}

/* ---- pixman ----------------------------------------------------------- */

#ifdef WM_BENCH_PIXMAN
typedef struct pix_job {
	pixman_image_t *src, *dst;
	int sx, sy, dx, dy, w, h;
} pix_job;

static void pix_run(void *arg)
{
	pix_job *j = arg;

	pixman_image_composite32(PIXMAN_OP_OVER, j->src, NULL, j->dst, j->sx,
				 j->sy, 0, 0, j->dx, j->dy, j->w, j->h);
}

static double pixman_time(const mark *m, uint8_t *frame, int fw, int fh, int dx,
			  int dy)
{
	const wm__raster *r = m->r;
	uint32_t *bgra = malloc((size_t)r->width * r->height * 4);
	pix_job j;
	double t;

	for (int i = 0; i < r->width * r->height; i++) {
		const uint8_t *s = r->pixels + 4 * i;

		bgra[i] = (uint32_t)s[3] << 24 | (uint32_t)s[0] << 16 |
			  (uint32_t)s[1] << 8 | s[2];
	}
	j.src = pixman_image_create_bits(PIXMAN_a8r8g8b8, r->width, r->height,
					 bgra, (int)r->stride);
	j.dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, fw, fh,
					 (uint32_t *)frame, fw * 4);
	j.sx = m->x;
	j.sy = m->y;
	j.dx = dx + m->x;
	j.dy = dy + m->y;
	j.w = m->w;
	j.h = m->h;
	t = time_it(pix_run, &j);
	pixman_image_unref(j.src);
	pixman_image_unref(j.dst);
	free(bgra);
	return t;
}
#else
static double pixman_time(const mark *m, uint8_t *frame, int fw, int fh, int dx,
			  int dy)
{
	(void)m, (void)frame, (void)fw, (void)fh, (void)dx, (void)dy;
	return 0;
}
#endif

/* BGRX 3840x2160: ours against pixman OVER on the mark's covered box. */
static void bench_bgrx(const mark *m, const char *what)
{
	const int fw = 3840, fh = 2160;
	uint8_t *frame = malloc((size_t)fw * fh * 4);
	int dx = (fw - m->r->width) / 2, dy = (fh - m->r->height) / 2;
	ours o = {0};
	double t_ours, t_pix;
	int same;

	memset(frame, 90, (size_t)fw * fh * 4);
	o.f.size = sizeof(o.f);
	o.f.format = WM_PIX_BGRX;
	o.f.width = fw;
	o.f.height = fh;
	o.f.planes[0] = frame;
	o.f.strides[0] = fw * 4;
	wm__layer_new(m->r, &o.f, dx, dy, &o.layer);
	same = same_as_scalar(&o, (size_t[]){(size_t)fw * fh * 4});
	t_ours = time_it(ours_run, &o);
	t_pix = pixman_time(m, frame, fw, fh, dx, dy);
	report(what, m, t_ours, t_pix, "pixman", 12);
	printf("  %-26s %dx%d box, %.0f%% covered, bit-identical to scalar: "
	       "%s\n",
	       "", m->w, m->h, 100 * m->coverage, same ? "yes" : "NO");
	wm__layer_free(o.layer);
	free(frame);
}

/* ---- FFmpeg overlay ------------------------------------------------------ */

#ifdef WM_BENCH_AVFILTER
typedef struct av_job {
	AVFilterGraph *graph;
	AVFilterContext *main_src, *ovl_src, *sink;
	AVFrame *frame;
	int64_t pts;
	int failed;
} av_job;

static void av_run(void *arg)
{
	av_job *j = arg;

	j->frame->pts = j->pts++;
	if (av_buffersrc_add_frame_flags(j->main_src, j->frame, 0) < 0 ||
	    av_buffersink_get_frame(j->sink, j->frame) < 0)
		j->failed = 1;
}

/* The mark as a yuva420p frame: BT.709 limited like the main frame. */
static AVFrame *overlay_frame(const mark *m, const wm_frame *tmpl)
{
	AVFrame *o = av_frame_alloc();
	wm__color_conv cv;

	wm__color_conv_init(&cv, tmpl);
	o->format = AV_PIX_FMT_YUVA420P;
	o->width = m->r->width;
	o->height = m->r->height;
	av_frame_get_buffer(o, 0);
	for (int y = 0; y < o->height; y++)
		for (int x = 0; x < o->width; x++) {
			const uint8_t *p =
			    m->r->pixels + y * m->r->stride + x * 4;
			uint8_t rgb[3] = {0, 0, 0};
			double nl[3];
			uint32_t v[3];

			for (int k = 0; k < 3 && p[3]; k++)
				rgb[k] =
				    (uint8_t)((p[k] * 255 + p[3] / 2) / p[3]);
			wm__color_nonlinear(&cv, rgb, nl);
			wm__color_quantize(&cv, nl, v);
			o->data[0][y * o->linesize[0] + x] = (uint8_t)v[0];
			o->data[3][y * o->linesize[3] + x] = p[3];
			if (x % 2 == 0 && y % 2 == 0) {
				o->data[1][y / 2 * o->linesize[1] + x / 2] =
				    (uint8_t)v[1];
				o->data[2][y / 2 * o->linesize[2] + x / 2] =
				    (uint8_t)v[2];
			}
		}
	return o;
}

static int av_setup(av_job *j, const mark *m, const wm_frame *tmpl, int dx,
		    int dy)
{
	char args[256];
	AVFilterContext *ov;
	AVFrame *o;

	j->graph = avfilter_graph_alloc();
	j->graph->nb_threads = 1;
	snprintf(args, sizeof(args),
		 "video_size=%dx%d:pix_fmt=%d:"
		 "time_base=1/25:pixel_aspect=1/1",
		 tmpl->width, tmpl->height, AV_PIX_FMT_YUV420P);
	if (avfilter_graph_create_filter(&j->main_src,
					 avfilter_get_by_name("buffer"), "main",
					 args, NULL, j->graph) < 0)
		return -1;
	snprintf(args, sizeof(args),
		 "video_size=%dx%d:pix_fmt=%d:"
		 "time_base=1/25:pixel_aspect=1/1",
		 m->r->width, m->r->height, AV_PIX_FMT_YUVA420P);
	if (avfilter_graph_create_filter(&j->ovl_src,
					 avfilter_get_by_name("buffer"), "ovl",
					 args, NULL, j->graph) < 0)
		return -1;
	snprintf(args, sizeof(args),
		 "x=%d:y=%d:eof_action=repeat:"
		 "format=yuv420",
		 dx, dy);
	if (avfilter_graph_create_filter(&ov, avfilter_get_by_name("overlay"),
					 "ov", args, NULL, j->graph) < 0 ||
	    avfilter_graph_create_filter(&j->sink,
					 avfilter_get_by_name("buffersink"),
					 "out", NULL, NULL, j->graph) < 0)
		return -1;
	if (avfilter_link(j->main_src, 0, ov, 0) < 0 ||
	    avfilter_link(j->ovl_src, 0, ov, 1) < 0 ||
	    avfilter_link(ov, 0, j->sink, 0) < 0 ||
	    avfilter_graph_config(j->graph, NULL) < 0)
		return -1;
	o = overlay_frame(m, tmpl);
	o->pts = 0;
	if (av_buffersrc_add_frame(j->ovl_src, o) < 0 ||
	    av_buffersrc_add_frame(j->ovl_src, NULL) < 0)
		return -1;
	av_frame_free(&o);
	j->frame = av_frame_alloc();
	j->frame->format = AV_PIX_FMT_YUV420P;
	j->frame->width = tmpl->width;
	j->frame->height = tmpl->height;
	av_frame_get_buffer(j->frame, 0);
	for (int p = 0; p < 3; p++)
		memset(j->frame->data[p], p ? 128 : 90,
		       (size_t)j->frame->linesize[p] *
			   (p ? tmpl->height / 2 : tmpl->height));
	return 0;
}

static double ffmpeg_time(const mark *m, const wm_frame *tmpl, int dx, int dy)
{
	av_job j = {0};
	double t = 0;

	if (av_setup(&j, m, tmpl, dx, dy) == 0) {
		t = time_it(av_run, &j);
		if (j.failed)
			t = 0;
	}
	av_frame_free(&j.frame);
	avfilter_graph_free(&j.graph);
	return t;
}
#else
static double ffmpeg_time(const mark *m, const wm_frame *tmpl, int dx, int dy)
{
	(void)m, (void)tmpl, (void)dx, (void)dy;
	return 0;
}
#endif

/* yuv420p 1920x1080: ours against FFmpeg's overlay filter. */
static void bench_i420(const mark *m, const char *what)
{
	const int fw = 1920, fh = 1080;
	uint8_t *planes = malloc((size_t)fw * fh * 3 / 2);
	int dx = ((fw - m->r->width) / 2) & ~1;
	int dy = ((fh - m->r->height) / 2) & ~1;
	ours o = {0};
	double t_ours, t_av;
	int same;

	memset(planes, 90, (size_t)fw * fh);
	memset(planes + (size_t)fw * fh, 128, (size_t)fw * fh / 2);
	o.f.size = sizeof(o.f);
	o.f.format = WM_PIX_I420;
	o.f.matrix = WM_MATRIX_BT709;
	o.f.width = fw;
	o.f.height = fh;
	o.f.planes[0] = planes;
	o.f.planes[1] = planes + (size_t)fw * fh;
	o.f.planes[2] = planes + (size_t)fw * fh * 5 / 4;
	o.f.strides[0] = fw;
	o.f.strides[1] = o.f.strides[2] = fw / 2;
	wm__layer_new(m->r, &o.f, dx, dy, &o.layer);
	same =
	    same_as_scalar(&o, (size_t[]){(size_t)fw * fh, (size_t)fw * fh / 4,
					  (size_t)fw * fh / 4});
	t_ours = time_it(ours_run, &o);
	t_av = ffmpeg_time(m, &o.f, dx, dy);
	/* Bytes per mark pixel: luma pairs 2 + frame 2, chroma a quarter of
	 * that twice. */
	report(what, m, t_ours, t_av, "ffmpeg", 6);
	printf("  %-26s bit-identical to scalar: %s\n", "",
	       same ? "yes" : "NO");
	wm__layer_free(o.layer);
	free(planes);
}

/* The mark cropped to its covered box, so that every peer gets the same
 * rectangle and no transparent margin. */
static mark make_mark(const char *name, wm__raster *r)
{
	mark m = {name, r, 0, 0, 0, 0, 0};
	wm__raster *c = NULL;

	measure_box(&m);
	wm__raster_new(m.w, m.h, &c);
	for (int y = 0; y < m.h; y++)
		memcpy(c->pixels + y * c->stride,
		       r->pixels + (m.y + y) * r->stride + m.x * 4,
		       (size_t)m.w * 4);
	wm__raster_free(r);
	m.r = c;
	m.x = m.y = 0;
	return m;
}

int main(void)
{
	int synthetic = 0, plain_synthetic = 0;
	mark text, plain, logo, big;

	text = make_mark("text", text_raster(1, &synthetic));
	plain = make_mark("plain", text_raster(0, &plain_synthetic));
	synthetic |= plain_synthetic;
	logo = make_mark("logo", dense_raster(160, 160));
	big = make_mark("big", dense_raster(1920, 1080));
	printf("compositor benchmark, backend %s; memcpy of a 33 MB frame: "
	       "%.1f GB/s (read + write)\n",
	       wm__cpu_backend(), memcpy_bandwidth((size_t)3840 * 2160 * 4));
	printf("text mark: %s\n",
	       synthetic ? "SYNTHETIC text-like mask (marking failed)"
			 : "default \"AI-generated\" mark at 160 px, with "
			   "and without its outline");
	printf("GB/s count the bytes a straightforward OVER moves per box "
	       "pixel (BGRX: 12, yuv420p: 6)\n");
	printf("3840x2160 BGRX, against pixman OVER a8r8g8b8 -> x8r8g8b8:\n");
	bench_bgrx(&text, "text 160 px");
	bench_bgrx(&plain, "text 160 px, no outline");
	bench_bgrx(&logo, "dense logo 160x160");
	bench_bgrx(&big, "dense logo 1920x1080");
	printf("1920x1080 yuv420p BT.709, against FFmpeg overlay "
	       "(yuva420p overlay, 1 thread):\n");
	bench_i420(&text, "text 160 px");
	bench_i420(&plain, "text 160 px, no outline");
	bench_i420(&logo, "dense logo 160x160");
	wm__raster_free(text.r);
	wm__raster_free(plain.r);
	wm__raster_free(logo.r);
	wm__raster_free(big.r);
	return 0;
}
