/* alloc.cu - the device allocation ledger (cuda_alloc.h): live buffers and
 * their sizes in a small array (tgs holds a few dozen at a time). */
#include "cuda/cuda_alloc.h"

#include <stdlib.h>

typedef struct {
    void *p;
    size_t bytes;
} ledger_entry;

static ledger_entry *entries;
static size_t n_entries, cap_entries;
static size_t live_bytes, peak_bytes, limit_bytes;

extern "C" void tgs_cuda_set_limit(size_t bytes) { limit_bytes = bytes; }

extern "C" cudaError_t tgs_cuda_malloc(void **p, size_t bytes) {
    *p = NULL;
    if (n_entries == cap_entries) {
        size_t cap = cap_entries ? 2 * cap_entries : 64;
        ledger_entry *e = (ledger_entry *)realloc(entries, cap * sizeof *e);
        if (!e)
            return cudaErrorMemoryAllocation;
        entries = e;
        cap_entries = cap;
    }
    if (limit_bytes && bytes > limit_bytes - (live_bytes < limit_bytes ? live_bytes : limit_bytes))
        return cudaErrorMemoryAllocation;
    cudaError_t e = cudaMalloc(p, bytes);
    if (e != cudaSuccess) {
        *p = NULL;
        return e;
    }
    entries[n_entries].p = *p;
    entries[n_entries].bytes = bytes;
    n_entries++;
    live_bytes += bytes;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return cudaSuccess;
}

extern "C" cudaError_t tgs_cuda_free(void *p) {
    if (!p)
        return cudaSuccess;
    for (size_t k = n_entries; k-- > 0;)
        if (entries[k].p == p) {
            live_bytes -= entries[k].bytes;
            entries[k] = entries[--n_entries];
            break;
        }
    if (n_entries == 0) { /* nothing held: give the array back too */
        free(entries);
        entries = NULL;
        cap_entries = 0;
    }
    return cudaFree(p);
}

extern "C" size_t tgs_cuda_bytes_live(void) { return live_bytes; }
extern "C" size_t tgs_cuda_bytes_peak(void) { return peak_bytes; }
extern "C" void tgs_cuda_peak_reset(void) { peak_bytes = live_bytes; }
