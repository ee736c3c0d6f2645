/* model_files.c - cameras.json (writer) and cfg_args (writer and reader) of a
 * model folder, in the layout of the reference 3DGS trainer so that its tools
 * (render.py, metrics.py, viewers) read our folders and we read theirs. */
#include "tgs/model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

/* ---- JSON files ---------------------------------------------------------- */

tgs_status tgs_model_write_json(const char *path, const json_t *root, size_t flags) {
    tgs_atomic_file af;
    TGS_TRY(tgs_atomic_open(path, &af));
    errno = 0;
    if (json_dumpf(root, af.f, flags) != 0) {
        int err = errno;
        tgs_status st =
            TGS_FAIL(TGS_ERR_IO, "%s: cannot write (%s)", af.tmp, err ? strerror(err) : "JSON encoding failed");
        tgs_atomic_abort(&af);
        return st;
    }
    return tgs_atomic_commit(&af);
}

/* ---- cameras.json -------------------------------------------------------- */

/* Appends one camera object; NULL on failure (allocation or invalid UTF-8 name). */
static json_t *camera_json(int id, const tgs_camera_record *c) {
    json_t *o = json_object(), *pos = json_array(), *rot = json_array();
    int ok = o && pos && rot;
    ok = ok && json_object_set_new(o, "id", json_integer(id)) == 0;
    ok = ok && json_object_set_new(o, "img_name", json_string(c->image_name)) == 0;
    ok = ok && json_object_set_new(o, "width", json_integer(c->width)) == 0;
    ok = ok && json_object_set_new(o, "height", json_integer(c->height)) == 0;
    for (int k = 0; ok && k < 3; k++)
        ok = json_array_append_new(pos, json_real(c->center[k])) == 0;
    /* camera-to-world rotation = transpose of the world->camera R: row r holds column r of R */
    for (int r = 0; ok && r < 3; r++) {
        json_t *row = json_array();
        ok = row != NULL;
        for (int k = 0; ok && k < 3; k++)
            ok = json_array_append_new(row, json_real(c->R[3 * k + r])) == 0;
        ok = ok && json_array_append(rot, row) == 0;
        json_decref(row);
    }
    ok = ok && json_object_set(o, "position", pos) == 0;
    ok = ok && json_object_set(o, "rotation", rot) == 0;
    ok = ok && json_object_set_new(o, "fy", json_real(c->fy)) == 0;
    ok = ok && json_object_set_new(o, "fx", json_real(c->fx)) == 0;
    json_decref(pos);
    json_decref(rot);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static tgs_status check_camera(const char *path, int i, const tgs_camera_record *c) {
    if (!memchr(c->image_name, '\0', sizeof c->image_name))
        return TGS_FAIL(TGS_ERR_ARG, "%s: camera %d: image name is not terminated (expected < %d bytes)", path, i,
                        TGS_NAME_MAX);
    int finite = isfinite(c->fx) && isfinite(c->fy);
    for (int k = 0; k < 9; k++)
        finite = finite && isfinite(c->R[k]);
    for (int k = 0; k < 3; k++)
        finite = finite && isfinite(c->center[k]);
    if (!finite)
        return TGS_FAIL(TGS_ERR_ARG, "%s: camera %d (%s) has a NaN or infinite value in fx, fy, R or centre "
                        "(expected finite numbers)", path, i, c->image_name);
    if (c->width < 1 || c->height < 1)
        return TGS_FAIL(TGS_ERR_ARG, "%s: camera %d (%s) is %dx%d (expected a positive size)", path, i,
                        c->image_name, c->width, c->height);
    return TGS_OK;
}

/* Note: the reference records width/height of the camera model (the full-size
 * frames of sparse/0, e.g. 1061x1893 for fox -i images_4) with fx/fy for that
 * size; we record the size we trained at (cam->width x cam->height) and the
 * focal in pixels at that size. The field of view, and so any renderer that
 * reads fx/width, agrees either way. */
tgs_status tgs_model_write_cameras_json(const char *path, const tgs_camera_record *cams /*[n]*/, int n) {
    if (!path || n < 0 || (n > 0 && !cams))
        return TGS_FAIL(TGS_ERR_ARG, "tgs_model_write_cameras_json: %d cameras at %p (expected a path and n >= 0 "
                        "cameras)", n, (const void *)cams);
    tgs_status st = TGS_OK;
    json_t *root = json_array();
    if (!root)
        return TGS_FAIL(TGS_ERR_NOMEM, "%s: out of memory building the camera list", path);
    for (int i = 0; i < n; i++) {
        const tgs_camera_record *c = &cams[i];
        st = check_camera(path, i, c);
        if (st != TGS_OK)
            goto cleanup;
        json_t *o = camera_json(i, c);
        if (!o || json_array_append_new(root, o) != 0) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: cannot encode camera %d (image name \"%s\" must be valid UTF-8; "
                          "or out of memory)", path, i, c->image_name);
            goto cleanup;
        }
    }
    /* Python's json.dump layout: ", " and ": " separators, one line, ASCII only.
     * Doubles are written with 17 significant digits (exact round trip). */
    st = tgs_model_write_json(path, root, JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
cleanup:
    json_decref(root);
    return st;
}

/* ---- cfg_args ------------------------------------------------------------ */

void tgs_cfg_args_defaults(tgs_cfg_args *a) {
    memset(a, 0, sizeof *a);
    a->sh_degree = 3;
    snprintf(a->images, sizeof a->images, "images");
    a->resolution = -1;
    snprintf(a->data_device, sizeof a->data_device, "cuda");
}

/* Python repr() of a str given as UTF-8 bytes: single quotes, or double quotes
 * when the text holds ' and no "; backslash, the quote, \t \n \r and other
 * ASCII control characters escaped; bytes >= 0x80 written unchanged (Python
 * reads them back as the same UTF-8 text). */
static void put_py_repr(FILE *f, const char *s) {
    char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
    fputc(q, f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == (unsigned char)q || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc(q, f);
}

static const char *py_bool(int v) { return v ? "True" : "False"; }

tgs_status tgs_model_write_cfg_args(const char *path, const tgs_cfg_args *a) {
    if (!path || !a)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_model_write_cfg_args: missing path or arguments");
    const char *strs[] = {a->source_path, a->model_path, a->images, a->depths, a->data_device};
    const size_t caps[] = {sizeof a->source_path, sizeof a->model_path, sizeof a->images, sizeof a->depths,
                           sizeof a->data_device};
    for (int k = 0; k < 5; k++)
        if (!memchr(strs[k], '\0', caps[k]))
            return TGS_FAIL(TGS_ERR_ARG, "%s: a string field is not NUL-terminated (expected < %zu bytes)", path,
                            caps[k]);
    tgs_atomic_file af;
    TGS_TRY(tgs_atomic_open(path, &af));
    FILE *f = af.f;
    /* The reference's key order (ModelParams of train.py); no newline at the end. */
    fprintf(f, "Namespace(sh_degree=%d, source_path=", a->sh_degree);
    put_py_repr(f, a->source_path);
    fputs(", model_path=", f);
    put_py_repr(f, a->model_path);
    fputs(", images=", f);
    put_py_repr(f, a->images);
    fputs(", depths=", f);
    put_py_repr(f, a->depths);
    fprintf(f, ", resolution=%d, white_background=%s, train_test_exp=%s, data_device=", a->resolution,
            py_bool(a->white_background), py_bool(a->train_test_exp));
    put_py_repr(f, a->data_device);
    fprintf(f, ", eval=%s)", py_bool(a->eval));
    return tgs_atomic_commit(&af); /* reports an earlier failed write (ferror) */
}

/* A cursor over the Namespace(...) text. */
typedef struct {
    const char *s;
    size_t n, pos;
    const char *name;
} py_cursor;

#define PY_MAX_DEPTH 64

static int py_peek(const py_cursor *c) { return c->pos < c->n ? (unsigned char)c->s[c->pos] : -1; }

static void py_skip_ws(py_cursor *c) {
    while (c->pos < c->n && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' ||
                             c->s[c->pos] == '\r'))
        c->pos++;
}

static int is_ident_start(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
static int is_ident_char(int ch) { return is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

/* What is at the cursor, for error messages: the text up to the next
 * separator (at most 24 bytes, non-printable bytes as '?'), in backquotes. */
static const char *py_found(const py_cursor *c, char *buf, size_t size) {
    if (c->pos >= c->n)
        return "the end of the file";
    size_t k = 0, lim = TGS_MIN(size - 3, (size_t)24);
    buf[k++] = '`';
    for (size_t i = c->pos; i < c->n && k < lim; i++) {
        int ch = (unsigned char)c->s[i];
        if (i > c->pos && (ch == ',' || ch == ')' || ch == ' ' || ch == '\n'))
            break;
        buf[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    buf[k++] = '`';
    buf[k] = '\0';
    return buf;
}

static tgs_status py_expected(const py_cursor *c, const char *what) {
    char buf[40];
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: found %s (expected %s)", c->name, c->pos,
                    py_found(c, buf, sizeof buf), what);
}

/* Appends code point cp as UTF-8 to dst (len, cap); 0 when it does not fit. */
static int put_utf8(char *dst, size_t cap, size_t *len, uint32_t cp) {
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 4;
    }
    if (dst) {
        if (*len + k >= cap)
            return 0;
        memcpy(dst + *len, b, k);
    }
    *len += k;
    return 1;
}

static int hex_value(int ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Parses a Python string literal ('...' or "...") into dst (cap bytes with the
 * NUL; dst NULL = skip). key names the field for messages. */
static tgs_status py_string(py_cursor *c, const char *key, char *dst, size_t cap) {
    int q = py_peek(c);
    if (q != '\'' && q != '"') {
        char what[96];
        snprintf(what, sizeof what, "a quoted string for %s", key);
        return py_expected(c, what);
    }
    size_t start = c->pos++;
    size_t len = 0;
    for (;;) {
        if (c->pos >= c->n || c->s[c->pos] == '\n')
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: unterminated string starting at byte %zu (value of %s; expected "
                            "a closing %c on the same line)", c->name, start, key, q);
        int ch = (unsigned char)c->s[c->pos++];
        if (ch == q)
            break;
        uint32_t cp = (uint32_t)ch;
        int raw_byte = 1; /* a byte of the file, copied as is (UTF-8 passes through) */
        if (ch == '\\') {
            if (c->pos >= c->n)
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: unterminated string starting at byte %zu (value of %s)",
                                c->name, start, key);
            size_t esc = c->pos - 1;
            int e = (unsigned char)c->s[c->pos++];
            int ndig = 0;
            raw_byte = 0;
            switch (e) {
            case '\\': cp = '\\'; break;
            case '\'': cp = '\''; break;
            case '"': cp = '"'; break;
            case 'a': cp = 7; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'v': cp = 11; break;
            case 'x': ndig = 2; break;
            case 'u': ndig = 4; break;
            case 'U': ndig = 8; break;
            default:
                if (e >= '0' && e <= '7') { /* octal, up to 3 digits */
                    cp = (uint32_t)(e - '0');
                    for (int k = 0; k < 2 && c->pos < c->n && c->s[c->pos] >= '0' && c->s[c->pos] <= '7'; k++)
                        cp = cp * 8 + (uint32_t)(c->s[c->pos++] - '0');
                } else {
                    /* Python keeps unknown escapes as backslash + character */
                    c->pos--;
                    cp = '\\';
                }
            }
            if (ndig) {
                cp = 0;
                for (int k = 0; k < ndig; k++) {
                    int h = c->pos < c->n ? hex_value((unsigned char)c->s[c->pos]) : -1;
                    if (h < 0)
                        return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: truncated \\%c escape in the value of %s "
                                        "(expected %d hex digits)", c->name, esc, e, key, ndig);
                    cp = cp * 16 + (uint32_t)h;
                    c->pos++;
                }
            }
            /* only values we keep must be C strings of valid UTF-8 */
            if (dst && (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: escape gives character U+%04X in the value of %s "
                                "(expected a non-NUL Unicode scalar value)", c->name, esc, (unsigned)cp, key);
        }
        int fits;
        if (raw_byte) {
            fits = !dst || len + 1 < cap;
            if (dst && fits)
                dst[len] = (char)ch;
            len += 1;
        } else {
            fits = put_utf8(dst, cap, &len, cp);
        }
        if (!fits)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: the value of %s is too long (expected at most %zu bytes)", c->name,
                            key, cap - 1);
    }
    if (dst)
        dst[len] = '\0';
    return TGS_OK;
}

/* An integer literal: -?[0-9]+ (underscores as Python allows), in int range. */
static tgs_status py_int(py_cursor *c, const char *key, int *out) {
    size_t start = c->pos;
    int neg = 0;
    if (py_peek(c) == '-') {
        neg = 1;
        c->pos++;
    }
    long long v = 0;
    int digits = 0;
    while (c->pos < c->n) {
        int ch = py_peek(c);
        if (ch == '_' && digits) {
            c->pos++;
            continue;
        }
        if (ch < '0' || ch > '9')
            break;
        v = v * 10 + (ch - '0');
        digits++;
        c->pos++;
        if (v > (long long)INT_MAX + 1)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: %s is out of range (expected a 32-bit integer)", c->name,
                            start, key);
    }
    if (!digits || is_ident_char(py_peek(c)) || py_peek(c) == '.') {
        c->pos = start;
        char what[96];
        snprintf(what, sizeof what, "an integer for %s", key);
        return py_expected(c, what);
    }
    v = neg ? -v : v;
    if (v > INT_MAX || v < INT_MIN)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: %s is out of range (expected a 32-bit integer)", c->name,
                        start, key);
    *out = (int)v;
    return TGS_OK;
}

static tgs_status py_bool_value(py_cursor *c, const char *key, int *out) {
    size_t start = c->pos;
    while (c->pos < c->n && is_ident_char(py_peek(c)))
        c->pos++;
    size_t len = c->pos - start;
    if (len == 4 && memcmp(c->s + start, "True", 4) == 0)
        *out = 1;
    else if (len == 5 && memcmp(c->s + start, "False", 5) == 0)
        *out = 0;
    else {
        c->pos = start;
        char what[96];
        snprintf(what, sizeof what, "True or False for %s", key);
        return py_expected(c, what);
    }
    return TGS_OK;
}

/* Skips any Python literal or repr: strings, numbers, names (None, inf...),
 * calls like device(type='cuda'), and bracketed groups ([..], (..), {..})
 * with , and : separators. */
static tgs_status py_skip_value(py_cursor *c, const char *key, int depth) {
    if (depth > PY_MAX_DEPTH)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: brackets nested deeper than %d in the value of %s", c->name,
                        c->pos, PY_MAX_DEPTH, key);
    py_skip_ws(c);
    int ch = py_peek(c);
    if (ch == '\'' || ch == '"')
        return py_string(c, key, NULL, 0);
    if (ch == '[' || ch == '(' || ch == '{') {
        int close = ch == '[' ? ']' : ch == '(' ? ')' : '}';
        size_t open_at = c->pos++;
        for (;;) {
            py_skip_ws(c);
            int k = py_peek(c);
            if (k == close) {
                c->pos++;
                return TGS_OK;
            }
            if (k < 0)
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: '%c' at byte %zu is never closed (value of %s; expected '%c')",
                                c->name, ch, open_at, key, close);
            if (k == ',' || k == ':' || k == '=') { /* separators inside a group */
                c->pos++;
                continue;
            }
            if (k == ')' || k == ']' || k == '}')
                return py_expected(c, close == ')' ? "')'" : close == ']' ? "']'" : "'}'");
            TGS_TRY(py_skip_value(c, key, depth + 1));
        }
    }
    /* an atom: number, name, or a call name(...) */
    size_t start = c->pos;
    while (c->pos < c->n) {
        int k = py_peek(c);
        if (is_ident_char(k) || k == '.' || k == '-' || k == '+')
            c->pos++;
        else
            break;
    }
    if (c->pos == start) {
        char what[96];
        snprintf(what, sizeof what, "a Python value for %s", key);
        return py_expected(c, what);
    }
    if (py_peek(c) == '(' || py_peek(c) == '\'' || py_peek(c) == '"') /* call, or b'..' / r'..' prefix */
        return py_skip_value(c, key, depth + 1);
    return TGS_OK;
}

enum {
    K_SH_DEGREE, K_SOURCE_PATH, K_MODEL_PATH, K_IMAGES, K_DEPTHS, K_RESOLUTION,
    K_WHITE_BACKGROUND, K_TRAIN_TEST_EXP, K_DATA_DEVICE, K_EVAL, K_COUNT
};
static const char *const cfg_keys[K_COUNT] = {"sh_degree", "source_path", "model_path", "images", "depths",
                                              "resolution", "white_background", "train_test_exp", "data_device",
                                              "eval"};

static tgs_status parse_known(py_cursor *c, int key, tgs_cfg_args *a) {
    const char *name = cfg_keys[key];
    switch (key) {
    case K_SH_DEGREE:
        TGS_TRY(py_int(c, name, &a->sh_degree));
        if (a->sh_degree < 0 || a->sh_degree > 3)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: sh_degree=%d (expected 0..3)", c->name, a->sh_degree);
        return TGS_OK;
    case K_RESOLUTION:
        TGS_TRY(py_int(c, name, &a->resolution));
        if (a->resolution == 0 || a->resolution < -1)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: resolution=%d (expected -1 or a positive number)", c->name,
                            a->resolution);
        return TGS_OK;
    case K_SOURCE_PATH: return py_string(c, name, a->source_path, sizeof a->source_path);
    case K_MODEL_PATH: return py_string(c, name, a->model_path, sizeof a->model_path);
    case K_IMAGES: return py_string(c, name, a->images, sizeof a->images);
    case K_DEPTHS: return py_string(c, name, a->depths, sizeof a->depths);
    case K_DATA_DEVICE: return py_string(c, name, a->data_device, sizeof a->data_device);
    case K_WHITE_BACKGROUND: return py_bool_value(c, name, &a->white_background);
    case K_TRAIN_TEST_EXP: return py_bool_value(c, name, &a->train_test_exp);
    case K_EVAL: return py_bool_value(c, name, &a->eval);
    }
    return TGS_OK;
}

tgs_status tgs_model_parse_cfg_args(const char *text, size_t len, const char *name, tgs_cfg_args *out) {
    tgs_cfg_args a;
    tgs_cfg_args_defaults(&a);
    py_cursor cur = {text, len, 0, name ? name : "cfg_args"};
    py_cursor *c = &cur;
    py_skip_ws(c);
    static const char head[] = "Namespace(";
    if (c->n - c->pos < sizeof head - 1 || memcmp(c->s + c->pos, head, sizeof head - 1) != 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: does not start with 'Namespace(' (expected the str(Namespace(...)) "
                        "line a 3DGS trainer writes)", c->name);
    c->pos += sizeof head - 1;
    unsigned seen = 0;
    for (;;) {
        py_skip_ws(c);
        if (py_peek(c) == ')')
            break;
        if (c->pos + 1 < c->n && c->s[c->pos] == '*' && c->s[c->pos + 1] == '*') {
            /* **{'non-identifier key': value} */
            c->pos += 2;
            TGS_TRY(py_skip_value(c, "**{...}", 0));
        } else {
            if (!is_ident_start(py_peek(c)))
                return py_expected(c, "a key name or ')'");
            size_t kstart = c->pos;
            while (c->pos < c->n && is_ident_char(py_peek(c)))
                c->pos++;
            size_t klen = c->pos - kstart;
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)TGS_MIN(klen, sizeof key - 1), c->s + kstart);
            py_skip_ws(c);
            if (py_peek(c) != '=') {
                char what[96];
                snprintf(what, sizeof what, "'=' after %s", key);
                return py_expected(c, what);
            }
            c->pos++;
            py_skip_ws(c);
            int k = -1;
            for (int i = 0; i < K_COUNT; i++)
                if (strlen(cfg_keys[i]) == klen && memcmp(cfg_keys[i], c->s + kstart, klen) == 0)
                    k = i;
            if (k >= 0) {
                if (seen & (1u << k))
                    return TGS_FAIL(TGS_ERR_FORMAT, "%s: at byte %zu: %s given twice (expected each key once)",
                                    c->name, kstart, key);
                seen |= 1u << k;
                TGS_TRY(parse_known(c, k, &a));
            } else {
                TGS_TRY(py_skip_value(c, key, 0));
            }
        }
        py_skip_ws(c);
        if (py_peek(c) == ',') {
            c->pos++;
            continue;
        }
        if (py_peek(c) == ')')
            break;
        return py_expected(c, "',' or ')' after a value");
    }
    c->pos++; /* ')' */
    py_skip_ws(c);
    if (c->pos != c->n)
        return py_expected(c, "nothing after the closing ')'");
    *out = a;
    return TGS_OK;
}

#define CFG_ARGS_MAX_BYTES (1u << 20)

tgs_status tgs_model_read_cfg_args(const char *path, tgs_cfg_args *out) {
    tgs_status st = TGS_OK;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: not a regular file (expected the cfg_args text file)", path);
        goto cleanup;
    }
    if (sb.st_size > (off_t)CFG_ARGS_MAX_BYTES) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: %lld bytes (expected a one-line Namespace(...) of at most %u bytes)",
                      path, (long long)sb.st_size, CFG_ARGS_MAX_BYTES);
        goto cleanup;
    }
    size_t size = (size_t)sb.st_size;
    buf = tgs_calloc(size + 1, 1, "cfg_args text");
    if (!buf) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    if (fread(buf, 1, size, f) != size) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: short read (expected %zu bytes)", path, size);
        goto cleanup;
    }
    st = tgs_model_parse_cfg_args(buf, size, path, out);
cleanup:
    fclose(f);
    free(buf);
    return st;
}
