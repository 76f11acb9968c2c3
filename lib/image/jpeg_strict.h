/*
 * Which of libjpeg's warnings mean a damaged picture.
 *
 * libjpeg reports damaged entropy-coded data only through warnings and
 * goes on decoding, with grey or garbage where the data was bad. A strict
 * decoder turns those warnings into errors, but not the ones real files
 * from cameras and editors produce without harm to the pixels: an unknown
 * JFIF revision or Adobe transform code, a malformed ICC marker (metadata
 * only) and stray bytes between the header's markers, before the first
 * scan. Bytes after the EOI marker are never read, so never reported.
 *
 * Header-only and depending on libjpeg alone: the media layer's JPEG
 * reader and the logo decoder of the mark layer both include it, so that
 * inputs and logos are held to the same rules.
 */
#ifndef WM_IMAGE_JPEG_STRICT_H
#define WM_IMAGE_JPEG_STRICT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h> /* after jpeglib.h, or it lacks the arithmetic codes */

/* Whether the warning being emitted through `c` means damaged (or
 * missing) image data. */
static inline bool wm__jpeg_warning_damages(j_common_ptr c)
{
	switch (c->err->msg_code) {
	case JWRN_JPEG_EOF:	     /* the file ends inside the image */
	case JWRN_HIT_MARKER:	     /* a scan ends before its last block */
	case JWRN_HUFF_BAD_CODE:     /* entropy-coded data is garbage */
	case JWRN_ARITH_BAD_CODE:    /* the same, arithmetic coding */
	case JWRN_MUST_RESYNC:	     /* a restart marker lost or damaged */
	case JWRN_NOT_SEQUENTIAL:    /* scan parameters break the process */
	case JWRN_BOGUS_PROGRESSION: /* coefficients refined before set */
		return true;
	case JWRN_EXTRANEOUS_DATA:
		/* Between header markers the bytes are junk left by some
		 * writer; once a scan has begun they are entropy-coded data
		 * the decoder did not use, because the data before them was
		 * damaged. */
		return c->is_decompressor &&
		       ((j_decompress_ptr)c)->input_scan_number > 0;
	default:
		return false;
	}
}

/* libjpeg's description of the current message, without the "Corrupt
 * JPEG data: " it starts most of them with (the caller says so already). */
static inline void wm__jpeg_describe(j_common_ptr c, char *buf)
{
	static const char prefix[] = "Corrupt JPEG data: ";
	size_t n = sizeof(prefix) - 1;

	c->err->format_message(c, buf);
	if (!strncmp(buf, prefix, n))
		memmove(buf, buf + n, strlen(buf + n) + 1);
}

#endif
