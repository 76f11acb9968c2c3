/*
 * `wmark info FILE...`: what the library sees in a file, without decoding
 * pixels. `wmark text`: a chat message on standard input, written back
 * with the disclosure.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wmark.h"

static const char *kind_name(wm_media_kind kind)
{
	switch (kind) {
	case WM_MEDIA_IMAGE: return "image";
	case WM_MEDIA_VIDEO: return "video";
	case WM_MEDIA_UNKNOWN: break;
	}
	return "unknown";
}

static const char *orientation_name(wm_orientation o)
{
	static const char *names[] = {
	    "normal",
	    "normal",
	    "mirrored left-right",
	    "rotated 180 degrees",
	    "mirrored top-bottom",
	    "transposed",
	    "shown rotated 90 degrees clockwise",
	    "transversed",
	    "shown rotated 90 degrees counter-clockwise"};

	return (unsigned)o < 9 ? names[o] : "invalid";
}

static void print_info(const char *path, const wm_media_info *in)
{
	cli_print_name(stdout, path);
	printf("\n  kind: %s\n  format: %.*s\n  size: %dx%d (as stored)\n",
	       kind_name(in->kind), (int)sizeof(in->format), in->format,
	       in->width, in->height);
	printf("  orientation: %d (%s)\n  bit depth: %d\n  colour space: "
	       "%.*s\n  alpha: %s\n",
	       (int)in->orientation, orientation_name(in->orientation),
	       in->bit_depth, (int)sizeof(in->color_space), in->color_space,
	       in->has_alpha ? "yes" : "no");
	printf("  disclosure: %s\n", in->has_disclosure ? "yes" : "no");
	if (in->source_type[0])
		printf("  source type: %.*s\n", (int)sizeof(in->source_type),
		       in->source_type);
	if (in->kind == WM_MEDIA_VIDEO)
		printf("  duration: %.3f s\n  frames: %lld\n", in->duration,
		       (long long)in->frames);
}

/* Copies a fixed-size field that may lack its terminating NUL. */
static void json_field(const char *key, const char *field, size_t size)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%.*s", (int)size, field);
	printf(", \"%s\": ", key);
	cli_json_string(stdout, buf);
}

static void print_info_json(const char *path, const wm_media_info *in)
{
	printf("{\"file\": ");
	cli_json_string(stdout, path);
	printf(", \"kind\": \"%s\"", kind_name(in->kind));
	json_field("format", in->format, sizeof(in->format));
	printf(", \"width\": %d, \"height\": %d, \"orientation\": %d, "
	       "\"bit_depth\": %d",
	       in->width, in->height, (int)in->orientation, in->bit_depth);
	json_field("color_space", in->color_space, sizeof(in->color_space));
	printf(", \"has_alpha\": %s, \"has_disclosure\": %s",
	       in->has_alpha ? "true" : "false",
	       in->has_disclosure ? "true" : "false");
	json_field("source_type", in->source_type, sizeof(in->source_type));
	printf(", \"duration\": %.6f, \"frames\": %lld}", in->duration,
	       (long long)in->frames);
}

static void print_error_json(const char *path, const char *message)
{
	printf("{\"file\": ");
	cli_json_string(stdout, path);
	printf(", \"error\": ");
	cli_json_string(stdout, message);
	putchar('}');
}

static int info_one(const char *path, bool json, bool first)
{
	wm_media_info in;
	wm_status st;

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	st = wm_probe_file(path, &in);
	if (json)
		fputs(first ? "\n  " : ",\n  ", stdout);
	if (st != WM_OK) {
		fputs("wmark: ", stderr);
		cli_print_name(stderr, path);
		fputs(": ", stderr);
		cli_print_name(stderr, cli_strip_prefix(wm_last_error(), path));
		fputc('\n', stderr);
		if (json)
			print_error_json(path, wm_last_error());
		return WMARK_EXIT_FAILED;
	}
	if (json)
		print_info_json(path, &in);
	else
		print_info(path, &in);
	return WMARK_EXIT_OK;
}

int cli_info(int argc, char **argv)
{
	static const struct option longs[] = {{"json", no_argument, NULL, 'J'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	bool json = false;
	int c, status = WMARK_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 'J') {
			json = true;
		} else if (c == 'h') {
			printf("Usage: wmark info [--json] FILE...\nPrints the "
			       "kind, format, size, orientation, colour space "
			       "and\ndisclosure metadata of each FILE.\n");
			return WMARK_EXIT_OK;
		} else {
			fputs("Try 'wmark info --help'.\n", stderr);
			return WMARK_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("wmark: info: no files given\n", stderr);
		return WMARK_EXIT_USAGE;
	}
	if (json)
		putchar('[');
	for (int i = optind; i < argc; i++)
		if (info_one(argv[i], json, i == optind) != WMARK_EXIT_OK)
			status = WMARK_EXIT_FAILED;
	if (json)
		puts("\n]");
	return status;
}

static char *read_all(int fd, size_t *n)
{
	size_t cap = 65536;
	char *buf = cli_xmalloc(cap);

	*n = 0;
	for (;;) {
		ssize_t r;

		if (*n == cap)
			buf = cli_xrealloc(buf, cap *= 2);
		r = read(fd, buf + *n, cap - *n);
		if (r == 0)
			return buf;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		*n += (size_t)r;
	}
}

static int disclose(const wm_mark *mark)
{
	size_t n, out_n;
	char *in = read_all(0, &n), *out;
	bool newline;

	if (!in) {
		perror("wmark: text: standard input");
		return cli_interrupted() ? 128 + cli_interrupted()
					 : WMARK_EXIT_FAILED;
	}
	if (wm_disclose_text(mark, in, n, &out, &out_n) != WM_OK) {
		fprintf(stderr, "wmark: text: %s\n", wm_last_error());
		free(in);
		return WMARK_EXIT_FAILED;
	}
	/* A message that ended with a newline keeps ending with one, so the
	 * next shell prompt starts on its own line. */
	newline = n && in[n - 1] == '\n' && (!out_n || out[out_n - 1] != '\n');
	free(in);
	if (fwrite(out, 1, out_n, stdout) != out_n ||
	    (newline && putchar('\n') == EOF) || fflush(stdout) != 0) {
		perror("wmark: text: standard output");
		wm_free(out);
		return WMARK_EXIT_FAILED;
	}
	wm_free(out);
	return WMARK_EXIT_OK;
}

int cli_text(int argc, char **argv)
{
	cli_config cfg;
	wm_mark *mark = NULL;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	r = cli_parse_args(argc, argv, &cfg, "text");
	if (r == WMARK_CONTINUE)
		r = cli_build_mark(&cfg, &mark);
	if (r == WMARK_CONTINUE)
		r = cfg.print_config ? cli_print_config(mark) : disclose(mark);
	wm_mark_free(mark);
	cli_config_free(&cfg);
	return r;
}
