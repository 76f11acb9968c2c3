/*
 * The general image path: a decoder hands out bands of rows, the mark is
 * blended into the bands it touches, and an encoder takes them, with a
 * layout conversion in between when the two formats differ.
 */
#include <lcms2.h>
#include <string.h>

#include "image.h"

enum { BAND_ROWS = 16 };

static bool is_gray(wm_pixel_format f)
{
	return f == WM_PIX_GRAY8 || f == WM_PIX_GRAYA8 || f == WM_PIX_GRAY16 ||
	       f == WM_PIX_GRAYA16;
}

static bool is_16(wm_pixel_format f)
{
	return f == WM_PIX_GRAY16 || f == WM_PIX_GRAYA16 || f == WM_PIX_RGB48 ||
	       f == WM_PIX_RGBA64;
}

static bool has_alpha(wm_pixel_format f)
{
	return f == WM_PIX_GRAYA8 || f == WM_PIX_GRAYA16 || f == WM_PIX_RGBA ||
	       f == WM_PIX_RGBA64;
}

/* The colour layout of the same depth and alpha as a grey one. */
static wm_pixel_format to_color(wm_pixel_format f)
{
	switch (f) {
	case WM_PIX_GRAY8: return WM_PIX_RGB24;
	case WM_PIX_GRAYA8: return WM_PIX_RGBA;
	case WM_PIX_GRAY16: return WM_PIX_RGB48;
	case WM_PIX_GRAYA16: return WM_PIX_RGBA64;
	default: return f;
	}
}

/* ---- layout conversion ------------------------------------------------------
 */

/* Reads pixel x of a row as 16-bit R, G, B, A. */
static void load_px(wm_pixel_format f, const uint8_t *row, int x, uint16_t v[4])
{
	unsigned bpp = wm__image_bpp(f), ch = is_16(f) ? bpp / 2 : bpp, c;
	uint16_t s[4] = {0, 0, 0, 65535};

	for (c = 0; c < ch; c++) {
		if (is_16(f))
			memcpy(&s[c], row + (size_t)x * bpp + 2 * c, 2);
		else
			s[c] = (uint16_t)(row[(size_t)x * bpp + c] * 257);
	}
	if (is_gray(f)) {
		v[3] = ch == 2 ? s[1] : 65535;
		v[0] = v[1] = v[2] = s[0];
	} else {
		memcpy(v, s, sizeof(s));
	}
}

static void store_px(wm_pixel_format f, uint8_t *row, int x,
		     const uint16_t v[4])
{
	unsigned bpp = wm__image_bpp(f), ch = is_16(f) ? bpp / 2 : bpp, c;
	uint16_t s[4];

	if (is_gray(f)) {
		s[0] = v[0];
		s[1] = v[3];
	} else {
		memcpy(s, v, sizeof(s));
	}
	for (c = 0; c < ch; c++) {
		if (is_16(f))
			memcpy(row + (size_t)x * bpp + 2 * c, &s[c], 2);
		else
			row[(size_t)x * bpp + c] =
			    (uint8_t)(((uint32_t)s[c] * 255 + 32767) / 65535);
	}
}

/* Puts a pixel over white: what an alpha channel becomes in a format
 * without one (JPEG), as viewers show transparency on light pages. */
static void over_white(uint16_t v[4])
{
	uint32_t a = v[3], c;

	for (c = 0; c < 3; c++)
		v[c] = (uint16_t)((v[c] * a + 65535u * (65535u - a) + 32767) /
				  65535u);
	v[3] = 65535;
}

/* Converts rows between layouts. */
static void convert_rows(wm_pixel_format from, const uint8_t *src,
			 ptrdiff_t sstride, wm_pixel_format to, uint8_t *dst,
			 ptrdiff_t dstride, int width, int rows)
{
	bool flatten = has_alpha(from) && !has_alpha(to);
	int x, y;

	for (y = 0; y < rows; y++) {
		const uint8_t *s = src + y * sstride;
		uint8_t *d = dst + y * dstride;

		for (x = 0; x < width; x++) {
			uint16_t v[4];

			load_px(from, s, x, v);
			if (flatten)
				over_white(v);
			store_px(to, d, x, v);
		}
	}
}

/* ---- the pipeline
 * ------------------------------------------------------------ */

typedef struct band_buf {
	uint8_t *p;
	ptrdiff_t stride;
} band_buf;

static wm_status band_alloc(const wm__image *im, band_buf *b, wm_pixel_format f,
			    int width)
{
	size_t stride, size;

	if (!wm__mul_size((size_t)width, wm__image_bpp(f), &stride) ||
	    !wm__mul_size(stride, BAND_ROWS, &size))
		return wm__error(WM_ERR_TOO_LARGE, "%s: rows too wide",
				 im->name);
	b->p = wm__malloc(size);
	b->stride = (ptrdiff_t)stride;
	if (!b->p)
		return wm__error(WM_ERR_NO_MEMORY,
				 "%s: out of memory for a band of rows",
				 im->name);
	return WM_OK;
}

static wm_status open_decoder(wm__image *im, int format, wm__decoder *d)
{
	memset(d, 0, sizeof(*d));
	switch (format) {
	case WM__IMG_PNG: return wm__png_decoder(im, d);
	case WM__IMG_JPEG: return wm__jpeg_decoder(im, d);
	case WM__IMG_WEBP: return wm__webp_decoder(im, d);
	default: return wm__error(WM_ERR_INTERNAL, "%s: no decoder", im->name);
	}
}

static wm_pixel_format accepted(int format, wm_pixel_format f)
{
	switch (format) {
	case WM__IMG_PNG: return wm__png_accepts(f);
	case WM__IMG_JPEG: return wm__jpeg_accepts(f);
	default: return wm__webp_accepts(f);
	}
}

static wm_status open_encoder(wm__image *im, const wm__decoder *d,
			      wm_pixel_format f, wm__encoder *e)
{
	memset(e, 0, sizeof(*e));
	switch (im->out_format) {
	case WM__IMG_PNG: return wm__png_encoder(im, f, e);
	case WM__IMG_JPEG: return wm__jpeg_encoder(im, f, e);
	default: return wm__webp_encoder(im, f, d->lossless, e);
	}
}

static void frame_init(wm_frame *t, const wm__image *im, wm_pixel_format f,
		       int width, int height)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->width = width;
	t->height = height;
	t->format = f;
	t->range = WM_RANGE_FULL;
	t->alpha = WM_ALPHA_STRAIGHT;
	t->orientation = (wm_orientation)im->meta.orientation;
}

/*
 * Prepares the mark in the decoder's layout. A grey picture meeting a
 * colour mark becomes a colour one (same depth and alpha); its grey ICC
 * profile then no longer describes the pixels and is dropped.
 */
static wm_status prepare_mark(wm__image *im, const wm__decoder *d,
			      wm_pixel_format *work)
{
	wm_frame t;
	wm_status s;

	*work = d->format;
	frame_init(&t, im, *work, d->width, d->height);
	s = wm__image_prepare(im, &t);
	if (s != WM_OK || !is_gray(*work) || !im->prep->has_color)
		return s;
	wm__image_release(im);
	wm__blob_free(&im->meta.icc);
	*work = to_color(*work);
	frame_init(&t, im, *work, d->width, d->height);
	return wm__image_prepare(im, &t);
}

typedef struct stage {
	wm__decoder d;
	wm__encoder e;
	band_buf in, work, out;
	wm_pixel_format work_fmt, out_fmt;
} stage;

static wm_status run_band(wm__image *im, stage *st, int y, int rows)
{
	band_buf *w = st->work.p ? &st->work : &st->in;
	band_buf *o = st->out.p ? &st->out : w;
	wm_frame band;
	wm_status s = st->d.read_rows(st->d.ctx, st->in.p, st->in.stride, rows);

	if (s != WM_OK)
		return s;
	if (st->work.p)
		convert_rows(st->d.format, st->in.p, st->in.stride,
			     st->work_fmt, w->p, w->stride, st->d.width, rows);
	frame_init(&band, im, st->work_fmt, st->d.width, rows);
	band.planes[0] = w->p;
	band.strides[0] = w->stride;
	wm__image_blend(im, &band, y);
	if (st->out.p)
		convert_rows(st->work_fmt, w->p, w->stride, st->out_fmt, o->p,
			     o->stride, st->d.width, rows);
	s = st->e.write_rows(st->e.ctx, o->p, o->stride, rows);
	return s == WM_OK ? wm__image_progress(im, rows) : s;
}

static wm_status setup_buffers(wm__image *im, stage *st)
{
	wm_status s = band_alloc(im, &st->in, st->d.format, st->d.width);

	if (s == WM_OK && st->work_fmt != st->d.format)
		s = band_alloc(im, &st->work, st->work_fmt, st->d.width);
	if (s == WM_OK && st->out_fmt != st->work_fmt)
		s = band_alloc(im, &st->out, st->out_fmt, st->d.width);
	return s;
}

static wm_status run_stage(wm__image *im, stage *st)
{
	wm_status s = prepare_mark(im, &st->d, &st->work_fmt);
	int y;

	if (s != WM_OK)
		return s;
	st->out_fmt = accepted(im->out_format, st->work_fmt);
	s = setup_buffers(im, st);
	if (s == WM_OK)
		s = open_encoder(im, &st->d, st->out_fmt, &st->e);
	for (y = 0; s == WM_OK && y < st->d.height; y += BAND_ROWS) {
		int rows =
		    st->d.height - y < BAND_ROWS ? st->d.height - y : BAND_ROWS;

		s = run_band(im, st, y, rows);
	}
	if (s == WM_OK)
		s = st->e.finish(st->e.ctx);
	return s;
}

wm_status wm__image_pipeline(wm__image *im, int in_format)
{
	stage st;
	wm_status s;

	memset(&st, 0, sizeof(st));
	s = open_decoder(im, in_format, &st.d);
	if (s == WM_OK)
		s = wm__meta_read_exif(&im->meta);
	if (s == WM_OK)
		s = run_stage(im, &st);
	if (st.e.destroy)
		st.e.destroy(st.e.ctx);
	if (st.d.destroy)
		st.d.destroy(st.d.ctx);
	wm__image_release(im);
	wm__free(st.in.p);
	wm__free(st.work.p);
	wm__free(st.out.p);
	return s;
}

/* ---- probing
 * ----------------------------------------------------------------- */

static void describe_color(const wm__image *im, const wm__decoder *d,
			   wm_media_info *info)
{
	char desc[48] = "";
	cmsHPROFILE p = NULL;

	if (im->meta.icc.size)
		p = cmsOpenProfileFromMem(im->meta.icc.data,
					  (cmsUInt32Number)im->meta.icc.size);
	if (p) {
		cmsGetProfileInfoASCII(p, cmsInfoDescription, "en", "US", desc,
				       sizeof(desc));
		cmsCloseProfile(p);
	}
	if (desc[0])
		snprintf(info->color_space, sizeof(info->color_space),
			 "%s (ICC)", desc);
	else
		snprintf(info->color_space, sizeof(info->color_space), "%s",
			 d->model	      ? d->model
			 : is_gray(d->format) ? "Gray"
					      : "sRGB");
}

wm_status wm__image_probe(wm__image *im, int format, wm_media_info *info)
{
	wm__decoder d;
	wm_status s = open_decoder(im, format, &d);

	if (s != WM_OK)
		return s;
	s = wm__meta_read_exif(&im->meta);
	if (s != WM_OK) {
		if (d.destroy)
			d.destroy(d.ctx);
		return s;
	}
	info->width = d.width;
	info->height = d.height;
	info->orientation = (wm_orientation)im->meta.orientation;
	info->bit_depth = is_16(d.format) ? 16 : 8;
	info->has_alpha = has_alpha(d.format);
	describe_color(im, &d, info);
	wm__xmp_source_type(&im->meta.xmp, info->source_type,
			    sizeof(info->source_type));
	info->has_disclosure = wm__xmp_has_disclosure(&im->meta.xmp);
	if (d.destroy)
		d.destroy(d.ctx);
	return WM_OK;
}
