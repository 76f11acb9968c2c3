/*
 * QR codes with libqrencode: black modules on white, whole pixels a module,
 * with the four-module quiet zone the standard asks for, so that phone
 * cameras and zbar read them.
 */
#include <string.h>

#include <qrencode.h>

#include "mark_internal.h"

static wm_status encode(const char *text, int level, QRcode **out)
{
	static const QRecLevel levels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M,
					   QR_ECLEVEL_Q, QR_ECLEVEL_H};

	if (level < 0 || level > 3)
		level = WM__QR_M;
	*out = QRcode_encodeString8bit(text, 0, levels[level]);
	if (!*out)
		return wm__error(WM_ERR_TOO_LARGE,
				 "qr: cannot encode %zu bytes at this "
				 "error-correction level",
				 strlen(text));
	return WM_OK;
}

wm_status wm__qr_modules(const char *text, int level, int *modules)
{
	QRcode *qr;
	wm_status s = encode(text, level, &qr);

	if (s != WM_OK)
		return s;
	*modules = qr->width;
	QRcode_free(qr);
	return WM_OK;
}

static void fill_module(wm__raster *r, int x, int y, int size)
{
	for (int j = 0; j < size; j++)
		memset(r->pixels + (y + j) * r->stride + x * 4, 0,
		       (size_t)size * 4);
}

wm_status wm__qr_render(const char *text, int level, int module,
			wm__raster *out)
{
	QRcode *qr;
	int side;
	wm_status s = encode(text, level, &qr);

	if (s != WM_OK)
		return s;
	side = (qr->width + 2 * WM__QR_QUIET) * module;
	s = wm__canvas_new(side, side, out);
	if (s != WM_OK) {
		QRcode_free(qr);
		return s;
	}
	memset(out->pixels, 255, (size_t)out->stride * (size_t)side);
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				fill_module(out, (x + WM__QR_QUIET) * module,
					    (y + WM__QR_QUIET) * module,
					    module);
	/* Opaque black is (0, 0, 0, 255) premultiplied. */
	for (int j = 0; j < side; j++)
		for (int i = 0; i < side; i++)
			out->pixels[j * out->stride + i * 4 + 3] = 255;
	QRcode_free(qr);
	return WM_OK;
}
