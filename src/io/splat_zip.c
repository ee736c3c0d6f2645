/* splat_zip.c - the zip container of a bundled SOG file: a writer of stored
 * entries and a reader of stored or deflated ones (PKWARE APPNOTE: local file
 * headers, central directory, end of central directory record; no zip64). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/splat_internal.h"

enum {
    ZIP_LOCAL = 0x04034b50,
    ZIP_CENTRAL = 0x02014b50,
    ZIP_END = 0x06054b50,
    ZIP_LOCAL_LEN = 30,
    ZIP_CENTRAL_LEN = 46,
    ZIP_END_LEN = 22,
    ZIP_DOS_DATE = (0 << 9) | (1 << 5) | 1 /* 1980-01-01, 00:00: the output does not depend on the clock */
};
#define ZIP_MAX_ENTRY ((size_t)1 << 30) /* largest entry read: 1 GiB */

static void put_u16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static uint32_t get_u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

/* The fields local and central headers share, from "version needed" on. */
static void put_common(uint8_t *p, const splat_zip_entry *e, uint32_t crc) {
    put_u16(p, 20);                  /* version needed: 2.0 */
    put_u16(p + 2, 0);               /* flags */
    put_u16(p + 4, 0);               /* method: stored */
    put_u16(p + 6, 0);               /* time */
    put_u16(p + 8, ZIP_DOS_DATE);    /* date */
    splat_put_u32(p + 10, crc);
    splat_put_u32(p + 14, (uint32_t)e->n);
    splat_put_u32(p + 18, (uint32_t)e->n);
    put_u16(p + 22, (uint32_t)strlen(e->name));
}

tgs_status splat_zip_write(const splat_zip_entry *e /*[m]*/, int m, splat_buf *out) {
    uint32_t crc[16];
    const size_t base = out->n;
    size_t offset[16], total = 0;
    if (m > 16)
        return TGS_FAIL(TGS_ERR_ARG, "a zip of %d entries (at most 16)", m);
    for (int i = 0; i < m; i++) {
        size_t name = strlen(e[i].name);
        total += 2 * name + ZIP_LOCAL_LEN + ZIP_CENTRAL_LEN + e[i].n;
        if (e[i].n >= UINT32_MAX || name > 255 || total >= UINT32_MAX)
            return TGS_FAIL(TGS_ERR_ARG, "zip entry %s: %zu bytes, beyond a zip without zip64", e[i].name, e[i].n);
        offset[i] = out->n - base;
        crc[i] = (uint32_t)crc32(crc32(0L, Z_NULL, 0), e[i].data, (uInt)e[i].n);
        uint8_t *h = splat_buf_append(out, NULL, ZIP_LOCAL_LEN);
        if (!h)
            return TGS_ERR_NOMEM;
        splat_put_u32(h, ZIP_LOCAL);
        put_common(h + 4, &e[i], crc[i]);
        if (!splat_buf_append(out, e[i].name, name) || !splat_buf_append(out, e[i].data, e[i].n))
            return TGS_ERR_NOMEM;
    }
    const size_t central = out->n;
    for (int i = 0; i < m; i++) {
        uint8_t *h = splat_buf_append(out, NULL, ZIP_CENTRAL_LEN);
        if (!h)
            return TGS_ERR_NOMEM;
        splat_put_u32(h, ZIP_CENTRAL);
        put_u16(h + 4, 20); /* version made by: 2.0, MS-DOS attributes */
        put_common(h + 6, &e[i], crc[i]);
        splat_put_u32(h + 42, (uint32_t)offset[i]);
        if (!splat_buf_append(out, e[i].name, strlen(e[i].name)))
            return TGS_ERR_NOMEM;
    }
    uint8_t *end = splat_buf_append(out, NULL, ZIP_END_LEN);
    if (!end)
        return TGS_ERR_NOMEM;
    splat_put_u32(end, ZIP_END);
    put_u16(end + 8, (uint32_t)m);
    put_u16(end + 10, (uint32_t)m);
    splat_put_u32(end + 12, (uint32_t)(out->n - ZIP_END_LEN - central));
    splat_put_u32(end + 16, (uint32_t)(central - base));
    return TGS_OK;
}

/* The end of central directory record: the last one whose comment reaches
 * exactly to the end of the file. */
static tgs_status zip_find_end(const char *path, const uint8_t *z, size_t size, size_t *at) {
    if (size >= ZIP_END_LEN)
        for (size_t i = size - ZIP_END_LEN, stop = i > 65535 ? i - 65535 : 0;; i--) {
            if (splat_get_u32(z + i) == ZIP_END && i + ZIP_END_LEN + get_u16(z + i + 20) == size) {
                *at = i;
                return TGS_OK;
            }
            if (i == stop)
                break;
        }
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: not a zip archive (no end of central directory record)", path);
}

static tgs_status zip_inflate(const char *path, const char *name, const uint8_t *src, size_t n_src, uint8_t *dst,
                              size_t n_dst) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK)
        return TGS_FAIL(TGS_ERR_NOMEM, "%s: cannot start inflating %s", path, name);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n_src;
    zs.next_out = dst;
    zs.avail_out = (uInt)n_dst;
    int r = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    inflateEnd(&zs);
    if (r != Z_STREAM_END || got != n_dst)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: entry %s does not inflate to its %zu bytes", path, name, n_dst);
    return TGS_OK;
}

/* Copies (stored) or inflates (deflated) one entry's data, checking its CRC. */
static tgs_status zip_entry_data(const char *path, const char *name, const uint8_t *z, size_t size,
                                 const uint8_t *c, uint8_t **data, size_t *n) {
    const uint32_t method = get_u16(c + 10), crc = splat_get_u32(c + 16);
    const size_t comp = splat_get_u32(c + 20), full = splat_get_u32(c + 24), local = splat_get_u32(c + 42);
    if (local > size || size - local < ZIP_LOCAL_LEN || splat_get_u32(z + local) != ZIP_LOCAL)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: entry %s: no local header at %zu", path, name, local);
    const size_t start = local + ZIP_LOCAL_LEN + get_u16(z + local + 26) + get_u16(z + local + 28);
    if (start > size || size - start < comp)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: entry %s: %zu bytes past the end of the archive", path, name, comp);
    if (method != 0 && method != 8)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: entry %s: compression method %u (expected 0 or 8)", path, name,
                        method);
    if ((method == 0 && full != comp) || full > ZIP_MAX_ENTRY || full / 1032 > comp + 1)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: entry %s: %zu bytes from %zu (method %u)", path, name, full, comp,
                        method);
    uint8_t *buf = tgs_calloc(full + 1, 1, "zip entry");
    if (!buf)
        return TGS_ERR_NOMEM;
    tgs_status st = TGS_OK;
    if (method == 0)
        memcpy(buf, z + start, full);
    else
        st = zip_inflate(path, name, z + start, comp, buf, full);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* a fuzz build: mutations reach the entries past the CRC */
    if (st == TGS_OK && (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)full) != crc)
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: entry %s: CRC mismatch", path, name);
#else
    (void)crc;
#endif
    if (st != TGS_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    *n = full;
    return TGS_OK;
}

tgs_status splat_zip_extract(const char *path, const uint8_t *zip /*[size]*/, size_t size, const char *name,
                             uint8_t **data, size_t *n) {
    *data = NULL;
    *n = 0;
    size_t end = 0;
    TGS_TRY(zip_find_end(path, zip, size, &end));
    const size_t entries = get_u16(zip + end + 10), cd_size = splat_get_u32(zip + end + 12);
    size_t at = splat_get_u32(zip + end + 16);
    if (at > end || end - at < cd_size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: central directory at %zu of %zu bytes runs past its end", path, at,
                        cd_size);
    const size_t name_len = strlen(name);
    for (size_t i = 0; i < entries; i++) {
        if (end - at < ZIP_CENTRAL_LEN || splat_get_u32(zip + at) != ZIP_CENTRAL)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: central directory entry %zu of %zu is malformed", path, i, entries);
        const size_t len = get_u16(zip + at + 28), rec = ZIP_CENTRAL_LEN + len + get_u16(zip + at + 30) +
                                                          get_u16(zip + at + 32);
        if (end - at < rec)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: central directory entry %zu runs past its end", path, i);
        if (len == name_len && memcmp(zip + at + ZIP_CENTRAL_LEN, name, len) == 0)
            return zip_entry_data(path, name, zip, size, zip + at, data, n);
        at += rec;
    }
    return TGS_FAIL(TGS_ERR_FORMAT, "%s: the archive holds no %s", path, name);
}
