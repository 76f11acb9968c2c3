/*
 * Text disclosures: the mark's disclosure sentence added to a chat message
 * as plain text, a Markdown footnote or a small HTML element.
 *
 * The disclosure "block" is the formatted sentence; the "separator" goes
 * between the block and the message. A message already carrying the block
 * (at either end next to the separator, or as the whole message) is
 * returned unchanged, so that disclosing twice adds nothing.
 */
#include <string.h>

#include "../mark/disclosure.h"

#define HTML_OPEN "<p class=\"ai-disclosure\"><small>"
#define HTML_CLOSE "</small></p>"

/*
 * Characters that could change the meaning of an inline Markdown span:
 * emphasis, code, links, autolinks and HTML, entities, strikethrough, table
 * cells, and the dollar signs of chat renderers that support TeX. Those
 * that only matter at the start of a line ('#', '-', '+') cannot occur
 * there, since the block starts with '_' and holds no line break.
 */
#define MARKDOWN_SPECIALS "\\`*_[]<>&~|$"

typedef struct text_span {
	const char *p;
	size_t n;
} text_span;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static text_span trim_start(text_span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	return s;
}

static text_span trim_end(text_span s)
{
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Appends n bytes to dst at *len; with dst NULL only counts them. */
static void put(char *dst, size_t *len, const char *s, size_t n)
{
	if (dst)
		memcpy(dst + *len, s, n);
	*len += n;
}

static void put_str(char *dst, size_t *len, const char *s)
{
	put(dst, len, s, strlen(s));
}

/* Writes one byte of the sentence escaped for HTML. */
static void put_html(char *dst, size_t *len, char c)
{
	switch (c) {
	case '&': put_str(dst, len, "&amp;"); break;
	case '<': put_str(dst, len, "&lt;"); break;
	case '>': put_str(dst, len, "&gt;"); break;
	case '"': put_str(dst, len, "&quot;"); break;
	case '\'': put_str(dst, len, "&#39;"); break;
	default: put(dst, len, &c, 1);
	}
}

static void put_markdown(char *dst, size_t *len, char c)
{
	if (c != '\0' && strchr(MARKDOWN_SPECIALS, c))
		put(dst, len, "\\", 1);
	put(dst, len, &c, 1);
}

/*
 * Writes the block for the sentence (or counts its bytes when dst is NULL).
 * Line breaks become spaces in Markdown and HTML, where a blank line would
 * end the footnote's paragraph and a single one means nothing.
 */
static size_t write_block(char *dst, text_span sentence, wm_text_format fmt)
{
	size_t len = 0;

	if (fmt == WM_TEXT_PLAIN) {
		put(dst, &len, sentence.p, sentence.n);
		return len;
	}
	put_str(dst, &len, fmt == WM_TEXT_HTML ? HTML_OPEN : "_");
	for (size_t i = 0; i < sentence.n; i++) {
		char c = sentence.p[i];

		if (c == '\n' || c == '\r')
			put(dst, &len, " ", 1);
		else if (fmt == WM_TEXT_HTML)
			put_html(dst, &len, c);
		else
			put_markdown(dst, &len, c);
	}
	put_str(dst, &len, fmt == WM_TEXT_HTML ? HTML_CLOSE : "_");
	return len;
}

/* The mark's disclosure sentence, checked: valid UTF-8 and not blank. */
static wm_status get_sentence(const wm_mark *mark, text_span *out)
{
	const char *d = wm__mark_disclosure(mark);
	text_span s = {d, strlen(d)};
	ptrdiff_t bad = wm__utf8_invalid_at(s.p, s.n);

	if (bad >= 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "disclosure: invalid UTF-8 at byte %td", bad);
	s = trim_end(trim_start(s));
	if (s.n == 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "disclosure: empty (set the disclosure or "
				 "text option)");
	*out = s;
	return WM_OK;
}

/* The formatted block, allocated. */
static wm_status make_block(const wm_mark *mark, wm_text_format fmt,
			    text_span *out)
{
	text_span sentence;
	wm_status s = get_sentence(mark, &sentence);
	size_t n;
	char *p;

	if (s != WM_OK)
		return s;

	n = write_block(NULL, sentence, fmt);
	p = wm__malloc(n + 1);
	if (!p)
		return wm__error(WM_ERR_NO_MEMORY,
				 "wm_disclose_text: out of memory");

	write_block(p, sentence, fmt);
	p[n] = '\0';
	out->p = p;
	out->n = n;
	return WM_OK;
}

/* Whether s starts with a then b. */
static bool starts_with(text_span s, text_span a, text_span b)
{
	return s.n >= a.n + b.n && memcmp(s.p, a.p, a.n) == 0 &&
	       memcmp(s.p + a.n, b.p, b.n) == 0;
}

/* Whether s ends with a then b. */
static bool ends_with(text_span s, text_span a, text_span b)
{
	return s.n >= a.n + b.n &&
	       memcmp(s.p + s.n - b.n - a.n, a.p, a.n) == 0 &&
	       memcmp(s.p + s.n - b.n, b.p, b.n) == 0;
}

/* Whether the message (trimmed) is the block, starts with block and
 * separator, or ends with separator and block. */
static bool carries(text_span msg, text_span block, const char *sep)
{
	text_span sp = {sep, strlen(sep)};

	msg = trim_end(trim_start(msg));
	if (msg.n == block.n && memcmp(msg.p, block.p, block.n) == 0)
		return true;
	return starts_with(msg, block, sp) || ends_with(msg, sp, block);
}

/* Joins first, separator and second into a new NUL-terminated string;
 * either part may be empty, and then there is no separator. */
static wm_status join(text_span first, const char *sep, text_span second,
		      char **out, size_t *out_size)
{
	size_t sn = first.n && second.n ? strlen(sep) : 0;
	size_t n, len = 0;
	char *p;

	if (!wm__add_size(first.n, sn, &n) || !wm__add_size(n, second.n, &n) ||
	    !wm__add_size(n, 1, &n))
		return wm__error(WM_ERR_TOO_LARGE,
				 "wm_disclose_text: message too large");
	p = wm__malloc(n);
	if (!p)
		return wm__error(WM_ERR_NO_MEMORY,
				 "wm_disclose_text: out of memory");

	put(p, &len, first.p, first.n);
	put(p, &len, sep, sn);
	put(p, &len, second.p, second.n);
	p[len] = '\0';
	*out = p;
	*out_size = len;
	return WM_OK;
}

/* Adds the block at the configured end, trimming the whitespace that would
 * otherwise sit between the message and the separator. */
static wm_status compose(bool prepend, text_span msg, text_span block,
			 const char *sep, char **out, size_t *out_size)
{
	if (prepend)
		return join(block, sep, trim_start(msg), out, out_size);
	return join(trim_end(msg), sep, block, out, out_size);
}

static wm_status check_args(const wm_mark *mark, const char *message,
			    size_t message_size, char **out)
{
	ptrdiff_t bad;

	if (!mark || !out || (!message && message_size))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_disclose_text: NULL argument");
	bad = message ? wm__utf8_invalid_at(message, message_size) : -1;
	if (bad >= 0)
		return wm__error(WM_ERR_BAD_VALUE,
				 "message: invalid UTF-8 at byte %td", bad);
	return WM_OK;
}

wm_status wm_disclose_text(const wm_mark *mark, const char *message,
			   size_t message_size, char **out, size_t *out_size)
{
	const wm__options *o;
	wm_text_format fmt;
	text_span msg = {message ? message : "", message_size};
	text_span block;
	const char *sep;
	bool prepend;
	size_t size = 0;
	wm_status s;

	if (out)
		*out = NULL;
	if (out_size)
		*out_size = 0;
	s = check_args(mark, message, message_size, out);
	if (s != WM_OK)
		return s;

	o = wm__mark_options(mark);
	fmt = (wm_text_format)wm__opt_int(o, WM_OPT_TEXT_FORMAT);
	sep = fmt == WM_TEXT_HTML ? "\n" : "\n\n";
	s = make_block(mark, fmt, &block);
	if (s != WM_OK)
		return s;

	prepend =
	    wm__opt_int(o, WM_OPT_TEXT_PLACEMENT) == WM__TEXTPLACE_PREPEND;
	if (carries(msg, block, sep))
		s = join(msg, "", (text_span){"", 0}, out, &size);
	else
		s = compose(prepend, msg, block, sep, out, &size);
	wm__free((void *)block.p);
	if (s == WM_OK && out_size)
		*out_size = size;
	return s;
}
