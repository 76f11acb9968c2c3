/*
 * Allocation failure in wm_disclose_text: every allocation it makes is made
 * to fail in turn; each run must report WM_ERR_NO_MEMORY with a message and
 * leave *out NULL, and the sweep must end with a run that succeeds. Built
 * only with -Dfault_injection=true, where wm__alloc_fail_at() works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "util/util.h"

static void sweep(const char *format, const char *placement)
{
	static const char msg[] = "An answer with <b>markup</b> & more.";
	wm_mark *m;
	uint64_t n;

	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "text-format", format), WM_OK);
	assert_int_equal(wm_mark_set(m, "text-placement", placement), WM_OK);
	for (n = 1; n < 100; n++) {
		char *out = (char *)1;
		size_t size = 7;
		wm_status s;

		wm__alloc_fail_at(n);
		s = wm_disclose_text(m, msg, strlen(msg), &out, &size);
		wm__alloc_fail_at(0);
		if (s == WM_OK) {
			assert_non_null(strstr(out, "AI-generated"));
			wm_free(out);
			break;
		}
		assert_int_equal(s, WM_ERR_NO_MEMORY);
		assert_null(out);
		assert_int_equal(size, 0);
		assert_non_null(strstr(wm_last_error(), "out of memory"));
	}
	/* Two allocations (the block and the result): two failing runs. */
	assert_int_equal(n, 3);
	wm_mark_free(m);
}

static void test_sweep(void **state)
{
	(void)state;
	sweep("plain", "append");
	sweep("markdown", "prepend");
	sweep("html", "append");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
