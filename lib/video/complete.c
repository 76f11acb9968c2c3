/*
 * Whether an input file is complete. FFmpeg's demuxers treat the end of a
 * cut file as the end of the video: the Matroska demuxer notes "file ended
 * prematurely" in its log and then reports a plain end of file, so a
 * truncated WebM would be marked as if it were a shorter video. Both
 * container families say in their own structure how long the file is: a
 * Matroska Segment declares its size, and every top-level MP4 box declares
 * its size. A file shorter than what its structure declares was cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"

#define EBML_ID 0x1A45DFA3u
#define SEGMENT_ID 0x18538067u

/* Reads an EBML variable-length number at buf[*pos]; `is_id` keeps the
 * length marker (element IDs are written with it). Returns false when the
 * bytes end first or the number is malformed; `*unknown` is set for the
 * all-ones size that means "until the parent ends". */
static bool ebml_vint(const uint8_t *buf, size_t len, size_t *pos, bool is_id,
		      uint64_t *value, bool *unknown)
{
	unsigned first, n = 1;
	uint64_t v;
	bool ones;

	if (*pos >= len || buf[*pos] == 0)
		return false;
	first = buf[*pos];
	while (!(first & (0x80u >> (n - 1))))
		n++;
	if (*pos + n > len)
		return false;
	v = is_id ? first : first & ((0x80u >> (n - 1)) - 1);
	ones = !is_id && v == (0x80u >> (n - 1)) - 1;
	for (unsigned i = 1; i < n; i++) {
		v = v << 8 | buf[*pos + i];
		ones = ones && buf[*pos + i] == 0xff;
	}
	*pos += n;
	*value = v;
	if (unknown)
		*unknown = ones;
	return true;
}

/* The offset where the Matroska Segment ends, or -1 when the header does
 * not say (a live recording writes an "unknown" size). */
static int64_t matroska_end(int fd)
{
	uint8_t buf[4096];
	ssize_t got = pread(fd, buf, sizeof(buf), 0);
	size_t len = got > 0 ? (size_t)got : 0, pos = 0;
	uint64_t id, size;
	bool unknown;

	if (!ebml_vint(buf, len, &pos, true, &id, NULL) || id != EBML_ID ||
	    !ebml_vint(buf, len, &pos, false, &size, &unknown) || unknown ||
	    size > len - pos)
		return -1;
	pos += size;
	if (!ebml_vint(buf, len, &pos, true, &id, NULL) || id != SEGMENT_ID ||
	    !ebml_vint(buf, len, &pos, false, &size, &unknown) || unknown ||
	    size > (uint64_t)INT64_MAX - pos)
		return -1;
	return (int64_t)(pos + size);
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Box types are four printable characters; anything else after the
 * boxes is padding or junk that a copy tool appended, not a box. */
static bool is_box_type(const uint8_t *t)
{
	for (int i = 0; i < 4; i++)
		if (t[i] < 0x20 || t[i] > 0x7e)
			return false;
	return true;
}

/* The offset where the last top-level MP4 box ends (the file size when a
 * box says it runs to the end), or -1 when the boxes are unreadable. */
static int64_t mp4_end(int fd, int64_t file_size)
{
	int64_t pos = 0;

	while (pos + 8 <= file_size) {
		uint8_t h[16];
		uint64_t size;

		if (pread(fd, h, sizeof(h), pos) < 8)
			return -1;
		if (!is_box_type(h + 4))
			return pos;
		size = be(h, 4);
		if (size == 0)
			return file_size;
		if (size == 1) {
			if (pos + 16 > file_size)
				return pos + 16;
			size = be(h + 8, 8);
		}
		if (size < 8 || size > (uint64_t)(INT64_MAX - pos))
			return -1;
		pos += (int64_t)size;
	}
	return pos;
}

wm_status wm__video_check_length(const char *path, const AVFormatContext *ic)
{
	bool mkv = strstr(ic->iformat->name, "matroska") != NULL;
	bool mp4 = strstr(ic->iformat->name, "mp4") != NULL;
	int fd = mkv || mp4 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	int64_t end = -1;

	if (fd < 0)
		return WM_OK; /* not a local file: nothing to compare with */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		end = mkv ? matroska_end(fd) : mp4_end(fd, st.st_size);
	close(fd);
	if (end < 0 || end <= (int64_t)st.st_size)
		return WM_OK;
	return wm__verr(WM_ERR_CORRUPT,
			"%s: truncated: the file has %lld bytes but its %s "
			"structure declares %lld",
			path, (long long)st.st_size, mkv ? "Matroska" : "MP4",
			(long long)end);
}
