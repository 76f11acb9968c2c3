/*
 * WebP through libwebp. libwebp 1.2 decodes and encodes whole pictures
 * only, so WebP is the documented exception to streaming: the picture is
 * held whole on both sides. Lossless inputs (and PNG inputs) are written
 * lossless; lossy ones are re-encoded at the quality option, or 90 when it
 * is unset, because a WebP file does not record the quality it was made
 * with. ICC, EXIF and XMP travel in their own chunks (libwebpmux).
 */
#include <errno.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "image.h"

enum { DEFAULT_QUALITY = 90 };

/* ---- decoding -------------------------------------------------------------
 */

typedef struct webp_dec {
	wm__image *im;
	uint8_t *file;
	size_t size;
	uint8_t *pixels; /* decoded on the first read */
	size_t stride;
	int next_row;
	bool alpha;
} webp_dec;

static void dec_destroy(void *ctx)
{
	webp_dec *w = ctx;

	wm__free(w->file);
	WebPFree(w->pixels);
	wm__free(w);
}

static wm_status slurp(wm__image *im, uint8_t **data, size_t *size)
{
	long n;

	if (fseek(im->in, 0, SEEK_END) != 0 || (n = ftell(im->in)) < 0 ||
	    fseek(im->in, 0, SEEK_SET) != 0)
		return wm__error(WM_ERR_IO, "%s: cannot read", im->name);
	*data = wm__malloc((size_t)n + 1);
	if (!*data)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	*size = fread(*data, 1, (size_t)n, im->in);
	if (*size != (size_t)n)
		return wm__error(WM_ERR_IO, "%s: read failed", im->name);
	return WM_OK;
}

static wm_status chunk_to(WebPDemuxer *dmx, const char *id, wm__blob *b)
{
	WebPChunkIterator it;
	wm_status s = WM_OK;

	if (WebPDemuxGetChunk(dmx, id, 1, &it)) {
		s = wm__blob_set(b, it.chunk.bytes, it.chunk.size);
		WebPDemuxReleaseChunkIterator(&it);
	}
	return s;
}

static wm_status read_chunks(webp_dec *w)
{
	WebPData data = {w->file, w->size};
	WebPDemuxer *dmx = WebPDemux(&data);
	wm_status s;

	if (!dmx)
		return wm__error(WM_ERR_CORRUPT, "%s: corrupt WebP container",
				 w->im->name);
	s = chunk_to(dmx, "ICCP", &w->im->meta.icc);
	if (s == WM_OK)
		s = chunk_to(dmx, "EXIF", &w->im->meta.exif);
	if (s == WM_OK)
		s = chunk_to(dmx, "XMP ", &w->im->meta.xmp);
	WebPDemuxDelete(dmx);
	return s;
}

static wm_status decode_all(webp_dec *w, int height)
{
	int width;

	w->pixels = w->alpha ? WebPDecodeRGBA(w->file, w->size, &width, &height)
			     : WebPDecodeRGB(w->file, w->size, &width, &height);
	if (!w->pixels)
		return wm__error(WM_ERR_CORRUPT,
				 "%s: corrupt or truncated WebP data",
				 w->im->name);
	w->stride = (size_t)width * (w->alpha ? 4 : 3);
	return WM_OK;
}

static wm_status dec_read(void *ctx, uint8_t *buf, ptrdiff_t stride, int rows)
{
	webp_dec *w = ctx;
	wm_status s = w->pixels ? WM_OK : decode_all(w, 0);
	int y;

	for (y = 0; s == WM_OK && y < rows; y++)
		memcpy(buf + y * stride,
		       w->pixels + (size_t)(w->next_row + y) * w->stride,
		       w->stride);
	w->next_row += rows;
	return s;
}

static wm_status read_features(webp_dec *w, wm__decoder *d)
{
	WebPBitstreamFeatures f;
	VP8StatusCode rc = WebPGetFeatures(w->file, w->size, &f);

	if (rc != VP8_STATUS_OK)
		return wm__error(WM_ERR_CORRUPT, "%s: corrupt WebP header",
				 w->im->name);
	if (f.has_animation)
		return wm__error(WM_ERR_UNSUPPORTED,
				 "%s: animated WebP is not handled",
				 w->im->name);
	if (wm__image_check_size(w->im, (uint32_t)f.width, (uint32_t)f.height,
				 4))
		return WM_ERR_TOO_LARGE;
	w->alpha = f.has_alpha;
	d->width = f.width;
	d->height = f.height;
	d->format = f.has_alpha ? WM_PIX_RGBA : WM_PIX_RGB24;
	d->lossless = f.format == 2;
	return WM_OK;
}

wm_status wm__webp_decoder(wm__image *im, wm__decoder *d)
{
	webp_dec *w = wm__calloc(1, sizeof(*w));
	wm_status s;

	if (!w)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	w->im = im;
	s = slurp(im, &w->file, &w->size);
	if (s == WM_OK)
		s = read_features(w, d);
	if (s == WM_OK)
		s = read_chunks(w);
	if (s != WM_OK) {
		dec_destroy(w);
		return s;
	}
	d->interlaced = true;
	d->ctx = w;
	d->read_rows = dec_read;
	d->destroy = dec_destroy;
	return WM_OK;
}

/* ---- encoding -------------------------------------------------------------
 */

typedef struct webp_enc {
	wm__image *im;
	uint8_t *pixels;
	size_t stride;
	int next_row;
	bool alpha;
	bool lossless;
} webp_enc;

static void enc_destroy(void *ctx)
{
	webp_enc *w = ctx;

	wm__free(w->pixels);
	wm__free(w);
}

static wm_status enc_write(void *ctx, const uint8_t *buf, ptrdiff_t stride,
			   int rows)
{
	webp_enc *w = ctx;
	int y;

	for (y = 0; y < rows; y++)
		memcpy(w->pixels + (size_t)(w->next_row + y) * w->stride,
		       buf + y * stride, w->stride);
	w->next_row += rows;
	return WM_OK;
}

static wm_status encode(webp_enc *w, WebPMemoryWriter *mw)
{
	int q = (int)wm__opt_int(wm__mark_options(w->im->mark), WM_OPT_QUALITY);
	WebPConfig cfg;
	WebPPicture pic;
	int ok;

	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
		return wm__error(WM_ERR_CODEC, "%s: libwebp version mismatch",
				 w->im->name);
	cfg.lossless = w->lossless && q <= 0;
	cfg.quality = cfg.lossless ? 75 : (float)(q > 0 ? q : DEFAULT_QUALITY);
	cfg.exact = w->alpha; /* keep colour under transparent pixels */
	pic.use_argb = cfg.lossless;
	pic.width = w->im->width;
	pic.height = w->im->height;
	pic.writer = WebPMemoryWrite;
	pic.custom_ptr = mw;
	ok = w->alpha ? WebPPictureImportRGBA(&pic, w->pixels, (int)w->stride)
		      : WebPPictureImportRGB(&pic, w->pixels, (int)w->stride);
	ok = ok && WebPEncode(&cfg, &pic);
	WebPPictureFree(&pic);
	if (!ok)
		return wm__error(WM_ERR_CODEC, "%s: WebP encoding failed (%d)",
				 w->im->name, pic.error_code);
	return WM_OK;
}

static bool set_chunk(WebPMux *mux, const char *id, const wm__blob *b)
{
	WebPData d = {b->data, b->size};

	return !b->size || WebPMuxSetChunk(mux, id, &d, 1) == WEBP_MUX_OK;
}

/* Wraps the bitstream with the metadata chunks and writes the file. */
static wm_status write_file(webp_enc *w, const WebPMemoryWriter *mw,
			    const wm__blob *xmp)
{
	WebPData bits = {mw->mem, mw->size}, out = {NULL, 0};
	WebPMux *mux = WebPMuxCreate(&bits, 1);
	const wm__meta *m = &w->im->meta;
	bool ok = mux && set_chunk(mux, "ICCP", &m->icc) &&
		  set_chunk(mux, "EXIF", &m->exif) &&
		  set_chunk(mux, "XMP ", xmp) &&
		  WebPMuxAssemble(mux, &out) == WEBP_MUX_OK;

	WebPMuxDelete(mux);
	if (!ok) {
		WebPDataClear(&out);
		return wm__error(WM_ERR_IO,
				 "%s: cannot assemble the WebP file "
				 "(libwebpmux failed)",
				 w->im->name);
	}
	if (fwrite(out.bytes, 1, out.size, w->im->out) != out.size) {
		int err = errno;

		WebPDataClear(&out);
		return wm__error(WM_ERR_IO, "%s: cannot write the output (%s)",
				 w->im->name, strerror(err));
	}
	WebPDataClear(&out);
	return WM_OK;
}

static wm_status enc_finish(void *ctx)
{
	webp_enc *w = ctx;
	WebPMemoryWriter mw;
	wm__blob xmp = {0};
	wm_status s;

	WebPMemoryWriterInit(&mw);
	s = encode(w, &mw);
	if (s == WM_OK)
		s = wm__meta_xmp_out(&w->im->meta, w->im->mark, &xmp);
	if (s == WM_OK)
		s = write_file(w, &mw, &xmp);
	WebPMemoryWriterClear(&mw);
	wm__blob_free(&xmp);
	return s;
}

wm_pixel_format wm__webp_accepts(wm_pixel_format f)
{
	return f == WM_PIX_RGBA || f == WM_PIX_GRAYA8 || f == WM_PIX_GRAYA16 ||
		       f == WM_PIX_RGBA64
		   ? WM_PIX_RGBA
		   : WM_PIX_RGB24;
}

wm_status wm__webp_encoder(wm__image *im, wm_pixel_format f, bool lossless,
			   wm__encoder *e)
{
	webp_enc *w = wm__calloc(1, sizeof(*w));
	size_t size;

	if (!w)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 im->name);
	w->im = im;
	w->alpha = f == WM_PIX_RGBA;
	w->lossless = lossless;
	w->stride = (size_t)im->width * (w->alpha ? 4 : 3);
	if (im->width > 16383 || im->height > 16383)
		size = 0;
	else if (wm__mul_size(w->stride, (size_t)im->height, &size))
		w->pixels = wm__malloc(size);
	if (!w->pixels) {
		enc_destroy(w);
		return im->width > 16383 || im->height > 16383
			   ? wm__error(WM_ERR_TOO_LARGE,
				       "%s: WebP holds at most 16383x16383",
				       im->name)
			   : wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				       im->name);
	}
	e->ctx = w;
	e->write_rows = enc_write;
	e->finish = enc_finish;
	e->destroy = enc_destroy;
	return WM_OK;
}
