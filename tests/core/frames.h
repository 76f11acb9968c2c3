/* Frames and rasters for the compositor tests. */
#ifndef WM_TEST_FRAMES_H
#define WM_TEST_FRAMES_H

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/format.h"

/* A frame with its own planes; each plane has `pad` guard bytes each side
 * so that tests can see writes outside the frame. */
typedef struct tframe {
	wm_frame f;
	uint8_t *mem[3];
	size_t size[3];
	size_t pad;
} tframe;

#define TFRAME_PAD 256
#define GUARD 0xa5

static inline int tf_plane_w(const wm_frame *f, int p)
{
	const wm__format_desc *d = wm__format_desc_of(f->format);
	int s = p ? d->sub_x : 0;

	return (f->width + (1 << s) - 1) >> s;
}

static inline int tf_plane_h(const wm_frame *f, int p)
{
	const wm__format_desc *d = wm__format_desc_of(f->format);
	int s = p ? d->sub_y : 0;

	return (f->height + (1 << s) - 1) >> s;
}

static inline ptrdiff_t tf_row_bytes(const wm_frame *f, int p)
{
	const wm__format_desc *d = wm__format_desc_of(f->format);

	return (ptrdiff_t)tf_plane_w(f, p) * wm__plane_comps(d, p) * d->bytes;
}

/* Allocates planes with rows `extra` bytes longer than needed (even),
 * bottom-up (negative strides) when `flip` is set. */
static inline void tf_init(tframe *t, wm_pixel_format fmt, int w, int h,
			   int extra, int flip)
{
	const wm__format_desc *d = wm__format_desc_of(fmt);

	memset(t, 0, sizeof(*t));
	t->f.size = sizeof(t->f);
	t->f.format = fmt;
	t->f.width = w;
	t->f.height = h;
	t->pad = TFRAME_PAD;
	for (int p = 0; p < d->planes; p++) {
		ptrdiff_t stride = tf_row_bytes(&t->f, p) + extra;
		int ph = tf_plane_h(&t->f, p);

		t->size[p] = (size_t)stride * ph;
		t->mem[p] = malloc(t->size[p] + 2 * t->pad);
		memset(t->mem[p], GUARD, t->size[p] + 2 * t->pad);
		t->f.planes[p] = t->mem[p] + t->pad;
		t->f.strides[p] = stride;
		if (flip) {
			t->f.planes[p] += (size_t)stride * (ph - 1);
			t->f.strides[p] = -stride;
		}
	}
}

static inline void tf_free(tframe *t)
{
	for (int p = 0; p < 3; p++)
		free(t->mem[p]);
}

/* Address of sample k of pixel (x, y) of plane p. */
static inline uint8_t *tf_at(const tframe *t, int p, int x, int y, int k)
{
	const wm__format_desc *d = wm__format_desc_of(t->f.format);
	int comps = wm__plane_comps(d, p);

	return t->f.planes[p] + y * t->f.strides[p] +
	       ((ptrdiff_t)x * comps + k) * d->bytes;
}

static inline uint32_t tf_get(const tframe *t, int p, int x, int y, int k)
{
	const wm__format_desc *d = wm__format_desc_of(t->f.format);
	uint8_t *a = tf_at(t, p, x, y, k);

	return d->bytes == 1 ? *a : *(uint16_t *)a;
}

static inline void tf_set(tframe *t, int p, int x, int y, int k, uint32_t v)
{
	const wm__format_desc *d = wm__format_desc_of(t->f.format);
	uint8_t *a = tf_at(t, p, x, y, k);

	if (d->bytes == 1)
		*a = (uint8_t)v;
	else
		*(uint16_t *)a = (uint16_t)v;
}

/* Fills every sample of every plane with pseudo-random values that are
 * valid for the layout (P010 keeps its low 6 bits clear). */
static inline void tf_random(tframe *t, uint32_t *seed)
{
	const wm__format_desc *d = wm__format_desc_of(t->f.format);

	for (int p = 0; p < d->planes; p++) {
		int comps = wm__plane_comps(d, p);

		for (int y = 0; y < tf_plane_h(&t->f, p); y++)
			for (int x = 0; x < tf_plane_w(&t->f, p); x++)
				for (int k = 0; k < comps; k++) {
					uint32_t v;

					*seed = *seed * 1103515245u + 12345u;
					v = *seed >> 8;
					v &= (1u << d->depth) - 1;
					tf_set(t, p, x, y, k, v << d->shift);
				}
	}
}

/* Guard bytes around every plane untouched? */
static inline int tf_guards_ok(const tframe *t)
{
	for (int p = 0; p < 3 && t->mem[p]; p++) {
		for (size_t i = 0; i < t->pad; i++) {
			if (t->mem[p][i] != GUARD ||
			    t->mem[p][t->pad + t->size[p] + i] != GUARD)
				return 0;
		}
	}
	return 1;
}

/* Byte-wise equality of the visible samples of two frames of one shape. */
static inline int tf_equal(const tframe *a, const tframe *b)
{
	const wm__format_desc *d = wm__format_desc_of(a->f.format);

	for (int p = 0; p < d->planes; p++)
		for (int y = 0; y < tf_plane_h(&a->f, p); y++)
			if (memcmp(tf_at(a, p, 0, y, 0), tf_at(b, p, 0, y, 0),
				   (size_t)tf_row_bytes(&a->f, p)))
				return 0;
	return 1;
}

/* A raster filled with one straight colour (premultiplied on store). */
static inline wm__raster *raster_flat(int w, int h, uint8_t r, uint8_t g,
				      uint8_t b, uint8_t a)
{
	wm__raster *ras = NULL;

	if (wm__raster_new(w, h, &ras) != WM_OK)
		return NULL;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *px = ras->pixels + y * ras->stride + x * 4;

			px[0] = (uint8_t)((r * a + 127) / 255);
			px[1] = (uint8_t)((g * a + 127) / 255);
			px[2] = (uint8_t)((b * a + 127) / 255);
			px[3] = a;
		}
	return ras;
}

/* A raster of random premultiplied pixels, about a quarter transparent and
 * a quarter opaque. */
static inline wm__raster *raster_random(int w, int h, uint32_t *seed)
{
	wm__raster *ras = NULL;

	if (wm__raster_new(w, h, &ras) != WM_OK)
		return NULL;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *px = ras->pixels + y * ras->stride + x * 4;
			unsigned a;

			*seed = *seed * 1103515245u + 12345u;
			a = (*seed >> 16) & 0x1ff;
			a = a < 128 ? 0 : a < 256 ? 255 : a - 256;
			px[3] = (uint8_t)a;
			for (int k = 0; k < 3; k++) {
				*seed = *seed * 1103515245u + 12345u;
				px[k] =
				    (uint8_t)(((*seed >> 16) & 255) * a / 255);
			}
		}
	return ras;
}

#endif /* WM_TEST_FRAMES_H */
