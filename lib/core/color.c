/*
 * Colour conversion of the mark into a frame's colour space: matrix and
 * range for YUV, depth scaling, and reference white on PQ and HLG frames.
 */
#include <math.h>

#include "format.h"

/* Linear BT.709 primaries to linear BT.2020 primaries (ITU-R BT.2087). */
static const double bt709_to_2020[3][3] = {
    {0.627404, 0.329283, 0.043313},
    {0.069097, 0.919541, 0.011362},
    {0.016391, 0.088013, 0.895595},
};

/* HLG OETF constants (ITU-R BT.2100). */
#define HLG_A 0.17883277
#define HLG_B 0.28466892
#define HLG_C 0.55991073

/* Reference white on PQ and HLG frames, ITU-R BT.2408. */
#define REF_WHITE_NITS 203.0
#define HLG_REF_WHITE_SIGNAL 0.75

static double srgb_to_linear(double v)
{
	return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double pq_oetf(double nits)
{
	const double m1 = 0.1593017578125, m2 = 78.84375;
	const double c1 = 0.8359375, c2 = 18.8515625, c3 = 18.6875;
	double l = pow(nits / 10000.0, m1);

	return pow((c1 + c2 * l) / (1 + c3 * l), m2);
}

static double hlg_oetf(double e)
{
	if (e <= 1.0 / 12)
		return sqrt(3 * e);
	return HLG_A * log(12 * e - HLG_B) + HLG_C;
}

static void set_matrix(wm__color_conv *cv, wm_matrix m)
{
	switch (m) {
	case WM_MATRIX_BT601:
		cv->kr = 0.299;
		cv->kb = 0.114;
		break;
	case WM_MATRIX_BT2020:
		cv->kr = 0.2627;
		cv->kb = 0.0593;
		break;
	default:
		cv->kr = 0.2126;
		cv->kb = 0.0722;
		break;
	}
}

void wm__color_conv_init(wm__color_conv *cv, const wm_frame *target)
{
	const wm__format_desc *d = wm__format_desc_of(target->format);
	wm_matrix m = wm__frame_matrix(target);

	cv->kind = wm__format_is_yuv(target->format)	? 2
		   : wm__format_is_gray(target->format) ? 1
							: 0;
	cv->maxv = (1 << d->depth) - 1;
	cv->full = target->range == WM_RANGE_FULL;
	set_matrix(cv, cv->kind == 2 ? m : WM_MATRIX_BT709);
	cv->transfer = wm__frame_transfer(target);
	cv->to_bt2020 = cv->kind == 2 && m == WM_MATRIX_BT2020 &&
			cv->transfer != WM_TRANSFER_SDR;
	/* Scene light that HLG's OETF maps to the reference white signal. */
	cv->hlg_scale =
	    (exp((HLG_REF_WHITE_SIGNAL - HLG_C) / HLG_A) + HLG_B) / 12;
	for (int i = 0; i < 256; i++)
		cv->linear[i] = srgb_to_linear(i / 255.0);
}

void wm__color_nonlinear(const wm__color_conv *cv, const uint8_t rgb[3],
			 double out[3])
{
	double lin[3];

	if (cv->transfer == WM_TRANSFER_SDR) {
		for (int k = 0; k < 3; k++)
			out[k] = rgb[k] / 255.0;
		return;
	}

	for (int k = 0; k < 3; k++)
		lin[k] = cv->linear[rgb[k]];
	for (int k = 0; k < 3; k++) {
		double v = lin[k];

		if (cv->to_bt2020)
			v = bt709_to_2020[k][0] * lin[0] +
			    bt709_to_2020[k][1] * lin[1] +
			    bt709_to_2020[k][2] * lin[2];
		if (cv->transfer == WM_TRANSFER_PQ)
			out[k] = pq_oetf(v * REF_WHITE_NITS);
		else
			out[k] = hlg_oetf(v * cv->hlg_scale);
	}
}

/* floor(v + 0.5) clamped to 0..maxv; the conversion to an integer is a
 * floor there (no libm call: a layer converts many colours). */
static uint32_t quant(double v, int maxv)
{
	double t = v + 0.5;

	if (!(t >= 0))
		return 0;
	return t >= maxv ? (uint32_t)maxv : (uint32_t)t;
}

void wm__color_quantize(const wm__color_conv *cv, const double rgb[3],
			uint32_t out[3])
{
	double kg = 1 - cv->kr - cv->kb;
	double y = cv->kr * rgb[0] + kg * rgb[1] + cv->kb * rgb[2];
	double scale = (cv->maxv + 1) / 256.0;
	double cb, cr;

	if (cv->kind == 0) {
		for (int k = 0; k < 3; k++)
			out[k] = quant(rgb[k] * cv->maxv, cv->maxv);
		return;
	}
	if (cv->kind == 1) {
		out[0] = quant(y * cv->maxv, cv->maxv);
		return;
	}

	cb = (rgb[2] - y) / (2 * (1 - cv->kb));
	cr = (rgb[0] - y) / (2 * (1 - cv->kr));
	if (cv->full) {
		double mid = (cv->maxv + 1) / 2.0;

		out[0] = quant(y * cv->maxv, cv->maxv);
		out[1] = quant(mid + cb * cv->maxv, cv->maxv);
		out[2] = quant(mid + cr * cv->maxv, cv->maxv);
		return;
	}
	out[0] = quant((16 + 219 * y) * scale, cv->maxv);
	out[1] = quant((128 + 224 * cb) * scale, cv->maxv);
	out[2] = quant((128 + 224 * cr) * scale, cv->maxv);
}
