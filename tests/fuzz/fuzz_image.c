/*
 * Still images from memory: PNG, JPEG and WebP decoding, metadata reading
 * and merging (EXIF, XMP, ICC), marking and encoding, through
 * wm_mark_memory. The first byte picks the output format and a few
 * options; the rest is the file.
 */
#include "fuzz.h"

/* Large enough for every seed, small enough to keep each run fast and to
 * reach the pixel-limit checks with modest headers. */
#define MAX_PIXELS "1048576"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_memory != NULL, "wm_mark_memory");
	return 0;
}

static void configure(wm_mark *m, uint8_t b, wm_job *job)
{
	static const char *const formats[] = {NULL, "png", "jpeg", "webp"};

	fuzz_check_status(wm_mark_set(m, "max-pixels", MAX_PIXELS), "max");
	if (b & 4)
		fuzz_check_status(wm_mark_set(m, "metadata", "false"), "meta");
	if (b & 8)
		fuzz_check_status(wm_mark_set(m, "quality", "40"), "quality");
	if (b & 16)
		fuzz_check_status(wm_mark_set(m, "position", "top-left"),
				  "pos");
	job->format = formats[b & 3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wm_job job = {.size = sizeof(job)};
	void *out = NULL;
	size_t out_size = 0;
	wm_mark *m;
	wm_status s;

	if (size < 1 || wm_mark_new(&m) != WM_OK)
		return 0;
	configure(m, data[0], &job);

	s = wm_mark_memory(m, data + 1, size - 1, &out, &out_size, &job);
	fuzz_check_status(s, "wm_mark_memory");
	if (s == WM_OK)
		FUZZ_CHECK(out != NULL && out_size > 0, "empty output");

	wm_free(out);
	wm_mark_free(m);
	return 0;
}
