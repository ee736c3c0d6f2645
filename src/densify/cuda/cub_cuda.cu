/* cub_cuda.cu - the device-wide cub algorithms of the densification code (float
 * radix sorts, flagged selection), instantiated once here, on the scratch
 * carved for the model's capacity. Each call checks that the temporary storage
 * measured at creation still suffices for its size. */
#include "densify/cuda/densify_cuda.cuh"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_select.cuh>

tgs_status dc_cub_bytes(size_t n, size_t *bytes) {
    size_t a = 0, c = 0;
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(NULL, a, (const float *)NULL, (float *)NULL, (const uint32_t *)NULL,
                                                 (uint32_t *)NULL, (uint32_t)n, 0, 32, (cudaStream_t)0));
    TGS_CUDA_TRY(cub::DeviceSelect::Flagged(NULL, c, (const uint32_t *)NULL, (const unsigned char *)NULL,
                                            (uint32_t *)NULL, (unsigned long long *)NULL, (int64_t)n, (cudaStream_t)0));
    *bytes = a > c ? a : c;
    return TGS_OK;
}

static tgs_status check_bytes(const tgs_cuda_scratch *s, size_t bytes, const char *what) {
    if (bytes > s->cub_bytes)
        return TGS_FAIL(TGS_ERR_DEVICE, "CUDA %s: needs %zu bytes of scratch (expected at most %zu)", what, bytes,
                        s->cub_bytes);
    return TGS_OK;
}

tgs_status dc_sort_pairs(tgs_cuda_model *m, size_t n, cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    size_t bytes = 0;
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(NULL, bytes, (const float *)s->d_keys, s->d_keys_alt,
                                                 (const uint32_t *)s->d_iota, s->d_idx_alt, (uint32_t)n, 0, 32,
                                                 stream));
    TGS_TRY(check_bytes(s, bytes, "sort"));
    bytes = s->cub_bytes;
    TGS_CUDA_TRY(cub::DeviceRadixSort::SortPairs(s->d_cub, bytes, (const float *)s->d_keys, s->d_keys_alt,
                                                 (const uint32_t *)s->d_iota, s->d_idx_alt, (uint32_t)n, 0, 32,
                                                 stream));
    return TGS_OK;
}

/* Keys only: the same pair sort (one instantiation of the radix sort fewer to
 * compile; the index payload costs little). */
tgs_status dc_sort_keys(tgs_cuda_model *m, size_t n, cudaStream_t stream) { return dc_sort_pairs(m, n, stream); }

tgs_status dc_select_flagged(tgs_cuda_model *m, const unsigned char *d_flags /*[n]*/, size_t n, uint32_t *d_out /*[n]*/,
                             cudaStream_t stream) {
    tgs_cuda_scratch *s = m->scratch;
    size_t bytes = 0;
    TGS_CUDA_TRY(cub::DeviceSelect::Flagged(NULL, bytes, (const uint32_t *)s->d_iota, d_flags, d_out,
                                            s->d_count + DC_N_SEL, (int64_t)n, stream));
    TGS_TRY(check_bytes(s, bytes, "select"));
    bytes = s->cub_bytes;
    TGS_CUDA_TRY(cub::DeviceSelect::Flagged(s->d_cub, bytes, (const uint32_t *)s->d_iota, d_flags, d_out,
                                            s->d_count + DC_N_SEL, (int64_t)n, stream));
    return TGS_OK;
}
