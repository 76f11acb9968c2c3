/*
 * NEON kernels (AArch64), bit-identical to the scalar ones, with the exact
 * divides of the SSE2 set (see kernels_sse2.c). NEON is part of every
 * AArch64 CPU, so no flag or run-time check is needed.
 */
#include <arm_neon.h>

#include "kernels.h"

static inline uint8x8_t div255_8(uint16x8_t x)
{
	uint16x8_t t = vaddq_u16(x, vdupq_n_u16(128));

	return vshrn_n_u16(vaddq_u16(t, vshrq_n_u16(t, 8)), 8);
}

static inline uint32x4_t div255_32(uint32x4_t x)
{
	uint32x4_t t = vaddq_u32(x, vdupq_n_u32(128));
	uint32x4_t q = vshrq_n_u32(vaddq_u32(t, vshrq_n_u32(t, 8)), 8);

	return vshrq_n_u32(vaddq_u32(t, q), 8);
}

/* round(a * g / 255) for 8 alphas. */
static inline uint8x8_t scale8(uint8x8_t a, uint8x8_t g)
{
	return div255_8(vmull_u8(a, g));
}

/* round((c * a + d * (255 - a)) / 255) for 8 samples. */
static inline uint8x8_t blend8(uint8x8_t c, uint8x8_t a, uint8x8_t d)
{
	uint16x8_t x = vmull_u8(c, a);

	return div255_8(vmlal_u8(x, d, vsub_u8(vdup_n_u8(255), a)));
}

static inline uint8x16_t blend16(uint8x16_t c, uint8x16_t a, uint8x16_t d)
{
	return vcombine_u8(
	    blend8(vget_low_u8(c), vget_low_u8(a), vget_low_u8(d)),
	    blend8(vget_high_u8(c), vget_high_u8(a), vget_high_u8(d)));
}

static inline uint8x16_t scale16(uint8x16_t a, unsigned g)
{
	uint8x8_t gv = vdup_n_u8((uint8_t)g);

	return vcombine_u8(scale8(vget_low_u8(a), gv),
			   scale8(vget_high_u8(a), gv));
}

static void planar8_neon(uint8_t *dst, const uint8_t *src, int n, unsigned g)
{
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		const uint8_t *b = src +
				   (size_t)(i / WM__BLOCK8) * 2 * WM__BLOCK8 +
				   i % WM__BLOCK8;
		uint8x16_t a = vld1q_u8(b + WM__BLOCK8);
		uint8x16_t c = veorq_u8(vld1q_u8(b), vdupq_n_u8(0x80));

		if (vmaxvq_u8(a) == 0)
			continue;
		if (g != 255)
			a = scale16(a, g);
		vst1q_u8(dst + i, blend16(c, a, vld1q_u8(dst + i)));
	}
	wm__planar8_from(dst + i, src, i, n - i, g);
}

static void planar8x2_neon(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			   unsigned g)
{
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		const uint8_t *b = src +
				   (size_t)(i / WM__BLOCK8) * 3 * WM__BLOCK8 +
				   i % WM__BLOCK8;
		uint8x16_t a = vld1q_u8(b + 2 * WM__BLOCK8);
		uint8x16_t c0 = veorq_u8(vld1q_u8(b), vdupq_n_u8(0x80));
		uint8x16_t c1 =
		    veorq_u8(vld1q_u8(b + WM__BLOCK8), vdupq_n_u8(0x80));

		if (vmaxvq_u8(a) == 0)
			continue;
		if (g != 255)
			a = scale16(a, g);
		vst1q_u8(d0 + i, blend16(c0, a, vld1q_u8(d0 + i)));
		vst1q_u8(d1 + i, blend16(c1, a, vld1q_u8(d1 + i)));
	}
	wm__planar8x2_from(d0 + i, d1 + i, src, i, n - i, g);
}

static void quad8_neon(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		       int aidx, int keep)
{
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		uint8x16x4_t s = vld4q_u8(src + 4 * i);
		uint8x16_t a = s.val[aidx];
		uint8x16x4_t d;

		if (vmaxvq_u8(a) == 0)
			continue;
		if (g != 255)
			a = scale16(a, g);
		d = vld4q_u8(dst + 4 * i);
		for (int k = 0; k < 4; k++) {
			if (k == aidx && keep)
				continue;
			d.val[k] =
			    blend16(k == aidx ? vdupq_n_u8(255) : s.val[k], a,
				    d.val[k]);
		}
		vst4q_u8(dst + 4 * i, d);
	}
	wm__quad8_scalar(dst + 4 * i, src + 4 * i, n - i, g, aidx, keep);
}

/* Four 16-bit samples widened to 32 bits. */
static inline uint32x4_t pairs16_4(uint16x4_t c, uint16x4_t a, uint16x4_t d)
{
	uint32x4_t x = vmull_u16(c, a);

	return div255_32(vmlal_u16(x, d, vsub_u16(vdup_n_u16(255), a)));
}

static void pairs16_neon(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			 int shift)
{
	const int16x8_t down = vdupq_n_s16((int16_t)-shift);
	const int32x4_t up = vdupq_n_s32(shift);
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		uint16x8x2_t s = vld2q_u16(src + 2 * i);
		uint16x8_t c = vshlq_u16(s.val[0], down);
		uint16x8_t d = vshlq_u16(vld1q_u16(dst + i), down);
		uint16x8_t a = s.val[1];
		uint32x4_t r0, r1;

		if (g != 255) {
			uint16x8_t t = vaddq_u16(vmulq_n_u16(a, (uint16_t)g),
						 vdupq_n_u16(128));

			a = vshrq_n_u16(vaddq_u16(t, vshrq_n_u16(t, 8)), 8);
		}
		r0 = pairs16_4(vget_low_u16(c), vget_low_u16(a),
			       vget_low_u16(d));
		r1 = pairs16_4(vget_high_u16(c), vget_high_u16(a),
			       vget_high_u16(d));
		r0 = vshlq_u32(r0, up);
		r1 = vshlq_u32(r1, up);
		vst1q_u16(dst + i, vcombine_u16(vmovn_u32(r0), vmovn_u32(r1)));
	}
	wm__pairs16_scalar(dst + i, src + 2 * i, n - i, g, shift);
}

/* Straight alpha: vector path where 16 destination pixels are opaque (the
 * straight formula then equals the opaque one), scalar elsewhere. */
static void straight8_neon(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			   int comps, int aidx)
{
	int i = 0;

	if (comps != 4) {
		wm__straight8_scalar(dst, src, n, g, comps, aidx);
		return;
	}
	for (; i + 16 <= n; i += 16) {
		uint8x16x4_t d = vld4q_u8(dst + 4 * i);

		if (vminvq_u8(d.val[aidx]) == 255)
			quad8_neon(dst + 4 * i, src + 4 * i, 16, g, aidx, 0);
		else
			wm__straight8_scalar(dst + 4 * i, src + 4 * i, 16, g, 4,
					     aidx);
	}
	wm__straight8_scalar(dst + 4 * i, src + 4 * i, n - i, g, 4, aidx);
}

const wm__kernels wm__kernels_neon = {
    .name = "neon",
    .planar8 = planar8_neon,
    .quad8 = quad8_neon,
    .pairs16 = pairs16_neon,
    .planar8_dense = planar8_neon,
    .planar8x2 = planar8x2_neon,
    .planar8x2_dense = planar8x2_neon,
    .quad8_dense = quad8_neon,
    .straight8 = straight8_neon,
    .straight16 = wm__straight16_scalar,
};
