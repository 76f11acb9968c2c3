/*
 * Logo files: PNG (every colour type and depth, alpha or tRNS), JPEG and
 * WebP, decoded whole into a premultiplied canvas. Logos are small, so the
 * simple APIs of libpng, libjpeg and libwebp are enough here; the media
 * layer streams large pictures with its own code.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

#include "../image/jpeg_strict.h" /* libjpeg's warnings only */
#include "mark_internal.h"

#define WM__LOGO_MAX_BYTES (64u << 20)
#define WM__LOGO_MAX_SIDE 16384
/* A logo is drawn at most frame-sized, so a larger one is a mistake or a
 * decompression bomb: 40 megapixels (160 MB decoded) is plenty. */
#define WM__LOGO_MAX_PIXELS (40L * 1000 * 1000)

static void premultiply(wm__raster *r)
{
	for (int j = 0; j < r->height; j++) {
		uint8_t *p = r->pixels + j * r->stride;

		for (int i = 0; i < r->width; i++, p += 4) {
			unsigned a = p[3];

			for (int c = 0; c < 3; c++) {
				unsigned x = p[c] * a + 128;

				p[c] = (uint8_t)((x + (x >> 8)) >> 8);
			}
		}
	}
}

static wm_status check_size(const char *path, long w, long h, int64_t max)
{
	if (w < 1 || h < 1 || w > WM__LOGO_MAX_SIDE || h > WM__LOGO_MAX_SIDE)
		return wm__error(
		    WM_ERR_TOO_LARGE,
		    "%s: logo of %ldx%ld pixels (at most %d a side)", path, w,
		    h, WM__LOGO_MAX_SIDE);
	if (w * h > WM__LOGO_MAX_PIXELS)
		return wm__error(WM_ERR_TOO_LARGE,
				 "%s: logo of %ldx%ld pixels (at most %ld "
				 "megapixels)",
				 path, w, h, WM__LOGO_MAX_PIXELS / 1000000);
	if ((int64_t)w * h > max)
		return wm__error(WM_ERR_TOO_LARGE,
				 "%s: logo of %ldx%ld pixels (max-pixels is "
				 "%lld)",
				 path, w, h, (long long)max);
	return WM_OK;
}

/* ---- PNG ----------------------------------------------------------------- */

static uint8_t srgb_encode(double v)
{
	v = v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
	return (uint8_t)lround(fmin(fmax(v, 0.0), 1.0) * 255);
}

/* 16-bit PNGs are read as libpng's linear premultiplied samples and
 * encoded here: libpng 1.6's own 16-to-8-bit reduction goes wrong for
 * interlaced 16-bit files (rows come out shifted). */
static wm_status png_linear_rows(png_image *img, wm__raster *out)
{
	size_t n = (size_t)out->width * out->height * 4;
	uint16_t *lin = wm__malloc(n * sizeof(*lin));

	if (!lin)
		return wm__error(WM_ERR_NO_MEMORY, "PNG: out of memory");
	img->format = PNG_FORMAT_LINEAR_RGB_ALPHA;
	if (!png_image_finish_read(img, NULL, lin, 0, NULL)) {
		wm__free(lin);
		return WM_ERR_CORRUPT;
	}
	for (size_t i = 0; i < n; i += 4) {
		unsigned a = lin[i + 3];
		uint8_t *d = out->pixels + i;

		d[3] = (uint8_t)((a * 255u + 32767u) / 65535u);
		for (int c = 0; c < 3 && a; c++)
			d[c] = srgb_encode((double)lin[i + c] / a);
	}
	wm__free(lin);
	return WM_OK;
}

static wm_status decode_png(const char *path, const uint8_t *data, size_t size,
			    int64_t max, wm__raster *out)
{
	png_image img;
	bool deep;
	wm_status s;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, data, size))
		return wm__error(WM_ERR_CORRUPT, "%s: bad PNG logo (%s)", path,
				 img.message);
	deep = (img.format & PNG_FORMAT_FLAG_LINEAR) != 0;
	s = check_size(path, (long)img.width, (long)img.height, max);
	if (s == WM_OK)
		s = wm__canvas_new((int)img.width, (int)img.height, out);
	if (s != WM_OK) {
		png_image_free(&img);
		return s;
	}
	img.format = PNG_FORMAT_RGBA;
	if (deep)
		s = png_linear_rows(&img, out);
	else if (!png_image_finish_read(&img, NULL, out->pixels,
					(png_int_32)out->stride, NULL))
		s = WM_ERR_CORRUPT;
	if (s != WM_OK)
		wm__canvas_free(out);
	if (s == WM_ERR_CORRUPT)
		return wm__error(s, "%s: bad PNG logo (%s)", path, img.message);
	return s;
}

/* ---- JPEG ---------------------------------------------------------------- */

typedef struct wm__jpeg_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	char message[JMSG_LENGTH_MAX];
} wm__jpeg_err;

static void jpeg_fail(j_common_ptr cinfo)
{
	wm__jpeg_err *e = (wm__jpeg_err *)cinfo->err;

	e->mgr.format_message(cinfo, e->message);
	longjmp(e->jump, 1);
}

/* A logo is decoded as strictly as an input: a warning of missing or
 * damaged data (jpeg_strict.h) fails it, other warnings are ignored. */
static void jpeg_warning(j_common_ptr cinfo, int level)
{
	wm__jpeg_err *e = (wm__jpeg_err *)cinfo->err;

	if (level >= 0 || !wm__jpeg_warning_damages(cinfo))
		return;
	if (cinfo->err->msg_code == JWRN_JPEG_EOF)
		snprintf(e->message, sizeof(e->message),
			 "the file is truncated");
	else
		wm__jpeg_describe(cinfo, e->message);
	longjmp(e->jump, 1);
}

/* Expands one decoded row (RGB, grey or Adobe's inverted CMYK) in place
 * into RGBA, from the right so that no sample is overwritten before use. */
static void jpeg_row(const struct jpeg_decompress_struct *ci, uint8_t *row)
{
	int n = ci->output_components;

	for (JDIMENSION k = ci->output_width; k-- > 0;) {
		const uint8_t *p = row + k * (JDIMENSION)n;
		uint8_t *d = row + k * 4;
		uint8_t px[4] = {p[0], p[n > 1 ? 1 : 0], p[n > 1 ? 2 : 0], 255};

		if (ci->out_color_space == JCS_CMYK)
			for (int c = 0; c < 3; c++)
				px[c] = (uint8_t)((p[c] * p[3] + 127) / 255);
		memcpy(d, px, 4);
	}
}

/* Decodes straight into the canvas rows: no buffer to leak if libjpeg
 * jumps out on corrupt data. */
static void jpeg_rows(struct jpeg_decompress_struct *ci, wm__raster *out)
{
	while (ci->output_scanline < ci->output_height) {
		JSAMPROW rows[1] = {out->pixels +
				    ci->output_scanline * out->stride};

		jpeg_read_scanlines(ci, rows, 1);
		jpeg_row(ci, rows[0]);
	}
}

static wm_status decode_jpeg(const char *path, const uint8_t *data, size_t size,
			     int64_t max, wm__raster *out)
{
	struct jpeg_decompress_struct ci;
	wm__jpeg_err err;
	wm_status s;

	memset(out, 0, sizeof(*out));
	ci.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jpeg_fail;
	err.mgr.emit_message = jpeg_warning;
	if (setjmp(err.jump)) {
		jpeg_destroy_decompress(&ci);
		wm__canvas_free(out);
		return wm__error(WM_ERR_CORRUPT, "%s: bad JPEG logo (%s)", path,
				 err.message);
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, data, (unsigned long)size);
	jpeg_read_header(&ci, TRUE);
	ci.out_color_space =
	    ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK
		? JCS_CMYK
		: JCS_RGB;
	/* Checked before decompression starts: for a progressive or
	 * non-interleaved file libjpeg then allocates the coefficients of
	 * the whole image, gigabytes for a header declaring 65500x65500. */
	jpeg_calc_output_dimensions(&ci);
	s = check_size(path, (long)ci.output_width, (long)ci.output_height,
		       max);
	if (s == WM_OK) {
		jpeg_start_decompress(&ci);
		s = wm__canvas_new((int)ci.output_width, (int)ci.output_height,
				   out);
	}
	if (s == WM_OK) {
		jpeg_rows(&ci, out);
		jpeg_finish_decompress(&ci);
	}
	jpeg_destroy_decompress(&ci);
	return s;
}

/* ---- WebP ---------------------------------------------------------------- */

static wm_status decode_webp(const char *path, const uint8_t *data, size_t size,
			     int64_t max, wm__raster *out)
{
	int w = 0, h = 0;
	uint8_t *rgba;
	wm_status s;

	if (!WebPGetInfo(data, size, &w, &h))
		return wm__error(WM_ERR_CORRUPT, "%s: bad WebP logo (header)",
				 path);
	s = check_size(path, w, h, max);
	if (s == WM_OK)
		s = wm__canvas_new(w, h, out);
	if (s != WM_OK)
		return s;
	rgba = WebPDecodeRGBAInto(data, size, out->pixels,
				  (size_t)out->stride * (size_t)h,
				  (int)out->stride);
	if (!rgba) {
		wm__canvas_free(out);
		return wm__error(WM_ERR_CORRUPT, "%s: bad WebP logo (data)",
				 path);
	}
	return WM_OK;
}

/* ---- files --------------------------------------------------------------- */

/* What the path names, when it is no regular file of some bytes (a folder
 * would read as a huge size, a device or pipe as no header at all). */
static wm_status check_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return wm__error(errno == ENOENT || errno == ENOTDIR
				     ? WM_ERR_NOT_FOUND
				     : WM_ERR_IO,
				 "%s: cannot open the logo: %s", path,
				 strerror(errno));
	if (S_ISDIR(st.st_mode))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "%s: the logo is a folder, not an image file",
				 path);
	if (!S_ISREG(st.st_mode))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "%s: the logo is not a regular file", path);
	if (st.st_size == 0)
		return wm__error(WM_ERR_CORRUPT, "%s: the logo file is empty",
				 path);
	return WM_OK;
}

static wm_status read_file(const char *path, uint8_t **data, size_t *size)
{
	wm_status s = check_kind(path);
	FILE *f = s == WM_OK ? fopen(path, "rb") : NULL;
	long n;

	if (s != WM_OK)
		return s;
	if (!f)
		return wm__error(WM_ERR_IO, "%s: cannot open the logo: %s",
				 path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return wm__error(WM_ERR_IO, "%s: cannot read the logo", path);
	}
	if ((unsigned long)n > WM__LOGO_MAX_BYTES) {
		fclose(f);
		return wm__error(WM_ERR_TOO_LARGE, "%s: logo file of %ld bytes",
				 path, n);
	}
	*data = wm__malloc((size_t)n);
	if (!*data) {
		fclose(f);
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", path);
	}
	*size = fread(*data, 1, (size_t)n, f);
	fclose(f);
	if (*size != (size_t)n) {
		wm__free(*data);
		return wm__error(WM_ERR_IO, "%s: short read of the logo", path);
	}
	return WM_OK;
}

wm_status wm__logo_decode(const char *path, wm__raster *out)
{
	return wm__logo_decode_max(path, INT64_MAX, out);
}

wm_status wm__logo_decode_max(const char *path, int64_t max_pixels,
			      wm__raster *out)
{
	uint8_t *data = NULL;
	size_t size = 0;
	char hex[48];
	wm_status s = read_file(path, &data, &size);

	memset(out, 0, sizeof(*out));
	if (s != WM_OK)
		return s;
	if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
		s = decode_png(path, data, size, max_pixels, out);
	else if (size >= 3 && memcmp(data, "\xff\xd8\xff", 3) == 0)
		s = decode_jpeg(path, data, size, max_pixels, out);
	else if (size >= 12 && memcmp(data, "RIFF", 4) == 0 &&
		 memcmp(data + 8, "WEBP", 4) == 0)
		s = decode_webp(path, data, size, max_pixels, out);
	else {
		wm__hex_bytes(hex, sizeof(hex), data, size < 8 ? size : 8);
		s = wm__error(WM_ERR_UNSUPPORTED,
			      "%s: logo is not PNG, JPEG or WebP (starts with "
			      "%s)",
			      path, hex);
	}
	wm__free(data);
	if (s == WM_OK)
		premultiply(out);
	return s;
}
