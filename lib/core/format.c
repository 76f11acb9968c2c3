/* Pixel layouts and validation of the frames callers hand in. */
#include <string.h>

#include "format.h"

static const wm__format_desc formats[] = {
    {WM_PIX_RGBA, "RGBA", 1, 8, 1, 0, 0, 0, {"RGBA"}},
    {WM_PIX_BGRA, "BGRA", 1, 8, 1, 0, 0, 0, {"BGRA"}},
    {WM_PIX_ARGB, "ARGB", 1, 8, 1, 0, 0, 0, {"ARGB"}},
    {WM_PIX_ABGR, "ABGR", 1, 8, 1, 0, 0, 0, {"ABGR"}},
    {WM_PIX_RGBX, "RGBX", 1, 8, 1, 0, 0, 0, {"RGBX"}},
    {WM_PIX_BGRX, "BGRX", 1, 8, 1, 0, 0, 0, {"BGRX"}},
    {WM_PIX_RGB24, "RGB24", 1, 8, 1, 0, 0, 0, {"RGB"}},
    {WM_PIX_BGR24, "BGR24", 1, 8, 1, 0, 0, 0, {"BGR"}},
    {WM_PIX_GRAY8, "GRAY8", 1, 8, 1, 0, 0, 0, {"L"}},
    {WM_PIX_GRAYA8, "GRAYA8", 1, 8, 1, 0, 0, 0, {"LA"}},
    {WM_PIX_I420, "I420", 3, 8, 1, 0, 1, 1, {"Y", "U", "V"}},
    {WM_PIX_YV12, "YV12", 3, 8, 1, 0, 1, 1, {"Y", "V", "U"}},
    {WM_PIX_NV12, "NV12", 2, 8, 1, 0, 1, 1, {"Y", "UV"}},
    {WM_PIX_NV21, "NV21", 2, 8, 1, 0, 1, 1, {"Y", "VU"}},
    {WM_PIX_I422, "I422", 3, 8, 1, 0, 1, 0, {"Y", "U", "V"}},
    {WM_PIX_I444, "I444", 3, 8, 1, 0, 0, 0, {"Y", "U", "V"}},
    {WM_PIX_I420P10, "I420P10", 3, 10, 2, 0, 1, 1, {"Y", "U", "V"}},
    {WM_PIX_P010, "P010", 2, 10, 2, 6, 1, 1, {"Y", "UV"}},
    {WM_PIX_GRAY16, "GRAY16", 1, 16, 2, 0, 0, 0, {"L"}},
    {WM_PIX_RGB48, "RGB48", 1, 16, 2, 0, 0, 0, {"RGB"}},
    {WM_PIX_RGBA64, "RGBA64", 1, 16, 2, 0, 0, 0, {"RGBA"}},
    {WM_PIX_GRAYA16, "GRAYA16", 1, 16, 2, 0, 0, 0, {"LA"}},
};

/* Frames larger than this each way are refused: sizes and offsets then
 * always fit in int and ptrdiff_t arithmetic. */
#define WM__MAX_SIDE (1 << 20)

const wm__format_desc *wm__format_desc_of(wm_pixel_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].format == f)
			return &formats[i];
	}
	return NULL;
}

int wm__plane_comps(const wm__format_desc *d, int p)
{
	return (int)strlen(d->layout[p]);
}

bool wm__format_is_yuv(wm_pixel_format f)
{
	const wm__format_desc *d = wm__format_desc_of(f);

	return d && strchr(d->layout[0], 'Y') != NULL;
}

bool wm__format_has_alpha(wm_pixel_format f)
{
	const wm__format_desc *d = wm__format_desc_of(f);

	return d && strchr(d->layout[0], 'A') != NULL;
}

bool wm__format_is_gray(wm_pixel_format f)
{
	const wm__format_desc *d = wm__format_desc_of(f);

	return d && d->layout[0][0] == 'L';
}

wm_matrix wm__frame_matrix(const wm_frame *f)
{
	if (f->matrix != WM_MATRIX_AUTO)
		return f->matrix;
	return f->height < 720 ? WM_MATRIX_BT601 : WM_MATRIX_BT709;
}

wm_transfer wm__frame_transfer(const wm_frame *f)
{
	size_t end = offsetof(wm_frame, transfer) + sizeof(f->transfer);

	return f->size >= end ? f->transfer : WM_TRANSFER_SDR;
}

static wm_status check_enums(const wm_frame *f)
{
	if (f->matrix < WM_MATRIX_AUTO || f->matrix > WM_MATRIX_BT2020)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: unknown colour matrix %d",
				 (int)f->matrix);
	if (f->range != WM_RANGE_LIMITED && f->range != WM_RANGE_FULL)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: unknown range %d", (int)f->range);
	if (f->alpha != WM_ALPHA_STRAIGHT && f->alpha != WM_ALPHA_PREMULTIPLIED)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: unknown alpha mode %d", (int)f->alpha);
	if ((unsigned)wm__frame_transfer(f) > WM_TRANSFER_HLG)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: unknown transfer %d",
				 (int)wm__frame_transfer(f));
	return WM_OK;
}

/* Checks what a layer needs of a target: struct size, layout, colour
 * space and dimensions, but not the planes. */
wm_status wm__frame_check_format(const wm_frame *f)
{
	if (!f)
		return wm__error(WM_ERR_INVALID_ARGUMENT, "frame: NULL");
	if (f->size < offsetof(wm_frame, orientation))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: size field %zu is too small (set it "
				 "to sizeof(wm_frame))",
				 f->size);
	if (!wm__format_desc_of(f->format))
		return wm__error(WM_ERR_UNSUPPORTED,
				 "frame: unknown pixel format %d",
				 (int)f->format);
	if (f->width <= 0 || f->height <= 0 || f->width > WM__MAX_SIDE ||
	    f->height > WM__MAX_SIDE)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: bad size %dx%d (each side must be "
				 "1..%d)",
				 f->width, f->height, WM__MAX_SIDE);
	return check_enums(f);
}

static wm_status check_plane(const wm_frame *f, const wm__format_desc *d, int p)
{
	int sx = p ? d->sub_x : 0;
	int w = (f->width + (1 << sx) - 1) >> sx;
	ptrdiff_t row = (ptrdiff_t)w * wm__plane_comps(d, p) * d->bytes;
	ptrdiff_t s = f->strides[p];

	if (!f->planes[p])
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: %s plane %d is NULL", d->name, p);
	if ((s < 0 ? -s : s) < row)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: %s plane %d stride %td is shorter "
				 "than a row (%td bytes)",
				 d->name, p, s, row);
	if (d->bytes == 2 && (((uintptr_t)f->planes[p] | (uintptr_t)s) & 1))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "frame: %s plane %d or its stride is not "
				 "aligned to 16-bit samples",
				 d->name, p);
	return WM_OK;
}

wm_status wm__frame_check(const wm_frame *f)
{
	wm_status st = wm__frame_check_format(f);
	const wm__format_desc *d;

	if (st != WM_OK)
		return st;

	d = wm__format_desc_of(f->format);
	for (int p = 0; p < d->planes; p++) {
		st = check_plane(f, d, p);
		if (st != WM_OK)
			return st;
	}
	return WM_OK;
}
