/* Private to lib/mark: the mark object, its cache and the renderers. */
#ifndef WM_MARK_INTERNAL_H
#define WM_MARK_INTERNAL_H

#include <pthread.h>

#include "mark.h"

typedef struct wm__cache_entry wm__cache_entry;
typedef struct wm__fonts wm__fonts;

struct wm_mark {
	wm__options opts;
	char *shown; /* the text option as drawn, for the disclosure */
	pthread_mutex_t lock;	  /* guards the cache */
	wm__cache_entry *entries; /* most recently used first */
	int entry_count;

	/* Rendering state, guarded by render_lock: FreeType faces are not
	 * safe to use from two threads at once, and the decoded logo is
	 * loaded on first use. */
	pthread_mutex_t render_lock;
	wm__fonts *fonts;
	struct wm__shaper *shaped; /* the text shaped with `fonts` */
	wm__raster logo; /* decoded logo, premultiplied; pixels NULL if none */
};

wm_status wm__mark_cache_init(wm_mark *m);
void wm__mark_cache_destroy(wm_mark *m);

/* Drops every cached rendering not in use (called after an option changes,
 * which the thread-safety rules forbid while the mark is in use), and the
 * loaded fonts with the text shaped with them if `fonts`. */
void wm__mark_cache_clear(wm_mark *m, bool fonts);

/* ---- canvases: wm__raster buffers owned by this layer (canvas.c) -------- */

#define WM__CANVAS_MAX 32768 /* a canvas wider or taller is refused */
#define WM__CANVAS_MAX_PIXELS ((size_t)1 << 26) /* 256 MB of RGBA */

/* Fills `r` with a transparent canvas of w x h (w, h >= 1). */
wm_status wm__canvas_new(int w, int h, wm__raster *r);
/* Frees the pixels of a canvas and zeroes it. */
void wm__canvas_free(wm__raster *r);

/* Composites `src` over `dst` with src's top-left corner at (x, y). */
void wm__canvas_over(wm__raster *dst, const wm__raster *src, int x, int y);

/* Resamples to w x h with a Lanczos-3 filter on premultiplied pixels. */
wm_status wm__canvas_resize(const wm__raster *src, int w, int h,
			    wm__raster *out);

/* Rotates counter-clockwise by `degrees` into a canvas that holds it all. */
wm_status wm__canvas_rotate(const wm__raster *src, double degrees,
			    wm__raster *out);

/* Maps pixel (dx, dy) of a displayed picture to its stored position, for
 * a stored picture of sw x sh (EXIF orientation values). */
void wm__orient_point(int orientation, int sw, int sh, int dx, int dy, int *sx,
		      int *sy);

/* Maps a canvas drawn in displayed orientation into stored orientation. */
wm_status wm__canvas_orient(const wm__raster *src, int orientation,
			    wm__raster *out);

/* Multiplies every pixel by `opacity` (0..1). */
void wm__canvas_fade(wm__raster *r, double opacity);

/* Whether any pixel has differing red, green and blue. */
bool wm__canvas_has_color(const wm__raster *r);

/* Fills a rounded rectangle (anti-aliased) with a straight-alpha colour
 * 0xRRGGBBAA, drawn over what is there. */
void wm__canvas_round_rect(wm__raster *r, double x, double y, double w,
			   double h, double radius, uint32_t rgba);

/* ---- text (text.c) ------------------------------------------------------ */

typedef struct wm__text_style {
	double size;	/* em size in pixels */
	uint32_t color; /* 0xRRGGBBAA */
	uint32_t outline_color;
	double outline; /* outline width in pixels */
	uint32_t shadow_color;
	double shadow;	     /* shadow offset in pixels */
	int align;	     /* WM__ALIGN_LEFT, _CENTER or _RIGHT */
	double line_spacing; /* baseline distance as a multiple of size */
	double max_width;    /* wrap width in pixels; 0: no wrapping */
} wm__text_style;

/*
 * Shapes and draws UTF-8 `text` with the mark's font (and fallbacks) into a
 * new canvas. Call with m->render_lock held.
 */
wm_status wm__text_render(wm_mark *m, const char *text,
			  const wm__text_style *style, wm__raster *out);

/* Whether `c` is shown as a colour emoji by default (Unicode's
 * Emoji_Presentation property). */
bool wm__emoji_presentation(uint32_t c);

/*
 * The size in pixels of the block wm__text_render draws, from measurement
 * alone: the text is shaped once and kept in the mark, and wrapping at any
 * size is arithmetic. Call with m->render_lock held.
 */
wm_status wm__text_measure(wm_mark *m, const char *text,
			   const wm__text_style *style, double *w, double *h);

/* How much wider than its widest line the block is (padding, shadow). */
double wm__text_margins(const wm__text_style *style);

/* Sets *blank to whether `text` draws nothing: empty, or only spaces and
 * newlines once the escapes are read and control characters dropped. */
wm_status wm__text_blank(const char *text, bool *blank);

/* Frees the faces and shaped text of wm__text_render (render_lock held or
 * unused). */
void wm__fonts_free(wm_mark *m);

/* ---- logo (logo.c) ------------------------------------------------------ */

/* Decodes a PNG, JPEG or WebP file into a premultiplied canvas. */
wm_status wm__logo_decode(const char *path, wm__raster *out);
/* The same, refusing a logo of more than `max_pixels` from its header (the
 * mark's max-pixels option, which bounds logos as it bounds pictures). */
wm_status wm__logo_decode_max(const char *path, int64_t max_pixels,
			      wm__raster *out);

/* ---- QR code (qr.c) ----------------------------------------------------- */

#define WM__QR_MIN_MODULE 2 /* pixels per module below which we refuse */
#define WM__QR_QUIET 4	    /* quiet zone in modules, as the standard asks */

/* Number of modules across the symbol for `text` (without quiet zone). */
wm_status wm__qr_modules(const char *text, int level, int *modules);

/* Draws the QR code for `text` with `module` pixels a module, quiet zone
 * included, black on white. */
wm_status wm__qr_render(const char *text, int level, int module,
			wm__raster *out);

/* ---- layout (layout.c) -------------------------------------------------- */

/* One rendered raster in stored orientation, drawn at several positions. */
typedef struct wm__layout {
	wm__raster raster;
	int count;
	int *xy; /* count (x, y) pairs, stored-orientation coordinates */
} wm__layout;

/* Renders the mark for a frame like `f` (size, orientation, sar). */
wm_status wm__layout_render(wm_mark *m, const wm_frame *f, wm__layout *out);
void wm__layout_free(wm__layout *l);

#endif /* WM_MARK_INTERNAL_H */
