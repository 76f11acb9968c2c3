/*
 * wm_probe_file for video: the container's headers, without decoding.
 */
#include <stdio.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#include "module.h"

#define SOURCE_TYPE_URL "digitalsourcetype/"

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Named like the output the same input would be written as, so that
 * probing and marking agree ("mkv" for FFmpeg's "matroska" muxer). */
static const char *format_name(const AVFormatContext *ic)
{
	const char *m = wm__video_input_muxer(ic);

	if (!m)
		return ic->iformat->name;
	return strcmp(m, "matroska") ? m : "mkv";
}

static const char *matrix_name(enum AVColorSpace c)
{
	switch (c) {
	case AVCOL_SPC_BT709: return "BT.709";
	case AVCOL_SPC_BT470BG:
	case AVCOL_SPC_SMPTE170M: return "BT.601";
	case AVCOL_SPC_BT2020_NCL:
	case AVCOL_SPC_BT2020_CL: return "BT.2020";
	case AVCOL_SPC_RGB: return "RGB";
	default: return "unspecified";
	}
}

/* "YUV 4:2:0 BT.709 limited", "RGB", "YUV 4:2:0 BT.2020 limited PQ". */
static void describe_colour(const AVCodecParameters *p,
			    const AVPixFmtDescriptor *d, char *buf, size_t n)
{
	const char *trc = p->color_trc == AVCOL_TRC_SMPTE2084	   ? " PQ"
			  : p->color_trc == AVCOL_TRC_ARIB_STD_B67 ? " HLG"
								   : "";
	int sub = d ? d->log2_chroma_w + d->log2_chroma_h : 0;

	if (!d || (d->flags & AV_PIX_FMT_FLAG_RGB)) {
		copy_text(buf, n, "RGB");
		return;
	}
	snprintf(buf, n, "YUV %s %s %s%s",
		 sub == 2   ? "4:2:0"
		 : sub == 1 ? "4:2:2"
			    : "4:4:4",
		 matrix_name(p->color_space),
		 p->color_range == AVCOL_RANGE_JPEG || strstr(d->name, "yuvj")
		     ? "full"
		     : "limited",
		 trc);
}

/* The source type URL in a tag, or NULL. */
static const char *source_type_url(const AVFormatContext *ic, const char *key)
{
	const AVDictionaryEntry *e = av_dict_get(ic->metadata, key, NULL, 0);

	return e ? strstr(e->value, SOURCE_TYPE_URL) : NULL;
}

/* Marking writes the disclosure with its source type URL into
 * `description`, and in MOV (whose muxer drops `description`) into
 * `comment`. */
static void read_disclosure(const AVFormatContext *ic, wm_media_info *info)
{
	const char *url = source_type_url(ic, "description");

	if (!url)
		url = source_type_url(ic, "comment");
	if (!url)
		return;
	info->has_disclosure = 1;
	url += strlen(SOURCE_TYPE_URL);
	snprintf(info->source_type, sizeof(info->source_type), "%.*s",
		 (int)strcspn(url, ") "), url);
}

static void fill_info(const AVFormatContext *ic, const AVStream *st,
		      wm_media_info *info)
{
	const AVCodecParameters *p = st->codecpar;
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(p->format);

	info->kind = WM_MEDIA_VIDEO;
	copy_text(info->format, sizeof(info->format), format_name(ic));
	info->width = p->width;
	info->height = p->height;
	info->orientation = wm__video_stream_orientation(st);
	info->bit_depth = d ? d->comp[0].depth : 0;
	describe_colour(p, d, info->color_space, sizeof(info->color_space));
	info->has_alpha = d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
	read_disclosure(ic, info);
	info->duration =
	    ic->duration > 0 ? ic->duration / (double)AV_TIME_BASE : 0;
	info->frames = st->nb_frames > 0 ? st->nb_frames : -1;
}

wm_status wm__video_do_probe(const char *path, wm_media_info *info)
{
	AVFormatContext *ic = NULL;
	size_t size = info->size;
	wm_media_info full;
	wm_status s;
	int v;

	/* wm_probe_file has checked that size covers everything before
	 * `duration`; the copy below stops at size, so an older caller's
	 * shorter struct gets no `duration` or `frames` written. */
	s = wm__video_open_input(path, NULL, &ic);
	if (s != WM_OK)
		return s;
	v = wm__video_find_stream(ic);
	if (v < 0) {
		avformat_close_input(&ic);
		return wm__verr(WM_ERR_NOT_FOUND, "%s: no video stream", path);
	}
	memset(&full, 0, sizeof(full));
	fill_info(ic, ic->streams[v], &full);
	avformat_close_input(&ic);
	if (size > sizeof(full))
		size = sizeof(full);
	memcpy((char *)info + sizeof(size_t), (char *)&full + sizeof(size_t),
	       size - sizeof(size_t));
	return WM_OK;
}
