/* check.h - minimal test helpers for CTest executables (exit 0 pass, 1 fail, 77 skip). */
#ifndef TGS_TEST_CHECK_H
#define TGS_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_failures = 0;

#define CHECK(cond, ...)                                                 \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
            check_failures++;                                            \
        }                                                                \
    } while (0)

/* Fails the test when a tgs call does not return TGS_OK. */
#define CHECK_OK(expr)                                                   \
    do {                                                                 \
        tgs_status check_st_ = (expr);                                   \
        if (check_st_ != TGS_OK) {                                       \
            fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #expr, \
                    (int)check_st_, tgs_error_message());                \
            check_failures++;                                            \
        }                                                                \
    } while (0)

static inline int check_report(const char *name) {
    if (check_failures)
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
    else
        printf("%s: all checks passed\n", name);
    return check_failures ? 1 : 0;
}

/* Skips the test (CTest SKIP_RETURN_CODE 77) when a shared data path is absent. */
static inline void check_require_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("skipped: %s not found\n", path);
        exit(77);
    }
}

/* A fresh temporary directory for this test; its path in buf. */
static inline const char *check_tmpdir(char *buf, size_t size, const char *tag) {
    snprintf(buf, size, "/tmp/tgs_test_%s_XXXXXX", tag);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(1);
    }
    return buf;
}

/* Does path exist? */
static inline int check_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file in *out (malloc'd, one spare byte); its size, or -1. */
static inline long check_read_all(const char *path, unsigned char **out) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    if (fread(*out, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    fclose(f);
    return n;
}

/* Writes n bytes to path (the test stops when it cannot). */
static inline void check_write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
}

#endif
