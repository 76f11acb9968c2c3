/*
 * HDR10 metadata survives marking: a 10-bit PQ clip whose Matroska stream
 * carries mastering-display and content-light-level side data is marked
 * into HEVC with libx265; the output stream keeps the side data and the
 * HEVC bitstream carries the same values in its SEI (which only happens
 * when they reach x265 through its parameters). The same clip, in 10-bit
 * PQ and in 8-bit HLG, marked into H.264 with libx264 carries them in its
 * SEI messages too.
 *
 * The clip is made with the ffmpeg program (FFV1, 64x36, 5 frames) and the
 * side data added by remuxing it here with libavformat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/pixdesc.h>

#include "watermark.h"

static char dir[] = "/tmp/wm-test-hdr-XXXXXX";

static void add_hdr_side_data(AVStream *st)
{
	AVMasteringDisplayMetadata *md;
	AVContentLightMetadata *cl;

	md = (void *)av_stream_new_side_data(
	    st, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, sizeof(*md));
	assert_non_null(md);
	memset(md, 0, sizeof(*md));
	/* BT.2020 primaries (R, G, B), D65, 1000 / 0.005 cd/m2. */
	md->display_primaries[0][0] = av_make_q(708, 1000);
	md->display_primaries[0][1] = av_make_q(292, 1000);
	md->display_primaries[1][0] = av_make_q(170, 1000);
	md->display_primaries[1][1] = av_make_q(797, 1000);
	md->display_primaries[2][0] = av_make_q(131, 1000);
	md->display_primaries[2][1] = av_make_q(46, 1000);
	md->white_point[0] = av_make_q(3127, 10000);
	md->white_point[1] = av_make_q(3290, 10000);
	md->max_luminance = av_make_q(1000, 1);
	md->min_luminance = av_make_q(50, 10000);
	md->has_primaries = md->has_luminance = 1;
	cl = (void *)av_stream_new_side_data(
	    st, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, sizeof(*cl));
	assert_non_null(cl);
	cl->MaxCLL = 800;
	cl->MaxFALL = 400;
}

/* Copies `in` to `out` (Matroska) with HDR side data on the video. */
static void remux_with_hdr(const char *in, const char *out)
{
	AVFormatContext *ic = NULL, *oc = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVStream *ost;

	assert_int_equal(avformat_open_input(&ic, in, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_true(
	    avformat_alloc_output_context2(&oc, NULL, "matroska", out) >= 0);
	ost = avformat_new_stream(oc, NULL);
	assert_non_null(ost);
	avcodec_parameters_copy(ost->codecpar, ic->streams[0]->codecpar);
	ost->time_base = ic->streams[0]->time_base;
	add_hdr_side_data(ost);
	assert_true(avio_open(&oc->pb, out, AVIO_FLAG_WRITE) >= 0);
	assert_true(avformat_write_header(oc, NULL) >= 0);
	while (av_read_frame(ic, pkt) >= 0) {
		av_packet_rescale_ts(pkt, ic->streams[0]->time_base,
				     ost->time_base);
		pkt->stream_index = 0;
		assert_true(av_interleaved_write_frame(oc, pkt) >= 0);
	}
	av_write_trailer(oc);
	avio_closep(&oc->pb);
	avformat_free_context(oc);
	avformat_close_input(&ic);
	av_packet_free(&pkt);
}

static void check_mastering(const AVMasteringDisplayMetadata *md)
{
	assert_non_null(md);
	assert_true(md->has_primaries && md->has_luminance);
	assert_int_equal((int)(av_q2d(md->max_luminance) + 0.5), 1000);
	assert_int_equal(
	    (int)(av_q2d(md->display_primaries[1][1]) * 1000 + 0.5), 797);
	assert_int_equal((int)(av_q2d(md->white_point[0]) * 10000 + 0.5), 3127);
}

/* The first decoded frame of `path`, with its side data. */
static AVFrame *first_frame(AVFormatContext *ic)
{
	const AVCodec *c =
	    avcodec_find_decoder(ic->streams[0]->codecpar->codec_id);
	AVCodecContext *dec = avcodec_alloc_context3(c);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	int got = -1;

	avcodec_parameters_to_context(dec, ic->streams[0]->codecpar);
	assert_int_equal(avcodec_open2(dec, c, NULL), 0);
	while (got < 0 && av_read_frame(ic, pkt) >= 0) {
		avcodec_send_packet(dec, pkt);
		av_packet_unref(pkt);
		got = avcodec_receive_frame(dec, f);
	}
	if (got < 0) {
		avcodec_send_packet(dec, NULL);
		got = avcodec_receive_frame(dec, f);
	}
	assert_int_equal(got, 0);
	avcodec_free_context(&dec);
	av_packet_free(&pkt);
	return f;
}

/* Makes `hdr`, an FFV1 Matroska clip in `pix_fmt` with transfer `trc`
 * and HDR side data on its stream; false when the ffmpeg program fails. */
static bool make_hdr_clip(const char *pix_fmt, const char *trc,
			  const char *hdr)
{
	char src[128], cmd[512];

	snprintf(src, sizeof(src), "%s/src.mkv", dir);
	snprintf(cmd, sizeof(cmd),
		 "ffmpeg -nostdin -v error -y -f lavfi -i "
		 "testsrc2=size=64x36:rate=25 -frames:v 5 -pix_fmt %s "
		 "-c:v ffv1 -color_primaries bt2020 -color_trc %s "
		 "-colorspace bt2020nc %s",
		 pix_fmt, trc, src);
	if (system(cmd) != 0)
		return false;
	remux_with_hdr(src, hdr);
	unlink(src);
	return true;
}

/* HDR10 values read from H.264 SEI messages. FFmpeg 5.1's H.264 decoder
 * does not export them as frame side data, so the test reads the NAL
 * units itself. */
typedef struct sei_hdr {
	int mastering; /* messages seen */
	int light;
	unsigned xy[8]; /* G, B, R, white point: x then y, 0.00002 units */
	unsigned long max_lum, min_lum; /* 0.0001 cd/m2 */
	unsigned max_cll, max_fall;
} sei_hdr;

static unsigned be(const uint8_t *p, int n)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void sei_payload(int type, const uint8_t *p, size_t size, sei_hdr *h)
{
	if (type == 137 && size >= 24) {
		for (int i = 0; i < 8; i++)
			h->xy[i] = be(p + 2 * i, 2);
		h->max_lum = be(p + 16, 4);
		h->min_lum = be(p + 20, 4);
		h->mastering++;
	} else if (type == 144 && size >= 4) {
		h->max_cll = be(p, 2);
		h->max_fall = be(p + 2, 2);
		h->light++;
	}
}

/* Parses one SEI NAL unit (header byte included). */
static void parse_sei(const uint8_t *nal, size_t len, sei_hdr *h)
{
	uint8_t rbsp[4096];
	size_t n = 0, pos = 0;
	int zeros = 0;

	/* Drop the emulation prevention bytes (00 00 03). */
	for (size_t i = 1; i < len && n < sizeof(rbsp); i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] ? 0 : zeros + 1;
		rbsp[n++] = nal[i];
	}
	while (pos + 2 <= n && rbsp[pos] != 0x80) {
		int type = 0;
		size_t size = 0;

		while (pos < n && rbsp[pos] == 0xff)
			type += rbsp[pos++];
		type += pos < n ? rbsp[pos++] : 0;
		while (pos < n && rbsp[pos] == 0xff)
			size += rbsp[pos++];
		size += pos < n ? rbsp[pos++] : 0;
		if (pos + size > n)
			break;
		sei_payload(type, rbsp + pos, size, h);
		pos += size;
	}
}

/* Reads the SEI messages of every packet of an H.264 stream stored with
 * length-prefixed NAL units (as in Matroska and MP4). */
static void read_h264_sei(AVFormatContext *ic, sei_hdr *h)
{
	const AVCodecParameters *par = ic->streams[0]->codecpar;
	AVPacket *pkt = av_packet_alloc();
	int lsize;

	assert_true(par->extradata_size > 4 && par->extradata[0] == 1);
	lsize = (par->extradata[4] & 3) + 1;
	while (av_read_frame(ic, pkt) >= 0) {
		for (int pos = 0; pos + lsize <= pkt->size;) {
			size_t len = be(pkt->data + pos, lsize);

			pos += lsize;
			if (len == 0 || len > (size_t)(pkt->size - pos))
				break;
			if ((pkt->data[pos] & 0x1f) == 6)
				parse_sei(pkt->data + pos, len, h);
			pos += (int)len;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
}

/* Marks an HDR clip into H.264 and checks the bitstream's SEI messages
 * carry the input's mastering display and light levels. */
static void hdr_metadata_reaches_x264(const char *pix_fmt, const char *trc)
{
	char hdr[128], out[128];
	AVFormatContext *ic = NULL;
	wm_mark *m = NULL;
	wm_job job = {sizeof(job), NULL, NULL, WM_JOB_OVERWRITE, NULL};
	sei_hdr h = {0};
	/* G, B, R and white point of add_hdr_side_data() in SEI units. */
	static const unsigned xy[8] = {8500,  39850, 6550,  2300,
				       35400, 14600, 15635, 16450};

	snprintf(hdr, sizeof(hdr), "%s/hdr.mkv", dir);
	snprintf(out, sizeof(out), "%s/out264.mkv", dir);
	if (!make_hdr_clip(pix_fmt, trc, hdr))
		skip();

	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "encoder", "libx264"), WM_OK);
	assert_int_equal(wm_mark_set(m, "threads", "1"), WM_OK);
	assert_int_equal(wm_mark_file(m, hdr, out, &job), WM_OK);
	wm_mark_free(m);

	assert_int_equal(avformat_open_input(&ic, out, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_int_equal(ic->streams[0]->codecpar->codec_id, AV_CODEC_ID_H264);
	assert_string_equal(
	    av_get_pix_fmt_name(ic->streams[0]->codecpar->format), pix_fmt);
	read_h264_sei(ic, &h);
	avformat_close_input(&ic);

	assert_true(h.mastering > 0);
	assert_memory_equal(h.xy, xy, sizeof(xy));
	assert_int_equal(h.max_lum, 10000000);
	assert_int_equal(h.min_lum, 50);
	assert_true(h.light > 0);
	assert_int_equal(h.max_cll, 800);
	assert_int_equal(h.max_fall, 400);
	unlink(hdr);
	unlink(out);
}

/* PQ in 10 bits (High 10 profile): unusual in H.264 but legal. */
static void pq_metadata_reaches_x264(void **state)
{
	(void)state;
	hdr_metadata_reaches_x264("yuv420p10le", "smpte2084");
}

/* HLG in 8 bits, the common case for H.264 phone video. */
static void hlg_metadata_reaches_x264(void **state)
{
	(void)state;
	hdr_metadata_reaches_x264("yuv420p", "arib-std-b67");
}

static void hdr10_metadata_reaches_x265(void **state)
{
	char src[128], hdr[128], out[128], cmd[512];
	AVFormatContext *ic = NULL;
	const AVContentLightMetadata *cl;
	AVFrameSideData *sd;
	AVFrame *f;
	wm_mark *m = NULL;
	wm_job job = {sizeof(job), NULL, NULL, WM_JOB_OVERWRITE, NULL};

	(void)state;
	snprintf(src, sizeof(src), "%s/src.mkv", dir);
	snprintf(hdr, sizeof(hdr), "%s/hdr.mkv", dir);
	snprintf(out, sizeof(out), "%s/out.mkv", dir);
	snprintf(cmd, sizeof(cmd),
		 "ffmpeg -nostdin -v error -y -f lavfi -i "
		 "testsrc2=size=64x36:rate=25 -frames:v 5 -pix_fmt yuv420p10le "
		 "-c:v ffv1 -color_primaries bt2020 -color_trc smpte2084 "
		 "-colorspace bt2020nc %s",
		 src);
	if (system(cmd) != 0)
		skip();
	remux_with_hdr(src, hdr);

	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "encoder", "libx265"), WM_OK);
	assert_int_equal(wm_mark_set(m, "threads", "1"), WM_OK);
	assert_int_equal(wm_mark_file(m, hdr, out, &job), WM_OK);
	wm_mark_free(m);

	assert_int_equal(avformat_open_input(&ic, out, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_int_equal(ic->streams[0]->codecpar->codec_id, AV_CODEC_ID_HEVC);
	assert_int_equal(ic->streams[0]->codecpar->color_trc,
			 AVCOL_TRC_SMPTE2084);
	check_mastering((const void *)av_stream_get_side_data(
	    ic->streams[0], AV_PKT_DATA_MASTERING_DISPLAY_METADATA, NULL));

	f = first_frame(ic);
	sd =
	    av_frame_get_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);
	assert_non_null(sd);
	check_mastering((const void *)sd->data);
	sd = av_frame_get_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);
	assert_non_null(sd);
	cl = (const void *)sd->data;
	assert_int_equal(cl->MaxCLL, 800);
	assert_int_equal(cl->MaxFALL, 400);
	av_frame_free(&f);
	avformat_close_input(&ic);
	unlink(src);
	unlink(hdr);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hdr10_metadata_reaches_x265),
	    cmocka_unit_test(pq_metadata_reaches_x264),
	    cmocka_unit_test(hlg_metadata_reaches_x264),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
