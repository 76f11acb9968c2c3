/*
 * Entry point of libwatermark-video.so and helpers shared by its files.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/log.h>

#include "watermark-ffmpeg.h"

#include "module.h"

const wm__video_host *wm__vhost;

wm_status wm__verr(wm_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = wm__vhost->verror(status, fmt, ap);
	va_end(ap);
	return status;
}

wm_status wm__verr_av(wm_status status, int averr, const char *fmt, ...)
{
	char head[768], why[AV_ERROR_MAX_STRING_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	av_strerror(averr, why, sizeof(why));
	return wm__verr(status, "%s (%s)", head, why);
}

/*
 * FFmpeg's log settings (level and callback) are process-wide and belong to
 * the application: the library changes neither unless asked. An
 * application that wants FFmpeg's messages silenced or seen through the
 * library's log callback sets WMARK_FFMPEG_LOG=1 (see route_ffmpeg_log).
 */
/*
 * Hands FFmpeg's messages to the library's log callback, one whole line at
 * a time: FFmpeg often writes a line in pieces ("Packet corrupt (...)"
 * then ".\n"), each its own av_log call. Pieces are gathered per thread
 * until the newline; a line longer than the buffer goes out in parts. The
 * line takes the most severe level of its pieces.
 */
typedef struct av_line {
	char text[1024];
	char name[512]; /* the file the line's first piece concerns, or "" */
	size_t len;
	int level;
	int prefix; /* av_log_format_line2's "start of a line" state */
} av_line;

static pthread_mutex_t tags_lock = PTHREAD_MUTEX_INITIALIZER;
static wm__av_tag *tags;

void wm__av_tag_add(wm__av_tag *t, const char *name)
{
	t->name = name;
	pthread_mutex_lock(&tags_lock);
	t->next = tags;
	tags = t;
	pthread_mutex_unlock(&tags_lock);
}

void wm__av_tag_remove(wm__av_tag *t)
{
	pthread_mutex_lock(&tags_lock);
	for (wm__av_tag **p = &tags; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	pthread_mutex_unlock(&tags_lock);
}

/* The tag an FFmpeg log context carries: the opaque pointer of codec and
 * format contexts, the only kinds this module tags. */
static const void *context_tag(void *avcl)
{
	const AVClass *c = avcl ? *(const AVClass **)avcl : NULL;

	if (!c)
		return NULL;
	if (c == avcodec_get_class())
		return ((const AVCodecContext *)avcl)->opaque;
	if (c == avformat_get_class())
		return ((const AVFormatContext *)avcl)->opaque;
	return NULL;
}

/* Copies the name of a registered tag into buf ("" if not registered). */
static void tag_name(const void *tag, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!tag)
		return;
	pthread_mutex_lock(&tags_lock);
	for (const wm__av_tag *t = tags; t; t = t->next)
		if (t == tag) {
			snprintf(buf, size, "%s", t->name);
			break;
		}
	pthread_mutex_unlock(&tags_lock);
}

static void forward_av_log(void *avcl, int level, const char *fmt, va_list vl)
{
	static _Thread_local av_line pend = {.prefix = 1, .level = AV_LOG_TRACE};
	char piece[1024];
	size_t n, room;

	if (level > av_log_get_level() || !wm__vhost->log_enabled())
		return;
	if (pend.len == 0)
		tag_name(context_tag(avcl), pend.name, sizeof(pend.name));
	av_log_format_line2(avcl, level, fmt, vl, piece, sizeof(piece),
			    &pend.prefix);
	n = strlen(piece);
	room = sizeof(pend.text) - 1 - pend.len;
	memcpy(pend.text + pend.len, piece, n < room ? n : room);
	pend.len += n < room ? n : room;
	pend.text[pend.len] = '\0';
	if (level < pend.level)
		pend.level = level;
	if (!pend.prefix && pend.len < sizeof(pend.text) - 1)
		return;

	while (pend.len && pend.text[pend.len - 1] == '\n')
		pend.text[--pend.len] = '\0';
	if (pend.len)
		wm__vhost->log(pend.level <= AV_LOG_ERROR     ? WM_LOG_ERROR
			       : pend.level <= AV_LOG_WARNING ? WM_LOG_WARNING
			       : pend.level <= AV_LOG_INFO    ? WM_LOG_INFO
							      : WM_LOG_DEBUG,
			       "%s%sffmpeg: %s", pend.name,
			       pend.name[0] ? ": " : "", pend.text);
	pend.len = 0;
	pend.level = AV_LOG_TRACE;
}

/*
 * With WMARK_FFMPEG_LOG=1 in the environment the application asks for
 * FFmpeg's messages (at FFmpeg's current level) through the library's log
 * callback; this replaces FFmpeg's process-wide callback, which is why it
 * is never done unasked.
 */
static bool route_ffmpeg_log(void)
{
	const char *ask = secure_getenv("WMARK_FFMPEG_LOG");

	if (!ask || strcmp(ask, "1") != 0)
		return false;
	av_log_set_callback(forward_av_log);
	return true;
}

/* SVT-AV1 prints a banner by itself, with its level read from SVT_LOG in
 * the environment. Setting that variable here would race with getenv in the
 * application's other threads, so it is left to the application (the
 * wmark program sets it in main). */
static void quiet_ffmpeg(void)
{
	route_ffmpeg_log();
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet_ffmpeg_once(void)
{
	pthread_once(&quiet_once, quiet_ffmpeg);
}

/* Whether the first bytes of a file that failed to open name a container
 * FFmpeg knows (the file is then damaged rather than of an unknown kind). */
static bool looks_like_container(const char *path)
{
	uint8_t buf[4096 + AVPROBE_PADDING_SIZE] = {0};
	AVProbeData pd = {.filename = "", .buf = buf};
	int score = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	pd.buf_size = (int)fread(buf, 1, 4096, f);
	fclose(f);
	return av_probe_input_format2(&pd, 1, &score) && score >= 50;
}

wm_status wm__video_open_input(const char *path, wm__av_tag *tag,
			       AVFormatContext **out)
{
	AVFormatContext *ic = avformat_alloc_context();
	int r;

	if (!ic)
		return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory", path);
	ic->opaque = tag;
	/* On failure this frees the context. */
	r = avformat_open_input(&ic, path, NULL, NULL);
	if (r == AVERROR(ENOENT))
		return wm__verr(WM_ERR_NOT_FOUND, "%s: no such file", path);
	/* A header cut short reads as an I/O error or an early end. */
	if ((r == AVERROR_INVALIDDATA || r == AVERROR(EIO) ||
	     r == AVERROR_EOF) &&
	    looks_like_container(path))
		return wm__verr_av(WM_ERR_CORRUPT, r,
				   "%s: truncated or corrupt container", path);
	if (r < 0)
		return wm__verr_av(WM_ERR_UNSUPPORTED, r,
				   "%s: not a video container FFmpeg can read",
				   path);
	r = avformat_find_stream_info(ic, NULL);
	if (r < 0) {
		avformat_close_input(&ic);
		return wm__verr_av(WM_ERR_CORRUPT, r,
				   "%s: cannot read the stream headers", path);
	}
	*out = ic;
	return WM_OK;
}

int wm__video_find_stream(const AVFormatContext *ic)
{
	int best = -1;
	int64_t best_area = -1;

	for (unsigned i = 0; i < ic->nb_streams; i++) {
		const AVStream *st = ic->streams[i];
		const AVCodecParameters *p = st->codecpar;
		int64_t area = (int64_t)p->width * p->height;

		if (p->codec_type != AVMEDIA_TYPE_VIDEO ||
		    (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
			continue;
		if (st->disposition & AV_DISPOSITION_DEFAULT)
			area += INT64_C(1) << 40;
		if (area > best_area) {
			best = (int)i;
			best_area = area;
		}
	}
	return best;
}

wm_orientation wm__video_stream_orientation(const AVStream *st)
{
	size_t size = 0;
	const uint8_t *sd =
	    av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);

	if (!sd || size < 9 * sizeof(int32_t))
		return WM_ORIENT_NORMAL;
	return wm_orientation_from_display_matrix((const int32_t *)sd);
}

bool wm__orient_swaps(wm_orientation o)
{
	return o >= WM_ORIENT_TRANSPOSE && o <= WM_ORIENT_ROTATE_270;
}

static wm_status module_mark_file(wm_mark *m, const char *in, const char *out,
				  const wm_job *job)
{
	quiet_ffmpeg_once();
	return wm__video_do_mark(m, in, out, job);
}

static wm_status module_probe(const char *path, wm_media_info *info)
{
	quiet_ffmpeg_once();
	return wm__video_do_probe(path, info);
}

static const wm__video_module module_table = {
    .size = sizeof(wm__video_module),
    .abi = WM__VIDEO_ABI,
    .mark_file = module_mark_file,
    .probe = module_probe,
};

__attribute__((visibility("default"))) const wm__video_module *
wm_video_module_entry(const wm__video_host *host);

const wm__video_module *wm_video_module_entry(const wm__video_host *host)
{
	if (!host || host->abi != WM__VIDEO_ABI ||
	    host->size < sizeof(wm__video_host))
		return NULL;
	wm__vhost = host;
	return &module_table;
}

const char *wm__video_input_muxer(const AVFormatContext *ic)
{
	const AVDictionaryEntry *brand;

	if (strstr(ic->iformat->name, "matroska")) {
		/* WebM allows only these codecs; anything else needs the
		 * general Matroska muxer. */
		for (unsigned i = 0; i < ic->nb_streams; i++) {
			enum AVCodecID id = ic->streams[i]->codecpar->codec_id;

			if (id != AV_CODEC_ID_VP8 && id != AV_CODEC_ID_VP9 &&
			    id != AV_CODEC_ID_AV1 && id != AV_CODEC_ID_OPUS &&
			    id != AV_CODEC_ID_VORBIS &&
			    id != AV_CODEC_ID_WEBVTT)
				return "matroska";
		}
		return "webm";
	}
	if (!strstr(ic->iformat->name, "mp4"))
		return NULL;
	brand = av_dict_get(ic->metadata, "major_brand", NULL, 0);
	return brand && !strncmp(brand->value, "qt", 2) ? "mov" : "mp4";
}
