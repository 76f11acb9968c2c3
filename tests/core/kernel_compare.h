/*
 * Random comparison of a kernel set with the scalar one. Needs only the C
 * library and lib/core/kernels.h, so that a cross-compiled program can use
 * it as well as the cmocka tests.
 */
#ifndef WM_TEST_KERNEL_COMPARE_H
#define WM_TEST_KERNEL_COMPARE_H

#include <stdio.h>
#include <string.h>

#include "core/kernels.h"

static uint32_t cmp_seed = 20261203;

static uint32_t rnd(void)
{
	cmp_seed = cmp_seed * 1664525u + 1013904223u;
	return cmp_seed >> 8;
}

/* An alpha that is often 0 or 255, as in real marks. */
static uint32_t rnd_alpha(void)
{
	uint32_t r = rnd() % 8;

	return r == 0 ? 0 : r == 1 ? 255 : rnd() & 255;
}

#define MAXN 67
#define SLACK 64

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Random layer samples of one form: colours, and alphas where they go. */
static void fill_src(uint8_t *src, int kind, int n, int comps, int aidx,
		     int shift)
{
	uint16_t *s16 = (uint16_t *)src;

	switch (kind) {
	case 0:
		/* planar8: whole blocks of colours then alphas. */
		for (int b = 0; b < (n + WM__BLOCK8 - 1) / WM__BLOCK8; b++) {
			uint8_t *p = src + b * 2 * WM__BLOCK8;

			fill(p, WM__BLOCK8);
			for (int i = 0; i < WM__BLOCK8; i++)
				p[WM__BLOCK8 + i] = (uint8_t)rnd_alpha();
		}
		break;
	case 7:
		/* planar8x2: two planes' colours, then the alphas. */
		for (int b = 0; b < (n + WM__BLOCK8 - 1) / WM__BLOCK8; b++) {
			uint8_t *p = src + b * 3 * WM__BLOCK8;

			fill(p, 2 * WM__BLOCK8);
			for (int i = 0; i < WM__BLOCK8; i++)
				p[2 * WM__BLOCK8 + i] = (uint8_t)rnd_alpha();
		}
		break;
	case 1:
	case 3:
		fill(src, (size_t)n * comps);
		for (int i = 0; i < n; i++)
			src[i * comps + aidx] = (uint8_t)rnd_alpha();
		break;
	case 2:
		for (int i = 0; i < n; i++) {
			s16[2 * i] =
			    (uint16_t)(rnd() >> (shift ? 6 : 0) << shift);
			s16[2 * i + 1] = (uint16_t)rnd_alpha();
		}
		break;
	default:
		for (int i = 0; i < n * comps; i++)
			s16[i] = (uint16_t)rnd();
		for (int i = 0; i < n; i++)
			s16[i * comps + aidx] = (uint16_t)rnd_alpha();
		break;
	}
}

/* Destination alphas: often opaque (the vector path of straight kernels). */
static void fill_dst(uint8_t *d, int kind, int n, int comps, int aidx)
{
	int opaque = rnd() % 2;

	if (kind == 3 && opaque)
		for (int i = 0; i < n; i++)
			if (rnd() % 16)
				d[i * comps + aidx] = 255;
}

static void run(const wm__kernels *k, int kind, uint8_t *dst,
		const uint8_t *src, int n, unsigned g, int p1, int p2)
{
	switch (kind) {
	case 0: k->planar8(dst, src, n, g); break;
	case 1: k->quad8(dst, src, n, g, p1, p2); break;
	case 2:
		k->pairs16((uint16_t *)dst, (const uint16_t *)src, n, g, p1);
		break;
	case 3: k->straight8(dst, src, n, g, p1, p2); break;
	case 4:
		k->straight16((uint16_t *)dst, (const uint16_t *)src, n, g, p1,
			      p2);
		break;
	case 5: k->planar8_dense(dst, src, n, g); break;
	case 6: k->quad8_dense(dst, src, n, g, p1, p2); break;
	/* planar8x2: the second plane MAXN + 16 bytes after the first. */
	case 7: k->planar8x2(dst, dst + MAXN + 16, src, n, g); break;
	default: k->planar8x2_dense(dst, dst + MAXN + 16, src, n, g); break;
	}
}

/* One random case of kernel `kind` with n pixels at random alignments;
 * returns 0 when the outputs match, else prints the case and returns 1. */
static int compare_once(const wm__kernels *k, int kind, int n)
{
	static uint8_t srcbuf[MAXN * 16 + SLACK], a[MAXN * 8 + SLACK],
	    b[MAXN * 8 + SLACK];
	/* The dense variants (5, 6, 8) take the samples of planar8, quad8
	 * and planar8x2. */
	int form = kind == 5 ? 0 : kind == 6 ? 1 : kind == 8 ? 7 : kind;
	int comps = 1, p1 = 0, p2 = 0;
	unsigned g = rnd() % 3 ? 255 : rnd() % 256;
	int align16 = form == 2 || form == 4;
	int so = (int)(rnd() % 32) & ~align16,
	    doff = (int)(rnd() % 32) & ~align16;
	uint8_t *src = srcbuf + so;

	if (form == 1) {
		p1 = rnd() % 2 ? 3 : 0;
		p2 = (int)(rnd() % 2);
		comps = 4;
	} else if (form == 2) {
		p1 = rnd() % 2 ? 6 : 0;
	} else if (form == 3 || form == 4) {
		comps = rnd() % 3 ? 4 : 2;
		p2 = comps == 4 ? (rnd() % 2 ? 3 : 0) : 1;
		p1 = comps;
	}
	fill_src(src, form, n, comps, form == 1 ? p1 : p2, form == 2 ? p1 : 0);
	fill(a, sizeof(a));
	if (form == 2 && p1)
		for (int i = 0; i < n; i++)
			((uint16_t *)(a + doff))[i] &= 0xffc0;
	fill_dst(a + doff, form, n, comps, p2);
	memcpy(b, a, sizeof(a));
	run(&wm__kernels_scalar, kind, a + doff, src, n, g, p1, p2);
	run(k, kind, b + doff, src, n, g, p1, p2);
	if (memcmp(a, b, sizeof(a)) == 0)
		return 0;
	printf("%s kernel %d differs: n=%d g=%u p1=%d p2=%d\n", k->name, kind,
	       n, g, p1, p2);
	return 1;
}

/* Every kernel, every width 1..MAXN, `reps` cases each; failures. */
static int compare_all(const wm__kernels *k, int reps)
{
	int bad = 0;

	for (int kind = 0; kind < 9; kind++)
		for (int n = 1; n <= MAXN; n++)
			for (int rep = 0; rep < reps; rep++)
				bad += compare_once(k, kind, n);
	return bad;
}

#endif /* WM_TEST_KERNEL_COMPARE_H */
