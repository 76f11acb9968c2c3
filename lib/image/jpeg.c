/*
 * JPEG through libjpeg-turbo.
 *
 * JPEG to JPEG works on the raw YCbCr (or grey) planes, an iMCU row at a
 * time (jpeg_read_raw_data/jpeg_write_raw_data): no colour conversion, no
 * chroma resampling, the input's subsampling kept and, unless a quality is
 * given, its own quantisation tables re-used. Baseline files stream in
 * memory that does not grow with the height; progressive ones are held
 * whole by libjpeg as coefficients (and written progressive again).
 * Layouts the planar kernels do not cover (4:4:0, 4:1:1, RGB-coded files
 * such as XYB) and grey files meeting a colour mark take the row path: RGB
 * rows, re-encoded with the input's sampling factors and tables.
 *
 * CMYK and YCCK files stay CMYK (JPEG output only): the mark is composited
 * onto a transparent RGBA band, its colours converted into ink through the
 * file's CMYK profile with Little CMS (or a plain formula without one), and
 * blended into the ink samples, which Adobe files store inverted.
 *
 * libjpeg reports errors through error_exit, which here longjmps back to
 * the calling function; a premature end of data and damaged scan data,
 * which libjpeg only warns about (and pads with grey or decodes as
 * garbage), are errors too (jpeg_strict.h), so a truncated or damaged file
 * never yields a half-grey output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jpeglib.h first: its jconfig.h decides which codes jerror.h lists. */
#include <jpeglib.h>
#include <jerror.h>
#include <lcms2.h>

#include "image.h"
#include "jpeg_strict.h"

#define XMP_NS "http://ns.adobe.com/xap/1.0/"
#define XMP_EXT_NS "http://ns.adobe.com/xmp/extension/"
#define XMP_MAX (65533 - sizeof(XMP_NS)) /* one APP1 segment's payload */

typedef struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	int err_no; /* errno when the error was raised (a failed write's) */
} jerr;

static void on_error_exit(j_common_ptr c)
{
	jerr *e = (jerr *)c->err;

	e->err_no = errno;
	c->err->format_message(c, e->msg);
	longjmp(e->jb, 1);
}

static void on_message(j_common_ptr c, int level)
{
	jerr *e = (jerr *)c->err;

	if (level >= 0)
		return;
	if (c->err->msg_code == JWRN_JPEG_EOF) {
		snprintf(e->msg, sizeof(e->msg), "the file is truncated");
		longjmp(e->jb, 1);
	}
	if (wm__jpeg_warning_damages(c)) {
		wm__jpeg_describe(c, e->msg);
		longjmp(e->jb, 1);
	}
	c->err->num_warnings++;
}

static void jerr_init(jerr *e)
{
	jpeg_std_error(&e->pub);
	e->pub.error_exit = on_error_exit;
	e->pub.emit_message = on_message;
	e->msg[0] = '\0';
}

/* ---- reading ----------------------------------------------------------------
 */

/* The decompressor and what was read from the input's markers. */
typedef struct jsrc {
	struct jpeg_decompress_struct d;
	jerr err;
	bool created;
	wm__image *im;
} jsrc;

static wm_status src_fail(jsrc *s)
{
	return wm__error(WM_ERR_CORRUPT, "%s: corrupt JPEG: %s", s->im->name,
			 s->err.msg);
}

static bool marker_is(const jpeg_saved_marker_ptr m, int code, const char *sig,
		      size_t n)
{
	return m->marker == code && m->data_length >= n &&
	       !memcmp(m->data, sig, n);
}

static wm_status collect_meta(jsrc *s)
{
	wm__meta *meta = &s->im->meta;
	jpeg_saved_marker_ptr m;
	JOCTET *icc = NULL;
	unsigned icc_len = 0;
	wm_status st = WM_OK;

	for (m = s->d.marker_list; m && st == WM_OK; m = m->next) {
		if (!meta->exif.size &&
		    marker_is(m, JPEG_APP0 + 1, "Exif\0", 6))
			st = wm__blob_set(&meta->exif, m->data + 6,
					  m->data_length - 6);
		else if (!meta->xmp.size &&
			 marker_is(m, JPEG_APP0 + 1, XMP_NS, sizeof(XMP_NS)))
			st = wm__blob_set(&meta->xmp, m->data + sizeof(XMP_NS),
					  m->data_length - sizeof(XMP_NS));
		if (marker_is(m, JPEG_APP0 + 2, "MPF", 4))
			meta->secondary_dropped = true;
	}
	if (st == WM_OK && jpeg_read_icc_profile(&s->d, &icc, &icc_len)) {
		st = wm__blob_set(&meta->icc, icc, icc_len);
		free(icc); /* allocated by libjpeg with malloc */
	}
	return st;
}

static wm_status src_open(jsrc *s, wm__image *im)
{
	int i;

	s->im = im;
	s->d.err = jpeg_std_error(&s->err.pub);
	jerr_init(&s->err);
	if (setjmp(s->err.jb))
		return src_fail(s);
	jpeg_create_decompress(&s->d);
	s->created = true;
	jpeg_stdio_src(&s->d, im->in);
	jpeg_save_markers(&s->d, JPEG_COM, 0xffff);
	for (i = 0; i < 16; i++)
		jpeg_save_markers(&s->d, JPEG_APP0 + i, 0xffff);
	jpeg_read_header(&s->d, TRUE);
	if (wm__image_check_size(im, s->d.image_width, s->d.image_height, 4))
		return WM_ERR_TOO_LARGE;
	return collect_meta(s);
}

static void src_close(jsrc *s)
{
	if (s->created)
		jpeg_destroy_decompress(&s->d);
	s->created = false;
}

/* ---- writing ----------------------------------------------------------------
 */

typedef struct jdst {
	struct jpeg_compress_struct c;
	jerr err;
	bool created;
	wm__image *im;
} jdst;

/* A failed write says why (libjpeg's own text only guesses a full disk). */
static wm_status dst_fail(jdst *o)
{
	if (o->err.pub.msg_code == JERR_FILE_WRITE && o->err.err_no)
		return wm__error(WM_ERR_IO, "%s: cannot write the output (%s)",
				 o->im->name, strerror(o->err.err_no));
	return wm__error(WM_ERR_IO, "%s: cannot write the JPEG: %s",
			 o->im->name, o->err.msg);
}

static bool keep_marker(const jpeg_saved_marker_ptr m)
{
	if (m->marker == JPEG_APP0 || m->marker == JPEG_APP0 + 14)
		return false; /* JFIF and Adobe: written by libjpeg */
	if (m->marker == JPEG_APP0 + 11)
		return false; /* JUMBF (C2PA manifests): signatures break */
	if (marker_is(m, JPEG_APP0 + 1, "Exif\0", 6) ||
	    marker_is(m, JPEG_APP0 + 1, XMP_NS, sizeof(XMP_NS)))
		return false; /* written from the metadata */
	if (marker_is(m, JPEG_APP0 + 2, "ICC_PROFILE", 12) ||
	    marker_is(m, JPEG_APP0 + 2, "MPF", 4))
		return false; /* ICC rewritten; MPF images are not copied */
	return true;
}

static void write_blob_marker(jdst *o, int code, const char *sig,
			      size_t sig_len, const wm__blob *b)
{
	unsigned n = (unsigned)(sig_len + b->size), i;

	jpeg_write_m_header(&o->c, code, n);
	for (i = 0; i < sig_len; i++)
		jpeg_write_m_byte(&o->c, sig[i]);
	for (i = 0; i < b->size; i++)
		jpeg_write_m_byte(&o->c, b->data[i]);
}

/* Extended XMP is kept only beside the input's own main packet, whose
 * xmpNote:HasExtendedXMP digest it matches. */
static void write_other_markers(jdst *o, j_decompress_ptr src, bool ext_ok)
{
	jpeg_saved_marker_ptr m;

	for (m = src ? src->marker_list : NULL; m; m = m->next) {
		if (!keep_marker(m))
			continue;
		if (!ext_ok &&
		    marker_is(m, JPEG_APP0 + 1, XMP_EXT_NS, sizeof(XMP_EXT_NS)))
			continue;
		jpeg_write_marker(&o->c, (int)m->marker, m->data,
				  m->data_length);
	}
}

/*
 * Writes EXIF, XMP, ICC and the input's other segments. An XMP packet that
 * no longer fits one segment once the disclosure is added is replaced by
 * the disclosure alone (and the input's Extended XMP dropped with it).
 * EXIF from a PNG or WebP input that exceeds one segment is dropped (with
 * a warning in the log): splitting it has no standard form. The XMP that
 * describes the dropped gain map (hdrgm, GContainer, Apple's HDRGainMap)
 * is removed by wm__meta_xmp_out.
 */
static wm_status write_markers(jdst *o, j_decompress_ptr src)
{
	wm__meta *m = &o->im->meta;
	wm__blob xmp;
	wm_status s = wm__meta_xmp_out(m, o->im->mark, &xmp);
	bool ext_ok = true;

	if (s == WM_OK && xmp.size > XMP_MAX) {
		wm__meta tmp = {0};

		wm__log(WM_LOG_WARNING,
			"%s: XMP too large for one segment; "
			"writing the disclosure alone",
			o->im->name);
		wm__blob_free(&xmp);
		s = wm__meta_xmp_out(&tmp, o->im->mark, &xmp);
		ext_ok = false;
	}
	if (s != WM_OK)
		return s;
	if (setjmp(o->err.jb)) {
		wm__blob_free(&xmp);
		return dst_fail(o);
	}
	if (m->exif.size > 65527)
		wm__log(WM_LOG_WARNING, "%s: EXIF too large for JPEG; dropped",
			o->im->name);
	if (m->exif.size && m->exif.size <= 65527)
		write_blob_marker(o, JPEG_APP0 + 1, "Exif\0", 6, &m->exif);
	if (xmp.size && xmp.size <= XMP_MAX)
		write_blob_marker(o, JPEG_APP0 + 1, XMP_NS, sizeof(XMP_NS),
				  &xmp);
	if (m->icc.size)
		jpeg_write_icc_profile(&o->c, m->icc.data,
				       (unsigned)m->icc.size);
	write_other_markers(o, src, ext_ok);
	wm__blob_free(&xmp);
	return WM_OK;
}

/*
 * libjpeg writes the JFIF (APP0) and Adobe (APP14) segments itself, and
 * jpeg_set_colorspace turns them on by colour space; a file that had
 * neither must not gain them. Decoders then tell the colour space the same
 * way as for the input (the component ids are copied with the tables).
 * Their contents are libjpeg's: JFIF version and density are copied, the
 * Adobe transform follows the output's colour space.
 */
static void keep_app_markers(jdst *o, j_decompress_ptr src)
{
	o->c.write_JFIF_header = src->saw_JFIF_marker;
	o->c.write_Adobe_marker = src->saw_Adobe_marker;
}

/* Output settings taken from a JPEG input: sampling, tables (unless a
 * quality is given), progressive or arithmetic coding, restart interval. */
static void settings_from(jdst *o, j_decompress_ptr src, int quality)
{
	int t, k;

	jpeg_copy_critical_parameters(src, &o->c);
	/* A zero step decodes (as nothing) but would divide by zero when
	 * encoding; 1 keeps every coefficient. The encoder also divides by
	 * eight times the step held in 16 bits, which is zero for a step of
	 * 8192 (a 16-bit table may hold 32768). Coefficients of 8-bit
	 * samples stay below 2048, so any step above 4096 quantises them all
	 * to zero: 8191 gives the same file. */
	for (t = 0; t < NUM_QUANT_TBLS; t++)
		for (k = 0; o->c.quant_tbl_ptrs[t] && k < DCTSIZE2; k++) {
			UINT16 *q = &o->c.quant_tbl_ptrs[t]->quantval[k];

			if (!*q)
				*q = 1;
			else if (*q > 8191)
				*q = 8191;
		}
	if (quality > 0)
		jpeg_set_quality(&o->c, quality, TRUE);
	o->c.arith_code = src->arith_code;
	o->c.restart_interval = src->restart_interval;
	if (src->progressive_mode)
		jpeg_simple_progression(&o->c);
	keep_app_markers(o, src);
}

static void dst_close(jdst *o)
{
	if (o->created)
		jpeg_destroy_compress(&o->c);
	o->created = false;
}

static wm_status dst_create(jdst *o, wm__image *im)
{
	o->im = im;
	o->c.err = jpeg_std_error(&o->err.pub);
	jerr_init(&o->err);
	if (setjmp(o->err.jb))
		return dst_fail(o);
	jpeg_create_compress(&o->c);
	o->created = true;
	jpeg_stdio_dest(&o->c, im->out);
	return WM_OK;
}

static int quality_option(const wm__image *im)
{
	return (int)wm__opt_int(wm__mark_options(im->mark), WM_OPT_QUALITY);
}

/* ---- the planar path --------------------------------------------------------
 */

typedef struct planes {
	JSAMPARRAY rows[3];
	uint8_t *buf[3];
	size_t stride[3];
	int lines; /* luma rows per iMCU row */
} planes;

static void planes_free(planes *p)
{
	int i;

	for (i = 0; i < 3; i++) {
		wm__free(p->rows[i]);
		wm__free(p->buf[i]);
	}
}

static wm_status planes_alloc(jsrc *s, planes *p)
{
	int i, n = s->d.num_components, y;

	p->lines = s->d.max_v_samp_factor * DCTSIZE;
	for (i = 0; i < n; i++) {
		jpeg_component_info *c = &s->d.comp_info[i];
		int rows = c->v_samp_factor * DCTSIZE;
		size_t size;

		p->stride[i] = (size_t)c->width_in_blocks * DCTSIZE;
		if (!wm__mul_size(p->stride[i], (size_t)rows, &size))
			return wm__error(WM_ERR_TOO_LARGE, "%s: too wide",
					 s->im->name);
		p->buf[i] = wm__malloc(size);
		p->rows[i] = wm__calloc((size_t)rows, sizeof(JSAMPROW));
		if (!p->buf[i] || !p->rows[i])
			return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
					 s->im->name);
		for (y = 0; y < rows; y++)
			p->rows[i][y] = p->buf[i] + (size_t)y * p->stride[i];
	}
	return WM_OK;
}

/* The planar layout of the input, or NONE when the kernels lack it. */
static wm_pixel_format planar_layout(j_decompress_ptr d)
{
	jpeg_component_info *c = d->comp_info;

	if (d->jpeg_color_space == JCS_GRAYSCALE && d->num_components == 1)
		return WM_PIX_GRAY8;
	if (d->jpeg_color_space != JCS_YCbCr || d->num_components != 3 ||
	    c[1].h_samp_factor != 1 || c[1].v_samp_factor != 1 ||
	    c[2].h_samp_factor != 1 || c[2].v_samp_factor != 1)
		return WM_PIX_NONE;
	if (c[0].h_samp_factor == 1 && c[0].v_samp_factor == 1)
		return WM_PIX_I444;
	if (c[0].h_samp_factor == 2 && c[0].v_samp_factor == 1)
		return WM_PIX_I422;
	if (c[0].h_samp_factor == 2 && c[0].v_samp_factor == 2)
		return WM_PIX_I420;
	return WM_PIX_NONE;
}

static void band_frame(wm_frame *f, const wm__image *im, wm_pixel_format fmt,
		       planes *p, int rows)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->width = im->width;
	f->height = rows;
	f->format = fmt;
	f->matrix = WM_MATRIX_BT601; /* JFIF: BT.601, full range */
	f->range = WM_RANGE_FULL;
	f->orientation = (wm_orientation)im->meta.orientation;
	for (i = 0; i < 3 && p->buf[i]; i++) {
		f->planes[i] = p->buf[i];
		f->strides[i] = (ptrdiff_t)p->stride[i];
	}
}

static wm_status start_planar(jsrc *s, jdst *o)
{
	if (setjmp(s->err.jb))
		return src_fail(s);
	s->d.raw_data_out = TRUE;
	jpeg_start_decompress(&s->d);
	if (setjmp(o->err.jb))
		return dst_fail(o);
	settings_from(o, &s->d, quality_option(s->im));
	o->c.raw_data_in = TRUE;
	o->c.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&o->c, TRUE);
	return write_markers(o, &s->d);
}

static wm_status copy_imcu_row(jsrc *s, jdst *o, planes *p, wm_pixel_format fmt)
{
	int y = (int)s->d.output_scanline;
	int rows = s->im->height - y < p->lines ? s->im->height - y : p->lines;
	wm_frame band;

	if (setjmp(s->err.jb))
		return src_fail(s);
	jpeg_read_raw_data(&s->d, p->rows, (JDIMENSION)p->lines);
	band_frame(&band, s->im, fmt, p, rows);
	wm__image_blend(s->im, &band, y);
	if (setjmp(o->err.jb))
		return dst_fail(o);
	jpeg_write_raw_data(&o->c, p->rows, (JDIMENSION)p->lines);
	return wm__image_progress(s->im, rows);
}

static wm_status finish_planar(jsrc *s, jdst *o)
{
	if (setjmp(o->err.jb))
		return dst_fail(o);
	jpeg_finish_compress(&o->c);
	if (setjmp(s->err.jb))
		return src_fail(s);
	jpeg_finish_decompress(&s->d);
	return WM_OK;
}

static wm_status prepare_planar(jsrc *s, wm_pixel_format fmt)
{
	wm_frame t;
	planes none = {0};
	wm_status st;

	band_frame(&t, s->im, fmt, &none, (int)s->d.image_height);
	t.width = (int)s->d.image_width;
	st = wm__image_prepare(s->im, &t);
	if (st == WM_OK && fmt == WM_PIX_GRAY8 && s->im->prep->has_color)
		return WM_ERR_UNSUPPORTED; /* grey to colour: the row path */
	return st;
}

static wm_status run_planar(jsrc *s, wm_pixel_format fmt)
{
	planes p = {0};
	jdst o = {0};
	wm_status st = prepare_planar(s, fmt);

	if (st == WM_OK)
		st = planes_alloc(s, &p);
	if (st == WM_OK)
		st = dst_create(&o, s->im);
	if (st == WM_OK)
		st = start_planar(s, &o);
	while (st == WM_OK && s->d.output_scanline < s->d.output_height)
		st = copy_imcu_row(s, &o, &p, fmt);
	if (st == WM_OK)
		st = finish_planar(s, &o);
	dst_close(&o);
	planes_free(&p);
	return st;
}

/* ---- CMYK ------------------------------------------------------------------
 */

static bool is_cmyk(j_decompress_ptr d)
{
	return d->jpeg_color_space == JCS_CMYK ||
	       d->jpeg_color_space == JCS_YCCK;
}

typedef struct cmyk_job {
	cmsHTRANSFORM xform; /* sRGB to the file's CMYK profile, or NULL */
	bool inverted;	     /* Adobe files store 255 - ink */
	uint8_t *samples;    /* a band of CMYK rows */
	uint8_t *mark;	     /* the mark composited on transparency (RGBA) */
	uint8_t *ink;	     /* one row of mark colours as ink */
	size_t stride;	     /* of samples; mark rows are the same */
} cmyk_job;

static cmsHTRANSFORM cmyk_transform(const wm__blob *icc)
{
	cmsHPROFILE dst, src;
	cmsHTRANSFORM t = NULL;

	if (icc->size < 132)
		return NULL;
	dst = cmsOpenProfileFromMem(icc->data, (cmsUInt32Number)icc->size);
	if (!dst)
		return NULL;
	src = cmsGetColorSpace(dst) == cmsSigCmykData ? cmsCreate_sRGBProfile()
						      : NULL;
	if (src)
		t = cmsCreateTransform(src, TYPE_RGBA_8, dst, TYPE_CMYK_8,
				       INTENT_RELATIVE_COLORIMETRIC, 0);
	if (src)
		cmsCloseProfile(src);
	cmsCloseProfile(dst);
	return t;
}

/* Ink for an sRGB colour without a profile: the usual K-first split. */
static void plain_ink(const uint8_t *rgb, uint8_t *ink)
{
	unsigned mx = rgb[0], c;

	mx = rgb[1] > mx ? rgb[1] : mx;
	mx = rgb[2] > mx ? rgb[2] : mx;
	for (c = 0; c < 3; c++)
		ink[c] = mx ? (uint8_t)((mx - rgb[c]) * 255 / mx) : 0;
	ink[3] = (uint8_t)(255 - mx);
}

static void blend_cmyk_row(cmyk_job *j, uint8_t *row, const uint8_t *mark,
			   int width)
{
	int x, c;

	if (j->xform)
		cmsDoTransform(j->xform, mark, j->ink, (cmsUInt32Number)width);
	for (x = 0; x < width; x++) {
		unsigned a = mark[4 * x + 3];
		uint8_t *ink = j->ink + 4 * x;

		if (!a)
			continue;
		if (!j->xform)
			plain_ink(mark + 4 * x, ink);
		for (c = 0; c < 4; c++) {
			unsigned v = j->inverted ? 255u - row[4 * x + c]
						 : row[4 * x + c];

			v = (v * (255 - a) + ink[c] * a + 127) / 255;
			row[4 * x + c] = (uint8_t)(j->inverted ? 255 - v : v);
		}
	}
}

/* Composites the mark onto a transparent band and blends it as ink. */
static void mark_cmyk_band(jsrc *s, cmyk_job *j, int y, int rows)
{
	wm_frame f;
	int r;

	if (!wm__image_touches(s->im, y, rows))
		return;
	memset(j->mark, 0, j->stride * (size_t)rows);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.width = s->im->width;
	f.height = rows;
	f.format = WM_PIX_RGBA;
	f.alpha = WM_ALPHA_STRAIGHT;
	f.orientation = (wm_orientation)s->im->meta.orientation;
	f.planes[0] = j->mark;
	f.strides[0] = (ptrdiff_t)j->stride;
	wm__image_blend(s->im, &f, y);
	for (r = 0; r < rows; r++)
		blend_cmyk_row(j, j->samples + j->stride * (size_t)r,
			       j->mark + j->stride * (size_t)r, s->im->width);
}

static wm_status cmyk_band(jsrc *s, jdst *o, cmyk_job *j, int rows)
{
	int y = (int)s->d.output_scanline, r;

	if (setjmp(s->err.jb))
		return src_fail(s);
	for (r = 0; r < rows; r++) {
		JSAMPROW row = j->samples + j->stride * (size_t)r;

		if (jpeg_read_scanlines(&s->d, &row, 1) != 1)
			return wm__error(WM_ERR_CORRUPT, "%s: rows missing",
					 s->im->name);
	}
	mark_cmyk_band(s, j, y, rows);
	if (setjmp(o->err.jb))
		return dst_fail(o);
	for (r = 0; r < rows; r++) {
		JSAMPROW row = j->samples + j->stride * (size_t)r;

		jpeg_write_scanlines(&o->c, &row, 1);
	}
	return wm__image_progress(s->im, rows);
}

static wm_status start_cmyk(jsrc *s, jdst *o)
{
	if (setjmp(s->err.jb))
		return src_fail(s);
	s->d.out_color_space = JCS_CMYK;
	jpeg_start_decompress(&s->d);
	if (setjmp(o->err.jb))
		return dst_fail(o);
	settings_from(o, &s->d, quality_option(s->im));
	o->c.in_color_space = JCS_CMYK;
	o->c.input_components = 4;
	o->c.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&o->c, TRUE);
	return write_markers(o, &s->d);
}

static wm_status cmyk_alloc(jsrc *s, cmyk_job *j)
{
	size_t size;

	j->inverted = s->d.saw_Adobe_marker;
	j->xform = cmyk_transform(&s->im->meta.icc);
	if (!wm__mul_size((size_t)s->im->width, 4, &j->stride) ||
	    !wm__mul_size(j->stride, 16, &size))
		return wm__error(WM_ERR_TOO_LARGE, "%s: too wide", s->im->name);
	j->samples = wm__malloc(size);
	j->mark = wm__malloc(size);
	j->ink = wm__malloc(j->stride);
	if (!j->samples || !j->mark || !j->ink)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 s->im->name);
	return WM_OK;
}

static wm_status run_cmyk(jsrc *s)
{
	cmyk_job j = {0};
	jdst o = {0};
	wm_frame t;
	wm_status st;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.width = s->im->width;
	t.height = s->im->height;
	t.format = WM_PIX_RGBA;
	t.alpha = WM_ALPHA_STRAIGHT;
	t.orientation = (wm_orientation)s->im->meta.orientation;
	st = wm__image_prepare(s->im, &t);
	if (st == WM_OK)
		st = cmyk_alloc(s, &j);
	if (st == WM_OK)
		st = dst_create(&o, s->im);
	if (st == WM_OK)
		st = start_cmyk(s, &o);
	while (st == WM_OK && s->d.output_scanline < s->d.output_height) {
		int left = (int)(s->d.output_height - s->d.output_scanline);

		st = cmyk_band(s, &o, &j, left < 16 ? left : 16);
	}
	if (st == WM_OK)
		st = finish_planar(s, &o);
	dst_close(&o);
	if (j.xform)
		cmsDeleteTransform(j.xform);
	wm__free(j.samples);
	wm__free(j.mark);
	wm__free(j.ink);
	return st;
}

wm_status wm__jpeg_transcode(wm__image *im)
{
	jsrc s = {0};
	wm_pixel_format fmt;
	wm_status st = src_open(&s, im);

	if (st == WM_OK)
		st = wm__meta_read_exif(&im->meta);
	if (st == WM_OK) {
		im->width = (int)s.d.image_width;
		im->height = (int)s.d.image_height;
		fmt = planar_layout(&s.d);
		if (is_cmyk(&s.d))
			st = run_cmyk(&s);
		else
			st = fmt == WM_PIX_NONE ? WM_ERR_UNSUPPORTED
						: run_planar(&s, fmt);
	}
	wm__image_release(im);
	src_close(&s);
	return st;
}

/* ---- the row path
 * ------------------------------------------------------------ */

typedef struct jdec {
	jsrc s;
} jdec;

static void dec_destroy(void *ctx)
{
	jdec *j = ctx;

	if (j->s.im->src_jpeg == &j->s.d)
		j->s.im->src_jpeg = NULL;
	src_close(&j->s);
	wm__free(j);
}

static wm_status dec_read(void *ctx, uint8_t *buf, ptrdiff_t stride, int rows)
{
	jdec *j = ctx;
	int y;

	if (setjmp(j->s.err.jb))
		return src_fail(&j->s);
	for (y = 0; y < rows; y++) {
		JSAMPROW row = buf + y * stride;

		if (jpeg_read_scanlines(&j->s.d, &row, 1) != 1)
			return wm__error(WM_ERR_CORRUPT,
					 "%s: JPEG rows missing",
					 j->s.im->name);
	}
	return WM_OK;
}

static wm_status dec_start(jdec *j, wm__decoder *d)
{
	bool gray = j->s.d.jpeg_color_space == JCS_GRAYSCALE;

	if (setjmp(j->s.err.jb))
		return src_fail(&j->s);
	j->s.d.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
	j->s.d.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&j->s.d);
	d->format = gray ? WM_PIX_GRAY8 : WM_PIX_RGB24;
	d->width = (int)j->s.d.output_width;
	d->height = (int)j->s.d.output_height;
	return WM_OK;
}

wm_status wm__jpeg_decoder(wm__image *im, wm__decoder *d)
{
	jdec *j = wm__calloc(1, sizeof(*j));
	wm_status s;

	if (!j)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	s = src_open(&j->s, im);
	if (s == WM_OK && im->out && is_cmyk(&j->s.d))
		s = wm__error(WM_ERR_UNSUPPORTED,
			      "%s: a CMYK JPEG can only be written as JPEG",
			      im->name);
	if (s == WM_OK && im->out)
		s = dec_start(j, d);
	if (s == WM_OK && is_cmyk(&j->s.d))
		d->model = "CMYK";
	if (s == WM_OK && !im->out) {
		d->format = j->s.d.jpeg_color_space == JCS_GRAYSCALE
				? WM_PIX_GRAY8
				: WM_PIX_RGB24;
		d->width = (int)j->s.d.image_width;
		d->height = (int)j->s.d.image_height;
	}
	if (s != WM_OK) {
		j->s.im = im;
		src_close(&j->s);
		wm__free(j);
		return s;
	}
	d->ctx = j;
	d->read_rows = dec_read;
	d->destroy = dec_destroy;
	im->src_jpeg = &j->s.d;
	return WM_OK;
}

typedef struct jenc {
	jdst o;
} jenc;

static void enc_destroy(void *ctx)
{
	jenc *j = ctx;

	dst_close(&j->o);
	wm__free(j);
}

static wm_status enc_write(void *ctx, const uint8_t *buf, ptrdiff_t stride,
			   int rows)
{
	jenc *j = ctx;
	int y;

	if (setjmp(j->o.err.jb))
		return dst_fail(&j->o);
	for (y = 0; y < rows; y++) {
		JSAMPROW row = (JSAMPROW)(buf + y * stride);

		jpeg_write_scanlines(&j->o.c, &row, 1);
	}
	return WM_OK;
}

static wm_status enc_finish(void *ctx)
{
	jenc *j = ctx;

	if (setjmp(j->o.err.jb))
		return dst_fail(&j->o);
	jpeg_finish_compress(&j->o.c);
	return WM_OK;
}

wm_pixel_format wm__jpeg_accepts(wm_pixel_format f)
{
	return f == WM_PIX_GRAY8 || f == WM_PIX_GRAY16 ? WM_PIX_GRAY8
						       : WM_PIX_RGB24;
}

/*
 * Settings for rows of `f`: from a JPEG input when there is one (a grey
 * input turned colour keeps its luma table for every component unless a
 * quality is given), else libjpeg's defaults (4:2:0) at the quality option
 * or 90.
 */
static void enc_settings(jdst *o, j_decompress_ptr src, wm_pixel_format f)
{
	int q = quality_option(o->im), i;
	bool gray = f == WM_PIX_GRAY8;

	o->c.image_width = (JDIMENSION)o->im->width;
	o->c.image_height = (JDIMENSION)o->im->height;
	o->c.input_components = gray ? 1 : 3;
	o->c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
	if (!src) {
		jpeg_set_defaults(&o->c);
		jpeg_set_quality(&o->c, q > 0 ? q : 90, TRUE);
		return;
	}
	settings_from(o, src, q);
	o->c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
	o->c.input_components = gray ? 1 : 3;
	if (!gray && src->jpeg_color_space == JCS_GRAYSCALE) {
		jpeg_set_colorspace(&o->c, JCS_YCbCr);
		keep_app_markers(o, src);
		for (i = 0; q <= 0 && i < 3; i++)
			o->c.comp_info[i].quant_tbl_no = 0;
	}
}

static wm_status enc_start(jenc *j, wm_pixel_format f)
{
	j_decompress_ptr src = j->o.im->src_jpeg;

	if (setjmp(j->o.err.jb))
		return dst_fail(&j->o);
	enc_settings(&j->o, src, f);
	j->o.c.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&j->o.c, TRUE);
	return write_markers(&j->o, src);
}

wm_status wm__jpeg_encoder(wm__image *im, wm_pixel_format f, wm__encoder *e)
{
	jenc *j = wm__calloc(1, sizeof(*j));
	wm_status s;

	if (!j)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	s = dst_create(&j->o, im);
	if (s == WM_OK)
		s = enc_start(j, f);
	if (s != WM_OK) {
		enc_destroy(j);
		return s;
	}
	e->ctx = j;
	e->write_rows = enc_write;
	e->finish = enc_finish;
	e->destroy = enc_destroy;
	return WM_OK;
}
