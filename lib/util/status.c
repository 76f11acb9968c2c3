/* Status codes, per-thread detail messages and the log callback. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define WM__MESSAGE_MAX 1024

static _Thread_local char wm__message[WM__MESSAGE_MAX];

typedef struct wm__logger {
	wm_log_fn fn;
	void *user;
	struct wm__logger *older; /* keeps old records reachable */
} wm__logger;

static _Atomic(wm__logger *) wm__current_logger;
static _Atomic(wm__logger *) wm__all_loggers;

unsigned wm_version(void)
{
	return WM_VERSION_NUMBER;
}

const char *wm_version_string(void)
{
	return WM_VERSION_STRING;
}

const char *wm_status_string(wm_status status)
{
	switch (status) {
	case WM_OK: return "success";
	case WM_ERR_INVALID_ARGUMENT: return "invalid argument";
	case WM_ERR_NO_MEMORY: return "out of memory";
	case WM_ERR_IO: return "input/output error";
	case WM_ERR_UNSUPPORTED: return "unsupported format or feature";
	case WM_ERR_CORRUPT: return "corrupt or truncated input";
	case WM_ERR_TOO_LARGE: return "input too large";
	case WM_ERR_UNKNOWN_OPTION: return "unknown option";
	case WM_ERR_BAD_VALUE: return "bad option value";
	case WM_ERR_NOT_FOUND: return "not found";
	case WM_ERR_CANCELLED: return "cancelled";
	case WM_ERR_CODEC: return "codec error";
	case WM_ERR_TOO_SMALL: return "frame too small for the mark";
	case WM_ERR_EXISTS: return "output already exists";
	case WM_ERR_INTERNAL: return "internal error";
	}
	return "unknown status";
}

const char *wm_last_error(void)
{
	return wm__message;
}

wm_status wm__verror(wm_status status, const char *fmt, va_list ap)
{
	vsnprintf(wm__message, sizeof(wm__message), fmt, ap);
	return status;
}

wm_status wm__error(wm_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wm__verror(status, fmt, ap);
	va_end(ap);
	return status;
}

wm_status wm__error_prefix(wm_status status, const char *prefix)
{
	char tmp[WM__MESSAGE_MAX];
	size_t plen = strlen(prefix);

	/* Do not repeat a prefix that a lower layer already wrote. */
	if (strncmp(wm__message, prefix, plen) == 0 && wm__message[plen] == ':')
		return status;
	memcpy(tmp, wm__message, sizeof(tmp));
	if (tmp[0] == '\0')
		snprintf(wm__message, sizeof(wm__message), "%s: %s", prefix,
			 wm_status_string(status));
	else
		snprintf(wm__message, sizeof(wm__message), "%s: %.*s", prefix,
			 (int)(sizeof(tmp) - plen - 3), tmp);
	return status;
}

void wm__error_clear(void)
{
	wm__message[0] = '\0';
}

void wm__hex_bytes(char *buf, size_t buf_size, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t used = 0;

	if (buf_size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 4 < buf_size; i++)
		used += (size_t)snprintf(buf + used, buf_size - used, "%s%02x",
					 i ? " " : "", p[i]);
}

/*
 * Each install publishes a new immutable record holding the callback and its
 * user pointer through one atomic pointer, so a reader inside wm__log always
 * sees a matching pair, whichever threads install callbacks meanwhile. Old
 * records are never freed: another thread may still be using one, and they
 * are two pointers each, installed a handful of times in a program's life.
 * They stay linked from wm__all_loggers so leak checkers see them as live.
 * If the record cannot be allocated the previous callback stays installed.
 */
void wm_set_log_callback(wm_log_fn fn, void *user)
{
	wm__logger *l;

	if (!fn) {
		atomic_store(&wm__current_logger, NULL);
		return;
	}
	l = wm__malloc(sizeof(*l));
	if (!l)
		return;
	l->fn = fn;
	l->user = user;
	l->older = atomic_load(&wm__all_loggers);
	while (!atomic_compare_exchange_weak(&wm__all_loggers, &l->older, l))
		;
	atomic_store(&wm__current_logger, l);
}

bool wm__log_enabled(void)
{
	return atomic_load(&wm__current_logger) != NULL;
}

void wm__log(wm_log_level level, const char *fmt, ...)
{
	wm__logger *l = atomic_load(&wm__current_logger);
	char buf[WM__MESSAGE_MAX];
	va_list ap;

	if (!l)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->fn(l->user, level, buf);
}
