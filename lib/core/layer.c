/*
 * Layers: a rendered mark converted once for one pixel layout and colour
 * space, with the spans it covers, then composited in place onto frames.
 *
 * Preparation reads the raster once per plane grid (full resolution, and
 * subsampled chroma shared by the chroma planes), skips transparent
 * pixels four at a time, and converts each distinct block of raster
 * pixels once: the colour arithmetic (in floating point, exactly as
 * defined by color.c) runs only for blocks not seen before. Only the
 * covered spans are stored, one after the other, 8-bit planes in the
 * planar8 form of kernels.h (colours and alphas apart, so that a vector
 * kernel loads them as they are), the two chroma planes of planar YUV
 * sharing one set of alphas (planar8x2).
 */
#include <pthread.h>
#include <string.h>

#include "format.h"
#include "kernels.h"

/* How a plane of a layer is blended; see kernels.h for the sample forms. */
enum {
	KIND_PLANAR8,
	KIND_PLANAR8X2,
	KIND_QUAD8,
	KIND_PAIRS16,
	KIND_STRAIGHT8,
	KIND_STRAIGHT16,
	KIND_MERGED /* applied with its partner, as KIND_PLANAR8X2 */
};

/* How a span is applied: blended with or without the kernels' tests for
 * transparent and opaque vectors, or (all alphas 255) copied. */
enum { SPAN_BLEND, SPAN_DENSE, SPAN_OPAQUE };

/* Transparent gaps shorter than this are blended through (alpha 0 leaves
 * the frame as it is) so that kernels see fewer, longer runs; the SIMD
 * kernels neither read nor write the frame for whole vectors of alpha 0,
 * so a joined gap costs little, while each run costs a call and a tail. */
#define SPAN_MERGE_GAP 64

/* Runs of alpha 255 at least this long become spans of their own, applied
 * (at full opacity) as a copy of the finished destination bytes: no read
 * of the frame and no arithmetic. Shorter ones stay inside their blended
 * span, where the vector kernels' opaque test takes them almost as
 * cheaply: every span costs a call and the ragged ends of its vector
 * loop, and with 16 or 48 the strokes of a 160 px text mark on yuv420p
 * were split into pieces short enough to make it up to 1.6x slower. */
#define OPAQUE_MIN 128

/* Distinct pixel blocks remembered while converting a raster: marks have
 * few distinct colours and alpha patterns, and each new one costs a
 * colour conversion in floating point. */
#define CACHE_BITS 12

/* Offsets further than this from the picture are refused so that every
 * coordinate sum fits in int. */
#define MAX_OFFSET (1 << 28)
#define MAX_RASTER_SIDE (1 << 16)

/* Alignment of layer data: a cache line, and a planar8 block's size. */
#define DATA_ALIGN 64

typedef struct span {
	int32_t x; /* first sample, relative to the plane box */
	int32_t n;
	int32_t type; /* SPAN_* */
	int32_t pad;  /* transparent samples after the n (see add_blend) */
	size_t off;   /* the span's layer samples in the plane's data */
	size_t copy;  /* SPAN_OPAQUE: its destination bytes in the data */
} span;

typedef struct layer_plane {
	int kind;
	int x, y, w, h; /* box in plane coordinates (subsampled for chroma) */
	int sub_x, sub_y;
	int comps;   /* samples of a destination pixel */
	int dst_bpp; /* bytes of a destination pixel */
	int src_bpp; /* bytes of a layer pixel (planar8: see layer_bytes) */
	int aidx;    /* alpha/padding sample (quad8, straight) */
	int keep;    /* quad8: the byte at aidx is padding */
	int shift;
	int sel[4];    /* per sample: value 0..2, 3 the maximum, 4 the alpha
			* (planar8x2: sel[1] is the partner plane's value) */
	int partner;   /* planar8x2: the plane applied with this one */
	uint8_t *data; /* DATA_ALIGN-aligned, inside mem */
	uint8_t *mem;
	size_t data_len, data_cap;
	int32_t *row_first; /* h + 1 indexes into spans */
	span *spans;
	size_t span_count, span_cap;
} layer_plane;

struct wm__layer {
	wm_pixel_format format;
	int planes;
	layer_plane p[3];
	int bx, by, bw, bh;
};

wm_status wm__raster_new(int width, int height, wm__raster **out)
{
	wm__raster *r;
	size_t bytes;

	if (!out)
		return wm__error(WM_ERR_INVALID_ARGUMENT, "raster: NULL out");
	*out = NULL;
	if (width <= 0 || height <= 0 || width > MAX_RASTER_SIDE ||
	    height > MAX_RASTER_SIDE)
		return wm__error(WM_ERR_TOO_LARGE,
				 "raster: bad size %dx%d (each side must be "
				 "1..%d)",
				 width, height, MAX_RASTER_SIDE);
	if (!wm__mul_size((size_t)width * 4, (size_t)height, &bytes))
		return wm__error(WM_ERR_TOO_LARGE, "raster: %dx%d overflows",
				 width, height);

	r = wm__calloc(1, sizeof(*r));
	if (r)
		r->pixels = wm__calloc(bytes, 1);
	if (!r || !r->pixels) {
		wm__free(r);
		return wm__error(WM_ERR_NO_MEMORY,
				 "raster: %dx%d: out of memory", width, height);
	}
	r->width = width;
	r->height = height;
	r->stride = (ptrdiff_t)width * 4;
	*out = r;
	return WM_OK;
}

void wm__raster_free(wm__raster *r)
{
	if (!r)
		return;
	wm__free(r->pixels);
	wm__free(r);
}

/* floor(v / 2^s) for negative v too. */
static int floor_shift(int v, int s)
{
	return v >= 0 ? v >> s : -((-v + (1 << s) - 1) >> s);
}

/* unpremultiplied[a][p] = min(255, round(p * 255 / a)), filled once. */
static uint8_t unpremultiplied[256][256];
static pthread_once_t unpremultiplied_once = PTHREAD_ONCE_INIT;

static void fill_unpremultiplied(void)
{
	for (unsigned a = 1; a < 256; a++)
		for (unsigned p = 0; p < 256; p++) {
			unsigned c = (p * 255 + a / 2) / a;

			unpremultiplied[a][p] = (uint8_t)(c > 255 ? 255 : c);
		}
}

/*
 * Conversion of mark colours for one layer, remembering the last colour's
 * non-linear values: PQ and HLG cost several pow() calls a colour.
 */
typedef struct conv_memo {
	const wm__color_conv *cv;
	uint32_t key; /* r | g << 8 | b << 16 of the last colour, or ~0 */
	double nl[3];
} conv_memo;

static void memo_update(conv_memo *m, const uint8_t rgb[3])
{
	uint32_t key = rgb[0] | (uint32_t)rgb[1] << 8 | (uint32_t)rgb[2] << 16;

	if (key == m->key)
		return;
	wm__color_nonlinear(m->cv, rgb, m->nl);
	m->key = key;
}

/* Straight colour and alpha of a premultiplied RGBA pixel. */
static unsigned unpremultiply(uint32_t px, uint8_t rgb[3])
{
	uint8_t b[4];
	unsigned a;

	memcpy(b, &px, 4);
	a = b[3];
	for (int k = 0; k < 3; k++)
		rgb[k] = a ? unpremultiplied[a][b[k]] : 0;
	return a;
}

/*
 * Alpha and sample values of one plane sample whose footprint is the `n`
 * raster pixels of `px` (premultiplied, row by row; pixels outside the
 * raster given as 0): alpha is the correctly rounded mean of their alphas,
 * colour the alpha-weighted mean of their colours. The values of a
 * transparent sample are 0 (they are never used).
 */
static unsigned block_value(conv_memo *m, const uint32_t *px, int n,
			    uint16_t val[3])
{
	double acc[3] = {0, 0, 0};
	unsigned sum = 0;
	uint32_t q[3];
	uint8_t rgb[3];

	val[0] = val[1] = val[2] = 0;
	for (int i = 0; i < n; i++) {
		unsigned a = unpremultiply(px[i], rgb);

		if (!a)
			continue;
		memo_update(m, rgb);
		for (int k = 0; k < 3; k++)
			acc[k] += m->nl[k] * a;
		sum += a;
	}
	if (sum == 0)
		return 0;
	if (n == 1) {
		wm__color_quantize(m->cv, m->nl, q);
		for (int k = 0; k < 3; k++)
			val[k] = (uint16_t)q[k];
		return sum;
	}
	for (int k = 0; k < 3; k++)
		acc[k] /= sum;
	wm__color_quantize(m->cv, acc, q);
	for (int k = 0; k < 3; k++)
		val[k] = (uint16_t)q[k];
	return (sum + (unsigned)n / 2) / (unsigned)n;
}

/* A converted block: the key is its raster pixels (all 0 when empty). */
typedef struct cache_entry {
	uint32_t key[4];
	uint16_t val[3];
	uint8_t a;
} cache_entry;

/*
 * One grid of plane samples: full resolution, or the chroma subsampling.
 * Planes of the same grid (U and V) share its samples, computed once a
 * row into a, v[0..2].
 */
typedef struct grid {
	const wm__raster *r;
	int bw, bh; /* raster pixels of a sample each way */
	int x, y, w, h;
	int ox, oy; /* the raster's position in the picture */
	conv_memo memo;
	cache_entry *cache;
	const uint8_t *zero_row;
	uint8_t *a;
	uint16_t *v[3];
} grid;

/* The converted block `key` of n pixels, through the cache. */
static const cache_entry *lookup(grid *g, const uint32_t key[4], int n)
{
	uint32_t h = key[0] * 0x9e3779b1u ^ key[1] * 0x85ebca77u ^
		     key[2] * 0xc2b2ae3du ^ key[3] * 0x27d4eb2fu;
	cache_entry *e = &g->cache[(h * 0x9e3779b1u) >> (32 - CACHE_BITS)];

	if (memcmp(e->key, key, sizeof(e->key)) != 0) {
		memcpy(e->key, key, sizeof(e->key));
		e->a = (uint8_t)block_value(&g->memo, key, n, e->val);
	}
	return e;
}

static bool same_key(const uint32_t a[4], const uint32_t b[4])
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
		(a[3] ^ b[3])) == 0;
}

/* Whether the `n` raster pixels from p are all 0 (n a multiple of 4). */
static bool clear_px(const uint8_t *p, int n)
{
	uint64_t v = 0, t;

	for (int k = 0; k < n; k += 2) {
		memcpy(&t, p + 4 * k, 8);
		v |= t;
	}
	return v == 0;
}

static void clear_samples(grid *g, int i, int n)
{
	memset(g->a + i, 0, (size_t)n);
	for (int k = 0; k < 3; k++)
		memset(g->v[k] + i, 0, (size_t)n * sizeof(uint16_t));
}

/*
 * Samples [i0, i1) of a grid row whose blocks lie inside the raster,
 * block rows r0 and r1, the first block at raster column rx. Inlined
 * with constant block sizes: this loop runs for every sample of a layer.
 */
static inline void grid_inner(grid *g, const uint8_t *r0, const uint8_t *r1,
			      int i0, int i1, int rx, const int bw,
			      const int bh)
{
	uint32_t prev[4] = {0, 0, 0, 0};
	const cache_entry *pe = NULL;
	uint8_t *a = g->a;
	uint16_t *v0 = g->v[0], *v1 = g->v[1], *v2 = g->v[2];

	r0 += (size_t)rx * 4;
	r1 += (size_t)rx * 4;
	for (int i = i0; i < i1;) {
		const uint8_t *p0 = r0 + (size_t)(i - i0) * bw * 4;
		const uint8_t *p1 = r1 + (size_t)(i - i0) * bw * 4;
		uint32_t key[4] = {0, 0, 0, 0};

		memcpy(&key[0], p0, 4 * bw);
		if (bh == 2)
			memcpy(&key[bw], p1, 4 * bw);
		if ((key[0] | key[1] | key[2] | key[3]) == 0) {
			/* Transparent: skip four samples at a time. */
			int n = 1;

			while (i + n + 4 <= i1 &&
			       clear_px(p0 + (size_t)n * bw * 4, 4 * bw) &&
			       (bh == 1 ||
				clear_px(p1 + (size_t)n * bw * 4, 4 * bw)))
				n += 4;
			clear_samples(g, i, n);
			i += n;
			continue;
		}
		if (!pe || !same_key(key, prev)) {
			pe = lookup(g, key, bw * bh);
			memcpy(prev, key, sizeof(prev));
		}
		a[i] = pe->a;
		v0[i] = pe->val[0];
		v1[i] = pe->val[1];
		v2[i] = pe->val[2];
		i++;
	}
}

/* One sample whose block may reach past the raster's edges. */
static void grid_edge(grid *g, const uint8_t *const rows[2], int i)
{
	int rx = (g->x + i) * g->bw - g->ox;
	uint32_t key[4] = {0, 0, 0, 0};

	for (int j = 0; j < g->bh; j++)
		for (int k = 0; k < g->bw; k++) {
			int x = rx + k;

			if (x >= 0 && x < g->r->width)
				memcpy(&key[j * g->bw + k],
				       rows[j] + (size_t)x * 4, 4);
		}
	if ((key[0] | key[1] | key[2] | key[3]) == 0) {
		clear_samples(g, i, 1);
		return;
	}
	{
		const cache_entry *e = lookup(g, key, g->bw * g->bh);

		g->a[i] = e->a;
		for (int k = 0; k < 3; k++)
			g->v[k][i] = e->val[k];
	}
}

/* Computes the samples of grid row j into g->a and g->v. */
static void grid_row(grid *g, int j)
{
	const uint8_t *rows[2];
	int i0 = 0, i1 = g->w, rx;

	for (int k = 0; k < g->bh; k++) {
		int ry = (g->y + j) * g->bh - g->oy + k;

		rows[k] = ry >= 0 && ry < g->r->height
			      ? g->r->pixels + (ptrdiff_t)ry * g->r->stride
			      : g->zero_row;
	}
	if (g->bh == 1)
		rows[1] = rows[0];

	/* Only the first and last samples' blocks can reach past the raster's
	 * sides (its box is the raster's own). */
	while (i0 < i1 && (g->x + i0) * g->bw - g->ox < 0)
		grid_edge(g, rows, i0++);
	while (i1 > i0 && (g->x + i1 - 1) * g->bw - g->ox + g->bw > g->r->width)
		grid_edge(g, rows, --i1);
	rx = (g->x + i0) * g->bw - g->ox;
	if (g->bw == 1 && g->bh == 1)
		grid_inner(g, rows[0], rows[1], i0, i1, rx, 1, 1);
	else if (g->bw == 2 && g->bh == 1)
		grid_inner(g, rows[0], rows[1], i0, i1, rx, 2, 1);
	else if (g->bw == 2 && g->bh == 2)
		grid_inner(g, rows[0], rows[1], i0, i1, rx, 2, 2);
	else
		while (i0 < i1)
			grid_edge(g, rows, i0++);
}

static void plane_kind(layer_plane *lp, const wm__format_desc *d,
		       const char *layout, wm_alpha_mode mode)
{
	const char *a = strpbrk(layout, "AX");
	bool straight = a && *a == 'A' && mode == WM_ALPHA_STRAIGHT;

	lp->comps = (int)strlen(layout);
	lp->aidx = a ? (int)(a - layout) : 0;
	lp->keep = a && *a == 'X';
	lp->shift = d->shift;
	lp->dst_bpp = lp->comps * d->bytes;
	if (straight) {
		lp->kind = d->bytes == 1 ? KIND_STRAIGHT8 : KIND_STRAIGHT16;
		lp->src_bpp = lp->dst_bpp;
	} else if (d->bytes == 1 && lp->comps == 4) {
		lp->kind = KIND_QUAD8;
		lp->src_bpp = 4;
	} else {
		lp->kind = d->bytes == 1 ? KIND_PLANAR8 : KIND_PAIRS16;
		lp->src_bpp = 2 * lp->dst_bpp;
	}
}

/* What each destination sample of the plane takes (layer.sel). */
static void plane_select(layer_plane *lp, const char *layout)
{
	for (int k = 0; k < lp->comps; k++) {
		switch (layout[k]) {
		case 'R':
		case 'Y':
		case 'L': lp->sel[k] = 0; break;
		case 'G':
		case 'U': lp->sel[k] = 1; break;
		case 'B':
		case 'V': lp->sel[k] = 2; break;
		default: lp->sel[k] = 3; break;
		}
		if (k == lp->aidx && lp->kind != KIND_PLANAR8 &&
		    lp->kind != KIND_PAIRS16)
			lp->sel[k] = 4;
	}
}

/*
 * Whether fewer than half of the run's alphas are 0. The kernels' tests
 * for transparent and opaque vectors then cost more than they save: on
 * text, where partial, opaque and transparent vectors alternate with no
 * pattern the branch predictor can learn, blending every vector of such
 * runs made a 160 px text mark 1.3x faster on BGRA.
 */
static int is_dense(const uint8_t *alpha, int start, int end)
{
	int zero = 0;

	for (int i = start; i < end; i++)
		zero += alpha[i] == 0;
	return 2 * zero < (end - start);
}

/* Room for `n` more bytes of plane data; NULL when out of memory. The
 * data starts on a cache line, and so does every planar8 span (see
 * add_span): a block is then one line, and no vector load is split. */
static uint8_t *data_grow(layer_plane *lp, size_t n)
{
	if (lp->data_cap - lp->data_len < n) {
		size_t cap = lp->data_cap ? lp->data_cap : 4096;
		size_t old = lp->mem ? (size_t)(lp->data - lp->mem) : 0, now;
		uint8_t *d;

		while (cap - lp->data_len < n)
			cap *= 2;
		d = wm__realloc(lp->mem, cap + DATA_ALIGN - 1);
		if (!d)
			return NULL;
		now = (DATA_ALIGN - (uintptr_t)d % DATA_ALIGN) % DATA_ALIGN;
		if (now != old)
			memmove(d + now, d + old, lp->data_len);
		lp->mem = d;
		lp->data = d + now;
		lp->data_cap = cap;
	}
	return lp->data + lp->data_len;
}

static bool is_planar(const layer_plane *lp)
{
	return lp->kind == KIND_PLANAR8 || lp->kind == KIND_PLANAR8X2;
}

/* Colour planes of a planar8 or planar8x2 block. */
static int planar_colours(const layer_plane *lp)
{
	return lp->kind == KIND_PLANAR8X2 ? 2 : 1;
}

/* Bytes of layer data for n pixels of the plane. */
static size_t layer_bytes(const layer_plane *lp, int n)
{
	size_t samples = (size_t)n * (size_t)lp->comps;

	if (is_planar(lp))
		return (samples + WM__BLOCK8 - 1) / WM__BLOCK8 *
		       (size_t)(planar_colours(lp) + 1) * WM__BLOCK8;
	return (size_t)n * (size_t)lp->src_bpp;
}

/* Where sample s of a planar run lies (the first colour; the next colour
 * and the alpha follow WM__BLOCK8 apart). */
static size_t planar_at(const layer_plane *lp, size_t s)
{
	return s / WM__BLOCK8 * (size_t)(planar_colours(lp) + 1) * WM__BLOCK8 +
	       s % WM__BLOCK8;
}

/* Colour value c of sample k of grid sample i, as planar blocks hold it. */
static uint8_t planar_colour(const layer_plane *lp, const grid *g, int k, int i)
{
	int sel = lp->sel[k];
	uint32_t c = sel < 3 ? g->v[sel][i] : (uint32_t)g->memo.cv->maxv;

	return (uint8_t)(c ^ 0x80);
}

/* Samples [i0, i1) of the grid row as planar blocks, the unused samples
 * of the last block transparent. */
static void write_planar(const layer_plane *lp, const grid *g, int i0, int i1,
			 uint8_t *out)
{
	int colours = planar_colours(lp);
	size_t s = 0;

	memset(out, 0, layer_bytes(lp, i1 - i0));
	if (lp->comps == 1 && lp->sel[0] < 3 &&
	    (colours == 1 || lp->sel[1] < 3)) {
		/* Planes of one sample a pixel (the common case): block by
		 * block, without working out where each sample goes. */
		const uint16_t *v0 = g->v[lp->sel[0]];
		const uint16_t *v1 = g->v[colours == 2 ? lp->sel[1] : 0];

		for (int i = i0; i < i1; i += WM__BLOCK8) {
			int m = i1 - i < WM__BLOCK8 ? i1 - i : WM__BLOCK8;
			uint8_t *a = out + colours * WM__BLOCK8;

			for (int j = 0; j < m; j++) {
				out[j] = (uint8_t)(v0[i + j] ^ 0x80);
				a[j] = g->a[i + j];
			}
			for (int j = 0; colours == 2 && j < m; j++)
				out[WM__BLOCK8 + j] =
				    (uint8_t)(v1[i + j] ^ 0x80);
			out += (colours + 1) * WM__BLOCK8;
		}
		return;
	}
	for (int i = i0; i < i1; i++) {
		for (int k = 0; k < lp->comps; k++, s++) {
			uint8_t *b = out + planar_at(lp, s);

			for (int q = 0; q < colours; q++)
				b[q * WM__BLOCK8] =
				    planar_colour(lp, g, k + q, i);
			b[colours * WM__BLOCK8] = g->a[i];
		}
	}
}

/* Writes samples [i0, i1) of the grid row in the plane's layer form. */
static void write_samples(const layer_plane *lp, const grid *g, int i0, int i1,
			  uint8_t *out)
{
	uint16_t *o16 = (uint16_t *)(void *)out;
	uint32_t maxv = (uint32_t)g->memo.cv->maxv;

	if (is_planar(lp)) {
		write_planar(lp, g, i0, i1, out);
		return;
	}
	for (int i = i0; i < i1; i++) {
		for (int k = 0; k < lp->comps; k++) {
			int s = lp->sel[k];
			uint32_t c = s < 3    ? g->v[s][i]
				     : s == 3 ? maxv
					      : g->a[i];

			switch (lp->kind) {
			case KIND_PAIRS16:
				o16[2 * k] = (uint16_t)(c << lp->shift);
				o16[2 * k + 1] = g->a[i];
				break;
			case KIND_QUAD8:
			case KIND_STRAIGHT8: out[k] = (uint8_t)c; break;
			default: o16[k] = (uint16_t)c; break;
			}
		}
		out += lp->src_bpp;
		o16 = (uint16_t *)(void *)out;
	}
}

/* A run of the kinds not stored in planar blocks (see apply_planar). */
static void blend_run(const wm__kernels *k, const layer_plane *lp, uint8_t *dst,
		      const uint8_t *src, int n, unsigned g, int dense)
{
	switch (lp->kind) {
	case KIND_QUAD8:
		(dense ? k->quad8_dense : k->quad8)(dst, src, n, g, lp->aidx,
						    lp->keep);
		break;
	case KIND_PAIRS16:
		k->pairs16((uint16_t *)(void *)dst,
			   (const uint16_t *)(const void *)src, n * lp->comps,
			   g, lp->shift);
		break;
	case KIND_STRAIGHT8:
		k->straight8(dst, src, n, g, lp->comps, lp->aidx);
		break;
	default:
		k->straight16((uint16_t *)(void *)dst,
			      (const uint16_t *)(const void *)src, n, g,
			      lp->comps, lp->aidx);
		break;
	}
}

/*
 * The bytes n opaque layer pixels leave in a frame, whatever it held: the
 * mark's colour, alpha at its maximum (what the kernels give for a = 255,
 * which tests check).
 */
static void opaque_bytes(const layer_plane *lp, const uint8_t *src, int n,
			 uint8_t *out)
{
	const uint16_t *s16 = (const uint16_t *)(const void *)src;
	uint16_t *o16 = (uint16_t *)(void *)out;
	int samples = n * lp->comps;

	switch (lp->kind) {
	case KIND_PLANAR8:
		for (int i = 0; i < samples; i++)
			out[i] = src[planar_at(lp, (size_t)i)] ^ 0x80;
		break;
	case KIND_PLANAR8X2:
		/* The first plane's n bytes, then the partner's. */
		for (int i = 0; i < samples; i++) {
			out[i] = src[planar_at(lp, (size_t)i)] ^ 0x80;
			out[samples + i] =
			    src[planar_at(lp, (size_t)i) + WM__BLOCK8] ^ 0x80;
		}
		break;
	case KIND_PAIRS16:
		for (int i = 0; i < samples; i++)
			o16[i] = s16[2 * i];
		break;
	case KIND_QUAD8:
	case KIND_STRAIGHT8:
		for (int i = 0; i < samples; i++)
			out[i] = i % lp->comps == lp->aidx ? 255 : src[i];
		break;
	default:
		for (int i = 0; i < samples; i++)
			o16[i] = i % lp->comps == lp->aidx ? 65535 : s16[i];
		break;
	}
}

/*
 * Records samples [i0, i1) of the grid row as a span of `type`. Opaque
 * spans also keep the bytes they leave in the frame at full opacity.
 */
static wm_status add_span(layer_plane *lp, const grid *g, int i0, int i1,
			  int pad, int type)
{
	size_t src = layer_bytes(lp, i1 + pad - i0);
	size_t dst = type == SPAN_OPAQUE ? (size_t)(i1 - i0) * lp->dst_bpp *
					       (size_t)planar_colours(lp)
					 : 0;
	size_t lead = is_planar(lp) ? (DATA_ALIGN - lp->data_len % DATA_ALIGN) %
					  DATA_ALIGN
				    : 0;
	uint8_t *out = data_grow(lp, lead + src + dst);
	span *sp;

	if (!out)
		return wm__error(WM_ERR_NO_MEMORY, "layer: out of memory");
	memset(out, 0, lead);
	lp->data_len += lead;
	out += lead;
	if (lp->span_count == lp->span_cap) {
		size_t cap = lp->span_cap ? 2 * lp->span_cap : 64;

		sp = wm__realloc(lp->spans, cap * sizeof(*sp));
		if (!sp)
			return wm__error(WM_ERR_NO_MEMORY,
					 "layer: out of memory");
		lp->spans = sp;
		lp->span_cap = cap;
	}
	if (type != SPAN_OPAQUE && is_dense(g->a, i0, i1))
		type = SPAN_DENSE;
	sp = &lp->spans[lp->span_count++];
	*sp = (span){i0, i1 - i0, type, pad, lp->data_len, lp->data_len + src};
	write_samples(lp, g, i0, i1 + pad, out);
	if (type == SPAN_OPAQUE)
		opaque_bytes(lp, out, i1 - i0, out + src);
	lp->data_len += src + dst;
	return WM_OK;
}

/*
 * A blended piece [i0, i1) without its transparent ends. P010 keeps them:
 * there the kernels clear the 6 low bits of every sample a run passes
 * over, alpha 0 included, and a covered run's bytes do not depend on how
 * it is cut into spans. 8-bit pieces are then grown with transparent
 * samples, up to `limit` (where the next span or the box starts), to a
 * multiple of 8 samples: the vector kernels then never fall back to their
 * scalar loop for the last few samples.
 */
static wm_status add_blend(layer_plane *lp, const grid *g, int i0, int i1,
			   int limit)
{
	int pad = 0;

	while (!lp->shift && i0 < i1 && !g->a[i0])
		i0++;
	while (!lp->shift && i1 > i0 && !g->a[i1 - 1])
		i1--;
	if (i0 == i1)
		return WM_OK;
	while (is_planar(lp) && (i1 + pad - i0) * lp->comps % 8 &&
	       i1 + pad < limit)
		pad++;
	return add_span(lp, g, i0, i1, pad, SPAN_BLEND);
}

/* One covered run [start, end): opaque stretches of at least OPAQUE_MIN
 * samples as copies (where padding need not be kept), the rest blended. */
static wm_status add_run(layer_plane *lp, const grid *g, int start, int end)
{
	int piece = start, i = start;
	wm_status st = WM_OK;

	while (!lp->keep && st == WM_OK && i < end) {
		int o = i;

		while (i < end && g->a[i] == 255)
			i++;
		if (i - o < OPAQUE_MIN) {
			i += i == o;
			continue;
		}
		st = add_blend(lp, g, piece, o, o);
		if (st == WM_OK)
			st = add_span(lp, g, o, i, 0, SPAN_OPAQUE);
		piece = i;
	}
	/* The next run starts at least SPAN_MERGE_GAP samples further. */
	if (st == WM_OK)
		st = add_blend(lp, g, piece, end,
			       end + 8 < g->w ? end + 8 : g->w);
	return st;
}

/* The spans of one grid row for one plane: runs of non-zero alpha, joined
 * across gaps shorter than SPAN_MERGE_GAP. */
static wm_status row_spans(layer_plane *lp, const grid *g)
{
	const uint8_t *alpha = g->a;
	int w = g->w, i = 0;
	wm_status st = WM_OK;

	while (st == WM_OK && i < w) {
		int start, end;

		while (i < w && !alpha[i])
			i++;
		if (i == w)
			break;

		start = i;
		end = i;
		while (i < w) {
			if (alpha[i])
				end = ++i;
			else if (i + 1 - end >= SPAN_MERGE_GAP)
				break;
			else
				i++;
		}
		st = add_run(lp, g, start, end);
		i = end;
	}
	return st;
}

static void plane_setup(layer_plane *lp, const wm__format_desc *d, int p,
			const wm__raster *r, const wm_frame *t, int x, int y)
{
	plane_kind(lp, d, d->layout[p], t->alpha);
	plane_select(lp, d->layout[p]);
	lp->sub_x = p ? d->sub_x : 0;
	lp->sub_y = p ? d->sub_y : 0;
	lp->x = floor_shift(x, lp->sub_x);
	lp->y = floor_shift(y, lp->sub_y);
	lp->w = floor_shift(x + r->width - 1, lp->sub_x) - lp->x + 1;
	lp->h = floor_shift(y + r->height - 1, lp->sub_y) - lp->y + 1;
}

static void grid_free(grid *g)
{
	wm__free(g->cache);
	wm__free((void *)g->zero_row);
	wm__free(g->a);
	for (int k = 0; k < 3; k++)
		wm__free(g->v[k]);
}

static wm_status grid_init(grid *g, const layer_plane *lp, const wm__raster *r,
			   const wm__color_conv *cv, int x, int y)
{
	memset(g, 0, sizeof(*g));
	g->r = r;
	g->bw = 1 << lp->sub_x;
	g->bh = 1 << lp->sub_y;
	g->x = lp->x;
	g->y = lp->y;
	g->w = lp->w;
	g->h = lp->h;
	g->ox = x;
	g->oy = y;
	g->memo = (conv_memo){cv, ~0u, {0, 0, 0}};
	g->cache = wm__calloc((size_t)1 << CACHE_BITS, sizeof(cache_entry));
	g->zero_row = wm__calloc((size_t)r->width, 4);
	g->a = wm__malloc((size_t)g->w + 4);
	for (int k = 0; k < 3; k++)
		g->v[k] = wm__malloc(((size_t)g->w + 4) * sizeof(uint16_t));
	if (!g->cache || !g->zero_row || !g->a || !g->v[0] || !g->v[1] ||
	    !g->v[2])
		return wm__error(WM_ERR_NO_MEMORY,
				 "layer: %dx%d: out of memory", g->w, g->h);
	return WM_OK;
}

/* Builds the planes of one grid (their subsampling is sub_x, sub_y). */
static wm_status build_grid(wm__layer *l, const wm__raster *r,
			    const wm__color_conv *cv, int x, int y, int sub_x,
			    int sub_y)
{
	layer_plane *lps[3];
	int count = 0;
	wm_status st;
	grid g;

	for (int p = 0; p < l->planes; p++)
		if (l->p[p].sub_x == sub_x && l->p[p].sub_y == sub_y &&
		    l->p[p].kind != KIND_MERGED)
			lps[count++] = &l->p[p];
	if (count == 0)
		return WM_OK;
	for (int q = 0; q < count; q++) {
		lps[q]->row_first =
		    wm__malloc(sizeof(int32_t) * ((size_t)lps[q]->h + 1));
		if (!lps[q]->row_first)
			return wm__error(WM_ERR_NO_MEMORY,
					 "layer: out of memory");
	}
	st = grid_init(&g, lps[0], r, cv, x, y);
	for (int j = 0; st == WM_OK && j < g.h; j++) {
		grid_row(&g, j);
		for (int q = 0; st == WM_OK && q < count; q++) {
			lps[q]->row_first[j] = (int32_t)lps[q]->span_count;
			st = row_spans(lps[q], &g);
		}
	}
	for (int q = 0; st == WM_OK && q < count; q++)
		lps[q]->row_first[g.h] = (int32_t)lps[q]->span_count;
	grid_free(&g);
	return st;
}

/* The box of picture pixels whose samples the layer may change. */
static void compute_bounds(wm__layer *l)
{
	int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
	bool any = false;

	for (int p = 0; p < l->planes; p++) {
		const layer_plane *lp = &l->p[p];
		int sx = 1 << lp->sub_x, sy = 1 << lp->sub_y;

		for (int j = 0; lp->kind != KIND_MERGED && j < lp->h; j++) {
			for (int s = lp->row_first[j]; s < lp->row_first[j + 1];
			     s++) {
				int a = (lp->x + lp->spans[s].x) * sx;
				int b =
				    (lp->x + lp->spans[s].x + lp->spans[s].n) *
				    sx;
				int c = (lp->y + j) * sy;
				int e = (lp->y + j + 1) * sy;

				x0 = any && x0 < a ? x0 : a;
				y0 = any && y0 < c ? y0 : c;
				x1 = any && x1 > b ? x1 : b;
				y1 = any && y1 > e ? y1 : e;
				any = true;
			}
		}
	}
	l->bx = x0;
	l->by = y0;
	l->bw = x1 - x0;
	l->bh = y1 - y0;
}

/*
 * Two single-sample 8-bit chroma planes (I420, YV12, I422, I444) share
 * their alphas: the first is applied as planar8x2 together with the
 * second, which then holds nothing. A quarter fewer layer bytes to read
 * and one set of weights for both.
 */
static void merge_chroma(wm__layer *l)
{
	layer_plane *u = &l->p[1], *v = &l->p[2];

	if (l->planes != 3 || u->kind != KIND_PLANAR8 ||
	    v->kind != KIND_PLANAR8 || u->comps != 1 || v->comps != 1)
		return;
	u->kind = KIND_PLANAR8X2;
	u->partner = 2;
	u->sel[1] = v->sel[0];
	v->kind = KIND_MERGED;
}

static wm_status build_layer(wm__layer *l, const wm__raster *r,
			     const wm_frame *target, int x, int y)
{
	const wm__format_desc *d = wm__format_desc_of(target->format);
	wm__color_conv cv;
	wm_status st;

	wm__color_conv_init(&cv, target);
	l->format = target->format;
	l->planes = d->planes;
	for (int p = 0; p < l->planes; p++)
		plane_setup(&l->p[p], d, p, r, target, x, y);
	merge_chroma(l);
	st = build_grid(l, r, &cv, x, y, 0, 0);
	if (st == WM_OK && (d->sub_x || d->sub_y))
		st = build_grid(l, r, &cv, x, y, d->sub_x, d->sub_y);
	return st;
}

wm_status wm__layer_new(const wm__raster *r, const wm_frame *target, int x,
			int y, wm__layer **out)
{
	wm_status st;
	wm__layer *l;

	if (!out)
		return wm__error(WM_ERR_INVALID_ARGUMENT, "layer: NULL out");
	*out = NULL;
	if (!r || !r->pixels || r->width <= 0 || r->height <= 0)
		return wm__error(WM_ERR_INVALID_ARGUMENT, "layer: no raster");
	if (x < -MAX_OFFSET || y < -MAX_OFFSET || x > MAX_OFFSET ||
	    y > MAX_OFFSET)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "layer: offset (%d, %d) is too far from the "
				 "picture",
				 x, y);
	st = wm__frame_check_format(target);
	if (st != WM_OK)
		return st;
	pthread_once(&unpremultiplied_once, fill_unpremultiplied);

	l = wm__calloc(1, sizeof(*l));
	if (!l)
		return wm__error(WM_ERR_NO_MEMORY, "layer: out of memory");
	st = build_layer(l, r, target, x, y);
	if (st != WM_OK) {
		wm__layer_free(l);
		return st;
	}
	compute_bounds(l);
	*out = l;
	return WM_OK;
}

void wm__layer_free(wm__layer *l)
{
	if (!l)
		return;
	for (int p = 0; p < l->planes; p++) {
		wm__free(l->p[p].mem);
		wm__free(l->p[p].row_first);
		wm__free(l->p[p].spans);
	}
	wm__free(l);
}

void wm__layer_bounds(const wm__layer *l, int *x, int *y, int *w, int *h)
{
	*x = l->bx;
	*y = l->by;
	*w = l->bw;
	*h = l->bh;
}

/*
 * n samples of a planar span from its sample s0 onto dst (and, for
 * planar8x2, dst1). Past the frame's left edge s0 need not start a
 * block: the scalar kernel takes the samples up to the next one.
 */
static void apply_planar(const wm__kernels *k, const layer_plane *lp,
			 const uint8_t *src, uint8_t *dst, uint8_t *dst1,
			 int s0, int n, unsigned g, int dense)
{
	const uint8_t *b =
	    src + planar_at(lp, (size_t)s0 / WM__BLOCK8 * WM__BLOCK8);
	int head = s0 % WM__BLOCK8 ? WM__BLOCK8 - s0 % WM__BLOCK8 : 0;
	bool two = lp->kind == KIND_PLANAR8X2;

	head = head < n ? head : n;
	if (head && two)
		wm__planar8x2_from(dst, dst1, b, s0 % WM__BLOCK8, head, g);
	else if (head)
		wm__planar8_from(dst, b, s0 % WM__BLOCK8, head, g);
	if (head) {
		dst += head;
		dst1 += two ? head : 0;
		n -= head;
		b += (planar_colours(lp) + 1) * WM__BLOCK8;
	}
	if (n > 0 && two)
		(dense ? k->planar8x2_dense : k->planar8x2)(dst, dst1, b, n, g);
	else if (n > 0)
		(dense ? k->planar8_dense : k->planar8)(dst, b, n, g);
}

/* One span on a row (and, for planar8x2, on the partner plane's row1). */
static void apply_span(const wm__kernels *k, const layer_plane *lp,
		       const span *sp, uint8_t *row, uint8_t *row1, int pw,
		       unsigned g)
{
	int a = lp->x + sp->x;
	int b = a + sp->n + sp->pad;
	int skip = a < 0 ? -a : 0;
	size_t bpp = (size_t)lp->dst_bpp;
	uint8_t *dst, *dst1 = NULL;

	b = b < pw ? b : pw;
	if (a + skip >= b)
		return;
	dst = row + (ptrdiff_t)(a + skip) * lp->dst_bpp;
	if (row1)
		dst1 = row1 + (ptrdiff_t)(a + skip) * lp->dst_bpp;
	if (sp->type == SPAN_OPAQUE && g == 255) {
		const uint8_t *c = lp->data + sp->copy + (size_t)skip * bpp;

		memcpy(dst, c, (size_t)(b - a - skip) * bpp);
		if (dst1)
			memcpy(dst1, c + (size_t)sp->n * bpp,
			       (size_t)(b - a - skip) * bpp);
		return;
	}
	if (is_planar(lp)) {
		apply_planar(k, lp, lp->data + sp->off, dst, dst1,
			     skip * lp->comps, (b - a - skip) * lp->comps, g,
			     sp->type == SPAN_DENSE);
		return;
	}
	blend_run(k, lp, dst,
		  lp->data + sp->off + (size_t)skip * (size_t)lp->src_bpp,
		  b - a - skip, g, sp->type == SPAN_DENSE);
}

/* Row j of the layer's plane box in plane p of the frame (whose first row
 * is the layer's row `top`). */
static uint8_t *frame_row(const wm_frame *f, int p, const layer_plane *lp,
			  int j, int top)
{
	return f->planes[p] + (ptrdiff_t)(lp->y + j - top) * f->strides[p];
}

static void apply_plane(const wm__kernels *k, const layer_plane *lp,
			const wm_frame *f, int p, int band_y, unsigned g)
{
	int pw = (f->width + (1 << lp->sub_x) - 1) >> lp->sub_x;
	int top = band_y >> lp->sub_y;
	int bottom = (band_y + f->height + (1 << lp->sub_y) - 1) >> lp->sub_y;
	int j0 = top - lp->y > 0 ? top - lp->y : 0;
	int j1 = bottom - lp->y < lp->h ? bottom - lp->y : lp->h;

	if (lp->kind == KIND_MERGED)
		return;
	for (int j = j0; j < j1; j++) {
		uint8_t *row = frame_row(f, p, lp, j, top);
		uint8_t *row1 = lp->kind == KIND_PLANAR8X2
				    ? frame_row(f, lp->partner, lp, j, top)
				    : NULL;

		for (int s = lp->row_first[j]; s < lp->row_first[j + 1]; s++)
			apply_span(k, lp, &lp->spans[s], row, row1, pw, g);
	}
}

void wm__layer_apply(const wm__layer *l, const wm_frame *f, int band_y,
		     unsigned alpha)
{
	const wm__kernels *k = wm__kernels_active();

	if (!l || !f || f->format != l->format || alpha == 0)
		return;
	if (alpha > 255)
		alpha = 255;
	for (int p = 0; p < l->planes; p++)
		apply_plane(k, &l->p[p], f, p, band_y, alpha);
}
