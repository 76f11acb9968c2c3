/*
 * Private to libwatermark-video.so: the host table handed over by the
 * library, and the pieces of the pipeline shared between its files.
 */
#ifndef WM_VIDEO_MODULE_H
#define WM_VIDEO_MODULE_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "video.h"

/* The library's functions (set once by the entry point). */
extern const wm__video_host *wm__vhost;

/* Records an error message through the library and returns `status`. */
wm_status wm__verr(wm_status status, const char *fmt, ...) WM__PRINTF(2, 3);

/* Like wm__verr, with FFmpeg's text for `averr` appended. */
wm_status wm__verr_av(wm_status status, int averr, const char *fmt, ...)
    WM__PRINTF(3, 4);

#define VLOG(level, ...) wm__vhost->log(level, __VA_ARGS__)

/*
 * FFmpeg's lines name the file they concern: the contexts a job opens carry
 * its tag as their `opaque` pointer (frame threads' copies of a decoder keep
 * it), and lines from a context whose tag is registered start with the
 * tag's name. Only registered tags are looked at, so contexts that the
 * application opens, whatever their opaque pointer, are never read.
 */
typedef struct wm__av_tag {
	const char *name;
	struct wm__av_tag *next;
} wm__av_tag;

/* Registers `t` for `name` (which must outlive the registration) and
 * unregisters it, once no context that carries it can log any more. */
void wm__av_tag_add(wm__av_tag *t, const char *name);
void wm__av_tag_remove(wm__av_tag *t);

/* Opens an input file and finds its streams, with errors naming it; the
 * context carries `tag` (may be NULL). */
wm_status wm__video_open_input(const char *path, wm__av_tag *tag,
			       AVFormatContext **out);

/* WM_ERR_CORRUPT when a Matroska or MP4 file is shorter than its own
 * structure declares (it was cut); WM_OK otherwise or when unknown. */
wm_status wm__video_check_length(const char *path, const AVFormatContext *ic);

/* The index of the real video stream (not cover art), or -1. */
int wm__video_find_stream(const AVFormatContext *ic);

/* Orientation from a stream's display matrix (NORMAL when none). */
wm_orientation wm__video_stream_orientation(const AVStream *st);

/* The FFmpeg muxer that writes the input's container family: "webm",
 * "matroska", "mov" or "mp4"; NULL for any other container. */
const char *wm__video_input_muxer(const AVFormatContext *ic);

/* The module's two operations. */
wm_status wm__video_do_mark(wm_mark *m, const char *in, const char *out,
			    const wm_job *job);
wm_status wm__video_do_probe(const char *path, wm_media_info *info);

/* ---- output files -------------------------------------------------------- */

/*
 * Where the muxer writes. For regular files: the library's atomic output
 * file (an unnamed O_TMPFILE file that the muxer opens, and re-opens to
 * move the MP4 index to the front, as /proc/self/fd/N; or a hidden named
 * temporary), put in place on success. For pipes and character devices:
 * the destination itself.
 */
typedef struct wm__vout {
	char *final_path;
	const char *write_path; /* what the muxer opens */
	char *stream_path;	/* pipes: the name given to the muxer */
	wm__outfile file;	/* regular files */
	bool have_file;
	bool is_stream; /* a pipe: no temporary file, no seeking */
} wm__vout;

wm_status wm__vout_begin(wm__vout *o, const char *in, const char *out,
			 const wm_job *job);
wm_status wm__vout_commit(wm__vout *o);
void wm__vout_abort(wm__vout *o);

/*
 * Gives a PQ or HLG stream without HDR10 side data the mastering display and
 * content light level of its first decoded frame, if the bitstream has
 * them. Best effort: any failure leaves the stream as it was.
 */
void wm__video_hdr_from_bitstream(const char *path, AVStream *st);

/* ---- encoders ------------------------------------------------------------ */

/* What the encoder must match. */
typedef struct wm__venc_in {
	const char *name; /* the input, for messages */
	const wm__options *opts;
	const AVOutputFormat *ofmt;
	const AVCodecContext *dec;
	const AVStream *ist;
	AVRational frame_rate;
	int width; /* after any pixel rotation */
	int height;
	AVRational sar;
	bool global_header;
	int64_t in_bit_rate; /* the input video's bits per second; 0: unknown */
	wm__av_tag *tag;     /* carried by the encoder context (may be NULL) */
} wm__venc_in;

/*
 * Chooses the encoder (the "encoder" option, else the input's codec family
 * when the container takes it, else the container's natural codec, with a
 * warning), sets quality, preset, threads, colour tags and HDR metadata,
 * and opens it.
 */
wm_status wm__video_open_encoder(const wm__venc_in *in, AVCodecContext **out);

/* ---- pixel rotation (for containers without a display matrix) ------------ */

/*
 * Rotates `src` into `dst` (already allocated with the turned size and the
 * same pixel format) so that it looks as `o` says it is displayed.
 */
wm_status wm__video_rotate(const AVFrame *src, AVFrame *dst, wm_orientation o);

/* Whether an orientation swaps width and height. */
bool wm__orient_swaps(wm_orientation o);

#endif /* WM_VIDEO_MODULE_H */
