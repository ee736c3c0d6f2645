/* checkpoint.h - a versioned, checksummed container of named binary chunks
 * (src/io/checkpoint.c). The training loop decides what goes in; this module
 * only stores and checks the bytes.
 *
 * File layout (all integers little endian):
 *   0   magic      "TGSCKPT\0"                                   8 bytes
 *   8   version    u32 (TGS_CKPT_VERSION)
 *   12  count      u32, number of chunks
 *   16  file_size  u64, total bytes of the file, checksum included
 *   24  table      count entries of 48 bytes:
 *                  name[32] (NUL-padded, 1..31 printable ASCII characters),
 *                  offset u64 (from the start of the file), size u64
 *   ..  data       the chunks in table order, each starting at a multiple of
 *                  8 bytes (zero padding between them)
 *   end-4 crc      u32, zlib crc32 of every byte before it
 * Chunk bytes are stored as given: arrays of float/double are in host byte
 * order (little endian on every supported machine); the _u64/_f64/_str helpers
 * store portable little-endian / NUL-terminated values.
 */
#ifndef TGS_CHECKPOINT_H
#define TGS_CHECKPOINT_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TGS_CKPT_VERSION 1u
#define TGS_CKPT_NAME_MAX 31 /* characters in a chunk name, NUL excluded */

typedef struct tgs_ckpt_writer tgs_ckpt_writer;
typedef struct tgs_ckpt_reader tgs_ckpt_reader;

/* ---- writing ----------------------------------------------------------------
 * begin, any number of put, then commit (or abort). Chunks are kept by
 * reference: the caller keeps every pointer given to tgs_ckpt_put valid and
 * unchanged until commit or abort returns. Names: 1..31 printable ASCII
 * characters (no space), unique within the file. A failing put records its
 * error in the writer: commit then returns that error again without writing,
 * so a sequence of puts may be checked once, at commit. */
tgs_status tgs_ckpt_begin(const char *path, tgs_ckpt_writer **out);
tgs_status tgs_ckpt_put(tgs_ckpt_writer *w, const char *name, const void *data /*[bytes]*/, size_t bytes);
tgs_status tgs_ckpt_put_u64(tgs_ckpt_writer *w, const char *name, uint64_t v);
/* v must be finite (TGS_ERR_ARG otherwise). */
tgs_status tgs_ckpt_put_f64(tgs_ckpt_writer *w, const char *name, double v);
/* Copies s (with its NUL) into the writer. */
tgs_status tgs_ckpt_put_str(tgs_ckpt_writer *w, const char *name, const char *s);
/* Writes path.tmp (checked writes, fflush, fsync, close), renames it to path
 * and fsyncs the folder. On any failure (disk full: TGS_ERR_IO naming the
 * file) path.tmp is removed and a previous file at path is left untouched.
 * Always frees w. */
tgs_status tgs_ckpt_commit(tgs_ckpt_writer *w);
/* Frees w without writing anything (NULL-safe). */
void tgs_ckpt_abort(tgs_ckpt_writer *w);

/* ---- reading ----------------------------------------------------------------
 * open reads the whole file and checks it: magic, version (a newer format is
 * refused), the stored file size (truncation), the table (every chunk inside
 * the data area, in order, 8-byte aligned, not overlapping, names valid and
 * unique) and the checksum. Errors name the file and what is wrong
 * (TGS_ERR_IO: cannot read; TGS_ERR_FORMAT: not a valid checkpoint;
 * TGS_ERR_UNSUPPORTED: written by a newer tgs). */
tgs_status tgs_ckpt_open(const char *path, tgs_ckpt_reader **out);
void tgs_ckpt_close(tgs_ckpt_reader *r); /* NULL-safe */

/* Pointer into the reader's copy of the file (valid until close, 8-byte
 * aligned) and the chunk's size. A missing chunk is TGS_ERR_FORMAT naming it. */
tgs_status tgs_ckpt_get(const tgs_ckpt_reader *r, const char *name, const void **data, size_t *bytes);
/* Copies the chunk to dst; its size must be exactly `bytes` (TGS_ERR_FORMAT). */
tgs_status tgs_ckpt_get_exact(const tgs_ckpt_reader *r, const char *name, void *dst /*[bytes]*/, size_t bytes);
tgs_status tgs_ckpt_get_u64(const tgs_ckpt_reader *r, const char *name, uint64_t *v);
/* Refuses NaN/inf. */
tgs_status tgs_ckpt_get_f64(const tgs_ckpt_reader *r, const char *name, double *v);
/* *s points into the reader (valid until close); the chunk must be one
 * NUL-terminated string without other NULs. */
tgs_status tgs_ckpt_get_str(const tgs_ckpt_reader *r, const char *name, const char **s);

/* 1 when the chunk exists, else 0 (for optional chunks). */
int tgs_ckpt_has(const tgs_ckpt_reader *r, const char *name);
/* Chunks in file order: their count, and the name and size of chunk i. */
size_t tgs_ckpt_count(const tgs_ckpt_reader *r);
const char *tgs_ckpt_name(const tgs_ckpt_reader *r, size_t i, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
