/*
 * The optional AVFrame helper header: pixel formats, colour tags, display
 * matrices, and marking AVFrames through a session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <libavutil/display.h>
#include <libavutil/frame.h>

#include "watermark-ffmpeg.h"

static AVFrame *grey_frame(enum AVPixelFormat fmt, int w, int h)
{
	AVFrame *f = av_frame_alloc();

	assert_non_null(f);
	f->format = fmt;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	for (int p = 0; p < 4 && f->data[p]; p++) {
		int rows =
		    p ? (fmt == AV_PIX_FMT_YUV444P ? h : (h + 1) / 2) : h;

		memset(f->data[p], 0x80, (size_t)f->linesize[p] * rows);
	}
	return f;
}

static void pixel_formats_map(void **state)
{
	(void)state;
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_YUV420P),
			 WM_PIX_I420);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_YUVJ420P),
			 WM_PIX_I420);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_NV12), WM_PIX_NV12);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_YUV420P10),
			 WM_PIX_I420P10);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_P010), WM_PIX_P010);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_BGRA), WM_PIX_BGRA);
	assert_int_equal(wm_pixel_format_from_av(AV_PIX_FMT_GBRP), WM_PIX_NONE);
}

static void frame_description(void **state)
{
	AVFrame *f = grey_frame(AV_PIX_FMT_YUVJ420P, 64, 48);
	wm_frame wf;

	(void)state;
	f->colorspace = AVCOL_SPC_BT2020_NCL;
	f->color_trc = AVCOL_TRC_SMPTE2084;
	f->sample_aspect_ratio = (AVRational){4, 3};
	assert_int_equal(wm_frame_from_avframe(&wf, f), 0);
	assert_int_equal(wf.size, sizeof(wm_frame));
	assert_int_equal(wf.format, WM_PIX_I420);
	assert_int_equal(wf.range, WM_RANGE_FULL);
	assert_int_equal(wf.matrix, WM_MATRIX_BT2020);
	assert_int_equal(wf.transfer, WM_TRANSFER_PQ);
	assert_int_equal(wf.sar_num, 4);
	assert_int_equal(wf.sar_den, 3);
	assert_ptr_equal(wf.planes[1], f->data[1]);
	assert_int_equal(wf.strides[2], f->linesize[2]);
	assert_int_equal(wf.orientation, WM_ORIENT_NORMAL);
	f->format = AV_PIX_FMT_GBRP;
	assert_int_equal(wm_frame_from_avframe(&wf, f), -1);
	av_frame_free(&f);
}

/* FFmpeg's own display matrices. av_display_rotation_set(m, 90) builds the
 * matrix of a phone video that players turn 90 degrees clockwise (ffprobe
 * then reports "rotation of -90 degrees"), which is EXIF orientation 6. */
static void display_matrices(void **state)
{
	static const struct {
		double angle; /* as passed to av_display_rotation_set */
		int hflip;
		wm_orientation want;
	} cases[] = {
	    {0, 0, WM_ORIENT_NORMAL},	    {90, 0, WM_ORIENT_ROTATE_90},
	    {180, 0, WM_ORIENT_ROTATE_180}, {-90, 0, WM_ORIENT_ROTATE_270},
	    {0, 1, WM_ORIENT_FLIP_H},	    {180, 1, WM_ORIENT_FLIP_V},
	};
	int32_t m[9];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		av_display_rotation_set(m, cases[i].angle);
		if (cases[i].hflip)
			av_display_matrix_flip(m, 1, 0);
		assert_int_equal(wm_orientation_from_display_matrix(m),
				 cases[i].want);
	}
}

static void frame_side_data_orientation(void **state)
{
	AVFrame *f = grey_frame(AV_PIX_FMT_YUV420P, 64, 48);
	AVFrameSideData *sd;
	wm_frame wf;

	(void)state;
	sd = av_frame_new_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX,
				    9 * sizeof(int32_t));
	assert_non_null(sd);
	av_display_rotation_set((int32_t *)sd->data, 90);
	assert_int_equal(wm_frame_from_avframe(&wf, f), 0);
	assert_int_equal(wf.orientation, WM_ORIENT_ROTATE_90);
	av_frame_free(&f);
}

/* Marks AVFrames through a session: the bottom-right corner changes, the
 * top-left does not, and a start time keeps early frames clean. */
static void session_marks_avframes(void **state)
{
	AVFrame *f = grey_frame(AV_PIX_FMT_YUV420P, 320, 180);
	wm_mark *m = NULL;
	wm_session *s = NULL;
	wm_frame wf;
	int corner = 0, far = 0;

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "start", "1"), WM_OK);
	assert_int_equal(wm_frame_from_avframe(&wf, f), 0);
	assert_int_equal(wm_session_new(m, &wf, &s), WM_OK);

	assert_int_equal(wm_session_apply(s, &wf, 0.5), WM_OK);
	for (int y = 0; y < 180; y++)
		for (int x = 0; x < 320; x++)
			corner += f->data[0][y * f->linesize[0] + x] != 0x80;
	assert_int_equal(corner, 0);

	assert_int_equal(wm_session_apply(s, &wf, 1.5), WM_OK);
	for (int y = 135; y < 180; y++)
		for (int x = 160; x < 320; x++)
			corner += f->data[0][y * f->linesize[0] + x] != 0x80;
	for (int y = 0; y < 90; y++)
		for (int x = 0; x < 160; x++)
			far += f->data[0][y * f->linesize[0] + x] != 0x80;
	assert_true(corner > 100);
	assert_int_equal(far, 0);

	wm_session_free(s);
	wm_mark_free(m);
	av_frame_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pixel_formats_map),
	    cmocka_unit_test(frame_description),
	    cmocka_unit_test(display_matrices),
	    cmocka_unit_test(frame_side_data_orientation),
	    cmocka_unit_test(session_marks_avframes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
