/*
 * The file, memory and stream entry points: sniff the input, route videos
 * to the video layer, run still images through the image pipeline, and
 * write the output atomically.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../util/outfile.h"
#include "../video/video.h"
#include "image.h"

/* The video loader is built only when FFmpeg is found; weak references let
 * an image-only build link and report the missing support instead. */
#pragma weak wm__video_mark_file
#pragma weak wm__video_probe

static const char *format_name(int f)
{
	switch (f) {
	case WM__IMG_JPEG: return "jpeg";
	case WM__IMG_PNG: return "png";
	case WM__IMG_WEBP: return "webp";
	default: return "?";
	}
}

static int format_from_name(const char *s)
{
	if (!strcasecmp(s, "jpeg") || !strcasecmp(s, "jpg") ||
	    !strcasecmp(s, "jpe") || !strcasecmp(s, "jfif"))
		return WM__IMG_JPEG;
	if (!strcasecmp(s, "png"))
		return WM__IMG_PNG;
	if (!strcasecmp(s, "webp"))
		return WM__IMG_WEBP;
	return -1;
}

/* The output format: job->format, else the format option, else the output
 * name's extension, else the input's. */
static wm_status pick_format(const wm__image *im, const wm_job *job,
			     const char *out_path, int in_format, int *out)
{
	int64_t opt = wm__opt_int(wm__mark_options(im->mark), WM_OPT_FORMAT);
	const char *dot = out_path ? strrchr(out_path, '.') : NULL;
	const char *slash = out_path ? strrchr(out_path, '/') : NULL;
	/* Older callers' jobs end before `format`: read only what `size`
	 * covers. */
	const char *fmt = job && job->size >= offsetof(wm_job, format) +
						  sizeof(job->format)
			      ? job->format
			      : NULL;

	*out = in_format;
	if (fmt && fmt[0]) {
		*out = format_from_name(fmt);
		if (*out < 0)
			return wm__error(
			    WM_ERR_UNSUPPORTED,
			    "%s: cannot write format \"%s\" for an "
			    "image (jpeg, png or webp)",
			    im->name, fmt);
	} else if (opt != WM__FMT_AUTO) {
		*out = (int)opt;
		if (opt != WM__FMT_JPEG && opt != WM__FMT_PNG &&
		    opt != WM__FMT_WEBP)
			return wm__error(WM_ERR_UNSUPPORTED,
					 "%s: an image cannot be written as a "
					 "video format",
					 im->name);
	} else if (dot && (!slash || dot > slash) &&
		   format_from_name(dot + 1) > 0) {
		*out = format_from_name(dot + 1);
	}
	return WM_OK;
}

static wm_status check_job(const wm_job *job)
{
	if (job && job->size < offsetof(wm_job, flags) + sizeof(unsigned))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_job: size field not set");
	return WM_OK;
}

static void image_init(wm__image *im, wm_mark *m, const char *name,
		       const wm_job *job)
{
	memset(im, 0, sizeof(*im));
	im->mark = m;
	im->name = name;
	im->max_pixels =
	    m ? (uint64_t)wm__opt_int(wm__mark_options(m), WM_OPT_MAX_PIXELS)
	      : UINT64_MAX;
	im->meta.orientation = 1;
	if (job && job->size >= offsetof(wm_job, user) + sizeof(void *)) {
		im->progress = job->progress;
		im->user = job->user;
	}
}

/* Names what the input is when it is not a handled still image. */
static wm_status refuse(const wm__image *im, wm__sniff sn, FILE *fp)
{
	uint8_t head[8];
	char hex[32];
	size_t n;

	if (sn.kind == WM__IMG_DAMAGED && !sn.show_bytes)
		return wm__error(WM_ERR_CORRUPT, "%s: %s", im->name, sn.name);
	if (sn.kind == WM__IMG_UNHANDLED)
		return wm__error(WM_ERR_UNSUPPORTED,
				 "%s: %s is not handled (JPEG, PNG and still "
				 "WebP are)",
				 im->name, sn.name);
	rewind(fp);
	n = fread(head, 1, sizeof(head), fp);
	wm__hex_bytes(hex, sizeof(hex), head, n);
	if (sn.kind == WM__IMG_DAMAGED)
		return wm__error(WM_ERR_CORRUPT, "%s: %s (bytes: %s)", im->name,
				 sn.name, hex);
	if (n == 0)
		return wm__error(WM_ERR_CORRUPT, "%s: the file is empty",
				 im->name);
	return wm__error(WM_ERR_UNSUPPORTED,
			 "%s: not an image or video this library knows "
			 "(starts with %s)",
			 im->name, hex);
}

/* Runs a sniffed still image from im->in to im->out. */
static wm_status run_image(wm__image *im, int in_format)
{
	wm_status s;

	if (in_format == WM__IMG_JPEG && im->out_format == WM__IMG_JPEG) {
		s = wm__jpeg_transcode(im);
		if (s == WM_OK)
			return WM_OK;
		if (s != WM_ERR_UNSUPPORTED || wm_last_error()[0])
			return wm__error_prefix(s, im->name);
		rewind(im->in);
		wm__meta_free(&im->meta);
		im->meta.orientation = 1;
		im->rows_done = 0;
	}

	/* Lower layers (metadata, allocation) may not know the input's name. */
	s = wm__image_pipeline(im, in_format);
	return s == WM_OK ? WM_OK : wm__error_prefix(s, im->name);
}

/* ---- files ----------------------------------------------------------------
 */

static wm_status open_input(const char *path, FILE **fp)
{
	struct stat st;

	*fp = fopen(path, "rb");
	if (*fp && fstat(fileno(*fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(*fp);
		*fp = NULL;
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "%s: is a folder, not a file", path);
	}
	if (*fp)
		return WM_OK;
	return wm__error(errno == ENOENT ? WM_ERR_NOT_FOUND : WM_ERR_IO,
			 "%s: cannot open: %s", path, strerror(errno));
}

/* Whether the paths name one file; marking it needs WM_JOB_IN_PLACE. */
static wm_status same_file_rule(const char *in, const char *out, unsigned flags,
				unsigned *of)
{
	struct stat a, b;

	*of = (flags & WM_JOB_OVERWRITE) ? WM__OUTFILE_OVERWRITE : 0;
	if (stat(in, &a) != 0 || stat(out, &b) != 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return WM_OK;
	if (!(flags & WM_JOB_IN_PLACE))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "%s: the output is the input (ask for "
				 "in-place marking to replace it)",
				 out);
	*of = WM__OUTFILE_OVERWRITE;
	return WM_OK;
}

static wm_status mark_image_file(wm__image *im, int in_format, const char *out,
				 unsigned of, const wm_job *job)
{
	wm__outfile o;
	wm_status s = pick_format(im, job, out, in_format, &im->out_format);

	if (s == WM_OK)
		s = wm__outfile_create(&o, out, of);
	if (s != WM_OK)
		return s;
	im->out = wm__outfile_stdio(&o);
	if (!im->out) {
		wm__outfile_abort(&o);
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", out);
	}
	wm__error_clear();
	s = run_image(im, in_format);
	if (s != WM_OK) {
		wm__outfile_abort(&o);
		return s;
	}
	return wm__outfile_commit(&o);
}

static wm_status route_video(wm_mark *m, const char *in, const char *out,
			     const wm_job *job)
{
	if (!wm__video_mark_file)
		return wm__error(WM_ERR_UNSUPPORTED,
				 "%s: a video, and this build has no video "
				 "support",
				 in);
	return wm__video_mark_file(m, in, out, job);
}

wm_status wm_mark_file(wm_mark *m, const char *in, const char *out,
		       const wm_job *job)
{
	unsigned flags = job ? job->flags : 0, of;
	wm__image im;
	wm__sniff sn;
	FILE *fp;
	wm_status s;

	if (!m || !in || !out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_file: NULL argument");
	if (!*in || !*out)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_file: %s path is empty",
				 *in ? "output" : "input");
	s = check_job(job);
	if (s == WM_OK)
		s = open_input(in, &fp);
	if (s != WM_OK)
		return s;
	image_init(&im, m, in, job);
	im.in = fp;
	sn = wm__image_sniff(fp);
	if (sn.kind == WM__IMG_VIDEO) {
		fclose(fp);
		return route_video(m, in, out, job);
	}
	s = same_file_rule(in, out, flags, &of);
	if (s == WM_OK && sn.kind >= WM__IMG_VIDEO)
		s = refuse(&im, sn, fp);
	else if (s == WM_OK && sn.kind == WM__IMG_UNKNOWN)
		s = refuse(&im, sn, fp);
	if (s == WM_OK)
		s = mark_image_file(&im, sn.kind, out, of, job);
	wm__meta_free(&im.meta);
	fclose(fp);
	return s;
}

/* ---- memory and streams -----------------------------------------------------
 */

/* Copies an open_memstream buffer (libc-owned) into library memory, so
 * that the caller frees it with wm_free like every other result. */
static wm_status take_buffer(char *buf, size_t size, void **out,
			     size_t *out_size)
{
	void *p = wm__malloc(size ? size : 1);

	if (!p) {
		free(buf);
		return wm__error(WM_ERR_NO_MEMORY,
				 "out of memory for the output");
	}
	memcpy(p, buf, size);
	free(buf);
	*out = p;
	*out_size = size;
	return WM_OK;
}

/* Inputs in memory or streams must be still images. */
static wm_status refuse_in_memory(const wm__image *im, wm__sniff sn)
{
	if (sn.kind == WM__IMG_VIDEO)
		return wm__error(WM_ERR_UNSUPPORTED,
				 "%s: a video (%s); videos are marked from "
				 "files",
				 im->name, sn.name);
	if (sn.kind >= WM__IMG_VIDEO || sn.kind == WM__IMG_UNKNOWN)
		return refuse(im, sn, im->in);
	return WM_OK;
}

static wm_status mark_memory_named(wm_mark *m, const char *name, const void *in,
				   size_t in_size, void **out, size_t *out_size,
				   const wm_job *job)
{
	char *buf = NULL;
	size_t size = 0;
	wm__image im;
	wm__sniff sn;
	wm_status s;

	image_init(&im, m, name, job);
	im.in = fmemopen((void *)in, in_size, "rb");
	if (!im.in)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", name);
	sn = wm__image_sniff(im.in);
	s = refuse_in_memory(&im, sn);
	if (s == WM_OK)
		s = pick_format(&im, job, NULL, sn.kind, &im.out_format);
	if (s == WM_OK) {
		im.out = open_memstream(&buf, &size);
		if (!im.out)
			s = wm__error(WM_ERR_NO_MEMORY, "%s: out of memory",
				      name);
	}
	if (s == WM_OK) {
		wm__error_clear();
		s = run_image(&im, sn.kind);
	}
	if (im.out && fclose(im.out) != 0 && s == WM_OK)
		s = wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", name);
	fclose(im.in);
	wm__meta_free(&im.meta);
	if (s == WM_OK)
		s = take_buffer(buf, size, out, out_size);
	else
		free(buf);
	return s == WM_OK ? WM_OK : wm__error_prefix(s, name);
}

wm_status wm_mark_memory(wm_mark *m, const void *in, size_t in_size, void **out,
			 size_t *out_size, const wm_job *job)
{
	wm_status s;

	if (!m || !in || !out || !out_size)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_memory: NULL argument");
	*out = NULL;
	*out_size = 0;
	if (in_size == 0)
		return wm__error(WM_ERR_CORRUPT,
				 "<memory>: the input is empty");
	s = check_job(job);
	if (s != WM_OK)
		return s;
	return mark_memory_named(m, "<memory>", in, in_size, out, out_size,
				 job);
}

/* A fixed cap on a streamed input, not one derived from max-pixels: the
 * compressed size of an image says little about its pixel count, and the
 * decoder checks max-pixels itself once the header is read. 1 GiB is far
 * above any still image the encoders here produce. */
#define READ_ALL_LIMIT ((size_t)1 << 30)

/* Bytes of a stream enough for every signature the sniffer knows (an
 * MPEG-TS packet is 188 bytes long). */
#define HEAD_BYTES 256

/* Judges a stream by its first bytes, with the message the whole of it
 * would get: a stream of something else than a still image (a device of
 * zeros, a video) is refused at once instead of after reading it all,
 * which for an endless one means up to the 1 GiB limit. */
static wm_status check_head(wm_mark *m, const char *name, uint8_t *p,
			    size_t n)
{
	wm__image im;
	wm_status s;

	image_init(&im, m, name, NULL);
	im.in = fmemopen(p, n, "rb");
	if (!im.in)
		return wm__error(WM_ERR_NO_MEMORY, "%s: out of memory", name);
	s = refuse_in_memory(&im, wm__image_sniff(im.in));
	fclose(im.in);
	return s;
}

static wm_status read_all(wm_mark *m, const wm_reader *r, const char *name,
			  uint8_t **buf, size_t *size)
{
	size_t cap = 0, n = 0;
	uint8_t *p = NULL;
	bool judged = false;
	wm_status s;

	for (;;) {
		ptrdiff_t got;

		if (n == cap) {
			uint8_t *q;

			cap = cap ? cap * 2 : 65536;
			q = cap > n ? wm__realloc(p, cap) : NULL;
			if (!q) {
				wm__free(p);
				return wm__error(WM_ERR_NO_MEMORY,
						 "%s: out of memory", name);
			}
			p = q;
		}
		got = r->read(r->user, p + n, cap - n);
		if (got < 0) {
			wm__free(p);
			return wm__error(WM_ERR_IO, "%s: read failed", name);
		}
		/* A reader that claims more than it was given room for has
		 * written past the buffer or lies; either way n would pass
		 * cap and the next request size would wrap. */
		if ((size_t)got > cap - n) {
			wm__free(p);
			return wm__error(WM_ERR_IO,
					 "%s: the reader returned more bytes "
					 "than asked",
					 name);
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (!judged && n >= HEAD_BYTES) {
			judged = true;
			s = check_head(m, name, p, n);
			if (s != WM_OK) {
				wm__free(p);
				return s;
			}
		}
		if (n > READ_ALL_LIMIT) {
			wm__free(p);
			return wm__error(WM_ERR_TOO_LARGE,
					 "%s: the input is larger than 1 GiB",
					 name);
		}
	}
	*buf = p;
	*size = n;
	return WM_OK;
}

static wm_status write_all(const wm_writer *w, const uint8_t *p, size_t n)
{
	const char *name = w->name ? w->name : "<writer>";

	while (n) {
		size_t chunk = n < (1u << 20) ? n : (1u << 20);

		if (w->write(w->user, p, chunk) != 0)
			return wm__error(WM_ERR_IO, "%s: write failed", name);
		p += chunk;
		n -= chunk;
	}
	return WM_OK;
}

wm_status wm_mark_io(wm_mark *m, const wm_reader *in, const wm_writer *out,
		     const wm_job *job)
{
	const char *name;
	uint8_t *buf = NULL;
	void *res = NULL;
	size_t size = 0, res_size = 0;
	wm_status s;

	if (!m || !in || !out || !in->read || !out->write ||
	    in->size < offsetof(wm_reader, name) + sizeof(in->name) ||
	    out->size < offsetof(wm_writer, name) + sizeof(out->name))
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_mark_io: NULL argument or size not set");
	name = in->name ? in->name : "<reader>";
	s = check_job(job);
	if (s == WM_OK)
		s = read_all(m, in, name, &buf, &size);
	if (s != WM_OK)
		return s;
	s = size ? mark_memory_named(m, name, buf, size, &res, &res_size, job)
		 : wm__error(WM_ERR_CORRUPT, "%s: the input is empty", name);
	wm__free(buf);
	if (s != WM_OK)
		return s;
	s = write_all(out, res, res_size);
	wm__free(res);
	return s;
}

/* ---- probing
 * ------------------------------------------------------------------ */

/* Probes a sniffed still image into a full-size local description. */
static wm_status probe_image(const char *path, FILE *fp, wm__sniff sn,
			     wm_media_info *local)
{
	wm__image im;
	wm_status s;

	memset(local, 0, sizeof(*local));
	local->size = sizeof(*local);
	local->frames = -1;
	image_init(&im, NULL, path, NULL);
	im.in = fp;
	if (sn.kind >= WM__IMG_VIDEO || sn.kind == WM__IMG_UNKNOWN) {
		s = refuse(&im, sn, fp);
	} else {
		local->kind = WM_MEDIA_IMAGE;
		snprintf(local->format, sizeof(local->format), "%s",
			 format_name(sn.kind));
		s = wm__image_probe(&im, sn.kind, local);
	}
	wm__meta_free(&im.meta);
	return s;
}

wm_status wm_probe_file(const char *path, wm_media_info *info)
{
	wm_media_info local;
	wm__sniff sn;
	FILE *fp;
	wm_status s;

	if (!path || !info || info->size < offsetof(wm_media_info, duration))
		return wm__error(
		    WM_ERR_INVALID_ARGUMENT,
		    "wm_probe_file: NULL argument or size not set");
	if (!*path)
		return wm__error(WM_ERR_INVALID_ARGUMENT,
				 "wm_probe_file: input path is empty");
	s = open_input(path, &fp);
	if (s != WM_OK)
		return s;
	sn = wm__image_sniff(fp);
	if (sn.kind == WM__IMG_VIDEO) {
		fclose(fp);
		if (!wm__video_probe)
			return wm__error(WM_ERR_UNSUPPORTED,
					 "%s: a video, and this build has no "
					 "video support",
					 path);
		return wm__video_probe(path, info);
	}
	s = probe_image(path, fp, sn, &local);
	fclose(fp);
	if (s == WM_OK) {
		size_t keep = info->size;

		memcpy(info, &local,
		       keep < sizeof(local) ? keep : sizeof(local));
		info->size = keep;
	}
	return s;
}
