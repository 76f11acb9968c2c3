/*
 * Logos: the input is written to a file that the mark uses as its logo
 * (PNG, JPEG, WebP or whatever the logo loader takes), then drawn onto a
 * small RGBA frame. The first byte picks the scale and the placement.
 */
#include "fuzz_tmp.h"

#define FRAME_W 128
#define FRAME_H 96

static char logo_path[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_apply != NULL, "wm_mark_apply");
	fuzz_tmp_init();
	fuzz_tmp_path(logo_path, sizeof(logo_path), "logo");
	return 0;
}

static void configure(wm_mark *m, uint8_t b)
{
	static const char *const placements[] = {"left", "right", "above",
						 "below"};
	static const char *const scales[] = {"0", "0.1", "0.5", "1"};

	fuzz_check_status(wm_mark_set(m, "logo", logo_path), "logo");
	fuzz_check_status(wm_mark_set(m, "logo-placement", placements[b & 3]),
			  "logo-placement");
	fuzz_check_status(wm_mark_set(m, "scale", scales[(b >> 2) & 3]),
			  "scale");
	if (b & 16)
		fuzz_check_status(wm_mark_set(m, "text", ""), "text");
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
	if (wm_mark_new(&m) != WM_OK)
		return 0;

	/* The logo may be read when it is set or when the mark is first
	 * drawn; both must fail cleanly on a bad file. */
	configure(m, data[0]);
	memset(pixels, 0x40, sizeof(pixels));
	s = wm_mark_apply(m, &f, 0);
	fuzz_check_status(s, "wm_mark_apply");

	wm_mark_free(m);
	return 0;
}
