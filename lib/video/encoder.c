/*
 * Encoder choice and settings of the video module.
 */
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "module.h"

/* Encoders of one codec family, best first, with the settings that make
 * them fast enough for marking (libaom's defaults take minutes for seconds
 * of video, hence its realtime mode). */
typedef struct family {
	enum AVCodecID id;
	const char *encoders[2];
} family;

static const family families[] = {
    {AV_CODEC_ID_H264, {"libx264", NULL}},
    {AV_CODEC_ID_HEVC, {"libx265", NULL}},
    {AV_CODEC_ID_VP9, {"libvpx-vp9", NULL}},
    {AV_CODEC_ID_VP8, {"libvpx", NULL}},
    {AV_CODEC_ID_AV1, {"libsvtav1", "libaom-av1"}},
    {AV_CODEC_ID_FFV1, {"ffv1", NULL}},
    {AV_CODEC_ID_MPEG4, {"mpeg4", NULL}},
    {AV_CODEC_ID_PRORES, {"prores_ks", NULL}},
    {AV_CODEC_ID_MJPEG, {"mjpeg", NULL}},
};

static bool takes_pix_fmt(const AVCodec *c, enum AVPixelFormat f)
{
	if (!c->pix_fmts)
		return true;
	for (const enum AVPixelFormat *p = c->pix_fmts; *p != AV_PIX_FMT_NONE;
	     p++)
		if (*p == f)
			return true;
	return false;
}

/* An encoder that exists, goes into the container and takes the
 * decoder's pixel format (which the mark never changes). */
static const AVCodec *usable(const char *name, const wm__venc_in *in)
{
	const AVCodec *c = avcodec_find_encoder_by_name(name);

	if (!c || c->type != AVMEDIA_TYPE_VIDEO)
		return NULL;
	if (avformat_query_codec(in->ofmt, c->id, FF_COMPLIANCE_NORMAL) != 1)
		return NULL;
	return takes_pix_fmt(c, in->dec->pix_fmt) ? c : NULL;
}

static const AVCodec *family_encoder(const wm__venc_in *in)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (families[i].id != in->dec->codec_id)
			continue;
		for (int k = 0; k < 2 && families[i].encoders[k]; k++) {
			const AVCodec *c = usable(families[i].encoders[k], in);

			if (c)
				return c;
		}
	}
	return NULL;
}

/* The codec a container is usually paired with. */
static const AVCodec *natural_encoder(const wm__venc_in *in)
{
	static const char *const candidates[] = {
	    "libx264", "libvpx-vp9", "libx265", "libsvtav1", "ffv1"};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]);
	     i++) {
		const AVCodec *c = usable(candidates[i], in);

		if (c)
			return c;
	}
	return NULL;
}

static wm_status choose_encoder(const wm__venc_in *in, const AVCodec **out)
{
	const char *asked = wm__vhost->opt_str(in->opts, WM_OPT_ENCODER);
	const char *fmt = av_get_pix_fmt_name(in->dec->pix_fmt);
	const AVCodec *c;

	if (asked[0]) {
		c = avcodec_find_encoder_by_name(asked);
		if (!c || c->type != AVMEDIA_TYPE_VIDEO)
			return wm__verr(WM_ERR_CODEC,
					"%s: video encoder '%s' is not "
					"available in this FFmpeg",
					in->name, asked);
		if (!takes_pix_fmt(c, in->dec->pix_fmt))
			return wm__verr(WM_ERR_CODEC,
					"%s: encoder '%s' cannot encode the "
					"video's pixel format %s",
					in->name, asked, fmt ? fmt : "?");
		*out = c;
		return WM_OK;
	}
	c = family_encoder(in);
	if (!c) {
		c = natural_encoder(in);
		if (!c)
			return wm__verr(WM_ERR_CODEC,
					"%s: no available encoder for %s video "
					"in pixel format %s for this container",
					in->name,
					avcodec_get_name(in->dec->codec_id),
					fmt ? fmt : "?");
		VLOG(WM_LOG_WARNING,
		     "%s: no %s encoder for this container; encoding with %s",
		     in->name, avcodec_get_name(in->dec->codec_id), c->name);
	}
	*out = c;
	return WM_OK;
}

/* Copies what the encoder must keep from the input: size, timing, pixel
 * format, colour tags, pixel aspect and field order. */
static void copy_properties(AVCodecContext *enc, const wm__venc_in *in)
{
	const AVCodecContext *dec = in->dec;
	int threads = (int)wm__vhost->opt_int(in->opts, WM_OPT_THREADS);

	enc->width = in->width;
	enc->height = in->height;
	enc->pix_fmt = dec->pix_fmt;
	enc->time_base = in->ist->time_base;
	enc->framerate = in->frame_rate;
	enc->sample_aspect_ratio = in->sar;
	enc->color_primaries = dec->color_primaries;
	enc->color_trc = dec->color_trc;
	enc->colorspace = dec->colorspace;
	enc->color_range = dec->color_range;
	enc->chroma_sample_location = dec->chroma_sample_location;
	enc->field_order = dec->field_order;
	if (dec->field_order != AV_FIELD_UNKNOWN &&
	    dec->field_order != AV_FIELD_PROGRESSIVE)
		enc->flags |=
		    AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME;
	if (in->global_header)
		enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	enc->thread_count = threads;
}

static int64_t scaled(AVRational r, int unit)
{
	return r.den ? (int64_t)r.num * unit / r.den : 0;
}

/* x265 and x264 take HDR10 metadata only through their parameters: FFmpeg
 * 5.1's wrappers do not pass the stream's side data on. Both use the same
 * syntax and units (chromaticity in 0.00002, luminance in 0.0001 cd/m2) and
 * differ only in the option names. */
static void hdr_params(const AVStream *st, bool x264, char *buf, size_t size)
{
	const AVMasteringDisplayMetadata *md;
	const AVContentLightMetadata *cl;
	size_t used = strlen(buf);

	md = (const void *)av_stream_get_side_data(
	    st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, NULL);
	if (md && md->has_primaries && md->has_luminance && used < size) {
		const AVRational(*p)[2] = md->display_primaries;

		used += snprintf(
		    buf + used, size - used,
		    ":%s=G(%lld,%lld)B(%lld,%lld)R(%lld,%lld)"
		    "WP(%lld,%lld)L(%lld,%lld)",
		    x264 ? "mastering-display" : "master-display",
		    (long long)scaled(p[1][0], 50000),
		    (long long)scaled(p[1][1], 50000),
		    (long long)scaled(p[2][0], 50000),
		    (long long)scaled(p[2][1], 50000),
		    (long long)scaled(p[0][0], 50000),
		    (long long)scaled(p[0][1], 50000),
		    (long long)scaled(md->white_point[0], 50000),
		    (long long)scaled(md->white_point[1], 50000),
		    (long long)scaled(md->max_luminance, 10000),
		    (long long)scaled(md->min_luminance, 10000));
	}
	cl = (const void *)av_stream_get_side_data(
	    st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, NULL);
	if (cl && used < size)
		snprintf(buf + used, size - used, ":%s=%u,%u",
			 x264 ? "cll" : "max-cll", cl->MaxCLL, cl->MaxFALL);
}

/* Our x265 parameters: silence (x265 prints to stderr by itself), thread
 * pools capped by the threads option, HDR metadata, then the caller's. */
static void x265_params(const wm__venc_in *in, AVDictionary **d)
{
	const AVDictionaryEntry *user = av_dict_get(*d, "x265-params", NULL, 0);
	int threads = (int)wm__vhost->opt_int(in->opts, WM_OPT_THREADS);
	char buf[1024] = "log-level=none";
	size_t used;

	if (threads > 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 ":pools=%d:frame-threads=%d", threads,
			 threads < 4 ? threads : 4);
	hdr_params(in->ist, false, buf, sizeof(buf));
	used = strlen(buf);
	if (user && user->value[0])
		snprintf(buf + used, sizeof(buf) - used, ":%s", user->value);
	av_dict_set(d, "x265-params", buf, 0);
}

static void set_default(AVDictionary **d, const char *key, const char *v)
{
	av_dict_set(d, key, v, AV_DICT_DONT_OVERWRITE);
}

/* Our x264 parameters: HDR metadata, then the caller's (which win, as x264
 * applies them in order). */
static void x264_params(const wm__venc_in *in, AVDictionary **d)
{
	const AVDictionaryEntry *user = av_dict_get(*d, "x264-params", NULL, 0);
	char buf[1024] = "";
	size_t used;

	hdr_params(in->ist, true, buf, sizeof(buf));
	used = strlen(buf);
	if (user && user->value[0])
		snprintf(buf + used, sizeof(buf) - used, ":%s", user->value);
	if (buf[0])
		av_dict_set(d, "x264-params", buf + 1, 0);
}

/*
 * libvpx's VP8 has no constant quality mode: with a CRF it runs constrained
 * quality, where the bit rate is a ceiling, and FFmpeg's wrapper picks 256
 * kbit/s (with a warning) when none is given, which makes most video
 * blocky. The ceiling here is generous so that the CRF decides: four times
 * the input's rate, or 0.2 bit per pixel when that is unknown (12
 * Mbit/s for 1920x1080 at 30 frames/s). A bit rate `b` in encoder-params
 * is applied after this one and wins.
 */
static int64_t vp8_bit_rate_cap(const wm__venc_in *in)
{
	AVRational fps = in->frame_rate;
	int64_t pixels = (int64_t)in->width * in->height;

	if (in->in_bit_rate > 0)
		return in->in_bit_rate * 4;
	if (fps.num <= 0 || fps.den <= 0)
		fps = (AVRational){30, 1};
	return av_rescale(pixels, fps.num, (int64_t)fps.den * 5);
}

/* Quality, speed and codec-specific defaults. The caller's encoder-params
 * are already in `d` and win over everything here. */
static void codec_settings(AVCodecContext *enc, const wm__venc_in *in,
			   AVDictionary **d)
{
	const char *name = enc->codec->name;
	const char *preset = wm__vhost->opt_str(in->opts, WM_OPT_PRESET);
	int crf = (int)wm__vhost->opt_int(in->opts, WM_OPT_CRF);
	char num[16];

	if (crf >= 0) {
		snprintf(num, sizeof(num), "%d", crf);
		set_default(d, "crf", num);
	}
	if (!strcmp(name, "libx264") || !strcmp(name, "libx265")) {
		set_default(d, "preset", preset[0] ? preset : "veryfast");
		if (!strcmp(name, "libx265"))
			x265_params(in, d);
		else
			x264_params(in, d);
	} else if (!strncmp(name, "libvpx", 6)) {
		enc->bit_rate = strcmp(name, "libvpx") ? 0
						       : vp8_bit_rate_cap(in);
		set_default(d, "crf", "32");
		set_default(d, "deadline", preset[0] ? preset : "realtime");
		set_default(d, "cpu-used", "8");
		if (!strcmp(name, "libvpx-vp9"))
			set_default(d, "row-mt", "1");
	} else if (!strcmp(name, "libsvtav1")) {
		set_default(d, "preset", preset[0] ? preset : "10");
		set_default(d, "crf", "35");
	} else if (!strcmp(name, "libaom-av1")) {
		enc->bit_rate = 0;
		set_default(d, "usage", "realtime");
		set_default(d, "cpu-used", preset[0] ? preset : "8");
		set_default(d, "crf", "32");
		set_default(d, "row-mt", "1");
	} else if (preset[0]) {
		set_default(d, "preset", preset);
	}
}

static wm_status parse_params(const wm__venc_in *in, AVDictionary **d)
{
	const char *s = wm__vhost->opt_str(in->opts, WM_OPT_ENCODER_PARAMS);

	if (s[0] && av_dict_parse_string(d, s, "=", ":", 0) < 0)
		return wm__verr(WM_ERR_BAD_VALUE,
				"encoder-params: expected key=value:key=value, "
				"got '%s'",
				s);
	return WM_OK;
}

/* libx264 crops a 4:2:0 picture of odd size to the even size below it
 * without failing, and x265 refuses it; the mark must not change the
 * picture's size, so that is an error here. */
static wm_status check_size(const AVCodec *c, const wm__venc_in *in)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(in->dec->pix_fmt);
	int mw = d ? (1 << d->log2_chroma_w) - 1 : 0;
	int mh = d ? (1 << d->log2_chroma_h) - 1 : 0;

	if (strcmp(c->name, "libx264") && strcmp(c->name, "libx265"))
		return WM_OK;
	if (!(in->width & mw) && !(in->height & mh))
		return WM_OK;
	return wm__verr(WM_ERR_CODEC,
			"%s: encoder %s cannot keep the odd size %dx%d of %s "
			"video (choose another encoder, e.g. ffv1 or "
			"libvpx-vp9)",
			in->name, c->name, in->width, in->height, d->name);
}

static wm_status open_with(const AVCodec *c, const wm__venc_in *in,
			   AVDictionary **d, AVCodecContext **out)
{
	AVCodecContext *enc = avcodec_alloc_context3(c);
	const AVDictionaryEntry *left;
	int r;

	if (!enc)
		return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory",
				in->name);
	enc->opaque = in->tag;
	copy_properties(enc, in);
	codec_settings(enc, in, d);
	r = avcodec_open2(enc, c, d);
	if (r < 0) {
		avcodec_free_context(&enc);
		return wm__verr_av(WM_ERR_CODEC, r,
				   "%s: encoder %s refused %dx%d %s video",
				   in->name, c->name, in->width, in->height,
				   av_get_pix_fmt_name(in->dec->pix_fmt));
	}
	left = av_dict_get(*d, "", NULL, AV_DICT_IGNORE_SUFFIX);
	if (left) {
		wm_status s = wm__verr(WM_ERR_BAD_VALUE,
				       "encoder-params: %s has no option '%s'",
				       c->name, left->key);

		avcodec_free_context(&enc);
		return s;
	}
	*out = enc;
	return WM_OK;
}

wm_status wm__video_open_encoder(const wm__venc_in *in, AVCodecContext **out)
{
	const AVCodec *c = NULL;
	AVDictionary *d = NULL;
	wm_status s;

	s = choose_encoder(in, &c);
	if (s == WM_OK)
		s = check_size(c, in);
	if (s == WM_OK)
		s = parse_params(in, &d);
	if (s == WM_OK)
		s = open_with(c, in, &d, out);
	av_dict_free(&d);
	return s;
}
