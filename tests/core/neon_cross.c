/*
 * The NEON kernels against the scalar ones, bit for bit: seeded random
 * rows of 1..67 pixels for every kernel, then whole random layers on every
 * layout through the dispatcher. Built by a cross compiler from the core
 * and util sources alone and run under an emulator (see neon_cross.py);
 * it runs natively on AArch64 too.
 */
#include <stdio.h>

#include "frames.h"
#include "kernel_compare.h"

static const wm_pixel_format formats[] = {
    WM_PIX_RGBA,   WM_PIX_BGRA,	   WM_PIX_ARGB,	 WM_PIX_ABGR,	WM_PIX_RGBX,
    WM_PIX_BGRX,   WM_PIX_RGB24,   WM_PIX_BGR24, WM_PIX_GRAY8,	WM_PIX_GRAYA8,
    WM_PIX_I420,   WM_PIX_YV12,	   WM_PIX_NV12,	 WM_PIX_NV21,	WM_PIX_I422,
    WM_PIX_I444,   WM_PIX_I420P10, WM_PIX_P010,	 WM_PIX_GRAY16, WM_PIX_RGB48,
    WM_PIX_RGBA64, WM_PIX_GRAYA16,
};

/* One random layer on a random frame of `fmt`: 0 if NEON and scalar
 * give the same bytes. */
static int compare_layer(wm_pixel_format fmt, uint32_t *seed)
{
	int w = 1 + (int)(rnd() % 67), h = 1 + (int)(rnd() % 9);
	int rw = 1 + (int)(rnd() % 67), rh = 1 + (int)(rnd() % 9);
	int x = (int)(rnd() % (unsigned)(w + rw)) - rw / 2;
	int y = (int)(rnd() % (unsigned)(h + rh)) - rh / 2;
	unsigned g = rnd() % 2 ? 255 : rnd() % 256;
	wm__raster *r = raster_random(rw, rh, seed);
	wm__layer *l = NULL;
	tframe a, b;
	int bad;

	tf_init(&a, fmt, w, h, 0, (int)(rnd() % 2));
	tf_init(&b, fmt, w, h, 0, 0);
	a.f.alpha = b.f.alpha = (wm_alpha_mode)(rnd() % 2);
	tf_random(&a, seed);
	for (int p = 0; p < 3 && b.mem[p]; p++)
		for (int yy = 0; yy < tf_plane_h(&a.f, p); yy++)
			memcpy(tf_at(&b, p, 0, yy, 0), tf_at(&a, p, 0, yy, 0),
			       (size_t)tf_row_bytes(&a.f, p));
	if (wm__layer_new(r, &a.f, x, y, &l) != WM_OK)
		return 1;
	wm__kernels_override(&wm__kernels_scalar);
	wm__layer_apply(l, &b.f, 0, g);
	wm__kernels_override(NULL);
	wm__layer_apply(l, &a.f, 0, g);
	bad = !tf_equal(&a, &b) || !tf_guards_ok(&a);
	if (bad)
		printf("layer on %s %dx%d differs\n",
		       wm__format_desc_of(fmt)->name, w, h);
	wm__layer_free(l);
	wm__raster_free(r);
	tf_free(&a);
	tf_free(&b);
	return bad;
}

int main(void)
{
	uint32_t seed = 11;
	int bad = compare_all(&wm__kernels_neon, 200);

	printf("backend: %s\n", wm__cpu_backend());
	if (strcmp(wm__cpu_backend(), "neon") != 0)
		bad++;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		for (int rep = 0; rep < 30; rep++)
			bad += compare_layer(formats[i], &seed);
	printf("neon vs scalar: %d mismatching cases\n", bad);
	return bad ? 1 : 0;
}
