/* Private to lib/mark: loaded font faces and fontconfig fallback. */
#ifndef WM_MARK_FONTS_H
#define WM_MARK_FONTS_H

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ft.h>
#include <hb.h>

#include "mark_internal.h"

typedef struct wm__font {
	FT_Face face;
	char *file;   /* NULL for the embedded font */
	int index;    /* face index in the file */
	double px;    /* size the face and `hb` are set to */
	double scale; /* bitmap strikes: wanted size / strike size, else 1 */
	hb_font_t *hb;
} wm__font;

struct wm__fonts {
	FT_Library ft;
	FT_Memory mem;	/* FreeType's allocator (ours), kept while ft is */
	bool no_memory; /* an allocation of FreeType's failed */
	wm__font *list; /* list[0] is the chosen font, then fallbacks */
	int count;
	int cap;
	uint32_t *absent; /* code points no installed font has */
	int absent_count;
	int absent_cap;
};

/* Opens the chosen font: "" is the embedded one, else a file or a
 * fontconfig name. It becomes list[0]. */
wm_status wm__fonts_open(wm__fonts *f, const char *name);
void wm__fonts_close(wm__fonts *f);

/* NO_MEMORY, with a message, when an allocation of FreeType's failed
 * since the fonts were opened. FreeType and HarfBuzz's FreeType functions
 * sometimes go on after one (a glyph without advance or outline, a
 * fallback font not loaded), so callers check after their work and close
 * the fonts, whose caches may hold such results. */
wm_status wm__fonts_check(const wm__fonts *f);

/* Sets a face to `px` pixels (selecting and scaling a bitmap strike for
 * fonts that have no outlines) and makes its HarfBuzz font. */
wm_status wm__font_set_size(wm__font *font, double px);

/* Finds and loads an installed font that has `cp` (a colour font when
 * `color` is set); returns its index in the list, or -1 when none has. */
int wm__fonts_fallback(wm__fonts *f, uint32_t cp, bool bold, bool color);

#endif /* WM_MARK_FONTS_H */
