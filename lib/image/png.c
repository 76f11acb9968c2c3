/*
 * PNG through libpng. Every colour type and depth is read: palettes and
 * tRNS are expanded to RGB(A) (so a marked palette PNG is written as RGB,
 * or RGBA when it had transparency), grey below 8 bits to 8 bits; 16-bit
 * samples stay 16-bit. Non-interlaced images stream row by row; Adam7
 * interlaced ones are decoded whole first and written non-interlaced.
 *
 * libpng reports errors by longjmp: every call into it sits behind a
 * setjmp in a short function whose locals are not touched after the jump.
 */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "image.h"

typedef struct png_err {
	const char *name;
	char msg[160];
	bool no_memory; /* an allocation of libpng's failed */
	int err_no;	/* errno when the error was raised (a failed write's) */
} png_err;

static void on_error(png_structp png, png_const_charp msg)
{
	png_err *e = png_get_error_ptr(png);

	e->err_no = errno;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	png_longjmp(png, 1);
}

/* After a failed allocation, a warning may be all libpng says ("Out of
 * memory", then "Insufficient memory for eXIf chunk data"): kept for the
 * message. */
static void on_warning(png_structp png, png_const_charp msg)
{
	png_err *e = png_get_error_ptr(png);

	wm__log(WM_LOG_DEBUG, "%s: libpng: %s", e->name, msg);
	if (e->no_memory && !e->msg[0])
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

static wm_status no_memory(const png_err *e)
{
	if (e->msg[0])
		return wm__error(WM_ERR_NO_MEMORY,
				 "%s: out of memory (libpng: %s)", e->name,
				 e->msg);
	return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory in libpng",
			 e->name);
}

/*
 * Every failed allocation is recorded, because libpng reports some only as
 * a warning and goes on without the chunk (eXIf, iCCP, text: metadata
 * silently lost), and others as errors whose text does not always speak of
 * memory ("too many text chunks"). Each step then reports NO_MEMORY.
 */
static png_voidp png_alloc(png_structp png, png_alloc_size_t n)
{
	png_voidp q = wm__malloc(n);
	png_err *e = png_get_mem_ptr(png);

	if (!q && e)
		e->no_memory = true;
	return q;
}

static void png_dealloc(png_structp png, png_voidp p)
{
	(void)png;
	wm__free(p);
}

/* ---- decoding --------------------------------------------------------------
 */

typedef struct png_dec {
	png_structp png;
	png_infop info;
	png_err err;
	wm__image *im;
	uint8_t *whole; /* interlaced images: every row */
	size_t whole_stride;
	int next_row;
	int width, height;
	unsigned bpp;
	/* A second reader of the same file for the chunks after the image
	 * data; late_end holds them. */
	png_structp late;
	png_infop late_info, late_end;
	png_err late_err;
} png_dec;

static void dec_destroy(void *ctx)
{
	png_dec *p = ctx;

	if (p->im->src_png == p->png) {
		p->im->src_png = NULL;
		p->im->src_png_info = NULL;
		p->im->src_png_late = NULL;
		p->im->src_png_late_info = NULL;
	}
	png_destroy_read_struct(&p->late, &p->late_info, &p->late_end);
	png_destroy_read_struct(&p->png, &p->info, NULL);
	wm__free(p->whole);
	wm__free(p);
}

static wm_status dec_fail(png_dec *p, wm_status s)
{
	if (p->err.no_memory)
		return no_memory(&p->err);
	/* libpng's reader says only "Read Error" where the file ends. */
	if (s == WM_ERR_CORRUPT && feof(p->im->in))
		return wm__error(s, "%s: corrupt PNG: the file is truncated",
				 p->im->name);
	if (s == WM_ERR_CORRUPT)
		return wm__error(s, "%s: corrupt PNG: %s", p->im->name,
				 p->err.msg[0] ? p->err.msg : "unknown error");
	return s;
}

static wm_status read_interlaced(png_dec *p)
{
	png_bytep *rows;
	size_t size;
	int y;

	if (!wm__mul_size(p->whole_stride, (size_t)p->height, &size))
		return wm__error(WM_ERR_TOO_LARGE, "%s: too large",
				 p->im->name);
	p->whole = wm__malloc(size);
	rows = wm__calloc((size_t)p->height, sizeof(*rows));
	if (!p->whole || !rows) {
		wm__free(rows);
		return wm__error(WM_ERR_NO_MEMORY,
				 "%s: out of memory for an interlaced PNG",
				 p->im->name);
	}
	for (y = 0; y < p->height; y++)
		rows[y] = p->whole + (size_t)y * p->whole_stride;
	if (setjmp(png_jmpbuf(p->png))) {
		wm__free(rows);
		return dec_fail(p, WM_ERR_CORRUPT);
	}
	png_read_image(p->png, rows);
	wm__free(rows);
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

static wm_status dec_read(void *ctx, uint8_t *buf, ptrdiff_t stride, int rows)
{
	png_dec *p = ctx;
	int y;

	if (p->whole) {
		for (y = 0; y < rows; y++)
			memcpy(buf + y * stride,
			       p->whole +
				   (size_t)(p->next_row + y) * p->whole_stride,
			       p->whole_stride);
		p->next_row += rows;
		return WM_OK;
	}
	if (setjmp(png_jmpbuf(p->png)))
		return dec_fail(p, WM_ERR_CORRUPT);
	for (y = 0; y < rows; y++)
		png_read_row(p->png, buf + y * stride, NULL);
	p->next_row += rows;
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

/* ImageMagick's key for XMP, as a text chunk of hexadecimal. */
#define RAW_XMP_KEY "Raw profile type xmp"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The packet of an ImageMagick raw profile: "\n" NAME "\n", spaces, the
 * length in decimal, "\n", then that many bytes as hexadecimal digits,
 * white space between them. Left empty unless the text holds all of it.
 */
static wm_status raw_profile(const char *t, size_t n, wm__blob *out)
{
	const char *end = t + n, *p = t;
	size_t len = 0, k = 0;
	uint8_t *buf;

	while (p < end && *p == '\n')
		p++;
	while (p < end && *p != '\n')
		p++; /* the profile's name */
	while (p < end && (*p == '\n' || *p == ' '))
		p++;
	for (; p < end && *p >= '0' && *p <= '9' && len <= n; p++)
		len = len * 10 + (size_t)(*p - '0');
	if (len == 0 || len > n / 2)
		return WM_OK;
	buf = wm__malloc(len);
	if (!buf)
		return wm__error(WM_ERR_NO_MEMORY, "XMP: out of memory");
	while (p < end && k < len) {
		int hi = hex_digit(*p), lo;

		if (hi < 0 || p + 1 >= end || (lo = hex_digit(p[1])) < 0) {
			p++; /* white space, or no pair: skipped */
			continue;
		}
		buf[k++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (k == len && memchr(buf, 0, len) == NULL) {
		wm_status s = wm__blob_set(out, buf, len);

		wm__free(buf);
		return s;
	}
	wm__free(buf);
	return WM_OK;
}

/* The first XMP packet among the text chunks `info` holds, unless `xmp`
 * already has one (the chunks before the image data win). XMP is stored
 * in an iTXt chunk, whose length is itxt_length; ImageMagick's raw
 * profile of XMP (hexadecimal in a text chunk) is read where there is no
 * such chunk. */
static wm_status take_xmp(png_structp png, png_infop info, wm__blob *xmp)
{
	png_textp text;
	int n = png_get_text(png, info, &text, NULL);

	for (int i = 0; i < n && !xmp->size; i++) {
		if (strcmp(text[i].key, "XML:com.adobe.xmp") == 0)
			return wm__blob_set(xmp, text[i].text,
					    text[i].itxt_length
						? text[i].itxt_length
						: text[i].text_length);
	}
	for (int i = 0; i < n && !xmp->size; i++) {
		if (strcmp(text[i].key, RAW_XMP_KEY) == 0)
			return raw_profile(text[i].text,
					   text[i].itxt_length
					       ? text[i].itxt_length
					       : text[i].text_length,
					   xmp);
	}
	return WM_OK;
}

/* Takes ICC, EXIF and XMP from the chunks before the image data. */
static wm_status read_meta(png_dec *p)
{
	wm__meta *m = &p->im->meta;
	png_charp name;
	png_bytep prof, exif;
	png_uint_32 plen, elen;
	int comp;
	wm_status s = WM_OK;

	if (png_get_iCCP(p->png, p->info, &name, &comp, &prof, &plen)) {
		s = wm__blob_set(&m->icc, prof, plen);
		snprintf(m->icc_name, sizeof(m->icc_name), "%s", name);
	}
	if (s == WM_OK && png_get_eXIf_1(p->png, p->info, &elen, &exif))
		s = wm__blob_set(&m->exif, exif, elen);
	if (s == WM_OK)
		s = take_xmp(p->png, p->info, &m->xmp);
	return s;
}

/*
 * EXIF and text (XMP among them) may legally follow the image data. The
 * output's header is written before the rows stream through, so when a
 * walk over the chunk headers finds such chunks after IDAT, a second
 * libpng reader goes through the file to its end first (inflating the
 * image data once more, without unfiltering it) and png_read_end collects
 * them; they are then written with the header.
 */
static bool has_late_meta(FILE *f)
{
	static const char *const kinds[] = {"eXIf", "iTXt", "tEXt", "zTXt"};
	uint8_t h[8];
	bool idat = false, late = false;
	size_t k;

	if (fseek(f, 8, SEEK_SET) != 0)
		return false;
	while (!late && fread(h, 1, 8, f) == 8 && memcmp(h + 4, "IEND", 4)) {
		uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
			     (uint32_t)h[2] << 8 | h[3];

		idat |= !memcmp(h + 4, "IDAT", 4);
		for (k = 0; idat && k < 4; k++)
			late |= !memcmp(h + 4, kinds[k], 4);
		if (n > 0x7fffffff || fseek(f, (long)n + 4, SEEK_CUR) != 0)
			break;
	}
	return late;
}

/* Reads the whole file with p->late; false when it is damaged (the
 * decoding proper then reports how). */
static bool read_to_end(png_dec *p)
{
	if (setjmp(png_jmpbuf(p->late)))
		return false;
	png_init_io(p->late, p->im->in);
	png_set_crc_action(p->late, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	png_read_info(p->late, p->late_info);
	png_read_update_info(p->late, p->late_info);
	png_read_end(p->late, p->late_end);
	return true;
}

/* EXIF and XMP found after the image data, when none came before it. */
static wm_status take_late_meta(png_dec *p)
{
	wm__meta *m = &p->im->meta;
	png_bytep exif;
	png_uint_32 elen;
	wm_status s = WM_OK;

	if (!m->exif.size &&
	    png_get_eXIf_1(p->late, p->late_end, &elen, &exif))
		s = wm__blob_set(&m->exif, exif, elen);
	if (s == WM_OK)
		s = take_xmp(p->late, p->late_end, &m->xmp);
	return s;
}

static wm_status read_late_meta(png_dec *p)
{
	long at = ftell(p->im->in);
	bool ok;

	if (at < 0 || !has_late_meta(p->im->in)) {
		ok = at >= 0 && fseek(p->im->in, at, SEEK_SET) == 0;
		return ok ? WM_OK : wm__error(WM_ERR_IO, "%s: cannot seek",
					      p->im->name);
	}
	p->late_err.name = p->im->name;
	p->late = png_create_read_struct_2(
	    PNG_LIBPNG_VER_STRING, &p->late_err, on_error, on_warning,
	    &p->late_err, png_alloc, png_dealloc);
	p->late_info = p->late ? png_create_info_struct(p->late) : NULL;
	p->late_end = p->late_info ? png_create_info_struct(p->late) : NULL;
	ok = p->late_end && fseek(p->im->in, 0, SEEK_SET) == 0 &&
	     read_to_end(p);
	if (fseek(p->im->in, at, SEEK_SET) != 0)
		return wm__error(WM_ERR_IO, "%s: cannot seek", p->im->name);
	if (!p->late_end || p->late_err.no_memory)
		return no_memory(&p->late_err);
	if (!ok) {
		png_destroy_read_struct(&p->late, &p->late_info, &p->late_end);
		return WM_OK;
	}
	return take_late_meta(p);
}

static wm_pixel_format layout(int color_type, int depth)
{
	bool d16 = depth == 16;

	switch (color_type) {
	case PNG_COLOR_TYPE_GRAY: return d16 ? WM_PIX_GRAY16 : WM_PIX_GRAY8;
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		return d16 ? WM_PIX_GRAYA16 : WM_PIX_GRAYA8;
	case PNG_COLOR_TYPE_RGB: return d16 ? WM_PIX_RGB48 : WM_PIX_RGB24;
	default: return d16 ? WM_PIX_RGBA64 : WM_PIX_RGBA;
	}
}

/* Asks libpng for 8 or 16-bit grey/RGB with optional alpha, native 16-bit
 * byte order. */
static void set_transforms(png_dec *p, int color_type, int depth)
{
	if (color_type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(p->png);
	if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(p->png);
	if (png_get_valid(p->png, p->info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(p->png);
	if (depth == 16) {
		uint16_t one = 1;

		if (*(uint8_t *)&one == 1)
			png_set_swap(p->png);
	}
}

/*
 * cICP (coding-independent code points: primaries, transfer, matrix,
 * range) describes the samples, which marking keeps in the same space, so
 * it is copied like gAMA and cHRM. libpng before 1.6.45 does not know the
 * chunk: it is kept as an unknown chunk when read and written back as one,
 * after IHDR and before PLTE and IDAT as the PNG specification requires.
 */
static const png_byte cicp[] = "cICP";

static wm_status read_header(png_dec *p, wm__decoder *d)
{
	png_uint_32 w, h;
	int depth, ct, il;

	if (setjmp(png_jmpbuf(p->png)))
		return dec_fail(p, WM_ERR_CORRUPT);
	png_init_io(p->png, p->im->in);
	png_set_crc_action(p->png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	png_set_keep_unknown_chunks(p->png, PNG_HANDLE_CHUNK_ALWAYS, cicp, 1);
	png_read_info(p->png, p->info);
	png_get_IHDR(p->png, p->info, &w, &h, &depth, &ct, &il, NULL, NULL);
	if (wm__image_check_size(p->im, w, h, 8) != WM_OK)
		return WM_ERR_TOO_LARGE;
	set_transforms(p, ct, depth);
	if (il != PNG_INTERLACE_NONE)
		png_set_interlace_handling(p->png);
	png_read_update_info(p->png, p->info);
	d->format = layout(png_get_color_type(p->png, p->info),
			   png_get_bit_depth(p->png, p->info));
	d->interlaced = il != PNG_INTERLACE_NONE;
	p->width = d->width = (int)w;
	p->height = d->height = (int)h;
	p->whole_stride = png_get_rowbytes(p->png, p->info);
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

wm_status wm__png_decoder(wm__image *im, wm__decoder *d)
{
	png_dec *p = wm__calloc(1, sizeof(*p));
	wm_status s;

	if (!p)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	p->im = im;
	p->err.name = im->name;
	p->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &p->err,
					  on_error, on_warning, &p->err,
					  png_alloc, png_dealloc);
	p->info = p->png ? png_create_info_struct(p->png) : NULL;
	if (!p->info) {
		dec_destroy(p);
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	}
	s = read_header(p, d);
	if (s == WM_OK)
		s = read_meta(p);
	if (s == WM_OK && im->out)
		s = read_late_meta(p);
	if (s == WM_OK && d->interlaced && im->out)
		s = read_interlaced(p);
	if (s != WM_OK) {
		dec_destroy(p);
		return s;
	}
	d->ctx = p;
	d->lossless = true;
	d->read_rows = dec_read;
	d->destroy = dec_destroy;
	im->src_png = p->png;
	im->src_png_info = p->info;
	im->src_png_late = p->late;
	im->src_png_late_info = p->late_end;
	return WM_OK;
}

/* ---- encoding --------------------------------------------------------------
 */

typedef struct png_enc {
	png_structp png;
	png_infop info;
	png_err err;
	wm__image *im;
	wm__blob xmp;
} png_enc;

static void enc_destroy(void *ctx)
{
	png_enc *p = ctx;

	png_destroy_write_struct(&p->png, &p->info);
	wm__blob_free(&p->xmp);
	wm__free(p);
}

static wm_status enc_fail(png_enc *p)
{
	if (p->err.no_memory)
		return no_memory(&p->err);
	/* libpng's writer says only "Write Error": errno says why. */
	if (ferror(p->im->out) && p->err.err_no)
		return wm__error(WM_ERR_IO, "%s: cannot write the output (%s)",
				 p->im->name, strerror(p->err.err_no));
	return wm__error(WM_ERR_IO, "%s: cannot write the PNG: %s", p->im->name,
			 p->err.msg);
}

static wm_status enc_write(void *ctx, const uint8_t *buf, ptrdiff_t stride,
			   int rows)
{
	png_enc *p = ctx;
	int y;

	if (setjmp(png_jmpbuf(p->png)))
		return enc_fail(p);
	for (y = 0; y < rows; y++)
		png_write_row(p->png, buf + y * stride);
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

static wm_status enc_finish(void *ctx)
{
	png_enc *p = ctx;

	if (setjmp(png_jmpbuf(p->png)))
		return enc_fail(p);
	png_write_end(p->png, NULL);
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

wm_pixel_format wm__png_accepts(wm_pixel_format f)
{
	return f;
}

static int color_type_of(wm_pixel_format f)
{
	switch (f) {
	case WM_PIX_GRAY8:
	case WM_PIX_GRAY16: return PNG_COLOR_TYPE_GRAY;
	case WM_PIX_GRAYA8:
	case WM_PIX_GRAYA16: return PNG_COLOR_TYPE_GRAY_ALPHA;
	case WM_PIX_RGB24:
	case WM_PIX_RGB48: return PNG_COLOR_TYPE_RGB;
	default: return PNG_COLOR_TYPE_RGBA;
	}
}

/* Copies text chunks but the XMP, which is written from the metadata
 * (an ImageMagick raw profile of XMP too, when the output has XMP: its
 * packet was read as the input's, and a second, older one would
 * contradict the new). One at a time: the input's array must stay as it
 * is, since its entries are freed with it. */
static void copy_text(png_enc *p, png_structp s, png_infop si)
{
	png_textp text;
	int n = png_get_text(s, si, &text, NULL), i;

	for (i = 0; i < n; i++) {
		if (strcmp(text[i].key, "XML:com.adobe.xmp") == 0 ||
		    (p->xmp.size && strcmp(text[i].key, RAW_XMP_KEY) == 0))
			continue;
		png_set_text(p->png, p->info, &text[i], 1);
	}
}

static void copy_cicp(png_enc *p, png_structp s, png_infop si)
{
	png_unknown_chunkp chunks;
	int n = png_get_unknown_chunks(s, si, &chunks), i;

	for (i = 0; i < n; i++) {
		png_unknown_chunk c = chunks[i];

		if (memcmp(c.name, cicp, 4) != 0)
			continue;
		c.location = PNG_HAVE_IHDR;
		png_set_keep_unknown_chunks(p->png, PNG_HANDLE_CHUNK_ALWAYS,
					    cicp, 1);
		png_set_unknown_chunks(p->png, p->info, &c, 1);
		return;
	}
}

/* Copies the ancillary chunks of a PNG input that marking leaves true:
 * physical size, gamma and chromaticities, cICP, the sRGB intent, text. */
static void copy_ancillary(png_enc *p)
{
	png_structp s = p->im->src_png;
	png_infop si = p->im->src_png_info;
	png_uint_32 rx, ry;
	int unit, intent;
	double g, c[8];

	if (!s)
		return;
	if (png_get_pHYs(s, si, &rx, &ry, &unit))
		png_set_pHYs(p->png, p->info, rx, ry, unit);
	if (png_get_sRGB(s, si, &intent))
		png_set_sRGB(p->png, p->info, intent);
	if (png_get_gAMA(s, si, &g))
		png_set_gAMA(p->png, p->info, g);
	if (png_get_cHRM(s, si, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6],
			 &c[7]))
		png_set_cHRM(p->png, p->info, c[0], c[1], c[2], c[3], c[4],
			     c[5], c[6], c[7]);
	copy_cicp(p, s, si);
	copy_text(p, s, si);
	if (p->im->src_png_late)
		copy_text(p, p->im->src_png_late, p->im->src_png_late_info);
}

static void set_meta(png_enc *p)
{
	wm__meta *m = &p->im->meta;
	png_text t;

	if (m->icc.size && !png_get_valid(p->png, p->info, PNG_INFO_sRGB))
		png_set_iCCP(p->png, p->info,
			     m->icc_name[0] ? m->icc_name : "ICC profile", 0,
			     m->icc.data, (png_uint_32)m->icc.size);
	if (m->exif.size)
		png_set_eXIf_1(p->png, p->info, (png_uint_32)m->exif.size,
			       m->exif.data);
	if (p->xmp.size) {
		memset(&t, 0, sizeof(t));
		t.compression = PNG_ITXT_COMPRESSION_NONE;
		t.key = "XML:com.adobe.xmp";
		t.text = (char *)p->xmp.data;
		t.itxt_length = p->xmp.size;
		t.lang = "";
		t.lang_key = "";
		png_set_text(p->png, p->info, &t, 1);
	}
}

static wm_status write_header(png_enc *p, wm_pixel_format f)
{
	int depth =
	    wm__image_bpp(f) > 4 || f == WM_PIX_GRAY16 || f == WM_PIX_GRAYA16
		? 16
		: 8;
	uint16_t one = 1;

	if (setjmp(png_jmpbuf(p->png)))
		return enc_fail(p);
	png_init_io(p->png, p->im->out);
	png_set_IHDR(p->png, p->info, (png_uint_32)p->im->width,
		     (png_uint_32)p->im->height, depth, color_type_of(f),
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	copy_ancillary(p);
	set_meta(p);
	png_write_info(p->png, p->info);
	if (depth == 16 && *(uint8_t *)&one == 1)
		png_set_swap(p->png);
	return p->err.no_memory ? no_memory(&p->err) : WM_OK;
}

wm_status wm__png_encoder(wm__image *im, wm_pixel_format f, wm__encoder *e)
{
	png_enc *p = wm__calloc(1, sizeof(*p));
	wm_status s;

	if (!p)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	p->im = im;
	p->err.name = im->name;
	p->png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &p->err,
					   on_error, on_warning, &p->err,
					   png_alloc, png_dealloc);
	p->info = p->png ? png_create_info_struct(p->png) : NULL;
	s = p->info
		? wm__meta_xmp_out(&im->meta, im->mark, &p->xmp)
		: wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", im->name);
	if (s == WM_OK)
		s = write_header(p, f);
	if (s != WM_OK) {
		enc_destroy(p);
		return s;
	}
	e->ctx = p;
	e->write_rows = enc_write;
	e->finish = enc_finish;
	e->destroy = enc_destroy;
	return WM_OK;
}
