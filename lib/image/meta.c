/*
 * Metadata: the EXIF orientation (read with libexif), the EXIF thumbnail
 * (removed: it would still show the unmarked picture) and the XMP packet
 * that carries the machine-readable disclosure.
 */
#include <libexif/exif-data.h>
#include <string.h>

#include "image.h"

/* ---- EXIF ------------------------------------------------------------------
 */

/* libexif goes on without an entry it cannot allocate (only logging it),
 * so its allocations go through the library's allocator and a failed one
 * is noted here for the thread that reads the EXIF block. */
static _Thread_local bool exif_no_memory;

static void *exif_alloc(ExifLong n)
{
	void *p = wm__calloc(1, n); /* zeroed, as libexif's own allocator */

	if (!p)
		exif_no_memory = true;
	return p;
}

static void *exif_realloc(void *p, ExifLong n)
{
	void *q = wm__realloc(p, n);

	if (!q)
		exif_no_memory = true;
	return q;
}

static void exif_free(void *p)
{
	wm__free(p);
}

/* exif_data_new_from_data with the library's allocator; NULL when memory
 * ran out, even for part of the block. */
static ExifData *exif_load(const uint8_t *buf, size_t size)
{
	ExifMem *mem = exif_mem_new(exif_alloc, exif_realloc, exif_free);
	ExifData *ed;

	exif_no_memory = false;
	ed = mem ? exif_data_new_mem(mem) : NULL;
	exif_mem_unref(mem);
	if (ed)
		exif_data_load_data(ed, buf, (unsigned)size);
	if (ed && exif_no_memory) {
		exif_data_unref(ed);
		ed = NULL;
	}
	return ed;
}

/* Sets *orientation (1 when absent or invalid). Only a lack of memory
 * fails: a picture turned the wrong way would be a silently wrong result. */
static wm_status read_orientation(const wm__blob *exif, int *orientation)
{
	static const uint8_t hdr[6] = {'E', 'x', 'i', 'f', 0, 0};
	uint8_t *buf = wm__malloc(exif->size + 6);
	ExifData *ed;
	ExifEntry *e;
	int o = 1;

	*orientation = 1;
	if (!buf)
		return wm__error(WM_ERR_NO_MEMORY, "exif: out of memory");
	memcpy(buf, hdr, 6);
	memcpy(buf + 6, exif->data, exif->size);

	/* NULL only for lack of memory: libexif loads bad data into an
	 * empty ExifData. */
	ed = exif_load(buf, exif->size + 6);
	wm__free(buf);
	if (!ed)
		return wm__error(WM_ERR_NO_MEMORY, "exif: out of memory");

	e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
	if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1)
		o = exif_get_short(e->data, exif_data_get_byte_order(ed));
	exif_data_unref(ed);
	*orientation = o >= 1 && o <= 8 ? o : 1;
	return WM_OK;
}

static uint32_t tiff_get(const uint8_t *p, int n, bool le)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (uint32_t)p[le ? i : n - 1 - i]
		     << (8 * (le ? i : n - 1 - i));
	return v;
}

static void tiff_put32(uint8_t *p, uint32_t v, bool le)
{
	int i;

	for (i = 0; i < 4; i++)
		p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/* Blanks the thumbnail that IFD1 points to; truncates it away when it ends
 * the block, as cameras write it. */
static void drop_ifd1_thumbnail(wm__blob *x, uint32_t ifd1, bool le)
{
	uint32_t n, i, off = 0, len = 0;

	/* In 64 bits: an offset near 4 GiB would wrap around in 32. */
	if ((uint64_t)ifd1 + 2 > x->size)
		return;
	n = tiff_get(x->data + ifd1, 2, le);
	if ((uint64_t)ifd1 + 2 + 12ull * n > x->size)
		return;
	for (i = 0; i < n; i++) {
		const uint8_t *e = x->data + ifd1 + 2 + 12 * i;
		uint32_t tag = tiff_get(e, 2, le);

		if (tag == 0x0201)
			off = tiff_get(e + 8, 4, le);
		else if (tag == 0x0202)
			len = tiff_get(e + 8, 4, le);
	}
	if (!off || !len || (uint64_t)off + len > x->size)
		return;
	memset(x->data + off, 0, len);
	if ((uint64_t)off + len == x->size)
		x->size = off;
}

/* Unlinks IFD1 (the thumbnail's directory) from IFD0 and removes the
 * thumbnail bytes. Other offsets stay valid because nothing moves. */
static void drop_thumbnail(wm__blob *x)
{
	bool le;
	uint32_t ifd0, n, next_at, ifd1;

	if (x->size < 8 ||
	    (memcmp(x->data, "II", 2) && memcmp(x->data, "MM", 2)))
		return;
	le = x->data[0] == 'I';
	ifd0 = tiff_get(x->data + 4, 4, le);
	if ((uint64_t)ifd0 + 2 > x->size)
		return;
	n = tiff_get(x->data + ifd0, 2, le);
	next_at = ifd0 + 2 + 12 * n;
	if ((uint64_t)next_at + 4 > x->size)
		return;
	ifd1 = tiff_get(x->data + next_at, 4, le);
	if (!ifd1)
		return;
	drop_ifd1_thumbnail(x, ifd1, le);
	tiff_put32(x->data + next_at, 0, le);
}

wm_status wm__meta_read_exif(wm__meta *m)
{
	static const uint8_t hdr[6] = {'E', 'x', 'i', 'f', 0, 0};
	wm_status s;

	if (m->exif.size >= 6 && !memcmp(m->exif.data, hdr, 6)) {
		memmove(m->exif.data, m->exif.data + 6, m->exif.size - 6);
		m->exif.size -= 6;
	}
	if (!m->exif.size)
		return WM_OK;
	s = read_orientation(&m->exif, &m->orientation);
	if (s != WM_OK)
		return s;
	drop_thumbnail(&m->exif);
	return WM_OK;
}

/* ---- XMP -------------------------------------------------------------------
 */

#define NS_IPTC "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_WM "http://ns.libwatermark.org/disclosure/1.0/"
#define DST_PREFIX "http://cv.iptc.org/newscodes/digitalsourcetype/"

static wm_status put(wm__blob *b, const char *s)
{
	return wm__blob_append(b, s, strlen(s));
}

static wm_status put_escaped(wm__blob *b, const char *s)
{
	wm_status st = WM_OK;

	for (; *s && st == WM_OK; s++) {
		switch (*s) {
		case '<': st = put(b, "&lt;"); break;
		case '>': st = put(b, "&gt;"); break;
		case '&': st = put(b, "&amp;"); break;
		case '"': st = put(b, "&quot;"); break;
		default: st = wm__blob_append(b, s, 1);
		}
	}
	return st;
}

/* The rdf:Description with the source type and the disclosure sentence;
 * dc:description only when the packet has none of its own. */
static wm_status put_description(wm__blob *b, wm_mark *mark, bool with_dc)
{
	const char *type =
	    wm__opt_str(wm__mark_options(mark), WM_OPT_SOURCE_TYPE);
	const char *text = wm__mark_disclosure(mark);
	wm_status s;

	s = put(b, "<rdf:Description rdf:about=\"\"\n"
		   "  xmlns:Iptc4xmpExt=\"" NS_IPTC "\"\n"
		   "  xmlns:dc=\"" NS_DC "\"\n"
		   "  xmlns:wmark=\"" NS_WM "\">\n"
		   " <Iptc4xmpExt:DigitalSourceType>");
	if (s == WM_OK && !strstr(type, "://"))
		s = put(b, DST_PREFIX);
	if (s == WM_OK)
		s = put_escaped(b, type);
	if (s == WM_OK)
		s = put(b, "</Iptc4xmpExt:DigitalSourceType>\n"
			   " <wmark:Disclosure>");
	if (s == WM_OK)
		s = put_escaped(b, text);
	if (s == WM_OK)
		s = put(b, "</wmark:Disclosure>\n");
	if (s == WM_OK && with_dc) {
		s = put(b, " <dc:description><rdf:Alt><rdf:li "
			   "xml:lang=\"x-default\">");
		if (s == WM_OK)
			s = put_escaped(b, text);
		if (s == WM_OK)
			s = put(b, "</rdf:li></rdf:Alt></dc:description>\n");
	}
	return s == WM_OK ? put(b, "</rdf:Description>\n") : s;
}

static wm_status new_packet(wm__blob *b, wm_mark *mark)
{
	wm_status s =
	    put(b, "<?xpacket begin=\"\xef\xbb\xbf\" "
		   "id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
		   "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
		   "<rdf:RDF xmlns:rdf="
		   "\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");

	if (s == WM_OK)
		s = put_description(b, mark, true);
	if (s == WM_OK)
		s = put(b, "</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
	return s;
}

static const char *find_n(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++) {
		if (h[i] == needle[0] && !memcmp(h + i, needle, k))
			return h + i;
	}
	return NULL;
}

/* Removes one earlier occurrence of a property that this library writes,
 * in element form (<p>..</p>) or attribute form (p="..."). */
static bool remove_property(wm__blob *x, const char *prop)
{
	char *s = (char *)x->data, *end = s + x->size, *p, *q;
	char close[64];
	const char *c;

	p = (char *)find_n(s, x->size, prop);
	if (!p || p == s)
		return false;
	if (p[-1] == '<') {
		snprintf(close, sizeof(close), "</%s>", prop);
		c = find_n(p, (size_t)(end - p), close);
		if (!c)
			return false;
		p--;
		q = (char *)c + strlen(close);
	} else {
		q = memchr(p, '"', (size_t)(end - p));
		q = q ? memchr(q + 1, '"', (size_t)(end - q - 1)) : NULL;
		if (!q)
			return false;
		q++;
	}
	memmove(p, q, (size_t)(end - q));
	x->size -= (size_t)(q - p);
	return true;
}

/* Removes the writer's padding (whitespace before the closing xpacket),
 * which exists only for in-place editing and costs space in JPEG. */
static void strip_padding(wm__blob *x)
{
	const char *tail = find_n((char *)x->data, x->size, "<?xpacket end");
	char *t, *w;

	if (!tail)
		return;
	t = (char *)tail;
	w = t;
	while (w > (char *)x->data && (w[-1] == ' ' || w[-1] == '\n' ||
				       w[-1] == '\r' || w[-1] == '\t'))
		w--;
	if (t - w <= 1)
		return;
	*w++ = '\n';
	memmove(w, t, (size_t)((char *)x->data + x->size - t));
	x->size -= (size_t)(t - w);
}

/* ---- gain-map descriptions -------------------------------------------------
 *
 * The output holds only the primary image, so the XMP that describes a gain
 * map (Adobe/Ultra HDR hdrgm, the GContainer directory of appended items,
 * Apple's HDRGainMap) would be false. Properties in those namespaces are
 * removed from the packet text: attributes, and elements with everything
 * they contain. The scan honours quotes, comments, CDATA and processing
 * instructions, and stops at anything unterminated, so what remains is as
 * well-formed as the input was.
 */

static const char *const gain_map_ns[] = {
	"http://ns.adobe.com/hdr-gain-map/1.0/",
	"http://ns.google.com/photos/1.0/container/",
	"http://ns.google.com/photos/1.0/container/item/",
	"http://ns.apple.com/HDRGainMap/1.0/",
};

static bool starts(const char *s, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - s) >= n && !memcmp(s, w, n);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *s, size_t i, size_t end)
{
	while (i < end && is_space(s[i]))
		i++;
	return i;
}

/* Length of the markup at s (s[0] == '<'), 0 when unterminated. */
static size_t markup_len(const char *s, const char *end)
{
	static const char *const kinds[][2] = {
	    {"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}};
	const char *q;
	char quote = 0;
	size_t k;

	for (k = 0; k < 3; k++) {
		if (!starts(s, end, kinds[k][0]))
			continue;
		q = find_n(s + 2, (size_t)(end - s - 2), kinds[k][1]);
		return q ? (size_t)(q - s) + strlen(kinds[k][1]) : 0;
	}
	for (q = s + 1; q < end; q++) {
		if (quote && *q == quote)
			quote = 0;
		else if (!quote && (*q == '"' || *q == '\''))
			quote = *q;
		else if (!quote && *q == '>')
			return (size_t)(q + 1 - s);
	}
	return 0;
}

static size_t name_len(const char *s, const char *end)
{
	const char *q = s;

	while (q < end && !is_space(*q) && *q != '/' && *q != '>' &&
	       *q != '=')
		q++;
	return (size_t)(q - s);
}

/* Whether a qualified name is in the prefix, or declares it. */
static bool name_in(const char *n, size_t len, const char *pfx)
{
	size_t k = strlen(pfx);

	if (len > k + 1 && !memcmp(n, pfx, k) && n[k] == ':')
		return true;
	return len == k + 6 && !memcmp(n, "xmlns:", 6) &&
	       !memcmp(n + 6, pfx, k);
}

static void cut(wm__blob *x, size_t from, size_t to)
{
	memmove(x->data + from, x->data + to, x->size - to);
	x->size -= to - from;
}

/* Removes the prefix's attributes from the start tag at `at` (length n);
 * returns the tag's new length. */
static size_t strip_attrs(wm__blob *x, size_t at, size_t n, const char *pfx)
{
	char *s = (char *)x->data;
	size_t i = at + 1 + name_len(s + at + 1, s + at + n), ws, nl, v;
	char *q;

	for (;;) {
		ws = i;
		i = skip_space(s, i, at + n);
		if (i >= at + n - 1 || s[i] == '/' || s[i] == '>')
			return n;
		nl = name_len(s + i, s + at + n);
		v = skip_space(s, i + nl, at + n);
		if (!nl || v >= at + n || s[v] != '=')
			return n;
		v = skip_space(s, v + 1, at + n);
		if (v >= at + n || (s[v] != '"' && s[v] != '\''))
			return n;
		q = memchr(s + v + 1, s[v], at + n - v - 1);
		if (!q)
			return n;
		if (name_in(s + i, nl, pfx)) {
			cut(x, ws, (size_t)(q + 1 - s));
			n -= (size_t)(q + 1 - s) - ws;
			i = ws;
		} else {
			i = (size_t)(q + 1 - s);
		}
	}
}

/* End (offset after) of the element whose start tag is at `at` (length n),
 * or 0 when it has no end. */
static size_t element_end(const wm__blob *x, size_t at, size_t n)
{
	const char *s = (const char *)x->data, *end = s + x->size, *p;
	size_t nl = name_len(s + at + 1, end), i = at + n, m;
	int depth = 1;

	if (s[at + n - 2] == '/')
		return at + n;
	while (i < x->size && (p = memchr(s + i, '<', x->size - i))) {
		m = markup_len(p, end);
		if (!m)
			return 0;
		i = (size_t)(p - s) + m;
		if (p[1] == '/' && name_len(p + 2, end) == nl &&
		    !memcmp(p + 2, s + at + 1, nl) && --depth == 0)
			return i;
		if (p[1] != '/' && p[1] != '!' && p[1] != '?' &&
		    p[m - 2] != '/' && name_len(p + 1, end) == nl &&
		    !memcmp(p + 1, s + at + 1, nl))
			depth++;
	}
	return 0;
}

static void drop_prefix(wm__blob *x, const char *pfx)
{
	const char *s = (const char *)x->data, *p;
	size_t i = 0, n, e, ws;

	while (i < x->size && (p = memchr(s + i, '<', x->size - i))) {
		n = markup_len(p, s + x->size);
		if (!n)
			return;
		i = (size_t)(p - s);
		if (p[1] == '!' || p[1] == '?' || p[1] == '/') {
			i += n;
			continue;
		}
		if (!name_in(p + 1, name_len(p + 1, s + x->size), pfx) ||
		    !memcmp(p + 1, "xmlns:", 6)) {
			i += strip_attrs(x, i, n, pfx);
			continue;
		}
		e = element_end(x, i, n);
		if (!e)
			return;
		for (ws = i; ws > 0 && is_space(s[ws - 1]); ws--)
			;
		cut(x, ws, e);
		i = ws;
	}
}

/* Finds the prefixes declared for `ns` (xmlns:P="ns") and removes them. */
static void drop_namespace(wm__blob *x, const char *ns)
{
	char pfx[64];
	size_t k = strlen(ns), from = 0, before;
	const char *s, *p, *b;

	for (;;) {
		s = (const char *)x->data;
		p = from < x->size ? find_n(s + from, x->size - from, ns)
				   : NULL;
		if (!p)
			return;
		from = (size_t)(p - s) + k;
		if (p - s < 8 || (p[-1] != '"' && p[-1] != '\'') ||
		    from >= x->size || s[from] != p[-1] || p[-2] != '=')
			continue;
		for (b = p - 2; b > s && !is_space(b[-1]); b--)
			;
		if (p - 2 - b <= 6 || p - 2 - b - 6 >= (ptrdiff_t)sizeof(pfx) ||
		    memcmp(b, "xmlns:", 6))
			continue;
		snprintf(pfx, sizeof(pfx), "%.*s", (int)(p - 2 - b - 6), b + 6);
		before = x->size;
		drop_prefix(x, pfx);
		if (x->size != before)
			from = 0; /* declared again elsewhere? */
	}
}

static void drop_gain_map_xmp(wm__blob *x)
{
	size_t i;

	for (i = 0; i < sizeof(gain_map_ns) / sizeof(gain_map_ns[0]); i++)
		drop_namespace(x, gain_map_ns[i]);
}

static wm_status merge_packet(const wm__blob *in, wm_mark *mark, wm__blob *out)
{
	wm__blob work = {0}, desc = {0};
	const char *rdf_end;
	size_t at;
	wm_status s = wm__blob_set(&work, in->data, in->size);

	while (s == WM_OK &&
	       remove_property(&work, "Iptc4xmpExt:DigitalSourceType"))
		;
	while (s == WM_OK && remove_property(&work, "wmark:Disclosure"))
		;
	strip_padding(&work);
	rdf_end = s == WM_OK
		      ? find_n((char *)work.data, work.size, "</rdf:RDF>")
		      : NULL;
	if (s == WM_OK && !rdf_end) {
		wm__blob_free(&work);
		return new_packet(out, mark);
	}
	if (s == WM_OK)
		s = put_description(
		    &desc, mark,
		    !find_n((char *)work.data, work.size, "dc:description"));
	at = rdf_end ? (size_t)(rdf_end - (char *)work.data) : 0;
	if (s == WM_OK)
		s = wm__blob_append(out, work.data, at);
	if (s == WM_OK)
		s = wm__blob_append(out, desc.data, desc.size);
	if (s == WM_OK)
		s = wm__blob_append(out, work.data + at, work.size - at);
	wm__blob_free(&work);
	wm__blob_free(&desc);
	return s;
}

wm_status wm__meta_xmp_out(const wm__meta *m, wm_mark *mark, wm__blob *out)
{
	wm__blob in = {0};
	wm_status s = WM_OK;

	memset(out, 0, sizeof(*out));
	if (m->xmp.size)
		s = wm__blob_set(&in, m->xmp.data, m->xmp.size);
	if (s == WM_OK && m->secondary_dropped)
		drop_gain_map_xmp(&in);
	if (s == WM_OK && !wm__opt_int(wm__mark_options(mark), WM_OPT_METADATA))
		s = in.size ? wm__blob_set(out, in.data, in.size) : WM_OK;
	else if (s == WM_OK)
		s = in.size ? merge_packet(&in, mark, out)
			    : new_packet(out, mark);
	wm__blob_free(&in);
	if (s != WM_OK)
		wm__blob_free(out);
	return s;
}

bool wm__xmp_has_disclosure(const wm__blob *xmp)
{
	return xmp->size && find_n((const char *)xmp->data, xmp->size, NS_WM);
}

bool wm__xmp_source_type(const wm__blob *xmp, char *buf, size_t size)
{
	const char *h = (const char *)xmp->data, *p, *v, *e, *slash;
	const char *end;

	if (size)
		buf[0] = '\0';
	if (!xmp->size)
		return false;
	end = h + xmp->size;
	p = find_n(h, xmp->size, "Iptc4xmpExt:DigitalSourceType");
	if (!p)
		return false;
	p += strlen("Iptc4xmpExt:DigitalSourceType");
	v = p < end && *p == '>' ? p + 1 : p + 2;
	if (v > end)
		return false;
	e = v;
	while (e < end && *e != '<' && *e != '"')
		e++;
	slash = v;
	for (p = v; p < e; p++) {
		if (*p == '/')
			slash = p + 1;
	}
	snprintf(buf, size, "%.*s", (int)(e - slash), slash);
	return e > slash;
}
