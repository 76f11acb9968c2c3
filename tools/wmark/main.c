/*
 * wmark: marks images and videos with a visible AI disclosure, in batches.
 * See `wmark --help` and wmark(1).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wmark.h"

static void out_of_memory(void)
{
	fputs("wmark: out of memory\n", stderr);
	exit(WMARK_EXIT_FAILED);
}

void *cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *cli_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *cli_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

char *cli_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		out_of_memory();
	return s;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The library's notes: its warnings by default, everything with
 * --verbose, nothing with --quiet. FFmpeg's own warnings (damaged packets,
 * probing advice) come before the one line that says why a file failed,
 * often several for one file, so they wait for --verbose too. */
static void on_log(void *user, wm_log_level level, const char *message)
{
	const cli_config *cfg = user;
	/* "ffmpeg: TEXT", or "FILE: ffmpeg: TEXT" when FFmpeg's context
	 * belongs to a file being marked. */
	bool ffmpeg = strncmp(message, "ffmpeg: ", 8) == 0 ||
		      strstr(message, ": ffmpeg: ") != NULL;

	if (cfg->verbosity < 0 ||
	    (cfg->verbosity == 0 && (level > WM_LOG_WARNING || ffmpeg)))
		return;
	cli_log_line(level <= WM_LOG_WARNING ? "warning: " : "", message);
}

/* Whether the mark option `name` (the logo or the font) is set and,
 * given a message, whether the message is about it: the library's
 * messages start with the logo's path and a colon, or with "font 'NAME'". */
static bool about_option_file(const wm_mark *mark, const char *name,
			      const char *message)
{
	char value[4096], quoted[4200];
	size_t n;

	if (wm_mark_get(mark, name, value, sizeof(value)) != WM_OK ||
	    !value[0])
		return false;
	if (!message)
		return true;
	n = strlen(value);
	snprintf(quoted, sizeof(quoted), "font '%s'", value);
	return (strncmp(message, value, n) == 0 && message[n] == ':') ||
	       strncmp(message, quoted, strlen(quoted)) == 0;
}

static double start_time(const wm_mark *mark)
{
	char value[64];

	if (wm_mark_get(mark, "start", value, sizeof(value)) != WM_OK)
		return 0;
	return strtod(value, NULL);
}

/*
 * A logo or font that cannot be read, or settings that can never draw a
 * mark (no text, logo or QR code; an end before the start), would fail
 * every input with the same line. The mark is drawn once on a small blank
 * frame first: that decodes the logo and loads the fonts, which the mark
 * keeps for every file after (nothing is done twice), and a failure naming
 * the logo or font, or a bad value (WM_ERR_BAD_VALUE never depends on the
 * picture), stops the run as a setup error before any input is touched.
 * Any other failure is left to the files, where it may depend on their
 * size (a QR code too big for a small picture).
 */
static int check_mark(wm_mark *mark)
{
	enum { W = 64, H = 48 };
	static uint8_t px[W * H * 4];
	wm_frame f;
	wm_status st;
	const char *msg;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.width = W;
	f.height = H;
	f.format = WM_PIX_RGBA;
	f.alpha = WM_ALPHA_STRAIGHT;
	f.orientation = WM_ORIENT_NORMAL;
	f.planes[0] = px;
	f.strides[0] = W * 4;
	/* At the start time, where the mark shows. */
	st = wm_mark_apply(mark, &f, start_time(mark));
	if (st == WM_OK)
		return WMARK_CONTINUE;
	msg = wm_last_error();
	if (st != WM_ERR_BAD_VALUE && !about_option_file(mark, "logo", msg) &&
	    !about_option_file(mark, "font", msg))
		return WMARK_CONTINUE;
	fputs("wmark: ", stderr);
	cli_print_text(stderr, msg);
	fputc('\n', stderr);
	return WMARK_EXIT_USAGE;
}

static int run_mark(int argc, char **argv)
{
	cli_config cfg;
	job_list jobs;
	wm_mark *mark = NULL;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	memset(&jobs, 0, sizeof(jobs));
	r = cli_parse_args(argc, argv, &cfg, "mark");
	if (r == WMARK_CONTINUE)
		r = cli_build_mark(&cfg, &mark);
	if (r == WMARK_CONTINUE && cfg.print_config)
		r = cli_print_config(mark);
	if (r == WMARK_CONTINUE)
		r = check_mark(mark);
	if (r == WMARK_CONTINUE) {
		wm_set_log_callback(on_log, &cfg);
		r = cli_plan(&cfg, &jobs);
	}
	if (r == WMARK_CONTINUE)
		r = cli_run_batch(&cfg, mark, &jobs);
	cli_remove_empty_dirs(&jobs);
	wm_set_log_callback(NULL, NULL);
	cli_jobs_free(&jobs);
	wm_mark_free(mark);
	cli_config_free(&cfg);
	return r;
}

int main(int argc, char **argv)
{
	static char text_name[] = "wmark text", info_name[] = "wmark info";

	/* getopt names the program in its messages: "wmark", not a path. */
	if (argc > 0 && strrchr(argv[0], '/'))
		argv[0] = strrchr(argv[0], '/') + 1;
	/* Before any thread starts, so no getenv can race with these. The
	 * library leaves process-wide settings to the program: SVT-AV1's
	 * banner is silenced through its variable, and FFmpeg's messages go
	 * through the library's log callback (shown per --quiet/--verbose)
	 * instead of straight to stderr. A value the user set is kept. */
	setenv("SVT_LOG", "1", 0);
	setenv("WMARK_FFMPEG_LOG", "1", 0);
	cli_install_signals();
	if (argc > 1 && strcmp(argv[1], "text") == 0) {
		argv[1] = text_name;
		return cli_text(argc - 1, argv + 1);
	}
	if (argc > 1 && strcmp(argv[1], "info") == 0) {
		argv[1] = info_name;
		return cli_info(argc - 1, argv + 1);
	}
	return run_mark(argc, argv);
}
