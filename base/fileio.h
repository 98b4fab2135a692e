// fileio.h — checked file access and atomic writes.
// Every file w2s writes appears whole or not at all: data goes to "<path>.tmp.<pid>" in the
// same directory, is fsync'ed, renamed over <path>, and the directory is fsync'ed. Opening
// removes "<path>.tmp.<pid>" files of writers that died before committing.
// All functions return 0 / non-NULL on success, -1 / NULL with w2s_error_message() set.
#ifndef W2S_BASE_FILEIO_H
#define W2S_BASE_FILEIO_H

#include <stddef.h>
#include <stdio.h>

// fopen that records "cannot open PATH for MODE: strerror" on failure.
FILE *fopen_check(const char *path, const char *mode, const char *src_file, int src_line);
#define w2s_fopen(path, mode) fopen_check((path), (mode), __FILE__, __LINE__)

// Reads a whole file into a malloc'ed, NUL-terminated buffer; *size excludes the NUL.
// Fails (without allocating) if the file is larger than max_size.
char *w2s_read_file(const char *path, size_t max_size, size_t *size);

// An output file being written atomically.
typedef struct {
    FILE *f;           // write here
    char *final_path;  // renamed onto at commit
    char *tmp_path;
} w2s_atomic_file;

// The path "-" is standard output (the usual convention for --out): written as it goes, since
// a stream cannot be renamed into place, and flushed at commit.
int w2s_atomic_open(w2s_atomic_file *af, const char *path);
// True for "-", the name of standard output.
int w2s_is_stdout(const char *path);
// Flushes, fsyncs, closes and renames into place. On failure the temp file is removed.
int w2s_atomic_commit(w2s_atomic_file *af);
// Drops the temp file (error path); safe to call after a failed commit or twice.
void w2s_atomic_abort(w2s_atomic_file *af);
// One-shot: writes buf[0..size) atomically to path.
int w2s_write_file_atomic(const char *path, const void *buf, size_t size);

// Longest path w2s builds in a fixed buffer; a longer one is an error, never a cut path.
#define W2S_PATH_MAX 4096

// Formats a path into out[cap]. A path that does not fit is an error naming its start and
// length, and out is left empty, so no caller ever opens or removes a truncated path.
int w2s_path_format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Longest path a user may give (a model, a data file, an output folder): W2S_PATH_MAX less
// room for the names w2s appends under it, so every path derived from it fits W2S_PATH_MAX.
#define W2S_PATH_ARG_MAX (W2S_PATH_MAX - 512)

// 0 if path (NULL is fine) is at most W2S_PATH_ARG_MAX bytes, else -1 naming `what`. Entry
// points check their paths with it once, so the fixed buffers below them never cut a path.
int w2s_path_arg_check(const char *path, const char *what);

// The per-user cache folder: $XDG_CACHE_HOME/w2s, else $HOME/.cache/w2s (not created here).
// -1 with a hint when neither variable is set.
int w2s_cache_dir(char *out, size_t cap);

// mkdir -p; succeeds if the directory exists.
int w2s_mkdir_p(const char *path);
int w2s_file_exists(const char *path);

#endif
