/* test_image.c - image decoding (JPEG, every PNG colour type), PNG writing,
 * compositing, resampling, and refusal of corrupt, truncated or unwritable files. */
#include "tgs/image.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include <jpeglib.h>
#include <png.h>

#include "check.h"

static uint32_t rng_state = 12345u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A raw libpng writer for colour types and depths tgs never writes itself. */
static void write_png_raw(const char *path, int w, int h, int depth, int color, const unsigned char *rows_data,
                          size_t stride, const png_color *pal, int n_pal, const png_byte *trns, int n_trns,
                          const png_color_16 *trns_color) {
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "test PNG writer failed\n");
        exit(1);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (pal)
        png_set_PLTE(png, info, pal, n_pal);
    if (trns || trns_color)
        png_set_tRNS(png, info, trns, n_trns, trns_color);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, rows_data + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* A raw libjpeg writer (grey or CMYK test files). */
static void write_jpeg_raw(const char *path, int w, int h, int comps, J_COLOR_SPACE cs, const unsigned char *data) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(data + (size_t)c.next_scanline * (size_t)w * (size_t)comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

static void test_png_roundtrip(const char *dir) {
    char path[512];
    for (int c = 3; c <= 4; c++) {
        tgs_image img = {0}, back = {0};
        img.width = 37;
        img.height = 23;
        img.channels = c;
        img.data = malloc((size_t)37 * 23 * c);
        for (int i = 0; i < 37 * 23 * c; i++)
            img.data[i] = (unsigned char)rnd();
        snprintf(path, sizeof path, "%s/rt%d.png", dir, c);
        CHECK_OK(tgs_image_save_png(path, &img));
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        CHECK(!check_file_exists(tmp), "%s left behind", tmp);
        CHECK_OK(tgs_image_load(path, &back));
        CHECK(back.width == 37 && back.height == 23 && back.channels == c, "round trip %dx%dx%d", back.width,
              back.height, back.channels);
        if (back.data)
            CHECK(memcmp(back.data, img.data, (size_t)37 * 23 * c) == 0, "PNG round trip differs (%d channels)", c);
        int w, h, ch;
        CHECK_OK(tgs_image_probe(path, &w, &h, &ch));
        CHECK(w == 37 && h == 23 && ch == c, "probe %dx%dx%d", w, h, ch);
        /* Overwriting an existing file works (rename over it). */
        CHECK_OK(tgs_image_save_png(path, &img));
        tgs_image_free(&img);
        tgs_image_free(&back);
    }
    tgs_image_free(NULL);
}

static void test_png_f32(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/f32.png", dir);
    float px[2 * 3 * 3] = {0.5f, 0.2f, -1.0f, 2.0f, NAN, 1.0f, 0.0f, 0.999f, 0.001f,
                           0.25f, 0.75f, 0.1f, 1e-9f, 0.998f, 0.0019f, 0.5f / 255, 1.5f / 255, 254.5f / 255};
    unsigned char want[18] = {128, 51, 0, 255, 0, 255, 0, 255, 0, 64, 191, 26, 0, 254, 0, 1, 2, 255};
    CHECK_OK(tgs_image_save_png_f32(path, px, 3, 2));
    tgs_image img = {0};
    CHECK_OK(tgs_image_load(path, &img));
    CHECK(img.width == 3 && img.height == 2 && img.channels == 3, "f32 PNG size");
    for (int i = 0; img.data && i < 18; i++)
        CHECK(img.data[i] == want[i], "f32 PNG value %d: %d (expected %d)", i, img.data[i], want[i]);
    float back[18];
    if (img.data) {
        tgs_image_to_float(img.data, 6, back);
        CHECK(back[0] == 128.0f / 255.0f && back[3] == 1.0f && back[2] == 0.0f, "to_float");
    }
    tgs_image_free(&img);
}

static void test_png_types(const char *dir) {
    char path[512];
    tgs_image img = {0};
    int w, h, c;
    /* 8-bit grey */
    unsigned char grey[4 * 3];
    for (int i = 0; i < 12; i++)
        grey[i] = (unsigned char)(i * 20);
    snprintf(path, sizeof path, "%s/grey.png", dir);
    write_png_raw(path, 4, 3, 8, PNG_COLOR_TYPE_GRAY, grey, 4, NULL, 0, NULL, 0, NULL);
    CHECK_OK(tgs_image_load(path, &img));
    CHECK(img.channels == 1 && img.width == 4 && img.height == 3, "grey PNG %dx%dx%d", img.width, img.height,
          img.channels);
    if (img.data)
        CHECK(memcmp(img.data, grey, 12) == 0, "grey PNG values");
    tgs_image rgb = {0};
    CHECK_OK(tgs_image_to_rgb(&img, NULL, &rgb));
    if (rgb.data)
        CHECK(rgb.channels == 3 && rgb.data[3 * 5] == 100 && rgb.data[3 * 5 + 1] == 100 && rgb.data[3 * 5 + 2] == 100,
              "grey expanded");
    tgs_image_free(&rgb);
    tgs_image_free(&img);

    /* 16-bit grey: high byte kept */
    unsigned char g16[2 * 2 * 2] = {0x12, 0x34, 0xff, 0xff, 0x00, 0x01, 0x80, 0x7f};
    snprintf(path, sizeof path, "%s/grey16.png", dir);
    write_png_raw(path, 2, 2, 16, PNG_COLOR_TYPE_GRAY, g16, 4, NULL, 0, NULL, 0, NULL);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 1 && img.data[0] == 0x12 && img.data[1] == 0xff && img.data[2] == 0 &&
                  img.data[3] == 0x80,
              "16-bit grey");
    tgs_image_free(&img);

    /* 16-bit RGBA */
    unsigned char rgba16[1 * 2 * 8] = {1, 0, 2, 0, 3, 0, 255, 255, 10, 9, 20, 9, 30, 9, 40, 9};
    snprintf(path, sizeof path, "%s/rgba16.png", dir);
    write_png_raw(path, 2, 1, 16, PNG_COLOR_TYPE_RGB_ALPHA, rgba16, 16, NULL, 0, NULL, 0, NULL);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 4 && img.data[0] == 1 && img.data[3] == 255 && img.data[4] == 10 && img.data[7] == 40,
              "16-bit RGBA");
    tgs_image_free(&img);

    /* grey + alpha -> RGBA */
    unsigned char ga[2 * 2] = {100, 255, 200, 0};
    snprintf(path, sizeof path, "%s/ga.png", dir);
    write_png_raw(path, 2, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, ga, 4, NULL, 0, NULL, 0, NULL);
    CHECK_OK(tgs_image_probe(path, &w, &h, &c));
    CHECK(c == 4, "grey+alpha probe channels %d", c);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 4 && img.data[0] == 100 && img.data[2] == 100 && img.data[3] == 255 &&
                  img.data[4] == 200 && img.data[7] == 0,
              "grey+alpha");
    float white[3] = {1, 1, 1};
    CHECK_OK(tgs_image_to_rgb(&img, white, &rgb));
    if (rgb.data)
        CHECK(rgb.data[0] == 100 && rgb.data[3] == 255 && rgb.data[5] == 255, "grey+alpha composited");
    tgs_image_free(&rgb);
    tgs_image_free(&img);

    /* palette with tRNS -> RGBA; palette without -> RGB; 1-bit grey */
    png_color pal[3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    png_byte trns[3] = {255, 128, 0};
    unsigned char idx[3] = {0, 1, 2};
    snprintf(path, sizeof path, "%s/pal.png", dir);
    write_png_raw(path, 3, 1, 8, PNG_COLOR_TYPE_PALETTE, idx, 3, pal, 3, trns, 3, NULL);
    CHECK_OK(tgs_image_probe(path, &w, &h, &c));
    CHECK(w == 3 && h == 1 && c == 4, "palette+tRNS probe %dx%dx%d", w, h, c);
    CHECK_OK(tgs_image_load(path, &img));
    unsigned char want_pal[12] = {255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0};
    if (img.data)
        CHECK(img.channels == 4 && memcmp(img.data, want_pal, 12) == 0, "palette + tRNS");
    tgs_image_free(&img);
    snprintf(path, sizeof path, "%s/pal3.png", dir);
    write_png_raw(path, 3, 1, 8, PNG_COLOR_TYPE_PALETTE, idx, 3, pal, 3, NULL, 0, NULL);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 3 && img.data[4] == 255 && img.data[8] == 255, "palette");
    tgs_image_free(&img);
    unsigned char bits[1] = {0xA0}; /* 1 0 1 0 ... */
    snprintf(path, sizeof path, "%s/bits.png", dir);
    write_png_raw(path, 4, 1, 1, PNG_COLOR_TYPE_GRAY, bits, 1, NULL, 0, NULL, 0, NULL);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 1 && img.data[0] == 255 && img.data[1] == 0 && img.data[2] == 255, "1-bit grey");
    tgs_image_free(&img);
    /* RGB with a tRNS colour key -> RGBA */
    unsigned char rgbk[6] = {1, 2, 3, 9, 9, 9};
    png_color_16 key = {0, 9, 9, 9, 0};
    snprintf(path, sizeof path, "%s/rgbkey.png", dir);
    write_png_raw(path, 2, 1, 8, PNG_COLOR_TYPE_RGB, rgbk, 6, NULL, 0, NULL, 0, &key);
    CHECK_OK(tgs_image_load(path, &img));
    if (img.data)
        CHECK(img.channels == 4 && img.data[3] == 255 && img.data[7] == 0, "RGB tRNS key");
    tgs_image_free(&img);
}

static void test_jpeg(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/fox/images_4/0001.jpg", TGS_DATA_DIR);
    tgs_image img = {0};
    int w = 0, h = 0, c = 0;
    CHECK_OK(tgs_image_probe(path, &w, &h, &c));
    CHECK(w == 266 && h == 474 && c == 3, "fox probe %dx%dx%d", w, h, c);
    CHECK_OK(tgs_image_load(path, &img));
    CHECK(img.width == 266 && img.height == 474 && img.channels == 3, "fox load %dx%dx%d", img.width, img.height,
          img.channels);
    double mean = 0;
    for (size_t i = 0; img.data && i < (size_t)266 * 474 * 3; i++)
        mean += img.data[i];
    mean /= 266.0 * 474 * 3;
    CHECK(mean > 20 && mean < 235, "fox mean %.1f is implausible", mean);
    tgs_image_free(&img);

    /* Greyscale JPEG -> 1 channel; CMYK refused. */
    unsigned char g[16 * 8];
    for (int i = 0; i < 128; i++)
        g[i] = (unsigned char)(i * 2);
    snprintf(path, sizeof path, "%s/grey.jpg", dir);
    write_jpeg_raw(path, 16, 8, 1, JCS_GRAYSCALE, g);
    CHECK_OK(tgs_image_load(path, &img));
    CHECK(img.channels == 1 && img.width == 16 && img.height == 8, "grey JPEG");
    if (img.data)
        CHECK(abs((int)img.data[5] - 10) <= 3, "grey JPEG value %d", img.data[5]);
    tgs_image_free(&img);
    unsigned char cmyk[8 * 8 * 4];
    memset(cmyk, 100, sizeof cmyk);
    snprintf(path, sizeof path, "%s/cmyk.jpg", dir);
    write_jpeg_raw(path, 8, 8, 4, JCS_CMYK, cmyk);
    tgs_status st = tgs_image_load(path, &img);
    CHECK(st == TGS_ERR_UNSUPPORTED && strstr(tgs_error_message(), "CMYK") && strstr(tgs_error_message(), path),
          "CMYK: %d %s", (int)st, tgs_error_message());
    CHECK(img.data == NULL, "no data on failure");
    CHECK(tgs_image_probe(path, &w, &h, &c) == TGS_ERR_UNSUPPORTED, "CMYK probe");
}

static void test_lego_and_composite(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/lego/train/r_0.png", TGS_DATA_DIR);
    tgs_image img = {0}, rgb = {0};
    CHECK_OK(tgs_image_load(path, &img));
    CHECK(img.width == 400 && img.height == 400 && img.channels == 4, "lego %dx%dx%d", img.width, img.height,
          img.channels);
    int transparent = 0;
    for (int i = 0; img.data && i < 400 * 400; i++)
        transparent += img.data[i * 4 + 3] == 0;
    CHECK(transparent > 1000, "lego has %d transparent pixels", transparent);
    float white[3] = {1, 1, 1};
    CHECK_OK(tgs_image_to_rgb(&img, white, &rgb));
    for (int i = 0; rgb.data && i < 400 * 400; i++)
        if (img.data[i * 4 + 3] == 0 && (rgb.data[i * 3] != 255 || rgb.data[i * 3 + 2] != 255)) {
            CHECK(0, "transparent pixel %d not white", i);
            break;
        }
    tgs_image_free(&rgb);
    /* In place. */
    CHECK_OK(tgs_image_to_rgb(&img, white, &img));
    CHECK(img.channels == 3, "in-place to_rgb");
    tgs_image_free(&img);

    /* Hand-made pixels; expected values from the reference's float64 formula
     * with truncation (computed independently in Python). */
    unsigned char px[7 * 4] = {255, 0, 128, 255, 200, 100, 50, 128, 10,  20,  30,  0,   255, 255,
                               255, 1, 77,  154, 231, 200, 128, 128, 128, 127, 3, 3, 3, 255};
    unsigned char want_white[21] = {255, 0, 128, 227, 177, 152, 255, 255, 255, 255, 255,
                                    255, 115, 175, 236, 191, 191, 191, 3, 3, 3};
    unsigned char want_black[21] = {255, 0, 128, 100, 50, 25, 0, 0, 0, 1, 1, 1, 60, 120, 181, 63, 63, 63, 3, 3, 3};
    tgs_image src = {7, 1, 4, px};
    float black[3] = {0, 0, 0};
    CHECK_OK(tgs_image_to_rgb(&src, white, &rgb));
    for (int i = 0; rgb.data && i < 21; i++)
        CHECK(rgb.data[i] == want_white[i], "white composite %d: %d (expected %d)", i, rgb.data[i], want_white[i]);
    tgs_image_free(&rgb);
    CHECK_OK(tgs_image_to_rgb(&src, black, &rgb));
    for (int i = 0; rgb.data && i < 21; i++)
        CHECK(rgb.data[i] == want_black[i], "black composite %d: %d (expected %d)", i, rgb.data[i], want_black[i]);
    tgs_image_free(&rgb);
    /* Exhaustive: a = 255 keeps every value, a = 0 gives the background. */
    unsigned char all[256 * 2 * 4];
    for (int v = 0; v < 256; v++) {
        unsigned char *p = all + v * 8;
        p[0] = p[1] = p[2] = (unsigned char)v;
        p[3] = 255;
        p[4] = p[5] = p[6] = (unsigned char)v;
        p[7] = 0;
    }
    tgs_image s2 = {512, 1, 4, all};
    CHECK_OK(tgs_image_to_rgb(&s2, white, &rgb));
    int bad = 0;
    for (int v = 0; rgb.data && v < 256; v++)
        bad += rgb.data[v * 6] != v || rgb.data[v * 6 + 3] != 255;
    CHECK(bad == 0, "%d opaque/transparent values wrong", bad);
    tgs_image_free(&rgb);
}

static double image_mean(const tgs_image *im) {
    double s = 0;
    size_t n = (size_t)im->width * im->height * im->channels;
    for (size_t i = 0; i < n; i++)
        s += im->data[i];
    return s / (double)n;
}

static void test_resize(void) {
    tgs_image src = {0}, dst = {0};
    /* Constant stays constant, shrinking and enlarging, odd factors. */
    src.width = 53;
    src.height = 31;
    src.channels = 3;
    src.data = malloc((size_t)53 * 31 * 3);
    memset(src.data, 77, (size_t)53 * 31 * 3);
    int sizes[][2] = {{26, 15}, {17, 10}, {1, 1}, {52, 30}, {100, 70}, {53, 62}, {20, 31}, {7, 300}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        CHECK_OK(tgs_image_resize(&src, sizes[k][0], sizes[k][1], &dst));
        int bad = 0;
        for (size_t i = 0; dst.data && i < (size_t)dst.width * dst.height * 3; i++)
            bad += dst.data[i] != 77;
        CHECK(bad == 0 && dst.width == sizes[k][0] && dst.height == sizes[k][1], "constant to %dx%d: %d differ",
              sizes[k][0], sizes[k][1], bad);
        tgs_image_free(&dst);
    }
    tgs_image_free(&src);

    /* 2x box shrink = 2x2 mean, rounded half up. */
    src.width = 64;
    src.height = 48;
    src.channels = 4;
    src.data = malloc((size_t)64 * 48 * 4);
    for (size_t i = 0; i < (size_t)64 * 48 * 4; i++)
        src.data[i] = (unsigned char)rnd();
    CHECK_OK(tgs_image_resize(&src, 32, 24, &dst));
    int bad = 0;
    for (int y = 0; dst.data && y < 24; y++)
        for (int x = 0; x < 32; x++)
            for (int c = 0; c < 4; c++) {
                int s = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        s += src.data[((size_t)(2 * y + dy) * 64 + (size_t)(2 * x + dx)) * 4 + (size_t)c];
                bad += dst.data[((size_t)y * 32 + (size_t)x) * 4 + (size_t)c] != (s + 2) / 4;
            }
    CHECK(bad == 0, "2x shrink: %d values differ from the 2x2 mean", bad);
    tgs_image_free(&dst);

    /* Non-integer factors conserve the mean. */
    double m0 = image_mean(&src);
    int nsz[][2] = {{27, 19}, {41, 33}, {10, 7}, {63, 47}};
    for (size_t k = 0; k < sizeof nsz / sizeof nsz[0]; k++) {
        CHECK_OK(tgs_image_resize(&src, nsz[k][0], nsz[k][1], &dst));
        if (dst.data) {
            double m1 = image_mean(&dst);
            CHECK(fabs(m1 - m0) <= 0.5, "mean %.4f -> %.4f at %dx%d", m0, m1, nsz[k][0], nsz[k][1]);
        }
        tgs_image_free(&dst);
    }
    /* Enlarging 2x bilinear: interior samples at 1/4 and 3/4 between neighbours. */
    CHECK_OK(tgs_image_resize(&src, 128, 96, &dst));
    if (dst.data) {
        int x = 11, y = 7, c = 1; /* dst (2x+1, 2y) sits 1/4 of the way from src x to x+1, at row y-1/4 */
        double a = src.data[((size_t)y * 64 + x) * 4 + c], b = src.data[((size_t)y * 64 + x + 1) * 4 + c];
        double a0 = src.data[((size_t)(y - 1) * 64 + x) * 4 + c], b0 = src.data[((size_t)(y - 1) * 64 + x + 1) * 4 + c];
        double want = 0.75 * (0.75 * a + 0.25 * b) + 0.25 * (0.75 * a0 + 0.25 * b0);
        int got = dst.data[((size_t)(2 * y) * 128 + (size_t)(2 * x + 1)) * 4 + c];
        CHECK(fabs(got - want) <= 0.5 + 1e-9, "bilinear %d vs %.3f", got, want);
    }
    tgs_image_free(&dst);
    /* Same size is a copy; in place works. */
    CHECK_OK(tgs_image_resize(&src, 64, 48, &dst));
    if (dst.data)
        CHECK(memcmp(dst.data, src.data, (size_t)64 * 48 * 4) == 0, "identity resize");
    tgs_image_free(&dst);
    CHECK_OK(tgs_image_resize(&src, 16, 12, &src));
    CHECK(src.width == 16 && src.height == 12, "in-place resize");
    CHECK(tgs_image_resize(&src, 0, 5, &dst) == TGS_ERR_ARG, "zero width refused");
    tgs_image_free(&src);

    /* Timing figure: fox full size (1061x1893) to 1600 px would be an enlargement;
     * shrink a 1893x1061 synthetic image by 1/1.5 instead. */
    src.width = 1893;
    src.height = 1061;
    src.channels = 3;
    src.data = malloc((size_t)1893 * 1061 * 3);
    for (size_t i = 0; i < (size_t)1893 * 1061 * 3; i++)
        src.data[i] = (unsigned char)(i * 7);
    double t0 = tgs_now();
    CHECK_OK(tgs_image_resize(&src, 1262, 707, &dst));
    printf("resize 1893x1061 -> 1262x707: %.1f ms (%d threads)\n", 1e3 * (tgs_now() - t0), tgs_get_threads());
    tgs_image_free(&dst);
    tgs_image_free(&src);
}

static void expect_fail(const char *path, const char *what) {
    tgs_image img = {0};
    int w, h, c;
    tgs_status st = tgs_image_load(path, &img);
    CHECK(st != TGS_OK && img.data == NULL, "%s: load should fail", what);
    CHECK(st == TGS_OK || strstr(tgs_error_message(), path) != NULL, "%s: message lacks the path: %s", what,
          tgs_error_message());
    tgs_image_free(&img);
    st = tgs_image_probe(path, &w, &h, &c);
    (void)st; /* probe reads only the header: a truncated body may pass */
}

static void test_corrupt(const char *dir) {
    char path[512], src[512];
    /* Every truncation of a small PNG. */
    tgs_image img = {0};
    img.width = 9;
    img.height = 7;
    img.channels = 3;
    img.data = malloc(9 * 7 * 3);
    for (int i = 0; i < 9 * 7 * 3; i++)
        img.data[i] = (unsigned char)rnd();
    snprintf(src, sizeof src, "%s/small.png", dir);
    CHECK_OK(tgs_image_save_png(src, &img));
    tgs_image_free(&img);
    unsigned char *bytes = NULL;
    long n = check_read_all(src, &bytes);
    CHECK(n > 100, "small PNG has %ld bytes", n);
    snprintf(path, sizeof path, "%s/trunc.png", dir);
    int passed = 0;
    for (long k = 0; k < n; k++) {
        check_write_bytes(path, bytes, (size_t)k);
        tgs_status st = tgs_image_load(path, &img);
        if (st == TGS_OK) {
            passed++;
            tgs_image_free(&img);
        } else if (!strstr(tgs_error_message(), path)) {
            CHECK(0, "message lacks path: %s", tgs_error_message());
        }
    }
    CHECK(passed == 0, "%d truncations of a %ld-byte PNG were accepted", passed, n);
    /* A flipped byte in the image data (CRC mismatch). */
    bytes[n - 20] ^= 0x55;
    check_write_bytes(path, bytes, (size_t)n);
    expect_fail(path, "PNG with a bad CRC");
    free(bytes);

    /* A sample of truncations of a JPEG. */
    char jpg[512];
    snprintf(jpg, sizeof jpg, "%s/fox/images_4/0001.jpg", TGS_DATA_DIR);
    if (!check_file_exists(jpg)) { /* no shared data: a generated RGB JPEG */
        unsigned char *rgb = malloc(96 * 64 * 3);
        for (int i = 0; i < 96 * 64 * 3; i++)
            rgb[i] = (unsigned char)(i * 13 + (rnd() & 31));
        snprintf(jpg, sizeof jpg, "%s/gen.jpg", dir);
        write_jpeg_raw(jpg, 96, 64, 3, JCS_RGB, rgb);
        free(rgb);
    }
    n = check_read_all(jpg, &bytes);
    CHECK(n > 1000, "fox JPEG has %ld bytes", n);
    snprintf(path, sizeof path, "%s/trunc.jpg", dir);
    passed = 0;
    int tried = 0;
    for (long k = 0; k < n; k += (k < 700 ? 7 : n / 40 + 1), tried++) {
        check_write_bytes(path, bytes, (size_t)k);
        if (tgs_image_load(path, &img) == TGS_OK) {
            passed++;
            tgs_image_free(&img);
        }
    }
    for (long k = n - 3; k < n; k++, tried++) { /* only the EOI marker missing */
        check_write_bytes(path, bytes, (size_t)k);
        if (tgs_image_load(path, &img) == TGS_OK) {
            passed++;
            tgs_image_free(&img);
        }
    }
    CHECK(passed == 0, "%d of %d JPEG truncations were accepted", passed, tried);
    /* Garbage in the entropy-coded data after the header. */
    for (long k = n / 2; k < n / 2 + 64; k++)
        bytes[k] = (unsigned char)rnd();
    check_write_bytes(path, bytes, (size_t)n);
    tgs_status st = tgs_image_load(path, &img);
    tgs_image_free(&img);
    (void)st; /* may or may not be detected; must not crash */
    free(bytes);

    /* Random bytes, with and without valid magic. */
    unsigned char junk[4096];
    for (int t = 0; t < 20; t++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)rnd();
        size_t len = 1 + rnd() % sizeof junk;
        if (t % 3 == 1 && len > 8)
            memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
        if (t % 3 == 2 && len > 3)
            memcpy(junk, "\xff\xd8\xff", 3);
        snprintf(path, sizeof path, "%s/junk%d.bin", dir, t);
        check_write_bytes(path, junk, len);
        expect_fail(path, "random bytes");
    }
    snprintf(path, sizeof path, "%s/empty.png", dir);
    check_write_bytes(path, "", 0);
    expect_fail(path, "zero-length file");
    CHECK(strstr(tgs_error_message(), "empty") != NULL, "empty: %s", tgs_error_message());
    snprintf(path, sizeof path, "%s/text.png", dir);
    check_write_bytes(path, "this is not an image\n", 21);
    expect_fail(path, "text file named .png");
    CHECK(strstr(tgs_error_message(), "not a JPEG or PNG") != NULL, "text: %s", tgs_error_message());
    snprintf(path, sizeof path, "%s/missing.png", dir);
    st = tgs_image_load(path, &img);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), path), "missing file: %d %s", (int)st,
          tgs_error_message());
    int w, h, c;
    CHECK(tgs_image_probe(path, &w, &h, &c) == TGS_ERR_IO, "probe of missing file");
    /* A directory. */
    CHECK(tgs_image_load(dir, &img) != TGS_OK, "directory refused");
}

static void test_unwritable(const char *dir) {
    char path[512], tmp[600];
    tgs_image img = {0};
    img.width = 4;
    img.height = 4;
    img.channels = 3;
    img.data = calloc(48, 1);
    snprintf(path, sizeof path, "%s/no/such/dir/out.png", dir);
    tgs_status st = tgs_image_save_png(path, &img);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "no/such/dir/out.png.tmp"), "missing dir: %d %s", (int)st,
          tgs_error_message());
    /* A regular file used as a directory (fails even for root). */
    char file[512];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    check_write_bytes(file, "x", 1);
    snprintf(path, sizeof path, "%s/plainfile/out.png", dir);
    CHECK(tgs_image_save_png(path, &img) == TGS_ERR_IO, "file as dir");
    float f[12] = {0};
    CHECK(tgs_image_save_png_f32(path, f, 2, 2) == TGS_ERR_IO, "file as dir (f32)");
    tgs_image_free(&img);

    /* Disk full, simulated with RLIMIT_FSIZE: error, no .tmp, old file intact. */
    snprintf(path, sizeof path, "%s/full.png", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    check_write_bytes(path, "old", 3);
    img.width = 256;
    img.height = 256;
    img.channels = 3;
    img.data = malloc((size_t)256 * 256 * 3);
    for (size_t i = 0; i < (size_t)256 * 256 * 3; i++)
        img.data[i] = (unsigned char)rnd();
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 20000;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        st = tgs_image_save_png(path, &img);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), tmp), "disk full: %d %s", (int)st, tgs_error_message());
        printf("disk full (RLIMIT_FSIZE) reported as: %s\n", tgs_error_message());
        CHECK(!check_file_exists(tmp), "disk full left %s", tmp);
        unsigned char *b = NULL;
        long n = check_read_all(path, &b);
        CHECK(n == 3 && memcmp(b, "old", 3) == 0, "old file damaged");
        free(b);
    }
    tgs_image_free(&img);
}

static void bench_save(const char *dir) {
    /* Timing figure: one 1600x900 render saved as PNG. */
    int w = 1600, h = 900;
    float *px = malloc((size_t)w * h * 3 * sizeof(float));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                px[((size_t)y * w + x) * 3 + c] = 0.5f + 0.4f * sinf(0.01f * x * (c + 1) + 0.013f * y) +
                                                   0.02f * ((float)(rnd() & 255) / 255.0f);
    char path[512];
    snprintf(path, sizeof path, "%s/bench.png", dir);
    double t0 = tgs_now();
    CHECK_OK(tgs_image_save_png_f32(path, px, w, h));
    double t1 = tgs_now();
    tgs_image img = {0};
    CHECK_OK(tgs_image_load(path, &img));
    double t2 = tgs_now();
    struct stat st;
    stat(path, &st);
    printf("save_png_f32 1600x900: %.1f ms (%ld bytes); load %.1f ms\n", 1e3 * (t1 - t0), (long)st.st_size,
           1e3 * (t2 - t1));
    tgs_image_free(&img);
    free(px);
}

int main(void) {
    char dir[256];
    check_tmpdir(dir, sizeof dir, "image");
    test_png_roundtrip(dir);
    test_png_f32(dir);
    test_png_types(dir);
    test_resize();
    test_corrupt(dir);
    test_unwritable(dir);
    bench_save(dir);
    check_require_path(TGS_DATA_DIR "/fox/images_4/0001.jpg");
    test_jpeg(dir);
    test_lego_and_composite();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report("test_image");
}
