/* Telling formats apart from their bytes, never from file names. */
#include "image.h"

#include <string.h>

static wm__sniff found(int kind, const char *name)
{
	wm__sniff s = {kind, name, false};

	return s;
}

/* For damage with no known cause: the message shows the first bytes. */
static wm__sniff found_with_bytes(int kind, const char *name)
{
	wm__sniff s = {kind, name, true};

	return s;
}

/* ISO base media files: the major and compatible brands say whether the
 * file is a still (AVIF, HEIC) or a video container. */
static wm__sniff sniff_ftyp(const uint8_t *b, size_t n)
{
	uint32_t box = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	size_t i, end = box < n ? box : n;

	for (i = 8; i + 4 <= end; i += 4) {
		const uint8_t *brand = b + i;

		if (i == 12)
			continue; /* minor version */
		if (!memcmp(brand, "avif", 4) || !memcmp(brand, "avis", 4))
			return found(WM__IMG_UNHANDLED, "AVIF");
		if (!memcmp(brand, "heic", 4) || !memcmp(brand, "heix", 4) ||
		    !memcmp(brand, "heim", 4) || !memcmp(brand, "heis", 4))
			return found(WM__IMG_UNHANDLED, "HEIC");
		if (!memcmp(brand, "crx ", 4))
			return found(WM__IMG_UNHANDLED, "Canon CR3 raw");
	}
	if (!memcmp(b + 8, "mif1", 4) || !memcmp(b + 8, "msf1", 4))
		return found(WM__IMG_UNHANDLED, "HEIF");
	return found(WM__IMG_VIDEO, "MP4/MOV");
}

static wm__sniff sniff_riff(const uint8_t *b, size_t n)
{
	if (!memcmp(b + 8, "AVI ", 4))
		return found(WM__IMG_VIDEO, "AVI");
	if (memcmp(b + 8, "WEBP", 4))
		return found(WM__IMG_UNKNOWN, "RIFF");
	/* VP8X flags: bit 1 is the animation flag. */
	if (n >= 21 && !memcmp(b + 12, "VP8X", 4) && (b[20] & 0x02))
		return found(WM__IMG_UNHANDLED, "animated WebP");
	return found(WM__IMG_WEBP, "WebP");
}

static bool read_at(FILE *fp, long off, uint8_t *buf, size_t n)
{
	return fseek(fp, off, SEEK_SET) == 0 && fread(buf, 1, n, fp) == n;
}

static wm__sniff jpeg_process(unsigned sof, unsigned precision)
{
	if (sof == 0xc3 || sof == 0xcb)
		return found(WM__IMG_UNHANDLED, "lossless JPEG");
	if ((sof >= 0xc5 && sof <= 0xc7) || sof >= 0xcd)
		return found(WM__IMG_UNHANDLED, "hierarchical JPEG");
	if (precision == 12)
		return found(WM__IMG_UNHANDLED, "12-bit JPEG");
	if (precision != 8)
		return found(WM__IMG_UNHANDLED, "JPEG of unusual precision");
	return found(WM__IMG_JPEG, "JPEG");
}

/* Walks the JPEG segments up to the frame header to name the coding
 * process, which libjpeg-turbo 2.1 only reports as a bare code. A file
 * that ends before it is left to the decoder, which names the damage. */
static wm__sniff sniff_jpeg(FILE *fp)
{
	uint8_t h[6];
	long off = 2;
	int guard;

	for (guard = 0; guard < 4096; guard++) {
		unsigned marker, len;

		if (!read_at(fp, off, h, 4) || h[0] != 0xff)
			break;
		marker = h[1];
		if (marker == 0xff) {
			off++;
			continue;
		}
		len = (unsigned)h[2] << 8 | h[3];
		if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 &&
		    marker != 0xc8 && marker != 0xcc) {
			if (!read_at(fp, off + 4, h, 1))
				break;
			return jpeg_process(marker, h[0]);
		}
		if (marker == 0xda || len < 2)
			break;
		off += 2 + (long)len;
	}
	return found(WM__IMG_JPEG, "JPEG");
}

static bool is_line_byte(uint8_t c)
{
	return c == '\r' || c == '\n' || c == 0x1a;
}

/*
 * Whether the PNG signature differs from the real one only in its CR, LF
 * and Ctrl-Z bytes, which is what a text-mode transfer changes (CR LF to
 * LF or back, CR to LF, Ctrl-Z dropped or ending the file): the bytes
 * after "\x89PNG" up to the IHDR length (which starts with 0) must all be
 * such bytes, with at least one line ending and at most one Ctrl-Z.
 */
static bool png_line_endings_changed(const uint8_t *b, size_t n)
{
	size_t i, crlf = 0, sub = 0;

	if (memcmp(b, "\x89PNG", 4) != 0)
		return false;
	for (i = 4; i < n && i < 16 && is_line_byte(b[i]); i++) {
		if (b[i] == 0x1a)
			sub++;
		else
			crlf++;
	}
	return crlf > 0 && sub <= 1 && (i == n || b[i] == 0);
}

static wm__sniff sniff_bytes(const uint8_t *b, size_t n)
{
	static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
	static const uint8_t ebml[4] = {0x1a, 0x45, 0xdf, 0xa3};
	static const uint8_t jxl[12] = {0, 0, 0, 12, 'J', 'X', 'L', ' '};

	if (n >= 8 && !memcmp(b, png, 8))
		return found(WM__IMG_PNG, "PNG");
	if (n >= 8 && png_line_endings_changed(b, n))
		return found(WM__IMG_DAMAGED,
			     "damaged PNG signature (a text-mode transfer "
			     "changed its line-ending bytes)");
	if (n >= 8 && (!memcmp(b + 1, "PNG", 3) || !memcmp(b + 4, png + 4, 4)))
		return found_with_bytes(WM__IMG_DAMAGED,
					"damaged PNG signature");
	if (n >= 12 && !memcmp(b, "RIFF", 4))
		return sniff_riff(b, n);
	if (n >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6)))
		return found(WM__IMG_UNHANDLED, "GIF");
	if (n >= 4 && (!memcmp(b, "II*\0", 4) || !memcmp(b, "MM\0*", 4)))
		return found(WM__IMG_UNHANDLED, "TIFF");
	if (n >= 16 && !memcmp(b + 4, "ftyp", 4))
		return sniff_ftyp(b, n);
	if (n >= 4 && !memcmp(b, ebml, 4))
		return found(WM__IMG_VIDEO, "Matroska/WebM");
	if (n >= 12 && (!memcmp(b, jxl, 8) || (b[0] == 0xff && b[1] == 0x0a)))
		return found(WM__IMG_UNHANDLED, "JPEG XL");
	if (n >= 2 && b[0] == 'B' && b[1] == 'M')
		return found(WM__IMG_UNHANDLED, "BMP");
	if (n >= 189 && b[0] == 0x47 && b[188] == 0x47)
		return found(WM__IMG_VIDEO, "MPEG-TS");
	return found(WM__IMG_UNKNOWN, "unknown");
}

wm__sniff wm__image_sniff(FILE *fp)
{
	uint8_t b[256];
	size_t n;
	wm__sniff s;

	rewind(fp);
	n = fread(b, 1, sizeof(b), fp);
	if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		s = sniff_jpeg(fp);
	else
		s = sniff_bytes(b, n);
	rewind(fp);
	return s;
}
