/* Pixel layout descriptions shared by the frame layer's sources. */
#ifndef WM_CORE_FORMAT_H
#define WM_CORE_FORMAT_H

#include "core.h"

/*
 * One pixel layout. Plane sample letters: R G B (colour), A (alpha),
 * X (padding), L (grey), Y U V (luma, chroma).
 */
typedef struct wm__format_desc {
	wm_pixel_format format;
	const char *name;
	int planes;
	int depth; /* significant bits of a sample */
	int bytes; /* bytes of a sample: 1 or 2 */
	int shift; /* left shift of the value in its sample (P010: 6) */
	int sub_x; /* log2 horizontal subsampling of planes 1 and 2 */
	int sub_y; /* log2 vertical subsampling of planes 1 and 2 */
	const char *layout[3];
} wm__format_desc;

/* The description of a layout, or NULL if the value is not one. */
const wm__format_desc *wm__format_desc_of(wm_pixel_format f);

/* Samples a pixel of plane p holds (length of its layout string). */
int wm__plane_comps(const wm__format_desc *d, int p);

/* Checks a target's struct size, layout, colour space and dimensions but
 * not its planes (layers are prepared from templates without pixels). */
wm_status wm__frame_check_format(const wm_frame *f);

/*
 * Conversion of the mark's straight sRGB colours into a target's sample
 * values: R G B for RGB layouts, L for grey, Y U V for YUV, each scaled to
 * the layout's depth (not shifted).
 */
typedef struct wm__color_conv {
	int kind;      /* 0 RGB, 1 grey, 2 YUV */
	int maxv;      /* 255, 1023 or 65535 */
	bool full;     /* YUV full range */
	double kr, kb; /* matrix coefficients (grey uses BT.709) */
	wm_transfer transfer;
	bool to_bt2020; /* convert primaries from BT.709 to BT.2020 */
	double hlg_scale;
	double linear[256];
} wm__color_conv;

void wm__color_conv_init(wm__color_conv *cv, const wm_frame *target);

/* Non-linear target R'G'B' (0..1) of a straight 8-bit sRGB colour. */
void wm__color_nonlinear(const wm__color_conv *cv, const uint8_t rgb[3],
			 double out[3]);

/* Sample values (R G B, L, or Y U V) of non-linear R'G'B'. */
void wm__color_quantize(const wm__color_conv *cv, const double rgb[3],
			uint32_t out[3]);

/* The frame's transfer function (SDR when the caller's struct is older). */
wm_transfer wm__frame_transfer(const wm_frame *f);

#endif /* WM_CORE_FORMAT_H */
