/* The mark object: options and the public setters. */
#include <string.h>

#include "mark_internal.h"

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
	*out = m;
	return WM_OK;
}

void wm_mark_free(wm_mark *m)
{
	if (!m)
		return;
	wm__mark_cache_destroy(m);
	wm__options_free(&m->opts);
	wm__free(m);
}

const wm__options *wm__mark_options(const wm_mark *m)
{
	return &m->opts;
}

const char *wm__mark_disclosure(const wm_mark *m)
{
	const char *d = wm__opt_str(&m->opts, WM_OPT_DISCLOSURE);

	return d[0] ? d : wm__opt_str(&m->opts, WM_OPT_TEXT);
}

/* A changed option makes every cached rendering stale. */
static wm_status after_set(wm_mark *m, wm_status s)
{
	if (s == WM_OK)
		wm__mark_cache_clear(m);
	return s;
}

#define CHECK_MARK(m)                                                          \
	do {                                                                   \
		if (!(m))                                                      \
			return wm__error(WM_ERR_INVALID_ARGUMENT,              \
					 "%s: NULL mark", __func__);           \
	} while (0)

wm_status wm_mark_set_int(wm_mark *m, wm_option id, int64_t value)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set_int(&m->opts, id, value));
}

wm_status wm_mark_set_double(wm_mark *m, wm_option id, double value)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set_double(&m->opts, id, value));
}

wm_status wm_mark_set_string(wm_mark *m, wm_option id, const char *value)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set_string(&m->opts, id, value));
}

wm_status wm_mark_set_color(wm_mark *m, wm_option id, uint32_t rgba)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set_color(&m->opts, id, rgba));
}

wm_status wm_mark_set_length(wm_mark *m, wm_option id, double value,
			     wm_unit unit)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set_length(&m->opts, id, value, unit));
}

wm_status wm_mark_set(wm_mark *m, const char *name, const char *value)
{
	CHECK_MARK(m);
	return after_set(m, wm__options_set(&m->opts, name, value));
}

wm_status wm_mark_get(const wm_mark *m, const char *name, char *buf,
		      size_t buf_size)
{
	CHECK_MARK(m);
	return wm__options_get(&m->opts, name, buf, buf_size);
}
