/*
 * Logos: the input is written to a file that the mark uses as its logo
 * (PNG, JPEG, WebP or whatever the logo loader takes), then drawn onto a
 * small RGBA frame. The first byte picks the scale and the placement.
 */
#include "fuzz_tmp.h"

#define FRAME_W 128
#define FRAME_H 96

/* A logo is drawn at most frame-sized. Every seed fits (the largest is
 * 200x150); a larger header still reaches the limit checks, and a bomb
 * would only spend the run decoding and resampling pixels. */
#define MAX_PIXELS "32768"

/* One mark per combination of the option bits, kept for the whole run as
 * an application keeps its mark: its fonts stay loaded, and setting the
 * logo again after every input makes it read the next file. */
#define CONFIGS 32
static wm_mark *marks[CONFIGS];

static char logo_path[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_apply != NULL, "wm_mark_apply");
	fuzz_load_fonts();
	fuzz_tmp_init();
	fuzz_tmp_path(logo_path, sizeof(logo_path), "logo");
	return 0;
}

/* Bits 0..4 of `b`: placement, scale, and whether there is text. */
static wm_mark *mark_for(uint8_t b)
{
	static const char *const placements[] = {"left", "right", "above",
						 "below"};
	static const char *const scales[] = {"0", "0.1", "0.5", "1"};
	int k = b & (CONFIGS - 1);
	wm_mark *m;

	if (marks[k])
		return marks[k];
	if (wm_mark_new(&m) != WM_OK)
		return NULL;
	fuzz_check_status(wm_mark_set(m, "logo", logo_path), "logo");
	fuzz_check_status(wm_mark_set(m, "max-pixels", MAX_PIXELS), "max");
	fuzz_check_status(wm_mark_set(m, "logo-placement", placements[k & 3]),
			  "logo-placement");
	fuzz_check_status(wm_mark_set(m, "scale", scales[(k >> 2) & 3]),
			  "scale");
	if (k & 16)
		fuzz_check_status(wm_mark_set(m, "text", ""), "text");
	marks[k] = m;
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pixels[FRAME_W * FRAME_H * 4];
	wm_frame f = {.size = sizeof(f),
		      .width = FRAME_W,
		      .height = FRAME_H,
		      .format = WM_PIX_RGBA,
		      .planes = {pixels},
		      .strides = {FRAME_W * 4}};
	wm_mark *m;
	wm_status s;

	if (size < 1 || !fuzz_write_file(logo_path, data + 1, size - 1))
		return 0;
	if (!(m = mark_for(data[0])))
		return 0;

	/* The logo may be read when it is set or when the mark is first
	 * drawn; both must fail cleanly on a bad file. */
	memset(pixels, 0x40, sizeof(pixels));
	s = wm_mark_apply(m, &f, 0);
	fuzz_check_status(s, "wm_mark_apply");

	/* Setting the logo again drops the rendering and the decoded logo:
	 * the next input is read anew, and every input frees what it
	 * allocated, so libFuzzer's leak check has no reason to run it
	 * twice. */
	fuzz_check_status(wm_mark_set(m, "logo", logo_path), "logo");
	return 0;
}
