/*
 * The mark's sRGB colours converted into an image's RGB ICC profile with
 * Little CMS, so that a white mark stays white and a brand colour stays
 * that colour once the profile is applied.
 *
 * Some profiles can only be read well in one direction: Little CMS inverts
 * LUT-based profiles without a reverse table (jpegli's XYB, for one) only
 * roughly. When a round trip through the profile misses, the inverse is
 * computed here instead on a 17x17x17 grid that is then interpolated:
 * each point starts from the nearest forward sample and is refined by
 * damped least squares on the accurate forward direction.
 */
#include <lcms2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

enum { GRID = 17, GRID_PTS = GRID * GRID * GRID };

struct wm__icc {
	cmsHTRANSFORM to; /* sRGB to the profile, 8-bit */
	float *grid;	  /* inverse on the grid, or NULL to use `to` */
};

static cmsHTRANSFORM make(cmsHPROFILE from, cmsUInt32Number ffmt,
			  cmsHPROFILE to, cmsUInt32Number tfmt)
{
	return cmsCreateTransform(from, ffmt, to, tfmt,
				  INTENT_RELATIVE_COLORIMETRIC,
				  cmsFLAGS_BLACKPOINTCOMPENSATION);
}

/* Whether sRGB -> profile -> sRGB brings test colours back within a few
 * levels. */
static bool round_trip_ok(cmsHPROFILE srgb, cmsHPROFILE prof, cmsHTRANSFORM to)
{
	static const uint8_t test[][3] = {
	    {255, 255, 255}, {0, 0, 0},	      {255, 0, 0},   {0, 255, 0},
	    {0, 0, 255},     {128, 128, 128}, {230, 60, 40}, {30, 90, 200}};
	enum { N = sizeof(test) / sizeof(test[0]) };
	uint8_t mid[N][3], back[N][3];
	cmsHTRANSFORM from = make(prof, TYPE_RGB_8, srgb, TYPE_RGB_8);
	int i, c;

	if (!from)
		return false;
	cmsDoTransform(to, test, mid, N);
	cmsDoTransform(from, mid, back, N);
	cmsDeleteTransform(from);
	for (i = 0; i < N; i++)
		for (c = 0; c < 3; c++)
			if (abs(back[i][c] - test[i][c]) > 6)
				return false;
	return true;
}

static bool solve3(double m[3][3], const double b[3], double x[3])
{
	double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
		     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
		     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
	int i, c;

	if (fabs(det) < 1e-15)
		return false;
	for (i = 0; i < 3; i++) {
		double t[3][3];

		memcpy(t, m, sizeof(t));
		for (c = 0; c < 3; c++)
			t[c][i] = b[c];
		x[i] = (t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) -
			t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
			t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0])) /
		       det;
	}
	return true;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double dist2(const double a[3], const double b[3])
{
	return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
	       (a[2] - b[2]) * (a[2] - b[2]);
}

/* One damped least-squares step (Levenberg-Marquardt): the forward
 * transform can be flat in a channel (clipped regions), where a plain
 * Newton step has no solution. Returns false when nothing moves. */
static bool lm_step(cmsHTRANSFORM fwd, const double t[3], double x[3],
		    const double y[3])
{
	double j[3][3], a[3][3], g[3], dx[3], e[3];
	int i, r, c;

	for (c = 0; c < 3; c++)
		e[c] = t[c] - y[c];
	for (i = 0; i < 3; i++) {
		double xp[3] = {x[0], x[1], x[2]}, yp[3];
		double h = x[i] > 0.5 ? -4e-3 : 4e-3;

		xp[i] += h;
		cmsDoTransform(fwd, xp, yp, 1);
		for (c = 0; c < 3; c++)
			j[c][i] = (yp[c] - y[c]) / h;
	}
	for (r = 0; r < 3; r++) {
		g[r] = 0;
		for (c = 0; c < 3; c++) {
			a[r][c] = j[0][r] * j[0][c] + j[1][r] * j[1][c] +
				  j[2][r] * j[2][c];
			g[r] += j[c][r] * e[c];
		}
		a[r][r] += 1e-4;
	}
	if (!solve3(a, g, dx))
		return false;
	for (c = 0; c < 3; c++)
		x[c] = clamp01(x[c] + dx[c]);
	return true;
}

static void refine(cmsHTRANSFORM fwd, const double t[3], double x[3])
{
	double best[3] = {x[0], x[1], x[2]}, y[3], err, best_err = 1e30;
	int it;

	for (it = 0; it < 16; it++) {
		cmsDoTransform(fwd, x, y, 1);
		err = dist2(y, t);
		if (err < best_err) {
			best_err = err;
			memcpy(best, x, sizeof(best));
		}
		if (err < 1e-8 || !lm_step(fwd, t, x, y))
			break;
	}
	memcpy(x, best, sizeof(best));
}

/* Where each grid point of profile values lands in sRGB: the seeds. */
static double *forward_samples(cmsHTRANSFORM fwd)
{
	double *xs = wm__malloc(sizeof(double) * 6 * GRID_PTS);
	int i;

	if (!xs)
		return NULL;
	for (i = 0; i < GRID_PTS; i++) {
		xs[3 * i] = (double)(i / (GRID * GRID)) / (GRID - 1);
		xs[3 * i + 1] = (double)(i / GRID % GRID) / (GRID - 1);
		xs[3 * i + 2] = (double)(i % GRID) / (GRID - 1);
	}
	cmsDoTransform(fwd, xs, xs + 3 * GRID_PTS, GRID_PTS);
	return xs;
}

/* A forward sample with its coordinates reordered so that the sorting
 * axis comes first. */
typedef struct by_axis {
	double y[3];
	int i;
} by_axis;

static int cmp_axis(const void *a, const void *b)
{
	const by_axis *p = a, *q = b;

	for (int c = 0; c < 3; c++)
		if (p->y[c] != q->y[c])
			return p->y[c] < q->y[c] ? -1 : 1;
	return p->i - q->i;
}

/* The coordinate in which the finite forward samples spread most. */
static int widest_axis(const double *ys)
{
	double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
	int i, c, axis = 0;

	for (i = 0; i < GRID_PTS; i++)
		for (c = 0; c < 3; c++)
			if (isfinite(ys[3 * i + c])) {
				lo[c] = fmin(lo[c], ys[3 * i + c]);
				hi[c] = fmax(hi[c], ys[3 * i + c]);
			}
	for (c = 1; c < 3; c++)
		if (hi[c] - lo[c] > hi[axis] - lo[axis])
			axis = c;
	return axis;
}

/* The forward samples in order along `axis`, each point once (the lowest
 * index of equal ones, which is the one the search must return) and only
 * those with finite values (a NaN or infinite one is never the nearest).
 * Returns how many. */
static int sort_samples(const double *xs, int axis, by_axis *order)
{
	const double *ys = xs + 3 * GRID_PTS;
	int i, n = 0, kept = 0;

	for (i = 0; i < GRID_PTS; i++) {
		const double *y = ys + 3 * i;

		if (isfinite(y[0]) && isfinite(y[1]) && isfinite(y[2]))
			order[n++] = (by_axis){
			    {y[axis], y[(axis + 1) % 3], y[(axis + 2) % 3]}, i};
	}
	qsort(order, (size_t)n, sizeof(*order), cmp_axis);
	for (i = 0; i < n; i++)
		if (!kept || memcmp(order[i].y, order[kept - 1].y,
				    sizeof(order[i].y)) != 0)
			order[kept++] = order[i];
	return kept;
}

/* Considers sample `i` at distance `d` (ties go to the lowest index). */
static void closer(double d, int i, double *best, int *k)
{
	if (d < *best || (d == *best && i < *k)) {
		*best = d;
		*k = i;
	}
}

/* The nearest forward sample to `t`, the lowest index among equals. The
 * samples are scanned outwards from t along the sorting axis, and a scan
 * stops where the distance along that axis alone is more than the nearest
 * so far: the same answer as comparing all of them, in a fraction of the
 * time. */
static void seed(const double *xs, const by_axis *order, int n, int axis,
		 const double t[3], double x[3])
{
	const double *ys = xs + 3 * GRID_PTS;
	double best = 1e30, dx;
	int lo = 0, hi = n, j, k = 0;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (order[mid].y[0] < t[axis])
			lo = mid + 1;
		else
			hi = mid;
	}
	for (j = lo; j < n; j++) {
		dx = order[j].y[0] - t[axis];
		if (dx * dx > best)
			break;
		closer(dist2(ys + 3 * order[j].i, t), order[j].i, &best, &k);
	}
	for (j = lo - 1; j >= 0; j--) {
		dx = order[j].y[0] - t[axis];
		if (dx * dx > best)
			break;
		closer(dist2(ys + 3 * order[j].i, t), order[j].i, &best, &k);
	}
	memcpy(x, xs + 3 * k, 3 * sizeof(double));
}

/* Leaves k->to NULL (no conversion, as for a profile Little CMS cannot
 * read) when the profile has no usable forward direction either. */
static wm_status build_grid(wm__icc *k, cmsHPROFILE srgb, cmsHPROFILE prof)
{
	cmsHTRANSFORM fwd = make(prof, TYPE_RGB_DBL, srgb, TYPE_RGB_DBL);
	by_axis *order;
	double *xs;
	int i, c, n, axis;

	if (!fwd) {
		cmsDeleteTransform(k->to);
		k->to = NULL;
		return WM_OK;
	}
	xs = forward_samples(fwd);
	order = wm__malloc(sizeof(*order) * GRID_PTS);
	k->grid = wm__malloc(sizeof(float) * 3 * GRID_PTS);
	if (!xs || !order || !k->grid) {
		cmsDeleteTransform(fwd);
		wm__free(xs);
		wm__free(order);
		return wm__error(WM_ERR_NO_MEMORY, "icc: out of memory");
	}
	axis = widest_axis(xs + 3 * GRID_PTS);
	n = sort_samples(xs, axis, order);
	for (i = 0; i < GRID_PTS; i++) {
		double t[3] = {xs[3 * i], xs[3 * i + 1], xs[3 * i + 2]}, x[3];

		seed(xs, order, n, axis, t, x);
		refine(fwd, t, x);
		for (c = 0; c < 3; c++)
			k->grid[3 * i + c] = (float)x[c];
	}
	cmsDeleteTransform(fwd);
	wm__free(xs);
	wm__free(order);
	return WM_OK;
}

wm_status wm__icc_open(const wm__blob *icc, wm__icc **out)
{
	cmsHPROFILE prof, srgb;
	wm__icc *k;
	wm_status s = WM_OK;

	*out = NULL;
	if (icc->size < 132)
		return WM_OK;
	prof = cmsOpenProfileFromMem(icc->data, (cmsUInt32Number)icc->size);
	if (!prof)
		return WM_OK;
	if (cmsGetColorSpace(prof) != cmsSigRgbData) {
		cmsCloseProfile(prof);
		return WM_OK;
	}

	/* The built-in sRGB profile fails only for lack of memory. */
	srgb = cmsCreate_sRGBProfile();
	k = wm__calloc(1, sizeof(*k));
	if (!srgb || !k)
		s = wm__error(WM_ERR_NO_MEMORY, "icc: out of memory");
	if (s == WM_OK)
		k->to = make(srgb, TYPE_RGB_8, prof, TYPE_RGB_8);
	if (s == WM_OK && k->to && !round_trip_ok(srgb, prof, k->to))
		s = build_grid(k, srgb, prof);
	if (s == WM_OK && k->to) {
		*out = k;
		k = NULL;
	}

	wm__icc_close(k);
	if (srgb)
		cmsCloseProfile(srgb);
	cmsCloseProfile(prof);
	return s;
}

void wm__icc_close(wm__icc *k)
{
	if (!k)
		return;
	if (k->to)
		cmsDeleteTransform(k->to);
	wm__free(k->grid);
	wm__free(k);
}

/* Trilinear interpolation in the inverse grid. */
static void grid_lookup(const float *g, const uint8_t in[3], uint8_t out[3])
{
	float f[3], acc[3] = {0, 0, 0};
	int i0[3], c, corner;

	for (c = 0; c < 3; c++) {
		float p = in[c] * (GRID - 1) / 255.0f;

		i0[c] = p >= GRID - 1 ? GRID - 2 : (int)p;
		f[c] = p - (float)i0[c];
	}
	for (corner = 0; corner < 8; corner++) {
		int d0 = corner >> 2 & 1, d1 = corner >> 1 & 1, d2 = corner & 1;
		float w = (d0 ? f[0] : 1 - f[0]) * (d1 ? f[1] : 1 - f[1]) *
			  (d2 ? f[2] : 1 - f[2]);
		const float *v = g + 3 * ((i0[0] + d0) * GRID * GRID +
					  (i0[1] + d1) * GRID + i0[2] + d2);

		for (c = 0; c < 3; c++)
			acc[c] += w * v[c];
	}
	for (c = 0; c < 3; c++)
		out[c] = (uint8_t)lrintf(acc[c] * 255.0f);
}

/* Unpremultiplies a row, converts it, premultiplies again. The raster is
 * small (the mark only), so converting every pixel is cheap. */
static void convert_row(const wm__icc *k, uint8_t *px, int width)
{
	uint8_t in[3 * 64], out[3 * 64];
	int x, i, n, c;

	for (x = 0; x < width; x += n) {
		n = width - x < 64 ? width - x : 64;
		for (i = 0; i < n; i++) {
			const uint8_t *p = px + 4 * (x + i);
			unsigned a = p[3];

			for (c = 0; c < 3; c++)
				in[3 * i + c] =
				    a ? (uint8_t)((p[c] * 255 + a / 2) / a) : 0;
		}
		if (k->grid)
			for (i = 0; i < n; i++)
				grid_lookup(k->grid, in + 3 * i, out + 3 * i);
		else
			cmsDoTransform(k->to, in, out, (cmsUInt32Number)n);
		for (i = 0; i < n; i++) {
			uint8_t *p = px + 4 * (x + i);

			for (c = 0; c < 3; c++)
				p[c] = (uint8_t)((out[3 * i + c] * p[3] + 127) /
						 255);
		}
	}
}

wm_status wm__icc_apply(void *user, wm__raster *r)
{
	const wm__icc *k = user;
	int y;

	for (y = 0; y < r->height; y++)
		convert_row(k, r->pixels + (ptrdiff_t)y * r->stride, r->width);
	return WM_OK;
}
