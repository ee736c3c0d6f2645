/* test_fuzz_regressions.c - replays saved fuzz inputs through the same harness
 * bodies as the fuzzers (tests/fuzz/fuzz_targets.h), each in a child process so
 * that a crash is reported per file:
 *   files in tests/fuzz/regressions/<harness>/: crash reproducers; they must not
 *     crash and must be refused (unless the name starts with ok_);
 *   files in tests/fuzz/corpus/<harness>/: the seed corpus; must not crash.
 * A reproducer of a bug not fixed yet is listed in tests/fuzz/regressions/
 * KNOWN_BUGS ("<harness>/<file> description" per line): its crash is reported
 * but does not fail the test. */
#include "check.h"
#include "fuzz/fuzz_targets.h"

#include <dirent.h>
#include <sys/wait.h>

enum { CHILD_REFUSED = 10, CHILD_ACCEPTED = 11 };

typedef int (*target_fn)(const uint8_t *, size_t);

static const struct {
    const char *name;
    target_fn fn;
} k_targets[] = {
    {"fuzz_colmap_bin", fuzz_colmap_bin_one}, {"fuzz_colmap_txt", fuzz_colmap_txt_one},
    {"fuzz_blender", fuzz_blender_one},       {"fuzz_ply", fuzz_ply_one},
    {"fuzz_checkpoint", fuzz_checkpoint_one}, {"fuzz_viewer_query", fuzz_viewer_query_one},
};

static char known_bugs[16384];

static int is_known_bug(const char *harness, const char *file) {
    char key[600];
    snprintf(key, sizeof key, "%s/%s ", harness, file);
    for (const char *p = known_bugs; (p = strstr(p, key)) != NULL; p++)
        if (p == known_bugs || p[-1] == '\n')
            return 1;
    return 0;
}

/* Runs fn on the file in a child; returns CHILD_REFUSED, CHILD_ACCEPTED or -1
 * (crash, sanitizer report, leak), with a description in what. */
static int replay(target_fn fn, const char *path, char *what, size_t what_size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(what, what_size, "cannot open");
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    size_t got = n > 0 ? fread(data, 1, (size_t)n, f) : 0;
    fclose(f);
    if (n < 0 || got != (size_t)n) {
        free(data);
        snprintf(what, what_size, "cannot read");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = fn(data, (size_t)n);
        free(data);
        exit(ok ? CHILD_ACCEPTED : CHILD_REFUSED); /* exit: the temporary folder is removed, leaks checked */
    }
    free(data);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        snprintf(what, what_size, "fork/wait failed");
        return -1;
    }
    if (WIFEXITED(status) && (WEXITSTATUS(status) == CHILD_REFUSED || WEXITSTATUS(status) == CHILD_ACCEPTED))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        snprintf(what, what_size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(what, what_size, "exit status %d (sanitizer report above)", WEXITSTATUS(status));
    return -1;
}

/* Replays every file of dir; returns the number of files. */
static int replay_dir(const char *harness, target_fn fn, const char *dir, int regressions) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024], what[128] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        count++;
        int rc = replay(fn, path, what, sizeof what);
        if (rc < 0) {
            if (regressions && is_known_bug(harness, e->d_name))
                printf("KNOWN BUG still present: %s: %s (see tests/fuzz/regressions/KNOWN_BUGS)\n", path, what);
            else
                CHECK(0, "%s: %s", path, what);
            continue;
        }
        if (regressions) {
            int want_ok = strncmp(e->d_name, "ok_", 3) == 0;
            CHECK(rc == (want_ok ? CHILD_ACCEPTED : CHILD_REFUSED), "%s: %s", path,
                  want_ok ? "refused (expected to load)" : "accepted (expected an error)");
            if (is_known_bug(harness, e->d_name))
                printf("%s: listed in KNOWN_BUGS but no longer crashes: remove it from the list\n", path);
        }
    }
    closedir(d);
    return count;
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/KNOWN_BUGS", TGS_REPO_DIR);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(known_bugs, 1, sizeof known_bugs - 1, f);
        known_bugs[n] = '\0';
        fclose(f);
    }
    for (size_t t = 0; t < sizeof k_targets / sizeof k_targets[0]; t++) {
        snprintf(path, sizeof path, "%s/tests/fuzz/regressions/%s", TGS_REPO_DIR, k_targets[t].name);
        int nreg = replay_dir(k_targets[t].name, k_targets[t].fn, path, 1);
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s", TGS_REPO_DIR, k_targets[t].name);
        int ncorp = replay_dir(k_targets[t].name, k_targets[t].fn, path, 0);
        printf("%-16s %3d regression input(s), %4d corpus input(s) replayed\n", k_targets[t].name, nreg, ncorp);
    }
    return check_report("test_fuzz_regressions");
}
