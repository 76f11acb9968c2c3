/*
 * The video layer. Its FFmpeg pipeline lives in a separate shared module,
 * libwatermark-video.so, that libwatermark.so loads with dlopen() on the
 * first video call, so that programs that only mark images never load
 * FFmpeg's libraries.
 *
 * The module links FFmpeg but none of the library's internals: the loader
 * hands it a table of the host functions it needs (allocation, errors, the
 * log, option readers, the mark cache and the compositor). The module thus
 * shares the library's one per-thread error message and log callback.
 */
#ifndef WM_VIDEO_H
#define WM_VIDEO_H

#include <stdarg.h>

#include "../mark/mark.h"
#include "../util/outfile.h"

/* ---- called by the media dispatcher (inside libwatermark) ---------------- */

/*
 * Marks the video file `in` and writes the result to `out` (see
 * wm_mark_file). Loads the module on first use; without it, returns
 * WM_ERR_UNSUPPORTED with a message saying so.
 */
wm_status wm__video_mark_file(wm_mark *m, const char *in, const char *out,
			      const wm_job *job);

/* Fills `info` for a video file (see wm_probe_file). */
wm_status wm__video_probe(const char *path, wm_media_info *info);

/* ---- the contract between the library and the module --------------------- */

/* Bumped whenever either table below changes incompatibly. */
#define WM__VIDEO_ABI 2

/* Name of the one symbol the module exports. */
#define WM__VIDEO_ENTRY "wm_video_module_entry"

/* The library's functions, as seen by the module. */
typedef struct wm__video_host {
	size_t size;
	unsigned abi;

	wm_status (*verror)(wm_status status, const char *fmt, va_list ap);
	wm_status (*error_prefix)(wm_status status, const char *prefix);
	void (*log)(wm_log_level level, const char *fmt, ...);
	bool (*log_enabled)(void);

	void *(*malloc)(size_t n);
	void *(*calloc)(size_t count, size_t n);
	void (*free)(void *p);

	int64_t (*opt_int)(const wm__options *o, wm_option id);
	double (*opt_double)(const wm__options *o, wm_option id);
	const char *(*opt_str)(const wm__options *o, wm_option id);

	const wm__options *(*mark_options)(const wm_mark *m);
	const char *(*mark_disclosure)(const wm_mark *m);
	wm_status (*mark_acquire)(wm_mark *m, const wm_frame *tmpl,
				  const wm__raster_filter *filter,
				  const wm__prepared **out);
	void (*mark_release)(wm_mark *m, const wm__prepared *p);
	unsigned (*mark_alpha_at)(const wm_mark *m, double t);

	void (*layer_apply)(const wm__layer *l, const wm_frame *f, int band_y,
			    unsigned alpha);

	wm_status (*outfile_create)(wm__outfile *o, const char *path,
				    unsigned flags);
	const char *(*outfile_path)(const wm__outfile *o);
	wm_status (*outfile_commit)(wm__outfile *o);
	void (*outfile_abort)(wm__outfile *o);
} wm__video_host;

/* The module's functions, as seen by the library. */
typedef struct wm__video_module {
	size_t size;
	unsigned abi;
	wm_status (*mark_file)(wm_mark *m, const char *in, const char *out,
			       const wm_job *job);
	wm_status (*probe)(const char *path, wm_media_info *info);
} wm__video_module;

/*
 * The module's entry point: remembers `host` (which stays valid for the
 * life of the process) and returns the module's table, or NULL when the
 * ABI numbers differ.
 */
typedef const wm__video_module *(*wm__video_entry_fn)(
    const wm__video_host *host);

#endif /* WM_VIDEO_H */
