/* splat_antimatter.c - the .splat layout of antimatter15's web viewer
 * (github.com/antimatter15/splat, its convert.py read for the layout).
 *
 * No header; 32 bytes a Gaussian, little endian:
 *   0  f32 x 3   position
 *   12 f32 x 3   scale, linear (exp of the PLY's log scale)
 *   24 u8 x 4    colour R, G, B = (0.5 + SH_C0 * sh_dc) * 255, A = sigmoid(opacity) * 255
 *   28 u8 x 4    rotation w, x, y, z of the normalised quaternion, c * 128 + 128
 * clamped to 0..255. The converter truncates; tgs rounds (the same layout,
 * half a step closer). SH rest is not stored.
 */
#include <stdlib.h>
#include <string.h>

#include "io/splat_internal.h"

#define SPLAT_RECORD 32

typedef struct {
    uint32_t idx;
    double key;
} importance_entry;

static int importance_cmp(const void *a, const void *b) {
    const importance_entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1; /* larger first */
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Largest volume times opacity first, as antimatter15's converter orders. */
static tgs_status importance_order(const tgs_splats *s, uint32_t *order /*[n]*/) {
    importance_entry *e = tgs_calloc(s->n, sizeof *e, "splat order");
    if (!e)
        return TGS_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++) {
        const float *l = s->scales_raw + i * 3;
        e[i].idx = (uint32_t)i;
        e[i].key = exp((double)l[0] + l[1] + l[2]) * splat_sigmoid(s->opacity_raw[i]);
    }
    qsort(e, s->n, sizeof *e, importance_cmp);
    for (size_t i = 0; i < s->n; i++)
        order[i] = e[i].idx;
    free(e);
    return TGS_OK;
}

static void splat_record(const tgs_splats *s, size_t i, uint8_t *p /*[32]*/) {
    for (size_t a = 0; a < 3; a++) {
        splat_put_f32(p + 4 * a, s->means[i * 3 + a]);
        splat_put_f32(p + 12 + 4 * a, (float)exp((double)s->scales_raw[i * 3 + a]));
        p[24 + a] = (uint8_t)splat_quant((0.5 + SPLAT_SH_C0 * s->sh_dc[i * 3 + a]) * 255.0, 255);
    }
    p[27] = (uint8_t)splat_quant(splat_sigmoid(s->opacity_raw[i]) * 255.0, 255);
    double q[4];
    splat_quat_normalise(s->rots + i * 4, q);
    for (size_t a = 0; a < 4; a++)
        p[28 + a] = (uint8_t)splat_quant(q[a] * 128.0 + 128.0, 255);
}

tgs_status tgs_splats_write_splat(const char *path, const tgs_splats *s, const tgs_splat_options *opt) {
    TGS_TRY(splat_check_table(path, s));
    if (s->n > UINT32_MAX || s->n > SIZE_MAX / SPLAT_RECORD)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians is too many for one .splat file", path, s->n);
    uint8_t *buf = tgs_calloc(s->n, SPLAT_RECORD, ".splat records");
    uint32_t *order = NULL;
    tgs_status st = buf ? TGS_OK : TGS_ERR_NOMEM;
    if (st == TGS_OK && opt && opt->importance_order) {
        if (!(order = tgs_calloc(s->n, sizeof *order, "splat order")))
            st = TGS_ERR_NOMEM;
        else
            st = importance_order(s, order);
    }
    if (st == TGS_OK) {
        for (size_t j = 0; j < s->n; j++)
            splat_record(s, order ? order[j] : j, buf + j * SPLAT_RECORD);
        st = splat_write_atomic(path, buf, s->n * SPLAT_RECORD);
    }
    free(order);
    free(buf);
    return st;
}

/* A positive finite scale's log; the smallest positive float's for 0 or less
 * (the file then held no usable scale), refused when not finite. */
static int scale_log(float v, float *out) {
    if (!isfinite(v))
        return 0;
    *out = (float)log(TGS_MAX((double)v, 1.4e-45));
    return 1;
}

tgs_status tgs_splats_read_splat(const char *path, tgs_splats **out) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    TGS_TRY(splat_read_file(path, &data, &size));
    tgs_status st = TGS_OK;
    if (size == 0 || size % SPLAT_RECORD != 0)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu bytes is not a positive multiple of the 32-byte .splat record%s",
                      path, size, size ? " (truncated?)" : "");
    tgs_splats *s = NULL;
    if (st == TGS_OK)
        st = tgs_splats_create(size / SPLAT_RECORD, 0, &s);
    for (size_t i = 0; st == TGS_OK && i < s->n; i++) {
        const uint8_t *p = data + i * SPLAT_RECORD;
        for (size_t a = 0; a < 3 && st == TGS_OK; a++) {
            s->means[i * 3 + a] = splat_get_f32(p + 4 * a);
            if (!isfinite(s->means[i * 3 + a]) || !scale_log(splat_get_f32(p + 12 + 4 * a), &s->scales_raw[i * 3 + a]))
                st = TGS_FAIL(TGS_ERR_FORMAT, "%s: Gaussian %zu has a non-finite position or scale", path, i);
            s->sh_dc[i * 3 + a] = (float)((p[24 + a] / 255.0 - 0.5) / SPLAT_SH_C0);
        }
        s->opacity_raw[i] = splat_alpha_logit(p[27]);
        float q[4];
        for (size_t a = 0; a < 4; a++)
            q[a] = (float)((p[28 + a] - 128.0) / 128.0);
        double qn[4];
        splat_quat_normalise(q, qn);
        for (size_t a = 0; a < 4; a++)
            s->rots[i * 4 + a] = (float)qn[a];
    }
    free(data);
    if (st != TGS_OK) {
        tgs_splats_free(s);
        return st;
    }
    *out = s;
    return TGS_OK;
}
