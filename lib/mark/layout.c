/*
 * Layout: the mark's pieces (logo, text, QR code) put together, sized
 * relative to the picture as it is displayed, anchored or tiled, shrunk
 * when they would not fit, and finally mapped into the stored pixels
 * (orientation and non-square pixels).
 */
#include <math.h>
#include <string.h>

#include "mark_internal.h"

#define WM__MAX_TILES 20000
#define WM__FIT_TRIES 40 /* shrinking steps while measuring */
#define WM__FIT_STEPS 16 /* bisection steps after that */

/* A frame's geometry as the layout sees it. Layout runs in "square
 * display" space: the picture as shown, in square pixels. */
typedef struct wm__geom {
	int sw, sh;    /* stored size */
	int orient;    /* 1..8 */
	int pw, ph;    /* displayed size in stored pixels */
	double sar;    /* width / height of a stored pixel */
	bool sar_on_x; /* the stored x axis is the displayed x axis */
	int dw, dh;    /* displayed size in square pixels */
	int shorter;   /* shorter displayed side */
	bool text;     /* the text option draws something */
} wm__geom;

static void make_geom(const wm_frame *f, wm__geom *g)
{
	bool swap;

	g->sw = f->width;
	g->sh = f->height;
	g->orient = f->orientation >= 1 && f->orientation <= 8
			? (int)f->orientation
			: 1;
	swap = g->orient >= WM_ORIENT_TRANSPOSE;
	g->pw = swap ? g->sh : g->sw;
	g->ph = swap ? g->sw : g->sh;
	g->sar = f->sar_num > 0 && f->sar_den > 0
		     ? (double)f->sar_num / f->sar_den
		     : 1.0;
	g->sar_on_x = !swap;
	g->dw = g->sar_on_x ? (int)lround(g->pw * g->sar) : g->pw;
	g->dh = g->sar_on_x ? g->ph : (int)lround(g->ph * g->sar);
	g->dw = g->dw < 1 ? 1 : g->dw;
	g->dh = g->dh < 1 ? 1 : g->dh;
	g->shorter = g->dw < g->dh ? g->dw : g->dh;
}

/* ---- pieces -------------------------------------------------------------- */

static int auto_align(const wm__options *o)
{
	int align = (int)wm__opt_int(o, WM_OPT_ALIGN);
	int col = (int)wm__opt_int(o, WM_OPT_POSITION) % 3;

	if (align != WM__ALIGN_AUTO)
		return align;
	return col == 0	  ? WM__ALIGN_LEFT
	       : col == 1 ? WM__ALIGN_CENTER
			  : WM__ALIGN_RIGHT;
}

static double text_size(const wm__options *o, const wm__geom *g, double f)
{
	double size = wm__opt_px(o, WM_OPT_SIZE, g->shorter) * f;

	return size < 1 ? 1 : size;
}

static wm_status ensure_logo(wm_mark *m)
{
	if (m->logo.pixels)
		return WM_OK;
	return wm__logo_decode_max(wm__opt_str(&m->opts, WM_OPT_LOGO),
				   wm__opt_int(&m->opts, WM_OPT_MAX_PIXELS),
				   &m->logo);
}

/* The logo's size at scale factor f (the logo is decoded). */
static void logo_size(const wm_mark *m, const wm__geom *g, double f, int *w,
		      int *h)
{
	double scale = wm__opt_double(&m->opts, WM_OPT_SCALE);
	double lw = (scale > 0 ? scale * g->dw : m->logo.width) * f;
	double lh = lw * m->logo.height / m->logo.width;

	*w = lw < 1 ? 1 : (int)lround(lw);
	*h = lh < 1 ? 1 : (int)lround(lh);
}

static wm_status render_logo(wm_mark *m, const wm__geom *g, double f,
			     wm__raster *out)
{
	int w, h;
	wm_status s = ensure_logo(m);

	if (s != WM_OK)
		return s;
	logo_size(m, g, f, &w, &h);
	return wm__canvas_resize(&m->logo, w, h, out);
}

/* Module size: the option, else about 15% of the shorter side for the
 * whole symbol; never below WM__QR_MIN_MODULE. */
static wm_status qr_module(wm_mark *m, const wm__geom *g, double f, int *module)
{
	int modules, opt = (int)wm__opt_int(&m->opts, WM_OPT_QR_MODULE);
	wm_status s = wm__qr_modules(
	    wm__opt_str(&m->opts, WM_OPT_QR),
	    (int)wm__opt_int(&m->opts, WM_OPT_QR_LEVEL), &modules);
	double px;

	if (s != WM_OK)
		return s;
	px = opt > 0 ? opt : 0.15 * g->shorter / (modules + 2 * WM__QR_QUIET);
	*module = (int)floor(px * f);
	if (*module < WM__QR_MIN_MODULE)
		*module = WM__QR_MIN_MODULE;
	return WM_OK;
}

static wm_status render_qr(wm_mark *m, const wm__geom *g, double f,
			   wm__raster *out)
{
	int module;
	wm_status s = qr_module(m, g, f, &module);

	if (s != WM_OK)
		return s;
	return wm__qr_render(wm__opt_str(&m->opts, WM_OPT_QR),
			     (int)wm__opt_int(&m->opts, WM_OPT_QR_LEVEL),
			     module, out);
}

/* Side of the QR code with its quiet zone at scale factor f. */
static wm_status qr_side(wm_mark *m, const wm__geom *g, double f, int *side)
{
	int module, modules;
	wm_status s = qr_module(m, g, f, &module);

	if (s == WM_OK)
		s = wm__qr_modules(wm__opt_str(&m->opts, WM_OPT_QR),
				   (int)wm__opt_int(&m->opts, WM_OPT_QR_LEVEL),
				   &modules);
	*side = s == WM_OK ? (modules + 2 * WM__QR_QUIET) * module : 0;
	return s;
}

/* The width text wraps to when no max-width is set: the room less the
 * pieces beside it with their gaps, the box padding and the text block's
 * own padding, so that wrapped text fits without shrinking. */
static wm_status text_wrap(wm_mark *m, const wm__geom *g, double f, int aw,
			   const wm__text_style *st, double *wrap)
{
	const wm__options *o = &m->opts;
	bool row = (wm__opt_int(o, WM_OPT_LOGO_PLACEMENT) & 3) < WM__LOGO_ABOVE;
	int lw, lh, side;
	wm_status s = WM_OK;

	*wrap = aw - wm__text_margins(st);
	if (row && wm__opt_str(o, WM_OPT_LOGO)[0]) {
		logo_size(m, g, f, &lw, &lh); /* first_scale decoded it */
		*wrap -= lw + 0.3 * st->size;
	}
	if (row && wm__opt_str(o, WM_OPT_QR)[0]) {
		s = qr_side(m, g, f, &side);
		*wrap -= side + 0.3 * st->size;
	}
	if (wm__opt_int(o, WM_OPT_BOX))
		*wrap -= 2 * lround(wm__opt_double(o, WM_OPT_BOX_PADDING) *
				    st->size);
	*wrap = *wrap < 1 ? 1 : *wrap;
	return s;
}

static wm_status text_style(wm_mark *m, const wm__geom *g, double f, int aw,
			    wm__text_style *st)
{
	const wm__options *o = &m->opts;
	double size = text_size(o, g, f);
	double max = wm__opt_px(o, WM_OPT_MAX_WIDTH, g->shorter);

	memset(st, 0, sizeof(*st));
	st->size = size;
	st->color = wm__opt_color(o, WM_OPT_COLOR);
	st->outline_color = wm__opt_color(o, WM_OPT_OUTLINE_COLOR);
	st->outline = wm__opt_double(o, WM_OPT_OUTLINE_WIDTH) * size;
	st->shadow_color = wm__opt_color(o, WM_OPT_SHADOW_COLOR);
	st->shadow = wm__opt_double(o, WM_OPT_SHADOW_OFFSET) * size;
	st->align = auto_align(o);
	st->line_spacing = wm__opt_double(o, WM_OPT_LINE_SPACING);
	if (max > 0) {
		st->max_width = max * f;
		return WM_OK;
	}
	return text_wrap(m, g, f, aw, st, &st->max_width);
}

static wm_status render_text(wm_mark *m, const wm__geom *g, double f, int aw,
			     wm__raster *out)
{
	wm__text_style st;
	wm_status s = text_style(m, g, f, aw, &st);

	if (s != WM_OK)
		return s;
	return wm__text_render(m, wm__opt_str(&m->opts, WM_OPT_TEXT), &st, out);
}

/* ---- putting pieces together --------------------------------------------- */

enum { PIECE_LOGO, PIECE_TEXT, PIECE_QR, PIECE_COUNT };

/* Places up to three pieces in a row or a column, centred across. */
static wm_status join_pieces(wm__raster *p, const int *order, bool column,
			     double gap, wm__raster *out)
{
	double along = 0, across = 0, pos = 0;
	int n = 0;
	wm_status s;

	for (int i = 0; i < PIECE_COUNT; i++) {
		const wm__raster *r = &p[order[i]];

		if (!r->pixels)
			continue;
		along += (column ? r->height : r->width) + (n++ ? gap : 0);
		across = fmax(across, column ? r->width : r->height);
	}
	s = wm__canvas_new(column ? (int)across : (int)ceil(along),
			   column ? (int)ceil(along) : (int)across, out);
	for (int i = 0; s == WM_OK && i < PIECE_COUNT; i++) {
		const wm__raster *r = &p[order[i]];
		int a = (int)lround(pos);

		if (!r->pixels)
			continue;
		if (column)
			wm__canvas_over(out, r, ((int)across - r->width) / 2,
					a);
		else
			wm__canvas_over(out, r, a,
					((int)across - r->height) / 2);
		pos += (column ? r->height : r->width) + gap;
	}
	return s;
}

static wm_status combine(const wm__options *o, wm__raster *p, double gap,
			 wm__raster *out)
{
	static const int orders[4][PIECE_COUNT] = {
	    {PIECE_LOGO, PIECE_TEXT, PIECE_QR}, /* logo left */
	    {PIECE_TEXT, PIECE_LOGO, PIECE_QR}, /* logo right */
	    {PIECE_LOGO, PIECE_TEXT, PIECE_QR}, /* logo above */
	    {PIECE_TEXT, PIECE_LOGO, PIECE_QR}, /* logo below */
	};
	int placement = (int)wm__opt_int(o, WM_OPT_LOGO_PLACEMENT) & 3;

	return join_pieces(p, orders[placement], placement >= WM__LOGO_ABOVE,
			   gap, out);
}

static wm_status add_box(const wm__options *o, double size, wm__raster *r)
{
	double pad = wm__opt_double(o, WM_OPT_BOX_PADDING) * size;
	double radius = wm__opt_double(o, WM_OPT_BOX_RADIUS) * size;
	int ipad = (int)lround(pad);
	wm__raster boxed;
	wm_status s =
	    wm__canvas_new(r->width + 2 * ipad, r->height + 2 * ipad, &boxed);

	if (s != WM_OK)
		return s;
	wm__canvas_round_rect(&boxed, 0, 0, boxed.width, boxed.height, radius,
			      wm__opt_color(o, WM_OPT_BOX_COLOR));
	wm__canvas_over(&boxed, r, ipad, ipad);
	wm__canvas_free(r);
	*r = boxed;
	return WM_OK;
}

static wm_status finish(const wm__options *o, double size, wm__raster *r)
{
	wm_status s = WM_OK;

	if (wm__opt_int(o, WM_OPT_BOX))
		s = add_box(o, size, r);
	if (s == WM_OK)
		wm__canvas_fade(r, wm__opt_double(o, WM_OPT_OPACITY));
	return s;
}

static double angle_of(const wm__options *o)
{
	return fmod(wm__opt_double(o, WM_OPT_ANGLE), 360.0);
}

/* Size of a w x h mark once turned (as wm__canvas_rotate makes it). */
static void turned_size(const wm__options *o, double *w, double *h)
{
	double t = angle_of(o) * M_PI / 180.0, tw;

	if (angle_of(o) == 0)
		return;
	tw = ceil(fabs(*w * cos(t)) + fabs(*h * sin(t))) + 2;
	*h = ceil(fabs(*w * sin(t)) + fabs(*h * cos(t))) + 2;
	*w = tw;
}

static wm_status turn(const wm__options *o, wm__raster *r)
{
	wm__raster turned;
	wm_status s;

	if (angle_of(o) == 0)
		return WM_OK;
	s = wm__canvas_rotate(r, angle_of(o), &turned);
	if (s != WM_OK)
		return s;
	wm__canvas_free(r);
	*r = turned;
	return WM_OK;
}

/* Renders the whole mark, not yet turned by `angle`, in square display
 * space at scale factor f. */
static wm_status render_mark(wm_mark *m, const wm__geom *g, double f, int aw,
			     wm__raster *out)
{
	const wm__options *o = &m->opts;
	wm__raster p[PIECE_COUNT];
	double size = text_size(o, g, f);
	wm_status s = WM_OK;

	memset(p, 0, sizeof(p));
	memset(out, 0, sizeof(*out));
	if (wm__opt_str(o, WM_OPT_LOGO)[0])
		s = render_logo(m, g, f, &p[PIECE_LOGO]);
	if (s == WM_OK && g->text)
		s = render_text(m, g, f, aw, &p[PIECE_TEXT]);
	if (s == WM_OK && wm__opt_str(o, WM_OPT_QR)[0])
		s = render_qr(m, g, f, &p[PIECE_QR]);
	if (s == WM_OK)
		s = combine(o, p, 0.3 * size, out);
	for (int i = 0; i < PIECE_COUNT; i++)
		wm__canvas_free(&p[i]);
	if (s == WM_OK)
		s = finish(o, size, out);
	if (s != WM_OK)
		wm__canvas_free(out);
	return s;
}

/* ---- fitting ------------------------------------------------------------- */

static wm_status qr_too_small(wm_mark *m, const wm__geom *g, int aw, int ah)
{
	int modules = 0;

	wm__qr_modules(wm__opt_str(&m->opts, WM_OPT_QR),
		       (int)wm__opt_int(&m->opts, WM_OPT_QR_LEVEL), &modules);
	return wm__error(WM_ERR_TOO_SMALL,
			 "qr: a %d-module code with its quiet zone needs at "
			 "least %d px a side (%d px a module); the %dx%d frame "
			 "leaves only %dx%d inside its margins",
			 modules,
			 (modules + 2 * WM__QR_QUIET) * WM__QR_MIN_MODULE,
			 WM__QR_MIN_MODULE, g->pw, g->ph, aw, ah);
}

/* Shrinks a mark that still does not fit at the smallest scale (its text
 * at the 1-pixel minimum) or that measured a little smaller than drawn. */
static wm_status squeeze(wm__raster *r, int aw, int ah)
{
	double k = fmin((double)aw / r->width, (double)ah / r->height);
	wm__raster small;
	int w = (int)floor(r->width * k), h = (int)floor(r->height * k);
	wm_status s =
	    wm__canvas_resize(r, w < 1 ? 1 : w, h < 1 ? 1 : h, &small);

	if (s != WM_OK)
		return s;
	wm__canvas_free(r);
	*r = small;
	return WM_OK;
}

/* A first guess of the scale: text no taller than the room, a logo no
 * larger. */
static wm_status first_scale(wm_mark *m, const wm__geom *g, int aw, int ah,
			     double *f)
{
	const wm__options *o = &m->opts;
	double size = wm__opt_px(o, WM_OPT_SIZE, g->shorter);
	int lw, lh;
	wm_status s;

	*f = 1.0;
	if (g->text && size > ah)
		*f = ah / size;
	if (!wm__opt_str(o, WM_OPT_LOGO)[0])
		return WM_OK;
	s = ensure_logo(m);
	if (s != WM_OK)
		return s;
	logo_size(m, g, 1.0, &lw, &lh);
	*f = fmin(*f, fmin((double)aw / lw, (double)ah / lh));
	*f = fmin(*f, 1.0);
	return WM_OK;
}

/* The size render_mark draws at scale factor f, from measurement alone
 * (nothing is rasterised), including the box and the turn. */
static wm_status measure_mark(wm_mark *m, const wm__geom *g, double f, int aw,
			      double *w, double *h)
{
	const wm__options *o = &m->opts;
	bool column =
	    (wm__opt_int(o, WM_OPT_LOGO_PLACEMENT) & 3) >= WM__LOGO_ABOVE;
	double size = text_size(o, g, f), along = 0, across = 0;
	double pw[PIECE_COUNT] = {0}, ph[PIECE_COUNT] = {0};
	int n = 0, lw, lh, side;
	wm_status s = WM_OK;

	if (wm__opt_str(o, WM_OPT_LOGO)[0]) {
		logo_size(m, g, f, &lw, &lh); /* first_scale decoded it */
		pw[PIECE_LOGO] = lw;
		ph[PIECE_LOGO] = lh;
	}
	if (g->text) {
		wm__text_style st;

		s = text_style(m, g, f, aw, &st);
		if (s == WM_OK)
			s = wm__text_measure(m, wm__opt_str(o, WM_OPT_TEXT),
					     &st, &pw[PIECE_TEXT],
					     &ph[PIECE_TEXT]);
	}
	if (s == WM_OK && wm__opt_str(o, WM_OPT_QR)[0]) {
		s = qr_side(m, g, f, &side);
		pw[PIECE_QR] = ph[PIECE_QR] = side;
	}
	if (s != WM_OK)
		return s;
	for (int i = 0; i < PIECE_COUNT; i++) {
		if (pw[i] <= 0)
			continue;
		along += (column ? ph[i] : pw[i]) + (n++ ? 0.3 * size : 0);
		across = fmax(across, column ? pw[i] : ph[i]);
	}
	*w = column ? floor(across) : ceil(along);
	*h = column ? ceil(along) : floor(across);
	if (wm__opt_int(o, WM_OPT_BOX)) {
		double pad =
		    2 * lround(wm__opt_double(o, WM_OPT_BOX_PADDING) * size);

		*w += pad;
		*h += pad;
	}
	turned_size(o, w, h);
	return WM_OK;
}

/*
 * Whether the mark at scale f fits in aw x ah once turned, and the ratio
 * of room to size. It must also fit in a canvas (on pictures of tens of
 * thousands of pixels a side the default size would not): in half the
 * canvas limit each way, since the mark is drawn upright before it is
 * turned, and an upright canvas may be up to sqrt(2) times as wide or tall
 * as the turned one.
 */
static wm_status fits(wm_mark *m, const wm__geom *g, double f, int aw, int ah,
		      bool *ok, double *ratio)
{
	const double side = WM__CANVAS_MAX / 2;
	const double area = (double)WM__CANVAS_MAX_PIXELS / 4;
	double w, h;
	wm_status s = measure_mark(m, g, f, aw, &w, &h);

	*ok = s == WM_OK && w <= aw && h <= ah && w <= side && h <= side &&
	      w * h <= area;
	*ratio = s == WM_OK ? fmin(fmin(aw / w, ah / h),
				   fmin(side / fmax(w, h), sqrt(area / (w * h))))
			    : 0.5;
	return s;
}

/*
 * The largest scale factor, at most the first guess, at which the mark
 * fits in aw x ah once turned, found by measuring only. Wrapped text gets
 * shorter as it gets narrower, so its height is not proportional to the
 * scale: the search shrinks until it fits, then bisects.
 */
static wm_status fit_scale(wm_mark *m, const wm__geom *g, int aw, int ah,
			   double *f)
{
	double hi, ratio;
	bool ok;
	wm_status s = first_scale(m, g, aw, ah, f);

	if (s == WM_OK)
		s = fits(m, g, *f, aw, ah, &ok, &ratio);
	if (s != WM_OK || ok)
		return s;
	hi = *f;
	for (int i = 0; i < WM__FIT_TRIES && !ok && s == WM_OK; i++) {
		hi = *f;
		*f *= fmin(0.98 * ratio, 0.98);
		s = fits(m, g, *f, aw, ah, &ok, &ratio);
	}
	for (int i = 0; i < WM__FIT_STEPS && ok && s == WM_OK; i++) {
		double mid = (*f + hi) / 2;
		bool mid_ok;

		s = fits(m, g, mid, aw, ah, &mid_ok, &ratio);
		if (mid_ok)
			*f = mid;
		else
			hi = mid;
	}
	return s;
}

/* Text smaller than this is not read, however sharp. Frames whose shorter
 * side is below WM__TINY_FRAME (icons, thumbnails) are expected to get
 * such marks and draw them without comment. */
#define WM__LEGIBLE_PX 6.0
#define WM__TINY_FRAME 150

static void warn_illegible(wm_mark *m, const wm__geom *g, double f,
			   double shrink)
{
	double asked = wm__opt_px(&m->opts, WM_OPT_SIZE, g->shorter);
	double drawn = text_size(&m->opts, g, f) * shrink;

	if (drawn >= WM__LEGIBLE_PX || g->shorter < WM__TINY_FRAME || !g->text)
		return;
	wm__log(WM_LOG_WARNING,
		"text: drawn %.1f px high (asked %.1f px) to fit the %dx%d "
		"frame, below the %.0f px that can be read; shorten the text",
		drawn, asked, g->dw, g->dh, WM__LEGIBLE_PX);
}

/* Renders the mark at the largest scale (at most its own) that fits in
 * aw x ah once turned. Rendering at that scale rather than resampling
 * keeps text sharp; only the final size is turned. */
static wm_status render_fitted(wm_mark *m, const wm__geom *g, int aw, int ah,
			       wm__raster *out)
{
	const wm__options *o = &m->opts;
	double f, shrink = 1.0;
	int drawn_h;
	wm_status s = fit_scale(m, g, aw, ah, &f);

	if (s == WM_OK)
		s = render_mark(m, g, f, aw, out);
	if (s == WM_OK)
		s = turn(o, out);
	if (s != WM_OK)
		return s;
	drawn_h = out->height;
	if (out->width > aw || out->height > ah) {
		if (wm__opt_str(o, WM_OPT_QR)[0]) {
			wm__canvas_free(out);
			return qr_too_small(m, g, aw, ah);
		}
		s = squeeze(out, aw, ah);
		shrink = (double)out->height / drawn_h;
	}
	if (s == WM_OK)
		warn_illegible(m, g, f, shrink);
	return s;
}

/* ---- placement ----------------------------------------------------------- */

static wm_status push_xy(wm__layout *l, double x, double y, int *cap)
{
	if (l->count == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		int *p = wm__realloc(l->xy, (size_t)ncap * 2 * sizeof(int));

		if (!p)
			return wm__error(WM_ERR_NO_MEMORY,
					 "layout: out of memory");
		l->xy = p;
		*cap = ncap;
	}
	l->xy[2 * l->count] = (int)lround(x);
	l->xy[2 * l->count + 1] = (int)lround(y);
	l->count++;
	return WM_OK;
}

/* Top-left corner of a single mark of w x h in square display space. */
static void anchor(const wm__options *o, const wm__geom *g, int w, int h,
		   double *x, double *y)
{
	int pos = (int)wm__opt_int(o, WM_OPT_POSITION);
	int col = pos % 3, row = pos / 3;
	double margin = wm__opt_px(o, WM_OPT_MARGIN, g->shorter);

	*x = col == 0	? margin
	     : col == 1 ? (g->dw - w) / 2.0
			: g->dw - w - margin;
	*y = row == 0	? margin
	     : row == 1 ? (g->dh - h) / 2.0
			: g->dh - h - margin;
	*x += wm__opt_px(o, WM_OPT_OFFSET_X, g->shorter);
	*y += wm__opt_px(o, WM_OPT_OFFSET_Y, g->shorter);
	if (o->v[WM_OPT_X].len.value >= 0)
		*x = wm__opt_px(o, WM_OPT_X, g->shorter);
	if (o->v[WM_OPT_Y].len.value >= 0)
		*y = wm__opt_px(o, WM_OPT_Y, g->shorter);
}

/* A staggered grid over the whole picture; every other row is shifted by
 * half a step so that diagonal text does not line up into stripes. */
static wm_status tile(const wm__options *o, const wm__geom *g, int w, int h,
		      wm__layout *l, int *cap)
{
	double gap = wm__opt_px(o, WM_OPT_TILE_SPACING, g->shorter);
	double sx = w + gap, sy = h + gap;
	double n = (g->dw / sx + 2) * (g->dh / sy + 2);
	wm_status s = WM_OK;

	if (n > WM__MAX_TILES) {
		sx *= sqrt(n / WM__MAX_TILES);
		sy *= sqrt(n / WM__MAX_TILES);
	}
	for (int r = 0; s == WM_OK && r * sy - sy / 2 < g->dh; r++) {
		double y = r * sy - sy / 2;

		for (double x = (r & 1) ? -sx / 2 : -sx;
		     s == WM_OK && x < g->dw; x += sx)
			s = push_xy(l, x, y, cap);
	}
	return s;
}

/* Maps positions from square display space into stored pixels. */
static void to_stored(wm__layout *l, const wm__geom *g, int w, int h)
{
	for (int i = 0; i < l->count; i++) {
		int *p = &l->xy[2 * i];
		int x = p[0], y = p[1], ax, ay, bx, by;

		if (g->sar != 1.0 && g->sar_on_x)
			x = (int)lround(x / g->sar);
		else if (g->sar != 1.0)
			y = (int)lround(y / g->sar);
		wm__orient_point(g->orient, g->sw, g->sh, x, y, &ax, &ay);
		wm__orient_point(g->orient, g->sw, g->sh, x + w - 1, y + h - 1,
				 &bx, &by);
		p[0] = ax < bx ? ax : bx;
		p[1] = ay < by ? ay : by;
	}
}

/* Pre-distorts for non-square pixels, so the mark looks right once the
 * player stretches the picture. */
static wm_status undo_sar(const wm__geom *g, wm__raster *r)
{
	wm__raster out;
	int w = r->width, h = r->height;
	wm_status s;

	if (g->sar == 1.0)
		return WM_OK;
	if (g->sar_on_x)
		w = (int)lround(w / g->sar);
	else
		h = (int)lround(h / g->sar);
	s = wm__canvas_resize(r, w < 1 ? 1 : w, h < 1 ? 1 : h, &out);
	if (s != WM_OK)
		return s;
	wm__canvas_free(r);
	*r = out;
	return WM_OK;
}

static wm_status orient(const wm__geom *g, wm__raster *r)
{
	wm__raster out;
	wm_status s;

	if (g->orient == WM_ORIENT_NORMAL)
		return WM_OK;
	s = wm__canvas_orient(r, g->orient, &out);
	if (s != WM_OK)
		return s;
	wm__canvas_free(r);
	*r = out;
	return WM_OK;
}

static wm_status place(wm_mark *m, const wm__geom *g, wm__layout *l)
{
	const wm__options *o = &m->opts;
	int w = l->raster.width, h = l->raster.height, cap = 0;
	double x, y;
	wm_status s;

	if (wm__opt_int(o, WM_OPT_TILE)) {
		s = tile(o, g, w, h, l, &cap);
	} else {
		anchor(o, g, w, h, &x, &y);
		s = push_xy(l, x, y, &cap);
	}
	if (s == WM_OK)
		s = undo_sar(g, &l->raster);
	if (s == WM_OK) {
		to_stored(l, g, l->raster.width, l->raster.height);
		s = orient(g, &l->raster);
	}
	return s;
}

wm_status wm__layout_render(wm_mark *m, const wm_frame *f, wm__layout *out)
{
	wm__geom g;
	double margin;
	int aw, ah;
	bool blank;
	wm_status s;

	memset(out, 0, sizeof(*out));
	s = wm__text_blank(wm__opt_str(&m->opts, WM_OPT_TEXT), &blank);
	if (s != WM_OK)
		return s;
	if (blank && !wm__opt_str(&m->opts, WM_OPT_LOGO)[0] &&
	    !wm__opt_str(&m->opts, WM_OPT_QR)[0])
		return wm__error(WM_ERR_BAD_VALUE,
				 "text: empty (nothing to draw; set a text, "
				 "a logo or a qr)");
	make_geom(f, &g);
	g.text = !blank;
	margin = wm__opt_px(&m->opts, WM_OPT_MARGIN, g.shorter);
	if (wm__opt_int(&m->opts, WM_OPT_TILE))
		margin = 0;
	aw = (int)floor(g.dw - 2 * margin);
	ah = (int)floor(g.dh - 2 * margin);
	aw = aw < 1 ? g.dw : aw;
	ah = ah < 1 ? g.dh : ah;
	s = render_fitted(m, &g, aw, ah, &out->raster);
	if (s == WM_OK)
		s = place(m, &g, out);
	if (s != WM_OK)
		wm__layout_free(out);
	return s;
}

void wm__layout_free(wm__layout *l)
{
	wm__canvas_free(&l->raster);
	wm__free(l->xy);
	memset(l, 0, sizeof(*l));
}
