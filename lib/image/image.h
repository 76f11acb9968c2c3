/*
 * Private to lib/image: still images. A job reads one image from a seekable
 * stdio stream, streams it through the mark in bands of rows and writes the
 * result to another stream. The codecs only know rows; the mark is reached
 * through wm__image_blend.
 */
#ifndef WM_IMAGE_H
#define WM_IMAGE_H

#include <stdio.h>

#include "../mark/mark.h"

/* Formats told apart from the bytes; the handled ones share the values of
 * the "format" option (WM__FMT_JPEG...). */
enum {
	WM__IMG_UNKNOWN = 0,
	WM__IMG_JPEG = WM__FMT_JPEG,
	WM__IMG_PNG = WM__FMT_PNG,
	WM__IMG_WEBP = WM__FMT_WEBP,
	WM__IMG_VIDEO = 100, /* a container for the video module */
	WM__IMG_UNHANDLED,   /* known but not handled: see the name */
	WM__IMG_DAMAGED	     /* a known format with a damaged signature */
};

typedef struct wm__sniff {
	int kind;
	const char *name; /* "GIF", "AVIF", "12-bit JPEG"... */
	bool show_bytes;  /* messages add the file's first bytes */
} wm__sniff;

/* Tells the format from the first bytes of a file and, for JPEG, from the
 * frame header (SOF) found by walking the segments of `fp`, which is left
 * at its start. */
wm__sniff wm__image_sniff(FILE *fp);

typedef struct wm__blob {
	uint8_t *data;
	size_t size;
} wm__blob;

wm_status wm__blob_set(wm__blob *b, const void *data, size_t size);
wm_status wm__blob_append(wm__blob *b, const void *data, size_t size);
void wm__blob_free(wm__blob *b);

/* Metadata carried from the input to the output. */
typedef struct wm__meta {
	wm__blob icc;
	char icc_name[80]; /* a PNG iCCP profile name (1-79 bytes), or "" */
	wm__blob exif;	 /* TIFF structure, without the "Exif\0\0" prefix */
	wm__blob xmp;	 /* the main XMP packet */
	int orientation; /* EXIF orientation, 1 when absent or invalid */
	/* The input's secondary images (MPF: gain maps...) are not written,
	 * so the XMP that describes them is removed from the output. */
	bool secondary_dropped;
} wm__meta;

void wm__meta_free(wm__meta *m);

/* Reads the orientation from meta->exif (libexif) and removes the EXIF
 * thumbnail, which would still show the unmarked picture. Fails only for
 * lack of memory. */
wm_status wm__meta_read_exif(wm__meta *m);

/*
 * The XMP packet to write: the input's packet (if any) with the digital
 * source type and the disclosure merged in, or a new packet. `out` is
 * empty when the metadata option is off and the input had no XMP.
 */
wm_status wm__meta_xmp_out(const wm__meta *m, wm_mark *mark, wm__blob *out);

/* Reads the IPTC digital source type from an XMP packet (for probing);
 * returns false when there is none. */
bool wm__xmp_source_type(const wm__blob *xmp, char *buf, size_t size);

/* Whether an XMP packet carries this library's disclosure. */
bool wm__xmp_has_disclosure(const wm__blob *xmp);

/* Conversion of the mark's sRGB colours into an RGB ICC profile; *out is
 * NULL (and the status WM_OK) when the profile is not an RGB one or Little
 * CMS cannot read it; only a lack of memory fails. wm__icc_apply is a
 * wm__raster_filter function taking the wm__icc as its user pointer. */
typedef struct wm__icc wm__icc;

wm_status wm__icc_open(const wm__blob *icc, wm__icc **out);
void wm__icc_close(wm__icc *k);
wm_status wm__icc_apply(void *user, wm__raster *r);

/* One image job. */
typedef struct wm__image {
	wm_mark *mark;
	const char *name; /* input name for messages */
	FILE *in;
	FILE *out;
	int out_format;
	uint64_t max_pixels;
	wm_progress_fn progress;
	void *user;
	wm__meta meta;

	/* The mark prepared for the picture (wm__image_prepare). */
	const wm__prepared *prep;
	int width;
	int height;
	int64_t rows_done;

	/* A PNG input's libpng handles, for copying its ancillary chunks. */
	void *src_png;
	void *src_png_info;
	/* Its chunks after the image data (text), when it has some. */
	void *src_png_late;
	void *src_png_late_info;
	/* A JPEG input's decompressor, for its tables and segments. */
	void *src_jpeg;
} wm__image;

/* Refuses a picture over the pixel limit or whose buffers would overflow,
 * before any pixel buffer exists. */
wm_status wm__image_check_size(const wm__image *im, uint32_t width,
			       uint32_t height, unsigned bytes_per_pixel);

/* Renders and prepares the mark for frames like `tmpl` (planes unused),
 * converting its colours into the ICC profile's space when there is one. */
wm_status wm__image_prepare(wm__image *im, const wm_frame *tmpl);
void wm__image_release(wm__image *im);

/* Whether the prepared mark touches rows [y, y + rows). */
bool wm__image_touches(const wm__image *im, int y, int rows);

/* Composites the prepared mark onto `band`, row `y` of the picture. */
void wm__image_blend(const wm__image *im, const wm_frame *band, int y);

/* Reports progress; WM_ERR_CANCELLED when the callback asks to stop. */
wm_status wm__image_progress(wm__image *im, int rows);

/* ---- codecs -------------------------------------------------------------- */

/* A decoder hands out rows of `format` (8/16-bit grey or RGB, +alpha). */
typedef struct wm__decoder {
	void *ctx;
	int width;
	int height;
	wm_pixel_format format;
	bool lossless;	   /* a PNG or lossless WebP: keep it lossless */
	bool interlaced;   /* decoded whole before the first row */
	const char *model; /* colour model for probing: "RGB", "Gray"... */
	wm_status (*read_rows)(void *ctx, uint8_t *buf, ptrdiff_t stride,
			       int rows);
	void (*destroy)(void *ctx);
} wm__decoder;

/* An encoder takes rows of the format it was opened with. */
typedef struct wm__encoder {
	void *ctx;
	wm_status (*write_rows)(void *ctx, const uint8_t *buf, ptrdiff_t stride,
				int rows);
	wm_status (*finish)(void *ctx);
	void (*destroy)(void *ctx);
} wm__encoder;

/* Fills im->meta from the headers. */
wm_status wm__png_decoder(wm__image *im, wm__decoder *d);
wm_status wm__webp_decoder(wm__image *im, wm__decoder *d);
wm_status wm__jpeg_decoder(wm__image *im, wm__decoder *d);

/* The formats each encoder accepts; others are converted before. */
wm_pixel_format wm__png_accepts(wm_pixel_format f);
wm_pixel_format wm__jpeg_accepts(wm_pixel_format f);
wm_pixel_format wm__webp_accepts(wm_pixel_format f);

wm_status wm__png_encoder(wm__image *im, wm_pixel_format f, wm__encoder *e);
wm_status wm__jpeg_encoder(wm__image *im, wm_pixel_format f, wm__encoder *e);
wm_status wm__webp_encoder(wm__image *im, wm_pixel_format f, bool lossless,
			   wm__encoder *e);

/* JPEG to JPEG on the raw YCbCr planes, keeping subsampling and tables.
 * WM_ERR_UNSUPPORTED (without a message) when the input's layout is not
 * one the planar path handles; the caller then takes the row path. */
wm_status wm__jpeg_transcode(wm__image *im);

/* The general path: decode, blend, convert, encode, band by band. */
wm_status wm__image_pipeline(wm__image *im, int in_format);

/* Fills `info` from the headers of a sniffed still image. */
wm_status wm__image_probe(wm__image *im, int format, wm_media_info *info);

/* Bytes a pixel of `f` takes (packed RGB/grey layouts only). */
unsigned wm__image_bpp(wm_pixel_format f);

#endif /* WM_IMAGE_H */
