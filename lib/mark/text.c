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

#define WM__REF_SIZE 64.0 /* size the advances are measured at */

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

/*
 * A text shaped once: its code points with their fonts, scripts and bidi
 * levels, and the advance of every grapheme cluster measured at
 * WM__REF_SIZE. Widths scale linearly with the size (outlines are drawn
 * unhinted, bitmap strikes are scaled), so wrapping at any size and the
 * size of the block are arithmetic on `prefix`; only the lines finally
 * drawn are shaped again. Kept in the mark until its options change.
 */
typedef struct wm__shaper {
	char *source; /* the text as given, to recognise it again */
	wm__fonts *fonts;
	const wm__text_style *st;
	hb_buffer_t *buf;
	uint32_t *cps;
	int n;
	double *prefix;	   /* prefix[i]: advances of cps[0..i) at ref size */
	uint8_t *boundary; /* 1 where a grapheme cluster starts */
	double ascent;	   /* highest ascent of the fonts used, per px */
	double descent;
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

/*
 * The text option's escapes and control characters, in place; returns the
 * new length. \n (backslash, n) starts a new line and \\ is one
 * backslash, because shells and forms rarely pass a real newline; any other
 * backslash is drawn. A tab becomes a space; other C0 and C1 controls have
 * no glyph (they would be drawn as boxes), so they are dropped.
 */
static int clean_text(uint32_t *c, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		uint32_t v = c[i];

		if (v == '\\' && i + 1 < n &&
		    (c[i + 1] == 'n' || c[i + 1] == '\\'))
			v = c[++i] == 'n' ? '\n' : '\\';
		else if (v == '\t')
			v = ' ';
		else if (v != '\n' && (v < 0x20 || (v >= 0x7f && v <= 0x9f)))
			continue;
		c[k++] = v;
	}
	return k;
}

static bool is_space(uint32_t c)
{
	hb_unicode_general_category_t g =
	    hb_unicode_general_category(hb_unicode_funcs_get_default(), c);

	return c == '\n' || g == HB_UNICODE_GENERAL_CATEGORY_SPACE_SEPARATOR ||
	       g == HB_UNICODE_GENERAL_CATEGORY_LINE_SEPARATOR ||
	       g == HB_UNICODE_GENERAL_CATEGORY_PARAGRAPH_SEPARATOR;
}

wm_status wm__text_blank(const char *text, bool *blank)
{
	size_t len = strlen(text);
	uint32_t *cps;
	int n;

	*blank = false;
	if (wm__utf8_invalid_at(text, len) >= 0)
		return WM_OK; /* drawing it reports the bad byte */
	cps = wm__calloc(len + 1, sizeof(*cps));
	if (!cps)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");

	*blank = true;
	n = clean_text(cps, utf8_decode(text, len, cps));
	for (int i = 0; i < n && *blank; i++)
		*blank = is_space(cps[i]);
	wm__free(cps);
	return WM_OK;
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

/* The characters shown as colour emoji by default: Emoji_Presentation=Yes
 * in Unicode's emoji-data.txt (Emoji 15.0), as ranges in code point order
 * (tested against that file where it is installed). */
static const uint32_t emoji_presentation[][2] = {
	{0x231A, 0x231B}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0}, {0x23F3, 0x23F3},
	{0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
	{0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE},
	{0x26C4, 0x26C5}, {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA},
	{0x26F2, 0x26F3}, {0x26F5, 0x26F5}, {0x26FA, 0x26FA}, {0x26FD, 0x26FD},
	{0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C},
	{0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
	{0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50},
	{0x2B55, 0x2B55}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
	{0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F1E6, 0x1F1FF},
	{0x1F201, 0x1F201}, {0x1F21A, 0x1F21A}, {0x1F22F, 0x1F22F},
	{0x1F232, 0x1F236}, {0x1F238, 0x1F23A}, {0x1F250, 0x1F251},
	{0x1F300, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C},
	{0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
	{0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
	{0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
	{0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A},
	{0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
	{0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
	{0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC},
	{0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0},
	{0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
	{0x1FA70, 0x1FA7C}, {0x1FA80, 0x1FA88}, {0x1FA90, 0x1FABD},
	{0x1FABF, 0x1FAC5}, {0x1FACE, 0x1FADB}, {0x1FAE0, 0x1FAE8},
	{0x1FAF0, 0x1FAF8}
};

bool wm__emoji_presentation(uint32_t c)
{
	size_t lo = 0, hi = sizeof(emoji_presentation) /
			    sizeof(emoji_presentation[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c < emoji_presentation[mid][0])
			hi = mid;
		else if (c > emoji_presentation[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Whether a character is drawn in its colour emoji form: those shown so by
 * default (U+1F600), unless VARIATION SELECTOR-15 follows and asks for text,
 * and any character that VARIATION SELECTOR-16 follows (U+2764 U+FE0F is a
 * red heart, U+2764 alone a text heart). */
static bool wants_emoji(const wm__shaper *sh, int i)
{
	uint32_t next = i + 1 < sh->n ? sh->cps[i + 1] : 0;

	if (next == 0xfe0f)
		return true;
	return next != 0xfe0e && wm__emoji_presentation(sh->cps[i]);
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

static wm_status set_sizes(wm__shaper *sh, double px)
{
	for (int k = 0; k < sh->fonts->count; k++) {
		wm_status s = wm__font_set_size(&sh->fonts->list[k], px);

		if (s != WM_OK)
			return s;
	}
	return WM_OK;
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
	return set_sizes(sh, WM__REF_SIZE);
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

		/* FriBidi fails only when it cannot allocate. */
		if (!ok)
			return wm__error(WM_ERR_NO_MEMORY,
					 "text: out of memory for the bidi "
					 "analysis");
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

/* ---- measuring ----------------------------------------------------------- */

/* Shapes paragraph [a, end) at the reference size and credits every
 * glyph's advance to the first code point of its cluster. HarfBuzz gives
 * every glyph of a grapheme cluster (a base with its marks, an emoji with
 * its modifiers and joiners, a ligature) the same cluster value, so the
 * code points that receive glyphs are where a line may be cut. */
static wm_status measure_paragraph(wm__shaper *sh, int a, int end, double *adv)
{
	int count = split_runs(sh, a, end);

	for (int i = 0; i < count; i++) {
		const wm__run *r = &sh->runs[i];
		wm__font *font = &sh->fonts->list[r->font];
		double k = font->scale / 64.0;
		hb_glyph_info_t *info;
		hb_glyph_position_t *pos;
		unsigned n;

		hb_buffer_clear_contents(sh->buf);
		hb_buffer_add_utf32(sh->buf, sh->cps + a, end - a,
				    (unsigned)(r->start - a), r->len);
		hb_buffer_set_direction(sh->buf, (r->level & 1)
						     ? HB_DIRECTION_RTL
						     : HB_DIRECTION_LTR);
		hb_buffer_set_script(sh->buf, r->script);
		hb_buffer_set_language(sh->buf, hb_language_get_default());
		hb_shape(font->hb, sh->buf, NULL, 0);
		if (!hb_buffer_allocation_successful(sh->buf))
			return wm__error(WM_ERR_NO_MEMORY,
					 "text: out of memory");
		info = hb_buffer_get_glyph_infos(sh->buf, &n);
		pos = hb_buffer_get_glyph_positions(sh->buf, &n);
		for (unsigned g = 0; g < n; g++) {
			int c = a + (int)info[g].cluster;

			adv[c] += pos[g].x_advance * k;
			sh->boundary[c] = 1;
		}
	}
	return WM_OK;
}

static void font_extents(wm__shaper *sh)
{
	for (int i = 0; i <= sh->n; i++) {
		int k = i < sh->n ? sh->font_of[i] : 0;
		const wm__font *f = &sh->fonts->list[k];
		const FT_Size_Metrics *mt = &f->face->size->metrics;

		sh->ascent = fmax(sh->ascent, mt->ascender / 64.0 * f->scale /
						  WM__REF_SIZE);
		sh->descent = fmax(sh->descent, -mt->descender / 64.0 *
						    f->scale / WM__REF_SIZE);
	}
}

static wm_status measure_text(wm__shaper *sh)
{
	double *adv = wm__calloc((size_t)sh->n + 1, sizeof(*adv));
	int start = 0;
	wm_status s = WM_OK;

	if (!adv)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	for (int i = 0; i <= sh->n && s == WM_OK; i++) {
		if (i < sh->n && sh->cps[i] != '\n')
			continue;
		s = measure_paragraph(sh, start, i, adv);
		sh->boundary[i] = 1;
		start = i + 1;
	}
	for (int i = 0; i < sh->n; i++)
		sh->prefix[i + 1] = sh->prefix[i] + adv[i];
	wm__free(adv);
	font_extents(sh);
	return s;
}

/* ---- lines --------------------------------------------------------------- */

static int trim_end(const wm__shaper *sh, int a, int b)
{
	while (b > a && sh->cps[b - 1] == ' ')
		b--;
	return b;
}

static wm_status add_line(wm__shaper *sh, int a, int b)
{
	wm__line *line;

	b = trim_end(sh, a, b);
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

/* Ideographs, emoji and other symbols: a line may end before or after
 * each of them, as in Chinese and Japanese text. */
static bool breaks_around(uint32_t c)
{
	if (is_cjk(c) || (c >= 0x1f000 && c <= 0x1faff))
		return true;
	return hb_unicode_general_category(hb_unicode_funcs_get_default(), c) ==
	       HB_UNICODE_GENERAL_CATEGORY_OTHER_SYMBOL;
}

/* Whether a line may end at code point index e (before cps[e]): after
 * spaces, or around ideographs and symbols, never inside a cluster. */
static bool can_break(const wm__shaper *sh, int e, int end)
{
	if (e == end)
		return true;
	if (!sh->boundary[e])
		return false;
	if (sh->cps[e - 1] == ' ' && sh->cps[e] != ' ')
		return true;
	return breaks_around(sh->cps[e - 1]) || breaks_around(sh->cps[e]);
}

/* Width at the reference size of [a, b) without its trailing spaces. */
static double span(const wm__shaper *sh, int a, int b)
{
	return sh->prefix[trim_end(sh, a, b)] - sh->prefix[a];
}

/* End of the line that starts at a: the last break that fits in `max`
 * (reference units), allowing `slack` a code point for rounding. A word
 * wider than that is cut at the last cluster boundary that fits, and a
 * single cluster wider still stands alone, so that a long word wraps
 * instead of shrinking the whole text. */
static int line_end(const wm__shaper *sh, int a, int end, double max,
		    double slack)
{
	int best = -1, e;

	for (e = a + 1; e <= end; e++) {
		if (span(sh, a, e) + (e - a) * slack > max)
			break;
		if (can_break(sh, e, end))
			best = e;
	}
	if (best > a)
		return best;
	for (best = e - 1; best > a && !sh->boundary[best]; best--)
		;
	if (best > a)
		return best;
	for (best = a + 1; best < end && !sh->boundary[best]; best++)
		;
	return best;
}

/* Advances shaped at `size` are rounded to 1/64 px a glyph, so a line
 * drawn may be that much wider than measured: the slack a code point, in
 * reference units. */
static double rounding_slack(double size)
{
	return WM__REF_SIZE / (64.0 * size);
}

/* Calls `line` for every line of the text at `size` px: each paragraph
 * wrapped greedily to max_width (0: no wrapping). */
static wm_status each_line(wm__shaper *sh, double size, double max_width,
			   wm_status (*line)(wm__shaper *, int, int, void *),
			   void *user)
{
	double max = max_width > 0 ? max_width * WM__REF_SIZE / size : 0;
	double slack = rounding_slack(size);
	int start = 0;

	for (int i = 0; i <= sh->n; i++) {
		int a = start;
		wm_status s = WM_OK;

		if (i < sh->n && sh->cps[i] != '\n')
			continue;
		start = i + 1;
		if (max <= 0 || a == i) {
			s = line(sh, a, i, user);
			if (s != WM_OK)
				return s;
			continue;
		}
		while (a < i && s == WM_OK) {
			int b = line_end(sh, a, i, max, slack);

			s = line(sh, a, b, user);
			for (a = b; a < i && sh->cps[a] == ' ';)
				a++;
		}
		if (s != WM_OK)
			return s;
	}
	return WM_OK;
}

static wm_status draw_line(wm__shaper *sh, int a, int b, void *user)
{
	(void)user;
	return add_line(sh, a, b);
}

typedef struct wm__extent {
	int lines;
	double width; /* reference units, rounding slack included */
	double slack;
} wm__extent;

static wm_status count_line(wm__shaper *sh, int a, int b, void *user)
{
	wm__extent *x = user;

	x->lines++;
	x->width = fmax(x->width, span(sh, a, b) + (b - a) * x->slack);
	return WM_OK;
}

/* Padding around the block: room for the outline and antialiasing. */
static double block_pad(const wm__text_style *st)
{
	return ceil(st->outline) + ceil(0.1 * st->size) + 1;
}

static double shadow_extra(const wm__text_style *st)
{
	return (st->shadow_color & 0xff) ? lround(st->shadow) : 0;
}

/* ---- drawing ------------------------------------------------------------- */

/* Coverage planes of the text block: fill, outline, and colour glyphs. */
/* Sub-pixel positions a glyph is drawn at, per pixel and axis. */
#define WM__PHASES 4

/* A grey glyph bitmap at (left, top) from the pen, rows w bytes. */
typedef struct wm__bits {
	int w, h, left, top;
	uint8_t *px;
} wm__bits;

/* One glyph rasterised at one sub-pixel phase. */
typedef struct wm__cached_glyph {
	bool used;
	int font;
	unsigned gid;
	int phase;
	wm__bits fill;
	wm__bits stroke;
	wm__raster color; /* colour glyphs, placed at (dx, -dy) from the pen */
	double dx, dy;
	wm__bits ring; /* their outline: `color`'s alpha grown by the width */
} wm__cached_glyph;

typedef struct wm__planes {
	int w;
	int h;
	uint8_t *fill;
	uint8_t *stroke;
	wm__raster color;
	FT_Stroker stroker;
	double outline; /* outline width (stroker radius) in pixels */
	wm__cached_glyph *cache; /* open addressing, power-of-two size */
	size_t cache_cap;
	size_t cache_count;
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

/* A grey bitmap kept from FreeType; `top` counts rows above the origin. */
static wm_status keep_bits(const FT_Bitmap *bm, int left, int top,
			   wm__bits *out)
{
	size_t size = (size_t)bm->width * bm->rows;

	out->w = (int)bm->width;
	out->h = (int)bm->rows;
	out->left = left;
	out->top = top;
	if (size == 0 || bm->pixel_mode != FT_PIXEL_MODE_GRAY)
		return WM_OK;
	out->px = wm__malloc(size);
	if (!out->px)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	for (unsigned j = 0; j < bm->rows; j++)
		memcpy(out->px + (size_t)j * bm->width,
		       bm->buffer + (ptrdiff_t)j * bm->pitch, bm->width);
	return WM_OK;
}

static void blit_bits(uint8_t *plane, const wm__planes *pl, const wm__bits *b,
		      int x, int y, bool use_max)
{
	FT_Bitmap bm;

	if (!b->px)
		return;
	memset(&bm, 0, sizeof(bm));
	bm.width = (unsigned)b->w;
	bm.rows = (unsigned)b->h;
	bm.pitch = b->w;
	bm.buffer = b->px;
	blit_gray(plane, pl->w, pl->h, &bm, x + b->left, y - b->top, use_max);
}

/* FreeType's lack of memory fails the text (and must stop it: a stroker
 * used again after a failed allocation loses memory); its other errors
 * mean a broken glyph in a font, which is drawn as nothing (WM_OK). */
static wm_status ft_failed(FT_Error e)
{
	if (FT_ERROR_BASE(e) == FT_Err_Out_Of_Memory)
		return wm__error(WM_ERR_NO_MEMORY, "FreeType: out of memory");
	return WM_OK;
}

static wm_status stroke_glyph(wm__planes *pl, FT_GlyphSlot slot, wm__bits *out)
{
	FT_Glyph g;
	FT_BitmapGlyph bg;
	FT_Error e;
	wm_status s;

	if (!pl->stroker)
		return WM_OK;
	e = FT_Get_Glyph(slot, &g);
	if (e)
		return ft_failed(e);
	e = FT_Glyph_StrokeBorder(&g, pl->stroker, 0, 1);
	if (!e)
		e = FT_Glyph_To_Bitmap(&g, FT_RENDER_MODE_NORMAL, NULL, 1);
	if (e) {
		FT_Done_Glyph(g);
		return ft_failed(e);
	}
	bg = (FT_BitmapGlyph)g;
	s = keep_bits(&bg->bitmap, bg->left, bg->top, out);
	FT_Done_Glyph(g);
	return s;
}

/* "Far": larger than any squared distance in a raster (sides <= 65536). */
#define WM__FAR 1e20

/*
 * One pass of the exact squared Euclidean distance transform: d[q] =
 * min over p of (q - p)^2 + f[p], from the lower envelope of the parabolas
 * rooted at each p (Felzenszwalb and Huttenlocher's method). v and z are
 * scratch space of n and n + 1 entries.
 */
static void edt_pass(const double *f, double *d, int n, int *v, double *z)
{
	int k = 0;

	v[0] = 0;
	z[0] = -WM__FAR;
	z[1] = WM__FAR;
	for (int q = 1; q < n; q++) {
		double s;

		for (;;) {
			int p = v[k];

			s = ((f[q] + (double)q * q) - (f[p] + (double)p * p)) /
			    (2.0 * (q - p));
			if (s > z[k] || k == 0)
				break;
			k--;
		}
		k++;
		v[k] = q;
		z[k] = s;
		z[k + 1] = WM__FAR;
	}

	k = 0;
	for (int q = 0; q < n; q++) {
		while (z[k + 1] < q)
			k++;
		d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
	}
}

/* Squared distances from every pixel of the w x h grid to the nearest
 * pixel where g is 0 (g holds 0 or WM__FAR), in place. */
static wm_status edt(double *g, int w, int h)
{
	int n = w > h ? w : h;
	double *f = wm__malloc(sizeof(double) * (size_t)(3 * n + 1));
	int *v = wm__malloc(sizeof(int) * (size_t)n);

	if (!f || !v) {
		wm__free(f);
		wm__free(v);
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	}
	for (int x = 0; x < w; x++) {
		for (int y = 0; y < h; y++)
			f[y] = g[(size_t)y * w + x];
		edt_pass(f, f + n, h, v, f + 2 * n);
		for (int y = 0; y < h; y++)
			g[(size_t)y * w + x] = f[n + y];
	}
	for (int y = 0; y < h; y++) {
		memcpy(f, g + (size_t)y * w, sizeof(double) * (size_t)w);
		edt_pass(f, g + (size_t)y * w, w, v, f + 2 * n);
	}
	wm__free(f);
	wm__free(v);
	return WM_OK;
}

/*
 * The outline of a colour glyph, which FreeType's stroker cannot make (it
 * works on outlines, and colour glyphs are bitmaps): the pixels within the
 * outline's radius of the glyph's solid part (alpha >= 128), anti-aliased
 * over one pixel by their distance, and never less than the glyph's own
 * alpha. The exact distance transform keeps this linear in the pixels
 * whatever the radius. The bitmap's corner is `ring->top` pixels above and
 * `-ring->left` left of the colour bitmap's.
 */
static wm_status ring_of(const wm__raster *c, double radius, wm__bits *ring)
{
	int r = (int)ceil(radius) + 1;
	int w = c->width + 2 * r, h = c->height + 2 * r;
	size_t n = (size_t)w * (size_t)h;
	double *g = wm__malloc(sizeof(double) * n);
	wm_status s;

	ring->px = wm__calloc(n, 1);
	if (!g || !ring->px) {
		wm__free(g);
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		g[i] = WM__FAR;
	for (int y = 0; y < c->height; y++)
		for (int x = 0; x < c->width; x++)
			if (c->pixels[y * c->stride + 4 * x + 3] >= 128)
				g[(size_t)(y + r) * w + x + r] = 0;
	s = edt(g, w, h);

	for (int y = 0; s == WM_OK && y < h; y++)
		for (int x = 0; x < w; x++) {
			double cov = radius + 0.5 - sqrt(g[(size_t)y * w + x]);
			int gx = x - r, gy = y - r;
			unsigned a = gx >= 0 && gy >= 0 && gx < c->width &&
					     gy < c->height
					 ? c->pixels[gy * c->stride + 4 * gx + 3]
					 : 0;
			unsigned v = (unsigned)lround(255 * (cov < 0   ? 0
							     : cov > 1 ? 1
								       : cov));

			ring->px[(size_t)y * w + x] = (uint8_t)(v > a ? v : a);
		}
	wm__free(g);
	ring->w = w;
	ring->h = h;
	ring->left = -r;
	ring->top = r;
	return s;
}

/* A glyph that comes as a bitmap (colour emoji strikes), scaled to the
 * wanted size with the premultiplied Lanczos filter. */
static wm_status scale_bitmap_glyph(const wm__planes *pl,
				    const wm__font *font, FT_GlyphSlot slot,
				    wm__cached_glyph *e)
{
	const FT_Bitmap *bm = &slot->bitmap;
	wm__raster src;
	int w = (int)lround(bm->width * font->scale);
	int h = (int)lround(bm->rows * font->scale);
	wm_status s;

	e->dx = slot->bitmap_left * font->scale;
	e->dy = slot->bitmap_top * font->scale;
	if (bm->width == 0 || bm->rows == 0 || w < 1 || h < 1)
		return WM_OK;
	if (bm->pixel_mode != FT_PIXEL_MODE_BGRA &&
	    bm->pixel_mode != FT_PIXEL_MODE_GRAY)
		return WM_OK;
	s = bitmap_canvas(bm, &src);
	if (s != WM_OK)
		return s;
	s = wm__canvas_resize(&src, w, h, &e->color);
	wm__canvas_free(&src);
	if (s == WM_OK && pl->stroker)
		s = ring_of(&e->color, pl->outline, &e->ring);
	return s;
}

/* Rasterises a glyph with its origin at (phase_x, phase_y) / WM__PHASES
 * of a pixel right of and below a pixel corner. */
static wm_status rasterise(wm__planes *pl, const wm__font *font, unsigned gid,
			   int phase_x, int phase_y, wm__cached_glyph *e)
{
	FT_Face face = font->face;
	FT_GlyphSlot slot = face->glyph;
	int flags = FT_IS_SCALABLE(face) && !FT_HAS_COLOR(face)
			? FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP
			: FT_LOAD_COLOR;
	FT_Error err;
	wm_status s;

	err = FT_Load_Glyph(face, gid, flags);
	if (err)
		return ft_failed(err);
	if (slot->format != FT_GLYPH_FORMAT_OUTLINE) {
		err = FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL);
		if (err)
			return ft_failed(err);
		return scale_bitmap_glyph(pl, font, slot, e);
	}
	FT_Outline_Translate(&slot->outline, phase_x * 64 / WM__PHASES,
			     -phase_y * 64 / WM__PHASES);
	s = stroke_glyph(pl, slot, &e->stroke);
	if (s != WM_OK)
		return s;
	err = FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL);
	if (err)
		return ft_failed(err);
	if (slot->bitmap.pixel_mode == FT_PIXEL_MODE_BGRA)
		return scale_bitmap_glyph(pl, font, slot, e);
	return keep_bits(&slot->bitmap, slot->bitmap_left, slot->bitmap_top,
			 &e->fill);
}

static void cached_glyph_free(wm__cached_glyph *e)
{
	wm__free(e->fill.px);
	wm__free(e->stroke.px);
	wm__free(e->ring.px);
	wm__canvas_free(&e->color);
}

static size_t glyph_hash(int font, unsigned gid, int phase)
{
	return ((size_t)gid * 2654435761u) ^ ((size_t)font * 40503u) ^
	       ((size_t)phase * 97u);
}

static wm_status grow_glyph_cache(wm__planes *pl)
{
	size_t cap = pl->cache_cap ? pl->cache_cap * 2 : 256;
	wm__cached_glyph *n = wm__calloc(cap, sizeof(*n));

	if (!n)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	for (size_t i = 0; i < pl->cache_cap; i++) {
		wm__cached_glyph *e = &pl->cache[i];
		size_t k = glyph_hash(e->font, e->gid, e->phase) & (cap - 1);

		if (!e->used)
			continue;
		while (n[k].used)
			k = (k + 1) & (cap - 1);
		n[k] = *e;
	}
	wm__free(pl->cache);
	pl->cache = n;
	pl->cache_cap = cap;
	return WM_OK;
}

/* The glyph rasterised at a sub-pixel phase: long texts repeat few glyphs
 * many times, and FreeType's rasteriser and stroker are by far the most
 * expensive part of drawing, so each (glyph, phase) is drawn once. */
static wm_status find_glyph(wm__planes *pl, const wm__font *font, int fi,
			    unsigned gid, int phase, wm__cached_glyph **out)
{
	wm__cached_glyph *e;
	size_t k;
	wm_status s;

	if (2 * (pl->cache_count + 1) > pl->cache_cap) {
		s = grow_glyph_cache(pl);
		if (s != WM_OK)
			return s;
	}
	k = glyph_hash(fi, gid, phase) & (pl->cache_cap - 1);
	for (e = &pl->cache[k]; e->used; e = &pl->cache[k]) {
		if (e->font == fi && e->gid == gid && e->phase == phase) {
			*out = e;
			return WM_OK;
		}
		k = (k + 1) & (pl->cache_cap - 1);
	}
	e->used = true;
	e->font = fi;
	e->gid = gid;
	e->phase = phase;
	pl->cache_count++;
	*out = e;
	return rasterise(pl, font, gid, phase / WM__PHASES, phase % WM__PHASES,
			 e);
}

/* Draws a glyph with its origin at (ox, oy), placed to a quarter pixel. */
static wm_status draw_glyph(wm__planes *pl, const wm__fonts *fonts, int fi,
			    unsigned gid, double ox, double oy)
{
	double qx = floor(ox * WM__PHASES + 0.5) / WM__PHASES;
	double qy = floor(oy * WM__PHASES + 0.5) / WM__PHASES;
	int ix = (int)floor(qx), iy = (int)floor(qy);
	int phase = (int)lround((qx - ix) * WM__PHASES) * WM__PHASES +
		    (int)lround((qy - iy) * WM__PHASES);
	wm__cached_glyph *e;
	wm_status s = find_glyph(pl, &fonts->list[fi], fi, gid, phase, &e);

	if (s != WM_OK)
		return s;
	blit_bits(pl->stroke, pl, &e->stroke, ix, iy, true);
	blit_bits(pl->fill, pl, &e->fill, ix, iy, false);
	if (e->color.pixels) {
		int cx = (int)lround(ox + e->dx), cy = (int)lround(oy - e->dy);

		blit_bits(pl->stroke, pl, &e->ring, cx, cy, true);
		wm__canvas_over(&pl->color, &e->color, cx, cy);
	}
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
	if (outline <= 0)
		return WM_OK;
	pl->outline = outline;
	if (FT_Stroker_New(ft, &pl->stroker))
		return wm__error(WM_ERR_NO_MEMORY, "FreeType: out of memory");
	FT_Stroker_Set(pl->stroker, (FT_Fixed)lround(outline * 64),
		       FT_STROKER_LINECAP_ROUND, FT_STROKER_LINEJOIN_ROUND, 0);
	return WM_OK;
}

static void planes_free(wm__planes *pl)
{
	for (size_t i = 0; i < pl->cache_cap; i++)
		cached_glyph_free(&pl->cache[i]);
	wm__free(pl->cache);
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
			    draw_glyph(pl, sh->fonts, g->font, g->gid,
				       x0 + g->x, base + i * step - g->y);

			if (s != WM_OK)
				return s;
		}
	}
	return WM_OK;
}

double wm__text_margins(const wm__text_style *st)
{
	return 2 * block_pad(st) + shadow_extra(st) + 1;
}

/* The block's size for `lines` lines, the widest `width` px wide. */
static void block_size(const wm__text_style *st, double width, int lines,
		       double ascent, double descent, double *w, double *h)
{
	double pad = block_pad(st), extra = shadow_extra(st);

	*w = ceil(width + 2 * pad) + extra;
	*h = ceil(ascent + (lines - 1) * st->size * st->line_spacing + descent +
		  2 * pad) +
	     extra;
}

static wm_status render_block(wm__shaper *sh, FT_Library ft, wm__raster *out)
{
	const wm__text_style *st = sh->st;
	const wm__line *last = &sh->lines[sh->line_count - 1];
	double width = block_width(sh), fw, fh;
	wm__planes pl;
	wm_status s;

	block_size(st, width, sh->line_count, sh->lines[0].ascent,
		   last->descent, &fw, &fh);
	if (!(fw < 1e6 && fh < 1e6)) /* also refuses NaN */
		return wm__error(WM_ERR_TOO_LARGE,
				 "text: a block of %.0fx%.0f pixels", fw, fh);
	s = planes_new(&pl, (int)fw, (int)fh, ft, st->outline);
	if (s == WM_OK)
		s = draw_lines(sh, &pl, block_pad(st), width);
	if (s == WM_OK)
		s = wm__canvas_new((int)fw, (int)fh, out);
	if (s == WM_OK)
		compose(&pl, st, out);
	planes_free(&pl);
	return s;
}

/* ---- entry point --------------------------------------------------------- */

static void shaper_free(wm__shaper *sh)
{
	if (!sh)
		return;
	hb_buffer_destroy(sh->buf);
	wm__free(sh->source);
	wm__free(sh->cps);
	wm__free(sh->prefix);
	wm__free(sh->boundary);
	wm__free(sh->levels);
	wm__free(sh->font_of);
	wm__free(sh->script);
	wm__free(sh->runs);
	wm__free(sh->order);
	wm__free(sh->glyphs);
	wm__free(sh->lines);
	wm__free(sh);
}

static wm_status shaper_alloc(wm__shaper *sh, const char *text)
{
	size_t len = strlen(text);
	size_t n = len + 1;

	sh->source = wm__malloc(n);
	sh->cps = wm__calloc(n, sizeof(*sh->cps));
	sh->prefix = wm__calloc(n, sizeof(*sh->prefix));
	sh->boundary = wm__calloc(n, sizeof(*sh->boundary));
	sh->levels = wm__calloc(n, sizeof(*sh->levels));
	sh->font_of = wm__calloc(n, sizeof(*sh->font_of));
	sh->script = wm__calloc(n, sizeof(*sh->script));
	sh->runs = wm__calloc(n, sizeof(*sh->runs));
	sh->order = wm__calloc(n, sizeof(*sh->order));
	sh->buf = hb_buffer_create();
	if (!sh->source || !sh->cps || !sh->prefix || !sh->boundary ||
	    !sh->levels || !sh->font_of || !sh->script || !sh->runs ||
	    !sh->order || !hb_buffer_allocation_successful(sh->buf))
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	memcpy(sh->source, text, n);
	sh->n = clean_text(sh->cps, utf8_decode(text, len, sh->cps));
	return WM_OK;
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
	shaper_free(m->shaped);
	m->shaped = NULL;
	if (!m->fonts)
		return;
	wm__fonts_close(m->fonts);
	wm__free(m->fonts);
	m->fonts = NULL;
}

/* The text shaped with the mark's fonts: kept from the last call when the
 * text is the same, since layout measures and draws it many times. */
static wm_status shaped_text(wm_mark *m, const char *text, wm__shaper **out)
{
	ptrdiff_t bad = wm__utf8_invalid_at(text, strlen(text));
	wm__shaper *sh;
	wm_status s;

	if (bad >= 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "text: invalid UTF-8 at byte %td", bad);
	if (m->shaped && strcmp(m->shaped->source, text) == 0) {
		*out = m->shaped;
		return WM_OK;
	}
	s = ensure_fonts(m);
	if (s != WM_OK)
		return s;
	shaper_free(m->shaped);
	m->shaped = NULL;
	sh = wm__calloc(1, sizeof(*sh));
	if (!sh)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	sh->fonts = m->fonts;
	s = shaper_alloc(sh, text);
	if (s == WM_OK)
		s = assign_fonts(sh);
	if (s == WM_OK)
		s = assign_levels(sh);
	if (s == WM_OK) {
		assign_scripts(sh);
		s = measure_text(sh);
	}
	if (s != WM_OK) {
		shaper_free(sh);
		return s;
	}
	*out = m->shaped = sh;
	return WM_OK;
}

/* Ends a call that used the fonts: a failed FreeType allocation that
 * FreeType or HarfBuzz went on after fails it, and the fonts are closed,
 * since their caches (HarfBuzz's glyph advances) may keep what it spoilt. */
static wm_status fonts_checked(wm_mark *m, wm_status s)
{
	if (!m->fonts || !m->fonts->no_memory)
		return s;
	s = wm__fonts_check(m->fonts);
	wm__fonts_free(m);
	return s;
}

wm_status wm__text_measure(wm_mark *m, const char *text,
			   const wm__text_style *style, double *w, double *h)
{
	wm__shaper *sh;
	wm__extent x = {0, 0, rounding_slack(style->size)};
	double k = style->size / WM__REF_SIZE;
	wm_status s = shaped_text(m, text, &sh);

	if (s == WM_OK)
		s = each_line(sh, style->size, style->max_width, count_line,
			      &x);
	s = fonts_checked(m, s);
	if (s != WM_OK)
		return s;
	/* FreeType rounds a size's ascent and descent up to whole pixels. */
	block_size(style, x.width * k, x.lines, sh->ascent * style->size + 1,
		   sh->descent * style->size + 1, w, h);
	return WM_OK;
}

wm_status wm__text_render(wm_mark *m, const char *text,
			  const wm__text_style *style, wm__raster *out)
{
	wm__shaper *sh;
	wm_status s;

	memset(out, 0, sizeof(*out));
	s = shaped_text(m, text, &sh);
	if (s != WM_OK)
		return fonts_checked(m, s);
	sh->st = style;
	sh->glyph_count = 0;
	sh->line_count = 0;
	s = set_sizes(sh, style->size);
	if (s == WM_OK)
		s = each_line(sh, style->size, style->max_width, draw_line,
			      NULL);
	if (s == WM_OK)
		s = render_block(sh, m->fonts->ft, out);
	sh->st = NULL;
	s = fonts_checked(m, s);
	if (s != WM_OK)
		wm__canvas_free(out);
	return s;
}
