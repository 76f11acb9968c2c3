/*
 * Mirrored display matrices: a flat grey MP4 whose display matrix rotates
 * it by 90 degrees and mirrors it (as front cameras record) is marked at
 * the bottom-right. The output is decoded, the output's matrix applied, and
 * the mark must sit at the bottom-right of the picture as displayed and
 * read the same way as on an unrotated reference clip of the displayed
 * size: a mark drawn mirrored would match the reference's mirror image
 * better than the reference itself. A black square in the coded top-right
 * corner must be displayed at the top-right, so the picture too is shown
 * the right way round.
 *
 * MP4 output keeps the matrix (the mark is mapped into coded orientation);
 * Matroska output cannot carry it, so the pixels are turned instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>

#include "watermark.h"

/* Coded size of the rotated clip; the reference is coded at H x W. */
#define W 320
#define H 192
#define GREY_THRESHOLD 40

static char dir[] = "/tmp/wm-test-orient-XXXXXX";

/* A displayed luma picture and the mark found in it. */
typedef struct picture {
	int w, h;
	uint8_t *y;
	bool *mask; /* far from the flat grey background */
	int x0, y0, x1, y1; /* mask bounding box, inclusive */
	bool has_matrix;
} picture;

/* Encodes a flat grey clip of w x h with the ffmpeg program, with a black
 * square in the coded top-right corner when `corner`. */
static bool make_grey(const char *path, int w, int h, bool corner)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "ffmpeg -nostdin -v error -y -f lavfi -i "
		 "color=c=0x808080:size=%dx%d:rate=25%s -frames:v 3 "
		 "-pix_fmt yuv420p -c:v libx264 -preset ultrafast -qp 0 "
		 "-threads 1 %s",
		 w, h,
		 corner ? ",drawbox=x=iw-16:y=0:w=16:h=16:c=black:t=fill" : "",
		 path);
	return system(cmd) == 0;
}

/* Copies `in` to `out` (MP4), with `matrix` on the video when given. */
static void remux(const char *in, const char *out, const int32_t *matrix)
{
	AVFormatContext *ic = NULL, *oc = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVStream *ost;

	assert_int_equal(avformat_open_input(&ic, in, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_true(avformat_alloc_output_context2(&oc, NULL, "mp4", out) >= 0);
	ost = avformat_new_stream(oc, NULL);
	assert_non_null(ost);
	avcodec_parameters_copy(ost->codecpar, ic->streams[0]->codecpar);
	ost->codecpar->codec_tag = 0;
	ost->time_base = ic->streams[0]->time_base;
	if (matrix) {
		uint8_t *sd = av_stream_new_side_data(
		    ost, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));

		assert_non_null(sd);
		memcpy(sd, matrix, 9 * sizeof(int32_t));
	}
	assert_true(avio_open(&oc->pb, out, AVIO_FLAG_WRITE) >= 0);
	assert_true(avformat_write_header(oc, NULL) >= 0);
	while (av_read_frame(ic, pkt) >= 0) {
		av_packet_rescale_ts(pkt, ic->streams[0]->time_base,
				     ost->time_base);
		pkt->stream_index = 0;
		assert_true(av_interleaved_write_frame(oc, pkt) >= 0);
	}
	av_write_trailer(oc);
	avio_closep(&oc->pb);
	avformat_free_context(oc);
	avformat_close_input(&ic);
	av_packet_free(&pkt);
}

static int sign(int32_t v)
{
	return (v > 0) - (v < 0);
}

/*
 * Where coded pixel (x, y) of a w x h picture is displayed. The matrix's
 * first two columns give displayed x and y from coded x and y with y
 * pointing down (x' = m0 x + m1 y, y' = m3 x + m4 y), then the picture is
 * moved back to the origin; this is how FFmpeg's own player and its
 * autorotation read it (a -90 degree rotation turns clockwise).
 */
static void displayed(const int32_t *m, int w, int h, int x, int y, int *dx,
		      int *dy)
{
	int a = sign(m[0]), b = sign(m[1]), c = sign(m[3]), d = sign(m[4]);

	*dx = a * x + b * y;
	*dy = c * x + d * y;
	*dx += (a < 0 ? w - 1 : 0) + (b < 0 ? h - 1 : 0);
	*dy += (c < 0 ? w - 1 : 0) + (d < 0 ? h - 1 : 0);
}

/* Finds the mark in the lower half of the picture (the upper half may
 * hold the corner square). */
static void find_mark(picture *p)
{
	p->mask = calloc((size_t)p->w * p->h, sizeof(bool));
	assert_non_null(p->mask);
	p->x0 = p->w;
	p->y0 = p->h;
	p->x1 = p->y1 = -1;
	for (int y = p->h / 2; y < p->h; y++) {
		for (int x = 0; x < p->w; x++) {
			int v = p->y[y * p->w + x];

			if (abs(v - 128) <= GREY_THRESHOLD)
				continue;
			p->mask[y * p->w + x] = true;
			p->x0 = x < p->x0 ? x : p->x0;
			p->y0 = y < p->y0 ? y : p->y0;
			p->x1 = x > p->x1 ? x : p->x1;
			p->y1 = y > p->y1 ? y : p->y1;
		}
	}
	assert_true(p->x1 >= 0);
}

/* Decodes the first frame of `path` and lays its luma out as displayed. */
static void read_displayed(const char *path, picture *p)
{
	static const int32_t identity[9] = {1 << 16, 0, 0, 0, 1 << 16,
					    0,       0, 0, 1 << 30};
	AVFormatContext *ic = NULL;
	AVCodecContext *dec;
	const AVCodec *c;
	const int32_t *m;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	int got = -1;

	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	m = (const int32_t *)av_stream_get_side_data(
	    ic->streams[0], AV_PKT_DATA_DISPLAYMATRIX, NULL);
	p->has_matrix = m != NULL;
	m = m ? m : identity;
	c = avcodec_find_decoder(ic->streams[0]->codecpar->codec_id);
	dec = avcodec_alloc_context3(c);
	avcodec_parameters_to_context(dec, ic->streams[0]->codecpar);
	assert_int_equal(avcodec_open2(dec, c, NULL), 0);
	while (got < 0 && av_read_frame(ic, pkt) >= 0) {
		avcodec_send_packet(dec, pkt);
		av_packet_unref(pkt);
		got = avcodec_receive_frame(dec, f);
	}
	if (got < 0) {
		avcodec_send_packet(dec, NULL);
		got = avcodec_receive_frame(dec, f);
	}
	assert_int_equal(got, 0);

	p->w = m[0] ? f->width : f->height;
	p->h = m[0] ? f->height : f->width;
	p->y = malloc((size_t)p->w * p->h);
	assert_non_null(p->y);
	for (int y = 0; y < f->height; y++) {
		for (int x = 0; x < f->width; x++) {
			int dx, dy;

			displayed(m, f->width, f->height, x, y, &dx, &dy);
			p->y[dy * p->w + dx] = f->data[0][y * f->linesize[0] + x];
		}
	}
	find_mark(p);
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&ic);
}

static void free_picture(picture *p)
{
	free(p->y);
	free(p->mask);
}

static void mark_file(const char *in, const char *out)
{
	wm_mark *m = NULL;
	wm_job job = {sizeof(job), NULL, NULL, WM_JOB_OVERWRITE, NULL};

	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "size", "8%"), WM_OK);
	assert_int_equal(wm_mark_set(m, "crf", "10"), WM_OK);
	assert_int_equal(wm_mark_set(m, "threads", "1"), WM_OK);
	assert_int_equal(wm_mark_file(m, in, out, &job), WM_OK);
	wm_mark_free(m);
}

/* Mean of the 10 x 10 block of `p` at (x, y). */
static int mean(const picture *p, int x, int y)
{
	int sum = 0;

	for (int j = y; j < y + 10; j++)
		for (int i = x; i < x + 10; i++)
			sum += p->y[j * p->w + i];
	return sum / 100;
}

/* How many mask pixels of `a` and `b` agree over the union of their
 * boxes, with `b` optionally mirrored left to right within its box. */
static long agreement(const picture *a, const picture *b, bool mirror)
{
	long same = 0;

	for (int y = 0; y < a->h; y++) {
		for (int x = 0; x < a->w; x++) {
			int bx = mirror ? b->x0 + b->x1 - x : x;
			bool in_b = bx >= 0 && bx < b->w &&
				    b->mask[y * b->w + bx];

			same += a->mask[y * a->w + x] && in_b;
		}
	}
	return same;
}

/* Marks the mirrored clip into `ext` and compares with the reference. */
static void mirrored_clip_marked_upright(const char *ext)
{
	char grey[128], grey_ref[128], src[128], ref[128], out[128],
	    out_ref[128];
	int32_t matrix[9];
	picture p, r;
	int dx, dy;
	long same, mirrored, area = 0;

	snprintf(grey, sizeof(grey), "%s/grey.mp4", dir);
	snprintf(grey_ref, sizeof(grey_ref), "%s/grey-ref.mp4", dir);
	snprintf(src, sizeof(src), "%s/mirrored.mp4", dir);
	snprintf(ref, sizeof(ref), "%s/reference.mp4", dir);
	snprintf(out, sizeof(out), "%s/out.%s", dir, ext);
	snprintf(out_ref, sizeof(out_ref), "%s/out-ref.%s", dir, ext);
	if (!make_grey(grey, W, H, true) || !make_grey(grey_ref, H, W, false))
		skip();

	/* Turned a quarter clockwise and mirrored: the coded top-left corner
	 * is shown at the bottom-right (a transverse). */
	av_display_rotation_set(matrix, -90);
	av_display_matrix_flip(matrix, 1, 0);
	displayed(matrix, W, H, 0, 0, &dx, &dy);
	assert_int_equal(dx, H - 1);
	assert_int_equal(dy, W - 1);
	remux(grey, src, matrix);
	remux(grey_ref, ref, NULL);
	mark_file(src, out);
	mark_file(ref, out_ref);

	read_displayed(out, &p);
	read_displayed(out_ref, &r);
	assert_int_equal(p.has_matrix, strcmp(ext, "mkv") != 0);
	assert_int_equal(p.w, H);
	assert_int_equal(p.h, W);
	/* The picture itself is shown the right way: the coded top-right
	 * square is displayed at the top-right (the matrix kept, or the
	 * pixels turned and mirrored). */
	assert_true(mean(&p, p.w - 12, 2) < 40);
	assert_true(abs(mean(&p, 2, 2) - 128) < 8);
	assert_true(abs(mean(&p, p.w - 12, p.h / 2 - 12) - 128) < 8);
	/* At the bottom-right as displayed, where the reference has it. */
	assert_true(p.x1 > p.w * 7 / 8 && p.y1 > p.h * 7 / 8);
	assert_true(p.x0 > p.w / 4 && p.y0 > p.h * 3 / 4);
	assert_true(abs(p.x0 - r.x0) <= 2 && abs(p.x1 - r.x1) <= 2);
	assert_true(abs(p.y0 - r.y0) <= 2 && abs(p.y1 - r.y1) <= 2);
	/* Upright and unmirrored: the mark matches the reference far better
	 * than the reference's mirror image. */
	for (int i = 0; i < r.w * r.h; i++)
		area += r.mask[i];
	same = agreement(&p, &r, false);
	mirrored = agreement(&p, &r, true);
	assert_true(same > area * 8 / 10);
	assert_true(same > mirrored + area / 10);

	free_picture(&p);
	free_picture(&r);
	unlink(grey);
	unlink(grey_ref);
	unlink(src);
	unlink(ref);
	unlink(out);
	unlink(out_ref);
}

static void mirrored_matrix_kept_in_mp4(void **state)
{
	(void)state;
	mirrored_clip_marked_upright("mp4");
}

static void mirrored_pixels_turned_in_mkv(void **state)
{
	(void)state;
	mirrored_clip_marked_upright("mkv");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mirrored_matrix_kept_in_mp4),
	    cmocka_unit_test(mirrored_pixels_turned_in_mkv),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
