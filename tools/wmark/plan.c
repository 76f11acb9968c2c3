/*
 * From the inputs on the command line to a list of (input, output) pairs.
 *
 * The safety rules live here: an output never replaces its own input
 * (compared by device and inode, so "./", "..", hard and symbolic links
 * are all seen through) unless --in-place is given; outputs stay inside -o
 * because names come only from directory entries and a template that may
 * not contain '/'; sub-folders under -o that turn out to be symbolic links
 * are refused; an existing output (a planted symbolic link included) is
 * left alone without --force, and with --force the library's atomic rename
 * replaces the link itself, never the file it points to.
 *
 * These checks run when the batch is planned, through path names. Someone
 * who can write into -o while the batch runs could still swap a checked
 * sub-folder for a link in between; closing that window would need the
 * library to take folder descriptors (an openat-style API), which it does
 * not offer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wmark.h"

typedef struct planner {
	const cli_config *cfg;
	job_list *jobs;
	const char *tmpl;
	struct stat outdir_st;
	char *made_dir; /* last sub-folder of -o known to be a real folder */
} planner;

void cli_job_set(file_job *job, file_state state, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(job->message);
	job->message = cli_xstrdup(buf);
	job->state = state;
}

static file_job *add_job(job_list *jobs, const char *input)
{
	file_job *job;

	if (jobs->n == jobs->cap) {
		jobs->cap = jobs->cap ? 2 * jobs->cap : 64;
		jobs->v = cli_xrealloc(jobs->v, jobs->cap * sizeof(*job));
	}
	job = &jobs->v[jobs->n++];
	memset(job, 0, sizeof(*job));
	job->input = cli_xstrdup(input);
	return job;
}

static void job_free(file_job *job)
{
	free(job->input);
	free(job->output);
	free(job->message);
}

void cli_jobs_free(job_list *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		job_free(&jobs->v[i]);
	free(jobs->v);
	for (size_t i = 0; i < jobs->n_made_dirs; i++)
		free(jobs->made_dirs[i]);
	free(jobs->made_dirs);
	memset(jobs, 0, sizeof(*jobs));
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n && dir[n - 1] == '/')
		return cli_xasprintf("%s%s", dir, name);
	return cli_xasprintf("%s/%s", dir, name);
}

/* ---- output names --------------------------------------------------- */

/* The extension starts at the last '.' that is not the name's first byte:
 * "a.tar.jpg" has stem "a.tar", ".bashrc" has no extension. */
static size_t stem_length(const char *base)
{
	const char *dot = strrchr(base, '.');

	return dot && dot != base ? (size_t)(dot - base) : strlen(base);
}

static void append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = cli_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static bool expand_field(const char *field, size_t n, const char *base,
			 const char *new_ext, char **out, size_t *len)
{
	size_t stem = stem_length(base);
	const char *ext = *new_ext ? new_ext : base + stem;

	if (n == 4 && memcmp(field, "stem", 4) == 0)
		append(out, len, base, stem);
	else if (n == 3 && memcmp(field, "ext", 3) == 0)
		append(out, len, ext, strlen(ext));
	else if (n == 4 && memcmp(field, "name", 4) == 0) {
		append(out, len, base, stem);
		append(out, len, ext, strlen(ext));
	} else
		return false;
	return true;
}

/*
 * Expands {name}, {stem} and {ext} ("{{" and "}}" are literal braces).
 * Only the input's own name and the template reach the result: nothing of
 * the mark (its text or disclosure) can end up in a file name.
 */
static char *expand(const char *tmpl, const char *base, const char *new_ext,
		    char *why, size_t why_size)
{
	char *out = cli_xstrdup("");
	size_t len = 0;

	for (const char *p = tmpl; *p;) {
		const char *close;

		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			append(&out, &len, p, 1);
			p += 2;
			continue;
		}
		if (*p == '}') {
			snprintf(why, why_size, "unmatched '}' in '%s'", tmpl);
			goto fail;
		}
		if (*p != '{') {
			append(&out, &len, p++, 1);
			continue;
		}
		close = strchr(p, '}');
		if (!close || !expand_field(p + 1, (size_t)(close - p - 1),
					    base, new_ext, &out, &len)) {
			snprintf(why, why_size,
				 "expected {name}, {stem} or "
				 "{ext} in '%s'",
				 tmpl);
			goto fail;
		}
		p = close + 1;
	}
	return out;
fail:
	free(out);
	return NULL;
}

static bool name_ok(const char *name)
{
	return *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       !strchr(name, '/');
}

bool cli_template_valid(const char *tmpl, char *why, size_t why_size)
{
	char *name;

	if (strchr(tmpl, '/')) {
		snprintf(why, why_size,
			 "'%s' may not contain '/': outputs "
			 "go next to their input or into -o",
			 tmpl);
		return false;
	}
	name = expand(tmpl, "photo.jpg", "", why, why_size);
	if (!name)
		return false;
	if (!name_ok(name)) {
		snprintf(why, why_size, "'%s' gives the file name '%s'", tmpl,
			 name);
		free(name);
		return false;
	}
	free(name);
	return true;
}

/* ---- folders ------------------------------------------------------------ */

/* Creates -o and its parents. The user's own path may go through symbolic
 * links; only what wmark creates below it is checked. */
static int make_outdir(const char *dir)
{
	char *p = cli_xstrdup(dir);
	struct stat st;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			break;
		*s = '/';
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "wmark: -o ");
		cli_print_name(stderr, dir);
		fprintf(stderr, ": cannot create the folder: %s\n",
			strerror(errno));
		free(p);
		return WMARK_EXIT_USAGE;
	}
	free(p);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "wmark: -o ");
		cli_print_name(stderr, dir);
		fprintf(stderr, ": exists and is not a folder\n");
		return WMARK_EXIT_USAGE;
	}
	return WMARK_CONTINUE;
}

/* Sub-folders are created while planning, before it is known whether any
 * file in them will be marked; the ones left empty are removed at the end. */
static void remember_dir(job_list *jobs, const char *dir)
{
	size_t n = jobs->n_made_dirs + 1;

	jobs->made_dirs = cli_xrealloc(jobs->made_dirs, n * sizeof(char *));
	jobs->made_dirs[n - 1] = cli_xstrdup(dir);
	jobs->n_made_dirs = n;
}

void cli_remove_empty_dirs(job_list *jobs)
{
	/* Children were created after their parents: last ones first. rmdir
	 * only ever removes an empty folder. */
	for (size_t i = jobs->n_made_dirs; i-- > 0;)
		rmdir(jobs->made_dirs[i]);
}

/* Makes sure OUTDIR/rel is a chain of real folders, creating what is
 * missing. A symbolic link planted there could send outputs anywhere. */
static bool make_subdirs(planner *p, const char *rel, file_job *job)
{
	char *cur, *relcopy, *save = NULL;
	struct stat st;
	bool ok = true;

	if (p->made_dir && strcmp(p->made_dir, rel) == 0)
		return true;
	cur = cli_xstrdup(p->cfg->outdir);
	relcopy = cli_xstrdup(rel);
	for (char *c = strtok_r(relcopy, "/", &save); c && ok;
	     c = strtok_r(NULL, "/", &save)) {
		char *next = path_join(cur, c);

		free(cur);
		cur = next;
		if (mkdir(cur, 0777) == 0) {
			remember_dir(p->jobs, cur);
			continue;
		}
		if (errno != EEXIST || lstat(cur, &st) != 0 ||
		    !S_ISDIR(st.st_mode)) {
			cli_job_set(job, FILE_FAILED,
				    "output folder %s is "
				    "not a folder (symbolic links under -o are "
				    "not followed)",
				    cur);
			ok = false;
		}
	}
	free(relcopy);
	free(cur);
	if (ok) {
		free(p->made_dir);
		p->made_dir = cli_xstrdup(rel);
	}
	return ok;
}

/* ---- one file ----------------------------------------------------------- */

static char *output_dir(const planner *p, const char *input, const char *rel)
{
	const char *slash = strrchr(input, '/');

	if (p->cfg->outdir)
		return *rel ? path_join(p->cfg->outdir, rel)
			    : cli_xstrdup(p->cfg->outdir);
	if (!slash)
		return cli_xstrdup(".");
	return cli_xasprintf("%.*s", (int)(slash - input + 1), input);
}

static char *output_path(const planner *p, const char *input, const char *dir,
			 const char *base, file_job *job)
{
	char why[256];
	char *name =
	    expand(p->tmpl, base, p->cfg->format_ext, why, sizeof(why));
	char *out;

	if (!name) {
		cli_job_set(job, FILE_FAILED, "--name: %s", why);
		return NULL;
	}
	if (!name_ok(name)) {
		cli_job_set(job, FILE_FAILED,
			    "--name gives the unusable "
			    "output name '%s'",
			    name);
		free(name);
		return NULL;
	}
	if (!p->cfg->outdir && !strchr(input, '/'))
		out = name;
	else {
		out = path_join(dir, name);
		free(name);
	}
	return out;
}

/* Decides what happens to an output that already exists. */
static void check_output(const planner *p, file_job *job)
{
	struct stat lst, st;

	if (lstat(job->output, &lst) != 0) {
		if (errno != ENOENT)
			cli_job_set(job, FILE_FAILED, "output %s: %s",
				    job->output, strerror(errno));
		return;
	}
	if (p->cfg->in_place)
		return;
	if (stat(job->output, &st) == 0 && st.st_dev == job->in_dev &&
	    st.st_ino == job->in_ino) {
		cli_job_set(job, FILE_FAILED,
			    "the output %s is this input "
			    "file; --in-place replaces inputs",
			    job->output);
		return;
	}
	if (S_ISDIR(lst.st_mode))
		cli_job_set(job, FILE_FAILED, "the output %s is a folder",
			    job->output);
	else if (!p->cfg->force)
		cli_job_set(job, FILE_SKIPPED,
			    "the output %s exists; --force "
			    "replaces it",
			    job->output);
}

/* The destination's identity: its folder's device and inode plus its
 * name, so that "out/a.jpg" and "./out/../out/a.jpg" are one file. */
static void set_key(file_job *job, const char *dir, bool in_place)
{
	struct stat st;
	const char *slash = strrchr(job->output, '/');

	if (in_place) {
		job->key_dev = job->in_dev;
		job->key_ino = job->in_ino;
		job->key_name = "";
		return;
	}
	job->key_name = slash ? slash + 1 : job->output;
	if (stat(dir, &st) == 0) {
		job->key_dev = st.st_dev;
		job->key_ino = st.st_ino;
	}
}

static void plan_in_place(file_job *job, const char *input)
{
	struct stat lst;
	char *real;

	/* A named symbolic link is marked where it points, and stays a
	 * link. */
	if (lstat(input, &lst) == 0 && S_ISLNK(lst.st_mode) &&
	    (real = realpath(input, NULL))) {
		free(job->input);
		job->input = cli_xstrdup(real);
		job->output = cli_xstrdup(real);
		free(real);
		return;
	}
	job->output = cli_xstrdup(input);
}

static void plan_file(planner *p, const char *input, const char *rel,
		      const char *base, bool from_walk, const struct stat *st)
{
	file_job *job = add_job(p->jobs, input);
	char *dir;

	job->from_walk = from_walk;
	job->in_dev = st->st_dev;
	job->in_ino = st->st_ino;
	if (p->cfg->in_place) {
		plan_in_place(job, input);
		set_key(job, NULL, true);
		return;
	}
	dir = output_dir(p, input, rel);
	if (p->cfg->outdir && *rel && !make_subdirs(p, rel, job)) {
		free(dir);
		return;
	}
	job->output = output_path(p, input, dir, base, job);
	if (job->output) {
		check_output(p, job);
		set_key(job, dir, false);
	}
	free(dir);
}

/* ---- folders of inputs -------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **read_names(const char *dir, size_t *n, int *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d) {
		*err = errno;
		return NULL;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			names = cli_xrealloc(names, cap * sizeof(char *));
		}
		names[(*n)++] = cli_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(char *), compare_names);
	return names;
}

/* "x.marked.jpg" found in a folder is the output of an earlier run, with
 * or without -o: marking it again would mark it twice. Named on the
 * command line, it is marked like any file. */
static bool is_earlier_output(const char *name)
{
	size_t stem = stem_length(name);

	return strstr(name, ".marked.") ||
	       (stem >= 7 && memcmp(name + stem - 7, ".marked", 7) == 0);
}

static void quiet_skip(planner *p, const char *path, const char *why)
{
	file_job *job = add_job(p->jobs, path);

	job->from_walk = true;
	job->quiet_skip = true;
	cli_job_set(job, FILE_SKIPPED, "%s", why);
}

static void walk(planner *p, const char *dir, const char *rel);

static void walk_entry(planner *p, const char *path, const char *rel,
		       const char *name)
{
	struct stat st;
	char *sub;

	if (lstat(path, &st) != 0) {
		cli_job_set(add_job(p->jobs, path), FILE_FAILED, "%s: %s",
			    path, strerror(errno));
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		quiet_skip(p, path, "symbolic link in a folder, not followed");
	} else if (S_ISDIR(st.st_mode)) {
		if (p->cfg->outdir && st.st_dev == p->outdir_st.st_dev &&
		    st.st_ino == p->outdir_st.st_ino)
			return;
		sub = *rel ? path_join(rel, name) : cli_xstrdup(name);
		walk(p, path, sub);
		free(sub);
	} else if (!S_ISREG(st.st_mode)) {
		quiet_skip(p, path, "not a regular file");
	} else if (is_earlier_output(name)) {
		quiet_skip(p, path, "output of an earlier run");
	} else {
		plan_file(p, path, rel, name, true, &st);
	}
}

static void walk(planner *p, const char *dir, const char *rel)
{
	size_t n;
	int err = 0;
	char **names = read_names(dir, &n, &err);

	if (err) {
		cli_job_set(add_job(p->jobs, dir), FILE_FAILED, "%s: %s", dir,
			    strerror(err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = path_join(dir, names[i]);

		/* A walk of a huge tree stops at Ctrl-C too. */
		if (!cli_interrupted())
			walk_entry(p, path, rel, names[i]);
		free(path);
		free(names[i]);
	}
	free(names);
}

static void plan_input(planner *p, const char *input)
{
	struct stat st;
	const char *slash = strrchr(input, '/');

	if (strcmp(input, "-") == 0) {
		add_job(p->jobs, input);
		return;
	}
	if (!*input) {
		cli_job_set(add_job(p->jobs, input), FILE_FAILED,
			    "an empty name names no file");
	} else if (stat(input, &st) != 0) {
		cli_job_set(add_job(p->jobs, input), FILE_FAILED, "%s: %s",
			    input, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (p->cfg->recursive)
			walk(p, input, "");
		else
			cli_job_set(add_job(p->jobs, input), FILE_FAILED,
				    "is a folder; -r marks the files in it");
	} else if (!S_ISREG(st.st_mode)) {
		cli_job_set(add_job(p->jobs, input), FILE_FAILED,
			    "not a regular file");
	} else {
		plan_file(p, input, "", slash ? slash + 1 : input, false, &st);
	}
}

/* ---- the same file twice ------------------------------------------------ */

static int compare_keys(const void *a, const void *b)
{
	const file_job *x = *(file_job *const *)a, *y = *(file_job *const *)b;

	if (x->key_dev != y->key_dev)
		return x->key_dev < y->key_dev ? -1 : 1;
	if (x->key_ino != y->key_ino)
		return x->key_ino < y->key_ino ? -1 : 1;
	if (strcmp(x->key_name, y->key_name))
		return strcmp(x->key_name, y->key_name);
	return x < y ? -1 : x > y;
}

/* A file named twice is marked once; two inputs that would write one
 * output are an error for the second, rather than a race. */
static void find_duplicates(job_list *jobs)
{
	file_job **v = cli_xmalloc((jobs->n + 1) * sizeof(*v));
	size_t n = 0, k = 0;

	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i].key_name && jobs->v[i].state == FILE_PENDING)
			v[n++] = &jobs->v[i];
	qsort(v, n, sizeof(*v), compare_keys);
	for (size_t i = 1; i < n; i++) {
		file_job *first = v[i - 1], *job = v[i];

		if (first->key_dev != job->key_dev ||
		    first->key_ino != job->key_ino ||
		    strcmp(first->key_name, job->key_name) != 0)
			continue;
		v[i] = first; /* compare later ones with the first */
		if (first->in_dev == job->in_dev &&
		    first->in_ino == job->in_ino)
			job->dropped = true;
		else
			cli_job_set(job, FILE_FAILED,
				    "the output %s would "
				    "also be written for %s",
				    job->output, first->input);
	}
	for (size_t i = 0; i < jobs->n; i++) {
		if (jobs->v[i].dropped)
			job_free(&jobs->v[i]);
		else
			jobs->v[k++] = jobs->v[i];
	}
	jobs->n = k;
	free(v);
}

/*
 * Fills `jobs` from the inputs of `cfg`. Problems with single files become
 * failed or skipped jobs; only a problem with -o itself stops the run.
 */
int cli_plan(const cli_config *cfg, job_list *jobs)
{
	planner p = {.cfg = cfg, .jobs = jobs};

	p.tmpl = cfg->name_template ? cfg->name_template
		 : cfg->outdir	    ? "{name}"
				    : "{stem}.marked{ext}";
	if (cfg->outdir) {
		int r = make_outdir(cfg->outdir);

		if (r != WMARK_CONTINUE)
			return r;
		stat(cfg->outdir, &p.outdir_st);
	}
	for (size_t i = 0; i < cfg->n_inputs; i++)
		plan_input(&p, cfg->inputs[i]);
	free(p.made_dir);
	find_duplicates(jobs);
	return WMARK_CONTINUE;
}
