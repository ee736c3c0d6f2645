/* bench_knn.c - times tgs_knn_mean_dist2 (k = 3) on uniform and clustered
 * random clouds; prints points, threads, seconds and peak RSS.
 * Usage: bench_knn [n ...]   (default 100000 1000000) */
#define _POSIX_C_SOURCE 200809L
#include "tgs/knn.h"
#include "tgs/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static long peak_rss_kib(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Clustered: clusters of 1..~2000 points with spreads from 1e-3 to 1, in a 100^3 box. */
static void fill(float *xyz /*[n,3]*/, size_t n, int clustered, uint64_t seed) {
    tgs_rng r;
    tgs_rng_seed(&r, seed, 1);
    float c[3] = {0, 0, 0}, sigma = 1.0f;
    for (size_t i = 0; i < n; i++) {
        if (!clustered) {
            for (int a = 0; a < 3; a++)
                xyz[3 * i + a] = (float)(100.0 * tgs_rng_uniform(&r));
            continue;
        }
        if (i == 0 || tgs_rng_below(&r, 1000) == 0) {
            for (int a = 0; a < 3; a++)
                c[a] = (float)(100.0 * tgs_rng_uniform(&r));
            sigma = (float)pow(10.0, -3.0 + 3.0 * tgs_rng_uniform(&r));
        }
        for (int a = 0; a < 3; a++)
            xyz[3 * i + a] = c[a] + sigma * (float)tgs_rng_normal(&r);
    }
}

int main(int argc, char **argv) {
    size_t def[] = {100000, 1000000};
    int nn = argc > 1 ? argc - 1 : 2;
    printf("%-10s %-10s %8s %10s %14s %14s\n", "cloud", "n", "threads", "seconds", "rss_before_MiB", "peak_rss_MiB");
    for (int t = 0; t < nn; t++) {
        size_t n = argc > 1 ? (size_t)strtoull(argv[t + 1], NULL, 10) : def[t];
        float *xyz = malloc(3 * n * sizeof(float) + 1), *out = malloc(n * sizeof(float) + 1);
        if (!xyz || !out) {
            fprintf(stderr, "bench_knn: out of memory for %zu points\n", n);
            return 1;
        }
        for (int clustered = 0; clustered < 2; clustered++) {
            fill(xyz, n, clustered, 1234 + (uint64_t)n);
            for (size_t i = 0; i < n; i++)
                out[i] = 0.0f; /* touch the output pages before measuring */
            long before = peak_rss_kib();
            double t0 = tgs_now();
            tgs_status st = tgs_knn_mean_dist2(xyz, n, 3, out);
            double sec = tgs_now() - t0;
            if (st != TGS_OK) {
                fprintf(stderr, "bench_knn: %s\n", tgs_error_message());
                return 1;
            }
            double sum = 0.0;
            for (size_t i = 0; i < n; i++)
                sum += out[i];
            printf("%-10s %-10zu %8d %10.3f %14.1f %14.1f   (mean d2 %.4g)\n", clustered ? "clustered" : "uniform", n,
                   tgs_get_threads(), sec, before / 1024.0, peak_rss_kib() / 1024.0, sum / (double)n);
            fflush(stdout);
        }
        free(xyz);
        free(out);
    }
    return 0;
}
