/* image.c - 8-bit images: JPEG/PNG decoding (libjpeg-turbo, libpng) with every
 * library error turned into a status, atomic PNG encoding, compositing of RGBA
 * over a background, and an antialiased separable resampler (exact area filter
 * when shrinking, bilinear when enlarging).
 *
 * Both libraries report errors by longjmp. All the state touched between setjmp
 * and longjmp lives in a context struct owned by the caller of the function that
 * calls setjmp, so nothing relies on the value of a modified local after a jump.
 */
#include "tgs/image.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#define TGS_IMAGE_MAX_PIXELS ((size_t)1 << 28)

enum { FMT_JPEG = 1, FMT_PNG = 2 };

/* ------------------------------------------------------------------------ */
/* Common helpers                                                            */

static tgs_status check_dims(const char *path, long long w, long long h, int c) {
    if (w <= 0 || h <= 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: image size %lldx%lld is empty (expected positive width and height)",
                        path, w, h);
    if ((unsigned long long)w * (unsigned long long)h > TGS_IMAGE_MAX_PIXELS)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: image size %lldx%lld is too large (expected at most %zu pixels)", path,
                        w, h, TGS_IMAGE_MAX_PIXELS);
    if (c != 1 && c != 3 && c != 4)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: %d channels per pixel (expected 1, 3 or 4)", path, c);
    return TGS_OK;
}

/* Opens path and tells JPEG from PNG by the first bytes (not the extension). */
static tgs_status open_detect(const char *path, FILE **out, int *fmt) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open image (%s)", path, strerror(errno));
    unsigned char sig[8] = {0};
    size_t n = fread(sig, 1, sizeof sig, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot read image (%s)", path, strerror(e));
    }
    if (n == 0) {
        fclose(f);
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: empty file (expected a JPEG or PNG image)", path);
    }
    if (n >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF)
        *fmt = FMT_JPEG;
    else if (n == 8 && png_sig_cmp(sig, 0, 8) == 0)
        *fmt = FMT_PNG;
    else {
        fclose(f);
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: not a JPEG or PNG image (first bytes %02x %02x %02x %02x; expected ff d8 ff or 89 50 4e 47)",
                        path, sig[0], sig[1], sig[2], sig[3]);
    }
    if (fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot seek (%s)", path, strerror(e));
    }
    *out = f;
    return TGS_OK;
}

static tgs_status image_alloc(tgs_image *img, int w, int h, int c, const char *what) {
    img->width = w;
    img->height = h;
    img->channels = c;
    img->data = tgs_calloc((size_t)w * (size_t)h, (size_t)c, what);
    return img->data ? TGS_OK : TGS_ERR_NOMEM;
}

void tgs_image_free(tgs_image *img) {
    if (!img)
        return;
    free(img->data);
    img->data = NULL;
    img->width = img->height = img->channels = 0;
}

size_t tgs_image_bytes(int width, int height, int channels) {
    return (size_t)width * (size_t)height * (size_t)channels;
}

/* ------------------------------------------------------------------------ */
/* JPEG                                                                      */

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg sees a jpeg_error_mgr* */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_decompress_struct cinfo;
    FILE *f;
    const char *path;
    int header_only, created;
    int width, height, channels, components, color_space;
    unsigned char *data; /* [H,W,C] */
    tgs_status st;       /* non-OK: a check (not libjpeg) failed, message recorded */
} jpeg_ctx;

static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_ctx *x = (jpeg_ctx *)cinfo->err;
    cinfo->err->format_message(cinfo, x->msg);
    longjmp(x->jump, 1);
}

/* Warnings (level -1) signal corrupt or truncated data: treated as errors, so a
 * partial image is never returned as if it were whole. Trace messages are dropped. */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level < 0)
        jpeg_on_error(cinfo);
}

static void jpeg_no_output(j_common_ptr cinfo) { (void)cinfo; }

/* Returns 0 when libjpeg raised an error (x->msg), 1 otherwise. */
static int jpeg_run(jpeg_ctx *x) {
    if (setjmp(x->jump))
        return 0;
    jpeg_create_decompress(&x->cinfo);
    x->created = 1;
    jpeg_stdio_src(&x->cinfo, x->f);
    jpeg_read_header(&x->cinfo, TRUE);
    x->width = (int)x->cinfo.image_width;
    x->height = (int)x->cinfo.image_height;
    x->components = x->cinfo.num_components;
    x->color_space = x->cinfo.jpeg_color_space;
    if (x->components == 1) {
        x->channels = 1;
        x->cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (x->components == 3 && x->color_space != JCS_CMYK && x->color_space != JCS_YCCK) {
        x->channels = 3;
        x->cinfo.out_color_space = JCS_RGB;
    } else {
        x->st = TGS_FAIL(TGS_ERR_UNSUPPORTED,
                         "%s: JPEG with %d components (%s) is not supported (expected greyscale or RGB; convert "
                         "CMYK images to RGB)",
                         x->path, x->components,
                         (x->color_space == JCS_CMYK || x->color_space == JCS_YCCK) ? "CMYK" : "unknown colour space");
        return 1;
    }
    x->st = check_dims(x->path, x->width, x->height, x->channels);
    if (x->st != TGS_OK || x->header_only)
        return 1;
    jpeg_start_decompress(&x->cinfo);
    if ((int)x->cinfo.output_width != x->width || (int)x->cinfo.output_height != x->height ||
        x->cinfo.output_components != x->channels) {
        x->st = TGS_FAIL(TGS_ERR_FORMAT, "%s: JPEG decoder output %ux%ux%d differs from header %dx%dx%d", x->path,
                         x->cinfo.output_width, x->cinfo.output_height, x->cinfo.output_components, x->width,
                         x->height, x->channels);
        return 1;
    }
    size_t stride = (size_t)x->width * (size_t)x->channels;
    x->data = tgs_calloc((size_t)x->height, stride, "decoded JPEG");
    if (!x->data) {
        x->st = TGS_ERR_NOMEM;
        return 1;
    }
    while (x->cinfo.output_scanline < x->cinfo.output_height) {
        JSAMPROW row = x->data + (size_t)x->cinfo.output_scanline * stride;
        jpeg_read_scanlines(&x->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&x->cinfo);
    return 1;
}

static tgs_status jpeg_decode(const char *path, FILE *f, int header_only, int *w, int *h, int *c,
                              unsigned char **data) {
    jpeg_ctx *x = tgs_calloc(1, sizeof *x, "JPEG decoder");
    if (!x)
        return TGS_ERR_NOMEM;
    x->f = f;
    x->path = path;
    x->header_only = header_only;
    x->cinfo.err = jpeg_std_error(&x->pub);
    x->pub.error_exit = jpeg_on_error;
    x->pub.emit_message = jpeg_on_message;
    x->pub.output_message = jpeg_no_output;
    tgs_status st;
    if (!jpeg_run(x)) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: corrupt or truncated JPEG (%s)", path, x->msg);
        free(x->data);
    } else {
        st = x->st;
        if (st == TGS_OK) {
            *w = x->width;
            *h = x->height;
            *c = x->channels;
            if (data)
                *data = x->data;
        } else {
            free(x->data);
        }
    }
    if (x->created)
        jpeg_destroy_decompress(&x->cinfo);
    free(x);
    return st;
}

/* ------------------------------------------------------------------------ */
/* PNG reading                                                               */

typedef struct {
    png_structp png;
    png_infop info;
    char msg[256];
    FILE *f;
    const char *path;
    int header_only;
    int width, height, channels;
    unsigned char *data; /* [H,W,C] */
    png_bytep *rows;     /* [H] */
    tgs_status st;
} png_rctx;

static void png_on_error(png_structp png, png_const_charp msg) {
    char *buf = png_get_error_ptr(png);
    snprintf(buf, 256, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
    (void)png; /* benign (ancillary chunk problems, colour profiles): ignored */
    (void)msg;
}

/* Returns 0 when libpng raised an error (x->msg), 1 otherwise. */
static int png_run_read(png_rctx *x) {
    if (setjmp(png_jmpbuf(x->png)))
        return 0;
    png_init_io(x->png, x->f);
    png_read_info(x->png, x->info);
    png_uint_32 w = png_get_image_width(x->png, x->info), h = png_get_image_height(x->png, x->info);
    int color = png_get_color_type(x->png, x->info), depth = png_get_bit_depth(x->png, x->info);
    int trns = png_get_valid(x->png, x->info, PNG_INFO_tRNS) != 0;
    /* 16 -> 8 bits by keeping the high byte, as PIL does for the reference. */
    if (depth == 16)
        png_set_strip_16(x->png);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(x->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(x->png);
    if (trns)
        png_set_tRNS_to_alpha(x->png);
    /* Grey with alpha becomes RGBA: tgs images have 1, 3 or 4 channels. */
    if (color == PNG_COLOR_TYPE_GRAY_ALPHA || (color == PNG_COLOR_TYPE_GRAY && trns))
        png_set_gray_to_rgb(x->png);
    png_set_interlace_handling(x->png);
    png_read_update_info(x->png, x->info);
    x->channels = png_get_channels(x->png, x->info);
    x->st = check_dims(x->path, (long long)w, (long long)h, x->channels);
    if (x->st != TGS_OK)
        return 1;
    x->width = (int)w;
    x->height = (int)h;
    size_t stride = (size_t)x->width * (size_t)x->channels;
    if (png_get_rowbytes(x->png, x->info) != stride) {
        x->st = TGS_FAIL(TGS_ERR_FORMAT, "%s: PNG row size %zu (expected %zu)", x->path,
                         (size_t)png_get_rowbytes(x->png, x->info), stride);
        return 1;
    }
    if (x->header_only)
        return 1;
    x->data = tgs_calloc((size_t)x->height, stride, "decoded PNG");
    x->rows = x->data ? tgs_calloc((size_t)x->height, sizeof *x->rows, "PNG row pointers") : NULL;
    if (!x->rows) {
        x->st = TGS_ERR_NOMEM;
        return 1;
    }
    for (int y = 0; y < x->height; y++)
        x->rows[y] = x->data + (size_t)y * stride;
    png_read_image(x->png, x->rows);
    png_read_end(x->png, NULL); /* checks the trailing chunks up to IEND */
    return 1;
}

static tgs_status png_decode(const char *path, FILE *f, int header_only, int *w, int *h, int *c,
                             unsigned char **data) {
    png_rctx *x = tgs_calloc(1, sizeof *x, "PNG decoder");
    if (!x)
        return TGS_ERR_NOMEM;
    x->f = f;
    x->path = path;
    x->header_only = header_only;
    tgs_status st;
    x->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, x->msg, png_on_error, png_on_warning);
    x->info = x->png ? png_create_info_struct(x->png) : NULL;
    if (!x->info) {
        st = TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot create a PNG decoder", path);
    } else if (!png_run_read(x)) {
        if (feof(f))
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: truncated PNG (file ends early; libpng: %s)", path, x->msg);
        else
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: corrupt PNG (%s)", path, x->msg);
    } else {
        st = x->st;
    }
    if (st == TGS_OK) {
        *w = x->width;
        *h = x->height;
        *c = x->channels;
        if (data) {
            *data = x->data;
            x->data = NULL;
        }
    }
    png_destroy_read_struct(x->png ? &x->png : NULL, x->info ? &x->info : NULL, NULL);
    free(x->rows);
    free(x->data);
    free(x);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Public decoding                                                           */

static tgs_status decode(const char *path, int header_only, int *w, int *h, int *c, unsigned char **data) {
    FILE *f;
    int fmt = 0;
    TGS_TRY(open_detect(path, &f, &fmt));
    tgs_status st = fmt == FMT_JPEG ? jpeg_decode(path, f, header_only, w, h, c, data)
                                    : png_decode(path, f, header_only, w, h, c, data);
    fclose(f);
    return st;
}

tgs_status tgs_image_probe(const char *path, int *width, int *height, int *channels) {
    int w = 0, h = 0, c = 0;
    TGS_TRY(decode(path, 1, &w, &h, &c, NULL));
    *width = w;
    *height = h;
    *channels = c;
    return TGS_OK;
}

tgs_status tgs_image_load(const char *path, tgs_image *out) {
    memset(out, 0, sizeof *out);
    int w = 0, h = 0, c = 0;
    unsigned char *data = NULL;
    TGS_TRY(decode(path, 0, &w, &h, &c, &data));
    out->width = w;
    out->height = h;
    out->channels = c;
    out->data = data;
    return TGS_OK;
}

/* ------------------------------------------------------------------------ */
/* PNG writing                                                               */

/* A fast zlib level: hundreds of renders are written per evaluation. */
#define TGS_PNG_LEVEL 2

typedef struct {
    png_structp png;
    png_infop info;
    char msg[256];
    FILE *f;
    int width, height, channels;
    png_bytep *rows; /* [H] */
} png_wctx;

static int png_run_write(png_wctx *x) {
    if (setjmp(png_jmpbuf(x->png)))
        return 0;
    png_init_io(x->png, x->f);
    int color = x->channels == 1 ? PNG_COLOR_TYPE_GRAY
                : x->channels == 3 ? PNG_COLOR_TYPE_RGB
                                   : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(x->png, x->info, (png_uint_32)x->width, (png_uint_32)x->height, 8, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(x->png, TGS_PNG_LEVEL);
    png_write_info(x->png, x->info);
    png_write_image(x->png, x->rows);
    png_write_end(x->png, NULL);
    return 1;
}

static tgs_status save_png8(const char *path, const unsigned char *data /*[H,W,C]*/, int w, int h, int c) {
    if (!data || w <= 0 || h <= 0 || (c != 1 && c != 3 && c != 4))
        return TGS_FAIL(TGS_ERR_ARG, "%s: cannot save a %dx%dx%d image (expected positive size, 1, 3 or 4 channels)",
                        path, w, h, c);
    tgs_status st = check_dims(path, w, h, c);
    if (st != TGS_OK)
        return TGS_FAIL(TGS_ERR_ARG, "%s: image %dx%d is too large to save", path, w, h);
    tgs_atomic_file af = {0};
    png_wctx *x = tgs_calloc(1, sizeof *x, "PNG encoder");
    png_bytep *rows = tgs_calloc((size_t)h, sizeof *rows, "PNG row pointers");
    if (!x || !rows) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    size_t stride = (size_t)w * (size_t)c;
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)(data + (size_t)y * stride); /* libpng does not write through them */
    if ((st = tgs_atomic_open(path, &af)) != TGS_OK)
        goto cleanup;
    x->f = af.f;
    x->width = w;
    x->height = h;
    x->channels = c;
    x->rows = rows;
    x->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, x->msg, png_on_error, png_on_warning);
    x->info = x->png ? png_create_info_struct(x->png) : NULL;
    if (!x->info) {
        st = TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot create a PNG encoder", path);
        goto cleanup;
    }
    errno = 0;
    if (!png_run_write(x)) {
        /* libpng's stdio writer reports a short write as "Write Error": errno says why. */
        int e = errno;
        st = TGS_FAIL(TGS_ERR_IO, "%s: cannot write PNG (%s%s%s)", af.tmp, x->msg, e ? ": " : "",
                      e ? strerror(e) : "");
        goto cleanup;
    }
    st = tgs_atomic_commit(&af);
cleanup:
    if (x && x->png)
        png_destroy_write_struct(&x->png, x->info ? &x->info : NULL);
    tgs_atomic_abort(&af); /* a no-op after the commit */
    free(rows);
    free(x);
    return st;
}

tgs_status tgs_image_save_png(const char *path, const tgs_image *img) {
    if (!img)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no image to save", path);
    return save_png8(path, img->data, img->width, img->height, img->channels);
}

static inline unsigned char quantize_round(float v) {
    if (!(v > 0.0f)) /* also NaN */
        return 0;
    if (v >= 1.0f)
        return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

tgs_status tgs_image_save_png_f32(const char *path, const float *rgb /*[H,W,3]*/, int width, int height) {
    if (!rgb || width <= 0 || height <= 0 || (size_t)width * (size_t)height > TGS_IMAGE_MAX_PIXELS)
        return TGS_FAIL(TGS_ERR_ARG, "%s: cannot save a %dx%d float image (expected a positive size)", path, width,
                        height);
    size_t n = (size_t)width * (size_t)height * 3;
    unsigned char *buf = tgs_calloc(n, 1, "8-bit render");
    if (!buf)
        return TGS_ERR_NOMEM;
    long long nn = (long long)n;
#pragma omp parallel for schedule(static) if (nn > 65536)
    for (long long i = 0; i < nn; i++)
        buf[i] = quantize_round(rgb[i]);
    tgs_status st = save_png8(path, buf, width, height, 3);
    free(buf);
    return st;
}

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg sees a jpeg_error_mgr* */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_enc_err;

static void jpeg_enc_on_error(j_common_ptr cinfo) {
    jpeg_enc_err *x = (jpeg_enc_err *)cinfo->err;
    cinfo->err->format_message(cinfo, x->msg);
    longjmp(x->jump, 1);
}

/* Compresses rows of 8-bit RGB into *out; returns 0 when libjpeg failed (x->msg). */
static int jpeg_compress_rows(struct jpeg_compress_struct *ci, jpeg_enc_err *x, const unsigned char *rgb, int width,
                              int height, int quality, unsigned char **out, unsigned long *size) {
    if (setjmp(x->jump))
        return 0;
    jpeg_mem_dest(ci, out, size);
    ci->image_width = (JDIMENSION)width;
    ci->image_height = (JDIMENSION)height;
    ci->input_components = 3;
    ci->in_color_space = JCS_RGB;
    jpeg_set_defaults(ci);
    jpeg_set_quality(ci, quality, TRUE);
    jpeg_start_compress(ci, TRUE);
    while (ci->next_scanline < ci->image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)ci->next_scanline * width * 3);
        jpeg_write_scanlines(ci, &row, 1);
    }
    jpeg_finish_compress(ci);
    return 1;
}

tgs_status tgs_image_encode_jpeg_f32(const float *rgb /*[H,W,3]*/, int width, int height, int quality,
                                     unsigned char **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    if (!rgb || width <= 0 || height <= 0 || (size_t)width * (size_t)height > TGS_IMAGE_MAX_PIXELS ||
        quality < 1 || quality > 100)
        return TGS_FAIL(TGS_ERR_ARG, "cannot encode a %dx%d image at JPEG quality %d", width, height, quality);
    size_t n = (size_t)width * (size_t)height * 3;
    unsigned char *buf = tgs_calloc(n, 1, "8-bit frame");
    if (!buf)
        return TGS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        buf[i] = quantize_round(rgb[i]);
    struct jpeg_compress_struct ci;
    jpeg_enc_err x;
    memset(&ci, 0, sizeof ci);
    memset(&x, 0, sizeof x);
    ci.err = jpeg_std_error(&x.pub);
    x.pub.error_exit = jpeg_enc_on_error;
    jpeg_create_compress(&ci);
    unsigned char *mem = NULL;
    unsigned long size = 0;
    int ok = jpeg_compress_rows(&ci, &x, buf, width, height, quality, &mem, &size);
    jpeg_destroy_compress(&ci);
    free(buf);
    if (!ok) {
        free(mem);
        return TGS_FAIL(TGS_ERR_NOMEM, "JPEG encoding of a %dx%d frame failed: %s", width, height, x.msg);
    }
    *out = mem;
    *out_size = size;
    return TGS_OK;
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                               */

tgs_status tgs_image_to_rgb(const tgs_image *src, const float bg[3], tgs_image *dst) {
    if (!src || !src->data || src->width <= 0 || src->height <= 0)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_image_to_rgb: empty source image");
    int c = src->channels;
    if (c < 1 || c > 4)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_image_to_rgb: %d channels (expected 1 to 4)", c);
    tgs_image out = {0};
    TGS_TRY(image_alloc(&out, src->width, src->height, 3, "RGB image"));
    long long n = (long long)src->width * src->height;
    const unsigned char *s = src->data;
    unsigned char *d = out.data;
    /* Double precision and this operation order reproduce the reference's numpy
     * float64 arithmetic bit for bit, so its truncation lands on the same values. */
    const double b[3] = {bg ? bg[0] : 0.0, bg ? bg[1] : 0.0, bg ? bg[2] : 0.0};
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < n; i++) {
        const unsigned char *p = s + i * c;
        unsigned char *q = d + i * 3;
        if (c == 3) {
            q[0] = p[0], q[1] = p[1], q[2] = p[2];
        } else if (c == 1) {
            q[0] = q[1] = q[2] = p[0];
        } else {
            double a = (c == 4 ? p[3] : p[1]) / 255.0;
            for (int k = 0; k < 3; k++) {
                double v = (c == 4 ? p[k] : p[0]) / 255.0;
                double r = (v * a + b[k] * (1.0 - a)) * 255.0;
                q[k] = r <= 0.0 ? 0 : r >= 255.0 ? 255 : (unsigned char)r;
            }
        }
    }
    if (dst == src)
        tgs_image_free(dst);
    *dst = out;
    return TGS_OK;
}

void tgs_image_to_float(const unsigned char *src /*[n*3]*/, size_t n_pixels, float *dst /*[n*3]*/) {
    long long n = (long long)(n_pixels * 3);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < n; i++)
        dst[i] = (float)src[i] / 255.0f;
}

/* ------------------------------------------------------------------------ */
/* Resampling                                                                */

/* One axis of a separable filter: output o reads taps [start[o], start[o]+count[o])
 * of the source with weights w[o*max_taps + k] (summing to 1). */
typedef struct {
    int max_taps;
    int *start, *count; /* [dst_n] */
    double *w;          /* [dst_n, max_taps] */
} axis_filter;

static void axis_free(axis_filter *a) {
    free(a->start);
    free(a->count);
    free(a->w);
}

static tgs_status axis_build(int src_n, int dst_n, axis_filter *a) {
    memset(a, 0, sizeof *a);
    double scale = (double)src_n / (double)dst_n;
    a->max_taps = dst_n < src_n ? (int)ceil(scale) + 2 : 2;
    a->start = tgs_calloc((size_t)dst_n, sizeof(int), "resample taps");
    a->count = tgs_calloc((size_t)dst_n, sizeof(int), "resample taps");
    a->w = tgs_calloc((size_t)dst_n, (size_t)a->max_taps * sizeof(double), "resample weights");
    if (!a->start || !a->count || !a->w) {
        axis_free(a);
        return TGS_ERR_NOMEM;
    }
    for (int o = 0; o < dst_n; o++) {
        double *w = a->w + (size_t)o * (size_t)a->max_taps;
        if (dst_n == src_n) {
            a->start[o] = o;
            a->count[o] = 1;
            w[0] = 1.0;
        } else if (dst_n < src_n) {
            /* Exact area: output o covers source [lo, hi); each source pixel
             * [i, i+1) weighs by its overlap with that interval. */
            double lo = o * scale, hi = (o + 1) * scale;
            int i0 = (int)floor(lo), i1 = (int)ceil(hi);
            if (i1 > src_n)
                i1 = src_n;
            if (i0 > i1 - 1)
                i0 = i1 - 1;
            double sum = 0.0;
            int n = 0;
            for (int i = i0; i < i1 && n < a->max_taps; i++) {
                double ov = fmin(hi, i + 1.0) - fmax(lo, (double)i);
                if (n == 0 && ov <= 0.0) {
                    i0++; /* lo landed exactly on a pixel edge */
                    continue;
                }
                w[n++] = ov > 0.0 ? ov : 0.0;
                sum += ov > 0.0 ? ov : 0.0;
            }
            a->start[o] = i0;
            a->count[o] = n;
            for (int k = 0; k < n; k++)
                w[k] /= sum;
        } else {
            /* Bilinear with pixel centres aligned, clamped at the borders. */
            double s = (o + 0.5) * scale - 0.5;
            double fl = floor(s);
            double f = s - fl;
            int i0 = (int)fl;
            if (i0 < 0) {
                i0 = 0;
                f = 0.0;
            }
            if (i0 >= src_n - 1) {
                i0 = src_n - 1;
                f = 0.0;
            }
            a->start[o] = i0;
            a->count[o] = f > 0.0 ? 2 : 1;
            w[0] = 1.0 - f;
            w[1] = f;
        }
    }
    return TGS_OK;
}

tgs_status tgs_image_resize(const tgs_image *src, int width, int height, tgs_image *dst) {
    if (!src || !src->data || src->width <= 0 || src->height <= 0 || src->channels < 1 || src->channels > 4)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_image_resize: empty or invalid source image");
    if (width <= 0 || height <= 0 || (size_t)width * (size_t)height > TGS_IMAGE_MAX_PIXELS)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_image_resize: target size %dx%d is invalid (expected 1..%zu pixels)",
                        width, height, TGS_IMAGE_MAX_PIXELS);
    const int sw = src->width, sh = src->height, c = src->channels;
    tgs_image out = {0};
    axis_filter ax = {0}, ay = {0};
    float *tmp = NULL;
    tgs_status st = image_alloc(&out, width, height, c, "resized image");
    if (st != TGS_OK)
        return st;
    if ((st = axis_build(sw, width, &ax)) != TGS_OK || (st = axis_build(sh, height, &ay)) != TGS_OK)
        goto cleanup;
    /* Horizontal pass: [sh, sw, c] -> [sh, width, c] in float. */
    tmp = tgs_calloc((size_t)sh * (size_t)width, (size_t)c * sizeof(float), "resample buffer");
    if (!tmp) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
#pragma omp parallel for schedule(static)
    for (int y = 0; y < sh; y++) {
        const unsigned char *row = src->data + (size_t)y * sw * c;
        float *trow = tmp + (size_t)y * width * c;
        for (int x = 0; x < width; x++) {
            const double *w = ax.w + (size_t)x * ax.max_taps;
            const unsigned char *p = row + (size_t)ax.start[x] * c;
            for (int k = 0; k < c; k++) {
                double acc = 0.0;
                for (int t = 0; t < ax.count[x]; t++)
                    acc += w[t] * p[(size_t)t * c + k];
                trow[(size_t)x * c + k] = (float)acc;
            }
        }
    }
    /* Vertical pass, rounded to 8 bits. */
#pragma omp parallel for schedule(static)
    for (int y = 0; y < height; y++) {
        const double *w = ay.w + (size_t)y * ay.max_taps;
        unsigned char *orow = out.data + (size_t)y * width * c;
        size_t rlen = (size_t)width * c;
        for (size_t i = 0; i < rlen; i++) {
            double acc = 0.0;
            for (int t = 0; t < ay.count[y]; t++)
                acc += w[t] * tmp[(size_t)(ay.start[y] + t) * rlen + i];
            double r = floor(acc + 0.5);
            orow[i] = r <= 0.0 ? 0 : r >= 255.0 ? 255 : (unsigned char)r;
        }
    }
cleanup:
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    if (st != TGS_OK) {
        tgs_image_free(&out);
        return st;
    }
    if (dst == src)
        tgs_image_free(dst);
    *dst = out;
    return TGS_OK;
}
