/* The option table: lookup, typed and generic setters, parsing, defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/util.h"

static void get(const wm_mark *m, const char *name, char *buf, size_t n)
{
	assert_int_equal(wm_mark_get(m, name, buf, n), WM_OK);
}

static void test_table_is_consistent(void **state)
{
	int count = wm_option_count();
	wm_option_info info;

	(void)state;
	assert_true(count >= 40);
	for (int i = 0; i < count; i++) {
		wm_option id;

		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		assert_int_equal(wm_option_describe(i, &info), WM_OK);
		assert_non_null(info.name);
		assert_non_null(info.help);
		assert_true(strlen(info.help) > 10);
		assert_true(info.id > 0 && info.id <= WM__OPT_MAX);
		assert_int_equal(wm_option_find(info.name, &id), WM_OK);
		assert_int_equal(id, info.id);
		if (info.type == WM_TYPE_ENUM)
			assert_non_null(info.choices);
		/* Ids are unique. */
		for (int j = 0; j < i; j++) {
			wm_option_info other = {.size = sizeof(other)};

			wm_option_describe(j, &other);
			assert_int_not_equal(other.id, info.id);
			assert_string_not_equal(other.name, info.name);
		}
	}
	info.size = sizeof(info);
	assert_int_equal(wm_option_describe(count, &info),
			 WM_ERR_INVALID_ARGUMENT);
	info.size = 4;
	assert_int_equal(wm_option_describe(0, &info), WM_ERR_INVALID_ARGUMENT);
}

static void test_pinned_ids(void **state)
{
	wm_option id;

	(void)state;
	assert_int_equal(wm_option_find("text", &id), WM_OK);
	assert_int_equal(id, 1);
	assert_int_equal(wm_option_find("outline_width", &id), WM_OK);
	assert_int_equal(id, WM_OPT_OUTLINE_WIDTH);
	assert_int_equal(wm_option_find("outline-width", &id), WM_OK);
	assert_int_equal(wm_option_find("position", &id), WM_OK);
	assert_int_equal(id, 17);
	assert_int_equal(wm_option_find("nope", &id), WM_ERR_UNKNOWN_OPTION);
	assert_non_null(strstr(wm_last_error(), "nope"));
}

/* Every name is found in both spellings, by wm_option_find and by the
 * generic setter's "name=value" form; no prefix or extension of a name
 * is taken for it. */
static void test_lookup_by_every_name(void **state)
{
	wm_mark *m;

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	for (int i = 0; i < wm_option_count(); i++) {
		wm_option_info info = {.size = sizeof(info)};
		char name[64], buf[4096], line[4200];
		wm_option id;
		size_t n;

		assert_int_equal(wm_option_describe(i, &info), WM_OK);
		n = strlen(info.name);
		assert_true(n + 2 < sizeof(name));
		memcpy(name, info.name, n + 1);
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		assert_int_equal(wm_option_find(name, &id), WM_OK);
		assert_int_equal(id, info.id);

		get(m, info.name, buf, sizeof(buf));
		snprintf(line, sizeof(line), "%s=%s", name, buf);
		assert_int_equal(wm_mark_set(m, line, NULL), WM_OK);

		name[n] = 'x';
		name[n + 1] = '\0';
		assert_int_equal(wm_option_find(name, &id),
				 WM_ERR_UNKNOWN_OPTION);
		for (size_t k = 0; k < n; k++) {
			name[k] = '\0';
			if (wm_option_find(name, &id) == WM_OK)
				assert_int_not_equal(id, info.id);
			name[k] = info.name[k] == '-' ? '_' : info.name[k];
		}
	}
	{
		wm_option id;

		assert_int_equal(wm_option_find("", &id),
				 WM_ERR_UNKNOWN_OPTION);
		assert_int_equal(wm_option_find("~", &id),
				 WM_ERR_UNKNOWN_OPTION);
	}
	wm_mark_free(m);
}

/* Numbers closer to 0 than the smallest normal double, however written,
 * are stored as 0, so that what an option reads as always sets again. */
static void test_tiny_numbers_are_zero(void **state)
{
	static const char *const tiny[] = {"0x1p-1031", "4.34584737989688e-311",
					   "1e-400", "-2e-310"};
	wm_mark *m;
	char buf[64];

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
		assert_int_equal(wm_mark_set(m, "opacity", tiny[i]), WM_OK);
		get(m, "opacity", buf, sizeof(buf));
		assert_string_equal(buf, "0");
		assert_int_equal(wm_mark_set(m, "offset-x", tiny[i]), WM_OK);
		get(m, "offset-x", buf, sizeof(buf));
		assert_string_equal(buf, "0px");
	}
	assert_int_equal(wm_mark_set_double(m, WM_OPT_OPACITY, 4.9e-324),
			 WM_OK);
	get(m, "opacity", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_int_equal(wm_mark_set_length(m, WM_OPT_OFFSET_X, -1e-310,
					    WM_UNIT_PERCENT),
			 WM_OK);
	get(m, "offset-x", buf, sizeof(buf));
	assert_string_equal(buf, "0%");
	/* Overflow is still refused. */
	assert_int_equal(wm_mark_set(m, "opacity", "1e400"), WM_ERR_BAD_VALUE);
	wm_mark_free(m);
}

static void test_defaults(void **state)
{
	wm_mark *m;
	char buf[128];

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	get(m, "text", buf, sizeof(buf));
	assert_string_equal(buf, "AI-generated");
	get(m, "position", buf, sizeof(buf));
	assert_string_equal(buf, "bottom-right");
	get(m, "size", buf, sizeof(buf));
	assert_string_equal(buf, "4%");
	get(m, "margin", buf, sizeof(buf));
	assert_string_equal(buf, "2%");
	get(m, "color", buf, sizeof(buf));
	assert_string_equal(buf, "#ffffffff");
	get(m, "metadata", buf, sizeof(buf));
	assert_string_equal(buf, "true");
	wm_mark_free(m);
}

static void test_generic_setter(void **state)
{
	wm_mark *m;
	char buf[128];

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "size", "48px"), WM_OK);
	get(m, "size", buf, sizeof(buf));
	assert_string_equal(buf, "48px");
	assert_int_equal(wm_mark_set(m, "size", "5%"), WM_OK);
	get(m, "size", buf, sizeof(buf));
	assert_string_equal(buf, "5%");
	assert_int_equal(wm_mark_set(m, "size=32", NULL), WM_OK);
	get(m, "size", buf, sizeof(buf));
	assert_string_equal(buf, "32px");
	assert_int_equal(wm_mark_set(m, "color", "red"), WM_OK);
	get(m, "color", buf, sizeof(buf));
	assert_string_equal(buf, "#ff0000ff");
	assert_int_equal(wm_mark_set(m, "color", "#12345680"), WM_OK);
	get(m, "color", buf, sizeof(buf));
	assert_string_equal(buf, "#12345680");
	assert_int_equal(wm_mark_set(m, "color", "#abc"), WM_OK);
	get(m, "color", buf, sizeof(buf));
	assert_string_equal(buf, "#aabbccff");
	assert_int_equal(wm_mark_set(m, "position", "Top-Left"), WM_OK);
	get(m, "position", buf, sizeof(buf));
	assert_string_equal(buf, "top-left");
	assert_int_equal(wm_mark_set(m, "tile", "yes"), WM_OK);
	get(m, "tile", buf, sizeof(buf));
	assert_string_equal(buf, "true");
	assert_int_equal(wm_mark_set(m, "outline_width", "0.1"), WM_OK);
	get(m, "outline-width", buf, sizeof(buf));
	assert_string_equal(buf, "0.1");
	wm_mark_free(m);
}

static void test_bad_values(void **state)
{
	wm_mark *m;
	char buf[128];

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "opacity", "1.5"), WM_ERR_BAD_VALUE);
	assert_non_null(strstr(wm_last_error(), "opacity"));
	assert_int_equal(wm_mark_set(m, "opacity", "abc"), WM_ERR_BAD_VALUE);
	assert_non_null(strstr(wm_last_error(), "expected a number"));
	assert_int_equal(wm_mark_set(m, "position", "middle"),
			 WM_ERR_BAD_VALUE);
	assert_non_null(strstr(wm_last_error(), "bottom-right"));
	assert_int_equal(wm_mark_set(m, "color", "#12"), WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set(m, "color", "notacolor"),
			 WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set(m, "size", "12pt"), WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set(m, "size", "150%"), WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set(m, "bogus", "1"), WM_ERR_UNKNOWN_OPTION);
	assert_int_equal(wm_mark_set(m, "size", NULL), WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set(m, "text", "bad \xff utf8"),
			 WM_ERR_BAD_VALUE);
	assert_non_null(strstr(wm_last_error(), "byte 4"));
	/* A failed set leaves the old value. */
	get(m, "opacity", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	wm_mark_free(m);
}

static void test_typed_setters(void **state)
{
	wm_mark *m;
	char buf[128];

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set_double(m, WM_OPT_OPACITY, 0.25), WM_OK);
	get(m, "opacity", buf, sizeof(buf));
	assert_string_equal(buf, "0.25");
	assert_int_equal(wm_mark_set_int(m, WM_OPT_POSITION, 0), WM_OK);
	get(m, "position", buf, sizeof(buf));
	assert_string_equal(buf, "top-left");
	assert_int_equal(wm_mark_set_int(m, WM_OPT_POSITION, 9),
			 WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set_color(m, WM_OPT_COLOR, 0x00ff0080u),
			 WM_OK);
	get(m, "color", buf, sizeof(buf));
	assert_string_equal(buf, "#00ff0080");
	assert_int_equal(wm_mark_set_length(m, WM_OPT_SIZE, 3, WM_UNIT_PERCENT),
			 WM_OK);
	get(m, "size", buf, sizeof(buf));
	assert_string_equal(buf, "3%");
	assert_int_equal(wm_mark_set_string(m, WM_OPT_TEXT, "Généré par IA"),
			 WM_OK);
	get(m, "text", buf, sizeof(buf));
	assert_string_equal(buf, "Généré par IA");
	assert_int_equal(wm_mark_set_color(m, WM_OPT_OPACITY, 1),
			 WM_ERR_BAD_VALUE);
	assert_int_equal(wm_mark_set_double(m, (wm_option)999, 1),
			 WM_ERR_UNKNOWN_OPTION);
	assert_int_equal(wm_mark_set_int(NULL, WM_OPT_TILE, 1),
			 WM_ERR_INVALID_ARGUMENT);
	wm_mark_free(m);
}

static void test_length_in_pixels(void **state)
{
	wm__options o;

	(void)state;
	assert_int_equal(wm__options_init(&o), WM_OK);
	/* 4% of a 1080-pixel shorter side. */
	assert_true(wm__opt_px(&o, WM_OPT_SIZE, 1080) > 43.1);
	assert_true(wm__opt_px(&o, WM_OPT_SIZE, 1080) < 43.3);
	assert_int_equal(wm__options_set(&o, "size", "48"), WM_OK);
	assert_true(wm__opt_px(&o, WM_OPT_SIZE, 1080) == 48.0);
	wm__options_free(&o);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(wm__utf8_invalid_at("abc", 3), -1);
	assert_int_equal(wm__utf8_invalid_at("\xd8\xa7\xd9\x84", 4), -1);
	assert_int_equal(wm__utf8_invalid_at("\xf0\x9f\xa4\x96", 4), -1);
	assert_int_equal(wm__utf8_invalid_at("a\xc0\x80", 3), 1);  /* overlong */
	assert_int_equal(wm__utf8_invalid_at("\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(wm__utf8_invalid_at("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(wm__utf8_invalid_at("ab\xe2\x82", 4), 2); /* cut */
}

/* A double written by get reads back as exactly the same double. */
static void test_double_round_trip(void **state)
{
	wm__options a, b;
	double v = 0.1 + 0.2;
	char buf[64];

	(void)state;
	assert_int_equal(wm__options_init(&a), WM_OK);
	assert_int_equal(wm__options_init(&b), WM_OK);
	assert_int_equal(wm__options_set_double(&a, WM_OPT_OPACITY, v), WM_OK);
	assert_int_equal(wm__options_get(&a, "opacity", buf, sizeof(buf)),
			 WM_OK);
	assert_int_equal(wm__options_set(&b, "opacity", buf), WM_OK);
	assert_true(wm__opt_double(&b, WM_OPT_OPACITY) == v);
	assert_int_equal(wm__options_set_double(&a, WM_OPT_OPACITY, 0.5),
			 WM_OK);
	assert_int_equal(wm__options_get(&a, "opacity", buf, sizeof(buf)),
			 WM_OK);
	assert_string_equal(buf, "0.5");
	wm__options_free(&a);
	wm__options_free(&b);
}

/* Values use a '.' decimal point even when the program's LC_NUMERIC uses a
 * comma. Needs a comma locale installed; without one the test is skipped. */
static void test_comma_locale(void **state)
{
	static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8",
				      "fr_FR.UTF-8", "fr_FR.utf8", "de_DE",
				      "fr_FR"};
	wm__options o;
	char buf[64];
	bool have = false;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !have; i++)
		have = setlocale(LC_NUMERIC, names[i]) != NULL;
	if (!have) {
		printf("skipped: no locale with a decimal comma installed\n");
		skip();
	}
	assert_int_equal(wm__options_init(&o), WM_OK);
	assert_int_equal(wm__options_set(&o, "opacity", "0.5"), WM_OK);
	assert_true(wm__opt_double(&o, WM_OPT_OPACITY) == 0.5);
	assert_int_equal(wm__options_get(&o, "opacity", buf, sizeof(buf)),
			 WM_OK);
	assert_string_equal(buf, "0.5");
	wm__options_free(&o);
	setlocale(LC_NUMERIC, "C");
}

/* A set that fails part-way (here: an allocation) leaves the mark as it
 * was. Needs a build with -Dfault_injection=true; skipped otherwise. */
static void test_failed_set_keeps_mark(void **state)
{
	wm_mark *m;
	char buf[64];
	int failures = 0;

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "text", "before"), WM_OK);
	for (uint64_t n = 1; n < 40; n++) {
		wm_status s;

		wm__alloc_fail_at(n);
		s = wm_mark_set(m, "text", "after");
		wm__alloc_fail_at(0);
		if (s == WM_OK)
			break;
		failures++;
		assert_int_equal(s, WM_ERR_NO_MEMORY);
		get(m, "text", buf, sizeof(buf));
		assert_string_equal(buf, "before");
	}
	wm_mark_free(m);
	if (failures == 0) {
		printf("skipped: built without fault injection\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_consistent),
		cmocka_unit_test(test_pinned_ids),
		cmocka_unit_test(test_lookup_by_every_name),
		cmocka_unit_test(test_tiny_numbers_are_zero),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_generic_setter),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_typed_setters),
		cmocka_unit_test(test_length_in_pixels),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_double_round_trip),
		cmocka_unit_test(test_comma_locale),
		cmocka_unit_test(test_failed_set_keeps_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
