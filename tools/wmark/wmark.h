/*
 * wmark: the command-line face of libwatermark. It uses only the public
 * header, exactly as an outside application would.
 *
 * Files of the tool:
 *   main.c     subcommands and the flow of a marking run
 *   args.c     flags generated from the library's option table, --help
 *   plan.c     inputs to (input, output) pairs, with the safety checks
 *   batch.c    worker threads, signals, progress
 *   report.c   result lines, JSON, file names made printable
 *   info.c     `wmark info` and `wmark text`
 */
#ifndef WMARK_CLI_H
#define WMARK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "watermark.h"

/* Exit statuses, documented in --help, the man page and the README. */
enum {
	WMARK_EXIT_OK = 0,     /* every file marked or skipped */
	WMARK_EXIT_FAILED = 1, /* at least one file failed */
	WMARK_EXIT_USAGE = 2   /* bad flags, values or -o: nothing was done */
	/* 128 + signal number when interrupted: 130 for Ctrl-C, 143 for a
	 * kill with SIGTERM, 129 when the terminal hangs up. */
};

/* Result of argument parsing that is not "go on". */
enum { WMARK_CONTINUE = -1 };

/* One mark option given on the command line, applied in order. */
typedef struct cli_setting {
	const char *name;
	const char *value;
} cli_setting;

typedef struct cli_config {
	const char *outdir;	   /* -o; NULL: next to each input */
	const char *name_template; /* --name; NULL: the default */
	bool recursive;
	bool force;
	bool in_place;
	bool skip_marked;
	bool json;
	bool print_config;
	bool stdout_data; /* "-" is an input: standard output holds its data */
	int jobs;	  /* 0: number of cores */
	int verbosity;	  /* -1 quiet, 0 normal, 1 verbose */
	int progress;	  /* -1 automatic (on a terminal), 0 off, 1 on */
	const char *preset;
	const char *batch_flag; /* first file or batch flag given, for text */
	cli_setting *settings;
	size_t n_settings;
	char **inputs;
	size_t n_inputs;
	char format_ext[40]; /* ".png" when --format asks for PNG, else "" */
	char format[32];     /* job format name, "" for automatic */
} cli_config;

typedef enum file_state {
	FILE_PENDING = 0,
	FILE_OK,
	FILE_FAILED,
	FILE_SKIPPED,
	FILE_CANCELLED
} file_state;

typedef struct file_job {
	char *input;	 /* path bytes as given or joined during a walk */
	char *output;	 /* NULL: standard output */
	bool from_walk;	 /* found by -r rather than named */
	bool quiet_skip; /* a skip only worth a line with --verbose */
	bool reported;
	bool wrote_stdout; /* marked data may have reached standard output */
	file_state state;
	char *message;
	double seconds;
	dev_t in_dev;
	ino_t in_ino;
	bool dropped; /* the same input and output named twice */
	/* Identity of the destination, for finding two jobs that would
	 * write the same file. */
	dev_t key_dev;
	ino_t key_ino;
	const char *key_name;
} file_job;

/* "-" on the command line: standard input to standard output. */
static inline bool cli_is_stdin(const file_job *job)
{
	return job->input[0] == '-' && job->input[1] == '\0';
}

typedef struct job_list {
	file_job *v;
	size_t n;
	size_t cap;
	char **made_dirs; /* sub-folders of -o created while planning */
	size_t n_made_dirs;
} job_list;

/* Small helpers; they exit with a message when memory runs out, which is
 * all a command-line tool can do then. */
void *cli_xmalloc(size_t n);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);
char *cli_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double cli_now(void);

/* args.c */
int cli_parse_args(int argc, char **argv, cli_config *cfg, const char *cmd);
int cli_build_mark(cli_config *cfg, wm_mark **out);
int cli_print_config(const wm_mark *mark);
void cli_config_free(cli_config *cfg);

/* plan.c */
bool cli_template_valid(const char *tmpl, char *why, size_t why_size);
int cli_plan(const cli_config *cfg, job_list *jobs);
void cli_jobs_free(job_list *jobs);
void cli_remove_empty_dirs(job_list *jobs);
void cli_job_set(file_job *job, file_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* batch.c */
int cli_run_batch(const cli_config *cfg, wm_mark *mark, job_list *jobs);
void cli_install_signals(void);
int cli_interrupted(void);
void cli_log_line(const char *tag, const char *message);

/* report.c */
void cli_escape(const char *s, char *buf, size_t size);
void cli_print_name(FILE *f, const char *name);
void cli_print_text(FILE *f, const char *s);
void cli_report_job(const cli_config *cfg, const file_job *job);
void cli_report_summary(const cli_config *cfg, const job_list *jobs,
			double seconds);
void cli_report_json(const job_list *jobs, int exit_status);
void cli_json_string(FILE *f, const char *s);
const char *cli_strip_prefix(const char *message, const char *name);

/* info.c */
int cli_info(int argc, char **argv);
int cli_text(int argc, char **argv);

#endif
