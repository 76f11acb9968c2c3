/* Atomic output files, under both temporary-file schemes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/outfile.h"

static char dir[256];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/wm-outfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.' ||
		     (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(p);
	}
	if (d)
		closedir(d);
}

static int remove_dir(void **state)
{
	(void)state;
	clear_dir();
	return rmdir(dir);
}

static void read_back(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "rb");
	size_t got;

	assert_non_null(f);
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
}

static void write_file(const char *path, const char *text, unsigned flags,
		       wm_status expect)
{
	wm__outfile o;
	wm_status s = wm__outfile_create(&o, path, flags);

	if (s != WM_OK) {
		assert_int_equal(s, expect);
		return;
	}
	fputs(text, wm__outfile_stdio(&o));
	assert_int_equal(wm__outfile_commit(&o), expect);
}

static void run_scheme(const char *scheme)
{
	char path[300], buf[64];
	wm__outfile o;

	setenv("WMARK_TMPFILE", scheme, 1);
	clear_dir();
	snprintf(path, sizeof(path), "%s/out.txt", dir);

	/* Nothing is visible before commit, the content after. */
	assert_int_equal(wm__outfile_create(&o, path, 0), WM_OK);
	fputs("first", wm__outfile_stdio(&o));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(wm__outfile_commit(&o), WM_OK);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "first");
	assert_int_equal(entries(), 1);

	/* An existing file is kept without the overwrite flag. */
	write_file(path, "second", 0, WM_ERR_EXISTS);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "first");

	/* With it, the file is replaced and keeps its mode. */
	chmod(path, 0640);
	write_file(path, "third", WM__OUTFILE_OVERWRITE, WM_OK);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "third");
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
	}
	assert_int_equal(entries(), 1);

	/* Abort leaves no trace, and the old file untouched. */
	assert_int_equal(wm__outfile_create(&o, path, WM__OUTFILE_OVERWRITE),
			 WM_OK);
	fputs("partial", wm__outfile_stdio(&o));
	fflush(wm__outfile_stdio(&o));
	wm__outfile_abort(&o);
	read_back(path, buf, sizeof(buf));
	assert_string_equal(buf, "third");
	assert_int_equal(entries(), 1);
	unsetenv("WMARK_TMPFILE");
}

static void test_named(void **state)
{
	(void)state;
	run_scheme("named");
}

static void test_otmpfile(void **state)
{
	char path[300];
	wm__outfile o;

	(void)state;
	/* Skip where the file system has no O_TMPFILE (the automatic
	 * scheme then falls back to named files, tested above). */
	setenv("WMARK_TMPFILE", "otmpfile", 1);
	snprintf(path, sizeof(path), "%s/probe.txt", dir);
	if (wm__outfile_create(&o, path, 0) != WM_OK) {
		unsetenv("WMARK_TMPFILE");
		skip();
	}
	assert_null(o.tmp_path);
	wm__outfile_abort(&o);
	run_scheme("otmpfile");
}

static void test_missing_folder(void **state)
{
	wm__outfile o;

	(void)state;
	assert_int_equal(
	    wm__outfile_create(&o, "/nonexistent-dir/x/out.jpg", 0), WM_ERR_IO);
	assert_non_null(strstr(wm_last_error(), "/nonexistent-dir/x/out.jpg"));
}

/*
 * Leaves the named temporary file of `out` as a process killed while
 * writing would, aged `age` seconds, and returns its name. With `alive`,
 * the process that made it keeps running until *alive is killed.
 */
static void leave_temp(const char *out, long age, pid_t *alive, char *name,
		       size_t size)
{
	char path[300], prefix[300], tag[32];
	int ready[2];
	pid_t pid;
	DIR *d;
	struct dirent *e;
	struct timespec t[2];

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	snprintf(prefix, sizeof(prefix), ".%s.", out);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		wm__outfile o;

		setenv("WMARK_TMPFILE", "named", 1);
		if (wm__outfile_create(&o, path, WM__OUTFILE_OVERWRITE) ==
		    WM_OK)
			(void)!write(o.fd, "partial", 7);
		(void)!write(ready[1], "x", 1);
		if (alive)
			pause();
		_exit(0); /* no abort: the file stays, as after SIGKILL */
	}
	assert_int_equal(read(ready[0], path, 1), 1);
	close(ready[0]);
	close(ready[1]);
	if (alive)
		*alive = pid;
	else
		assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* The temporary name carries its maker's PID. */
	snprintf(tag, sizeof(tag), "-%ld-", (long)pid);
	name[0] = '\0';
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    strstr(e->d_name, tag)) {
			snprintf(name, size, "%s/%s", dir, e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	assert_true(name[0] != '\0');
	t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, name, t, 0), 0);
}

/* A killed run's temporary file is removed by the next run writing the
 * same output, but not one of another output, nor one whose process lives
 * or whose lock is still held (a writer in another PID namespace). */
static void test_stale_temporaries(void **state)
{
	char dead[600], other[600], recent[600], live[600], held[600];
	char path[300];
	pid_t alive;
	int fd;

	(void)state;
	clear_dir();
	leave_temp("out.txt", 3600, NULL, dead, sizeof(dead));
	leave_temp("other.txt", 3600, NULL, other, sizeof(other));
	assert_int_equal(entries(), 2);
	setenv("WMARK_TMPFILE", "named", 1);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	write_file(path, "fresh", 0, WM_OK);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(entries(), 2);

	/* Just killed: removed at once, its lock is gone with it. */
	leave_temp("out.txt", 0, NULL, recent, sizeof(recent));
	write_file(path, "again", WM__OUTFILE_OVERWRITE, WM_OK);
	assert_int_equal(access(recent, F_OK), -1);

	leave_temp("out.txt", 3600, &alive, live, sizeof(live));
	leave_temp("out.txt", 0, NULL, held, sizeof(held));
	fd = open(held, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	write_file(path, "fourth", WM__OUTFILE_OVERWRITE, WM_OK);
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(held, F_OK), 0);

	close(fd); /* the lock goes with its holder */
	write_file(path, "third", WM__OUTFILE_OVERWRITE, WM_OK);
	assert_int_equal(access(held, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	kill(alive, SIGKILL);
	waitpid(alive, NULL, 0);
	unsetenv("WMARK_TMPFILE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_named),
	    cmocka_unit_test(test_otmpfile),
	    cmocka_unit_test(test_missing_folder),
	    cmocka_unit_test(test_stale_temporaries),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
