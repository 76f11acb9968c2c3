/*
 * libwatermark: visible AI-disclosure marks for images, video and text.
 *
 * Copyright (c) 2026 the libwatermark authors. MIT licence (see LICENSE).
 *
 * ABI rule
 * --------
 * Within one major version (the number in the soname, libwatermark.so.N):
 *   - exported functions are never removed and their signatures never change;
 *   - enum values are pinned: a value never changes meaning and is never
 *     reused; new values may be added;
 *   - every struct that crosses this ABI starts with a `size` member that the
 *     caller sets to sizeof(the struct as the caller compiled it); new
 *     members are only ever appended, and the library reads only the members
 *     that the caller's size covers, so old binaries keep working;
 *   - option ids are pinned like enum values; adding an option adds no
 *     exported symbol;
 *   - handle types are opaque and their layout is private.
 * Anything not documented in this header is private and may change at any
 * time.
 *
 * Errors
 * ------
 * Every function that can fail returns a wm_status. On failure, a message for
 * the calling thread names the input and the cause; read it with
 * wm_last_error(). The library never prints, never aborts and never exits.
 *
 * Thread safety
 * -------------
 * Functions without handles are safe from any thread. A wm_mark is configured
 * (wm_mark_set_*) from one thread; once configured it may be used by any
 * number of threads at once (wm_mark_apply, wm_mark_file, wm_mark_memory,
 * wm_mark_io, wm_session_new). Setting an option while another thread uses
 * the same mark is not allowed. A wm_session belongs to one thread at a time.
 */
#ifndef WATERMARK_H
#define WATERMARK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(WM_BUILDING_DLL)
#define WM_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(WM_STATIC)
#define WM_API __declspec(dllimport)
#elif defined(__GNUC__)
#define WM_API __attribute__((visibility("default")))
#else
#define WM_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define WM_VERSION_MAJOR 0
#define WM_VERSION_MINOR 1
#define WM_VERSION_PATCH 0
#define WM_VERSION_NUMBER                                                      \
	(WM_VERSION_MAJOR * 10000 + WM_VERSION_MINOR * 100 + WM_VERSION_PATCH)
#define WM_VERSION_STRING "0.1.0"

/* Returns WM_VERSION_NUMBER of the library actually loaded. */
WM_API unsigned wm_version(void);

/* Returns WM_VERSION_STRING of the library actually loaded (static storage). */
WM_API const char *wm_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes and messages                                                 */
/* ------------------------------------------------------------------------ */

typedef enum wm_status {
	WM_OK = 0,
	WM_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad size field... */
	WM_ERR_NO_MEMORY = 2,
	WM_ERR_IO = 3,               /* open, read, write, rename failed */
	WM_ERR_UNSUPPORTED = 4,      /* a format or feature not handled */
	WM_ERR_CORRUPT = 5,          /* truncated or malformed input */
	WM_ERR_TOO_LARGE = 6,        /* over the pixel limit, or overflow */
	WM_ERR_UNKNOWN_OPTION = 7,   /* no option of that name or id */
	WM_ERR_BAD_VALUE = 8,        /* option value of the wrong type/range */
	WM_ERR_NOT_FOUND = 9,        /* a file, font or stream is missing */
	WM_ERR_CANCELLED = 10,       /* a progress callback asked to stop */
	WM_ERR_CODEC = 11,           /* a decoder or encoder failed or is absent */
	WM_ERR_TOO_SMALL = 12,       /* the frame cannot hold a readable mark */
	WM_ERR_EXISTS = 13,          /* the output exists and may not be replaced */
	WM_ERR_INTERNAL = 14         /* a bug: please report it */
} wm_status;

/* Returns a short constant English description of a status code. */
WM_API const char *wm_status_string(wm_status status);

/*
 * Returns the detail message of the last failure on the calling thread, for
 * example "photo.png: not a JPEG file (starts with 89 50 4e 47)". The string
 * stays valid until the next library call on this thread. Never NULL: an
 * empty string when nothing failed yet.
 */
WM_API const char *wm_last_error(void);

typedef enum wm_log_level {
	WM_LOG_ERROR = 0,
	WM_LOG_WARNING = 1,
	WM_LOG_INFO = 2,
	WM_LOG_DEBUG = 3
} wm_log_level;

typedef void (*wm_log_fn)(void *user, wm_log_level level, const char *message);

/*
 * Installs a process-wide log callback (NULL removes it). The library logs
 * nothing unless one is installed. Warnings include glyphs that no font can
 * draw and encoder substitutions. The callback may be called from any thread
 * that uses the library and must be thread-safe.
 */
WM_API void wm_set_log_callback(wm_log_fn fn, void *user);

/* Frees memory that the library returned to the caller. NULL is allowed. */
WM_API void wm_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Frames                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Pixel layouts. Byte order is memory order: WM_PIX_RGBA is R, G, B, A bytes.
 * 16-bit layouts hold native-endian uint16 samples. I420P10 holds 10-bit
 * samples in the low bits of native-endian uint16; P010 in the high bits.
 */
typedef enum wm_pixel_format {
	WM_PIX_NONE = 0,
	WM_PIX_RGBA = 1,
	WM_PIX_BGRA = 2,
	WM_PIX_ARGB = 3,
	WM_PIX_ABGR = 4,
	WM_PIX_RGBX = 5,
	WM_PIX_BGRX = 6,
	WM_PIX_RGB24 = 7,
	WM_PIX_BGR24 = 8,
	WM_PIX_GRAY8 = 9,
	WM_PIX_GRAYA8 = 10,  /* grey then alpha, 2 bytes a pixel */
	WM_PIX_I420 = 11,    /* planar Y, U, V; chroma halved both ways */
	WM_PIX_YV12 = 12,    /* planar Y, V, U; chroma halved both ways */
	WM_PIX_NV12 = 13,    /* Y plane, then interleaved U, V */
	WM_PIX_NV21 = 14,    /* Y plane, then interleaved V, U */
	WM_PIX_I422 = 15,    /* planar; chroma halved horizontally */
	WM_PIX_I444 = 16,    /* planar; full-size chroma */
	WM_PIX_I420P10 = 17, /* yuv420p10: planar, 10 bits in low bits */
	WM_PIX_P010 = 18,    /* Y plane, then interleaved U, V; high bits */
	WM_PIX_GRAY16 = 19,
	WM_PIX_RGB48 = 20,
	WM_PIX_RGBA64 = 21,
	WM_PIX_GRAYA16 = 22  /* grey then alpha, 16 bits each */
} wm_pixel_format;

/* Colour matrix of YUV frames. AUTO: BT.601 below 720 lines, else BT.709. */
typedef enum wm_matrix {
	WM_MATRIX_AUTO = 0,
	WM_MATRIX_BT601 = 1,
	WM_MATRIX_BT709 = 2,
	WM_MATRIX_BT2020 = 3
} wm_matrix;

typedef enum wm_range {
	WM_RANGE_LIMITED = 0, /* Y 16..235, chroma 16..240 (scaled for 10 bit) */
	WM_RANGE_FULL = 1
} wm_range;

/* Transfer function of the frame; on PQ and HLG the mark's white is the
 * reference white (203 cd/m2), not peak brightness. */
typedef enum wm_transfer {
	WM_TRANSFER_SDR = 0,
	WM_TRANSFER_PQ = 1,
	WM_TRANSFER_HLG = 2
} wm_transfer;

/* How a destination alpha channel is stored. */
typedef enum wm_alpha_mode {
	WM_ALPHA_STRAIGHT = 0,
	WM_ALPHA_PREMULTIPLIED = 1
} wm_alpha_mode;

/*
 * Orientation of stored pixels relative to how they are shown, with the
 * values of the EXIF Orientation tag. The mark is placed in displayed
 * orientation and mapped back into the stored pixels.
 */
typedef enum wm_orientation {
	WM_ORIENT_NORMAL = 1,
	WM_ORIENT_FLIP_H = 2,
	WM_ORIENT_ROTATE_180 = 3,
	WM_ORIENT_FLIP_V = 4,
	WM_ORIENT_TRANSPOSE = 5,
	WM_ORIENT_ROTATE_90 = 6,   /* shown rotated 90 degrees clockwise */
	WM_ORIENT_TRANSVERSE = 7,
	WM_ORIENT_ROTATE_270 = 8
} wm_orientation;

/*
 * A frame that the caller owns, marked in place. Set `size` to
 * sizeof(wm_frame). planes[]/strides[] follow the layout: one plane for
 * packed layouts, two for NV12/NV21/P010, three for planar YUV. Strides are
 * in bytes and may be negative. Members after `alpha` may be left zero:
 * orientation 0 means WM_ORIENT_NORMAL; sample aspect 0 means square pixels.
 */
typedef struct wm_frame {
	size_t size;
	int width;
	int height;
	wm_pixel_format format;
	wm_matrix matrix;
	wm_range range;
	wm_alpha_mode alpha;
	uint8_t *planes[4];
	ptrdiff_t strides[4];
	wm_orientation orientation;
	wm_transfer transfer;
	int sar_num; /* sample (pixel) aspect ratio; 0/0 means 1:1 */
	int sar_den;
} wm_frame;

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Every mark option is declared once in the library's option table, with a
 * pinned id, a name, a type, a range, a default and one line of help.
 * wm_option_count()/wm_option_describe() list it; the CLI flags, the Python
 * keyword arguments and the README's option reference come from it.
 */
typedef enum wm_option_type {
	WM_TYPE_BOOL = 1,   /* set_int 0/1; strings "true"/"false"/"1"/"0" */
	WM_TYPE_INT = 2,
	WM_TYPE_DOUBLE = 3,
	WM_TYPE_STRING = 4,
	WM_TYPE_COLOR = 5,  /* 0xRRGGBBAA; strings "#rgb", "#rrggbb[aa]", names */
	WM_TYPE_ENUM = 6,   /* set_int with the index, or set_string by name */
	WM_TYPE_LENGTH = 7  /* pixels, or a fraction of the frame's shorter side:
			     * strings "48", "48px", "5%" */
} wm_option_type;

/* Units of WM_TYPE_LENGTH values. */
typedef enum wm_unit {
	WM_UNIT_PX = 0,
	WM_UNIT_PERCENT = 1 /* percent of the frame's shorter side */
} wm_unit;

/* Pinned option ids. */
typedef enum wm_option {
	WM_OPT_TEXT = 1,
	WM_OPT_FONT = 2,
	WM_OPT_SIZE = 3,
	WM_OPT_COLOR = 4,
	WM_OPT_OPACITY = 5,
	WM_OPT_OUTLINE_COLOR = 6,
	WM_OPT_OUTLINE_WIDTH = 7,
	WM_OPT_SHADOW_COLOR = 8,
	WM_OPT_SHADOW_OFFSET = 9,
	WM_OPT_BOX = 10,
	WM_OPT_BOX_COLOR = 11,
	WM_OPT_BOX_PADDING = 12,
	WM_OPT_BOX_RADIUS = 13,
	WM_OPT_ALIGN = 14,
	WM_OPT_LINE_SPACING = 15,
	WM_OPT_MAX_WIDTH = 16,
	WM_OPT_POSITION = 17,
	WM_OPT_MARGIN = 18,
	WM_OPT_OFFSET_X = 19,
	WM_OPT_OFFSET_Y = 20,
	WM_OPT_X = 21,
	WM_OPT_Y = 22,
	WM_OPT_LOGO = 23,
	WM_OPT_SCALE = 24,
	WM_OPT_LOGO_PLACEMENT = 25,
	WM_OPT_QR = 26,
	WM_OPT_QR_LEVEL = 27,
	WM_OPT_QR_MODULE = 28,
	WM_OPT_TILE = 29,
	WM_OPT_TILE_SPACING = 30,
	WM_OPT_ANGLE = 31,
	WM_OPT_START = 32,
	WM_OPT_END = 33,
	WM_OPT_FADE_IN = 34,
	WM_OPT_FADE_OUT = 35,
	WM_OPT_METADATA = 36,
	WM_OPT_SOURCE_TYPE = 37,
	WM_OPT_DISCLOSURE = 38,
	WM_OPT_QUALITY = 39,
	WM_OPT_FORMAT = 40,
	WM_OPT_MAX_PIXELS = 41,
	WM_OPT_ENCODER = 42,
	WM_OPT_CRF = 43,
	WM_OPT_PRESET = 44,
	WM_OPT_ENCODER_PARAMS = 45,
	WM_OPT_TEXT_FORMAT = 46,
	WM_OPT_TEXT_PLACEMENT = 47,
	WM_OPT_THREADS = 48
} wm_option;

/* Description of one option. Set `size` to sizeof(wm_option_info). */
typedef struct wm_option_info {
	size_t size;
	wm_option id;
	const char *name;          /* "outline-width": CLI flag and Python
				    * keyword (with '_' for '-') */
	wm_option_type type;
	double min;                /* numeric range (INT, DOUBLE, LENGTH) */
	double max;
	const char *default_value; /* as a string the generic setter takes */
	const char *help;          /* one line */
	const char *choices;       /* ENUM: names separated by '|', else NULL */
	const char *group;         /* "text", "logo", "layout", "output"... */
} wm_option_info;

/* Number of options in the table. */
WM_API int wm_option_count(void);

/*
 * Fills `info` for the option at `index` (0 <= index < wm_option_count()).
 * Strings point to static storage. Returns WM_ERR_INVALID_ARGUMENT for an
 * index out of range or a NULL/too small info.
 */
WM_API wm_status wm_option_describe(int index, wm_option_info *info);

/* Looks an option up by name ("opacity", "outline_width" and
 * "outline-width" all match). Returns WM_ERR_UNKNOWN_OPTION if none. */
WM_API wm_status wm_option_find(const char *name, wm_option *id);

/* ------------------------------------------------------------------------ */
/* Marks                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A mark: the disclosure (text, logo, QR code, or a combination), its style
 * and its placement, plus what to do with files (metadata, quality...). With
 * no option set, a mark draws a legible white "AI-generated" with a dark
 * outline at the bottom-right, about 4% of the frame's shorter side high,
 * and adds the machine-readable disclosure to files. Rendered marks are
 * cached per frame size, orientation and colour space, so marking many
 * frames of one size renders once.
 */
typedef struct wm_mark wm_mark;

/* Creates a mark with every option at its default. On failure *out is set
 * to NULL. */
WM_API wm_status wm_mark_new(wm_mark **out);

/* Frees a mark and its cache. NULL is allowed. Every session made from the
 * mark must have been freed first. */
WM_API void wm_mark_free(wm_mark *mark);

/* Typed setters, keyed by option id. A value of the wrong type for the
 * option gives WM_ERR_BAD_VALUE; one outside the option's range too. On any
 * error the mark is left unchanged (this holds for wm_mark_set too). */
WM_API wm_status wm_mark_set_int(wm_mark *mark, wm_option id, int64_t value);
WM_API wm_status wm_mark_set_double(wm_mark *mark, wm_option id, double value);
WM_API wm_status wm_mark_set_string(wm_mark *mark, wm_option id,
				    const char *value);
/* rgba is 0xRRGGBBAA. */
WM_API wm_status wm_mark_set_color(wm_mark *mark, wm_option id, uint32_t rgba);
WM_API wm_status wm_mark_set_length(wm_mark *mark, wm_option id, double value,
				    wm_unit unit);

/*
 * Generic setter: option name and value as text, as the CLI and the Python
 * binding take them ("size", "5%"; "color", "#ff000080"; "position",
 * "top-left"). A string of the form "name=value" may be passed as `name`
 * with `value` NULL. Errors name the option and say what was expected.
 * Numbers use a '.' decimal point whatever the C locale. A number closer
 * to 0 than DBL_MIN (about 2.2e-308) is taken as 0, here and in the typed
 * setters, so that every value reads back as one that sets again.
 */
WM_API wm_status wm_mark_set(wm_mark *mark, const char *name,
			     const char *value);

/*
 * Writes the current value of an option as the generic setter would take
 * it into buf. A value longer than buf_size - 1 bytes is cut there and
 * NUL-terminated, and the call still returns WM_OK. Numbers use a '.'
 * decimal point and read back as the same value. Returns
 * WM_ERR_UNKNOWN_OPTION for an unknown name.
 */
WM_API wm_status wm_mark_get(const wm_mark *mark, const char *name, char *buf,
			     size_t buf_size);

/*
 * Marks a frame in place. `time` is the frame's timestamp in seconds, used
 * by the start/end/fade options (pass 0 for stills). Outside the time
 * range the frame is left as it is and the call returns WM_OK; an end that
 * is not after the start is WM_ERR_BAD_VALUE at every time. Safe from
 * several threads at once on different frames. Once a mark has been
 * rendered for a frame size, orientation and colour space, this allocates
 * nothing.
 */
WM_API wm_status wm_mark_apply(wm_mark *mark, const wm_frame *frame,
			       double time);

/* ------------------------------------------------------------------------ */
/* Frame streams                                                             */
/* ------------------------------------------------------------------------ */

/*
 * A session marks a stream of frames of one size, layout and colour space.
 * wm_session_new renders and prepares the mark for the template frame
 * (planes may be NULL there); wm_session_apply then never allocates.
 */
typedef struct wm_session wm_session;

/* Creates a session for frames like `tmpl`. On failure *out is set to NULL.
 * The mark must outlive the session; a session is used by one thread at a
 * time (several sessions of one mark may run on different threads). */
WM_API wm_status wm_session_new(wm_mark *mark, const wm_frame *tmpl,
				wm_session **out);

/* Marks a frame whose size, layout, colour space (matrix, range, transfer,
 * alpha mode), orientation and sample aspect ratio match the template;
 * `time` in seconds. Returns WM_ERR_INVALID_ARGUMENT if the frame does not
 * match. */
WM_API wm_status wm_session_apply(wm_session *session, const wm_frame *frame,
				  double time);

/* Frees a session. NULL is allowed. Free every session before the mark it
 * was made from: calling wm_mark_free while a session exists is not
 * allowed. */
WM_API void wm_session_free(wm_session *session);

/* ------------------------------------------------------------------------ */
/* Files, memory and streams                                                 */
/* ------------------------------------------------------------------------ */

/* Returns non-zero to cancel the job (it then fails with WM_ERR_CANCELLED).
 * `total` is -1 when unknown. Units: frames for video, rows for images. */
typedef int (*wm_progress_fn)(void *user, int64_t done, int64_t total);

/* Flags of wm_job. */
#define WM_JOB_OVERWRITE 0x1u /* replace an existing output */
#define WM_JOB_IN_PLACE 0x2u  /* output may be the input (atomic replace) */

/* Optional per-call settings. Set `size` to sizeof(wm_job); NULL means
 * defaults (no progress, never overwrite). */
typedef struct wm_job {
	size_t size;
	wm_progress_fn progress;
	void *user;
	unsigned flags;
	const char *format; /* output format name ("jpeg", "png", "webp",
			     * "mp4"...); NULL: from the output name, else the
			     * input's format */
} wm_job;

/*
 * Marks the image or video at `in_path` and writes it to `out_path`. The
 * kind and format of the input are told from its bytes. The output is
 * written to a temporary file beside `out_path` and renamed into place only
 * on success; on failure nothing is left. The input is never modified
 * unless WM_JOB_IN_PLACE is given and the paths name the same file.
 */
WM_API wm_status wm_mark_file(wm_mark *mark, const char *in_path,
			      const char *out_path, const wm_job *job);

/*
 * Marks an image held in memory. On success *out points to a buffer of
 * *out_size bytes allocated by the library (free it with wm_free). The
 * output format is the input's unless job->format says otherwise.
 */
WM_API wm_status wm_mark_memory(wm_mark *mark, const void *in, size_t in_size,
				void **out, size_t *out_size,
				const wm_job *job);

/*
 * Byte streams for wm_mark_io. read returns the number of bytes read (0 at
 * the end) or -1 on error; write returns 0 on success or -1. `name` is used
 * in error messages. Set `size` to sizeof(wm_reader)/sizeof(wm_writer).
 */
typedef struct wm_reader {
	size_t size;
	void *user;
	ptrdiff_t (*read)(void *user, void *buf, size_t n);
	const char *name;
} wm_reader;

typedef struct wm_writer {
	size_t size;
	void *user;
	int (*write)(void *user, const void *buf, size_t n);
	const char *name;
} wm_writer;

/*
 * Marks an image read from `in` and writes the result to `out`. The whole
 * output is produced before the first write, so a failure writes nothing.
 */
WM_API wm_status wm_mark_io(wm_mark *mark, const wm_reader *in,
			    const wm_writer *out, const wm_job *job);

/* What a file is, for wm_probe_file. */
typedef enum wm_media_kind {
	WM_MEDIA_UNKNOWN = 0,
	WM_MEDIA_IMAGE = 1,
	WM_MEDIA_VIDEO = 2
} wm_media_kind;

/* Description of a media file. Set `size` to sizeof(wm_media_info). */
typedef struct wm_media_info {
	size_t size;
	wm_media_kind kind;
	char format[16];        /* "jpeg", "png", "webp", "mp4", "webm"... */
	int width;              /* stored size in pixels */
	int height;
	wm_orientation orientation;
	int bit_depth;
	char color_space[64];   /* "sRGB", "Display P3 (ICC)", "CMYK",
				 * "YUV 4:2:0 BT.709 limited"... */
	int has_alpha;
	int has_disclosure;     /* metadata carries this library's disclosure */
	char source_type[96];   /* IPTC digital source type if present */
	double duration;        /* seconds, video only */
	int64_t frames;         /* video only; -1 when unknown */
} wm_media_info;

/*
 * Reads the headers and metadata of a file without decoding pixels.
 * info->size must be set (to sizeof(wm_media_info), or at least to
 * offsetof(wm_media_info, duration)); only the members it covers are
 * written. A file of a format this library does not know gives
 * WM_ERR_UNSUPPORTED, with its first bytes in wm_last_error(); an empty file
 * gives WM_ERR_CORRUPT.
 */
WM_API wm_status wm_probe_file(const char *path, wm_media_info *info);

/* ------------------------------------------------------------------------ */
/* Text disclosures                                                          */
/* ------------------------------------------------------------------------ */

typedef enum wm_text_format {
	WM_TEXT_PLAIN = 0,
	WM_TEXT_MARKDOWN = 1,
	WM_TEXT_HTML = 2
} wm_text_format;

/*
 * Adds the mark's disclosure (option "disclosure", else "text") to a UTF-8
 * message in the mark's text-format, appended or prepended as the
 * text-placement option says. A message that already carries the same
 * disclosure is returned unchanged. *out is NUL-terminated and allocated by
 * the library (free with wm_free); *out_size excludes the NUL. Invalid UTF-8
 * gives WM_ERR_BAD_VALUE with the byte offset.
 */
WM_API wm_status wm_disclose_text(const wm_mark *mark, const char *message,
				  size_t message_size, char **out,
				  size_t *out_size);

#ifdef __cplusplus
}
#endif

#endif /* WATERMARK_H */
