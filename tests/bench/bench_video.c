/*
 * Video benchmark, in one run on the same 1080p H.264 clip with AAC audio:
 * wm_mark_file with a PNG logo against the ffmpeg program doing
 * `-filter_complex overlay -c:v libx264` with the same CRF, preset and
 * thread count and `-c:a copy`. Prints the wall-time ratio, the size
 * ratio and the share of our pipeline spent marking; then the frames per
 * second of the frame-stream API (wm_session) on 1080p and 4K I420 frames
 * in memory.
 *
 * Usage: bench-video [FFMPEG]   (default "ffmpeg"; skipped when absent)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "watermark.h"

#define CRF "23"
#define PRESET "veryfast"
#define THREADS "2"
#define RUNS 2

static double marking_percent = -1;
static double copying_percent = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The percentage in parentheses after `key` in msg, or -1. */
static double percent_after(const char *msg, const char *key)
{
	const char *p = strstr(msg, key);

	p = p ? strchr(p, '(') : NULL;
	return p ? atof(p + 1) : -1;
}

/* The pipeline logs its marking share at debug level. */
static void on_log(void *user, wm_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	if (strstr(msg, "marking took")) {
		marking_percent = percent_after(msg, "marking took");
		copying_percent = percent_after(msg, "copying shared");
	}
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int run(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fprintf(stderr, "failed (%d): %s\n", r, cmd);
	return r;
}

static int make_inputs(const char *ffmpeg, const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "%s -nostdin -v error -y -f lavfi -i "
		 "testsrc2=size=1920x1080:rate=30 -f lavfi -i "
		 "sine=frequency=440:sample_rate=48000 -frames:v 90 -t 3 "
		 "-pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 20 "
		 "-threads " THREADS " -c:a aac %s/clip.mp4 && "
		 "%s -nostdin -v error -y -f lavfi -i "
		 "color=c=white@0.85:size=360x96,format=rgba -frames:v 1 "
		 "%s/logo.png",
		 ffmpeg, dir, ffmpeg, dir);
	return run(cmd);
}

static double time_ffmpeg(const char *ffmpeg, const char *dir)
{
	char cmd[2048];
	double best = 1e9;

	snprintf(cmd, sizeof(cmd),
		 "%s -nostdin -v error -y -threads " THREADS " -i %s/clip.mp4 "
		 "-i %s/logo.png -filter_complex "
		 "\"[0:v][1:v]overlay=W-w-40:H-h-40\" -c:v libx264 -crf " CRF
		 " -preset " PRESET " -threads " THREADS
		 " -c:a copy %s/ffmpeg.mp4",
		 ffmpeg, dir, dir, dir);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now();

		if (run(cmd) != 0)
			return -1;
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

static wm_mark *logo_mark(const char *dir)
{
	char logo[1024];
	wm_mark *m = NULL;

	snprintf(logo, sizeof(logo), "logo=%s/logo.png", dir);
	if (wm_mark_new(&m) != WM_OK || wm_mark_set(m, logo, NULL) != WM_OK ||
	    wm_mark_set(m, "crf=" CRF, NULL) != WM_OK ||
	    wm_mark_set(m, "encoder-preset=" PRESET, NULL) != WM_OK ||
	    wm_mark_set(m, "threads=" THREADS, NULL) != WM_OK) {
		fprintf(stderr, "mark setup: %s\n", wm_last_error());
		wm_mark_free(m);
		return NULL;
	}
	return m;
}

static double time_ours(const char *dir)
{
	char in[1024], out[1024];
	wm_job job = {sizeof(job), NULL, NULL, WM_JOB_OVERWRITE, NULL};
	wm_mark *m = logo_mark(dir);
	double best = 1e9;

	if (!m)
		return -1;
	snprintf(in, sizeof(in), "%s/clip.mp4", dir);
	snprintf(out, sizeof(out), "%s/ours.mp4", dir);
	wm_set_log_callback(on_log, NULL);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now();

		if (wm_mark_file(m, in, out, &job) != WM_OK) {
			fprintf(stderr, "wm_mark_file: %s\n", wm_last_error());
			best = -1;
			break;
		}
		if (now() - t0 < best)
			best = now() - t0;
	}
	wm_set_log_callback(NULL, NULL);
	wm_mark_free(m);
	return best;
}

/* Frames per second of wm_session_apply on I420 frames in memory. */
static double session_fps(int w, int h, int frames)
{
	size_t luma = (size_t)w * h, chroma = luma / 4;
	uint8_t *buf = malloc(luma + 2 * chroma);
	wm_frame f = {sizeof(f), w, h, WM_PIX_I420};
	wm_mark *m = NULL;
	wm_session *s = NULL;
	double t0, fps = -1;

	if (!buf || wm_mark_new(&m) != WM_OK)
		goto done;
	memset(buf, 100, luma + 2 * chroma);
	f.planes[0] = buf;
	f.planes[1] = buf + luma;
	f.planes[2] = buf + luma + chroma;
	f.strides[0] = w;
	f.strides[1] = f.strides[2] = w / 2;
	if (wm_session_new(m, &f, &s) != WM_OK)
		goto done;
	t0 = now();
	for (int i = 0; i < frames; i++)
		if (wm_session_apply(s, &f, i / 30.0) != WM_OK)
			goto done;
	fps = frames / (now() - t0);
done:
	if (fps < 0)
		fprintf(stderr, "session: %s\n", wm_last_error());
	wm_session_free(s);
	wm_mark_free(m);
	free(buf);
	return fps;
}

static void report_transcode(const char *dir, double ours, double theirs)
{
	char a[1024], b[1024];
	long sa, sb;

	snprintf(a, sizeof(a), "%s/ours.mp4", dir);
	snprintf(b, sizeof(b), "%s/ffmpeg.mp4", dir);
	sa = file_size(a);
	sb = file_size(b);
	printf("1080p H.264+AAC, 90 frames, crf " CRF " preset " PRESET
	       " threads " THREADS " (best of %d)\n",
	       RUNS);
	printf("  libwatermark  %.3f s  %ld bytes\n", ours, sa);
	printf("  ffmpeg overlay %.3f s  %ld bytes\n", theirs, sb);
	printf("  wall ratio ours/ffmpeg: %.3f (target <= 1.0)\n",
	       ours / theirs);
	printf("  size ratio ours/ffmpeg: %.4f (target within 2%%)\n",
	       (double)sa / (double)sb);
	printf("  marking share of our pipeline: %.2f%% (target < 2%%)\n",
	       marking_percent);
	printf("  copying the decoder's shared pictures to mark them: "
	       "%.2f%%\n",
	       copying_percent);
}

int main(int argc, char **argv)
{
	const char *ffmpeg = argc > 1 ? argv[1] : "ffmpeg";
	char dir[] = "/tmp/wm-bench-video-XXXXXX";
	char cmd[1100];
	double ours, theirs;

	if (!mkdtemp(dir))
		return 1;
	if (make_inputs(ffmpeg, dir) != 0) {
		printf("ffmpeg program not usable: transcode comparison "
		       "skipped\n");
	} else {
		theirs = time_ffmpeg(ffmpeg, dir);
		ours = time_ours(dir);
		if (ours > 0 && theirs > 0)
			report_transcode(dir, ours, theirs);
	}
	printf("frame-stream API (wm_session, I420, default mark):\n");
	printf("  1920x1080: %.0f frames/s\n", session_fps(1920, 1080, 600));
	printf("  3840x2160: %.0f frames/s\n", session_fps(3840, 2160, 300));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return run(cmd) == 0 ? 0 : 1;
}
