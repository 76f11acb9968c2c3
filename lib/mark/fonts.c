/*
 * Fonts of a mark: the chosen face (the embedded DejaVu Sans Bold, a file,
 * or a fontconfig name) and the installed faces found through fontconfig
 * for characters it lacks (CJK, emoji...). Faces stay loaded with the mark
 * until an option changes, so text is never re-loaded per frame.
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fontconfig/fontconfig.h>

#include "fonts.h"
#include FT_MODULE_H

extern const unsigned char wm__embedded_font[];
extern const size_t wm__embedded_font_size;

static wm_status fonts_grow(wm__fonts *f)
{
	wm__font *list;
	int cap = f->cap ? f->cap * 2 : 4;

	if (f->count < f->cap)
		return WM_OK;
	list = wm__realloc(f->list, (size_t)cap * sizeof(*list));
	if (!list)
		return wm__error(WM_ERR_NO_MEMORY, "fonts: out of memory");
	f->list = list;
	f->cap = cap;
	return WM_OK;
}

/* Takes ownership of `face`. */
static wm_status fonts_add(wm__fonts *f, FT_Face face, const char *file,
			   int index)
{
	wm__font *font;
	wm_status s = fonts_grow(f);

	if (s != WM_OK) {
		FT_Done_Face(face);
		return s;
	}
	font = &f->list[f->count];
	memset(font, 0, sizeof(*font));
	font->face = face;
	font->index = index;
	if (file) {
		font->file = wm__strdup(file);
		if (!font->file) {
			FT_Done_Face(face);
			return wm__error(WM_ERR_NO_MEMORY,
					 "fonts: out of memory");
		}
	}
	f->count++;
	return WM_OK;
}

static wm_status open_file(wm__fonts *f, const char *file, int index,
			   const char *what)
{
	FT_Face face;
	FT_Error e;

	if (access(file, R_OK) != 0)
		return wm__error(WM_ERR_NOT_FOUND, "font '%s': no such file",
				 what);
	e = FT_New_Face(f->ft, file, index, &face);
	if (e && f->no_memory)
		return wm__fonts_check(f);
	if (e)
		return wm__error(WM_ERR_UNSUPPORTED,
				 "font '%s': not a font FreeType can read "
				 "(FreeType error %d)",
				 what, e);
	return fonts_add(f, face, file, index);
}

/* Generic family names fontconfig resolves to whatever is configured. */
static bool is_generic_family(const char *family)
{
	static const char *names[] = {"sans-serif", "sans",    "serif",
				      "monospace",  "mono",    "emoji",
				      "system-ui",  "cursive", "fantasy"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(family, names[i]) == 0)
			return true;
	return false;
}

/* Whether the matched pattern carries the requested family under any of
 * its (possibly localised) names. */
static bool family_matches(FcPattern *want, FcPattern *got)
{
	FcChar8 *asked, *name;

	if (FcPatternGetString(want, FC_FAMILY, 0, &asked) != FcResultMatch)
		return true;
	if (is_generic_family((const char *)asked))
		return true;
	for (int i = 0;
	     FcPatternGetString(got, FC_FAMILY, i, &name) == FcResultMatch; i++)
		if (strcasecmp((const char *)asked, (const char *)name) == 0)
			return true;
	return false;
}

static wm_status open_fontconfig(wm__fonts *f, const char *name)
{
	FcPattern *want = FcNameParse((const FcChar8 *)name), *got = NULL;
	FcResult res;
	FcChar8 *file;
	int index = 0;
	wm_status s;

	if (!want)
		return wm__error(WM_ERR_BAD_VALUE,
				 "font '%s': not a file and not a fontconfig "
				 "pattern",
				 name);
	FcConfigSubstitute(NULL, want, FcMatchPattern);
	FcDefaultSubstitute(want);
	got = FcFontMatch(NULL, want, &res);
	if (!got || !family_matches(want, got) ||
	    FcPatternGetString(got, FC_FILE, 0, &file) != FcResultMatch) {
		s = wm__error(WM_ERR_NOT_FOUND,
			      "font '%s': no such file and no installed font "
			      "of that name",
			      name);
	} else {
		FcPatternGetInteger(got, FC_INDEX, 0, &index);
		s = open_file(f, (const char *)file, index, name);
	}
	if (got)
		FcPatternDestroy(got);
	FcPatternDestroy(want);
	return s;
}

static void *ft_alloc(FT_Memory mem, long size)
{
	void *p = wm__malloc((size_t)size);

	if (!p)
		((wm__fonts *)mem->user)->no_memory = true;
	return p;
}

static void *ft_realloc(FT_Memory mem, long cur_size, long size, void *block)
{
	void *p = wm__realloc(block, (size_t)size);

	(void)cur_size;
	if (!p)
		((wm__fonts *)mem->user)->no_memory = true;
	return p;
}

static void ft_free(FT_Memory mem, void *block)
{
	(void)mem;
	wm__free(block);
}

/* A FreeType library of the mark's own that allocates through the
 * library's allocator (FT_Init_FreeType would use malloc), with the
 * modules and properties FT_Init_FreeType would give it. */
static wm_status start_freetype(wm__fonts *f)
{
	f->mem = wm__calloc(1, sizeof(*f->mem));
	if (!f->mem)
		return wm__error(WM_ERR_NO_MEMORY, "fonts: out of memory");
	f->mem->user = f;
	f->mem->alloc = ft_alloc;
	f->mem->realloc = ft_realloc;
	f->mem->free = ft_free;
	if (FT_New_Library(f->mem, &f->ft)) {
		f->ft = NULL;
		return wm__error(WM_ERR_NO_MEMORY, "FreeType: out of memory");
	}

	/* Adding a module fails only for lack of memory, and silently. */
	FT_Add_Default_Modules(f->ft);
	FT_Set_Default_Properties(f->ft);
	return wm__fonts_check(f);
}

wm_status wm__fonts_check(const wm__fonts *f)
{
	if (f->no_memory)
		return wm__error(WM_ERR_NO_MEMORY, "FreeType: out of memory");
	return WM_OK;
}

wm_status wm__fonts_open(wm__fonts *f, const char *name)
{
	FT_Face face;
	FT_Error e;
	wm_status s;

	if (!f->ft) {
		s = start_freetype(f);
		if (s != WM_OK)
			return s;
	}
	if (!name[0]) {
		e = FT_New_Memory_Face(f->ft, wm__embedded_font,
				       (FT_Long)wm__embedded_font_size, 0,
				       &face);
		if (e && f->no_memory)
			return wm__fonts_check(f);
		if (e)
			return wm__error(WM_ERR_INTERNAL,
					 "embedded font: FreeType cannot read "
					 "it");
		return fonts_add(f, face, NULL, 0);
	}
	if (strchr(name, '/') || access(name, F_OK) == 0)
		return open_file(f, name, 0, name);
	return open_fontconfig(f, name);
}

void wm__fonts_close(wm__fonts *f)
{
	for (int i = 0; i < f->count; i++) {
		if (f->list[i].hb)
			hb_font_destroy(f->list[i].hb);
		FT_Done_Face(f->list[i].face);
		wm__free(f->list[i].file);
	}
	wm__free(f->list);
	wm__free(f->absent);
	if (f->ft)
		FT_Done_Library(f->ft);
	wm__free(f->mem);
	memset(f, 0, sizeof(*f));
}

/* ---- sizes --------------------------------------------------------------- */

/* Picks the bitmap strike closest to `px`, preferring larger ones (scaling
 * down looks better than scaling up). */
static int best_strike(FT_Face face, double px)
{
	int best = 0;
	double best_cost = 1e30;

	for (int i = 0; i < face->num_fixed_sizes; i++) {
		double ppem = face->available_sizes[i].y_ppem / 64.0;
		double cost = ppem >= px ? ppem - px : (px - ppem) * 4;

		if (cost < best_cost) {
			best_cost = cost;
			best = i;
		}
	}
	return best;
}

wm_status wm__font_set_size(wm__font *font, double px)
{
	FT_Face face = font->face;
	int flags = FT_LOAD_NO_HINTING;

	if (font->px == px && font->hb)
		return WM_OK;
	if (FT_IS_SCALABLE(face)) {
		if (FT_Set_Char_Size(face, 0, (FT_F26Dot6)(px * 64 + 0.5), 72,
				     72))
			return wm__error(WM_ERR_UNSUPPORTED,
					 "font: cannot set size %g", px);
		font->scale = 1.0;
	} else if (face->num_fixed_sizes > 0) {
		int strike = best_strike(face, px);

		if (FT_Select_Size(face, strike))
			return wm__error(
			    WM_ERR_UNSUPPORTED,
			    "font: cannot select its bitmap strike");
		font->scale =
		    px / (face->available_sizes[strike].y_ppem / 64.0);
	} else {
		return wm__error(WM_ERR_UNSUPPORTED,
				 "font: neither scalable nor bitmap");
	}
	if (FT_HAS_COLOR(face))
		flags |= FT_LOAD_COLOR;
	if (font->hb)
		hb_font_destroy(font->hb);
	font->hb = hb_ft_font_create_referenced(face);
	if (!font->hb)
		return wm__error(WM_ERR_NO_MEMORY, "HarfBuzz: out of memory");
	hb_ft_font_set_load_flags(font->hb, flags);
	font->px = px;
	return WM_OK;
}

/* ---- fallback ------------------------------------------------------------ */

static bool is_absent(const wm__fonts *f, uint32_t cp)
{
	for (int i = 0; i < f->absent_count; i++)
		if (f->absent[i] == cp)
			return true;
	return false;
}

static void remember_absent(wm__fonts *f, uint32_t cp)
{
	uint32_t *a;

	if (f->absent_count == f->absent_cap) {
		int cap = f->absent_cap ? f->absent_cap * 2 : 8;

		a = wm__realloc(f->absent, (size_t)cap * sizeof(*a));
		if (!a)
			return; /* only a cache: searching again is correct */
		f->absent = a;
		f->absent_cap = cap;
	}
	f->absent[f->absent_count++] = cp;
}

static int find_loaded(const wm__fonts *f, const char *file, int index)
{
	for (int i = 0; i < f->count; i++)
		if (f->list[i].file && f->list[i].index == index &&
		    strcmp(f->list[i].file, file) == 0)
			return i;
	return -1;
}

/* Loads the first font of a fontconfig sort that has `cp`. */
static int load_from_set(wm__fonts *f, FcFontSet *set, uint32_t cp)
{
	for (int i = 0; set && i < set->nfont; i++) {
		FcCharSet *cs;
		FcChar8 *file;
		int index = 0, k;
		FT_Face face;

		if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &cs) !=
			FcResultMatch ||
		    !FcCharSetHasChar(cs, cp) ||
		    FcPatternGetString(set->fonts[i], FC_FILE, 0, &file) !=
			FcResultMatch)
			continue;
		FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &index);
		k = find_loaded(f, (const char *)file, index);
		if (k >= 0)
			return FT_Get_Char_Index(f->list[k].face, cp) ? k : -1;
		if (FT_New_Face(f->ft, (const char *)file, index, &face))
			continue;
		if (!FT_Get_Char_Index(face, cp)) {
			FT_Done_Face(face);
			continue;
		}
		if (fonts_add(f, face, (const char *)file, index) != WM_OK)
			return -1;
		return f->count - 1;
	}
	return -1;
}

int wm__fonts_fallback(wm__fonts *f, uint32_t cp, bool bold, bool color)
{
	FcPattern *p;
	FcCharSet *cs;
	FcFontSet *set;
	FcResult res;
	int k = -1;

	if (!color && is_absent(f, cp))
		return -1;
	p = FcPatternCreate();
	cs = FcCharSetCreate();
	if (p && cs && FcCharSetAddChar(cs, cp)) {
		FcPatternAddCharSet(p, FC_CHARSET, cs);
		if (bold)
			FcPatternAddInteger(p, FC_WEIGHT, FC_WEIGHT_BOLD);
		if (color)
			FcPatternAddBool(p, FC_COLOR, FcTrue);
		FcConfigSubstitute(NULL, p, FcMatchPattern);
		FcDefaultSubstitute(p);
		set = FcFontSort(NULL, p, FcFalse, NULL, &res);
		k = load_from_set(f, set, cp);
		if (set)
			FcFontSetDestroy(set);
	}
	if (cs)
		FcCharSetDestroy(cs);
	if (p)
		FcPatternDestroy(p);
	if (color && k >= 0 && !FT_HAS_COLOR(f->list[k].face))
		k = -1;
	if (k < 0 && !color)
		remember_absent(f, cp);
	return k;
}
