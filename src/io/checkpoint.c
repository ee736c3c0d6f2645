/* checkpoint.c - the checkpoint container: a writer that streams named chunks
 * (kept by reference) to path.tmp with a running CRC-32 and renames it into
 * place (tgs_atomic_open / _commit), and a reader that loads the whole file and checks header, size,
 * checksum and table before handing out chunks. Layout in tgs/checkpoint.h.
 */
#include "tgs/checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const unsigned char k_magic[8] = {'T', 'G', 'S', 'C', 'K', 'P', 'T', '\0'};
#define HEADER_BYTES 24
#define ENTRY_BYTES 48
#define NAME_FIELD 32
#define CRC_BYTES 4
#define ALIGN 8
#define MAX_CHUNKS 0xffffffffu

/* ---- little-endian encoding, CRC ---------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* crc32 over any length (zlib takes uInt lengths). */
static uint32_t crc_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    while (n > 0) {
        uInt piece = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, piece);
        p += piece;
        n -= piece;
    }
    return crc;
}

/* 1..31 printable ASCII characters, no space. */
static int name_valid(const char *name) {
    if (!name)
        return 0;
    size_t len = strnlen(name, NAME_FIELD);
    if (len == 0 || len > TGS_CKPT_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
            return 0;
    return 1;
}

/* ---- writer ------------------------------------------------------------------------ */

typedef struct {
    char name[NAME_FIELD];
    const void *data;
    size_t size;
    void *owned; /* copy made by the _u64/_f64/_str helpers, else NULL */
} w_chunk;

struct tgs_ckpt_writer {
    char *path;
    w_chunk *chunks; /* [n] */
    size_t n, cap;
    tgs_status failed; /* first put error, reported again by commit */
    char failed_msg[1024];
};

void tgs_ckpt_abort(tgs_ckpt_writer *w) {
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->chunks[i].owned);
    free(w->chunks);
    free(w->path);
    free(w);
}

tgs_status tgs_ckpt_begin(const char *path, tgs_ckpt_writer **out) {
    if (!out)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_ckpt_begin: no output pointer");
    *out = NULL;
    if (!path || !path[0])
        return TGS_FAIL(TGS_ERR_ARG, "checkpoint path is empty (expected a file name)");
    size_t len = strlen(path);
    tgs_ckpt_writer *w = tgs_calloc(1, sizeof *w, "checkpoint writer");
    if (!w)
        return TGS_ERR_NOMEM;
    w->path = tgs_calloc(len + 1, 1, "checkpoint path");
    if (!w->path) {
        tgs_ckpt_abort(w);
        return TGS_ERR_NOMEM;
    }
    memcpy(w->path, path, len + 1);
    *out = w;
    return TGS_OK;
}

/* Remembers the first failure so that commit reports it. */
static tgs_status writer_fail(tgs_ckpt_writer *w, tgs_status st) {
    if (w->failed == TGS_OK) {
        w->failed = st;
        snprintf(w->failed_msg, sizeof w->failed_msg, "%s", tgs_error_message());
    }
    return st;
}

/* Adds a chunk; takes ownership of `owned` (freed here on failure). */
static tgs_status add_chunk(tgs_ckpt_writer *w, const char *name, const void *data, size_t bytes, void *owned) {
    if (!w) {
        free(owned);
        return TGS_FAIL(TGS_ERR_ARG, "checkpoint chunk '%s': no writer (tgs_ckpt_begin failed?)", name ? name : "");
    }
    tgs_status st = TGS_OK;
    if (!name_valid(name)) {
        st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk name '%.40s' is invalid (expected 1..%d printable ASCII characters "
                      "without spaces)", w->path, name ? name : "(null)", TGS_CKPT_NAME_MAX);
        goto fail;
    }
    if (!data && bytes > 0) {
        st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk '%s' has no data for %zu bytes", w->path, name, bytes);
        goto fail;
    }
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->chunks[i].name, name) == 0) {
            st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk '%s' is put twice (expected unique names)", w->path, name);
            goto fail;
        }
    if (w->n >= MAX_CHUNKS) {
        st = TGS_FAIL(TGS_ERR_ARG, "%s: more than %u chunks", w->path, MAX_CHUNKS);
        goto fail;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        w_chunk *c = tgs_calloc(cap, sizeof *c, "checkpoint chunk table");
        if (!c) {
            st = TGS_ERR_NOMEM;
            goto fail;
        }
        if (w->n)
            memcpy(c, w->chunks, w->n * sizeof *c);
        free(w->chunks);
        w->chunks = c;
        w->cap = cap;
    }
    w_chunk *c = &w->chunks[w->n++];
    memcpy(c->name, name, strlen(name) + 1);
    c->data = data;
    c->size = bytes;
    c->owned = owned;
    return TGS_OK;
fail:
    free(owned);
    return writer_fail(w, st);
}

tgs_status tgs_ckpt_put(tgs_ckpt_writer *w, const char *name, const void *data /*[bytes]*/, size_t bytes) {
    return add_chunk(w, name, data, bytes, NULL);
}

static tgs_status put_copy(tgs_ckpt_writer *w, const char *name, const void *bytes_, size_t n) {
    unsigned char *copy = tgs_calloc(n, 1, "checkpoint value");
    if (!copy)
        return w ? writer_fail(w, TGS_ERR_NOMEM) : TGS_ERR_NOMEM;
    memcpy(copy, bytes_, n);
    return add_chunk(w, name, copy, n, copy);
}

tgs_status tgs_ckpt_put_u64(tgs_ckpt_writer *w, const char *name, uint64_t v) {
    unsigned char b[8];
    put_le(b, v, 8);
    return put_copy(w, name, b, 8);
}

tgs_status tgs_ckpt_put_f64(tgs_ckpt_writer *w, const char *name, double v) {
    if (!isfinite(v)) {
        tgs_status st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk '%s' = %g (expected a finite number)", w ? w->path : "checkpoint",
                                 name ? name : "(null)", v);
        return w ? writer_fail(w, st) : st;
    }
    uint64_t u;
    memcpy(&u, &v, 8);
    unsigned char b[8];
    put_le(b, u, 8);
    return put_copy(w, name, b, 8);
}

tgs_status tgs_ckpt_put_str(tgs_ckpt_writer *w, const char *name, const char *s) {
    if (!s) {
        tgs_status st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk '%s' has no string", w ? w->path : "checkpoint",
                                 name ? name : "(null)");
        return w ? writer_fail(w, st) : st;
    }
    return put_copy(w, name, s, strlen(s) + 1);
}

/* The output stream of commit: checked writes with a running CRC. */
typedef struct {
    FILE *f;
    const char *tmp;
    uint64_t written;
    uint32_t crc;
} out_stream;

static tgs_status out_write(out_stream *o, const void *data, size_t n) {
    if (n == 0)
        return TGS_OK;
    errno = 0;
    if (fwrite(data, 1, n, o->f) != n)
        return TGS_FAIL(TGS_ERR_IO, "%s: writing %zu bytes at offset %llu failed (%s)", o->tmp, n,
                        (unsigned long long)o->written, errno ? strerror(errno) : "short write");
    o->crc = crc_update(o->crc, data, n);
    o->written += n;
    return TGS_OK;
}

tgs_status tgs_ckpt_commit(tgs_ckpt_writer *w) {
    if (!w)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_ckpt_commit: no writer (tgs_ckpt_begin failed?)");
    tgs_status st = TGS_OK;
    unsigned char *table = NULL;
    tgs_atomic_file af = {0};
    out_stream o = {.f = NULL, .tmp = NULL, .written = 0, .crc = (uint32_t)crc32(0L, Z_NULL, 0)};
    if (w->failed != TGS_OK) {
        st = TGS_FAIL(w->failed, "%s", w->failed_msg);
        goto cleanup;
    }

    /* Layout: header, table, then each chunk at the next multiple of ALIGN. */
    size_t head = HEADER_BYTES + w->n * ENTRY_BYTES; /* n < 2^32: no overflow */
    table = tgs_calloc(head, 1, "checkpoint table");
    if (!table) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    uint64_t pos = head;
    for (size_t i = 0; i < w->n; i++) {
        uint64_t off = (pos + ALIGN - 1) / ALIGN * ALIGN;
        if ((uint64_t)w->chunks[i].size > UINT64_MAX - CRC_BYTES - ALIGN - off) {
            st = TGS_FAIL(TGS_ERR_ARG, "%s: chunk '%s' of %zu bytes makes the file too large", w->path,
                          w->chunks[i].name, w->chunks[i].size);
            goto cleanup;
        }
        unsigned char *e = table + HEADER_BYTES + i * ENTRY_BYTES;
        memcpy(e, w->chunks[i].name, NAME_FIELD); /* zero-padded by calloc in add_chunk */
        put_le(e + NAME_FIELD, off, 8);
        put_le(e + NAME_FIELD + 8, w->chunks[i].size, 8);
        pos = off + w->chunks[i].size;
    }
    uint64_t file_size = pos + CRC_BYTES;
    memcpy(table, k_magic, 8);
    put_le(table + 8, TGS_CKPT_VERSION, 4);
    put_le(table + 12, w->n, 4);
    put_le(table + 16, file_size, 8);

    if ((st = tgs_atomic_open(w->path, &af)) != TGS_OK)
        goto cleanup;
    o.f = af.f;
    o.tmp = af.tmp;
    st = out_write(&o, table, head);
    static const unsigned char zeros[ALIGN] = {0};
    for (size_t i = 0; i < w->n && st == TGS_OK; i++) {
        size_t pad = (size_t)((ALIGN - o.written % ALIGN) % ALIGN);
        st = out_write(&o, zeros, pad);
        if (st == TGS_OK)
            st = out_write(&o, w->chunks[i].data, w->chunks[i].size);
    }
    if (st == TGS_OK) {
        unsigned char crc[CRC_BYTES];
        put_le(crc, o.crc, CRC_BYTES);
        st = out_write(&o, crc, CRC_BYTES);
    }
    if (st == TGS_OK && o.written != file_size)
        st = TGS_FAIL(TGS_ERR_IO, "%s: wrote %llu bytes (expected %llu)", af.tmp, (unsigned long long)o.written,
                      (unsigned long long)file_size);
    if (st == TGS_OK)
        st = tgs_atomic_commit(&af);
cleanup:
    tgs_atomic_abort(&af); /* a no-op after the commit */
    free(table);
    tgs_ckpt_abort(w);
    return st;
}

/* ---- reader ------------------------------------------------------------------------ */

typedef struct {
    char name[NAME_FIELD];
    size_t offset, size;
} r_chunk;

struct tgs_ckpt_reader {
    char *path;
    unsigned char *buf; /* the whole file [size] */
    size_t size;
    size_t n;
    r_chunk *chunks;        /* [n] file order */
    const r_chunk **sorted; /* [n] by name, for lookups */
};

void tgs_ckpt_close(tgs_ckpt_reader *r) {
    if (!r)
        return;
    free(r->path);
    free(r->buf);
    free(r->chunks);
    free(r->sorted);
    free(r);
}

/* Checks the fixed header (p holds at least HEADER_BYTES) against the size of
 * the file; *count = the number of chunks. */
static tgs_status check_header(const char *path, const unsigned char *p, size_t file_size, size_t *count) {
    uint32_t version = (uint32_t)get_le(p + 8, 4);
    if (version == 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: format version 0 is invalid (expected %u): the file is damaged", path,
                        TGS_CKPT_VERSION);
    if (version > TGS_CKPT_VERSION)
        return TGS_FAIL(TGS_ERR_UNSUPPORTED, "%s: checkpoint format version %u is newer than this build of tgs reads "
                        "(version %u): resume it with the tgs that wrote it, or update tgs", path, version,
                        TGS_CKPT_VERSION);
    uint64_t stored = get_le(p + 16, 8);
    if (stored > file_size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: truncated: %zu bytes, the header says %llu (expected the whole file; "
                        "was the write interrupted?)", path, file_size, (unsigned long long)stored);
    if (stored < file_size)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: %zu bytes, but the header says %llu (expected no bytes after the "
                        "checksum)", path, file_size, (unsigned long long)stored);
    uint64_t n = get_le(p + 12, 4);
    if (n > (file_size - HEADER_BYTES - CRC_BYTES) / ENTRY_BYTES)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: a table of %llu chunks (%llu bytes) does not fit in the %zu-byte file",
                        path, (unsigned long long)n, (unsigned long long)(n * ENTRY_BYTES), file_size);
    *count = (size_t)n;
    return TGS_OK;
}

static int cmp_chunk_name(const void *a, const void *b) {
    const r_chunk *x = *(const r_chunk *const *)a, *y = *(const r_chunk *const *)b;
    return strcmp(x->name, y->name);
}

/* Reads entry i of the table and checks it against the data area
 * [data_start, data_end) and the end of the previous chunk. */
static tgs_status read_entry(tgs_ckpt_reader *r, size_t i, size_t *prev_end, size_t data_end) {
    const unsigned char *e = r->buf + HEADER_BYTES + i * ENTRY_BYTES;
    r_chunk *c = &r->chunks[i];
    size_t len = strnlen((const char *)e, NAME_FIELD);
    if (len == NAME_FIELD)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu: name is not NUL-terminated (expected at most %d characters)",
                        r->path, i, TGS_CKPT_NAME_MAX);
    memcpy(c->name, e, len);
    c->name[len] = '\0';
    if (!name_valid(c->name))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu: invalid name (expected 1..%d printable ASCII characters)",
                        r->path, i, TGS_CKPT_NAME_MAX);
    for (size_t k = len; k < NAME_FIELD; k++)
        if (e[k] != 0)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu ('%s'): name field not zero-padded", r->path, i, c->name);
    uint64_t off = get_le(e + NAME_FIELD, 8), size = get_le(e + NAME_FIELD + 8, 8);
    if (off % ALIGN != 0 || off < *prev_end || off > data_end)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu ('%s'): offset %llu is invalid (expected a multiple of %d in "
                        "%zu..%zu, after the previous chunk)", r->path, i, c->name, (unsigned long long)off, ALIGN,
                        *prev_end, data_end);
    if (size > data_end - off)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk %zu ('%s'): %llu bytes at offset %llu run past the data area "
                        "(which ends at %zu)", r->path, i, c->name, (unsigned long long)size,
                        (unsigned long long)off, data_end);
    c->offset = (size_t)off;
    c->size = (size_t)size;
    *prev_end = c->offset + c->size;
    return TGS_OK;
}

tgs_status tgs_ckpt_open(const char *path, tgs_ckpt_reader **out) {
    if (!out)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_ckpt_open: no output pointer");
    *out = NULL;
    if (!path)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_ckpt_open: no path");
    tgs_status st = TGS_OK;
    tgs_ckpt_reader *r = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot open the checkpoint (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: not a regular file (expected a checkpoint)", path);
        goto cleanup;
    }
    if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX / 2) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: file too large (%lld bytes)", path, (long long)sb.st_size);
        goto cleanup;
    }
    size_t size = (size_t)sb.st_size;

    /* The header first: a wrong or damaged file is refused before the whole is read. */
    unsigned char head[HEADER_BYTES];
    size_t got = fread(head, 1, size < HEADER_BYTES ? size : HEADER_BYTES, f);
    if (got != (size < HEADER_BYTES ? size : HEADER_BYTES)) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: read error (%s)", path, ferror(f) ? strerror(errno) : "file shrank");
        goto cleanup;
    }
    if (size == 0) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: empty file (expected a tgs checkpoint)", path);
        goto cleanup;
    }
    if (memcmp(head, k_magic, got < 8 ? got : 8) != 0) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: not a tgs checkpoint (expected the magic \"TGSCKPT\" at the start)", path);
        goto cleanup;
    }
    if (size < HEADER_BYTES + CRC_BYTES) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: truncated: %zu bytes (expected at least %d: header and checksum)", path,
                      size, HEADER_BYTES + CRC_BYTES);
        goto cleanup;
    }
    size_t n = 0;
    if ((st = check_header(path, head, size, &n)) != TGS_OK)
        goto cleanup;

    r = tgs_calloc(1, sizeof *r, "checkpoint reader");
    if (!r) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    size_t plen = strlen(path);
    r->path = tgs_calloc(plen + 1, 1, "checkpoint path");
    r->buf = r->path ? tgs_calloc(size, 1, path) : NULL;
    r->chunks = r->buf ? tgs_calloc(n, sizeof *r->chunks, "checkpoint table") : NULL;
    r->sorted = r->chunks ? tgs_calloc(n, sizeof *r->sorted, "checkpoint table") : NULL;
    if (!r->sorted) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    memcpy(r->path, path, plen + 1);
    r->size = size;
    memcpy(r->buf, head, HEADER_BYTES);
    if (fread(r->buf + HEADER_BYTES, 1, size - HEADER_BYTES, f) != size - HEADER_BYTES) {
        st = TGS_FAIL(TGS_ERR_IO, "%s: read error after the header (%s)", path,
                      ferror(f) ? strerror(errno) : "file shrank while reading");
        goto cleanup;
    }

    /* Checksum before the table: damage is reported as such. */
    uint32_t stored = (uint32_t)get_le(r->buf + size - CRC_BYTES, CRC_BYTES);
    uint32_t computed = crc_update((uint32_t)crc32(0L, Z_NULL, 0), r->buf, size - CRC_BYTES);
    if (stored != computed) {
        st = TGS_FAIL(TGS_ERR_FORMAT, "%s: checksum mismatch (stored %08x, computed %08x over %zu bytes): the "
                      "checkpoint is damaged", path, (unsigned)stored, (unsigned)computed, size - CRC_BYTES);
        goto cleanup;
    }

    r->n = n;
    size_t prev_end = HEADER_BYTES + n * ENTRY_BYTES, data_end = size - CRC_BYTES;
    for (size_t i = 0; i < n; i++) {
        if ((st = read_entry(r, i, &prev_end, data_end)) != TGS_OK)
            goto cleanup;
        r->sorted[i] = &r->chunks[i];
    }
    if (n > 1)
        qsort(r->sorted, n, sizeof *r->sorted, cmp_chunk_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r->sorted[i - 1]->name, r->sorted[i]->name) == 0) {
            st = TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk name '%s' appears twice (expected unique names)", path,
                          r->sorted[i]->name);
            goto cleanup;
        }
    *out = r;
    r = NULL;
cleanup:
    tgs_ckpt_close(r);
    fclose(f);
    return st;
}

static const r_chunk *find_chunk(const tgs_ckpt_reader *r, const char *name) {
    if (!r || !name || r->n == 0)
        return NULL;
    size_t len = strlen(name);
    if (len >= NAME_FIELD)
        return NULL;
    r_chunk key;
    memcpy(key.name, name, len + 1);
    const r_chunk *pkey = &key;
    const r_chunk **hit = bsearch(&pkey, r->sorted, r->n, sizeof *r->sorted, cmp_chunk_name);
    return hit ? *hit : NULL;
}

int tgs_ckpt_has(const tgs_ckpt_reader *r, const char *name) { return find_chunk(r, name) != NULL; }

size_t tgs_ckpt_count(const tgs_ckpt_reader *r) { return r ? r->n : 0; }

const char *tgs_ckpt_name(const tgs_ckpt_reader *r, size_t i, size_t *bytes) {
    if (!r || i >= r->n)
        return NULL;
    if (bytes)
        *bytes = r->chunks[i].size;
    return r->chunks[i].name;
}

tgs_status tgs_ckpt_get(const tgs_ckpt_reader *r, const char *name, const void **data, size_t *bytes) {
    if (!r || !name || !data || !bytes)
        return TGS_FAIL(TGS_ERR_ARG, "tgs_ckpt_get: missing argument (reader, name or outputs)");
    const r_chunk *c = find_chunk(r, name);
    if (!c)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: no chunk '%s' in the checkpoint (it holds %zu chunks; written by "
                        "another version of the trainer?)", r->path, name, r->n);
    *data = r->buf + c->offset;
    *bytes = c->size;
    return TGS_OK;
}

tgs_status tgs_ckpt_get_exact(const tgs_ckpt_reader *r, const char *name, void *dst /*[bytes]*/, size_t bytes) {
    const void *p = NULL;
    size_t n = 0;
    TGS_TRY(tgs_ckpt_get(r, name, &p, &n));
    if (n != bytes)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk '%s' has %zu bytes (expected %zu)", r->path, name, n, bytes);
    if (n > 0)
        memcpy(dst, p, n);
    return TGS_OK;
}

tgs_status tgs_ckpt_get_u64(const tgs_ckpt_reader *r, const char *name, uint64_t *v) {
    unsigned char b[8];
    TGS_TRY(tgs_ckpt_get_exact(r, name, b, 8));
    *v = get_le(b, 8);
    return TGS_OK;
}

tgs_status tgs_ckpt_get_f64(const tgs_ckpt_reader *r, const char *name, double *v) {
    unsigned char b[8];
    TGS_TRY(tgs_ckpt_get_exact(r, name, b, 8));
    uint64_t u = get_le(b, 8);
    double d;
    memcpy(&d, &u, 8);
    if (!isfinite(d))
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk '%s' = %g (expected a finite number)", r->path, name, d);
    *v = d;
    return TGS_OK;
}

tgs_status tgs_ckpt_get_str(const tgs_ckpt_reader *r, const char *name, const char **s) {
    const void *p = NULL;
    size_t n = 0;
    TGS_TRY(tgs_ckpt_get(r, name, &p, &n));
    const char *c = p;
    if (n == 0 || memchr(c, '\0', n) != c + n - 1)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk '%s' (%zu bytes) is not one NUL-terminated string", r->path,
                        name, n);
    *s = c;
    return TGS_OK;
}
