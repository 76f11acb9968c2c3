/*
 * Command-line flags. The tool's own flags are listed here; every mark
 * option comes from the library's option table at run time, so an option
 * added to the table becomes a flag (and a line of --help) without any
 * change to this file.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wmark.h"

enum {
	OPT_JSON = 0x100,
	OPT_SKIP_MARKED,
	OPT_PRESET,
	OPT_LIST_OPTIONS,
	OPT_PRINT_CONFIG,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_TABLE = 0x1000,    /* + index in the option table */
	OPT_TABLE_NEG = 0x2000 /* --no-NAME of a boolean option */
};

typedef struct cli_flag {
	struct option opt;
	const char *arg;
	const char *help;
} cli_flag;

/* clang-format off */
static const cli_flag cli_flags[] = {
	{{"output", required_argument, NULL, 'o'}, "DIR",
	 "write outputs into DIR (created if missing)"},
	{{"recursive", no_argument, NULL, 'r'}, NULL,
	 "mark the files of folders and sub-folders, keeping the structure"},
	{{"name", required_argument, NULL, 'n'}, "TEMPLATE",
	 "output file name from {name}, {stem}, {ext}; default "
	 "{stem}.marked{ext}, or {name} with -o"},
	{{"in-place", no_argument, NULL, 'i'}, NULL,
	 "replace each input by its marked version, atomically"},
	{{"force", no_argument, NULL, 'f'}, NULL,
	 "replace outputs that already exist"},
	{{"skip-marked", no_argument, NULL, OPT_SKIP_MARKED}, NULL,
	 "skip files whose metadata already carries the disclosure"},
	{{"jobs", required_argument, NULL, 'j'}, "N",
	 "files marked at once (default: the number of cores)"},
	{{"preset", required_argument, NULL, OPT_PRESET}, "NAME",
	 "'ai': a ready boxed AI-generated disclosure"},
	{{"json", no_argument, NULL, OPT_JSON}, NULL,
	 "print a JSON report on standard output"},
	{{"quiet", no_argument, NULL, 'q'}, NULL,
	 "print only errors"},
	{{"verbose", no_argument, NULL, 'v'}, NULL,
	 "print every file, its time and the library's notes"},
	{{"progress", no_argument, NULL, OPT_PROGRESS}, NULL,
	 "draw the progress bar even when standard error is not a terminal"},
	{{"no-progress", no_argument, NULL, OPT_NO_PROGRESS}, NULL,
	 "never draw the progress bar"},
	{{"list-options", no_argument, NULL, OPT_LIST_OPTIONS}, NULL,
	 "print the option table, tab-separated, and exit"},
	{{"print-config", no_argument, NULL, OPT_PRINT_CONFIG}, NULL,
	 "print every mark option's value after the flags, and exit"},
	{{"help", no_argument, NULL, 'h'}, NULL, "print this help and exit"},
	{{"version", no_argument, NULL, 'V'}, NULL,
	 "print the version and exit"},
};
/* clang-format on */

#define N_CLI_FLAGS (sizeof(cli_flags) / sizeof(cli_flags[0]))

/* Short flags of the most used mark options. */
/* clang-format off */
static const struct {
	char c;
	const char *name;
} table_shorts[] = {
	{'t', "text"}, {'s', "size"}, {'c', "color"},
	{'p', "position"}, {'l', "logo"}, {'m', "margin"},
};
/* clang-format on */

#define N_TABLE_SHORTS (sizeof(table_shorts) / sizeof(table_shorts[0]))

/* Named mark presets, applied before the flags so that flags refine them. */
/* clang-format off */
static const cli_setting preset_ai[] = {
	{"text", "AI-generated"},
	{"position", "bottom-right"},
	{"box", "true"},
	{"metadata", "true"},
	{"source-type", "trainedAlgorithmicMedia"},
	{"disclosure", "This content was generated with artificial "
		       "intelligence."},
};
/* clang-format on */

typedef struct option_table {
	wm_option_info *v;
	int n;
} option_table;

static option_table load_table(void)
{
	option_table t;

	t.n = wm_option_count();
	if (t.n < 0)
		t.n = 0;
	t.v = cli_xmalloc(sizeof(*t.v) * ((size_t)t.n + 1));
	for (int i = 0; i < t.n; i++) {
		memset(&t.v[i], 0, sizeof(t.v[i]));
		t.v[i].size = sizeof(t.v[i]);
		if (wm_option_describe(i, &t.v[i]) != WM_OK)
			t.v[i].name = NULL;
	}
	return t;
}

static bool is_cli_flag(const char *name)
{
	for (size_t i = 0; i < N_CLI_FLAGS; i++)
		if (strcmp(cli_flags[i].opt.name, name) == 0)
			return true;
	return false;
}

static char short_of(const char *name)
{
	for (size_t i = 0; i < N_TABLE_SHORTS; i++)
		if (strcmp(table_shorts[i].name, name) == 0)
			return table_shorts[i].c;
	return 0;
}

static const char *name_of_short(int c)
{
	for (size_t i = 0; i < N_TABLE_SHORTS; i++)
		if (table_shorts[i].c == c)
			return table_shorts[i].name;
	return NULL;
}

/* getopt_long's table: our flags, then one per table option, then --no-X
 * for boolean ones. */
static struct option *build_longopts(const option_table *t, char ***negs)
{
	size_t cap = N_CLI_FLAGS + 2 * (size_t)t->n + 1, k = 0;
	struct option *o = cli_xmalloc(sizeof(*o) * cap);

	*negs = cli_xmalloc(sizeof(char *) * ((size_t)t->n + 1));
	for (size_t i = 0; i < N_CLI_FLAGS; i++)
		o[k++] = cli_flags[i].opt;
	for (int i = 0; i < t->n; i++) {
		const wm_option_info *in = &t->v[i];
		bool is_bool = in->type == WM_TYPE_BOOL;

		(*negs)[i] = NULL;
		if (!in->name || is_cli_flag(in->name))
			continue;
		o[k++] = (struct option){
		    in->name, is_bool ? optional_argument : required_argument,
		    NULL, OPT_TABLE + i};
		if (!is_bool)
			continue;
		(*negs)[i] = cli_xasprintf("no-%s", in->name);
		o[k++] = (struct option){(*negs)[i], no_argument, NULL,
					 OPT_TABLE_NEG + i};
	}
	o[k] = (struct option){NULL, 0, NULL, 0};
	return o;
}

static char *build_shortopts(const option_table *t)
{
	char *s = cli_xmalloc(64);
	size_t k = 0;

	memcpy(s, "o:rn:ifj:qvhV", 13);
	k = 13;
	for (int i = 0; i < t->n; i++) {
		char c = t->v[i].name ? short_of(t->v[i].name) : 0;

		if (!c || t->v[i].type == WM_TYPE_BOOL)
			continue;
		s[k++] = c;
		s[k++] = ':';
	}
	s[k] = '\0';
	return s;
}

static void add_setting(cli_config *cfg, const char *name, const char *value)
{
	size_t n = cfg->n_settings + 1;

	cfg->settings = cli_xrealloc(cfg->settings, n * sizeof(cli_setting));
	cfg->settings[n - 1] = (cli_setting){name, value};
	cfg->n_settings = n;
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("wmark: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'wmark --help' for more information.\n", stderr);
	return WMARK_EXIT_USAGE;
}

static int parse_jobs(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 4096)
		return usage_error("--jobs: expected a whole number from 1 to "
				   "4096, got '%s'",
				   s);
	*out = (int)v;
	return WMARK_CONTINUE;
}

static const char *type_hint(const wm_option_info *in)
{
	switch (in->type) {
	case WM_TYPE_BOOL: return "[=BOOL]";
	case WM_TYPE_INT: return "=N";
	case WM_TYPE_DOUBLE: return "=NUMBER";
	case WM_TYPE_STRING: return "=TEXT";
	case WM_TYPE_COLOR: return "=COLOR";
	case WM_TYPE_ENUM: return "=CHOICE";
	case WM_TYPE_LENGTH: return "=LENGTH";
	}
	return "=VALUE";
}

/* Prints a help paragraph indented by 8 columns, wrapped before column 79. */
static void print_para(const char *s)
{
	const int indent = 8, width = 78;
	int col = indent;

	printf("%*s", indent, "");
	while (*s) {
		int word = (int)strcspn(s, " ");

		if (col > indent && col + 1 + word > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", word, s);
		col += word;
		s += word;
		s += strspn(s, " ");
	}
	putchar('\n');
}

static void print_table_option(const wm_option_info *in)
{
	char c = short_of(in->name), help[1024];
	size_t k;

	if (c && in->type != WM_TYPE_BOOL)
		printf("  -%c, --%s%s\n", c, in->name, type_hint(in));
	else
		printf("      --%s%s\n", in->name, type_hint(in));
	k = (size_t)snprintf(help, sizeof(help), "%s",
			     in->help ? in->help : "");
	if (in->type == WM_TYPE_ENUM && in->choices && k < sizeof(help))
		k += (size_t)snprintf(help + k, sizeof(help) - k, "; one of %s",
				      in->choices);
	if (in->type == WM_TYPE_BOOL && k < sizeof(help))
		k += (size_t)snprintf(help + k, sizeof(help) - k,
				      "; --no-%s sets false", in->name);
	if (in->default_value && *in->default_value && k < sizeof(help))
		snprintf(help + k, sizeof(help) - k, " (default: %s)",
			 in->default_value);
	print_para(help);
}

static void print_cli_flag(const cli_flag *f)
{
	int c = f->opt.val;

	if (c < 0x100)
		printf("  -%c, --%s%s%s\n", c, f->opt.name, f->arg ? "=" : "",
		       f->arg ? f->arg : "");
	else
		printf("      --%s%s%s\n", f->opt.name, f->arg ? "=" : "",
		       f->arg ? f->arg : "");
	print_para(f->help);
}

static void print_groups(const option_table *t)
{
	for (int i = 0; i < t->n; i++) {
		const char *g = t->v[i].group ? t->v[i].group : "other";
		bool seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = t->v[j].group && strcmp(t->v[j].group, g) == 0;
		if (seen)
			continue;
		printf("\nMark options: %s\n", g);
		for (int j = i; j < t->n; j++) {
			const char *gj =
			    t->v[j].group ? t->v[j].group : "other";

			if (t->v[j].name && strcmp(gj, g) == 0 &&
			    !is_cli_flag(t->v[j].name))
				print_table_option(&t->v[j]);
		}
	}
}

static void print_help(const option_table *t)
{
	printf("Usage: wmark [OPTION]... INPUT... [-o DIR]\n"
	       "       wmark text [OPTION]... < MESSAGE > MARKED\n"
	       "       wmark info [--json] FILE...\n"
	       "Puts a visible AI disclosure on images and videos (told apart"
	       " by their bytes),\nand adds the machine-readable disclosure "
	       "to their metadata. INPUT may be a\nfile, a folder (with -r) "
	       "or - for standard input to standard output.\n"
	       "`wmark text` appends the disclosure to a chat message; "
	       "`wmark info` shows\nwhat wmark sees in a file.\n\n"
	       "Files and batch:\n");
	for (size_t i = 0; i < N_CLI_FLAGS; i++)
		print_cli_flag(&cli_flags[i]);
	print_groups(t);
	printf("\nValues: LENGTH is pixels (48 or 48px) or a percentage of the"
	       " frame's shorter\nside (5%%); COLOR is #rgb, #rrggbb, "
	       "#rrggbbaa or a CSS colour name; BOOL is\ntrue or false, "
	       "given as --box, --box=false or --no-box (a separate word\n"
	       "after a boolean flag is an input, not its value).\n"
	       "\nExit status: 0 every file marked or skipped, 1 some file "
	       "failed, 2 usage\nor setup error (nothing done), 128 + the "
	       "signal number when stopped:\n130 Ctrl-C, 143 SIGTERM, 129 "
	       "SIGHUP.\n");
}

static void print_version(void)
{
	printf("wmark %s (libwatermark %s)\n", WM_VERSION_STRING,
	       wm_version_string());
}

static const char *type_name(wm_option_type type)
{
	static const char *names[] = {"?",	"bool",	 "int",	 "double",
				      "string", "color", "enum", "length"};

	return (unsigned)type < 8 ? names[type] : "?";
}

static void list_options(const option_table *t)
{
	for (int i = 0; i < t->n; i++) {
		const wm_option_info *in = &t->v[i];

		if (!in->name)
			continue;
		printf("%s\t%s\t%s\t%g\t%g\t%s\t%s\t%s\n", in->name,
		       type_name(in->type),
		       in->default_value ? in->default_value : "", in->min,
		       in->max, in->choices ? in->choices : "",
		       in->group ? in->group : "", in->help ? in->help : "");
	}
}

/* --preset: ready-made mark settings; "ai" is the only one so far. */
static int handle_preset(cli_config *cfg, const char *value)
{
	if (strcmp(value, "ai") == 0) {
		cfg->preset = value;
		return WMARK_CONTINUE;
	}
	return usage_error("--preset: expected 'ai', got '%s'", value);
}

static int handle_table(cli_config *cfg, const option_table *t, int c,
			const char *arg)
{
	if (c >= OPT_TABLE_NEG) {
		add_setting(cfg, t->v[c - OPT_TABLE_NEG].name, "false");
		return WMARK_CONTINUE;
	}
	add_setting(cfg, t->v[c - OPT_TABLE].name, arg ? arg : "true");
	return WMARK_CONTINUE;
}

/* Flags about files and batches, which `wmark text` does not take. */
static const char *batch_flag_name(int c)
{
	for (size_t i = 0; i < N_CLI_FLAGS; i++) {
		int v = cli_flags[i].opt.val;

		if (v != c || c == OPT_PRESET || c == OPT_PRINT_CONFIG ||
		    c == OPT_LIST_OPTIONS || c == 'h' || c == 'V' || c == 'q' ||
		    c == 'v')
			continue;
		return cli_flags[i].opt.name;
	}
	return NULL;
}

static int handle_flag(cli_config *cfg, const option_table *t, int c,
		       const char *arg)
{
	if (!cfg->batch_flag)
		cfg->batch_flag = batch_flag_name(c);
	switch (c) {
	case 'o': cfg->outdir = arg; break;
	case 'r': cfg->recursive = true; break;
	case 'n': cfg->name_template = arg; break;
	case 'i': cfg->in_place = true; break;
	case 'f': cfg->force = true; break;
	case 'j': return parse_jobs(arg, &cfg->jobs);
	case 'q': cfg->verbosity = -1; break;
	case 'v': cfg->verbosity = 1; break;
	case OPT_JSON: cfg->json = true; break;
	case OPT_SKIP_MARKED: cfg->skip_marked = true; break;
	case OPT_PRESET: return handle_preset(cfg, arg);
	case OPT_PROGRESS: cfg->progress = 1; break;
	case OPT_NO_PROGRESS: cfg->progress = 0; break;
	case OPT_PRINT_CONFIG: cfg->print_config = true; break;
	case OPT_LIST_OPTIONS: list_options(t); return WMARK_EXIT_OK;
	case 'h': print_help(t); return WMARK_EXIT_OK;
	case 'V': print_version(); return WMARK_EXIT_OK;
	default:
		if (c >= OPT_TABLE)
			return handle_table(cfg, t, c, arg);
		if (name_of_short(c)) {
			add_setting(cfg, name_of_short(c), arg);
			return WMARK_CONTINUE;
		}
		fputs("Try 'wmark --help' for more information.\n", stderr);
		return WMARK_EXIT_USAGE;
	}
	return WMARK_CONTINUE;
}

static size_t count_stdin_inputs(const cli_config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_inputs; i++)
		n += strcmp(cfg->inputs[i], "-") == 0;
	return n;
}

static bool has_stdin_input(const cli_config *cfg)
{
	return count_stdin_inputs(cfg) > 0;
}

/* Input "-" goes to standard output and nowhere else. */
static int check_stdin(const cli_config *cfg)
{
	if (!has_stdin_input(cfg))
		return WMARK_CONTINUE;
	if (count_stdin_inputs(cfg) > 1)
		return usage_error("%s", "standard input (-) can be read only "
					 "once");
	if (cfg->in_place)
		return usage_error("%s", "--in-place cannot replace standard "
					 "input");
	if (cfg->json)
		return usage_error("%s", "--json cannot share standard output "
					 "with the marked image of input -");
	if (cfg->outdir || cfg->name_template)
		return usage_error("%s", "input - is written to standard "
					 "output; -o and --name apply to files "
					 "only (use > FILE, or name the input "
					 "file)");
	if (isatty(STDOUT_FILENO))
		return usage_error("%s", "standard output is a terminal; "
					 "redirect the marked data of input - "
					 "(> FILE or | program)");
	return WMARK_CONTINUE;
}

static int check_text(const cli_config *cfg)
{
	if (cfg->n_inputs)
		return usage_error("text: unexpected argument '%s' (the "
				   "message is read from standard input)",
				   cfg->inputs[0]);
	if (cfg->batch_flag)
		return usage_error("text: --%s applies to files, not to a "
				   "message",
				   cfg->batch_flag);
	return WMARK_CONTINUE;
}

static int check_combinations(const cli_config *cfg, const char *cmd)
{
	char why[160];

	if (strcmp(cmd, "text") == 0)
		return check_text(cfg);
	if (cfg->print_config)
		return WMARK_CONTINUE;
	if (!cfg->n_inputs)
		return usage_error("%s", "no input files");
	if (cfg->name_template && strcmp(cfg->name_template, "-") == 0)
		return usage_error("%s", "--name: '-' would create a file named "
					 "'-'; standard output is used for "
					 "input -");
	if (cfg->in_place && cfg->outdir)
		return usage_error("%s",
				   "--in-place and -o exclude each other");
	if (cfg->in_place && cfg->name_template)
		return usage_error("%s", "--in-place and --name exclude each "
					 "other");
	if (check_stdin(cfg) != WMARK_CONTINUE)
		return WMARK_EXIT_USAGE;
	if (cfg->outdir && !*cfg->outdir)
		return usage_error("%s", "-o: expected a folder, got ''");
	if (cfg->name_template &&
	    !cli_template_valid(cfg->name_template, why, sizeof(why)))
		return usage_error("--name: %s", why);
	return WMARK_CONTINUE;
}

/*
 * Parses argv into cfg. Returns WMARK_CONTINUE to go on, or the exit status
 * when the work is already done (--help, --version) or the flags are wrong.
 * `cmd` is "mark" or "text".
 */
int cli_parse_args(int argc, char **argv, cli_config *cfg, const char *cmd)
{
	option_table t = load_table();
	char **negs;
	struct option *longs = build_longopts(&t, &negs);
	char *shorts = build_shortopts(&t);
	int c, r = WMARK_CONTINUE;

	cfg->progress = -1;
	optind = 1;
	opterr = 1;
	while (r == WMARK_CONTINUE &&
	       (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1)
		r = c == '?' ? handle_flag(cfg, &t, 0, NULL)
			     : handle_flag(cfg, &t, c, optarg);
	if (r == WMARK_CONTINUE) {
		cfg->inputs = argv + optind;
		cfg->n_inputs = (size_t)(argc - optind);
		cfg->stdout_data = has_stdin_input(cfg);
		r = check_combinations(cfg, cmd);
	}
	for (int i = 0; i < t.n; i++)
		free(negs[i]);
	free(negs);
	free(longs);
	free(shorts);
	free(t.v);
	return r;
}

/* Maps the output format option to a file name extension, so that
 * `--format png` writes photo.marked.png rather than PNG bytes named .jpg. */
static void resolve_format(cli_config *cfg, const wm_mark *mark)
{
	static const char *const map[][2] = {
	    {"jpeg", ".jpg"},  {"png", ".png"}, {"webp", ".webp"},
	    {"mp4", ".mp4"},   {"mov", ".mov"}, {"mkv", ".mkv"},
	    {"webm", ".webm"},
	};
	char value[32];

	cfg->format[0] = cfg->format_ext[0] = '\0';
	if (wm_mark_get(mark, "format", value, sizeof(value)) != WM_OK ||
	    strcasecmp(value, "auto") == 0)
		return;
	snprintf(cfg->format, sizeof(cfg->format), "%s", value);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(value, map[i][0]) == 0)
			snprintf(cfg->format_ext, sizeof(cfg->format_ext), "%s",
				 map[i][1]);
	if (!cfg->format_ext[0])
		snprintf(cfg->format_ext, sizeof(cfg->format_ext), ".%s",
			 value);
}

static int apply(wm_mark *mark, const cli_setting *s)
{
	if (wm_mark_set(mark, s->name, s->value) == WM_OK)
		return WMARK_CONTINUE;
	fprintf(stderr, "wmark: --%s=", s->name);
	cli_print_text(stderr, s->value);
	fputs(": ", stderr);
	cli_print_text(stderr, wm_last_error());
	fputc('\n', stderr);
	return WMARK_EXIT_USAGE;
}

/* Creates the mark: the preset first, then the flags in the order given. */
int cli_build_mark(cli_config *cfg, wm_mark **out)
{
	wm_mark *mark;
	int r = WMARK_CONTINUE;

	if (wm_mark_new(&mark) != WM_OK) {
		fprintf(stderr, "wmark: %s\n", wm_last_error());
		return WMARK_EXIT_FAILED;
	}
	for (size_t i = 0;
	     cfg->preset && i < sizeof(preset_ai) / sizeof(preset_ai[0]) &&
	     r == WMARK_CONTINUE;
	     i++)
		r = apply(mark, &preset_ai[i]);
	for (size_t i = 0; i < cfg->n_settings && r == WMARK_CONTINUE; i++)
		r = apply(mark, &cfg->settings[i]);
	resolve_format(cfg, mark);
	if (r == WMARK_CONTINUE && cfg->in_place && cfg->format[0])
		r = usage_error("%s", "--in-place keeps each file's format; "
				      "drop --format");
	if (r != WMARK_CONTINUE) {
		wm_mark_free(mark);
		return r;
	}
	*out = mark;
	return WMARK_CONTINUE;
}

/* --print-config: every option's value as the generic setter takes it. */
int cli_print_config(const wm_mark *mark)
{
	char buf[4096];
	wm_option_info in;

	for (int i = 0; i < wm_option_count(); i++) {
		memset(&in, 0, sizeof(in));
		in.size = sizeof(in);
		if (wm_option_describe(i, &in) != WM_OK)
			continue;
		if (wm_mark_get(mark, in.name, buf, sizeof(buf)) != WM_OK) {
			fprintf(stderr, "wmark: %s\n", wm_last_error());
			return WMARK_EXIT_FAILED;
		}
		printf("%s=%s\n", in.name, buf);
	}
	return WMARK_EXIT_OK;
}

void cli_config_free(cli_config *cfg)
{
	free(cfg->settings);
	cfg->settings = NULL;
	cfg->n_settings = 0;
}
