/*
 * A private temporary directory for harnesses that must hand the library
 * a file name. It is removed at exit; a crashing run leaves it behind in
 * $TMPDIR (named wm-fuzz-XXXXXX) along with the input that crashed.
 */
#ifndef WM_FUZZ_TMP_H
#define WM_FUZZ_TMP_H

#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char fuzz_tmp_dir[512];

static void fuzz_tmp_remove(void)
{
	DIR *d = opendir(fuzz_tmp_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[1024];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_tmp_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(fuzz_tmp_dir);
}

static void fuzz_tmp_init(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(fuzz_tmp_dir, sizeof(fuzz_tmp_dir), "%s/wm-fuzz-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(fuzz_tmp_dir)) {
		perror("fuzz: mkdtemp");
		exit(2);
	}
	atexit(fuzz_tmp_remove);
}

/* Path of `name` inside the directory. */
static inline void fuzz_tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", fuzz_tmp_dir, name);
}

#endif /* WM_FUZZ_TMP_H */
