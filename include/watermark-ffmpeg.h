/*
 * libwatermark helpers for applications that hold FFmpeg AVFrames.
 *
 * Optional: include it after <libavutil/frame.h> only if you use FFmpeg.
 * Everything here is static inline, so libwatermark's ABI never depends on
 * FFmpeg's struct layouts; the helpers follow the FFmpeg headers your
 * application is compiled against.
 *
 *	wm_frame f;
 *	if (wm_frame_from_avframe(&f, avframe) == 0)
 *		wm_session_apply(session, &f, seconds);
 *
 * Copyright (c) 2026 the libwatermark authors. MIT licence (see LICENSE).
 */
#ifndef WATERMARK_FFMPEG_H
#define WATERMARK_FFMPEG_H

#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "watermark.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The wm_pixel_format of an AVPixelFormat, or WM_PIX_NONE. 16-bit
 * layouts map only in the machine's own byte order. */
static inline wm_pixel_format wm_pixel_format_from_av(enum AVPixelFormat f)
{
	switch (f) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P: return WM_PIX_I420;
	case AV_PIX_FMT_NV12: return WM_PIX_NV12;
	case AV_PIX_FMT_NV21: return WM_PIX_NV21;
	case AV_PIX_FMT_YUV422P:
	case AV_PIX_FMT_YUVJ422P: return WM_PIX_I422;
	case AV_PIX_FMT_YUV444P:
	case AV_PIX_FMT_YUVJ444P: return WM_PIX_I444;
	case AV_PIX_FMT_YUV420P10: return WM_PIX_I420P10;
	case AV_PIX_FMT_P010: return WM_PIX_P010;
	case AV_PIX_FMT_RGBA: return WM_PIX_RGBA;
	case AV_PIX_FMT_BGRA: return WM_PIX_BGRA;
	case AV_PIX_FMT_ARGB: return WM_PIX_ARGB;
	case AV_PIX_FMT_ABGR: return WM_PIX_ABGR;
	case AV_PIX_FMT_RGB0: return WM_PIX_RGBX;
	case AV_PIX_FMT_BGR0: return WM_PIX_BGRX;
	case AV_PIX_FMT_RGB24: return WM_PIX_RGB24;
	case AV_PIX_FMT_BGR24: return WM_PIX_BGR24;
	case AV_PIX_FMT_GRAY8: return WM_PIX_GRAY8;
	case AV_PIX_FMT_YA8: return WM_PIX_GRAYA8;
	case AV_PIX_FMT_GRAY16: return WM_PIX_GRAY16;
	case AV_PIX_FMT_RGB48: return WM_PIX_RGB48;
	case AV_PIX_FMT_RGBA64: return WM_PIX_RGBA64;
	case AV_PIX_FMT_YA16: return WM_PIX_GRAYA16;
	default: return WM_PIX_NONE;
	}
}

static inline wm_matrix wm_matrix_from_av(enum AVColorSpace c)
{
	switch (c) {
	case AVCOL_SPC_BT709: return WM_MATRIX_BT709;
	case AVCOL_SPC_BT470BG:
	case AVCOL_SPC_SMPTE170M:
	case AVCOL_SPC_FCC: return WM_MATRIX_BT601;
	case AVCOL_SPC_BT2020_NCL:
	case AVCOL_SPC_BT2020_CL: return WM_MATRIX_BT2020;
	default: return WM_MATRIX_AUTO;
	}
}

static inline wm_transfer
wm_transfer_from_av(enum AVColorTransferCharacteristic t)
{
	if (t == AVCOL_TRC_SMPTE2084)
		return WM_TRANSFER_PQ;
	if (t == AVCOL_TRC_ARIB_STD_B67)
		return WM_TRANSFER_HLG;
	return WM_TRANSFER_SDR;
}

/*
 * The orientation that a display matrix (AV_FRAME_DATA_DISPLAYMATRIX or
 * AV_PKT_DATA_DISPLAYMATRIX, 16.16 fixed point) describes. Only the sign
 * pattern of the 2x2 part matters; matrices that are not a multiple of 90
 * degrees give WM_ORIENT_NORMAL.
 */
static inline wm_orientation
wm_orientation_from_display_matrix(const int32_t *m)
{
	int a = (m[0] > 0) - (m[0] < 0), b = (m[1] > 0) - (m[1] < 0);
	int c = (m[3] > 0) - (m[3] < 0), d = (m[4] > 0) - (m[4] < 0);

	if (b == 0 && c == 0) {
		if (a == -1 && d == 1)
			return WM_ORIENT_FLIP_H;
		if (a == -1 && d == -1)
			return WM_ORIENT_ROTATE_180;
		if (a == 1 && d == -1)
			return WM_ORIENT_FLIP_V;
		return WM_ORIENT_NORMAL;
	}
	if (a != 0 || d != 0)
		return WM_ORIENT_NORMAL;
	if (b == 1)
		return c == -1 ? WM_ORIENT_ROTATE_90 : WM_ORIENT_TRANSPOSE;
	return c == 1 ? WM_ORIENT_ROTATE_270 : WM_ORIENT_TRANSVERSE;
}

/*
 * Describes an AVFrame's pixels as a wm_frame (the planes stay the
 * AVFrame's: make the frame writable first if its buffers are shared).
 * Reads the colour matrix, range, transfer, sample aspect ratio and a
 * display matrix attached to the frame. Returns 0, or -1 when the pixel
 * format has no wm_pixel_format.
 */
static inline int wm_frame_from_avframe(wm_frame *out, const AVFrame *f)
{
	enum AVPixelFormat pf = (enum AVPixelFormat)f->format;
	const AVFrameSideData *sd;
	int i;

	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->format = wm_pixel_format_from_av(pf);
	if (out->format == WM_PIX_NONE)
		return -1;
	out->width = f->width;
	out->height = f->height;
	out->matrix = wm_matrix_from_av(f->colorspace);
	out->range =
	    (f->color_range == AVCOL_RANGE_JPEG || pf == AV_PIX_FMT_YUVJ420P ||
	     pf == AV_PIX_FMT_YUVJ422P || pf == AV_PIX_FMT_YUVJ444P)
		? WM_RANGE_FULL
		: WM_RANGE_LIMITED;
	out->alpha = WM_ALPHA_STRAIGHT;
	out->transfer = wm_transfer_from_av(f->color_trc);
	for (i = 0; i < 4; i++) {
		out->planes[i] = f->data[i];
		out->strides[i] = f->linesize[i];
	}
	sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
	out->orientation =
	    sd && sd->size >= 9 * sizeof(int32_t)
		? wm_orientation_from_display_matrix((const int32_t *)sd->data)
		: WM_ORIENT_NORMAL;
	out->sar_num = f->sample_aspect_ratio.num;
	out->sar_den = f->sample_aspect_ratio.den;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* WATERMARK_FFMPEG_H */
