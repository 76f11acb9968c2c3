/*
 * Atomic output files. The output is written to a temporary file in the
 * destination folder and appears under its final name only on commit, so a
 * failed or interrupted job never leaves a partial file and never clobbers
 * an existing one.
 *
 * Usage:
 *	wm__outfile o;
 *	s = wm__outfile_create(&o, "out.jpg", WM__OUTFILE_OVERWRITE);
 *	... write to o.fd, wm__outfile_stdio(&o) or wm__outfile_path(&o) ...
 *	s = ok ? wm__outfile_commit(&o) : (wm__outfile_abort(&o), s);
 *
 * Exactly one of commit or abort must follow a successful create; both
 * release everything. Commit closes the stream and the descriptor itself.
 *
 * Two schemes: an unnamed O_TMPFILE file linked into place with linkat (no
 * name is ever visible before commit, nothing is left behind even after a
 * crash), or, where the file system lacks O_TMPFILE, a hidden named file
 * ".<name>.<random>.tmp" beside the output that abort removes. The
 * environment variable WMARK_TMPFILE=named|otmpfile forces one scheme (for
 * tests). Without WM__OUTFILE_OVERWRITE an existing output gives
 * WM_ERR_EXISTS, checked at create and again, race-free, at commit.
 */
#ifndef WM_OUTFILE_H
#define WM_OUTFILE_H

#include <stdio.h>

#include "util.h"

#define WM__OUTFILE_OVERWRITE 0x1u /* replace an existing file atomically */

typedef struct wm__outfile {
	char *path;	    /* final name */
	char *tmp_path;	    /* named scheme: the temporary file; else NULL */
	char proc_path[40]; /* O_TMPFILE scheme: /proc/self/fd/N */
	int fd;		    /* open for writing (and reading) */
	FILE *fp;	    /* stdio stream over fd, once asked for */
	unsigned flags;
	int keep_mode; /* mode of the file being replaced, or -1 */
} wm__outfile;

/* Creates the temporary file for `path`. On failure nothing is left and
 * `o` needs no abort. */
wm_status wm__outfile_create(wm__outfile *o, const char *path, unsigned flags);

/* A buffered stdio stream over the temporary file ("wb"), created on first
 * call and owned by `o`. NULL when out of memory. */
FILE *wm__outfile_stdio(wm__outfile *o);

/* A name under which the temporary file can be opened again for writing
 * (for libraries that insist on a path): the named temporary file, or
 * /proc/self/fd/N for an unnamed one. */
const char *wm__outfile_path(const wm__outfile *o);

/* Flushes, closes and moves the file to its final name. On failure the
 * temporary file is removed and the final name untouched. */
wm_status wm__outfile_commit(wm__outfile *o);

/* Closes and removes the temporary file. Safe after a failed commit. */
void wm__outfile_abort(wm__outfile *o);

#endif /* WM_OUTFILE_H */
