/* The mark object: options and the public setters. */
#include <string.h>

#include "mark_internal.h"

/* The text option as drawn, for the metadata: \n read as a newline and \\
 * as a backslash, tabs as spaces, other C0 and C1 controls dropped (they
 * would also make the XMP packet invalid XML). Same rules as the drawing
 * in text.c, on bytes: C1 controls are U+0080..U+009F, 0xc2 0x80..0x9f. */
static wm_status update_shown(wm_mark *m)
{
	const unsigned char *t =
	    (const unsigned char *)wm__opt_str(&m->opts, WM_OPT_TEXT);
	char *out = wm__malloc(strlen((const char *)t) + 1);
	size_t k = 0;

	if (!out)
		return wm__error(WM_ERR_NO_MEMORY, "text: out of memory");
	for (size_t i = 0; t[i]; i++) {
		unsigned c = t[i];

		if (c == 0xc2 && t[i + 1] >= 0x80 && t[i + 1] <= 0x9f) {
			i++; /* a C1 control: both bytes go */
			continue;
		}
		if (c == '\\' && (t[i + 1] == 'n' || t[i + 1] == '\\'))
			c = t[++i] == 'n' ? '\n' : '\\';
		else if (c == '\t')
			c = ' ';
		else if (c != '\n' && (c < 0x20 || c == 0x7f))
			continue;
		out[k++] = (char)c;
	}
	out[k] = 0;
	wm__free(m->shown);
	m->shown = out;
	return WM_OK;
}

wm_status wm_mark_new(wm_mark **out)
{
	wm_mark *m;
	wm_status s;

	if (!out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_new: NULL argument");
	*out = NULL;
	m = wm__calloc(1, sizeof(*m));
	if (!m)
		return wm__error(WM_ERR_NO_MEMORY,
				 "wm_mark_new: out of memory");
	s = wm__options_init(&m->opts);
	if (s != WM_OK) {
		wm__free(m);
		return s;
	}
	s = wm__mark_cache_init(m);
	if (s != WM_OK) {
		wm__options_free(&m->opts);
		wm__free(m);
		return s;
	}
	s = update_shown(m);
	if (s != WM_OK) {
		wm_mark_free(m);
		return s;
	}
	*out = m;
	return WM_OK;
}

void wm_mark_free(wm_mark *m)
{
	if (!m)
		return;
	wm__mark_cache_destroy(m);
	wm__options_free(&m->opts);
	wm__free(m->shown);
	wm__free(m);
}

const wm__options *wm__mark_options(const wm_mark *m)
{
	return &m->opts;
}

const char *wm__mark_disclosure(const wm_mark *m)
{
	const char *d = wm__opt_str(&m->opts, WM_OPT_DISCLOSURE);

	if (d[0])
		return d;
	return m->shown ? m->shown : wm__opt_str(&m->opts, WM_OPT_TEXT);
}

/* Whether the saved option is string option `id` and the mark's value of
 * it now differs. */
static bool changed(const wm_mark *m, const wm__saved_option *old,
		    wm_option id)
{
	return old->def && old->id == id &&
	       strcmp(old->v.s, wm__opt_str(&m->opts, id)) != 0;
}

/*
 * A changed option makes every cached rendering stale. If the text shown
 * cannot be refreshed the option goes back to the value saved before the
 * change (a setter changes no other), so a failed set leaves the mark as
 * it was.
 */
static wm_status after_set(wm_mark *m, wm__saved_option *old, wm_status s)
{
	if (s == WM_OK) {
		/* The fonts, and the text shaped with them, depend on the font
		 * option alone: a mark whose size or position changes from one
		 * picture to the next keeps them loaded. */
		wm__mark_cache_clear(m, changed(m, old, WM_OPT_FONT));
		if (changed(m, old, WM_OPT_TEXT))
			s = update_shown(m);
		if (s != WM_OK) {
			wm__options_restore(&m->opts, old);
			return s;
		}
	}
	wm__options_forget(old);
	return s;
}

#define CHECK_MARK(m)                                                          \
	do {                                                                   \
		if (!(m))                                                      \
			return wm__error(WM_ERR_INVALID_ARGUMENT,              \
					 "%s: NULL mark", __func__);           \
	} while (0)

/* Runs the setter `call` of option `id` with the rollback of after_set. */
#define SET_OPTION(m, id, call)                                                \
	do {                                                                   \
		wm__saved_option old_;                                         \
		wm_status s_;                                                  \
									       \
		CHECK_MARK(m);                                                 \
		s_ = wm__options_save(&(m)->opts, (id), &old_);                \
		if (s_ != WM_OK)                                               \
			return s_;                                             \
		return after_set(m, &old_, call);                              \
	} while (0)

wm_status wm_mark_set_int(wm_mark *m, wm_option id, int64_t value)
{
	SET_OPTION(m, id, wm__options_set_int(&m->opts, id, value));
}

wm_status wm_mark_set_double(wm_mark *m, wm_option id, double value)
{
	SET_OPTION(m, id, wm__options_set_double(&m->opts, id, value));
}

wm_status wm_mark_set_string(wm_mark *m, wm_option id, const char *value)
{
	SET_OPTION(m, id, wm__options_set_string(&m->opts, id, value));
}

wm_status wm_mark_set_color(wm_mark *m, wm_option id, uint32_t rgba)
{
	SET_OPTION(m, id, wm__options_set_color(&m->opts, id, rgba));
}

wm_status wm_mark_set_length(wm_mark *m, wm_option id, double value,
			     wm_unit unit)
{
	SET_OPTION(m, id, wm__options_set_length(&m->opts, id, value, unit));
}

wm_status wm_mark_set(wm_mark *m, const char *name, const char *value)
{
	SET_OPTION(m, wm__options_id_of(name, value),
		   wm__options_set(&m->opts, name, value));
}

wm_status wm_mark_get(const wm_mark *m, const char *name, char *buf,
		      size_t buf_size)
{
	CHECK_MARK(m);
	return wm__options_get(&m->opts, name, buf, buf_size);
}
