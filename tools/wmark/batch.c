/*
 * Marking a list of files with worker threads.
 *
 * Each worker takes the next file from a shared counter, so every file is
 * processed exactly once. SIGINT, SIGTERM and SIGHUP only set a flag: no
 * new file is started, and the files in flight are cancelled through the
 * progress callback, which makes the library drop its temporary file.
 * Nothing half
 * written is ever left under an output name, so running the same command
 * again completes the batch (finished outputs are then skipped as
 * existing). SIGXFSZ is ignored so that a file-size limit becomes a write
 * error reported for that file, and SIGPIPE so that a closed pipe does too.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "wmark.h"

static atomic_int g_signal;

typedef struct batch batch;

typedef struct worker {
	batch *b;
	pthread_t thread;
	bool started;
	atomic_llong done;
	atomic_llong total;
	atomic_long current; /* job index, or -1 between files */
} worker;

struct batch {
	const cli_config *cfg;
	wm_mark *mark;
	job_list *jobs;
	atomic_size_t next;
	atomic_size_t finished;
	atomic_int running;
	worker *workers;
	int n_workers;
	pthread_mutex_t lock; /* one writer at a time on stdout/stderr */
	bool bar;
	bool bar_drawn;
	double start;
};

/* The batch under way, for the library's notes (cli_log_line), and the
 * input the calling thread is marking, to name it in them. */
static batch *g_batch;
static _Thread_local const char *t_input;

/* The private copy of a video read from standard input, removed at exit
 * and, since unlink is async-signal-safe, as soon as a signal arrives. */
static char g_spool[4096];
static volatile sig_atomic_t g_spool_set;

static void remove_spool(void)
{
	if (g_spool_set) {
		g_spool_set = 0;
		unlink(g_spool);
	}
}

static void on_signal(int sig)
{
	int expected = 0;
	int saved = errno; /* the interrupted code may be about to read it */

	if (g_spool_set) {
		g_spool_set = 0;
		unlink(g_spool);
	}
	atomic_compare_exchange_strong(&g_signal, &expected, sig);
	errno = saved;
}

void cli_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read of standard input must see the signal. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal went away */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	atexit(remove_spool);
}

int cli_interrupted(void)
{
	return atomic_load(&g_signal);
}

static int on_progress(void *user, int64_t done, int64_t total)
{
	worker *w = user;

	atomic_store(&w->done, done);
	atomic_store(&w->total, total);
	return atomic_load(&g_signal) != 0;
}

/* ---- standard input to standard output ---------------------------------- */

/* Standard input: the first bytes, read to tell images from videos, then
 * the rest of the stream. */
typedef struct stdin_source {
	unsigned char head[512];
	size_t n_head;
	size_t pos;
} stdin_source;

typedef struct stdout_sink {
	int err; /* errno of a failed write, 0 if none */
} stdout_sink;

static ptrdiff_t read_fd(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);

		if (r >= 0 || errno != EINTR || atomic_load(&g_signal))
			return r;
	}
}

static ptrdiff_t read_source(void *user, void *buf, size_t n)
{
	stdin_source *src = user;
	size_t k = src->n_head - src->pos;

	if (k == 0)
		return read_fd(STDIN_FILENO, buf, n);
	if (k > n)
		k = n;
	memcpy(buf, src->head + src->pos, k);
	src->pos += k;
	return (ptrdiff_t)k;
}

static int write_fd(void *user, const void *buf, size_t n)
{
	stdout_sink *sink = user;
	const char *p = buf;

	while (n) {
		ssize_t r = write(STDOUT_FILENO, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sink->err = r < 0 ? errno : EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static bool read_head(stdin_source *src)
{
	while (src->n_head < sizeof(src->head)) {
		ptrdiff_t r = read_fd(STDIN_FILENO, src->head + src->n_head,
				      sizeof(src->head) - src->n_head);

		if (r < 0)
			return false;
		if (r == 0)
			break;
		src->n_head += (size_t)r;
	}
	return true;
}

/* The video containers the library tells by their first bytes: ISO media
 * whose brands are not those of a still (AVIF, HEIF), Matroska/WebM, AVI
 * and MPEG-TS. Anything else goes the image way, where the library names
 * what it found. */
static bool head_is_video(const unsigned char *b, size_t n)
{
	static const char *const stills[] = {"avif", "avis", "heic", "heix",
					     "heim", "heis", "mif1", "msf1",
					     "crx "};

	if (n >= 16 && memcmp(b + 4, "ftyp", 4) == 0) {
		size_t box = (size_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
		size_t end = box < n ? box : n;

		for (size_t i = 8; i + 4 <= end; i += 4)
			for (size_t k = 0; k < 9 && i != 12; k++)
				if (memcmp(b + i, stills[k], 4) == 0)
					return false;
		return true;
	}
	if (n >= 4 && memcmp(b, "\x1a\x45\xdf\xa3", 4) == 0)
		return true;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 &&
	    memcmp(b + 8, "AVI ", 4) == 0)
		return true;
	return n >= 189 && b[0] == 0x47 && b[188] == 0x47;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	int err = 0;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR && !atomic_load(&g_signal))
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : EIO;
			break;
		}
		p += r;
		n -= (size_t)r;
	}
	return err;
}

/* Copies standard input into a private file in $TMPDIR (the library marks
 * videos from files, which it reads more than once). Returns 0 or errno. */
static int spool(const stdin_source *src)
{
	const char *dir = getenv("TMPDIR");
	char buf[65536];
	ptrdiff_t r = 0;
	int fd, err;

	snprintf(g_spool, sizeof(g_spool), "%s/wmark-stdin-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(g_spool);
	if (fd < 0)
		return errno;
	g_spool_set = 1;
	err = write_all(fd, src->head, src->n_head);
	while (!err && (r = read_fd(STDIN_FILENO, buf, sizeof(buf))) > 0)
		err = write_all(fd, buf, (size_t)r);
	if (!err && r < 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	return err;
}

/* Library messages about the private copy name standard input instead. */
static void rename_spool(file_job *job, const char *spool_path)
{
	char *at = job->message ? strstr(job->message, spool_path) : NULL;
	char *msg;

	if (!at)
		return;
	msg = cli_xasprintf("%.*s<stdin>%s", (int)(at - job->message),
			    job->message, at + strlen(spool_path));
	free(job->message);
	job->message = msg;
}

static void finish_job(const batch *b, file_job *job, wm_status st);

static void mark_stdin_video(const batch *b, file_job *job,
			     const stdin_source *src, const wm_job *j)
{
	char path[sizeof(g_spool)];
	int err = spool(src);
	wm_status st;

	snprintf(path, sizeof(path), "%s", g_spool);
	if (err) {
		remove_spool();
		if (atomic_load(&g_signal))
			cli_job_set(job, FILE_CANCELLED,
				    "interrupted; nothing written");
		else
			cli_job_set(job, FILE_FAILED,
				    "cannot keep a copy of the video in %s: "
				    "%s",
				    path, strerror(err));
		return;
	}
	if (atomic_load(&g_signal)) {
		remove_spool();
		cli_job_set(job, FILE_CANCELLED, "interrupted; nothing written");
		return;
	}
	/* From here the video streams to standard output as it is marked. */
	job->wrote_stdout = true;
	st = wm_mark_file(b->mark, path, "-", j);
	remove_spool();
	finish_job(b, job, st);
	rename_spool(job, path);
}

static void mark_stdio(const batch *b, file_job *job, const wm_job *j)
{
	stdin_source src;
	stdout_sink sink = {0};
	wm_reader in = {sizeof(in), &src, read_source, "<stdin>"};
	wm_writer out = {sizeof(out), &sink, write_fd, "<stdout>"};
	wm_status st;

	memset(&src, 0, sizeof(src));
	if (!read_head(&src)) {
		if (atomic_load(&g_signal))
			cli_job_set(job, FILE_CANCELLED,
				    "interrupted; nothing written");
		else
			cli_job_set(job, FILE_FAILED, "%s", strerror(errno));
		return;
	}
	if (head_is_video(src.head, src.n_head)) {
		mark_stdin_video(b, job, &src, j);
		return;
	}
	st = wm_mark_io(b->mark, &in, &out, j);
	finish_job(b, job, st);
	if (job->state == FILE_FAILED && sink.err)
		cli_job_set(job, FILE_FAILED, "<stdout>: write failed: %s",
			    strerror(sink.err));
}

/* ---- one file ----------------------------------------------------------- */

/* Files found in folders may be anything: only images and videos are
 * marked. --skip-marked asks the file's metadata first. */
static bool skip_by_probe(const batch *b, file_job *job)
{
	wm_media_info info;
	wm_status st;

	if (!job->from_walk && !b->cfg->skip_marked)
		return false;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	st = wm_probe_file(job->input, &info);
	/* Files that are no media at all are passed over quietly; an image
	 * or video in a format the library refuses (GIF, TIFF, AVIF...)
	 * fails with the library's reason, as when it is named. */
	if (st == WM_ERR_UNSUPPORTED && job->from_walk &&
	    strstr(wm_last_error(), "not an image or video")) {
		job->quiet_skip = true;
		cli_job_set(job, FILE_SKIPPED, "not an image or video");
		return true;
	}
	if (st == WM_ERR_UNSUPPORTED && job->from_walk) {
		cli_job_set(job, FILE_FAILED, "%s", wm_last_error());
		return true;
	}
	if (st == WM_OK && b->cfg->skip_marked && info.has_disclosure) {
		cli_job_set(job, FILE_SKIPPED,
			    "already carries the "
			    "disclosure (--skip-marked)");
		return true;
	}
	return false;
}

static void finish_job(const batch *b, file_job *job, wm_status st)
{
	if (st == WM_OK)
		cli_job_set(job, FILE_OK, "%s", "");
	else if (st == WM_ERR_CANCELLED || atomic_load(&g_signal))
		cli_job_set(job, FILE_CANCELLED,
			    "interrupted; nothing written");
	else if (st == WM_ERR_EXISTS && !b->cfg->force)
		cli_job_set(job, FILE_SKIPPED, "%s", wm_last_error());
	else
		cli_job_set(job, FILE_FAILED, "%s", wm_last_error());
}

static bool out_of_descriptors(void)
{
	const char *msg = wm_last_error();

	return strstr(msg, strerror(EMFILE)) || strstr(msg, strerror(ENFILE));
}

/* Too many open files is a passing state of a batch (other workers hold
 * descriptors), not a property of the file: wait a little and try again,
 * for up to about ten seconds. */
static wm_status mark_file_retrying(const batch *b, file_job *job,
				    const wm_job *j)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	wm_status st;

	for (int tries = 0;; tries++) {
		st = wm_mark_file(b->mark, job->input, job->output, j);
		if (st == WM_OK || tries >= 200 || atomic_load(&g_signal) ||
		    !out_of_descriptors())
			return st;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 50 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
}

static void run_job(worker *w, file_job *job)
{
	const cli_config *cfg = w->b->cfg;
	double t0 = cli_now();
	wm_job j;
	wm_status st;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.progress = on_progress;
	j.user = w;
	j.format = cfg->format[0] ? cfg->format : NULL;
	if (cfg->force)
		j.flags |= WM_JOB_OVERWRITE;
	if (cfg->in_place)
		j.flags |= WM_JOB_IN_PLACE | WM_JOB_OVERWRITE;
	t_input = cli_is_stdin(job) ? "<stdin>" : job->input;
	if (skip_by_probe(w->b, job)) {
		job->seconds = cli_now() - t0;
		t_input = NULL;
		return;
	}
	if (cli_is_stdin(job)) {
		mark_stdio(w->b, job, &j);
		job->seconds = cli_now() - t0;
		t_input = NULL;
		return;
	}
	st = mark_file_retrying(w->b, job, &j);
	job->seconds = cli_now() - t0;
	t_input = NULL;
	finish_job(w->b, job, st);
}

static void clear_bar(batch *b)
{
	if (b->bar_drawn)
		fputs("\r\033[K", stderr);
	b->bar_drawn = false;
}

/* The name a note starts with when it is one of the files in flight:
 * FFmpeg's own threads (decoding, encoding) mark no file themselves, and
 * the library names their lines after the file instead. NULL otherwise. */
static const char *owner_of(const batch *b, const char *line)
{
	for (int i = 0; b && i < b->n_workers; i++) {
		long k = atomic_load(&b->workers[i].current);
		const file_job *job;

		if (k < 0 || (size_t)k >= b->jobs->n)
			continue;
		job = &b->jobs->v[k];
		if (cli_is_stdin(job) && g_spool_set &&
		    cli_strip_prefix(line, g_spool) != line)
			return "<stdin>";
		if (!cli_is_stdin(job) &&
		    cli_strip_prefix(line, job->input) != line)
			return job->input;
	}
	return NULL;
}

/* The file a note is about: the one the calling thread marks, else the
 * one in flight that the note names. */
static const char *note_file(const batch *b, const char *line)
{
	return t_input ? t_input : owner_of(b, line);
}

/* A note without the file name it starts with, which the line gives
 * already (for standard input, the library knows only the private copy). */
static const char *note_text(const char *file, const char *line)
{
	if (!file)
		return line;
	if (g_spool_set && strcmp(file, "<stdin>") == 0)
		return cli_strip_prefix(line, g_spool);
	return cli_strip_prefix(line, file);
}

/* Each line of `message` (the library's notes may hold several) as a line
 * of its own, naming the file it concerns: with -j several files are in
 * flight. Under the output lock, so that lines never mix. */
void cli_log_line(const char *tag, const char *message)
{
	batch *b = g_batch;
	const char *p = message;

	if (b) {
		pthread_mutex_lock(&b->lock);
		clear_bar(b);
	}
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = cli_xasprintf("%.*s", (int)n, p);
		const char *file = note_file(b, line);

		fputs("wmark: ", stderr);
		if (file) {
			cli_print_name(stderr, file);
			fputs(": ", stderr);
		}
		fputs(tag, stderr);
		cli_print_text(stderr, note_text(file, line));
		fputc('\n', stderr);
		free(line);
		p += n;
		p += *p == '\n';
	}
	fflush(stderr);
	if (b)
		pthread_mutex_unlock(&b->lock);
}

static void report(batch *b, file_job *job)
{
	pthread_mutex_lock(&b->lock);
	clear_bar(b);
	cli_report_job(b->cfg, job);
	job->reported = true;
	pthread_mutex_unlock(&b->lock);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	batch *b = w->b;

	while (!atomic_load(&g_signal)) {
		size_t i = atomic_fetch_add(&b->next, 1);
		file_job *job;

		if (i >= b->jobs->n)
			break;
		job = &b->jobs->v[i];
		if (job->state != FILE_PENDING || cli_is_stdin(job))
			continue;
		atomic_store(&w->done, 0);
		atomic_store(&w->total, -1);
		atomic_store(&w->current, (long)i);
		run_job(w, job);
		atomic_store(&w->current, -1L);
		report(b, job);
		atomic_fetch_add(&b->finished, 1);
	}
	atomic_fetch_sub(&b->running, 1);
	return NULL;
}

/* ---- progress bar ------------------------------------------------------- */

static void format_time(char *buf, size_t size, double s)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
			 t % 60);
	else
		snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static int terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/* The file shown on the bar: the in-flight one that started first. Its
 * job index is returned in *job as read once: the worker may move on (and
 * set current to -1) while the bar is drawn. */
static const worker *current_worker(const batch *b, double *fraction,
				    long *job)
{
	const worker *shown = NULL;

	*fraction = 0;
	for (int i = 0; i < b->n_workers; i++) {
		const worker *w = &b->workers[i];
		long cur = atomic_load(&w->current);
		long long done = atomic_load(&w->done);
		long long total = atomic_load(&w->total);

		if (cur < 0)
			continue;
		if (total > 0 && done <= total)
			*fraction += (double)done / (double)total;
		if (!shown || cur < *job) {
			shown = w;
			*job = cur;
		}
	}
	return shown;
}

static void draw_name(const batch *b, const worker *w, long job, int room)
{
	char name[512];
	const char *s, *slash;
	long long done, total;
	size_t n;

	if (!w || job < 0 || room < 12)
		return;
	s = b->jobs->v[job].input;
	slash = strrchr(s, '/');
	cli_escape(slash ? slash + 1 : s, name, sizeof(name));
	done = atomic_load(&w->done);
	total = atomic_load(&w->total);
	room -= total > 0 ? 6 : done > 0 ? 14 : 1;
	n = strlen(name);
	s = name;
	if (n > (size_t)room) {
		s = name + n - (size_t)(room - 3);
		while ((*s & 0xc0) == 0x80)
			s++;
		fputs(" ...", stderr);
	} else {
		fputc(' ', stderr);
	}
	fputs(s, stderr);
	/* Videos whose length the container does not give count frames
	 * without a total. */
	if (total > 0)
		fprintf(stderr, " %3d%%",
			(int)(done >= total ? 100 : 100 * done / total));
	else if (done > 0)
		fprintf(stderr, " %lld/?", done);
}

static void draw_bar(batch *b, size_t total)
{
	char bar[24], elapsed[32], left[32] = "?";
	double part, now = cli_now() - b->start;
	long job = -1;
	const worker *w = current_worker(b, &part, &job);
	size_t done = atomic_load(&b->finished);
	double frac = total ? ((double)done + part) / (double)total : 1;
	int filled = (int)(frac * 20), width = terminal_width(), used;

	for (int i = 0; i < 20; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[20] = '\0';
	format_time(elapsed, sizeof(elapsed), now);
	if (frac > 0.001)
		format_time(left, sizeof(left), now * (1 - frac) / frac);
	used = fprintf(stderr, "\r\033[K[%s] %zu/%zu %s elapsed, %s left", bar,
		       done, total, elapsed, left);
	draw_name(b, w, job, width - used + 3); /* "\r\033[K" is not shown */
	fflush(stderr);
	b->bar_drawn = true;
}

static void wait_workers(batch *b, size_t total)
{
	struct timespec tick = {0, 100 * 1000 * 1000};

	while (b->bar && atomic_load(&b->running) > 0) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&b->lock);
		draw_bar(b, total);
		pthread_mutex_unlock(&b->lock);
	}
	for (int i = 0; i < b->n_workers; i++)
		if (b->workers[i].started)
			pthread_join(b->workers[i].thread, NULL);
	pthread_mutex_lock(&b->lock);
	clear_bar(b);
	pthread_mutex_unlock(&b->lock);
}

/* ---- the batch ---------------------------------------------------------- */

/* Each worker holds a few descriptors (input, temporary output, codec
 * files); more workers than the descriptor limit allows would only fail
 * with "Too many open files". */
static long descriptor_cap(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	return rl.rlim_cur > 32 + 8 ? (long)(rl.rlim_cur - 32) / 8 : 1;
}

static int worker_count(const cli_config *cfg, size_t pending)
{
	long n = cfg->jobs ? cfg->jobs : sysconf(_SC_NPROCESSORS_ONLN);

	if (n > descriptor_cap())
		n = descriptor_cap();
	if (n < 1)
		n = 1;
	if ((size_t)n > pending)
		n = (long)pending;
	return (int)n;
}

static void start_workers(batch *b)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	/* Workers, and the codec threads they start, inherit a mask that
	 * leaves the signals to the main thread. */
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < b->n_workers; i++) {
		worker *w = &b->workers[i];

		w->b = b;
		atomic_init(&w->current, -1L);
		atomic_fetch_add(&b->running, 1);
		w->started =
		    pthread_create(&w->thread, NULL, worker_main, w) == 0;
		if (!w->started)
			atomic_fetch_sub(&b->running, 1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Reports what planning already decided, and runs the standard-input job
 * on the main thread, where a signal can interrupt its read. */
static size_t run_on_main(batch *b)
{
	size_t pending = 0;
	worker main_worker;

	memset(&main_worker, 0, sizeof(main_worker));
	main_worker.b = b;
	for (size_t i = 0; i < b->jobs->n; i++) {
		file_job *job = &b->jobs->v[i];

		if (job->state == FILE_PENDING && cli_is_stdin(job) &&
		    !atomic_load(&g_signal))
			run_job(&main_worker, job);
		if (job->state != FILE_PENDING)
			report(b, job);
		else
			pending++;
	}
	return pending;
}

static int exit_status(const job_list *jobs)
{
	int sig = atomic_load(&g_signal);

	if (sig)
		return 128 + sig;
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i].state == FILE_FAILED)
			return WMARK_EXIT_FAILED;
	return WMARK_EXIT_OK;
}

static void cancel_unstarted(job_list *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i].state == FILE_PENDING)
			cli_job_set(&jobs->v[i], FILE_CANCELLED,
				    "interrupted before it started");
}

/* Marks every pending job; returns the exit status of the run. */
int cli_run_batch(const cli_config *cfg, wm_mark *mark, job_list *jobs)
{
	batch b;
	size_t pending;
	int status;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.mark = mark;
	b.jobs = jobs;
	b.start = cli_now();
	pthread_mutex_init(&b.lock, NULL);
	g_batch = &b;
	b.bar = cfg->verbosity >= 0 &&
		(cfg->progress == 1 ||
		 (cfg->progress == -1 && isatty(STDERR_FILENO)));
	pending = run_on_main(&b);
	b.n_workers = worker_count(cfg, pending);
	b.workers = cli_xmalloc(sizeof(worker) * ((size_t)b.n_workers + 1));
	memset(b.workers, 0, sizeof(worker) * ((size_t)b.n_workers + 1));
	atomic_store(&b.finished, jobs->n - pending);
	if (pending && !atomic_load(&g_signal)) {
		start_workers(&b);
		wait_workers(&b, jobs->n);
	}
	cancel_unstarted(jobs);
	g_batch = NULL;
	status = exit_status(jobs);
	cli_report_summary(cfg, jobs, cli_now() - b.start);
	if (cfg->json)
		cli_report_json(jobs, status);
	free(b.workers);
	pthread_mutex_destroy(&b.lock);
	return status;
}
