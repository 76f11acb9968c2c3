/* Atomic output files: see outfile.h. Linux first, plain POSIX as fallback. */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Where the file system has no locks, a stale temporary file must also be
 * this old (seconds) before it is removed: a process in another PID
 * namespace (a container sharing the folder) may own a name whose PID looks
 * dead here, and a live writer keeps its file's modification time recent.
 * With locks, the lock every writer holds on its temporary file decides. */
#define STALE_AGE 600

enum { SCHEME_AUTO, SCHEME_NAMED, SCHEME_OTMPFILE };

static int scheme_from_env(void)
{
	const char *e = secure_getenv("WMARK_TMPFILE");

	if (!e)
		return SCHEME_AUTO;
	if (strcmp(e, "named") == 0)
		return SCHEME_NAMED;
	if (strcmp(e, "otmpfile") == 0)
		return SCHEME_OTMPFILE;
	return SCHEME_AUTO;
}

/* The folder part of `path` ("." when there is none), newly allocated. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return wm__strdup(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	d = wm__malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

/* A hash of the host name, written into temporary names so that a host
 * never judges the PIDs of another one sharing the folder (NFS). */
static unsigned host_tag(void)
{
	char h[256] = "";
	unsigned x = 2166136261u;
	const char *p;

	gethostname(h, sizeof(h) - 1);
	for (p = h; *p; p++)
		x = (x ^ (unsigned char)*p) * 16777619u;
	return x;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * A hidden sibling name ".<base>.<host>-<pid>-<n>-<m>.tmp" that is
 * unlikely to exist; the host and PID let a later run tell that the file
 * was left behind by a process that is gone.
 */
static char *sibling_name(const char *path, unsigned attempt)
{
	static unsigned counter;
	const char *base = base_of(path);
	size_t dir_len = (size_t)(base - path);
	size_t n = dir_len + strlen(base) + 80;
	unsigned salt = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	char *s = wm__malloc(n);

	if (!s)
		return NULL;
	snprintf(s, n, "%.*s.%s.%08x-%ld-%u-%u.tmp", (int)dir_len, path, base,
		 host_tag(), (long)getpid(), salt,
		 attempt ^ (unsigned)clock());
	return s;
}

/* Whether `name` is a temporary file of output `base` made on this host by
 * a process that no longer exists. */
static bool left_by_dead_process(const char *name, const char *base,
				 unsigned host)
{
	size_t len = strlen(base);
	const char *rest;
	unsigned tag, a, b;
	long pid;
	int end = 0;

	if (name[0] != '.' || strncmp(name + 1, base, len) != 0 ||
	    name[len + 1] != '.')
		return false;
	rest = name + len + 2;
	if (sscanf(rest, "%8x-%ld-%u-%u.tmp%n", &tag, &pid, &a, &b, &end) !=
		4 ||
	    end == 0 || rest[end] != '\0')
		return false;
	if (tag != host || pid <= 0 || pid > INT_MAX || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes a temporary file whose writer's lock is free (the writer is gone:
 * the kernel drops a lock when its holder dies), or, where locks are not
 * supported, one not written to for STALE_AGE seconds. The file stays
 * locked while it is removed, so a writer that just created it sees that
 * and picks another name (see lock_new_temp). */
static void remove_if_unlocked(int dirfd, const char *name, time_t now)
{
	/* O_NONBLOCK: a FIFO given such a name must not hang the run. */
	int fd = openat(dirfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlinkat(dirfd, name, 0);
	else if (errno != EWOULDBLOCK && st.st_mtime + STALE_AGE < now)
		unlinkat(dirfd, name, 0); /* no locks here: the age decides */
	close(fd);
}

/* Takes the lock that marks a new named temporary file as in use. Fails
 * when a clean-up of stale files holds or held it in the meantime (the
 * name is then gone or going): the caller picks another name. A file
 * system without locks leaves the file unlocked; only the age rule then
 * lets a clean-up remove it. */
static bool lock_new_temp(int fd)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		return false;
	return fstat(fd, &st) != 0 || st.st_nlink > 0;
}

/*
 * Removes the temporary files that killed runs left for the same output
 * name (SIGKILL or a crash skips abort). Best effort: a failure only
 * leaves the files, and another run removing one first is fine. It costs
 * one pass over the folder per output, paid only in this scheme, which
 * serves file systems without O_TMPFILE.
 */
static void remove_stale(const char *path)
{
	char *dir = dir_of(path);
	const char *base = base_of(path);
	unsigned host = host_tag();
	time_t now = time(NULL);
	struct dirent *e;
	DIR *d;

	d = dir ? opendir(dir) : NULL;
	wm__free(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (left_by_dead_process(e->d_name, base, host))
			remove_if_unlocked(dirfd(d), e->d_name, now);
	}
	closedir(d);
}

static wm_status open_named(wm__outfile *o)
{
	unsigned attempt;

	remove_stale(o->path);
	for (attempt = 0; attempt < 100; attempt++) {
		char *name = sibling_name(o->path, attempt);

		if (!name)
			return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
					 o->path);
		o->fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (o->fd >= 0 && lock_new_temp(o->fd)) {
			o->tmp_path = name;
			return WM_OK;
		}
		if (o->fd >= 0) {
			close(o->fd);
			o->fd = -1;
			errno = EEXIST;
		}
		wm__free(name);
		if (errno != EEXIST)
			break;
	}
	return wm__error(WM_ERR_IO, "%s: cannot create a temporary file: %s",
			 o->path, strerror(errno));
}

static wm_status open_unnamed(wm__outfile *o, bool required)
{
#ifdef O_TMPFILE
	char *dir = dir_of(o->path);

	if (!dir)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				 o->path);
	o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	wm__free(dir);
	if (o->fd >= 0) {
		snprintf(o->proc_path, sizeof(o->proc_path), "/proc/self/fd/%d",
			 o->fd);
		return WM_OK;
	}
	if (!required)
		return WM_ERR_UNSUPPORTED;
	return wm__error(WM_ERR_IO, "%s: cannot create an O_TMPFILE file: %s",
			 o->path, strerror(errno));
#else
	(void)required;
	if (!required)
		return WM_ERR_UNSUPPORTED;
	return wm__error(WM_ERR_UNSUPPORTED, "%s: O_TMPFILE not available",
			 o->path);
#endif
}

/* Refuses an existing output early, and remembers the mode of a file that
 * will be replaced so that the replacement keeps it. */
static wm_status check_existing(wm__outfile *o)
{
	struct stat st;

	o->keep_mode = -1;
	if (stat(o->path, &st) != 0)
		return WM_OK;
	if (!(o->flags & WM__OUTFILE_OVERWRITE))
		return wm__error(WM_ERR_EXISTS,
				 "%s: the output exists (allow overwriting to "
				 "replace it)",
				 o->path);
	if (S_ISDIR(st.st_mode))
		return wm__error(WM_ERR_IO, "%s: is a folder", o->path);
	o->keep_mode = (int)(st.st_mode & 07777);
	return WM_OK;
}

wm_status wm__outfile_create(wm__outfile *o, const char *path, unsigned flags)
{
	int scheme = scheme_from_env();
	wm_status s;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->flags = flags;
	o->path = wm__strdup(path);
	if (!o->path)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", path);
	s = check_existing(o);
	if (s == WM_OK && scheme != SCHEME_NAMED) {
		s = open_unnamed(o, scheme == SCHEME_OTMPFILE);
		if (s == WM_ERR_UNSUPPORTED && scheme == SCHEME_AUTO)
			s = open_named(o);
	} else if (s == WM_OK) {
		s = open_named(o);
	}
	if (s != WM_OK) {
		wm__free(o->path);
		o->path = NULL;
	}
	return s;
}

FILE *wm__outfile_stdio(wm__outfile *o)
{
	if (!o->fp && o->fd >= 0)
		o->fp = fdopen(o->fd, "wb");
	return o->fp;
}

const char *wm__outfile_path(const wm__outfile *o)
{
	return o->tmp_path ? o->tmp_path : o->proc_path;
}

static void release(wm__outfile *o)
{
	if (o->fp)
		fclose(o->fp);
	else if (o->fd >= 0)
		close(o->fd);
	o->fp = NULL;
	o->fd = -1;
	wm__free(o->tmp_path);
	wm__free(o->path);
	o->tmp_path = NULL;
	o->path = NULL;
}

void wm__outfile_abort(wm__outfile *o)
{
	if (o->tmp_path)
		unlink(o->tmp_path);
	release(o);
}

/* Flushes user-space and, when a file is being replaced, kernel buffers, so
 * that a crash cannot swap a good file for an empty one. */
static wm_status flush_all(wm__outfile *o)
{
	if (o->fp && fflush(o->fp) != 0)
		return wm__error(WM_ERR_IO, "%s: write failed: %s", o->path,
				 strerror(errno));
	if (o->keep_mode >= 0) {
		if (fchmod(o->fd, (mode_t)o->keep_mode) != 0 ||
		    fsync(o->fd) != 0)
			return wm__error(WM_ERR_IO, "%s: cannot sync: %s",
					 o->path, strerror(errno));
	}
	return WM_OK;
}

/* Gives the unnamed file a name: the final one when nothing may be replaced
 * (linkat fails on an existing name, which is the race-free check), else a
 * temporary sibling that is then renamed over the final name. */
static wm_status link_unnamed(wm__outfile *o)
{
	unsigned attempt;

	if (!(o->flags & WM__OUTFILE_OVERWRITE)) {
		if (linkat(AT_FDCWD, o->proc_path, AT_FDCWD, o->path,
			   AT_SYMLINK_FOLLOW) == 0)
			return WM_OK;
		if (errno == EEXIST)
			return wm__error(WM_ERR_EXISTS, "%s: the output exists",
					 o->path);
		return wm__error(WM_ERR_IO, "%s: cannot create: %s", o->path,
				 strerror(errno));
	}
	for (attempt = 0; attempt < 100; attempt++) {
		char *name = sibling_name(o->path, attempt);

		if (!name)
			return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
					 o->path);
		if (linkat(AT_FDCWD, o->proc_path, AT_FDCWD, name,
			   AT_SYMLINK_FOLLOW) == 0) {
			o->tmp_path = name;
			return WM_OK;
		}
		wm__free(name);
		if (errno != EEXIST)
			break;
	}
	return wm__error(WM_ERR_IO, "%s: cannot link the output: %s", o->path,
			 strerror(errno));
}

/* Moves the named temporary file to the final name. Without overwriting,
 * link() refuses an existing name atomically; file systems without hard
 * links fall back to a checked rename. */
static wm_status move_named(wm__outfile *o)
{
	struct stat st;

	if (o->flags & WM__OUTFILE_OVERWRITE) {
		if (rename(o->tmp_path, o->path) == 0)
			return WM_OK;
	} else if (link(o->tmp_path, o->path) == 0) {
		unlink(o->tmp_path);
		return WM_OK;
	} else if (errno == EEXIST) {
		return wm__error(WM_ERR_EXISTS, "%s: the output exists",
				 o->path);
	} else if (stat(o->path, &st) != 0 &&
		   rename(o->tmp_path, o->path) == 0) {
		return WM_OK;
	}
	return wm__error(WM_ERR_IO, "%s: cannot rename the output: %s", o->path,
			 strerror(errno));
}

wm_status wm__outfile_commit(wm__outfile *o)
{
	wm_status s = flush_all(o);

	if (s == WM_OK && !o->tmp_path)
		s = link_unnamed(o);
	if (s == WM_OK && o->tmp_path)
		s = move_named(o);
	if (s != WM_OK) {
		wm__outfile_abort(o);
		return s;
	}
	wm__free(o->tmp_path);
	o->tmp_path = NULL;
	release(o);
	return WM_OK;
}
