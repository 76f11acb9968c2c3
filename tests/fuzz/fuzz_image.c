/*
 * Still images from memory: PNG, JPEG and WebP decoding, metadata reading
 * and merging (EXIF, XMP, ICC), marking and encoding, through
 * wm_mark_memory. The first byte picks the output format and a few
 * options; the rest is the file.
 */
#include "fuzz.h"

/* Every seed fits (the largest is 403x302), and headers of a few hundred
 * pixels a side already reach the pixel-limit checks; larger pictures
 * would only make each run slower. */
#define MAX_PIXELS "131072"

/* One mark per combination of the option bits, kept for the whole run as
 * an application keeps its mark: the text mark is rendered once per size
 * of picture instead of once per input. */
#define CONFIGS 8
static wm_mark *marks[CONFIGS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_memory != NULL, "wm_mark_memory");
	fuzz_load_fonts();
	return 0;
}

/* Bits 2..4 of `b` are the options of the mark. */
static wm_mark *mark_for(uint8_t b)
{
	int k = (b >> 2) & (CONFIGS - 1);
	wm_mark *m;

	if (marks[k])
		return marks[k];
	if (wm_mark_new(&m) != WM_OK)
		return NULL;
	fuzz_check_status(wm_mark_set(m, "max-pixels", MAX_PIXELS), "max");
	if (k & 1)
		fuzz_check_status(wm_mark_set(m, "metadata", "false"), "meta");
	if (k & 2)
		fuzz_check_status(wm_mark_set(m, "quality", "40"), "quality");
	if (k & 4)
		fuzz_check_status(wm_mark_set(m, "position", "top-left"),
				  "pos");
	marks[k] = m;
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {NULL, "png", "jpeg", "webp"};
	wm_job job = {.size = sizeof(job)};
	void *out = NULL;
	size_t out_size = 0;
	wm_mark *m;
	wm_status s;

	if (size < 1 || !(m = mark_for(data[0])))
		return 0;
	job.format = formats[data[0] & 3];

	s = wm_mark_memory(m, data + 1, size - 1, &out, &out_size, &job);
	fuzz_check_status(s, "wm_mark_memory");
	if (s == WM_OK)
		FUZZ_CHECK(out != NULL && out_size > 0, "empty output");

	wm_free(out);
	return 0;
}
