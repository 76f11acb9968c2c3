/*
 * HDR10 metadata that only the bitstream carries. Containers often hold the
 * mastering display and content light level as stream side data, which the
 * pipeline copies; HEVC files may carry them only in SEI messages, which
 * FFmpeg attaches to decoded frames. The encoder is configured before the
 * first frame is decoded, so the first frame is read ahead here by a
 * separate, short-lived demuxer and decoder. FFmpeg 5.1's H.264 decoder
 * does not export these SEI messages, so H.264 input keeps them only when
 * its container carries them too.
 */
#include <string.h>

#include "module.h"

/* Reads at most this many packets looking for the first frame. */
#define PEEK_PACKETS 64

static bool is_hdr(const AVCodecParameters *p)
{
	return p->color_trc == AVCOL_TRC_SMPTE2084 ||
	       p->color_trc == AVCOL_TRC_ARIB_STD_B67;
}

static void copy_frame_side_data(const AVFrame *f, AVStream *st)
{
	static const struct {
		enum AVFrameSideDataType from;
		enum AVPacketSideDataType to;
	} kinds[] = {
	    {AV_FRAME_DATA_MASTERING_DISPLAY_METADATA,
	     AV_PKT_DATA_MASTERING_DISPLAY_METADATA},
	    {AV_FRAME_DATA_CONTENT_LIGHT_LEVEL,
	     AV_PKT_DATA_CONTENT_LIGHT_LEVEL},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const AVFrameSideData *sd =
		    av_frame_get_side_data(f, kinds[i].from);
		uint8_t *dst;

		if (!sd || av_stream_get_side_data(st, kinds[i].to, NULL))
			continue;
		dst = av_stream_new_side_data(st, kinds[i].to, sd->size);
		if (dst)
			memcpy(dst, sd->data, sd->size);
	}
}

/* Decodes the first frame of stream `index`; false when none came. */
static bool first_frame(AVFormatContext *ic, int index, AVCodecContext *dec,
			AVFrame *f)
{
	AVPacket *pkt = av_packet_alloc();
	bool got = false;

	for (int n = 0; pkt && !got && n < PEEK_PACKETS; n++) {
		if (av_read_frame(ic, pkt) < 0)
			break;
		if (pkt->stream_index == index &&
		    avcodec_send_packet(dec, pkt) >= 0)
			got = avcodec_receive_frame(dec, f) >= 0;
		av_packet_unref(pkt);
	}
	if (!got && avcodec_send_packet(dec, NULL) >= 0)
		got = avcodec_receive_frame(dec, f) >= 0;
	av_packet_free(&pkt);
	return got;
}

void wm__video_hdr_from_bitstream(const char *path, AVStream *st)
{
	AVFormatContext *ic = NULL;
	AVCodecContext *dec = NULL;
	AVFrame *f = NULL;
	const AVCodec *c;

	if (!is_hdr(st->codecpar) ||
	    av_stream_get_side_data(st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
				    NULL))
		return;
	c = avcodec_find_decoder(st->codecpar->codec_id);
	if (!c || avformat_open_input(&ic, path, NULL, NULL) < 0)
		return;
	dec = avcodec_alloc_context3(c);
	f = av_frame_alloc();
	if (dec && f && st->index < (int)ic->nb_streams &&
	    avcodec_parameters_to_context(dec, st->codecpar) >= 0 &&
	    avcodec_open2(dec, c, NULL) >= 0 &&
	    first_frame(ic, st->index, dec, f))
		copy_frame_side_data(f, st);
	av_frame_free(&f);
	avcodec_free_context(&dec);
	avformat_close_input(&ic);
}
