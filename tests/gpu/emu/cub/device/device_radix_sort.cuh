/* device_radix_sort.cuh (emulator) - cub::DoubleBuffer and a stable LSD radix
 * sort of key bits [begin, end) on host memory. Like CUB, the result may land
 * in either buffer (here always the one Current() did not point to). */
#pragma once
#include <cuda_runtime.h>
#include <vector>

namespace cub {
template <typename T> struct DoubleBuffer {
    T *d_buffers[2];
    int selector;
    DoubleBuffer(T *a, T *b) { d_buffers[0] = a, d_buffers[1] = b, selector = 0; }
    T *Current() { return d_buffers[selector]; }
    T *Alternate() { return d_buffers[selector ^ 1]; }
};
struct DeviceRadixSort {
    template <typename K, typename V>
    static cudaError_t SortPairs(void *temp, size_t &bytes, DoubleBuffer<K> &keys, DoubleBuffer<V> &vals, int n,
                                 int begin_bit, int end_bit) {
        if (!temp) {
            bytes = 1024 + (size_t)n / 16;
            return cudaSuccess;
        }
        if (bytes < 1024 + (size_t)n / 16 || begin_bit < 0 || end_bit > 64 || begin_bit > end_bit)
            return 1;
        /* ignore bits outside [begin, end), as CUB does */
        const K *k = keys.Current();
        const V *v = vals.Current();
        K *ko = keys.Alternate();
        V *vo = vals.Alternate();
        std::vector<K> kk(k, k + n);
        std::vector<V> vv(v, v + n);
        for (int shift = begin_bit; shift < end_bit; shift += 8) {
            int bits = end_bit - shift < 8 ? end_bit - shift : 8;
            unsigned mask = (1u << bits) - 1u;
            std::vector<size_t> count(257, 0);
            for (int i = 0; i < n; i++)
                count[((kk[i] >> shift) & mask) + 1]++;
            for (int d = 0; d < 256; d++)
                count[d + 1] += count[d];
            std::vector<K> k2(n);
            std::vector<V> v2(n);
            for (int i = 0; i < n; i++) {
                size_t dst = count[(kk[i] >> shift) & mask]++;
                k2[dst] = kk[i];
                v2[dst] = vv[i];
            }
            kk.swap(k2);
            vv.swap(v2);
        }
        for (int i = 0; i < n; i++)
            ko[i] = kk[i], vo[i] = vv[i];
        keys.selector ^= 1;
        vals.selector ^= 1;
        return cudaSuccess;
    }
};
} // namespace cub
