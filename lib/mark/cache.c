/*
 * The cache of marks rendered per frame geometry and colour space, and the
 * calls that use it: wm_mark_apply and frame sessions.
 *
 * Entries are reference counted: an entry evicted (least recently used
 * first, beyond WM__CACHE_MAX) or dropped while a thread still composites
 * with it is only unlinked, and freed by the last release. Rendering runs
 * outside the cache lock, so threads marking frames of sizes already
 * cached never wait for a new size being rendered.
 */
#include <math.h>
#include <string.h>

#include "mark_internal.h"

#define WM__CACHE_MAX 16

typedef struct wm__cache_key {
	int width;
	int height;
	int orientation;
	int format;
	int matrix;
	int range;
	int transfer;
	int alpha;
	int sar_num;
	int sar_den;
	uint64_t filter;
} wm__cache_key;

struct wm__cache_entry {
	wm__prepared prepared; /* first: callers hold a pointer to it */
	wm__cache_key key;
	wm__placement *items;
	int refs; /* users plus one while linked in the list */
	bool linked;
	wm__cache_entry *prev;
	wm__cache_entry *next;
};

wm_status wm__mark_cache_init(wm_mark *m)
{
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		return wm__error(WM_ERR_NO_MEMORY, "cannot create a mutex");
	if (pthread_mutex_init(&m->render_lock, NULL) != 0) {
		pthread_mutex_destroy(&m->lock);
		return wm__error(WM_ERR_NO_MEMORY, "cannot create a mutex");
	}
	m->entries = NULL;
	m->entry_count = 0;
	return WM_OK;
}

static void entry_free(wm__cache_entry *e)
{
	for (int i = 0; i < e->prepared.count; i++)
		wm__layer_free(e->items[i].layer);
	wm__free(e->items);
	wm__free(e);
}

/* With m->lock held: unlinks `e` and drops the list's reference. */
static void entry_unlink(wm_mark *m, wm__cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		m->entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->linked = false;
	m->entry_count--;
	if (--e->refs == 0)
		entry_free(e);
}

void wm__mark_cache_clear(wm_mark *m, bool fonts)
{
	pthread_mutex_lock(&m->lock);
	while (m->entries)
		entry_unlink(m, m->entries);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_lock(&m->render_lock);
	if (fonts)
		wm__fonts_free(m);
	wm__canvas_free(&m->logo);
	pthread_mutex_unlock(&m->render_lock);
}

void wm__mark_cache_destroy(wm_mark *m)
{
	wm__mark_cache_clear(m, true);
	pthread_mutex_destroy(&m->render_lock);
	pthread_mutex_destroy(&m->lock);
}

/* ---- keys ---------------------------------------------------------------- */

static void make_key(const wm_frame *f, const wm__raster_filter *filter,
		     wm__cache_key *k)
{
	bool square =
	    f->sar_num <= 0 || f->sar_den <= 0 || f->sar_num == f->sar_den;

	memset(k, 0, sizeof(*k));
	k->width = f->width;
	k->height = f->height;
	k->orientation = f->orientation ? (int)f->orientation : 1;
	k->format = (int)f->format;
	k->matrix = (int)wm__frame_matrix(f);
	k->range = (int)f->range;
	k->transfer = (int)f->transfer;
	k->alpha = (int)f->alpha;
	k->sar_num = square ? 1 : f->sar_num;
	k->sar_den = square ? 1 : f->sar_den;
	k->filter = filter ? filter->key : 0;
}

static bool key_equal(const wm__cache_key *a, const wm__cache_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* With m->lock held: finds an entry, moves it to the front and takes a
 * reference. */
static wm__cache_entry *lookup(wm_mark *m, const wm__cache_key *k)
{
	wm__cache_entry *e;

	for (e = m->entries; e; e = e->next)
		if (key_equal(&e->key, k))
			break;
	if (!e)
		return NULL;
	if (e != m->entries) {
		e->prev->next = e->next;
		if (e->next)
			e->next->prev = e->prev;
		e->prev = NULL;
		e->next = m->entries;
		m->entries->prev = e;
		m->entries = e;
	}
	e->refs++;
	return e;
}

/* With m->lock held: links a new entry at the front and evicts the least
 * recently used entries beyond the bound. */
static void insert(wm_mark *m, wm__cache_entry *e)
{
	wm__cache_entry *last;

	e->next = m->entries;
	if (m->entries)
		m->entries->prev = e;
	m->entries = e;
	e->linked = true;
	e->refs++;
	m->entry_count++;
	while (m->entry_count > WM__CACHE_MAX) {
		for (last = m->entries; last->next; last = last->next)
			;
		entry_unlink(m, last);
	}
}

/* ---- rendering an entry -------------------------------------------------- */

static bool overlaps(int x, int y, int w, int h, const wm_frame *f)
{
	return x < f->width && y < f->height && x + w > 0 && y + h > 0;
}

static wm_status make_layers(wm__cache_entry *e, const wm__layout *l,
			     const wm_frame *tmpl)
{
	const wm__raster *r = &l->raster;
	wm_status s;

	e->items = wm__calloc((size_t)l->count, sizeof(*e->items));
	if (!e->items)
		return wm__error(WM_ERR_NO_MEMORY, "mark: out of memory");
	e->prepared.top = tmpl->height;
	e->prepared.bottom = 0;
	for (int i = 0; i < l->count; i++) {
		int x = l->xy[2 * i], y = l->xy[2 * i + 1];
		wm__placement *p = &e->items[e->prepared.count];

		if (!overlaps(x, y, r->width, r->height, tmpl))
			continue;
		s = wm__layer_new(r, tmpl, x, y, &p->layer);
		if (s != WM_OK)
			return s;
		*p = (wm__placement){p->layer, x, y, r->width, r->height};
		e->prepared.count++;
		e->prepared.top = y < e->prepared.top ? y : e->prepared.top;
		if (y + r->height > e->prepared.bottom)
			e->prepared.bottom = y + r->height;
	}
	e->prepared.top = e->prepared.top < 0 ? 0 : e->prepared.top;
	if (e->prepared.bottom > tmpl->height)
		e->prepared.bottom = tmpl->height;
	if (e->prepared.top > e->prepared.bottom)
		e->prepared.top = e->prepared.bottom;
	return WM_OK;
}

static wm_status render_entry(wm_mark *m, const wm_frame *tmpl,
			      const wm__raster_filter *filter,
			      wm__cache_entry **out)
{
	wm__layout l;
	wm__cache_entry *e = wm__calloc(1, sizeof(*e));
	wm_status s;

	if (!e)
		return wm__error(WM_ERR_NO_MEMORY, "mark: out of memory");
	pthread_mutex_lock(&m->render_lock);
	s = wm__layout_render(m, tmpl, &l);
	pthread_mutex_unlock(&m->render_lock);
	if (s == WM_OK && filter && filter->apply)
		s = filter->apply(filter->user, &l.raster);
	if (s == WM_OK) {
		e->prepared.has_color = wm__canvas_has_color(&l.raster);
		s = make_layers(e, &l, tmpl);
	}
	wm__layout_free(&l);
	if (s != WM_OK) {
		entry_free(e);
		return s;
	}
	e->prepared.items = e->items;
	*out = e;
	return WM_OK;
}

/* ---- acquire and release ------------------------------------------------- */

/* A mark that ends before it starts would never show while the file's
 * metadata announces it, so it is refused (each option alone is valid,
 * hence the check here, where both are known). */
static wm_status check_times(const wm_mark *m)
{
	double start = wm__opt_double(&m->opts, WM_OPT_START);
	double end = wm__opt_double(&m->opts, WM_OPT_END);

	if (end >= 0 && end < start)
		return wm__error(WM_ERR_BAD_VALUE,
				 "end (%g s) is before start (%g s)", end,
				 start);
	if (end >= 0 && end == start)
		return wm__error(WM_ERR_BAD_VALUE,
				 "end (%g s) is start (%g s): the mark would "
				 "never show",
				 end, start);
	return WM_OK;
}

wm_status wm__mark_acquire(wm_mark *m, const wm_frame *tmpl,
			   const wm__raster_filter *filter,
			   const wm__prepared **out)
{
	wm__cache_key k;
	wm__cache_entry *e, *found;
	wm_status s;

	if (!m || !tmpl || !out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "mark: NULL argument");
	if (tmpl->width < 1 || tmpl->height < 1 || tmpl->orientation > 8)
		return wm__error(
		    WM_ERR_INVALID_ARGUMENT,
		    "mark: bad frame geometry %dx%d orientation %d",
		    tmpl->width, tmpl->height, (int)tmpl->orientation);
	s = check_times(m);
	if (s != WM_OK)
		return s;
	make_key(tmpl, filter, &k);
	pthread_mutex_lock(&m->lock);
	e = lookup(m, &k);
	pthread_mutex_unlock(&m->lock);
	if (e) {
		*out = &e->prepared;
		return WM_OK;
	}
	s = render_entry(m, tmpl, filter, &e);
	if (s != WM_OK)
		return s;
	e->key = k;
	e->refs = 1;
	pthread_mutex_lock(&m->lock);
	found = lookup(m, &k); /* another thread may have rendered it too */
	if (!found)
		insert(m, e);
	pthread_mutex_unlock(&m->lock);
	if (found) {
		entry_free(e);
		e = found;
	}
	*out = &e->prepared;
	return WM_OK;
}

void wm__mark_release(wm_mark *m, const wm__prepared *p)
{
	wm__cache_entry *e = (wm__cache_entry *)p;

	if (!m || !p)
		return;
	pthread_mutex_lock(&m->lock);
	if (--e->refs == 0)
		entry_free(e);
	pthread_mutex_unlock(&m->lock);
}

/* ---- time ---------------------------------------------------------------- */

unsigned wm__mark_alpha_at(const wm_mark *m, double t)
{
	const wm__options *o = &m->opts;
	double start = wm__opt_double(o, WM_OPT_START);
	double end = wm__opt_double(o, WM_OPT_END);
	double in = wm__opt_double(o, WM_OPT_FADE_IN);
	double fade_out = wm__opt_double(o, WM_OPT_FADE_OUT);
	double a = 1.0;

	if (!isfinite(t) || t < start || (end >= 0 && t >= end))
		return 0;
	if (in > 0)
		a = fmin(a, (t - start) / in);
	if (fade_out > 0 && end >= 0)
		a = fmin(a, (end - t) / fade_out);
	return (unsigned)lround(fmax(0.0, fmin(1.0, a)) * 255.0);
}

/* ---- public calls -------------------------------------------------------- */

static void apply_prepared(const wm__prepared *p, const wm_frame *f,
			   unsigned alpha)
{
	for (int i = 0; i < p->count; i++)
		wm__layer_apply(p->items[i].layer, f, 0, alpha);
}

/* Copies the members of a caller's frame that its size covers. */
static wm_status copy_frame(const wm_frame *src, wm_frame *dst)
{
	size_t n;

	if (!src || src->size < offsetof(wm_frame, orientation))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: size field not set");
	n = src->size < sizeof(*dst) ? src->size : sizeof(*dst);
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, n);
	dst->size = sizeof(*dst);
	return WM_OK;
}

/*
 * The caller's frame may end right after the planes and strides, so it is
 * normalised into a full local copy before anything reads the members after
 * them (orientation, transfer, aspect ratio).
 */
wm_status wm_mark_apply(wm_mark *m, const wm_frame *frame, double time)
{
	const wm__prepared *p;
	unsigned alpha;
	wm_frame f;
	wm_status s;

	if (!m)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_apply: NULL mark");
	s = wm__frame_check(frame);
	if (s == WM_OK)
		s = copy_frame(frame, &f);
	if (s != WM_OK)
		return s;
	/* Checked before the time: such a mark is wrong at every time. */
	s = check_times(m);
	if (s != WM_OK)
		return s;
	alpha = wm__mark_alpha_at(m, time);
	if (alpha == 0)
		return WM_OK;
	s = wm__mark_acquire(m, &f, NULL, &p);
	if (s != WM_OK)
		return s;
	apply_prepared(p, &f, alpha);
	wm__mark_release(m, p);
	return WM_OK;
}

struct wm_session {
	wm_mark *mark;
	wm_frame tmpl;
	const wm__prepared *prepared;
};

wm_status wm_session_new(wm_mark *m, const wm_frame *tmpl, wm_session **out)
{
	wm_session *ss;
	wm_status s;

	if (!m || !tmpl || !out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_session_new: NULL argument");
	*out = NULL;
	ss = wm__calloc(1, sizeof(*ss));
	if (!ss)
		return wm__error(WM_ERR_NO_MEMORY,
				 "wm_session_new: out of memory");
	s = copy_frame(tmpl, &ss->tmpl);
	if (s == WM_OK)
		s = wm__mark_acquire(m, &ss->tmpl, NULL, &ss->prepared);
	if (s != WM_OK) {
		wm__free(ss);
		return s;
	}
	ss->mark = m;
	*out = ss;
	return WM_OK;
}

/*
 * A session's prepared mark was laid out for its template, so a frame must
 * match everything the cache key holds (size, format, colour, orientation,
 * aspect ratio), not just the size and format.
 */
static bool same_layout(const wm_frame *a, const wm_frame *b)
{
	wm__cache_key ka, kb;

	make_key(a, NULL, &ka);
	make_key(b, NULL, &kb);
	return key_equal(&ka, &kb);
}

wm_status wm_session_apply(wm_session *ss, const wm_frame *frame, double time)
{
	wm_frame f;
	unsigned alpha;
	wm_status s;

	if (!ss)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_session_apply: NULL session");
	s = wm__frame_check(frame);
	if (s == WM_OK)
		s = copy_frame(frame, &f);
	if (s != WM_OK)
		return s;
	if (!same_layout(&f, &ss->tmpl))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_session_apply: frame %dx%d format %d does "
				 "not match the session's %dx%d format %d (or "
				 "colour, orientation or aspect ratio differ)",
				 f.width, f.height, (int)f.format,
				 ss->tmpl.width, ss->tmpl.height,
				 (int)ss->tmpl.format);
	alpha = wm__mark_alpha_at(ss->mark, time);
	if (alpha)
		apply_prepared(ss->prepared, &f, alpha);
	return WM_OK;
}

void wm_session_free(wm_session *ss)
{
	if (!ss)
		return;
	wm__mark_release(ss->mark, ss->prepared);
	wm__free(ss);
}
