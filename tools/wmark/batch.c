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

static void on_signal(int sig)
{
	int expected = 0;

	atomic_compare_exchange_strong(&g_signal, &expected, sig);
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

static ptrdiff_t read_fd(void *user, void *buf, size_t n)
{
	int fd = *(const int *)user;

	for (;;) {
		ssize_t r = read(fd, buf, n);

		if (r >= 0 || errno != EINTR || atomic_load(&g_signal))
			return r;
	}
}

static int write_fd(void *user, const void *buf, size_t n)
{
	int fd = *(const int *)user;
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static wm_status mark_stdio(wm_mark *mark, const wm_job *job)
{
	static const int in_fd = 0, out_fd = 1;
	wm_reader in = {sizeof(in), (void *)&in_fd, read_fd, "<stdin>"};
	wm_writer out = {sizeof(out), (void *)&out_fd, write_fd, "<stdout>"};

	return wm_mark_io(mark, &in, &out, job);
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
	if (st == WM_ERR_UNSUPPORTED && job->from_walk) {
		job->quiet_skip = true;
		cli_job_set(job, FILE_SKIPPED, "not an image or video");
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
	if (skip_by_probe(w->b, job)) {
		job->seconds = cli_now() - t0;
		return;
	}
	if (cli_is_stdin(job))
		st = mark_stdio(w->b->mark, &j);
	else
		st = wm_mark_file(w->b->mark, job->input, job->output, &j);
	job->seconds = cli_now() - t0;
	finish_job(w->b, job, st);
}

static void clear_bar(batch *b)
{
	if (b->bar_drawn)
		fputs("\r\033[K", stderr);
	b->bar_drawn = false;
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

/* The file shown on the bar: the in-flight one that started first. */
static const worker *current_worker(const batch *b, double *fraction)
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
		if (!shown || cur < atomic_load(&shown->current))
			shown = w;
	}
	return shown;
}

static void draw_name(const batch *b, const worker *w, int room)
{
	char name[512];
	const char *s, *slash;
	long long done, total;
	size_t n;

	if (!w || room < 12)
		return;
	s = b->jobs->v[atomic_load(&w->current)].input;
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
	const worker *w = current_worker(b, &part);
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
	draw_name(b, w, width - used + 3); /* "\r\033[K" is not shown */
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

static int worker_count(const cli_config *cfg, size_t pending)
{
	long n = cfg->jobs ? cfg->jobs : sysconf(_SC_NPROCESSORS_ONLN);

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
	status = exit_status(jobs);
	cli_report_summary(cfg, jobs, cli_now() - b.start);
	if (cfg->json)
		cli_report_json(jobs, status);
	free(b.workers);
	pthread_mutex_destroy(&b.lock);
	return status;
}
