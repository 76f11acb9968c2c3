/*
 * Output files of the video module. The muxer needs a name it can open,
 * seek in and re-open (MP4 faststart rewrites the file with the index
 * first). Regular files go through the library's atomic output file: the
 * muxer writes to /proc/self/fd/N of an unnamed O_TMPFILE file, or to a
 * hidden named temporary where the file system lacks O_TMPFILE, and the
 * file appears under its final name only on success. A killed run thus
 * leaves no file, or a named temporary that the next run removes.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "module.h"

static char *dup_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = wm__vhost->malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev &&
	       a->st_ino == b.st_ino;
}

static wm_status begin_stream(wm__vout *o, const char *out)
{
	o->is_stream = true;
	o->stream_path = dup_string(strcmp(out, "-") ? out : "pipe:1");
	o->write_path = o->stream_path;
	return o->write_path ? WM_OK
			     : wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory",
					out);
}

wm_status wm__vout_begin(wm__vout *o, const char *in, const char *out,
			 const wm_job *job)
{
	unsigned flags = job ? job->flags : 0;
	bool overwrite = flags & (WM_JOB_OVERWRITE | WM_JOB_IN_PLACE);
	struct stat st;
	wm_status s;

	memset(o, 0, sizeof(*o));
	o->final_path = dup_string(out);
	if (!o->final_path)
		return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory", out);
	if (strcmp(out, "-") == 0 ||
	    (stat(out, &st) == 0 &&
	     (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))))
		return begin_stream(o, out);
	if (stat(out, &st) == 0 && same_file(&st, in) &&
	    !(flags & WM_JOB_IN_PLACE))
		return wm__verr(WM_ERR_INVALID_ARGUMENT,
				"%s: output is the input (pass "
				"WM_JOB_IN_PLACE to replace it)",
				out);
	s = wm__vhost->outfile_create(&o->file, out,
				      overwrite ? WM__OUTFILE_OVERWRITE : 0);
	if (s != WM_OK)
		return s;
	o->have_file = true;
	o->write_path = wm__vhost->outfile_path(&o->file);
	return WM_OK;
}

static void vout_free(wm__vout *o)
{
	wm__vhost->free(o->final_path);
	wm__vhost->free(o->stream_path);
	o->final_path = o->stream_path = NULL;
	o->write_path = NULL;
}

wm_status wm__vout_commit(wm__vout *o)
{
	wm_status s = WM_OK;

	if (o->have_file)
		s = wm__vhost->outfile_commit(&o->file);
	o->have_file = false;
	vout_free(o);
	return s;
}

void wm__vout_abort(wm__vout *o)
{
	if (o->have_file)
		wm__vhost->outfile_abort(&o->file);
	o->have_file = false;
	vout_free(o);
}
