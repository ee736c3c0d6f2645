/* splat_spz.c - Niantic's SPZ format, from its repository's README and
 * reference implementation (github.com/nianticlabs/spz), read for the layout.
 *
 * Packed attributes, per Gaussian, in this stream order:
 *   positions  3 x 24-bit signed little-endian fixed point, F fractional bits
 *   alphas     u8 round(sigmoid(opacity) * 255)
 *   colours    3 x u8 round(sh_dc * 0.15 * 255 + 127.5)
 *   scales     3 x u8 round((log scale + 10) * 16)
 *   rotations  v3+: u32 LE "smallest three" of the normalised (x,y,z,w)
 *              quaternion: bits 30-31 the index of the largest component (made
 *              positive), then the other three in index order from the high bits
 *              down, each a sign bit and a 9-bit magnitude round(|c|/sqrt(1/2)*511);
 *              v2: 3 x u8 of (x,y,z) with w >= 0, round(c*127.5+127.5)
 *   sh         K x 3 u8 (colour inner), round(c*128)+128, rounded to 2^(8-bits)
 *              buckets (bits: 5 for degree 1, 4 above by default)
 * Version 3 (and 2): a 16-byte header (u32 magic 0x5053474e "NGSP", u32 version,
 * u32 count, u8 SH degree, u8 fractional bits, u8 flags, u8 reserved) and the
 * attributes, all in one gzip stream. Version 4: a plain 32-byte header (the
 * same fields, u8 stream count, u32 TOC offset, 12 reserved bytes), optional
 * extension records up to the TOC, the TOC (per stream: u64 compressed, u64
 * uncompressed size) and one zstd frame per non-empty attribute.
 * Flags: 0x1 antialiased, 0x2 extensions present (skipped on read).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "io/splat_internal.h"

#define SPZ_MAGIC 0x5053474eu
#define SPZ_COLOR_SCALE 0.15
#define SPZ_SQRT1_2 0.70710678118654752440
#define SPZ_FLAG_ANTIALIASED 0x1
#define SPZ_FLAG_EXTENSIONS 0x2
#define SPZ_GZIP_MAX_RATIO 1032u   /* deflate cannot expand more than 1032:1 */
#define SPZ_ZSTD_MAX_RATIO 65536u  /* a 4-byte RLE block stands for 128 KiB: 32768:1, doubled */
#define SPZ_ZSTD_LEVEL 12          /* the reference writer's level */

/* Offsets of the packed attributes in one buffer (stream order). */
typedef struct {
    size_t off[6], len[6], total;
    int rot_bytes;
} spz_layout;

enum { SPZ_POS, SPZ_ALPHA, SPZ_COLOR, SPZ_SCALE, SPZ_ROT, SPZ_SH };

/* 0 when n Gaussians do not fit in size_t. */
static int spz_layout_make(size_t n, int sh_degree, int version, spz_layout *l) {
    l->rot_bytes = version >= 3 ? 4 : 3;
    const size_t per[6] = {9, 1, 3, 3, (size_t)l->rot_bytes, 3 * (size_t)tgs_splats_rest_count(sh_degree)};
    size_t bytes_per = 0;
    for (int a = 0; a < 6; a++)
        bytes_per += per[a];
    if (n > SIZE_MAX / 2 / bytes_per)
        return 0;
    l->total = 0;
    for (int a = 0; a < 6; a++) {
        l->off[a] = l->total;
        l->len[a] = n * per[a];
        l->total += l->len[a];
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Packing                                                                   */

typedef struct {
    int version, fractional_bits, sh1_bits, sh_rest_bits, flags;
} spz_params;

static tgs_status spz_params_make(const char *path, const tgs_splats *s, const tgs_spz_options *o, spz_params *p) {
    tgs_spz_options d = {0};
    if (!o)
        o = &d;
    p->version = o->version ? o->version : 3;
    p->sh1_bits = o->sh1_bits ? o->sh1_bits : 5;
    p->sh_rest_bits = o->sh_rest_bits ? o->sh_rest_bits : 4;
    p->flags = o->antialiased ? SPZ_FLAG_ANTIALIASED : 0;
    if (p->version != 3 && p->version != 4)
        return TGS_FAIL(TGS_ERR_ARG, "%s: SPZ version %d (expected 3 or 4)", path, o->version);
    if (p->sh1_bits < 1 || p->sh1_bits > 8 || p->sh_rest_bits < 1 || p->sh_rest_bits > 8)
        return TGS_FAIL(TGS_ERR_ARG, "%s: SPZ SH bits %d and %d (expected 1..8)", path, p->sh1_bits, p->sh_rest_bits);
    if (o->fractional_bits < 0 || o->fractional_bits > 23)
        return TGS_FAIL(TGS_ERR_ARG, "%s: SPZ fractional bits %d (expected 1..23, or 0: automatic)", path,
                        o->fractional_bits);
    double max_abs = 0.0;
    for (size_t i = 0; i < s->n * 3; i++)
        max_abs = TGS_MAX(max_abs, fabs((double)s->means[i]));
    const double lim = 8388607.0; /* 2^23 - 1 */
    int fb = o->fractional_bits ? o->fractional_bits : 12;
    while (!o->fractional_bits && fb > 0 && ldexp(max_abs, fb) + 0.5 > lim)
        fb--;
    if (ldexp(max_abs, fb) + 0.5 > lim)
        return TGS_FAIL(TGS_ERR_ARG, "%s: a mean coordinate of magnitude %g does not fit SPZ's 24-bit fixed point "
                        "with %d fractional bits (at most %g)", path, max_abs, fb, ldexp(lim, -fb));
    p->fractional_bits = fb;
    return TGS_OK;
}

/* Smallest-three encoding of q (w,x,y,z) in the SPZ component order x,y,z,w. */
static uint32_t spz_pack_rotation(const float q[4]) {
    double n[4], c[4];
    splat_quat_normalise(q, n);
    c[0] = n[1], c[1] = n[2], c[2] = n[3], c[3] = n[0];
    int largest = 0;
    for (int i = 1; i < 4; i++)
        if (fabs(c[i]) > fabs(c[largest]))
            largest = i;
    const int negate = c[largest] < 0;
    uint32_t comp = (uint32_t)largest;
    for (int i = 0; i < 4; i++) {
        if (i == largest)
            continue;
        uint32_t neg = (uint32_t)((c[i] < 0) ^ negate);
        uint32_t mag = splat_quant(fabs(c[i]) / SPZ_SQRT1_2 * 511.0, 511);
        comp = comp << 10 | neg << 9 | mag;
    }
    return comp;
}

static uint8_t spz_quant_sh(float x, int bits) {
    const uint32_t bucket = 1u << (8 - bits);
    uint32_t q = splat_quant((double)x * 128.0 + 128.0, 255);
    q = (q + bucket / 2) / bucket * bucket;
    return (uint8_t)TGS_MIN(q, 255u);
}

/* Fills the packed attributes of s into buf[l->total]. */
static void spz_pack(const tgs_splats *s, const spz_params *p, const spz_layout *l, uint8_t *buf) {
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    uint8_t *pos = buf + l->off[SPZ_POS], *alpha = buf + l->off[SPZ_ALPHA], *col = buf + l->off[SPZ_COLOR];
    uint8_t *scale = buf + l->off[SPZ_SCALE], *rot = buf + l->off[SPZ_ROT], *sh = buf + l->off[SPZ_SH];
    for (size_t i = 0; i < s->n; i++) {
        for (size_t a = 0; a < 3; a++) {
            const size_t j = i * 3 + a;
            int32_t fixed = (int32_t)floor(ldexp((double)s->means[j], p->fractional_bits) + 0.5);
            uint32_t u = (uint32_t)fixed;
            pos[j * 3 + 0] = (uint8_t)u, pos[j * 3 + 1] = (uint8_t)(u >> 8), pos[j * 3 + 2] = (uint8_t)(u >> 16);
            col[j] = (uint8_t)splat_quant(s->sh_dc[j] * (SPZ_COLOR_SCALE * 255.0) + 127.5, 255);
            scale[j] = (uint8_t)splat_quant((s->scales_raw[j] + 10.0) * 16.0, 255);
        }
        alpha[i] = (uint8_t)splat_quant(splat_sigmoid(s->opacity_raw[i]) * 255.0, 255);
        splat_put_u32(rot + i * 4, spz_pack_rotation(s->rots + i * 4));
        for (size_t k = 0; k < K; k++)
            for (size_t c = 0; c < 3; c++) {
                const size_t j = (i * K + k) * 3 + c;
                sh[j] = spz_quant_sh(s->sh_rest[j], k < 3 ? p->sh1_bits : p->sh_rest_bits);
            }
    }
}

/* ------------------------------------------------------------------------ */
/* Compression                                                               */

static tgs_status spz_gzip(const char *path, const uint8_t *in /*[n]*/, size_t n, splat_buf *out) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot start gzip compression", path);
    tgs_status st = TGS_OK;
    size_t done = 0;
    int ret = Z_OK;
    while (ret != Z_STREAM_END && st == TGS_OK) {
        if (zs.avail_in == 0 && done < n) {
            uInt chunk = (uInt)TGS_MIN(n - done, (size_t)1 << 30);
            zs.next_in = (Bytef *)(uintptr_t)(in + done);
            zs.avail_in = chunk;
            done += chunk;
        }
        const size_t room = 1 << 20;
        uint8_t *dst = splat_buf_append(out, NULL, room);
        if (!dst) {
            st = TGS_ERR_NOMEM;
            break;
        }
        zs.next_out = dst;
        zs.avail_out = (uInt)room;
        ret = deflate(&zs, done == n ? Z_FINISH : Z_NO_FLUSH);
        out->n -= zs.avail_out;
        if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
            st = TGS_FAIL(TGS_ERR_IO, "%s: gzip compression failed (%d)", path, ret);
    }
    deflateEnd(&zs);
    return st;
}

/* Version 4: header, TOC and one zstd frame per non-empty attribute. */
static tgs_status spz_zstd(const char *path, const tgs_splats *s, const spz_params *p, const spz_layout *l,
                           const uint8_t *packed, splat_buf *out) {
    int streams = 0;
    for (int a = 0; a < 6; a++)
        streams += l->len[a] > 0;
    uint8_t *h = splat_buf_append(out, NULL, 32 + (size_t)streams * 16);
    if (!h)
        return TGS_ERR_NOMEM;
    splat_put_u32(h, SPZ_MAGIC);
    splat_put_u32(h + 4, 4);
    splat_put_u32(h + 8, (uint32_t)s->n);
    h[12] = (uint8_t)s->sh_degree, h[13] = (uint8_t)p->fractional_bits, h[14] = (uint8_t)p->flags;
    h[15] = (uint8_t)streams;
    splat_put_u32(h + 16, 32);
    for (int a = 0, t = 0; a < 6; a++) {
        if (!l->len[a])
            continue;
        const size_t bound = ZSTD_compressBound(l->len[a]);
        const size_t at = out->n;
        if (!splat_buf_append(out, NULL, bound))
            return TGS_ERR_NOMEM;
        size_t got = ZSTD_compress(out->p + at, bound, packed + l->off[a], l->len[a], SPZ_ZSTD_LEVEL);
        if (ZSTD_isError(got))
            return TGS_FAIL(TGS_ERR_IO, "%s: zstd compression failed (%s)", path, ZSTD_getErrorName(got));
        out->n = at + got;
        splat_put_u64(out->p + 32 + (size_t)t * 16, got);
        splat_put_u64(out->p + 32 + (size_t)t * 16 + 8, l->len[a]);
        t++;
    }
    return TGS_OK;
}

tgs_status tgs_splats_write_spz(const char *path, const tgs_splats *s, const tgs_spz_options *opt) {
    TGS_TRY(splat_check_table(path, s));
    if (s->n > INT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians (SPZ holds at most 2^31-1)", path, s->n);
    spz_params p;
    TGS_TRY(spz_params_make(path, s, opt, &p));
    spz_layout l = {0};
    if (!spz_layout_make(s->n, s->sh_degree, p.version, &l))
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians is too many for one SPZ file", path, s->n);
    uint8_t *packed = tgs_calloc(16 + l.total, 1, "SPZ attributes");
    if (!packed)
        return TGS_ERR_NOMEM;
    splat_buf out = {0};
    tgs_status st;
    if (p.version == 3) {
        splat_put_u32(packed, SPZ_MAGIC);
        splat_put_u32(packed + 4, 3);
        splat_put_u32(packed + 8, (uint32_t)s->n);
        packed[12] = (uint8_t)s->sh_degree, packed[13] = (uint8_t)p.fractional_bits, packed[14] = (uint8_t)p.flags;
        spz_pack(s, &p, &l, packed + 16);
        st = spz_gzip(path, packed, 16 + l.total, &out);
    } else {
        spz_pack(s, &p, &l, packed);
        st = spz_zstd(path, s, &p, &l, packed, &out);
    }
    free(packed);
    if (st == TGS_OK)
        st = splat_write_atomic(path, out.p, out.n);
    splat_buf_free(&out);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

typedef struct {
    uint32_t version, n;
    int sh_degree, fractional_bits, flags;
} spz_header;

/* Checks the fields common to both header layouts; allocates nothing. */
static tgs_status spz_header_check(const char *path, const spz_header *h, int gzip) {
    if (gzip && (h->version < 2 || h->version > 3))
        return TGS_FAIL(h->version == 1 ? TGS_ERR_UNSUPPORTED : TGS_ERR_FORMAT,
                        "%s: SPZ version %u in a gzip stream (tgs reads 2 and 3 there)", path, h->version);
    if (!gzip && h->version != 4)
        return TGS_FAIL(h->version > 4 ? TGS_ERR_UNSUPPORTED : TGS_ERR_FORMAT,
                        "%s: SPZ version %u with a plain header (tgs reads 4 there)", path, h->version);
    if (h->n == 0 || h->n > INT32_MAX)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ count %u (expected 1..2^31-1)", path, h->n);
    if (h->sh_degree > TGS_SPLATS_MAX_SH_DEGREE)
        return TGS_FAIL(h->sh_degree == 4 ? TGS_ERR_UNSUPPORTED : TGS_ERR_FORMAT,
                        "%s: SPZ SH degree %d (tgs holds 0..3)", path, h->sh_degree);
    if (h->fractional_bits > 24)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ fractional bits %d (expected 0..24)", path, h->fractional_bits);
    return TGS_OK;
}

static void spz_header_parse(const uint8_t *b, spz_header *h) {
    h->version = splat_get_u32(b + 4);
    h->n = splat_get_u32(b + 8);
    h->sh_degree = b[12];
    h->fractional_bits = b[13];
    h->flags = b[14];
}

/* Inflates up to want bytes into dst; *got is how many came, *end whether the
 * stream ended. */
static tgs_status spz_inflate(const char *path, z_stream *zs, uint8_t *dst, size_t want, size_t *got, int *end) {
    *got = 0;
    *end = 0;
    while (*got < want) {
        uInt room = (uInt)TGS_MIN(want - *got, (size_t)1 << 30);
        zs->next_out = dst + *got;
        zs->avail_out = room;
        int ret = inflate(zs, Z_NO_FLUSH);
        *got += room - zs->avail_out;
        if (ret == Z_STREAM_END) {
            *end = 1;
            return TGS_OK;
        }
        if (ret == Z_BUF_ERROR && zs->avail_in == 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ gzip stream truncated after %zu bytes of data", path,
                            (size_t)zs->total_out);
        if (ret != Z_OK)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ gzip stream is corrupt (%s)", path, zs->msg ? zs->msg : "?");
    }
    return TGS_OK;
}

/* Inflates the header and then exactly the attributes it announces into
 * *packed (layout *l); the rest of the stream (extension records) is skipped. */
static tgs_status spz_read_gzip(const char *path, const uint8_t *data, size_t size, spz_header *h, spz_layout *l,
                                uint8_t **packed) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot start gzip decompression", path);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)TGS_MIN(size, (size_t)UINT32_MAX); /* checked below */
    uint8_t hb[16];
    size_t got;
    int end;
    tgs_status st = size > UINT32_MAX ? TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ gzip file over 4 GiB", path) : TGS_OK;
    if (st == TGS_OK && (st = spz_inflate(path, &zs, hb, 16, &got, &end)) == TGS_OK && got < 16)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream holds %zu bytes (the header alone is 16)", path, got);
    if (st == TGS_OK && splat_get_u32(hb) != SPZ_MAGIC)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: gzip data without the SPZ magic NGSP", path);
    if (st == TGS_OK) {
        spz_header_parse(hb, h);
        st = spz_header_check(path, h, 1);
    }
    if (st == TGS_OK && (!spz_layout_make(h->n, h->sh_degree, (int)h->version, l) ||
                         l->total / SPZ_GZIP_MAX_RATIO > size))
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ count %u needs more data than %zu compressed bytes can hold", path,
                      h->n, size);
    if (st == TGS_OK && !(*packed = tgs_calloc(l->total, 1, "SPZ attributes")))
        st = TGS_ERR_NOMEM;
    if (st == TGS_OK && (st = spz_inflate(path, &zs, *packed, l->total, &got, &end)) == TGS_OK && got < l->total)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream truncated: %zu of %zu attribute bytes for %u Gaussians", path,
                      got, l->total, h->n);
    if (st == TGS_OK && !end && !(h->flags & SPZ_FLAG_EXTENSIONS)) {
        uint8_t extra;
        if ((st = spz_inflate(path, &zs, &extra, 1, &got, &end)) == TGS_OK && got)
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream holds more than %u Gaussians' data", path, h->n);
    }
    inflateEnd(&zs);
    return st;
}

/* Version 4: the TOC is checked against the layout and the file size before
 * anything is allocated. */
static tgs_status spz_read_zstd(const char *path, const uint8_t *data, size_t size, spz_header *h, spz_layout *l,
                                uint8_t **packed) {
    if (size < 32)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ file of %zu bytes (the header alone is 32)", path, size);
    spz_header_parse(data, h);
    TGS_TRY(spz_header_check(path, h, 0));
    const size_t streams = data[15], toc = splat_get_u32(data + 16);
    if (!spz_layout_make(h->n, h->sh_degree, 4, l) || l->total / SPZ_ZSTD_MAX_RATIO > size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ count %u needs more data than %zu bytes can hold", path, h->n, size);
    const size_t want = 5 + (l->len[SPZ_SH] > 0);
    if (streams != want)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ with %zu streams (expected %zu)", path, streams, want);
    if (toc < 32 || toc > size || (size - toc) / 16 < streams)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ TOC at byte %zu does not fit the file's %zu bytes", path, toc, size);
    size_t at = toc + streams * 16;
    for (size_t t = 0; t < streams; t++) {
        uint64_t csize = splat_get_u64(data + toc + t * 16), usize = splat_get_u64(data + toc + t * 16 + 8);
        if (usize != l->len[t])
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream %zu holds %llu bytes (expected %zu for %u Gaussians)",
                            path, t, (unsigned long long)usize, l->len[t], h->n);
        if (csize > size - at)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream %zu truncated (%llu bytes, %zu left)", path, t,
                            (unsigned long long)csize, size - at);
        at += (size_t)csize;
    }
    if (at != size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu bytes after the last SPZ stream", path, size - at);
    if (!(*packed = tgs_calloc(l->total, 1, "SPZ attributes")))
        return TGS_ERR_NOMEM;
    at = toc + streams * 16;
    for (size_t t = 0; t < streams; t++) {
        size_t csize = (size_t)splat_get_u64(data + toc + t * 16);
        size_t got = ZSTD_decompress(*packed + l->off[t], l->len[t], data + at, csize);
        if (ZSTD_isError(got) || got != l->len[t])
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: SPZ stream %zu is corrupt (%s)", path, t,
                            ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
        at += csize;
    }
    return TGS_OK;
}

/* The inverse of the smallest-three encoding, into q (w,x,y,z). */
static void spz_unpack_rotation(uint32_t comp, float q[4]) {
    const int largest = (int)(comp >> 30);
    double c[4], sum = 0.0;
    for (int i = 3; i >= 0; i--) {
        if (i == largest)
            continue;
        double v = SPZ_SQRT1_2 * (double)(comp & 511u) / 511.0;
        c[i] = (comp >> 9 & 1u) ? -v : v;
        sum += c[i] * c[i];
        comp >>= 10;
    }
    c[largest] = sqrt(TGS_MAX(0.0, 1.0 - sum));
    q[0] = (float)c[3], q[1] = (float)c[0], q[2] = (float)c[1], q[3] = (float)c[2];
}

static void spz_unpack(const spz_header *h, const spz_layout *l, const uint8_t *buf, tgs_splats *s) {
    const size_t K = (size_t)tgs_splats_rest_count(s->sh_degree);
    const uint8_t *pos = buf + l->off[SPZ_POS], *alpha = buf + l->off[SPZ_ALPHA], *col = buf + l->off[SPZ_COLOR];
    const uint8_t *scale = buf + l->off[SPZ_SCALE], *rot = buf + l->off[SPZ_ROT], *sh = buf + l->off[SPZ_SH];
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = i * 3; j < i * 3 + 3; j++) {
            uint32_t u = (uint32_t)pos[j * 3] | (uint32_t)pos[j * 3 + 1] << 8 | (uint32_t)pos[j * 3 + 2] << 16;
            int32_t fixed = (int32_t)(u ^ 0x800000u) - 0x800000; /* sign-extend 24 bits */
            s->means[j] = (float)ldexp((double)fixed, -h->fractional_bits);
            s->sh_dc[j] = (float)((col[j] / 255.0 - 0.5) / SPZ_COLOR_SCALE);
            s->scales_raw[j] = (float)(scale[j] / 16.0 - 10.0);
        }
        s->opacity_raw[i] = splat_alpha_logit(alpha[i]);
        if (l->rot_bytes == 4) {
            spz_unpack_rotation(splat_get_u32(rot + i * 4), s->rots + i * 4);
        } else { /* version 2: x, y, z with w >= 0 */
            double v[3], n2 = 0.0;
            for (int a = 0; a < 3; a++)
                v[a] = rot[i * 3 + (size_t)a] / 127.5 - 1.0, n2 += v[a] * v[a];
            s->rots[i * 4] = (float)sqrt(TGS_MAX(0.0, 1.0 - n2));
            for (int a = 0; a < 3; a++)
                s->rots[i * 4 + 1 + (size_t)a] = (float)v[a];
        }
        for (size_t j = i * K * 3; j < (i + 1) * K * 3; j++)
            s->sh_rest[j] = (float)((sh[j] - 128.0) / 128.0);
    }
}

tgs_status tgs_splats_read_spz(const char *path, tgs_splats **out) {
    *out = NULL;
    uint8_t *data = NULL, *packed = NULL;
    size_t size = 0;
    TGS_TRY(splat_read_file(path, &data, &size));
    spz_header h = {0};
    spz_layout l = {0};
    tgs_status st;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        st = spz_read_gzip(path, data, size, &h, &l, &packed);
    else if (size >= 4 && splat_get_u32(data) == SPZ_MAGIC)
        st = spz_read_zstd(path, data, size, &h, &l, &packed);
    else
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: not an SPZ file (neither gzip data nor the magic NGSP)", path);
    free(data);
    if (st == TGS_OK && (st = tgs_splats_create(h.n, h.sh_degree, out)) == TGS_OK)
        spz_unpack(&h, &l, packed, *out);
    free(packed);
    return st;
}
