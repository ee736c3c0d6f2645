/* atomic.c - atomic file output: path.tmp, fflush + fsync, rename over path,
 * fsync of the folder. See tgs/common.h. */
#include "tgs/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tgs_status tgs_atomic_open(const char *path, tgs_atomic_file *af) {
    memset(af, 0, sizeof *af);
    af->path = path;
    size_t n = strlen(path);
    af->tmp = tgs_calloc(n + 5, 1, "temporary path");
    if (!af->tmp)
        return TGS_ERR_NOMEM;
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp", 5);
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        tgs_status st = TGS_FAIL(TGS_ERR_IO, "%s: cannot create file (%s)", af->tmp, strerror(errno));
        free(af->tmp);
        af->tmp = NULL;
        return st;
    }
    return TGS_OK;
}

void tgs_atomic_abort(tgs_atomic_file *af) {
    if (!af)
        return;
    if (af->f)
        fclose(af->f);
    af->f = NULL;
    if (af->tmp)
        remove(af->tmp);
    free(af->tmp);
    af->tmp = NULL;
}

/* fsync of the folder holding path, so that the rename is durable. */
static tgs_status sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return TGS_OK; /* no path this long on Linux; nothing to sync */
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return TGS_FAIL(TGS_ERR_IO, "%s: written, but its folder %s cannot be opened to sync it (%s)", path, dir,
                        strerror(errno));
    tgs_status st = TGS_OK;
    /* Some file systems cannot sync folders (EINVAL): nothing more to do there. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
        st = TGS_FAIL(TGS_ERR_IO, "%s: written, but syncing its folder %s failed (%s)", path, dir, strerror(errno));
    close(fd);
    return st;
}

tgs_status tgs_atomic_commit(tgs_atomic_file *af) {
    if (!af->f)
        return TGS_FAIL(TGS_ERR_ARG, "%s: no open file to commit", af->path ? af->path : "(null)");
    tgs_status st = TGS_OK;
    if (fflush(af->f) != 0 || ferror(af->f))
        st = TGS_FAIL(TGS_ERR_IO, "%s: write failed (%s)", af->tmp, strerror(errno));
    else if (fsync(fileno(af->f)) != 0)
        st = TGS_FAIL(TGS_ERR_IO, "%s: fsync failed (%s)", af->tmp, strerror(errno));
    FILE *f = af->f;
    af->f = NULL;
    if (fclose(f) != 0 && st == TGS_OK)
        st = TGS_FAIL(TGS_ERR_IO, "%s: close failed (%s)", af->tmp, strerror(errno));
    if (st == TGS_OK && rename(af->tmp, af->path) != 0)
        st = TGS_FAIL(TGS_ERR_IO, "%s: cannot rename %s into place (%s)", af->path, af->tmp, strerror(errno));
    if (st != TGS_OK)
        remove(af->tmp);
    free(af->tmp);
    af->tmp = NULL;
    return st == TGS_OK ? sync_parent_dir(af->path) : st;
}
