/*
 * Loads libwatermark-video.so on the first video call. Part of
 * libwatermark itself; it needs no FFmpeg header.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "video.h"

#define MODULE_FILE "libwatermark-video.so"

static const wm__video_host host_table = {
    .size = sizeof(wm__video_host),
    .abi = WM__VIDEO_ABI,
    .verror = wm__verror,
    .error_prefix = wm__error_prefix,
    .log = wm__log,
    .log_enabled = wm__log_enabled,
    .malloc = wm__malloc,
    .calloc = wm__calloc,
    .free = wm__free,
    .opt_int = wm__opt_int,
    .opt_double = wm__opt_double,
    .opt_str = wm__opt_str,
    .mark_options = wm__mark_options,
    .mark_disclosure = wm__mark_disclosure,
    .mark_acquire = wm__mark_acquire,
    .mark_release = wm__mark_release,
    .mark_alpha_at = wm__mark_alpha_at,
    .layer_apply = wm__layer_apply,
    .outfile_create = wm__outfile_create,
    .outfile_path = wm__outfile_path,
    .outfile_commit = wm__outfile_commit,
    .outfile_abort = wm__outfile_abort,
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const wm__video_module *module;
static char load_failure[512];

/* The module's path beside the library that contains this code; `sub` is
 * "" for an installed library and "video/" in the build tree. */
static bool path_beside_library(char *buf, size_t size, const char *sub)
{
	Dl_info info;
	const char *slash;
	int n;

	if (!dladdr((void *)&host_table, &info) || !info.dli_fname)
		return false;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return false;
	n = snprintf(buf, size, "%.*s/%s%s", (int)(slash - info.dli_fname),
		     info.dli_fname, sub, MODULE_FILE);
	return n > 0 && (size_t)n < size;
}

/* Tries one candidate; on failure appends dlerror()'s text to the
 * failure message so that the final error says what was tried. */
static void *try_open(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	size_t used = strlen(load_failure);

	if (!h && used < sizeof(load_failure) - 1) {
		const char *why = dlerror();

		snprintf(load_failure + used, sizeof(load_failure) - used,
			 "%s%s", used ? "; " : "", why ? why : path);
	}
	return h;
}

static void *open_module(void)
{
	const char *env = secure_getenv("WMARK_VIDEO_MODULE");
	char beside[PATH_MAX];

	if (env && env[0])
		return try_open(env);
	for (int i = 0; i < 2; i++) {
		void *h;

		if (!path_beside_library(beside, sizeof(beside),
					 i ? "video/" : ""))
			continue;
		if (access(beside, F_OK) != 0 && i == 1)
			continue;
		h = try_open(beside);
		if (h)
			return h;
	}
	return try_open(MODULE_FILE);
}

static void load_module(void)
{
	void *h = open_module();
	wm__video_entry_fn entry;
	const wm__video_module *mod;

	if (!h)
		return;
	*(void **)&entry = dlsym(h, WM__VIDEO_ENTRY);
	mod = entry ? entry(&host_table) : NULL;
	if (!mod || mod->abi != WM__VIDEO_ABI) {
		snprintf(load_failure, sizeof(load_failure),
			 "%s does not match this libwatermark (%s)",
			 MODULE_FILE, entry ? "ABI differs" : "no entry point");
		dlclose(h);
		return;
	}
	module = mod;
}

static wm_status need_module(const char *name)
{
	pthread_once(&load_once, load_module);
	if (module)
		return WM_OK;
	return wm__error(WM_ERR_UNSUPPORTED,
			 "%s: video needs the FFmpeg module %s, which could "
			 "not be loaded: %s",
			 name, MODULE_FILE, load_failure);
}

wm_status wm__video_mark_file(wm_mark *m, const char *in, const char *out,
			      const wm_job *job)
{
	wm_status s;

	if (!m || !in || !out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_file: NULL argument");
	s = need_module(in);
	if (s != WM_OK)
		return s;
	return module->mark_file(m, in, out, job);
}

wm_status wm__video_probe(const char *path, wm_media_info *info)
{
	wm_status s;

	if (!path || !info)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_probe_file: NULL argument");
	s = need_module(path);
	if (s != WM_OK)
		return s;
	return module->probe(path, info);
}
