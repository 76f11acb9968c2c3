/* Status strings, per-thread messages, version and the log callback. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "watermark.h"

static void test_status_strings(void **state)
{
	(void)state;
	assert_string_equal(wm_status_string(WM_OK), "success");
	for (int s = 1; s <= WM_ERR_INTERNAL; s++) {
		const char *str = wm_status_string((wm_status)s);

		assert_non_null(str);
		assert_string_not_equal(str, "unknown status");
	}
	assert_string_equal(wm_status_string((wm_status)1000),
			    "unknown status");
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(wm_version(), WM_VERSION_NUMBER);
	assert_string_equal(wm_version_string(), WM_VERSION_STRING);
}

static void *fail_in_thread(void *arg)
{
	wm_mark *m = arg;

	wm_mark_set(m, "thread-only-option", "1");
	return strstr(wm_last_error(), "thread-only-option") ? m : NULL;
}

static void test_message_is_per_thread(void **state)
{
	wm_mark *m;
	pthread_t t;
	void *result;

	(void)state;
	assert_int_equal(wm_mark_new(&m), WM_OK);
	assert_int_equal(wm_mark_set(m, "main-only-option", "1"),
			 WM_ERR_UNKNOWN_OPTION);
	assert_int_equal(pthread_create(&t, NULL, fail_in_thread, m), 0);
	pthread_join(t, &result);
	assert_ptr_equal(result, m);
	assert_non_null(strstr(wm_last_error(), "main-only-option"));
	wm_mark_free(m);
}

static int log_calls;

static void count_log(void *user, wm_log_level level, const char *message)
{
	(void)level;
	(void)message;
	*(int *)user += 1;
}

static void test_log_callback_install(void **state)
{
	(void)state;
	wm_set_log_callback(count_log, &log_calls);
	wm_set_log_callback(NULL, NULL);
	assert_int_equal(log_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_message_is_per_thread),
		cmocka_unit_test(test_log_callback_install),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
