/*
 * The mark layer: the disclosure itself. Text shaping and rasterising, logo
 * loading and scaling, QR codes, layout, and the cache of rendered marks.
 * It knows nothing of codecs or containers.
 */
#ifndef WM_MARK_H
#define WM_MARK_H

#include "../core/core.h"
#include "disclosure.h"

/*
 * A raster filter lets a media layer change the rendered mark's colours
 * before it is prepared for a frame, for example to convert sRGB into the
 * colour space of an image's ICC profile. It works in place on the
 * premultiplied raster. `key` identifies the filter and its settings in the
 * cache (0 means no filter).
 */
typedef struct wm__raster_filter {
	uint64_t key;
	wm_status (*apply)(void *user, wm__raster *r);
	void *user;
} wm__raster_filter;

/* One rendered piece of the mark placed on the picture. */
typedef struct wm__placement {
	wm__layer *layer;
	int x; /* stored-orientation picture coordinates of the raster */
	int y;
	int width;
	int height;
} wm__placement;

/* The mark rendered and prepared for one frame geometry and colour space. */
typedef struct wm__prepared {
	int count;
	const wm__placement *items;
	bool has_color; /* false when every mark pixel is grey */
	int top;        /* rows [top, bottom) of the picture are touched */
	int bottom;
} wm__prepared;

/*
 * Returns the mark rendered for frames like `tmpl` (size, orientation,
 * format, colour space, pixel aspect), from the cache or rendered now. The
 * result stays valid until released. Thread-safe.
 */
wm_status wm__mark_acquire(wm_mark *m, const wm_frame *tmpl,
			   const wm__raster_filter *filter,
			   const wm__prepared **out);
void wm__mark_release(wm_mark *m, const wm__prepared *p);

/* The mark's opacity at time t (start, end and fades), 0..255; pass it as
 * the `alpha` of wm__layer_apply. The `opacity` option is already part of
 * the rendered mark. */
unsigned wm__mark_alpha_at(const wm_mark *m, double t);

#endif /* WM_MARK_H */
