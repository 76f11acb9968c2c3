/*
 * The floor of the image benchmark: a plain libjpeg-turbo decode of a JPEG
 * to RGB rows and an encode at a given quality with 4:2:0 chroma, row by
 * row, nothing else. Arguments: input, output, quality.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

static void setup_output(struct jpeg_compress_struct *c,
			 const struct jpeg_decompress_struct *d, int quality)
{
	c->image_width = d->output_width;
	c->image_height = d->output_height;
	c->input_components = 3;
	c->in_color_space = JCS_RGB;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	c->comp_info[0].h_samp_factor = 2;
	c->comp_info[0].v_samp_factor = 2;
}

int main(int argc, char **argv)
{
	struct jpeg_decompress_struct d;
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr de, ce;
	FILE *in, *out;
	JSAMPROW row;

	if (argc != 4)
		return 2;
	in = fopen(argv[1], "rb");
	out = fopen(argv[2], "wb");
	if (!in || !out)
		return 1;
	d.err = jpeg_std_error(&de);
	c.err = jpeg_std_error(&ce);
	jpeg_create_decompress(&d);
	jpeg_create_compress(&c);
	jpeg_stdio_src(&d, in);
	jpeg_stdio_dest(&c, out);
	jpeg_read_header(&d, TRUE);
	d.out_color_space = JCS_RGB;
	jpeg_start_decompress(&d);
	setup_output(&c, &d, atoi(argv[3]));
	jpeg_start_compress(&c, TRUE);
	row = malloc((size_t)d.output_width * 3);
	while (d.output_scanline < d.output_height) {
		jpeg_read_scanlines(&d, &row, 1);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_finish_decompress(&d);
	jpeg_destroy_compress(&c);
	jpeg_destroy_decompress(&d);
	free(row);
	fclose(in);
	return fclose(out) == 0 ? 0 : 1;
}
