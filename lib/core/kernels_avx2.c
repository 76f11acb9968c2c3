/*
 * AVX2 kernels, bit-identical to the scalar ones. Built with -mavx2 in a
 * library of its own and only called when the CPU has AVX2.
 *
 * 8-bit samples: with the colour c and frame value d biased to signed
 * bytes (c - 128, d - 128) and the weights (a, 255 - a) as unsigned bytes,
 * one maddubs gives c * a + d * (255 - a) - 32640 without saturation
 * (|sum| <= 128 * 255); adding 32768 yields t = x + 128, and
 * mulhi(t, 257) = round(x / 255) for every x <= 65025 (checked over the
 * whole range by the tests). 16-bit samples use the SSE2 set's method on
 * twice the lanes (see kernels_sse2.c).
 *
 * Run ends shorter than a vector take half and quarter vectors, or masked
 * loads and stores, and only the last few samples the scalar loop.
 */
#include <immintrin.h>

#include "kernels.h"

/* Dense runs of 4-byte pixels ask for the bytes this far ahead, into L2
 * (see the AVX-512 set). */
#define AHEAD 2048

static inline void ahead(const uint8_t *p)
{
	_mm_prefetch((const char *)p + AHEAD, _MM_HINT_T1);
}

static inline __m256i div255_16(__m256i x)
{
	__m256i t = _mm256_add_epi16(x, _mm256_set1_epi16(128));

	return _mm256_mulhi_epu16(t, _mm256_set1_epi16(257));
}

/*
 * round((c * a + d * (255 - a)) / 255) on 16-bit lanes, from `w` holding
 * (a, 255 - a) byte pairs and `cd` holding (c ^ 0x80, d ^ 0x80) pairs.
 */
static inline __m256i blend_pairs(__m256i w, __m256i cd)
{
	__m256i t = _mm256_add_epi16(_mm256_maddubs_epi16(w, cd),
				     _mm256_set1_epi16(-32768));

	return _mm256_mulhi_epu16(t, _mm256_set1_epi16(257));
}

static inline __m256i div255_32(__m256i x)
{
	__m256i t = _mm256_add_epi32(x, _mm256_set1_epi32(128));
	__m256i q =
	    _mm256_srli_epi32(_mm256_add_epi32(t, _mm256_srli_epi32(t, 8)), 8);

	return _mm256_srli_epi32(_mm256_add_epi32(t, q), 8);
}

static inline __m256i scale16(__m256i a, __m256i g)
{
	return div255_16(_mm256_mullo_epi16(a, g));
}

static inline __m256i load(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

static inline void store(void *p, __m256i v)
{
	_mm256_storeu_si256((__m256i *)p, v);
}

static inline int all_zero(__m256i v)
{
	return _mm256_testz_si256(v, v);
}

/* round(a * g / 255) for 32 alphas. */
static inline __m256i scale8x32(__m256i a, __m256i gv)
{
	const __m256i zero = _mm256_setzero_si256();

	return _mm256_packus_epi16(scale16(_mm256_unpacklo_epi8(a, zero), gv),
				   scale16(_mm256_unpackhi_epi8(a, zero), gv));
}

/*
 * 32 samples of a planar8 block: colours c ^ 0x80, weights (a, 255 - a)
 * unpacked in wlo and whi, frame bytes d. Unpacking and packing within
 * 128-bit lanes keeps the samples in order, so no lane crossing is needed.
 */
static inline __m256i planar_w(__m256i c, __m256i wlo, __m256i whi, __m256i d)
{
	__m256i dx = _mm256_xor_si256(d, _mm256_set1_epi8(-128));

	return _mm256_packus_epi16(
	    blend_pairs(wlo, _mm256_unpacklo_epi8(c, dx)),
	    blend_pairs(whi, _mm256_unpackhi_epi8(c, dx)));
}

/* The same from the alphas a. */
static inline __m256i planar_32(__m256i c, __m256i a, __m256i d)
{
	__m256i na = _mm256_xor_si256(a, _mm256_set1_epi8(-1));

	return planar_w(c, _mm256_unpacklo_epi8(a, na),
			_mm256_unpackhi_epi8(a, na), d);
}

/* The same on 16 samples (or fewer in the low bytes). */
static inline __m128i planar_16(__m128i c, __m128i a, __m128i d, __m256i gv,
				unsigned g)
{
	__m128i na, dx, lo, hi;

	if (g != 255) {
		__m256i s = scale16(_mm256_cvtepu8_epi16(a), gv);

		a = _mm_packus_epi16(_mm256_castsi256_si128(s),
				     _mm256_extracti128_si256(s, 1));
	}
	na = _mm_xor_si128(a, _mm_set1_epi8(-1));
	dx = _mm_xor_si128(d, _mm_set1_epi8(-128));
	lo = _mm_maddubs_epi16(_mm_unpacklo_epi8(a, na),
			       _mm_unpacklo_epi8(c, dx));
	hi = _mm_maddubs_epi16(_mm_unpackhi_epi8(a, na),
			       _mm_unpackhi_epi8(c, dx));
	lo = _mm_mulhi_epu16(_mm_add_epi16(lo, _mm_set1_epi16(-32768)),
			     _mm_set1_epi16(257));
	hi = _mm_mulhi_epu16(_mm_add_epi16(hi, _mm_set1_epi16(-32768)),
			     _mm_set1_epi16(257));
	return _mm_packus_epi16(lo, hi);
}

static inline void planar8_block(uint8_t *dst, const uint8_t *src, __m256i gv,
				 unsigned g, int checks)
{
	__m256i a = load(src + WM__BLOCK8), c;

	if (checks && all_zero(a))
		return;
	c = load(src);
	if (checks && g == 255 && _mm256_testc_si256(a, _mm256_set1_epi8(-1))) {
		/* Opaque: the mark's colours. */
		store(dst, _mm256_xor_si256(c, _mm256_set1_epi8(-128)));
		return;
	}
	if (g != 255)
		a = scale8x32(a, gv);
	store(dst, planar_32(c, a, load(dst)));
}

static inline void planar8_run(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g, int checks)
{
	const __m256i gv = _mm256_set1_epi16((short)g);
	int i = 0;

	for (; i + 32 <= n; i += 32, src += 2 * WM__BLOCK8)
		planar8_block(dst + i, src, gv, g, checks);
	if (i + 16 <= n) {
		__m128i r = planar_16(
		    _mm_loadu_si128((const __m128i *)src),
		    _mm_loadu_si128((const __m128i *)(src + WM__BLOCK8)),
		    _mm_loadu_si128((const __m128i *)(dst + i)), gv, g);

		_mm_storeu_si128((__m128i *)(dst + i), r);
		i += 16;
	}
	if (i + 8 <= n) {
		const uint8_t *b = src + i % 32;
		__m128i r = planar_16(
		    _mm_loadl_epi64((const __m128i *)b),
		    _mm_loadl_epi64((const __m128i *)(b + WM__BLOCK8)),
		    _mm_loadl_epi64((const __m128i *)(dst + i)), gv, g);

		_mm_storel_epi64((__m128i *)(dst + i), r);
		i += 8;
	}
	wm__planar8_from(dst + i, src, i % 32, n - i, g);
}

static void planar8_avx2(uint8_t *dst, const uint8_t *src, int n, unsigned g)
{
	planar8_run(dst, src, n, g, 1);
}

static void planar8_dense_avx2(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g)
{
	planar8_run(dst, src, n, g, 0);
}

/* A planar8x2 block: both planes' samples with one set of weights. */
static inline void planar8x2_block(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				   __m256i gv, unsigned g, int checks)
{
	__m256i a = load(src + 2 * WM__BLOCK8), c0, c1, na, wlo, whi;

	if (checks && all_zero(a))
		return;
	c0 = load(src);
	c1 = load(src + WM__BLOCK8);
	if (checks && g == 255 && _mm256_testc_si256(a, _mm256_set1_epi8(-1))) {
		store(d0, _mm256_xor_si256(c0, _mm256_set1_epi8(-128)));
		store(d1, _mm256_xor_si256(c1, _mm256_set1_epi8(-128)));
		return;
	}
	if (g != 255)
		a = scale8x32(a, gv);
	na = _mm256_xor_si256(a, _mm256_set1_epi8(-1));
	wlo = _mm256_unpacklo_epi8(a, na);
	whi = _mm256_unpackhi_epi8(a, na);
	store(d0, planar_w(c0, wlo, whi, load(d0)));
	store(d1, planar_w(c1, wlo, whi, load(d1)));
}

/* 16 or 8 samples of one plane of a planar8x2 block (`half`: 8). */
static inline void planar8x2_part(uint8_t *d, const uint8_t *c,
				  const uint8_t *a, __m256i gv, unsigned g,
				  int half)
{
	if (half) {
		__m128i r =
		    planar_16(_mm_loadl_epi64((const __m128i *)c),
			      _mm_loadl_epi64((const __m128i *)a),
			      _mm_loadl_epi64((const __m128i *)d), gv, g);

		_mm_storel_epi64((__m128i *)d, r);
	} else {
		__m128i r =
		    planar_16(_mm_loadu_si128((const __m128i *)c),
			      _mm_loadu_si128((const __m128i *)a),
			      _mm_loadu_si128((const __m128i *)d), gv, g);

		_mm_storeu_si128((__m128i *)d, r);
	}
}

static inline void planar8x2_run(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				 int n, unsigned g, int checks)
{
	const __m256i gv = _mm256_set1_epi16((short)g);
	int i = 0;

	for (; i + 32 <= n; i += 32, src += 3 * WM__BLOCK8)
		planar8x2_block(d0 + i, d1 + i, src, gv, g, checks);
	for (int half = 0; half < 2; half++) {
		int m = half ? 8 : 16, o = i % WM__BLOCK8;

		if (i + m > n)
			continue;
		planar8x2_part(d0 + i, src + o, src + 2 * WM__BLOCK8 + o, gv, g,
			       half);
		planar8x2_part(d1 + i, src + WM__BLOCK8 + o,
			       src + 2 * WM__BLOCK8 + o, gv, g, half);
		i += m;
	}
	wm__planar8x2_from(d0 + i, d1 + i, src, i % WM__BLOCK8, n - i, g);
}

static void planar8x2_avx2(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			   unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 1);
}

static void planar8x2_dense_avx2(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				 int n, unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 0);
}

/*
 * 8 pixels of 4 bytes. `bidx` broadcasts each pixel's alpha byte to its
 * four bytes; `amask` clears it on padding; `cor` makes the alpha
 * channel's colour 255.
 */
static inline __m256i quad8px(__m256i s, __m256i d, __m256i gv, unsigned g,
			      __m256i bidx, __m256i amask, __m256i cor)
{
	const __m256i bias = _mm256_set1_epi8(-128),
		      ones = _mm256_set1_epi8(-1);
	__m256i a = _mm256_shuffle_epi8(s, bidx);
	__m256i c = _mm256_xor_si256(_mm256_or_si256(s, cor), bias);
	__m256i dx = _mm256_xor_si256(d, bias);
	__m256i na;

	if (g != 255) {
		const __m256i zero = _mm256_setzero_si256();

		a = _mm256_packus_epi16(
		    scale16(_mm256_unpacklo_epi8(a, zero), gv),
		    scale16(_mm256_unpackhi_epi8(a, zero), gv));
	}
	a = _mm256_and_si256(a, amask);
	na = _mm256_xor_si256(a, ones);
	return _mm256_packus_epi16(blend_pairs(_mm256_unpacklo_epi8(a, na),
					       _mm256_unpacklo_epi8(c, dx)),
				   blend_pairs(_mm256_unpackhi_epi8(a, na),
					       _mm256_unpackhi_epi8(c, dx)));
}

static void quad_masks(int aidx, int keep, __m256i *bidx, __m256i *amask,
		       __m256i *cor)
{
	uint32_t am = ~0u, co = 0, b = 0x01010101u * (uint32_t)aidx;

	if (keep)
		am &= ~(0xffu << (8 * aidx));
	else
		co = 0xffu << (8 * aidx);
	*bidx = _mm256_add_epi32(_mm256_set1_epi32((int)b),
				 _mm256_setr_epi32(0, 0x04040404, 0x08080808,
						   0x0c0c0c0c, 0, 0x04040404,
						   0x08080808, 0x0c0c0c0c));
	*amask = _mm256_set1_epi32((int)am);
	*cor = _mm256_set1_epi32((int)co);
}

/* The constants of quad8px, passed by value: the stores through byte
 * pointers could alias them in memory and force reloads. */
typedef struct quad_consts {
	__m256i gv, abyte, bidx, amask, cor;
	unsigned g;
	int keep;
} quad_consts;

static inline void quad_8(uint8_t *dst, const uint8_t *src, quad_consts q,
			  int checks)
{
	__m256i s = load(src);
	__m256i sa = _mm256_and_si256(s, q.abyte);
	__m256i d;

	if (checks && all_zero(sa))
		return;
	d = load(dst);
	if (checks && q.g == 255 &&
	    _mm256_movemask_epi8(_mm256_cmpeq_epi32(sa, q.abyte)) == -1) {
		/* Opaque: the mark's colour, 255 or padding kept. */
		store(dst, q.keep ? _mm256_blendv_epi8(s, d, q.abyte)
				  : _mm256_or_si256(s, q.abyte));
		return;
	}
	store(dst, quad8px(s, d, q.gv, q.g, q.bidx, q.amask, q.cor));
}

static inline void quad_run(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			    int aidx, int keep, int checks)
{
	quad_consts q;
	__m256i m, s, d;
	int i = 0;

	q.gv = _mm256_set1_epi16((short)g);
	q.abyte = _mm256_set1_epi32((int)(0xffu << (8 * aidx)));
	q.g = g;
	q.keep = keep;
	quad_masks(aidx, keep, &q.bidx, &q.amask, &q.cor);
	for (; i + 8 <= n; i += 8)
		quad_8(dst + 4 * i, src + 4 * i, q, checks);
	if (i == n)
		return;

	/* The last 1..7 pixels through masked loads and stores. */
	m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i),
			       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
	s = _mm256_maskload_epi32((const int *)(src + 4 * i), m);
	d = _mm256_maskload_epi32((const int *)(dst + 4 * i), m);
	_mm256_maskstore_epi32((int *)(dst + 4 * i), m,
			       quad8px(s, d, q.gv, g, q.bidx, q.amask, q.cor));
}

static void quad8_avx2(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		       int aidx, int keep)
{
	quad_run(dst, src, n, g, aidx, keep, 1);
}

/*
 * Dense runs at full opacity: 16 pixels a step, two independent vectors
 * in flight, and the constants of quad8px known to the compiler (no alpha
 * scaling; called with constant aidx and keep).
 */
static inline void quad_dense_full(uint8_t *dst, const uint8_t *src, int n,
				   int aidx, int keep)
{
	const __m256i gv = _mm256_set1_epi16(255);
	__m256i bidx, amask, cor;
	int i = 0;

	quad_masks(aidx, keep, &bidx, &amask, &cor);
	for (; i + 16 <= n; i += 16) {
		__m256i s0 = load(src + 4 * i), s1 = load(src + 4 * i + 32);
		__m256i d0 = load(dst + 4 * i), d1 = load(dst + 4 * i + 32);

		ahead(src + 4 * i);
		ahead(dst + 4 * i);

		store(dst + 4 * i, quad8px(s0, d0, gv, 255, bidx, amask, cor));
		store(dst + 4 * i + 32,
		      quad8px(s1, d1, gv, 255, bidx, amask, cor));
	}
	quad_run(dst + 4 * i, src + 4 * i, n - i, 255, aidx, keep, 0);
}

static void quad8_dense_avx2(uint8_t *dst, const uint8_t *src, int n,
			     unsigned g, int aidx, int keep)
{
	if (g != 255 || (aidx != 0 && aidx != 3))
		quad_run(dst, src, n, g, aidx, keep, 0);
	else if (aidx == 3)
		keep ? quad_dense_full(dst, src, n, 3, 1)
		     : quad_dense_full(dst, src, n, 3, 0);
	else
		keep ? quad_dense_full(dst, src, n, 0, 1)
		     : quad_dense_full(dst, src, n, 0, 0);
}

/* Eight 16-bit samples; see pairs16_4 of the SSE2 set. */
static inline __m256i pairs16_8(__m256i s, __m256i d32, __m256i gv, unsigned g,
				__m128i sh)
{
	const __m256i lo = _mm256_set1_epi32(0xffff);
	__m256i c = _mm256_srl_epi32(_mm256_and_si256(s, lo), sh);
	__m256i a = _mm256_srli_epi32(s, 16);
	__m256i cd, an, x;

	d32 = _mm256_srl_epi32(d32, sh);
	if (g != 255)
		a = scale16(a, gv);
	cd = _mm256_xor_si256(_mm256_or_si256(c, _mm256_slli_epi32(d32, 16)),
			      _mm256_set1_epi16((short)0x8000));
	an = _mm256_or_si256(
	    a,
	    _mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(255), a), 16));
	x = _mm256_add_epi32(_mm256_madd_epi16(cd, an),
			     _mm256_set1_epi32(32768 * 255));
	return _mm256_sll_epi32(div255_32(x), sh);
}

static inline void pairs16_16(uint16_t *dst, const uint16_t *src, __m256i gv,
			      unsigned g, __m128i sh)
{
	__m256i d0 =
	    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)dst));
	__m256i d1 =
	    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(dst + 8)));
	__m256i r0 = pairs16_8(load(src), d0, gv, g, sh);
	__m256i r1 = pairs16_8(load(src + 16), d1, gv, g, sh);

	store(dst, _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xd8));
}

static void pairs16_avx2(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			 int shift)
{
	const __m256i gv = _mm256_set1_epi16((short)g);
	const __m128i sh = _mm_cvtsi32_si128(shift);
	int i = 0;

	for (; i + 16 <= n; i += 16)
		pairs16_16(dst + i, src + 2 * i, gv, g, sh);
	if (i + 8 <= n) {
		__m256i d = _mm256_cvtepu16_epi32(
		    _mm_loadu_si128((const __m128i *)(dst + i)));
		__m256i r = pairs16_8(load(src + 2 * i), d, gv, g, sh);

		_mm_storeu_si128(
		    (__m128i *)(dst + i),
		    _mm_packus_epi32(_mm256_castsi256_si128(r),
				     _mm256_extracti128_si256(r, 1)));
		i += 8;
	}
	wm__pairs16_scalar(dst + i, src + 2 * i, n - i, g, shift);
}

/* Straight alpha: vector path where 8 destination pixels are opaque (the
 * straight formula then equals the opaque one), scalar elsewhere. */
static void straight8_avx2(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			   int comps, int aidx)
{
	const __m256i abyte = _mm256_set1_epi32((int)(0xffu << (8 * aidx)));
	int i = 0;

	if (comps != 4 || (aidx != 0 && aidx != 3)) {
		wm__straight8_scalar(dst, src, n, g, comps, aidx);
		return;
	}
	for (; i + 8 <= n; i += 8) {
		__m256i d = load(dst + 4 * i);
		__m256i da =
		    _mm256_cmpeq_epi32(_mm256_and_si256(d, abyte), abyte);

		if (_mm256_movemask_epi8(da) == -1)
			quad8_avx2(dst + 4 * i, src + 4 * i, 8, g, aidx, 0);
		else
			wm__straight8_scalar(dst + 4 * i, src + 4 * i, 8, g, 4,
					     aidx);
	}
	wm__straight8_scalar(dst + 4 * i, src + 4 * i, n - i, g, 4, aidx);
}

const wm__kernels wm__kernels_avx2 = {
    .name = "avx2",
    .planar8 = planar8_avx2,
    .quad8 = quad8_avx2,
    .pairs16 = pairs16_avx2,
    .planar8_dense = planar8_dense_avx2,
    .planar8x2 = planar8x2_avx2,
    .planar8x2_dense = planar8x2_dense_avx2,
    .quad8_dense = quad8_dense_avx2,
    .straight8 = straight8_avx2,
    .straight16 = wm__straight16_scalar,
};
