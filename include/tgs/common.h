/* common.h - status codes, error reporting and small helpers shared by every module.
 *
 * Library functions return a tgs_status. On failure they record one line of
 * context (which file, what was expected, what was found) with TGS_FAIL; the
 * caller reads it with tgs_error_message(). Nothing in the library exits.
 */
#ifndef TGS_COMMON_H
#define TGS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TGS_OK = 0,
    TGS_ERR_IO,          /* file missing, unreadable, unwritable, disk full */
    TGS_ERR_FORMAT,      /* malformed or truncated file, bad values in a file */
    TGS_ERR_ARG,         /* bad argument or option value */
    TGS_ERR_UNSUPPORTED, /* valid input that tgs does not handle (camera model...) */
    TGS_ERR_NOMEM,       /* allocation failed or would exceed a plan */
    TGS_ERR_DEVICE,      /* CUDA / device failure */
    TGS_ERR_INTERRUPTED  /* stopped by a signal */
} tgs_status;

/* Records the message (printf format) for the calling thread, with the source
 * location that raised it, and returns st so that `return TGS_FAIL(...)` works. */
tgs_status tgs_error_set(tgs_status st, const char *src_file, int src_line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define TGS_FAIL(st, ...) tgs_error_set((st), __FILE__, __LINE__, __VA_ARGS__)

/* The last message recorded on this thread ("" if none) and where it was raised. */
const char *tgs_error_message(void);
const char *tgs_error_where(void);
/* Prefixes the current message with "prefix: " (adds context while unwinding). */
tgs_status tgs_error_prefix(tgs_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Propagate a failing status. */
#define TGS_TRY(expr)                     \
    do {                                  \
        tgs_status tgs_try_st_ = (expr);  \
        if (tgs_try_st_ != TGS_OK)        \
            return tgs_try_st_;           \
    } while (0)

/* Allocation that records a message on failure (returns NULL). Sizes are checked
 * for overflow: count * size. Memory is zeroed. */
void *tgs_calloc(size_t count, size_t size, const char *what);
/* Committed allocations: while on, tgs_calloc (and the rasteriser's pair
 * buffers) write every page of blocks of TGS_COMMIT_MIN_BYTES or more, so the
 * memory is held from the start (the process's RSS is its plan; a machine
 * without that memory fails now, not at iteration 13 000). The CPU training
 * backend turns it on while it allocates. tgs_mem_commit touches [p, p+bytes)
 * when on. */
#define TGS_COMMIT_MIN_BYTES ((size_t)1 << 16)
void tgs_alloc_commit(int on);
void tgs_mem_commit(void *p, size_t bytes);
/* Host memory available to a new allocation (Linux: MemAvailable), 0 if unknown. */
size_t tgs_host_available_bytes(void);
/* a * b with overflow check; returns 0 on overflow (and sets *ok = 0). */
size_t tgs_mul_size(size_t a, size_t b, int *ok);

/* Number of worker threads the library uses (OpenMP). 0 = all cores. */
void tgs_set_threads(int n);
int tgs_get_threads(void);

/* mkdir -p: creates path and its missing parents. */
tgs_status tgs_mkdir_p(const char *path);

/* Atomic file output, used by every writer: the file is written to path.tmp
 * and only a complete, synced file replaces path, so a reader never sees half
 * a file and a failed write keeps the previous one. */
typedef struct {
    FILE *f;          /* write through it between open and commit */
    char *tmp;        /* path.tmp, owned */
    const char *path; /* kept by reference until commit */
} tgs_atomic_file;
/* Creates path.tmp for writing. On failure nothing is left behind and the
 * message names path.tmp. */
tgs_status tgs_atomic_open(const char *path, tgs_atomic_file *af);
/* fflush + fsync + fclose of path.tmp, rename over path, fsync of the folder.
 * On any failure path.tmp is removed, a previous file at path is left intact
 * and the message names the file. Releases af either way. */
tgs_status tgs_atomic_commit(tgs_atomic_file *af);
/* Closes and removes path.tmp (a write failed). A no-op on NULL or on an af
 * already committed or aborted. */
void tgs_atomic_abort(tgs_atomic_file *af);

/* Monotonic wall clock in seconds. */
double tgs_now(void);

#define TGS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TGS_MAX(a, b) ((a) > (b) ? (a) : (b))

#define TGS_NAME_MAX 256  /* file names (image names) */
#define TGS_PATH_MAX 4096 /* paths */

#ifdef __cplusplus
}
#endif

#endif
