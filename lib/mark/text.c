/*
 * Text of a mark: UTF-8 in, a premultiplied canvas out. FriBidi orders each
 * line (Arabic and Hebrew read right to left), HarfBuzz shapes runs of one
 * direction, script and font (joined Arabic, Devanagari conjuncts, Thai),
 * FreeType draws outlines unhinted at sub-pixel positions, the stroker makes
 * the outline, and colour emoji come from bitmap strikes scaled on
 * premultiplied pixels.
 */
#include <math.h>
#include <string.h>

#include <fribidi.h>

#include "fonts.h"
#include FT_GLYPH_H
#include FT_OUTLINE_H
#include FT_STROKER_H

typedef struct wm__glyph {
	int font;
	unsigned gid;
	double x; /* pen position from the line's left edge */
	double y; /* offset upwards from the baseline */
} wm__glyph;

typedef struct wm__line {
	int first; /* index of its first glyph */
	int count;
	double width;
	double ascent;
	double descent;
} wm__line;

typedef struct wm__run {
	int start; /* code point index */
	int len;
	int level;
	int font;
	hb_script_t script;
} wm__run;

/* Everything one call of wm__text_render works with. */
typedef struct wm__shaper {
	wm__fonts *fonts;
	const wm__text_style *st;
	hb_buffer_t *buf;
	uint32_t *cps;
	int n;
	FriBidiLevel *levels;
	int *font_of;
	hb_script_t *script;
	wm__run *runs;
	int *order;
	wm__glyph *glyphs;
	int glyph_count;
	int glyph_cap;
	wm__line *lines;
	int line_count;
	int line_cap;
} wm__shaper;

/* ---- code points --------------------------------------------------------- */

/* Decodes UTF-8 that wm__utf8_invalid_at accepted. */
static int utf8_decode(const char *s, size_t len, uint32_t *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int n = 0;

	while (p < end) {
		uint32_t c = *p++;
		int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

		c &= extra == 3	  ? 0x07
		     : extra == 2 ? 0x0f
		     : extra	  ? 0x1f
				  : 0x7f;
		while (extra-- > 0 && p < end)
			c = (c << 6) | (*p++ & 0x3f);
		out[n++] = c;
	}
	return n;
}

static bool is_cjk(uint32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef) ||
	       (c >= 0x20000 && c <= 0x3ffff);
}

/* Characters that belong to the font of the character before them:
 * combining marks, joiners, variation selectors, controls. */
static bool follows_previous(uint32_t c)
{
	hb_unicode_general_category_t g =
	    hb_unicode_general_category(hb_unicode_funcs_get_default(), c);

	return g == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
	       g == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK ||
	       g == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK ||
	       g == HB_UNICODE_GENERAL_CATEGORY_FORMAT ||
	       g == HB_UNICODE_GENERAL_CATEGORY_CONTROL ||
	       (c >= 0x1f3fb && c <= 0x1f3ff);
}

/* ---- font and script of each code point ---------------------------------- */

static bool primary_is_bold(const wm__fonts *f)
{
	return (f->list[0].face->style_flags & FT_STYLE_FLAG_BOLD) != 0;
}

/* A character followed by VARIATION SELECTOR-16 asks for its colour emoji
 * form (U+2764 U+FE0F is a red heart, U+2764 alone a text heart). */
static bool wants_emoji(const wm__shaper *sh, int i)
{
	return i + 1 < sh->n && sh->cps[i + 1] == 0xfe0f;
}

static int font_for(wm__shaper *sh, int i, int prev)
{
	wm__fonts *f = sh->fonts;
	uint32_t c = sh->cps[i];
	int k;

	if (prev >= 0 && follows_previous(c))
		return prev;
	if (wants_emoji(sh, i)) {
		for (k = 0; k < f->count; k++)
			if (FT_HAS_COLOR(f->list[k].face) &&
			    FT_Get_Char_Index(f->list[k].face, c))
				return k;
		k = wm__fonts_fallback(f, c, false, true);
		if (k >= 0)
			return k;
	}
	for (k = 0; k < f->count; k++)
		if (FT_Get_Char_Index(f->list[k].face, c))
			return k;
	k = wm__fonts_fallback(f, c, primary_is_bold(f), false);
	if (k >= 0)
		return k;
	wm__log(WM_LOG_WARNING,
		"text: no installed font has U+%04X; it is drawn as a "
		"missing-glyph box",
		(unsigned)c);
	return prev >= 0 ? prev : 0;
}

static wm_status assign_fonts(wm__shaper *sh)
{
	int prev = -1;

	for (int i = 0; i < sh->n; i++) {
		if (sh->cps[i] == '\n') {
			sh->font_of[i] = 0;
			prev = -1;
			continue;
		}
		sh->font_of[i] = font_for(sh, i, prev);
		prev = sh->font_of[i];
	}
	for (int k = 0; k < sh->fonts->count; k++) {
		wm_status s =
		    wm__font_set_size(&sh->fonts->list[k], sh->st->size);

		if (s != WM_OK)
			return s;
	}
	return WM_OK;
}

static bool is_real_script(hb_script_t s)
{
	return s != HB_SCRIPT_COMMON && s != HB_SCRIPT_INHERITED &&
	       s != HB_SCRIPT_UNKNOWN;
}

/* Common and inherited characters take the script of their neighbours. */
static void assign_scripts(wm__shaper *sh)
{
	hb_unicode_funcs_t *u = hb_unicode_funcs_get_default();
	hb_script_t last = HB_SCRIPT_INVALID;
	int first_real = -1;

	for (int i = 0; i < sh->n; i++) {
		hb_script_t s = hb_unicode_script(u, sh->cps[i]);

		if (is_real_script(s)) {
			last = s;
			if (first_real < 0)
				first_real = i;
		}
		sh->script[i] =
		    is_real_script(s) || last == HB_SCRIPT_INVALID ? s : last;
	}
	for (int i = 0; i < first_real; i++)
		sh->script[i] = sh->script[first_real];
}

/* Bidi levels of each paragraph (the text between newlines). */
static wm_status assign_levels(wm__shaper *sh)
{
	int start = 0;

	for (int i = 0; i <= sh->n; i++) {
		int len = i - start;
		FriBidiCharType *types;
		FriBidiBracketType *brackets;
		FriBidiParType base = FRIBIDI_PAR_ON;
		bool ok;

		if (i < sh->n && sh->cps[i] != '\n')
			continue;
		types = wm__calloc((size_t)len + 1, sizeof(*types));
		brackets = wm__calloc((size_t)len + 1, sizeof(*brackets));
		ok = types && brackets;
		if (ok && len > 0) {
			fribidi_get_bidi_types(sh->cps + start, len, types);
			fribidi_get_bracket_types(sh->cps + start, len, types,
						  brackets);
			ok = fribidi_get_par_embedding_levels_ex(
				 types, brackets, len, &base,
				 sh->levels + start) != 0;
		}
		wm__free(types);
		wm__free(brackets);
		if (!ok)
			return wm__error(WM_ERR_NO_MEMORY,
					 "text: bidi analysis failed");
		if (i < sh->n)
			sh->levels[i] = 0;
		start = i + 1;
	}
	return WM_OK;
}

/* ---- shaping one line ---------------------------------------------------- */

static wm_status push_glyph(wm__shaper *sh, const wm__glyph *g)
{
	if (sh->glyph_count == sh->glyph_cap) {
		int cap = sh->glyph_cap ? sh->glyph_cap * 2 : 64;
		wm__glyph *p =
		    wm__realloc(sh->glyphs, (size_t)cap * sizeof(*p));

		if (!p)
			return wm__error(WM_ERR_NO_MEMORY,
					 "text: out of memory");
		sh->glyphs = p;
		sh->glyph_cap = cap;
	}
	sh->glyphs[sh->glyph_count++] = *g;
	return WM_OK;
}

/* Splits [a, b) into runs of one level, font and script. */
static int split_runs(wm__shaper *sh, int a, int b)
{
	int count = 0;

	for (int i = a; i < b; i++) {
		wm__run *r = count > 0 ? &sh->runs[count - 1] : NULL;

		if (r && r->level == sh->levels[i] &&
		    r->font == sh->font_of[i] && r->script == sh->script[i]) {
			r->len++;
			continue;
		}
		r = &sh->runs[count++];
		r->start = i;
		r->len = 1;
		r->level = sh->levels[i];
		r->font = sh->font_of[i];
		r->script = sh->script[i];
	}
	return count;
}

/* Visual order of runs (rule L2 of the bidi algorithm): from the highest
 * level down to the lowest odd one, reverse every sequence of runs at that
 * level or above. */
static void order_runs(wm__shaper *sh, int count)
{
	int max = 0, min_odd = 255;

	for (int i = 0; i < count; i++) {
		sh->order[i] = i;
		max = sh->runs[i].level > max ? sh->runs[i].level : max;
		if ((sh->runs[i].level & 1) && sh->runs[i].level < min_odd)
			min_odd = sh->runs[i].level;
	}
	for (int lev = max; lev >= min_odd && lev > 0; lev--) {
		for (int i = 0; i < count;) {
			int j = i;

			while (j < count && sh->runs[sh->order[j]].level >= lev)
				j++;
			for (int x = i, y = j - 1; x < y; x++, y--) {
				int t = sh->order[x];

				sh->order[x] = sh->order[y];
				sh->order[y] = t;
			}
			i = j > i ? j : i + 1;
		}
	}
}

static wm_status shape_run(wm__shaper *sh, const wm__run *r, int a, int b,
			   double *pen)
{
	wm__font *font = &sh->fonts->list[r->font];
	hb_glyph_info_t *info;
	hb_glyph_position_t *pos;
	unsigned count;
	double k = font->scale / 64.0;

	hb_buffer_clear_contents(sh->buf);
	hb_buffer_add_utf32(sh->buf, sh->cps + a, b - a,
			    (unsigned)(r->start - a), r->len);
	hb_buffer_set_direction(sh->buf, (r->level & 1) ? HB_DIRECTION_RTL
							: HB_DIRECTION_LTR);
	hb_buffer_set_script(sh->buf, r->script);
	hb_buffer_set_language(sh->buf, hb_language_get_default());
	hb_shape(font->hb, sh->buf, NULL, 0);
	info = hb_buffer_get_glyph_infos(sh->buf, &count);
	pos = hb_buffer_get_glyph_positions(sh->buf, &count);
	for (unsigned i = 0; i < count; i++) {
		wm__glyph g = {r->font, info[i].codepoint,
			       *pen + pos[i].x_offset * k, pos[i].y_offset * k};
		wm_status s = push_glyph(sh, &g);

		if (s != WM_OK)
			return s;
		*pen += pos[i].x_advance * k;
	}
	return WM_OK;
}

/* Shapes code points [a, b) as one line, appending its glyphs. */
static wm_status shape_line(wm__shaper *sh, int a, int b, wm__line *line)
{
	int count = split_runs(sh, a, b);
	FT_Size_Metrics *m0 = &sh->fonts->list[0].face->size->metrics;
	double pen = 0;

	order_runs(sh, count);
	memset(line, 0, sizeof(*line));
	line->first = sh->glyph_count;
	line->ascent = m0->ascender / 64.0 * sh->fonts->list[0].scale;
	line->descent = -m0->descender / 64.0 * sh->fonts->list[0].scale;
	for (int i = 0; i < count; i++) {
		const wm__run *r = &sh->runs[sh->order[i]];
		wm__font *font = &sh->fonts->list[r->font];
		FT_Size_Metrics *mt = &font->face->size->metrics;
		wm_status s = shape_run(sh, r, a, b, &pen);

		if (s != WM_OK)
			return s;
		line->ascent =
		    fmax(line->ascent, mt->ascender / 64.0 * font->scale);
		line->descent =
		    fmax(line->descent, -mt->descender / 64.0 * font->scale);
	}
	line->count = sh->glyph_count - line->first;
	line->width = pen;
	return WM_OK;
}

static wm_status measure(wm__shaper *sh, int a, int b, double *width)
{
	wm__line line;
	int keep = sh->glyph_count;
	wm_status s = shape_line(sh, a, b, &line);

	sh->glyph_count = keep;
	*width = line.width;
	return s;
}

/* ---- lines --------------------------------------------------------------- */

static wm_status add_line(wm__shaper *sh, int a, int b)
{
	wm__line *line;

	while (b > a && sh->cps[b - 1] == ' ')
		b--;
	if (sh->line_count == sh->line_cap) {
		int cap = sh->line_cap ? sh->line_cap * 2 : 8;
		wm__line *p = wm__realloc(sh->lines, (size_t)cap * sizeof(*p));

		if (!p)
			return wm__error(WM_ERR_NO_MEMORY,
					 "text: out of memory");
		sh->lines = p;
		sh->line_cap = cap;
	}
	line = &sh->lines[sh->line_count++];
	return shape_line(sh, a, b, line);
}

/* Whether a line may end at code point index e (before cps[e]). */
static bool can_break(const wm__shaper *sh, int e, int end)
{
	if (e == end)
		return true;
	if (sh->cps[e - 1] == ' ' && sh->cps[e] != ' ')
		return true;
	return is_cjk(sh->cps[e - 1]) || is_cjk(sh->cps[e]);
}

static int trim_end(const wm__shaper *sh, int a, int b)
{
	while (b > a && sh->cps[b - 1] == ' ')
		b--;
	return b;
}

/* Greedy wrapping of paragraph [a, end): each line takes the most text
 * that fits in max_width; a single word wider than that stands alone (the
 * layout scales the mark down if it still does not fit). */
static wm_status wrap_paragraph(wm__shaper *sh, int a, int end)
{
	double max = sh->st->max_width;

	if (max <= 0 || a == end)
		return add_line(sh, a, end);
	while (a < end) {
		int best = -1;

		for (int e = a + 1; e <= end; e++) {
			double w;
			wm_status s;

			if (!can_break(sh, e, end))
				continue;
			s = measure(sh, a, trim_end(sh, a, e), &w);
			if (s != WM_OK)
				return s;
			if (w > max && best >= 0)
				break;
			best = e;
			if (w > max)
				break;
		}
		wm_status s = add_line(sh, a, best);

		if (s != WM_OK)
			return s;
		for (a = best; a < end && sh->cps[a] == ' ';)
			a++;
	}
	return WM_OK;
}

static wm_status make_lines(wm__shaper *sh)
{
	int start = 0;

	for (int i = 0; i <= sh->n; i++) {
		wm_status s;

		if (i < sh->n && sh->cps[i] != '\n')
			continue;
		s = wrap_paragraph(sh, start, i);
		if (s != WM_OK)
			return s;
		start = i + 1;
	}
	return WM_OK;
}

/* ---- drawing ------------------------------------------------------------- */

/* Coverage planes of the text block: fill, outline, and colour glyphs. */
typedef struct wm__planes {
	int w;
	int h;
	uint8_t *fill;
	uint8_t *stroke;
	wm__raster color;
	FT_Stroker stroker;
} wm__planes;

/* Adds (saturating) or maxes a grey bitmap into a plane at (x, y). */
static void blit_gray(uint8_t *plane, int pw, int ph, const FT_Bitmap *bm,
		      int x, int y, bool use_max)
{
	for (unsigned j = 0; j < bm->rows; j++) {
		int py = y + (int)j;
		const uint8_t *src = bm->buffer + (ptrdiff_t)j * bm->pitch;

		if (py < 0 || py >= ph)
			continue;
		for (unsigned i = 0; i < bm->width; i++) {
			int px = x + (int)i;
			uint8_t *d;
			unsigned v;

			if (px < 0 || px >= pw || !src[i])
				continue;
			d = plane + (size_t)py * pw + px;
			v = use_max ? (src[i] > *d ? src[i] : *d)
				    : (unsigned)(*d + src[i]);
			*d = (uint8_t)(v > 255 ? 255 : v);
		}
	}
}

static void stroke_glyph(wm__planes *pl, FT_GlyphSlot slot, int x, int y)
{
	FT_Glyph g;
	FT_BitmapGlyph bg;

	if (!pl->stroker || FT_Get_Glyph(slot, &g))
		return;
	if (FT_Glyph_StrokeBorder(&g, pl->stroker, 0, 1) ||
	    FT_Glyph_To_Bitmap(&g, FT_RENDER_MODE_NORMAL, NULL, 1)) {
		FT_Done_Glyph(g);
		return;
	}
	bg = (FT_BitmapGlyph)g;
	blit_gray(pl->stroke, pl->w, pl->h, &bg->bitmap, x + bg->left,
		  y - bg->top, true);
	FT_Done_Glyph(g);
}

/* Converts a BGRA (premultiplied) or grey bitmap into a canvas. */
static wm_status bitmap_canvas(const FT_Bitmap *bm, wm__raster *out)
{
	wm_status s = wm__canvas_new((int)bm->width, (int)bm->rows, out);

	if (s != WM_OK)
		return s;
	for (unsigned j = 0; j < bm->rows; j++) {
		const uint8_t *p = bm->buffer + (ptrdiff_t)j * bm->pitch;
		uint8_t *d = out->pixels + j * out->stride;

		for (unsigned i = 0; i < bm->width; i++, d += 4) {
			if (bm->pixel_mode == FT_PIXEL_MODE_BGRA) {
				d[0] = p[i * 4 + 2];
				d[1] = p[i * 4 + 1];
				d[2] = p[i * 4];
				d[3] = p[i * 4 + 3];
			} else {
				d[0] = d[1] = d[2] = d[3] = p[i];
			}
		}
	}
	return WM_OK;
}

/* Draws a glyph that comes as a bitmap (colour emoji strikes), scaled to
 * the wanted size with the premultiplied Lanczos filter. */
static wm_status draw_bitmap_glyph(wm__planes *pl, const wm__font *font,
				   FT_GlyphSlot slot, double ox, double oy)
{
	const FT_Bitmap *bm = &slot->bitmap;
	wm__raster src, scaled;
	int w = (int)lround(bm->width * font->scale);
	int h = (int)lround(bm->rows * font->scale);
	int x = (int)lround(ox + slot->bitmap_left * font->scale);
	int y = (int)lround(oy - slot->bitmap_top * font->scale);
	wm_status s;

	if (bm->width == 0 || bm->rows == 0 || w < 1 || h < 1)
		return WM_OK;
	if (bm->pixel_mode != FT_PIXEL_MODE_BGRA &&
	    bm->pixel_mode != FT_PIXEL_MODE_GRAY)
		return WM_OK;
	s = bitmap_canvas(bm, &src);
	if (s != WM_OK)
		return s;
	s = wm__canvas_resize(&src, w, h, &scaled);
	wm__canvas_free(&src);
	if (s != WM_OK)
		return s;
	wm__canvas_over(&pl->color, &scaled, x, y);
	wm__canvas_free(&scaled);
	return WM_OK;
}

static wm_status draw_glyph(wm__planes *pl, wm__font *font, unsigned gid,
			    double ox, double oy)
{
	FT_Face face = font->face;
	FT_GlyphSlot slot = face->glyph;
	int ix = (int)floor(ox), iy = (int)floor(oy);
	int flags = FT_IS_SCALABLE(face) && !FT_HAS_COLOR(face)
			? FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP
			: FT_LOAD_COLOR;

	if (FT_Load_Glyph(face, gid, flags))
		return WM_OK; /* a broken glyph in a font: draw nothing */
	if (slot->format != FT_GLYPH_FORMAT_OUTLINE) {
		if (FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL))
			return WM_OK;
		return draw_bitmap_glyph(pl, font, slot, ox, oy);
	}
	FT_Outline_Translate(&slot->outline, lround((ox - ix) * 64),
			     -lround((oy - iy) * 64));
	stroke_glyph(pl, slot, ix, iy);
	if (FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL))
		return WM_OK;
	if (slot->bitmap.pixel_mode == FT_PIXEL_MODE_BGRA)
		return draw_bitmap_glyph(pl, font, slot, ox, oy);
	blit_gray(pl->fill, pl->w, pl->h, &slot->bitmap, ix + slot->bitmap_left,
		  iy - slot->bitmap_top, false);
	return WM_OK;
}

/* ---- compositing the planes ---------------------------------------------- */

static inline unsigned div255(unsigned x)
{
	x += 128;
	return (x + (x >> 8)) >> 8;
}

/* Draws a straight-alpha colour with coverage `cov` over pixel d. */
static inline void paint(uint8_t *d, uint32_t rgba, unsigned cov)
{
	unsigned sa = div255((rgba & 0xff) * cov), inv = 255u - sa;

	if (sa == 0)
		return;
	d[0] = (uint8_t)(div255((rgba >> 24) * sa) + div255(d[0] * inv));
	d[1] =
	    (uint8_t)(div255(((rgba >> 16) & 0xff) * sa) + div255(d[1] * inv));
	d[2] =
	    (uint8_t)(div255(((rgba >> 8) & 0xff) * sa) + div255(d[2] * inv));
	d[3] = (uint8_t)(sa + div255(d[3] * inv));
}

static unsigned shape_at(const wm__planes *pl, int x, int y)
{
	size_t i;
	unsigned v;

	if (x < 0 || y < 0 || x >= pl->w || y >= pl->h)
		return 0;
	i = (size_t)y * pl->w + x;
	v = pl->fill[i] > pl->stroke[i] ? pl->fill[i] : pl->stroke[i];
	return pl->color.pixels[i * 4 + 3] > v ? pl->color.pixels[i * 4 + 3]
					       : v;
}

/* Shadow, then outline, then fill, then colour glyphs. */
static void compose(const wm__planes *pl, const wm__text_style *st,
		    wm__raster *out)
{
	int sd = (int)lround(st->shadow);
	bool shadow = (st->shadow_color & 0xff) != 0 && sd > 0;
	bool outline = st->outline > 0 && (st->outline_color & 0xff) != 0;

	for (int y = 0; y < pl->h; y++) {
		uint8_t *d = out->pixels + y * out->stride;

		for (int x = 0; x < pl->w; x++, d += 4) {
			size_t i = (size_t)y * pl->w + x;
			const uint8_t *c = pl->color.pixels + i * 4;
			unsigned inv = 255u - c[3];

			if (shadow)
				paint(d, st->shadow_color,
				      shape_at(pl, x - sd, y - sd));
			if (outline)
				paint(d, st->outline_color, pl->stroke[i]);
			paint(d, st->color, pl->fill[i]);
			for (int k = 0; k < 4 && c[3]; k++)
				d[k] = (uint8_t)(c[k] + div255(d[k] * inv));
		}
	}
}

/* ---- the block ----------------------------------------------------------- */

static wm_status planes_new(wm__planes *pl, int w, int h, FT_Library ft,
			    double outline)
{
	wm_status s;

	memset(pl, 0, sizeof(*pl));
	pl->w = w;
	pl->h = h;
	s = wm__canvas_new(w, h, &pl->color);
	if (s != WM_OK)
		return s;
	pl->fill = wm__calloc((size_t)w * h, 1);
	pl->stroke = wm__calloc((size_t)w * h, 1);
	if (!pl->fill || !pl->stroke)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	if (outline > 0 && !FT_Stroker_New(ft, &pl->stroker))
		FT_Stroker_Set(pl->stroker, (FT_Fixed)lround(outline * 64),
			       FT_STROKER_LINECAP_ROUND,
			       FT_STROKER_LINEJOIN_ROUND, 0);
	return WM_OK;
}

static void planes_free(wm__planes *pl)
{
	if (pl->stroker)
		FT_Stroker_Done(pl->stroker);
	wm__free(pl->fill);
	wm__free(pl->stroke);
	wm__canvas_free(&pl->color);
}

static double block_width(const wm__shaper *sh)
{
	double w = 0;

	for (int i = 0; i < sh->line_count; i++)
		w = fmax(w, sh->lines[i].width);
	return w;
}

static double line_x(const wm__shaper *sh, const wm__line *l, double width)
{
	if (sh->st->align == WM__ALIGN_CENTER)
		return (width - l->width) / 2;
	if (sh->st->align == WM__ALIGN_RIGHT)
		return width - l->width;
	return 0;
}

static wm_status draw_lines(wm__shaper *sh, wm__planes *pl, double pad,
			    double width)
{
	double step = sh->st->size * sh->st->line_spacing;
	double base = pad + sh->lines[0].ascent;

	for (int i = 0; i < sh->line_count; i++) {
		const wm__line *l = &sh->lines[i];
		double x0 = pad + line_x(sh, l, width);

		for (int k = l->first; k < l->first + l->count; k++) {
			const wm__glyph *g = &sh->glyphs[k];
			wm_status s =
			    draw_glyph(pl, &sh->fonts->list[g->font], g->gid,
				       x0 + g->x, base + i * step - g->y);

			if (s != WM_OK)
				return s;
		}
	}
	return WM_OK;
}

static wm_status render_block(wm__shaper *sh, FT_Library ft, wm__raster *out)
{
	const wm__text_style *st = sh->st;
	const wm__line *last = &sh->lines[sh->line_count - 1];
	double pad = ceil(st->outline) + ceil(0.1 * st->size) + 1;
	double width = block_width(sh);
	double extra = (st->shadow_color & 0xff) ? lround(st->shadow) : 0;
	double fw = ceil(width + 2 * pad) + extra;
	double fh = ceil(sh->lines[0].ascent +
			 (sh->line_count - 1) * st->size * st->line_spacing +
			 last->descent + 2 * pad) +
		    extra;
	int w, h;

	if (!(fw < 1e6 && fh < 1e6)) /* also refuses NaN */
		return wm__error(WM_ERR_TOO_LARGE,
				 "text: a block of %.0fx%.0f pixels", fw, fh);
	w = (int)fw;
	h = (int)fh;
	wm__planes pl;
	wm_status s = planes_new(&pl, w, h, ft, st->outline);

	if (s == WM_OK)
		s = draw_lines(sh, &pl, pad, width);
	if (s == WM_OK)
		s = wm__canvas_new(w, h, out);
	if (s == WM_OK)
		compose(&pl, st, out);
	planes_free(&pl);
	return s;
}

/* ---- entry point --------------------------------------------------------- */

static wm_status shaper_init(wm__shaper *sh, const char *text)
{
	size_t len = strlen(text);
	size_t n = len + 1;

	sh->cps = wm__calloc(n, sizeof(*sh->cps));
	sh->levels = wm__calloc(n, sizeof(*sh->levels));
	sh->font_of = wm__calloc(n, sizeof(*sh->font_of));
	sh->script = wm__calloc(n, sizeof(*sh->script));
	sh->runs = wm__calloc(n, sizeof(*sh->runs));
	sh->order = wm__calloc(n, sizeof(*sh->order));
	sh->buf = hb_buffer_create();
	if (!sh->cps || !sh->levels || !sh->font_of || !sh->script ||
	    !sh->runs || !sh->order ||
	    !hb_buffer_allocation_successful(sh->buf))
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	sh->n = utf8_decode(text, len, sh->cps);
	return WM_OK;
}

static void shaper_free(wm__shaper *sh)
{
	hb_buffer_destroy(sh->buf);
	wm__free(sh->cps);
	wm__free(sh->levels);
	wm__free(sh->font_of);
	wm__free(sh->script);
	wm__free(sh->runs);
	wm__free(sh->order);
	wm__free(sh->glyphs);
	wm__free(sh->lines);
}

static wm_status ensure_fonts(wm_mark *m)
{
	wm_status s;

	if (m->fonts)
		return WM_OK;
	m->fonts = wm__calloc(1, sizeof(*m->fonts));
	if (!m->fonts)
		return wm__error(WM_ERR_NO_MEMORY, "fonts: out of memory");
	s = wm__fonts_open(m->fonts, wm__opt_str(&m->opts, WM_OPT_FONT));
	if (s != WM_OK)
		wm__fonts_free(m);
	return s;
}

void wm__fonts_free(wm_mark *m)
{
	if (!m->fonts)
		return;
	wm__fonts_close(m->fonts);
	wm__free(m->fonts);
	m->fonts = NULL;
}

wm_status wm__text_render(wm_mark *m, const char *text,
			  const wm__text_style *style, wm__raster *out)
{
	wm__shaper sh;
	ptrdiff_t bad = wm__utf8_invalid_at(text, strlen(text));
	wm_status s;

	memset(out, 0, sizeof(*out));
	if (bad >= 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "text: invalid UTF-8 at byte %td", bad);
	s = ensure_fonts(m);
	if (s != WM_OK)
		return s;
	memset(&sh, 0, sizeof(sh));
	sh.fonts = m->fonts;
	sh.st = style;
	s = shaper_init(&sh, text);
	if (s == WM_OK)
		s = assign_fonts(&sh);
	if (s == WM_OK)
		s = assign_levels(&sh);
	if (s == WM_OK) {
		assign_scripts(&sh);
		s = make_lines(&sh);
	}
	if (s == WM_OK)
		s = render_block(&sh, m->fonts->ft, out);
	shaper_free(&sh);
	return s;
}
