/* test_atomic.c - the atomic file output every writer uses: commit replaces
 * the file, abort leaves no .tmp and the previous file intact, and failures
 * name the file. */
#include "tgs/common.h"

#include <string.h>

#include "check.h"

/* The file's text (at most size-1 bytes) in buf; "" if it cannot be read. */
static const char *read_text(const char *path, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static tgs_status write_text(const char *path, const char *text) {
    tgs_atomic_file af;
    TGS_TRY(tgs_atomic_open(path, &af));
    fputs(text, af.f);
    return tgs_atomic_commit(&af);
}

static void test_commit_and_abort(const char *dir) {
    char path[512], tmp[520], buf[64];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_OK(write_text(path, "first"));
    CHECK(strcmp(read_text(path, buf, sizeof buf), "first") == 0, "first write: '%s'", buf);
    CHECK(!check_file_exists(tmp), "commit left %s behind", tmp);
    /* commit replaces */
    CHECK_OK(write_text(path, "second"));
    CHECK(strcmp(read_text(path, buf, sizeof buf), "second") == 0, "replaced: '%s'", buf);
    /* abort: no .tmp, the previous file intact; a second abort is harmless */
    tgs_atomic_file af;
    CHECK_OK(tgs_atomic_open(path, &af));
    CHECK(check_file_exists(tmp), "open did not create %s", tmp);
    fputs("half a fi", af.f);
    tgs_atomic_abort(&af);
    tgs_atomic_abort(&af);
    tgs_atomic_abort(NULL);
    CHECK(!check_file_exists(tmp), "abort left %s behind", tmp);
    CHECK(strcmp(read_text(path, buf, sizeof buf), "second") == 0, "after abort: '%s'", buf);
    /* abort after a commit changes nothing */
    CHECK_OK(tgs_atomic_open(path, &af));
    fputs("third", af.f);
    CHECK_OK(tgs_atomic_commit(&af));
    tgs_atomic_abort(&af);
    CHECK(strcmp(read_text(path, buf, sizeof buf), "third") == 0, "abort after commit: '%s'", buf);
}

static void test_failures(const char *dir) {
    char path[512], tmp[520];
    /* missing folder: the message names path.tmp */
    snprintf(path, sizeof path, "%s/no/such/dir/out.txt", dir);
    tgs_atomic_file af;
    tgs_status st = tgs_atomic_open(path, &af);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "no/such/dir/out.txt.tmp"), "missing dir: %d %s", (int)st,
          tgs_error_message());
    /* the path is a folder: the rename fails, names the path, and the .tmp goes */
    snprintf(path, sizeof path, "%s/folder", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
    CHECK_OK(tgs_atomic_open(path, &af));
    fputs("x", af.f);
    st = tgs_atomic_commit(&af);
    CHECK(st == TGS_ERR_IO && strstr(tgs_error_message(), "rename") && strstr(tgs_error_message(), path),
          "rename onto a folder: %d %s", (int)st, tgs_error_message());
    CHECK(!check_file_exists(tmp), "failed commit left %s behind", tmp);
    rmdir(path);
}

int main(void) {
    char dir[256];
    check_tmpdir(dir, sizeof dir, "atomic");
    test_commit_and_abort(dir);
    test_failures(dir);
    char p[600];
    snprintf(p, sizeof p, "%s/out.txt", dir);
    remove(p);
    rmdir(dir);
    return check_report("test_atomic");
}
