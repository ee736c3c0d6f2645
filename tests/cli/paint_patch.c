/* paint_patch.c - helper of tests/cli/masks.sh (built as tgs_paint_patch).
 *
 *   tgs_paint_patch paint SRC_DIR DST_DIR MASK_DIR [RGBA_DIR]
 *     paints a white patch (the rectangle of patch_rect) into every image of
 *     SRC_DIR and writes it as PNG under the same file name into DST_DIR, its
 *     mask (0 on the patch, 255 elsewhere) as MASK_DIR/<stem>.png and, with
 *     RGBA_DIR, the painted photograph with alpha 0 on the patch.
 *   tgs_paint_patch blank W H PATH
 *     writes a W x H mask that keeps every pixel.
 *   tgs_paint_patch measure RENDER_DIR GT_DIR
 *     prints the mean of render - gt (0..255, all channels) inside the patch
 *     (a pixel in from its border) and the mean |render - gt| outside, over
 *     every PNG of RENDER_DIR with the same name in GT_DIR.
 */
#include "tgs/image.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The patch: x in [0.55, 0.8) of the width, y in [0.3, 0.5) of the height. */
static void patch_rect(int w, int h, int inset, int r[4]) {
    r[0] = (int)(0.55 * w) + inset;
    r[1] = (int)(0.8 * w) - inset;
    r[2] = (int)(0.3 * h) + inset;
    r[3] = (int)(0.5 * h) - inset;
}

static int in_rect(const int r[4], int x, int y) { return x >= r[0] && x < r[1] && y >= r[2] && y < r[3]; }

static int fail(const char *what, const char *path) {
    fprintf(stderr, "tgs_paint_patch: %s %s: %s\n", what, path, tgs_error_message());
    return 1;
}

static int paint_one(const char *src, const char *name, const char *dst, const char *masks, const char *rgba_dir) {
    char path[4096], stem[1024];
    tgs_image im = {0};
    snprintf(path, sizeof path, "%s/%s", src, name);
    if (tgs_image_load(path, &im) != TGS_OK || im.channels != 3)
        return fail("cannot read an RGB image from", path);
    const int w = im.width, h = im.height;
    int r[4];
    patch_rect(w, h, 0, r);
    tgs_image mask = {w, h, 1, malloc((size_t)w * h)}, rgba = {w, h, 4, malloc((size_t)w * h * 4)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const size_t p = (size_t)y * w + x;
            const int on = in_rect(r, x, y);
            if (on)
                memset(im.data + 3 * p, 255, 3);
            mask.data[p] = on ? 0 : 255;
            memcpy(rgba.data + 4 * p, im.data + 3 * p, 3);
            rgba.data[4 * p + 3] = on ? 0 : 255;
        }
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strchr(stem, '.');
    if (dot)
        *dot = '\0';
    int rc = 0;
    snprintf(path, sizeof path, "%s/%s", dst, name); /* PNG bytes under the JPEG's name: tgs reads by content */
    if (tgs_image_save_png(path, &im) != TGS_OK)
        rc = fail("cannot write", path);
    snprintf(path, sizeof path, "%s/%s.png", masks, stem);
    if (!rc && tgs_image_save_png(path, &mask) != TGS_OK)
        rc = fail("cannot write", path);
    snprintf(path, sizeof path, "%s/%s", rgba_dir ? rgba_dir : "", name);
    if (!rc && rgba_dir && tgs_image_save_png(path, &rgba) != TGS_OK)
        rc = fail("cannot write", path);
    tgs_image_free(&im);
    tgs_image_free(&mask);
    tgs_image_free(&rgba);
    return rc;
}

static int paint(const char *src, const char *dst, const char *masks, const char *rgba_dir) {
    DIR *d = opendir(src);
    if (!d)
        return fail("cannot open", src);
    struct dirent *e;
    int rc = 0, n = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        rc = paint_one(src, e->d_name, dst, masks, rgba_dir);
        n++;
    }
    closedir(d);
    if (!rc)
        printf("painted %d images\n", n);
    return rc;
}

static int measure(const char *renders, const char *gts) {
    DIR *d = opendir(renders);
    if (!d)
        return fail("cannot open", renders);
    struct dirent *e;
    double in_sum = 0, out_sum = 0;
    size_t in_n = 0, out_n = 0;
    int views = 0, rc = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".png") != 0)
            continue;
        char rp[4096], gp[4096];
        snprintf(rp, sizeof rp, "%s/%s", renders, e->d_name);
        snprintf(gp, sizeof gp, "%s/%s", gts, e->d_name);
        tgs_image a = {0}, b = {0};
        if (tgs_image_load(rp, &a) != TGS_OK || tgs_image_load(gp, &b) != TGS_OK || a.width != b.width ||
            a.height != b.height || a.channels != 3 || b.channels != 3) {
            rc = fail("cannot compare", rp);
        } else {
            int r[4];
            patch_rect(a.width, a.height, 1, r);
            for (int y = 0; y < a.height; y++)
                for (int x = 0; x < a.width; x++)
                    for (int c = 0; c < 3; c++) {
                        const size_t k = ((size_t)y * a.width + x) * 3 + c;
                        const double diff = (double)a.data[k] - b.data[k];
                        if (in_rect(r, x, y))
                            in_sum += diff, in_n++;
                        else
                            out_sum += diff < 0 ? -diff : diff, out_n++;
                    }
            views++;
        }
        tgs_image_free(&a);
        tgs_image_free(&b);
    }
    closedir(d);
    if (!rc)
        printf("views %d patch_excess %.2f outside_error %.2f\n", views, in_n ? in_sum / in_n : 0.0,
               out_n ? out_sum / out_n : 0.0);
    return rc;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "paint") == 0)
        return paint(argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
    if (argc == 4 && strcmp(argv[1], "measure") == 0)
        return measure(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "blank") == 0) {
        const int w = atoi(argv[2]), h = atoi(argv[3]);
        tgs_image m = {w, h, 1, malloc(w > 0 && h > 0 ? (size_t)w * h : 1)};
        if (w <= 0 || h <= 0 || !m.data)
            return fail("bad size for", argv[4]);
        memset(m.data, 255, (size_t)w * h);
        int rc = tgs_image_save_png(argv[4], &m) != TGS_OK ? fail("cannot write", argv[4]) : 0;
        tgs_image_free(&m);
        return rc;
    }
    fprintf(stderr, "usage: tgs_paint_patch paint SRC DST MASKS [RGBA] | blank W H PATH | measure RENDERS GT\n");
    return 2;
}
