/*
 * What the user reads: one line per output or failure, a summary, and the
 * JSON report.
 *
 * File names are bytes. On a terminal or in a log, control bytes and '\'
 * are written as C escapes (\n, \t, \\, \xHH), so that one file is always
 * one line. JSON keeps names exact: valid UTF-8 is written as is, and each
 * byte that is not valid UTF-8 is written as the lone surrogate \udcHH
 * (Python's json and os.fsencode turn it back into the same byte).
 */
#include <stdlib.h>
#include <string.h>

#include "wmark.h"

void cli_escape(const char *s, char *buf, size_t size)
{
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tmp[8];
		size_t n;

		if (*p == '\n')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\n");
		else if (*p == '\t')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\t");
		else if (*p == '\\')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%c", *p);
		if (k + n + 1 > size)
			break;
		memcpy(buf + k, tmp, n);
		k += n;
	}
	if (size)
		buf[k] = '\0';
}

void cli_print_name(FILE *f, const char *name)
{
	size_t size = 4 * strlen(name) + 1;
	char *buf = cli_xmalloc(size);

	cli_escape(name, buf, size);
	fputs(buf, f);
	free(buf);
}

/* Library messages usually start with the file's name; the line already
 * names it, so the repeat is dropped. */
const char *cli_strip_prefix(const char *message, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(message, name, n) == 0 && message[n] == ':' &&
	    message[n + 1] == ' ')
		return message + n + 2;
	return message;
}

static const char *display_input(const file_job *job)
{
	if (!job->input[0])
		return "''";
	return cli_is_stdin(job) ? "<stdin>" : job->input;
}

static void report_problem(const file_job *job, const char *what)
{
	const char *input = display_input(job);

	fputs("wmark: ", stderr);
	cli_print_name(stderr, input);
	fprintf(stderr, ": %s", what);
	cli_print_name(stderr, cli_strip_prefix(job->message, input));
	fputc('\n', stderr);
}

static void report_ok(const cli_config *cfg, const file_job *job)
{
	if (cfg->verbosity > 0) {
		fputs("wmark: ", stderr);
		cli_print_name(stderr, display_input(job));
		fputs(" -> ", stderr);
		cli_print_name(stderr, job->output ? job->output : "<stdout>");
		fprintf(stderr, " (%.3f s)\n", job->seconds);
	}
	if (cfg->verbosity < 0 || cfg->json || cfg->stdout_data)
		return;
	cli_print_name(stdout, job->output);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Whether a skipped file gets its own line: files passed over while
 * walking folders (not media, links, earlier outputs) only with -v. */
static bool skip_listed(const cli_config *cfg, const file_job *job)
{
	return cfg->verbosity > 0 ||
	       (cfg->verbosity == 0 && !job->quiet_skip);
}

/* One line for one finished file. Called with the output lock held. */
void cli_report_job(const cli_config *cfg, const file_job *job)
{
	switch (job->state) {
	case FILE_OK: report_ok(cfg, job); break;
	case FILE_FAILED: report_problem(job, ""); break;
	case FILE_SKIPPED:
		if (skip_listed(cfg, job))
			report_problem(job, "skipped: ");
		break;
	case FILE_CANCELLED:
		if (cfg->verbosity > 0)
			report_problem(job, "");
		break;
	case FILE_PENDING: break;
	}
	fflush(stderr);
}

/* Every file by state, as in the JSON report; returns how many of the
 * skipped ones got no line of their own. */
static size_t count(const cli_config *cfg, const job_list *jobs, size_t n[5])
{
	size_t unlisted = 0;

	memset(n, 0, 5 * sizeof(n[0]));
	for (size_t i = 0; i < jobs->n; i++) {
		n[jobs->v[i].state]++;
		if (jobs->v[i].state == FILE_SKIPPED &&
		    !skip_listed(cfg, &jobs->v[i]))
			unlisted++;
	}
	return unlisted;
}

/* The totals count every file, like the JSON report; skipped files that
 * got no line are said to be so, not left out of the count. */
void cli_report_summary(const cli_config *cfg, const job_list *jobs,
			double seconds)
{
	size_t n[5], unlisted = count(cfg, jobs, n), files;
	char quiet[96] = "";
	bool partial = false;

	if (cfg->verbosity < 0 && !n[FILE_CANCELLED])
		return;
	for (size_t i = 0; i < jobs->n; i++)
		partial |= jobs->v[i].state == FILE_CANCELLED &&
			   jobs->v[i].wrote_stdout;
	/* Standard output cannot be taken back: a video streams there as
	 * it is marked. */
	if (partial)
		fputs("wmark: interrupted: standard input was not finished, "
		      "and what reached standard output is incomplete\n",
		      stderr);
	files = n[FILE_CANCELLED] - partial;
	if (files)
		fprintf(stderr,
			"wmark: interrupted: %zu %s not finished and "
			"nothing of %s written; the same command again "
			"completes the batch\n",
			files, files == 1 ? "file" : "files",
			files == 1 ? "it" : "them");
	if (cfg->verbosity < 0)
		return;
	if (unlisted)
		snprintf(quiet, sizeof(quiet),
			 " (%zu not media, links or earlier outputs: -v "
			 "lists %s)",
			 unlisted, unlisted == 1 ? "it" : "them");
	if (jobs->n > 1 || n[FILE_FAILED] || cfg->verbosity > 0)
		fprintf(stderr,
			"wmark: %zu marked, %zu failed, %zu skipped%s "
			"in %.1f s\n",
			n[FILE_OK], n[FILE_FAILED], n[FILE_SKIPPED], quiet,
			seconds);
}

/* Length of the valid UTF-8 sequence at p, or 0 if it is not one. */
static size_t utf8_length(const unsigned char *p)
{
	size_t n;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void cli_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = utf8_length(p);

		if (n == 0)
			fprintf(f, "\\udc%02x", *p);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
	fputc('"', f);
}

/* Text typed by the user or made from it, escaped as names are and with
 * bytes that are not UTF-8 written as \xNN: echoed raw, they would garble
 * the terminal. */
void cli_print_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_length(p);
		char one[2] = {(char)*p, '\0'};

		if (n == 0)
			fprintf(f, "\\x%02x", *p);
		else if (n == 1)
			cli_print_name(f, one);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

static const char *state_name(file_state state)
{
	static const char *names[] = {"pending", "ok", "failed", "skipped",
				      "cancelled"};

	return names[state];
}

static void json_job(const file_job *job, bool first)
{
	printf("%s\n    {\"input\": ", first ? "" : ",");
	cli_json_string(stdout, job->input);
	printf(", \"output\": ");
	if (cli_is_stdin(job))
		printf("\"-\"");
	else if (job->output)
		cli_json_string(stdout, job->output);
	else
		printf("null");
	printf(", \"status\": \"%s\", \"message\": ", state_name(job->state));
	cli_json_string(stdout, job->message ? job->message : "");
	printf(", \"time\": %.4f}", job->seconds);
}

/* The machine-readable report, on standard output. Files skipped while
 * walking folders (links, non-media) are listed too, as "skipped". */
void cli_report_json(const job_list *jobs, int exit_status)
{
	size_t n[5];

	memset(n, 0, sizeof(n));
	for (size_t i = 0; i < jobs->n; i++)
		n[jobs->v[i].state]++;
	printf("{\n  \"wmark\": \"%s\",\n  \"files\": [", WM_VERSION_STRING);
	for (size_t i = 0; i < jobs->n; i++)
		json_job(&jobs->v[i], i == 0);
	printf("\n  ],\n  \"ok\": %zu, \"failed\": %zu, \"skipped\": %zu, "
	       "\"cancelled\": %zu,\n  \"exit_status\": %d\n}\n",
	       n[FILE_OK], n[FILE_FAILED], n[FILE_SKIPPED], n[FILE_CANCELLED],
	       exit_status);
	fflush(stdout);
}
