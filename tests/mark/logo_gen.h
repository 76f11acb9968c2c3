/* Test logos drawn in code, so that no binary logo needs a licence. */
#ifndef WM_LOGO_GEN_H
#define WM_LOGO_GEN_H

#include <math.h>

#include "mark_test.h"

/* Coverage of an anti-aliased ring between radii r0 and r1 around the
 * centre of a size x size picture, at pixel (x, y), 4x4 supersampled. */
static inline double ring_coverage(int size, int x, int y, double r0, double r1)
{
	double c = size / 2.0, hits = 0;

	for (int j = 0; j < 4; j++)
		for (int i = 0; i < 4; i++) {
			double dx = x + (i + 0.5) / 4 - c;
			double dy = y + (j + 0.5) / 4 - c;
			double d = sqrt(dx * dx + dy * dy);

			hits += d >= r0 && d <= r1;
		}
	return hits / 16;
}

/* A ring of colour `ring` (0xRRGGBB) whose transparent pixels carry the
 * colour `hidden`: a halo would show that colour. An optional disc of
 * `disc` colour fills the middle (disc_alpha 0 for none). */
static inline test_image logo_ring(int size, uint32_t ring, uint32_t hidden,
				   uint32_t disc, unsigned disc_alpha)
{
	test_image im = image_new(size, size, hidden << 8);

	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++) {
			double a =
			    ring_coverage(size, x, y, size * 0.30, size * 0.45);
			double d = ring_coverage(size, x, y, 0, size * 0.30);
			uint8_t *p = image_at(&im, x, y);
			uint32_t col = a > 0 ? ring : d > 0 ? disc : hidden;
			double alpha = a > 0 ? a + d * disc_alpha / 255.0
					     : d * disc_alpha / 255.0;

			p[0] = (uint8_t)(col >> 16);
			p[1] = (uint8_t)(col >> 8);
			p[2] = (uint8_t)col;
			p[3] = (uint8_t)lround(fmin(alpha, 1.0) * 255);
		}
	return im;
}

/* Writes a ring logo into the build tree and returns its path. */
static inline const char *logo_file(const char *name, int size, uint32_t ring,
				    uint32_t hidden, uint32_t disc,
				    unsigned disc_alpha)
{
	const char *path = scratch_path(name);
	test_image im = logo_ring(size, ring, hidden, disc, disc_alpha);

	png_save(path, &im);
	image_free(&im);
	return path;
}

#endif /* WM_LOGO_GEN_H */
