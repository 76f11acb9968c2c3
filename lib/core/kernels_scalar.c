/* The reference kernels: plain C that defines the output bytes. */
#include "kernels.h"

static inline unsigned scale_alpha(unsigned a, unsigned g)
{
	return g == 255 ? a : wm__div255(a * g);
}

void wm__planar8_from(uint8_t *dst, const uint8_t *src, int i0, int n,
		      unsigned g)
{
	for (int i = 0; i < n; i++) {
		int s = i0 + i;
		const uint8_t *b = src +
				   (size_t)(s / WM__BLOCK8) * 2 * WM__BLOCK8 +
				   s % WM__BLOCK8;
		unsigned a = scale_alpha(b[WM__BLOCK8], g);
		unsigned c = b[0] ^ 0x80u;

		dst[i] = (uint8_t)wm__div255(c * a + dst[i] * (255 - a));
	}
}

void wm__planar8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g)
{
	wm__planar8_from(dst, src, 0, n, g);
}

void wm__planar8x2_from(uint8_t *d0, uint8_t *d1, const uint8_t *src, int i0,
			int n, unsigned g)
{
	for (int i = 0; i < n; i++) {
		int s = i0 + i;
		const uint8_t *b = src +
				   (size_t)(s / WM__BLOCK8) * 3 * WM__BLOCK8 +
				   s % WM__BLOCK8;
		unsigned a = scale_alpha(b[2 * WM__BLOCK8], g);
		unsigned c0 = b[0] ^ 0x80u, c1 = b[WM__BLOCK8] ^ 0x80u;

		d0[i] = (uint8_t)wm__div255(c0 * a + d0[i] * (255 - a));
		d1[i] = (uint8_t)wm__div255(c1 * a + d1[i] * (255 - a));
	}
}

void wm__planar8x2_scalar(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			  unsigned g)
{
	wm__planar8x2_from(d0, d1, src, 0, n, g);
}

void wm__quad8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		      int aidx, int keep)
{
	for (int i = 0; i < n; i++, dst += 4, src += 4) {
		unsigned a = scale_alpha(src[aidx], g);

		for (int k = 0; k < 4; k++) {
			unsigned c = k == aidx ? 255 : src[k];

			if (k == aidx && keep)
				continue;
			dst[k] =
			    (uint8_t)wm__div255(c * a + dst[k] * (255 - a));
		}
	}
}

void wm__pairs16_scalar(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			int shift)
{
	for (int i = 0; i < n; i++) {
		unsigned a = scale_alpha(src[2 * i + 1], g);
		uint32_t c = (uint32_t)src[2 * i] >> shift;
		uint32_t d = (uint32_t)dst[i] >> shift;

		dst[i] = (uint16_t)(wm__div255(c * a + d * (255 - a)) << shift);
	}
}

/* round(num / den) for den > 0, clamped to max. */
static inline uint32_t div_round_clamp(uint64_t num, uint64_t den, uint32_t max)
{
	uint64_t q = (2 * num + den) / (2 * den);

	return q > max ? max : (uint32_t)q;
}

/*
 * One straight-alpha pixel with samples up to `max` (255 or 65535) and the
 * mark's alpha already scaled to `a` (0..max):
 *   a_out = a + a_dst * (1 - a)
 *   c_out = (c * a + c_dst * a_dst * (1 - a)) / a_out, 0 where a_out = 0.
 */
static void straight_pixel(uint32_t *d, const uint32_t *c, int comps, int aidx,
			   uint32_t a, uint32_t max)
{
	uint64_t m = max;
	uint64_t ad = d[aidx];
	uint64_t rest = ad * (m - a);
	uint64_t aout = a + (rest + m / 2) / m;

	for (int k = 0; k < comps; k++) {
		if (k == aidx)
			continue;
		if (aout == 0) {
			d[k] = 0;
			continue;
		}
		d[k] = div_round_clamp(c[k] * (uint64_t)a * m + d[k] * rest,
				       m * aout, max);
	}
	d[aidx] = (uint32_t)aout;
}

void wm__straight8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			  int comps, int aidx)
{
	uint32_t c[4], d[4];

	for (int i = 0; i < n; i++, dst += comps, src += comps) {
		unsigned a = scale_alpha(src[aidx], g);

		if (a == 0)
			continue;
		for (int k = 0; k < comps; k++) {
			c[k] = src[k];
			d[k] = dst[k];
		}
		straight_pixel(d, c, comps, aidx, a, 255);
		for (int k = 0; k < comps; k++)
			dst[k] = (uint8_t)d[k];
	}
}

void wm__straight16_scalar(uint16_t *dst, const uint16_t *src, int n,
			   unsigned g, int comps, int aidx)
{
	uint32_t c[4], d[4];

	for (int i = 0; i < n; i++, dst += comps, src += comps) {
		unsigned a = scale_alpha(src[aidx], g);

		if (a == 0)
			continue;
		for (int k = 0; k < comps; k++) {
			c[k] = src[k];
			d[k] = dst[k];
		}
		straight_pixel(d, c, comps, aidx, a * 257, 65535);
		for (int k = 0; k < comps; k++)
			dst[k] = (uint16_t)d[k];
	}
}

const wm__kernels wm__kernels_scalar = {
    .name = "scalar",
    .planar8 = wm__planar8_scalar,
    .quad8 = wm__quad8_scalar,
    .pairs16 = wm__pairs16_scalar,
    .planar8_dense = wm__planar8_scalar,
    .planar8x2 = wm__planar8x2_scalar,
    .planar8x2_dense = wm__planar8x2_scalar,
    .quad8_dense = wm__quad8_scalar,
    .straight8 = wm__straight8_scalar,
    .straight16 = wm__straight16_scalar,
};
