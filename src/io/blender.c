/* blender.c - reader of Blender / NeRF-synthetic camera files (transforms_*.json):
 * camera_angle_x and, per frame, file_path and the 4x4 camera-to-world
 * transform_matrix (OpenGL axes, kept as written). Only parses and checks: the
 * axis flip, image paths and FoV are the scene loader's business. */
#include "tgs/io.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown value";
}

/* Reads frame fi (0-based) into out. */
static tgs_status read_frame(const char *path, size_t fi, const json_t *frame, tgs_blender_frame *out) {
    if (!json_is_object(frame))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] is %s (expected an object with file_path and "
                        "transform_matrix)", path, fi, json_kind(frame));
    const json_t *fp = json_object_get(frame, "file_path");
    if (!fp)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] has no \"file_path\" (expected a string)", path, fi);
    if (!json_is_string(fp))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu].file_path is %s (expected a string)", path, fi,
                        json_kind(fp));
    size_t len = json_string_length(fp);
    const char *s = json_string_value(fp);
    if (len == 0 || len >= sizeof out->file_path || strlen(s) != len)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu].file_path has %zu bytes (expected a path of 1..%zu "
                        "bytes without NUL)", path, fi, len, sizeof out->file_path - 1);
    memcpy(out->file_path, s, len + 1);

    const json_t *mat = json_object_get(frame, "transform_matrix");
    if (!mat)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] (%s) has no \"transform_matrix\" (expected a 4x4 array "
                        "of numbers)", path, fi, out->file_path);
    if (!json_is_array(mat) || json_array_size(mat) != 4)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] (%s): transform_matrix is %s%s%zu%s (expected 4 rows "
                        "of 4 numbers)", path, fi, out->file_path, json_kind(mat),
                        json_is_array(mat) ? " of " : "", json_is_array(mat) ? json_array_size(mat) : 0,
                        json_is_array(mat) ? " rows" : "");
    for (size_t r = 0; r < 4; r++) {
        const json_t *row = json_array_get(mat, r);
        if (!json_is_array(row) || json_array_size(row) != 4)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] (%s): transform_matrix row %zu is %s%s%zu%s "
                            "(expected 4 numbers)", path, fi, out->file_path, r, json_kind(row),
                            json_is_array(row) ? " of " : "", json_is_array(row) ? json_array_size(row) : 0,
                            json_is_array(row) ? " entries" : "");
        for (size_t c = 0; c < 4; c++) {
            const json_t *e = json_array_get(row, c);
            if (!json_is_number(e))
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] (%s): transform_matrix[%zu][%zu] is %s "
                                "(expected a number)", path, fi, out->file_path, r, c, json_kind(e));
            double v = json_number_value(e);
            if (!isfinite(v))
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: frames[%zu] (%s): transform_matrix[%zu][%zu] is %g "
                                "(expected a finite number)", path, fi, out->file_path, r, c, v);
            out->transform[4 * r + c] = v;
        }
    }
    return TGS_OK;
}

tgs_status tgs_blender_read(const char *json_path, tgs_blender_transforms *out) {
    memset(out, 0, sizeof *out);
    tgs_status st = TGS_OK;
    json_t *root = NULL;
    FILE *f = fopen(json_path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open (%s)", json_path, strerror(errno));
    json_error_t jerr;
    root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", json_path, jerr.line, jerr.column,
                        jerr.text);
    if (!json_is_object(root)) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: the top level is %s (expected an object with camera_angle_x and "
                      "frames)", json_path, json_kind(root));
        goto cleanup;
    }
    const json_t *angle = json_object_get(root, "camera_angle_x");
    if (!angle || !json_is_number(angle)) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: \"camera_angle_x\" is %s (expected a number, the horizontal field of "
                      "view in radians)", json_path, angle ? json_kind(angle) : "missing");
        goto cleanup;
    }
    out->camera_angle_x = json_number_value(angle);
    if (!(out->camera_angle_x > 0 && out->camera_angle_x < PI)) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: camera_angle_x is %g (expected a field of view in radians, > 0 and "
                      "< pi)", json_path, out->camera_angle_x);
        goto cleanup;
    }
    const json_t *frames = json_object_get(root, "frames");
    if (!frames || !json_is_array(frames)) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: \"frames\" is %s (expected an array of frames)", json_path,
                      frames ? json_kind(frames) : "missing");
        goto cleanup;
    }
    size_t n = json_array_size(frames);
    out->frames = tgs_calloc(n, sizeof *out->frames, "Blender frames");
    if (!out->frames) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        st = read_frame(json_path, i, json_array_get(frames, i), &out->frames[i]);
        if (st != TGS_OK)
            goto cleanup;
    }
    out->n_frames = n;
cleanup:
    json_decref(root);
    if (st != TGS_OK)
        tgs_blender_free(out);
    return st;
}

void tgs_blender_free(tgs_blender_transforms *t) {
    if (!t)
        return;
    free(t->frames);
    memset(t, 0, sizeof *t);
}
