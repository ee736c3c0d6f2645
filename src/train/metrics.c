/* metrics.c - `tgs metrics`: PSNR and SSIM of the test renders against their
 * ground truth, per view and averaged per method, written to results.json and
 * per_view.json in the layout of the reference's metrics.py (without LPIPS). */
#include "tgs/model.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "tgs/image.h"
#include "tgs/loss.h"

/* ---- folder listing ------------------------------------------------------ */

typedef struct {
    char **names; /* [n], sorted, owned */
    size_t n, cap;
} name_list;

static void name_list_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static tgs_status name_list_add(name_list *l, const char *name) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->names, cap * sizeof *p);
        if (!p)
            return TGS_FAIL(TGS_ERR_NOMEM, "out of memory listing a folder (%zu names)", cap);
        l->names = p;
        l->cap = cap;
    }
    size_t len = strlen(name);
    char *s = tgs_calloc(len + 1, 1, "file name");
    if (!s)
        return TGS_ERR_NOMEM;
    memcpy(s, name, len + 1);
    l->names[l->n++] = s;
    return TGS_OK;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_png_suffix(const char *name) {
    size_t n = strlen(name);
    if (n < 5)
        return 0;
    const char *e = name + n - 4;
    return e[0] == '.' && (e[1] | 0x20) == 'p' && (e[2] | 0x20) == 'n' && (e[3] | 0x20) == 'g';
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static tgs_status join_path(char *buf, size_t size, const char *a, const char *b) {
    if (snprintf(buf, size, "%s/%s", a, b) >= (int)size)
        return TGS_FAIL(TGS_ERR_ARG, "%s/%s: path too long (expected under %zu bytes)", a, b, size);
    return TGS_OK;
}

/* Sorted names in dir: its subfolders (want_dirs) or its regular *.png files. */
static tgs_status list_dir(const char *dir, int want_dirs, name_list *out) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open the folder (%s)", dir, strerror(errno));
    tgs_status st = TGS_OK;
    struct dirent *e;
    char path[TGS_PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!want_dirs && !has_png_suffix(e->d_name))
            continue;
        st = join_path(path, sizeof path, dir, e->d_name);
        if (st != TGS_OK)
            break;
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue; /* dangling link */
        if (want_dirs ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
            continue;
        if (strlen(e->d_name) >= TGS_NAME_MAX) {
            st = TGS_FAIL(TGS_ERR_ARG, "%s: name too long (expected under %d bytes)", path, TGS_NAME_MAX);
            break;
        }
        st = name_list_add(out, e->d_name);
        if (st != TGS_OK)
            break;
    }
    closedir(d);
    if (st != TGS_OK) {
        name_list_free(out);
        return st;
    }
    if (out->n > 1)
        qsort(out->names, out->n, sizeof *out->names, cmp_names);
    return TGS_OK;
}

/* ---- one method ---------------------------------------------------------- */

typedef struct {
    char name[TGS_NAME_MAX];
    char renders[TGS_PATH_MAX], gt[TGS_PATH_MAX];
    char masks[TGS_PATH_MAX]; /* --masked: the masks/ folder ("" otherwise) */
    name_list views;  /* PNG names present in both folders */
    double *psnr;     /* [views.n] */
    double *psnr_ch;  /* [views.n] mean of the channel PSNRs */
    double *ssim;     /* [views.n] */
} method_data;

static void method_free(method_data *m) {
    name_list_free(&m->views);
    free(m->psnr);
    free(m->psnr_ch);
    free(m->ssim);
}

/* Lists the views of test/<name>, checks the two folders hold the same PNG
 * names and each pair has one size; grows *max_w, *max_h. */
static tgs_status method_scan(const char *test_dir, const char *name, int masked, method_data *m, int *max_w,
                              int *max_h) {
    name_list gt = {0};
    tgs_status st = TGS_OK;
    char dir[TGS_PATH_MAX];
    snprintf(m->name, sizeof m->name, "%s", name);
    TGS_TRY(join_path(dir, sizeof dir, test_dir, name));
    TGS_TRY(join_path(m->renders, sizeof m->renders, dir, "renders"));
    TGS_TRY(join_path(m->gt, sizeof m->gt, dir, "gt"));
    if (!is_dir(m->renders) || !is_dir(m->gt))
        return TGS_FAIL(TGS_ERR_IO, "%s: no %s folder (expected renders/ and gt/ as `tgs render` writes them)", dir,
                        is_dir(m->renders) ? "gt/" : "renders/");
    if (masked) {
        TGS_TRY(join_path(m->masks, sizeof m->masks, dir, "masks"));
        if (!is_dir(m->masks))
            return TGS_FAIL(TGS_ERR_IO, "%s: no masks/ folder for --masked (expected `tgs render` with --masks or "
                            "--alpha_mask)", dir);
    }
    st = list_dir(m->renders, 0, &m->views);
    if (st == TGS_OK)
        st = list_dir(m->gt, 0, &gt);
    if (st != TGS_OK)
        goto cleanup;
    if (m->views.n == 0) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: no PNG images (expected the test renders)", m->renders);
        goto cleanup;
    }
    /* both lists are sorted: walk them together to name the first mismatch */
    for (size_t i = 0, j = 0; i < m->views.n || j < gt.n;) {
        int c = i == m->views.n ? 1 : j == gt.n ? -1 : strcmp(m->views.names[i], gt.names[j]);
        if (c < 0) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s/%s: missing (expected the ground truth of %s/%s)", m->gt,
                          m->views.names[i], m->renders, m->views.names[i]);
            goto cleanup;
        }
        if (c > 0) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s/%s: missing (expected the render of %s/%s)", m->renders, gt.names[j],
                          m->gt, gt.names[j]);
            goto cleanup;
        }
        i++;
        j++;
    }
    char rpath[TGS_PATH_MAX], gpath[TGS_PATH_MAX];
    for (size_t i = 0; i < m->views.n; i++) {
        int rw, rh, rc, gw, gh, gc;
        st = join_path(rpath, sizeof rpath, m->renders, m->views.names[i]);
        if (st == TGS_OK)
            st = join_path(gpath, sizeof gpath, m->gt, m->views.names[i]);
        if (st == TGS_OK)
            st = tgs_image_probe(rpath, &rw, &rh, &rc);
        if (st == TGS_OK)
            st = tgs_image_probe(gpath, &gw, &gh, &gc);
        if (st != TGS_OK)
            goto cleanup;
        if (rw != gw || rh != gh) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %dx%d (expected the size of %s, %dx%d)", rpath, rw, rh, gpath, gw, gh);
            goto cleanup;
        }
        *max_w = TGS_MAX(*max_w, rw);
        *max_h = TGS_MAX(*max_h, rh);
    }
    m->psnr = tgs_calloc(m->views.n, sizeof *m->psnr, "per-view PSNR");
    m->psnr_ch = tgs_calloc(m->views.n, sizeof *m->psnr_ch, "per-view channel PSNR");
    m->ssim = tgs_calloc(m->views.n, sizeof *m->ssim, "per-view SSIM");
    if (!m->psnr || !m->psnr_ch || !m->ssim)
        st = TGS_ERR_NOMEM;
cleanup:
    name_list_free(&gt);
    return st;
}

/* 8-bit grey, RGB or RGBA -> float RGB [H,W,3] in [0,1]; alpha is dropped (the
 * reference keeps the first three channels), grey is repeated. */
static void image_to_rgb_f32(const tgs_image *img, float *dst /*[H,W,3]*/) {
    size_t n = (size_t)img->width * (size_t)img->height;
    int ch = img->channels;
    for (size_t p = 0; p < n; p++) {
        const unsigned char *s = img->data + p * (size_t)ch;
        for (int k = 0; k < 3; k++)
            dst[3 * p + (size_t)k] = (float)s[ch >= 3 ? k : 0] * (1.0f / 255.0f);
    }
}

static tgs_status load_rgb(const char *path, int w, int h, float *dst /*[h,w,3]*/) {
    tgs_image img = {0};
    TGS_TRY(tgs_image_load(path, &img));
    tgs_status st = TGS_OK;
    if (img.width != w || img.height != h)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %dx%d (expected %dx%d; did the file change?)", path, img.width,
                      img.height, w, h);
    else if (img.channels != 1 && img.channels != 3 && img.channels != 4)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %d channels (expected 1, 3 or 4)", path, img.channels);
    else
        image_to_rgb_f32(&img, dst);
    tgs_image_free(&img);
    return st;
}

/* The view's mask masks/X.png into mask (nonzero: kept); *has 0 when the view
 * has none (every pixel counts). */
static tgs_status load_view_mask(const method_data *m, const char *view, int w, int h,
                                 unsigned char *mask /*[h,w]*/, int *has) {
    char path[TGS_PATH_MAX];
    struct stat sb;
    *has = 0;
    TGS_TRY(join_path(path, sizeof path, m->masks, view));
    if (stat(path, &sb) != 0)
        return TGS_OK;
    tgs_image img = {0};
    TGS_TRY(tgs_image_load(path, &img));
    tgs_status st = TGS_OK;
    if (img.width != w || img.height != h)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %dx%d (expected %dx%d, the size of its render)", path, img.width,
                      img.height, w, h);
    for (size_t p = 0; st == TGS_OK && p < (size_t)w * h; p++)
        mask[p] = img.data[p * (size_t)img.channels] != 0;
    tgs_image_free(&img);
    *has = st == TGS_OK;
    return st;
}

static tgs_status method_evaluate(method_data *m, tgs_loss *loss, float *render /*[H,W,3]*/, float *gt /*[H,W,3]*/,
                                  unsigned char *mask /*[H,W]*/) {
    char rpath[TGS_PATH_MAX], gpath[TGS_PATH_MAX];
    for (size_t i = 0; i < m->views.n; i++) {
        int w, h, c, has = 0;
        TGS_TRY(join_path(rpath, sizeof rpath, m->renders, m->views.names[i]));
        TGS_TRY(join_path(gpath, sizeof gpath, m->gt, m->views.names[i]));
        TGS_TRY(tgs_image_probe(gpath, &w, &h, &c));
        TGS_TRY(load_rgb(rpath, w, h, render));
        TGS_TRY(load_rgb(gpath, w, h, gt));
        if (m->masks[0])
            TGS_TRY(load_view_mask(m, m->views.names[i], w, h, mask, &has));
        const unsigned char *keep = has ? mask : NULL;
        m->psnr[i] = tgs_psnr(render, gt, keep, w, h);
        m->psnr_ch[i] = tgs_psnr_channel_mean(render, gt, keep, w, h);
        m->ssim[i] = tgs_ssim(loss, render, gt, keep, w, h);
        if (!isfinite(m->psnr[i]) || !isfinite(m->ssim[i]))
            return TGS_FAIL(TGS_ERR_ARG, "%s: PSNR %g, SSIM %g (expected finite values)", rpath, m->psnr[i],
                                    m->ssim[i]);
    }
    return TGS_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

/* The existing top-level object of path (merge mode), or a new empty one. */
static tgs_status load_or_new(const char *path, int merge, json_t **out) {
    struct stat sb;
    *out = NULL;
    if (merge && stat(path, &sb) == 0) {
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d:%d: invalid JSON: %s (expected the file tgs metrics writes; "
                            "remove it to start afresh)", path, jerr.line, jerr.column, jerr.text);
        if (!json_is_object(root)) {
            json_decref(root);
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: the top level is not an object (expected {method: {...}}; remove "
                            "it to start afresh)", path);
        }
        *out = root;
        return TGS_OK;
    }
    *out = json_object();
    return *out ? TGS_OK : TGS_FAIL(TGS_ERR_NOMEM, "%s: out of memory building the JSON", path);
}

/* Sets results[m] = {"SSIM": mean, "PSNR": mean} and per_view[m] = {"SSIM": {..}, "PSNR": {..}}. */
static int add_method_json(json_t *results, json_t *per_view, const method_data *m, double mean_psnr,
                           double mean_ssim) {
    json_t *r = json_object(), *pv = json_object(), *s = json_object(), *p = json_object();
    int ok = r && pv && s && p;
    ok = ok && json_object_set_new(r, "SSIM", json_real(mean_ssim)) == 0;
    ok = ok && json_object_set_new(r, "PSNR", json_real(mean_psnr)) == 0;
    for (size_t i = 0; ok && i < m->views.n; i++) {
        ok = json_object_set_new(s, m->views.names[i], json_real(m->ssim[i])) == 0;
        ok = ok && json_object_set_new(p, m->views.names[i], json_real(m->psnr[i])) == 0;
    }
    ok = ok && json_object_set(pv, "SSIM", s) == 0;
    ok = ok && json_object_set(pv, "PSNR", p) == 0;
    ok = ok && json_object_set(results, m->name, r) == 0;
    ok = ok && json_object_set(per_view, m->name, pv) == 0;
    json_decref(r);
    json_decref(pv);
    json_decref(s);
    json_decref(p);
    return ok;
}

/* The means of method m in its row, and its entries in the two JSON objects. */
static tgs_status method_row(const method_data *m, json_t *results, json_t *per_view, const char *results_path,
                             tgs_metrics_row *row) {
    double sp = 0, ss = 0, sc = 0;
    for (size_t i = 0; i < m->views.n; i++) {
        sp += m->psnr[i];
        sc += m->psnr_ch[i];
        ss += m->ssim[i];
    }
    snprintf(row->method, sizeof row->method, "%s", m->name);
    row->n_views = (int)m->views.n;
    row->psnr = sp / (double)m->views.n;
    row->ssim = ss / (double)m->views.n;
    row->psnr_channel_mean = sc / (double)m->views.n;
    if (!add_method_json(results, per_view, m, row->psnr, row->ssim))
        return TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot encode the metrics of %s (view names must be valid UTF-8; or "
                        "out of memory)", results_path, m->name);
    return TGS_OK;
}

/* ---- entry point ----------------------------------------------------------- */

/* The method folders to score: `method` alone (it must exist), or every
 * folder under split_dir. */
static tgs_status pick_methods(const char *split_dir, const char *method, name_list *methods) {
    if (method) {
        char dir[TGS_PATH_MAX];
        if (!method[0] || strchr(method, '/') || strcmp(method, ".") == 0 || strcmp(method, "..") == 0)
            return TGS_FAIL(TGS_ERR_ARG, "method name \"%s\" (expected a folder name under %s, e.g. ours_30000)",
                            method, split_dir);
        TGS_TRY(join_path(dir, sizeof dir, split_dir, method));
        if (!is_dir(dir))
            return TGS_FAIL(TGS_ERR_IO, "%s: not found (expected the renders of method %s)", dir, method);
        return name_list_add(methods, method);
    }
    TGS_TRY(list_dir(split_dir, 1, methods));
    if (methods->n == 0)
        return TGS_FAIL(TGS_ERR_IO, "%s: no method folders (expected e.g. ours_30000/ from `tgs render`)", split_dir);
    if (methods->n > (size_t)INT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%s: too many method folders", split_dir);
    return TGS_OK;
}

tgs_status tgs_metrics_compute(const char *model_dir, const char *split, const char *method, int masked,
                               tgs_metrics_table *out) {
    if (!model_dir || !out)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_metrics_compute: missing model folder or output");
    memset(out, 0, sizeof *out);
    if (!split)
        split = "test";
    const int train = strcmp(split, "train") == 0;
    if (!train && strcmp(split, "test") != 0)
        return TGS_FAIL(TGS_ERR_ARG, "split \"%s\" (expected test or train)", split);
    tgs_status st = TGS_OK;
    name_list methods = {0};
    method_data *md = NULL;
    tgs_loss *loss = NULL;
    float *render = NULL, *gt = NULL;
    unsigned char *mask = NULL;
    json_t *results = NULL, *per_view = NULL;
    char split_dir[TGS_PATH_MAX], results_path[TGS_PATH_MAX], per_view_path[TGS_PATH_MAX];

    if (!is_dir(model_dir))
        return TGS_FAIL(TGS_ERR_IO, "%s: not a folder (expected a model folder)", model_dir);
    TGS_TRY(join_path(split_dir, sizeof split_dir, model_dir, split));
    char results_name[64], per_view_name[64];
    snprintf(results_name, sizeof results_name, "results%s%s.json", masked ? "_masked" : "", train ? "_train" : "");
    snprintf(per_view_name, sizeof per_view_name, "per_view%s%s.json", masked ? "_masked" : "", train ? "_train" : "");
    TGS_TRY(join_path(results_path, sizeof results_path, model_dir, results_name));
    TGS_TRY(join_path(per_view_path, sizeof per_view_path, model_dir, per_view_name));
    if (!is_dir(split_dir))
        return TGS_FAIL(TGS_ERR_IO, "%s: not found (expected %s/<method>/{renders,gt}/ from `tgs render`)", split_dir,
                        split);
    if ((st = pick_methods(split_dir, method, &methods)) != TGS_OK)
        goto cleanup;

    md = tgs_calloc(methods.n, sizeof *md, "metrics methods");
    if (!md) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    int max_w = 0, max_h = 0;
    for (size_t k = 0; k < methods.n; k++) {
        st = method_scan(split_dir, methods.names[k], masked, &md[k], &max_w, &max_h);
        if (st != TGS_OK)
            goto cleanup;
    }
    st = tgs_loss_create(max_w, max_h, &loss);
    if (st != TGS_OK)
        goto cleanup;
    size_t npix = (size_t)max_w * (size_t)max_h;
    render = tgs_calloc(npix, 3 * sizeof *render, "render image");
    gt = tgs_calloc(npix, 3 * sizeof *gt, "ground-truth image");
    mask = tgs_calloc(npix, 1, "mask");
    if (!render || !gt || !mask) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    st = load_or_new(results_path, method != NULL, &results);
    if (st == TGS_OK)
        st = load_or_new(per_view_path, method != NULL, &per_view);
    if (st != TGS_OK)
        goto cleanup;

    out->rows = tgs_calloc(methods.n, sizeof *out->rows, "metrics rows");
    if (!out->rows) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t k = 0; k < methods.n && st == TGS_OK; k++) {
        st = method_evaluate(&md[k], loss, render, gt, mask);
        if (st == TGS_OK)
            st = method_row(&md[k], results, per_view, results_path, &out->rows[out->n_rows++]);
    }
    /* json.dump(..., indent=True) of the reference: one space per level */
    const size_t flags = JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17);
    if (st == TGS_OK)
        st = tgs_model_write_json(results_path, results, flags);
    if (st == TGS_OK)
        st = tgs_model_write_json(per_view_path, per_view, flags);

cleanup:
    json_decref(results);
    json_decref(per_view);
    free(render);
    free(gt);
    free(mask);
    tgs_loss_destroy(loss);
    for (size_t k = 0; md && k < methods.n; k++)
        method_free(&md[k]);
    free(md);
    name_list_free(&methods);
    if (st != TGS_OK)
        tgs_metrics_table_free(out);
    return st;
}

void tgs_metrics_table_free(tgs_metrics_table *t) {
    if (!t)
        return;
    free(t->rows);
    memset(t, 0, sizeof *t);
}
