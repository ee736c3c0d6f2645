/* image.h - 8-bit images: decode (JPEG, PNG), encode (PNG), resample. */
#ifndef TGS_IMAGE_H
#define TGS_IMAGE_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int width, height, channels; /* channels: 1, 3 or 4 */
    unsigned char *data;         /* [H,W,C], row-major, owned */
} tgs_image;

/* Reads only the header (PNG: the chunks before the image data, so that a tRNS
 * chunk counts): size and the channel count tgs_image_load will return. */
tgs_status tgs_image_probe(const char *path, int *width, int *height, int *channels);
/* Decodes a JPEG or PNG (by content, not extension) to 8-bit grey, RGB or RGBA
 * (16-bit PNGs are reduced to 8 bits by keeping the high byte, as PIL does;
 * palette, tRNS and grey+alpha become RGB/RGBA). Corrupt or truncated files,
 * including JPEGs on which libjpeg only warns, give TGS_ERR_FORMAT; CMYK JPEGs
 * TGS_ERR_UNSUPPORTED. At most 2^28 pixels. On failure *out is empty. */
tgs_status tgs_image_load(const char *path, tgs_image *out);
/* Writes an 8-bit PNG (channels 3 or 4) to path.tmp, then renames it over path. */
tgs_status tgs_image_save_png(const char *path, const tgs_image *img);
/* Float [H,W,3] in [0,1] -> 8-bit RGB PNG (clamped, rounded), atomically. */
tgs_status tgs_image_save_png_f32(const char *path, const float *rgb /*[H,W,3]*/, int width, int height);
/* Float [H,W,3] in [0,1] -> a baseline JPEG in memory (clamped, rounded;
 * quality 1..100, 4:2:0). *out is malloc'd (the caller frees it); on failure
 * it is NULL. Single-threaded (called beside a training loop). */
tgs_status tgs_image_encode_jpeg_f32(const float *rgb /*[H,W,3]*/, int width, int height, int quality,
                                     unsigned char **out, size_t *out_size);
/* RGBA -> RGB composited over bg (0..1; NULL = black): rgb*a + bg*(1-a), quantised
 * as the reference does (truncation of value*255). RGB input is copied, grey
 * expanded. dst may be src (replaced in place). */
tgs_status tgs_image_to_rgb(const tgs_image *src, const float bg[3], tgs_image *dst);
/* Area-averaging resample (exact box filter for shrinking, bilinear for
 * enlarging; chosen per axis) to width x height, rounded to 8 bits. Any channel
 * count. dst may be src (replaced in place). */
tgs_status tgs_image_resize(const tgs_image *src, int width, int height, tgs_image *dst);
/* 8-bit [H,W,3] -> float [H,W,3] in [0,1]. */
void tgs_image_to_float(const unsigned char *src /*[n*3]*/, size_t n_pixels, float *dst /*[n*3]*/);
void tgs_image_free(tgs_image *img); /* NULL or empty is a no-op */
/* Bytes of the pixels of a decoded width x height x channels image. */
size_t tgs_image_bytes(int width, int height, int channels);

#ifdef __cplusplus
}
#endif

#endif
