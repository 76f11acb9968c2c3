/*
 * Output files of the video module. The muxer needs a file it can open by
 * name, seek in and re-open (MP4 faststart rewrites the file with the index
 * first), so the output goes to a named temporary file beside the
 * destination that is renamed into place only on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "module.h"

static char *dup_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = wm__vhost->malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Creates an empty temporary file "dir/.name.wm-PID-N" with the
 * permissions a new file gets (0666 less the umask). */
static wm_status make_temp(wm__vout *o)
{
	static atomic_uint counter;
	const char *slash = strrchr(o->final_path, '/');
	int dir_len = slash ? (int)(slash - o->final_path) + 1 : 0;
	const char *base = o->final_path + dir_len;
	size_t size = strlen(o->final_path) + 64;

	o->write_path = wm__vhost->malloc(size);
	if (!o->write_path)
		return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory",
				o->final_path);
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned n =
		    atomic_fetch_add(&counter, 1) ^ (unsigned)time(NULL);
		int fd;

		snprintf(o->write_path, size, "%.*s.%s.wm-%ld-%u", dir_len,
			 o->final_path, base, (long)getpid(), n);
		fd = open(o->write_path,
			  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			close(fd);
			return WM_OK;
		}
		if (errno != EEXIST)
			break;
	}
	int e = errno;

	wm__vhost->free(o->write_path);
	o->write_path = NULL;
	return wm__verr(WM_ERR_IO, "%s: cannot create a temporary file: %s",
			o->final_path, strerror(e));
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev &&
	       a->st_ino == b.st_ino;
}

wm_status wm__vout_begin(wm__vout *o, const char *in, const char *out,
			 const wm_job *job)
{
	unsigned flags = job ? job->flags : 0;
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->overwrite = flags & (WM_JOB_OVERWRITE | WM_JOB_IN_PLACE);
	o->final_path = dup_string(out);
	if (!o->final_path)
		return wm__verr(WM_ERR_NO_MEMORY, "%s: out of memory", out);
	if (strcmp(out, "-") == 0 ||
	    (stat(out, &st) == 0 &&
	     (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))) {
		o->is_stream = true;
		o->write_path = dup_string(strcmp(out, "-") ? out : "pipe:1");
		return o->write_path ? WM_OK
				     : wm__verr(WM_ERR_NO_MEMORY,
						"%s: out of memory", out);
	}
	if (stat(out, &st) == 0) {
		if (same_file(&st, in) && !(flags & WM_JOB_IN_PLACE))
			return wm__verr(WM_ERR_INVALID_ARGUMENT,
					"%s: output is the input (pass "
					"WM_JOB_IN_PLACE to replace it)",
					out);
		if (!o->overwrite)
			return wm__verr(WM_ERR_EXISTS, "%s: already exists",
					out);
	}
	return make_temp(o);
}

/* Moves the temporary file into place; without overwrite, link() refuses
 * an output that appeared in the meantime. */
static int publish(wm__vout *o)
{
	if (o->overwrite)
		return rename(o->write_path, o->final_path);
	if (link(o->write_path, o->final_path) == 0)
		return unlink(o->write_path);
	if (errno == EEXIST)
		return -1;
	if (access(o->final_path, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(o->write_path, o->final_path);
}

static void vout_free(wm__vout *o)
{
	wm__vhost->free(o->final_path);
	wm__vhost->free(o->write_path);
	o->final_path = o->write_path = NULL;
}

wm_status wm__vout_commit(wm__vout *o)
{
	wm_status s = WM_OK;

	if (!o->is_stream && publish(o) != 0) {
		int e = errno;

		unlink(o->write_path);
		s = wm__verr(e == EEXIST ? WM_ERR_EXISTS : WM_ERR_IO,
			     "%s: cannot move the output into place: %s",
			     o->final_path, strerror(e));
	}
	vout_free(o);
	return s;
}

void wm__vout_abort(wm__vout *o)
{
	if (o->write_path && !o->is_stream)
		unlink(o->write_path);
	vout_free(o);
}
