/* ply.c - the 3DGS PLY format: atomic binary writer in the reference's exact
 * layout, a checking reader (binary little endian or ascii, float or double
 * properties in any order, other fixed-size elements skipped), and the plain
 * point PLY written as input.ply.
 *
 * Byte order is handled by assembling values from bytes, so the code does not
 * depend on the host's endianness.
 */
#include "tgs/ply.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* Little-endian encoding                                                    */

static void put_f32(unsigned char *p, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t u = 0;
    for (int i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return u;
}

static double get_f32(const unsigned char *p) {
    uint32_t u = (uint32_t)get_le(p, 4);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

static double get_f64(const unsigned char *p) {
    uint64_t u = get_le(p, 8);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Checked writes into the atomic output (tgs_atomic_open / _commit).        */

static tgs_status atomic_write(tgs_atomic_file *af, const void *buf, size_t n) {
    if (n && fwrite(buf, 1, n, af->f) != n)
        return TGS_FAIL(TGS_ERR_IO, "%s: write failed (%s)", af->tmp, strerror(errno));
    return TGS_OK;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

#define PLY_CHUNK 1024 /* records encoded per fwrite */

tgs_status tgs_ply_write(const char *path, const tgs_gaussians *g) {
    if (!g)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no model to write", path);
    const int K = tgs_sh_rest_count(g->sh_degree);
    const int n_rest = 3 * K;
    const int n_floats = 3 + 3 + 3 + n_rest + 1 + 3 + 4; /* per record, normals included */
    const size_t rec = (size_t)n_floats * 4;

    /* Header, exactly as the reference (plyfile) writes it. */
    size_t hcap = 4096;
    char *hdr = tgs_calloc(hcap, 1, "PLY header");
    unsigned char *buf = tgs_calloc(PLY_CHUNK, rec, "PLY write buffer");
    tgs_atomic_file af = {0};
    tgs_status st = TGS_ERR_NOMEM;
    if (!hdr || !buf)
        goto cleanup;
    size_t h = 0;
    h += (size_t)snprintf(hdr + h, hcap - h, "ply\nformat binary_little_endian 1.0\nelement vertex %zu\n", g->n);
    static const char *const head_names[] = {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"};
    for (int i = 0; i < 9; i++)
        h += (size_t)snprintf(hdr + h, hcap - h, "property float %s\n", head_names[i]);
    for (int i = 0; i < n_rest; i++)
        h += (size_t)snprintf(hdr + h, hcap - h, "property float f_rest_%d\n", i);
    static const char *const tail_names[] = {"opacity", "scale_0", "scale_1", "scale_2",
                                             "rot_0",   "rot_1",   "rot_2",   "rot_3"};
    for (int i = 0; i < 8; i++)
        h += (size_t)snprintf(hdr + h, hcap - h, "property float %s\n", tail_names[i]);
    h += (size_t)snprintf(hdr + h, hcap - h, "end_header\n");

    if ((st = tgs_atomic_open(path, &af)) != TGS_OK)
        goto cleanup;
    if ((st = atomic_write(&af, hdr, h)) != TGS_OK)
        goto cleanup;
    tgs_param_view v = tgs_gaussians_view(g, g->params);
    for (size_t i0 = 0; i0 < g->n; i0 += PLY_CHUNK) {
        size_t m = TGS_MIN((size_t)PLY_CHUNK, g->n - i0);
        for (size_t j = 0; j < m; j++) {
            size_t i = i0 + j;
            unsigned char *p = buf + j * rec;
            float vals[3 + 3 + 3 + 45 + 1 + 3 + 4];
            int k = 0;
            for (int a = 0; a < 3; a++)
                vals[k++] = v.means[i * 3 + a];
            for (int a = 0; a < 3; a++)
                vals[k++] = 0.0f; /* normals */
            for (int a = 0; a < 3; a++)
                vals[k++] = v.sh_dc[i * 3 + a];
            /* Model: coefficient-major [K,3]; file: channel-major [3,K]. */
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < K; r++)
                    vals[k++] = v.sh_rest[(i * (size_t)K + (size_t)r) * 3 + (size_t)c];
            vals[k++] = v.opacity_raw[i];
            for (int a = 0; a < 3; a++)
                vals[k++] = v.scale_raw[i * 3 + a];
            for (int a = 0; a < 4; a++)
                vals[k++] = v.rot_raw[i * 4 + a];
            for (int a = 0; a < k; a++)
                put_f32(p + 4 * (size_t)a, vals[a]);
        }
        if ((st = atomic_write(&af, buf, m * rec)) != TGS_OK)
            goto cleanup;
    }
    st = tgs_atomic_commit(&af);
cleanup:
    if (st != TGS_OK)
        tgs_atomic_abort(&af);
    free(hdr);
    free(buf);
    return st;
}

static unsigned char color_u8(float v) {
    if (!(v > 0.0f))
        return 0;
    if (v >= 1.0f)
        return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

tgs_status tgs_ply_write_points(const char *path, const float *xyz /*[n,3]*/, const float *rgb /*[n,3] 0..1*/,
                                size_t n) {
    if (n && (!xyz || !rgb))
        return TGS_FAIL(TGS_ERR_ARG, "%s: no points to write", path);
    enum { REC = 6 * 4 + 3 };
    char hdr[512];
    int h = snprintf(hdr, sizeof hdr,
                     "ply\nformat binary_little_endian 1.0\nelement vertex %zu\n"
                     "property float x\nproperty float y\nproperty float z\n"
                     "property float nx\nproperty float ny\nproperty float nz\n"
                     "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n",
                     n);
    unsigned char *buf = tgs_calloc(PLY_CHUNK, REC, "PLY write buffer");
    if (!buf)
        return TGS_ERR_NOMEM;
    tgs_atomic_file af = {0};
    tgs_status st = tgs_atomic_open(path, &af);
    if (st == TGS_OK)
        st = atomic_write(&af, hdr, (size_t)h);
    for (size_t i0 = 0; st == TGS_OK && i0 < n; i0 += PLY_CHUNK) {
        size_t m = TGS_MIN((size_t)PLY_CHUNK, n - i0);
        for (size_t j = 0; j < m; j++) {
            unsigned char *p = buf + j * REC;
            size_t i = i0 + j;
            for (int a = 0; a < 3; a++)
                put_f32(p + 4 * a, xyz[i * 3 + a]);
            for (int a = 3; a < 6; a++)
                put_f32(p + 4 * a, 0.0f);
            for (int a = 0; a < 3; a++)
                p[24 + a] = color_u8(rgb[i * 3 + a]);
        }
        st = atomic_write(&af, buf, m * REC);
    }
    if (st == TGS_OK)
        st = tgs_atomic_commit(&af);
    if (st != TGS_OK)
        tgs_atomic_abort(&af);
    free(buf);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Header parsing                                                            */

#define PLY_MAX_LINE 1024
#define PLY_MAX_HEADER (1 << 20)
#define PLY_MAX_PROPS 4096

enum { T_F32 = 1, T_F64 = 2, T_OTHER = 3 };

typedef struct {
    char name[64];
    int type;  /* T_F32, T_F64 or T_OTHER (an integer type) */
    int size;  /* bytes in a binary record */
    int offset;
    char type_name[16];
} ply_prop;

typedef struct {
    char name[64];
    uint64_t count;
    int first, n_props; /* into ply_header.props */
    size_t rec_size;
} ply_elem;

typedef struct {
    int ascii;
    int n_elems;
    ply_elem elems[16];
    int n_props;
    ply_prop *props; /* [PLY_MAX_PROPS] */
    long data_offset;
} ply_header;

static const struct {
    const char *name;
    int size, type;
} ply_types[] = {{"char", 1, T_OTHER},    {"int8", 1, T_OTHER},    {"uchar", 1, T_OTHER},  {"uint8", 1, T_OTHER},
                 {"short", 2, T_OTHER},   {"int16", 2, T_OTHER},   {"ushort", 2, T_OTHER}, {"uint16", 2, T_OTHER},
                 {"int", 4, T_OTHER},     {"int32", 4, T_OTHER},   {"uint", 4, T_OTHER},   {"uint32", 4, T_OTHER},
                 {"float", 4, T_F32},     {"float32", 4, T_F32},   {"double", 8, T_F64},   {"float64", 8, T_F64}};

/* Reads one header line (without its \n or \r\n). Returns 1, 0 at EOF, -1 if too long. */
static int read_line(FILE *f, char *line, size_t cap, long *total) {
    size_t n = 0;
    int ch;
    while ((ch = getc(f)) != EOF) {
        (*total)++;
        if (ch == '\n')
            break;
        if (n + 1 >= cap)
            return -1;
        line[n++] = (char)ch;
    }
    if (ch == EOF && n == 0)
        return 0;
    if (n && line[n - 1] == '\r')
        n--;
    line[n] = 0;
    return 1;
}

static int split(char *line, char **tok, int max) {
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t", &save); t && n < max; t = strtok_r(NULL, " \t", &save))
        tok[n++] = t;
    return n;
}

/* The format line's kind and version. */
static tgs_status parse_format(const char *path, const char *kind, const char *version, ply_header *hd) {
    if (strcmp(version, "1.0") != 0)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: PLY version %s (expected 1.0)", path, version);
    if (!strcmp(kind, "binary_little_endian"))
        hd->ascii = 0;
    else if (!strcmp(kind, "ascii"))
        hd->ascii = 1;
    else
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: PLY format %s is not supported (expected "
                        "binary_little_endian or ascii)", path, kind);
    return TGS_OK;
}

/* 'element <name> <count>': a new element of hd. */
static tgs_status parse_element(const char *path, int lineno, char **tok /*[nt]*/, int nt, ply_header *hd) {
    if (nt != 3)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: expected 'element <name> <count>'", path, lineno);
    if (hd->n_elems == (int)(sizeof hd->elems / sizeof hd->elems[0]))
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: PLY header declares more than %d elements", path, hd->n_elems);
    char *end = NULL;
    errno = 0;
    unsigned long long cnt = strtoull(tok[2], &end, 10);
    if (!isdigit((unsigned char)tok[2][0]) || *end || errno)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: element count '%s' is not a valid count "
                        "(expected an integer below 2^64)", path, lineno, tok[2]);
    ply_elem *e = &hd->elems[hd->n_elems++];
    snprintf(e->name, sizeof e->name, "%s", tok[1]);
    e->count = cnt;
    e->first = hd->n_props;
    return TGS_OK;
}

/* 'property <type> <name>': a property of the latest element. */
static tgs_status parse_property(const char *path, int lineno, char **tok /*[nt]*/, int nt, ply_header *hd) {
    if (hd->n_elems == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: property before any element", path, lineno);
    ply_elem *e = &hd->elems[hd->n_elems - 1];
    if (nt >= 2 && !strcmp(tok[1], "list"))
        return TGS_FAIL(TGS_ERR_UNSUPPORTED,
                        "%s: PLY element '%s' has list property '%s' (list properties are not supported; "
                        "expected fixed-size properties)",
                        path, e->name, nt >= 5 ? tok[4] : "?");
    if (nt != 3)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: expected 'property <type> <name>'", path, lineno);
    int ti = -1;
    for (int i = 0; i < (int)(sizeof ply_types / sizeof ply_types[0]); i++)
        if (!strcmp(tok[1], ply_types[i].name))
            ti = i;
    if (ti < 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: unknown property type '%s'", path, lineno, tok[1]);
    if (hd->n_props == PLY_MAX_PROPS)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: PLY header declares more than %d properties", path,
                        PLY_MAX_PROPS);
    ply_prop *p = &hd->props[hd->n_props++];
    snprintf(p->name, sizeof p->name, "%s", tok[2]);
    snprintf(p->type_name, sizeof p->type_name, "%s", tok[1]);
    p->type = ply_types[ti].type;
    p->size = ply_types[ti].size;
    p->offset = (int)e->rec_size;
    e->rec_size += (size_t)p->size;
    e->n_props++;
    return TGS_OK;
}

static tgs_status parse_header(const char *path, FILE *f, ply_header *hd) {
    char line[PLY_MAX_LINE];
    char *tok[8];
    long total = 0;
    int lineno = 0;
    int have_format = 0;

    /* The magic first: a binary or random file fails here with a clear line. */
    char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    if (got < 4 || memcmp(magic, "ply", 3) != 0 || (magic[3] != '\n' && magic[3] != '\r'))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: not a PLY file (expected 'ply' on the first line)", path);
    total = 4;
    lineno = 1;
    if (magic[3] == '\r') {
        int ch = getc(f);
        total++;
        if (ch != '\n')
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: not a PLY file (expected 'ply' on the first line)", path);
    }
    for (;;) {
        int r = read_line(f, line, sizeof line, &total);
        lineno++;
        if (r == 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header ends at line %d without end_header (truncated?)", path,
                            lineno);
        if (r < 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d is longer than %d characters", path, lineno,
                            PLY_MAX_LINE - 1);
        if (total > PLY_MAX_HEADER)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header is larger than %d bytes (expected end_header)", path,
                            PLY_MAX_HEADER);
        for (const char *c = line; *c; c++)
            if (!isprint((unsigned char)*c) && *c != '\t')
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d holds non-text bytes (expected end_header)",
                                path, lineno);
        int nt = split(line, tok, 8);
        if (nt == 0)
            continue;
        if (!strcmp(tok[0], "comment") || !strcmp(tok[0], "obj_info"))
            continue;
        if (!strcmp(tok[0], "end_header")) {
            if (nt != 1)
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: junk after end_header", path, lineno);
            break;
        }
        if (!strcmp(tok[0], "format")) {
            if (nt != 3 || have_format)
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: bad format line", path, lineno);
            TGS_TRY(parse_format(path, tok[1], tok[2], hd));
            have_format = 1;
            continue;
        }
        if (!strcmp(tok[0], "element")) {
            TGS_TRY(parse_element(path, lineno, tok, nt, hd));
            continue;
        }
        if (!strcmp(tok[0], "property")) {
            TGS_TRY(parse_property(path, lineno, tok, nt, hd));
            continue;
        }
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header line %d: unexpected keyword '%.40s'", path, lineno, tok[0]);
    }
    if (!have_format)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY header has no format line", path);
    hd->data_offset = total;
    return TGS_OK;
}

/* ------------------------------------------------------------------------ */
/* Reading the vertex element                                                */

/* Target slots: x y z | f_dc 0..2 | f_rest 0..44 | opacity | scale 0..2 | rot 0..3 */
enum { S_POS = 0, S_DC = 3, S_REST = 6, S_OPA = 51, S_SCALE = 52, S_ROT = 55, S_COUNT = 59 };

static void slot_name(int s, char *buf, size_t n) {
    if (s < S_DC)
        snprintf(buf, n, "%c", "xyz"[s]);
    else if (s < S_REST)
        snprintf(buf, n, "f_dc_%d", s - S_DC);
    else if (s < S_OPA)
        snprintf(buf, n, "f_rest_%d", s - S_REST);
    else if (s == S_OPA)
        snprintf(buf, n, "opacity");
    else if (s < S_ROT)
        snprintf(buf, n, "scale_%d", s - S_SCALE);
    else
        snprintf(buf, n, "rot_%d", s - S_ROT);
}

/* Slot of a property name, -1 for properties that are ignored, -2 for an f_rest
 * index beyond degree 3. */
static int slot_of(const char *name) {
    char buf[32];
    for (int s = 0; s < S_COUNT; s++) {
        slot_name(s, buf, sizeof buf);
        if (!strcmp(buf, name))
            return s;
    }
    if (!strncmp(name, "f_rest_", 7) && name[7]) {
        for (const char *c = name + 7; *c; c++)
            if (!isdigit((unsigned char)*c))
                return -1;
        return -2;
    }
    return -1;
}

typedef struct {
    const char *path;
    FILE *f;
    const ply_header *hd;
    const ply_elem *ve;
    int degree, K;
    tgs_opacity_storage opacity;
    tgs_param_view v;
} ply_reader;

/* Stores one vertex's values (vals indexed by slot) into the model. */
static tgs_status store_vertex(ply_reader *r, size_t i, const double *vals, const int *val_prop) {
    for (int s = 0; s < S_COUNT; s++) {
        if (val_prop[s] < 0)
            continue;
        double d = vals[s];
        float fv = (float)d;
        if (!isfinite(d) || !isfinite(fv))
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: vertex %zu: property %s is %s (expected a finite float)", r->path, i,
                            r->hd->props[r->ve->first + val_prop[s]].name,
                            isnan(d) ? "NaN" : isinf(d) ? "infinite" : "out of float range");
    }
    const int K = r->K;
    for (int a = 0; a < 3; a++) {
        r->v.means[i * 3 + a] = (float)vals[S_POS + a];
        r->v.sh_dc[i * 3 + a] = (float)vals[S_DC + a];
        r->v.scale_raw[i * 3 + a] = (float)vals[S_SCALE + a];
    }
    for (int a = 0; a < 4; a++)
        r->v.rot_raw[i * 4 + a] = (float)vals[S_ROT + a];
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < K; k++)
            r->v.sh_rest[(i * (size_t)K + (size_t)k) * 3 + (size_t)c] = (float)vals[S_REST + c * K + k];
    double o = vals[S_OPA];
    if (r->opacity == TGS_OPACITY_LINEAR) {
        double p = o < 1e-6 ? 1e-6 : o > 1.0 - 1e-6 ? 1.0 - 1e-6 : o;
        o = log(p / (1.0 - p));
    }
    r->v.opacity_raw[i] = (float)o;
    return TGS_OK;
}

static tgs_status read_binary(ply_reader *r, const int *val_prop) {
    const ply_elem *e = r->ve;
    const size_t rec = e->rec_size;
    const size_t chunk = TGS_MAX((size_t)1, ((size_t)1 << 20) / rec);
    unsigned char *buf = tgs_calloc(chunk, rec, "PLY read buffer");
    if (!buf)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    double vals[S_COUNT] = {0};
    for (size_t i0 = 0; i0 < e->count && st == TGS_OK; i0 += chunk) {
        size_t m = TGS_MIN(chunk, (size_t)e->count - i0);
        size_t got = fread(buf, rec, m, r->f);
        if (got != m) {
            st = TGS_FAIL(ferror(r->f) ? TGS_ERR_IO : TGS_ERR_FORMAT, "%s: read failed at vertex %zu of %zu (%s)",
                          r->path, i0 + got, (size_t)e->count, ferror(r->f) ? strerror(errno) : "unexpected end");
            break;
        }
        for (size_t j = 0; j < m && st == TGS_OK; j++) {
            const unsigned char *p = buf + j * rec;
            for (int s = 0; s < S_COUNT; s++) {
                if (val_prop[s] < 0)
                    continue;
                const ply_prop *pp = &r->hd->props[e->first + val_prop[s]];
                vals[s] = pp->type == T_F32 ? get_f32(p + pp->offset) : get_f64(p + pp->offset);
            }
            st = store_vertex(r, i0 + j, vals, val_prop);
        }
    }
    free(buf);
    return st;
}

/* Next whitespace-separated token of an ascii body; 0 at EOF, -1 if too long. */
static int read_token(FILE *f, char *tok, size_t cap) {
    int ch;
    do
        ch = getc(f);
    while (ch != EOF && isspace(ch));
    if (ch == EOF)
        return 0;
    size_t n = 0;
    while (ch != EOF && !isspace(ch)) {
        if (n + 1 >= cap)
            return -1;
        tok[n++] = (char)ch;
        ch = getc(f);
    }
    tok[n] = 0;
    return 1;
}

static tgs_status ascii_value(ply_reader *r, const char *elem, uint64_t i, const char *prop, double *out) {
    char tok[128];
    int t = read_token(r->f, tok, sizeof tok);
    if (t == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: file ends in %s %llu, property %s (truncated, or a wrong count)",
                        r->path, elem, (unsigned long long)i, prop);
    char *end = NULL;
    double d = t > 0 ? strtod(tok, &end) : 0.0;
    if (t < 0 || end == tok || *end)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %s %llu, property %s: '%.40s' is not a number", r->path, elem,
                        (unsigned long long)i, prop, tok);
    *out = d;
    return TGS_OK;
}

static tgs_status read_ascii(ply_reader *r, const int *val_prop, int vertex_index) {
    const ply_header *hd = r->hd;
    double vals[S_COUNT] = {0}, d = 0.0;
    int prop_slot[PLY_MAX_PROPS];
    for (int k = 0; k < r->ve->n_props; k++)
        prop_slot[k] = -1;
    for (int s = 0; s < S_COUNT; s++)
        if (val_prop[s] >= 0)
            prop_slot[val_prop[s]] = s;
    for (int ei = 0; ei < hd->n_elems; ei++) {
        const ply_elem *e = &hd->elems[ei];
        if (e->n_props == 0)
            continue; /* nothing to read, however large the count */
        for (uint64_t i = 0; i < e->count; i++) {
            for (int k = 0; k < e->n_props; k++) {
                TGS_TRY(ascii_value(r, e->name, i, hd->props[e->first + k].name, &d));
                if (ei == vertex_index && prop_slot[k] >= 0)
                    vals[prop_slot[k]] = d;
            }
            if (ei == vertex_index)
                TGS_TRY(store_vertex(r, (size_t)i, vals, val_prop));
        }
    }
    char tok[16];
    if (read_token(r->f, tok, sizeof tok) != 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: values after the last declared element (wrong vertex count?)", r->path);
    return TGS_OK;
}

/* The index of the vertex element in *vi. */
static tgs_status find_vertex(const char *path, const ply_header *hd, int *vi) {
    *vi = -1;
    for (int i = 0; i < hd->n_elems; i++) {
        if (!strcmp(hd->elems[i].name, "vertex")) {
            if (*vi >= 0)
                return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY declares the vertex element twice", path);
            *vi = i;
        }
    }
    if (*vi < 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: PLY has no vertex element (expected a 3DGS point cloud)", path);
    return TGS_OK;
}

/* val_prop[slot] = the vertex property of each slot (-1 = absent); every slot
 * but f_rest must be present, and the f_rest count gives *degree. */
static tgs_status map_properties(const char *path, const ply_header *hd, const ply_elem *ve,
                                 int val_prop[S_COUNT], int *degree) {
    for (int s = 0; s < S_COUNT; s++)
        val_prop[s] = -1;
    for (int k = 0; k < ve->n_props; k++) {
        const ply_prop *p = &hd->props[ve->first + k];
        int s = slot_of(p->name);
        if (s == -2)
            return TGS_FAIL(TGS_ERR_UNSUPPORTED,
                            "%s: property %s is beyond SH degree 3 (expected f_rest_0..f_rest_44)", path, p->name);
        if (s < 0)
            continue;
        if (val_prop[s] >= 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: vertex property %s is declared twice", path, p->name);
        if (p->type == T_OTHER)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: vertex property %s has type %s (expected float or double)", path,
                            p->name, p->type_name);
        val_prop[s] = k;
    }
    char missing[512] = "";
    size_t mlen = 0;
    int n_missing = 0;
    for (int s = 0; s < S_COUNT; s++) {
        if ((s >= S_REST && s < S_OPA) || val_prop[s] >= 0)
            continue;
        char name[32];
        slot_name(s, name, sizeof name);
        mlen += (size_t)snprintf(missing + mlen, sizeof missing - mlen, "%s%s", n_missing ? ", " : "", name);
        n_missing++;
    }
    if (n_missing)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: vertex element lacks propert%s %s (expected a 3DGS PLY)", path,
                        n_missing > 1 ? "ies" : "y", missing);
    int n_rest = 0;
    for (int s = S_REST; s < S_OPA; s++)
        n_rest += val_prop[s] >= 0;
    *degree = n_rest == 0 ? 0 : n_rest == 9 ? 1 : n_rest == 24 ? 2 : n_rest == 45 ? 3 : -1;
    if (*degree < 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %d f_rest properties (expected 0, 9, 24 or 45 for SH degree 0..3)",
                        path, n_rest);
    for (int s = S_REST; s < S_REST + n_rest; s++)
        if (val_prop[s] < 0)
            return TGS_FAIL(TGS_ERR_FORMAT,
                            "%s: vertex element lacks property f_rest_%d (expected f_rest_0..f_rest_%d)", path,
                            s - S_REST, n_rest - 1);
    return TGS_OK;
}

/* Checks the declared elements against the bytes the file holds (before any
 * allocation); *before = bytes of the elements ahead of the vertex element vi. */
static tgs_status check_sizes(const char *path, FILE *f, const ply_header *hd, int vi, uint64_t *before) {
    const ply_elem *ve = &hd->elems[vi];
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot stat (%s)", path, strerror(errno));
    uint64_t avail = (uint64_t)sb.st_size > (uint64_t)hd->data_offset
                         ? (uint64_t)sb.st_size - (uint64_t)hd->data_offset
                         : 0;
    uint64_t need = 0;
    int ok = 1;
    *before = 0;
    for (int i = 0; i < hd->n_elems && ok; i++) {
        const ply_elem *e = &hd->elems[i];
        /* ascii: every value takes at least one character and one separator. */
        uint64_t per = hd->ascii ? 2u * (uint64_t)e->n_props : (uint64_t)e->rec_size;
        if (e->count > (uint64_t)SIZE_MAX || (per && e->count > UINT64_MAX / per)) {
            ok = 0;
            break;
        }
        uint64_t bytes = e->count * per;
        if (need > UINT64_MAX - bytes)
            ok = 0;
        else
            need += bytes;
        if (i < vi)
            *before += bytes;
    }
    if (hd->ascii)
        need = need > 0 ? need - 1 : 0; /* the last value needs no separator */
    if (!ok || need > avail)
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: header declares %llu vertices (%zu bytes each%s) but the file holds only %llu bytes of "
                        "data (truncated file or wrong vertex count)",
                        path, (unsigned long long)ve->count, ve->rec_size,
                        hd->n_elems > 1 ? ", plus other elements" : "", (unsigned long long)avail);
    if (!hd->ascii && need < avail)
        return TGS_FAIL(TGS_ERR_FORMAT,
                        "%s: %llu bytes follow the %llu declared vertices (%zu bytes each; wrong vertex count?)", path,
                        (unsigned long long)(avail - need), (unsigned long long)ve->count, ve->rec_size);
    return TGS_OK;
}

static void model_free(tgs_gaussians *g) {
    if (g)
        free(g->params);
    free(g);
}

/* A host model of `count` Gaussians with parameters only, malloc'd as
 * tgs/params.h asks of host models. */
static tgs_status model_alloc(size_t count, int degree, tgs_gaussians **out) {
    tgs_gaussians *g = tgs_calloc(1, sizeof *g, "model");
    if (!g)
        return TGS_ERR_NOMEM;
    tgs_gaussians_set_layout(g, degree);
    g->capacity = count > 0 ? count : 1;
    g->params = tgs_calloc(g->capacity * (size_t)g->floats_per_gaussian, sizeof(float), "Gaussian parameters");
    if (!g->params) {
        model_free(g);
        return TGS_ERR_NOMEM;
    }
    g->n = count;
    *out = g;
    return TGS_OK;
}

/* Reads the vertex data of a checked header into a new model. */
static tgs_status read_vertices(ply_reader *r, const int *val_prop, int vi, uint64_t before, tgs_gaussians **out) {
    tgs_gaussians *g = NULL;
    TGS_TRY(model_alloc((size_t)r->ve->count, r->degree, &g));
    r->K = tgs_sh_rest_count(r->degree);
    r->v = tgs_gaussians_view(g, g->params);
    tgs_status st;
    if (r->hd->ascii)
        st = read_ascii(r, val_prop, vi);
    else if (fseek(r->f, r->hd->data_offset + (long)before, SEEK_SET) != 0)
        st = TGS_FAIL(TGS_ERR_IO, "%s: cannot seek to the vertex data (%s)", r->path, strerror(errno));
    else
        st = read_binary(r, val_prop);
    if (st != TGS_OK) {
        model_free(g);
        return st;
    }
    *out = g;
    return TGS_OK;
}

tgs_status tgs_ply_read(const char *path, tgs_opacity_storage opacity, tgs_gaussians **out) {
    *out = NULL;
    tgs_status st = TGS_OK;
    ply_header hd = {0};
    ply_reader r = {0};
    int vi = -1, degree = 0, val_prop[S_COUNT];
    uint64_t before = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open PLY (%s)", path, strerror(errno));
    hd.props = tgs_calloc(PLY_MAX_PROPS, sizeof *hd.props, "PLY properties");
    if (!hd.props)
        st = TGS_ERR_NOMEM;
    if (st == TGS_OK)
        st = parse_header(path, f, &hd);
    if (st == TGS_OK)
        st = find_vertex(path, &hd, &vi);
    if (st == TGS_OK)
        st = map_properties(path, &hd, &hd.elems[vi], val_prop, &degree);
    if (st == TGS_OK)
        st = check_sizes(path, f, &hd, vi, &before);
    if (st == TGS_OK) {
        r.path = path;
        r.f = f;
        r.hd = &hd;
        r.ve = &hd.elems[vi];
        r.degree = degree;
        r.opacity = opacity;
        st = read_vertices(&r, val_prop, vi, before, out);
    }
    free(hd.props);
    fclose(f);
    return st;
}
