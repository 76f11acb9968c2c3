/*
 * Writes sample images of marks for people to look at: Arabic, CJK and
 * emoji samples (tests/mark/samples) and the README gallery
 * (docs/gallery), all made with the library itself.
 *
 * usage: mark-samples SAMPLES_DIR [GALLERY_DIR]
 *
 * Run as a test it writes into the build tree and fails if a glyph is
 * missing (installed fonts: fonts-noto-cjk, fonts-noto-color-emoji) or if
 * the emoji did not come out in colour.
 */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>

#include "mark/mark_internal.h"

typedef struct sample {
	const char *file;
	int w;
	int h;
	const char *opts[10];
} sample;

/* clang-format off */
static const sample samples[] = {
	{"arabic.png", 640, 240,
	 {"text=\xd9\x85\xd9\x8f\xd9\x86\xd8\xb4\xd8\xa3 \xd8\xa8\xd8\xa7\xd9"
	  "\x84\xd8\xb0\xd9\x83\xd8\xa7\xd8\xa1 \xd8\xa7\xd9\x84\xd8\xa7\xd8"
	  "\xb5\xd8\xb7\xd9\x86\xd8\xa7\xd8\xb9\xd9\x8a\n\xd7\xa0\xd7\x95\xd7"
	  "\xa6\xd7\xa8 \xd7\xa2\xd7\x9c \xd7\x99\xd7\x93\xd7\x99 AI",
	  "position=center", "size=12%", "box=true", NULL}},
	{"cjk.png", 640, 240,
	 {"text=AI\xe7\x94\x9f\xe6\x88\x90\xe3\x82\xb3\xe3\x83\xb3\xe3\x83\x86"
	  "\xe3\x83\xb3\xe3\x83\x84\n\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba"
	  "\xe8\x83\xbd\xe7\x94\x9f\xe6\x88\x90 \xc2\xb7 AI \xec\x83\x9d"
	  "\xec\x84\xb1 \xec\xbd\x98\xed\x85\x90\xec\xb8\xa0",
	  "position=center", "size=12%", NULL}},
	{"emoji.png", 640, 240,
	 {"text=\xf0\x9f\xa4\x96 AI-generated \xe2\x9c\xa8\xf0\x9f\x8e\xa8",
	  "position=center", "size=14%", NULL}},
};

static const sample gallery[] = {
	{"default.png", 480, 270, {NULL}},
	{"box-emoji.png", 480, 270,
	 {"text=\xf0\x9f\xa4\x96 AI-generated\nModel: example-1",
	  "box=true", "position=bottom-left", "size=6%", NULL}},
	{"tiled.png", 480, 270,
	 {"tile=true", "angle=30", "opacity=0.45", "size=5%", NULL}},
	{"logo-qr.png", 480, 270,
	 {"logo=@logo", "scale=0.08", "qr=https://example.org/provenance/42",
	  "text=Made with AI", "box=true", "size=5%", NULL}},
	{"scripts.png", 480, 270,
	 {"text=AI-generated \xc2\xb7 \xd9\x85\xd9\x86\xd8\xb4\xd8\xa3 "
	  "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb0\xd9\x83\xd8\xa7\xd8\xa1\n\xe0\xa4"
	  "\x8f\xe0\xa4\x86\xe0\xa4\x88 \xe0\xa4\xa8\xe0\xa4\xbf\xe0\xa4\xb0"
	  "\xe0\xa5\x8d\xe0\xa4\xae\xe0\xa4\xbf\xe0\xa4\xa4 \xc2\xb7 AI"
	  "\xe7\x94\x9f\xe6\x88\x90 \xc2\xb7 \xe0\xb8\xaa\xe0\xb8\xa3\xe0"
	  "\xb9\x89\xe0\xb8\xb2\xe0\xb8\x87\xe0\xb9\x82\xe0\xb8\x94\xe0\xb8"
	  "\xa2 AI",
	  "position=center", "size=6%", "align=center", NULL}},
};

/* clang-format on */

static int warnings;

static void on_log(void *user, wm_log_level level, const char *msg)
{
	(void)user;
	if (level <= WM_LOG_WARNING) {
		fprintf(stderr, "mark-samples: %s\n", msg);
		warnings++;
	}
}

/* An evening sky: blue at the top, warm near the horizon, dark ground. */
static void paint_background(uint8_t *px, int w, int h)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double t = (double)y / h, s = (double)x / w;
			uint8_t *p = px + ((size_t)y * w + x) * 4;
			bool ground = t > 0.72 + 0.05 * sin(s * 7);

			p[0] = (uint8_t)(ground ? 30 + 20 * s : 40 + 200 * t);
			p[1] = (uint8_t)(ground ? 40 : 90 + 90 * t * (1 - t));
			p[2] = (uint8_t)(ground ? 35 : 200 - 120 * t);
			p[3] = 255;
		}
}

static int save_png(const char *path, const uint8_t *px, int w, int h,
		    png_uint_32 format)
{
	png_image img;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = format;
	if (!png_image_write_to_file(&img, path, 0, px,
				     w * (int)PNG_IMAGE_PIXEL_CHANNELS(format),
				     NULL)) {
		fprintf(stderr, "mark-samples: %s: %s\n", path, img.message);
		return 1;
	}
	return 0;
}

/* A small round logo drawn here; written beside the outputs and removed
 * once they are made. */
static const char *make_logo(const char *dir)
{
	static char path[1024];
	static uint8_t px[64 * 64 * 4];

	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 64; x++) {
			double d = hypot(x + 0.5 - 32, y + 0.5 - 32);
			uint8_t *p = px + (y * 64 + x) * 4;
			double a = fmin(fmax(30.5 - d, 0), 1);

			p[0] = d < 20 ? 40 : 255;
			p[1] = d < 20 ? 120 : 255;
			p[2] = d < 20 ? 220 : 255;
			p[3] = (uint8_t)lround(a * 255);
		}
	snprintf(path, sizeof(path), "%s/logo-source.png", dir);
	return save_png(path, px, 64, 64, PNG_FORMAT_RGBA) ? NULL : path;
}

static int render(const char *dir, const sample *s, const char *logo,
		  bool *color)
{
	wm_mark *m;
	uint8_t *px = malloc((size_t)s->w * s->h * 4);
	wm_frame f;
	char path[1024];
	int rc = 0;

	if (!px || wm_mark_new(&m) != WM_OK)
		return 1;
	for (int i = 0; s->opts[i] && rc == 0; i++)
		if (strcmp(s->opts[i], "logo=@logo") == 0)
			rc = wm_mark_set(m, "logo", logo) != WM_OK;
		else
			rc = wm_mark_set(m, s->opts[i], NULL) != WM_OK;
	paint_background(px, s->w, s->h);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.width = s->w;
	f.height = s->h;
	f.format = WM_PIX_RGBX;
	f.range = WM_RANGE_FULL;
	f.planes[0] = px;
	f.strides[0] = s->w * 4;
	if (rc == 0)
		rc = wm_mark_apply(m, &f, 0) != WM_OK;
	if (rc == 0 && color) {
		const wm__prepared *p;

		rc = wm__mark_acquire(m, &f, NULL, &p) != WM_OK;
		*color = rc == 0 && p->has_color;
		if (rc == 0)
			wm__mark_release(m, p);
	}
	if (rc != 0)
		fprintf(stderr, "mark-samples: %s: %s\n", s->file,
			wm_last_error());
	for (int i = 0; i < s->w * s->h; i++) /* RGBX to RGB in place */
		memmove(px + i * 3, px + i * 4, 3);
	snprintf(path, sizeof(path), "%s/%s", dir, s->file);
	if (rc == 0)
		rc = save_png(path, px, s->w, s->h, PNG_FORMAT_RGB);
	wm_mark_free(m);
	free(px);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	bool color = false;

	if (argc < 2) {
		fprintf(stderr,
			"usage: mark-samples SAMPLES_DIR [GALLERY_DIR]\n");
		return 2;
	}
	wm_set_log_callback(on_log, NULL);
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		rc |= render(argv[1], &samples[i], NULL,
			     strcmp(samples[i].file, "emoji.png") ? NULL
								  : &color);
	if (argc > 2) {
		const char *logo = make_logo(argv[2]);

		for (size_t i = 0; i < sizeof(gallery) / sizeof(gallery[0]);
		     i++)
			rc |= !logo || render(argv[2], &gallery[i], logo, NULL);
		if (logo)
			remove(logo);
	}
	if (!color) {
		fprintf(stderr, "mark-samples: the emoji is not in colour\n");
		rc = 1;
	}
	FcFini();
	return rc || warnings ? 1 : 0;
}
