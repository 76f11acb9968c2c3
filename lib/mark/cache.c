/* The cache of marks rendered per frame geometry and colour space. */
#include "mark_internal.h"

wm_status wm__mark_cache_init(wm_mark *m)
{
	if (pthread_mutex_init(&m->lock, NULL) != 0)
		return wm__error(WM_ERR_NO_MEMORY, "cannot create a mutex");
	m->entries = NULL;
	m->entry_count = 0;
	return WM_OK;
}

void wm__mark_cache_clear(wm_mark *m)
{
	(void)m;
}

void wm__mark_cache_destroy(wm_mark *m)
{
	wm__mark_cache_clear(m);
	pthread_mutex_destroy(&m->lock);
}
