/*
 * The frame layer: pixel layouts, colour matrices and ranges, blending
 * kernels and CPU dispatch. It knows nothing of files, codecs or fonts.
 *
 * A mark reaches this layer as a wm__raster (premultiplied sRGB RGBA, 8 bits
 * a channel). wm__layer_new converts it once for one pixel layout and colour
 * space (YUV conversion with the frame's matrix and range, chroma alpha
 * averaged with correct rounding, 10/16-bit scaling) and records the spans
 * that are not fully transparent; wm__layer_apply then composites it in
 * place without allocating, from any number of threads at once.
 *
 * Arithmetic (the scalar kernels define the bytes; SIMD kernels match them
 * bit for bit). With the mark's straight colour c, its alpha a (0..255,
 * scaled by the `alpha` of wm__layer_apply as round(a * g / 255)) and a
 * frame sample d, every divide rounds to nearest:
 *   opaque samples and premultiplied alpha (every channel, alpha included,
 *   the mark's own alpha sample being the maximum):
 *       out = round((c * a + d * (255 - a)) / 255)
 *   straight alpha (a and a_dst as fractions of the maximum):
 *       a_out = a + a_dst * (1 - a)
 *       c_out = (c * a + c_dst * a_dst * (1 - a)) / a_out, 0 if a_out = 0
 * a = 0 leaves a sample as it is; a = 255 writes the mark's colour.
 * 10-bit and 16-bit samples blend the same way with 8-bit alpha (P010
 * blends its 10 high bits and writes its 6 low bits as 0, as the layout
 * requires, wherever the mark's runs pass). Padding bytes (RGBX, BGRX) are
 * never written.
 *
 * Colour: YUV samples come from the frame's matrix (AUTO resolved by the
 * template's height) and range; grey is BT.709 luma of the sRGB values. On
 * PQ and HLG frames the mark's white is the reference white of 203 cd/m2
 * (PQ code about 0.58, HLG about 0.75 of full scale) and, with the
 * BT.2020 matrix, BT.2020 primaries; SDR frames take the sRGB values as
 * they are, whatever their matrix. Chroma of subsampled layouts takes the
 * correctly rounded mean of the alphas its block covers (pixels outside
 * the raster count as transparent) and the alpha-weighted mean of their
 * colours, so luma edges land exactly where asked at odd x and y.
 */
#ifndef WM_CORE_H
#define WM_CORE_H

#include "../util/util.h"

/* Premultiplied RGBA, 8 bits a channel, sRGB, rows `stride` bytes apart. */
typedef struct wm__raster {
	int width;
	int height;
	ptrdiff_t stride;
	uint8_t *pixels;
} wm__raster;

/* A transparent raster (pixels zeroed, stride width * 4); each side must
 * be 1..65536 (WM_ERR_TOO_LARGE otherwise). */
wm_status wm__raster_new(int width, int height, wm__raster **out);
void wm__raster_free(wm__raster *r);

/* Validates a caller's frame: size field, format, enums, dimensions,
 * planes and strides present for the layout (|stride| at least a row,
 * 16-bit planes and strides even). Sets a message naming the problem and
 * returns WM_ERR_INVALID_ARGUMENT or WM_ERR_UNSUPPORTED; WM_OK if fine. */
wm_status wm__frame_check(const wm_frame *f);

/* The matrix actually used for a frame (resolves WM_MATRIX_AUTO). */
wm_matrix wm__frame_matrix(const wm_frame *f);

/* Whether the layout is YUV / has an alpha channel / is greyscale. */
bool wm__format_is_yuv(wm_pixel_format f);
bool wm__format_has_alpha(wm_pixel_format f);
bool wm__format_is_gray(wm_pixel_format f);

typedef struct wm__layer wm__layer;

/*
 * Prepares `r` for frames like `target` (only format, matrix, range,
 * transfer, alpha mode and, for WM_MATRIX_AUTO, height are read; planes
 * may be NULL) with the raster's top-left corner at (x, y) of the full
 * picture; x and y may be negative or past the edge (the layer is clipped
 * when applied; |x|, |y| up to 2^28). The raster may be freed afterwards.
 * The layer records, per row, the runs that are not fully transparent, so
 * that applying it reads and writes only those.
 */
wm_status wm__layer_new(const wm__raster *r, const wm_frame *target, int x,
			int y, wm__layer **out);
void wm__layer_free(wm__layer *l);

/* Bounding box in picture coordinates of the pixels whose samples the
 * layer may change (for subsampled chroma, whole chroma blocks); w and h
 * are 0 when the raster is fully transparent. */
void wm__layer_bounds(const wm__layer *l, int *x, int *y, int *w, int *h);

/*
 * Composites the layer onto `f`, whose first row is row `band_y` of the full
 * picture (0 for a whole frame; even for layouts with vertically subsampled
 * chroma). `alpha` (0..255) scales the mark's opacity, 255 as prepared.
 * Never writes outside the frame. Allocates nothing. Does nothing if the
 * frame's layout differs from the template's. The frame is not checked:
 * callers pass frames that wm__frame_check accepted.
 *
 * Bands: for a JPEG decoded as raw planes, pass an I444/I422/I420 frame
 * whose planes point at the band's first row, height the band's rows
 * (chroma rows: ceil for the last band) and band_y its first picture row.
 */
void wm__layer_apply(const wm__layer *l, const wm_frame *f, int band_y,
		     unsigned alpha);

/* Name of the kernel set in use: "scalar", "sse2", "avx2" or "neon". */
const char *wm__cpu_backend(void);

#endif /* WM_CORE_H */
