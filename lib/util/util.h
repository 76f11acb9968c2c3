/*
 * Shared internals: status and messages, logging, allocation with overflow
 * checks, and the option table. Every other layer may include this; it
 * includes nothing of theirs.
 */
#ifndef WM_UTIL_H
#define WM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watermark.h"

#if defined(__GNUC__)
#define WM__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WM__UNUSED __attribute__((unused))
#else
#define WM__PRINTF(a, b)
#define WM__UNUSED
#endif

/* ---- errors -------------------------------------------------------------- */

/*
 * Records `status` and a formatted detail message for the calling thread and
 * returns `status`, so that failures read `return wm__error(...)`.
 */
wm_status wm__error(wm_status status, const char *fmt, ...) WM__PRINTF(2, 3);
wm_status wm__verror(wm_status status, const char *fmt, va_list ap);

/* Prepends "prefix: " to the current detail message (for example the file
 * name when a lower layer reported the cause). Returns `status`. */
wm_status wm__error_prefix(wm_status status, const char *prefix);

/* Clears the calling thread's detail message. */
void wm__error_clear(void);

/* Formats up to `n` leading bytes as hex ("89 50 4e 47") into buf. */
void wm__hex_bytes(char *buf, size_t buf_size, const void *data, size_t n);

/* ---- logging ------------------------------------------------------------- */

void wm__log(wm_log_level level, const char *fmt, ...) WM__PRINTF(2, 3);
bool wm__log_enabled(void);

/* ---- allocation ---------------------------------------------------------- */

/*
 * All library allocations go through these, so that a test build can make
 * the n-th one fail (see wm__alloc_fail_at). They never set an error
 * message; callers report WM_ERR_NO_MEMORY with context.
 */
void *wm__malloc(size_t n);
void *wm__calloc(size_t count, size_t n);
void *wm__realloc(void *p, size_t n);
void wm__free(void *p);
char *wm__strdup(const char *s);

/* Overflow-checked size arithmetic: return false on overflow. */
bool wm__mul_size(size_t a, size_t b, size_t *out);
bool wm__add_size(size_t a, size_t b, size_t *out);

/* Test hook: fail the n-th allocation from now on (0 disables). Returns the
 * number of allocations counted since the last call. Only active in builds
 * configured with -Dfault_injection=true. */
uint64_t wm__alloc_fail_at(uint64_t n);

/* ---- option table -------------------------------------------------------- */

#define WM__OPT_MAX 48 /* highest pinned option id */

typedef struct wm__length {
	double value;
	wm_unit unit;
} wm__length;

typedef union wm__value {
	int64_t i;       /* BOOL, INT, ENUM */
	double d;        /* DOUBLE */
	char *s;         /* STRING (owned, never NULL) */
	uint32_t color;  /* COLOR, 0xRRGGBBAA */
	wm__length len;  /* LENGTH */
} wm__value;

/* The option values of a mark. */
typedef struct wm__options {
	wm__value v[WM__OPT_MAX + 1];
} wm__options;

/* One row of the table. */
typedef struct wm__option_def {
	wm_option id;
	const char *name;
	wm_option_type type;
	double min;
	double max;
	const char *def;
	const char *help;
	const char *choices;
	const char *group;
} wm__option_def;

const wm__option_def *wm__option_def_by_id(wm_option id);
const wm__option_def *wm__option_def_by_name(const char *name);

/* Sets every option to its default. */
wm_status wm__options_init(wm__options *o);
void wm__options_free(wm__options *o);

/*
 * One option's value kept aside, so that a change can be undone: every
 * setter changes at most the one option it names. A saved string is a copy
 * of its own. An unknown id saves (and later restores) nothing.
 */
typedef struct wm__saved_option {
	wm_option id;
	const wm__option_def *def; /* NULL: nothing saved */
	wm__value v;
} wm__saved_option;

wm_status wm__options_save(const wm__options *o, wm_option id,
			   wm__saved_option *out);
/* Puts the saved value back, freeing the current one. */
void wm__options_restore(wm__options *o, wm__saved_option *saved);
/* Frees the saved value, keeping the current one. */
void wm__options_forget(wm__saved_option *saved);
/* The option that wm__options_set(name, value) sets, or -1 if unknown. */
wm_option wm__options_id_of(const char *name, const char *value);

wm_status wm__options_set_int(wm__options *o, wm_option id, int64_t v);
wm_status wm__options_set_double(wm__options *o, wm_option id, double v);
wm_status wm__options_set_string(wm__options *o, wm_option id, const char *v);
wm_status wm__options_set_color(wm__options *o, wm_option id, uint32_t v);
wm_status wm__options_set_length(wm__options *o, wm_option id, double v,
				 wm_unit unit);
wm_status wm__options_set(wm__options *o, const char *name, const char *value);
wm_status wm__options_get(const wm__options *o, const char *name, char *buf,
			  size_t buf_size);

/* Readers. Options of the wrong type read as 0 / "" (a bug in the caller). */
int64_t wm__opt_int(const wm__options *o, wm_option id);
double wm__opt_double(const wm__options *o, wm_option id);
const char *wm__opt_str(const wm__options *o, wm_option id);
uint32_t wm__opt_color(const wm__options *o, wm_option id);

/* A LENGTH option in pixels for a frame whose shorter side is `shorter`. */
double wm__opt_px(const wm__options *o, wm_option id, int shorter);

/* Parsers shared with the option setters. */
wm_status wm__parse_color(const char *s, uint32_t *rgba);
wm_status wm__parse_length(const char *s, wm__length *out);

/* Enum values of the options that have them, in table order. */
enum {
	WM__POS_TOP_LEFT = 0,
	WM__POS_TOP,
	WM__POS_TOP_RIGHT,
	WM__POS_LEFT,
	WM__POS_CENTER,
	WM__POS_RIGHT,
	WM__POS_BOTTOM_LEFT,
	WM__POS_BOTTOM,
	WM__POS_BOTTOM_RIGHT
};
enum { WM__ALIGN_AUTO = 0, WM__ALIGN_LEFT, WM__ALIGN_CENTER, WM__ALIGN_RIGHT };
enum {
	WM__LOGO_LEFT = 0,
	WM__LOGO_RIGHT,
	WM__LOGO_ABOVE,
	WM__LOGO_BELOW
};
enum { WM__QR_L = 0, WM__QR_M, WM__QR_Q, WM__QR_H };
enum {
	WM__FMT_AUTO = 0,
	WM__FMT_JPEG,
	WM__FMT_PNG,
	WM__FMT_WEBP,
	WM__FMT_MP4,
	WM__FMT_MOV,
	WM__FMT_MKV,
	WM__FMT_WEBM
};
enum { WM__TEXTPLACE_APPEND = 0, WM__TEXTPLACE_PREPEND };

/* ---- UTF-8 --------------------------------------------------------------- */

/* Returns the byte offset of the first invalid sequence, or -1 if `s` (of
 * length n) is valid UTF-8 (no overlongs, surrogates or values > U+10FFFF). */
ptrdiff_t wm__utf8_invalid_at(const char *s, size_t n);

#endif /* WM_UTIL_H */
