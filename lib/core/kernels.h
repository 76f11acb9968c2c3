/*
 * Blending kernels: one row segment at a time, no allocation, no state.
 *
 * The scalar kernels define the bytes; every SIMD set must produce exactly
 * the same output for every input. This header depends on nothing but the
 * C library so that the kernels can be built alone (for example by a cross
 * compiler, to test the NEON set under an emulator).
 *
 * Layer samples come in these forms (n counts destination pixels):
 *   planar8: 8-bit samples, one per destination byte, in blocks of
 *            WM__BLOCK8 samples: a block holds their colour bytes, each
 *            XOR 0x80, then their alphas (so that a vector kernel loads
 *            both without taking pairs apart, and the colour is already
 *            in the signed form its multiply wants). Sample i lies in
 *            block i / WM__BLOCK8; a run's last block is stored whole.
 *   planar8x2: two 8-bit planes that share their alphas (the chroma
 *            planes of planar YUV), one sample of each per index, in
 *            blocks of WM__BLOCK8: the first plane's colours, the second
 *            plane's (each XOR 0x80), then the alphas.
 *   quad8:   per 4-byte destination pixel, the mark's 4 bytes in destination
 *            order with the mark's alpha stored at the alpha/padding index.
 *   pairs16: per destination sample, the colour (uint16, already scaled and
 *            shifted to the sample's bit depth) then the alpha (0..255).
 *   straight: per pixel, `comps` samples in destination order, the mark's
 *            alpha (0..255) at index `aidx`; the destination's alpha is
 *            straight (not premultiplied).
 * `g` (0..255) scales the mark's alpha: a' = round(a * g / 255).
 */
#ifndef WM_CORE_KERNELS_H
#define WM_CORE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct wm__kernels {
	const char *name;

	/* dst[i] = round((c * a + dst[i] * (255 - a)) / 255), n samples of
	 * planar8 blocks from src (the first sample starts a block). */
	void (*planar8)(uint8_t *dst, const uint8_t *src, int n, unsigned g);

	/*
	 * Like planar8 on 4-byte pixels whose alpha is src[4 * i + aidx].
	 * keep != 0: the byte at aidx is padding and is left as it is;
	 * keep == 0: the byte at aidx is an alpha channel and gets 255 * a +
	 * dst * (255 - a), as premultiplied or opaque alpha does.
	 */
	void (*quad8)(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		      int aidx, int keep);

	/* The same blend on uint16 (colour, alpha) pairs (n samples): values
	 * are shifted right by `shift` before blending and back after (P010
	 * keeps 10 bits high). */
	void (*pairs16)(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			int shift);

	/* planar8 and quad8 for runs whose alphas are mostly neither 0 nor
	 * 255: the same bytes, without the per-vector tests for fully
	 * transparent or opaque vectors that pay off elsewhere. */
	void (*planar8_dense)(uint8_t *dst, const uint8_t *src, int n,
			      unsigned g);

	/* planar8 on two planes at once, n samples of each (d0 takes the
	 * first colours), with and without the per-vector tests. */
	void (*planar8x2)(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			  unsigned g);
	void (*planar8x2_dense)(uint8_t *d0, uint8_t *d1, const uint8_t *src,
				int n, unsigned g);
	void (*quad8_dense)(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			    int aidx, int keep);

	/* Straight-alpha destinations (8-bit and 16-bit samples). */
	void (*straight8)(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			  int comps, int aidx);
	void (*straight16)(uint16_t *dst, const uint16_t *src, int n,
			   unsigned g, int comps, int aidx);
} wm__kernels;

extern const wm__kernels wm__kernels_scalar;
extern const wm__kernels wm__kernels_sse2;
extern const wm__kernels wm__kernels_avx2;
/* Only the 8-bit kernels; the others are NULL (see dispatch.c). */
extern const wm__kernels wm__kernels_avx512;
extern const wm__kernels wm__kernels_neon;

/* Samples of a planar8 block. */
#define WM__BLOCK8 32

/* The scalar kernels by name, for the tails of SIMD loops. */
void wm__planar8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g);

/* planar8 from sample i0 of the blocks at src (any i0 >= 0): dst points
 * at the frame byte of sample i0. */
void wm__planar8_from(uint8_t *dst, const uint8_t *src, int i0, int n,
		      unsigned g);

/* The same for planar8x2. */
void wm__planar8x2_scalar(uint8_t *d0, uint8_t *d1, const uint8_t *src, int n,
			  unsigned g);
void wm__planar8x2_from(uint8_t *d0, uint8_t *d1, const uint8_t *src, int i0,
			int n, unsigned g);
void wm__quad8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g,
		      int aidx, int keep);
void wm__pairs16_scalar(uint16_t *dst, const uint16_t *src, int n, unsigned g,
			int shift);
void wm__straight8_scalar(uint8_t *dst, const uint8_t *src, int n, unsigned g,
			  int comps, int aidx);
void wm__straight16_scalar(uint16_t *dst, const uint16_t *src, int n,
			   unsigned g, int comps, int aidx);

/* The set chosen for this process (see dispatch.c). */
const wm__kernels *wm__kernels_active(void);

/* Tests only: makes `k` the active set (NULL restores the chosen one), so
 * that one process can compare a backend with the scalar kernels. Not
 * thread-safe; never called by the library. */
void wm__kernels_override(const wm__kernels *k);

/* round(x / 255) for 0 <= x <= 255 * 65535. */
static inline uint32_t wm__div255(uint32_t x)
{
	return (x + 127) / 255;
}

/* round(x / 65535) for 0 <= x <= 65535 * 65535. */
static inline uint32_t wm__div65535(uint32_t x)
{
	return (uint32_t)(((uint64_t)x + 32767) / 65535);
}

#endif /* WM_CORE_KERNELS_H */
