/* Private to lib/mark: the mark object and its cache. */
#ifndef WM_MARK_INTERNAL_H
#define WM_MARK_INTERNAL_H

#include <pthread.h>

#include "mark.h"

typedef struct wm__cache_entry wm__cache_entry;

struct wm_mark {
	wm__options opts;
	pthread_mutex_t lock;     /* guards the cache */
	wm__cache_entry *entries; /* most recently used first */
	int entry_count;
};

wm_status wm__mark_cache_init(wm_mark *m);
void wm__mark_cache_destroy(wm_mark *m);

/* Drops every cached rendering not in use (called after an option changes,
 * which the thread-safety rules forbid while the mark is in use). */
void wm__mark_cache_clear(wm_mark *m);

#endif /* WM_MARK_INTERNAL_H */
