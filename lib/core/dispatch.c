/*
 * Choice of the kernel set, made once: the best the CPU supports, unless
 * WMARK_CPU (scalar, sse2, avx2, avx512, neon) asks for a lesser one, which
 * tests use to run every backend. A request the CPU cannot honour falls
 * back to the best supported set below it; other values are ignored.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kernels.h"

static const wm__kernels *active = &wm__kernels_scalar;
static const wm__kernels *override;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Whether WMARK_CPU leaves the choice free: unset, empty or not a name. */
static bool free_choice(const char *env)
{
	static const char *const names[] = {"scalar", "sse2", "avx2", "avx512",
					    "neon"};

	if (!env)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(env, names[i]) == 0)
			return false;
	return true;
}

#if defined(WM_HAVE_AVX512) && !defined(WM_HAVE_AVX2)
#error "the AVX-512 set borrows kernels from the AVX2 set"
#endif

#ifdef WM_HAVE_AVX512
/* The AVX-512 set, completed with the AVX2 kernels it leaves out. */
static wm__kernels avx512;

static const wm__kernels *avx512_set(void)
{
	const wm__kernels *w = &wm__kernels_avx512;

	avx512 = wm__kernels_avx2;
	avx512.name = w->name;
	avx512.planar8 = w->planar8;
	avx512.quad8 = w->quad8;
	avx512.planar8_dense = w->planar8_dense;
	avx512.planar8x2 = w->planar8x2;
	avx512.planar8x2_dense = w->planar8x2_dense;
	avx512.quad8_dense = w->quad8_dense;
	return &avx512;
}
#endif

static void pick(void)
{
	const char *env = getenv("WMARK_CPU");
	bool any = free_choice(env);

	if (!any && strcmp(env, "scalar") == 0)
		return;
#if defined(WM_HAVE_AVX2) || defined(WM_HAVE_SSE2) || defined(WM_HAVE_AVX512)
	__builtin_cpu_init();
#endif
#ifdef WM_HAVE_AVX512
	/* F, BW and VL are what the kernels use. VBMI2 only marks the CPUs
	 * (Ice Lake, Zen 4 and later) that run 512-bit vectors at full clock:
	 * earlier ones slow the whole core down for them, which costs other
	 * code in the process more than the blend gains. */
	if ((any || strcmp(env, "avx512") == 0) &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512vbmi2")) {
		active = avx512_set();
		return;
	}
#endif
#ifdef WM_HAVE_AVX2
	if ((any || strcmp(env, "avx2") == 0 || strcmp(env, "avx512") == 0) &&
	    __builtin_cpu_supports("avx2")) {
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
	active = &wm__kernels_neon;
#endif
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
