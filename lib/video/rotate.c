/*
 * Turning decoded pictures upright, for output containers that cannot carry
 * a display matrix (Matroska and WebM in FFmpeg 5.1): the rotation is then
 * applied to the pixels so that it is never lost.
 */
#include <string.h>

#include <libavutil/pixdesc.h>

#include "module.h"

/* One plane seen as a grid of elements (a sample, or an interleaved
 * sample pair or pixel). */
typedef struct plane {
	const uint8_t *src;
	ptrdiff_t src_stride;
	uint8_t *dst;
	ptrdiff_t dst_stride;
	int w; /* stored size in elements */
	int h;
	int elem;
} plane;

/* Source element for destination element (dx, dy) as displayed. */
static void source_of(wm_orientation o, const plane *p, int dx, int dy, int *sx,
		      int *sy)
{
	int w = p->w, h = p->h;

	switch (o) {
	case WM_ORIENT_FLIP_H:
		*sx = w - 1 - dx;
		*sy = dy;
		break;
	case WM_ORIENT_ROTATE_180:
		*sx = w - 1 - dx;
		*sy = h - 1 - dy;
		break;
	case WM_ORIENT_FLIP_V:
		*sx = dx;
		*sy = h - 1 - dy;
		break;
	case WM_ORIENT_TRANSPOSE:
		*sx = dy;
		*sy = dx;
		break;
	case WM_ORIENT_ROTATE_90:
		*sx = dy;
		*sy = h - 1 - dx;
		break;
	case WM_ORIENT_TRANSVERSE:
		*sx = w - 1 - dy;
		*sy = h - 1 - dx;
		break;
	case WM_ORIENT_ROTATE_270:
		*sx = w - 1 - dy;
		*sy = dx;
		break;
	default:
		*sx = dx;
		*sy = dy;
		break;
	}
}

static void rotate_plane(const plane *p, wm_orientation o)
{
	bool swap = wm__orient_swaps(o);
	int dw = swap ? p->h : p->w, dh = swap ? p->w : p->h;

	for (int dy = 0; dy < dh; dy++) {
		uint8_t *row = p->dst + dy * p->dst_stride;

		for (int dx = 0; dx < dw; dx++) {
			int sx, sy;

			source_of(o, p, dx, dy, &sx, &sy);
			memcpy(row + (size_t)dx * p->elem,
			       p->src + sy * p->src_stride +
				   (size_t)sx * p->elem,
			       p->elem);
		}
	}
}

/* Element size of plane `i`: the widest step of its components. */
static int element_size(const AVPixFmtDescriptor *d, int i, bool *chroma)
{
	int elem = 0;

	*chroma = false;
	for (int c = 0; c < d->nb_components; c++) {
		if (d->comp[c].plane != i)
			continue;
		if (d->comp[c].step > elem)
			elem = d->comp[c].step;
		if ((c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB))
			*chroma = true;
	}
	return elem;
}

wm_status wm__video_rotate(const AVFrame *src, AVFrame *dst, wm_orientation o)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src->format);
	int planes = av_pix_fmt_count_planes(src->format);

	if (!d || planes <= 0 ||
	    (d->flags & (AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL)))
		return wm__verr(WM_ERR_UNSUPPORTED,
				"cannot turn pictures of pixel format %s",
				d ? d->name : "?");
	if (wm__orient_swaps(o) && d->log2_chroma_w != d->log2_chroma_h)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"cannot turn %s pictures by 90 degrees: the "
				"chroma would need another subsampling",
				d->name);
	for (int i = 0; i < planes; i++) {
		bool chroma;
		plane p = {src->data[i],
			   src->linesize[i],
			   dst->data[i],
			   dst->linesize[i],
			   src->width,
			   src->height,
			   0};

		p.elem = element_size(d, i, &chroma);
		if (chroma) {
			p.w = AV_CEIL_RSHIFT(src->width, d->log2_chroma_w);
			p.h = AV_CEIL_RSHIFT(src->height, d->log2_chroma_h);
		}
		rotate_plane(&p, o);
	}
	return WM_OK;
}
