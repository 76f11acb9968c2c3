/*
 * Compositor benchmark: our kernels against pixman's OVER (a8r8g8b8 onto
 * x8r8g8b8) on 3840x2160 frames (opaque premultiplied BGRA, and BGRX whose
 * padding we keep) and against FFmpeg's overlay filter (libavfilter,
 * in-process, one thread) on a 1920x1080 yuv420p frame, on the same marks
 * in one run, with the machine's memcpy bandwidth for the same bytes.
 * Peers missing at build time are reported as such. Run by
 * `meson test --benchmark --suite core`.
 *
 * Marks: the library's default text mark ("AI-generated" with an outline)
 * at 160 px, rendered through the public API; a dense 160x160 logo of
 * partial alpha (mark and frame rows fit in a 512 KiB L2 cache); a dense
 * 1920x1080 logo, also applied to COLD_FRAMES frames in turn (200 MB) so
 * that the frame really streams from memory. Each mark is cropped to the
 * box of its covered pixels.
 *
 * Then the time wm__layer_new takes to prepare marks for 4K frames: the
 * default text mark, the default mark tiled over the whole frame (one
 * 3840x2160 raster), and the dense logo, whose colours are all distinct.
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
#define ROUNDS 3

/* Ours and the peer are timed TURNS times each, alternately, and each
 * keeps its best: the load of a shared machine changes from second to
 * second, and alternating lets both sides meet the same conditions. */
#define TURNS 3

static double min2(double a, double b)
{
	return a < b ? a : b;
}
#define ROUND_SECONDS 0.06

/* CPU time of this thread: every peer runs in this thread too, and other
 * processes on a busy machine then count less. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Calls between two readings of the clock: reading this thread's CPU
 * time is a system call of about a microsecond here, as long as a whole
 * small-mark composite, so reading it after every call would add that
 * much to both sides of a comparison and understate the ratios. */
static long batch_for(void (*fn)(void *), void *arg)
{
	double t0 = now(), t;
	long n = 0;

	do {
		fn(arg);
		n++;
		t = now() - t0;
	} while (t < 0.005);
	return n / 20 > 1 ? n / 20 : 1;
}

/* Seconds per call of fn(arg): the best round's mean, the clock read
 * once a batch of calls (about 0.25 ms). */
static double time_it(void (*fn)(void *), void *arg)
{
	double best = 1e30;
	long batch;

	fn(arg);
	batch = batch_for(fn, arg);
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now(), t;
		long n = 0;

		do {
			for (long b = 0; b < batch; b++)
				fn(arg);
			n += batch;
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
 * The mark `m` as it appears on a transparent w x h premultiplied BGRA
 * frame, as a raster (premultiplied RGBA); NULL if marking fails.
 */
static wm__raster *capture(wm_mark *m, int w, int h)
{
	wm__raster *r = NULL;
	wm_frame f = {0};
	uint8_t *buf = calloc((size_t)w * h, 4);
	int failed;

	f.size = sizeof(f);
	f.width = w;
	f.height = h;
	f.format = WM_PIX_BGRA;
	f.alpha = WM_ALPHA_PREMULTIPLIED;
	f.planes[0] = buf;
	f.strides[0] = w * 4;
	failed = wm_mark_apply(m, &f, 0) != WM_OK;
	if (!failed)
		wm__raster_new(w, h, &r);
	for (size_t i = 0; r && i < (size_t)w * h; i++) {
		uint8_t *s = buf + 4 * i, *d = r->pixels + 4 * i;

		d[0] = s[2];
		d[1] = s[1];
		d[2] = s[0];
		d[3] = s[3];
	}
	free(buf);
	return r;
}

/* Glyph-like runs: strokes 9 px wide, a third on (when marking fails). */
static wm__raster *synthetic_text(int w, int h)
{
	wm__raster *r = NULL;

	wm__raster_new(w, h, &r);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int on = y > h * 3 / 10 && y < h * 7 / 10 &&
				 (x / 9 + y / 40) % 3 == 0;

			memset(r->pixels + y * r->stride + x * 4, on ? 255 : 0,
			       4);
		}
	return r;
}

/*
 * The default text mark at 160 px (with its outline, or without when
 * `outline` is 0). Falls back to a synthetic text-like mask if marking
 * fails.
 */
static wm__raster *text_raster(int outline, int *synthetic)
{
	const int w = 1600, h = 400;
	wm__raster *r = NULL;
	wm_mark *m = NULL;

	*synthetic = wm_mark_new(&m) != WM_OK ||
		     wm_mark_set_length(m, WM_OPT_SIZE, 160, WM_UNIT_PX) ||
		     wm_mark_set(m, "position", "center") ||
		     (!outline && wm_mark_set(m, "outline-width", "0"));
	if (!*synthetic)
		r = capture(m, w, h);
	wm_mark_free(m);
	*synthetic |= !r;
	return r ? r : synthetic_text(w, h);
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

/* Frames cycled through by the out-of-cache cases: together larger than
 * any L3 cache here, so that each call finds its frame in memory. */
#define COLD_FRAMES 6

typedef struct ours {
	wm__layer *layer;
	wm_frame f;
	uint8_t **cycle; /* COLD_FRAMES planes to take in turn, or NULL */
	int next;
} ours;

static void ours_run(void *arg)
{
	ours *o = arg;

	if (o->cycle)
		o->f.planes[0] = o->cycle[o->next++ % COLD_FRAMES];
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
	uint8_t *a[COLD_FRAMES], *b[COLD_FRAMES];
	size_t n;
	int buffers, next;
} copy_job;

static void copy_run(void *arg)
{
	copy_job *c = arg;
	int i = c->next++ % c->buffers;

	memcpy(c->a[i], c->b[i], c->n);
}

/* Bytes read plus bytes written per second by memcpy of `n` bytes, from
 * one pair of buffers (in cache when small) or, when `cold`, from
 * COLD_FRAMES pairs in turn (not in cache when n is a few MB). */
static double memcpy_bandwidth(size_t n, int cold)
{
	copy_job c = {{0}, {0}, n, cold ? COLD_FRAMES : 1, 0};
	double t;

	for (int i = 0; i < c.buffers; i++) {
		c.a[i] = malloc(n);
		c.b[i] = malloc(n);
		memset(c.a[i], 1, n);
		memset(c.b[i], 2, n);
	}
	t = time_it(copy_run, &c);
	for (int i = 0; i < c.buffers; i++) {
		free(c.a[i]);
		free(c.b[i]);
	}
	return 2.0 * n / t / 1e9;
}

/*
 * One line per case: our rate, the peer's and the ratio, and memcpy's
 * bandwidth for the same bytes (a copy that reads and writes as many bytes
 * as a straightforward OVER of the box moves).
 */
static void report(const char *what, const mark *m, double t_ours,
		   double t_peer, const char *peer, double bytes_px, int cold)
{
	double px = (double)m->w * m->h;
	double gbs = px * bytes_px / t_ours / 1e9;
	double copy = memcpy_bandwidth((size_t)(px * bytes_px / 2), cold);

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
	pixman_image_t *src, *dst[COLD_FRAMES];
	int sx, sy, dx, dy, w, h;
	int frames, next;
} pix_job;

static void pix_run(void *arg)
{
	pix_job *j = arg;

	pixman_image_composite32(PIXMAN_OP_OVER, j->src, NULL,
				 j->dst[j->next++ % j->frames], j->sx, j->sy, 0,
				 0, j->dx, j->dy, j->w, j->h);
}

/* pixman OVER onto `frames` frames in turn. */
static double pixman_time(const mark *m, uint8_t **frame, int frames, int fw,
			  int fh, int dx, int dy)
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
	j.frames = frames;
	j.next = 0;
	for (int i = 0; i < frames; i++)
		j.dst[i] = pixman_image_create_bits(
		    PIXMAN_x8r8g8b8, fw, fh, (uint32_t *)(void *)frame[i],
		    fw * 4);
	j.sx = m->x;
	j.sy = m->y;
	j.dx = dx + m->x;
	j.dy = dy + m->y;
	j.w = m->w;
	j.h = m->h;
	t = time_it(pix_run, &j);
	pixman_image_unref(j.src);
	for (int i = 0; i < frames; i++)
		pixman_image_unref(j.dst[i]);
	free(bgra);
	return t;
}
#else
static double pixman_time(const mark *m, uint8_t **frame, int frames, int fw,
			  int fh, int dx, int dy)
{
	(void)m, (void)frame, (void)frames, (void)fw, (void)fh, (void)dx,
	    (void)dy;
	return 0;
}
#endif

/*
 * 3840x2160 BGRX (padding kept) or opaque premultiplied BGRA: ours against
 * pixman OVER on the mark's covered box. `cold`: COLD_FRAMES frames in
 * turn (200 MB), so that the frame streams from memory.
 */
static void bench_rgb(const mark *m, const char *what, wm_pixel_format fmt,
		      int cold)
{
	const int fw = 3840, fh = 2160, frames = cold ? COLD_FRAMES : 1;
	size_t bytes = (size_t)fw * fh * 4;
	uint8_t *frame[COLD_FRAMES];
	int dx = (fw - m->r->width) / 2, dy = (fh - m->r->height) / 2;
	ours o = {0};
	double t_ours, t_pix;
	int same;

	for (int i = 0; i < frames; i++) {
		frame[i] = malloc(bytes);
		memset(frame[i], 90, bytes);
		for (size_t k = 3; fmt == WM_PIX_BGRA && k < bytes; k += 4)
			frame[i][k] = 255;
	}
	o.f.size = sizeof(o.f);
	o.f.format = fmt;
	o.f.alpha = WM_ALPHA_PREMULTIPLIED;
	o.f.width = fw;
	o.f.height = fh;
	o.f.planes[0] = frame[0];
	o.f.strides[0] = fw * 4;
	wm__layer_new(m->r, &o.f, dx, dy, &o.layer);
	same = same_as_scalar(&o, &bytes);
	o.cycle = cold ? frame : NULL;
	t_ours = t_pix = 1e30;
	for (int turn = 0; turn < TURNS; turn++) {
		t_ours = min2(t_ours, time_it(ours_run, &o));
		t_pix =
		    min2(t_pix, pixman_time(m, frame, frames, fw, fh, dx, dy));
	}
	report(what, m, t_ours, t_pix, "pixman", 12, cold);
	printf("  %-26s %dx%d box, %.0f%% covered, bit-identical to scalar: "
	       "%s\n",
	       "", m->w, m->h, 100 * m->coverage, same ? "yes" : "NO");
	wm__layer_free(o.layer);
	for (int i = 0; i < frames; i++)
		free(frame[i]);
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
	t_ours = t_av = 1e30;
	for (int turn = 0; turn < TURNS; turn++) {
		t_ours = min2(t_ours, time_it(ours_run, &o));
		t_av = min2(t_av, ffmpeg_time(m, &o.f, dx, dy));
	}
	/* Bytes per mark pixel: luma pairs 2 + frame 2, chroma a quarter of
	 * that twice. */
	report(what, m, t_ours, t_av, "ffmpeg", 6, 0);
	printf("  %-26s bit-identical to scalar: %s\n", "",
	       same ? "yes" : "NO");
	wm__layer_free(o.layer);
	free(planes);
}

/* ---- layer preparation ------------------------------------------------- */

typedef struct prep_job {
	const wm__raster *r;
	wm_frame f;
	int x, y;
} prep_job;

static void prep_run(void *arg)
{
	prep_job *j = arg;
	wm__layer *l = NULL;

	wm__layer_new(j->r, &j->f, j->x, j->y, &l);
	wm__layer_free(l);
}

/* Cases whose name lacks this are not timed (`bench-core prep NAME`). */
static const char *prep_filter = "";

/* Time of wm__layer_new for a 3840x2160 frame of layout `fmt`. */
static void bench_prep(const char *what, const wm__raster *r,
		       wm_pixel_format fmt, int x, int y)
{
	prep_job j = {r, {0}, x, y};
	double t;

	if (!strstr(what, prep_filter))
		return;
	j.f.size = sizeof(j.f);
	j.f.format = fmt;
	j.f.width = 3840;
	j.f.height = 2160;
	j.f.matrix = WM_MATRIX_BT709;
	t = time_it(prep_run, &j);
	printf("  %-34s %4dx%-4d %8.2f ms %7.1f Mpx/s\n", what, r->width,
	       r->height, t * 1e3, (double)r->width * r->height / t / 1e6);
}

/* The default mark for a 4K frame, alone or tiled over the whole frame
 * (`tiled`); NULL if marking fails. */
static wm__raster *default_raster(int tiled)
{
	wm_mark *m = NULL;
	wm__raster *r = NULL;

	if (wm_mark_new(&m) == WM_OK &&
	    (!tiled || wm_mark_set(m, "tile", "true") == WM_OK))
		r = capture(m, 3840, 2160);
	wm_mark_free(m);
	return r;
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

/* Layer preparation (wm__layer_new) for 4K frames: the default text mark,
 * the default mark tiled over the whole frame, and a dense logo. */
static void bench_all_prep(const mark *big)
{
	wm__raster *one = default_raster(0), *tiled = default_raster(1);
	mark text;

	printf("layer preparation for 3840x2160 frames (wm__layer_new, "
	       "raster size, time per call):\n");
	if (one) {
		text = make_mark("default", one);
		bench_prep("default text mark, I420", text.r, WM_PIX_I420, 1001,
			   1501);
		bench_prep("default text mark, NV12", text.r, WM_PIX_NV12, 1001,
			   1501);
		bench_prep("default text mark, BGRA", text.r, WM_PIX_BGRA, 1001,
			   1501);
		wm__raster_free(text.r);
	}
	if (tiled) {
		bench_prep("tiled default mark, I420", tiled, WM_PIX_I420, 0,
			   0);
		bench_prep("tiled default mark, BGRA", tiled, WM_PIX_BGRA, 0,
			   0);
		wm__raster_free(tiled);
	}
	if (!one || !tiled)
		printf("  (marking failed: default marks not timed)\n");
	bench_prep("dense logo, I420", big->r, WM_PIX_I420, 1, 1);
	bench_prep("dense logo, BGRA", big->r, WM_PIX_BGRA, 1, 1);
}

/* `bench-core prep [NAME]` times layer preparation only, or only the
 * cases whose name contains NAME (for profiling). */
int main(int argc, char **argv)
{
	int synthetic = 0, plain_synthetic = 0;
	mark text, plain, logo, big;

	if (argc > 1 && strcmp(argv[1], "prep") == 0) {
		prep_filter = argc > 2 ? argv[2] : "";
		big = make_mark("big", dense_raster(1920, 1080));
		bench_all_prep(&big);
		wm__raster_free(big.r);
		return 0;
	}
	text = make_mark("text", text_raster(1, &synthetic));
	plain = make_mark("plain", text_raster(0, &plain_synthetic));
	synthetic |= plain_synthetic;
	logo = make_mark("logo", dense_raster(160, 160));
	big = make_mark("big", dense_raster(1920, 1080));
	printf("compositor benchmark, backend %s; memcpy of a 33 MB frame: "
	       "%.1f GB/s (read + write)\n",
	       wm__cpu_backend(), memcpy_bandwidth((size_t)3840 * 2160 * 4, 1));
	printf("text mark: %s\n",
	       synthetic ? "SYNTHETIC text-like mask (marking failed)"
			 : "default \"AI-generated\" mark at 160 px, with "
			   "and without its outline");
	printf("GB/s count the bytes a straightforward OVER moves per box "
	       "pixel (BGRX: 12, yuv420p: 6); memcpy copies half as many\n");
	printf("3840x2160 BGRA (opaque, premultiplied), against pixman OVER "
	       "a8r8g8b8 -> x8r8g8b8:\n");
	bench_rgb(&text, "text 160 px", WM_PIX_BGRA, 0);
	bench_rgb(&plain, "text 160 px, no outline", WM_PIX_BGRA, 0);
	bench_rgb(&logo, "dense logo 160x160", WM_PIX_BGRA, 0);
	bench_rgb(&big, "dense logo 1920x1080", WM_PIX_BGRA, 0);
	printf("  the same, %d frames in turn (out of cache):\n", COLD_FRAMES);
	bench_rgb(&text, "text 160 px", WM_PIX_BGRA, 1);
	bench_rgb(&big, "dense logo 1920x1080", WM_PIX_BGRA, 1);
	printf("3840x2160 BGRX (padding kept), against pixman OVER:\n");
	bench_rgb(&text, "text 160 px", WM_PIX_BGRX, 0);
	bench_rgb(&big, "dense logo 1920x1080", WM_PIX_BGRX, 0);
	printf("1920x1080 yuv420p BT.709, against FFmpeg overlay "
	       "(yuva420p overlay, 1 thread):\n");
	bench_i420(&text, "text 160 px");
	bench_i420(&plain, "text 160 px, no outline");
	bench_i420(&logo, "dense logo 160x160");
	bench_all_prep(&big);
	wm__raster_free(text.r);
	wm__raster_free(plain.r);
	wm__raster_free(logo.r);
	wm__raster_free(big.r);
	return 0;
}
