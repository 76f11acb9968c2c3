/*
 * Runs a fuzz harness over files instead of under libFuzzer: every regular
 * file of each directory given (sorted by name), or each file given. Used by
 * `meson test` to replay the seed corpus and the regression inputs with any
 * compiler. Fails when a path is missing or nothing was replayed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#pragma weak LLVMFuzzerInitialize

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		if (f)
			fclose(f);
		return -1;
	}

	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);

	/* A copy of exactly n bytes, so that ASan sees reads past the end. */
	fprintf(stderr, "replay: %s (%ld bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, char ***names, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*count = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*count == cap) {
			cap = cap ? cap * 2 : 64;
			*names = realloc(*names, cap * sizeof(**names));
			if (!*names)
				abort();
		}
		(*names)[(*count)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*count)
		qsort(*names, *count, sizeof(**names), by_name);
	return 0;
}

/* Replays the regular files of `dir`; returns how many, or -1. */
static long replay_dir(const char *dir)
{
	char **names;
	size_t count;
	long done = 0;

	if (list_dir(dir, &names, &count) != 0) {
		fprintf(stderr, "replay: %s: cannot list\n", dir);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);

	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file\n", argv[i]);
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i])
					: (replay_file(argv[i]) ? -1 : 1);
		if (n < 0)
			return 1;
		total += n;
	}

	printf("replayed %ld inputs\n", total);
	return total > 0 ? 0 : 1;
}
