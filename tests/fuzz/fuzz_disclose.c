/*
 * Text disclosures: arbitrary bytes as a chat message, with the format,
 * the placement and the disclosure sentence taken from the input.
 *
 * Input: one byte of settings, then (if bit 3 is set) the disclosure
 * sentence up to a NUL byte, then the message (which may hold NULs).
 */
#include <string.h>

#include "fuzz.h"
#include "util/util.h"

#define MAX_INPUT_SIZE 16384

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_require(wm_disclose_text != NULL, "wm_disclose_text");
	return 0;
}

/* Returns true when the input set its own disclosure sentence, which the
 * library may refuse (one of only spaces, for example). */
static bool configure(wm_mark *m, fuzz_input *in)
{
	static const char *const formats[] = {"plain", "markdown", "html",
					      "markdown"};
	uint8_t b = fuzz_byte(in);

	fuzz_check_status(wm_mark_set(m, "text-format", formats[b & 3]),
			  "text-format");
	fuzz_check_status(
	    wm_mark_set(m, "text-placement", (b & 4) ? "prepend" : "append"),
	    "text-placement");
	if (b & 8) {
		char *sentence = fuzz_string(in, 0, 512);

		fuzz_check_status(wm_mark_set(m, "disclosure", sentence),
				  "disclosure");
		free(sentence);
	}
	return (b & 8) != 0;
}

/* The output is valid UTF-8 and disclosing it again changes nothing. */
static void check_output(const wm_mark *m, const char *out, size_t out_size)
{
	char *again = NULL;
	size_t again_size = 0;
	wm_status s;

	FUZZ_CHECK(out != NULL && out[out_size] == '\0', "bad buffer");
	FUZZ_CHECK(wm__utf8_invalid_at(out, out_size) < 0, "invalid UTF-8");

	s = wm_disclose_text(m, out, out_size, &again, &again_size);
	fuzz_check_status(s, "wm_disclose_text (again)");
	if (s != WM_OK)
		return;
	FUZZ_CHECK(again_size == out_size && memcmp(again, out, out_size) == 0,
		   "disclosing twice added text: %zu -> %zu bytes", out_size,
		   again_size);
	wm_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input in = {data, size > MAX_INPUT_SIZE ? MAX_INPUT_SIZE : size};
	char *out = NULL;
	size_t out_size = 0;
	bool custom;
	wm_mark *m;
	wm_status s;

	if (wm_mark_new(&m) != WM_OK)
		return 0;
	custom = configure(m, &in);

	s = wm_disclose_text(m, (const char *)in.p, in.n, &out, &out_size);
	fuzz_check_status(s, "wm_disclose_text");
	if (wm__utf8_invalid_at((const char *)in.p, in.n) >= 0)
		FUZZ_CHECK(s == WM_ERR_BAD_VALUE, "invalid UTF-8 gave %d", s);
	else
		FUZZ_CHECK(s == WM_OK || s == WM_ERR_NO_MEMORY ||
			       s == WM_ERR_TOO_LARGE ||
			       (custom && s == WM_ERR_BAD_VALUE),
			   "valid UTF-8 refused: %s", wm_last_error());

	if (s == WM_OK)
		check_output(m, out, out_size);
	wm_free(out);
	wm_mark_free(m);
	return 0;
}
