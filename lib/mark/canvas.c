/*
 * Canvases: premultiplied RGBA buffers the mark is drawn into, and the few
 * operations on them (compositing, resampling, rotation, orientation).
 * Everything works on premultiplied pixels so that scaling and rotating
 * never bleed the colour of transparent pixels into edges (no halos).
 */
#include <math.h>
#include <string.h>

#include "mark_internal.h"

wm_status wm__canvas_new(int w, int h, wm__raster *r)
{
	size_t row, total;

	memset(r, 0, sizeof(*r));
	if (w < 1 || h < 1 || w > WM__CANVAS_MAX || h > WM__CANVAS_MAX ||
	    (size_t)w * (size_t)h > WM__CANVAS_MAX_PIXELS)
		return wm__error(WM_ERR_TOO_LARGE,
				 "mark canvas %dx%d: outside 1..%d pixels a "
				 "side or 2^26 in all",
				 w, h, WM__CANVAS_MAX);
	if (!wm__mul_size((size_t)w, 4, &row) ||
	    !wm__mul_size(row, (size_t)h, &total))
		return wm__error(WM_ERR_TOO_LARGE,
				 "mark canvas %dx%d: overflow", w, h);
	r->pixels = wm__calloc(1, total);
	if (!r->pixels)
		return wm__error(WM_ERR_NO_MEMORY,
				 "mark canvas %dx%d: out of memory", w, h);
	r->width = w;
	r->height = h;
	r->stride = (ptrdiff_t)row;
	return WM_OK;
}

void wm__canvas_free(wm__raster *r)
{
	wm__free(r->pixels);
	memset(r, 0, sizeof(*r));
}

/* x / 255 rounded to nearest, exact for 0..65025. */
static inline unsigned div255(unsigned x)
{
	x += 128;
	return (x + (x >> 8)) >> 8;
}

void wm__canvas_over(wm__raster *dst, const wm__raster *src, int x, int y)
{
	int x0 = x < 0 ? -x : 0, y0 = y < 0 ? -y : 0;
	int x1 = src->width, y1 = src->height;

	if (x + x1 > dst->width)
		x1 = dst->width - x;
	if (y + y1 > dst->height)
		y1 = dst->height - y;
	for (int j = y0; j < y1; j++) {
		const uint8_t *s = src->pixels + j * src->stride + x0 * 4;
		uint8_t *d = dst->pixels + (j + y) * dst->stride + (x + x0) * 4;

		for (int i = x0; i < x1; i++, s += 4, d += 4) {
			unsigned inv = 255u - s[3];

			for (int c = 0; c < 4; c++)
				d[c] = (uint8_t)(s[c] + div255(d[c] * inv));
		}
	}
}

void wm__canvas_fade(wm__raster *r, double opacity)
{
	unsigned a = (unsigned)lround(opacity * 255.0);

	if (a >= 255)
		return;
	for (int j = 0; j < r->height; j++) {
		uint8_t *p = r->pixels + j * r->stride;

		for (int i = 0; i < r->width * 4; i++)
			p[i] = (uint8_t)div255(p[i] * a);
	}
}

bool wm__canvas_has_color(const wm__raster *r)
{
	for (int j = 0; j < r->height; j++) {
		const uint8_t *p = r->pixels + j * r->stride;

		for (int i = 0; i < r->width; i++, p += 4)
			if (p[0] != p[1] || p[1] != p[2])
				return true;
	}
	return false;
}

/* ---- rounded rectangles -------------------------------------------------- */

/* Signed distance from (px, py) to a rounded rectangle centred at (cx, cy)
 * with half sizes (hx, hy) and corner radius rad: negative inside. */
static double round_rect_distance(double px, double py, double cx, double cy,
				  double hx, double hy, double rad)
{
	double qx = fabs(px - cx) - (hx - rad);
	double qy = fabs(py - cy) - (hy - rad);
	double ox = qx > 0 ? qx : 0, oy = qy > 0 ? qy : 0;
	double inside = qx > qy ? qx : qy;

	return sqrt(ox * ox + oy * oy) + (inside < 0 ? inside : 0) - rad;
}

void wm__canvas_round_rect(wm__raster *r, double x, double y, double w,
			   double h, double radius, uint32_t rgba)
{
	double hx = w / 2, hy = h / 2, cx = x + hx, cy = y + hy;
	unsigned a = rgba & 0xff;
	unsigned rgb[3] = {rgba >> 24, (rgba >> 16) & 0xff, (rgba >> 8) & 0xff};

	if (radius > hx)
		radius = hx;
	if (radius > hy)
		radius = hy;
	for (int j = 0; j < r->height; j++) {
		uint8_t *d = r->pixels + j * r->stride;

		for (int i = 0; i < r->width; i++, d += 4) {
			double dist = round_rect_distance(i + 0.5, j + 0.5, cx,
							  cy, hx, hy, radius);
			double cov = 0.5 - dist;
			unsigned sa, inv;

			if (cov <= 0)
				continue;
			sa = (unsigned)lround((cov > 1 ? 1 : cov) * a);
			inv = 255u - sa;
			for (int c = 0; c < 3; c++)
				d[c] = (uint8_t)(div255(rgb[c] * sa) +
						 div255(d[c] * inv));
			d[3] = (uint8_t)(sa + div255(d[3] * inv));
		}
	}
}

/* ---- resampling ---------------------------------------------------------- */

static double lanczos3(double x)
{
	if (x < 0)
		x = -x;
	if (x < 1e-9)
		return 1.0;
	if (x >= 3.0)
		return 0.0;
	x *= M_PI;
	return 3.0 * sin(x) * sin(x / 3.0) / (x * x);
}

/* Filter taps of one output coordinate. */
typedef struct wm__taps {
	int first;
	int count;
	float *w; /* count weights, summing to 1 */
} wm__taps;

/* Builds the taps mapping `in` samples onto `out` samples. The kernel is
 * widened by the reduction factor when shrinking, so that every input
 * pixel contributes (area-correct, no aliasing). */
static wm_status make_taps(int in, int out, wm__taps **taps_out,
			   float **weights_out)
{
	double scale = (double)in / out;
	double widen = scale > 1 ? scale : 1;
	int max_taps = (int)ceil(3 * widen) * 2 + 2;
	wm__taps *taps = wm__calloc((size_t)out, sizeof(*taps));
	float *weights =
	    wm__calloc((size_t)out * (size_t)max_taps, sizeof(*weights));

	if (!taps || !weights) {
		wm__free(taps);
		wm__free(weights);
		return wm__error(WM_ERR_NO_MEMORY, "resampling: out of memory");
	}
	for (int i = 0; i < out; i++) {
		double centre = (i + 0.5) * scale - 0.5, sum = 0;
		int lo = (int)floor(centre - 3 * widen) + 1;
		int hi = (int)ceil(centre + 3 * widen) - 1;

		lo = lo < 0 ? 0 : lo;
		hi = hi >= in ? in - 1 : hi;
		if (hi - lo + 1 > max_taps)
			hi = lo + max_taps - 1;
		taps[i].first = lo;
		taps[i].count = hi - lo + 1;
		taps[i].w = weights + (size_t)i * (size_t)max_taps;
		for (int k = lo; k <= hi; k++) {
			double v = lanczos3((k - centre) / widen);

			taps[i].w[k - lo] = (float)v;
			sum += v;
		}
		for (int k = 0; k < taps[i].count && sum != 0; k++)
			taps[i].w[k] = (float)(taps[i].w[k] / sum);
	}
	*taps_out = taps;
	*weights_out = weights;
	return WM_OK;
}

static uint8_t clamp_u8(float v, float max)
{
	if (v <= 0)
		return 0;
	if (v >= max)
		return (uint8_t)lroundf(max);
	return (uint8_t)lroundf(v);
}

/* Horizontal pass into floats, then vertical pass into bytes. Colour is
 * clamped to alpha afterwards: Lanczos lobes may overshoot, and a colour
 * above its alpha would be a light fringe. */
static void resample(const wm__raster *src, wm__raster *out, float *tmp,
		     const wm__taps *tx, const wm__taps *ty)
{
	int w = out->width;

	for (int j = 0; j < src->height; j++) {
		const uint8_t *s = src->pixels + j * src->stride;
		float *t = tmp + (size_t)j * (size_t)w * 4;

		for (int i = 0; i < w; i++) {
			float acc[4] = {0, 0, 0, 0};

			for (int k = 0; k < tx[i].count; k++) {
				const uint8_t *p = s + (tx[i].first + k) * 4;

				for (int c = 0; c < 4; c++)
					acc[c] += tx[i].w[k] * p[c];
			}
			memcpy(t + i * 4, acc, sizeof(acc));
		}
	}
	for (int j = 0; j < out->height; j++) {
		uint8_t *d = out->pixels + j * out->stride;

		for (int i = 0; i < w; i++) {
			float acc[4] = {0, 0, 0, 0};
			uint8_t a;

			for (int k = 0; k < ty[j].count; k++) {
				const float *p =
				    tmp +
				    ((size_t)(ty[j].first + k) * w + i) * 4;

				for (int c = 0; c < 4; c++)
					acc[c] += ty[j].w[k] * p[c];
			}
			a = clamp_u8(acc[3], 255);
			for (int c = 0; c < 3; c++)
				d[i * 4 + c] = clamp_u8(acc[c], a);
			d[i * 4 + 3] = a;
		}
	}
}

/* Resampling to the same size: the taps are 1 at the pixel and 0 around
 * it, so the result is the source with colour clamped to alpha. */
static void copy_clamped(const wm__raster *src, wm__raster *out)
{
	for (int j = 0; j < src->height; j++) {
		const uint8_t *s = src->pixels + j * src->stride;
		uint8_t *d = out->pixels + j * out->stride;

		for (int i = 0; i < src->width * 4; i += 4) {
			for (int c = 0; c < 3; c++)
				d[i + c] =
				    s[i + c] < s[i + 3] ? s[i + c] : s[i + 3];
			d[i + 3] = s[i + 3];
		}
	}
}

wm_status wm__canvas_resize(const wm__raster *src, int w, int h,
			    wm__raster *out)
{
	wm__taps *tx = NULL, *ty = NULL;
	float *wx = NULL, *wy = NULL, *tmp = NULL;
	wm_status s = wm__canvas_new(w, h, out);

	if (s == WM_OK && w == src->width && h == src->height) {
		copy_clamped(src, out);
		return WM_OK;
	}
	if (s == WM_OK)
		s = make_taps(src->width, w, &tx, &wx);
	if (s == WM_OK)
		s = make_taps(src->height, h, &ty, &wy);
	if (s == WM_OK) {
		tmp = wm__malloc((size_t)src->height * (size_t)w * 4 *
				 sizeof(float));
		if (!tmp)
			s = wm__error(WM_ERR_NO_MEMORY,
				      "resampling %dx%d: out of memory", w, h);
	}
	if (s == WM_OK)
		resample(src, out, tmp, tx, ty);
	else
		wm__canvas_free(out);
	wm__free(tmp);
	wm__free(tx);
	wm__free(wx);
	wm__free(ty);
	wm__free(wy);
	return s;
}

/* ---- rotation ------------------------------------------------------------ */

/* Bilinear sample of premultiplied pixels, transparent outside. */
static void sample_bilinear(const wm__raster *r, double x, double y,
			    double acc[4])
{
	int x0 = (int)floor(x), y0 = (int)floor(y);
	double fx = x - x0, fy = y - y0;

	acc[0] = acc[1] = acc[2] = acc[3] = 0;
	for (int k = 0; k < 4; k++) {
		int xi = x0 + (k & 1), yi = y0 + (k >> 1);
		double wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
		const uint8_t *p;

		if (xi < 0 || yi < 0 || xi >= r->width || yi >= r->height ||
		    wgt == 0)
			continue;
		p = r->pixels + yi * r->stride + xi * 4;
		for (int c = 0; c < 4; c++)
			acc[c] += wgt * p[c];
	}
}

wm_status wm__canvas_rotate(const wm__raster *src, double degrees,
			    wm__raster *out)
{
	double t = degrees * M_PI / 180.0, c = cos(t), s = sin(t);
	int w = (int)ceil(fabs(src->width * c) + fabs(src->height * s)) + 2;
	int h = (int)ceil(fabs(src->width * s) + fabs(src->height * c)) + 2;
	double scx = src->width / 2.0, scy = src->height / 2.0;
	wm_status st = wm__canvas_new(w, h, out);

	if (st != WM_OK)
		return st;
	for (int j = 0; j < h; j++) {
		uint8_t *d = out->pixels + j * out->stride;

		for (int i = 0; i < w; i++, d += 4) {
			double du = i + 0.5 - w / 2.0, dv = j + 0.5 - h / 2.0;
			double acc[4];

			sample_bilinear(src, scx + du * c - dv * s - 0.5,
					scy + du * s + dv * c - 0.5, acc);
			for (int k = 0; k < 4; k++)
				d[k] = (uint8_t)lround(acc[k]);
		}
	}
	return WM_OK;
}

/* ---- orientation --------------------------------------------------------- */

void wm__orient_point(int orientation, int sw, int sh, int dx, int dy, int *sx,
		      int *sy)
{
	/* clang-format off */
	switch (orientation) {
	case WM_ORIENT_FLIP_H: *sx = sw - 1 - dx; *sy = dy; break;
	case WM_ORIENT_ROTATE_180: *sx = sw - 1 - dx; *sy = sh - 1 - dy; break;
	case WM_ORIENT_FLIP_V: *sx = dx; *sy = sh - 1 - dy; break;
	case WM_ORIENT_TRANSPOSE: *sx = dy; *sy = dx; break;
	case WM_ORIENT_ROTATE_90: *sx = dy; *sy = sh - 1 - dx; break;
	case WM_ORIENT_TRANSVERSE: *sx = sw - 1 - dy; *sy = sh - 1 - dx; break;
	case WM_ORIENT_ROTATE_270: *sx = sw - 1 - dy; *sy = dx; break;
	default: *sx = dx; *sy = dy; break;
	}
	/* clang-format on */
}

wm_status wm__canvas_orient(const wm__raster *src, int orientation,
			    wm__raster *out)
{
	bool swap = orientation >= WM_ORIENT_TRANSPOSE &&
		    orientation <= WM_ORIENT_ROTATE_270;
	int sw = swap ? src->height : src->width;
	int sh = swap ? src->width : src->height;
	wm_status s = wm__canvas_new(sw, sh, out);

	if (s != WM_OK)
		return s;
	for (int dy = 0; dy < src->height; dy++) {
		const uint8_t *p = src->pixels + dy * src->stride;

		for (int dx = 0; dx < src->width; dx++, p += 4) {
			int sx, sy;

			wm__orient_point(orientation, sw, sh, dx, dy, &sx, &sy);
			memcpy(out->pixels + sy * out->stride + sx * 4, p, 4);
		}
	}
	return WM_OK;
}
