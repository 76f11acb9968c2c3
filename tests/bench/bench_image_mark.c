/*
 * Marks one image file with libwatermark: the subject of the image
 * benchmark (run under /usr/bin/time by bench_image.py). Arguments: input,
 * output, then options as name=value.
 */
#include <stdio.h>
#include <string.h>

#include "watermark.h"

int main(int argc, char **argv)
{
	wm_job job;
	wm_mark *m;
	wm_status s;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s in out [name=value...]\n", argv[0]);
		return 2;
	}
	if (wm_mark_new(&m) != WM_OK)
		return 1;
	for (i = 3; i < argc; i++) {
		if (wm_mark_set(m, argv[i], NULL) != WM_OK) {
			fprintf(stderr, "%s\n", wm_last_error());
			return 2;
		}
	}
	memset(&job, 0, sizeof(job));
	job.size = sizeof(job);
	job.flags = WM_JOB_OVERWRITE;
	s = wm_mark_file(m, argv[1], argv[2], &job);
	if (s != WM_OK)
		fprintf(stderr, "%s\n", wm_last_error());
	wm_mark_free(m);
	return s == WM_OK ? 0 : 1;
}
