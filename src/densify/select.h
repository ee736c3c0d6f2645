/* select.h - quickselect, written once for the densification's two element
 * types: TGS_DEFINE_SELECT(name, T, less) defines
 *     static void name(T *a, size_t m, size_t t)
 * which reorders a[0..m) so that a[t] is the t-th smallest under less(x, y)
 * (a strict order on values of T), with nothing after it smaller and nothing
 * before it larger (Hoare partition around a median of three; expected O(m)). */
#ifndef TGS_DENSIFY_SELECT_H
#define TGS_DENSIFY_SELECT_H

#include <stddef.h>

#define TGS_DEFINE_SELECT(name, T, less)                                                                    \
    static void name(T *a, size_t m, size_t t) {                                                            \
        size_t lo = 0, hi = m - 1;                                                                          \
        while (lo < hi) {                                                                                   \
            size_t mid = lo + (hi - lo) / 2;                                                                \
            T x = a[lo], y = a[mid], z = a[hi], pv;                                                         \
            if (less(x, y))                                                                                 \
                pv = less(y, z) ? y : (less(x, z) ? z : x);                                                 \
            else                                                                                            \
                pv = less(x, z) ? x : (less(y, z) ? z : y);                                                 \
            size_t i = lo, j = hi;                                                                          \
            for (;;) {                                                                                      \
                while (less(a[i], pv))                                                                      \
                    i++;                                                                                    \
                while (less(pv, a[j]))                                                                      \
                    j--;                                                                                    \
                if (i >= j)                                                                                 \
                    break;                                                                                  \
                T tmp = a[i];                                                                               \
                a[i] = a[j];                                                                                \
                a[j] = tmp;                                                                                 \
                i++;                                                                                        \
                j--;                                                                                        \
            }                                                                                               \
            /* a[lo..j] <= pv <= a[j+1..hi]; when i == j, a[i] == pv is in place */                       \
            if (i == j) {                                                                                   \
                if (t == i)                                                                                 \
                    return;                                                                                 \
                if (t < i)                                                                                  \
                    hi = i - 1;                                                                             \
                else                                                                                        \
                    lo = i + 1;                                                                             \
            } else if (t <= j) {                                                                            \
                hi = j;                                                                                     \
            } else {                                                                                        \
                lo = j + 1;                                                                                 \
            }                                                                                               \
        }                                                                                                   \
    }

#endif
