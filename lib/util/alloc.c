/* Allocation with overflow checks and an optional failure-injection hook. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifdef WM_FAULT_INJECTION
static atomic_uint_fast64_t wm__alloc_count;
static atomic_uint_fast64_t wm__alloc_fail;

static bool wm__alloc_should_fail(void)
{
	uint64_t n = atomic_fetch_add(&wm__alloc_count, 1) + 1;
	uint64_t fail = atomic_load(&wm__alloc_fail);

	return fail != 0 && n == fail;
}

uint64_t wm__alloc_fail_at(uint64_t n)
{
	uint64_t count = atomic_exchange(&wm__alloc_count, 0);

	atomic_store(&wm__alloc_fail, n);
	return count;
}
#else
static bool wm__alloc_should_fail(void)
{
	return false;
}

uint64_t wm__alloc_fail_at(uint64_t n)
{
	(void)n;
	return 0;
}
#endif

void *wm__malloc(size_t n)
{
	if (wm__alloc_should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *wm__calloc(size_t count, size_t n)
{
	if (wm__alloc_should_fail())
		return NULL;
	return calloc(count ? count : 1, n ? n : 1);
}

void *wm__realloc(void *p, size_t n)
{
	if (wm__alloc_should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void wm__free(void *p)
{
	free(p);
}

void wm_free(void *p)
{
	free(p);
}

char *wm__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = wm__malloc(n);

	if (copy)
		memcpy(copy, s, n);
	return copy;
}

bool wm__mul_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

bool wm__add_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}
