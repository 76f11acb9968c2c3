/*
 * Small video files: demuxing, decoding, marking and encoding through
 * wm_mark_file on a temporary copy of the input, after wm_probe_file.
 * For a video, a progress callback cancels the job after a few frames,
 * which keeps each run short and exercises the cancellation path; an image
 * input takes the image path to its end.
 */
#include "fuzz_tmp.h"

#define MAX_INPUT_SIZE (256 * 1024)
#define MAX_FRAMES 6

static char in_path[1024], out_path[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_file != NULL, "wm_mark_file");
	fuzz_require(wm_probe_file != NULL, "wm_probe_file");
	fuzz_tmp_init();
	fuzz_tmp_path(in_path, sizeof(in_path), "in");
	fuzz_tmp_path(out_path, sizeof(out_path), "out");
	return 0;
}

static int stop_after_a_few(void *user, int64_t done, int64_t total)
{
	(void)user;
	(void)total;
	return done >= MAX_FRAMES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wm_job job = {.size = sizeof(job), .flags = WM_JOB_OVERWRITE};
	wm_media_info info = {.size = sizeof(info)};
	wm_mark *m;
	wm_status s;

	if (size > MAX_INPUT_SIZE || !fuzz_write_file(in_path, data, size))
		return 0;
	if (wm_mark_new(&m) != WM_OK)
		return 0;
	fuzz_check_status(wm_mark_set(m, "threads", "1"), "threads");
	fuzz_check_status(wm_mark_set(m, "max-pixels", "1048576"), "max");

	s = wm_probe_file(in_path, &info);
	fuzz_check_status(s, "wm_probe_file");
	if (s == WM_OK && info.kind == WM_MEDIA_VIDEO)
		job.progress = stop_after_a_few;

	/* The output has no extension, so it keeps the input's format. */
	s = wm_mark_file(m, in_path, out_path, &job);
	fuzz_check_status(s, "wm_mark_file");
	FUZZ_CHECK(s == WM_OK || access(out_path, F_OK) != 0,
		   "a failed job left %s behind", out_path);
	unlink(out_path);

	wm_mark_free(m);
	return 0;
}
