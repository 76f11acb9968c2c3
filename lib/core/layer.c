/*
 * Layers: a rendered mark converted once for one pixel layout and colour
 * space, with the spans it covers, then composited in place onto frames.
 */
#include <pthread.h>
#include <string.h>

#include "format.h"
#include "kernels.h"

/* How a plane of a layer is blended; see kernels.h for the sample forms. */
enum { KIND_PAIRS8, KIND_QUAD8, KIND_PAIRS16, KIND_STRAIGHT8, KIND_STRAIGHT16 };

/* Transparent gaps shorter than this are blended through (alpha 0 leaves
 * the frame as it is) so that kernels see fewer, longer runs; the SIMD
 * kernels neither read nor write the frame for whole vectors of alpha 0,
 * so a joined gap costs little, while each run costs a call and a tail. */
#define SPAN_MERGE_GAP 64

/* Offsets further than this from the picture are refused so that every
 * coordinate sum fits in int. */
#define MAX_OFFSET (1 << 28)
#define MAX_RASTER_SIDE (1 << 16)

typedef struct span {
	int32_t x; /* first sample, relative to the plane box */
	int32_t n;
	int32_t dense; /* mostly partial alpha: kernels skip their tests */
} span;

typedef struct layer_plane {
	int kind;
	int x, y, w, h; /* box in plane coordinates (subsampled for chroma) */
	int sub_x, sub_y;
	int comps;   /* samples of a destination pixel */
	int dst_bpp; /* bytes of a destination pixel */
	int src_bpp; /* bytes of a layer pixel */
	int aidx;    /* alpha/padding sample (quad8, straight) */
	int keep;    /* quad8: the byte at aidx is padding */
	int shift;
	ptrdiff_t stride;
	uint8_t *data;
	int32_t *row_first; /* h + 1 indexes into spans */
	span *spans;
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

/* Straight colour and alpha of raster pixel (x, y); transparent outside. */
static unsigned raster_pixel(const wm__raster *r, int x, int y, uint8_t rgb[3])
{
	const uint8_t *px;
	unsigned a;

	rgb[0] = rgb[1] = rgb[2] = 0;
	if (x < 0 || y < 0 || x >= r->width || y >= r->height)
		return 0;
	px = r->pixels + (ptrdiff_t)y * r->stride + (ptrdiff_t)x * 4;
	a = px[3];
	for (int k = 0; a && k < 3; k++)
		rgb[k] = unpremultiplied[a][px[k]];
	return a;
}

/*
 * Conversion of mark colours for one layer, remembering the last colour
 * and its sample values: marks repeat colours in long runs, and PQ and
 * HLG cost several pow() calls a colour.
 */
typedef struct conv_memo {
	const wm__color_conv *cv;
	uint32_t key; /* r | g << 8 | b << 16 of the last colour, or ~0 */
	double nl[3];
	uint32_t val[3]; /* sample values of that colour alone */
} conv_memo;

static void memo_update(conv_memo *m, const uint8_t rgb[3])
{
	uint32_t key = rgb[0] | (uint32_t)rgb[1] << 8 | (uint32_t)rgb[2] << 16;

	if (key == m->key)
		return;
	wm__color_nonlinear(m->cv, rgb, m->nl);
	wm__color_quantize(m->cv, m->nl, m->val);
	m->key = key;
}

/*
 * Alpha and sample values of one plane sample whose footprint is the
 * block of raster pixels starting at (rx, ry), bw x bh: alpha is the
 * correctly rounded mean of the block's alphas (pixels outside the raster
 * count as transparent), colour the alpha-weighted mean of its colours.
 * The values of a transparent sample are 0 (they are never used).
 */
static unsigned block_sample(const wm__raster *r, conv_memo *m, int rx, int ry,
			     int bw, int bh, uint32_t val[3])
{
	double acc[3] = {0, 0, 0};
	unsigned sum = 0, n = (unsigned)(bw * bh);
	uint8_t rgb[3];

	val[0] = val[1] = val[2] = 0;
	for (int j = 0; j < bh; j++) {
		for (int i = 0; i < bw; i++) {
			unsigned a = raster_pixel(r, rx + i, ry + j, rgb);

			if (!a)
				continue;
			memo_update(m, rgb);
			for (int k = 0; k < 3; k++)
				acc[k] += m->nl[k] * a;
			sum += a;
		}
	}
	if (sum == 0)
		return 0;
	if (n == 1) {
		memcpy(val, m->val, sizeof(m->val));
		return sum;
	}
	for (int k = 0; k < 3; k++)
		acc[k] /= sum;
	wm__color_quantize(m->cv, acc, val);
	return (sum + n / 2) / n;
}

/* The value a layout letter takes: colour channel, grey, luma or chroma. */
static uint32_t letter_value(char c, const uint32_t val[3], uint32_t maxv)
{
	switch (c) {
	case 'R':
	case 'Y':
	case 'L': return val[0];
	case 'G':
	case 'U': return val[1];
	case 'B':
	case 'V': return val[2];
	default: return maxv;
	}
}

/* Writes one layer pixel in the plane's sample form. */
static void store_pixel(const layer_plane *lp, const char *layout, uint8_t *dst,
			unsigned a, const uint32_t val[3], int maxv, int shift)
{
	for (int k = 0; k < lp->comps; k++) {
		uint32_t v = letter_value(layout[k], val, (uint32_t)maxv);
		uint16_t *d16 = (uint16_t *)dst;

		switch (lp->kind) {
		case KIND_PAIRS8:
			dst[2 * k] = (uint8_t)v;
			dst[2 * k + 1] = (uint8_t)a;
			break;
		case KIND_PAIRS16:
			d16[2 * k] = (uint16_t)(v << shift);
			d16[2 * k + 1] = (uint16_t)a;
			break;
		case KIND_QUAD8:
		case KIND_STRAIGHT8:
			dst[k] = (uint8_t)(k == lp->aidx ? a : v);
			break;
		default: d16[k] = (uint16_t)(k == lp->aidx ? a : v); break;
		}
	}
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
		lp->kind = d->bytes == 1 ? KIND_PAIRS8 : KIND_PAIRS16;
		lp->src_bpp = 2 * lp->dst_bpp;
	}
}

/* Whether at least 3/4 of the run's alphas are neither 0 nor 255. */
static int is_dense(const uint8_t *alpha, int start, int end)
{
	int partial = 0;

	for (int i = start; i < end; i++)
		partial += alpha[i] != 0 && alpha[i] != 255;
	return 4 * partial >= 3 * (end - start);
}

/*
 * Counts (or, with out != NULL, records) the covered runs of one row of
 * `w` alphas: runs of non-zero alpha, joined across gaps shorter than
 * SPAN_MERGE_GAP.
 */
static int row_spans(const uint8_t *alpha, int w, span *out)
{
	int count = 0, i = 0;

	while (i < w) {
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

		if (out)
			out[count] = (span){start, end - start,
					    is_dense(alpha, start, end)};
		count++;
		i = end;
	}
	return count;
}

/* The spans of a plane from its alphas (w x h bytes). */
static wm_status build_spans(layer_plane *lp, const uint8_t *alpha)
{
	int total = 0;

	lp->row_first = wm__malloc(sizeof(int32_t) * ((size_t)lp->h + 1));
	if (!lp->row_first)
		return wm__error(WM_ERR_NO_MEMORY, "layer: out of memory");
	for (int j = 0; j < lp->h; j++) {
		lp->row_first[j] = total;
		total += row_spans(alpha + (size_t)j * lp->w, lp->w, NULL);
	}
	lp->row_first[lp->h] = total;

	lp->spans = wm__malloc(sizeof(span) * (size_t)(total ? total : 1));
	if (!lp->spans)
		return wm__error(WM_ERR_NO_MEMORY, "layer: out of memory");
	for (int j = 0; j < lp->h; j++)
		row_spans(alpha + (size_t)j * lp->w, lp->w,
			  lp->spans + lp->row_first[j]);
	return WM_OK;
}

/* Fills the plane's samples, and its alphas into `alpha` (w x h). */
static void fill_plane(layer_plane *lp, const char *layout, const wm__raster *r,
		       conv_memo *memo, int x, int y, uint8_t *alpha)
{
	int bw = 1 << lp->sub_x, bh = 1 << lp->sub_y;

	for (int j = 0; j < lp->h; j++) {
		uint8_t *row = lp->data + j * lp->stride;

		for (int i = 0; i < lp->w; i++) {
			int rx = (lp->x + i) * bw - x;
			int ry = (lp->y + j) * bh - y;
			uint32_t val[3];
			unsigned a = block_sample(r, memo, rx, ry, bw, bh, val);

			alpha[(size_t)j * lp->w + i] = (uint8_t)a;
			store_pixel(lp, layout, row + i * lp->src_bpp, a, val,
				    memo->cv->maxv, lp->shift);
		}
	}
}

static wm_status build_plane(wm__layer *l, int p, const wm__raster *r,
			     const wm_frame *t, int x, int y)
{
	const wm__format_desc *d = wm__format_desc_of(t->format);
	layer_plane *lp = &l->p[p];
	wm__color_conv cv;
	conv_memo memo = {&cv, ~0u, {0, 0, 0}, {0, 0, 0}};
	uint8_t *alpha;
	wm_status st;
	size_t bytes;

	wm__color_conv_init(&cv, t);
	plane_kind(lp, d, d->layout[p], t->alpha);
	lp->sub_x = p ? d->sub_x : 0;
	lp->sub_y = p ? d->sub_y : 0;
	lp->x = floor_shift(x, lp->sub_x);
	lp->y = floor_shift(y, lp->sub_y);
	lp->w = floor_shift(x + r->width - 1, lp->sub_x) - lp->x + 1;
	lp->h = floor_shift(y + r->height - 1, lp->sub_y) - lp->y + 1;
	lp->stride = (ptrdiff_t)lp->w * lp->src_bpp;
	if (!wm__mul_size((size_t)lp->stride, (size_t)lp->h, &bytes))
		return wm__error(WM_ERR_TOO_LARGE, "layer: too large");
	lp->data = wm__malloc(bytes);
	if (!lp->data)
		return wm__error(WM_ERR_NO_MEMORY,
				 "layer: %dx%d: out of memory", lp->w, lp->h);

	alpha = wm__malloc((size_t)lp->w * (size_t)lp->h);
	if (!alpha)
		return wm__error(WM_ERR_NO_MEMORY,
				 "layer: %dx%d: out of memory", lp->w, lp->h);
	fill_plane(lp, d->layout[p], r, &memo, x, y, alpha);
	st = build_spans(lp, alpha);
	wm__free(alpha);
	return st;
}

/* The box of picture pixels whose samples the layer may change. */
static void compute_bounds(wm__layer *l)
{
	int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
	bool any = false;

	for (int p = 0; p < l->planes; p++) {
		const layer_plane *lp = &l->p[p];

		for (int j = 0; j < lp->h; j++) {
			for (int s = lp->row_first[j]; s < lp->row_first[j + 1];
			     s++) {
				int sx = 1 << lp->sub_x, sy = 1 << lp->sub_y;
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
	l->format = target->format;
	l->planes = wm__format_desc_of(target->format)->planes;
	for (int p = 0; p < l->planes; p++) {
		st = build_plane(l, p, r, target, x, y);
		if (st != WM_OK) {
			wm__layer_free(l);
			return st;
		}
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
		wm__free(l->p[p].data);
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

static void blend_run(const wm__kernels *k, const layer_plane *lp, uint8_t *dst,
		      const uint8_t *src, int n, unsigned g, int dense)
{
	switch (lp->kind) {
	case KIND_PAIRS8:
		(dense ? k->pairs8_dense : k->pairs8)(dst, src, n * lp->comps,
						      g);
		break;
	case KIND_QUAD8:
		(dense ? k->quad8_dense : k->quad8)(dst, src, n, g, lp->aidx,
						    lp->keep);
		break;
	case KIND_PAIRS16:
		k->pairs16((uint16_t *)dst, (const uint16_t *)src,
			   n * lp->comps, g, lp->shift);
		break;
	case KIND_STRAIGHT8:
		k->straight8(dst, src, n, g, lp->comps, lp->aidx);
		break;
	default:
		k->straight16((uint16_t *)dst, (const uint16_t *)src, n, g,
			      lp->comps, lp->aidx);
		break;
	}
}

static void apply_plane(const wm__kernels *k, const layer_plane *lp,
			const wm_frame *f, int p, int band_y, unsigned g)
{
	int pw = (f->width + (1 << lp->sub_x) - 1) >> lp->sub_x;
	int top = band_y >> lp->sub_y;
	int bottom = (band_y + f->height + (1 << lp->sub_y) - 1) >> lp->sub_y;
	int j0 = top - lp->y > 0 ? top - lp->y : 0;
	int j1 = bottom - lp->y < lp->h ? bottom - lp->y : lp->h;

	for (int j = j0; j < j1; j++) {
		uint8_t *row =
		    f->planes[p] + (ptrdiff_t)(lp->y + j - top) * f->strides[p];
		const uint8_t *src = lp->data + j * lp->stride;

		for (int s = lp->row_first[j]; s < lp->row_first[j + 1]; s++) {
			int a = lp->x + lp->spans[s].x;
			int b = a + lp->spans[s].n;
			int skip = a < 0 ? -a : 0;

			b = b < pw ? b : pw;
			if (a + skip >= b)
				continue;
			blend_run(k, lp,
				  row + (ptrdiff_t)(a + skip) * lp->dst_bpp,
				  src + (ptrdiff_t)(lp->spans[s].x + skip) *
					    lp->src_bpp,
				  b - a - skip, g, lp->spans[s].dense);
		}
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
