/*
 * AVX-512 kernels (F, BW and VL), bit-identical to the scalar ones. Built
 * with those flags in a library of its own and only called when the CPU
 * and the operating system support them.
 *
 * The arithmetic is that of the AVX2 set (see kernels_avx2.c) on vectors
 * twice as wide: 16 four-byte pixels or 64 planar samples a step. Run
 * ends take masked loads and stores, which never touch the bytes the mask
 * leaves out, so no run falls back to a scalar loop. The 16-bit and
 * straight-alpha kernels are the AVX2 set's.
 */
#include <immintrin.h>

#include "kernels.h"

/*
 * Dense runs of 4-byte pixels ask for the layer and frame bytes this far
 * ahead, into L2: where the frame comes from memory, the blend's
 * arithmetic otherwise keeps the core from having enough of its misses in
 * flight (a 1920x1080 logo on 4K frames in turn went from 78% to 96% of
 * memcpy's rate). Planar runs do without: there the requests cost 5-20%
 * on marks in cache and gained nothing measurable.
 */
#define AHEAD 2048

static inline void ahead(const uint8_t *p)
{
	_mm_prefetch((const char *)p + AHEAD, _MM_HINT_T1);
}

static inline __m512i bias8(void)
{
	return _mm512_set1_epi8(-128);
}

/* round(x / 255) on 16-bit lanes holding x + 128 - 32768 (mod 2^16). */
static inline __m512i div255_biased(__m512i t)
{
	return _mm512_mulhi_epu16(_mm512_add_epi16(t, _mm512_set1_epi16(-32768)),
				  _mm512_set1_epi16(257));
}

/* round(a * g / 255) on 16-bit lanes. */
static inline __m512i scale16(__m512i a, __m512i gv)
{
	__m512i t = _mm512_add_epi16(_mm512_mullo_epi16(a, gv),
				     _mm512_set1_epi16(128));

	return _mm512_mulhi_epu16(t, _mm512_set1_epi16(257));
}

/* round(a * g / 255) for 64 alphas. */
static inline __m512i scale8x64(__m512i a, __m512i gv)
{
	const __m512i zero = _mm512_setzero_si512();

	return _mm512_packus_epi16(scale16(_mm512_unpacklo_epi8(a, zero), gv),
				   scale16(_mm512_unpackhi_epi8(a, zero), gv));
}

/*
 * round((c * a + d * (255 - a)) / 255) for 64 bytes: colours already
 * XOR 0x80, alphas a, frame bytes d. Unpacking and packing stay within
 * 128-bit lanes, so the bytes keep their order.
 */
static inline __m512i blend64(__m512i c, __m512i a, __m512i d)
{
	__m512i na = _mm512_xor_si512(a, _mm512_set1_epi8(-1));
	__m512i dx = _mm512_xor_si512(d, bias8());
	__m512i lo = _mm512_maddubs_epi16(_mm512_unpacklo_epi8(a, na),
					  _mm512_unpacklo_epi8(c, dx));
	__m512i hi = _mm512_maddubs_epi16(_mm512_unpackhi_epi8(a, na),
					  _mm512_unpackhi_epi8(c, dx));

	return _mm512_packus_epi16(div255_biased(lo), div255_biased(hi));
}

static inline __mmask64 mask64(int n)
{
	return n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
}

/* ---- planar8 ----------------------------------------------------------- */

/*
 * Samples [0, n) of two planar8 blocks at b (n <= 64; the second block is
 * read only when n > 32): colours in c, alphas in a, in sample order.
 */
static inline void planar_pair(const uint8_t *b, int n, __m512i *c, __m512i *a)
{
	__m512i b0 = _mm512_loadu_si512((const void *)b);
	__m512i b1 = n > WM__BLOCK8
			 ? _mm512_loadu_si512((const void *)(b + 2 * WM__BLOCK8))
			 : _mm512_setzero_si512();

	*c = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(1, 0, 1, 0));
	*a = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(3, 2, 3, 2));
}

static inline void planar8_run(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g, int checks)
{
	const __m512i gv = _mm512_set1_epi16((short)g);
	int i = 0;

	for (; !checks && i + 64 <= n; i += 64, src += 4 * WM__BLOCK8) {
		__m512i c, a, d = _mm512_loadu_si512((const void *)(dst + i));

		planar_pair(src, 64, &c, &a);
		if (g != 255)
			a = scale8x64(a, gv);
		_mm512_storeu_si512((void *)(dst + i), blend64(c, a, d));
	}
	for (; i < n; i += 64, src += 4 * WM__BLOCK8) {
		__mmask64 m = mask64(n - i);
		__m512i c, a, d;

		planar_pair(src, n - i, &c, &a);
		a = _mm512_maskz_mov_epi8(m, a);
		if (checks && _mm512_test_epi8_mask(a, a) == 0)
			continue;
		if (checks && g == 255 &&
		    _mm512_cmpeq_epi8_mask(a, _mm512_set1_epi8(-1)) == m) {
			_mm512_mask_storeu_epi8(dst + i, m,
						_mm512_xor_si512(c, bias8()));
			continue;
		}
		if (g != 255)
			a = scale8x64(a, gv);
		d = _mm512_maskz_loadu_epi8(m, dst + i);
		_mm512_mask_storeu_epi8(dst + i, m, blend64(c, a, d));
	}
}

static void planar8_avx512(uint8_t *dst, const uint8_t *src, int n, unsigned g)
{
	planar8_run(dst, src, n, g, 1);
}

static void planar8_dense_avx512(uint8_t *dst, const uint8_t *src, int n,
				 unsigned g)
{
	planar8_run(dst, src, n, g, 0);
}

/* ---- planar8x2 --------------------------------------------------------- */

/* Samples [0, n) of two planar8x2 blocks at b (n <= 64). */
static inline void planar2_pair(const uint8_t *b, int n, __m512i *c0,
				__m512i *c1, __m512i *a)
{
	const size_t step = 3 * WM__BLOCK8;
	__m512i b0 = _mm512_loadu_si512((const void *)b);
	__m256i a0 = _mm256_loadu_si256((const __m256i *)(b + 2 * WM__BLOCK8));
	__m512i b1 = _mm512_setzero_si512();
	__m256i a1 = _mm256_setzero_si256();

	if (n > WM__BLOCK8) {
		b1 = _mm512_loadu_si512((const void *)(b + step));
		a1 = _mm256_loadu_si256(
		    (const __m256i *)(b + step + 2 * WM__BLOCK8));
	}
	*c0 = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(1, 0, 1, 0));
	*c1 = _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(3, 2, 3, 2));
	*a = _mm512_inserti64x4(_mm512_castsi256_si512(a0), a1, 1);
}

static inline void planar8x2_run(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				 int n, unsigned g, int checks)
{
	const __m512i gv = _mm512_set1_epi16((short)g);
	int i = 0;

	for (; !checks && i + 64 <= n; i += 64, src += 6 * WM__BLOCK8) {
		__m512i c0, c1, a;

		planar2_pair(src, 64, &c0, &c1, &a);
		if (g != 255)
			a = scale8x64(a, gv);
		_mm512_storeu_si512(
		    (void *)(d0 + i),
		    blend64(c0, a, _mm512_loadu_si512((const void *)(d0 + i))));
		_mm512_storeu_si512(
		    (void *)(d1 + i),
		    blend64(c1, a, _mm512_loadu_si512((const void *)(d1 + i))));
	}
	for (; i < n; i += 64, src += 6 * WM__BLOCK8) {
		__mmask64 m = mask64(n - i);
		__m512i c0, c1, a;

		planar2_pair(src, n - i, &c0, &c1, &a);
		a = _mm512_maskz_mov_epi8(m, a);
		if (checks && _mm512_test_epi8_mask(a, a) == 0)
			continue;
		if (checks && g == 255 &&
		    _mm512_cmpeq_epi8_mask(a, _mm512_set1_epi8(-1)) == m) {
			_mm512_mask_storeu_epi8(d0 + i, m,
						_mm512_xor_si512(c0, bias8()));
			_mm512_mask_storeu_epi8(d1 + i, m,
						_mm512_xor_si512(c1, bias8()));
			continue;
		}
		if (g != 255)
			a = scale8x64(a, gv);
		_mm512_mask_storeu_epi8(
		    d0 + i, m, blend64(c0, a, _mm512_maskz_loadu_epi8(m, d0 + i)));
		_mm512_mask_storeu_epi8(
		    d1 + i, m, blend64(c1, a, _mm512_maskz_loadu_epi8(m, d1 + i)));
	}
}

static void planar8x2_avx512(uint8_t *d0, uint8_t *d1, const uint8_t *src,
			     int n, unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 1);
}

static void planar8x2_dense_avx512(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				   int n, unsigned g)
{
	planar8x2_run(d0, d1, src, n, g, 0);
}

/* ---- quad8 ------------------------------------------------------------- */

/*
 * The constants of a quad8 run: `bidx` broadcasts each pixel's alpha byte
 * to its four bytes and gives 0 at a padding byte (so that padding keeps
 * its value), `cor` makes an alpha channel's colour 255, `abyte` selects
 * the alpha or padding byte of each pixel.
 */
typedef struct quad_consts {
	__m512i gv, bidx, cor, abyte;
	unsigned g;
	int keep;
} quad_consts;

static inline quad_consts quad_setup(unsigned g, int aidx, int keep)
{
	quad_consts q;
	uint32_t b = 0x01010101u * (uint32_t)aidx;

	if (keep)
		b |= 0x80u << (8 * aidx);
	q.bidx = _mm512_add_epi32(
	    _mm512_set1_epi32((int)b),
	    _mm512_set4_epi32(0x0c0c0c0c, 0x08080808, 0x04040404, 0));
	q.cor = _mm512_set1_epi32(keep ? 0 : (int)(0xffu << (8 * aidx)));
	q.abyte = _mm512_set1_epi32((int)(0xffu << (8 * aidx)));
	q.gv = _mm512_set1_epi16((short)g);
	q.g = g;
	q.keep = keep;
	return q;
}

/* 16 pixels: s the layer's, d the frame's. */
static inline __m512i quad16(__m512i s, __m512i d, const quad_consts *q)
{
	__m512i a = _mm512_shuffle_epi8(s, q->bidx);
	/* (s | cor) ^ 0x80 */
	__m512i c = _mm512_ternarylogic_epi32(s, q->cor, bias8(), 0x56);

	if (q->g != 255)
		a = scale8x64(a, q->gv);
	return blend64(c, a, d);
}

static inline void quad_run(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			    int aidx, int keep, int checks)
{
	const quad_consts q = quad_setup(g, aidx, keep);
	int i = 0;

	/* Dense runs: whole vectors without masks first. */
	for (; !checks && i + 16 <= n; i += 16) {
		__m512i s = _mm512_loadu_si512((const void *)(src + 4 * i));
		__m512i d = _mm512_loadu_si512((const void *)(dst + 4 * i));

		ahead(src + 4 * i);
		ahead(dst + 4 * i);

		_mm512_storeu_si512((void *)(dst + 4 * i), quad16(s, d, &q));
	}
	for (; i < n; i += 16) {
		__mmask16 m = n - i >= 16 ? 0xffff
					  : (__mmask16)((1u << (n - i)) - 1);
		__m512i s = _mm512_maskz_loadu_epi32(m, src + 4 * i), d;

		if (checks) {
			__mmask16 z = _mm512_test_epi32_mask(s, q.abyte);

			if (z == 0)
				continue;
			if (g == 255 && !keep &&
			    _mm512_mask_cmpeq_epi32_mask(
				m, _mm512_and_si512(s, q.abyte), q.abyte) == m) {
				_mm512_mask_storeu_epi32(
				    dst + 4 * i, m, _mm512_or_si512(s, q.abyte));
				continue;
			}
		}
		d = _mm512_maskz_loadu_epi32(m, dst + 4 * i);
		_mm512_mask_storeu_epi32(dst + 4 * i, m, quad16(s, d, &q));
	}
}

static void quad8_avx512(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			 int aidx, int keep)
{
	quad_run(dst, src, n, g, aidx, keep, 1);
}

static void quad8_dense_avx512(uint8_t *dst, const uint8_t *src, int n,
			       unsigned g, int aidx, int keep)
{
	quad_run(dst, src, n, g, aidx, keep, 0);
}

/* The AVX2 set supplies the kernels this file leaves out (dispatch.c). */
const wm__kernels wm__kernels_avx512 = {
    .name = "avx512",
    .planar8 = planar8_avx512,
    .quad8 = quad8_avx512,
    .planar8_dense = planar8_dense_avx512,
    .planar8x2 = planar8x2_avx512,
    .planar8x2_dense = planar8x2_dense_avx512,
    .quad8_dense = quad8_dense_avx512,
};
