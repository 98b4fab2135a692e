// fileio.c — checked fopen, whole-file reads, atomic writes (temp + fsync + rename).
#include "fileio.h"

#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *fopen_check(const char *path, const char *mode, const char *src_file, int src_line) {
    FILE *f = fopen(path, mode);
    if (!f)
        w2s_error_set(src_file, src_line, "cannot open %s for %s: %s", path,
                      mode[0] == 'r' ? "reading" : "writing", strerror(errno));
    return f;
}

int w2s_path_format(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < cap) return 0;
    if (cap) out[cap > 60 ? 60 : cap - 1] = 0;
    W2S_FAIL("path too long (%d bytes, at most %zu): %s...", n, cap ? cap - 1 : 0, out);
    if (cap) out[0] = 0;
    return -1;
}

int w2s_path_arg_check(const char *path, const char *what) {
    size_t n = path ? strlen(path) : 0;
    if (n <= W2S_PATH_ARG_MAX) return 0;
    return W2S_FAIL("%s path too long (%zu bytes, at most %d): %.60s...", what, n, W2S_PATH_ARG_MAX, path);
}

int w2s_cache_dir(char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) return w2s_path_format(out, cap, "%s/w2s", xdg);
    if (home && *home) return w2s_path_format(out, cap, "%s/.cache/w2s", home);
    return W2S_FAIL("no cache directory: set XDG_CACHE_HOME or HOME");
}

char *w2s_read_file(const char *path, size_t max_size, size_t *size) {
    FILE *f = w2s_fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        W2S_FAIL("%s is not a regular file", path);
        fclose(f);
        return NULL;
    }
    if ((unsigned long long)st.st_size > max_size) {
        W2S_FAIL("%s is %lld bytes, more than the %zu allowed", path, (long long)st.st_size, max_size);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        W2S_FAIL("out of memory reading %s (%zu bytes)", path, n);
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, n, f);
    // A short read means the file shrank while we read it: refuse rather than parse half.
    if (got != n || fgetc(f) != EOF) {
        W2S_FAIL("%s changed size while being read (expected %zu bytes)", path, n);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    if (size) *size = n;
    return buf;
}

static int fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (!copy) return W2S_FAIL("out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) return 0;  // directory fsync is best effort (some filesystems refuse it)
    fsync(fd);
    close(fd);
    return 0;
}

// Removes "<path>.tmp.<pid>" files left by writers that were killed mid-write: a writer whose
// pid no longer exists can never commit. Live pids (another w2s writing the same file) are
// left alone. Best effort: a directory that cannot be listed is simply not swept.
static void sweep_dead_temps(const char *path) {
    char *dcopy = strdup(path), *bcopy = strdup(path);
    DIR *d = dcopy && bcopy ? opendir(dirname(dcopy)) : NULL;
    if (d) {
        const char *base = basename(bcopy);
        size_t blen = strlen(base);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".tmp.", 5) != 0) continue;
            char *end;
            long pid = strtol(e->d_name + blen + 5, &end, 10);
            if (*end || pid <= 0 || pid == (long)getpid()) continue;
            if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
            char victim[W2S_PATH_MAX];
            if (w2s_path_format(victim, sizeof victim, "%s/%s", dirname(strcpy(dcopy, path)), e->d_name) == 0)
                unlink(victim);
        }
        closedir(d);
    }
    free(dcopy);
    free(bcopy);
}

int w2s_is_stdout(const char *path) { return path && !strcmp(path, "-"); }

int w2s_atomic_open(w2s_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    if (w2s_is_stdout(path)) {  // a stream cannot be renamed into place: written as it goes
        af->f = stdout;
        return 0;
    }
    sweep_dead_temps(path);
    size_t n = strlen(path) + 32;
    af->final_path = strdup(path);
    af->tmp_path = malloc(n);
    if (!af->final_path || !af->tmp_path) {
        w2s_atomic_abort(af);
        return W2S_FAIL("out of memory");
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f) {
        int e = errno;
        W2S_FAIL("cannot write %s: %s", path, strerror(e));
        free(af->final_path);
        free(af->tmp_path);
        memset(af, 0, sizeof *af);
        return -1;
    }
    return 0;
}

int w2s_atomic_commit(w2s_atomic_file *af) {
    if (!af->f) return W2S_FAIL("atomic file %s is not open", af->final_path ? af->final_path : "?");
    if (af->f == stdout) {
        int bad = ferror(stdout) || fflush(stdout) != 0, e = errno;
        af->f = NULL;
        return bad ? W2S_FAIL("writing standard output failed: %s", strerror(e)) : 0;
    }
    int bad = ferror(af->f) || fflush(af->f) != 0;
    int e = errno;
    if (!bad && fsync(fileno(af->f)) != 0) { bad = 1; e = errno; }
    if (fclose(af->f) != 0 && !bad) { bad = 1; e = errno; }
    af->f = NULL;
    if (bad) {
        W2S_FAIL("writing %s failed: %s", af->final_path, strerror(e));
        w2s_atomic_abort(af);
        return -1;
    }
    if (rename(af->tmp_path, af->final_path) != 0) {
        e = errno;
        W2S_FAIL("cannot rename %s to %s: %s", af->tmp_path, af->final_path, strerror(e));
        w2s_atomic_abort(af);
        return -1;
    }
    int rc = fsync_dir_of(af->final_path);
    free(af->final_path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
    return rc;
}

void w2s_atomic_abort(w2s_atomic_file *af) {
    if (af->f == stdout) fflush(stdout);  // what was written stays written: a stream has no undo
    else if (af->f) fclose(af->f);
    if (af->tmp_path) unlink(af->tmp_path);
    free(af->final_path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}

int w2s_write_file_atomic(const char *path, const void *buf, size_t size) {
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, path) != 0) return -1;
    if (size && fwrite(buf, 1, size, af.f) != size) {
        int e = errno;
        w2s_atomic_abort(&af);
        return W2S_FAIL("writing %s failed: %s", path, strerror(e));
    }
    return w2s_atomic_commit(&af);
}

int w2s_mkdir_p(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return W2S_FAIL("bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char saved = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return W2S_FAIL("cannot create directory %s: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return W2S_FAIL("%s is not a directory", path);
    return 0;
}

int w2s_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}
