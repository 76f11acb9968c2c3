/* Strict UTF-8 validation. */
#include "util.h"

/* Length of the sequence starting with lead byte c, or 0 if c cannot lead. */
static int sequence_length(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Checks the continuation bytes, including the narrowed second-byte ranges
 * that exclude overlongs, surrogates and code points over U+10FFFF. */
static bool continuation_ok(const unsigned char *p, int len)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return false;
	for (int i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return false;
	return true;
}

ptrdiff_t wm__utf8_invalid_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		int len = sequence_length(p[i]);

		if (len == 0 || (size_t)len > n - i)
			return (ptrdiff_t)i;
		if (len > 1 && !continuation_ok(p + i, len))
			return (ptrdiff_t)i;
		i += (size_t)len;
	}
	return -1;
}
