/*
 * SSE2 kernels, bit-identical to the scalar ones. Built with -msse2 in a
 * library of its own and only called when the CPU has SSE2.
 *
 * Exact divides: for 0 <= x <= 65025, round(x / 255) is
 * mulhi(x + 128, 257) in 16-bit lanes; for the 24-bit sums of 16-bit
 * samples, with t = x + 128 and q = (t + (t >> 8)) >> 8, it is
 * (t + q) >> 8 (both checked over their whole ranges by the tests).
 */
#include <emmintrin.h>

#include "kernels.h"

static inline __m128i div255_16(__m128i x)
{
	__m128i t = _mm_add_epi16(x, _mm_set1_epi16(128));

	return _mm_mulhi_epu16(t, _mm_set1_epi16(257));
}

static inline __m128i div255_32(__m128i x)
{
	__m128i t = _mm_add_epi32(x, _mm_set1_epi32(128));
	__m128i q = _mm_srli_epi32(_mm_add_epi32(t, _mm_srli_epi32(t, 8)), 8);

	return _mm_srli_epi32(_mm_add_epi32(t, q), 8);
}

/* round(a * g / 255) on 16-bit lanes holding 0..255. */
static inline __m128i scale16(__m128i a, __m128i g)
{
	return div255_16(_mm_mullo_epi16(a, g));
}

/* round((c * a + d * (255 - a)) / 255) on 16-bit lanes. */
static inline __m128i blend16(__m128i c, __m128i a, __m128i d)
{
	__m128i na = _mm_sub_epi16(_mm_set1_epi16(255), a);

	return div255_16(
	    _mm_add_epi16(_mm_mullo_epi16(c, a), _mm_mullo_epi16(d, na)));
}

/* 16 samples of a planar8 or planar8x2 block: colours from b, alphas
 * from ab. */
static inline void planar8_16(uint8_t *dst, const uint8_t *b, const uint8_t *ab,
			      __m128i gv, unsigned g, int checks)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i av = _mm_loadu_si128((const __m128i *)ab);
	__m128i c, d, a0, a1;

	if (checks && _mm_movemask_epi8(_mm_cmpeq_epi8(av, zero)) == 0xffff)
		return;
	c = _mm_xor_si128(_mm_loadu_si128((const __m128i *)b),
			  _mm_set1_epi8(-128));
	a0 = _mm_unpacklo_epi8(av, zero);
	a1 = _mm_unpackhi_epi8(av, zero);
	if (g != 255) {
		a0 = scale16(a0, gv);
		a1 = scale16(a1, gv);
	}
	d = _mm_loadu_si128((const __m128i *)dst);
	_mm_storeu_si128(
	    (__m128i *)dst,
	    _mm_packus_epi16(blend16(_mm_unpacklo_epi8(c, zero), a0,
				     _mm_unpacklo_epi8(d, zero)),
			     blend16(_mm_unpackhi_epi8(c, zero), a1,
				     _mm_unpackhi_epi8(d, zero))));
}

static inline void planar8_run(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g, int checks)
{
	const __m128i gv = _mm_set1_epi16((short)g);
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		const uint8_t *b = src +
				   (size_t)(i / WM__BLOCK8) * 2 * WM__BLOCK8 +
				   i % WM__BLOCK8;

		planar8_16(dst + i, b, b + WM__BLOCK8, gv, g, checks);
	}
	wm__planar8_from(dst + i, src, i, n - i, g);
}

static inline void planar8x2_run(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				 int n, unsigned g, int checks)
{
	const __m128i gv = _mm_set1_epi16((short)g);
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		const uint8_t *b = src +
				   (size_t)(i / WM__BLOCK8) * 3 * WM__BLOCK8 +
				   i % WM__BLOCK8;

		planar8_16(d0 + i, b, b + 2 * WM__BLOCK8, gv, g, checks);
		planar8_16(d1 + i, b + WM__BLOCK8, b + 2 * WM__BLOCK8, gv, g,
			   checks);
	}
	wm__planar8x2_from(d0 + i, d1 + i, src, i, n - i, g);
}

static void planar8x2_sse2(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			   unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 1);
}

static void planar8x2_dense_sse2(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				 int n, unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 0);
}

static void planar8_sse2(uint8_t *dst, const uint8_t *src, int n, unsigned g)
{
	planar8_run(dst, src, n, g, 1);
}

static void planar8_dense_sse2(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g)
{
	planar8_run(dst, src, n, g, 0);
}

/* Blends 4 pixels of 4 bytes; `AIDX` is a constant 0 or 3. */
static inline __m128i quad4(__m128i s, __m128i d, __m128i gv, unsigned g,
			    __m128i amask, __m128i cor, int aidx)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i c0 = _mm_unpacklo_epi8(s, zero),
		c1 = _mm_unpackhi_epi8(s, zero);
	__m128i a0, a1;

	if (aidx == 3) {
		a0 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(c0, 0xff), 0xff);
		a1 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(c1, 0xff), 0xff);
	} else {
		a0 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(c0, 0), 0);
		a1 = _mm_shufflehi_epi16(_mm_shufflelo_epi16(c1, 0), 0);
	}
	if (g != 255) {
		a0 = scale16(a0, gv);
		a1 = scale16(a1, gv);
	}
	a0 = _mm_and_si128(a0, amask);
	a1 = _mm_and_si128(a1, amask);
	c0 = _mm_or_si128(c0, cor);
	c1 = _mm_or_si128(c1, cor);
	return _mm_packus_epi16(blend16(c0, a0, _mm_unpacklo_epi8(d, zero)),
				blend16(c1, a1, _mm_unpackhi_epi8(d, zero)));
}

/* Lane masks of quad4: alpha kept off padding, alpha channel's colour. */
static void quad_masks(int aidx, int keep, __m128i *amask, __m128i *cor)
{
	short am[4] = {-1, -1, -1, -1}, co[4] = {0, 0, 0, 0};

	if (keep)
		am[aidx] = 0;
	else
		co[aidx] = 255;
	*amask = _mm_setr_epi16(am[0], am[1], am[2], am[3], am[0], am[1], am[2],
				am[3]);
	*cor = _mm_setr_epi16(co[0], co[1], co[2], co[3], co[0], co[1], co[2],
			      co[3]);
}

static inline void quad_run(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			    int aidx, int keep, int checks)
{
	const __m128i gv = _mm_set1_epi16((short)g);
	const __m128i abyte = _mm_set1_epi32((int)(0xffu << (8 * aidx)));
	__m128i amask, cor;
	int i = 0;

	quad_masks(aidx, keep, &amask, &cor);
	for (; i + 4 <= n; i += 4) {
		__m128i s = _mm_loadu_si128((const __m128i *)(src + 4 * i));
		__m128i sa = _mm_and_si128(s, abyte);
		__m128i d;

		if (checks && _mm_movemask_epi8(_mm_cmpeq_epi32(
				  sa, _mm_setzero_si128())) == 0xffff)
			continue;
		d = _mm_loadu_si128((const __m128i *)(dst + 4 * i));
		if (checks && g == 255 &&
		    _mm_movemask_epi8(_mm_cmpeq_epi32(sa, abyte)) == 0xffff) {
			/* Opaque: the mark's colour, 255 or padding kept. */
			__m128i o =
			    keep ? _mm_or_si128(_mm_andnot_si128(abyte, s),
						_mm_and_si128(abyte, d))
				 : _mm_or_si128(s, abyte);

			_mm_storeu_si128((__m128i *)(dst + 4 * i), o);
			continue;
		}
		_mm_storeu_si128((__m128i *)(dst + 4 * i),
				 quad4(s, d, gv, g, amask, cor, aidx));
	}
	wm__quad8_scalar(dst + 4 * i, src + 4 * i, n - i, g, aidx, keep);
}

static inline void quad_any(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			    int aidx, int keep, int checks)
{
	if (aidx == 3)
		quad_run(dst, src, n, g, 3, keep, checks);
	else if (aidx == 0)
		quad_run(dst, src, n, g, 0, keep, checks);
	else
		wm__quad8_scalar(dst, src, n, g, aidx, keep);
}

static void quad8_sse2(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		       int aidx, int keep)
{
	quad_any(dst, src, n, g, aidx, keep, 1);
}

static void quad8_dense_sse2(uint8_t *dst, const uint8_t *src, int n,
			     unsigned g, int aidx, int keep)
{
	quad_any(dst, src, n, g, aidx, keep, 0);
}

/*
 * Four 16-bit samples: x = c * a + d * (255 - a) with madd on
 * (c - 32768, d - 32768) x (a, 255 - a), plus 32768 * 255.
 */
static inline __m128i pairs16_4(__m128i s, __m128i d32, __m128i gv, unsigned g,
				__m128i sh)
{
	const __m128i lo = _mm_set1_epi32(0xffff);
	__m128i c = _mm_srl_epi32(_mm_and_si128(s, lo), sh);
	__m128i a = _mm_srli_epi32(s, 16);
	__m128i cd, an, x;

	d32 = _mm_srl_epi32(d32, sh);
	if (g != 255)
		a = scale16(a, gv);
	cd = _mm_xor_si128(_mm_or_si128(c, _mm_slli_epi32(d32, 16)),
			   _mm_set1_epi16((short)0x8000));
	an = _mm_or_si128(
	    a, _mm_slli_epi32(_mm_sub_epi32(_mm_set1_epi32(255), a), 16));
	x = _mm_add_epi32(_mm_madd_epi16(cd, an), _mm_set1_epi32(32768 * 255));
	return _mm_sll_epi32(div255_32(x), sh);
}

/* Packs 32-bit lanes holding 0..65535 into 16-bit lanes. */
static inline __m128i pack_u32(__m128i a, __m128i b)
{
	const __m128i bias = _mm_set1_epi32(32768);

	return _mm_xor_si128(
	    _mm_packs_epi32(_mm_sub_epi32(a, bias), _mm_sub_epi32(b, bias)),
	    _mm_set1_epi16((short)0x8000));
}

static void pairs16_sse2(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			 int shift)
{
	const __m128i gv = _mm_set1_epi16((short)g), zero = _mm_setzero_si128();
	const __m128i sh = _mm_cvtsi32_si128(shift);
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		__m128i s0 = _mm_loadu_si128((const __m128i *)(src + 2 * i));
		__m128i s1 =
		    _mm_loadu_si128((const __m128i *)(src + 2 * i + 8));
		__m128i d = _mm_loadu_si128((const __m128i *)(dst + i));
		__m128i r0 =
		    pairs16_4(s0, _mm_unpacklo_epi16(d, zero), gv, g, sh);
		__m128i r1 =
		    pairs16_4(s1, _mm_unpackhi_epi16(d, zero), gv, g, sh);

		_mm_storeu_si128((__m128i *)(dst + i), pack_u32(r0, r1));
	}
	wm__pairs16_scalar(dst + i, src + 2 * i, n - i, g, shift);
}

/*
 * Straight alpha: where the destination is opaque the straight formula
 * equals the opaque one, so runs of 4 opaque destination pixels take the
 * vector path; others, and layouts other than 4 bytes, the scalar one.
 */
static void straight8_sse2(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			   int comps, int aidx)
{
	const __m128i abyte = _mm_set1_epi32((int)(0xffu << (8 * aidx)));
	int i = 0;

	if (comps != 4 || (aidx != 0 && aidx != 3)) {
		wm__straight8_scalar(dst, src, n, g, comps, aidx);
		return;
	}
	for (; i + 4 <= n; i += 4) {
		__m128i d = _mm_loadu_si128((const __m128i *)(dst + 4 * i));

		if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_and_si128(d, abyte),
						      abyte)) == 0xffff)
			quad8_sse2(dst + 4 * i, src + 4 * i, 4, g, aidx, 0);
		else
			wm__straight8_scalar(dst + 4 * i, src + 4 * i, 4, g, 4,
					     aidx);
	}
	wm__straight8_scalar(dst + 4 * i, src + 4 * i, n - i, g, 4, aidx);
}

const wm__kernels wm__kernels_sse2 = {
    .name = "sse2",
    .planar8 = planar8_sse2,
    .quad8 = quad8_sse2,
    .pairs16 = pairs16_sse2,
    .planar8_dense = planar8_dense_sse2,
    .planar8x2 = planar8x2_sse2,
    .planar8x2_dense = planar8x2_dense_sse2,
    .quad8_dense = quad8_dense_sse2,
    .straight8 = straight8_sse2,
    .straight16 = wm__straight16_scalar,
};
