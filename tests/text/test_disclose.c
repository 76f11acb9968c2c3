/* Text disclosures through the public API: formats, placement, escaping,
 * idempotence and UTF-8 checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "watermark.h"

/* A mark configured by "name=value" strings (NULL-terminated list). */
static wm_mark *mark_with(const char *const *settings)
{
	wm_mark *m;

	assert_int_equal(wm_mark_new(&m), WM_OK);
	for (int i = 0; settings && settings[i]; i++)
		assert_int_equal(wm_mark_set(m, settings[i], NULL), WM_OK);
	return m;
}

/* Discloses msg and checks the result and its size; returns the copy. */
static char *disclose(const wm_mark *m, const char *msg)
{
	char *out = NULL;
	size_t n = 12345;

	assert_int_equal(wm_disclose_text(m, msg, strlen(msg), &out, &n),
			 WM_OK);
	assert_non_null(out);
	assert_int_equal(n, strlen(out));
	return out;
}

static void expect(const char *const *settings, const char *msg,
		   const char *want)
{
	wm_mark *m = mark_with(settings);
	char *got = disclose(m, msg);

	assert_string_equal(got, want);
	wm_free(got);
	wm_mark_free(m);
}

static void test_plain_append(void **state)
{
	(void)state;
	expect(NULL, "Hello.", "Hello.\n\nAI-generated");
	expect(NULL, "Hello.\n  \n", "Hello.\n\nAI-generated");
	expect(NULL, "", "AI-generated");
	expect(NULL, " \n", "AI-generated");
}

static void test_plain_prepend(void **state)
{
	static const char *const s[] = {"text-placement=prepend", NULL};

	(void)state;
	expect(s, "Hello.", "AI-generated\n\nHello.");
	expect(s, "\n\nHello.\n", "AI-generated\n\nHello.\n");
}

static void test_disclosure_option_wins(void **state)
{
	static const char *const s[] = {"text=AI", "disclosure=Made by a model",
					NULL};
	static const char *const t[] = {"text=  Synthetic  ", NULL};

	(void)state;
	expect(s, "Hi", "Hi\n\nMade by a model");
	expect(t, "Hi", "Hi\n\nSynthetic");
}

static void test_markdown(void **state)
{
	static const char *const s[] = {"text-format=markdown", NULL};
	static const char *const esc[] = {
	    "text-format=markdown", "text=*bold* _x_ [a](b) `c` <i> $1 | ~",
	    NULL};

	(void)state;
	expect(s, "**Answer**", "**Answer**\n\n_AI-generated_");
	expect(esc, "m",
	       "m\n\n_\\*bold\\* \\_x\\_ \\[a\\](b) \\`c\\` \\<i\\> \\$1 "
	       "\\| \\~_");
}

static void test_html(void **state)
{
	static const char *const s[] = {"text-format=html",
					"text=A<b> & \"q\" 'x'", NULL};
	static const char *const p[] = {"text-format=html",
					"text-placement=prepend", NULL};

	(void)state;
	expect(s, "<p>Hi</p>",
	       "<p>Hi</p>\n<p class=\"ai-disclosure\"><small>A&lt;b&gt; &amp; "
	       "&quot;q&quot; &#39;x&#39;</small></p>");
	expect(p, "<p>Hi</p>",
	       "<p class=\"ai-disclosure\"><small>AI-generated</small></p>\n"
	       "<p>Hi</p>");
}

static void test_line_breaks_in_sentence(void **state)
{
	static const char *const md[] = {"text-format=markdown",
					 "text=AI\ngenerated", NULL};
	static const char *const plain[] = {"text=AI\ngenerated", NULL};

	(void)state;
	expect(md, "x", "x\n\n_AI generated_");
	expect(plain, "x", "x\n\nAI\ngenerated");
}

static void test_utf8_kept(void **state)
{
	static const char *const s[] = {"text=KI-generiert \xe2\x9c\x93",
					"text-format=markdown", NULL};

	(void)state;
	expect(s,
	       "Gr\xc3\xbc\xc3\x9f"
	       "e \xe6\x97\xa5\xf0\x9f\x98\x80",
	       "Gr\xc3\xbc\xc3\x9f"
	       "e \xe6\x97\xa5\xf0\x9f\x98\x80\n\n"
	       "_KI-generiert \xe2\x9c\x93_");
}

/* Disclosing a disclosed message changes nothing, in every format and
 * placement, even with whitespace added around it. */
static void test_idempotent(void **state)
{
	static const char *const fmts[] = {
	    "text-format=plain", "text-format=markdown", "text-format=html"};
	static const char *const places[] = {"text-placement=append",
					     "text-placement=prepend"};

	(void)state;
	for (int f = 0; f < 3; f++) {
		for (int p = 0; p < 2; p++) {
			const char *s[] = {fmts[f], places[p], NULL};
			wm_mark *m = mark_with(s);
			char *once = disclose(m, "Some answer.");
			char *twice = disclose(m, once);
			char *padded = malloc(strlen(once) + 3);
			char *thrice;

			assert_string_equal(twice, once);
			strcpy(padded, once);
			strcat(padded, "\n ");
			thrice = disclose(m, padded);
			assert_string_equal(thrice, padded);
			free(padded);
			wm_free(once);
			wm_free(twice);
			wm_free(thrice);
			wm_mark_free(m);
		}
	}
}

/* The sentence inside the message's own words is not a disclosure block. */
static void test_not_fooled_by_words(void **state)
{
	(void)state;
	expect(NULL, "This picture is AI-generated",
	       "This picture is AI-generated\n\nAI-generated");
	expect(NULL, "AI-generated art\n\nis AI-generated.",
	       "AI-generated art\n\nis AI-generated.\n\nAI-generated");
}

static void expect_bad_utf8(const char *msg, size_t n, const char *offset)
{
	wm_mark *m = mark_with(NULL);
	char *out = (char *)1;
	size_t size = 99;

	assert_int_equal(wm_disclose_text(m, msg, n, &out, &size),
			 WM_ERR_BAD_VALUE);
	assert_null(out);
	assert_int_equal(size, 0);
	assert_non_null(strstr(wm_last_error(), "UTF-8"));
	assert_non_null(strstr(wm_last_error(), offset));
	wm_mark_free(m);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	expect_bad_utf8("ab\xff"
			"cd",
			5, "byte 2");
	expect_bad_utf8("\xc0\xaf", 2, "byte 0");	 /* overlong '/' */
	expect_bad_utf8("ok \xed\xa0\x80", 6, "byte 3"); /* surrogate */
	expect_bad_utf8("end \xe6\x97", 6, "byte 4");	 /* truncated */
}

static void test_bad_arguments(void **state)
{
	wm_mark *m = mark_with(NULL);
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(wm_disclose_text(NULL, "x", 1, &out, &n),
			 WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_disclose_text(m, "x", 1, NULL, &n),
			 WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_disclose_text(m, NULL, 3, &out, &n),
			 WM_ERR_INVALID_ARGUMENT);
	assert_int_equal(wm_disclose_text(m, NULL, 0, &out, NULL), WM_OK);
	assert_string_equal(out, "AI-generated");
	wm_free(out);
	wm_mark_free(m);
}

static void test_blank_sentence(void **state)
{
	static const char *const s[] = {"text= ", NULL};
	wm_mark *m = mark_with(s);
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(wm_disclose_text(m, "x", 1, &out, &n),
			 WM_ERR_BAD_VALUE);
	assert_non_null(strstr(wm_last_error(), "disclosure"));
	wm_mark_free(m);
}

/* Only message_size bytes are read: no NUL terminator is needed. */
static void test_size_bounds_message(void **state)
{
	wm_mark *m = mark_with(NULL);
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(wm_disclose_text(m, "Hi\xff", 2, &out, &n), WM_OK);
	assert_string_equal(out, "Hi\n\nAI-generated");
	wm_free(out);
	wm_mark_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_append),
	    cmocka_unit_test(test_plain_prepend),
	    cmocka_unit_test(test_disclosure_option_wins),
	    cmocka_unit_test(test_markdown),
	    cmocka_unit_test(test_html),
	    cmocka_unit_test(test_line_breaks_in_sentence),
	    cmocka_unit_test(test_utf8_kept),
	    cmocka_unit_test(test_idempotent),
	    cmocka_unit_test(test_not_fooled_by_words),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_blank_sentence),
	    cmocka_unit_test(test_size_bounds_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
