/*
 * Choice of the kernel set, made once: the best the CPU supports, unless
 * WMARK_CPU (scalar, sse2, avx2, neon) asks for a lesser one, which tests
 * use to run every backend. A request the CPU cannot honour falls back to
 * the best supported set below it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kernels.h"

static const wm__kernels *active = &wm__kernels_scalar;
static const wm__kernels *override;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool wanted(const char *env, const char *name)
{
	return !env || !*env || strcmp(env, name) == 0;
}

static void pick(void)
{
	const char *env = getenv("WMARK_CPU");

	if (env && strcmp(env, "scalar") == 0)
		return;
#if defined(WM_HAVE_AVX2) || defined(WM_HAVE_SSE2)
	__builtin_cpu_init();
#endif
#ifdef WM_HAVE_AVX2
	if (wanted(env, "avx2") && __builtin_cpu_supports("avx2")) {
		active = &wm__kernels_avx2;
		return;
	}
#endif
#ifdef WM_HAVE_SSE2
	if (__builtin_cpu_supports("sse2")) {
		active = &wm__kernels_sse2;
		return;
	}
#endif
#ifdef WM_HAVE_NEON
	if (wanted(env, "neon") || wanted(env, "avx2") || wanted(env, "sse2"))
		active = &wm__kernels_neon;
#endif
	(void)wanted;
}

const wm__kernels *wm__kernels_active(void)
{
	pthread_once(&once, pick);
	return override ? override : active;
}

void wm__kernels_override(const wm__kernels *k)
{
	override = k;
}

const char *wm__cpu_backend(void)
{
	return wm__kernels_active()->name;
}
