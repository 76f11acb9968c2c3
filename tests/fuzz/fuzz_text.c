/*
 * Text rendering: arbitrary UTF-8 as the mark's text (shaping, bidi, line
 * breaking, font fallback), drawn onto a small RGBA frame with styles taken
 * from the input.
 *
 * Input: three bytes of settings, then the text.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

/* Long enough for many lines, several scripts and fallback fonts in the
 * small frame; each byte more makes every run slower (shaping, line
 * breaking and the fitting search all grow with the text). */
#define MAX_TEXT 256
#define FRAME_W 96
#define FRAME_H 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_mark_apply != NULL, "wm_mark_apply");
	fuzz_load_fonts();
	return 0;
}

static void set(wm_mark *m, const char *name, const char *value)
{
	fuzz_check_status(wm_mark_set(m, name, value), name);
}

/* Every option the harness uses is set on every input, so that a run does
 * not depend on the inputs before it. */
static void configure(wm_mark *m, fuzz_input *in)
{
	static const char *const aligns[] = {"auto", "left", "center", "right"};
	uint8_t size = fuzz_byte(in), flags = fuzz_byte(in);
	uint8_t angle = fuzz_byte(in);
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", 6 + size % 40);
	set(m, "size", buf);
	set(m, "align", aligns[flags & 3]);
	set(m, "box", (flags & 4) ? "true" : "false");
	set(m, "max-width", (flags & 8) ? "50%" : "0");
	set(m, "tile", (flags & 16) ? "true" : "false");
	set(m, "position", (flags & 32) ? "center" : "bottom-right");
	snprintf(buf, sizeof(buf), "%d", (flags & 64) ? angle - 128 : 0);
	set(m, "angle", buf);
	set(m, "outline-width", (flags & 128) ? "0" : "0.08");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pixels[FRAME_W * FRAME_H * 4];
	static wm_mark *m;
	fuzz_input in = {data, size};
	wm_frame f = {.size = sizeof(f),
		      .width = FRAME_W,
		      .height = FRAME_H,
		      .format = WM_PIX_RGBA,
		      .planes = {pixels},
		      .strides = {FRAME_W * 4}};
	char *text;
	wm_status s;

	/* One mark for the whole run, as an application keeps it: fonts are
	 * loaded once, and every option used is reset below. */
	if (!m && wm_mark_new(&m) != WM_OK)
		return 0;
	configure(m, &in);

	text = fuzz_string(&in, -1, MAX_TEXT);
	s = wm_mark_set_string(m, WM_OPT_TEXT, text);
	fuzz_check_status(s, "text");
	free(text);
	if (s != WM_OK)
		return 0;

	memset(pixels, 0x80, sizeof(pixels));
	fuzz_check_status(wm_mark_apply(m, &f, 0), "wm_mark_apply");

	/* Drops the rendering, so that every input frees what it allocated
	 * and libFuzzer's leak check has no reason to run it twice. */
	set(m, "text", "");
	return 0;
}
