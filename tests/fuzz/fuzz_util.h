/* fuzz_util.h - shared helpers of the libFuzzer harnesses: one private temporary
 * folder per process (in /dev/shm when present), created once and removed at
 * exit, and whole-file rewrites of the fuzz input into it. */
#ifndef TGS_FUZZ_UTIL_H
#define TGS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_dir_path[256];
static const char *fuzz_dir_files[8];
static int fuzz_dir_nfiles;

static void fuzz_dir_cleanup(void) {
    char p[512];
    for (int i = 0; i < fuzz_dir_nfiles; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_dir_path, fuzz_dir_files[i]);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s.tmp", fuzz_dir_path, fuzz_dir_files[i]);
        unlink(p);
    }
    rmdir(fuzz_dir_path);
}

/* The process's temporary folder; `files` (NULL-terminated, at most 8) are the
 * names that will be written there, removed at exit. Aborts when it cannot be made. */
static inline const char *fuzz_dir(const char *const *files) {
    if (fuzz_dir_path[0])
        return fuzz_dir_path;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/tgs_fuzz_XXXXXX", base);
    if (!mkdtemp(fuzz_dir_path)) {
        perror("mkdtemp");
        abort();
    }
    for (fuzz_dir_nfiles = 0; files[fuzz_dir_nfiles] && fuzz_dir_nfiles < 8; fuzz_dir_nfiles++)
        fuzz_dir_files[fuzz_dir_nfiles] = files[fuzz_dir_nfiles];
    atexit(fuzz_dir_cleanup);
    return fuzz_dir_path;
}

/* Replaces dir/name with exactly n bytes of data. Aborts on failure (a harness
 * problem, not a finding). */
static inline void fuzz_write(const char *dir, const char *name, const uint8_t *data, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(p);
        abort();
    }
}

/* Little-endian u32 from 4 bytes. */
static inline uint32_t fuzz_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
