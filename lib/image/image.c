/* Shared pieces of the image jobs: buffers, limits, the prepared mark and
 * its conversion into the image's ICC colour space. */
#include "image.h"

#include <string.h>

wm_status wm__blob_set(wm__blob *b, const void *data, size_t size)
{
	wm__blob_free(b);
	return wm__blob_append(b, data, size);
}

wm_status wm__blob_append(wm__blob *b, const void *data, size_t size)
{
	size_t n;
	uint8_t *p;

	if (!wm__add_size(b->size, size, &n) || n == SIZE_MAX)
		return wm__error(WM_ERR_TOO_LARGE, "metadata too large");
	p = wm__realloc(b->data, n + 1);
	if (!p)
		return wm__error(WM_ERR_NO_MEMORY,
				 "out of memory for metadata");
	if (size)
		memcpy(p + b->size, data, size);
	p[n] = '\0'; /* text users (libpng) may rely on it */
	b->data = p;
	b->size = n;
	return WM_OK;
}

void wm__blob_free(wm__blob *b)
{
	wm__free(b->data);
	b->data = NULL;
	b->size = 0;
}

void wm__meta_free(wm__meta *m)
{
	wm__blob_free(&m->icc);
	wm__blob_free(&m->exif);
	wm__blob_free(&m->xmp);
	m->icc_name[0] = '\0';
}

unsigned wm__image_bpp(wm_pixel_format f)
{
	switch (f) {
	case WM_PIX_GRAY8: return 1;
	case WM_PIX_GRAYA8: return 2;
	case WM_PIX_RGB24: return 3;
	case WM_PIX_RGBA: return 4;
	case WM_PIX_GRAY16: return 2;
	case WM_PIX_GRAYA16: return 4;
	case WM_PIX_RGB48: return 6;
	case WM_PIX_RGBA64: return 8;
	default: return 0;
	}
}

wm_status wm__image_check_size(const wm__image *im, uint32_t width,
			       uint32_t height, unsigned bytes_per_pixel)
{
	size_t row;

	if (width == 0 || height == 0)
		return wm__error(WM_ERR_CORRUPT,
				 "%s: the image is empty (%ux%u)", im->name,
				 width, height);
	if ((uint64_t)width * height > im->max_pixels)
		return wm__error(
		    WM_ERR_TOO_LARGE,
		    "%s: %ux%u is %llu pixels, over the limit of "
		    "%llu (raise the max-pixels option to allow it)",
		    im->name, width, height, (unsigned long long)width * height,
		    (unsigned long long)im->max_pixels);
	if (width > INT32_MAX / 16 || height > INT32_MAX / 16 ||
	    !wm__mul_size(width, bytes_per_pixel ? bytes_per_pixel : 8, &row) ||
	    !wm__mul_size(row, 64, &row))
		return wm__error(WM_ERR_TOO_LARGE, "%s: %ux%u is too large",
				 im->name, width, height);
	return WM_OK;
}

/* ---- the prepared mark ----------------------------------------------------
 */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h | 1;
}

/* The mark's colours converted into the image's ICC profile, as the filter
 * of a rendering. The profile is read only when the mark is rendered: a
 * rendering cached for the same size and profile (a batch of photos from
 * one camera) needs no colour transform, which costs more to build than
 * marking a small picture. */
static wm_status icc_filter(void *user, wm__raster *r)
{
	wm__icc *icc = NULL;
	wm_status s = wm__icc_open(user, &icc);

	if (s == WM_OK && icc)
		s = wm__icc_apply(icc, r);
	wm__icc_close(icc);
	return s;
}

/* Grey ICC profiles get no conversion: whether the mark has colour (which
 * turns a grey image into a colour one) is judged on the mark as drawn,
 * and a grey level differs little between sRGB and grey gammas. */
wm_status wm__image_prepare(wm__image *im, const wm_frame *tmpl)
{
	wm__raster_filter filter = {0};
	bool icc = im->meta.icc.size > 0;
	wm_status s;

	im->width = tmpl->width;
	im->height = tmpl->height;
	if (icc) {
		filter.key = fnv1a(im->meta.icc.data, im->meta.icc.size);
		filter.apply = icc_filter;
		filter.user = &im->meta.icc;
	}
	s = wm__mark_acquire(im->mark, tmpl, icc ? &filter : NULL, &im->prep);
	if (s != WM_OK) {
		im->prep = NULL;
		return wm__error_prefix(s, im->name);
	}
	return WM_OK;
}

void wm__image_release(wm__image *im)
{
	if (im->prep)
		wm__mark_release(im->mark, im->prep);
	im->prep = NULL;
}

bool wm__image_touches(const wm__image *im, int y, int rows)
{
	return im->prep && im->prep->count > 0 && y < im->prep->bottom &&
	       y + rows > im->prep->top;
}

void wm__image_blend(const wm__image *im, const wm_frame *band, int y)
{
	unsigned alpha;
	int i;

	if (!wm__image_touches(im, y, band->height))
		return;
	alpha = wm__mark_alpha_at(im->mark, 0);
	for (i = 0; i < im->prep->count; i++) {
		const wm__placement *p = &im->prep->items[i];

		if (p->y < y + band->height && p->y + p->height > y)
			wm__layer_apply(p->layer, band, y, alpha);
	}
}

wm_status wm__image_progress(wm__image *im, int rows)
{
	im->rows_done += rows;
	if (im->progress && im->progress(im->user, im->rows_done, im->height))
		return wm__error(WM_ERR_CANCELLED, "%s: cancelled", im->name);
	return WM_OK;
}
