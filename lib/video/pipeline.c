/*
 * Marking a video file: demux, decode (frame threads), blend in the
 * decoder's own pixel format, encode, mux. Every other stream is copied
 * packet for packet, so audio stays byte-identical and in sync.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>

#include "watermark-ffmpeg.h"

#include "module.h"

/* Frames an encoder may hold back before returning their packets (x264's
 * lookahead and B-frames, libaom's lag) stay well below this. */
#define DURATIONS 512

/* A picture sent to the encoder: its time and how long it is shown. */
typedef struct frame_time {
	int64_t pts;
	int64_t duration;
} frame_time;

typedef struct vjob {
	wm_mark *mark;
	const wm__options *opts;
	const char *in;
	const wm_job *job;
	AVFormatContext *ic;
	AVFormatContext *oc;
	AVCodecContext *dec;
	AVCodecContext *enc;
	AVFrame *frame;
	AVFrame *turned;  /* upright copy when the pixels are rotated */
	AVFrame *scratch; /* writable copy of a shared decoded picture */
	AVPacket *pkt;
	AVPacket *epkt; /* encoder output */
	AVPacket *held; /* a packet flagged damaged, until its stream goes on */
	bool holding;
	int vin;	/* the input's video stream */
	int vout;	/* its output stream */
	int *map;	/* input stream -> output stream, -1 when dropped */
	int64_t *read;	/* packets read per input stream */
	AVPacket **cues; /* per input stream: a subtitle awaiting its end */
	unsigned nb_in; /* input streams known when the output was set up */
	wm_orientation orient;
	bool turn_pixels;
	bool mov_family;
	const wm__prepared *prep;
	wm_frame prep_frame; /* geometry the mark was prepared for */
	int64_t start_pts;
	frame_time durations[DURATIONS]; /* ring of the latest pictures */
	unsigned nb_sent;
	int64_t packets_in;
	int64_t done;
	int64_t total;
	double mark_seconds; /* rendering (first frame) and blending */
	double copy_seconds; /* copies of shared decoded pictures */
	wm__vout out;
	wm__av_tag tag; /* names FFmpeg's lines after the input */
} vjob;

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- choosing the container ---------------------------------------------- */

static const char *muxer_by_name(const char *name)
{
	static const char *const names[][2] = {
	    {"mp4", "mp4"},   {"m4v", "mp4"},	   {"mov", "mov"},
	    {"qt", "mov"},    {"mkv", "matroska"}, {"matroska", "matroska"},
	    {"webm", "webm"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i][0]))
			return names[i][1];
	return NULL;
}

static const char *muxer_of_input(const AVFormatContext *ic)
{
	const char *m = wm__video_input_muxer(ic);

	return m ? m : "mp4";
}

static wm_status choose_muxer(vjob *j, const char *out, const char **muxer)
{
	static const char *const by_option[] = {[WM__FMT_MP4] = "mp4",
						[WM__FMT_MOV] = "mov",
						[WM__FMT_MKV] = "matroska",
						[WM__FMT_WEBM] = "webm"};
	const char *asked = NULL, *dot = strrchr(out, '.');
	int64_t opt = wm__vhost->opt_int(j->opts, WM_OPT_FORMAT);

	if (j->job &&
	    j->job->size >= offsetof(wm_job, format) + sizeof(j->job->format))
		asked = j->job->format;
	if (!asked && opt != WM__FMT_AUTO)
		asked = opt >= WM__FMT_MP4 ? by_option[opt] : "image";
	if (asked) {
		*muxer = muxer_by_name(asked);
		if (!*muxer)
			return wm__verr(WM_ERR_UNSUPPORTED,
					"%s: cannot write video as '%s' (mp4, "
					"mov, mkv or webm)",
					out, asked);
		return WM_OK;
	}
	*muxer = dot && !strchr(dot, '/') ? muxer_by_name(dot + 1) : NULL;
	if (!*muxer)
		*muxer = muxer_of_input(j->ic);
	return WM_OK;
}

/* ---- streams ------------------------------------------------------------- */

static wm_status no_memory(const vjob *j)
{
	return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory", j->in);
}

static wm_status find_video(vjob *j)
{
	j->vin = wm__video_find_stream(j->ic);
	if (j->vin >= 0)
		return WM_OK;
	for (unsigned i = 0; i < j->ic->nb_streams; i++)
		if (j->ic->streams[i]->disposition &
		    AV_DISPOSITION_ATTACHED_PIC)
			return wm__verr(WM_ERR_NOT_FOUND,
					"%s: no video stream, only cover art",
					j->in);
	return wm__verr(WM_ERR_NOT_FOUND, "%s: no video stream%s", j->in,
			j->ic->nb_streams ? " (audio or data only)" : "");
}

static wm_status open_decoder(vjob *j)
{
	const AVStream *st = j->ic->streams[j->vin];
	const AVCodec *c = avcodec_find_decoder(st->codecpar->codec_id);
	int r;

	if (!c)
		return wm__verr(
		    WM_ERR_CODEC, "%s: no decoder for the video codec '%s'",
		    j->in, avcodec_get_name(st->codecpar->codec_id));
	j->dec = avcodec_alloc_context3(c);
	if (!j->dec || avcodec_parameters_to_context(j->dec, st->codecpar) < 0)
		return no_memory(j);
	j->dec->pkt_timebase = st->time_base;
	j->dec->opaque = &j->tag;
	j->dec->thread_count = (int)wm__vhost->opt_int(j->opts, WM_OPT_THREADS);
	j->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
	r = avcodec_open2(j->dec, c, NULL);
	if (r < 0)
		return wm__verr_av(WM_ERR_CODEC, r,
				   "%s: cannot open the %s decoder", j->in,
				   c->name);
	if (wm_pixel_format_from_av(j->dec->pix_fmt) == WM_PIX_NONE)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"%s: cannot mark video in pixel format %s",
				j->in,
				j->dec->pix_fmt == AV_PIX_FMT_NONE
				    ? "(unknown)"
				    : av_get_pix_fmt_name(j->dec->pix_fmt));
	return WM_OK;
}

/* Side data that describes the picture rather than the bitstream. */
static bool keep_side_data(const vjob *j, enum AVPacketSideDataType t)
{
	switch (t) {
	case AV_PKT_DATA_DISPLAYMATRIX: return !j->turn_pixels;
	case AV_PKT_DATA_MASTERING_DISPLAY_METADATA:
	case AV_PKT_DATA_CONTENT_LIGHT_LEVEL:
	case AV_PKT_DATA_STEREO3D:
	case AV_PKT_DATA_SPHERICAL: return true;
	default: return false;
	}
}

static wm_status copy_stream_info(vjob *j, const AVStream *ist, AVStream *ost,
				  bool all_side_data)
{
	ost->disposition = ist->disposition;
	if (av_dict_copy(&ost->metadata, ist->metadata, 0) < 0)
		return no_memory(j);
	for (int k = 0; k < ist->nb_side_data; k++) {
		const AVPacketSideData *sd = &ist->side_data[k];
		uint8_t *dst;

		if (!all_side_data && !keep_side_data(j, sd->type))
			continue;
		dst = av_stream_new_side_data(ost, sd->type, sd->size);
		if (!dst)
			return no_memory(j);
		memcpy(dst, sd->data, sd->size);
	}
	return WM_OK;
}

static wm_status add_copy_stream(vjob *j, unsigned i)
{
	const AVStream *ist = j->ic->streams[i];
	enum AVCodecID id = ist->codecpar->codec_id;
	AVStream *ost;

	if (avformat_query_codec(j->oc->oformat, id, FF_COMPLIANCE_NORMAL) !=
		1 &&
	    ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"%s: its %s audio cannot go into a %s file "
				"unchanged (audio is never re-encoded; choose "
				"another output format)",
				j->in, avcodec_get_name(id),
				j->oc->oformat->name);
	if (avformat_query_codec(j->oc->oformat, id, FF_COMPLIANCE_NORMAL) !=
	    1) {
		VLOG(WM_LOG_WARNING,
		     "%s: stream %u (%s) cannot go into a %s file; dropped",
		     j->in, i, avcodec_get_name(id), j->oc->oformat->name);
		return WM_OK;
	}
	ost = avformat_new_stream(j->oc, NULL);
	if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0)
		return no_memory(j);
	ost->codecpar->codec_tag = 0;
	ost->time_base = ist->time_base;
	j->map[i] = ost->index;
	return copy_stream_info(j, ist, ost, true);
}

static AVRational picture_sar(const vjob *j)
{
	const AVStream *st = j->ic->streams[j->vin];
	AVRational sar = st->sample_aspect_ratio;

	if (!sar.num || !sar.den)
		sar = j->dec->sample_aspect_ratio;
	if (!sar.num || !sar.den)
		sar = (AVRational){1, 1};
	if (j->turn_pixels && wm__orient_swaps(j->orient))
		sar = (AVRational){sar.den, sar.num};
	return sar;
}

static wm_status alloc_turned(vjob *j, int w, int h)
{
	j->turned = av_frame_alloc();
	if (!j->turned)
		return no_memory(j);
	j->turned->format = j->dec->pix_fmt;
	j->turned->width = w;
	j->turned->height = h;
	if (av_frame_get_buffer(j->turned, 0) < 0)
		return no_memory(j);
	return WM_OK;
}

/* The video stream's bit rate, else the whole file's (Matroska and WebM
 * record no per-stream rate), as an upper bound; 0 when neither is known. */
static int64_t input_bit_rate(const vjob *j)
{
	int64_t r = j->ic->streams[j->vin]->codecpar->bit_rate;

	return r > 0 ? r : (j->ic->bit_rate > 0 ? j->ic->bit_rate : 0);
}

static wm_status add_video_stream(vjob *j)
{
	AVStream *ist = j->ic->streams[j->vin], *ost;
	bool swap = j->turn_pixels && wm__orient_swaps(j->orient);
	wm__venc_in in = {
	    .name = j->in,
	    .opts = j->opts,
	    .ofmt = j->oc->oformat,
	    .dec = j->dec,
	    .ist = ist,
	    .frame_rate = av_guess_frame_rate(j->ic, ist, NULL),
	    .width = swap ? j->dec->height : j->dec->width,
	    .height = swap ? j->dec->width : j->dec->height,
	    .sar = picture_sar(j),
	    .global_header = j->oc->oformat->flags & AVFMT_GLOBALHEADER,
	    .in_bit_rate = input_bit_rate(j),
	    .tag = &j->tag,
	};
	wm_status s = wm__video_open_encoder(&in, &j->enc);

	if (s == WM_OK && j->turn_pixels)
		s = alloc_turned(j, in.width, in.height);
	if (s != WM_OK)
		return s;
	ost = avformat_new_stream(j->oc, NULL);
	if (!ost || avcodec_parameters_from_context(ost->codecpar, j->enc) < 0)
		return no_memory(j);
	if (j->mov_family && j->enc->codec_id == AV_CODEC_ID_HEVC)
		ost->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
	ost->time_base = j->enc->time_base;
	ost->avg_frame_rate = ist->avg_frame_rate;
	ost->sample_aspect_ratio = in.sar;
	j->vout = ost->index;
	j->map[j->vin] = ost->index;
	s = copy_stream_info(j, ist, ost, false);
	av_dict_set(&ost->metadata, "encoder", NULL, 0);
	return s;
}

/* Output streams in the input's order, so that players and tools that
 * address streams by index see the same layout. */
static wm_status add_streams(vjob *j)
{
	wm_status s = WM_OK;

	for (unsigned i = 0; s == WM_OK && i < j->ic->nb_streams; i++)
		s = (int)i == j->vin ? add_video_stream(j)
				     : add_copy_stream(j, i);
	return s;
}

/* ---- header and metadata ------------------------------------------------- */

/*
 * FFmpeg's MOV muxer writes no `description` tag: of the two it keeps only
 * `comment` (as QuickTime's description and comment atoms), so in MOV the
 * comment carries the whole description, source type URL included, which
 * is what probing looks for. MP4, Matroska and WebM keep both tags.
 */
static const char *comment_text(const vjob *j, const char *desc)
{
	if (!strcmp(j->oc->oformat->name, "mov"))
		return desc;
	return wm__vhost->mark_disclosure(j->mark);
}

static wm_status set_metadata(vjob *j)
{
	AVDictionary **md = &j->oc->metadata;
	char desc[1024];

	if (av_dict_copy(md, j->ic->metadata, 0) < 0)
		return no_memory(j);
	av_dict_set(md, "major_brand", NULL, 0);
	av_dict_set(md, "minor_version", NULL, 0);
	av_dict_set(md, "compatible_brands", NULL, 0);
	if (!wm__vhost->opt_int(j->opts, WM_OPT_METADATA))
		return WM_OK;
	snprintf(desc, sizeof(desc),
		 "%s (digital source type: "
		 "http://cv.iptc.org/newscodes/digitalsourcetype/%s)",
		 wm__vhost->mark_disclosure(j->mark),
		 wm__vhost->opt_str(j->opts, WM_OPT_SOURCE_TYPE));
	if (av_dict_set(md, "comment", comment_text(j, desc), 0) < 0 ||
	    av_dict_set(md, "description", desc, 0) < 0)
		return no_memory(j);
	return WM_OK;
}

/*
 * The MP4 muxer writes edit lists (start offsets) in the movie timescale,
 * 1000 by default, which moves a stream starting at 1024/44100 s by a few
 * samples. A movie timescale that every stream's time base divides keeps
 * the offsets exact.
 */
static void set_movie_timescale(vjob *j, AVDictionary **mo)
{
	int64_t scale = 1000;
	char num[24];

	for (unsigned i = 0; i < j->oc->nb_streams; i++) {
		AVRational tb = j->oc->streams[i]->time_base;

		if (tb.num != 1 || tb.den <= 0)
			return;
		scale = scale / av_gcd(scale, tb.den) * tb.den;
		if (scale > INT32_MAX)
			return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)scale);
	av_dict_set(mo, "movie_timescale", num, 0);
}

static wm_status write_header(vjob *j)
{
	AVDictionary *mo = NULL;
	int r;

	if (!(j->oc->oformat->flags & AVFMT_NOFILE)) {
		r = avio_open(&j->oc->pb, j->out.write_path, AVIO_FLAG_WRITE);
		if (r < 0)
			return wm__verr_av(WM_ERR_IO, r, "%s: cannot open",
					   j->out.final_path);
	}
	if (j->mov_family)
		av_dict_set(&mo, "movflags",
			    j->out.is_stream
				? "+frag_keyframe+empty_moov+default_base_moof"
				: "+faststart",
			    0);
	if (j->mov_family)
		set_movie_timescale(j, &mo);
	r = avformat_write_header(j->oc, &mo);
	av_dict_free(&mo);
	if (r < 0)
		return wm__verr_av(WM_ERR_IO, r,
				   "%s: cannot start the %s output",
				   j->out.final_path, j->oc->oformat->name);
	return WM_OK;
}

/* ---- marking ------------------------------------------------------------- */

static wm_status prepare_mark(vjob *j, const wm_frame *f)
{
	const wm_frame *p = &j->prep_frame;

	/* The mark is converted for one colour space: a stream that switches
	 * matrix, range or transfer mid-way needs it converted again. */
	if (j->prep && (f->matrix != p->matrix || f->range != p->range ||
			f->transfer != p->transfer)) {
		wm__vhost->mark_release(j->mark, j->prep);
		j->prep = NULL;
	}
	if (!j->prep) {
		wm_status s;

		j->prep_frame = *f;
		s = wm__vhost->mark_acquire(j->mark, f, NULL, &j->prep);
		if (s != WM_OK)
			j->prep = NULL;
		return s == WM_OK ? s : wm__vhost->error_prefix(s, j->in);
	}
	if (f->width != p->width || f->height != p->height ||
	    f->format != p->format)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"%s: the picture changes from %dx%d to %dx%d "
				"mid-stream",
				j->in, p->width, p->height, f->width,
				f->height);
	return WM_OK;
}

/* Describes a decoded picture; tags the decoder left unset come from the
 * stream. */
static wm_status describe(vjob *j, const AVFrame *f, wm_frame *wf)
{
	if (wm_frame_from_avframe(wf, f) != 0)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"%s: cannot mark video in pixel format %s",
				j->in, av_get_pix_fmt_name(f->format));
	if (f->colorspace == AVCOL_SPC_UNSPECIFIED)
		wf->matrix = wm_matrix_from_av(j->dec->colorspace);
	if (f->color_trc == AVCOL_TRC_UNSPECIFIED)
		wf->transfer = wm_transfer_from_av(j->dec->color_trc);
	wf->orientation = j->turn_pixels ? WM_ORIENT_NORMAL : j->orient;
	if (!wf->sar_num || !wf->sar_den) {
		AVRational sar = picture_sar(j);

		wf->sar_num = sar.num;
		wf->sar_den = sar.den;
	}
	return WM_OK;
}

/*
 * A picture the mark may be drawn on. Decoders keep references to the
 * frames they return, so a shared one is copied into a scratch frame that
 * is reused from frame to frame (the encoders copy their input, so it is
 * free again by the next frame; av_frame_make_writable covers any that
 * does not), which avoids a fresh allocation and its page faults per frame.
 */
static wm_status writable_picture(vjob *j, AVFrame **f)
{
	AVFrame *src = *f;

	if (av_frame_is_writable(src))
		return WM_OK;
	if (!j->scratch) {
		j->scratch = av_frame_alloc();
		if (!j->scratch)
			return no_memory(j);
		j->scratch->format = src->format;
		j->scratch->width = src->width;
		j->scratch->height = src->height;
		if (av_frame_get_buffer(j->scratch, 0) < 0)
			return no_memory(j);
	}
	if (src->width != j->scratch->width ||
	    src->height != j->scratch->height ||
	    src->format != j->scratch->format)
		return wm__verr(WM_ERR_UNSUPPORTED,
				"%s: the picture changes size or format "
				"mid-stream",
				j->in);
	if (av_frame_make_writable(j->scratch) < 0 ||
	    av_frame_copy(j->scratch, src) < 0 ||
	    av_frame_copy_props(j->scratch, src) < 0)
		return no_memory(j);
	*f = j->scratch;
	return WM_OK;
}

/* Marks *f (which may be replaced by a writable copy) at time `pts`. */
static wm_status mark_picture(vjob *j, AVFrame **f, int64_t pts)
{
	AVRational tb = j->ic->streams[j->vin]->time_base;
	double t =
	    pts == AV_NOPTS_VALUE ? 0 : (pts - j->start_pts) * av_q2d(tb);
	unsigned alpha = wm__vhost->mark_alpha_at(j->mark, t);
	double t0 = now_seconds(), t1;
	wm_frame wf;
	wm_status s;

	if (alpha == 0)
		return WM_OK;
	s = writable_picture(j, f);
	t1 = now_seconds();
	j->copy_seconds += t1 - t0;
	if (s == WM_OK)
		s = describe(j, *f, &wf);
	if (s == WM_OK)
		s = prepare_mark(j, &wf);
	if (s != WM_OK)
		return s;
	for (int i = 0; i < j->prep->count; i++)
		wm__vhost->layer_apply(j->prep->items[i].layer, &wf, 0, alpha);
	j->mark_seconds += now_seconds() - t1;
	return WM_OK;
}

/* ---- the packet loop ----------------------------------------------------- */

/*
 * FFmpeg 5.1's encoders return packets without a duration, and the MP4
 * muxer then guesses how long the last picture is shown (0.205 s instead of
 * 0.196 s for a three-frame clip). The input's durations, looked up by
 * time stamp, keep each picture's as it was. The encoder's time base is
 * the input stream's, so the times compare as they are.
 */
static void remember_duration(vjob *j, int64_t pts, int64_t duration)
{
	frame_time *t = &j->durations[j->nb_sent++ % DURATIONS];

	t->pts = pts;
	t->duration = duration;
}

static int64_t duration_of(const vjob *j, int64_t pts)
{
	unsigned n = j->nb_sent < DURATIONS ? j->nb_sent : DURATIONS;

	for (unsigned k = 1; k <= n; k++) {
		const frame_time *t =
		    &j->durations[(j->nb_sent - k) % DURATIONS];

		if (t->pts == pts)
			return t->duration > 0 ? t->duration : 0;
	}
	return 0;
}

static wm_status drain_encoder(vjob *j)
{
	AVStream *ost = j->oc->streams[j->vout];
	int r;

	while ((r = avcodec_receive_packet(j->enc, j->epkt)) >= 0) {
		j->epkt->stream_index = j->vout;
		if (j->epkt->duration <= 0 && j->epkt->pts != AV_NOPTS_VALUE)
			j->epkt->duration = duration_of(j, j->epkt->pts);
		av_packet_rescale_ts(j->epkt, j->enc->time_base,
				     ost->time_base);
		r = av_interleaved_write_frame(j->oc, j->epkt);
		if (r < 0)
			return wm__verr_av(WM_ERR_IO, r, "%s: cannot write",
					   j->out.final_path);
	}
	if (r != AVERROR(EAGAIN) && r != AVERROR_EOF)
		return wm__verr_av(WM_ERR_CODEC, r, "%s: encoder %s failed",
				   j->in, j->enc->codec->name);
	return WM_OK;
}

static wm_status encode(vjob *j, AVFrame *f)
{
	int r = avcodec_send_frame(j->enc, f);

	if (r < 0 && r != AVERROR_EOF)
		return wm__verr_av(WM_ERR_CODEC, r, "%s: encoder %s failed",
				   j->in, j->enc->codec->name);
	return drain_encoder(j);
}

static wm_status report_progress(vjob *j)
{
	const wm_job *job = j->job;

	j->done++;
	if (!job || !job->progress)
		return WM_OK;
	if (job->progress(job->user, j->done, j->total))
		return wm__verr(WM_ERR_CANCELLED,
				"%s: cancelled by the progress callback after "
				"%lld frames",
				j->in, (long long)j->done);
	return WM_OK;
}

static wm_status turn_picture(vjob *j, AVFrame *f)
{
	if (av_frame_make_writable(j->turned) < 0 ||
	    av_frame_copy_props(j->turned, f) < 0)
		return no_memory(j);
	j->turned->sample_aspect_ratio = picture_sar(j);
	return wm__video_rotate(f, j->turned, j->orient);
}

static wm_status process_frame(vjob *j, AVFrame *f)
{
	int64_t pts = f->best_effort_timestamp;
	AVFrame *out = f;
	wm_status s = WM_OK;

	if (j->start_pts == AV_NOPTS_VALUE)
		j->start_pts = pts;
	f->pts = pts;
	if (j->turn_pixels) {
		s = turn_picture(j, f);
		out = j->turned;
	}
	if (s == WM_OK)
		s = mark_picture(j, &out, pts);
	out->pict_type = AV_PICTURE_TYPE_NONE;
	remember_duration(j, pts, f->pkt_duration);
	if (s == WM_OK)
		s = encode(j, out);
	return s == WM_OK ? report_progress(j) : s;
}

static wm_status decode(vjob *j, const AVPacket *pkt)
{
	int r = avcodec_send_packet(j->dec, pkt);

	if (r < 0 && r != AVERROR_EOF)
		return wm__verr_av(
		    WM_ERR_CORRUPT, r,
		    "%s: video frame %lld is corrupt or cut short", j->in,
		    (long long)j->packets_in);
	for (;;) {
		wm_status s;

		r = avcodec_receive_frame(j->dec, j->frame);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return WM_OK;
		if (r < 0)
			return wm__verr_av(WM_ERR_CORRUPT, r,
					   "%s: cannot decode the video",
					   j->in);
		s = process_frame(j, j->frame);
		av_frame_unref(j->frame);
		if (s != WM_OK)
			return s;
	}
}

static wm_status write_copy(vjob *j, AVPacket *pkt)
{
	int to = j->map[pkt->stream_index];
	int r;

	av_packet_rescale_ts(pkt, j->ic->streams[pkt->stream_index]->time_base,
			     j->oc->streams[to]->time_base);
	pkt->stream_index = to;
	pkt->pos = -1;
	r = av_interleaved_write_frame(j->oc, pkt);
	av_packet_unref(pkt);
	if (r < 0)
		return wm__verr_av(WM_ERR_IO, r, "%s: cannot write",
				   j->out.final_path);
	return WM_OK;
}

/*
 * FFmpeg 5.1's MP4 demuxer gives the subtitles of a fragmented file no
 * durations, and its MP4 muxer reads a subtitle without one as shown for
 * no time at all (it fills the gap to the next one with an empty cue), so
 * copied as they come the cues of such a file would never show. A cue
 * lasts until the next one of its stream (the MP4 definition), so it is
 * held until that one arrives; the last lasts until the input's end.
 */
static bool needs_end(const vjob *j, const AVPacket *pkt)
{
	const AVStream *st = j->ic->streams[pkt->stream_index];

	return j->mov_family && pkt->duration <= 0 &&
	       pkt->dts != AV_NOPTS_VALUE &&
	       st->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE;
}

static bool holds_cue(const vjob *j, unsigned i)
{
	return j->cues[i] && j->cues[i]->dts != AV_NOPTS_VALUE;
}

static wm_status copy_packet(vjob *j, AVPacket *pkt)
{
	AVPacket **cue = &j->cues[pkt->stream_index];
	wm_status s = WM_OK;

	if (j->map[pkt->stream_index] < 0)
		return WM_OK;
	if (holds_cue(j, pkt->stream_index)) {
		if (pkt->dts != AV_NOPTS_VALUE && pkt->dts > (*cue)->dts)
			(*cue)->duration = pkt->dts - (*cue)->dts;
		s = write_copy(j, *cue);
	}
	if (s != WM_OK || !needs_end(j, pkt))
		return s != WM_OK ? s : write_copy(j, pkt);
	if (!*cue && !(*cue = av_packet_alloc()))
		return no_memory(j);
	av_packet_move_ref(*cue, pkt);
	return WM_OK;
}

/* The last cue of each subtitle stream, shown until the input's end. */
static wm_status copy_last_cues(vjob *j)
{
	wm_status s = WM_OK;

	for (unsigned i = 0; s == WM_OK && i < j->nb_in; i++) {
		const AVStream *st = j->ic->streams[i];
		AVPacket *cue = j->cues[i];
		int64_t end;

		if (!holds_cue(j, i))
			continue;
		end = st->duration > 0 && st->start_time != AV_NOPTS_VALUE
			  ? st->start_time + st->duration
			  : AV_NOPTS_VALUE;
		if (end != AV_NOPTS_VALUE && end > cue->dts)
			cue->duration = end - cue->dts;
		s = write_copy(j, cue);
	}
	return s;
}

/* A container index that promises more video than the file holds means
 * the file was cut short. */
static wm_status check_stream_complete(vjob *j, unsigned i)
{
	const AVStream *st = j->ic->streams[i];

	if (st->nb_frames <= 0 || j->read[i] >= st->nb_frames)
		return WM_OK;
	return wm__verr(WM_ERR_CORRUPT,
			"%s: truncated: %lld of %lld %s packets present", j->in,
			(long long)j->read[i], (long long)st->nb_frames,
			av_get_media_type_string(st->codecpar->codec_type));
}

static wm_status check_complete(vjob *j, int read_status)
{
	wm_status s = WM_OK;

	if (read_status != AVERROR_EOF)
		return wm__verr_av(WM_ERR_CORRUPT, read_status,
				   "%s: read error after %lld video frames",
				   j->in, (long long)j->packets_in);
	if (j->ic->pb && j->ic->pb->error)
		return wm__verr(WM_ERR_CORRUPT, "%s: read error", j->in);
	for (unsigned i = 0; s == WM_OK && i < j->nb_in; i++)
		if (j->map[i] >= 0)
			s = check_stream_complete(j, i);
	if (s == WM_OK && j->done == 0)
		s = wm__verr(WM_ERR_CORRUPT, "%s: no video frame decodes",
			     j->in);
	return s;
}

/* The demuxer flags a packet that the file ends in the middle of. */
static wm_status incomplete(vjob *j, int stream)
{
	return wm__verr(WM_ERR_CORRUPT,
			"%s: truncated or damaged: a packet of stream %d is "
			"incomplete",
			j->in, stream);
}

static wm_status route_packet(vjob *j, AVPacket *pkt)
{
	if ((unsigned)pkt->stream_index >= j->nb_in)
		return WM_OK; /* a stream that appeared after the header */
	j->read[pkt->stream_index]++;
	if (pkt->stream_index != j->vin)
		return copy_packet(j, pkt);
	j->packets_in++;
	return decode(j, pkt);
}

/*
 * Demuxers flag a packet damaged when the file ends inside it, and also at
 * a discontinuity whose packet is whole: the junction of MPEG-TS files
 * joined byte for byte flags the last picture before it. So a flagged
 * packet is held until its stream goes on, which proves that the file did
 * not end there, and the decoder then takes it like any other (as the
 * ffmpeg program does); a file that ends while one is held was cut short.
 * A second stream flagged while one is held is taken as damage.
 */
static wm_status route_or_hold(vjob *j, AVPacket *pkt)
{
	wm_status s = WM_OK;

	if (j->holding && pkt->stream_index == j->held->stream_index) {
		j->holding = false;
		s = route_packet(j, j->held);
		av_packet_unref(j->held);
	}
	if (s != WM_OK || !(pkt->flags & AV_PKT_FLAG_CORRUPT))
		return s != WM_OK ? s : route_packet(j, pkt);
	if (j->holding)
		return incomplete(j, pkt->stream_index);
	if (!j->held && !(j->held = av_packet_alloc()))
		return no_memory(j);
	av_packet_move_ref(j->held, pkt);
	j->holding = true;
	return WM_OK;
}

static wm_status run(vjob *j)
{
	wm_status s = WM_OK;
	int r;

	while (s == WM_OK && (r = av_read_frame(j->ic, j->pkt)) >= 0) {
		s = route_or_hold(j, j->pkt);
		av_packet_unref(j->pkt);
	}
	if (s == WM_OK && j->holding)
		s = incomplete(j, j->held->stream_index);
	if (s != WM_OK)
		return s;
	s = decode(j, NULL);
	if (s == WM_OK)
		s = check_complete(j, r);
	if (s == WM_OK)
		s = encode(j, NULL);
	if (s == WM_OK)
		s = copy_last_cues(j);
	if (s == WM_OK && (r = av_write_trailer(j->oc)) < 0)
		return wm__verr_av(WM_ERR_IO, r, "%s: cannot finish",
				   j->out.final_path);
	return s;
}

/* ---- setup and teardown -------------------------------------------------- */

static wm_status open_output(vjob *j, const char *out)
{
	const char *muxer;
	wm_status s;
	int r;

	s = choose_muxer(j, out, &muxer);
	if (s == WM_OK)
		s = wm__vout_begin(&j->out, j->in, out, j->job);
	if (s != WM_OK)
		return s;
	r = avformat_alloc_output_context2(&j->oc, NULL, muxer,
					   j->out.write_path);
	if (r < 0)
		return wm__verr_av(WM_ERR_UNSUPPORTED, r,
				   "%s: no %s muxer in this FFmpeg", out,
				   muxer);
	j->oc->opaque = &j->tag;
	j->mov_family = !strcmp(muxer, "mp4") || !strcmp(muxer, "mov");
	j->orient = wm__video_stream_orientation(j->ic->streams[j->vin]);
	j->turn_pixels = j->orient != WM_ORIENT_NORMAL && !j->mov_family;
	j->map = wm__vhost->malloc(j->ic->nb_streams * sizeof(int));
	j->read = wm__vhost->calloc(j->ic->nb_streams, sizeof(int64_t));
	j->cues = wm__vhost->calloc(j->ic->nb_streams, sizeof(AVPacket *));
	if (!j->map || !j->read || !j->cues)
		return no_memory(j);
	j->nb_in = j->ic->nb_streams;
	for (unsigned i = 0; i < j->ic->nb_streams; i++)
		j->map[i] = -1;
	return WM_OK;
}

/* A time range that ends before it starts, or where it starts, would
 * never show the mark while the metadata announces it. The mark refuses it
 * when it is first rendered, which for a video is after the output file
 * exists; checked here first so that nothing is created. */
static wm_status check_time_range(const vjob *j)
{
	double start = wm__vhost->opt_double(j->opts, WM_OPT_START);
	double end = wm__vhost->opt_double(j->opts, WM_OPT_END);

	if (end < 0 || end > start)
		return WM_OK;
	return wm__verr(WM_ERR_BAD_VALUE,
			"%s: the mark's time range ends (end=%g s) %s it "
			"starts (start=%g s), so it would never show",
			j->in, end, end < start ? "before" : "where", start);
}

static wm_status setup(vjob *j, const char *out)
{
	wm_status s = check_time_range(j);

	if (s == WM_OK)
		s = wm__video_open_input(j->in, &j->tag, &j->ic);
	if (s == WM_OK)
		s = wm__video_check_length(j->in, j->ic);
	if (s == WM_OK)
		s = find_video(j);
	if (s == WM_OK)
		s = open_decoder(j);
	if (s == WM_OK) {
		wm__video_hdr_from_bitstream(j->in, j->ic->streams[j->vin]);
		s = open_output(j, out);
	}
	if (s != WM_OK)
		return s;
	j->frame = av_frame_alloc();
	j->pkt = av_packet_alloc();
	j->epkt = av_packet_alloc();
	if (!j->frame || !j->pkt || !j->epkt)
		return no_memory(j);
	j->total = j->ic->streams[j->vin]->nb_frames > 0
		       ? j->ic->streams[j->vin]->nb_frames
		       : -1;
	s = add_streams(j);
	if (s == WM_OK)
		s = set_metadata(j);
	return s == WM_OK ? write_header(j) : s;
}

static void teardown(vjob *j)
{
	if (j->prep)
		wm__vhost->mark_release(j->mark, j->prep);
	avcodec_free_context(&j->dec);
	/* An encoder left mid-stream (cancelled or failed) is told the stream
	 * ends before it is closed, which SVT-AV1 otherwise complains of on
	 * stderr; after a finished encode this is a no-op. */
	if (j->enc && avcodec_is_open(j->enc))
		avcodec_send_frame(j->enc, NULL);
	avcodec_free_context(&j->enc);
	av_frame_free(&j->frame);
	av_frame_free(&j->turned);
	av_frame_free(&j->scratch);
	av_packet_free(&j->pkt);
	av_packet_free(&j->epkt);
	av_packet_free(&j->held);
	if (j->oc && j->oc->pb && !(j->oc->oformat->flags & AVFMT_NOFILE))
		avio_closep(&j->oc->pb);
	avformat_free_context(j->oc);
	avformat_close_input(&j->ic);
	for (unsigned i = 0; j->cues && i < j->nb_in; i++)
		av_packet_free(&j->cues[i]);
	wm__vhost->free(j->map);
	wm__vhost->free(j->read);
	wm__vhost->free(j->cues);
}

/* For benchmarks: the share of the job spent marking, and copying the
 * decoder's shared pictures so that they can be marked. */
static void log_timing(const vjob *j, double total)
{
	VLOG(WM_LOG_DEBUG,
	     "%s: %lld frames in %.3f s; marking took %.3f s (%.2f%%), "
	     "copying shared decoded pictures %.3f s (%.2f%%)",
	     j->in, (long long)j->done, total, j->mark_seconds,
	     100.0 * j->mark_seconds / total, j->copy_seconds,
	     100.0 * j->copy_seconds / total);
}

wm_status wm__video_do_mark(wm_mark *m, const char *in, const char *out,
			    const wm_job *job)
{
	vjob j = {.mark = m, .in = in, .job = job, .vin = -1, .vout = -1};
	double t0 = now_seconds();
	wm_status s;

	j.opts = wm__vhost->mark_options(m);
	j.start_pts = AV_NOPTS_VALUE;
	wm__av_tag_add(&j.tag, in);
	s = setup(&j, out);
	if (s == WM_OK)
		s = run(&j);
	if (s == WM_OK)
		log_timing(&j, now_seconds() - t0);
	/* The codec threads are joined and the contexts freed: nothing that
	 * carries the tag can log after teardown. */
	teardown(&j);
	wm__av_tag_remove(&j.tag);
	if (s == WM_OK)
		return wm__vout_commit(&j.out);
	wm__vout_abort(&j.out);
	return s;
}
