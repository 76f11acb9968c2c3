/*
 * The frame layer: pixel layouts, colour matrices and ranges, blending
 * kernels and CPU dispatch. It knows nothing of files, codecs or fonts.
 *
 * A mark reaches this layer as a wm__raster (premultiplied sRGB RGBA, 8 bits
 * a channel). wm__layer_new converts it once for one pixel layout and colour
 * space (YUV conversion with the frame's matrix and range, chroma alpha
 * averaged with correct rounding, 10/16-bit scaling) and records the spans
 * that are not fully transparent; wm__layer_apply then composites it in
 * place without allocating, from any number of threads at once.
 */
#ifndef WM_CORE_H
#define WM_CORE_H

#include "../util/util.h"

/* Premultiplied RGBA, 8 bits a channel, sRGB, rows `stride` bytes apart. */
typedef struct wm__raster {
	int width;
	int height;
	ptrdiff_t stride;
	uint8_t *pixels;
} wm__raster;

wm_status wm__raster_new(int width, int height, wm__raster **out);
void wm__raster_free(wm__raster *r);

/* Validates a caller's frame: size field, format, dimensions, planes and
 * strides present for the layout. Sets a message naming the problem. */
wm_status wm__frame_check(const wm_frame *f);

/* The matrix actually used for a frame (resolves WM_MATRIX_AUTO). */
wm_matrix wm__frame_matrix(const wm_frame *f);

/* Whether the layout is YUV / has an alpha channel / is greyscale. */
bool wm__format_is_yuv(wm_pixel_format f);
bool wm__format_has_alpha(wm_pixel_format f);
bool wm__format_is_gray(wm_pixel_format f);

typedef struct wm__layer wm__layer;

/*
 * Prepares `r` for frames like `target` (only format, matrix, range,
 * transfer and alpha mode are read; planes may be NULL) with the raster's
 * top-left corner at (x, y) of the full picture; x and y may be negative or
 * past the edge (the layer is clipped when applied).
 */
wm_status wm__layer_new(const wm__raster *r, const wm_frame *target, int x,
			int y, wm__layer **out);
void wm__layer_free(wm__layer *l);

/* Bounding box in picture coordinates of the layer's covered pixels. */
void wm__layer_bounds(const wm__layer *l, int *x, int *y, int *w, int *h);

/*
 * Composites the layer onto `f`, whose first row is row `band_y` of the full
 * picture (0 for a whole frame; even for layouts with vertically subsampled
 * chroma). `alpha` (0..255) scales the mark's opacity, 255 as prepared.
 * Never writes outside the frame. Allocates nothing.
 */
void wm__layer_apply(const wm__layer *l, const wm_frame *f, int band_y,
		     unsigned alpha);

/* Name of the kernel set in use: "scalar", "sse2", "avx2" or "neon". */
const char *wm__cpu_backend(void);

#endif /* WM_CORE_H */
