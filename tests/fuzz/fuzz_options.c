/*
 * Option parser: lines of "name=value" (or "name<TAB>value") through the
 * generic setter, as the CLI and the Python binding pass them. Afterwards
 * every option must read back in a form that the setter takes again and
 * that reads back identically.
 */
#include <string.h>

#include "fuzz.h"

#define MAX_INPUT_SIZE 4096
#define VALUE_BUF (MAX_INPUT_SIZE + 64)

static void set_line(wm_mark *m, char *line)
{
	char *tab = strchr(line, '\t');
	wm_status s;

	if (tab) {
		*tab = '\0';
		s = wm_mark_set(m, line, tab + 1);
	} else {
		s = wm_mark_set(m, line, NULL);
	}
	fuzz_check_status(s, "wm_mark_set");
}

/* get -> set -> get must be a fixed point for every option. */
static void check_round_trip(wm_mark *m)
{
	static char first[VALUE_BUF], second[VALUE_BUF];
	int count = wm_option_count();

	for (int i = 0; i < count; i++) {
		wm_option_info info = {.size = sizeof(info)};
		wm_status s;

		FUZZ_CHECK(wm_option_describe(i, &info) == WM_OK, "%d", i);
		s = wm_mark_get(m, info.name, first, sizeof(first));
		FUZZ_CHECK(s == WM_OK, "get %s: %s", info.name,
			   wm_last_error());
		s = wm_mark_set(m, info.name, first);
		FUZZ_CHECK(s == WM_OK, "set %s to its own value \"%s\": %s",
			   info.name, first, wm_last_error());
		s = wm_mark_get(m, info.name, second, sizeof(second));
		FUZZ_CHECK(s == WM_OK && strcmp(first, second) == 0,
			   "%s: \"%s\" reads back as \"%s\"", info.name, first,
			   second);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input in = {data, size > MAX_INPUT_SIZE ? MAX_INPUT_SIZE : size};
	wm_mark *m;

	if (wm_mark_new(&m) != WM_OK)
		return 0;

	while (in.n) {
		char *line = fuzz_string(&in, '\n', MAX_INPUT_SIZE);

		set_line(m, line);
		free(line);
	}

	check_round_trip(m);
	wm_mark_free(m);
	return 0;
}
