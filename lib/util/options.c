/*
 * The one option table. Every mark option is declared here once; the typed
 * and generic setters, the CLI flags, the Python keywords and the README's
 * option reference all come from these rows.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define POSITIONS                                                              \
	"top-left|top|top-right|left|center|right|bottom-left|bottom|"         \
	"bottom-right"
#define FORMATS "auto|jpeg|png|webp|mp4|mov|mkv|webm"

/* clang-format off */
static const wm__option_def wm__table[] = {
	{WM_OPT_TEXT, "text", WM_TYPE_STRING, 0, 0, "AI-generated",
	 "disclosure text (UTF-8; \\n starts a new line, a doubled backslash is one)",
	 NULL, "text"},
	{WM_OPT_FONT, "font", WM_TYPE_STRING, 0, 0, "",
	 "font file or fontconfig name; empty uses the embedded DejaVu Sans Bold",
	 NULL, "text"},
	{WM_OPT_SIZE, "size", WM_TYPE_LENGTH, 1, 100000, "4%",
	 "text height in pixels, or percent of the frame's shorter side",
	 NULL, "text"},
	{WM_OPT_COLOR, "color", WM_TYPE_COLOR, 0, 0, "#ffffff",
	 "text colour: #rrggbb, #rrggbbaa or a CSS colour name",
	 NULL, "text"},
	{WM_OPT_OPACITY, "opacity", WM_TYPE_DOUBLE, 0, 1, "1",
	 "opacity of the whole mark, 0 (invisible) to 1", NULL, "style"},
	{WM_OPT_OUTLINE_COLOR, "outline-color", WM_TYPE_COLOR, 0, 0, "#000000b3",
	 "colour of the outline drawn around the text", NULL, "style"},
	{WM_OPT_OUTLINE_WIDTH, "outline-width", WM_TYPE_DOUBLE, 0, 0.5, "0.08",
	 "outline width as a fraction of the text size (0 for none)",
	 NULL, "style"},
	{WM_OPT_SHADOW_COLOR, "shadow-color", WM_TYPE_COLOR, 0, 0, "#00000000",
	 "drop shadow colour (fully transparent for no shadow)", NULL, "style"},
	{WM_OPT_SHADOW_OFFSET, "shadow-offset", WM_TYPE_DOUBLE, 0, 1, "0.06",
	 "drop shadow offset down and right, as a fraction of the text size",
	 NULL, "style"},
	{WM_OPT_BOX, "box", WM_TYPE_BOOL, 0, 1, "false",
	 "draw a rounded background box behind the mark", NULL, "style"},
	{WM_OPT_BOX_COLOR, "box-color", WM_TYPE_COLOR, 0, 0, "#00000099",
	 "background box colour", NULL, "style"},
	{WM_OPT_BOX_PADDING, "box-padding", WM_TYPE_DOUBLE, 0, 4, "0.3",
	 "padding inside the box, as a fraction of the text size",
	 NULL, "style"},
	{WM_OPT_BOX_RADIUS, "box-radius", WM_TYPE_DOUBLE, 0, 4, "0.25",
	 "corner radius of the box, as a fraction of the text size",
	 NULL, "style"},
	{WM_OPT_ALIGN, "align", WM_TYPE_ENUM, 0, 0, "auto",
	 "alignment of several lines; auto follows the position",
	 "auto|left|center|right", "text"},
	{WM_OPT_LINE_SPACING, "line-spacing", WM_TYPE_DOUBLE, 0.5, 4, "1.2",
	 "distance between baselines as a multiple of the text size",
	 NULL, "text"},
	{WM_OPT_MAX_WIDTH, "max-width", WM_TYPE_LENGTH, 0, 100000, "0",
	 "wrap text to this width (pixels or percent); 0 wraps only to fit",
	 NULL, "text"},
	{WM_OPT_POSITION, "position", WM_TYPE_ENUM, 0, 0, "bottom-right",
	 "where the mark goes in the picture as displayed", POSITIONS,
	 "layout"},
	{WM_OPT_MARGIN, "margin", WM_TYPE_LENGTH, 0, 100000, "2%",
	 "distance from the picture's edges, pixels or percent", NULL,
	 "layout"},
	{WM_OPT_OFFSET_X, "offset-x", WM_TYPE_LENGTH, -100000, 100000, "0",
	 "extra shift to the right (negative: left), pixels or percent", NULL,
	 "layout"},
	{WM_OPT_OFFSET_Y, "offset-y", WM_TYPE_LENGTH, -100000, 100000, "0",
	 "extra shift down (negative: up), pixels or percent", NULL, "layout"},
	{WM_OPT_X, "x", WM_TYPE_LENGTH, -1, 100000, "-1",
	 "absolute left edge of the mark (-1: use position and margin)", NULL,
	 "layout"},
	{WM_OPT_Y, "y", WM_TYPE_LENGTH, -1, 100000, "-1",
	 "absolute top edge of the mark (-1: use position and margin)", NULL,
	 "layout"},
	{WM_OPT_LOGO, "logo", WM_TYPE_STRING, 0, 0, "",
	 "logo image file (PNG, JPEG or WebP) drawn with or instead of the text",
	 NULL, "logo"},
	{WM_OPT_SCALE, "scale", WM_TYPE_DOUBLE, 0, 1, "0",
	 "logo width as a fraction of the frame's width (0: its own size)",
	 NULL, "logo"},
	{WM_OPT_LOGO_PLACEMENT, "logo-placement", WM_TYPE_ENUM, 0, 0, "left",
	 "where the logo goes relative to the text", "left|right|above|below",
	 "logo"},
	{WM_OPT_QR, "qr", WM_TYPE_STRING, 0, 0, "",
	 "URL or provenance string encoded as a QR code beside the text",
	 NULL, "qr"},
	{WM_OPT_QR_LEVEL, "qr-level", WM_TYPE_ENUM, 0, 0, "M",
	 "QR error-correction level", "L|M|Q|H", "qr"},
	{WM_OPT_QR_MODULE, "qr-module", WM_TYPE_INT, 0, 64, "0",
	 "QR module size in pixels (0: automatic; never below 2)", NULL, "qr"},
	{WM_OPT_TILE, "tile", WM_TYPE_BOOL, 0, 1, "false",
	 "repeat the mark across the whole picture", NULL, "layout"},
	{WM_OPT_TILE_SPACING, "tile-spacing", WM_TYPE_LENGTH, 0, 100000, "8%",
	 "gap between tiled marks, pixels or percent", NULL, "layout"},
	{WM_OPT_ANGLE, "angle", WM_TYPE_DOUBLE, -360, 360, "0",
	 "rotation of the mark in degrees, counter-clockwise", NULL, "layout"},
	{WM_OPT_START, "start", WM_TYPE_DOUBLE, 0, 1e9, "0",
	 "video: time in seconds when the mark appears", NULL, "time"},
	{WM_OPT_END, "end", WM_TYPE_DOUBLE, -1, 1e9, "-1",
	 "video: time in seconds when the mark goes (-1: the end)", NULL,
	 "time"},
	{WM_OPT_FADE_IN, "fade-in", WM_TYPE_DOUBLE, 0, 1e6, "0",
	 "video: seconds over which the mark fades in", NULL, "time"},
	{WM_OPT_FADE_OUT, "fade-out", WM_TYPE_DOUBLE, 0, 1e6, "0",
	 "video: seconds over which the mark fades out", NULL, "time"},
	{WM_OPT_METADATA, "metadata", WM_TYPE_BOOL, 0, 1, "true",
	 "also write the machine-readable disclosure into the file's metadata",
	 NULL, "output"},
	{WM_OPT_SOURCE_TYPE, "source-type", WM_TYPE_STRING, 0, 0,
	 "trainedAlgorithmicMedia",
	 "IPTC digital source type written into the metadata", NULL, "output"},
	{WM_OPT_DISCLOSURE, "disclosure", WM_TYPE_STRING, 0, 0, "",
	 "disclosure sentence for metadata and text (empty: the text option)",
	 NULL, "output"},
	{WM_OPT_QUALITY, "quality", WM_TYPE_INT, 0, 100, "0",
	 "JPEG/WebP quality 1-100 (0: keep the input's JPEG tables; WebP 90)",
	 NULL, "output"},
	{WM_OPT_FORMAT, "format", WM_TYPE_ENUM, 0, 0, "auto",
	 "output format (auto: from the output name, else the input's)",
	 FORMATS, "output"},
	{WM_OPT_MAX_PIXELS, "max-pixels", WM_TYPE_INT, 1, 4.0e12, "268435456",
	 "refuse images with more pixels than this (decompression bombs)",
	 NULL, "output"},
	{WM_OPT_ENCODER, "encoder", WM_TYPE_STRING, 0, 0, "",
	 "video encoder name, e.g. libx264 (empty: the input's codec family)",
	 NULL, "video"},
	{WM_OPT_CRF, "crf", WM_TYPE_INT, -1, 63, "-1",
	 "video quality as a CRF (-1: the encoder's sensible default)", NULL,
	 "video"},
	{WM_OPT_PRESET, "encoder-preset", WM_TYPE_STRING, 0, 0, "",
	 "video encoder preset, e.g. veryfast (empty: a fast default)", NULL,
	 "video"},
	{WM_OPT_ENCODER_PARAMS, "encoder-params", WM_TYPE_STRING, 0, 0, "",
	 "extra encoder options as key=value:key=value", NULL, "video"},
	{WM_OPT_TEXT_FORMAT, "text-format", WM_TYPE_ENUM, 0, 0, "plain",
	 "format of chat text disclosures", "plain|markdown|html", "chat"},
	{WM_OPT_TEXT_PLACEMENT, "text-placement", WM_TYPE_ENUM, 0, 0, "append",
	 "put the text disclosure after or before the message",
	 "append|prepend", "chat"},
	{WM_OPT_THREADS, "threads", WM_TYPE_INT, 0, 256, "0",
	 "codec threads per job (0: automatic)", NULL, "output"},
};
/* clang-format on */

#define WM__TABLE_SIZE ((int)(sizeof(wm__table) / sizeof(wm__table[0])))

int wm_option_count(void)
{
	return WM__TABLE_SIZE;
}

wm_status wm_option_describe(int index, wm_option_info *info)
{
	const wm__option_def *d;

	if (index < 0 || index >= WM__TABLE_SIZE)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "option index %d out of range 0..%d", index,
				 WM__TABLE_SIZE - 1);
	if (!info || info->size < offsetof(wm_option_info, group))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_option_describe: info.size not set");
	d = &wm__table[index];
	info->id = d->id;
	info->name = d->name;
	info->type = d->type;
	info->min = d->min;
	info->max = d->max;
	info->default_value = d->def;
	info->help = d->help;
	info->choices = d->choices;
	if (info->size >= sizeof(wm_option_info))
		info->group = d->group;
	return WM_OK;
}

/*
 * Lookups: the table is in ABI order, so two indexes are built once, on
 * first use: one by id, one sorted by name for a binary search. Setting or
 * reading an option by name costs a few comparisons, not a scan of the
 * whole table.
 */
static const wm__option_def *by_id[WM__OPT_MAX + 1];
static const wm__option_def *by_name[WM__TABLE_SIZE];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int cmp_def_names(const void *a, const void *b)
{
	const wm__option_def *x = *(const wm__option_def *const *)a;
	const wm__option_def *y = *(const wm__option_def *const *)b;

	return strcmp(x->name, y->name);
}

static void build_index(void)
{
	for (int i = 0; i < WM__TABLE_SIZE; i++) {
		by_id[wm__table[i].id] = &wm__table[i];
		by_name[i] = &wm__table[i];
	}
	qsort(by_name, WM__TABLE_SIZE, sizeof(by_name[0]), cmp_def_names);
}

const wm__option_def *wm__option_def_by_id(wm_option id)
{
	if ((int)id < 0 || (int)id > WM__OPT_MAX)
		return NULL;
	pthread_once(&index_once, build_index);
	return by_id[id];
}

/* Compares a table name with the first `n` bytes of `s`, reading '_' in
 * `s` as '-', in strcmp's order. */
static int name_cmp(const char *table_name, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char t = (unsigned char)table_name[i];
		unsigned char c = (unsigned char)(s[i] == '_' ? '-' : s[i]);

		if (t != c)
			return t < c ? -1 : 1;
	}
	return table_name[n] != '\0';
}

static const wm__option_def *def_by_name_n(const char *name, size_t n)
{
	int lo = 0, hi = WM__TABLE_SIZE - 1;

	pthread_once(&index_once, build_index);
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = name_cmp(by_name[mid]->name, name, n);

		if (c == 0)
			return by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

const wm__option_def *wm__option_def_by_name(const char *name)
{
	return def_by_name_n(name, strlen(name));
}

wm_status wm_option_find(const char *name, wm_option *id)
{
	const wm__option_def *d;

	if (!name || !id)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_option_find: NULL argument");
	d = wm__option_def_by_name(name);
	if (!d)
		return wm__error(WM_ERR_UNKNOWN_OPTION, "unknown option '%s'",
				 name);
	*id = d->id;
	return WM_OK;
}

/* ---- value parsing ------------------------------------------------------ */

/* Returns the index of `s` among '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *s)
{
	size_t n = strlen(s);
	int index = 0;
	const char *p = choices;

	while (*p) {
		const char *end = strchr(p, '|');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncasecmp(p, s, n) == 0)
			return index;
		if (!end)
			break;
		p = end + 1;
		index++;
	}
	return -1;
}

/* Writes choice number `index` into buf. */
static void choice_name(const char *choices, int64_t index, char *buf,
			size_t buf_size)
{
	const char *p = choices;

	for (int64_t i = 0; i < index && p; i++) {
		p = strchr(p, '|');
		if (p)
			p++;
	}
	if (!p) {
		snprintf(buf, buf_size, "%lld", (long long)index);
		return;
	}
	snprintf(buf, buf_size, "%.*s",
		 (int)(strchr(p, '|') ? strchr(p, '|') - p : (long)strlen(p)),
		 p);
}

/*
 * Option values are read and written with a '.' decimal point whatever
 * LC_NUMERIC the program set: values in files and scripts must mean the same
 * everywhere. The "C" numeric locale is created once and made current only
 * around the conversions, for the calling thread alone (uselocale). If it
 * cannot be created the conversions use the current locale.
 */
static locale_t numeric_c;
static pthread_once_t numeric_c_once = PTHREAD_ONCE_INIT;

static void make_numeric_c(void)
{
	numeric_c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t enter_numeric_c(void)
{
	pthread_once(&numeric_c_once, make_numeric_c);
	return numeric_c ? uselocale(numeric_c) : (locale_t)0;
}

static void leave_numeric_c(locale_t old)
{
	if (old)
		uselocale(old);
}

/* The shortest of %.15g and %.17g that reads back as the same double. */
static void format_double(double v, const char *suffix, char *buf, size_t n)
{
	locale_t old = enter_numeric_c();
	char tmp[40];

	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	leave_numeric_c(old);
	snprintf(buf, n, "%s%s", tmp, suffix);
}

/*
 * Values closer to 0 than the smallest normal double are stored as 0:
 * such a value would be written back in decimal as a number that strtod
 * reports as an underflow, so it could not be set again from what it reads
 * as, and no option means anything at that scale.
 */
static double flush_tiny(double v)
{
	return fabs(v) < DBL_MIN ? 0.0 : v;
}

static bool parse_double(const char *s, double *out)
{
	locale_t old;
	char *end;
	int err;

	errno = 0;
	old = enter_numeric_c();
	*out = strtod(s, &end);
	err = errno;
	leave_numeric_c(old);
	while (end != s && isspace((unsigned char)*end))
		end++;
	/* An underflow (ERANGE with a result closer to 0 than DBL_MIN) is
	 * taken as 0; an overflow is refused. */
	if (err == ERANGE && fabs(*out) < DBL_MIN)
		err = 0;
	*out = flush_tiny(*out);
	return end != s && *end == '\0' && err == 0 && isfinite(*out);
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return end != s && *end == '\0' && errno == 0;
}

wm_status wm__parse_length(const char *s, wm__length *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return WM_ERR_BAD_VALUE;
	memcpy(buf, s, n + 1);
	out->unit = WM_UNIT_PX;
	if (buf[n - 1] == '%') {
		out->unit = WM_UNIT_PERCENT;
		buf[--n] = '\0';
	} else if (n > 2 && strcasecmp(buf + n - 2, "px") == 0) {
		buf[n - 2] = '\0';
	}
	return parse_double(buf, &out->value) ? WM_OK : WM_ERR_BAD_VALUE;
}

typedef struct wm__named_color {
	const char *name;
	uint32_t rgb;
} wm__named_color;

/* The CSS basic and common extended colour keywords. */
static const wm__named_color wm__colors[] = {
	{"black", 0x000000},   {"white", 0xffffff},   {"red", 0xff0000},
	{"lime", 0x00ff00},    {"green", 0x008000},   {"blue", 0x0000ff},
	{"yellow", 0xffff00},  {"cyan", 0x00ffff},    {"aqua", 0x00ffff},
	{"magenta", 0xff00ff}, {"fuchsia", 0xff00ff}, {"silver", 0xc0c0c0},
	{"gray", 0x808080},    {"grey", 0x808080},    {"maroon", 0x800000},
	{"olive", 0x808000},   {"purple", 0x800080},  {"teal", 0x008080},
	{"navy", 0x000080},    {"orange", 0xffa500},  {"pink", 0xffc0cb},
	{"gold", 0xffd700},    {"brown", 0xa52a2a},   {"darkgray", 0xa9a9a9},
	{"darkgrey", 0xa9a9a9}, {"lightgray", 0xd3d3d3},
	{"lightgrey", 0xd3d3d3}, {"dimgray", 0x696969}, {"dimgrey", 0x696969},
	{"whitesmoke", 0xf5f5f5}, {"crimson", 0xdc143c},
	{"tomato", 0xff6347},  {"coral", 0xff7f50},   {"indigo", 0x4b0082},
	{"violet", 0xee82ee},  {"skyblue", 0x87ceeb}, {"steelblue", 0x4682b4},
	{"royalblue", 0x4169e1}, {"darkblue", 0x00008b},
	{"darkred", 0x8b0000}, {"darkgreen", 0x006400},
	{"orangered", 0xff4500}, {"deepskyblue", 0x00bfff},
	{"dodgerblue", 0x1e90ff}, {"limegreen", 0x32cd32},
	{"forestgreen", 0x228b22}, {"slategray", 0x708090},
	{"slategrey", 0x708090}, {"beige", 0xf5f5dc}, {"ivory", 0xfffff0},
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static wm_status parse_hex_color(const char *h, uint32_t *rgba)
{
	size_t n = strlen(h);
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		if (hex_digit(h[i]) < 0)
			return WM_ERR_BAD_VALUE;
	if (n == 3 || n == 4) {
		for (size_t i = 0; i < n; i++)
			v = (v << 8) | (uint32_t)(hex_digit(h[i]) * 17);
		*rgba = n == 3 ? (v << 8) | 0xff : v;
		return WM_OK;
	}
	if (n == 6 || n == 8) {
		for (size_t i = 0; i < n; i++)
			v = (v << 4) | (uint32_t)hex_digit(h[i]);
		*rgba = n == 6 ? (v << 8) | 0xff : v;
		return WM_OK;
	}
	return WM_ERR_BAD_VALUE;
}

wm_status wm__parse_color(const char *s, uint32_t *rgba)
{
	size_t count = sizeof(wm__colors) / sizeof(wm__colors[0]);

	if (s[0] == '#')
		return parse_hex_color(s + 1, rgba);
	if (strcasecmp(s, "transparent") == 0) {
		*rgba = 0;
		return WM_OK;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(s, wm__colors[i].name) == 0) {
			*rgba = (wm__colors[i].rgb << 8) | 0xff;
			return WM_OK;
		}
	}
	return WM_ERR_BAD_VALUE;
}

/* ---- storage ------------------------------------------------------------ */

static wm_status check_def(const wm__option_def *d, wm_option id,
			   wm_option_type want, const char *what)
{
	if (!d)
		return wm__error(WM_ERR_UNKNOWN_OPTION, "unknown option id %d",
				 (int)id);
	if (d->type == want)
		return WM_OK;
	if (want == WM_TYPE_INT &&
	    (d->type == WM_TYPE_BOOL || d->type == WM_TYPE_ENUM))
		return WM_OK;
	return wm__error(WM_ERR_BAD_VALUE,
			 "option '%s' does not take %s", d->name, what);
}

static wm_status range_error(const wm__option_def *d, double v)
{
	/* Whole numbers in full: %g would write 4e+12 for a pixel limit. */
	if (d->type == WM_TYPE_INT)
		return wm__error(WM_ERR_BAD_VALUE,
				 "option '%s': %.0f is outside %.0f..%.0f",
				 d->name, v, d->min, d->max);
	return wm__error(WM_ERR_BAD_VALUE,
			 "option '%s': %g is outside %g..%g", d->name, v,
			 d->min, d->max);
}

static int choice_count(const char *choices)
{
	int n = 1;

	for (const char *p = choices; *p; p++)
		n += *p == '|';
	return n;
}

wm_status wm__options_set_int(wm__options *o, wm_option id, int64_t v)
{
	const wm__option_def *d = wm__option_def_by_id(id);
	wm_status s = check_def(d, id, WM_TYPE_INT, "an integer");

	if (s != WM_OK)
		return s;
	if (d->type == WM_TYPE_BOOL && (v < 0 || v > 1))
		return range_error(d, (double)v);
	if (d->type == WM_TYPE_ENUM && (v < 0 || v >= choice_count(d->choices)))
		return wm__error(WM_ERR_BAD_VALUE,
				 "option '%s': expected one of %s", d->name,
				 d->choices);
	if (d->type == WM_TYPE_INT && (v < d->min || v > d->max))
		return range_error(d, (double)v);
	o->v[id].i = v;
	return WM_OK;
}

wm_status wm__options_set_double(wm__options *o, wm_option id, double v)
{
	const wm__option_def *d = wm__option_def_by_id(id);
	wm_status s;

	v = flush_tiny(v);
	if (d && d->type == WM_TYPE_LENGTH)
		return wm__options_set_length(o, id, v, WM_UNIT_PX);
	if (d && d->type == WM_TYPE_INT && v == floor(v))
		return wm__options_set_int(o, id, (int64_t)v);
	s = check_def(d, id, WM_TYPE_DOUBLE, "a number");
	if (s != WM_OK)
		return s;
	if (!isfinite(v) || v < d->min || v > d->max)
		return range_error(d, v);
	o->v[id].d = v;
	return WM_OK;
}

wm_status wm__options_set_color(wm__options *o, wm_option id, uint32_t v)
{
	const wm__option_def *d = wm__option_def_by_id(id);
	wm_status s = check_def(d, id, WM_TYPE_COLOR, "a colour");

	if (s != WM_OK)
		return s;
	o->v[id].color = v;
	return WM_OK;
}

/*
 * The pixel bounds of a length do not apply to a percentage, which is a
 * share of the picture's shorter side: the percent range follows from the
 * option's minimum. A positive minimum (a size) asks for more than 0%, a
 * minimum of 0 allows 0%, and a negative one (offsets, the -1 of "unset")
 * allows as far down as -100%.
 */
static wm_status check_percent(const wm__option_def *d, double v)
{
	double lo = d->min < -100 ? -100 : d->min > 0 ? 0 : d->min;

	if (isfinite(v) && v <= 100 && (d->min > 0 ? v > 0 : v >= lo))
		return WM_OK;
	if (d->min > 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "option '%s': %g%% is outside the allowed "
				 "range: above 0%% and at most 100%%",
				 d->name, v);
	return wm__error(WM_ERR_BAD_VALUE,
			 "option '%s': %g%% is outside %g..100%%", d->name, v,
			 lo);
}

wm_status wm__options_set_length(wm__options *o, wm_option id, double v,
				 wm_unit unit)
{
	const wm__option_def *d = wm__option_def_by_id(id);
	wm_status s = check_def(d, id, WM_TYPE_LENGTH, "a length");

	v = flush_tiny(v);
	if (s != WM_OK)
		return s;
	if (unit != WM_UNIT_PX && unit != WM_UNIT_PERCENT)
		return wm__error(WM_ERR_BAD_VALUE, "option '%s': bad unit %d",
				 d->name, (int)unit);
	if (unit == WM_UNIT_PERCENT)
		s = check_percent(d, v);
	else if (!isfinite(v) || v < d->min || v > d->max)
		s = wm__error(WM_ERR_BAD_VALUE,
			      "option '%s': %gpx is outside %g..%g px", d->name,
			      v, d->min, d->max);
	if (s != WM_OK)
		return s;
	o->v[id].len.value = v;
	o->v[id].len.unit = unit;
	return WM_OK;
}

static wm_status set_string_raw(wm__options *o, const wm__option_def *d,
				const char *v)
{
	char *copy;

	if (wm__utf8_invalid_at(v, strlen(v)) >= 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "option '%s': invalid UTF-8 at byte %td",
				 d->name, wm__utf8_invalid_at(v, strlen(v)));
	copy = wm__strdup(v);
	if (!copy)
		return wm__error(WM_ERR_NO_MEMORY, "option '%s': out of memory",
				 d->name);
	wm__free(o->v[d->id].s);
	o->v[d->id].s = copy;
	return WM_OK;
}

static bool parse_bool(const char *s, int64_t *out)
{
	static const char *yes[] = {"1", "true", "yes", "on"};
	static const char *no[] = {"0", "false", "no", "off"};

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return true;
		}
	}
	return false;
}

/* Parses `v` as the option's type and stores it. */
static wm_status set_from_string(wm__options *o, const wm__option_def *d,
				 const char *v)
{
	int64_t i;
	double x;
	uint32_t c;
	wm__length len;

	switch (d->type) {
	case WM_TYPE_STRING:
		return set_string_raw(o, d, v);
	case WM_TYPE_BOOL:
		if (!parse_bool(v, &i))
			break;
		return wm__options_set_int(o, d->id, i);
	case WM_TYPE_INT:
		if (!parse_int(v, &i))
			break;
		return wm__options_set_int(o, d->id, i);
	case WM_TYPE_DOUBLE:
		if (!parse_double(v, &x))
			break;
		return wm__options_set_double(o, d->id, x);
	case WM_TYPE_COLOR:
		if (wm__parse_color(v, &c) != WM_OK)
			break;
		return wm__options_set_color(o, d->id, c);
	case WM_TYPE_ENUM:
		if (choice_index(d->choices, v) < 0)
			break;
		return wm__options_set_int(o, d->id,
					   choice_index(d->choices, v));
	case WM_TYPE_LENGTH:
		if (wm__parse_length(v, &len) != WM_OK)
			break;
		return wm__options_set_length(o, d->id, len.value, len.unit);
	}
	return wm__error(WM_ERR_BAD_VALUE, "option '%s': bad value '%s' (%s)",
			 d->name, v,
			 d->type == WM_TYPE_BOOL     ? "expected true or false"
			 : d->type == WM_TYPE_INT    ? "expected an integer"
			 : d->type == WM_TYPE_DOUBLE ? "expected a number"
			 : d->type == WM_TYPE_COLOR
			     ? "expected #rrggbb, #rrggbbaa or a colour name"
			 : d->type == WM_TYPE_ENUM ? d->choices
						   : "expected 48, 48px or 5%");
}

wm_status wm__options_set_string(wm__options *o, wm_option id, const char *v)
{
	const wm__option_def *d = wm__option_def_by_id(id);

	if (!d)
		return wm__error(WM_ERR_UNKNOWN_OPTION, "unknown option id %d",
				 (int)id);
	if (!v)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "option '%s': NULL value", d->name);
	return set_from_string(o, d, v);
}

wm_status wm__options_set(wm__options *o, const char *name, const char *value)
{
	const wm__option_def *d;
	const char *eq;

	if (!name)
		return wm__error(WM_ERR_INVALID_ARGUMENT, "NULL option name");
	eq = value ? NULL : strchr(name, '=');
	if (!value && !eq)
		return wm__error(WM_ERR_BAD_VALUE,
				 "option '%s': no value (expected name=value)",
				 name);
	d = eq ? def_by_name_n(name, (size_t)(eq - name))
	       : wm__option_def_by_name(name);
	if (!d)
		return wm__error(WM_ERR_UNKNOWN_OPTION, "unknown option '%.*s'",
				 (int)(eq ? eq - name : (long)strlen(name)),
				 name);
	return set_from_string(o, d, eq ? eq + 1 : value);
}

static void format_value(const wm__options *o, const wm__option_def *d,
			 char *buf, size_t n)
{
	const wm__value *v = &o->v[d->id];

	switch (d->type) {
	case WM_TYPE_STRING:
		snprintf(buf, n, "%s", v->s);
		break;
	case WM_TYPE_BOOL:
		snprintf(buf, n, "%s", v->i ? "true" : "false");
		break;
	case WM_TYPE_INT:
		snprintf(buf, n, "%lld", (long long)v->i);
		break;
	case WM_TYPE_DOUBLE:
		format_double(v->d, "", buf, n);
		break;
	case WM_TYPE_COLOR:
		snprintf(buf, n, "#%08x", (unsigned)v->color);
		break;
	case WM_TYPE_ENUM:
		choice_name(d->choices, v->i, buf, n);
		break;
	case WM_TYPE_LENGTH:
		format_double(v->len.value,
			      v->len.unit == WM_UNIT_PERCENT ? "%" : "px", buf,
			      n);
		break;
	}
}

wm_status wm__options_get(const wm__options *o, const char *name, char *buf,
			  size_t buf_size)
{
	const wm__option_def *d;

	if (!name || !buf || buf_size == 0)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_get: NULL argument");
	d = wm__option_def_by_name(name);
	if (!d)
		return wm__error(WM_ERR_UNKNOWN_OPTION, "unknown option '%s'",
				 name);
	format_value(o, d, buf, buf_size);
	return WM_OK;
}

wm_status wm__options_init(wm__options *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < WM__TABLE_SIZE; i++) {
		const wm__option_def *d = &wm__table[i];

		if (d->type == WM_TYPE_STRING) {
			o->v[d->id].s = wm__strdup(d->def);
			if (!o->v[d->id].s) {
				wm__options_free(o);
				return wm__error(WM_ERR_NO_MEMORY,
						 "out of memory for options");
			}
		} else if (set_from_string(o, d, d->def) != WM_OK) {
			wm__options_free(o);
			return wm__error(WM_ERR_INTERNAL,
					 "option '%s': bad default", d->name);
		}
	}
	return WM_OK;
}

void wm__options_free(wm__options *o)
{
	for (int i = 0; i < WM__TABLE_SIZE; i++) {
		if (wm__table[i].type == WM_TYPE_STRING) {
			wm__free(o->v[wm__table[i].id].s);
			o->v[wm__table[i].id].s = NULL;
		}
	}
}

wm_status wm__options_save(const wm__options *o, wm_option id,
			   wm__saved_option *out)
{
	const wm__option_def *d = wm__option_def_by_id(id);

	out->id = id;
	out->def = d;
	if (!d)
		return WM_OK;
	out->v = o->v[id];
	if (d->type == WM_TYPE_STRING) {
		out->v.s = wm__strdup(o->v[id].s);
		if (!out->v.s)
			return wm__error(WM_ERR_NO_MEMORY,
					 "option '%s': out of memory", d->name);
	}
	return WM_OK;
}

void wm__options_restore(wm__options *o, wm__saved_option *saved)
{
	if (!saved->def)
		return;
	if (saved->def->type == WM_TYPE_STRING)
		wm__free(o->v[saved->id].s);
	o->v[saved->id] = saved->v;
	saved->def = NULL;
}

void wm__options_forget(wm__saved_option *saved)
{
	if (saved->def && saved->def->type == WM_TYPE_STRING)
		wm__free(saved->v.s);
	saved->def = NULL;
}

wm_option wm__options_id_of(const char *name, const char *value)
{
	const char *eq;
	const wm__option_def *d;

	if (!name)
		return (wm_option)-1;
	eq = value ? NULL : strchr(name, '=');
	d = eq ? def_by_name_n(name, (size_t)(eq - name))
	       : wm__option_def_by_name(name);
	return d ? d->id : (wm_option)-1;
}

int64_t wm__opt_int(const wm__options *o, wm_option id)
{
	return o->v[id].i;
}

double wm__opt_double(const wm__options *o, wm_option id)
{
	return o->v[id].d;
}

const char *wm__opt_str(const wm__options *o, wm_option id)
{
	return o->v[id].s ? o->v[id].s : "";
}

uint32_t wm__opt_color(const wm__options *o, wm_option id)
{
	return o->v[id].color;
}

double wm__opt_px(const wm__options *o, wm_option id, int shorter)
{
	const wm__length *l = &o->v[id].len;

	if (l->unit == WM_UNIT_PERCENT)
		return l->value * shorter / 100.0;
	return l->value;
}
