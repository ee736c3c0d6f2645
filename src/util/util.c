/* util.c - per-thread error messages with their source location, checked
 * allocation, threads, clock, folders. */
#include "tgs/common.h"

#include <errno.h>
#include <omp.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local char tgs_err_msg[1024];
static _Thread_local char tgs_err_where[256];

tgs_status tgs_error_set(tgs_status st, const char *src_file, int src_line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tgs_err_msg, sizeof tgs_err_msg, fmt, ap);
    va_end(ap);
    snprintf(tgs_err_where, sizeof tgs_err_where, "%s:%d", src_file, src_line);
    return st;
}

tgs_status tgs_error_prefix(tgs_status st, const char *fmt, ...) {
    char prefix[512], old[sizeof tgs_err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, tgs_err_msg, sizeof old);
    snprintf(tgs_err_msg, sizeof tgs_err_msg, "%s: %s", prefix, old);
    return st;
}

const char *tgs_error_message(void) { return tgs_err_msg; }
const char *tgs_error_where(void) { return tgs_err_where; }

size_t tgs_mul_size(size_t a, size_t b, int *ok) {
    if (a != 0 && b > SIZE_MAX / a) {
        *ok = 0;
        return 0;
    }
    return a * b;
}

static _Atomic int g_commit; /* tgs_alloc_commit */

void tgs_alloc_commit(int on) { g_commit = on != 0; }

void tgs_mem_commit(void *p, size_t bytes) {
    if (g_commit && p && bytes >= TGS_COMMIT_MIN_BYTES)
        memset(p, 0, bytes);
}

size_t tgs_host_available_bytes(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return (size_t)kib * 1024;
}

void *tgs_calloc(size_t count, size_t size, const char *what) {
    if (count == 0 || size == 0)
        count = size = 1;
    int ok = 1;
    size_t total = tgs_mul_size(count, size, &ok);
    void *p = ok ? calloc(1, total) : NULL;
    if (!p)
        TGS_FAIL(TGS_ERR_NOMEM, "out of memory allocating %zu x %zu bytes for %s", count, size, what);
    tgs_mem_commit(p, total); /* calloc's zero pages are only mapped, not yet held */
    return p;
}

void tgs_set_threads(int n) {
    if (n > 0)
        omp_set_num_threads(n);
}

int tgs_get_threads(void) { return omp_get_max_threads(); }

double tgs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

tgs_status tgs_mkdir_p(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return TGS_FAIL(TGS_ERR_ARG, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return TGS_FAIL(TGS_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = '/';
    }
    struct stat st;
    if (mkdir(buf, 0755) != 0 && (errno != EEXIST || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)))
        return TGS_FAIL(TGS_ERR_IO, "%s: cannot create folder: %s", buf, errno == EEXIST ? "a file is in the way" : strerror(errno));
    return TGS_OK;
}
