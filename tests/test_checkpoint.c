/* test_checkpoint.c - the checkpoint container: round trip (many chunks, empty
 * and large ones, scalar helpers, identical bytes for identical puts), every
 * truncation, flipped bytes at every position, crafted structural damage with a
 * valid checksum, a future version, missing chunks and wrong sizes, writer
 * misuse, an unwritable folder and a simulated full disk; and the run's
 * chunks (train/state.h): state, model and statistics back as written, the
 * settings check naming what differs, a camera stack that does not fit the scene. */
#include "check.h"
#include "tgs/checkpoint.h"
#include "train/state.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the trailing CRC so that only the structure is wrong. */
static void fix_crc(unsigned char *b, size_t n) {
    put_le(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)), 4);
}

/* Writes a small checkpoint: a few chunks of various sizes. */
static void write_small(const char *path) {
    static const float v3[3] = {1.5f, -2.0f, 3.25f};
    static const unsigned char odd[5] = {1, 2, 3, 4, 5};
    tgs_ckpt_writer *w = NULL;
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_put_u64(w, "iteration", 7000));
    CHECK_OK(tgs_ckpt_put(w, "odd", odd, sizeof odd));
    CHECK_OK(tgs_ckpt_put(w, "empty", NULL, 0));
    CHECK_OK(tgs_ckpt_put(w, "v3", v3, sizeof v3));
    CHECK_OK(tgs_ckpt_put_f64(w, "lr", 1.6e-4));
    CHECK_OK(tgs_ckpt_put_str(w, "scene", "data/tiny_fox"));
    CHECK_OK(tgs_ckpt_commit(w));
}

static void test_roundtrip(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/round.ckpt", dir);
    enum { NCH = 60, BIG = 3 * 1024 * 1024 + 13 };
    unsigned char *data[NCH];
    size_t sizes[NCH];
    char names[NCH][32];
    for (int i = 0; i < NCH; i++) {
        sizes[i] = i % 7 == 0 ? 0 : (size_t)(rnd() % 300);
        if (i == 31)
            sizes[i] = BIG;
        data[i] = malloc(sizes[i] ? sizes[i] : 1);
        for (size_t k = 0; k < sizes[i]; k++)
            data[i][k] = (unsigned char)rnd();
        snprintf(names[i], sizeof names[i], i == 5 ? "a_name_of_exactly_31_characters" : "chunk_%02d/x", i);
    }
    CHECK(strlen(names[5]) == 31, "name length %zu", strlen(names[5]));
    for (int pass = 0; pass < 2; pass++) {
        char p2[520];
        snprintf(p2, sizeof p2, "%s%s", path, pass ? ".2" : "");
        tgs_ckpt_writer *w = NULL;
        double t0 = tgs_now();
        CHECK_OK(tgs_ckpt_begin(p2, &w));
        for (int i = 0; i < NCH; i++)
            CHECK_OK(tgs_ckpt_put(w, names[i], i % 14 == 0 ? NULL : data[i], sizes[i]));
        CHECK_OK(tgs_ckpt_put_u64(w, "u64", UINT64_MAX - 5));
        CHECK_OK(tgs_ckpt_put_f64(w, "f64", -0.1));
        CHECK_OK(tgs_ckpt_put_str(w, "str", "hello checkpoint"));
        CHECK_OK(tgs_ckpt_put_str(w, "empty_str", ""));
        CHECK_OK(tgs_ckpt_commit(w));
        if (pass == 0)
            printf("commit of %d chunks (%.1f MB): %.1f ms\n", NCH + 4, BIG / 1e6, 1e3 * (tgs_now() - t0));
    }
    char tmp[520];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(!check_file_exists(tmp), "%s left behind", tmp);

    /* Identical puts give identical bytes. */
    unsigned char *a = NULL, *b = NULL;
    char p2[520];
    snprintf(p2, sizeof p2, "%s.2", path);
    long na = check_read_all(path, &a), nb = check_read_all(p2, &b);
    CHECK(na > BIG && na == nb && memcmp(a, b, (size_t)na) == 0, "two commits differ (%ld vs %ld bytes)", na, nb);
    CHECK(na > 8 && memcmp(a, "TGSCKPT\0", 8) == 0, "magic");
    free(a);
    free(b);

    tgs_ckpt_reader *r = NULL;
    double t0 = tgs_now();
    CHECK_OK(tgs_ckpt_open(path, &r));
    printf("open + checksum of %.1f MB: %.1f ms\n", na / 1e6, 1e3 * (tgs_now() - t0));
    if (!r)
        goto out;
    CHECK(tgs_ckpt_count(r) == NCH + 4, "count %zu", tgs_ckpt_count(r));
    for (int i = 0; i < NCH; i++) {
        size_t n = 0;
        CHECK(tgs_ckpt_name(r, (size_t)i, &n) && strcmp(tgs_ckpt_name(r, (size_t)i, &n), names[i]) == 0 &&
                  n == sizes[i], "name %d", i);
        const void *p = NULL;
        CHECK_OK(tgs_ckpt_get(r, names[i], &p, &n));
        CHECK(n == sizes[i] && (n == 0 || memcmp(p, data[i], n) == 0), "chunk %s: %zu bytes", names[i], n);
        CHECK(((uintptr_t)p & 7) == 0, "chunk %s not 8-byte aligned", names[i]);
        CHECK(tgs_ckpt_has(r, names[i]), "has %s", names[i]);
        if (sizes[i] > 0) {
            unsigned char *dst = malloc(sizes[i]);
            CHECK_OK(tgs_ckpt_get_exact(r, names[i], dst, sizes[i]));
            CHECK(memcmp(dst, data[i], sizes[i]) == 0, "get_exact %s", names[i]);
            free(dst);
        }
    }
    CHECK(tgs_ckpt_name(r, NCH + 4, NULL) == NULL, "name past the end");
    uint64_t u = 0;
    double f = 0;
    const char *s = NULL;
    CHECK_OK(tgs_ckpt_get_u64(r, "u64", &u));
    CHECK(u == UINT64_MAX - 5, "u64 %llu", (unsigned long long)u);
    CHECK_OK(tgs_ckpt_get_f64(r, "f64", &f));
    CHECK(f == -0.1, "f64 %.17g", f);
    CHECK_OK(tgs_ckpt_get_str(r, "str", &s));
    CHECK(s && strcmp(s, "hello checkpoint") == 0, "str");
    CHECK_OK(tgs_ckpt_get_str(r, "empty_str", &s));
    CHECK(s && s[0] == '\0', "empty str");
    CHECK(!tgs_ckpt_has(r, "nope") && !tgs_ckpt_has(r, "a_name_longer_than_thirty_one_characters"), "has");
out:
    tgs_ckpt_close(r);
    for (int i = 0; i < NCH; i++)
        free(data[i]);
}

static void test_get_errors(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/small.ckpt", dir);
    write_small(path);
    tgs_ckpt_reader *r = NULL;
    CHECK_OK(tgs_ckpt_open(path, &r));
    if (!r)
        return;
    const void *p;
    size_t n;
    tgs_status st = tgs_ckpt_get(r, "adam_m", &p, &n);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), path) && strstr(tgs_error_message(), "'adam_m'"),
          "missing chunk: %d %s", (int)st, tgs_error_message());
    printf("missing chunk: %s\n", tgs_error_message());
    float v3[4];
    st = tgs_ckpt_get_exact(r, "v3", v3, sizeof v3);
    CHECK(st == TGS_ERR_FORMAT && strstr(tgs_error_message(), path) && strstr(tgs_error_message(), "12 bytes") &&
              strstr(tgs_error_message(), "expected 16"), "wrong size: %d %s", (int)st, tgs_error_message());
    printf("wrong size: %s\n", tgs_error_message());
    CHECK_OK(tgs_ckpt_get_exact(r, "v3", v3, 3 * sizeof(float)));
    CHECK(v3[0] == 1.5f && v3[2] == 3.25f, "v3 values");
    uint64_t u;
    double d;
    const char *s;
    CHECK(tgs_ckpt_get_u64(r, "odd", &u) == TGS_ERR_FORMAT, "u64 from 5 bytes");
    CHECK(tgs_ckpt_get_f64(r, "missing", &d) == TGS_ERR_FORMAT, "f64 missing");
    CHECK(tgs_ckpt_get_str(r, "odd", &s) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "NUL"), "str %s",
          tgs_error_message());
    CHECK(tgs_ckpt_get_str(r, "empty", &s) == TGS_ERR_FORMAT, "empty chunk as str");
    CHECK_OK(tgs_ckpt_get(r, "empty", &p, &n));
    CHECK(n == 0, "empty size");
    CHECK_OK(tgs_ckpt_get_exact(r, "empty", NULL, 0));
    CHECK_OK(tgs_ckpt_get_u64(r, "iteration", &u));
    CHECK(u == 7000, "iteration");
    tgs_ckpt_close(r);
    tgs_ckpt_close(NULL);

    /* A NaN stored as raw bytes is refused by get_f64. */
    snprintf(path, sizeof path, "%s/nan.ckpt", dir);
    double nan_v = NAN;
    tgs_ckpt_writer *w = NULL;
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_put(w, "x", &nan_v, 8));
    CHECK_OK(tgs_ckpt_commit(w));
    CHECK_OK(tgs_ckpt_open(path, &r));
    CHECK(r && tgs_ckpt_get_f64(r, "x", &d) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "finite"), "NaN f64");
    tgs_ckpt_close(r);
}

/* Every prefix of a small checkpoint is refused with a clear message. */
static void test_truncation(const char *dir) {
    char path[512], cut[520];
    snprintf(path, sizeof path, "%s/trunc.ckpt", dir);
    snprintf(cut, sizeof cut, "%s/cut.ckpt", dir);
    write_small(path);
    unsigned char *b = NULL;
    long n = check_read_all(path, &b);
    CHECK(n > 100, "small checkpoint: %ld bytes", n);
    int bad = 0;
    for (long len = 0; len < n; len++) {
        write_bytes(cut, b, (size_t)len);
        tgs_ckpt_reader *r = NULL;
        tgs_status st = tgs_ckpt_open(cut, &r);
        const char *m = tgs_error_message();
        if (st != TGS_ERR_FORMAT || r || !strstr(m, cut) || !(strstr(m, "truncated") || strstr(m, "empty file"))) {
            if (bad++ < 5)
                fprintf(stderr, "truncation at %ld: status %d, message '%s'\n", len, (int)st, m);
        }
        if (len == n / 2)
            printf("truncated to %ld of %ld bytes: %s\n", len, n, m);
        tgs_ckpt_close(r);
    }
    CHECK(bad == 0, "%d truncation(s) not refused clearly", bad);
    /* Trailing bytes are refused too. */
    unsigned char *longer = malloc((size_t)n + 3);
    memcpy(longer, b, (size_t)n);
    memset(longer + n, 0, 3);
    write_bytes(cut, longer, (size_t)n + 3);
    tgs_ckpt_reader *r = NULL;
    CHECK(tgs_ckpt_open(cut, &r) == TGS_ERR_FORMAT && !r, "trailing bytes accepted");
    free(longer);
    free(b);
}

/* A changed byte anywhere is refused (checksum or structure). */
static void test_flips(const char *dir) {
    char path[512], bad_path[520];
    snprintf(path, sizeof path, "%s/flip.ckpt", dir);
    snprintf(bad_path, sizeof bad_path, "%s/flipped.ckpt", dir);
    write_small(path);
    unsigned char *b = NULL;
    long n = check_read_all(path, &b);
    static const unsigned char masks[] = {0x01, 0x80, 0xff, 0x10};
    int accepted = 0, unclear = 0, by_crc = 0, other = 0;
    for (long pos = 0; pos < n; pos++)
        for (size_t k = 0; k < sizeof masks; k++) {
            b[pos] ^= masks[k];
            write_bytes(bad_path, b, (size_t)n);
            b[pos] ^= masks[k];
            tgs_ckpt_reader *r = NULL;
            tgs_status st = tgs_ckpt_open(bad_path, &r);
            if (st == TGS_OK) {
                if (accepted++ < 5)
                    fprintf(stderr, "flip 0x%02x at %ld accepted\n", masks[k], pos);
                tgs_ckpt_close(r);
                continue;
            }
            if (!strstr(tgs_error_message(), bad_path) || (st != TGS_ERR_FORMAT && st != TGS_ERR_UNSUPPORTED)) {
                if (unclear++ < 5)
                    fprintf(stderr, "flip at %ld: %d %s\n", pos, (int)st, tgs_error_message());
            }
            if (strstr(tgs_error_message(), "checksum mismatch"))
                by_crc++;
            else
                other++;
        }
    CHECK(accepted == 0 && unclear == 0, "%d flips accepted, %d unclear", accepted, unclear);
    printf("%ld positions x %zu masks: %d refused by the checksum, %d by the header checks\n", n, sizeof masks,
           by_crc, other);
    free(b);
}

/* Structural damage with a valid checksum, and format versions. */
static void test_crafted(const char *dir) {
    char path[512], bad[520];
    snprintf(path, sizeof path, "%s/craft.ckpt", dir);
    snprintf(bad, sizeof bad, "%s/crafted.ckpt", dir);
    write_small(path);
    unsigned char *b = NULL;
    long n = check_read_all(path, &b);
    unsigned char *c = malloc((size_t)n);
    /* entry i: name at 24 + 48 i, offset at +32, size at +40 */
    struct {
        const char *what;
        size_t at;
        uint64_t value;
        int bytes;
        tgs_status expect;
        const char *msg;
    } cases[] = {
        {"future version", 8, 2, 4, TGS_ERR_UNSUPPORTED, "newer"},
        {"version 0", 8, 0, 4, TGS_ERR_FORMAT, "version 0"},
        {"huge table", 12, 0xffffffffu, 4, TGS_ERR_FORMAT, "does not fit"},
        {"table one too long", 12, 7, 4, TGS_ERR_FORMAT, "offset"},
        {"unaligned offset", 24 + 48 + 32, 0, 0, TGS_ERR_FORMAT, "offset"}, /* value set below */
        {"offset past the end", 24 + 48 + 32, 1u << 20, 8, TGS_ERR_FORMAT, "offset"},
        {"overlap", 24 + 48 * 2 + 32, 0, 0, TGS_ERR_FORMAT, "offset"},
        {"size past the end", 24 + 48 * 5 + 40, 1000, 8, TGS_ERR_FORMAT, "past the data area"},
        {"size overflow", 24 + 40, UINT64_MAX - 3, 8, TGS_ERR_FORMAT, "past the data area"},
        {"empty name", 24, 0, 1, TGS_ERR_FORMAT, "name"},
        {"name with a space", 25, ' ', 1, TGS_ERR_FORMAT, "name"},
        {"name not padded", 24 + 31, 'x', 1, TGS_ERR_FORMAT, "name"},
        {"duplicate name", 24 + 48, 0, 0, TGS_ERR_FORMAT, "twice"},
    };
    uint64_t off1 = 0, off2 = 0;
    for (int i = 0; i < 8; i++) {
        off1 |= (uint64_t)b[24 + 48 + 32 + i] << (8 * i);
        off2 |= (uint64_t)b[24 + 96 + 32 + i] << (8 * i);
    }
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(c, b, (size_t)n);
        if (strcmp(cases[k].what, "unaligned offset") == 0)
            put_le(c + cases[k].at, off1 + 4, 8);
        else if (strcmp(cases[k].what, "overlap") == 0)
            put_le(c + cases[k].at, off1, 8);
        else if (strcmp(cases[k].what, "duplicate name") == 0)
            memcpy(c + 24 + 48, c + 24, 32);
        else if (strcmp(cases[k].what, "name not padded") == 0) {
            c[24 + 31] = 'x';
        } else
            put_le(c + cases[k].at, cases[k].value, cases[k].bytes);
        fix_crc(c, (size_t)n);
        write_bytes(bad, c, (size_t)n);
        tgs_ckpt_reader *r = NULL;
        tgs_status st = tgs_ckpt_open(bad, &r);
        CHECK(st == cases[k].expect && !r && strstr(tgs_error_message(), bad) &&
                  strstr(tgs_error_message(), cases[k].msg),
              "%s: status %d, message '%s'", cases[k].what, (int)st, tgs_error_message());
        if (k == 0)
            printf("future version: %s\n", tgs_error_message());
        tgs_ckpt_close(r);
    }
    (void)off2;
    /* Not a checkpoint at all; a missing file; a folder. */
    write_bytes(bad, "ply\nformat binary_little_endian 1.0\n", 36);
    tgs_ckpt_reader *r = NULL;
    CHECK(tgs_ckpt_open(bad, &r) == TGS_ERR_FORMAT && strstr(tgs_error_message(), "not a tgs checkpoint"), "magic: %s",
          tgs_error_message());
    snprintf(bad, sizeof bad, "%s/does_not_exist.ckpt", dir);
    CHECK(tgs_ckpt_open(bad, &r) == TGS_ERR_IO && strstr(tgs_error_message(), bad), "missing file");
    CHECK(tgs_ckpt_open(dir, &r) == TGS_ERR_IO && strstr(tgs_error_message(), "regular"), "folder: %s",
          tgs_error_message());
    free(c);
    free(b);
}

static void test_writer_misuse(const char *dir) {
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/misuse.ckpt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    tgs_ckpt_writer *w = NULL;
    CHECK(tgs_ckpt_begin("", &w) == TGS_ERR_ARG && !w, "empty path");
    CHECK_OK(tgs_ckpt_begin(path, &w));
    unsigned char x[4] = {0};
    CHECK(tgs_ckpt_put(w, "", x, 4) == TGS_ERR_ARG, "empty name");
    CHECK(tgs_ckpt_put(w, "a_name_of_thirty_two_characters_", x, 4) == TGS_ERR_ARG, "32-character name");
    CHECK(tgs_ckpt_put(w, "with space", x, 4) == TGS_ERR_ARG, "space");
    CHECK(tgs_ckpt_put(w, "nodata", NULL, 4) == TGS_ERR_ARG, "NULL data");
    CHECK(tgs_ckpt_put_f64(w, "inf", INFINITY) == TGS_ERR_ARG, "inf");
    CHECK(tgs_ckpt_put_str(w, "nostr", NULL) == TGS_ERR_ARG, "NULL string");
    CHECK_OK(tgs_ckpt_put(w, "ok", x, 4));
    CHECK(tgs_ckpt_put_u64(w, "ok", 1) == TGS_ERR_ARG && strstr(tgs_error_message(), "twice"), "duplicate");
    /* The first put error comes back from commit; nothing is written. */
    tgs_status st = tgs_ckpt_commit(w);
    CHECK(st == TGS_ERR_ARG && strstr(tgs_error_message(), "chunk name ''"), "sticky error: %d %s", (int)st,
          tgs_error_message());
    CHECK(!check_file_exists(path) && !check_file_exists(tmp), "a failed writer wrote a file");
    CHECK(tgs_ckpt_commit(NULL) == TGS_ERR_ARG, "commit NULL");
    CHECK(tgs_ckpt_put(NULL, "x", x, 4) == TGS_ERR_ARG, "put NULL writer");
    tgs_ckpt_abort(NULL);
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_put(w, "ok", x, 4));
    tgs_ckpt_abort(w);
    CHECK(!check_file_exists(path) && !check_file_exists(tmp), "abort wrote a file");
    /* Zero chunks is a valid (28-byte) checkpoint. */
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_commit(w));
    tgs_ckpt_reader *r = NULL;
    CHECK_OK(tgs_ckpt_open(path, &r));
    CHECK(r && tgs_ckpt_count(r) == 0 && !tgs_ckpt_has(r, "x"), "empty checkpoint");
    tgs_ckpt_close(r);
}

static void test_unwritable(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/no_such_folder/x.ckpt", dir);
    tgs_ckpt_writer *w = NULL;
    unsigned char x[16] = {0};
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_put(w, "x", x, sizeof x));
    tgs_status st = tgs_ckpt_commit(w);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), path), "missing folder: %d %s", (int)st,
          tgs_error_message());
    printf("unwritable folder: %s\n", tgs_error_message());
    /* A file where the folder should be (fails even as root). */
    char file[512];
    snprintf(file, sizeof file, "%s/plain_file", dir);
    write_bytes(file, "x", 1);
    snprintf(path, sizeof path, "%s/plain_file/x.ckpt", dir);
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK(tgs_ckpt_commit(w) == TGS_ERR_IO && strstr(tgs_error_message(), path), "file as folder");
    /* A read-only folder (only meaningful when not root). */
    char ro[512];
    snprintf(ro, sizeof ro, "%s/readonly", dir);
    mkdir(ro, 0555);
    if (access(ro, W_OK) != 0) {
        snprintf(path, sizeof path, "%s/x.ckpt", ro);
        CHECK_OK(tgs_ckpt_begin(path, &w));
        CHECK(tgs_ckpt_commit(w) == TGS_ERR_IO && strstr(tgs_error_message(), path), "read-only folder");
    }
    /* The path is an existing folder: rename fails, the .tmp goes. */
    snprintf(path, sizeof path, "%s/a_folder", dir);
    mkdir(path, 0755);
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK(tgs_ckpt_commit(w) == TGS_ERR_IO && strstr(tgs_error_message(), "rename"), "rename onto a folder: %s",
          tgs_error_message());
    char tmp[520];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(!check_file_exists(tmp), "rename failure left %s", tmp);
}

/* Disk full, simulated with RLIMIT_FSIZE: error naming the file, no .tmp, the
 * previous checkpoint intact. */
static void test_disk_full(const char *dir) {
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/full.ckpt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    write_small(path);
    unsigned char *before = NULL;
    long nb = check_read_all(path, &before);
    size_t big = 4u << 20;
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)rnd();
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 100000;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        /* Large chunk: fails inside the chunk. Small chunks: fails at a later write or at flush. */
        for (int variant = 0; variant < 2; variant++) {
            tgs_ckpt_writer *w = NULL;
            CHECK_OK(tgs_ckpt_begin(path, &w));
            CHECK_OK(tgs_ckpt_put_u64(w, "iteration", 9000));
            if (variant == 0) {
                CHECK_OK(tgs_ckpt_put(w, "params", data, big));
            } else {
                char name[32];
                for (int i = 0; i < 40; i++) {
                    snprintf(name, sizeof name, "part%d", i);
                    CHECK_OK(tgs_ckpt_put(w, name, data + (size_t)i * 3000, 3000));
                }
            }
            tgs_status st = tgs_ckpt_commit(w);
            CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), tmp), "disk full (variant %d): %d %s", variant,
                  (int)st, tgs_error_message());
            printf("disk full (RLIMIT_FSIZE, variant %d): %s\n", variant, tgs_error_message());
            CHECK(!check_file_exists(tmp), "disk full left %s", tmp);
        }
        setrlimit(RLIMIT_FSIZE, &old);
        unsigned char *after = NULL;
        long na = check_read_all(path, &after);
        CHECK(na == nb && memcmp(before, after, (size_t)nb) == 0, "previous checkpoint changed");
        tgs_ckpt_reader *r = NULL;
        CHECK_OK(tgs_ckpt_open(path, &r));
        uint64_t it = 0;
        CHECK(r && tgs_ckpt_get_u64(r, "iteration", &it) == TGS_OK && it == 7000, "previous checkpoint content");
        tgs_ckpt_close(r);
        free(after);
    } else {
        printf("setrlimit failed: disk-full case not run\n");
    }
    signal(SIGXFSZ, SIG_DFL);
    /* Without the limit the same write succeeds and replaces the old file. */
    tgs_ckpt_writer *w = NULL;
    CHECK_OK(tgs_ckpt_begin(path, &w));
    CHECK_OK(tgs_ckpt_put_u64(w, "iteration", 9000));
    CHECK_OK(tgs_ckpt_put(w, "params", data, big));
    CHECK_OK(tgs_ckpt_commit(w));
    tgs_ckpt_reader *r = NULL;
    uint64_t it = 0;
    CHECK_OK(tgs_ckpt_open(path, &r));
    CHECK(r && tgs_ckpt_get_u64(r, "iteration", &it) == TGS_OK && it == 9000, "replaced checkpoint");
    tgs_ckpt_close(r);
    free(data);
    free(before);
}

/* Removes the files this test made (one level of folders). */
static void cleanup_dir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' && rm -rf '%s'", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A run's checkpoint: what goes in comes back, under the same settings only. */
static void test_run_state(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/run.tgs", dir);
    const int n_train = 5, n_cameras = 7;
    tgs_run_state s, back;
    CHECK_OK(tgs_run_state_create(n_train, &s));
    CHECK_OK(tgs_run_state_create(n_train, &back));
    s.it = 400, s.sh_active = 2, s.densify_step = 6, s.stack_n = 3;
    s.stack[0] = 6, s.stack[1] = 0, s.stack[2] = 3;
    s.ema = 0.125, s.elapsed = 12.5, s.bg[0] = 1, s.bg[1] = 0.5f, s.bg[2] = 0;
    s.rng.state = 0x1234567890abcdefull, s.rng.inc = 77;
    for (int k = 0; k < TGS_G_COUNT; k++)
        s.adam.step[k] = 100 + k;
    tgs_gaussians *g = NULL, *g2 = NULL;
    tgs_densify_stats st = {0}, st2;
    CHECK_OK(tgs_gaussians_create(40, 1, 1, &g));
    CHECK_OK(tgs_densify_stats_reserve(&st, 40));
    if (!g || !st.grad_accum)
        return;
    g->n = 33;
    size_t nf = g->capacity * (size_t)g->floats_per_gaussian;
    for (size_t i = 0; i < nf; i++)
        g->params[i] = (float)i, g->grads[i] = -(float)i, g->adam_m[i] = 0.5f * i, g->adam_v[i] = 2.0f * i;
    for (size_t i = 0; i < g->n; i++)
        st.grad_accum[i] = (float)i, st.denom[i] = 1.0f + i, st.max_radii[i] = 3.0f * i;
    const char *settings = "backend=cpu threads=2 source_path=x seed=7";
    CHECK_OK(tgs_run_state_save(path, settings, &s, n_train, g, &st));

    CHECK_OK(tgs_run_state_load(path, settings, n_train, n_cameras, 1, &back, &g2, &st2));
    CHECK(back.it == 400 && back.sh_active == 2 && back.densify_step == 6 && back.stack_n == 3 &&
              back.stack[0] == 6 && back.stack[2] == 3 && back.ema == 0.125 && back.elapsed == 12.5 &&
              back.bg[1] == 0.5f && back.rng.state == s.rng.state && back.rng.inc == 77 && back.adam.step[5] == 105,
          "loop state");
    CHECK(g2 && g2->n == 33 && g2->capacity == 40 && memcmp(g2->params, g->params, nf * sizeof(float)) == 0 &&
              memcmp(g2->adam_v, g->adam_v, nf * sizeof(float)) == 0 &&
              memcmp(st2.max_radii, st.max_radii, g->n * sizeof(float)) == 0,
          "model and statistics");
    tgs_gaussians_destroy(g2);
    tgs_densify_stats_free(&st2);

    tgs_run_summary sum;
    CHECK_OK(tgs_run_state_summary(path, &sum));
    CHECK(sum.iteration == 400 && sum.count == 33 && sum.chunks == 16 && strcmp(sum.settings, settings) == 0,
          "summary: iteration %d, %llu Gaussians, %zu chunks", sum.iteration, (unsigned long long)sum.count,
          sum.chunks);

    back.it = -1;
    CHECK(tgs_run_state_load(path, "backend=cpu threads=2 source_path=x seed=8", n_train, n_cameras, 1, &back, &g2,
                             &st2) == TGS_ERR_ARG && strstr(tgs_error_message(), "'seed=7' there, 'seed=8' now") &&
              g2 == NULL && back.it == -1,
          "other settings: %s", tgs_error_message());
    CHECK(tgs_run_state_load(path, settings, n_train, 6, 1, &back, &g2, &st2) == TGS_ERR_FORMAT &&
              strstr(tgs_error_message(), "camera 6 of 6") && g2 == NULL,
          "a stack for another scene: %s", tgs_error_message());
    /* the buffers in another group order (the SH rest group second, as tgs once wrote them), or no order at all */
    const char *orders[2] = {"means sh_dc sh_rest opacity_raw scale_raw rot_raw", NULL};
    for (int k = 0; k < 2; k++) {
        char other[512];
        snprintf(other, sizeof other, "%s.order%d", path, k);
        tgs_ckpt_reader *r = NULL;
        tgs_ckpt_writer *w = NULL;
        CHECK_OK(tgs_ckpt_open(path, &r));
        CHECK_OK(tgs_ckpt_begin(other, &w));
        for (size_t i = 0; r && w && i < tgs_ckpt_count(r); i++) {
            size_t bytes;
            const void *data;
            const char *name = tgs_ckpt_name(r, i, &bytes);
            if (strcmp(name, "groups") == 0) {
                if (orders[k])
                    tgs_ckpt_put_str(w, name, orders[k]);
            } else if (tgs_ckpt_get(r, name, &data, &bytes) == TGS_OK) {
                tgs_ckpt_put(w, name, data, bytes);
            }
        }
        CHECK_OK(tgs_ckpt_commit(w));
        tgs_ckpt_close(r);
        CHECK(tgs_run_state_load(other, settings, n_train, n_cameras, 1, &back, &g2, &st2) == TGS_ERR_FORMAT &&
                  strstr(tgs_error_message(), orders[k] ? "parameter groups in the order" : "'groups'") && g2 == NULL,
              "a model in another group order: %s", tgs_error_message());
    }
    tgs_gaussians_destroy(g);
    tgs_densify_stats_free(&st);
    tgs_run_state_destroy(&s);
    tgs_run_state_destroy(&back);
    tgs_run_state_destroy(NULL);
}

int main(void) {
    char dir[256];
    check_tmpdir(dir, sizeof dir, "checkpoint");
    test_roundtrip(dir);
    test_get_errors(dir);
    test_truncation(dir);
    test_flips(dir);
    test_crafted(dir);
    test_writer_misuse(dir);
    test_unwritable(dir);
    test_disk_full(dir);
    test_run_state(dir);
    int rc = check_report("test_checkpoint");
    if (rc == 0)
        cleanup_dir(dir);
    return rc;
}
