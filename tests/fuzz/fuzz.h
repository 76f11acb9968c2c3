/*
 * Shared pieces of the libFuzzer harnesses. Each harness defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); it is linked
 * either with libFuzzer (clang, -Dfuzzing=true) or with replay_main.c, which
 * runs it over the seed corpus and the regression inputs in `meson test`.
 */
#ifndef WM_FUZZ_H
#define WM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "watermark.h"

/*
 * The image, text and video layers are built from separate sources that a
 * given tree may not contain yet. Their entry points are referenced weakly
 * so that every harness links in any tree; fuzz_require() then stops the
 * harness with a message naming what is missing, and the replay test fails
 * until the function exists. The harnesses link the whole static library,
 * so a weak reference still finds a definition that is present.
 */
#pragma weak wm_mark_apply
#pragma weak wm_mark_memory
#pragma weak wm_mark_file
#pragma weak wm_disclose_text
#pragma weak wm_probe_file

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Stops the process if `fn` (a weakly referenced function) is absent. */
static inline void fuzz_require(bool present, const char *name)
{
	if (present)
		return;
	fprintf(stderr, "fuzz: %s is not part of this build of the library\n",
		name);
	exit(2);
}

/*
 * Reports a broken invariant as a crash, which is what libFuzzer records
 * and what makes a replay fail.
 */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz: check failed: %s: ", #cond);    \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/*
 * A failing call must return a real status and leave a message naming the
 * cause; anything else is a bug in the library's error reporting.
 */
static inline void fuzz_check_status(wm_status s, const char *what)
{
	if (s == WM_OK)
		return;
	FUZZ_CHECK(s > WM_OK && s <= WM_ERR_INTERNAL, "%s: status %d", what,
		   (int)s);
	FUZZ_CHECK(s != WM_ERR_INTERNAL, "%s: internal error: %s", what,
		   wm_last_error());
	FUZZ_CHECK(wm_last_error()[0] != '\0', "%s: status %d without message",
		   what, (int)s);
}

/* LeakSanitizer's interface, present only in sanitizer builds. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

/*
 * Draws a mark once with leak checking off, with a character that the
 * embedded font lacks so that fontconfig is asked for a fallback.
 * fontconfig loses a few hundred bytes while it parses its configuration
 * on first use; done here, that happens before fuzzing starts and is not
 * reported, so the harnesses need no suppression and can run with fast
 * unwinding (whose short stacks cannot name fontconfig).
 */
static inline void fuzz_load_fonts(void)
{
	static uint8_t px[256 * 128 * 4];
	wm_frame f = {.size = sizeof(f),
		      .width = 256,
		      .height = 128,
		      .format = WM_PIX_RGBA,
		      .planes = {px},
		      .strides = {256 * 4}};
	wm_mark *m;

	fuzz_require(wm_mark_apply != NULL, "wm_mark_apply");
	if (__lsan_disable)
		__lsan_disable();
	if (wm_mark_new(&m) == WM_OK) {
		wm_mark_set(m, "text", "AI \xe4\xb8\xad");
		wm_mark_apply(m, &f, 0);
		wm_mark_free(m);
	}
	if (__lsan_enable)
		__lsan_enable();
}

/* Consumes the input front to back. */
typedef struct fuzz_input {
	const uint8_t *p;
	size_t n;
} fuzz_input;

static inline uint8_t fuzz_byte(fuzz_input *in)
{
	uint8_t b;

	if (!in->n)
		return 0;
	b = in->p[0];
	in->p++;
	in->n--;
	return b;
}

/* Returns a NUL-terminated copy of the bytes up to `sep` (or the end),
 * consuming the separator; at most `max` bytes. Never NULL. */
static inline char *fuzz_string(fuzz_input *in, int sep, size_t max)
{
	size_t n = 0;
	char *s;

	while (n < in->n && n < max && (sep < 0 || in->p[n] != sep))
		n++;
	s = malloc(n + 1);
	if (!s)
		abort();
	for (size_t i = 0; i < n; i++)
		s[i] = (char)in->p[i];
	s[n] = '\0';
	in->p += n;
	in->n -= n;
	if (sep >= 0 && in->n && in->p[0] == sep) {
		in->p++;
		in->n--;
	}
	return s;
}

/* Writes `n` bytes to `path`, replacing it. Returns false on failure. */
static inline bool fuzz_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

#endif /* WM_FUZZ_H */
